//! SQL of the performance tables (docs/performance.md): the counts of one business day, grouped by
//! channel and by campaign, and the write of that day's rows. A day is the instants `[start, end)`
//! the caller cut in the business zone, so every count is an index range over the day's rows
//! (`idx_lead_created`, `idx_contact_created`, `idx_opportunity_created`,
//! `idx_opportunity_close_date`, `idx_event_time`, `idx_touchpoint_time`) grouped in SQL; the same
//! statements serve the post-commit refresh of marked days, `cdp360 recompute performance` and the
//! data generator.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{campaign_performance, channel_performance};
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, Value};

use super::bulk::{max_bind_params, placeholders, upsert_all};
use crate::domain::performance::DayCounts;
use crate::error::AppResult;

/// What one business day holds, per channel and per campaign, before costs and ratios.
#[derive(Debug, Default)]
pub struct Day {
    pub channels: BTreeMap<String, DayCounts>,
    pub campaigns: BTreeMap<String, DayCounts>,
    /// Channels that existed on the day with a monthly cost: (id, cost per month).
    pub channel_costs: Vec<(String, Decimal)>,
    /// Campaigns whose dates include the day, with an actual cost: (id, cost, start, end).
    pub campaign_costs: Vec<(String, Decimal, NaiveDate, NaiveDate)>,
}

/// The one statement of [`count_day`]: `$1`, `$2` the day's first instant and the next day's,
/// `$3` the day as a date. One branch per source, each an index range of the day's rows grouped in
/// SQL (the catalogue tables `channel` and `campaign` are small), told apart by `src`:
///
/// - 0: leads created on the day, by channel and campaign at once (a lead counts for both);
///   `n` leads, `m` of them CONVERTED;
/// - 1: contacts created on the day (merged ones, tombstones, left out), by primary channel;
/// - 2: opportunities created on the day: the channel of their lead; their own campaign, else
///   their lead's;
/// - 3: opportunities won on the day, one row each with its `amount` (added up exactly in Rust:
///   SQLite's SUM over a decimal column is a float), credited like 2;
/// - 4: events of the day with a channel: `n` page views (impressions), `m` (button) clicks;
/// - 5: touchpoints of the day with a campaign: `n` page views, `m` e-mail clicks;
/// - 6: channels with a monthly cost (`amount`) created before the day ended;
/// - 7: campaigns with an actual cost (`amount`) whose dates include the day.
///
/// Public so `tests/api/explain.rs` checks its plan.
pub const DAY_STATEMENT: &str = "\
SELECT 0 AS src, channel_id, campaign_id, COUNT(*) AS n, \
       SUM(CASE WHEN lead_status = 'CONVERTED' THEN 1 ELSE 0 END) AS m, \
       CAST(NULL AS NUMERIC) AS amount, CAST(NULL AS DATE) AS start_date, CAST(NULL AS DATE) AS end_date \
  FROM lead WHERE created_at >= $1 AND created_at < $2 GROUP BY channel_id, campaign_id \
UNION ALL \
SELECT 1, primary_channel_id, NULL, COUNT(*), 0, NULL, NULL, NULL FROM contact \
 WHERE created_at >= $1 AND created_at < $2 AND primary_channel_id IS NOT NULL AND merged_into_id IS NULL \
 GROUP BY primary_channel_id \
UNION ALL \
SELECT 2, l.channel_id, COALESCE(o.campaign_id, l.campaign_id), COUNT(*), 0, NULL, NULL, NULL \
  FROM opportunity o LEFT JOIN lead l ON l.lead_id = o.lead_id \
 WHERE o.created_at >= $1 AND o.created_at < $2 GROUP BY l.channel_id, COALESCE(o.campaign_id, l.campaign_id) \
UNION ALL \
SELECT 3, l.channel_id, COALESCE(o.campaign_id, l.campaign_id), 1, 0, o.amount, NULL, NULL \
  FROM opportunity o LEFT JOIN lead l ON l.lead_id = o.lead_id \
 WHERE o.actual_close_date = $3 AND o.stage = 'CLOSED_WON' \
UNION ALL \
SELECT 4, channel_id, NULL, SUM(CASE WHEN event_type = 'PAGE_VIEW' THEN 1 ELSE 0 END), \
       SUM(CASE WHEN event_type IN ('CLICK', 'BUTTON_CLICK') THEN 1 ELSE 0 END), NULL, NULL, NULL \
  FROM event WHERE event_time >= $1 AND event_time < $2 AND channel_id IS NOT NULL GROUP BY channel_id \
UNION ALL \
SELECT 5, NULL, campaign_id, SUM(CASE WHEN touchpoint_type = 'PAGE_VIEW' THEN 1 ELSE 0 END), \
       SUM(CASE WHEN touchpoint_type = 'EMAIL_CLICK' THEN 1 ELSE 0 END), NULL, NULL, NULL \
  FROM touchpoint WHERE touchpoint_time >= $1 AND touchpoint_time < $2 AND campaign_id IS NOT NULL \
 GROUP BY campaign_id \
UNION ALL \
SELECT 6, channel_id, NULL, 0, 0, cost, NULL, NULL FROM channel WHERE cost > 0 AND created_at < $2 \
UNION ALL \
SELECT 7, NULL, campaign_id, 0, 0, actual_cost, start_date, end_date FROM campaign \
 WHERE actual_cost > 0 AND start_date <= $3 AND end_date >= $3";

