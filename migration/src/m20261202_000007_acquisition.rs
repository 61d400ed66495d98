//! Lead acquisition (issue 12, first slice): scenes and the durable ingestion queue.
//!
//! - `acquisition_scene`: one configured way leads arrive (docs/design.md §6, "Lead
//!   acquisition"; the source is described in docs/sources.md): its type, whether it is enabled, its default channel (`ON DELETE SET NULL`,
//!   like every catalogue reference), the JSON rules (mapping, tagging, assignment, auto-response)
//!   and its deduplication strategy and protection period.
//! - `lead_ingestion`: one accepted submission, committed before the HTTP answer, processed by a
//!   worker (`cdp360::jobs`). The submission's phone and e-mail values are sealed like other PII.
//!   `(client_id, idempotency_key)` is unique: a replayed request finds its ingestion. No foreign
//!   key to the scene: the queue keeps its history when a scene is deleted (the worker rejects it).
//!   `(status, created_at)` serves the worker's claim of the oldest accepted rows.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut scene = Table::create();
        scene
            .table(Alias::new("acquisition_scene"))
            .col(col("scene_id").string_len(64).not_null().primary_key())
            .col(col("scene_name").string_len(100).not_null())
            .col(col("scene_type").string_len(50).not_null())
            .col(col("is_enabled").boolean().not_null())
            .col(col("default_channel_id").string_len(64).null())
            .col(col("scene_specific_params").json_binary().null())
            .col(col("data_mapping_rules").json_binary().null())
            .col(col("auto_tagging_rules").json_binary().null())
            .col(col("assignment_rules").json_binary().null())
            .col(col("auto_response_config").json_binary().null())
            .col(col("deduplication_strategy").string_len(50).not_null())
            .col(col("protection_period_hours").integer().not_null())
            .col(col("created_at").timestamp_with_time_zone().not_null())
            .col(col("updated_at").timestamp_with_time_zone().not_null())
            .foreign_key(
                ForeignKey::create()
                    .name("fk_acquisition_scene_default_channel")
                    .from(Alias::new("acquisition_scene"), Alias::new("default_channel_id"))
                    .to(Alias::new("channel"), Alias::new("channel_id"))
                    .on_delete(ForeignKeyAction::SetNull),
            );
        manager.create_table(scene).await?;
        let mut queue = Table::create();
        queue
            .table(Alias::new("lead_ingestion"))
            .col(col("ingestion_id").string_len(64).not_null().primary_key())
            .col(col("scene_id").string_len(64).not_null())
            .col(col("client_id").string_len(200).not_null())
            .col(col("idempotency_key").string_len(200).null())
            .col(col("body_sha256").string_len(64).not_null())
            .col(col("status").string_len(20).not_null())
            .col(col("submission").json_binary().not_null())
            .col(col("meta").json_binary().null())
            .col(col("lead_id").string_len(64).null())
            .col(col("duplicate_of").string_len(64).null())
            .col(col("reasons").json_binary().null())
            .col(col("attempts").integer().not_null())
            .col(col("created_at").timestamp_with_time_zone().not_null())
            .col(col("updated_at").timestamp_with_time_zone().not_null())
            .col(col("processed_at").timestamp_with_time_zone().null());
        manager.create_table(queue).await?;
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX idx_acquisition_scene_channel ON acquisition_scene (default_channel_id)")
            .await?;
        db.execute_unprepared("CREATE INDEX idx_acquisition_scene_type ON acquisition_scene (scene_type, is_enabled)")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uk_lead_ingestion_idempotency ON lead_ingestion (client_id, idempotency_key)",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX idx_lead_ingestion_status ON lead_ingestion (status, created_at)").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for index in [
            "idx_lead_ingestion_status",
            "uk_lead_ingestion_idempotency",
            "idx_acquisition_scene_type",
            "idx_acquisition_scene_channel",
        ] {
            db.execute_unprepared(&format!("DROP INDEX {index}")).await?;
        }
        manager.drop_table(Table::drop().table(Alias::new("lead_ingestion")).to_owned()).await?;
        manager.drop_table(Table::drop().table(Alias::new("acquisition_scene")).to_owned()).await?;
        Ok(())
    }
}
