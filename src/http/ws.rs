//! `graphql-transport-ws` on `/graphql`. async-graphql runs the protocol's operations; this driver
//! owns the socket so the connection follows the protocol's security rules, which async-graphql
//! alone does not:
//!
//! - the token travels in `connection_init` (browsers cannot set headers on a WebSocket); a refused
//!   init closes with `4403 Forbidden`, no init within 10 s with `4408`, a `subscribe` before the
//!   acknowledgement with `4401 Unauthorized`, an unparsable message with `4400`;
//! - the connection closes with `4401` when the token expires;
//! - a slow consumer is disconnected (`1008`): a subscription that fell more than
//!   `CDP_SUBSCRIPTION_BUFFER` events behind, or a socket that accepts nothing for 10 s. Memory per
//!   connection stays bounded either way.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use std::str::FromStr;

use async_graphql::http::{ClientMessage, WebSocket as GqlWebSocket, WebSocketProtocols as Protocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{FromRequestParts, WebSocketUpgrade};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep};

use super::graphql::charge;
use crate::auth::{AuthError, Principal, Scope, bearer_token};
use crate::graphql::limits::OperationCharge;
use crate::graphql::subscription::SlowConsumer;
use crate::services::read::Access;
use crate::startup::AppState;

const INIT_TIMEOUT: Duration = Duration::from_secs(10);
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Client messages parsed but not yet taken by the protocol engine.
const INBOX: usize = 16;
/// The read buffer a WebSocket starts with (it grows for a larger message).
const WS_READ_BUFFER: usize = 4 * 1024;

pub async fn upgrade(state: AppState, parts: &mut axum::http::request::Parts) -> Response {
    let offered = parts.headers.get(header::SEC_WEBSOCKET_PROTOCOL).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(protocol) = offered.split(',').find_map(|p| Protocols::from_str(p.trim()).ok()) else {
        return (StatusCode::BAD_REQUEST, "Sec-WebSocket-Protocol: graphql-transport-ws is required").into_response();
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(parts, &()).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        // tungstenite's defaults reserve 128 KiB per connection for reading and 128 KiB for
        // writing: 1,000 idle subscribers held about 220 MB. Client messages are small (a query,
        // a ping) and grow the buffer when they are not; an event is written as soon as it is sent.
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(0)
        .on_upgrade(move |socket| serve(socket, state, protocol))
}

/// Why the server ends a connection.
fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}

async fn serve(socket: WebSocket, state: AppState, protocol: Protocols) {
    // Closed with `1001 Going Away` on shutdown, instead of the abrupt `1006` of an ended process.
    let (mut closing, _open) = state.sockets.enter();
    let (mut sink, mut source) = socket.split();
    let principal: Arc<OnceLock<Principal>> = Arc::new(OnceLock::new());
    let slow = Arc::new(Notify::new());
    let (inbox, rx) = mpsc::channel::<serde_json::Result<ClientMessage>>(INBOX);
    let input = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    let init = on_init(state.clone(), principal.clone(), slow.clone());
    let mut engine =
        Box::pin(GqlWebSocket::from_message_stream(state.schema.clone(), input, protocol).on_connection_init(init));
    // Before the acknowledgement: the init deadline; after it: the token's expiry.
    let timer = sleep(INIT_TIMEOUT);
    tokio::pin!(timer);
    let mut acknowledged = false;
    let farewell = loop {
        tokio::select! {
            incoming = source.next() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t.as_str().to_owned(),
                    Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
                };
                let message = serde_json::from_str::<ClientMessage>(&text);
                match &message {
                    Err(_) => break Some(close(4400, "invalid message")),
                    Ok(ClientMessage::Start { .. }) if principal.get().is_none() => break Some(close(4401, "Unauthorized")),
                    Ok(_) => {}
                }
                if inbox.send(message).await.is_err() {
                    break None;
                }
            }
            outgoing = engine.next() => {
                let message = match outgoing {
                    Some(WsMessage::Text(t)) => Message::Text(t.into()),
                    // async-graphql closes a refused init with 1002; the protocol says 4403.
                    Some(WsMessage::Close(1002, reason)) if principal.get().is_none() => break Some(close(4403, &reason)),
                    Some(WsMessage::Close(code, reason)) => break Some(close(code, &reason)),
                    None => break None,
                };
                match tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => break None,
                    Err(_) => {
                        tracing::warn!("WebSocket client accepts nothing; disconnecting it");
                        break None;
                    }
                }
                if !acknowledged && let Some(p) = principal.get() {
                    acknowledged = true;
                    let left = (p.expires_at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO);
                    timer.as_mut().reset(Instant::now() + left);
                }
            }
            _ = slow.notified() => break Some(close(1008, "slow consumer: fell too far behind the event stream")),
            () = super::server::asked_to_close(&mut closing) => break Some(close(1001, "server shutting down")),
            _ = &mut timer => {
                break Some(if acknowledged { close(4401, "token expired") } else { close(4408, "Connection initialisation timeout") });
            }
        }
    };
    if let Some(message) = farewell {
        let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await;
    }
}

/// `connection_init`: verify `{"Authorization": "Bearer …"}` and build the connection's data.
fn on_init(
    state: AppState,
    principal_cell: Arc<OnceLock<Principal>>,
    slow: Arc<Notify>,
) -> impl FnOnce(serde_json::Value) -> futures_util::future::BoxFuture<'static, async_graphql::Result<async_graphql::Data>>
+ Send
+ 'static {
    move |payload| {
        Box::pin(async move {
            let header = ["Authorization", "authorization"]
                .iter()
                .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
                .ok_or(AuthError::Missing);
            let principal = header
                .and_then(bearer_token)
                .and_then(|t| state.verifier.verify(t))
                .map_err(|e| async_graphql::Error::new(e.to_string()))?;
            principal.require(Scope::Read).map_err(|e| async_graphql::Error::new(e.message()))?;
            // The connection's data exists only once authenticated: no principal, no reads.
            let access = Access::for_principal(&principal);
            let mut init = async_graphql::Data::default();
            // No cache in the loader (one batch per poll), so a long-lived subscription never
            // serves stale rows; shared by the connections of one access rule, so one event's
            // relations are read once for all their subscribers (`graphql::fanout`).
            init.insert(state.fanout.loader(&state.db, &access));
            init.insert(access);
            init.insert(SlowConsumer(slow));
            // Every operation on the socket counts against the same bucket as HTTP requests.
            let subject = principal.clone();
            let limiter = state.clone();
            init.insert(OperationCharge(Arc::new(move || charge(&limiter, &subject, 1))));
            let _ = principal_cell.set(principal.clone());
            init.insert(principal);
            Ok(init)
        })
    }
}
