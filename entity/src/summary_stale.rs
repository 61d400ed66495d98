//! `summary_stale`: a summary that a committed write made stale and no refresh has rewritten yet
//! (see `cdp360::services::summaries`). Written in the writer's transaction, deleted in the
//! refresh's. Not part of the data model's 36: the write path's own table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "summary_stale")]
pub struct Model {
    /// `ACCOUNT`, `CONTACT`, `LEAD`, or `CAMPAIGN` (expanded to the accounts it reaches).
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(16))")]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub entity_id: String,
    /// When the oldest pending mark of this row was written.
    pub marked_at: DateTimeUtc,
}

/// No relations: `entity_id` names a record of the table `kind` says.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
