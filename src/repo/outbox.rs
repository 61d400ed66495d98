//! The transactional outbox's SQL (`outbox_event`, migration 4): append inside the writer's
//! transaction, read after a sequence number, prune by age.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::error::{AppError, AppResult};

/// Arbitrary constant shared by every replica: "cdp360 outbox". Held from a writer's outbox insert
/// to its commit, so PostgreSQL hands out `seq` in commit order (see the migration's doc).
const OUTBOX_LOCK_KEY: i64 = 0x0cd9_3600_0002;

/// The PostgreSQL notification channel; the payload is the newest `seq` of the committed batch.
pub const NOTIFY_CHANNEL: &str = "cdp360_outbox";

/// One stored event.
#[derive(Clone, Debug)]
pub struct OutboxRow {
    pub seq: i64,
    pub created_at: DateTime<Utc>,
    pub payload: serde_json::Value,
}

/// Appends `payloads` (each `(event_type, payload)`) as the last statements of the caller's
/// transaction. On PostgreSQL it first takes the outbox lock and notifies the other replicas,
/// both effective at commit. Two statements on PostgreSQL, one on SQLite; none for no events.
pub async fn append(
    db: &impl ConnectionTrait,
    payloads: &[(&'static str, serde_json::Value)],
    at: DateTime<Utc>,
) -> AppResult<()> {
    if payloads.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut values = Vec::with_capacity(payloads.len() * 3);
    let mut rows = Vec::with_capacity(payloads.len());
    for (i, (ty, payload)) in payloads.iter().enumerate() {
        let n = i * 3;
        rows.push(match backend {
            DbBackend::Postgres => format!("(${}, ${}, ${})", n + 1, n + 2, n + 3),
            _ => "(?, ?, ?)".to_string(),
        });
        values.push(Value::from(*ty));
        values.push(Value::Json(Some(Box::new(payload.clone()))));
        values.push(Value::from(at));
    }
    let insert = format!("INSERT INTO outbox_event (event_type, payload, created_at) VALUES {}", rows.join(", "));
    match backend {
        DbBackend::Postgres => {
            db.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({OUTBOX_LOCK_KEY})")).await?;
            let sql = format!(
                "WITH ins AS ({insert} RETURNING seq) \
                 SELECT pg_notify('{NOTIFY_CHANNEL}', CAST(MAX(seq) AS text)) FROM ins"
            );
            db.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        }
        _ => {
            db.execute_raw(Statement::from_sql_and_values(backend, insert, values)).await?;
        }
    }
    Ok(())
}

/// Up to `limit` events after `seq`, oldest first.
pub async fn after(db: &impl ConnectionTrait, seq: i64, limit: u64) -> AppResult<Vec<OutboxRow>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT seq, created_at, payload FROM outbox_event WHERE seq > $1 ORDER BY seq LIMIT $2",
        _ => "SELECT seq, created_at, payload FROM outbox_event WHERE seq > ? ORDER BY seq LIMIT ?",
    };
    let stmt = Statement::from_sql_and_values(backend, sql, [Value::from(seq), Value::from(limit as i64)]);
    let rows = db.query_all_raw(stmt).await?;
    rows.iter()
        .map(|r| {
            let payload = match r.try_get::<serde_json::Value>("", "payload") {
                Ok(serde_json::Value::String(text)) => serde_json::from_str(&text),
                Ok(v) => Ok(v),
                Err(_) => serde_json::from_str(&r.try_get::<String>("", "payload")?),
            }
            .map_err(|e| AppError::internal(format!("outbox payload is not JSON: {e}")))?;
            Ok(OutboxRow { seq: r.try_get("", "seq")?, created_at: r.try_get("", "created_at")?, payload })
        })
        .collect()
}

/// The newest `seq` (0 for an empty outbox): where a relay that starts now begins.
pub async fn last_seq(db: &impl ConnectionTrait) -> AppResult<i64> {
    let backend = db.get_database_backend();
    let stmt = Statement::from_string(backend, "SELECT COALESCE(MAX(seq), 0) AS seq FROM outbox_event");
    let row = db.query_one_raw(stmt).await?.ok_or_else(|| AppError::internal("MAX(seq) returned no row"))?;
    Ok(row.try_get::<i64>("", "seq")?)
}

/// Deletes events older than `before`; returns how many.
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "DELETE FROM outbox_event WHERE created_at < $1",
        _ => "DELETE FROM outbox_event WHERE created_at < ?",
    };
    let res = db.execute_raw(Statement::from_sql_and_values(backend, sql, [Value::from(before)])).await?;
    Ok(res.rows_affected())
}
