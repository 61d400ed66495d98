//! The three summaries stay true (issue 5): after a random mix of writes through the API, every
//! summary row equals a ground truth computed here, independently of the server's SQL, from the
//! raw rows (plain `SELECT`s of the source tables) — after the post-commit refreshes and after a
//! full refresh — and bursts of writes are coalesced.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::enums::{
    CampaignStatus, EntityType, EventType, RelationshipStatus, TouchpointDirection, TouchpointStatus, TouchpointType,
};
use entity::{
    account, account_contact_relation, account_summary, campaign, campaign_member, contact, contact_summary, event,
    lead, lead_summary, opportunity, touchpoint,
};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, error_code, metric_value, token};

/// Whole days from `from` to `to`, never negative (the summaries' day counts).
fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> i32 {
    ((to.timestamp() - from.timestamp()) / 86_400).max(0) as i32
}

fn recency(last: Option<DateTime<Utc>>, now: DateTime<Utc>, steps: &[(i32, i32)]) -> i32 {
    let Some(last) = last else { return 0 };
    let d = days(last, now);
    steps.iter().find(|(limit, _)| d <= *limit).map_or(0, |(_, points)| *points)
}

fn happened(t: &touchpoint::Model) -> bool {
    matches!(t.touchpoint_status, None | Some(TouchpointStatus::Completed))
}

