//! The aggregates API (`<many>Aggregate`, issue 13 part 1): groups and measures equal hand-written
//! SQL on both backends, decimals stay exact, NULL keys group, buckets are cut in the business
//! timezone, the read rules apply, and the limits refuse with `BAD_USER_INPUT`.

use cdp360::auth::Scope;
use cdp360::domain::timezone::{BusinessZone, Period};
use chrono::{DateTime, Utc};
use entity::enums::{ChannelType, LeadStatus, OpportunityStage};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, error_code, token};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// `(key, count)` rows of a hand-written `SELECT key AS k, COUNT(*) AS n …`.
async fn sql_counts(app: &TestApp, sql: &str) -> Vec<(Option<String>, i64)> {
    let backend = app.db.get_database_backend();
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql.to_string())).await.unwrap();
    rows.iter().map(|r| (r.try_get::<Option<String>>("", "k").unwrap(), r.try_get::<i64>("", "n").unwrap())).collect()
}

/// `(key, count)` of the groups of an answer, the key being the one named `name`.
fn counts(groups: &Value, name: &str) -> Vec<(Option<String>, i64)> {
    groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["keys"][name].as_str().map(String::from), g["count"].as_i64().unwrap()))
        .collect()
}

/// Two channels (Douyin, WeChat) and nine leads: statuses, scores, channels (one without).
async fn leads(app: &TestApp) {
    insert(
        &app.db,
        vec![fixtures::channel("CH_A", ChannelType::Douyin), fixtures::channel("CH_B", ChannelType::Wechat)],
    )
    .await;
    let rows = [
        (1, LeadStatus::New, Some("CH_A")),
        (2, LeadStatus::New, Some("CH_A")),
        (3, LeadStatus::New, Some("CH_B")),
        (4, LeadStatus::Contacted, Some("CH_A")),
        (5, LeadStatus::Contacted, Some("CH_B")),
        (6, LeadStatus::Qualified, None),
        (7, LeadStatus::Qualified, None),
        (8, LeadStatus::Qualified, Some("CH_B")),
        (9, LeadStatus::Disqualified, Some("CH_B")),
    ];
    let models = rows
        .into_iter()
        .map(|(i, status, ch)| entity::lead::Model {
            lead_status: status,
            channel_id: ch.map(Into::into),
            lead_score: (i * 7) as i32,
            ..fixtures::lead(i)
        })
        .collect();
    insert(&app.db, models).await;
}

#[tokio::test]
async fn counts_and_integer_measures_per_status_equal_a_hand_written_group_by() {
    let app = TestApp::spawn().await;
    leads(&app).await;
    let d = app
        .data(
            "{ leadsAggregate(groupBy: [{ field: LEAD_STATUS }]) {
                 keys count countDistinct(field: CHANNEL_ID) sum(field: LEAD_SCORE) avg(field: LEAD_SCORE)
                 min(field: LEAD_SCORE) max(field: CREATED_AT) } }",
            json!({}),
        )
        .await;
    let groups = &d["leadsAggregate"];
    let expected =
        sql_counts(&app, "SELECT lead_status AS k, COUNT(*) AS n FROM lead GROUP BY lead_status ORDER BY lead_status")
            .await;
    assert_eq!(counts(groups, "leadStatus"), expected);

    let backend = app.db.get_database_backend();
    let sql = "SELECT lead_status AS k, COUNT(DISTINCT channel_id) AS d, SUM(lead_score) AS s, MIN(lead_score) AS lo
               FROM lead GROUP BY lead_status ORDER BY lead_status";
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql.to_string())).await.unwrap();
    for (g, r) in groups.as_array().unwrap().iter().zip(&rows) {
        assert_eq!(g["countDistinct"].as_i64(), Some(r.try_get::<i64>("", "d").unwrap()), "{g}");
        assert_eq!(g["sum"].as_str(), Some(r.try_get::<i64>("", "s").unwrap().to_string().as_str()), "{g}");
        let lo: i32 = r.try_get("", "lo").unwrap();
        assert_eq!(g["min"], json!(lo), "{g}");
    }
    // CONTACTED: scores 28 and 35 → 31.5; NEW: 7, 14, 21 → 14, the latest is lead 3 (minute 3).
    assert_eq!(groups[0]["avg"], "31.50");
    assert_eq!(groups[2]["avg"], "14.00");
    assert_eq!(groups[2]["max"], fixtures::at(3).to_rfc3339());
}

