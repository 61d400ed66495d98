//! A partner token restricted to some channels sees only those channels' leads, touchpoints and
//! events — by list, by id, by `node`, through nesting, through relation filters — and a forbidden
//! row looks exactly like a missing one.

use cdp360::auth::Scope;
use entity::enums::{ChannelType, OpportunityStage};
use serde_json::json;

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, token};

async fn two_channels(app: &TestApp) {
    insert(
        &app.db,
        vec![fixtures::channel("CH_A", ChannelType::Douyin), fixtures::channel("CH_B", ChannelType::Wechat)],
    )
    .await;
    insert(&app.db, vec![fixtures::account("ACC_1", "共同客户")]).await;
    let lead = |i: usize, ch: Option<&str>| entity::lead::Model {
        channel_id: ch.map(Into::into),
        converted_account_id: Some("ACC_1".into()),
        ..fixtures::lead(i)
    };
    insert(&app.db, vec![lead(1, Some("CH_A")), lead(2, Some("CH_B")), lead(3, None)]).await;
    insert(
        &app.db,
        vec![fixtures::lead_summary("LEADS_1", "LEAD_000001"), fixtures::lead_summary("LEADS_2", "LEAD_000002")],
    )
    .await;
    let tp = |id: &str, ch: &str, lead: &str| entity::touchpoint::Model {
        channel_id: Some(ch.into()),
        lead_id: Some(lead.into()),
        account_id: Some("ACC_1".into()),
        ..fixtures::touchpoint(id, 1)
    };
    // TP_3 is in the partner's channel but belongs to the other channel's lead.
    insert(
        &app.db,
        vec![tp("TP_1", "CH_A", "LEAD_000001"), tp("TP_2", "CH_B", "LEAD_000002"), tp("TP_3", "CH_A", "LEAD_000002")],
    )
    .await;
    insert(
        &app.db,
        vec![entity::opportunity::Model {
            lead_id: Some("LEAD_000002".into()),
            ..fixtures::opportunity("OPP_1", "ACC_1", OpportunityStage::Qualification)
        }],
    )
    .await;
}

fn partner() -> String {
    token(&[Scope::Read], Some(&["CH_A"]))
}

fn ids(v: &serde_json::Value, key: &str) -> Vec<String> {
    v["nodes"].as_array().unwrap().iter().map(|n| n[key].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_partner_lists_only_its_channels_rows() {
    let app = TestApp::spawn().await;
    two_channels(&app).await;
    let d = app
        .data_as(&partner(), "{ leads { totalCount nodes { leadId } } touchpoints { totalCount nodes { touchpointId } } leadSummaries { nodes { leadId } } }", json!({}))
        .await;
    assert_eq!(ids(&d["leads"], "leadId"), ["LEAD_000001"]);
    assert_eq!(d["leads"]["totalCount"], 1);
    assert_eq!(ids(&d["touchpoints"], "touchpointId"), ["TP_1", "TP_3"]);
    assert_eq!(ids(&d["leadSummaries"], "leadId"), ["LEAD_000001"], "what hangs off a lead follows it");
    let admin = app.data("{ leads { totalCount } touchpoints { totalCount } }", json!({})).await;
    assert_eq!(admin["leads"]["totalCount"], 3, "an unrestricted token sees everything");
    assert_eq!(admin["touchpoints"]["totalCount"], 3);
}

#[tokio::test]
async fn a_forbidden_row_looks_exactly_like_a_missing_one() {
    let app = TestApp::spawn().await;
    two_channels(&app).await;
    let q = "query($id: ID!) { lead(id: $id) { leadId } node(id: $id) { id } }";
    let own = app.data_as(&partner(), q, json!({ "id": "LEAD_000001" })).await;
    assert_eq!(own["lead"]["leadId"], "LEAD_000001");
    let forbidden = app.data_as(&partner(), q, json!({ "id": "LEAD_000002" })).await;
    let missing = app.data_as(&partner(), q, json!({ "id": "LEAD_999999" })).await;
    let no_channel = app.data_as(&partner(), q, json!({ "id": "LEAD_000003" })).await;
    assert_eq!(forbidden, json!({ "lead": null, "node": null }));
    assert_eq!(forbidden, missing);
    assert_eq!(forbidden, no_channel);
}

#[tokio::test]
async fn nesting_and_to_one_relations_do_not_leak_other_channels() {
    let app = TestApp::spawn().await;
    two_channels(&app).await;
    let q = "{ account(id: \"ACC_1\") { convertedLeads { totalCount nodes { leadId } } touchpoints { totalCount nodes { touchpointId lead { leadId } } } }
               opportunity(id: \"OPP_1\") { lead { leadId } } }";
    let d = app.data_as(&partner(), q, json!({})).await;
    assert_eq!(ids(&d["account"]["convertedLeads"], "leadId"), ["LEAD_000001"]);
    assert_eq!(d["account"]["convertedLeads"]["totalCount"], 1);
    assert_eq!(d["account"]["touchpoints"]["totalCount"], 2);
    assert_eq!(d["account"]["touchpoints"]["nodes"][1], json!({ "touchpointId": "TP_3", "lead": null }));
    assert!(d["opportunity"]["lead"].is_null());
}

#[tokio::test]
async fn relation_filters_cannot_probe_other_channels() {
    let app = TestApp::spawn().await;
    two_channels(&app).await;
    let q = "{ touchpoints(filter: { lead: { leadId: { eq: \"LEAD_000002\" } } }) { totalCount } }";
    assert_eq!(app.data(q, json!({})).await["touchpoints"]["totalCount"], 2, "admin: TP_2 and TP_3");
    assert_eq!(app.data_as(&partner(), q, json!({})).await["touchpoints"]["totalCount"], 0);
    let probe = "{ leads(filter: { channel: { channelType: { eq: WECHAT } } }) { totalCount } }";
    assert_eq!(app.data_as(&partner(), probe, json!({})).await["leads"]["totalCount"], 0);
}

#[tokio::test]
async fn an_empty_channels_claim_sees_no_channel_bound_rows() {
    let app = TestApp::spawn().await;
    two_channels(&app).await;
    // `cdp360 token` refuses an empty list; a partner's identity provider might still send one.
    let exp = chrono::Utc::now().timestamp() + 600;
    let empty = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": "partner", "scope": "read", "channels": [], "exp": exp }),
        &jsonwebtoken::EncodingKey::from_secret(&[b'*'; 32]),
    )
    .unwrap();
    let d = app.data_as(&empty, "{ leads { totalCount } accounts { totalCount } }", json!({})).await;
    assert_eq!(d["leads"]["totalCount"], 0);
    assert_eq!(d["accounts"]["totalCount"], 1, "accounts are not channel-bound");
}
