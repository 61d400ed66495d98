//! Landing-page verification codes: `POST /api/v1/verification-codes` sends a code through the
//! configured sender (here the in-memory one, read through `TestApp::mailbox`), and a
//! `LANDING_PAGE` submission needs the code: checked, counted, consumed with the ingestion.

use cdp360::auth::Scope;
use cdp360::config::{CodeSenderKind, Config};
use cdp360::services::verification::{MemorySender, SendFailure};
use entity::enums::ChannelType;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::acquisition::{finished, ingest_token, post};
use crate::fixtures;
use crate::harness::{TestApp, snapshot, token};

const PHONE: &str = "13800138000";

/// A server whose codes go to the in-memory sender, with `tweak` applied.
async fn app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    TestApp::spawn_with(|c| {
        c.verification.sender = CodeSenderKind::Memory;
        tweak(c);
    })
    .await
}

fn mailbox(app: &TestApp) -> &MemorySender {
    app.mailbox.as_deref().expect("the memory sender")
}

/// A channel and an enabled LANDING_PAGE scene mapping `name` and `phone`; the scene's id.
async fn landing_scene(app: &TestApp) -> String {
    fixtures::insert(&app.db, vec![fixtures::channel("CH_LP", ChannelType::Website)]).await;
    let input = json!({
        "sceneName": "双十二落地页",
        "sceneType": "LANDING_PAGE",
        "isEnabled": true,
        "defaultChannelId": "CH_LP",
        "dataMappingRules": [
            { "target": "leadName", "source": "name", "required": true },
            { "target": "mobilePhone", "source": "phone", "transform": "phone", "required": true }
        ],
        "deduplicationStrategy": "BY_PHONE",
        "protectionPeriodHours": 72,
    });
    let create = "mutation($input: CreateAcquisitionSceneInput!) { createAcquisitionScene(input: $input) { id } }";
    app.data(create, json!({ "input": input })).await["createAcquisitionScene"]["id"].as_str().unwrap().to_string()
}

/// POSTs a code request with `token`; the status, `Retry-After` and the JSON answer.
async fn request_code_as(app: &TestApp, token: &str, body: Value) -> (u16, Option<u64>, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/verification-codes"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, res.json().await.unwrap_or(Value::Null))
}

async fn request_code(app: &TestApp, body: Value) -> (u16, Option<u64>, Value) {
    request_code_as(app, &ingest_token(), body).await
}

/// Sends a code to `phone` (must succeed); the code, read from the mailbox.
async fn send(app: &TestApp, phone: &str) -> String {
    let (status, _, answer) = request_code(app, json!({ "phone": phone, "ip": "203.0.113.9" })).await;
    assert_eq!(status, 202, "{answer}");
    mailbox(app).last_code(phone).expect("a code was delivered")
}

