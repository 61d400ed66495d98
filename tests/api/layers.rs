//! SQL lives in `src/repo/` (ARCHITECTURE.md, "Layers and where things go"): services orchestrate
//! through `repo` functions, resolvers translate. This scans `src/services/` and `src/graphql/` (the
//! data generator is `src/seed/`, outside them) for SeaORM query building and raw SQL and names the
//! file and line of each call, and for a table named by a string instead of its catalogue entry. No
//! server needed.
//!
//! The patterns are the query builders themselves, not look-alikes: `.insert(` and `.update(`
//! count only with a database connection as their argument (a `HashSet::insert` or an HMAC's
//! `update` is not SQL), `.all(`/`.count(` likewise (an iterator's `all(|x| …)`/`count()` is not).

use std::path::{Path, PathBuf};

/// Folders that may not build queries.
const SCANNED: &[&str] = &["src/services", "src/graphql"];

/// Text that is a SeaORM query or statement wherever it appears.
const ALWAYS: &[(&str, &str)] = &[
    ("::find(", "an entity finder"),
    ("::find_by_id(", "an entity finder"),
    ("::insert(", "an entity insert"),
    ("::insert_many(", "an entity insert"),
    ("update_many", "an entity update"),
    ("delete_many", "an entity delete"),
    ("::delete_by_id(", "an entity delete"),
    ("Query::select", "a sea-query statement"),
    ("Query::insert", "a sea-query statement"),
    ("Query::update", "a sea-query statement"),
    ("Query::delete", "a sea-query statement"),
    (".into_active_model()", "an ActiveModel built to be written"),
    ("am.insert(", "an ActiveModel insert"),
    ("am.update(", "an ActiveModel update"),
    (".one(", "a query's fetch"),
    (".execute(", "a statement executed"),
    (".execute_raw(", "a statement executed"),
    (".execute_unprepared(", "a statement executed"),
    (".query_all(", "a statement executed"),
    (".query_one(", "a statement executed"),
    (".query_all_raw(", "a statement executed"),
    (".query_one_raw(", "a statement executed"),
];

/// Identifiers that exist only to build queries (the traits that bring `filter`, `order_by_*`,
/// `limit`, `count` into scope, and raw statements).
const QUERY_WORDS: &[&str] = &["QueryFilter", "QuerySelect", "QueryOrder", "QueryTrait", "PaginatorTrait", "Statement"];

/// Methods that run a query when their argument is a connection.
const RUNNERS: &[&str] = &[
    ".all(",
    ".count(",
    ".insert(",
    ".update(",
    ".delete(",
    ".save(",
    ".exec(",
    ".exec_with_returning(",
    ".exec_without_returning(",
];

/// How services and resolvers name a connection or transaction.
const CONNECTIONS: &[&str] =
    &["db", "&db", "txn", "&txn", "&**w", "&*w", "conn", "&conn", "self.db", "&self.db", "store.db", "&store.db"];

/// sea-query items that are types, not statements (a column's `StringLen`).
const SEA_QUERY_TYPES: &[&str] = &["StringLen"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(path).expect("read dir").map(|e| e.expect("dir entry").path()).collect();
        entries.sort();
        for entry in entries {
            collect(&entry, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `word` occurs in `code` as a whole identifier.
fn has_word(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + word.len()..].chars().next();
        !before.is_some_and(is_ident_char) && !after.is_some_and(is_ident_char)
    })
}

/// The first argument of each call of `method` (`.all(`) in `code`.
fn first_arguments<'a>(code: &'a str, method: &str) -> impl Iterator<Item = &'a str> {
    code.match_indices(method).map(move |(at, _)| {
        let rest = &code[at + method.len()..];
        let end = rest.find([')', ',']).unwrap_or(rest.len());
        rest[..end].trim()
    })
}

/// `sea_query::` paths to anything but a type-only item.
fn sea_query_statement(code: &str) -> bool {
    const PATH: &str = "sea_query::";
    code.match_indices(PATH).any(|(at, _)| {
        let rest = &code[at + PATH.len()..];
        let items = match rest.strip_prefix('{') {
            Some(group) => match group.find('}') {
                Some(end) => &group[..end],
                // A group continued on the next line: its items are not all on this one.
                None => return true,
            },
            None => &rest[..rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len())],
        };
        items.split(',').map(str::trim).filter(|i| !i.is_empty()).any(|i| !SEA_QUERY_TYPES.contains(&i))
    })
}

