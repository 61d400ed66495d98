//! `opportunity_product`: a product line on an opportunity.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "opportunity_product")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub opp_product_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub opportunity_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub product_id: String,
    pub quantity: i32,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub unit_price: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub total_price: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub discount: Option<Decimal>,
    #[sea_orm(column_type = "Text", nullable)]
    pub product_description: Option<String>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
