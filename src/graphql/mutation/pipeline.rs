//! `changeLeadStatus` and `moveOpportunityStage`: the two state machines of docs/data-model.md (lead
//! status flow, opportunity stage flow).

use async_graphql::{Context, ID, Object};

use super::write_context;
use crate::graphql::errors::{GqlResult, OrGql};
use crate::graphql::model::{Lead, LeadStatus, Opportunity, OpportunityStage};
use crate::services::pipeline;

#[derive(Default)]
pub struct PipelineMutations;

#[Object]
impl PipelineMutations {
    /// Moves a lead along its status machine: NEW → CONTACTED → QUALIFIED, NEW or CONTACTED →
    /// DISQUALIFIED. CONVERTED is reached only through `convertLead`; other moves are
    /// `INVALID_TRANSITION`, a converted lead is read-only (`CONFLICT`).
    async fn change_lead_status(&self, ctx: &Context<'_>, id: ID, status: LeadStatus) -> GqlResult<Lead> {
        let (state, actor) = write_context(ctx)?;
        pipeline::change_lead_status(&state.store, &actor, &id, status.into()).await.map(Lead).gql()
    }

    /// Moves an opportunity one stage forward (QUALIFICATION → NEEDS_ANALYSIS → PROPOSAL →
    /// NEGOTIATION → CONTRACT → CLOSED_WON) or closes it as CLOSED_LOST from any open stage (a
    /// `closeReason` is then required). Appends the stage history with the days spent in the stage
    /// left, resets `daysInStage`, sets the stage's default probability unless `probability` is
    /// given, and `isWon`/`isLost`/`actualCloseDate` when it closes.
    async fn move_opportunity_stage(
        &self,
        ctx: &Context<'_>,
        id: ID,
        stage: OpportunityStage,
        close_reason: Option<String>,
        probability: Option<i32>,
    ) -> GqlResult<Opportunity> {
        let (state, actor) = write_context(ctx)?;
        pipeline::move_opportunity_stage(&state.store, &actor, &id, stage.into(), close_reason.as_deref(), probability)
            .await
            .map(Opportunity)
            .gql()
    }
}
