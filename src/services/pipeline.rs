//! The two state machines as workflows (docs/design.md §6): `changeLeadStatus` and
//! `moveOpportunityStage`. Each reads the record through the caller's access (a partner cannot
//! touch another channel's lead, and cannot tell it exists), asks the domain machine, and writes
//! with an optimistic guard on the status it read, in one transaction.

use crate::catalog::Catalogued;
use entity::enums::{LeadStatus, OpportunityStage};
use entity::{lead, opportunity, opportunity_stage_history};
use sea_orm::{DatabaseTransaction, Value};

use crate::domain::{lead_status, opportunity_stage};
use crate::error::{AppError, AppResult};
use crate::pubsub::DomainEvent;
use crate::repo::{self, summary::Summary};
use crate::services::tx::{Store, Write};
use crate::services::write::{Actor, new_id, now, visible};

const LEAD: repo::page::Table = <lead::Entity as Catalogued>::TABLE;
const OPPORTUNITY: repo::page::Table = <opportunity::Entity as Catalogued>::TABLE;

fn concurrent(what: &str, id: &str) -> AppError {
    AppError::Conflict(format!("{what} {id} was changed by another request meanwhile; read it again and retry"))
}

/// Moves a lead along the status machine. Entering CONTACTED stamps `last_contacted_at`;
/// `is_qualified` follows QUALIFIED. CONVERTED is only reachable through `convertLead`.
pub async fn change_lead_status(store: &Store, actor: &Actor, lead_id: &str, to: LeadStatus) -> AppResult<lead::Model> {
    let w = Write::begin(store).await?;
    let txn: &DatabaseTransaction = &w;
    let lead: lead::Model = visible(txn, actor, LEAD, lead_id).await?;
    lead_status::ensure_lead_editable(lead.lead_status)?;
    lead_status::lead_transition(lead.lead_status, to)?;
    let at = now();
    let mut sets: Vec<(&'static str, Value)> = vec![
        ("lead_status", Value::from(lead_status::lead_status_name(to))),
        ("is_qualified", Value::from(to == LeadStatus::Qualified)),
        ("updated_at", Value::from(at)),
    ];
    if to == LeadStatus::Contacted {
        sets.push(("last_contacted_at", Value::from(at)));
    }
    let expect = vec![("lead_status", Value::from(lead_status::lead_status_name(lead.lead_status)))];
    if !repo::write::update_where::<lead::Entity>(txn, lead_id, sets, expect).await? {
        return Err(concurrent(LEAD.name, lead_id));
    }
    // A status change by the owner (the token's subject) is a follow-up: it renews the lease.
    if lead.owner_lease_until.is_some() && lead.owner_user_id.as_deref() == Some(actor.principal.subject.as_str()) {
        crate::services::leases::renew_after_status_change(&w, lead_id, &actor.principal.subject, at).await?;
    }
    let updated =
        repo::write::find_by_id::<lead::Entity>(txn, lead_id).await?.ok_or_else(|| concurrent(LEAD.name, lead_id))?;
    w.emit(DomainEvent::LeadStatusChanged {
        lead_id: lead_id.to_string(),
        channel_id: updated.channel_id.clone(),
        from: lead.lead_status,
        to,
    });
    w.emit(DomainEvent::LeadUpdated { lead_id: lead_id.to_string(), channel_id: updated.channel_id.clone() });
    // A status counts in the conversion rate of the day the lead was created.
    w.stale(|s| {
        s.add(Summary::Lead, Some(lead_id));
        s.day_of(store.zone(), lead.created_at);
    });
    w.commit().await?;
    Ok(updated)
}

/// Moves an opportunity to its next stage (or closes it): appends the stage history row with the
/// days spent in the stage being left, resets `days_in_stage`, sets the stage's default
/// probability (unless `probability` is given), `is_won`/`is_lost`, `close_reason` and
/// `actual_close_date` when it closes, and refreshes the account's summary.
pub async fn move_opportunity_stage(
    store: &Store,
    actor: &Actor,
    opportunity_id: &str,
    to: OpportunityStage,
    close_reason: Option<&str>,
    probability: Option<i32>,
) -> AppResult<opportunity::Model> {
    if let Some(p) = probability
        && !(0..=100).contains(&p)
    {
        return Err(AppError::bad_input("probability: must be between 0 and 100"));
    }
    let w = Write::begin(store).await?;
    let txn: &DatabaseTransaction = &w;
    let opp: opportunity::Model = visible(txn, actor, OPPORTUNITY, opportunity_id).await?;
    let step = opportunity_stage::stage_transition(opp.stage, to, close_reason)?;
    let at = now();
    // The stage being left was entered at its last history row, or at creation.
    let last = repo::pipeline::last_stage_change(txn, opportunity_id).await?;
    let entered = last.map_or(opp.created_at, |h| h.changed_at);
    let history = opportunity_stage_history::Model {
        history_id: new_id("OSH"),
        opportunity_id: opportunity_id.to_string(),
        from_stage: Some(opp.stage),
        to_stage: to,
        changed_at: at,
        changed_by_user_id: actor.user_id(txn).await?,
        change_reason: step.close_reason.clone(),
        duration_days: Some(opportunity_stage::duration_days(entered, at)),
    };
    repo::write::insert_model(txn, history).await?;
    let mut sets: Vec<(&'static str, Value)> = vec![
        ("stage", Value::from(opportunity_stage::stage_name(to))),
        ("probability", Value::from(probability.unwrap_or(step.default_probability))),
        ("days_in_stage", Value::from(0)),
        ("is_won", Value::from(step.is_won)),
        ("is_lost", Value::from(step.is_lost)),
        ("updated_at", Value::from(at)),
    ];
    if step.closed {
        // A business date: the day of the business zone the deal closed on (its revenue's day).
        sets.push(("actual_close_date", Value::from(store.zone().day_of(at))));
        sets.push(("close_reason", Value::from(step.close_reason.clone())));
    }
    let expect = vec![("stage", Value::from(opportunity_stage::stage_name(opp.stage)))];
    if !repo::write::update_where::<opportunity::Entity>(txn, opportunity_id, sets, expect).await? {
        return Err(concurrent(OPPORTUNITY.name, opportunity_id));
    }
    let updated = repo::write::find_by_id::<opportunity::Entity>(txn, opportunity_id)
        .await?
        .ok_or_else(|| concurrent(OPPORTUNITY.name, opportunity_id))?;
    w.emit(DomainEvent::OpportunityStageChanged {
        opportunity_id: opportunity_id.to_string(),
        account_id: updated.account_id.clone(),
        from: opp.stage,
        to,
    });
    w.stale(|s| {
        s.add(Summary::Account, Some(&updated.account_id));
        // A won deal's revenue is on its close date; a deal reopened leaves the old one.
        s.days.extend(opp.actual_close_date.into_iter().chain(updated.actual_close_date));
    });
    w.commit().await?;
    Ok(updated)
}
