//! Routing a round of newly ingested leads (issue 16): auto-tagging, then assignment, inside the
//! ingestion round's transaction, so an accepted lead is never committed untagged or unrouted.
//! Set-based: one call per round with all its new leads (a round is up to `CDP_INGESTION_BATCH`
//! leads; per-lead statements would multiply the round's cost).

use entity::{acquisition_scene, lead};

use crate::error::AppResult;
use crate::services::tx::Write;

/// The round's new leads with the scene each arrived through, in the round's order.
pub type NewLeads<'a> = [(&'a acquisition_scene::Model, &'a lead::Model)];

/// Applies the scenes' routing rules to a round's new leads: assignment (auto-tagging, when it
/// lands, goes first).
pub async fn route_new_leads(w: &Write<'_>, leads: &NewLeads<'_>) -> AppResult<()> {
    crate::services::assignment::assign_new(w, leads).await
}

/// The round's duplicate arrivals (scene, existing lead id): a lead back in the public pool is
/// assigned afresh by the scene's rules; one under an active lease keeps its owner.
pub async fn route_duplicates(w: &Write<'_>, arrivals: &[(&acquisition_scene::Model, String)]) -> AppResult<()> {
    crate::services::assignment::assign_duplicates(w, arrivals).await
}
