//! The routing condition language (issue 16, part 1): every operator and combinator in both
//! evaluators, their agreement on random rules over random stored leads, and scenes refused for
//! invalid routing rules with nothing written. Runs on SQLite, and on PostgreSQL with
//! `CDP_TEST_DATABASE_URL`.

use std::collections::BTreeSet;
use std::sync::Arc;

use cdp360::domain::rules::Rule;
use chrono::{DateTime, Duration, Utc};
use entity::enums::{ChannelType, EntityType, EventType};
use entity::{event, lead};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use crate::acquisition::CREATE_SCENE;
use crate::fixtures;
use crate::harness::{TestApp, assert_unchanged, error_code, snapshot};

fn now() -> DateTime<Utc> {
    fixtures::at(100_000)
}

/// A pool of the server's own kind: SQLite connections get `REGEXP` there (`db::connect`).
async fn pool(app: &TestApp) -> DatabaseConnection {
    cdp360::db::connect(&app.database_url, 2, Arc::new(cdp360::metrics::Metrics::new())).await.unwrap()
}

fn ev(id: &str, lead: &str, ty: EventType, days_ago: f64, props: Option<Value>, utm: Option<Value>) -> event::Model {
    let mut e = fixtures::event(id, 0);
    e.lead_id = Some(lead.into());
    e.event_type = ty;
    e.event_time = now() - Duration::seconds((days_ago * 86_400.0) as i64);
    e.created_at = e.event_time;
    e.event_properties = props;
    e.utm_params = utm;
    e
}

/// The leads of both evaluators' verdicts: the SQL evaluator's selection, and the in-memory
/// evaluator run over every stored lead's facts.
async fn both(db: &DatabaseConnection, rule: &Rule, ids: &[String]) -> (Vec<String>, Vec<String>) {
    let sql = cdp360::services::rules::matching(db, rule, now()).await.unwrap();
    let facts = cdp360::services::rules::facts(db, ids).await.unwrap();
    let mut mem: Vec<String> = facts.iter().filter(|(_, f)| rule.eval(f, now())).map(|(id, _)| id.clone()).collect();
    mem.sort();
    (sql, mem)
}

