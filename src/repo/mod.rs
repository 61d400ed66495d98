//! The only home of SeaORM query building and raw SQL. Generic over tables; functions take
//! `&impl ConnectionTrait` so they join the caller's transaction.

pub mod aggregate;
pub mod assignment;
pub mod bulk;
pub mod filter;
pub mod identity;
pub mod ingestion;
pub mod json;
pub mod leases;
pub mod merge;
pub mod outbox;
pub mod page;
pub mod performance;
pub mod pii;
pub mod pipeline;
pub mod plan;
pub mod rule_sets;
pub mod rules;
pub mod stale;
pub mod summary;
pub mod tag;
pub mod verification;
pub mod webhook;
pub mod write;
