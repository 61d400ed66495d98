//! Keeping the three summaries true (issue 5; hardening item 4). The formulas are in
//! `repo::summary`; this module decides *when* they run:
//!
//! - after a write commits, for the ids it touched. The marks are durable: [`Write::commit`]
//!   (crate::services::tx::Write) inserts them into `summary_stale` inside the writer's own
//!   transaction (`repo::stale`), so a committed change always leaves its mark, and a rolled-back
//!   one none. After the commit it also adds the ids to the in-memory [`Queue`] — only a wake-up:
//!   `jobs` drains it once writes pause (coalescing a burst into one refresh per kind) and calls
//!   [`refresh_stale`], which deletes those marks in the same transaction as the summary rows it
//!   writes. Refreshing after the commit, in a transaction of its own, means the aggregate sees
//!   every committed row (a refresh inside the writer's transaction could not see a concurrent
//!   writer's rows and would overwrite them);
//! - leftovers: marks nobody refreshed (the process crashed after the commit, or another process
//!   wrote them) are drained by [`refresh_leftovers`] when a server starts and, once old enough,
//!   by a periodic sweep on every replica ([`has_leftovers`] looks first, so an empty table costs
//!   one read);
//! - on a schedule, everything ([`refresh_all`], one replica at a time);
//! - on demand (`refreshSummaries`, `cdp360 recompute summaries`).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::pubsub::DomainEvent;
use crate::repo;
use crate::repo::stale::Mark;
use crate::repo::summary::{self, Summary};
use crate::services::tx::{Store, Write};

/// Ids whose summaries a write made stale.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stale {
    pub accounts: BTreeSet<String>,
    pub contacts: BTreeSet<String>,
    pub leads: BTreeSet<String>,
    /// A campaign's status counts in `active_campaigns` of every account it reaches; expanded to
    /// those accounts when the refresh runs.
    pub campaigns: BTreeSet<String>,
}

