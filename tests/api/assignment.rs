//! Assignment by a scene's rules (issue 16, part 3) and the protection rule for leads submitted again (part 4): each
//! strategy's distribution, the ROUND_ROBIN cursor across rounds and across two server processes,
//! quota and INACTIVE users skipped, the public-pool fallback, the log's rule, strategy and trace,
//! and a duplicate arrival under protection (kept) and after expiry (assigned afresh).

use std::collections::BTreeMap;
use std::sync::Arc;

use cdp360::config::LeaseSettings;
use cdp360::services::tx::{Store, Write};
use chrono::{Duration, Utc};
use entity::enums::{AssignmentKind, UserStatus};
use entity::{acquisition_scene, lead, lead_assignment_log};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::acquisition::{finished, submit, web_form_scene};
use crate::fixtures::{self, insert};
use crate::harness::TestApp;

fn scene_with(rules: Value) -> acquisition_scene::Model {
    acquisition_scene::Model { assignment_rules: Some(rules), ..fixtures::scene("SCN_R", "路由") }
}

fn store_of(app: &TestApp) -> Store {
    Store::new(app.db.clone(), Arc::new(cdp360::metrics::Metrics::new())).with_leases(LeaseSettings::default())
}

/// Leads `from..from + n` (made by `tweak`) inserted, then routed by `scene` in rounds of `round`
/// leads, as ingestion does.
async fn route(
    app: &TestApp,
    scene: &acquisition_scene::Model,
    from: usize,
    n: usize,
    round: usize,
    tweak: impl Fn(&mut lead::Model),
) -> Vec<String> {
    let leads: Vec<lead::Model> = (from..from + n)
        .map(|i| {
            let mut l = fixtures::lead(i);
            tweak(&mut l);
            l
        })
        .collect();
    insert(&app.db, leads.clone()).await;
    let store = store_of(app);
    for chunk in leads.chunks(round) {
        let w = Write::begin(&store).await.unwrap();
        let pairs: Vec<(&acquisition_scene::Model, &lead::Model)> = chunk.iter().map(|l| (scene, l)).collect();
        cdp360::services::routing::route_new_leads(&w, &pairs).await.unwrap();
        w.commit().await.unwrap();
    }
    leads.into_iter().map(|l| l.lead_id).collect()
}

/// Leads per owner (`user:…` / `team:…` / `pool`) among `ids`.
async fn owners(app: &TestApp, ids: &[String]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for l in lead::Entity::find().filter(lead::Column::LeadId.is_in(ids.to_vec())).all(&app.db).await.unwrap() {
        let key = match (&l.owner_user_id, &l.owner_team_id) {
            (Some(u), _) => format!("user:{u}"),
            (None, Some(t)) => format!("team:{t}"),
            _ => "pool".to_string(),
        };
        *out.entry(key).or_insert(0) += 1;
    }
    out
}

async fn log_rows(app: &TestApp) -> Vec<lead_assignment_log::Model> {
    lead_assignment_log::Entity::find().all(&app.db).await.unwrap()
}

fn always() -> Value {
    json!({"field": "lead.leadName", "exists": true})
}

#[tokio::test]
async fn weighted_three_to_one_over_4000_leads_lands_within_five_percent() {
    let app = TestApp::spawn().await;
    let mut u_a = fixtures::user("U_A");
    u_a.claim_quota = 10_000;
    let mut u_b = fixtures::user("U_B");
    u_b.claim_quota = 10_000;
    insert(&app.db, vec![u_a, u_b]).await;
    let scene = scene_with(json!([{"name": "w", "when": always(), "strategy": {"type": "WEIGHTED", "weights": [
        {"user": "U_A", "weight": 3}, {"user": "U_B", "weight": 1}]}}]));
    insert(&app.db, vec![scene.clone()]).await;
    let ids = route(&app, &scene, 1, 4000, 100, |_| {}).await;
    let got = owners(&app, &ids).await;
    let a = got.get("user:U_A").copied().unwrap_or(0) as f64;
    let b = got.get("user:U_B").copied().unwrap_or(0) as f64;
    assert_eq!(a + b, 4000.0, "{got:?}");
    // 3:1 is 3,000 and 1,000; ±5 % of the larger share is ±150 (over five standard deviations).
    assert!((a - 3000.0).abs() <= 150.0 && (b - 1000.0).abs() <= 150.0, "{got:?}");
}

