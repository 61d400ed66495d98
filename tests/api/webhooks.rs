//! Signed webhooks (`POST /webhooks/{scene}`): secrets issued and retired by `admin`, stored
//! sealed; deliveries verified by HMAC within the replay window, refused when replayed, read by the
//! scene's adapter (generic, Douyin, WeChat mini-program) and answered in its platform's shape;
//! every refusal writes nothing.

use cdp360::auth::Scope;
use cdp360::domain::webhook::sign;
use entity::enums::ChannelType;
use entity::{lead_ingestion, webhook_secret};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fixtures;
use crate::harness::{TestApp, assert_unchanged, captured_logs, error_code, snapshot, token};

const CREATE_SCENE: &str = "mutation($input: CreateAcquisitionSceneInput!) {
    createAcquisitionScene(input: $input) { id }
}";
const ROTATE: &str =
    "mutation($s: ID!) { rotateWebhookSecret(sceneId: $s) { secretId secret sceneId activeSecretIds } }";
const RETIRE: &str = "mutation($id: ID!) { retireWebhookSecret(secretId: $id) }";

/// A scene (channel `CH_<name>`) reading `adapter` deliveries with `rules`; its id.
async fn scene_named(app: &TestApp, name: &str, adapter: &str, rules: Value, enabled: bool) -> String {
    fixtures::insert(&app.db, vec![fixtures::channel(&format!("CH_{name}"), ChannelType::Website)]).await;
    let input = json!({
        "sceneName": format!("webhook {name}"),
        "sceneType": "SOCIAL_MEDIA_LEAD",
        "isEnabled": enabled,
        "defaultChannelId": format!("CH_{name}"),
        "sceneSpecificParams": { "webhook": { "adapter": adapter } },
        "dataMappingRules": rules,
        "deduplicationStrategy": "BY_PHONE",
    });
    let data = app.data(CREATE_SCENE, json!({ "input": input })).await;
    data["createAcquisitionScene"]["id"].as_str().unwrap().to_string()
}

/// An enabled scene reading `adapter` deliveries with `rules` (channel `CH_<adapter>`); its id.
pub(crate) async fn scene_with(app: &TestApp, adapter: &str, rules: Value) -> String {
    scene_named(app, adapter, adapter, rules, true).await
}

pub(crate) fn generic_rules() -> Value {
    json!([
        { "target": "leadName", "source": "name", "required": true },
        { "target": "mobilePhone", "source": "phone", "transform": "phone", "required": true }
    ])
}

async fn generic_scene(app: &TestApp) -> String {
    scene_with(app, "generic", generic_rules()).await
}

/// A generic scene with one secret: (scene id, secret id, secret).
async fn signed_scene(app: &TestApp) -> (String, String, String) {
    let scene = generic_scene(app).await;
    let (secret_id, secret) = rotate(app, &scene).await;
    (scene, secret_id, secret)
}

