//! Lower layers do not reach up (ARCHITECTURE.md, "Layers and where things go"): http → graphql →
//! services → repo → entity, with domain, auth and crypto as leaves, and the data generator
//! (`seed`) beside services, above them. A scan of the `crate::` paths
//! (and, inside `graphql/`, the `super::` ones) of every source file; comments are skipped, since
//! they may name what a module must not do. No server needed.

use std::path::{Path, PathBuf};

/// (files under, top-level modules of the crate they must not name).
const RULES: &[(&str, &[&str])] = &[
    ("src/domain/", &["services", "graphql", "http", "repo", "telemetry", "config", "seed"]),
    ("src/auth/", &["services", "graphql", "http", "repo", "telemetry", "config", "seed"]),
    ("src/crypto/", &["services", "graphql", "http", "repo", "telemetry", "config", "seed"]),
    ("src/repo/", &["services", "graphql", "http", "seed"]),
    ("src/services/", &["graphql", "http", "seed"]),
    ("src/config.rs", &["services"]),
];

/// Inside `graphql/`, the generic mechanism is layered too: the traits (`resource.rs`), the
/// loaders, the connections, the macros, then the registrations (`model.rs`).
const GRAPHQL_RULES: &[(&str, &[&str])] = &[
    ("src/graphql/resource.rs", &["loaders", "connection", "resource_macros", "model"]),
    ("src/graphql/loaders.rs", &["connection", "resource_macros", "model"]),
    ("src/graphql/connection.rs", &["resource_macros", "model"]),
    ("src/graphql/resource_macros.rs", &["model"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The first module of every path after `prefix` in `code`, with its byte offset:
/// `crate::repo::page` → `repo`, and each member of a group, `crate::{auth, db::connect}` → `auth`,
/// `db` (a group may span lines, as rustfmt wraps long ones).
fn named_after(code: &str, prefix: &str) -> Vec<(usize, String)> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    let mut found = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        // `xcrate::` or `my_super::` is another name.
        if code[..i].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let at = i + prefix.len();
        let Some(group) = code[at..].strip_prefix('{') else {
            found.push((i, ident(&code[at..])));
            continue;
        };
        // Members at depth 0 of the group, up to its closing brace.
        let (mut depth, mut start) = (0, 0);
        for (j, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' | ',' if depth == 0 => {
                    found.push((i, ident(group[start..j].trim_start())));
                    start = j + 1;
                    if c == '}' {
                        break;
                    }
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
    }
    found.retain(|(_, m)| !m.is_empty());
    found
}

/// `file:line: prefix+module` for every module in `forbidden` that the code of `files` names after
/// one of `prefixes`.
fn violations(root: &Path, files: &[PathBuf], prefixes: &[&str], forbidden: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).expect("read source");
        let file = path.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
        // Comment lines blanked, so offsets still give line numbers.
        let code: Vec<&str> = text.lines().map(|l| if l.trim_start().starts_with("//") { "" } else { l }).collect();
        let code = code.join("\n");
        for prefix in prefixes {
            for (at, module) in named_after(&code, prefix) {
                if forbidden.contains(&module.as_str()) {
                    let line = code[..at].matches('\n').count() + 1;
                    out.push(format!("{file}:{line}: {prefix}{module}"));
                }
            }
        }
    }
    out
}

fn files_under(root: &Path, under: &str) -> Vec<PathBuf> {
    let path = root.join(under);
    let mut files = Vec::new();
    if path.is_dir() {
        rust_files(&path, &mut files);
    } else {
        files.push(path);
    }
    assert!(!files.is_empty() && files.iter().all(|f| f.exists()), "{under}: nothing to scan");
    files
}

#[test]
fn paths_are_read_as_modules() {
    let modules =
        |code: &str, prefix: &str| -> Vec<String> { named_after(code, prefix).into_iter().map(|(_, m)| m).collect() };
    assert_eq!(modules("use crate::repo::page::{Link, Order};", "crate::"), ["repo"]);
    assert_eq!(modules("use crate::{auth, db::connect, services::{a, b}};", "crate::"), ["auth", "db", "services"]);
    assert_eq!(modules("use crate::{\n    auth,\n    http::serve,\n};", "crate::"), ["auth", "http"]);
    assert_eq!(modules("$crate::graphql::model::Node", "crate::"), ["graphql"]);
    assert_eq!(modules("my_super::x; super::model::Node", "super::"), ["model"]);
}

#[test]
fn lower_layers_do_not_import_higher_ones() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for (under, forbidden) in RULES {
        problems.extend(violations(&root, &files_under(&root, under), &["crate::"], forbidden));
    }
    for (file, forbidden) in GRAPHQL_RULES {
        problems.extend(violations(&root, &files_under(&root, file), &["super::", "crate::graphql::"], forbidden));
    }
    assert!(
        problems.is_empty(),
        "a lower layer names a higher one (ARCHITECTURE.md, layers):\n{}",
        problems.join("\n")
    );
}
