//! The protection period and the pools (issue 16, part 4; the decisions are `domain::lease`):
//! `claimLead`, `releaseLead`, `extendLease`, the manual moves `assignLead` / `reassignLeads`,
//! renewal by a follow-up (called from the writes that cause it, in their transaction), and the
//! sweeper that returns expired leads to the public pool.
//!
//! Every move is one `Write`: the conditional UPDATE of the lead (it must still be as read, or the
//! move is `CONFLICT`), a `lead_assignment_log` row, and the domain events, committed together.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use entity::enums::{AssignmentKind, LeadStatus, TouchpointDirection, TouchpointType, UserRole, UserStatus};
use entity::{app_user, lead, lead_assignment_log, team};
use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};

use crate::auth::Scope;
use crate::catalog::Catalogued;
use crate::config::LeaseSettings;
use crate::domain::lease::{self, ClaimFacts};
use crate::error::{AppError, AppResult};
use crate::pubsub::DomainEvent;
use crate::repo;
use crate::repo::leases::Expired;
use crate::services::tx::{Store, Write};
use crate::services::write::{Actor, new_id, visible};

const LEAD: repo::page::Table = <lead::Entity as Catalogued>::TABLE;
const LOG_PREFIX: &str = <lead_assignment_log::Entity as Catalogued>::FACTS.prefix;
/// Leads one `reassignLeads` call moves.
pub const MAX_REASSIGN: usize = 500;
/// `lead_assignment_log.reason` is 500 characters.
const MAX_REASON_CHARS: usize = 500;

/// Who a manual move gives the lead to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    User(String),
    Team(String),
}

impl Target {
    /// Exactly one of `userId` / `teamId`.
    pub fn from_input(user_id: Option<String>, team_id: Option<String>) -> AppResult<Target> {
        match (user_id, team_id) {
            (Some(u), None) => Ok(Target::User(u)),
            (None, Some(t)) => Ok(Target::Team(t)),
            _ => Err(AppError::bad_input("userId, teamId: give exactly one of them")),
        }
    }
}

/// The staff user behind the caller's token, or `FORBIDDEN`: the pool actions act as a person.
async fn acting_user(txn: &DatabaseTransaction, actor: &Actor, action: &str) -> AppResult<String> {
    actor.user_id(txn).await?.ok_or_else(|| {
        AppError::Forbidden(format!("{action} acts as a staff user: the token's subject must be an app_user id"))
    })
}

fn reason(raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(r) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    if r.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::bad_input(format!("reason: at most {MAX_REASON_CHARS} characters")));
    }
    Ok(Some(r.to_string()))
}

/// The length of a lease on this lead: its scene's protection period, else the setting.
async fn lease_length(db: &impl ConnectionTrait, settings: &LeaseSettings, lead_id: &str) -> AppResult<Duration> {
    let hours = repo::leases::scene_period_hours(db, lead_id).await?;
    Ok(lease::lease_length(hours, settings.default_length))
}

fn moved_concurrently(lead_id: &str) -> AppError {
    AppError::Conflict(format!("leadId: lead {lead_id} was moved by another request meanwhile"))
}

struct LogEntry<'a> {
    lead_id: &'a str,
    kind: AssignmentKind,
    from: Option<String>,
    to_user: Option<String>,
    to_team: Option<String>,
    lease_until: Option<DateTime<Utc>>,
    actor: Option<String>,
    reason: Option<String>,
    at: DateTime<Utc>,
}

fn log_row(e: LogEntry<'_>) -> lead_assignment_log::Model {
    lead_assignment_log::Model {
        log_id: new_id(LOG_PREFIX),
        lead_id: e.lead_id.to_string(),
        kind: e.kind,
        from_user_id: e.from,
        to_user_id: e.to_user,
        to_team_id: e.to_team,
        assigned_at: e.at,
        lease_until: e.lease_until,
        actor_user_id: e.actor,
        rule_id: None,
        strategy: None,
        reason: e.reason,
        trace: None,
    }
}

async fn reread(txn: &DatabaseTransaction, lead_id: &str) -> AppResult<lead::Model> {
    repo::write::find_by_id::<lead::Entity>(txn, lead_id).await?.ok_or_else(|| moved_concurrently(lead_id))
}

