//! Aggregates of any entity (`<many>Aggregate`, ARCHITECTURE.md "Aggregates"): checks what was
//! asked against the limits and the columns' kinds, joins the caller's row restrictions exactly as
//! lists do ([`Access::narrow`], and the visible rows of every to-one target a key is read
//! through), and turns the statement's rows into groups. The SQL is `repo::aggregate`.

use std::collections::HashMap;

use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::ConnectionTrait;

use super::read::Access;
use crate::domain::timezone::{BusinessZone, Period};
use crate::error::{AppError, AppResult};
use crate::repo::aggregate::{self as repo, Column, Datum, Join, Key, Kind, Sort, Spec};
use crate::repo::filter::{CmpOp, Filter};
use crate::repo::page::Table;

/// At most this many grouping keys.
pub const MAX_KEYS: usize = 3;
/// At most this many groups in one answer (`first`).
pub const MAX_GROUPS: i32 = 1000;
pub const DEFAULT_GROUPS: i32 = 100;
/// Fraction digits of an average (the exact quotient, rounded half away from zero).
pub const AVG_DIGITS: u32 = 6;

/// A to-one relation a key is read through: the own foreign key and the target table.
#[derive(Clone, Copy, Debug)]
pub struct Via {
    pub fk: &'static str,
    pub table: Table,
}

/// One grouping key as asked: its name in the answer, the column, the relation it is read through,
/// the date bucket.
#[derive(Clone, Debug)]
pub struct KeyRequest {
    pub name: String,
    pub column: Column,
    pub via: Option<Via>,
    pub bucket: Option<Period>,
}

/// A measure of each group (the count is always there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Measure {
    CountDistinct(Column),
    Sum(Column),
    Avg(Column),
    Min(Column),
    Max(Column),
}

#[derive(Clone, Debug)]
pub struct Request {
    pub table: Table,
    pub filter: Option<Filter>,
    pub keys: Vec<KeyRequest>,
    pub measures: Vec<Measure>,
    /// `count <op> value`, all of them.
    pub having: Vec<(CmpOp, i64)>,
    pub order: Vec<(Sort, bool)>,
    pub first: Option<i32>,
    pub zone: BusinessZone,
}

/// One group: its keys by name (in `groupBy` order), its row count and the measures asked for.
#[derive(Clone, Debug)]
pub struct Group {
    pub keys: Vec<(String, Datum)>,
    pub count: i64,
    values: HashMap<Measure, Datum>,
}

impl Group {
    /// A measure's value; `None` when it was not asked for (`Datum::Null` when it has no value).
    pub fn value(&self, m: Measure) -> Option<&Datum> {
        self.values.get(&m)
    }
}

fn check(req: &Request) -> AppResult<()> {
    let bad = |m: String| Err(AppError::bad_input(m));
    if req.keys.len() > MAX_KEYS {
        return bad(format!("groupBy: {} keys; at most {MAX_KEYS}", req.keys.len()));
    }
    if let Some(first) = req.first
        && !(1..=MAX_GROUPS).contains(&first)
    {
        return bad(format!("first must be between 1 and {MAX_GROUPS} (groups), not {first}"));
    }
    for (i, k) in req.keys.iter().enumerate() {
        if req.keys[..i].iter().any(|o| o.name == k.name) {
            return bad(format!("groupBy: {} is given twice", k.name));
        }
        if k.column.kind == Kind::Other {
            return bad(format!("groupBy: {} cannot be grouped (a JSON column)", k.name));
        }
        if let Some(period) = k.bucket
            && !k.column.kind.is_temporal()
        {
            let period = period.name().to_uppercase();
            return bad(format!(
                "groupBy: a {period} bucket needs a date or date-time field, and {} is neither",
                k.name
            ));
        }
    }
    for m in &req.measures {
        let (what, c, ok) = match *m {
            Measure::CountDistinct(c) => ("countDistinct", c, c.kind != Kind::Other),
            Measure::Sum(c) => ("sum", c, c.kind.is_numeric()),
            Measure::Avg(c) => ("avg", c, c.kind.is_numeric()),
            Measure::Min(c) => ("min", c, c.kind.is_numeric() || c.kind.is_temporal()),
            Measure::Max(c) => ("max", c, c.kind.is_numeric() || c.kind.is_temporal()),
        };
        if !ok {
            let needs = match what {
                "sum" | "avg" => "a numeric field",
                "min" | "max" => "a numeric, date or date-time field",
                _ => "a field that is not JSON",
            };
            return bad(format!("{what}: {} is not {needs}", c.name));
        }
    }
    for (sort, _) in &req.order {
        if let Sort::Key(i) = sort
            && *i >= req.keys.len()
        {
            return bad(format!("orderBy: key {i} is not one of the {} groupBy keys", req.keys.len()));
        }
    }
    Ok(())
}

