//! Keyset pages are served by indexes (PostgreSQL only): on a seeded, ANALYZEd database, EXPLAIN
//! the statements the server runs — built by the same `repo::page` functions from the same
//! registrations (`QueryRoot::lists`, `Resource::NESTED`, `XOrderBy::to_order`) — and fail on a
//! Sort over a sequential scan of a large table or over a large input, or on a sequential scan of
//! the listed table (and a nested list's relation table). Each statement is planned again with
//! sequential scans disabled, where any such scan means that no index can serve it.

use cdp360::graphql::connection::DEFAULT_PAGE_SIZE;
use cdp360::graphql::filters::OrderDirection;
use cdp360::graphql::model::{
    Account, AccountOrderBy, AccountOrderField, AccountSummary, AppUser, Campaign, Channel, Contact, ContactOrderBy,
    ContactOrderField, Lead, LeadOrderBy, LeadOrderField, LeadSummary, Opportunity, OpportunityStageHistory, QueryRoot,
    Tag, Touchpoint, TouchpointOrderBy, TouchpointOrderField,
};
use cdp360::graphql::resource::{OrderInput, Resource};
use cdp360::repo::json::{self, EdgePart, Many, Member, Object, One, PageInfoPart, Part, Root, Rows, Scalar};
use cdp360::repo::page::{self, Cursor, Link, Order, Slice, Table};
use cdp360::seed::{SeedOptions, seed};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};

use crate::harness::TestApp;

/// 10 000 leads, 2 500 contacts, 500 accounts, 25 000 touchpoints, 100 000 events: large enough
/// that PostgreSQL's planner picks the plans it picks at scale 1 (checked there; at 0.25 it reads
/// all 1 250 contacts to find an account's 32), small enough to seed in about 15 s in a debug
/// build (scale 1 takes 40 s).
const SCALE: f64 = 0.5;
/// A Sort over a sequential scan is fine for a catalogue (12 channels); not for a table this large.
const LARGE: f64 = 1_000.0;

fn first(limit: u64) -> Slice {
    Slice { limit, backward: false, after: None, before: None }
}

fn after(limit: u64, cursor: Cursor) -> Slice {
    Slice { limit, backward: false, after: Some(cursor), before: None }
}

fn before(limit: u64, cursor: Cursor) -> Slice {
    Slice { limit, backward: true, after: None, before: Some(cursor) }
}

fn dir(desc: bool) -> OrderDirection {
    if desc { OrderDirection::Desc } else { OrderDirection::Asc }
}

/// The plan of a statement, as PostgreSQL's JSON.
async fn explain(db: &impl ConnectionTrait, stmt: &Statement) -> Value {
    let explain = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("EXPLAIN (FORMAT JSON) {}", stmt.sql),
        stmt.values.clone().map(|v| v.0).unwrap_or_default(),
    );
    let row = db.query_one_raw(explain).await.unwrap().expect("EXPLAIN answers a row");
    let plan: Value = row.try_get("", "QUERY PLAN").unwrap();
    plan[0]["Plan"].clone()
}

fn nodes<'a>(plan: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(plan);
    for child in plan["Plans"].as_array().into_iter().flatten() {
        nodes(child, out);
    }
}

fn of_type<'a>(plan: &'a Value, ty: &str) -> Vec<&'a Value> {
    let mut all = Vec::new();
    nodes(plan, &mut all);
    all.into_iter().filter(|n| n["Node Type"] == ty).collect()
}

fn seq_scans(plan: &Value) -> Vec<&str> {
    of_type(plan, "Seq Scan").into_iter().filter_map(|n| n["Relation Name"].as_str()).collect()
}

struct Checker {
    db: DatabaseConnection,
    failures: Vec<String>,
    checked: usize,
}

impl Checker {
    async fn rows(&self, table: &str) -> f64 {
        let q = format!("SELECT reltuples::float8 AS n FROM pg_class WHERE relname = '{table}' AND relkind = 'r'");
        let row = self.db.query_one_raw(Statement::from_string(DbBackend::Postgres, q)).await.unwrap().unwrap();
        row.try_get("", "n").unwrap()
    }

    /// Each statement twice. As the planner prefers it on this data: no Sort over a sequential scan
    /// of a large table or over a large input, no sequential scan of a large `tables` (the listed
    /// table, and a nested list's relation table). And with sequential scans disabled, which shows
    /// whether an index can serve it at all (the one question for a table too small for the planner
    /// to prefer an index): no sequential scan of `tables`, no Sort over any sequential scan.
    async fn check(&mut self, what: String, q: SelectStatement, tables: &[&str]) {
        self.check_statement(what, DbBackend::Postgres.build(&q), tables).await;
    }

