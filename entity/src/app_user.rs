//! `app_user`: a member of staff (sales rep, marketer, admin): the owner of records.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub user_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub user_name: String,
    #[sea_orm(column_type = "String(StringLen::N(200))", nullable)]
    pub email: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(20))", nullable)]
    pub mobile_phone: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub team_id: Option<String>,
    pub user_role: crate::enums::UserRole,
    pub user_status: crate::enums::UserStatus,
    pub claim_quota: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
