//! Processing accepted ingestions (ARCHITECTURE.md, "Lead ingestion"): one transaction (`Write`)
//! per round that claims up to `CDP_INGESTION_BATCH` due rows, decides each, writes, and records
//! every outcome and step log — all or nothing.
//!
//! The decision per ingestion, in the order claimed:
//! 1. The scene (read now, so a fix applies to the next attempt) and its mapping rules.
//! 2. Map the opened submission (`domain::acquisition`): a missing required field or an invalid
//!    phone is the submitter's error → `REJECTED` with reasons.
//! 3. Deduplicate by the scene's strategy through the lead blind indexes, under a per-key lock →
//!    `DUPLICATE_OF`: the existing lead gets the FORM_SUBMIT touchpoint and the channel identity.
//! 4. Resolve identity (`services::identity`: phone → e-mail → WeChat id → channel identity) to a
//!    known contact, linked through the touchpoint and the event.
//! 5. Create the lead (`crud::prepare_many`, `createLead`'s checks), its `lead_channel_identity`, a
//!    FORM_SUBMIT touchpoint and a FORM_SUBMIT event → `PROCESSED`. The routing hook decides the
//!    new leads' tags and owners before their `INSERT` (`routing::decide_new_leads`), so the
//!    `INSERT` carries the owners and no UPDATE of them follows.
//!
//! **A round is set-based**: the reads of steps 1, 3 and 4 are a few `IN (…)` statements for the
//! whole round (identity through an `identity::Snapshot`), the decisions run in memory in claim
//! order, each seeing the leads that earlier ingestions of the round created (a later submission of
//! the same phone is their duplicate, a later person counts them as sharers), and the writes are
//! one multi-row `INSERT` per table and one `UPDATE` of the outcomes. So a round of 100 costs
//! about 15 statements where one ingestion at a time cost about 25 each, and its outcomes are the
//! ones processing the same rows one at a time gives (shown by the differential test in
//! `tests/api/ingestion_pipeline.rs`).
//!
//! Failures: when a round of several ingestions fails, it rolls back whole and the worker processes
//! the same rows one per round, which isolates the failing one. For one ingestion: a refusal of a
//! write (the scene's rules produce a lead the model refuses, a reference is gone) or a missing
//! scene is deterministic: retrying cannot help, fixing the scene can → `DEAD_LETTERED` at once.
//! Anything else (the database, a bug) rolls back, counts an attempt and waits (exponential
//! backoff, `CDP_INGESTION_RETRY_BASE_MS`); after `CDP_INGESTION_MAX_ATTEMPTS` it is dead-lettered.
//! A dead letter is replayed by `replayDeadLetters` (back to `ACCEPTED`).

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::enums::{DeduplicationStrategy, EventType, SceneType, SourceType, TouchpointType};
use entity::{acquisition_scene, event, lead, lead_channel_identity, lead_ingestion, touchpoint};
use sea_orm::Value as SqlValue;
use serde_json::{Value, json};

use super::{ACCEPTED, DEAD_LETTERED, DUPLICATE_OF, PROCESSED, REJECTED, open_submission};
use crate::auth::{Principal, Scope};
use crate::catalog::{Catalogued, PiiColumn};
use crate::config::IngestionSettings;
use crate::domain::acquisition::{LeadField, Mapped, MappingRules, utm_params};
use crate::error::{AppError, AppResult};
use crate::pubsub::DomainEvent;
use crate::repo;
use crate::repo::ingestion::Finish;
use crate::services::crud::{self, Draft};
use crate::services::identity::{self, PersonKeys, Snapshot, distinct};
use crate::services::pii::{EMAIL, MOBILE_PHONE, Pii, WECHAT_ID};
use crate::services::read::{self, Access};
use crate::services::routing;
use crate::services::tx::{Store, Write};
use crate::services::write::{Actor, new_id, now};

const LEAD: crate::catalog::Table = <lead::Entity as Catalogued>::TABLE;
const SCENE: crate::catalog::Table = <acquisition_scene::Entity as Catalogued>::TABLE;

/// What the worker needs besides the store.
#[derive(Clone)]
pub struct Processor {
    pub settings: IngestionSettings,
    /// `CDP_IDENTITY_MAX_SHARED_KEY`.
    pub identity_cap: u64,
}

