//! One statement per root query field, whose JSON the database builds (`graphql::planner` fills
//! the tree; ARCHITECTURE.md, "The compiled read path"). The tree is SQL-free and states only
//! what to read: objects of columns, to-one lookups, polymorphic lookups and keyset-paged
//! connections. This module turns it into one `SELECT`: `json_build_object`/`json_agg` on
//! PostgreSQL, `json_object`/`json_group_array` on SQLite, each nested connection a correlated
//! sub-select over the same keyset page (`page::keyset`) the resolvers read, each to-one a
//! correlated lookup by key.
//!
//! What SQL cannot do stays with the server, at positions the tree names: decrypting or masking
//! PII (`Member::Sealed` emits `[row key, stored value]`), signing cursors (`[sort value, row
//! key]`), sorting a JSON column's keys as the resolvers' `serde_json` maps do, and — SQLite
//! only, which stores decimals as REAL — turning a float into the decimal the model would hold.
//!
//! Values are bound, never spliced; the only text spliced is response keys and type names, which
//! the GraphQL parser restricts to `[_A-Za-z][_0-9A-Za-z]*` (checked again here).

use std::time::Instant;

use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Func, PostgresQueryBuilder, Query, SelectStatement, SqliteQueryBuilder, WindowStatement,
};
use sea_orm::sqlx::{self, AssertSqlSafe};
use sea_orm::{DatabaseConnection, DbBackend, Value};
use sea_query_sqlx::SqlxBinder;

use super::filter::{Filter, col, condition};
use super::page::{Link, Order, Slice, Table, and, display_order_sql, keyset, linked_rows, order_by_at};
use crate::catalog::PiiColumn;
use crate::db::KeptConnections;
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;

/// How a column's value is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// Text, ids and enums (stored as their GraphQL names).
    Text,
    Int,
    Bool,
    /// A decimal as a string with at least two decimal places (`scalars::at_least_cents`).
    Decimal,
    /// RFC 3339 in UTC with `+00:00` and 0, 3, 6 or 9 fraction digits (`to_rfc3339`).
    Instant,
    /// `YYYY-MM-DD`.
    Date,
    /// A JSON document (its keys sorted by the server).
    Json,
}

/// The most members of one JSON object: PostgreSQL's functions take at most 100 arguments.
pub const MAX_MEMBERS: usize = 50;

/// Which rows of a table: the filter is the caller's, narrowed to what the principal may read
/// before the statement is built (`services::read::compiled`).
#[derive(Clone, Debug)]
pub struct Rows {
    pub table: Table,
    pub filter: Option<Filter>,
}

impl Rows {
    pub fn all(table: Table) -> Rows {
        Rows { table, filter: None }
    }
}

/// One JSON object per row of `table`, its members in response order.
#[derive(Clone, Debug)]
pub struct Object {
    pub table: Table,
    pub members: Vec<(String, Member)>,
}

