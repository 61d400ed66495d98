//! Subscription fan-out: an event's record and relations are read once per access rule (and
//! filter), not once per subscriber, so the statements an event costs do not grow with the
//! number of subscribers; and subscribers of different rules still see only their own rows.

use std::time::Duration;

use cdp360::auth::Scope;
use serde_json::json;

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, token};
use crate::websocket::{self, Socket};

const SUBSCRIPTION: &str =
    "subscription { leadCreated { id leadName channel { channelName } owner { userName } summary { leadId } } }";

async fn subscribers(app: &TestApp, n: usize, token: &str) -> Vec<Socket> {
    let mut sockets = Vec::with_capacity(n);
    for i in 0..n {
        let mut ws = websocket::connect_as(app, token).await;
        websocket::send(
            &mut ws,
            json!({ "id": format!("s{i}"), "type": "subscribe", "payload": { "query": SUBSCRIPTION } }),
        )
        .await;
        sockets.push(ws);
    }
    sockets
}

async fn wait_active(app: &TestApp, n: usize) {
    for _ in 0..500 {
        if app.metric("cdp360_subscriptions_active").await == Some(n as f64) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{n} subscriptions did not become active");
}

/// The statements one `createLead` costs, everything included, with `n` subscribers.
async fn statements_for_one_event(app: &TestApp, n: usize, name: &str) -> u64 {
    let mut sockets = subscribers(app, n, &token(&[Scope::Read], None)).await;
    wait_active(app, n).await;
    app.settle().await;
    let before = app.statements().await;
    let create = format!(
        "mutation {{ createLead(input: {{ leadName: \"{name}\", leadSource: WEBSITE, channelId: \"CH_A\", ownerUserId: \"U1\" }}) {{ id }} }}"
    );
    app.data(&create, json!({})).await;
    for ws in &mut sockets {
        let msg = websocket::next(ws).await.expect("an event");
        let lead = &msg["payload"]["data"]["leadCreated"];
        assert_eq!(lead["leadName"], name, "{msg}");
        assert_eq!(lead["channel"]["channelName"], "渠道CH_A", "{msg}");
    }
    app.settle().await;
    let spent = app.statements().await - before;
    drop(sockets);
    wait_active(app, 0).await;
    spent
}

#[tokio::test]
async fn statements_per_event_do_not_grow_with_the_number_of_subscribers() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::channel("CH_A", entity::enums::ChannelType::Wechat)]).await;
    insert(&app.db, vec![fixtures::user("U1")]).await;
    let few = statements_for_one_event(&app, 2, "少").await;
    let many = statements_for_one_event(&app, 40, "多").await;
    assert!(many <= few + 3, "2 subscribers: {few} statements, 40 subscribers: {many}");
}

#[tokio::test]
async fn subscribers_of_different_channel_rules_do_not_share_what_they_may_not_see() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::channel("CH_A", entity::enums::ChannelType::Wechat)]).await;
    insert(&app.db, vec![fixtures::channel("CH_B", entity::enums::ChannelType::Douyin)]).await;
    insert(&app.db, vec![fixtures::user("U1")]).await;
    let mut everyone = subscribers(&app, 3, &token(&[Scope::Read], None)).await;
    let mut partner_b = subscribers(&app, 3, &token(&[Scope::Read], Some(&["CH_B"]))).await;
    wait_active(&app, 6).await;
    for channel in ["CH_A", "CH_B"] {
        let create = format!(
            "mutation {{ createLead(input: {{ leadName: \"{channel}\", leadSource: WEBSITE, channelId: \"{channel}\", ownerUserId: \"U1\" }}) {{ id }} }}"
        );
        app.data(&create, json!({})).await;
    }
    for ws in &mut everyone {
        for channel in ["CH_A", "CH_B"] {
            let msg = websocket::next(ws).await.expect("an event");
            assert_eq!(msg["payload"]["data"]["leadCreated"]["leadName"], channel, "{msg}");
        }
    }
    for ws in &mut partner_b {
        let msg = websocket::next(ws).await.expect("an event");
        assert_eq!(msg["payload"]["data"]["leadCreated"]["leadName"], "CH_B", "only its channel: {msg}");
    }
}

