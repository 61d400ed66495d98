//! The lead status state machine (docs/data-model.md, lead status flow, "线索到商机转化流程").
//!
//! The diagram, with its states mapped to the stored values of `lead_status`:
//!
//! ```text
//! [*] --> NewLead                      NEW            (新线索)
//! NewLead --> Contacted                NEW → CONTACTED
//! NewLead --> Invalid                  NEW → DISQUALIFIED     (无效线索 "Invalid" is DISQUALIFIED)
//! Contacted --> Qualified              CONTACTED → QUALIFIED
//! Contacted --> Invalid                CONTACTED → DISQUALIFIED
//! Qualified --> Converted              QUALIFIED → CONVERTED  (creates contact/account/opportunity)
//! Converted --> [*]                    CONVERTED is final
//! Invalid --> [*]                      DISQUALIFIED is final
//! ```
//!
//! Decisions, each following the diagram (docs/design.md §6: transitions follow the diagrams):
//!
//! * Only the four edges above are moves of `changeLeadStatus`; everything else is
//!   `INVALID_TRANSITION`. In particular no status is skipped (NEW → QUALIFIED: a lead is contacted
//!   before it is qualified) and no lead moves back (QUALIFIED → CONTACTED, CONTACTED → NEW).
//! * QUALIFIED → DISQUALIFIED is refused: the diagram has no `Qualified --> Invalid` edge, only
//!   `Qualified --> Converted`. A qualified lead that turns out worthless is converted without an
//!   opportunity, or stays QUALIFIED.
//! * DISQUALIFIED is final: the diagram ends it (`Invalid --> [*]`) and has no reopen edge. A lead
//!   that comes back is a new capture (`[*] --> NewLead`), i.e. a new lead.
//! * CONVERTED is reached only by conversion ([`may_convert`]: only QUALIFIED converts), never by
//!   `changeLeadStatus`, because the diagram's `Converted` state is composite — entering it
//!   creates the contact, account and opportunity. `lead_transition(QUALIFIED, CONVERTED)` is
//!   therefore refused too.
//! * CONVERTED is final and, beyond the diagram, read-only (docs/design.md §6): any update or second
//!   convert of a converted lead is `CONFLICT`, not `INVALID_TRANSITION`. Services call
//!   [`ensure_lead_editable`] first, then [`lead_transition`] / [`may_convert`].
//! * A "move" to the current status is refused: the diagram has no self-loops, and a status change
//!   that changes nothing would still bump `updated_at` and log a change. A service that wants
//!   idempotent retries compares the statuses before calling.
//! * New leads start NEW ([`INITIAL_LEAD_STATUS`], `[*] --> NewLead`).

use entity::enums::LeadStatus;

use super::error::{DomainError, TransitionError};

/// The status every lead is created with (docs/data-model.md, lead status flow: `[*] --> NewLead`).
pub const INITIAL_LEAD_STATUS: LeadStatus = LeadStatus::New;

/// The stored (and GraphQL) value of a status, e.g. `"NEW"`.
pub fn lead_status_name(status: LeadStatus) -> &'static str {
    status.as_str()
}

/// Whether no move leaves `status` (CONVERTED and DISQUALIFIED).
pub fn is_final(status: LeadStatus) -> bool {
    matches!(status, LeadStatus::Converted | LeadStatus::Disqualified)
}

/// The statuses `changeLeadStatus` may move a lead in `from` to (empty for final statuses;
/// CONVERTED is never among them — see [`may_convert`]).
pub fn next_lead_statuses(from: LeadStatus) -> &'static [LeadStatus] {
    match from {
        LeadStatus::New => &[LeadStatus::Contacted, LeadStatus::Disqualified],
        LeadStatus::Contacted => &[LeadStatus::Qualified, LeadStatus::Disqualified],
        LeadStatus::Qualified | LeadStatus::Converted | LeadStatus::Disqualified => &[],
    }
}