/// The outcome of one attempt at an ingestion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Processed(String),
    DuplicateOf(String),
    Rejected(Vec<String>),
    DeadLettered(Vec<String>),
    /// The attempt failed and the ingestion waits for another.
    Retrying,
}

impl Outcome {
    /// The metric label (`cdp360_ingestion_total{outcome}`).
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Processed(_) => "processed",
            Outcome::DuplicateOf(_) => "duplicate",
            Outcome::Rejected(_) => "rejected",
            Outcome::DeadLettered(_) => "dead_lettered",
            Outcome::Retrying => "retried",
        }
    }

    fn finish(&self, steps: Value) -> Finish<'_> {
        let reasons = |r: &[String]| Some(Value::Array(r.iter().cloned().map(Value::String).collect()));
        let (status, lead_id, duplicate_of, reasons) = match self {
            Outcome::Processed(id) => (PROCESSED, Some(id.as_str()), None, None),
            Outcome::DuplicateOf(id) => (DUPLICATE_OF, None, Some(id.as_str()), None),
            Outcome::Rejected(r) => (REJECTED, None, None, reasons(r)),
            Outcome::DeadLettered(r) => (DEAD_LETTERED, None, None, reasons(r)),
            // Never recorded as an outcome (a retry keeps the row ACCEPTED).
            Outcome::Retrying => (ACCEPTED, None, None, None),
        };
        Finish { status, lead_id, duplicate_of, reasons, steps }
    }
}

/// The step log of one attempt: `[{"step", "detail"}]`.
#[derive(Default)]
struct Steps(Vec<Step>);

/// One step of an attempt at processing an ingestion.
// Also the schema of the status answer's `steps` in the OpenAPI document.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Step {
    /// What the step did: names fields, keys and ids, never a submitted value.
    pub detail: String,
    /// Which step: `claimed`, `mapped`, `deduplicated`, …
    pub step: String,
}

impl Steps {
    fn push(&mut self, step: &str, detail: impl Into<String>) {
        self.0.push(Step { detail: detail.into(), step: step.to_string() });
    }

    fn into_value(self) -> Value {
        // Texts only: serialising cannot fail.
        serde_json::to_value(self.0).unwrap_or_default()
    }
}

/// One claimed ingestion as the round decides it.
struct Item<'r> {
    row: &'r lead_ingestion::Model,
    steps: Steps,
    outcome: Option<Outcome>,
    /// The lead's channel (announced with `LeadIngested`).
    channel: Option<String>,
}

/// A mapped submission, ready for deduplication and identity.
struct Ready<'r> {
    at: usize,
    scene: &'r acquisition_scene::Model,
    mapped: Mapped,
    meta: Meta,
    channel_identity: Option<(String, String)>,
    /// The scene's deduplication keys present in the submission: (column, field, lead blind index).
    dedup: Vec<(PiiColumn, LeadField, String)>,
}

/// A lead found or created for a duplicate: what its later arrivals need.
#[derive(Clone)]
struct KnownLead {
    lead_id: String,
    contact: Option<String>,
    channel: Option<String>,
}

/// The rows a round writes, in dependency order.
#[derive(Default)]
struct Writes {
    leads: Vec<Draft>,
    identities: Vec<Draft>,
    touchpoints: Vec<Draft>,
    events: Vec<Draft>,
}

impl Processor {
    /// Processes the oldest due ingestion, if any: a round of one (module doc).
    pub async fn process_next(&self, store: &Store, pii: &Pii) -> AppResult<Option<Outcome>> {
        Ok(self.process_round(store, pii, 1).await?.pop())
    }