#[tokio::test]
async fn every_operator_and_combinator_selects_the_same_leads_in_memory_and_in_sql() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    fixtures::insert(
        &app.db,
        vec![fixtures::channel("CH_W", ChannelType::Wechat), fixtures::channel("CH_S", ChannelType::Website)],
    )
    .await;
    fixtures::insert(&app.db, vec![fixtures::account("ACC_1", "客户一")]).await;
    let mut cto = fixtures::contact("CNT_1", "张三", None);
    cto.job_title = Some("CTO".into());
    fixtures::insert(&app.db, vec![cto]).await;
    fixtures::insert(&app.db, vec![fixtures::tag("TAG_H", "高意向"), fixtures::tag("TAG_N", "普通")]).await;

    let mut l1 = fixtures::lead(1);
    l1.province = Some("广东省".into());
    l1.city = Some("深圳市".into());
    l1.lead_score = 80;
    l1.channel_id = Some("CH_W".into());
    l1.custom_fields = Some(json!({"message": "想要报价", "budget": 5000, "vip": true}));
    l1.converted_contact_id = Some("CNT_1".into());
    l1.last_contacted_at = Some(now() - Duration::days(2));
    l1.mobile_phone = Some("13800138000".into());
    let mut l2 = fixtures::lead(2);
    l2.province = Some("广东省".into());
    l2.city = Some("广州市".into());
    l2.lead_score = 40;
    l2.channel_id = Some("CH_S".into());
    l2.custom_fields = Some(json!({"message": "随便看看", "budget": "5000"}));
    l2.converted_account_id = Some("ACC_1".into());
    l2.last_contacted_at = Some(now() - Duration::days(30));
    let mut l3 = fixtures::lead(3);
    l3.province = Some("北京市".into());
    l3.lead_score = 0;
    let mut l4 = fixtures::lead(4);
    l4.lead_score = 100;
    l4.custom_fields = Some(json!({"budget": 100.5}));
    l4.is_qualified = true;
    fixtures::insert_sealed(&app.db, &app.pii(), vec![l1, l2, l3, l4]).await;
    let ids: Vec<String> = (1..=4).map(|i| format!("LEAD_{i:06}")).collect();
    fixtures::insert(
        &app.db,
        vec![
            fixtures::tagging("TGR_1", "TAG_H", EntityType::Lead, &ids[0]),
            fixtures::tagging("TGR_2", "TAG_N", EntityType::Lead, &ids[2]),
            // A tag on another kind of record with the lead's id is not the lead's.
            fixtures::tagging("TGR_3", "TAG_N", EntityType::Contact, &ids[3]),
        ],
    )
    .await;
    fixtures::insert(
        &app.db,
        vec![
            ev(
                "EVT_1",
                &ids[0],
                EventType::FormSubmit,
                1.0,
                Some(json!({"sceneId": "SCN_A"})),
                Some(json!({"utm_source": "baidu"})),
            ),
            ev("EVT_2", &ids[0], EventType::PageView, 2.0, None, None),
            ev("EVT_3", &ids[0], EventType::PageView, 3.0, None, None),
            ev("EVT_4", &ids[1], EventType::PageView, 40.0, None, None),
            ev(
                "EVT_5",
                &ids[2],
                EventType::FormSubmit,
                5.0,
                Some(json!({"sceneId": "SCN_B"})),
                Some(json!({"utm_source": "wechat"})),
            ),
            // A PAGE_VIEW naming a scene does not make it the lead's scene.
            ev("EVT_6", &ids[3], EventType::PageView, 1.0, Some(json!({"sceneId": "SCN_A"})), None),
        ],
    )
    .await;

    let cases: Vec<(Value, &[usize])> = vec![
        (json!({"field": "lead.province", "eq": "广东省"}), &[1, 2]),
        (json!({"field": "lead.province", "ne": "广东省"}), &[3]),
        (json!({"field": "lead.city", "in": ["深圳市", "广州市"]}), &[1, 2]),
        (json!({"field": "lead.city", "not_in": ["深圳市"]}), &[2]),
        (json!({"field": "lead.customFields.message", "contains": "报价"}), &[1]),
        (json!({"field": "lead.city", "starts_with": "广"}), &[2]),
        (json!({"field": "lead.leadScore", "gt": 40}), &[1, 4]),
        (json!({"field": "lead.leadScore", "gte": 40}), &[1, 2, 4]),
        (json!({"field": "lead.leadScore", "lt": 40}), &[3]),
        (json!({"field": "lead.leadScore", "lte": 40}), &[2, 3]),
        (json!({"field": "lead.leadScore", "between": [40, 80]}), &[1, 2]),
        (json!({"field": "lead.city", "exists": true}), &[1, 2]),
        (json!({"field": "lead.city", "exists": false}), &[3, 4]),
        (json!({"field": "lead.lastContactedAt", "within_days": 7}), &[1]),
        (json!({"field": "lead.lastContactedAt", "lt": (now() - Duration::days(7)).to_rfc3339()}), &[2]),
        (json!({"field": "lead.city", "matches": "^(深圳|广州)市$"}), &[1, 2]),
        (json!({"field": "lead.city", "matches": "圳"}), &[1]),
        (json!({"all": [{"field": "lead.province", "eq": "广东省"}, {"field": "lead.leadScore", "gte": 50}]}), &[1]),
        (json!({"any": [{"field": "lead.city", "eq": "深圳市"}, {"field": "lead.leadScore", "eq": 0}]}), &[1, 3]),
        (json!({"not": {"field": "lead.city", "eq": "深圳市"}}), &[2, 3, 4]),
        (json!({"not": {"field": "lead.city", "ne": "深圳市"}}), &[1, 3, 4]),
        (json!({"field": "tags", "contains": "高意向"}), &[1]),
        (json!({"field": "tags", "exists": false}), &[2, 4]),
        (json!({"field": "tags", "not_in": ["高意向"]}), &[2, 3, 4]),
        (json!({"field": "scene", "contains": "SCN_A"}), &[1]),
        (json!({"field": "scene", "in": ["SCN_A", "SCN_B"]}), &[1, 3]),
        (json!({"field": "utm.source", "in": ["baidu"]}), &[1]),
        (json!({"field": "utm.source", "exists": true}), &[1, 3]),
        (json!({"events": {"type": "FORM_SUBMIT", "withinDays": 30}, "gte": 1}), &[1, 3]),
        (json!({"events": {"type": "PAGE_VIEW", "withinDays": 7}, "eq": 2}), &[1]),
        (json!({"events": {"type": "PAGE_VIEW", "withinDays": 60}, "gte": 1}), &[1, 2, 4]),
        (json!({"events": {"type": "PAGE_VIEW", "withinDays": 60}, "eq": 0}), &[3]),
        (json!({"field": "channel.channelType", "eq": "WECHAT"}), &[1]),
        (json!({"field": "channel.channelType", "ne": "WECHAT"}), &[2]),
        (json!({"field": "contact.jobTitle", "eq": "CTO"}), &[1]),
        (json!({"field": "account.accountName", "exists": true}), &[2]),
        (json!({"field": "account.accountName", "exists": false}), &[1, 3, 4]),
        (json!({"field": "lead.customFields.budget", "eq": 5000}), &[1]),
        (json!({"field": "lead.customFields.budget", "eq": "5000"}), &[2]),
        (json!({"field": "lead.customFields.budget", "gt": 100}), &[1, 4]),
        (json!({"field": "lead.customFields.budget", "ne": 5000}), &[4]),
        (json!({"field": "lead.customFields.vip", "eq": true}), &[1]),
        (json!({"field": "lead.customFields.budget", "exists": true}), &[1, 2, 4]),
        (json!({"field": "lead.mobilePhone", "exists": true}), &[1]),
        (json!({"field": "lead.isQualified", "eq": true}), &[4]),
        (json!({"field": "lead.isQualified", "ne": true}), &[1, 2, 3]),
    ];
    for (json, expected) in cases {
        let rule = Rule::parse("rule", &json).unwrap_or_else(|e| panic!("{json}: {e}"));
        let expected: Vec<String> = expected.iter().map(|i| format!("LEAD_{i:06}")).collect();
        let (sql, mem) = both(&db, &rule, &ids).await;
        assert_eq!(sql, expected, "SQL evaluator on {json}");
        assert_eq!(mem, expected, "in-memory evaluator on {json}");
    }
}

