//! Generic reads over any table: keyset pages (never OFFSET), per-parent pages of nested lists in
//! one statement, batched lookups by a column, and counts. Rows come back as the table's SeaORM
//! model (`FromQueryResult`), so one implementation serves all entities.
//!
//! Every keyset statement reads index ranges in index order: `ORDER BY col, pk` (same direction;
//! `NULLS LAST` only for nullable columns, which need an index declared that way) and the cursor
//! as a row comparison `(col, pk) > (value, id)`, so `LIMIT n + 1` stops after n + 1 index entries
//! instead of sorting the table (ARCHITECTURE.md, "Keyset paging").

use std::collections::{BTreeSet, HashMap};

use sea_orm::sea_query::{
    Alias, Asterisk, Cond, Condition, Expr, ExprTrait, Func, JoinType, NullOrdering, Order as SqlOrder,
    OrderedStatement, OverStatement, Query, SelectStatement, UnionType, ValueTuple, WindowStatement,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, FromQueryResult, QueryResult, Value};

use super::filter::{Filter, col, condition};
use crate::error::AppResult;

pub use crate::catalog::Table;
use crate::catalog::{Catalogued, Reference};

/// Sort column and direction; the primary key is always the tie-breaker (in the same direction),
/// NULLs always sort last. `nullable` comes from the entity's column definition ([`Order::by`]):
/// it decides the SQL (a NOT NULL column needs no NULL handling, which keeps a plain `(col, pk)`
/// index usable in both directions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Order {
    pub col: &'static str,
    pub desc: bool,
    pub nullable: bool,
}

impl Order {
    /// Ordering by an entity column, its nullability taken from the column's definition.
    pub fn by<C: ColumnTrait>(column: C, desc: bool) -> Order {
        Order { col: column.as_str(), desc, nullable: column.def().is_null() }
    }

    /// Ordering by the primary key, ascending (the default of every list).
    pub const fn by_key(table: &Table) -> Order {
        Order { col: table.pk, desc: false, nullable: false }
    }
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

impl Link {
    /// The rows of `C` whose reference `col` names a row of `P` (a foreign key, or a polymorphic
    /// reference whose discriminator value is `P`'s). The reference must be in `C`'s catalogue
    /// entry: evaluated in a const context, a wrong column does not compile.
    pub const fn by<C: Catalogued, P: Catalogued>(col: &'static str) -> Link {
        let r = reference(C::FACTS.references, col, P::TABLE);
        Link::Fk { col: r.col, discriminator: r.discriminator() }
    }