    /// Processes up to `limit` of the oldest due ingestions in one transaction (module doc) and
    /// returns their outcomes; none when nothing is due. `Err` when a round of several failed and
    /// rolled back (process its rows one per round), or when even recording a failed attempt at one
    /// failed (the database is down: the worker pauses).
    pub async fn process_round(&self, store: &Store, pii: &Pii, limit: usize) -> AppResult<Vec<Outcome>> {
        let w = Write::begin(store).await?;
        let rows = repo::ingestion::claim_many(&*w, now(), limit.max(1) as u64).await?;
        if rows.is_empty() {
            w.rollback().await?;
            return Ok(Vec::new());
        }
        let decided = match self.decide(&w, pii, &rows).await {
            Ok(items) => items,
            Err(e) if rows.len() > 1 => {
                w.rollback().await?;
                return Err(e);
            }
            Err(e @ (AppError::BadUserInput(_) | AppError::Conflict(_) | AppError::NotFound(_))) => {
                w.rollback().await?;
                let mut steps = Steps::default();
                steps.push("refused", e.message());
                let outcome = Outcome::DeadLettered(vec![e.message()]);
                return Ok(vec![self.record_apart(store, &rows[0], outcome, steps).await?]);
            }
            Err(e) => {
                w.rollback().await?;
                return Ok(vec![self.failed(store, &rows[0], e).await?]);
            }
        };
        let mut finished = Vec::with_capacity(decided.len());
        let mut outcomes = Vec::with_capacity(decided.len());
        for item in decided {
            let outcome = item.outcome.unwrap_or(Outcome::Retrying);
            let mut steps = item.steps;
            steps.push("outcome", outcome.label());
            if let Outcome::Processed(lead_id) | Outcome::DuplicateOf(lead_id) = &outcome {
                w.emit(DomainEvent::LeadIngested {
                    ingestion_id: item.row.ingestion_id.clone(),
                    scene_id: item.row.scene_id.clone(),
                    lead_id: lead_id.clone(),
                    channel_id: item.channel,
                    duplicate: matches!(outcome, Outcome::DuplicateOf(_)),
                });
            }
            finished.push((item.row, steps));
            outcomes.push(outcome);
        }
        let done: Vec<(&str, Finish<'_>)> = finished
            .into_iter()
            .zip(&outcomes)
            .map(|((row, steps), outcome)| (row.ingestion_id.as_str(), outcome.finish(steps.into_value())))
            .collect();
        if repo::ingestion::finish_many(&*w, done, now()).await? != rows.len() as u64 {
            // Another worker recorded one first (the claim's lock makes this impossible; the guard
            // keeps a second lead from ever committing should that change).
            w.rollback().await?;
            return Err(AppError::internal("an ingestion of the round was processed concurrently"));
        }
        w.commit().await?;
        for (row, outcome) in rows.iter().zip(&outcomes) {
            self.count(store, row, outcome);
        }
        Ok(outcomes)
    }

    fn count(&self, store: &Store, row: &lead_ingestion::Model, outcome: &Outcome) {
        store.metrics().ingestion(&row.scene_id, outcome.label());
        if *outcome != Outcome::Retrying {
            let waited = (now() - row.created_at).to_std().unwrap_or_default();
            store.metrics().ingestion_latency(waited.as_secs_f64());
        }
    }

    /// A failed attempt, recorded apart (the processing transaction rolled back): wait and retry,
    /// or, after the last attempt, dead-letter.
    async fn failed(&self, store: &Store, row: &lead_ingestion::Model, e: AppError) -> AppResult<Outcome> {
        let attempt = row.attempts + 1;
        tracing::warn!(ingestion = %row.ingestion_id, attempt, error = %e.message(), "ingestion processing failed");
        let why = if e.is_internal() { "an internal error (see the server log)".to_string() } else { e.message() };
        let mut steps = Steps::default();
        steps.push("failed", format!("attempt {attempt}: {why}"));
        if attempt >= self.settings.max_attempts {
            let reason = format!("processing failed {attempt} times; the last: {why}");
            return self.record_apart(store, row, Outcome::DeadLettered(vec![reason]), steps).await;
        }
        let wait = self.settings.retry_after(attempt);
        let at = now();
        let next = at + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(300));
        let w = Write::begin(store).await?;
        repo::ingestion::failed_attempt(&*w, &row.ingestion_id, steps.into_value(), at, next).await?;
        w.commit().await?;
        self.count(store, row, &Outcome::Retrying);
        Ok(Outcome::Retrying)
    }

    /// Records an outcome in a transaction of its own (the processing one rolled back).
    async fn record_apart(
        &self,
        store: &Store,
        row: &lead_ingestion::Model,
        outcome: Outcome,
        mut steps: Steps,
    ) -> AppResult<Outcome> {
        steps.push("outcome", outcome.label());
        let w = Write::begin(store).await?;
        let done = repo::ingestion::finish(&*w, &row.ingestion_id, outcome.finish(steps.into_value()), now()).await?;
        w.commit().await?;
        if done {
            self.count(store, row, &outcome);
        }
        Ok(outcome)
    }