/// Whether `changeLeadStatus` may move a lead from `from` to `to` (see the module doc for the
/// rules and their grounds in docs/data-model.md, lead status flow).
pub fn lead_transition(from: LeadStatus, to: LeadStatus) -> Result<(), TransitionError> {
    use LeadStatus::*;
    let reason = match (from, to) {
        (New, Contacted) | (New, Disqualified) | (Contacted, Qualified) | (Contacted, Disqualified) => return Ok(()),
        (Converted, _) => "a converted lead is final",
        (Disqualified, _) => "a disqualified lead is final; a returning lead is captured as a new lead",
        (New, New) | (Contacted, Contacted) | (Qualified, Qualified) => "the lead already has this status",
        (_, Converted) => "a lead becomes CONVERTED only through convertLead, and only from QUALIFIED",
        (Qualified, Disqualified) => "a qualified lead can only be converted",
        (New, Qualified) => "a lead is CONTACTED before it is QUALIFIED",
        (Contacted | Qualified, New) | (Qualified, Contacted) => "a lead does not move back to an earlier status",
    };
    Err(refusal(from, to, reason))
}

/// Whether a lead in `status` may be converted: only QUALIFIED converts (docs/data-model.md, lead
/// status flow: `Qualified --> Converted`). An already converted lead is refused here as well, but
/// services should have answered `CONFLICT` through [`ensure_lead_editable`] before asking.
pub fn may_convert(status: LeadStatus) -> Result<(), TransitionError> {
    let reason = match status {
        LeadStatus::Qualified => return Ok(()),
        LeadStatus::New | LeadStatus::Contacted => "only a QUALIFIED lead converts",
        LeadStatus::Converted => "the lead is already converted",
        LeadStatus::Disqualified => "a disqualified lead is final",
    };
    Err(refusal(status, LeadStatus::Converted, reason))
}

/// A converted lead is read-only (docs/design.md §6): updating it, changing its status or converting it
/// again is [`DomainError::ReadOnly`] (→ `CONFLICT`). Every other status may be edited.
pub fn ensure_lead_editable(status: LeadStatus) -> Result<(), DomainError> {
    match status {
        LeadStatus::Converted => Err(DomainError::ReadOnly { entity: "lead", reason: "converted and read-only" }),
        LeadStatus::New | LeadStatus::Contacted | LeadStatus::Qualified | LeadStatus::Disqualified => Ok(()),
    }
}

/// Deleting a converted lead is refused too ([`DomainError::ReadOnly`] → `CONFLICT`): the lead is
/// the conversion trail of the account, contact and opportunity made from it
/// (`opportunity.lead_id` would become NULL, the `converted_*` ids would be gone). Every other
/// status may be deleted.
pub fn ensure_lead_deletable(status: LeadStatus) -> Result<(), DomainError> {
    match status {
        LeadStatus::Converted => Err(DomainError::ReadOnly {
            entity: "lead",
            reason: "converted; deleting it would erase its conversion trail",
        }),
        LeadStatus::New | LeadStatus::Contacted | LeadStatus::Qualified | LeadStatus::Disqualified => Ok(()),
    }
}