#[tokio::test]
async fn round_robin_counts_differ_by_at_most_one_across_rounds_and_the_log_names_rule_strategy_and_trace() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::user("U_A"), fixtures::user("U_B"), fixtures::user("U_C")]).await;
    let scene = scene_with(
        json!([{"name": "轮询", "when": always(), "strategy": {"type": "ROUND_ROBIN", "users": ["U_A", "U_B", "U_C"]}}]),
    );
    insert(&app.db, vec![scene.clone()]).await;
    let mut ids = route(&app, &scene, 1, 7, 7, |_| {}).await;
    ids.extend(route(&app, &scene, 8, 5, 5, |_| {}).await);
    ids.extend(route(&app, &scene, 13, 11, 4, |_| {}).await);
    let got = owners(&app, &ids).await;
    let counts: Vec<usize> = got.values().copied().collect();
    assert_eq!(counts.len(), 3, "{got:?}");
    assert_eq!(counts.iter().sum::<usize>(), 23);
    assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1, "{got:?}");
    let log = log_rows(&app).await;
    assert_eq!(log.len(), 23);
    for row in &log {
        assert_eq!(row.kind, AssignmentKind::Assigned);
        assert_eq!(row.rule_id.as_deref(), Some("轮询"));
        assert_eq!(row.strategy.as_deref(), Some("ROUND_ROBIN"));
        let trace = row.trace.clone().unwrap();
        assert_eq!(trace["condition"]["matched"], true, "{trace}");
        assert_eq!(trace["condition"]["tests"][0]["operand"], "lead.leadName", "{trace}");
        assert!(row.lease_until.is_some());
    }
    // The lease is the scene's protection period.
    let l = lead::Entity::find_by_id(ids[0].clone()).one(&app.db).await.unwrap().unwrap();
    let left = l.owner_lease_until.unwrap() - Utc::now();
    assert!(left > Duration::hours(47) && left <= Duration::hours(48), "{left}");
}

/// On PostgreSQL a round advances its ROUND_ROBIN cursor in a statement of its own: the cursor's
/// row lock, held by the round until it committed, made every other round of the rule wait (M4R's
/// two ingestion workers wrote one at a time). A round that rolls back leaves its positions spent
/// there. SQLite has one writer, so the cursor advances inside the round and rolls back with it.
#[tokio::test]
async fn an_open_round_robin_round_holds_no_other_round_of_its_rule_and_a_rollback_spends_its_positions_on_postgresql()
{
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::user("U_A"), fixtures::user("U_B"), fixtures::user("U_C")]).await;
    let scene = scene_with(
        json!([{"name": "轮询", "when": always(), "strategy": {"type": "ROUND_ROBIN", "users": ["U_A", "U_B", "U_C"]}}]),
    );
    insert(&app.db, vec![scene.clone()]).await;
    let leads: Vec<lead::Model> = (1..=3).map(fixtures::lead).collect();
    insert(&app.db, leads.clone()).await;
    let ids: Vec<String> = leads.iter().map(|l| l.lead_id.clone()).collect();
    let store = store_of(&app);
    async fn routed(w: &Write<'_>, scene: &acquisition_scene::Model, l: &lead::Model) {
        cdp360::services::routing::route_new_leads(w, &[(scene, l)]).await.unwrap()
    }
    let open = Write::begin(&store).await.unwrap();
    routed(&open, &scene, &leads[0]).await;
    if app.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let w = Write::begin(&store).await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), routed(&w, &scene, &leads[1]))
            .await
            .expect("the second round does not wait for the first to commit");
        w.commit().await.unwrap();
        open.rollback().await.unwrap();
        let w = Write::begin(&store).await.unwrap();
        routed(&w, &scene, &leads[2]).await;
        w.commit().await.unwrap();
        let got = owners(&app, &ids).await;
        let want = BTreeMap::from([("pool".to_string(), 1), ("user:U_B".to_string(), 1), ("user:U_C".to_string(), 1)]);
        assert_eq!(got, want, "U_A's position went with the rolled-back round");
    } else {
        open.rollback().await.unwrap();
        let w = Write::begin(&store).await.unwrap();
        routed(&w, &scene, &leads[1]).await;
        w.commit().await.unwrap();
        let got = owners(&app, &ids).await;
        let want = BTreeMap::from([("pool".to_string(), 2), ("user:U_A".to_string(), 1)]);
        assert_eq!(got, want, "the rolled-back round's position is given again");
    }
}

