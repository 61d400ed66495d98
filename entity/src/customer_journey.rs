//! `customer_journey`: 客户旅程 — the journey of one entity through the journey stages.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "customer_journey")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub journey_id: String,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub journey_name: String,
    pub entity_type: crate::enums::EntityType,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub entity_id: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub journey_stage: String,
    pub journey_start_at: DateTimeUtc,
    #[sea_orm(nullable)]
    pub journey_end_at: Option<DateTimeUtc>,
    #[sea_orm(nullable)]
    pub total_touchpoints: Option<i32>,
    #[sea_orm(nullable)]
    pub journey_duration_days: Option<i32>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub stage_history: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