// Shared executions (`http/ws_groups.rs`): subscribers whose output is identical share one
// execution of the subscription; anything the output depends on splits them.

const GROUPS: &str = "cdp360_subscription_groups_active";
const PII_QUERY: &str = "subscription { leadCreated { leadName mobilePhone channel { channelId } } }";
const BY_NAME: &str = "subscription($f: LeadFilter) { leadCreated(filter: $f) { leadName channel { channelId } } }";

/// A connection of `token` subscribed to `query` with `variables` as operation `id`, registered
/// once it returns (a `ping` sent after the `subscribe` is answered after it).
async fn subscribed(app: &TestApp, token: &str, id: &str, query: &str, variables: serde_json::Value) -> Socket {
    let mut ws = websocket::connect_as(app, token).await;
    let payload = json!({ "query": query, "variables": variables });
    websocket::send(&mut ws, json!({ "id": id, "type": "subscribe", "payload": payload })).await;
    pong(&mut ws).await;
    ws
}

/// Sends a `ping` and expects the `pong` as the very next message (so nothing else came first).
async fn pong(ws: &mut Socket) {
    websocket::send(ws, json!({ "type": "ping" })).await;
    let msg = websocket::next(ws).await.expect("pong");
    assert_eq!(msg["type"], "pong", "{msg}");
}

