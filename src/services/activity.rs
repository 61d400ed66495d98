//! Bulk ingestion of behaviour: `trackEvents` and `recordTouchpoints` (up to 1 000 rows a call).
//!
//! Callers hand over entity models as drafts (an empty id means "generate one"); every row is
//! validated and every reference checked (one query per referenced table) before anything is
//! written, then all rows go in with multi-row INSERTs in one transaction; the touched contacts,
//! leads and accounts are refreshed after the commit (coalesced, `services::summaries`), and
//! events announce themselves per channel (`EventsIngested`). A bad row refuses
//! the whole call, naming it (`events[3].pageUrl …`): a partial batch would leave the client
//! guessing which rows to resend.

use std::collections::BTreeMap;

use chrono::Duration;
use entity::{account, app_user, campaign, channel, contact, event, lead, touchpoint};

use crate::domain::DomainError;
use crate::domain::value::{BoundedText, EntityId, HttpUrl};
use crate::error::{AppError, AppResult};
use crate::pubsub::DomainEvent;
use crate::repo::bulk;
use crate::repo::summary::Summary;
use crate::services::tx::{Stale, Store, Write};
use crate::services::write::{Actor, Refs, channel_for, new_id, now};

/// Rows per call.
pub const MAX_BATCH: usize = 1000;
/// How far in the future an event or touchpoint time may lie (clock skew of the sender).
const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);
/// `touchpoint.description` is TEXT; bounded so one row cannot carry megabytes.
const MAX_DESCRIPTION_CHARS: usize = 10_000;

/// Validates and stores events; returns their ids in input order.
pub async fn track_events(store: &Store, actor: &Actor, drafts: Vec<event::Model>) -> AppResult<Vec<String>> {
    check_size("events", drafts.len())?;
    let at = now();
    let mut refs = Refs::default();
    let mut rows = Vec::with_capacity(drafts.len());
    for (i, draft) in drafts.into_iter().enumerate() {
        let f = |name: &str| format!("events[{i}].{name}");
        let channel_id = channel_for(actor, &f("channelId"), draft.channel_id)?;
        refs.to::<channel::Entity>(f("channelId"), channel_id.as_deref());
        refs.to::<contact::Entity>(f("contactId"), draft.contact_id.as_deref());
        refs.to::<lead::Entity>(f("leadId"), draft.lead_id.as_deref());
        refs.to::<account::Entity>(f("accountId"), draft.account_id.as_deref());
        if draft.event_time > at + MAX_CLOCK_SKEW {
            return Err(AppError::bad_input(format!("{} lies in the future", f("eventTime"))));
        }
        rows.push(event::Model {
            event_id: id_or_new(&f("eventId"), &draft.event_id, "EVT")?,
            event_name: BoundedText::required(&f("eventName"), &draft.event_name, 100)?.into_inner(),
            channel_id,
            session_id: text(&f("sessionId"), draft.session_id, 64)?,
            browser: text(&f("browser"), draft.browser, 50)?,
            os: text(&f("os"), draft.os, 50)?,
            ip_address: ip(&f("ipAddress"), draft.ip_address)?,
            page_url: url(&f("pageUrl"), draft.page_url, 1000)?,
            referrer_url: url(&f("referrerUrl"), draft.referrer_url, 1000)?,
            event_properties: object(&f("eventProperties"), draft.event_properties)?,
            utm_params: object(&f("utmParams"), draft.utm_params)?,
            created_at: at,
            ..draft
        });
    }
    let ids: Vec<String> = rows.iter().map(|r| r.event_id.clone()).collect();
    let mut stale = stale_of(rows.iter().map(|r| (&r.contact_id, &r.lead_id, &r.account_id)));
    // Page views and clicks count in their day's channel performance.
    rows.iter().for_each(|r| stale.day_of(store.zone(), r.event_time));
    let mut per_channel: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    for r in &rows {
        per_channel.entry(r.channel_id.clone()).or_default().push(r.event_id.clone());
    }
    let events =
        per_channel.into_iter().map(|(channel_id, event_ids)| DomainEvent::EventsIngested { channel_id, event_ids });
    insert(store, actor, refs, rows, stale, events.collect()).await?;
    Ok(ids)
}

