//! Prometheus metrics, one registry per `Application` (no global recorder: several servers in one
//! process — the tests — keep separate counts). Names are the contract of docs/design.md §11; every
//! metric is described in [`HELP`] (`promtool check metrics` wants a `# HELP` for each).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use metrics::{Histogram, Key, KeyName, Label, Metadata, Recorder, SharedString};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
static META: Metadata<'static> = Metadata::new("cdp360", metrics::Level::INFO, Some("cdp360::metrics"));

/// Distinct `operation` labels kept; later operation names are counted as [`OTHER_OPERATION`].
/// Clients choose `operationName` freely, and every label value is a series the server keeps
/// for its lifetime: without a bound, random names would grow memory and `/metrics` without end.
pub const MAX_OPERATION_LABELS: usize = 100;
/// The `operation` label of operations past the first [`MAX_OPERATION_LABELS`] names.
pub const OTHER_OPERATION: &str = "other";

const HTTP_REQUESTS: &str = "cdp360_http_requests_total";
const GRAPHQL_OPERATION: &str = "cdp360_graphql_operation_seconds";
const DB_STATEMENT: &str = "cdp360_db_statement_seconds";
const SUBSCRIPTIONS_ACTIVE: &str = "cdp360_subscriptions_active";
const SUBSCRIPTION_GROUPS: &str = "cdp360_subscription_groups_active";
const INGESTION: &str = "cdp360_ingestion_total";
const INGESTION_QUEUE: &str = "cdp360_ingestion_queue_depth";
const INGESTION_LATENCY: &str = "cdp360_ingestion_latency_seconds";
const SUMMARIES_PENDING: &str = "cdp360_summaries_refresh_pending";
const SUMMARIES_REFRESHES: &str = "cdp360_summaries_refreshes_total";
const LISTENER_RECONNECTS: &str = "cdp360_outbox_listener_reconnects_total";
const READ_FIELDS: &str = "cdp360_read_root_fields_total";

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Every metric this module records, with its type and `# HELP` text.
const HELP: &[(&str, Kind, &str)] = &[
    (HTTP_REQUESTS, Kind::Counter, "HTTP requests answered, by method, route template and status."),
    (
        GRAPHQL_OPERATION,
        Kind::Histogram,
        "Time to execute one GraphQL operation, by operation name (the first names seen; later ones as \"other\").",
    ),
    (DB_STATEMENT, Kind::Histogram, "Time of one SQL statement; its _count is the number of statements run."),
    (SUBSCRIPTIONS_ACTIVE, Kind::Gauge, "GraphQL subscriptions currently open."),
    (
        SUBSCRIPTION_GROUPS,
        Kind::Gauge,
        "Subscription executions currently running: one per group of subscriptions whose output is identical.",
    ),
    (
        INGESTION,
        Kind::Counter,
        "Lead ingestions, by scene (the first scene ids seen; later ones as \"other\") and outcome: accepted, processed, duplicate, rejected, retried, dead_lettered.",
    ),
    (INGESTION_QUEUE, Kind::Gauge, "Accepted lead ingestions waiting for processing, as last counted."),
    (
        INGESTION_LATENCY,
        Kind::Histogram,
        "Time from a lead ingestion's acceptance to its outcome (processed, duplicate, rejected or dead-lettered).",
    ),
    (SUMMARIES_PENDING, Kind::Gauge, "Record ids waiting for (or in) their post-commit summary refresh."),
    (SUMMARIES_REFRESHES, Kind::Counter, "Set-based refreshes of a summary table, by summary."),
    (
        LISTENER_RECONNECTS,
        Kind::Counter,
        "Times the outbox listener (PostgreSQL LISTEN) lost its connection and listened again.",
    ),
    (
        READ_FIELDS,
        Kind::Counter,
        "Root query fields answered, by path: \"compiled\" (one statement) or \"resolvers\", with why the planner left it (reason).",
    ),
];

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    db_statement: Histogram,
    /// The operation names that have a label of their own (at most [`MAX_OPERATION_LABELS`]).
    operations: Mutex<HashSet<String>>,
    /// The scene ids that have a label of their own (at most [`MAX_OPERATION_LABELS`]).
    scenes: Mutex<HashSet<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let recorder =
            PrometheusBuilder::new().set_buckets(BUCKETS).expect("static non-empty buckets").build_recorder();
        let handle = recorder.handle();
        for &(name, kind, help) in HELP {
            let (name, help) = (KeyName::from_const_str(name), SharedString::const_str(help));
            match kind {
                Kind::Counter => recorder.describe_counter(name, None, help),
                Kind::Gauge => recorder.describe_gauge(name, None, help),
                Kind::Histogram => recorder.describe_histogram(name, None, help),
            }
        }
        let db_statement = recorder.register_histogram(&Key::from_static_name(DB_STATEMENT), &META);
        // Present from the start so dashboards and scrapers see the series at zero.
        recorder.register_gauge(&Key::from_static_name(SUBSCRIPTIONS_ACTIVE), &META).set(0.0);
        recorder.register_gauge(&Key::from_static_name(SUMMARIES_PENDING), &META).set(0.0);
        recorder.register_counter(&Key::from_static_name(LISTENER_RECONNECTS), &META).absolute(0);
        recorder.register_gauge(&Key::from_static_name(INGESTION_QUEUE), &META).set(0.0);
        Metrics {
            recorder,
            handle,
            db_statement,
            operations: Mutex::new(HashSet::new()),
            scenes: Mutex::new(HashSet::new()),
        }
    }

    /// One SQL statement ran (its `_count` is the number of statements).
    pub fn db_statement(&self, seconds: f64) {
        self.db_statement.record(seconds);
    }

    pub fn http_request(&self, method: &str, route: &str, status: u16) {
        let labels = vec![
            Label::new("method", method.to_string()),
            Label::new("route", route.to_string()),
            Label::new("status", status.to_string()),
        ];
        self.recorder.register_counter(&Key::from_parts(HTTP_REQUESTS, labels), &META).increment(1);
    }

    /// One GraphQL operation ran; the first [`MAX_OPERATION_LABELS`] distinct names keep their
    /// label, later ones count as [`OTHER_OPERATION`].
    pub fn graphql_operation(&self, operation: &str, seconds: f64) {
        let labels = vec![Label::new("operation", self.operation_label(operation))];
        self.recorder.register_histogram(&Key::from_parts(GRAPHQL_OPERATION, labels), &META).record(seconds);
    }

    fn operation_label(&self, operation: &str) -> String {
        bounded_label(&self.operations, operation)
    }

    /// One lead ingestion of `scene` reached `outcome`.
    pub fn ingestion(&self, scene: &str, outcome: &'static str) {
        let labels = vec![Label::new("scene", bounded_label(&self.scenes, scene)), Label::new("outcome", outcome)];
        self.recorder.register_counter(&Key::from_parts(INGESTION, labels), &META).increment(1);
    }

    /// The accepted lead ingestions waiting, as just counted.
    pub fn ingestion_queue(&self, depth: u64) {
        self.recorder.register_gauge(&Key::from_static_name(INGESTION_QUEUE), &META).set(depth as f64);
    }

    /// One lead ingestion reached its outcome this long after it was accepted.
    pub fn ingestion_latency(&self, seconds: f64) {
        self.recorder.register_histogram(&Key::from_static_name(INGESTION_LATENCY), &META).record(seconds);
    }

    pub fn subscriptions_delta(&self, delta: f64) {
        let g = self.recorder.register_gauge(&Key::from_static_name(SUBSCRIPTIONS_ACTIVE), &META);
        if delta >= 0.0 { g.increment(delta) } else { g.decrement(-delta) }
    }

    /// One shared subscription execution started (+1) or ended (-1).
    pub fn subscription_groups_delta(&self, delta: f64) {
        let g = self.recorder.register_gauge(&Key::from_static_name(SUBSCRIPTION_GROUPS), &META);
        if delta >= 0.0 { g.increment(delta) } else { g.decrement(-delta) }
    }

    /// Ids waiting for (or in) their post-commit summary refresh.
    pub fn summary_refresh_pending(&self, ids: f64) {
        self.recorder.register_gauge(&Key::from_static_name(SUMMARIES_PENDING), &META).set(ids);
    }

    /// One set-based refresh of some ids of one summary table ran.
    pub fn summary_refresh(&self, table: &'static str) {
        let labels = vec![Label::new("summary", table)];
        self.recorder.register_counter(&Key::from_parts(SUMMARIES_REFRESHES, labels), &META).increment(1);
    }

    /// The outbox listener (PostgreSQL `LISTEN`) lost its connection and is listening again.
    /// A root query field answered by `path` ("compiled" or "resolvers"), with the planner's
    /// `reason` for leaving it to the resolvers ("" when compiled).
    pub fn read_root_field(&self, path: &'static str, reason: &'static str) {
        let labels = vec![Label::new("path", path), Label::new("reason", reason)];
        self.recorder.register_counter(&Key::from_parts(READ_FIELDS, labels), &META).increment(1);
    }

    pub fn listener_reconnected(&self) {
        self.recorder.register_counter(&Key::from_static_name(LISTENER_RECONNECTS), &META).increment(1);
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}