    /// [`Checker::check`] for any statement (raw SQL, an UPDATE).
    async fn check_statement(&mut self, what: String, q: Statement, tables: &[&str]) {
        self.checked += 1;
        let mut problems = Vec::new();
        let plan = explain(&self.db, &q).await;
        for sort in of_type(&plan, "Sort") {
            for table in seq_scans(sort) {
                if self.rows(table).await >= LARGE {
                    problems.push(format!("sorts a sequential scan of {table}"));
                }
            }
            let input = sort["Plans"][0]["Plan Rows"].as_f64().unwrap_or_default();
            if input >= LARGE {
                problems.push(format!("sorts {input} rows"));
            }
        }
        for table in seq_scans(&plan) {
            if tables.contains(&table) && self.rows(table).await >= LARGE {
                problems.push(format!("scans {table} sequentially"));
            }
        }
        let txn = self.db.begin().await.unwrap();
        txn.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
        let forced = explain(&txn, &q).await;
        txn.rollback().await.unwrap();
        for table in seq_scans(&forced) {
            if tables.contains(&table) {
                problems.push(format!("no index serves {table} (sequential scan with enable_seqscan off)"));
            }
        }
        if of_type(&forced, "Sort").iter().any(|sort| !seq_scans(sort).is_empty()) {
            problems.push("no index serves the order (a Sort over a sequential scan with enable_seqscan off)".into());
        }
        problems.sort();
        problems.dedup();
        if !problems.is_empty() {
            let sql = &q.sql;
            let plans = serde_json::to_string_pretty(&[plan, forced]).unwrap();
            self.failures.push(format!("{what}: {}\n{sql}\n{plans}", problems.join(", ")));
        }
    }
}

/// A row's position in `order` (what the server encodes into its cursor).
fn cursor_of<R: Resource>(row: &R::Model, order: Order) -> Cursor {
    Cursor { value: R::column_value(row, order.col), id: R::id_of(row).to_string() }
}

/// The cursor of the `n`th row of a list in `order`.
async fn cursor_at<R: Resource>(db: &DatabaseConnection, order: Order, n: u64) -> Cursor {
    let page = page::page::<R::Model>(db, R::TABLE, None, order, &first(n)).await.unwrap();
    cursor_of::<R>(page.rows.last().expect("the list has rows"), order)
}

/// `leads`, `contacts` and `accounts` by `createdAt`/`updatedAt`, both ways: first page, a page
/// after a cursor half-way down the list, and the page before it.
async fn common_orders<R: Resource>(
    c: &mut Checker,
    field: &str,
    created: impl Fn(bool) -> Order,
    updated: impl Fn(bool) -> Order,
) {
    let half = page::count(&c.db, R::TABLE, None).await.unwrap() / 2;
    let by: [(&str, &dyn Fn(bool) -> Order); 2] = [("CREATED_AT", &created), ("UPDATED_AT", &updated)];
    for ((name, to_order), desc) in by.into_iter().flat_map(|b| [(b, false), (b, true)]) {
        let order = to_order(desc);
        let what = format!("{field}(orderBy: {name} {})", if desc { "DESC" } else { "ASC" });
        let deep = cursor_at::<R>(&c.db, order, half).await;
        for (slice, page) in [
            ("first page", first(100)),
            ("after a cursor", after(100, deep.clone())),
            ("before a cursor", before(100, deep)),
        ] {
            c.check(format!("{what} {slice}"), page::page_statement(R::TABLE, None, order, &page), &[R::TABLE.name])
                .await;
        }
    }
}

fn nested(of: &[cdp360::graphql::resource::Nested], field: &str) -> (Table, Link) {
    let n = of.iter().find(|n| n.field == field).unwrap_or_else(|| panic!("no nested list {field}"));
    (n.table, n.link)
}

/// The tables a nested page reads: the listed table and the relation table it goes through.
fn child_tables(table: Table, link: Link) -> Vec<&'static str> {
    match link {
        Link::Fk { .. } => vec![table.name],
        Link::Via { table: via, .. } => vec![table.name, via],
    }
}

async fn nested_page(
    c: &mut Checker,
    what: &str,
    nested: (Table, Link),
    parents: &[String],
    order: Order,
    slice: Slice,
) {
    let (table, link) = nested;
    let q = page::page_per_parent_statement(DbBackend::Postgres, table, link, parents, None, order, &slice);
    c.check(what.to_string(), q, &child_tables(table, link)).await;
}

