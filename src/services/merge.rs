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
//! 2. **Re-point** every reference to a merged record onto the survivor ([`CONTACT_REFS`],
//!    [`ACCOUNT_REFS`]): one `UPDATE … WHERE pk IN (…)` per table, column and merged record, after
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
//!    commit), and the `merge_ledger` row is written with the undo log ([`Undo`]).
//!
//! Any error rolls everything back. Unmerge replays the undo log in reverse in one transaction:
//! the survivor's filled fields return to NULL/`''`, the tombstones get their cleared values,
//! `merged_into_id = NULL` and their previous `updated_at`, the survivor its previous `updated_at`,
//! and every re-pointed row goes back — only while it still points at the survivor (a row changed
//! since is left alone and counted, never clobbered). Table and column names of the undo log are
//! looked up in this module's constants, never used as given. The ledger row stays, with
//! `unmerged_at`; a second unmerge is `CONFLICT`.
//!
//! Decisions: a merged record's own `merged_into_id` chain is not rewritten (tombstones of an
//! earlier merge keep pointing at their survivor, which may itself become a tombstone); the
//! survivor's filled fields are restored on unmerge even if edited since (the undo log holds no
//! plaintext to compare with); a contact merge refreshes contact summaries only, an account merge
//! account summaries only.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use entity::enums::EntityType;
use entity::{account, contact, merge_ledger};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ColumnType, DatabaseTransaction, EntityTrait, FromQueryResult, IdenStatic,
    IntoActiveModel, Iterable, ModelTrait, Value,
};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::repo::merge::{RefColumn, Referencing};
use crate::repo::page::Table;
use crate::repo::{self, summary};
use crate::services::pii::{self, PII_COLUMNS, Pii, PiiColumn};
use crate::services::tx::{Store, Write};
use crate::services::write::{Actor, new_id, now, visible};

/// Records merged into one survivor per call.
pub const MAX_MERGED: usize = 20;

const fn fk(table: &'static str, pk: &'static str, col: &'static str) -> RefColumn {
    RefColumn { table, pk, col, discriminator: None, unique_with: &[], other_end: None }
}

const fn fk_unique(
    table: &'static str,
    pk: &'static str,
    col: &'static str,
    unique_with: &'static [&'static str],
) -> RefColumn {
    RefColumn { table, pk, col, discriminator: None, unique_with, other_end: None }
}

const fn poly(
    table: &'static str,
    pk: &'static str,
    col: &'static str,
    discriminator: (&'static str, &'static str),
    unique_with: &'static [&'static str],
) -> RefColumn {
    RefColumn { table, pk, col, discriminator: Some(discriminator), unique_with, other_end: None }
}

/// Every reference to a contact (the polymorphic ones with `entity_type`/`member_type` CONTACT).
/// `unique_with`: the other columns of the unique index (`uk_account_contact`, `uk_tag_relation`,
/// `uk_segment_member`, `uk_score_record`, `uk_campaign_member`; the discriminator is fixed).
pub const CONTACT_REFS: &[RefColumn] = &[
    fk("opportunity", "opportunity_id", "primary_contact_id"),
    fk("touchpoint", "touchpoint_id", "contact_id"),
    fk("event", "event_id", "contact_id"),
    fk("contact_channel_identity", "identity_id", "contact_id"),
    fk_unique("account_contact_relation", "relation_id", "contact_id", &["account_id"]),
    fk("lead", "lead_id", "converted_contact_id"),
    poly("tag_relation", "relation_id", "entity_id", ("entity_type", "CONTACT"), &["tag_id"]),
    poly("segment_member", "member_id", "entity_id", ("entity_type", "CONTACT"), &["segment_id"]),
    poly("score_record", "record_id", "entity_id", ("entity_type", "CONTACT"), &["model_id"]),
    poly("score_history", "history_id", "entity_id", ("entity_type", "CONTACT"), &[]),
    poly("attribution", "attribution_id", "entity_id", ("entity_type", "CONTACT"), &[]),
    poly("customer_journey", "journey_id", "entity_id", ("entity_type", "CONTACT"), &[]),
    poly("campaign_member", "member_id", "member_ref_id", ("member_type", "CONTACT"), &["campaign_id"]),
];

