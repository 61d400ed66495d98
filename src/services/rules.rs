//! The routing condition language's two evaluators, as use cases (ARCHITECTURE.md "Routing
//! rules"): [`facts`] loads what the in-memory evaluator (`domain::rules::Rule::eval`) reads of
//! some leads — their columns, converted contact and account, channel, tag names and events —
//! with a handful of `IN` reads ([`facts_of_new`]: those of leads not written yet, from the
//! round's own rows), and [`matching`] runs the SQL evaluator (`repo::rules`) over the
//! whole `lead` table. Both take `now`, so a caller (or a test) controls the clock.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::enums::TagSource;
use entity::{account, channel, contact, event, lead, tag, tag_relation};
use serde_json::{Map, Value};

use crate::catalog::{Catalogued, Table};
use crate::domain::rules::{EventFact, LeadFacts, Rule};
use crate::error::{AppError, AppResult};
use crate::services::read::{self, Access};

const LEAD: Table = <lead::Entity as Catalogued>::TABLE;

fn row<M: serde::Serialize>(m: &M) -> AppResult<Map<String, Value>> {
    match serde_json::to_value(m) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(AppError::internal("a model did not serialise to an object")),
    }
}

/// Records of `E` by primary key, each as its model's serde object, shared by the leads
/// relating to it.
async fn by_id<E: Catalogued>(db: &impl sea_orm::ConnectionTrait, keys: Vec<String>) -> AppResult<Records>
where
    E::Model: sea_orm::FromQueryResult + serde::Serialize,
{
    let rows: Vec<(String, E::Model)> =
        read::find_by(db, &Access::unrestricted(), E::TABLE, E::TABLE.pk, &keys).await?;
    rows.iter().map(|(k, m)| Ok((k.clone(), Arc::new(row(m)?)))).collect()
}

type Records = HashMap<String, Arc<Map<String, Value>>>;

/// The records some leads relate to: converted contact and account, channel.
struct Related {
    contacts: Records,
    accounts: Records,
    channels: Records,
}

impl Related {
    /// One `IN` read per kind of record the leads relate to (none for a kind no lead has: a new
    /// lead has no converted contact or account).
    async fn of<'l>(
        db: &impl sea_orm::ConnectionTrait,
        leads: impl Iterator<Item = &'l lead::Model> + Clone,
    ) -> AppResult<Related> {
        let ids = |f: fn(&lead::Model) -> Option<&String>| -> Vec<String> {
            let mut v: Vec<String> = leads.clone().filter_map(|l| f(l).cloned()).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        Ok(Related {
            contacts: by_id::<contact::Entity>(db, ids(|l| l.converted_contact_id.as_ref())).await?,
            accounts: by_id::<account::Entity>(db, ids(|l| l.converted_account_id.as_ref())).await?,
            channels: by_id::<channel::Entity>(db, ids(|l| l.channel_id.as_ref())).await?,
        })
    }

    /// A lead's facts but for its tags and events.
    fn facts_of(&self, l: &lead::Model) -> AppResult<LeadFacts> {
        let related = |m: &Records, k: &Option<String>| k.as_ref().and_then(|k| m.get(k)).cloned();
        Ok(LeadFacts {
            lead: row(l)?,
            contact: related(&self.contacts, &l.converted_contact_id),
            account: related(&self.accounts, &l.converted_account_id),
            channel: related(&self.channels, &l.channel_id),
            tags: Vec::new(),
            auto_tags: Vec::new(),
            events: Vec::new(),
        })
    }
}

/// Adds each event to the facts of its lead (events of other leads are left out).
fn add_events(facts: &mut HashMap<String, LeadFacts>, events: impl IntoIterator<Item = event::Model>) {
    for e in events {
        if let Some(f) = e.lead_id.as_ref().and_then(|id| facts.get_mut(id)) {
            f.events.push(EventFact {
                event_type: e.event_type.as_str().to_string(),
                at: e.event_time,
                properties: e.event_properties,
                utm: e.utm_params,
            });
        }
    }
}

/// The ids of the leads `rule` selects at `now` (the SQL evaluator).
pub async fn matching(db: &impl sea_orm::ConnectionTrait, rule: &Rule, now: DateTime<Utc>) -> AppResult<Vec<String>> {
    crate::repo::rules::matching(db, rule, now).await
}

/// What the in-memory evaluator reads of each of `lead_ids` (missing ids are left out).
pub async fn facts(db: &impl sea_orm::ConnectionTrait, lead_ids: &[String]) -> AppResult<HashMap<String, LeadFacts>> {
    Ok(facts_and_relations(db, lead_ids).await?.0)
}

/// [`facts`], with the leads' tag relations they were built from (auto-tagging compares them
/// with what the rules decide, without reading them again).
pub async fn facts_and_relations(
    db: &impl sea_orm::ConnectionTrait,
    lead_ids: &[String],
) -> AppResult<(HashMap<String, LeadFacts>, Vec<tag_relation::Model>)> {
    let all = Access::unrestricted();
    let leads: Vec<(String, lead::Model)> = read::find_by(db, &all, LEAD, LEAD.pk, lead_ids).await?;
    let related = Related::of(db, leads.iter().map(|(_, l)| l)).await?;

    let relations = crate::repo::tag::of_leads(db, lead_ids).await?;
    let mut tag_ids: Vec<String> = relations.iter().map(|r| r.tag_id.clone()).collect();
    tag_ids.sort_unstable();
    tag_ids.dedup();
    let tag_table = <tag::Entity as Catalogued>::TABLE;
    let tags: HashMap<String, tag::Model> =
        read::find_by(db, &all, tag_table, tag_table.pk, &tag_ids).await?.into_iter().collect();

    let ev = <event::Entity as Catalogued>::TABLE;
    let events: Vec<(String, event::Model)> = read::find_by(db, &all, ev, "lead_id", lead_ids).await?;

    let mut out: HashMap<String, LeadFacts> = HashMap::with_capacity(leads.len());
    for (id, l) in &leads {
        out.insert(id.clone(), related.facts_of(l)?);
    }
    for r in &relations {
        if let (Some(f), Some(t)) = (out.get_mut(&r.entity_id), tags.get(&r.tag_id)) {
            f.tags.push(t.tag_name.clone());
            if r.is_auto_tagged && r.tag_source == TagSource::Rule {
                f.auto_tags.push(t.tag_name.clone());
            }
        }
    }
    add_events(&mut out, events.into_iter().map(|(_, e)| e));
    Ok((out, relations))
}

/// The facts of leads not written yet (an ingestion round's, routed before their `INSERT`), from
/// what the round holds: the leads as they will be stored and the round's events (a new lead has
/// no tags and no older events). Reads only the leads' channels, in one statement, and only when
/// `channels` (a rule reads a channel field): a new lead has no converted contact or account.
pub async fn facts_of_new(
    db: &impl sea_orm::ConnectionTrait,
    leads: &[&lead::Model],
    events: Vec<event::Model>,
    channels: bool,
) -> AppResult<HashMap<String, LeadFacts>> {
    let related = Related::of(db, leads.iter().copied().filter(|_| channels)).await?;
    let mut out: HashMap<String, LeadFacts> = HashMap::with_capacity(leads.len());
    for l in leads {
        out.insert(l.lead_id.clone(), related.facts_of(l)?);
    }
    add_events(&mut out, events);
    Ok(out)
}
