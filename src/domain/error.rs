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

    /// The input field the error is about, if it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            DomainError::Invalid { field, .. } | DomainError::Required { field } => Some(field),
            DomainError::Transition(_) | DomainError::ReadOnly { .. } => None,
        }
    }

    /// The same error reported against another input field, for value types parsed under their
    /// usual field name (`Phone` → `mobilePhone`) but read from a differently named input.
    pub fn with_field(self, field: impl Into<String>) -> Self {
        match self {
            DomainError::Invalid { reason, .. } => DomainError::Invalid { field: field.into(), reason },
            DomainError::Required { .. } => DomainError::Required { field: field.into() },
            other => other,
        }
    }
}

/// Input errors are `BAD_USER_INPUT`, refused moves `INVALID_TRANSITION`, read-only records
/// `CONFLICT`.
impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Transition(t) => t.into(),
            DomainError::ReadOnly { .. } => AppError::Conflict(err.to_string()),
            DomainError::Invalid { .. } | DomainError::Required { .. } => AppError::BadUserInput(err.to_string()),
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
    fn an_error_can_be_reported_against_another_field() {
        let err = DomainError::invalid("mobilePhone", "is not valid").with_field("contactPhone");
        assert_eq!(err.field(), Some("contactPhone"));
        assert_eq!(err.to_string(), "contactPhone is not valid");
        assert_eq!(DomainError::required("a").with_field("b"), DomainError::required("b"));
    }
}
