//! Grouped aggregates of one table (ARCHITECTURE.md, "Aggregates"): one statement
//! `SELECT keys, COUNT(*), measures FROM table [LEFT JOIN to-one targets] WHERE filter
//! GROUP BY keys HAVING … ORDER BY … LIMIT n`, the same on PostgreSQL and SQLite apart from the
//! few expressions below.
//!
//! - Exact decimals on both backends: PostgreSQL sums `numeric`; SQLite stores decimals as REAL, so
//!   every decimal is read (and summed, grouped, compared) in its smallest unit,
//!   `CAST(ROUND(col * 10^scale) AS INTEGER)`, and scaled back with `rust_decimal`.
//! - Date buckets shift the instant by the zone's fixed offset (`domain/timezone.rs`), then cut it
//!   to its day, ISO week (Monday), month or quarter; SQLite's instants are RFC 3339 text, which
//!   its date functions read with the offset. The offset and the unit are spliced as literals
//!   (from closed lists, never from the client) so that the key is one expression.
//! - Keys are grouped and ordered by position (`GROUP BY 1, 2`), NULLs last on both backends.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{
    Alias, Asterisk, Cond, Expr, ExprTrait, Func, JoinType, NullOrdering, Order as SqlOrder, Query, SelectStatement,
};
use sea_orm::{ColumnTrait, ColumnType, ConnectionTrait, DbBackend, QueryResult};

use super::filter::{CmpOp, Filter, col, condition};
use super::json::tpl;
use super::page::{Table, and, filtered};
use crate::domain::timezone::Period;
use crate::error::AppResult;

/// How a column's values are read and combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Text,
    Int,
    Decimal {
        scale: u32,
    },
    Bool,
    Instant,
    Date,
    /// JSON and anything else: neither grouped nor measured.
    Other,
}

impl Kind {
    pub fn is_numeric(self) -> bool {
        matches!(self, Kind::Int | Kind::Decimal { .. })
    }

    pub fn is_temporal(self) -> bool {
        matches!(self, Kind::Instant | Kind::Date)
    }
}

/// A column of an entity, as aggregates need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

impl Column {
    /// The column's kind from its SeaORM definition (enums are stored as text).
    pub fn of<C: ColumnTrait>(column: C) -> Column {
        let kind = match column.def().get_column_type() {
            ColumnType::Char(_) | ColumnType::String(_) | ColumnType::Text | ColumnType::Enum { .. } => Kind::Text,
            ColumnType::TinyInteger | ColumnType::SmallInteger | ColumnType::Integer | ColumnType::BigInteger => {
                Kind::Int
            }
            ColumnType::Decimal(Some((_, scale))) | ColumnType::Money(Some((_, scale))) => {
                Kind::Decimal { scale: *scale }
            }
            ColumnType::Boolean => Kind::Bool,
            // A zone-less timestamp would be bucketed from the session's zone on PostgreSQL: none
            // exists (every instant is `timestamptz`), and one added later is refused, not misread.
            ColumnType::TimestampWithTimeZone => Kind::Instant,
            ColumnType::Date => Kind::Date,
            _ => Kind::Other,
        };
        Column { name: column.as_str(), kind }
    }
}

/// A to-one relation a key is read through: `LEFT JOIN table ON table.pk = <own fk>`, restricted to
/// the target rows the caller may see (`visible`), so a hidden target is a NULL key, as it is a
/// null relation in lists.
#[derive(Clone, Debug)]
pub struct Join {
    pub fk: &'static str,
    pub table: Table,
    pub visible: Option<Filter>,
}

/// One grouping key: a column of the table or of a to-one target, optionally cut into date buckets
/// (`offset_seconds`: the business zone's offset east of UTC).
#[derive(Clone, Debug)]
pub struct Key {
    pub column: Column,
    pub join: Option<Join>,
    pub bucket: Option<(Period, i32)>,
}

/// A measure the statement computes per group (besides `COUNT(*)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Measure {
    /// `COUNT(col)`: the non-NULL values.
    CountOf(Column),
    CountDistinct(Column),
    Sum(Column),
    Min(Column),
    Max(Column),
}

/// What the groups are ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Count,
    Key(usize),
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub table: Table,
    pub filter: Option<Filter>,
    pub keys: Vec<Key>,
    pub measures: Vec<Measure>,
    /// `HAVING COUNT(*) <op> value`, all of them.
    pub having: Vec<(CmpOp, i64)>,
    /// `(sort, descending)`, then every key ascending (ties are ordered by the keys).
    pub order: Vec<(Sort, bool)>,
    pub limit: u64,
}

/// A value read from a group.
#[derive(Clone, Debug, PartialEq)]
pub enum Datum {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    Decimal(Decimal),
    Instant(DateTime<Utc>),
    Date(NaiveDate),
}

