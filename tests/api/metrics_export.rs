//! `/metrics` as Prometheus reads it: every metric described, lint-clean (`promtool check metrics`
//! when it is installed, and the same rules checked here either way), bounded label values, and
//! the README's series present from the start.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::harness::TestApp;

async fn scrape(app: &TestApp) -> String {
    app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap()
}

/// The problems `promtool check metrics` reports that a text exposition can have: a family without
/// `# HELP` text, a counter not named `_total` (or another type that is), a type's name inside a
/// metric's name (`_summary_`), a name outside `[a-z_][a-z0-9_]*`, a family typed twice, a sample
/// of no declared family.
fn lint(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut help: HashMap<&str, &str> = HashMap::new();
    let mut types: HashMap<&str, &str> = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
            help.insert(name, text.trim());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
            if types.insert(name, kind).is_some() {
                problems.push(format!("{name}: TYPE declared twice"));
            }
        }
    }
    for (&name, &kind) in &types {
        if help.get(name).is_none_or(|h| h.is_empty()) {
            problems.push(format!("{name}: no help text"));
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            problems.push(format!("{name}: not a snake_case name"));
        }
        for t in ["counter", "gauge", "histogram", "summary", "gauge_histogram"] {
            if name.contains(&format!("_{t}_")) || name.ends_with(&format!("_{t}")) {
                problems.push(format!("{name}: metric name should not include type '{t}'"));
            }
        }
        match (kind, name.ends_with("_total")) {
            ("counter", false) => problems.push(format!("{name}: counter names should end in _total")),
            (k, true) if k != "counter" => problems.push(format!("{name}: only counters end in _total")),
            _ => {}
        }
    }
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let sample = line.split(['{', ' ']).next().unwrap_or_default();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .filter_map(|s| sample.strip_suffix(s))
            .find(|f| types.get(f).is_some_and(|k| *k == "histogram"))
            .unwrap_or(sample);
        if !types.contains_key(family) {
            problems.push(format!("{sample}: sample of no declared family"));
        }
    }
    problems
}

/// `promtool check metrics` on `text`, when promtool is on PATH: `Some(its complaints)`.
fn promtool(text: &str) -> Option<String> {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Some(if out.status.success() { said } else { format!("exit {}: {said}", out.status) })
}

#[tokio::test]
async fn every_metric_has_help_text_and_passes_the_prometheus_lint() {
    let app = TestApp::spawn().await;
    // Traffic that records every kind of series: HTTP, an operation, statements, a write's refresh.
    app.data(r#"mutation { createLead(input: { leadName: "x", leadSource: WEBSITE }) { id } }"#, json!({})).await;
    app.data("query Inbox { leads { totalCount } }", json!({})).await;
    app.settle().await;
    let text = scrape(&app).await;
    for family in [
        "cdp360_http_requests_total",
        "cdp360_graphql_operation_seconds",
        "cdp360_db_statement_seconds",
        "cdp360_subscriptions_active",
        "cdp360_summaries_refresh_pending",
        "cdp360_summaries_refreshes_total",
        "cdp360_outbox_listener_reconnects_total",
    ] {
        assert!(text.contains(&format!("# HELP {family} ")), "no HELP for {family}:\n{text}");
    }
    let problems = lint(&text);
    assert!(problems.is_empty(), "{problems:#?}\n{text}");
    match promtool(&text) {
        Some(said) => assert!(said.trim().is_empty(), "promtool check metrics: {said}"),
        None => eprintln!("promtool is not installed: checked with the built-in lint only"),
    }
}

#[tokio::test]
async fn random_operation_names_cannot_mint_unbounded_series() {
    let app = TestApp::spawn().await;
    let names: Vec<String> = (0..500).map(|_| format!("Op_{}", uuid::Uuid::new_v4().simple())).collect();
    for chunk in names.chunks(10) {
        let batch: Vec<Value> = chunk
            .iter()
            .map(|n| json!({ "query": format!("query {n} {{ __typename }}"), "operationName": n }))
            .collect();
        let res = app.client.post(app.url("/graphql")).json(&batch).send().await.unwrap();
        assert!(res.status().is_success(), "{}", res.status());
    }
    let text = scrape(&app).await;
    let labels: HashSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("cdp360_graphql_operation_seconds_count{operation=\""))
        .filter_map(|l| l.split('"').next())
        .collect();
    assert!(labels.len() <= cdp360::metrics::MAX_OPERATION_LABELS + 1, "{} operation series", labels.len());
    assert!(labels.contains(cdp360::metrics::OTHER_OPERATION), "later names count as other");
    let other = text
        .lines()
        .find_map(|l| l.strip_prefix("cdp360_graphql_operation_seconds_count{operation=\"other\"} "))
        .and_then(|v| v.parse::<f64>().ok());
    assert_eq!(other, Some((500 - cdp360::metrics::MAX_OPERATION_LABELS) as f64));
}

#[tokio::test]
async fn the_outbox_listener_reconnect_counter_is_exported_from_the_start_at_zero() {
    let app = TestApp::spawn().await;
    assert_eq!(app.metric("cdp360_outbox_listener_reconnects_total").await, Some(0.0));
}
