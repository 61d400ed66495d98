//! Database connection (with the per-statement metric), migrations under a lock, readiness.

use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr, TransactionTrait,
};

use crate::config::DEFAULT_DB_ACQUIRE_TIMEOUT;
use crate::error::{AppError, AppResult, sqlx_error};
use crate::metrics::Metrics;

/// Arbitrary constant shared by every replica: "cdp360 migrate".
const MIGRATION_LOCK_KEY: i64 = 0x0cd9_3600_0001;

/// `/readyz` answers within this, database or not (a probe gives up before its caller does).
pub const READY_WITHIN: Duration = Duration::from_millis(900);

/// A pooled connection idle this long is pinged before use (see [`connect_pool`]).
pub const POOL_PING_IF_IDLE: Duration = Duration::from_secs(30);

/// A pool of up to `max_connections`, waiting [`DEFAULT_DB_ACQUIRE_TIMEOUT`] for a connection.
pub async fn connect(url: &str, max_connections: u32, metrics: Arc<Metrics>) -> AppResult<DatabaseConnection> {
    connect_pool(url, max_connections, DEFAULT_DB_ACQUIRE_TIMEOUT, metrics).await
}

/// A pool of up to `max_connections`. A statement waits at most `acquire_timeout` for a connection
/// (a free one, or a new one while the database refuses: sqlx retries until then) and then fails
/// as `UNAVAILABLE`; once the database answers again the pool reconnects by itself. Failing to open
/// the pool is one line naming the database's address and the cause (never the password).
///
/// On PostgreSQL the pool opens all its connections at start and keeps them: one before this
/// returns, the others concurrently in the background ([`open_the_rest`]). SQLite opens a file, no
/// handshake to hide, and its first connection opens alone (below). None is closed for idleness or age,
/// only when it fails (then the next statement opens one). A pool that grew on demand, and shrank
/// after idle spells, put each new connection's handshake on the statement that needed it: about
/// 95 ms with TLS to PostgreSQL on loopback, two TCP round trips that each wait out the server's
/// delayed ACK. The benchmark's subscription fan-out (README, "S1 fan-out") delivered two of its
/// twenty events 100 ms late, each an event whose read opened the pool's next connection.
pub async fn connect_pool(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    metrics: Arc<Metrics>,
) -> AppResult<DatabaseConnection> {
    let sqlite = url.starts_with("sqlite:");
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        // sqlx keeps `min_connections` from a task of its own that races the connection it opens
        // to check the pool: two first opens of a new SQLite file at once, which may fail with
        // "database is locked" (a CLI `migrate status` did so in CI). SQLite opens one, alone.
        .min_connections(if sqlite { 0 } else { 1 })
        .connect_timeout(acquire_timeout)
        .acquire_timeout(acquire_timeout)
        // sqlx pings a pooled connection on every checkout by default: a round trip before each
        // statement (7 % of the server CPU of a point read, profiled). A hot connection is
        // used as is; one idle this long (a database restart or a proxy may have dropped it) is
        // pinged first, and a connection that fails mid-statement is discarded by sqlx anyway.
        .test_before_acquire_if_idle_for(POOL_PING_IF_IDLE)
        .idle_timeout(None)
        .max_lifetime(None)
        .sqlx_logging(false)
        // WAL lets readers proceed during a write; the busy timeout queues writers instead of
        // failing them with SQLITE_BUSY.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // `REGEXP` for the rule language's `matches` (`repo/rules.rs`), the `regex` crate's.
                .with_regexp()
        })
        // No JIT: this is OLTP. The planner overestimates the summary refresh of a few ids (its
        // grouped subqueries look like whole tables), passes `jit_above_cost` and compiles on every
        // call: the benchmark measured 53 ms with JIT against 1.6 ms without for one account.
        .map_sqlx_postgres_opts(|o| o.options([("jit", "off")]));
    let mut db = match Database::connect(opts).await {
        Ok(db) => db,
        Err(e) => return Err(cannot_connect(url, e, acquire_timeout).await),
    };
    db.set_metric_callback(move |info| statement_ran(&metrics, &info.statement.sql, info.elapsed, info.failed));
    if !sqlite {
        open_the_rest(&db, max_connections);
    }
    Ok(db)
}

