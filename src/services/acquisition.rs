//! Lead acquisition (docs/design.md §6, "Lead acquisition"; ARCHITECTURE.md, "Lead ingestion"):
//! accepting a submission durably, and processing it into a lead.
//!
//! - [`accept`]: parses the request, honours its idempotency key (same key and body: the same
//!   ingestion; another body: refused), resolves the scene (by id, or the one enabled scene of a
//!   type), checks a `LANDING_PAGE` submission's code (`services::verification`), seals the
//!   submission's phones and e-mails, and commits one `lead_ingestion` row (consuming the code in
//!   the same transaction) before the caller answers. A refusal writes nothing (but a counted
//!   attempt at a code).
//! - [`process_next`]: one ingestion in one transaction (`Write`): claim it, map it with the
//!   scene's rules (`domain::acquisition`), deduplicate by the scene's strategy through the blind
//!   indexes, and create the lead through `crud::create` — the `createLead` path, so validation,
//!   sealing, events and summaries are the same — then call the routing hook and record the
//!   outcome: `PROCESSED`, `DUPLICATE_OF` or `REJECTED` with reasons.

use std::collections::BTreeSet;

use entity::enums::{DeduplicationStrategy, SceneType, SourceType};
use entity::{acquisition_scene, lead, lead_ingestion};
use sea_orm::Value as SqlValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::auth::{Principal, Scope};
use crate::catalog::Catalogued;
use crate::domain::acquisition::{LeadField, MappingRules, lookup_mut};
use crate::domain::value::{Email, Phone};
use crate::error::{AppError, AppResult};
use crate::repo;
use crate::repo::ingestion::Finish;
use crate::services::crud::{self, Draft};
use crate::services::pii::{EMAIL, MOBILE_PHONE, Pii, PiiColumn, WECHAT_ID};
use crate::services::read::{self, Access};
use crate::services::tx::{Store, Write};
use crate::services::verification::{self, CheckRefusal, Codes};
use crate::services::write::{Actor, new_id, now};

/// The id prefix of ingestions.
pub const INGESTION_PREFIX: &str = "ING";
/// The longest idempotency key.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;
/// Attempts at an ingestion whose processing fails (the database, a bug) before it is rejected.
pub const MAX_ATTEMPTS: i32 = 5;

/// Stored statuses.
pub const ACCEPTED: &str = "ACCEPTED";
pub const PROCESSED: &str = "PROCESSED";
pub const DUPLICATE_OF: &str = "DUPLICATE_OF";
pub const REJECTED: &str = "REJECTED";

const SCENE: crate::catalog::Table = <acquisition_scene::Entity as Catalogued>::TABLE;
const LEAD: crate::catalog::Table = <lead::Entity as Catalogued>::TABLE;

/// Why a submission was not accepted. Nothing was written.
#[derive(Debug)]
pub enum Refusal {
    /// Not JSON, or not the request's shape.
    Malformed(String),
    UnknownScene(String),
    DisabledScene(String),
    /// Several enabled scenes of the type: name one by `scene_config_id`.
    AmbiguousScene(String),
    /// The idempotency key was used with another body.
    KeyReused,
    /// A `LANDING_PAGE` submission without a valid code (`services::verification`).
    Verification(CheckRefusal),
    Failed(AppError),
}

impl From<CheckRefusal> for Refusal {
    fn from(e: CheckRefusal) -> Self {
        Refusal::Verification(e)
    }
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Refusal::Failed(e)
    }
}

/// An accepted submission.
#[derive(Debug)]
pub struct Accepted {
    pub ingestion_id: String,
    /// True when an earlier request with the same key and body was accepted already.
    pub replayed: bool,
}

