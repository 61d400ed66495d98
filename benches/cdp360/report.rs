//! The results: a Markdown table (the README's Performance section) and the same data as JSON.

use std::path::Path;

use serde::Serialize;

use crate::runner::Stats;
use crate::server::{BoxError, proc_kb};
use crate::{fanout, intake};

/// One case at one concurrency.
#[derive(Serialize)]
pub struct Row {
    pub case: &'static str,
    pub title: &'static str,
    pub clients: usize,
    pub cdp360: Stats,
    pub floor: Option<Stats>,
    /// cdp360 p50 ÷ floor p50.
    pub ratio_p50: Option<f64>,
    /// The floor behind HTTP in a process of its own (`served.rs`), for the point reads.
    pub served_floor: Option<Stats>,
    /// cdp360 p50 ÷ served floor p50.
    pub ratio_served_p50: Option<f64>,
    /// From the server's `cdp360_db_statement_seconds_count` over the phase.
    pub statements_per_request: f64,
    pub floor_statements_per_request: Option<u32>,
    /// Server CPU time (user + system) over the cdp360 phase, per request.
    pub server_cpu_ms_per_request: f64,
    /// The server's `VmHWM` after the case.
    pub peak_rss_mb: f64,
}

impl Row {
    /// Each measured side of the row, named as the report names it.
    pub fn sides(&self) -> [(&'static str, Option<&Stats>); 3] {
        [("cdp360", Some(&self.cdp360)), ("floor", self.floor.as_ref()), ("served floor", self.served_floor.as_ref())]
    }
}

#[derive(Serialize)]
pub struct Report {
    pub date: String,
    pub cores: usize,
    pub cpu: String,
    pub memory_gib: f64,
    pub postgres: String,
    pub scale: f64,
    pub seconds_per_phase: f64,
    pub warmup_seconds: f64,
    pub pool: u32,
    pub wall_seconds: f64,
    pub server_peak_rss_mb: f64,
    pub rows: Vec<Row>,
    /// M4's leads per second, when it ran.
    pub intake: Option<intake::Intake>,
    /// M4R's, when it ran.
    pub intake_routed: Option<intake::Intake>,
}

pub fn machine() -> (usize, String, f64) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    (cores, cpu, proc_kb(&meminfo, "MemTotal:") / 1024.0 / 1024.0)
}

fn ms(v: f64) -> String {
    if v < 1.0 { format!("{v:.3}") } else { format!("{v:.2}") }
}

fn phase(s: Option<&Stats>) -> [String; 3] {
    match s {
        Some(s) => [ms(s.p50_ms), ms(s.p99_ms), format!("{:.0}", s.throughput)],
        None => ["—".into(), "—".into(), "—".into()],
    }
}

