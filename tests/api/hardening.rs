//! The hardening issue, tried as an attacker would: authorization no document shape can dodge,
//! inputs that cannot crash the server, introspection at the default limits, responses in
//! selection order, and HTTP hygiene.

use std::time::Duration;

use cdp360::auth::Scope;
use futures_util::StreamExt;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, assert_unchanged, error_code, snapshot, token};
use crate::schema_walk::{INTROSPECTION, Schema};
use crate::websocket;

const SCOPES: [Scope; 5] = [Scope::Read, Scope::Write, Scope::Pii, Scope::Ingest, Scope::Admin];

/// Every set of scopes none of which is in `need`.
fn sets_without(need: &[Scope]) -> Vec<Vec<Scope>> {
    let others: Vec<Scope> = SCOPES.into_iter().filter(|s| !need.contains(s)).collect();
    (0..1u32 << others.len())
        .map(|mask| others.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, s)| *s).collect())
        .collect()
}

/// `body` as the only root selection of a mutation: plainly, under `depth` inline fragments, and
/// at the end of a chain of `depth` fragment spreads.
fn hidden(field: &str, depth: usize) -> [String; 3] {
    let plain = format!("mutation {{ {field} }}");
    let inline = format!("mutation {{ {}{field}{} }}", "... on MutationRoot { ".repeat(depth), " }".repeat(depth));
    let mut spreads = String::from("mutation { ...F0 }");
    for i in 0..depth {
        let next = if i + 1 == depth { field.to_owned() } else { format!("...F{}", i + 1) };
        spreads.push_str(&format!(" fragment F{i} on MutationRoot {{ {next} }}"));
    }
    [plain, inline, spreads]
}

/// A token with exactly `scopes`: none at all is a token a partner system can sign too (the
/// server's own minting refuses to make one).
fn token_with(scopes: &[Scope]) -> String {
    if !scopes.is_empty() {
        return token(scopes, None);
    }
    let now = chrono::Utc::now().timestamp();
    let claims = json!({ "sub": "test", "scope": "", "iat": now, "nbf": now, "exp": now + 3600 });
    let header =
        jsonwebtoken::Header { kid: Some("hs256".into()), ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256) };
    let key = jsonwebtoken::EncodingKey::from_secret(crate::harness::test_secret().expose());
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

async fn post_batch(app: &TestApp, token: &str, queries: &[String]) -> Vec<Value> {
    let batch: Vec<Value> = queries.iter().map(|q| json!({ "query": q })).collect();
    let res = reqwest::Client::new().post(app.url("/graphql")).bearer_auth(token).json(&batch).send().await.unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap_or_else(|| panic!("a batch answer: {body}")).clone()
}

#[tokio::test]
async fn no_mutation_runs_for_a_token_without_its_scope_however_deep_it_is_hidden() {
    let app = TestApp::spawn().await;
    insert(&app.db, (1..=2).map(fixtures::lead).collect()).await;
    let schema = Schema::load(&app).await;
    let fields = schema.root_fields("MutationRoot");
    assert!(fields.len() > 200, "every generic and workflow mutation is covered: {}", fields.len());
    let before = snapshot(&app, &[], |_, _| {}).await;
    let mut checked = 0;
    for field in &fields {
        let need = cdp360::graphql::guard::required_scope(&field.name);
        let call = schema.minimal_call(field);
        let shapes = hidden(&call, 50);
        for scopes in sets_without(need) {
            let answers = post_batch(&app, &token_with(&scopes), &shapes).await;
            for (shape, body) in shapes.iter().zip(&answers) {
                assert_eq!(error_code(body), "FORBIDDEN", "{} with {scopes:?} as {:.120}…: {body}", field.name, shape);
                checked += 1;
            }
        }
    }
    assert!(checked > 3 * 8 * 200, "{checked}");
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
}

