//! Lead conversion through the API (docs/design.md §6): one test per rule — new records, linking
//! existing ones, fill-empty-only merges, owners, opportunity names, read-only converted leads,
//! dry runs, identity resolution and its switchboard cap, identities/touchpoints/events following
//! the lead, summaries, rollback of a failure half-way, and the list form with `allOrNone`.
//! Every error path also checks that no table changed.

use std::collections::BTreeMap;

use cdp360::auth::Scope;
use cdp360::domain::value::CreditCode;
use cdp360::services::identity::{self, MatchKey, Verdict};
use cdp360::services::pii;
use entity::enums::{EntityType, LeadStatus, SourceType};
use entity::{
    account, account_contact_relation, account_summary, contact, contact_channel_identity, contact_summary, event,
    lead, lead_channel_identity, lead_summary, opportunity, touchpoint,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fixtures::{self, at, insert};
use crate::harness::{self, TestApp, assert_unchanged, error_code, token};

const RESULT: &str = "
    leadId accountId contactId opportunityId accountCreated contactCreated opportunityCreated dryRun
    identitiesLinked touchpointsRepointed eventsRepointed
    fieldDiff { entityType id field oldValue newValue }
    candidates { entityType id matchedKey sharedBy verdict }
    lead { leadStatus isQualified convertedAt convertedContactId convertedAccountId convertedOpportunityId }
    account { accountName accountType ownerUserId accountSource industryId province city primaryChannelId
              unifiedSocialCreditCode }
    contact { contactName mobilePhone email wechatId jobTitle contactSource ownerUserId primaryAccountId
              primaryChannelId lifecycleStage }
    opportunity { opportunityName stage probability opportunitySource opportunityType leadId accountId
                  primaryContactId ownerUserId campaignId }";

fn convert_query() -> String {
    format!("mutation($input: ConvertLeadInput!) {{ convertLead(input: $input) {{ {RESULT} }} }}")
}

fn convert_many_query() -> String {
    format!(
        "mutation($inputs: [ConvertLeadInput!]!, $all: Boolean) {{ convertLeads(inputs: $inputs, allOrNone: $all) {{
            index leadId error {{ code message }} result {{ {RESULT} }} }} }}"
    )
}

async fn convert(app: &TestApp, input: Value) -> Value {
    app.data(&convert_query(), json!({ "input": input })).await["convertLead"].clone()
}

async fn convert_err(app: &TestApp, input: Value) -> Value {
    app.gql(&convert_query(), json!({ "input": input })).await
}

fn id(i: usize) -> String {
    format!("LEAD_{i:06}")
}

/// A QUALIFIED lead (`LEAD_00000i`, company `公司i`, name `线索i`, source WEBSITE).
fn qualified(i: usize) -> lead::Model {
    let mut l = fixtures::lead(i);
    l.lead_status = LeadStatus::Qualified;
    l.is_qualified = true;
    l
}

/// Seals the PII of the models the way the server does, and inserts them.
async fn insert_leads(app: &TestApp, leads: Vec<lead::Model>) {
    fixtures::insert_sealed(&app.db, &app.pii(), leads).await;
}

async fn insert_contacts(app: &TestApp, contacts: Vec<contact::Model>) {
    fixtures::insert_sealed(&app.db, &app.pii(), contacts).await;
}

fn contact_with(id: &str, account: Option<&str>, phone: Option<&str>, email: Option<&str>) -> contact::Model {
    let mut c = fixtures::contact(id, &format!("联系人{id}"), account);
    c.mobile_phone = phone.map(Into::into);
    c.email = email.map(Into::into);
    c
}

fn lead_identity(id: &str, lead: &str, channel: &str, user: &str, minutes: i64) -> lead_channel_identity::Model {
    lead_channel_identity::Model {
        identity_id: id.into(),
        lead_id: lead.into(),
        channel_id: channel.into(),
        channel_user_id: user.into(),
        captured_at: at(minutes),
        utm_params: None,
        additional_info: Some(json!({ "nickname": "张" })),
    }
}

fn contact_identity(
    id: &str,
    contact: &str,
    channel: &str,
    user: &str,
    minutes: i64,
) -> contact_channel_identity::Model {
    contact_channel_identity::Model {
        identity_id: id.into(),
        contact_id: contact.into(),
        channel_id: channel.into(),
        channel_user_id: user.into(),
        identity_type: None,
        is_primary: true,
        is_verified: false,
        first_seen_at: Some(at(minutes)),
        last_seen_at: Some(at(minutes)),
        additional_info: None,
    }
}

fn event_of(id: &str, lead: &str, minutes: i64) -> event::Model {
    event::Model { lead_id: Some(lead.into()), ..fixtures::event(id, minutes) }
}

/// Staff and channels most tests need: users U1, U2; channels CH1, CH2.
async fn staff_and_channels(app: &TestApp) {
    insert(&app.db, vec![fixtures::user("U1"), fixtures::user("U2")]).await;
    insert(
        &app.db,
        vec![
            fixtures::channel("CH1", entity::enums::ChannelType::Wechat),
            fixtures::channel("CH2", entity::enums::ChannelType::Website),
        ],
    )
    .await;
}

/// The whole database, every column.
async fn snapshot(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    harness::snapshot(app, &[], |_, _| {}).await
}

async fn stored_lead(app: &TestApp, i: usize) -> lead::Model {
    lead::Entity::find_by_id(id(i)).one(&app.db).await.unwrap().unwrap()
}

async fn touchpoint_of(app: &TestApp, id: &str) -> touchpoint::Model {
    touchpoint::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap()
}

async fn count_relations(app: &TestApp, account: &str, contact: &str) -> u64 {
    account_contact_relation::Entity::find()
        .filter(account_contact_relation::Column::AccountId.eq(account))
        .filter(account_contact_relation::Column::ContactId.eq(contact))
        .count(&app.db)
        .await
        .unwrap()
}

fn field_names(result: &Value, entity: &str) -> Vec<String> {
    result["fieldDiff"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["entityType"] == entity)
        .map(|c| c["field"].as_str().unwrap().to_string())
        .collect()
}

fn diff_of<'a>(result: &'a Value, entity: &str, field: &str) -> &'a Value {
    result["fieldDiff"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["entityType"] == entity && c["field"] == field)
        .unwrap_or_else(|| panic!("no {entity}.{field} in {}", result["fieldDiff"]))
}

