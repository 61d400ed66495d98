//! SQL of the durable stale-summary marks (`summary_stale`, migration 5): written in the writer's
//! transaction, taken (deleted and returned) in the refresh's.
//!
//! Concurrency (PostgreSQL, READ COMMITTED; SQLite serialises writers anyway):
//! - A writer's mark is an upsert that **locks** an existing row (`DO UPDATE` setting `marked_at`
//!   to itself) rather than `DO NOTHING`: otherwise a drainer could delete a pending mark between
//!   the writer's no-op insert and its commit, and refresh without seeing the writer's rows — a
//!   change with no mark left. With the lock the drainer skips the row until the writer commits,
//!   and a writer meeting a row a drainer is deleting waits for it and inserts a fresh one.
//! - Drainers take rows `FOR UPDATE SKIP LOCKED`: concurrent drainers (replicas, the orphan sweep,
//!   `refreshSummaries`) take disjoint rows and never wait for each other or for a writer.
//! - Marks are inserted in `(kind, entity_id)` order, so two writers locking overlapping rows
//!   cannot deadlock.
//! - A refresh deletes its marks in its first statement and aggregates in later ones, each with a
//!   newer snapshot: a mark it saw was committed with its writer's rows, so the aggregate sees them.

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

/// Deletes the marks of these ids (grouped by kind) that no other transaction holds, and returns
/// them. One statement per bind-parameter chunk, an index lookup per kind.
pub async fn take(db: &impl ConnectionTrait, marks: &[(&str, &str)]) -> AppResult<Vec<Mark>> {
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
        out.extend(delete_returning(db, backend, &arms.join(" OR "), values).await?);
    }
    Ok(out)
}

/// Deletes and returns up to `limit` marks written at or before `before`, oldest first, that no
/// other transaction holds (the drain of leftovers: a crashed writer's, another process's).
pub async fn take_oldest(db: &impl ConnectionTrait, before: DateTime<Utc>, limit: u64) -> AppResult<Vec<Mark>> {
    let backend = db.get_database_backend();
    let values = vec![Value::from(before), Value::from(limit as i64)];
    delete_returning(db, backend, "marked_at <= $1 ORDER BY marked_at LIMIT $2", values).await
}

/// Whether any mark was written at or before `before`: one index probe, no lock, no transaction
/// (so that looking for leftovers costs a single statement when, as usual, there are none).
pub async fn any_before(db: &impl ConnectionTrait, before: DateTime<Utc>) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let sql = "SELECT 1 AS found FROM summary_stale WHERE marked_at <= $1 LIMIT 1";
    Ok(db.query_one_raw(Statement::from_sql_and_values(backend, sql, [Value::from(before)])).await?.is_some())
}

/// Deletes the rows `SELECT … WHERE <chosen>` picks and returns them. The rows are picked by
/// physical address (`ctid` on PostgreSQL, locked `FOR UPDATE SKIP LOCKED`; `rowid` on SQLite), so
/// the DELETE itself is a direct lookup, not a join over the table.
async fn delete_returning(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    chosen: &str,
    values: Vec<Value>,
) -> AppResult<Vec<Mark>> {
    let sql = match backend {
        DbBackend::Postgres => format!(
            "DELETE FROM summary_stale WHERE ctid = ANY(ARRAY(\
               SELECT ctid FROM summary_stale WHERE {chosen} FOR UPDATE SKIP LOCKED)) \
             RETURNING kind, entity_id"
        ),
        _ => format!(
            "DELETE FROM summary_stale WHERE rowid IN (SELECT rowid FROM summary_stale WHERE {chosen}) \
             RETURNING kind, entity_id"
        ),
    };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter().map(|r| Ok((r.try_get::<String>("", "kind")?, r.try_get::<String>("", "entity_id")?))).collect()
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

    #[tokio::test]
    async fn a_record_is_marked_once_however_often_and_taken_once() {
        for t in testing::databases().await {
            let at = Utc::now();
            mark(&t.db, &[("LEAD", "L1"), ("LEAD", "L1"), ("ACCOUNT", "A1")], at).await.expect("mark");
            mark(&t.db, &[("LEAD", "L1")], at + Duration::seconds(5)).await.expect("mark again");
            let taken = take(&t.db, &[("LEAD", "L1"), ("LEAD", "L2"), ("CAMPAIGN", "L1")]).await.expect("take");
            assert_eq!(taken, vec![mark_of("LEAD", "L1")], "{}", t.name());
            assert!(take(&t.db, &[("LEAD", "L1")]).await.expect("take again").is_empty());
            assert!(!any_before(&t.db, at - Duration::seconds(1)).await.expect("probe"), "{}", t.name());
            assert!(take_oldest(&t.db, at - Duration::seconds(1), 10).await.expect("none that old").is_empty());
            assert!(any_before(&t.db, at).await.expect("probe"));
            assert_eq!(take_oldest(&t.db, at, 10).await.expect("oldest"), vec![mark_of("ACCOUNT", "A1")]);
        }
    }

    #[tokio::test]
    async fn the_oldest_marks_are_taken_first_in_batches() {
        for t in testing::databases().await {
            let at = Utc::now();
            for (i, id) in ["C3", "C1", "C2"].iter().enumerate() {
                mark(&t.db, &[("CONTACT", id)], at + Duration::seconds(i as i64)).await.expect("mark");
            }
            let later = at + Duration::seconds(10);
            assert_eq!(take_oldest(&t.db, later, 2).await.expect("first batch").len(), 2, "{}", t.name());
            assert_eq!(take_oldest(&t.db, later, 2).await.expect("rest"), vec![mark_of("CONTACT", "C2")]);
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
        let writer = t.db.begin().await.expect("begin");
        mark(&writer, &[("LEAD", "L1")], at).await.expect("the writer marks it again");
        assert!(take_oldest(&t.db, at, 10).await.expect("sweep").is_empty(), "held by the writer");
        assert!(take(&t.db, &[("LEAD", "L1")]).await.expect("take").is_empty(), "held by the writer");
        writer.commit().await.expect("commit");
        assert_eq!(take(&t.db, &[("LEAD", "L1")]).await.expect("take"), vec![mark_of("LEAD", "L1")]);
    }
}
