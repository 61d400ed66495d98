//! Configuration. The ONLY place that reads the environment (`CDP_*`, docs/design.md §11). Every value is
//! validated here, so a bad setting stops the start with one line naming the variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rand::RngCore;

use crate::crypto::KeyRing;
use crate::domain::verification::Limits as VerificationLimits;

/// Secrets are the crypto leaf's type (`crypto/secret.rs`); settings hand them out under this path too.
pub use crate::crypto::Secret;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Bounds on what one GraphQL request may ask for.
#[derive(Clone, Debug)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_body_bytes: usize,
    /// Aliased fields per document (aliases multiply work without deepening the query).
    pub max_aliases: usize,
    /// `CDP_MAX_INPUT_DEPTH`: bracket nesting of a query's text and of its variables, checked before
    /// anything parses or recurses on them (`graphql::bounds`). Capped at 128: deeper inputs are
    /// what overflowed a worker's stack.
    pub max_input_depth: usize,
    /// `CDP_MAX_INPUT_ITEMS`: entries of one list, object or selection set in a request (the
    /// largest batch mutation takes 1,000 rows).
    pub max_input_items: usize,
    /// GraphQL operations per principal per minute (sustained), and the burst above it.
    pub rate_per_minute: u32,
    pub rate_burst: u32,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    pub environment: Environment,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub db_max_connections: u32,
    /// `CDP_DB_ACQUIRE_TIMEOUT_MS`: how long a request waits for a database connection (a pooled
    /// one, or a new one while the database refuses) before it answers `UNAVAILABLE`.
    pub db_acquire_timeout: std::time::Duration,
    pub limits: QueryLimits,
    /// Root secret: `CDP_JWT_HS256_SECRET`, or the generated demo key file. Purpose keys derive from it.
    pub root_secret: Secret,
    /// `CDP_IDENTITY_MAX_SHARED_KEY`: a phone, e-mail or WeChat id shared by more people than this
    /// is a switchboard, not an identity, and links nothing (`services::identity`).
    pub identity_max_shared_key: u64,
    /// `CDP_FIELD_KEYS`: AES-GCM data keys and the blind-index key for PII (see `crypto`).
    pub field_keys: KeyRing,
    /// Where the demo key file was written/read, when one is used.
    pub key_file: Option<PathBuf>,
    /// Whether this start generated secrets into the key file (it was missing, or lacked
    /// `field_keys=`), rather than only reading it.
    pub key_file_generated: bool,
    pub jwt: JwtSettings,
    /// `CDP_METRICS_TOKEN`: when set, `/metrics` needs `Authorization: Bearer <it>` (scrapers are
    /// not users, so not a JWT).
    pub metrics_token: Option<Secret>,
    pub live: LiveSettings,
    /// `CDP_HTTP_READ_TIMEOUT_SECS`: how long a client may take to send a request's headers, and
    /// then its whole body; a connection that stalls is answered (408) or closed, not held open.
    pub http_read_timeout: std::time::Duration,
    /// `CDP_READ_PLANNER` (`on`, the default, or `off`): whether root query fields are compiled
    /// into one SQL statement each (`graphql::planner`). `off` serves every read through the
    /// resolvers — the kill switch should the planner ever answer wrongly, and the differential
    /// test's reference.
    pub read_planner: bool,
    pub ingestion: IngestionSettings,
    pub verification: VerificationSettings,
    pub leases: LeaseSettings,
    /// `CDP_BUSINESS_TZ` (default `Asia/Shanghai`): the zone that cuts business days, weeks,
    /// months and quarters (aggregate buckets, performance days); fixed-offset zones only.
    pub business_zone: crate::domain::timezone::BusinessZone,
}

