//! `contact`: 联系人 — a person, possibly linked to several accounts.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "contact")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub contact_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub contact_name: String,
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
    #[sea_orm(column_type = "String(StringLen::N(100))", nullable)]
    pub department: Option<String>,
    pub contact_status: crate::enums::ContactStatus,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub primary_account_id: Option<String>,
    #[sea_orm(nullable)]
    pub contact_source: Option<crate::enums::SourceType>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub primary_channel_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub owner_user_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub custom_fields: Option<Json>,
    #[sea_orm(nullable)]
    pub lifecycle_stage: Option<crate::enums::ContactLifecycleStage>,
    pub is_decision_maker: bool,
    pub is_verified: bool,
    /// Set when this record was merged into another (a tombstone): the survivor's id.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub merged_into_id: Option<String>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
