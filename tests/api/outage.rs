//! A database outage: GraphQL answers `UNAVAILABLE` (503 + `Retry-After`) within the acquire
//! timeout instead of hanging, `/readyz` answers 503 within a second, and both recover without a
//! restart once the database is back. The server reaches PostgreSQL through a TCP proxy the test
//! closes and reopens (an SQLite file cannot go away, so these tests need `CDP_TEST_DATABASE_URL`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use cdp360::config::Config;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::harness::{TestApp, metric_value};

/// A TCP proxy in front of the database that can be closed (listener gone, every connection cut:
/// connecting is refused, like a stopped server) and opened again on the same port.
struct Proxy {
    addr: SocketAddr,
    upstream: String,
    task: Option<JoinHandle<()>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = Some(tokio::spawn(forward(listener, upstream.clone())));
        Proxy { addr, upstream, task }
    }

    /// The database URL `url` with the proxy as its host and port.
    fn route(&self, url: &str) -> String {
        let mut url = reqwest::Url::parse(url).unwrap();
        url.set_host(Some(&self.addr.ip().to_string())).unwrap();
        url.set_port(Some(self.addr.port())).unwrap();
        url.to_string()
    }

    async fn close(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    async fn open(&mut self) {
        let listener = TcpListener::bind(self.addr).await.expect("the proxy's port is free again");
        self.task = Some(tokio::spawn(forward(listener, self.upstream.clone())));
    }
}

/// Accepts and forwards until aborted; aborting drops the connections' tasks, which cuts them.
async fn forward(listener: TcpListener, upstream: String) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else { continue };
        let upstream = upstream.clone();
        connections.spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

/// A test server (tweaked) that reaches its PostgreSQL database through a [`Proxy`]; `None`, with a
/// note, on SQLite.
async fn behind_proxy(tweak: impl FnOnce(&mut Config)) -> Option<(Proxy, TestApp)> {
    let Some(base) = std::env::var("CDP_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("skipped: the outage tests need PostgreSQL behind a proxy (set CDP_TEST_DATABASE_URL)");
        return None;
    };
    let url = reqwest::Url::parse(&base).unwrap();
    let proxy = Proxy::start(format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432))).await;
    let app = TestApp::spawn_with(|c| {
        c.database_url = proxy.route(&c.database_url);
        tweak(c);
    })
    .await;
    Some((proxy, app))
}

const QUERY: &str = "query Count { leads { totalCount } }";

async fn post(app: &TestApp) -> (StatusCode, Option<String>, Value, Duration) {
    let started = Instant::now();
    let res = app.client.post(app.url("/graphql")).json(&json!({ "query": QUERY })).send().await.unwrap();
    let status = res.status();
    let retry_after = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let body = res.json().await.unwrap();
    (status, retry_after, body, started.elapsed())
}

async fn readyz(app: &TestApp) -> (StatusCode, Duration) {
    let started = Instant::now();
    let status = app.client.get(app.url("/readyz")).send().await.unwrap().status();
    (status, started.elapsed())
}

#[tokio::test]
async fn a_database_outage_answers_unavailable_quickly_and_recovers_without_a_restart() {
    let Some((mut proxy, app)) = behind_proxy(|_| {}).await else { return };
    let (status, _, body, _) = post(&app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["leads"]["totalCount"], 0);

    proxy.close().await;
    // Before, the request waited 10 s for a connection and then answered 200 `INTERNAL`.
    let (status, retry_after, body, took) = post(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
    let retry_after: u64 = retry_after.expect("a Retry-After header").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{body}");
    assert_eq!(body["errors"][0]["message"], cdp360::error::UNAVAILABLE_MESSAGE, "no internals: {body}");
    let (status, took) = readyz(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(took < Duration::from_millis(1500), "/readyz answered after {took:?}");

    proxy.open().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, _, body, _) = post(&app).await;
        if status == StatusCode::OK && body.get("errors").is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery within 20 s: {status} {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(readyz(&app).await.0, StatusCode::OK);
    // The outbox listener lost its connection with the others and is listening again.
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.metric("cdp360_outbox_listener_reconnects_total").await < Some(1.0) {
        assert!(Instant::now() < deadline, "the outbox listener did not reconnect within 20 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn readiness_answers_within_a_second_even_with_a_long_acquire_timeout() {
    let Some((mut proxy, app)) = behind_proxy(|c| c.db_acquire_timeout = Duration::from_secs(30)).await else {
        return;
    };
    assert_eq!(readyz(&app).await.0, StatusCode::OK);
    proxy.close().await;
    let (status, took) = readyz(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(took < Duration::from_millis(1500), "/readyz answered after {took:?}");
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metric_value(&text, "cdp360_subscriptions_active").is_some(), "/metrics needs no database");
}