    /// The rows of `C` linked to a row of `P` through the relation table `V` (`parent` names the
    /// `P` row, `child` the `C` row), from `V`'s catalogue entry.
    pub const fn via<V: Catalogued, P: Catalogued, C: Catalogued>(parent: &'static str, child: &'static str) -> Link {
        let to_parent = reference(V::FACTS.references, parent, P::TABLE);
        let to_child = reference(V::FACTS.references, child, C::TABLE);
        Link::Via {
            table: V::TABLE.name,
            parent: to_parent.col,
            child: to_child.col,
            discriminator: to_parent.discriminator(),
        }
    }
}

/// The reference `col` → `to` among `refs` (a panic, so a compile error in a const context, if absent).
const fn reference(refs: &'static [Reference], col: &str, to: Table) -> &'static Reference {
    let mut i = 0;
    while i < refs.len() {
        if crate::catalog::same(refs[i].col, col) && crate::catalog::same(refs[i].to.name, to.name) {
            return &refs[i];
        }
        i += 1;
    }
    panic!("no such reference in the catalogue")
}

const PARENT: &str = "__parent";
const RN: &str = "__rn";
/// The list of parent keys of a per-parent page (PostgreSQL); `column1` is the name PostgreSQL
/// gives the first column of a `VALUES` list.
const PARENTS: &str = "__parents";
const PARENT_KEY: &str = "column1";

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

/// The sort order is one or two runs, each a single index range: the rows with a value, by
/// `(col, pk)`, then — nullable columns only — the NULLs, by `pk`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Run {
    Values,
    Nulls,
}

/// What one cursor leaves of one run.
enum Bound {
    Whole,
    Empty,
    Beyond(Expr),
}

/// The rows of `run` strictly after (`ahead = true`) or before the cursor in the sort order.
fn bound(table: &Table, order: &Order, run: Run, cur: &Cursor, ahead: bool) -> Bound {
    // "Greater in sort order" is `>` ascending and `<` descending, for the column and the id alike.
    let beyond = |l: Expr, r: Expr| Bound::Beyond(if ahead != order.desc { l.gt(r) } else { l.lt(r) });
    let pk = col(table.name, table.pk);
    let id = Expr::val(cur.id.clone());
    if order.col == table.pk {
        return beyond(pk, id);
    }
    match (run, is_null_value(&cur.value)) {
        // A row comparison, which both backends turn into one range of a `(col, pk)` index.
        (Run::Values, false) => {
            beyond(Expr::tuple([col(table.name, order.col), pk]), Expr::tuple([Expr::val(cur.value.clone()), id]))
        }
        // Every value sorts before the NULL block, in both directions.
        (Run::Values, true) => {
            if ahead {
                Bound::Empty
            } else {
                Bound::Whole
            }
        }
        (Run::Nulls, true) => beyond(pk, id),
        (Run::Nulls, false) => {
            if ahead {
                Bound::Whole
            } else {
                Bound::Empty
            }
        }
    }
}

/// The slice as index ranges in reading order: one condition per run it touches (one range when
/// it has no cursor, or the column is NOT NULL or the key).
fn ranges(table: &Table, order: &Order, slice: &Slice) -> Vec<Condition> {
    let runs: &[Run] =
        if order.nullable && order.col != table.pk { &[Run::Values, Run::Nulls] } else { &[Run::Values] };
    let mut out = Vec::with_capacity(runs.len());
    'runs: for &run in runs {
        let mut cond = Cond::all();
        let mut whole = true;
        for (cur, ahead) in [(&slice.after, true), (&slice.before, false)] {
            let Some(cur) = cur else { continue };
            match bound(table, order, run, cur, ahead) {
                Bound::Empty => continue 'runs,
                Bound::Whole => {}
                Bound::Beyond(e) => {
                    cond = cond.add(e);
                    whole = false;
                }
            }
        }
        out.push((run, cond, whole));
    }
    if out.len() == runs.len() && out.iter().all(|(_, _, whole)| *whole) {
        return vec![Cond::all()];
    }
    if out.is_empty() {
        // After a NULL and before a value: nothing lies between.
        return vec![Cond::all().add(Expr::cust("FALSE"))];
    }
    let c = || col(table.name, order.col);
    let mut out: Vec<Condition> = out
        .into_iter()
        .map(|(run, cond, whole)| match run {
            Run::Nulls => cond.add(c().is_null()),
            Run::Values if whole && runs.len() > 1 => cond.add(c().is_not_null()),
            Run::Values => cond,
        })
        .collect();
    if slice.backward {
        out.reverse();
    }
    out
}

/// `ORDER BY col, pk` in reading direction. NULLs sort last in display order, so first when
/// reading backwards; a NOT NULL column gets the backend's default, which any `(col, pk)` index
/// serves both ways.
fn order_by(q: &mut impl OrderedStatement, table: &Table, order: &Order, backward: bool) {
    order_by_at(q, table.name, table, order, backward)
}

/// [`order_by`] on the table's rows under another name (`at`: a derived table's alias).
pub(super) fn order_by_at(q: &mut impl OrderedStatement, at: &str, table: &Table, order: &Order, backward: bool) {
    let dir = if order.desc != backward { SqlOrder::Desc } else { SqlOrder::Asc };
    if order.col != table.pk {
        let c = col(at, order.col);
        if order.nullable {
            let nulls = if backward { NullOrdering::First } else { NullOrdering::Last };
            q.order_by_expr_with_nulls(c, dir.clone(), nulls);
        } else {
            q.order_by_expr(c, dir.clone());
        }
    }
    q.order_by_expr(col(at, table.pk), dir);
}

