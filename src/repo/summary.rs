//! Set-based refresh of the three summary tables (`account_summary`, `contact_summary`,
//! `lead_summary`): one `INSERT … SELECT … ON CONFLICT DO UPDATE` per table, on PostgreSQL and
//! SQLite alike. A refresh of some ids only aggregates their rows (the id list is pushed into every
//! aggregate); a full refresh aggregates each source table once.
//!
//! # Definitions (product documentation)
//!
//! Common terms. `now` is the refresh time (`calculated_at` and `updated_at` of every row written).
//! A touchpoint *happened* when its status is COMPLETED or empty: scheduled and cancelled
//! touchpoints count nowhere. "Recent" means within the 90 days before `now`. Day counts are whole
//! days (truncated) and never negative.
//!
//! ## account_summary
//! - `total_contacts`: contacts linked through `account_contact_relation`, excluding INACTIVE links
//!   (former employees).
//! - `total_opportunities`: all opportunities of the account, any stage.
//! - `total_leads`: leads converted into the account (`lead.converted_account_id`).
//! - `won_opportunities` / `lost_opportunities`: opportunities with `is_won` / `is_lost`.
//! - `total_revenue`: sum of the amounts of won opportunities.
//! - `lifetime_value`: won revenue plus the open pipeline weighted by probability
//!   (Σ amount × probability / 100 over opportunities neither won nor lost).
//! - `win_rate`: won / (won + lost) × 100, 2 decimals; 0 when nothing is closed.
//! - `total_touchpoints`: happened touchpoints of the account.
//! - `active_campaigns`: distinct campaigns with status ACTIVE that the account is a member of,
//!   that one of its current contacts (active `account_contact_relation`) is a member of, or that
//!   drove one of its touchpoints.
//! - `last_activity_at`: latest happened touchpoint or event of the account.
//! - `last_purchase_at`: latest `actual_close_date` of a won opportunity, at 00:00 UTC;
//!   `first_purchase_date`: the earliest one.
//! - `latest_opportunity_date`: UTC date of the most recently created opportunity.
//! - `days_since_last_contact`: days from the latest happened touchpoint (a contact with the
//!   customer; web events are not) to `now`; from the account's creation when there is none.
//! - `health_score` (0–100) = recency + engagement + pipeline + win rate, where
//!   - recency (0–40) by days since `last_activity_at`: ≤ 7 → 40, ≤ 30 → 30, ≤ 90 → 20,
//!     ≤ 180 → 10, older or none → 0;
//!   - engagement (0–25): min(25, 2 × recent touchpoints + recent events / 5);
//!   - pipeline (0–20): 10 if an opportunity is open, + 10 if one was won in the last 365 days;
//!   - win rate (0–15): 15 × won / (won + lost), truncated; 0 when nothing is closed.
//!
//!   The data model reads above 70 as healthy and below 30 as a churn warning (docs/data-model.md,
//!   customer lifecycle).
//!
//! ## contact_summary
//! - `total_touchpoints` / `total_events`: happened touchpoints / events of the contact.
//! - `email_opens` / `email_clicks`: touchpoints of type EMAIL_OPEN / EMAIL_CLICK.
//! - `form_submissions`: FORM_SUBMIT touchpoints + FORM_SUBMIT events; `content_downloads`:
//!   DOWNLOAD touchpoints + FILE_DOWNLOAD/DOWNLOAD events. (Ingestion records one action either as
//!   a touchpoint or as an event, so adding both does not double count.)
//! - `last_activity_at`: latest touchpoint or event; `last_email_sent_at`: latest OUTBOUND EMAIL
//!   touchpoint; `last_email_opened_at`: latest EMAIL_OPEN touchpoint.
//! - `days_since_last_activity`: days from `last_activity_at` (or the contact's creation) to `now`.
//! - `campaign_responses`: `campaign_member` rows of the contact with a `responded_at`.
//! - `engagement_score` (0–100) = recency + e-mail + web + conversions, where
//!   - recency (0–30) by days since `last_activity_at`: ≤ 7 → 30, ≤ 30 → 20, ≤ 90 → 10, else 0;
//!   - e-mail (0–20): min(20, 2 × recent opens + 4 × recent clicks);
//!   - web (0–25): min(25, recent events / 2);
//!   - conversions (0–25): min(25, 5 × (recent form submissions + downloads + campaign responses)).
//!
//! ## lead_summary
//! - `total_touchpoints` / `total_events`: happened touchpoints / events carrying the lead id.
//! - `form_submissions`, `content_downloads`: as for contacts; `page_views`: PAGE_VIEW touchpoints
//!   + PAGE_VIEW events.
//! - `days_in_pipeline`: days from the lead's creation to its conversion, or to `now` while it is
//!   not converted.
//! - `contact_attempts`: OUTBOUND touchpoints of type CALL or EMAIL; `last_contact_attempt_at`: the
//!   latest of them.
//! - `last_activity_at`: latest touchpoint or event of the lead.
//!
//! # Portability notes
//! Datetimes are `timestamptz` on PostgreSQL. On SQLite SeaORM stores them as RFC 3339 text in UTC
//! (`2026-11-01T08:30:00+00:00`, fractional seconds only when non-zero): such strings order like the
//! instants they denote, so MIN/MAX and comparisons with bound datetimes work on the text, and
//! `strftime('%s', …)` reads them for day arithmetic. Values this module writes back keep that
//! format (or are SQLite `date` strings for date columns), so SeaORM reads them again.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::bulk::{max_bind_params, placeholders};
use crate::error::AppResult;

pub use crate::catalog::Summary;

impl Summary {
    pub const ALL: [Summary; 3] = [Summary::Account, Summary::Contact, Summary::Lead];

    pub fn table(self) -> &'static str {
        crate::catalog::summary_table(self).table.name
    }

    /// The table and key a summary row belongs to (its row cascades away with the parent): the
    /// summary table's one foreign key.
    fn parent(self) -> (&'static str, &'static str) {
        let r = crate::catalog::summary_table(self).references[0];
        (r.to.name, r.to.pk)
    }
}

