//! Change events: the typed [`DomainEvent`]s that writes put into the outbox, the relay that reads
//! the outbox in commit order, and the in-process [`Broker`] that fans them out to this replica's
//! subscriptions. Across replicas the relay is woken by PostgreSQL `LISTEN/NOTIFY`.

mod event;
pub mod relay;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::broadcast;

pub use event::{DomainEvent, Envelope};

/// In-process fan-out. Each subscriber has a bounded view of the last `capacity` events: one that
/// falls further behind is told it lagged (and its subscription ends) instead of growing memory.
#[derive(Clone)]
pub struct Broker {
    tx: broadcast::Sender<Arc<Envelope>>,
    /// The sequence number of the newest event published: a subscriber that joins a running
    /// shared subscription (`http/ws_groups.rs`) skips what was published before it joined.
    head: Arc<AtomicI64>,
}

impl Broker {
    pub fn new(capacity: usize) -> Broker {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Broker { tx, head: Arc::new(AtomicI64::new(0)) }
    }

    /// The sequence number of the newest event published (0 before the first).
    pub fn head(&self) -> i64 {
        self.head.load(Ordering::Acquire)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Envelope>> {
        self.tx.subscribe()
    }

    pub(crate) fn publish(&self, envelope: Envelope) {
        self.head.fetch_max(envelope.seq, Ordering::AcqRel);
        // No receivers is not an error: nobody is subscribed right now.
        let _ = self.tx.send(Arc::new(envelope));
    }
}
