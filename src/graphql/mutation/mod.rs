//! The mutation root: one object per workflow family, merged. Resolvers translate: they build the
//! caller's [`Actor`], call one service, and wrap the result; scopes are checked for every root
//! field in one place (`graphql/guard.rs`) before a resolver runs.

mod activity;
mod convert;
mod crud;
pub(crate) mod dead_letters;
mod leases;
mod maintenance;
mod merge;
mod pipeline;
pub(crate) mod routing;
mod webhook;

use std::sync::Arc;

use async_graphql::{Context, MergedObject};

use super::GqlState;
use super::errors::GqlResult;
use crate::auth::Principal;
use crate::services::write::Actor;

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    crud::CrudMutations,
    crud::UpsertMutations,
    pipeline::PipelineMutations,
    activity::ActivityMutations,
    convert::ConvertMutations,
    merge::MergeMutations,
    maintenance::MaintenanceMutations,
    dead_letters::DeadLetterMutations,
    webhook::WebhookMutations,
    leases::LeaseMutations,
    routing::RoutingMutations,
);

/// The shared state and the caller, for a mutation resolver.
pub(crate) fn write_context<'a>(ctx: &Context<'a>) -> GqlResult<(&'a GqlState, Actor)> {
    let state = ctx.data::<Arc<GqlState>>()?;
    let principal = ctx.data::<Principal>()?;
    Ok((state.as_ref(), Actor::new(principal.clone())))
}
