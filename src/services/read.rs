//! Reads of any entity, with the principal's row restrictions joined into every statement — lists,
//! lookups by id (`x(id:)`, `node`, to-one relations), nested lists, counts and the subqueries of
//! relation filters — so a restricted principal cannot tell a forbidden row from a missing one.
//! The GraphQL layer reads only through here, never through the repo directly.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Value};

use crate::auth::Principal;
use crate::catalog::{self, ChannelScope};
use crate::db::KeptConnections;
use crate::error::AppResult;
use crate::metrics::Metrics;
use crate::repo::filter::Filter;
use crate::repo::json;
use crate::repo::page::{self as repo, Link, Order, Page, Slice, Table};

/// What one principal may read.
#[derive(Clone, Debug)]
pub struct Access {
    /// `Some`: a partner token's `channels` claim — only rows of these channels (and what hangs off
    /// them) of the channel-bound tables are visible. `None`: no row restriction.
    channels: Option<Arc<Vec<String>>>,
}

impl Access {
    pub fn for_principal(principal: &Principal) -> Access {
        Access { channels: principal.channels.as_ref().map(|c| Arc::new(c.iter().cloned().collect())) }
    }

    /// Equal for two accesses exactly when they see the same rows: subscribers with equal
    /// fingerprints may share a read (`graphql::fanout`).
    pub fn fingerprint(&self) -> Arc<str> {
        match &self.channels {
            None => Arc::from("*"),
            Some(channels) => {
                let mut sorted: Vec<&str> = channels.iter().map(String::as_str).collect();
                sorted.sort_unstable();
                sorted.dedup();
                Arc::from(format!("channels:{}", sorted.join(",")))
            }
        }
    }

    /// For internal jobs and tools that act for the system, not for a caller.
    pub fn unrestricted() -> Access {
        Access { channels: None }
    }

    fn in_channels(channels: &[String]) -> Filter {
        Filter::In {
            col: catalog::CHANNEL_COLUMN,
            values: channels.iter().cloned().map(Value::from).collect(),
            negated: false,
        }
    }

    /// The rows of `table` this access may see (None: all of them), from the table's channel scope
    /// in the catalogue — the same fact the writes check.
    pub(crate) fn rows(&self, table: &str) -> Option<Filter> {
        let channels = self.channels.as_deref()?;
        match catalog::of(table).channel {
            ChannelScope::Unbound => None,
            ChannelScope::Own => Some(Self::in_channels(channels)),
            ChannelScope::Via { col, parent } => Some(Filter::Related {
                col,
                table: parent.name,
                key: parent.pk,
                filter: Box::new(Self::in_channels(channels)),
            }),
        }
    }

    /// The caller's filter with every relation subquery narrowed to visible rows (so filtering
    /// through a relation cannot probe forbidden rows), AND the table's own restriction.
    pub(crate) fn narrow(&self, table: &str, filter: Option<&Filter>) -> Option<Filter> {
        if self.channels.is_none() {
            return filter.cloned();
        }
        let user = filter.map(|f| self.narrow_relations(f));
        Filter::all(user.into_iter().chain(self.rows(table)).collect())
    }

    fn narrow_relations(&self, f: &Filter) -> Filter {
        match f {
            Filter::Related { col, table, key, filter } => Filter::Related {
                col,
                table,
                key,
                filter: Box::new(
                    Filter::all(std::iter::once(self.narrow_relations(filter)).chain(self.rows(table)).collect())
                        .unwrap_or(Filter::And(vec![])),
                ),
            },
            Filter::And(parts) => Filter::And(parts.iter().map(|p| self.narrow_relations(p)).collect()),
            Filter::Or(parts) => Filter::Or(parts.iter().map(|p| self.narrow_relations(p)).collect()),
            Filter::Not(inner) => Filter::Not(Box::new(self.narrow_relations(inner))),
            other => other.clone(),
        }
    }
}

pub async fn page<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    access: &Access,
    table: Table,
    filter: Option<&Filter>,
    order: Order,
    slice: &Slice,
) -> AppResult<Page<M>> {
    repo::page(db, table, access.narrow(table.name, filter).as_ref(), order, slice).await
}

#[allow(clippy::too_many_arguments)]
pub async fn page_per_parent<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    access: &Access,
    table: Table,
    link: Link,
    parents: &[String],
    filter: Option<&Filter>,
    order: Order,
    slice: &Slice,
) -> AppResult<HashMap<String, Page<M>>> {
    repo::page_per_parent(db, table, link, parents, access.narrow(table.name, filter).as_ref(), order, slice).await
}

pub async fn find_by<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    access: &Access,
    table: Table,
    key_col: &'static str,
    keys: &[String],
) -> AppResult<Vec<(String, M)>> {
    repo::find_by(db, table, key_col, keys, access.narrow(table.name, None).as_ref()).await
}

/// Which of `ids` exist in `table` and are visible to `access` (for reference checks on writes: a
/// row the caller cannot see is as absent as a missing one), each with the value of the text
/// column `also` when asked (`merged_into_id`: is the record a tombstone?).
pub async fn existing(
    db: &impl ConnectionTrait,
    access: &Access,
    table: &str,
    key: &str,
    ids: &[String],
    also: Option<&str>,
) -> AppResult<Vec<(String, Option<String>)>> {
    crate::repo::write::existing_with(db, table, key, ids, access.narrow(table, None).as_ref(), also).await
}

pub async fn count(
    db: &impl ConnectionTrait,
    access: &Access,
    table: Table,
    filter: Option<&Filter>,
) -> AppResult<u64> {
    repo::count(db, table, access.narrow(table.name, filter).as_ref()).await
}

pub async fn count_per_parent(
    db: &impl ConnectionTrait,
    access: &Access,
    table: Table,
    link: Link,
    parents: &[String],
    filter: Option<&Filter>,
) -> AppResult<HashMap<String, u64>> {
    repo::count_per_parent(db, table, link, parents, access.narrow(table.name, filter).as_ref()).await
}

/// One root field of a query as one statement whose JSON the database builds
/// (`repo::json`): every row set of the tree — the root's, each to-one lookup's, each nested
/// connection's and each polymorphic arm's — gets this access's restriction through the same
/// [`Access::narrow`] the resolvers' reads use, so the two paths cannot disagree on what a
/// principal sees.
pub async fn compiled(
    db: &DatabaseConnection,
    kept: &KeptConnections,
    metrics: &Metrics,
    access: &Access,
    root: &mut json::Root,
) -> AppResult<String> {
    root.rows_mut(&mut |rows| rows.filter = access.narrow(rows.table.name, rows.filter.as_ref()));
    json::fetch(db, kept, metrics, root).await
}
