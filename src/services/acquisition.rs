//! Lead acquisition (docs/design.md §6, "Lead acquisition"; ARCHITECTURE.md, "Lead ingestion"):
//! accepting a submission durably, and processing it into a lead.
//!
//! - [`accept`]: parses the request, honours its idempotency key (same key and body: the same
//!   ingestion; another body: refused), resolves the scene (by id, or the one enabled scene of a
//!   type), checks a `LANDING_PAGE` submission's code (`services::verification`), seals the
//!   submission's phones and e-mails, and commits one `lead_ingestion` row (consuming the code in
//!   the same transaction) before the caller answers. A refusal writes nothing (but a counted
//!   attempt at a code). Its second half, [`enqueue`] (seal and insert inside a caller's `Write`),
//!   is shared with the signed webhooks (`services::webhook`), which add their replay record to the
//!   same transaction.
//! - [`process_next`]: one ingestion in one transaction (`Write`): claim it, map it with the
//!   scene's rules (`domain::acquisition`), deduplicate by the scene's strategy through the blind
//!   indexes, and create the lead through `crud::create` — the `createLead` path, so validation,
//!   sealing, events and summaries are the same — then call the routing hook and record the
//!   outcome: `PROCESSED`, `DUPLICATE_OF` or `REJECTED` with reasons.

use entity::enums::SceneType;
use entity::{acquisition_scene, lead_ingestion};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::catalog::Catalogued;
use crate::domain::acquisition::{LeadField, MappingRules, lookup_mut};
use crate::domain::value::{Email, Phone};
use crate::error::{AppError, AppResult};
use crate::repo;
use crate::services::pii::{EMAIL, MOBILE_PHONE, Pii, PiiColumn, WECHAT_ID};
use crate::services::read::{self, Access};
use crate::services::tx::{Store, Write};
use crate::services::verification::{self, CheckRefusal, Codes};
use crate::services::write::{new_id, now};

/// The id prefix of ingestions.
pub const INGESTION_PREFIX: &str = "ING";
/// The longest idempotency key.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

/// Stored statuses.
pub const ACCEPTED: &str = "ACCEPTED";
pub const PROCESSED: &str = "PROCESSED";
pub const DUPLICATE_OF: &str = "DUPLICATE_OF";
pub const REJECTED: &str = "REJECTED";
/// Failed for good (a deterministic failure, or every attempt): waits for a replay or a discard.
pub const DEAD_LETTERED: &str = "DEAD_LETTERED";
/// A dead letter an operator discarded.
pub const DISCARDED: &str = "DISCARDED";
/// Every status an ingestion can have.
pub const STATUSES: [&str; 6] = [ACCEPTED, PROCESSED, DUPLICATE_OF, REJECTED, DEAD_LETTERED, DISCARDED];

/// How long a counted queue depth is trusted by [`admit`].
const DEPTH_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(1);

const SCENE: crate::catalog::Table = <acquisition_scene::Entity as Catalogued>::TABLE;

pub mod dead_letters;
mod process;

pub use process::{Outcome, Processor, Step};

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
    /// The queue is full (backpressure): retry later.
    QueueFull(String),
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
    pub scene_id: String,
    /// True when an earlier request with the same key and body was accepted already.
    pub replayed: bool,
}

/// One submission: the body of `POST /api/v1/leads/ingestions`, or an item of a batch.
// The OpenAPI document's schema is derived from this struct, which parses it; its doc comments
// are the document's descriptions.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct SubmissionRequest {
    /// The acquisition scene (`AcquisitionScene.sceneId`) whose mapping rules read the submission.
    scene_config_id: Option<String>,
    /// Instead of `scene_config_id`: the scene type (`WEB_FORM`, `LANDING_PAGE`, …) whose one
    /// enabled scene is meant (several enabled: refused with `SCENE_AMBIGUOUS`).
    scene_type: Option<String>,
    /// The submitted form, as the page sent it: the scene's mapping rules read it by dotted paths.
    /// A `LANDING_PAGE` scene also reads its verification code here.
    #[schema(value_type = Object, required = true)]
    submission_data: Option<Value>,
    meta: Option<Meta>,
}

