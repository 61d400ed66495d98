//! Routing rules an operator manages (`admin`): the global auto-tagging rules
//! (`globalAutoTaggingRules`, `setGlobalAutoTaggingRules`) and `simulateRouting`, the dry run of
//! a candidate rule set over past leads (root query fields, see
//! `graphql::resource_macros::query_root`). The work is `services::autotag`'s and
//! `services::simulation`'s.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};

use super::write_context;
use crate::auth::Principal;
use crate::graphql::GqlState;
use crate::graphql::errors::{GqlResult, OrGql};
use crate::graphql::scalars::{Instant, Json};
use crate::services::write::Actor;
use crate::services::{autotag, simulation};

/// Where a simulation routed leads, next to where they actually went.
#[derive(SimpleObject)]
pub struct RoutingTargetCount {
    /// The user, or null.
    pub user_id: Option<ID>,
    /// The team's queue, or null. Both null: the public pool (no rule took the lead).
    pub team_id: Option<ID>,
    /// Leads the candidate rules would have routed here.
    pub simulated: u64,
    /// Leads that actually went here first (assignment log, else today's owner).
    pub actual: u64,
}

/// How often one rule fired.
#[derive(SimpleObject)]
pub struct RuleFireCount {
    pub rule: String,
    /// Leads it routed (assignment) or held for (auto-tagging).
    pub fired: u64,
}

/// What a candidate rule set would have done over a past window (nothing was written). Each lead
/// is evaluated at its arrival on the events it had then and its current fields and manual tags;
/// quotas and loads start from today's, ROUND_ROBIN rotations from their start; WEIGHTED and
/// RANDOM draw at random.
#[derive(SimpleObject)]
pub struct RoutingSimulation {
    /// Leads created in the window (at most 5,000).
    pub leads: u64,
    pub targets: Vec<RoutingTargetCount>,
    /// Per assignment rule, in order.
    pub assignment_rules: Vec<RuleFireCount>,
    /// Per auto-tagging rule, in order (empty without `autoTaggingRules`).
    pub auto_tagging_rules: Vec<RuleFireCount>,
}

fn counts(rules: Vec<simulation::RuleCount>) -> Vec<RuleFireCount> {
    rules.into_iter().map(|r| RuleFireCount { rule: r.rule, fired: r.fired }).collect()
}

/// `globalAutoTaggingRules`: the global auto-tagging rules as stored (`[]` until set).
pub(crate) async fn global_rules(ctx: &Context<'_>) -> GqlResult<Json> {
    let state = ctx.data::<Arc<GqlState>>()?;
    autotag::global_rules_json(&state.store.db).await.map(Json).gql()
}

/// `simulateRouting(rules, from, to, autoTaggingRules)`.
pub(crate) async fn simulate(
    ctx: &Context<'_>,
    rules: Json,
    from: Instant,
    to: Instant,
    auto_tagging_rules: Option<Json>,
) -> GqlResult<RoutingSimulation> {
    let state = ctx.data::<Arc<GqlState>>()?;
    let actor = Actor::new(ctx.data::<Principal>()?.clone());
    let tagging = auto_tagging_rules.map(|j| j.0);
    let s = simulation::simulate(&state.store.db, &actor, &rules.0, tagging.as_ref(), from.0, to.0).await.gql()?;
    Ok(RoutingSimulation {
        leads: s.leads,
        targets: s
            .targets
            .into_iter()
            .map(|t| RoutingTargetCount {
                user_id: t.target.user_id.map(ID),
                team_id: t.target.team_id.map(ID),
                simulated: t.simulated,
                actual: t.actual,
            })
            .collect(),
        assignment_rules: counts(s.assignment_rules),
        auto_tagging_rules: counts(s.auto_tagging_rules),
    })
}

#[derive(Default)]
pub struct RoutingMutations;

#[Object]
impl RoutingMutations {
    /// Replaces the global auto-tagging rules, which apply to every lead whatever its scene (the
    /// same list shape as a scene's `autoTaggingRules`; `[]` removes them). Returns the rules
    /// stored. A rule that does not parse, or names a missing tag, is `BAD_USER_INPUT` naming its
    /// path, and nothing is written. Leads already stored are re-tagged when they next change.
    async fn set_global_auto_tagging_rules(&self, ctx: &Context<'_>, rules: Json) -> GqlResult<Json> {
        let (state, actor) = write_context(ctx)?;
        autotag::set_global_rules(&state.store.db, &actor, rules.0).await.map(Json).gql()
    }
}