    /// Decides every claimed row (module doc) and writes the round's rows.
    async fn decide<'r>(
        &self,
        w: &Write<'_>,
        pii: &Pii,
        rows: &'r [lead_ingestion::Model],
    ) -> AppResult<Vec<Item<'r>>> {
        let mut items: Vec<Item<'r>> = rows
            .iter()
            .map(|row| {
                let mut steps = Steps::default();
                steps.push("claimed", format!("attempt {}", row.attempts + 1));
                Item { row, steps, outcome: None, channel: None }
            })
            .collect();
        // 1–2: scenes and mapping.
        let scene_ids: Vec<String> = distinct(rows.iter().map(|r| r.scene_id.clone()));
        let scenes: HashMap<String, acquisition_scene::Model> =
            read::find_by(&**w, &Access::unrestricted(), SCENE, SCENE.pk, &scene_ids).await?.into_iter().collect();
        let mut rules: HashMap<&str, Result<MappingRules, String>> = HashMap::new();
        let mut ready: Vec<Ready<'_>> = Vec::new();
        for (at, item) in items.iter_mut().enumerate() {
            let Some(scene) = scenes.get(&item.row.scene_id) else {
                let reason = format!("acquisition scene {} no longer exists", item.row.scene_id);
                item.outcome = Some(Outcome::DeadLettered(vec![reason]));
                continue;
            };
            let parsed = rules.entry(scene.scene_id.as_str()).or_insert_with(|| {
                MappingRules::parse("dataMappingRules", scene.data_mapping_rules.as_ref().unwrap_or(&Value::Null))
                    .map_err(|e| format!("scene {}: {e}", scene.scene_id))
            });
            let parsed = match parsed {
                Ok(rules) => rules,
                Err(reason) => {
                    item.outcome = Some(Outcome::DeadLettered(vec![reason.clone()]));
                    continue;
                }
            };
            let submission = open_submission(pii, &item.row.ingestion_id, &item.row.submission)?;
            let mapped = match parsed.apply(&submission) {
                Ok(mapped) => mapped,
                Err(reasons) => {
                    item.steps.push("mapped", format!("{} reasons to reject", reasons.len()));
                    item.outcome = Some(Outcome::Rejected(reasons));
                    continue;
                }
            };
            let fields: Vec<String> = mapped
                .values()
                .iter()
                .map(|(f, _)| f.api_name().to_string())
                .chain(mapped.custom_keys().map(|k| format!("customFields.{k}")))
                .collect();
            item.steps.push("mapped", format!("fields: {}", fields.join(", ")));
            let channel_identity = match (&scene.default_channel_id, mapped.get(LeadField::ChannelUserId)) {
                (Some(channel), Some(user)) => Some((channel.clone(), user.to_string())),
                _ => None,
            };
            let mut dedup = Vec::new();
            for (col, field) in dedup_keys(scene.deduplication_strategy) {
                if let Some(value) = mapped.get(field) {
                    dedup.push((col, field, pii.blind(LEAD.name, col, value)?));
                }
            }
            ready.push(Ready { at, scene, mapped, meta: Meta::of(item.row), channel_identity, dedup });
        }
        // 3: lock every deduplication key (sorted: no two rounds deadlock), then read the leads
        // holding them.
        let keys = distinct(ready.iter().flat_map(|r| r.dedup.iter().map(|(_, _, b)| b.clone())));
        repo::ingestion::lock_keys(&**w, &keys).await?;
        let mut stored: HashMap<(&str, String), KnownLead> = HashMap::new();
        for col in [MOBILE_PHONE, EMAIL] {
            let wanted = distinct(
                ready
                    .iter()
                    .flat_map(|r| r.dedup.iter().filter(|(c, _, _)| c.column == col.column).map(|k| k.2.clone())),
            );
            if wanted.is_empty() {
                continue;
            }
            let found: Vec<(String, lead::Model)> =
                read::find_by(&**w, &Access::unrestricted(), LEAD, col.bidx, &wanted).await?;
            let mut earliest: HashMap<String, lead::Model> = HashMap::new();
            for (bidx, l) in found {
                let e = earliest.entry(bidx).or_insert_with(|| l.clone());
                if (l.created_at, &l.lead_id) < (e.created_at, &e.lead_id) {
                    *e = l;
                }
            }
            for (bidx, l) in earliest {
                let known = KnownLead { lead_id: l.lead_id, contact: l.converted_contact_id, channel: l.channel_id };
                stored.insert((col.column, bidx), known);
            }
        }
        // 4: what identity resolution and the channel identities of existing leads will ask.
        let identities: Vec<Vec<(String, String)>> =
            ready.iter().map(|r| r.channel_identity.iter().cloned().collect()).collect();
        let people: Vec<PersonKeys<'_>> =
            ready.iter().zip(&identities).map(|(r, ids)| person(&r.mapped, ids)).collect();
        let mut snapshot = Snapshot::load(&**w, pii, &people).await?;
        let dup_leads = distinct(stored.values().map(|k| k.lead_id.clone()));
        let mut held: HashSet<(String, String, String)> = HashSet::new();
        if ready.iter().any(|r| r.channel_identity.is_some()) && !dup_leads.is_empty() {
            for i in repo::identity::leads_identities(&**w, &dup_leads).await? {
                held.insert((i.lead_id, i.channel_id, i.channel_user_id));
            }
        }
        // 5: decide in claim order; each decision sees the leads the earlier ones created.
        let actor = ingestion_actor();
        let mut created: HashMap<(&str, String), KnownLead> = HashMap::new();
        let mut writes = Writes::default();
        let mut new_leads: Vec<(usize, &acquisition_scene::Model)> = Vec::new();
        let mut again: Vec<(&acquisition_scene::Model, String)> = Vec::new();
        for (r, person) in ready.iter().zip(&people) {
            let item = &mut items[r.at];
            let duplicate = r.dedup.iter().find_map(|(col, field, bidx)| {
                let key = (col.column, bidx.clone());
                stored.get(&key).or_else(|| created.get(&key)).map(|k| (k.clone(), *field))
            });
            if let Some((existing, field)) = duplicate {
                item.steps.push("deduplicated", format!("duplicate of {} by {}", existing.lead_id, field.api_name()));
                item.channel.clone_from(&existing.channel);
                arrival(&mut writes, &mut held, r, item, &existing.lead_id, existing.contact.clone());
                again.push((r.scene, existing.lead_id.clone()));
                item.outcome = Some(Outcome::DuplicateOf(existing.lead_id));
                continue;
            }
            let strategy = r.scene.deduplication_strategy.as_str();
            item.steps.push("deduplicated", format!("no duplicate ({strategy})"));
            let known = identity::resolve_contact_in(&snapshot, pii, *person, self.identity_cap).await?;
            let contact = known.contact.map(|c| c.contact_id);
            match (&contact, known.key) {
                (Some(id), Some(key)) => item.steps.push("identity", format!("known contact {id} by {}", key.field())),
                _ => item.steps.push("identity", "no known contact"),
            }
            let lead_id = new_id(LEAD_PREFIX);
            let mut draft = Draft { id: Some(lead_id.clone()), ..Draft::default() };
            for (field, value) in r.mapped.values() {
                if let Some(col) = field.column() {
                    draft.set(col, SqlValue::from(value.clone()));
                }
            }
            if let Some(custom) = r.mapped.custom_fields() {
                draft.set("custom_fields", SqlValue::Json(Some(Box::new(custom))));
            }
            draft.set("lead_source", SqlValue::from(lead_source(r.scene.scene_type).as_str()));
            if let Some(channel) = &r.scene.default_channel_id {
                draft.set("channel_id", SqlValue::from(channel.clone()));
            }
            writes.leads.push(draft);
            item.steps.push("created", format!("lead {lead_id}"));
            let mut lead_keys = Vec::new();
            for (col, field) in
                [(MOBILE_PHONE, LeadField::MobilePhone), (EMAIL, LeadField::Email), (WECHAT_ID, LeadField::WechatId)]
            {
                if let Some(value) = r.mapped.get(field).map(str::trim).filter(|v| !v.is_empty()) {
                    let bidx = pii.blind(LEAD.name, col, value)?;
                    if col.column != WECHAT_ID.column {
                        let known = KnownLead {
                            lead_id: lead_id.clone(),
                            contact: None,
                            channel: r.scene.default_channel_id.clone(),
                        };
                        created.entry((col.column, bidx.clone())).or_insert(known);
                    }
                    lead_keys.push((col, bidx));
                }
            }
            snapshot.add_lead(&lead_id, &lead_keys);
            arrival(&mut writes, &mut held, r, item, &lead_id, contact);
            item.steps.push(
                "routed",
                "the scene's assignment rules apply with the round's writes (the lead's assignment log)",
            );
            item.outcome = Some(Outcome::Processed(lead_id));
            new_leads.push((r.at, r.scene));
        }
        // The new leads are routed before they are written, from what the round holds, so their
        // INSERT carries their owners; the tags and the assignment log follow it.
        // Models for the rules are built only when a rule applies.
        let arrivals: Vec<(&acquisition_scene::Model, &str)> =
            new_leads.iter().zip(&writes.leads).filter_map(|((_, s), d)| Some((*s, d.id.as_deref()?))).collect();
        let round = routing::rules_for_new(w, &arrivals).await?;
        drop(arrivals);
        let mut leads = crud::prepare_many::<lead::Entity>(pii, &actor, writes.leads)?;
        let events = crud::prepare_many::<event::Entity>(pii, &actor, writes.events)?;
        let decided = match round {
            Some(round) => {
                let models = leads.models()?;
                let routed: Vec<_> = new_leads.iter().map(|(_, scene)| *scene).zip(&models).collect();
                let decided = routing::decide_new_leads(w, round, &routed, events.models()?).await?;
                let gifts: HashMap<&str, _> = decided.gifts().into_iter().map(|g| (g.lead_id, g)).collect();
                for (row, model) in leads.rows.iter_mut().zip(&models) {
                    if let Some(gift) = gifts.get(model.lead_id.as_str()) {
                        repo::assignment::give_new(row, gift);
                    }
                }
                drop(gifts);
                decided
            }
            None => routing::Decided::default(),
        };
        // The round's rows, parents first.
        let leads = crud::insert_prepared(w, &actor, leads).await?;
        crud::create_many::<lead_channel_identity::Entity>(w, pii, &actor, writes.identities).await?;
        crud::create_many::<touchpoint::Entity>(w, pii, &actor, writes.touchpoints).await?;
        crud::insert_prepared(w, &actor, events).await?;
        decided.write(w).await?;
        for ((at, _), lead) in new_leads.into_iter().zip(&leads) {
            items[at].channel.clone_from(&lead.channel_id);
        }
        routing::route_duplicates(w, &again).await?;
        Ok(items)
    }
}