#[derive(Clone, Debug)]
pub enum Member {
    Column(&'static str, Scalar),
    /// A constant string (`__typename`).
    Literal(String),
    /// An encrypted column: `[row key, stored value]` for the server to reveal or mask.
    Sealed(&'static str, PiiColumn),
    One(Box<One>),
    Many(Box<Many>),
    Poly(Box<Poly>),
}

/// The row of `rows` whose `key` equals the parent's `from` column, or null.
#[derive(Clone, Debug)]
pub struct One {
    pub rows: Rows,
    pub key: &'static str,
    pub from: &'static str,
    pub object: Object,
}

/// A reference by global id (`<PREFIX>_…`): one arm per possible target, `[arm index, object]`.
#[derive(Clone, Debug)]
pub struct Poly {
    pub col: &'static str,
    pub arms: Vec<Arm>,
}

#[derive(Clone, Debug)]
pub struct Arm {
    pub prefix: &'static str,
    pub rows: Rows,
    pub object: Object,
}

/// A keyset-paged connection: the parent's rows through `link` (a root list has none).
#[derive(Clone, Debug)]
pub struct Many {
    pub rows: Rows,
    pub link: Option<(Link, &'static str)>,
    pub order: Order,
    /// How the sort column's value is rendered inside a cursor.
    pub sort: Scalar,
    pub slice: Slice,
    pub members: Vec<(String, Part)>,
}

#[derive(Clone, Debug)]
pub enum Part {
    Edges(Vec<(String, EdgePart)>),
    Nodes(Object),
    PageInfo(Vec<(String, PageInfoPart)>),
    TotalCount,
    Literal(String),
}

#[derive(Clone, Debug)]
pub enum EdgePart {
    /// `[sort value, row key]`, signed by the server.
    Cursor,
    Node(Object),
    Literal(String),
}

#[derive(Clone, Debug)]
pub enum PageInfoPart {
    HasNextPage,
    HasPreviousPage,
    StartCursor,
    EndCursor,
    Literal(String),
}

/// A root query field.
#[derive(Clone, Debug)]
pub enum Root {
    /// The row whose primary key is `id`, or null.
    One {
        rows: Rows,
        id: String,
        object: Object,
    },
    Many(Many),
}

impl Root {
    /// Every row set of the tree, for the read rules (`services::read::compiled`).
    pub fn rows_mut(&mut self, f: &mut impl FnMut(&mut Rows)) {
        match self {
            Root::One { rows, object, .. } => {
                f(rows);
                object.rows_mut(f);
            }
            Root::Many(m) => m.rows_mut(f),
        }
    }
}

impl Object {
    fn rows_mut(&mut self, f: &mut impl FnMut(&mut Rows)) {
        for (_, m) in &mut self.members {
            match m {
                Member::One(o) => {
                    f(&mut o.rows);
                    o.object.rows_mut(f);
                }
                Member::Many(m) => m.rows_mut(f),
                Member::Poly(p) => {
                    for arm in &mut p.arms {
                        f(&mut arm.rows);
                        arm.object.rows_mut(f);
                    }
                }
                Member::Column(..) | Member::Literal(_) | Member::Sealed(..) => {}
            }
        }
    }
}

impl Many {
    fn rows_mut(&mut self, f: &mut impl FnMut(&mut Rows)) {
        f(&mut self.rows);
        for (_, part) in &mut self.members {
            match part {
                Part::Edges(parts) => {
                    for (_, p) in parts {
                        if let EdgePart::Node(o) = p {
                            o.rows_mut(f);
                        }
                    }
                }
                Part::Nodes(o) => o.rows_mut(f),
                Part::PageInfo(_) | Part::TotalCount | Part::Literal(_) => {}
            }
        }
    }

    /// Whether the connection shows its rows and nothing about the page (no `pageInfo`, no
    /// cursor): it needs neither row numbers nor the look-ahead row.
    fn shows_rows_only(&self) -> bool {
        !self.wants_cursor() && !self.members.iter().any(|(_, p)| matches!(p, Part::PageInfo(_)))
    }

    fn wants_cursor(&self) -> bool {
        self.members.iter().any(|(_, p)| match p {
            Part::Edges(parts) => parts.iter().any(|(_, e)| matches!(e, EdgePart::Cursor)),
            Part::PageInfo(parts) => {
                parts.iter().any(|(_, p)| matches!(p, PageInfoPart::StartCursor | PageInfoPart::EndCursor))
            }
            _ => false,
        })
    }
}

/// Runs the statement of one root field: its JSON text (`null` when the record is absent).
///
/// Sent to the pool's sqlx driver directly, one scalar out: SeaORM's generic row path (a copy of
/// the bound values, a `QueryResult` per row, futures moved through its wrappers) cost about 8 %
/// of a point read's server instructions. The statement is recorded as SeaORM records its own
/// (`db::statement_ran`) and a driver error is classified as SeaORM's would be. On PostgreSQL it
/// runs on a connection kept from the previous compiled read when there is one
/// (`db::KeptConnections`: no release ping, a warm backend).
pub async fn fetch(
    db: &DatabaseConnection,
    kept: &KeptConnections,
    metrics: &Metrics,
    root: &Root,
) -> AppResult<String> {
    let backend = db.get_database_backend();
    let q = statement(backend, root)?;
    let started = Instant::now();
    let (sql, json) = match backend {
        DbBackend::Postgres => {
            let (sql, values) = q.build_sqlx(PostgresQueryBuilder);
            let query = sqlx::query_scalar_with(AssertSqlSafe(sql.as_str()), values);
            // On a kept connection, kept again only once its statement has completed.
            let json = match kept.take(db.get_postgres_connection_pool()).await {
                Ok(mut conn) => {
                    let json = query.fetch_one(&mut *conn).await;
                    if json.is_ok() {
                        kept.keep(conn);
                    }
                    json
                }
                Err(e) => Err(e),
            };
            (sql, json)
        }
        DbBackend::Sqlite => {
            let (sql, values) = q.build_sqlx(SqliteQueryBuilder);
            let json = sqlx::query_scalar_with(AssertSqlSafe(sql.as_str()), values)
                .fetch_one(db.get_sqlite_connection_pool())
                .await;
            (sql, json)
        }
        _ => return Err(AppError::internal("compiled reads run on PostgreSQL and SQLite")),
    };
    crate::db::statement_ran(metrics, &sql, started.elapsed(), json.is_err());
    let json: Option<String> = json.map_err(crate::error::from_sqlx)?;
    Ok(json.unwrap_or_else(|| "null".to_string()))
}

/// The one statement of a root field.
pub fn statement(backend: DbBackend, root: &Root) -> AppResult<SelectStatement> {
    let mut b = Builder { backend, aliases: 0 };
    let json = match root {
        Root::One { rows, id, object } => {
            let at = b.alias();
            let mut q = Query::select();
            q.expr(b.object(&at, object)?).from_as(Alias::new(rows.table.name), Alias::new(&at));
            q.and_where(col(&at, rows.table.pk).eq(id.as_str()));
            if let Some(f) = &rows.filter {
                and(&mut q, condition(&at, f));
            }
            q.limit(1);
            Expr::from(q)
        }
        Root::Many(m) => b.many(None, m)?,
    };
    let text = match backend {
        DbBackend::Postgres => Expr::cust_with_exprs("CAST($1 AS text)", [json]),
        _ => json,
    };
    let mut q = Query::select();
    q.expr_as(text, Alias::new("j"));
    Ok(q)
}

struct Builder {
    backend: DbBackend,
    aliases: usize,
}

fn literal(s: &str) -> AppResult<Expr> {
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(AppError::internal("a response key or type name that is not a GraphQL name"));
    }
    Ok(Expr::cust(format!("'{s}'")))
}

impl Builder {
    fn pg(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    /// A fresh table alias: `__t<n>` is never a table name, so a nested list of the same table
    /// (a category tree) still names its parent row unambiguously.
    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("__t{}", self.aliases)
    }

    /// `template` with `{}` standing for each of `args` in turn (the backend's placeholder).
    fn tpl(&self, template: &str, args: Vec<Expr>) -> Expr {
        tpl(self.pg(), template, args)
    }

    /// A JSON value built elsewhere in the statement, embedded in another: SQLite keeps a value's
    /// JSON-ness only within one expression, so it re-reads it (`json(x)`).
    fn embed(&self, e: Expr) -> Expr {
        if self.pg() { e } else { Func::cust(Alias::new("json")).arg(e).into() }
    }

    fn bool_value(&self, e: Expr) -> Expr {
        if self.pg() {
            e
        } else {
            self.tpl("json(CASE WHEN {} IS NULL THEN NULL WHEN {} THEN 'true' ELSE 'false' END)", vec![e.clone(), e])
        }
    }

    fn constant(&self, b: bool) -> Expr {
        self.bool_value(Expr::cust(if b { "TRUE" } else { "FALSE" }))
    }

    fn object_of(&self, pairs: Vec<(String, Expr)>) -> AppResult<Expr> {
        if pairs.len() > MAX_MEMBERS {
            return Err(AppError::bad_input(format!("at most {MAX_MEMBERS} fields per object")));
        }
        let mut args = Vec::with_capacity(pairs.len() * 2);
        for (k, v) in pairs {
            args.push(literal(&k)?);
            args.push(v);
        }
        let name = if self.pg() { "json_build_object" } else { "json_object" };
        Ok(Func::cust(Alias::new(name)).args(args).into())
    }

    fn array_of(&self, items: Vec<Expr>) -> Expr {
        let name = if self.pg() { "json_build_array" } else { "json_array" };
        Func::cust(Alias::new(name)).args(items).into()
    }

    fn scalar(&self, at: &str, c: &'static str, kind: Scalar) -> Expr {
        let v = col(at, c);
        match (kind, self.pg()) {
            (Scalar::Text | Scalar::Int, _) | (Scalar::Bool, true) => v,
            (Scalar::Bool, false) => self.bool_value(v),
            (Scalar::Decimal, true) => {
                on_column(at, c, "CASE WHEN scale({}) < 2 THEN CAST(round({}, 2) AS text) ELSE CAST({} AS text) END")
            }
            // REAL on SQLite: every digit of the double, for the server to convert like the model.
            (Scalar::Decimal, false) => self.real_digits(v),
            (Scalar::Instant, true) => on_column(
                at,
                c,
                "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE \
                 WHEN CAST(date_part('microseconds', {}) AS bigint) % 1000000 = 0 THEN '' \
                 WHEN CAST(date_part('microseconds', {}) AS bigint) % 1000 = 0 THEN to_char({} AT TIME ZONE 'UTC', '.MS') \
                 ELSE to_char({} AT TIME ZONE 'UTC', '.US') END || '+00:00'",
            ),
            (Scalar::Date, true) => on_column(at, c, "to_char({}, 'YYYY-MM-DD')"),
            // sqlx stores both as the text the API shows (`to_rfc3339`, `%Y-%m-%d`).
            (Scalar::Instant | Scalar::Date, false) => v,
            (Scalar::Json, _) => self.embed(v),
        }
    }

    /// A cursor's `[sort value, row key]`, as text: decimals as their exact text, everything else
    /// as JSON renders it.
    fn cursor(&self, at: &str, m: &Many) -> Expr {
        let key = col(at, m.rows.table.pk);
        let value = col(at, m.order.col);
        let value = match (m.sort, self.pg()) {
            (Scalar::Decimal, true) => Expr::cust_with_exprs("CAST($1 AS text)", [value]),
            (Scalar::Decimal, false) => self.real_digits(value),
            (Scalar::Bool, false) => self.bool_value(value),
            _ => value,
        };
        let arr = self.array_of(vec![value, key]);
        if self.pg() { Expr::cust_with_exprs("CAST($1 AS text)", [arr]) } else { arr }
    }

    /// Every digit of a REAL (SQLite), NULL staying NULL (`printf` would print `0`).
    fn real_digits(&self, v: Expr) -> Expr {
        self.tpl("CASE WHEN {} IS NULL THEN NULL ELSE printf('%.17g', {}) END", vec![v.clone(), v])
    }

    /// A cursor's text (see [`Builder::cursor`]) as JSON again.
    fn cursor_json(&self, text: Expr) -> Expr {
        if self.pg() { Expr::cust_with_exprs("CAST($1 AS json)", [text]) } else { self.embed(text) }
    }

    fn object(&mut self, at: &str, o: &Object) -> AppResult<Expr> {
        // An object none of whose fields applies resolves to null (async-graphql does the same).
        if o.members.is_empty() {
            // Typed on PostgreSQL: `json_agg` of an untyped NULL cannot pick its input type.
            return Ok(Expr::cust(if self.pg() { "CAST(NULL AS json)" } else { "NULL" }));
        }
        let mut pairs = Vec::with_capacity(o.members.len());
        for (key, m) in &o.members {
            let e = match m {
                Member::Column(c, kind) => self.scalar(at, c, *kind),
                Member::Literal(s) => literal(s)?,
                Member::Sealed(c, _) => self.array_of(vec![col(at, o.table.pk), col(at, c)]),
                Member::One(one) => {
                    let inner = self.alias();
                    let mut q = Query::select();
                    q.expr(self.object(&inner, &one.object)?)
                        .from_as(Alias::new(one.rows.table.name), Alias::new(&inner))
                        .and_where(col(&inner, one.key).equals((Alias::new(at), Alias::new(one.from))));
                    if let Some(f) = &one.rows.filter {
                        and(&mut q, condition(&inner, f));
                    }
                    q.limit(1);
                    self.embed(Expr::from(q))
                }
                Member::Many(many) => self.many(Some(at), many)?,
                Member::Poly(p) => self.poly(at, p)?,
            };
            pairs.push((key.clone(), e));
        }
        self.object_of(pairs)
    }

    /// `CASE WHEN col starts with 'PREFIX_' THEN (SELECT [arm, object] FROM target …) … END`: the
    /// prefix decides the table, as `node(id:)` does.
    fn poly(&mut self, at: &str, p: &Poly) -> AppResult<Expr> {
        if p.arms.is_empty() {
            return Ok(Expr::cust("NULL"));
        }
        let mut case = String::from("CASE");
        let mut args = Vec::new();
        for (i, arm) in p.arms.iter().enumerate() {
            literal(arm.prefix)?;
            let inner = self.alias();
            let obj = self.object(&inner, &arm.object)?;
            let mut q = Query::select();
            q.expr(self.array_of(vec![Expr::val(i as i32), obj]))
                .from_as(Alias::new(arm.rows.table.name), Alias::new(&inner))
                .and_where(col(&inner, arm.rows.table.pk).equals((Alias::new(at), Alias::new(p.col))));
            if let Some(f) = &arm.rows.filter {
                and(&mut q, condition(&inner, f));
            }
            q.limit(1);
            let head = format!("{}_", arm.prefix);
            case.push_str(&format!(" WHEN substr({{}}, 1, {}) = '{head}' THEN {{}}", head.len()));
            args.push(col(at, p.col));
            args.push(self.embed(Expr::from(q)));
        }
        case.push_str(" END");
        Ok(self.tpl(&case, args))
    }

    /// The rows of a connection before paging: the table's, or the parent's through the link.
    fn linked(&self, parent: Option<&str>, m: &Many) -> SelectStatement {
        let table = &m.rows.table;
        let mut q = match (parent, &m.link) {
            (Some(at), Some((link, own))) => {
                let (mut q, parent_expr) = linked_rows(table, link);
                q.and_where(parent_expr.equals((Alias::new(at), Alias::new(*own))));
                q
            }
            _ => {
                let mut q = Query::select();
                q.column((Alias::new(table.name), sea_orm::sea_query::Asterisk)).from(Alias::new(table.name));
                q
            }
        };
        if let Some(f) = &m.rows.filter {
            and(&mut q, condition(table.name, f));
        }
        q
    }

    /// A connection: the keyset page (`limit + 1` rows in reading order, numbered), aggregated
    /// into the members asked for.
    fn many(&mut self, parent: Option<&str>, m: &Many) -> AppResult<Expr> {
        let table = m.rows.table;
        let page = keyset(self.linked(parent, m), &table, &m.order, &m.slice);
        let at = self.alias();
        if m.shows_rows_only() {
            return self.rows_only(parent, m, page, &at);
        }
        let n = m.slice.limit as i64;

        // Per row: the objects asked for, the cursor, the row's place in reading order.
        let mut per_row = Query::select();
        per_row.from_subquery(page, Alias::new(&at));
        let mut objects = 0;
        let mut node_cols: Vec<Option<String>> = Vec::new();
        for (_, part) in &m.members {
            let obj = match part {
                Part::Nodes(o) => Some(o),
                Part::Edges(parts) => parts.iter().find_map(|(_, p)| match p {
                    EdgePart::Node(o) => Some(o),
                    _ => None,
                }),
                _ => None,
            };
            node_cols.push(match obj {
                Some(o) => {
                    objects += 1;
                    let name = format!("__o{objects}");
                    per_row.expr_as(self.object(&at, o)?, Alias::new(&name));
                    Some(name)
                }
                None => None,
            });
        }
        if m.wants_cursor() {
            per_row.expr_as(self.cursor(&at, m), Alias::new("__cur"));
        }
        let mut window = WindowStatement::new();
        order_by_at(&mut window, &at, &table, &m.order, m.slice.backward);
        per_row.expr_window_as(Func::cust(Alias::new("ROW_NUMBER")), window, Alias::new("__rn"));
        per_row.expr_window_as(Func::count(Expr::cust("*")), WindowStatement::new(), Alias::new("__cnt"));

        let c = self.alias();
        let rn = || col(&c, "__rn");
        // Display order: reading order, reversed when reading backwards (`last`).
        let dir = if m.slice.backward { "DESC" } else { "ASC" };
        let in_page = rn().lte(n);
        let list = |b: &Self, item: Expr| -> Expr {
            let (agg, empty) = b.json_list();
            let item = b.embed(item);
            b.tpl(
                &format!("COALESCE({agg}({{}} ORDER BY {{}} {dir}) FILTER (WHERE {{}}), {empty})"),
                vec![item, rn(), in_page.clone()],
            )
        };
        let cursor_at = |b: &Self, first: bool| -> Expr {
            // The first row shown is the first read going forwards, the last kept going backwards.
            let pos = if first != m.slice.backward {
                Expr::val(1)
            } else {
                let least = if b.pg() { "LEAST" } else { "MIN" };
                b.tpl(&format!("{least}({{}}, {{}})"), vec![col(&c, "__cnt"), Expr::val(n)])
            };
            b.cursor_json(
                b.tpl("MAX(CASE WHEN {} = {} AND {} THEN {} END)", vec![rn(), pos, in_page.clone(), col(&c, "__cur")]),
            )
        };
        let more = || Expr::cust(format!("COUNT(*) > {n}"));

        let mut pairs = Vec::with_capacity(m.members.len());
        for ((key, part), node_col) in m.members.iter().zip(&node_cols) {
            let e = match part {
                Part::Literal(s) => literal(s)?,
                Part::TotalCount => self.total(parent, m),
                Part::Nodes(_) => list(self, col(&c, node_col.as_deref().unwrap_or_default())),
                Part::Edges(parts) => {
                    let mut edge = Vec::with_capacity(parts.len());
                    for (k, p) in parts {
                        edge.push((
                            k.clone(),
                            match p {
                                EdgePart::Cursor => self.cursor_json(col(&c, "__cur")),
                                EdgePart::Node(_) => self.embed(col(&c, node_col.as_deref().unwrap_or_default())),
                                EdgePart::Literal(s) => literal(s)?,
                            },
                        ));
                    }
                    let edge = self.object_of(edge)?;
                    list(self, edge)
                }
                Part::PageInfo(parts) => {
                    let mut info = Vec::with_capacity(parts.len());
                    for (k, p) in parts {
                        info.push((
                            k.clone(),
                            match p {
                                PageInfoPart::HasNextPage if m.slice.backward => {
                                    self.constant(m.slice.before.is_some())
                                }
                                PageInfoPart::HasNextPage => self.bool_value(more()),
                                PageInfoPart::HasPreviousPage if m.slice.backward => self.bool_value(more()),
                                PageInfoPart::HasPreviousPage => self.constant(m.slice.after.is_some()),
                                PageInfoPart::StartCursor => cursor_at(self, true),
                                PageInfoPart::EndCursor => cursor_at(self, false),
                                PageInfoPart::Literal(s) => literal(s)?,
                            },
                        ));
                    }
                    self.object_of(info)?
                }
            };
            pairs.push((key.clone(), e));
        }
        self.connection_object(pairs, per_row, &c)
    }

    /// The aggregate function building a JSON array, and the empty array it gives no rows.
    fn json_list(&self) -> (&'static str, &'static str) {
        if self.pg() { ("json_agg", "'[]'::json") } else { ("json_group_array", "json('[]')") }
    }

    /// A connection's object over the rows of `from` (named `at`). One row even for an empty page
    /// whose members aggregate nothing (`{ totalCount }`): the COUNT makes the select an
    /// aggregate on both backends.
    fn connection_object(&self, pairs: Vec<(String, Expr)>, from: SelectStatement, at: &str) -> AppResult<Expr> {
        let object = self.tpl("CASE WHEN COUNT(*) >= 0 THEN {} END", vec![self.object_of(pairs)?]);
        let mut q = Query::select();
        q.expr(object).from_subquery(from, Alias::new(at));
        Ok(self.embed(Expr::from(q)))
    }

    /// `totalCount`: the connection's rows before paging, counted.
    fn total(&self, parent: Option<&str>, m: &Many) -> Expr {
        let mut count = self.linked(parent, m);
        count.clear_selects();
        count.expr(Func::count(Expr::cust("*")));
        Expr::from(count)
    }

    /// A connection that shows only its rows ([`Many::shows_rows_only`]): the page's `limit`
    /// rows, without the look-ahead row, aggregated in display order as a hand-written statement
    /// would — no row numbers. Numbering each page was the largest of the compiled statement's
    /// extras over the floor's: without it the customer-360 statement took 9.5 % fewer
    /// instructions in PostgreSQL (README, session 19).
    fn rows_only(&mut self, parent: Option<&str>, m: &Many, mut page: SelectStatement, at: &str) -> AppResult<Expr> {
        page.limit(m.slice.limit);
        let order = display_order_sql(at, &m.rows.table, &m.order);
        let (agg, empty) = self.json_list();
        let list = |b: &Self, item: Expr| {
            b.tpl(&format!("COALESCE({agg}({{}} ORDER BY {order}), {empty})"), vec![b.embed(item)])
        };
        let mut pairs = Vec::with_capacity(m.members.len());
        for (key, part) in &m.members {
            let e = match part {
                Part::Literal(s) => literal(s)?,
                Part::TotalCount => self.total(parent, m),
                Part::Nodes(o) => {
                    let node = self.object(at, o)?;
                    list(self, node)
                }
                Part::Edges(parts) => {
                    let mut edge = Vec::with_capacity(parts.len());
                    for (k, p) in parts {
                        edge.push((
                            k.clone(),
                            match p {
                                EdgePart::Node(o) => self.object(at, o)?,
                                EdgePart::Literal(s) => literal(s)?,
                                EdgePart::Cursor => return Err(AppError::internal("a cursor on a rows-only page")),
                            },
                        ));
                    }
                    let edge = self.object_of(edge)?;
                    list(self, edge)
                }
                Part::PageInfo(_) => return Err(AppError::internal("page info on a rows-only page")),
            };
            pairs.push((key.clone(), e));
        }
        self.connection_object(pairs, page, at)
    }
}

/// The value a decimal column's model holds on SQLite (REAL storage, read as `f64`), from the
/// `printf('%.17g')` text of the statement.
pub fn sqlite_decimal(text: &str) -> Option<rust_decimal::Decimal> {
    let f: f64 = text.parse().ok()?;
    rust_decimal::Decimal::try_from(f).ok()
}

/// `template` with each `{}` standing for the column `c` of the row aliased `at`, as custom SQL:
/// what [`tpl`] gives for a column, without sea-query tokenizing the template again on every
/// build (a timestamp's template is 300 characters; tokenizing them was 6 % of a customer-360
/// read's instructions). Both names are the builder's own (`__t<n>`, a catalogue column).
fn on_column(at: &str, c: &str, template: &str) -> Expr {
    Expr::cust(template.replace("{}", &format!("\"{at}\".\"{c}\"")))
}

/// `template` with `{}` standing for each of `args` in turn, as the backend's placeholders (`$n`
/// on PostgreSQL, `?` on SQLite; `Expr::cust_with_exprs` reads only the backend's own).
pub(crate) fn tpl(pg: bool, template: &str, args: Vec<Expr>) -> Expr {
    let mut out = String::with_capacity(template.len() + 8);
    let mut parts = template.split("{}");
    out.push_str(parts.next().unwrap_or_default());
    for (i, part) in parts.enumerate() {
        if pg {
            out.push_str(&format!("${}", i + 1));
        } else {
            out.push('?');
        }
        out.push_str(part);
    }
    Expr::cust_with_exprs(out, args)
}

/// The cursor value of a sort column, from the JSON the statement rendered it as.
pub fn cursor_value(kind: Scalar, backend: DbBackend, raw: &serde_json::Value) -> Option<Value> {
    use serde_json::Value as J;
    Some(match (kind, raw) {
        (Scalar::Text | Scalar::Json, J::Null) => Value::String(None),
        (Scalar::Int, J::Null) => Value::Int(None),
        (Scalar::Bool, J::Null) => Value::Bool(None),
        (Scalar::Decimal, J::Null) => Value::Decimal(None),
        (Scalar::Instant, J::Null) => Value::ChronoDateTimeUtc(None),
        (Scalar::Date, J::Null) => Value::ChronoDate(None),
        (Scalar::Text | Scalar::Json, J::String(s)) => Value::from(s.clone()),
        (Scalar::Int, J::Number(n)) => Value::from(i32::try_from(n.as_i64()?).ok()?),
        (Scalar::Bool, J::Bool(b)) => Value::from(*b),
        (Scalar::Decimal, J::String(s)) => Value::from(match backend {
            // sqlx decodes a zero NUMERIC, whatever its scale, as a plain 0.
            DbBackend::Postgres => match s.parse::<rust_decimal::Decimal>().ok()? {
                d if d.is_zero() => rust_decimal::Decimal::ZERO,
                d => d,
            },
            _ => sqlite_decimal(s)?,
        }),
        (Scalar::Instant, J::String(s)) => {
            Value::from(chrono::DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&chrono::Utc))
        }
        (Scalar::Date, J::String(s)) => Value::from(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEAD: Table = Table { name: "lead", pk: "lead_id" };
    const TOUCHPOINT: Table = Table { name: "touchpoint", pk: "touchpoint_id" };

    fn leads_with_touchpoints() -> Root {
        let order = Order { col: "touchpoint_time", desc: true, nullable: false };
        let touchpoints = Many {
            rows: Rows::all(TOUCHPOINT),
            link: Some((Link::Fk { col: "lead_id", discriminator: None }, "lead_id")),
            order,
            sort: Scalar::Instant,
            slice: Slice { limit: 3, backward: false, after: None, before: None },
            members: vec![
                ("totalCount".into(), Part::TotalCount),
                (
                    "nodes".into(),
                    Part::Nodes(Object {
                        table: TOUCHPOINT,
                        members: vec![("t".into(), Member::Column("touchpoint_time", Scalar::Instant))],
                    }),
                ),
            ],
        };
        let lead = Object {
            table: LEAD,
            members: vec![
                ("leadId".into(), Member::Column("lead_id", Scalar::Text)),
                ("touchpoints".into(), Member::Many(Box::new(touchpoints))),
            ],
        };
        Root::Many(Many {
            rows: Rows::all(LEAD),
            link: None,
            order: Order::by_key(&LEAD),
            sort: Scalar::Text,
            slice: Slice { limit: 100, backward: false, after: None, before: None },
            members: vec![("nodes".into(), Part::Nodes(lead))],
        })
    }

    #[test]
    fn a_root_list_and_its_nested_list_are_one_statement_over_keyset_pages() {
        for (backend, object, agg) in [
            (DbBackend::Postgres, "json_build_object", "json_agg"),
            (DbBackend::Sqlite, "json_object", "json_group_array"),
        ] {
            // Both lists show only their rows: pages of `n` rows, aggregated in display order.
            let sql = backend.build(&statement(backend, &leads_with_touchpoints()).unwrap()).to_string();
            assert!(sql.contains(object) && sql.contains(agg), "{sql}");
            assert!(sql.contains(r#"ORDER BY "lead"."lead_id" ASC LIMIT 100"#), "{sql}");
            assert!(
                sql.contains(r#"WHERE "touchpoint"."lead_id" = "__t1"."lead_id" ORDER BY "touchpoint"."touchpoint_time" DESC, "touchpoint"."touchpoint_id" DESC LIMIT 3"#),
                "{sql}"
            );
            assert!(sql.contains(r#"ORDER BY "__t2"."touchpoint_time" DESC, "__t2"."touchpoint_id" DESC)"#), "{sql}");
            assert!(!sql.contains("OFFSET") && !sql.contains("ROW_NUMBER"), "{sql}");
            // A list with `pageInfo` reads one row more, numbered, to know whether more follow.
            let mut root = leads_with_touchpoints();
            if let Root::Many(m) = &mut root {
                m.members
                    .push(("pageInfo".into(), Part::PageInfo(vec![("hasNextPage".into(), PageInfoPart::HasNextPage)])));
            }
            let sql = backend.build(&statement(backend, &root).unwrap()).to_string();
            assert!(sql.contains(r#"ORDER BY "lead"."lead_id" ASC LIMIT 101"#), "{sql}");
            assert!(sql.contains("ROW_NUMBER") && sql.contains("LIMIT 3"), "{sql}");
        }
    }

    #[test]
    fn a_response_key_that_is_not_a_graphql_name_is_refused() {
        let mut root = leads_with_touchpoints();
        if let Root::Many(m) = &mut root {
            m.members[0].0 = "x', (SELECT 1), '".into();
        }
        assert!(statement(DbBackend::Postgres, &root).is_err());
    }

    #[test]
    fn cursor_values_are_read_back_as_the_model_holds_them() {
        use serde_json::json;
        let t = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456+00:00").unwrap().to_utc();
        assert_eq!(
            cursor_value(Scalar::Instant, DbBackend::Postgres, &json!("2026-01-02T03:04:05.123456+00:00")),
            Some(Value::from(t))
        );
        let d: rust_decimal::Decimal = "12.50".parse().unwrap();
        assert_eq!(cursor_value(Scalar::Decimal, DbBackend::Postgres, &json!("12.50")), Some(Value::from(d)));
        let zero = cursor_value(Scalar::Decimal, DbBackend::Postgres, &json!("0.00"));
        assert_eq!(zero.map(|z| z.to_string()), Some(Value::from(rust_decimal::Decimal::ZERO).to_string()));
        assert_eq!(
            cursor_value(Scalar::Decimal, DbBackend::Sqlite, &json!("12.5")),
            Some(Value::from(rust_decimal::Decimal::try_from(12.5f64).unwrap()))
        );
        assert_eq!(cursor_value(Scalar::Int, DbBackend::Sqlite, &json!(7)), Some(Value::from(7)));
        assert_eq!(cursor_value(Scalar::Text, DbBackend::Sqlite, &json!(null)), Some(Value::String(None)));
        assert_eq!(cursor_value(Scalar::Int, DbBackend::Sqlite, &json!("x")), None);
    }
}