fn refusal(from: LeadStatus, to: LeadStatus, reason: &'static str) -> TransitionError {
    TransitionError { from: lead_status_name(from), to: lead_status_name(to), reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;
    use LeadStatus::*;

    const ALL: [LeadStatus; 5] = [New, Contacted, Qualified, Converted, Disqualified];

    /// The edges of the lead status flow (docs/data-model.md) that `changeLeadStatus` may take.
    const ALLOWED: [(LeadStatus, LeadStatus); 4] =
        [(New, Contacted), (New, Disqualified), (Contacted, Qualified), (Contacted, Disqualified)];

    #[test]
    fn exactly_the_four_edges_of_the_seed_diagram_are_allowed() {
        for from in ALL {
            for to in ALL {
                let result = lead_transition(from, to);
                assert_eq!(result.is_ok(), ALLOWED.contains(&(from, to)), "{from:?} -> {to:?}: {result:?}");
            }
        }
    }

    #[test]
    fn a_refusal_names_both_statuses_as_stored() {
        let err = lead_transition(New, Qualified).unwrap_err();
        assert_eq!((err.from, err.to), ("NEW", "QUALIFIED"));
        let app: AppError = err.into();
        assert_eq!(app.code(), "INVALID_TRANSITION");
        assert_eq!(app.message(), "invalid transition from NEW to QUALIFIED");
    }

    #[test]
    fn status_names_match_the_stored_values() {
        for status in ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), lead_status_name(status), "{status:?}");
        }
    }

    #[test]
    fn change_lead_status_never_converts_even_a_qualified_lead() {
        for from in ALL {
            let err = lead_transition(from, Converted).unwrap_err();
            assert_eq!(err.to, "CONVERTED");
        }
        assert!(lead_transition(Qualified, Converted).unwrap_err().reason.contains("convertLead"));
    }

    #[test]
    fn only_a_qualified_lead_converts() {
        for status in ALL {
            assert_eq!(may_convert(status).is_ok(), status == Qualified, "{status:?}");
        }
        let err = may_convert(Contacted).unwrap_err();
        assert_eq!((err.from, err.to), ("CONTACTED", "CONVERTED"));
    }

    #[test]
    fn a_qualified_lead_cannot_be_disqualified() {
        assert!(lead_transition(Qualified, Disqualified).is_err());
    }

    #[test]
    fn a_disqualified_lead_cannot_be_reopened() {
        for to in ALL {
            assert!(lead_transition(Disqualified, to).is_err(), "{to:?}");
        }
        assert!(may_convert(Disqualified).is_err());
    }

    #[test]
    fn a_lead_does_not_skip_contact_or_move_back() {
        assert!(lead_transition(New, Qualified).is_err());
        for (from, to) in [(Contacted, New), (Qualified, New), (Qualified, Contacted)] {
            assert_eq!(lead_transition(from, to).unwrap_err().reason, "a lead does not move back to an earlier status");
        }
    }

    #[test]
    fn moving_to_the_current_status_is_refused() {
        for status in [New, Contacted, Qualified] {
            assert_eq!(lead_transition(status, status).unwrap_err().reason, "the lead already has this status");
        }
    }

    #[test]
    fn a_converted_lead_is_read_only_and_answers_conflict() {
        let err = ensure_lead_editable(Converted).unwrap_err();
        assert_eq!(AppError::from(err).code(), "CONFLICT");
        for status in [New, Contacted, Qualified, Disqualified] {
            assert_eq!(ensure_lead_editable(status), Ok(()), "{status:?}");
        }
    }

    #[test]
    fn a_converted_lead_cannot_be_deleted_and_every_other_can() {
        let err = AppError::from(ensure_lead_deletable(Converted).unwrap_err());
        assert_eq!(err.code(), "CONFLICT");
        assert!(err.message().contains("conversion trail"), "{err:?}");
        for status in [New, Contacted, Qualified, Disqualified] {
            assert_eq!(ensure_lead_deletable(status), Ok(()), "{status:?}");
        }
    }

    #[test]
    fn the_listed_next_statuses_are_exactly_the_allowed_moves() {
        for from in ALL {
            let listed = next_lead_statuses(from);
            for to in ALL {
                assert_eq!(listed.contains(&to), lead_transition(from, to).is_ok(), "{from:?} -> {to:?}");
            }
            assert_eq!(listed.is_empty(), is_final(from) || from == Qualified, "{from:?}");
        }
    }

    #[test]
    fn new_leads_start_new() {
        assert_eq!(INITIAL_LEAD_STATUS, New);
        assert!(!is_final(New));
        assert!(is_final(Converted) && is_final(Disqualified));
    }
}
