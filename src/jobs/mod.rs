//! Background work of a running server: the post-commit summary refresher (with the drain of
//! leftover stale marks at start and a periodic sweep for orphaned ones; it also recomputes the
//! business days' performance that writes mark, and a day's when it begins), the scheduled full
//! refresh, outbox and webhook-signature pruning, the lead ingestion worker (`ingestion.rs`) and the
//! lease sweeper (`leases.rs`).
//! Each is a task on the server's runtime, ended with it.

mod ingestion;
mod leases;

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::repo::summary::Summary;
use crate::services::acquisition::{Processor, has_waiting};
use crate::services::pii::Pii;
use crate::services::summaries::{has_leftovers, refresh_all, refresh_leftovers, refresh_stale};
use crate::services::tx::Store;

/// Starts the jobs on the current runtime. Before it returns — before the server serves — it
/// reads whether an earlier process left stale marks and whether submissions wait for processing
/// (one statement each; when there are none, as usual, no background statement races the first
/// requests), which the refresher and the ingestion worker then take first.
pub async fn spawn(store: &Store, pii: &Arc<Pii>, config: &Config) {
    let live = &config.live;
    let leftovers = has_leftovers(store, chrono::Utc::now()).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e.message(), "cannot read leftover stale summaries; draining anyway");
        true
    });
    let sweep = live.outbox_poll.max(MIN_SWEEP_EVERY);
    tokio::spawn(refresh_after_writes(store.clone(), live.summary_coalesce, sweep, leftovers));
    if !live.summary_refresh_interval.is_zero() {
        tokio::spawn(scheduled_full_refresh(store.clone(), live.summary_refresh_interval));
    }
    tokio::spawn(prune_outbox(store.clone(), live.outbox_retention));
    tokio::spawn(prune_webhook_signatures(store.clone()));
    // Like the leftover marks above: one statement now, so an idle queue races no first request.
    let waiting = has_waiting(store).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e.message(), "cannot read the ingestion queue; processing anyway");
        true
    });
    let processor = Processor { settings: config.ingestion.clone(), identity_cap: config.identity_max_shared_key };
    // SQLite serialises writers: a second worker would only wait for the first's transaction.
    let workers = match store.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => config.ingestion.workers,
        _ => 1,
    };
    for _ in 0..workers {
        tokio::spawn(ingestion::run(store.clone(), pii.clone(), processor.clone(), sweep, waiting));
    }
    if !config.leases.sweep_every.is_zero() {
        tokio::spawn(leases::run(store.clone(), config.leases.sweep_every));
    }
}

/// The refresher looks for orphaned stale marks as often as the relay polls the outbox
/// (`CDP_OUTBOX_POLL_MS`: both are the safety net for writers this process cannot hear), but not
/// more often than this.
const MIN_SWEEP_EVERY: Duration = Duration::from_secs(5);
/// A mark at least this old (or 40 × the coalescing pause, if longer) has no live refresher on its
/// way: the process that wrote it died, or it was written by another process.
const ORPHAN_AGE: Duration = Duration::from_secs(10);
/// Marks per leftover-drain transaction.
const LEFTOVER_BATCH: u64 = 1000;

/// Drains the durable marks left by an earlier run first (`leftovers`: a crash between a commit
/// and its refresh), then the post-commit queue: waits for stale ids, lets a burst of writes
/// finish (no push for `quiet`, at most 20 × `quiet` — bounded staleness under a steady stream),
/// then refreshes everything gathered in one transaction. A failed refresh puts its ids back and
/// retries. Every `sweep` it also drains marks older than [`ORPHAN_AGE`], whoever wrote them (a
/// replica that died without restarting).
async fn refresh_after_writes(store: Store, quiet: Duration, sweep: Duration, leftovers: bool) {
    if leftovers {
        drain_leftovers(&store, chrono::Utc::now()).await;
    }
    let orphan_age = chrono::Duration::from_std(ORPHAN_AGE.max(quiet * 40)).unwrap_or(chrono::Duration::days(1));
    let queue = store.summaries().clone();
    // Today's rows come with its first write; a day that begins while the server runs is queued.
    let mut today = Some(store.zone().day_of(chrono::Utc::now()));
    let mut sweep = tokio::time::interval_at(tokio::time::Instant::now() + sweep, sweep);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // When queued performance work may be recomputed again (see `PERFORMANCE_PAUSE`).
    let mut performance_from = tokio::time::Instant::now();
    loop {
        let performance_due = tokio::time::Instant::now() >= performance_from;
        tokio::select! {
            _ = queue.wait(performance_due) => {}
            _ = tokio::time::sleep_until(performance_from), if !performance_due => continue,
            _ = sweep.tick() => {
                queue_new_business_day(&store, &mut today);
                let before = chrono::Utc::now() - orphan_age;
                match has_leftovers(&store, before).await {
                    Ok(true) => drain_leftovers(&store, before).await,
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e.message(), "cannot read orphaned stale summaries; the next sweep retries"),
                }
                continue;
            }
        }
        let started = tokio::time::Instant::now();
        let mut seen = queue.pushes();
        loop {
            tokio::time::sleep(quiet).await;
            let now = queue.pushes();
            if now == seen || started.elapsed() >= quiet * 20 {
                break;
            }
            seen = now;
        }
        let performance = tokio::time::Instant::now() >= performance_from;
        if let Some(took) = drain_once(&store, performance).await {
            performance_from = tokio::time::Instant::now() + took * PERFORMANCE_PAUSE;
        }
    }
}

