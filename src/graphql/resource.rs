//! The one generic mechanism behind every entity of the API. `Resource` says how a GraphQL object
//! wraps a SeaORM model, `Writable` how the generic mutations write it; the macros of
//! `resource_macros.rs` implement both for each entity of `model.rs`. Everything else (paging,
//! cursors, loaders, SQL) is generic code in `connection.rs`, `loaders.rs` and `repo/`, which
//! build on this module and not the other way round.

use std::sync::Arc;

use sea_orm::{FromQueryResult, Value};

use super::GqlState;
use super::errors::{GqlResult, OrGql};
use crate::auth::{Principal, Scope};

use crate::error::AppResult;
use crate::repo::filter::Filter;
use crate::repo::page::{Link, Order, Table};
use crate::services::crud::Draft;
use crate::services::pii::{Pii, PiiColumn};

pub trait Resource: async_graphql::OutputType + Send + Sync + Sized + 'static {
    type Model: FromQueryResult + Clone + Send + Sync + 'static;
    type Filter: FilterInput + async_graphql::InputType;
    type OrderBy: OrderInput + async_graphql::InputType;
    const NAME: &'static str;
    const TABLE: Table;
    const PREFIX: &'static str;
    /// The nested lists of this type's objects (its `to_many` registrations).
    const NESTED: &'static [Nested];
    fn wrap(model: Self::Model) -> Self;
    fn id_of(model: &Self::Model) -> &str;
    /// The value of an orderable column (for cursors).
    fn column_value(model: &Self::Model, col: &'static str) -> Value;
    /// What the compiled read path knows of this type (`planner`).
    fn plan() -> &'static super::planner::TypePlan;
    fn default_order() -> Order {
        Order::by_key(&Self::TABLE)
    }
}

/// A nested list field as registered: the GraphQL field (snake case), the listed table, and how
/// its rows hang off the parent.
#[derive(Clone, Copy, Debug)]
pub struct Nested {
    pub field: &'static str,
    pub table: Table,
    pub link: Link,
}

pub trait FilterInput {
    /// `pii` turns exact matches on encrypted columns into blind-index matches.
    fn to_filter(&self, pii: &Pii) -> AppResult<Option<Filter>>;

    /// The whole filter of a list argument, bounded in the values it binds: a statement cannot
    /// bind more than 65,535 parameters on PostgreSQL, and a filter needs nowhere near as many.
    fn compile(&self, pii: &Pii) -> AppResult<Option<Filter>> {
        let filter = self.to_filter(pii)?;
        let values = filter.as_ref().map_or(0, Filter::bound_values);
        if values > crate::repo::filter::MAX_BOUND_VALUES {
            return Err(crate::error::AppError::bad_input(format!(
                "filter: {values} values; at most {} in one filter",
                crate::repo::filter::MAX_BOUND_VALUES
            )));
        }
        Ok(filter)
    }
}

pub trait OrderInput {
    fn to_order(&self) -> Order;
}

/// A foreign-key column as a lookup key (nullable or not).
pub trait AsKey {
    fn as_key(&self) -> Option<String>;
}
impl AsKey for String {
    fn as_key(&self) -> Option<String> {
        Some(self.clone())
    }
}
impl AsKey for Option<String> {
    fn as_key(&self) -> Option<String> {
        self.clone()
    }
}

/// An encrypted column as the caller may see it: decrypted with the `pii` scope, masked without.
pub fn reveal(
    ctx: &async_graphql::Context<'_>,
    table: &str,
    col: PiiColumn,
    row_id: &str,
    stored: Option<&str>,
) -> GqlResult<Option<String>> {
    let Some(ciphertext) = stored else { return Ok(None) };
    let state = ctx.data::<Arc<GqlState>>()?;
    let unmasked = ctx.data_opt::<Principal>().is_some_and(|p| p.has(Scope::Pii));
    state.pii.reveal(table, col, row_id, ciphertext, unmasked).map(Some).gql()
}

/// An update input field into the draft: absent stays, `null` clears, a value sets.
pub fn patch(draft: &mut Draft, col: &'static str, v: async_graphql::MaybeUndefined<Value>, typed_null: Value) {
    match v {
        async_graphql::MaybeUndefined::Undefined => {}
        async_graphql::MaybeUndefined::Null => draft.clear(col, typed_null),
        async_graphql::MaybeUndefined::Value(value) => draft.set(col, value),
    }
}

/// An entity the generic mutations write (`createX`, `updateX`, `deleteX` and their bulk forms).
pub trait Writable: Resource {
    type Entity: crate::catalog::Catalogued<Model = Self::Model>;
    type Create: async_graphql::InputType;
    type Update: async_graphql::InputType;
    fn create_values(input: Self::Create) -> Draft;
    fn update_values(input: Self::Update) -> Draft;
}
