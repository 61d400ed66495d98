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
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::ingestion::{ErrorBody, app_error, error, ingest_principal, json_answer, read_body};
use crate::services::verification::{self, CheckRefusal, SendRefusal, SendRequest};
use crate::startup::AppState;

/// Where codes are requested.
pub const VERIFICATION_CODES: &str = "/api/v1/verification-codes";
/// `Retry-After` of `SENDER_UNAVAILABLE`.
const SENDER_RETRY_AFTER_SECS: u32 = 30;

/// A code stored and handed to the sender (the code itself is never answered).
#[derive(Serialize, ToSchema)]
struct CodeSent {
    /// How long the code is valid.
    expires_in_seconds: u64,
}

/// Send a verification code to a landing-page visitor's phone.
///
/// The landing page's server calls it; the visitor then submits the code with the form (a
/// `LANDING_PAGE` scene checks it on `POST /api/v1/leads/ingestions`). Limited per phone (with a
/// minimum gap between codes) and per IP.
#[utoipa::path(
    post,
    path = VERIFICATION_CODES,
    operation_id = "sendVerificationCode",
    tag = "verification",
    security(("bearer" = ["ingest"])),
    request_body(content = SendRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "The code is stored and handed to the sender", body = CodeSent),
        (status = 400, description = "`MALFORMED_REQUEST`: not JSON or not the request's shape, or `ip` too long", body = ErrorBody),
        (status = 422, description = "`INVALID_PHONE`, `SCENE_NOT_FOUND`", body = ErrorBody),
        (status = 503, description = "`SENDER_UNAVAILABLE` (the code could not be sent) or `UNAVAILABLE` (the database): retry after `Retry-After` seconds",
            body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
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
        Ok(expires_in_seconds) => json_answer(StatusCode::ACCEPTED, &CodeSent { expires_in_seconds }),
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
