//! The one integration-test binary: every test spawns the real server (port 0) against a fresh
//! database and talks HTTP to it. `cargo test` runs on SQLite; with `CDP_TEST_DATABASE_URL` the
//! same tests run on PostgreSQL.

mod fixtures;
mod harness;
mod schema_walk;
mod seed_model;

mod acquisition;
mod activity;
mod aggregates;
mod assignment;
mod authn;
mod autotag;
mod bad_input;
mod catalog;
mod channels;
mod cli;
mod convert;
mod crud;
mod dependencies;
mod differential;
mod docs;
mod explain;
mod fanout;
mod filtering;
mod fuzz;
mod graphiql;
mod hardening;
mod http_contract;
mod ingestion_pipeline;
mod integrity;
mod kept_connections;
mod layers;
mod leases;
mod limits;
mod merge;
mod metrics_export;
mod openapi;
mod outage;
mod paging;
mod performance;
mod pii;
mod pipeline;
mod relations;
mod rules;
mod schema;
mod seed;
mod subscriptions;
mod summaries;
mod verification;
mod webhooks;
mod websocket;
