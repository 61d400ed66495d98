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