/// A new secret of the scene: (secret id, secret).
pub(crate) async fn rotate(app: &TestApp, scene: &str) -> (String, String) {
    let issued = app.data(ROTATE, json!({ "s": scene })).await;
    let s = &issued["rotateWebhookSecret"];
    (s["secretId"].as_str().unwrap().to_string(), s["secret"].as_str().unwrap().to_string())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// POSTs `body` to the scene's webhook with these header values (no bearer token).
async fn deliver_raw(app: &TestApp, scene: &str, ts: Option<&str>, sig: Option<&str>, body: &[u8]) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(app.url(&format!("/webhooks/{scene}"))).body(body.to_vec());
    if let Some(ts) = ts {
        req = req.header("X-Cdp-Timestamp", ts);
    }
    if let Some(sig) = sig {
        req = req.header("X-Cdp-Signature", sig);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// POSTs `body` signed with `secret` at unix time `ts`.
async fn deliver_at(app: &TestApp, scene: &str, secret: &str, ts: i64, body: &[u8]) -> (u16, Value) {
    let ts = ts.to_string();
    let sig = sign(secret.as_bytes(), &ts, body);
    deliver_raw(app, scene, Some(&ts), Some(&sig), body).await
}

pub(crate) async fn deliver(app: &TestApp, scene: &str, secret: &str, body: &Value) -> (u16, Value) {
    deliver_at(app, scene, secret, now(), body.to_string().as_bytes()).await
}

async fn ingestions_of(app: &TestApp, scene: &str) -> Vec<lead_ingestion::Model> {
    lead_ingestion::Entity::find()
        .filter(lead_ingestion::Column::ClientId.eq(format!("webhook:{scene}")))
        .all(&app.db)
        .await
        .unwrap()
}

/// Waits until the scene's only ingestion leaves ACCEPTED (at most 10 s); it.
async fn processed(app: &TestApp, scene: &str) -> lead_ingestion::Model {
    for _ in 0..500 {
        let rows = ingestions_of(app, scene).await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        if rows[0].status != "ACCEPTED" {
            return rows.into_iter().next().unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the webhook ingestion was not processed within 10 s");
}

async fn lead(app: &TestApp, id: &str) -> Value {
    let read = "query($id: ID!) { lead(id: $id) { leadName mobilePhone province city channel { channelId } } }";
    app.data(read, json!({ "id": id })).await["lead"].clone()
}

#[tokio::test]
async fn a_generic_delivery_signed_with_the_scene_secret_becomes_a_processed_lead() {
    let app = TestApp::spawn().await;
    let (scene, secret_id, secret) = signed_scene(&app).await;
    assert!(secret_id.starts_with("WHS_"), "{secret_id}");
    assert_eq!(secret.len(), 64, "32 random bytes in hex");
    let body = json!({ "event_id": "evt-1", "submission_data": { "name": "王芳", "phone": "139 1234 5678" },
        "meta": { "ip": "203.0.113.9" } });
    let (status, answer) = deliver(&app, &scene, &secret, &body).await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["ingestion_id"].as_str().unwrap();
    assert_eq!(answer["status_url"], format!("/api/v1/leads/ingestions/{id}"));
    let row = processed(&app, &scene).await;
    assert_eq!(row.ingestion_id, id);
    assert_eq!(row.status, "PROCESSED", "{row:?}");
    assert_eq!(row.idempotency_key.as_deref(), Some("evt-1"));
    let lead = lead(&app, row.lead_id.as_deref().unwrap()).await;
    assert_eq!(lead["leadName"], "王芳");
    assert_eq!(lead["mobilePhone"], "+8613912345678");
    assert_eq!(lead["channel"]["channelId"], "CH_generic");
    // The phone is sealed in the stored submission, and the secret is in no log.
    assert!(!row.submission.to_string().contains("1234 5678"), "{}", row.submission);
    if let Some(logs) = captured_logs() {
        assert!(!logs.contains(&secret), "a webhook secret was logged");
    }
}

#[tokio::test]
async fn a_douyin_lead_push_is_answered_in_douyin_shape_and_becomes_a_processed_lead() {
    let app = TestApp::spawn().await;
    let rules = json!([
        { "target": "leadName", "source": "name", "required": true },
        { "target": "mobilePhone", "source": "telephone", "transform": "phone", "required": true },
        { "target": "province", "source": "province" },
        { "target": "city", "source": "city" }
    ]);
    let scene = scene_with(&app, "douyin", rules).await;
    let (_, secret) = rotate(&app, &scene).await;
    let body = json!({ "event": "clue.create", "clue_id": 7012345678901234567u64, "data": {
        "name": "张伟", "telephone": "13800138000", "province": "广东", "city": "深圳",
        "ad_id": "1790000000000001", "create_time": 1764690000 } });
    let (status, answer) = deliver(&app, &scene, &secret, &body).await;
    assert_eq!((status, answer.clone()), (200, json!({ "code": 0, "message": "success" })));
    let row = processed(&app, &scene).await;
    assert_eq!(row.status, "PROCESSED", "{row:?}");
    assert_eq!(row.idempotency_key.as_deref(), Some("7012345678901234567"), "the clue id is the event id");
    let lead = lead(&app, row.lead_id.as_deref().unwrap()).await;
    assert_eq!((lead["leadName"].as_str(), lead["city"].as_str()), (Some("张伟"), Some("深圳")));
    assert_eq!(lead["mobilePhone"], "+8613800138000");
    // Its refusals take the same shape, with our code as `reason`.
    let (status, answer) = deliver(&app, &scene, &secret, &json!({ "clue_id": "c2", "data": { "name": "x" } })).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["code"], 422);
    assert_eq!(answer["reason"], "INVALID_PAYLOAD");
    assert!(answer["message"].as_str().unwrap().contains("data.telephone"), "{answer}");
}

#[tokio::test]
async fn a_wechat_phone_authorization_is_answered_in_wechat_shape_and_becomes_a_processed_lead() {
    let app = TestApp::spawn().await;
    let rules = json!([
        { "target": "leadName", "source": "nickname", "default": "微信用户" },
        { "target": "mobilePhone", "source": "phone", "transform": "phone", "required": true }
    ]);
    let scene = scene_with(&app, "wechat_mini_program", rules).await;
    let (_, secret) = rotate(&app, &scene).await;
    let body = json!({ "appid": "wx4f4bc4dec97d474b", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL",
        "scene": 1047, "timestamp": 1764690000,
        "phone_info": { "phoneNumber": "13800138001", "purePhoneNumber": "13800138001", "countryCode": "86" } });
    let (status, answer) = deliver(&app, &scene, &secret, &body).await;
    assert_eq!((status, answer.clone()), (200, json!({ "errcode": 0, "errmsg": "ok" })));
    let row = processed(&app, &scene).await;
    assert_eq!(row.status, "PROCESSED", "{row:?}");
    let key = row.idempotency_key.clone().unwrap();
    assert!(key.starts_with("wx:") && !key.contains("oUpF8u"), "an opaque event id: {key}");
    assert_eq!(row.submission["openid"], "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    let lead = lead(&app, row.lead_id.as_deref().unwrap()).await;
    assert_eq!((lead["leadName"].as_str(), lead["mobilePhone"].as_str()), (Some("微信用户"), Some("+8613800138001")));
    let (status, answer) = deliver(&app, &scene, "not-the-secret", &body).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!((answer["errcode"].as_u64(), answer["reason"].as_str()), (Some(401), Some("BAD_SIGNATURE")));
}

#[tokio::test]
async fn a_platform_retry_of_one_event_with_a_new_signature_answers_the_same_ingestion() {
    let app = TestApp::spawn().await;
    let (scene, _, secret) = signed_scene(&app).await;
    let body = json!({ "event_id": "evt-7", "submission_data": { "name": "李雷", "phone": "13800138007" } });
    let bytes = body.to_string();
    // One clock reading: two readings a second apart would sign both deliveries alike (a replay).
    let t = now();
    let (s1, a1) = deliver_at(&app, &scene, &secret, t, bytes.as_bytes()).await;
    let (s2, a2) = deliver_at(&app, &scene, &secret, t - 1, bytes.as_bytes()).await;
    assert_eq!((s1, s2), (202, 202), "{a1} {a2}");
    assert_eq!(a1["ingestion_id"], a2["ingestion_id"]);
    // Processed first, so the worker writes nothing between the two snapshots.
    assert_eq!(processed(&app, &scene).await.status, "PROCESSED");
    // The same event id with another body is a conflict.
    let other = json!({ "event_id": "evt-7", "submission_data": { "name": "韩梅梅", "phone": "13800138008" } });
    let before = snapshot(&app, &[], |_, _| {}).await;
    let (s3, a3) = deliver(&app, &scene, &secret, &other).await;
    assert_eq!(s3, 409, "{a3}");
    assert_eq!(a3["error"]["code"], "EVENT_ID_REUSED");
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
    let row = processed(&app, &scene).await;
    assert_eq!(row.status, "PROCESSED", "one ingestion, one lead: {row:?}");
}

#[tokio::test]
async fn a_replayed_signature_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (scene, _, secret) = signed_scene(&app).await;
    let body = json!({ "submission_data": { "name": "赵六", "phone": "13800138006" } }).to_string();
    let ts = now().to_string();
    let sig = sign(secret.as_bytes(), &ts, body.as_bytes());
    let (status, answer) = deliver_raw(&app, &scene, Some(&ts), Some(&sig), body.as_bytes()).await;
    assert_eq!(status, 202, "{answer}");
    processed(&app, &scene).await;
    let before = snapshot(&app, &[], |_, _| {}).await;
    // The same signature again, also spelled in upper case.
    let upper = format!("sha256={}", sig["sha256=".len()..].to_uppercase());
    for sig in [sig.as_str(), upper.as_str()] {
        let (status, answer) = deliver_raw(&app, &scene, Some(&ts), Some(sig), body.as_bytes()).await;
        assert_eq!(status, 409, "{answer}");
        assert_eq!(answer["error"]["code"], "REPLAYED");
    }
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
}

/// A refused delivery: what, scene, timestamp header, signature header, body, status, code.
type Case<'a> = (&'a str, &'a str, Option<String>, Option<String>, Vec<u8>, u16, &'a str);
/// A correctly signed refused delivery: what, scene, secret, timestamp, body, status, code.
type SignedCase<'a> = (&'a str, &'a str, &'a str, i64, Vec<u8>, u16, &'a str);

#[tokio::test]
async fn bad_deliveries_are_refused_with_their_code_and_write_nothing() {
    let app = TestApp::spawn_with(|c| c.limits.max_body_bytes = 64 * 1024).await;
    let (scene, _, secret) = signed_scene(&app).await;
    let disabled = scene_named(&app, "disabled", "generic", generic_rules(), false).await;
    rotate(&app, &disabled).await;
    let unsigned_scene = scene_named(&app, "nosecret", "generic", generic_rules(), true).await;
    let douyin = scene_with(&app, "douyin", generic_rules()).await;
    let (_, douyin_secret) = rotate(&app, &douyin).await;
    let before = snapshot(&app, &[], |_, _| {}).await;
    let good = json!({ "submission_data": { "name": "x", "phone": "13800138000" } }).to_string();
    let good = good.as_bytes();
    let ts = now().to_string();
    let sig = sign(secret.as_bytes(), &ts, good);
    let cases: Vec<Case> = vec![
        ("unknown scene", "SCN_NOPE", Some(ts.clone()), Some(sig.clone()), good.to_vec(), 404, "SCENE_NOT_FOUND"),
        ("disabled scene", &disabled, Some(ts.clone()), Some(sig.clone()), good.to_vec(), 422, "SCENE_DISABLED"),
        ("no headers", &scene, None, None, good.to_vec(), 401, "SIGNATURE_REQUIRED"),
        ("no signature", &scene, Some(ts.clone()), None, good.to_vec(), 401, "SIGNATURE_REQUIRED"),
        ("no timestamp", &scene, None, Some(sig.clone()), good.to_vec(), 401, "SIGNATURE_REQUIRED"),
        (
            "timestamp not a number",
            &scene,
            Some("soon".into()),
            Some(sig.clone()),
            good.to_vec(),
            401,
            "SIGNATURE_REQUIRED",
        ),
        ("no scheme", &scene, Some(ts.clone()), Some(sig[7..].to_string()), good.to_vec(), 401, "SIGNATURE_REQUIRED"),
        (
            "short signature",
            &scene,
            Some(ts.clone()),
            Some("sha256=abcd".into()),
            good.to_vec(),
            401,
            "SIGNATURE_REQUIRED",
        ),
        (
            "another body",
            &scene,
            Some(ts.clone()),
            Some(sig.clone()),
            b"{\"submission_data\":{}}".to_vec(),
            401,
            "BAD_SIGNATURE",
        ),
        (
            "another secret",
            &scene,
            Some(ts.clone()),
            Some(sign(b"guess", &ts, good)),
            good.to_vec(),
            401,
            "BAD_SIGNATURE",
        ),
        (
            "no active secret",
            &unsigned_scene,
            Some(ts.clone()),
            Some(sig.clone()),
            good.to_vec(),
            422,
            "WEBHOOK_NOT_CONFIGURED",
        ),
    ];
    for (what, scene, ts, sig, body, status, code) in cases {
        let (got, answer) = deliver_raw(&app, scene, ts.as_deref(), sig.as_deref(), &body).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{what}: {answer}");
    }
    // Correctly signed, but stale (either way), not JSON, too large, or not the adapter's shape.
    let signed: Vec<SignedCase> = vec![
        ("stale", &scene, &secret, now() - 301, good.to_vec(), 401, "STALE_TIMESTAMP"),
        ("from the future", &scene, &secret, now() + 301, good.to_vec(), 401, "STALE_TIMESTAMP"),
        ("not JSON", &scene, &secret, now(), b"name=x&phone=13800138000".to_vec(), 400, "MALFORMED_REQUEST"),
        (
            "oversized",
            &scene,
            &secret,
            now(),
            format!("{{\"submission_data\":{{\"pad\":\"{}\"}}}}", "x".repeat(70_000)).into_bytes(),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        ("no submission_data", &scene, &secret, now(), b"{\"event_id\":\"e\"}".to_vec(), 422, "INVALID_PAYLOAD"),
    ];
    for (what, scene, secret, ts, body, status, code) in signed {
        let (got, answer) = deliver_at(&app, scene, secret, ts, &body).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{what}: {answer}");
    }
    let (got, answer) = deliver_at(&app, &scene, &secret, now(), b"{\"event_id\":\"e\"}").await;
    assert_eq!(got, 422);
    assert!(answer["error"]["message"].as_str().unwrap().contains("submission_data is required"), "{answer}");
    let (got, answer) = deliver(&app, &douyin, &douyin_secret, &json!({ "data": { "telephone": "1" } })).await;
    assert_eq!((got, answer["reason"].as_str()), (422, Some("INVALID_PAYLOAD")), "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("clue_id is required"), "{answer}");
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
}

#[tokio::test]
async fn during_rotation_both_active_secrets_verify_and_a_retired_one_no_longer_does() {
    let app = TestApp::spawn().await;
    let (scene, old_id, old) = signed_scene(&app).await;
    let issued = app.data(ROTATE, json!({ "s": scene })).await;
    let new = issued["rotateWebhookSecret"]["secret"].as_str().unwrap().to_string();
    let new_id = issued["rotateWebhookSecret"]["secretId"].as_str().unwrap().to_string();
    assert_eq!(issued["rotateWebhookSecret"]["sceneId"], scene);
    assert_eq!(issued["rotateWebhookSecret"]["activeSecretIds"], json!([old_id, new_id]));
    // A third active secret is refused, and writes nothing.
    let before = snapshot(&app, &[], |_, _| {}).await;
    let third = app.gql(ROTATE, json!({ "s": scene })).await;
    assert_eq!(error_code(&third), "CONFLICT", "{third}");
    assert!(third["errors"][0]["message"].as_str().unwrap().contains("retire one first"), "{third}");
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
    for (i, secret) in [&old, &new].into_iter().enumerate() {
        let body = json!({ "submission_data": { "name": format!("客户{i}"), "phone": format!("1380013810{i}") } });
        let (status, answer) = deliver(&app, &scene, secret, &body).await;
        assert_eq!(status, 202, "secret {i}: {answer}");
    }
    let still = app.data(RETIRE, json!({ "id": old_id })).await;
    assert_eq!(still["retireWebhookSecret"], json!([new_id]));
    let body = json!({ "submission_data": { "name": "客户3", "phone": "13800138103" } });
    let (status, answer) = deliver(&app, &scene, &old, &body).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (401, Some("BAD_SIGNATURE")), "{answer}");
    assert_eq!(deliver(&app, &scene, &new, &body).await.0, 202);
    // Retired already, or unknown: not found; so is an unknown scene.
    assert_eq!(error_code(&app.gql(RETIRE, json!({ "id": old_id })).await), "NOT_FOUND");
    assert_eq!(error_code(&app.gql(RETIRE, json!({ "id": "WHS_NOPE" })).await), "NOT_FOUND");
    assert_eq!(error_code(&app.gql(ROTATE, json!({ "s": "SCN_NOPE" })).await), "NOT_FOUND");
}

#[tokio::test]
async fn only_admin_may_rotate_or_retire_a_webhook_secret() {
    let app = TestApp::spawn().await;
    let (scene, secret_id, _) = signed_scene(&app).await;
    let before = snapshot(&app, &[], |_, _| {}).await;
    for scopes in [&[Scope::Read, Scope::Write][..], &[Scope::Ingest]] {
        let t = token(scopes, None);
        assert_eq!(error_code(&app.gql_as(&t, ROTATE, json!({ "s": scene })).await), "FORBIDDEN");
        assert_eq!(error_code(&app.gql_as(&t, RETIRE, json!({ "id": secret_id })).await), "FORBIDDEN");
    }
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
}

#[tokio::test]
async fn the_webhook_secret_is_stored_sealed_and_deleted_with_its_scene() {
    let app = TestApp::spawn().await;
    let (scene, secret_id, secret) = signed_scene(&app).await;
    let rows = webhook_secret::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].secret_id, secret_id);
    assert!(rows[0].secret.starts_with("v1:"), "a ciphertext: {}", rows[0].secret);
    assert!(!rows[0].secret.contains(&secret) && !rows[0].secret.contains(&secret[..16]), "stored in plaintext");
    // Sealed to its row: the ciphertext opens as the secret for this row only.
    let pii = app.pii();
    assert_eq!(pii.open_secret("webhook_secret", "secret", &secret_id, &rows[0].secret).unwrap(), secret);
    assert!(pii.open_secret("webhook_secret", "secret", "WHS_OTHER", &rows[0].secret).is_err());
    app.data("mutation($id: ID!) { deleteAcquisitionScene(id: $id) }", json!({ "id": scene })).await;
    assert!(webhook_secret::Entity::find().all(&app.db).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_scene_naming_an_unknown_webhook_adapter_is_refused_naming_its_path_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let before = snapshot(&app, &[], |_, _| {}).await;
    for (params, path) in [
        (json!({ "webhook": { "adapter": "tiktok" } }), "sceneSpecificParams.webhook.adapter"),
        (json!({ "webhook": { "adapter": "douyin", "response": "xml" } }), "sceneSpecificParams.webhook.response"),
        (json!({ "webhook": { "secret": "x" } }), "sceneSpecificParams.webhook.secret"),
    ] {
        let input = json!({ "sceneName": "x", "sceneType": "API_IMPORT", "deduplicationStrategy": "NO_CHECK",
            "sceneSpecificParams": params });
        let body = app.gql(CREATE_SCENE, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(path), "{body}");
    }
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
}

#[tokio::test]
async fn signatures_are_forgotten_once_their_timestamp_has_left_the_window() {
    let app = TestApp::spawn().await;
    let (scene, _, secret) = signed_scene(&app).await;
    let body = json!({ "submission_data": { "name": "x", "phone": "13800138000" } });
    assert_eq!(deliver(&app, &scene, &secret, &body).await.0, 202);
    let seen = entity::webhook_signature::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(seen.len(), 1);
    let now = chrono::Utc::now();
    assert_eq!(cdp360::repo::webhook::forget_expired_signatures(&app.db, now).await.unwrap(), 0);
    let later = now + chrono::Duration::seconds(cdp360::domain::webhook::REPLAY_WINDOW_SECS + 61);
    assert_eq!(cdp360::repo::webhook::forget_expired_signatures(&app.db, later).await.unwrap(), 1);
}