/// What every arrival records on its lead (new or existing): the channel identity (once), a
/// FORM_SUBMIT touchpoint and a FORM_SUBMIT event, both linked to the known contact.
fn arrival(
    writes: &mut Writes,
    held: &mut HashSet<(String, String, String)>,
    r: &Ready<'_>,
    item: &mut Item<'_>,
    lead_id: &str,
    contact_id: Option<String>,
) {
    let (row, scene, meta) = (item.row, r.scene, &r.meta);
    let at: DateTime<Utc> = row.created_at;
    let opt = |v: &Option<String>| v.clone().map(SqlValue::from);
    if let Some((channel, user)) = r.channel_identity.clone() {
        if !held.insert((lead_id.to_string(), channel.clone(), user.clone())) {
            item.steps.push("channel identity", format!("already recorded in {channel}"));
        } else {
            let id = new_id(<lead_channel_identity::Entity as Catalogued>::FACTS.prefix);
            let mut d = Draft { id: Some(id.clone()), ..Draft::default() };
            d.set("lead_id", SqlValue::from(lead_id));
            d.set("channel_id", SqlValue::from(channel.clone()));
            d.set("channel_user_id", SqlValue::from(user));
            d.set("captured_at", SqlValue::from(at));
            if let Some(utm) = &meta.utm {
                d.set("utm_params", SqlValue::Json(Some(Box::new(utm.clone()))));
            }
            writes.identities.push(d);
            item.steps.push("channel identity", format!("recorded {id} in {channel}"));
        }
    }
    let tp_id = new_id(<touchpoint::Entity as Catalogued>::FACTS.prefix);
    let mut d = Draft { id: Some(tp_id.clone()), ..Draft::default() };
    d.set("touchpoint_type", SqlValue::from(TouchpointType::FormSubmit.as_str()));
    d.set("lead_id", SqlValue::from(lead_id));
    d.set("touchpoint_time", SqlValue::from(at));
    d.set("subject", SqlValue::from(format!("{} ({})", scene.scene_name, scene.scene_type.as_str())));
    d.set(
        "metadata",
        SqlValue::Json(Some(Box::new(json!({ "ingestionId": row.ingestion_id, "sceneId": scene.scene_id })))),
    );
    if let Some(v) = opt(&scene.default_channel_id) {
        d.set("channel_id", v);
    }
    if let Some(v) = opt(&contact_id) {
        d.set("contact_id", v);
    }
    if let Some(utm) = &meta.utm {
        d.set("utm_params", SqlValue::Json(Some(Box::new(utm.clone()))));
    }
    writes.touchpoints.push(d);
    let ev_id = new_id(<event::Entity as Catalogued>::FACTS.prefix);
    let mut d = Draft { id: Some(ev_id.clone()), ..Draft::default() };
    d.set("event_name", SqlValue::from("lead_form_submit"));
    d.set("event_type", SqlValue::from(EventType::FormSubmit.as_str()));
    d.set("lead_id", SqlValue::from(lead_id));
    d.set("event_time", SqlValue::from(at));
    let mut props = json!({ "ingestionId": row.ingestion_id, "sceneId": scene.scene_id });
    if let Some(ua) = &meta.user_agent {
        props["userAgent"] = Value::String(ua.clone());
    }
    d.set("event_properties", SqlValue::Json(Some(Box::new(props))));
    for (col, v) in [
        ("channel_id", &scene.default_channel_id),
        ("contact_id", &contact_id),
        ("ip_address", &meta.ip),
        ("page_url", &meta.url),
    ] {
        if let Some(v) = opt(v) {
            d.set(col, v);
        }
    }
    if let Some(utm) = &meta.utm {
        d.set("utm_params", SqlValue::Json(Some(Box::new(utm.clone()))));
    }
    writes.events.push(d);
    item.steps.push("recorded", format!("touchpoint {tp_id} and event {ev_id} on {lead_id}"));
}