fn later(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

/// Every source row the formulas read.
struct World {
    accounts: Vec<account::Model>,
    contacts: Vec<contact::Model>,
    leads: Vec<lead::Model>,
    acr: Vec<account_contact_relation::Model>,
    opps: Vec<opportunity::Model>,
    tps: Vec<touchpoint::Model>,
    evs: Vec<event::Model>,
    members: Vec<campaign_member::Model>,
    campaigns: Vec<campaign::Model>,
}

impl World {
    async fn load(db: &DatabaseConnection) -> World {
        World {
            accounts: account::Entity::find().all(db).await.unwrap(),
            contacts: contact::Entity::find().all(db).await.unwrap(),
            leads: lead::Entity::find().all(db).await.unwrap(),
            acr: account_contact_relation::Entity::find().all(db).await.unwrap(),
            opps: opportunity::Entity::find().all(db).await.unwrap(),
            tps: touchpoint::Entity::find().all(db).await.unwrap(),
            evs: event::Entity::find().all(db).await.unwrap(),
            members: campaign_member::Entity::find().all(db).await.unwrap(),
            campaigns: campaign::Entity::find().all(db).await.unwrap(),
        }
    }

    fn active(r: &account_contact_relation::Model) -> bool {
        r.relationship_status != Some(RelationshipStatus::Inactive)
    }

    /// The expected row as JSON (decimals as numbers, compared with a cent's tolerance: SQLite
    /// computes them in floating point).
    fn account(&self, a: &account::Model, now: DateTime<Utc>) -> Value {
        let id = a.account_id.as_str();
        let opps: Vec<_> = self.opps.iter().filter(|o| o.account_id == id).collect();
        let won = opps.iter().filter(|o| o.is_won).count() as i64;
        let lost = opps.iter().filter(|o| o.is_lost).count() as i64;
        let open = opps.iter().filter(|o| !o.is_won && !o.is_lost).count();
        let year_ago = (now - Duration::days(365)).date_naive();
        let won_recent = opps.iter().any(|o| o.is_won && o.actual_close_date.is_some_and(|d| d >= year_ago));
        let revenue: Decimal = opps.iter().filter(|o| o.is_won).map(|o| o.amount.unwrap_or_default()).sum();
        let weighted: Decimal = opps
            .iter()
            .filter(|o| !o.is_won && !o.is_lost)
            .map(|o| o.amount.unwrap_or_default() * Decimal::from(o.probability) / Decimal::from(100))
            .sum();
        let closes: Vec<NaiveDate> = opps.iter().filter(|o| o.is_won).filter_map(|o| o.actual_close_date).collect();
        let tps: Vec<_> = self.tps.iter().filter(|t| t.account_id.as_deref() == Some(id) && happened(t)).collect();
        let evs: Vec<_> = self.evs.iter().filter(|e| e.account_id.as_deref() == Some(id)).collect();
        let recent = now - Duration::days(90);
        let recent_tps = tps.iter().filter(|t| t.touchpoint_time >= recent).count() as i32;
        let recent_evs = evs.iter().filter(|e| e.event_time >= recent).count() as i32;
        let last_touch = tps.iter().map(|t| t.touchpoint_time).max();
        let last_activity = later(last_touch, evs.iter().map(|e| e.event_time).max());
        let contacts: BTreeSet<&str> =
            self.acr.iter().filter(|r| r.account_id == id && Self::active(r)).map(|r| r.contact_id.as_str()).collect();
        let active: BTreeSet<&str> = self
            .campaigns
            .iter()
            .filter(|c| c.campaign_status == CampaignStatus::Active)
            .map(|c| c.campaign_id.as_str())
            .collect();
        let mut campaigns = BTreeSet::new();
        for m in &self.members {
            let reaches = match m.member_type {
                EntityType::Account => m.member_ref_id == id,
                EntityType::Contact => {
                    self.acr.iter().any(|r| r.account_id == id && r.contact_id == m.member_ref_id && Self::active(r))
                }
                _ => false,
            };
            if reaches {
                campaigns.insert(m.campaign_id.as_str());
            }
        }
        campaigns.extend(
            self.tps.iter().filter(|t| t.account_id.as_deref() == Some(id)).filter_map(|t| t.campaign_id.as_deref()),
        );
        let closed = won + lost;
        let health = recency(last_activity, now, &[(7, 40), (30, 30), (90, 20), (180, 10)])
            + (2 * recent_tps + recent_evs / 5).min(25)
            + if open > 0 { 10 } else { 0 }
            + if won_recent { 10 } else { 0 }
            + if closed > 0 { (15 * won / closed) as i32 } else { 0 };
        let win_rate = if closed > 0 { Decimal::from(100 * won) / Decimal::from(closed) } else { Decimal::ZERO };
        json!({
            "total_contacts": contacts.len(),
            "total_opportunities": opps.len(),
            "total_leads": self.leads.iter().filter(|l| l.converted_account_id.as_deref() == Some(id)).count(),
            "total_revenue": revenue.round_dp(2).to_string(),
            "lifetime_value": (revenue + weighted).round_dp(2).to_string(),
            "won_opportunities": won,
            "lost_opportunities": lost,
            "win_rate": win_rate.round_dp(2).to_string(),
            "total_touchpoints": tps.len(),
            "active_campaigns": campaigns.intersection(&active).count(),
            "health_score": health,
            "last_activity_at": last_activity,
            "last_purchase_at": closes.iter().max().map(|d| d.and_hms_opt(0, 0, 0).unwrap().and_utc()),
            "first_purchase_date": closes.iter().min(),
            "latest_opportunity_date": opps.iter().map(|o| o.created_at).max().map(|t| t.date_naive()),
            "days_since_last_contact": days(last_touch.unwrap_or(a.created_at), now),
        })
    }

    fn contact(&self, c: &contact::Model, now: DateTime<Utc>) -> Value {
        let id = Some(c.contact_id.as_str());
        let tps: Vec<_> = self.tps.iter().filter(|t| t.contact_id.as_deref() == id && happened(t)).collect();
        let evs: Vec<_> = self.evs.iter().filter(|e| e.contact_id.as_deref() == id).collect();
        let recent = now - Duration::days(90);
        let tp_of = |ty: TouchpointType| tps.iter().filter(move |t| t.touchpoint_type == ty);
        let ev_of = |tys: &'static [EventType]| evs.iter().filter(move |e| tys.contains(&e.event_type));
        const FORMS: &[EventType] = &[EventType::FormSubmit];
        const DOWNLOADS: &[EventType] = &[EventType::FileDownload, EventType::Download];
        const CONVERSIONS: &[EventType] = &[EventType::FormSubmit, EventType::FileDownload, EventType::Download];
        let responses: Vec<_> = self
            .members
            .iter()
            .filter(|m| m.member_type == EntityType::Contact && Some(m.member_ref_id.as_str()) == id)
            .filter_map(|m| m.responded_at)
            .collect();
        let opens90 = tp_of(TouchpointType::EmailOpen).filter(|t| t.touchpoint_time >= recent).count() as i32;
        let clicks90 = tp_of(TouchpointType::EmailClick).filter(|t| t.touchpoint_time >= recent).count() as i32;
        let conversions90 = (tp_of(TouchpointType::FormSubmit).chain(tp_of(TouchpointType::Download)))
            .filter(|t| t.touchpoint_time >= recent)
            .count()
            + ev_of(CONVERSIONS).filter(|e| e.event_time >= recent).count()
            + responses.iter().filter(|r| **r >= recent).count();
        let events90 = evs.iter().filter(|e| e.event_time >= recent).count() as i32;
        let last_activity = later(tps.iter().map(|t| t.touchpoint_time).max(), evs.iter().map(|e| e.event_time).max());
        let engagement = recency(last_activity, now, &[(7, 30), (30, 20), (90, 10)])
            + (2 * opens90 + 4 * clicks90).min(20)
            + (events90 / 2).min(25)
            + (5 * conversions90 as i32).min(25);
        json!({
            "total_touchpoints": tps.len(),
            "total_events": evs.len(),
            "email_opens": tp_of(TouchpointType::EmailOpen).count(),
            "email_clicks": tp_of(TouchpointType::EmailClick).count(),
            "form_submissions": tp_of(TouchpointType::FormSubmit).count() + ev_of(FORMS).count(),
            "content_downloads": tp_of(TouchpointType::Download).count() + ev_of(DOWNLOADS).count(),
            "engagement_score": engagement,
            "last_activity_at": last_activity,
            "last_email_sent_at": tp_of(TouchpointType::Email)
                .filter(|t| t.touchpoint_direction == Some(TouchpointDirection::Outbound))
                .map(|t| t.touchpoint_time)
                .max(),
            "last_email_opened_at": tp_of(TouchpointType::EmailOpen).map(|t| t.touchpoint_time).max(),
            "days_since_last_activity": days(last_activity.unwrap_or(c.created_at), now),
            "campaign_responses": responses.len(),
        })
    }

    fn lead(&self, l: &lead::Model, now: DateTime<Utc>) -> Value {
        let id = Some(l.lead_id.as_str());
        let tps: Vec<_> = self.tps.iter().filter(|t| t.lead_id.as_deref() == id && happened(t)).collect();
        let evs: Vec<_> = self.evs.iter().filter(|e| e.lead_id.as_deref() == id).collect();
        let tp_count = |ty: TouchpointType| tps.iter().filter(|t| t.touchpoint_type == ty).count();
        let ev_count = |tys: &[EventType]| evs.iter().filter(|e| tys.contains(&e.event_type)).count();
        let attempts: Vec<_> = tps
            .iter()
            .filter(|t| {
                t.touchpoint_direction == Some(TouchpointDirection::Outbound)
                    && matches!(t.touchpoint_type, TouchpointType::Call | TouchpointType::Email)
            })
            .collect();
        json!({
            "total_touchpoints": tps.len(),
            "total_events": evs.len(),
            "form_submissions": tp_count(TouchpointType::FormSubmit) + ev_count(&[EventType::FormSubmit]),
            "content_downloads": tp_count(TouchpointType::Download) + ev_count(&[EventType::FileDownload, EventType::Download]),
            "page_views": tp_count(TouchpointType::PageView) + ev_count(&[EventType::PageView]),
            "days_in_pipeline": days(l.created_at, l.converted_at.unwrap_or(now)),
            "contact_attempts": attempts.len(),
            "last_activity_at": later(tps.iter().map(|t| t.touchpoint_time).max(), evs.iter().map(|e| e.event_time).max()),
            "last_contact_attempt_at": attempts.iter().map(|t| t.touchpoint_time).max(),
        })
    }
}

/// Compares every summary row with its ground truth; `what` names the moment in failures.
async fn assert_summaries_true(app: &TestApp, what: &str) {
    app.settle().await;
    let wrong = summary_differences(&app.db).await;
    assert!(wrong.is_empty(), "{what}: {}", wrong.join("\n"));
}

/// Every way the stored summaries differ from the ground truth: a record without its summary, a
/// summary without its record, a column with another value than the ground truth's.
async fn summary_differences(db: &DatabaseConnection) -> Vec<String> {
    let world = World::load(db).await;
    let rows = |v: Value| -> BTreeMap<String, Value> {
        v.as_array().unwrap().iter().map(|r| (r["summary_id"].as_str().unwrap().to_string(), r.clone())).collect()
    };
    let accounts = rows(json!(account_summary::Entity::find().all(db).await.unwrap()));
    let contacts = rows(json!(contact_summary::Entity::find().all(db).await.unwrap()));
    let leads = rows(json!(lead_summary::Entity::find().all(db).await.unwrap()));
    let mut wrong = Vec::new();
    let mut missing = |kind: &str, records: Vec<&String>, summaries: &BTreeMap<String, Value>, key: &str| {
        let summarised: BTreeSet<&str> = summaries.values().filter_map(|r| r[key].as_str()).collect();
        for id in records.into_iter().filter(|id| !summarised.contains(id.as_str())) {
            wrong.push(format!("{kind} {id} has no summary"));
        }
    };
    missing("account", world.accounts.iter().map(|a| &a.account_id).collect(), &accounts, "account_id");
    missing("contact", world.contacts.iter().map(|c| &c.contact_id).collect(), &contacts, "contact_id");
    missing("lead", world.leads.iter().map(|l| &l.lead_id).collect(), &leads, "lead_id");
    let check = |kind: &str, key: &str, id: &str, stored: &Value, expected: Value| -> Vec<String> {
        let mut wrong = Vec::new();
        for (col, want) in expected.as_object().unwrap() {
            let got = &stored[col];
            let same = match (
                got.as_str().and_then(|s| s.parse::<Decimal>().ok()),
                want.as_str().and_then(|s| s.parse::<Decimal>().ok()),
            ) {
                (Some(g), Some(w)) => (g - w).abs() <= Decimal::new(1, 2),
                _ => got == want,
            };
            if !same {
                wrong.push(format!("{kind} of {key} {id}: {col} is {got}, the ground truth says {want}"));
            }
        }
        wrong
    };
    let calculated = |r: &Value| -> DateTime<Utc> { serde_json::from_value(r["calculated_at"].clone()).unwrap() };
    for r in accounts.values() {
        match world.accounts.iter().find(|a| a.account_id == r["account_id"]) {
            Some(a) => {
                wrong.extend(check("account_summary", "account", &a.account_id, r, world.account(a, calculated(r))))
            }
            None => wrong.push(format!("account_summary {} has no account", r["account_id"])),
        }
    }
    for r in contacts.values() {
        match world.contacts.iter().find(|c| c.contact_id == r["contact_id"]) {
            Some(c) => {
                wrong.extend(check("contact_summary", "contact", &c.contact_id, r, world.contact(c, calculated(r))))
            }
            None => wrong.push(format!("contact_summary {} has no contact", r["contact_id"])),
        }
    }
    for r in leads.values() {
        match world.leads.iter().find(|l| l.lead_id == r["lead_id"]) {
            Some(l) => wrong.extend(check("lead_summary", "lead", &l.lead_id, r, world.lead(l, calculated(r)))),
            None => wrong.push(format!("lead_summary {} has no lead", r["lead_id"])),
        }
    }
    wrong
}

const TP_TYPES: &[&str] =
    &["PAGE_VIEW", "FORM_SUBMIT", "DOWNLOAD", "EMAIL", "EMAIL_OPEN", "EMAIL_CLICK", "CALL", "MEETING"];
const EV_TYPES: &[&str] = &["PAGE_VIEW", "FORM_SUBMIT", "FILE_DOWNLOAD", "DOWNLOAD", "CLICK", "SEARCH"];

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

#[tokio::test]
async fn every_summary_equals_its_ground_truth_after_a_random_mix_of_writes() {
    let app = TestApp::spawn().await;
    let accounts: Vec<String> = (1..=4).map(|i| format!("ACC_{i}")).collect();
    let contacts: Vec<String> = (1..=6).map(|i| format!("CNT_{i}")).collect();
    insert(&app.db, accounts.iter().map(|a| fixtures::account(a, &format!("公司{a}"))).collect()).await;
    insert(&app.db, contacts.iter().map(|c| fixtures::contact(c, "联系人", None)).collect()).await;
    insert(&app.db, vec![fixtures::campaign("CMP_1"), fixtures::campaign("CMP_2")]).await;
    let mut leads = Vec::new();
    for i in 1..=8 {
        let mut l = fixtures::lead(i);
        l.lead_status = entity::enums::LeadStatus::Contacted;
        leads.push(l);
    }
    insert(&app.db, leads).await;
    for kind in ["ACCOUNT", "CONTACT", "LEAD"] {
        app.data("mutation($k: SummaryType!) { refreshSummaries(entityType: $k) }", json!({ "k": kind })).await;
    }
    assert_summaries_true(&app, "after the first full refresh").await;

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261201);
    let now = Utc::now();
    let when = |rng: &mut rand_chacha::ChaCha8Rng| {
        let t = now - Duration::days(rng.random_range(0..200)) - Duration::minutes(rng.random_range(1..1440));
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    };
    let mut opps: Vec<(String, &str)> = Vec::new();
    let mut tps: Vec<String> = Vec::new();
    let mut relations: Vec<String> = Vec::new();
    let mut next_lead = 1;
    for step in 0..120 {
        let account = pick(&mut rng, &accounts).clone();
        let contact = pick(&mut rng, &contacts).clone();
        let lead = format!("LEAD_{:06}", rng.random_range(1..=8));
        match rng.random_range(0..11) {
            0 | 1 => {
                let tps_in: Vec<Value> = (0..rng.random_range(1..4))
                    .map(|_| {
                        json!({
                            "touchpointType": pick(&mut rng, TP_TYPES), "touchpointTime": when(&mut rng),
                            "touchpointDirection": pick(&mut rng, &["INBOUND", "OUTBOUND"]),
                            "touchpointStatus": pick(&mut rng, &[Value::Null, json!("COMPLETED"), json!("SCHEDULED")]),
                            "contactId": contact, "accountId": account, "leadId": lead,
                            "campaignId": pick(&mut rng, &[Value::Null, json!("CMP_1")]),
                        })
                    })
                    .collect();
                let q = "mutation($t: [TouchpointInput!]!) { recordTouchpoints(touchpoints: $t) { ids } }";
                let got = app.data(q, json!({ "t": tps_in })).await;
                tps.extend(
                    got["recordTouchpoints"]["ids"].as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_string()),
                );
            }
            2 | 3 => {
                let evs: Vec<Value> = (0..rng.random_range(1..6))
                    .map(|_| {
                        json!({ "eventName": "e", "eventType": pick(&mut rng, EV_TYPES), "eventTime": when(&mut rng),
                                "contactId": contact, "accountId": account, "leadId": lead })
                    })
                    .collect();
                app.data("mutation($e: [EventInput!]!) { trackEvents(events: $e) { count } }", json!({ "e": evs }))
                    .await;
            }
            4 => {
                let q = "mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { id } }";
                let amount = format!("{}.{:02}", rng.random_range(1000..90000), rng.random_range(0..100));
                let got = app
                    .data(q, json!({ "i": { "opportunityName": "商机", "accountId": account, "amount": amount } }))
                    .await;
                opps.push((got["createOpportunity"]["id"].as_str().unwrap().to_string(), "QUALIFICATION"));
            }
            5 if !opps.is_empty() => {
                let i = rng.random_range(0..opps.len());
                let (id, stage) = opps[i].clone();
                let (to, reason) = match (stage, rng.random_range(0..3)) {
                    ("CLOSED_WON" | "CLOSED_LOST", _) => continue,
                    (_, 0) => ("CLOSED_LOST", Some("预算")),
                    ("QUALIFICATION", _) => ("NEEDS_ANALYSIS", None),
                    ("NEEDS_ANALYSIS", _) => ("PROPOSAL", None),
                    ("PROPOSAL", _) => ("NEGOTIATION", None),
                    ("NEGOTIATION", _) => ("CONTRACT", None),
                    _ => ("CLOSED_WON", None),
                };
                let q = "mutation($id: ID!, $s: OpportunityStage!, $r: String) { moveOpportunityStage(id: $id, stage: $s, closeReason: $r) { id } }";
                app.data(q, json!({ "id": id, "s": to, "r": reason })).await;
                opps[i].1 = to;
            }
            6 if !tps.is_empty() => {
                let id = tps.swap_remove(rng.random_range(0..tps.len()));
                if rng.random_bool(0.5) {
                    app.data("mutation($id: ID!) { deleteTouchpoint(id: $id) }", json!({ "id": id })).await;
                } else {
                    // Moves to another contact and account: both the old and the new ones change.
                    let q = "mutation($id: ID!, $c: String, $a: String) { updateTouchpoint(id: $id, input: { contactId: $c, accountId: $a }) { id } }";
                    app.data(q, json!({ "id": id, "c": contact, "a": account })).await;
                    tps.push(id);
                }
            }
            7 => {
                let q = "mutation($i: CreateAccountContactRelationInput!) { createAccountContactRelation(input: $i) { id } }";
                let body = app.gql(q, json!({ "i": { "accountId": account, "contactId": contact, "relationshipStatus": pick(&mut rng, &["ACTIVE", "INACTIVE"]) } })).await;
                if let Some(id) = body["data"]["createAccountContactRelation"]["id"].as_str() {
                    relations.push(id.to_string());
                } else {
                    assert_eq!(error_code(&body), "CONFLICT", "only a duplicate pair may fail: {body}");
                }
            }
            8 if !relations.is_empty() => {
                let id = relations.swap_remove(rng.random_range(0..relations.len()));
                app.data("mutation($id: ID!) { deleteAccountContactRelation(id: $id) }", json!({ "id": id })).await;
            }
            9 if next_lead <= 8 => {
                let lead = format!("LEAD_{next_lead:06}");
                next_lead += 1;
                app.data(
                    "mutation($id: ID!) { changeLeadStatus(id: $id, status: QUALIFIED) { id } }",
                    json!({ "id": lead }),
                )
                .await;
                let q = "mutation($i: ConvertLeadInput!) { convertLead(input: $i) { leadId } }";
                app.data(q, json!({ "i": { "leadId": lead, "accountId": account } })).await;
            }
            _ => {
                let q = "mutation($i: CreateCampaignMemberInput!) { createCampaignMember(input: $i) { id } }";
                let (ty, member) = if rng.random_bool(0.5) { ("CONTACT", &contact) } else { ("ACCOUNT", &account) };
                let responded = if rng.random_bool(0.5) { json!(when(&mut rng)) } else { Value::Null };
                let input = json!({ "i": { "campaignId": pick(&mut rng, &["CMP_1", "CMP_2"]), "memberType": ty, "memberRefId": member, "respondedAt": responded } });
                let body = app.gql(q, input).await;
                if body.get("errors").is_some() {
                    assert_eq!(error_code(&body), "CONFLICT", "only a second membership may fail: {body}");
                }
                if step % 4 == 0 {
                    let status = pick(&mut rng, &["ACTIVE", "PAUSED"]);
                    let q = "mutation($s: CampaignStatus!) { updateCampaign(id: \"CMP_2\", input: { campaignStatus: $s }) { id } }";
                    app.data(q, json!({ "s": status })).await;
                }
            }
        }
    }
    assert_summaries_true(&app, "after the post-commit refreshes").await;
    for kind in ["ACCOUNT", "CONTACT", "LEAD"] {
        app.data("mutation($k: SummaryType!) { refreshSummaries(entityType: $k) }", json!({ "k": kind })).await;
    }
    assert_summaries_true(&app, "after a full refresh").await;
}

