//! `acquisition_scene`: 获客场景 — one configured way leads arrive (a web form, a landing page, an
//! API import…): its mapping rules, default channel, deduplication strategy and protection period
//! (docs/design.md §6, "Lead acquisition"). Not one of the data model's 36: the acquisition module's.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "acquisition_scene")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub scene_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub scene_name: String,
    pub scene_type: crate::enums::SceneType,
    pub is_enabled: bool,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub default_channel_id: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub scene_specific_params: Option<Json>,
    /// How a submission becomes a lead (`cdp360::domain::acquisition::MappingRules`).
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub data_mapping_rules: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub auto_tagging_rules: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub assignment_rules: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub auto_response_config: Option<Json>,
    pub deduplication_strategy: crate::enums::DeduplicationStrategy,
    pub protection_period_hours: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