/// Submits the landing page's form; the status and answer.
async fn submit(app: &TestApp, scene: &str, phone: &str, code: &str) -> (u16, Value) {
    let body = json!({
        "scene_config_id": scene,
        "submission_data": { "name": "陈静", "phone": phone, "verification_code": code },
        "meta": { "ip": "203.0.113.9" }
    });
    post(app, &ingest_token(), None, body.to_string().as_bytes()).await
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let backend = app.db.get_database_backend();
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let row = app.db.query_one_raw(Statement::from_string(backend, sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Each stored code: (attempts, whether consumed), oldest first.
async fn codes(app: &TestApp) -> Vec<(i32, bool)> {
    let backend = app.db.get_database_backend();
    let sql = "SELECT attempts, consumed_at IS NOT NULL AS consumed FROM verification_code ORDER BY created_at";
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    rows.iter()
        .map(|r| {
            let consumed =
                r.try_get::<bool>("", "consumed").or_else(|_| r.try_get::<i32>("", "consumed").map(|n| n != 0));
            (r.try_get("", "attempts").unwrap(), consumed.unwrap())
        })
        .collect()
}

#[tokio::test]
async fn a_code_sent_to_a_phone_lets_its_landing_page_submission_through_and_the_lead_is_processed() {
    let app = app_with(|_| {}).await;
    let scene = landing_scene(&app).await;
    let (status, retry, answer) = request_code(&app, json!({ "phone": PHONE, "scene_config_id": scene })).await;
    assert_eq!((status, retry), (202, None), "{answer}");
    assert_eq!(answer, json!({ "expires_in_seconds": 300 }), "the answer never holds the code");
    let code = mailbox(&app).last_code(PHONE).unwrap();
    // Another spelling of the same number finds the code.
    let (status, answer) = submit(&app, &scene, "+86 138-0013-8000", &code).await;
    assert_eq!(status, 202, "{answer}");
    let done = finished(&app, answer["ingestion_id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    let read = "query($id: ID!) { lead(id: $id) { leadName mobilePhone leadSource } }";
    let lead = &app.data(read, json!({ "id": done["lead_id"] })).await["lead"];
    assert_eq!(lead["mobilePhone"], "+8613800138000");
    assert_eq!(lead["leadSource"], "WEBSITE");
    assert_eq!(codes(&app).await, [(1, true)], "one attempt, and the code is consumed");
}

#[tokio::test]
async fn the_code_is_stored_neither_in_plaintext_nor_in_the_stored_submission() {
    let app = app_with(|_| {}).await;
    let scene = landing_scene(&app).await;
    let code = send(&app, PHONE).await;
    let (status, answer) = submit(&app, &scene, PHONE, &code).await;
    assert_eq!(status, 202, "{answer}");
    finished(&app, answer["ingestion_id"].as_str().unwrap()).await;
    let rows = snapshot(&app, &[], |_, _| {}).await;
    for (table, rows) in &rows {
        for row in rows {
            for plain in [format!("\"{code}\""), format!(":{code}"), "verification_code\"".into(), PHONE.into()] {
                assert!(!row.contains(&plain), "{table} holds {plain}: {row}");
            }
        }
    }
    assert_eq!(rows["verification_code"].len(), 1);
}

#[tokio::test]
async fn a_wrong_code_is_refused_its_attempt_counted_and_no_ingestion_written() {
    let app = app_with(|_| {}).await;
    let scene = landing_scene(&app).await;
    let code = send(&app, PHONE).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let (status, answer) = submit(&app, &scene, PHONE, wrong).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["code"], "VERIFICATION_FAILED");
    assert!(answer["error"]["message"].as_str().unwrap().contains("4 attempts left"), "{answer}");
    // A missing code is refused the same way, and counts nothing.
    let body = json!({ "scene_config_id": scene, "submission_data": { "name": "陈静", "phone": PHONE } });
    let (status, answer) = post(&app, &ingest_token(), None, body.to_string().as_bytes()).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (422, Some("VERIFICATION_FAILED")), "{answer}");
    assert_eq!(count(&app, "lead_ingestion").await, 0);
    assert_eq!(codes(&app).await, [(1, false)], "the refused guess stays counted");
    // The right code still works.
    assert_eq!(submit(&app, &scene, PHONE, &code).await.0, 202);
}

#[tokio::test]
async fn an_expired_code_is_refused_and_no_ingestion_written() {
    let app = app_with(|c| c.verification.limits.lifetime = std::time::Duration::from_secs(1)).await;
    let scene = landing_scene(&app).await;
    let (status, _, answer) = request_code(&app, json!({ "phone": PHONE })).await;
    assert_eq!(status, 202);
    assert_eq!(answer["expires_in_seconds"], 1);
    let code = mailbox(&app).last_code(PHONE).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, answer) = submit(&app, &scene, PHONE, &code).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["code"], "VERIFICATION_EXPIRED");
    assert_eq!(count(&app, "lead_ingestion").await, 0);
    // A phone that was never sent a code is refused the same way.
    let (status, answer) = submit(&app, &scene, "13900139000", &code).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (422, Some("VERIFICATION_EXPIRED")), "{answer}");
}

