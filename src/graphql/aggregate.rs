//! The aggregates API (ARCHITECTURE.md, "Aggregates"): `<many>Aggregate(filter:, groupBy:,
//! having:, orderBy:, first:, timezone:)` on the query root for every entity, answering a list of
//! `XAggregateGroup { keys count countDistinct sum avg min max }`. `resource!` generates the
//! per-entity part (`XGroupBy`, `XAggregateGroup`, the [`Aggregated`] impl); this module holds the
//! generic part. It translates: the measures are read off the selection, so the one statement
//! computes exactly the measures asked for; `services::aggregate` decides and reads.

use std::sync::Arc;

use async_graphql::{Context, Enum, InputObject, InputType, OutputType};
use rust_decimal::Decimal;

use super::GqlState;
use super::errors::{GqlResult, OrGql};
use super::filters::OrderDirection;
use super::resource::{FilterInput, Resource};
use super::scalars::{Json, at_least_cents};
use crate::catalog::field_name;
use crate::domain::timezone::{BusinessZone, Period};
use crate::error::{AppError, AppResult};
use crate::repo::aggregate::{Column, Datum, Sort};
use crate::repo::filter::CmpOp;
use crate::services::aggregate::{self as service, Group, KeyRequest, Measure, Request, Via};
use crate::services::read::Access;

/// A calendar unit of a date bucket, cut in the business timezone (ISO weeks start on Monday).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DateBucket {
    Day,
    Week,
    Month,
    Quarter,
}

impl DateBucket {
    fn period(self) -> Period {
        match self {
            DateBucket::Day => Period::Day,
            DateBucket::Week => Period::Week,
            DateBucket::Month => Period::Month,
            DateBucket::Quarter => Period::Quarter,
        }
    }
}

/// Conditions on a group's row count (all must hold).
#[derive(InputObject, Clone, Debug, Default)]
pub struct CountFilter {
    pub eq: Option<i32>,
    pub ne: Option<i32>,
    pub gt: Option<i32>,
    pub gte: Option<i32>,
    pub lt: Option<i32>,
    pub lte: Option<i32>,
}

/// Which groups to keep, after grouping.
#[derive(InputObject, Clone, Debug, Default)]
pub struct AggregateHaving {
    pub count: Option<CountFilter>,
}

/// What groups are ordered by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AggregateSort {
    /// The group's row count.
    Count,
    /// The `groupBy` key at position `key` (0 = the first).
    Key,
}