/// Where a submission came from; each value at most 2,000 characters.
#[derive(serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct Meta {
    /// The submitter's IP address.
    #[schema(max_length = 2000)]
    ip: Option<String>,
    #[schema(max_length = 2000)]
    user_agent: Option<String>,
    /// The page's URL; its `utm_*` parameters are recorded with the lead.
    #[schema(max_length = 2000)]
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
    let request: SubmissionRequest = serde_json::from_slice(body)
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
    let rules = stored_rules(&scene)?;
    let verified = verification::check_submission(store, pii, codes, &scene, &rules, &mut submission).await?;
    let w = Write::begin(store).await?;
    let submission = Submission { scene: &scene, data: submission, meta, client_id, idempotency_key, body_sha256: sha };
    let accepted = enqueue(&w, pii, submission).await?;
    if let Some(code) = &verified
        && !accepted.replayed
    {
        // The seed's phone lock: of two submissions with one code, one commits.
        verification::consume(&w, code).await.map_err(Refusal::Verification)?;
    }
    w.commit().await?;
    announce(store, &accepted);
    Ok(accepted)
}

/// A submission its caller has settled: the scene resolved (and enabled), the data an object, the
/// meta bounded, the idempotency key checked.
pub struct Submission<'a> {
    pub scene: &'a acquisition_scene::Model,
    pub data: Map<String, Value>,
    pub meta: Option<Value>,
    /// Who sent it (a token subject, or `webhook:<scene id>`): idempotency keys are per client.
    pub client_id: &'a str,
    pub idempotency_key: Option<&'a str>,
    /// Hex SHA-256 of the request body, compared when the key was used before.
    pub body_sha256: String,
}

/// Seals the submission's PII and queues it in `w`, a transaction the caller may add to (a
/// webhook's replay record) and commits, then calls [`announce`]. A key the client used before
/// answers the earlier ingestion (same body) or [`Refusal::KeyReused`].
pub async fn enqueue(w: &Write<'_>, pii: &Pii, s: Submission<'_>) -> Result<Accepted, Refusal> {
    let scene = s.scene;
    let rules = stored_rules(scene)?;
    let id = new_id(INGESTION_PREFIX);
    let sealed = seal_submission(pii, &rules, &id, Value::Object(s.data))?;
    let key = Key { client_id: s.client_id, idempotency_key: s.idempotency_key, body_sha256: &s.body_sha256 };
    let row = accepted_row(id.clone(), scene, &key, 0, sealed, s.meta, now());
    if !repo::ingestion::enqueue(&**w, row).await? {
        // The key was used before, or by a concurrent request that committed first.
        let key = s.idempotency_key.unwrap_or_default();
        let earlier = repo::ingestion::find_by_key(&**w, s.client_id, key)
            .await?
            .ok_or_else(|| AppError::internal("an ingestion conflicted on its key and is gone"))?;
        return same_body(earlier, &s.body_sha256);
    }
    Ok(Accepted { ingestion_id: id, scene_id: scene.scene_id.clone(), replayed: false })
}

/// Who sent a submission and under which key (idempotency is per client and key).
struct Key<'a> {
    client_id: &'a str,
    idempotency_key: Option<&'a str>,
    body_sha256: &'a str,
}

/// A freshly accepted queue row: the one shape of every insert into `lead_ingestion`.
fn accepted_row(
    ingestion_id: String,
    scene: &acquisition_scene::Model,
    key: &Key<'_>,
    batch_index: i32,
    submission: Value,
    meta: Option<Value>,
    at: chrono::DateTime<chrono::Utc>,
) -> lead_ingestion::Model {
    lead_ingestion::Model {
        ingestion_id,
        scene_id: scene.scene_id.clone(),
        client_id: key.client_id.to_string(),
        idempotency_key: key.idempotency_key.map(str::to_string),
        batch_index,
        body_sha256: key.body_sha256.to_string(),
        status: ACCEPTED.to_string(),
        submission,
        meta,
        lead_id: None,
        duplicate_of: None,
        reasons: None,
        attempts: 0,
        created_at: at,
        updated_at: at,
        processed_at: None,
        next_attempt_at: None,
        steps: None,
    }
}

/// After the commit of [`enqueue`]'s transaction: counts a new ingestion and wakes the worker.
pub fn announce(store: &Store, accepted: &Accepted) {
    if !accepted.replayed {
        store.metrics().ingestion(&accepted.scene_id, "accepted");
        store.ingestion_depth().add(1);
        store.ingestion_wake().notify_one();
    }
}

