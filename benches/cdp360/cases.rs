//! The cases: for each, one cdp360 request (GraphQL over HTTP) and its floor (the same work done
//! by hand-written SQL against the same database, or for Q0 a plain axum route), both as [`Op`]s
//! returning a comparable projection of what they read.
//!
//! Floors build their rows as JSON with the GraphQL field names (`AS "accountName"`,
//! `json_build_object(…)`), so the equivalence check compares whole results with [`same`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, FromQueryResult, IdenStatic, Iterable, JsonValue, Statement,
};
use serde_json::{Value, json};

use crate::runner::Op;
use crate::server::BoxError;

pub type Res = Result<Value, String>;
/// Prepares `n` inputs for a case that consumes them (M3's QUALIFIED leads), outside the timing.
pub type Prepare = fn(Arc<Ctx>, usize) -> BoxFuture<'static, Result<(), String>>;

pub struct Case {
    pub id: &'static str,
    pub title: &'static str,
    pub cdp360: Op,
    pub floor: Option<Op>,
    /// The same floor behind HTTP in a process of its own (`served.rs`), for the point reads.
    pub served: Option<Op>,
    /// SQL statements the floor runs per request (by construction).
    pub floor_statements: u32,
    /// Reads: the floor's projection must equal cdp360's for the same sample.
    pub compare: bool,
    pub prepare: Option<Prepare>,
}

/// Everything a request needs: the clients, the bench's own pool, and the samples.
pub struct Ctx {
    pub http: reqwest::Client,
    pub graphql_url: String,
    pub floor_url: String,
    /// The served floor's routes (`served.rs`): `{ __typename }` and a statement's rows.
    pub served_graphql_url: String,
    pub served_rows_url: String,
    /// Requests rotate over these principals (see `server::tokens`).
    tokens: Vec<String>,
    turn: AtomicU64,
    pub db: DatabaseConnection,
    pub samples: Samples,
    /// Unique suffixes for generated rows.
    seq: AtomicU64,
    /// M3's QUALIFIED leads, consumed one per request.
    supply: Mutex<Vec<String>>,
}

#[derive(Default)]
pub struct Samples {
    /// Seeded accounts in a deterministic shuffled order (Q1).
    pub accounts: Vec<String>,
    /// Q3's: the account with most opportunities (the equivalence check's sample), then `accounts`.
    pub rich_accounts: Vec<String>,
    /// Q2's pages, in `leadId` order.
    pub pages: Vec<Page>,
    /// Q2b's pages, newest first (`createdAt` desc).
    pub newest_pages: Vec<Page>,
    /// Q5's provinces (most NEW leads first) and how many leads its page must hold (at most 50).
    pub provinces: Vec<(String, usize)>,
    pub phones: Vec<String>,
    /// (contact, account) pairs events are tracked for.
    pub people: Vec<(String, String)>,
    pub channel: String,
}

