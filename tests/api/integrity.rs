//! Data integrity around merges and conversions (hardening issue, item 12): a merged record (a
//! tombstone) receives nothing new — an explicit reference to it is refused naming the record it
//! was merged into, identity resolution follows it to that record — and a converted lead, the
//! conversion trail, cannot be deleted. Every refusal also checks that nothing was written.

use entity::enums::LeadStatus;
use entity::{account, contact, lead, opportunity};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::fixtures::{self, insert, insert_sealed};
use crate::harness::{self, TestApp, assert_unchanged, error_code};

const CONVERT: &str = "mutation($i: ConvertLeadInput!) { convertLead(input: $i) {
    leadId accountId contactId opportunityId accountCreated contactCreated
    candidates { entityType id matchedKey verdict } } }";

async fn merge_accounts(app: &TestApp, survivor: &str, merged: &str) {
    let q = "mutation($s: ID!, $m: [ID!]!) { mergeAccounts(survivorId: $s, mergedIds: $m) { ledgerId } }";
    app.data(q, json!({ "s": survivor, "m": [merged] })).await;
}

async fn merge_contacts(app: &TestApp, survivor: &str, merged: &str) {
    let q = "mutation($s: ID!, $m: [ID!]!) { mergeContacts(survivorId: $s, mergedIds: $m) { ledgerId } }";
    app.data(q, json!({ "s": survivor, "m": [merged] })).await;
}

/// Every row of every table (a refused write leaves all of them as they were).
async fn snapshot(app: &TestApp) -> std::collections::BTreeMap<String, Vec<String>> {
    harness::snapshot(app, &[], |_, _| {}).await
}

/// Asserts a `BAD_USER_INPUT` whose message names the field and the record merged into.
fn assert_refused(body: &Value, field: &str, merged: &str) {
    assert_eq!(error_code(body), "BAD_USER_INPUT", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(&format!("{field}: ")) && message.contains(merged), "{message}");
}

/// A QUALIFIED lead (`LEAD_00000i`, company `公司i`).
fn qualified(i: usize) -> lead::Model {
    lead::Model { lead_status: LeadStatus::Qualified, is_qualified: true, ..fixtures::lead(i) }
}

/// Accounts `ACC_A` (甲公司) and `ACC_B` (乙公司), contacts `CNT_A` at `ACC_A` and `CNT_B` at
/// `ACC_B`, then `ACC_B` merged into `ACC_A` and `CNT_B` into `CNT_A`.
async fn merged_world(app: &TestApp) {
    insert(&app.db, vec![fixtures::account("ACC_A", "甲公司"), fixtures::account("ACC_B", "乙公司")]).await;
    insert(
        &app.db,
        vec![fixtures::contact("CNT_A", "张伟", Some("ACC_A")), fixtures::contact("CNT_B", "张伟", Some("ACC_B"))],
    )
    .await;
    merge_accounts(app, "ACC_A", "ACC_B").await;
    merge_contacts(app, "CNT_A", "CNT_B").await;
}

#[tokio::test]
async fn converting_into_a_merged_account_or_contact_is_refused_naming_the_survivor() {
    let app = TestApp::spawn().await;
    merged_world(&app).await;
    insert(&app.db, vec![qualified(1)]).await;
    let before = snapshot(&app).await;
    let body = app.gql(CONVERT, json!({ "i": { "leadId": "LEAD_000001", "accountId": "ACC_B" } })).await;
    assert_refused(&body, "accountId", "account ACC_B was merged into ACC_A");
    let input = json!({ "i": { "leadId": "LEAD_000001", "accountId": "ACC_A", "contactId": "CNT_B" } });
    assert_refused(&app.gql(CONVERT, input).await, "contactId", "contact CNT_B was merged into CNT_A");
    // Not even a dry run gets past the check.
    let input = json!({ "i": { "leadId": "LEAD_000001", "accountId": "ACC_B", "dryRun": true } });
    assert_refused(&app.gql(CONVERT, input).await, "accountId", "ACC_A");
    assert_unchanged(&before, &snapshot(&app).await);
}

