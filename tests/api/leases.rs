//! The protection period and the pools (issue 16, part 4, and the manual moves of part 3):
//! `claimLead` within the quota and outside the cooldown, 20 concurrent claims, `releaseLead`,
//! `extendLease` up to the maximum, renewal by the owner's follow-ups, the sweeper driven by a
//! controllable clock, the pool reads, `assignLead` / `reassignLeads` and their bad input.

use std::sync::Arc;

use cdp360::auth::{MintRequest, Scope, mint_hs256};
use cdp360::config::LeaseSettings;
use cdp360::services::tx::Store;
use chrono::{DateTime, Duration, Utc};
use entity::enums::{AssignmentKind, LeadStatus, UserRole, UserStatus};
use entity::{app_user, lead, lead_assignment_log, lead_ingestion, team};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Statement};
use serde_json::{Value, json};

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, assert_unchanged, error_code, snapshot, test_secret};
use crate::websocket::{connect_as, next, send};

const CLAIM: &str = "mutation($l: ID!) { claimLead(leadId: $l) { id ownerUserId ownerLeaseUntil leaseExtensions } }";
const RELEASE: &str =
    "mutation($l: ID!, $r: String) { releaseLead(leadId: $l, reason: $r) { id ownerUserId ownerLeaseUntil } }";
const EXTEND: &str =
    "mutation($l: ID!, $r: String!) { extendLease(leadId: $l, reason: $r) { id ownerLeaseUntil leaseExtensions } }";
const ASSIGN: &str = "mutation($l: ID!, $u: ID, $t: ID, $r: String) {
    assignLead(leadId: $l, userId: $u, teamId: $t, reason: $r) { id ownerUserId ownerTeamId ownerLeaseUntil } }";
const REASSIGN: &str = "mutation($l: [ID!]!, $u: ID, $t: ID, $r: String) {
    reassignLeads(leadIds: $l, userId: $u, teamId: $t, reason: $r) { id ownerUserId ownerTeamId } }";
const RECORD: &str = "mutation($t: [TouchpointInput!]!) { recordTouchpoints(touchpoints: $t) { count } }";

/// A token whose subject is the staff user `user` (people act as themselves).
fn token_of(user: &str, scopes: &[Scope]) -> String {
    let request = MintRequest {
        subject: user.into(),
        scopes: scopes.iter().copied().collect(),
        channels: None,
        ttl: std::time::Duration::from_secs(3600),
        issuer: None,
        audience: None,
    };
    mint_hs256(&test_secret(), &request).unwrap()
}

fn sales(user: &str) -> String {
    token_of(user, &[Scope::Read, Scope::Write])
}

fn lead_id(i: usize) -> String {
    format!("LEAD_{i:06}")
}

async fn stored(app: &TestApp, i: usize) -> lead::Model {
    lead::Entity::find_by_id(lead_id(i)).one(&app.db).await.unwrap().unwrap()
}

async fn log_of(app: &TestApp, i: usize) -> Vec<lead_assignment_log::Model> {
    lead_assignment_log::Entity::find()
        .filter(lead_assignment_log::Column::LeadId.eq(lead_id(i)))
        .order_by_asc(lead_assignment_log::Column::AssignedAt)
        .all(&app.db)
        .await
        .unwrap()
}

/// The outbox's event types, in commit order.
async fn outbox_types(app: &TestApp) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let rows = app
        .db
        .query_all_raw(Statement::from_string(backend, "SELECT event_type FROM outbox_event ORDER BY seq"))
        .await
        .unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "event_type").unwrap()).collect()
}

/// Users `USER_A`, `USER_B`, … (ACTIVE sales, quota 200) and leads 1..=n in the public pool.
async fn app_with(users: &[&str], leads: usize) -> TestApp {
    app_with_settings(users, leads, |_| {}).await
}

async fn app_with_settings(users: &[&str], leads: usize, tweak: impl FnOnce(&mut LeaseSettings)) -> TestApp {
    let app = TestApp::spawn_with(|c| tweak(&mut c.leases)).await;
    insert(&app.db, users.iter().map(|u| fixtures::user(u)).collect()).await;
    insert(&app.db, (1..=leads).map(fixtures::lead).collect()).await;
    app
}