/// A statement's rows as JSON objects keyed by column name: the floor's decoding, in the bench
/// process and in the served floor alike.
pub async fn rows(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<Value>, sea_orm::DbErr> {
    JsonValue::find_by_statement(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).all(db).await
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn pick<T>(items: &[T], i: usize) -> &T {
    &items[i % items.len()]
}

impl Ctx {
    pub async fn new(
        http: reqwest::Client,
        server: &str,
        floor_url: String,
        served_url: String,
        tokens: Vec<String>,
        db: DatabaseConnection,
    ) -> Result<Arc<Ctx>, BoxError> {
        let mut ctx = Ctx {
            http,
            graphql_url: format!("{server}/graphql"),
            floor_url,
            served_graphql_url: format!("{served_url}/graphql"),
            served_rows_url: format!("{served_url}/rows"),
            tokens,
            turn: AtomicU64::new(0),
            db,
            samples: Samples::default(),
            seq: AtomicU64::new(0),
            supply: Mutex::new(Vec::new()),
        };
        // What earlier runs left must go before sampling (samples must stay valid all run).
        cleanup(&ctx).await?;
        ctx.samples = Samples::load(&ctx).await?;
        Ok(Arc::new(ctx))
    }

    /// A GraphQL request to `url`: HTTP 200 and no `errors`, or a failure; returns `data`.
    pub async fn gql_at(&self, url: &str, query: &str, variables: Value) -> Res {
        let resp = self
            .http
            .post(url)
            .bearer_auth(pick(&self.tokens, self.turn.fetch_add(1, Ordering::Relaxed) as usize))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(err)?;
        let status = resp.status();
        let mut body: Value = resp.json().await.map_err(err)?;
        let shown = |body: &Value| body.to_string().chars().take(300).collect::<String>();
        if status != reqwest::StatusCode::OK {
            return Err(format!("HTTP {status}: {}", shown(&body)));
        }
        if body.get("errors").is_some() {
            return Err(format!("errors: {}", shown(&body)));
        }
        match body.get_mut("data").map(Value::take) {
            Some(data) if !data.is_null() => Ok(data),
            _ => Err(format!("no data: {}", shown(&body))),
        }
    }

    pub async fn gql(&self, query: &str, variables: Value) -> Res {
        self.gql_at(&self.graphql_url, query, variables).await
    }

    /// A hand-written statement's rows, decoded to JSON objects keyed by column name.
    pub async fn rows(&self, sql: &str, values: Vec<sea_orm::Value>) -> Result<Vec<Value>, String> {
        rows(&self.db, sql, values).await.map_err(err)
    }

    /// The rows of the same statement, run by the served floor.
    pub async fn served_rows(&self, sql: &str, params: Vec<String>) -> Result<Vec<Value>, String> {
        let body = crate::served::Rows { sql: sql.to_owned(), params };
        let resp = self.http.post(&self.served_rows_url).json(&body).send().await.map_err(err)?;
        if !resp.status().is_success() {
            return Err(format!("served floor: HTTP {}", resp.status()));
        }
        resp.json().await.map_err(err)
    }

    pub async fn execute(&self, sql: &str, values: Vec<sea_orm::Value>) -> Result<u64, String> {
        let r = self.db.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await;
        r.map(|r| r.rows_affected()).map_err(err)
    }

    async fn column(&self, sql: &str) -> Result<Vec<String>, String> {
        let rows = self.rows(sql, vec![]).await?;
        Ok(rows.iter().filter_map(|r| r.as_object()?.values().next()?.as_str().map(str::to_owned)).collect())
    }

    /// Principal `k`'s token (rotating over them).
    pub fn token(&self, k: usize) -> &str {
        pick(&self.tokens, k).as_str()
    }

    pub fn next(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// SQL statements the server has run so far (`cdp360_db_statement_seconds_count`).
    pub async fn server_statements(&self) -> Result<f64, String> {
        let name = "cdp360_db_statement_seconds_count";
        self.metric_at(&self.graphql_url, name).await?.ok_or_else(|| format!("no {name} in /metrics"))
    }

    /// An unlabelled series of the `/metrics` of the server whose GraphQL endpoint is `graphql_url`
    /// (None before the server first set it).
    pub async fn metric_at(&self, graphql_url: &str, name: &str) -> Result<Option<f64>, String> {
        let url = graphql_url.replace("/graphql", "/metrics");
        let text = self.http.get(url).send().await.map_err(err)?.text().await.map_err(err)?;
        Ok(text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')).and_then(|v| v.trim().parse().ok()))
    }
}

/// Rows the bench writes carry these markers, so a run can remove what earlier runs left.
const BENCH_EVENT: &str = "bench_event";
const BENCH_LEAD_PREFIX: &str = "bench-";

/// Removes what the bench wrote (run at the start and end of every run, so each starts from the
/// seeded data): its events, its leads, and what converting them created (an opportunity, a
/// contact and an account per lead; summaries, relations and stage history go with them).
pub async fn cleanup(ctx: &Ctx) -> Result<(), String> {
    ctx.execute("DELETE FROM event WHERE event_name = $1", vec![BENCH_EVENT.into()]).await?;
    let script = format!(
        "BEGIN;
        CREATE TEMP TABLE bench_gone ON COMMIT DROP AS SELECT lead_id, converted_contact_id, converted_account_id
            FROM lead WHERE lead_name LIKE '{BENCH_LEAD_PREFIX}%';
        DELETE FROM opportunity WHERE lead_id IN (SELECT lead_id FROM bench_gone);
        DELETE FROM contact WHERE contact_id IN (SELECT converted_contact_id FROM bench_gone)
            AND contact_name LIKE '{BENCH_LEAD_PREFIX}%';
        DELETE FROM lead WHERE lead_id IN (SELECT lead_id FROM bench_gone);
        DELETE FROM account WHERE account_id IN (SELECT converted_account_id FROM bench_gone)
            AND account_name LIKE '{BENCH_LEAD_PREFIX}%';
        COMMIT;"
    );
    ctx.db.execute_unprepared(&script).await.map_err(err)?;
    Ok(())
}

impl Samples {
    async fn load(ctx: &Ctx) -> Result<Samples, BoxError> {
        let seeded = "account_name NOT LIKE 'bench-%'";
        let accounts = ctx
            .column(&format!("SELECT account_id FROM account WHERE {seeded} ORDER BY md5(account_id) LIMIT 200"))
            .await?;
        let mut rich_accounts = ctx
            .column(&format!(
                "SELECT o.account_id FROM opportunity o JOIN account a USING (account_id) WHERE {seeded}
                 GROUP BY o.account_id ORDER BY count(*) DESC, o.account_id LIMIT 1"
            ))
            .await?;
        rich_accounts.extend(accounts.iter().cloned());
        plain_contacts(ctx).await?;
        let phones = ctx
            .column(
                "SELECT mobile_phone FROM bench_plain_contact WHERE mobile_phone IS NOT NULL
                 ORDER BY md5(contact_id) LIMIT 200",
            )
            .await?;
        let people = ctx
            .rows(
                "SELECT contact_id, primary_account_id FROM contact
                 WHERE primary_account_id IS NOT NULL AND merged_into_id IS NULL ORDER BY md5(contact_id) LIMIT 50",
                vec![],
            )
            .await?
            .iter()
            .map(|r| {
                (
                    r["contact_id"].as_str().unwrap_or_default().into(),
                    r["primary_account_id"].as_str().unwrap_or_default().into(),
                )
            })
            .collect();
        let channel =
            ctx.column("SELECT channel_id FROM channel ORDER BY channel_id LIMIT 1").await?.pop().unwrap_or_default();
        let pages = lead_pages(ctx, 10, LeadOrder::Id).await?;
        let newest_pages = lead_pages(ctx, 10, LeadOrder::NewestFirst).await?;
        let provinces = ctx
            .rows(
                "SELECT province, least(count(*), 50) AS n FROM lead
                 WHERE lead_status = 'NEW' AND province IS NOT NULL AND lead_name NOT LIKE 'bench-%'
                 GROUP BY province ORDER BY count(*) DESC, province LIMIT 5",
                vec![],
            )
            .await?
            .iter()
            .map(|r| (r["province"].as_str().unwrap_or_default().into(), r["n"].as_u64().unwrap_or(0) as usize))
            .collect();
        let s = Samples { accounts, rich_accounts, pages, newest_pages, provinces, phones, people, channel };
        if s.accounts.is_empty()
            || s.phones.is_empty()
            || s.people.is_empty()
            || s.pages.is_empty()
            || s.newest_pages.is_empty()
            || s.provinces.is_empty()
        {
            return Err("the bench database holds too little data to sample".into());
        }
        Ok(s)
    }
}

/// One page of 100 leads: cdp360's cursor (None = the first page) and the floor's keyset, the
/// last lead of the previous page (its id, and its exact `created_at` as PostgreSQL text).
#[derive(Clone)]
pub struct Page {
    pub cursor: Option<String>,
    pub last_id: String,
    pub last_created: String,
}

#[derive(Clone, Copy)]
enum LeadOrder {
    /// The default: `leadId` ascending (Q2).
    Id,
    /// `createdAt` descending, `leadId` descending on ties (Q2b).
    NewestFirst,
}

/// Walks the first `n` full pages of 100 leads in `order`, keeping each page's cursor and keyset.
async fn lead_pages(ctx: &Ctx, n: usize, order: LeadOrder) -> Result<Vec<Page>, String> {
    let (order_by, full) = match order {
        LeadOrder::Id => ("", "SELECT 1 AS one FROM lead WHERE lead_id > $1 OFFSET 99 LIMIT 1"),
        LeadOrder::NewestFirst => (
            ", orderBy: { field: CREATED_AT, direction: DESC }",
            "SELECT 1 AS one FROM lead WHERE (created_at, lead_id) < ($1::timestamptz, $2) OFFSET 99 LIMIT 1",
        ),
    };
    let q = format!(
        "query($after: String) {{ leads(first: 100, after: $after{order_by}) {{
        edges {{ node {{ leadId }} }} pageInfo {{ endCursor hasNextPage }} }} }}"
    );
    // The first page's keyset: before every lead (newest first) or after none (by id).
    let mut pages = vec![Page { cursor: None, last_id: String::new(), last_created: "infinity".into() }];
    while pages.len() < n {
        let d = ctx.gql(&q, json!({ "after": pages.last().and_then(|p| p.cursor.clone()) })).await?;
        let edges = d["leads"]["edges"].as_array().cloned().unwrap_or_default();
        let last_id = edges.last().and_then(|e| e["node"]["leadId"].as_str()).unwrap_or_default().to_string();
        let cursor = d["leads"]["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        if last_id.is_empty() {
            break;
        }
        let created =
            ctx.rows("SELECT created_at::text AS t FROM lead WHERE lead_id = $1", vec![last_id.clone().into()]).await?;
        let last_created = created.first().and_then(|r| r["t"].as_str()).unwrap_or_default().to_string();
        // Only pages that are full (100 leads after the previous page's last one).
        let after = match order {
            LeadOrder::Id => vec![last_id.clone().into()],
            LeadOrder::NewestFirst => vec![last_created.clone().into(), last_id.clone().into()],
        };
        if ctx.rows(full, after).await?.is_empty() {
            break;
        }
        pages.push(Page { cursor, last_id, last_created });
    }
    Ok(pages)
}

