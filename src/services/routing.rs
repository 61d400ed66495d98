//! Routing a round of newly ingested leads (issue 16): auto-tagging, then assignment, inside the
//! ingestion round's transaction, so an accepted lead is never committed untagged or unrouted.
//! Set-based: one call per round with all its new leads (a round is up to `CDP_INGESTION_BATCH`
//! leads; per-lead statements would multiply the round's cost). The leads' facts are read once
//! and shared: assignment sees the tags auto-tagging just applied.

use chrono::Utc;
use entity::{acquisition_scene, lead};

use crate::error::AppResult;
use crate::services::autotag::{self, Rules};
use crate::services::tx::Write;

/// The round's new leads with the scene each arrived through, in the round's order.
pub type NewLeads<'a> = [(&'a acquisition_scene::Model, &'a lead::Model)];

/// Applies the routing rules to a round's new leads: the global and the scenes' auto-tagging
/// rules, then the scenes' assignment rules. Costs one statement (the global rules) when no rule
/// applies.
pub async fn route_new_leads(w: &Write<'_>, leads: &NewLeads<'_>) -> AppResult<()> {
    if leads.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let ids: Vec<String> = leads.iter().map(|(_, l)| l.lead_id.clone()).collect();
    w.tags_settled(&ids);
    let mut rules = Rules { global: autotag::global_rules(&**w).await?, ..Rules::default() };
    for (s, _) in leads {
        if !rules.by_scene.contains_key(&s.scene_id) {
            let parsed = autotag::of_scene(s)?;
            rules.by_scene.insert(s.scene_id.clone(), parsed);
        }
    }
    let assigning = leads.iter().any(|(s, _)| crate::services::assignment::has_rules(s));
    if rules.is_empty() && !assigning {
        return Ok(());
    }
    let (mut facts, relations) = crate::services::rules::facts_and_relations(&**w, &ids).await?;
    if !rules.is_empty() {
        let scenes: Vec<(String, Vec<String>)> =
            leads.iter().map(|(s, l)| (l.lead_id.clone(), vec![s.scene_id.clone()])).collect();
        autotag::apply(w, &rules, &mut facts, &relations, &scenes, now).await?;
    }
    if assigning {
        crate::services::assignment::assign_new(w, leads, &facts, now).await?;
    }
    Ok(())
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