#[tokio::test]
async fn null_keys_form_their_own_group_after_the_others() {
    let app = TestApp::spawn().await;
    leads(&app).await;
    let d = app.data("{ leadsAggregate(groupBy: [{ field: CHANNEL_ID }]) { keys count } }", json!({})).await;
    assert_eq!(
        counts(&d["leadsAggregate"], "channelId"),
        [(Some("CH_A".to_string()), 3), (Some("CH_B".to_string()), 4), (None, 2)]
    );
    assert_eq!(d["leadsAggregate"][2]["keys"], json!({ "channelId": null }), "a NULL key is null, not absent");
}

#[tokio::test]
async fn a_filter_matching_nothing_returns_no_groups_and_no_keys_one_total() {
    let app = TestApp::spawn().await;
    leads(&app).await;
    let q = "{ none: leadsAggregate(filter: { leadScore: { gt: 1000 } }, groupBy: [{ field: LEAD_STATUS }]) { count }
               all: leadsAggregate { keys count }
               empty: leadsAggregate(filter: { leadScore: { gt: 1000 } }) { count sum(field: LEAD_SCORE) } }";
    let d = app.data(q, json!({})).await;
    assert_eq!(d["none"], json!([]));
    assert_eq!(d["all"], json!([{ "keys": {}, "count": 9 }]));
    assert_eq!(d["empty"], json!([{ "count": 0, "sum": null }]), "without keys, one group even of no rows");
}

#[tokio::test]
async fn decimal_sums_and_averages_are_exact_where_floating_point_is_not() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_1", "客户")]).await;
    let opp = |id: &str, cents: i64| entity::opportunity::Model {
        amount: Some(Decimal::new(cents, 2)),
        ..fixtures::opportunity(id, "ACC_1", OpportunityStage::Proposal)
    };
    let mut rows = vec![opp("OPP_1", 10), opp("OPP_2", 20), opp("OPP_3", 123_456_789_012_345)];
    rows.push(entity::opportunity::Model { amount: None, ..opp("OPP_4", 0) });
    insert(&app.db, rows).await;
    let d = app
        .data(
            "{ opportunitiesAggregate { count sum(field: AMOUNT) avg(field: AMOUNT) min(field: AMOUNT) max(field: AMOUNT) } }",
            json!({}),
        )
        .await;
    // 0.1 + 0.2 + 1234567890123.45 in doubles is 1234567890123.7500…2; NULL amounts are skipped.
    assert_eq!(
        d["opportunitiesAggregate"],
        json!([{ "count": 4, "sum": "1234567890123.75", "avg": "411522630041.25", "min": "0.10", "max": "1234567890123.45" }])
    );
    let small = app
        .data(
            "{ opportunitiesAggregate(filter: { amount: { lt: 1 } }) { sum(field: AMOUNT) avg(field: AMOUNT) } }",
            json!({}),
        )
        .await;
    assert_eq!(small["opportunitiesAggregate"], json!([{ "sum": "0.30", "avg": "0.15" }]));
    let by_amount = app
        .data("{ opportunitiesAggregate(groupBy: [{ field: AMOUNT }], orderBy: [{ by: KEY, direction: DESC }]) { keys count } }", json!({}))
        .await;
    let keys: Vec<Value> =
        by_amount["opportunitiesAggregate"].as_array().unwrap().iter().map(|g| g["keys"]["amount"].clone()).collect();
    assert_eq!(
        keys,
        [json!("1234567890123.45"), json!("0.20"), json!("0.10"), Value::Null],
        "a decimal key keeps its cents"
    );
    if app.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let sql = "SELECT CAST(SUM(amount) AS text) AS k, COUNT(*) AS n FROM opportunity";
        assert_eq!(sql_counts(&app, sql).await, [(Some("1234567890123.75".to_string()), 4)]);
    }
}

/// Leads created at the given instants, ids from 1.
async fn leads_at(app: &TestApp, instants: &[&str]) {
    let rows = instants
        .iter()
        .enumerate()
        .map(|(i, t)| entity::lead::Model { created_at: utc(t), updated_at: utc(t), ..fixtures::lead(i + 1) })
        .collect();
    insert(&app.db, rows).await;
}