/// Q4's floor table: contacts' phones in plaintext with an index, filled once from the values the
/// server decrypts for a `pii` token (the seeded ones are encrypted).
async fn plain_contacts(ctx: &Ctx) -> Result<(), String> {
    ctx.execute(
        "CREATE TABLE IF NOT EXISTS bench_plain_contact (contact_id varchar(64) PRIMARY KEY,
         contact_name varchar(100) NOT NULL, mobile_phone varchar(32), email varchar(200))",
        vec![],
    )
    .await?;
    ctx.execute("CREATE INDEX IF NOT EXISTS bench_plain_contact_phone ON bench_plain_contact (mobile_phone)", vec![])
        .await?;
    if !ctx.rows("SELECT 1 AS one FROM bench_plain_contact LIMIT 1", vec![]).await?.is_empty() {
        return Ok(());
    }
    let q = "query($after: String) { contacts(first: 500, after: $after) {
        nodes { contactId contactName mobilePhone email } pageInfo { endCursor hasNextPage } } }";
    let mut after: Option<String> = None;
    loop {
        let d = ctx.gql(q, json!({ "after": after })).await?;
        let nodes = d["contacts"]["nodes"].as_array().cloned().unwrap_or_default();
        let rows: Vec<Vec<sea_orm::Value>> = nodes
            .iter()
            .map(|n| {
                ["contactId", "contactName", "mobilePhone", "email"]
                    .iter()
                    .map(|k| n[*k].as_str().map(str::to_owned).into())
                    .collect()
            })
            .collect();
        insert_rows(ctx, "bench_plain_contact (contact_id, contact_name, mobile_phone, email)", rows).await?;
        if d["contacts"]["pageInfo"]["hasNextPage"] != true {
            return Ok(());
        }
        after = d["contacts"]["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

/// Multi-row INSERTs of `rows` into `target` (`table (cols…)`), chunked under PostgreSQL's 65 535
/// bind parameters. Returns the rows inserted.
async fn insert_rows(ctx: &Ctx, target: &str, rows: Vec<Vec<sea_orm::Value>>) -> Result<u64, String> {
    let width = rows.first().map_or(1, Vec::len);
    let mut inserted = 0;
    for chunk in rows.chunks(65_535 / width) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| {
                let params: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!("INSERT INTO {target} VALUES {}", tuples.join(", "));
        inserted += ctx.execute(&sql, chunk.concat()).await?;
    }
    Ok(inserted)
}

/// `n` items of a list under `key.nodes` (or a plain array), or a failure naming the count.
fn expect_len(v: Value, n: usize, what: &str) -> Res {
    let len = v.as_array().map_or(0, Vec::len);
    if len == n { Ok(v) } else { Err(format!("{what}: expected {n} rows, got {len}")) }
}

/// A write's row count, or a failure naming it.
fn count(n: u64, want: u64, what: &str) -> Res {
    if n == want { Ok(json!(n)) } else { Err(format!("{what}: expected {want}, got {n}")) }
}

fn one_row(rows: Vec<Value>, what: &str) -> Res {
    let mut rows = expect_len(Value::Array(rows), 1, what)?;
    Ok(rows[0].take())
}

fn non_null(v: Value, what: &str) -> Res {
    if v.is_null() { Err(format!("{what}: null")) } else { Ok(v) }
}

// ---- Q0 `{ __typename }` ------------------------------------------------------------------------

const TYPENAME: &str = "{ __typename }";

/// The floor's route: the JSON cdp360 answers to `{ __typename }`.
pub fn typename_response() -> Value {
    json!({ "data": { "__typename": "QueryRoot" } })
}

fn q0(ctx: Arc<Ctx>, _: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move { ctx.gql(TYPENAME, json!({})).await })
}

fn q0_floor(ctx: Arc<Ctx>, _: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move { ctx.gql_at(&ctx.floor_url, TYPENAME, json!({})).await })
}

