//! SQL of the lead ingestion queue (`lead_ingestion`, migration 7): insert once per idempotency
//! key, claim the oldest accepted row, record the outcome. A queue of `repo/` like the outbox: not
//! catalogued, not a GraphQL entity.
//!
//! Concurrency: a worker claims inside its processing transaction. On PostgreSQL the claim is
//! `FOR UPDATE SKIP LOCKED`, so workers of any number of replicas take disjoint rows and none
//! waits for another; the row stays locked until the outcome commits, so a crash rolls the claim
//! back with everything else and the row is processed again, once. SQLite serialises writers
//! (`BEGIN IMMEDIATE`), and each process runs one worker.

use chrono::{DateTime, Utc};
use entity::lead_ingestion::{ActiveModel, Column, Entity, Model};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter, Statement,
    Value,
};

use crate::error::AppResult;
use crate::repo::bulk::{max_bind_params, placeholders};
use crate::repo::plan::queue_statement;

/// The table, which also binds its sealed values (the ciphertexts' associated data).
pub const TABLE: &str = "lead_ingestion";

/// The status of a row waiting for processing.
const ACCEPTED: &str = "ACCEPTED";

/// Arbitrary constant namespace of the per-key processing locks: "cdp360 ingestion".
const KEY_LOCK_NAMESPACE: i32 = 0x0cd9_3612;

fn on_key_conflict() -> OnConflict {
    OnConflict::columns([Column::ClientId, Column::IdempotencyKey, Column::BatchIndex]).do_nothing().to_owned()
}

/// Inserts `row` unless its client already used its idempotency key: true when inserted.
pub async fn enqueue(db: &impl ConnectionTrait, row: Model) -> AppResult<bool> {
    let am: ActiveModel = row.into_active_model();
    let written = Entity::insert(am).on_conflict(on_key_conflict()).exec_without_returning(db).await?;
    Ok(written > 0)
}

/// Inserts the rows of one batch in one statement, skipping those whose idempotency key (and
/// batch index) their client already used: how many were inserted.
pub async fn enqueue_all(db: &impl ConnectionTrait, rows: Vec<Model>) -> AppResult<u64> {
    let ams = rows.into_iter().map(IntoActiveModel::into_active_model);
    Ok(Entity::insert_many(ams).on_conflict(on_key_conflict()).exec_without_returning(db).await?)
}

/// The ingestion `client_id` sent with `key` (the first of a batch), if any.
pub async fn find_by_key(db: &impl ConnectionTrait, client_id: &str, key: &str) -> AppResult<Option<Model>> {
    Ok(Entity::find()
        .filter(Column::ClientId.eq(client_id))
        .filter(Column::IdempotencyKey.eq(key))
        .filter(Column::BatchIndex.eq(0))
        .one(db)
        .await?)
}

/// Every ingestion `client_id` sent with `key`, by batch index.
pub async fn find_batch(db: &impl ConnectionTrait, client_id: &str, key: &str) -> AppResult<Vec<Model>> {
    use sea_orm::QueryOrder;
    Ok(Entity::find()
        .filter(Column::ClientId.eq(client_id))
        .filter(Column::IdempotencyKey.eq(key))
        .order_by_asc(Column::BatchIndex)
        .all(db)
        .await?)
}

/// One ingestion by id.
pub async fn by_id(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<Model>> {
    Ok(Entity::find_by_id(id.to_string()).one(db).await?)
}

/// Claims up to `limit` of the oldest `ACCEPTED` rows that are due (not waiting out a retry),
/// oldest first, for the caller's transaction (see the module doc).
/// Held to a queue's plan (`repo::plan`): the queue's statistics are always wrong.
pub async fn claim_many(db: &impl ConnectionTrait, now: DateTime<Utc>, limit: u64) -> AppResult<Vec<Model>> {
    let claim = claim_statement(db.get_database_backend(), now, limit);
    let mut rows = queue_statement(db, async { Ok(Model::find_by_statement(claim).all(db).await?) }).await?;
    // The claim's order, restored here rather than by a sort in the statement (see below).
    rows.sort_by(|a, b| (a.created_at, &a.ingestion_id).cmp(&(b.created_at, &b.ingestion_id)));
    Ok(rows)
}

/// The claim of [`claim_many`]: the oldest due rows in the order of `idx_lead_ingestion_due`
/// (`status, created_at, ingestion_id`), so PostgreSQL reads the page off the index instead of
/// sorting the backlog (the EXPLAIN test in `tests/api/explain.rs` holds it to that). The page is
/// chosen and locked by ids alone and the rows read after, by primary key: a queue's statistics
/// are often stale (a backlog that grew since the last ANALYZE), and the planner then sorts the
/// whole backlog instead — of narrow (id, time) tuples in this form, where `SELECT *` sorted the
/// raw payloads too (37 of the claim's 47 ms with 5,300 rows waiting, in the M4 benchmark).
pub fn claim_statement(backend: DbBackend, now: DateTime<Utc>, limit: u64) -> Statement {
    let due = "SELECT ingestion_id FROM lead_ingestion WHERE status = 'ACCEPTED' \
               AND (next_attempt_at IS NULL OR next_attempt_at <= $1) ORDER BY created_at, ingestion_id LIMIT $2";
    let page = match backend {
        DbBackend::Postgres => format!("{due} FOR UPDATE SKIP LOCKED"),
        _ => due.to_string(),
    };
    let sql = format!("SELECT * FROM lead_ingestion WHERE ingestion_id IN ({page})");
    Statement::from_sql_and_values(backend, sql, [Value::from(now), Value::from(limit as i64)])
}

/// When the earliest accepted row waiting out a retry is due, if any.
pub async fn next_due(db: &impl ConnectionTrait) -> AppResult<Option<DateTime<Utc>>> {
    let backend = db.get_database_backend();
    let sql = "SELECT MIN(next_attempt_at) AS due FROM lead_ingestion WHERE status = 'ACCEPTED'";
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await?;
    Ok(row.map(|r| r.try_get::<Option<DateTime<Utc>>>("", "due")).transpose()?.flatten())
}

/// How many rows wait for processing.
pub async fn accepted(db: &impl ConnectionTrait) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let sql = "SELECT COUNT(*) AS n FROM lead_ingestion WHERE status = 'ACCEPTED'";
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0) as u64)
}

