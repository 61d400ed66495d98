//! Merging duplicate contacts or accounts, and undoing a merge (docs/design.md §6 "Identity resolution
//! and merge"): `mergeContacts(survivorId, mergedIds)`, `mergeAccounts`, `unmergeContacts(ledgerId)`,
//! `unmergeAccounts`.
//!
//! A merge runs in one transaction (`services::tx::Write`):
//!
//! 1. **Checks**: 1–[`MAX_MERGED`] distinct merged ids, none the survivor (`BAD_USER_INPUT` naming
//!    `mergedIds[i]`); the survivor and every merged record visible to the caller
//!    (`BAD_USER_INPUT` naming `survivorId` / `mergedIds[i]`); neither already a tombstone
//!    (`CONFLICT`).
//! 2. **Re-point** every reference to a merged record onto the survivor (the catalogue's
//!    references to the table, `RefColumn::all_to`): one `UPDATE … WHERE pk IN (…)` per table, column and merged record, after
//!    selecting the affected keys (the undo log needs them). A row whose move would break a unique
//!    index (the survivor already has that tag, segment membership, score record, campaign
//!    membership, account–contact link or account relation — or two merged records have it) or
//!    make an account relation point at itself is LEFT on the tombstone, not deleted: that keeps
//!    unmerge exact. Re-pointed rows keep their `updated_at` (a reference moved, the row did not
//!    change).
//! 3. **Fill empty fields** of the survivor: every nullable column that is NULL or `''` takes the
//!    first non-empty value among the merged records, in `mergedIds` order; nothing non-empty is
//!    overwritten. Contact PII is opened for the merged row and re-sealed for the survivor's
//!    (ciphertexts are bound to their row). Values under a unique index (a contact's phone and
//!    e-mail, an account's credit code) move: the tombstone's copy (ciphertext and blind index) is
//!    cleared first. The update is guarded on the fields still being empty (else `CONFLICT`).
//! 4. **Tombstones**: `merged_into_id` = survivor, `updated_at` = now (guarded on not being merged
//!    meanwhile). Tombstones stay readable and filterable (`mergedIntoId`).
//! 5. Summaries of the survivor and the merged records are marked stale (refreshed after the
//!    commit), and the `merge_ledger` row is written with the undo log ([`rules::Undo`]).
//!
//! Any error rolls everything back. Unmerge replays the undo log in reverse in one transaction:
//! the survivor's filled fields return to NULL/`''`, the tombstones get their cleared values,
//! `merged_into_id = NULL` and their previous `updated_at`, the survivor its previous `updated_at`,
//! and every re-pointed row goes back — only while it still points at the survivor (a row changed
//! since is left alone and counted, never clobbered). Table and column names of the undo log are
//! looked up in this module's constants, never used as given. The ledger row stays, with
//! `unmerged_at`; a second unmerge is `CONFLICT`.
//!
//! What is filled, moved, left and logged is decided by [`rules`] (`domain/merge.rs`, pure and
//! unit-tested); this module reads, applies, and replays.
//!
//! Decisions: a merged record's own `merged_into_id` chain is not rewritten (tombstones of an
//! earlier merge keep pointing at their survivor, which may itself become a tombstone); the
//! survivor's filled fields are restored on unmerge even if edited since (the undo log holds no
//! plaintext to compare with); a contact merge refreshes contact summaries only, an account merge
//! account summaries only.

use entity::enums::EntityType;
use entity::{account, contact, merge_ledger};
use sea_orm::{DatabaseTransaction, EntityTrait, FromQueryResult, Value};

use crate::catalog::{self, Catalogued};
pub use crate::domain::merge::MAX_MERGED;
use crate::domain::merge::{self as rules, FillRules, Repointed, SealedColumn, Take, Tombstone, Undo};
use crate::error::{AppError, AppResult};
use crate::repo::merge::RefColumn;
use crate::repo::page::Table;
use crate::repo::{self, summary};
use crate::services::pii::{PII_COLUMNS, Pii, PiiColumn};
use crate::services::tx::{Store, Write};
use crate::services::write::{Actor, new_id, now, visible};