#[tokio::test]
async fn a_thousand_events_for_one_account_cause_a_handful_of_refreshes() {
    // A refresh waits for a pause of `quiet` in the writes, and at most 20 × `quiet`. With the
    // default 50 ms a loaded two-core CI machine stalls long enough between requests to cut the
    // burst into a dozen refreshes; 500 ms makes the bound depend on the coalescing rule, not on
    // the machine's scheduling.
    let quiet = std::time::Duration::from_millis(500);
    let app = TestApp::spawn_with(|c| c.live.summary_coalesce = quiet).await;
    insert(&app.db, vec![fixtures::account("ACC_1", "华为")]).await;
    insert(&app.db, vec![fixtures::contact("CNT_1", "张伟", Some("ACC_1"))]).await;
    let track = "mutation($e: [EventInput!]!) { trackEvents(events: $e) { count } }";
    let one = |i: usize| {
        json!({ "e": [{ "eventName": "view", "eventType": "PAGE_VIEW", "accountId": "ACC_1", "contactId": "CNT_1",
                        "eventTime": format!("2026-11-01T08:{:02}:{:02}Z", (i / 60) % 60, i % 60) }] })
    };
    // 1,000 calls of one event each, eight at a time.
    let calls = futures_util::stream::iter(0..1000).map(|i| {
        let app = &app;
        let body = one(i);
        async move { app.data(track, body).await }
    });
    use futures_util::StreamExt;
    let started = std::time::Instant::now();
    let done: Vec<Value> = calls.buffer_unordered(8).collect().await;
    let burst = started.elapsed();
    assert_eq!(done.len(), 1000);
    app.settle().await;
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let refreshes = metric_value(&text, "cdp360_summaries_refreshes_total{summary=\"account_summary\"}").unwrap();
    // One refresh per 20 × `quiet` of a steady stream, plus the last, plus slack for a rare stall.
    let bound = 3.0 + burst.as_secs_f64() / (quiet * 20).as_secs_f64();
    assert!(refreshes <= bound, "{refreshes} refreshes of the account's summary for 1,000 events in {burst:?}");
    let s = app.data("{ account(id: \"ACC_1\") { summary { healthScore lastActivityAt } } contact(id: \"CNT_1\") { summary { totalEvents } } }", json!({})).await;
    assert_eq!(s["contact"]["summary"]["totalEvents"], 1000, "the last refresh saw every event");
    assert_summaries_true(&app, "after the burst").await;
}