/// Validates and stores touchpoints; returns their ids in input order. A touchpoint is an
/// interaction with someone: it names at least one contact, lead or account.
pub async fn record_touchpoints(
    store: &Store,
    actor: &Actor,
    drafts: Vec<touchpoint::Model>,
) -> AppResult<Vec<String>> {
    check_size("touchpoints", drafts.len())?;
    let at = now();
    let mut refs = Refs::default();
    let mut rows = Vec::with_capacity(drafts.len());
    for (i, draft) in drafts.into_iter().enumerate() {
        let f = |name: &str| format!("touchpoints[{i}].{name}");
        if draft.contact_id.is_none() && draft.lead_id.is_none() && draft.account_id.is_none() {
            return Err(AppError::bad_input(format!(
                "touchpoints[{i}]: name the contactId, leadId or accountId it was with"
            )));
        }
        let channel_id = channel_for(actor, &f("channelId"), draft.channel_id)?;
        refs.to::<channel::Entity>(f("channelId"), channel_id.as_deref());
        refs.to::<campaign::Entity>(f("campaignId"), draft.campaign_id.as_deref());
        refs.to::<contact::Entity>(f("contactId"), draft.contact_id.as_deref());
        refs.to::<lead::Entity>(f("leadId"), draft.lead_id.as_deref());
        refs.to::<account::Entity>(f("accountId"), draft.account_id.as_deref());
        refs.to::<app_user::Entity>(f("ownerUserId"), draft.owner_user_id.as_deref());
        if draft.touchpoint_time > at + MAX_CLOCK_SKEW {
            return Err(AppError::bad_input(format!("{} lies in the future", f("touchpointTime"))));
        }
        if draft.duration_seconds.is_some_and(|d| d < 0) {
            return Err(AppError::bad_input(format!("{} must not be negative", f("durationSeconds"))));
        }
        rows.push(touchpoint::Model {
            touchpoint_id: id_or_new(&f("touchpointId"), &draft.touchpoint_id, "TP")?,
            channel_id,
            content_id: text(&f("contentId"), draft.content_id, 64)?,
            subject: text(&f("subject"), draft.subject, 200)?,
            description: text(&f("description"), draft.description, MAX_DESCRIPTION_CHARS)?,
            metadata: object(&f("metadata"), draft.metadata)?,
            utm_params: object(&f("utmParams"), draft.utm_params)?,
            created_at: at,
            ..draft
        });
    }
    let ids: Vec<String> = rows.iter().map(|r| r.touchpoint_id.clone()).collect();
    let mut stale = stale_of(rows.iter().map(|r| (&r.contact_id, &r.lead_id, &r.account_id)));
    // A campaign's touchpoint can make it count for accounts the rows do not name.
    stale.campaigns.extend(rows.iter().filter_map(|r| r.campaign_id.clone()));
    // Page views and e-mail clicks count in their day's campaign performance.
    rows.iter().for_each(|r| stale.day_of(store.zone(), r.touchpoint_time));
    // The owner's follow-ups among them renew the lead's lease in the same transaction.
    let follow_ups: Vec<_> = rows
        .iter()
        .map(|r| (r.lead_id.clone(), r.owner_user_id.clone(), r.touchpoint_type, r.touchpoint_direction))
        .collect();
    refs.check(&store.db, &actor.access).await?;
    let w = Write::begin(store).await?;
    bulk::insert_all(&*w, rows).await?;
    crate::services::leases::renew_after_touchpoints(
        &w,
        follow_ups.iter().map(|(l, o, k, d)| (l.as_deref(), o.as_deref(), *k, *d)),
        at,
    )
    .await?;
    w.stale(|s| s.merge(stale));
    w.commit().await?;
    Ok(ids)
}

/// Checks the batch's references, then inserts its rows in one transaction (with its events);
/// the touched summaries are refreshed after the commit.
async fn insert<M>(
    store: &Store,
    actor: &Actor,
    refs: Refs,
    rows: Vec<M>,
    stale: Stale,
    events: Vec<DomainEvent>,
) -> AppResult<()>
where
    M: sea_orm::ModelTrait + sea_orm::IntoActiveModel<bulk::ActiveOf<M>>,
    bulk::ActiveOf<M>: sea_orm::ActiveModelTrait + Send,
{
    refs.check(&store.db, &actor.access).await?;
    let w = Write::begin(store).await?;
    bulk::insert_all(&*w, rows).await?;
    events.into_iter().for_each(|e| w.emit(e));
    w.stale(|s| s.merge(stale));
    w.commit().await
}

fn check_size(what: &str, n: usize) -> AppResult<()> {
    if n > MAX_BATCH {
        return Err(AppError::bad_input(format!("at most {MAX_BATCH} {what} per call, got {n}")));
    }
    Ok(())
}

fn id_or_new(field: &str, id: &str, prefix: &str) -> AppResult<String> {
    if id.is_empty() { Ok(new_id(prefix)) } else { Ok(EntityId::parse(field, id)?.into_inner()) }
}

fn text(field: &str, raw: Option<String>, max: usize) -> Result<Option<String>, DomainError> {
    Ok(BoundedText::optional(field, raw.as_deref(), max)?.map(BoundedText::into_inner))
}

fn url(field: &str, raw: Option<String>, max: usize) -> Result<Option<String>, DomainError> {
    crate::domain::value::optional(raw.as_deref(), |raw| HttpUrl::parse_max(field, raw, max))
        .map(|u| u.map(|u| u.as_str().to_string()))
}

fn ip(field: &str, raw: Option<String>) -> Result<Option<String>, DomainError> {
    crate::domain::value::optional(raw.as_deref(), |raw| {
        raw.trim()
            .parse::<std::net::IpAddr>()
            .map(|a| a.to_string())
            .map_err(|_| DomainError::invalid(field, "is not an IPv4 or IPv6 address"))
    })
}

fn object(field: &str, value: Option<serde_json::Value>) -> Result<Option<serde_json::Value>, DomainError> {
    match value {
        Some(v) if !v.is_object() => Err(DomainError::invalid(field, "must be a JSON object")),
        v => Ok(v),
    }
}

/// The contacts, leads and accounts a batch touched: their summaries are refreshed once each.
fn stale_of<'a>(rows: impl Iterator<Item = (&'a Option<String>, &'a Option<String>, &'a Option<String>)>) -> Stale {
    let mut stale = Stale::default();
    for (contact, lead, account) in rows {
        stale.add(Summary::Contact, contact.as_deref());
        stale.add(Summary::Lead, lead.as_deref());
        stale.add(Summary::Account, account.as_deref());
    }
    stale
}
