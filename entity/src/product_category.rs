//! `product_category`: a node of the product category tree.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "product_category")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub category_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub category_name: String,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub parent_category_id: Option<String>,
    #[sea_orm(nullable)]
    pub level: Option<i32>,
    #[sea_orm(nullable)]
    pub sort_order: Option<i32>,
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