#[tokio::test]
async fn keyset_pages_and_nested_pages_are_served_by_indexes() {
    if std::env::var("CDP_TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("skipped: the EXPLAIN test reads PostgreSQL plans (set CDP_TEST_DATABASE_URL)");
        return;
    }
    let app = TestApp::spawn().await;
    // A pinned as-of date: the plans are checked on the same data every day.
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    seed(&app.db, &app.pii(), &SeedOptions { scale: SCALE, as_of, ..SeedOptions::default() }).await.unwrap();
    app.db.execute_unprepared("ANALYZE").await.unwrap();
    let mut c = Checker { db: app.db.clone(), failures: Vec::new(), checked: 0 };

    // Every root list in its default order.
    for (field, table, order) in QueryRoot::lists() {
        let q = page::page_statement(table, None, order, &first(DEFAULT_PAGE_SIZE));
        c.check(format!("{field} (default order)"), q, &[table.name]).await;
    }

    // The common orders.
    let lead = |f, desc| LeadOrderBy { field: f, direction: dir(desc) }.to_order();
    let contact = |f, desc| ContactOrderBy { field: f, direction: dir(desc) }.to_order();
    let account = |f, desc| AccountOrderBy { field: f, direction: dir(desc) }.to_order();
    use {AccountOrderField as A, ContactOrderField as C, LeadOrderField as L};
    common_orders::<Lead>(&mut c, "leads", |d| lead(L::CreatedAt, d), |d| lead(L::UpdatedAt, d)).await;
    common_orders::<Contact>(&mut c, "contacts", |d| contact(C::CreatedAt, d), |d| contact(C::UpdatedAt, d)).await;
    common_orders::<Account>(&mut c, "accounts", |d| account(A::CreatedAt, d), |d| account(A::UpdatedAt, d)).await;

    // A nullable column is served once it has indexes declared like its order (NULLS LAST).
    app.db
        .execute_unprepared(
            "CREATE INDEX explain_lead_contacted_asc ON lead (last_contacted_at ASC NULLS LAST, lead_id ASC);
             CREATE INDEX explain_lead_contacted_desc ON lead (last_contacted_at DESC NULLS LAST, lead_id DESC);
             ANALYZE lead",
        )
        .await
        .unwrap();
    let leads = page::count(&app.db, Lead::TABLE, None).await.unwrap();
    for desc in [false, true] {
        let order = lead(L::LastContactedAt, desc);
        assert!(order.nullable, "last_contacted_at is nullable in the entity");
        let what = format!("leads(orderBy: LAST_CONTACTED_AT {})", if desc { "DESC" } else { "ASC" });
        let valued = cursor_at::<Lead>(&app.db, order, 100).await;
        let null = cursor_at::<Lead>(&app.db, order, leads - 50).await;
        let is_null = |c: &Cursor| c.value == sea_orm::Value::ChronoDateTimeUtc(None);
        assert!(!is_null(&valued) && is_null(&null), "one cursor in each run");
        c.check(format!("{what} first page"), page::page_statement(Lead::TABLE, None, order, &first(100)), &["lead"])
            .await;
        for (run, cursor) in [("value", valued), ("NULL", null)] {
            let q = page::page_statement(Lead::TABLE, None, order, &after(100, cursor.clone()));
            c.check(format!("{what} after a {run} cursor"), q, &["lead"]).await;
            let q = page::page_statement(Lead::TABLE, None, order, &before(100, cursor));
            c.check(format!("{what} before a {run} cursor"), q, &["lead"]).await;
        }
    }

    // Q2: a page of 100 leads, each with its 3 latest touchpoints (and their number).
    let leads = page::page::<entity::lead::Model>(&app.db, Lead::TABLE, None, Lead::default_order(), &first(100)).await;
    let leads: Vec<String> = leads.unwrap().rows.into_iter().map(|l| l.lead_id).collect();
    let latest = TouchpointOrderBy { field: TouchpointOrderField::TouchpointTime, direction: OrderDirection::Desc };
    let latest = latest.to_order();
    let (table, link) = nested(Lead::NESTED, "touchpoints");
    nested_page(&mut c, "100 leads → touchpoints(first: 3, latest)", (table, link), &leads, latest, first(3)).await;
    let q = page::count_per_parent_statement(DbBackend::Postgres, table, link, &leads, None);
    c.check("100 leads → touchpoints { totalCount }".into(), q, &child_tables(table, link)).await;

    // Q3: the customer 360 of the account with the most touchpoints: 20 of each list, the next 20
    // touchpoints, the stage history of its opportunities.
    let busiest = "SELECT account_id FROM touchpoint WHERE account_id IS NOT NULL
                   GROUP BY account_id ORDER BY COUNT(*) DESC, account_id LIMIT 1";
    let row = app.db.query_one_raw(Statement::from_string(DbBackend::Postgres, busiest)).await.unwrap().unwrap();
    let one = [row.try_get::<String>("", "account_id").unwrap()];
    for (field, order) in [
        ("contacts", Contact::default_order()),
        ("opportunities", Opportunity::default_order()),
        ("touchpoints", latest),
        ("tags", Tag::default_order()),
    ] {
        let what = format!("an account → {field}(first: 20)");
        nested_page(&mut c, &what, nested(Account::NESTED, field), &one, order, first(20)).await;
    }
    let twenty = first(20);
    let (table, link) = nested(Account::NESTED, "touchpoints");
    let q = page::count_per_parent_statement(DbBackend::Postgres, table, link, &one, None);
    c.check("an account → touchpoints { totalCount }".into(), q, &child_tables(table, link)).await;
    let page1 = page::page_per_parent::<entity::touchpoint::Model>(&app.db, table, link, &one, None, latest, &twenty);
    let page1 = page1.await.unwrap().remove(&one[0]).expect("the account has touchpoints");
    let next = after(20, cursor_of::<Touchpoint>(page1.rows.last().unwrap(), latest));
    nested_page(&mut c, "an account → touchpoints(first: 20, after)", (table, link), &one, latest, next).await;
    let (table, link) = nested(Account::NESTED, "opportunities");
    let order = Opportunity::default_order();
    let opportunities =
        page::page_per_parent::<entity::opportunity::Model>(&app.db, table, link, &one, None, order, &twenty);
    let opportunities: Vec<String> =
        opportunities.await.unwrap().into_values().flat_map(|p| p.rows).map(|o| o.opportunity_id).collect();
    assert!(!opportunities.is_empty(), "the account has opportunities");
    let history = nested(Opportunity::NESTED, "stage_history");
    let order = OpportunityStageHistory::default_order();
    nested_page(&mut c, "its opportunities → stageHistory(first: 20)", history, &opportunities, order, first(20)).await;

    compiled_reads(&mut c, &one[0], latest).await;
    routing_reads(&mut c).await;
    aggregate_reads(&mut c).await;
    // A business day's performance counts (repo/performance.rs): index ranges of the day's rows.
    let zone = cdp360::domain::timezone::BusinessZone::default();
    let day = as_of - chrono::Duration::days(3);
    let q = cdp360::repo::performance::day_statement(DbBackend::Postgres, day, zone.day_bounds(day));
    let sources = ["lead", "contact", "opportunity", "event", "touchpoint"];
    c.check_statement("a business day's performance".into(), q, &sources).await;

    assert!(c.checked > 60, "{} statements checked", c.checked);
    assert!(
        c.failures.is_empty(),
        "{} of {} plans are not index-true:\n\n{}",
        c.failures.len(),
        c.checked,
        c.failures.join("\n\n")
    );
}

