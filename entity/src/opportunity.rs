//! `opportunity`: 商机 — a sales deal with an account.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "opportunity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub opportunity_id: String,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub opportunity_name: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub account_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub primary_contact_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub lead_id: Option<String>,
    #[sea_orm(nullable)]
    pub opportunity_type: Option<crate::enums::OpportunityType>,
    #[sea_orm(nullable)]
    pub opportunity_source: Option<crate::enums::OpportunitySource>,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub amount: Option<Decimal>,
    #[sea_orm(nullable)]
    pub currency: Option<crate::enums::Currency>,
    pub stage: crate::enums::OpportunityStage,
    pub probability: i32,
    #[sea_orm(nullable)]
    pub expected_close_date: Option<Date>,
    #[sea_orm(nullable)]
    pub actual_close_date: Option<Date>,
    #[sea_orm(column_type = "String(StringLen::N(200))", nullable)]
    pub close_reason: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub owner_user_id: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub product_ids: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub campaign_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub custom_fields: Option<Json>,
    pub days_in_stage: i32,
    pub is_won: bool,
    pub is_lost: bool,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