#[tokio::test]
async fn a_day_bucket_turns_at_beijing_midnight_which_is_sixteen_hundred_utc() {
    let app = TestApp::spawn().await;
    leads_at(&app, &["2026-12-03T15:59:59Z", "2026-12-03T16:00:00Z", "2026-12-03T16:00:00.5Z"]).await;
    let q = "query($tz: String) { leadsAggregate(groupBy: [{ field: CREATED_AT, bucket: DAY }], timezone: $tz) { keys count } }";
    let d = app.data(q, json!({})).await;
    assert_eq!(
        d["leadsAggregate"],
        json!([{ "keys": { "createdAt.day": "2026-12-03" }, "count": 1 }, { "keys": { "createdAt.day": "2026-12-04" }, "count": 2 }])
    );
    let d = app.data(q, json!({ "tz": "UTC" })).await;
    assert_eq!(d["leadsAggregate"], json!([{ "keys": { "createdAt.day": "2026-12-03" }, "count": 3 }]));
}

#[tokio::test]
async fn week_month_and_quarter_buckets_start_on_monday_the_first_and_the_quarters_first_day() {
    let app = TestApp::spawn().await;
    let instants = [
        "2026-11-29T15:59:59Z", // Sunday 23:59:59 in Beijing
        "2026-11-29T16:00:00Z", // Monday 00:00 in Beijing
        "2026-03-31T15:59:59Z", // March 31 in Beijing
        "2026-03-31T16:00:00Z", // April 1 in Beijing
        "2026-12-31T16:00:00Z", // January 1 2027 in Beijing
        "2027-01-03T12:00:00Z", // a Sunday in Beijing, in the ISO week that began in 2026
    ];
    leads_at(&app, &instants).await;
    let zone = BusinessZone::default();
    for (bucket, period) in [("WEEK", Period::Week), ("MONTH", Period::Month), ("QUARTER", Period::Quarter)] {
        let q = format!("{{ leadsAggregate(groupBy: [{{ field: CREATED_AT, bucket: {bucket} }}]) {{ keys count }} }}");
        let d = app.data(&q, json!({})).await;
        let name = format!("createdAt.{}", bucket.to_lowercase());
        let mut expected: Vec<(Option<String>, i64)> = Vec::new();
        let mut starts: Vec<String> = instants
            .iter()
            .map(|t| BusinessZone::bucket_start(period, zone.day_of(utc(t))).format("%Y-%m-%d").to_string())
            .collect();
        starts.sort();
        for s in starts {
            match expected.last_mut() {
                Some((Some(last), n)) if *last == s => *n += 1,
                _ => expected.push((Some(s), 1)),
            }
        }
        assert_eq!(counts(&d["leadsAggregate"], &name), expected, "{bucket}");
    }
    let d = app.data("{ leadsAggregate(groupBy: [{ field: CREATED_AT, bucket: WEEK }]) { keys } }", json!({})).await;
    let weeks: Vec<&str> =
        d["leadsAggregate"].as_array().unwrap().iter().map(|g| g["keys"]["createdAt.week"].as_str().unwrap()).collect();
    assert_eq!(weeks, ["2026-03-30", "2026-11-23", "2026-11-30", "2026-12-28"]);
}

#[tokio::test]
async fn a_date_column_buckets_without_a_timezone_shift() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_1", "客户")]).await;
    let opp = |id: &str, date: &str| entity::opportunity::Model {
        expected_close_date: Some(date.parse().unwrap()),
        ..fixtures::opportunity(id, "ACC_1", OpportunityStage::Proposal)
    };
    insert(&app.db, vec![opp("OPP_1", "2026-03-31"), opp("OPP_2", "2026-04-01"), opp("OPP_3", "2026-06-30")]).await;
    let d = app
        .data(
            "{ opportunitiesAggregate(groupBy: [{ field: EXPECTED_CLOSE_DATE, bucket: QUARTER }]) { keys count min(field: EXPECTED_CLOSE_DATE) } }",
            json!({}),
        )
        .await;
    assert_eq!(
        d["opportunitiesAggregate"],
        json!([
            { "keys": { "expectedCloseDate.quarter": "2026-01-01" }, "count": 1, "min": "2026-03-31" },
            { "keys": { "expectedCloseDate.quarter": "2026-04-01" }, "count": 2, "min": "2026-04-01" },
        ])
    );
}

