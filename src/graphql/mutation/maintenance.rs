//! `refreshSummaries`: the on-demand summary refresh (`admin`).

use async_graphql::{Context, Enum, ID, Object};

use super::write_context;
use crate::error::AppError;
use crate::graphql::errors::{GqlResult, OrGql};
use crate::repo::summary::Summary;
use crate::services::summaries;

/// Which summary table.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SummaryType {
    Account,
    Contact,
    Lead,
}

impl From<SummaryType> for Summary {
    fn from(t: SummaryType) -> Summary {
        match t {
            SummaryType::Account => Summary::Account,
            SummaryType::Contact => Summary::Contact,
            SummaryType::Lead => Summary::Lead,
        }
    }
}

/// At most this many ids per call (longer lists: omit `ids` for a full refresh).
const MAX_IDS: usize = 10_000;

#[derive(Default)]
pub struct MaintenanceMutations;

#[Object]
impl MaintenanceMutations {
    /// Recomputes summaries now: of the given accounts, contacts or leads (`ids`), or every row of
    /// that table when `ids` is omitted. Returns the rows written. A refresh of given ids announces
    /// itself to `accountSummaryUpdated` / `contactSummaryUpdated` subscribers.
    async fn refresh_summaries(
        &self,
        ctx: &Context<'_>,
        entity_type: SummaryType,
        ids: Option<Vec<ID>>,
    ) -> GqlResult<u64> {
        let (state, _actor) = write_context(ctx)?;
        let ids: Option<Vec<String>> = ids.map(|ids| ids.into_iter().map(|i| i.0).collect());
        if let Some(ids) = &ids {
            if ids.is_empty() || ids.len() > MAX_IDS {
                return Err(AppError::bad_input(format!("ids: 1 to {MAX_IDS} ids, or omit it for every row"))).gql();
            }
            if let Some(bad) = ids.iter().find(|i| crate::domain::value::EntityId::parse("ids", i).is_err()) {
                return Err(AppError::bad_input(format!("ids: {bad:?} is not an id"))).gql();
            }
        }
        summaries::refresh_now(&state.store, entity_type.into(), ids).await.gql()
    }
}
