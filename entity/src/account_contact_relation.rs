//! `account_contact_relation`: membership of a contact in an account, with role.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "account_contact_relation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub relation_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub account_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub contact_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))", nullable)]
    pub role_in_account: Option<String>,
    #[sea_orm(nullable)]
    pub decision_level: Option<crate::enums::DecisionLevel>,
    pub is_primary_contact: bool,
    #[sea_orm(nullable)]
    pub relationship_status: Option<crate::enums::RelationshipStatus>,
    #[sea_orm(nullable)]
    pub relation_start_date: Option<Date>,
    #[sea_orm(nullable)]
    pub relation_end_date: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
