//! Signed webhooks: `POST /webhooks/{scene}` (README "Webhooks"). Authenticated by the scene's
//! HMAC signature (`X-Cdp-Timestamp`, `X-Cdp-Signature`), not by a token; the body is bounded
//! like every request's (`CDP_MAX_BODY_BYTES`). The checks and the queueing are
//! `services::webhook`'s; this module translates HTTP and answers in the shape the scene's
//! platform expects (`domain::webhook::ResponseShape`).

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::ingestion::{
    AcceptedIngestion, ErrorBody, QUEUE_FULL_RETRY_AFTER_SECS, accepted_response, json_answer, read_body,
    status_and_message,
};
use crate::domain::webhook::ResponseShape;
use crate::services::acquisition::{self, Meta};
use crate::services::webhook::{self, Refusal};
use crate::startup::AppState;

/// The route: `{scene}` is an acquisition scene id.
pub const WEBHOOKS: &str = "/webhooks/{scene}";
/// The signature headers (`domain::webhook::SignedHeaders`), as the OpenAPI document names them.
pub(super) const TIMESTAMP: &str = "X-Cdp-Timestamp";
pub(super) const SIGNATURE: &str = "X-Cdp-Signature";

/// A Douyin-style answer: `code` 0 and `message` "success" when accepted; else the HTTP status,
/// the message and our error code as `reason`.
#[derive(Serialize, ToSchema)]
struct DouyinAnswer {
    code: u16,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// A WeChat-style answer: `errcode` 0 and `errmsg` "ok" when accepted; else the HTTP status, the
/// message and our error code as `reason`.
#[derive(Serialize, ToSchema)]
struct WechatAnswer {
    errcode: u16,
    errmsg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// A platform-shaped answer (the scene's `sceneSpecificParams.webhook.response`: `douyin`,
/// `wechat`); a `generic` scene answers like `POST /api/v1/leads/ingestions`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum PlatformAnswer {
    Douyin(DouyinAnswer),
    Wechat(WechatAnswer),
}

/// A refusal, in the scene's response shape.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum WebhookRefusal {
    Generic(ErrorBody),
    Platform(PlatformAnswer),
}

/// A text or an integer.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "a schema only")]
enum TextOrInteger {
    Text(String),
    Integer(i64),
}

/// The `generic` adapter's delivery.
#[derive(ToSchema)]
#[allow(dead_code, reason = "a schema only: `domain::webhook::Adapter::translate` reads deliveries")]
struct GenericDelivery {
    /// The sender's id of the event (text or integer, 1 to 200 visible ASCII characters): one
    /// ingestion per event however often it is delivered.
    event_id: Option<TextOrInteger>,
    /// The submission, read by the scene's mapping rules.
    #[schema(value_type = Object)]
    submission_data: Value,
    meta: Option<Meta>,
}

/// The `douyin` adapter's delivery: a Douyin-style lead push.
#[derive(ToSchema)]
#[allow(dead_code, reason = "a schema only: `domain::webhook::Adapter::translate` reads deliveries")]
struct DouyinDelivery {
    event: Option<String>,
    /// The platform's lead id: the event id; also added to the submission.
    clue_id: TextOrInteger,
    data: DouyinLead,
}

/// The pushed lead: every field (`name`, `telephone`, `province`, `city`, any other) becomes the
/// submission the scene's rules read.
#[derive(ToSchema)]
#[allow(dead_code, reason = "a schema only: `domain::webhook::Adapter::translate` reads deliveries")]
struct DouyinLead {
    /// Not blank.
    telephone: String,
}

/// The `wechat_mini_program` adapter's delivery: a mini-program's phone authorization. The
/// submission is `phone` (`+<countryCode><purePhoneNumber>`, else `phoneNumber`), `openid`,
/// `unionid`, `appid` and `scene`.
#[derive(ToSchema)]
#[allow(dead_code, reason = "a schema only: `domain::webhook::Adapter::translate` reads deliveries")]
struct WechatDelivery {
    appid: String,
    openid: String,
    unionid: Option<String>,
    phone_info: WechatPhoneInfo,
    /// Unix seconds; with appid and openid, the event's identity.
    timestamp: Option<TextOrInteger>,
    /// The mini-program's scene value.
    scene: Option<TextOrInteger>,
}