/// [`order_by_at`] going forwards — the display order, NULLs last — as SQL text, for an
/// aggregate's `ORDER BY` (`json_agg(x ORDER BY …)`), which takes no sea-query order. Both names
/// are the caller's own (a derived table's alias, a catalogue column).
pub(super) fn display_order_sql(at: &str, table: &Table, order: &Order) -> String {
    let dir = if order.desc { "DESC" } else { "ASC" };
    let pk = format!("\"{at}\".\"{}\" {dir}", table.pk);
    if order.col == table.pk {
        return pk;
    }
    let nulls = if order.nullable { " NULLS LAST" } else { "" };
    format!("\"{at}\".\"{}\" {dir}{nulls}, {pk}", order.col)
}

/// The first `limit + 1` rows of `rows` (a SELECT of `table`'s rows) in the slice: one ordered,
/// limited statement per range, and when the slice spans both runs their UNION ALL, ordered and
/// limited again (at most 2 × (limit + 1) rows to merge), so each run stays one index range.
pub(super) fn keyset(rows: SelectStatement, table: &Table, order: &Order, slice: &Slice) -> SelectStatement {
    let mut parts = ranges(table, order, slice).into_iter().map(|range| {
        let mut q = rows.clone();
        and(&mut q, range);
        order_by(&mut q, table, order, slice.backward);
        q.limit(slice.limit + 1);
        q
    });
    let first = parts.next().expect("a slice has at least one range");
    let rest: Vec<SelectStatement> = parts.collect();
    if rest.is_empty() {
        return first;
    }
    let wrap = |q: SelectStatement, i: usize| {
        Query::select().column(Asterisk).from_subquery(q, Alias::new(format!("__run{i}"))).to_owned()
    };
    let mut union = wrap(first, 0);
    for (i, q) in rest.into_iter().enumerate() {
        union.union(UnionType::All, wrap(q, i + 1));
    }
    let mut merged = Query::select();
    merged.column(Asterisk).from_subquery(union, Alias::new(table.name));
    order_by(&mut merged, table, order, slice.backward);
    merged.limit(slice.limit + 1);
    merged
}

/// All ranges of the slice as one condition (for statements that rank rows themselves).
fn in_slice(table: &Table, order: &Order, slice: &Slice) -> Condition {
    let mut ranges = ranges(table, order, slice);
    if ranges.len() == 1 {
        return ranges.pop().expect("one range");
    }
    ranges.into_iter().fold(Cond::any(), Condition::add)
}

pub(super) fn filtered(table: &Table, filter: Option<&Filter>) -> Condition {
    filter.map_or_else(Cond::all, |f| condition(table.name, f))
}

/// Adds a condition to the WHERE clause unless it is empty (which would read `WHERE TRUE`).
pub(super) fn and(q: &mut SelectStatement, cond: Condition) {
    if !cond.is_empty() {
        q.cond_where(cond);
    }
}

fn decode<M: FromQueryResult>(row: &QueryResult) -> AppResult<M> {
    Ok(M::from_query_result(row, "")?)
}

/// The statement of one keyset page of a whole table.
pub fn page_statement(table: Table, filter: Option<&Filter>, order: Order, slice: &Slice) -> SelectStatement {
    let mut rows = Query::select();
    rows.column((Alias::new(table.name), Asterisk)).from(Alias::new(table.name));
    and(&mut rows, filtered(&table, filter));
    keyset(rows, &table, &order, slice)
}

/// One keyset page of a whole table.
pub async fn page<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    table: Table,
    filter: Option<&Filter>,
    order: Order,
    slice: &Slice,
) -> AppResult<Page<M>> {
    let rows = db.query_all(&page_statement(table, filter, order, slice)).await?;
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

/// `SELECT target.* FROM target [JOIN via]` with the link's discriminator, and the expression that
/// holds a row's parent key.
pub(super) fn linked_rows(table: &Table, link: &Link) -> (SelectStatement, Expr) {
    let mut q = Query::select();
    q.column((Alias::new(table.name), Asterisk)).from(Alias::new(table.name));
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
            q.join(JoinType::InnerJoin, Alias::new(*via), on);
            col(via, parent)
        }
    };
    (q, parent_expr)
}

/// The linked rows of the given parents, with the parent key exposed as `__parent`.
fn linked_select(table: &Table, link: &Link, parents: &[String]) -> (SelectStatement, Expr) {
    let (mut q, parent_expr) = linked_rows(table, link);
    q.and_where(parent_expr.clone().is_in(parents.iter().cloned().map(Value::from).map(Expr::val)));
    q.expr_as(parent_expr.clone(), Alias::new(PARENT));
    (q, parent_expr)
}

