//! Dead letters (ARCHITECTURE.md, "Lead ingestion"): ingestions whose processing failed for good,
//! kept with their reasons and step log until an operator replays them (after fixing the scene,
//! say) or discards them. A replay puts the ingestion back in the queue as freshly accepted — its
//! id, submission and idempotency key unchanged — so its client's status URL follows it.

use entity::lead_ingestion;

use super::{ACCEPTED, DEAD_LETTERED, DISCARDED};
use crate::domain::value::EntityId;
use crate::error::{AppError, AppResult};
use crate::repo;
pub use crate::repo::ingestion::DeadLetterFilter;
use crate::services::tx::{Store, Write};
use crate::services::write::now;

/// The most dead letters one list returns, and one replay or discard takes.
pub const MAX_DEAD_LETTERS: usize = 1000;

/// Dead letters matching `filter`, newest first, at most `first`.
pub async fn list(store: &Store, filter: &DeadLetterFilter, first: usize) -> AppResult<Vec<lead_ingestion::Model>> {
    if first == 0 || first > MAX_DEAD_LETTERS {
        return Err(AppError::bad_input(format!("first: 1 to {MAX_DEAD_LETTERS}")));
    }
    repo::ingestion::with_status(&store.db, DEAD_LETTERED, filter, first as u64).await
}

/// Puts the dead letters among `ids` back in the queue; the ids replayed (others were not dead
/// letters, or were replayed or discarded meanwhile).
pub async fn replay(store: &Store, ids: &[String]) -> AppResult<Vec<String>> {
    let moved = move_all(store, ids, ACCEPTED, true).await?;
    if !moved.is_empty() {
        store.ingestion_depth().add(moved.len() as u64);
        store.ingestion_wake().notify_one();
    }
    Ok(moved)
}

/// Discards the dead letters among `ids` (kept, status `DISCARDED`); the ids discarded.
pub async fn discard(store: &Store, ids: &[String]) -> AppResult<Vec<String>> {
    move_all(store, ids, DISCARDED, false).await
}

async fn move_all(store: &Store, ids: &[String], to: &str, reset: bool) -> AppResult<Vec<String>> {
    if ids.is_empty() || ids.len() > MAX_DEAD_LETTERS {
        return Err(AppError::bad_input(format!("ids: 1 to {MAX_DEAD_LETTERS} ingestion ids")));
    }
    for id in ids {
        EntityId::parse("ids", id)?;
    }
    let w = Write::begin(store).await?;
    let moved = repo::ingestion::move_status(&*w, ids, DEAD_LETTERED, to, reset, now()).await?;
    w.commit().await?;
    Ok(moved)
}
