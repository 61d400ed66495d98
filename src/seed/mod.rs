//! Deterministic demo and benchmark data: `cdp360 seed --scale N [--seed S] [--as-of DATE]` and the
//! demo data set `serve` loads into an empty database. A module of its own beside `services`, not
//! in it: it is a tool that fills tables, not a use case of the API.
//!
//! The same `seed`, `scale` and `as_of` always produce the same rows, ids included: every step
//! draws from its own ChaCha8 stream, ids are `<PREFIX>_<ULID>` with the row's creation time as the
//! ULID time, and time is anchored to 00:00 UTC of the as-of date (today's UTC date unless pinned;
//! the data covers the two years before it, see [`clock`]), so the data set ends where the server's
//! clock is and accounts look as active as they are. Summaries are refreshed as of that anchor
//! too; only their `summary_id`s are drawn by the database.
//!
//! What an analyst checks first holds: times of day follow Beijing working hours and weekdays
//! per kind of activity (calls in office hours, web visits with an evening peak; [`clock::Rhythm`]);
//! addresses name roads of their own city; event names use one vocabulary (the `EventType` value in
//! lower case, never both of a synonym pair); mini-program events carry mini-program page paths,
//! not web URLs; a campaign's cost is its leads × a cost per lead (none without leads).
//!
//! Volumes at scale 1: ≈ 1 000 accounts, 5 000 contacts, 20 000 leads, 3 000 opportunities, 50 000
//! touchpoints and 200 000 events, plus everything around them (all 38 tables); they grow linearly
//! with the scale, with a floor that keeps every table filled at tiny scales. Catalogues (industries,
//! channels, products, tags, journey stages, score models) do not scale.
//!
//! Everything is generated in memory first (events are streamed in batches), then bulk-inserted in
//! foreign-key order inside one transaction: a failed seed leaves nothing behind.

mod activity;
mod catalog;
mod clock;
mod crm;
mod insight;
mod marketing;
mod names;
mod world;

use std::time::{Duration, Instant};

use chrono::NaiveDate;

use entity::{account, lead};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityName, EntityTrait, IntoActiveModel, ModelTrait, QuerySelect,
    TransactionTrait,
};

pub use clock::{Clock, prefix_id};
pub use world::Volumes;

use crate::domain::timezone::BusinessZone;
use crate::error::{AppError, AppResult};
use crate::repo::{bulk, summary};
use crate::services;
use crate::services::pii::Pii;
use clock::Stream;
use world::World;

/// Scale of the demo data set loaded by `serve` into an empty database.
pub const DEMO_SCALE: f64 = 0.02;
/// Seed used when none is given.
pub const DEFAULT_SEED: u64 = 20_261_101;
/// Largest accepted scale (≈ 20 M events); beyond it a single in-memory generation is unreasonable.
pub const MAX_SCALE: f64 = 100.0;

/// Earliest and latest accepted as-of dates: the history before the anchor stays after 1970 (ULID
/// times), and the far future is a typo rather than a plan.
pub const AS_OF_RANGE: std::ops::RangeInclusive<NaiveDate> = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date")
    ..=NaiveDate::from_ymd_opt(2999, 12, 31).expect("valid date");

#[derive(Debug, Clone, PartialEq)]
pub struct SeedOptions {
    /// 1.0 ≈ 1 000 accounts / 20 000 leads / 200 000 events; fractional scales allowed.
    pub scale: f64,
    pub seed: u64,
    /// The data set's "now": generated history ends at 00:00 UTC of this date.
    pub as_of: NaiveDate,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// The business timezone cutting the performance tables' days (`CDP_BUSINESS_TZ`).
    pub zone: BusinessZone,
}

impl Default for SeedOptions {
    /// Scale 1, the default seed, as of today (UTC).
    fn default() -> Self {
        Self { scale: 1.0, seed: DEFAULT_SEED, as_of: clock::today(), progress: false, zone: BusinessZone::default() }
    }
}

/// Parses an as-of date as the command line takes it: `YYYY-MM-DD` within [`AS_OF_RANGE`].
pub fn parse_as_of(text: &str) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("expected a date as YYYY-MM-DD (e.g. 2026-11-01), got '{text}'"))?;
    if !AS_OF_RANGE.contains(&date) {
        return Err(format!(
            "the as-of date must lie between {} and {}, got {date}",
            AS_OF_RANGE.start(),
            AS_OF_RANGE.end()
        ));
    }
    Ok(date)
}

/// The roads addresses in `district` of `city` (e.g. 济南市, 历下区) are generated on; empty for a
/// place the generator does not know.
pub fn district_streets(city: &str, district: &str) -> &'static [&'static str] {
    let city = names::CITIES.iter().find(|c| c.city == city);
    city.and_then(|c| c.districts.iter().find(|d| d.0 == district)).map_or(&[], |d| d.2)
}

