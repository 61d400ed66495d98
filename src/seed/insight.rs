//! Tags on accounts/contacts/leads, segments with their members, and score records with history.
//! Rule-based tags and dynamic segment membership follow from the generated attributes, so what
//! the rules say and who is tagged/member agree.

use chrono::{DateTime, Utc};
use entity::enums::*;
use entity::*;
use rand::Rng;
use rand::seq::IndexedRandom;
use serde_json::json;

use super::catalog::{REGIONS, TAGS, region_of, tag_index};
use super::clock::{DAY, HOUR, between, days, prefix_id};
use super::crm::grade;
use super::world::World;

/// One entity to tag: kind, id, creation time, rule tags, owner, applicable-tag letter.
struct Taggable<'a> {
    kind: EntityType,
    id: &'a str,
    created: DateTime<Utc>,
    rules: Vec<(&'static str, TagSource)>,
    owner: Option<&'a str>,
    letter: char,
    manual: usize,
}

pub fn tags(w: &mut World, rng: &mut impl Rng) {
    let mut items = Vec::new();
    for a in &w.accounts {
        items.push(Taggable {
            kind: EntityType::Account,
            id: &a.account_id,
            created: a.created_at,
            rules: account_rules(a),
            owner: a.owner_user_id.as_deref(),
            letter: 'A',
            manual: rng.random_range(0..=2),
        });
    }
    for c in &w.contacts {
        let mut rules = Vec::new();
        if c.is_decision_maker {
            rules.push(("决策者", TagSource::Rule));
        }
        if matches!(c.department.as_deref(), Some("技术部" | "信息中心" | "研发中心" | "数据部")) {
            rules.push(("技术背景", TagSource::Rule));
        }
        let (id, created, owner) = (&c.contact_id, c.created_at, c.owner_user_id.as_deref());
        items.push(Taggable {
            kind: EntityType::Contact,
            id,
            created,
            rules,
            owner,
            letter: 'C',
            manual: rng.random_range(0..=2),
        });
    }
    for l in &w.leads {
        let mut rules = Vec::new();
        if l.lead_score >= 80 && l.lead_status != LeadStatus::Disqualified {
            rules.push(("高潜商机", TagSource::Rule));
        }
        if l.lead_status == LeadStatus::Contacted {
            rules.push(("待回访", TagSource::Rule));
        }
        let (id, created, owner) = (&l.lead_id, l.created_at, l.owner_user_id.as_deref());
        let manual = usize::from(rng.random_bool(0.4));
        items.push(Taggable { kind: EntityType::Lead, id, created, rules, owner, letter: 'L', manual });
    }
    let mut rows = Vec::new();
    for item in items {
        tag_one(w, rng, item, &mut rows);
    }
    w.tag_relations = rows;
}

/// Tags the system (size, region) and the tagging rules (value, relationship) put on an account.
fn account_rules(a: &account::Model) -> Vec<(&'static str, TagSource)> {
    let mut rules = Vec::new();
    match a.employee_count.unwrap_or(0) {
        1000.. => rules.push(("大型企业", TagSource::System)),
        ..300 => rules.push(("中小企业", TagSource::System)),
        _ => {}
    }
    match a.province.as_deref().map(|p| REGIONS[region_of(p)].1) {
        Some("华东") => rules.push(("华东区域", TagSource::System)),
        Some("华南") => rules.push(("华南区域", TagSource::System)),
        _ => {}
    }
    if a.account_level == Some(AccountLevel::Strategic) {
        rules.push(("重点客户", TagSource::Rule));
    }
    match (a.account_type, a.account_status) {
        (AccountType::Customer, AccountStatus::Dormant) => rules.push(("续约风险", TagSource::Rule)),
        (AccountType::Customer, _) => rules.push(("已签约", TagSource::Rule)),
        (AccountType::Partner, _) => rules.push(("渠道客户", TagSource::Rule)),
        _ => {}
    }
    rules
}