#[derive(serde::Deserialize)]
struct Request {
    scene_config_id: Option<String>,
    scene_type: Option<String>,
    submission_data: Option<Value>,
    meta: Option<Meta>,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct Meta {
    ip: Option<String>,
    user_agent: Option<String>,
    submission_url: Option<String>,
}

/// Accepts one submission from `client_id` (the token's subject) — see the module doc.
pub async fn accept(
    store: &Store,
    pii: &Pii,
    codes: &Codes,
    client_id: &str,
    idempotency_key: Option<&str>,
    body: &[u8],
) -> Result<Accepted, Refusal> {
    if let Some(key) = idempotency_key
        && (key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY || !key.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(Refusal::Malformed(format!(
            "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"
        )));
    }
    let request: Request = serde_json::from_slice(body)
        .map_err(|e| Refusal::Malformed(format!("the body is not a valid request: {e}")))?;
    let Some(Value::Object(mut submission)) = request.submission_data else {
        return Err(Refusal::Malformed("submission_data must be a JSON object".into()));
    };
    let meta = request.meta.map(bounded_meta).transpose()?;
    let sha = hex_sha256(body);
    if let Some(key) = idempotency_key
        && let Some(earlier) = repo::ingestion::find_by_key(&store.db, client_id, key).await?
    {
        return same_body(earlier, &sha);
    }
    let scene = resolve_scene(store, request.scene_config_id, request.scene_type).await?;
    let rules = MappingRules::parse("dataMappingRules", scene.data_mapping_rules.as_ref().unwrap_or(&Value::Null))
        .map_err(|e| Refusal::Failed(AppError::internal(format!("scene {}: stored rules: {e}", scene.scene_id))))?;
    let verified = verification::check_submission(store, pii, codes, &scene, &rules, &mut submission).await?;
    let id = new_id(INGESTION_PREFIX);
    let sealed = seal_submission(pii, &rules, &id, Value::Object(submission))?;
    let at = now();
    let row = lead_ingestion::Model {
        ingestion_id: id.clone(),
        scene_id: scene.scene_id,
        client_id: client_id.to_string(),
        idempotency_key: idempotency_key.map(str::to_string),
        body_sha256: sha.clone(),
        status: ACCEPTED.to_string(),
        submission: sealed,
        meta,
        lead_id: None,
        duplicate_of: None,
        reasons: None,
        attempts: 0,
        created_at: at,
        updated_at: at,
        processed_at: None,
    };
    let inserted = match &verified {
        None => repo::ingestion::enqueue(&store.db, row).await?,
        Some(code) => verification::enqueue_verified(store, code, row).await?,
    };
    if !inserted {
        // A concurrent request with the same key was first.
        let key = idempotency_key.unwrap_or_default();
        let earlier = repo::ingestion::find_by_key(&store.db, client_id, key)
            .await?
            .ok_or_else(|| AppError::internal("an ingestion conflicted on its key and is gone"))?;
        return same_body(earlier, &sha);
    }
    store.metrics().ingestion("accepted");
    store.ingestion_wake().notify_one();
    Ok(Accepted { ingestion_id: id, replayed: false })
}

fn same_body(earlier: lead_ingestion::Model, sha: &str) -> Result<Accepted, Refusal> {
    if earlier.body_sha256 == sha {
        Ok(Accepted { ingestion_id: earlier.ingestion_id, replayed: true })
    } else {
        Err(Refusal::KeyReused)
    }
}

fn hex_sha256(body: &[u8]) -> String {
    Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect()
}

/// The request's meta, each value at most 2 000 characters.
fn bounded_meta(m: Meta) -> Result<Value, Refusal> {
    for (name, v) in
        [("meta.ip", &m.ip), ("meta.user_agent", &m.user_agent), ("meta.submission_url", &m.submission_url)]
    {
        if v.as_ref().is_some_and(|v| v.chars().count() > 2000) {
            return Err(Refusal::Malformed(format!("{name} must be at most 2000 characters")));
        }
    }
    serde_json::to_value(m).map_err(|e| Refusal::Failed(AppError::internal(format!("meta: {e}"))))
}

/// The scene a submission names: by id, or the one enabled scene of a type.
async fn resolve_scene(
    store: &Store,
    id: Option<String>,
    scene_type: Option<String>,
) -> Result<acquisition_scene::Model, Refusal> {
    let scene = match (id, scene_type) {
        (Some(id), None) => repo::write::find_by_id::<acquisition_scene::Entity>(&store.db, &id)
            .await?
            .ok_or_else(|| Refusal::UnknownScene(format!("no acquisition scene {id}")))?,
        (None, Some(t)) => {
            let Ok(ty) = serde_json::from_value::<SceneType>(Value::String(t.clone())) else {
                return Err(Refusal::UnknownScene(format!("no scene type {t}")));
            };
            let all: Vec<(String, acquisition_scene::Model)> =
                read::find_by(&store.db, &Access::unrestricted(), SCENE, "scene_type", &[ty.as_str().to_string()])
                    .await?;
            let mut enabled: Vec<acquisition_scene::Model> =
                all.iter().map(|(_, s)| s.clone()).filter(|s| s.is_enabled).collect();
            match enabled.len() {
                0 if all.is_empty() => return Err(Refusal::UnknownScene(format!("no acquisition scene of type {t}"))),
                0 => return Err(Refusal::DisabledScene(format!("every acquisition scene of type {t} is disabled"))),
                1 => enabled.remove(0),
                _ => {
                    return Err(Refusal::AmbiguousScene(format!(
                        "several enabled scenes of type {t}: name one by scene_config_id"
                    )));
                }
            }
        }
        _ => return Err(Refusal::Malformed("give exactly one of scene_config_id and scene_type".into())),
    };
    if !scene.is_enabled {
        return Err(Refusal::DisabledScene(format!("acquisition scene {} is disabled", scene.scene_id)));
    }
    Ok(scene)
}

/// The marker of a sealed value inside a stored submission: `{"$sealed": "<column>", "v": "<ciphertext>"}`.
const SEALED: &str = "$sealed";

/// Seals the personal data of a submission before it is stored: the values the scene maps to a
/// phone, e-mail or WeChat id (whatever they hold: an invalid phone is still a phone), and any
/// other text value that reads as a phone number or an e-mail address.
fn seal_submission(pii: &Pii, rules: &MappingRules, row_id: &str, mut submission: Value) -> AppResult<Value> {
    let table = repo::ingestion::TABLE;
    for (path, field) in rules.pii_sources() {
        let col = match field {
            LeadField::MobilePhone => MOBILE_PHONE,
            LeadField::Email => EMAIL,
            _ => WECHAT_ID,
        };
        if let Some(v) = lookup_mut(&mut submission, path) {
            let plain = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => continue,
            };
            *v = sealed(col, pii.encrypt(table, col, row_id, &plain)?);
        }
    }
    seal_lookalikes(pii, row_id, &mut submission)?;
    Ok(submission)
}