fn q0_served(ctx: Arc<Ctx>, _: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move { ctx.gql_at(&ctx.served_graphql_url, TYPENAME, json!({})).await })
}

// ---- Q1 account by id ---------------------------------------------------------------------------

/// Every column of `account` (the GraphQL object exposes each under its camelCase name).
fn account_columns() -> impl Iterator<Item = &'static str> {
    entity::account::Column::iter().map(|c| c.as_str())
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in snake.chars() {
        match ch {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

static Q1: LazyLock<String> = LazyLock::new(|| {
    let fields: Vec<String> = account_columns().map(camel).collect();
    format!("query($id: ID!) {{ account(id: $id) {{ {} }} }}", fields.join(" "))
});
static Q1_SQL: LazyLock<String> = LazyLock::new(|| {
    let cols: Vec<String> = account_columns().map(|c| format!("{c} AS \"{}\"", camel(c))).collect();
    format!("SELECT {} FROM account WHERE account_id = $1", cols.join(", "))
});

fn q1(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let mut d = ctx.gql(&Q1, json!({ "id": pick(&ctx.samples.accounts, i) })).await?;
        non_null(d["account"].take(), "account")
    })
}

fn q1_floor(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        one_row(ctx.rows(&Q1_SQL, vec![pick(&ctx.samples.accounts, i).as_str().into()]).await?, "account")
    })
}

fn q1_served(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        one_row(ctx.served_rows(&Q1_SQL, vec![pick(&ctx.samples.accounts, i).clone()]).await?, "account")
    })
}

// ---- Q2 list page -------------------------------------------------------------------------------

/// What Q2 and Q2b select of each lead.
const LEAD_PAGE_FIELDS: &str = "leadId leadName leadStatus
    channel { channelName channelType } campaign { campaignName } owner { userName }
    summary { pageViews totalTouchpoints calculatedAt }
    touchpoints(first: 3, orderBy: { field: TOUCHPOINT_TIME, direction: DESC }) { nodes { touchpointId touchpointTime } }";

static Q2: LazyLock<String> = LazyLock::new(|| {
    format!(
        "query($after: String) {{ leads(first: 100, after: $after) {{ edges {{ node {{ {LEAD_PAGE_FIELDS} }} }} }} }}"
    )
});
static Q2B: LazyLock<String> = LazyLock::new(|| {
    format!(
        "query($after: String) {{ leads(first: 100, after: $after, orderBy: {{ field: CREATED_AT, direction: DESC }}) {{
        edges {{ node {{ {LEAD_PAGE_FIELDS} }} }} }} }}"
    )
});

