//! What every write shares: who acts, when, new ids, and foreign-key checks that name the field.

use crate::catalog::{Catalogued, Table};
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
        let subject = std::slice::from_ref(&self.principal.subject);
        let found = repo::write::existing::<entity::app_user::Entity>(db, subject, None).await?;
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
pub async fn require_ref<E: Catalogued>(db: &impl ConnectionTrait, field: &str, id: Option<&str>) -> AppResult<()> {
    let mut refs = Refs::default();
    refs.to::<E>(field, id);
    refs.check(db, &Access::unrestricted()).await
}

/// The foreign keys of a write (or a batch of them), checked with one query per referenced table
/// before anything is written, so a dangling reference is `BAD_USER_INPUT` naming its field
/// (`events[3].leadId`) instead of a constraint error halfway through. Rows the caller cannot see
/// count as missing.
///
/// A reference to a merged account or contact (a tombstone, `merged_into_id` set) is refused the
/// same way, naming the live record it was merged into (`accountId: account ACC_B was merged into
/// ACC_A`): a tombstone receives nothing new — no contact, opportunity, activity, tag or
/// conversion — and the caller, not the server, re-points its request (a silent redirect would
/// write somewhere the caller did not name). Every write that references an account or contact
/// goes through here, so this is the one place the rule lives.
#[derive(Default)]
pub struct Refs {
    wanted: Vec<(String, &'static str, &'static str, String)>,
}

impl Refs {
    pub fn add(&mut self, field: impl Into<String>, table: &'static str, key: &'static str, id: Option<&str>) {
        if let Some(id) = id {
            self.wanted.push((field.into(), table, key, id.to_string()));
        }
    }

    /// A reference to a record of `E`, by its primary key.
    pub fn to<E: Catalogued>(&mut self, field: impl Into<String>, id: Option<&str>) {
        self.add(field, E::TABLE.name, E::TABLE.pk, id);
    }

    /// Adds another write's references (one check for many rows).
    pub fn extend(&mut self, other: Refs) {
        self.wanted.extend(other.wanted);
    }

    pub async fn check(self, db: &impl ConnectionTrait, access: &Access) -> AppResult<()> {
        let mut tables: Vec<(&'static str, &'static str)> = self.wanted.iter().map(|w| (w.1, w.2)).collect();
        tables.sort_unstable();
        tables.dedup();
        for (table, key) in tables {
            let wanted = || self.wanted.iter().filter(move |w| w.1 == table && w.2 == key);
            let mut ids: Vec<String> = wanted().map(|w| w.3.clone()).collect();
            ids.sort_unstable();
            ids.dedup();
            let merged_into = TOMBSTONE_TABLES.contains(&table).then_some("merged_into_id");
            let found: std::collections::HashMap<String, Option<String>> =
                crate::services::read::existing(db, access, table, key, &ids, merged_into).await?.into_iter().collect();
            if let Some((field, _, _, id)) = wanted().find(|w| !found.contains_key(&w.3)) {
                return Err(AppError::bad_input(format!("{field}: no {table} with id {id}")));
            }
            if let Some((field, _, _, id)) = wanted().find(|w| found.get(&w.3).is_some_and(Option::is_some)) {
                let live = survivor_of(db, table, id).await?;
                let into = live.as_ref().or(found[id].as_ref()).cloned().unwrap_or_default();
                return Err(AppError::bad_input(format!("{field}: {table} {id} was merged into {into}")));
            }
        }
        Ok(())
    }
}

/// Tables whose records a merge turns into tombstones (`merged_into_id`, migration 3).
pub const TOMBSTONE_TABLES: &[&str] = &[ACCOUNT.name, CONTACT.name];
const ACCOUNT: Table = <entity::account::Entity as Catalogued>::TABLE;
const CONTACT: Table = <entity::contact::Entity as Catalogued>::TABLE;

/// The live record the tombstone `id` of `table` (one of [`TOMBSTONE_TABLES`]) was merged into.
async fn survivor_of(db: &impl ConnectionTrait, table: &str, id: &str) -> AppResult<Option<String>> {
    let ids = [id.to_string()];
    let mut live = match table {
        t if t == ACCOUNT.name => repo::merge::survivors::<entity::account::Entity>(db, &ids).await?,
        t if t == CONTACT.name => repo::merge::survivors::<entity::contact::Entity>(db, &ids).await?,
        _ => return Ok(None),
    };
    Ok(live.remove(id))
}

/// A partner token writes only into its own channels, and must say which (a row without a
/// channel would be invisible to it at once).
pub fn channel_for(actor: &Actor, field: &str, channel_id: Option<String>) -> AppResult<Option<String>> {
    let Some(allowed) = &actor.principal.channels else { return Ok(channel_id) };
    match channel_id {
        None => Err(AppError::bad_input(format!("{field} is required for a channel-restricted token"))),
        Some(c) if !allowed.contains(&c) => {
            Err(AppError::Forbidden(format!("{field}: this token may not write to channel {c}")))
        }
        Some(c) => Ok(Some(c)),
    }
}

/// A record the caller may see, or `NOT_FOUND` (also for rows its access hides, so a partner
/// cannot tell a forbidden row from a missing one).
pub async fn visible<M: sea_orm::FromQueryResult>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    table: crate::repo::page::Table,
    id: &str,
) -> AppResult<M> {
    let mut rows = crate::services::read::find_by::<M>(db, &actor.access, table, table.pk, &[id.to_string()]).await?;
    rows.pop().map(|(_, m)| m).ok_or_else(|| AppError::NotFound(format!("{} {id}", table.name)))
}

/// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken before
/// the first read, so a read-then-write workflow waits for a concurrent writer (busy timeout)
/// instead of failing when its read snapshot goes stale. PostgreSQL ignores the option, and so
/// does a nested transaction (a savepoint of one already holding the lock).
pub async fn begin_write(
    db: &impl sea_orm::TransactionTrait<Transaction = sea_orm::DatabaseTransaction>,
) -> AppResult<sea_orm::DatabaseTransaction> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions};
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(db.begin_with_options(options).await?)
}