const LEAD_PREFIX: &str = <lead::Entity as Catalogued>::FACTS.prefix;

/// A scene's deduplication keys, in the order they are tried.
fn dedup_keys(strategy: DeduplicationStrategy) -> Vec<(PiiColumn, LeadField)> {
    match strategy {
        DeduplicationStrategy::NoCheck => vec![],
        DeduplicationStrategy::ByPhone => vec![(MOBILE_PHONE, LeadField::MobilePhone)],
        DeduplicationStrategy::ByEmail => vec![(EMAIL, LeadField::Email)],
        DeduplicationStrategy::ByPhoneOrEmail => {
            vec![(MOBILE_PHONE, LeadField::MobilePhone), (EMAIL, LeadField::Email)]
        }
    }
}

/// A mapped submission's keys for identity resolution.
fn person<'a>(mapped: &'a Mapped, identities: &'a [(String, String)]) -> PersonKeys<'a> {
    PersonKeys {
        phone: mapped.get(LeadField::MobilePhone),
        email: mapped.get(LeadField::Email),
        wechat_id: mapped.get(LeadField::WechatId),
        channel_identities: identities,
    }
}

/// The request's meta, as the touchpoint and the event record it.
struct Meta {
    ip: Option<String>,
    user_agent: Option<String>,
    url: Option<String>,
    utm: Option<Value>,
}

