//! Bulk insert (and upsert) for any table: multi-row `INSERT`s cut into batches small enough for the driver's
//! bind-parameter limit.
//!
//! One statement carries `rows × columns` bind parameters. PostgreSQL's wire protocol counts them
//! in an `u16` (65 535 at most) and SQLite refuses more than `SQLITE_MAX_VARIABLE_NUMBER` (32 766
//! since 3.32, the bundled version). We stay a little below both so that a caller that adds a few
//! parameters of its own to a statement (or a future column) never trips the limit.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel, Iterable, ModelTrait};

use crate::error::AppResult;

/// The ActiveModel type that belongs to a Model type.
pub type ActiveOf<M> = <<M as ModelTrait>::Entity as EntityTrait>::ActiveModel;

/// Bind parameters one statement may carry on this backend, with a safety margin.
pub fn max_bind_params(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Postgres => 60_000,
        DbBackend::Sqlite => 30_000,
        // MySQL's limit is 65 535 as well; anything unknown gets SQLite's old default.
        DbBackend::MySql => 60_000,
        _ => 999,
    }
}

/// `$first, $first+1, …` (`count` of them). SQLite reads `$N` as the N-th parameter too.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// Rows per `INSERT` so that `rows × columns` stays within [`max_bind_params`].
pub fn rows_per_batch(backend: DbBackend, columns: usize) -> usize {
    (max_bind_params(backend) / columns.max(1)).max(1)
}

/// Inserts Models (converted to ActiveModels) in as few statements as the bind limit allows.
/// Returns the number of rows inserted; an empty input runs no SQL.
pub async fn insert_all<M>(db: &impl ConnectionTrait, rows: Vec<M>) -> AppResult<u64>
where
    M: ModelTrait + IntoActiveModel<ActiveOf<M>>,
    ActiveOf<M>: ActiveModelTrait + Send,
{
    insert_batched(db, rows, |_| {}).await
}

/// [`insert_all`] where a row that collides on `on_conflict`'s key updates the stored row as
/// `on_conflict` says instead (e.g. a recomputed day's measures; the stored id stays).
pub async fn upsert_all<M>(db: &impl ConnectionTrait, rows: Vec<M>, on_conflict: OnConflict) -> AppResult<()>
where
    M: ModelTrait + IntoActiveModel<ActiveOf<M>>,
    ActiveOf<M>: ActiveModelTrait + Send,
{
    let columns = <M::Entity as EntityTrait>::Column::iter().count();
    let per_batch = rows_per_batch(db.get_database_backend(), columns);
    let mut rows = rows.into_iter().map(IntoActiveModel::into_active_model).peekable();
    while rows.peek().is_some() {
        let batch: Vec<ActiveOf<M>> = rows.by_ref().take(per_batch).collect();
        M::Entity::insert_many(batch).on_conflict(on_conflict.clone()).exec_without_returning(db).await?;
    }
    Ok(())
}

/// [`insert_all`] that reports each executed batch's row count, e.g. to advance a progress bar.
pub async fn insert_batched<M>(db: &impl ConnectionTrait, rows: Vec<M>, on_batch: impl FnMut(u64)) -> AppResult<u64>
where
    M: ModelTrait + IntoActiveModel<ActiveOf<M>>,
    ActiveOf<M>: ActiveModelTrait + Send,
{
    let active = rows.into_iter().map(IntoActiveModel::into_active_model);
    insert_active_batched(db, active.collect(), on_batch).await
}

/// The core: inserts ActiveModels of one entity, batch by batch, without `RETURNING`.
/// Columns left `NotSet` are sent as NULL (SeaORM aligns the column list across rows).
pub async fn insert_active_batched<A>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
    mut on_batch: impl FnMut(u64),
) -> AppResult<u64>
where
    A: ActiveModelTrait + Send,
{
    let columns = <A::Entity as EntityTrait>::Column::iter().count();
    let per_batch = rows_per_batch(db.get_database_backend(), columns);
    let mut inserted = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(per_batch).collect();
        let n = <A::Entity as EntityTrait>::insert_many(batch).exec_without_returning(db).await?;
        inserted += n;
        on_batch(n);
    }
    Ok(inserted)
}

/// Inserts ActiveModels of one entity like [`insert_active_batched`], returning the stored rows
/// (`RETURNING`), in the order given.
pub async fn insert_active_returning<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> AppResult<Vec<ModelOf<A>>>
where
    A: ActiveModelTrait + Send,
    ModelOf<A>: IntoActiveModel<A>,
{
    let columns = <A::Entity as EntityTrait>::Column::iter().count();
    let per_batch = rows_per_batch(db.get_database_backend(), columns);
    let mut out = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(per_batch).collect();
        out.extend(<A::Entity as EntityTrait>::insert_many(batch).exec_with_returning(db).await?);
    }
    Ok(out)
}