/// The protection period (issue 16): how long an owner holds a lead, and the public pool's rules
/// (`services::leases`).
#[derive(Clone, Debug)]
pub struct LeaseSettings {
    /// `CDP_LEASE_DAYS`: a lease's length when the lead's scene sets no protection period.
    pub default_length: chrono::Duration,
    /// `CDP_LEASE_COOLDOWN_HOURS`: after releasing or losing a lead, its owner cannot claim it
    /// back for this long (0: no cooldown).
    pub cooldown: chrono::Duration,
    /// `CDP_LEASE_MAX_EXTENSIONS`: `extendLease` calls allowed per lease.
    pub max_extensions: i32,
    /// `CDP_LEASE_SWEEP_SECS`: how often the sweeper returns expired leads to the pool (0: off).
    pub sweep_every: std::time::Duration,
    /// Expired leases one sweep statement returns (the rest wait for the next batch).
    pub sweep_batch: u64,
    /// `CDP_LEASE_REASSIGN_EXPIRED`: the sweeper re-assigns a returned lead by the assignment
    /// rules of the scene that created it (passing over the owner who lost it) instead of
    /// leaving it in the public pool.
    pub reassign_expired: bool,
}

impl Default for LeaseSettings {
    fn default() -> Self {
        LeaseSettings {
            default_length: chrono::Duration::days(30),
            cooldown: chrono::Duration::hours(24),
            max_extensions: 2,
            sweep_every: std::time::Duration::from_secs(60),
            sweep_batch: 500,
            reassign_expired: false,
        }
    }
}

/// The lead ingestion pipeline (issue 12).
#[derive(Clone, Debug)]
pub struct IngestionSettings {
    /// `CDP_INGESTION_MAX_QUEUE`: accepted submissions waiting for processing beyond which new
    /// ones are refused (503 with `Retry-After`) instead of growing the queue without end.
    pub max_queue: u64,
    /// `CDP_INGESTION_MAX_ATTEMPTS`: attempts at an ingestion whose processing fails (the database,
    /// a bug) before it is dead-lettered.
    pub max_attempts: i32,
    /// `CDP_INGESTION_RETRY_BASE_MS`: the wait after the first failed attempt; each further one
    /// doubles it (at most [`MAX_RETRY_WAIT`]).
    pub retry_base: std::time::Duration,
    /// `CDP_INGESTION_BATCH`: ingestions one processing round claims and decides together (one
    /// transaction, set-based statements); 1 processes them one at a time.
    pub batch: usize,
    /// `CDP_INGESTION_WORKERS`: rounds processed at once by this process. On PostgreSQL a round
    /// spends most of its time waiting for statements, so a second worker decides and seals while
    /// the first waits (claims skip each other's rows; sorted key locks keep them deadlock-free).
    /// SQLite serialises writers: one.
    pub workers: usize,
}

/// The default of `CDP_INGESTION_WORKERS` on PostgreSQL (SQLite always uses one).
pub const DEFAULT_INGESTION_WORKERS: usize = 2;

/// The default of `CDP_INGESTION_BATCH`: a REST batch's worth of submissions per round.
pub const DEFAULT_INGESTION_BATCH: usize = 100;

/// The longest wait between two attempts at one ingestion.
pub const MAX_RETRY_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

impl Default for IngestionSettings {
    fn default() -> Self {
        IngestionSettings {
            max_queue: 100_000,
            max_attempts: 5,
            retry_base: std::time::Duration::from_secs(1),
            batch: DEFAULT_INGESTION_BATCH,
            workers: DEFAULT_INGESTION_WORKERS,
        }
    }
}

impl IngestionSettings {
    /// The wait before attempt `attempts + 1`, after `attempts` failed ones (≥ 1).
    pub fn retry_after(&self, attempts: i32) -> std::time::Duration {
        let doublings = attempts.clamp(1, 20) as u32 - 1;
        self.retry_base.saturating_mul(1 << doublings).min(MAX_RETRY_WAIT)
    }
}

/// Landing-page verification codes (`POST /api/v1/verification-codes`, `services::verification`).
#[derive(Clone, Debug, Default)]
pub struct VerificationSettings {
    /// `CDP_VERIFICATION_CODE_TTL_SECS`, `_MAX_ATTEMPTS`, `_RESEND_SECS`, `_PHONE_PER_HOUR`,
    /// `_IP_PER_HOUR`.
    pub limits: VerificationLimits,
    /// `CDP_VERIFICATION_SENDER`.
    pub sender: CodeSenderKind,
}

/// How codes reach the visitor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CodeSenderKind {
    /// `log`: the code and the masked phone go to the log (development).
    #[default]
    Log,
    /// `memory`: kept in the process for its embedder to read (tests); refused in production.
    Memory,
}