#[tokio::test]
async fn a_mutation_answers_a_token_without_read_with_ids_only() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::campaign("CMP_1")]).await;
    let mut other = fixtures::lead(7);
    other.campaign_id = Some("CMP_1".into());
    insert(&app.db, vec![other]).await;
    let writer = token(&[Scope::Write], None);
    let leaky = "mutation { createLead(input: { leadName: \"新线索\", leadSource: WEBSITE, campaignId: \"CMP_1\" }) \
                 { id campaign { leads { nodes { leadName mobilePhone } } } } }";
    let body = app.gql_as(&writer, leaky, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert!(!body.to_string().contains("线索7"), "no other lead leaks: {body}");
    // Through a fragment on the payload, too.
    let fragment = "mutation { createLead(input: { leadName: \"x\", leadSource: WEBSITE }) { ...L } } \
                    fragment L on Lead { id leadName }";
    let body = app.gql_as(&writer, fragment, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["createLead", "leadName"]), "{body}");
    // The receipt itself is allowed.
    let ok = app
        .data_as(
            &writer,
            "mutation { createLead(input: { leadName: \"y\", leadSource: WEBSITE }) { id __typename } }",
            json!({}),
        )
        .await;
    assert!(ok["createLead"]["id"].as_str().unwrap().starts_with("LEAD_"), "{ok}");
}

#[tokio::test]
async fn reads_below_a_mutation_payload_follow_the_pii_and_channel_rules_of_queries() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::channel("CH_A", entity::enums::ChannelType::Wechat)]).await;
    insert(&app.db, vec![fixtures::channel("CH_B", entity::enums::ChannelType::Douyin)]).await;
    insert(&app.db, vec![fixtures::campaign("CMP_1")]).await;
    let create = |channel: &str, phone: &str| {
        format!(
            "mutation {{ createLead(input: {{ leadName: \"{channel}\", leadSource: WEBSITE, campaignId: \"CMP_1\", \
             channelId: \"{channel}\", mobilePhone: \"{phone}\" }}) \
             {{ id campaign {{ leads {{ nodes {{ channelId mobilePhone }} }} }} }} }}"
        )
    };
    app.data(&create("CH_B", "13800138001"), json!({})).await;
    let partner = token(&[Scope::Read, Scope::Write], Some(&["CH_A"]));
    let data = app.data_as(&partner, &create("CH_A", "13800138002"), json!({})).await;
    let seen = data["createLead"]["campaign"]["leads"]["nodes"].as_array().unwrap();
    assert_eq!(seen.len(), 1, "only the partner's channel: {data}");
    assert_eq!(seen[0]["channelId"], "CH_A");
    assert_eq!(seen[0]["mobilePhone"], "138****8002", "masked without `pii`: {data}");
}

/// One malicious input, as a literal in the query and as a variable (raw JSON text: a deep
/// `serde_json::Value` would overflow the test's own stack).
struct Attack {
    name: &'static str,
    literal: String,
    query_with_var: &'static str,
    variables: String,
}

fn attacks(n: usize) -> Vec<Attack> {
    let nest = |open: &str, inner: &str, close: &str| format!("{}{inner}{}", open.repeat(n), close.repeat(n));
    let items = |item: &str| vec![item; n].join(",");
    let keys = |sep: &str| (0..n).map(|i| format!("k{i}{sep}1")).collect::<Vec<_>>().join(",");
    let create = |custom: &str| {
        format!(
            "mutation {{ createLead(input: {{ leadName: \"x\", leadSource: WEBSITE, customFields: {custom} }}) {{ id }} }}"
        )
    };
    let filter_q = "query($f: LeadFilter) { leads(filter: $f) { totalCount } }";
    let create_q =
        "mutation($c: JSON) { createLead(input: { leadName: \"x\", leadSource: WEBSITE, customFields: $c }) { id } }";
    vec![
        Attack {
            name: "nested and",
            literal: format!("{{ leads(filter: {}) {{ totalCount }} }}", nest("{and: [", "{}", "]}")),
            query_with_var: filter_q,
            variables: format!("{{\"f\": {}}}", nest("{\"and\": [", "{}", "]}")),
        },
        Attack {
            name: "nested not",
            literal: format!("{{ leads(filter: {}) {{ totalCount }} }}", nest("{not: ", "{}", "}")),
            query_with_var: filter_q,
            variables: format!("{{\"f\": {}}}", nest("{\"not\": ", "{}", "}")),
        },
        Attack {
            name: "wide list",
            literal: format!("{{ leads(filter: {{leadId: {{in: [{}]}}}}) {{ totalCount }} }}", items("\"L\"")),
            query_with_var: filter_q,
            variables: format!("{{\"f\": {{\"leadId\": {{\"in\": [{}]}}}}}}", items("\"L\"")),
        },
        Attack {
            name: "wide object",
            literal: create(&format!("{{{}}}", keys(": "))),
            query_with_var: create_q,
            variables: format!(
                "{{\"c\": {{{}}}}}",
                (0..n).map(|i| format!("\"k{i}\": 1")).collect::<Vec<_>>().join(",")
            ),
        },
        Attack {
            name: "deep JSON",
            literal: create(&nest("{a: ", "1", "}")),
            query_with_var: create_q,
            variables: format!("{{\"c\": {}}}", nest("{\"a\": ", "1", "}")),
        },
        Attack {
            name: "deep list",
            literal: format!("{{ leads(filter: {{leadId: {{in: {}}}}}) {{ totalCount }} }}", nest("[", "\"L\"", "]")),
            query_with_var: filter_q,
            variables: format!("{{\"f\": {{\"leadId\": {{\"in\": {}}}}}}}", nest("[", "\"L\"", "]")),
        },
    ]
}

