//! Lead acquisition, first slice: scenes (GraphQL, `admin` to write, mapping rules validated on
//! write) and REST ingestion (`ingest` scope, idempotency, refusals that write nothing), processed
//! by the worker into leads with sealed PII, duplicates and rejections with reasons.

use cdp360::auth::Scope;
use entity::enums::ChannelType;
use serde_json::{Value, json};

use crate::fixtures;
use crate::harness::{TestApp, assert_unchanged, error_code, snapshot, token};

const CREATE_SCENE: &str = "mutation($input: CreateAcquisitionSceneInput!) {
    createAcquisitionScene(input: $input) { id sceneId sceneType isEnabled dataMappingRules defaultChannel { channelId } }
}";

fn web_form_rules() -> Value {
    json!([
        { "target": "leadName", "source": "name", "required": true },
        { "target": "mobilePhone", "source": "contact.phone", "transform": "phone", "required": true },
        { "target": "email", "source": "contact.email", "transform": "email" },
        { "target": "companyName", "source": "company", "default": "未填写" }
    ])
}

/// A channel and an enabled WEB_FORM scene deduplicating by phone; the scene's id.
async fn web_form_scene(app: &TestApp) -> String {
    fixtures::insert(&app.db, vec![fixtures::channel("CH_FORM", ChannelType::Website)]).await;
    scene(app, "WEB_FORM", "BY_PHONE", true).await
}

async fn scene(app: &TestApp, scene_type: &str, strategy: &str, enabled: bool) -> String {
    let input = json!({
        "sceneName": format!("官网表单 {scene_type}"),
        "sceneType": scene_type,
        "isEnabled": enabled,
        "defaultChannelId": "CH_FORM",
        "dataMappingRules": web_form_rules(),
        "deduplicationStrategy": strategy,
        "protectionPeriodHours": 72,
    });
    let data = app.data(CREATE_SCENE, json!({ "input": input })).await;
    data["createAcquisitionScene"]["id"].as_str().unwrap().to_string()
}

pub(crate) fn ingest_token() -> String {
    token(&[Scope::Ingest], None)
}

