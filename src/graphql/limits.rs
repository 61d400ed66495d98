//! Query hygiene that async-graphql does not provide itself: an alias limit, checked right after
//! parsing (before validation and before any resolver or SQL runs), for HTTP and WebSocket alike;
//! and the per-operation rate-limit charge of WebSocket operations (HTTP charges a whole request
//! before executing it, so it can answer 429; a WebSocket has no status per operation).

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Request, ServerError, ServerResult, Variables};

use crate::error::AppError;

pub struct AliasLimit(pub usize);

impl ExtensionFactory for AliasLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AliasLimitExtension(self.0))
    }
}

struct AliasLimitExtension(usize);

#[async_graphql::async_trait::async_trait]
impl Extension for AliasLimitExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let aliases = count_aliases(&doc);
        if aliases > self.0 {
            return Err(ServerError::new(
                format!("the query uses {aliases} aliases; at most {} are allowed", self.0),
                None,
            ));
        }
        Ok(doc)
    }
}

/// Charges one operation to the caller's rate limit. Present in a WebSocket connection's data
/// (from `connection_init`), absent from HTTP requests, which are charged before execution.
#[derive(Clone)]
pub struct OperationCharge(pub Arc<dyn Fn() -> Result<(), AppError> + Send + Sync>);

/// Applies [`OperationCharge`] to every operation that carries one.
pub struct ChargeOperations;

impl ExtensionFactory for ChargeOperations {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ChargeOperations)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ChargeOperations {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Some(OperationCharge(charge)) = ctx.data_opt::<OperationCharge>()
            && let Err(e) = charge()
        {
            let mut err = ServerError::new(e.to_string(), None);
            let mut ext = ErrorExtensionValues::default();
            ext.set("code", e.code());
            if let AppError::RateLimited { retry_after_secs } = e {
                ext.set("retryAfter", retry_after_secs);
            }
            err.extensions = Some(ext);
            return Err(err);
        }
        next.run(ctx, request).await
    }
}

fn count_aliases(doc: &ExecutableDocument) -> usize {
    let ops = doc.operations.iter().map(|(_, op)| count_in(&op.node.selection_set.node));
    let frags = doc.fragments.values().map(|f| count_in(&f.node.selection_set.node));
    ops.chain(frags).sum()
}

fn count_in(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => usize::from(f.node.alias.is_some()) + count_in(&f.node.selection_set.node),
            Selection::InlineFragment(f) => count_in(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_counted_in_fields_fragments_and_nesting() {
        let doc = async_graphql::parser::parse_query(
            "query { a: leads { n: totalCount } accounts { ...F } ... on QueryRoot { b: leads { totalCount } } }
             fragment F on AccountConnection { c: totalCount d: totalCount }",
        )
        .unwrap();
        assert_eq!(count_aliases(&doc), 5);
    }
}
