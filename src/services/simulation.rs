//! `simulateRouting` (issue 16, part 5): replays a candidate rule set over the leads created in a
//! past window, writing nothing, and sets what the rules would have done next to what happened.
//!
//! The replay uses the routing code itself (`assignment::plan`, `autotag::decide`), so it shows
//! what switching the rules on would do, within these limits, all stated in the answer's docs:
//! - each lead is evaluated at its arrival (`created_at`), on the events it had by then, its
//!   current fields and related records, and its current manual tags; candidate auto-tagging rules
//!   replace its current auto-tags (without them, its current tags are used);
//! - the leads are taken oldest first; users' quotas and loads start from today's, and each
//!   ROUND_ROBIN rotation from its start (a new rule's cursor);
//! - WEIGHTED and RANDOM draw at random, as they would live;
//! - "actual" is each lead's first owner in its assignment log, else its owner now, else the pool.
//!
//! Read-only: plain reads on the pool, no transaction, no cursor advanced.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use entity::tag;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use crate::catalog::Catalogued;
use crate::domain::routing::{AssignmentRules, Member, TaggingRules, Target};
use crate::error::{AppError, AppResult};
use crate::repo;
use crate::services::assignment::{self, Clock, Rotation, Routed};
use crate::services::autotag;
use crate::services::read::{self, Access};
use crate::services::write::{Actor, Refs};

/// The most leads one simulation replays.
pub const MAX_LEADS: usize = 5_000;
/// The longest window.
pub const MAX_WINDOW_DAYS: i64 = 366;
/// The rule-list key of the candidate rules (its ROUND_ROBIN rotations are the simulation's own).
const KEY: &str = "simulation";

