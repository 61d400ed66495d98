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
//!
//! [`Stale`] and the refresher's [`Queue`] live here, not in `services::summaries`, which
//! refreshes through a `Write` itself: the dependency runs one way, summaries → tx.

use std::collections::BTreeSet;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use sea_orm::{DatabaseConnection, DatabaseTransaction};
use tokio::sync::Notify;

use crate::error::AppResult;
use crate::metrics::Metrics;
use crate::pubsub::DomainEvent;
use crate::repo;
use crate::repo::stale::Mark;
use crate::repo::summary::Summary;

/// The database plus what a commit sets in motion in this process.
#[derive(Clone)]
pub struct Store {
    pub db: DatabaseConnection,
    /// Wakes this replica's outbox relay (other replicas hear PostgreSQL's NOTIFY).
    relay: Arc<Notify>,
    /// Wakes this replica's ingestion worker after an accepted submission.
    ingestion: Arc<Notify>,
    ingestion_depth: Arc<QueueDepth>,
    summaries: Arc<Queue>,
    metrics: Arc<Metrics>,
    /// The protection period's settings: renewal happens inside other workflows' writes.
    leases: Arc<crate::config::LeaseSettings>,
    /// `CDP_BUSINESS_TZ`: where business days begin (performance days, aggregate buckets).
    zone: crate::domain::timezone::BusinessZone,
}

impl Store {
    pub fn new(db: DatabaseConnection, metrics: Arc<Metrics>) -> Store {
        let summaries = Arc::new(Queue::new(metrics.clone()));
        Store {
            db,
            relay: Arc::new(Notify::new()),
            ingestion: Arc::new(Notify::new()),
            ingestion_depth: Arc::default(),
            summaries,
            metrics,
            leases: Arc::default(),
            zone: crate::domain::timezone::BusinessZone::default(),
        }
    }

    /// The same store with these lease settings (`CDP_LEASE_*`).
    pub fn with_leases(mut self, leases: crate::config::LeaseSettings) -> Store {
        self.leases = Arc::new(leases);
        self
    }

    pub fn leases(&self) -> &crate::config::LeaseSettings {
        &self.leases
    }

    /// The same store cutting business days in `zone` (`CDP_BUSINESS_TZ`).
    pub fn with_zone(mut self, zone: crate::domain::timezone::BusinessZone) -> Store {
        self.zone = zone;
        self
    }

    pub fn zone(&self) -> crate::domain::timezone::BusinessZone {
        self.zone
    }

    pub fn relay_wake(&self) -> &Arc<Notify> {
        &self.relay
    }

    pub fn ingestion_wake(&self) -> &Arc<Notify> {
        &self.ingestion
    }

    /// The ingestion queue's depth as this process last counted it.
    pub fn ingestion_depth(&self) -> &QueueDepth {
        &self.ingestion_depth
    }

    pub fn summaries(&self) -> &Arc<Queue> {
        &self.summaries
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}

/// A queue's depth as last counted, and when: a bound can be checked on every request while the
/// count (a statement) runs at most once per `max_age`; between counts, additions are added.
#[derive(Default)]
pub struct QueueDepth {
    last: Mutex<Option<(u64, std::time::Instant)>>,
}

impl QueueDepth {
    /// The depth, if counted less than `max_age` ago.
    pub fn fresh(&self, max_age: std::time::Duration) -> Option<u64> {
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        last.filter(|(_, at)| at.elapsed() < max_age).map(|(n, _)| n)
    }

    pub fn counted(&self, n: u64) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((n, std::time::Instant::now()));
    }

    /// `n` more since the count.
    pub fn add(&self, n: u64) {
        if let Some((depth, _)) = self.last.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            *depth += n;
        }
    }
}

/// One write transaction with its pending events and stale summaries.
pub struct Write<'s> {
    txn: DatabaseTransaction,
    store: &'s Store,
    // Mutexes so that `emit`/`stale` take `&self` while `&*w` is lent to queries.
    events: Mutex<Vec<DomainEvent>>,
    stale: Mutex<Stale>,
    retag: Mutex<Retag>,
}

/// Leads whose auto-tags the commit re-evaluates (`services::autotag`): those the transaction
/// created or changed, less those an ingestion round already evaluated.
#[derive(Default)]
struct Retag {
    pending: BTreeSet<String>,
    settled: BTreeSet<String>,
}