#[tokio::test]
async fn refresh_summaries_corrects_rows_needs_admin_and_checks_its_input() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_1", "华为")]).await;
    insert(&app.db, vec![fixtures::account_summary("ACCS_1", "ACC_1", 99)]).await;
    let q = "mutation($ids: [ID!]) { refreshSummaries(entityType: ACCOUNT, ids: $ids) }";
    let writer = token(&[cdp360::auth::Scope::Read, cdp360::auth::Scope::Write], None);
    let body = app.gql_as(&writer, q, json!({ "ids": ["ACC_1"] })).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    // Each root field is authorised as it runs: beside a field the token may call, the forbidden
    // one is refused and does not run, the permitted one does.
    let mixed = "mutation { createLead(input: { leadName: \"x\", leadSource: WEBSITE }) { id } \
                 refreshSummaries(entityType: ACCOUNT) }";
    let body = app.gql_as(&writer, mixed, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["refreshSummaries"]), "{body}");
    assert_eq!(entity::lead::Entity::find().all(&app.db).await.unwrap().len(), 1, "the permitted field ran");
    for bad in [json!([]), json!(["not an id!"])] {
        let body = app.gql(q, json!({ "ids": bad })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    let stale = account_summary::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(stale.health_score, 99, "nothing was refreshed by the refused calls");
    assert_eq!(app.data(q, json!({ "ids": ["ACC_1"] })).await["refreshSummaries"], 1);
    assert_summaries_true(&app, "after refreshSummaries").await;
}

#[tokio::test]
async fn the_scheduled_full_refresh_repairs_a_summary_no_write_touched() {
    let app = TestApp::spawn_with(|c| c.live.summary_refresh_interval = std::time::Duration::from_millis(300)).await;
    insert(&app.db, vec![fixtures::account("ACC_1", "华为")]).await;
    insert(&app.db, vec![fixtures::account_summary("ACCS_1", "ACC_1", 99)]).await;
    for _ in 0..100 {
        let s = account_summary::Entity::find().one(&app.db).await.unwrap().unwrap();
        if s.health_score != 99 {
            assert_summaries_true(&app, "after the scheduled refresh").await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the scheduled refresh never ran");
}

#[tokio::test]
async fn merging_contacts_refreshes_the_accounts_they_belong_to() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_1", "华为")]).await;
    insert(&app.db, vec![fixtures::contact("CNT_1", "张伟", None), fixtures::contact("CNT_2", "张伟", None)]).await;
    insert(&app.db, vec![fixtures::acr("ACR_1", "ACC_1", "CNT_1")]).await;
    insert(&app.db, vec![fixtures::campaign("CMP_1")]).await;
    let q = "mutation($i: CreateCampaignMemberInput!) { createCampaignMember(input: $i) { id } }";
    app.data(q, json!({ "i": { "campaignId": "CMP_1", "memberType": "CONTACT", "memberRefId": "CNT_2" } })).await;
    for kind in ["ACCOUNT", "CONTACT"] {
        app.data("mutation($k: SummaryType!) { refreshSummaries(entityType: $k) }", json!({ "k": kind })).await;
    }
    let active = "{ account(id: \"ACC_1\") { summary { activeCampaigns } } }";
    assert_eq!(app.data(active, json!({})).await["account"]["summary"]["activeCampaigns"], 0);
    // The membership moves onto the survivor, who works at ACC_1: the account now counts it.
    app.data("mutation { mergeContacts(survivorId: \"CNT_1\", mergedIds: [\"CNT_2\"]) { ledgerId } }", json!({})).await;
    app.settle().await;
    assert_eq!(app.data(active, json!({})).await["account"]["summary"]["activeCampaigns"], 1);
    assert_summaries_true(&app, "after the merge").await;
}

#[tokio::test]
async fn acknowledged_leads_have_true_summaries_soon_after_a_kill_9_and_a_restart() {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    // Only `cdp360 serve` processes: nothing in this process may refresh what they leave behind,
    // and the scheduled full refresh is off, so only the stale marks can repair the summaries.
    let db = crate::harness::ProcessDatabase::new().await;
    // A slow post-commit refresher (it waits for a 1 s pause in the writes, up to 20 s): the crash
    // surely finds acknowledged leads whose refresh has not run.
    let first = db.serve(&[("CDP_SUMMARY_COALESCE_MS", "1000"), ("CDP_SUMMARY_REFRESH_SECS", "0")]);
    let acked = Mutex::new(Vec::new());
    let count = AtomicUsize::new(0);
    let create = "mutation($n: String!) { createLead(input: { leadName: $n, leadSource: WEBSITE }) { id } }";
    let writer = |w: usize| {
        let (first, acked, count) = (&first, &acked, &count);
        async move {
            for i in 0.. {
                // A request the kill interrupts is not acknowledged: it may or may not have committed.
                let Ok(body) = first.try_gql(create, json!({ "n": format!("线索{w}-{i}") })).await else { return };
                let id = body["data"]["createLead"]["id"].as_str().unwrap_or_else(|| panic!("{body}"));
                acked.lock().unwrap().push(id.to_string());
                count.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    let killer = async {
        while count.load(Ordering::SeqCst) < 60 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        first.kill_9();
    };
    futures_util::future::join(futures_util::future::join_all((0..4).map(writer)), killer).await;
    let acked = acked.into_inner().unwrap();
    assert!(acked.len() >= 60, "{} leads acknowledged before the kill", acked.len());

    let restarted = Instant::now();
    let _second = db.serve(&[("CDP_SUMMARY_REFRESH_SECS", "0")]);
    let mut wrong = summary_differences(&db.db).await;
    while !wrong.is_empty() && restarted.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        wrong = summary_differences(&db.db).await;
    }
    assert!(
        wrong.is_empty(),
        "15 s after the restart, {} differences from the ground truth ({} leads acknowledged): {}",
        wrong.len(),
        acked.len(),
        wrong.join("\n")
    );
    let stored: BTreeSet<String> =
        lead::Entity::find().all(&db.db).await.unwrap().into_iter().map(|l| l.lead_id).collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(lost.is_empty(), "acknowledged leads that were not stored: {lost:?}");
    let marks = entity::summary_stale::Entity::find().all(&db.db).await.unwrap();
    assert!(marks.is_empty(), "every stale mark was drained: {marks:?}");
}
