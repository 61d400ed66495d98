//! Landing-page verification codes (ARCHITECTURE.md, "Verification codes"; README "Verification
//! codes"): sending a code to a phone, and checking it when a `LANDING_PAGE` submission arrives.
//!
//! - [`send_code`]: normalises the phone, counts the codes already sent to it and from the
//!   caller's IP (from the table, under per-phone and per-IP locks, so the limits hold across
//!   replicas), stores the new code as a keyed hash and commits, then hands it to the
//!   [`CodeSender`]. Stored before sent: a code that was sent is always checkable, every attempt to
//!   send counts against the limits, and a code the sender could not deliver is revoked at once.
//! - [`check_submission`]: takes the code out of the submission, finds the newest code of the
//!   phone the scene maps to `mobilePhone`, counts the attempt (committed on its own, so a refused
//!   guess still counts) and compares the keyed hashes in constant time.
//! - [`consume`]: the ingestion insert and the code's consumption in one transaction; of
//!   two submissions with one code, only one can consume it (the phone lock of the landing page).

use std::sync::{Arc, Mutex};

use entity::enums::SceneType;
use entity::{acquisition_scene, lead, verification_code};
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use crate::catalog::Catalogued;
use crate::config::CodeSenderKind;
use crate::domain::acquisition::{LeadField, MapTarget, MappingRules, lookup};
use crate::domain::value::Phone;
use crate::domain::verification::{self, Code, Limits, Stored, Unusable};
use crate::error::AppError;
use crate::repo;
use crate::services::pii::{MOBILE_PHONE, Pii};
use crate::services::tx::{Store, Write};
use crate::services::write::{new_id, now};

/// The id prefix of codes.
pub const CODE_PREFIX: &str = "VC";
/// The submission field holding the code, unless the scene's `scene_specific_params` name another
/// in [`CODE_FIELD_PARAM`].
pub const DEFAULT_CODE_FIELD: &str = "verification_code";
pub const CODE_FIELD_PARAM: &str = "verification_code_field";
/// The longest `ip` a sender may give.
const MAX_IP: usize = 100;

const LEAD: crate::catalog::Table = <lead::Entity as Catalogued>::TABLE;

/// Why a sender did not deliver a code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendFailure {
    /// Down or failing; the message is for the log.
    Unavailable(String),
    /// Over the sender's own quota.
    OverQuota { retry_after_secs: u64 },
}

/// Delivers a code to a phone (an SMS gateway in production). Implementations never log the full
/// phone.
pub trait CodeSender: Send + Sync {
    fn send<'a>(&'a self, phone: &'a Phone, code: &'a Code) -> BoxFuture<'a, Result<(), SendFailure>>;
}

/// The default sender: logs the masked phone and the code (what a developer needs to go on).
pub struct LogSender;

impl CodeSender for LogSender {
    fn send<'a>(&'a self, phone: &'a Phone, code: &'a Code) -> BoxFuture<'a, Result<(), SendFailure>> {
        let phone = verification::masked_phone(phone);
        tracing::info!(phone = %phone, code = code.as_str(), "verification code (log sender; not delivered)");
        Box::pin(async { Ok::<(), SendFailure>(()) })
    }
}

/// A sender that keeps what it sends in memory for its embedder (tests) to read, and can be told
/// to fail.
#[derive(Default)]
pub struct MemorySender {
    /// (E.164 phone, code), oldest first.
    sent: Mutex<Vec<(String, String)>>,
    failure: Mutex<Option<SendFailure>>,
}

impl MemorySender {
    /// The last code sent to `phone` (any spelling).
    pub fn last_code(&self, phone: &str) -> Option<String> {
        let phone = Phone::parse(phone).ok()?;
        let sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        sent.iter().rev().find(|(p, _)| p == phone.as_str()).map(|(_, c)| c.clone())
    }

    /// How many codes were delivered.
    pub fn delivered(&self) -> usize {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Fails every send with `failure` from now on (`None`: delivers again).
    pub fn fail_with(&self, failure: Option<SendFailure>) {
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = failure;
    }
}

impl CodeSender for MemorySender {
    fn send<'a>(&'a self, phone: &'a Phone, code: &'a Code) -> BoxFuture<'a, Result<(), SendFailure>> {
        let failure = self.failure.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let result = match failure {
            Some(f) => Err(f),
            None => {
                let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
                sent.push((phone.as_str().to_string(), code.as_str().to_string()));
                Ok(())
            }
        };
        Box::pin(async move { result })
    }
}

/// The configured sender and limits of a server.
pub struct Codes {
    sender: Arc<dyn CodeSender>,
    memory: Option<Arc<MemorySender>>,
    limits: Limits,
}

impl Codes {
    /// The sender `kind` names (`CDP_VERIFICATION_SENDER`).
    pub fn new(kind: CodeSenderKind, limits: Limits) -> Codes {
        match kind {
            CodeSenderKind::Log => Codes { sender: Arc::new(LogSender), memory: None, limits },
            CodeSenderKind::Memory => {
                let memory = Arc::new(MemorySender::default());
                Codes { sender: memory.clone(), memory: Some(memory), limits }
            }
        }
    }

