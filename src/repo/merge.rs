//! SQL of merging contacts and accounts (`services::merge`): which rows reference the merged
//! records, moving them (and back), all generic over the referencing table. Table and column
//! names come from the service's constants, never from input; values are bound.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, EntityTrait, IdenStatic, Value};

use crate::catalog::{self, RefKind};
use crate::error::AppResult;
use crate::repo::write::{pk, table};

/// Ids per statement: far below every backend's bind-parameter limit.
const CHUNK: usize = 500;

/// One row referencing a merged record: its primary key, the id it references, and the values of
/// the columns that share a unique index with the reference (`group`) or, for a self-relation,
/// the other end (`other`).
#[derive(Clone, Debug)]
pub struct Referencing {
    pub pk: String,
    pub target: String,
    pub group: Vec<String>,
    pub other: Option<String>,
}

/// Where a reference lives.
#[derive(Clone, Copy, Debug)]
pub struct RefColumn {
    pub table: &'static str,
    pub pk: &'static str,
    pub col: &'static str,
    /// `(column, value)` of a polymorphic reference (`entity_type = 'CONTACT'`).
    pub discriminator: Option<(&'static str, &'static str)>,
    /// The columns of a unique index that contains `col` (empty when none does).
    pub key: &'static [&'static str],
    /// The other end of a self-relation (a row may not come to reference the same record twice).
    pub other_end: Option<&'static str>,
}

impl RefColumn {
    /// Every reference to a row of `table` a merge re-points, from the catalogue: foreign keys and
    /// polymorphic references. Left alone: plain references (a tombstone's `merged_into_id` keeps
    /// naming the record it went into; identity follows the chain) and summaries (derived, and
    /// refreshed for the survivor after the merge).
    pub fn all_to(table: &str) -> Vec<RefColumn> {
        catalog::references_to(table)
            .filter(|(f, r)| r.kind != RefKind::Plain && f.summary_of.is_none())
            .map(|(f, r)| {
                let key = f.unique.iter().find(|u| u.1.contains(&r.col)).map_or(&[][..], |u| u.1);
                let other_end = f
                    .references
                    .iter()
                    .find(|o| o.col != r.col && o.to.name == table && o.kind == RefKind::Fk && key.contains(&o.col))
                    .map(|o| o.col);
                RefColumn {
                    table: f.table.name,
                    pk: f.table.pk,
                    col: r.col,
                    discriminator: r.discriminator(),
                    key,
                    other_end,
                }
            })
            .collect()
    }

    /// The other columns of the unique index that contains `col` (the discriminator is fixed).
    pub fn unique_with(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.key.iter().copied().filter(|c| *c != self.col && Some(*c) != self.discriminator.map(|d| d.0))
    }
}

fn select(r: &RefColumn) -> sea_orm::sea_query::SelectStatement {
    let mut q = Query::select();
    q.from(Alias::new(r.table));
    if let Some((col, value)) = r.discriminator {
        q.and_where(Expr::col(Alias::new(col)).eq(value));
    }
    q
}

fn text(row: &sea_orm::QueryResult, col: &str) -> AppResult<String> {
    Ok(row.try_get::<String>("", col)?)
}

/// The rows whose `col` references one of `ids`, ordered by primary key.
pub async fn referencing(db: &impl ConnectionTrait, r: &RefColumn, ids: &[String]) -> AppResult<Vec<Referencing>> {
    let mut q = select(r);
    q.column(Alias::new(r.pk)).column(Alias::new(r.col));
    for c in r.unique_with().chain(r.other_end) {
        q.column(Alias::new(c));
    }
    q.and_where(Expr::col(Alias::new(r.col)).is_in(ids.iter().cloned())).order_by(Alias::new(r.pk), Order::Asc);
    let rows = db.query_all(&q).await?;
    rows.iter()
        .map(|row| {
            Ok(Referencing {
                pk: text(row, r.pk)?,
                target: text(row, r.col)?,
                group: r.unique_with().map(|c| text(row, c)).collect::<AppResult<_>>()?,
                other: r.other_end.map(|c| text(row, c)).transpose()?,
            })
        })
        .collect()
}