impl<'s> Write<'s> {
    /// `BEGIN` — `IMMEDIATE` on SQLite (see `services::write::begin_write`).
    pub async fn begin(store: &'s Store) -> AppResult<Write<'s>> {
        let txn = crate::services::write::begin_write(&store.db).await?;
        Ok(Write {
            txn,
            store,
            events: Mutex::new(Vec::new()),
            stale: Mutex::new(Stale::default()),
            retag: Mutex::new(Retag::default()),
        })
    }

    /// The store this transaction writes to.
    pub fn store(&self) -> &'s Store {
        self.store
    }

    /// Announces `event` once (and only if) the transaction commits.
    pub fn emit(&self, event: DomainEvent) {
        if let DomainEvent::LeadCreated { lead_id, .. } | DomainEvent::LeadUpdated { lead_id, .. } = &event {
            self.retag(std::slice::from_ref(lead_id));
        }
        self.events.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }

    /// Has the commit re-evaluate these leads' auto-tags.
    pub fn retag(&self, lead_ids: &[String]) {
        let mut r = self.retag.lock().unwrap_or_else(|e| e.into_inner());
        for id in lead_ids {
            if !r.settled.contains(id) {
                r.pending.insert(id.clone());
            }
        }
    }

    /// These leads' auto-tags were evaluated in this transaction: the commit leaves them alone.
    pub fn tags_settled(&self, lead_ids: &[String]) {
        let mut r = self.retag.lock().unwrap_or_else(|e| e.into_inner());
        for id in lead_ids {
            r.pending.remove(id);
            r.settled.insert(id.clone());
        }
    }

