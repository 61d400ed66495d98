//! `AppError`: the one error type of services and repo code, and its mapping to GraphQL
//! `extensions.code` and HTTP status. Internal errors are masked for clients (message + correlation
//! id) and logged in full.

use sea_orm::DbErr;

/// Not `Display` (nor `std::error::Error`): async-graphql converts any `Display` type into its
/// error with `?` and would drop `extensions.code`. `?` in a resolver goes through
/// `impl From<AppError> for async_graphql::Error` (`graphql/errors.rs`) instead; text for people
/// is [`AppError::message`]. Formatting one does not compile:
///
/// ```compile_fail,E0277
/// let _ = format!("{}", cdp360::error::AppError::bad_input("x"));
/// ```
///
/// ```
/// assert_eq!(format!("{}", cdp360::error::AppError::bad_input("x").message()), "x");
/// ```
#[derive(Debug)]
pub enum AppError {
    BadUserInput(String),
    Unauthenticated(String),
    Forbidden(String),
    NotFound(String),
    Conflict(String),
    InvalidTransition {
        from: String,
        to: String,
    },
    RateLimited {
        retry_after_secs: u64,
    },
    /// The database cannot be reached right now (down, unreachable, restarting, or no pooled
    /// connection within `CDP_DB_ACQUIRE_TIMEOUT_MS`): `UNAVAILABLE`, HTTP 503, worth a retry. The
    /// text is for people: clients get a fixed sentence, the command line names host and cause.
    Unavailable(String),
    Db(DbErr),
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

/// Constraint violations are the caller's to fix, wherever they surface: a unique violation is
/// `CONFLICT` naming the field, a foreign-key violation `BAD_USER_INPUT`. The database's own text
/// stays out of the message (PostgreSQL's detail would echo the value, which may be PII).
impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        if is_unavailable(&e) {
            // The cause (refused, reset, pool timed out) is the operator's; the client retries.
            tracing::warn!(error = %e, "database unavailable");
            return AppError::Unavailable(UNAVAILABLE_MESSAGE.into());
        }
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(msg)) => {
                AppError::Conflict(format!("{} already exists", unique_fields(&msg)))
            }
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => {
                AppError::BadUserInput("a referenced record does not exist (or is still referenced)".into())
            }
            // SQLite reports ON DELETE RESTRICT with the trigger code (1811), which SeaORM does not
            // classify; its message is fixed text without values.
            _ if e.to_string().contains("FOREIGN KEY constraint failed") => {
                AppError::BadUserInput("the record is still referenced by other records".into())
            }
            _ => AppError::Db(e),
        }
    }
}

/// What a client is told when the database cannot be reached.
pub const UNAVAILABLE_MESSAGE: &str = "the database is unavailable; retry later";

