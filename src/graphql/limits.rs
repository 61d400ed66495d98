//! Query hygiene that async-graphql does not provide itself: an alias limit, checked right after
//! parsing (before validation and before any resolver or SQL runs), for HTTP and WebSocket alike.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};

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