fn team(id: &str) -> team::Model {
    team::Model {
        team_id: id.into(),
        team_name: format!("华南{id}"),
        parent_team_id: None,
        region: Some("广东省".into()),
        created_at: fixtures::t0(),
        updated_at: fixtures::t0(),
    }
}

/// A `Store` on the app's database, to drive the sweeper with a chosen clock.
fn store_of(app: &TestApp, leases: LeaseSettings) -> Store {
    Store::new(app.db.clone(), Arc::new(cdp360::metrics::Metrics::new())).with_leases(leases)
}

fn instant(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not an instant: {v}"))).unwrap().to_utc()
}

fn near(a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    (a - b).num_seconds().abs() <= 60
}

#[tokio::test]
async fn a_lead_claimed_from_the_public_pool_gets_a_lease_of_the_scene_length_or_the_default() {
    let app = app_with(&["USER_A"], 2).await;
    // Lead 2 came from a scene with a 48-hour protection period.
    let scene = fixtures::scene("SCN_1", "官网表单");
    insert(&app.db, vec![scene]).await;
    let ingestion = lead_ingestion::Model {
        ingestion_id: "ING_1".into(),
        scene_id: "SCN_1".into(),
        client_id: "test".into(),
        idempotency_key: None,
        batch_index: 0,
        body_sha256: "0".repeat(64),
        status: "PROCESSED".into(),
        submission: json!({}),
        meta: None,
        lead_id: Some(lead_id(2)),
        duplicate_of: None,
        reasons: None,
        attempts: 1,
        created_at: fixtures::t0(),
        updated_at: fixtures::t0(),
        processed_at: Some(fixtures::t0()),
        next_attempt_at: None,
        steps: None,
    };
    insert(&app.db, vec![ingestion]).await;

    let before = Utc::now();
    let one = app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(1) })).await;
    assert_eq!(one["claimLead"]["ownerUserId"], "USER_A");
    assert_eq!(one["claimLead"]["leaseExtensions"], 0);
    assert!(near(instant(&one["claimLead"]["ownerLeaseUntil"]), before + Duration::days(30)), "{one}");
    let two = app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(2) })).await;
    assert!(near(instant(&two["claimLead"]["ownerLeaseUntil"]), before + Duration::hours(48)), "{two}");

    let log = log_of(&app, 1).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].kind, AssignmentKind::Claimed);
    assert_eq!((log[0].from_user_id.as_deref(), log[0].to_user_id.as_deref()), (None, Some("USER_A")));
    assert_eq!(log[0].actor_user_id.as_deref(), Some("USER_A"));
    let read = app
        .data_as(
            &sales("USER_A"),
            "query($l: ID!) { lead(id: $l) { owner { userId } assignmentLog { nodes { kind toUserId toUser { userId } } } } }",
            json!({ "l": lead_id(1) }),
        )
        .await;
    assert_eq!(read["lead"]["owner"]["userId"], "USER_A");
    assert_eq!(read["lead"]["assignmentLog"]["nodes"][0]["kind"], "CLAIMED");
    assert_eq!(read["lead"]["assignmentLog"]["nodes"][0]["toUser"]["userId"], "USER_A");
    let types = outbox_types(&app).await;
    assert_eq!(types.iter().filter(|t| *t == "LEAD_ASSIGNED").count(), 2, "{types:?}");

    // An owned lead cannot be claimed, by anyone.
    let again = app.gql_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(1) })).await;
    assert_eq!(error_code(&again), "CONFLICT", "{again}");
    // A token that is not a staff user cannot act in the pool.
    let robot = app.gql_as(&token_of("etl-job", &[Scope::Read, Scope::Write]), CLAIM, json!({ "l": lead_id(2) })).await;
    assert_eq!(error_code(&robot), "FORBIDDEN", "{robot}");
}

#[tokio::test]
async fn a_claim_beyond_the_quota_is_a_conflict_and_writes_nothing() {
    let app = app_with(&[], 3).await;
    let mut user = fixtures::user("USER_A");
    user.claim_quota = 1;
    insert(&app.db, vec![user]).await;
    app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(1) })).await;
    let before = snapshot(&app, &[], |_, _| {}).await;
    let over = app.gql_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(2) })).await;
    assert_eq!(error_code(&over), "CONFLICT", "{over}");
    assert!(over["errors"][0]["message"].as_str().unwrap().contains("quota"), "{over}");
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
    // A closed lead does not count: converting or disqualifying frees the quota.
    app.data_as(
        &sales("USER_A"),
        "mutation { changeLeadStatus(id: \"LEAD_000001\", status: DISQUALIFIED) { id } }",
        json!({}),
    )
    .await;
    let freed = app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(2) })).await;
    assert_eq!(freed["claimLead"]["ownerUserId"], "USER_A");
}

