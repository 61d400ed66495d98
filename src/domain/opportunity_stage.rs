//! The opportunity stage state machine (docs/data-model.md, opportunity stage flow, "商机阶段流转流程").
//!
//! The diagram has five open states, the `stage` column (docs/data-model.md, value lists) six open
//! values. The diagram's 方案设计 "Solution Design" state is the enum's NEEDS_ANALYSIS and
//! PROPOSAL in that order (the diagram labels the edge into Qualification "需求分析 Needs Analysis"
//! and the edge out of it "方案输出 Solution Output"):
//!
//! ```text
//! [*] --> Lead                         LEAD
//! Lead --> Qualification               LEAD → QUALIFICATION
//! Qualification --> SolutionDesign     QUALIFICATION → NEEDS_ANALYSIS → PROPOSAL
//! SolutionDesign --> Negotiation       PROPOSAL → NEGOTIATION
//! Negotiation --> Contract             NEGOTIATION → CONTRACT
//! Contract --> Won                     CONTRACT → CLOSED_WON
//! <every open state> --> Lost          any open stage → CLOSED_LOST
//! Won --> [*], Lost --> [*]            CLOSED_WON and CLOSED_LOST are final
//! ```
//!
//! Decisions, each following the diagram (docs/design.md §6: illegal moves are `INVALID_TRANSITION`):
//!
//! * Forward one stage at a time. The diagram has no skipping edges, so LEAD → PROPOSAL is refused;
//!   a client that wants to jump moves step by step, and each step appends its
//!   `opportunity_stage_history` row, so the history never has holes.
//! * No moving back: the diagram has no backward edge (NEGOTIATION → PROPOSAL is refused).
//! * CLOSED_WON only from CONTRACT (`Contract --> Won` is the only edge into Won).
//! * CLOSED_LOST from every open stage (every open state has an edge `--> Lost`), and it requires a
//!   close reason (`close_reason`, at most 200 characters; the data model's examples 价格因素 / 竞争对手 /
//!   预算不足 are loss reasons). Winning takes an optional reason (its example 成功签约).
//!   Moves between open stages refuse a close reason rather than dropping it silently.
//! * CLOSED_WON and CLOSED_LOST are final (`Won --> [*]`, `Lost --> [*]`); a lost deal that comes
//!   back is a new opportunity.
//! * A "move" to the current stage is refused (no self-loops; it would append a history row that
//!   records no change).
//! * Opportunities created by lead conversion start at QUALIFICATION (docs/design.md §6; the lead
//!   conversion is the diagram's `Lead --> Qualification`); other creations may start in any open
//!   stage — the state machine governs changes, not imports.
//!
//! Default probabilities: the data model only says `probability` is an integer 0–100 (example 60). The
//! defaults rise with the stage — LEAD 5, QUALIFICATION 10, NEEDS_ANALYSIS 20, PROPOSAL 40,
//! NEGOTIATION 60, CONTRACT 80, CLOSED_WON 100, CLOSED_LOST 0 — and are `i32` because the column is
//! `INT` (`CHECK 0–100`).

use chrono::{DateTime, Utc};
use entity::enums::OpportunityStage;

use super::error::{DomainError, TransitionError};
use super::value::BoundedText;

/// The length of `opportunity.close_reason` (`varchar(200)`).
pub const CLOSE_REASON_MAX_CHARS: usize = 200;
/// The input field of the close reason.
pub const CLOSE_REASON_FIELD: &str = "closeReason";

/// The stored (and GraphQL) value of a stage, e.g. `"CLOSED_WON"`.
pub fn stage_name(stage: OpportunityStage) -> &'static str {
    stage.as_str()
}

/// Whether the opportunity is closed (won or lost): no move leaves it.
pub fn is_closed(stage: OpportunityStage) -> bool {
    matches!(stage, OpportunityStage::ClosedWon | OpportunityStage::ClosedLost)
}

/// Whether the opportunity is still open.
pub fn is_open(stage: OpportunityStage) -> bool {
    !is_closed(stage)
}

