//! Relay connections for every entity: `XConnection { edges { cursor node } nodes pageInfo
//! totalCount }`, keyset-paged. `totalCount` runs its COUNT only when selected (batched per
//! parent for nested lists).

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject, TypeName};

use super::GqlState;
use super::errors::{GqlResult, OrGql};
use super::loaders::{self, NestedSpec};
use super::resource::{FilterInput, OrderInput, Resource};
use crate::error::{AppError, AppResult};
use crate::repo::filter::Filter;
use crate::repo::page::{Link, Order, Page, Slice};
use crate::services::read::{self, Access};

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 500;

/// Complexity of a list field: its children cost once per requested row.
pub fn list_complexity(child: usize, first: Option<i32>, last: Option<i32>) -> usize {
    let n = first.or(last).unwrap_or(DEFAULT_PAGE_SIZE as i32).clamp(1, MAX_PAGE_SIZE as i32);
    1 + n as usize * child.max(1)
}

/// Relay paging arguments as received.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

fn size(name: &str, n: i32) -> AppResult<u64> {
    if n < 0 {
        return Err(AppError::bad_input(format!("{name} must not be negative")));
    }
    if n as u64 > MAX_PAGE_SIZE {
        return Err(AppError::bad_input(format!("{name} must be at most {MAX_PAGE_SIZE}")));
    }
    Ok(n as u64)
}

impl PageArgs {
    pub fn to_slice(&self, state: &GqlState, order: &Order) -> AppResult<Slice> {
        let (limit, backward) = match (self.first, self.last) {
            (Some(_), Some(_)) => return Err(AppError::bad_input("pass either first or last, not both")),
            (Some(n), None) => (size("first", n)?, false),
            (None, Some(n)) => (size("last", n)?, true),
            // `before` alone reads backwards, like `last`.
            (None, None) => (DEFAULT_PAGE_SIZE, self.before.is_some() && self.after.is_none()),
        };
        let decode = |c: &Option<String>| c.as_deref().map(|c| state.cursors.decode(order, c)).transpose();
        Ok(Slice { limit, backward, after: decode(&self.after)?, before: decode(&self.before)? })
    }
}

#[derive(SimpleObject, Clone, Debug, Default)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

enum Total {
    Top(Option<Filter>),
    Nested { spec: Arc<NestedSpec>, parent: String },
    Zero,
}

pub struct Connection<R: Resource> {
    edges: Vec<(String, R::Model)>,
    page_info: PageInfo,
    total: Total,
}

pub struct Edge<R: Resource> {
    cursor: String,
    node: R::Model,
}

impl<R: Resource> TypeName for Connection<R> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", R::NAME).into()
    }
}

impl<R: Resource> TypeName for Edge<R> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", R::NAME).into()
    }
}

#[Object(name_type)]
impl<R: Resource> Edge<R> {
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    async fn node(&self) -> R {
        R::wrap(self.node.clone())
    }
}

#[Object(name_type)]
impl<R: Resource> Connection<R> {
    async fn edges(&self) -> Vec<Edge<R>> {
        self.edges.iter().map(|(cursor, node)| Edge { cursor: cursor.clone(), node: node.clone() }).collect()
    }
    async fn nodes(&self) -> Vec<R> {
        self.edges.iter().map(|(_, m)| R::wrap(m.clone())).collect()
    }
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// Number of records matching the filter (ignores paging). Counted only when selected.
    async fn total_count(&self, ctx: &Context<'_>) -> GqlResult<u64> {
        match &self.total {
            Total::Zero => Ok(0),
            Total::Top(filter) => {
                let state = ctx.data::<Arc<GqlState>>()?;
                read::count(&state.db, ctx.data::<Access>()?, R::TABLE, filter.as_ref()).await.gql()
            }
            Total::Nested { spec, parent } => loaders::count::<R>(ctx, spec.clone(), parent.clone()).await,
        }
    }
}

pub(super) fn parse<R: Resource>(
    state: &GqlState,
    filter: Option<R::Filter>,
    order_by: Option<R::OrderBy>,
    args: &PageArgs,
) -> AppResult<(Option<Filter>, Order, Slice)> {
    let filter = match filter {
        Some(f) => f.compile(&state.pii)?,
        None => None,
    };
    let order = order_by.map(|o| o.to_order()).unwrap_or_else(R::default_order);
    let slice = args.to_slice(state, &order)?;
    Ok((filter, order, slice))
}

fn build<R: Resource>(
    state: &GqlState,
    order: &Order,
    slice: &Slice,
    page: Page<R::Model>,
    total: Total,
) -> Connection<R> {
    let edges: Vec<(String, R::Model)> = page
        .rows
        .into_iter()
        .map(|m| (state.cursors.encode(order, &R::column_value(&m, order.col), R::id_of(&m)), m))
        .collect();
    let (has_next_page, has_previous_page) =
        if slice.backward { (slice.before.is_some(), page.has_more) } else { (page.has_more, slice.after.is_some()) };
    let page_info = PageInfo {
        has_next_page,
        has_previous_page,
        start_cursor: edges.first().map(|e| e.0.clone()),
        end_cursor: edges.last().map(|e| e.0.clone()),
    };
    Connection { edges, page_info, total }
}

/// A root list field.
pub async fn top<R: Resource>(
    ctx: &Context<'_>,
    filter: Option<R::Filter>,
    order_by: Option<R::OrderBy>,
    args: PageArgs,
) -> GqlResult<Connection<R>> {
    let state = ctx.data::<Arc<GqlState>>()?;
    let (filter, order, slice) = parse::<R>(state, filter, order_by, &args).gql()?;
    let access = ctx.data::<Access>()?;
    let page = read::page::<R::Model>(&state.db, access, R::TABLE, filter.as_ref(), order, &slice).await.gql()?;
    Ok(build(state, &order, &slice, page, Total::Top(filter)))
}

/// A to-many relation field: batched with its siblings into one statement per request level.
pub async fn nested<R: Resource>(
    ctx: &Context<'_>,
    link: Link,
    parent: Option<String>,
    filter: Option<R::Filter>,
    order_by: Option<R::OrderBy>,
    args: PageArgs,
) -> GqlResult<Connection<R>> {
    let state = ctx.data::<Arc<GqlState>>()?;
    let (filter, order, slice) = parse::<R>(state, filter, order_by, &args).gql()?;
    let Some(parent) = parent else {
        let empty = Page { rows: vec![], has_more: false };
        return Ok(build(state, &order, &slice, empty, Total::Zero));
    };
    let spec = Arc::new(NestedSpec::new(link, filter, order, slice.clone()));
    let page = loaders::page::<R>(ctx, spec.clone(), parent.clone()).await?;
    Ok(build(state, &order, &slice, page, Total::Nested { spec, parent }))
}
