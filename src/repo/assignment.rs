//! SQL of the assignment rules (`services::assignment`): the ROUND_ROBIN cursors
//! (`assignment_cursor`, migration 13), the candidates' status, quota and open leads in one
//! statement, the team queues' sizes, the moves of a round's leads (one UPDATE whatever the
//! owners, or the owner columns of leads not written yet), and what a simulation replays (a
//! window's leads, their first owners).

use chrono::{DateTime, Utc};
use entity::enums::LeadStatus;
use entity::lead;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};

use crate::error::AppResult;
use crate::repo::bulk::{max_bind_params, placeholders};
use crate::repo::write::table;

/// Advances the rule's cursor by `n` and returns where it was: the rotation's first position for
/// this round's `n` leads. One atomic upsert: concurrent rounds (on any replica) get disjoint ranges.
/// It locks the row until `db`'s transaction ends, so on PostgreSQL the caller runs it apart
/// ([`advance_cursor_apart`]), not in the round's transaction; SQLite has one writer.
pub async fn advance_cursor(db: &impl ConnectionTrait, key: &str, n: i64) -> AppResult<i64> {
    advance(db, key, n, "VALUES ($1, $2)").await
}

/// [`advance_cursor`] as a transaction of its own on `pool` (PostgreSQL), committed without
/// waiting for its WAL flush (`synchronous_commit` off for this transaction only): the round that
/// uses the positions commits after it with a flush, which makes the advance durable too (WAL is
/// flushed in order), and a crash before that loses only positions no committed round used. The
/// flush cost a few milliseconds per round on a disk with a slow `fdatasync`.
pub async fn advance_cursor_apart(pool: &sea_orm::DatabaseConnection, key: &str, n: i64) -> AppResult<i64> {
    advance(pool, key, n, "SELECT $1, $2 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush").await
}

async fn advance(db: &impl ConnectionTrait, key: &str, n: i64, source: &str) -> AppResult<i64> {
    let backend = db.get_database_backend();
    let sql = format!(
        "INSERT INTO assignment_cursor (rule_key, position) {source} \
         ON CONFLICT (rule_key) DO UPDATE SET position = assignment_cursor.position + excluded.position \
         RETURNING position"
    );
    let row =
        db.query_one_raw(Statement::from_sql_and_values(backend, sql, [Value::from(key), Value::from(n)])).await?;
    let end: i64 = match row {
        Some(r) => r.try_get("", "position")?,
        None => n,
    };
    Ok(end - n)
}

/// A candidate owner as the round sees it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Candidate {
    pub user_id: String,
    pub user_status: String,
    pub claim_quota: i32,
    /// Open leads (not CONVERTED, not DISQUALIFIED) the user owns.
    pub open_leads: i64,
}

/// The users `ids` with their open leads counted, in one statement (each count a range of
/// `idx_lead_owner_created`).
pub async fn candidates(db: &impl ConnectionTrait, ids: &[String]) -> AppResult<Vec<Candidate>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = candidates_statement(db.get_database_backend(), ids);
    Ok(Candidate::find_by_statement(stmt).all(db).await?)
}

/// The statement of [`candidates`] (`ids` not empty).
pub fn candidates_statement(backend: DbBackend, ids: &[String]) -> Statement {
    let sql = format!(
        "SELECT u.user_id, u.user_status, u.claim_quota, \
         (SELECT COUNT(*) FROM lead l WHERE l.owner_user_id = u.user_id AND l.lead_status NOT IN ({})) AS open_leads \
         FROM app_user u WHERE u.user_id IN ({})",
        placeholders(1, 2),
        placeholders(3, ids.len())
    );
    let mut values = vec![Value::from(LeadStatus::Converted.as_str()), Value::from(LeadStatus::Disqualified.as_str())];
    values.extend(ids.iter().map(|id| Value::from(id.as_str())));
    Statement::from_sql_and_values(backend, sql, values)
}

#[derive(Debug, FromQueryResult)]
struct Queue {
    owner_team_id: String,
    n: i64,
}

/// How many open leads wait in each of the teams' queues (`idx_lead_owner_team`).
pub async fn team_queues(db: &impl ConnectionTrait, ids: &[String]) -> AppResult<Vec<(String, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = team_queues_statement(db.get_database_backend(), ids);
    let rows = Queue::find_by_statement(stmt).all(db).await?;
    Ok(rows.into_iter().map(|q| (q.owner_team_id, q.n)).collect())
}

/// The statement of [`team_queues`] (`ids` not empty).
pub fn team_queues_statement(backend: DbBackend, ids: &[String]) -> Statement {
    let sql = format!(
        "SELECT owner_team_id, COUNT(*) AS n FROM lead WHERE owner_team_id IN ({}) AND owner_user_id IS NULL \
         AND lead_status NOT IN ({}) GROUP BY owner_team_id",
        placeholders(1, ids.len()),
        placeholders(ids.len() + 1, 2)
    );
    let mut values: Vec<Value> = ids.iter().map(|id| Value::from(id.as_str())).collect();
    values.push(Value::from(LeadStatus::Converted.as_str()));
    values.push(Value::from(LeadStatus::Disqualified.as_str()));
    Statement::from_sql_and_values(backend, sql, values)
}

