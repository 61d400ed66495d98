//! The state machines through the API: `changeLeadStatus` and `moveOpportunityStage`, every edge
//! allowed and every other refused, stage history and its durations, and the scopes they need.

use cdp360::auth::Scope;
use chrono::Utc;
use entity::enums::{LeadStatus, OpportunityStage};
use entity::{lead, opportunity, opportunity_stage_history};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, error_code, token};

const CHANGE: &str = "mutation($id: ID!, $s: LeadStatus!) { changeLeadStatus(id: $id, status: $s) { id leadStatus isQualified lastContactedAt } }";
const MOVE: &str = "mutation($id: ID!, $s: OpportunityStage!, $r: String, $p: Int) {
    moveOpportunityStage(id: $id, stage: $s, closeReason: $r, probability: $p) {
        id stage probability daysInStage isWon isLost actualCloseDate closeReason
        stageHistory { nodes { fromStage toStage durationDays changeReason } }
    } }";

const LEAD_STATUSES: [(LeadStatus, &str); 5] = [
    (LeadStatus::New, "NEW"),
    (LeadStatus::Contacted, "CONTACTED"),
    (LeadStatus::Qualified, "QUALIFIED"),
    (LeadStatus::Converted, "CONVERTED"),
    (LeadStatus::Disqualified, "DISQUALIFIED"),
];

#[tokio::test]
async fn every_lead_status_edge_of_the_diagram_is_allowed_and_every_other_refused() {
    let app = TestApp::spawn().await;
    let allowed =
        [("NEW", "CONTACTED"), ("NEW", "DISQUALIFIED"), ("CONTACTED", "QUALIFIED"), ("CONTACTED", "DISQUALIFIED")];
    let mut leads = Vec::new();
    for (i, (from, _)) in LEAD_STATUSES.iter().enumerate() {
        for (j, _) in LEAD_STATUSES.iter().enumerate() {
            let mut l = fixtures::lead(i * 10 + j);
            l.lead_status = *from;
            leads.push(l);
        }
    }
    insert(&app.db, leads).await;
    for (i, (from, from_name)) in LEAD_STATUSES.iter().enumerate() {
        for (j, (_, to_name)) in LEAD_STATUSES.iter().enumerate() {
            let id = format!("LEAD_{:06}", i * 10 + j);
            let body = app.gql(CHANGE, json!({ "id": id, "s": to_name })).await;
            let stored = lead::Entity::find_by_id(id.clone()).one(&app.db).await.unwrap().unwrap();
            if allowed.contains(&(*from_name, *to_name)) {
                assert!(body.get("errors").is_none(), "{from_name} → {to_name}: {body}");
                assert_eq!(body["data"]["changeLeadStatus"]["leadStatus"], *to_name);
                assert_eq!(stored.is_qualified, *to_name == "QUALIFIED");
                assert_eq!(stored.last_contacted_at.is_some(), *to_name == "CONTACTED");
            } else {
                // A converted lead is read-only (CONFLICT); every other refusal names the move.
                let expected = if *from == LeadStatus::Converted { "CONFLICT" } else { "INVALID_TRANSITION" };
                assert_eq!(error_code(&body), expected, "{from_name} → {to_name}: {body}");
                assert_eq!(stored.lead_status, *from, "nothing written for {from_name} → {to_name}");
                assert_eq!(stored.updated_at, fixtures::at((i * 10 + j) as i64));
                if expected == "INVALID_TRANSITION" {
                    let message = body["errors"][0]["message"].as_str().unwrap();
                    assert!(message.contains(from_name) && message.contains(to_name), "{message}");
                }
            }
        }
    }
}

const STAGES: [(OpportunityStage, &str); 8] = [
    (OpportunityStage::Lead, "LEAD"),
    (OpportunityStage::Qualification, "QUALIFICATION"),
    (OpportunityStage::NeedsAnalysis, "NEEDS_ANALYSIS"),
    (OpportunityStage::Proposal, "PROPOSAL"),
    (OpportunityStage::Negotiation, "NEGOTIATION"),
    (OpportunityStage::Contract, "CONTRACT"),
    (OpportunityStage::ClosedWon, "CLOSED_WON"),
    (OpportunityStage::ClosedLost, "CLOSED_LOST"),
];

