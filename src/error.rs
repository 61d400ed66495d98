//! `AppError`: the one error type of services and repo code, and its mapping to GraphQL
//! `extensions.code` and HTTP status. Internal errors are masked for clients (message + correlation
//! id) and logged in full.

use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadUserInput(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("invalid transition from {from} to {to}")]
    InvalidTransition { from: String, to: String },
    #[error("rate limited; retry after {retry_after_secs}s")]
    RateLimited { retry_after_secs: u64 },
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(msg: impl Into<String>) -> Self {
        AppError::BadUserInput(msg.into())
    }

    pub fn internal(msg: impl std::fmt::Display) -> Self {
        AppError::Internal(msg.to_string())
    }

    /// The stable machine-readable code clients switch on (DESIGN.md §4).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadUserInput(_) => "BAD_USER_INPUT",
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Conflict(_) => "CONFLICT",
            AppError::InvalidTransition { .. } => "INVALID_TRANSITION",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Db(_) | AppError::Internal(_) => "INTERNAL",
        }
    }

    /// HTTP status for REST endpoints and for GraphQL requests that fail as a whole.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::BadUserInput(_) => 400,
            AppError::Unauthenticated(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) | AppError::InvalidTransition { .. } => 409,
            AppError::RateLimited { .. } => 429,
            AppError::Db(_) | AppError::Internal(_) => 500,
        }
    }

    pub fn is_internal(&self) -> bool {
        self.code() == "INTERNAL"
    }
}