/// Why a line of code builds or runs a query, if it does.
fn query_in(code: &str) -> Option<String> {
    if let Some((pattern, what)) = ALWAYS.iter().find(|(p, _)| code.contains(p)) {
        return Some(format!("{what} (`{pattern}`)"));
    }
    if let Some(word) = QUERY_WORDS.iter().find(|w| has_word(code, w)) {
        return Some(format!("a query-building item (`{word}`)"));
    }
    for method in RUNNERS {
        if let Some(arg) = first_arguments(code, method).find(|arg| CONNECTIONS.contains(arg)) {
            return Some(format!("a query run on a connection (`{method}{arg})`)"));
        }
    }
    if sea_query_statement(code) {
        return Some("a sea-query import or path (`sea_query::`)".into());
    }
    None
}

/// The code of a line: comments are prose, not calls.
fn code_of(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return None;
    }
    Some(match line.find(" // ") {
        Some(at) => &line[..at],
        None => line,
    })
}

/// `(path from the root, text)` of every source file in the scanned folders.
fn scanned_sources() -> Vec<(String, String)> {
    let root = root();
    let mut files = Vec::new();
    for dir in SCANNED {
        collect(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "the scanned folders moved: {files:?}");
    files
        .into_iter()
        .map(|path| {
            let file = path.strip_prefix(&root).expect("under the root").to_string_lossy().replace('\\', "/");
            (file, std::fs::read_to_string(&path).expect("read source"))
        })
        .collect()
}

#[test]
fn services_and_resolvers_reach_the_database_only_through_repo() {
    let mut problems = Vec::new();
    for (file, text) in scanned_sources() {
        for (i, line) in text.lines().enumerate() {
            if let Some(why) = code_of(line).and_then(query_in) {
                problems.push(format!("{file}:{}: {why}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "SQL outside src/repo/ (move it into a repo function, typed by entity):\n{}",
        problems.join("\n")
    );
}

/// The quoted table names in a line of code (`"lead"`), when they name a catalogued table.
fn table_names_in(code: &str) -> Vec<&'static str> {
    cdp360::catalog::ALL.iter().map(|f| f.table.name).filter(|t| code.contains(&format!("\"{t}\""))).collect()
}

#[test]
fn services_and_resolvers_name_tables_only_through_the_catalogue() {
    let mut problems = Vec::new();
    for (file, text) in scanned_sources() {
        // A module's unit tests may spell their fixtures out.
        for (i, line) in text.lines().enumerate().take_while(|(_, l)| l.trim() != "#[cfg(test)]") {
            for table in code_of(line).map(table_names_in).unwrap_or_default() {
                problems.push(format!("{file}:{}: \"{table}\": {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "a table named by a string (use the entity's catalogue entry, `<E as Catalogued>::TABLE`):\n{}",
        problems.join("\n")
    );
    assert_eq!(table_names_in(r#"refs.add("tagId", "tag", "tag_id", id)"#), ["tag"]);
    assert!(table_names_in(r#"w.set("lead_name", v)"#).is_empty());
}

#[test]
fn the_layer_check_tells_queries_from_look_alikes() {
    let queries = [
        "let lead = lead::Entity::find_by_id(id).one(txn).await?;",
        "E::find().filter(pk.eq(id))",
        "model.into_active_model().insert(txn).await?;",
        "let created = am.insert(&**w).await?;",
        "let updated = am.update(&**w).await?;",
        "tag_relation::Entity::delete_many()",
        ".all(db)",
        "let n = query.count(db).await?;",
        "use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};",
        "use sea_orm::sea_query::{Alias, Expr};",
        "let stmt = Statement::from_sql_and_values(backend, sql, values);",
        "let mut q = Query::update();",
        "db.execute(&q).await?",
    ];
    for line in queries {
        assert!(query_in(line).is_some(), "not recognised as a query: {line}");
    }
    let look_alikes = [
        "if !seen.insert(id.as_str()) {",
        "mac.update(data);",
        "ids.iter().all(|id| id.starts_with(\"ACC\"))",
        "let n = rows.iter().count();",
        "self.memo.insert(name, d);",
        "async fn execute(&self, ctx: &ExtensionContext<'_>) {}",
        "    sea_query::StringLen,",
        "let found = repo::write::find_by_id::<lead::Entity>(txn, id).await?;",
        "let am: E::ActiveModel = sea_orm::IntoActiveModel::into_active_model(current.clone());",
        "// Entity::find() in a comment",
    ];
    for line in look_alikes {
        assert_eq!(code_of(line).and_then(query_in), None, "{line}");
    }
}
