//! The routing condition language's two evaluators, as use cases (ARCHITECTURE.md "Routing
//! rules"): [`facts`] loads what the in-memory evaluator (`domain::rules::Rule::eval`) reads of
//! some leads — their columns, converted contact and account, channel, tag names and events —
//! with a handful of `IN` reads, and [`matching`] runs the SQL evaluator (`repo::rules`) over the
//! whole `lead` table. Both take `now`, so a caller (or a test) controls the clock.

use std::collections::HashMap;

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

/// Records of `E` by primary key, each as its model's serde object.
async fn by_id<E: Catalogued>(
    db: &impl sea_orm::ConnectionTrait,
    keys: Vec<String>,
) -> AppResult<HashMap<String, Map<String, Value>>>
where
    E::Model: sea_orm::FromQueryResult + serde::Serialize,
{
    let rows: Vec<(String, E::Model)> =
        read::find_by(db, &Access::unrestricted(), E::TABLE, E::TABLE.pk, &keys).await?;
    rows.iter().map(|(k, m)| Ok((k.clone(), row(m)?))).collect()
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
    let ids = |f: fn(&lead::Model) -> Option<&String>| -> Vec<String> {
        let mut v: Vec<String> = leads.iter().filter_map(|(_, l)| f(l).cloned()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let contacts = by_id::<contact::Entity>(db, ids(|l| l.converted_contact_id.as_ref())).await?;
    let accounts = by_id::<account::Entity>(db, ids(|l| l.converted_account_id.as_ref())).await?;
    let channels = by_id::<channel::Entity>(db, ids(|l| l.channel_id.as_ref())).await?;

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
        let related =
            |m: &HashMap<String, Map<String, Value>>, k: &Option<String>| k.as_ref().and_then(|k| m.get(k)).cloned();
        out.insert(
            id.clone(),
            LeadFacts {
                lead: row(l)?,
                contact: related(&contacts, &l.converted_contact_id),
                account: related(&accounts, &l.converted_account_id),
                channel: related(&channels, &l.channel_id),
                tags: Vec::new(),
                auto_tags: Vec::new(),
                events: Vec::new(),
            },
        );
    }
    for r in &relations {
        if let (Some(f), Some(t)) = (out.get_mut(&r.entity_id), tags.get(&r.tag_id)) {
            f.tags.push(t.tag_name.clone());
            if r.is_auto_tagged && r.tag_source == TagSource::Rule {
                f.auto_tags.push(t.tag_name.clone());
            }
        }
    }
    for (lead_id, e) in events {
        if let Some(f) = out.get_mut(&lead_id) {
            f.events.push(EventFact {
                event_type: e.event_type.as_str().to_string(),
                at: e.event_time,
                properties: e.event_properties,
                utm: e.utm_params,
            });
        }
    }
    Ok((out, relations))
}
