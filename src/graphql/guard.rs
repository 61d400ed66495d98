//! Scopes of the mutation fields, in one place (DESIGN.md §5): an extension checks every root
//! field of a mutation against [`required_scope`] before the operation runs, for HTTP and WebSocket
//! alike.
//! A field missing from the table needs `write` (fail closed), so a new mutation is never open by
//! accident. Queries need `read`, checked per request in `http/graphql.rs`.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Request, ServerError, ServerResult, Variables};

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
        Arc::new(MutationScopesExtension::default())
    }
}

/// Checks once per operation, right after parsing and before anything executes, instead of
/// wrapping the resolution of every field (a boxed future per field: a third of a 100-lead
/// page's CPU went through it). A mutation with a field the token may not call is refused whole,
/// so none of its fields writes.
#[derive(Default)]
struct MutationScopesExtension {
    /// The request's `operationName` (this extension lives for one request).
    operation: Mutex<Option<String>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for MutationScopesExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        *self.operation.lock().unwrap_or_else(|e| e.into_inner()) = request.operation_name.clone();
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
        let name = self.operation.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let operation = match (&doc.operations, name) {
            (DocumentOperations::Single(op), _) => Some(op),
            (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name.as_str()),
            // Several operations and no name: the executor reports that.
            (DocumentOperations::Multiple(_), None) => None,
        };
        if let Some(op) = operation
            && op.node.ty == OperationType::Mutation
        {
            let principal = ctx.data_opt::<Principal>();
            let mut fields = Vec::new();
            root_fields(&doc, &op.node.selection_set.node, &mut fields, 0);
            for field in fields {
                let need = required_scope(field);
                if !principal.is_some_and(|p| need.iter().any(|s| p.has(*s))) {
                    let names: Vec<String> = need.iter().map(|s| format!("`{}`", s.as_str())).collect();
                    let mut err = ServerError::new(format!("{field} needs the {} scope", names.join(" or ")), None);
                    err.path = vec![async_graphql::PathSegment::Field(field.to_string())];
                    let mut ext = ErrorExtensionValues::default();
                    ext.set("code", "FORBIDDEN");
                    err.extensions = Some(ext);
                    return Err(err);
                }
            }
        }
        Ok(doc)
    }
}

/// The names of the root fields a selection set runs, through fragments (bounded depth: a cyclic
/// fragment is the validator's to refuse).
fn root_fields<'d>(doc: &'d ExecutableDocument, set: &'d SelectionSet, out: &mut Vec<&'d str>, depth: usize) {
    if depth > 16 {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => out.push(f.node.name.node.as_str()),
            Selection::InlineFragment(f) => root_fields(doc, &f.node.selection_set.node, out, depth + 1),
            Selection::FragmentSpread(s) => {
                if let Some(frag) = doc.fragments.get(&s.node.fragment_name.node) {
                    root_fields(doc, &frag.node.selection_set.node, out, depth + 1);
                }
            }
        }
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

    #[test]
    fn root_fields_are_found_through_fragments() {
        let doc = async_graphql::parser::parse_query(
            "mutation { a: createLead(input: {}) { id } ...F ... on MutationRoot { refreshSummaries(entityType: LEAD) } }
             fragment F on MutationRoot { trackEvents(events: []) { count } }",
        )
        .unwrap();
        let DocumentOperations::Single(op) = &doc.operations else { panic!("one operation") };
        let mut fields = Vec::new();
        root_fields(&doc, &op.node.selection_set.node, &mut fields, 0);
        fields.sort_unstable();
        assert_eq!(fields, ["createLead", "refreshSummaries", "trackEvents"]);
    }
}