/// The roads of all districts of `city` the generator knows.
pub fn city_streets(city: &str) -> Vec<&'static str> {
    let city = names::CITIES.iter().find(|c| c.city == city);
    city.into_iter().flat_map(|c| c.districts.iter().flat_map(|d| d.2.iter().copied())).collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeedReport {
    /// Rows written per table, in insertion order (summaries last).
    pub tables: Vec<(&'static str, u64)>,
    pub elapsed: Duration,
}

impl SeedReport {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.1).sum()
    }

    pub fn rows(&self, table: &str) -> u64 {
        self.tables.iter().filter(|t| t.0 == table).map(|t| t.1).sum()
    }
}

/// True when the database holds no account and no lead (a fresh install).
pub async fn is_empty(db: &impl ConnectionTrait) -> AppResult<bool> {
    let account =
        account::Entity::find().select_only().column(account::Column::AccountId).into_tuple::<String>().one(db).await?;
    let lead = lead::Entity::find().select_only().column(lead::Column::LeadId).into_tuple::<String>().one(db).await?;
    Ok(account.is_none() && lead.is_none())
}

/// The small data set `serve` loads into an empty database, as of today (UTC).
pub async fn seed_demo(db: &DatabaseConnection, pii: &Pii) -> AppResult<SeedReport> {
    seed(db, pii, &SeedOptions { scale: DEMO_SCALE, ..SeedOptions::default() }).await
}

/// Generates and inserts a data set of `opts.scale` into an empty database, in one transaction,
/// then refreshes the planner statistics (`ANALYZE`: the next queries are planned for the data).
/// PII is generated as plaintext and sealed by `pii` (ciphertext + blind index) on the way in.
pub async fn seed(db: &DatabaseConnection, pii: &Pii, opts: &SeedOptions) -> AppResult<SeedReport> {
    if !(opts.scale > 0.0 && opts.scale <= MAX_SCALE) {
        return Err(AppError::bad_input(format!("seed scale must be in (0, {MAX_SCALE}], got {}", opts.scale)));
    }
    if !AS_OF_RANGE.contains(&opts.as_of) {
        return Err(AppError::bad_input(format!(
            "the as-of date must lie between {} and {}, got {}",
            AS_OF_RANGE.start(),
            AS_OF_RANGE.end(),
            opts.as_of
        )));
    }
    if !is_empty(db).await? {
        return Err(AppError::Conflict(
            "the database already holds accounts or leads; seed needs an empty database".into(),
        ));
    }
    let started = Instant::now();
    let volumes = Volumes::for_scale(opts.scale);
    let bar = progress_bar(opts.progress);
    bar.set_message("generating");
    let clock = Clock::as_of(opts.as_of);
    let mut world = generate(opts.seed, clock, volumes);
    bar.set_length(planned_rows(&world, volumes));

    let txn = db.begin().await?;
    let mut loader = Loader { db: &txn, bar: &bar, tables: Vec::new() };
    load(&mut loader, pii, &mut world, opts.seed, volumes).await?;
    // Set-based, as of the anchor the data is generated around (not the wall clock).
    bar.set_message("summaries");
    for s in summary::Summary::ALL {
        let rows = summary::refresh(&txn, s, None, clock.anchor()).await?;
        loader.tables.push((s.table(), rows));
    }
    // The performance tables as a server keeps them: every business day of the history,
    // recomputed from the rows just loaded (not generated).
    bar.set_message("performance");
    let last = opts.zone.day_of(clock.anchor());
    if let Some((first, last)) = services::performance::default_range(&txn, opts.zone, last).await? {
        let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
        services::performance::recompute_days(&txn, opts.zone, days, |_| {}).await?;
        use sea_orm::PaginatorTrait;
        let channels = entity::channel_performance::Entity::find().count(&txn).await?;
        let campaigns = entity::campaign_performance::Entity::find().count(&txn).await?;
        loader.tables.push(("channel_performance", channels));
        loader.tables.push(("campaign_performance", campaigns));
    }
    let tables = loader.tables;
    txn.commit().await?;
    bar.set_message("statistics");
    crate::repo::bulk::analyze(db).await?;
    bar.finish_with_message("done");
    Ok(SeedReport { tables, elapsed: started.elapsed() })
}