#[tokio::test]
async fn a_lead_matching_merged_records_converts_into_their_survivors() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_A", "甲公司"), fixtures::account("ACC_B", "公司1")]).await;
    let mut a = fixtures::contact("CNT_A", "张伟", Some("ACC_A"));
    a.mobile_phone = Some("13800138001".into());
    let mut b = fixtures::contact("CNT_B", "张伟", Some("ACC_B"));
    b.mobile_phone = Some("13800138002".into());
    b.wechat_id = Some("wx_zhangwei".into());
    insert_sealed(&app.db, &app.pii(), vec![a, b]).await;
    // The survivors keep their own phone; the tombstone keeps its phone, its WeChat id (copied to
    // CNT_A, where it was empty) and its company name.
    merge_accounts(&app, "ACC_A", "ACC_B").await;
    merge_contacts(&app, "CNT_A", "CNT_B").await;
    // Lead 1 names the merged company and carries the merged contact's phone.
    let mut by_phone = qualified(1);
    by_phone.mobile_phone = Some("138 0013 8002".into());
    // Lead 2's WeChat id is on both the survivor and the tombstone: one person, not an ambiguity.
    let mut by_wechat = qualified(2);
    by_wechat.company_name = Some("公司1".into());
    by_wechat.wechat_id = Some("wx_zhangwei".into());
    insert_sealed(&app.db, &app.pii(), vec![by_phone, by_wechat]).await;
    for lead in ["LEAD_000001", "LEAD_000002"] {
        let got = app.data(CONVERT, json!({ "i": { "leadId": lead } })).await["convertLead"].clone();
        assert_eq!((got["accountId"].as_str(), got["contactId"].as_str()), (Some("ACC_A"), Some("CNT_A")), "{got}");
        assert_eq!((got["accountCreated"].as_bool(), got["contactCreated"].as_bool()), (Some(false), Some(false)));
        let candidates = got["candidates"].as_array().unwrap();
        assert!(candidates.iter().all(|c| c["verdict"] == "LINKED"), "{got}");
        assert!(candidates.iter().all(|c| c["id"] != "ACC_B" && c["id"] != "CNT_B"), "{got}");
    }
    assert_eq!(account::Entity::find().all(&app.db).await.unwrap().len(), 2, "no account was created");
    assert_eq!(contact::Entity::find().all(&app.db).await.unwrap().len(), 2, "no contact was created");
    let opportunities = opportunity::Entity::find().all(&app.db).await.unwrap();
    assert!(opportunities.iter().all(|o| o.account_id == "ACC_A" && o.primary_contact_id.as_deref() == Some("CNT_A")));
    let b = contact::Entity::find_by_id("CNT_B").one(&app.db).await.unwrap().unwrap();
    assert_eq!(b.merged_into_id.as_deref(), Some("CNT_A"), "the tombstone stays a tombstone");
}