fn object(table: Table, members: Vec<(&str, Member)>) -> Object {
    Object { table, members: members.into_iter().map(|(k, m)| (k.to_string(), m)).collect() }
}

fn text(col: &'static str) -> Member {
    Member::Column(col, Scalar::Text)
}

/// A to-one of `table` by its key from the parent's `from` column.
fn one_of(table: Table, key: &'static str, from: &'static str, members: Vec<(&str, Member)>) -> Member {
    Member::One(Box::new(One { rows: Rows::all(table), key, from, object: object(table, members) }))
}

/// A nested connection's `totalCount` and `nodes`.
fn many_of(
    of: &[cdp360::graphql::resource::Nested],
    field: &str,
    own: &'static str,
    order: Order,
    n: u64,
    members: Vec<(&str, Member)>,
) -> Member {
    let (table, link) = nested(of, field);
    let nodes = object(table, members);
    Member::Many(Box::new(Many {
        rows: Rows::all(table),
        link: Some((link, own)),
        order,
        sort: if order.col == table.pk { Scalar::Text } else { Scalar::Instant },
        slice: first(n),
        members: vec![("totalCount".into(), Part::TotalCount), ("nodes".into(), Part::Nodes(nodes))],
    }))
}

/// The one statement of the compiled read path for the benchmark's Q2b (100 newest leads with
/// channel, campaign, owner, summary and their 3 latest touchpoints) and Q3 (a customer 360).
async fn compiled_reads(c: &mut Checker, account: &str, latest: Order) {
    let newest = LeadOrderBy { field: LeadOrderField::CreatedAt, direction: OrderDirection::Desc }.to_order();
    let lead = object(
        Lead::TABLE,
        vec![
            ("leadId", text("lead_id")),
            ("leadName", text("lead_name")),
            ("createdAt", Member::Column("created_at", Scalar::Instant)),
            (
                "channel",
                one_of(Channel::TABLE, "channel_id", "channel_id", vec![("channelName", text("channel_name"))]),
            ),
            (
                "campaign",
                one_of(Campaign::TABLE, "campaign_id", "campaign_id", vec![("campaignName", text("campaign_name"))]),
            ),
            ("owner", one_of(AppUser::TABLE, "user_id", "owner_user_id", vec![("userName", text("user_name"))])),
            (
                "summary",
                one_of(
                    LeadSummary::TABLE,
                    "lead_id",
                    "lead_id",
                    vec![("pageViews", Member::Column("page_views", Scalar::Int))],
                ),
            ),
            (
                "touchpoints",
                many_of(
                    Lead::NESTED,
                    "touchpoints",
                    "lead_id",
                    latest,
                    3,
                    vec![("touchpointTime", Member::Column("touchpoint_time", Scalar::Instant))],
                ),
            ),
        ],
    );
    let q2b = Root::Many(Many {
        rows: Rows::all(Lead::TABLE),
        link: None,
        order: newest,
        sort: Scalar::Instant,
        slice: first(100),
        members: vec![
            (
                "edges".into(),
                Part::Edges(vec![("cursor".into(), EdgePart::Cursor), ("node".into(), EdgePart::Node(lead))]),
            ),
            ("pageInfo".into(), Part::PageInfo(vec![("endCursor".into(), PageInfoPart::EndCursor)])),
        ],
    });
    let q = json::statement(DbBackend::Postgres, &q2b).unwrap();
    c.check("compiled: 100 newest leads + 5 relations".into(), q, &["lead", "touchpoint", "lead_summary"]).await;

    let by_key = |t: Table| Order::by_key(&t);
    let history = nested(Opportunity::NESTED, "stage_history").0;
    let account360 = object(
        Account::TABLE,
        vec![
            ("accountName", text("account_name")),
            (
                "summary",
                one_of(
                    AccountSummary::TABLE,
                    "account_id",
                    "account_id",
                    vec![("totalLeads", Member::Column("total_leads", Scalar::Int))],
                ),
            ),
            (
                "contacts",
                many_of(
                    Account::NESTED,
                    "contacts",
                    "account_id",
                    by_key(Contact::TABLE),
                    20,
                    vec![("contactId", text("contact_id"))],
                ),
            ),
            (
                "opportunities",
                many_of(
                    Account::NESTED,
                    "opportunities",
                    "account_id",
                    by_key(Opportunity::TABLE),
                    20,
                    vec![
                        ("opportunityId", text("opportunity_id")),
                        (
                            "stageHistory",
                            many_of(
                                Opportunity::NESTED,
                                "stage_history",
                                "opportunity_id",
                                by_key(history),
                                20,
                                vec![("historyId", text(history.pk))],
                            ),
                        ),
                    ],
                ),
            ),
            (
                "touchpoints",
                many_of(
                    Account::NESTED,
                    "touchpoints",
                    "account_id",
                    latest,
                    20,
                    vec![("touchpointId", text("touchpoint_id"))],
                ),
            ),
            (
                "tags",
                many_of(
                    Account::NESTED,
                    "tags",
                    "account_id",
                    by_key(Tag::TABLE),
                    20,
                    vec![("tagName", text("tag_name"))],
                ),
            ),
        ],
    );
    let q3 = Root::One { rows: Rows::all(Account::TABLE), id: account.to_string(), object: account360 };
    let q = json::statement(DbBackend::Postgres, &q3).unwrap();
    let tables = [
        "contact",
        "account_contact_relation",
        "opportunity",
        "opportunity_stage_history",
        "touchpoint",
        "tag_relation",
        "account_summary",
    ];
    c.check("compiled: customer 360".into(), q, &tables).await;
}

