//! The protection period (issue 16, part 4): a lead's owner holds it as a lease.
//!
//! - `lead.owner_team_id`: a lead assigned to a team waits in the team's queue (no owner yet)
//!   until a member claims it or a manager assigns it.
//! - `lead.owner_lease_until`: when the owner's lease ends (NULL: no owner, or no lease);
//!   `lead.lease_extensions`: how many times the owner extended the current lease.
//!   `idx_lead_owner_lease_until` serves the sweeper's range of expired leases.
//! - `lead_assignment_log`: every move of a lead between owners and the pool (who, when, why; the
//!   routing rule and strategy when a rule decided it, and a JSON decision trace). The cooldown of
//!   `claimLead` reads the last release of an owner on a lead from it through
//!   `idx_lead_assignment_log_lead (lead_id, assigned_at)`.
//! - `idx_lead_owner_created (owner_user_id, created_at, lead_id)` replaces `idx_lead_owner_user_id`
//!   (its prefix, so it still serves the foreign key and the claim quota's count): `myLeads` and
//!   `AppUser.ownedLeads` page in their default order straight from it.
//! - `idx_lead_ingestion_lead`: a lead's scene (its lease length) is the scene of the ingestion
//!   that created it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).to_owned()
}

fn fk(column: &str, to: &str, key: &str, action: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(Alias::new("lead_assignment_log"), Alias::new(column))
        .to(Alias::new(to), Alias::new(key))
        .on_delete(action)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds one at a time. `owner_team_id` has no foreign key (like
        // `merged_into_id`, migration 3): SQLite cannot drop a column a foreign key uses, so `down`
        // could not remove it; the write path checks the reference.
        let db = manager.get_connection();
        for col in [
            ColumnDef::new(Alias::new("owner_team_id")).string_len(64).null().to_owned(),
            ColumnDef::new(Alias::new("owner_lease_until")).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(Alias::new("lease_extensions")).integer().not_null().default(0).to_owned(),
        ] {
            let mut col = col;
            manager.alter_table(Table::alter().table(Alias::new("lead")).add_column(&mut col).to_owned()).await?;
        }
        let mut table = Table::create();
        table
            .table(Alias::new("lead_assignment_log"))
            .col(col("log_id").string_len(64).not_null().primary_key())
            .col(col("lead_id").string_len(64).not_null())
            .col(col("kind").string_len(30).not_null())
            .col(col("from_user_id").string_len(64).null())
            .col(col("to_user_id").string_len(64).null())
            .col(col("to_team_id").string_len(64).null())
            .col(col("assigned_at").timestamp_with_time_zone().not_null())
            .col(col("lease_until").timestamp_with_time_zone().null())
            .col(col("actor_user_id").string_len(64).null())
            .col(col("rule_id").string_len(64).null())
            .col(col("strategy").string_len(30).null())
            .col(col("reason").string_len(500).null())
            .col(col("trace").json_binary().null())
            // History of a lead goes with the lead; staff and teams leave it (SET NULL).
            .foreign_key(&mut fk("lead_id", "lead", "lead_id", ForeignKeyAction::Cascade))
            .foreign_key(&mut fk("from_user_id", "app_user", "user_id", ForeignKeyAction::SetNull))
            .foreign_key(&mut fk("to_user_id", "app_user", "user_id", ForeignKeyAction::SetNull))
            .foreign_key(&mut fk("to_team_id", "team", "team_id", ForeignKeyAction::SetNull))
            .foreign_key(&mut fk("actor_user_id", "app_user", "user_id", ForeignKeyAction::SetNull));
        manager.create_table(table).await?;
        for sql in [
            "CREATE INDEX idx_lead_owner_lease_until ON lead (owner_lease_until)",
            "CREATE INDEX idx_lead_owner_team ON lead (owner_team_id)",
            "CREATE INDEX idx_lead_owner_created ON lead (owner_user_id, created_at, lead_id)",
            "DROP INDEX idx_lead_owner_user_id",
            "CREATE INDEX idx_lead_assignment_log_lead ON lead_assignment_log (lead_id, assigned_at, log_id)",
            "CREATE INDEX idx_lead_assignment_log_from_user ON lead_assignment_log (from_user_id)",
            "CREATE INDEX idx_lead_assignment_log_to_user ON lead_assignment_log (to_user_id)",
            "CREATE INDEX idx_lead_assignment_log_to_team ON lead_assignment_log (to_team_id)",
            "CREATE INDEX idx_lead_assignment_log_actor ON lead_assignment_log (actor_user_id)",
            "CREATE INDEX idx_lead_ingestion_lead ON lead_ingestion (lead_id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX idx_lead_owner_user_id ON lead (owner_user_id)").await?;
        for index in
            ["idx_lead_owner_created", "idx_lead_ingestion_lead", "idx_lead_owner_team", "idx_lead_owner_lease_until"]
        {
            db.execute_unprepared(&format!("DROP INDEX {index}")).await?;
        }
        manager.drop_table(Table::drop().table(Alias::new("lead_assignment_log")).to_owned()).await?;
        for name in ["lease_extensions", "owner_lease_until", "owner_team_id"] {
            manager
                .alter_table(Table::alter().table(Alias::new("lead")).drop_column(Alias::new(name)).to_owned())
                .await?;
        }
        Ok(())
    }
}
