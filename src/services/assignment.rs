//! Assignment by a scene's rules (issue 16, part 3; README "Routing rules", ARCHITECTURE.md
//! "Routing rules"): the leads of an ingestion round, and leads arriving again after their lease
//! expired (the protection rule), are given to an owner by the first of the scene's
//! `assignment_rules` whose condition holds and whose strategy finds a target.
//!
//! Set-based, inside the caller's transaction: a scene without rules costs no statement; otherwise
//! the round reads the leads' facts (`services::rules::facts`), the candidates' status, quota and
//! open leads in one statement, the team queues in one (least-loaded rules only), advances each
//! ROUND_ROBIN rule's cursor once, and writes one UPDATE for all the moves (none for an ingestion
//! round's new leads, whose `INSERT` carries their owners: [`decide_new`]), one multi-row log
//! insert, and the events.
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
use crate::domain::rules::{LeadFacts, Source};
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

fn member_json(m: &Member) -> Value {
    match m {
        Member::User(u) => json!({"userId": u}),
        Member::Team(t) => json!({"teamId": t}),
    }
}

/// Picks the member for the lead: `position` is its place in the ROUND_ROBIN rotation; `lost_by`
/// (the owner whose lease just expired) is passed over.
fn pick(
    rule: &AssignmentRule,
    members: &[Member],
    cap: &Capacity,
    position: i64,
    lost_by: Option<&str>,
) -> Option<Member> {
    let usable = |m: &Member| cap.available(m) && !matches!((m, lost_by), (Member::User(u), Some(x)) if u == x);
    let open: Vec<&Member> = members.iter().filter(|m| usable(m)).collect();
    if open.is_empty() {
        return None;
    }
    let least_loaded = || open.iter().min_by_key(|m| cap.load(m)).map(|m| (*m).clone());
    match &rule.strategy {
        // The rotation over all members, skipping the unavailable ones.
        Strategy::RoundRobin(_) => {
            let n = members.len() as i64;
            (0..n).map(|k| &members[((position + k).rem_euclid(n)) as usize]).find(|m| usable(m)).cloned()
        }
        Strategy::Random(_) => Some(open[rand::rng().random_range(0..open.len())].clone()),
        Strategy::Weighted(weights) => {
            let weighted: Vec<(&Member, u32)> =
                weights.iter().filter(|(m, _)| usable(m)).map(|(m, w)| (m, *w)).collect();
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
pub async fn assign_new(
    w: &Write<'_>,
    leads: &NewLeads<'_>,
    facts: &HashMap<String, LeadFacts>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let decided = decide(w, leads, facts, now, HashMap::new()).await?;
    assign_with(w, decided, now, Created::InThisTransaction).await
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
    if pooled.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = pooled.iter().map(|(_, l)| l.lead_id.clone()).collect();
    let facts = crate::services::rules::facts(&**w, &ids).await?;
    let now = Utc::now();
    assign_with(w, decide(w, &pooled, &facts, now, HashMap::new()).await?, now, Created::Before).await
}

/// Whether the scene has assignment rules.
pub fn has_rules(scene: &acquisition_scene::Model) -> bool {
    scene.assignment_rules.as_ref().is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()))
}

/// Whether a condition of the scene's assignment rules reads a column of `source`.
pub fn reads(scene: &acquisition_scene::Model, source: Source) -> AppResult<bool> {
    Ok(has_rules(scene) && rules_of(scene)?.reads(source))
}

fn rules_of(scene: &acquisition_scene::Model) -> AppResult<AssignmentRules> {
    let json = scene.assignment_rules.clone().unwrap_or(Value::Null);
    AssignmentRules::parse("assignmentRules", &json)
        .map_err(|e| AppError::internal(format!("scene {}: stored assignment rules do not parse: {e}", scene.scene_id)))
}

/// A set of leads to route: each with the key of its rule list (a scene id, or the simulation's).
pub struct Routed<'a> {
    pub leads: Vec<(&'a str, &'a lead::Model)>,
    pub rules: HashMap<&'a str, AssignmentRules>,
    /// Lead id → the user who just lost it (the sweeper's re-assignment passes them over).
    pub lost_by: HashMap<String, String>,
}

/// The time rules are evaluated at: now (routing as leads arrive) or each lead's arrival (a
/// replay of the past, `services::simulation`).
#[derive(Clone, Copy)]
pub enum Clock {
    Now(DateTime<Utc>),
    Arrival,
}

impl Clock {
    fn at(self, lead: &lead::Model) -> DateTime<Utc> {
        match self {
            Clock::Now(t) => t,
            Clock::Arrival => lead.created_at,
        }
    }
}

