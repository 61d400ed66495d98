//! The lease sweeper (issue 16): every `CDP_LEASE_SWEEP_SECS`, expired leads go back to the public
//! pool (`services::leases::sweep`). Every replica runs it; on PostgreSQL a transaction-scoped
//! advisory lock lets one of them sweep at a time and the others skip that round.

use std::time::Duration;

use crate::services::leases::sweep;
use crate::services::tx::Store;

pub async fn run(store: Store, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // A full batch may leave more expired leases behind: sweep again until one comes back short.
        loop {
            match sweep(&store, chrono::Utc::now()).await {
                Ok(n) if n >= store.leases().sweep_batch => continue,
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(returned = n, "expired leases returned to the public pool");
                    }
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e.message(), "lease sweep failed; retrying next round");
                    break;
                }
            }
        }
    }
}
