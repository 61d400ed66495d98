//! SQL of identity resolution and lead conversion: the records a key matches and how many people
//! share it, whether an account and a contact are related, fill-only-empty updates, a lead's
//! channel identities, re-pointing a lead's activity, and the guarded upsert of a contact's channel
//! identity.
//! Column names come from constants of the callers, never from input; values are bound.

use entity::{account_contact_relation, contact_channel_identity, lead_channel_identity};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Func, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, Value,
};

use crate::error::AppResult;
use crate::repo::bulk::{max_bind_params, placeholders};
use crate::repo::write::{pk, table};

/// The rows of `E` whose `col` is `value`, oldest key first, at most `limit` of them.
pub async fn matching<E: EntityTrait>(
    db: &impl ConnectionTrait,
    col: E::Column,
    value: &str,
    limit: u64,
) -> AppResult<Vec<E::Model>> {
    Ok(E::find().filter(col.eq(value)).order_by_asc(pk::<E>()).limit(limit).all(db).await?)
}

/// The number of rows of `E` whose `col` is `value`.
pub async fn count_matching<E: EntityTrait>(db: &impl ConnectionTrait, col: E::Column, value: &str) -> AppResult<u64>
where
    E::Model: Sync,
{
    Ok(E::find().filter(col.eq(value)).count(db).await?)
}

/// The number of distinct people holding a PII key: contacts whose `bidx_col` is `contact_bidx`
/// (a merged contact counted as the contact it was merged into), plus leads whose `bidx_col` is
/// `lead_bidx` counted as their converted contact (or as themselves while not converted). Blind
/// indexes are keyed per table, hence the two values.
pub async fn people_sharing(
    db: &impl ConnectionTrait,
    bidx_col: &'static str,
    contact_bidx: &str,
    lead_bidx: &str,
) -> AppResult<u64> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (\
           SELECT COALESCE(merged_into_id, contact_id) AS who FROM contact WHERE {bidx_col} = $1 \
           UNION \
           SELECT COALESCE(converted_contact_id, lead_id) AS who FROM lead WHERE {bidx_col} = $2\
         ) shared"
    );
    let backend = db.get_database_backend();
    let stmt = Statement::from_sql_and_values(backend, sql, [Value::from(contact_bidx), Value::from(lead_bidx)]);
    let row = db.query_one_raw(stmt).await?;
    let n = row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// [`people_sharing`]'s lead half for many keys at once: `(lead blind index, person)` pairs — the
/// person being the lead's converted contact, or the lead while it is not converted.
pub async fn lead_holders(
    db: &impl ConnectionTrait,
    bidx_col: &'static str,
    lead_bidx: &[String],
) -> AppResult<Vec<(String, String)>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for chunk in lead_bidx.chunks(max_bind_params(backend)) {
        let sql = format!(
            "SELECT DISTINCT {bidx_col} AS k, COALESCE(converted_contact_id, lead_id) AS who FROM lead \
             WHERE {bidx_col} IN ({})",
            placeholders(1, chunk.len())
        );
        let values: Vec<Value> = chunk.iter().map(|b| Value::from(b.as_str())).collect();
        for row in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
            out.push((row.try_get::<String>("", "k")?, row.try_get::<String>("", "who")?));
        }
    }
    Ok(out)
}

/// The contact channel identities among these `(channel_id, channel_user_id)` pairs: one
/// statement per chunk, `(channel_id, channel_user_id) IN ((…), …)`, a probe of the unique
/// `(channel_id, channel_user_id)` index per pair.
pub async fn contact_identities(
    db: &impl ConnectionTrait,
    pairs: &[(String, String)],
) -> AppResult<Vec<contact_channel_identity::Model>> {
    use contact_channel_identity::{Column, Entity};
    let mut out = Vec::new();
    for chunk in pairs.chunks(max_bind_params(db.get_database_backend()) / 2) {
        let key = Expr::tuple([Expr::col(Column::ChannelId), Expr::col(Column::ChannelUserId)]);
        let found = Entity::find().filter(key.in_tuples(chunk.iter().cloned())).all(db).await?;
        out.extend(found);
    }
    Ok(out)
}

