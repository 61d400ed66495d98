//! Merging contacts and accounts (docs/design.md §6 "Identity resolution and merge"): the merge ledger
//! and the tombstone marker.
//!
//! - `merge_ledger`: one row per `mergeContacts`/`mergeAccounts`, with the undo log (JSON) that
//!   `unmergeContacts`/`unmergeAccounts` replays; `unmerged_at` is set once it has been undone.
//!   Its column types are the initial migration's (`timestamp with time zone`, `jsonb` on
//!   PostgreSQL; sea-query's SQLite equivalents). `merged_by_user_id` keeps the ledger when the
//!   user goes (ON DELETE SET NULL, like every staff reference). The table is new, so its foreign
//!   key is declared inline on both backends.
//! - `contact.merged_into_id` / `account.merged_into_id`: set on a merged record (a tombstone) to
//!   its survivor. A plain indexed column without a foreign key: SQLite cannot add a foreign key to
//!   an existing table, and a self-reference would add nothing the merge service does not already
//!   guarantee (it sets the column only to a survivor it has just read, and records are never
//!   deleted by a merge).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TOMBSTONE_TABLES: &[&str] = &["contact", "account"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let col = |name: &str| ColumnDef::new(Alias::new(name)).to_owned();
        let mut ledger = Table::create();
        ledger
            .table(Alias::new("merge_ledger"))
            .col(col("ledger_id").string_len(64).not_null().primary_key())
            .col(col("entity_type").string_len(50).not_null())
            .col(col("survivor_id").string_len(64).not_null())
            .col(col("merged_ids").json_binary().not_null())
            .col(col("undo").json_binary().not_null())
            .col(col("merged_at").timestamp_with_time_zone().not_null())
            .col(col("merged_by_user_id").string_len(64).null())
            .col(col("unmerged_at").timestamp_with_time_zone().null())
            .foreign_key(
                ForeignKey::create()
                    .name("fk_merge_ledger_merged_by_user_id")
                    .from(Alias::new("merge_ledger"), Alias::new("merged_by_user_id"))
                    .to(Alias::new("app_user"), Alias::new("user_id"))
                    .on_delete(ForeignKeyAction::SetNull)
                    .on_update(ForeignKeyAction::Cascade),
            );
        manager.create_table(ledger).await?;
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX idx_merge_ledger_survivor ON merge_ledger (entity_type, survivor_id)")
            .await?;
        db.execute_unprepared("CREATE INDEX idx_merge_ledger_merged_by_user_id ON merge_ledger (merged_by_user_id)")
            .await?;
        for table in TOMBSTONE_TABLES {
            db.execute_unprepared(&format!("ALTER TABLE {table} ADD COLUMN merged_into_id varchar(64)")).await?;
            db.execute_unprepared(&format!("CREATE INDEX idx_{table}_merged_into_id ON {table} (merged_into_id)"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TOMBSTONE_TABLES {
            db.execute_unprepared(&format!("DROP INDEX idx_{table}_merged_into_id")).await?;
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN merged_into_id")).await?;
        }
        db.execute_unprepared("DROP INDEX idx_merge_ledger_merged_by_user_id").await?;
        db.execute_unprepared("DROP INDEX idx_merge_ledger_survivor").await?;
        manager.drop_table(Table::drop().table(Alias::new("merge_ledger")).to_owned()).await?;
        Ok(())
    }
}
