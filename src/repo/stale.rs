//! SQL of the durable stale-summary marks (`summary_stale`, migration 5): written in the writer's
//! transaction, taken (deleted and returned) in the refresh's.
//!
//! Concurrency (PostgreSQL, READ COMMITTED; SQLite serialises writers anyway):
//! - A writer's mark is an upsert that **locks** an existing row (`DO UPDATE` setting `marked_at`
//!   to itself) rather than `DO NOTHING`: otherwise a drainer could delete a pending mark between
//!   the writer's no-op insert and its commit, and refresh without seeing the writer's rows — a
//!   change with no mark left. With the lock the drainer skips the row until the writer commits,
//!   and a writer meeting a row a drainer is deleting waits for it and inserts a fresh one.
//! - A refresh reads its marks (with their row versions) in its first statement, without a lock,
//!   and aggregates in later ones, each with a newer snapshot: a mark it saw was committed with its
//!   writer's rows, so the aggregate sees them. It deletes the marks at its end, only those still at
//!   the version it read, `FOR UPDATE SKIP LOCKED`: a mark written again meanwhile is left for the
//!   refresh of that write. So no writer ever waits for a refresh: when the refresh deleted its
//!   marks first and held them while it aggregated, every write marking today's performance day
//!   (every new lead) queued behind each refresh (up to 80 ms per refresh in the M4 benchmark).
//! - Concurrent drainers (replicas, the orphan sweep, `refreshSummaries`) may refresh the same
//!   mark twice (harmless: a refresh is idempotent); one of them deletes it.
//! - Marks are inserted in `(kind, entity_id)` order, so two writers locking overlapping rows
//!   cannot deadlock.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::bulk::{max_bind_params, placeholders};
use crate::error::AppResult;

/// A mark: the stored kind (`ACCOUNT`, `CONTACT`, `LEAD`, `CAMPAIGN`) and the entity id.
pub type Mark = (String, String);

/// Inserts the marks (or locks the existing rows, keeping their `marked_at`), in `(kind, id)` order.
pub async fn mark(db: &impl ConnectionTrait, marks: &[(&str, &str)], at: DateTime<Utc>) -> AppResult<()> {
    let backend = db.get_database_backend();
    let mut sorted = marks.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for chunk in sorted.chunks(max_bind_params(backend) / 3) {
        let rows: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(3 * i + 1, 3))).collect();
        let sql = format!(
            "INSERT INTO summary_stale (kind, entity_id, marked_at) VALUES {} \
             ON CONFLICT (kind, entity_id) DO UPDATE SET marked_at = summary_stale.marked_at",
            rows.join(", ")
        );
        let values: Vec<Value> =
            chunk.iter().flat_map(|(kind, id)| [Value::from(*kind), Value::from(*id), Value::from(at)]).collect();
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    Ok(())
}

/// A mark as a refresh read it, with its row version: the refresh deletes it at its end only if
/// no writer has marked it again since (PostgreSQL's `xmin` changes with every upsert; SQLite
/// serialises writers, so a mark cannot change under a refresh there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub kind: String,
    pub entity_id: String,
    version: String,
}

impl Seen {
    pub fn mark(self) -> Mark {
        (self.kind, self.entity_id)
    }
}

fn version_expr(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "xmin::text",
        _ => "''",
    }
}

/// The committed marks of these ids (grouped by kind), read without locking anything: a writer
/// marking one meanwhile never waits for the refresh. One statement per bind-parameter chunk, an
/// index lookup per kind.
pub async fn seen(db: &impl ConnectionTrait, marks: &[(&str, &str)]) -> AppResult<Vec<Seen>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for chunk in marks.chunks(max_bind_params(backend) / 2) {
        let mut kinds: Vec<&str> = chunk.iter().map(|m| m.0).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let mut values = Vec::new();
        let mut arms = Vec::new();
        for kind in kinds {
            values.push(Value::from(kind));
            let first = values.len();
            let ids: Vec<&str> = chunk.iter().filter(|m| m.0 == kind).map(|m| m.1).collect();
            values.extend(ids.iter().map(|id| Value::from(*id)));
            arms.push(format!("(kind = ${first} AND entity_id IN ({}))", placeholders(first + 1, ids.len())));
        }
        out.extend(select_seen(db, backend, &arms.join(" OR "), values).await?);
    }
    Ok(out)
}