/// One group: its keys in `Spec::keys` order, its row count, its measures in `Spec::measures` order.
#[derive(Clone, Debug)]
pub struct Row {
    pub keys: Vec<Datum>,
    pub count: i64,
    pub measures: Vec<Datum>,
}

fn joined_alias(i: usize) -> String {
    format!("__k{i}")
}

/// `template` with every `{}` standing for `v`.
fn with(backend: DbBackend, template: &str, v: Expr) -> Expr {
    let n = template.matches("{}").count();
    tpl(backend == DbBackend::Postgres, template, vec![v; n])
}

/// A decimal in its smallest unit (SQLite, where it is a REAL).
fn scaled(v: Expr, scale: u32) -> Expr {
    with(DbBackend::Sqlite, &format!("CAST(ROUND({{}} * {}) AS INTEGER)", 10i64.pow(scale)), v)
}

/// `v` as the statement reads it: integers as BIGINT (sqlx decodes a PostgreSQL `int4` only as
/// `i32`), decimals in their smallest unit on SQLite.
fn readable(backend: DbBackend, kind: Kind, v: Expr) -> Expr {
    match (kind, backend) {
        (Kind::Int, DbBackend::Postgres) => with(backend, "CAST({} AS BIGINT)", v),
        (Kind::Decimal { scale }, DbBackend::Sqlite) => scaled(v, scale),
        _ => v,
    }
}

/// The first day of the bucket of `v` (an instant shifted by `offset` seconds, or a date) as a date.
fn bucket(backend: DbBackend, kind: Kind, period: Period, offset: i32, v: Expr) -> Expr {
    let instant = kind == Kind::Instant;
    if backend == DbBackend::Postgres {
        let unit = period.name();
        // `AT TIME ZONE 'UTC'` gives the UTC wall time whatever the session's zone; PostgreSQL's
        // weeks are ISO weeks (Monday).
        let local = if instant {
            format!("{{}} AT TIME ZONE 'UTC' + interval '{offset} seconds'")
        } else {
            "CAST({} AS timestamp)".to_string()
        };
        return with(backend, &format!("CAST(date_trunc('{unit}', {local}) AS date)"), v);
    }
    // SQLite reads `2026-12-03T16:00:00+00:00` (the offset included) and shifts with a modifier.
    let day = if instant { format!("date({{}}, '{offset:+} seconds')") } else { "date({})".to_string() };
    let sql = match period {
        Period::Day => day,
        // Back six days, then forward to the next Monday (`weekday 1`): the Monday on or before.
        Period::Week => format!("date({day}, '-6 days', 'weekday 1')"),
        Period::Month => format!("date({day}, 'start of month')"),
        Period::Quarter => format!(
            "date({day}, 'start of month', printf('-%d months', (CAST(strftime('%m', {day}) AS INTEGER) - 1) % 3))"
        ),
    };
    with(backend, &sql, v)
}

fn key_expr(backend: DbBackend, table: &Table, i: usize, key: &Key) -> Expr {
    let at = if key.join.is_some() { joined_alias(i) } else { table.name.to_string() };
    let v = col(&at, key.column.name);
    match key.bucket {
        Some((period, offset)) => bucket(backend, key.column.kind, period, offset, v),
        None => readable(backend, key.column.kind, v),
    }
}

fn measure_expr(backend: DbBackend, table: &Table, m: Measure) -> Expr {
    let c = |c: Column| col(table.name, c.name);
    match m {
        Measure::CountOf(x) => Func::count(c(x)).into(),
        Measure::CountDistinct(x) => Func::count_distinct(c(x)).into(),
        // An integer sum is BIGINT on PostgreSQL already; a decimal one `numeric`.
        Measure::Sum(x) => match (x.kind, backend) {
            (Kind::Decimal { scale }, DbBackend::Sqlite) => Func::sum(scaled(c(x), scale)).into(),
            _ => Func::sum(c(x)).into(),
        },
        // PostgreSQL casts the result (an `int4` MIN is `int4`), SQLite scales the values.
        Measure::Min(x) | Measure::Max(x) => {
            let of = |v: Expr| -> Expr {
                if matches!(m, Measure::Min(_)) { Func::min(v).into() } else { Func::max(v).into() }
            };
            match backend {
                DbBackend::Postgres => readable(backend, x.kind, of(c(x))),
                _ => of(readable(backend, x.kind, c(x))),
            }
        }
    }
}

