//! `webhook_signature`: a signature a scene's webhook accepted (its SHA-256), kept until its
//! timestamp leaves the replay window, so the same signature is refused a second time.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_signature")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub scene_id: String,
    /// Hex SHA-256 of the `X-Cdp-Signature` value.
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub signature_sha256: String,
    pub expires_at: DateTimeUtc,
}

/// No relations: a queue of `repo/`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
