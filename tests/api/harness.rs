//! `TestApp::spawn()`: the real server on port 0 against a fresh database — a temp SQLite file, or
//! with `CDP_TEST_DATABASE_URL` a fresh PostgreSQL database cloned from a migrated template (so the
//! 38-table migration runs once per test process, not once per test).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use cdp360::auth::{MintRequest, Scope, mint_hs256};
use cdp360::config::{Config, Secret};
use cdp360::crypto::KeyRing;
use cdp360::metrics::Metrics;
use cdp360::services::pii::Pii;
use cdp360::services::verification::MemorySender;
use cdp360::startup::{Application, StartOptions};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::{Mutex, OnceCell, oneshot};

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// A connection of the test's own (fixtures, direct checks); not counted in the server's metrics.
    pub db: DatabaseConnection,
    /// The server's field key ring (`CDP_FIELD_KEYS`), to seal fixtures and inspect raw rows.
    pub keys: KeyRing,
    pub database_url: String,
    /// The codes the server sent, when its verification sender is `memory`.
    pub mailbox: Option<Arc<MemorySender>>,
    stop: Option<oneshot::Sender<()>>,
    /// The PostgreSQL database to drop afterwards (SQLite files go with their TempDir).
    pg_database: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static CREATE_LOCK: Mutex<()> = Mutex::const_new(());
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn pg_base() -> Option<String> {
    std::env::var("CDP_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

fn with_database(base: &str, name: &str) -> String {
    let (head, _) = base.rsplit_once('/').expect("database URL has a path");
    format!("{head}/{name}")
}

async fn template(base: &str) -> String {
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("cdp360_tpl_{}", std::process::id());
            let admin = Database::connect(base).await.expect("connect to CDP_TEST_DATABASE_URL");
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await.unwrap();
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
            let db = Database::connect(with_database(base, &name)).await.unwrap();
            cdp360::db::migrate_up(&db).await.expect("migrate template");
            db.close().await.unwrap();
            admin.close().await.unwrap();
            name
        })
        .await
        .clone()
}