/// The Model type of an ActiveModel type.
pub type ModelOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};
    use entity::{enums::EventType, event};
    use sea_orm::{EntityTrait, PaginatorTrait};

    fn at(i: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000 + i, 0).single().expect("valid time")
    }

    fn events(n: usize) -> Vec<event::Model> {
        (0..n)
            .map(|i| event::Model {
                event_id: format!("EVT_{i:08}"),
                event_name: "page_view".into(),
                event_type: EventType::PageView,
                channel_id: None,
                contact_id: None,
                lead_id: None,
                account_id: None,
                event_time: at(i as i64),
                session_id: Some(format!("S{i}")),
                device_type: None,
                browser: Some("Chrome".into()),
                os: None,
                ip_address: None,
                page_url: Some("https://www.example.com/".into()),
                referrer_url: None,
                event_properties: Some(serde_json::json!({ "i": i })),
                utm_params: None,
                created_at: at(i as i64),
            })
            .collect()
    }

    #[test]
    fn bulk_insert_splits_batches_under_the_bind_limit() {
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for columns in [1, 5, 18, 21, 40] {
                let rows = rows_per_batch(backend, columns);
                assert!(rows >= 1);
                assert!(rows * columns <= max_bind_params(backend));
                // …and the batch is as large as the limit allows.
                assert!((rows + 1) * columns > max_bind_params(backend));
            }
        }
        assert!(max_bind_params(DbBackend::Postgres) < 65_535);
        assert!(max_bind_params(DbBackend::Sqlite) < 32_766);
    }

    #[tokio::test]
    async fn bulk_insert_of_nothing_runs_no_statement() {
        let t = testing::sqlite().await;
        let mut batches = 0;
        let n = insert_batched(&t.db, Vec::<event::Model>::new(), |_| batches += 1).await.expect("insert");
        assert_eq!((n, batches), (0, 0));
    }

    #[tokio::test]
    async fn bulk_insert_writes_every_row_across_several_batches() {
        for t in testing::databases().await {
            let db = &t.db;
            // 18 columns × 8 000 rows = 144 000 parameters: over twice PostgreSQL's limit.
            let rows = events(8_000);
            let backend = db.get_database_backend();
            let expected_batches = 8_000usize.div_ceil(rows_per_batch(backend, 18));
            let mut sizes = Vec::new();
            let n = insert_batched(db, rows.clone(), |k| sizes.push(k)).await.expect("insert");
            assert_eq!(n, 8_000, "{}", t.name());
            assert_eq!(sizes.len(), expected_batches);
            assert!(sizes.len() >= 3);
            assert_eq!(event::Entity::find().count(db).await.expect("count"), 8_000);
            let last = event::Entity::find_by_id("EVT_00007999").one(db).await.expect("query").expect("row");
            assert_eq!(last, rows[7_999], "{}", t.name());
        }
    }
}

/// Fresh, migrated databases for tests: SQLite in memory always, plus a throw-away PostgreSQL
/// database (`cdp360_test_<random>`, dropped afterwards) when `CDP_TEST_DATABASE_URL` is set.
#[cfg(test)]
pub(crate) mod testing {
    use migration::MigratorTrait;
    use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

    pub(crate) struct TestDb {
        pub db: DatabaseConnection,
        /// (server URL, database name) of a PostgreSQL database to drop when done.
        postgres: Option<(String, String)>,
    }

    impl TestDb {
        pub fn name(&self) -> &str {
            self.postgres.as_ref().map_or("sqlite", |p| p.1.as_str())
        }
    }

    impl Drop for TestDb {
        fn drop(&mut self) {
            let Some((server, name)) = self.postgres.take() else { return };
            // Drop runs inside the test's runtime (maybe while panicking): drop the database from a
            // separate thread with its own runtime.
            let dropped = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    let admin = Database::connect(&server).await.ok()?;
                    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()
                })
            });
            let _ = dropped.join();
        }
    }

    pub(crate) async fn sqlite() -> TestDb {
        let db = Database::connect("sqlite::memory:").await.expect("sqlite");
        migration::Migrator::up(&db, None).await.expect("migrate sqlite");
        TestDb { db, postgres: None }
    }

    pub(crate) async fn postgres() -> Option<TestDb> {
        let server = std::env::var("CDP_TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))?;
        let name = format!("cdp360_test_{:016x}", rand::random::<u64>());
        let admin = Database::connect(&server).await.expect("connect CDP_TEST_DATABASE_URL");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        admin.close().await.expect("close admin connection");
        let (base, query) = match server.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (server.as_str(), String::new()),
        };
        let url = format!("{}/{name}{query}", base.rsplit_once('/').map_or(base, |(b, _)| b));
        let db = Database::connect(&url).await.expect("connect test database");
        let test_db = TestDb { db, postgres: Some((server.clone(), name)) };
        migration::Migrator::up(&test_db.db, None).await.expect("migrate postgres");
        Some(test_db)
    }

    /// SQLite, and PostgreSQL when configured.
    pub(crate) async fn databases() -> Vec<TestDb> {
        let mut all = vec![sqlite().await];
        all.extend(postgres().await);
        all
    }
}

/// Refreshes the planner's statistics of every table (`ANALYZE`) after a bulk load. Without them
/// PostgreSQL plans a freshly loaded table as if it were empty (a blind-index `IN (…)` lookup
/// became a sequential scan of 20 000 leads) until autovacuum, if enabled, gets to it.
pub async fn analyze(db: &impl ConnectionTrait) -> AppResult<()> {
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}