/// What every statement leaves behind: the statement metric (its count is the number of
/// statements) and a trace line of the SQL text only — bound values may hold personal data. SeaORM
/// calls it for its statements; `repo::json` for the compiled reads it sends to sqlx itself.
pub fn statement_ran(metrics: &Metrics, sql: &str, elapsed: Duration, failed: bool) {
    metrics.db_statement(elapsed.as_secs_f64());
    tracing::trace!(target: "cdp360::sql", sql = %sql, elapsed_us = elapsed.as_micros() as u64, failed = failed);
}

/// Opens the pool's other connections concurrently, in the background: `connections` pings at
/// once, each of which takes the idle connection or opens a new one. Best effort: when one fails,
/// the first statement that needs a connection opens it, as any pool does. (sqlx's own
/// `min_connections` would open them one after the other before the pool is returned, and keep
/// retrying a refused one for minutes while holding its place in the pool.)
fn open_the_rest(db: &DatabaseConnection, connections: u32) {
    if connections <= 1 {
        return;
    }
    let db = db.clone();
    tokio::spawn(async move {
        futures_util::future::join_all((0..connections).map(|_| db.ping())).await;
    });
}

/// Apply pending migrations on a connection of their own, closed before the caller opens its pool.
/// An SQLite connection that prepared statements before an `ALTER TABLE` on another connection
/// keeps a stale schema: its `SELECT t.*` comes back with more columns than it was prepared with,
/// which the driver does not survive. A pool opened after the migrations never sees an old schema.
pub async fn migrate_on_own_connection(url: &str, acquire_timeout: Duration, metrics: Arc<Metrics>) -> AppResult<()> {
    let db = connect_pool(url, 1, acquire_timeout, metrics).await?;
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

/// Readiness: the database answers within [`READY_WITHIN`] and no migration is pending.
pub async fn ready(db: &DatabaseConnection) -> AppResult<()> {
    let check = async {
        db.ping().await?;
        Ok::<_, AppError>(Migrator::get_pending_migrations(db).await?)
    };
    let pending = tokio::time::timeout(READY_WITHIN, check).await.map_err(|_| {
        AppError::Unavailable(format!("the database did not answer within {} ms", READY_WITHIN.as_millis()))
    })??;
    if pending.is_empty() { Ok(()) } else { Err(AppError::Internal(format!("{} migration(s) pending", pending.len()))) }
}

/// The pool could not be opened: `cannot connect to the database at HOST:PORT (CAUSE)`. sqlx
/// retries a refused connection until the timeout and then reports only "pool timed out", so
/// then one direct connection attempt finds the cause.
async fn cannot_connect(url: &str, e: DbErr, within: Duration) -> AppError {
    use sea_orm::sqlx::ConnectOptions as _;
    let timed_out =
        matches!(&e, DbErr::ConnectionAcquire(_)) || matches!(sqlx_error(&e), Some(sea_orm::sqlx::Error::PoolTimedOut));
    let (target, probe) = match url.parse::<PgConnectOptions>() {
        Ok(pg) if !url.starts_with("sqlite:") => {
            let host = pg.get_host().to_owned();
            let target = match host.starts_with('/') {
                true => format!("{host}/.s.PGSQL.{}", pg.get_port()),
                false => format!("{host}:{}", pg.get_port()),
            };
            (target, timed_out.then_some(pg))
        }
        _ => (sqlite_path(url).to_owned(), None),
    };
    let cause = match probe {
        Some(pg) => match tokio::time::timeout(within, pg.connect()).await {
            Ok(Ok(conn)) => {
                let _ = sea_orm::sqlx::Connection::close(conn).await;
                format!("no connection within {} ms", within.as_millis())
            }
            Ok(Err(probe)) => cause_of(&probe, within),
            Err(_) => format!("no answer within {} ms", within.as_millis()),
        },
        None => match sqlx_error(&e) {
            Some(s) => cause_of(s, within),
            None if timed_out => format!("no connection within {} ms", within.as_millis()),
            None => e.to_string(),
        },
    };
    AppError::Unavailable(format!("cannot connect to the database at {target} ({cause})"))
}

/// Why a connection failed, in a few words: "connection refused", "no answer within 2000 ms", or the
/// database's own message (`password authentication failed for user "app"`, which names no secret).
fn cause_of(e: &sea_orm::sqlx::Error, within: Duration) -> String {
    use sea_orm::sqlx::Error as Sqlx;
    use std::io::ErrorKind;
    match e {
        Sqlx::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => "connection refused".into(),
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::UnexpectedEof => {
                "connection closed by the server".into()
            }
            ErrorKind::TimedOut => format!("no answer within {} ms", within.as_millis()),
            ErrorKind::NotFound => "no such host or socket".into(),
            _ => io.to_string(),
        },
        Sqlx::Database(d) => d.message().to_owned(),
        Sqlx::PoolTimedOut => format!("no connection within {} ms", within.as_millis()),
        Sqlx::Tls(tls) => format!("TLS: {tls}"),
        other => other.to_string(),
    }
}

