//! HTTP endpoints (docs/design.md §11): GraphQL over HTTP and WebSocket on `/graphql`, GraphiQL on `/`
//! (its files under `/assets`), `/healthz`, `/readyz`, `/metrics`, lead ingestion under
//! `/api/v1/leads/ingestions`, signed webhooks under `/webhooks/{scene}`, landing-page codes at
//! `/api/v1/verification-codes`, and the OpenAPI document of those REST endpoints at
//! `/api/v1/openapi.json`.
//! Handlers translate HTTP; the work happens in the schema and services.

mod graphiql;
mod graphql;
mod ingestion;
mod openapi;
pub mod rate_limit;
pub mod server;
mod verification;
mod webhook;
mod ws;
pub mod ws_groups;

pub use openapi::{OPENAPI, document as openapi_document};
pub use server::Drain;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::startup::AppState;

pub fn router(state: AppState) -> Router {
    let body_limit = state.config.limits.max_body_bytes;
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/", get(graphiql::page))
        .route("/graphiql", get(graphiql::page))
        .route(&format!("{}/{{name}}", graphiql::ASSETS), get(graphiql::asset))
        .route(graphiql::LICENSES, get(graphiql::licenses))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(rest())
        .layer(DefaultBodyLimit::max(body_limit))
        // Every answer: no MIME sniffing, and no caching of API data by browsers or proxies (a
        // handler that knows better sets its own).
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The REST endpoints: each handler is in the OpenAPI document (`openapi::ApiDoc`'s `paths`), and
/// a test holds this list and the document's operations equal.
fn rest() -> Router<AppState> {
    Router::new()
        .route(ingestion::INGESTIONS, post(ingestion::accept))
        .route(&format!("{}{}", ingestion::INGESTIONS, ingestion::INGESTION), get(ingestion::status))
        .route(webhook::WEBHOOKS, post(webhook::receive))
        .route(verification::VERIFICATION_CODES, post(verification::send))
        .route(openapi::OPENAPI, get(openapi::serve))
}

/// Count every request by method, route template and status.
async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    let res = next.run(req).await;
    tracing::debug!(%method, %route, status = res.status().as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "request");
    state.metrics.http_request(&method, &route, res.status().as_u16());
    res
}

async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match crate::db::ready(&state.db).await {
        Ok(()) => axum::Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e.message(), "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({ "status": "unavailable", "reason": e.message() })),
            )
                .into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(expected) = &state.config.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| crate::auth::bearer_token(v).ok())
            .unwrap_or_default();
        // Compare digests, not strings: equal-length HMACs compared in constant time.
        if !constant_time_eq(expected.expose(), given.as_bytes()) {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "metrics token required\n")
                .into_response();
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use hmac::{Hmac, Mac};
    let tag = |data: &[u8]| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"cdp360 metrics token").expect("any key length");
        mac.update(data);
        mac
    };
    tag(a).verify_slice(&tag(b).finalize().into_bytes()).is_ok()
}