/// The rows of one parent of the `VALUES` list a lateral join walks (PostgreSQL).
fn rows_of_listed_parent(table: &Table, link: &Link, filter: Option<&Filter>) -> SelectStatement {
    let (mut rows, parent_expr) = linked_rows(table, link);
    rows.and_where(parent_expr.equals((Alias::new(PARENTS), Alias::new(PARENT_KEY))));
    and(&mut rows, filtered(table, filter));
    rows
}

/// `SELECT key AS __parent, alias.* FROM (VALUES (key), …) JOIN LATERAL (per_parent) AS alias ON
/// TRUE`: `per_parent` runs once per parent key, through the parent's index (PostgreSQL).
fn for_each_parent(parents: Vec<String>, per_parent: SelectStatement, alias: &str) -> SelectStatement {
    let mut q = Query::select();
    q.expr_as(Expr::col((Alias::new(PARENTS), Alias::new(PARENT_KEY))), Alias::new(PARENT))
        .column((Alias::new(alias), Asterisk))
        .from_values(parents.into_iter().map(|p| ValueTuple::One(Value::from(p))), Alias::new(PARENTS))
        .join_lateral(JoinType::InnerJoin, per_parent, Alias::new(alias), Expr::cust("TRUE"));
    q
}

/// Distinct parent keys (the `VALUES` list must not repeat one).
fn distinct(parents: &[String]) -> Vec<String> {
    parents.iter().collect::<BTreeSet<_>>().into_iter().cloned().collect()
}

/// The statement of one page per parent, one statement whatever the number of parents.
/// PostgreSQL: each parent key of a `VALUES` list joined to its own keyset page — `JOIN LATERAL
/// (… WHERE parent = key ORDER BY … LIMIT n + 1)` — which reads only the rows it returns through
/// the `(parent, col, pk)` index. SQLite has no LATERAL: `ROW_NUMBER() OVER (PARTITION BY parent
/// ORDER BY …)` over the parents' rows keeps `limit + 1` of each.
pub fn page_per_parent_statement(
    backend: DbBackend,
    table: Table,
    link: Link,
    parents: &[String],
    filter: Option<&Filter>,
    order: Order,
    slice: &Slice,
) -> SelectStatement {
    let parents = distinct(parents);
    if backend == DbBackend::Postgres {
        let page = keyset(rows_of_listed_parent(&table, &link, filter), &table, &order, slice);
        let mut q = for_each_parent(parents, page, table.name);
        // Each parent's rows in page order (a sort of at most parents × (limit + 1) rows).
        order_by(&mut q, &table, &order, slice.backward);
        return q;
    }
    let (mut inner, parent_expr) = linked_select(&table, &link, &parents);
    and(&mut inner, filtered(&table, filter));
    and(&mut inner, in_slice(&table, &order, slice));
    let mut window = WindowStatement::new();
    window.add_partition_by(parent_expr);
    order_by(&mut window, &table, &order, slice.backward);
    inner.expr_window_as(Func::cust("ROW_NUMBER"), window, Alias::new(RN));
    let mut outer = Query::select();
    outer
        .column(Asterisk)
        .from_subquery(inner, Alias::new("paged"))
        .and_where(Expr::col(Alias::new(RN)).lte(slice.limit as i64 + 1))
        .order_by(Alias::new(PARENT), SqlOrder::Asc)
        .order_by(Alias::new(RN), SqlOrder::Asc);
    outer
}

/// One page per parent in a single statement ([`page_per_parent_statement`]), so the statement
/// count does not grow with the parents.
pub async fn page_per_parent<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    table: Table,
    link: Link,
    parents: &[String],
    filter: Option<&Filter>,
    order: Order,
    slice: &Slice,
) -> AppResult<HashMap<String, Page<M>>> {
    if parents.is_empty() {
        return Ok(HashMap::new());
    }
    let q = page_per_parent_statement(db.get_database_backend(), table, link, parents, filter, order, slice);
    let rows = db.query_all(&q).await?;
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
    // No keys, no rows: not worth a round trip (routing reads the converted contacts and
    // accounts of new leads, which have none).
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let (mut q, _) = linked_select(&table, &Link::Fk { col: key_col, discriminator: None }, keys);
    and(&mut q, filtered(&table, filter));
    let rows = db.query_all(&q).await?;
    rows.iter().map(|r| Ok((r.try_get::<String>("", PARENT)?, decode(r)?))).collect()
}

