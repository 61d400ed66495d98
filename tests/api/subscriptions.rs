//! Change events and subscriptions (issue 5): the outbox relay, `graphql-transport-ws`
//! subscriptions with their access rules, the protocol's close codes, and delivery across two
//! replicas through PostgreSQL `LISTEN/NOTIFY`.

use std::time::Duration;

use cdp360::auth::Scope;
use entity::enums::{ChannelType, LeadStatus, OpportunityStage};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, Statement};
use serde_json::{Value, json};

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, error_code, token, token_for};
use crate::websocket::{Socket, close_code, connect, connect_as, next, send};

const CREATE_LEAD: &str = "mutation($i: CreateLeadInput!) { createLead(input: $i) { id } }";
const CREATE_LEADS: &str = "mutation($i: [CreateLeadInput!]!) { createLeads(inputs: $i) { ok id } }";

/// Subscribes with operation `id` and returns once the server runs it (a query on the same
/// socket is answered after the subscription is registered).
async fn subscribe(ws: &mut Socket, id: &str, query: &str) {
    send(ws, json!({ "id": id, "type": "subscribe", "payload": { "query": query } })).await;
    // Subscriptions register on the first poll; a ping's pong comes back after that poll.
    send(ws, json!({ "type": "ping" })).await;
    let pong = next(ws).await.expect("pong");
    assert_eq!(pong["type"], "pong", "{pong}");
}

/// The next `next` message of operation `id` (its `payload.data`), skipping nothing else.
async fn event(ws: &mut Socket, id: &str) -> Value {
    let msg = next(ws).await.expect("an event before the timeout");
    assert_eq!((msg["type"].as_str(), msg["id"].as_str()), (Some("next"), Some(id)), "{msg}");
    assert!(msg["payload"].get("errors").is_none(), "{msg}");
    msg["payload"]["data"].clone()
}

/// The next `next` message of each of `ids`, in whatever order they come: separate
/// subscriptions on one socket are separate streams, so the delivery of one event can overtake
/// another's that was committed earlier.
async fn events_of(ws: &mut Socket, ids: &[&str]) -> std::collections::HashMap<String, Value> {
    let mut got = std::collections::HashMap::new();
    while got.len() < ids.len() {
        let msg = next(ws).await.expect("an event before the timeout");
        let id = msg["id"].as_str().unwrap_or_default().to_owned();
        assert!(msg["type"] == "next" && ids.contains(&id.as_str()) && !got.contains_key(&id), "{msg}");
        assert!(msg["payload"].get("errors").is_none(), "{msg}");
        got.insert(id, msg["payload"]["data"].clone());
    }
    got
}

fn new_lead(name: &str, channel: Option<&str>) -> Value {
    json!({ "leadName": name, "leadSource": "WEBSITE", "channelId": channel })
}

async fn channels(app: &TestApp) {
    insert(
        &app.db,
        vec![fixtures::channel("CH_1", ChannelType::Website), fixtures::channel("CH_2", ChannelType::Douyin)],
    )
    .await;
}

