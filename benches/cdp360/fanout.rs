//! S1, subscription fan-out: `subscribers` WebSocket clients (`graphql-transport-ws`, the token in
//! `connection_init`) subscribe to `leadCreated` on one server, then `createLead` runs `events`
//! times, one at a time. For each subscriber and event: the time from the mutation's HTTP response
//! to that client's receipt of the event. No floor.
//!
//! It runs on a server of its own, started for it, so its peak RSS is that of an otherwise idle
//! server holding the subscribers (the main server's peak comes from M2's batches).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::cases::{Ctx, new_lead};
use crate::report::Row;
use crate::runner::{Stats, percentile};
use crate::server::{BoxError, Server};

pub const ID: &str = "S1";
pub const TITLE: &str = "leadCreated fan-out (clients = subscribers)";
/// The budget the report checks S1 against.
pub const BUDGET_P99_MS: f64 = 50.0;
pub const BUDGET_RSS_MB: f64 = 150.0;

const SUBSCRIPTION: &str =
    "subscription { leadCreated { id leadId leadName leadStatus createdAt channel { channelName } } }";
/// How long every subscriber has to receive one event.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// Sockets opened at a time while subscribing.
const CONNECTING: usize = 32;

pub struct Plan {
    pub subscribers: usize,
    /// Measured events, after one warm-up event.
    pub events: usize,
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What a subscriber's reader task reports.
enum Msg {
    /// A `leadCreated` event (the lead's `id`), stamped when its frame was read.
    Event(String, Instant),
    Failed(String),
}

pub async fn run(ctx: &Arc<Ctx>, database_url: &str, pool: u32, plan: &Plan) -> Result<Row, BoxError> {
    let server = Server::start(database_url, pool)?;
    let graphql = format!("{}/graphql", server.base_url);
    let ws_url = graphql.replacen("http://", "ws://", 1);
    let idle_rss = server.rss_mb();

    let opened: Vec<Result<Socket, String>> = futures_util::stream::iter(0..plan.subscribers)
        .map(|k| subscribe(&ws_url, ctx.token(k), k))
        .buffer_unordered(CONNECTING)
        .collect()
        .await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut readers = Vec::with_capacity(opened.len());
    for socket in opened {
        readers.push(tokio::spawn(read(socket?, tx.clone())));
    }
    drop(tx);
    wait_active(ctx, &graphql, plan.subscribers).await?;
    println!(
        "{ID}: {} subscribers on cdp360 (pid {}); server RSS {idle_rss:.0} MB before subscribing, {:.0} MB after",
        plan.subscribers,
        server.pid(),
        server.rss_mb()
    );

    // One warm-up event, then the measured ones.
    deliver(ctx, &graphql, &mut rx, plan.subscribers, &mut Fanout::default()).await?;
    let mut m = Fanout::default();
    let (cpu_before, started) = (server.cpu_seconds(), Instant::now());
    for _ in 0..plan.events {
        deliver(ctx, &graphql, &mut rx, plan.subscribers, &mut m).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let events = plan.events.max(1) as f64;
    let cpu_ms = (server.cpu_seconds() - cpu_before) * 1e3 / events;
    let peak_rss = server.peak_rss_mb();
    readers.iter().for_each(|r| r.abort());
    drop(server);

    m.latencies.sort_unstable();
    let missed = plan.subscribers * plan.events - m.latencies.len().min(plan.subscribers * plan.events);
    let stats = Stats {
        clients: plan.subscribers,
        requests: m.latencies.len(),
        failures: missed + m.errors.len(),
        first_error: m.errors.first().cloned(),
        seconds,
        p50_ms: percentile(&m.latencies, 0.50),
        p99_ms: percentile(&m.latencies, 0.99),
        // Deliveries per second while fanning out (response to last receipt, summed over events).
        throughput: m.latencies.len() as f64 / m.fanning_out.as_secs_f64().max(1e-9),
    };
    let statements = m.statements / events;
    println!(
        "{ID} {} subscribers × {} events: p50 {:.3} ms p99 {:.3} ms max {:.3} ms ({} failed, {} received before the \
         mutation's response) | {statements:.1} stmts/event, server CPU {cpu_ms:.3} ms/event, peak RSS {peak_rss:.0} MB{}",
        plan.subscribers,
        plan.events,
        stats.p50_ms,
        stats.p99_ms,
        percentile(&m.latencies, 1.0),
        stats.failures,
        m.early,
        stats.first_error.as_deref().map(|e| format!("\n  first failure: {e}")).unwrap_or_default(),
    );
    Ok(Row {
        case: ID,
        title: TITLE,
        clients: plan.subscribers,
        cdp360: stats,
        floor: None,
        ratio_p50: None,
        served_floor: None,
        ratio_served_p50: None,
        statements_per_request: statements,
        floor_statements_per_request: None,
        server_cpu_ms_per_request: cpu_ms,
        peak_rss_mb: peak_rss,
    })
}

/// Opens subscriber `k`'s socket, authenticates it with `token` and subscribes to `leadCreated`.
async fn subscribe(ws_url: &str, token: &str, k: usize) -> Result<Socket, String> {
    let mut req = ws_url.into_client_request().map_err(|e| e.to_string())?;
    req.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static("graphql-transport-ws"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.map_err(|e| format!("subscriber {k}: {e}"))?;
    let send = async |ws: &mut Socket, v: Value| ws.send(Message::Text(v.to_string().into())).await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    send(&mut ws, init).await.map_err(|e| e.to_string())?;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
        match msg.map_err(|_| format!("subscriber {k}: no connection_ack within 10 s"))? {
            Some(Ok(Message::Text(t))) if t.contains("connection_ack") => break,
            Some(Ok(Message::Text(t))) => return Err(format!("subscriber {k}: {t}")),
            Some(Ok(_)) => continue,
            other => return Err(format!("subscriber {k}: closed before connection_ack: {other:?}")),
        }
    }
    let sub = json!({ "id": format!("s{k}"), "type": "subscribe", "payload": { "query": SUBSCRIPTION } });
    send(&mut ws, sub).await.map_err(|e| e.to_string())?;
    Ok(ws)
}

/// A subscriber's reader: stamps each frame as it is read, then reports it.
async fn read(mut ws: Socket, tx: mpsc::UnboundedSender<Msg>) {
    while let Some(frame) = ws.next().await {
        let at = Instant::now();
        let msg = match frame {
            Ok(Message::Text(t)) => {
                let v: Value = serde_json::from_str(&t).unwrap_or_default();
                match v["payload"]["data"]["leadCreated"]["id"].as_str() {
                    Some(id) if v["type"] == "next" => Msg::Event(id.to_owned(), at),
                    _ => Msg::Failed(format!("unexpected message: {}", t.chars().take(300).collect::<String>())),
                }
            }
            Ok(Message::Close(frame)) => Msg::Failed(format!("the server closed a subscriber: {frame:?}")),
            Ok(_) => continue,
            Err(e) => Msg::Failed(format!("a subscriber's socket failed: {e}")),
        };
        if tx.send(msg).is_err() {
            return;
        }
    }
}

/// What the measured events gathered.
#[derive(Default)]
struct Fanout {
    latencies: Vec<Duration>,
    errors: Vec<String>,
    /// Deliveries read before the mutation's response had been read.
    early: usize,
    /// Summed over events: from the response to the last subscriber's receipt.
    fanning_out: Duration,
    /// SQL statements, from before the mutation until its summary refresh has run.
    statements: f64,
}

/// One `createLead`, then every subscriber's receipt of it.
async fn deliver(
    ctx: &Ctx,
    graphql: &str,
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    subscribers: usize,
    out: &mut Fanout,
) -> Result<(), BoxError> {
    let before = statements(ctx, graphql).await?;
    let q = "mutation($i: CreateLeadInput!) { createLead(input: $i) { id } }";
    let d = ctx.gql_at(graphql, q, json!({ "i": new_lead(ctx, ctx.next(), "s1") })).await?;
    let responded = Instant::now();
    let id = d["createLead"]["id"].as_str().ok_or("createLead returned no id")?.to_owned();
    let deadline = tokio::time::Instant::from_std(responded + DELIVERY_TIMEOUT);
    let (mut received, mut last) = (0, responded);
    while received < subscribers {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Msg::Event(lead, at))) if lead == id => {
                received += 1;
                out.early += usize::from(at < responded);
                out.latencies.push(at.saturating_duration_since(responded));
                last = last.max(at);
            }
            Ok(Some(Msg::Event(lead, _))) => out.errors.push(format!("an event for {lead} while waiting for {id}")),
            Ok(Some(Msg::Failed(e))) => out.errors.push(e),
            Ok(None) => return Err("every subscriber's socket has closed".into()),
            Err(_) => {
                let e = format!(
                    "{} of {subscribers} subscribers did not receive {id} within {DELIVERY_TIMEOUT:?}",
                    subscribers - received
                );
                out.errors.push(e);
                break;
            }
        }
    }
    out.fanning_out += last - responded;
    settle(ctx, graphql).await?;
    out.statements += statements(ctx, graphql).await? - before;
    Ok(())
}

async fn statements(ctx: &Ctx, graphql: &str) -> Result<f64, String> {
    Ok(ctx.metric_at(graphql, "cdp360_db_statement_seconds_count").await?.unwrap_or(0.0))
}

/// Until the server's post-commit summary refreshes have run.
async fn settle(ctx: &Ctx, graphql: &str) -> Result<(), BoxError> {
    for _ in 0..1000 {
        if ctx.metric_at(graphql, "cdp360_summaries_refresh_pending").await?.unwrap_or(0.0) == 0.0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err("the post-commit summary refresh did not finish within 10 s".into())
}

async fn wait_active(ctx: &Ctx, graphql: &str, n: usize) -> Result<(), BoxError> {
    for _ in 0..6000 {
        if ctx.metric_at(graphql, "cdp360_subscriptions_active").await? == Some(n as f64) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err(format!("{n} subscriptions did not become active within 60 s").into())
}