#[tokio::test]
async fn a_relation_key_groups_leads_by_their_channels_type() {
    let app = TestApp::spawn().await;
    leads(&app).await;
    let d = app
        .data(
            "{ leadsAggregate(groupBy: [{ path: \"channel.channelType\" }, { field: LEAD_STATUS }]) { keys count } }",
            json!({}),
        )
        .await;
    let groups = d["leadsAggregate"].as_array().unwrap();
    let got: Vec<(Value, Value, i64)> = groups
        .iter()
        .map(|g| {
            (g["keys"]["channel.channelType"].clone(), g["keys"]["leadStatus"].clone(), g["count"].as_i64().unwrap())
        })
        .collect();
    let backend = app.db.get_database_backend();
    let sql = "SELECT c.channel_type AS t, l.lead_status AS s, COUNT(*) AS n FROM lead l
               LEFT JOIN channel c ON c.channel_id = l.channel_id
               GROUP BY c.channel_type, l.lead_status
               ORDER BY c.channel_type IS NULL, c.channel_type, l.lead_status";
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql.to_string())).await.unwrap();
    let expected: Vec<(Value, Value, i64)> = rows
        .iter()
        .map(|r| {
            let t: Option<String> = r.try_get("", "t").unwrap();
            (json!(t), json!(r.try_get::<String>("", "s").unwrap()), r.try_get("", "n").unwrap())
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got[0], (json!("DOUYIN"), json!("CONTACTED"), 1));
}

#[tokio::test]
async fn a_channel_restricted_token_counts_only_its_channels_rows() {
    let app = TestApp::spawn().await;
    leads(&app).await;
    let partner = token(&[Scope::Read], Some(&["CH_A"]));
    let q = "{ leadsAggregate(groupBy: [{ field: LEAD_STATUS }]) { keys count }
               byType: leadsAggregate(groupBy: [{ path: \"channel.channelType\" }]) { keys count } }";
    let d = app.data_as(&partner, q, json!({})).await;
    assert_eq!(counts(&d["leadsAggregate"], "leadStatus"), [(Some("CONTACTED".into()), 1), (Some("NEW".into()), 2)]);
    assert_eq!(counts(&d["byType"], "channel.channelType"), [(Some("DOUYIN".into()), 3)]);
    let all = app.data(q, json!({})).await;
    assert_eq!(all["leadsAggregate"].as_array().unwrap().len(), 4, "an unrestricted token counts every lead");
}

#[tokio::test]
async fn a_relation_key_to_a_row_the_token_may_not_see_is_null_as_the_relation_is_in_lists() {
    let app = TestApp::spawn().await;
    leads(&app).await;
    insert(&app.db, vec![fixtures::account("ACC_1", "客户")]).await;
    let tp = |id: &str, lead: &str| entity::touchpoint::Model {
        channel_id: Some("CH_A".into()),
        lead_id: Some(lead.into()),
        account_id: Some("ACC_1".into()),
        ..fixtures::touchpoint(id, 1)
    };
    // TP_2 is in the partner's channel, its lead (LEAD_000003) in the other one.
    insert(&app.db, vec![tp("TP_1", "LEAD_000001"), tp("TP_2", "LEAD_000003")]).await;
    let partner = token(&[Scope::Read], Some(&["CH_A"]));
    let q = "{ touchpointsAggregate(groupBy: [{ path: \"lead.leadStatus\" }, { path: \"lead.isQualified\" }]) { keys count } }";
    let d = app.data_as(&partner, q, json!({})).await;
    assert_eq!(
        d["touchpointsAggregate"],
        json!([
            { "keys": { "lead.leadStatus": "NEW", "lead.isQualified": false }, "count": 1 },
            { "keys": { "lead.leadStatus": null, "lead.isQualified": null }, "count": 1 },
        ])
    );
    let d = app.data(q, json!({})).await;
    assert_eq!(d["touchpointsAggregate"][0]["count"], 2, "an unrestricted token sees both leads");
}

#[tokio::test]
async fn having_and_order_by_count_keep_and_sort_groups_with_ties_ordered_by_key() {
    let app = TestApp::spawn().await;
    leads(&app).await;
    let q = "{ leadsAggregate(groupBy: [{ field: LEAD_STATUS }], having: { count: { gte: 2 } },
                              orderBy: [{ by: COUNT, direction: DESC }], first: 2) { keys count }
               byKey: leadsAggregate(groupBy: [{ field: LEAD_STATUS }], orderBy: [{ by: KEY, key: 0, direction: DESC }]) { keys } }";
    let d = app.data(q, json!({})).await;
    assert_eq!(counts(&d["leadsAggregate"], "leadStatus"), [(Some("NEW".into()), 3), (Some("QUALIFIED".into()), 3)]);
    let keys: Vec<&str> =
        d["byKey"].as_array().unwrap().iter().map(|g| g["keys"]["leadStatus"].as_str().unwrap()).collect();
    assert_eq!(keys, ["QUALIFIED", "NEW", "DISQUALIFIED", "CONTACTED"]);
}

#[tokio::test]
async fn an_aggregate_is_one_statement_whatever_it_measures() {
    let app = TestApp::spawn().await;
    leads(&app).await;
    let q = "{ leadsAggregate(groupBy: [{ path: \"channel.channelType\" }, { field: CREATED_AT, bucket: DAY }]) {
                 keys count a: sum(field: LEAD_SCORE) b: avg(field: LEAD_SCORE) c: min(field: CREATED_AT)
                 ... on LeadAggregateGroup { d: max(field: LEAD_SCORE) countDistinct(field: LEAD_STATUS) } } }";
    let before = app.statements().await;
    let d = app.data(q, json!({})).await;
    assert_eq!(app.statements().await - before, 1);
    // Douyin leads of January 1: 1, 2 and 4 (scores 7, 14, 28).
    assert_eq!(d["leadsAggregate"][0]["d"], 28, "a measure in a fragment is computed too");
}