/// One lead's new owner: a user (with a lease until `until`) or a team's queue.
pub struct Gift<'a> {
    pub lead_id: &'a str,
    pub user: Option<&'a str>,
    pub team: Option<&'a str>,
    pub until: Option<DateTime<Utc>>,
}

/// Gives each lead that is still in the public pool to its new owner, in one statement per
/// bind-parameter chunk whatever the number of owners (a ROUND_ROBIN round over ten people is one
/// UPDATE, not ten). Returns the ids moved (a lead someone claimed meanwhile is left alone).
pub async fn give(db: &impl ConnectionTrait, gifts: &[Gift<'_>], now: DateTime<Utc>) -> AppResult<Vec<String>> {
    let backend = db.get_database_backend();
    let mut out = Vec::with_capacity(gifts.len());
    for chunk in gifts.chunks(max_bind_params(backend) / 4 - 1) {
        for row in db.query_all_raw(give_statement(backend, chunk, now)).await? {
            out.push(row.try_get::<String>("", "lead_id")?);
        }
    }
    Ok(out)
}

/// The statement of [`give`] for one chunk: the owners as a `VALUES` list joined to `lead` by key.
pub fn give_statement(backend: DbBackend, gifts: &[Gift<'_>], now: DateTime<Utc>) -> Statement {
    let rows: Vec<String> = (0..gifts.len()).map(|i| format!("({})", placeholders(4 * i + 2, 4))).collect();
    let sql = format!(
        "WITH gift(id, to_user, to_team, until) AS (VALUES {rows}) \
         UPDATE {lead} SET owner_user_id = gift.to_user, owner_team_id = gift.to_team, \
         owner_lease_until = gift.until, lease_extensions = 0, updated_at = $1 \
         FROM gift WHERE {lead}.lead_id = gift.id AND {lead}.owner_user_id IS NULL RETURNING lead_id",
        rows = rows.join(", "),
        lead = table::<lead::Entity>(),
    );
    let mut values = vec![Value::from(now)];
    for g in gifts {
        values.extend([
            Value::from(g.lead_id),
            Value::from(g.user.map(str::to_string)),
            Value::from(g.team.map(str::to_string)),
            Value::from(g.until),
        ]);
    }
    Statement::from_sql_and_values(backend, sql, values)
}

/// [`give`] for a lead not written yet: its row carries the owner the statement would set (a new
/// lead's `lease_extensions` is already 0; its `updated_at` is its creation).
pub fn give_new(row: &mut lead::ActiveModel, gift: &Gift<'_>) {
    use sea_orm::ActiveValue::Set;
    row.owner_user_id = Set(gift.user.map(str::to_string));
    row.owner_team_id = Set(gift.team.map(str::to_string));
    row.owner_lease_until = Set(gift.until);
}

/// The leads created in `[from, to)`, oldest first, at most `limit` (`idx_lead_created`).
pub async fn created_between(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<lead::Model>> {
    Ok(created_between_query(from, to, limit).all(db).await?)
}

/// The query of [`created_between`].
pub fn created_between_query(from: DateTime<Utc>, to: DateTime<Utc>, limit: u64) -> sea_orm::Select<lead::Entity> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    lead::Entity::find()
        .filter(lead::Column::CreatedAt.gte(from))
        .filter(lead::Column::CreatedAt.lt(to))
        .order_by_asc(lead::Column::CreatedAt)
        .order_by_asc(lead::Column::LeadId)
        .limit(limit)
}

/// Each lead's first owner by its assignment log: (lead id, user, team) of its earliest move to
/// a user or a team (`idx_lead_assignment_log_lead`).
pub async fn first_owners(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> AppResult<Vec<(String, Option<String>, Option<String>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, Option<String>, Option<String>)> = first_owners_query(ids).into_tuple().all(db).await?;
    let mut out: Vec<(String, Option<String>, Option<String>)> = Vec::new();
    for r in rows {
        if out.last().is_none_or(|l| l.0 != r.0) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The query of [`first_owners`]: every move of the leads to an owner, in order per lead.
pub fn first_owners_query(ids: &[String]) -> sea_orm::Select<entity::lead_assignment_log::Entity> {
    use entity::lead_assignment_log::{Column, Entity};
    use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    Entity::find()
        .select_only()
        .columns([Column::LeadId, Column::ToUserId, Column::ToTeamId])
        .filter(Column::LeadId.is_in(ids.iter().cloned()))
        .filter(Condition::any().add(Column::ToUserId.is_not_null()).add(Column::ToTeamId.is_not_null()))
        .order_by_asc(Column::LeadId)
        .order_by_asc(Column::AssignedAt)
        .order_by_asc(Column::LogId)
}
