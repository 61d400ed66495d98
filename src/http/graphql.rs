//! GraphQL over HTTP (the GraphQL-over-HTTP spec): POST `application/json`; GET with query
//! parameters, never for mutations; `application/graphql-response+json` when the client accepts it
//! (with 4xx for request errors), `application/json` otherwise (always 200 for well-formed
//! requests). A GET carrying a WebSocket upgrade speaks `graphql-transport-ws`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, ErrorExtensionValues, Request as GqlRequest, Response as GqlResponse};
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::auth::{AuthError, Principal, Scope, bearer_token};
use crate::error::AppError;
use crate::graphql::bounds;
use crate::graphql::documents::{KeptDocument, Parsed};
use crate::graphql::loaders::{DbLoader, Polled};
use crate::graphql::raw::{Raw, RawRoots, Spliced};
use crate::services::read::Access;
use crate::startup::AppState;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";
/// Operations in one JSON-array batch; each counts as an operation of its own.
const MAX_BATCH: usize = 10;

#[derive(Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponse,
    Json,
}

fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(MediaType::Json);
    };
    let mut best = None;
    for part in accept.split(',') {
        let mt = part.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match mt.as_str() {
            GRAPHQL_RESPONSE => return Some(MediaType::GraphqlResponse),
            JSON | "application/*" | "*/*" => best = best.or(Some(MediaType::Json)),
            _ => {}
        }
    }
    best
}

fn problem(status: StatusCode, message: &str) -> Response {
    error_response(status, "BAD_USER_INPUT", message)
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, [(header::CONTENT_TYPE, JSON)], body.to_string()).into_response()
}

/// The request's principal, authenticated from its bearer token (docs/design.md §5: every request but
/// health, readiness and the GraphiQL page carries one). What it may do is decided per operation:
/// queries need `read` ([`authorize`]), each mutation field its own scope (`graphql::guard`); row
/// rules (partner channels) apply in `services::read`, PII masking in the PII getters.
pub(super) fn principal_for(state: &AppState, headers: &HeaderMap) -> Result<Principal, AppError> {
    let header = headers.get(header::AUTHORIZATION).map(|v| v.to_str().map_err(|_| AuthError::BadAuthorizationHeader));
    let principal = match header {
        None => Err(AuthError::Missing),
        Some(value) => value.and_then(bearer_token).and_then(|token| state.verifier.verify(token)),
    }?;
    Ok(principal)
}

/// Reading needs `read`: a request holding any query operation is refused as a whole (403) without
/// it, so an `ingest`-only token can call its mutations and nothing else.
fn authorize<'a>(
    principal: &Principal,
    mut requests: impl Iterator<Item = (&'a GqlRequest, &'a Option<Parsed>)>,
) -> Result<(), AppError> {
    if requests.any(|(r, parsed)| !is_mutation(r, parsed)) {
        principal.require(Scope::Read)?;
    }
    Ok(())
}

/// Take `operations` from the principal's rate-limit bucket.
pub(super) fn charge(state: &AppState, principal: &Principal, operations: usize) -> Result<(), AppError> {
    state.rate_limit.admit(&principal.subject, operations).map_err(|wait| {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        AppError::RateLimited { retry_after_secs: secs.max(1) }
    })
}

/// A request refused before anything executes: 401 with the Bearer challenge, 403, or 429 with
/// `Retry-After`.
fn reject(e: AppError) -> Response {
    tracing::debug!(reason = %e.message(), "request refused");
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = error_response(status, e.code(), &e.message());
    refusal_headers(&e, &mut res);
    res
}

/// The headers a refusal owes its client, on every endpoint: the Bearer challenge with a 401,
/// `Retry-After` with a 429 and with a 503 (the database cannot be reached).
pub(super) fn refusal_headers(e: &AppError, res: &mut Response) {
    let headers = res.headers_mut();
    match e {
        AppError::Unauthenticated(_) => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        AppError::RateLimited { retry_after_secs } => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        AppError::Unavailable(_) => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS));
        }
        _ => {}
    }
}