/// `COUNT(*)` of the rows matching the filter.
pub async fn count(db: &impl ConnectionTrait, table: Table, filter: Option<&Filter>) -> AppResult<u64> {
    let mut q = Query::select();
    q.expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n")).from(Alias::new(table.name));
    and(&mut q, filtered(&table, filter));
    let row = db.query_one(&q).await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(n as u64)
}

/// The statement counting the rows of each parent: like [`page_per_parent_statement`], one
/// `COUNT(*)` per parent key through a lateral join on PostgreSQL (a parent with no rows counts
/// 0), one grouped `COUNT` on SQLite (a parent with no rows is absent).
pub fn count_per_parent_statement(
    backend: DbBackend,
    table: Table,
    link: Link,
    parents: &[String],
    filter: Option<&Filter>,
) -> SelectStatement {
    let parents = distinct(parents);
    let count = || Func::count(Expr::col(Asterisk));
    if backend == DbBackend::Postgres {
        let mut per_parent = rows_of_listed_parent(&table, &link, filter);
        per_parent.clear_selects();
        per_parent.expr_as(count(), Alias::new("n"));
        return for_each_parent(parents, per_parent, "__count");
    }
    let (mut q, parent_expr) = linked_select(&table, &link, &parents);
    // Replace the row columns with the aggregate: keep FROM/JOIN/WHERE of the linked select.
    q.clear_selects();
    q.expr_as(parent_expr.clone(), Alias::new(PARENT)).expr_as(count(), Alias::new("n")).add_group_by([parent_expr]);
    and(&mut q, filtered(&table, filter));
    q
}

