//! `tag`: 标签 — a label applied to accounts, contacts or leads.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tag")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub tag_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub tag_name: String,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub tag_category: Option<String>,
    pub tag_type: crate::enums::TagType,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(20))", nullable)]
    pub color: Option<String>,
    pub created_at: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub created_by_user_id: Option<String>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
