//! `product`: 产品 — something that can be sold.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "product")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub product_id: String,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub product_name: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub product_code: String,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub product_category_id: Option<String>,
    #[sea_orm(nullable)]
    pub product_type: Option<crate::enums::ProductType>,
    pub product_status: crate::enums::ProductStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub list_price: Option<Decimal>,
    #[sea_orm(nullable)]
    pub currency: Option<crate::enums::Currency>,
    #[sea_orm(nullable)]
    pub pricing_model: Option<crate::enums::PricingModel>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub feature_list: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub custom_fields: Option<Json>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
