//! The errors of the domain layer and their mapping to [`AppError`].
//!
//! Messages name the GraphQL input field (camelCase) and the rule that was broken, never the value:
//! values may be personal data (phones, e-mails, URLs with query strings), and error texts end up in
//! logs and GraphQL responses.

use crate::error::AppError;

/// Why a state machine refuses a move. `from`/`to` are the stored upper-case values (`"NEW"`,
/// `"CLOSED_WON"`); `reason` explains the refusal for logs and the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid transition from {from} to {to}: {reason}")]
pub struct TransitionError {
    pub from: &'static str,
    pub to: &'static str,
    pub reason: &'static str,
}

/// A refused input or operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The value of `field` breaks a rule. `reason` completes the sentence "`field` …" and never
    /// contains the value.
    #[error("{field} {reason}")]
    Invalid { field: String, reason: String },
    /// A required `field` is missing or blank.
    #[error("{field} is required")]
    Required { field: String },
    /// A state machine refuses the move (→ `INVALID_TRANSITION`).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The record may no longer change, e.g. a converted lead (→ `CONFLICT`, docs/design.md §6).
    #[error("{entity} is {reason}")]
    ReadOnly { entity: &'static str, reason: &'static str },
    /// A workflow refuses an input for what it names (`contactId: contact CNT_1 does not belong
    /// to account ACC_1`): the workflows' `field: reason` style (→ `BAD_USER_INPUT`).
    #[error("{field}: {reason}")]
    Refused { field: String, reason: String },
    /// The stored records forbid the operation; the message says what to do instead
    /// (→ `CONFLICT`).
    #[error("{0}")]
    Conflict(String),
    /// Stored data the rules cannot read, e.g. a merge ledger naming an unknown column: a bug or
    /// tampering, not the caller's doing (→ `INTERNAL`).
    #[error("{0}")]
    Corrupt(String),
}

impl DomainError {
    /// `field` breaks the rule described by `reason` ("must be at most 200 characters").
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        DomainError::Invalid { field: field.into(), reason: reason.into() }
    }

    /// `field` is required but missing or blank.
    pub fn required(field: impl Into<String>) -> Self {
        DomainError::Required { field: field.into() }
    }

    /// A workflow refuses `field` for `reason`.
    pub fn refused(field: impl Into<String>, reason: impl Into<String>) -> Self {
        DomainError::Refused { field: field.into(), reason: reason.into() }
    }

    /// The input field the error is about, if it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            DomainError::Invalid { field, .. }
            | DomainError::Required { field }
            | DomainError::Refused { field, .. } => Some(field),
            DomainError::Transition(_)
            | DomainError::ReadOnly { .. }
            | DomainError::Conflict(_)
            | DomainError::Corrupt(_) => None,
        }
    }

    /// The same error reported against another input field, for value types parsed under their
    /// usual field name (`Phone` → `mobilePhone`) but read from a differently named input.
    pub fn with_field(self, field: impl Into<String>) -> Self {
        match self {
            DomainError::Invalid { reason, .. } => DomainError::Invalid { field: field.into(), reason },
            DomainError::Required { .. } => DomainError::Required { field: field.into() },
            DomainError::Refused { reason, .. } => DomainError::Refused { field: field.into(), reason },
            other => other,
        }
    }
}

/// Input errors are `BAD_USER_INPUT`, refused moves `INVALID_TRANSITION`, read-only records and
/// conflicts `CONFLICT`, unreadable stored data `INTERNAL`.
impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Transition(t) => t.into(),
            DomainError::ReadOnly { .. } | DomainError::Conflict(_) => AppError::Conflict(err.to_string()),
            DomainError::Invalid { .. } | DomainError::Required { .. } | DomainError::Refused { .. } => {
                AppError::BadUserInput(err.to_string())
            }
            DomainError::Corrupt(_) => AppError::internal(err),
        }
    }
}

/// `INVALID_TRANSITION` with the stored values. `AppError`'s message is fixed ("invalid transition
/// from X to Y"), so `reason` is dropped here; log the `TransitionError` if the reason matters.
impl From<TransitionError> for AppError {
    fn from(err: TransitionError) -> Self {
        AppError::InvalidTransition { from: err.from.to_string(), to: err.to.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_value_becomes_bad_user_input_naming_the_field() {
        let app: AppError = DomainError::invalid("email", "must contain exactly one @").into();
        assert_eq!(app.code(), "BAD_USER_INPUT");
        assert_eq!(app.message(), "email must contain exactly one @");
    }

    #[test]
    fn a_missing_required_value_becomes_bad_user_input() {
        let app: AppError = DomainError::required("leadName").into();
        assert_eq!(app.code(), "BAD_USER_INPUT");
        assert_eq!(app.message(), "leadName is required");
    }

    #[test]
    fn a_refused_move_becomes_invalid_transition_with_the_stored_values() {
        let refused = TransitionError { from: "NEW", to: "CONVERTED", reason: "test" };
        let direct: AppError = refused.into();
        let wrapped: AppError = DomainError::from(refused).into();
        for app in [direct, wrapped] {
            assert_eq!(app.code(), "INVALID_TRANSITION");
            assert!(
                matches!(&app, AppError::InvalidTransition { from, to } if from == "NEW" && to == "CONVERTED"),
                "{app:?}"
            );
        }
    }

    #[test]
    fn a_read_only_record_becomes_a_conflict() {
        let app: AppError = DomainError::ReadOnly { entity: "lead", reason: "converted and read-only" }.into();
        assert_eq!(app.code(), "CONFLICT");
        assert_eq!(app.message(), "lead is converted and read-only");
    }

    #[test]
    fn a_refused_input_becomes_bad_user_input_in_the_field_colon_reason_style() {
        let refused = DomainError::refused("contactId", "needs accountId");
        assert_eq!(refused.to_string(), "contactId: needs accountId");
        assert!(matches!(AppError::from(refused), AppError::BadUserInput(m) if m == "contactId: needs accountId"));
        assert_eq!(DomainError::refused("a", "x").with_field("b").field(), Some("b"));
    }

    #[test]
    fn a_conflict_keeps_its_message_and_corrupt_data_is_internal() {
        let conflict = DomainError::Conflict("merge M was undone already".into());
        assert!(matches!(AppError::from(conflict), AppError::Conflict(m) if m == "merge M was undone already"));
        let app: AppError = DomainError::Corrupt("ledger names an unknown column x".into()).into();
        assert_eq!(app.code(), "INTERNAL");
    }

    #[test]
    fn an_error_can_be_reported_against_another_field() {
        let err = DomainError::invalid("mobilePhone", "is not valid").with_field("contactPhone");
        assert_eq!(err.field(), Some("contactPhone"));
        assert_eq!(err.to_string(), "contactPhone is not valid");
        assert_eq!(DomainError::required("a").with_field("b"), DomainError::required("b"));
    }
}