#[tokio::test]
async fn a_released_or_lost_lead_cannot_be_claimed_back_by_its_owner_during_the_cooldown() {
    let app = app_with_settings(&["USER_A", "USER_B"], 1, |l| l.cooldown = Duration::hours(24)).await;
    app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(1) })).await;
    let released = app.data_as(&sales("USER_A"), RELEASE, json!({ "l": lead_id(1), "r": "客户暂无需求" })).await;
    assert_eq!(released["releaseLead"]["ownerUserId"], Value::Null);
    assert_eq!(released["releaseLead"]["ownerLeaseUntil"], Value::Null);
    let before = snapshot(&app, &[], |_, _| {}).await;
    let back = app.gql_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(1) })).await;
    assert_eq!(error_code(&back), "CONFLICT", "{back}");
    assert!(back["errors"][0]["message"].as_str().unwrap().contains("claimed back"), "{back}");
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
    // The cooldown is the releaser's alone.
    let other = app.data_as(&sales("USER_B"), CLAIM, json!({ "l": lead_id(1) })).await;
    assert_eq!(other["claimLead"]["ownerUserId"], "USER_B");
    app.data_as(&sales("USER_B"), RELEASE, json!({ "l": lead_id(1) })).await;
    // 25 hours later (the release moved back in the log: the clock the cooldown reads) A may claim.
    let moved = lead_assignment_log::Entity::find()
        .filter(lead_assignment_log::Column::FromUserId.eq("USER_A"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    lead_assignment_log::Entity::update_many()
        .col_expr(lead_assignment_log::Column::AssignedAt, Expr::value(moved.assigned_at - Duration::hours(25)))
        .filter(lead_assignment_log::Column::LogId.eq(moved.log_id))
        .exec(&app.db)
        .await
        .unwrap();
    let after = app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(1) })).await;
    assert_eq!(after["claimLead"]["ownerUserId"], "USER_A");
    let kinds: Vec<AssignmentKind> = log_of(&app, 1).await.into_iter().map(|l| l.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == AssignmentKind::Released).count(), 2);
    assert_eq!(kinds.iter().filter(|k| **k == AssignmentKind::Claimed).count(), 3);
}

#[tokio::test]
async fn twenty_concurrent_claims_of_one_lead_make_exactly_one_owner_and_nineteen_conflicts() {
    let users: Vec<String> = (0..20).map(|i| format!("USER_{i:02}")).collect();
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    let app = app_with(&names, 1).await;
    let claims = users.iter().map(|u| {
        let (app, token) = (&app, sales(u));
        async move { app.gql_as(&token, CLAIM, json!({ "l": lead_id(1) })).await }
    });
    let answers = futures_util::future::join_all(claims).await;
    let winners: Vec<&Value> = answers.iter().filter(|a| a.get("errors").is_none()).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for a in answers.iter().filter(|a| a.get("errors").is_some()) {
        assert_eq!(error_code(a), "CONFLICT", "{a}");
    }
    let owner = winners[0]["data"]["claimLead"]["ownerUserId"].as_str().unwrap();
    assert_eq!(stored(&app, 1).await.owner_user_id.as_deref(), Some(owner));
    let log = log_of(&app, 1).await;
    assert_eq!(log.len(), 1, "one claim logged");
    assert_eq!(log[0].to_user_id.as_deref(), Some(owner));
}

