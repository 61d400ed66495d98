//! Bulk ingestion (`trackEvents`, `recordTouchpoints`) and manual tagging through the API.

use cdp360::auth::Scope;
use entity::enums::{ChannelType, EntityType, TagSource};
use entity::{contact_summary, event, tag_relation, touchpoint};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, error_code, token};

const TRACK: &str = "mutation($e: [EventInput!]!) { trackEvents(events: $e) { count ids } }";
const RECORD: &str = "mutation($t: [TouchpointInput!]!) { recordTouchpoints(touchpoints: $t) { count ids } }";

fn page_view(i: usize) -> Value {
    json!({
        "eventName": "page_view",
        "eventType": "PAGE_VIEW",
        "contactId": "CNT_1",
        "accountId": "ACC_1",
        "eventTime": format!("2026-11-01T08:{:02}:{:02}Z", (i / 60) % 60, i % 60),
        "pageUrl": "https://example.com/pricing?plan=pro",
        "ipAddress": "203.0.113.7",
        "utmParams": { "utm_source": "wechat" },
    })
}

async fn app_with_a_customer() -> TestApp {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_1", "华为")]).await;
    insert(&app.db, vec![fixtures::contact("CNT_1", "张伟", Some("ACC_1"))]).await;
    app
}

async fn events(app: &TestApp) -> u64 {
    event::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_thousand_events_go_in_with_one_call_a_few_statements_and_fresh_summaries() {
    let app = app_with_a_customer().await;
    let batch: Vec<Value> = (0..1000).map(page_view).collect();
    let before = app.statements().await;
    let got = app.data(TRACK, json!({ "e": batch })).await;
    app.settle().await;
    let statements = app.statements().await - before;
    assert_eq!(got["trackEvents"]["count"], 1000);
    assert_eq!(got["trackEvents"]["ids"].as_array().unwrap().len(), 1000);
    assert!(got["trackEvents"]["ids"][0].as_str().unwrap().starts_with("EVT_"));
    assert_eq!(events(&app).await, 1000);
    // References checked per table, one multi-row INSERT batch, the outbox row; after the commit
    // one refresh per summary kind (with its own outbox row) and the events' business day's
    // performance (one read, a delete per performance table).
    assert!(statements <= 19, "{statements} statements for 1000 events");
    let summary = contact_summary::Entity::find()
        .filter(contact_summary::Column::ContactId.eq("CNT_1"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the contact's summary exists");
    assert_eq!(summary.total_events, 1000);
    let stored = event::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(stored.utm_params, Some(json!({ "utm_source": "wechat" })));
}

#[tokio::test]
async fn a_bad_event_is_refused_by_index_and_field_and_nothing_is_written() {
    let app = app_with_a_customer().await;
    let with = |i: usize, patch: Value| {
        let mut batch: Vec<Value> = (0..5).map(page_view).collect();
        for (k, v) in patch.as_object().unwrap() {
            batch[i][k] = v.clone();
        }
        json!({ "e": batch })
    };
    for (vars, code, needle) in [
        (with(3, json!({ "pageUrl": "javascript:alert(1)" })), "BAD_USER_INPUT", "events[3].pageUrl"),
        (with(1, json!({ "leadId": "LEAD_404" })), "BAD_USER_INPUT", "events[1].leadId"),
        (with(2, json!({ "eventName": "" })), "BAD_USER_INPUT", "events[2].eventName"),
        (with(2, json!({ "eventName": "x".repeat(101) })), "BAD_USER_INPUT", "events[2].eventName"),
        (with(4, json!({ "eventTime": "2099-01-01T00:00:00Z" })), "BAD_USER_INPUT", "events[4].eventTime"),
        (with(0, json!({ "ipAddress": "999.1.1.1" })), "BAD_USER_INPUT", "events[0].ipAddress"),
        (with(0, json!({ "eventProperties": [1, 2] })), "BAD_USER_INPUT", "events[0].eventProperties"),
        (with(0, json!({ "eventId": "bad id!" })), "BAD_USER_INPUT", "events[0].eventId"),
        (with(0, json!({ "eventType": "NOT_A_TYPE" })), "BAD_USER_INPUT", "NOT_A_TYPE"),
        (json!({ "e": (0..1001).map(page_view).collect::<Vec<_>>() }), "BAD_USER_INPUT", "at most 1000"),
    ] {
        let body = app.gql(TRACK, vars).await;
        assert_eq!(error_code(&body), code, "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(needle), "{needle}: {body}");
        assert_eq!(events(&app).await, 0, "nothing written for {needle}");
    }
    // A duplicate id within the batch violates the key: CONFLICT, and still nothing written.
    let body = app.gql(TRACK, with(1, json!({ "eventId": "EVT_SAME" }))).await;
    assert!(body.get("errors").is_none());
    let body = app.gql(TRACK, with(3, json!({ "eventId": "EVT_SAME" }))).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert_eq!(events(&app).await, 5);
}

#[tokio::test]
async fn an_ingest_token_writes_only_into_its_channels_and_cannot_read() {
    let app = app_with_a_customer().await;
    insert(
        &app.db,
        vec![fixtures::channel("CH_A", ChannelType::Wechat), fixtures::channel("CH_B", ChannelType::Douyin)],
    )
    .await;
    let mut foreign = fixtures::lead(9);
    foreign.channel_id = Some("CH_B".into());
    insert(&app.db, vec![foreign]).await;
    let partner = token(&[Scope::Ingest], Some(&["CH_A"]));
    let one = |patch: Value| {
        let mut e = page_view(0);
        for (k, v) in patch.as_object().unwrap() {
            e[k] = v.clone();
        }
        json!({ "e": [e] })
    };
    let ok = app.gql_as(&partner, TRACK, one(json!({ "channelId": "CH_A" }))).await;
    assert_eq!(ok["data"]["trackEvents"]["count"], 1, "{ok}");
    let other = app.gql_as(&partner, TRACK, one(json!({ "channelId": "CH_B" }))).await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    let none = app.gql_as(&partner, TRACK, one(json!({}))).await;
    assert_eq!(error_code(&none), "BAD_USER_INPUT");
    // Another channel's lead is as absent as a missing one.
    let lead = app.gql_as(&partner, TRACK, one(json!({ "channelId": "CH_A", "leadId": "LEAD_000009" }))).await;
    assert_eq!(error_code(&lead), "BAD_USER_INPUT");
    assert_eq!(events(&app).await, 1);
    let read = reqwest::Client::new()
        .post(app.url("/graphql"))
        .bearer_auth(&partner)
        .json(&json!({ "query": "{ events { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), reqwest::StatusCode::FORBIDDEN);
    // Tagging is not ingestion.
    let tag = app
        .gql_as(
            &partner,
            "mutation { tagEntities(tagId: \"T\", entityType: LEAD, entityIds: [\"L\"]) { changed } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&tag), "FORBIDDEN");
}

#[tokio::test]
async fn touchpoints_are_recorded_in_bulk_and_must_name_who_they_were_with() {
    let app = app_with_a_customer().await;
    let tp = |patch: Value| {
        let mut t = json!({
            "touchpointType": "CALL",
            "contactId": "CNT_1",
            "touchpointTime": "2026-11-01T09:00:00Z",
            "subject": "首次沟通",
            "durationSeconds": 300,
        });
        for (k, v) in patch.as_object().unwrap() {
            t[k] = v.clone();
        }
        t
    };
    let got = app.data(RECORD, json!({ "t": [tp(json!({})), tp(json!({ "accountId": "ACC_1" }))] })).await;
    assert_eq!(got["recordTouchpoints"]["count"], 2);
    for (patch, needle) in [
        (json!({ "contactId": null }), "touchpoints[0]: name the contactId"),
        (json!({ "durationSeconds": -1 }), "touchpoints[0].durationSeconds"),
        (json!({ "subject": "长".repeat(201) }), "touchpoints[0].subject"),
        (json!({ "ownerUserId": "USR_404" }), "touchpoints[0].ownerUserId"),
    ] {
        let body = app.gql(RECORD, json!({ "t": [tp(patch)] })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(needle), "{needle}: {body}");
    }
    assert_eq!(touchpoint::Entity::find().count(&app.db).await.unwrap(), 2);
    app.settle().await;
    let summary = app.data("{ contact(id: \"CNT_1\") { summary { totalTouchpoints } } }", json!({})).await;
    assert_eq!(summary["contact"]["summary"]["totalTouchpoints"], 2);
}

const TAG: &str = "mutation($t: ID!, $ty: EntityType!, $ids: [ID!]!) { tagEntities(tagId: $t, entityType: $ty, entityIds: $ids) { changed unchanged } }";
const UNTAG: &str = "mutation($t: ID!, $ty: EntityType!, $ids: [ID!]!) { untagEntities(tagId: $t, entityType: $ty, entityIds: $ids) { changed unchanged } }";

#[tokio::test]
async fn tagging_by_hand_is_idempotent_records_who_and_checks_every_entity() {
    let app = TestApp::spawn().await;
    // The test token's subject is "test": make it a staff user so tagged_by is recorded.
    insert(&app.db, vec![fixtures::user("test")]).await;
    insert(&app.db, vec![fixtures::tag("TAG_VIP", "VIP")]).await;
    insert(&app.db, (1..=3).map(fixtures::lead).collect()).await;
    let relations = || async { tag_relation::Entity::find().all(&app.db).await.unwrap() };

    let ids = json!(["LEAD_000001", "LEAD_000002", "LEAD_000001"]);
    let got = app.data(TAG, json!({ "t": "TAG_VIP", "ty": "LEAD", "ids": ids })).await;
    assert_eq!(got["tagEntities"], json!({ "changed": 2, "unchanged": 0 }));
    let again = app.data(TAG, json!({ "t": "TAG_VIP", "ty": "LEAD", "ids": ["LEAD_000002", "LEAD_000003"] })).await;
    assert_eq!(again["tagEntities"], json!({ "changed": 1, "unchanged": 1 }));
    let rows = relations().await;
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r.tag_source == TagSource::Manual && !r.is_auto_tagged && r.entity_type == EntityType::Lead)
    );
    assert!(rows.iter().all(|r| r.tagged_by_user_id.as_deref() == Some("test")));
    let tags = app.data("{ lead(id: \"LEAD_000003\") { tags { nodes { tagName } } } }", json!({})).await;
    assert_eq!(tags["lead"]["tags"]["nodes"], json!([{ "tagName": "VIP" }]));

    // A missing entity or tag refuses the whole call.
    for (vars, needle) in [
        (json!({ "t": "TAG_VIP", "ty": "CONTACT", "ids": ["LEAD_000001"] }), "entityIds[0]"),
        (json!({ "t": "TAG_404", "ty": "LEAD", "ids": ["LEAD_000001"] }), "tagId"),
        (json!({ "t": "TAG_VIP", "ty": "LEAD", "ids": [] }), "entityIds"),
    ] {
        let body = app.gql(UNTAG, vars.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(needle), "{body}");
        assert_eq!(relations().await.len(), 3);
    }
    let removed = app.data(UNTAG, json!({ "t": "TAG_VIP", "ty": "LEAD", "ids": ["LEAD_000001", "LEAD_000003"] })).await;
    assert_eq!(removed["untagEntities"], json!({ "changed": 2, "unchanged": 0 }));
    assert_eq!(relations().await.len(), 1);
}
