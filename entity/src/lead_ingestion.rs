//! `lead_ingestion`: one submission accepted by `POST /api/v1/leads/ingestions`, committed before
//! the answer and processed by the ingestion worker (see `cdp360::services::acquisition`). A queue
//! of `repo/`, like `outbox_event`: not catalogued, not a GraphQL entity.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "lead_ingestion")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "String(StringLen::N(64))")]
    pub ingestion_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub scene_id: String,
    /// The token subject that sent it: idempotency keys are per client.
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub client_id: String,
    #[sea_orm(column_type = "String(StringLen::N(200))", nullable)]
    pub idempotency_key: Option<String>,
    /// The position in its batch request (0 for a single submission); part of the idempotency key.
    pub batch_index: i32,
    /// Hex SHA-256 of the request body: the same key with another body is a conflict.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub body_sha256: String,
    /// `ACCEPTED`, `PROCESSED`, `DUPLICATE_OF`, `REJECTED`, `DEAD_LETTERED` or `DISCARDED`.
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub status: String,
    /// `submission_data` with its phone and e-mail values sealed.
    #[sea_orm(column_type = "JsonBinary")]
    pub submission: Json,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub meta: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub lead_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub duplicate_of: Option<String>,
    /// Why it was rejected or dead-lettered: a list of strings.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub reasons: Option<Json>,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(nullable)]
    pub processed_at: Option<DateTimeUtc>,
    /// After a failed attempt: not claimed before this (backoff). NULL: due now.
    #[sea_orm(nullable)]
    pub next_attempt_at: Option<DateTimeUtc>,
    /// What processing did, step by step: `[{"step", "detail"}]`, written with the outcome.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub steps: Option<Json>,
}

/// No relations: a queue row, read by its id.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