/// Q2's and Q2b's floor without its page condition: the leads, their to-one rows joined, the
/// latest 3 touchpoints per lead aggregated.
const LEAD_PAGE_SQL: &str = r#"SELECT l.lead_id AS "leadId", l.lead_name AS "leadName", l.lead_status AS "leadStatus",
  CASE WHEN ch.channel_id IS NULL THEN NULL
       ELSE json_build_object('channelName', ch.channel_name, 'channelType', ch.channel_type) END AS channel,
  CASE WHEN cm.campaign_id IS NULL THEN NULL ELSE json_build_object('campaignName', cm.campaign_name) END AS campaign,
  CASE WHEN u.user_id IS NULL THEN NULL ELSE json_build_object('userName', u.user_name) END AS owner,
  CASE WHEN s.lead_id IS NULL THEN NULL
       ELSE json_build_object('pageViews', s.page_views, 'totalTouchpoints', s.total_touchpoints,
                              'calculatedAt', s.calculated_at) END AS summary,
  json_build_object('nodes', (SELECT COALESCE(json_agg(json_build_object('touchpointId', t.touchpoint_id,
          'touchpointTime', t.touchpoint_time) ORDER BY t.touchpoint_time DESC, t.touchpoint_id DESC), '[]')
     FROM (SELECT touchpoint_id, touchpoint_time FROM touchpoint WHERE lead_id = l.lead_id
           ORDER BY touchpoint_time DESC, touchpoint_id DESC LIMIT 3) t)) AS touchpoints
FROM lead l
LEFT JOIN channel ch ON ch.channel_id = l.channel_id
LEFT JOIN campaign cm ON cm.campaign_id = l.campaign_id
LEFT JOIN app_user u ON u.user_id = l.owner_user_id
LEFT JOIN lead_summary s ON s.lead_id = l.lead_id"#;

/// One statement: the page of 100 after the previous page's last lead id.
static Q2_SQL: LazyLock<String> =
    LazyLock::new(|| format!("{LEAD_PAGE_SQL}\nWHERE l.lead_id > $1 ORDER BY l.lead_id LIMIT 100"));

/// One statement: the keyset page of 100 before the previous page's last `(created_at, lead_id)`,
/// read backwards along `idx_lead_created (created_at DESC, lead_id DESC)`.
static Q2B_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{LEAD_PAGE_SQL}\nWHERE (l.created_at, l.lead_id) < ($1::timestamptz, $2)
ORDER BY l.created_at DESC, l.lead_id DESC LIMIT 100"
    )
});

/// A page's leads (the edges' nodes): exactly 100.
fn lead_page(mut d: Value) -> Res {
    let edges = d["leads"]["edges"].as_array_mut().map(std::mem::take).unwrap_or_default();
    expect_len(edges.into_iter().map(|mut e| e["node"].take()).collect(), 100, "leads")
}

fn q2(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move { lead_page(ctx.gql(&Q2, json!({ "after": pick(&ctx.samples.pages, i).cursor })).await?) })
}

fn q2_floor(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let rows = ctx.rows(&Q2_SQL, vec![pick(&ctx.samples.pages, i).last_id.clone().into()]).await?;
        expect_len(Value::Array(rows), 100, "leads")
    })
}

// ---- Q2b list page, newest first ----------------------------------------------------------------

fn q2b(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(
        async move { lead_page(ctx.gql(&Q2B, json!({ "after": pick(&ctx.samples.newest_pages, i).cursor })).await?) },
    )
}

fn q2b_floor(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let page = pick(&ctx.samples.newest_pages, i);
        let keyset = vec![page.last_created.clone().into(), page.last_id.clone().into()];
        expect_len(Value::Array(ctx.rows(&Q2B_SQL, keyset).await?), 100, "leads")
    })
}

// ---- Q3 customer-360 ----------------------------------------------------------------------------

const Q3: &str = "query($id: ID!) { account(id: $id) {
    accountId accountName lifecycleStage
    summary { healthScore totalRevenue winRate lastActivityAt calculatedAt }
    contacts(first: 20) { nodes { contactId contactName jobTitle } }
    opportunities(first: 20) { nodes { opportunityId opportunityName stage amount
        stageHistory(first: 20) { nodes { historyId fromStage toStage durationDays } } } }
    touchpoints(first: 20, orderBy: { field: TOUCHPOINT_TIME, direction: DESC }) {
        nodes { touchpointId touchpointType touchpointTime subject } }
    tags(first: 20) { nodes { tagId tagName tagType } }
} }";

