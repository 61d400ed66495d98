//! Signed webhooks: `POST /webhooks/{scene}` (README "Webhooks"). Authenticated by the scene's
//! HMAC signature (`X-Cdp-Timestamp`, `X-Cdp-Signature`), not by a token; the body is bounded
//! like every request's (`CDP_MAX_BODY_BYTES`). The checks and the queueing are
//! `services::webhook`'s; this module translates HTTP and answers in the shape the scene's
//! platform expects (`domain::webhook::ResponseShape`).

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::ingestion::{QUEUE_FULL_RETRY_AFTER_SECS, accepted_response, error, read_body, status_and_message};
use crate::domain::webhook::ResponseShape;
use crate::services::acquisition;
use crate::services::webhook::{self, Refusal};
use crate::startup::AppState;

/// The route: `{scene}` is an acquisition scene id.
pub const WEBHOOKS: &str = "/webhooks/{scene}";
const TIMESTAMP: &str = "x-cdp-timestamp";
const SIGNATURE: &str = "x-cdp-signature";

pub async fn receive(State(state): State<AppState>, Path(scene_id): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match read_body(&state, body).await {
        Ok(bytes) => bytes,
        Err(res) => return res,
    };
    let scene = match webhook::scene(&state.store, &scene_id).await {
        Ok(scene) => scene,
        Err(refusal) => return refused(ResponseShape::Generic, refusal),
    };
    let shape = scene.settings.response;
    // Backpressure, as for REST submissions: a platform retries a 503 later.
    if let Err(full) = acquisition::admit(&state.store, state.config.ingestion.max_queue, 1).await {
        let message = match full {
            acquisition::Refusal::QueueFull(m) => m,
            acquisition::Refusal::Failed(e) => return refused(shape, Refusal::Failed(e)),
            _ => "the ingestion queue is full".to_string(),
        };
        let mut res = shaped(shape, StatusCode::SERVICE_UNAVAILABLE, "QUEUE_FULL", &message);
        res.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from(QUEUE_FULL_RETRY_AFTER_SECS));
        return res;
    }
    let timestamp = header_text(&parts.headers, TIMESTAMP);
    let signature = header_text(&parts.headers, SIGNATURE);
    match webhook::receive(&state.store, &state.pii, &scene, timestamp, signature, &body).await {
        Ok(accepted) => match shape {
            ResponseShape::Generic => accepted_response(&accepted.ingestion_id),
            ResponseShape::Douyin => axum::Json(json!({ "code": 0, "message": "success" })).into_response(),
            ResponseShape::Wechat => axum::Json(json!({ "errcode": 0, "errmsg": "ok" })).into_response(),
        },
        Err(refusal) => refused(shape, refusal),
    }
}

/// A header's text; one that is not visible ASCII reads as empty (malformed).
fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).map(|v| v.to_str().unwrap_or(""))
}

fn refused(shape: ResponseShape, refusal: Refusal) -> Response {
    let (status, code, message) = match refusal {
        Refusal::UnknownScene(m) => (StatusCode::NOT_FOUND, "SCENE_NOT_FOUND", m),
        Refusal::DisabledScene(m) => (StatusCode::UNPROCESSABLE_ENTITY, "SCENE_DISABLED", m),
        Refusal::Misconfigured(m) => (StatusCode::UNPROCESSABLE_ENTITY, "SCENE_MISCONFIGURED", m),
        Refusal::Unsigned(m) => (StatusCode::UNAUTHORIZED, "SIGNATURE_REQUIRED", m),
        Refusal::StaleTimestamp => (
            StatusCode::UNAUTHORIZED,
            "STALE_TIMESTAMP",
            "X-Cdp-Timestamp is more than 5 minutes from the server's clock".to_string(),
        ),
        Refusal::NoSecret => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "WEBHOOK_NOT_CONFIGURED",
            "the scene has no active webhook secret (rotateWebhookSecret issues one)".to_string(),
        ),
        Refusal::BadSignature => (
            StatusCode::UNAUTHORIZED,
            "BAD_SIGNATURE",
            "X-Cdp-Signature is not the HMAC-SHA256 of \"{timestamp}.{body}\" under an active secret".to_string(),
        ),
        Refusal::NotJson(m) => (StatusCode::BAD_REQUEST, "MALFORMED_REQUEST", m),
        Refusal::BadPayload(m) => (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_PAYLOAD", m),
        Refusal::Replayed => (
            StatusCode::CONFLICT,
            "REPLAYED",
            "this signature was accepted before; sign each delivery anew".to_string(),
        ),
        Refusal::EventReused => (
            StatusCode::CONFLICT,
            "EVENT_ID_REUSED",
            "this event id was delivered before with another body".to_string(),
        ),
        Refusal::Failed(e) => {
            let (status, message) = status_and_message(&e);
            let mut res = shaped(shape, status, e.code(), &message);
            super::graphql::refusal_headers(&e, &mut res);
            return res;
        }
    };
    shaped(shape, status, code, &message)
}

/// A refusal in the platform's shape; `reason` carries our error code beside the platform's fields.
fn shaped(shape: ResponseShape, status: StatusCode, code: &str, message: &str) -> Response {
    let body = match shape {
        ResponseShape::Generic => return error(status, code, message),
        ResponseShape::Douyin => json!({ "code": status.as_u16(), "message": message, "reason": code }),
        ResponseShape::Wechat => json!({ "errcode": status.as_u16(), "errmsg": message, "reason": code }),
    };
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}
