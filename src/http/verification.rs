//! Landing-page verification codes over REST (ARCHITECTURE.md, "Verification codes"; README
//! "Verification codes"):
//!
//! - `POST /api/v1/verification-codes` — `{ "phone", "scene_config_id"?, "ip"? }`; 202
//!   `{ "expires_in_seconds" }` once the code is stored and handed to the sender (never the code).
//!
//! The landing page's server calls it with an `ingest` token, authenticated and charged like
//! ingestion (`http/ingestion.rs`'s helpers). The work is `services::verification`'s.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::ingestion::{app_error, error, ingest_principal, read_body};
use crate::services::verification::{self, CheckRefusal, SendRefusal};
use crate::startup::AppState;

/// Where codes are requested.
pub const VERIFICATION_CODES: &str = "/api/v1/verification-codes";
/// `Retry-After` of `SENDER_UNAVAILABLE`.
const SENDER_RETRY_AFTER_SECS: u32 = 30;

pub async fn send(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if let Err(res) = ingest_principal(&state, &parts.headers) {
        return *res;
    }
    let body = match read_body(&state, body).await {
        Ok(bytes) => bytes,
        Err(res) => return res,
    };
    match verification::send_code(&state.store, &state.pii, &state.codes, &body).await {
        Ok(expires_in_seconds) => (
            StatusCode::ACCEPTED,
            [(header::CONTENT_TYPE, "application/json")],
            json!({ "expires_in_seconds": expires_in_seconds }).to_string(),
        )
            .into_response(),
        Err(SendRefusal::Malformed(m)) => error(StatusCode::BAD_REQUEST, "MALFORMED_REQUEST", &m),
        Err(SendRefusal::InvalidPhone(m)) => error(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_PHONE", &m),
        Err(SendRefusal::UnknownScene(m)) => error(StatusCode::UNPROCESSABLE_ENTITY, "SCENE_NOT_FOUND", &m),
        Err(SendRefusal::SenderUnavailable) => {
            let mut res = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "SENDER_UNAVAILABLE",
                "the code could not be sent; try again later",
            );
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(SENDER_RETRY_AFTER_SECS));
            res
        }
        Err(SendRefusal::Failed(e)) => app_error(e),
    }
}

/// A `LANDING_PAGE` submission refused for its code (from `POST /api/v1/leads/ingestions`).
pub(super) fn check_refused(e: CheckRefusal) -> Response {
    match e {
        CheckRefusal::InvalidPhone(m) => error(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_PHONE", &m),
        CheckRefusal::Failed(m) => error(StatusCode::UNPROCESSABLE_ENTITY, "VERIFICATION_FAILED", &m),
        CheckRefusal::Expired(m) => error(StatusCode::UNPROCESSABLE_ENTITY, "VERIFICATION_EXPIRED", &m),
        CheckRefusal::Error(e) => app_error(e),
    }
}