fn sealed(col: PiiColumn, ciphertext: String) -> Value {
    let mut m = Map::new();
    m.insert(SEALED.into(), Value::String(col.column.into()));
    m.insert("v".into(), Value::String(ciphertext));
    Value::Object(m)
}

fn is_sealed(m: &Map<String, Value>) -> bool {
    m.len() == 2 && m.get(SEALED).is_some_and(Value::is_string) && m.get("v").is_some_and(Value::is_string)
}

fn seal_lookalikes(pii: &Pii, row_id: &str, v: &mut Value) -> AppResult<()> {
    match v {
        Value::Object(m) if is_sealed(m) => {}
        Value::Object(m) => m.values_mut().try_for_each(|v| seal_lookalikes(pii, row_id, v))?,
        Value::Array(a) => a.iter_mut().try_for_each(|v| seal_lookalikes(pii, row_id, v))?,
        Value::String(s) => {
            let col = if Email::parse(s).is_ok() {
                Some(EMAIL)
            } else if Phone::parse(s).is_ok() {
                Some(MOBILE_PHONE)
            } else {
                None
            };
            if let Some(col) = col {
                *v = sealed(col, pii.encrypt(repo::ingestion::TABLE, col, row_id, s)?);
            }
        }
        _ => {}
    }
    Ok(())
}

