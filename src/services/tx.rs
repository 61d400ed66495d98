//! The unit of work of every write use case: one transaction, the domain events it emits (written
//! to the outbox inside it), and the summaries it makes stale (marked durably inside it, refreshed
//! after it commits).
//!
//! ```text
//! let w = Write::begin(store).await?;   // BEGIN (IMMEDIATE on SQLite)
//! … queries on &*w …; w.emit(event); w.stale(|s| s.add(Summary::Account, Some(id)));
//! w.commit().await?;                     // stale marks + outbox rows + COMMIT, then wake relay + refresher
//! ```
//!
//! Dropping a `Write` without committing rolls back: its events and stale marks vanish with it, so
//! a rolled-back mutation announces nothing. A crash after the commit loses only the wake-ups: the
//! marks are in `summary_stale`, drained when a server starts (`services::summaries`).

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use sea_orm::{DatabaseConnection, DatabaseTransaction};
use tokio::sync::Notify;

use crate::error::AppResult;
use crate::metrics::Metrics;
use crate::pubsub::DomainEvent;
use crate::repo;
use crate::services::summaries::{Queue, Stale};

/// The database plus what a commit sets in motion in this process.
#[derive(Clone)]
pub struct Store {
    pub db: DatabaseConnection,
    /// Wakes this replica's outbox relay (other replicas hear PostgreSQL's NOTIFY).
    relay: Arc<Notify>,
    summaries: Arc<Queue>,
    metrics: Arc<Metrics>,
}

impl Store {
    pub fn new(db: DatabaseConnection, metrics: Arc<Metrics>) -> Store {
        let summaries = Arc::new(Queue::new(metrics.clone()));
        Store { db, relay: Arc::new(Notify::new()), summaries, metrics }
    }

    pub fn relay_wake(&self) -> &Arc<Notify> {
        &self.relay
    }

    pub fn summaries(&self) -> &Arc<Queue> {
        &self.summaries
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}

/// One write transaction with its pending events and stale summaries.
pub struct Write<'s> {
    txn: DatabaseTransaction,
    store: &'s Store,
    // Mutexes so that `emit`/`stale` take `&self` while `&*w` is lent to queries.
    events: Mutex<Vec<DomainEvent>>,
    stale: Mutex<Stale>,
}

impl<'s> Write<'s> {
    /// `BEGIN` — `IMMEDIATE` on SQLite (see `services::write::begin_write`).
    pub async fn begin(store: &'s Store) -> AppResult<Write<'s>> {
        let txn = crate::services::write::begin_write(&store.db).await?;
        Ok(Write { txn, store, events: Mutex::new(Vec::new()), stale: Mutex::new(Stale::default()) })
    }

    /// Announces `event` once (and only if) the transaction commits.
    pub fn emit(&self, event: DomainEvent) {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }

    /// Marks summaries stale: the marks are written with the commit, the refresh follows it.
    pub fn stale(&self, f: impl FnOnce(&mut Stale)) {
        f(&mut self.stale.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Writes the stale marks and the events to the outbox (last statements of the transaction),
    /// commits, then wakes this replica's relay and hands the stale ids to the summary refresher.
    pub async fn commit(self) -> AppResult<()> {
        let events = self.events.into_inner().unwrap_or_else(|e| e.into_inner());
        let stale = self.stale.into_inner().unwrap_or_else(|e| e.into_inner());
        let payloads = events
            .iter()
            .map(|e| Ok((e.type_name(), serde_json::to_value(e)?)))
            .collect::<Result<Vec<_>, serde_json::Error>>()
            .map_err(|e| crate::error::AppError::internal(format!("event serialisation: {e}")))?;
        let at = chrono::Utc::now();
        let marks = stale.marks();
        if !marks.is_empty() {
            repo::stale::mark(&self.txn, &marks, at).await?;
        }
        repo::outbox::append(&self.txn, &payloads, at).await?;
        self.txn.commit().await?;
        if !events.is_empty() {
            self.store.relay.notify_one();
        }
        self.store.summaries.push(stale);
        Ok(())
    }

    /// Rolls back: nothing written, nothing announced (dry runs).
    pub async fn rollback(self) -> AppResult<()> {
        Ok(self.txn.rollback().await?)
    }
}

impl Deref for Write<'_> {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}
