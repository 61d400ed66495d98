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
//!
//! A `subscribe` of a subscription does not go to the engine: subscribers whose output is
//! identical share one execution (`http/ws_groups.rs`), and this driver writes its payloads under
//! each subscriber's id. Queries and mutations on the socket still run in the engine.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use std::str::FromStr;

use async_graphql::Request;
use async_graphql::http::{ClientMessage, WebSocket as GqlWebSocket, WebSocketProtocols as Protocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{FromRequestParts, WebSocketUpgrade};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep};

use super::graphql::charge;
use super::ws_groups::{Delivery, GroupKey, Start, Subscriptions, is_subscription};
use crate::auth::{AuthError, Principal, Scope, bearer_token};
use crate::graphql::bounds;
use crate::graphql::limits::{OperationCharge, charge_refused};
use crate::graphql::subscription::{EventCursor, SlowConsumer};
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
    let mut shared = Subscriptions::default();
    let farewell = loop {
        tokio::select! {
            incoming = source.next() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t.as_str().to_owned(),
                    Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
                };
                let message = match serde_json::from_str::<ClientMessage>(&text) {
                    Err(_) => break Some(close(4400, "invalid message")),
                    Ok(ClientMessage::Start { .. }) if principal.get().is_none() => break Some(close(4401, "Unauthorized")),
                    // Once acknowledged (until then the engine answers, after its `connection_ack`).
                    Ok(ClientMessage::Start { id, payload }) if acknowledged => {
                        let p = principal.get().expect("acknowledged once the principal is known");
                        match subscribe_shared(&state, p, protocol, &id, payload, &mut shared) {
                            Ok(answers) => {
                                if send_all(&mut sink, answers).await.is_err() {
                                    break None;
                                }
                                continue;
                            }
                            Err(payload) => ClientMessage::Start { id, payload },
                        }
                    }
                    // The engine also answers a client's `complete` with `complete`.
                    Ok(ClientMessage::Stop { id }) if shared.remove(&id) => {
                        if send_all(&mut sink, vec![complete(&id)]).await.is_err() {
                            break None;
                        }
                        continue;
                    }
                    Ok(message) => message,
                };
                if inbox.send(Ok(message)).await.is_err() {
                    break None;
                }
            }
            (id, delivery) = std::future::poll_fn(|cx| shared.poll_next(cx)) => {
                let text = match delivery {
                    Delivery::Next { payload, .. } => next(protocol, &id, &payload),
                    Delivery::Complete => complete(&id),
                    Delivery::Lagged => break Some(close(1008, "slow consumer: fell too far behind the event stream")),
                };
                if send_all(&mut sink, vec![text]).await.is_err() {
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
                if deliver(&mut sink, message).await.is_err() {
                    break None;
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

type Sink = SplitSink<WebSocket, Message>;

/// Writes `message`; Err when the socket is gone or accepts nothing for [`SEND_TIMEOUT`].
async fn deliver(sink: &mut Sink, message: Message) -> Result<(), ()> {
    match tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(()),
        Err(_) => {
            tracing::warn!("WebSocket client accepts nothing; disconnecting it");
            Err(())
        }
    }
}

async fn send_all(sink: &mut Sink, texts: Vec<String>) -> Result<(), ()> {
    for text in texts {
        deliver(sink, Message::Text(text.into())).await?;
    }
    Ok(())
}

/// A `next` (`data` in the older protocol) around a payload serialised once for its group.
fn next(protocol: Protocols, id: &str, payload: &str) -> String {
    let kind = match protocol {
        Protocols::GraphQLWS => "next",
        Protocols::SubscriptionsTransportWS => "data",
    };
    format!(r#"{{"id":{},"type":"{kind}","payload":{payload}}}"#, serde_json::Value::from(id))
}

fn complete(id: &str) -> String {
    format!(r#"{{"id":{},"type":"complete"}}"#, serde_json::Value::from(id))
}

/// `subscribe` of a subscription: charged to the caller's rate limit like every operation, then
/// served by the group of subscribers with the same output (`http/ws_groups.rs`), which is
/// started when there is none. Answers what to write at once (a refusal); hands `request` back
/// when it is not a subscription, or is refused by the input bounds, for the engine to answer as
/// it answers any operation.
fn subscribe_shared(
    state: &AppState,
    principal: &Principal,
    protocol: Protocols,
    id: &str,
    request: Request,
    shared: &mut Subscriptions,
) -> Result<Vec<String>, Request> {
    if bounds::check_request(&request, (&state.config.limits).into()).is_err() {
        return Err(request);
    }
    let key = GroupKey::new(principal, &request);
    // A running group of this key means the operation is a subscription: no need to parse it.
    let joined = state.subscription_groups.join(&key, &state.metrics, state.broker.head());
    if joined.is_none() && !is_subscription(&request) {
        return Err(request);
    }
    // The same id again replaces the earlier operation, as in the engine.
    shared.remove(id);
    if let Err(e) = charge(state, principal, 1) {
        drop(joined);
        let refused =
            serde_json::to_string(&async_graphql::Response::from_errors(vec![charge_refused(e)])).unwrap_or_default();
        return Ok(vec![next(protocol, id, &refused), complete(id)]);
    }
    let member = match joined {
        Some(member) => member,
        None => {
            let slow = Arc::new(Notify::new());
            let cursor = EventCursor::default();
            let mut data = operation_data(state, principal.clone(), slow.clone());
            data.insert(cursor.clone());
            let stream = state.schema.execute_stream_with_session_data(request, Arc::new(data));
            let start = Start {
                metrics: state.metrics.clone(),
                broker_head: state.broker.head(),
                buffer: state.config.live.subscription_buffer,
                stream,
                slow,
                cursor,
            };
            state.subscription_groups.start(key, start)
        }
    };
    shared.insert(id.to_owned(), member);
    Ok(Vec::new())
}

/// What an operation of `principal` reads from its context: its access, the loader shared by the
/// connections of that access, and where a lagging subscription reports itself.
fn operation_data(state: &AppState, principal: Principal, slow: Arc<Notify>) -> async_graphql::Data {
    let access = Access::for_principal(&principal);
    let mut data = async_graphql::Data::default();
    // No cache in the loader (one batch per poll), so a long-lived subscription never serves
    // stale rows; shared by the connections of one access rule, so one event's relations are
    // read once for all their subscribers (`graphql::fanout`).
    data.insert(state.fanout.loader(&state.db, &access));
    data.insert(access);
    data.insert(SlowConsumer(slow));
    data.insert(principal);
    data
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
            let mut init = operation_data(&state, principal.clone(), slow);
            // Every operation on the socket counts against the same bucket as HTTP requests.
            let subject = principal.clone();
            let limiter = state.clone();
            init.insert(OperationCharge(Arc::new(move || charge(&limiter, &subject, 1))));
            let _ = principal_cell.set(principal);
            Ok(init)
        })
    }
}
