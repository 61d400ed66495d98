//! Assignment by a scene's rules (issue 16, part 3; README "Routing rules", ARCHITECTURE.md
//! "Routing rules"): the leads of an ingestion round, and leads arriving again after their lease
//! expired (the protection rule), are given to an owner by the first of the scene's
//! `assignment_rules` whose condition holds and whose strategy finds a target.
//!
//! Set-based, inside the caller's transaction: a scene without rules costs no statement; otherwise
//! the round reads the leads' facts (`services::rules::facts`), the candidates' status, quota and
//! open leads in one statement, the team queues in one, advances each ROUND_ROBIN rule's cursor
//! once, and writes one UPDATE per (owner, scene), one multi-row log insert, and the events.
//!
//! Only ACTIVE users below their claim quota receive leads (the quota counts the leads the round
//! already gave them). A lead no rule takes — or whose rule finds every member unavailable — is the
//! fallback: it stays in the public pool, where anyone may claim it.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entity::enums::{AssignmentKind, UserStatus};
use entity::{acquisition_scene, lead, lead_assignment_log};
use rand::Rng;
use serde_json::{Value, json};

use crate::catalog::Catalogued;
use crate::domain::lease;
use crate::domain::routing::{AssignmentRule, AssignmentRules, Member, Strategy};
use crate::domain::rules::LeadFacts;
use crate::error::{AppError, AppResult};
use crate::pubsub::DomainEvent;
use crate::repo;
use crate::services::read::{self, Access};
use crate::services::routing::NewLeads;
use crate::services::tx::Write;
use crate::services::write::new_id;

const LOG_PREFIX: &str = <lead_assignment_log::Entity as Catalogued>::FACTS.prefix;
const LEAD: crate::catalog::Table = <lead::Entity as Catalogued>::TABLE;
/// `lead_assignment_log.rule_id` holds 64 characters of the rule's name.
const RULE_ID_CHARS: usize = 64;

/// The strategy's name, as the log records it.
pub fn strategy_name(s: &Strategy) -> &'static str {
    match s {
        Strategy::RoundRobin(_) => "ROUND_ROBIN",
        Strategy::Random(_) => "RANDOM",
        Strategy::Weighted(_) => "WEIGHTED",
        Strategy::ByRegion(_) => "BY_REGION",
        Strategy::ByLoad(_) => "BY_LOAD",
        Strategy::ByAttribute(_) => "BY_ATTRIBUTE",
    }
}

/// The members a rule's strategy offers this lead, or `None` when the strategy does not take it
/// (no region or route matches): the next rule is tried.
fn offered(rule: &AssignmentRule, lead: &lead::Model, facts: &LeadFacts, now: DateTime<Utc>) -> Option<Vec<Member>> {
    match &rule.strategy {
        Strategy::RoundRobin(m) | Strategy::Random(m) | Strategy::ByLoad(m) => Some(m.clone()),
        Strategy::Weighted(w) => Some(w.iter().map(|(m, _)| m.clone()).collect()),
        Strategy::ByRegion(regions) => regions
            .iter()
            .find(|r| {
                lead.province.as_deref() == Some(r.province.as_str())
                    && r.city.as_ref().is_none_or(|c| lead.city.as_deref() == Some(c.as_str()))
            })
            .map(|r| r.to.clone()),
        Strategy::ByAttribute(routes) => {
            routes.iter().find(|(cond, _)| cond.eval(facts, now)).map(|(_, team)| vec![Member::Team(team.clone())])
        }
    }
}

/// Who may still receive leads this round, and how loaded everyone is.
struct Capacity {
    /// Users: ACTIVE and with quota left → leads they may still take.
    room: HashMap<String, i64>,
    /// Open leads owned (users) or waiting in the queue (teams).
    load: HashMap<Member, i64>,
}

