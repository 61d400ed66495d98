//! The GraphiQL page works offline: its files come from the binary (web/graphiql/dist), every
//! example query runs at the default limits, and headless Chromium, with every origin but the
//! server blocked, loads the page, keeps a token, runs a query, lists `Lead` in the docs and
//! opens an acknowledged WebSocket (web/graphiql/e2e.mjs).

use std::path::{Path, PathBuf};
use std::process::Command;

use cdp360::auth::Scope;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, token};

fn web() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web/graphiql")
}

/// The `/assets/…` paths that index.html names.
fn asset_paths(html: &str) -> Vec<String> {
    html.match_indices("\"/assets/").map(|(at, _)| html[at + 1..].split('"').next().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_page_names_only_its_own_files_and_each_is_served_with_its_type_and_a_long_cache() {
    let app = TestApp::spawn().await;
    let html = app.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("//"), "the page names another origin: {html}");
    let paths = asset_paths(&html);
    assert!(paths.iter().any(|p| p.ends_with(".js")) && paths.iter().any(|p| p.ends_with(".css")), "{html}");
    for path in paths {
        let res = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let kind = if path.ends_with(".js") { "text/javascript" } else { "text/css" };
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with(kind), "{path}");
        assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable", "{path}");
        let body = res.text().await.unwrap();
        for cdn in ["unpkg.com", "jsdelivr.net", "esm.sh", "fonts.googleapis.com"] {
            assert!(!body.contains(cdn), "{path} names {cdn}");
        }
    }
    let missing = app.client.get(app.url("/assets/index-nosuchhash.js")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let licenses = app.client.get(app.url("/graphiql/licenses")).send().await.unwrap();
    assert_eq!(licenses.status(), StatusCode::OK);
    let licenses = licenses.text().await.unwrap();
    assert!(licenses.contains("## graphiql") && licenses.contains("## monaco-editor"), "{licenses:.300}");
}

/// Each example tab (web/graphiql/examples/*.graphql) as a read-only analyst runs it on demo data.
#[tokio::test]
async fn every_example_query_runs_without_errors_at_the_default_limits() {
    let app = TestApp::spawn_with_demo_data().await;
    let reader = token(&[Scope::Read], None);
    let mut examples: Vec<PathBuf> = std::fs::read_dir(web().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "graphql"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 5, "{examples:?}");
    for path in examples {
        let query = std::fs::read_to_string(&path).unwrap();
        let data = app.data_as(&reader, &query, json!({})).await;
        let root = data.as_object().and_then(|o| o.values().next()).cloned().unwrap_or(Value::Null);
        // A list's rows are its `nodes`; an aggregate's are its groups.
        let rows = root["nodes"].as_array().or(root.as_array()).map_or(0, Vec::len);
        assert!(rows > 0, "{} shows no rows on demo data: {data}", path.display());
    }
}

#[tokio::test]
async fn headless_chromium_with_other_origins_blocked_loads_the_page_and_runs_a_query_with_the_token() {
    let chromium = std::env::var("CDP_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: install Chromium (`apt-get install -y chromium`) or set CDP_CHROMIUM"
    );
    assert!(
        web().join("node_modules/playwright-core").is_dir(),
        "web/graphiql/node_modules is missing: run `npm ci --prefix web/graphiql`"
    );
    let app = TestApp::spawn_with_demo_data().await;
    let reader = token(&[Scope::Read], None);
    let url = app.url("/");
    // The server runs on its own thread and runtime, so waiting here blocks only the client.
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(web().join("e2e.mjs")).arg(url).arg(reader).env("CDP_CHROMIUM", chromium).output()
    })
    .await
    .unwrap()
    .expect("run node (Node 20 is needed for the browser test)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "e2e.mjs failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains("graphiql e2e: ok"), "{stdout}");
}