fn progress_bar(visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template("{spinner} {msg:<26} [{bar:40}] {human_pos}/{human_len} rows ({eta})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar
}

/// Builds every table except `event` (streamed while inserting) in memory, as of `clock`.
pub(crate) fn generate(seed: u64, clock: Clock, v: Volumes) -> World {
    let mut w = World { clock, ..World::default() };
    let mut taken = crm::Taken::default();
    catalog::generate(&mut w, &mut clock::rng(seed, Stream::Catalog), v.users, &mut taken.phones);
    marketing::campaigns(&mut w, &mut clock::rng(seed, Stream::Campaigns), v.campaigns);

    let mut rng = clock::rng(seed, Stream::Accounts);
    crm::accounts(&mut w, &mut rng, v.accounts, &mut taken);
    let groups = crm::account_relations(&mut w, &mut rng, &mut taken);
    crm::contacts(&mut w, &mut clock::rng(seed, Stream::Contacts), v.contacts, &groups, &mut taken);
    crm::leads(&mut w, &mut clock::rng(seed, Stream::Leads), v.leads, &mut taken);
    let mut rng = clock::rng(seed, Stream::Identities);
    crm::account_identities(&mut w, &mut rng, &mut taken);
    crm::identities(&mut w, &mut rng, &mut taken);
    crm::opportunities(&mut w, &mut clock::rng(seed, Stream::Opportunities), v.opportunities);
    marketing::costs(&mut w, &mut clock::rng(seed, Stream::Costs));

    marketing::members(&mut w, &mut clock::rng(seed, Stream::Members));

    let plan = activity::Plan::new(&w);
    activity::touchpoints(&mut w, &mut clock::rng(seed, Stream::Touchpoints), &plan, v.touchpoints);
    activity::attributions(&mut w, &mut clock::rng(seed, Stream::Attribution));
    activity::journeys(&mut w, &mut clock::rng(seed, Stream::Journeys));

    insight::tags(&mut w, &mut clock::rng(seed, Stream::Tags));
    insight::segments(&mut w, &mut clock::rng(seed, Stream::Segments));
    insight::scores(&mut w, &mut clock::rng(seed, Stream::Scores));
    w
}

fn planned_rows(w: &World, v: Volumes) -> u64 {
    (w.rows() + v.events) as u64
}

/// Inserts tables one after the other, recording row counts and advancing the progress bar.
struct Loader<'a, C> {
    db: &'a C,
    bar: &'a ProgressBar,
    tables: Vec<(&'static str, u64)>,
}

impl<C: ConnectionTrait> Loader<'_, C> {
    async fn load<M>(&mut self, rows: Vec<M>) -> AppResult<()>
    where
        M: ModelTrait + IntoActiveModel<bulk::ActiveOf<M>>,
        bulk::ActiveOf<M>: sea_orm::ActiveModelTrait + Send,
    {
        let table = <M::Entity as Default>::default().table_name();
        self.bar.set_message(table);
        let bar = self.bar;
        let n = bulk::insert_batched(self.db, rows, |k| bar.inc(k)).await?;
        match self.tables.iter_mut().find(|t| t.0 == table) {
            Some(t) => t.1 += n,
            None => self.tables.push((table, n)),
        }
        Ok(())
    }
}

/// Rows per generated event batch (also bounds the memory events take).
const EVENT_BATCH: usize = 20_000;

/// Inserts in foreign-key order. `lead.converted_opportunity_id` and `opportunity.lead_id` point at
/// each other, so leads go in without the former and get it from one UPDATE once the
/// opportunities exist.
async fn load<C: ConnectionTrait>(
    l: &mut Loader<'_, C>,
    pii: &Pii,
    w: &mut World,
    seed: u64,
    v: Volumes,
) -> AppResult<()> {
    use std::mem::take;
    // Events need the contacts and leads, which are moved out below.
    let mut events = activity::EventGen::new(w, clock::rng(seed, Stream::Events), v.events);
    l.load(take(&mut w.teams)).await?;
    l.load(take(&mut w.users)).await?;
    l.load(take(&mut w.industries)).await?;
    l.load(take(&mut w.channels)).await?;
    l.load(take(&mut w.categories)).await?;
    l.load(take(&mut w.products)).await?;
    l.load(take(&mut w.campaigns)).await?;
    l.load(take(&mut w.tags)).await?;
    l.load(take(&mut w.journey_stages)).await?;
    l.load(take(&mut w.score_models)).await?;
    l.load(take(&mut w.segments)).await?;
    l.load(take(&mut w.accounts)).await?;
    l.load(take(&mut w.account_relations)).await?;
    l.load(take(&mut w.account_identities)).await?;
    let mut contacts = take(&mut w.contacts);
    for contact in &mut contacts {
        pii.seal_model(contact)?;
    }
    l.load(contacts).await?;
    l.load(take(&mut w.account_contacts)).await?;
    l.load(take(&mut w.contact_identities)).await?;
    let mut leads = take(&mut w.leads);
    for lead in &mut leads {
        lead.converted_opportunity_id = None;
        pii.seal_model(lead)?;
    }
    l.load(leads).await?;
    l.load(take(&mut w.lead_identities)).await?;
    l.load(take(&mut w.opportunities)).await?;
    link_converted_opportunities(l.db).await?;
    l.load(take(&mut w.stage_history)).await?;
    l.load(take(&mut w.opportunity_products)).await?;
    l.load(take(&mut w.campaign_members)).await?;
    l.load(take(&mut w.touchpoints)).await?;
    l.load(take(&mut w.attachments)).await?;
    l.load(take(&mut w.attributions)).await?;
    l.load(take(&mut w.touchpoint_attributions)).await?;
    l.load(take(&mut w.journeys)).await?;
    l.load(take(&mut w.tag_relations)).await?;
    l.load(take(&mut w.segment_members)).await?;
    l.load(take(&mut w.score_records)).await?;
    l.load(take(&mut w.score_history)).await?;
    while events.remaining() > 0 {
        l.load(events.next_batch(EVENT_BATCH)).await?;
    }
    Ok(())
}

