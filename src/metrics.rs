//! Prometheus metrics, one registry per `Application` (no global recorder: several servers in one
//! process — the tests — keep separate counts). Names are the contract of DESIGN.md §11.

use metrics::{Histogram, Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
static META: Metadata<'static> = Metadata::new("cdp360", metrics::Level::INFO, Some("cdp360::metrics"));

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    db_statement: Histogram,
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
        let db_statement = recorder.register_histogram(&Key::from_static_name("cdp360_db_statement_seconds"), &META);
        // Present from the start so dashboards and scrapers see the series at zero.
        recorder.register_gauge(&Key::from_static_name("cdp360_subscriptions_active"), &META).set(0.0);
        recorder.register_gauge(&Key::from_static_name("cdp360_summary_refresh_pending"), &META).set(0.0);
        Metrics { recorder, handle, db_statement }
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
        self.recorder.register_counter(&Key::from_parts("cdp360_http_requests_total", labels), &META).increment(1);
    }

    pub fn graphql_operation(&self, operation: &str, seconds: f64) {
        let labels = vec![Label::new("operation", operation.to_string())];
        self.recorder
            .register_histogram(&Key::from_parts("cdp360_graphql_operation_seconds", labels), &META)
            .record(seconds);
    }

    pub fn ingestion(&self, outcome: &'static str) {
        let labels = vec![Label::new("outcome", outcome)];
        self.recorder.register_counter(&Key::from_parts("cdp360_ingestion_total", labels), &META).increment(1);
    }

    pub fn subscriptions_delta(&self, delta: f64) {
        let g = self.recorder.register_gauge(&Key::from_static_name("cdp360_subscriptions_active"), &META);
        if delta >= 0.0 { g.increment(delta) } else { g.decrement(-delta) }
    }

    /// Ids waiting for (or in) their post-commit summary refresh.
    pub fn summary_refresh_pending(&self, ids: f64) {
        self.recorder.register_gauge(&Key::from_static_name("cdp360_summary_refresh_pending"), &META).set(ids);
    }

    /// One set-based refresh of some ids of one summary table ran.
    pub fn summary_refresh(&self, table: &'static str) {
        let labels = vec![Label::new("summary", table)];
        self.recorder.register_counter(&Key::from_parts("cdp360_summary_refreshes_total", labels), &META).increment(1);
    }

    /// The outbox listener (PostgreSQL `LISTEN`) lost its connection and is listening again.
    pub fn listener_reconnected(&self) {
        self.recorder
            .register_counter(&Key::from_static_name("cdp360_outbox_listener_reconnects_total"), &META)
            .increment(1);
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}
