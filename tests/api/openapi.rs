//! The OpenAPI document of the REST endpoints (`GET /api/v1/openapi.json`, `docs/openapi.json`):
//! OpenAPI 3.1, exactly the REST routes the router serves, schemas the real answers and requests
//! satisfy, behind a token, and committed as served.

use cdp360::auth::Scope;
use reqwest::Method;
use serde_json::{Value, json};

use crate::acquisition::{finished, ingest_token, post, submit, web_form_scene};
use crate::harness::{TestApp, token};
use crate::webhooks;

const DOCUMENT: &str = "/api/v1/openapi.json";

/// The REST operations: every route of `http::rest()`, none of GraphQL, GraphiQL, health or metrics.
const OPERATIONS: [(&str, &str); 5] = [
    ("post", "/api/v1/leads/ingestions"),
    ("get", "/api/v1/leads/ingestions/{id}"),
    ("post", "/webhooks/{scene}"),
    ("post", "/api/v1/verification-codes"),
    ("get", "/api/v1/openapi.json"),
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(app: &TestApp) -> Value {
    let res = app.client.get(app.url(DOCUMENT)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    res.json().await.unwrap()
}

/// `(method, path)` of every operation of the document.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                ops.push((method.to_string(), path.clone()));
            }
        }
    }
    ops.sort();
    ops
}

/// The `.route(` calls and the method routers of `fn rest()` in `src/http/mod.rs`.
fn routes_in_source() -> (usize, usize) {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/mod.rs")).unwrap();
    let start = source.find("fn rest()").expect("http::rest exists");
    let body = &source[start..start + source[start..].find("\n}").expect("its end")];
    let methods = METHODS.iter().map(|m| body.matches(&format!("{m}(")).count()).sum();
    (body.matches(".route(").count(), methods)
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_lists_exactly_the_rest_routes_the_router_serves() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut expected: Vec<(String, String)> = OPERATIONS.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    expected.sort();
    assert_eq!(operations(&doc), expected);
    // As many routes and methods in the router's REST list as the document has paths and operations.
    let paths = doc["paths"].as_object().unwrap().len();
    assert_eq!(routes_in_source(), (paths, OPERATIONS.len()), "http::rest() and the document differ");
    let description = doc["info"]["description"].as_str().unwrap();
    for absent in ["/graphql", "/healthz", "/readyz", "/metrics", "GraphiQL"] {
        assert!(description.contains(absent), "the description says {absent} is not described");
    }
    // Each is served: the handler answers (a JSON refusal without credentials), and another
    // method on its path is refused by the router (405), not unmatched (404).
    let anonymous = reqwest::Client::new();
    for (method, path) in OPERATIONS {
        let url = app.url(&path.replace("{id}", "ING0").replace("{scene}", "SCENE0"));
        let res = anonymous.request(method.to_uppercase().parse().unwrap(), &url).body("{}").send().await.unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert!(body["error"]["code"].is_string(), "{method} {path}: {status} {body}");
        for other in METHODS.iter().filter(|m| !OPERATIONS.contains(&(**m, path))) {
            let res = anonymous.request(Method::from_bytes(other.to_uppercase().as_bytes()).unwrap(), &url).send();
            assert_eq!(res.await.unwrap().status().as_u16(), 405, "{other} {path}");
        }
    }
}

/// Resolves a `$ref` of the document (`#/components/...`).
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.strip_prefix('#').expect("a local reference");
            resolve(doc, doc.pointer(pointer).unwrap_or_else(|| panic!("{r} is not in the document")))
        }
        None => schema,
    }
}

fn type_matches(ty: &str, value: &Value) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("unknown type {other}"),
    }
}

