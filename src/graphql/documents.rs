//! Parsed documents by query text, each with the validation results it has earned. Clients send
//! a handful of distinct queries over and over (an app's queries are fixed strings with
//! variables), and parsing one costs more CPU than the compiled read path's whole work for a small
//! read: the HTTP handler parses each request once here — for the mutation check and for the
//! executor, which takes the document as parsed (`Request::set_parsed_query`) — and a repeated
//! query is not parsed at all.
//!
//! Validation (async-graphql's rules, complexity and depth) is the next fixed cost of a request,
//! and for a repeated query it is repeated work: its outcome depends on the schema, the document,
//! the selected operation and the variables' values, and the schema is this cache's own (one
//! `Documents` per schema). [`ValidationKey`] states which values can change it. A variable
//! declared `String`, `String!`, `ID` or `ID!` can only stand where a String or ID is expected
//! (the rule "variables in allowed position"), and every JSON string is a valid String and ID
//! (this schema has no input validators), so any string value validates alike: such values are
//! left out of the key. Every other value — numbers such as `first`, which the complexity
//! depends on; objects, lists, nulls; a string where the declared type is not String or ID —
//! is in the key as it is. Only successes are kept: a refused request is validated again and
//! gets its errors. A document with more than one operation is not kept (the complexity of an
//! unselected operation reads the request's variables too; apps send one operation).
//!
//! The request limits' checks of a document (`graphql::limits`: its width, aliases and depth)
//! depend on the document alone: their outcome is kept with it too ([`Entry::checked`]).
//!
//! Bounded on every axis: queries longer than [`MAX_QUERY_BYTES`] are parsed every time and never
//! kept, and at most [`MAX_ENTRIES`] documents are kept; when full, the map starts over (a client
//! cycling through more distinct queries only loses the cache's benefit, never memory). A query
//! that does not parse is not kept: the executor reports its syntax error. Each document keeps at
//! most [`MAX_VALIDATED`] validation results, each under a key of at most [`MAX_KEY_BYTES`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use async_graphql::parser::types::{BaseType, DocumentOperations, ExecutableDocument};
use async_graphql::{ServerError, ValidationResult, Value as ConstValue, Variables};

/// Documents kept at most.
const MAX_ENTRIES: usize = 512;
/// Longer query texts are not kept (an app's queries are a few KiB; a huge one is rare or hostile).
const MAX_QUERY_BYTES: usize = 16 * 1024;
/// Validation results kept per document (distinct operation names and non-string values).
const MAX_VALIDATED: usize = 16;
/// Longer validation keys (large list or object variables) are validated every time.
const MAX_KEY_BYTES: usize = 512;

#[derive(Default)]
pub struct Documents {
    parsed: Mutex<HashMap<Box<str>, Arc<Entry>>>,
}

/// A query's document, and its entry when it is kept. The HTTP handler looks a query up once and
/// hands the entry to the executor's extensions as request data ([`KeptDocument`]), rather than
/// each of them hashing the query text again.
pub struct Parsed {
    pub doc: Arc<ExecutableDocument>,
    pub kept: Option<Arc<Entry>>,
}

/// Request data: the kept entry of the request's own query (see [`Parsed`]).
#[derive(Clone)]
pub struct KeptDocument(pub Arc<Entry>);

impl Documents {
    /// The entry of the query being executed: the one its handler passed along, or by its text
    /// (WebSocket operations come without one).
    pub fn entry_for(&self, passed: Option<&KeptDocument>, query: &str) -> Option<Arc<Entry>> {
        match passed {
            Some(KeptDocument(entry)) => Some(entry.clone()),
            None => self.cached(query),
        }
    }
}

/// A kept document and the validations it passed.
pub struct Entry {
    pub doc: Arc<ExecutableDocument>,
    validated: Mutex<HashMap<ValidationKey, ValidationResult>>,
    checked: OnceLock<Result<(), ServerError>>,
}