#[tokio::test]
async fn inactive_users_and_users_without_claim_quota_left_receive_no_leads() {
    let app = TestApp::spawn().await;
    let mut a = fixtures::user("U_A");
    a.user_status = UserStatus::Inactive;
    let mut b = fixtures::user("U_B");
    b.claim_quota = 2;
    insert(&app.db, vec![a, b, fixtures::user("U_C")]).await;
    // U_B already owns one open lead: one more fits its quota.
    let mut owned = fixtures::lead(900);
    owned.owner_user_id = Some("U_B".into());
    insert(&app.db, vec![owned]).await;
    let scene = scene_with(
        json!([{"name": "rr", "when": always(), "strategy": {"type": "ROUND_ROBIN", "users": ["U_A", "U_B", "U_C"]}}]),
    );
    insert(&app.db, vec![scene.clone()]).await;
    let ids = route(&app, &scene, 1, 6, 6, |_| {}).await;
    let got = owners(&app, &ids).await;
    assert_eq!(got, BTreeMap::from([("user:U_B".to_string(), 1), ("user:U_C".to_string(), 5)]));
}

#[tokio::test]
async fn region_attribute_load_and_random_rules_route_in_order_and_what_no_rule_takes_stays_in_the_public_pool() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::user("U_A"), fixtures::user("U_B"), fixtures::user("U_C")]).await;
    // U_A already owns three open leads: BY_LOAD prefers U_B.
    insert(
        &app.db,
        (900..903)
            .map(|i| {
                let mut l = fixtures::lead(i);
                l.owner_user_id = Some("U_A".into());
                l
            })
            .collect(),
    )
    .await;
    insert(&app.db, vec![lease_team("T_S"), lease_team("T_VIP")]).await;
    let scene = scene_with(json!([
        {"name": "south", "when": {"field": "lead.province", "exists": true},
         "strategy": {"type": "BY_REGION", "regions": [{"province": "广东省", "teams": ["T_S"]}]}},
        {"name": "vip", "when": {"field": "lead.leadScore", "gte": 90},
         "strategy": {"type": "BY_ATTRIBUTE", "routes": [{"when": {"field": "lead.leadScore", "gte": 95}, "team": "T_VIP"}]}},
        {"name": "load", "when": {"field": "lead.leadScore", "between": [50, 89]},
         "strategy": {"type": "BY_LOAD", "users": ["U_A", "U_B"]}},
        {"name": "rnd", "when": {"field": "lead.leadScore", "lt": 10}, "strategy": {"type": "RANDOM", "users": ["U_C"]}}
    ]));
    insert(&app.db, vec![scene.clone()]).await;
    // Scores: lead i scores i % 101. 1: random (U_C); 20: no rule (pool); 60, 61: by load;
    // 96: VIP team; 91: the VIP rule's route does not take it, nor does a later rule (pool).
    let scored = |s: i32| move |l: &mut lead::Model| l.lead_score = s;
    let r1 = route(&app, &scene, 1, 1, 1, scored(1)).await;
    let r20 = route(&app, &scene, 2, 1, 1, scored(20)).await;
    let r60 = route(&app, &scene, 3, 2, 2, scored(60)).await;
    let r96 = route(&app, &scene, 5, 1, 1, scored(96)).await;
    let r91 = route(&app, &scene, 6, 1, 1, scored(91)).await;
    let south = route(&app, &scene, 7, 1, 1, |l| {
        l.province = Some("广东省".into());
        l.lead_score = 96;
    })
    .await;
    let north = route(&app, &scene, 8, 1, 1, |l| l.province = Some("北京市".into())).await;
    assert_eq!(owners(&app, &r1).await, BTreeMap::from([("user:U_C".into(), 1)]));
    assert_eq!(owners(&app, &r20).await, BTreeMap::from([("pool".into(), 1)]));
    // U_B has 0 open, U_A 3: both go to U_B (1 then 2 < 3).
    assert_eq!(owners(&app, &r60).await, BTreeMap::from([("user:U_B".into(), 2)]));
    assert_eq!(owners(&app, &r96).await, BTreeMap::from([("team:T_VIP".into(), 1)]));
    assert_eq!(owners(&app, &r91).await, BTreeMap::from([("pool".into(), 1)]));
    assert_eq!(owners(&app, &south).await, BTreeMap::from([("team:T_S".into(), 1)]));
    // 北京市 matches no region: the next rules decide (score 8 % 101 = 8 → RANDOM).
    assert_eq!(owners(&app, &north).await, BTreeMap::from([("user:U_C".into(), 1)]));
    let team_row = lead::Entity::find_by_id(r96[0].clone()).one(&app.db).await.unwrap().unwrap();
    assert!(team_row.owner_lease_until.is_none(), "a team queue holds no lease");
    let pooled = log_rows(&app).await.into_iter().filter(|r| r.lead_id == r20[0] || r.lead_id == r91[0]).count();
    assert_eq!(pooled, 0, "the public-pool fallback logs no assignment");
    let strategies: BTreeMap<String, usize> = log_rows(&app).await.into_iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.strategy.unwrap()).or_insert(0) += 1;
        m
    });
    assert_eq!(
        strategies,
        BTreeMap::from([
            ("BY_ATTRIBUTE".into(), 1),
            ("BY_LOAD".into(), 2),
            ("BY_REGION".into(), 1),
            ("RANDOM".into(), 2)
        ])
    );
}

