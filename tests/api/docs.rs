//! Comments and docs cite only what is in the repository. The product owner's design contract and the
//! facts of the data model were copied into `docs/` (docs/sources.md says where they came from), so a
//! citation of a file outside the repository is a mistake, and so is a `docs/…` path, a relative
//! Markdown link or a `docs/design.md §N` section that does not exist. No server needed.

use std::path::{Path, PathBuf};

/// Everything a newcomer reads beside the code.
const SCANNED: &[&str] = &["src", "entity", "migration", "benches", "tests", "README.md", "ARCHITECTURE.md", "docs"];

/// The one page that names the source documents outside the repository: it says what they are.
const SOURCES_PAGE: &str = "docs/sources.md";

// Built with `concat!` so that this file does not cite what it looks for.
/// A design contract's file name, in any case: only `docs/design.md`, in lower case, is in the
/// repository (the product owner's own copy is spelled in capitals).
const DESIGN_FILE: &str = concat!("design", ".md");
/// The source documents, cited by number or by their folder.
const SOURCE_BY_NUMBER: &str = concat!("seed", " 00");
const SOURCE_FOLDER: &str = concat!("seeds", "/");
/// The shared folder they live in.
const SHARED_FOLDER: &str = concat!("/work", "/shared");

struct Line {
    /// Path relative to the repository root, with `/` separators.
    file: String,
    /// 1-based.
    number: usize,
    text: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        if path.file_name().is_some_and(|n| n == "target") {
            return;
        }
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(path).expect("read dir").map(|e| e.expect("dir entry").path()).collect();
        entries.sort();
        for entry in entries {
            collect(&entry, out);
        }
    } else {
        out.push(path.to_path_buf());
    }
}

/// Every line of every text file scanned (binary files are skipped).
fn scanned_lines() -> Vec<Line> {
    let root = root();
    let mut files = Vec::new();
    for name in SCANNED {
        collect(&root.join(name), &mut files);
    }
    let mut lines = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let file = path.strip_prefix(&root).expect("under the root").to_string_lossy().replace('\\', "/");
        for (i, line) in text.lines().enumerate() {
            lines.push(Line { file: file.clone(), number: i + 1, text: line.to_string() });
        }
    }
    assert!(lines.iter().any(|l| l.file == "docs/design.md"), "docs/design.md is missing");
    lines
}

fn fail_listing(what: &str, problems: &[String]) {
    assert!(problems.is_empty(), "{what}:\n{}", problems.join("\n"));
}

/// Byte offsets of `needle` in `haystack`, ASCII case-insensitively.
fn find_all(haystack: &str, needle: &str) -> Vec<usize> {
    let hay = haystack.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    hay.match_indices(&needle).map(|(i, _)| i).collect()
}

/// What in `line` cites a file outside the repository, if anything.
fn outside_citation(line: &Line) -> Option<&'static str> {
    let text = &line.text;
    let in_docs = line.file.starts_with("docs/");
    for at in find_all(text, DESIGN_FILE) {
        let exact = &text[at..at + DESIGN_FILE.len()] == DESIGN_FILE;
        let in_repo = text[..at].ends_with("docs/") || in_docs;
        if !(exact && in_repo) {
            return Some("the design contract outside the repository (cite docs/design.md §N)");
        }
    }
    if line.file != SOURCES_PAGE {
        let by_number = find_all(text, SOURCE_BY_NUMBER)
            .into_iter()
            .any(|at| text[at + SOURCE_BY_NUMBER.len()..].starts_with(|c: char| c.is_ascii_digit()));
        if by_number || !find_all(text, SOURCE_FOLDER).is_empty() {
            return Some("a source document outside the repository (cite docs/data-model.md or docs/sources.md)");
        }
    }
    if text.contains(SHARED_FOLDER) {
        return Some("the shared folder outside the repository");
    }
    None
}

#[test]
fn comments_and_docs_cite_no_file_outside_the_repository() {
    let problems: Vec<String> = scanned_lines()
        .iter()
        .filter_map(|l| outside_citation(l).map(|why| format!("{}:{}: {why}: {}", l.file, l.number, l.text.trim())))
        .collect();
    fail_listing("citations of files outside the repository", &problems);
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

/// The `docs/…` paths in `text`: `docs/` not inside a longer word or path (`readthedocs/`, `a/docs/`).
fn docs_paths(text: &str) -> Vec<&str> {
    let mut paths = Vec::new();
    for (at, _) in text.match_indices("docs/") {
        if text[..at].chars().next_back().is_some_and(is_path_char) {
            continue;
        }
        let len = text[at..].find(|c: char| !is_path_char(c)).unwrap_or(text.len() - at);
        paths.push(text[at..at + len].trim_end_matches('.'));
    }
    paths
}

/// The relative targets of Markdown links `[text](target)` in `text`, anchors removed.
fn relative_links(text: &str) -> Vec<&str> {
    let mut links = Vec::new();
    for (at, _) in text.match_indices("](") {
        let rest = &text[at + 2..];
        let Some(end) = rest.find(')') else { continue };
        let target = rest[..end].split('#').next().unwrap_or_default();
        if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
            links.push(target);
        }
    }
    links
}

#[test]
fn every_docs_path_and_relative_markdown_link_points_to_a_file_that_exists() {
    let root = root();
    let mut problems = Vec::new();
    for line in scanned_lines() {
        for path in docs_paths(&line.text) {
            if !root.join(path).exists() {
                problems.push(format!("{}:{}: {path} does not exist", line.file, line.number));
            }
        }
        if line.file.ends_with(".md") {
            let dir = root.join(&line.file).parent().expect("a file has a parent").to_path_buf();
            for target in relative_links(&line.text) {
                if !dir.join(target).exists() {
                    problems.push(format!("{}:{}: link to {target}, which does not exist", line.file, line.number));
                }
            }
        }
    }
    fail_listing("citations of paths that do not exist", &problems);
}

#[test]
fn every_cited_section_of_the_design_contract_exists() {
    let design = std::fs::read_to_string(root().join("docs/design.md")).expect("docs/design.md");
    let sections: Vec<String> = design
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter_map(|h| h.split_once('.').map(|(n, _)| n.to_string()))
        .collect();
    assert!(sections.len() >= 11, "docs/design.md lost its numbered sections: {sections:?}");
    let mut problems = Vec::new();
    for line in scanned_lines() {
        for (at, _) in line.text.match_indices("docs/design.md §") {
            // "docs/design.md §5, §11": every section number that follows.
            let cited = line.text[at + "docs/design.md ".len()..]
                .split(", ")
                .map_while(|part| part.strip_prefix('§'))
                .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect::<String>())
                .filter(|number| !number.is_empty()); // `§N` as a placeholder
            for number in cited {
                if !sections.contains(&number) {
                    problems.push(format!("{}:{}: docs/design.md has no §{number}", line.file, line.number));
                }
            }
        }
    }
    fail_listing("citations of design sections that do not exist", &problems);
}