/// Value pools shared by the random leads and the random rules, so rules hit and miss.
const PROVINCES: [&str; 3] = ["广东省", "北京市", "浙江省"];
const CITIES: [&str; 4] = ["深圳市", "广州市", "北京市", "杭州市"];
const MESSAGES: [&str; 4] = ["想要报价", "随便看看", "报价单", "price?"];
const TAGS: [&str; 3] = ["高意向", "普通", "VIP"];
const SCENES: [&str; 2] = ["SCN_A", "SCN_B"];
const SOURCES: [&str; 3] = ["baidu", "wechat", "douyin"];

fn pick<'a>(rng: &mut ChaCha8Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

fn maybe<T>(rng: &mut ChaCha8Rng, v: impl FnOnce(&mut ChaCha8Rng) -> T) -> Option<T> {
    if rng.random_bool(0.7) { Some(v(rng)) } else { None }
}

fn random_json_value(rng: &mut ChaCha8Rng) -> Value {
    match rng.random_range(0..5) {
        0 => json!(rng.random_range(0..10) * 100),
        1 => json!(rng.random_range(0..10) as f64 * 100.0 + 0.5),
        2 => json!(pick(rng, &MESSAGES)),
        3 => json!(rng.random_bool(0.5)),
        _ => Value::Null,
    }
}

fn random_lead(rng: &mut ChaCha8Rng, i: usize) -> lead::Model {
    let mut l = fixtures::lead(i);
    l.province = maybe(rng, |r| pick(r, &PROVINCES).to_string());
    l.city = maybe(rng, |r| pick(r, &CITIES).to_string());
    l.lead_score = rng.random_range(0..=100);
    l.is_qualified = rng.random_bool(0.3);
    l.channel_id = maybe(rng, |r| pick(r, &["CH_W", "CH_S"]).to_string());
    l.converted_contact_id = rng.random_bool(0.4).then(|| pick(rng, &["CNT_1", "CNT_2"]).to_string());
    l.converted_account_id = rng.random_bool(0.3).then(|| "ACC_1".to_string());
    l.last_contacted_at = maybe(rng, |r| now() - Duration::hours(r.random_range(0..24 * 60)));
    l.created_at = now() - Duration::hours(rng.random_range(0..24 * 90));
    if rng.random_bool(0.8) {
        let mut cf = serde_json::Map::new();
        for key in ["budget", "message"] {
            if rng.random_bool(0.7) {
                cf.insert(key.into(), random_json_value(rng));
            }
        }
        if rng.random_bool(0.5) {
            cf.insert("a".into(), json!({ "b": random_json_value(rng) }));
        }
        l.custom_fields = Some(Value::Object(cf));
    }
    if rng.random_bool(0.5) {
        l.mobile_phone = Some(format!("1380013{:04}", i));
    }
    l
}