#[tokio::test]
async fn deep_and_wide_inputs_are_refused_and_the_server_keeps_serving() {
    // Large enough a body that the bounds, not the body limit, refuse.
    let app = TestApp::spawn_with(|c| c.limits.max_body_bytes = 16 << 20).await;
    insert(&app.db, vec![fixtures::lead(1)]).await;
    for n in [100_000, 2_000] {
        for attack in attacks(n) {
            for (how, body) in [
                ("literal", json!({ "query": attack.literal }).to_string()),
                (
                    "variable",
                    format!("{{\"query\": {}, \"variables\": {}}}", json!(attack.query_with_var), attack.variables),
                ),
            ] {
                let res = app
                    .client
                    .post(app.url("/graphql"))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let answer: Value =
                    res.json().await.unwrap_or_else(|e| panic!("{} {how} {n}: not JSON: {e}", attack.name));
                assert!(
                    status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
                    "{} {how} {n}: {status}",
                    attack.name
                );
                assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{} {how} {n}: {answer:.300}", attack.name);
                // Still serving.
                assert_eq!(app.data("{ leads { totalCount } }", json!({})).await["leads"]["totalCount"], 1);
            }
        }
    }
    assert_eq!(entity::lead::Entity::find().all(&app.db).await.unwrap().len(), 1, "nothing was written");
}

#[tokio::test]
async fn a_long_chain_of_fragment_spreads_is_refused_and_the_server_keeps_serving() {
    let app = TestApp::spawn_with(|c| c.limits.max_body_bytes = 16 << 20).await;
    let n = 100_000;
    let mut query = String::from("{ ...F0 }");
    for i in 0..n {
        let next = if i + 1 == n { "__typename".to_owned() } else { format!("...F{}", i + 1) };
        query.push_str(&format!(" fragment F{i} on QueryRoot {{ {next} }}"));
    }
    let body = app.gql(&query, json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:.300}");
    assert_eq!(app.data("{ __typename }", json!({})).await["__typename"], "QueryRoot");
}

#[tokio::test]
async fn a_filter_nested_within_the_limits_still_answers() {
    let app = TestApp::spawn().await;
    insert(&app.db, (1..=3).map(fixtures::lead).collect()).await;
    let inner = "{leadName: {eq: \"线索2\"}}";
    for n in [1, 10, 25] {
        let filter = format!("{}{inner}{}", "{and: [".repeat(n), "]}".repeat(n));
        let data = app.data(&format!("{{ leads(filter: {filter}) {{ nodes {{ leadName }} }} }}"), json!({})).await;
        assert_eq!(data["leads"]["nodes"], json!([{ "leadName": "线索2" }]), "{n}");
        let not = format!("{}{inner}{}", "{not: {not: ".repeat(n), "}}".repeat(n));
        let data = app.data(&format!("{{ leads(filter: {not}) {{ nodes {{ leadName }} }} }}"), json!({})).await;
        assert_eq!(data["leads"]["nodes"], json!([{ "leadName": "线索2" }]), "not {n}");
    }
}

#[tokio::test]
async fn filters_with_more_values_than_a_statement_can_bind_are_refused_by_name() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::lead(1)]).await;
    let ids: Vec<String> = (0..1000).map(|i| format!("L{i}")).collect();
    let parts: Vec<Value> = (0..70).map(|_| json!({ "leadId": { "in": ids } })).collect();
    let body =
        app.gql("query($f: LeadFilter) { leads(filter: $f) { totalCount } }", json!({ "f": { "or": parts } })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:.300}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("filter"), "{body:.300}");
}