/// The statement of `spec`: keys `k0…`, the count `n`, measures `m0…`.
pub fn statement(backend: DbBackend, spec: &Spec) -> SelectStatement {
    let table = &spec.table;
    let mut q = Query::select();
    q.from(Alias::new(table.name));
    for (i, key) in spec.keys.iter().enumerate() {
        q.expr_as(key_expr(backend, table, i, key), Alias::new(format!("k{i}")));
        if let Some(join) = &key.join {
            let alias = joined_alias(i);
            let mut on = Cond::all().add(
                Expr::col((Alias::new(&alias), Alias::new(join.table.pk)))
                    .equals((Alias::new(table.name), Alias::new(join.fk))),
            );
            if let Some(visible) = &join.visible {
                on = on.add(condition(&alias, visible));
            }
            q.join_as(JoinType::LeftJoin, Alias::new(join.table.name), Alias::new(&alias), on);
        }
    }
    let count = || -> Expr { Func::count(Expr::col(Asterisk)).into() };
    q.expr_as(count(), Alias::new("n"));
    for (i, m) in spec.measures.iter().enumerate() {
        q.expr_as(measure_expr(backend, table, *m), Alias::new(format!("m{i}")));
    }
    and(&mut q, filtered(table, spec.filter.as_ref()));
    let position = |p: usize| Expr::cust(p.to_string());
    for i in 0..spec.keys.len() {
        q.add_group_by([position(i + 1)]);
    }
    for (op, v) in &spec.having {
        let v = Expr::val(*v);
        q.and_having(match op {
            CmpOp::Eq => count().eq(v),
            CmpOp::Ne => count().ne(v),
            CmpOp::Lt => count().lt(v),
            CmpOp::Lte => count().lte(v),
            CmpOp::Gt => count().gt(v),
            CmpOp::Gte => count().gte(v),
        });
    }
    let direction = |desc: bool| if desc { SqlOrder::Desc } else { SqlOrder::Asc };
    for (sort, desc) in &spec.order {
        let p = match sort {
            Sort::Count => spec.keys.len() + 1,
            Sort::Key(i) => i + 1,
        };
        q.order_by_expr_with_nulls(position(p), direction(*desc), NullOrdering::Last);
    }
    for i in 0..spec.keys.len() {
        q.order_by_expr_with_nulls(position(i + 1), SqlOrder::Asc, NullOrdering::Last);
    }
    q.limit(spec.limit);
    q
}

fn datum(backend: DbBackend, row: &QueryResult, alias: &str, kind: Kind, bucketed: bool) -> AppResult<Datum> {
    fn or_null<T>(v: Option<T>, f: impl FnOnce(T) -> Datum) -> Datum {
        v.map_or(Datum::Null, f)
    }
    Ok(match kind {
        _ if bucketed => match backend {
            DbBackend::Postgres => or_null(row.try_get::<Option<NaiveDate>>("", alias)?, Datum::Date),
            _ => or_null(row.try_get::<Option<String>>("", alias)?, |s| {
                NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_or(Datum::Null, Datum::Date)
            }),
        },
        Kind::Text | Kind::Other => or_null(row.try_get::<Option<String>>("", alias)?, Datum::Text),
        Kind::Int => or_null(row.try_get::<Option<i64>>("", alias)?, Datum::Int),
        Kind::Bool => or_null(row.try_get::<Option<bool>>("", alias)?, Datum::Bool),
        Kind::Decimal { scale } => match backend {
            DbBackend::Postgres => or_null(row.try_get::<Option<Decimal>>("", alias)?, Datum::Decimal),
            _ => or_null(row.try_get::<Option<i64>>("", alias)?, |units| Datum::Decimal(Decimal::new(units, scale))),
        },
        Kind::Instant => or_null(row.try_get::<Option<DateTime<Utc>>>("", alias)?, Datum::Instant),
        Kind::Date => or_null(row.try_get::<Option<NaiveDate>>("", alias)?, Datum::Date),
    })
}

/// The groups of `spec`, in its order.
pub async fn groups(db: &impl ConnectionTrait, spec: &Spec) -> AppResult<Vec<Row>> {
    let backend = db.get_database_backend();
    let rows = db.query_all(&statement(backend, spec)).await?;
    rows.iter()
        .map(|row| {
            let keys = spec
                .keys
                .iter()
                .enumerate()
                .map(|(i, k)| datum(backend, row, &format!("k{i}"), k.column.kind, k.bucket.is_some()))
                .collect::<AppResult<Vec<_>>>()?;
            let measures = spec
                .measures
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let alias = format!("m{i}");
                    match m {
                        Measure::CountOf(_) | Measure::CountDistinct(_) => {
                            Ok(Datum::Int(row.try_get::<Option<i64>>("", &alias)?.unwrap_or(0)))
                        }
                        // An integer column's sum is an integer, a decimal column's a decimal.
                        Measure::Sum(c) | Measure::Min(c) | Measure::Max(c) => {
                            datum(backend, row, &alias, c.kind, false)
                        }
                    }
                })
                .collect::<AppResult<Vec<_>>>()?;
            Ok(Row { keys, count: row.try_get::<i64>("", "n")?, measures })
        })
        .collect()
}
