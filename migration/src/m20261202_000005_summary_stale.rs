//! Durable stale-summary marks (hardening issue, item 4): a write that makes a summary stale
//! inserts `(kind, entity_id)` here in its own transaction, so the mark commits (or rolls back)
//! with the change that causes it. The refresher deletes the marks it drains in the same
//! transaction as the summary rows it writes; whatever a crash leaves behind is drained when a
//! server starts.
//!
//! - `kind`: `ACCOUNT`, `CONTACT`, `LEAD` (the summary of that entity) or `CAMPAIGN` (expanded to
//!   the accounts the campaign reaches when the refresh runs).
//! - Primary key `(kind, entity_id)`: a record is marked once however often it is written
//!   (`INSERT … ON CONFLICT DO NOTHING`), and the drain of known ids is an index lookup.
//! - `marked_at` (first mark of a pending row) with its index: the sweep for orphans (marks whose
//!   writer died before refreshing them) takes the oldest first without reading the whole table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let col = |name: &str| ColumnDef::new(Alias::new(name)).to_owned();
        let mut table = Table::create();
        table
            .table(Alias::new("summary_stale"))
            .col(col("kind").string_len(16).not_null())
            .col(col("entity_id").string_len(64).not_null())
            .col(col("marked_at").timestamp_with_time_zone().not_null())
            .primary_key(Index::create().name("pk_summary_stale").col(Alias::new("kind")).col(Alias::new("entity_id")));
        manager.create_table(table).await?;
        manager
            .get_connection()
            .execute_unprepared("CREATE INDEX idx_summary_stale_marked_at ON summary_stale (marked_at)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX idx_summary_stale_marked_at").await?;
        manager.drop_table(Table::drop().table(Alias::new("summary_stale")).to_owned()).await?;
        Ok(())
    }
}