fn lease_team(id: &str) -> entity::team::Model {
    entity::team::Model {
        team_id: id.into(),
        team_name: format!("团队{id}"),
        parent_team_id: None,
        region: None,
        created_at: fixtures::t0(),
        updated_at: fixtures::t0(),
    }
}

const SET_RULES: &str = "mutation($id: ID!, $input: UpdateAcquisitionSceneInput!) {
    updateAcquisitionScene(id: $id, input: $input) { id } }";

#[tokio::test]
async fn a_lead_submitted_again_under_protection_keeps_its_owner_and_after_expiry_is_assigned_afresh() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::user("U_A"), fixtures::user("U_B")]).await;
    let scene_id = web_form_scene(&app).await;
    let rules = json!([{"name": "rr", "when": always(), "strategy": {"type": "ROUND_ROBIN", "users": ["U_A", "U_B"]}}]);
    app.data(SET_RULES, json!({"id": scene_id, "input": {"assignmentRules": rules}})).await;
    let first = submit(&app, &scene_id, json!({ "name": "张伟", "contact": { "phone": "13800138000" } })).await;
    let first = finished(&app, &first).await;
    assert_eq!(first["status"], "PROCESSED", "{first}");
    let lead_id = first["lead_id"].as_str().unwrap().to_string();
    let owner = |app: &TestApp| {
        let id = lead_id.clone();
        let db = app.db.clone();
        async move { lead::Entity::find_by_id(id).one(&db).await.unwrap().unwrap() }
    };
    let held = owner(&app).await;
    assert_eq!(held.owner_user_id.as_deref(), Some("U_A"));
    // Again, under the 72-hour protection period: same owner, same lease, no new assignment.
    let again = submit(&app, &scene_id, json!({ "name": "张伟", "contact": { "phone": "13800138000" } })).await;
    assert_eq!(finished(&app, &again).await["status"], "DUPLICATE_OF");
    let kept = owner(&app).await;
    assert_eq!(kept.owner_user_id, held.owner_user_id);
    assert_eq!(kept.owner_lease_until, held.owner_lease_until);
    assert_eq!(log_rows(&app).await.len(), 1);
    // The lease expires (the sweeper, 73 hours on): the lead is in the public pool.
    assert_eq!(sweep_until(&store_of(&app), Utc::now() + Duration::hours(73), 1).await, 1);
    assert_eq!(owner(&app).await.owner_user_id, None);
    let after = submit(&app, &scene_id, json!({ "name": "张伟", "contact": { "phone": "13800138000" } })).await;
    assert_eq!(finished(&app, &after).await["status"], "DUPLICATE_OF");
    let fresh = owner(&app).await;
    assert_eq!(fresh.owner_user_id.as_deref(), Some("U_B"), "the rotation continues");
    assert!(fresh.owner_lease_until.unwrap() > Utc::now() + Duration::hours(71));
    let kinds: Vec<AssignmentKind> = {
        let mut rows = log_rows(&app).await;
        // In the order written (ids are ULIDs; the sweep's clock ran ahead of the real one).
        rows.sort_by(|a, b| a.log_id.cmp(&b.log_id));
        rows.into_iter().map(|r| r.kind).collect()
    };
    assert_eq!(kinds, [AssignmentKind::Assigned, AssignmentKind::ReturnedToPool, AssignmentKind::Assigned]);
}

