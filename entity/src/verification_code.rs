//! `verification_code`: one phone code sent for a landing page (see
//! `cdp360::services::verification`). Holds no plaintext: the phone as its lead blind index, the
//! code and the caller's IP as keyed hashes. A table of `repo/`, like `lead_ingestion`: not
//! catalogued, not a GraphQL entity.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "verification_code")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub code_id: String,
    /// The blind index of the phone as a lead's `mobile_phone`.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub phone_bidx: String,
    /// Hex HMAC-SHA256 over the row id, the phone and the code, under a server key.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub code_hash: String,
    /// Hex HMAC-SHA256 of the caller's IP, for the per-IP limit.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub ip_hash: Option<String>,
    /// The scene the landing page named, as given (recorded, not enforced).
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub scene_id: Option<String>,
    /// Checks so far (each submission carrying a code counts one).
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// When it stopped being usable: used, replaced by a newer code, or not delivered.
    #[sea_orm(nullable)]
    pub consumed_at: Option<DateTimeUtc>,
}

/// No relations: read by phone.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