/// The file of a `sqlite:` URL (what an operator looks for), without its query string.
fn sqlite_path(url: &str) -> &str {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    rest.split('?').next().unwrap_or(rest)
}

/// How long a compiled read's connection waits for the next compiled read before it goes back to
/// the pool ([`KeptConnections`]).
pub const KEEP_FOR: Duration = Duration::from_millis(250);

/// PostgreSQL connections the compiled reads (`repo::json::fetch`) keep between statements, most
/// recently used first, rather than handing each back to the pool.
///
/// Why: sqlx pings every connection it gets back (a `Sync` round trip, in a task of its own),
/// and has no option to skip it. For a point read that is a second round trip to PostgreSQL, a
/// task and a thread wake-up; and the pool's idle queue is first-in first-out, so consecutive
/// reads rotate over every backend and each finds its caches cold. Measured (README, session 20):
/// a point read makes 8.9 syscalls instead of 12.4, and PostgreSQL's CPU per customer 360 fell by
/// about a third.
///
/// A kept connection is still the pool's (checked out), so the pool's bound holds; what keeping
/// must not do is starve the rest of the server of connections:
/// - at most half the pool is kept;
/// - a connection is handed back at once when the pool has no idle connection and cannot open one
///   (someone may be waiting);
/// - one kept longer than [`KEEP_FOR`] unused goes back (a sweeper task, ended with this value).
///
/// Only a connection whose statement completed is kept. One whose statement failed, or whose read
/// was dropped half-way (a client that went away), is dropped: sqlx pings it on its way back and
/// closes it if its protocol state is broken. SQLite has no round trip to save: no connections are
/// kept there.
pub struct KeptConnections {
    pool: Option<sea_orm::sqlx::PgPool>,
    max: u32,
    keep: usize,
    kept: std::sync::Mutex<Vec<Kept>>,
}

type Kept = (sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>, std::time::Instant);

impl KeptConnections {
    /// For the pool of `db`, which holds at most `max_connections`. On PostgreSQL it starts the
    /// sweeper, which must run inside the runtime.
    pub fn new(db: &DatabaseConnection, max_connections: u32) -> Arc<Self> {
        let pool = match db.get_database_backend() {
            DatabaseBackend::Postgres => Some(db.get_postgres_connection_pool().clone()),
            _ => None,
        };
        let this = Arc::new(KeptConnections {
            keep: if pool.is_some() { (max_connections / 2) as usize } else { 0 },
            pool,
            max: max_connections,
            kept: std::sync::Mutex::new(Vec::new()),
        });
        if this.keep > 0 {
            let sweeper = Arc::downgrade(&this);
            tokio::spawn(async move {
                let mut every = tokio::time::interval(KEEP_FOR);
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    every.tick().await;
                    let Some(this) = sweeper.upgrade() else { break };
                    this.hand_back_unused();
                }
            });
        }
        this
    }

    /// The most recently kept connection, or one from `pool` (this value's own, on PostgreSQL).
    pub async fn take(
        &self,
        pool: &sea_orm::sqlx::PgPool,
    ) -> Result<sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>, sea_orm::sqlx::Error> {
        if let Some((conn, _)) = self.lock().pop() {
            return Ok(conn);
        }
        pool.acquire().await
    }

    /// Keeps `conn`, whose statement completed, for the next compiled read; or hands it back to
    /// the pool (dropping it) when enough are kept or the pool is exhausted.
    pub fn keep(&self, conn: sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>) {
        let Some(pool) = &self.pool else { return };
        let exhausted = pool.num_idle() == 0 && pool.size() >= self.max;
        let mut kept = self.lock();
        if kept.len() < self.keep && !exhausted {
            kept.push((conn, std::time::Instant::now()));
        }
    }

    /// How many connections are kept now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands back (drops) every connection kept [`KEEP_FOR`] or longer; they are the oldest, at
    /// the bottom of the stack.
    fn hand_back_unused(&self) {
        let unused: Vec<Kept> = {
            let mut kept = self.lock();
            let fresh = kept.iter().position(|(_, at)| at.elapsed() < KEEP_FOR).unwrap_or(kept.len());
            kept.drain(..fresh).collect()
        };
        drop(unused);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Kept>> {
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