/// Up to `limit` marks written at or before `before`, oldest first (the drain of leftovers: a
/// crashed writer's, another process's), read like [`seen`].
pub async fn seen_oldest(db: &impl ConnectionTrait, before: DateTime<Utc>, limit: u64) -> AppResult<Vec<Seen>> {
    let backend = db.get_database_backend();
    let values = vec![Value::from(before), Value::from(limit as i64)];
    select_seen(db, backend, "marked_at <= $1 ORDER BY marked_at LIMIT $2", values).await
}

async fn select_seen(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    chosen: &str,
    values: Vec<Value>,
) -> AppResult<Vec<Seen>> {
    let sql = format!("SELECT kind, entity_id, {} AS version FROM summary_stale WHERE {chosen}", version_expr(backend));
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter()
        .map(|r| {
            Ok(Seen {
                kind: r.try_get("", "kind")?,
                entity_id: r.try_get("", "entity_id")?,
                version: r.try_get("", "version")?,
            })
        })
        .collect()
}

/// Deletes the marks still as `seen` read them, at the end of the refresh that read them; returns
/// how many. A mark written again since (a newer version) or held by a writer that has not
/// committed is left (`SKIP LOCKED`: the refresh never waits for a writer, nor a writer for it),
/// for the refresh that follows that write.
pub async fn take(db: &impl ConnectionTrait, seen: &[Seen]) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let mut taken = 0;
    for chunk in seen.chunks(max_bind_params(backend) / 3) {
        let rows: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(3 * i + 1, 3))).collect();
        let rows = rows.join(", ");
        let sql = match backend {
            DbBackend::Postgres => format!(
                "DELETE FROM summary_stale WHERE ctid = ANY(ARRAY(\
                   SELECT s.ctid FROM summary_stale s JOIN (VALUES {rows}) AS v(kind, entity_id, version) \
                   ON s.kind = v.kind AND s.entity_id = v.entity_id AND s.xmin::text = v.version \
                   FOR UPDATE OF s SKIP LOCKED))"
            ),
            _ => format!("DELETE FROM summary_stale WHERE (kind, entity_id, '') IN (VALUES {rows})"),
        };
        let values: Vec<Value> = chunk
            .iter()
            .flat_map(|m| {
                [Value::from(m.kind.as_str()), Value::from(m.entity_id.as_str()), Value::from(m.version.as_str())]
            })
            .collect();
        taken += db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected();
    }
    Ok(taken)
}

