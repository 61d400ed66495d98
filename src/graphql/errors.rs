//! `AppError` → GraphQL error with `extensions.code`. Internal errors are masked: the client gets a
//! correlation id, the log gets the full error.

use async_graphql::{Error, ErrorExtensions};

use crate::error::AppError;

pub fn to_gql(e: &AppError) -> Error {
    let code = e.code();
    if e.is_internal() {
        let reference = uuid::Uuid::new_v4().to_string();
        tracing::error!(error = %e, %reference, "internal error");
        let message = format!("internal error (reference {reference})");
        return Error::new(message).extend_with(|_, ext| {
            ext.set("code", code);
            ext.set("correlationId", reference.as_str());
        });
    }
    Error::new(e.to_string()).extend_with(|_, ext| ext.set("code", code))
}

/// `AppError` is `Display`, so async-graphql's blanket `From<T: Display>` would accept it with `?`
/// and silently drop the code: resolvers convert explicitly with `.gql()`.
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