/// [`DAY_STATEMENT`] for `day`, whose instants are `bounds` (`[start, end)`).
pub fn day_statement(backend: DbBackend, day: NaiveDate, bounds: (DateTime<Utc>, DateTime<Utc>)) -> Statement {
    let values = vec![Value::from(bounds.0), Value::from(bounds.1), Value::from(day)];
    Statement::from_sql_and_values(backend, DAY_STATEMENT, values)
}

/// The day's counts and cost sources; `bounds` are the day's instants `[start, end)`.
pub async fn count_day(
    db: &impl ConnectionTrait,
    day: NaiveDate,
    bounds: (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<Day> {
    let backend = db.get_database_backend();
    let mut d = Day::default();
    for r in db.query_all_raw(day_statement(backend, day, bounds)).await? {
        let src = r.try_get::<i32>("", "src")?;
        let channel = r.try_get::<Option<String>>("", "channel_id")?;
        let campaign = r.try_get::<Option<String>>("", "campaign_id")?;
        let (n, m) = (r.try_get::<Option<i64>>("", "n")?.unwrap_or(0), r.try_get::<Option<i64>>("", "m")?.unwrap_or(0));
        let amount = || -> AppResult<Decimal> { Ok(r.try_get::<Option<Decimal>>("", "amount")?.unwrap_or_default()) };
        match src {
            6 => {
                if let Some(id) = channel {
                    d.channel_costs.push((id, amount()?));
                }
                continue;
            }
            7 => {
                let (start, end) = (r.try_get("", "start_date")?, r.try_get("", "end_date")?);
                if let Some(id) = campaign {
                    d.campaign_costs.push((id, amount()?, start, end));
                }
                continue;
            }
            _ => {}
        }
        let revenue = if src == 3 { amount()? } else { Decimal::ZERO };
        let add = |c: &mut DayCounts| match src {
            0 => {
                c.leads += n;
                c.converted += m;
            }
            1 => c.contacts += n,
            2 => c.opportunities += n,
            3 => c.revenue += revenue,
            _ => {
                c.impressions += n;
                c.clicks += m;
            }
        };
        if let Some(k) = channel {
            add(d.channels.entry(k).or_default());
        }
        if let Some(k) = campaign {
            add(d.campaigns.entry(k).or_default());
        }
    }
    Ok(d)
}

/// Writes the rows of `day`: upserts these (a row keeps its id and `created_at` across
/// recomputes) and deletes the day's rows of every other channel and campaign (nothing left in
/// them).
pub async fn write_day(
    db: &impl ConnectionTrait,
    day: NaiveDate,
    channels: Vec<channel_performance::Model>,
    campaigns: Vec<campaign_performance::Model>,
) -> AppResult<()> {
    use campaign_performance::Column as Cm;
    use channel_performance::Column as Ch;
    let keep: Vec<String> = channels.iter().map(|r| r.channel_id.clone()).collect();
    let mut gone = channel_performance::Entity::delete_many().filter(Ch::StatDate.eq(day));
    if !keep.is_empty() {
        gone = gone.filter(Ch::ChannelId.is_not_in(keep));
    }
    gone.exec(db).await?;
    let keep: Vec<String> = campaigns.iter().map(|r| r.campaign_id.clone()).collect();
    let mut gone = campaign_performance::Entity::delete_many().filter(Cm::StatDate.eq(day));
    if !keep.is_empty() {
        gone = gone.filter(Cm::CampaignId.is_not_in(keep));
    }
    gone.exec(db).await?;

    let measures = [
        Ch::LeadCount,
        Ch::ContactCount,
        Ch::OpportunityCount,
        Ch::Revenue,
        Ch::Cost,
        Ch::Roi,
        Ch::ConversionCount,
        Ch::ConversionRate,
        Ch::Cpl,
        Ch::Cpa,
        Ch::Impressions,
        Ch::Clicks,
    ];
    let on_conflict = OnConflict::columns([Ch::ChannelId, Ch::StatDate]).update_columns(measures).to_owned();
    upsert_all(db, channels, on_conflict).await?;
    let measures = [
        Cm::Impressions,
        Cm::Clicks,
        Cm::LeadsGenerated,
        Cm::OpportunitiesGenerated,
        Cm::Revenue,
        Cm::Cost,
        Cm::Roi,
        Cm::Cpl,
        Cm::Cpa,
        Cm::ConversionCount,
        Cm::ConversionRate,
    ];
    let on_conflict = OnConflict::columns([Cm::CampaignId, Cm::StatDate]).update_columns(measures).to_owned();
    upsert_all(db, campaigns, on_conflict).await?;
    Ok(())
}

/// `created_at` and `actual_close_date` of the opportunities of these leads (whose days credit
/// the leads' channel and campaign).
pub async fn opportunity_dates_of_leads(
    db: &impl ConnectionTrait,
    lead_ids: &[String],
) -> AppResult<Vec<(DateTime<Utc>, Option<NaiveDate>)>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for chunk in lead_ids.chunks(max_bind_params(backend)) {
        let sql = format!(
            "SELECT created_at, actual_close_date FROM opportunity WHERE lead_id IN ({})",
            placeholders(1, chunk.len())
        );
        let values: Vec<Value> = chunk.iter().map(|id| Value::from(id.as_str())).collect();
        for r in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
            out.push((r.try_get("", "created_at")?, r.try_get("", "actual_close_date")?));
        }
    }
    Ok(out)
}