pub async fn post(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    let principal = match principal_for(&state, &headers) {
        Ok(p) => p,
        Err(e) => return reject(e),
    };
    let Some(media) = negotiate(&headers) else {
        return problem(StatusCode::NOT_ACCEPTABLE, "accept application/graphql-response+json or application/json");
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    // Only JSON bodies: form posts and text/plain are what a cross-site form can send (CSRF).
    if content_type.split(';').next().map(|m| m.trim().eq_ignore_ascii_case(JSON)) != Some(true) {
        return problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
    }
    let body = match read_body(&state, body).await {
        Ok(b) => b,
        Err(res) => return res,
    };
    let batch = match parse_batch(&body) {
        Ok(b) => b,
        Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
    };
    // Before anything parses a query (the operation-type look below does): bounded input only.
    let limits = (&state.config.limits).into();
    if let Err(refused) = batch.iter().try_for_each(|r| bounds::check_request(r, limits)) {
        return problem(StatusCode::BAD_REQUEST, &refused.0);
    }
    let operations = match &batch {
        BatchRequest::Single(_) => 1,
        BatchRequest::Batch(list) => list.len(),
    };
    // Each query is looked up (or parsed) once, for the mutation check and for the executor.
    let mut parsed: Vec<Option<Parsed>> = batch.iter().map(|r| state.documents.parse(&r.query)).collect();
    if let Err(e) = authorize(&principal, batch.iter().zip(&parsed)) {
        return reject(e);
    }
    if let Err(e) = charge(&state, &principal, operations) {
        return reject(e);
    }
    let response = match batch {
        BatchRequest::Single(req) => Answers::Single(execute(&state, &principal, req, parsed.pop().flatten()).await),
        BatchRequest::Batch(list) => {
            let mut out = Vec::with_capacity(list.len());
            for (req, parsed) in list.into_iter().zip(parsed) {
                out.push(execute(&state, &principal, req, parsed).await);
            }
            Answers::Batch(out)
        }
    };
    respond(media, response)
}

pub async fn get(State(state): State<AppState>, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    if parts.headers.get(header::UPGRADE).is_some() {
        // Browsers cannot set headers on a WebSocket: the token comes in `connection_init`.
        return super::ws::upgrade(state, &mut parts).await;
    }
    let principal = match principal_for(&state, &parts.headers) {
        Ok(p) => p,
        Err(e) => return reject(e),
    };
    let Some(media) = negotiate(&parts.headers) else {
        return problem(StatusCode::NOT_ACCEPTABLE, "accept application/graphql-response+json or application/json");
    };
    let Query(params) = match Query::<HashMap<String, String>>::from_request_parts(&mut parts, &()).await {
        Ok(q) => q,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let Some(query) = params.get("query").filter(|q| !q.trim().is_empty()) else {
        return problem(StatusCode::BAD_REQUEST, "missing query parameter");
    };
    let mut req = GqlRequest::new(query.clone());
    if let Some(name) = params.get("operationName").filter(|n| !n.is_empty()) {
        req = req.operation_name(name.clone());
    }
    if let Some(vars) = params.get("variables").filter(|v| !v.is_empty()) {
        match serde_json::from_str(vars) {
            Ok(v) => req = req.variables(async_graphql::Variables::from_json(v)),
            Err(_) => return problem(StatusCode::BAD_REQUEST, "variables must be a JSON object"),
        }
    }
    if let Err(refused) = bounds::check_request(&req, (&state.config.limits).into()) {
        return problem(StatusCode::BAD_REQUEST, &refused.0);
    }
    let parsed = state.documents.parse(&req.query);
    if let Err(e) = authorize(&principal, std::iter::once((&req, &parsed))).and_then(|()| charge(&state, &principal, 1))
    {
        return reject(e);
    }
    if is_mutation(&req, &parsed) {
        let mut res = problem(StatusCode::METHOD_NOT_ALLOWED, "mutations must use POST");
        res.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return res;
    }
    respond(media, Answers::Single(execute(&state, &principal, req, parsed).await))
}

/// The request body, read within `CDP_HTTP_READ_TIMEOUT_SECS` as a whole: a client that stops
/// sending half-way is answered 408 and its connection closed, not held open (the per-frame
/// timeouts of a body wrapper would let a slow drip last for ever).
async fn read_body(state: &AppState, body: axum::body::Body) -> Result<Bytes, Response> {
    let limit = state.config.limits.max_body_bytes;
    match tokio::time::timeout(state.config.http_read_timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body is larger than {limit} bytes (CDP_MAX_BODY_BYTES)"),
        )),
        Err(_) => {
            let mut res = problem(StatusCode::REQUEST_TIMEOUT, "the request body did not arrive in time");
            res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            Err(res)
        }
    }
}

/// One request or a batch of 1 to [`MAX_BATCH`], each with a non-empty `query` (a misspelt key
/// is a malformed request, not an empty document).
fn parse_batch(body: &[u8]) -> Result<BatchRequest, String> {
    let batch: BatchRequest =
        serde_json::from_slice(body).map_err(|e| format!("malformed GraphQL request body: {e}"))?;
    if let BatchRequest::Batch(list) = &batch
        && (list.is_empty() || list.len() > MAX_BATCH)
    {
        return Err(format!("a batch holds 1 to {MAX_BATCH} operations"));
    }
    if batch.iter().any(|r| r.query.trim().is_empty()) {
        return Err("the request has no `query`".into());
    }
    Ok(batch)
}

/// Whether the operation the request selects is a mutation (unparsable queries are left to the
/// executor, which reports the syntax error).
fn is_mutation(req: &GqlRequest, parsed: &Option<Parsed>) -> bool {
    let Some(Parsed { doc, .. }) = parsed else { return false };
    let mut ops = doc.operations.iter();
    let selected = match &req.operation_name {
        Some(name) => ops.find(|(n, _)| n.map(|n| n.as_str()) == Some(name.as_str())).map(|(_, op)| op),
        None => ops.next().map(|(_, op)| op),
    };
    selected.is_some_and(|op| op.node.ty == OperationType::Mutation)
}