    /// The memory sender's mailbox, when it is the sender.
    pub fn mailbox(&self) -> Option<Arc<MemorySender>> {
        self.memory.clone()
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

/// Why no code was sent.
#[derive(Debug)]
pub enum SendRefusal {
    /// Not JSON, or not the request's shape. Nothing written.
    Malformed(String),
    /// Nothing written.
    InvalidPhone(String),
    /// Nothing written.
    UnknownScene(String),
    /// The sender failed: the stored code was revoked.
    SenderUnavailable,
    /// Over a limit (`AppError::RateLimited`), or a failure of our own.
    Failed(AppError),
}

impl From<AppError> for SendRefusal {
    fn from(e: AppError) -> Self {
        SendRefusal::Failed(e)
    }
}

/// Where to send a code.
// The OpenAPI document's schema is derived from this struct, which parses it.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct SendRequest {
    /// The phone to send a code to (mainland China or E.164).
    phone: String,
    /// The landing page's acquisition scene, when it is known.
    scene_config_id: Option<String>,
    /// The visitor's IP address, for the per-IP limit.
    #[schema(max_length = 100)]
    ip: Option<String>,
}

/// Sends a code to the phone of the request `body` (module doc); the code's lifetime in seconds.
pub async fn send_code(store: &Store, pii: &Pii, codes: &Codes, body: &[u8]) -> Result<u64, SendRefusal> {
    let request: SendRequest = serde_json::from_slice(body)
        .map_err(|e| SendRefusal::Malformed(format!("the body is not a valid request: {e}")))?;
    let phone = Phone::parse(&request.phone).map_err(|e| SendRefusal::InvalidPhone(e.to_string()))?;
    let ip = request.ip.as_deref().map(str::trim).filter(|ip| !ip.is_empty());
    if ip.is_some_and(|ip| ip.len() > MAX_IP) {
        return Err(SendRefusal::Malformed(format!("ip must be at most {MAX_IP} characters")));
    }
    if let Some(id) = &request.scene_config_id
        && repo::write::find_by_id::<acquisition_scene::Entity>(&store.db, id).await?.is_none()
    {
        return Err(SendRefusal::UnknownScene(format!("no acquisition scene {id}")));
    }
    let phone_bidx = pii.blind(LEAD.name, MOBILE_PHONE, phone.as_str())?;
    let ip_hash = ip.map(|ip| pii.ip_digest(ip)).transpose()?;
    let limits = codes.limits;
    let code = Code::generate();
    let code_id = new_id(CODE_PREFIX);
    let w = Write::begin(store).await?;
    repo::verification::lock_sending(&*w, &phone_bidx, ip_hash.as_deref()).await?;
    let at = now();
    let since = at - chrono::Duration::from_std(verification::WINDOW).unwrap_or_default();
    let to_phone = repo::verification::sent_to_phone(&*w, &phone_bidx, since).await?;
    let mut wait = verification::retry_after(&to_phone, at, limits.per_phone_per_hour, limits.resend_gap);
    if let Some(ip_hash) = &ip_hash {
        let from_ip = repo::verification::sent_from_ip(&*w, ip_hash, since).await?;
        let ip_wait = verification::retry_after(&from_ip, at, limits.per_ip_per_hour, std::time::Duration::ZERO);
        wait = wait.max(ip_wait);
    }
    if let Some(retry_after_secs) = wait {
        w.rollback().await?;
        return Err(SendRefusal::Failed(AppError::RateLimited { retry_after_secs }));
    }
    let row = verification_code::Model {
        code_hash: pii.code_digest(&code_id, &phone, &code)?,
        code_id: code_id.clone(),
        phone_bidx,
        ip_hash,
        scene_id: request.scene_config_id,
        attempts: 0,
        created_at: at,
        expires_at: at + chrono::Duration::from_std(limits.lifetime).unwrap_or_default(),
        consumed_at: None,
    };
    repo::verification::store_code(&*w, row).await?;
    w.commit().await?;
    if let Err(failure) = codes.sender.send(&phone, &code).await {
        repo::verification::revoke(&store.db, &code_id, now()).await?;
        return Err(match failure {
            SendFailure::Unavailable(why) => {
                tracing::warn!(code_id = %code_id, error = %why, "the verification code sender failed");
                SendRefusal::SenderUnavailable
            }
            SendFailure::OverQuota { retry_after_secs } => {
                SendRefusal::Failed(AppError::RateLimited { retry_after_secs: retry_after_secs.max(1) })
            }
        });
    }
    Ok(limits.lifetime.as_secs())
}

/// Why a `LANDING_PAGE` submission was refused. Nothing was written but a counted attempt.
#[derive(Debug)]
pub enum CheckRefusal {
    /// The mapped phone is missing or invalid.
    InvalidPhone(String),
    /// The code is missing, malformed or wrong (a wrong one counted an attempt).
    Failed(String),
    /// No usable code: none sent, expired, used, replaced, or out of attempts.
    Expired(String),
    Error(AppError),
}

impl From<AppError> for CheckRefusal {
    fn from(e: AppError) -> Self {
        CheckRefusal::Error(e)
    }
}

/// A code that checked out, to be consumed with the ingestion ([`consume`]).
#[derive(Debug)]
pub struct Verified {
    code_id: String,
}

/// For a `LANDING_PAGE` scene, removes the code from `submission` and checks it against the
/// newest code of the phone the scene maps (module doc); other scenes need none (`None`).
pub async fn check_submission(
    store: &Store,
    pii: &Pii,
    codes: &Codes,
    scene: &acquisition_scene::Model,
    rules: &MappingRules,
    submission: &mut Map<String, Value>,
) -> Result<Option<Verified>, CheckRefusal> {
    if scene.scene_type != SceneType::LandingPage {
        return Ok(None);
    }
    let field = scene
        .scene_specific_params
        .as_ref()
        .and_then(|p| p.get(CODE_FIELD_PARAM))
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_CODE_FIELD)
        .to_string();
    let typed = match submission.remove(&field) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let phone = mapped_phone(rules, submission)?;
    let Some(code) = typed.as_deref().and_then(Code::parse) else {
        return Err(CheckRefusal::Failed(format!(
            "submission_data.{field} must hold the 6-digit code sent to the phone (a LANDING_PAGE scene)"
        )));
    };
    let phone_bidx = pii.blind(LEAD.name, MOBILE_PHONE, phone.as_str())?;
    let Some(stored) = repo::verification::newest(&store.db, &phone_bidx).await? else {
        return Err(CheckRefusal::Expired("no verification code was sent to this phone".into()));
    };
    let at = now();
    let limits = &codes.limits;
    let state = Stored {
        attempts: u32::try_from(stored.attempts).unwrap_or(0),
        expires_at: stored.expires_at,
        consumed: stored.consumed_at.is_some(),
    };
    if let Err(why) = verification::usable(state, at, limits) {
        return Err(CheckRefusal::Expired(unusable_message(why).into()));
    }
    // Counted before the comparison, in a statement of its own: concurrent guesses cannot pass
    // the limit, and a refused guess stays counted.
    if !repo::verification::count_attempt(&store.db, &stored.code_id, limits.max_attempts, at).await? {
        return Err(CheckRefusal::Expired("the verification code is no longer valid; request a new one".into()));
    }
    let digest = pii.code_digest(&stored.code_id, &phone, &code)?;
    if !verification::digests_match(&digest, &stored.code_hash) {
        let left = limits.max_attempts.saturating_sub(state.attempts + 1);
        return Err(CheckRefusal::Failed(if left == 0 {
            "the verification code is wrong; it is now void: request a new one".into()
        } else {
            format!("the verification code is wrong ({left} attempts left)")
        }));
    }
    Ok(Some(Verified { code_id: stored.code_id }))
}

