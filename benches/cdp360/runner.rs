//! The one runner every case uses, cdp360 and floor alike: `clients` tasks issue requests
//! back-to-back for a fixed time (or until `limit` requests), each request's result validated.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;

use crate::cases::Ctx;

/// One request of a case: `i` is its index in the run (picks the sample). The value is the
/// response's comparable projection (the equivalence check compares it); `Err` is a failure.
pub type Op = fn(Arc<Ctx>, usize) -> BoxFuture<'static, Result<Value, String>>;

#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    pub clients: usize,
    pub requests: usize,
    pub failures: usize,
    pub first_error: Option<String>,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub throughput: f64,
}

pub async fn run(ctx: &Arc<Ctx>, op: Op, clients: usize, duration: Duration, limit: Option<usize>) -> Stats {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (ctx, next) = (ctx.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = Vec::new();
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if limit.is_some_and(|l| i >= l) {
                        break;
                    }
                    let t = Instant::now();
                    let result = op(ctx.clone(), i).await;
                    latencies.push(t.elapsed());
                    if let Err(e) = result {
                        errors.push(e);
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for w in workers {
        let (l, e) = w.await.unwrap_or_else(|e| (Vec::new(), vec![format!("client task failed: {e}")]));
        latencies.extend(l);
        errors.extend(e);
    }
    let seconds = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| percentile(&latencies, p);
    Stats {
        clients,
        requests: latencies.len(),
        failures: errors.len(),
        first_error: errors.into_iter().next(),
        seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        throughput: latencies.len() as f64 / seconds,
    }
}

/// The `p` quantile (0–1) of `sorted` latencies, in ms (NaN when empty).
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1))
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
}
