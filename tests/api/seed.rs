//! The generated data (`cdp360 seed`, and the demo data `serve` loads) is the first thing a new
//! user explores: it has to read like a Chinese B2B sales team's data to an analyst (issue 13
//! part 4). Each test seeds a small data set (scale 0.02, the demo's) into the test database —
//! SQLite, or PostgreSQL with `CDP_TEST_DATABASE_URL` — and reads the rows back.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use cdp360::seed::{SeedOptions, city_streets, district_streets, seed};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use entity::enums::*;
use entity::*;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::{EntityTrait, QueryOrder};

use crate::harness::TestApp;

/// The demo's scale: fast to seed, large enough for shares to mean something.
const SCALE: f64 = 0.02;

/// A pinned as-of date (a Wednesday), not today: the tests do not depend on the day they run.
fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 20).expect("date")
}

/// 00:00 UTC of `date`: where the generated history ends.
fn anchor(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

async fn seeded(seed_value: u64, as_of: NaiveDate) -> TestApp {
    let app = TestApp::spawn().await;
    let opts = SeedOptions { scale: SCALE, seed: seed_value, as_of, ..SeedOptions::default() };
    seed(&app.db, &app.pii(), &opts).await.expect("seed");
    app
}

/// Beijing wall-clock time (Asia/Shanghai is UTC+8 all year).
fn beijing(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc() + Duration::hours(8)
}

fn is_weekend(t: NaiveDateTime) -> bool {
    t.weekday().number_from_monday() >= 6
}

/// Percentage of `times` for which `pred` holds.
fn share(times: &[DateTime<Utc>], pred: impl Fn(NaiveDateTime) -> bool) -> usize {
    times.iter().filter(|t| pred(beijing(**t))).count() * 100 / times.len().max(1)
}

#[tokio::test]
async fn seeded_calls_fall_in_beijing_business_hours_on_weekdays_mostly() {
    let app = seeded(1, as_of()).await;
    let touchpoints = touchpoint::Entity::find().all(&app.db).await.unwrap();
    let calls: Vec<DateTime<Utc>> = touchpoints
        .iter()
        .filter(|t| matches!(t.touchpoint_type, TouchpointType::Call | TouchpointType::Meeting))
        .filter(|t| t.touchpoint_status == Some(TouchpointStatus::Completed))
        .map(|t| t.touchpoint_time)
        .collect();
    assert!(calls.len() >= 50, "{} calls and meetings", calls.len());
    let office = share(&calls, |t| !is_weekend(t) && (9..18).contains(&t.hour()));
    assert!(office >= 85, "{office} % of calls and meetings on weekdays 9:00–18:00 Beijing time");
    let night = calls.iter().filter(|t| beijing(**t).hour() < 7).count();
    assert!(night * 100 <= calls.len(), "{night} calls between midnight and 7:00 Beijing time");
    let weekend = share(&calls, is_weekend);
    assert!(weekend <= 5, "{weekend} % of calls on weekends");
    // Scheduled calls and meetings are booked into office hours too.
    let scheduled: Vec<DateTime<Utc>> = touchpoints
        .iter()
        .filter(|t| t.touchpoint_status == Some(TouchpointStatus::Scheduled))
        .map(|t| t.touchpoint_time)
        .collect();
    assert!(scheduled.iter().all(|t| (7..22).contains(&beijing(*t).hour())), "{scheduled:?}");
}

#[tokio::test]
async fn seeded_web_events_peak_in_the_beijing_evening_and_few_fall_at_night() {
    let app = seeded(2, as_of()).await;
    let events = event::Entity::find().all(&app.db).await.unwrap();
    // One time per session: the events of a visit follow its first one minutes apart.
    let mut sessions: HashMap<&str, DateTime<Utc>> = HashMap::new();
    for e in &events {
        let at = sessions.entry(e.session_id.as_deref().expect("session")).or_insert(e.event_time);
        *at = (*at).min(e.event_time);
    }
    let starts: Vec<DateTime<Utc>> = sessions.into_values().collect();
    assert!(starts.len() >= 300, "{} sessions", starts.len());
    let night = share(&starts, |t| (1..6).contains(&t.hour()));
    assert!(night <= 4, "{night} % of visits between 1:00 and 6:00 Beijing time");
    let hour = |h: u32| starts.iter().filter(|t| beijing(**t).hour() == h).count();
    assert!(hour(20) + hour(21) > 2 * (hour(7) + hour(8)), "the evening is busier than the early morning");
    assert!(hour(21) > hour(12), "21:00 is busier than lunch time");
    // Weekends lighter: per day, a weekend day has fewer visits than a weekday.
    let weekend = starts.iter().filter(|t| is_weekend(beijing(**t))).count() as f64 / 2.0;
    let weekday = starts.iter().filter(|t| !is_weekend(beijing(**t))).count() as f64 / 5.0;
    assert!(weekend < 0.8 * weekday, "{weekend} visits per weekend day, {weekday} per weekday");
}

#[tokio::test]
async fn seeded_leads_rarely_arrive_in_the_beijing_night() {
    let app = seeded(3, as_of()).await;
    let leads = lead::Entity::find().all(&app.db).await.unwrap();
    let created: Vec<DateTime<Utc>> = leads.iter().map(|l| l.created_at).collect();
    let night = share(&created, |t| (1..6).contains(&t.hour()));
    assert!(night <= 3, "{night} % of leads between 1:00 and 6:00 Beijing time");
    // Leads staff enter (calls, fairs, lists) come in office hours.
    let entered: Vec<DateTime<Utc>> = leads
        .iter()
        .filter(|l| matches!(l.lead_source, SourceType::ColdCall | SourceType::Import | SourceType::Exhibition))
        .map(|l| l.created_at)
        .collect();
    assert!(entered.len() >= 20, "{} leads entered by staff", entered.len());
    let office = share(&entered, |t| !is_weekend(t) && (9..18).contains(&t.hour()));
    assert!(office >= 85, "{office} % of staff-entered leads in office hours");
    // Follow-ups are work too.
    let contacted: Vec<DateTime<Utc>> = leads.iter().filter_map(|l| l.last_contacted_at).collect();
    let office = share(&contacted, |t| !is_weekend(t) && (9..18).contains(&t.hour()));
    assert!(office >= 85, "{office} % of follow-ups in office hours");
}

#[tokio::test]
async fn every_seeded_street_belongs_to_its_city() {
    let app = seeded(4, as_of()).await;
    let accounts = account::Entity::find().all(&app.db).await.unwrap();
    assert!(!accounts.is_empty());
    let mut cities = HashSet::new();
    for a in &accounts {
        let (city, district) = (a.city.as_deref().expect("city"), a.district.as_deref().expect("district"));
        let address = a.company_address.as_deref().expect("address");
        // Roads are listed per district (a long road crossing districts in each): a road of the
        // right city but another district is as wrong to a local as one of another city.
        let streets = district_streets(city, district);
        assert!(!streets.is_empty(), "no streets known for {city}{district}");
        let (before, road) = address.split_once(district).unwrap_or_else(|| panic!("{address} names no {district}"));
        assert!(before.ends_with(city), "{address} is not in {city}");
        assert!(
            streets.iter().any(|s| road.starts_with(s)),
            "{address}: the road is not one of {city}{district}'s {streets:?}"
        );
        cities.insert(city);
    }
    assert!(cities.len() >= 5, "accounts in several cities: {cities:?}");
    // The examples: 天府大道 is in 成都, 张江路 in 上海; 中关村大街 is in 海淀区.
    assert!(!city_streets("济南市").contains(&"天府大道") && city_streets("成都市").contains(&"天府大道"));
    assert!(!city_streets("合肥市").contains(&"张江路") && city_streets("上海市").contains(&"张江路"));
    assert!(!district_streets("北京市", "东城区").contains(&"中关村大街"));
    assert!(district_streets("北京市", "海淀区").contains(&"中关村大街"));
}

#[tokio::test]
async fn seeded_event_names_use_one_vocabulary() {
    let app = seeded(5, as_of()).await;
    let events = event::Entity::find().all(&app.db).await.unwrap();
    let mut names: HashSet<&str> = HashSet::new();
    for e in &events {
        assert_eq!(e.event_name, e.event_type.as_str().to_lowercase(), "{:?} is named {}", e.event_type, e.event_name);
        names.insert(&e.event_name);
    }
    // Of the enum's synonym pairs only one member is used: BUTTON_CLICK and FILE_DOWNLOAD.
    for (used, synonym) in [("button_click", "click"), ("file_download", "download")] {
        assert!(names.contains(used), "{used} missing: {names:?}");
        assert!(!names.contains(synonym), "both {used} and {synonym}: {names:?}");
    }
}

#[tokio::test]
async fn mini_program_events_carry_no_web_urls() {
    let app = seeded(6, as_of()).await;
    let channels = channel::Entity::find().all(&app.db).await.unwrap();
    let mini = &channels.iter().find(|c| c.channel_name == "微信小程序").expect("the mini-program channel").channel_id;
    let events = event::Entity::find().all(&app.db).await.unwrap();
    let (in_mini, on_web): (Vec<_>, Vec<_>) = events.iter().partition(|e| e.channel_id.as_ref() == Some(mini));
    assert!(in_mini.len() >= 20, "{} mini-program events", in_mini.len());
    for e in &in_mini {
        let page = e.page_url.as_deref().expect("a page path");
        assert!(page.starts_with("pages/") && !page.contains("://"), "mini-program event on {page}");
        if let Some(from) = e.referrer_url.as_deref() {
            assert!(from.starts_with("pages/") && !from.contains("://"), "mini-program event from {from}");
        }
        assert!(e.utm_params.is_none(), "a mini-program session carries no UTM parameters");
        assert_eq!(e.browser.as_deref(), Some("微信小程序"));
    }
    for e in &on_web {
        assert!(e.page_url.as_deref().is_some_and(|u| u.starts_with("https://")), "{:?}", e.page_url);
        assert_ne!(e.browser.as_deref(), Some("微信小程序"));
    }
}

#[tokio::test]
async fn no_seeded_campaign_has_cost_without_leads() {
    let app = seeded(7, as_of()).await;
    let campaigns = campaign::Entity::find().all(&app.db).await.unwrap();
    let mut leads: HashMap<&str, usize> = HashMap::new();
    let all_leads = lead::Entity::find().all(&app.db).await.unwrap();
    for l in &all_leads {
        if let Some(c) = &l.campaign_id {
            *leads.entry(c.as_str()).or_default() += 1;
        }
    }
    let mut completed = 0;
    for c in &campaigns {
        let n = leads.get(c.campaign_id.as_str()).copied().unwrap_or(0);
        let cost = c.actual_cost.and_then(|d| d.to_f64()).expect("actual cost");
        let budget = c.budget.and_then(|d| d.to_f64()).expect("budget");
        let what = format!(
            "{} ({:?}, {:?}): cost {cost}, budget {budget}, {n} leads",
            c.campaign_name, c.campaign_type, c.campaign_status
        );
        if n == 0 {
            assert_eq!(cost, 0.0, "{what}");
        } else {
            let per_lead = cost / n as f64;
            assert!((50.0..=6_000.0).contains(&per_lead), "{what}: {per_lead} yuan per lead");
        }
        match c.campaign_status {
            CampaignStatus::Planned | CampaignStatus::Cancelled => assert_eq!((cost, n), (0.0, 0), "{what}"),
            CampaignStatus::Completed => {
                completed += 1;
                assert!(n > 0, "{what}");
                assert!(cost <= budget * 1.3, "{what}");
            }
            CampaignStatus::Active | CampaignStatus::Paused => assert!(budget >= cost, "{what}"),
        }
        assert!(budget > 0.0, "{what}");
    }
    assert!(completed > 0, "some campaign has run");
}

#[tokio::test]
async fn seeded_data_ends_at_the_as_of_date() {
    // Far from the default and from today: a data set that ignored --as-of would miss it.
    let as_of = NaiveDate::from_ymd_opt(2025, 3, 12).expect("date");
    let now = anchor(as_of);
    let app = seeded(8, as_of).await;
    let events = event::Entity::find().all(&app.db).await.unwrap();
    let latest = events.iter().map(|e| e.event_time).max().expect("events");
    let earliest = events.iter().map(|e| e.event_time).min().expect("events");
    assert!(latest < now && latest > now - Duration::days(5), "latest event {latest}, as of {now}");
    assert!(earliest >= now - Duration::days(730), "earliest event {earliest}");
    let touchpoints = touchpoint::Entity::find().all(&app.db).await.unwrap();
    let done: Vec<_> =
        touchpoints.iter().filter(|t| t.touchpoint_status != Some(TouchpointStatus::Scheduled)).collect();
    let latest = done.iter().map(|t| t.touchpoint_time).max().expect("touchpoints");
    assert!(latest < now && latest > now - Duration::days(5), "latest touchpoint {latest}");
    for t in touchpoints.iter().filter(|t| t.touchpoint_status == Some(TouchpointStatus::Scheduled)) {
        assert!(t.touchpoint_time > now && t.created_at < now, "{t:?}");
    }
    let leads = lead::Entity::find().all(&app.db).await.unwrap();
    let latest = leads.iter().map(|l| l.created_at).max().expect("leads");
    assert!(latest < now && latest > now - Duration::days(14), "latest lead {latest}");
    // Active accounts were active up to the as-of date: their summaries say so.
    let summaries = account_summary::Entity::find().all(&app.db).await.unwrap();
    assert!(summaries.iter().all(|s| s.calculated_at == now));
    let recent = summaries.iter().filter(|s| s.last_activity_at.is_some_and(|t| t > now - Duration::days(30))).count();
    assert!(
        recent * 100 / summaries.len() >= 20,
        "{recent} of {} accounts active in the last 30 days",
        summaries.len()
    );
    let campaigns = campaign::Entity::find().all(&app.db).await.unwrap();
    assert!(campaigns.iter().any(|c| c.campaign_status == CampaignStatus::Active));
    assert!(
        campaigns
            .iter()
            .all(|c| c.start_date.is_some_and(|d| d > as_of) == (c.campaign_status == CampaignStatus::Planned))
    );

    // Without --as-of the data set is as of today (UTC).
    let before = Utc::now().date_naive();
    let default = SeedOptions::default().as_of;
    assert!(default == before || default == Utc::now().date_naive(), "{default}");
}

/// A digest of a few tables, ordered by id; ciphertexts and blind indexes (sealed under each test
/// server's own keys) left out.
async fn digest(app: &TestApp) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let accounts = account::Entity::find().order_by_asc(account::Column::AccountId).all(&app.db).await.unwrap();
    format!("{accounts:?}").hash(&mut h);
    let mut leads = lead::Entity::find().order_by_asc(lead::Column::LeadId).all(&app.db).await.unwrap();
    for l in &mut leads {
        (l.mobile_phone, l.email, l.wechat_id) = (None, None, None);
        (l.mobile_phone_bidx, l.email_bidx, l.wechat_id_bidx) = (None, None, None);
    }
    format!("{leads:?}").hash(&mut h);
    let campaigns = campaign::Entity::find().order_by_asc(campaign::Column::CampaignId).all(&app.db).await.unwrap();
    format!("{campaigns:?}").hash(&mut h);
    let touchpoints =
        touchpoint::Entity::find().order_by_asc(touchpoint::Column::TouchpointId).all(&app.db).await.unwrap();
    format!("{touchpoints:?}").hash(&mut h);
    let events = event::Entity::find().order_by_asc(event::Column::EventId).all(&app.db).await.unwrap();
    format!("{events:?}").hash(&mut h);
    h.finish()
}

#[tokio::test]
async fn the_same_seed_and_as_of_date_give_identical_data() {
    let first = digest(&seeded(9, as_of()).await).await;
    assert_eq!(first, digest(&seeded(9, as_of()).await).await, "same seed, same date");
    let next_day = as_of().succ_opt().expect("date");
    assert_ne!(first, digest(&seeded(9, next_day).await).await, "another as-of date moves the data");
    assert_ne!(first, digest(&seeded(10, as_of()).await).await, "another seed gives other data");
}
