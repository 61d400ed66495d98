//! The decisions of merging duplicate contacts or accounts and of undoing a merge (docs/design.md §6
//! "Identity resolution and merge"), pure: `services/merge.rs` reads the records and the rows
//! that reference them, asks these functions what to write, and writes it.
//!
//! - **Input** ([`check_ids`]): 1–[`MAX_MERGED`] distinct merged ids, none the survivor; no
//!   record may be a tombstone already ([`ensure_live`]).
//! - **Re-pointing** ([`repoint`]): a referencing row moves onto the survivor unless the move
//!   would break a unique index — the survivor already has that group (tag, segment, score model,
//!   campaign, account–contact link, account relation), or an earlier merged record's row took it
//!   — or make an account relation point at itself. Such a row is LEFT on its tombstone, not
//!   deleted: that keeps unmerge exact. Rows move in `mergedIds` order, then by primary key.
//! - **Fill** ([`fill`]): every nullable column of the survivor that is NULL or `''` takes the
//!   first non-blank value among the merged records, in `mergedIds` order; nothing non-empty is
//!   overwritten; the key, `created_at`/`updated_at`/`merged_into_id` and blind indexes never.
//!   Encrypted columns are re-sealed for the survivor's row by the service ([`Take::Reseal`]).
//!   Values under a unique index (a contact's phone and e-mail, an account's credit code) move:
//!   they are cleared on their tombstone ([`Fill::cleared`]), ciphertext and blind index.
//! - **Undo log** ([`Undo`]): the survivor's previous `updated_at` and the previous value (NULL or
//!   `''`) of each filled column, each tombstone's previous `updated_at` and cleared values, and
//!   every re-pointed row's key and previous target. Ids and stored values only, never plaintext.
//!   Unmerge replays it ([`survivor_restore`], [`tombstone_restore`]); its table and column names
//!   are looked up in the entity and the service's reference list, never used as given.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use entity::enums::EntityType;
use entity::merge_ledger;
use sea_orm::{ColumnTrait, ColumnType, EntityTrait, IdenStatic, Iterable, ModelTrait, PrimaryKeyToColumn, Value};
use serde::{Deserialize, Serialize};

use super::error::DomainError;

/// Records merged into one survivor per call.
pub const MAX_MERGED: usize = 20;

/// Columns a merge never fills (besides the key, NOT NULL columns and blind indexes).
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

/// The input's own rules, before anything is read.
pub fn check_ids(survivor_id: &str, merged_ids: &[String]) -> Result<(), DomainError> {
    if survivor_id.trim().is_empty() {
        return Err(DomainError::refused("survivorId", "must not be empty"));
    }
    if merged_ids.is_empty() {
        return Err(DomainError::refused("mergedIds", "at least one record to merge"));
    }
    if merged_ids.len() > MAX_MERGED {
        return Err(DomainError::refused("mergedIds", format!("at most {MAX_MERGED} records per merge")));
    }
    let mut seen = HashSet::new();
    for (i, id) in merged_ids.iter().enumerate() {
        let field = format!("mergedIds[{i}]");
        if id == survivor_id {
            return Err(DomainError::refused(field, "is the survivor; a record cannot merge into itself"));
        }
        if !seen.insert(id.as_str()) {
            return Err(DomainError::refused(field, format!("{id} is listed twice")));
        }
    }
    Ok(())
}

/// A record named by `field` takes part in a merge only while it is not a tombstone.
pub fn ensure_live<E: EntityTrait>(field: &str, record: &E::Model) -> Result<(), DomainError> {
    let pk = E::PrimaryKey::iter().next().map(|k| record.get(k.into_column()));
    match record.get(column::<E>("merged_into_id")?) {
        Value::String(Some(into)) => Err(DomainError::Conflict(format!(
            "{field}: {} {} was merged into {into} already (unmerge that first)",
            E::default().table_name(),
            pk.as_ref().and_then(text).unwrap_or_default(),
        ))),
        _ => Ok(()),
    }
}

