//! Channel and campaign performance from live data (issue 13, part 2; docs/performance.md): after
//! writes through the API on one Beijing business day, the day's rows equal values computed here
//! by hand; a division by zero is null; a lead moved between channels moves its count; and
//! `cdp360 recompute performance` reproduces what the writes maintained.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use entity::enums::{LeadStatus, OpportunityStage};
use entity::{campaign_performance, channel_performance};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::fixtures::{self, insert};
use crate::harness::TestApp;

/// Beijing time, the default business zone.
fn beijing() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap()
}

/// The instant of `hh:mm` Beijing time on `day`.
fn bj(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    beijing().from_local_datetime(&day.and_hms_opt(h, m, 0).unwrap()).unwrap().with_timezone(&Utc)
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// 755 160 元 a month is a whole number of 元 a day in months of 28, 29, 30 and 31 days.
const MONTHLY: &str = "755160.00";

fn days_in_month(day: NaiveDate) -> i64 {
    let first = day.with_day(1).unwrap();
    (first.checked_add_months(chrono::Months::new(1)).unwrap() - first).num_days()
}

async fn channel_row(app: &TestApp, channel: &str, day: NaiveDate) -> Option<channel_performance::Model> {
    channel_performance::Entity::find()
        .filter(channel_performance::Column::ChannelId.eq(channel))
        .filter(channel_performance::Column::StatDate.eq(day))
        .one(&app.db)
        .await
        .unwrap()
}

async fn campaign_row(app: &TestApp, campaign: &str, day: NaiveDate) -> Option<campaign_performance::Model> {
    campaign_performance::Entity::find()
        .filter(campaign_performance::Column::CampaignId.eq(campaign))
        .filter(campaign_performance::Column::StatDate.eq(day))
        .one(&app.db)
        .await
        .unwrap()
}

const CREATE_LEAD: &str = "mutation($i: CreateLeadInput!) { createLead(input: $i) { id } }";
const UPDATE_LEAD: &str = "mutation($id: ID!, $i: UpdateLeadInput!) { updateLead(id: $id, input: $i) { id } }";

/// Writes of one Beijing day (today's: the API stamps rows with the server's clock) and the rows
/// a test inserts around it: one lead at 23:30 (15:30Z, still today) and one at 00:05 tomorrow.
async fn a_day_of_writes(app: &TestApp, today: NaiveDate) {
    let tomorrow = today + Duration::days(1);
    let mut ch_a = fixtures::channel("CH_A", entity::enums::ChannelType::Website);
    ch_a.cost = Some(dec(MONTHLY));
    let ch_b = fixtures::channel("CH_B", entity::enums::ChannelType::Wechat);
    insert(&app.db, vec![ch_a, ch_b]).await;
    let mut cmp = fixtures::campaign("CMP_X");
    (cmp.actual_cost, cmp.start_date, cmp.end_date) =
        (Some(dec("1000.00")), Some(today - Duration::days(4)), Some(today + Duration::days(5)));
    insert(&app.db, vec![cmp]).await;
    insert(&app.db, vec![fixtures::account("ACC_1", "华为")]).await;
    let mut late = fixtures::lead(1);
    (late.lead_id, late.channel_id, late.campaign_id) = ("LEAD_LATE".into(), Some("CH_A".into()), Some("CMP_X".into()));
    (late.lead_status, late.created_at) = (LeadStatus::Converted, bj(today, 23, 30));
    let mut next = fixtures::lead(2);
    (next.lead_id, next.channel_id, next.created_at) = ("LEAD_NEXT".into(), Some("CH_A".into()), bj(tomorrow, 0, 5));
    insert(&app.db, vec![late, next]).await;
    let mut opp = fixtures::opportunity("OPP_W", "ACC_1", OpportunityStage::Contract);
    (opp.lead_id, opp.amount, opp.created_at) = (Some("LEAD_LATE".into()), Some(dec("5000.00")), bj(today, 12, 0));
    insert(&app.db, vec![opp]).await;

    // Through the API, today: two leads, a contact, the deal won, page views and clicks.
    let lead = |ch: &str, cmp: Option<&str>| json!({ "i": { "leadName": "线索", "leadSource": "WEBSITE", "channelId": ch, "campaignId": cmp } });
    let la1 =
        app.data(CREATE_LEAD, lead("CH_A", Some("CMP_X"))).await["createLead"]["id"].as_str().unwrap().to_string();
    app.data(CREATE_LEAD, lead("CH_B", None)).await;
    let contact = "mutation($i: CreateContactInput!) { createContact(input: $i) { id } }";
    app.data(contact, json!({ "i": { "contactName": "张伟", "contactStatus": "ACTIVE", "primaryChannelId": "CH_A" } }))
        .await;
    let win = "mutation { moveOpportunityStage(id: \"OPP_W\", stage: CLOSED_WON) { id actualCloseDate } }";
    let won = app.data(win, json!({})).await;
    assert_eq!(won["moveOpportunityStage"]["actualCloseDate"], today.to_string(), "a business date");
    let now = Utc::now().to_rfc3339();
    let event = |ty: &str| json!({ "eventName": "e", "eventType": ty, "channelId": "CH_A", "eventTime": now });
    let track = "mutation($e: [EventInput!]!) { trackEvents(events: $e) { count } }";
    app.data(track, json!({ "e": [event("PAGE_VIEW"), event("PAGE_VIEW"), event("CLICK"), event("SEARCH")] })).await;
    let tp = |ty: &str| json!({ "touchpointType": ty, "campaignId": "CMP_X", "leadId": la1, "touchpointTime": now });
    let record = "mutation($t: [TouchpointInput!]!) { recordTouchpoints(touchpoints: $t) { count } }";
    app.data(record, json!({ "t": [tp("PAGE_VIEW"), tp("EMAIL_CLICK"), tp("CALL")] })).await;
    // An edit of the lead created just after midnight marks its day: tomorrow.
    app.data(UPDATE_LEAD, json!({ "id": "LEAD_NEXT", "i": { "jobTitle": "经理" } })).await;
    app.settle().await;
}

/// Today in Beijing, unless the day is about to end (the writes must all fall on it).
fn a_beijing_day_with_time_left() -> Option<NaiveDate> {
    let now = Utc::now();
    let today = now.with_timezone(&beijing()).date_naive();
    (bj(today + Duration::days(1), 0, 0) - now > Duration::minutes(2)).then_some(today)
}

#[tokio::test]
async fn a_days_writes_give_the_channel_and_campaign_rows_computed_by_hand() {
    let Some(today) = a_beijing_day_with_time_left() else { return };
    let app = TestApp::spawn().await;
    a_day_of_writes(&app, today).await;

    // CH_A today: LEAD_LATE (23:30) and the API's CMP_X lead; LEAD_NEXT (00:05) is tomorrow's.
    let day_cost = dec(MONTHLY) / Decimal::from(days_in_month(today));
    let a = channel_row(&app, "CH_A", today).await.expect("CH_A has a row today");
    assert_eq!((a.lead_count, a.contact_count, a.opportunity_count, a.conversion_count), (2, 1, 1, 1));
    assert_eq!((a.revenue, a.cost), (dec("5000.00"), day_cost));
    assert_eq!(a.conversion_rate, Some(dec("50.00")), "1 of 2 leads converted");
    assert_eq!(a.cpl, Some((day_cost / Decimal::from(2)).round_dp(2)));
    assert_eq!(a.cpa, Some(day_cost), "one opportunity");
    let roi = ((dec("5000.00") - day_cost) / day_cost)
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(a.roi, Some(roi));
    assert_eq!((a.impressions, a.clicks), (2, 1), "page views and clicks; a search is neither");

    // CMP_X today: 1 000 元 over 10 days.
    let c = campaign_row(&app, "CMP_X", today).await.expect("CMP_X has a row today");
    assert_eq!((c.leads_generated, c.opportunities_generated, c.conversion_count), (2, 1, 1));
    assert_eq!((c.revenue, c.cost), (dec("5000.00"), dec("100.00")));
    assert_eq!((c.roi, c.cpl, c.cpa), (Some(dec("49.00")), Some(dec("50.00")), Some(dec("100.00"))));
    assert_eq!(c.conversion_rate, Some(dec("50.00")));
    assert_eq!((c.impressions, c.clicks), (1, 1), "a page view and an e-mail click; a call is neither");

    // Just after midnight is the next business day.
    let next = channel_row(&app, "CH_A", today + Duration::days(1)).await.expect("tomorrow's row");
    assert_eq!((next.lead_count, next.conversion_count), (1, 0));
    assert_eq!(next.conversion_rate, Some(dec("0.00")));
}

#[tokio::test]
async fn a_division_by_zero_is_null_not_a_giant_number() {
    let Some(today) = a_beijing_day_with_time_left() else { return };
    let app = TestApp::spawn().await;
    a_day_of_writes(&app, today).await;
    // CH_B: one lead, no cost, no opportunity.
    let b = channel_row(&app, "CH_B", today).await.expect("CH_B has a row today");
    assert_eq!((b.lead_count, b.cost), (1, Decimal::ZERO));
    assert_eq!((b.roi, b.cpa), (None, None), "no cost, no opportunity: nothing to divide by");
    assert_eq!(b.cpl, Some(dec("0.00")), "nothing spent per lead");
    // Through the API too: a null, not 0.
    let q = "{ channelPerformances(filter: { channelId: { eq: \"CH_B\" } }) { nodes { roi cpa cpl } } }";
    let got = app.data(q, json!({})).await;
    assert_eq!(got["channelPerformances"]["nodes"][0], json!({ "roi": null, "cpa": null, "cpl": "0.00" }));
}

#[tokio::test]
async fn a_lead_moved_from_one_channel_to_another_moves_its_count() {
    let app = TestApp::spawn().await;
    let today = Utc::now().with_timezone(&beijing()).date_naive();
    let channels = ["CH_A", "CH_B"].map(|id| fixtures::channel(id, entity::enums::ChannelType::Website));
    insert(&app.db, channels.to_vec()).await;
    let input = json!({ "i": { "leadName": "线索", "leadSource": "WEBSITE", "channelId": "CH_A" } });
    let id = app.data(CREATE_LEAD, input).await["createLead"]["id"].as_str().unwrap().to_string();
    app.settle().await;
    let day = Utc::now().with_timezone(&beijing()).date_naive();
    if day != today {
        return; // midnight passed in between
    }
    assert_eq!(channel_row(&app, "CH_A", today).await.map(|r| r.lead_count), Some(1));
    app.data(UPDATE_LEAD, json!({ "id": id, "i": { "channelId": "CH_B" } })).await;
    app.settle().await;
    assert_eq!(channel_row(&app, "CH_A", today).await, None, "nothing left on CH_A (and it costs nothing)");
    assert_eq!(channel_row(&app, "CH_B", today).await.map(|r| r.lead_count), Some(1));
}

#[tokio::test]
async fn the_cli_recompute_reproduces_the_incrementally_maintained_rows() {
    let Some(today) = a_beijing_day_with_time_left() else { return };
    let app = TestApp::spawn().await;
    a_day_of_writes(&app, today).await;
    let rows = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            let ch = channel_performance::Entity::find()
                .order_by_asc(channel_performance::Column::StatDate)
                .order_by_asc(channel_performance::Column::ChannelId)
                .all(&db)
                .await
                .unwrap();
            let cm = campaign_performance::Entity::find()
                .order_by_asc(campaign_performance::Column::StatDate)
                .order_by_asc(campaign_performance::Column::CampaignId)
                .all(&db)
                .await
                .unwrap();
            (ch, cm)
        }
    };
    let maintained = rows(&app).await;
    // The command's demo key file goes to a directory of its own.
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (today.to_string(), (today + Duration::days(1)).to_string());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cdp360"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CDP_DATABASE_URL", &app.database_url)
        .env("CDP_LOG", "warn")
        .args(["recompute", "performance", "--from", &from, "--to", &to])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("for 2 days"), "{stdout}");
    let recomputed = rows(&app).await;
    let only = |r: &(Vec<channel_performance::Model>, Vec<campaign_performance::Model>)| {
        let ch: Vec<_> =
            r.0.iter().filter(|x| x.stat_date >= today && x.stat_date <= today + Duration::days(1)).cloned().collect();
        let cm: Vec<_> =
            r.1.iter().filter(|x| x.stat_date >= today && x.stat_date <= today + Duration::days(1)).cloned().collect();
        (ch, cm)
    };
    assert!(!only(&maintained).0.is_empty());
    assert_eq!(only(&recomputed), only(&maintained), "same rows, same ids: a recompute upserts");
    // A range the wrong way round is refused.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_cdp360"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CDP_DATABASE_URL", &app.database_url)
        .env("CDP_LOG", "warn")
        .args(["recompute", "performance", "--from", &to, "--to", &from])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is after"), "{}", String::from_utf8_lossy(&bad.stderr));
}
