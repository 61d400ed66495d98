//! Processing one accepted ingestion (ARCHITECTURE.md, "Lead ingestion"): one transaction per
//! ingestion (`Write`) that claims it, decides, writes, and records the outcome and the step log —
//! all or nothing.
//!
//! The decision, in order:
//! 1. The scene (read now, so a fix applies to the next attempt) and its mapping rules.
//! 2. Map the opened submission (`domain::acquisition`): a missing required field or an invalid
//!    phone is the submitter's error → `REJECTED` with reasons.
//! 3. Deduplicate by the scene's strategy through the lead blind indexes, under a per-key lock →
//!    `DUPLICATE_OF`: the existing lead gets the FORM_SUBMIT touchpoint and the channel identity.
//! 4. Resolve identity (`services::identity`: phone → e-mail → WeChat id → channel identity) to a
//!    known contact, linked through the touchpoint and the event.
//! 5. Create the lead (`crud::create`, `createLead`'s path), its `lead_channel_identity`, a
//!    FORM_SUBMIT touchpoint and a FORM_SUBMIT event, then call the routing hook → `PROCESSED`.
//!
//! Failures: a refusal of a write (the scene's rules produce a lead the model refuses, a reference
//! is gone) or a missing scene is deterministic: retrying cannot help, fixing the scene can →
//! `DEAD_LETTERED` at once. Anything else (the database, a bug) rolls back, counts an attempt and
//! waits (exponential backoff, `CDP_INGESTION_RETRY_BASE_MS`); after `CDP_INGESTION_MAX_ATTEMPTS`
//! it is dead-lettered. A dead letter is replayed by `replayDeadLetters` (back to `ACCEPTED`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entity::enums::{DeduplicationStrategy, EventType, SceneType, SourceType, TouchpointType};
use entity::{acquisition_scene, event, lead, lead_channel_identity, lead_ingestion, touchpoint};
use sea_orm::Value as SqlValue;
use serde_json::{Value, json};

use super::{ACCEPTED, DEAD_LETTERED, DUPLICATE_OF, PROCESSED, REJECTED, open_submission};
use crate::auth::{Principal, Scope};
use crate::catalog::Catalogued;
use crate::config::IngestionSettings;
use crate::domain::acquisition::{LeadField, Mapped, MappingRules, utm_params};
use crate::error::{AppError, AppResult};
use crate::pubsub::DomainEvent;
use crate::repo;
use crate::repo::ingestion::Finish;
use crate::services::crud::{self, Draft};
use crate::services::identity::{self, PersonKeys};
use crate::services::pii::{EMAIL, MOBILE_PHONE, Pii, PiiColumn};
use crate::services::read::{self, Access};
use crate::services::tx::{Store, Write};
use crate::services::write::{Actor, now};

const LEAD: crate::catalog::Table = <lead::Entity as Catalogued>::TABLE;

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