/// Whether any mark was written at or before `before`: one index probe, no lock, no transaction
/// (so that looking for leftovers costs a single statement when, as usual, there are none).
pub async fn any_before(db: &impl ConnectionTrait, before: DateTime<Utc>) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let sql = "SELECT 1 AS found FROM summary_stale WHERE marked_at <= $1 LIMIT 1";
    Ok(db.query_one_raw(Statement::from_sql_and_values(backend, sql, [Value::from(before)])).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::bulk::testing;
    use chrono::Duration;
    use sea_orm::TransactionTrait;

    fn mark_of(kind: &str, id: &str) -> Mark {
        (kind.to_string(), id.to_string())
    }

    fn marks_of(seen: &[Seen]) -> Vec<Mark> {
        seen.iter().cloned().map(Seen::mark).collect()
    }

    #[tokio::test]
    async fn a_record_is_marked_once_however_often_and_taken_once() {
        for t in testing::databases().await {
            let at = Utc::now();
            mark(&t.db, &[("LEAD", "L1"), ("LEAD", "L1"), ("ACCOUNT", "A1")], at).await.expect("mark");
            mark(&t.db, &[("LEAD", "L1")], at + Duration::seconds(5)).await.expect("mark again");
            let seen = seen(&t.db, &[("LEAD", "L1"), ("LEAD", "L2"), ("CAMPAIGN", "L1")]).await.expect("read");
            assert_eq!(marks_of(&seen), vec![mark_of("LEAD", "L1")], "{}", t.name());
            assert_eq!(take(&t.db, &seen).await.expect("take"), 1, "{}", t.name());
            assert_eq!(take(&t.db, &seen).await.expect("take again"), 0);
            assert!(super::seen(&t.db, &[("LEAD", "L1")]).await.expect("read again").is_empty());
            assert!(!any_before(&t.db, at - Duration::seconds(1)).await.expect("probe"), "{}", t.name());
            assert!(seen_oldest(&t.db, at - Duration::seconds(1), 10).await.expect("none that old").is_empty());
            assert!(any_before(&t.db, at).await.expect("probe"));
            assert_eq!(marks_of(&seen_oldest(&t.db, at, 10).await.expect("oldest")), vec![mark_of("ACCOUNT", "A1")]);
        }
    }

    #[tokio::test]
    async fn the_oldest_marks_are_read_first_in_batches() {
        for t in testing::databases().await {
            let at = Utc::now();
            for (i, id) in ["C3", "C1", "C2"].iter().enumerate() {
                mark(&t.db, &[("CONTACT", id)], at + Duration::seconds(i as i64)).await.expect("mark");
            }
            let later = at + Duration::seconds(10);
            let first = seen_oldest(&t.db, later, 2).await.expect("first batch");
            assert_eq!(marks_of(&first), vec![mark_of("CONTACT", "C3"), mark_of("CONTACT", "C1")], "{}", t.name());
            assert_eq!(take(&t.db, &first).await.expect("take"), 2);
            assert_eq!(marks_of(&seen_oldest(&t.db, later, 2).await.expect("rest")), vec![mark_of("CONTACT", "C2")]);
        }
    }

    /// Why a writer's mark locks an existing row instead of `DO NOTHING`: a drainer must not take
    /// a mark whose writer has not committed (its refresh could not see the writer's rows).
    /// PostgreSQL only: SQLite serialises writers, so a drainer never runs inside a write.
    #[tokio::test]
    async fn a_drainer_leaves_a_mark_an_uncommitted_writer_holds() {
        let Some(t) = testing::postgres().await else { return };
        let at = Utc::now();
        mark(&t.db, &[("LEAD", "L1")], at).await.expect("a pending mark");
        let read = seen(&t.db, &[("LEAD", "L1")]).await.expect("the drainer reads it");
        let writer = t.db.begin().await.expect("begin");
        mark(&writer, &[("LEAD", "L1")], at).await.expect("the writer marks it again");
        let drain = tokio::time::timeout(std::time::Duration::from_secs(5), take(&t.db, &read));
        assert_eq!(drain.await.expect("the drainer does not wait").expect("take"), 0, "held by the writer");
        writer.commit().await.expect("commit");
        assert_eq!(take(&t.db, &read).await.expect("take"), 0, "marked again after the drainer read it");
        assert_eq!(seen(&t.db, &[("LEAD", "L1")]).await.expect("read").len(), 1, "left for the writer's refresh");
    }

    /// The refresh reads its marks without a lock and deletes them only at its end: a writer
    /// marking the same record meanwhile neither waits for the refresh nor loses its mark. (When
    /// the refresh deleted first, every write marking today's performance day queued behind it.)
    #[tokio::test]
    async fn a_writer_never_waits_for_a_refresh_and_its_new_mark_survives_it() {
        let Some(t) = testing::postgres().await else { return };
        let at = Utc::now();
        mark(&t.db, &[("PERF_DAY", "2026-12-04")], at).await.expect("a pending mark");
        let refresh = t.db.begin().await.expect("the refresh begins");
        let read = seen(&refresh, &[("PERF_DAY", "2026-12-04")]).await.expect("and reads its marks");
        let writer = t.db.begin().await.expect("a writer begins");
        let marking = mark(&writer, &[("PERF_DAY", "2026-12-04")], at + Duration::seconds(1));
        tokio::time::timeout(std::time::Duration::from_secs(5), marking)
            .await
            .expect("the writer does not wait for the refresh")
            .expect("mark");
        writer.commit().await.expect("the writer commits");
        assert_eq!(take(&refresh, &read).await.expect("take"), 0, "the writer's newer mark is not the one read");
        refresh.commit().await.expect("the refresh commits");
        assert_eq!(seen(&t.db, &[("PERF_DAY", "2026-12-04")]).await.expect("read").len(), 1);
    }
}
