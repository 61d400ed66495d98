//! The protection period (客户保护期, issue 16): an owner holds a lead as a lease, and loses it to
//! the public pool (公海) when the lease runs out. The decisions of `claimLead`, `releaseLead`,
//! `extendLease` and of renewal, from the facts the service read (`services::leases` does the IO).
//!
//! * A lease's length is the lead's scene's protection period (`protection_period_hours`, when
//!   positive), else the `CDP_LEASE_DAYS` setting ([`lease_length`]).
//! * `claimLead` takes a lead nobody owns — in the public pool, or queued for the claimer's own
//!   team — from an ACTIVE user with room under their `claim_quota` (open leads owned: not
//!   CONVERTED, not DISQUALIFIED), and not within the cooldown after that user released or lost
//!   the same lead ([`check_claim`]). A lead owned by someone, or a cooldown, is `CONFLICT` (the
//!   state of the lead decides, and it may change); a used-up quota too. An inactive user is
//!   `FORBIDDEN`.
//! * `releaseLead` and `extendLease` are the owner's alone: another user's lead is `FORBIDDEN` (the
//!   caller is not allowed the action on that lead, whatever its state); a lead in the pool is
//!   `CONFLICT` ([`check_owner`]).
//! * `extendLease` adds one lease length to the lease (or to now, if it already ran out), at most
//!   `CDP_LEASE_MAX_EXTENSIONS` times per lease ([`extend`]); a new owner starts at zero.
//! * Renewal: a follow-up by the owner sets the lease to now + its length, never shortening it
//!   ([`renewed`]). A follow-up is a status change, or a touchpoint of the owner whose kind is a
//!   conversation the owner started ([`touchpoint_renews`]): an OUTBOUND CALL, or a MEETING or
//!   CHAT that is not INBOUND (a customer writing in is not the owner following up; a meeting or
//!   chat without a direction is the owner's own record of it).

use chrono::{DateTime, Duration, Utc};
use entity::enums::{LeadStatus, TouchpointDirection, TouchpointType, UserStatus};

use crate::error::AppError;

/// Why a lease action is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The lead's state forbids it now (owned by someone else, cooldown, quota, no lease).
    Conflict(String),
    /// The caller may not do it to this lead at all.
    Forbidden(String),
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Conflict(m) => AppError::Conflict(m),
            Refusal::Forbidden(m) => AppError::Forbidden(m),
        }
    }
}

/// The length of a lease: the scene's protection period when it sets one, else the default.
pub fn lease_length(scene_hours: Option<i32>, default: Duration) -> Duration {
    match scene_hours {
        Some(h) if h > 0 => Duration::hours(i64::from(h)),
        _ => default,
    }
}

/// Whether a lead counts against its owner's claim quota.
pub fn is_open(status: LeadStatus) -> bool {
    !matches!(status, LeadStatus::Converted | LeadStatus::Disqualified)
}

/// What `claimLead` needs to know.
#[derive(Clone, Debug)]
pub struct ClaimFacts<'a> {
    pub lead_id: &'a str,
    pub lead_status: LeadStatus,
    pub owner_user_id: Option<&'a str>,
    pub owner_team_id: Option<&'a str>,
    pub user_status: UserStatus,
    pub user_team_id: Option<&'a str>,
    pub claim_quota: i32,
    pub open_leads_owned: u64,
    /// When this user last released or lost this lead.
    pub last_lost_at: Option<DateTime<Utc>>,
    pub cooldown: Duration,
    pub now: DateTime<Utc>,
}

/// Whether the user may claim the lead (see the module doc for the order of the checks).
pub fn check_claim(f: &ClaimFacts<'_>) -> Result<(), Refusal> {
    if f.user_status != UserStatus::Active {
        return Err(Refusal::Forbidden("claimLead: only an ACTIVE user claims leads".into()));
    }
    if !is_open(f.lead_status) {
        return Err(Refusal::Conflict(format!(
            "leadId: lead {} is {} and cannot be claimed",
            f.lead_id,
            f.lead_status.as_str()
        )));
    }
    if f.owner_user_id.is_some() {
        return Err(Refusal::Conflict(format!(
            "leadId: lead {} is owned; only a lead in the public pool can be claimed",
            f.lead_id
        )));
    }
    if let Some(team) = f.owner_team_id
        && f.user_team_id != Some(team)
    {
        return Err(Refusal::Conflict(format!("leadId: lead {} waits in team {team}'s queue", f.lead_id)));
    }
    if let Some(lost) = f.last_lost_at
        && f.now < lost + f.cooldown
    {
        return Err(Refusal::Conflict(format!(
            "leadId: you released or lost lead {} at {}; it can be claimed back from {}",
            f.lead_id,
            lost.to_rfc3339(),
            (lost + f.cooldown).to_rfc3339()
        )));
    }
    if f.open_leads_owned >= u64::try_from(f.claim_quota.max(0)).unwrap_or(0) {
        return Err(Refusal::Conflict(format!(
            "claimLead: your claim quota of {} open leads is used up; release or close one first",
            f.claim_quota
        )));
    }
    Ok(())
}

/// The caller must own the lead (`releaseLead`, `extendLease`).
pub fn check_owner(action: &str, lead_id: &str, owner: Option<&str>, caller: &str) -> Result<(), Refusal> {
    match owner {
        None => Err(Refusal::Conflict(format!("leadId: lead {lead_id} is in the public pool; nobody can {action} it"))),
        Some(o) if o != caller => {
            Err(Refusal::Forbidden(format!("leadId: only the owner of lead {lead_id} can {action} it")))
        }
        Some(_) => Ok(()),
    }
}