#[tokio::test]
async fn only_the_owner_releases_a_lead_and_a_lead_in_the_pool_cannot_be_released() {
    let app = app_with(&["USER_A", "USER_B"], 2).await;
    app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(1) })).await;
    let before = snapshot(&app, &[], |_, _| {}).await;
    let theirs = app.gql_as(&sales("USER_B"), RELEASE, json!({ "l": lead_id(1) })).await;
    assert_eq!(error_code(&theirs), "FORBIDDEN", "{theirs}");
    let pooled = app.gql_as(&sales("USER_B"), RELEASE, json!({ "l": lead_id(2) })).await;
    assert_eq!(error_code(&pooled), "CONFLICT", "{pooled}");
    let missing = app.gql_as(&sales("USER_A"), RELEASE, json!({ "l": "LEAD_404" })).await;
    assert_eq!(error_code(&missing), "NOT_FOUND", "{missing}");
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
    app.data_as(&sales("USER_A"), RELEASE, json!({ "l": lead_id(1), "r": "转交同事" })).await;
    let log = log_of(&app, 1).await;
    assert_eq!(log.last().unwrap().kind, AssignmentKind::Released);
    assert_eq!(log.last().unwrap().from_user_id.as_deref(), Some("USER_A"));
    assert_eq!(log.last().unwrap().reason.as_deref(), Some("转交同事"));
    assert!(outbox_types(&app).await.contains(&"LEAD_RETURNED_TO_POOL".to_string()));
}

#[tokio::test]
async fn a_lease_is_extended_by_its_owner_up_to_the_maximum_number_of_extensions() {
    let app = app_with_settings(&["USER_A", "USER_B"], 1, |l| l.max_extensions = 2).await;
    let claimed = app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(1) })).await;
    let mut until = instant(&claimed["claimLead"]["ownerLeaseUntil"]);
    for n in 1..=2 {
        let got = app.data_as(&sales("USER_A"), EXTEND, json!({ "l": lead_id(1), "r": "客户下周决策" })).await;
        let next = instant(&got["extendLease"]["ownerLeaseUntil"]);
        assert_eq!(next - until, Duration::days(30), "extension {n} adds one lease length");
        assert_eq!(got["extendLease"]["leaseExtensions"], n);
        until = next;
    }
    let before = snapshot(&app, &[], |_, _| {}).await;
    let third = app.gql_as(&sales("USER_A"), EXTEND, json!({ "l": lead_id(1), "r": "再延一次" })).await;
    assert_eq!(error_code(&third), "CONFLICT", "{third}");
    let theirs = app.gql_as(&sales("USER_B"), EXTEND, json!({ "l": lead_id(1), "r": "x" })).await;
    assert_eq!(error_code(&theirs), "FORBIDDEN", "{theirs}");
    let no_reason = app.gql_as(&sales("USER_A"), EXTEND, json!({ "l": lead_id(1), "r": "  " })).await;
    assert_eq!(error_code(&no_reason), "BAD_USER_INPUT", "{no_reason}");
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
    let kinds: Vec<AssignmentKind> = log_of(&app, 1).await.into_iter().map(|l| l.kind).collect();
    assert_eq!(kinds, [AssignmentKind::Claimed, AssignmentKind::Extended, AssignmentKind::Extended]);
}

#[tokio::test]
async fn the_owners_outbound_calls_meetings_chats_and_status_changes_renew_the_lease_and_nothing_else_does() {
    let app = app_with(&["USER_A", "USER_B"], 1).await;
    app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(1) })).await;
    // The lease has one day left: a renewal brings it back to 30 days from now.
    let short = || async {
        lead::Entity::update_many()
            .col_expr(lead::Column::OwnerLeaseUntil, Expr::value(Utc::now() + Duration::days(1)))
            .exec(&app.db)
            .await
            .unwrap();
    };
    let touch = |kind: &str, direction: Option<&str>, owner: &str| {
        json!({ "t": [{
            "touchpointType": kind, "touchpointDirection": direction, "leadId": lead_id(1),
            "ownerUserId": owner, "touchpointTime": "2026-11-01T09:00:00Z",
        }] })
    };
    let renewed = || async { stored(&app, 1).await.owner_lease_until.unwrap() > Utc::now() + Duration::days(29) };
    for (kind, direction, owner, renews) in [
        ("CALL", Some("OUTBOUND"), "USER_A", true),
        ("MEETING", None, "USER_A", true),
        ("CHAT", Some("OUTBOUND"), "USER_A", true),
        ("CALL", Some("INBOUND"), "USER_A", false),
        ("CHAT", Some("INBOUND"), "USER_A", false),
        ("EMAIL", Some("OUTBOUND"), "USER_A", false),
        ("CALL", Some("OUTBOUND"), "USER_B", false),
    ] {
        short().await;
        app.data(RECORD, touch(kind, direction, owner)).await;
        assert_eq!(renewed().await, renews, "{kind} {direction:?} by {owner}");
    }
    // The generic createTouchpoint renews too.
    short().await;
    app.data(
        "mutation { createTouchpoint(input: { touchpointType: MEETING, leadId: \"LEAD_000001\", ownerUserId: \"USER_A\", touchpointTime: \"2026-11-01T09:00:00Z\" }) { id } }",
        json!({}),
    )
    .await;
    assert!(renewed().await, "createTouchpoint MEETING by the owner");
    // A status change by the owner renews; by someone else it does not.
    short().await;
    app.data_as(
        &sales("USER_B"),
        "mutation { changeLeadStatus(id: \"LEAD_000001\", status: CONTACTED) { id } }",
        json!({}),
    )
    .await;
    assert!(!renewed().await, "a status change by another user");
    app.data_as(
        &sales("USER_A"),
        "mutation { changeLeadStatus(id: \"LEAD_000001\", status: QUALIFIED) { id } }",
        json!({}),
    )
    .await;
    assert!(renewed().await, "a status change by the owner");
    // Renewal is not an assignment: the log holds the claim alone.
    assert_eq!(log_of(&app, 1).await.len(), 1);
}

