//! Database connection (with the per-statement metric) and migrations under a lock.

use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, TransactionTrait};

use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;

/// Arbitrary constant shared by every replica: "cdp360 migrate".
const MIGRATION_LOCK_KEY: i64 = 0x0cd9_3600_0001;

pub async fn connect(url: &str, max_connections: u32, metrics: Arc<Metrics>) -> AppResult<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // WAL lets readers proceed during a write; the busy timeout queues writers instead of
        // failing them with SQLITE_BUSY.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        })
        // No JIT: this is OLTP. The planner overestimates the summary refresh of a few ids (its
        // grouped subqueries look like whole tables), passes `jit_above_cost` and compiles on every
        // call: the benchmark measured 53 ms with JIT against 1.6 ms without for one account.
        .map_sqlx_postgres_opts(|o| o.options([("jit", "off")]));
    let mut db = Database::connect(opts).await?;
    db.set_metric_callback(move |info| {
        metrics.db_statement(info.elapsed.as_secs_f64());
        // The SQL text only: bound values may hold personal data.
        tracing::trace!(target: "cdp360::sql", sql = %info.statement.sql, elapsed_us = info.elapsed.as_micros() as u64, failed = info.failed);
    });
    Ok(db)
}

/// Apply pending migrations on a connection of their own, closed before the caller opens its pool.
/// An SQLite connection that prepared statements before an `ALTER TABLE` on another connection
/// keeps a stale schema: its `SELECT t.*` comes back with more columns than it was prepared with,
/// which the driver does not survive. A pool opened after the migrations never sees an old schema.
pub async fn migrate_on_own_connection(url: &str, metrics: Arc<Metrics>) -> AppResult<()> {
    let db = connect(url, 1, metrics).await?;
    let result = migrate_up(&db).await;
    db.close().await?;
    result
}

/// Apply pending migrations. On PostgreSQL a transaction-scoped advisory lock serialises replicas
/// that start together: the second waits, then finds nothing pending.
pub async fn migrate_up(db: &DatabaseConnection) -> AppResult<()> {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let txn = db.begin().await?;
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")).await?;
            Migrator::up(&txn, None).await?;
            txn.commit().await?;
        }
        _ => Migrator::up(db, None).await?,
    }
    Ok(())
}

pub async fn migrate_down(db: &DatabaseConnection, steps: Option<u32>) -> AppResult<()> {
    Migrator::down(db, steps).await?;
    Ok(())
}

/// How many migrations this build knows.
pub fn migration_count() -> usize {
    Migrator::migrations().len()
}

/// Names of applied and pending migrations.
pub async fn migration_status(db: &DatabaseConnection) -> AppResult<(Vec<String>, Vec<String>)> {
    let applied = Migrator::get_applied_migrations(db).await?;
    let pending = Migrator::get_pending_migrations(db).await?;
    Ok((applied.iter().map(|m| m.name().to_string()).collect(), pending.iter().map(|m| m.name().to_string()).collect()))
}

/// Readiness: the database answers and no migration is pending.
pub async fn ready(db: &DatabaseConnection) -> AppResult<()> {
    db.ping().await?;
    let pending = Migrator::get_pending_migrations(db).await?;
    if pending.is_empty() { Ok(()) } else { Err(AppError::Internal(format!("{} migration(s) pending", pending.len()))) }
}