#[tokio::test]
async fn a_code_is_void_once_its_attempts_are_spent_even_for_the_right_code() {
    let app = app_with(|c| c.verification.limits.max_attempts = 2).await;
    let scene = landing_scene(&app).await;
    let code = send(&app, PHONE).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert_eq!(submit(&app, &scene, PHONE, wrong).await.1["error"]["code"], "VERIFICATION_FAILED");
    let (_, last) = submit(&app, &scene, PHONE, wrong).await;
    assert_eq!(last["error"]["code"], "VERIFICATION_FAILED");
    assert!(last["error"]["message"].as_str().unwrap().contains("void"), "{last}");
    let (status, answer) = submit(&app, &scene, PHONE, &code).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["code"], "VERIFICATION_EXPIRED");
    assert_eq!(count(&app, "lead_ingestion").await, 0);
    assert_eq!(codes(&app).await, [(2, false)], "a dead code counts no more attempts");
}

#[tokio::test]
async fn a_code_is_used_once() {
    let app = app_with(|_| {}).await;
    let scene = landing_scene(&app).await;
    let code = send(&app, PHONE).await;
    assert_eq!(submit(&app, &scene, PHONE, &code).await.0, 202);
    let (status, answer) = submit(&app, &scene, PHONE, &code).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["code"], "VERIFICATION_EXPIRED");
    assert_eq!(count(&app, "lead_ingestion").await, 1);
}

#[tokio::test]
async fn two_concurrent_submissions_with_one_code_are_accepted_exactly_once() {
    let app = app_with(|_| {}).await;
    let scene = landing_scene(&app).await;
    let code = send(&app, PHONE).await;
    let answers = futures_util::future::join_all((0..6).map(|_| submit(&app, &scene, PHONE, &code))).await;
    let accepted = answers.iter().filter(|(s, _)| *s == 202).count();
    assert_eq!(accepted, 1, "{answers:?}");
    for (status, answer) in answers.iter().filter(|(s, _)| *s != 202) {
        assert_eq!(*status, 422, "{answer}");
        assert_eq!(answer["error"]["code"], "VERIFICATION_EXPIRED", "{answer}");
    }
    assert_eq!(count(&app, "lead_ingestion").await, 1);
}

#[tokio::test]
async fn sending_is_rate_limited_per_phone_with_retry_after() {
    let app = app_with(|_| {}).await;
    send(&app, PHONE).await;
    // Another spelling of the same phone, at once: the 60 s gap.
    let (status, retry, answer) = request_code(&app, json!({ "phone": "+8613800138000" })).await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["error"]["code"], "RATE_LIMITED");
    assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "{retry:?}");
    assert_eq!(count(&app, "verification_code").await, 1, "a refused request stores nothing");
    assert_eq!(mailbox(&app).delivered(), 1);

    let app = app_with(|c| {
        c.verification.limits.resend_gap = std::time::Duration::ZERO;
        c.verification.limits.per_phone_per_hour = 2;
    })
    .await;
    let scene = landing_scene(&app).await;
    let first = send(&app, PHONE).await;
    let second = send(&app, PHONE).await;
    let (status, retry, answer) = request_code(&app, json!({ "phone": PHONE })).await;
    assert_eq!(status, 429, "{answer}");
    assert!(retry.is_some_and(|s| (3500..=3600).contains(&s)), "{retry:?}");
    // Only the newest code counts: the first was replaced.
    if first != second {
        assert_eq!(submit(&app, &scene, PHONE, &first).await.1["error"]["code"], "VERIFICATION_FAILED");
    }
    assert_eq!(submit(&app, &scene, PHONE, &second).await.0, 202);
}

