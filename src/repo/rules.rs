//! The SQL evaluator of the routing condition language (`domain/rules.rs` states the language and
//! its semantics; this module must agree with its in-memory evaluator, which
//! `tests/api/rules.rs` checks on random rules over random leads on both backends).
//!
//! A rule compiles to one condition over `lead`: a lead column is compared in place (index-usable),
//! a contact, account or channel column through `EXISTS` on the related row's primary key, tags
//! through `EXISTS` on `tag_relation (entity_type, entity_id)`, scenes, UTM parameters and event
//! counts through the lead's events (`event (lead_id, event_time)`). Every test compiles to a
//! two-valued predicate — `x IS NOT NULL AND x <op> v`, `EXISTS`, `COUNT(*)` — so `NOT` never meets
//! SQL's NULL. Values are bound; the only spliced text is an integer length (`starts_with`) and
//! fixed JSON type names. `now` is bound too, so both evaluators read the same clock.

use chrono::{DateTime, Duration, Utc};
use entity::enums::{EntityType, EventType};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, Value};

use crate::catalog::{Catalogued, Table};
use crate::domain::rules::{Lit, Op, Operand, Rule, Source, Test, Ty};
use crate::error::AppResult;

const LEAD: Table = <entity::lead::Entity as Catalogued>::TABLE;
const EVENT: Table = <entity::event::Entity as Catalogued>::TABLE;
const TAG: Table = <entity::tag::Entity as Catalogued>::TABLE;
const TAG_RELATION: Table = <entity::tag_relation::Entity as Catalogued>::TABLE;

fn col(table: &'static str, c: &'static str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(c)))
}

/// The ids of the leads the rule selects at `now`, in id order.
pub async fn matching(db: &impl ConnectionTrait, rule: &Rule, now: DateTime<Utc>) -> AppResult<Vec<String>> {
    let pg = db.get_database_backend() == DbBackend::Postgres;
    let mut q = Query::select();
    q.column((Alias::new(LEAD.name), Alias::new(LEAD.pk)))
        .from(Alias::new(LEAD.name))
        .and_where(condition(rule, now, pg))
        .order_by((Alias::new(LEAD.name), Alias::new(LEAD.pk)), Order::Asc);
    let rows = db.query_all(&q).await?;
    rows.iter().map(|r| Ok(r.try_get::<String>("", LEAD.pk)?)).collect()
}

/// The rule as a condition over the `lead` table (for a segment's statement, or [`matching`]).
pub fn condition(rule: &Rule, now: DateTime<Utc>, pg: bool) -> Expr {
    let c = Compiler { now, pg };
    c.rule(rule)
}

struct Compiler {
    now: DateTime<Utc>,
    pg: bool,
}

fn value(l: &Lit) -> Value {
    match l {
        Lit::Text(s) => Value::from(s.clone()),
        Lit::Number(n) => Value::from(*n),
        // JSON flags compare as the text `true`/`false` (see `Compiler::json`); flag columns bind a bool.
        Lit::Bool(b) => Value::from(if *b { "true" } else { "false" }),
        Lit::Instant(t) => Value::from(*t),
    }
}

impl Compiler {
    fn rule(&self, r: &Rule) -> Expr {
        match r {
            Rule::All(rs) => rs.iter().map(|r| self.rule(r)).reduce(|a, b| a.and(b)).unwrap_or(Expr::cust("TRUE")),
            Rule::Any(rs) => rs.iter().map(|r| self.rule(r)).reduce(|a, b| a.or(b)).unwrap_or(Expr::cust("FALSE")),
            Rule::Not(r) => self.rule(r).not(),
            Rule::Test(t) => self.test(t),
        }
    }

