//! Signed webhooks (`POST /webhooks/{scene}`, README "Webhooks"; ARCHITECTURE.md, "Lead
//! ingestion"): a scene's secrets, and the check and queueing of one delivery.
//!
//! - [`rotate_secret`] / [`retire_secret`] (`admin`): a secret is 32 random bytes in hex,
//!   generated here, sealed by `Pii` (bound to its row) and shown once. At most
//!   [`MAX_ACTIVE_SECRETS`] are active per scene, so a platform moves to a new secret while the
//!   old one still verifies, and the old one is then retired.
//! - [`receive`]: in this order — the scene exists and is enabled, the signature headers are
//!   well-formed, the timestamp is within the window, the signature verifies under an active
//!   secret (constant time), the body is JSON, the scene's adapter reads it — and then, in one
//!   transaction, the signature is remembered (refused when seen before: a replay) and the
//!   submission is queued through `acquisition::enqueue`, the REST path's own, with client id
//!   `webhook:<scene id>` and the platform's event id as idempotency key. A failed insert leaves
//!   the signature unspent; any refusal writes nothing.

use entity::{acquisition_scene, webhook_secret};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::domain::webhook::{self as rules, Adapter, SignedHeaders, WebhookSettings};
use crate::error::{AppError, AppResult};
use crate::repo;
use crate::repo::webhook::{SECRET_COLUMN, SECRET_TABLE};
use crate::services::acquisition::{self, Accepted, Submission};
use crate::services::pii::Pii;
use crate::services::tx::{Store, Write};
use crate::services::write::{new_id, now};

/// The id prefix of webhook secrets.
pub const SECRET_PREFIX: &str = "WHS";
/// Active secrets a scene may have at once (the one in use and the one replacing it).
pub const MAX_ACTIVE_SECRETS: usize = 2;

/// A secret as issued: the only time its text leaves the server.
#[derive(Debug)]
pub struct Issued {
    pub secret_id: String,
    pub secret: String,
    pub scene_id: String,
    pub active_secret_ids: Vec<String>,
}

/// Issues a new active secret for scene `scene_id`.
pub async fn rotate_secret(store: &Store, pii: &Pii, scene_id: &str) -> AppResult<Issued> {
    let w = Write::begin(store).await?;
    if !repo::webhook::lock_scene(&*w, scene_id).await? {
        return Err(AppError::NotFound(format!("acquisition scene {scene_id}")));
    }
    let active = repo::webhook::active_secrets(&*w, scene_id).await?;
    if active.len() >= MAX_ACTIVE_SECRETS {
        return Err(AppError::Conflict(format!(
            "acquisition scene {scene_id} has {MAX_ACTIVE_SECRETS} active webhook secrets; retire one first \
             (retireWebhookSecret)"
        )));
    }
    // The thread's CSPRNG (ChaCha, seeded from the OS).
    let secret = rules::hex(&rand::random::<[u8; 32]>());
    let secret_id = new_id(SECRET_PREFIX);
    let row = webhook_secret::Model {
        secret_id: secret_id.clone(),
        scene_id: scene_id.to_string(),
        secret: pii.seal_secret(SECRET_TABLE, SECRET_COLUMN, &secret_id, &secret)?,
        created_at: now(),
        retired_at: None,
    };
    repo::webhook::add_secret(&*w, row).await?;
    w.commit().await?;
    let mut active_secret_ids: Vec<String> = active.into_iter().map(|s| s.secret_id).collect();
    active_secret_ids.push(secret_id.clone());
    Ok(Issued { secret_id, secret, scene_id: scene_id.to_string(), active_secret_ids })
}

/// Retires an active secret: deliveries signed with it no longer verify. The scene's secrets
/// still active.
pub async fn retire_secret(store: &Store, secret_id: &str) -> AppResult<Vec<String>> {
    let w = Write::begin(store).await?;
    let Some(scene_id) = repo::webhook::retire(&*w, secret_id, now()).await? else {
        return Err(AppError::NotFound(format!("active webhook secret {secret_id}")));
    };
    let still = repo::webhook::active_secrets(&*w, &scene_id).await?;
    w.commit().await?;
    Ok(still.into_iter().map(|s| s.secret_id).collect())
}