fn tag_one(w: &World, rng: &mut impl Rng, item: Taggable, rows: &mut Vec<tag_relation::Model>) {
    let applicable: Vec<usize> = (0..TAGS.len()).filter(|&t| TAGS[t].3.contains(item.letter)).collect();
    let mut chosen: Vec<(usize, TagSource)> =
        item.rules.iter().map(|&(name, source)| (tag_index(name), source)).collect();
    for &t in applicable.choose_multiple(rng, item.manual) {
        if !chosen.iter().any(|c| c.0 == t) {
            chosen.push((t, if rng.random_bool(0.2) { TagSource::Import } else { TagSource::Manual }));
        }
    }
    for (t, source) in chosen {
        let at = between(rng, item.created, w.clock.anchor());
        let auto = matches!(source, TagSource::Rule | TagSource::System);
        let by = match (auto, item.owner) {
            (true, _) => None,
            (false, Some(owner)) => Some(owner.to_owned()),
            (false, None) => Some(w.marketer(rng)),
        };
        rows.push(tag_relation::Model {
            relation_id: prefix_id("TGR", at, rng),
            tag_id: w.tags[t].tag_id.clone(),
            entity_type: item.kind,
            entity_id: item.id.to_owned(),
            tagged_at: at,
            tagged_by_user_id: by,
            is_auto_tagged: auto,
            tag_source: source,
            rule_name: None,
            trace: None,
        });
    }
}

/// A segment: name, type, target, dynamic?, rule (as stored) and membership test.
struct SegmentDef {
    name: &'static str,
    ty: SegmentType,
    target: EntityType,
    dynamic: bool,
    rule: serde_json::Value,
    member: fn(&World, usize) -> bool,
}

fn cond(field: &str, op: &str, value: serde_json::Value) -> serde_json::Value {
    json!({ "operator": "AND", "conditions": [{ "field": field, "op": op, "value": value }] })
}

fn segment_defs() -> Vec<SegmentDef> {
    let east = REGIONS[1].2;
    vec![
        SegmentDef {
            name: "战略客户",
            ty: SegmentType::Firmographic,
            target: EntityType::Account,
            dynamic: true,
            rule: cond("account_level", "eq", json!("STRATEGIC")),
            member: |w, i| w.accounts[i].account_level == Some(AccountLevel::Strategic),
        },
        SegmentDef {
            name: "华东地区企业",
            ty: SegmentType::Firmographic,
            target: EntityType::Account,
            dynamic: true,
            rule: cond("province", "in", json!(east)),
            member: |w, i| w.accounts[i].province.as_deref().is_some_and(|p| REGIONS[1].2.contains(&p)),
        },
        SegmentDef {
            name: "高价值客户（年营收≥5亿）",
            ty: SegmentType::Value,
            target: EntityType::Account,
            dynamic: true,
            rule: cond("annual_revenue", "gte", json!(50000)),
            member: |w, i| w.accounts[i].annual_revenue.is_some_and(|r| r >= rust_decimal::Decimal::from(50_000)),
        },
        SegmentDef {
            name: "流失预警客户",
            ty: SegmentType::Lifecycle,
            target: EntityType::Account,
            dynamic: true,
            rule: cond("account_status", "in", json!(["DORMANT", "CHURNED"])),
            member: |w, i| matches!(w.accounts[i].account_status, AccountStatus::Dormant | AccountStatus::Churned),
        },
        SegmentDef {
            name: "决策层联系人",
            ty: SegmentType::Firmographic,
            target: EntityType::Contact,
            dynamic: true,
            rule: cond("is_decision_maker", "eq", json!(true)),
            member: |w, i| w.contacts[i].is_decision_maker,
        },
        SegmentDef {
            name: "已验证的活跃联系人",
            ty: SegmentType::Behavioral,
            target: EntityType::Contact,
            dynamic: true,
            rule: json!({ "operator": "AND", "conditions": [
                { "field": "is_verified", "op": "eq", "value": true },
                { "field": "contact_status", "op": "eq", "value": "ACTIVE" }] }),
            member: |w, i| w.contacts[i].is_verified && w.contacts[i].contact_status == ContactStatus::Active,
        },
        SegmentDef {
            name: "高分线索",
            ty: SegmentType::Behavioral,
            target: EntityType::Lead,
            dynamic: true,
            rule: cond("lead_score", "gte", json!(80)),
            member: |w, i| w.leads[i].lead_score >= 80,
        },
        SegmentDef {
            name: "待跟进新线索",
            ty: SegmentType::Lifecycle,
            target: EntityType::Lead,
            dynamic: true,
            rule: cond("lead_status", "eq", json!("NEW")),
            member: |w, i| w.leads[i].lead_status == LeadStatus::New,
        },
        SegmentDef {
            name: "信息技术行业线索",
            ty: SegmentType::Firmographic,
            target: EntityType::Lead,
            dynamic: true,
            rule: cond("industry_code", "in", json!(["I63", "I64", "I65"])),
            member: |w, i| {
                let it: Vec<Option<&String>> = ["I63", "I64", "I65"].iter().map(|c| w.industry_ids.get(c)).collect();
                w.leads[i].industry_id.as_ref().is_some_and(|id| it.contains(&Some(id)))
            },
        },
        SegmentDef {
            name: "2026 数字化增长峰会邀约名单",
            ty: SegmentType::Custom,
            target: EntityType::Contact,
            dynamic: false,
            rule: json!({ "source": "manual_list", "uploaded_by": "市场部" }),
            // Static list: a fixed 1-in-20 sample.
            member: |w, i| w.contacts[i].contact_id.as_bytes().last().is_some_and(|b| b % 20 == 0),
        },
    ]
}