/// The lease after one more extension, or why not.
pub fn extend(
    lead_id: &str,
    until: Option<DateTime<Utc>>,
    extensions: i32,
    max: i32,
    length: Duration,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, Refusal> {
    if extensions >= max {
        return Err(Refusal::Conflict(format!("leadId: the lease of lead {lead_id} was already extended {max} times")));
    }
    Ok(until.map_or(now, |u| u.max(now)) + length)
}

/// The lease a follow-up leaves: now + its length, unless the lease already lasts longer.
pub fn renewed(until: Option<DateTime<Utc>>, length: Duration, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let candidate = now + length;
    match until {
        Some(u) if u >= candidate => None,
        _ => Some(candidate),
    }
}

/// Whether a touchpoint of the lead's owner is a follow-up that renews the lease.
pub fn touchpoint_renews(kind: TouchpointType, direction: Option<TouchpointDirection>) -> bool {
    match kind {
        TouchpointType::Call => direction == Some(TouchpointDirection::Outbound),
        TouchpointType::Meeting | TouchpointType::Chat => direction != Some(TouchpointDirection::Inbound),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap() + Duration::hours(h)
    }

    fn facts() -> ClaimFacts<'static> {
        ClaimFacts {
            lead_id: "LEAD_1",
            lead_status: LeadStatus::New,
            owner_user_id: None,
            owner_team_id: None,
            user_status: UserStatus::Active,
            user_team_id: None,
            claim_quota: 2,
            open_leads_owned: 1,
            last_lost_at: None,
            cooldown: Duration::hours(24),
            now: t(0),
        }
    }

    #[test]
    fn a_scene_period_wins_over_the_default_only_when_positive() {
        assert_eq!(lease_length(Some(48), Duration::days(30)), Duration::hours(48));
        assert_eq!(lease_length(Some(0), Duration::days(30)), Duration::days(30));
        assert_eq!(lease_length(None, Duration::days(7)), Duration::days(7));
    }

    #[test]
    fn a_claim_is_refused_for_each_reason_and_allowed_otherwise() {
        assert_eq!(check_claim(&facts()), Ok(()));
        let owned = ClaimFacts { owner_user_id: Some("USER_B"), ..facts() };
        assert!(matches!(check_claim(&owned), Err(Refusal::Conflict(_))));
        let inactive = ClaimFacts { user_status: UserStatus::Inactive, ..facts() };
        assert!(matches!(check_claim(&inactive), Err(Refusal::Forbidden(_))));
        let full = ClaimFacts { open_leads_owned: 2, ..facts() };
        assert!(matches!(check_claim(&full), Err(Refusal::Conflict(m)) if m.contains("quota")));
        let cooling = ClaimFacts { last_lost_at: Some(t(-23)), ..facts() };
        assert!(matches!(check_claim(&cooling), Err(Refusal::Conflict(m)) if m.contains("claimed back")));
        let cooled = ClaimFacts { last_lost_at: Some(t(-24)), ..facts() };
        assert_eq!(check_claim(&cooled), Ok(()));
        let closed = ClaimFacts { lead_status: LeadStatus::Converted, ..facts() };
        assert!(check_claim(&closed).is_err());
        let other_team = ClaimFacts { owner_team_id: Some("TEAM_A"), user_team_id: Some("TEAM_B"), ..facts() };
        assert!(check_claim(&other_team).is_err());
        let own_team = ClaimFacts { owner_team_id: Some("TEAM_A"), user_team_id: Some("TEAM_A"), ..facts() };
        assert_eq!(check_claim(&own_team), Ok(()));
    }

    #[test]
    fn only_the_owner_releases_or_extends() {
        assert!(check_owner("release", "L", Some("U"), "U").is_ok());
        assert!(matches!(check_owner("release", "L", Some("V"), "U"), Err(Refusal::Forbidden(_))));
        assert!(matches!(check_owner("release", "L", None, "U"), Err(Refusal::Conflict(_))));
    }

    #[test]
    fn an_extension_adds_a_length_to_the_lease_up_to_the_maximum() {
        let len = Duration::days(30);
        assert_eq!(extend("L", Some(t(10)), 0, 2, len, t(0)), Ok(t(10) + len));
        assert_eq!(extend("L", Some(t(-10)), 1, 2, len, t(0)), Ok(t(0) + len));
        assert!(extend("L", Some(t(10)), 2, 2, len, t(0)).is_err());
    }

    #[test]
    fn renewal_never_shortens_a_lease() {
        let len = Duration::hours(10);
        assert_eq!(renewed(Some(t(1)), len, t(0)), Some(t(10)));
        assert_eq!(renewed(Some(t(20)), len, t(0)), None);
        assert_eq!(renewed(None, len, t(0)), Some(t(10)));
    }

    #[test]
    fn outbound_calls_meetings_and_chats_renew_inbound_ones_and_others_do_not() {
        use TouchpointDirection::{Inbound, Outbound};
        assert!(touchpoint_renews(TouchpointType::Call, Some(Outbound)));
        assert!(!touchpoint_renews(TouchpointType::Call, Some(Inbound)));
        assert!(!touchpoint_renews(TouchpointType::Call, None));
        assert!(touchpoint_renews(TouchpointType::Meeting, None));
        assert!(touchpoint_renews(TouchpointType::Chat, Some(Outbound)));
        assert!(!touchpoint_renews(TouchpointType::Chat, Some(Inbound)));
        assert!(!touchpoint_renews(TouchpointType::Email, Some(Outbound)));
        assert!(!touchpoint_renews(TouchpointType::FormSubmit, None));
    }
}