/// The channel identities of these leads, each lead's in capture order.
pub async fn leads_identities(
    db: &impl ConnectionTrait,
    lead_ids: &[String],
) -> AppResult<Vec<lead_channel_identity::Model>> {
    use lead_channel_identity::{Column, Entity};
    let mut out = Vec::new();
    for chunk in lead_ids.chunks(max_bind_params(db.get_database_backend())) {
        let rows = Entity::find()
            .filter(Column::LeadId.is_in(chunk.iter().cloned()))
            .order_by_asc(Column::LeadId)
            .order_by_asc(Column::CapturedAt)
            .order_by_asc(Column::IdentityId)
            .all(db)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Whether an `account_contact_relation` links the account and the contact.
pub async fn related(db: &impl ConnectionTrait, account_id: &str, contact_id: &str) -> AppResult<bool> {
    use account_contact_relation::{Column, Entity};
    let n = Entity::find()
        .filter(Column::AccountId.eq(account_id))
        .filter(Column::ContactId.eq(contact_id))
        .count(db)
        .await?;
    Ok(n > 0)
}

/// `UPDATE table SET sets… WHERE pk = id AND (col IS NULL OR col = '')` for every `col` of
/// `empty`: fills fields only while they are still empty. False when the row is gone or one of the
/// fields was filled meanwhile (the caller reports a concurrent change).
pub async fn update_if_empty<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: &str,
    sets: Vec<(&'static str, Value)>,
    empty: &[&'static str],
) -> AppResult<bool> {
    let mut q = Query::update();
    q.table(Alias::new(table::<E>())).and_where(Expr::col(Alias::new(pk::<E>().as_str())).eq(id));
    for (col, value) in sets {
        q.value(Alias::new(col), value);
    }
    for col in empty {
        q.cond_where(Cond::any().add(Expr::col(Alias::new(*col)).is_null()).add(Expr::col(Alias::new(*col)).eq("")));
    }
    Ok(db.execute(&q).await?.rows_affected() == 1)
}

/// Points the rows of `E` (touchpoints, events) carrying `lead_id` at a contact and an account,
/// where they point at none yet (a row already attributed elsewhere keeps its attribution).
/// Returns the rows changed.
pub async fn repoint_lead_rows<E: EntityTrait>(
    db: &impl ConnectionTrait,
    lead_id: &str,
    contact_id: &str,
    account_id: &str,
) -> AppResult<u64> {
    let coalesce = |col: &'static str, v: &str| Func::coalesce([Expr::col(Alias::new(col)), Expr::val(v)]);
    let mut q = Query::update();
    q.table(Alias::new(table::<E>()))
        .value(Alias::new("contact_id"), coalesce("contact_id", contact_id))
        .value(Alias::new("account_id"), coalesce("account_id", account_id))
        .and_where(Expr::col(Alias::new("lead_id")).eq(lead_id))
        .cond_where(
            Cond::any()
                .add(Expr::col(Alias::new("contact_id")).is_null())
                .add(Expr::col(Alias::new("account_id")).is_null()),
        );
    Ok(db.execute(&q).await?.rows_affected())
}

/// A lead's channel identities, in capture order.
pub async fn lead_identities(db: &impl ConnectionTrait, lead_id: &str) -> AppResult<Vec<lead_channel_identity::Model>> {
    use lead_channel_identity::{Column, Entity};
    let rows = Entity::find()
        .filter(Column::LeadId.eq(lead_id))
        .order_by_asc(Column::CapturedAt)
        .order_by_asc(Column::IdentityId)
        .all(db)
        .await?;
    Ok(rows)
}

/// The contact channel identity `(channel_id, channel_user_id)`, whoever holds it.
pub async fn contact_identity(
    db: &impl ConnectionTrait,
    channel_id: &str,
    channel_user_id: &str,
) -> AppResult<Option<contact_channel_identity::Model>> {
    use contact_channel_identity::{Column, Entity};
    let row = Entity::find()
        .filter(Column::ChannelId.eq(channel_id))
        .filter(Column::ChannelUserId.eq(channel_user_id))
        .one(db)
        .await?;
    Ok(row)
}

/// Inserts a contact's channel identity, or — when `(channel_id, channel_user_id)` exists and
/// already belongs to the same contact — updates its `first_seen_at`/`last_seen_at` to the given
/// values, in one statement (safe against a concurrent insert of the same identity). False when
/// the identity belongs to another contact: nothing was written.
pub async fn upsert_contact_identity(
    db: &impl ConnectionTrait,
    row: contact_channel_identity::Model,
) -> AppResult<bool> {
    use contact_channel_identity::{Column, Entity};
    let contact_id = row.contact_id.clone();
    let (first, last) = (row.first_seen_at, row.last_seen_at);
    let on_conflict = OnConflict::columns([Column::ChannelId, Column::ChannelUserId])
        .value(Column::FirstSeenAt, first)
        .value(Column::LastSeenAt, last)
        .action_and_where(Expr::col((Entity, Column::ContactId)).eq(contact_id))
        .to_owned();
    let written = Entity::insert(row.into_active_model()).on_conflict(on_conflict).exec_without_returning(db).await?;
    Ok(written == 1)
}