async fn wait_metric(app: &TestApp, name: &str, value: f64) {
    for _ in 0..500 {
        if app.metric(name).await.unwrap_or(0.0) == value {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{name} did not reach {value}: {:?}", app.metric(name).await);
}

async fn create_lead(app: &TestApp, name: &str, channel: &str, phone: &str) {
    let create = "mutation($i: CreateLeadInput!) { createLead(input: $i) { id } }";
    let input = json!({ "leadName": name, "leadSource": "WEBSITE", "channelId": channel, "mobilePhone": phone });
    app.data(create, json!({ "i": input })).await;
}

/// The next message, which must be a `next` of operation `id`; its payload.
async fn payload_of(ws: &mut Socket, id: &str) -> serde_json::Value {
    let msg = websocket::next(ws).await.expect("an event");
    assert_eq!((msg["type"].as_str(), msg["id"].as_str()), (Some("next"), Some(id)), "{msg}");
    msg["payload"].clone()
}

async fn two_channels(app: &TestApp) {
    insert(&app.db, vec![fixtures::channel("CH_A", entity::enums::ChannelType::Wechat)]).await;
    insert(&app.db, vec![fixtures::channel("CH_B", entity::enums::ChannelType::Douyin)]).await;
}

#[tokio::test]
async fn subscribers_with_the_same_token_and_query_share_one_execution_and_get_identical_payloads() {
    let app = TestApp::spawn().await;
    two_channels(&app).await;
    let full = token(&[Scope::Read, Scope::Pii], None);
    let mut one = subscribed(&app, &full, "a", PII_QUERY, json!({})).await;
    let mut two = subscribed(&app, &full, "b", PII_QUERY, json!({})).await;
    assert_eq!(app.metric("cdp360_subscriptions_active").await, Some(2.0));
    assert_eq!(app.metric(GROUPS).await, Some(1.0), "one execution for both");
    create_lead(&app, "共享", "CH_A", "13800138000").await;
    let (a, b) = (payload_of(&mut one, "a").await, payload_of(&mut two, "b").await);
    assert_eq!(a, b);
    assert_eq!(a["data"]["leadCreated"]["mobilePhone"], "13800138000", "{a}");
}

#[tokio::test]
async fn a_partner_token_and_a_token_without_pii_get_groups_of_their_own() {
    let app = TestApp::spawn().await;
    two_channels(&app).await;
    let mut full = subscribed(&app, &token(&[Scope::Read, Scope::Pii], None), "s", PII_QUERY, json!({})).await;
    let partner = token(&[Scope::Read, Scope::Pii], Some(&["CH_B"]));
    let mut partner = subscribed(&app, &partner, "s", PII_QUERY, json!({})).await;
    let mut masked = subscribed(&app, &token(&[Scope::Read], None), "s", PII_QUERY, json!({})).await;
    assert_eq!(app.metric(GROUPS).await, Some(3.0));
    create_lead(&app, "甲", "CH_A", "13800138000").await;
    create_lead(&app, "乙", "CH_B", "13900139000").await;
    for (name, phone) in [("甲", "13800138000"), ("乙", "13900139000")] {
        let got = payload_of(&mut full, "s").await;
        assert_eq!(got["data"]["leadCreated"]["leadName"], name, "{got}");
        assert_eq!(got["data"]["leadCreated"]["mobilePhone"], phone, "{got}");
    }
    for (name, phone) in [("甲", "138****8000"), ("乙", "139****9000")] {
        let got = payload_of(&mut masked, "s").await;
        assert_eq!(got["data"]["leadCreated"]["leadName"], name, "{got}");
        assert_eq!(got["data"]["leadCreated"]["mobilePhone"], phone, "masked PII stays masked: {got}");
    }
    let got = payload_of(&mut partner, "s").await;
    assert_eq!(got["data"]["leadCreated"]["leadName"], "乙", "only its own channel: {got}");
    pong(&mut partner).await;
}

#[tokio::test]
async fn different_variables_make_different_groups_and_the_same_variables_in_another_key_order_do_not() {
    let app = TestApp::spawn().await;
    two_channels(&app).await;
    let reader = token(&[Scope::Read], None);
    let a = json!({ "f": { "channelId": { "eq": "CH_A" }, "leadName": { "eq": "甲" } } });
    let a_reordered = json!({ "f": { "leadName": { "eq": "甲" }, "channelId": { "eq": "CH_A" } } });
    let b = json!({ "f": { "channelId": { "eq": "CH_B" } } });
    let mut first = subscribed(&app, &reader, "1", BY_NAME, a).await;
    let mut second = subscribed(&app, &reader, "1", BY_NAME, a_reordered).await;
    let mut other = subscribed(&app, &reader, "1", BY_NAME, b).await;
    assert_eq!(app.metric("cdp360_subscriptions_active").await, Some(3.0));
    assert_eq!(app.metric(GROUPS).await, Some(2.0));
    create_lead(&app, "甲", "CH_A", "13800138000").await;
    create_lead(&app, "乙", "CH_B", "13900139000").await;
    for ws in [&mut first, &mut second] {
        let got = payload_of(ws, "1").await;
        assert_eq!(got["data"]["leadCreated"]["leadName"], "甲", "{got}");
    }
    let got = payload_of(&mut other, "1").await;
    assert_eq!(got["data"]["leadCreated"]["leadName"], "乙", "{got}");
    for ws in [&mut first, &mut second, &mut other] {
        pong(ws).await;
    }
}

#[tokio::test]
async fn a_client_complete_stops_only_that_member_and_the_last_member_leaving_ends_the_group() {
    let app = TestApp::spawn().await;
    two_channels(&app).await;
    let reader = token(&[Scope::Read], None);
    let mut leaving = subscribed(&app, &reader, "x", PII_QUERY, json!({})).await;
    let mut staying = subscribed(&app, &reader, "y", PII_QUERY, json!({})).await;
    assert_eq!(app.metric(GROUPS).await, Some(1.0));
    websocket::send(&mut leaving, json!({ "id": "x", "type": "complete" })).await;
    let msg = websocket::next(&mut leaving).await.expect("complete");
    assert_eq!((msg["type"].as_str(), msg["id"].as_str()), (Some("complete"), Some("x")), "{msg}");
    wait_metric(&app, "cdp360_subscriptions_active", 1.0).await;
    assert_eq!(app.metric(GROUPS).await, Some(1.0), "the other member keeps the group");
    create_lead(&app, "留下", "CH_A", "13800138000").await;
    let got = payload_of(&mut staying, "y").await;
    assert_eq!(got["data"]["leadCreated"]["leadName"], "留下", "{got}");
    pong(&mut leaving).await;
    drop(staying);
    wait_metric(&app, "cdp360_subscriptions_active", 0.0).await;
    wait_metric(&app, GROUPS, 0.0).await;
    // A subscriber after that starts a new execution.
    let mut again = subscribed(&app, &reader, "z", PII_QUERY, json!({})).await;
    assert_eq!(app.metric(GROUPS).await, Some(1.0));
    create_lead(&app, "再来", "CH_A", "13800138001").await;
    let got = payload_of(&mut again, "z").await;
    assert_eq!(got["data"]["leadCreated"]["leadName"], "再来", "{got}");
}

#[tokio::test]
async fn every_subscriber_of_an_invalid_subscription_gets_its_error() {
    let app = TestApp::spawn().await;
    let reader = token(&[Scope::Read], None);
    let q = "subscription { leadCreated { noSuchField } }";
    for id in ["1", "2"] {
        let mut ws = websocket::connect_as(&app, &reader).await;
        websocket::send(&mut ws, json!({ "id": id, "type": "subscribe", "payload": { "query": q } })).await;
        let msg = payload_of(&mut ws, id).await;
        assert!(msg["errors"][0]["message"].as_str().is_some_and(|m| m.contains("noSuchField")), "{msg}");
        let msg = websocket::next(&mut ws).await.expect("complete");
        assert_eq!((msg["type"].as_str(), msg["id"].as_str()), (Some("complete"), Some(id)), "{msg}");
    }
    wait_metric(&app, GROUPS, 0.0).await;
    wait_metric(&app, "cdp360_subscriptions_active", 0.0).await;
}

#[tokio::test]
async fn every_subscribe_to_a_shared_subscription_is_charged_to_the_rate_limit() {
    let app = TestApp::spawn_with(|c| {
        c.limits.rate_per_minute = 6;
        c.limits.rate_burst = 2;
    })
    .await;
    let mut ws = websocket::connect_as(&app, &token(&[Scope::Read], None)).await;
    let mut outcomes = Vec::new();
    for id in ["1", "2", "3"] {
        websocket::send(&mut ws, json!({ "id": id, "type": "subscribe", "payload": { "query": PII_QUERY } })).await;
        websocket::send(&mut ws, json!({ "type": "ping" })).await;
        let msg = websocket::next(&mut ws).await.unwrap();
        if msg["type"] == "pong" {
            outcomes.push("OK".to_owned());
            continue;
        }
        outcomes.push(msg["payload"]["errors"][0]["extensions"]["code"].as_str().unwrap_or("?").to_owned());
        assert_eq!(websocket::next(&mut ws).await.unwrap()["type"], "complete");
        assert_eq!(websocket::next(&mut ws).await.unwrap()["type"], "pong");
    }
    assert_eq!(outcomes, ["OK", "OK", "RATE_LIMITED"]);
    assert_eq!(app.metric("cdp360_subscriptions_active").await, Some(2.0));
    assert_eq!(app.metric(GROUPS).await, Some(1.0));
}

/// The connections of `db`'s pool (idle or in use), and whether it closes idle or old ones.
fn pool(db: &sea_orm::DatabaseConnection) -> (u32, Option<Duration>, Option<Duration>) {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.options().get_idle_timeout(), p.options().get_max_lifetime())
        }
        _ => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.options().get_idle_timeout(), p.options().get_max_lifetime())
        }
    }
}

/// An event's read must not wait for a connection's handshake (about 95 ms with TLS to
/// PostgreSQL, which made whole events late in the benchmark's fan-out): on PostgreSQL the pool
/// opens all its connections at start, without a statement asking for them, and never closes them
/// for being idle or old. SQLite has no handshake to hide: its pool opens one connection at start
/// (concurrent opens of a new file race to switch it to WAL) and keeps what it opens.
#[tokio::test]
async fn the_pool_opens_all_its_connections_at_start_and_keeps_them_through_idle_spells() {
    let app = TestApp::spawn().await;
    let metrics = std::sync::Arc::new(cdp360::metrics::Metrics::new());
    let db = cdp360::db::connect(&app.database_url, 4, metrics).await.unwrap();
    let opened_at_start = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => 4,
        _ => 1,
    };
    for _ in 0..500 {
        if pool(&db).0 == opened_at_start {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(pool(&db), (opened_at_start, None, None), "connections open, idle timeout, maximum lifetime");
    db.close().await.unwrap();
}
