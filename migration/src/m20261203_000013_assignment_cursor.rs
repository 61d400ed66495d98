//! The ROUND_ROBIN cursors of the assignment rules (issue 16, part 3): one row per rule, its
//! position advanced atomically by the leads each round gives the rule, so every replica continues
//! the same rotation. A support table of `repo/` alone (not catalogued, like `outbox_event`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE assignment_cursor (rule_key VARCHAR(200) NOT NULL PRIMARY KEY, position BIGINT NOT NULL)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE assignment_cursor").await?;
        Ok(())
    }
}
