//! What every write shares: who acts, when, new ids, and foreign-key checks that name the field.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::auth::Principal;
use crate::domain::value::EntityId;
use crate::error::{AppError, AppResult};
use crate::repo;
use crate::services::read::Access;

/// The caller of a write: its principal (scopes, channels) and row access.
#[derive(Clone, Debug)]
pub struct Actor {
    pub principal: Principal,
    pub access: Access,
}

impl Actor {
    pub fn new(principal: Principal) -> Actor {
        let access = Access::for_principal(&principal);
        Actor { principal, access }
    }

    /// The staff user behind the token, when its subject is an `app_user` id (people's tokens);
    /// partner and service tokens have none. Written to `changed_by_user_id`, `tagged_by_user_id`…
    pub async fn user_id(&self, db: &impl ConnectionTrait) -> AppResult<Option<String>> {
        let found =
            repo::write::existing(db, "app_user", "user_id", std::slice::from_ref(&self.principal.subject)).await?;
        Ok(found.into_iter().next())
    }
}

/// The server's clock for `created_at`/`updated_at` (never the client's).
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// A new `<PREFIX>_<ULID>` id.
pub fn new_id(prefix: &str) -> String {
    EntityId::generate(prefix).into_inner()
}

/// `BAD_USER_INPUT` naming `field` unless the referenced record exists.
pub async fn require_ref(
    db: &impl ConnectionTrait,
    field: &str,
    table: &str,
    key: &str,
    id: Option<&str>,
) -> AppResult<()> {
    let Some(id) = id else { return Ok(()) };
    if repo::write::existing(db, table, key, &[id.to_string()]).await?.is_empty() {
        return Err(AppError::bad_input(format!("{field}: no {table} with id {id}")));
    }
    Ok(())
}