/// Sets each converted lead's `converted_opportunity_id` to the opportunity created from it.
async fn link_converted_opportunities(db: &impl ConnectionTrait) -> AppResult<()> {
    db.execute_unprepared(
        "UPDATE lead SET converted_opportunity_id = (SELECT MIN(o.opportunity_id) FROM opportunity o \
         WHERE o.lead_id = lead.lead_id AND o.opportunity_source = 'LEAD_CONVERSION') \
         WHERE lead_status = 'CONVERTED'",
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use chrono::Duration;
    use entity::enums::*;
    use entity::*;
    use rust_decimal::Decimal;
    use sea_orm::{DbBackend, EntityTrait, FromQueryResult, JsonValue, PaginatorTrait, Statement};

    use super::*;
    use crate::repo::bulk::testing;
    use crate::services::pii::HasPii;

    /// Every table of the model.
    const TABLES: [&str; 38] = [
        "account",
        "account_channel_identity",
        "account_summary",
        "account_relation",
        "contact",
        "contact_channel_identity",
        "contact_summary",
        "account_contact_relation",
        "lead",
        "lead_channel_identity",
        "lead_summary",
        "opportunity",
        "opportunity_stage_history",
        "opportunity_product",
        "channel",
        "channel_performance",
        "campaign",
        "campaign_performance",
        "campaign_member",
        "touchpoint",
        "touchpoint_attachment",
        "event",
        "product",
        "product_category",
        "tag",
        "tag_relation",
        "segment",
        "segment_member",
        "score_model",
        "score_record",
        "score_history",
        "industry",
        "attribution",
        "touchpoint_attribution",
        "customer_journey",
        "journey_stage",
        "app_user",
        "team",
    ];

    /// One key ring for the test process: blind indexes are then equal across seeds (ciphertexts,
    /// with their random nonces, never are).
    fn test_pii() -> &'static Pii {
        static PII: std::sync::OnceLock<Pii> = std::sync::OnceLock::new();
        PII.get_or_init(|| Pii::new(&crate::crypto::KeyRing::generate().expect("ring")))
    }

    /// The as-of date of the unit tests: fixed, so that runs on either side of midnight agree.
    fn as_of() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")
    }

    fn pinned() -> Clock {
        Clock::as_of(as_of())
    }

    fn small(seed: u64) -> SeedOptions {
        SeedOptions { scale: 0.01, seed, as_of: as_of(), ..SeedOptions::default() }
    }

    async fn seeded(scale: f64) -> testing::TestDb {
        let t = testing::sqlite().await;
        seed(&t.db, test_pii(), &SeedOptions { scale, seed: 7, as_of: as_of(), ..SeedOptions::default() })
            .await
            .expect("seed");
        t
    }

    /// Every row of every table, ordered by primary key; summary ids (drawn by the database) left out.
    async fn dump(db: &DatabaseConnection) -> Vec<(String, Vec<JsonValue>)> {
        let mut out = Vec::new();
        for table in TABLES {
            // Summary and performance ids are random: order summaries by the entity id (column 2),
            // performance rows by their key and day (columns 2, 3).
            let order = match table {
                t if t.ends_with("_summary") => "2",
                t if t.ends_with("_performance") => "2, 3",
                _ => "1",
            };
            let sql = format!("SELECT * FROM {table} ORDER BY {order}");
            let mut rows = JsonValue::find_by_statement(Statement::from_string(DbBackend::Sqlite, sql))
                .all(db)
                .await
                .expect("dump");
            for row in &mut rows {
                if let Some(o) = row.as_object_mut() {
                    // Random per write: summary ids, and ciphertexts (their nonces); the blind
                    // indexes beside the ciphertexts stay and are compared.
                    // Performance rows: their ids, and when they were computed.
                    if table.ends_with("_performance") {
                        o.remove("performance_id");
                        o.remove("created_at");
                    }
                    for random in ["summary_id", "mobile_phone", "email", "wechat_id"] {
                        o.remove(random);
                    }
                }
            }
            out.push((table.to_owned(), rows));
        }
        out
    }

    async fn count(db: &DatabaseConnection, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .expect("count")
            .expect("row");
        row.try_get::<i64>("", "n").expect("n")
    }

    #[test]
    fn as_of_dates_parse_as_iso_dates_within_range() {
        assert_eq!(parse_as_of("2027-03-15"), Ok(chrono::NaiveDate::from_ymd_opt(2027, 3, 15).expect("date")));
        for bad in ["15.03.2027", "2027-02-30", "tomorrow", "", "1999-12-31", "3000-01-01"] {
            assert!(parse_as_of(bad).is_err(), "{bad}");
        }
        assert!(parse_as_of("2027-13-01").expect_err("month 13").contains("YYYY-MM-DD"));
    }

    #[test]
    fn volumes_scale_linearly_with_a_floor() {
        let one = Volumes::for_scale(1.0);
        assert_eq!(
            (one.accounts, one.contacts, one.leads, one.opportunities, one.touchpoints, one.events, one.users),
            (1_000, 5_000, 20_000, 3_000, 50_000, 200_000, 50)
        );
        let two = Volumes::for_scale(2.0);
        assert_eq!((two.accounts, two.events), (2_000, 400_000));
        let half = Volumes::for_scale(0.5);
        assert_eq!((half.leads, half.touchpoints), (10_000, 25_000));
        let tiny = Volumes::for_scale(0.001);
        assert!(tiny.accounts >= 8 && tiny.users >= 5 && tiny.events >= 300 && tiny.campaigns >= 7);
    }

    #[test]
    fn same_seed_generates_identical_rows_in_memory() {
        let v = Volumes::for_scale(0.02);
        let (a, b) = (generate(11, pinned(), v), generate(11, pinned(), v));
        assert_eq!(a.accounts, b.accounts);
        assert_eq!(a.leads, b.leads);
        assert_eq!(a.touchpoints, b.touchpoints);
        assert_eq!(a.score_history, b.score_history);
        let c = generate(12, pinned(), v);
        assert_ne!(a.accounts, c.accounts, "another seed gives other data");
    }

    #[tokio::test]
    async fn same_seed_generates_identical_rows() {
        let (x, y) = (testing::sqlite().await, testing::sqlite().await);
        seed(&x.db, test_pii(), &small(42)).await.expect("first seed");
        seed(&y.db, test_pii(), &small(42)).await.expect("second seed");
        let (dx, dy) = (dump(&x.db).await, dump(&y.db).await);
        for ((table, rx), (_, ry)) in dx.iter().zip(&dy) {
            assert!(!rx.is_empty(), "{table} is empty");
            assert_eq!(rx, ry, "{table} differs between two runs with the same seed");
        }
        let z = testing::sqlite().await;
        seed(&z.db, test_pii(), &small(43)).await.expect("other seed");
        assert_ne!(dump(&z.db).await[0], dx[0], "accounts differ with another seed");
    }

    #[tokio::test]
    async fn every_table_gets_rows_at_small_scale() {
        for t in testing::databases().await {
            let report = seed(&t.db, test_pii(), &small(1)).await.expect("seed");
            for table in TABLES {
                let n = count(&t.db, table).await;
                assert!(n > 0, "{table} is empty on {}", t.name());
                assert_eq!(n as u64, report.rows(table), "{table}: report vs database on {}", t.name());
            }
            assert_eq!(report.tables.len(), TABLES.len());
            assert_eq!(report.total_rows(), report.tables.iter().map(|t| t.1).sum::<u64>());
        }
    }

    #[tokio::test]
    async fn seed_refuses_a_non_empty_database_and_nonsense_scales() {
        let t = seeded(0.01).await;
        assert!(!is_empty(&t.db).await.expect("is_empty"));
        let again = seed(&t.db, test_pii(), &small(1)).await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
        let fresh = testing::sqlite().await;
        assert!(is_empty(&fresh.db).await.expect("is_empty"));
        for scale in [0.0, -1.0, f64::NAN, MAX_SCALE * 2.0] {
            let r =
                seed(&fresh.db, test_pii(), &SeedOptions { scale, seed: 1, as_of: as_of(), ..SeedOptions::default() })
                    .await;
            assert!(matches!(r, Err(AppError::BadUserInput(_))), "scale {scale}: {r:?}");
        }
        for as_of in [AS_OF_RANGE.start().pred_opt().expect("date"), AS_OF_RANGE.end().succ_opt().expect("date")] {
            let r = seed(&fresh.db, test_pii(), &SeedOptions { as_of, ..small(1) }).await;
            assert!(matches!(r, Err(AppError::BadUserInput(_))), "as of {as_of}: {r:?}");
        }
        assert!(is_empty(&fresh.db).await.expect("is_empty"), "nothing written");
    }

    #[tokio::test]
    async fn seed_demo_fills_an_empty_database() {
        let t = testing::sqlite().await;
        let report = seed_demo(&t.db, test_pii()).await.expect("demo");
        let v = Volumes::for_scale(DEMO_SCALE);
        assert_eq!(report.rows("account"), v.accounts as u64);
        assert_eq!(report.rows("lead"), v.leads as u64);
        assert_eq!(report.rows("event"), v.events as u64);
        assert_eq!(report.rows("account_summary"), v.accounts as u64);
        assert!(!is_empty(&t.db).await.expect("is_empty"));
    }

    #[test]
    fn credit_codes_carry_a_valid_check_character() {
        let w = generate(3, pinned(), Volumes::for_scale(0.2));
        // GB 32100: weight of position i is 3^i mod 31; a valid code sums to 0 mod 31.
        let weights: Vec<u32> = (0..17).map(|i| (0..i).fold(1, |w, _| w * 3 % 31)).collect();
        let mut seen = HashSet::new();
        for a in &w.accounts {
            let code = a.unified_social_credit_code.as_deref().expect("every account has a code");
            assert_eq!(code.len(), 18);
            assert!(code.starts_with("91"), "{code}");
            let values: Vec<u32> =
                code.chars().map(|c| names::CREDIT_CHARSET.find(c).expect("charset") as u32).collect();
            let sum: u32 = values[..17].iter().zip(&weights).map(|(v, w)| v * w).sum::<u32>() + values[17];
            assert_eq!(sum % 31, 0, "{code}");
            assert!(seen.insert(code.to_owned()), "duplicate {code}");
            assert!(names::CITIES.iter().any(|c| c.districts.iter().any(|d| d.1 == &code[2..8])), "{code}");
        }
    }

    #[test]
    fn contacts_have_unique_mainland_mobiles_and_emails() {
        let w = generate(5, pinned(), Volumes::for_scale(0.2));
        let (mut phones, mut emails) = (HashSet::new(), HashSet::new());
        for c in &w.contacts {
            if let Some(p) = &c.mobile_phone {
                assert!(p.len() == 11 && p.starts_with('1') && (b'3'..=b'9').contains(&p.as_bytes()[1]), "{p}");
                assert!(phones.insert(p.clone()), "duplicate phone {p}");
            }
            if let Some(e) = &c.email {
                assert!(e.contains('@') && e.len() <= 200, "{e}");
                assert!(emails.insert(e.clone()), "duplicate e-mail {e}");
            }
            assert!(c.contact_name.chars().count() >= 2 && c.contact_name.chars().all(|ch| !ch.is_ascii()));
        }
        let a = &w.accounts[0];
        assert!(a.account_name.ends_with("公司"), "{}", a.account_name);
        assert!(a.province.is_some() && a.city.is_some() && a.district.is_some());
    }

    #[test]
    fn every_contact_belongs_to_its_primary_account() {
        let w = generate(6, pinned(), Volumes::for_scale(0.1));
        let links: HashSet<(&str, &str)> =
            w.account_contacts.iter().map(|r| (r.account_id.as_str(), r.contact_id.as_str())).collect();
        assert_eq!(links.len(), w.account_contacts.len(), "unique (account, contact)");
        for c in &w.contacts {
            let primary = c.primary_account_id.as_deref().expect("primary account");
            assert!(links.contains(&(primary, c.contact_id.as_str())));
        }
        let per_contact = w.account_contacts.len() as f64 / w.contacts.len() as f64;
        assert!((1.0..=2.0).contains(&per_contact));
        let primaries = w.account_contacts.iter().filter(|r| r.is_primary_contact).count();
        assert_eq!(primaries, w.accounts.len(), "one primary contact per account");
    }

    #[test]
    fn leads_cover_every_status_and_conversions_point_to_real_rows() {
        let w = generate(8, pinned(), Volumes::for_scale(0.05));
        let statuses: HashSet<LeadStatus> = w.leads.iter().map(|l| l.lead_status).collect();
        assert_eq!(statuses.len(), 5, "{statuses:?}");
        let contacts: HashMap<&str, &contact::Model> = w.contacts.iter().map(|c| (c.contact_id.as_str(), c)).collect();
        let accounts: HashSet<&str> = w.accounts.iter().map(|a| a.account_id.as_str()).collect();
        let opps: HashMap<&str, &opportunity::Model> =
            w.opportunities.iter().map(|o| (o.opportunity_id.as_str(), o)).collect();
        for l in &w.leads {
            assert_eq!(l.is_qualified, matches!(l.lead_status, LeadStatus::Qualified | LeadStatus::Converted));
            assert!((0..=100).contains(&l.lead_score));
            if l.lead_status != LeadStatus::Converted {
                assert!(l.converted_at.is_none() && l.converted_contact_id.is_none());
                continue;
            }
            let contact = contacts[l.converted_contact_id.as_deref().expect("contact")];
            assert_eq!(l.converted_account_id, contact.primary_account_id);
            assert!(accounts.contains(l.converted_account_id.as_deref().expect("account")));
            assert_eq!(l.converted_at, Some(contact.created_at));
            assert!(l.created_at < contact.created_at);
            if let Some(o) = &l.converted_opportunity_id {
                assert_eq!(opps[o.as_str()].lead_id.as_deref(), Some(l.lead_id.as_str()));
            }
        }
    }

    #[test]
    fn opportunities_move_through_the_stages_with_consistent_history() {
        let w = generate(9, pinned(), Volumes::for_scale(0.1));
        let mut history: HashMap<&str, Vec<&opportunity_stage_history::Model>> = HashMap::new();
        for h in &w.stage_history {
            history.entry(h.opportunity_id.as_str()).or_default().push(h);
        }
        let mut lines: HashMap<&str, Decimal> = HashMap::new();
        for p in &w.opportunity_products {
            let (q, unit, discount, total) =
                (p.quantity, p.unit_price.expect("unit"), p.discount.expect("discount"), p.total_price.expect("total"));
            assert_eq!(unit * Decimal::from(q) - discount, total);
            assert_eq!(total.scale(), 2);
            *lines.entry(p.opportunity_id.as_str()).or_default() += total;
        }
        let (mut won, mut lost) = (0, 0);
        for o in &w.opportunities {
            let steps = &history[o.opportunity_id.as_str()];
            assert_eq!((steps[0].from_stage, steps[0].to_stage), (None, OpportunityStage::Qualification));
            for pair in steps.windows(2) {
                assert_eq!(pair[1].from_stage, Some(pair[0].to_stage));
                assert!(pair[1].changed_at >= pair[0].changed_at);
                assert_eq!(pair[1].duration_days, Some((pair[1].changed_at - pair[0].changed_at).num_days() as i32));
            }
            let last = steps.last().expect("steps");
            assert_eq!(last.to_stage, o.stage);
            assert_eq!(o.probability, crate::domain::opportunity_stage::default_probability(o.stage));
            assert_eq!(o.is_won, o.stage == OpportunityStage::ClosedWon);
            assert_eq!(o.is_lost, o.stage == OpportunityStage::ClosedLost);
            assert_eq!(o.actual_close_date.is_some(), o.is_won || o.is_lost);
            if let Some(closed) = o.actual_close_date {
                assert_eq!(closed, last.changed_at.date_naive());
            }
            assert_eq!(o.amount, lines.get(o.opportunity_id.as_str()).copied());
            won += usize::from(o.is_won);
            lost += usize::from(o.is_lost);
        }
        assert!(won > 0 && lost > 0 && won + lost < w.opportunities.len(), "won {won}, lost {lost}");
    }

    #[test]
    fn activity_is_skewed_towards_a_few_accounts_and_tied_to_their_people() {
        let w = generate(10, pinned(), Volumes::for_scale(0.2));
        let mut per_account: HashMap<&str, usize> = HashMap::new();
        for t in &w.touchpoints {
            *per_account.entry(t.account_id.as_deref().expect("account")).or_default() += 1;
        }
        let mut counts: Vec<usize> = per_account.values().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let top = counts.iter().take(w.accounts.len() / 10).sum::<usize>();
        assert!(top * 100 / w.touchpoints.len() >= 40, "top 10 % of accounts hold {top} of {}", w.touchpoints.len());

        let links: HashSet<(&str, &str)> =
            w.account_contacts.iter().map(|r| (r.account_id.as_str(), r.contact_id.as_str())).collect();
        let names: HashMap<&str, &str> =
            w.accounts.iter().map(|a| (a.account_id.as_str(), a.account_name.as_str())).collect();
        let leads: HashMap<&str, &lead::Model> = w.leads.iter().map(|l| (l.lead_id.as_str(), l)).collect();
        let mut with_person = 0;
        for t in &w.touchpoints {
            let account = t.account_id.as_deref().expect("account");
            if let Some(c) = &t.contact_id {
                assert!(links.contains(&(account, c.as_str())), "contact of another account");
            }
            if let Some(l) = &t.lead_id {
                let lead = leads[l.as_str()];
                assert_eq!(lead.company_name.as_deref(), Some(names[account]));
                assert!(t.touchpoint_time >= lead.created_at);
            }
            with_person += usize::from(t.contact_id.is_some() || t.lead_id.is_some());
            assert!(t.touchpoint_time >= start_of_data());
        }
        assert!(with_person * 100 / w.touchpoints.len() >= 90);
    }

    fn start_of_data() -> chrono::DateTime<chrono::Utc> {
        pinned().start()
    }

    #[test]
    fn attribution_weights_sum_to_one() {
        let w = generate(4, pinned(), Volumes::for_scale(0.2));
        assert!(!w.attributions.is_empty());
        let mut sums: HashMap<&str, Decimal> = HashMap::new();
        for ta in &w.touchpoint_attributions {
            assert!(ta.attribution_weight > Decimal::ZERO && ta.attribution_weight <= Decimal::ONE);
            assert!(ta.attribution_weight.scale() <= 4);
            *sums.entry(ta.attribution_id.as_str()).or_default() += ta.attribution_weight;
        }
        for a in &w.attributions {
            assert_eq!(sums[a.attribution_id.as_str()], Decimal::ONE, "{:?}", a.attribution_model);
        }
        let models: HashSet<AttributionModel> = w.attributions.iter().map(|a| a.attribution_model).collect();
        assert_eq!(models.len(), 6);
        let times: Vec<_> = (0..5).map(|i| start_of_data() + Duration::days(i)).collect();
        let end = start_of_data() + Duration::days(5);
        for model in models {
            let weights = activity::attribution_weights(model, &times, end);
            assert_eq!(weights.iter().sum::<Decimal>(), Decimal::ONE, "{model:?}");
        }
        let u = activity::attribution_weights(AttributionModel::UShaped, &times, end);
        let near = |d: Decimal, x: Decimal| (d - x).abs() <= Decimal::new(1, 4);
        assert!(
            near(u[0], Decimal::new(4, 1)) && near(u[4], Decimal::new(4, 1)) && near(u[2], Decimal::new(667, 4)),
            "{u:?}"
        );
    }

    #[test]
    fn every_enum_value_that_describes_kinds_appears() {
        let w = generate(2, pinned(), Volumes::for_scale(0.05));
        let channel_types: HashSet<ChannelType> = w.channels.iter().map(|c| c.channel_type).collect();
        assert_eq!(channel_types.len(), 12, "every channel type");
        assert!(w.channels.iter().filter(|c| c.parent_channel_id.is_some()).count() > 12, "hierarchy");
        let tag_types: HashSet<TagType> = w.tags.iter().map(|t| t.tag_type).collect();
        assert_eq!(tag_types.len(), 4);
        let models: HashSet<ScoreModelType> = w.score_models.iter().map(|m| m.model_type).collect();
        assert_eq!(models.len(), 3);
        let campaign_types: HashSet<CampaignType> = w.campaigns.iter().map(|c| c.campaign_type).collect();
        assert_eq!(campaign_types.len(), 7);
        let members: HashSet<EntityType> = w.campaign_members.iter().map(|m| m.member_type).collect();
        assert!(
            members.contains(&EntityType::Contact)
                && members.contains(&EntityType::Lead)
                && members.contains(&EntityType::Account)
        );
        let stages: HashSet<&str> = w.journey_stages.iter().map(|s| s.stage_name.as_str()).collect();
        assert!(w.journeys.iter().all(|j| stages.contains(j.journey_stage.as_str())));
        let industries_l2 = w.industries.iter().filter(|i| i.level == 2).count();
        assert!(industries_l2 > 20 && w.industries.iter().all(|i| (i.level == 1) == i.parent_industry_id.is_none()));
        let records: HashSet<(&str, &str)> =
            w.score_records.iter().map(|r| (r.model_id.as_str(), r.entity_id.as_str())).collect();
        assert_eq!(records.len(), w.score_records.len(), "one score record per model and entity");
        assert!(
            w.score_records
                .iter()
                .chain(w.score_history.iter().map(|_| &w.score_records[0]))
                .all(|r| (0..=100).contains(&r.score))
        );
        assert!(w.score_history.iter().all(|h| (0..=100).contains(&h.score)));
    }

    #[tokio::test]
    async fn seeded_summaries_agree_with_the_seeded_rows() {
        let t = seeded(0.02).await;
        let summaries = account_summary::Entity::find().all(&t.db).await.expect("read summaries");
        assert_eq!(summaries.len() as u64, account::Entity::find().count(&t.db).await.expect("count"));
        let opps = opportunity::Entity::find().all(&t.db).await.expect("opportunities");
        for s in &summaries {
            let own: Vec<_> = opps.iter().filter(|o| o.account_id == s.account_id).collect();
            assert_eq!(s.total_opportunities as usize, own.len());
            assert_eq!(s.won_opportunities as usize, own.iter().filter(|o| o.is_won).count());
            assert_eq!(s.calculated_at, pinned().anchor());
            assert!((0..=100).contains(&s.health_score));
        }
        assert!(summaries.iter().any(|s| s.health_score > 70), "some healthy accounts");
        assert!(summaries.iter().any(|s| s.health_score < 30), "some at risk");
        let leads = lead::Entity::find().all(&t.db).await.expect("leads");
        let converted_with_opp = leads.iter().filter(|l| l.converted_opportunity_id.is_some()).count();
        assert!(converted_with_opp > 0, "the post-insert UPDATE linked converted leads to their deals");
        // The database holds exactly the generated leads, the UPDATE-set links included.
        let generated = generate(7, pinned(), Volumes::for_scale(0.02)).leads;
        let by_id: HashMap<&str, &lead::Model> = generated.iter().map(|l| (l.lead_id.as_str(), l)).collect();
        assert_eq!(leads.len(), generated.len());
        for l in &leads {
            // PII went in sealed: open it to compare with the generated plaintext.
            let mut opened = l.clone();
            for (col, value, bidx) in opened.pii_mut() {
                if let Some(ciphertext) = value.take() {
                    *value = Some(test_pii().open("lead", col, &l.lead_id, &ciphertext).expect("opens"));
                }
                *bidx = None;
            }
            assert_eq!(&opened, by_id[l.lead_id.as_str()]);
        }
    }

    /// Measures a scale-1 seed on PostgreSQL:
    /// `CDP_TEST_DATABASE_URL=postgres://… cargo test --release --lib seed_scale_one -- --ignored --nocapture`.
    #[tokio::test]
    #[ignore = "slow: seeds scale 1 into PostgreSQL"]
    async fn seed_scale_one_into_postgres_takes_under_a_minute() {
        let Some(t) = testing::postgres().await else {
            eprintln!("CDP_TEST_DATABASE_URL is not set; skipped");
            return;
        };
        let generated = Instant::now();
        let world = generate(DEFAULT_SEED, pinned(), Volumes::for_scale(1.0));
        eprintln!("generation alone: {:.1?} ({} touchpoints)", generated.elapsed(), world.touchpoints.len());
        drop(world);
        let report = seed(
            &t.db,
            test_pii(),
            &SeedOptions { scale: 1.0, seed: DEFAULT_SEED, as_of: as_of(), progress: true, ..SeedOptions::default() },
        )
        .await
        .expect("seed");
        for (table, rows) in &report.tables {
            eprintln!("{table:<28} {rows:>8}");
        }
        eprintln!("{} rows in {:.1?}", report.total_rows(), report.elapsed);
        assert_eq!(report.rows("event"), 200_000);
        assert!(report.elapsed < std::time::Duration::from_secs(120), "{:?}", report.elapsed);
    }
}