impl Meta {
    fn of(row: &lead_ingestion::Model) -> Meta {
        let text = |k: &str| row.meta.as_ref().and_then(|m| m.get(k)).and_then(Value::as_str).map(str::to_string);
        let url = text("submission_url");
        Meta {
            ip: text("ip").map(|s| s.chars().take(50).collect()),
            user_agent: text("user_agent").map(|s| s.chars().take(500).collect()),
            utm: url.as_deref().and_then(utm_params),
            url: url.map(|s| s.chars().take(1000).collect()),
        }
    }
}

/// The lead source a scene's leads get.
fn lead_source(scene: SceneType) -> SourceType {
    match scene {
        SceneType::WebForm => SourceType::Form,
        SceneType::LandingPage => SourceType::Website,
        SceneType::ApiImport => SourceType::Api,
        SceneType::OrderSync => SourceType::Import,
        SceneType::PhoneCall | SceneType::SocialMediaLead | SceneType::QrCodeScan | SceneType::MiniProgram => {
            SourceType::Other
        }
    }
}

/// Who writes ingested leads: the ingestion worker, with `write` for this processing only (the
/// subject is no `app_user`, so nothing records it as a person).
fn ingestion_actor() -> Actor {
    Actor::new(Principal {
        subject: "ingestion".to_string(),
        scopes: BTreeSet::from([Scope::Write]),
        channels: None,
        token_id: None,
        expires_at: chrono::DateTime::<chrono::Utc>::MAX_UTC,
    })
}
