//! Bad input is the client's error (`BAD_USER_INPUT`), never a 500.

use serde_json::json;

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, error_code};

async fn code(app: &TestApp, query: &str) -> String {
    error_code(&app.gql(query, json!({})).await)
}

#[tokio::test]
async fn paging_arguments_out_of_range_are_bad_user_input() {
    let app = TestApp::spawn().await;
    assert_eq!(code(&app, "{ leads(first: -1) { totalCount } }").await, "BAD_USER_INPUT");
    assert_eq!(code(&app, "{ leads(first: 10000) { totalCount } }").await, "BAD_USER_INPUT");
    assert_eq!(code(&app, "{ leads(last: 501) { totalCount } }").await, "BAD_USER_INPUT");
    assert_eq!(code(&app, "{ leads(first: 1, last: 1) { totalCount } }").await, "BAD_USER_INPUT");
    // A nested list validates its own arguments (it runs once a parent exists).
    insert(&app.db, vec![fixtures::account("ACC_1", "x")]).await;
    assert_eq!(
        code(&app, "{ accounts(first: 1) { nodes { contacts(first: -5) { totalCount } } } }").await,
        "BAD_USER_INPUT"
    );
}

#[tokio::test]
async fn a_forged_cursor_is_bad_user_input() {
    let app = TestApp::spawn().await;
    insert(&app.db, (0..3).map(fixtures::lead).collect()).await;
    for forged in ["not-a-cursor", "eyJjIjoibGVhZF9pZCJ9.AAAA", ""] {
        let body = app.gql("query($c: String) { leads(after: $c) { totalCount } }", json!({ "c": forged })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{forged:?}");
    }
}

#[tokio::test]
async fn unknown_enum_values_and_malformed_scalars_are_bad_user_input() {
    let app = TestApp::spawn().await;
    assert_eq!(code(&app, "{ leads(filter: { leadStatus: { eq: BOGUS } }) { totalCount } }").await, "BAD_USER_INPUT");
    assert_eq!(
        code(&app, "{ leads(filter: { createdAt: { gt: \"yesterday\" } }) { totalCount } }").await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        code(&app, "{ accounts(filter: { annualRevenue: { gt: \"lots\" } }) { totalCount } }").await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        code(&app, "{ campaigns(filter: { startDate: { gt: \"2026-13-45\" } }) { totalCount } }").await,
        "BAD_USER_INPUT"
    );
    assert_eq!(code(&app, "{ leads(orderBy: { field: NOT_A_COLUMN }) { totalCount } }").await, "BAD_USER_INPUT");
    assert_eq!(code(&app, "{ leads { nope } }").await, "BAD_USER_INPUT");
    assert_eq!(code(&app, "{ leads(").await, "BAD_USER_INPUT");
}

#[tokio::test]
async fn too_many_values_in_an_in_list_are_refused() {
    let app = TestApp::spawn().await;
    let many: Vec<i32> = (0..1001).collect();
    let body = app
        .gql("query($v: [Int!]) { leads(filter: { leadScore: { in: $v } }) { totalCount } }", json!({ "v": many }))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn queries_deeper_than_the_limit_are_refused() {
    let app = TestApp::spawn_with(|c| c.limits.max_depth = 4).await;
    let deep = "{ accounts { nodes { contacts { nodes { primaryAccount { accountId } } } } } }";
    assert_eq!(code(&app, deep).await, "BAD_USER_INPUT");
}

#[tokio::test]
async fn queries_above_the_complexity_limit_are_refused() {
    let app = TestApp::spawn().await;
    // 500 leads × 500 touchpoints each × their fields.
    let heavy = "{ leads(first: 500) { nodes { touchpoints(first: 500) { nodes { touchpointId subject } } } } }";
    let body = app.gql(heavy, json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("complex"), "{body}");
    let light = "{ leads(first: 10) { nodes { touchpoints(first: 3) { nodes { touchpointId } } } } }";
    app.data(light, json!({})).await;
}

// A repeated query reuses the validation it passed (`graphql::documents`); a value that would
// change that validation's outcome must still be validated.

#[tokio::test]
async fn a_query_validated_before_is_still_refused_when_a_variable_makes_it_too_complex() {
    let app = TestApp::spawn().await;
    let q =
        "query($n: Int) { leads(first: 500) { nodes { touchpoints(first: $n) { nodes { touchpointId subject } } } } }";
    app.data(q, json!({ "n": 1 })).await;
    app.data(q, json!({ "n": 1 })).await;
    let body = app.gql(q, json!({ "n": 500 })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body.get("data").is_none(), "refused by validation, before execution: {body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("complex"), "{body}");
    app.data(q, json!({ "n": 2 })).await;
}

#[tokio::test]
async fn a_query_validated_before_is_still_refused_when_a_variable_has_the_wrong_type() {
    let app = TestApp::spawn().await;
    let by_id = "query($id: ID!) { lead(id: $id) { leadId } }";
    let by_phone = "query($p: String!) { contacts(filter: { mobilePhone: { eq: $p } }) { totalCount } }";
    for _ in 0..2 {
        assert_eq!(app.data(by_id, json!({ "id": "LEAD_none" })).await, json!({ "lead": null }));
        app.data(by_phone, json!({ "p": "13800000000" })).await;
    }
    // An ID may be an integer.
    assert_eq!(app.data(by_id, json!({ "id": 7 })).await, json!({ "lead": null }));
    for (query, wrong) in [
        (by_id, json!({ "id": { "a": 1 } })),
        (by_id, json!({ "id": true })),
        (by_id, json!({ "id": 1.5 })),
        (by_id, json!({ "id": null })),
        (by_phone, json!({ "p": 5 })),
        (by_phone, json!({ "p": ["13800000000"] })),
    ] {
        let body = app.gql(query, wrong.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{wrong}: {body}");
        // Refused by validation, before execution: no `data`, no field path (execution would
        // answer `data: null` and the field's path).
        assert!(body.get("data").is_none(), "{wrong}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().starts_with("Invalid value for argument"), "{body}");
    }
    assert_eq!(app.data(by_id, json!({ "id": "LEAD_other" })).await, json!({ "lead": null }));
}