    fn test(&self, t: &Test) -> Expr {
        if let Op::Exists(false) = t.op {
            let yes = Test { operand: t.operand.clone(), op: Op::Exists(true) };
            return self.test(&yes).not();
        }
        match &t.operand {
            Operand::Column { source: Source::Lead, column, ty } => self.leaf(col(LEAD.name, column), *ty, &t.op),
            Operand::Column { source, column, ty } => {
                let facts = source.facts();
                let table = facts.table;
                let via = source.via().unwrap_or(LEAD.pk);
                let mut q = Query::select();
                q.expr(Expr::val(1))
                    .from(Alias::new(table.name))
                    .and_where(col(table.name, table.pk).equals((Alias::new(LEAD.name), Alias::new(via))))
                    .and_where(self.leaf(col(table.name, column), *ty, &t.op));
                Expr::exists(q)
            }
            Operand::Custom(path) => {
                let json = self.json(col(LEAD.name, "custom_fields"), path, t.json_type());
                match &t.op {
                    Op::Exists(_) => json.is_not_null(),
                    op => self.compare(json, op),
                }
            }
            Operand::Tags => self.set(&t.op, |pred| {
                let mut q = Query::select();
                q.expr(Expr::val(1))
                    .from(Alias::new(TAG_RELATION.name))
                    .inner_join(
                        Alias::new(TAG.name),
                        col(TAG.name, TAG.pk).equals((Alias::new(TAG_RELATION.name), Alias::new("tag_id"))),
                    )
                    .and_where(col(TAG_RELATION.name, "entity_type").eq(EntityType::Lead.as_str()))
                    .and_where(
                        col(TAG_RELATION.name, "entity_id").equals((Alias::new(LEAD.name), Alias::new(LEAD.pk))),
                    );
                if let Some(pred) = pred {
                    q.and_where(pred(col(TAG.name, "tag_name")));
                }
                q
            }),
            Operand::Scene => self.set(&t.op, |pred| {
                let mut q = self.events();
                q.and_where(col(EVENT.name, "event_type").eq(EventType::FormSubmit.as_str()));
                let scene = self.json(col(EVENT.name, "event_properties"), &["sceneId".to_string()], Some(&TEXT));
                q.and_where(match pred {
                    Some(pred) => pred(scene),
                    None => scene.is_not_null(),
                });
                q
            }),
            Operand::Utm(key) => self.set(&t.op, |pred| {
                let mut q = self.events();
                let utm = self.json(col(EVENT.name, "utm_params"), &[key.to_string()], Some(&TEXT));
                q.and_where(match pred {
                    Some(pred) => pred(utm),
                    None => utm.is_not_null(),
                });
                q
            }),
            Operand::Events { event_type, days } => {
                // The leads whose count in the window satisfies the test, grouped from the window's
                // events (a range of `idx_event_time`), instead of a count per lead: a lead without
                // events is in no group, so when a count of 0 passes the test the statement selects
                // the leads NOT IN the groups that fail it.
                let zero_passes = t.op.holds(&Lit::Number(0.0), self.now);
                let count = || Func::count(Expr::cust("*"));
                let test = self.pred(Expr::expr(count()), &t.op);
                let mut q = Query::select();
                q.column((Alias::new(EVENT.name), Alias::new("lead_id")))
                    .from(Alias::new(EVENT.name))
                    .and_where(col(EVENT.name, "lead_id").is_not_null())
                    .and_where(col(EVENT.name, "event_type").eq(event_type.as_str()))
                    .and_where(col(EVENT.name, "event_time").gte(self.now - Duration::days(*days)))
                    .and_where(col(EVENT.name, "event_time").lte(self.now))
                    .group_by_col((Alias::new(EVENT.name), Alias::new("lead_id")))
                    .and_having(if zero_passes { test.not() } else { test });
                let id = col(LEAD.name, LEAD.pk);
                if zero_passes { id.not_in_subquery(q) } else { id.in_subquery(q) }
            }
        }
    }

    /// `SELECT 1 FROM event WHERE event.lead_id = lead.lead_id` (served by `idx_event_lead`).
    fn events(&self) -> SelectStatement {
        let mut q = Query::select();
        q.expr(Expr::val(1))
            .from(Alias::new(EVENT.name))
            .and_where(col(EVENT.name, "lead_id").equals((Alias::new(LEAD.name), Alias::new(LEAD.pk))));
        q
    }

    /// A set operand: `EXISTS` of a member satisfying the operator (`not_in`: none does).
    fn set(&self, op: &Op, members: impl Fn(Option<&dyn Fn(Expr) -> Expr>) -> SelectStatement) -> Expr {
        match op {
            Op::Contains(x) => {
                let x = x.clone();
                Expr::exists(members(Some(&move |m: Expr| m.eq(x.clone()))))
            }
            Op::In(ls) => {
                let vs: Vec<Value> = ls.iter().map(value).collect();
                Expr::exists(members(Some(&move |m: Expr| m.is_in(vs.clone()))))
            }
            Op::NotIn(ls) => {
                let vs: Vec<Value> = ls.iter().map(value).collect();
                Expr::exists(members(Some(&move |m: Expr| m.is_in(vs.clone())))).not()
            }
            Op::Exists(true) => Expr::exists(members(None)),
            // The parser allows nothing else on a set.
            _ => Expr::cust("FALSE"),
        }
    }

    /// A column test: `x IS NOT NULL AND x <op> v` (`exists`: `x IS NOT NULL`).
    fn leaf(&self, x: Expr, ty: Ty, op: &Op) -> Expr {
        if let Op::Exists(_) = op {
            return x.is_not_null();
        }
        if ty == Ty::Flag {
            let b = |l: &Lit| matches!(l, Lit::Bool(true));
            return match op {
                Op::Eq(l) => x.clone().is_not_null().and(x.eq(b(l))),
                Op::Ne(l) => x.clone().is_not_null().and(x.ne(b(l))),
                _ => Expr::cust("FALSE"),
            };
        }
        self.compare(x, op)
    }