#[tokio::test]
async fn sending_is_rate_limited_per_ip_with_retry_after() {
    let app = app_with(|c| c.verification.limits.per_ip_per_hour = 2).await;
    for phone in ["13800138001", "13800138002"] {
        send(&app, phone).await;
    }
    let (status, retry, answer) = request_code(&app, json!({ "phone": "13800138003", "ip": "203.0.113.9" })).await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["error"]["code"], "RATE_LIMITED");
    assert!(retry.is_some_and(|s| (3500..=3600).contains(&s)), "{retry:?}");
    let (status, _, answer) = request_code(&app, json!({ "phone": "13800138003", "ip": "198.51.100.7" })).await;
    assert_eq!(status, 202, "another IP is not limited: {answer}");
    assert_eq!(count(&app, "verification_code").await, 3);
}

#[tokio::test]
async fn an_invalid_phone_or_request_is_refused_and_nothing_is_written() {
    let app = app_with(|_| {}).await;
    let scene = landing_scene(&app).await;
    let before = snapshot(&app, &[], |_, _| {}).await;
    let cases = [
        (json!({ "phone": "12345" }), 422, "INVALID_PHONE"),
        (json!({ "phone": "" }), 422, "INVALID_PHONE"),
        (json!({ "number": PHONE }), 400, "MALFORMED_REQUEST"),
        (json!({ "phone": PHONE, "ip": "x".repeat(101) }), 400, "MALFORMED_REQUEST"),
        (json!({ "phone": PHONE, "scene_config_id": "SCN_NOPE" }), 422, "SCENE_NOT_FOUND"),
    ];
    for (body, status, code) in cases {
        let (got, _, answer) = request_code(&app, body.clone()).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{body} → {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(!message.contains("12345"), "an error never echoes the phone: {message}");
    }
    // A landing page submission whose phone is invalid cannot be verified.
    let (status, answer) = submit(&app, &scene, "12345", "123456").await;
    assert_eq!((status, answer["error"]["code"].as_str()), (422, Some("INVALID_PHONE")), "{answer}");
    crate::harness::assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
    assert_eq!(mailbox(&app).delivered(), 0);
}

#[tokio::test]
async fn a_failing_sender_answers_503_an_over_quota_sender_429_and_their_codes_are_void() {
    let app = app_with(|c| c.verification.limits.resend_gap = std::time::Duration::ZERO).await;
    mailbox(&app).fail_with(Some(SendFailure::Unavailable("gateway timeout".into())));
    let (status, retry, answer) = request_code(&app, json!({ "phone": PHONE })).await;
    assert_eq!((status, retry), (503, Some(30)), "{answer}");
    assert_eq!(answer["error"]["code"], "SENDER_UNAVAILABLE");
    mailbox(&app).fail_with(Some(SendFailure::OverQuota { retry_after_secs: 120 }));
    let (status, retry, answer) = request_code(&app, json!({ "phone": PHONE })).await;
    assert_eq!((status, retry), (429, Some(120)), "{answer}");
    assert_eq!(answer["error"]["code"], "RATE_LIMITED");
    // Stored before sending (so they count against the limits), and void: nobody received them.
    assert_eq!(codes(&app).await, [(0, true), (0, true)]);
    mailbox(&app).fail_with(None);
    send(&app, PHONE).await;
    assert_eq!(codes(&app).await, [(0, true), (0, true), (0, false)]);
}

#[tokio::test]
async fn requesting_a_code_needs_the_ingest_scope() {
    let app = app_with(|_| {}).await;
    let (status, _, answer) =
        request_code_as(&app, &token(&[Scope::Read, Scope::Write, Scope::Admin], None), json!({ "phone": PHONE }))
            .await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["code"], "FORBIDDEN");
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/verification-codes"))
        .body(json!({ "phone": PHONE }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(count(&app, "verification_code").await, 0);
    assert_eq!(mailbox(&app).delivered(), 0);
}
