//! `webhook_secret`: one HMAC secret of an acquisition scene's webhook (`POST /webhooks/{scene}`),
//! sealed at rest; active while `retired_at` is NULL. A table of `repo/` (not catalogued, never
//! a GraphQL entity: the secret is shown once, when it is issued).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_secret")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub secret_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub scene_id: String,
    /// The ciphertext of the secret (AAD: table, column, `secret_id`).
    #[sea_orm(column_type = "Text")]
    pub secret: String,
    pub created_at: DateTimeUtc,
    #[sea_orm(nullable)]
    pub retired_at: Option<DateTimeUtc>,
}

/// No relations: read by scene id through `repo::webhook`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