    /// `x IS NOT NULL AND x <op> v` for a value that may be NULL.
    fn compare(&self, x: Expr, op: &Op) -> Expr {
        match op {
            Op::Exists(_) => x.is_not_null(),
            _ => x.clone().is_not_null().and(self.pred(x, op)),
        }
    }

    /// `x <op> v`: NULL when `x` is.
    fn pred(&self, x: Expr, op: &Op) -> Expr {
        let v = |l: &Lit| Expr::val(value(l));
        match op {
            Op::Eq(l) => x.clone().eq(v(l)),
            Op::Ne(l) => x.clone().ne(v(l)),
            Op::In(ls) => x.clone().is_in(ls.iter().map(value)),
            Op::NotIn(ls) => x.clone().is_not_in(ls.iter().map(value)),
            Op::Gt(l) => x.clone().gt(v(l)),
            Op::Gte(l) => x.clone().gte(v(l)),
            Op::Lt(l) => x.clone().lt(v(l)),
            Op::Lte(l) => x.clone().lte(v(l)),
            Op::Between(lo, hi) => x.clone().gte(v(lo)).and(x.clone().lte(v(hi))),
            Op::WithinDays(d) => x.clone().gte(self.now - Duration::days(*d)).and(x.clone().lte(self.now)),
            // Case-sensitive on both backends (LIKE is not: SQLite folds ASCII case).
            Op::Contains(s) => {
                let f = if self.pg { "strpos" } else { "instr" };
                Expr::expr(Func::cust(Alias::new(f)).arg(x.clone()).arg(s.clone())).gt(0)
            }
            Op::StartsWith(s) => {
                let n = s.chars().count();
                Expr::expr(
                    Func::cust(Alias::new("substr")).arg(x.clone()).arg(Expr::cust("1")).arg(Expr::cust(n.to_string())),
                )
                .eq(s.clone())
            }
            Op::Matches(p) => {
                let sql = if self.pg { "$1 ~ $2" } else { "? REGEXP ?" };
                Expr::cust_with_exprs(sql, [x.clone(), Expr::val(p.source.clone())])
            }
            Op::Exists(_) => x.is_not_null(),
        }
    }

    /// The value at `path` in a JSON column when it has the JSON type of `want` (text, number,
    /// flag as `'true'`/`'false'`), else NULL; `want: None` (`exists`): non-NULL when present and
    /// not JSON null.
    fn json(&self, column: Expr, path: &[String], want: Option<&Lit>) -> Expr {
        if self.pg {
            let mut sql = "$1".to_string();
            let mut args = vec![column];
            for (i, k) in path.iter().enumerate() {
                sql = format!("{sql} -> ${}", i + 2);
                args.push(Expr::val(k.clone()));
            }
            let j = format!("({sql})");
            let case = match want {
                None => format!("CASE WHEN jsonb_typeof({j}) <> 'null' THEN 1 END"),
                Some(Lit::Text(_)) => format!("CASE WHEN jsonb_typeof({j}) = 'string' THEN {j} #>> '{{}}' END"),
                Some(Lit::Number(_)) => {
                    format!("CASE WHEN jsonb_typeof({j}) = 'number' THEN CAST({j} #>> '{{}}' AS double precision) END")
                }
                Some(Lit::Bool(_)) => format!("CASE WHEN jsonb_typeof({j}) = 'boolean' THEN {j} #>> '{{}}' END"),
                Some(Lit::Instant(_)) => "NULL".to_string(),
            };
            Expr::cust_with_exprs(case, args)
        } else {
            // SQLite's custom expressions take `?` in order: each use of the column and path repeats them.
            let p: String = std::iter::once("$".to_string()).chain(path.iter().map(|k| format!(".\"{k}\""))).collect();
            let case = match want {
                None => "CASE WHEN json_type(?, ?) <> 'null' THEN 1 END",
                Some(Lit::Text(_)) => "CASE WHEN json_type(?, ?) = 'text' THEN json_extract(?, ?) END",
                Some(Lit::Number(_)) => "CASE WHEN json_type(?, ?) IN ('integer', 'real') THEN json_extract(?, ?) END",
                Some(Lit::Bool(_)) => "CASE WHEN json_type(?, ?) IN ('true', 'false') THEN json_type(?, ?) END",
                Some(Lit::Instant(_)) => "NULL",
            };
            let args: Vec<Expr> =
                (0..case.matches('?').count() / 2).flat_map(|_| [column.clone(), Expr::val(p.clone())]).collect();
            Expr::cust_with_exprs(case, args)
        }
    }
}

static TEXT: Lit = Lit::Text(String::new());