#[tokio::test]
async fn the_sweeper_returns_expired_leads_to_the_public_pool_at_the_clock_it_is_given() {
    let app = app_with(&["USER_A", "USER_B"], 3).await;
    let mut converted = fixtures::lead(4);
    converted.lead_status = LeadStatus::Converted;
    converted.owner_user_id = Some("USER_B".into());
    converted.owner_lease_until = Some(Utc::now() + Duration::days(1));
    insert(&app.db, vec![converted]).await;
    app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(1) })).await;
    app.data_as(&sales("USER_B"), CLAIM, json!({ "l": lead_id(2) })).await;
    let store = store_of(&app, LeaseSettings { sweep_batch: 1, ..LeaseSettings::default() });
    let now = Utc::now();
    assert_eq!(cdp360::services::leases::sweep(&store, now + Duration::days(29)).await.unwrap(), 0);
    assert_eq!(stored(&app, 1).await.owner_user_id.as_deref(), Some("USER_A"));
    // Batches of one: the job sweeps again while a batch comes back full.
    let later = now + Duration::days(31);
    let mut returned = 0;
    loop {
        let n = cdp360::services::leases::sweep(&store, later).await.unwrap();
        returned += n;
        if n == 0 {
            break;
        }
    }
    assert_eq!(returned, 2);
    for (i, owner) in [(1, "USER_A"), (2, "USER_B")] {
        let l = stored(&app, i).await;
        assert_eq!((l.owner_user_id, l.owner_lease_until, l.lease_extensions), (None, None, 0));
        let log = log_of(&app, i).await;
        let last = log.last().unwrap();
        assert_eq!(last.kind, AssignmentKind::ReturnedToPool);
        assert_eq!(last.from_user_id.as_deref(), Some(owner));
        assert!((last.assigned_at - later).abs() < Duration::milliseconds(1), "logged at the sweep's clock");
    }
    // A converted lead keeps its owner; only its lease ends.
    let kept = stored(&app, 4).await;
    assert_eq!((kept.owner_user_id.as_deref(), kept.owner_lease_until), (Some("USER_B"), None));
    assert!(log_of(&app, 4).await.is_empty());
    assert!(stored(&app, 3).await.owner_user_id.is_none());
    let types = outbox_types(&app).await;
    assert_eq!(types.iter().filter(|t| *t == "LEAD_RETURNED_TO_POOL").count(), 2, "{types:?}");
    // The lost lead is in its former owner's cooldown.
    let back = app.gql_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(1) })).await;
    assert_eq!(error_code(&back), "CONFLICT", "{back}");
}