fn unusable_message(why: Unusable) -> &'static str {
    match why {
        Unusable::Consumed => "the verification code was used or replaced; request a new one",
        Unusable::Expired => "the verification code has expired; request a new one",
        Unusable::Exhausted => "the verification code is void after too many attempts; request a new one",
    }
}

/// The phone the scene maps to `mobilePhone`, normalised.
fn mapped_phone(rules: &MappingRules, submission: &Map<String, Value>) -> Result<Phone, CheckRefusal> {
    let Some(rule) = rules.rules().iter().find(|r| r.target == MapTarget::Field(LeadField::MobilePhone)) else {
        return Err(CheckRefusal::InvalidPhone(
            "the LANDING_PAGE scene maps no mobilePhone, so no code can be checked".into(),
        ));
    };
    // The rule's sources, joined as the mapping joins them (a phone is usually one path).
    let mut parts = Vec::new();
    for source in &rule.sources {
        let (head, rest) = source.split_once('.').unwrap_or((source, ""));
        let value = submission.get(head).and_then(|v| if rest.is_empty() { Some(v) } else { lookup(v, rest) });
        match value {
            Some(Value::String(s)) if !s.trim().is_empty() => parts.push(s.trim().to_string()),
            Some(Value::Number(n)) => parts.push(n.to_string()),
            _ => {}
        }
    }
    if parts.is_empty() {
        let source = rule.sources.join("+");
        return Err(CheckRefusal::InvalidPhone(format!("mobilePhone: submission_data.{source} is missing")));
    }
    let raw = parts.join(&rule.separator);
    Phone::parse(&raw).map_err(|e| CheckRefusal::InvalidPhone(e.to_string()))
}

/// Consumes a verified submission's code in `w`, the transaction that queues the submission (the
/// seed's per-phone lock: of two submissions with one code, only one commits).
pub async fn consume(w: &Write<'_>, verified: &Verified) -> Result<(), CheckRefusal> {
    if !repo::verification::consume(&**w, &verified.code_id, now()).await? {
        return Err(CheckRefusal::Expired("the verification code was used by another submission".into()));
    }
    Ok(())
}
