//! `campaign_member`: a contact, lead or account taking part in a campaign.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "campaign_member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub member_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub campaign_id: String,
    pub member_type: crate::enums::EntityType,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub member_ref_id: String,
    #[sea_orm(nullable)]
    pub member_status: Option<crate::enums::CampaignMemberStatus>,
    #[sea_orm(nullable)]
    pub joined_at: Option<DateTimeUtc>,
    #[sea_orm(nullable)]
    pub responded_at: Option<DateTimeUtc>,
    #[sea_orm(nullable)]
    pub response_status: Option<crate::enums::ResponseStatus>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub response_data: Option<Json>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
