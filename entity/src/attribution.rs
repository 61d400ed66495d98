//! `attribution`: 营销归因 — an attribution analysis of a converted entity.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "attribution")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub attribution_id: String,
    pub entity_type: crate::enums::EntityType,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub entity_id: String,
    pub attribution_model: crate::enums::AttributionModel,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub touchpoint_sequence: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub attribution_weights: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
