//! cdp360: a GraphQL API server for a B2B customer-360 Customer Data Platform.
//!
//! The tour, outside in (dependencies point downwards; see ARCHITECTURE.md):

// The query root merges one object per entity; its Send proofs nest deeply.
#![recursion_limit = "512"]

/// JWT verification, principals and scopes (leaf: no database access).
pub mod auth;
/// The catalogue: every fact about a table (keys, domains, channel scope, references, …), typed, once.
pub mod catalog;
/// Configuration: the only place that reads the environment (`CDP_*`).
pub mod config;
/// Field encryption, blind indexes and the key ring (pure leaf).
pub mod crypto;
/// Database connection with statement metrics, and migrations under an advisory lock.
pub mod db;
/// Pure types and rules, no IO.
pub mod domain;
/// `AppError`: one error type, mapped to GraphQL `extensions.code` and HTTP status.
pub mod error;
/// The GraphQL schema: generic per-entity types, filters, connections and loaders.
pub mod graphql;
/// HTTP endpoints: health, readiness, metrics, GraphQL over HTTP, GraphiQL.
pub mod http;
/// Background jobs: post-commit summary refresh, scheduled full refresh, outbox pruning.
pub mod jobs;
/// Per-application Prometheus metrics (no global recorder, so test servers stay isolated).
pub mod metrics;
/// Domain events, the outbox relay (LISTEN/NOTIFY across replicas) and the in-process broker.
pub mod pubsub;
/// The only home of SQL: generic paging, filtering and batched lookups over any table.
pub mod repo;
/// The data generator: deterministic demo and benchmark data (`cdp360 seed`, the demo data set).
pub mod seed;
/// Use cases: reads with their access seam, writes as units of work (outbox + stale summaries),
/// workflows.
pub mod services;
/// `AppState`, the axum router and `Application::build` (port 0 for tests).
pub mod startup;
/// Tracing subscriber setup and PII masking helpers.
pub mod telemetry;