/// The submission with its sealed values opened (in memory only).
fn open_submission(pii: &Pii, row_id: &str, v: &Value) -> AppResult<Value> {
    Ok(match v {
        Value::Object(m) if is_sealed(m) => {
            let name = m[SEALED].as_str().unwrap_or_default();
            let col = [MOBILE_PHONE, EMAIL, WECHAT_ID]
                .into_iter()
                .find(|c| c.column == name)
                .ok_or_else(|| AppError::internal(format!("ingestion {row_id}: unknown sealed column {name}")))?;
            Value::String(pii.open(repo::ingestion::TABLE, col, row_id, m["v"].as_str().unwrap_or_default())?)
        }
        Value::Object(m) => Value::Object(
            m.iter().map(|(k, v)| Ok((k.clone(), open_submission(pii, row_id, v)?))).collect::<AppResult<_>>()?,
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| open_submission(pii, row_id, v)).collect::<AppResult<_>>()?),
        other => other.clone(),
    })
}

/// What an ingestion's status endpoint reports.
#[derive(Debug)]
pub struct Status {
    pub ingestion_id: String,
    pub status: String,
    pub lead_id: Option<String>,
    pub duplicate_of: Option<String>,
    pub reasons: Option<Value>,
}

/// The status of ingestion `id`, if `client_id` sent it (another client's is not found either).
pub async fn status(store: &Store, client_id: &str, id: &str) -> AppResult<Status> {
    let row = repo::ingestion::by_id(&store.db, id)
        .await?
        .filter(|r| r.client_id == client_id)
        .ok_or_else(|| AppError::NotFound(format!("ingestion {id}")))?;
    Ok(Status {
        ingestion_id: row.ingestion_id,
        status: row.status,
        lead_id: row.lead_id,
        duplicate_of: row.duplicate_of,
        reasons: row.reasons,
    })
}

/// Whether accepted submissions wait for processing (one statement).
pub async fn has_waiting(store: &Store) -> AppResult<bool> {
    Ok(repo::ingestion::accepted(&store.db).await? > 0)
}

/// The outcome of one processed ingestion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Processed(String),
    DuplicateOf(String),
    Rejected(Vec<String>),
}

impl Outcome {
    /// The metric label (`cdp360_ingestion_total{outcome}`).
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Processed(_) => "processed",
            Outcome::DuplicateOf(_) => "duplicate",
            Outcome::Rejected(_) => "rejected",
        }
    }

    fn finish(&self) -> Finish<'_> {
        match self {
            Outcome::Processed(id) => {
                Finish { status: PROCESSED, lead_id: Some(id.as_str()), duplicate_of: None, reasons: None }
            }
            Outcome::DuplicateOf(id) => {
                Finish { status: DUPLICATE_OF, lead_id: None, duplicate_of: Some(id.as_str()), reasons: None }
            }
            Outcome::Rejected(reasons) => Finish {
                status: REJECTED,
                lead_id: None,
                duplicate_of: None,
                reasons: Some(Value::Array(reasons.iter().cloned().map(Value::String).collect())),
            },
        }
    }
}