/// Why a delivery was not accepted. Nothing was written.
#[derive(Debug)]
pub enum Refusal {
    UnknownScene(String),
    DisabledScene(String),
    /// The scene's stored `scene_specific_params.webhook` does not parse (written before it was
    /// checked on write).
    Misconfigured(String),
    /// A signature header is missing or malformed.
    Unsigned(String),
    StaleTimestamp,
    /// The scene has no active secret: nothing can verify.
    NoSecret,
    BadSignature,
    NotJson(String),
    /// The body lacks what the adapter needs (the message names the path).
    BadPayload(String),
    /// The signature was accepted before.
    Replayed,
    /// The platform's event id came before with another body.
    EventReused,
    Failed(AppError),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Refusal::Failed(e)
    }
}

/// A scene as its webhook sees it.
pub struct Scene {
    pub model: acquisition_scene::Model,
    pub settings: WebhookSettings,
}

/// The scene a delivery names, with its webhook settings (its response shape answers even a
/// refusal of the delivery).
pub async fn scene(store: &Store, scene_id: &str) -> Result<Scene, Refusal> {
    let model = repo::write::find_by_id::<acquisition_scene::Entity>(&store.db, scene_id)
        .await?
        .ok_or_else(|| Refusal::UnknownScene(format!("no acquisition scene {scene_id}")))?;
    let settings =
        WebhookSettings::parse("sceneSpecificParams", model.scene_specific_params.as_ref().unwrap_or(&Value::Null))
            .map_err(|e| Refusal::Misconfigured(format!("acquisition scene {scene_id}: {e}")))?;
    Ok(Scene { model, settings })
}

/// Checks and queues one delivery to `scene` (see the module doc for the order of the checks).
pub async fn receive(
    store: &Store,
    pii: &Pii,
    scene: &Scene,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
) -> Result<Accepted, Refusal> {
    let scene_id = scene.model.scene_id.as_str();
    if !scene.model.is_enabled {
        return Err(Refusal::DisabledScene(format!("acquisition scene {scene_id} is disabled")));
    }
    let headers = SignedHeaders::parse(timestamp, signature).map_err(|e| Refusal::Unsigned(e.to_string()))?;
    if !rules::fresh(headers.timestamp, now().timestamp()) {
        return Err(Refusal::StaleTimestamp);
    }
    let secrets = repo::webhook::active_secrets(&store.db, scene_id).await?;
    if secrets.is_empty() {
        return Err(Refusal::NoSecret);
    }
    let mut verified = false;
    for s in &secrets {
        let key = pii.open_secret(SECRET_TABLE, SECRET_COLUMN, &s.secret_id, &s.secret)?;
        // Every active secret is tried (no early exit): the time taken does not tell which matched.
        verified |= rules::verify(key.as_bytes(), &headers, body);
    }
    if !verified {
        return Err(Refusal::BadSignature);
    }
    let json: Value =
        serde_json::from_slice(body).map_err(|e| Refusal::NotJson(format!("the body is not JSON: {e}")))?;
    let delivery = scene.settings.adapter.translate(&json).map_err(|e| Refusal::BadPayload(payload_error(scene, e)))?;
    let until = chrono::DateTime::from_timestamp(headers.remember_until(), 0)
        .ok_or_else(|| AppError::internal("a webhook timestamp out of range passed the window"))?;
    let w = Write::begin(store).await?;
    let sha = rules::hex(&Sha256::digest(headers.signature));
    if !repo::webhook::remember_signature(&*w, scene_id, &sha, until).await? {
        return Err(Refusal::Replayed);
    }
    let client_id = format!("webhook:{scene_id}");
    let submission = Submission {
        scene: &scene.model,
        data: delivery.submission,
        meta: delivery.meta,
        client_id: &client_id,
        idempotency_key: delivery.event_id.as_deref(),
        body_sha256: acquisition::hex_sha256(body),
    };
    let accepted = acquisition::enqueue(&w, pii, submission).await.map_err(|r| match r {
        acquisition::Refusal::KeyReused => Refusal::EventReused,
        acquisition::Refusal::Failed(e) => Refusal::Failed(e),
        other => Refusal::Failed(AppError::internal(format!("webhook enqueue: {other:?}"))),
    })?;
    w.commit().await?;
    acquisition::announce(store, &accepted);
    Ok(accepted)
}

fn payload_error(scene: &Scene, e: crate::domain::DomainError) -> String {
    let adapter: Adapter = scene.settings.adapter;
    format!("{} payload: {e}", adapter.name())
}
