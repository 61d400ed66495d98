//! GraphQL over HTTP, health, readiness, metrics and the GraphiQL page.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, metric_value};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let h = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(h.status(), StatusCode::OK);
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "ready");
}

#[tokio::test]
async fn readiness_fails_while_a_migration_is_pending() {
    let app = TestApp::spawn().await;
    cdp360::db::migrate_down(&app.db, Some(1)).await.unwrap();
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    let app = TestApp::spawn().await;
    let ok = app.client.get(app.url("/graphql")).query(&[("query", "{ leads { totalCount } }")]).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.json::<Value>().await.unwrap()["data"]["leads"]["totalCount"], 0);
    let m = app.client.get(app.url("/graphql")).query(&[("query", "mutation { anything }")]).send().await.unwrap();
    assert_eq!(m.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(m.headers()["allow"], "POST");
    let bad_vars = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ leads { totalCount } }"), ("variables", "[")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_vars.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn media_types_follow_the_graphql_over_http_spec() {
    let app = TestApp::spawn().await;
    let post = |accept: &'static str, query: &'static str| {
        app.client.post(app.url("/graphql")).header("accept", accept).json(&json!({ "query": query })).send()
    };
    let r = post("application/graphql-response+json", "{ leads { totalCount } }").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/graphql-response+json");
    // A request error: 400 under the new media type, 200 under legacy JSON.
    let r = post("application/graphql-response+json", "{ nope }").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = post("application/json", "{ nope }").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/json");
    let r = post("text/html", "{ leads { totalCount } }").await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn non_json_posts_are_refused() {
    let app = TestApp::spawn().await;
    for ct in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"] {
        let r = app
            .client
            .post(app.url("/graphql"))
            .header("content-type", ct)
            .body("query={leads{totalCount}}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
    }
    let r = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::spawn_with(|c| c.limits.max_body_bytes = 2048).await;
    let big = format!("{{ leads {{ totalCount }} }} #{}", "x".repeat(4096));
    let r = app.client.post(app.url("/graphql")).json(&json!({ "query": big })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn batches_run_each_operation_and_are_capped() {
    let app = TestApp::spawn().await;
    let one = json!({ "query": "{ leads { totalCount } }" });
    let r = app.client.post(app.url("/graphql")).json(&json!([one, one])).send().await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 2);
    let r = app.client.post(app.url("/graphql")).json(&Value::Array(vec![one; 11])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn metrics_expose_the_contracted_series() {
    let app = TestApp::spawn().await;
    app.client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "query Inbox { leads { totalCount } }", "operationName": "Inbox" }))
        .send()
        .await
        .unwrap();
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("cdp360_http_requests_total{"), "{text}");
    assert!(text.contains("cdp360_graphql_operation_seconds_bucket{operation=\"Inbox\""), "{text}");
    assert!(metric_value(&text, "cdp360_db_statement_seconds_count").unwrap() >= 1.0);
    assert!(text.contains("cdp360_subscriptions_active"));
}

#[tokio::test]
async fn graphiql_is_served_at_the_root() {
    let app = TestApp::spawn().await;
    for path in ["/", "/graphiql"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        let page = r.text().await.unwrap();
        assert!(page.contains("<title>cdp360 GraphiQL</title>") && page.contains("src=\"/assets/index-"), "{page}");
    }
}

#[tokio::test]
async fn metrics_can_require_their_own_token() {
    let app =
        TestApp::spawn_with(|c| c.metrics_token = Some(cdp360::config::Secret::new(b"scrape-me-please-0123".to_vec())))
            .await;
    let anonymous = reqwest::Client::new();
    let r = anonymous.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = anonymous.get(app.url("/metrics")).bearer_auth("scrape-me-please-0124").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = anonymous.get(app.url("/metrics")).bearer_auth("scrape-me-please-0123").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("cdp360_subscriptions_active"));
}
