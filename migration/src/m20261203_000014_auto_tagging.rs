//! Auto-tagging (issue 16, part 2).
//!
//! - `tag_relation.rule_name` and `tag_relation.trace`: an auto-tag (`is_auto_tagged`, `tag_source`
//!   RULE) records the rule that applied it and the decision trace (the operand values the rule
//!   saw, PII masked). NULL on manual and imported tags.
//! - `global_rule_set`: rule lists that apply to every lead whatever its scene, one row per kind
//!   (`AUTO_TAGGING` today). A support table of `repo/` alone (not catalogued, like
//!   `assignment_cursor`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds one at a time.
        for col in [
            ColumnDef::new(Alias::new("rule_name")).string_len(100).null().to_owned(),
            ColumnDef::new(Alias::new("trace")).json_binary().null().to_owned(),
        ] {
            let mut col = col;
            manager
                .alter_table(Table::alter().table(Alias::new("tag_relation")).add_column(&mut col).to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("global_rule_set"))
                    .col(ColumnDef::new(Alias::new("rule_set_key")).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(Alias::new("rules")).json_binary().not_null())
                    .col(ColumnDef::new(Alias::new("updated_at")).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("global_rule_set")).to_owned()).await?;
        for name in ["trace", "rule_name"] {
            manager
                .alter_table(Table::alter().table(Alias::new("tag_relation")).drop_column(Alias::new(name)).to_owned())
                .await?;
        }
        Ok(())
    }
}