impl Stale {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        self.accounts.len() + self.contacts.len() + self.leads.len() + self.campaigns.len()
    }

    pub fn merge(&mut self, other: Stale) {
        self.accounts.extend(other.accounts);
        self.contacts.extend(other.contacts);
        self.leads.extend(other.leads);
        self.campaigns.extend(other.campaigns);
    }

    /// The durable marks (`summary_stale`: stored kind, id) of these ids.
    pub fn marks(&self) -> Vec<(&'static str, &str)> {
        let kinds = [
            (mark_kind(Summary::Account), &self.accounts),
            (mark_kind(Summary::Contact), &self.contacts),
            (mark_kind(Summary::Lead), &self.leads),
            (CAMPAIGN, &self.campaigns),
        ];
        kinds.into_iter().flat_map(|(kind, ids)| ids.iter().map(move |id| (kind, id.as_str()))).collect()
    }

    /// The ids of marks taken from `summary_stale` (unknown kinds, a newer replica's, are skipped).
    pub fn from_marks(marks: Vec<Mark>) -> Stale {
        let mut s = Stale::default();
        for (kind, id) in marks {
            match kind.as_str() {
                CAMPAIGN => {
                    s.campaigns.insert(id);
                }
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

    /// Waits until something is queued.
    pub async fn wait(&self) {
        loop {
            let notified = self.wake.notified();
            if !self.state.lock().unwrap_or_else(|e| e.into_inner()).queued.is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// Takes everything queued (marking it in flight until [`Queue::done`]).
    pub fn take(&self) -> Stale {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let taken = std::mem::take(&mut s.queued);
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

/// Refreshes the summaries of `stale` in one transaction and announces each kind's refreshed ids
/// (`SummaryUpdated`); returns the rows written. The transaction's first statement takes (deletes)
/// their durable marks — those another transaction holds are left for it: a writer that has not
/// committed yet (its own refresh follows), or another drainer. One set-based statement per kind
/// (more only past the bind-parameter limit).
pub async fn refresh_stale(store: &Store, stale: Stale) -> AppResult<u64> {
    if stale.is_empty() {
        return Ok(0);
    }
    let w = Write::begin(store).await?;
    repo::stale::take(&*w, &stale.marks()).await?;
    let rows = refresh_in(&w, store, stale).await?;
    w.commit().await?;
    Ok(rows)
}

/// Whether durable marks written at or before `before` wait for a refresh (one read).
pub async fn has_leftovers(store: &Store, before: chrono::DateTime<chrono::Utc>) -> AppResult<bool> {
    repo::stale::any_before(&store.db, before).await
}

/// Drains up to `limit` durable marks written at or before `before`, oldest first, and refreshes
/// them in the same transaction: the leftovers of a process that committed writes and died
/// before refreshing them (or of another process). Returns the marks taken.
pub async fn refresh_leftovers(store: &Store, before: chrono::DateTime<chrono::Utc>, limit: u64) -> AppResult<usize> {
    let w = Write::begin(store).await?;
    let taken = repo::stale::take_oldest(&*w, before, limit).await?;
    if taken.is_empty() {
        w.rollback().await?;
        return Ok(0);
    }
    let n = taken.len();
    refresh_in(&w, store, Stale::from_marks(taken)).await?;
    w.commit().await?;
    Ok(n)
}

/// The refresh of `stale` inside `w`, with its `SummaryUpdated` events.
async fn refresh_in(w: &Write<'_>, store: &Store, mut stale: Stale) -> AppResult<u64> {
    if !stale.campaigns.is_empty() {
        let campaigns: Vec<String> = std::mem::take(&mut stale.campaigns).into_iter().collect();
        stale.accounts.extend(summary::accounts_of_campaigns(&**w, &campaigns).await?);
    }
    let at = chrono::Utc::now();
    let mut rows = 0;
    for (kind, ids) in
        [(Summary::Account, &stale.accounts), (Summary::Contact, &stale.contacts), (Summary::Lead, &stale.leads)]
    {
        if ids.is_empty() {
            continue;
        }
        let ids: Vec<String> = ids.iter().cloned().collect();
        rows += summary::refresh(&**w, kind, Some(&ids), at).await?;
        store.metrics().summary_refresh(kind.table());
        w.emit(DomainEvent::SummaryUpdated { summary: kind, ids });
    }
    Ok(rows)
}

/// Refreshes the given summaries now (the `refreshSummaries` mutation): `ids` or, when `None`,
/// every row of that kind. Returns the rows written.
pub async fn refresh_now(store: &Store, kind: Summary, ids: Option<Vec<String>>) -> AppResult<u64> {
    match ids {
        Some(ids) => {
            let mut stale = Stale::default();
            ids.iter().for_each(|id| stale.add(kind, Some(id)));
            refresh_stale(store, stale).await
        }
        None => refresh_all(&store.db, &[kind], |_, _| {}).await?.ok_or_else(|| {
            AppError::Conflict("a full summary refresh is running on another replica; try again later".into())
        }),
    }
}

/// The full refresh of `kinds` (scheduled job, CLI), in one transaction. On PostgreSQL only one
/// replica runs it at a time: the others find the advisory lock taken and return `None`.
/// `progress(kind, rows)` is called after each table. No events: a full run announces nothing
/// (it would name every record, and between writes it only moves the time-relative columns).
pub async fn refresh_all(
    db: &DatabaseConnection,
    kinds: &[Summary],
    mut progress: impl FnMut(Summary, u64),
) -> AppResult<Option<u64>> {
    let txn = crate::services::write::begin_write(db).await?;
    if !summary::try_lock_full_refresh(&txn).await? {
        return Ok(None);
    }
    let at = chrono::Utc::now();
    let mut rows = 0;
    for kind in kinds {
        let n = summary::refresh(&txn, *kind, None, at).await?;
        progress(*kind, n);
        rows += n;
    }
    txn.commit().await?;
    Ok(Some(rows))
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
        let taken = q.take();
        assert_eq!(taken.accounts.len(), 1);
        assert_eq!(q.pending(), 1, "in flight until done");
        q.done(taken.len());
        assert_eq!(q.pending(), 0);
    }
}
