//! Every filter operator, boolean composition, a to-one relation filter, and ordering on text,
//! number and time columns.

use entity::enums::{ChannelType, LeadStatus};
use serde_json::{Value, json};

use crate::fixtures::{self, insert};
use crate::harness::TestApp;

const Q: &str = "query($f: LeadFilter, $o: LeadOrderBy) { leads(filter: $f, orderBy: $o, first: 500) { totalCount nodes { leadId } } }";

async fn ids(app: &TestApp, filter: Value) -> Vec<String> {
    let d = app.data(Q, json!({ "f": filter })).await;
    let out: Vec<String> =
        d["leads"]["nodes"].as_array().unwrap().iter().map(|n| n["leadId"].as_str().unwrap().to_string()).collect();
    assert_eq!(d["leads"]["totalCount"].as_u64().unwrap() as usize, out.len(), "totalCount agrees with the filter");
    out
}

fn lid(i: usize) -> String {
    format!("LEAD_{i:06}")
}

/// Ten leads: scores 0,10,…,90; names 线索0…; every third has a company; statuses cycle.
async fn ten(app: &TestApp) {
    insert(
        &app.db,
        vec![fixtures::channel("CH_DY", ChannelType::Douyin), fixtures::channel("CH_WEB", ChannelType::Website)],
    )
    .await;
    let statuses = [LeadStatus::New, LeadStatus::Contacted, LeadStatus::Qualified];
    let rows = (0..10)
        .map(|i| entity::lead::Model {
            lead_score: (i * 10) as i32,
            company_name: (i % 3 == 0).then(|| format!("Acme {i} 科技")),
            lead_status: statuses[i % 3],
            channel_id: Some(if i < 4 { "CH_DY" } else { "CH_WEB" }.to_string()),
            is_qualified: i % 2 == 0,
            ..fixtures::lead(i)
        })
        .collect();
    insert(&app.db, rows).await;
}

#[tokio::test]
async fn comparison_operators_filter_numbers() {
    let app = TestApp::spawn().await;
    ten(&app).await;
    assert_eq!(ids(&app, json!({ "leadScore": { "eq": 30 } })).await, vec![lid(3)]);
    assert_eq!(ids(&app, json!({ "leadScore": { "ne": 30 } })).await.len(), 9);
    assert_eq!(ids(&app, json!({ "leadScore": { "lt": 20 } })).await, vec![lid(0), lid(1)]);
    assert_eq!(ids(&app, json!({ "leadScore": { "lte": 20 } })).await, vec![lid(0), lid(1), lid(2)]);
    assert_eq!(ids(&app, json!({ "leadScore": { "gt": 80 } })).await, vec![lid(9)]);
    assert_eq!(ids(&app, json!({ "leadScore": { "gte": 80 } })).await, vec![lid(8), lid(9)]);
    assert_eq!(ids(&app, json!({ "leadScore": { "in": [10, 50] } })).await, vec![lid(1), lid(5)]);
    assert_eq!(
        ids(&app, json!({ "leadScore": { "notIn": [0, 10, 20, 30, 40, 50, 60, 70] } })).await,
        vec![lid(8), lid(9)]
    );
    assert_eq!(ids(&app, json!({ "leadScore": { "in": [] } })).await, Vec::<String>::new());
}

#[tokio::test]
async fn text_operators_filter_strings_case_insensitively() {
    let app = TestApp::spawn().await;
    ten(&app).await;
    assert_eq!(ids(&app, json!({ "companyName": { "contains": "acme" } })).await, vec![lid(0), lid(3), lid(6), lid(9)]);
    assert_eq!(ids(&app, json!({ "companyName": { "startsWith": "ACME 3" } })).await, vec![lid(3)]);
    assert_eq!(ids(&app, json!({ "companyName": { "contains": "科技" } })).await.len(), 4);
    // LIKE wildcards in the needle are literal.
    assert_eq!(ids(&app, json!({ "companyName": { "contains": "%" } })).await, Vec::<String>::new());
    assert_eq!(ids(&app, json!({ "companyName": { "isNull": true } })).await.len(), 6);
    assert_eq!(ids(&app, json!({ "companyName": { "isNull": false } })).await.len(), 4);
    assert_eq!(ids(&app, json!({ "leadId": { "gte": lid(8) } })).await, vec![lid(8), lid(9)]);
}

