//! M4, lead intake: `clients` senders post REST batches of 100 submissions
//! (`POST /api/v1/leads/ingestions`) back to back for the phase's seconds; then the bench waits
//! until the server's ingestion worker has given every accepted submission its outcome — sealed
//! PII, deduplication by phone, identity resolution, the lead with its channel identity, FORM_SUBMIT
//! touchpoint and event. Reported: the accept latency per batch (p50/p99), and leads per second
//! from the first acceptance to the last outcome (`lead_ingestion.created_at` → `processed_at`).
//! Statements and server CPU are per batch: its acceptance and the processing of its 100
//! submissions. No floor. Budget: at least [`BUDGET_LEADS_PER_S`].
//!
//! M4R is M4 through a scene with routing rules (issue 16): an auto-tagging rule that tags every
//! lead, and an assignment rule on that tag giving the leads to three teams in rotation (teams have
//! no quota, so every lead is assigned). Budget: routing costs at most [`BUDGET_ROUTING_OVERHEAD`]
//! of M4's leads per second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cases::Ctx;
use crate::report::Row;
use crate::runner::{Stats, percentile};
use crate::server::{BoxError, Server};

pub const ID: &str = "M4";
pub const TITLE: &str = "REST batches of 100 → processed (req/s = batches/s)";
pub const BUDGET_LEADS_PER_S: f64 = 2000.0;
pub const ID_ROUTED: &str = "M4R";
pub const TITLE_ROUTED: &str = "M4 through a scene with tagging and assignment rules";
/// The most M4R may lose against M4's leads per second.
pub const BUDGET_ROUTING_OVERHEAD: f64 = 0.20;
const BATCH: usize = 100;
/// The longest wait for the queue to drain after the senders stop.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(600);
/// Names of M4's leads (removed by [`cleanup`]).
const PREFIX: &str = "bench-m4-";

/// What the report prints under the table: leads processed and their rate.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Intake {
    pub leads: u64,
    pub leads_per_second: f64,
}

