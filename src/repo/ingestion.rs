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

/// The table, which also binds its sealed values (the ciphertexts' associated data).
pub const TABLE: &str = "lead_ingestion";

/// Arbitrary constant namespace of the per-key processing locks: "cdp360 ingestion".
const KEY_LOCK_NAMESPACE: i32 = 0x0cd9_3612;

/// Inserts `row` unless its client already used its idempotency key: true when inserted.
pub async fn enqueue(db: &impl ConnectionTrait, row: Model) -> AppResult<bool> {
    let am: ActiveModel = row.into_active_model();
    let on_conflict = OnConflict::columns([Column::ClientId, Column::IdempotencyKey]).do_nothing().to_owned();
    let written = Entity::insert(am).on_conflict(on_conflict).exec_without_returning(db).await?;
    Ok(written > 0)
}

/// The ingestion `client_id` sent with `key`, if any.
pub async fn find_by_key(db: &impl ConnectionTrait, client_id: &str, key: &str) -> AppResult<Option<Model>> {
    Ok(Entity::find().filter(Column::ClientId.eq(client_id)).filter(Column::IdempotencyKey.eq(key)).one(db).await?)
}

/// One ingestion by id.
pub async fn by_id(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<Model>> {
    Ok(Entity::find_by_id(id.to_string()).one(db).await?)
}

/// Claims the oldest `ACCEPTED` row for the caller's transaction (see the module doc).
pub async fn claim(db: &impl ConnectionTrait) -> AppResult<Option<Model>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT * FROM lead_ingestion WHERE status = 'ACCEPTED' ORDER BY created_at, ingestion_id \
             LIMIT 1 FOR UPDATE SKIP LOCKED"
        }
        _ => "SELECT * FROM lead_ingestion WHERE status = 'ACCEPTED' ORDER BY created_at, ingestion_id LIMIT 1",
    };
    Ok(Model::find_by_statement(Statement::from_string(backend, sql)).one(db).await?)
}

/// How many rows wait for processing.
pub async fn accepted(db: &impl ConnectionTrait) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let sql = "SELECT COUNT(*) AS n FROM lead_ingestion WHERE status = 'ACCEPTED'";
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0) as u64)
}

/// Serialises, until the caller's transaction ends, the processing of submissions sharing `key`
/// (a blind index: two submissions of one phone must not both find no lead and both create one).
/// PostgreSQL only; SQLite's writers are serialised already.
pub async fn lock_key(db: &impl ConnectionTrait, key: &str) -> AppResult<()> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        let sql = format!("SELECT pg_advisory_xact_lock({KEY_LOCK_NAMESPACE}, hashtext($1))");
        db.execute_raw(Statement::from_sql_and_values(backend, sql, [Value::from(key)])).await?;
    }
    Ok(())
}

/// What processing decided.
pub struct Finish<'a> {
    pub status: &'a str,
    pub lead_id: Option<&'a str>,
    pub duplicate_of: Option<&'a str>,
    pub reasons: Option<serde_json::Value>,
}

/// Records the outcome of a claimed row (still `ACCEPTED`): true when it was.
pub async fn finish(db: &impl ConnectionTrait, id: &str, f: Finish<'_>, at: DateTime<Utc>) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let sql = "UPDATE lead_ingestion SET status = $1, lead_id = $2, duplicate_of = $3, reasons = $4, \
               attempts = attempts + 1, updated_at = $5, processed_at = $5 \
               WHERE ingestion_id = $6 AND status = 'ACCEPTED'";
    let values = [
        Value::from(f.status),
        Value::from(f.lead_id.map(str::to_string)),
        Value::from(f.duplicate_of.map(str::to_string)),
        Value::Json(f.reasons.map(Box::new)),
        Value::from(at),
        Value::from(id),
    ];
    let done = db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(done.rows_affected() > 0)
}

/// Counts a failed attempt at a row (its transaction rolled back); the new count.
pub async fn failed_attempt(db: &impl ConnectionTrait, id: &str, at: DateTime<Utc>) -> AppResult<i32> {
    let backend = db.get_database_backend();
    let sql = "UPDATE lead_ingestion SET attempts = attempts + 1, updated_at = $1 WHERE ingestion_id = $2";
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [Value::from(at), Value::from(id)])).await?;
    Ok(by_id(db, id).await?.map_or(0, |r| r.attempts))
}
