//! `lead`: 线索 — an unqualified prospect captured from a channel.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "lead")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub lead_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub lead_name: String,
    #[sea_orm(column_type = "String(StringLen::N(200))", nullable)]
    pub company_name: Option<String>,
    /// Ciphertext `v1:<key id>:<base64>` (see `cdp360::crypto`); never plaintext.
    #[sea_orm(column_type = "String(StringLen::N(164))", nullable)]
    pub mobile_phone: Option<String>,
    /// Blind index (HMAC-SHA256 hex) of the normalised `mobile_phone`.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub mobile_phone_bidx: Option<String>,
    /// Ciphertext `v1:<key id>:<base64>` (see `cdp360::crypto`); never plaintext.
    #[sea_orm(column_type = "String(StringLen::N(1124))", nullable)]
    pub email: Option<String>,
    /// Blind index (HMAC-SHA256 hex) of the normalised `email`.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub email_bidx: Option<String>,
    /// Ciphertext `v1:<key id>:<base64>` (see `cdp360::crypto`); never plaintext.
    #[sea_orm(column_type = "String(StringLen::N(592))", nullable)]
    pub wechat_id: Option<String>,
    /// Blind index (HMAC-SHA256 hex) of the normalised `wechat_id`.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub wechat_id_bidx: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(100))", nullable)]
    pub job_title: Option<String>,
    pub lead_source: crate::enums::SourceType,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub channel_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub campaign_id: Option<String>,
    pub lead_status: crate::enums::LeadStatus,
    pub lead_score: i32,
    #[sea_orm(nullable)]
    pub lead_grade: Option<crate::enums::Grade>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub industry_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub province: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub city: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub owner_user_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(nullable)]
    pub last_contacted_at: Option<DateTimeUtc>,
    #[sea_orm(nullable)]
    pub converted_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub converted_contact_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub converted_account_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub converted_opportunity_id: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub custom_fields: Option<Json>,
    pub is_qualified: bool,
    /// A team whose queue the lead waits in (assigned to the team, no owner yet).
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub owner_team_id: Option<String>,
    /// When the owner's lease ends (the protection period); NULL without an owner.
    #[sea_orm(nullable)]
    pub owner_lease_until: Option<DateTimeUtc>,
    /// Extensions of the current lease (reset when the lead changes hands).
    pub lease_extensions: i32,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
