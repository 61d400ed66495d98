//! `campaign`: 营销活动 — a marketing campaign.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "campaign")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub campaign_id: String,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub campaign_name: String,
    pub campaign_type: crate::enums::CampaignType,
    pub campaign_status: crate::enums::CampaignStatus,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub channel_ids: Option<Json>,
    #[sea_orm(nullable)]
    pub start_date: Option<Date>,
    #[sea_orm(nullable)]
    pub end_date: Option<Date>,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub budget: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub actual_cost: Option<Decimal>,
    #[sea_orm(column_type = "Text", nullable)]
    pub target_audience: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub owner_user_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub custom_fields: Option<Json>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
