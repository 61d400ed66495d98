//! Statements of `rotate-keys`: find ciphertexts not under the current key, and swap one value
//! for its re-encryption without overwriting a concurrent write.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{ConnectionTrait, EntityTrait, IdenStatic};

use crate::error::AppResult;
use crate::repo::write::{pk, table};

fn stale(column: &str, current_prefix: &str) -> sea_orm::sea_query::Condition {
    // Key ids are letters and digits, so the prefix holds no LIKE wildcard.
    sea_orm::sea_query::Cond::all()
        .add(Expr::col(Alias::new(column)).is_not_null())
        .add(Expr::col(Alias::new(column)).not_like(format!("{current_prefix}%")))
}

/// Values of `column` in `E`'s table not written under the current key.
pub async fn count_stale<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: &str,
    current_prefix: &str,
) -> AppResult<u64> {
    let mut q = Query::select();
    q.expr_as(Func::count(Expr::col(sea_orm::sea_query::Asterisk)), Alias::new("n"))
        .from(Alias::new(table::<E>()))
        .cond_where(stale(column, current_prefix));
    let row = db.query_one(&q).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0) as u64)
}

/// The next `limit` rows after `after` (by primary key) whose value is not under the current key:
/// `(id, ciphertext)`. Keyset by id, so a value that cannot be re-encrypted is passed, not retried.
pub async fn stale_batch<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: &str,
    current_prefix: &str,
    after: Option<&str>,
    limit: u64,
) -> AppResult<Vec<(String, String)>> {
    let (table, pk) = (table::<E>(), pk::<E>().as_str());
    let mut q = Query::select();
    q.column(Alias::new(pk))
        .expr_as(Expr::col(Alias::new(column)), Alias::new("value"))
        .from(Alias::new(table))
        .cond_where(stale(column, current_prefix))
        .order_by(Alias::new(pk), sea_orm::sea_query::Order::Asc)
        .limit(limit);
    if let Some(after) = after {
        q.and_where(Expr::col(Alias::new(pk)).gt(after));
    }
    let rows = db.query_all(&q).await?;
    rows.iter().map(|r| Ok((r.try_get::<String>("", pk)?, r.try_get::<String>("", "value")?))).collect()
}

/// `UPDATE table SET column = new WHERE pk = id AND column = old`: false when the row changed
/// meanwhile (a concurrent write already stored a fresh ciphertext, which wins).
pub async fn replace_value<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: &str,
    id: &str,
    old: &str,
    new: &str,
) -> AppResult<bool> {
    let mut q = Query::update();
    q.table(Alias::new(table::<E>()))
        .value(Alias::new(column), new)
        .and_where(Expr::col(Alias::new(pk::<E>().as_str())).eq(id))
        .and_where(Expr::col(Alias::new(column)).eq(old));
    Ok(db.execute(&q).await?.rows_affected() == 1)
}