    /// Marks summaries stale: the marks are written with the commit, the refresh follows it.
    pub fn stale(&self, f: impl FnOnce(&mut Stale)) {
        f(&mut self.stale.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Re-evaluates the auto-tags of the leads it changed, writes the stale marks and the events to the outbox (last statements of the transaction),
    /// commits, then wakes this replica's relay and hands the stale ids to the summary refresher.
    pub async fn commit(self) -> AppResult<()> {
        let retag: Vec<String> =
            std::mem::take(&mut self.retag.lock().unwrap_or_else(|e| e.into_inner()).pending).into_iter().collect();
        if !retag.is_empty() {
            crate::services::autotag::reevaluate(&self, &retag, chrono::Utc::now()).await?;
        }
        let events = self.events.into_inner().unwrap_or_else(|e| e.into_inner());
        let stale = self.stale.into_inner().unwrap_or_else(|e| e.into_inner());
        let payloads = events
            .iter()
            .map(|e| Ok((e.type_name(), serde_json::to_value(e)?)))
            .collect::<Result<Vec<_>, serde_json::Error>>()
            .map_err(|e| crate::error::AppError::internal(format!("event serialisation: {e}")))?;
        let at = chrono::Utc::now();
        let owned = stale.marks();
        let marks: Vec<(&str, &str)> = owned.iter().map(|(kind, id)| (*kind, id.as_str())).collect();
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

/// Ids whose summaries a write made stale.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stale {
    pub accounts: BTreeSet<String>,
    pub contacts: BTreeSet<String>,
    pub leads: BTreeSet<String>,
    /// A campaign's status counts in `active_campaigns` of every account it reaches; expanded to
    /// those accounts when the refresh runs.
    pub campaigns: BTreeSet<String>,
    /// Business days whose performance rows are recomputed (`services::performance`).
    pub days: BTreeSet<chrono::NaiveDate>,
    /// Leads whose opportunities' days are recomputed (expanded to days when the refresh runs).
    pub lead_days: BTreeSet<String>,
    /// Channels whose every day is recomputed (a changed monthly cost; expanded likewise).
    pub channel_days: BTreeSet<String>,
}

impl Stale {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
            + self.contacts.len()
            + self.leads.len()
            + self.campaigns.len()
            + self.days.len()
            + self.lead_days.len()
            + self.channel_days.len()
    }

    pub fn merge(&mut self, other: Stale) {
        self.accounts.extend(other.accounts);
        self.contacts.extend(other.contacts);
        self.leads.extend(other.leads);
        self.campaigns.extend(other.campaigns);
        self.days.extend(other.days);
        self.lead_days.extend(other.lead_days);
        self.channel_days.extend(other.channel_days);
    }

    /// Whether it names summary work (accounts, contacts, leads, campaigns): what
    /// [`Stale::take_performance`] leaves behind.
    pub fn has_summaries(&self) -> bool {
        !(self.accounts.is_empty() && self.contacts.is_empty() && self.leads.is_empty() && self.campaigns.is_empty())
    }

    /// Whether it names performance work (days, or leads and channels whose days are recomputed).
    pub fn has_performance(&self) -> bool {
        !(self.days.is_empty() && self.lead_days.is_empty() && self.channel_days.is_empty())
    }

    /// Moves the performance work out, leaving the summaries.
    pub fn take_performance(&mut self) -> Stale {
        Stale {
            days: std::mem::take(&mut self.days),
            lead_days: std::mem::take(&mut self.lead_days),
            channel_days: std::mem::take(&mut self.channel_days),
            ..Stale::default()
        }
    }

    /// Marks the performance of the business day of `at` (in `zone`).
    pub fn day_of(&mut self, zone: crate::domain::timezone::BusinessZone, at: chrono::DateTime<chrono::Utc>) {
        self.days.insert(zone.day_of(at));
    }

    /// The durable marks (`summary_stale`: stored kind, id) of these ids; a day's id is its ISO
    /// date.
    pub fn marks(&self) -> Vec<(&'static str, String)> {
        let kinds = [
            (mark_kind(Summary::Account), &self.accounts),
            (mark_kind(Summary::Contact), &self.contacts),
            (mark_kind(Summary::Lead), &self.leads),
            (CAMPAIGN, &self.campaigns),
            (LEAD_DAYS, &self.lead_days),
            (CHANNEL_DAYS, &self.channel_days),
        ];
        let ids = kinds.into_iter().flat_map(|(kind, ids)| ids.iter().map(move |id| (kind, id.clone())));
        ids.chain(self.days.iter().map(|d| (DAY, d.to_string()))).collect()
    }

    /// The ids of marks taken from `summary_stale` (unknown kinds, a newer replica's, are skipped).
    pub fn from_marks(marks: Vec<Mark>) -> Stale {
        let mut s = Stale::default();
        for (kind, id) in marks {
            match kind.as_str() {
                CAMPAIGN => {
                    s.campaigns.insert(id);
                }
                LEAD_DAYS => {
                    s.lead_days.insert(id);
                }
                CHANNEL_DAYS => {
                    s.channel_days.insert(id);
                }
                DAY => match id.parse() {
                    Ok(day) => {
                        s.days.insert(day);
                    }
                    Err(_) => tracing::warn!(id, "unreadable PERF_DAY mark; dropped"),
                },
                k => match Summary::ALL.into_iter().find(|summary| mark_kind(*summary) == k) {
                    Some(summary) => s.add(summary, Some(&id)),
                    None => tracing::warn!(kind = k, "unknown summary_stale kind; dropped"),
                },
            }
        }
        s
    }

    /// Marks the summary of `kind` for `id` (an absent id is ignored).
    pub fn add(&mut self, kind: Summary, id: Option<&str>) {
        let Some(id) = id.filter(|s| !s.is_empty()) else { return };
        let set = match kind {
            Summary::Account => &mut self.accounts,
            Summary::Contact => &mut self.contacts,
            Summary::Lead => &mut self.leads,
        };
        set.insert(id.to_string());
    }
}

/// `summary_stale.kind` of a campaign mark (expanded to the accounts it reaches when refreshed).
const CAMPAIGN: &str = "CAMPAIGN";
/// `summary_stale.kind` of a business day whose performance rows are recomputed (id: ISO date).
const DAY: &str = "PERF_DAY";
/// `summary_stale.kind` of a lead whose opportunities' days are recomputed.
const LEAD_DAYS: &str = "PERF_LEAD";
/// `summary_stale.kind` of a channel whose every day is recomputed.
const CHANNEL_DAYS: &str = "PERF_CHANNEL";

/// `summary_stale.kind` of a summary's mark.
fn mark_kind(summary: Summary) -> &'static str {
    match summary {
        Summary::Account => "ACCOUNT",
        Summary::Contact => "CONTACT",
        Summary::Lead => "LEAD",
    }
}

/// The ids waiting for their post-commit refresh, shared by the writers of this process and the
/// refresher task. A set, so a burst of writes about the same records costs memory per record,
/// not per write.
pub struct Queue {
    state: Mutex<QueueState>,
    wake: Notify,
    metrics: Arc<Metrics>,
}

#[derive(Default)]
struct QueueState {
    queued: Stale,
    /// Ids taken by the refresher and not yet committed.
    in_flight: usize,
    /// Pushes so far: the refresher waits until this stops moving (writes paused).
    pushes: u64,
}

impl QueueState {
    /// Ids queued or in flight (the `cdp360_summaries_refresh_pending` gauge).
    fn pending(&self) -> usize {
        self.queued.len() + self.in_flight
    }
}

impl Queue {
    pub fn new(metrics: Arc<Metrics>) -> Queue {
        Queue { state: Mutex::new(QueueState::default()), wake: Notify::new(), metrics }
    }