#[tokio::test]
async fn with_reassignment_on_the_sweeper_gives_expired_leads_by_the_scene_rules_passing_over_who_lost_them() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::user("U_A"), fixtures::user("U_B")]).await;
    let scene_id = web_form_scene(&app).await;
    let rules = json!([{"name": "rr", "when": always(), "strategy": {"type": "ROUND_ROBIN", "users": ["U_A", "U_B"]}}]);
    app.data(SET_RULES, json!({"id": scene_id, "input": {"assignmentRules": rules}})).await;
    let mut leads = Vec::new();
    for phone in ["13800138000", "13900139000"] {
        let id = submit(&app, &scene_id, json!({ "name": "张伟", "contact": { "phone": phone } })).await;
        leads.push(finished(&app, &id).await["lead_id"].as_str().unwrap().to_string());
    }
    let owner = |id: &str| {
        let (id, db) = (id.to_string(), app.db.clone());
        async move { lead::Entity::find_by_id(id).one(&db).await.unwrap().unwrap() }
    };
    assert_eq!(owner(&leads[0]).await.owner_user_id.as_deref(), Some("U_A"));
    assert_eq!(owner(&leads[1]).await.owner_user_id.as_deref(), Some("U_B"));
    // Both leases expire. The rotation continues at U_A, then U_B, but each lead passes over the
    // owner who just lost it: the two swap, each with a fresh lease of the scene's 72 hours.
    let store = Store::new(app.db.clone(), Arc::new(cdp360::metrics::Metrics::new()))
        .with_leases(LeaseSettings { reassign_expired: true, ..LeaseSettings::default() });
    let later = Utc::now() + Duration::hours(73);
    assert_eq!(sweep_until(&store, later, 2).await, 2);
    let (a, b) = (owner(&leads[0]).await, owner(&leads[1]).await);
    assert_eq!(a.owner_user_id.as_deref(), Some("U_B"));
    assert_eq!(b.owner_user_id.as_deref(), Some("U_A"));
    // PostgreSQL keeps microseconds.
    let gap = a.owner_lease_until.unwrap() - (later + Duration::hours(72));
    assert!(gap.num_microseconds().unwrap().abs() < 1, "{gap}");
    let mut rows = log_rows(&app).await.into_iter().filter(|r| r.lead_id == leads[0]).collect::<Vec<_>>();
    rows.sort_by(|x, y| x.log_id.cmp(&y.log_id));
    let kinds: Vec<AssignmentKind> = rows.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [AssignmentKind::Assigned, AssignmentKind::ReturnedToPool, AssignmentKind::Assigned]);
    assert_eq!(rows[2].rule_id.as_deref(), Some("rr"));
    // Off (the default), an expired lead stays in the public pool: see the protection test above.
}

/// A partner pushing leads in bulk is not rate-limited in this test.
const UNLIMITED: [(&str, &str); 2] = [("CDP_RATE_LIMIT_PER_MINUTE", "1000000"), ("CDP_RATE_LIMIT_BURST", "100000")];