/// One statement: the account with each section as a correlated JSON aggregate.
const Q3_SQL: &str = r#"SELECT a.account_id AS "accountId", a.account_name AS "accountName",
  a.lifecycle_stage AS "lifecycleStage",
  (SELECT json_build_object('healthScore', s.health_score, 'totalRevenue', s.total_revenue, 'winRate', s.win_rate,
          'lastActivityAt', s.last_activity_at, 'calculatedAt', s.calculated_at)
     FROM account_summary s WHERE s.account_id = a.account_id) AS summary,
  json_build_object('nodes', (SELECT COALESCE(json_agg(json_build_object('contactId', c.contact_id,
          'contactName', c.contact_name, 'jobTitle', c.job_title) ORDER BY c.contact_id), '[]')
     FROM (SELECT c.contact_id, c.contact_name, c.job_title FROM account_contact_relation r
           JOIN contact c ON c.contact_id = r.contact_id
           WHERE r.account_id = a.account_id ORDER BY c.contact_id LIMIT 20) c)) AS contacts,
  json_build_object('nodes', (SELECT COALESCE(json_agg(json_build_object('opportunityId', o.opportunity_id,
          'opportunityName', o.opportunity_name, 'stage', o.stage, 'amount', o.amount,
          'stageHistory', json_build_object('nodes', (SELECT COALESCE(json_agg(json_build_object(
               'historyId', h.history_id, 'fromStage', h.from_stage, 'toStage', h.to_stage,
               'durationDays', h.duration_days) ORDER BY h.history_id), '[]')
             FROM (SELECT history_id, from_stage, to_stage, duration_days FROM opportunity_stage_history
                   WHERE opportunity_id = o.opportunity_id ORDER BY history_id LIMIT 20) h))
        ) ORDER BY o.opportunity_id), '[]')
     FROM (SELECT opportunity_id, opportunity_name, stage, amount FROM opportunity
           WHERE account_id = a.account_id ORDER BY opportunity_id LIMIT 20) o)) AS opportunities,
  json_build_object('nodes', (SELECT COALESCE(json_agg(json_build_object('touchpointId', t.touchpoint_id,
          'touchpointType', t.touchpoint_type, 'touchpointTime', t.touchpoint_time, 'subject', t.subject)
          ORDER BY t.touchpoint_time DESC, t.touchpoint_id DESC), '[]')
     FROM (SELECT touchpoint_id, touchpoint_type, touchpoint_time, subject FROM touchpoint
           WHERE account_id = a.account_id ORDER BY touchpoint_time DESC, touchpoint_id DESC LIMIT 20) t)) AS touchpoints,
  json_build_object('nodes', (SELECT COALESCE(json_agg(json_build_object('tagId', g.tag_id, 'tagName', g.tag_name,
          'tagType', g.tag_type) ORDER BY g.tag_id), '[]')
     FROM (SELECT g.tag_id, g.tag_name, g.tag_type FROM tag_relation r JOIN tag g ON g.tag_id = r.tag_id
           WHERE r.entity_type = 'ACCOUNT' AND r.entity_id = a.account_id ORDER BY g.tag_id LIMIT 20) g)) AS tags
FROM account a WHERE a.account_id = $1"#;

fn q3(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let mut d = ctx.gql(Q3, json!({ "id": pick(&ctx.samples.rich_accounts, i) })).await?;
        non_null(d["account"].take(), "account")
    })
}

fn q3_floor(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        one_row(ctx.rows(Q3_SQL, vec![pick(&ctx.samples.rich_accounts, i).as_str().into()]).await?, "account")
    })
}

fn q3_served(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        one_row(ctx.served_rows(Q3_SQL, vec![pick(&ctx.samples.rich_accounts, i).clone()]).await?, "account")
    })
}

// ---- Q4 contact by phone ------------------------------------------------------------------------

const Q4: &str = "query($p: String!) { contacts(filter: { mobilePhone: { eq: $p } }, first: 2) {
    nodes { contactId contactName mobilePhone email } } }";
const Q4_SQL: &str = r#"SELECT contact_id AS "contactId", contact_name AS "contactName", mobile_phone AS "mobilePhone", email
    FROM bench_plain_contact WHERE mobile_phone = $1"#;

fn q4(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let mut d = ctx.gql(Q4, json!({ "p": pick(&ctx.samples.phones, i) })).await?;
        expect_len(d["contacts"]["nodes"].take(), 1, "contacts")
    })
}

fn q4_floor(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let rows = ctx.rows(Q4_SQL, vec![pick(&ctx.samples.phones, i).as_str().into()]).await?;
        expect_len(Value::Array(rows), 1, "contacts")
    })
}

fn q4_served(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let rows = ctx.served_rows(Q4_SQL, vec![pick(&ctx.samples.phones, i).clone()]).await?;
        expect_len(Value::Array(rows), 1, "contacts")
    })
}

// ---- Q5 filtered list ---------------------------------------------------------------------------

const Q5: &str = "query($p: String!) { leads(first: 50,
    filter: { leadStatus: { eq: NEW }, province: { eq: $p } },
    orderBy: { field: CREATED_AT, direction: DESC }) {
    nodes { leadId leadName companyName jobTitle leadSource leadStatus leadScore province city createdAt } } }";

/// One statement: the province's newest NEW leads, along `idx_lead_status_created
/// (lead_status, created_at DESC)` with the province checked on each row read.
const Q5_SQL: &str = r#"SELECT lead_id AS "leadId", lead_name AS "leadName", company_name AS "companyName",
  job_title AS "jobTitle", lead_source AS "leadSource", lead_status AS "leadStatus", lead_score AS "leadScore",
  province, city, created_at AS "createdAt"
FROM lead WHERE lead_status = 'NEW' AND province = $1
ORDER BY created_at DESC, lead_id DESC LIMIT 50"#;

fn q5(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let (province, n) = pick(&ctx.samples.provinces, i);
        let mut d = ctx.gql(Q5, json!({ "p": province })).await?;
        expect_len(d["leads"]["nodes"].take(), *n, "leads")
    })
}

