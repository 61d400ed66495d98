//! The schema exposes all of the data model (docs/data-model.md), and `schema.graphql` is the live
//! schema.

use serde_json::json;

use crate::harness::TestApp;
use crate::seed_model::SEED_ENTITIES;

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for ch in snake.chars() {
        if ch == '_' {
            up = true;
        } else if up {
            out.extend(ch.to_uppercase());
            up = false;
        } else {
            out.push(ch);
        }
    }
    out
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_lowercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn plural(s: &str) -> String {
    if let Some(stem) = s.strip_suffix("History") {
        format!("{stem}Histories")
    } else if s.ends_with('y') && !s.ends_with("ey") {
        format!("{}ies", &s[..s.len() - 1])
    } else {
        format!("{s}s")
    }
}

#[tokio::test]
async fn every_seed_entity_and_field_is_exposed_with_a_getter_and_a_list() {
    let app = TestApp::spawn().await;
    let root = app.data("{ __schema { queryType { fields { name } } } }", json!({})).await;
    let roots: Vec<String> = root["__schema"]["queryType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(SEED_ENTITIES.len(), 36);
    for (entity, fields) in SEED_ENTITIES {
        let one = lower_first(entity);
        assert!(roots.contains(&one), "root field {one} missing");
        assert!(roots.contains(&plural(&one)), "root field {} missing", plural(&one));
        let t = app.data("query($n: String!) { __type(name: $n) { fields { name } } }", json!({ "n": entity })).await;
        let names: Vec<&str> = t["__type"]["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("type {entity} missing"))
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        for f in *fields {
            assert!(names.contains(&camel(f).as_str()), "{entity}.{} missing", camel(f));
        }
        for conn in ["Connection", "Edge", "Filter", "OrderBy"] {
            let t = app
                .data("query($n: String!) { __type(name: $n) { name } }", json!({ "n": format!("{entity}{conn}") }))
                .await;
            assert!(!t["__type"].is_null(), "{entity}{conn} missing");
        }
    }
}

#[test]
fn the_committed_schema_file_matches_the_live_schema() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).expect("schema.graphql exists");
    assert!(committed == cdp360::graphql::sdl(), "schema.graphql is stale: run `cargo run -- export-schema`");
}

#[test]
fn export_schema_check_passes_on_the_committed_file() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cdp360"))
        .args(["export-schema", "--check", "--output", concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn export_schema_check_fails_on_drift() {
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("schema.graphql");
    std::fs::write(&stale, "type Query { stale: Int }\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cdp360"))
        .args(["export-schema", "--check", "--output"])
        .arg(&stale)
        .output()
        .unwrap();
    assert!(!out.status.success());
}
