//! `account_relation`: parent/child link between two accounts (group structure).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "account_relation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub relation_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub parent_account_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub child_account_id: String,
    pub relation_type: crate::enums::AccountRelationType,
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
