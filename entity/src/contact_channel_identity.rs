//! `contact_channel_identity`: a contact's identity in one channel (WeChat OpenID, cookie id…).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "contact_channel_identity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub identity_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub contact_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub channel_id: String,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub channel_user_id: String,
    #[sea_orm(nullable)]
    pub identity_type: Option<crate::enums::IdentityType>,
    pub is_primary: bool,
    pub is_verified: bool,
    #[sea_orm(nullable)]
    pub first_seen_at: Option<DateTimeUtc>,
    #[sea_orm(nullable)]
    pub last_seen_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub additional_info: Option<Json>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
