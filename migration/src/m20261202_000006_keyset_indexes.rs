//! Indexes that serve keyset pages in index order (ARCHITECTURE.md, "Keyset paging"): a page reads
//! `ORDER BY col, pk` with the cursor `(col, pk) > (value, id)`, so an index on `(col, pk)` — or on
//! `(parent, col, pk)` for a nested list — returns the page's rows without sorting anything. One
//! B-tree serves both directions on PostgreSQL and SQLite (read backwards), since the sort columns
//! here are NOT NULL.
//!
//! - Root lists by `createdAt`/`updatedAt`: lead, contact, account.
//! - Nested lists of touchpoints and events by time, under every parent they hang off (lead,
//!   contact, account, channel, campaign).
//!
//! Where migration 1 already indexed `(col DESC)` or `(parent, time DESC)`, the index is rebuilt
//! under the same name with the primary key appended rather than duplicated: the old one would be
//! a strict prefix of the new one, and every ingested touchpoint and event would update both.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, table, columns now, columns before this migration if the name existed).
const INDEXES: &[(&str, &str, &str, Option<&str>)] = &[
    ("idx_lead_created", "lead", "created_at DESC, lead_id DESC", Some("created_at DESC")),
    ("idx_lead_updated", "lead", "updated_at DESC, lead_id DESC", None),
    ("idx_contact_created", "contact", "created_at DESC, contact_id DESC", None),
    ("idx_contact_updated", "contact", "updated_at DESC, contact_id DESC", None),
    ("idx_account_created", "account", "created_at DESC, account_id DESC", Some("created_at DESC")),
    ("idx_account_updated", "account", "updated_at DESC, account_id DESC", None),
    (
        "idx_touchpoint_lead",
        "touchpoint",
        "lead_id, touchpoint_time DESC, touchpoint_id DESC",
        Some("lead_id, touchpoint_time DESC"),
    ),
    (
        "idx_touchpoint_contact",
        "touchpoint",
        "contact_id, touchpoint_time DESC, touchpoint_id DESC",
        Some("contact_id, touchpoint_time DESC"),
    ),
    (
        "idx_touchpoint_account",
        "touchpoint",
        "account_id, touchpoint_time DESC, touchpoint_id DESC",
        Some("account_id, touchpoint_time DESC"),
    ),
    (
        "idx_touchpoint_channel",
        "touchpoint",
        "channel_id, touchpoint_time DESC, touchpoint_id DESC",
        Some("channel_id, touchpoint_time DESC"),
    ),
    (
        "idx_touchpoint_campaign",
        "touchpoint",
        "campaign_id, touchpoint_time DESC, touchpoint_id DESC",
        Some("campaign_id, touchpoint_time DESC"),
    ),
    ("idx_event_lead", "event", "lead_id, event_time DESC, event_id DESC", Some("lead_id, event_time DESC")),
    ("idx_event_contact", "event", "contact_id, event_time DESC, event_id DESC", Some("contact_id, event_time DESC")),
    ("idx_event_account", "event", "account_id, event_time DESC, event_id DESC", Some("account_id, event_time DESC")),
    (
        "idx_event_channel_time",
        "event",
        "channel_id, event_time DESC, event_id DESC",
        Some("channel_id, event_time DESC"),
    ),
];

/// Replaces index `name` (if `from` says it exists) by one on `to` (if any). One call, so on SQLite
/// both statements run on the same pooled connection: another connection may still hold the schema
/// from before the DROP and refuse the CREATE ("index … already exists").
async fn set(
    db: &SchemaManagerConnection<'_>,
    name: &str,
    table: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(), DbErr> {
    let drop = from.map(|_| format!("DROP INDEX {name};"));
    let create = to.map(|columns| format!("CREATE INDEX {name} ON {table} ({columns});"));
    db.execute_unprepared(&[drop, create].into_iter().flatten().collect::<Vec<_>>().join(" ")).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, table, now, before) in INDEXES {
            set(db, name, table, *before, Some(now)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, table, now, before) in INDEXES.iter().rev() {
            set(db, name, table, Some(now), *before).await?;
        }
        Ok(())
    }
}
