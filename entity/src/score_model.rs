//! `score_model`: 评分模型 — a scoring model.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "score_model")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub model_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub model_name: String,
    pub model_type: crate::enums::ScoreModelType,
    pub target_entity_type: crate::enums::EntityType,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub scoring_rules: Option<Json>,
    pub max_score: i32,
    pub status: crate::enums::ScoreModelStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
