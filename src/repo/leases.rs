//! SQL of the protection period (`services::leases`): the conditional moves of a lead between
//! owners and the pool, the facts a claim is decided on, renewal, and the sweeper's batch.

use chrono::{DateTime, Utc};
use entity::enums::{AssignmentKind, LeadStatus};
use entity::{acquisition_scene, app_user, lead, lead_assignment_log, lead_ingestion};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    Statement, Value,
};

use crate::error::AppResult;
use crate::repo::write::table;

/// The protection period of the scene whose ingestion created the lead (`idx_lead_ingestion_lead`).
pub async fn scene_period_hours(db: &impl ConnectionTrait, lead_id: &str) -> AppResult<Option<i32>> {
    let scene: Option<String> = lead_ingestion::Entity::find()
        .select_only()
        .column(lead_ingestion::Column::SceneId)
        .filter(lead_ingestion::Column::LeadId.eq(lead_id))
        .order_by_asc(lead_ingestion::Column::CreatedAt)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let Some(scene) = scene else { return Ok(None) };
    Ok(acquisition_scene::Entity::find_by_id(scene)
        .select_only()
        .column(acquisition_scene::Column::ProtectionPeriodHours)
        .into_tuple()
        .one(db)
        .await?)
}

/// The scene of the ingestion that created each of the leads: `(lead id, scene id)`
/// (`idx_lead_ingestion_lead`; leads typed in by hand have none).
pub async fn scenes_of(db: &impl ConnectionTrait, lead_ids: &[String]) -> AppResult<Vec<(String, String)>> {
    if lead_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(Option<String>, String)> = lead_ingestion::Entity::find()
        .select_only()
        .column(lead_ingestion::Column::LeadId)
        .column(lead_ingestion::Column::SceneId)
        .filter(lead_ingestion::Column::LeadId.is_in(lead_ids.iter().cloned()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(lead, scene)| Some((lead?, scene))).collect())
}

/// The user, its row locked until the transaction ends (`FOR UPDATE` on PostgreSQL; SQLite holds
/// the database's write lock already): two claims by one user are counted against the quota one
/// after the other.
pub async fn lock_user(db: &impl ConnectionTrait, user_id: &str) -> AppResult<Option<app_user::Model>> {
    Ok(app_user::Entity::find_by_id(user_id.to_string()).lock_exclusive().one(db).await?)
}

/// The open leads (not CONVERTED, not DISQUALIFIED) a user owns (the owner's foreign-key index).
pub async fn open_leads_owned(db: &impl ConnectionTrait, user_id: &str) -> AppResult<u64> {
    let closed = [LeadStatus::Converted.as_str(), LeadStatus::Disqualified.as_str()];
    let mut q = Query::select();
    q.expr_as(Func::count(Expr::col(lead::Column::LeadId)), Alias::new("n"))
        .from(Alias::new(table::<lead::Entity>()))
        .and_where(Expr::col(lead::Column::OwnerUserId).eq(user_id))
        .and_where(Expr::col(lead::Column::LeadStatus).is_not_in(closed));
    let n: i64 = match db.query_one(&q).await? {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// When the user last released or lost the lead (the cooldown's start), from the log
/// (`idx_lead_assignment_log_lead`).
pub async fn last_lost_at(db: &impl ConnectionTrait, lead_id: &str, user_id: &str) -> AppResult<Option<DateTime<Utc>>> {
    let at: Option<DateTime<Utc>> = lead_assignment_log::Entity::find()
        .select_only()
        .column(lead_assignment_log::Column::AssignedAt)
        .filter(lead_assignment_log::Column::LeadId.eq(lead_id))
        .filter(lead_assignment_log::Column::FromUserId.eq(user_id))
        .filter(lead_assignment_log::Column::Kind.is_in([AssignmentKind::Released, AssignmentKind::ReturnedToPool]))
        .order_by_desc(lead_assignment_log::Column::AssignedAt)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    Ok(at)
}

/// `UPDATE lead SET sets… WHERE lead_id = id AND expect…`, where an expected `None` is `IS NULL`:
/// true when the lead still was as read. Of concurrent moves of one lead, the first to commit
/// wins and the others match no row (PostgreSQL re-checks the condition after the winner's row
/// lock; SQLite runs one writer at a time).
pub async fn move_lead(
    db: &impl ConnectionTrait,
    lead_id: &str,
    sets: Vec<(lead::Column, Value)>,
    expect: Vec<(lead::Column, Option<Value>)>,
) -> AppResult<bool> {
    let mut q = Query::update();
    q.table(Alias::new(table::<lead::Entity>())).and_where(Expr::col(lead::Column::LeadId).eq(lead_id));
    for (col, value) in sets {
        q.value(col, value);
    }
    for (col, value) in expect {
        match value {
            Some(v) => q.and_where(Expr::col(col).eq(v)),
            None => q.and_where(Expr::col(col).is_null()),
        };
    }
    Ok(db.execute(&q).await?.rows_affected() == 1)
}

/// Renewal: the owner's lease becomes `until` unless it already lasts as long (and only while
/// `owner` holds a lease on the lead). True when the lease changed.
pub async fn renew(
    db: &impl ConnectionTrait,
    lead_id: &str,
    owner: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let mut q = Query::update();
    q.table(Alias::new(table::<lead::Entity>()))
        .value(lead::Column::OwnerLeaseUntil, until)
        .value(lead::Column::UpdatedAt, now)
        .and_where(Expr::col(lead::Column::LeadId).eq(lead_id))
        .and_where(Expr::col(lead::Column::OwnerUserId).eq(owner))
        .and_where(Expr::col(lead::Column::OwnerLeaseUntil).lt(until));
    Ok(db.execute(&q).await?.rows_affected() == 1)
}

/// A lead whose lease ran out, as the sweeper took it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Expired {
    pub lead_id: String,
    pub owner_user_id: Option<String>,
    pub channel_id: Option<String>,
    pub lead_status: String,
}

/// Arbitrary constant shared by every replica: "cdp360 lease sweeper".
const SWEEP_LOCK_KEY: i64 = 0x0cd9_3600_0016;

/// Takes the sweeper's transaction-scoped lock on PostgreSQL; false when another replica holds it
/// (SQLite has one writer at a time: always true).
pub async fn try_lock_sweep(db: &impl ConnectionTrait) -> AppResult<bool> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let sql = format!("SELECT pg_try_advisory_xact_lock({SWEEP_LOCK_KEY}) AS locked");
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    Ok(row.map(|r| r.try_get::<bool>("", "locked")).transpose()?.unwrap_or(false))
}