/// Processes the oldest accepted ingestion, if any, in one transaction (module doc). A refusal of
/// the lead write (its validation) rejects the ingestion with the refusal as its reason; any other
/// failure rolls back, counts an attempt, and after [`MAX_ATTEMPTS`] rejects it.
pub async fn process_next(store: &Store, pii: &Pii) -> AppResult<Option<Outcome>> {
    let w = Write::begin(store).await?;
    let Some(row) = repo::ingestion::claim(&*w).await? else {
        w.rollback().await?;
        return Ok(None);
    };
    let outcome = match decide(&w, pii, &row).await {
        Ok(outcome) => outcome,
        Err(e @ (AppError::BadUserInput(_) | AppError::Conflict(_) | AppError::NotFound(_))) => {
            w.rollback().await?;
            return record_apart(store, &row.ingestion_id, Outcome::Rejected(vec![e.message()])).await;
        }
        Err(e) => {
            w.rollback().await?;
            let attempts = repo::ingestion::failed_attempt(&store.db, &row.ingestion_id, now()).await?;
            tracing::warn!(ingestion = %row.ingestion_id, attempts, error = %e.message(), "ingestion processing failed");
            if attempts >= MAX_ATTEMPTS {
                let why = format!("processing failed {attempts} times; see the server log");
                return record_apart(store, &row.ingestion_id, Outcome::Rejected(vec![why])).await;
            }
            return Err(e);
        }
    };
    repo::ingestion::finish(&*w, &row.ingestion_id, outcome.finish(), now()).await?;
    w.commit().await?;
    store.metrics().ingestion(outcome.label());
    Ok(Some(outcome))
}

/// Records an outcome in a transaction of its own (the processing one rolled back).
async fn record_apart(store: &Store, id: &str, outcome: Outcome) -> AppResult<Option<Outcome>> {
    let w = Write::begin(store).await?;
    let done = repo::ingestion::finish(&*w, id, outcome.finish(), now()).await?;
    w.commit().await?;
    if done {
        store.metrics().ingestion(outcome.label());
    }
    Ok(Some(outcome))
}

async fn decide(w: &Write<'_>, pii: &Pii, row: &lead_ingestion::Model) -> AppResult<Outcome> {
    let Some(scene) = repo::write::find_by_id::<acquisition_scene::Entity>(&**w, &row.scene_id).await? else {
        return Ok(Outcome::Rejected(vec![format!("acquisition scene {} no longer exists", row.scene_id)]));
    };
    let rules = match MappingRules::parse("dataMappingRules", scene.data_mapping_rules.as_ref().unwrap_or(&Value::Null))
    {
        Ok(rules) => rules,
        Err(e) => return Ok(Outcome::Rejected(vec![format!("scene {}: {e}", scene.scene_id)])),
    };
    let submission = open_submission(pii, &row.ingestion_id, &row.submission)?;
    let mapped = match rules.apply(&submission) {
        Ok(mapped) => mapped,
        Err(reasons) => return Ok(Outcome::Rejected(reasons)),
    };
    // Deduplication keys, in the strategy's order, as blind indexes of the lead columns.
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
            blind.push((col, pii.blind(LEAD.name, col, value)?));
        }
    }
    // Two submissions of one person serialise here, so they cannot both find no lead.
    let mut lock_keys: Vec<&str> = blind.iter().map(|(_, b)| b.as_str()).collect();
    lock_keys.sort_unstable();
    for key in lock_keys {
        repo::ingestion::lock_key(&**w, key).await?;
    }
    for (col, bidx) in &blind {
        let found: Vec<(String, lead::Model)> =
            read::find_by(&**w, &Access::unrestricted(), LEAD, col.bidx, std::slice::from_ref(bidx)).await?;
        if let Some(existing) =
            found.into_iter().map(|(_, l)| l).min_by(|a, b| (a.created_at, &a.lead_id).cmp(&(b.created_at, &b.lead_id)))
        {
            return Ok(Outcome::DuplicateOf(existing.lead_id));
        }
    }
    let mut draft = Draft::default();
    for (field, value) in mapped.values() {
        draft.set(field.column(), SqlValue::from(value.clone()));
    }
    draft.set("lead_source", SqlValue::from(lead_source(scene.scene_type).as_str()));
    if let Some(channel) = &scene.default_channel_id {
        draft.set("channel_id", SqlValue::from(channel.clone()));
    }
    let created = crud::create::<lead::Entity>(w, pii, &ingestion_actor(&row.client_id), draft).await?;
    route_new_lead(w, &scene, &created).await?;
    Ok(Outcome::Processed(created.lead_id))
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

/// Who writes an ingested lead: the ingesting client, with `write` for this one create.
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