fn q5_floor(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let (province, n) = pick(&ctx.samples.provinces, i);
        expect_len(Value::Array(ctx.rows(Q5_SQL, vec![province.as_str().into()]).await?), *n, "leads")
    })
}

// ---- M1 create lead -----------------------------------------------------------------------------

/// A new lead's input; `n` (unique in the run) makes it unique.
pub fn new_lead(ctx: &Ctx, n: u64, kind: &str) -> Value {
    let tag = ulid::Ulid::new().to_string().to_lowercase();
    json!({
        "leadName": format!("{BENCH_LEAD_PREFIX}{kind}-{n}"),
        "companyName": format!("{BENCH_LEAD_PREFIX}{kind}-co-{tag}"),
        "leadSource": "WEBSITE",
        "channelId": ctx.samples.channel,
        // Unique within a run (earlier runs' leads are gone): a repeated phone would make
        // convertLead link the earlier lead's contact instead of creating one.
        "mobilePhone": format!("146{:08}", n % 100_000_000),
        "email": format!("bench-{tag}@bench.invalid"),
    })
}

fn m1(ctx: Arc<Ctx>, _: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let q = "mutation($i: CreateLeadInput!) { createLead(input: $i) { id leadStatus } }";
        let mut d = ctx.gql(q, json!({ "i": new_lead(&ctx, ctx.next(), "m1") })).await?;
        non_null(d["createLead"]["id"].take(), "createLead")
    })
}

fn m1_floor(ctx: Arc<Ctx>, _: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let l = new_lead(&ctx, ctx.next(), "m1");
        let now = Utc::now();
        let text = |k: &str| -> sea_orm::Value { l[k].as_str().map(str::to_owned).into() };
        let values: Vec<sea_orm::Value> = vec![
            format!("LEAD_{}", ulid::Ulid::new()).into(),
            text("leadName"),
            text("companyName"),
            text("mobilePhone"),
            text("email"),
            text("leadSource"),
            text("channelId"),
            "NEW".into(),
            0i32.into(),
            false.into(),
            now.into(),
            now.into(),
        ];
        let target = "lead (lead_id, lead_name, company_name, mobile_phone, email, lead_source, channel_id,
            lead_status, lead_score, is_qualified, created_at, updated_at)";
        count(insert_rows(&ctx, target, vec![values]).await?, 1, "lead")
    })
}

// ---- M2 event batch -----------------------------------------------------------------------------

const BATCH: usize = 1000;

/// One batch of page views for one person (the same rows for cdp360 and the floor).
fn events(ctx: &Ctx, i: usize) -> Vec<Value> {
    let (contact, account) = pick(&ctx.samples.people, i);
    let now = Utc::now();
    (0..BATCH)
        .map(|k| {
            json!({
                "eventName": BENCH_EVENT,
                "eventType": "PAGE_VIEW",
                "contactId": contact,
                "accountId": account,
                "eventTime": (now - chrono::Duration::milliseconds(k as i64)).to_rfc3339(),
                "sessionId": format!("bench-{i}"),
                "pageUrl": "https://example.com/pricing?plan=pro",
                "ipAddress": "203.0.113.7",
                "utmParams": { "utm_source": "bench" },
            })
        })
        .collect()
}

fn m2(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let q = "mutation($e: [EventInput!]!) { trackEvents(events: $e) { count } }";
        let d = ctx.gql(q, json!({ "e": events(&ctx, i) })).await?;
        count(d["trackEvents"]["count"].as_u64().unwrap_or(0), BATCH as u64, "trackEvents")
    })
}

fn m2_floor(ctx: Arc<Ctx>, i: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let now = Utc::now();
        let rows: Vec<Vec<sea_orm::Value>> = events(&ctx, i)
            .into_iter()
            .map(|mut e| {
                let text = |e: &Value, k: &str| -> sea_orm::Value { e[k].as_str().map(str::to_owned).into() };
                let time: DateTime<Utc> = e["eventTime"].as_str().and_then(|t| t.parse().ok()).unwrap_or(now);
                vec![
                    format!("EVT_{}", ulid::Ulid::new()).into(),
                    text(&e, "eventName"),
                    text(&e, "eventType"),
                    text(&e, "contactId"),
                    text(&e, "accountId"),
                    time.into(),
                    text(&e, "sessionId"),
                    text(&e, "pageUrl"),
                    text(&e, "ipAddress"),
                    e["utmParams"].take().into(),
                    now.into(),
                ]
            })
            .collect();
        let target = "event (event_id, event_name, event_type, contact_id, account_id, event_time, session_id,
            page_url, ip_address, utm_params, created_at)";
        count(insert_rows(&ctx, target, rows).await?, BATCH as u64, "events")
    })
}

// ---- M3 convertLead -----------------------------------------------------------------------------

