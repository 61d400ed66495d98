//! `score_record`: the current score of an entity under a model.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "score_record")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub record_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub model_id: String,
    pub entity_type: crate::enums::EntityType,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub entity_id: String,
    pub score: i32,
    #[sea_orm(nullable)]
    pub grade: Option<crate::enums::Grade>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub score_details: Option<Json>,
    pub calculated_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