#[tokio::test]
async fn a_qualified_lead_becomes_a_new_account_contact_and_opportunity() {
    let app = TestApp::spawn().await;
    staff_and_channels(&app).await;
    insert(&app.db, vec![fixtures::campaign("CMP1")]).await;
    insert(&app.db, vec![fixtures::industry("IND1", None)]).await;
    let mut l = qualified(1);
    l.mobile_phone = Some("13800138000".into());
    l.email = Some("Zhang.Wei@Example.com".into());
    l.wechat_id = Some("wxid_zhang01".into());
    l.job_title = Some("CTO".into());
    l.channel_id = Some("CH1".into());
    l.campaign_id = Some("CMP1".into());
    l.industry_id = Some("IND1".into());
    l.province = Some("北京".into());
    l.city = Some("北京市".into());
    l.owner_user_id = Some("U1".into());
    insert_leads(&app, vec![l]).await;

    let r = convert(&app, json!({ "leadId": id(1) })).await;
    assert_eq!((r["accountCreated"].as_bool(), r["contactCreated"].as_bool()), (Some(true), Some(true)), "{r}");
    assert_eq!((r["opportunityCreated"].as_bool(), r["dryRun"].as_bool()), (Some(true), Some(false)));
    let (acc, cnt, opp) =
        (r["accountId"].as_str().unwrap(), r["contactId"].as_str().unwrap(), r["opportunityId"].as_str().unwrap());
    assert!(acc.starts_with("ACC_") && cnt.starts_with("CNT_") && opp.starts_with("OPP_"), "{r}");
    assert_eq!(r["candidates"], json!([]));
    assert_eq!(r["fieldDiff"], json!([]));

    let a = &r["account"];
    assert_eq!(a["accountName"], "公司1");
    assert_eq!(
        (&a["accountType"], &a["ownerUserId"], &a["accountSource"]),
        (&json!("PROSPECT"), &json!("U1"), &json!("WEBSITE"))
    );
    assert_eq!(
        (&a["industryId"], &a["province"], &a["city"], &a["primaryChannelId"]),
        (&json!("IND1"), &json!("北京"), &json!("北京市"), &json!("CH1"))
    );
    let c = &r["contact"];
    assert_eq!(
        (&c["contactName"], &c["jobTitle"], &c["contactSource"]),
        (&json!("线索1"), &json!("CTO"), &json!("WEBSITE"))
    );
    assert_eq!(
        (&c["mobilePhone"], &c["email"], &c["wechatId"]),
        (&json!("13800138000"), &json!("Zhang.Wei@Example.com"), &json!("wxid_zhang01"))
    );
    assert_eq!(
        (&c["ownerUserId"], &c["primaryAccountId"], &c["primaryChannelId"]),
        (&json!("U1"), &json!(acc), &json!("CH1"))
    );
    assert_eq!(c["lifecycleStage"], "OPPORTUNITY");
    let o = &r["opportunity"];
    assert_eq!(
        (&o["opportunityName"], &o["stage"], &o["probability"]),
        (&json!("公司1"), &json!("QUALIFICATION"), &json!(10))
    );
    assert_eq!((&o["opportunitySource"], &o["opportunityType"]), (&json!("LEAD_CONVERSION"), &json!("NEW_BUSINESS")));
    assert_eq!((&o["leadId"], &o["accountId"], &o["primaryContactId"]), (&json!(id(1)), &json!(acc), &json!(cnt)));
    assert_eq!((&o["ownerUserId"], &o["campaignId"]), (&json!("U1"), &json!("CMP1")));
    let lead = &r["lead"];
    assert_eq!((&lead["leadStatus"], &lead["isQualified"]), (&json!("CONVERTED"), &json!(true)));
    assert!(lead["convertedAt"].is_string());
    assert_eq!(
        (&lead["convertedAccountId"], &lead["convertedContactId"], &lead["convertedOpportunityId"]),
        (&json!(acc), &json!(cnt), &json!(opp))
    );

    // Stored: the contact's PII is sealed for the contact's own row (never the lead's ciphertext).
    let pii = app.pii();
    let stored = contact::Entity::find_by_id(cnt).one(&app.db).await.unwrap().unwrap();
    let source = stored_lead(&app, 1).await;
    let ct = stored.mobile_phone.as_deref().unwrap();
    assert_ne!(Some(ct), source.mobile_phone.as_deref());
    assert_eq!(pii.open("contact", pii::MOBILE_PHONE, cnt, ct).unwrap(), "13800138000");
    assert_eq!(stored.mobile_phone_bidx.unwrap(), pii.blind("contact", pii::MOBILE_PHONE, "13800138000").unwrap());
    assert_eq!(stored.email_bidx.unwrap(), pii.blind("contact", pii::EMAIL, "zhang.wei@example.com").unwrap());
    assert_eq!(stored.wechat_id_bidx.unwrap(), pii.blind("contact", pii::WECHAT_ID, "wxid_zhang01").unwrap());
    assert_eq!(source.lead_status, LeadStatus::Converted);
    let rel = account_contact_relation::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!((rel.account_id.as_str(), rel.contact_id.as_str(), rel.is_primary_contact), (acc, cnt, true));
    assert_eq!(opportunity::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn converting_into_an_existing_account_links_it_and_creates_the_contact() {
    let app = TestApp::spawn().await;
    staff_and_channels(&app).await;
    let mut acc = fixtures::account("ACC_X", "甲公司");
    acc.owner_user_id = Some("U2".into());
    insert(&app.db, vec![acc]).await;
    let mut l = qualified(1);
    l.owner_user_id = Some("U1".into());
    insert_leads(&app, vec![l]).await;

    let r = convert(&app, json!({ "leadId": id(1), "accountId": "ACC_X" })).await;
    assert_eq!((r["accountId"].as_str(), r["accountCreated"].as_bool()), (Some("ACC_X"), Some(false)), "{r}");
    assert_eq!(r["contactCreated"], true);
    // The account keeps its name and owner; the new contact and opportunity are the lead owner's.
    assert_eq!((&r["account"]["accountName"], &r["account"]["ownerUserId"]), (&json!("甲公司"), &json!("U2")));
    assert_eq!((&r["contact"]["ownerUserId"], &r["opportunity"]["ownerUserId"]), (&json!("U1"), &json!("U1")));
    assert_eq!(r["opportunity"]["accountId"], "ACC_X");
    assert_eq!(r["opportunity"]["opportunityType"], Value::Null, "not new business for a known account");
    let cnt = r["contactId"].as_str().unwrap();
    assert_eq!(count_relations(&app, "ACC_X", cnt).await, 1);
    assert_eq!(account::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn converting_into_an_existing_contact_of_that_account_links_both() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_X", "甲公司")]).await;
    // CNT_P belongs through its primary account, CNT_R through a relation row only.
    insert_contacts(
        &app,
        vec![contact_with("CNT_P", Some("ACC_X"), None, None), contact_with("CNT_R", None, None, None)],
    )
    .await;
    insert(&app.db, vec![fixtures::acr("ACR_1", "ACC_X", "CNT_R")]).await;
    insert_leads(&app, vec![qualified(1), qualified(2)]).await;

    let r = convert(&app, json!({ "leadId": id(1), "accountId": "ACC_X", "contactId": "CNT_P" })).await;
    assert_eq!((r["accountCreated"].as_bool(), r["contactCreated"].as_bool()), (Some(false), Some(false)), "{r}");
    assert_eq!(
        (r["contactId"].as_str(), r["opportunity"]["primaryContactId"].as_str()),
        (Some("CNT_P"), Some("CNT_P"))
    );
    assert_eq!(count_relations(&app, "ACC_X", "CNT_P").await, 1, "the missing relation row is added");

    let r = convert(&app, json!({ "leadId": id(2), "accountId": "ACC_X", "contactId": "CNT_R" })).await;
    assert_eq!(r["contactId"], "CNT_R");
    assert_eq!(count_relations(&app, "ACC_X", "CNT_R").await, 1, "the existing relation is kept, not doubled");
    assert_eq!(contact::Entity::find().count(&app.db).await.unwrap(), 2);
}

#[tokio::test]
async fn a_contact_of_another_account_is_bad_user_input_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_X", "甲公司"), fixtures::account("ACC_Y", "乙公司")]).await;
    insert_contacts(&app, vec![contact_with("CNT_Y", Some("ACC_Y"), None, None)]).await;
    insert_leads(&app, vec![qualified(1)]).await;
    let before = snapshot(&app).await;

    let body = convert_err(&app, json!({ "leadId": id(1), "accountId": "ACC_X", "contactId": "CNT_Y" })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("contactId"), "{body}");
    // A contact without its account is refused too (the account it must belong to is missing).
    let body = convert_err(&app, json!({ "leadId": id(1), "contactId": "CNT_Y" })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_unchanged(&before, &snapshot(&app).await);
}

#[tokio::test]
async fn an_opportunity_name_with_do_not_create_opportunity_is_bad_user_input() {
    let app = TestApp::spawn().await;
    insert_leads(&app, vec![qualified(1), qualified(2)]).await;
    let before = snapshot(&app).await;
    let body =
        convert_err(&app, json!({ "leadId": id(1), "doNotCreateOpportunity": true, "opportunityName": "大单" })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("opportunityName"), "{body}");
    assert_unchanged(&before, &snapshot(&app).await);

    // Without a name it converts, and creates no opportunity.
    let r = convert(&app, json!({ "leadId": id(2), "doNotCreateOpportunity": true })).await;
    assert_eq!(
        (r["opportunityCreated"].as_bool(), &r["opportunityId"], &r["opportunity"]),
        (Some(false), &Value::Null, &Value::Null)
    );
    assert_eq!(r["lead"]["convertedOpportunityId"], Value::Null);
    assert_eq!(r["contact"]["lifecycleStage"], "SQL");
    assert_eq!(opportunity::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn the_opportunity_is_named_after_the_company_unless_a_name_is_given() {
    let app = TestApp::spawn().await;
    let mut no_company = qualified(2);
    no_company.company_name = None;
    insert_leads(&app, vec![qualified(1), no_company, qualified(3), qualified(4)]).await;

    let r = convert(&app, json!({ "leadId": id(1) })).await;
    assert_eq!(r["opportunity"]["opportunityName"], "公司1");
    // No company: the account and the opportunity take the lead's name.
    let r = convert(&app, json!({ "leadId": id(2) })).await;
    assert_eq!(
        (&r["opportunity"]["opportunityName"], &r["account"]["accountName"]),
        (&json!("线索2"), &json!("线索2"))
    );
    let r = convert(&app, json!({ "leadId": id(3), "opportunityName": "  年度大单  " })).await;
    assert_eq!(r["opportunity"]["opportunityName"], "年度大单");

    let before = snapshot(&app).await;
    let body = convert_err(&app, json!({ "leadId": id(4), "opportunityName": "商".repeat(201) })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("opportunityName"), "{body}");
    assert_unchanged(&before, &snapshot(&app).await);
    let r = convert(&app, json!({ "leadId": id(4), "opportunityName": "商".repeat(200) })).await;
    assert_eq!(r["opportunity"]["opportunityName"].as_str().unwrap().chars().count(), 200);
}

#[tokio::test]
async fn new_records_belong_to_the_lead_owner_unless_another_owner_is_given() {
    let app = TestApp::spawn().await;
    staff_and_channels(&app).await;
    let mut leads = vec![qualified(1), qualified(2), qualified(3)];
    for l in &mut leads {
        l.owner_user_id = Some("U1".into());
    }
    insert_leads(&app, leads).await;
    let owners = |r: &Value| {
        [&r["account"]["ownerUserId"], &r["contact"]["ownerUserId"], &r["opportunity"]["ownerUserId"]]
            .map(|v| v.as_str().map(str::to_string))
    };

    let r = convert(&app, json!({ "leadId": id(1) })).await;
    assert_eq!(owners(&r), [Some("U1".to_string()), Some("U1".to_string()), Some("U1".to_string())]);
    let r = convert(&app, json!({ "leadId": id(2), "ownerUserId": "U2" })).await;
    assert_eq!(owners(&r), [Some("U2".to_string()), Some("U2".to_string()), Some("U2".to_string())]);

    let before = snapshot(&app).await;
    let body = convert_err(&app, json!({ "leadId": id(3), "ownerUserId": "U_NOBODY" })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().starts_with("ownerUserId"), "{body}");
    assert_unchanged(&before, &snapshot(&app).await);
}

#[tokio::test]
async fn merging_fills_only_empty_fields_and_never_overwrites() {
    let app = TestApp::spawn().await;
    staff_and_channels(&app).await;
    insert(&app.db, vec![fixtures::industry("IND1", None)]).await;
    let mut acc = fixtures::account("ACC_X", "甲公司");
    acc.province = Some("上海".into());
    acc.city = Some(String::new());
    acc.account_source = Some(SourceType::Referral);
    let acc_updated = acc.updated_at;
    insert(&app.db, vec![acc]).await;
    let mut c = contact_with("CNT_X", Some("ACC_X"), Some("13900139000"), None);
    c.job_title = Some("CEO".into());
    c.contact_source = Some(SourceType::Form);
    c.owner_user_id = Some("U2".into());
    insert_contacts(&app, vec![c]).await;
    let mut l = qualified(1);
    l.mobile_phone = Some("13800138000".into());
    l.email = Some("zhang@example.com".into());
    l.wechat_id = Some("wxid_zhang01".into());
    l.job_title = Some("CTO".into());
    l.province = Some("北京".into());
    l.city = Some("北京市".into());
    l.industry_id = Some("IND1".into());
    l.channel_id = Some("CH1".into());
    l.owner_user_id = Some("U1".into());
    insert_leads(&app, vec![l]).await;

    let r = convert(&app, json!({ "leadId": id(1), "accountId": "ACC_X", "contactId": "CNT_X" })).await;
    // Kept: everything that had a value.
    let a = &r["account"];
    assert_eq!(
        (&a["accountName"], &a["province"], &a["accountSource"]),
        (&json!("甲公司"), &json!("上海"), &json!("REFERRAL"))
    );
    let c = &r["contact"];
    assert_eq!(
        (&c["jobTitle"], &c["mobilePhone"], &c["contactSource"]),
        (&json!("CEO"), &json!("13900139000"), &json!("FORM"))
    );
    assert_eq!(c["ownerUserId"], "U2", "owners of existing records are left alone");
    // Filled: the empty ones (an empty string is empty).
    assert_eq!(
        (&a["city"], &a["industryId"], &a["primaryChannelId"]),
        (&json!("北京市"), &json!("IND1"), &json!("CH1"))
    );
    assert_eq!(
        (&c["email"], &c["wechatId"], &c["primaryChannelId"]),
        (&json!("zhang@example.com"), &json!("wxid_zhang01"), &json!("CH1"))
    );
    let mut account_fields = field_names(&r, "ACCOUNT");
    account_fields.sort();
    assert_eq!(account_fields, ["city", "industryId", "primaryChannelId"]);
    let mut contact_fields = field_names(&r, "CONTACT");
    contact_fields.sort();
    assert_eq!(contact_fields, ["email", "primaryChannelId", "wechatId"]);
    // The diff says old → new, PII masked.
    assert_eq!(diff_of(&r, "ACCOUNT", "city")["oldValue"], "");
    assert_eq!(diff_of(&r, "ACCOUNT", "city")["newValue"], "北京市");
    assert_eq!(diff_of(&r, "CONTACT", "email")["newValue"], "z***@example.com");
    assert_eq!(diff_of(&r, "CONTACT", "email")["oldValue"], Value::Null);
    assert!(!r["fieldDiff"].to_string().contains("wxid_zhang01"), "{}", r["fieldDiff"]);

    // Stored: the filled e-mail is sealed for the contact's row and indexed with the contact key.
    let pii = app.pii();
    let stored = contact::Entity::find_by_id("CNT_X").one(&app.db).await.unwrap().unwrap();
    assert_eq!(
        pii.open("contact", pii::EMAIL, "CNT_X", stored.email.as_deref().unwrap()).unwrap(),
        "zhang@example.com"
    );
    assert_eq!(stored.email_bidx.unwrap(), pii.blind("contact", pii::EMAIL, "zhang@example.com").unwrap());
    assert_eq!(
        pii.open("contact", pii::MOBILE_PHONE, "CNT_X", stored.mobile_phone.as_deref().unwrap()).unwrap(),
        "13900139000"
    );
    let stored = account::Entity::find_by_id("ACC_X").one(&app.db).await.unwrap().unwrap();
    assert!(stored.updated_at > acc_updated);
}

#[tokio::test]
async fn overwrite_lead_source_replaces_the_contact_source() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_X", "甲公司")]).await;
    let mut c = contact_with("CNT_X", Some("ACC_X"), None, None);
    c.contact_source = Some(SourceType::Form);
    insert_contacts(&app, vec![c]).await;
    insert_leads(&app, vec![qualified(1)]).await;

    // Without contactId there is no contact to overwrite.
    let before = snapshot(&app).await;
    let body = convert_err(&app, json!({ "leadId": id(1), "overwriteLeadSource": true })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("overwriteLeadSource"), "{body}");
    assert_unchanged(&before, &snapshot(&app).await);

    let r = convert(
        &app,
        json!({ "leadId": id(1), "accountId": "ACC_X", "contactId": "CNT_X", "overwriteLeadSource": true }),
    )
    .await;
    assert_eq!(r["contact"]["contactSource"], "WEBSITE");
    let change = diff_of(&r, "CONTACT", "contactSource");
    assert_eq!((&change["oldValue"], &change["newValue"]), (&json!("FORM"), &json!("WEBSITE")));
}

#[tokio::test]
async fn a_converted_lead_is_read_only_a_second_conversion_and_a_status_change_are_conflicts() {
    let app = TestApp::spawn().await;
    insert_leads(&app, vec![qualified(1)]).await;
    convert(&app, json!({ "leadId": id(1) })).await;
    let before = snapshot(&app).await;

    let body = convert_err(&app, json!({ "leadId": id(1) })).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    let body = convert_err(&app, json!({ "leadId": id(1), "dryRun": true })).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    let body = app
        .gql("mutation($id: ID!) { changeLeadStatus(id: $id, status: DISQUALIFIED) { id } }", json!({ "id": id(1) }))
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert_unchanged(&before, &snapshot(&app).await);
}

#[tokio::test]
async fn only_a_qualified_lead_converts() {
    let app = TestApp::spawn().await;
    let mut leads = Vec::new();
    for (i, status) in [(1, LeadStatus::New), (2, LeadStatus::Contacted), (3, LeadStatus::Disqualified)] {
        let mut l = fixtures::lead(i);
        l.lead_status = status;
        leads.push(l);
    }
    insert_leads(&app, leads).await;
    let before = snapshot(&app).await;
    for (i, from) in [(1, "NEW"), (2, "CONTACTED"), (3, "DISQUALIFIED")] {
        let body = convert_err(&app, json!({ "leadId": id(i) })).await;
        assert_eq!(error_code(&body), "INVALID_TRANSITION", "{from}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(from) && message.contains("CONVERTED"), "{message}");
    }
    assert_unchanged(&before, &snapshot(&app).await);
    let body = convert_err(&app, json!({ "leadId": "LEAD_MISSING" })).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
}

#[tokio::test]
async fn a_dry_run_reports_the_plan_and_writes_nothing() {
    let app = TestApp::spawn().await;
    staff_and_channels(&app).await;
    insert(&app.db, vec![fixtures::account("ACC_X", "公司1")]).await;
    insert_contacts(&app, vec![contact_with("CNT_X", Some("ACC_X"), Some("13800138000"), None)]).await;
    let mut l = qualified(1);
    l.mobile_phone = Some("138-0013-8000".into());
    l.email = Some("zhang@example.com".into());
    insert_leads(&app, vec![l, qualified(2)]).await;
    insert(&app.db, vec![lead_identity("LCI_1", &id(1), "CH1", "openid_1", 5)]).await;
    let mut tp = fixtures::touchpoint("TP_1", 10);
    tp.lead_id = Some(id(1));
    insert(&app.db, vec![tp]).await;
    let before = snapshot(&app).await;

    let r = convert(&app, json!({ "leadId": id(1), "dryRun": true })).await;
    assert_eq!(r["dryRun"], true);
    assert_eq!((r["accountId"].as_str(), r["contactId"].as_str()), (Some("ACC_X"), Some("CNT_X")), "{r}");
    assert_eq!(
        (r["accountCreated"].as_bool(), r["contactCreated"].as_bool(), r["opportunityCreated"].as_bool()),
        (Some(false), Some(false), Some(true))
    );
    assert_eq!(
        r["candidates"],
        json!([
            { "entityType": "CONTACT", "id": "CNT_X", "matchedKey": "PHONE", "sharedBy": 2, "verdict": "LINKED" },
            { "entityType": "ACCOUNT", "id": "ACC_X", "matchedKey": "COMPANY_NAME", "sharedBy": 1, "verdict": "LINKED" },
        ])
    );
    assert_eq!(diff_of(&r, "CONTACT", "email")["newValue"], "z***@example.com");
    assert_eq!((r["identitiesLinked"].as_i64(), r["touchpointsRepointed"].as_i64()), (Some(1), Some(1)));
    assert_eq!(r["lead"]["leadStatus"], "CONVERTED", "the lead as it would be");
    assert_unchanged(&before, &snapshot(&app).await);

    // A dry run of new records: ids that exist nowhere afterwards.
    let r = convert(&app, json!({ "leadId": id(2), "dryRun": true })).await;
    assert_eq!((r["accountCreated"].as_bool(), r["contactCreated"].as_bool()), (Some(true), Some(true)));
    let acc = r["accountId"].as_str().unwrap();
    assert!(account::Entity::find_by_id(acc).one(&app.db).await.unwrap().is_none());
    assert_unchanged(&before, &snapshot(&app).await);

    // The snapshot does see a real conversion.
    convert(&app, json!({ "leadId": id(1) })).await;
    let after = snapshot(&app).await;
    for table in ["lead", "contact", "opportunity", "contact_channel_identity", "touchpoint", "lead_summary"] {
        assert_ne!(before[table], after[table], "{table}");
    }
}

#[tokio::test]
async fn identity_resolution_links_the_contact_with_the_lead_phone_in_another_format() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_A", "甲公司"), fixtures::account("ACC_B", "乙公司")]).await;
    insert_contacts(
        &app,
        vec![
            contact_with("CNT_A", Some("ACC_A"), Some("138 0013 8000"), None),
            contact_with("CNT_B", Some("ACC_B"), None, Some("li@example.com")),
        ],
    )
    .await;
    let mut by_phone = qualified(1);
    by_phone.mobile_phone = Some("+86 13800138000".into());
    // No company named: the contact's own account is used rather than a new one.
    let mut by_email = qualified(2);
    by_email.company_name = None;
    by_email.email = Some(" LI@Example.COM ".into());
    insert_leads(&app, vec![by_phone, by_email]).await;

    let r = convert(&app, json!({ "leadId": id(1) })).await;
    assert_eq!((r["contactId"].as_str(), r["contactCreated"].as_bool()), (Some("CNT_A"), Some(false)), "{r}");
    assert_eq!(
        r["candidates"][0],
        json!({ "entityType": "CONTACT", "id": "CNT_A", "matchedKey": "PHONE", "sharedBy": 2, "verdict": "LINKED" })
    );
    // The lead names another company: a new account, and the contact is linked to it as well.
    assert_eq!((r["accountCreated"].as_bool(), &r["account"]["accountName"]), (Some(true), &json!("公司1")));
    assert_eq!(count_relations(&app, r["accountId"].as_str().unwrap(), "CNT_A").await, 1);
    assert_eq!(r["contact"]["primaryAccountId"], "ACC_A", "the primary account is not overwritten");

    let r = convert(&app, json!({ "leadId": id(2) })).await;
    assert_eq!((r["contactId"].as_str(), r["accountId"].as_str()), (Some("CNT_B"), Some("ACC_B")), "{r}");
    assert_eq!((r["contactCreated"].as_bool(), r["accountCreated"].as_bool()), (Some(false), Some(false)));
    assert_eq!(r["candidates"][0]["matchedKey"], "EMAIL");
    assert_eq!(contact::Entity::find().count(&app.db).await.unwrap(), 2);
}

#[tokio::test]
async fn the_account_is_found_by_credit_code_before_company_name() {
    let app = TestApp::spawn().await;
    let first17 = "91110108MA01ABCD1";
    let code = format!("{first17}{}", CreditCode::check_char(first17).unwrap());
    let mut by_code = fixtures::account("ACC_C", "甲科技有限公司");
    by_code.unified_social_credit_code = Some(code.clone());
    insert(&app.db, vec![by_code, fixtures::account("ACC_N", "公司1")]).await;
    let mut l = qualified(1);
    l.custom_fields = Some(json!({ "unifiedSocialCreditCode": format!(" {} ", code.to_lowercase()) }));
    let wrong = if code.ends_with('0') { '1' } else { '0' };
    let mut bad = qualified(2);
    bad.custom_fields = Some(json!({ "unifiedSocialCreditCode": format!("{first17}{wrong}") }));
    let mut by_name = qualified(3);
    by_name.company_name = Some(" 公司1 ".into());
    insert_leads(&app, vec![l, bad, by_name]).await;

    let r = convert(&app, json!({ "leadId": id(1) })).await;
    assert_eq!((r["accountId"].as_str(), r["accountCreated"].as_bool()), (Some("ACC_C"), Some(false)), "{r}");
    let accounts: Vec<&Value> =
        r["candidates"].as_array().unwrap().iter().filter(|c| c["entityType"] == "ACCOUNT").collect();
    assert_eq!(
        accounts,
        [
            &json!({ "entityType": "ACCOUNT", "id": "ACC_C", "matchedKey": "CREDIT_CODE", "sharedBy": 1, "verdict": "LINKED" }),
            &json!({ "entityType": "ACCOUNT", "id": "ACC_N", "matchedKey": "COMPANY_NAME", "sharedBy": 1, "verdict": "OUTRANKED" }),
        ]
    );

    let before = snapshot(&app).await;
    let body = convert_err(&app, json!({ "leadId": id(2) })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("unifiedSocialCreditCode"), "{body}");
    assert_unchanged(&before, &snapshot(&app).await);

    // By exact company name when the lead carries no code.
    let r = convert(&app, json!({ "leadId": id(3) })).await;
    assert_eq!(r["accountId"], "ACC_N");
}

#[tokio::test]
async fn a_key_shared_by_more_records_than_the_cap_links_nothing() {
    let app = TestApp::spawn().await;
    // The company's shared front-desk mobile, written three ways.
    let switchboard = "+86 139-1000-8888";
    insert_contacts(&app, vec![contact_with("CNT_A", None, Some("13910008888"), None)]).await;
    // Five leads give it: with the contact, six people share the number.
    let mut leads: Vec<lead::Model> = (1..=5)
        .map(|i| {
            let mut l = qualified(i);
            l.mobile_phone = Some(switchboard.into());
            l
        })
        .collect();
    leads[1].email = Some("li@example.com".into());
    insert_leads(&app, leads).await;
    insert_contacts(&app, vec![contact_with("CNT_B", None, None, Some("li@example.com"))]).await;

    let r = convert(&app, json!({ "leadId": id(1) })).await;
    assert_eq!(r["contactCreated"], true, "{r}");
    assert_eq!(
        r["candidates"],
        json!([
            { "entityType": "CONTACT", "id": "CNT_A", "matchedKey": "PHONE", "sharedBy": 6, "verdict": "SHARED_KEY" },
        ])
    );
    // The number stays with the contact that has it (phones are unique among contacts).
    assert_eq!(r["contact"]["mobilePhone"], Value::Null);
    // The next key still links.
    let r = convert(&app, json!({ "leadId": id(2) })).await;
    assert_eq!(
        (r["contactId"].as_str(), r["candidates"][1]["verdict"].as_str()),
        (Some("CNT_B"), Some("LINKED")),
        "{r}"
    );
    assert_eq!(r["candidates"][0]["verdict"], "SHARED_KEY");

    // The cap is a parameter of the resolver: at 10 the number links, at the default it does not.
    let pii = app.pii();
    let m = identity::resolve_contact(&app.db, &pii, phone("0086 139 1000 8888"), 10).await.unwrap();
    assert_eq!((m.contact.map(|c| c.contact_id), m.key), (Some("CNT_A".to_string()), Some(MatchKey::Phone)));
    let m = identity::resolve_contact(&app.db, &pii, phone(switchboard), identity::MAX_SHARED_KEY).await.unwrap();
    assert!(m.contact.is_none());
    assert_eq!(m.candidates[0].verdict, Verdict::SharedKey);
}

#[tokio::test]
async fn a_lowered_cap_stops_a_key_shared_by_two_people_and_a_shared_wechat_id_is_ambiguous() {
    let app = TestApp::spawn().await;
    let mut a = contact_with("CNT_A", None, Some("13800138000"), None);
    a.wechat_id = Some("wxid_family".into());
    let mut b = contact_with("CNT_B", None, None, None);
    b.wechat_id = Some("wxid_family".into());
    insert_contacts(&app, vec![a, b]).await;
    let mut l = qualified(1);
    l.mobile_phone = Some("13800138000".into());
    insert_leads(&app, vec![l]).await;
    let pii = app.pii();

    let m = identity::resolve_contact(&app.db, &pii, phone("13800138000"), 2).await.unwrap();
    assert_eq!(m.contact.map(|c| c.contact_id).as_deref(), Some("CNT_A"));
    let m = identity::resolve_contact(&app.db, &pii, phone("13800138000"), 1).await.unwrap();
    assert!(m.contact.is_none());
    assert_eq!((m.candidates[0].shared_by, m.candidates[0].verdict), (2, Verdict::SharedKey));

    let m = identity::resolve_contact(
        &app.db,
        &pii,
        identity::PersonKeys { wechat_id: Some("wxid_family"), ..Default::default() },
        3,
    )
    .await
    .unwrap();
    assert!(m.contact.is_none());
    let verdicts: Vec<(&str, Verdict)> = m.candidates.iter().map(|c| (c.id.as_str(), c.verdict)).collect();
    assert_eq!(verdicts, [("CNT_A", Verdict::Ambiguous), ("CNT_B", Verdict::Ambiguous)]);
    assert!(m.candidates.iter().all(|c| c.entity == EntityType::Contact && c.key == MatchKey::WechatId));
    // A value that does not normalise is refused, naming the field but not the value.
    let e = identity::resolve_contact(&app.db, &pii, phone("call me 555"), 3).await.unwrap_err();
    assert_eq!(e.code(), "BAD_USER_INPUT");
    assert!(e.message().starts_with("mobilePhone") && !e.message().contains("555"), "{e:?}");
}

#[tokio::test]
async fn identities_touchpoints_and_events_follow_the_lead() {
    let app = TestApp::spawn().await;
    staff_and_channels(&app).await;
    insert_contacts(
        &app,
        vec![contact_with("CNT_X", None, Some("13800138000"), None), contact_with("CNT_OTHER", None, None, None)],
    )
    .await;
    insert(&app.db, vec![contact_identity("CCI_1", "CNT_X", "CH1", "openid_1", 100)]).await;
    let mut l = qualified(1);
    l.mobile_phone = Some("13800138000".into());
    insert_leads(&app, vec![l, qualified(2)]).await;
    insert(
        &app.db,
        vec![
            lead_identity("LCI_1", &id(1), "CH1", "openid_1", 50),
            lead_identity("LCI_2", &id(1), "CH2", "cookie_2", 60),
        ],
    )
    .await;
    let mut tps =
        vec![fixtures::touchpoint("TP_1", 1), fixtures::touchpoint("TP_2", 2), fixtures::touchpoint("TP_3", 3)];
    tps[0].lead_id = Some(id(1));
    tps[1].lead_id = Some(id(1));
    tps[1].contact_id = Some("CNT_OTHER".into());
    tps[2].lead_id = Some(id(2));
    insert(&app.db, tps).await;
    insert(&app.db, vec![event_of("EVT_1", &id(1), 4), event_of("EVT_2", &id(2), 5)]).await;

    let r = convert(&app, json!({ "leadId": id(1) })).await;
    let acc = r["accountId"].as_str().unwrap().to_string();
    assert_eq!(r["contactId"], "CNT_X");
    assert_eq!(
        (r["identitiesLinked"].as_i64(), r["touchpointsRepointed"].as_i64(), r["eventsRepointed"].as_i64()),
        (Some(2), Some(2), Some(1))
    );
    let ids = contact_channel_identity::Entity::find()
        .filter(contact_channel_identity::Column::ContactId.eq("CNT_X"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    // The identity the contact had keeps its row and widens its seen window; the other is new.
    let ch1 = ids.iter().find(|i| i.channel_id == "CH1").unwrap();
    assert_eq!((ch1.identity_id.as_str(), ch1.first_seen_at, ch1.last_seen_at), ("CCI_1", Some(at(50)), Some(at(100))));
    let ch2 = ids.iter().find(|i| i.channel_id == "CH2").unwrap();
    assert_eq!(
        (ch2.channel_user_id.as_str(), ch2.first_seen_at, ch2.last_seen_at),
        ("cookie_2", Some(at(60)), Some(at(60)))
    );
    assert!(ch2.identity_id.starts_with("CCI_"));
    assert_eq!(ch2.additional_info, Some(json!({ "nickname": "张" })));

    let (t1, t2, t3) =
        (touchpoint_of(&app, "TP_1").await, touchpoint_of(&app, "TP_2").await, touchpoint_of(&app, "TP_3").await);
    assert_eq!((t1.contact_id.as_deref(), t1.account_id.as_deref()), (Some("CNT_X"), Some(acc.as_str())));
    // A touchpoint attributed to someone else keeps it; only its empty account is filled.
    assert_eq!((t2.contact_id.as_deref(), t2.account_id.as_deref()), (Some("CNT_OTHER"), Some(acc.as_str())));
    assert_eq!((t3.contact_id, t3.account_id), (None, None), "another lead's touchpoint is untouched");
    let e1 = event::Entity::find_by_id("EVT_1").one(&app.db).await.unwrap().unwrap();
    assert_eq!((e1.contact_id.as_deref(), e1.account_id.as_deref()), (Some("CNT_X"), Some(acc.as_str())));
    let e2 = event::Entity::find_by_id("EVT_2").one(&app.db).await.unwrap().unwrap();
    assert_eq!((e2.contact_id, e2.account_id), (None, None));
}

#[tokio::test]
async fn the_summaries_of_the_account_contact_and_lead_are_refreshed() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_X", "公司1")]).await;
    insert(&app.db, vec![fixtures::account_summary("ACCS_X", "ACC_X", 0)]).await;
    insert_leads(&app, vec![qualified(1)]).await;
    let mut tp = fixtures::touchpoint("TP_1", 1);
    tp.lead_id = Some(id(1));
    insert(&app.db, vec![tp]).await;

    let r = convert(&app, json!({ "leadId": id(1) })).await;
    let cnt = r["contactId"].as_str().unwrap();
    assert_eq!(r["accountId"], "ACC_X");
    let converted_at = stored_lead(&app, 1).await.converted_at.unwrap();
    app.settle().await;

    let s = account_summary::Entity::find()
        .filter(account_summary::Column::AccountId.eq("ACC_X"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.summary_id, "ACCS_X", "the existing row is updated");
    assert_eq!((s.total_contacts, s.total_opportunities, s.total_leads, s.total_touchpoints), (1, 1, 1, 1));
    assert!(s.calculated_at >= converted_at, "refreshed after the conversion committed");
    let s = contact_summary::Entity::find()
        .filter(contact_summary::Column::ContactId.eq(cnt))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the new contact has a summary");
    assert!(s.total_touchpoints == 1 && s.calculated_at >= converted_at);
    let s = lead_summary::Entity::find()
        .filter(lead_summary::Column::LeadId.eq(id(1)))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the lead has a summary");
    assert!(s.total_touchpoints == 1 && s.calculated_at >= converted_at);
}

#[tokio::test]
async fn a_failure_in_the_middle_of_a_conversion_leaves_every_table_as_before() {
    let app = TestApp::spawn().await;
    staff_and_channels(&app).await;
    insert(&app.db, vec![fixtures::campaign("CMP1")]).await;
    // The lead's phone links CNT_PHONE (phone outranks a channel identity), but its WeChat identity
    // already belongs to another contact: the identity copy — after the account, relation and
    // opportunity are written — conflicts.
    insert_contacts(
        &app,
        vec![contact_with("CNT_OTHER", None, None, None), contact_with("CNT_PHONE", None, Some("13800138000"), None)],
    )
    .await;
    insert(&app.db, vec![contact_identity("CCI_1", "CNT_OTHER", "CH1", "openid_1", 1)]).await;
    let mut l = qualified(1);
    l.mobile_phone = Some("13800138000".into());
    l.campaign_id = Some("CMP1".into());
    insert_leads(&app, vec![l]).await;
    insert(&app.db, vec![lead_identity("LCI_1", &id(1), "CH1", "openid_1", 5)]).await;
    let mut tp = fixtures::touchpoint("TP_1", 1);
    tp.lead_id = Some(id(1));
    insert(&app.db, vec![tp]).await;
    let before = snapshot(&app).await;

    let body = convert_err(&app, json!({ "leadId": id(1) })).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("CNT_OTHER") && message.contains("CH1"), "{message}");
    assert!(!message.contains("openid_1") && !message.contains("13800138000"), "{message}");
    assert_unchanged(&before, &snapshot(&app).await);
    // A dry run meets the same failure (it runs the same writes) and writes nothing either.
    let body = convert_err(&app, json!({ "leadId": id(1), "dryRun": true })).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert_unchanged(&before, &snapshot(&app).await);
}

#[tokio::test]
async fn a_lead_whose_channel_identity_belongs_to_a_contact_converts_into_that_contact() {
    let app = TestApp::spawn().await;
    staff_and_channels(&app).await;
    insert_contacts(&app, vec![contact_with("CNT_WX", None, None, None)]).await;
    insert(&app.db, vec![contact_identity("CCI_1", "CNT_WX", "CH1", "openid_1", 1)]).await;
    insert_leads(&app, vec![qualified(1)]).await;
    insert(&app.db, vec![lead_identity("LCI_1", &id(1), "CH1", "openid_1", 5)]).await;

    let r = convert(&app, json!({ "leadId": id(1), "doNotCreateOpportunity": true })).await;
    assert_eq!(r["contactId"], "CNT_WX", "{r}");
    assert_eq!(r["contactCreated"], false);
    let linked: Vec<&Value> = r["candidates"].as_array().unwrap().iter().filter(|c| c["verdict"] == "LINKED").collect();
    assert_eq!(linked.len(), 1, "{r}");
    assert_eq!(linked[0]["matchedKey"], "CHANNEL_IDENTITY");
    let held = contact_channel_identity::Entity::find()
        .filter(contact_channel_identity::Column::ChannelUserId.eq("openid_1"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(held.len(), 1, "the identity stays one row");
    assert_eq!(held[0].contact_id, "CNT_WX");
}

#[tokio::test]
async fn convert_leads_all_or_none_writes_nothing_when_one_lead_fails() {
    let app = TestApp::spawn().await;
    let mut new = fixtures::lead(2);
    new.lead_status = LeadStatus::New;
    insert_leads(&app, vec![qualified(1), new, qualified(3)]).await;
    let before = snapshot(&app).await;
    let inputs = json!([{ "leadId": id(1) }, { "leadId": id(2) }, { "leadId": id(3) }]);

    let body = app.gql(&convert_many_query(), json!({ "inputs": inputs })).await;
    assert_eq!(error_code(&body), "INVALID_TRANSITION", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().starts_with("inputs[1]:"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["index"], 1);
    assert_unchanged(&before, &snapshot(&app).await);
    let body = app.gql(&convert_many_query(), json!({ "inputs": inputs, "all": true })).await;
    assert_eq!(error_code(&body), "INVALID_TRANSITION", "{body}");
    assert_unchanged(&before, &snapshot(&app).await);

    // The same lead twice: the second conversion conflicts with the first, and neither is kept.
    let twice = json!([{ "leadId": id(1) }, { "leadId": id(1) }]);
    let body = app.gql(&convert_many_query(), json!({ "inputs": twice })).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert_unchanged(&before, &snapshot(&app).await);

    // All good: all converted in one go.
    let good = json!([{ "leadId": id(1) }, { "leadId": id(3), "dryRun": true }]);
    let items = app.data(&convert_many_query(), json!({ "inputs": good })).await["convertLeads"].clone();
    assert_eq!(items[0]["result"]["lead"]["leadStatus"], "CONVERTED");
    assert_eq!(items[1]["result"]["dryRun"], true);
    assert_eq!(stored_lead(&app, 1).await.lead_status, LeadStatus::Converted);
    assert_eq!(stored_lead(&app, 3).await.lead_status, LeadStatus::Qualified, "a dry-run item is rolled back alone");
}

#[tokio::test]
async fn convert_leads_without_all_or_none_converts_the_others_and_reports_the_bad_one() {
    let app = TestApp::spawn().await;
    let mut new = fixtures::lead(2);
    new.lead_status = LeadStatus::New;
    insert_leads(&app, vec![qualified(1), new, qualified(3)]).await;
    let inputs = json!([{ "leadId": id(1) }, { "leadId": id(2) }, { "leadId": id(3) }]);

    let items =
        app.data(&convert_many_query(), json!({ "inputs": inputs, "all": false })).await["convertLeads"].clone();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 3);
    for (i, item) in items.iter().enumerate() {
        assert_eq!((item["index"].as_u64(), item["leadId"].as_str()), (Some(i as u64), Some(id(i + 1).as_str())));
    }
    assert_eq!(
        (&items[1]["result"], &items[1]["error"]["code"]),
        (&Value::Null, &json!("INVALID_TRANSITION")),
        "{items:?}"
    );
    for ok in [&items[0], &items[2]] {
        assert_eq!((&ok["error"], &ok["result"]["lead"]["leadStatus"]), (&Value::Null, &json!("CONVERTED")));
    }
    assert_eq!(stored_lead(&app, 1).await.lead_status, LeadStatus::Converted);
    let untouched = stored_lead(&app, 2).await;
    assert_eq!((untouched.lead_status, untouched.converted_account_id), (LeadStatus::New, None));
    assert_eq!(stored_lead(&app, 3).await.lead_status, LeadStatus::Converted);
    assert_eq!(account::Entity::find().count(&app.db).await.unwrap(), 2);
}

#[tokio::test]
async fn more_than_a_hundred_inputs_are_bad_user_input() {
    let app = TestApp::spawn().await;
    insert_leads(&app, vec![qualified(1)]).await;
    let before = snapshot(&app).await;
    let inputs: Vec<Value> = (0..101).map(|_| json!({ "leadId": id(1) })).collect();
    for all in [true, false] {
        let body = app.gql(&convert_many_query(), json!({ "inputs": inputs, "all": all })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    assert_unchanged(&before, &snapshot(&app).await);
}

#[tokio::test]
async fn a_dangling_account_or_contact_id_is_bad_user_input_naming_the_field() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_X", "甲公司")]).await;
    insert_leads(&app, vec![qualified(1)]).await;
    let before = snapshot(&app).await;
    for (input, field) in [
        (json!({ "leadId": id(1), "accountId": "ACC_NOPE" }), "accountId"),
        (json!({ "leadId": id(1), "accountId": "ACC_X", "contactId": "CNT_NOPE" }), "contactId"),
    ] {
        let body = convert_err(&app, input).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().starts_with(field), "{body}");
    }
    assert_unchanged(&before, &snapshot(&app).await);
}

#[tokio::test]
async fn a_partner_cannot_convert_a_lead_of_another_channel_or_without_write() {
    let app = TestApp::spawn().await;
    staff_and_channels(&app).await;
    let mut l = qualified(1);
    l.channel_id = Some("CH1".into());
    insert_leads(&app, vec![l]).await;
    let before = snapshot(&app).await;
    let q = convert_query();
    let vars = json!({ "input": { "leadId": id(1) } });

    let partner = token(&[Scope::Read, Scope::Write], Some(&["CH2"]));
    let body = app.gql_as(&partner, &q, vars.clone()).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let reader = token(&[Scope::Read, Scope::Pii], None);
    let body = app.gql_as(&reader, &q, vars.clone()).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_unchanged(&before, &snapshot(&app).await);

    // The lead's own partner converts it.
    let own = token(&[Scope::Read, Scope::Write], Some(&["CH1"]));
    let r = app.data_as(&own, &q, vars).await;
    assert_eq!(r["convertLead"]["lead"]["leadStatus"], "CONVERTED");
}

#[tokio::test]
async fn of_two_concurrent_conversions_of_one_lead_exactly_one_wins() {
    let app = TestApp::spawn().await;
    insert_leads(&app, vec![qualified(1)]).await;
    let q = convert_query();
    let vars = json!({ "input": { "leadId": id(1) } });
    let (a, b) = tokio::join!(app.gql(&q, vars.clone()), app.gql(&q, vars.clone()));
    let won: Vec<&Value> = [&a, &b].into_iter().filter(|r| r.get("errors").is_none()).collect();
    assert_eq!(won.len(), 1, "{a}\n{b}");
    let lost = if a.get("errors").is_some() { &a } else { &b };
    assert_eq!(error_code(lost), "CONFLICT", "{lost}");
    assert_eq!(account::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(contact::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(opportunity::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn the_switchboard_cap_is_a_setting() {
    // CDP_IDENTITY_MAX_SHARED_KEY = 1: a phone held by a contact and by the lead (two people) is a
    // shared key, so the conversion links nothing and creates a new contact.
    let app = TestApp::spawn_with(|c| c.identity_max_shared_key = 1).await;
    insert_contacts(&app, vec![contact_with("CNT_A", None, Some("138 0013 8000"), None)]).await;
    let mut lead = qualified(1);
    lead.mobile_phone = Some("+86 13800138000".into());
    insert_leads(&app, vec![lead]).await;
    let r = convert(&app, json!({ "leadId": id(1) })).await;
    assert_eq!(r["contactCreated"], true, "{r}");
    assert_eq!(r["candidates"][0]["verdict"], "SHARED_KEY", "{r}");
}

/// Only a phone, for the identity resolver.
fn phone(raw: &str) -> identity::PersonKeys<'_> {
    identity::PersonKeys { phone: Some(raw), ..Default::default() }
}