pub async fn run(
    ctx: &Arc<Ctx>,
    server: &Server,
    clients: usize,
    seconds: Duration,
    routed: bool,
) -> Result<(Row, Intake), BoxError> {
    let id = if routed { ID_ROUTED } else { ID };
    cleanup(ctx).await?;
    vacuum(ctx).await?;
    let scene = create_scene(ctx, server, routed).await?;
    let url = format!("{}/api/v1/leads/ingestions", server.base_url);
    let (statements_before, cpu_before) = (ctx.server_statements().await?, server.cpu_seconds());
    let deadline = Instant::now() + seconds;
    let senders: Vec<_> = (0..clients)
        .map(|c| {
            let (ctx, url, scene) = (ctx.clone(), url.clone(), scene.clone());
            tokio::spawn(async move {
                let (mut latencies, mut errors, mut refused) = (Vec::new(), Vec::new(), 0usize);
                let mut k = 0;
                while Instant::now() < deadline {
                    let body = batch(&scene, c, k);
                    let t = Instant::now();
                    let sent = ctx.http.post(&url).bearer_auth(ctx.token(c)).json(&body).send().await;
                    let took = t.elapsed();
                    match sent {
                        Ok(r) if r.status() == reqwest::StatusCode::ACCEPTED => {
                            latencies.push(took);
                            k += 1;
                        }
                        // Backpressure, not a failure: the backlog is at `CDP_INGESTION_MAX_QUEUE`.
                        // A well-behaved sender waits as told (at most until the phase ends) and
                        // sends the same batch again.
                        Ok(r) => {
                            let (status, headers) = (r.status(), r.headers().clone());
                            let text = r.text().await.unwrap_or_default();
                            let code = serde_json::from_str::<Value>(&text).ok().map(|v| v["error"]["code"].clone());
                            if status == reqwest::StatusCode::SERVICE_UNAVAILABLE && code == Some(json!("QUEUE_FULL")) {
                                refused += 1;
                                let secs = headers
                                    .get(reqwest::header::RETRY_AFTER)
                                    .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                                    .unwrap_or(1);
                                let wake = (Instant::now() + Duration::from_secs(secs)).min(deadline);
                                tokio::time::sleep_until(tokio::time::Instant::from_std(wake)).await;
                            } else {
                                errors.push(format!("HTTP {status}: {text}"));
                            }
                        }
                        Err(e) => errors.push(e.to_string()),
                    }
                }
                (latencies, errors, refused)
            })
        })
        .collect();
    let started = Instant::now();
    let (mut latencies, mut errors, mut refused) = (Vec::new(), Vec::new(), 0);
    for s in senders {
        let (l, e, r) = s.await?;
        latencies.extend(l);
        errors.extend(e);
        refused += r;
    }
    let sending = started.elapsed().as_secs_f64();
    // Whether any submission still waits: stops at the first (the due index's ACCEPTED range). A
    // COUNT of the backlog read ~5,000 pages of the wide queue rows per poll (43 ms every 500 ms
    // with 100,000 waiting, profiled), CPU and cache taken from the server being measured.
    let waiting = "SELECT COUNT(*)::bigint AS n FROM \
                   (SELECT 1 FROM lead_ingestion WHERE status = 'ACCEPTED' AND scene_id = $1 LIMIT 1) AS w";
    let drain_started = Instant::now();
    while count(ctx, waiting, &scene).await? > 0 {
        if drain_started.elapsed() > DRAIN_TIMEOUT {
            return Err(format!("{id}: the queue did not drain within {DRAIN_TIMEOUT:?}").into());
        }
        // The rate comes from the rows' own times, not from this poll.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let span = ctx
        .rows(
            "SELECT COUNT(*)::bigint AS n, EXTRACT(EPOCH FROM MAX(processed_at) - MIN(created_at))::float8 AS s,
                    COUNT(*) FILTER (WHERE status NOT IN ('PROCESSED', 'DUPLICATE_OF'))::bigint AS bad
             FROM lead_ingestion WHERE scene_id = $1",
            vec![scene.clone().into()],
        )
        .await?;
    let leads = span[0]["n"].as_u64().unwrap_or(0);
    let bad = span[0]["bad"].as_u64().unwrap_or(0);
    if bad > 0 {
        errors.push(format!("{bad} ingestions ended neither PROCESSED nor DUPLICATE_OF"));
    }
    let span_s = span[0]["s"].as_f64().unwrap_or(f64::NAN);
    let intake = Intake { leads, leads_per_second: leads as f64 / span_s };
    let cpu_ms_per_lead = (server.cpu_seconds() - cpu_before) * 1e3 / leads.max(1) as f64;
    let statements_per_batch = (ctx.server_statements().await? - statements_before) / latencies.len().max(1) as f64;
    println!(
        "{id} {clients} senders: {} batches accepted in {sending:.1} s ({refused} refused with QUEUE_FULL and sent again after Retry-After), {leads} leads processed in {span_s:.1} s = {:.0} leads/s, server CPU {cpu_ms_per_lead:.2} ms/lead",
        latencies.len(),
        intake.leads_per_second
    );
    latencies.sort_unstable();
    let requests = latencies.len();
    let stats = Stats {
        clients,
        requests,
        failures: errors.len(),
        first_error: errors.into_iter().next(),
        seconds: sending,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        throughput: requests as f64 / sending,
    };
    cleanup(ctx).await?;
    let row = Row {
        case: id,
        title: if routed { TITLE_ROUTED } else { TITLE },
        clients,
        cdp360: stats,
        floor: None,
        ratio_p50: None,
        served_floor: None,
        ratio_served_p50: None,
        statements_per_request: statements_per_batch,
        floor_statements_per_request: None,
        server_cpu_ms_per_request: cpu_ms_per_lead * BATCH as f64,
        peak_rss_mb: server.peak_rss_mb(),
    };
    Ok((row, intake))
}

/// Batch `k` of sender `c`: unique names and phones (a phone may still match a seeded lead: then
/// the submission is a duplicate, processed all the same).
fn batch(scene: &str, c: usize, k: usize) -> Value {
    let items: Vec<Value> = (0..BATCH)
        .map(|i| {
            let n = (c * 1_000_000 + k * BATCH + i) as u64;
            json!({
                "scene_config_id": scene,
                "submission_data": {
                    "name": format!("{PREFIX}{c}-{k}-{i}"),
                    "phone": format!("137{:08}", n % 100_000_000),
                    "email": format!("m4-{n}@bench.example"),
                    "openid": format!("o-bench-{n}"),
                },
                "meta": { "ip": "203.0.113.7", "submission_url": "https://example.com/lp?utm_source=bench" },
            })
        })
        .collect();
    json!({ "submissions": items })
}

async fn create_scene(ctx: &Ctx, server: &Server, routed: bool) -> Result<String, BoxError> {
    let mut input = json!({
        "sceneName": format!("{PREFIX}scene"),
        "sceneType": "API_IMPORT",
        "isEnabled": true,
        "defaultChannelId": ctx.samples.channel,
        "deduplicationStrategy": "BY_PHONE",
        "dataMappingRules": [
            { "target": "leadName", "source": "name", "required": true },
            { "target": "mobilePhone", "source": "phone", "transform": "phone", "required": true },
            { "target": "email", "source": "email", "transform": "email" },
            { "target": "channelUserId", "source": "openid" },
        ],
    });
    if routed {
        let tag = ctx.rows("SELECT tag_id, tag_name FROM tag ORDER BY tag_id LIMIT 1", vec![]).await?;
        let teams = ctx.rows("SELECT team_id FROM team ORDER BY team_id LIMIT 3", vec![]).await?;
        let (Some(tag), false) = (tag.first(), teams.is_empty()) else {
            return Err("M4R needs a seeded tag and team".into());
        };
        let teams: Vec<Value> = teams.iter().map(|t| t["team_id"].clone()).collect();
        input["autoTaggingRules"] = json!([{
            "name": format!("{PREFIX}tag"),
            "when": { "all": [
                { "field": "lead.leadName", "starts_with": PREFIX },
                { "field": "lead.mobilePhone", "exists": true } ] },
            "tags": [tag["tag_id"]],
        }]);
        input["assignmentRules"] = json!([{
            "name": format!("{PREFIX}rotate"),
            "when": { "field": "tags", "contains": tag["tag_name"] },
            "strategy": { "type": "ROUND_ROBIN", "teams": teams },
        }]);
    }
    let q = "mutation($i: CreateAcquisitionSceneInput!) { createAcquisitionScene(input: $i) { id } }";
    let url = format!("{}/graphql", server.base_url);
    let body: Value = ctx
        .http
        .post(url)
        .bearer_auth(crate::server::admin_token()?)
        .json(&json!({ "query": q, "variables": { "i": input } }))
        .send()
        .await?
        .json()
        .await?;
    Ok(body["data"]["createAcquisitionScene"]["id"].as_str().ok_or_else(|| format!("M4 scene: {body}"))?.to_string())
}

/// The tables intake writes, vacuumed and analyzed before each case: without autovacuum (off on
/// the benchmark machine) the rows an earlier case wrote and `cleanup` deleted stay as dead tuples,
/// and the case that runs second would pay for them (M4R after M4).
async fn vacuum(ctx: &Ctx) -> Result<(), String> {
    use sea_orm::ConnectionTrait;
    for table in [
        "lead",
        "lead_ingestion",
        "lead_channel_identity",
        "lead_summary",
        "lead_assignment_log",
        "touchpoint",
        "event",
        "tag_relation",
        "outbox_event",
        "summary_stale",
    ] {
        // One statement each: VACUUM cannot run inside the implicit transaction of a multi-statement string.
        ctx.db.execute_unprepared(&format!("VACUUM ANALYZE {table}")).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn count(ctx: &Ctx, sql: &str, scene: &str) -> Result<u64, String> {
    let rows = ctx.rows(sql, vec![scene.to_string().into()]).await?;
    Ok(rows.first().and_then(|r| r["n"].as_u64()).unwrap_or(0))
}

/// Removes what M4 wrote: its leads with their touchpoints, events and tags (which would otherwise
/// outlive them, unlinked; the assignment log goes with the lead), its ingestions, its scene and
/// M4R's rotation.
pub async fn cleanup(ctx: &Ctx) -> Result<(), String> {
    let script = format!(
        "BEGIN;
        CREATE TEMP TABLE bench_m4 ON COMMIT DROP AS SELECT lead_id FROM lead WHERE lead_name LIKE '{PREFIX}%';
        DELETE FROM touchpoint WHERE lead_id IN (SELECT lead_id FROM bench_m4);
        DELETE FROM event WHERE lead_id IN (SELECT lead_id FROM bench_m4);
        DELETE FROM tag_relation WHERE entity_type = 'LEAD' AND entity_id IN (SELECT lead_id FROM bench_m4);
        DELETE FROM assignment_cursor WHERE rule_key LIKE '%/{PREFIX}%';
        DELETE FROM lead WHERE lead_id IN (SELECT lead_id FROM bench_m4);
        DELETE FROM lead_ingestion WHERE scene_id IN
            (SELECT scene_id FROM acquisition_scene WHERE scene_name = '{PREFIX}scene');
        DELETE FROM acquisition_scene WHERE scene_name = '{PREFIX}scene';
        COMMIT;"
    );
    use sea_orm::ConnectionTrait;
    ctx.db.execute_unprepared(&script).await.map_err(|e| e.to_string())?;
    Ok(())
}