/// WeChat's phone information: `countryCode` with `purePhoneNumber`, or `phoneNumber`.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "a schema only: `domain::webhook::Adapter::translate` reads deliveries")]
struct WechatPhoneInfo {
    phone_number: Option<String>,
    pure_phone_number: Option<String>,
    country_code: Option<TextOrInteger>,
}

/// The delivery, as the scene's adapter (`sceneSpecificParams.webhook.adapter`) reads it.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "a schema only: `domain::webhook::Adapter::translate` reads deliveries")]
enum WebhookDelivery {
    Generic(GenericDelivery),
    Douyin(DouyinDelivery),
    Wechat(WechatDelivery),
}

/// Receive a platform's signed lead delivery for an acquisition scene.
///
/// Signed, not token-authenticated: `X-Cdp-Signature` is `sha256=` and the hex HMAC-SHA256 of
/// `"{X-Cdp-Timestamp}.{raw body}"` under one of the scene's active secrets
/// (`rotateWebhookSecret` issues them), and `X-Cdp-Timestamp` (unix seconds) lies within 5 minutes
/// of the server's clock; a signature is accepted once. The scene's adapter reads the body
/// (`generic`, `douyin`, `wechat_mini_program`) and its response shape answers: `generic` like
/// `POST /api/v1/leads/ingestions` (202), `douyin` and `wechat` with 200 and their platform's
/// fields, refusals too in the scene's shape (an unknown scene answers `generic`).
#[utoipa::path(
    post,
    path = WEBHOOKS,
    operation_id = "receiveWebhook",
    tag = "webhooks",
    security(("webhookTimestamp" = [], "webhookSignature" = [])),
    params(("scene" = String, Path, description = "The acquisition scene's id")),
    request_body(content = WebhookDelivery, content_type = "application/json"),
    responses(
        (status = 200, description = "Accepted (a `douyin` or `wechat` response shape)", body = PlatformAnswer),
        (status = 202, description = "Accepted (the `generic` response shape)", body = AcceptedIngestion,
            headers(("Location" = String, description = "The ingestion's `status_url`"))),
        (status = 400, description = "`MALFORMED_REQUEST`: the body is not JSON", body = WebhookRefusal),
        (status = 401, description = "`SIGNATURE_REQUIRED`, `STALE_TIMESTAMP`, `BAD_SIGNATURE`", body = WebhookRefusal),
        (status = 404, description = "`SCENE_NOT_FOUND`", body = WebhookRefusal),
        (status = 409, description = "`REPLAYED` (this signature was accepted before), `EVENT_ID_REUSED` (the event id came with another body)", body = WebhookRefusal),
        (status = 422, description = "`SCENE_DISABLED`, `SCENE_MISCONFIGURED`, `WEBHOOK_NOT_CONFIGURED` (no active secret), `INVALID_PAYLOAD` (not the adapter's shape)", body = WebhookRefusal),
        (status = 500, description = "`INTERNAL`: a failure of the server's own (the message names a correlation id)", body = WebhookRefusal),
        (status = 503, description = "`QUEUE_FULL` (backpressure) or `UNAVAILABLE` (the database): retry after `Retry-After` seconds",
            body = WebhookRefusal, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
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
            ResponseShape::Douyin => {
                json_answer(StatusCode::OK, &DouyinAnswer { code: 0, message: "success".into(), reason: None })
            }
            ResponseShape::Wechat => {
                json_answer(StatusCode::OK, &WechatAnswer { errcode: 0, errmsg: "ok".into(), reason: None })
            }
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
    let (message, reason) = (message.to_string(), Some(code.to_string()));
    let body = match shape {
        ResponseShape::Generic => WebhookRefusal::Generic(ErrorBody::new(code, &message)),
        ResponseShape::Douyin => {
            WebhookRefusal::Platform(PlatformAnswer::Douyin(DouyinAnswer { code: status.as_u16(), message, reason }))
        }
        ResponseShape::Wechat => WebhookRefusal::Platform(PlatformAnswer::Wechat(WechatAnswer {
            errcode: status.as_u16(),
            errmsg: message,
            reason,
        })),
    };
    json_answer(status, &body)
}