#[tokio::test]
async fn nul_characters_and_out_of_range_times_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::lead(1)]).await;
    let before = snapshot(&app, &[], |_, _| {}).await;
    let cases = [
        ("{ lead(id: \"LEAD_\\u0000\") { id } }".to_owned(), json!({}), "lead.id"),
        ("query($id: ID!) { lead(id: $id) { id } }".to_owned(), json!({ "id": "a\u{0}" }), "$id"),
        ("{ leads(filter: {leadName: {contains: \"a\\u0000\"}}) { totalCount } }".to_owned(), json!({}), "leads.filter.leadName.contains"),
        (
            "mutation($c: JSON) { createLead(input: { leadName: \"x\", leadSource: WEBSITE, customFields: $c }) { id } }".to_owned(),
            json!({ "c": { "k\u{0}": "v" } }),
            "$c",
        ),
        (
            "mutation { createLead(input: { leadName: \"x\", leadSource: WEBSITE, customFields: {k: \"v\\u0000\"} }) { id } }".to_owned(),
            json!({}),
            "createLead.input.customFields.k",
        ),
    ];
    for (query, vars, field) in cases {
        let body = app.gql(&query, vars).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(field), "{field} named: {body}");
    }
    for time in ["9999-12-31T23:59:60Z", "9999-12-31T23:00:00-05:00", "0000-01-01T00:00:00+01:00"] {
        let q = format!("{{ leads(filter: {{createdAt: {{gt: \"{time}\"}}}}) {{ totalCount }} }}");
        let body = app.gql(&q, json!({})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{time}: {body}");
        let q = "mutation($t: DateTime!) { updateLead(id: \"LEAD_000001\", input: { lastContactedAt: $t }) { id } }";
        let body = app.gql(q, json!({ "t": time })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{time}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("DateTime") && message.contains(time), "the value and its type are named: {body}");
    }
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
}

#[tokio::test]
async fn the_standard_introspection_query_passes_at_the_default_limits_while_user_queries_keep_theirs() {
    let app = TestApp::spawn().await;
    let limits =
        cdp360::config::Config::for_database(String::from("sqlite::memory:"), crate::harness::test_secret()).limits;
    assert_eq!(limits.max_depth, 12, "the test server runs the default depth");
    let data = app.data(INTROSPECTION, json!({})).await;
    let types = data["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Lead"), "the schema loads");
    // The same request over GET, as some tools send it.
    let res = app.client.get(app.url("/graphql")).query(&[("query", INTROSPECTION)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let deep =
        format!("{{ accounts {{ nodes {{ {}accountId{} }} }} }}", "parentAccount { ".repeat(11), " }".repeat(11));
    let body = app.gql(&deep, json!({})).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("nested too deep"), "{body}");
}

#[tokio::test]
async fn identical_requests_answer_identical_bytes_in_selection_order() {
    let app = TestApp::spawn_with_demo_data().await;
    let query = "{ accounts(first: 5) { totalCount nodes { accountName accountId summary { calculatedAt healthScore accountId } \
                 industry { industryName industryId } contacts(first: 3) { nodes { contactName contactId } totalCount } \
                 opportunities(first: 2) { totalCount nodes { stageHistory(first: 2) { totalCount nodes { toStage } } opportunityName } } \
                 owner { userName userId } city province createdAt } pageInfo { hasNextPage endCursor } } \
                 leads(first: 3) { nodes { leadName channel { channelName } } totalCount } }";
    let mut first: Option<String> = None;
    for _ in 0..50 {
        let text = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains("\"errors\""), "{text:.500}");
        match &first {
            None => first = Some(text),
            Some(f) => assert_eq!(&text, f, "byte-identical answers"),
        }
    }
    let text = first.unwrap();
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} in {text:.300}"));
    assert!(at("\"accounts\"") < at("\"leads\""));
    assert!(at("\"totalCount\"") < at("\"nodes\""), "totalCount first, as selected");
    assert!(at("\"accountName\"") < at("\"accountId\""));
    assert!(at("\"calculatedAt\"") < at("\"healthScore\""));
    assert!(at("\"stageHistory\"") < at("\"opportunityName\""));
}

