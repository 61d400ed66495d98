//! The queue's statements, held to the one plan that is right for a queue whatever its statistics.
//!
//! A queue table (`lead_ingestion`) swings from empty to 100,000 rows within seconds, so its
//! statistics are always wrong, and PostgreSQL's planner was wrong with them in two ways, both
//! measured in the M4/M4R benchmark (the queue analyzed empty, then filled):
//! - *A kept plan.* sqlx prepares each statement once per connection, and after five calls
//!   PostgreSQL may switch it to a generic plan that it keeps until the table is analyzed again.
//!   One made while the queue was nearly empty stayed a sequential scan: the round's outcome
//!   `UPDATE` hash-joined all 104,000 queue rows each round (75–225 ms, against 5 ms by key).
//! - *A fresh plan on stale selectivity.* Planned afresh, the claim believed 90 rows were waiting
//!   (no statistics of `status` from an empty table) and sorted all 80,000 instead of walking the
//!   due index: 75 ms a claim, against 3.
//!
//! Rewording the statements cannot fix this: every form has a plan that is cheapest for a tiny
//! queue. [`queue_statement`] runs one with the settings that leave the planner only the paths a
//! queue needs — planned for the queue as it is on every call (`force_custom_plan`), by index,
//! without sorting (`enable_seqscan`, `enable_bitmapscan`, `enable_sort` off) — set for the
//! caller's transaction (`SET LOCAL`) and restored after it: two short statements per call. Only
//! the queue's statements are held so: custom plans for every statement (set on the whole
//! database, the rounds' 100-row inserts included) took M4 from 1,500–2,000 to 1,060–1,150 leads
//! per second. SQLite plans every
//! statement afresh and reads a queue by its indexes already.

use std::future::Future;
use std::sync::LazyLock;

use sea_orm::{ConnectionTrait, DbBackend};

use crate::error::AppResult;

/// The settings [`queue_statement`] holds, with their held values (module doc).
const HELD: [(&str, &str); 4] = [
    ("plan_cache_mode", "force_custom_plan"),
    ("enable_seqscan", "off"),
    ("enable_bitmapscan", "off"),
    ("enable_sort", "off"),
];

/// `SET LOCAL` of each of [`HELD`] to `value` (its held value, or `DEFAULT` to give it back):
/// one round trip.
fn set_local(value: impl Fn(&'static str) -> &'static str) -> String {
    HELD.iter().map(|(name, held)| format!("SET LOCAL {name} = {}", value(held))).collect::<Vec<_>>().join("; ")
}

static HOLD: LazyLock<String> = LazyLock::new(|| set_local(|held| held));
static RELEASE: LazyLock<String> = LazyLock::new(|| set_local(|_| "DEFAULT"));

/// Runs `statement` (a future that runs statements on `db`, which must be a transaction: outside
/// one the settings would not hold, and PostgreSQL only warns) with the planner held to a queue's
/// plan on PostgreSQL (module doc).
pub async fn queue_statement<T>(
    db: &impl ConnectionTrait,
    statement: impl Future<Output = AppResult<T>>,
) -> AppResult<T> {
    if db.get_database_backend() != DbBackend::Postgres {
        return statement.await;
    }
    db.execute_unprepared(&HOLD).await?;
    let out = statement.await?;
    db.execute_unprepared(&RELEASE).await?;
    Ok(out)
}
