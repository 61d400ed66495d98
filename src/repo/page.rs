//! Generic reads over any table: keyset pages (never OFFSET), per-parent pages of nested lists in
//! one window-function statement, batched lookups by a column, and counts. Rows come back as the
//! table's SeaORM model (`FromQueryResult`), so one implementation serves all entities.

use std::collections::HashMap;

use sea_orm::sea_query::{
    Alias, Asterisk, Cond, Condition, Expr, ExprTrait, Func, Order as SqlOrder, OverStatement, Query, SelectStatement,
    WindowStatement,
};
use sea_orm::{ConnectionTrait, FromQueryResult, QueryResult, Value};

use super::filter::{Filter, col, condition};
use crate::error::AppResult;

/// A table as the generic reads see it.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub name: &'static str,
    pub pk: &'static str,
}

/// Sort column and direction; the primary key is always the tie-breaker, NULLs always sort last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Order {
    pub col: &'static str,
    pub desc: bool,
}

/// A position in a sorted list: the sort column's value and the row id.
#[derive(Clone, Debug, PartialEq)]
pub struct Cursor {
    pub value: Value,
    pub id: String,
}

/// Which slice of the sorted list to read. `backward` reads the last `limit` rows before `before`
/// (Relay `last`), otherwise the first `limit` rows after `after` (Relay `first`).
#[derive(Clone, Debug)]
pub struct Slice {
    pub limit: u64,
    pub backward: bool,
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
}

/// Rows of one page in display order, and whether more rows lie beyond it in the reading direction.
#[derive(Clone, Debug)]
pub struct Page<M> {
    pub rows: Vec<M>,
    pub has_more: bool,
}

/// How a nested list hangs off its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Link {
    /// `target.col = parent key`, optionally only rows whose discriminator column has a fixed value
    /// (polymorphic references: `entity_type = 'ACCOUNT'`).
    Fk { col: &'static str, discriminator: Option<(&'static str, &'static str)> },
    /// Through a relation table: `via.parent = parent key AND via.child = target.pk`.
    Via {
        table: &'static str,
        parent: &'static str,
        child: &'static str,
        discriminator: Option<(&'static str, &'static str)>,
    },
}

const PARENT: &str = "__parent";
const RN: &str = "__rn";

fn is_null_value(v: &Value) -> bool {
    matches!(
        v,
        Value::String(None)
            | Value::Int(None)
            | Value::BigInt(None)
            | Value::Bool(None)
            | Value::Decimal(None)
            | Value::ChronoDateTimeUtc(None)
            | Value::ChronoDate(None)
            | Value::Json(None)
    )
}

/// Rows strictly after (`ahead = true`) or before the cursor in the sort order
/// `(col IS NULL, col, pk)` with the given direction.
fn beyond(table: &Table, order: &Order, cur: &Cursor, ahead: bool) -> Condition {
    let c = || col(table.name, order.col);
    let id = || col(table.name, table.pk);
    // "greater in sort order" is `>` ascending and `<` descending.
    let gt = |e: Expr, v: Value| if order.desc == ahead { e.lt(v) } else { e.gt(v) };
    let id_cond = gt(id(), Value::from(cur.id.clone()));
    if order.col == table.pk {
        return Cond::all().add(id_cond);
    }
    let null = is_null_value(&cur.value);
    match (null, ahead) {
        // Inside the NULL block (last): only later ids are ahead; everything non-null is behind.
        (true, true) => Cond::all().add(c().is_null()).add(id_cond),
        (true, false) => Cond::any().add(c().is_not_null()).add(Cond::all().add(c().is_null()).add(id_cond)),
        (false, _) => {
            let mut any = Cond::any()
                .add(gt(c(), cur.value.clone()))
                .add(Cond::all().add(c().eq(cur.value.clone())).add(id_cond));
            if ahead {
                any = any.add(c().is_null());
            }
            any
        }
    }
}

/// The ORDER BY triple, in reading direction.
fn order_exprs(table: &Table, order: &Order, backward: bool) -> Vec<(Expr, SqlOrder)> {
    let dir = |desc: bool| if desc != backward { SqlOrder::Desc } else { SqlOrder::Asc };
    let mut v = Vec::with_capacity(3);
    if order.col != table.pk {
        v.push((col(table.name, order.col).is_null(), dir(false)));
        v.push((col(table.name, order.col), dir(order.desc)));
    }
    v.push((col(table.name, table.pk), dir(order.desc)));
    v
}

fn where_clause(table: &Table, filter: Option<&Filter>, order: &Order, slice: &Slice) -> Condition {
    let mut cond = Cond::all();
    if let Some(f) = filter {
        cond = cond.add(condition(table.name, f));
    }
    if let Some(c) = &slice.after {
        cond = cond.add(beyond(table, order, c, true));
    }
    if let Some(c) = &slice.before {
        cond = cond.add(beyond(table, order, c, false));
    }
    cond
}

fn decode<M: FromQueryResult>(row: &QueryResult) -> AppResult<M> {
    Ok(M::from_query_result(row, "")?)
}

/// One keyset page of a whole table.
pub async fn page<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    table: Table,
    filter: Option<&Filter>,
    order: Order,
    slice: &Slice,
) -> AppResult<Page<M>> {
    let mut q = Query::select();
    q.column((Alias::new(table.name), Asterisk))
        .from(Alias::new(table.name))
        .cond_where(where_clause(&table, filter, &order, slice))
        .limit(slice.limit + 1);
    for (e, o) in order_exprs(&table, &order, slice.backward) {
        q.order_by_expr(e, o);
    }
    let rows = db.query_all(&q).await?;
    let mut models = rows.iter().map(decode::<M>).collect::<AppResult<Vec<M>>>()?;
    Ok(finish(&mut models, slice))
}