/// A random test on the operands the random leads vary.
fn random_test(rng: &mut ChaCha8Rng) -> Value {
    match rng.random_range(0..22) {
        0 => json!({"field": "lead.province", "eq": pick(rng, &PROVINCES)}),
        1 => json!({"field": "lead.province", "ne": pick(rng, &PROVINCES)}),
        2 => json!({"field": "lead.city", "in": [pick(rng, &CITIES), pick(rng, &CITIES)]}),
        3 => json!({"field": "lead.city", "not_in": [pick(rng, &CITIES)]}),
        4 => {
            json!({"field": "lead.city", pick(rng, &["contains", "starts_with"]): pick(rng, &["深", "广州", "市", "杭"])})
        }
        5 => json!({"field": "lead.city", "matches": pick(rng, &["^广", "州市$", "(深|杭)", "^.{3}$", "北京?市"])}),
        6 => {
            let op = pick(rng, &["gt", "gte", "lt", "lte", "eq", "ne"]);
            json!({"field": "lead.leadScore", op: rng.random_range(0..=100)})
        }
        7 => {
            let a = rng.random_range(0..=100);
            json!({"field": "lead.leadScore", "between": [a, a + rng.random_range(0..40)]})
        }
        8 => {
            json!({"field": pick(rng, &["lead.city", "lead.province", "lead.lastContactedAt", "lead.mobilePhone", "contact.jobTitle", "account.accountName", "channel.channelType"]), "exists": rng.random_bool(0.5)})
        }
        9 => {
            json!({"field": pick(rng, &["lead.lastContactedAt", "lead.createdAt"]), "within_days": rng.random_range(1..60)})
        }
        10 => {
            let t = now() - Duration::hours(rng.random_range(0..24 * 60));
            json!({"field": "lead.lastContactedAt", pick(rng, &["gt", "gte", "lt", "lte"]): t.to_rfc3339()})
        }
        11 => json!({"field": "lead.isQualified", pick(rng, &["eq", "ne"]): rng.random_bool(0.5)}),
        12 => {
            let path = pick(rng, &["lead.customFields.budget", "lead.customFields.message", "lead.customFields.a.b"]);
            match rng.random_range(0..6) {
                0 => {
                    json!({"field": path, "eq": random_json_value(rng).as_str().map(Value::from).unwrap_or(json!(500))})
                }
                1 => json!({"field": path, pick(rng, &["gt", "lte", "ne"]): rng.random_range(0..10) * 100}),
                2 => json!({"field": path, "contains": "报价"}),
                3 => json!({"field": path, "eq": rng.random_bool(0.5)}),
                4 => json!({"field": path, "in": [pick(rng, &MESSAGES), pick(rng, &MESSAGES)]}),
                _ => json!({"field": path, "exists": rng.random_bool(0.5)}),
            }
        }
        13 => json!({"field": "tags", "contains": pick(rng, &TAGS)}),
        14 => json!({"field": "tags", pick(rng, &["in", "not_in"]): [pick(rng, &TAGS), pick(rng, &TAGS)]}),
        15 => json!({"field": pick(rng, &["tags", "scene", "utm.source"]), "exists": rng.random_bool(0.5)}),
        16 => json!({"field": "scene", pick(rng, &["in", "not_in"]): [pick(rng, &SCENES)]}),
        17 => json!({"field": "utm.source", "contains": pick(rng, &SOURCES)}),
        18 => {
            let op = pick(rng, &["gt", "gte", "lt", "lte", "eq", "ne"]);
            let ty = pick(rng, &["FORM_SUBMIT", "PAGE_VIEW"]);
            json!({"events": {"type": ty, "withinDays": rng.random_range(1..45)}, op: rng.random_range(0..4)})
        }
        19 => json!({"field": "channel.channelType", pick(rng, &["eq", "ne"]): pick(rng, &["WECHAT", "WEBSITE"])}),
        20 => json!({"field": "contact.jobTitle", pick(rng, &["eq", "ne"]): pick(rng, &["CTO", "CEO"])}),
        _ => json!({"field": "account.accountName", "starts_with": "客户"}),
    }
}

fn random_rule(rng: &mut ChaCha8Rng, depth: usize) -> Value {
    if depth >= 3 || rng.random_bool(0.4) {
        return random_test(rng);
    }
    match rng.random_range(0..3) {
        0 => json!({"all": (0..rng.random_range(1..4)).map(|_| random_rule(rng, depth + 1)).collect::<Vec<_>>()}),
        1 => json!({"any": (0..rng.random_range(1..4)).map(|_| random_rule(rng, depth + 1)).collect::<Vec<_>>()}),
        _ => json!({"not": random_rule(rng, depth + 1)}),
    }
}

