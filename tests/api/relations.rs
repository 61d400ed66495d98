//! Relations in both directions through the generic loaders: statements grow with depth, not
//! rows; the customer-360 query; many-to-many, polymorphic and self relations; `node(id:)`.

use entity::enums::{ChannelType, EntityType, OpportunityStage};
use serde_json::json;

use crate::fixtures::{self, insert};
use crate::harness::TestApp;

/// 120 leads spread over 3 channels, 2 campaigns, 4 owners; each with a summary and 5 touchpoints.
async fn lead_inbox(app: &TestApp) {
    insert(&app.db, (0..4).map(|i| fixtures::user(&format!("USER_{i}"))).collect()).await;
    insert(
        &app.db,
        vec![
            fixtures::channel("CH_1", ChannelType::Douyin),
            fixtures::channel("CH_2", ChannelType::Wechat),
            fixtures::channel("CH_3", ChannelType::Website),
        ],
    )
    .await;
    insert(&app.db, vec![fixtures::campaign("CMP_1"), fixtures::campaign("CMP_2")]).await;
    let leads: Vec<_> = (0..120)
        .map(|i| entity::lead::Model {
            channel_id: Some(format!("CH_{}", i % 3 + 1)),
            campaign_id: Some(format!("CMP_{}", i % 2 + 1)),
            owner_user_id: Some(format!("USER_{}", i % 4)),
            ..fixtures::lead(i)
        })
        .collect();
    insert(&app.db, leads).await;
    insert(
        &app.db,
        (0..120).map(|i| fixtures::lead_summary(&format!("LEADS_{i:06}"), &format!("LEAD_{i:06}"))).collect(),
    )
    .await;
    let tps: Vec<_> = (0..600)
        .map(|k| entity::touchpoint::Model {
            lead_id: Some(format!("LEAD_{:06}", k % 120)),
            ..fixtures::touchpoint(&format!("TP_{k:06}"), k as i64)
        })
        .collect();
    insert(&app.db, tps).await;
}

const INBOX: &str = "query($n: Int!) { leads(first: $n) { nodes { leadId
  channel { channelName channelType } campaign { campaignName } owner { userName } summary { pageViews calculatedAt }
  touchpoints(first: 3, orderBy: { field: TOUCHPOINT_TIME, direction: DESC }) { nodes { touchpointId touchpointTime } }
} } }";

#[tokio::test]
async fn a_lead_list_with_five_relations_runs_at_most_six_statements_whatever_its_size() {
    let app = TestApp::spawn().await;
    lead_inbox(&app).await;
    let mut counts = Vec::new();
    for n in [100, 10] {
        let before = app.statements().await;
        let d = app.data(INBOX, json!({ "n": n })).await;
        counts.push(app.statements().await - before);
        let nodes = d["leads"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), n as usize);
        for node in nodes {
            assert!(node["channel"]["channelName"].is_string());
            assert!(node["campaign"]["campaignName"].is_string());
            assert!(node["owner"]["userName"].is_string());
            assert_eq!(node["summary"]["pageViews"], 3);
            let tps = node["touchpoints"]["nodes"].as_array().unwrap();
            assert_eq!(tps.len(), 3, "3 of each lead's 5 touchpoints");
            assert!(tps[0]["touchpointTime"].as_str() > tps[1]["touchpointTime"].as_str(), "latest first");
        }
    }
    assert!(counts[0] <= 6, "100 leads took {} statements", counts[0]);
    assert_eq!(counts[0], counts[1], "statements do not grow with rows: {counts:?}");
}

#[tokio::test]
async fn nested_totals_are_counted_per_parent_in_one_statement() {
    let app = TestApp::spawn().await;
    lead_inbox(&app).await;
    let q = "{ leads(first: 50) { nodes { leadId touchpoints(first: 1) { totalCount } } } }";
    let before = app.statements().await;
    let d = app.data(q, json!({})).await;
    let used = app.statements().await - before;
    for n in d["leads"]["nodes"].as_array().unwrap() {
        assert_eq!(n["touchpoints"]["totalCount"], 5);
    }
    assert!(used <= 3, "list + page + count, got {used}");
}