    /// Adds a committed write's stale ids and wakes the refresher.
    pub fn push(&self, stale: Stale) {
        if stale.is_empty() {
            return;
        }
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.queued.merge(stale);
        s.pushes += 1;
        self.metrics.summary_refresh_pending(s.pending() as f64);
        drop(s);
        self.wake.notify_one();
    }

    /// Waits until something is queued; without `performance`, until something besides
    /// performance work is (the refresher holds performance work back between recomputes).
    pub async fn wait(&self, performance: bool) {
        loop {
            let notified = self.wake.notified();
            {
                let q = &self.state.lock().unwrap_or_else(|e| e.into_inner()).queued;
                if q.has_summaries() || (performance && q.has_performance()) {
                    return;
                }
            }
            notified.await;
        }
    }

    /// Takes everything queued, or without `performance` everything but the performance work,
    /// which stays queued (marking what it takes in flight until [`Queue::done`]).
    pub fn take(&self, performance: bool) -> Stale {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut taken = std::mem::take(&mut s.queued);
        if !performance {
            s.queued = taken.take_performance();
        }
        s.in_flight += taken.len();
        taken
    }

    /// The last [`Queue::take`] of `n` ids is committed (or failed and was put back).
    pub fn done(&self, n: usize) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.in_flight = s.in_flight.saturating_sub(n);
        self.metrics.summary_refresh_pending(s.pending() as f64);
    }

    /// Puts ids back after a failed refresh (they are retried with the next batch).
    pub fn put_back(&self, stale: Stale) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.queued.merge(stale);
    }

    /// How many pushes there have been (changes while writes go on).
    pub fn pushes(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).pushes
    }

    /// Ids queued or in flight (the `cdp360_summaries_refresh_pending` gauge).
    pub fn pending(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).pending()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_ids_merge_as_sets() {
        let mut a = Stale::default();
        a.add(Summary::Account, Some("ACC_1"));
        a.add(Summary::Lead, None);
        a.add(Summary::Contact, Some(""));
        let mut b = Stale::default();
        b.add(Summary::Account, Some("ACC_1"));
        b.add(Summary::Account, Some("ACC_2"));
        a.merge(b);
        assert_eq!(a.accounts.len(), 2);
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn a_queue_coalesces_pushes_and_counts_what_is_in_flight() {
        let q = Queue::new(Arc::new(Metrics::new()));
        for _ in 0..1000 {
            let mut s = Stale::default();
            s.add(Summary::Account, Some("ACC_1"));
            q.push(s);
        }
        assert_eq!(q.pending(), 1, "1,000 writes about one account wait as one id");
        let taken = q.take(true);
        assert_eq!(taken.accounts.len(), 1);
        assert_eq!(q.pending(), 1, "in flight until done");
        q.done(taken.len());
        assert_eq!(q.pending(), 0);
    }

    #[tokio::test]
    async fn performance_work_held_back_stays_queued_and_counted_while_summaries_are_taken() {
        let q = Queue::new(Arc::new(Metrics::new()));
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).expect("a date");
        let mut s = Stale::default();
        s.days.insert(day);
        q.push(s);
        let waited = tokio::time::timeout(std::time::Duration::from_millis(50), q.wait(false)).await;
        assert!(waited.is_err(), "performance work alone does not wake a refresher holding it back");
        let mut s = Stale::default();
        s.add(Summary::Lead, Some("LEAD_1"));
        q.push(s);
        q.wait(false).await;
        let taken = q.take(false);
        assert_eq!((taken.leads.len(), taken.days.len()), (1, 0), "the summaries without the day");
        assert_eq!(q.pending(), 2, "the held day is still pending (tests settle on it)");
        q.done(taken.len());
        q.wait(true).await;
        assert_eq!(q.take(true).days, BTreeSet::from([day]));
    }
}