/// Where each rule list's ROUND_ROBIN rotation starts: the persistent cursors (advanced by the
/// leads the rule takes) or, for a simulation, the start.
pub enum Rotation<'p> {
    /// Advanced on `apart` when given — a statement of its own, committed at once — else in the
    /// caller's transaction ([`cursors_of`]).
    Cursors {
        apart: Option<&'p sea_orm::DatabaseConnection>,
    },
    FromStart,
}

/// The cursors of a round in `w`. On PostgreSQL a cursor is advanced apart from the round: the
/// upsert locks the cursor's row until its transaction ends, so advanced inside the round it held
/// every other round of the rule (both ingestion workers, every replica) until the round
/// committed — M4R's two workers wrote one at a time, 319 ms of waiting per round in a debug run.
/// Apart, concurrent rounds still take disjoint ranges; a round that rolls back leaves its range
/// spent (the rotation skips those positions once). The advance commits without waiting for its
/// WAL flush (`repo::assignment::advance_cursor_apart`: the round's own commit flushes it). SQLite
/// has one writer, which the round's transaction holds: there the cursor advances inside it.
fn cursors_of<'p>(w: &'p Write<'_>) -> Rotation<'p> {
    match sea_orm::ConnectionTrait::get_database_backend(&**w) {
        sea_orm::DbBackend::Postgres => Rotation::Cursors { apart: Some(&w.store().db) },
        _ => Rotation::Cursors { apart: None },
    }
}

/// One lead's routing decision.
pub struct Decision<'a> {
    pub key: &'a str,
    pub lead: &'a lead::Model,
    pub rule: usize,
    pub to: Member,
    pub trace: Value,
}

/// Decides the owner of each lead (read-only but for the ROUND_ROBIN cursors under
/// [`Rotation::Cursors`]): the first rule whose condition holds and whose strategy finds an
/// available member; leads no rule takes are left out (the fallback: the public pool).
pub async fn plan<'a>(
    db: &impl sea_orm::ConnectionTrait,
    routed: &'a Routed<'a>,
    facts: &HashMap<String, LeadFacts>,
    rotation: Rotation<'_>,
    clock: Clock,
) -> AppResult<Vec<Decision<'a>>> {
    let empty = LeadFacts::default();
    let (leads, rules) = (&routed.leads, &routed.rules);

    // 1. The rule each lead goes to (the first whose condition holds and whose strategy takes it).
    let mut chosen: Vec<Option<(usize, Vec<Member>, Value)>> = Vec::with_capacity(leads.len());
    for (key, l) in leads {
        let f = facts.get(&l.lead_id).unwrap_or(&empty);
        let now = clock.at(l);
        let found = rules[key].0.iter().enumerate().find_map(|(i, r)| {
            if !r.when.eval(f, now) {
                return None;
            }
            offered(r, l, f, now).map(|m| (i, m, r.when.trace(f, now)))
        });
        chosen.push(found);
    }

    // 2. The candidates: status, quota and load in one statement; the teams' queues in one, only
    // for the rules that weigh load (a queue's size is a count over all its open leads: read each
    // round for ROUND_ROBIN teams, it grew with the queue and made a long intake quadratic).
    let mut users = BTreeSet::new();
    let mut teams = BTreeSet::new();
    for ((key, _), (i, members, _)) in leads.iter().zip(&chosen).filter_map(|(l, c)| c.as_ref().map(|c| (l, c))) {
        let weighs_load = matches!(rules[key].0[*i].strategy, Strategy::ByRegion(_) | Strategy::ByLoad(_));
        for m in members {
            match m {
                Member::User(u) => {
                    users.insert(u.clone());
                }
                Member::Team(t) if weighs_load => {
                    teams.insert(t.clone());
                }
                Member::Team(_) => {}
            }
        }
    }
    let users: Vec<String> = users.into_iter().collect();
    let teams: Vec<String> = teams.into_iter().collect();
    let mut cap = Capacity { room: HashMap::new(), load: HashMap::new() };
    for c in repo::assignment::candidates(db, &users).await? {
        if c.user_status == UserStatus::Active.as_str() {
            cap.room.insert(c.user_id.clone(), i64::from(c.claim_quota.max(0)) - c.open_leads);
        }
        cap.load.insert(Member::User(c.user_id), c.open_leads);
    }
    for (t, n) in repo::assignment::team_queues(db, &teams).await? {
        cap.load.insert(Member::Team(t), n);
    }

    // 3. Each ROUND_ROBIN rule's cursor advances once by the leads it takes this round.
    let mut rr_count: HashMap<(&str, usize), i64> = HashMap::new();
    for ((key, _), c) in leads.iter().zip(&chosen) {
        if let Some((i, _, _)) = c
            && matches!(rules[key].0[*i].strategy, Strategy::RoundRobin(_))
        {
            *rr_count.entry((*key, *i)).or_insert(0) += 1;
        }
    }
    let mut rr_next: HashMap<(&str, usize), i64> = HashMap::new();
    let mut keys: Vec<_> = rr_count.iter().collect();
    keys.sort();
    for (&(key, i), &n) in keys {
        let start = match rotation {
            Rotation::Cursors { apart } => {
                let rule_key = format!("{key}/{}", rules[key].0[i].name);
                match apart {
                    Some(pool) => repo::assignment::advance_cursor_apart(pool, &rule_key, n).await?,
                    None => repo::assignment::advance_cursor(db, &rule_key, n).await?,
                }
            }
            Rotation::FromStart => 0,
        };
        rr_next.insert((key, i), start);
    }

    // 4. Decide, in the given order, updating capacity and load as leads are given.
    let mut decisions = Vec::new();
    for ((key, l), c) in leads.iter().zip(chosen) {
        let Some((i, members, cond)) = c else { continue };
        let rule = &rules[key].0[i];
        let position = match rr_next.get_mut(&(*key, i)) {
            Some(p) => {
                *p += 1;
                *p - 1
            }
            None => 0,
        };
        let lost_by = routed.lost_by.get(&l.lead_id).map(String::as_str);
        let Some(to) = pick(rule, &members, &cap, position, lost_by) else { continue };
        cap.take(&to);
        let trace = json!({
            "scene": key,
            "rule": rule.name,
            "ruleIndex": i,
            "strategy": strategy_name(&rule.strategy),
            "condition": cond,
            "offered": members.iter().map(member_json).collect::<Vec<_>>(),
            "to": member_json(&to),
        });
        decisions.push(Decision { key, lead: l, rule: i, to, trace });
    }
    Ok(decisions)
}