/// A row referencing a merged record: its primary key, the record it references, the values of
/// the other columns of the reference's unique index (`group`) and, for a self-relation, its other
/// end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub pk: String,
    pub target: String,
    pub group: Vec<String>,
    pub other: Option<String>,
}

/// The rows of one reference column that move, per merged record in `mergedIds` order (its id
/// and the rows' keys), and how many stay on their tombstone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Repoint {
    pub moves: Vec<(String, Vec<String>)>,
    pub left: u64,
}

/// Which rows of one reference column move onto the survivor (see the module doc). `unique`:
/// the column is part of a unique index; `taken`: the groups the survivor's own rows hold.
pub fn repoint(
    mut rows: Vec<Reference>,
    merged_ids: &[String],
    survivor_id: &str,
    unique: bool,
    taken: Vec<Vec<String>>,
) -> Repoint {
    let order = |id: &str| merged_ids.iter().position(|m| m == id).unwrap_or(usize::MAX);
    rows.sort_by(|a, b| (order(&a.target), &a.pk).cmp(&(order(&b.target), &b.pk)));
    let mut taken: HashSet<Vec<String>> = taken.into_iter().collect();
    let mut moves: BTreeMap<usize, (String, Vec<String>)> = BTreeMap::new();
    let mut left = 0;
    for row in rows {
        let self_reference = row.other.as_deref() == Some(survivor_id);
        let collides = unique && !taken.insert(row.group.clone());
        if self_reference || collides {
            left += 1;
            continue;
        }
        moves.entry(order(&row.target)).or_insert_with(|| (row.target.clone(), Vec::new())).1.push(row.pk);
    }
    Repoint { moves: moves.into_values().collect(), left }
}

/// An encrypted column and its blind index (a contact's `mobile_phone` and `mobile_phone_bidx`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedColumn {
    pub column: &'static str,
    pub bidx: &'static str,
    /// Under a unique index: the value moves (cleared on the tombstone).
    pub unique: bool,
}

/// What the fill of a survivor treats specially, per entity.
#[derive(Clone, Debug)]
pub struct FillRules {
    /// Encrypted columns (contacts).
    pub sealed: Vec<SealedColumn>,
    /// Plain columns under a unique index: they move (cleared on the tombstone).
    pub unique_plain: Vec<&'static str>,
}

/// A value the survivor takes.
#[derive(Clone, Debug, PartialEq)]
pub enum Take {
    /// A merged record's stored value.
    Value(Value),
    /// The ciphertext of `column` of merged record `from` (index in `mergedIds`): the service
    /// opens it for that record's row and seals it for the survivor's (ciphertext and blind index,
    /// two columns).
    Reseal { column: SealedColumn, from: usize, ciphertext: String },
}

/// The survivor's fill.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fill {
    /// Columns the survivor takes, in order (the service sets `updated_at` too).
    pub sets: Vec<(&'static str, Take)>,
    /// Text columns that must still be NULL or `''` when written.
    pub guard_text: Vec<&'static str>,
    /// Columns that must still be NULL (`merged_into_id` first: the survivor is not merged meanwhile).
    pub guard_null: Vec<&'static str>,
    /// Per merged record, in `mergedIds` order: the unique values that move off it.
    pub cleared: Vec<Vec<Cleared>>,
    /// Columns filled, by name (encrypted ones without their blind index).
    pub filled: Vec<String>,
    /// The undo log's entries for the fill.
    pub undo: Vec<Filled>,
}

