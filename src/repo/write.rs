//! Record statements the services share, typed by entity: the table is `E::default().table_name()`
//! and the key `E`'s primary key (one text column in every table). By-id reads and single-row
//! inserts and updates of models (multi-row inserts are `bulk`), a guarded UPDATE and DELETE
//! (optimistic concurrency) and existence checks for foreign keys.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, IntoActiveModel, Iterable, ModelTrait,
    PrimaryKeyToColumn, QueryFilter, Value,
};

use crate::error::AppResult;
use crate::repo::bulk::ActiveOf;
use crate::repo::filter::{Filter, condition};

/// The table of `E`.
pub fn table<E: EntityTrait>() -> &'static str {
    E::default().table_name()
}

/// The primary-key column of `E`. Every entity has one (`DeriveEntityModel` refuses a model
/// without), so its absence is a bug in `entity/`, not a runtime condition.
pub fn pk<E: EntityTrait>() -> E::Column {
    E::PrimaryKey::iter().next().map(PrimaryKeyToColumn::into_column).expect("an entity without a primary key")
}

/// The record of `E` with primary key `id`, if any.
pub async fn find_by_id<E: EntityTrait>(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<E::Model>> {
    Ok(E::find().filter(pk::<E>().eq(id)).one(db).await?)
}

/// `INSERT` of one ActiveModel, returning the stored row.
pub async fn insert<E: EntityTrait>(db: &impl ConnectionTrait, am: E::ActiveModel) -> AppResult<E::Model>
where
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send,
{
    Ok(am.insert(db).await?)
}

/// `INSERT` of one model (every column set), returning the stored row.
pub async fn insert_model<M>(db: &impl ConnectionTrait, model: M) -> AppResult<M>
where
    M: ModelTrait + IntoActiveModel<ActiveOf<M>>,
    M::Entity: EntityTrait<Model = M>,
    ActiveOf<M>: Send,
{
    insert::<M::Entity>(db, model.into_active_model()).await
}

/// `UPDATE` of the columns an ActiveModel has set, by its primary key, returning the stored row.
pub async fn update<E: EntityTrait>(db: &impl ConnectionTrait, am: E::ActiveModel) -> AppResult<E::Model>
where
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send,
{
    Ok(am.update(db).await?)
}

/// `UPDATE table SET sets… WHERE pk = id AND expect…`: true when the row matched. A false answer
/// means the row is gone or changed since it was read (the caller decides what that means).
pub async fn update_where<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: &str,
    sets: Vec<(&'static str, Value)>,
    expect: Vec<(&'static str, Value)>,
) -> AppResult<bool> {
    let mut q = Query::update();
    q.table(Alias::new(table::<E>())).and_where(Expr::col(Alias::new(pk::<E>().as_str())).eq(id));
    for (col, value) in sets {
        q.value(Alias::new(col), value);
    }
    for (col, value) in expect {
        q.and_where(Expr::col(Alias::new(col)).eq(value));
    }
    Ok(db.execute(&q).await?.rows_affected() == 1)
}

/// Which of `ids` exist in `E`'s table, among the rows `filter` lets through.
pub async fn existing<E: EntityTrait>(
    db: &impl ConnectionTrait,
    ids: &[String],
    filter: Option<&Filter>,
) -> AppResult<Vec<String>> {
    let found = existing_with(db, table::<E>(), pk::<E>().as_str(), ids, filter, None).await?;
    Ok(found.into_iter().map(|(id, _)| id).collect())
}

/// Which of `ids` exist in `table` (by its key column), among the rows `filter` lets through, each
/// with the value of the text column `also` (NULL or no column: `None`). By name, not by entity:
/// its caller, the reference check of every write (`services::read::existing`), learns the
/// referenced table at run time from the registrations (`services::crud::Meta::references`).
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
pub async fn delete_where<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: &str,
    expect: Vec<(&'static str, Value)>,
) -> AppResult<bool> {
    let mut q = Query::delete();
    q.from_table(Alias::new(table::<E>())).and_where(Expr::col(Alias::new(pk::<E>().as_str())).eq(id));
    for (col, value) in expect {
        q.and_where(Expr::col(Alias::new(col)).eq(value));
    }
    Ok(db.execute(&q).await?.rows_affected() == 1)
}

/// The primary key of the first row of `E` (by key) matching `filter`.
pub async fn first_id<E: EntityTrait>(db: &impl ConnectionTrait, filter: Option<&Filter>) -> AppResult<Option<String>> {
    let (table, pk) = (table::<E>(), pk::<E>().as_str());
    let mut q = Query::select();
    q.column(Alias::new(pk)).from(Alias::new(table)).order_by(Alias::new(pk), sea_orm::sea_query::Order::Asc).limit(1);
    if let Some(f) = filter {
        q.cond_where(condition(table, f));
    }
    let row = db.query_one(&q).await?;
    Ok(row.map(|r| r.try_get::<String>("", pk)).transpose()?)
}