/// Where leads went: a user, a team's queue, or (both `None`) the public pool.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Owner {
    pub user_id: Option<String>,
    pub team_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetCount {
    pub target: Owner,
    pub simulated: u64,
    pub actual: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleCount {
    pub rule: String,
    pub fired: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Simulation {
    /// Leads replayed.
    pub leads: u64,
    /// Per target, sorted by user, then team (the pool first).
    pub targets: Vec<TargetCount>,
    /// How many leads each assignment rule routed, in the rules' order.
    pub assignment_rules: Vec<RuleCount>,
    /// How many leads each auto-tagging rule held for, in the rules' order.
    pub auto_tagging_rules: Vec<RuleCount>,
}

fn of_member(m: &Member) -> Owner {
    match m {
        Member::User(u) => Owner { user_id: Some(u.clone()), team_id: None },
        Member::Team(t) => Owner { user_id: None, team_id: Some(t.clone()) },
    }
}

/// Replays `rules` (assignment rules, as a scene's `assignmentRules`) and optionally
/// `tagging` (auto-tagging rules) over the leads created in `[from, to)`.
pub async fn simulate(
    db: &DatabaseConnection,
    actor: &Actor,
    rules: &Value,
    tagging: Option<&Value>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Simulation> {
    if from >= to {
        return Err(AppError::bad_input("to: must be after from"));
    }
    if to - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(AppError::bad_input(format!("to: the window is at most {MAX_WINDOW_DAYS} days")));
    }
    let parsed = AssignmentRules::parse("rules", rules)?;
    let tagging = match tagging {
        Some(t) => Some(TaggingRules::parse("autoTaggingRules", t)?),
        None => None,
    };
    let mut refs = Refs::default();
    let tag_refs = tagging.as_ref().map(|t| t.references("autoTaggingRules")).unwrap_or_default();
    for (path, target, id) in parsed.references().into_iter().chain(tag_refs) {
        match target {
            Target::Tag => refs.to::<tag::Entity>(path, Some(&id)),
            Target::User => refs.to::<entity::app_user::Entity>(path, Some(&id)),
            Target::Team => refs.to::<entity::team::Entity>(path, Some(&id)),
        }
    }
    refs.check(db, &actor.access).await?;

    let leads = repo::assignment::created_between(db, from, to, MAX_LEADS as u64 + 1).await?;
    if leads.len() > MAX_LEADS {
        return Err(AppError::bad_input(format!("from: the window holds more than {MAX_LEADS} leads; narrow it")));
    }
    let ids: Vec<String> = leads.iter().map(|l| l.lead_id.clone()).collect();
    let mut facts = crate::services::rules::facts(db, &ids).await?;
    // As of each lead's arrival: the events it had by then.
    for l in &leads {
        if let Some(f) = facts.get_mut(&l.lead_id) {
            f.events.retain(|e| e.at <= l.created_at);
        }
    }

    // Candidate auto-tags replace the current ones, before assignment (as routing does).
    let mut tag_fired: Vec<u64> = vec![0; tagging.as_ref().map_or(0, |t| t.0.len())];
    if let Some(tagging) = &tagging {
        let mut tag_ids: Vec<String> = tagging.0.iter().flat_map(|r| r.tags.iter().cloned()).collect();
        tag_ids.sort_unstable();
        tag_ids.dedup();
        let table = <tag::Entity as Catalogued>::TABLE;
        let names: HashMap<String, String> =
            read::find_by::<tag::Model>(db, &Access::unrestricted(), table, table.pk, &tag_ids)
                .await?
                .into_iter()
                .map(|(id, t)| (id, t.tag_name))
                .collect();
        for l in &leads {
            let Some(f) = facts.get_mut(&l.lead_id) else { continue };
            let decided = autotag::decide(tagging.0.iter(), f, l.created_at);
            for (n, fired) in tag_fired.iter_mut().zip(&decided.fired) {
                *n += u64::from(*fired);
            }
            let auto = std::mem::take(&mut f.auto_tags);
            f.tags.retain(|t| !auto.contains(t));
            for (tag_id, _, _) in decided.tags {
                if let Some(name) = names.get(&tag_id)
                    && !f.tags.contains(name)
                {
                    f.tags.push(name.clone());
                    f.auto_tags.push(name.clone());
                }
            }
        }
    }

    let routed = Routed {
        leads: leads.iter().map(|l| (KEY, l)).collect(),
        rules: HashMap::from([(KEY, parsed.clone())]),
        lost_by: HashMap::new(),
    };
    let decisions = assignment::plan(db, &routed, &facts, Rotation::FromStart, Clock::Arrival).await?;

    let mut counts: BTreeMap<Owner, (u64, u64)> = BTreeMap::new();
    let mut rule_fired: Vec<u64> = vec![0; parsed.0.len()];
    let pool = Owner { user_id: None, team_id: None };
    let mut routed_ids = std::collections::HashSet::new();
    for d in &decisions {
        counts.entry(of_member(&d.to)).or_default().0 += 1;
        rule_fired[d.rule] += 1;
        routed_ids.insert(d.lead.lead_id.as_str());
    }
    let unrouted = leads.iter().filter(|l| !routed_ids.contains(l.lead_id.as_str())).count() as u64;
    if unrouted > 0 {
        counts.entry(pool.clone()).or_default().0 += unrouted;
    }

    let first: HashMap<String, Owner> = repo::assignment::first_owners(db, &ids)
        .await?
        .into_iter()
        .map(|(lead, user_id, team_id)| (lead, Owner { user_id, team_id }))
        .collect();
    for l in &leads {
        let actual = first.get(&l.lead_id).cloned().unwrap_or_else(|| Owner {
            user_id: l.owner_user_id.clone(),
            team_id: if l.owner_user_id.is_some() { None } else { l.owner_team_id.clone() },
        });
        counts.entry(actual).or_default().1 += 1;
    }

    Ok(Simulation {
        leads: leads.len() as u64,
        targets: counts
            .into_iter()
            .map(|(target, (simulated, actual))| TargetCount { target, simulated, actual })
            .collect(),
        assignment_rules: parsed
            .0
            .iter()
            .zip(rule_fired)
            .map(|(r, fired)| RuleCount { rule: r.name.clone(), fired })
            .collect(),
        auto_tagging_rules: tagging
            .map(|t| t.0.iter().zip(tag_fired).map(|(r, fired)| RuleCount { rule: r.name.clone(), fired }).collect())
            .unwrap_or_default(),
    })
}