/// A fresh database with no tables (PostgreSQL only; SQLite files start empty anyway).
pub async fn empty_postgres_database() -> Option<String> {
    let base = pg_base()?;
    let name = format!("cdp360_t_{}_{}_empty", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    let admin = Database::connect(&base).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    admin.close().await.unwrap();
    Some(with_database(&base, &name))
}

/// A fresh, migrated database; the TempDir keeps a SQLite file alive.
async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    match pg_base() {
        Some(base) => {
            let tpl = template(&base).await;
            let name = format!("cdp360_t_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
            let _guard = CREATE_LOCK.lock().await;
            let admin = Database::connect(&base).await.unwrap();
            admin.execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {tpl}")).await.unwrap();
            admin.close().await.unwrap();
            (with_database(&base, &name), None)
        }
        None => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
            (url, Some(dir))
        }
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Spawn with a tweaked configuration.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_full(tweak, StartOptions { migrate: true, demo_data: false }).await
    }

    /// Spawn like `cdp360 serve` does by default: demo data goes into the empty database.
    pub async fn spawn_with_demo_data() -> TestApp {
        Self::spawn_full(|_| {}, StartOptions { migrate: true, demo_data: true }).await
    }

    async fn spawn_full(tweak: impl FnOnce(&mut Config), opts: StartOptions) -> TestApp {
        if std::env::var_os("CDP_TEST_LOG").is_some() {
            cdp360::telemetry::init(cdp360::config::LogFormat::Pretty, &std::env::var("CDP_TEST_LOG").unwrap());
        } else {
            capture_logs();
        }
        let (url, dir) = fresh_database().await;
        let config = test_config(&url, None, tweak);
        let pg_database = postgres_database_of(&url, &dir);
        Self::start(url, config, opts, Owned { pg_database, _dir: dir }).await
    }

    /// A second in-process server on this app's database — the same test secret (tokens and
    /// cursors of one are valid on the other) and field keys — that neither migrates nor seeds.
    /// It owns nothing: `self` keeps the database (and its SQLite file) and must outlive it.
    pub async fn spawn_beside(&self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let config = test_config(&self.database_url, Some(self.keys.clone()), tweak);
        let opts = StartOptions { migrate: false, demo_data: false };
        Self::start(self.database_url.clone(), config, opts, Owned { pg_database: None, _dir: None }).await
    }

    /// Another replica as a real `cdp360 serve` process on this app's database (PostgreSQL), with
    /// extra environment; killed when dropped.
    pub fn spawn_process_replica(&self, env: &[(&str, &str)]) -> ProcessReplica {
        serve_process(&self.database_url, &self.keys, env)
    }

    async fn start(url: String, config: Config, opts: StartOptions, owned: Owned) -> TestApp {
        let keys = config.field_keys.clone();
        let (addr_tx, addr_rx) = oneshot::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        // The server gets its own runtime on its own thread (like the real binary), so the test's
        // runtime only drives the client.
        std::thread::Builder::new()
            .name("test-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_stack_size(8 << 20)
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let app = Application::build(config, opts).await.expect("application builds");
                    let _ = addr_tx.send((app.local_addr(), app.state().codes.mailbox()));
                    app.run_until(async move {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
                });
            })
            .unwrap();
        let (addr, mailbox) = addr_rx.await.expect("server started");
        let db = cdp360::db::connect(&url, 5, Arc::new(Metrics::new())).await.unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        let bearer = format!("Bearer {}", token(&Scope::ALL, None));
        headers.insert(reqwest::header::AUTHORIZATION, bearer.parse().unwrap());
        let client = reqwest::Client::builder().default_headers(headers).build().unwrap();
        let Owned { pg_database, _dir } = owned;
        TestApp { addr, client, db, keys, database_url: url, mailbox, stop: Some(stop_tx), pg_database, _dir }
    }

    /// Starts the server's graceful shutdown now (as SIGTERM does in the binary).
    pub fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Seals fixtures the way the server's write path does (ciphertext + blind index).
    pub fn pii(&self) -> Pii {
        Pii::new(&self.keys)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POST a GraphQL request; the whole response body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let res = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        assert_ne!(res.status().as_u16(), 500, "a request never answers 500");
        res.json().await.unwrap()
    }

    /// POST a GraphQL request that must succeed; its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// POST a GraphQL request with another token; its `data` (must succeed).
    pub async fn data_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.gql_as(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// POST a GraphQL request with another token; the whole response body.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        post_graphql(&self.url("/graphql"), token, query, variables).await
    }

    /// Waits until the post-commit summary refreshes of the writes so far have committed
    /// (`cdp360_summaries_refresh_pending` back at 0). Writes queue them before they answer.
    pub async fn settle(&self) {
        for _ in 0..1000 {
            let text = self.client.get(self.url("/metrics")).send().await.unwrap().text().await.unwrap();
            if metric_value(&text, "cdp360_summaries_refresh_pending") == Some(0.0) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the post-commit summary refreshes did not finish within 10 s");
    }

    /// The value of an unlabelled series of the server's `/metrics`.
    pub async fn metric(&self, name: &str) -> Option<f64> {
        let text = self.client.get(self.url("/metrics")).send().await.unwrap().text().await.unwrap();
        metric_value(&text, name)
    }

    /// The number of SQL statements the server has run so far (from `/metrics`).
    pub async fn statements(&self) -> u64 {
        let text = self.client.get(self.url("/metrics")).send().await.unwrap().text().await.unwrap();
        metric_value(&text, "cdp360_db_statement_seconds_count").unwrap_or(0.0) as u64
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        drop_postgres_database(self.pg_database.take());
    }
}

/// The configuration of a test server on `url`: the test secret, `keys` (else a fresh key ring),
/// then `tweak`.
fn test_config(url: &str, keys: Option<KeyRing>, tweak: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::for_database(url.to_string(), test_secret());
    if let Some(keys) = keys {
        config.field_keys = keys;
    }
    tweak(&mut config);
    config
}

/// What a test server owns of its database, dropped with it.
struct Owned {
    /// The PostgreSQL database to drop afterwards.
    pg_database: Option<String>,
    /// The directory of a SQLite file.
    _dir: Option<tempfile::TempDir>,
}

/// The name of the fresh PostgreSQL database at `url` (None for SQLite, whose file is in `dir`).
fn postgres_database_of(url: &str, dir: &Option<tempfile::TempDir>) -> Option<String> {
    dir.is_none().then(|| url.rsplit('/').next().unwrap_or_default().to_string())
}