/// `claimLead`: the caller takes a lead from the public pool (or its team's queue) with a fresh
/// lease. Of concurrent claims of one lead exactly one wins; the others are `CONFLICT`.
pub async fn claim(store: &Store, actor: &Actor, lead_id: &str, now: DateTime<Utc>) -> AppResult<lead::Model> {
    let settings = store.leases();
    let w = Write::begin(store).await?;
    let txn: &DatabaseTransaction = &w;
    let user_id = acting_user(txn, actor, "claimLead").await?;
    let user = repo::leases::lock_user(txn, &user_id)
        .await?
        .ok_or_else(|| AppError::Forbidden("claimLead: unknown user".into()))?;
    let found: lead::Model = visible(txn, actor, LEAD, lead_id).await?;
    let facts = ClaimFacts {
        lead_id,
        lead_status: found.lead_status,
        owner_user_id: found.owner_user_id.as_deref(),
        owner_team_id: found.owner_team_id.as_deref(),
        user_status: user.user_status,
        user_team_id: user.team_id.as_deref(),
        claim_quota: user.claim_quota,
        open_leads_owned: repo::leases::open_leads_owned(txn, &user_id).await?,
        last_lost_at: repo::leases::last_lost_at(txn, lead_id, &user_id).await?,
        cooldown: settings.cooldown,
        now,
    };
    lease::check_claim(&facts)?;
    let until = now + lease_length(txn, settings, lead_id).await?;
    let sets = vec![
        (lead::Column::OwnerUserId, Value::from(user_id.clone())),
        (lead::Column::OwnerTeamId, Value::from(Option::<String>::None)),
        (lead::Column::OwnerLeaseUntil, Value::from(until)),
        (lead::Column::LeaseExtensions, Value::from(0)),
        (lead::Column::UpdatedAt, Value::from(now)),
    ];
    let expect = vec![
        (lead::Column::OwnerUserId, None),
        (lead::Column::OwnerTeamId, found.owner_team_id.clone().map(Value::from)),
    ];
    if !repo::leases::move_lead(txn, lead_id, sets, expect).await? {
        return Err(moved_concurrently(lead_id));
    }
    let entry = LogEntry {
        lead_id,
        kind: AssignmentKind::Claimed,
        from: None,
        to_user: Some(user_id.clone()),
        to_team: None,
        lease_until: Some(until),
        actor: Some(user_id.clone()),
        reason: None,
        at: now,
    };
    repo::write::insert_model(txn, log_row(entry)).await?;
    let updated = reread(txn, lead_id).await?;
    w.emit(DomainEvent::LeadAssigned {
        lead_id: lead_id.to_string(),
        channel_id: updated.channel_id.clone(),
        owner_user_id: user_id,
    });
    w.emit(DomainEvent::LeadUpdated { lead_id: lead_id.to_string(), channel_id: updated.channel_id.clone() });
    w.commit().await?;
    Ok(updated)
}