#[tokio::test]
async fn the_pool_filter_splits_leads_by_owner_on_both_read_paths_and_my_leads_are_the_callers() {
    let app = app_with(&["USER_A", "USER_B"], 5).await;
    insert(&app.db, vec![team("TEAM_S")]).await;
    app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(1) })).await;
    app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(2) })).await;
    app.data_as(&sales("USER_B"), CLAIM, json!({ "l": lead_id(3) })).await;
    app.data(ASSIGN, json!({ "l": lead_id(4), "t": "TEAM_S" })).await;
    let resolvers = app.spawn_beside(|c| c.read_planner = false).await;
    let query =
        "query($p: LeadPool!) { leads(filter: { pool: $p }, orderBy: { field: LEAD_ID }) { totalCount nodes { id } } }";
    for (pool, expected) in [("PRIVATE", vec![1, 2, 3]), ("PUBLIC", vec![5])] {
        let ids: Vec<Value> = expected.iter().map(|i| json!({ "id": lead_id(*i) })).collect();
        for server in [&app, &resolvers] {
            let got = server.data(query, json!({ "p": pool })).await;
            assert_eq!(got["leads"]["nodes"], Value::Array(ids.clone()), "{pool}: {got}");
            assert_eq!(got["leads"]["totalCount"], expected.len(), "{pool}");
        }
    }
    let mine = app
        .data_as(
            &sales("USER_A"),
            "{ myLeads(orderBy: { field: LEAD_ID }) { nodes { id } } filtered: myLeads(filter: { leadId: { eq: \"LEAD_000002\" } }) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["myLeads"]["nodes"], json!([{ "id": lead_id(1) }, { "id": lead_id(2) }]));
    assert_eq!(mine["filtered"]["nodes"], json!([{ "id": lead_id(2) }]));
    let nobody = app.data_as(&token_of("etl-job", &[Scope::Read]), "{ myLeads { nodes { id } } }", json!({})).await;
    assert_eq!(nobody["myLeads"]["nodes"], json!([]));
}

#[tokio::test]
async fn a_manager_assigns_and_reassigns_leads_and_the_new_owner_hears_of_it() {
    let app = app_with(&["USER_A", "USER_B"], 3).await;
    let mut manager = fixtures::user("USER_M");
    manager.user_role = UserRole::SalesManager;
    insert(&app.db, vec![manager, fixtures::user("USER_S")]).await;
    insert(&app.db, vec![team("TEAM_S")]).await;
    let mut ws = connect_as(&app, &sales("USER_B")).await;
    send(
        &mut ws,
        json!({ "id": "a", "type": "subscribe", "payload": { "query": "subscription { leadAssigned(ownerId: \"USER_B\") { lead { id ownerUserId } ownerId } }" } }),
    )
    .await;
    send(&mut ws, json!({ "type": "ping" })).await;
    assert_eq!(next(&mut ws).await.unwrap()["type"], "pong");

    let first = app.data_as(&sales("USER_M"), ASSIGN, json!({ "l": lead_id(1), "u": "USER_A", "r": "大客户" })).await;
    assert_eq!(first["assignLead"]["ownerUserId"], "USER_A");
    assert!(first["assignLead"]["ownerLeaseUntil"].is_string());
    let moved = app
        .data_as(&sales("USER_M"), REASSIGN, json!({ "l": [lead_id(1), lead_id(2)], "u": "USER_B", "r": "区域调整" }))
        .await;
    assert_eq!(moved["reassignLeads"][0]["ownerUserId"], "USER_B");
    assert_eq!(moved["reassignLeads"][1]["ownerUserId"], "USER_B");
    let heard = next(&mut ws).await.unwrap();
    assert_eq!(heard["payload"]["data"]["leadAssigned"]["ownerId"], "USER_B", "{heard}");
    let kinds: Vec<(AssignmentKind, Option<String>)> =
        log_of(&app, 1).await.into_iter().map(|l| (l.kind, l.from_user_id)).collect();
    assert_eq!(kinds, [(AssignmentKind::Assigned, None), (AssignmentKind::Reassigned, Some("USER_A".into()))]);
    assert_eq!(log_of(&app, 2).await[0].kind, AssignmentKind::Assigned);
    assert_eq!(log_of(&app, 2).await[0].actor_user_id.as_deref(), Some("USER_M"));
    // To a team: the lead waits in the team's queue, out of the public pool, claimable by members.
    let queued = app.data_as(&sales("USER_M"), ASSIGN, json!({ "l": lead_id(3), "t": "TEAM_S" })).await;
    assert_eq!(
        (queued["assignLead"]["ownerUserId"].clone(), queued["assignLead"]["ownerTeamId"].clone()),
        (Value::Null, json!("TEAM_S"))
    );
    let outsider = app.gql_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(3) })).await;
    assert_eq!(error_code(&outsider), "CONFLICT", "{outsider}");
    app_user::Entity::update_many()
        .col_expr(app_user::Column::TeamId, Expr::value("TEAM_S"))
        .filter(app_user::Column::UserId.eq("USER_S"))
        .exec(&app.db)
        .await
        .unwrap();
    let member = app.data_as(&sales("USER_S"), CLAIM, json!({ "l": lead_id(3) })).await;
    assert_eq!(member["claimLead"]["ownerUserId"], "USER_S");
    // A sales user's write token is not a manager's.
    let plain = app.gql_as(&sales("USER_A"), ASSIGN, json!({ "l": lead_id(2), "u": "USER_A" })).await;
    assert_eq!(error_code(&plain), "FORBIDDEN", "{plain}");
}

