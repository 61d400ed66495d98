//! Keeping `channel_performance` and `campaign_performance` true (issue 13, part 2;
//! docs/performance.md defines every measure). The unit of work is a business day: a day's rows
//! are recomputed whole, for every channel and campaign, from the base tables
//! (`repo::performance::count_day`, one grouped index-range statement per source) with the costs
//! and ratios of `domain::performance`, and written with one upsert per table.
//!
//! When it runs:
//! - after a write commits, for the days it marked. Writes mark days in their own transaction
//!   through the summary mechanism (`Write::stale`: `Stale::days`, and `lead_days` /
//!   `channel_days`, which [`days_of`] turns into days when the refresh runs), so the marks are as
//!   durable as the summaries' and the refresher (`services::summaries`) recomputes the days after
//!   the commit, in the transaction that takes their marks — paced so that recomputing takes at
//!   most about a tenth of its time (`jobs`, `PERFORMANCE_PAUSE`);
//! - on demand: `cdp360 recompute performance [--from --to]` ([`recompute_range`]);
//! - in the data generator, over the generated history (the same [`recompute_days`]).
//!
//! Why whole days rather than (channel, day) keys: a day's rows are few and its base rows an index
//! range, and a write that moves a lead from channel A to B changes both rows of the same day, so
//! one mark per day covers every key a write touched without reading the row's old parents.

use std::collections::BTreeSet;

use chrono::{NaiveDate, Utc};
use entity::{campaign_performance, channel_performance};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::domain::performance::{self, DayCounts};
use crate::domain::timezone::BusinessZone;
use crate::error::{AppError, AppResult};
use crate::repo;
use crate::services::tx::Stale;
use crate::services::write::new_id;

/// Recomputes the rows of `day` (every channel and campaign) in `db`'s transaction. Returns the
/// rows written.
pub async fn recompute_day(db: &impl ConnectionTrait, zone: BusinessZone, day: NaiveDate) -> AppResult<u64> {
    let at = Utc::now();
    let mut d = repo::performance::count_day(db, day, zone.day_bounds(day)).await?;
    for (id, monthly) in std::mem::take(&mut d.channel_costs) {
        d.channels.entry(id).or_default().cost += performance::channel_day_cost(monthly, day);
    }
    for (id, cost, start, end) in std::mem::take(&mut d.campaign_costs) {
        d.campaigns.entry(id).or_default().cost += performance::campaign_day_cost(cost, Some(start), Some(end), day);
    }
    let live = |c: &DayCounts| !c.is_empty();
    let channels: Vec<channel_performance::Model> = d
        .channels
        .into_iter()
        .filter(|(_, c)| live(c))
        .map(|(channel_id, c)| {
            let r = performance::ratios(&c);
            channel_performance::Model {
                performance_id: new_id("CHP"),
                channel_id,
                stat_date: day,
                lead_count: count(c.leads),
                contact_count: count(c.contacts),
                opportunity_count: count(c.opportunities),
                revenue: c.revenue,
                cost: c.cost,
                roi: r.roi,
                conversion_count: count(c.converted),
                conversion_rate: r.conversion_rate,
                cpl: r.cpl,
                cpa: r.cpa,
                impressions: count(c.impressions),
                clicks: count(c.clicks),
                created_at: at,
            }
        })
        .collect();
    let campaigns: Vec<campaign_performance::Model> = d
        .campaigns
        .into_iter()
        .filter(|(_, c)| live(c))
        .map(|(campaign_id, c)| {
            let r = performance::ratios(&c);
            campaign_performance::Model {
                performance_id: new_id("CMPP"),
                campaign_id,
                stat_date: day,
                impressions: count(c.impressions),
                clicks: count(c.clicks),
                leads_generated: count(c.leads),
                opportunities_generated: count(c.opportunities),
                revenue: c.revenue,
                cost: c.cost,
                roi: r.roi,
                cpl: r.cpl,
                cpa: r.cpa,
                conversion_count: count(c.converted),
                conversion_rate: r.conversion_rate,
                created_at: at,
            }
        })
        .collect();
    let rows = (channels.len() + campaigns.len()) as u64;
    repo::performance::write_day(db, day, channels, campaigns).await?;
    Ok(rows)
}

/// A count in an INTEGER column (a day's count never comes near its limit).
fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Recomputes each of `days` in `db`'s transaction, calling `progress(day)` after each. Returns
/// the rows written.
pub async fn recompute_days(
    db: &impl ConnectionTrait,
    zone: BusinessZone,
    days: impl IntoIterator<Item = NaiveDate>,
    mut progress: impl FnMut(NaiveDate),
) -> AppResult<u64> {
    let mut rows = 0;
    for day in days {
        rows += recompute_day(db, zone, day).await?;
        progress(day);
    }
    Ok(rows)
}

/// Takes the performance marks out of `stale` and returns the days they name: the marked days,
/// the days of the marked leads' opportunities (created, closed) and every day of the marked
/// channels from their creation to today.
pub async fn days_of(
    db: &impl ConnectionTrait,
    zone: BusinessZone,
    stale: &mut Stale,
) -> AppResult<BTreeSet<NaiveDate>> {
    let mut days = std::mem::take(&mut stale.days);
    let leads: Vec<String> = std::mem::take(&mut stale.lead_days).into_iter().collect();
    if !leads.is_empty() {
        for (created, closed) in repo::performance::opportunity_dates_of_leads(db, &leads).await? {
            days.insert(zone.day_of(created));
            days.extend(closed);
        }
    }
    let channels: Vec<String> = std::mem::take(&mut stale.channel_days).into_iter().collect();
    if !channels.is_empty() {
        let today = zone.day_of(Utc::now());
        for created in repo::performance::channels_created(db, &channels).await? {
            days.extend(zone.day_of(created).iter_days().take_while(|d| *d <= today));
        }
    }
    Ok(days)
}

/// The days `cdp360 recompute performance` covers by default: from the first business day
/// anything was recorded (or a costed campaign started) to `today`.
pub async fn default_range(
    db: &impl ConnectionTrait,
    zone: BusinessZone,
    today: NaiveDate,
) -> AppResult<Option<(NaiveDate, NaiveDate)>> {
    let (instant, date) = repo::performance::earliest(db).await?;
    let first = [instant.map(|at| zone.day_of(at)), date].into_iter().flatten().min();
    Ok(first.map(|f| (f.min(today), today)))
}

/// Recomputes every day of `from..=to`, one transaction per day (a run stopped halfway leaves
/// whole days), calling `progress(day)` after each. Returns the rows written.
pub async fn recompute_range(
    db: &DatabaseConnection,
    zone: BusinessZone,
    from: NaiveDate,
    to: NaiveDate,
    mut progress: impl FnMut(NaiveDate),
) -> AppResult<u64> {
    if from > to {
        return Err(AppError::bad_input(format!("--from {from} is after --to {to}")));
    }
    let mut rows = 0;
    for day in from.iter_days().take_while(|d| *d <= to) {
        let txn = crate::services::write::begin_write(db).await?;
        rows += recompute_day(&txn, zone, day).await?;
        txn.commit().await?;
        progress(day);
    }
    Ok(rows)
}