/// The ways `value` breaks `schema` (a structural check of the keywords the document uses:
/// `$ref`, `type`, `enum`, `required`, `properties`, `items`, `oneOf`, `minItems`, `maxItems`,
/// `maxLength`), each with its JSON path.
fn violations(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolve(doc, schema);
    let mut out = Vec::new();
    if let Some(one_of) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = one_of.iter().filter(|s| violations(doc, s, value, at).is_empty()).count();
        if matching != 1 {
            out.push(format!("{at}: matches {matching} of the oneOf schemas"));
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
        out.push(format!("{at}: {value} is not of type {types:?}"));
        return out;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {values:?}"));
    }
    if let (Some(max), Some(s)) = (schema["maxLength"].as_u64(), value.as_str())
        && s.chars().count() as u64 > max
    {
        out.push(format!("{at}: longer than {max}"));
    }
    if let Value::Object(object) = value {
        for required in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(required) {
                out.push(format!("{at}: `{required}` is missing"));
            }
        }
        for (key, property) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(v) = object.get(key) {
                out.extend(violations(doc, property, v, &format!("{at}.{key}")));
            }
        }
    }
    if let Value::Array(items) = value {
        let n = items.len() as u64;
        if schema["minItems"].as_u64().is_some_and(|min| n < min)
            || schema["maxItems"].as_u64().is_some_and(|max| n > max)
        {
            out.push(format!("{at}: {n} items is out of bounds"));
        }
        for (i, item) in items.iter().enumerate() {
            if let Some(items_schema) = schema.get("items") {
                out.extend(violations(doc, items_schema, item, &format!("{at}[{i}]")));
            }
        }
    }
    out
}

/// The JSON schema the document declares for an answer of `status` from `method path`.
fn answer_schema<'a>(doc: &'a Value, method: &str, path: &str, status: u16) -> &'a Value {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(!response.is_null(), "{method} {path} declares no {status}");
    &resolve(doc, response)["content"]["application/json"]["schema"]
}

fn request_schema<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
}

fn assert_valid(doc: &Value, schema: &Value, value: &Value, what: &str) {
    assert!(!schema.is_null(), "{what}: no schema");
    let problems = violations(doc, schema, value, "$");
    assert!(problems.is_empty(), "{what} does not validate: {problems:?}\n{value}");
}

fn assert_answer(doc: &Value, (method, path): (&str, &str), status: u16, body: &Value) {
    assert_valid(doc, answer_schema(doc, method, path, status), body, &format!("{method} {path} {status}"));
}