#[tokio::test]
async fn every_opportunity_stage_edge_of_the_diagram_is_allowed_and_every_other_refused() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_1", "华为")]).await;
    let mut opps = Vec::new();
    for (i, (from, _)) in STAGES.iter().enumerate() {
        for j in 0..STAGES.len() {
            opps.push(fixtures::opportunity(&format!("OPP_{i}{j}"), "ACC_1", *from));
        }
    }
    insert(&app.db, opps).await;
    let forward = ["LEAD", "QUALIFICATION", "NEEDS_ANALYSIS", "PROPOSAL", "NEGOTIATION", "CONTRACT", "CLOSED_WON"];
    for (i, (from, from_name)) in STAGES.iter().enumerate() {
        for (j, (_, to_name)) in STAGES.iter().enumerate() {
            let id = format!("OPP_{i}{j}");
            let open = !from_name.starts_with("CLOSED");
            let next = forward.iter().position(|s| s == from_name).and_then(|k| forward.get(k + 1));
            let is_allowed = open && (next == Some(to_name) || *to_name == "CLOSED_LOST");
            let reason = (*to_name == "CLOSED_LOST").then_some("价格因素");
            let body = app.gql(MOVE, json!({ "id": id, "s": to_name, "r": reason })).await;
            let stored = opportunity::Entity::find_by_id(id.clone()).one(&app.db).await.unwrap().unwrap();
            let history = opportunity_stage_history::Entity::find()
                .filter(opportunity_stage_history::Column::OpportunityId.eq(id.clone()))
                .count(&app.db)
                .await
                .unwrap();
            if is_allowed {
                assert!(body.get("errors").is_none(), "{from_name} → {to_name}: {body}");
                assert_eq!(history, 1);
            } else {
                assert_eq!(error_code(&body), "INVALID_TRANSITION", "{from_name} → {to_name}: {body}");
                assert_eq!((stored.stage, history), (*from, 0), "nothing written for {from_name} → {to_name}");
            }
        }
    }
}

#[tokio::test]
async fn a_stage_move_appends_history_with_the_days_spent_and_resets_the_stage() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_1", "华为")]).await;
    insert(&app.db, vec![fixtures::opportunity("OPP_1", "ACC_1", OpportunityStage::Qualification)]).await;
    let before = (Utc::now() - fixtures::t0()).num_days();
    let first = app.data(MOVE, json!({ "id": "OPP_1", "s": "NEEDS_ANALYSIS" })).await;
    let after = (Utc::now() - fixtures::t0()).num_days();
    let o = &first["moveOpportunityStage"];
    assert_eq!(
        (o["stage"].clone(), o["probability"].clone(), o["daysInStage"].clone()),
        (json!("NEEDS_ANALYSIS"), json!(20), json!(0))
    );
    let days = o["stageHistory"]["nodes"][0]["durationDays"].as_i64().unwrap();
    assert!((before..=after).contains(&days), "created {before} days ago, history says {days}");
    // The next stage was entered just now: zero days; an explicit probability wins over the default.
    let second = app.data(MOVE, json!({ "id": "OPP_1", "s": "PROPOSAL", "p": 55 })).await;
    let o = &second["moveOpportunityStage"];
    assert_eq!(o["probability"], 55);
    let rows = opportunity_stage_history::Entity::find()
        .filter(opportunity_stage_history::Column::OpportunityId.eq("OPP_1"))
        .order_by_asc(opportunity_stage_history::Column::ChangedAt)
        .all(&app.db)
        .await
        .unwrap();
    let path: Vec<_> = rows.iter().map(|h| (h.from_stage, h.to_stage, h.duration_days)).collect();
    assert_eq!(
        path,
        vec![
            (Some(OpportunityStage::Qualification), OpportunityStage::NeedsAnalysis, Some(days as i32)),
            (Some(OpportunityStage::NeedsAnalysis), OpportunityStage::Proposal, Some(0)),
        ]
    );
    // Losing needs a reason; with one it closes the deal and refreshes the account summary.
    let body = app.gql(MOVE, json!({ "id": "OPP_1", "s": "CLOSED_LOST" })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("closeReason"), "{body}");
    let lost = app.data(MOVE, json!({ "id": "OPP_1", "s": "CLOSED_LOST", "r": "竞争对手" })).await;
    let o = &lost["moveOpportunityStage"];
    assert_eq!(
        (o["isLost"].clone(), o["isWon"].clone(), o["probability"].clone()),
        (json!(true), json!(false), json!(0))
    );
    assert_eq!(o["closeReason"], "竞争对手");
    // A business date: the day in Beijing (the default business zone), not UTC's.
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    assert_eq!(o["actualCloseDate"], json!(Utc::now().with_timezone(&beijing).date_naive().to_string()));
    app.settle().await;
    let summary =
        app.data("{ account(id: \"ACC_1\") { summary { totalOpportunities wonOpportunities } } }", json!({})).await;
    assert_eq!(summary["account"]["summary"]["totalOpportunities"], 1);
    let bad = app.gql(MOVE, json!({ "id": "OPP_1", "s": "CLOSED_WON", "p": 101 })).await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
}

