//! The protection period and the pools (issue 16): `claimLead`, `releaseLead`, `extendLease`, and
//! a manager's `assignLead` / `reassignLeads`. Each acts as the staff user the token names
//! (`sub` = an app_user id); the rules are `domain::lease`, the moves `services::leases`.

use async_graphql::{Context, ID, Object};

use super::write_context;
use crate::graphql::errors::{GqlResult, OrGql};
use crate::graphql::model::Lead;
use crate::services::leases::{self, Target};
use crate::services::write::now;

#[derive(Default)]
pub struct LeaseMutations;

#[Object]
impl LeaseMutations {
    /// Takes a lead from the public pool (or from your team's queue) with a fresh lease: the
    /// scene's protection period, else `CDP_LEASE_DAYS`. `CONFLICT` when someone owns it (of
    /// concurrent claims exactly one wins), when your claim quota (open leads owned) is used up,
    /// or within the cooldown after you released or lost it; `FORBIDDEN` for an inactive user.
    async fn claim_lead(&self, ctx: &Context<'_>, lead_id: ID) -> GqlResult<Lead> {
        let (state, actor) = write_context(ctx)?;
        leases::claim(&state.store, &actor, &lead_id, now()).await.map(Lead).gql()
    }

    /// Gives your lead back to the public pool (logged RELEASED; the cooldown starts). Someone
    /// else's lead is `FORBIDDEN`; a lead in the pool `CONFLICT`.
    async fn release_lead(&self, ctx: &Context<'_>, lead_id: ID, reason: Option<String>) -> GqlResult<Lead> {
        let (state, actor) = write_context(ctx)?;
        leases::release(&state.store, &actor, &lead_id, reason.as_deref(), now()).await.map(Lead).gql()
    }

    /// Adds one lease length to your lease on the lead, at most `CDP_LEASE_MAX_EXTENSIONS` times
    /// per lease (then `CONFLICT`); `reason` is required and logged.
    async fn extend_lease(&self, ctx: &Context<'_>, lead_id: ID, reason: String) -> GqlResult<Lead> {
        let (state, actor) = write_context(ctx)?;
        leases::extend(&state.store, &actor, &lead_id, &reason, now()).await.map(Lead).gql()
    }

    /// Gives a lead to an ACTIVE user (with a fresh lease) or to a team's queue — exactly one of
    /// `userId`, `teamId` — whoever holds it now (logged ASSIGNED or REASSIGNED). Needs the
    /// `admin` scope or a SALES_MANAGER / ADMIN user's `write` token.
    async fn assign_lead(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        user_id: Option<ID>,
        team_id: Option<ID>,
        reason: Option<String>,
    ) -> GqlResult<Lead> {
        let (state, actor) = write_context(ctx)?;
        let target = Target::from_input(user_id.map(|u| u.0), team_id.map(|t| t.0)).gql()?;
        let ids = [lead_id.0];
        let mut moved =
            leases::assign(&state.store, &actor, &ids, "leadId", target, reason.as_deref(), now()).await.gql()?;
        Ok(Lead(moved.remove(0)))
    }

    /// `assignLead` for up to 500 leads at once, all or nothing, in one transaction.
    async fn reassign_leads(
        &self,
        ctx: &Context<'_>,
        lead_ids: Vec<ID>,
        user_id: Option<ID>,
        team_id: Option<ID>,
        reason: Option<String>,
    ) -> GqlResult<Vec<Lead>> {
        let (state, actor) = write_context(ctx)?;
        let target = Target::from_input(user_id.map(|u| u.0), team_id.map(|t| t.0)).gql()?;
        let ids: Vec<String> = lead_ids.into_iter().map(|i| i.0).collect();
        let moved =
            leases::assign(&state.store, &actor, &ids, "leadIds", target, reason.as_deref(), now()).await.gql()?;
        Ok(moved.into_iter().map(Lead).collect())
    }
}