#[tokio::test]
async fn random_rules_over_random_stored_leads_select_the_same_leads_in_memory_and_in_sql() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    fixtures::insert(
        &app.db,
        vec![fixtures::channel("CH_W", ChannelType::Wechat), fixtures::channel("CH_S", ChannelType::Website)],
    )
    .await;
    fixtures::insert(&app.db, vec![fixtures::account("ACC_1", "客户一")]).await;
    let mut c1 = fixtures::contact("CNT_1", "张三", None);
    c1.job_title = Some("CTO".into());
    fixtures::insert(&app.db, vec![c1, fixtures::contact("CNT_2", "李四", None)]).await;
    fixtures::insert(
        &app.db,
        vec![fixtures::tag("TAG_0", TAGS[0]), fixtures::tag("TAG_1", TAGS[1]), fixtures::tag("TAG_2", TAGS[2])],
    )
    .await;
    let n = 60;
    let leads: Vec<lead::Model> = (1..=n).map(|i| random_lead(&mut rng, i)).collect();
    let ids: Vec<String> = leads.iter().map(|l| l.lead_id.clone()).collect();
    fixtures::insert_sealed(&app.db, &app.pii(), leads).await;
    let (mut taggings, mut events) = (Vec::new(), Vec::new());
    for id in &ids {
        for t in 0..TAGS.len() {
            if rng.random_bool(0.3) {
                taggings.push(fixtures::tagging(&format!("TGR_{id}_{t}"), &format!("TAG_{t}"), EntityType::Lead, id));
            }
        }
        for e in 0..rng.random_range(0..4) {
            let ty = if rng.random_bool(0.5) { EventType::FormSubmit } else { EventType::PageView };
            let props = rng.random_bool(0.7).then(|| json!({"sceneId": pick(&mut rng, &SCENES)}));
            let utm = rng.random_bool(0.5).then(|| json!({"utm_source": pick(&mut rng, &SOURCES)}));
            let days = rng.random_range(0..24 * 50) as f64 / 24.0;
            events.push(ev(&format!("EVT_{id}_{e}"), id, ty, days, props, utm));
        }
    }
    fixtures::insert(&app.db, taggings).await;
    fixtures::insert(&app.db, events).await;

    let facts = cdp360::services::rules::facts(&db, &ids).await.unwrap();
    assert_eq!(facts.len(), n);
    let (mut some, mut none, mut all) = (0, 0, 0);
    for round in 0..300 {
        let json = random_rule(&mut rng, 0);
        let rule = Rule::parse("rule", &json).unwrap_or_else(|e| panic!("rule {round} {json}: {e}"));
        let sql: BTreeSet<String> =
            cdp360::services::rules::matching(&db, &rule, now()).await.unwrap().into_iter().collect();
        let mem: BTreeSet<String> =
            facts.iter().filter(|(_, f)| rule.eval(f, now())).map(|(id, _)| id.clone()).collect();
        assert_eq!(sql, mem, "rule {round}: {json}");
        match sql.len() {
            0 => none += 1,
            k if k == n => all += 1,
            _ => some += 1,
        }
    }
    // The property is only as good as its rules: most must split the leads.
    assert!(some > 150, "only {some} of 300 rules split the leads ({none} selected none, {all} all)");
}

