//! Query hygiene that async-graphql does not provide itself, in one extension for HTTP and
//! WebSocket alike: the input bounds of `graphql::bounds`, limits on aliases and on depth, checked
//! right after parsing (before validation and before any resolver or SQL runs), and the
//! per-operation rate-limit charge of WebSocket operations (HTTP charges a whole request before
//! executing it, so it can answer 429; a WebSocket has no status per operation).
//!
//! Depth is ours rather than async-graphql's `limit_depth` because introspection needs its own
//! budget: the standard introspection query (graphql-js `getIntrospectionQuery()`, with every
//! option) nests its `ofType` chain 13 levels deep, past any depth a user query should have, and
//! GraphiQL, schema loaders and code generators must be able to run it. The subtree of a
//! `__schema` or `__type` field counts against [`INTROSPECTION_DEPTH`] instead of `max_depth`;
//! it only reads the schema, never the database.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Request, ServerError, ServerResult, Variables};

use super::bounds::{self, InputLimits, Refused};
use super::documents::{Documents, KeptDocument};
use crate::error::AppError;

/// The depth an introspection field's subtree may reach.
pub const INTROSPECTION_DEPTH: usize = 20;

/// Every request limit, as ONE extension: each extension costs a boxed future per resolved field
/// (async-graphql chains them around every resolver), so the limits, which need no per-field
/// hook, share one. Before parsing: the input bounds (`graphql::bounds`) and the rate-limit
/// charge of WebSocket operations; after parsing: the document's width and NUL characters, its
/// aliases and its depth.
#[derive(Clone)]
pub struct RequestLimits {
    pub input: InputLimits,
    pub max_aliases: usize,
    pub max_depth: usize,
    /// The schema's parsed documents, which keep the outcome of the document checks.
    pub documents: Arc<Documents>,
}

impl ExtensionFactory for RequestLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.clone())
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for RequestLimits {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        bounds::check_request(&request, self.input).map_err(Refused::into_server_error)?;
        if let Some(OperationCharge(charge)) = ctx.data_opt::<OperationCharge>()
            && let Err(e) = charge()
        {
            return Err(charge_refused(e));
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        // A kept document is checked once (the outcome depends on nothing else).
        match self.documents.entry_for(ctx.data_opt::<KeptDocument>(), query) {
            Some(entry) => entry.checked(|| self.check(&doc))?,
            None => self.check(&doc)?,
        }
        Ok(doc)
    }
}

impl RequestLimits {
    /// The document's width and NUL characters, its aliases and its depth.
    fn check(&self, doc: &ExecutableDocument) -> ServerResult<()> {
        bounds::check_document(doc, self.input).map_err(Refused::into_server_error)?;
        let aliases = count_aliases(doc);
        if aliases > self.max_aliases {
            return Err(ServerError::new(
                format!("the query uses {aliases} aliases; at most {} are allowed", self.max_aliases),
                None,
            ));
        }
        let depth = Depth::of(doc);
        if depth.user > self.max_depth {
            return Err(ServerError::new(
                format!("the query is nested too deep: {} levels, at most {} are allowed", depth.user, self.max_depth),
                None,
            ));
        }
        if depth.introspection > INTROSPECTION_DEPTH {
            return Err(ServerError::new(
                format!(
                    "the introspection is nested too deep: {} levels, at most {INTROSPECTION_DEPTH} are allowed",
                    depth.introspection
                ),
                None,
            ));
        }
        Ok(())
    }
}

/// Charges one operation to the caller's rate limit. Present in a WebSocket connection's data
/// (from `connection_init`), absent from HTTP requests, which are charged before execution.
#[derive(Clone)]
pub struct OperationCharge(pub Arc<dyn Fn() -> Result<(), AppError> + Send + Sync>);

/// The error of an operation its rate-limit charge refused, as a GraphQL error with `code` (and
/// `retryAfter`): also answered by shared subscriptions, which charge before joining their group.
pub fn charge_refused(e: AppError) -> ServerError {
    let mut err = ServerError::new(e.message(), None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", e.code());
    if let AppError::RateLimited { retry_after_secs } = e {
        ext.set("retryAfter", retry_after_secs);
    }
    err.extensions = Some(ext);
    err
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

/// The deepest field of the document's operations, outside and inside introspection.
#[derive(Default, Debug, PartialEq, Eq)]
struct Depth {
    user: usize,
    introspection: usize,
}

impl Depth {
    fn of(doc: &ExecutableDocument) -> Depth {
        let mut walk = DepthWalk { doc, memo: HashMap::new(), visiting: Vec::new(), introspection: 0 };
        let user = doc.operations.iter().map(|(_, op)| walk.depth(&op.node.selection_set.node)).max().unwrap_or(0);
        Depth { user, introspection: walk.introspection }
    }
}

/// Fragment depths are memoised (a fragment spread many times is walked once) and a fragment
/// already on the path is a cycle, which the validator refuses after this check.
struct DepthWalk<'d> {
    doc: &'d ExecutableDocument,
    memo: HashMap<&'d str, usize>,
    visiting: Vec<&'d str>,
    introspection: usize,
}

impl<'d> DepthWalk<'d> {
    /// Levels of fields below `set`; an introspection field counts one level here, its subtree
    /// goes to `self.introspection`.
    fn depth(&mut self, set: &'d SelectionSet) -> usize {
        let mut deepest = 0;
        for item in &set.items {
            let d = match &item.node {
                Selection::Field(f) => {
                    let below = self.depth(&f.node.selection_set.node);
                    if matches!(f.node.name.node.as_str(), "__schema" | "__type") {
                        self.introspection = self.introspection.max(1 + below);
                        1
                    } else {
                        1 + below
                    }
                }
                Selection::InlineFragment(f) => self.depth(&f.node.selection_set.node),
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    match (self.memo.get(name), self.doc.fragments.get(&s.node.fragment_name.node)) {
                        (Some(d), _) => *d,
                        (None, Some(frag)) if !self.visiting.contains(&name) => {
                            self.visiting.push(name);
                            let d = self.depth(&frag.node.selection_set.node);
                            self.visiting.pop();
                            self.memo.insert(name, d);
                            d
                        }
                        _ => 0,
                    }
                }
            };
            deepest = deepest.max(d);
        }
        deepest
    }
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

    #[test]
    fn depth_counts_through_fragments_and_keeps_introspection_apart() {
        let doc = async_graphql::parser::parse_query(
            "{ a { b { ...F } } __schema { types { ...T } } }
             fragment F on X { c { d } ... on X { e } }
             fragment T on __Type { ofType { ofType { ofType { name } } } }",
        )
        .unwrap();
        assert_eq!(Depth::of(&doc), Depth { user: 4, introspection: 6 });
    }

    #[test]
    fn a_fragment_cycle_does_not_loop() {
        let doc = async_graphql::parser::parse_query("{ a { ...F } } fragment F on X { b { ...F } }").unwrap();
        assert_eq!(Depth::of(&doc).user, 2);
    }
}