/// The most submissions one batch request carries.
pub const MAX_BATCH: usize = 1000;

/// Whether a request body is the batch form, `{"submissions": [...]}` (anything else is read as
/// one submission, and refused there if it is not one).
pub fn is_batch(body: &[u8]) -> Option<Vec<Value>> {
    serde_json::from_slice::<BatchRequest>(body).ok().map(|b| b.submissions)
}

/// A batch: 1 to 1,000 submissions, accepted all or none.
// `max_items` is `MAX_BATCH` (a literal here; `tests/api/openapi.rs` holds them equal).
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct BatchRequest {
    /// Each read as one submission; the first bad one refuses the batch, naming its index.
    #[schema(value_type = Vec<SubmissionRequest>, min_items = 1, max_items = 1000)]
    submissions: Vec<Value>,
}

impl Refusal {
    /// The refusal of item `i` of a batch.
    fn at(self, i: usize) -> Refusal {
        let at = |m: String| format!("submissions[{i}]: {m}");
        match self {
            Refusal::Malformed(m) => Refusal::Malformed(at(m)),
            Refusal::UnknownScene(m) => Refusal::UnknownScene(at(m)),
            Refusal::DisabledScene(m) => Refusal::DisabledScene(at(m)),
            Refusal::AmbiguousScene(m) => Refusal::AmbiguousScene(at(m)),
            other => other,
        }
    }
}

/// Accepts a batch of submissions (`is_batch`'s items) from `client_id`, all or none: every item
/// is parsed, its scene resolved and its PII sealed before one transaction inserts every row; the
/// first bad item refuses the whole batch, naming its index. With an idempotency key, the rows
/// share it (each with its `batch_index`), so a replayed batch answers the same ingestions.
pub async fn accept_batch(
    store: &Store,
    pii: &Pii,
    client_id: &str,
    idempotency_key: Option<&str>,
    body: &[u8],
    items: Vec<Value>,
) -> Result<Vec<Accepted>, Refusal> {
    if let Some(key) = idempotency_key {
        check_key(key)?;
    }
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(Refusal::Malformed(format!("submissions: 1 to {MAX_BATCH} submissions per request")));
    }
    let n = items.len();
    let sha = hex_sha256(body);
    if let Some(key) = idempotency_key {
        let earlier = repo::ingestion::find_batch(&store.db, client_id, key).await?;
        if !earlier.is_empty() {
            return same_batch(earlier, &sha, n);
        }
    }
    let mut scenes: Vec<(Option<String>, Option<String>, acquisition_scene::Model, MappingRules)> = Vec::new();
    let mut rows = Vec::with_capacity(n);
    let at = now();
    // Ids in submission order: the worker claims by (created_at, id), and the batch's rows share
    // `at`, so it processes them in the order given (the first of two submissions of one phone is
    // the lead, the second its duplicate).
    let mut ids: Vec<String> = (0..n).map(|_| new_id(INGESTION_PREFIX)).collect();
    ids.sort_unstable();
    for ((i, item), id) in items.into_iter().enumerate().zip(ids) {
        let request: SubmissionRequest = serde_json::from_value(item)
            .map_err(|e| Refusal::Malformed(format!("submissions[{i}] is not a valid submission: {e}")))?;
        let Some(Value::Object(submission)) = request.submission_data else {
            return Err(Refusal::Malformed(format!("submissions[{i}].submission_data must be a JSON object")));
        };
        let meta = request.meta.map(bounded_meta).transpose().map_err(|r| r.at(i))?;
        let (id_key, type_key) = (request.scene_config_id, request.scene_type);
        let known = scenes.iter().position(|(id, ty, ..)| *id == id_key && *ty == type_key);
        let known = match known {
            Some(k) => k,
            None => {
                let scene = resolve_scene(store, id_key.clone(), type_key.clone()).await.map_err(|r| r.at(i))?;
                let rules = stored_rules(&scene)?;
                scenes.push((id_key, type_key, scene, rules));
                scenes.len() - 1
            }
        };
        let (_, _, scene, rules) = &scenes[known];
        if scene.scene_type == SceneType::LandingPage {
            return Err(Refusal::Malformed(format!(
                "submissions[{i}]: a LANDING_PAGE submission carries its verification code and is sent alone"
            )));
        }
        let sealed = seal_submission(pii, rules, &id, Value::Object(submission))?;
        let key = Key { client_id, idempotency_key, body_sha256: &sha };
        rows.push(accepted_row(id, scene, &key, i as i32, sealed, meta, at));
    }
    let accepted: Vec<(String, String)> = rows.iter().map(|r| (r.ingestion_id.clone(), r.scene_id.clone())).collect();
    let txn = crate::services::write::begin_write(&store.db).await?;
    let inserted = repo::ingestion::enqueue_all(&txn, rows).await?;
    if inserted < n as u64 {
        // A concurrent request with the same key was first: its rows are the answer.
        txn.rollback().await.map_err(AppError::from)?;
        let key = idempotency_key.unwrap_or_default();
        return same_batch(repo::ingestion::find_batch(&store.db, client_id, key).await?, &sha, n);
    }
    txn.commit().await.map_err(AppError::from)?;
    let accepted: Vec<Accepted> = accepted
        .into_iter()
        .map(|(ingestion_id, scene_id)| Accepted { ingestion_id, scene_id, replayed: false })
        .collect();
    accepted.iter().for_each(|a| announce(store, a));
    Ok(accepted)
}

