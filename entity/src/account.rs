//! `account`: 企业账户 — a company (B2B account).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub account_id: String,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub account_name: String,
    #[sea_orm(column_type = "String(StringLen::N(18))", nullable)]
    pub unified_social_credit_code: Option<String>,
    pub account_type: crate::enums::AccountType,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub industry_id: Option<String>,
    pub account_status: crate::enums::AccountStatus,
    #[sea_orm(nullable)]
    pub account_level: Option<crate::enums::AccountLevel>,
    #[sea_orm(column_type = "Decimal(Some((18, 2)))", nullable)]
    pub annual_revenue: Option<Decimal>,
    #[sea_orm(nullable)]
    pub employee_count: Option<i32>,
    #[sea_orm(column_type = "String(StringLen::N(500))", nullable)]
    pub company_website: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(500))", nullable)]
    pub company_address: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub province: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub city: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub district: Option<String>,
    #[sea_orm(nullable)]
    pub account_source: Option<crate::enums::SourceType>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub primary_channel_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub owner_user_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub custom_fields: Option<Json>,
    #[sea_orm(nullable)]
    pub lifecycle_stage: Option<crate::enums::AccountLifecycleStage>,
    /// Set when this record was merged into another (a tombstone): the survivor's id.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub merged_into_id: Option<String>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