/// A test server on PostgreSQL with the scene the ingestion queue's EXPLAIN tests queue rows for
/// (`None` without `CDP_TEST_DATABASE_URL`).
async fn app_with_an_explain_scene() -> Option<TestApp> {
    if std::env::var("CDP_TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("skipped: the EXPLAIN test reads PostgreSQL plans (set CDP_TEST_DATABASE_URL)");
        return None;
    }
    let app = TestApp::spawn().await;
    let scene = "INSERT INTO acquisition_scene (scene_id, scene_name, scene_type, is_enabled, deduplication_strategy,
                     protection_period_hours, created_at, updated_at)
                 VALUES ('SCN_EXPLAIN', 'explain', 'API_IMPORT', true, 'NO_CHECK', 0, now(), now())";
    app.db.execute_unprepared(scene).await.unwrap();
    Some(app)
}

/// The ingestion worker claims the oldest due submissions of a backlog without sorting it: the
/// page comes off the `(status, created_at, ingestion_id)` index (before it, every round sorted
/// the whole backlog of wide rows, and a round's cost grew with the queue).
#[tokio::test]
async fn the_ingestion_claim_reads_its_page_off_an_index_without_sorting_the_backlog() {
    let Some(app) = app_with_an_explain_scene().await else { return };
    // A backlog of 20 000 accepted rows (and as many processed ones) with equal times in runs, so
    // the tie-breaker matters.
    app.db
        .execute_unprepared(
            "INSERT INTO lead_ingestion (ingestion_id, scene_id, client_id, body_sha256, status, submission,
                 attempts, created_at, updated_at)
             SELECT 'ING_' || lpad(n::text, 8, '0'), 'SCN_EXPLAIN', 'explain', 'x',
                    CASE WHEN n % 2 = 0 THEN 'ACCEPTED' ELSE 'PROCESSED' END, '{}'::jsonb, 0,
                    now() - interval '1 hour' + (n / 100) * interval '1 ms', now()
             FROM generate_series(1, 40000) AS n;
             ANALYZE lead_ingestion;",
        )
        .await
        .unwrap();
    let claim = cdp360::repo::ingestion::claim_statement(DbBackend::Postgres, chrono::Utc::now(), 100);
    let explain = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("EXPLAIN (FORMAT JSON) {}", claim.sql),
        claim.values.map(|v| v.0).unwrap_or_default(),
    );
    let row = app.db.query_one_raw(explain).await.unwrap().expect("EXPLAIN answers a row");
    let plan: Value = row.try_get("", "QUERY PLAN").unwrap();
    let plan = &plan[0]["Plan"];
    let (sorts, seq) = (of_type(plan, "Sort"), seq_scans(plan));
    assert!(sorts.is_empty() && seq.is_empty(), "the claim sorts or scans: {plan:#}");
    assert!(
        of_type(plan, "Index Scan").iter().any(|n| n["Index Name"] == "idx_lead_ingestion_due"),
        "the claim reads the due index: {plan:#}"
    );
}

