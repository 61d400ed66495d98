//! Shared subscription executions. Subscribers whose output is necessarily identical form a
//! group, and the group runs the subscription stream ONCE: each event's selection is executed and
//! serialised once, and every member writes the same payload under its own operation id. With
//! 1,000 `leadCreated` subscribers of one token and query, an event costs one execution instead of
//! 1,000 (README, "S1 fan-out").
//!
//! **The key is everything the output depends on** ([`GroupKey`]):
//!
//! - the request: the query text, `operationName`, the variables and the request extensions
//!   (canonical JSON: object keys sorted), so validation, the selected fields and their arguments
//!   are the same;
//! - the rows the caller may see: `Access::fingerprint` (the partner channel restriction). The
//!   subscription resolvers read the principal only through `can_see_channel`, which is the same
//!   channel set;
//! - whether PII is shown: the `pii` scope (the PII getters in `graphql::resource` and
//!   `graphql::planner` unmask for it and mask otherwise).
//!
//! Nothing else about the principal reaches a subscription's output: its subject is read only by
//! root query fields (`myLeads`) and mutations, and the other scopes only by the guard on root query
//! and mutation fields and on records in mutation payloads (`graphql::guard`). A group runs with
//! its first member's principal; token expiry (`4401`) and the rate-limit charge stay per
//! connection and per subscribe (`http/ws.rs`). A new field that reads more of the principal must
//! add it to the key.
//!
//! A member that joins a running group skips the items of events published before it joined (the
//! broker's head then, against the event each item came from: `EventCursor`), as its own stream
//! would not have seen them. A member that falls more than `CDP_SUBSCRIPTION_BUFFER` payloads
//! behind its group, or every member when the group's stream fell behind the broker, is a slow
//! consumer (`1008`). The last member leaving stops the execution.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Request, Response};
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Notify, broadcast};
use tokio::task::AbortHandle;

use crate::auth::{Principal, Scope};
use crate::graphql::subscription::EventCursor;
use crate::metrics::{Counted, Metrics};
use crate::services::read::Access;

/// Everything a subscription's output depends on (see the module's documentation).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct GroupKey {
    access: Arc<str>,
    pii: bool,
    query: String,
    operation: Option<String>,
    variables: String,
    extensions: String,
}

impl GroupKey {
    pub fn new(principal: &Principal, request: &Request) -> GroupKey {
        let json =
            |v: serde_json::Result<serde_json::Value>| v.map(canonical).map(|v| v.to_string()).unwrap_or_default();
        GroupKey {
            access: Access::for_principal(principal).fingerprint(),
            pii: principal.has(Scope::Pii),
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: json(serde_json::to_value(&request.variables)),
            extensions: json(serde_json::to_value(&request.extensions)),
        }
    }
}

/// `value` with every object's keys in order, so equal inputs have equal text.
fn canonical(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(String, serde_json::Value)> =
                map.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

/// Whether the operation `request` selects is a subscription (false when it does not parse: the
/// protocol engine then answers the error as for any operation).
pub fn is_subscription(request: &Request) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else { return false };
    let op = match (&doc.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    };
    op.is_some_and(|op| op.node.ty == OperationType::Subscription)
}

/// What a group sends its members.
#[derive(Clone)]
pub enum Delivery {
    /// One response, serialised once. `seq`: the event it came from (0: none, e.g. an error).
    Next { seq: i64, payload: Arc<str> },
    /// The stream ended.
    Complete,
    /// The member (or its whole group) fell behind: a slow consumer.
    Lagged,
}

struct Group {
    tx: broadcast::Sender<Delivery>,
    /// Changed under the registry's lock only, so a join never meets a group being stopped.
    members: Mutex<usize>,
    task: OnceLock<AbortHandle>,
}

/// The running groups, by key.
#[derive(Default)]
pub struct Groups {
    map: Mutex<HashMap<GroupKey, Arc<Group>>>,
}

/// What a group's execution needs besides the request.
pub struct Start {
    pub metrics: Arc<Metrics>,
    pub broker_head: i64,
    pub buffer: usize,
    /// The subscription stream, not polled yet. It is given `slow` and `cursor` in its data.
    pub stream: BoxStream<'static, Response>,
    pub slow: Arc<Notify>,
    pub cursor: EventCursor,
}

impl Groups {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<GroupKey, Arc<Group>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Joins the running group of `key`, if there is one.
    pub fn join(self: &Arc<Self>, key: &GroupKey, metrics: &Arc<Metrics>, broker_head: i64) -> Option<Member> {
        let map = self.lock();
        let group = map.get(key)?.clone();
        *group.members.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        let rx = group.tx.subscribe();
        drop(map);
        Some(Member::new(self.clone(), Some(key.clone()), group, rx, broker_head, metrics.clone()))
    }

