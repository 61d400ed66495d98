//! The ingestion worker (ARCHITECTURE.md, "Lead ingestion"): processes accepted submissions one
//! transaction each (`services::acquisition::process_next`) until none is left, then waits for a
//! wake-up from an accept in this process, or for the next poll, which looks (one statement) for
//! submissions this process did not accept or did not finish: another replica's that stopped, or
//! this database's from before a restart.

use std::sync::Arc;
use std::time::Duration;

use crate::services::acquisition::{has_waiting, process_next};
use crate::services::pii::Pii;
use crate::services::tx::Store;

/// The pause after a failed attempt (the database is down, say) before the next.
const AFTER_FAILURE: Duration = Duration::from_secs(1);

/// `pending`: whether submissions were waiting when the server started.
pub(super) async fn run(store: Store, pii: Arc<Pii>, poll: Duration, mut pending: bool) {
    let wake = store.ingestion_wake().clone();
    loop {
        while pending {
            match process_next(&store, &pii).await {
                Ok(Some(outcome)) => tracing::debug!(outcome = outcome.label(), "ingestion processed"),
                Ok(None) => pending = false,
                Err(e) => {
                    tracing::warn!(error = %e.message(), "ingestion worker: retrying after a failure");
                    tokio::time::sleep(AFTER_FAILURE).await;
                }
            }
        }
        pending = tokio::select! {
            _ = wake.notified() => true,
            _ = tokio::time::sleep(poll) => has_waiting(&store).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e.message(), "ingestion worker: cannot read the queue; processing anyway");
                true
            }),
        };
    }
}