/// POSTs an ingestion body with `token`; the status and the JSON answer.
pub(crate) async fn post(app: &TestApp, token: &str, key: Option<&str>, body: &[u8]) -> (u16, Value) {
    let mut req = app
        .client
        .post(app.url("/api/v1/leads/ingestions"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn submit(app: &TestApp, scene_id: &str, data: Value) -> String {
    let body = json!({ "scene_config_id": scene_id, "submission_data": data, "meta": { "ip": "203.0.113.9", "user_agent": "test", "submission_url": "https://shop.test/form?utm_source=x" } });
    let (status, answer) = post(app, &ingest_token(), None, body.to_string().as_bytes()).await;
    assert_eq!(status, 202, "{answer}");
    answer["ingestion_id"].as_str().unwrap().to_string()
}

/// GETs an ingestion's status with `token`.
async fn status_of(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.client.get(app.url(&format!("/api/v1/leads/ingestions/{id}"))).bearer_auth(token).send().await.unwrap()
}

/// Polls the status endpoint until the ingestion leaves ACCEPTED (at most 10 s).
pub(crate) async fn finished(app: &TestApp, id: &str) -> Value {
    for _ in 0..500 {
        let res = status_of(app, &ingest_token(), id).await;
        assert_eq!(res.status().as_u16(), 200);
        let body: Value = res.json().await.unwrap();
        if body["status"] != "ACCEPTED" {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("ingestion {id} was not processed within 10 s");
}

#[tokio::test]
async fn scenes_are_written_with_the_admin_scope_and_read_with_read() {
    let app = TestApp::spawn().await;
    let id = web_form_scene(&app).await;
    let writer = token(&[Scope::Read, Scope::Write], None);
    let input = json!({ "sceneName": "x", "sceneType": "API_IMPORT", "deduplicationStrategy": "NO_CHECK" });
    let refused = app.gql_as(&writer, CREATE_SCENE, json!({ "input": input })).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    let update = "mutation($id: ID!) { updateAcquisitionScene(id: $id, input: { isEnabled: false }) { isEnabled } }";
    assert_eq!(error_code(&app.gql_as(&writer, update, json!({ "id": id })).await), "FORBIDDEN");
    let read = "query($id: ID!) { acquisitionScene(id: $id) { sceneType deduplicationStrategy protectionPeriodHours defaultChannel { channelId } } }";
    let got = app.data_as(&token(&[Scope::Read], None), read, json!({ "id": id })).await;
    assert_eq!(got["acquisitionScene"]["sceneType"], "WEB_FORM");
    assert_eq!(got["acquisitionScene"]["deduplicationStrategy"], "BY_PHONE");
    assert_eq!(got["acquisitionScene"]["protectionPeriodHours"], 72);
    assert_eq!(got["acquisitionScene"]["defaultChannel"]["channelId"], "CH_FORM");
    let updated = app.data(update, json!({ "id": id })).await;
    assert_eq!(updated["updateAcquisitionScene"]["isEnabled"], false);
    let delete = "mutation($id: ID!) { deleteAcquisitionScene(id: $id) }";
    assert_eq!(error_code(&app.gql_as(&writer, delete, json!({ "id": id })).await), "FORBIDDEN");
    app.data(delete, json!({ "id": id })).await;
    let gone = app.data(read, json!({ "id": id })).await;
    assert_eq!(gone["acquisitionScene"], Value::Null);
}

#[tokio::test]
async fn a_mapping_rule_naming_an_unknown_lead_field_is_refused_naming_its_path_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    fixtures::insert(&app.db, vec![fixtures::channel("CH_FORM", ChannelType::Website)]).await;
    let before = snapshot(&app, &[], |_, _| {}).await;
    let mut rules = web_form_rules();
    rules[2]["target"] = json!("shoeSize");
    let input = json!({
        "sceneName": "坏规则", "sceneType": "WEB_FORM", "isEnabled": true, "defaultChannelId": "CH_FORM",
        "dataMappingRules": rules, "deduplicationStrategy": "BY_PHONE",
    });
    let body = app.gql(CREATE_SCENE, json!({ "input": input })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("dataMappingRules[2].target"), "{message}");
    // A default channel that does not exist is refused the same way.
    let input = json!({ "sceneName": "x", "sceneType": "WEB_FORM", "defaultChannelId": "CH_NONE", "deduplicationStrategy": "NO_CHECK" });
    let body = app.gql(CREATE_SCENE, json!({ "input": input })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("defaultChannelId"), "{body}");
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
}

#[tokio::test]
async fn an_accepted_submission_becomes_a_lead_whose_phone_and_email_are_sealed_at_rest() {
    let app = TestApp::spawn().await;
    let scene_id = web_form_scene(&app).await;
    let id = submit(
        &app,
        &scene_id,
        json!({ "name": " 王芳 ", "contact": { "phone": "139 1234 5678", "email": "Wang.Fang@Example.com" }, "alt_phone": "13987654321" }),
    )
    .await;
    assert!(id.starts_with("ING_"), "{id}");
    let done = finished(&app, &id).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    let lead_id = done["lead_id"].as_str().unwrap();
    let read = "query($id: ID!) { lead(id: $id) { leadName companyName mobilePhone email leadSource leadStatus channel { channelId } } }";
    let lead = &app.data(read, json!({ "id": lead_id })).await["lead"];
    assert_eq!(lead["leadName"], "王芳");
    assert_eq!(lead["companyName"], "未填写");
    assert_eq!(lead["mobilePhone"], "+8613912345678");
    assert_eq!(lead["email"], "wang.fang@example.com");
    assert_eq!(lead["leadSource"], "FORM");
    assert_eq!(lead["leadStatus"], "NEW");
    assert_eq!(lead["channel"]["channelId"], "CH_FORM");
    // No table holds a plaintext phone or e-mail: not the lead, not the stored submission.
    let rows = snapshot(&app, &[], |_, _| {}).await;
    for (table, rows) in &rows {
        for row in rows {
            for plain in ["13912345678", "1234 5678", "13987654321", "Wang.Fang", "wang.fang"] {
                assert!(!row.contains(plain), "{table} holds {plain}: {row}");
            }
        }
    }
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.lines().any(|l| l.starts_with("cdp360_ingestion_total{outcome=\"processed\"} 1")), "{metrics}");
}

#[tokio::test]
async fn the_same_key_and_body_is_the_same_ingestion_and_the_same_key_with_another_body_is_a_conflict() {
    let app = TestApp::spawn().await;
    let scene_id = web_form_scene(&app).await;
    let body = json!({ "scene_type": "WEB_FORM", "submission_data": { "name": "李雷", "contact": { "phone": "13800138001" } } });
    let bytes = body.to_string();
    let (s1, a1) = post(&app, &ingest_token(), Some("order-1"), bytes.as_bytes()).await;
    let (s2, a2) = post(&app, &ingest_token(), Some("order-1"), bytes.as_bytes()).await;
    assert_eq!((s1, s2), (202, 202), "{a1} {a2}");
    assert_eq!(a1["ingestion_id"], a2["ingestion_id"]);
    assert_eq!(a1["status_url"], format!("/api/v1/leads/ingestions/{}", a1["ingestion_id"].as_str().unwrap()));
    let other = json!({ "scene_config_id": scene_id, "submission_data": { "name": "韩梅梅", "contact": { "phone": "13800138002" } } });
    let (s3, a3) = post(&app, &ingest_token(), Some("order-1"), other.to_string().as_bytes()).await;
    assert_eq!(s3, 409, "{a3}");
    assert_eq!(a3["error"]["code"], "IDEMPOTENCY_KEY_REUSED");
    let done = finished(&app, a1["ingestion_id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    let count = app.data("{ leads { totalCount } }", json!({})).await;
    assert_eq!(count["leads"]["totalCount"], 1, "one lead for the replayed request");
}

#[tokio::test]
async fn an_unknown_or_disabled_scene_a_non_json_and_an_oversized_body_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn_with(|c| c.limits.max_body_bytes = 64 * 1024).await;
    let enabled = web_form_scene(&app).await;
    let disabled = scene(&app, "API_IMPORT", "NO_CHECK", false).await;
    let before = snapshot(&app, &[], |_, _| {}).await;
    let data = json!({ "name": "x", "contact": { "phone": "13800138000" } });
    let cases = [
        (json!({ "scene_config_id": "SCN_NOPE", "submission_data": data }).to_string(), 422, "SCENE_NOT_FOUND"),
        (json!({ "scene_config_id": disabled, "submission_data": data }).to_string(), 422, "SCENE_DISABLED"),
        (json!({ "scene_type": "API_IMPORT", "submission_data": data }).to_string(), 422, "SCENE_DISABLED"),
        (json!({ "scene_type": "QR_CODE_SCAN", "submission_data": data }).to_string(), 422, "SCENE_NOT_FOUND"),
        (json!({ "scene_type": "NO_SUCH_TYPE", "submission_data": data }).to_string(), 422, "SCENE_NOT_FOUND"),
        (
            json!({ "scene_config_id": enabled, "scene_type": "WEB_FORM", "submission_data": data }).to_string(),
            400,
            "MALFORMED_REQUEST",
        ),
        (json!({ "scene_config_id": enabled, "submission_data": "text" }).to_string(), 400, "MALFORMED_REQUEST"),
        ("name=x&phone=13800138000".to_string(), 400, "MALFORMED_REQUEST"),
        (
            format!("{{\"scene_config_id\":\"{enabled}\",\"submission_data\":{{\"pad\":\"{}\"}}}}", "x".repeat(70_000)),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (body, status, code) in cases {
        let (got, answer) = post(&app, &ingest_token(), Some("k"), body.as_bytes()).await;
        assert_eq!(got, status, "{} → {answer}", &body[..body.len().min(120)]);
        assert_eq!(answer["error"]["code"], code, "{answer}");
    }
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
}

#[tokio::test]
async fn a_second_submission_of_one_phone_is_a_duplicate_of_the_first_lead() {
    let app = TestApp::spawn().await;
    let scene_id = web_form_scene(&app).await;
    let first = submit(&app, &scene_id, json!({ "name": "张伟", "contact": { "phone": "13800138000" } })).await;
    let first = finished(&app, &first).await;
    assert_eq!(first["status"], "PROCESSED", "{first}");
    // Another spelling of the same number.
    let second = submit(&app, &scene_id, json!({ "name": "张伟2", "contact": { "phone": "+86 138-0013-8000" } })).await;
    let second = finished(&app, &second).await;
    assert_eq!(second["status"], "DUPLICATE_OF", "{second}");
    assert_eq!(second["duplicate_of"], first["lead_id"]);
    assert!(second.get("lead_id").is_none(), "{second}");
    let count = app.data("{ leads { totalCount } }", json!({})).await;
    assert_eq!(count["leads"]["totalCount"], 1);
}

#[tokio::test]
async fn a_missing_required_field_and_an_invalid_phone_are_rejected_with_reasons() {
    let app = TestApp::spawn().await;
    let scene_id = web_form_scene(&app).await;
    let missing = submit(&app, &scene_id, json!({ "contact": { "phone": "13800138000" } })).await;
    let invalid = submit(&app, &scene_id, json!({ "name": "赵六", "contact": { "phone": "12345" } })).await;
    let missing = finished(&app, &missing).await;
    assert_eq!(missing["status"], "REJECTED", "{missing}");
    assert_eq!(missing["reasons"], json!(["leadName: required, but submission_data.name is missing"]));
    let invalid = finished(&app, &invalid).await;
    assert_eq!(invalid["status"], "REJECTED", "{invalid}");
    let reason = invalid["reasons"][0].as_str().unwrap();
    assert!(reason.starts_with("mobilePhone is not a valid"), "{reason}");
    assert!(!reason.contains("12345"), "a reason never echoes the value: {reason}");
    let count = app.data("{ leads { totalCount } }", json!({})).await;
    assert_eq!(count["leads"]["totalCount"], 0);
}

#[tokio::test]
async fn ingestion_without_the_ingest_scope_is_forbidden_and_without_a_token_unauthenticated() {
    let app = TestApp::spawn().await;
    let scene_id = web_form_scene(&app).await;
    let body = json!({ "scene_config_id": scene_id, "submission_data": { "name": "x" } }).to_string();
    let (status, answer) =
        post(&app, &token(&[Scope::Read, Scope::Write, Scope::Admin], None), None, body.as_bytes()).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["code"], "FORBIDDEN");
    // The default client carries a token; a bare one carries none.
    let res = reqwest::Client::new().post(app.url("/api/v1/leads/ingestions")).body(body).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(status_of(&app, &token(&[Scope::Read], None), "ING_X").await.status().as_u16(), 403);
    assert_eq!(status_of(&app, &ingest_token(), "ING_X").await.status().as_u16(), 404);
}