#[tokio::test]
async fn a_committed_lead_reaches_its_subscriber_and_a_rolled_back_one_never_does() {
    let app = TestApp::spawn().await;
    channels(&app).await;
    let mut ws = connect_as(&app, &token(&[Scope::Read], None)).await;
    subscribe(&mut ws, "1", "subscription { leadCreated { id leadName channel { channelId } } }").await;
    assert_eq!(app.metric("cdp360_subscriptions_active").await, Some(1.0));

    // All or none: the second item is invalid, so the first is rolled back with it.
    let body =
        app.gql(CREATE_LEADS, json!({ "i": [new_lead("回滚", Some("CH_1")), new_lead("", Some("CH_1"))] })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let created = app.data(CREATE_LEAD, json!({ "i": new_lead("张三的线索", Some("CH_1")) })).await;

    // Delivery is in commit order: had the rolled-back lead produced an event, it would come first.
    let got = event(&mut ws, "1").await;
    assert_eq!(got["leadCreated"]["id"], created["createLead"]["id"]);
    assert_eq!(got["leadCreated"]["leadName"], "张三的线索");
    assert_eq!(got["leadCreated"]["channel"]["channelId"], "CH_1", "relations resolve on delivered records");

    send(&mut ws, json!({ "id": "1", "type": "complete" })).await;
    for _ in 0..100 {
        if app.metric("cdp360_subscriptions_active").await == Some(0.0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the gauge still counts a completed subscription");
}

#[tokio::test]
async fn status_conversion_stage_summary_and_ingestion_events_reach_their_subscribers() {
    let app = TestApp::spawn().await;
    channels(&app).await;
    let mut lead = fixtures::lead(1);
    lead.lead_status = LeadStatus::Contacted;
    lead.channel_id = Some("CH_1".into());
    insert(&app.db, vec![lead]).await;
    insert(&app.db, vec![fixtures::account("ACC_1", "华为")]).await;
    insert(&app.db, vec![fixtures::opportunity("OPP_1", "ACC_1", OpportunityStage::Qualification)]).await;
    let mut ws = connect_as(&app, &token(&[Scope::Read], None)).await;
    subscribe(&mut ws, "status", "subscription { leadStatusChanged { lead { id leadStatus } fromStatus toStatus } }")
        .await;
    subscribe(&mut ws, "converted", "subscription { leadConverted { lead { id } contact { contactId } account { accountName } opportunity { stage } } }").await;
    subscribe(
        &mut ws,
        "stage",
        "subscription { opportunityStageChanged(accountId: \"ACC_1\") { opportunity { id stage } fromStage toStage } }",
    )
    .await;
    subscribe(
        &mut ws,
        "summary",
        "subscription { accountSummaryUpdated(accountId: \"ACC_1\") { accountId totalOpportunities calculatedAt } }",
    )
    .await;
    subscribe(&mut ws, "events", "subscription { eventsIngested(channelId: \"CH_1\") { channelId count eventIds } }")
        .await;

    app.data("mutation { changeLeadStatus(id: \"LEAD_000001\", status: QUALIFIED) { id } }", json!({})).await;
    let got = event(&mut ws, "status").await;
    assert_eq!(
        got["leadStatusChanged"],
        json!({ "lead": { "id": "LEAD_000001", "leadStatus": "QUALIFIED" }, "fromStatus": "CONTACTED", "toStatus": "QUALIFIED" })
    );

    app.data(
        "mutation { convertLead(input: { leadId: \"LEAD_000001\", accountId: \"ACC_1\" }) { leadId } }",
        json!({}),
    )
    .await;
    // The conversion, and its post-commit refresh naming the account.
    let mut got = events_of(&mut ws, &["converted", "summary"]).await;
    let (converted, summary) = (got.remove("converted").unwrap(), got.remove("summary").unwrap());
    assert_eq!(converted["leadConverted"]["lead"]["id"], "LEAD_000001");
    assert_eq!(converted["leadConverted"]["account"]["accountName"], "华为");
    assert_eq!(converted["leadConverted"]["opportunity"]["stage"], "QUALIFICATION");
    assert!(converted["leadConverted"]["contact"]["contactId"].as_str().unwrap().starts_with("CNT_"));
    assert_eq!(summary["accountSummaryUpdated"]["totalOpportunities"], 2);

    app.data("mutation { moveOpportunityStage(id: \"OPP_1\", stage: NEEDS_ANALYSIS) { id } }", json!({})).await;
    let got = events_of(&mut ws, &["stage", "summary"]).await;
    assert_eq!(
        got["stage"]["opportunityStageChanged"],
        json!({ "opportunity": { "id": "OPP_1", "stage": "NEEDS_ANALYSIS" }, "fromStage": "QUALIFICATION", "toStage": "NEEDS_ANALYSIS" })
    );
    assert_eq!(got["summary"]["accountSummaryUpdated"]["accountId"], "ACC_1");

    let track = "mutation($e: [EventInput!]!) { trackEvents(events: $e) { ids } }";
    let e = |ch: &str| json!({ "eventName": "view", "eventType": "PAGE_VIEW", "channelId": ch, "eventTime": "2026-11-01T08:00:00Z" });
    let ids = app.data(track, json!({ "e": [e("CH_2"), e("CH_1"), e("CH_1")] })).await;
    let got = event(&mut ws, "events").await;
    assert_eq!(got["eventsIngested"]["channelId"], "CH_1", "only the channel asked for");
    assert_eq!(got["eventsIngested"]["count"], 2);
    assert_eq!(got["eventsIngested"]["eventIds"], json!([ids["trackEvents"]["ids"][1], ids["trackEvents"]["ids"][2]]));
}

#[tokio::test]
async fn a_channel_restricted_subscriber_never_receives_another_channels_lead() {
    let app = TestApp::spawn().await;
    channels(&app).await;
    let partner = token(&[Scope::Read], Some(&["CH_1"]));
    let mut ws = connect_as(&app, &partner).await;
    subscribe(&mut ws, "created", "subscription { leadCreated { id channelId } }").await;
    subscribe(&mut ws, "updated", "subscription { leadUpdated(filter: { leadScore: { gte: 50 } }) { id leadScore } }")
        .await;
    subscribe(&mut ws, "events", "subscription { eventsIngested { channelId count } }").await;

    let other = app.data(CREATE_LEAD, json!({ "i": new_lead("别家的", Some("CH_2")) })).await;
    let unowned = app.data(CREATE_LEAD, json!({ "i": new_lead("没有渠道", None) })).await;
    let own = app.data(CREATE_LEAD, json!({ "i": new_lead("自己的", Some("CH_1")) })).await;
    let got = event(&mut ws, "created").await;
    assert_eq!(got["leadCreated"], json!({ "id": own["createLead"]["id"], "channelId": "CH_1" }));

    // Updates: another channel's lead, then the partner's own below and above the filter.
    let update = "mutation($id: ID!, $s: Int!) { updateLead(id: $id, input: { leadScore: $s }) { id } }";
    for (lead, score) in [(&other, 90), (&unowned, 90), (&own, 10), (&own, 80)] {
        app.data(update, json!({ "id": lead["createLead"]["id"], "s": score })).await;
    }

    let track = "mutation($e: [EventInput!]!) { trackEvents(events: $e) { count } }";
    let e = |ch: &str| json!({ "eventName": "view", "eventType": "PAGE_VIEW", "channelId": ch, "eventTime": "2026-11-01T08:00:00Z" });
    app.data(track, json!({ "e": [e("CH_2")] })).await;
    app.data(track, json!({ "e": [e("CH_1")] })).await;
    // A delivered lead is read as it is at delivery: the score-10 update may already show 80 (and
    // then passes the filter too). Every update delivered is the partner's own lead at 80.
    let (mut updates, mut events) = (0, 0);
    while updates == 0 || events == 0 {
        let msg = next(&mut ws).await.expect("events before the timeout");
        match msg["id"].as_str() {
            Some("updated") => {
                assert_eq!(
                    msg["payload"]["data"]["leadUpdated"],
                    json!({ "id": own["createLead"]["id"], "leadScore": 80 })
                );
                updates += 1;
            }
            Some("events") => {
                assert_eq!(msg["payload"]["data"]["eventsIngested"], json!({ "channelId": "CH_1", "count": 1 }));
                events += 1;
            }
            _ => panic!("unexpected {msg}"),
        }
    }
}

#[tokio::test]
async fn the_connection_closes_when_its_token_expires() {
    let app = TestApp::spawn().await;
    let mut ws = connect_as(&app, &token_for(&[Scope::Read], None, Duration::from_secs(2))).await;
    subscribe(&mut ws, "1", "subscription { leadCreated { id } }").await;
    assert_eq!(close_code(&mut ws, Duration::from_secs(10)).await, Some(4401));
}

#[tokio::test]
async fn a_subscribe_before_an_accepted_connection_init_is_refused_with_4401() {
    let app = TestApp::spawn().await;
    let mut ws = connect(&app).await;
    send(
        &mut ws,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { leadCreated { id } }" } }),
    )
    .await;
    assert_eq!(close_code(&mut ws, Duration::from_secs(5)).await, Some(4401));
    // A malformed message is 4400.
    let mut ws = connect(&app).await;
    send(&mut ws, json!({ "type": "no_such_message" })).await;
    assert_eq!(close_code(&mut ws, Duration::from_secs(5)).await, Some(4400));
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_disconnected() {
    let app = TestApp::spawn_with(|c| c.live.subscription_buffer = 2).await;
    let mut ws = connect_as(&app, &token(&[Scope::Read], None)).await;
    subscribe(&mut ws, "1", "subscription { leadCreated { id owner { userName } channel { channelName } } }").await;
    // 100 events published at once: the subscription reads each lead again, so it cannot keep up
    // with a buffer of 2 and is told it lagged.
    let leads: Vec<Value> = (0..100).map(|i| new_lead(&format!("批量{i}"), None)).collect();
    app.data(CREATE_LEADS, json!({ "i": leads })).await;
    assert_eq!(close_code(&mut ws, Duration::from_secs(10)).await, Some(1008));
}

#[tokio::test]
async fn an_invalid_subscription_filter_is_refused_at_subscribe() {
    let app = TestApp::spawn().await;
    let mut ws = connect_as(&app, &token(&[Scope::Read], None)).await;
    let q = "subscription { leadCreated(filter: { mobilePhone: { contains: \"138\" } }) { id } }";
    send(&mut ws, json!({ "id": "1", "type": "subscribe", "payload": { "query": q } })).await;
    let msg = next(&mut ws).await.unwrap();
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(msg["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{msg}");
}

/// PostgreSQL only: two server processes on one database — this test's server (A) and a
/// `cdp360 serve` child process (B). B's commits reach A's subscribers through LISTEN/NOTIFY (A's
/// poll is too slow to deliver in time), also right after A's listener connection was killed.
#[tokio::test]
async fn an_event_committed_by_another_server_process_reaches_a_subscriber_even_after_its_listener_died() {
    let a = TestApp::spawn_with(|c| c.live.outbox_poll = Duration::from_secs(120)).await;
    if a.db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let b = a.spawn_process_replica(&[("CDP_OUTBOX_POLL_MS", "120000")]);
    let mut ws = connect_as(&a, &token(&[Scope::Read], None)).await;
    subscribe(&mut ws, "1", "subscription { leadCreated { leadName } }").await;
    let listeners = || {
        let db = a.db.clone();
        async move {
            let sql = "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = 'cdp360-listener' \
                       AND datname = current_database()";
            let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    for _ in 0..100 {
        if listeners().await >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(listeners().await, 2, "each server listens on a connection of its own");

    b.data(CREATE_LEAD, json!({ "i": new_lead("来自B", None) })).await;
    assert_eq!(event(&mut ws, "1").await["leadCreated"]["leadName"], "来自B");

    // Kill the listeners mid-stream, then commit on B at once (possibly while they are down).
    let kill = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cdp360-listener' \
                AND datname = current_database()";
    a.db.execute_unprepared(kill).await.unwrap();
    b.data(CREATE_LEAD, json!({ "i": new_lead("断线后", None) })).await;
    assert_eq!(event(&mut ws, "1").await["leadCreated"]["leadName"], "断线后", "caught up after reconnecting");
    assert!(a.metric("cdp360_outbox_listener_reconnects_total").await.unwrap_or(0.0) >= 1.0);
    assert_eq!(entity::lead::Entity::find().count(&a.db).await.unwrap(), 2);
}

#[tokio::test]
async fn the_outbox_holds_ids_but_no_personal_data_and_old_events_are_pruned() {
    let app = TestApp::spawn().await;
    let input =
        json!({ "leadName": "李雷", "leadSource": "WEBSITE", "mobilePhone": "13800138000", "email": "li@example.com" });
    let id = app.data(CREATE_LEAD, json!({ "i": input })).await["createLead"]["id"].as_str().unwrap().to_string();
    app.settle().await;
    let rows = cdp360::repo::outbox::after(&app.db, 0, 100).await.unwrap();
    let text = serde_json::to_string(&rows.iter().map(|r| r.payload.clone()).collect::<Vec<_>>()).unwrap();
    assert!(text.contains(&id), "the event names the lead: {text}");
    for secret in ["13800138000", "li@example.com", "李雷"] {
        assert!(!text.contains(secret), "the outbox holds {secret}: {text}");
    }
    let newest = rows.last().unwrap().created_at;
    assert_eq!(cdp360::repo::outbox::prune(&app.db, newest - chrono::Duration::hours(1)).await.unwrap(), 0);
    let pruned = cdp360::repo::outbox::prune(&app.db, newest + chrono::Duration::seconds(1)).await.unwrap();
    assert_eq!(pruned as usize, rows.len(), "everything older than the cut goes");
    assert!(cdp360::repo::outbox::after(&app.db, 0, 100).await.unwrap().is_empty());
}
