//! `graphql-transport-ws` on `/graphql`: the token travels in `connection_init`; without a valid one
//! the server closes the connection, with one it runs operations.

use cdp360::auth::Scope;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, token};

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(app: &TestApp) -> Socket {
    let mut req = format!("ws://{}/graphql", app.addr).into_client_request().unwrap();
    req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    tokio_tungstenite::connect_async(req).await.expect("upgrade").0
}

pub async fn send(ws: &mut Socket, msg: Value) {
    ws.send(Message::Text(msg.to_string().into())).await.unwrap();
}

/// The next text message, or None when the server closed the connection.
pub async fn next(ws: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await.expect("server answered") {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// Opens a connection authenticated with `token` and waits for its acknowledgement.
pub async fn connect_as(app: &TestApp, token: &str) -> Socket {
    let mut ws = connect(app).await;
    send(&mut ws, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
        .await;
    assert_eq!(next(&mut ws).await.expect("acknowledged")["type"], "connection_ack");
    ws
}

/// Skips text messages until the server closes; the close code (None: closed without a frame).
pub async fn close_code(ws: &mut Socket, within: std::time::Duration) -> Option<u16> {
    loop {
        match tokio::time::timeout(within, ws.next()).await.expect("the server closed the connection in time") {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn an_authenticated_websocket_runs_queries() {
    let app = TestApp::spawn().await;
    insert(&app.db, (0..3).map(fixtures::lead).collect()).await;
    let mut ws = connect(&app).await;
    let bearer = format!("Bearer {}", token(&[Scope::Read], None));
    send(&mut ws, json!({ "type": "connection_init", "payload": { "Authorization": bearer } })).await;
    assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");
    send(&mut ws, json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ leads { totalCount } }" } })).await;
    let msg = next(&mut ws).await.unwrap();
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(msg["payload"]["data"]["leads"]["totalCount"], 3);
    assert_eq!(next(&mut ws).await.unwrap()["type"], "complete");
}

#[tokio::test]
async fn a_websocket_without_a_valid_token_is_closed_before_any_operation() {
    let app = TestApp::spawn().await;
    for payload in [
        json!({}),
        json!({ "Authorization": "Bearer forged.token.here" }),
        json!({
            "Authorization": format!("Bearer {}", token(&[Scope::Ingest], None))
        }),
    ] {
        let mut ws = connect(&app).await;
        send(&mut ws, json!({ "type": "connection_init", "payload": payload })).await;
        let code = close_code(&mut ws, std::time::Duration::from_secs(5)).await;
        assert_eq!(code, Some(4403), "closed as Forbidden instead of acknowledged for {payload}");
    }
}

#[tokio::test]
async fn websocket_operations_count_against_the_rate_limit() {
    let app = TestApp::spawn_with(|c| {
        c.limits.rate_per_minute = 6;
        c.limits.rate_burst = 2;
    })
    .await;
    let mut ws = connect(&app).await;
    let bearer = format!("Bearer {}", token(&[Scope::Read], None));
    send(&mut ws, json!({ "type": "connection_init", "payload": { "Authorization": bearer } })).await;
    assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");
    let mut outcomes = Vec::new();
    for id in 1..=3 {
        let query =
            json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": "{ leads { totalCount } }" } });
        send(&mut ws, query).await;
        let msg = next(&mut ws).await.unwrap();
        let code = msg["payload"]["errors"][0]["extensions"]["code"].as_str().map(str::to_owned);
        outcomes.push(code.unwrap_or_else(|| "OK".into()));
        if msg["type"] == "next" {
            assert_eq!(next(&mut ws).await.unwrap()["type"], "complete");
        }
    }
    assert_eq!(outcomes, ["OK", "OK", "RATE_LIMITED"]);
}