/// What differs between merging contacts and merging accounts.
struct Kind {
    entity: EntityType,
    table: Table,
    summary: summary::Summary,
}

const CONTACT: Kind = Kind {
    entity: EntityType::Contact,
    table: <contact::Entity as Catalogued>::TABLE,
    summary: summary::Summary::Contact,
};

const ACCOUNT: Kind = Kind {
    entity: EntityType::Account,
    table: <account::Entity as Catalogued>::TABLE,
    summary: summary::Summary::Account,
};

impl Kind {
    /// The survivor's fill, from the catalogue: the encrypted columns, and the columns that alone
    /// are a unique key (an encrypted column's key is its blind index) — those move off the
    /// tombstone.
    fn fill(&self) -> FillRules {
        let facts = catalog::of(self.table.name);
        let alone = |col: &str| facts.unique.iter().any(|u| u.1 == [col]);
        FillRules {
            sealed: facts
                .pii
                .iter()
                .map(|p| SealedColumn { column: p.column, bidx: p.bidx, unique: alone(p.bidx) })
                .collect(),
            unique_plain: facts
                .unique
                .iter()
                .filter(|u| u.1.len() == 1 && facts.domain(u.1[0]) != Some(catalog::Domain::BlindIndex))
                .map(|u| u.1[0])
                .collect(),
        }
    }
}

/// Rows of one reference column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefCount {
    pub table: &'static str,
    pub column: &'static str,
    pub rows: u64,
}

/// What a merge did.
#[derive(Clone, Debug)]
pub struct MergeResult<M> {
    pub ledger_id: String,
    pub survivor: M,
    pub merged_ids: Vec<String>,
    /// Survivor columns filled (database names; PII columns without their blind indexes).
    pub filled: Vec<String>,
    /// Rows moved onto the survivor, per reference column (only non-zero counts).
    pub repointed: Vec<RefCount>,
    /// Rows left on a tombstone because the survivor already had them (unique index) or the move
    /// would make an account relation point at itself.
    pub left_on_tombstones: Vec<RefCount>,
}

/// What an unmerge did.
#[derive(Clone, Debug)]
pub struct UnmergeResult {
    pub ledger_id: String,
    pub survivor_id: String,
    /// Tombstones brought back.
    pub restored_ids: Vec<String>,
    /// Re-pointed rows moved back.
    pub rows_restored: u64,
    /// Re-pointed rows left where they are because they no longer point at the survivor.
    pub rows_changed_since: Vec<RefCount>,
}

/// Merges contacts into a survivor (see the module doc).
pub async fn merge_contacts(
    store: &Store,
    pii: &Pii,
    actor: &Actor,
    survivor_id: &str,
    merged_ids: &[String],
) -> AppResult<MergeResult<contact::Model>> {
    merge::<contact::Entity>(store, pii, actor, &CONTACT, survivor_id, merged_ids).await
}

/// Merges accounts into a survivor (see the module doc).
pub async fn merge_accounts(
    store: &Store,
    pii: &Pii,
    actor: &Actor,
    survivor_id: &str,
    merged_ids: &[String],
) -> AppResult<MergeResult<account::Model>> {
    merge::<account::Entity>(store, pii, actor, &ACCOUNT, survivor_id, merged_ids).await
}

/// Undoes a merge of contacts (`BAD_USER_INPUT` for a ledger of accounts).
pub async fn unmerge_contacts(store: &Store, actor: &Actor, ledger_id: &str) -> AppResult<UnmergeResult> {
    unmerge::<contact::Entity>(store, actor, &CONTACT, ledger_id).await
}

/// Undoes a merge of accounts (`BAD_USER_INPUT` for a ledger of contacts).
pub async fn unmerge_accounts(store: &Store, actor: &Actor, ledger_id: &str) -> AppResult<UnmergeResult> {
    unmerge::<account::Entity>(store, actor, &ACCOUNT, ledger_id).await
}

