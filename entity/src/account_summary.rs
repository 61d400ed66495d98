//! `account_summary`: precomputed aggregates of one account (customer-360 header).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "account_summary")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub summary_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub account_id: String,
    pub total_contacts: i32,
    pub total_opportunities: i32,
    pub total_leads: i32,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub total_revenue: Decimal,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub lifetime_value: Decimal,
    pub won_opportunities: i32,
    pub lost_opportunities: i32,
    #[sea_orm(column_type = "Decimal(Some((5, 2)))")]
    pub win_rate: Decimal,
    pub total_touchpoints: i32,
    pub active_campaigns: i32,
    pub health_score: i32,
    #[sea_orm(nullable)]
    pub last_activity_at: Option<DateTimeUtc>,
    #[sea_orm(nullable)]
    pub last_purchase_at: Option<DateTimeUtc>,
    #[sea_orm(nullable)]
    pub first_purchase_date: Option<Date>,
    #[sea_orm(nullable)]
    pub latest_opportunity_date: Option<Date>,
    pub days_since_last_contact: i32,
    pub calculated_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