fn check_key(key: &str) -> Result<(), Refusal> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Refusal::Malformed(format!(
            "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"
        )));
    }
    Ok(())
}

/// A scene's stored mapping rules (validated when the scene was written).
fn stored_rules(scene: &acquisition_scene::Model) -> Result<MappingRules, Refusal> {
    MappingRules::parse("dataMappingRules", scene.data_mapping_rules.as_ref().unwrap_or(&Value::Null))
        .map_err(|e| Refusal::Failed(AppError::internal(format!("scene {}: stored rules: {e}", scene.scene_id))))
}

/// The answer to a batch whose key was used before: the same ingestions for the same body.
fn same_batch(earlier: Vec<lead_ingestion::Model>, sha: &str, n: usize) -> Result<Vec<Accepted>, Refusal> {
    if earlier.len() != n || earlier.iter().any(|r| r.body_sha256 != sha) {
        return Err(Refusal::KeyReused);
    }
    Ok(earlier
        .into_iter()
        .map(|r| Accepted { ingestion_id: r.ingestion_id, scene_id: r.scene_id, replayed: true })
        .collect())
}

fn same_body(earlier: lead_ingestion::Model, sha: &str) -> Result<Accepted, Refusal> {
    if earlier.body_sha256 == sha {
        Ok(Accepted { ingestion_id: earlier.ingestion_id, scene_id: earlier.scene_id, replayed: true })
    } else {
        Err(Refusal::KeyReused)
    }
}

/// Hex SHA-256 of a request body (`lead_ingestion.body_sha256`).
pub fn hex_sha256(body: &[u8]) -> String {
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
    /// What processing did (`[{"step", "detail"}]`), once it has run.
    pub steps: Option<Value>,
    pub attempts: i32,
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
        steps: row.steps,
        attempts: row.attempts,
    })
}

/// Whether accepted submissions wait for processing (one statement), counted as the queue depth.
pub async fn has_waiting(store: &Store) -> AppResult<bool> {
    Ok(queue_depth(store).await? > 0)
}

/// Counts the accepted submissions waiting (one statement, served by the `(status, created_at)`
/// index), and publishes the count.
pub async fn queue_depth(store: &Store) -> AppResult<u64> {
    let depth = repo::ingestion::accepted(&store.db).await?;
    store.ingestion_depth().counted(depth);
    store.metrics().ingestion_queue(depth);
    Ok(depth)
}

/// Backpressure: whether `more` submissions may be accepted now. Beyond `max_queue` waiting ones
/// the answer is [`Refusal::QueueFull`], so a flood waits at the client rather than growing the
/// queue without end. The depth is counted at most once per second per process (accepts in
/// between are added), so the bound may be overshot by what other replicas accepted meanwhile.
pub async fn admit(store: &Store, max_queue: u64, more: u64) -> Result<(), Refusal> {
    let depth = match store.ingestion_depth().fresh(DEPTH_MAX_AGE) {
        Some(depth) => depth,
        None => queue_depth(store).await?,
    };
    if depth.saturating_add(more) > max_queue {
        return Err(Refusal::QueueFull(format!(
            "{depth} submissions wait for processing (the bound is {max_queue}, CDP_INGESTION_MAX_QUEUE); retry later"
        )));
    }
    Ok(())
}