#[tokio::test]
async fn mutations_need_the_write_scope_and_partners_cannot_touch_other_channels() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::channel("CH_A", entity::enums::ChannelType::Wechat)]).await;
    insert(&app.db, vec![fixtures::channel("CH_B", entity::enums::ChannelType::Douyin)]).await;
    let mut a = fixtures::lead(1);
    a.channel_id = Some("CH_A".into());
    let mut b = fixtures::lead(2);
    b.channel_id = Some("CH_B".into());
    insert(&app.db, vec![a, b]).await;
    let vars = |id: &str| json!({ "id": id, "s": "CONTACTED" });
    for scopes in [&[Scope::Read][..], &[Scope::Ingest], &[Scope::Read, Scope::Pii, Scope::Admin]] {
        let body = app.gql_as(&token(scopes, None), CHANGE, vars("LEAD_000001")).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{scopes:?}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("`write`"), "{body}");
    }
    // `write` alone may mutate; its answer is a receipt (ids): reading the record needs `read`.
    let only_write = app
        .gql_as(
            &token(&[Scope::Write], None),
            "mutation { changeLeadStatus(id: \"LEAD_000001\", status: CONTACTED) { id } }",
            json!({}),
        )
        .await;
    assert!(only_write.get("errors").is_none(), "{only_write}");
    assert_eq!(only_write["data"]["changeLeadStatus"]["id"], "LEAD_000001");
    // A partner of channel A cannot change channel B's lead, and cannot tell it exists.
    let partner = token(&[Scope::Read, Scope::Write], Some(&["CH_A"]));
    let foreign = app.gql_as(&partner, CHANGE, vars("LEAD_000002")).await;
    let missing = app.gql_as(&partner, CHANGE, vars("LEAD_999999")).await;
    assert_eq!(error_code(&foreign), "NOT_FOUND");
    assert_eq!(
        foreign["errors"][0]["message"].as_str().unwrap().replace("000002", "999999"),
        missing["errors"][0]["message"]
    );
    let stored = lead::Entity::find_by_id("LEAD_000002").one(&app.db).await.unwrap().unwrap();
    assert_eq!(stored.lead_status, LeadStatus::New);
}

#[tokio::test]
async fn concurrent_writes_wait_for_each_other_instead_of_failing() {
    let app = TestApp::spawn().await;
    insert(&app.db, (0..24).map(fixtures::lead).collect()).await;
    let calls = (0..24).map(|i| {
        let app = &app;
        async move { app.gql(CHANGE, json!({ "id": format!("LEAD_{i:06}"), "s": "CONTACTED" })).await }
    });
    let bodies = futures_util::future::join_all(calls).await;
    for body in &bodies {
        assert!(body.get("errors").is_none(), "{body}");
    }
    let contacted = lead::Entity::find().all(&app.db).await.unwrap();
    assert!(contacted.iter().all(|l| l.lead_status == LeadStatus::Contacted));
}
