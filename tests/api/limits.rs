//! Request limits refuse with a clear error before any SQL runs; the rate limit answers 429.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, error_code};

async fn refused_without_sql(app: &TestApp, body: Value, status: StatusCode, needle: &str) {
    let before = app.statements().await;
    let res = app.client.post(app.url("/graphql")).json(&body).send().await.unwrap();
    let got = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    assert!(text.to_lowercase().contains(needle), "{needle:?} not in {text}");
    assert_eq!(app.statements().await, before, "no SQL ran for a refused request");
}

#[tokio::test]
async fn depth_complexity_aliases_batch_and_body_limits_refuse_before_any_sql() {
    let app = TestApp::spawn_with(|c| {
        c.limits.max_depth = 5;
        c.limits.max_body_bytes = 64 * 1024;
    })
    .await;
    let deep = "{ accounts(first: 1) { nodes { contacts(first: 1) { nodes { primaryAccount { contacts(first: 1) { nodes { contactId } } } } } } } }";
    refused_without_sql(&app, json!({ "query": deep }), StatusCode::OK, "nested too deep").await;
    let heavy = "{ leads(first: 500) { nodes { touchpoints(first: 500) { nodes { touchpointId subject } } } } }";
    refused_without_sql(&app, json!({ "query": heavy }), StatusCode::OK, "complex").await;
    let aliases: String = (0..1000).map(|i| format!("a{i}: __typename ")).collect();
    refused_without_sql(&app, json!({ "query": format!("{{ {aliases} }}") }), StatusCode::OK, "aliases").await;
    let one = json!({ "query": "{ leads { totalCount } }" });
    refused_without_sql(&app, Value::Array(vec![one; 11]), StatusCode::BAD_REQUEST, "batch").await;
    let big = format!("{{ leads {{ totalCount }} }} #{}", "x".repeat(70 * 1024));
    let before = app.statements().await;
    let res = app.client.post(app.url("/graphql")).json(&json!({ "query": big })).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.statements().await, before);
}

/// A document's checks run once and are kept with it (`graphql::documents`): the same text is
/// refused again, with the same error, and a fine one keeps passing.
#[tokio::test]
async fn a_refused_query_sent_again_is_refused_again_and_a_fine_one_keeps_passing() {
    let app = TestApp::spawn_with(|c| c.limits.max_depth = 5).await;
    let deep = "{ accounts(first: 1) { nodes { contacts(first: 1) { nodes { primaryAccount { contacts(first: 1) { nodes { contactId } } } } } } } }";
    let aliases: String = (0..1000).map(|i| format!("a{i}: __typename ")).collect();
    for _ in 0..3 {
        refused_without_sql(&app, json!({ "query": deep }), StatusCode::OK, "nested too deep").await;
        refused_without_sql(&app, json!({ "query": format!("{{ {aliases} }}") }), StatusCode::OK, "aliases").await;
        let d = app.data("{ accounts(first: 1) { totalCount } }", json!({})).await;
        assert_eq!(d["accounts"]["totalCount"], 0);
    }
}

#[tokio::test]
async fn a_handful_of_aliases_is_fine() {
    let app = TestApp::spawn().await;
    let d = app.data("{ a: leads { totalCount } b: accounts { totalCount } }", json!({})).await;
    assert_eq!(d["a"]["totalCount"], 0);
    assert_eq!(d["b"]["totalCount"], 0);
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after_and_counts_batched_operations() {
    let app = TestApp::spawn_with(|c| {
        c.limits.rate_per_minute = 6;
        c.limits.rate_burst = 3;
    })
    .await;
    let one = json!({ "query": "{ leads { totalCount } }" });
    // A batch of two and one single use the burst of three…
    let r = app.client.post(app.url("/graphql")).json(&json!([one, one])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.client.post(app.url("/graphql")).json(&one).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // …so the next operation waits about ten seconds (6 per minute).
    let before = app.statements().await;
    let r = app.client.post(app.url("/graphql")).json(&one).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "Retry-After {retry}");
    assert_eq!(error_code(&r.json().await.unwrap()), "RATE_LIMITED");
    assert_eq!(app.statements().await, before);
    // GET is charged too.
    let g = app.client.get(app.url("/graphql")).query(&[("query", "{ leads { totalCount } }")]).send().await.unwrap();
    assert_eq!(g.status(), StatusCode::TOO_MANY_REQUESTS);
}