/// Every reference to an account.
pub const ACCOUNT_REFS: &[RefColumn] = &[
    fk("contact", "contact_id", "primary_account_id"),
    fk_unique("account_contact_relation", "relation_id", "account_id", &["contact_id"]),
    fk("opportunity", "opportunity_id", "account_id"),
    fk("touchpoint", "touchpoint_id", "account_id"),
    fk("event", "event_id", "account_id"),
    fk("account_channel_identity", "identity_id", "account_id"),
    RefColumn {
        table: "account_relation",
        pk: "relation_id",
        col: "parent_account_id",
        discriminator: None,
        unique_with: &["child_account_id"],
        other_end: Some("child_account_id"),
    },
    RefColumn {
        table: "account_relation",
        pk: "relation_id",
        col: "child_account_id",
        discriminator: None,
        unique_with: &["parent_account_id"],
        other_end: Some("parent_account_id"),
    },
    fk("lead", "lead_id", "converted_account_id"),
    poly("tag_relation", "relation_id", "entity_id", ("entity_type", "ACCOUNT"), &["tag_id"]),
    poly("segment_member", "member_id", "entity_id", ("entity_type", "ACCOUNT"), &["segment_id"]),
    poly("score_record", "record_id", "entity_id", ("entity_type", "ACCOUNT"), &["model_id"]),
    poly("score_history", "history_id", "entity_id", ("entity_type", "ACCOUNT"), &[]),
    poly("attribution", "attribution_id", "entity_id", ("entity_type", "ACCOUNT"), &[]),
    poly("customer_journey", "journey_id", "entity_id", ("entity_type", "ACCOUNT"), &[]),
    poly("campaign_member", "member_id", "member_ref_id", ("member_type", "ACCOUNT"), &["campaign_id"]),
];

/// What differs between merging contacts and merging accounts.
struct Kind {
    entity: EntityType,
    table: Table,
    refs: &'static [RefColumn],
    summary: summary::Summary,
    /// Encrypted columns (contacts).
    pii: &'static [PiiColumn],
    /// Encrypted columns under a unique index: they move (the tombstone's copy is cleared).
    unique_pii: &'static [PiiColumn],
    /// Plain columns under a unique index: they move too.
    unique_plain: &'static [&'static str],
}

const CONTACT: Kind = Kind {
    entity: EntityType::Contact,
    table: Table { name: "contact", pk: "contact_id" },
    refs: CONTACT_REFS,
    summary: summary::Summary::Contact,
    pii: &PII_COLUMNS,
    unique_pii: &[pii::MOBILE_PHONE, pii::EMAIL],
    unique_plain: &[],
};

const ACCOUNT: Kind = Kind {
    entity: EntityType::Account,
    table: Table { name: "account", pk: "account_id" },
    refs: ACCOUNT_REFS,
    summary: summary::Summary::Account,
    pii: &[],
    unique_pii: &[],
    unique_plain: &["unified_social_credit_code"],
};

/// Columns a merge never fills (besides NOT NULL ones and blind indexes).
const NEVER_FILLED: &[&str] = &["created_at", "updated_at", "merged_into_id"];