/// Re-assigns leads the sweeper just returned to the public pool (`CDP_LEASE_REASSIGN_EXPIRED`),
/// in its transaction, by the assignment rules of the scene that created each lead, passing over
/// the owner who lost it: `(lead id, the user who lost it)`. Leads of scenes without rules stay in
/// the pool.
pub async fn assign_returned(
    w: &Write<'_>,
    returned: &[(String, Option<String>)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let ids: Vec<String> = returned.iter().map(|(id, _)| id.clone()).collect();
    let scene_of: HashMap<String, String> = repo::leases::scenes_of(&**w, &ids).await?.into_iter().collect();
    if scene_of.is_empty() {
        return Ok(());
    }
    let scene_ids: Vec<String> = scene_of.values().cloned().collect::<BTreeSet<_>>().into_iter().collect();
    let scene_table = <acquisition_scene::Entity as Catalogued>::TABLE;
    let scenes: HashMap<String, acquisition_scene::Model> =
        read::find_by(&**w, &Access::unrestricted(), scene_table, scene_table.pk, &scene_ids)
            .await?
            .into_iter()
            .collect();
    let with_rules: Vec<String> =
        ids.iter().filter(|id| scene_of.get(*id).and_then(|s| scenes.get(s)).is_some_and(has_rules)).cloned().collect();
    if with_rules.is_empty() {
        return Ok(());
    }
    let found: HashMap<String, lead::Model> =
        read::find_by(&**w, &Access::unrestricted(), LEAD, LEAD.pk, &with_rules).await?.into_iter().collect();
    let pairs: Vec<(&acquisition_scene::Model, &lead::Model)> = with_rules
        .iter()
        .filter_map(|id| Some((scenes.get(scene_of.get(id)?)?, found.get(id)?)))
        .filter(|(_, l)| l.owner_user_id.is_none() && l.owner_team_id.is_none())
        .collect();
    let lost_by: HashMap<String, String> =
        returned.iter().filter_map(|(id, by)| Some((id.clone(), by.clone()?))).collect();
    let facts = crate::services::rules::facts(&**w, &with_rules).await?;
    assign_with(w, decide(w, &pairs, &facts, now, lost_by).await?, now, Created::Before).await
}

/// Whether the leads being assigned were created in the assigning transaction: then their
/// `LEAD_CREATED` event already announces them as committed, owner included, and a
/// `LEAD_UPDATED` per lead would only double the round's outbox rows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Created {
    InThisTransaction,
    Before,
}

/// Gives stored leads the owners [`decide`] chose, then records the moves made.
async fn assign_with(w: &Write<'_>, decided: Assignments, now: DateTime<Utc>, created: Created) -> AppResult<()> {
    if decided.0.is_empty() {
        return Ok(());
    }
    // One UPDATE for all the moves, then the log and the events.
    let moved: BTreeSet<String> = repo::assignment::give(&**w, &decided.gifts(), now).await?.into_iter().collect();
    decided.record(w, |id| moved.contains(id), created).await
}

/// The owners decided for some leads, each with its log row: what [`Assignments::record`] writes
/// and announces once the moves are made.
pub struct Assignments(Vec<Given>);

