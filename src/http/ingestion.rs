//! Lead ingestion over REST (ARCHITECTURE.md, "Lead ingestion"; README "Lead ingestion"):
//!
//! - `POST /api/v1/leads/ingestions` — one submission, `Idempotency-Key` optional; 202 with the
//!   ingestion id and its status URL once the ingestion is committed.
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
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = if e.is_internal() {
        let id = uuid::Uuid::new_v4();
        tracing::error!(correlation_id = %id, error = %e.message(), "ingestion request failed");
        format!("internal error (correlation id {id})")
    } else {
        e.message()
    };
    let mut res = error(status, e.code(), &message);
    super::graphql::refusal_headers(&e, &mut res);
    res
}

/// The caller, with the `ingest` scope, charged one operation; else the answer to return.
#[allow(clippy::result_large_err)] // the handlers return the refusal as it is; boxing buys nothing
pub(super) fn ingest_principal(state: &AppState, headers: &HeaderMap) -> Result<Principal, Response> {
    let principal = super::graphql::principal_for(state, headers).map_err(app_error)?;
    principal.require(Scope::Ingest).map_err(app_error)?;
    super::graphql::charge(state, &principal, 1).map_err(app_error)?;
    Ok(principal)
}

pub async fn accept(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let principal = match ingest_principal(&state, &parts.headers) {
        Ok(p) => p,
        Err(res) => return res,
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
    match acquisition::accept(&state.store, &state.pii, &state.codes, &principal.subject, key.as_deref(), &body).await {
        Ok(accepted) => {
            let url = format!("{INGESTIONS}/{}", accepted.ingestion_id);
            let body = json!({ "ingestion_id": accepted.ingestion_id, "status_url": url });
            let location = HeaderValue::from_str(&url).unwrap_or_else(|_| HeaderValue::from_static(INGESTIONS));
            (
                StatusCode::ACCEPTED,
                [(header::CONTENT_TYPE, HeaderValue::from_static("application/json")), (header::LOCATION, location)],
                body.to_string(),
            )
                .into_response()
        }
        Err(Refusal::Malformed(m)) => error(StatusCode::BAD_REQUEST, "MALFORMED_REQUEST", &m),
        Err(Refusal::UnknownScene(m)) => error(StatusCode::UNPROCESSABLE_ENTITY, "SCENE_NOT_FOUND", &m),
        Err(Refusal::DisabledScene(m)) => error(StatusCode::UNPROCESSABLE_ENTITY, "SCENE_DISABLED", &m),
        Err(Refusal::AmbiguousScene(m)) => error(StatusCode::UNPROCESSABLE_ENTITY, "SCENE_AMBIGUOUS", &m),
        Err(Refusal::KeyReused) => error(
            StatusCode::CONFLICT,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used with another body; use a new key for a new submission",
        ),
        Err(Refusal::Verification(e)) => super::verification::check_refused(e),
        Err(Refusal::Failed(e)) => app_error(e),
    }
}

/// The request body, at most `CDP_MAX_BODY_BYTES`, within the read timeout.
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

pub async fn status(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let principal = match ingest_principal(&state, &headers) {
        Ok(p) => p,
        Err(res) => return res,
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
            axum::Json(Value::Object(body)).into_response()
        }
        Err(e) => app_error(e),
    }
}