    /// Starts the group of `key` with `start.stream` (or joins one started meanwhile). The stream
    /// is polled once here, so the subscription listens to the broker before the caller reads
    /// the client's next message (a `ping` answered after a `subscribe` means it is registered).
    /// A stream that answers at once (an error, such as a failed validation) serves only this
    /// member: it is never joinable, so no later subscriber misses what it answered.
    pub fn start(self: &Arc<Self>, key: GroupKey, start: Start) -> Member {
        let Start { metrics, broker_head, buffer, mut stream, slow, cursor } = start;
        let first = stream.next().now_or_never();
        let (tx, rx) = broadcast::channel(buffer.max(1));
        let group = Arc::new(Group { tx: tx.clone(), members: Mutex::new(1), task: OnceLock::new() });
        let shared = first.is_none();
        let first = first.map(|item| item.map(|r| (cursor.0.load(Ordering::Acquire), r)));
        let registry = shared.then(|| (self.clone(), key.clone(), group.clone()));
        // Counted before the task first runs, so the gauge is right as soon as the member is.
        let running = Counted::new(metrics.clone(), Metrics::subscription_groups_delta);
        let run = run(stream, first, tx, slow, cursor, registry, running);
        let task = tokio::spawn(run).abort_handle();
        let _ = group.task.set(task);
        if !shared {
            return Member::new(self.clone(), None, group, rx, broker_head, metrics);
        }
        let mut map = self.lock();
        if let Some(running) = map.get(&key).cloned() {
            // Started by another connection meanwhile: share that one.
            *running.members.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            let rx = running.tx.subscribe();
            drop(map);
            if let Some(task) = group.task.get() {
                task.abort();
            }
            return Member::new(self.clone(), Some(key), running, rx, broker_head, metrics);
        }
        map.insert(key.clone(), group.clone());
        drop(map);
        Member::new(self.clone(), Some(key), group, rx, broker_head, metrics)
    }

    /// Forgets `group` if it is still the one registered for `key`.
    fn forget(&self, key: &GroupKey, group: &Arc<Group>) {
        let mut map = self.lock();
        if map.get(key).is_some_and(|g| Arc::ptr_eq(g, group)) {
            map.remove(key);
        }
    }
}

/// A group's execution: serialises each response once and sends it to every member.
async fn run(
    mut stream: BoxStream<'static, Response>,
    first: Option<Option<(i64, Response)>>,
    tx: broadcast::Sender<Delivery>,
    slow: Arc<Notify>,
    cursor: EventCursor,
    registry: Option<(Arc<Groups>, GroupKey, Arc<Group>)>,
    _running: Counted,
) {
    let send = |seq: i64, response: &Response| {
        let payload: Arc<str> = serde_json::to_string(response).unwrap_or_default().into();
        // No receivers: every member left; the last one's leaving aborts this task.
        let _ = tx.send(Delivery::Next { seq, payload });
    };
    let mut ended = false;
    match first {
        Some(Some((seq, response))) => send(seq, &response),
        Some(None) => ended = true,
        None => {}
    }
    while !ended && let Some(response) = stream.next().await {
        send(cursor.0.load(Ordering::Acquire), &response);
    }
    // The stream ends when it lagged behind the broker (it then notified `slow`), or for good.
    let lagged = slow.notified().now_or_never().is_some();
    if let Some((groups, key, group)) = registry {
        groups.forget(&key, &group);
    }
    let _ = tx.send(if lagged { Delivery::Lagged } else { Delivery::Complete });
}

/// One subscription of one connection in a group; counted in `cdp360_subscriptions_active`.
/// Dropping it leaves the group, and stops the group's execution when it was the last member.
pub struct Member {
    groups: Arc<Groups>,
    /// None for a group that is not joinable.
    key: Option<GroupKey>,
    group: Arc<Group>,
    rx: BoxStream<'static, Result<Delivery, RecvError>>,
    since: i64,
    _active: Counted,
}

impl Member {
    fn new(
        groups: Arc<Groups>,
        key: Option<GroupKey>,
        group: Arc<Group>,
        rx: broadcast::Receiver<Delivery>,
        since: i64,
        metrics: Arc<Metrics>,
    ) -> Member {
        let active = Counted::new(metrics, Metrics::subscriptions_delta);
        let rx = futures_util::stream::unfold(rx, |mut rx| async move {
            match rx.recv().await {
                Err(RecvError::Closed) => None,
                got => Some((got, rx)),
            }
        })
        .boxed();
        Member { groups, key, group, rx, since, _active: active }
    }

    /// The next delivery for this member (None: the group is gone), skipping the items of
    /// events published before it joined.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        loop {
            return match self.rx.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(Delivery::Next { seq, .. }))) if seq != 0 && seq <= self.since => continue,
                Poll::Ready(Some(Ok(d))) => Poll::Ready(Some(d)),
                Poll::Ready(Some(Err(RecvError::Lagged(_)))) => Poll::Ready(Some(Delivery::Lagged)),
                Poll::Ready(Some(Err(RecvError::Closed))) | Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let mut map = self.groups.lock();
        let mut members = self.group.members.lock().unwrap_or_else(|e| e.into_inner());
        *members = members.saturating_sub(1);
        if *members == 0 {
            if let Some(key) = &self.key
                && map.get(key).is_some_and(|g| Arc::ptr_eq(g, &self.group))
            {
                map.remove(key);
            }
            if let Some(task) = self.group.task.get() {
                task.abort();
            }
        }
    }
}

/// A connection's subscriptions served by groups, by operation id.
#[derive(Default)]
pub struct Subscriptions(HashMap<String, Member>);

impl Subscriptions {
    pub fn insert(&mut self, id: String, member: Member) {
        self.0.insert(id, member);
    }

    /// Leaves the group of operation `id`; false if `id` is not a grouped subscription.
    pub fn remove(&mut self, id: &str) -> bool {
        self.0.remove(id).is_some()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.0.contains_key(id)
    }

    /// The next delivery of any subscription, with its id. A `Complete` (or a vanished group)
    /// also removes the subscription.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<(String, Delivery)> {
        let mut done = None;
        for (id, member) in &mut self.0 {
            match member.poll_next(cx) {
                Poll::Ready(Some(Delivery::Complete)) | Poll::Ready(None) => {
                    done = Some(id.clone());
                    break;
                }
                Poll::Ready(Some(d)) => return Poll::Ready((id.clone(), d)),
                Poll::Pending => {}
            }
        }
        match done {
            Some(id) => {
                self.0.remove(&id);
                Poll::Ready((id, Delivery::Complete))
            }
            None => Poll::Pending,
        }
    }
}