fn entity_info(w: &World, kind: EntityType, i: usize) -> (&str, DateTime<Utc>) {
    match kind {
        EntityType::Account => (&w.accounts[i].account_id, w.accounts[i].created_at),
        EntityType::Contact => (&w.contacts[i].contact_id, w.contacts[i].created_at),
        _ => (&w.leads[i].lead_id, w.leads[i].created_at),
    }
}

pub fn segments(w: &mut World, rng: &mut impl Rng) {
    let calculated = w.clock.anchor() - chrono::Duration::seconds(HOUR);
    let mut segments = Vec::new();
    let mut members = Vec::new();
    for def in segment_defs() {
        let created = between(rng, w.clock.start(), w.clock.start() + days(90));
        let segment_id = prefix_id("SEG", created, rng);
        let total = match def.target {
            EntityType::Account => w.accounts.len(),
            EntityType::Contact => w.contacts.len(),
            _ => w.leads.len(),
        };
        let mut active = 0;
        for i in 0..total {
            let is_member = (def.member)(w, i);
            // Dynamic segments also remember a few entities that matched once and left.
            let former = !is_member && def.dynamic && rng.random_bool(0.03);
            if !is_member && !former {
                continue;
            }
            let (id, entity_created) = entity_info(w, def.target, i);
            let joined = between(rng, entity_created.max(created), calculated);
            let left = former.then(|| between(rng, joined, calculated));
            active += usize::from(is_member);
            members.push(segment_member::Model {
                member_id: prefix_id("SGM", joined, rng),
                segment_id: segment_id.clone(),
                entity_type: def.target,
                entity_id: id.to_owned(),
                joined_at: joined,
                left_at: left,
                is_active: is_member,
            });
        }
        segments.push(segment::Model {
            segment_id,
            segment_name: def.name.into(),
            segment_type: def.ty,
            description: Some(format!("{}（{}）", def.name, if def.dynamic { "按规则每小时刷新" } else { "静态名单" })),
            segment_rules: Some(def.rule),
            target_entity_type: def.target,
            member_count: Some(active as i32),
            is_dynamic: def.dynamic,
            last_calculated_at: Some(calculated),
            created_by_user_id: Some(w.marketer(rng)),
            created_at: created,
            updated_at: calculated,
        });
    }
    w.segments = segments;
    w.segment_members = members;
}