/// `n` QUALIFIED leads: `createLeads` in lists of 500, then NEW → CONTACTED → QUALIFIED in
/// documents of 100 aliased `changeLeadStatus` calls.
fn m3_prepare(ctx: Arc<Ctx>, n: usize) -> BoxFuture<'static, Result<(), String>> {
    Box::pin(async move {
        let mut ids = Vec::with_capacity(n);
        let inputs: Vec<Value> = (0..n).map(|_| new_lead(&ctx, ctx.next(), "m3")).collect();
        for chunk in inputs.chunks(500) {
            let q = "mutation($l: [CreateLeadInput!]!) { createLeads(inputs: $l) { ok id } }";
            let d = ctx.gql(q, json!({ "l": chunk })).await?;
            let items = d["createLeads"].as_array().cloned().unwrap_or_default();
            ids.extend(items.iter().filter_map(|it| it["id"].as_str().map(str::to_owned)));
        }
        for status in ["CONTACTED", "QUALIFIED"] {
            for chunk in ids.chunks(100) {
                let calls: Vec<String> = chunk
                    .iter()
                    .enumerate()
                    .map(|(k, id)| format!("m{k}: changeLeadStatus(id: \"{id}\", status: {status}) {{ id }}"))
                    .collect();
                ctx.gql(&format!("mutation {{ {} }}", calls.join(" ")), json!({})).await?;
            }
        }
        count(ids.len() as u64, n as u64, "qualified leads")?;
        ctx.supply.lock().map_err(err)?.extend(ids);
        Ok(())
    })
}

fn m3(ctx: Arc<Ctx>, _: usize) -> BoxFuture<'static, Res> {
    Box::pin(async move {
        let id = ctx.supply.lock().map_err(err)?.pop().ok_or("no QUALIFIED lead left")?;
        let q = "mutation($i: ConvertLeadInput!) { convertLead(input: $i) {
            accountId contactId opportunityId accountCreated contactCreated opportunityCreated } }";
        let mut d = ctx.gql(q, json!({ "i": { "leadId": id } })).await?;
        let r = d["convertLead"].take();
        let created = ["accountCreated", "contactCreated", "opportunityCreated"].iter().all(|k| r[*k] == true);
        if created { Ok(r) } else { Err(format!("not a full conversion: {r}")) }
    })
}

pub fn all() -> Vec<Case> {
    let case = |id: &'static str, title: &'static str, cdp360: Op, floor: Option<Op>, compare: bool| Case {
        id,
        title,
        cdp360,
        floor,
        served: None,
        floor_statements: u32::from(floor.is_some() && id != "Q0"),
        compare,
        prepare: None,
    };
    let served = |served: Op, c: Case| Case { served: Some(served), ..c };
    vec![
        served(q0_served, case("Q0", "`{ __typename }`", q0, Some(q0_floor), true)),
        served(q1_served, case("Q1", "account by id", q1, Some(q1_floor), true)),
        case("Q2", "leads(first:100) + 5 relations", q2, Some(q2_floor), true),
        case("Q2b", "the same, newest first (createdAt desc)", q2b, Some(q2b_floor), true),
        served(q3_served, case("Q3", "customer-360", q3, Some(q3_floor), true)),
        served(q4_served, case("Q4", "contact by phone (blind index)", q4, Some(q4_floor), true)),
        case("Q5", "50 NEW leads of a province, newest first", q5, Some(q5_floor), true),
        case("M1", "createLead", m1, Some(m1_floor), false),
        case("M2", "trackEvents ×1000", m2, Some(m2_floor), false),
        Case { prepare: Some(m3_prepare), ..case("M3", "convertLead", m3, None, false) },
    ]
}

/// For one sample of every read case, cdp360's result must equal its floor's (run at the start
/// of every bench run, smoke included).
pub async fn check_equivalence(ctx: &Arc<Ctx>, cases: &[Case]) -> Result<(), String> {
    for c in cases.iter().filter(|c| c.compare) {
        let Some(floor) = c.floor else { continue };
        let (a, b) = ((c.cdp360)(ctx.clone(), 0).await?, floor(ctx.clone(), 0).await?);
        same(&a, &b, c.id).map_err(|e| format!("{} floor differs from cdp360: {e}", c.id))?;
        if let Some(served) = c.served {
            let b = served(ctx.clone(), 0).await?;
            same(&a, &b, c.id).map_err(|e| format!("{} served floor differs from cdp360: {e}", c.id))?;
        }
        println!("equivalent: {} ({} values compared)", c.id, leaves(&a));
    }
    Ok(())
}

fn leaves(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.values().map(leaves).sum(),
        Value::Array(a) => a.iter().map(leaves).sum(),
        _ => 1,
    }
}

/// Structural equality up to representation: a missing key is null, decimals compare as numbers
/// (`"12.50"` = `12.5`), times as instants (`…Z` = `…+00:00`).
pub fn same(a: &Value, b: &Value, path: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                same(x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().try_for_each(|(i, (p, q))| same(p, q, &format!("{path}[{i}]")))
        }
        _ if a == b || scalar_eq(a, b) => Ok(()),
        _ => Err(format!("{path}: cdp360 {a} vs floor {b}")),
    }
}

fn scalar_eq(a: &Value, b: &Value) -> bool {
    let num = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok(),
        _ => None,
    };
    let time = |v: &Value| v.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok());
    match (num(a), num(b), time(a), time(b)) {
        (Some(x), Some(y), _, _) => x == y,
        (_, _, Some(x), Some(y)) => x == y,
        _ => false,
    }
}
