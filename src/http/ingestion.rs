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
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use crate::auth::{Principal, Scope};
use crate::error::AppError;
use crate::services::acquisition::{self, BatchRequest, Refusal, Step, SubmissionRequest};
use crate::startup::AppState;

/// Where ingestions are posted; an ingestion's status is at `<this><INGESTION>`.
pub const INGESTIONS: &str = "/api/v1/leads/ingestions";
/// One ingestion, under [`INGESTIONS`].
pub const INGESTION: &str = "/{id}";
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A refusal: `{ "error": { "code", "message" } }`.
#[derive(Serialize, ToSchema)]
pub(super) struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
struct ErrorDetail {
    /// What went wrong, for programs: `MALFORMED_REQUEST`, `UNAUTHENTICATED`, `QUEUE_FULL`, … (each
    /// operation's responses name theirs).
    code: String,
    /// What went wrong, for people; it names fields and paths, never a submitted value.
    message: String,
}

impl ErrorBody {
    pub(super) fn new(code: &str, message: &str) -> ErrorBody {
        ErrorBody { error: ErrorDetail { code: code.to_string(), message: message.to_string() } }
    }
}

/// `body` as a JSON answer with `status`.
pub(super) fn json_answer(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => {
            (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], text).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "an answer did not serialise");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_answer(status, &ErrorBody::new(code, message))
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

/// An ingestion accepted: where to follow it.
#[derive(Serialize, ToSchema)]
pub(super) struct AcceptedIngestion {
    /// The ingestion's id (`ING…`).
    ingestion_id: String,
    /// Its status, `GET` with the same token (also the single answer's `Location`).
    status_url: String,
}

impl AcceptedIngestion {
    fn new(ingestion_id: &str) -> AcceptedIngestion {
        AcceptedIngestion { status_url: format!("{INGESTIONS}/{ingestion_id}"), ingestion_id: ingestion_id.to_string() }
    }
}

/// A batch accepted: one entry per submission, in the request's order.
#[derive(Serialize, ToSchema)]
struct AcceptedBatch {
    ingestions: Vec<AcceptedIngestion>,
}

/// The request body: one submission, or a batch.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "a schema only: `services::acquisition` reads the body (`is_batch`, then one submission)")]
enum IngestionRequest {
    One(SubmissionRequest),
    Batch(BatchRequest),
}

/// The answer: one ingestion, or a batch's.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "a schema only: the two answers are written by `accepted_response` and `accept`")]
enum IngestionAccepted {
    One(AcceptedIngestion),
    Batch(AcceptedBatch),
}

/// Submit a lead: one submission, or a batch of up to 1,000 (all or none).
///
/// Answers 202 once the submission is committed to the ingestion queue; a worker maps it with the
/// scene's rules, deduplicates it and creates the lead (follow `status_url`). With an
/// `Idempotency-Key`, a repeated request with the same body answers the same ingestion(s); another
/// body under the same key is refused (409).
#[utoipa::path(
    post,
    path = INGESTIONS,
    operation_id = "submitLeads",
    tag = "ingestion",
    security(("bearer" = ["ingest"])),
    params(("Idempotency-Key" = Option<String>, Header, max_length = 200,
        description = "1 to 200 visible ASCII characters, per token subject: a retry with the same key and body is the same ingestion")),
    request_body(content = IngestionRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Accepted (committed); a single submission's answer also carries `Location`",
            body = IngestionAccepted, headers(("Location" = String, description = "The single submission's `status_url`"))),
        (status = 400, description = "`MALFORMED_REQUEST`: not JSON, not a submission (or a batch), a bad `Idempotency-Key`", body = ErrorBody),
        (status = 409, description = "`IDEMPOTENCY_KEY_REUSED`: the key was used with another body", body = ErrorBody),
        (status = 422, description = "`SCENE_NOT_FOUND`, `SCENE_DISABLED`, `SCENE_AMBIGUOUS`; for a `LANDING_PAGE` scene `INVALID_PHONE`, `VERIFICATION_FAILED`, `VERIFICATION_EXPIRED`", body = ErrorBody),
        (status = 503, description = "`QUEUE_FULL` (backpressure) or `UNAVAILABLE` (the database): retry after `Retry-After` seconds",
            body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
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
                let ingestions = accepted.iter().map(|a| AcceptedIngestion::new(&a.ingestion_id)).collect();
                json_answer(StatusCode::ACCEPTED, &AcceptedBatch { ingestions })
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
    let body = AcceptedIngestion::new(ingestion_id);
    let location = HeaderValue::from_str(&body.status_url).unwrap_or_else(|_| HeaderValue::from_static(INGESTIONS));
    let mut res = json_answer(StatusCode::ACCEPTED, &body);
    res.headers_mut().insert(header::LOCATION, location);
    res
}

/// Where an ingestion is.
// Fields in alphabetical order: the answer's bytes as they were when it was a `serde_json::Map`.
#[derive(Serialize, ToSchema)]
struct IngestionStatus {
    /// Processing attempts so far (a transient failure is retried with backoff).
    attempts: i32,
    /// `DUPLICATE_OF`: the existing lead the submission matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    duplicate_of: Option<String>,
    ingestion_id: String,
    /// `PROCESSED`: the lead created.
    #[serde(skip_serializing_if = "Option::is_none")]
    lead_id: Option<String>,
    /// `REJECTED` and `DEAD_LETTERED`: why, naming lead fields and source paths, never values.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    reasons: Option<Value>,
    #[schema(value_type = IngestionState)]
    status: String,
    /// What the last attempt did, once processing has run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Step>>)]
    steps: Option<Value>,
}

/// An ingestion's status: `ACCEPTED` (queued), `PROCESSED` (`lead_id`), `DUPLICATE_OF`
/// (`duplicate_of`), `REJECTED` (`reasons`), `DEAD_LETTERED` (failed for good, `reasons`; an
/// operator replays or discards it), `DISCARDED`.
struct IngestionState;

impl utoipa::PartialSchema for IngestionState {
    fn schema() -> RefOr<Schema> {
        // The names are `services::acquisition`'s, stated there once.
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(acquisition::STATUSES)).into()
    }
}

impl ToSchema for IngestionState {}

/// An ingestion's status.
///
/// Only the token subject that submitted it sees it (another's answers 404, as an unknown id does).
#[utoipa::path(
    get,
    context_path = INGESTIONS,
    path = INGESTION,
    operation_id = "getIngestionStatus",
    tag = "ingestion",
    security(("bearer" = ["ingest"])),
    params(("id" = String, Path, description = "The ingestion id (`ING…`) of the 202 answer")),
    responses(
        (status = 200, description = "The ingestion's status", body = IngestionStatus),
        (status = 404, description = "`NOT_FOUND`: no such ingestion of this token subject", body = ErrorBody),
        (status = 503, description = "`UNAVAILABLE`: the database cannot be reached; retry after `Retry-After` seconds",
            body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait"))),
    )
)]
pub async fn status(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let principal = match ingest_principal(&state, &headers) {
        Ok(p) => p,
        Err(res) => return *res,
    };
    match acquisition::status(&state.store, &principal.subject, &id).await {
        Ok(s) => json_answer(
            StatusCode::OK,
            &IngestionStatus {
                attempts: s.attempts,
                duplicate_of: s.duplicate_of,
                ingestion_id: s.ingestion_id,
                lead_id: s.lead_id,
                reasons: s.reasons,
                status: s.status,
                steps: s.steps,
            },
        ),
        Err(e) => app_error(e),
    }
}
