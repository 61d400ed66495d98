//! Authentication on the wire: every GraphQL request needs a valid bearer token with the `read`
//! scope; health, readiness, metrics and the GraphiQL page stay open.

use cdp360::auth::{MintRequest, Scope, mint_hs256};
use cdp360::config::Secret;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, error_code, token};

const Q: &str = "{ leads { totalCount } }";

async fn post_with(app: &TestApp, authorization: Option<String>) -> (StatusCode, Option<String>, Value) {
    let mut req = reqwest::Client::new().post(app.url("/graphql")).json(&json!({ "query": Q }));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let www = res.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string());
    (status, www, res.json().await.unwrap())
}

#[tokio::test]
async fn a_request_without_a_token_is_unauthenticated_and_runs_no_sql() {
    let app = TestApp::spawn().await;
    let before = app.statements().await;
    let (status, www, body) = post_with(&app, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(www.as_deref(), Some("Bearer"));
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let get = reqwest::Client::new().get(app.url("/graphql")).query(&[("query", Q)]).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.statements().await, before, "nothing reached the database");
}

#[tokio::test]
async fn forged_malformed_and_expired_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let other_key = mint_hs256(
        &Secret::new(vec![b'x'; 32]),
        &MintRequest {
            subject: "mallory".into(),
            scopes: Scope::ALL.into_iter().collect(),
            channels: None,
            ttl: std::time::Duration::from_secs(600),
            issuer: None,
            audience: None,
        },
    )
    .unwrap();
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": "old", "scope": "read", "exp": 1_700_000_000, "iat": 1_699_990_000 }),
        &jsonwebtoken::EncodingKey::from_secret(&[b'*'; 32]),
    )
    .unwrap();
    let none_alg =
        format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(r#"{"sub":"x","scope":"read","exp":4102444800}"#));
    for bad in [
        "Bearer not.a.token".to_string(),
        "Basic dXNlcjpwYXNz".to_string(),
        "Bearer".to_string(),
        format!("Bearer {other_key}"),
        format!("Bearer {expired}"),
        format!("Bearer {none_alg}"),
    ] {
        let (status, _, body) = post_with(&app, Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
        let material = bad.strip_prefix("Bearer ").unwrap_or_default();
        if material.len() > 16 {
            let tail = &material[material.len() - 16..];
            assert!(!body.to_string().contains(tail), "the error never echoes the token");
        }
    }
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn a_token_without_the_read_scope_is_forbidden() {
    let app = TestApp::spawn().await;
    let (status, _, body) = post_with(&app, Some(format!("Bearer {}", token(&[Scope::Ingest], None)))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "FORBIDDEN");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("read"));
    let (status, _, body) = post_with(&app, Some(format!("Bearer {}", token(&[Scope::Read], None)))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn health_readiness_metrics_and_graphiql_need_no_token() {
    let app = TestApp::spawn().await;
    let anonymous = reqwest::Client::new();
    for path in ["/healthz", "/readyz", "/metrics", "/", "/graphiql"] {
        let r = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn the_token_command_mints_a_token_the_server_accepts() {
    let app = TestApp::spawn().await;
    let mint = |scope: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cdp360"))
            .env_clear()
            .env("CDP_JWT_HS256_SECRET", "*".repeat(32))
            .args(["token", "--sub", "analyst", "--scope", scope, "--ttl", "10m"])
            .output()
            .unwrap()
    };
    let out = mint("read pii");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let (status, _, body) = post_with(&app, Some(format!("Bearer {token}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["leads"]["totalCount"], 0);
    assert!(!mint("read superuser").status.success(), "a mistyped scope is refused");
}