/// POSTs submissions `from..from + n` as one batch to a process replica.
async fn post_batch(addr: &str, scene_id: &str, from: usize, n: usize) {
    let items: Vec<Value> = (from..from + n)
        .map(|i| json!({ "scene_config_id": scene_id, "submission_data": { "name": format!("线索{i}"), "contact": { "phone": format!("1390{i:07}") } } }))
        .collect();
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/leads/ingestions"))
        .bearer_auth(crate::acquisition::ingest_token())
        .header("Idempotency-Key", format!("rr-{from}"))
        .body(json!({ "submissions": items }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
}

#[tokio::test]
async fn round_robin_over_two_server_processes_gives_each_user_counts_within_one() {
    use futures_util::StreamExt;
    let db = crate::harness::ProcessDatabase::new().await;
    cdp360::repo::bulk::insert_all(&db.db, vec![fixtures::user("U_A"), fixtures::user("U_B"), fixtures::user("U_C")])
        .await
        .unwrap();
    let (a, b) = (db.serve(&UNLIMITED), db.serve(&UNLIMITED));
    let q = "mutation { createChannel(input: { channelName: \"表单\", channelType: WEBSITE, channelStatus: ACTIVE }) { id } }";
    let channel = a.data(q, json!({})).await["createChannel"]["id"].as_str().unwrap().to_string();
    let input = json!({
        "sceneName": "官网表单", "sceneType": "WEB_FORM", "isEnabled": true, "defaultChannelId": channel,
        "dataMappingRules": crate::acquisition::web_form_rules(), "deduplicationStrategy": "NO_CHECK",
        "assignmentRules": [{"name": "rr", "when": always(), "strategy": {"type": "ROUND_ROBIN", "users": ["U_A", "U_B", "U_C"]}}],
    });
    let q = "mutation($input: CreateAcquisitionSceneInput!) { createAcquisitionScene(input: $input) { id } }";
    let scene_id =
        a.data(q, json!({ "input": input })).await["createAcquisitionScene"]["id"].as_str().unwrap().to_string();
    let posts = (0..20).map(|k| {
        let addr = if k % 2 == 0 { a.addr.clone() } else { b.addr.clone() };
        let scene_id = scene_id.clone();
        async move { post_batch(&addr, &scene_id, k * 10, 10).await }
    });
    futures_util::stream::iter(posts).buffer_unordered(6).collect::<Vec<()>>().await;
    let mut leads = Vec::new();
    for _ in 0..1800 {
        leads = lead::Entity::find().all(&db.db).await.unwrap();
        let pending = entity::lead_ingestion::Entity::find().all(&db.db).await.unwrap();
        if leads.len() == 200 && pending.iter().all(|r| r.status != "ACCEPTED") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(leads.len(), 200);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for l in &leads {
        *counts.entry(l.owner_user_id.clone().unwrap_or_default()).or_insert(0) += 1;
    }
    let n: Vec<usize> = counts.values().copied().collect();
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert!(n.iter().max().unwrap() - n.iter().min().unwrap() <= 1, "{counts:?}");
    let _ = b;
}

#[tokio::test]
async fn one_round_gives_its_leads_to_users_and_teams_at_once_and_announces_only_the_user_assignments() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::user("U_A"), fixtures::user("U_B")]).await;
    insert(&app.db, vec![lease_team("T_S")]).await;
    let scene = scene_with(json!([
        {"name": "south", "when": {"field": "lead.province", "eq": "广东省"},
         "strategy": {"type": "BY_REGION", "regions": [{"province": "广东省", "teams": ["T_S"]}]}},
        {"name": "rr", "when": always(), "strategy": {"type": "ROUND_ROBIN", "users": ["U_A", "U_B"]}}
    ]));
    insert(&app.db, vec![scene.clone()]).await;
    // One round of four: two southern leads to the team's queue, two others to U_A and U_B.
    let ids = route(&app, &scene, 1, 4, 4, |l| {
        l.province = Some(if l.lead_id.ends_with(['1', '3']) { "广东省" } else { "北京市" }.into())
    })
    .await;
    assert_eq!(
        owners(&app, &ids).await,
        BTreeMap::from([("team:T_S".into(), 2), ("user:U_A".into(), 1), ("user:U_B".into(), 1)])
    );
    for l in lead::Entity::find().filter(lead::Column::LeadId.is_in(ids.clone())).all(&app.db).await.unwrap() {
        assert_eq!(l.owner_lease_until.is_some(), l.owner_user_id.is_some(), "a user holds a lease, a queue none");
    }
    assert_eq!(log_rows(&app).await.len(), 4);
    // Leads new in the round are announced by their creation; the routing adds LEAD_ASSIGNED for
    // each user, and no LEAD_UPDATED.
    let backend = app.db.get_database_backend();
    let sql = "SELECT event_type FROM outbox_event ORDER BY seq";
    let rows = app.db.query_all_raw(sea_orm::Statement::from_string(backend, sql)).await.unwrap();
    let types: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "event_type").unwrap()).collect();
    assert_eq!(types, ["LEAD_ASSIGNED", "LEAD_ASSIGNED"]);
}

/// Sweeps at `at` until `expected` leads came back (or 100 sweeps): a lead that another
/// transaction holds at that moment (one of the app's background jobs) is skipped (`FOR UPDATE
/// SKIP LOCKED`) and returned by the next sweep, as the job's next minute would. Seen in a
/// PostgreSQL run on a busy machine: 1 of 2 in the first sweep.
async fn sweep_until(store: &Store, at: chrono::DateTime<Utc>, expected: u64) -> u64 {
    let mut swept = 0;
    for _ in 0..100 {
        swept += cdp360::services::leases::sweep(store, at).await.unwrap();
        if swept >= expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    swept
}