/// The unique-index groups (values of `unique_with`) `id` already has in this table.
pub async fn groups_of(db: &impl ConnectionTrait, r: &RefColumn, id: &str) -> AppResult<Vec<Vec<String>>> {
    if r.unique_with().next().is_none() {
        return Ok(vec![]);
    }
    let mut q = select(r);
    for c in r.unique_with() {
        q.column(Alias::new(c));
    }
    q.and_where(Expr::col(Alias::new(r.col)).eq(id));
    let rows = db.query_all(&q).await?;
    rows.iter().map(|row| r.unique_with().map(|c| text(row, c)).collect()).collect()
}

/// `UPDATE table SET col = to WHERE pk IN (pks) [AND col = expect]`; returns the rows changed.
pub async fn set_reference(
    db: &impl ConnectionTrait,
    r: &RefColumn,
    pks: &[String],
    to: &str,
    expect: Option<&str>,
) -> AppResult<u64> {
    let mut changed = 0;
    for chunk in pks.chunks(CHUNK) {
        let mut q = Query::update();
        q.table(Alias::new(r.table))
            .value(Alias::new(r.col), Value::from(to))
            .and_where(Expr::col(Alias::new(r.pk)).is_in(chunk.iter().cloned()));
        if let Some(expect) = expect {
            q.and_where(Expr::col(Alias::new(r.col)).eq(expect));
        }
        changed += db.execute(&q).await?.rows_affected();
    }
    Ok(changed)
}

/// `UPDATE table SET sets… WHERE pk = id AND (col IS NULL OR col = '')` for every text column of
/// `empty_text` `AND col IS NULL` for every column of `null`: writes only while those columns are
/// still unset (a concurrent fill or merge makes it false).
pub async fn update_if_unset<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: &str,
    sets: Vec<(&'static str, Value)>,
    empty_text: &[&'static str],
    null: &[&'static str],
) -> AppResult<bool> {
    use sea_orm::sea_query::Cond;
    let mut q = Query::update();
    q.table(Alias::new(table::<E>())).and_where(Expr::col(Alias::new(pk::<E>().as_str())).eq(id));
    for (col, value) in sets {
        q.value(Alias::new(col), value);
    }
    for col in empty_text {
        q.cond_where(Cond::any().add(Expr::col(Alias::new(*col)).is_null()).add(Expr::col(Alias::new(*col)).eq("")));
    }
    for col in null {
        q.and_where(Expr::col(Alias::new(*col)).is_null());
    }
    Ok(db.execute(&q).await?.rows_affected() == 1)
}

/// Merges never form a cycle (a tombstone cannot be a survivor), so a chain longer than this is
/// corrupt data, not history.
const MAX_CHAIN: usize = 32;

/// The live record each tombstone among `ids` (rows of `E` with `merged_into_id` set) was merged
/// into: `merged_into_id` is followed while the survivor has itself been merged since. Ids that
/// are not tombstones, or do not exist, are absent from the answer. One statement per hop (per
/// 500 ids).
pub async fn survivors<E: EntityTrait>(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> AppResult<std::collections::HashMap<String, String>> {
    let (table, pk) = (table::<E>(), pk::<E>().as_str());
    let mut current: std::collections::BTreeMap<String, String> =
        ids.iter().map(|id| (id.clone(), id.clone())).collect();
    let mut ask: Vec<String> = current.keys().cloned().collect();
    for _ in 0..MAX_CHAIN {
        let mut next = std::collections::HashMap::new();
        for chunk in ask.chunks(CHUNK) {
            let mut q = Query::select();
            q.column(Alias::new(pk))
                .column(Alias::new("merged_into_id"))
                .from(Alias::new(table))
                .and_where(Expr::col(Alias::new(pk)).is_in(chunk.iter().cloned()))
                .and_where(Expr::col(Alias::new("merged_into_id")).is_not_null());
            for row in db.query_all(&q).await? {
                next.insert(text(&row, pk)?, text(&row, "merged_into_id")?);
            }
        }
        if next.is_empty() {
            break;
        }
        for target in current.values_mut() {
            if let Some(into) = next.get(target) {
                *target = into.clone();
            }
        }
        ask = next.into_values().collect();
        ask.sort_unstable();
        ask.dedup();
    }
    Ok(current.into_iter().filter(|(id, live)| id != live).collect())
}
