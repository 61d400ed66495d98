//! `touchpoint_attachment`: a file attached to a touchpoint.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "touchpoint_attachment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub attachment_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub touchpoint_id: String,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub file_name: String,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub file_url: String,
    #[sea_orm(column_type = "String(StringLen::N(50))", nullable)]
    pub file_type: Option<String>,
    #[sea_orm(nullable)]
    pub file_size: Option<i32>,
    pub uploaded_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
