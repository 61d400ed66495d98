//! Routing a round of newly ingested leads (issue 16): auto-tagging, then assignment, inside the
//! ingestion round's transaction, so an accepted lead is never committed untagged or unrouted.
//! Set-based: one call per round with all its new leads (a round is up to `CDP_INGESTION_BATCH`
//! leads; per-lead statements would multiply the round's cost). The leads' facts are built once
//! and shared: assignment sees the tags auto-tagging just applied. An ingestion round routes its
//! new leads before writing them ([`decide_new_leads`]): their facts come from the round's own
//! models and events, and their `INSERT` carries the owners.

use chrono::{DateTime, Utc};
use entity::{acquisition_scene, event, lead};

use crate::domain::rules::Source;
use crate::error::AppResult;
use crate::repo::assignment::Gift;
use crate::services::assignment::Assignments;
use crate::services::autotag::{self, Rules};
use crate::services::tx::Write;

/// The round's new leads with the scene each arrived through, in the round's order.
pub type NewLeads<'a> = [(&'a acquisition_scene::Model, &'a lead::Model)];

/// Applies the routing rules to a round's new leads, already written: the global and the scenes'
/// auto-tagging rules, then the scenes' assignment rules (reading the leads' facts back). Costs
/// one statement (the global rules) when no rule applies.
pub async fn route_new_leads(w: &Write<'_>, leads: &NewLeads<'_>) -> AppResult<()> {
    let arrivals: Vec<(&acquisition_scene::Model, &str)> =
        leads.iter().map(|(s, l)| (*s, l.lead_id.as_str())).collect();
    let Some(round) = Round::of(w, &arrivals).await? else { return Ok(()) };
    let (mut facts, relations) = crate::services::rules::facts_and_relations(&**w, &round.ids).await?;
    if !round.rules.is_empty() {
        autotag::apply(w, &round.rules, &mut facts, &relations, &round.scenes, round.now).await?;
    }
    if round.assigning {
        crate::services::assignment::assign_new(w, leads, &facts, round.now).await?;
    }
    Ok(())
}

/// The rules that apply to an ingestion round's new leads (each lead id with the scene it arrived
/// through), or `None` when none does — then the round builds nothing for routing. One statement
/// (the global rules). Marks the leads' tags settled either way: the round decides them, the
/// commit does not re-evaluate them.
pub async fn rules_for_new(w: &Write<'_>, arrivals: &[(&acquisition_scene::Model, &str)]) -> AppResult<Option<Round>> {
    Round::of(w, arrivals).await
}

/// [`route_new_leads`] for leads not written yet (an ingestion round's), under the rules
/// [`rules_for_new`] found: `leads` as their `INSERT` will store them, `events` the round's events.
/// Decides their tags and owners from what the round holds (no read-back; one read of the leads'
/// channels, only when a rule reads a channel field), so the `INSERT` carries the owners
/// ([`Decided::gifts`]) and no UPDATE follows; [`Decided::write`] writes the tags and the
/// assignment log after it.
pub async fn decide_new_leads(
    w: &Write<'_>,
    round: Round,
    leads: &NewLeads<'_>,
    events: Vec<event::Model>,
) -> AppResult<Decided> {
    let models: Vec<&lead::Model> = leads.iter().map(|(_, l)| *l).collect();
    let mut facts = crate::services::rules::facts_of_new(&**w, &models, events, round.channels).await?;
    let mut decided = Decided::default();
    if !round.rules.is_empty() {
        decided.tags = autotag::settle(&**w, &round.rules, &mut facts, &[], &round.scenes, round.now).await?;
    }
    if round.assigning {
        decided.owners = Some(crate::services::assignment::decide_new(w, leads, &facts, round.now).await?);
    }
    Ok(decided)
}

/// What [`decide_new_leads`] decided: the tags and owners of a round's new leads.
#[derive(Default)]
pub struct Decided {
    tags: autotag::Settled,
    owners: Option<Assignments>,
}

impl Decided {
    /// The owners the new leads' rows carry (`repo::assignment::give_new`).
    pub fn gifts(&self) -> Vec<Gift<'_>> {
        self.owners.as_ref().map(Assignments::gifts).unwrap_or_default()
    }

    /// Writes the tags and the assignment log (and announces the assignments), once the leads
    /// are written.
    pub async fn write(self, w: &Write<'_>) -> AppResult<()> {
        self.tags.write(w).await?;
        match self.owners {
            Some(owners) => crate::services::assignment::record_new(w, owners).await,
            None => Ok(()),
        }
    }
}

/// A round's rules: the global and its scenes' auto-tagging rules, and whether any scene assigns.
pub struct Round {
    now: DateTime<Utc>,
    ids: Vec<String>,
    rules: Rules,
    assigning: bool,
    /// Whether a rule reads a channel field (the only related record a new lead has).
    channels: bool,
    /// Each lead with the scene it arrived through (auto-tagging's scenes).
    scenes: Vec<(String, Vec<String>)>,
}

impl Round {
    /// `None` when no rule applies (after one statement, the global rules). Marks the leads' tags
    /// settled: the round decides them, the commit does not re-evaluate them.
    async fn of(w: &Write<'_>, leads: &[(&acquisition_scene::Model, &str)]) -> AppResult<Option<Round>> {
        if leads.is_empty() {
            return Ok(None);
        }
        let ids: Vec<String> = leads.iter().map(|(_, l)| l.to_string()).collect();
        w.tags_settled(&ids);
        let mut rules = Rules { global: autotag::global_rules(&**w).await?, ..Rules::default() };
        // Whether a rule reads a channel field: the global and each scene's, once per scene.
        let mut channels = rules.reads(Source::Channel);
        for (s, _) in leads {
            if !rules.by_scene.contains_key(&s.scene_id) {
                let parsed = autotag::of_scene(s)?;
                channels = channels || parsed.reads(Source::Channel);
                channels = channels || crate::services::assignment::reads(s, Source::Channel)?;
                rules.by_scene.insert(s.scene_id.clone(), parsed);
            }
        }
        let assigning = leads.iter().any(|(s, _)| crate::services::assignment::has_rules(s));
        if rules.is_empty() && !assigning {
            return Ok(None);
        }
        let scenes = leads.iter().map(|(s, l)| (l.to_string(), vec![s.scene_id.clone()])).collect();
        Ok(Some(Round { now: Utc::now(), ids, rules, assigning, channels, scenes }))
    }
}

/// The round's duplicate arrivals (scene, existing lead id): the lead's auto-tags are re-evaluated
/// (it has a new event, perhaps a new scene), then a lead back in the public pool is assigned
/// afresh by the scene's rules; one under an active lease keeps its owner.
pub async fn route_duplicates(w: &Write<'_>, arrivals: &[(&acquisition_scene::Model, String)]) -> AppResult<()> {
    if arrivals.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<String> = arrivals.iter().map(|(_, id)| id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    w.tags_settled(&ids);
    autotag::reevaluate(w, &ids, Utc::now()).await?;
    crate::services::assignment::assign_duplicates(w, arrivals).await
}
