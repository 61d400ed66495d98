//! Routing writes fewer index entries (issue 16's M4R budget): the indexes on the optional user and
//! team columns of `lead_assignment_log` and on `tag_relation.tagged_by_user_id` become partial,
//! `WHERE <column> IS NOT NULL`. A routed lead's log row names one owner (a user or a team) and no
//! previous owner or actor, and an auto-tag no user, so most of these columns are NULL; a full
//! index stored an entry for each NULL all the same (three per log row, one per auto-tag), all on
//! the index's last page, where concurrent ingestion rounds met. What reads these indexes asks for
//! one value (`= $1`: the foreign keys' `ON DELETE SET NULL`, a user's or team's moves), which
//! implies `IS NOT NULL`, so the partial index still serves it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, column).
const INDEXES: [(&str, &str, &str); 5] = [
    ("idx_lead_assignment_log_from_user", "lead_assignment_log", "from_user_id"),
    ("idx_lead_assignment_log_to_user", "lead_assignment_log", "to_user_id"),
    ("idx_lead_assignment_log_to_team", "lead_assignment_log", "to_team_id"),
    ("idx_lead_assignment_log_actor", "lead_assignment_log", "actor_user_id"),
    ("idx_tag_relation_tagged_by_user_id", "tag_relation", "tagged_by_user_id"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (index, table, column) in INDEXES {
            // One call, so one connection: on SQLite another pool connection's cached schema may
            // still hold the dropped index, and its CREATE would find the name taken.
            db.execute_unprepared(&format!(
                "DROP INDEX {index}; CREATE INDEX {index} ON {table} ({column}) WHERE {column} IS NOT NULL"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (index, table, column) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {index}; CREATE INDEX {index} ON {table} ({column})")).await?;
        }
        Ok(())
    }
}