/// The default win probability of a stage, in percent (see the module doc).
pub fn default_probability(stage: OpportunityStage) -> i32 {
    match stage {
        OpportunityStage::Lead => 5,
        OpportunityStage::Qualification => 10,
        OpportunityStage::NeedsAnalysis => 20,
        OpportunityStage::Proposal => 40,
        OpportunityStage::Negotiation => 60,
        OpportunityStage::Contract => 80,
        OpportunityStage::ClosedWon => 100,
        OpportunityStage::ClosedLost => 0,
    }
}

/// The one forward step from `stage` (CONTRACT → CLOSED_WON), or `None` for closed stages.
/// CLOSED_LOST is reachable from every open stage besides this.
pub fn next_stage(stage: OpportunityStage) -> Option<OpportunityStage> {
    match stage {
        OpportunityStage::Lead => Some(OpportunityStage::Qualification),
        OpportunityStage::Qualification => Some(OpportunityStage::NeedsAnalysis),
        OpportunityStage::NeedsAnalysis => Some(OpportunityStage::Proposal),
        OpportunityStage::Proposal => Some(OpportunityStage::Negotiation),
        OpportunityStage::Negotiation => Some(OpportunityStage::Contract),
        OpportunityStage::Contract => Some(OpportunityStage::ClosedWon),
        OpportunityStage::ClosedWon | OpportunityStage::ClosedLost => None,
    }
}

/// Position on the path LEAD (0) … CONTRACT (5), CLOSED_WON (6); CLOSED_LOST is off the path.
fn position(stage: OpportunityStage) -> Option<u8> {
    match stage {
        OpportunityStage::Lead => Some(0),
        OpportunityStage::Qualification => Some(1),
        OpportunityStage::NeedsAnalysis => Some(2),
        OpportunityStage::Proposal => Some(3),
        OpportunityStage::Negotiation => Some(4),
        OpportunityStage::Contract => Some(5),
        OpportunityStage::ClosedWon => Some(6),
        OpportunityStage::ClosedLost => None,
    }
}

/// An allowed stage change and what it implies for the opportunity row and its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageMove {
    pub from: OpportunityStage,
    pub to: OpportunityStage,
    /// `opportunity.is_won` after the move.
    pub is_won: bool,
    /// `opportunity.is_lost` after the move.
    pub is_lost: bool,
    /// Whether the move closes the opportunity (set `actual_close_date`).
    pub closed: bool,
    /// The probability of the new stage unless the client gives one.
    pub default_probability: i32,
    /// The trimmed close reason: always present for CLOSED_LOST, optional for CLOSED_WON, absent
    /// otherwise.
    pub close_reason: Option<String>,
}

/// Whether an opportunity may move from `from` to `to`, and what the move implies.
///
/// Refused moves are [`DomainError::Transition`] (→ `INVALID_TRANSITION`); a missing, too long or
/// misplaced close reason is [`DomainError::Required`] / [`DomainError::Invalid`] on `closeReason`
/// (→ `BAD_USER_INPUT`). The move is checked before the reason.
pub fn stage_transition(
    from: OpportunityStage,
    to: OpportunityStage,
    close_reason: Option<&str>,
) -> Result<StageMove, DomainError> {
    check_move(from, to)?;
    let close_reason = match to {
        OpportunityStage::ClosedLost => {
            Some(BoundedText::required(CLOSE_REASON_FIELD, close_reason.unwrap_or(""), CLOSE_REASON_MAX_CHARS)?)
        }
        OpportunityStage::ClosedWon => BoundedText::optional(CLOSE_REASON_FIELD, close_reason, CLOSE_REASON_MAX_CHARS)?,
        _ if close_reason.is_some_and(|r| !r.trim().is_empty()) => {
            return Err(DomainError::invalid(
                CLOSE_REASON_FIELD,
                "is accepted only when the stage becomes CLOSED_WON or CLOSED_LOST",
            ));
        }
        _ => None,
    };
    Ok(StageMove {
        from,
        to,
        is_won: to == OpportunityStage::ClosedWon,
        is_lost: to == OpportunityStage::ClosedLost,
        closed: is_closed(to),
        default_probability: default_probability(to),
        close_reason: close_reason.map(BoundedText::into_inner),
    })
}

