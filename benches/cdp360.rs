//! The cdp360 benchmark (issue 6): each main operation through the release server beside its
//! floor — the same work done by hand-written SQL straight against the same PostgreSQL.
//!
//! `cargo bench --bench cdp360 -- [--scale 1] [--seconds 8] [--database-url …] [--out benches/results] [--smoke]`
//!
//! Seeds the database with `cdp360 seed` when it holds no accounts, starts `cdp360 serve` as a
//! child process, checks every read floor returns what cdp360 returns for one sample, then runs
//! each case (warm-up, then 1 and 8 clients for a fixed time, cdp360 then floor), then M4's lead
//! intake (`intake.rs`), then S1's
//! subscription fan-out on a second server (`fanout.rs`), and writes
//! `<out>/latest.md` and `<out>/latest.json` (`smoke.*` with `--smoke`).

#[path = "cdp360/cases.rs"]
mod cases;
#[path = "cdp360/fanout.rs"]
mod fanout;
#[path = "cdp360/intake.rs"]
mod intake;
#[path = "cdp360/report.rs"]
mod report;
#[path = "cdp360/runner.rs"]
mod runner;
#[path = "cdp360/served.rs"]
mod served;
#[path = "cdp360/server.rs"]
mod server;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::cases::{Case, Ctx};
use crate::report::{Report, Row};
use crate::runner::{Op, Stats};
use crate::server::{BoxError, Server};

#[derive(Parser)]
#[command(about = "cdp360 against the hand-written SQL floor")]
struct Args {
    /// Seed scale (used only when the database is empty). Default 1 (0.02 with --smoke).
    #[arg(long)]
    scale: Option<f64>,
    /// Measured seconds per case, side and concurrency. Default 8 (1 with --smoke).
    #[arg(long)]
    seconds: Option<f64>,
    /// Warm-up seconds per case and side. Default 1 (0.3 with --smoke).
    #[arg(long)]
    warmup: Option<f64>,
    /// Default postgres://postgres@127.0.0.1:5432/cdp360_bench?sslmode=disable (…/cdp360_bench_smoke… with --smoke).
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, default_value = "benches/results")]
    out: PathBuf,
    /// Connections in the server's pool and in the floor's.
    #[arg(long, default_value_t = 10)]
    pool: u32,
    /// A quick run on a tiny data set (same cases and checks), written to `<out>/smoke.*`.
    #[arg(long)]
    smoke: bool,
    /// S1's WebSocket subscribers. Default 1000 (50 with --smoke).
    #[arg(long)]
    subscribers: Option<usize>,
    /// S1's measured `createLead` events (after one warm-up event). Default 20 (5 with --smoke).
    #[arg(long)]
    events: Option<usize>,
    /// Only these cases (comma-separated ids, e.g. `Q1,Q3`: for profiling); writes `<out>/partial.*`.
    #[arg(long, value_delimiter = ',')]
    cases: Vec<String>,
    /// Be the served floor (`served.rs`) on `--database-url` instead: the bench starts itself so.
    #[arg(long = "serve-floor", hide = true)]
    serve_floor: bool,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

const CLIENTS: [usize; 2] = [1, 8];

struct Plan {
    seconds: Duration,
    warmup: Duration,
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let started = Instant::now();
    let smoke = args.smoke;
    let scale = args.scale.unwrap_or(if smoke { 0.02 } else { 1.0 });
    let plan = Plan {
        seconds: Duration::from_secs_f64(args.seconds.unwrap_or(if smoke { 1.0 } else { 8.0 })),
        warmup: Duration::from_secs_f64(args.warmup.unwrap_or(if smoke { 0.3 } else { 1.0 })),
    };
    // No TLS to a database on the same host, for the server and the floor alike: the default
    // `sslmode=prefer` encrypts loopback traffic (13 % of the server's CPU on Q3 when profiled).
    let url = args.database_url.clone().unwrap_or_else(|| {
        format!("postgres://postgres@127.0.0.1:5432/cdp360_bench{}?sslmode=disable", if smoke { "_smoke" } else { "" })
    });

    if args.serve_floor {
        return served::serve(&url, args.pool).await;
    }

    server::prepare_database(&url, scale, args.pool).await?;
    let server = Server::start(&url, args.pool)?;
    println!("cdp360 (pid {}) listening on {}", server.pid(), server.base_url);
    let served = served::Served::start(&url, args.pool)?;
    let db = server::connect(&url, args.pool).await?;
    let postgres = postgres_version(&db).await;
    let (floor, tokens) = (floor_route().await?, server::tokens(64)?);
    let ctx = Ctx::new(reqwest::Client::new(), &server.base_url, floor, served.url.clone(), tokens, db).await?;
    let all: Vec<Case> =
        cases::all().into_iter().filter(|c| args.cases.is_empty() || args.cases.iter().any(|id| id == c.id)).collect();
    cases::check_equivalence(&ctx, &all).await?;

    let mut rows = Vec::new();
    for case in &all {
        rows.extend(run_case(&ctx, &server, case, &plan).await?);
    }
    let mut intakes = None;
    if args.cases.is_empty() || args.cases.iter().any(|id| id == intake::ID) {
        let (row, got) = intake::run(&ctx, &server, 8, plan.seconds, false).await?;
        rows.push(row);
        intakes = Some(got);
    }
    let mut routed = None;
    if args.cases.is_empty() || args.cases.iter().any(|id| id == intake::ID_ROUTED) {
        let (row, got) = intake::run(&ctx, &server, 8, plan.seconds, true).await?;
        rows.push(row);
        routed = Some(got);
    }
    if args.cases.is_empty() || args.cases.iter().any(|id| id == fanout::ID) {
        let fan = fanout::Plan {
            subscribers: args.subscribers.unwrap_or(if smoke { 50 } else { 1000 }),
            events: args.events.unwrap_or(if smoke { 5 } else { 20 }),
        };
        rows.push(fanout::run(&ctx, &url, args.pool, &fan).await?);
    }
    cases::cleanup(&ctx).await?;

