//! cdp360 schema migrations. Each change is a new module here; existing ones are frozen history
//! and never import the `entity` crate (models change, history does not).

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_model;
mod m20261122_000002_encrypt_pii;
mod m20261122_000003_merge_ledger;
mod m20261201_000004_outbox;
mod m20261202_000005_summary_stale;
mod m20261202_000006_keyset_indexes;
mod m20261202_000007_acquisition;
mod m20261202_000008_ingestion_retries;
mod m20261202_000009_webhooks;
mod m20261202_000010_verification_codes;
mod m20261203_000011_ingestion_claim_index;
mod m20261203_000012_leases;
mod m20261203_000013_assignment_cursor;
mod m20261203_000014_auto_tagging;
mod m20261204_000015_performance;
mod m20261205_000016_routing_partial_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_model::Migration),
            Box::new(m20261122_000002_encrypt_pii::Migration),
            Box::new(m20261122_000003_merge_ledger::Migration),
            Box::new(m20261201_000004_outbox::Migration),
            Box::new(m20261202_000005_summary_stale::Migration),
            Box::new(m20261202_000006_keyset_indexes::Migration),
            Box::new(m20261202_000007_acquisition::Migration),
            Box::new(m20261202_000008_ingestion_retries::Migration),
            Box::new(m20261202_000009_webhooks::Migration),
            Box::new(m20261202_000010_verification_codes::Migration),
            Box::new(m20261203_000011_ingestion_claim_index::Migration),
            Box::new(m20261203_000012_leases::Migration),
            Box::new(m20261203_000013_assignment_cursor::Migration),
            Box::new(m20261203_000014_auto_tagging::Migration),
            Box::new(m20261204_000015_performance::Migration),
            Box::new(m20261205_000016_routing_partial_indexes::Migration),
        ]
    }
}