async fn in_transaction<T, F>(store: &Store, work: F) -> AppResult<T>
where
    F: AsyncFnOnce(&Write<'_>) -> AppResult<T>,
{
    let w = Write::begin(store).await?;
    match work(&w).await {
        Ok(value) => {
            w.commit().await?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = w.rollback().await {
                tracing::warn!(error = %rollback.message(), "rollback after a failed merge failed");
            }
            Err(e)
        }
    }
}

/// The merged records' summaries and, for contacts, those of the accounts they belong to (moving
/// a relation onto the survivor can change an account's contact count).
async fn mark_stale(w: &Write<'_>, kind: &Kind, ids: &[String]) -> AppResult<()> {
    let accounts = match kind.entity {
        EntityType::Contact => repo::summary::accounts_of_contacts(&**w, ids).await?,
        _ => vec![],
    };
    // A merged contact leaves, and the survivor may gain a primary channel in, its day's
    // channel performance (`contact_count`).
    let created = match kind.entity {
        EntityType::Contact => repo::performance::contacts_created(&**w, ids).await?,
        _ => vec![],
    };
    let zone = w.store().zone();
    w.stale(|s| {
        created.iter().for_each(|at| s.day_of(zone, *at));
        ids.iter().for_each(|id| s.add(kind.summary, Some(id)));
        accounts.iter().for_each(|id| s.add(summary::Summary::Account, Some(id)));
    });
    Ok(())
}

fn concurrent(what: &str, id: &str) -> AppError {
    AppError::Conflict(format!("{what} {id} was changed by another request meanwhile; read it again and retry"))
}

/// The encrypted column behind a column of the fill rules.
fn pii_column(sealed: SealedColumn) -> AppResult<PiiColumn> {
    PII_COLUMNS
        .into_iter()
        .find(|c| c.column == sealed.column)
        .ok_or_else(|| AppError::internal(format!("{} is not an encrypted column", sealed.column)))
}

/// A record by id through the caller's access, or `BAD_USER_INPUT` naming the field.
async fn record<E>(txn: &DatabaseTransaction, actor: &Actor, kind: &Kind, field: &str, id: &str) -> AppResult<E::Model>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
{
    let model: E::Model = visible(txn, actor, kind.table, id).await.map_err(|e| match e {
        AppError::NotFound(_) => AppError::bad_input(format!("{field}: no {} with id {id}", kind.table.name)),
        other => other,
    })?;
    rules::ensure_live::<E>(field, &model)?;
    Ok(model)
}

async fn merge<E>(
    store: &Store,
    pii: &Pii,
    actor: &Actor,
    kind: &Kind,
    survivor_id: &str,
    merged_ids: &[String],
) -> AppResult<MergeResult<E::Model>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
{
    rules::check_ids(survivor_id, merged_ids)?;
    in_transaction(store, async |w| merge_in::<E>(w, pii, actor, kind, survivor_id, merged_ids).await).await
}

async fn merge_in<E>(
    w: &Write<'_>,
    pii: &Pii,
    actor: &Actor,
    kind: &Kind,
    survivor_id: &str,
    merged_ids: &[String],
) -> AppResult<MergeResult<E::Model>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
{
    let txn: &DatabaseTransaction = w;
    let at = now();
    let survivor = record::<E>(txn, actor, kind, "survivorId", survivor_id).await?;
    let mut merged = Vec::with_capacity(merged_ids.len());
    for (i, id) in merged_ids.iter().enumerate() {
        merged.push(record::<E>(txn, actor, kind, &format!("mergedIds[{i}]"), id).await?);
    }
    let mut undo = Undo { survivor_updated_at: rules::updated_at::<E>(&survivor)?, ..Undo::default() };

    // 1. References.
    let (mut repointed, mut left) = (Vec::new(), Vec::new());
    for r in &RefColumn::all_to(kind.table.name) {
        let (moved, kept) = repoint(txn, r, survivor_id, merged_ids, &mut undo.repointed).await?;
        if moved > 0 {
            repointed.push(RefCount { table: r.table, column: r.col, rows: moved });
        }
        if kept > 0 {
            left.push(RefCount { table: r.table, column: r.col, rows: kept });
        }
    }

    // 2. The survivor's empty fields (PII is opened here: a value that does not decrypt fails the
    //    whole merge, after the statements above — they roll back with it).
    let fill = rules::fill::<E>(&kind.fill(), &survivor, &merged)?;
    let mut sets: Vec<(&'static str, Value)> = vec![("updated_at", Value::from(at))];
    for (name, take) in fill.sets {
        match take {
            Take::Value(value) => sets.push((name, value)),
            Take::Reseal { column, from, ciphertext } => {
                let col = pii_column(column)?;
                let plain = pii.open(kind.table.name, col, &merged_ids[from], &ciphertext)?;
                let sealed = pii.seal(kind.table.name, col, survivor_id, &plain)?;
                sets.push((col.column, Value::from(sealed.ciphertext)));
                sets.push((col.bidx, Value::from(sealed.bidx)));
            }
        }
    }
    undo.filled = fill.undo;

    // 3. Tombstones (first: a unique value must leave the tombstone before the survivor takes it).
    for ((m, id), cleared) in merged.iter().zip(merged_ids).zip(fill.cleared) {
        let sets = rules::tombstone_sets::<E>(survivor_id, at, &cleared)?;
        if !repo::merge::update_if_unset::<E>(txn, id, sets, &[], &["merged_into_id"]).await? {
            return Err(concurrent(kind.table.name, id));
        }
        undo.tombstones.push(Tombstone { id: id.clone(), updated_at: rules::updated_at::<E>(m)?, cleared });
    }
    if !repo::merge::update_if_unset::<E>(txn, survivor_id, sets, &fill.guard_text, &fill.guard_null).await? {
        return Err(concurrent(kind.table.name, survivor_id));
    }

    // 4. Summaries and the ledger.
    let mut ids = vec![survivor_id.to_string()];
    ids.extend(merged_ids.iter().cloned());
    mark_stale(w, kind, &ids).await?;
    let ledger = merge_ledger::Model {
        ledger_id: new_id("MRG"),
        entity_type: kind.entity,
        survivor_id: survivor_id.to_string(),
        merged_ids: serde_json::json!(merged_ids),
        undo: serde_json::to_value(&undo).map_err(|e| AppError::internal(format!("merge undo log: {e}")))?,
        merged_at: at,
        merged_by_user_id: actor.user_id(txn).await?,
        unmerged_at: None,
    };
    let ledger = repo::write::insert_model(txn, ledger).await?;
    let survivor = reread::<E>(txn, survivor_id).await?;
    Ok(MergeResult {
        ledger_id: ledger.ledger_id,
        survivor,
        merged_ids: merged_ids.to_vec(),
        filled: fill.filled,
        repointed,
        left_on_tombstones: left,
    })
}

/// Moves the rows of one reference column from the merged records to the survivor, except those
/// that would collide with a unique index or point an account relation at itself. Returns (moved,
/// left) and appends the moves to the undo log.
async fn repoint(
    txn: &DatabaseTransaction,
    r: &RefColumn,
    survivor_id: &str,
    merged_ids: &[String],
    log: &mut Vec<Repointed>,
) -> AppResult<(u64, u64)> {
    let rows = repo::merge::referencing(txn, r, merged_ids).await?;
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let taken = repo::merge::groups_of(txn, r, survivor_id).await?;
    let rows = rows
        .into_iter()
        .map(|row| rules::Reference { pk: row.pk, target: row.target, group: row.group, other: row.other })
        .collect();
    let plan = rules::repoint(rows, merged_ids, survivor_id, r.unique_with().next().is_some(), taken);
    let mut moved = 0;
    for (old, pks) in plan.moves {
        let n = repo::merge::set_reference(txn, r, &pks, survivor_id, Some(&old)).await?;
        if n != pks.len() as u64 {
            return Err(concurrent(r.table, &old));
        }
        moved += n;
        log.push(Repointed { table: r.table.to_string(), pk_col: r.pk.to_string(), col: r.col.to_string(), old, pks });
    }
    Ok((moved, plan.left))
}

/// The record `id` of `E`, read inside the transaction; one that vanished inside it is an
/// internal error.
async fn reread<E: EntityTrait>(txn: &DatabaseTransaction, id: &str) -> AppResult<E::Model> {
    repo::write::find_by_id::<E>(txn, id)
        .await?
        .ok_or_else(|| AppError::internal(format!("{id} vanished inside its merge transaction")))
}

async fn unmerge<E>(store: &Store, actor: &Actor, kind: &Kind, ledger_id: &str) -> AppResult<UnmergeResult>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
{
    in_transaction(store, async |w| unmerge_in::<E>(w, actor, kind, ledger_id).await).await
}

async fn unmerge_in<E>(w: &Write<'_>, _actor: &Actor, kind: &Kind, ledger_id: &str) -> AppResult<UnmergeResult>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
{
    let txn: &DatabaseTransaction = w;
    let at = now();
    // The claim is the first statement (SQLite takes its write lock before any read; PostgreSQL
    // makes a concurrent unmerge of the same ledger wait here and then find it undone).
    let claimed = repo::merge::update_if_unset::<merge_ledger::Entity>(
        txn,
        ledger_id,
        vec![("unmerged_at", Value::from(at))],
        &[],
        &["unmerged_at"],
    )
    .await?;
    let ledger = repo::write::find_by_id::<merge_ledger::Entity>(txn, ledger_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("merge ledger {ledger_id}")))?;
    let undo = rules::undo_log(&ledger, kind.entity, claimed)?;
    let survivor_id = ledger.survivor_id.clone();
    let table = kind.table.name;

    // Reverse order of the merge: survivor fields, tombstones, references.
    let survivor = reread::<E>(txn, &survivor_id)
        .await
        .map_err(|_| AppError::Conflict(format!("the survivor {survivor_id} no longer exists; cannot unmerge")))?;
    let sets = rules::survivor_restore::<E>(&undo, &survivor)?;
    if !repo::write::update_where::<E>(txn, &survivor_id, sets, vec![]).await? {
        return Err(concurrent(table, &survivor_id));
    }
    let mut restored_ids = Vec::new();
    for t in undo.tombstones.iter().rev() {
        let sets = rules::tombstone_restore::<E>(t)?;
        let expect = vec![("merged_into_id", Value::from(survivor_id.as_str()))];
        if !repo::write::update_where::<E>(txn, &t.id, sets, expect).await? {
            return Err(AppError::Conflict(format!(
                "{table} {} is no longer merged into {survivor_id}; cannot unmerge",
                t.id
            )));
        }
        restored_ids.push(t.id.clone());
    }
    restored_ids.reverse();
    let mut rows_restored = 0;
    let mut changed: Vec<RefCount> = Vec::new();
    let refs = RefColumn::all_to(kind.table.name);
    for moved in undo.repointed.iter().rev() {
        let r = refs.iter().find(|r| r.table == moved.table && r.col == moved.col && r.pk == moved.pk_col).ok_or_else(
            || AppError::internal(format!("merge ledger {ledger_id} names an unknown reference {}", moved.table)),
        )?;
        let n = repo::merge::set_reference(txn, r, &moved.pks, &moved.old, Some(&survivor_id)).await?;
        rows_restored += n;
        let missed = moved.pks.len() as u64 - n;
        if missed > 0 {
            match changed.iter_mut().find(|c| c.table == r.table && c.column == r.col) {
                Some(c) => c.rows += missed,
                None => changed.push(RefCount { table: r.table, column: r.col, rows: missed }),
            }
        }
    }
    let mut ids = vec![survivor_id.clone()];
    ids.extend(restored_ids.iter().cloned());
    mark_stale(w, kind, &ids).await?;
    Ok(UnmergeResult {
        ledger_id: ledger_id.to_string(),
        survivor_id,
        restored_ids,
        rows_restored,
        rows_changed_since: changed,
    })
}
