//! Scopes of the mutation fields, in one place (DESIGN.md §5): an extension checks every root
//! mutation field against [`required_scope`] before its resolver runs, for HTTP and WebSocket alike.
//! A field missing from the table needs `write` (fail closed), so a new mutation is never open by
//! accident. Queries need `read`, checked per request in `http/graphql.rs`.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{ErrorExtensionValues, ServerError, ServerResult, Value};

use crate::auth::{Principal, Scope};

/// The scopes a root mutation field accepts (any one of them). `ingest` is the partner scope for
/// pushing data in (`write` may do it too); `admin` guards configuration and bulk maintenance;
/// everything else is `write`.
pub fn required_scope(field: &str) -> &'static [Scope] {
    match field {
        "trackEvents" | "recordTouchpoints" => &[Scope::Ingest, Scope::Write],
        "refreshSummaries" => &[Scope::Admin],
        _ => &[Scope::Write],
    }
}

pub struct MutationScopes;

impl ExtensionFactory for MutationScopes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MutationScopes)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for MutationScopes {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.parent_type == "MutationRoot" {
            let need = required_scope(info.name);
            if !ctx.data_opt::<Principal>().is_some_and(|p| need.iter().any(|s| p.has(*s))) {
                let names: Vec<String> = need.iter().map(|s| format!("`{}`", s.as_str())).collect();
                let message = format!("{} needs the {} scope", info.name, names.join(" or "));
                let mut err = ServerError::new(message, None);
                err.path = vec![async_graphql::PathSegment::Field(info.name.to_string())];
                let mut ext = ErrorExtensionValues::default();
                ext.set("code", "FORBIDDEN");
                err.extensions = Some(ext);
                return Err(err);
            }
        }
        next.run(ctx, info).await
    }
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
    }
}
