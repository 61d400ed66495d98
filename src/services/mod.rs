//! Use cases. Services open transactions, call domain + repo, and return `AppError`. They never
//! import async_graphql or axum.

pub mod acquisition;
pub mod activity;
pub mod aggregate;
pub mod assignment;
pub mod autotag;
pub mod convert;
pub mod crud;
pub mod identity;
pub mod leases;
pub mod merge;
pub mod performance;
pub mod pii;
pub mod pipeline;
pub mod read;
pub mod routing;
pub mod rules;
pub mod simulation;
pub mod summaries;
pub mod tagging;
pub mod tx;
pub mod verification;
pub mod webhook;
pub mod write;