    let (cores, cpu, memory_gib) = report::machine();
    let report = Report {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        cores,
        cpu,
        memory_gib,
        postgres,
        scale,
        seconds_per_phase: plan.seconds.as_secs_f64(),
        warmup_seconds: plan.warmup.as_secs_f64(),
        pool: args.pool,
        wall_seconds: started.elapsed().as_secs_f64(),
        // S1 runs on a server of its own: the peak of both.
        server_peak_rss_mb: rows.iter().map(|r| r.peak_rss_mb).fold(server.peak_rss_mb(), f64::max),
        rows,
        intake: intakes,
        intake_routed: routed,
    };
    let stem = match (smoke, args.cases.is_empty()) {
        (true, _) => "smoke",
        (false, false) => "partial",
        (false, true) => "latest",
    };
    report::write(&args.out, stem, &report)?;
    println!("\n{}", report::markdown(&report));
    let failed = report.rows.iter().any(|r| r.sides().into_iter().filter_map(|(_, s)| s).any(|s| s.failures > 0));
    if failed {
        return Err("some requests failed (flagged ⚠ in the table)".into());
    }
    Ok(())
}

/// Warm-up, then each concurrency: cdp360 (with its statement count), then the floor.
async fn run_case(ctx: &Arc<Ctx>, server: &Server, case: &Case, plan: &Plan) -> Result<Vec<Row>, BoxError> {
    // A case with a supply (M3) gets enough inputs for what its warm-up rate predicts.
    let supply = async |n: usize| -> Result<Option<usize>, BoxError> {
        match case.prepare {
            Some(prepare) => {
                prepare(ctx.clone(), n).await?;
                Ok(Some(n))
            }
            None => Ok(None),
        }
    };
    let limit = supply(20).await?;
    let warm = runner::run(ctx, case.cdp360, 1, plan.warmup, limit).await;
    for floor in case.floor.iter().chain(&case.served) {
        runner::run(ctx, *floor, 1, plan.warmup, None).await;
    }
    let mut rows = Vec::new();
    for clients in CLIENTS {
        let expected = warm.throughput * plan.seconds.as_secs_f64() * (clients.min(2) * 2) as f64;
        let limit = supply((expected.ceil() as usize + 20).min(20_000)).await?;
        let (statements_before, cpu_before) = (ctx.server_statements().await?, server.cpu_seconds());
        let cdp360 = runner::run(ctx, case.cdp360, clients, plan.seconds, limit).await;
        let per_request = cdp360.requests.max(1) as f64;
        let cpu_ms = (server.cpu_seconds() - cpu_before) * 1e3 / per_request;
        let statements = (ctx.server_statements().await? - statements_before) / per_request;
        // The floors, when the case has them, and cdp360's p50 as a multiple of each.
        let floor_run = async |op: Option<Op>| match op {
            Some(f) => Some(runner::run(ctx, f, clients, plan.seconds, None).await),
            None => None,
        };
        let (floor, served) = (floor_run(case.floor).await, floor_run(case.served).await);
        let ratio = |f: &Option<Stats>| f.as_ref().map(|f| cdp360.p50_ms / f.p50_ms);
        let (ratio_p50, ratio_served_p50) = (ratio(&floor), ratio(&served));
        println!(
            "{} {:>2} clients: cdp360 p50 {:.3} ms p99 {:.3} ms {:.0}/s ({} failed) | floor {} | ratio {} | served floor {} | {:.1} stmts/req, server CPU {:.3} ms/req{}",
            case.id,
            clients,
            cdp360.p50_ms,
            cdp360.p99_ms,
            cdp360.throughput,
            cdp360.failures,
            floor.as_ref().map_or("—".into(), |f| format!(
                "p50 {:.3} ms p99 {:.3} ms {:.0}/s ({} failed)",
                f.p50_ms, f.p99_ms, f.throughput, f.failures
            )),
            ratio_p50.map_or("—".into(), |r| format!("{r:.1}×")),
            served.as_ref().zip(ratio_served_p50).map_or("—".into(), |(f, r)| format!(
                "p50 {:.3} ms ({} failed), ratio {r:.1}×",
                f.p50_ms, f.failures
            )),
            statements,
            cpu_ms,
            [&cdp360]
                .into_iter()
                .chain(&floor)
                .chain(&served)
                .filter_map(|s| s.first_error.as_deref())
                .map(|e| format!("\n  first failure: {e}"))
                .collect::<String>(),
        );
        rows.push(Row {
            case: case.id,
            title: case.title,
            clients,
            cdp360,
            floor,
            ratio_p50,
            served_floor: served,
            ratio_served_p50,
            statements_per_request: statements,
            floor_statements_per_request: case.floor.map(|_| case.floor_statements),
            server_cpu_ms_per_request: cpu_ms,
            peak_rss_mb: 0.0,
        });
    }
    let rss = server.peak_rss_mb();
    rows.iter_mut().for_each(|r| r.peak_rss_mb = rss);
    Ok(rows)
}

/// Q0's floor: a plain axum route in this process answering what cdp360 answers to `{ __typename }`.
async fn floor_route() -> Result<String, BoxError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let body = cases::typename_response();
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(move || {
            let body = body.clone();
            async move { axum::Json(body) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}/graphql"))
}

async fn postgres_version(db: &sea_orm::DatabaseConnection) -> String {
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, "SHOW server_version")).await;
    row.ok().flatten().and_then(|r| r.try_get::<String>("", "server_version").ok()).unwrap_or_default()
}