impl Capacity {
    fn available(&self, m: &Member) -> bool {
        match m {
            Member::Team(_) => true,
            Member::User(u) => self.room.get(u).is_some_and(|n| *n > 0),
        }
    }

    fn load(&self, m: &Member) -> i64 {
        self.load.get(m).copied().unwrap_or(0)
    }

    fn take(&mut self, m: &Member) {
        if let Member::User(u) = m
            && let Some(n) = self.room.get_mut(u)
        {
            *n -= 1;
        }
        *self.load.entry(m.clone()).or_insert(0) += 1;
    }
}

/// One lead's routing decision.
struct Decision<'a> {
    scene: &'a acquisition_scene::Model,
    lead: &'a lead::Model,
    rule: usize,
    to: Member,
    trace: Value,
}

fn member_json(m: &Member) -> Value {
    match m {
        Member::User(u) => json!({"userId": u}),
        Member::Team(t) => json!({"teamId": t}),
    }
}

/// Picks the member for the lead: `position` is its place in the ROUND_ROBIN rotation.
fn pick(rule: &AssignmentRule, members: &[Member], cap: &Capacity, position: i64) -> Option<Member> {
    let open: Vec<&Member> = members.iter().filter(|m| cap.available(m)).collect();
    if open.is_empty() {
        return None;
    }
    let least_loaded = || open.iter().min_by_key(|m| cap.load(m)).map(|m| (*m).clone());
    match &rule.strategy {
        // The rotation over all members, skipping the unavailable ones.
        Strategy::RoundRobin(_) => {
            let n = members.len() as i64;
            (0..n).map(|k| &members[((position + k).rem_euclid(n)) as usize]).find(|m| cap.available(m)).cloned()
        }
        Strategy::Random(_) => Some(open[rand::rng().random_range(0..open.len())].clone()),
        Strategy::Weighted(weights) => {
            let weighted: Vec<(&Member, u32)> =
                weights.iter().filter(|(m, _)| cap.available(m)).map(|(m, w)| (m, *w)).collect();
            let total: u32 = weighted.iter().map(|(_, w)| w).sum();
            let mut r = rand::rng().random_range(0..total);
            weighted
                .iter()
                .find(|(_, w)| {
                    if r < *w {
                        true
                    } else {
                        r -= w;
                        false
                    }
                })
                .map(|(m, _)| (*m).clone())
        }
        Strategy::ByRegion(_) | Strategy::ByLoad(_) => least_loaded(),
        Strategy::ByAttribute(_) => open.first().map(|m| (*m).clone()),
    }
}

/// Routes a round's new leads by their scenes' assignment rules (called by
/// `services::routing::route_new_leads`, after auto-tagging, so rules see the new tags).
pub async fn assign_new(w: &Write<'_>, leads: &NewLeads<'_>) -> AppResult<()> {
    assign(w, leads, Utc::now()).await
}

/// The protection rule for leads submitted again (`lead_id`, through `scene`): one still owned
/// (under its protection period) or waiting in a team's queue keeps it, with no new assignment;
/// one in the public pool (its lease expired, or never assigned) is assigned afresh by the scene's
/// rules.
pub async fn assign_duplicates(w: &Write<'_>, arrivals: &[(&acquisition_scene::Model, String)]) -> AppResult<()> {
    let with_rules: Vec<&(&acquisition_scene::Model, String)> = arrivals.iter().filter(|(s, _)| has_rules(s)).collect();
    if with_rules.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = with_rules.iter().map(|(_, id)| id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let found: HashMap<String, lead::Model> =
        read::find_by(&**w, &Access::unrestricted(), LEAD, LEAD.pk, &ids).await?.into_iter().collect();
    let mut seen = BTreeSet::new();
    let pooled: Vec<(&acquisition_scene::Model, &lead::Model)> = with_rules
        .iter()
        .filter_map(|(s, id)| found.get(id).map(|l| (*s, l)))
        .filter(|(_, l)| l.owner_user_id.is_none() && l.owner_team_id.is_none() && lease::is_open(l.lead_status))
        .filter(|(_, l)| seen.insert(l.lead_id.clone()))
        .collect();
    assign(w, &pooled, Utc::now()).await
}

fn has_rules(scene: &acquisition_scene::Model) -> bool {
    scene.assignment_rules.as_ref().is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()))
}