#[tokio::test]
async fn enum_boolean_and_time_operators_filter() {
    let app = TestApp::spawn().await;
    ten(&app).await;
    assert_eq!(ids(&app, json!({ "leadStatus": { "eq": "QUALIFIED" } })).await, vec![lid(2), lid(5), lid(8)]);
    assert_eq!(ids(&app, json!({ "leadStatus": { "in": ["NEW", "QUALIFIED"] } })).await.len(), 7);
    assert_eq!(ids(&app, json!({ "leadStatus": { "notIn": ["NEW", "QUALIFIED"] } })).await.len(), 3);
    assert_eq!(ids(&app, json!({ "isQualified": { "eq": true } })).await.len(), 5);
    let t3 = fixtures::at(3).to_rfc3339();
    assert_eq!(ids(&app, json!({ "createdAt": { "lt": t3 } })).await, vec![lid(0), lid(1), lid(2)]);
    assert_eq!(ids(&app, json!({ "createdAt": { "gte": fixtures::at(8).to_rfc3339() } })).await, vec![lid(8), lid(9)]);
}

#[tokio::test]
async fn and_or_not_compose() {
    let app = TestApp::spawn().await;
    ten(&app).await;
    let and = json!({ "and": [{ "leadScore": { "gte": 20 } }, { "leadScore": { "lte": 40 } }] });
    assert_eq!(ids(&app, and).await, vec![lid(2), lid(3), lid(4)]);
    let or = json!({ "or": [{ "leadScore": { "eq": 0 } }, { "leadScore": { "eq": 90 } }] });
    assert_eq!(ids(&app, or).await, vec![lid(0), lid(9)]);
    let not = json!({ "not": { "leadScore": { "lt": 80 } } });
    assert_eq!(ids(&app, not).await, vec![lid(8), lid(9)]);
    // Fields of one filter object are ANDed.
    let implicit = json!({ "leadStatus": { "eq": "NEW" }, "isQualified": { "eq": true } });
    assert_eq!(ids(&app, implicit).await, vec![lid(0), lid(6)]);
}

#[tokio::test]
async fn a_to_one_relation_filter_selects_leads_by_channel_type() {
    let app = TestApp::spawn().await;
    ten(&app).await;
    let f = json!({ "channel": { "channelType": { "eq": "DOUYIN" } } });
    assert_eq!(ids(&app, f).await, vec![lid(0), lid(1), lid(2), lid(3)]);
    let nested = json!({ "channel": { "channelType": { "eq": "WEBSITE" } }, "leadScore": { "gt": 80 } });
    assert_eq!(ids(&app, nested).await, vec![lid(9)]);
}

async fn ordered(app: &TestApp, order: Value) -> Vec<String> {
    let d = app.data(Q, json!({ "o": order })).await;
    d["leads"]["nodes"].as_array().unwrap().iter().map(|n| n["leadId"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn ordering_works_on_text_number_and_time_columns() {
    let app = TestApp::spawn().await;
    ten(&app).await;
    let by_score_desc = ordered(&app, json!({ "field": "LEAD_SCORE", "direction": "DESC" })).await;
    assert_eq!(by_score_desc, (0..10).rev().map(lid).collect::<Vec<_>>());
    let by_time = ordered(&app, json!({ "field": "CREATED_AT" })).await;
    assert_eq!(by_time, (0..10).map(lid).collect::<Vec<_>>());
    // Text: non-null company names ascending, NULLs last (ties broken by id).
    let by_company = ordered(&app, json!({ "field": "COMPANY_NAME" })).await;
    assert_eq!(&by_company[..4], &[lid(0), lid(3), lid(6), lid(9)]);
    assert_eq!(&by_company[4..], &[lid(1), lid(2), lid(4), lid(5), lid(7), lid(8)]);
    let by_company_desc = ordered(&app, json!({ "field": "COMPANY_NAME", "direction": "DESC" })).await;
    assert_eq!(&by_company_desc[..4], &[lid(9), lid(6), lid(3), lid(0)]);
}