/// Serialises, until the caller's transaction ends, the processing of submissions sharing a key
/// (a blind index: two submissions of one phone must not both find no lead and both create one).
/// One statement for all keys, locked in the order given (callers sort them, so two transactions
/// locking overlapping keys cannot deadlock). PostgreSQL only; SQLite's writers are serialised
/// already.
pub async fn lock_keys(db: &impl ConnectionTrait, keys: &[String]) -> AppResult<()> {
    let backend = db.get_database_backend();
    if backend != DbBackend::Postgres || keys.is_empty() {
        return Ok(());
    }
    for chunk in keys.chunks(max_bind_params(backend)) {
        // A VALUES list is scanned in order, so the locks are taken in the keys' order.
        let rows: Vec<String> = (1..=chunk.len()).map(|n| format!("(${n})")).collect();
        let sql = format!(
            "SELECT pg_advisory_xact_lock({KEY_LOCK_NAMESPACE}, hashtext(k)) FROM (VALUES {}) AS keys(k)",
            rows.join(", ")
        );
        let values: Vec<Value> = chunk.iter().map(|k| Value::from(k.as_str())).collect();
        db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    Ok(())
}

/// What processing decided.
pub struct Finish<'a> {
    pub status: &'a str,
    pub lead_id: Option<&'a str>,
    pub duplicate_of: Option<&'a str>,
    pub reasons: Option<serde_json::Value>,
    /// The step log (`[{"step", "detail"}]`).
    pub steps: serde_json::Value,
}

/// Records the outcome of a claimed row (still `ACCEPTED`): true when it was.
pub async fn finish(db: &impl ConnectionTrait, id: &str, f: Finish<'_>, at: DateTime<Utc>) -> AppResult<bool> {
    Ok(finish_many(db, vec![(id, f)], at).await? == 1)
}

