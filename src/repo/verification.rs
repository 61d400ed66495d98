//! SQL of landing-page verification codes (`verification_code`, migration 10). A table of `repo/`
//! like the ingestion queue: not catalogued, not a GraphQL entity.
//!
//! Concurrency: sending takes, on PostgreSQL, a transaction-scoped advisory lock per phone and per
//! IP before it counts the codes already sent, so two replicas cannot both find room under a
//! limit (SQLite serialises writers). Checking counts an attempt with one conditional `UPDATE`, so
//! concurrent guesses cannot exceed the limit; consuming is `UPDATE … WHERE consumed_at IS NULL`,
//! which exactly one of two concurrent submissions with one code can do (the other waits for the
//! row lock, then finds it consumed).

use chrono::{DateTime, Utc};
use entity::verification_code::{Entity, Model};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, IntoActiveModel, Statement, Value};

use crate::error::AppResult;

/// The table, which also names the keys of its hashes (`services::pii`).
pub const TABLE: &str = "verification_code";

/// Arbitrary constant namespaces of the sending locks: "cdp360 verification phone" and "… IP".
const PHONE_LOCK: i32 = 0x0cd9_3613;
const IP_LOCK: i32 = 0x0cd9_3614;

/// Serialises, until the caller's transaction ends, sending to one phone and from one IP
/// (PostgreSQL; SQLite's writers are serialised already). The phone first, then the IP: every
/// sender takes them in that order, so two cannot wait for each other.
pub async fn lock_sending(db: &impl ConnectionTrait, phone_bidx: &str, ip_hash: Option<&str>) -> AppResult<()> {
    let backend = db.get_database_backend();
    if backend != DbBackend::Postgres {
        return Ok(());
    }
    for (space, key) in [(PHONE_LOCK, Some(phone_bidx)), (IP_LOCK, ip_hash)] {
        if let Some(key) = key {
            let sql = format!("SELECT pg_advisory_xact_lock({space}, hashtext($1))");
            db.execute_raw(Statement::from_sql_and_values(backend, sql, [Value::from(key)])).await?;
        }
    }
    Ok(())
}

#[derive(FromQueryResult)]
struct SentAt {
    created_at: DateTime<Utc>,
}

/// When codes were sent to `phone_bidx` after `since`, oldest first.
pub async fn sent_to_phone(
    db: &impl ConnectionTrait,
    phone_bidx: &str,
    since: DateTime<Utc>,
) -> AppResult<Vec<DateTime<Utc>>> {
    let sql = "SELECT created_at FROM verification_code WHERE phone_bidx = $1 AND created_at > $2 ORDER BY created_at";
    sent_at(db, sql, phone_bidx, since).await
}

/// When codes were requested from `ip_hash` after `since`, oldest first.
pub async fn sent_from_ip(
    db: &impl ConnectionTrait,
    ip_hash: &str,
    since: DateTime<Utc>,
) -> AppResult<Vec<DateTime<Utc>>> {
    let sql = "SELECT created_at FROM verification_code WHERE ip_hash = $1 AND created_at > $2 ORDER BY created_at";
    sent_at(db, sql, ip_hash, since).await
}

async fn sent_at(
    db: &impl ConnectionTrait,
    sql: &str,
    key: &str,
    since: DateTime<Utc>,
) -> AppResult<Vec<DateTime<Utc>>> {
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, [Value::from(key), Value::from(since)]);
    Ok(SentAt::find_by_statement(stmt).all(db).await?.into_iter().map(|r| r.created_at).collect())
}

/// Stores a new code of a phone and closes its older open ones (only the newest code counts).
pub async fn store_code(db: &impl ConnectionTrait, row: Model) -> AppResult<()> {
    let backend = db.get_database_backend();
    let sql = "UPDATE verification_code SET consumed_at = $1 WHERE phone_bidx = $2 AND consumed_at IS NULL";
    let values = [Value::from(row.created_at), Value::from(row.phone_bidx.as_str())];
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Entity::insert(row.into_active_model()).exec_without_returning(db).await?;
    Ok(())
}

/// Closes a code that was not delivered.
pub async fn revoke(db: &impl ConnectionTrait, code_id: &str, at: DateTime<Utc>) -> AppResult<()> {
    let backend = db.get_database_backend();
    let sql = "UPDATE verification_code SET consumed_at = $1 WHERE code_id = $2 AND consumed_at IS NULL";
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [Value::from(at), Value::from(code_id)])).await?;
    Ok(())
}

/// The newest code sent to `phone_bidx`, usable or not.
pub async fn newest(db: &impl ConnectionTrait, phone_bidx: &str) -> AppResult<Option<Model>> {
    let backend = db.get_database_backend();
    let sql = "SELECT * FROM verification_code WHERE phone_bidx = $1 ORDER BY created_at DESC LIMIT 1";
    let stmt = Statement::from_sql_and_values(backend, sql, [Value::from(phone_bidx)]);
    Ok(Model::find_by_statement(stmt).one(db).await?)
}

/// Counts one attempt at a code if it is still open, unexpired at `now` and below `max`
/// attempts: true when counted.
pub async fn count_attempt(db: &impl ConnectionTrait, code_id: &str, max: u32, now: DateTime<Utc>) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let sql = "UPDATE verification_code SET attempts = attempts + 1 \
               WHERE code_id = $1 AND consumed_at IS NULL AND attempts < $2 AND expires_at > $3";
    let values = [Value::from(code_id), Value::from(max as i32), Value::from(now)];
    Ok(db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected() == 1)
}

/// Consumes an open, unexpired code in the caller's transaction: true for the one caller that did.
pub async fn consume(db: &impl ConnectionTrait, code_id: &str, now: DateTime<Utc>) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let sql = "UPDATE verification_code SET consumed_at = $1 \
               WHERE code_id = $2 AND consumed_at IS NULL AND expires_at > $1";
    let values = [Value::from(now), Value::from(code_id)];
    Ok(db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected() == 1)
}
