//! Landing-page verification codes (issue 12, the landing-page flow): one row per code sent by
//! `POST /api/v1/verification-codes`, checked and consumed by a `LANDING_PAGE` submission.
//!
//! - No plaintext: the phone is only its blind index as a lead's `mobile_phone` (`phone_bidx`, so
//!   any spelling of a number finds its codes), the code only an HMAC over the row id, the phone
//!   and the code (`code_hash`), the caller's IP only an HMAC (`ip_hash`).
//! - `attempts` counts checks; `consumed_at` is set when the code stops being usable (used by an
//!   accepted submission, replaced by a newer code, or its sending failed).
//! - The rate limits are counted from this table, so they hold across replicas:
//!   `(phone_bidx, created_at)` serves the per-phone count and the newest code of a phone,
//!   `(ip_hash, created_at)` the per-IP count.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(Alias::new("verification_code"))
            .col(col("code_id").string_len(64).not_null().primary_key())
            .col(col("phone_bidx").string_len(64).not_null())
            .col(col("code_hash").string_len(64).not_null())
            .col(col("ip_hash").string_len(64).null())
            .col(col("scene_id").string_len(64).null())
            .col(col("attempts").integer().not_null())
            .col(col("created_at").timestamp_with_time_zone().not_null())
            .col(col("expires_at").timestamp_with_time_zone().not_null())
            .col(col("consumed_at").timestamp_with_time_zone().null());
        manager.create_table(table).await?;
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX idx_verification_code_phone ON verification_code (phone_bidx, created_at)")
            .await?;
        db.execute_unprepared("CREATE INDEX idx_verification_code_ip ON verification_code (ip_hash, created_at)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for index in ["idx_verification_code_ip", "idx_verification_code_phone"] {
            db.execute_unprepared(&format!("DROP INDEX {index}")).await?;
        }
        manager.drop_table(Table::drop().table(Alias::new("verification_code")).to_owned()).await?;
        Ok(())
    }
}
