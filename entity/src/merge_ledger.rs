//! `merge_ledger`: one row per merge of contacts or accounts, with the undo log that unmerge
//! replays (see `cdp360::services::merge`). Not part of the data model's 36: the write path's own table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "merge_ledger")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub ledger_id: String,
    /// `CONTACT` or `ACCOUNT`.
    pub entity_type: crate::enums::EntityType,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub survivor_id: String,
    /// The merged (tombstoned) ids, in the order given.
    #[sea_orm(column_type = "JsonBinary")]
    pub merged_ids: Json,
    /// What the merge changed, for unmerge (`cdp360::services::merge::Undo`).
    #[sea_orm(column_type = "JsonBinary")]
    pub undo: Json,
    pub merged_at: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub merged_by_user_id: Option<String>,
    #[sea_orm(nullable)]
    pub unmerged_at: Option<DateTimeUtc>,
}

/// Relations are resolved by the generic loaders (see `src/graphql/resource.rs`), not by SeaORM joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