/// Analyzes the empty queue, then queues `rows` accepted submissions of `bytes` each (ids
/// `ING_00000001`…, a millisecond apart): a backlog the statistics know nothing of.
async fn backlog_under_statistics_of_the_empty_queue(app: &TestApp, rows: u32, bytes: u32) {
    let sql = format!(
        "ANALYZE lead_ingestion;
         INSERT INTO lead_ingestion (ingestion_id, scene_id, client_id, body_sha256, status, submission,
             attempts, created_at, updated_at)
         SELECT 'ING_' || lpad(n::text, 8, '0'), 'SCN_EXPLAIN', 'explain', 'x', 'ACCEPTED',
                jsonb_build_object('name', repeat('x', {bytes})), 0, now() - interval '1 hour' + n * interval '1 ms', now()
         FROM generate_series(1, {rows}) AS n;"
    );
    app.db.execute_unprepared(&sql).await.unwrap();
}

/// The outcome update of a round of 100 (`ING_00010001`…`ING_00010100`).
fn hundred_outcomes() -> Statement {
    let ids: Vec<String> = (10_001..=10_100).map(|n| format!("ING_{n:08}")).collect();
    let done = ids
        .iter()
        .map(|id| {
            let f = cdp360::repo::ingestion::Finish {
                status: "PROCESSED",
                lead_id: Some("LEAD_X"),
                duplicate_of: None,
                reasons: None,
                steps: json!([{"step": "outcome", "detail": "processed"}]),
            };
            (id.as_str(), f)
        })
        .collect();
    cdp360::repo::ingestion::finish_statement(DbBackend::Postgres, done, chrono::Utc::now())
}

/// Recording a round's outcomes updates its rows by primary key even when the statistics were
/// taken with the queue empty and a backlog has grown since (a queue's statistics are often stale;
/// the benchmark analyzes the empty queue before each intake case). With `status = 'ACCEPTED'` as a
/// constant the planner read every waiting row through the status index and hash-joined them to
/// the round's 100 ids: the whole backlog each round.
#[tokio::test]
async fn recording_a_rounds_outcomes_updates_its_rows_by_key_whatever_the_backlog_under_stale_statistics() {
    let Some(app) = app_with_an_explain_scene().await else { return };
    backlog_under_statistics_of_the_empty_queue(&app, 30_000, 300).await;
    let plan = &explain(&app.db, &hundred_outcomes()).await;
    let bitmaps = of_type(plan, "Bitmap Heap Scan");
    let scanned: Vec<&str> =
        bitmaps.iter().filter_map(|n| n["Relation Name"].as_str()).chain(seq_scans(plan)).collect();
    assert!(!scanned.contains(&"lead_ingestion"), "the update reads the backlog: {plan:#}");
    assert!(
        of_type(plan, "Index Scan").iter().any(|n| n["Index Name"] == "lead_ingestion_pkey"),
        "the update finds its rows by key: {plan:#}"
    );
}