/// After a refresh that recomputed performance days, queued performance work waits this many
/// times as long as that refresh took, while summaries keep being refreshed: the recompute of a
/// day scans the day's leads and events (75 ms at 20,000 leads a day, growing with the day), and
/// run after every burst of writes it took a growing share of the database under a steady intake
/// (M4). So recomputing takes at most about a tenth of the refresher's time whatever a day's
/// volume, and a day's rows lag its writes by at most about ten recomputes' time (well under a
/// second for a small day: nothing waits then).
const PERFORMANCE_PAUSE: u32 = 9;

/// Queues the current business day's performance when it is not `today` (a day began): its cost
/// rows exist before anything is written on it. Not a durable mark: a day with no write before a
/// restart gets its rows from its first write or `cdp360 recompute performance`.
fn queue_new_business_day(store: &Store, today: &mut Option<chrono::NaiveDate>) {
    let now = store.zone().day_of(chrono::Utc::now());
    if *today != Some(now) {
        *today = Some(now);
        let mut stale = crate::services::tx::Stale::default();
        stale.days.insert(now);
        store.summaries().push(stale);
    }
}

/// Refreshes the summaries of every durable mark written at or before `before`, in batches.
async fn drain_leftovers(store: &Store, before: chrono::DateTime<chrono::Utc>) {
    let mut total = 0;
    loop {
        match refresh_leftovers(store, before, LEFTOVER_BATCH).await {
            Ok(n) => {
                total += n;
                if (n as u64) < LEFTOVER_BATCH {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e.message(), "draining leftover stale summaries failed; the next sweep retries");
                break;
            }
        }
    }
    if total > 0 {
        tracing::info!(marks = total, "refreshed summaries left stale by an earlier process");
    }
}

/// One refresh of everything queued now (without `performance`, of everything but the
/// performance work, which stays queued). When it recomputed performance work: how long it took.
async fn drain_once(store: &Store, performance: bool) -> Option<Duration> {
    let queue = store.summaries();
    let taken = queue.take(performance);
    let n = taken.len();
    if n == 0 {
        return None;
    }
    let recomputes = taken.has_performance();
    let started = tokio::time::Instant::now();
    if let Err(e) = refresh_stale(store, taken.clone()).await {
        tracing::warn!(error = %e.message(), ids = n, "post-commit summary refresh failed; retrying");
        queue.put_back(taken);
        queue.done(n);
        tokio::time::sleep(Duration::from_secs(1)).await;
        return None;
    }
    queue.done(n);
    recomputes.then(|| started.elapsed())
}

/// Refreshes what is still queued (graceful shutdown: the last writes' summaries are not left
/// for the next scheduled run).
pub async fn flush(store: &Store) {
    for _ in 0..3 {
        if store.summaries().pending() == 0 {
            return;
        }
        drain_once(store, true).await;
    }
}

async fn scheduled_full_refresh(store: Store, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let started = std::time::Instant::now();
        match refresh_all(&store.db, &Summary::ALL, |_, _| {}).await {
            Ok(Some(rows)) => {
                tracing::info!(rows, elapsed_ms = started.elapsed().as_millis() as u64, "scheduled summary refresh")
            }
            Ok(None) => tracing::debug!("scheduled summary refresh running on another replica; skipped"),
            Err(e) => tracing::warn!(error = %e.message(), "scheduled summary refresh failed"),
        }
    }
}

async fn prune_outbox(store: Store, retention: Duration) {
    let every = (retention / 4).min(Duration::from_secs(900));
    loop {
        tokio::time::sleep(every).await;
        let before = chrono::Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(1));
        match crate::repo::outbox::prune(&store.db, before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "pruned old outbox events"),
            Err(e) => tracing::warn!(error = %e.message(), "outbox pruning failed"),
        }
    }
}

/// How often each replica forgets the webhook signatures whose timestamps left the replay window
/// (an index range of the expired rows; idempotent on every replica).
const WEBHOOK_PRUNE_EVERY: Duration = Duration::from_secs(300);

async fn prune_webhook_signatures(store: Store) {
    loop {
        tokio::time::sleep(WEBHOOK_PRUNE_EVERY).await;
        match crate::repo::webhook::forget_expired_signatures(&store.db, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(signatures = n, "forgot expired webhook signatures"),
            Err(e) => tracing::warn!(error = %e.message(), "webhook signature pruning failed"),
        }
    }
}