fn rules_of(scene: &acquisition_scene::Model) -> AppResult<AssignmentRules> {
    let json = scene.assignment_rules.clone().unwrap_or(Value::Null);
    AssignmentRules::parse("assignmentRules", &json)
        .map_err(|e| AppError::internal(format!("scene {}: stored assignment rules do not parse: {e}", scene.scene_id)))
}

async fn assign(w: &Write<'_>, leads: &NewLeads<'_>, now: DateTime<Utc>) -> AppResult<()> {
    let leads: Vec<(&acquisition_scene::Model, &lead::Model)> =
        leads.iter().copied().filter(|(s, _)| has_rules(s)).collect();
    if leads.is_empty() {
        return Ok(());
    }
    let mut rules: HashMap<&str, AssignmentRules> = HashMap::new();
    for (s, _) in &leads {
        if !rules.contains_key(s.scene_id.as_str()) {
            rules.insert(s.scene_id.as_str(), rules_of(s)?);
        }
    }
    let ids: Vec<String> = leads.iter().map(|(_, l)| l.lead_id.clone()).collect();
    let facts = crate::services::rules::facts(&**w, &ids).await?;
    let empty = LeadFacts::default();

    // 1. The rule each lead goes to (the first whose condition holds and whose strategy takes it).
    let mut chosen: Vec<Option<(usize, Vec<Member>, Value)>> = Vec::with_capacity(leads.len());
    for (s, l) in &leads {
        let f = facts.get(&l.lead_id).unwrap_or(&empty);
        let found = rules[s.scene_id.as_str()].0.iter().enumerate().find_map(|(i, r)| {
            if !r.when.eval(f, now) {
                return None;
            }
            offered(r, l, f, now).map(|m| (i, m, r.when.trace(f, now)))
        });
        chosen.push(found);
    }

    // 2. The candidates: status, quota and load in one statement; the teams' queues in one.
    let mut users = BTreeSet::new();
    let mut teams = BTreeSet::new();
    for (_, members, _) in chosen.iter().flatten() {
        for m in members {
            match m {
                Member::User(u) => users.insert(u.clone()),
                Member::Team(t) => teams.insert(t.clone()),
            };
        }
    }
    let users: Vec<String> = users.into_iter().collect();
    let teams: Vec<String> = teams.into_iter().collect();
    let mut cap = Capacity { room: HashMap::new(), load: HashMap::new() };
    for c in repo::assignment::candidates(&**w, &users).await? {
        if c.user_status == UserStatus::Active.as_str() {
            cap.room.insert(c.user_id.clone(), i64::from(c.claim_quota.max(0)) - c.open_leads);
        }
        cap.load.insert(Member::User(c.user_id), c.open_leads);
    }
    for (t, n) in repo::assignment::team_queues(&**w, &teams).await? {
        cap.load.insert(Member::Team(t), n);
    }

    // 3. Each ROUND_ROBIN rule's cursor advances once by the leads it takes this round.
    let mut rr_count: HashMap<(&str, usize), i64> = HashMap::new();
    for ((s, _), c) in leads.iter().zip(&chosen) {
        if let Some((i, _, _)) = c
            && matches!(rules[s.scene_id.as_str()].0[*i].strategy, Strategy::RoundRobin(_))
        {
            *rr_count.entry((s.scene_id.as_str(), *i)).or_insert(0) += 1;
        }
    }
    let mut rr_next: HashMap<(&str, usize), i64> = HashMap::new();
    let mut keys: Vec<_> = rr_count.iter().collect();
    keys.sort();
    for (&(scene, i), &n) in keys {
        let key = format!("{scene}/{}", rules[scene].0[i].name);
        rr_next.insert((scene, i), repo::assignment::advance_cursor(&**w, &key, n).await?);
    }

    // 4. Decide, in the round's order, updating capacity and load as leads are given.
    let mut decisions = Vec::new();
    for ((s, l), c) in leads.iter().zip(chosen) {
        let Some((i, members, cond)) = c else { continue };
        let rule = &rules[s.scene_id.as_str()].0[i];
        let position = match rr_next.get_mut(&(s.scene_id.as_str(), i)) {
            Some(p) => {
                *p += 1;
                *p - 1
            }
            None => 0,
        };
        let Some(to) = pick(rule, &members, &cap, position) else { continue };
        cap.take(&to);
        let trace = json!({
            "scene": s.scene_id,
            "rule": rule.name,
            "ruleIndex": i,
            "strategy": strategy_name(&rule.strategy),
            "condition": cond,
            "offered": members.iter().map(member_json).collect::<Vec<_>>(),
            "to": member_json(&to),
        });
        decisions.push(Decision { scene: s, lead: l, rule: i, to, trace });
    }
    if decisions.is_empty() {
        return Ok(());
    }

    // 5. One UPDATE per (owner, scene), then the log and the events.
    let default_length = w.store().leases().default_length;
    let mut groups: HashMap<(&Member, &str), Vec<String>> = HashMap::new();
    for d in &decisions {
        groups.entry((&d.to, d.scene.scene_id.as_str())).or_default().push(d.lead.lead_id.clone());
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort();
    let mut moved: HashMap<String, Option<DateTime<Utc>>> = HashMap::new();
    for ((to, scene), ids) in groups {
        let hours = decisions.iter().find(|d| d.scene.scene_id == scene).map(|d| d.scene.protection_period_hours);
        let (user, team, until) = match to {
            Member::User(u) => (Some(u.as_str()), None, Some(now + lease::lease_length(hours, default_length))),
            Member::Team(t) => (None, Some(t.as_str()), None),
        };
        for id in repo::assignment::give(&**w, &ids, user, team, until, now).await? {
            moved.insert(id, until);
        }
    }
    let mut log = Vec::with_capacity(decisions.len());
    for d in decisions {
        let Some(until) = moved.get(&d.lead.lead_id) else { continue };
        let rule = &rules[d.scene.scene_id.as_str()].0[d.rule];
        let strategy = strategy_name(&rule.strategy);
        let (to_user, to_team) = match &d.to {
            Member::User(u) => (Some(u.clone()), None),
            Member::Team(t) => (None, Some(t.clone())),
        };
        log.push(lead_assignment_log::Model {
            log_id: new_id(LOG_PREFIX),
            lead_id: d.lead.lead_id.clone(),
            kind: AssignmentKind::Assigned,
            from_user_id: None,
            to_user_id: to_user.clone(),
            to_team_id: to_team,
            assigned_at: now,
            lease_until: *until,
            actor_user_id: None,
            rule_id: Some(rule.name.chars().take(RULE_ID_CHARS).collect()),
            strategy: Some(strategy.to_string()),
            reason: Some(format!("assignment rule {} ({strategy}) of scene {}", d.rule + 1, d.scene.scene_id)),
            trace: Some(d.trace),
        });
        let channel_id = d.lead.channel_id.clone();
        if let Some(owner_user_id) = to_user {
            w.emit(DomainEvent::LeadAssigned {
                lead_id: d.lead.lead_id.clone(),
                channel_id: channel_id.clone(),
                owner_user_id,
            });
        }
        w.emit(DomainEvent::LeadUpdated { lead_id: d.lead.lead_id.clone(), channel_id });
    }
    repo::bulk::insert_all(&**w, log).await?;
    Ok(())
}
