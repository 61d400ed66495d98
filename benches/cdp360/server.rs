//! The server under test: the release-built `cdp360` binary as a child process, and the database it
//! serves (created and seeded on first use).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

/// Bench-only secrets. They protect nothing (the bench database holds generated data only); they
/// are fixed so that PII seeded by one run can still be decrypted by the next.
const JWT_SECRET: &str = "cdp360-bench-only-jwt-secret-not-secret";
const FIELD_KEYS: &str =
    "k1:YmVuY2gtb25seS1kYXRhLWtleS1ub3Qtc2VjcmV0ISE=;index:YmVuY2gtb25seS1pbmRleC1rZXktbm90LXNlY3JldCE=";

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The environment every `cdp360` invocation of the bench gets.
fn cdp360(database_url: &str, pool: u32) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cdp360"));
    cmd.env("CDP_DATABASE_URL", database_url)
        .env("CDP_JWT_HS256_SECRET", JWT_SECRET)
        .env("CDP_FIELD_KEYS", FIELD_KEYS)
        .env("CDP_ENV", "production")
        .env("CDP_BIND", "127.0.0.1:0")
        .env("CDP_LOG", "warn")
        .env("CDP_DB_MAX_CONNECTIONS", pool.to_string())
        .env("CDP_RATE_LIMIT_PER_MINUTE", "1000000")
        .env("CDP_RATE_LIMIT_BURST", "100000")
        // The data must not change under the measurement: the seeded leases have expired by the
        // time the bench runs, and a sweep racing the equivalence check would clear owners
        // between cdp360's answer and the floor's.
        .env("CDP_LEASE_SWEEP_SECS", "0")
        .env_remove("CDP_METRICS_TOKEN");
    cmd
}

/// The bench's own pool, sized like the server's.
pub async fn connect(url: &str, pool: u32) -> Result<DatabaseConnection, BoxError> {
    let mut opts = ConnectOptions::new(url.to_owned());
    // Pinged as the server's pool is (`db::POOL_PING_IF_IDLE`): the floor pays no round trip
    // the server does not.
    opts.max_connections(pool)
        .min_connections(1)
        .test_before_acquire_if_idle_for(cdp360::db::POOL_PING_IF_IDLE)
        .sqlx_logging(false);
    Ok(Database::connect(opts).await?)
}

/// The as-of date of the benchmark's data (`seed` defaults to today): pinned, so that every run, on
/// any day, measures the same rows.
const SEED_AS_OF: &str = "2026-11-01";

/// Creates the database if missing and seeds it at `scale` (as of [`SEED_AS_OF`]) when it holds no
/// accounts.
pub async fn prepare_database(url: &str, scale: f64, pool: u32) -> Result<(), BoxError> {
    let (base, name) = url.rsplit_once('/').ok_or("the database URL has no database name")?;
    let name = name.split('?').next().unwrap_or(name);
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("unexpected database name {name:?}").into());
    }
    let admin = connect(&format!("{base}/postgres"), 1).await?;
    let exists = admin
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS one FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await?
        .is_some();
    if !exists {
        println!("creating database {name}");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
    }
    admin.close().await?;
    let db = connect(url, pool).await?;
    let scalar = async |sql: &str| -> Result<i64, BoxError> {
        let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
        Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
    };
    let migrated = scalar("SELECT count(to_regclass('account')) AS n").await? > 0;
    let accounts = if migrated { scalar("SELECT count(*) AS n FROM account").await? } else { 0 };
    db.close().await?;
    if accounts > 0 {
        println!("database {name} already seeded ({accounts} accounts): skipping the seed");
        return Ok(());
    }
    println!("seeding {name} at scale {scale} as of {SEED_AS_OF}");
    let status = cdp360(url, pool).args(["seed", "--scale", &scale.to_string(), "--as-of", SEED_AS_OF]).status()?;
    if !status.success() {
        return Err(format!("`cdp360 seed` failed: {status}").into());
    }
    Ok(())
}

/// Starts `cmd` and waits for the `listening on http://<addr>` line it prints: `addr`. The child
/// is killed if that line does not come within a minute.
pub fn spawn_listening(cmd: &mut Command) -> Result<(Child, String), BoxError> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn()?;
    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        return Err("no stdout".into());
    };
    let (found, addr) = std::sync::mpsc::channel();
    // Reads the listening line, then keeps draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let _ = found.send(rest.split_whitespace().next().unwrap_or_default().to_string());
            }
        }
    });
    match addr.recv_timeout(Duration::from_secs(60)) {
        Ok(addr) => Ok((child, addr)),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("{:?} did not start listening", cmd.get_program()).into())
        }
    }
}

/// The running server; killed when dropped (also on error or panic).
pub struct Server {
    child: Child,
    pub base_url: String,
}

impl Server {
    pub fn start(database_url: &str, pool: u32) -> Result<Server, BoxError> {
        let (child, addr) = spawn_listening(cdp360(database_url, pool).args(["serve", "--no-demo"]))?;
        Ok(Server { child, base_url: format!("http://{addr}") })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `VmRSS` (resident set now) of the server process, in MiB.
    pub fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        proc_kb(&status, "VmRSS:") / 1024.0
    }

    /// `VmHWM` (peak resident set) of the server process, in MiB.
    pub fn peak_rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        proc_kb(&status, "VmHWM:") / 1024.0
    }
}

impl Server {
    /// CPU seconds (user + system) the server process has used so far (`/proc/<pid>/stat`,
    /// in clock ticks of 1/100 s, Linux's `USER_HZ`).
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the parenthesised command name: state is the 3rd field, utime the 14th.
        let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / 100.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `Key:   123 kB` line of a `/proc` file, in kB (0 when absent).
pub fn proc_kb(text: &str, key: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// A token with the `admin` scope (M4 configures its acquisition scene).
pub fn admin_token() -> Result<String, BoxError> {
    let secret = cdp360::config::Secret::new(JWT_SECRET.as_bytes().to_vec());
    let request = cdp360::auth::MintRequest {
        subject: "bench-admin".into(),
        scopes: cdp360::auth::Scope::parse_list_strict("read write admin")?,
        channels: None,
        ttl: Duration::from_secs(6 * 3600),
        issuer: None,
        audience: None,
    };
    Ok(cdp360::auth::mint_hs256(&secret, &request)?)
}

/// Tokens for `n` bench principals with every scope the cases need (`pii` so Q4 decrypts). The
/// rate limit is per principal and tops out near 16 k operations/s, below what Q0 reaches; requests
/// rotate over the principals so the limiter is still consulted but never refuses.
pub fn tokens(n: usize) -> Result<Vec<String>, BoxError> {
    let secret = cdp360::config::Secret::new(JWT_SECRET.as_bytes().to_vec());
    (0..n)
        .map(|k| {
            let request = cdp360::auth::MintRequest {
                subject: format!("bench-{k}"),
                scopes: cdp360::auth::Scope::parse_list_strict("read write pii ingest")?,
                channels: None,
                ttl: Duration::from_secs(6 * 3600),
                issuer: None,
                audience: None,
            };
            Ok(cdp360::auth::mint_hs256(&secret, &request)?)
        })
        .collect()
}