/// Refreshes every row of the three summaries as of now; returns the rows written.
pub async fn refresh_all(db: &impl ConnectionTrait) -> AppResult<u64> {
    refresh_all_at(db, Utc::now()).await
}

/// [`refresh_all`] as of `at` (used by the seed, whose data is anchored to a fixed date).
pub async fn refresh_all_at(db: &impl ConnectionTrait, at: DateTime<Utc>) -> AppResult<u64> {
    let mut rows = 0;
    for summary in Summary::ALL {
        rows += refresh(db, summary, None, at).await?;
    }
    Ok(rows)
}

/// Refreshes the summaries of these accounts (`None` = all) as of now.
pub async fn refresh_accounts(db: &impl ConnectionTrait, ids: Option<&[String]>) -> AppResult<u64> {
    refresh(db, Summary::Account, ids, Utc::now()).await
}

/// Refreshes the summaries of these contacts (`None` = all) as of now.
pub async fn refresh_contacts(db: &impl ConnectionTrait, ids: Option<&[String]>) -> AppResult<u64> {
    refresh(db, Summary::Contact, ids, Utc::now()).await
}

/// Refreshes the summaries of these leads (`None` = all) as of now.
pub async fn refresh_leads(db: &impl ConnectionTrait, ids: Option<&[String]>) -> AppResult<u64> {
    refresh(db, Summary::Lead, ids, Utc::now()).await
}

/// Arbitrary constant shared by every replica: "cdp360 full summary refresh".
const FULL_REFRESH_LOCK_KEY: i64 = 0x0cd9_3600_0003;

/// Takes the full refresh's transaction-scoped lock on PostgreSQL; false when another replica
/// holds it (SQLite has one writer at a time anyway: always true).
pub async fn try_lock_full_refresh(db: &impl ConnectionTrait) -> AppResult<bool> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let sql = format!("SELECT pg_try_advisory_xact_lock({FULL_REFRESH_LOCK_KEY}) AS locked");
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    Ok(row.map(|r| r.try_get::<bool>("", "locked")).transpose()?.unwrap_or(false))
}

