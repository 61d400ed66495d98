//! `AppError` → GraphQL error with `extensions.code`. Internal errors are masked: the client gets a
//! correlation id, the log gets the full error.

use async_graphql::{Error, ErrorExtensions};

use crate::error::AppError;

pub fn to_gql(e: &AppError) -> Error {
    let code = e.code();
    if e.is_internal() {
        let reference = uuid::Uuid::new_v4().to_string();
        tracing::error!(error = %e.message(), %reference, "internal error");
        let message = format!("internal error (reference {reference})");
        return Error::new(message).extend_with(|_, ext| {
            ext.set("code", code);
            ext.set("correlationId", reference.as_str());
        });
    }
    Error::new(e.message()).extend_with(|_, ext| ext.set("code", code))
}

/// `?` on an `AppError` in a resolver keeps `extensions.code`. `AppError` is deliberately not
/// `Display` (`error.rs`): async-graphql's blanket `From<T: Display>` would otherwise take it and
/// keep only the message.
impl From<AppError> for Error {
    fn from(e: AppError) -> Self {
        to_gql(&e)
    }
}

/// `result.gql()`: the same conversion as `?`, for a `Result` returned as it is.
pub trait OrGql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> OrGql<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| to_gql(&e))
    }
}

/// Resolver result type.
pub type GqlResult<T> = async_graphql::Result<T>;

#[cfg(test)]
mod tests {
    use super::*;

    fn refuse() -> GqlResult<()> {
        Err(AppError::Conflict("the lead was converted".into()))?;
        Ok(())
    }

    #[test]
    fn a_bare_question_mark_keeps_the_code() {
        let e = refuse().unwrap_err();
        assert_eq!(e.message, "the lead was converted");
        let code = e.extensions.as_ref().and_then(|x| x.get("code")).cloned();
        assert_eq!(code, Some(async_graphql::Value::from("CONFLICT")));
    }

    #[test]
    fn internal_errors_are_masked_with_a_correlation_id() {
        let e: Error = AppError::internal("secret detail").into();
        assert!(e.message.starts_with("internal error (reference "), "{}", e.message);
        let ext = e.extensions.as_ref().expect("extensions");
        assert_eq!(ext.get("code"), Some(&async_graphql::Value::from("INTERNAL")));
        assert!(ext.get("correlationId").is_some());
    }
}
