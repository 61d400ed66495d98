//! `tag_relation`: one application of a tag to an entity.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tag_relation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub relation_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub tag_id: String,
    pub entity_type: crate::enums::EntityType,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub entity_id: String,
    pub tagged_at: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub tagged_by_user_id: Option<String>,
    pub is_auto_tagged: bool,
    pub tag_source: crate::enums::TagSource,
    /// The auto-tagging rule that applied the tag (`tag_source` RULE); NULL otherwise.
    #[sea_orm(column_type = "String(StringLen::N(100))", nullable)]
    pub rule_name: Option<String>,
    /// The rule's decision trace: the operand values it saw, PII masked.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub trace: Option<Json>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
