//! PII at rest (docs/design.md §5): `mobile_phone`, `email` and `wechat_id` of `lead` and `contact` hold
//! AES-256-GCM ciphertexts from now on, and each gets a `<column>_bidx` blind index beside it.
//!
//! - The ciphertext columns are widened on PostgreSQL (SQLite does not enforce varchar lengths) to
//!   the longest ciphertext of the data model's character limit at 4 bytes per character: phone 20 → 164,
//!   e-mail 200 → 1124, WeChat id 100 → 592 (`FieldCipher::max_ciphertext_len`; a unit test of the
//!   server checks these numbers).
//! - The data model's indexes on those columns (docs/data-model.md, indexes) move to the blind indexes,
//!   keeping their names: a ciphertext is random per write, so only the index can be unique or looked up.
//!   `lead` also gets e-mail and WeChat indexes for deduplication and identity resolution.
//!
//! `down` restores the plaintext-era shape. It fails (and, on PostgreSQL, rolls back) while
//! ciphertexts longer than the old limits exist: narrowing would destroy them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (column, old varchar length, ciphertext varchar length)
const PII: &[(&str, u32, u32)] = &[("mobile_phone", 20, 164), ("email", 200, 1124), ("wechat_id", 100, 592)];
const TABLES: &[&str] = &["lead", "contact"];

const OLD_INDEXES: &[(&str, &str)] = &[
    (
        "uk_contact_phone",
        "CREATE UNIQUE INDEX uk_contact_phone ON contact (mobile_phone) WHERE mobile_phone IS NOT NULL",
    ),
    ("uk_contact_email", "CREATE UNIQUE INDEX uk_contact_email ON contact (email) WHERE email IS NOT NULL"),
    ("idx_contact_wechat", "CREATE INDEX idx_contact_wechat ON contact (wechat_id)"),
    ("idx_contact_phone_email", "CREATE INDEX idx_contact_phone_email ON contact (mobile_phone, email)"),
    ("idx_lead_mobile_phone", "CREATE INDEX idx_lead_mobile_phone ON lead (mobile_phone)"),
];

const NEW_INDEXES: &[(&str, &str)] = &[
    (
        "uk_contact_phone",
        "CREATE UNIQUE INDEX uk_contact_phone ON contact (mobile_phone_bidx) WHERE mobile_phone_bidx IS NOT NULL",
    ),
    ("uk_contact_email", "CREATE UNIQUE INDEX uk_contact_email ON contact (email_bidx) WHERE email_bidx IS NOT NULL"),
    ("idx_contact_wechat", "CREATE INDEX idx_contact_wechat ON contact (wechat_id_bidx)"),
    ("idx_contact_phone_email", "CREATE INDEX idx_contact_phone_email ON contact (mobile_phone_bidx, email_bidx)"),
    ("idx_lead_mobile_phone", "CREATE INDEX idx_lead_mobile_phone ON lead (mobile_phone_bidx)"),
    ("idx_lead_email", "CREATE INDEX idx_lead_email ON lead (email_bidx)"),
    ("idx_lead_wechat", "CREATE INDEX idx_lead_wechat ON lead (wechat_id_bidx)"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let pg = manager.get_database_backend() == DatabaseBackend::Postgres;
        for (name, _) in OLD_INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        for table in TABLES {
            for (col, _, wide) in PII {
                db.execute_unprepared(&format!("ALTER TABLE {table} ADD COLUMN {col}_bidx varchar(64)")).await?;
                if pg {
                    db.execute_unprepared(&format!("ALTER TABLE {table} ALTER COLUMN {col} TYPE varchar({wide})"))
                        .await?;
                }
            }
        }
        for (_, sql) in NEW_INDEXES {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let pg = manager.get_database_backend() == DatabaseBackend::Postgres;
        for (name, _) in NEW_INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        for table in TABLES {
            for (col, old, _) in PII {
                db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN {col}_bidx")).await?;
                if pg {
                    db.execute_unprepared(&format!("ALTER TABLE {table} ALTER COLUMN {col} TYPE varchar({old})"))
                        .await?;
                }
            }
        }
        for (_, sql) in OLD_INDEXES {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
