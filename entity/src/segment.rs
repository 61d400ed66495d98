//! `segment`: 客户分群 — a group of entities defined by rules or by hand.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "segment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub segment_id: String,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub segment_name: String,
    pub segment_type: crate::enums::SegmentType,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub segment_rules: Option<Json>,
    pub target_entity_type: crate::enums::EntityType,
    #[sea_orm(nullable)]
    pub member_count: Option<i32>,
    pub is_dynamic: bool,
    #[sea_orm(nullable)]
    pub last_calculated_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub created_by_user_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