/// The accounts whose `active_campaigns` can depend on these campaigns: account members, the
/// accounts of contact members, and the accounts of the campaigns' touchpoints.
pub async fn accounts_of_campaigns(db: &impl ConnectionTrait, campaigns: &[String]) -> AppResult<Vec<String>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for chunk in campaigns.chunks(max_bind_params(backend) / 3) {
        let n = chunk.len();
        let list = |offset: usize| placeholders(offset + 1, n);
        let sql = format!(
            "SELECT member_ref_id AS account_id FROM campaign_member WHERE member_type = 'ACCOUNT' AND campaign_id IN ({}) \
             UNION SELECT r.account_id FROM campaign_member m JOIN account_contact_relation r ON r.contact_id = m.member_ref_id \
               WHERE m.member_type = 'CONTACT' AND m.campaign_id IN ({}) \
             UNION SELECT account_id FROM touchpoint WHERE account_id IS NOT NULL AND campaign_id IN ({})",
            list(0),
            list(n),
            list(2 * n),
        );
        let values: Vec<Value> = (0..3).flat_map(|_| chunk.iter().map(|c| Value::from(c.as_str()))).collect();
        let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        for r in rows {
            out.push(r.try_get::<String>("", "account_id")?);
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The accounts these contacts are related to (any relationship status).
pub async fn accounts_of_contacts(db: &impl ConnectionTrait, contacts: &[String]) -> AppResult<Vec<String>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for chunk in contacts.chunks(max_bind_params(backend)) {
        let sql = format!(
            "SELECT DISTINCT account_id FROM account_contact_relation WHERE contact_id IN ({})",
            placeholders(1, chunk.len())
        );
        let values: Vec<Value> = chunk.iter().map(|c| Value::from(c.as_str())).collect();
        for r in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
            out.push(r.try_get::<String>("", "account_id")?);
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Upserts the summary rows of `ids` (`None` = every entity) as of `at`; returns rows written.
/// Long id lists are split so that each statement stays under the bind-parameter limit.
pub async fn refresh(
    db: &impl ConnectionTrait,
    summary: Summary,
    ids: Option<&[String]>,
    at: DateTime<Utc>,
) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let params = parameters(summary, at);
    let Some(ids) = ids else {
        let sql = statement(summary, backend, params.len(), 0);
        return execute(db, backend, sql, params).await;
    };
    let mut rows = 0;
    for chunk in ids.chunks(max_bind_params(backend) - params.len()) {
        lock_parents(db, backend, summary, chunk).await?;
        let sql = statement(summary, backend, params.len(), chunk.len());
        let mut values = params.clone();
        values.extend(chunk.iter().map(|id| Value::from(id.as_str())));
        rows += execute(db, backend, sql, values).await?;
    }
    Ok(rows)
}

/// PostgreSQL: takes the parents' key-share locks, in key order, before any summary row is
/// written. The upsert takes them anyway (its foreign key), but only after locking the summary
/// row, while deleting a parent locks the parent first and then its summary row (ON DELETE
/// CASCADE): the opposite order, a deadlock a refresh beside `deleteAccounts` hit. Locking the
/// parents first makes the refresh wait for the delete (or the delete for the refresh) instead.
async fn lock_parents(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    summary: Summary,
    ids: &[String],
) -> AppResult<()> {
    if backend != DbBackend::Postgres || ids.is_empty() {
        return Ok(());
    }
    let (table, key) = summary.parent();
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql =
        format!("SELECT 1 FROM {table} WHERE {key} IN ({}) ORDER BY {key} FOR KEY SHARE", placeholders.join(", "));
    let values: Vec<Value> = ids.iter().map(|id| Value::from(id.as_str())).collect();
    db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(())
}

async fn execute(db: &impl ConnectionTrait, backend: DbBackend, sql: String, values: Vec<Value>) -> AppResult<u64> {
    let result = db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(result.rows_affected())
}

/// `$1` = now, `$2` = start of the "recent" window, `$3` = one year ago (accounts only).
fn parameters(summary: Summary, at: DateTime<Utc>) -> Vec<Value> {
    let mut params = vec![Value::from(at), Value::from(at - Duration::days(90))];
    if summary == Summary::Account {
        params.push(Value::from((at - Duration::days(365)).date_naive()));
    }
    params
}

fn statement(summary: Summary, backend: DbBackend, fixed: usize, ids: usize) -> String {
    let d = Dialect { backend, ids: (ids > 0).then_some((fixed + 1, ids)) };
    match summary {
        Summary::Account => account_sql(&d),
        Summary::Contact => contact_sql(&d),
        Summary::Lead => lead_sql(&d),
    }
}

/// The per-backend SQL fragments.
struct Dialect {
    backend: DbBackend,
    /// First placeholder number and count of the id list, when refreshing some ids only.
    ids: Option<(usize, usize)>,
}

impl Dialect {
    fn pg(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    /// `AND <column> IN (<ids>)` when refreshing some ids, empty otherwise.
    fn only(&self, column: &str) -> String {
        let Some((first, count)) = self.ids else { return String::new() };
        format!(" AND {column} IN ({})", placeholders(first, count))
    }

    /// The refresh time as a typed expression.
    fn now(&self) -> &'static str {
        if self.pg() { "CAST($1 AS TIMESTAMPTZ)" } else { "$1" }
    }

    /// Whole days from `from` to `to` (truncated towards zero).
    fn days_between(&self, from: &str, to: &str) -> String {
        if self.pg() {
            format!("CAST(TRUNC(EXTRACT(EPOCH FROM ({to}) - ({from})) / 86400) AS INTEGER)")
        } else {
            format!("((CAST(strftime('%s', {to}) AS INTEGER) - CAST(strftime('%s', {from}) AS INTEGER)) / 86400)")
        }
    }

    /// Days since `at` until now, never negative.
    fn days_since(&self, at: &str) -> String {
        self.greatest("0", &self.days_between(at, self.now()))
    }

    fn greatest(&self, a: &str, b: &str) -> String {
        if self.pg() { format!("GREATEST({a}, {b})") } else { format!("MAX({a}, {b})") }
    }

    /// The UTC date of a timestamp.
    fn date_of(&self, ts: &str) -> String {
        if self.pg() { format!("CAST(({ts}) AT TIME ZONE 'UTC' AS DATE)") } else { format!("date({ts})") }
    }

    /// Midnight UTC of a date, as a timestamp.
    fn midnight(&self, date: &str) -> String {
        if self.pg() {
            format!("(CAST({date} AS TIMESTAMP) AT TIME ZONE 'UTC')")
        } else {
            format!("({date} || 'T00:00:00+00:00')")
        }
    }

    /// A new summary id, e.g. `ACCS_` + 26 (SQLite) or 32 (PostgreSQL) random hex digits.
    fn new_id(&self, prefix: &str) -> String {
        if self.pg() {
            format!("'{prefix}_' || upper(replace(CAST(gen_random_uuid() AS TEXT), '-', ''))")
        } else {
            format!("'{prefix}_' || upper(hex(randomblob(13)))")
        }
    }
}

/// The later of two nullable timestamps.
fn later(a: &str, b: &str) -> String {
    format!("CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL OR {a} >= {b} THEN {a} ELSE {b} END")
}

fn capped(expr: &str, cap: u32) -> String {
    format!("CASE WHEN ({expr}) > {cap} THEN {cap} ELSE ({expr}) END")
}

fn count_if(condition: &str) -> String {
    format!("SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)")
}

const HAPPENED: &str = "COALESCE(touchpoint_status, 'COMPLETED') = 'COMPLETED'";

/// `INSERT INTO <table> (<key>, <columns>) SELECT <new id>, s.<key>, <values> FROM (<source>) s
/// ON CONFLICT (<key>) DO UPDATE SET <every column> = excluded.<column>`.
fn upsert(d: &Dialect, table: &str, prefix: &str, key: &str, columns: &[(&str, String)], source: &str) -> String {
    let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
    let values: Vec<&str> = columns.iter().map(|c| c.1.as_str()).collect();
    let updates: Vec<String> = names.iter().map(|n| format!("{n} = excluded.{n}")).collect();
    // `WHERE 1 = 1` keeps SQLite from reading ON CONFLICT as a join constraint. The update's
    // guard keeps the newest refresh: of two racing refreshes of one row (replicas, or the
    // post-commit refresh beside a full run) the one computed as of the earlier time, which may
    // have seen fewer committed rows, never overwrites the later one.
    format!(
        "INSERT INTO {table} (summary_id, {key}, {}) SELECT {}, s.{key}, {} FROM ({source}) s WHERE 1 = 1 \
         ON CONFLICT ({key}) DO UPDATE SET {} WHERE {table}.calculated_at <= excluded.calculated_at",
        names.join(", "),
        d.new_id(prefix),
        values.join(", "),
        updates.join(", "),
    )
}

fn recency_points(days: &str, last: &str, steps: &[(u32, u32)]) -> String {
    let arms: Vec<String> =
        steps.iter().map(|(limit, points)| format!("WHEN {days} <= {limit} THEN {points}")).collect();
    format!("CASE WHEN {last} IS NULL THEN 0 {} ELSE 0 END", arms.join(" "))
}

fn account_sql(d: &Dialect) -> String {
    let source = format!(
        "SELECT a.account_id, a.created_at, \
           COALESCE(c.n, 0) AS contacts, COALESCE(l.n, 0) AS leads, \
           COALESCE(o.total, 0) AS opportunities, COALESCE(o.won, 0) AS won, COALESCE(o.lost, 0) AS lost, \
           COALESCE(o.open_count, 0) AS open_count, COALESCE(o.won_recent, 0) AS won_recent, \
           COALESCE(o.won_amount, 0) AS revenue, COALESCE(o.weighted_open, 0) AS weighted_open, \
           o.last_close, o.first_close, o.last_created, \
           COALESCE(t.n, 0) AS touchpoints, COALESCE(t.recent, 0) AS recent_touchpoints, t.last_at AS last_touch, \
           COALESCE(e.recent, 0) AS recent_events, e.last_at AS last_event, \
           COALESCE(ac.n, 0) AS active_campaigns \
         FROM account a \
         LEFT JOIN (SELECT account_id, COUNT(DISTINCT contact_id) AS n FROM account_contact_relation \
           WHERE COALESCE(relationship_status, 'ACTIVE') <> 'INACTIVE'{f_acr} GROUP BY account_id) c ON c.account_id = a.account_id \
         LEFT JOIN (SELECT converted_account_id AS account_id, COUNT(*) AS n FROM lead \
           WHERE converted_account_id IS NOT NULL{f_lead} GROUP BY converted_account_id) l ON l.account_id = a.account_id \
         LEFT JOIN (SELECT account_id, COUNT(*) AS total, {won} AS won, {lost} AS lost, {open} AS open_count, \
             {won_recent} AS won_recent, \
             SUM(CASE WHEN is_won THEN COALESCE(amount, 0) ELSE 0 END) AS won_amount, \
             SUM(CASE WHEN is_won OR is_lost THEN 0 ELSE COALESCE(amount, 0) * probability / 100 END) AS weighted_open, \
             MAX(CASE WHEN is_won THEN actual_close_date END) AS last_close, \
             MIN(CASE WHEN is_won THEN actual_close_date END) AS first_close, \
             MAX(created_at) AS last_created \
           FROM opportunity WHERE 1 = 1{f_opp} GROUP BY account_id) o ON o.account_id = a.account_id \
         LEFT JOIN (SELECT account_id, COUNT(*) AS n, {tp_recent} AS recent, MAX(touchpoint_time) AS last_at \
           FROM touchpoint WHERE account_id IS NOT NULL AND {HAPPENED}{f_tp} GROUP BY account_id) t ON t.account_id = a.account_id \
         LEFT JOIN (SELECT account_id, {ev_recent} AS recent, MAX(event_time) AS last_at \
           FROM event WHERE account_id IS NOT NULL{f_ev} GROUP BY account_id) e ON e.account_id = a.account_id \
         LEFT JOIN (SELECT x.account_id, COUNT(DISTINCT x.campaign_id) AS n FROM ( \
             SELECT member_ref_id AS account_id, campaign_id FROM campaign_member WHERE member_type = 'ACCOUNT'{f_cm} \
             UNION SELECT r.account_id, m.campaign_id FROM campaign_member m \
               JOIN account_contact_relation r ON r.contact_id = m.member_ref_id \
               WHERE m.member_type = 'CONTACT' AND COALESCE(r.relationship_status, 'ACTIVE') <> 'INACTIVE'{f_r} \
             UNION SELECT account_id, campaign_id FROM touchpoint WHERE campaign_id IS NOT NULL{f_tp}) x \
           JOIN campaign k ON k.campaign_id = x.campaign_id WHERE k.campaign_status = 'ACTIVE' GROUP BY x.account_id) ac \
           ON ac.account_id = a.account_id \
         WHERE 1 = 1{f_a}",
        f_acr = d.only("account_id"),
        f_lead = d.only("converted_account_id"),
        f_opp = d.only("account_id"),
        f_tp = d.only("account_id"),
        f_ev = d.only("account_id"),
        f_cm = d.only("member_ref_id"),
        f_r = d.only("r.account_id"),
        f_a = d.only("a.account_id"),
        won = count_if("is_won"),
        lost = count_if("is_lost"),
        open = count_if("NOT (is_won OR is_lost)"),
        won_recent = count_if("is_won AND actual_close_date >= $3"),
        tp_recent = count_if("touchpoint_time >= $2"),
        ev_recent = count_if("event_time >= $2"),
    );
    let last_activity = later("s.last_touch", "s.last_event");
    let closed = "(s.won + s.lost)";
    let win_rate = format!("CASE WHEN {closed} > 0 THEN ROUND(100.0 * s.won / {closed}, 2) ELSE 0 END");
    let recency =
        recency_points(&d.days_since(&last_activity), &last_activity, &[(7, 40), (30, 30), (90, 20), (180, 10)]);
    let engagement = capped("2 * s.recent_touchpoints + s.recent_events / 5", 25);
    let pipeline = "(CASE WHEN s.open_count > 0 THEN 10 ELSE 0 END + CASE WHEN s.won_recent > 0 THEN 10 ELSE 0 END)";
    let win_points = format!("CASE WHEN {closed} > 0 THEN 15 * s.won / {closed} ELSE 0 END");
    let columns = [
        ("total_contacts", "s.contacts".to_owned()),
        ("total_opportunities", "s.opportunities".to_owned()),
        ("total_leads", "s.leads".to_owned()),
        ("total_revenue", "ROUND(s.revenue, 2)".to_owned()),
        ("lifetime_value", "ROUND(s.revenue + s.weighted_open, 2)".to_owned()),
        ("won_opportunities", "s.won".to_owned()),
        ("lost_opportunities", "s.lost".to_owned()),
        ("win_rate", win_rate),
        ("total_touchpoints", "s.touchpoints".to_owned()),
        ("active_campaigns", "s.active_campaigns".to_owned()),
        ("health_score", format!("({recency}) + ({engagement}) + {pipeline} + ({win_points})")),
        ("last_activity_at", last_activity),
        ("last_purchase_at", d.midnight("s.last_close")),
        ("first_purchase_date", "s.first_close".to_owned()),
        ("latest_opportunity_date", d.date_of("s.last_created")),
        ("days_since_last_contact", d.days_since("COALESCE(s.last_touch, s.created_at)")),
        ("calculated_at", "$1".to_owned()),
        ("updated_at", "$1".to_owned()),
    ];
    upsert(d, "account_summary", "ACCS", "account_id", &columns, &source)
}

fn contact_sql(d: &Dialect) -> String {
    let source = format!(
        "SELECT c.contact_id, c.created_at, \
           COALESCE(t.n, 0) AS touchpoints, COALESCE(t.opens, 0) AS opens, COALESCE(t.clicks, 0) AS clicks, \
           COALESCE(t.forms, 0) + COALESCE(e.forms, 0) AS forms, \
           COALESCE(t.downloads, 0) + COALESCE(e.downloads, 0) AS downloads, \
           COALESCE(t.opens90, 0) AS opens90, COALESCE(t.clicks90, 0) AS clicks90, \
           COALESCE(t.conversions90, 0) + COALESCE(e.conversions90, 0) + COALESCE(r.recent, 0) AS conversions90, \
           COALESCE(e.n, 0) AS events, COALESCE(e.recent, 0) AS events90, \
           t.last_at AS last_touch, e.last_at AS last_event, t.last_sent, t.last_open, \
           COALESCE(r.n, 0) AS responses \
         FROM contact c \
         LEFT JOIN (SELECT contact_id, COUNT(*) AS n, {opens} AS opens, {clicks} AS clicks, {forms} AS forms, \
             {downloads} AS downloads, {opens90} AS opens90, {clicks90} AS clicks90, {conv90} AS conversions90, \
             MAX(touchpoint_time) AS last_at, \
             MAX(CASE WHEN touchpoint_type = 'EMAIL' AND touchpoint_direction = 'OUTBOUND' THEN touchpoint_time END) AS last_sent, \
             MAX(CASE WHEN touchpoint_type = 'EMAIL_OPEN' THEN touchpoint_time END) AS last_open \
           FROM touchpoint WHERE contact_id IS NOT NULL AND {HAPPENED}{f_tp} GROUP BY contact_id) t ON t.contact_id = c.contact_id \
         LEFT JOIN (SELECT contact_id, COUNT(*) AS n, {ev90} AS recent, {ev_forms} AS forms, {ev_downloads} AS downloads, \
             {ev_conv90} AS conversions90, MAX(event_time) AS last_at \
           FROM event WHERE contact_id IS NOT NULL{f_ev} GROUP BY contact_id) e ON e.contact_id = c.contact_id \
         LEFT JOIN (SELECT member_ref_id AS contact_id, COUNT(*) AS n, {responses90} AS recent FROM campaign_member \
           WHERE member_type = 'CONTACT' AND responded_at IS NOT NULL{f_cm} GROUP BY member_ref_id) r ON r.contact_id = c.contact_id \
         WHERE 1 = 1{f_c}",
        opens = count_if("touchpoint_type = 'EMAIL_OPEN'"),
        clicks = count_if("touchpoint_type = 'EMAIL_CLICK'"),
        forms = count_if("touchpoint_type = 'FORM_SUBMIT'"),
        downloads = count_if("touchpoint_type = 'DOWNLOAD'"),
        opens90 = count_if("touchpoint_type = 'EMAIL_OPEN' AND touchpoint_time >= $2"),
        clicks90 = count_if("touchpoint_type = 'EMAIL_CLICK' AND touchpoint_time >= $2"),
        conv90 = count_if("touchpoint_type IN ('FORM_SUBMIT', 'DOWNLOAD') AND touchpoint_time >= $2"),
        ev90 = count_if("event_time >= $2"),
        ev_forms = count_if("event_type = 'FORM_SUBMIT'"),
        ev_downloads = count_if("event_type IN ('FILE_DOWNLOAD', 'DOWNLOAD')"),
        ev_conv90 = count_if("event_type IN ('FORM_SUBMIT', 'FILE_DOWNLOAD', 'DOWNLOAD') AND event_time >= $2"),
        responses90 = count_if("responded_at >= $2"),
        f_tp = d.only("contact_id"),
        f_ev = d.only("contact_id"),
        f_cm = d.only("member_ref_id"),
        f_c = d.only("c.contact_id"),
    );
    let last_activity = later("s.last_touch", "s.last_event");
    let recency = recency_points(&d.days_since(&last_activity), &last_activity, &[(7, 30), (30, 20), (90, 10)]);
    let email = capped("2 * s.opens90 + 4 * s.clicks90", 20);
    let web = capped("s.events90 / 2", 25);
    let conversions = capped("5 * s.conversions90", 25);
    let columns = [
        ("total_touchpoints", "s.touchpoints".to_owned()),
        ("total_events", "s.events".to_owned()),
        ("email_opens", "s.opens".to_owned()),
        ("email_clicks", "s.clicks".to_owned()),
        ("form_submissions", "s.forms".to_owned()),
        ("content_downloads", "s.downloads".to_owned()),
        ("engagement_score", format!("({recency}) + ({email}) + ({web}) + ({conversions})")),
        ("last_activity_at", last_activity.clone()),
        ("last_email_sent_at", "s.last_sent".to_owned()),
        ("last_email_opened_at", "s.last_open".to_owned()),
        ("days_since_last_activity", d.days_since(&format!("COALESCE({last_activity}, s.created_at)"))),
        ("campaign_responses", "s.responses".to_owned()),
        ("calculated_at", "$1".to_owned()),
        ("updated_at", "$1".to_owned()),
    ];
    upsert(d, "contact_summary", "CNTS", "contact_id", &columns, &source)
}

fn lead_sql(d: &Dialect) -> String {
    let attempt = "touchpoint_direction = 'OUTBOUND' AND touchpoint_type IN ('CALL', 'EMAIL')";
    let source = format!(
        "SELECT l.lead_id, l.created_at, l.converted_at, \
           COALESCE(t.n, 0) AS touchpoints, COALESCE(e.n, 0) AS events, \
           COALESCE(t.forms, 0) + COALESCE(e.forms, 0) AS forms, \
           COALESCE(t.downloads, 0) + COALESCE(e.downloads, 0) AS downloads, \
           COALESCE(t.views, 0) + COALESCE(e.views, 0) AS views, \
           COALESCE(t.attempts, 0) AS attempts, t.last_attempt, t.last_at AS last_touch, e.last_at AS last_event \
         FROM lead l \
         LEFT JOIN (SELECT lead_id, COUNT(*) AS n, {forms} AS forms, {downloads} AS downloads, {views} AS views, \
             {attempts} AS attempts, MAX(CASE WHEN {attempt} THEN touchpoint_time END) AS last_attempt, \
             MAX(touchpoint_time) AS last_at \
           FROM touchpoint WHERE lead_id IS NOT NULL AND {HAPPENED}{f_tp} GROUP BY lead_id) t ON t.lead_id = l.lead_id \
         LEFT JOIN (SELECT lead_id, COUNT(*) AS n, {ev_forms} AS forms, {ev_downloads} AS downloads, {ev_views} AS views, \
             MAX(event_time) AS last_at \
           FROM event WHERE lead_id IS NOT NULL{f_ev} GROUP BY lead_id) e ON e.lead_id = l.lead_id \
         WHERE 1 = 1{f_l}",
        forms = count_if("touchpoint_type = 'FORM_SUBMIT'"),
        downloads = count_if("touchpoint_type = 'DOWNLOAD'"),
        views = count_if("touchpoint_type = 'PAGE_VIEW'"),
        attempts = count_if(attempt),
        ev_forms = count_if("event_type = 'FORM_SUBMIT'"),
        ev_downloads = count_if("event_type IN ('FILE_DOWNLOAD', 'DOWNLOAD')"),
        ev_views = count_if("event_type = 'PAGE_VIEW'"),
        f_tp = d.only("lead_id"),
        f_ev = d.only("lead_id"),
        f_l = d.only("l.lead_id"),
    );
    let pipeline_end = format!("COALESCE(s.converted_at, {})", d.now());
    let columns = [
        ("total_touchpoints", "s.touchpoints".to_owned()),
        ("total_events", "s.events".to_owned()),
        ("form_submissions", "s.forms".to_owned()),
        ("content_downloads", "s.downloads".to_owned()),
        ("page_views", "s.views".to_owned()),
        ("days_in_pipeline", d.greatest("0", &d.days_between("s.created_at", &pipeline_end))),
        ("contact_attempts", "s.attempts".to_owned()),
        ("last_activity_at", later("s.last_touch", "s.last_event")),
        ("last_contact_attempt_at", "s.last_attempt".to_owned()),
        ("calculated_at", "$1".to_owned()),
        ("updated_at", "$1".to_owned()),
    ];
    upsert(d, "lead_summary", "LEADS", "lead_id", &columns, &source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::bulk::testing;
    use chrono::{NaiveDate, TimeZone};
    use entity::{account_summary, contact_summary, lead_summary};
    use rust_decimal::Decimal;
    use sea_orm::EntityTrait;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("time")
    }

    fn ts(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("rfc3339").with_timezone(&Utc)
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    /// A hand-built world whose summaries are worked out in the assertions below. Literal
    /// datetimes use SeaORM's SQLite text format, which PostgreSQL reads as timestamptz too.
    const FIXTURE: &[&str] = &[
        "INSERT INTO campaign (campaign_id, campaign_name, campaign_type, campaign_status, created_at, updated_at) VALUES \
         ('CMP_A', 'A', 'WEBINAR', 'ACTIVE', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'), \
         ('CMP_B', 'B', 'WEBINAR', 'COMPLETED', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'), \
         ('CMP_C', 'C', 'SUMMIT', 'ACTIVE', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'), \
         ('CMP_D', 'D', 'SUMMIT', 'ACTIVE', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
        "INSERT INTO account (account_id, account_name, account_type, account_status, created_at, updated_at) VALUES \
         ('ACC_A', '杭州云帆网络科技有限公司', 'CUSTOMER', 'ACTIVE', '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00'), \
         ('ACC_B', '上海星联信息技术有限公司', 'PROSPECT', 'ACTIVE', '2026-10-01T00:00:00+00:00', '2026-10-01T00:00:00+00:00')",
        "INSERT INTO contact (contact_id, contact_name, contact_status, created_at, updated_at) VALUES \
         ('CNT_1', '张伟', 'ACTIVE', '2025-02-01T00:00:00+00:00', '2025-02-01T00:00:00+00:00'), \
         ('CNT_2', '李娜', 'ACTIVE', '2025-02-01T00:00:00+00:00', '2025-02-01T00:00:00+00:00'), \
         ('CNT_3', '王芳', 'ACTIVE', '2025-02-01T00:00:00+00:00', '2025-02-01T00:00:00+00:00')",
        "INSERT INTO account_contact_relation (relation_id, account_id, contact_id, relationship_status, is_primary_contact, created_at, updated_at) VALUES \
         ('ACR_1', 'ACC_A', 'CNT_1', 'ACTIVE', TRUE, '2025-02-01T00:00:00+00:00', '2025-02-01T00:00:00+00:00'), \
         ('ACR_2', 'ACC_A', 'CNT_2', NULL, FALSE, '2025-02-01T00:00:00+00:00', '2025-02-01T00:00:00+00:00'), \
         ('ACR_3', 'ACC_A', 'CNT_3', 'INACTIVE', FALSE, '2025-02-01T00:00:00+00:00', '2025-02-01T00:00:00+00:00')",
        "INSERT INTO lead (lead_id, lead_name, lead_source, lead_status, created_at, updated_at, converted_at, converted_account_id, converted_contact_id) VALUES \
         ('LEAD_1', '张伟', 'WEBSITE', 'CONVERTED', '2025-03-01T00:00:00+00:00', '2025-03-11T06:00:00+00:00', '2025-03-11T06:00:00+00:00', 'ACC_A', 'CNT_1'), \
         ('LEAD_2', '赵敏', 'FORM', 'CONTACTED', '2026-10-22T00:00:00+00:00', '2026-10-22T00:00:00+00:00', NULL, NULL, NULL)",
        "INSERT INTO opportunity (opportunity_id, opportunity_name, account_id, stage, probability, amount, is_won, is_lost, actual_close_date, created_at, updated_at) VALUES \
         ('OPP_W1', 'w1', 'ACC_A', 'CLOSED_WON', 100, 1000.00, TRUE, FALSE, '2026-06-30', '2026-05-01T00:00:00+00:00', '2026-06-30T00:00:00+00:00'), \
         ('OPP_W2', 'w2', 'ACC_A', 'CLOSED_WON', 100, 500.50, TRUE, FALSE, '2025-06-30', '2025-04-01T00:00:00+00:00', '2025-06-30T00:00:00+00:00'), \
         ('OPP_L', 'l', 'ACC_A', 'CLOSED_LOST', 0, 300.00, FALSE, TRUE, '2026-02-01', '2026-01-01T00:00:00+00:00', '2026-02-01T00:00:00+00:00'), \
         ('OPP_O', 'o', 'ACC_A', 'PROPOSAL', 40, 2000.00, FALSE, FALSE, NULL, '2026-10-15T08:00:00+00:00', '2026-10-15T08:00:00+00:00')",
        "INSERT INTO touchpoint (touchpoint_id, touchpoint_type, touchpoint_direction, touchpoint_status, contact_id, lead_id, account_id, campaign_id, touchpoint_time, created_at) VALUES \
         ('TP1', 'EMAIL', 'OUTBOUND', 'COMPLETED', 'CNT_1', NULL, 'ACC_A', 'CMP_A', '2026-10-25T10:00:00+00:00', '2026-10-25T10:00:00+00:00'), \
         ('TP2', 'EMAIL_OPEN', 'INBOUND', NULL, 'CNT_1', NULL, 'ACC_A', NULL, '2026-10-26T09:00:00+00:00', '2026-10-26T09:00:00+00:00'), \
         ('TP3', 'EMAIL_CLICK', 'INBOUND', 'COMPLETED', 'CNT_1', NULL, 'ACC_A', NULL, '2026-10-26T09:05:00+00:00', '2026-10-26T09:05:00+00:00'), \
         ('TP4', 'FORM_SUBMIT', 'INBOUND', 'COMPLETED', 'CNT_1', NULL, 'ACC_A', NULL, '2026-09-01T00:00:00+00:00', '2026-09-01T00:00:00+00:00'), \
         ('TP5', 'CALL', 'OUTBOUND', 'CANCELLED', 'CNT_2', NULL, 'ACC_A', NULL, '2026-10-31T00:00:00+00:00', '2026-10-31T00:00:00+00:00'), \
         ('TP6', 'CALL', 'OUTBOUND', 'COMPLETED', NULL, 'LEAD_2', 'ACC_A', NULL, '2026-10-28T12:00:00+00:00', '2026-10-28T12:00:00+00:00'), \
         ('TP7', 'DOWNLOAD', 'INBOUND', 'COMPLETED', NULL, 'LEAD_2', 'ACC_A', NULL, '2026-10-23T00:00:00+00:00', '2026-10-23T00:00:00+00:00'), \
         ('TP8', 'PAGE_VIEW', 'INBOUND', 'COMPLETED', NULL, 'LEAD_2', 'ACC_A', NULL, '2026-10-24T00:00:00.250+00:00', '2026-10-24T00:00:00+00:00')",
        "INSERT INTO event (event_id, event_name, event_type, contact_id, lead_id, account_id, event_time, created_at) VALUES \
         ('EVT1', 'page_view', 'PAGE_VIEW', 'CNT_1', NULL, 'ACC_A', '2026-10-30T00:00:00+00:00', '2026-10-30T00:00:00+00:00'), \
         ('EVT2', 'form_submit', 'FORM_SUBMIT', 'CNT_1', NULL, 'ACC_A', '2026-10-29T00:00:00+00:00', '2026-10-29T00:00:00+00:00'), \
         ('EVT3', 'file_download', 'FILE_DOWNLOAD', NULL, 'LEAD_2', 'ACC_A', '2026-10-25T00:00:00+00:00', '2026-10-25T00:00:00+00:00'), \
         ('EVT4', 'page_view', 'PAGE_VIEW', NULL, 'LEAD_2', 'ACC_A', '2026-10-25T01:00:00+00:00', '2026-10-25T01:00:00+00:00')",
        "INSERT INTO campaign_member (member_id, campaign_id, member_type, member_ref_id, responded_at) VALUES \
         ('CMM_1', 'CMP_B', 'CONTACT', 'CNT_1', '2026-09-15T00:00:00+00:00'), \
         ('CMM_2', 'CMP_A', 'CONTACT', 'CNT_2', '2026-10-20T00:00:00+00:00'), \
         ('CMM_3', 'CMP_C', 'ACCOUNT', 'ACC_A', NULL), \
         ('CMM_4', 'CMP_D', 'CONTACT', 'CNT_3', NULL)",
    ];

    async fn fixture(db: &impl ConnectionTrait) {
        for sql in FIXTURE {
            db.execute_unprepared(sql).await.expect(sql);
        }
    }

    async fn account(db: &impl ConnectionTrait, id: &str) -> account_summary::Model {
        use sea_orm::{ColumnTrait, QueryFilter};
        account_summary::Entity::find()
            .filter(account_summary::Column::AccountId.eq(id))
            .one(db)
            .await
            .expect("read account_summary through SeaORM")
            .expect("summary row")
    }

    #[tokio::test]
    async fn summary_refresh_counts_won_opportunities_and_win_rate() {
        for t in testing::databases().await {
            fixture(&t.db).await;
            assert_eq!(refresh(&t.db, Summary::Account, None, at()).await.expect("refresh"), 2, "{}", t.name());
            let a = account(&t.db, "ACC_A").await;
            assert_eq!((a.total_opportunities, a.won_opportunities, a.lost_opportunities), (4, 2, 1));
            assert_eq!(a.win_rate, Decimal::new(6667, 2), "{}", t.name());
            assert_eq!(a.total_revenue, Decimal::new(150050, 2));
            // Won revenue plus the open 2000.00 at 40 %.
            assert_eq!(a.lifetime_value, Decimal::new(230050, 2));
            assert_eq!((a.total_contacts, a.total_leads, a.total_touchpoints), (2, 1, 7));
            assert_eq!(a.active_campaigns, 2, "CMP_A via a touchpoint and CMP_C as member");
            assert_eq!(a.last_activity_at, Some(ts("2026-10-30T00:00:00Z")));
            assert_eq!(a.last_purchase_at, Some(ts("2026-06-30T00:00:00Z")));
            assert_eq!(a.first_purchase_date, Some(day(2025, 6, 30)));
            assert_eq!(a.latest_opportunity_date, Some(day(2026, 10, 15)));
            assert_eq!(a.days_since_last_contact, 3, "last touchpoint 2026-10-28 12:00");
            assert_eq!((a.calculated_at, a.updated_at), (at(), at()));
            assert!(a.summary_id.starts_with("ACCS_") && a.summary_id.len() > 20);
        }
    }

    #[tokio::test]
    async fn summary_refresh_scores_account_health_from_the_documented_formula() {
        for t in testing::databases().await {
            fixture(&t.db).await;
            refresh(&t.db, Summary::Account, None, at()).await.expect("refresh");
            // Recency 40 (2 days) + engagement min(25, 2×7 + 4/5) = 14 + pipeline 10 + 10 + win 15×2/3 = 10.
            assert_eq!(account(&t.db, "ACC_A").await.health_score, 84, "{}", t.name());
            let b = account(&t.db, "ACC_B").await;
            assert_eq!((b.health_score, b.total_opportunities, b.win_rate), (0, 0, Decimal::ZERO));
            assert_eq!((b.total_revenue, b.last_activity_at, b.first_purchase_date), (Decimal::ZERO, None, None));
            assert_eq!(b.days_since_last_contact, 31, "no touchpoint: days since the account was created");
        }
    }

    #[tokio::test]
    async fn summary_refresh_fills_contact_engagement_counters() {
        for t in testing::databases().await {
            fixture(&t.db).await;
            assert_eq!(refresh(&t.db, Summary::Contact, None, at()).await.expect("refresh"), 3);
            let all = contact_summary::Entity::find().all(&t.db).await.expect("read contact_summary");
            let c = all.iter().find(|c| c.contact_id == "CNT_1").expect("CNT_1");
            assert_eq!(
                (c.total_touchpoints, c.total_events, c.email_opens, c.email_clicks),
                (4, 2, 1, 1),
                "{}",
                t.name()
            );
            assert_eq!((c.form_submissions, c.content_downloads, c.campaign_responses), (2, 0, 1));
            assert_eq!(c.last_activity_at, Some(ts("2026-10-30T00:00:00Z")));
            assert_eq!(c.last_email_sent_at, Some(ts("2026-10-25T10:00:00Z")));
            assert_eq!(c.last_email_opened_at, Some(ts("2026-10-26T09:00:00Z")));
            assert_eq!(c.days_since_last_activity, 2);
            // Recency 30 + e-mail 2×1 + 4×1 + web 2/2 + conversions 5×(1 + 1 + 1).
            assert_eq!(c.engagement_score, 52, "{}", t.name());
            let quiet = all.iter().find(|c| c.contact_id == "CNT_2").expect("CNT_2");
            assert_eq!(
                (quiet.total_touchpoints, quiet.campaign_responses),
                (0, 1),
                "a cancelled call is no touchpoint"
            );
            assert_eq!(quiet.days_since_last_activity, (at() - ts("2025-02-01T00:00:00Z")).num_days() as i32);
            assert_eq!(quiet.engagement_score, 5);
        }
    }

    #[tokio::test]
    async fn summary_refresh_measures_lead_pipeline_and_contact_attempts() {
        for t in testing::databases().await {
            fixture(&t.db).await;
            assert_eq!(refresh(&t.db, Summary::Lead, None, at()).await.expect("refresh"), 2);
            let all = lead_summary::Entity::find().all(&t.db).await.expect("read lead_summary");
            let open = all.iter().find(|l| l.lead_id == "LEAD_2").expect("LEAD_2");
            assert_eq!((open.total_touchpoints, open.total_events, open.form_submissions), (3, 2, 0), "{}", t.name());
            assert_eq!((open.content_downloads, open.page_views, open.contact_attempts), (2, 2, 1));
            assert_eq!(open.days_in_pipeline, 10);
            assert_eq!(open.last_contact_attempt_at, Some(ts("2026-10-28T12:00:00Z")));
            assert_eq!(open.last_activity_at, Some(ts("2026-10-28T12:00:00Z")));
            let converted = all.iter().find(|l| l.lead_id == "LEAD_1").expect("LEAD_1");
            assert_eq!((converted.days_in_pipeline, converted.total_touchpoints), (10, 0), "created → converted");
            assert_eq!(converted.last_activity_at, None);
        }
    }

    #[tokio::test]
    async fn summary_refresh_updates_rows_in_place() {
        for t in testing::databases().await {
            fixture(&t.db).await;
            refresh_all_at(&t.db, at()).await.expect("first refresh");
            let before = account(&t.db, "ACC_B").await;
            t.db.execute_unprepared(
                "INSERT INTO touchpoint (touchpoint_id, touchpoint_type, account_id, touchpoint_time, created_at) VALUES \
                 ('TP9', 'MEETING', 'ACC_B', '2026-10-31T09:30:00.5+00:00', '2026-10-31T09:30:00+00:00')",
            )
            .await
            .expect("insert");
            let later = at() + Duration::hours(1);
            assert_eq!(refresh_all_at(&t.db, later).await.expect("second refresh"), 2 + 3 + 2);
            let after = account(&t.db, "ACC_B").await;
            assert_eq!(after.summary_id, before.summary_id, "upsert keeps the row");
            assert_eq!((after.total_touchpoints, after.days_since_last_contact), (1, 0));
            assert_eq!(after.last_activity_at, Some(ts("2026-10-31T09:30:00.5Z")), "{}", t.name());
            assert_eq!(after.calculated_at, later);
            assert_eq!(account_summary::Entity::find().all(&t.db).await.expect("rows").len(), 2);
        }
    }

    #[tokio::test]
    async fn summary_refresh_of_some_ids_leaves_the_others_alone() {
        for t in testing::databases().await {
            fixture(&t.db).await;
            let ids = vec!["ACC_B".to_owned()];
            assert_eq!(refresh(&t.db, Summary::Account, Some(&ids), at()).await.expect("refresh"), 1);
            let rows = account_summary::Entity::find().all(&t.db).await.expect("rows");
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].account_id, "ACC_B");
            assert_eq!(refresh(&t.db, Summary::Account, Some(&[]), at()).await.expect("nothing"), 0);
            let leads = vec!["LEAD_2".to_owned(), "NO_SUCH_LEAD".to_owned()];
            assert_eq!(refresh(&t.db, Summary::Lead, Some(&leads), at()).await.expect("refresh"), 1);
            let lead = lead_summary::Entity::find().one(&t.db).await.expect("read").expect("row");
            assert_eq!((lead.lead_id.as_str(), lead.total_touchpoints), ("LEAD_2", 3), "{}", t.name());
        }
    }
}