/// The undo log of one merge (`merge_ledger.undo`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Undo {
    /// The survivor's `updated_at` before the merge (RFC 3339).
    pub survivor_updated_at: String,
    /// Survivor columns the merge filled, with their previous value: `None` = NULL, else `""`.
    pub filled: Vec<Filled>,
    /// The merged records, in `mergedIds` order.
    pub tombstones: Vec<Tombstone>,
    /// Re-pointed rows, per table, column and previous target, in the order moved.
    pub repointed: Vec<Repointed>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Filled {
    pub col: String,
    pub old: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tombstone {
    pub id: String,
    /// `updated_at` before the merge (RFC 3339).
    pub updated_at: String,
    /// Values under a unique index that moved to the survivor and were cleared here (for PII: the
    /// ciphertext and the blind index, as two entries).
    pub cleared: Vec<Cleared>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Cleared {
    pub col: String,
    pub old: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Repointed {
    pub table: String,
    pub pk_col: String,
    pub col: String,
    /// The merged record the rows referenced.
    pub old: String,
    pub pks: Vec<String>,
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

/// The input's own rules, before anything is read.
pub fn check_ids(survivor_id: &str, merged_ids: &[String]) -> AppResult<()> {
    if survivor_id.trim().is_empty() {
        return Err(AppError::bad_input("survivorId: must not be empty"));
    }
    if merged_ids.is_empty() {
        return Err(AppError::bad_input("mergedIds: at least one record to merge"));
    }
    if merged_ids.len() > MAX_MERGED {
        return Err(AppError::bad_input(format!("mergedIds: at most {MAX_MERGED} records per merge")));
    }
    let mut seen = HashSet::new();
    for (i, id) in merged_ids.iter().enumerate() {
        if id == survivor_id {
            return Err(AppError::bad_input(format!(
                "mergedIds[{i}]: is the survivor; a record cannot merge into itself"
            )));
        }
        if !seen.insert(id.as_str()) {
            return Err(AppError::bad_input(format!("mergedIds[{i}]: {id} is listed twice")));
        }
    }
    Ok(())
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
    w.stale(|s| {
        ids.iter().for_each(|id| s.add(kind.summary, Some(id)));
        accounts.iter().for_each(|id| s.add(summary::Summary::Account, Some(id)));
    });
    Ok(())
}

fn concurrent(what: &str, id: &str) -> AppError {
    AppError::Conflict(format!("{what} {id} was changed by another request meanwhile; read it again and retry"))
}

fn column_of<E: EntityTrait>(name: &str) -> AppResult<E::Column> {
    E::Column::iter()
        .find(|c| c.as_str() == name)
        .ok_or_else(|| AppError::internal(format!("merge ledger names an unknown column {name}")))
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::String(Some(s)) => Some(s.as_str()),
        _ => None,
    }
}

fn is_null(v: &Value) -> bool {
    *v == v.as_null()
}

/// NULL or `''`: a field the merge may fill.
fn is_unset(v: &Value) -> bool {
    is_null(v) || text(v) == Some("")
}

/// A value worth copying: not NULL, not blank.
fn has_value(v: &Value) -> bool {
    !is_null(v) && text(v).is_none_or(|s| !s.trim().is_empty())
}

fn is_text(c: &impl ColumnTrait) -> bool {
    matches!(c.def().get_column_type(), ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_))
}

fn rfc3339(v: &Value) -> AppResult<String> {
    match v {
        Value::ChronoDateTimeUtc(Some(t)) => Ok(t.to_rfc3339()),
        other => Err(AppError::internal(format!("updated_at is not a UTC timestamp: {other:?}"))),
    }
}

fn parse_time(s: &str) -> AppResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| AppError::internal(format!("merge ledger holds a bad timestamp {s}: {e}")))
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
    let merged_into = model.get(column_of::<E>("merged_into_id")?);
    if let Some(into) = text(&merged_into) {
        return Err(AppError::Conflict(format!(
            "{field}: {} {id} was merged into {into} already (unmerge that first)",
            kind.table.name
        )));
    }
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
    check_ids(survivor_id, merged_ids)?;
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
    let updated_at = column_of::<E>("updated_at")?;
    let mut undo = Undo { survivor_updated_at: rfc3339(&survivor.get(updated_at))?, ..Undo::default() };

    // 1. References.
    let (mut repointed, mut left) = (Vec::new(), Vec::new());
    for r in kind.refs {
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
    let mut sets: Vec<(&'static str, Value)> = vec![("updated_at", Value::from(at))];
    let mut guard_text: Vec<&'static str> = Vec::new();
    let mut guard_null: Vec<&'static str> = vec!["merged_into_id"];
    let mut cleared: Vec<Vec<Cleared>> = vec![Vec::new(); merged.len()];
    let mut filled = Vec::new();
    let pii_names: Vec<&str> = kind.pii.iter().flat_map(|c| [c.column, c.bidx]).collect();
    for c in E::Column::iter() {
        let name = c.as_str();
        if name == kind.table.pk
            || NEVER_FILLED.contains(&name)
            || pii_names.contains(&name)
            || name.ends_with("_bidx")
            || !c.def().is_null()
        {
            continue;
        }
        let current = survivor.get(c);
        if !is_unset(&current) {
            continue;
        }
        let Some((i, value)) = merged.iter().map(|m| m.get(c)).enumerate().find(|(_, v)| has_value(v)) else {
            continue;
        };
        if kind.unique_plain.contains(&name) {
            let old = text(&value).unwrap_or_default().to_string();
            cleared[i].push(Cleared { col: name.to_string(), old });
        }
        undo.filled.push(Filled { col: name.to_string(), old: text(&current).map(str::to_string) });
        if is_text(&c) {
            guard_text.push(name)
        } else {
            guard_null.push(name)
        }
        sets.push((name, value));
        filled.push(name.to_string());
    }
    for col in kind.pii {
        let current = survivor.get(column_of::<E>(col.column)?);
        if !is_unset(&current) {
            continue;
        }
        let found = merged.iter().zip(merged_ids).enumerate().find_map(|(i, (m, id))| {
            text(&m.get(column_of::<E>(col.column).ok()?)).filter(|s| !s.is_empty()).map(|ct| (i, id, ct.to_string()))
        });
        let Some((i, from_id, ciphertext)) = found else { continue };
        let plain = pii.open(kind.table.name, *col, from_id, &ciphertext)?;
        let sealed = pii.seal(kind.table.name, *col, survivor_id, &plain)?;
        if kind.unique_pii.contains(col) {
            cleared[i].push(Cleared { col: col.column.to_string(), old: ciphertext });
            let bidx = merged[i].get(column_of::<E>(col.bidx)?);
            if let Some(bidx) = text(&bidx) {
                cleared[i].push(Cleared { col: col.bidx.to_string(), old: bidx.to_string() });
            }
        }
        let current_bidx = survivor.get(column_of::<E>(col.bidx)?);
        undo.filled.push(Filled { col: col.column.to_string(), old: text(&current).map(str::to_string) });
        undo.filled.push(Filled { col: col.bidx.to_string(), old: text(&current_bidx).map(str::to_string) });
        guard_text.push(col.column);
        sets.push((col.column, Value::from(sealed.ciphertext)));
        sets.push((col.bidx, Value::from(sealed.bidx)));
        filled.push(col.column.to_string());
    }

    // 3. Tombstones (first: a unique value must leave the tombstone before the survivor takes it).
    for ((m, id), cleared) in merged.iter().zip(merged_ids).zip(cleared) {
        let mut sets = vec![("merged_into_id", Value::from(survivor_id)), ("updated_at", Value::from(at))];
        for c in &cleared {
            sets.push((column_of::<E>(&c.col)?.as_str(), Value::String(None)));
        }
        let (table, pk) = (kind.table.name, kind.table.pk);
        if !repo::merge::update_if_unset(txn, table, pk, id, sets, &[], &["merged_into_id"]).await? {
            return Err(concurrent(table, id));
        }
        undo.tombstones.push(Tombstone { id: id.clone(), updated_at: rfc3339(&m.get(updated_at))?, cleared });
    }
    let (table, pk) = (kind.table.name, kind.table.pk);
    if !repo::merge::update_if_unset(txn, table, pk, survivor_id, sets, &guard_text, &guard_null).await? {
        return Err(concurrent(table, survivor_id));
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
    let ledger = ledger.into_active_model().insert(txn).await?;
    let survivor = E::find_by_id_str(txn, survivor_id).await?;
    Ok(MergeResult {
        ledger_id: ledger.ledger_id,
        survivor,
        merged_ids: merged_ids.to_vec(),
        filled,
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
    let mut rows: Vec<Referencing> = repo::merge::referencing(txn, r, merged_ids).await?;
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let order = |id: &str| merged_ids.iter().position(|m| m == id).unwrap_or(usize::MAX);
    rows.sort_by(|a, b| (order(&a.target), &a.pk).cmp(&(order(&b.target), &b.pk)));
    let mut taken: HashSet<Vec<String>> = repo::merge::groups_of(txn, r, survivor_id).await?.into_iter().collect();
    let mut moves: BTreeMap<usize, (String, Vec<String>)> = BTreeMap::new();
    let mut left = 0;
    for row in rows {
        let self_reference = row.other.as_deref() == Some(survivor_id);
        let collides = !r.unique_with.is_empty() && !taken.insert(row.group.clone());
        if self_reference || collides {
            left += 1;
            continue;
        }
        moves.entry(order(&row.target)).or_insert_with(|| (row.target.clone(), Vec::new())).1.push(row.pk);
    }
    let mut moved = 0;
    for (_, (old, pks)) in moves {
        let n = repo::merge::set_reference(txn, r, &pks, survivor_id, Some(&old)).await?;
        if n != pks.len() as u64 {
            return Err(concurrent(r.table, &old));
        }
        moved += n;
        log.push(Repointed { table: r.table.to_string(), pk_col: r.pk.to_string(), col: r.col.to_string(), old, pks });
    }
    Ok((moved, left))
}

/// `find_by_id` for a string primary key, inside the transaction; a record that vanished inside
/// it is an internal error.
trait FindById: EntityTrait {
    async fn find_by_id_str(txn: &DatabaseTransaction, id: &str) -> AppResult<Self::Model>;
}

impl<E: EntityTrait> FindById for E
where
    E::Model: Send + Sync,
{
    async fn find_by_id_str(txn: &DatabaseTransaction, id: &str) -> AppResult<E::Model> {
        use sea_orm::QueryFilter;
        let pk = E::PrimaryKey::iter()
            .next()
            .map(sea_orm::PrimaryKeyToColumn::into_column)
            .ok_or_else(|| AppError::internal("entity without a primary key"))?;
        E::find()
            .filter(pk.eq(id))
            .one(txn)
            .await?
            .ok_or_else(|| AppError::internal(format!("{id} vanished inside its merge transaction")))
    }
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
    let claimed = repo::merge::update_if_unset(
        txn,
        "merge_ledger",
        "ledger_id",
        ledger_id,
        vec![("unmerged_at", Value::from(at))],
        &[],
        &["unmerged_at"],
    )
    .await?;
    let ledger = merge_ledger::Entity::find_by_id(ledger_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("merge ledger {ledger_id}")))?;
    if ledger.entity_type != kind.entity {
        let other = if kind.entity == EntityType::Contact { "unmergeAccounts" } else { "unmergeContacts" };
        return Err(AppError::bad_input(format!(
            "ledgerId: ledger {ledger_id} records a merge of {}; use {other}",
            if ledger.entity_type == EntityType::Contact { "contacts" } else { "accounts" }
        )));
    }
    if !claimed {
        return Err(AppError::Conflict(format!("ledgerId: merge {ledger_id} was undone already")));
    }
    let undo: Undo = serde_json::from_value(ledger.undo.clone())
        .map_err(|e| AppError::internal(format!("merge ledger {ledger_id}: unreadable undo log: {e}")))?;
    let survivor_id = ledger.survivor_id.clone();
    let (table, pk) = (kind.table.name, kind.table.pk);

    // Reverse order of the merge: survivor fields, tombstones, references.
    let survivor = E::find_by_id_str(txn, &survivor_id)
        .await
        .map_err(|_| AppError::Conflict(format!("the survivor {survivor_id} no longer exists; cannot unmerge")))?;
    let mut sets = vec![("updated_at", Value::from(parse_time(&undo.survivor_updated_at)?))];
    for f in &undo.filled {
        let c = column_of::<E>(&f.col)?;
        let value = match &f.old {
            Some(s) => Value::from(s.as_str()),
            None => survivor.get(c).as_null(),
        };
        sets.push((c.as_str(), value));
    }
    if !repo::write::update_where(txn, table, pk, &survivor_id, sets, vec![]).await? {
        return Err(concurrent(table, &survivor_id));
    }
    let mut restored_ids = Vec::new();
    for t in undo.tombstones.iter().rev() {
        let mut sets =
            vec![("merged_into_id", Value::String(None)), ("updated_at", Value::from(parse_time(&t.updated_at)?))];
        for c in &t.cleared {
            sets.push((column_of::<E>(&c.col)?.as_str(), Value::from(c.old.as_str())));
        }
        let expect = vec![("merged_into_id", Value::from(survivor_id.as_str()))];
        if !repo::write::update_where(txn, table, pk, &t.id, sets, expect).await? {
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
    for moved in undo.repointed.iter().rev() {
        let r = kind
            .refs
            .iter()
            .find(|r| r.table == moved.table && r.col == moved.col && r.pk == moved.pk_col)
            .ok_or_else(|| {
                AppError::internal(format!("merge ledger {ledger_id} names an unknown reference {}", moved.table))
            })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn merged_ids_must_be_distinct_non_empty_bounded_and_not_the_survivor() {
        assert!(check_ids("S", &ids(&["A", "B"])).is_ok());
        let e = check_ids("S", &[]).unwrap_err();
        assert!(e.message().starts_with("mergedIds:"), "{e:?}");
        let e = check_ids("S", &ids(&["A", "S"])).unwrap_err();
        assert!(e.message().starts_with("mergedIds[1]:"), "{e:?}");
        let e = check_ids("S", &ids(&["A", "A"])).unwrap_err();
        assert!(e.message().starts_with("mergedIds[1]:"), "{e:?}");
        let many: Vec<String> = (0..=MAX_MERGED).map(|i| format!("C{i}")).collect();
        assert_eq!(check_ids("S", &many).unwrap_err().code(), "BAD_USER_INPUT");
    }

    #[test]
    fn only_null_or_empty_fields_are_unset_and_only_non_blank_values_are_copied() {
        assert!(is_unset(&Value::String(None)));
        assert!(is_unset(&Value::from("")));
        assert!(!is_unset(&Value::from(" x")));
        assert!(is_unset(&Value::Int(None)));
        assert!(!has_value(&Value::from("  ")));
        assert!(has_value(&Value::Int(Some(0))));
        assert!(!has_value(&Value::Json(None)));
    }

    #[test]
    fn the_undo_log_round_trips_through_json() {
        let undo = Undo {
            survivor_updated_at: Utc::now().to_rfc3339(),
            filled: vec![
                Filled { col: "city".into(), old: None },
                Filled { col: "job_title".into(), old: Some("".into()) },
            ],
            tombstones: vec![Tombstone {
                id: "CNT_2".into(),
                updated_at: Utc::now().to_rfc3339(),
                cleared: vec![Cleared { col: "email".into(), old: "v1:k:x".into() }],
            }],
            repointed: vec![Repointed {
                table: "event".into(),
                pk_col: "event_id".into(),
                col: "contact_id".into(),
                old: "CNT_2".into(),
                pks: vec!["EVT_1".into()],
            }],
        };
        let back: Undo = serde_json::from_value(serde_json::to_value(&undo).unwrap()).unwrap();
        assert_eq!(back, undo);
        let t = Utc::now();
        assert_eq!(parse_time(&t.to_rfc3339()).unwrap(), t);
    }
}
