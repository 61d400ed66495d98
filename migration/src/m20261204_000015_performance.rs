//! Performance from live data (issue 13, part 2): `channel_performance` and `campaign_performance`
//! become derived tables, one row per (channel or campaign, business day), recomputed from the base
//! tables (docs/performance.md has every definition).
//!
//! - The ratio columns (`roi`, `cpl`, `cpa`, `conversion_rate`) are nullable: a division by zero is
//!   NULL, not 0 and not a giant number.
//! - Both tables carry the same measures: `channel_performance` gains `cpl`, `cpa`, `impressions`
//!   and `clicks` (events carry a channel); `campaign_performance` gains `cost`,
//!   `conversion_count` and `conversion_rate`.
//! - `UNIQUE (channel_id, stat_date)` / `(campaign_id, stat_date)` keep a day one row (the upsert's
//!   conflict target), as before.
//! - `idx_opportunity_created` and `idx_opportunity_close_date`: a day's opportunities (created,
//!   won) are an index range, like a day's leads (`idx_lead_created`) and contacts
//!   (`idx_contact_created`).
//!
//! SQLite cannot make a column nullable in place, and the rows are derived (the old ones were the
//! generator's random numbers), so both tables are dropped and created in their new shape; `cdp360
//! recompute performance` fills them. `down` restores the old shape, empty.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A column: name, type, nullable.
#[derive(Clone, Copy)]
enum Ty {
    Id,
    Date,
    Count,
    Money,
    Rate,
    Ts,
}

type Cols = &'static [(&'static str, Ty, bool)];

const CHANNEL_NOW: Cols = &[
    ("performance_id", Ty::Id, false),
    ("channel_id", Ty::Id, false),
    ("stat_date", Ty::Date, false),
    ("lead_count", Ty::Count, false),
    ("contact_count", Ty::Count, false),
    ("opportunity_count", Ty::Count, false),
    ("revenue", Ty::Money, false),
    ("cost", Ty::Money, false),
    ("roi", Ty::Money, true),
    ("conversion_count", Ty::Count, false),
    ("conversion_rate", Ty::Rate, true),
    ("cpl", Ty::Money, true),
    ("cpa", Ty::Money, true),
    ("impressions", Ty::Count, false),
    ("clicks", Ty::Count, false),
    ("created_at", Ty::Ts, false),
];

const CHANNEL_BEFORE: Cols = &[
    ("performance_id", Ty::Id, false),
    ("channel_id", Ty::Id, false),
    ("stat_date", Ty::Date, false),
    ("lead_count", Ty::Count, false),
    ("contact_count", Ty::Count, false),
    ("opportunity_count", Ty::Count, false),
    ("revenue", Ty::Money, false),
    ("cost", Ty::Money, false),
    ("roi", Ty::Money, false),
    ("conversion_count", Ty::Count, false),
    ("conversion_rate", Ty::Rate, false),
    ("created_at", Ty::Ts, false),
];

const CAMPAIGN_NOW: Cols = &[
    ("performance_id", Ty::Id, false),
    ("campaign_id", Ty::Id, false),
    ("stat_date", Ty::Date, false),
    ("impressions", Ty::Count, false),
    ("clicks", Ty::Count, false),
    ("leads_generated", Ty::Count, false),
    ("opportunities_generated", Ty::Count, false),
    ("revenue", Ty::Money, false),
    ("cost", Ty::Money, false),
    ("roi", Ty::Money, true),
    ("cpl", Ty::Money, true),
    ("cpa", Ty::Money, true),
    ("conversion_count", Ty::Count, false),
    ("conversion_rate", Ty::Rate, true),
    ("created_at", Ty::Ts, false),
];

const CAMPAIGN_BEFORE: Cols = &[
    ("performance_id", Ty::Id, false),
    ("campaign_id", Ty::Id, false),
    ("stat_date", Ty::Date, false),
    ("impressions", Ty::Count, false),
    ("clicks", Ty::Count, false),
    ("leads_generated", Ty::Count, false),
    ("opportunities_generated", Ty::Count, false),
    ("revenue", Ty::Money, false),
    ("roi", Ty::Money, false),
    ("cpl", Ty::Money, false),
    ("cpa", Ty::Money, false),
    ("created_at", Ty::Ts, false),
];

/// (table, parent table and key, columns now, columns before)
const TABLES: [(&str, &str, &str, Cols, Cols); 2] = [
    ("channel_performance", "channel", "channel_id", CHANNEL_NOW, CHANNEL_BEFORE),
    ("campaign_performance", "campaign", "campaign_id", CAMPAIGN_NOW, CAMPAIGN_BEFORE),
];

const INDEXES: [(&str, &str); 2] = [
    ("idx_opportunity_created", "CREATE INDEX idx_opportunity_created ON opportunity (created_at)"),
    ("idx_opportunity_close_date", "CREATE INDEX idx_opportunity_close_date ON opportunity (actual_close_date)"),
];

/// Drops `table` and creates it with `cols`, its foreign key to `parent` (CASCADE, as in
/// migration 1) and its one-row-per-day unique index. One call, so on SQLite the statements run
/// on the same pooled connection: another connection may still hold the schema from before the
/// DROP and refuse the CREATE ("index … already exists"; see migration 6).
async fn recreate(
    manager: &SchemaManager<'_>,
    (table, parent, key): (&str, &str, &str),
    cols: Cols,
) -> Result<(), DbErr> {
    let mut stmt = Table::create();
    stmt.table(Alias::new(table));
    for (name, ty, null) in cols {
        let mut d = ColumnDef::new(Alias::new(*name));
        match ty {
            Ty::Id => d.string_len(64),
            Ty::Date => d.date(),
            Ty::Count => d.integer().default(0),
            Ty::Money => d.decimal_len(18, 2),
            Ty::Rate => d.decimal_len(5, 2),
            Ty::Ts => d.timestamp_with_time_zone(),
        };
        if *name == "performance_id" {
            d.primary_key();
        }
        if *null {
            d.null();
        } else {
            d.not_null();
            if matches!(ty, Ty::Money | Ty::Rate) {
                d.default(0);
            }
        }
        stmt.col(d);
    }
    stmt.foreign_key(
        ForeignKey::create()
            .name(format!("fk_{table}_{key}"))
            .from(Alias::new(table), Alias::new(key))
            .to(Alias::new(parent), Alias::new(key))
            .on_delete(ForeignKeyAction::Cascade)
            .on_update(ForeignKeyAction::Cascade),
    );
    let db = manager.get_connection();
    let create = db.get_database_backend().build(&stmt).to_string();
    let day = table.trim_end_matches("_performance");
    let sql = format!(
        "DROP TABLE {table}; {create}; CREATE UNIQUE INDEX uk_{day}_performance_day ON {table} ({key}, stat_date);"
    );
    db.execute_unprepared(&sql).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, parent, key, now, _) in TABLES {
            recreate(manager, (table, parent, key), now).await?;
        }
        for (_, sql) in INDEXES {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager.get_connection().execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        for (table, parent, key, _, before) in TABLES {
            recreate(manager, (table, parent, key), before).await?;
        }
        Ok(())
    }
}
