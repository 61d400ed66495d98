//! `opportunity_stage_history`: one stage change of an opportunity, with time spent in the previous stage.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "opportunity_stage_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub history_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub opportunity_id: String,
    #[sea_orm(nullable)]
    pub from_stage: Option<crate::enums::OpportunityStage>,
    pub to_stage: crate::enums::OpportunityStage,
    pub changed_at: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub changed_by_user_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(200))", nullable)]
    pub change_reason: Option<String>,
    #[sea_orm(nullable)]
    pub duration_days: Option<i32>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