/// One account with everything a customer-360 screen shows.
async fn customer_360(app: &TestApp) {
    insert(&app.db, vec![fixtures::industry("IND_1", None), fixtures::industry("IND_11", Some("IND_1"))]).await;
    insert(
        &app.db,
        vec![
            entity::account::Model {
                industry_id: Some("IND_11".into()),
                ..fixtures::account("ACC_1", "杭州云帆网络科技有限公司")
            },
            fixtures::account("ACC_2", "其他公司"),
        ],
    )
    .await;
    insert(&app.db, vec![fixtures::account_summary("ACCS_1", "ACC_1", 82)]).await;
    insert(
        &app.db,
        vec![
            fixtures::contact("CNT_1", "张伟", Some("ACC_1")),
            fixtures::contact("CNT_2", "李娜", Some("ACC_1")),
            fixtures::contact("CNT_3", "王芳", Some("ACC_2")),
        ],
    )
    .await;
    insert(&app.db, vec![fixtures::contact_summary("CNTS_1", "CNT_1", 77)]).await;
    insert(
        &app.db,
        vec![
            fixtures::acr("ACR_1", "ACC_1", "CNT_1"),
            fixtures::acr("ACR_2", "ACC_1", "CNT_2"),
            fixtures::acr("ACR_3", "ACC_2", "CNT_3"),
        ],
    )
    .await;
    insert(
        &app.db,
        vec![
            fixtures::opportunity("OPP_1", "ACC_1", OpportunityStage::Proposal),
            fixtures::opportunity("OPP_2", "ACC_2", OpportunityStage::Qualification),
        ],
    )
    .await;
    insert(
        &app.db,
        vec![
            fixtures::stage_change("OSH_1", "OPP_1", None, OpportunityStage::Qualification, 0),
            fixtures::stage_change(
                "OSH_2",
                "OPP_1",
                Some(OpportunityStage::Qualification),
                OpportunityStage::NeedsAnalysis,
                10,
            ),
            fixtures::stage_change(
                "OSH_3",
                "OPP_1",
                Some(OpportunityStage::NeedsAnalysis),
                OpportunityStage::Proposal,
                20,
            ),
        ],
    )
    .await;
    insert(&app.db, vec![fixtures::product("PRD_1"), fixtures::product("PRD_2")]).await;
    insert(&app.db, vec![fixtures::line("OPRD_1", "OPP_1", "PRD_1"), fixtures::line("OPRD_2", "OPP_1", "PRD_2")]).await;
    let tps: Vec<_> = (0..30)
        .map(|k| entity::touchpoint::Model {
            account_id: Some("ACC_1".into()),
            ..fixtures::touchpoint(&format!("TP_{k:03}"), k)
        })
        .collect();
    insert(&app.db, tps).await;
    insert(&app.db, vec![fixtures::tag("TAG_1", "高价值"), fixtures::tag("TAG_2", "决策中")]).await;
    insert(
        &app.db,
        vec![
            fixtures::tagging("TGR_1", "TAG_1", EntityType::Account, "ACC_1"),
            fixtures::tagging("TGR_2", "TAG_2", EntityType::Contact, "ACC_1"),
        ],
    )
    .await;
}

const C360: &str = "{ account(id: \"ACC_1\") {
  accountName summary { healthScore calculatedAt }
  industry { industryName parent { industryName } }
  contacts(first: 10) { totalCount nodes { contactName summary { engagementScore } } }
  opportunities(first: 10) { nodes { opportunityId stage
    stageHistory(orderBy: { field: CHANGED_AT }) { nodes { fromStage toStage } }
    products { nodes { productName } } } }
  touchpoints(first: 20, orderBy: { field: TOUCHPOINT_TIME, direction: DESC }) { totalCount nodes { touchpointId } }
  tags { nodes { tagName } }
} }";

#[tokio::test]
async fn the_customer_360_query_returns_the_whole_picture_of_one_account() {
    let app = TestApp::spawn().await;
    customer_360(&app).await;
    let before = app.statements().await;
    let d = app.data(C360, json!({})).await;
    let used = app.statements().await - before;
    let a = &d["account"];
    assert_eq!(a["accountName"], "杭州云帆网络科技有限公司");
    assert_eq!(a["summary"]["healthScore"], 82);
    assert!(a["summary"]["calculatedAt"].as_str().unwrap().starts_with("2026-01-01T00:00:00"));
    assert_eq!(a["industry"]["industryName"], "行业IND_11");
    assert_eq!(a["industry"]["parent"]["industryName"], "行业IND_1");
    assert_eq!(a["contacts"]["totalCount"], 2);
    assert_eq!(
        a["contacts"]["nodes"],
        json!([
            { "contactName": "张伟", "summary": { "engagementScore": 77 } },
            { "contactName": "李娜", "summary": null },
        ])
    );
    let opps = a["opportunities"]["nodes"].as_array().unwrap();
    assert_eq!(opps.len(), 1, "only this account's opportunities");
    assert_eq!(opps[0]["stage"], "PROPOSAL");
    assert_eq!(
        opps[0]["stageHistory"]["nodes"],
        json!([
            { "fromStage": null, "toStage": "QUALIFICATION" },
            { "fromStage": "QUALIFICATION", "toStage": "NEEDS_ANALYSIS" },
            { "fromStage": "NEEDS_ANALYSIS", "toStage": "PROPOSAL" },
        ])
    );
    assert_eq!(opps[0]["products"]["nodes"], json!([{ "productName": "产品PRD_1" }, { "productName": "产品PRD_2" }]));
    assert_eq!(a["touchpoints"]["totalCount"], 30);
    let tps: Vec<&str> =
        a["touchpoints"]["nodes"].as_array().unwrap().iter().map(|n| n["touchpointId"].as_str().unwrap()).collect();
    assert_eq!(tps.len(), 20);
    assert_eq!(tps[0], "TP_029", "latest first");
    assert_eq!(tps[19], "TP_010");
    assert_eq!(
        a["tags"]["nodes"],
        json!([{ "tagName": "高价值" }]),
        "a contact's tag with the same id is not the account's"
    );
    assert!(used <= 14, "statements grow with depth only: {used}");
}

