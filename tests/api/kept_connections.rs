//! The connections compiled reads keep between statements (`db::KeptConnections`): PostgreSQL only,
//! where sqlx pings every connection handed back to its pool. SQLite keeps none (compiled reads
//! there go to the pool, as every other test on SQLite shows).

use std::sync::Arc;
use std::time::Duration;

use cdp360::db::{self, KEEP_FOR, KeptConnections};
use cdp360::metrics::Metrics;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

use crate::harness::TestApp;

/// The backends of this database whose last statement selected `marker` as a response key.
async fn backends_that_ran(app: &TestApp, marker: &str) -> i64 {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() \
         AND query LIKE '%''{marker}''%'"
    );
    let row = app.db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn consecutive_compiled_reads_run_on_one_kept_connection() {
    let app = TestApp::spawn().await;
    if app.db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    for _ in 0..20 {
        let d = app.data(r#"{ account(id: "ACC_NONE") { keptProbe: accountId } }"#, json!({})).await;
        assert_eq!(d["account"], json!(null));
    }
    // Through the pool, whose idle connections are taken first in first out, twenty reads would
    // have gone round all of the test server's five connections.
    assert_eq!(backends_that_ran(&app, "keptProbe").await, 1);
}

/// On PostgreSQL: a test database, a pool of two connections on it (waiting at most 3 s for
/// one) and the connections kept from it (at most one).
async fn pool_of_two() -> Option<(TestApp, sea_orm::DatabaseConnection, Arc<KeptConnections>)> {
    let app = TestApp::spawn().await;
    if app.db.get_database_backend() != DbBackend::Postgres {
        return None;
    }
    let metrics = Arc::new(Metrics::new());
    let db = db::connect_pool(&app.database_url, 2, Duration::from_secs(3), metrics).await.unwrap();
    let kept = KeptConnections::new(&db, 2);
    Some((app, db, kept))
}

#[tokio::test]
async fn a_connection_is_not_kept_while_the_pool_has_none_to_spare() {
    let Some((_app, db, kept)) = pool_of_two().await else { return };
    let pool = db.get_postgres_connection_pool();
    let held = pool.acquire().await.unwrap();
    let conn = kept.take(pool).await.unwrap();
    // Both connections are out and the pool may open no other: someone may be waiting for one.
    assert_eq!((pool.size(), pool.num_idle()), (2, 0));
    kept.keep(conn);
    assert!(kept.is_empty(), "handed back, not kept");
    drop(held);
    // sqlx hands connections back in a task of its own (after its ping).
    for _ in 0..200 {
        if pool.num_idle() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let conn = kept.take(pool).await.unwrap();
    kept.keep(conn);
    assert_eq!(kept.len(), 1, "with a connection to spare, it is kept");
}

#[tokio::test]
async fn kept_connections_go_back_to_the_pool_once_reads_stop() {
    let Some((_app, db, kept)) = pool_of_two().await else { return };
    let pool = db.get_postgres_connection_pool();
    let conn = kept.take(pool).await.unwrap();
    kept.keep(conn);
    assert_eq!(kept.len(), 1);
    // The rest of the server needs both connections: the kept one comes back within two sweeps,
    // well before the pool's acquire timeout (3 s) would fail the second.
    let both = tokio::time::timeout(KEEP_FOR * 4, async { (pool.acquire().await, pool.acquire().await) }).await;
    let (a, b) = both.expect("the kept connection went back to the pool");
    assert!(a.is_ok() && b.is_ok());
    assert!(kept.is_empty());
}