fn finish<M>(models: &mut Vec<M>, slice: &Slice) -> Page<M> {
    let has_more = models.len() as u64 > slice.limit;
    models.truncate(slice.limit as usize);
    if slice.backward {
        models.reverse();
    }
    Page { rows: std::mem::take(models), has_more }
}

/// `SELECT … FROM target [JOIN via]` with the parent key exposed as `__parent`.
fn linked_select(table: &Table, link: &Link, parents: &[String]) -> (SelectStatement, Expr) {
    let mut q = Query::select();
    q.column((Alias::new(table.name), Asterisk)).from(Alias::new(table.name));
    let parent_vals = parents.iter().cloned().map(Value::from).map(Expr::val);
    let parent_expr = match link {
        Link::Fk { col: c, discriminator } => {
            if let Some((dc, dv)) = discriminator {
                q.and_where(col(table.name, dc).eq(*dv));
            }
            col(table.name, c)
        }
        Link::Via { table: via, parent, child, discriminator } => {
            let mut on = Cond::all().add(col(via, child).equals((Alias::new(table.name), Alias::new(table.pk))));
            if let Some((dc, dv)) = discriminator {
                on = on.add(col(via, dc).eq(*dv));
            }
            q.join(sea_orm::sea_query::JoinType::InnerJoin, Alias::new(*via), on);
            col(via, parent)
        }
    };
    q.and_where(parent_expr.clone().is_in(parent_vals));
    q.expr_as(parent_expr.clone(), Alias::new(PARENT));
    (q, parent_expr)
}

/// One page per parent in a single statement: `ROW_NUMBER() OVER (PARTITION BY parent ORDER BY …)`
/// keeps `limit + 1` rows of each parent, so the statement count does not grow with the parents.
pub async fn page_per_parent<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    table: Table,
    link: Link,
    parents: &[String],
    filter: Option<&Filter>,
    order: Order,
    slice: &Slice,
) -> AppResult<HashMap<String, Page<M>>> {
    let (mut inner, parent_expr) = linked_select(&table, &link, parents);
    inner.cond_where(where_clause(&table, filter, &order, slice));
    let mut window = WindowStatement::new();
    window.add_partition_by(parent_expr);
    for (e, o) in order_exprs(&table, &order, slice.backward) {
        window.order_by_expr(e, o);
    }
    inner.expr_window_as(Func::cust("ROW_NUMBER"), window, Alias::new(RN));
    let mut outer = Query::select();
    outer
        .column(Asterisk)
        .from_subquery(inner, Alias::new("paged"))
        .and_where(Expr::col(Alias::new(RN)).lte(slice.limit as i64 + 1))
        .order_by(Alias::new(PARENT), SqlOrder::Asc)
        .order_by(Alias::new(RN), SqlOrder::Asc);
    let rows = db.query_all(&outer).await?;
    let mut grouped: HashMap<String, Vec<M>> = HashMap::new();
    for row in &rows {
        let parent: String = row.try_get("", PARENT)?;
        grouped.entry(parent).or_default().push(decode(row)?);
    }
    Ok(grouped.into_iter().map(|(k, mut v)| (k, finish(&mut v, slice))).collect())
}

/// Rows whose `key_col` is one of `keys`, with the matched key (batched by-id and by-unique loads).
pub async fn find_by<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    table: Table,
    key_col: &'static str,
    keys: &[String],
    filter: Option<&Filter>,
) -> AppResult<Vec<(String, M)>> {
    let (mut q, _) = linked_select(&table, &Link::Fk { col: key_col, discriminator: None }, keys);
    if let Some(f) = filter {
        q.cond_where(condition(table.name, f));
    }
    let rows = db.query_all(&q).await?;
    rows.iter().map(|r| Ok((r.try_get::<String>("", PARENT)?, decode(r)?))).collect()
}

/// `COUNT(*)` of the rows matching the filter.
pub async fn count(db: &impl ConnectionTrait, table: Table, filter: Option<&Filter>) -> AppResult<u64> {
    let mut q = Query::select();
    q.expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n")).from(Alias::new(table.name));
    if let Some(f) = filter {
        q.cond_where(condition(table.name, f));
    }
    let row = db.query_one(&q).await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(n as u64)
}

/// Counts per parent in one grouped statement.
pub async fn count_per_parent(
    db: &impl ConnectionTrait,
    table: Table,
    link: Link,
    parents: &[String],
    filter: Option<&Filter>,
) -> AppResult<HashMap<String, u64>> {
    let (mut q, parent_expr) = linked_select(&table, &link, parents);
    // Replace the row columns with the aggregate: keep FROM/JOIN/WHERE of the linked select.
    q.clear_selects();
    q.expr_as(parent_expr.clone(), Alias::new(PARENT))
        .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"))
        .add_group_by([parent_expr]);
    if let Some(f) = filter {
        q.cond_where(condition(table.name, f));
    }
    let rows = db.query_all(&q).await?;
    rows.iter().map(|r| Ok((r.try_get::<String>("", PARENT)?, r.try_get::<i64>("", "n")? as u64))).collect()
}