impl Processor {
    /// Processes the oldest due ingestion, if any (module doc). `Err` only when even recording a
    /// failed attempt failed (the database is down): the worker pauses.
    pub async fn process_next(&self, store: &Store, pii: &Pii) -> AppResult<Option<Outcome>> {
        let w = Write::begin(store).await?;
        let Some(row) = repo::ingestion::claim(&*w, now()).await? else {
            w.rollback().await?;
            return Ok(None);
        };
        let mut steps = Steps::default();
        steps.push("claimed", format!("attempt {}", row.attempts + 1));
        let mut channel = None;
        let outcome = match self.decide(&w, pii, &row, &mut steps, &mut channel).await {
            Ok(outcome) => outcome,
            Err(e @ (AppError::BadUserInput(_) | AppError::Conflict(_) | AppError::NotFound(_))) => {
                w.rollback().await?;
                let mut steps = Steps::default();
                steps.push("refused", e.message());
                return self.record_apart(store, &row, Outcome::DeadLettered(vec![e.message()]), steps).await;
            }
            Err(e) => {
                w.rollback().await?;
                return self.failed(store, &row, e).await;
            }
        };
        steps.push("outcome", outcome.label());
        if let Outcome::Processed(lead_id) | Outcome::DuplicateOf(lead_id) = &outcome {
            w.emit(DomainEvent::LeadIngested {
                ingestion_id: row.ingestion_id.clone(),
                scene_id: row.scene_id.clone(),
                lead_id: lead_id.clone(),
                channel_id: channel,
                duplicate: matches!(outcome, Outcome::DuplicateOf(_)),
            });
        }
        if !repo::ingestion::finish(&*w, &row.ingestion_id, outcome.finish(steps.into_value()), now()).await? {
            // Another worker recorded it first (the claim's lock makes this impossible; the guard
            // keeps a second lead from ever committing should that change).
            w.rollback().await?;
            return Err(AppError::internal(format!("ingestion {} was processed concurrently", row.ingestion_id)));
        }
        w.commit().await?;
        self.count(store, &row, &outcome);
        Ok(Some(outcome))
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
    async fn failed(&self, store: &Store, row: &lead_ingestion::Model, e: AppError) -> AppResult<Option<Outcome>> {
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
        Ok(Some(Outcome::Retrying))
    }

    /// Records an outcome in a transaction of its own (the processing one rolled back).
    async fn record_apart(
        &self,
        store: &Store,
        row: &lead_ingestion::Model,
        outcome: Outcome,
        mut steps: Steps,
    ) -> AppResult<Option<Outcome>> {
        steps.push("outcome", outcome.label());
        let w = Write::begin(store).await?;
        let done = repo::ingestion::finish(&*w, &row.ingestion_id, outcome.finish(steps.into_value()), now()).await?;
        w.commit().await?;
        if done {
            self.count(store, row, &outcome);
        }
        Ok(Some(outcome))
    }

    async fn decide(
        &self,
        w: &Write<'_>,
        pii: &Pii,
        row: &lead_ingestion::Model,
        steps: &mut Steps,
        lead_channel: &mut Option<String>,
    ) -> AppResult<Outcome> {
        let Some(scene) = repo::write::find_by_id::<acquisition_scene::Entity>(&**w, &row.scene_id).await? else {
            return Ok(Outcome::DeadLettered(vec![format!("acquisition scene {} no longer exists", row.scene_id)]));
        };
        let rules =
            match MappingRules::parse("dataMappingRules", scene.data_mapping_rules.as_ref().unwrap_or(&Value::Null)) {
                Ok(rules) => rules,
                Err(e) => return Ok(Outcome::DeadLettered(vec![format!("scene {}: {e}", scene.scene_id)])),
            };
        let submission = open_submission(pii, &row.ingestion_id, &row.submission)?;
        let mapped = match rules.apply(&submission) {
            Ok(mapped) => mapped,
            Err(reasons) => {
                steps.push("mapped", format!("{} reasons to reject", reasons.len()));
                return Ok(Outcome::Rejected(reasons));
            }
        };
        let fields: Vec<&str> = mapped.values().iter().map(|(f, _)| f.api_name()).collect();
        steps.push("mapped", format!("fields: {}", fields.join(", ")));
        let meta = Meta::of(row);
        let channel_identity = match (&scene.default_channel_id, mapped.get(LeadField::ChannelUserId)) {
            (Some(channel), Some(user)) => Some((channel.clone(), user.to_string())),
            _ => None,
        };
        let actor = ingestion_actor(&row.client_id);
        if let Some(existing) = self.duplicate(w, pii, &scene, &mapped, steps).await? {
            let contact = existing.converted_contact_id.clone();
            lead_channel.clone_from(&existing.channel_id);
            self.record_arrival(
                w,
                pii,
                &actor,
                &scene,
                row,
                &meta,
                &existing.lead_id,
                contact,
                channel_identity,
                steps,
            )
            .await?;
            return Ok(Outcome::DuplicateOf(existing.lead_id));
        }
        let identities: Vec<(String, String)> = channel_identity.iter().cloned().collect();
        let keys = PersonKeys {
            phone: mapped.get(LeadField::MobilePhone),
            email: mapped.get(LeadField::Email),
            wechat_id: mapped.get(LeadField::WechatId),
            channel_identities: &identities,
        };
        let known = identity::resolve_contact(&**w, pii, keys, self.identity_cap).await?;
        let contact = known.contact.map(|c| c.contact_id);
        match (&contact, known.key) {
            (Some(id), Some(key)) => steps.push("identity", format!("known contact {id} by {}", key.field())),
            _ => steps.push("identity", "no known contact"),
        }
        let mut draft = Draft::default();
        for (field, value) in mapped.values() {
            if let Some(col) = field.column() {
                draft.set(col, SqlValue::from(value.clone()));
            }
        }
        draft.set("lead_source", SqlValue::from(lead_source(scene.scene_type).as_str()));
        if let Some(channel) = &scene.default_channel_id {
            draft.set("channel_id", SqlValue::from(channel.clone()));
        }
        let created = crud::create::<lead::Entity>(w, pii, &actor, draft).await?;
        lead_channel.clone_from(&created.channel_id);
        steps.push("created", format!("lead {}", created.lead_id));
        self.record_arrival(w, pii, &actor, &scene, row, &meta, &created.lead_id, contact, channel_identity, steps)
            .await?;
        route_new_lead(w, &scene, &created).await?;
        steps.push("routed", "no tagging or assignment rules are applied yet");
        Ok(Outcome::Processed(created.lead_id))
    }

    /// The earliest lead holding one of the scene's deduplication keys, if any; takes a lock per
    /// key first, so two submissions of one person cannot both find none.
    async fn duplicate(
        &self,
        w: &Write<'_>,
        pii: &Pii,
        scene: &acquisition_scene::Model,
        mapped: &Mapped,
        steps: &mut Steps,
    ) -> AppResult<Option<lead::Model>> {
        let keys: Vec<(PiiColumn, LeadField)> = match scene.deduplication_strategy {
            DeduplicationStrategy::NoCheck => vec![],
            DeduplicationStrategy::ByPhone => vec![(MOBILE_PHONE, LeadField::MobilePhone)],
            DeduplicationStrategy::ByEmail => vec![(EMAIL, LeadField::Email)],
            DeduplicationStrategy::ByPhoneOrEmail => {
                vec![(MOBILE_PHONE, LeadField::MobilePhone), (EMAIL, LeadField::Email)]
            }
        };
        let mut blind = Vec::new();
        for (col, field) in keys {
            if let Some(value) = mapped.get(field) {
                blind.push((col, field, pii.blind(LEAD.name, col, value)?));
            }
        }
        let mut lock_keys: Vec<&str> = blind.iter().map(|(_, _, b)| b.as_str()).collect();
        lock_keys.sort_unstable();
        for key in lock_keys {
            repo::ingestion::lock_key(&**w, key).await?;
        }
        for (col, field, bidx) in &blind {
            let found: Vec<(String, lead::Model)> =
                read::find_by(&**w, &Access::unrestricted(), LEAD, col.bidx, std::slice::from_ref(bidx)).await?;
            if let Some(existing) = found
                .into_iter()
                .map(|(_, l)| l)
                .min_by(|a, b| (a.created_at, &a.lead_id).cmp(&(b.created_at, &b.lead_id)))
            {
                steps.push("deduplicated", format!("duplicate of {} by {}", existing.lead_id, field.api_name()));
                return Ok(Some(existing));
            }
        }
        steps.push("deduplicated", format!("no duplicate ({})", scene.deduplication_strategy.as_str()));
        Ok(None)
    }

    /// What every arrival records on its lead (new or existing): the channel identity (once), a
    /// FORM_SUBMIT touchpoint and a FORM_SUBMIT event, both linked to the known contact.
    #[allow(clippy::too_many_arguments)]
    async fn record_arrival(
        &self,
        w: &Write<'_>,
        pii: &Pii,
        actor: &Actor,
        scene: &acquisition_scene::Model,
        row: &lead_ingestion::Model,
        meta: &Meta,
        lead_id: &str,
        contact_id: Option<String>,
        channel_identity: Option<(String, String)>,
        steps: &mut Steps,
    ) -> AppResult<()> {
        let at: DateTime<Utc> = row.created_at;
        let opt = |v: &Option<String>| v.clone().map(SqlValue::from);
        if let Some((channel, user)) = channel_identity {
            let held = repo::identity::lead_identities(&**w, lead_id).await?;
            if held.iter().any(|i| i.channel_id == channel && i.channel_user_id == user) {
                steps.push("channel identity", format!("already recorded in {channel}"));
            } else {
                let mut d = Draft::default();
                d.set("lead_id", SqlValue::from(lead_id));
                d.set("channel_id", SqlValue::from(channel.clone()));
                d.set("channel_user_id", SqlValue::from(user));
                d.set("captured_at", SqlValue::from(at));
                if let Some(utm) = &meta.utm {
                    d.set("utm_params", SqlValue::Json(Some(Box::new(utm.clone()))));
                }
                let lci = crud::create::<lead_channel_identity::Entity>(w, pii, actor, d).await?;
                steps.push("channel identity", format!("recorded {} in {channel}", lci.identity_id));
            }
        }
        let mut d = Draft::default();
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
        let tp = crud::create::<touchpoint::Entity>(w, pii, actor, d).await?;
        let mut d = Draft::default();
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
        let ev = crud::create::<event::Entity>(w, pii, actor, d).await?;
        steps.push("recorded", format!("touchpoint {} and event {} on {lead_id}", tp.touchpoint_id, ev.event_id));
        Ok(())
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

/// Who writes an ingested lead: the ingesting client, with `write` for this processing only.
fn ingestion_actor(client_id: &str) -> Actor {
    Actor::new(Principal {
        subject: format!("ingestion:{client_id}"),
        scopes: BTreeSet::from([Scope::Write]),
        channels: None,
        token_id: None,
        expires_at: chrono::DateTime::<chrono::Utc>::MAX_UTC,
    })
}

/// The tagging and assignment hook of a newly ingested lead: the scene's `auto_tagging_rules` and
/// `assignment_rules` are applied here, in the ingestion's transaction, once the routing work
/// lands. A no-op until then.
async fn route_new_lead(_w: &Write<'_>, _scene: &acquisition_scene::Model, _lead: &lead::Model) -> AppResult<()> {
    Ok(())
}
