//! `touchpoint`: 触点 — one interaction with a contact, lead or account.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "touchpoint")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub touchpoint_id: String,
    pub touchpoint_type: crate::enums::TouchpointType,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub channel_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub campaign_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub contact_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub lead_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub account_id: Option<String>,
    pub touchpoint_time: DateTimeUtc,
    #[sea_orm(nullable)]
    pub touchpoint_direction: Option<crate::enums::TouchpointDirection>,
    #[sea_orm(nullable)]
    pub touchpoint_status: Option<crate::enums::TouchpointStatus>,
    #[sea_orm(nullable)]
    pub content_type: Option<crate::enums::ContentType>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub content_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(200))", nullable)]
    pub subject: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(nullable)]
    pub duration_seconds: Option<i32>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub owner_user_id: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub metadata: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub utm_params: Option<Json>,
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