/// Whether `e` means the database cannot be reached right now, rather than that a statement
/// failed: no pooled connection within the acquire timeout (sqlx keeps retrying a refused connect
/// until then), a closed pool, a broken socket, or PostgreSQL's connection-exception (`08…`) and
/// shutdown (`57P01`–`57P03`) codes.
pub fn is_unavailable(e: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    if matches!(e, DbErr::ConnectionAcquire(_)) {
        return true;
    }
    match sqlx_error(e) {
        Some(Sqlx::Io(_) | Sqlx::Tls(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed) => true,
        Some(Sqlx::Database(d)) => {
            d.code().is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03"))
        }
        _ => false,
    }
}

/// An error of a statement sent to sqlx directly (`repo::json::fetch`), as SeaORM would have
/// wrapped it, so that it is classified like every other statement's.
pub(crate) fn from_sqlx(e: sea_orm::sqlx::Error) -> AppError {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{ConnAcquireErr, RuntimeErr};
    AppError::from(match e {
        Sqlx::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        Sqlx::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        e => DbErr::Query(RuntimeErr::SqlxError(std::sync::Arc::new(e))),
    })
}

/// The driver's error inside a `DbErr`, when there is one.
pub(crate) fn sqlx_error(e: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    use sea_orm::RuntimeErr::SqlxError;
    match e {
        DbErr::Conn(SqlxError(s)) | DbErr::Exec(SqlxError(s)) | DbErr::Query(SqlxError(s)) => Some(s),
        _ => None,
    }
}

/// The API field names a unique violation is about: PostgreSQL names the constraint
/// (`… unique constraint "uk_contact_phone"`), looked up in the catalogue; SQLite the columns
/// (`… failed: contact.email_bidx`).
fn unique_fields(msg: &str) -> String {
    let named = crate::catalog::ALL.iter().flat_map(|f| f.unique).find(|u| msg.contains(&format!("\"{}\"", u.0)));
    let fields = if let Some(unique) = named {
        unique.fields()
    } else if msg.contains("_pkey\"") {
        "id".into()
    } else if let Some((_, list)) = msg.split_once("failed: ") {
        let columns = list.split(", ").filter_map(|tc| tc.split_once('.').map(|(_, c)| c.trim()));
        columns.map(|c| field_name(c.strip_suffix("_bidx").unwrap_or(c))).collect::<Vec<_>>().join(" + ")
    } else {
        String::new()
    };
    if fields.is_empty() {
        return "a record with these values".into();
    }
    format!("a record with this {fields}")
}

pub use crate::catalog::field_name;

impl AppError {
    pub fn bad_input(msg: impl Into<String>) -> Self {
        AppError::BadUserInput(msg.into())
    }

    pub fn internal(msg: impl std::fmt::Display) -> Self {
        AppError::Internal(msg.to_string())
    }

    /// The error's text (internal errors included: callers that answer clients mask those).
    pub fn message(&self) -> String {
        match self {
            AppError::BadUserInput(m)
            | AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::Unavailable(m)
            | AppError::Internal(m) => m.clone(),
            AppError::NotFound(what) => format!("{what} not found"),
            AppError::InvalidTransition { from, to } => format!("invalid transition from {from} to {to}"),
            AppError::RateLimited { retry_after_secs } => format!("rate limited; retry after {retry_after_secs}s"),
            AppError::Db(e) => format!("database error: {e}"),
        }
    }

    /// The stable machine-readable code clients switch on (docs/design.md §4).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadUserInput(_) => "BAD_USER_INPUT",
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Conflict(_) => "CONFLICT",
            AppError::InvalidTransition { .. } => "INVALID_TRANSITION",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Unavailable(_) => "UNAVAILABLE",
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
            AppError::Unavailable(_) => 503,
            AppError::Db(_) | AppError::Internal(_) => 500,
        }
    }

    pub fn is_internal(&self) -> bool {
        self.code() == "INTERNAL"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable_not_internal() {
        use sea_orm::sqlx::Error as Sqlx;
        use sea_orm::{ConnAcquireErr, RuntimeErr};
        use std::sync::Arc;
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for e in [
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
            DbErr::Conn(RuntimeErr::SqlxError(Arc::new(Sqlx::PoolTimedOut))),
            DbErr::Query(RuntimeErr::SqlxError(Arc::new(Sqlx::Io(refused)))),
        ] {
            let app = AppError::from(e);
            assert_eq!((app.code(), app.http_status()), ("UNAVAILABLE", 503), "{app:?}");
            assert_eq!(app.message(), UNAVAILABLE_MESSAGE);
        }
        // A statement that fails on a reachable database stays INTERNAL.
        let broken = AppError::from(DbErr::Query(RuntimeErr::SqlxError(Arc::new(Sqlx::RowNotFound))));
        assert_eq!(broken.code(), "INTERNAL");
    }

    #[test]
    fn a_driver_error_of_a_statement_sent_to_sqlx_directly_is_classified_as_seaorms_would_be() {
        use sea_orm::sqlx::Error as Sqlx;
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for e in [Sqlx::PoolTimedOut, Sqlx::PoolClosed, Sqlx::Io(refused)] {
            let app = from_sqlx(e);
            assert_eq!((app.code(), app.http_status()), ("UNAVAILABLE", 503), "{app:?}");
        }
        assert_eq!(from_sqlx(Sqlx::RowNotFound).code(), "INTERNAL");
    }

    #[test]
    fn messages_are_the_texts_clients_and_logs_always_got() {
        assert_eq!(AppError::NotFound("lead LEAD_1".into()).message(), "lead LEAD_1 not found");
        let moved = AppError::InvalidTransition { from: "NEW".into(), to: "QUALIFIED".into() };
        assert_eq!(moved.message(), "invalid transition from NEW to QUALIFIED");
        assert_eq!(AppError::RateLimited { retry_after_secs: 3 }.message(), "rate limited; retry after 3s");
        assert_eq!(AppError::Db(DbErr::Custom("boom".into())).message(), "database error: Custom Error: boom");
        for e in [AppError::bad_input("m"), AppError::Conflict("m".into()), AppError::internal("m")] {
            assert_eq!(e.message(), "m");
        }
    }

    #[test]
    fn unique_violations_name_the_field_on_both_backends() {
        let pg = r#"duplicate key value violates unique constraint "uk_contact_phone""#;
        assert_eq!(unique_fields(pg), "a record with this mobilePhone");
        assert_eq!(unique_fields("UNIQUE constraint failed: contact.email_bidx"), "a record with this email");
        assert_eq!(
            unique_fields(
                "UNIQUE constraint failed: tag_relation.tag_id, tag_relation.entity_type, tag_relation.entity_id"
            ),
            "a record with this tagId + entityType + entityId"
        );
        assert_eq!(
            unique_fields(r#"duplicate key value violates unique constraint "lead_pkey""#),
            "a record with this id"
        );
    }
}