/// The queue's claim and outcome statements are planned for the queue as it is on every call,
/// never run on a kept generic plan: PostgreSQL switches a prepared statement to a generic plan
/// after five calls and keeps it, and one made while the queue was nearly empty scanned the whole
/// backlog once it had grown (the outcome update hash-joined a sequential scan of 104,000 rows each
/// round of the M4R benchmark). The statements after them run with the session's settings again.
#[tokio::test]
async fn the_queue_statements_are_planned_on_every_call_never_on_a_kept_generic_plan() {
    let Some(app) = app_with_an_explain_scene().await else { return };
    // One transaction is one session: `pg_prepared_statements` shows that session's statements.
    let txn = app.db.begin().await.unwrap();
    for _ in 0..8 {
        cdp360::repo::ingestion::claim_many(&txn, chrono::Utc::now(), 100).await.unwrap();
        let f = cdp360::repo::ingestion::Finish {
            status: "PROCESSED",
            lead_id: None,
            duplicate_of: None,
            reasons: None,
            steps: json!([]),
        };
        cdp360::repo::ingestion::finish_many(&txn, vec![("ING_NONE", f)], chrono::Utc::now()).await.unwrap();
    }
    let plans = Statement::from_string(
        DbBackend::Postgres,
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements \
         WHERE statement LIKE 'SELECT * FROM lead_ingestion%' OR statement LIKE 'WITH done%'",
    );
    let rows = txn.query_all_raw(plans).await.unwrap();
    assert_eq!(rows.len(), 2, "the claim and the outcome update are prepared statements of the session");
    for r in rows {
        let sql: String = r.try_get("", "statement").unwrap();
        let plans: (i64, i64) = (r.try_get("", "generic_plans").unwrap(), r.try_get("", "custom_plans").unwrap());
        assert_eq!(plans, (0, 8), "planned once per call, never generic: {sql}");
    }
    let settings = Statement::from_string(
        DbBackend::Postgres,
        "SELECT current_setting('plan_cache_mode') AS mode, current_setting('enable_seqscan') AS seqscan, \
                current_setting('enable_bitmapscan') AS bitmapscan, current_setting('enable_sort') AS sort",
    );
    let r = txn.query_one_raw(settings).await.unwrap().unwrap();
    let got: Vec<String> =
        ["mode", "seqscan", "bitmapscan", "sort"].iter().map(|c| r.try_get("", c).unwrap()).collect();
    assert_eq!(got, ["auto", "on", "on", "on"], "the session's settings are back after the queue's statements");
    txn.rollback().await.unwrap();
}

/// Planned afresh under statistics taken on the empty queue, the claim walks the due index and
/// the outcome update finds its rows by key, with 40,000 rows waiting: left to itself, PostgreSQL
/// believed 90 rows waited and sorted all of them (75 ms a claim in the benchmark, against 3).
#[tokio::test]
async fn under_statistics_of_an_empty_queue_the_claim_walks_the_due_index_and_the_update_reads_by_key() {
    let Some(app) = app_with_an_explain_scene().await else { return };
    backlog_under_statistics_of_the_empty_queue(&app, 40_000, 1200).await;
    let txn = app.db.begin().await.unwrap();
    let claim = cdp360::repo::ingestion::claim_statement(DbBackend::Postgres, chrono::Utc::now(), 100);
    let plan = cdp360::repo::plan::queue_statement(&txn, async { Ok(explain(&txn, &claim).await) }).await.unwrap();
    let (sorts, seq, bitmaps) = (of_type(&plan, "Sort"), seq_scans(&plan), of_type(&plan, "Bitmap Heap Scan"));
    assert!(sorts.is_empty() && seq.is_empty() && bitmaps.is_empty(), "the claim sorts or scans: {plan:#}");
    assert!(
        of_type(&plan, "Index Scan").iter().any(|n| n["Index Name"] == "idx_lead_ingestion_due"),
        "the claim walks the due index: {plan:#}"
    );
    let finish = hundred_outcomes();
    let plan = cdp360::repo::plan::queue_statement(&txn, async { Ok(explain(&txn, &finish).await) }).await.unwrap();
    assert!(seq_scans(&plan).is_empty() && of_type(&plan, "Bitmap Heap Scan").is_empty(), "the update scans: {plan:#}");
    assert!(
        of_type(&plan, "Index Scan").iter().any(|n| n["Index Name"] == "lead_ingestion_pkey"),
        "the update finds its rows by key: {plan:#}"
    );
    txn.rollback().await.unwrap();
}