struct Given {
    user: Option<String>,
    team: Option<String>,
    channel_id: Option<String>,
    log: lead_assignment_log::Model,
}

impl Assignments {
    /// Each lead's new owner, lease end included.
    pub fn gifts(&self) -> Vec<repo::assignment::Gift<'_>> {
        self.0
            .iter()
            .map(|g| repo::assignment::Gift {
                lead_id: &g.log.lead_id,
                user: g.user.as_deref(),
                team: g.team.as_deref(),
                until: g.log.lease_until,
            })
            .collect()
    }

    /// Logs the moves that were made (`moved`) in one insert and announces them: `LEAD_ASSIGNED`
    /// for a user, and `LEAD_UPDATED` for a lead created before this transaction.
    async fn record(self, w: &Write<'_>, moved: impl Fn(&str) -> bool, created: Created) -> AppResult<()> {
        let mut log = Vec::with_capacity(self.0.len());
        for g in self.0 {
            if !moved(&g.log.lead_id) {
                continue;
            }
            if let Some(owner_user_id) = g.user {
                w.emit(DomainEvent::LeadAssigned {
                    lead_id: g.log.lead_id.clone(),
                    channel_id: g.channel_id.clone(),
                    owner_user_id,
                });
            }
            if created == Created::Before {
                w.emit(DomainEvent::LeadUpdated { lead_id: g.log.lead_id.clone(), channel_id: g.channel_id });
            }
            log.push(g.log);
        }
        repo::bulk::insert_all(&**w, log).await?;
        Ok(())
    }
}

/// Decides the owners of leads not written yet (an ingestion round's, before their `INSERT`,
/// which then carries the owners: no UPDATE follows). Advances the ROUND_ROBIN cursors.
pub async fn decide_new(
    w: &Write<'_>,
    leads: &NewLeads<'_>,
    facts: &HashMap<String, LeadFacts>,
    now: DateTime<Utc>,
) -> AppResult<Assignments> {
    decide(w, leads, facts, now, HashMap::new()).await
}

/// Logs and announces what [`decide_new`] decided, once the leads are written with their owners.
pub async fn record_new(w: &Write<'_>, decided: Assignments) -> AppResult<()> {
    decided.record(w, |_| true, Created::InThisTransaction).await
}

/// Each lead's owner by its scene's rules, with the lease its gift sets and its log row.
async fn decide(
    w: &Write<'_>,
    leads: &NewLeads<'_>,
    facts: &HashMap<String, LeadFacts>,
    now: DateTime<Utc>,
    lost_by: HashMap<String, String>,
) -> AppResult<Assignments> {
    let leads: Vec<(&acquisition_scene::Model, &lead::Model)> =
        leads.iter().copied().filter(|(s, _)| has_rules(s)).collect();
    if leads.is_empty() {
        return Ok(Assignments(Vec::new()));
    }
    let mut routed = Routed { leads: Vec::with_capacity(leads.len()), rules: HashMap::new(), lost_by };
    let mut scenes: HashMap<&str, &acquisition_scene::Model> = HashMap::new();
    for (s, l) in &leads {
        if !routed.rules.contains_key(s.scene_id.as_str()) {
            routed.rules.insert(s.scene_id.as_str(), rules_of(s)?);
            scenes.insert(s.scene_id.as_str(), s);
        }
        routed.leads.push((s.scene_id.as_str(), l));
    }
    let decisions = plan(&**w, &routed, facts, cursors_of(w), Clock::Now(now)).await?;
    let rules = &routed.rules;
    let default_length = w.store().leases().default_length;
    let mut given = Vec::with_capacity(decisions.len());
    for d in decisions {
        let (user, team, until) = match d.to {
            Member::User(u) => {
                let hours = scenes.get(d.key).map(|s| s.protection_period_hours);
                (Some(u), None, Some(now + lease::lease_length(hours, default_length)))
            }
            Member::Team(t) => (None, Some(t), None),
        };
        let rule = &rules[d.key].0[d.rule];
        let strategy = strategy_name(&rule.strategy);
        let log = lead_assignment_log::Model {
            log_id: new_id(LOG_PREFIX),
            lead_id: d.lead.lead_id.clone(),
            kind: AssignmentKind::Assigned,
            from_user_id: None,
            to_user_id: user.clone(),
            to_team_id: team.clone(),
            assigned_at: now,
            lease_until: until,
            actor_user_id: None,
            rule_id: Some(rule.name.chars().take(RULE_ID_CHARS).collect()),
            strategy: Some(strategy.to_string()),
            reason: Some(format!("assignment rule {} ({strategy}) of scene {}", d.rule + 1, d.key)),
            trace: Some(d.trace),
        };
        given.push(Given { user, team, channel_id: d.lead.channel_id.clone(), log });
    }
    Ok(Assignments(given))
}
