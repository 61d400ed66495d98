//! Dead letters of the lead ingestion pipeline (`admin`): `deadLetters` (a root query field, see
//! `graphql::resource_macros::query_root`), `replayDeadLetters` and `discardDeadLetters`. The
//! work is `services::acquisition::dead_letters`'.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::lead_ingestion;

use super::write_context;
use crate::graphql::GqlState;
use crate::graphql::errors::{GqlResult, OrGql};
use crate::graphql::scalars::{Instant, Json};
use crate::services::acquisition::dead_letters::{self, DeadLetterFilter};

/// An ingestion whose processing failed for good: replay it (after fixing its scene) or discard it.
#[derive(SimpleObject)]
pub struct DeadLetter {
    /// The ingestion's id (its status URL keeps working after a replay).
    pub ingestion_id: ID,
    pub scene_id: ID,
    /// The token subject (or webhook) that submitted it.
    pub client_id: String,
    /// Why it failed.
    pub reasons: Vec<String>,
    /// Failed attempts.
    pub attempts: i32,
    /// What the last attempt did: `[{"step", "detail"}]`. Never holds a submitted value.
    pub steps: Option<Json>,
    pub created_at: Instant,
    pub updated_at: Instant,
}

impl From<lead_ingestion::Model> for DeadLetter {
    fn from(m: lead_ingestion::Model) -> Self {
        let reasons = m
            .reasons
            .as_ref()
            .and_then(|r| r.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        DeadLetter {
            ingestion_id: ID(m.ingestion_id),
            scene_id: ID(m.scene_id),
            client_id: m.client_id,
            reasons,
            attempts: m.attempts,
            steps: m.steps.map(Json),
            created_at: Instant(m.created_at),
            updated_at: Instant(m.updated_at),
        }
    }
}

/// Which dead letters.
#[derive(InputObject, Default)]
pub struct DeadLetterFilterInput {
    pub scene_id: Option<ID>,
    pub client_id: Option<String>,
    pub created_after: Option<Instant>,
    pub created_before: Option<Instant>,
}

/// `deadLetters(filter, first)`: newest first, `first` at most 1,000 (default 100).
pub(crate) async fn query(
    ctx: &Context<'_>,
    filter: Option<DeadLetterFilterInput>,
    first: Option<i32>,
) -> GqlResult<Vec<DeadLetter>> {
    let state = ctx.data::<Arc<GqlState>>()?;
    let f = filter.unwrap_or_default();
    let filter = DeadLetterFilter {
        scene_id: f.scene_id.map(|i| i.0),
        client_id: f.client_id,
        created_after: f.created_after.map(|i| i.0),
        created_before: f.created_before.map(|i| i.0),
    };
    let first = usize::try_from(first.unwrap_or(100)).unwrap_or(0);
    let rows = dead_letters::list(&state.store, &filter, first).await.gql()?;
    Ok(rows.into_iter().map(DeadLetter::from).collect())
}

#[derive(Default)]
pub struct DeadLetterMutations;

#[Object]
impl DeadLetterMutations {
    /// Puts dead letters back in the ingestion queue (as freshly accepted: attempts reset). Returns
    /// the ids replayed; an id that is not a dead letter (any more) is left out.
    async fn replay_dead_letters(&self, ctx: &Context<'_>, ids: Vec<ID>) -> GqlResult<Vec<ID>> {
        let (state, _actor) = write_context(ctx)?;
        let ids: Vec<String> = ids.into_iter().map(|i| i.0).collect();
        Ok(dead_letters::replay(&state.store, &ids).await.gql()?.into_iter().map(ID).collect())
    }

    /// Discards dead letters (kept with status DISCARDED, no longer listed). Returns the ids
    /// discarded; an id that is not a dead letter (any more) is left out.
    async fn discard_dead_letters(&self, ctx: &Context<'_>, ids: Vec<ID>) -> GqlResult<Vec<ID>> {
        let (state, _actor) = write_context(ctx)?;
        let ids: Vec<String> = ids.into_iter().map(|i| i.0).collect();
        Ok(dead_letters::discard(&state.store, &ids).await.gql()?.into_iter().map(ID).collect())
    }
}