/// One score record per (model, entity) and its history, the last point being the current score.
pub fn scores(w: &mut World, rng: &mut impl Rng) {
    let [lead_model, account_model, contact_model] = [0, 1, 2].map(|i| w.score_models[i].model_id.clone());
    let mut records = Vec::new();
    let mut history = Vec::new();
    for l in &w.leads {
        let score = l.lead_score;
        let profile = rng.random_range(0..=score);
        let details = json!({ "profile": profile, "behavior": score - profile });
        let initial = (score - rng.random_range(0..=30)).max(0);
        let points = if l.updated_at > l.created_at {
            vec![(l.created_at, initial), (l.updated_at, score)]
        } else {
            vec![(l.created_at, score)]
        };
        record(rng, &mut records, &mut history, (&lead_model, EntityType::Lead, &l.lead_id), score, details, &points);
    }
    for a in &w.accounts {
        let score = match a.account_status {
            AccountStatus::Active => rng.random_range(55..=95),
            AccountStatus::Dormant => rng.random_range(25..=55),
            AccountStatus::Churned => rng.random_range(5..=30),
            AccountStatus::Blacklist => rng.random_range(0..=20),
        };
        let points = drift(rng, w.clock.anchor(), a.created_at, score, 3);
        let details = json!({ "activity": score * 40 / 100, "engagement": score * 25 / 100, "pipeline": score * 20 / 100, "win_rate": score - score * 85 / 100 });
        record(
            rng,
            &mut records,
            &mut history,
            (&account_model, EntityType::Account, &a.account_id),
            score,
            details,
            &points,
        );
    }
    for c in &w.contacts {
        let score = if c.contact_status == ContactStatus::Active {
            rng.random_range(20..=90)
        } else {
            rng.random_range(0..=40)
        };
        let points = drift(rng, w.clock.anchor(), c.created_at, score, 2);
        let details = json!({ "email": score * 3 / 10, "web": score * 3 / 10, "content": score / 4, "campaign": score - score * 85 / 100 });
        record(
            rng,
            &mut records,
            &mut history,
            (&contact_model, EntityType::Contact, &c.contact_id),
            score,
            details,
            &points,
        );
    }
    w.score_records = records;
    w.score_history = history;
}

/// Monthly points wandering towards the current `score`, none before `created`.
fn drift(
    rng: &mut impl Rng,
    anchor: DateTime<Utc>,
    created: DateTime<Utc>,
    score: i32,
    months: i64,
) -> Vec<(DateTime<Utc>, i32)> {
    let now = anchor - chrono::Duration::seconds(DAY);
    let mut points: Vec<(DateTime<Utc>, i32)> = (1..=months)
        .rev()
        .map(|m| now - days(30 * m))
        .filter(|t| *t > created)
        .map(|t| (t, (score + rng.random_range(-12..=12)).clamp(0, 100)))
        .collect();
    points.push((now.max(created), score));
    points
}

fn record(
    rng: &mut impl Rng,
    records: &mut Vec<score_record::Model>,
    history: &mut Vec<score_history::Model>,
    (model_id, kind, entity_id): (&str, EntityType, &str),
    score: i32,
    details: serde_json::Value,
    points: &[(DateTime<Utc>, i32)],
) {
    let at = points.last().expect("a score has at least its current point").0;
    records.push(score_record::Model {
        record_id: prefix_id("SR", at, rng),
        model_id: model_id.to_owned(),
        entity_type: kind,
        entity_id: entity_id.to_owned(),
        score,
        grade: Some(grade(score)),
        score_details: Some(details),
        calculated_at: at,
        updated_at: at,
    });
    for &(recorded, value) in points {
        history.push(score_history::Model {
            history_id: prefix_id("SH", recorded, rng),
            entity_type: kind,
            entity_id: entity_id.to_owned(),
            model_id: model_id.to_owned(),
            score: value,
            recorded_at: recorded,
        });
    }
}