/// One operation's answer: the executor's response, and the JSON texts of the root fields the
/// planner compiled that go out as the database wrote them (`graphql::raw`).
struct Answer {
    res: GqlResponse,
    raw: Vec<Raw>,
}

enum Answers {
    Single(Answer),
    Batch(Vec<Answer>),
}

impl Answers {
    fn all(&self) -> &[Answer] {
        match self {
            Answers::Single(a) => std::slice::from_ref(a),
            Answers::Batch(list) => list.as_slice(),
        }
    }
}

async fn execute(state: &AppState, principal: &Principal, mut req: GqlRequest, parsed: Option<Parsed>) -> Answer {
    // Parsed once per distinct query text (`graphql::documents`); the executor takes it as is,
    // and its extensions the kept entry.
    if let Some(Parsed { doc, kept }) = parsed {
        req.set_parsed_query((*doc).clone());
        if let Some(entry) = kept {
            req = req.data(KeptDocument(entry));
        }
    }
    let operation = req.operation_name.clone().unwrap_or_else(|| "anonymous".into());
    let started = Instant::now();
    let access = Access::for_principal(principal);
    let loader = DbLoader::new(state.db.clone(), access.clone());
    let busy = loader.loader().busy();
    let raw = Arc::new(RawRoots::default());
    let req = req.data(loader).data(access).data(principal.clone()).data(raw.clone());
    let span = tracing::info_span!("graphql", operation = %operation);
    let schema = state.schema.clone();
    let mut res = Polled::new(busy, async move { schema.execute(req).await }).instrument(span).await;
    state.metrics.graphql_operation(&operation_label(&operation), started.elapsed().as_secs_f64());
    // Errors async-graphql raises itself (syntax, validation, input coercion: a wrong enum value
    // or scalar format) carry no code; they are all the client's to fix.
    for err in &mut res.errors {
        let ext = err.extensions.get_or_insert_with(ErrorExtensionValues::default);
        if ext.get("code").is_none() {
            ext.set("code", "BAD_USER_INPUT");
        }
    }
    Answer { res, raw: raw.take() }
}

/// Operation names become metric labels: keep them short and tame.
fn operation_label(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect()
}

/// A request error: the operation never started (syntax, validation, a refused input), as
/// opposed to a field error during execution, which carries a path.
fn is_request_error(r: &GqlResponse) -> bool {
    r.data == async_graphql::Value::Null && r.is_err() && r.errors.iter().all(|e| e.path.is_empty())
}

/// An answer as it goes out: a request error has no `data` entry at all (GraphQL over HTTP: the
/// `data` entry "MUST NOT be present" when the request failed before execution).
fn write_answer(a: &Answer, out: &mut Vec<u8>) -> serde_json::Result<()> {
    #[derive(serde::Serialize)]
    struct Refused<'a> {
        errors: &'a [async_graphql::ServerError],
    }
    if is_request_error(&a.res) {
        serde_json::to_writer(out, &Refused { errors: &a.res.errors })
    } else {
        Spliced { res: &a.res, raw: &a.raw }.write(out)
    }
}

fn respond(media: MediaType, res: Answers) -> Response {
    let status = match (&res, media) {
        // A request error (nothing executed) is the client's fault under the new media type.
        (Answers::Single(a), MediaType::GraphqlResponse) if is_request_error(&a.res) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let content_type = match media {
        MediaType::GraphqlResponse => GRAPHQL_RESPONSE,
        MediaType::Json => JSON,
    };
    let mut body = Vec::new();
    let written = match &res {
        Answers::Single(a) => write_answer(a, &mut body),
        Answers::Batch(list) => {
            body.push(b'[');
            let written = list.iter().enumerate().try_for_each(|(i, a)| {
                if i > 0 {
                    body.push(b',');
                }
                write_answer(a, &mut body)
            });
            body.push(b']');
            written
        }
    };
    if written.is_err() {
        body = br#"{"errors":[{"message":"serialisation failed"}]}"#.to_vec();
    }
    let response = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    retry_later_if_unavailable(&res, response)
}

/// Seconds a client waits before retrying when the database could not be reached.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// An operation that failed because the database cannot be reached (`UNAVAILABLE`) makes the
/// answer 503 with `Retry-After`, whatever the media type: clients and load balancers retry a 503,
/// while a 200 reads as a final answer.
fn retry_later_if_unavailable(res: &Answers, mut response: Response) -> Response {
    let unavailable = res.all().iter().flat_map(|a| &a.res.errors).any(|e| {
        let code = e.extensions.as_ref().and_then(|ext| ext.get("code"));
        matches!(code, Some(async_graphql::Value::String(c)) if c == "UNAVAILABLE")
    });
    if unavailable {
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS));
    }
    response
}
