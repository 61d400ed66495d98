//! `channel`: 渠道 — where leads and interactions come from.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "channel")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub channel_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub channel_name: String,
    pub channel_type: crate::enums::ChannelType,
    #[sea_orm(nullable)]
    pub channel_category: Option<crate::enums::ChannelCategory>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub parent_channel_id: Option<String>,
    pub channel_status: crate::enums::ChannelStatus,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub channel_config: Option<Json>,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub cost: Option<Decimal>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub custom_fields: Option<Json>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