/// Drops a test's PostgreSQL database (nothing for SQLite, whose file goes with its TempDir).
fn drop_postgres_database(name: Option<String>) {
    if let (Some(name), Some(base)) = (name, pg_base()) {
        // Drop runs inside the test's runtime, which cannot block on another one: use a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(admin) = Database::connect(&base).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// A fresh, migrated database with no server in this process, for tests whose servers are all
/// `cdp360 serve` processes (a crash test: nothing in-process may repair what they leave behind).
pub struct ProcessDatabase {
    pub url: String,
    /// A connection of the test's own.
    pub db: DatabaseConnection,
    /// The field key ring every process gets (`CDP_FIELD_KEYS`).
    pub keys: KeyRing,
    pg_database: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl ProcessDatabase {
    pub async fn new() -> ProcessDatabase {
        let (url, dir) = fresh_database().await;
        if dir.is_some() {
            // A fresh SQLite file is empty (PostgreSQL databases are cloned from a migrated one);
            // migrated on a connection of its own, closed before the test's opens.
            let migrating = Database::connect(&url).await.unwrap();
            cdp360::db::migrate_up(&migrating).await.expect("migrate");
            migrating.close().await.unwrap();
        }
        let db = cdp360::db::connect(&url, 5, Arc::new(Metrics::new())).await.unwrap();
        let pg_database = postgres_database_of(&url, &dir);
        ProcessDatabase { url, db, keys: KeyRing::generate().unwrap(), pg_database, _dir: dir }
    }

    /// A `cdp360 serve` process on this database, with extra environment; killed when dropped.
    pub fn serve(&self, env: &[(&str, &str)]) -> ProcessReplica {
        serve_process(&self.url, &self.keys, env)
    }
}

impl Drop for ProcessDatabase {
    fn drop(&mut self) {
        drop_postgres_database(self.pg_database.take());
    }
}

/// `cdp360 serve --no-migrate --no-demo` on `database_url` with the test secret, `keys` and extra
/// environment, on a free port (read from its first line of output).
fn serve_process(database_url: &str, keys: &KeyRing, env: &[(&str, &str)]) -> ProcessReplica {
    use std::io::BufRead;
    let secret = String::from_utf8(test_secret().expose().to_vec()).unwrap();
    let keys = String::from_utf8(keys.to_config_string().expose().to_vec()).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cdp360"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CDP_DATABASE_URL", database_url)
        .env("CDP_BIND", "127.0.0.1:0")
        .env("CDP_JWT_HS256_SECRET", secret)
        .env("CDP_FIELD_KEYS", keys)
        .env("CDP_LOG", "warn")
        .envs(env.iter().copied())
        .args(["serve", "--no-migrate", "--no-demo"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("the cdp360 binary starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    // Keep reading its stdout so the process never blocks on a full pipe.
    std::thread::spawn(move || for _ in stdout.lines() {});
    ProcessReplica { child, addr }
}

/// POST a GraphQL request with `token` to `url`; the whole response body.
async fn post_graphql(url: &str, token: &str, query: &str, variables: Value) -> Value {
    try_post_graphql(url, token, query, variables).await.unwrap()
}

/// [`post_graphql`] that reports a failed connection or an unreadable answer instead of panicking.
async fn try_post_graphql(url: &str, token: &str, query: &str, variables: Value) -> reqwest::Result<Value> {
    let body = json!({ "query": query, "variables": variables });
    reqwest::Client::new().post(url).bearer_auth(token).json(&body).send().await?.json().await
}

/// A `cdp360 serve` child process (see [`TestApp::spawn_process_replica`]).
pub struct ProcessReplica {
    child: std::process::Child,
    pub addr: String,
}

impl ProcessReplica {
    /// `kill -9`: the process stops at once, with no shutdown of any kind (reaped when dropped).
    pub fn kill_9(&self) {
        let pid = self.child.id().to_string();
        assert!(std::process::Command::new("kill").args(["-KILL", &pid]).status().unwrap().success());
    }

    /// POST a GraphQL request (all scopes); its whole response body, or the transport error (the
    /// process may be gone).
    pub async fn try_gql(&self, query: &str, variables: Value) -> reqwest::Result<Value> {
        try_post_graphql(&format!("http://{}/graphql", self.addr), &token(&Scope::ALL, None), query, variables).await
    }

    /// POST a GraphQL request (all scopes); its `data` (must succeed).
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let url = format!("http://{}/graphql", self.addr);
        let body = post_graphql(&url, &token(&Scope::ALL, None), query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }
}

impl Drop for ProcessReplica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static CAPTURED: std::sync::OnceLock<Arc<std::sync::Mutex<Vec<u8>>>> = std::sync::OnceLock::new();

/// Routes every log line of the test process, at TRACE for cdp360 (SQL text included) and DEBUG
/// for libraries, into one buffer, so a test can check what the servers would have logged.
fn capture_logs() {
    struct Sink(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    CAPTURED.get_or_init(|| {
        let buf = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = buf.clone();
        let filter = "debug,cdp360=trace,hyper=info,hyper_util=info,h2=info,tungstenite=info,tokio_tungstenite=info";
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .try_init();
        buf
    });
}

/// Everything the test servers of this process have logged so far (None when `CDP_TEST_LOG` sends
/// the logs to stderr instead).
pub fn captured_logs() -> Option<String> {
    let buf = CAPTURED.get()?;
    Some(String::from_utf8_lossy(&buf.lock().unwrap_or_else(|e| e.into_inner())).into_owned())
}

/// The secret every test server verifies HS256 tokens with (32 × `*`, so it is also a valid
/// `CDP_JWT_HS256_SECRET` for the binary).
pub fn test_secret() -> Secret {
    Secret::new(vec![b'*'; 32])
}

/// A token for the test servers with the given scopes (and channel restriction).
pub fn token(scopes: &[Scope], channels: Option<&[&str]>) -> String {
    token_for(scopes, channels, std::time::Duration::from_secs(3600))
}

/// [`token`] with a lifetime.
pub fn token_for(scopes: &[Scope], channels: Option<&[&str]>, ttl: std::time::Duration) -> String {
    let request = MintRequest {
        subject: "test".into(),
        scopes: scopes.iter().copied().collect(),
        channels: channels.map(|c| c.iter().map(|s| s.to_string()).collect()),
        ttl,
        issuer: None,
        audience: None,
    };
    mint_hs256(&test_secret(), &request).unwrap()
}

/// The value of an unlabelled series in Prometheus text.
pub fn metric_value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// The `extensions.code` of the first error.
pub fn error_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}")).to_string()
}

/// Every row of every table (migration bookkeeping included), as sorted JSON texts per table, for
/// "nothing was written" and "everything came back" assertions, without the `skip` tables;
/// `strip(table, row)` may remove columns that legitimately differ (e.g. when a refresh ran).
pub async fn snapshot(
    app: &TestApp,
    skip: &[&str],
    strip: impl Fn(&str, &mut Value),
) -> std::collections::BTreeMap<String, Vec<String>> {
    use sea_orm::{DbBackend, Statement};
    // A refresh still running for an earlier write would change the picture under our feet.
    app.settle().await;
    let backend = app.db.get_database_backend();
    let list = match backend {
        DbBackend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let tables = app.db.query_all_raw(Statement::from_string(backend, list)).await.unwrap();
    let mut out = std::collections::BTreeMap::new();
    for t in tables {
        let name: String = t.try_get("", "name").unwrap();
        if skip.contains(&name.as_str()) {
            continue;
        }
        let rows = <Value as sea_orm::FromQueryResult>::find_by_statement(Statement::from_string(
            backend,
            format!("SELECT * FROM \"{name}\""),
        ))
        .all(&app.db)
        .await
        .unwrap();
        let mut rows: Vec<String> = rows
            .into_iter()
            .map(|mut row| {
                strip(&name, &mut row);
                row.to_string()
            })
            .collect();
        rows.sort();
        out.insert(name, rows);
    }
    assert!(out.len() >= 38, "all tables listed: {:?}", out.keys());
    out
}

/// Asserts that no table changed, naming the first table that did.
pub fn assert_unchanged(
    before: &std::collections::BTreeMap<String, Vec<String>>,
    after: &std::collections::BTreeMap<String, Vec<String>>,
) {
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    for (table, rows) in before {
        assert_eq!(rows, &after[table], "table {table} changed");
    }
}
