//! `industry`: 行业 — a node of the industry tree.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "industry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub industry_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub industry_name: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub industry_code: String,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub parent_industry_id: Option<String>,
    pub level: i32,
    #[sea_orm(nullable)]
    pub sort_order: Option<i32>,
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
