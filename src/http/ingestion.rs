//! Lead ingestion over REST (ARCHITECTURE.md, "Lead ingestion"; README "Lead ingestion"):
//!
//! - `POST /api/v1/leads/ingestions` — one submission, or a batch (`{"submissions": [...]}`, up to
//!   1,000, all or none), `Idempotency-Key` optional; 202 with the ingestion id(s) and status
//!   URL(s) once committed.
//! - `GET /api/v1/leads/ingestions/{id}` — its status.
//!
//! Both need a bearer token with the `ingest` scope (authenticated as `/graphql` does) and are
//! charged to the token's rate-limit bucket. Errors are `{ "error": { "code", "message" } }`. The
//! work is `services::acquisition`'s; this module translates HTTP.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::auth::{Principal, Scope};
use crate::error::AppError;
use crate::services::acquisition::{self, Refusal};
use crate::startup::AppState;

/// Where ingestions are posted; an ingestion's status is at `<this>/<id>`.
pub const INGESTIONS: &str = "/api/v1/leads/ingestions";
const IDEMPOTENCY_KEY: &str = "idempotency-key";

pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "error": { "code": code, "message": message } });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// An `AppError` as an answer: its status and code; internal errors masked (and logged).
pub(super) fn app_error(e: AppError) -> Response {
    let (status, message) = status_and_message(&e);
    let mut res = error(status, e.code(), &message);
    super::graphql::refusal_headers(&e, &mut res);
    res
}

/// An `AppError`'s HTTP status and the message a client may see (an internal error is logged
/// with a correlation id, which alone is answered).
pub(super) fn status_and_message(e: &AppError) -> (StatusCode, String) {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = if e.is_internal() {
        let id = uuid::Uuid::new_v4();
        tracing::error!(correlation_id = %id, error = %e.message(), "ingestion request failed");
        format!("internal error (correlation id {id})")
    } else {
        e.message()
    };
    (status, message)
}

/// The caller, with the `ingest` scope, charged one operation.
pub(super) fn ingest_principal(state: &AppState, headers: &HeaderMap) -> Result<Principal, Box<Response>> {
    let refused = |e| Box::new(app_error(e));
    let principal = super::graphql::principal_for(state, headers).map_err(refused)?;
    principal.require(Scope::Ingest).map_err(refused)?;
    super::graphql::charge(state, &principal, 1).map_err(refused)?;
    Ok(principal)
}

pub async fn accept(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let principal = match ingest_principal(&state, &parts.headers) {
        Ok(p) => p,
        Err(res) => return *res,
    };
    let key = match parts.headers.get(IDEMPOTENCY_KEY).map(|v| v.to_str()) {
        None => None,
        Some(Ok(k)) => Some(k.to_string()),
        Some(Err(_)) => {
            return error(StatusCode::BAD_REQUEST, "MALFORMED_REQUEST", "Idempotency-Key must be visible ASCII");
        }
    };
    let body = match read_body(&state, body).await {
        Ok(bytes) => bytes,
        Err(res) => return res,
    };
    let batch = acquisition::is_batch(&body);
    let more = batch.as_ref().map_or(1, |items| items.len().max(1) as u64);
    if let Err(refused) = acquisition::admit(&state.store, state.config.ingestion.max_queue, more).await {
        return refusal(refused);
    }
    if let Some(items) = batch {
        let (store, pii) = (&state.store, &state.pii);
        return match acquisition::accept_batch(store, pii, &principal.subject, key.as_deref(), &body, items).await {
            Ok(accepted) => {
                let ingestions: Vec<Value> = accepted
                    .into_iter()
                    .map(|a| json!({ "status_url": format!("{INGESTIONS}/{}", a.ingestion_id), "ingestion_id": a.ingestion_id }))
                    .collect();
                (
                    StatusCode::ACCEPTED,
                    [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                    json!({ "ingestions": ingestions }).to_string(),
                )
                    .into_response()
            }
            Err(refused) => refusal(refused),
        };
    }
    match acquisition::accept(&state.store, &state.pii, &state.codes, &principal.subject, key.as_deref(), &body).await {
        Ok(accepted) => accepted_response(&accepted.ingestion_id),
        Err(refused) => refusal(refused),
    }
}

/// How long a client refused by backpressure is asked to wait.
pub(super) const QUEUE_FULL_RETRY_AFTER_SECS: u32 = 5;

/// A refused submission as an answer (nothing was written).
fn refusal(r: Refusal) -> Response {
    match r {
        Refusal::Malformed(m) => error(StatusCode::BAD_REQUEST, "MALFORMED_REQUEST", &m),
        Refusal::UnknownScene(m) => error(StatusCode::UNPROCESSABLE_ENTITY, "SCENE_NOT_FOUND", &m),
        Refusal::DisabledScene(m) => error(StatusCode::UNPROCESSABLE_ENTITY, "SCENE_DISABLED", &m),
        Refusal::AmbiguousScene(m) => error(StatusCode::UNPROCESSABLE_ENTITY, "SCENE_AMBIGUOUS", &m),
        Refusal::KeyReused => error(
            StatusCode::CONFLICT,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used with another body; use a new key for a new submission",
        ),
        Refusal::QueueFull(m) => {
            let mut res = error(StatusCode::SERVICE_UNAVAILABLE, "QUEUE_FULL", &m);
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(QUEUE_FULL_RETRY_AFTER_SECS));
            res
        }
        Refusal::Verification(e) => super::verification::check_refused(e),
        Refusal::Failed(e) => app_error(e),
    }
}

/// The request body, at most `CDP_MAX_BODY_BYTES`, within the read timeout; else the answer.
pub(super) async fn read_body(state: &AppState, body: axum::body::Body) -> Result<axum::body::Bytes, Response> {
    let limit = state.config.limits.max_body_bytes;
    match tokio::time::timeout(state.config.http_read_timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("the request body is larger than {limit} bytes (CDP_MAX_BODY_BYTES)"),
        )),
        Err(_) => {
            let mut res = error(StatusCode::REQUEST_TIMEOUT, "TIMEOUT", "the request body did not arrive in time");
            res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            Err(res)
        }
    }
}

/// 202 with the ingestion's id and status URL (also its `Location`).
pub(super) fn accepted_response(ingestion_id: &str) -> Response {
    let url = format!("{INGESTIONS}/{ingestion_id}");
    let body = json!({ "ingestion_id": ingestion_id, "status_url": url });
    let location = HeaderValue::from_str(&url).unwrap_or_else(|_| HeaderValue::from_static(INGESTIONS));
    (
        StatusCode::ACCEPTED,
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json")), (header::LOCATION, location)],
        body.to_string(),
    )
        .into_response()
}

pub async fn status(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let principal = match ingest_principal(&state, &headers) {
        Ok(p) => p,
        Err(res) => return *res,
    };
    match acquisition::status(&state.store, &principal.subject, &id).await {
        Ok(s) => {
            let mut body = Map::new();
            body.insert("ingestion_id".into(), Value::String(s.ingestion_id));
            body.insert("status".into(), Value::String(s.status));
            if let Some(lead) = s.lead_id {
                body.insert("lead_id".into(), Value::String(lead));
            }
            if let Some(dup) = s.duplicate_of {
                body.insert("duplicate_of".into(), Value::String(dup));
            }
            if let Some(reasons) = s.reasons {
                body.insert("reasons".into(), reasons);
            }
            body.insert("attempts".into(), Value::from(s.attempts));
            if let Some(steps) = s.steps {
                body.insert("steps".into(), steps);
            }
            axum::Json(Value::Object(body)).into_response()
        }
        Err(e) => app_error(e),
    }
}
