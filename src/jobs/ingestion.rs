//! The ingestion worker (ARCHITECTURE.md, "Lead ingestion"): processes due submissions in rounds of
//! up to `CDP_INGESTION_BATCH`, one transaction each (`services::acquisition::Processor::process_round`),
//! until none is left — after a round of several fails, the same number one per round, so the
//! failing submission is isolated and handled alone — then
//! waits for a wake-up from an accept (or a replay) in this process, for the earliest retry to fall
//! due, or for the next poll, which looks (one statement) for submissions this process did not
//! accept or did not finish: another replica's that stopped, or this database's from before a
//! restart.

use std::sync::Arc;
use std::time::Duration;

use crate::services::acquisition::{Processor, has_waiting};
use crate::services::pii::Pii;
use crate::services::tx::Store;
use crate::services::write::now;

/// The pause after a failure to reach the database before the next attempt.
const AFTER_FAILURE: Duration = Duration::from_secs(1);

/// The shortest nap: a retry that is due but locked by another worker is not polled in a loop.
const RECHECK: Duration = Duration::from_millis(100);

/// `pending`: whether submissions were waiting when the server started.
pub(super) async fn run(store: Store, pii: Arc<Pii>, processor: Processor, poll: Duration, mut pending: bool) {
    let wake = store.ingestion_wake().clone();
    loop {
        // Whether the queue held rows this round: only then can a retry be waiting (an idle worker
        // runs no statement between polls, so none races the first requests after a start).
        let busy = pending;
        // Rounds left to process one ingestion at a time (after a failed round of several).
        let mut singles: usize = 0;
        while pending {
            let limit = if singles > 0 { 1 } else { processor.settings.batch };
            match processor.process_round(&store, &pii, limit).await {
                Ok(outcomes) if outcomes.is_empty() => pending = false,
                Ok(outcomes) => {
                    singles = singles.saturating_sub(1);
                    tracing::debug!(processed = outcomes.len(), "ingestion round processed");
                }
                Err(e) if limit > 1 => {
                    tracing::info!(error = %e.message(), "ingestion round failed; processing its rows one at a time");
                    singles = limit;
                }
                Err(e) => {
                    tracing::warn!(error = %e.message(), "ingestion worker: retrying after a failure");
                    tokio::time::sleep(AFTER_FAILURE).await;
                }
            }
        }
        // Sleep until the next poll, or until the earliest retry is due if that comes first.
        let due = if busy { crate::repo::ingestion::next_due(&store.db).await } else { Ok(None) };
        let nap = match due {
            // A retry already due that the claim skipped is another replica's, locked: look again soon.
            Ok(Some(due)) => (due - now()).to_std().unwrap_or(RECHECK).max(RECHECK).min(poll),
            Ok(None) => poll,
            Err(e) => {
                tracing::warn!(error = %e.message(), "ingestion worker: cannot read the queue");
                AFTER_FAILURE.min(poll)
            }
        };
        pending = tokio::select! {
            _ = wake.notified() => true,
            _ = tokio::time::sleep(nap) => has_waiting(&store).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e.message(), "ingestion worker: cannot read the queue; processing anyway");
                true
            }),
        };
    }
}