#[tokio::test]
async fn writes_naming_a_merged_account_or_contact_are_refused_and_write_nothing() {
    let app = TestApp::spawn().await;
    merged_world(&app).await;
    insert(&app.db, vec![fixtures::tag("TAG_1", "VIP")]).await;
    let before = snapshot(&app).await;
    let contact =
        |account: &str| json!({ "contactName": "李娜", "contactStatus": "ACTIVE", "primaryAccountId": account });
    let refused = [
        (
            "mutation($i: CreateContactInput!) { createContact(input: $i) { id } }",
            json!({ "i": contact("ACC_B") }),
            "primaryAccountId",
            "account ACC_B was merged into ACC_A",
        ),
        (
            "mutation($i: [CreateContactInput!]!) { createContacts(inputs: $i) { ok } }",
            json!({ "i": [contact("ACC_A"), contact("ACC_B")] }),
            "[1] primaryAccountId",
            "ACC_A",
        ),
        (
            "mutation($i: UpdateContactInput!) { updateContact(id: \"CNT_A\", input: $i) { id } }",
            json!({ "i": { "primaryAccountId": "ACC_B" } }),
            "primaryAccountId",
            "ACC_A",
        ),
        (
            "mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { id } }",
            json!({ "i": { "opportunityName": "商机", "accountId": "ACC_A", "primaryContactId": "CNT_B" } }),
            "primaryContactId",
            "contact CNT_B was merged into CNT_A",
        ),
        (
            "mutation($i: CreateAccountContactRelationInput!) { createAccountContactRelation(input: $i) { id } }",
            json!({ "i": { "accountId": "ACC_B", "contactId": "CNT_A" } }),
            "accountId",
            "ACC_A",
        ),
        (
            "mutation($e: [EventInput!]!) { trackEvents(events: $e) { count } }",
            json!({ "e": [{ "eventName": "view", "eventType": "PAGE_VIEW", "eventTime": "2026-11-01T08:00:00Z", "accountId": "ACC_B" }] }),
            "events[0].accountId",
            "ACC_A",
        ),
        (
            "mutation($ids: [ID!]!) { tagEntities(tagId: \"TAG_1\", entityType: CONTACT, entityIds: $ids) { changed } }",
            json!({ "ids": ["CNT_A", "CNT_B"] }),
            "entityIds[1]",
            "CNT_A",
        ),
    ];
    for (query, variables, field, merged) in &refused {
        assert_refused(&app.gql(query, variables.clone()).await, field, merged);
    }
    assert_unchanged(&before, &snapshot(&app).await);
    // The survivor takes the same writes.
    let q = "mutation($i: CreateContactInput!) { createContact(input: $i) { primaryAccountId } }";
    assert_eq!(app.data(q, json!({ "i": contact("ACC_A") })).await["createContact"]["primaryAccountId"], "ACC_A");
    // When the survivor is merged in turn, the refusal names the live record at the end of the chain.
    insert(&app.db, vec![fixtures::account("ACC_C", "丙公司")]).await;
    merge_accounts(&app, "ACC_C", "ACC_A").await;
    let (query, variables, field, _) = &refused[0];
    assert_refused(&app.gql(query, variables.clone()).await, field, "account ACC_B was merged into ACC_C");
}

#[tokio::test]
async fn a_converted_lead_cannot_be_deleted_alone_or_in_bulk() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![qualified(1), fixtures::lead(2)]).await;
    let converted = app.data(CONVERT, json!({ "i": { "leadId": "LEAD_000001" } })).await["convertLead"].clone();
    let before = snapshot(&app).await;
    let body = app.gql("mutation { deleteLead(id: \"LEAD_000001\") }", json!({})).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("conversion trail"), "{body}");
    let bulk = "mutation($all: Boolean) { deleteLeads(ids: [\"LEAD_000002\", \"LEAD_000001\"], allOrNone: $all) {
        ok id error { code message } } }";
    let body = app.gql(bulk, json!({ "all": true })).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().starts_with("[1] "), "{body}");
    assert_unchanged(&before, &snapshot(&app).await);
    // Each on its own: the open lead goes, the converted one stays.
    let items = app.data(bulk, json!({ "all": false })).await["deleteLeads"].clone();
    assert_eq!((items[0]["ok"].as_bool(), items[1]["ok"].as_bool()), (Some(true), Some(false)), "{items}");
    assert_eq!(items[1]["error"]["code"], "CONFLICT");
    assert!(lead::Entity::find_by_id("LEAD_000002").one(&app.db).await.unwrap().is_none());
    let kept = lead::Entity::find_by_id("LEAD_000001").one(&app.db).await.unwrap().expect("the converted lead");
    assert_eq!(kept.converted_opportunity_id.as_deref(), converted["opportunityId"].as_str());
    let opportunity_id = converted["opportunityId"].as_str().unwrap();
    let opp = opportunity::Entity::find_by_id(opportunity_id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(opp.lead_id.as_deref(), Some("LEAD_000001"), "the conversion trail is intact");
}
