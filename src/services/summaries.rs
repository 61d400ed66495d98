//! Keeping the three summaries true (issue 5; hardening item 4). The formulas are in
//! `repo::summary`; this module decides *when* they run:
//!
//! - after a write commits, for the ids it touched. The marks are durable: [`Write::commit`]
//!   (crate::services::tx::Write) inserts them into `summary_stale` inside the writer's own
//!   transaction (`repo::stale`), so a committed change always leaves its mark, and a rolled-back
//!   one none. After the commit it also adds the ids to the in-memory
//!   [`Queue`](crate::services::tx::Queue) — only a wake-up: `jobs` drains it once writes pause
//!   (coalescing a burst into one refresh per kind) and calls [`refresh_stale`], which deletes
//!   those marks in the same transaction as the summary rows it writes (at its end, without
//!   making writers wait: `repo::stale`). Refreshing after the
//!   commit, in a transaction of its own, means the aggregate sees every committed row (a refresh
//!   inside the writer's transaction could not see a concurrent writer's rows and would overwrite
//!   them);
//! - leftovers: marks nobody refreshed (the process crashed after the commit, or another process
//!   wrote them) are drained by [`refresh_leftovers`] when a server starts and, once old enough,
//!   by a periodic sweep on every replica ([`has_leftovers`] looks first, so an empty table costs
//!   one read);
//! - on a schedule, everything ([`refresh_all`], one replica at a time);
//! - on demand (`refreshSummaries`, `cdp360 recompute summaries`).

use sea_orm::DatabaseConnection;

use crate::error::{AppError, AppResult};
use crate::pubsub::DomainEvent;
use crate::repo;
use crate::repo::summary::{self, Summary};
use crate::services::tx::{Stale, Store, Write};

/// Refreshes the summaries of `stale` in one transaction and announces each kind's refreshed ids
/// (`SummaryUpdated`); returns the rows written. The transaction's first statement reads their
/// durable marks and its last deletes those no writer has marked again since (`repo::stale`) —
/// those another transaction holds are left for it: a writer that has not
/// committed yet (its own refresh follows), or another drainer. One set-based statement per kind
/// (more only past the bind-parameter limit).
pub async fn refresh_stale(store: &Store, stale: Stale) -> AppResult<u64> {
    if stale.is_empty() {
        return Ok(0);
    }
    let w = Write::begin(store).await?;
    let owned = stale.marks();
    let marks: Vec<(&str, &str)> = owned.iter().map(|(kind, id)| (*kind, id.as_str())).collect();
    let seen = repo::stale::seen(&*w, &marks).await?;
    let rows = refresh_in(&w, store, stale).await?;
    repo::stale::take(&*w, &seen).await?;
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
    let seen = repo::stale::seen_oldest(&*w, before, limit).await?;
    if seen.is_empty() {
        w.rollback().await?;
        return Ok(0);
    }
    let marks = seen.iter().cloned().map(repo::stale::Seen::mark).collect();
    refresh_in(&w, store, Stale::from_marks(marks)).await?;
    let taken = repo::stale::take(&*w, &seen).await?;
    w.commit().await?;
    Ok(taken as usize)
}

/// The refresh of `stale` inside `w`, with its `SummaryUpdated` events, and the recompute of the
/// performance days it names (`services::performance`).
async fn refresh_in(w: &Write<'_>, store: &Store, mut stale: Stale) -> AppResult<u64> {
    let days = crate::services::performance::days_of(&**w, store.zone(), &mut stale).await?;
    let mut rows = crate::services::performance::recompute_days(&**w, store.zone(), days, |_| {}).await?;
    if !stale.campaigns.is_empty() {
        let campaigns: Vec<String> = std::mem::take(&mut stale.campaigns).into_iter().collect();
        stale.accounts.extend(summary::accounts_of_campaigns(&**w, &campaigns).await?);
    }
    let at = chrono::Utc::now();
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