fn column<E: EntityTrait>(name: &str) -> Result<E::Column, DomainError> {
    E::Column::iter()
        .find(|c| c.as_str() == name)
        .ok_or_else(|| DomainError::Corrupt(format!("merge ledger names an unknown column {name}")))
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

/// The survivor's fill from the merged records (in `mergedIds` order; see the module doc).
pub fn fill<E: EntityTrait>(rules: &FillRules, survivor: &E::Model, merged: &[E::Model]) -> Result<Fill, DomainError> {
    let pk = E::PrimaryKey::iter().next().map(|k| k.into_column().as_str());
    let mut fill =
        Fill { guard_null: vec!["merged_into_id"], cleared: vec![Vec::new(); merged.len()], ..Fill::default() };
    let sealed_names: Vec<&str> = rules.sealed.iter().flat_map(|c| [c.column, c.bidx]).collect();
    for c in E::Column::iter() {
        let name = c.as_str();
        if Some(name) == pk
            || NEVER_FILLED.contains(&name)
            || sealed_names.contains(&name)
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
        if rules.unique_plain.contains(&name) {
            let old = text(&value).unwrap_or_default().to_string();
            fill.cleared[i].push(Cleared { col: name.to_string(), old });
        }
        fill.undo.push(Filled { col: name.to_string(), old: text(&current).map(str::to_string) });
        if is_text(&c) {
            fill.guard_text.push(name)
        } else {
            fill.guard_null.push(name)
        }
        fill.sets.push((name, Take::Value(value)));
        fill.filled.push(name.to_string());
    }
    for col in &rules.sealed {
        let (ct, bidx) = (column::<E>(col.column)?, column::<E>(col.bidx)?);
        let current = survivor.get(ct);
        if !is_unset(&current) {
            continue;
        }
        let found = merged.iter().enumerate().find_map(|(i, m)| {
            text(&m.get(ct)).filter(|s| !s.is_empty()).map(|ciphertext| (i, ciphertext.to_string()))
        });
        let Some((i, ciphertext)) = found else { continue };
        if col.unique {
            fill.cleared[i].push(Cleared { col: col.column.to_string(), old: ciphertext.clone() });
            if let Some(old) = text(&merged[i].get(bidx)) {
                fill.cleared[i].push(Cleared { col: col.bidx.to_string(), old: old.to_string() });
            }
        }
        fill.undo.push(Filled { col: col.column.to_string(), old: text(&current).map(str::to_string) });
        fill.undo.push(Filled { col: col.bidx.to_string(), old: text(&survivor.get(bidx)).map(str::to_string) });
        fill.guard_text.push(col.column);
        fill.sets.push((col.column, Take::Reseal { column: *col, from: i, ciphertext }));
        fill.filled.push(col.column.to_string());
    }
    Ok(fill)
}

/// A record's `updated_at` as the undo log keeps it (RFC 3339).
pub fn updated_at<E: EntityTrait>(model: &E::Model) -> Result<String, DomainError> {
    match model.get(column::<E>("updated_at")?) {
        Value::ChronoDateTimeUtc(Some(t)) => Ok(t.to_rfc3339()),
        other => Err(DomainError::Corrupt(format!("updated_at is not a UTC timestamp: {other:?}"))),
    }
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, DomainError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DomainError::Corrupt(format!("merge ledger holds a bad timestamp {s}: {e}")))
}

/// The columns a tombstone's update sets: the survivor it now points at, the time, and the unique
/// values that moved off it cleared.
pub fn tombstone_sets<E: EntityTrait>(
    survivor_id: &str,
    at: DateTime<Utc>,
    cleared: &[Cleared],
) -> Result<Vec<(&'static str, Value)>, DomainError> {
    let mut sets = vec![("merged_into_id", Value::from(survivor_id)), ("updated_at", Value::from(at))];
    for c in cleared {
        sets.push((column::<E>(&c.col)?.as_str(), Value::String(None)));
    }
    Ok(sets)
}

/// The undo log of a ledger row the caller may replay: of the caller's entity (else the other
/// unmerge is named), not undone already (`claimed`: this unmerge marked it undone), readable.
pub fn undo_log(ledger: &merge_ledger::Model, entity: EntityType, claimed: bool) -> Result<Undo, DomainError> {
    let ledger_id = &ledger.ledger_id;
    if ledger.entity_type != entity {
        let other = if entity == EntityType::Contact { "unmergeAccounts" } else { "unmergeContacts" };
        let what = if ledger.entity_type == EntityType::Contact { "contacts" } else { "accounts" };
        return Err(DomainError::refused(
            "ledgerId",
            format!("ledger {ledger_id} records a merge of {what}; use {other}"),
        ));
    }
    if !claimed {
        return Err(DomainError::Conflict(format!("ledgerId: merge {ledger_id} was undone already")));
    }
    serde_json::from_value(ledger.undo.clone())
        .map_err(|e| DomainError::Corrupt(format!("merge ledger {ledger_id}: unreadable undo log: {e}")))
}