/// Summaries, the outbox and subscriptions (issue 5).
#[derive(Clone, Debug)]
pub struct LiveSettings {
    /// `CDP_SUMMARY_REFRESH_SECS`: the scheduled full refresh (default hourly; 0 = off).
    pub summary_refresh_interval: std::time::Duration,
    /// `CDP_SUMMARY_COALESCE_MS`: a post-commit refresh waits until writes pause this long (and at
    /// most 20 times as long), so a burst of writes about one record refreshes it once.
    pub summary_coalesce: std::time::Duration,
    /// `CDP_OUTBOX_POLL_MS`: how often the relay looks at the outbox without being woken.
    pub outbox_poll: std::time::Duration,
    /// `CDP_OUTBOX_RETENTION_HOURS`: outbox events older than this are pruned.
    pub outbox_retention: std::time::Duration,
    /// `CDP_SUBSCRIPTION_BUFFER`: events a subscriber may fall behind before it is disconnected.
    pub subscription_buffer: usize,
}

impl Default for LiveSettings {
    fn default() -> Self {
        use std::time::Duration;
        LiveSettings {
            summary_refresh_interval: Duration::from_secs(3600),
            summary_coalesce: Duration::from_millis(50),
            outbox_poll: Duration::from_millis(1000),
            outbox_retention: Duration::from_secs(24 * 3600),
            subscription_buffer: 256,
        }
    }
}

/// Token verification beyond the HS256 root secret (docs/design.md §5, §11).
#[derive(Clone, Debug, Default)]
pub struct JwtSettings {
    /// `CDP_JWT_PUBLIC_KEYS`: a JWKS file or a directory of `<kid>.pem` partner keys.
    pub public_keys: Option<PathBuf>,
    /// `CDP_JWT_ISSUER`: required `iss` when set.
    pub issuer: Option<String>,
    /// `CDP_JWT_AUDIENCE`: required member of `aud` when set.
    pub audience: Option<String>,
}

/// A configuration error: which setting, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

