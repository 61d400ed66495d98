//! `segment_member`: membership of an entity in a segment.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "segment_member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub member_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub segment_id: String,
    pub entity_type: crate::enums::EntityType,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub entity_id: String,
    pub joined_at: DateTimeUtc,
    #[sea_orm(nullable)]
    pub left_at: Option<DateTimeUtc>,
    pub is_active: bool,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