impl Documents {
    /// The document of `query`, from the cache or parsed now; `None` when it does not parse.
    pub fn parse(&self, query: &str) -> Option<Parsed> {
        if let Some(entry) = lock(&self.parsed).get(query) {
            return Some(Parsed { doc: entry.doc.clone(), kept: Some(entry.clone()) });
        }
        let doc = Arc::new(async_graphql::parser::parse_query(query).ok()?);
        let mut kept = None;
        if query.len() <= MAX_QUERY_BYTES {
            let mut parsed = lock(&self.parsed);
            if parsed.len() >= MAX_ENTRIES {
                parsed.clear();
            }
            let entry = Arc::new(Entry { doc: doc.clone(), validated: Mutex::default(), checked: OnceLock::new() });
            parsed.insert(query.into(), entry.clone());
            kept = Some(entry);
        }
        Some(Parsed { doc, kept })
    }

    /// The entry of `query` if it is kept (no parsing).
    pub fn cached(&self, query: &str) -> Option<Arc<Entry>> {
        lock(&self.parsed).get(query).cloned()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.parsed).len()
    }
}

impl Entry {
    /// The outcome of `check`, a function of the document alone, run on its first request.
    pub fn checked(&self, check: impl FnOnce() -> Result<(), ServerError>) -> Result<(), ServerError> {
        self.checked.get_or_init(check).clone()
    }

    /// The result of an earlier successful validation under `key`.
    pub fn validated(&self, key: &ValidationKey) -> Option<ValidationResult> {
        lock(&self.validated).get(key).copied()
    }

    /// Keeps a successful validation's result under `key`.
    pub fn remember(&self, key: ValidationKey, result: ValidationResult) {
        let mut validated = lock(&self.validated);
        if validated.len() >= MAX_VALIDATED {
            validated.clear();
        }
        validated.insert(key, result);
    }
}

/// What, besides the document, a validation's outcome depends on: the operation name and the
/// variables' values other than strings of String and ID variables (module documentation).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ValidationKey {
    operation: Option<Box<str>>,
    values: Box<str>,
}

impl ValidationKey {
    /// The key of validating `doc`'s operation `operation` with `variables`; `None` when the
    /// outcome is not to be kept (more than one operation, or values too long to key).
    pub fn of(doc: &ExecutableDocument, operation: Option<&str>, variables: &Variables) -> Option<ValidationKey> {
        let op = match &doc.operations {
            DocumentOperations::Single(op) => op,
            DocumentOperations::Multiple(ops) if ops.len() == 1 => ops.values().next()?,
            DocumentOperations::Multiple(_) => return None,
        };
        let mut values = String::new();
        for def in &op.node.variable_definitions {
            let (name, ty) = (&def.node.name.node, &def.node.var_type.node);
            let any_string = matches!(&ty.base, BaseType::Named(t) if t == "String" || t == "ID");
            match variables.get(name) {
                Some(ConstValue::String(_)) if any_string => write!(values, "{name}:*;"),
                Some(v) => write!(values, "{name}={v};"),
                None => write!(values, "{name}-;"),
            }
            .ok()?;
            if values.len() > MAX_KEY_BYTES {
                return None;
            }
        }
        Some(ValidationKey { operation: operation.map(Into::into), values: values.into() })
    }
}

