//! The transactional outbox (docs/design.md §7, issue 5): every meaningful write appends its domain
//! events here in the same transaction as the change; a relay on each replica reads them in `seq`
//! order and publishes them to that replica's subscribers.
//!
//! - `seq` is the delivery order. On SQLite writers are serialised, so AUTOINCREMENT order is commit
//!   order. On PostgreSQL a sequence alone is not (a transaction can take seq 5, another seq 6 and
//!   commit first); the writer therefore takes a transaction-scoped advisory lock just before its
//!   insert, which makes seq order = commit order (`cdp360::repo::outbox`).
//! - `payload` holds ids and enum values only, never PII.
//! - `created_at` drives pruning (`CDP_OUTBOX_RETENTION`).
//!
//! Raw DDL per backend: sea-query would write `bigserial` on PostgreSQL but an AUTOINCREMENT key on
//! SQLite must be spelt exactly `INTEGER PRIMARY KEY AUTOINCREMENT`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let ddl = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "CREATE TABLE outbox_event (\
                   seq bigserial PRIMARY KEY, \
                   event_type varchar(50) NOT NULL, \
                   payload jsonb NOT NULL, \
                   created_at timestamp with time zone NOT NULL)"
            }
            _ => {
                "CREATE TABLE outbox_event (\
                   seq INTEGER PRIMARY KEY AUTOINCREMENT, \
                   event_type varchar(50) NOT NULL, \
                   payload json_text NOT NULL, \
                   created_at timestamp_with_timezone_text NOT NULL)"
            }
        };
        db.execute_unprepared(ddl).await?;
        db.execute_unprepared("CREATE INDEX idx_outbox_event_created_at ON outbox_event (created_at)").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX idx_outbox_event_created_at").await?;
        manager.drop_table(Table::drop().table(Alias::new("outbox_event")).to_owned()).await?;
        Ok(())
    }
}