#[tokio::test]
async fn expensive_or_invalid_groupings_are_refused_with_bad_user_input_and_a_clear_message() {
    let app = TestApp::spawn().await;
    leads(&app).await;
    let cases = [
        ("leadsAggregate(first: 1001) { count }", "between 1 and 1000"),
        ("leadsAggregate(first: 0) { count }", "between 1 and 1000"),
        (
            "leadsAggregate(groupBy: [{ field: LEAD_STATUS }, { field: CHANNEL_ID }, { field: CITY }, { field: PROVINCE }]) { count }",
            "at most 3",
        ),
        ("leadsAggregate(groupBy: [{ field: LEAD_STATUS, bucket: DAY }]) { count }", "needs a date or date-time field"),
        ("leadsAggregate { sum(field: LEAD_STATUS) }", "not a numeric field"),
        ("leadsAggregate { min(field: CITY) }", "not a numeric, date or date-time field"),
        ("leadsAggregate(groupBy: [{ path: \"notARelation.userName\" }]) { count }", "relation.field"),
        ("leadsAggregate(groupBy: [{ path: \"channel.nope\" }]) { count }", "relation.field"),
        ("leadsAggregate(groupBy: [{ field: CITY, path: \"channel.channelType\" }]) { count }", "exactly one"),
        ("leadsAggregate(groupBy: [{ field: CITY }, { field: CITY }]) { count }", "twice"),
        ("leadsAggregate(timezone: \"Europe/Berlin\") { count }", "daylight-saving"),
        ("leadsAggregate(orderBy: [{ by: KEY, key: 1 }], groupBy: [{ field: CITY }]) { count }", "not one of the 1"),
    ];
    for (field, message) in cases {
        let body = app.gql(&format!("{{ {field} }}"), json!({})).await;
        assert!(body.get("errors").is_some(), "{field}: {body}");
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{field}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(message), "{field}: {body}");
    }
}

#[tokio::test]
async fn the_complexity_budget_counts_every_measure_of_every_group() {
    let app = TestApp::spawn().await;
    let measures: String = (0..60).map(|i| format!(" m{i}: count")).collect();
    let q = format!("{{ leadsAggregate(first: 1000) {{ {measures} }} }}");
    let before = app.statements().await;
    let body = app.gql(&q, json!({})).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("complex"), "{body}");
    assert_eq!(app.statements().await, before, "refused before any SQL");
    let ok = app.gql(&format!("{{ leadsAggregate(first: 100) {{ {measures} }} }}"), json!({})).await;
    assert!(ok.get("errors").is_none(), "100 groups of 60 fields fit the budget: {ok}");
}
