//! `touchpoint_attribution`: one touchpoint's weight in an attribution.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "touchpoint_attribution")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub ta_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub attribution_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub touchpoint_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub campaign_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub channel_id: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((5, 4)))")]
    pub attribution_weight: Decimal,
    pub position_in_journey: i32,
    #[sea_orm(nullable)]
    pub touchpoint_time: Option<DateTimeUtc>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