fn err(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { name, problem: problem.into() }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://cdp360.db?mode=rwc";

/// `CDP_DB_ACQUIRE_TIMEOUT_MS` unset: a request waits this long for a connection, then answers
/// `UNAVAILABLE`.
pub const DEFAULT_DB_ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The default of `CDP_IDENTITY_MAX_SHARED_KEY`: a key shared by more records than this stops
/// auto-linking (`services::identity` takes it from here, the setting's owner).
pub const DEFAULT_IDENTITY_MAX_SHARED_KEY: u64 = 3;

impl Config {
    /// Read and validate the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Build from any key lookup (tests pass a map; nothing global is touched).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let database_url = get("CDP_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(err("CDP_DATABASE_URL", "must start with sqlite: or postgres://"));
        }
        let bind = get("CDP_BIND")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .map_err(|e| err("CDP_BIND", format!("not a socket address (host:port): {e}")))?;
        let environment = match get("CDP_ENV").as_deref() {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(err("CDP_ENV", format!("unknown environment {other:?} (development|production)")));
            }
        };
        let log_format = match get("CDP_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(err("CDP_LOG_FORMAT", format!("unknown format {other:?} (pretty|json)"))),
        };
        let num = |name: &'static str, default: usize, min: usize, max: usize| -> Result<usize, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => {
                    let n: usize = v.trim().parse().map_err(|_| err(name, format!("not a number: {v:?}")))?;
                    if n < min || n > max {
                        return Err(err(name, format!("{n} is outside {min}..={max}")));
                    }
                    Ok(n)
                }
            }
        };
        let limits = QueryLimits {
            max_depth: num("CDP_MAX_QUERY_DEPTH", 12, 2, 64)?,
            max_complexity: num("CDP_MAX_QUERY_COMPLEXITY", 50_000, 100, 10_000_000)?,
            max_body_bytes: num("CDP_MAX_BODY_BYTES", 1 << 20, 1024, 64 << 20)?,
            max_aliases: num("CDP_MAX_QUERY_ALIASES", 100, 1, 10_000)?,
            max_input_depth: num("CDP_MAX_INPUT_DEPTH", 64, 8, 128)?,
            max_input_items: num("CDP_MAX_INPUT_ITEMS", 1_000, 10, 10_000)?,
            rate_per_minute: num("CDP_RATE_LIMIT_PER_MINUTE", 1200, 1, 1_000_000)? as u32,
            rate_burst: num("CDP_RATE_LIMIT_BURST", 100, 1, 100_000)? as u32,
        };
        let db_max_connections = num("CDP_DB_MAX_CONNECTIONS", 10, 1, 1000)? as u32;
        let db_acquire_timeout = std::time::Duration::from_millis(num(
            "CDP_DB_ACQUIRE_TIMEOUT_MS",
            DEFAULT_DB_ACQUIRE_TIMEOUT.as_millis() as usize,
            100,
            60_000,
        )? as u64);
        let identity_max_shared_key =
            num("CDP_IDENTITY_MAX_SHARED_KEY", DEFAULT_IDENTITY_MAX_SHARED_KEY as usize, 1, 1000)? as u64;
        let hs256 = match get("CDP_JWT_HS256_SECRET") {
            Some(s) if s.len() < 32 => return Err(err("CDP_JWT_HS256_SECRET", "must be at least 32 bytes")),
            s => s.map(|s| Secret::new(s.into_bytes())),
        };
        let field_keys = match get("CDP_FIELD_KEYS").filter(|s| !s.trim().is_empty()) {
            Some(s) => Some(KeyRing::parse(&s).map_err(|e| err("CDP_FIELD_KEYS", e.to_string()))?),
            None => None,
        };
        if environment == Environment::Production {
            for (name, missing) in [("CDP_JWT_HS256_SECRET", hs256.is_none()), ("CDP_FIELD_KEYS", field_keys.is_none())]
            {
                if missing {
                    return Err(err(name, "required when CDP_ENV=production (demo key files are refused)"));
                }
            }
        }
        // Whatever is not configured comes from the demo key file (created once, kept beside the
        // database so a restart can still decrypt).
        let (root_secret, field_keys, key_file, key_file_generated) = match (hs256, field_keys) {
            (Some(root), Some(ring)) => (root, ring, None, false),
            (root, ring) => {
                let path = get("CDP_KEY_FILE").map(PathBuf::from).unwrap_or_else(|| demo_key_path(&database_url));
                // Absolute, so the start can say exactly where the secrets are (with PostgreSQL the
                // default is the working directory, easy to lose track of).
                let path = std::path::absolute(&path).unwrap_or(path);
                let demo = load_or_create_key_file(&path)?;
                (root.unwrap_or(demo.root), ring.unwrap_or(demo.field_keys), Some(path), demo.generated)
            }
        };
        let public_keys = get("CDP_JWT_PUBLIC_KEYS").filter(|p| !p.is_empty()).map(PathBuf::from);
        if let Some(p) = &public_keys
            && !p.exists()
        {
            return Err(err("CDP_JWT_PUBLIC_KEYS", format!("{} does not exist", p.display())));
        }
        let jwt = JwtSettings {
            public_keys,
            issuer: get("CDP_JWT_ISSUER").filter(|s| !s.trim().is_empty()),
            audience: get("CDP_JWT_AUDIENCE").filter(|s| !s.trim().is_empty()),
        };
        let metrics_token = match get("CDP_METRICS_TOKEN").filter(|t| !t.is_empty()) {
            Some(t) if t.len() < 16 => return Err(err("CDP_METRICS_TOKEN", "must be at least 16 characters")),
            t => t.map(|t| Secret::new(t.into_bytes())),
        };
        // A duration in `unit`s.
        let dur = |name: &'static str, default: usize, max: usize, unit: std::time::Duration| {
            num(name, default, 0, max).map(|n| unit * n as u32)
        };
        let (ms, secs) = (std::time::Duration::from_millis(1), std::time::Duration::from_secs(1));
        let live = LiveSettings {
            summary_refresh_interval: dur("CDP_SUMMARY_REFRESH_SECS", 3600, 7 * 86400, secs)?,
            summary_coalesce: dur("CDP_SUMMARY_COALESCE_MS", 50, 10_000, ms)?.max(ms),
            outbox_poll: dur("CDP_OUTBOX_POLL_MS", 1000, 600_000, ms)?.max(10 * ms),
            outbox_retention: dur("CDP_OUTBOX_RETENTION_HOURS", 24, 24 * 90, 3600 * secs)?.max(3600 * secs),
            subscription_buffer: num("CDP_SUBSCRIPTION_BUFFER", 256, 1, 100_000)?,
        };
        let http_read_timeout = dur("CDP_HTTP_READ_TIMEOUT_SECS", 10, 600, secs)?.max(secs);
        let read_planner = match get("CDP_READ_PLANNER").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(err("CDP_READ_PLANNER", format!("unknown value {other:?} (on|off)"))),
        };
        let ingestion = IngestionSettings {
            max_queue: num("CDP_INGESTION_MAX_QUEUE", 100_000, 1, 100_000_000)? as u64,
            max_attempts: num("CDP_INGESTION_MAX_ATTEMPTS", 5, 1, 100)? as i32,
            retry_base: dur("CDP_INGESTION_RETRY_BASE_MS", 1000, 600_000, ms)?.max(ms),
            batch: num("CDP_INGESTION_BATCH", DEFAULT_INGESTION_BATCH, 1, 1000)?,
            workers: num("CDP_INGESTION_WORKERS", DEFAULT_INGESTION_WORKERS, 1, 16)?,
        };
        let verification = VerificationSettings {
            limits: VerificationLimits {
                lifetime: dur("CDP_VERIFICATION_CODE_TTL_SECS", 300, 3600, secs)?.max(secs),
                max_attempts: num("CDP_VERIFICATION_MAX_ATTEMPTS", 5, 1, 20)? as u32,
                resend_gap: dur("CDP_VERIFICATION_RESEND_SECS", 60, 3600, secs)?,
                per_phone_per_hour: num("CDP_VERIFICATION_PHONE_PER_HOUR", 5, 1, 1000)? as u32,
                per_ip_per_hour: num("CDP_VERIFICATION_IP_PER_HOUR", 20, 1, 100_000)? as u32,
            },
            sender: match get("CDP_VERIFICATION_SENDER").as_deref() {
                None | Some("log") => CodeSenderKind::Log,
                Some("memory") if environment == Environment::Production => {
                    return Err(err("CDP_VERIFICATION_SENDER", "memory is for tests; not with CDP_ENV=production"));
                }
                Some("memory") => CodeSenderKind::Memory,
                Some(other) => {
                    return Err(err("CDP_VERIFICATION_SENDER", format!("unknown sender {other:?} (log|memory)")));
                }
            },
        };
        let leases = LeaseSettings {
            default_length: chrono::Duration::days(num("CDP_LEASE_DAYS", 30, 1, 3650)? as i64),
            cooldown: chrono::Duration::hours(num("CDP_LEASE_COOLDOWN_HOURS", 24, 0, 24 * 365)? as i64),
            max_extensions: num("CDP_LEASE_MAX_EXTENSIONS", 2, 0, 100)? as i32,
            sweep_every: dur("CDP_LEASE_SWEEP_SECS", 60, 86_400, secs)?,
            reassign_expired: match get("CDP_LEASE_REASSIGN_EXPIRED").as_deref() {
                None | Some("off") => false,
                Some("on") => true,
                Some(other) => {
                    return Err(err("CDP_LEASE_REASSIGN_EXPIRED", format!("unknown value {other:?} (on|off)")));
                }
            },
            ..LeaseSettings::default()
        };
        let business_zone = match get("CDP_BUSINESS_TZ") {
            None => crate::domain::timezone::BusinessZone::default(),
            Some(name) => crate::domain::timezone::BusinessZone::parse(&name)
                .map_err(|problem| err("CDP_BUSINESS_TZ", problem))?,
        };
        Ok(Config {
            business_zone,
            leases,
            ingestion,
            verification,
            read_planner,
            live,
            http_read_timeout,
            metrics_token,
            jwt,
            database_url,
            bind,
            environment,
            log_format,
            log_filter: get("CDP_LOG").unwrap_or_else(|| "info,sqlx=warn,sea_orm=warn".into()),
            db_max_connections,
            db_acquire_timeout,
            limits,
            root_secret,
            field_keys,
            identity_max_shared_key,
            key_file,
            key_file_generated,
        })
    }

    /// A configuration for tests and embedding: explicit database and secret, any free port.
    pub fn for_database(database_url: impl Into<String>, root_secret: Secret) -> Config {
        Config {
            database_url: database_url.into(),
            bind: "127.0.0.1:0".parse().expect("literal address"),
            environment: Environment::Development,
            log_format: LogFormat::Pretty,
            log_filter: "warn".into(),
            db_max_connections: 5,
            db_acquire_timeout: DEFAULT_DB_ACQUIRE_TIMEOUT,
            limits: QueryLimits {
                max_depth: 12,
                max_complexity: 50_000,
                max_body_bytes: 1 << 20,
                max_aliases: 100,
                max_input_depth: 64,
                max_input_items: 1_000,
                // Tests and embedders drive many operations at once; they set their own limit.
                rate_per_minute: 1_000_000,
                rate_burst: 100_000,
            },
            root_secret,
            field_keys: KeyRing::generate().expect("the OS random number generator works"),
            identity_max_shared_key: DEFAULT_IDENTITY_MAX_SHARED_KEY,
            key_file: None,
            key_file_generated: false,
            jwt: JwtSettings::default(),
            metrics_token: None,
            // Commits in the process wake the relay, and other replicas NOTIFY it: tests and
            // embedders need no poll, and a rare one keeps statement counts exact.
            live: LiveSettings { outbox_poll: std::time::Duration::from_secs(60), ..LiveSettings::default() },
            http_read_timeout: std::time::Duration::from_secs(10),
            read_planner: true,
            ingestion: IngestionSettings::default(),
            verification: VerificationSettings::default(),
            // Tests drive the sweeper with their own clock (`services::leases::sweep`).
            leases: LeaseSettings { sweep_every: std::time::Duration::ZERO, ..LeaseSettings::default() },
            business_zone: crate::domain::timezone::BusinessZone::default(),
        }
    }
}

