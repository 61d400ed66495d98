//! The binary: configuration errors, migrations, and graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn cdp360(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cdp360"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CDP_DATABASE_URL", format!("sqlite://{}/cli.db?mode=rwc", dir.display()))
        .env("CDP_LOG", "warn");
    cmd
}

#[test]
fn a_bad_setting_stops_the_start_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = cdp360(dir.path()).env("CDP_BIND", "not-an-address").args(["migrate", "status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("CDP_BIND"), "{stderr}");
}

#[test]
fn migrate_up_down_and_status_report_the_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let status = |dir: &std::path::Path| {
        let out = cdp360(dir).args(["migrate", "status"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(status(dir.path()).contains("pending  m20261122_000001_create_model"));
    assert!(cdp360(dir.path()).args(["migrate", "up"]).status().unwrap().success());
    let up = status(dir.path());
    assert!(up.contains("applied  m20261122_000001_create_model"), "{up}");
    assert!(up.contains("applied  m20261122_000002_encrypt_pii"), "{up}");
    assert!(up.contains("applied  m20261122_000003_merge_ledger"), "{up}");
    assert!(up.contains("applied  m20261201_000004_outbox"), "{up}");
    assert!(up.contains("applied  m20261202_000005_summary_stale"), "{up}");
    assert!(up.contains("applied  m20261202_000006_keyset_indexes"), "{up}");
    assert!(up.contains("applied  m20261202_000007_acquisition"), "{up}");
    assert!(up.contains("applied  m20261202_000008_ingestion_retries"), "{up}");
    assert!(up.contains("applied  m20261202_000009_webhooks"), "{up}");
    assert!(up.contains("applied  m20261202_000010_verification_codes"), "{up}");
    assert!(up.contains("applied  m20261203_000011_ingestion_claim_index"), "{up}");
    assert!(up.contains("applied  m20261203_000012_leases"), "{up}");
    assert!(up.contains("applied  m20261203_000013_assignment_cursor"), "{up}");
    assert!(up.contains("applied  m20261203_000014_auto_tagging"), "{up}");
    assert!(up.contains("applied  m20261204_000015_performance"), "{up}");
    assert!(up.contains("applied  m20261205_000016_routing_partial_indexes"), "{up}");
    // One step by default: only the newest migration is rolled back.
    assert!(cdp360(dir.path()).args(["migrate", "down"]).status().unwrap().success());
    let one_down = status(dir.path());
    assert!(one_down.contains("applied  m20261204_000015_performance"), "{one_down}");
    assert!(one_down.contains("pending  m20261205_000016_routing_partial_indexes"), "{one_down}");
    // Every step down works on its own, to the empty database.
    assert!(cdp360(dir.path()).args(["migrate", "down", "--steps", "15"]).status().unwrap().success());
    assert!(status(dir.path()).contains("pending  m20261122_000001_create_model"));
}

#[test]
fn serve_shuts_down_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = cdp360(dir.path())
        .env("CDP_BIND", "127.0.0.1:0")
        .args(["serve", "--no-demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("listening on http://127.0.0.1:"), "{line}");
    // Demo mode prints an admin token that the server accepts.
    let addr = line.split("http://").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let mut hint = String::new();
    stdout.read_line(&mut hint).unwrap();
    let mut headers = String::new();
    stdout.read_line(&mut headers).unwrap();
    let headers: serde_json::Value = serde_json::from_str(&headers).expect("a JSON headers line");
    let auth = headers["Authorization"].as_str().unwrap().to_string();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let post = |query: &str| {
        rt.block_on(async {
            let res = reqwest::Client::new()
                .post(format!("http://{addr}/graphql"))
                .header("authorization", auth.as_str())
                .json(&serde_json::json!({ "query": query }))
                .send()
                .await
                .expect("the server answers");
            (res.status(), res.json::<serde_json::Value>().await.unwrap())
        })
    };
    assert_eq!(post("{ leads { totalCount } }").0, reqwest::StatusCode::OK);
    // A mutation's future is deep: the binary's worker threads must have the stack for it.
    let (status, body) = post("mutation { createLead(input: { leadName: \"x\", leadSource: WEBSITE }) { id } }");
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(body["data"]["createLead"]["id"].as_str().is_some(), "{body}");
    let key_file = dir.path().join("cli.db.keys");
    assert!(key_file.exists(), "demo mode keeps its generated secret beside the database");
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop within 10 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn serve_seeds_demo_data_into_an_empty_database_once() {
    let app = crate::harness::TestApp::spawn_with_demo_data().await;
    let d = app
        .data("{ accounts { totalCount } leads { totalCount } events(first: 1) { totalCount } }", serde_json::json!({}))
        .await;
    assert!(d["accounts"]["totalCount"].as_u64().unwrap() >= 5, "{d}");
    assert!(d["leads"]["totalCount"].as_u64().unwrap() >= 5, "{d}");
    assert!(d["events"]["totalCount"].as_u64().unwrap() >= 5, "{d}");
    // Not empty any more: a second start must not seed again.
    assert!(!cdp360::seed::is_empty(&app.db).await.unwrap());
}

#[tokio::test]
async fn replicas_migrating_together_on_postgres_both_succeed() {
    // The advisory lock is PostgreSQL's; an embedded SQLite file has a single server by design.
    let Some(url) = crate::harness::empty_postgres_database().await else { return };
    let metrics = std::sync::Arc::new(cdp360::metrics::Metrics::new());
    let a = cdp360::db::connect(&url, 2, metrics.clone()).await.unwrap();
    let b = cdp360::db::connect(&url, 2, metrics).await.unwrap();
    let (ra, rb) = tokio::join!(cdp360::db::migrate_up(&a), cdp360::db::migrate_up(&b));
    ra.unwrap();
    rb.unwrap();
    let (applied, pending) = cdp360::db::migration_status(&a).await.unwrap();
    assert_eq!(applied.len(), cdp360::db::migration_count());
    assert!(pending.is_empty());
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[test]
fn rotate_keys_re_encrypts_a_seeded_database_to_the_newest_key() {
    let dir = tempfile::tempdir().unwrap();
    let old = cdp360::crypto::KeyRing::generate().unwrap();
    let new = old.with_new_current_key().unwrap();
    let ring = |r: &cdp360::crypto::KeyRing| String::from_utf8(r.to_config_string().expose().to_vec()).unwrap();
    let run = |keys: &str, args: &[&str]| {
        let out = cdp360(dir.path())
            .env("CDP_JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef")
            .env("CDP_FIELD_KEYS", keys)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    run(&ring(&old), &["seed", "--scale", "0.01"]);
    let out = run(&ring(&new), &["rotate-keys", "--batch-size", "50"]);
    assert!(out.contains("every value is under k2"), "{out}");
    // Nothing is left under k1, and a second run has nothing to do.
    let again = run(&ring(&new), &["rotate-keys"]);
    assert!(again.starts_with("0 values to re-encrypt"), "{again}");
    assert_eq!(values_under_k1(dir.path()), 0);
}

#[test]
fn seed_is_as_of_today_unless_pinned_and_refuses_an_as_of_date_that_does_not_parse() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["15.03.2027", "2027-02-30", "next-monday"] {
        let out = cdp360(dir.path()).args(["seed", "--scale", "0.01", "--as-of", bad]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "--as-of {bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--as-of") && stderr.contains("YYYY-MM-DD") && stderr.contains(bad), "{stderr}");
    }
    // Refused before anything was written: the database is still empty, and takes a seed today.
    let before = chrono::Utc::now().date_naive();
    let out = cdp360(dir.path()).args(["seed", "--scale", "0.01"]).output().unwrap();
    let after = chrono::Utc::now().date_naive();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains(&format!("as of {before})")) || stdout.contains(&format!("as of {after})")), "{stdout}");
}

/// Rows with a value still under `k1` in the CLI test's SQLite database.
fn values_under_k1(dir: &std::path::Path) -> i64 {
    let url = format!("sqlite://{}/cli.db?mode=rwc", dir.display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(&url).await.unwrap();
        let sql = "SELECT (SELECT COUNT(*) FROM contact WHERE mobile_phone LIKE 'v1:k1:%' OR email LIKE 'v1:k1:%') \
                   + (SELECT COUNT(*) FROM lead WHERE mobile_phone LIKE 'v1:k1:%' OR email LIKE 'v1:k1:%') AS n";
        let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        row.unwrap().try_get::<i64>("", "n").unwrap()
    })
}

/// A PostgreSQL URL whose port nothing listens on (bound, then released), with a password that
/// must never be printed.
fn closed_port_url() -> (String, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    (format!("postgres://app:pw-never-printed@127.0.0.1:{port}/cdp360"), port)
}

#[test]
fn an_unreachable_database_is_one_line_naming_its_address_and_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let (url, port) = closed_port_url();
    let ring = cdp360::crypto::KeyRing::generate().unwrap();
    let started = Instant::now();
    let out = cdp360(dir.path())
        .env("CDP_DATABASE_URL", &url)
        .env("CDP_JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef")
        .env("CDP_FIELD_KEYS", String::from_utf8(ring.to_config_string().expose().to_vec()).unwrap())
        .args(["migrate", "status"])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("connection refused"), "{stderr}");
    assert!(!stderr.contains("pw-never-printed") && !stderr.contains("timed out"), "{stderr}");
    // The connection wait is bounded (CDP_DB_ACQUIRE_TIMEOUT_MS, 2 s by default; it was 10 s).
    assert!(took < Duration::from_secs(5), "gave up after {took:?}");
}

#[test]
fn a_start_that_reads_an_existing_key_file_does_not_say_it_generated_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("cli.db.keys");
    let stderr = || {
        let out = cdp360(dir.path()).args(["migrate", "status"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stderr).unwrap()
    };
    let first = stderr();
    assert!(first.contains("generated") && first.contains(&key_file.display().to_string()), "{first}");
    let second = stderr();
    assert!(second.contains("read from") && second.contains(&key_file.display().to_string()), "{second}");
    assert!(!second.contains("generated"), "{second}");
}

#[tokio::test]
async fn migrate_against_postgres_without_keys_says_where_it_wrote_the_key_file() {
    // With PostgreSQL the key file lands in the working directory, not beside the database: the
    // command names it. Without a test database the URL is a closed port: the notice comes first.
    let database = crate::harness::empty_postgres_database().await;
    let url = database.clone().unwrap_or_else(|| closed_port_url().0);
    let dir = tempfile::tempdir().unwrap();
    let out = cdp360(dir.path()).env("CDP_DATABASE_URL", &url).args(["migrate", "up"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if database.is_some() {
        assert!(out.status.success(), "{stderr}");
    }
    let key_file = dir.path().join("cdp360.keys");
    assert!(stderr.contains("DEMO MODE") && stderr.contains("generated"), "{stderr}");
    assert!(stderr.contains(&key_file.display().to_string()), "names the absolute path: {stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