/// A mutex's guard, poisoned or not: the caches behind these locks hold no invariant a panic
/// could break halfway. Shared with `graphql::order`.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_repeated_query_is_served_from_the_cache_and_a_bad_one_is_never_kept() {
        let docs = Documents::default();
        let first = docs.parse("{ a }").unwrap();
        let again = docs.parse("{ a }").unwrap();
        assert!(Arc::ptr_eq(&first.doc, &again.doc), "the second parse is the kept document");
        assert!(Arc::ptr_eq(first.kept.as_ref().unwrap(), again.kept.as_ref().unwrap()));
        assert!(docs.parse("{ a ").is_none());
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn a_kept_documents_check_runs_once_and_its_outcome_is_kept_refusals_too() {
        let docs = Documents::default();
        docs.parse("{ a }").unwrap();
        let entry = docs.cached("{ a }").unwrap();
        let refused = || Err(ServerError::new("too deep", None));
        assert_eq!(entry.checked(refused).unwrap_err().message, "too deep");
        let again = entry.checked(|| unreachable!("the outcome is kept"));
        assert_eq!(again.unwrap_err().message, "too deep");
    }

    #[test]
    fn the_cache_stays_bounded_in_entries_and_in_query_size() {
        let docs = Documents::default();
        for i in 0..MAX_ENTRIES + 10 {
            docs.parse(&format!("{{ a{i} }}")).unwrap();
        }
        assert!(docs.len() <= MAX_ENTRIES);
        let long = format!("{{ a {} }}", " ".repeat(MAX_QUERY_BYTES));
        assert!(docs.parse(&long).is_some_and(|p| p.kept.is_none()));
        assert!(docs.cached(&long).is_none(), "a long query is parsed, not kept");
    }

    fn key(query: &str, operation: Option<&str>, variables: serde_json::Value) -> Option<ValidationKey> {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        ValidationKey::of(&doc, operation, &Variables::from_json(variables))
    }

    #[test]
    fn strings_of_string_and_id_variables_share_a_validation_and_every_other_value_is_keyed() {
        let q = "query Q($id: ID!, $s: String, $n: Int, $f: LeadFilter) { a }";
        let base = key(q, None, json!({ "id": "x", "s": "y", "n": 1 })).unwrap();
        assert_eq!(key(q, None, json!({ "id": "other", "s": "", "n": 1 })), Some(base.clone()));
        for different in [
            json!({ "id": "x", "s": "y", "n": 2 }),
            json!({ "id": 7, "s": "y", "n": 1 }),
            json!({ "id": "x", "s": null, "n": 1 }),
            json!({ "id": "x", "n": 1 }),
            json!({ "id": "x", "s": "y", "n": 1, "f": { "leadName": { "eq": "z" } } }),
        ] {
            assert_ne!(key(q, None, different.clone()), Some(base.clone()), "{different}");
        }
        assert_ne!(key(q, Some("Q"), json!({ "id": "x", "s": "y", "n": 1 })), Some(base));
        // A string where the declared type is not String or ID is keyed by its value.
        let e = "query($e: LeadStatus) { a }";
        assert_ne!(key(e, None, json!({ "e": "NEW" })), key(e, None, json!({ "e": "X" })));
        let list = "query($l: [String!]) { a }";
        assert_ne!(key(list, None, json!({ "l": ["a"] })), key(list, None, json!({ "l": ["b"] })));
    }

    #[test]
    fn documents_of_several_operations_and_long_values_are_validated_every_time() {
        assert!(key("query A { a } query B { b }", Some("A"), json!({})).is_none());
        let long: Vec<i32> = (0..1000).collect();
        assert!(key("query($v: [Int!]) { a }", None, json!({ "v": long })).is_none());
    }

    #[test]
    fn a_document_keeps_a_bounded_number_of_validations() {
        let docs = Documents::default();
        docs.parse("query($n: Int) { a }").unwrap();
        let entry = docs.cached("query($n: Int) { a }").unwrap();
        let result = ValidationResult { cache_control: Default::default(), complexity: 3, depth: 1 };
        for n in 0..MAX_VALIDATED + 5 {
            let k = key("query($n: Int) { a }", None, json!({ "n": n })).unwrap();
            entry.remember(k.clone(), result);
            assert_eq!(entry.validated(&k).map(|r| r.complexity), Some(3));
        }
        assert!(lock(&entry.validated).len() <= MAX_VALIDATED);
    }
}
