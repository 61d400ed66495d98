//! `channel_performance`: one business day's performance of a channel, derived from the base tables
//! (docs/performance.md).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "channel_performance")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub performance_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub channel_id: String,
    pub stat_date: Date,
    pub lead_count: i32,
    pub contact_count: i32,
    pub opportunity_count: i32,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub revenue: Decimal,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))")]
    pub cost: Decimal,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub roi: Option<Decimal>,
    pub conversion_count: i32,
    #[sea_orm(column_type = "Decimal(Some((5, 2)))", nullable)]
    pub conversion_rate: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub cpl: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub cpa: Option<Decimal>,
    pub impressions: i32,
    pub clicks: i32,
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
