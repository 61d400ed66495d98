//! Routing a round of newly ingested leads (issue 16): auto-tagging, then assignment, inside the
//! ingestion round's transaction, so an accepted lead is never committed untagged or unrouted.
//! Set-based: one call per round with all its new leads (a round is up to `CDP_INGESTION_BATCH`
//! leads; per-lead statements would multiply the round's cost).

use entity::{acquisition_scene, lead};

use crate::error::AppResult;
use crate::services::tx::Write;

/// The round's new leads with the scene each arrived through, in the round's order.
pub type NewLeads<'a> = [(&'a acquisition_scene::Model, &'a lead::Model)];

/// Applies the scenes' routing rules to a round's new leads. No rules are applied yet: auto-tagging
/// and assignment plug in here.
pub async fn route_new_leads(w: &Write<'_>, leads: &NewLeads<'_>) -> AppResult<()> {
    crate::services::assignment::assign_new(w, leads).await?;
    Ok(())
}