/// The columns that give the survivor back its state before the merge: its `updated_at`, and
/// every filled column its previous NULL or `''`.
pub fn survivor_restore<E: EntityTrait>(
    undo: &Undo,
    survivor: &E::Model,
) -> Result<Vec<(&'static str, Value)>, DomainError> {
    let mut sets = vec![("updated_at", Value::from(parse_time(&undo.survivor_updated_at)?))];
    for f in &undo.filled {
        let c = column::<E>(&f.col)?;
        let value = match &f.old {
            Some(s) => Value::from(s.as_str()),
            None => survivor.get(c).as_null(),
        };
        sets.push((c.as_str(), value));
    }
    Ok(sets)
}

/// The columns that bring a tombstone back: no longer merged, its `updated_at`, its cleared values.
pub fn tombstone_restore<E: EntityTrait>(t: &Tombstone) -> Result<Vec<(&'static str, Value)>, DomainError> {
    let mut sets =
        vec![("merged_into_id", Value::String(None)), ("updated_at", Value::from(parse_time(&t.updated_at)?))];
    for c in &t.cleared {
        sets.push((column::<E>(&c.col)?.as_str(), Value::from(c.old.as_str())));
    }
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use entity::enums::{AccountStatus, AccountType, ContactStatus};
    use entity::{account, contact};

    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
    }

    fn contact_rules() -> FillRules {
        FillRules {
            sealed: vec![
                SealedColumn { column: "mobile_phone", bidx: "mobile_phone_bidx", unique: true },
                SealedColumn { column: "email", bidx: "email_bidx", unique: true },
                SealedColumn { column: "wechat_id", bidx: "wechat_id_bidx", unique: false },
            ],
            unique_plain: vec![],
        }
    }

    fn account_rules() -> FillRules {
        FillRules { sealed: vec![], unique_plain: vec!["unified_social_credit_code"] }
    }

    fn contact(id: &str) -> contact::Model {
        contact::Model {
            contact_id: id.into(),
            contact_name: "张伟".into(),
            mobile_phone: None,
            mobile_phone_bidx: None,
            email: None,
            email_bidx: None,
            wechat_id: None,
            wechat_id_bidx: None,
            job_title: None,
            department: None,
            contact_status: ContactStatus::Active,
            primary_account_id: None,
            contact_source: None,
            primary_channel_id: None,
            owner_user_id: None,
            created_at: at(),
            updated_at: at(),
            custom_fields: None,
            lifecycle_stage: None,
            is_decision_maker: false,
            is_verified: false,
            merged_into_id: None,
        }
    }

    fn account(id: &str) -> account::Model {
        account::Model {
            account_id: id.into(),
            account_name: "星辰科技".into(),
            unified_social_credit_code: None,
            account_type: AccountType::Prospect,
            industry_id: None,
            account_status: AccountStatus::Active,
            account_level: None,
            annual_revenue: None,
            employee_count: None,
            company_website: None,
            company_address: None,
            province: None,
            city: None,
            district: None,
            account_source: None,
            primary_channel_id: None,
            owner_user_id: None,
            created_at: at(),
            updated_at: at(),
            custom_fields: None,
            lifecycle_stage: None,
            merged_into_id: None,
        }
    }

    fn reference(pk: &str, target: &str, group: &[&str], other: Option<&str>) -> Reference {
        Reference { pk: pk.into(), target: target.into(), group: ids(group), other: other.map(str::to_string) }
    }

    fn set_names(fill: &Fill) -> Vec<&str> {
        fill.sets.iter().map(|(name, _)| *name).collect()
    }

    #[test]
    fn merged_ids_must_be_distinct_non_empty_bounded_and_not_the_survivor() {
        assert!(check_ids("S", &ids(&["A", "B"])).is_ok());
        assert_eq!(check_ids(" ", &ids(&["A"])).unwrap_err().to_string(), "survivorId: must not be empty");
        assert_eq!(check_ids("S", &[]).unwrap_err().to_string(), "mergedIds: at least one record to merge");
        let e = check_ids("S", &ids(&["A", "S"])).unwrap_err();
        assert_eq!(e.to_string(), "mergedIds[1]: is the survivor; a record cannot merge into itself");
        assert_eq!(check_ids("S", &ids(&["A", "A"])).unwrap_err().to_string(), "mergedIds[1]: A is listed twice");
        let many: Vec<String> = (0..=MAX_MERGED).map(|i| format!("C{i}")).collect();
        assert_eq!(check_ids("S", &many).unwrap_err().to_string(), "mergedIds: at most 20 records per merge");
    }

    #[test]
    fn a_tombstone_takes_no_part_in_a_merge_and_says_where_it_went() {
        assert!(ensure_live::<contact::Entity>("survivorId", &contact("CNT_1")).is_ok());
        let tombstone = contact::Model { merged_into_id: Some("CNT_1".into()), ..contact("CNT_2") };
        let e = ensure_live::<contact::Entity>("mergedIds[0]", &tombstone).unwrap_err();
        assert!(matches!(&e, DomainError::Conflict(_)));
        assert_eq!(e.to_string(), "mergedIds[0]: contact CNT_2 was merged into CNT_1 already (unmerge that first)");
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
    fn rows_move_in_merged_order_then_by_key_one_statement_per_merged_record() {
        let rows = vec![
            reference("EVT_3", "CNT_B", &[], None),
            reference("EVT_2", "CNT_A", &[], None),
            reference("EVT_1", "CNT_B", &[], None),
        ];
        let plan = repoint(rows, &ids(&["CNT_B", "CNT_A"]), "CNT_S", false, vec![]);
        assert_eq!(
            plan.moves,
            vec![("CNT_B".to_string(), ids(&["EVT_1", "EVT_3"])), ("CNT_A".to_string(), ids(&["EVT_2"]))]
        );
        assert_eq!(plan.left, 0);
    }

    #[test]
    fn a_row_whose_group_the_survivor_has_stays_on_its_tombstone() {
        let rows =
            vec![reference("TGR_1", "CNT_A", &["TAG_VIP"], None), reference("TGR_2", "CNT_A", &["TAG_NEW"], None)];
        let plan = repoint(rows, &ids(&["CNT_A"]), "CNT_S", true, vec![ids(&["TAG_VIP"])]);
        assert_eq!(plan.moves, vec![("CNT_A".to_string(), ids(&["TGR_2"]))]);
        assert_eq!(plan.left, 1);
    }

    #[test]
    fn of_two_merged_records_with_the_same_group_only_the_first_moves_its_row() {
        let rows =
            vec![reference("TGR_2", "CNT_B", &["TAG_VIP"], None), reference("TGR_1", "CNT_A", &["TAG_VIP"], None)];
        let plan = repoint(rows.clone(), &ids(&["CNT_B", "CNT_A"]), "CNT_S", true, vec![]);
        assert_eq!((plan.moves, plan.left), (vec![("CNT_B".to_string(), ids(&["TGR_2"]))], 1));
        let plan = repoint(rows, &ids(&["CNT_B", "CNT_A"]), "CNT_S", false, vec![]);
        assert_eq!(plan.left, 0, "without a unique index every row moves");
    }

    #[test]
    fn an_account_relation_that_would_point_at_itself_stays_on_its_tombstone() {
        let rows = vec![
            reference("ARL_1", "ACC_A", &["ACC_S"], Some("ACC_S")),
            reference("ARL_2", "ACC_A", &["ACC_X"], Some("ACC_X")),
        ];
        let plan = repoint(rows, &ids(&["ACC_A"]), "ACC_S", true, vec![]);
        assert_eq!((plan.moves, plan.left), (vec![("ACC_A".to_string(), ids(&["ARL_2"]))], 1));
    }

    #[test]
    fn the_survivor_takes_the_first_non_blank_value_only_where_its_field_is_empty() {
        let mut survivor = contact("CNT_S");
        survivor.job_title = Some("总监".into());
        survivor.department = Some(String::new());
        let mut a = contact("CNT_A");
        a.job_title = Some("经理".into());
        a.department = Some("  ".into());
        a.primary_channel_id = Some("CH_A".into());
        let mut b = contact("CNT_B");
        b.department = Some("销售部".into());
        b.primary_channel_id = Some("CH_B".into());
        b.lifecycle_stage = Some(entity::enums::ContactLifecycleStage::Customer);
        b.custom_fields = Some(serde_json::json!({ "vip": true }));
        let fill = fill::<contact::Entity>(&contact_rules(), &survivor, &[a, b]).unwrap();
        assert_eq!(set_names(&fill), ["department", "primary_channel_id", "custom_fields", "lifecycle_stage"]);
        assert_eq!(fill.sets[0].1, Take::Value(Value::from("销售部")), "a blank value is not copied");
        assert_eq!(fill.sets[1].1, Take::Value(Value::from("CH_A")), "the first merged record wins");
        assert_eq!(
            fill.guard_text,
            ["department", "primary_channel_id", "lifecycle_stage"],
            "enums are stored as text"
        );
        assert_eq!(fill.guard_null, ["merged_into_id", "custom_fields"], "other columns are guarded on NULL");
        assert_eq!(
            fill.undo,
            [
                Filled { col: "department".into(), old: Some(String::new()) },
                Filled { col: "primary_channel_id".into(), old: None },
                Filled { col: "custom_fields".into(), old: None },
                Filled { col: "lifecycle_stage".into(), old: None },
            ]
        );
        assert!(fill.cleared.iter().all(Vec::is_empty), "nothing unique moved");
    }

    #[test]
    fn keys_timestamps_flags_and_blind_indexes_are_never_filled() {
        let mut survivor = contact("CNT_S");
        survivor.contact_name = String::new();
        let mut a = contact("CNT_A");
        a.merged_into_id = Some("CNT_X".into());
        a.email_bidx = Some("abc".into());
        a.is_verified = true;
        let fill = fill::<contact::Entity>(&contact_rules(), &survivor, &[a]).unwrap();
        assert!(fill.sets.is_empty(), "{:?}", set_names(&fill));
    }

    #[test]
    fn a_unique_plain_value_moves_and_is_cleared_on_its_tombstone() {
        let survivor = account("ACC_S");
        let a = account("ACC_A");
        let mut b = account("ACC_B");
        b.unified_social_credit_code = Some("91110000MA01ABCD1X".into());
        b.city = Some("北京".into());
        let fill = fill::<account::Entity>(&account_rules(), &survivor, &[a, b]).unwrap();
        assert_eq!(set_names(&fill), ["unified_social_credit_code", "city"]);
        assert_eq!(
            fill.cleared,
            [vec![], vec![Cleared { col: "unified_social_credit_code".into(), old: "91110000MA01ABCD1X".into() }]]
        );
        let sets = tombstone_sets::<account::Entity>("ACC_S", at(), &fill.cleared[1]).unwrap();
        assert_eq!(
            sets,
            [
                ("merged_into_id", Value::from("ACC_S")),
                ("updated_at", Value::from(at())),
                ("unified_social_credit_code", Value::String(None)),
            ]
        );
    }

    #[test]
    fn encrypted_values_are_resealed_and_unique_ones_move_with_their_blind_index() {
        let mut survivor = contact("CNT_S");
        survivor.email = Some("v1:k:own".into());
        let mut a = contact("CNT_A");
        a.mobile_phone = Some("v1:k:phone".into());
        a.mobile_phone_bidx = Some("pbidx".into());
        a.email = Some("v1:k:mail".into());
        a.wechat_id = Some("v1:k:wx".into());
        a.wechat_id_bidx = Some("wbidx".into());
        let fill = fill::<contact::Entity>(&contact_rules(), &survivor, &[a]).unwrap();
        let phone = contact_rules().sealed[0];
        let wechat = contact_rules().sealed[2];
        assert_eq!(
            fill.sets,
            [
                ("mobile_phone", Take::Reseal { column: phone, from: 0, ciphertext: "v1:k:phone".into() }),
                ("wechat_id", Take::Reseal { column: wechat, from: 0, ciphertext: "v1:k:wx".into() }),
            ],
            "the survivor's own e-mail stays"
        );
        assert_eq!(fill.filled, ["mobile_phone", "wechat_id"]);
        assert_eq!(fill.guard_text, ["mobile_phone", "wechat_id"]);
        assert_eq!(
            fill.cleared[0],
            [
                Cleared { col: "mobile_phone".into(), old: "v1:k:phone".into() },
                Cleared { col: "mobile_phone_bidx".into(), old: "pbidx".into() },
            ],
            "a WeChat id is not unique: it is copied, not moved"
        );
        let undone: Vec<&str> = fill.undo.iter().map(|f| f.col.as_str()).collect();
        assert_eq!(undone, ["mobile_phone", "mobile_phone_bidx", "wechat_id", "wechat_id_bidx"]);
    }

    #[test]
    fn unmerge_gives_the_survivor_and_the_tombstones_their_logged_values_back() {
        let survivor = contact("CNT_S");
        let undo = Undo {
            survivor_updated_at: at().to_rfc3339(),
            filled: vec![
                Filled { col: "department".into(), old: Some(String::new()) },
                Filled { col: "lifecycle_stage".into(), old: None },
            ],
            ..Undo::default()
        };
        let sets = survivor_restore::<contact::Entity>(&undo, &survivor).unwrap();
        assert_eq!(sets[0], ("updated_at", Value::from(at())));
        assert_eq!(sets[1], ("department", Value::from("")));
        assert_eq!(sets[2].0, "lifecycle_stage");
        assert!(is_null(&sets[2].1), "NULL of the column's own type");
        let t = Tombstone {
            id: "CNT_A".into(),
            updated_at: at().to_rfc3339(),
            cleared: vec![Cleared { col: "email".into(), old: "v1:k:mail".into() }],
        };
        assert_eq!(
            tombstone_restore::<contact::Entity>(&t).unwrap(),
            [
                ("merged_into_id", Value::String(None)),
                ("updated_at", Value::from(at())),
                ("email", Value::from("v1:k:mail")),
            ]
        );
        let forged = Tombstone { cleared: vec![Cleared { col: "password".into(), old: "x".into() }], ..t };
        assert!(matches!(tombstone_restore::<contact::Entity>(&forged), Err(DomainError::Corrupt(_))));
    }

    #[test]
    fn a_ledger_replays_only_for_its_own_entity_once_and_when_readable() {
        let undo = Undo { survivor_updated_at: at().to_rfc3339(), ..Undo::default() };
        let ledger = merge_ledger::Model {
            ledger_id: "MRG_1".into(),
            entity_type: EntityType::Contact,
            survivor_id: "CNT_S".into(),
            merged_ids: serde_json::json!(["CNT_A"]),
            undo: serde_json::to_value(&undo).unwrap(),
            merged_at: at(),
            merged_by_user_id: None,
            unmerged_at: None,
        };
        assert_eq!(undo_log(&ledger, EntityType::Contact, true).unwrap(), undo);
        let e = undo_log(&ledger, EntityType::Account, true).unwrap_err();
        assert_eq!(e.to_string(), "ledgerId: ledger MRG_1 records a merge of contacts; use unmergeContacts");
        let e = undo_log(&ledger, EntityType::Contact, false).unwrap_err();
        assert_eq!(e.to_string(), "ledgerId: merge MRG_1 was undone already");
        let unreadable = merge_ledger::Model { undo: serde_json::json!([]), ..ledger };
        assert!(matches!(undo_log(&unreadable, EntityType::Contact, true), Err(DomainError::Corrupt(_))));
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
        assert_eq!(updated_at::<contact::Entity>(&contact("CNT_1")).unwrap(), at().to_rfc3339());
    }
}