pub fn markdown(r: &Report) -> String {
    let mut md = format!(
        "Run {date} on {cores} cores ({cpu}), {mem:.1} GiB RAM, PostgreSQL {pg}; seed scale {scale}; \
         {secs} s per phase after a {warm} s warm-up; pool {pool} connections on both sides; \
         whole run {wall:.0} s; server peak RSS {rss:.0} MB.\n\n",
        date = r.date,
        cores = r.cores,
        cpu = r.cpu,
        mem = r.memory_gib,
        pg = r.postgres,
        scale = r.scale,
        secs = r.seconds_per_phase,
        warm = r.warmup_seconds,
        pool = r.pool,
        wall = r.wall_seconds,
        rss = r.server_peak_rss_mb,
    );
    md.push_str(
        "| case | clients | cdp360 p50 ms | p99 ms | req/s | floor p50 ms | p99 ms | req/s | ratio p50 | served floor p50 ms | ratio to served | SQL stmts/req (floor) | server CPU ms/req | peak RSS MB |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let mut failures = Vec::new();
    for row in &r.rows {
        let [cp50, cp99, ctp] = phase(Some(&row.cdp360));
        let [fp50, fp99, ftp] = phase(row.floor.as_ref());
        let ratio = row.ratio_p50.map_or("—".into(), |x| format!("{x:.1}×"));
        let served = row.served_floor.as_ref().map_or("—".into(), |s| ms(s.p50_ms));
        let ratio_served = row.ratio_served_p50.map_or("—".into(), |x| format!("{x:.1}×"));
        let floor_stmts = row.floor_statements_per_request.map_or(String::new(), |n| format!(" ({n})"));
        let failed: usize = row.sides().into_iter().filter_map(|(_, s)| s).map(|s| s.failures).sum();
        let flag = if failed > 0 { " ⚠" } else { "" };
        md.push_str(&format!(
            "| {} {}{flag} | {} | {cp50} | {cp99} | {ctp} | {fp50} | {fp99} | {ftp} | {ratio} | {served} | {ratio_served} | {:.1}{floor_stmts} | {} | {:.0} |\n",
            row.case,
            row.title,
            row.clients,
            row.statements_per_request,
            ms(row.server_cpu_ms_per_request),
            row.peak_rss_mb
        ));
        for (side, s) in row.sides() {
            if let Some(s) = s.filter(|s| s.failures > 0) {
                failures.push(format!(
                    "- ⚠ {} {side} at {} clients: {} of {} requests failed; first: {}",
                    row.case,
                    row.clients,
                    s.failures,
                    s.requests,
                    s.first_error.as_deref().unwrap_or("")
                ));
            }
        }
    }
    if let (Some(m4), Some(got)) = (r.rows.iter().find(|row| row.case == intake::ID), r.intake) {
        let verdict = if got.leads_per_second >= intake::BUDGET_LEADS_PER_S { "met" } else { "**not met**" };
        md.push_str(&format!(
            "\nM4 ({senders} senders of REST batches of 100; p50/p99 per accepted batch; server CPU per batch): \
             {leads} leads from the first acceptance to the last outcome at {rate:.0} leads/s against the budget \
             of ≥ {budget:.0}: {verdict}; accept p99 {p99} ms.\n",
            senders = m4.clients,
            leads = got.leads,
            rate = got.leads_per_second,
            budget = intake::BUDGET_LEADS_PER_S,
            p99 = ms(m4.cdp360.p99_ms),
        ));
    }
    if let Some(routed) = r.intake_routed {
        md.push_str(&format!(
            "\nM4R (M4 through a scene with an auto-tagging rule and a ROUND_ROBIN assignment rule on its tag): \
             {leads} leads at {rate:.0} leads/s",
            leads = routed.leads,
            rate = routed.leads_per_second,
        ));
        if let Some(plain) = r.intake {
            let overhead = 1.0 - routed.leads_per_second / plain.leads_per_second;
            let verdict = if overhead <= intake::BUDGET_ROUTING_OVERHEAD { "met" } else { "**not met**" };
            md.push_str(&format!(
                ", {pct:.0} % below M4 against the budget of ≤ {budget:.0} %: {verdict}",
                pct = overhead * 100.0,
                budget = intake::BUDGET_ROUTING_OVERHEAD * 100.0,
            ));
        }
        md.push_str(".\n");
    }
    if let Some(s1) = r.rows.iter().find(|row| row.case == fanout::ID) {
        let verdict = |ok: bool| if ok { "met" } else { "**not met**" };
        md.push_str(&format!(
            "\nS1 ({n} subscribers; p50/p99 from the `createLead` response to each subscriber's receipt, over \
             {deliveries} deliveries; req/s = deliveries per second while fanning out; SQL statements and CPU per \
             event, the mutation included; its own server): p99 {p99} ms against the budget of < {bp99} ms: {}; \
             peak RSS {rss:.0} MB against < {brss} MB: {}.\n",
            verdict(s1.cdp360.p99_ms < fanout::BUDGET_P99_MS),
            verdict(s1.peak_rss_mb < fanout::BUDGET_RSS_MB),
            n = s1.clients,
            deliveries = s1.cdp360.requests,
            p99 = ms(s1.cdp360.p99_ms),
            bp99 = fanout::BUDGET_P99_MS,
            rss = s1.peak_rss_mb,
            brss = fanout::BUDGET_RSS_MB,
        ));
    }
    if !failures.is_empty() {
        md.push('\n');
        md.push_str(&failures.join("\n"));
        md.push('\n');
    }
    md
}

pub fn write(out: &Path, stem: &str, r: &Report) -> Result<(), BoxError> {
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join(format!("{stem}.md")), markdown(r))?;
    std::fs::write(out.join(format!("{stem}.json")), serde_json::to_string_pretty(r)? + "\n")?;
    Ok(())
}
