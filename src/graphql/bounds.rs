//! Bounds on every recursive input, checked before anything recurses on it (README "Security"):
//! the GraphQL parser, the validator, input coercion, filter translation and SQL building all
//! recurse over the nesting of the document and of the variables, and a 1.6 kB query nested a few
//! hundred levels deep used to overflow a worker's stack and abort the whole process.
//!
//! 1. [`check_text`]: one linear, non-recursive pass over the query text before it is parsed,
//!    refusing bracket nesting (`{`, `[`, `(`) deeper than `max_depth`.
//! 2. [`check_variables`]: an iterative walk of the variables (already bounded by serde_json's own
//!    recursion limit of 128 when the body was read), refusing nesting deeper than `max_depth`,
//!    lists and objects of more than `max_items`, and NUL characters.
//! 3. [`check_document`]: after parsing (the document is now known to be shallow), every argument
//!    value and every selection set: at most `max_items` entries each, no NUL character in a
//!    string or an object key (PostgreSQL cannot store one, and no field of the model needs it).
//!
//! Each refusal is `BAD_USER_INPUT` and names where it is (`$filter`, `leads.filter.and[0]…`).
//! `graphql::limits::RequestLimits` runs all three for every transport (HTTP and WebSocket); HTTP
//! also calls [`check_request`] before its own early look at the operation type.

use std::fmt::Write as _;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Name, Request, ServerError, Value, Variables};

/// The limits, from `config::QueryLimits`.
#[derive(Clone, Copy, Debug)]
pub struct InputLimits {
    /// Nesting levels of brackets in the query text and of lists/objects in the variables.
    pub max_depth: usize,
    /// Entries of one list, object or selection set.
    pub max_items: usize,
}

impl From<&crate::config::QueryLimits> for InputLimits {
    fn from(l: &crate::config::QueryLimits) -> Self {
        InputLimits { max_depth: l.max_input_depth, max_items: l.max_input_items }
    }
}

/// A refused input: its message names the place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl Refused {
    pub fn into_server_error(self) -> ServerError {
        let mut err = ServerError::new(self.0, None);
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", "BAD_USER_INPUT");
        err.extensions = Some(ext);
        err
    }
}

/// The text and the variables of a request, before anything parses the text.
pub fn check_request(req: &Request, limits: InputLimits) -> Result<(), Refused> {
    check_text(&req.query, limits)?;
    check_variables(&req.variables, limits)
}

/// Bracket nesting of the query text, in one pass that skips strings, block strings and
/// comments. Not a parser: a malformed text that passes is the parser's to refuse.
pub fn check_text(query: &str, limits: InputLimits) -> Result<(), Refused> {
    let bytes = query.as_bytes();
    let (mut depth, mut line, mut i) = (0usize, 1usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 3;
                    }
                    line += usize::from(bytes[i] == b'\n');
                    i += 1;
                }
                i += 3;
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(Refused(format!(
                        "the query is nested deeper than {} levels (line {line})",
                        limits.max_depth
                    )));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Depth, width and NUL characters of the variables, without recursion.
