//! `event`: 行为事件 — one tracked behaviour (page view, click, download…).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub event_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub event_name: String,
    pub event_type: crate::enums::EventType,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub channel_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub contact_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub lead_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub account_id: Option<String>,
    pub event_time: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub session_id: Option<String>,
    #[sea_orm(nullable)]
    pub device_type: Option<crate::enums::DeviceType>,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub browser: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub os: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub ip_address: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(1000))", nullable)]
    pub page_url: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(1000))", nullable)]
    pub referrer_url: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub event_properties: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub utm_params: Option<Json>,
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