/// The statements routing runs (issue 16) and `simulateRouting` runs: the tag relations of leads
/// routed again (duplicates, the sweeper), the candidates' open leads, the team queues, the move
/// of stored leads to an owner (an ingestion round's new leads carry theirs in their `INSERT`), a
/// window's leads and their first owners. (`assignment_cursor`, `global_rule_set` and a new
/// lead's channel are read by primary key only.)
async fn routing_reads(c: &mut Checker) {
    use cdp360::repo::{assignment, tag};
    use sea_orm::QueryTrait;
    let pg = DbBackend::Postgres;
    let leads = ids::<entity::lead::Entity>(&c.db, entity::lead::Column::LeadId, 100).await;
    let users = ids::<entity::app_user::Entity>(&c.db, entity::app_user::Column::UserId, 10).await;
    let teams = ids::<entity::team::Entity>(&c.db, entity::team::Column::TeamId, 5).await;
    assert!(leads.len() == 100 && !users.is_empty() && !teams.is_empty());
    let now = chrono::Utc::now();
    c.check_statement(
        "routing: a round's tag relations".into(),
        tag::of_leads_query(&leads).build(pg),
        &["tag_relation"],
    )
    .await;
    c.check_statement(
        "routing: the candidates' open leads".into(),
        assignment::candidates_statement(pg, &users),
        &["lead"],
    )
    .await;
    c.check_statement("routing: the team queues".into(), assignment::team_queues_statement(pg, &teams), &["lead"])
        .await;
    // A round over two users and a team: one statement whatever the owners.
    let gifts: Vec<assignment::Gift<'_>> = leads
        .iter()
        .enumerate()
        .map(|(i, id)| match i % 3 {
            0 => assignment::Gift { lead_id: id, user: Some(&users[0]), team: None, until: Some(now) },
            1 => assignment::Gift { lead_id: id, user: Some(&users[users.len() - 1]), team: None, until: Some(now) },
            _ => assignment::Gift { lead_id: id, user: None, team: Some(&teams[0]), until: None },
        })
        .collect();
    let give = assignment::give_statement(pg, &gifts, now);
    c.check_statement("routing: a round's leads to their owners".into(), give, &["lead"]).await;
    let window = assignment::created_between_query(now - chrono::Duration::days(7), now, 5_001);
    c.check_statement("simulation: a window's leads".into(), window.build(pg), &["lead"]).await;
    c.check_statement(
        "simulation: the leads' first owners".into(),
        assignment::first_owners_query(&leads).build(pg),
        &["lead_assignment_log"],
    )
    .await;
    // The partial indexes of the optional owner columns (migration 16) still serve a lookup of
    // one value, as the foreign keys' ON DELETE SET NULL runs it.
    for (table, column, id) in [
        ("lead_assignment_log", "from_user_id", &users[0]),
        ("lead_assignment_log", "to_user_id", &users[0]),
        ("lead_assignment_log", "to_team_id", &teams[0]),
        ("lead_assignment_log", "actor_user_id", &users[0]),
        ("tag_relation", "tagged_by_user_id", &users[0]),
    ] {
        let stmt = Statement::from_sql_and_values(
            pg,
            format!("SELECT * FROM {table} WHERE {column} = $1"),
            [sea_orm::Value::from(id.as_str())],
        );
        c.check_statement(format!("routing: {table} by {column}"), stmt, &[table]).await;
    }
}

/// The first `n` ids of a table.
async fn ids<E: sea_orm::EntityTrait>(db: &DatabaseConnection, key: E::Column, n: u64) -> Vec<String> {
    use sea_orm::QuerySelect;
    E::find().select_only().column(key).limit(n).into_tuple().all(db).await.unwrap()
}

/// `leadsAggregate` over a week of `createdAt` (a range `idx_lead_created` serves): by status, and
/// by `channel.channelType` and the Beijing day. The groups are few; the lead rows must come
/// from the index, not a scan of the table.
async fn aggregate_reads(c: &mut Checker) {
    use cdp360::graphql::aggregate::Aggregated;
    use cdp360::repo::aggregate::{Join, Key, Measure, Sort, Spec, statement};
    use cdp360::repo::filter::{CmpOp, Filter};
    let at =
        |s: &str| sea_orm::Value::from(chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc));
    let week = Filter::And(vec![
        Filter::Cmp { col: "created_at", op: CmpOp::Gte, value: at("2026-10-19T16:00:00Z") },
        Filter::Cmp { col: "created_at", op: CmpOp::Lt, value: at("2026-10-26T16:00:00Z") },
    ]);
    let key = |f| Key { column: Lead::column(f), join: None, bucket: None };
    let by_status = Spec {
        table: Lead::TABLE,
        filter: Some(week.clone()),
        keys: vec![key(LeadOrderField::LeadStatus)],
        measures: vec![Measure::Sum(Lead::column(LeadOrderField::LeadScore))],
        having: vec![],
        order: vec![(Sort::Count, true)],
        limit: 100,
    };
    let channel = Key {
        column: Channel::column_named("channelType").unwrap(),
        join: Some(Join { fk: "channel_id", table: Channel::TABLE, visible: None }),
        bucket: None,
    };
    let day = Key { bucket: Some((cdp360::domain::timezone::Period::Day, 8 * 3600)), ..key(LeadOrderField::CreatedAt) };
    let by_channel_and_day = Spec { keys: vec![channel, day], measures: vec![], order: vec![], ..by_status.clone() };
    for (what, spec) in [
        ("leadsAggregate(groupBy: LEAD_STATUS, createdAt in a week)", by_status),
        ("leadsAggregate(groupBy: [channel.channelType, createdAt DAY], createdAt in a week)", by_channel_and_day),
    ] {
        c.check(what.to_string(), statement(DbBackend::Postgres, &spec), &["lead"]).await;
    }
}