#[tokio::test]
async fn a_scene_with_an_invalid_routing_rule_is_refused_naming_the_path_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    fixtures::insert(&app.db, vec![fixtures::channel("CH_FORM", ChannelType::Website)]).await;
    fixtures::insert(&app.db, vec![fixtures::tag("TAG_H", "高意向")]).await;
    fixtures::insert(&app.db, vec![fixtures::user("USER_1")]).await;
    let base = json!({
        "sceneName": "官网表单",
        "sceneType": "WEB_FORM",
        "isEnabled": true,
        "defaultChannelId": "CH_FORM",
        "deduplicationStrategy": "BY_PHONE",
    });
    let with = |key: &str, rules: Value| {
        let mut input = base.clone();
        input[key] = rules;
        json!({ "input": input })
    };
    let south = json!({"field": "lead.province", "eq": "广东省"});
    let cases = [
        (
            "assignmentRules",
            json!([
                {"name": "south", "when": south, "strategy": {"type": "ROUND_ROBIN", "users": ["USER_1"]}},
                {"name": "hot", "when": {"all": [{"field": "lead.city", "gte": 3}]}, "strategy": {"type": "RANDOM", "users": ["USER_1"]}}
            ]),
            "assignmentRules[1].when.all[0].gte",
        ),
        (
            "assignmentRules",
            json!([{"name": "south", "when": {"field": "lead.region", "eq": "south"}, "strategy": {"type": "RANDOM", "users": ["USER_1"]}}]),
            "assignmentRules[0].when.field",
        ),
        (
            "assignmentRules",
            json!([{"name": "south", "when": south, "strategy": {"type": "WEIGHTED", "weights": [{"user": "USER_1", "weight": 3}, {"user": "USER_NOPE", "weight": 1}]}}]),
            "assignmentRules[0].strategy.weights[1].user",
        ),
        (
            "assignmentRules",
            json!([{"name": "south", "when": south, "strategy": {"type": "BY_REGION", "regions": [{"province": "广东省", "teams": ["TEAM_NOPE"]}]}}]),
            "assignmentRules[0].strategy.regions[0].teams[0]",
        ),
        (
            "autoTaggingRules",
            json!([{"name": "报价", "when": {"field": "lead.customFields.message", "contains": "报价"}, "tags": ["TAG_H", "TAG_NOPE"]}]),
            "autoTaggingRules[0].tags[1]",
        ),
        (
            "autoTaggingRules",
            json!([{"name": "phone", "when": {"field": "lead.mobilePhone", "eq": "13800138000"}, "tags": ["TAG_H"]}]),
            "autoTaggingRules[0].when.eq",
        ),
    ];
    let before = snapshot(&app, &[], |_, _| {}).await;
    for (key, rules, path) in cases {
        let body = app.gql(CREATE_SCENE, with(key, rules.clone())).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{rules}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(path), "{message} should name {path}");
        assert!(!message.contains("13800138000"), "a message never repeats a value: {message}");
    }
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);

    // The same scene with valid rules is stored.
    let valid = with(
        "assignmentRules",
        json!([{"name": "south", "when": south, "strategy": {"type": "BY_REGION", "regions": [{"province": "广东省", "users": ["USER_1"]}]}}]),
    );
    let mut input = valid["input"].clone();
    input["autoTaggingRules"] = json!([{"name": "报价", "when": {"field": "lead.customFields.message", "contains": "报价"}, "tags": ["TAG_H"]}]);
    let data = app.data(CREATE_SCENE, json!({ "input": input })).await;
    assert!(data["createAcquisitionScene"]["id"].is_string());
}

#[test]
fn the_json_schema_and_the_readme_examples_follow_the_parser() {
    let root = env!("CARGO_MANIFEST_DIR");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/docs/rules.schema.json")).unwrap()).unwrap();
    let listed: Vec<&str> = schema["$defs"]["operators"].as_object().unwrap().keys().map(String::as_str).collect();
    let mut known = cdp360::domain::rules::OPERATORS.to_vec();
    known.sort_unstable();
    let mut listed = listed;
    listed.sort_unstable();
    assert_eq!(listed, known, "docs/rules.schema.json lists every operator the parser knows");
    let strategies: Vec<String> = schema["$defs"]["strategy"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            let ty = &s["properties"]["type"];
            ty["enum"].as_array().cloned().unwrap_or_else(|| vec![ty["const"].clone()])
        })
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(strategies.len(), cdp360::domain::routing::STRATEGIES.len());
    assert!(cdp360::domain::routing::STRATEGIES.iter().all(|s| strategies.iter().any(|x| x == s)));

    // Every JSON example of the README's "Routing rules" section parses.
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let section = readme.split("### Routing rules").nth(1).unwrap().split("\n## ").next().unwrap();
    let blocks: Vec<&str> = section.split("```json\n").skip(1).map(|b| b.split("```").next().unwrap()).collect();
    assert_eq!(blocks.len(), 3);
    for block in blocks {
        let v: Value = serde_json::from_str(block).unwrap();
        if let Some(rules) = v.get("assignmentRules") {
            cdp360::domain::routing::AssignmentRules::parse("assignmentRules", rules).unwrap();
        } else if let Some(rules) = v.get("autoTaggingRules") {
            cdp360::domain::routing::TaggingRules::parse("autoTaggingRules", rules).unwrap();
        } else {
            Rule::parse("when", &v).unwrap();
        }
    }
}