/// When these channels were created.
pub async fn channels_created(db: &impl ConnectionTrait, channel_ids: &[String]) -> AppResult<Vec<DateTime<Utc>>> {
    created_at_of(db, "SELECT created_at FROM channel WHERE channel_id IN", channel_ids).await
}

/// When these contacts were created (a merge can change their primary channel).
pub async fn contacts_created(db: &impl ConnectionTrait, contact_ids: &[String]) -> AppResult<Vec<DateTime<Utc>>> {
    created_at_of(db, "SELECT created_at FROM contact WHERE contact_id IN", contact_ids).await
}

async fn created_at_of(db: &impl ConnectionTrait, select: &str, ids: &[String]) -> AppResult<Vec<DateTime<Utc>>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for chunk in ids.chunks(max_bind_params(backend)) {
        let sql = format!("{select} ({})", placeholders(1, chunk.len()));
        let values: Vec<Value> = chunk.iter().map(|id| Value::from(id.as_str())).collect();
        for r in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
            out.push(r.try_get("", "created_at")?);
        }
    }
    Ok(out)
}

/// The earliest instant and the earliest date anything performance counts happened at (`None`
/// on an empty database): where a full recompute starts.
pub async fn earliest(db: &impl ConnectionTrait) -> AppResult<(Option<DateTime<Utc>>, Option<NaiveDate>)> {
    let backend = db.get_database_backend();
    let mut first: Option<DateTime<Utc>> = None;
    for (table, col) in [
        ("lead", "created_at"),
        ("contact", "created_at"),
        ("opportunity", "created_at"),
        ("event", "event_time"),
        ("touchpoint", "touchpoint_time"),
        ("channel", "created_at"),
    ] {
        // Each an index's first entry (or the small channel table).
        let sql = format!("SELECT {col} AS at FROM {table} ORDER BY {col} LIMIT 1");
        if let Some(r) = db.query_one_raw(Statement::from_string(backend, sql)).await? {
            let at: DateTime<Utc> = r.try_get("", "at")?;
            first = Some(first.map_or(at, |f| f.min(at)));
        }
    }
    let sql = "SELECT MIN(start_date) AS d FROM campaign WHERE actual_cost > 0";
    let date = match db.query_one_raw(Statement::from_string(backend, sql)).await? {
        Some(r) => r.try_get::<Option<NaiveDate>>("", "d")?,
        None => None,
    };
    Ok((first, date))
}
