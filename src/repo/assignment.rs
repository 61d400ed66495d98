//! SQL of the assignment rules (`services::assignment`): the ROUND_ROBIN cursors
//! (`assignment_cursor`, migration 14), the candidates' status, quota and open leads in one
//! statement, the team queues' sizes, and the moves of a round's leads, one UPDATE per owner.

use chrono::{DateTime, Utc};
use entity::enums::LeadStatus;
use entity::lead;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};

use crate::error::AppResult;
use crate::repo::write::table;

fn placeholders(backend: DbBackend, from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| match backend {
            DbBackend::Postgres => format!("${i}"),
            _ => "?".to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Advances the rule's cursor by `n` and returns where it was: the rotation's first position for
/// this round's `n` leads. One atomic upsert: concurrent rounds (on any replica) get disjoint ranges
/// (PostgreSQL locks the row until the round commits; SQLite has one writer).
pub async fn advance_cursor(db: &impl ConnectionTrait, key: &str, n: i64) -> AppResult<i64> {
    let backend = db.get_database_backend();
    let sql = format!(
        "INSERT INTO assignment_cursor (rule_key, position) VALUES ({}) \
         ON CONFLICT (rule_key) DO UPDATE SET position = assignment_cursor.position + excluded.position \
         RETURNING position",
        placeholders(backend, 1, 2)
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
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT u.user_id, u.user_status, u.claim_quota, \
         (SELECT COUNT(*) FROM lead l WHERE l.owner_user_id = u.user_id AND l.lead_status NOT IN ({})) AS open_leads \
         FROM app_user u WHERE u.user_id IN ({})",
        placeholders(backend, 1, 2),
        placeholders(backend, 3, ids.len())
    );
    let mut values = vec![Value::from(LeadStatus::Converted.as_str()), Value::from(LeadStatus::Disqualified.as_str())];
    values.extend(ids.iter().map(|id| Value::from(id.as_str())));
    Ok(Candidate::find_by_statement(Statement::from_sql_and_values(backend, sql, values)).all(db).await?)
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
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT owner_team_id, COUNT(*) AS n FROM lead WHERE owner_team_id IN ({}) AND owner_user_id IS NULL \
         AND lead_status NOT IN ({}) GROUP BY owner_team_id",
        placeholders(backend, 1, ids.len()),
        placeholders(backend, ids.len() + 1, 2)
    );
    let mut values: Vec<Value> = ids.iter().map(|id| Value::from(id.as_str())).collect();
    values.push(Value::from(LeadStatus::Converted.as_str()));
    values.push(Value::from(LeadStatus::Disqualified.as_str()));
    let rows = Queue::find_by_statement(Statement::from_sql_and_values(backend, sql, values)).all(db).await?;
    Ok(rows.into_iter().map(|q| (q.owner_team_id, q.n)).collect())
}

/// Gives the leads `ids` that are still in the public pool to a user (with a lease until `until`)
/// or to a team's queue. Returns the ids moved (a lead someone claimed meanwhile is left alone).
pub async fn give(
    db: &impl ConnectionTrait,
    ids: &[String],
    user: Option<&str>,
    team: Option<&str>,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::update();
    q.table(Alias::new(table::<lead::Entity>()))
        .value(lead::Column::OwnerUserId, user.map(str::to_string))
        .value(lead::Column::OwnerTeamId, team.map(str::to_string))
        .value(lead::Column::OwnerLeaseUntil, until)
        .value(lead::Column::LeaseExtensions, 0)
        .value(lead::Column::UpdatedAt, now)
        .and_where(Expr::col(lead::Column::LeadId).is_in(ids.iter().cloned()))
        .and_where(Expr::col(lead::Column::OwnerUserId).is_null())
        .returning_col(lead::Column::LeadId);
    let mut out = Vec::with_capacity(ids.len());
    for row in db.query_all(&q).await? {
        out.push(row.try_get::<String>("", "lead_id")?);
    }
    Ok(out)
}
