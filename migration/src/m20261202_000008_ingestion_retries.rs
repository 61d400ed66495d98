//! The ingestion pipeline's retries, dead letters and step log (issue 12):
//!
//! - `lead_ingestion.next_attempt_at`: after a failed attempt the row waits until then (backoff);
//!   the worker's claim skips it until it is due. NULL: due now.
//! - `lead_ingestion.steps`: the per-ingestion log of what processing did (mapped, deduplicated,
//!   identity, lead, touchpoint, routed, outcome), written in the transaction that records the
//!   outcome, so it never describes work that rolled back.
//! - `lead_ingestion.batch_index`: the position of a submission in its batch request (0 for a
//!   single submission). A batch's rows share the request's idempotency key, so the unique key
//!   becomes `(client_id, idempotency_key, batch_index)`: a replayed batch finds all its rows, and a
//!   single submission reusing a batch's key meets row 0 (another body: a conflict).
//! - Statuses `DEAD_LETTERED` and `DISCARDED` need no schema: the existing `(status, created_at)`
//!   index serves the dead-letter list as it serves the claim.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds one at a time.
        for col in [
            ColumnDef::new(Alias::new("next_attempt_at")).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(Alias::new("steps")).json_binary().null().to_owned(),
            ColumnDef::new(Alias::new("batch_index")).integer().not_null().default(0).to_owned(),
        ] {
            let mut col = col;
            manager
                .alter_table(Table::alter().table(Alias::new("lead_ingestion")).add_column(&mut col).to_owned())
                .await?;
        }
        // A new name, created before the old index goes: re-creating a name just dropped failed on
        // SQLite (`migrate up` on a fresh file: "index … already exists").
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uk_lead_ingestion_idempotency_batch ON lead_ingestion \
             (client_id, idempotency_key, batch_index)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX uk_lead_ingestion_idempotency").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Batches lose their rows beyond the first: the old key allows one row per key.
        db.execute_unprepared("DELETE FROM lead_ingestion WHERE batch_index > 0 AND idempotency_key IS NOT NULL")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uk_lead_ingestion_idempotency ON lead_ingestion (client_id, idempotency_key)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX uk_lead_ingestion_idempotency_batch").await?;
        for name in ["batch_index", "steps", "next_attempt_at"] {
            manager
                .alter_table(
                    Table::alter().table(Alias::new("lead_ingestion")).drop_column(Alias::new(name)).to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