#[tokio::test]
async fn real_ingestion_status_and_error_answers_validate_against_the_schemas_the_document_declares() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let (submit_op, status_op) = (OPERATIONS[0], OPERATIONS[1]);
    let scene = web_form_scene(&app).await;
    let one = json!({ "scene_config_id": scene, "submission_data": { "name": "王芳", "contact": { "phone": "13800138000" } },
        "meta": { "ip": "203.0.113.9", "submission_url": "https://shop.test/form?utm_source=x" } });
    let batch =
        json!({ "submissions": [one.clone(), { "scene_type": "WEB_FORM", "submission_data": { "name": "x" } }] });
    for request in [&one, &batch] {
        assert_valid(&doc, request_schema(&doc, "post", submit_op.1), request, "a submission request");
        let (status, answer) = post(&app, &ingest_token(), None, request.to_string().as_bytes()).await;
        assert_eq!(status, 202, "{answer}");
        assert_answer(&doc, submit_op, 202, &answer);
    }
    // A processed ingestion and a rejected one (its rules require a phone).
    let processed =
        finished(&app, &submit(&app, &scene, json!({ "name": "李雷", "contact": { "phone": "13800138001" } })).await)
            .await;
    assert_eq!(processed["status"], "PROCESSED", "{processed}");
    let rejected = finished(&app, &submit(&app, &scene, json!({ "name": "韩梅梅" })).await).await;
    assert_eq!(rejected["status"], "REJECTED", "{rejected}");
    for status in [&processed, &rejected] {
        assert_answer(&doc, status_op, 200, status);
    }
    // Refusals: malformed (400), no scene (422), no `ingest` scope (403) and no token (401), shared
    // responses, an unknown id (404).
    let (status, malformed) = post(&app, &ingest_token(), None, b"not json").await;
    assert_eq!(status, 400);
    assert_answer(&doc, submit_op, 400, &malformed);
    let (status, unknown) =
        post(&app, &ingest_token(), None, br#"{"scene_config_id":"nope","submission_data":{}}"#).await;
    assert_eq!(status, 422, "{unknown}");
    assert_answer(&doc, submit_op, 422, &unknown);
    let (status, forbidden) = post(&app, &token(&[Scope::Read], None), None, one.to_string().as_bytes()).await;
    assert_eq!(status, 403, "{forbidden}");
    assert_answer(&doc, submit_op, 403, &forbidden);
    let res = reqwest::Client::new().get(app.url("/api/v1/leads/ingestions/ING0")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_answer(&doc, status_op, 401, &res.json().await.unwrap());
    let res =
        app.client.get(app.url("/api/v1/leads/ingestions/ING0")).bearer_auth(ingest_token()).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert_answer(&doc, status_op, 404, &res.json().await.unwrap());
    // The check itself fails a wrong answer: a status without `status`, a batch past the limit.
    let mut broken = processed.clone();
    broken.as_object_mut().unwrap().remove("status");
    assert!(!violations(&doc, answer_schema(&doc, "get", status_op.1, 200), &broken, "$").is_empty());
    let unknown_status = json!({ "ingestion_id": "ING1", "status": "LOST", "attempts": 0 });
    assert!(!violations(&doc, answer_schema(&doc, "get", status_op.1, 200), &unknown_status, "$").is_empty());
    // The documented batch limit is the one the server enforces.
    let max = cdp360::services::acquisition::MAX_BATCH;
    let full = json!({ "submissions": vec![one.clone(); max] });
    assert_valid(&doc, request_schema(&doc, "post", submit_op.1), &full, "a full batch");
    let too_many = json!({ "submissions": vec![one; max + 1] });
    assert!(!violations(&doc, request_schema(&doc, "post", submit_op.1), &too_many, "$").is_empty());
}

#[tokio::test]
async fn real_webhook_deliveries_and_answers_of_each_adapter_validate_against_the_document() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let op = OPERATIONS[2];
    let generic = webhooks::scene_with(&app, "generic", webhooks::generic_rules()).await;
    let douyin = webhooks::scene_with(
        &app,
        "douyin",
        json!([{ "target": "mobilePhone", "source": "telephone", "required": true }]),
    )
    .await;
    let wechat = webhooks::scene_with(
        &app,
        "wechat_mini_program",
        json!([{ "target": "mobilePhone", "source": "phone", "required": true }]),
    )
    .await;
    let deliveries = [
        (
            &generic,
            json!({ "event_id": "evt-1", "submission_data": { "name": "李雷", "phone": "13800138007" }, "meta": { "ip": "203.0.113.9" } }),
            202,
        ),
        (
            &douyin,
            json!({ "event": "clue.create", "clue_id": 7012345678901234567u64, "data": { "name": "张伟", "telephone": "13800138000", "city": "深圳" } }),
            200,
        ),
        (
            &wechat,
            json!({ "appid": "wx4f4bc4dec97d474b", "openid": "oUpF8uMuAJO", "scene": 1047, "timestamp": 1764690000,
            "phone_info": { "purePhoneNumber": "13800138001", "countryCode": "86" } }),
            200,
        ),
    ];
    for (scene, body, expected) in deliveries {
        assert_valid(&doc, request_schema(&doc, "post", op.1), &body, &format!("a delivery to {scene}"));
        let (_, secret) = webhooks::rotate(&app, scene).await;
        let (status, answer) = webhooks::deliver(&app, scene, &secret, &body).await;
        assert_eq!(status, expected, "{answer}");
        assert_answer(&doc, op, status, &answer);
        // A refusal in the scene's shape: the signature of another secret.
        let (status, refused) = webhooks::deliver(&app, scene, "not-the-secret", &body).await;
        assert_eq!(status, 401, "{refused}");
        assert_answer(&doc, op, 401, &refused);
    }
    // A body no adapter reads is not a delivery.
    assert!(!violations(&doc, request_schema(&doc, "post", op.1), &json!({ "clue_id": 1 }), "$").is_empty());
}

#[tokio::test]
async fn the_document_needs_a_valid_token_of_any_scope() {
    let app = TestApp::spawn().await;
    let anonymous = reqwest::Client::new();
    for bearer in [None, Some("not-a-token")] {
        let mut req = anonymous.get(app.url(DOCUMENT));
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401);
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED", "{body}");
    }
    let res = anonymous.get(app.url(DOCUMENT)).bearer_auth(token(&[Scope::Read], None)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn the_committed_docs_openapi_json_is_the_document_the_server_serves() {
    let app = TestApp::spawn().await;
    let served = app.client.get(app.url(DOCUMENT)).send().await.unwrap().text().await.unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
    let committed = std::fs::read_to_string(path).expect("docs/openapi.json exists");
    assert!(committed == served, "docs/openapi.json is stale: run `cargo run -- export-openapi`");
    let check = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cdp360"))
            .args(["export-openapi", "--check", "--output"])
            .arg(file)
            .output()
            .unwrap()
    };
    let out = check(std::path::Path::new(path));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("openapi.json");
    std::fs::write(&stale, served.replace("3.1.0", "3.0.0")).unwrap();
    assert!(!check(&stale).status.success(), "--check fails on a stale file");
}
