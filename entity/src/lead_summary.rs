//! `lead_summary`: precomputed activity aggregates of one lead.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "lead_summary")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub summary_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub lead_id: String,
    pub total_touchpoints: i32,
    pub total_events: i32,
    pub form_submissions: i32,
    pub content_downloads: i32,
    pub page_views: i32,
    pub days_in_pipeline: i32,
    pub contact_attempts: i32,
    #[sea_orm(nullable)]
    pub last_activity_at: Option<DateTimeUtc>,
    #[sea_orm(nullable)]
    pub last_contact_attempt_at: Option<DateTimeUtc>,
    pub calculated_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