/// Records the outcomes of claimed rows (still `ACCEPTED`) in one statement per bind-parameter
/// chunk: how many rows were. The status the row must still have is a column of the `VALUES` list,
/// not a constant: with a constant `status = 'ACCEPTED'` and statistics taken when the queue was
/// nearly empty (a queue's are often stale), PostgreSQL read every waiting row through the status
/// index and hash-joined them to the list — the whole backlog each round (18.5 ms a round on
/// average in the M4 benchmark, 56 ms with 27,000 rows waiting, against 2.3 ms by primary key).
/// Compared with a column it can only be a filter on the primary-key lookups — in a plan made for
/// the queue as it is: a kept generic plan made on a nearly empty queue hash-joined a sequential
/// scan all the same, so the statement is held to a queue's plan (`repo::plan`).
pub async fn finish_many(
    db: &impl ConnectionTrait,
    done: Vec<(&str, Finish<'_>)>,
    at: DateTime<Utc>,
) -> AppResult<u64> {
    let backend = db.get_database_backend();
    queue_statement(db, async {
        let mut updated = 0;
        let mut done = done.into_iter().peekable();
        while done.peek().is_some() {
            let chunk: Vec<(&str, Finish<'_>)> = done.by_ref().take(max_bind_params(backend) / 7 - 1).collect();
            updated += db.execute_raw(finish_statement(backend, chunk, at)).await?.rows_affected();
        }
        Ok(updated)
    })
    .await
}

/// The statement of [`finish_many`] for one chunk (public so `tests/api/explain.rs` checks its plan).
pub fn finish_statement(backend: DbBackend, chunk: Vec<(&str, Finish<'_>)>, at: DateTime<Utc>) -> Statement {
    let rows: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(7 * i + 2, 7))).collect();
    let sql = format!(
        "WITH done(id, status, lead_id, duplicate_of, reasons, steps, was) AS (VALUES {}) \
         UPDATE lead_ingestion SET status = done.status, lead_id = done.lead_id, \
         duplicate_of = done.duplicate_of, reasons = done.reasons, steps = done.steps, \
         attempts = attempts + 1, next_attempt_at = NULL, updated_at = $1, processed_at = $1 \
         FROM done WHERE lead_ingestion.ingestion_id = done.id AND lead_ingestion.status = done.was",
        rows.join(", ")
    );
    let mut values = vec![Value::from(at)];
    for (id, f) in chunk {
        values.extend([
            Value::from(id),
            Value::from(f.status),
            Value::from(f.lead_id.map(str::to_string)),
            Value::from(f.duplicate_of.map(str::to_string)),
            Value::Json(f.reasons.map(Box::new)),
            Value::Json(Some(Box::new(f.steps))),
            Value::from(ACCEPTED),
        ]);
    }
    Statement::from_sql_and_values(backend, sql, values)
}

/// Counts a failed attempt at a still-`ACCEPTED` row (its processing rolled back), which waits
/// until `next_attempt_at`; its steps record the failure. The new count (0: the row had moved on).
pub async fn failed_attempt(
    db: &impl ConnectionTrait,
    id: &str,
    steps: serde_json::Value,
    at: DateTime<Utc>,
    next_attempt_at: DateTime<Utc>,
) -> AppResult<i32> {
    let backend = db.get_database_backend();
    let sql = "UPDATE lead_ingestion SET attempts = attempts + 1, steps = $1, next_attempt_at = $2, updated_at = $3 \
               WHERE ingestion_id = $4 AND status = 'ACCEPTED'";
    let values = [Value::Json(Some(Box::new(steps))), Value::from(next_attempt_at), Value::from(at), Value::from(id)];
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(by_id(db, id).await?.filter(|r| r.status == "ACCEPTED").map_or(0, |r| r.attempts))
}

/// Which dead letters to list.
#[derive(Clone, Debug, Default)]
pub struct DeadLetterFilter {
    pub scene_id: Option<String>,
    pub client_id: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// Up to `limit` rows of `status`, newest first, served by `(status, created_at)`.
pub async fn with_status(
    db: &impl ConnectionTrait,
    status: &str,
    filter: &DeadLetterFilter,
    limit: u64,
) -> AppResult<Vec<Model>> {
    use sea_orm::{QueryOrder, QuerySelect};
    let mut q = Entity::find().filter(Column::Status.eq(status));
    if let Some(scene) = &filter.scene_id {
        q = q.filter(Column::SceneId.eq(scene.as_str()));
    }
    if let Some(client) = &filter.client_id {
        q = q.filter(Column::ClientId.eq(client.as_str()));
    }
    if let Some(after) = filter.created_after {
        q = q.filter(Column::CreatedAt.gt(after));
    }
    if let Some(before) = filter.created_before {
        q = q.filter(Column::CreatedAt.lt(before));
    }
    let q = q.order_by_desc(Column::CreatedAt).order_by_desc(Column::IngestionId).limit(limit);
    Ok(q.all(db).await?)
}

/// Moves the rows among `ids` that are in status `from` to `to`; with `reset`, as freshly accepted
/// (no attempts, no reasons, due now). The ids moved.
pub async fn move_status(
    db: &impl ConnectionTrait,
    ids: &[String],
    from: &str,
    to: &str,
    reset: bool,
    at: DateTime<Utc>,
) -> AppResult<Vec<String>> {
    use sea_orm::sea_query::Expr;
    let mut moved = Vec::new();
    // One guarded UPDATE per id: each id is moved at most once, whoever else replays it.
    for id in ids {
        let mut q = Entity::update_many()
            .col_expr(Column::Status, Expr::value(to))
            .col_expr(Column::UpdatedAt, Expr::value(at))
            .filter(Column::IngestionId.eq(id.as_str()))
            .filter(Column::Status.eq(from));
        if reset {
            q = q
                .col_expr(Column::Attempts, Expr::value(0))
                .col_expr(Column::Reasons, Expr::value(Value::Json(None)))
                .col_expr(Column::NextAttemptAt, Expr::value(Value::ChronoDateTimeUtc(None)))
                .col_expr(Column::ProcessedAt, Expr::value(Value::ChronoDateTimeUtc(None)));
        }
        if q.exec(db).await?.rows_affected > 0 {
            moved.push(id.clone());
        }
    }
    Ok(moved)
}