pub fn check_variables(vars: &Variables, limits: InputLimits) -> Result<(), Refused> {
    check_width(vars.len(), limits, || "the variables".into())?;
    let mut stack: Vec<(&Name, &Value, usize)> = vars.iter().map(|(name, v)| (name, v, 1)).collect();
    while let Some((var, value, depth)) = stack.pop() {
        if depth > limits.max_depth {
            return Err(Refused(format!("${var} is nested deeper than {} levels", limits.max_depth)));
        }
        match value {
            Value::String(s) => no_nul(s, || format!("${var}"))?,
            Value::List(items) => {
                check_width(items.len(), limits, || format!("${var}"))?;
                stack.extend(items.iter().map(|v| (var, v, depth + 1)));
            }
            Value::Object(map) => {
                check_width(map.len(), limits, || format!("${var}"))?;
                for (key, v) in map {
                    no_nul(key, || format!("${var}"))?;
                    stack.push((var, v, depth + 1));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Width and NUL characters of a parsed document's selection sets and argument literals.
/// Recursive, but only over a document whose text nesting [`check_text`] has bounded.
pub fn check_document(doc: &ExecutableDocument, limits: InputLimits) -> Result<(), Refused> {
    let sets = doc.operations.iter().map(|(_, op)| &op.node.selection_set.node);
    let fragments = doc.fragments.values().map(|f| &f.node.selection_set.node);
    for set in sets.chain(fragments) {
        check_selection_set(set, limits, "")?;
    }
    Ok(())
}

fn check_selection_set(set: &SelectionSet, limits: InputLimits, path: &str) -> Result<(), Refused> {
    check_width(set.items.len(), limits, || {
        format!("the selection of `{}`", if path.is_empty() { "the operation" } else { path })
    })?;
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let name = f.node.response_key().node.as_str();
                let here = if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
                for (arg, value) in &f.node.arguments {
                    check_value(&value.node, limits, &mut format!("{here}.{}", arg.node))?;
                }
                check_selection_set(&f.node.selection_set.node, limits, &here)?;
            }
            Selection::InlineFragment(f) => check_selection_set(&f.node.selection_set.node, limits, path)?,
            Selection::FragmentSpread(_) => {}
        }
    }
    Ok(())
}

fn check_value(value: &async_graphql_value::Value, limits: InputLimits, path: &mut String) -> Result<(), Refused> {
    use async_graphql_value::Value as V;
    match value {
        V::String(s) => no_nul(s, || path.clone()),
        V::List(items) => {
            check_width(items.len(), limits, || format!("`{path}`"))?;
            let len = path.len();
            for (i, item) in items.iter().enumerate() {
                let _ = write!(path, "[{i}]");
                check_value(item, limits, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        V::Object(map) => {
            check_width(map.len(), limits, || format!("`{path}`"))?;
            let len = path.len();
            for (key, item) in map {
                no_nul(key, || path.clone())?;
                let _ = write!(path, ".{key}");
                check_value(item, limits, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_width(len: usize, limits: InputLimits, place: impl FnOnce() -> String) -> Result<(), Refused> {
    if len > limits.max_items {
        return Err(Refused(format!("{} holds {len} entries; at most {} are allowed", place(), limits.max_items)));
    }
    Ok(())
}

fn no_nul(s: &str, place: impl FnOnce() -> String) -> Result<(), Refused> {
    if s.contains('\0') {
        return Err(Refused(format!("`{}` contains a NUL character (\\u0000), which no field accepts", place())));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: InputLimits = InputLimits { max_depth: 8, max_items: 3 };

    fn nested(n: usize) -> String {
        format!("{{ leads(filter: {}{}) {{ id }} }}", "{and: [".repeat(n), "]}".repeat(n))
    }

    #[test]
    fn nesting_within_the_limit_passes_and_beyond_it_is_refused_with_its_line() {
        assert_eq!(check_text(&nested(2), LIMITS), Ok(()));
        let err = check_text(&format!("\n{}", nested(100_000)), LIMITS).unwrap_err();
        assert!(err.0.contains("deeper than 8 levels (line 2)"), "{}", err.0);
    }

    #[test]
    fn brackets_inside_strings_block_strings_and_comments_do_not_count() {
        let q = format!("{{ a(x: \"{0}\", y: \"\"\"{0} \\\"\"\" {0}\"\"\") # {0}\n {{ b }} }}", "{[(".repeat(50));
        assert_eq!(check_text(&q, LIMITS), Ok(()));
    }

    #[test]
    fn variables_are_bounded_in_depth_and_width_and_refuse_nul() {
        let vars = |v: serde_json::Value| Variables::from_json(serde_json::json!({ "f": v }));
        let mut deep = serde_json::json!(1);
        for _ in 0..20 {
            deep = serde_json::json!([deep]);
        }
        assert!(check_variables(&vars(deep), LIMITS).unwrap_err().0.contains("$f is nested deeper"));
        let wide = check_variables(&vars(serde_json::json!([1, 2, 3, 4])), LIMITS).unwrap_err();
        assert!(wide.0.contains("$f holds 4 entries; at most 3"), "{}", wide.0);
        let nul = check_variables(&vars(serde_json::json!({ "a\u{0}": 1 })), LIMITS).unwrap_err();
        assert!(nul.0.contains("NUL"), "{}", nul.0);
        assert_eq!(check_variables(&vars(serde_json::json!({ "a": [1, 2, 3] })), LIMITS), Ok(()));
    }

    #[test]
    fn literals_name_the_argument_path_that_is_refused() {
        let doc =
            async_graphql::parser::parse_query(r#"{ x: leads(filter: {and: [{leadName: {eq: "a\u0000"}}]}) { id } }"#)
                .unwrap();
        let err = check_document(&doc, LIMITS).unwrap_err();
        assert!(err.0.contains("`x.filter.and[0].leadName.eq` contains a NUL"), "{}", err.0);
        let doc =
            async_graphql::parser::parse_query("{ leads(filter: {id: {in: [\"1\", \"2\", \"3\", \"4\"]}}) { id } }")
                .unwrap();
        let err = check_document(&doc, LIMITS).unwrap_err();
        assert!(err.0.contains("`leads.filter.id.in` holds 4 entries"), "{}", err.0);
    }
}