/// Up to `limit` leads whose lease ended at or before `now`, oldest lease first: a range of
/// `idx_lead_owner_lease_until`, the rows locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so a
/// claim or renewal in flight is left for the next sweep rather than waited for).
pub async fn expired(db: &impl ConnectionTrait, now: DateTime<Utc>, limit: u64) -> AppResult<Vec<Expired>> {
    let mut q = Query::select();
    q.columns([lead::Column::LeadId, lead::Column::OwnerUserId, lead::Column::ChannelId, lead::Column::LeadStatus])
        .from(Alias::new(table::<lead::Entity>()))
        .and_where(Expr::col(lead::Column::OwnerLeaseUntil).lte(now))
        .order_by(lead::Column::OwnerLeaseUntil, Order::Asc)
        .limit(limit);
    let backend = db.get_database_backend();
    let (sql, values) = match backend {
        DbBackend::Postgres => {
            q.lock_with_behavior(sea_orm::sea_query::LockType::Update, sea_orm::sea_query::LockBehavior::SkipLocked);
            q.build(sea_orm::sea_query::PostgresQueryBuilder)
        }
        _ => q.build(sea_orm::sea_query::SqliteQueryBuilder),
    };
    let stmt = Statement::from_sql_and_values(backend, sql, values);
    Ok(Expired::find_by_statement(stmt).all(db).await?)
}

/// The sweep's one UPDATE: the leads `ids` (still expired at `now`) lose their owner and lease;
/// those in `keep_owner` (converted leads, whose owner stays) lose only the lease.
pub async fn return_to_pool(
    db: &impl ConnectionTrait,
    ids: &[String],
    keep_owner: &[String],
    now: DateTime<Utc>,
) -> AppResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut q = Query::update();
    q.table(Alias::new(table::<lead::Entity>()))
        .value(lead::Column::OwnerLeaseUntil, Option::<DateTime<Utc>>::None)
        .value(lead::Column::LeaseExtensions, 0)
        .value(lead::Column::UpdatedAt, now)
        .and_where(Expr::col(lead::Column::LeadId).is_in(ids.iter().cloned()))
        .and_where(Expr::col(lead::Column::OwnerLeaseUntil).lte(now));
    if keep_owner.is_empty() {
        q.value(lead::Column::OwnerUserId, Option::<String>::None);
    } else {
        let keep = Expr::col(lead::Column::LeadId).is_in(keep_owner.iter().cloned());
        q.value(
            lead::Column::OwnerUserId,
            Expr::case(keep, Expr::col(lead::Column::OwnerUserId)).finally(Expr::value(Option::<String>::None)),
        );
    }
    Ok(db.execute(&q).await?.rows_affected())
}