/// One ordering of the groups; after all of them, ties are ordered by the keys ascending (NULLs
/// last).
#[derive(InputObject, Clone, Debug)]
pub struct AggregateOrderBy {
    pub by: AggregateSort,
    /// With `by: KEY`: the position of the key in `groupBy`.
    #[graphql(default)]
    pub key: i32,
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// A type's [`Aggregated::column_named`].
pub type ColumnNamed = fn(&str) -> Option<Column>;

/// An entity with aggregates: what `resource!` generates beside the object type.
pub trait Aggregated: Resource {
    /// The columns a key or a measure names (the entity's `XOrderField`).
    type Field: InputType + Copy;
    type GroupBy: InputType + GroupByInput<Self::Field>;
    type Group: OutputType + From<Group>;
    fn column(field: Self::Field) -> Column;
    /// A column by its API (camelCase) name, among the `XOrderField` columns.
    fn column_named(name: &str) -> Option<Column>;
    /// A to-one relation by its API field name: the foreign key, the target table, and the
    /// target's [`Aggregated::column_named`].
    fn to_one(name: &str) -> Option<(Via, ColumnNamed)>;
}

/// A `groupBy` item: `field` (a column of the entity) or `path` (`relation.field` through a to-one
/// relation), and an optional date `bucket`.
pub trait GroupByInput<F> {
    fn parts(&self) -> (Option<F>, Option<&str>, Option<DateBucket>);
}

/// The complexity of an aggregate field: its groups' fields once per group it may return.
pub fn complexity(child: usize, first: Option<i32>) -> usize {
    let n = first.unwrap_or(service::DEFAULT_GROUPS).clamp(1, service::MAX_GROUPS);
    1 + n as usize * child.max(1)
}

fn key<R: Aggregated>(g: &R::GroupBy) -> AppResult<KeyRequest> {
    let (field, path, bucket) = g.parts();
    let (name, column, via) = match (field, path) {
        (Some(f), None) => {
            let c = R::column(f);
            (field_name(c.name), c, None)
        }
        (None, Some(path)) => {
            let unknown = || {
                AppError::bad_input(format!(
                    "groupBy: path {path:?} is not `relation.field` with a to-one relation of {} and a sortable field of its target",
                    R::NAME
                ))
            };
            let (rel, target_field) = path.split_once('.').ok_or_else(unknown)?;
            let (via, lookup) = R::to_one(rel).ok_or_else(unknown)?;
            let c = lookup(target_field).ok_or_else(unknown)?;
            (path.to_string(), c, Some(via))
        }
        _ => return Err(AppError::bad_input("groupBy: give exactly one of `field` and `path` in each key")),
    };
    let name = match bucket {
        Some(b) => format!("{name}.{}", b.period().name()),
        None => name,
    };
    Ok(KeyRequest { name, column, via, bucket: bucket.map(DateBucket::period) })
}

/// The measures the selection asks for, with their `field` arguments (variables substituted).
fn asked<R: Aggregated>(ctx: &Context<'_>) -> GqlResult<Vec<Measure>> {
    let mut out = Vec::new();
    for f in ctx.field().selection_set() {
        let make: fn(Column) -> Measure = match f.name() {
            "countDistinct" => Measure::CountDistinct,
            "sum" => Measure::Sum,
            "avg" => Measure::Avg,
            "min" => Measure::Min,
            "max" => Measure::Max,
            _ => continue,
        };
        let args = f.arguments().map_err(|e| async_graphql::Error::new(e.message))?;
        let Some((_, value)) = args.into_iter().find(|(n, _)| n.as_str() == "field") else { continue };
        let field =
            <R::Field as InputType>::parse(Some(value)).map_err(|e| e.into_server_error(Default::default()).message);
        let field = field.map_err(AppError::bad_input).gql()?;
        out.push(make(R::column(field)));
    }
    Ok(out)
}

fn having(h: Option<AggregateHaving>) -> Vec<(CmpOp, i64)> {
    let Some(c) = h.and_then(|h| h.count) else { return vec![] };
    [
        (CmpOp::Eq, c.eq),
        (CmpOp::Ne, c.ne),
        (CmpOp::Gt, c.gt),
        (CmpOp::Gte, c.gte),
        (CmpOp::Lt, c.lt),
        (CmpOp::Lte, c.lte),
    ]
    .into_iter()
    .filter_map(|(op, v)| v.map(|v| (op, v as i64)))
    .collect()
}

fn order(o: Option<Vec<AggregateOrderBy>>) -> AppResult<Vec<(Sort, bool)>> {
    o.unwrap_or_default()
        .into_iter()
        .map(|o| {
            let sort = match o.by {
                AggregateSort::Count => Sort::Count,
                AggregateSort::Key => Sort::Key(
                    usize::try_from(o.key).map_err(|_| AppError::bad_input("orderBy: key must not be negative"))?,
                ),
            };
            Ok((sort, o.direction == OrderDirection::Desc))
        })
        .collect()
}

/// The root field `<many>Aggregate` of `R`.
#[allow(clippy::too_many_arguments)]
pub async fn groups<R: Aggregated>(
    ctx: &Context<'_>,
    filter: Option<R::Filter>,
    group_by: Option<Vec<R::GroupBy>>,
    having_: Option<AggregateHaving>,
    order_by: Option<Vec<AggregateOrderBy>>,
    first: Option<i32>,
    timezone: Option<String>,
) -> GqlResult<Vec<R::Group>> {
    let state = ctx.data::<Arc<GqlState>>()?;
    let access = ctx.data::<Access>()?;
    let filter = match filter {
        Some(f) => f.compile(&state.pii)?,
        None => None,
    };
    let zone = match timezone {
        Some(name) => BusinessZone::parse(&name).map_err(|m| AppError::bad_input(format!("timezone: {m}")))?,
        None => state.store.zone(),
    };
    let keys = group_by.unwrap_or_default().iter().map(key::<R>).collect::<AppResult<Vec<_>>>()?;
    let req = Request {
        table: R::TABLE,
        filter,
        keys,
        measures: asked::<R>(ctx)?,
        having: having(having_),
        order: order(order_by)?,
        first,
        zone,
    };
    let groups = service::groups(&state.db, access, req).await?;
    Ok(groups.into_iter().map(R::Group::from).collect())
}

fn json(d: &Datum) -> serde_json::Value {
    use serde_json::Value as J;
    match d {
        Datum::Null => J::Null,
        Datum::Text(s) => J::from(s.clone()),
        Datum::Int(i) => J::from(*i),
        Datum::Bool(b) => J::from(*b),
        Datum::Decimal(d) => J::from(at_least_cents(*d).to_string()),
        Datum::Instant(t) => J::from(t.to_rfc3339()),
        Datum::Date(d) => J::from(d.format("%Y-%m-%d").to_string()),
    }
}

fn value(group: &Group, m: Measure) -> GqlResult<&Datum> {
    group.value(m).ok_or_else(|| AppError::Internal(format!("aggregate measure {m:?} was not computed"))).gql()
}

/// The fields of `XAggregateGroup`, for the generated object to call.
pub struct Fields;

impl Fields {
    /// `{ "leadStatus": "NEW", "channel.channelType": "WECHAT", "createdAt.day": "2026-12-04" }`.
    pub fn keys(group: &Group) -> Json {
        Json(serde_json::Value::Object(group.keys.iter().map(|(k, v)| (k.clone(), json(v))).collect()))
    }

    pub fn count_distinct(group: &Group, c: Column) -> GqlResult<i64> {
        match value(group, Measure::CountDistinct(c))? {
            Datum::Int(n) => Ok(*n),
            _ => Ok(0),
        }
    }

    pub fn sum(group: &Group, c: Column) -> GqlResult<Option<Decimal>> {
        Ok(match value(group, Measure::Sum(c))? {
            Datum::Int(i) => Some(Decimal::from(*i)),
            Datum::Decimal(d) => Some(at_least_cents(*d)),
            _ => None,
        })
    }

    pub fn avg(group: &Group, c: Column) -> GqlResult<Option<Decimal>> {
        Ok(match value(group, Measure::Avg(c))? {
            Datum::Decimal(d) => Some(at_least_cents(*d)),
            _ => None,
        })
    }

    pub fn min(group: &Group, c: Column) -> GqlResult<Option<Json>> {
        Ok(match value(group, Measure::Min(c))? {
            Datum::Null => None,
            d => Some(Json(json(d))),
        })
    }

    pub fn max(group: &Group, c: Column) -> GqlResult<Option<Json>> {
        Ok(match value(group, Measure::Max(c))? {
            Datum::Null => None,
            d => Some(Json(json(d))),
        })
    }
}