#[tokio::test]
async fn answers_carry_nosniff_and_no_store_and_the_graphiql_page_its_security_policy() {
    let app = TestApp::spawn().await;
    for path in ["/graphql?query=%7B__typename%7D", "/healthz", "/"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    let page = app.client.get(app.url("/")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let directive = |name: &str| {
        csp.split(';').map(str::trim).find_map(|d| d.strip_prefix(name)).map(str::trim).unwrap_or_default().to_owned()
    };
    assert_eq!(directive("default-src"), "'none'", "{csp}");
    assert_eq!(directive("frame-ancestors"), "'none'", "{csp}");
    // No other origin: scripts and workers from the page's server only, no inline script, no eval.
    assert_eq!(directive("script-src"), "'self'", "{csp}");
    assert_eq!(directive("worker-src"), "'self'", "{csp}");
    assert_eq!(directive("style-src"), "'self' 'unsafe-inline'", "{csp}");
    // Requests go to this server and its WebSocket origin only.
    let host = app.addr.to_string();
    assert_eq!(directive("connect-src"), format!("'self' ws://{host} wss://{host}"), "{csp}");
    for other in ["http:", "https:", "*", "unsafe-eval"] {
        assert!(
            !csp.replace(&format!("ws://{host}"), "").replace(&format!("wss://{host}"), "").contains(other),
            "{csp}"
        );
    }
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
}

#[tokio::test]
async fn malformed_requests_get_400_and_request_errors_carry_no_data() {
    let app = TestApp::spawn().await;
    let post = |body: &'static str, accept: &'static str| {
        app.client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .header("accept", accept)
            .body(body)
            .send()
    };
    let json = "application/json";
    let gql = "application/graphql-response+json";
    for (body, accept) in [
        ("[]", json),
        ("[]", gql),
        (r#"{"qeury": "{ __typename }"}"#, json),
        (r#"{"qeury": "{ __typename }"}"#, gql),
        (r#"{"query": "  "}"#, gql),
    ] {
        let res = post(body, accept).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body} ({accept})");
        let answer: Value = res.json().await.unwrap();
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    }
    for body in [r#"{"query": "{ leads { "}"#, r#"{"query": "{ noSuchField }"}"#] {
        let res = post(body, gql).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let answer: Value = res.json().await.unwrap();
        assert!(answer.get("data").is_none(), "a request error has no data entry: {answer}");
        assert!(answer["errors"].as_array().is_some_and(|e| !e.is_empty()), "{answer}");
    }
    // An execution error keeps its `data` (null where the error was).
    let answer: Value =
        post(r#"{"query": "{ lead(id: \"bad id!\") { id } }"}"#, gql).await.unwrap().json().await.unwrap();
    assert!(answer.get("data").is_some(), "{answer}");
}

/// Opens a raw connection and sends `bytes`; how long until the server answers or closes.
async fn stalled_for(app: &TestApp, bytes: &[u8]) -> (Duration, String) {
    let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    conn.write_all(bytes).await.unwrap();
    let started = std::time::Instant::now();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), conn.read_to_end(&mut got)).await;
    (started.elapsed(), String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test]
async fn a_stalled_request_is_dropped_within_its_read_timeout() {
    let app = TestApp::spawn_with(|c| c.http_read_timeout = Duration::from_secs(1)).await;
    let bearer = format!("Bearer {}", token(&[Scope::Read], None));
    // Headers that never end.
    let (took, _) = stalled_for(&app, b"POST /graphql HTTP/1.1\r\nHost: x\r\nX-Slow: ").await;
    assert!(took < Duration::from_secs(10), "headers timed out: {took:?}");
    // A body that never completes.
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: {bearer}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"query\":"
    );
    let (took, answer) = stalled_for(&app, head.as_bytes()).await;
    assert!(took < Duration::from_secs(10), "body timed out: {took:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // The server still serves.
    assert_eq!(app.data("{ __typename }", json!({})).await["__typename"], "QueryRoot");
}

#[tokio::test]
async fn graceful_shutdown_closes_websockets_with_going_away() {
    let mut app = TestApp::spawn().await;
    let mut ws = websocket::connect_as(&app, &token(&[Scope::Read], None)).await;
    websocket::send(
        &mut ws,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { leadCreated { id } }" } }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.shut_down();
    assert_eq!(websocket::close_code(&mut ws, Duration::from_secs(10)).await, Some(1001));
    assert!(ws.next().await.is_none_or(|m| m.is_err()), "closed after the farewell");
}