#[tokio::test]
async fn assigning_to_an_unknown_or_inactive_user_or_an_unknown_team_is_refused_with_nothing_written() {
    let app = app_with(&["USER_A"], 2).await;
    let mut gone = fixtures::user("USER_X");
    gone.user_status = UserStatus::Inactive;
    insert(&app.db, vec![gone]).await;
    app.data(ASSIGN, json!({ "l": lead_id(1), "u": "USER_A" })).await;
    let before = snapshot(&app, &[], |_, _| {}).await;
    for (vars, code, needle) in [
        (json!({ "l": lead_id(1), "u": "USER_404" }), "BAD_USER_INPUT", "userId"),
        (json!({ "l": lead_id(1), "u": "USER_X" }), "BAD_USER_INPUT", "userId"),
        (json!({ "l": lead_id(1), "t": "TEAM_404" }), "BAD_USER_INPUT", "teamId"),
        (json!({ "l": lead_id(1) }), "BAD_USER_INPUT", "userId, teamId"),
        (json!({ "l": lead_id(1), "u": "USER_A", "t": "TEAM_404" }), "BAD_USER_INPUT", "userId, teamId"),
        (json!({ "l": "LEAD_404", "u": "USER_A" }), "NOT_FOUND", "leadId"),
    ] {
        let body = app.gql(ASSIGN, vars.clone()).await;
        assert_eq!(error_code(&body), code, "{vars}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(needle), "{needle}: {body}");
    }
    for (vars, code, needle) in [
        (json!({ "l": [lead_id(1), lead_id(2)], "u": "USER_X" }), "BAD_USER_INPUT", "userId"),
        (json!({ "l": [lead_id(2), "LEAD_404"], "u": "USER_A" }), "NOT_FOUND", "leadIds[1]"),
        (json!({ "l": [lead_id(2), lead_id(2)], "u": "USER_A" }), "BAD_USER_INPUT", "leadIds"),
        (json!({ "l": [], "u": "USER_A" }), "BAD_USER_INPUT", "leadIds"),
    ] {
        let body = app.gql(REASSIGN, vars.clone()).await;
        assert_eq!(error_code(&body), code, "{vars}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(needle), "{needle}: {body}");
    }
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
    assert_eq!(lead_assignment_log::Entity::find().count(&app.db).await.unwrap(), 1);
    // The lease columns belong to the workflow: the generic update refuses them.
    let direct =
        app.gql("mutation { updateLead(id: \"LEAD_000001\", input: { leaseExtensions: 0 }) { id } }", json!({})).await;
    assert_eq!(error_code(&direct), "BAD_USER_INPUT", "{direct}");
}

#[tokio::test]
async fn two_sweepers_at_once_return_each_expired_lead_once() {
    let app = app_with(&["USER_A"], 6).await;
    for i in 1..=6 {
        app.data_as(&sales("USER_A"), CLAIM, json!({ "l": lead_id(i) })).await;
    }
    // Two replicas' sweepers: on PostgreSQL one holds the advisory lock (the other skips the
    // round, or finds the rows gone); SQLite runs them one after the other.
    let later = Utc::now() + Duration::days(31);
    let (a, b) = (store_of(&app, LeaseSettings::default()), store_of(&app, LeaseSettings::default()));
    let (x, y) = tokio::join!(cdp360::services::leases::sweep(&a, later), cdp360::services::leases::sweep(&b, later));
    assert_eq!(x.unwrap() + y.unwrap(), 6);
    let returned = lead_assignment_log::Entity::find()
        .filter(lead_assignment_log::Column::Kind.eq(AssignmentKind::ReturnedToPool))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(returned, 6, "one RETURNED_TO_POOL per lead");
    assert_eq!(cdp360::services::leases::sweep(&a, later).await.unwrap(), 0, "nothing left");
}
