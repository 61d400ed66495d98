//! The outbox relay: one task per replica that reads `outbox_event` after the last sequence number
//! it delivered and publishes each event to the [`Broker`], so delivery order is commit order and a
//! wake-up that was missed only delays an event, never loses it.
//!
//! It wakes on (a) a commit in this process, (b) on PostgreSQL a `NOTIFY` from any replica, heard on
//! a dedicated connection outside the pool (`application_name = cdp360-listener`), and (c) a poll
//! interval, the safety net for writers it cannot hear (another process on SQLite, the CLI). After
//! the listener reconnects it catches up from the outbox before waiting again.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::Notify;

use super::{Broker, DomainEvent, Envelope};
use crate::metrics::Metrics;
use crate::repo::outbox;

/// Events read per query.
const BATCH: u64 = 500;

/// The listener's `application_name`, so operators (and the tests) can find its backend.
pub const LISTENER_APPLICATION_NAME: &str = "cdp360-listener";

pub struct Relay {
    pub db: DatabaseConnection,
    pub broker: Broker,
    pub wake: Arc<Notify>,
    pub metrics: Arc<Metrics>,
    /// `Some(url)` on PostgreSQL: listen for other replicas' commits (reconnecting to `url`),
    /// starting with the listener the server opened before it read the outbox start.
    pub listen: Option<(String, Option<PgListener>)>,
    pub poll: Duration,
}

impl Relay {
    /// Runs until the runtime shuts down, delivering what is committed after `start` (the newest
    /// stored event when the server started: a replica delivers what is committed from then on).
    pub async fn run(mut self, start: i64) {
        let mut last = start;
        // What has been delivered, for the listener: a NOTIFY of this replica's own commit,
        // already delivered after the local wake-up, needs no second read of the outbox.
        let delivered = Arc::new(AtomicI64::new(start));
        if let Some((url, first)) = self.listen.take() {
            tokio::spawn(listen(url, first, self.wake.clone(), delivered.clone(), self.metrics.clone()));
        }
        loop {
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
            }
            last = self.deliver_after(last).await;
            delivered.store(last, Ordering::Release);
        }
    }

    /// Publishes everything after `last`; returns the new last sequence number.
    async fn deliver_after(&self, mut last: i64) -> i64 {
        loop {
            let rows = match outbox::after(&self.db, last, BATCH).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e.message(), "outbox relay read failed; retrying on the next wake-up");
                    return last;
                }
            };
            let full = rows.len() as u64 == BATCH;
            for row in rows {
                last = row.seq;
                match serde_json::from_value::<DomainEvent>(row.payload) {
                    Ok(event) => self.broker.publish(Envelope { seq: row.seq, occurred_at: row.created_at, event }),
                    // A newer replica's event type: skip it rather than stall the stream.
                    Err(e) => tracing::warn!(seq = row.seq, error = %e, "outbox event not understood; skipped"),
                }
            }
            if !full {
                return last;
            }
        }
    }
}

/// A listening connection of its own (outside the pool). The server opens the first one before
/// it reads where the outbox starts, so nothing committed in between goes unheard.
pub async fn connect_listener(url: &str) -> Result<PgListener, sea_orm::sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options.application_name(LISTENER_APPLICATION_NAME))
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(outbox::NOTIFY_CHANNEL).await?;
    Ok(listener)
}

/// Wakes the relay on every `NOTIFY cdp360_outbox`. When the connection drops it reconnects with
/// backoff and, once listening again, wakes the relay to catch up on what it missed meanwhile.
async fn listen(
    url: String,
    first: Option<PgListener>,
    wake: Arc<Notify>,
    delivered: Arc<AtomicI64>,
    metrics: Arc<Metrics>,
) {
    let mut ready = first;
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut listener = match ready.take() {
            Some(l) => l,
            None => match connect_listener(&url).await {
                Ok(l) => {
                    metrics.listener_reconnected();
                    tracing::info!("outbox listener connected; catching up from the outbox");
                    backoff = Duration::from_millis(100);
                    wake.notify_one();
                    l
                }
                Err(e) => {
                    tracing::warn!(error = %e, "outbox listener cannot connect; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            },
        };
        loop {
            match listener.try_recv().await {
                // The payload is the newest seq of the committed batch; an unreadable one wakes.
                Ok(Some(n)) => {
                    if n.payload().parse::<i64>().map_or(true, |seq| seq > delivered.load(Ordering::Acquire)) {
                        wake.notify_one();
                    }
                }
                // The connection dropped: start over with a fresh one (and catch up).
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox listener connection lost");
                    break;
                }
            }
        }
    }
}
