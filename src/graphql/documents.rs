//! Parsed documents by query text. Clients send a handful of distinct queries over and over (an
//! app's queries are fixed strings with variables), and parsing one costs more CPU than the
//! compiled read path's whole work for a small read: the HTTP handler parses each request once
//! here — for the mutation check and for the executor, which takes the document as parsed
//! (`Request::set_parsed_query`) — and a repeated query is not parsed at all.
//!
//! Bounded on both axes: queries longer than [`MAX_QUERY_BYTES`] are parsed every time and never
//! kept, and at most [`MAX_ENTRIES`] documents are kept; when full, the map starts over (a client
//! cycling through more distinct queries only loses the cache's benefit, never memory). A query
//! that does not parse is not kept: the executor reports its syntax error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;

/// Documents kept at most.
const MAX_ENTRIES: usize = 512;
/// Longer query texts are not kept (an app's queries are a few KiB; a huge one is rare or hostile).
const MAX_QUERY_BYTES: usize = 16 * 1024;

#[derive(Default)]
pub struct Documents {
    parsed: Mutex<HashMap<Box<str>, Arc<ExecutableDocument>>>,
}

impl Documents {
    /// The document of `query`, from the cache or parsed now; `None` when it does not parse.
    pub fn parse(&self, query: &str) -> Option<Arc<ExecutableDocument>> {
        if let Some(doc) = self.lock().get(query) {
            return Some(doc.clone());
        }
        let doc = Arc::new(async_graphql::parser::parse_query(query).ok()?);
        if query.len() <= MAX_QUERY_BYTES {
            let mut parsed = self.lock();
            if parsed.len() >= MAX_ENTRIES {
                parsed.clear();
            }
            parsed.insert(query.into(), doc.clone());
        }
        Some(doc)
    }

    /// The document of `query` if it is kept (no parsing).
    pub fn cached(&self, query: &str) -> Option<Arc<ExecutableDocument>> {
        self.lock().get(query).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Arc<ExecutableDocument>>> {
        self.parsed.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_query_is_served_from_the_cache_and_a_bad_one_is_never_kept() {
        let docs = Documents::default();
        let first = docs.parse("{ a }").unwrap();
        let again = docs.parse("{ a }").unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the second parse is the kept document");
        assert!(docs.parse("{ a ").is_none());
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn the_cache_stays_bounded_in_entries_and_in_query_size() {
        let docs = Documents::default();
        for i in 0..MAX_ENTRIES + 10 {
            docs.parse(&format!("{{ a{i} }}")).unwrap();
        }
        assert!(docs.len() <= MAX_ENTRIES);
        let long = format!("{{ a {} }}", " ".repeat(MAX_QUERY_BYTES));
        assert!(docs.parse(&long).is_some());
        assert!(docs.cached(&long).is_none(), "a long query is parsed, not kept");
    }
}
