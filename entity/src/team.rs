//! `team`: a sales or marketing team.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "team")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub team_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub team_name: String,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub parent_team_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(100))", nullable)]
    pub region: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
