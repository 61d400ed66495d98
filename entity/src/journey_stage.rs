//! `journey_stage`: a stage of the customer journey catalogue.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "journey_stage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub stage_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub stage_name: String,
    pub stage_order: i32,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub stage_category: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub milestone_criteria: Option<Json>,
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