/// The demo key file lives beside the SQLite database (so a restart can still read its data).
fn demo_key_path(database_url: &str) -> PathBuf {
    let db_path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|p| !p.is_empty() && !p.contains(":memory:"));
    match db_path {
        Some(p) => PathBuf::from(format!("{p}.keys")),
        None => PathBuf::from("cdp360.keys"),
    }
}

/// The secrets of demo mode.
struct DemoKeys {
    root: Secret,
    field_keys: KeyRing,
    /// Generated now (the file was missing or incomplete), not only read.
    generated: bool,
}

/// Read the demo key file, generating it (or the lines an older version did not write) once, as a
/// `0600` file: `root=<hex>` (HS256 secret, cursor keys) and `field_keys=<CDP_FIELD_KEYS syntax>`.
fn load_or_create_key_file(path: &Path) -> Result<DemoKeys, ConfigError> {
    const NAME: &str = "CDP_KEY_FILE";
    let text = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(err(NAME, format!("cannot read {}: {e}", path.display()))),
    };
    let line = |prefix: &str| text.as_deref().and_then(|t| t.lines().find_map(|l| l.strip_prefix(prefix)));
    let malformed = || err(NAME, format!("{} holds a malformed key", path.display()));
    let root = match line("root=") {
        Some(hex) => Some(Secret::new(decode_hex(hex.trim()).ok_or_else(malformed)?)),
        None => None,
    };
    let field_keys = match line("field_keys=") {
        Some(ring) => Some(KeyRing::parse(ring).map_err(|_| malformed())?),
        None => None,
    };
    if let (Some(root), Some(field_keys)) = (&root, &field_keys) {
        return Ok(DemoKeys { root: root.clone(), field_keys: field_keys.clone(), generated: false });
    }
    if root.is_none() && text.is_some() {
        // Never replace a root secret silently: tokens and cursors depend on it.
        return Err(err(NAME, format!("{} has no root= line", path.display())));
    }
    let root = root.unwrap_or_else(|| {
        let mut bytes = vec![0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Secret::new(bytes)
    });
    let field_keys = match field_keys {
        Some(ring) => ring,
        None => KeyRing::generate().map_err(|e| err(NAME, e.to_string()))?,
    };
    let ring = field_keys.to_config_string();
    let body = format!(
        "# cdp360 demo keys, generated once. Not for production (set CDP_JWT_HS256_SECRET and\n\
         # CDP_FIELD_KEYS there). Losing this file loses every encrypted phone, e-mail and WeChat id.\n\
         root={}\nfield_keys={}\n",
        root.expose().iter().map(|b| format!("{b:02x}")).collect::<String>(),
        String::from_utf8_lossy(ring.expose()),
    );
    write_private(path, &body).map_err(|e| err(NAME, format!("cannot write {}: {e}", path.display())))?;
    Ok(DemoKeys { root, field_keys, generated: true })
}

