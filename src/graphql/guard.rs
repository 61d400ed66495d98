//! Scopes, decided on what the executor runs (README "Security"). An extension's `resolve` hook
//! sees every field the executor resolves — after fragments, directives and type conditions have
//! been applied — and nothing else, so no shape of document can hide a field from it, and there is
//! no document walk to cut off:
//!
//! - a root field of a query needs `read`;
//! - a root field of a mutation needs [`required_scope`] (a field missing from the table needs
//!   `write`: a new mutation is never open by accident);
//! - below a mutation's root field, a token without `read` gets a receipt, not a way to read: the
//!   payload's own fields and the `id` of a record, but no other field of a record (a type that
//!   implements `Node`), so `createLead { campaign { leads { … } } }` is `FORBIDDEN`. `pii` (plain
//!   values) and `channels` (rows) apply below a payload exactly as in queries: both are decided
//!   where the value is read (`resource::reveal`, `services::read::Access`), not here.
//!
//! A refused root field does not run; the other root fields of the same mutation run or are
//! refused on their own (root mutation fields execute one after another, each on its own).
//! Subscriptions need `read` at `connection_init` (`http/ws.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{ErrorExtensionValues, PathSegment, QueryPathSegment, ServerError, ServerResult, Value};

use crate::auth::{Principal, Scope};

/// The scopes a root mutation field accepts (any one of them). `ingest` is the partner scope for
/// pushing data in (`write` may do it too); `admin` guards configuration and bulk maintenance;
/// everything else is `write`.
pub fn required_scope(field: &str) -> &'static [Scope] {
    match field {
        "trackEvents" | "recordTouchpoints" => &[Scope::Ingest, Scope::Write],
        "refreshSummaries" | "replayDeadLetters" | "discardDeadLetters" => &[Scope::Admin],
        // Scene configuration decides how every incoming lead is handled.
        "createAcquisitionScene"
        | "updateAcquisitionScene"
        | "deleteAcquisitionScene"
        | "createAcquisitionScenes"
        | "updateAcquisitionScenes"
        | "deleteAcquisitionScenes" => &[Scope::Admin],
        // Whoever holds a scene's webhook secret can push leads into it.
        "rotateWebhookSecret" | "retireWebhookSecret" | "setGlobalAutoTaggingRules" => &[Scope::Admin],
        // A manager's move: `admin`, or `write` of a SALES_MANAGER / ADMIN user (checked by the
        // service, which knows the user's role).
        "assignLead" | "reassignLeads" => &[Scope::Admin, Scope::Write],
        _ => &[Scope::Write],
    }
}

/// The scopes a root query field accepts: `read`, except operational data that is not the
/// customer model (dead letters: whatever a client submitted and why it failed).
pub fn required_query_scope(field: &str) -> &'static [Scope] {
    match field {
        "deadLetters" | "globalAutoTaggingRules" | "simulateRouting" => &[Scope::Admin],
        _ => &[Scope::Read],
    }
}

const QUERY_ROOT: &str = "QueryRoot";
const MUTATION_ROOT: &str = "MutationRoot";
/// The interface every record type implements.
const RECORD: &str = "Node";

pub struct Authorization;

impl ExtensionFactory for Authorization {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AuthorizationExtension::default())
    }
}

/// One per request.
#[derive(Default)]
struct AuthorizationExtension {
    /// Set when a mutation root field starts: root fields resolve before anything below them.
    in_mutation: AtomicBool,
}

#[async_graphql::async_trait::async_trait]
impl Extension for AuthorizationExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let principal = ctx.data_opt::<Principal>();
        let has = |scope: Scope| principal.is_some_and(|p| p.has(scope));
        if info.path_node.parent.is_none() {
            let need: &[Scope] = match info.parent_type {
                QUERY_ROOT => required_query_scope(info.name),
                MUTATION_ROOT => {
                    self.in_mutation.store(true, Ordering::Relaxed);
                    required_scope(info.name)
                }
                _ => &[],
            };
            if !need.is_empty() && !need.iter().any(|s| has(*s)) {
                let names: Vec<String> = need.iter().map(|s| format!("`{}`", s.as_str())).collect();
                return Err(forbidden(&info, format!("{} needs the {} scope", info.name, names.join(" or "))));
            }
        } else if self.in_mutation.load(Ordering::Relaxed)
            && info.name != "id"
            && !has(Scope::Read)
            && is_record(ctx, info.parent_type)
        {
            return Err(forbidden(
                &info,
                format!(
                    "reading {}.{} needs the `read` scope: without it a mutation answers ids only",
                    info.parent_type, info.name
                ),
            ));
        }
        next.run(ctx, info).await
    }
}

fn is_record(ctx: &ExtensionContext<'_>, type_name: &str) -> bool {
    ctx.schema_env.registry.implements.get(type_name).is_some_and(|interfaces| interfaces.contains(RECORD))
}

fn forbidden(info: &ResolveInfo<'_>, message: String) -> ServerError {
    let mut err = ServerError::new(message, Some(info.field.name.pos));
    let mut path: Vec<PathSegment> = std::iter::once(info.path_node)
        .chain(info.path_node.parents())
        .map(|node| match node.segment {
            QueryPathSegment::Name(name) => PathSegment::Field(name.to_owned()),
            QueryPathSegment::Index(i) => PathSegment::Index(i),
        })
        .collect();
    path.reverse();
    err.path = path;
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", "FORBIDDEN");
    err.extensions = Some(ext);
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_mutations_need_write_and_ingestion_needs_ingest() {
        assert_eq!(required_scope("changeLeadStatus"), [Scope::Write]);
        assert_eq!(required_scope("somethingNew"), [Scope::Write]);
        assert_eq!(required_scope("trackEvents"), [Scope::Ingest, Scope::Write]);
        assert_eq!(required_scope("refreshSummaries"), [Scope::Admin]);
        assert_eq!(required_scope("rotateWebhookSecret"), [Scope::Admin]);
    }
}