/// `releaseLead`: the owner gives the lead back to the public pool (and starts the cooldown).
pub async fn release(
    store: &Store,
    actor: &Actor,
    lead_id: &str,
    why: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<lead::Model> {
    let why = reason(why)?;
    let w = Write::begin(store).await?;
    let txn: &DatabaseTransaction = &w;
    let user_id = acting_user(txn, actor, "releaseLead").await?;
    let found: lead::Model = visible(txn, actor, LEAD, lead_id).await?;
    lease::check_owner("release", lead_id, found.owner_user_id.as_deref(), &user_id)?;
    let sets = vec![
        (lead::Column::OwnerUserId, Value::from(Option::<String>::None)),
        (lead::Column::OwnerLeaseUntil, Value::from(Option::<DateTime<Utc>>::None)),
        (lead::Column::LeaseExtensions, Value::from(0)),
        (lead::Column::UpdatedAt, Value::from(now)),
    ];
    let expect = vec![(lead::Column::OwnerUserId, Some(Value::from(user_id.clone())))];
    if !repo::leases::move_lead(txn, lead_id, sets, expect).await? {
        return Err(moved_concurrently(lead_id));
    }
    let entry = LogEntry {
        lead_id,
        kind: AssignmentKind::Released,
        from: Some(user_id.clone()),
        to_user: None,
        to_team: None,
        lease_until: None,
        actor: Some(user_id),
        reason: why,
        at: now,
    };
    repo::write::insert_model(txn, log_row(entry)).await?;
    let updated = reread(txn, lead_id).await?;
    w.emit(DomainEvent::LeadReturnedToPool { lead_id: lead_id.to_string(), channel_id: updated.channel_id.clone() });
    w.emit(DomainEvent::LeadUpdated { lead_id: lead_id.to_string(), channel_id: updated.channel_id.clone() });
    w.commit().await?;
    Ok(updated)
}

/// `extendLease`: the owner adds one lease length, at most `CDP_LEASE_MAX_EXTENSIONS` times.
pub async fn extend(
    store: &Store,
    actor: &Actor,
    lead_id: &str,
    why: &str,
    now: DateTime<Utc>,
) -> AppResult<lead::Model> {
    let why = reason(Some(why))?.ok_or_else(|| AppError::bad_input("reason: say why the lease is extended"))?;
    let settings = store.leases();
    let w = Write::begin(store).await?;
    let txn: &DatabaseTransaction = &w;
    let user_id = acting_user(txn, actor, "extendLease").await?;
    let found: lead::Model = visible(txn, actor, LEAD, lead_id).await?;
    lease::check_owner("extend the lease of", lead_id, found.owner_user_id.as_deref(), &user_id)?;
    let length = lease_length(txn, settings, lead_id).await?;
    let until =
        lease::extend(lead_id, found.owner_lease_until, found.lease_extensions, settings.max_extensions, length, now)?;
    let sets = vec![
        (lead::Column::OwnerLeaseUntil, Value::from(until)),
        (lead::Column::LeaseExtensions, Value::from(found.lease_extensions + 1)),
        (lead::Column::UpdatedAt, Value::from(now)),
    ];
    let expect = vec![
        (lead::Column::OwnerUserId, Some(Value::from(user_id.clone()))),
        (lead::Column::LeaseExtensions, Some(Value::from(found.lease_extensions))),
    ];
    if !repo::leases::move_lead(txn, lead_id, sets, expect).await? {
        return Err(moved_concurrently(lead_id));
    }
    let entry = LogEntry {
        lead_id,
        kind: AssignmentKind::Extended,
        from: Some(user_id.clone()),
        to_user: Some(user_id.clone()),
        to_team: None,
        lease_until: Some(until),
        actor: Some(user_id),
        reason: Some(why),
        at: now,
    };
    repo::write::insert_model(txn, log_row(entry)).await?;
    let updated = reread(txn, lead_id).await?;
    w.emit(DomainEvent::LeadUpdated { lead_id: lead_id.to_string(), channel_id: updated.channel_id.clone() });
    w.commit().await?;
    Ok(updated)
}

/// `assignLead` / `reassignLeads`: a manager gives leads to an ACTIVE user (with a fresh lease)
/// or to a team's queue, whoever holds them now. All or nothing: an unknown lead, user or team is
/// refused before anything is written. `field` names the ids in errors (`leadId`, `leadIds`).
pub async fn assign(
    store: &Store,
    actor: &Actor,
    lead_ids: &[String],
    field: &str,
    target: Target,
    why: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Vec<lead::Model>> {
    let why = reason(why)?;
    if lead_ids.is_empty() || lead_ids.len() > MAX_REASSIGN {
        return Err(AppError::bad_input(format!("{field}: give 1 to {MAX_REASSIGN} lead ids")));
    }
    let mut seen = BTreeSet::new();
    if let Some(dup) = lead_ids.iter().find(|id| !seen.insert(id.as_str())) {
        return Err(AppError::bad_input(format!("{field}: lead {dup} is listed twice")));
    }
    let settings = store.leases();
    let w = Write::begin(store).await?;
    let txn: &DatabaseTransaction = &w;
    let acting = actor.user_id(txn).await?;
    ensure_manager(txn, actor, acting.as_deref()).await?;
    match &target {
        Target::User(u) => {
            let user = repo::write::find_by_id::<app_user::Entity>(txn, u)
                .await?
                .ok_or_else(|| AppError::bad_input(format!("userId: no app_user with id {u}")))?;
            if user.user_status != UserStatus::Active {
                return Err(AppError::bad_input(format!(
                    "userId: user {u} is {}; only ACTIVE users receive leads",
                    user.user_status.as_str()
                )));
            }
        }
        Target::Team(t) => {
            if repo::write::find_by_id::<team::Entity>(txn, t).await?.is_none() {
                return Err(AppError::bad_input(format!("teamId: no team with id {t}")));
            }
        }
    }
    let mut out = Vec::with_capacity(lead_ids.len());
    let mut log = Vec::with_capacity(lead_ids.len());
    for (i, lead_id) in lead_ids.iter().enumerate() {
        let found: lead::Model = visible(txn, actor, LEAD, lead_id).await.map_err(|e| match e {
            AppError::NotFound(_) if lead_ids.len() > 1 => {
                AppError::NotFound(format!("{field}[{i}]: no lead {lead_id}"))
            }
            AppError::NotFound(_) => AppError::NotFound(format!("{field}: no lead {lead_id}")),
            other => other,
        })?;
        if found.lead_status == LeadStatus::Converted {
            return Err(AppError::Conflict(format!("{field}: lead {lead_id} is CONVERTED and keeps its owner")));
        }
        let (to_user, to_team, until) = match &target {
            Target::User(u) => (Some(u.clone()), None, Some(now + lease_length(txn, settings, lead_id).await?)),
            Target::Team(t) => (None, Some(t.clone()), None),
        };
        let sets = vec![
            (lead::Column::OwnerUserId, Value::from(to_user.clone())),
            (lead::Column::OwnerTeamId, Value::from(to_team.clone())),
            (lead::Column::OwnerLeaseUntil, Value::from(until)),
            (lead::Column::LeaseExtensions, Value::from(0)),
            (lead::Column::UpdatedAt, Value::from(now)),
        ];
        let expect = vec![(lead::Column::OwnerUserId, found.owner_user_id.clone().map(Value::from))];
        if !repo::leases::move_lead(txn, lead_id, sets, expect).await? {
            return Err(moved_concurrently(lead_id));
        }
        let kind = if found.owner_user_id.is_some() { AssignmentKind::Reassigned } else { AssignmentKind::Assigned };
        log.push(log_row(LogEntry {
            lead_id,
            kind,
            from: found.owner_user_id.clone(),
            to_user: to_user.clone(),
            to_team,
            lease_until: until,
            actor: acting.clone(),
            reason: why.clone(),
            at: now,
        }));
        let channel_id = found.channel_id.clone();
        if let Some(owner_user_id) = to_user {
            w.emit(DomainEvent::LeadAssigned {
                lead_id: lead_id.clone(),
                channel_id: channel_id.clone(),
                owner_user_id,
            });
        }
        w.emit(DomainEvent::LeadUpdated { lead_id: lead_id.clone(), channel_id });
        out.push(reread(txn, lead_id).await?);
    }
    repo::bulk::insert_all(txn, log).await?;
    w.commit().await?;
    Ok(out)
}

/// Manual moves are a manager's: an `admin` token, or a `write` token of a SALES_MANAGER or
/// ADMIN user.
async fn ensure_manager(txn: &DatabaseTransaction, actor: &Actor, acting: Option<&str>) -> AppResult<()> {
    if actor.principal.has(Scope::Admin) {
        return Ok(());
    }
    let role = match acting {
        Some(u) => repo::write::find_by_id::<app_user::Entity>(txn, u).await?.map(|u| u.user_role),
        None => None,
    };
    match role {
        Some(UserRole::SalesManager | UserRole::Admin) => Ok(()),
        _ => Err(AppError::Forbidden(
            "assigning leads needs the `admin` scope or a SALES_MANAGER or ADMIN user's token".into(),
        )),
    }
}

/// Renewal after touchpoints were written (in their transaction): each `(lead, owner, kind,
/// direction)` that is a follow-up (`domain::lease::touchpoint_renews`) by the lead's owner renews
/// the owner's lease. A no-op without such rows, so other writes pay nothing.
pub async fn renew_after_touchpoints<'a>(
    w: &Write<'_>,
    rows: impl Iterator<Item = (Option<&'a str>, Option<&'a str>, TouchpointType, Option<TouchpointDirection>)>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let pairs: BTreeSet<(&str, &str)> = rows
        .filter(|(_, _, kind, dir)| lease::touchpoint_renews(*kind, *dir))
        .filter_map(|(lead, owner, _, _)| Some((lead?, owner?)))
        .collect();
    for (lead_id, owner) in pairs {
        renew(w, lead_id, owner, now, true).await?;
    }
    Ok(())
}

/// Renewal after a status change by `by` (in its transaction): only the owner's change renews.
/// The status change announces the lead's update itself.
pub async fn renew_after_status_change(w: &Write<'_>, lead_id: &str, by: &str, now: DateTime<Utc>) -> AppResult<()> {
    renew(w, lead_id, by, now, false).await
}

/// The owner's lease on the lead becomes now + its length (never shorter); nothing when `owner`
/// does not hold a lease on it.
async fn renew(w: &Write<'_>, lead_id: &str, owner: &str, now: DateTime<Utc>, announce: bool) -> AppResult<()> {
    let txn: &DatabaseTransaction = w;
    let Some(found) = repo::write::find_by_id::<lead::Entity>(txn, lead_id).await? else { return Ok(()) };
    if found.owner_user_id.as_deref() != Some(owner) || found.owner_lease_until.is_none() {
        return Ok(());
    }
    let length = lease_length(txn, w.store().leases(), lead_id).await?;
    let Some(until) = lease::renewed(found.owner_lease_until, length, now) else { return Ok(()) };
    if repo::leases::renew(txn, lead_id, owner, until, now).await? && announce {
        w.emit(DomainEvent::LeadUpdated { lead_id: lead_id.to_string(), channel_id: found.channel_id });
    }
    Ok(())
}

/// One sweep at `now`: on PostgreSQL only where this replica holds the sweeper's lock (otherwise
/// it returns 0 at once), returns up to `sweep_batch` expired leads to the public pool — owner
/// and lease cleared, `RETURNED_TO_POOL` logged, `LEAD_RETURNED_TO_POOL` emitted — in one
/// transaction. A CONVERTED lead keeps its owner and only loses the lease. Returns the leads
/// returned; the job calls it again while a batch comes back full.
pub async fn sweep(store: &Store, now: DateTime<Utc>) -> AppResult<u64> {
    let w = Write::begin(store).await?;
    let txn: &DatabaseTransaction = &w;
    if !repo::leases::try_lock_sweep(txn).await? {
        return Ok(0);
    }
    let expired = repo::leases::expired(txn, now, store.leases().sweep_batch).await?;
    if expired.is_empty() {
        return Ok(0);
    }
    let converted = LeadStatus::Converted.as_str();
    let ids: Vec<String> = expired.iter().map(|e| e.lead_id.clone()).collect();
    let keep: Vec<String> = expired.iter().filter(|e| e.lead_status == converted).map(|e| e.lead_id.clone()).collect();
    repo::leases::return_to_pool(txn, &ids, &keep, now).await?;
    // A lease without an owner (the owner was cleared by a generic update) just ends: nothing moved.
    let returned: Vec<&Expired> =
        expired.iter().filter(|e| e.lead_status != converted && e.owner_user_id.is_some()).collect();
    let log = returned
        .iter()
        .map(|e| {
            log_row(LogEntry {
                lead_id: &e.lead_id,
                kind: AssignmentKind::ReturnedToPool,
                from: e.owner_user_id.clone(),
                to_user: None,
                to_team: None,
                lease_until: None,
                actor: None,
                reason: Some("the lease expired".into()),
                at: now,
            })
        })
        .collect();
    repo::bulk::insert_all(txn, log).await?;
    for e in &returned {
        w.emit(DomainEvent::LeadReturnedToPool { lead_id: e.lead_id.clone(), channel_id: e.channel_id.clone() });
        w.emit(DomainEvent::LeadUpdated { lead_id: e.lead_id.clone(), channel_id: e.channel_id.clone() });
    }
    let back: Vec<(String, Option<String>)> =
        returned.iter().map(|e| (e.lead_id.clone(), e.owner_user_id.clone())).collect();
    if store.leases().reassign_expired {
        crate::services::assignment::assign_returned(&w, &back, now).await?;
    }
    w.commit().await?;
    Ok(back.len() as u64)
}
