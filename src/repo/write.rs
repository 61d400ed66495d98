//! Generic writes the services share: a guarded UPDATE and DELETE (optimistic concurrency) and
//! existence checks for foreign keys. Inserts go through SeaORM ActiveModels or `bulk`.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Value};

use crate::error::AppResult;
use crate::repo::filter::{Filter, condition};

/// `UPDATE table SET sets… WHERE pk = id AND expect…`: true when the row matched. A false answer
/// means the row is gone or changed since it was read (the caller decides what that means).
pub async fn update_where(
    db: &impl ConnectionTrait,
    table: &str,
    pk: &str,
    id: &str,
    sets: Vec<(&'static str, Value)>,
    expect: Vec<(&'static str, Value)>,
) -> AppResult<bool> {
    let mut q = Query::update();
    q.table(Alias::new(table)).and_where(Expr::col(Alias::new(pk)).eq(id));
    for (col, value) in sets {
        q.value(Alias::new(col), value);
    }
    for (col, value) in expect {
        q.and_where(Expr::col(Alias::new(col)).eq(value));
    }
    Ok(db.execute(&q).await?.rows_affected() == 1)
}

/// Which of `ids` exist in `table` (by its key column), among the rows `filter` lets through.
pub async fn existing(
    db: &impl ConnectionTrait,
    table: &str,
    key: &str,
    ids: &[String],
    filter: Option<&Filter>,
) -> AppResult<Vec<String>> {
    Ok(existing_with(db, table, key, ids, filter, None).await?.into_iter().map(|(id, _)| id).collect())
}

/// [`existing`], each id with the value of the text column `also` (NULL or no column: `None`).
pub async fn existing_with(
    db: &impl ConnectionTrait,
    table: &str,
    key: &str,
    ids: &[String],
    filter: Option<&Filter>,
    also: Option<&str>,
) -> AppResult<Vec<(String, Option<String>)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut q = Query::select();
    q.column(Alias::new(key)).from(Alias::new(table)).and_where(Expr::col(Alias::new(key)).is_in(ids.iter().cloned()));
    if let Some(col) = also {
        q.column(Alias::new(col));
    }
    if let Some(f) = filter {
        q.cond_where(condition(table, f));
    }
    let rows = db.query_all(&q).await?;
    rows.iter()
        .map(|r| {
            let other = also.map(|col| r.try_get::<Option<String>>("", col)).transpose()?.flatten();
            Ok((r.try_get::<String>("", key)?, other))
        })
        .collect()
}

/// `DELETE FROM table WHERE pk = id AND expect…`: true when the row matched. False means the row
/// is gone or changed since it was read (the caller decides what that means).
pub async fn delete_where(
    db: &impl ConnectionTrait,
    table: &str,
    pk: &str,
    id: &str,
    expect: Vec<(&'static str, Value)>,
) -> AppResult<bool> {
    let mut q = Query::delete();
    q.from_table(Alias::new(table)).and_where(Expr::col(Alias::new(pk)).eq(id));
    for (col, value) in expect {
        q.and_where(Expr::col(Alias::new(col)).eq(value));
    }
    Ok(db.execute(&q).await?.rows_affected() == 1)
}

/// The primary key of the first row (by key) matching `filter`.
pub async fn first_id(
    db: &impl ConnectionTrait,
    table: crate::repo::page::Table,
    filter: Option<&Filter>,
) -> AppResult<Option<String>> {
    let mut q = Query::select();
    q.column(Alias::new(table.pk))
        .from(Alias::new(table.name))
        .order_by(Alias::new(table.pk), sea_orm::sea_query::Order::Asc)
        .limit(1);
    if let Some(f) = filter {
        q.cond_where(condition(table.name, f));
    }
    let row = db.query_one(&q).await?;
    Ok(row.map(|r| r.try_get::<String>("", table.pk)).transpose()?)
}