/// The statement's measures for the asked ones (an average is a sum and a count of values).
fn primitives(m: Measure) -> Vec<repo::Measure> {
    match m {
        Measure::CountDistinct(c) => vec![repo::Measure::CountDistinct(c)],
        Measure::Sum(c) => vec![repo::Measure::Sum(c)],
        Measure::Avg(c) => vec![repo::Measure::Sum(c), repo::Measure::CountOf(c)],
        Measure::Min(c) => vec![repo::Measure::Min(c)],
        Measure::Max(c) => vec![repo::Measure::Max(c)],
    }
}

/// The exact average of a sum over `n` values, rounded to [`AVG_DIGITS`] (NULL over no values).
fn average(sum: &Datum, n: &Datum) -> Datum {
    let sum = match sum {
        Datum::Int(i) => Decimal::from(*i),
        Datum::Decimal(d) => *d,
        _ => return Datum::Null,
    };
    match n {
        Datum::Int(n) if *n > 0 => sum.checked_div(Decimal::from(*n)).map_or(Datum::Null, |q| {
            Datum::Decimal(q.round_dp_with_strategy(AVG_DIGITS, RoundingStrategy::MidpointAwayFromZero).normalize())
        }),
        _ => Datum::Null,
    }
}

/// The groups of `req` as `access` sees the rows: one statement.
pub async fn groups(db: &impl ConnectionTrait, access: &Access, req: Request) -> AppResult<Vec<Group>> {
    check(&req)?;
    let mut measures: Vec<Measure> = Vec::new();
    for m in &req.measures {
        if !measures.contains(m) {
            measures.push(*m);
        }
    }
    let mut wanted: Vec<repo::Measure> = Vec::new();
    for p in measures.iter().flat_map(|m| primitives(*m)) {
        if !wanted.contains(&p) {
            wanted.push(p);
        }
    }
    let offset = req.zone.offset_seconds();
    let spec = Spec {
        table: req.table,
        filter: access.narrow(req.table.name, req.filter.as_ref()),
        keys: req
            .keys
            .iter()
            .map(|k| Key {
                column: k.column,
                join: k.via.map(|v| Join { fk: v.fk, table: v.table, visible: access.rows(v.table.name) }),
                bucket: k.bucket.map(|p| (p, offset)),
            })
            .collect(),
        measures: wanted.clone(),
        having: req.having.clone(),
        order: req.order.clone(),
        limit: req.first.unwrap_or(DEFAULT_GROUPS) as u64,
    };
    let rows = repo::groups(db, &spec).await?;
    let at = |p: repo::Measure| wanted.iter().position(|w| *w == p).expect("every primitive is selected");
    Ok(rows
        .into_iter()
        .map(|row| {
            let values = measures
                .iter()
                .map(|m| {
                    let v = match *m {
                        Measure::Avg(c) => average(
                            &row.measures[at(repo::Measure::Sum(c))],
                            &row.measures[at(repo::Measure::CountOf(c))],
                        ),
                        other => row.measures[at(primitives(other)[0])].clone(),
                    };
                    (*m, v)
                })
                .collect();
            Group { keys: req.keys.iter().map(|k| k.name.clone()).zip(row.keys).collect(), count: row.count, values }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_average_is_the_exact_quotient_rounded_half_away_from_zero() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(average(&Datum::Decimal(d("0.30")), &Datum::Int(3)), Datum::Decimal(d("0.1")));
        assert_eq!(average(&Datum::Int(2), &Datum::Int(3)), Datum::Decimal(d("0.666667")));
        assert_eq!(average(&Datum::Null, &Datum::Int(0)), Datum::Null);
    }
}