/// One unit of a gauge while alive (`delta` is the gauge's `…_delta` method), taken back when
/// dropped, however its holder ends.
pub struct Counted {
    metrics: Arc<Metrics>,
    delta: fn(&Metrics, f64),
}

impl Counted {
    pub fn new(metrics: Arc<Metrics>, delta: fn(&Metrics, f64)) -> Counted {
        delta(&metrics, 1.0);
        Counted { metrics, delta }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        (self.delta)(&self.metrics, -1.0);
    }
}

/// `value` while fewer than [`MAX_OPERATION_LABELS`] values are known (or it is one of them),
/// else [`OTHER_OPERATION`]: clients choose these values, and every one is a series kept for the
/// server's lifetime.
fn bounded_label(known: &Mutex<HashSet<String>>, value: &str) -> String {
    let mut known = known.lock().unwrap_or_else(|e| e.into_inner());
    if known.contains(value) {
        return value.to_owned();
    }
    if known.len() < MAX_OPERATION_LABELS {
        known.insert(value.to_owned());
        return value.to_owned();
    }
    OTHER_OPERATION.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_help_text_and_a_type() {
        let m = Metrics::new();
        m.db_statement(0.001);
        m.http_request("GET", "/graphql", 200);
        m.graphql_operation("Inbox", 0.001);
        m.ingestion("SCN_1", "processed");
        m.ingestion_queue(3);
        m.ingestion_latency(0.2);
        m.subscriptions_delta(1.0);
        m.subscription_groups_delta(1.0);
        m.summary_refresh_pending(1.0);
        m.summary_refresh("account_summary");
        m.listener_reconnected();
        m.read_root_field("compiled", "");
        let text = m.render();
        let typed: Vec<&str> =
            text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).filter_map(|l| l.split(' ').next()).collect();
        assert_eq!(typed.len(), HELP.len(), "{text}");
        for name in typed {
            assert!(text.lines().any(|l| l.starts_with(&format!("# HELP {name} "))), "no HELP for {name}: {text}");
        }
    }

    #[test]
    fn operation_names_past_the_bound_are_labelled_other() {
        let m = Metrics::new();
        for i in 0..MAX_OPERATION_LABELS + 50 {
            m.graphql_operation(&format!("Op{i}"), 0.001);
        }
        m.graphql_operation("Op0", 0.001);
        let text = m.render();
        let series = text.lines().filter(|l| l.starts_with("cdp360_graphql_operation_seconds_count{")).count();
        assert_eq!(series, MAX_OPERATION_LABELS + 1, "{text}");
        assert!(text.contains("cdp360_graphql_operation_seconds_count{operation=\"other\"} 50"), "{text}");
        assert!(text.contains("cdp360_graphql_operation_seconds_count{operation=\"Op0\"} 2"), "{text}");
    }
}