/// The statements per request the benchmark reports come from this metric: a compiled root field
/// (sent to the driver directly, not through SeaORM) must be counted, exactly once.
#[tokio::test]
async fn the_customer_360_is_one_compiled_statement_and_the_statement_metric_counts_it() {
    let app = TestApp::spawn().await;
    customer_360(&app).await;
    let compiled = r#"cdp360_read_root_fields_total{path="compiled",reason=""}"#;
    let served = app.metric(compiled).await.unwrap_or(0.0);
    let before = app.statements().await;
    let d = app.data(C360, json!({})).await;
    assert_eq!(app.statements().await - before, 1, "one root field, one statement");
    assert_eq!(app.metric(compiled).await.unwrap_or(0.0) - served, 1.0, "and the planner compiled it");
    assert_eq!(d["account"]["touchpoints"]["totalCount"], 30);
}

#[tokio::test]
async fn relations_resolve_in_both_directions() {
    let app = TestApp::spawn().await;
    customer_360(&app).await;
    let d = app
        .data(
            "{ contact(id: \"CNT_1\") { primaryAccount { accountId } accounts { nodes { accountId } } accountRelations { nodes { relationId } } }
               product(id: \"PRD_1\") { opportunities { nodes { opportunityId } } lineItems { nodes { quantity totalPrice } } }
               industry(id: \"IND_1\") { children { nodes { industryId accounts { nodes { accountId } } } } }
               tag(id: \"TAG_1\") { accounts { nodes { accountId } } relations { nodes { entity { id ... on Account { accountName } } } } }
               accountSummary(id: \"ACCS_1\") { account { accountId } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["contact"]["primaryAccount"]["accountId"], "ACC_1");
    assert_eq!(d["contact"]["accounts"]["nodes"], json!([{ "accountId": "ACC_1" }]));
    assert_eq!(d["contact"]["accountRelations"]["nodes"], json!([{ "relationId": "ACR_1" }]));
    assert_eq!(d["product"]["opportunities"]["nodes"], json!([{ "opportunityId": "OPP_1" }]));
    assert_eq!(d["product"]["lineItems"]["nodes"], json!([{ "quantity": 2, "totalPrice": "1998.00" }]));
    assert_eq!(
        d["industry"]["children"]["nodes"],
        json!([{ "industryId": "IND_11", "accounts": { "nodes": [{ "accountId": "ACC_1" }] } }])
    );
    assert_eq!(d["tag"]["accounts"]["nodes"], json!([{ "accountId": "ACC_1" }]));
    assert_eq!(
        d["tag"]["relations"]["nodes"][0]["entity"],
        json!({ "id": "ACC_1", "accountName": "杭州云帆网络科技有限公司" })
    );
    assert_eq!(d["accountSummary"]["account"]["accountId"], "ACC_1");
}

#[tokio::test]
async fn nested_lists_page_per_parent() {
    let app = TestApp::spawn().await;
    customer_360(&app).await;
    let q = "query($after: String) { accounts(first: 5) { nodes { accountId contacts(first: 1, after: $after) { nodes { contactId } pageInfo { hasNextPage endCursor } } } } }";
    let d = app.data(q, json!({})).await;
    let acc1 = &d["accounts"]["nodes"][0];
    assert_eq!(acc1["contacts"]["nodes"], json!([{ "contactId": "CNT_1" }]));
    assert_eq!(acc1["contacts"]["pageInfo"]["hasNextPage"], true);
    let acc2 = &d["accounts"]["nodes"][1];
    assert_eq!(acc2["contacts"]["nodes"], json!([{ "contactId": "CNT_3" }]));
    assert_eq!(acc2["contacts"]["pageInfo"]["hasNextPage"], false);
    let next = app.data(q, json!({ "after": acc1["contacts"]["pageInfo"]["endCursor"] })).await;
    assert_eq!(next["accounts"]["nodes"][0]["contacts"]["nodes"], json!([{ "contactId": "CNT_2" }]));
}

#[tokio::test]
async fn node_resolves_any_id_by_its_prefix_and_unknown_ids_are_null() {
    let app = TestApp::spawn().await;
    customer_360(&app).await;
    let d = app
        .data(
            "{ a: node(id: \"ACC_1\") { id ... on Account { accountName } }
               o: node(id: \"OPP_1\") { id ... on Opportunity { stage } }
               unknown: node(id: \"ACC_nope\") { id }
               noprefix: node(id: \"whatever\") { id }
               missing: account(id: \"ACC_404\") { accountId } }",
            json!({}),
        )
        .await;
    assert_eq!(d["a"], json!({ "id": "ACC_1", "accountName": "杭州云帆网络科技有限公司" }));
    assert_eq!(d["o"], json!({ "id": "OPP_1", "stage": "PROPOSAL" }));
    assert!(d["unknown"].is_null() && d["noprefix"].is_null() && d["missing"].is_null());
}