fn check_move(from: OpportunityStage, to: OpportunityStage) -> Result<(), TransitionError> {
    let reason = if is_closed(from) {
        "a closed opportunity is final"
    } else if from == to {
        "the opportunity is already in this stage"
    } else if to == OpportunityStage::ClosedLost || next_stage(from) == Some(to) {
        return Ok(());
    } else if to == OpportunityStage::ClosedWon {
        "only an opportunity in CONTRACT can be won"
    } else if position(to) < position(from) {
        "an opportunity does not move back to an earlier stage"
    } else {
        "an opportunity moves forward one stage at a time"
    };
    Err(TransitionError { from: stage_name(from), to: stage_name(to), reason })
}

/// Whole days spent in a stage entered at `entered_at`, as of `now` (rounded down, never negative
/// — a clock skew between writers must not produce a negative `duration_days`/`days_in_stage`;
/// saturating at `i32::MAX`).
pub fn duration_days(entered_at: DateTime<Utc>, now: DateTime<Utc>) -> i32 {
    let days = (now - entered_at).num_days().max(0);
    i32::try_from(days).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use OpportunityStage::*;
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::error::AppError;

    const ALL: [OpportunityStage; 8] =
        [Lead, Qualification, NeedsAnalysis, Proposal, Negotiation, Contract, ClosedWon, ClosedLost];
    const OPEN: [OpportunityStage; 6] = [Lead, Qualification, NeedsAnalysis, Proposal, Negotiation, Contract];

    fn close_reason_for(to: OpportunityStage) -> Option<&'static str> {
        (to == ClosedLost).then_some("价格因素")
    }

    #[test]
    fn open_stages_advance_one_step_at_a_time_to_closed_won() {
        let path = [Lead, Qualification, NeedsAnalysis, Proposal, Negotiation, Contract, ClosedWon];
        for step in path.windows(2) {
            let moved = stage_transition(step[0], step[1], None).unwrap();
            assert_eq!((moved.from, moved.to), (step[0], step[1]));
            assert_eq!(moved.default_probability, default_probability(step[1]));
        }
    }

    #[test]
    fn exactly_the_forward_steps_and_losing_are_allowed() {
        for from in ALL {
            for to in ALL {
                let expected = is_open(from) && (next_stage(from) == Some(to) || to == ClosedLost);
                let result = stage_transition(from, to, close_reason_for(to));
                assert_eq!(result.is_ok(), expected, "{from:?} -> {to:?}: {result:?}");
            }
        }
    }

    #[test]
    fn stage_names_match_the_stored_values() {
        for stage in ALL {
            assert_eq!(serde_json::to_value(stage).unwrap(), stage_name(stage), "{stage:?}");
        }
    }

    #[test]
    fn skipping_a_stage_is_refused() {
        let err = stage_transition(Qualification, Proposal, None).unwrap_err();
        assert_eq!(
            err,
            DomainError::Transition(TransitionError {
                from: "QUALIFICATION",
                to: "PROPOSAL",
                reason: "an opportunity moves forward one stage at a time",
            })
        );
        let app: AppError = err.into();
        assert_eq!(app.code(), "INVALID_TRANSITION");
    }

    #[test]
    fn moving_back_to_an_earlier_stage_is_refused() {
        let err = stage_transition(Negotiation, Proposal, None).unwrap_err();
        assert!(err.to_string().contains("does not move back"), "{err}");
    }

    #[test]
    fn only_an_opportunity_in_contract_can_be_won() {
        for from in [Lead, Qualification, NeedsAnalysis, Proposal, Negotiation] {
            let err = stage_transition(from, ClosedWon, None).unwrap_err();
            assert!(err.to_string().contains("only an opportunity in CONTRACT can be won"), "{err}");
        }
        let won = stage_transition(Contract, ClosedWon, Some(" 成功签约 ")).unwrap();
        assert!(won.is_won && won.closed && !won.is_lost);
        assert_eq!(won.default_probability, 100);
        assert_eq!(won.close_reason.as_deref(), Some("成功签约"));
    }

    #[test]
    fn any_open_stage_can_be_lost_with_a_reason() {
        for from in OPEN {
            let lost = stage_transition(from, ClosedLost, Some("竞争对手")).unwrap();
            assert!(lost.is_lost && lost.closed && !lost.is_won);
            assert_eq!(lost.default_probability, 0);
            assert_eq!(lost.close_reason.as_deref(), Some("竞争对手"));
        }
    }

    #[test]
    fn losing_without_a_close_reason_is_refused() {
        for reason in [None, Some(""), Some("   ")] {
            assert_eq!(stage_transition(Proposal, ClosedLost, reason), Err(DomainError::required("closeReason")));
        }
        let app: AppError = stage_transition(Proposal, ClosedLost, None).unwrap_err().into();
        assert_eq!(app.code(), "BAD_USER_INPUT");
    }

    #[test]
    fn a_close_reason_longer_than_200_characters_is_refused() {
        assert!(stage_transition(Proposal, ClosedLost, Some(&"贵".repeat(200))).is_ok());
        let err = stage_transition(Proposal, ClosedLost, Some(&"贵".repeat(201))).unwrap_err();
        assert_eq!(err, DomainError::invalid("closeReason", "must be at most 200 characters"));
    }

    #[test]
    fn winning_without_a_close_reason_is_fine() {
        let won = stage_transition(Contract, ClosedWon, None).unwrap();
        assert_eq!(won.close_reason, None);
        assert_eq!(stage_transition(Contract, ClosedWon, Some("  ")).unwrap().close_reason, None);
    }

    #[test]
    fn a_close_reason_on_an_open_move_is_refused_not_dropped() {
        let err = stage_transition(Lead, Qualification, Some("预算不足")).unwrap_err();
        assert_eq!(err.field(), Some("closeReason"));
        assert_eq!(stage_transition(Lead, Qualification, Some(" ")).unwrap().close_reason, None);
    }

    #[test]
    fn the_move_is_checked_before_the_close_reason() {
        let err = stage_transition(ClosedWon, ClosedLost, None).unwrap_err();
        assert!(matches!(err, DomainError::Transition(_)), "{err:?}");
    }

    #[test]
    fn closed_stages_are_final() {
        for from in [ClosedWon, ClosedLost] {
            for to in ALL {
                let err = stage_transition(from, to, Some("重新打开")).unwrap_err();
                assert!(err.to_string().contains("a closed opportunity is final"), "{err}");
            }
        }
    }

    #[test]
    fn moving_to_the_current_stage_is_refused() {
        for stage in OPEN {
            let err = stage_transition(stage, stage, close_reason_for(stage)).unwrap_err();
            assert!(err.to_string().contains("already in this stage"), "{err}");
        }
    }

    #[test]
    fn an_open_move_is_neither_won_nor_lost() {
        let moved = stage_transition(Proposal, Negotiation, None).unwrap();
        assert!(!moved.is_won && !moved.is_lost && !moved.closed);
        assert_eq!(moved.default_probability, 60);
    }

    #[test]
    fn default_probabilities_rise_along_the_path() {
        let path = [Lead, Qualification, NeedsAnalysis, Proposal, Negotiation, Contract, ClosedWon];
        let probabilities: Vec<i32> = path.iter().map(|&s| default_probability(s)).collect();
        assert_eq!(probabilities, [5, 10, 20, 40, 60, 80, 100]);
        assert_eq!(default_probability(ClosedLost), 0);
    }

    #[test]
    fn duration_is_counted_in_whole_days_rounded_down() {
        let entered = Utc.with_ymd_and_hms(2026, 3, 1, 18, 0, 0).unwrap();
        assert_eq!(duration_days(entered, entered), 0);
        assert_eq!(duration_days(entered, entered + Duration::hours(23)), 0);
        assert_eq!(duration_days(entered, entered + Duration::hours(24)), 1);
        assert_eq!(duration_days(entered, entered + Duration::days(15) + Duration::hours(5)), 15);
    }

    #[test]
    fn duration_is_never_negative() {
        let entered = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        assert_eq!(duration_days(entered, entered - Duration::days(3)), 0);
    }
}
