//! A small, SQL-free filter language that the API layer fills from its typed inputs, and its
//! translation to a sea-query condition. Columns are plain names qualified by the table the filter
//! is applied to, so one translator serves every table; values arrive already typed (the GraphQL
//! inputs are per-column), so no string is ever spliced into SQL.

use sea_orm::Value;
use sea_orm::sea_query::{Alias, Cond, Condition, Expr, ExprTrait, Func, LikeExpr, Query};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Clone, Debug)]
pub enum Filter {
    Cmp {
        col: &'static str,
        op: CmpOp,
        value: Value,
    },
    In {
        col: &'static str,
        values: Vec<Value>,
        negated: bool,
    },
    /// Case-insensitive `contains` / `startsWith` (LIKE semantics differ per backend, LOWER() does not).
    Like {
        col: &'static str,
        needle: String,
        prefix_only: bool,
    },
    IsNull {
        col: &'static str,
        is_null: bool,
    },
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// `col IN (SELECT key FROM table WHERE filter)`: a filter across a to-one relation.
    Related {
        col: &'static str,
        table: &'static str,
        key: &'static str,
        filter: Box<Filter>,
    },
}

/// The most values one filter may bind (README "Security"): well under PostgreSQL's 65,535
/// parameters per statement, with room for the statement's own.
pub const MAX_BOUND_VALUES: usize = 10_000;

impl Filter {
    /// The values this filter binds as statement parameters.
    pub fn bound_values(&self) -> usize {
        match self {
            Filter::Cmp { .. } | Filter::Like { .. } => 1,
            Filter::In { values, .. } => values.len(),
            Filter::IsNull { .. } => 0,
            Filter::And(parts) | Filter::Or(parts) => parts.iter().map(Filter::bound_values).sum(),
            Filter::Not(inner) | Filter::Related { filter: inner, .. } => inner.bound_values(),
        }
    }

    /// Conjunction that flattens the trivial cases.
    pub fn all(mut parts: Vec<Filter>) -> Option<Filter> {
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Filter::And(parts)),
        }
    }
}

pub(crate) fn col(table: &str, col: &str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(col)))
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for ch in s.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Translate a filter applied to rows of `table`.
pub fn condition(table: &str, f: &Filter) -> Condition {
    match f {
        Filter::Cmp { col: c, op, value } => {
            let e = col(table, c);
            let v = Expr::val(value.clone());
            Cond::all().add(match op {
                CmpOp::Eq => e.eq(v),
                CmpOp::Ne => e.ne(v),
                CmpOp::Lt => e.lt(v),
                CmpOp::Lte => e.lte(v),
                CmpOp::Gt => e.gt(v),
                CmpOp::Gte => e.gte(v),
            })
        }
        Filter::In { col: c, values, negated } => {
            let vals = values.iter().cloned().map(Expr::val);
            // An empty IN list matches nothing (NOT IN: everything); say so explicitly rather
            // than relying on how each backend renders `IN ()`.
            let e = if values.is_empty() {
                Expr::val(*negated).eq(Expr::val(true))
            } else if *negated {
                col(table, c).is_not_in(vals)
            } else {
                col(table, c).is_in(vals)
            };
            Cond::all().add(e)
        }
        Filter::Like { col: c, needle, prefix_only } => {
            let pat = escape_like(&needle.to_lowercase());
            let pat = if *prefix_only { format!("{pat}%") } else { format!("%{pat}%") };
            Cond::all().add(Expr::expr(Func::lower(col(table, c))).like(LikeExpr::new(pat).escape('\\')))
        }
        Filter::IsNull { col: c, is_null } => {
            Cond::all().add(if *is_null { col(table, c).is_null() } else { col(table, c).is_not_null() })
        }
        Filter::And(parts) => parts.iter().fold(Cond::all(), |acc, p| acc.add(condition(table, p))),
        Filter::Or(parts) => parts.iter().fold(Cond::any(), |acc, p| acc.add(condition(table, p))),
        Filter::Not(inner) => condition(table, inner).not(),
        Filter::Related { col: c, table: target, key, filter } => {
            let mut sub = Query::select();
            sub.column((Alias::new(*target), Alias::new(*key)))
                .from(Alias::new(*target))
                .cond_where(condition(target, filter));
            Cond::all().add(col(table, c).in_subquery(sub))
        }
    }
}
