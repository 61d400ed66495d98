//! `lead_assignment_log`: one move of a lead between owners and the public pool (assigned,
//! claimed, released, extended, returned to the pool, reassigned): who, when, why, and — when a
//! routing rule decided it — the rule, the strategy and the decision trace. Written only by the
//! lease workflow (`cdp360::services::leases`); read-only in the API.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "lead_assignment_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub log_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub lead_id: String,
    pub kind: crate::enums::AssignmentKind,
    /// The owner before the move (NULL: the lead was in the public pool).
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub from_user_id: Option<String>,
    /// The owner after the move (NULL: back in the pool, or assigned to a team).
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub to_user_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub to_team_id: Option<String>,
    pub assigned_at: DateTimeUtc,
    /// The lease the move left the owner with.
    #[sea_orm(nullable)]
    pub lease_until: Option<DateTimeUtc>,
    /// The staff user who acted (NULL: the sweeper, or a token that is not a staff user).
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub actor_user_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub rule_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(30))", nullable)]
    pub strategy: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(500))", nullable)]
    pub reason: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub trace: Option<Json>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