/// Writes `body` to a fresh `0600` file beside `path` and renames it over `path`, so a reader never
/// sees half a key file and the keys are never world-readable, not even briefly.
fn write_private(path: &Path, body: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("keys.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(&tmp)?;
    file.write_all(body.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() < 64 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    const SECRET: (&str, &str) = ("CDP_JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef");

    #[test]
    fn a_bad_bind_address_names_the_variable() {
        let e = Config::from_lookup(lookup(&[SECRET, ("CDP_BIND", "nowhere")])).unwrap_err();
        assert_eq!(e.name, "CDP_BIND");
    }

    #[test]
    fn a_short_jwt_secret_is_refused() {
        let e = Config::from_lookup(lookup(&[("CDP_JWT_HS256_SECRET", "short")])).unwrap_err();
        assert_eq!(e.name, "CDP_JWT_HS256_SECRET");
    }

    #[test]
    fn production_without_secrets_refuses_to_start() {
        let e = Config::from_lookup(lookup(&[("CDP_ENV", "production")])).unwrap_err();
        assert_eq!(e.name, "CDP_JWT_HS256_SECRET");
    }

    #[test]
    fn an_unknown_database_scheme_is_refused() {
        let e = Config::from_lookup(lookup(&[SECRET, ("CDP_DATABASE_URL", "mysql://x")])).unwrap_err();
        assert_eq!(e.name, "CDP_DATABASE_URL");
    }

    #[test]
    fn a_business_timezone_with_daylight_saving_time_is_refused_and_the_default_is_beijing() {
        let e = Config::from_lookup(lookup(&[SECRET, ("CDP_BUSINESS_TZ", "Europe/Berlin")])).unwrap_err();
        assert_eq!(e.name, "CDP_BUSINESS_TZ");
        assert!(e.problem.contains("Asia/Shanghai"), "{}", e.problem);
        // Both secrets configured: no demo key file is written.
        let ring = KeyRing::generate().unwrap().to_config_string();
        let keys = ("CDP_FIELD_KEYS", std::str::from_utf8(ring.expose()).unwrap());
        let c = Config::from_lookup(lookup(&[SECRET, keys])).unwrap();
        assert_eq!(c.business_zone.name(), "Asia/Shanghai");
        let c = Config::from_lookup(lookup(&[SECRET, keys, ("CDP_BUSINESS_TZ", "Asia/Tokyo")])).unwrap();
        assert_eq!(c.business_zone.offset_seconds(), 9 * 3600);
    }

    #[test]
    fn limits_out_of_range_are_refused() {
        let e = Config::from_lookup(lookup(&[SECRET, ("CDP_MAX_QUERY_DEPTH", "1000")])).unwrap_err();
        assert_eq!(e.name, "CDP_MAX_QUERY_DEPTH");
    }

    #[test]
    fn the_demo_key_file_is_created_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}/x.db?mode=rwc", dir.path().display());
        let a = Config::from_lookup(lookup(&[("CDP_DATABASE_URL", &db)])).unwrap();
        let path = a.key_file.clone().unwrap();
        assert_eq!(path, dir.path().join("x.db.keys"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let b = Config::from_lookup(lookup(&[("CDP_DATABASE_URL", &db)])).unwrap();
        assert!(a.key_file_generated && !b.key_file_generated, "the second start only reads the file");
        assert_eq!(a.root_secret.expose(), b.root_secret.expose());
        assert_eq!(a.field_keys.to_config_string().expose(), b.field_keys.to_config_string().expose());
    }

    #[test]
    fn a_key_file_without_field_keys_gains_them_and_keeps_its_root_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.keys");
        let root = "ab".repeat(32);
        std::fs::write(&path, format!("root={root}\n")).unwrap();
        let c = Config::from_lookup(lookup(&[("CDP_KEY_FILE", path.to_str().unwrap())])).unwrap();
        assert_eq!(c.root_secret.expose(), &[0xab; 32][..]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(&format!("root={root}")) && text.contains("field_keys=k1:"), "{text}");
    }

    #[test]
    fn the_identity_cap_is_read_and_bounded() {
        let c = Config::from_lookup(lookup(&[SECRET, ("CDP_IDENTITY_MAX_SHARED_KEY", "5")])).unwrap();
        assert_eq!(c.identity_max_shared_key, 5);
        let e = Config::from_lookup(lookup(&[SECRET, ("CDP_IDENTITY_MAX_SHARED_KEY", "0")])).unwrap_err();
        assert_eq!(e.name, "CDP_IDENTITY_MAX_SHARED_KEY");
    }

    #[test]
    fn production_without_field_keys_refuses_to_start() {
        let e = Config::from_lookup(lookup(&[("CDP_ENV", "production"), SECRET])).unwrap_err();
        assert_eq!(e.name, "CDP_FIELD_KEYS");
    }

    #[test]
    fn the_database_acquire_timeout_defaults_to_two_seconds_and_is_bounded() {
        // Both secrets configured: no demo key file is written.
        let ring = KeyRing::generate().unwrap().to_config_string();
        let keys = ("CDP_FIELD_KEYS", std::str::from_utf8(ring.expose()).unwrap());
        let c = Config::from_lookup(lookup(&[SECRET, keys])).unwrap();
        assert_eq!(c.db_acquire_timeout, std::time::Duration::from_secs(2));
        let c = Config::from_lookup(lookup(&[SECRET, keys, ("CDP_DB_ACQUIRE_TIMEOUT_MS", "500")])).unwrap();
        assert_eq!(c.db_acquire_timeout, std::time::Duration::from_millis(500));
        for bad in ["0", "99", "60001", "2s"] {
            let e = Config::from_lookup(lookup(&[SECRET, keys, ("CDP_DB_ACQUIRE_TIMEOUT_MS", bad)])).unwrap_err();
            assert_eq!(e.name, "CDP_DB_ACQUIRE_TIMEOUT_MS", "{bad}");
        }
    }

    #[test]
    fn malformed_field_keys_are_refused_without_echoing_them() {
        let e = Config::from_lookup(lookup(&[SECRET, ("CDP_FIELD_KEYS", "k1:c2VjcmV0")])).unwrap_err();
        assert_eq!(e.name, "CDP_FIELD_KEYS");
        assert!(!e.problem.contains("c2VjcmV0"), "{}", e.problem);
    }

    #[test]
    fn verification_settings_are_read_and_bounded() {
        let ring = KeyRing::generate().unwrap().to_config_string();
        let keys = ("CDP_FIELD_KEYS", std::str::from_utf8(ring.expose()).unwrap());
        let c = Config::from_lookup(lookup(&[SECRET, keys, ("CDP_VERIFICATION_CODE_TTL_SECS", "120")])).unwrap();
        assert_eq!(c.verification.limits.lifetime, std::time::Duration::from_secs(120));
        assert_eq!(c.verification.limits.max_attempts, 5);
        assert_eq!(c.verification.sender, CodeSenderKind::Log);
        for (name, bad) in [
            ("CDP_VERIFICATION_CODE_TTL_SECS", "3601"),
            ("CDP_VERIFICATION_MAX_ATTEMPTS", "0"),
            ("CDP_VERIFICATION_RESEND_SECS", "3601"),
            ("CDP_VERIFICATION_PHONE_PER_HOUR", "0"),
            ("CDP_VERIFICATION_IP_PER_HOUR", "x"),
            ("CDP_VERIFICATION_SENDER", "sms"),
        ] {
            let e = Config::from_lookup(lookup(&[SECRET, keys, (name, bad)])).unwrap_err();
            assert_eq!(e.name, name, "{bad}");
        }
        let prod = [("CDP_ENV", "production"), SECRET, keys, ("CDP_VERIFICATION_SENDER", "memory")];
        assert_eq!(Config::from_lookup(lookup(&prod)).unwrap_err().name, "CDP_VERIFICATION_SENDER");
    }

    #[test]
    fn a_short_metrics_token_is_refused() {
        let e = Config::from_lookup(lookup(&[SECRET, ("CDP_METRICS_TOKEN", "short")])).unwrap_err();
        assert_eq!(e.name, "CDP_METRICS_TOKEN");
    }
}
