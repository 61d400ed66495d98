//! The ingestion claim's order in its index (issue 12, measured by the M4 benchmark).
//!
//! The claim reads the oldest due rows `WHERE status = 'ACCEPTED' ORDER BY created_at,
//! ingestion_id LIMIT n`. The index `(status, created_at)` lacks the tie-breaker, so PostgreSQL
//! fetched and sorted the whole backlog (wide rows: the sealed submission) on every round, and a
//! round's cost grew with the queue. `(status, created_at, ingestion_id)` returns the page in
//! index order; it serves the dead-letter list and the queue counts as the old one did.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A new name, created before the old index goes (SQLite cannot re-create a name just
        // dropped in the same migration).
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX idx_lead_ingestion_due ON lead_ingestion (status, created_at, ingestion_id)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX idx_lead_ingestion_status").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX idx_lead_ingestion_status ON lead_ingestion (status, created_at)").await?;
        db.execute_unprepared("DROP INDEX idx_lead_ingestion_due").await?;
        Ok(())
    }
}