/// Counts per parent in one statement ([`count_per_parent_statement`]).
pub async fn count_per_parent(
    db: &impl ConnectionTrait,
    table: Table,
    link: Link,
    parents: &[String],
    filter: Option<&Filter>,
) -> AppResult<HashMap<String, u64>> {
    if parents.is_empty() {
        return Ok(HashMap::new());
    }
    let q = count_per_parent_statement(db.get_database_backend(), table, link, parents, filter);
    let rows = db.query_all(&q).await?;
    rows.iter().map(|r| Ok((r.try_get::<String>("", PARENT)?, r.try_get::<i64>("", "n")? as u64))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEAD: Table = Table { name: "lead", pk: "lead_id" };

    fn slice(backward: bool, after: Option<Value>, before: Option<Value>) -> Slice {
        let at = |v: Option<Value>| v.map(|value| Cursor { value, id: "LEAD_X".into() });
        Slice { limit: 10, backward, after: at(after), before: at(before) }
    }

    fn sql(q: &SelectStatement, backend: DbBackend) -> String {
        backend.build(q).to_string()
    }

    #[test]
    fn nullability_comes_from_the_entity_column() {
        assert!(!Order::by(entity::lead::Column::CreatedAt, true).nullable);
        assert!(Order::by(entity::lead::Column::CompanyName, false).nullable);
        assert!(!Order::by_key(&LEAD).nullable);
    }

    #[test]
    fn a_not_null_column_orders_and_seeks_by_col_and_key_alone() {
        let order = Order::by(entity::lead::Column::CreatedAt, true);
        let t: chrono::DateTime<chrono::Utc> = "2026-01-02T03:04:05Z".parse().unwrap();
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let q = sql(&page_statement(LEAD, None, order, &slice(false, Some(Value::from(t)), None)), backend);
            assert!(!q.contains("IS NULL") && !q.contains("NULLS"), "{q}");
            assert!(q.contains(r#"WHERE ("lead"."created_at", "lead"."lead_id") < ("#), "{q}");
            assert!(q.ends_with(r#"ORDER BY "lead"."created_at" DESC, "lead"."lead_id" DESC LIMIT 11"#), "{q}");
            let q = sql(&page_statement(LEAD, None, order, &slice(true, None, Some(Value::from(t)))), backend);
            assert!(q.contains(r#"("lead"."created_at", "lead"."lead_id") > ("#), "{q}");
            assert!(q.ends_with(r#"ORDER BY "lead"."created_at" ASC, "lead"."lead_id" ASC LIMIT 11"#), "{q}");
        }
    }

    #[test]
    fn a_nullable_column_sorts_nulls_last_and_reads_each_run_as_one_range() {
        let order = Order::by(entity::lead::Column::CompanyName, true);
        let q = sql(&page_statement(LEAD, None, order, &slice(false, None, None)), DbBackend::Sqlite);
        assert!(
            q.ends_with(r#"ORDER BY "lead"."company_name" DESC NULLS LAST, "lead"."lead_id" DESC LIMIT 11"#),
            "{q}"
        );
        assert!(!q.contains("WHERE"), "{q}");
        // Before a value: values only, one range.
        let q = sql(&page_statement(LEAD, None, order, &slice(true, None, Some(Value::from("x")))), DbBackend::Sqlite);
        assert_eq!(q.matches("SELECT").count(), 1, "{q}");
        assert!(q.contains(r#"("lead"."company_name", "lead"."lead_id") > ('x', 'LEAD_X')"#), "{q}");
        assert!(q.contains("NULLS FIRST"), "reading backwards: {q}");
        // After a value: the rest of the values, then the NULLs — two ranges merged.
        let q = sql(&page_statement(LEAD, None, order, &slice(false, Some(Value::from("x")), None)), DbBackend::Sqlite);
        assert!(q.contains(r#"("lead"."company_name", "lead"."lead_id") < ('x', 'LEAD_X')"#), "{q}");
        assert!(
            q.contains(r#"UNION ALL SELECT * FROM (SELECT "lead".* FROM "lead" WHERE "lead"."company_name" IS NULL"#),
            "{q}"
        );
        // After a NULL: later NULLs only.
        let q =
            sql(&page_statement(LEAD, None, order, &slice(false, Some(Value::String(None)), None)), DbBackend::Sqlite);
        assert!(q.contains(r#"WHERE "lead"."lead_id" < 'LEAD_X' AND "lead"."company_name" IS NULL"#), "{q}");
        assert!(!q.contains("UNION"), "{q}");
        // After a NULL and before a value: empty.
        let q = slice(false, Some(Value::String(None)), Some(Value::from("x")));
        let q = sql(&page_statement(LEAD, None, order, &q), DbBackend::Sqlite);
        assert!(q.contains("WHERE FALSE"), "{q}");
    }

    #[test]
    fn nested_pages_are_lateral_on_postgres_and_windowed_on_sqlite() {
        let order = Order::by(entity::lead::Column::CreatedAt, true);
        let link = Link::Fk { col: "owner_user_id", discriminator: None };
        let parents = ["U2".to_string(), "U1".to_string(), "U2".to_string()];
        let page = slice(false, None, None);
        let q = sql(
            &page_per_parent_statement(DbBackend::Postgres, LEAD, link, &parents, None, order, &page),
            DbBackend::Postgres,
        );
        assert!(q.starts_with(r#"SELECT "__parents"."column1" AS "__parent", "lead".* FROM (VALUES ('U1'), ('U2')) AS "__parents" INNER JOIN LATERAL (SELECT "lead".* FROM "lead" WHERE "lead"."owner_user_id" = "__parents"."column1" ORDER BY "lead"."created_at" DESC, "lead"."lead_id" DESC LIMIT 11) AS "lead" ON TRUE"#), "{q}");
        let q = sql(
            &page_per_parent_statement(DbBackend::Sqlite, LEAD, link, &parents, None, order, &page),
            DbBackend::Sqlite,
        );
        assert!(q.contains(r#"ROW_NUMBER() OVER ( PARTITION BY "lead"."owner_user_id" ORDER BY "lead"."created_at" DESC, "lead"."lead_id" DESC )"#), "{q}");
        assert!(q.contains(r#"IN ('U1', 'U2')"#), "{q}");
        let q = count_per_parent_statement(DbBackend::Postgres, LEAD, link, &parents, None);
        let q = sql(&q, DbBackend::Postgres);
        assert!(q.ends_with(r#"INNER JOIN LATERAL (SELECT COUNT(*) AS "n" FROM "lead" WHERE "lead"."owner_user_id" = "__parents"."column1") AS "__count" ON TRUE"#), "{q}");
    }
}
