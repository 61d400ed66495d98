//! Merging contacts and accounts through the API (docs/design.md §6, issue 4 item 6): fill-empty-only
//! (PII re-sealed for the survivor), references re-pointed, tombstones, link rows the survivor
//! already has left in place, merge → unmerge restoring every row, a failure half-way writing
//! nothing, bad input and scopes. Every error path also checks that no table changed.

use std::collections::BTreeMap;

use cdp360::auth::Scope;
use cdp360::repo::summary;
use cdp360::services::pii;
use entity::enums::{AccountRelationType, EntityType, LeadStatus, OpportunityStage};
use entity::{
    account, account_relation, contact, contact_channel_identity, event, lead, opportunity, tag_relation, touchpoint,
};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::{Value, json};

use crate::fixtures::{self, at, insert, t0};
use crate::harness::{self, TestApp, assert_unchanged, error_code, token};

const MERGE_CONTACTS: &str = "mutation($s: ID!, $m: [ID!]!) { mergeContacts(survivorId: $s, mergedIds: $m) {
    ledgerId mergedIds filledFields
    repointed { table column rows } leftOnTombstones { table column rows }
    survivor { contactId jobTitle department mobilePhone email wechatId primaryAccountId mergedIntoId } } }";

const MERGE_ACCOUNTS: &str = "mutation($s: ID!, $m: [ID!]!) { mergeAccounts(survivorId: $s, mergedIds: $m) {
    ledgerId mergedIds filledFields
    repointed { table column rows } leftOnTombstones { table column rows }
    survivor { accountId unifiedSocialCreditCode city mergedIntoId } } }";

const UNMERGE_CONTACTS: &str = "mutation($l: ID!) { unmergeContacts(ledgerId: $l) {
    ledgerId survivorId restoredIds rowsRestored rowsChangedSince { table column rows } } }";

const UNMERGE_ACCOUNTS: &str = "mutation($l: ID!) { unmergeAccounts(ledgerId: $l) {
    ledgerId survivorId restoredIds rowsRestored rowsChangedSince { table column rows } } }";

async fn merge_contacts(app: &TestApp, survivor: &str, merged: &[&str]) -> Value {
    app.data(MERGE_CONTACTS, json!({ "s": survivor, "m": merged })).await["mergeContacts"].clone()
}

/// Every row of every table but the ledger and the outbox (the refreshes announce themselves). The
/// summaries' own timestamps (`calculated_at`, `updated_at`: when a refresh ran) are left out —
/// merge and unmerge refresh the summaries, so their figures must come back, not the time they
/// were computed.
async fn snapshot(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    harness::snapshot(app, &["merge_ledger", "outbox_event"], |table, row| {
        if table.ends_with("_summary")
            && let Some(obj) = row.as_object_mut()
        {
            obj.remove("calculated_at");
            obj.remove("updated_at");
        }
    })
    .await
}

/// The whole database including the ledger (for "nothing was written at all").
async fn ledger_rows(app: &TestApp) -> usize {
    entity::merge_ledger::Entity::find().all(&app.db).await.unwrap().len()
}

async fn insert_contacts(app: &TestApp, contacts: Vec<contact::Model>) {
    fixtures::insert_sealed(&app.db, &app.pii(), contacts).await;
}

fn event_of(id: &str, contact: Option<&str>, account: Option<&str>, minutes: i64) -> event::Model {
    event::Model {
        contact_id: contact.map(Into::into),
        account_id: account.map(Into::into),
        ..fixtures::event(id, minutes)
    }
}

fn touchpoint_of(id: &str, contact: Option<&str>, account: Option<&str>, minutes: i64) -> touchpoint::Model {
    let mut t = fixtures::touchpoint(id, minutes);
    t.contact_id = contact.map(Into::into);
    t.account_id = account.map(Into::into);
    t
}

fn identity(id: &str, contact: &str, user: &str) -> contact_channel_identity::Model {
    contact_channel_identity::Model {
        identity_id: id.into(),
        contact_id: contact.into(),
        channel_id: "CH1".into(),
        channel_user_id: user.into(),
        identity_type: None,
        is_primary: true,
        is_verified: false,
        first_seen_at: Some(t0()),
        last_seen_at: Some(t0()),
        additional_info: None,
    }
}

fn relation(id: &str, parent: &str, child: &str) -> account_relation::Model {
    account_relation::Model {
        relation_id: id.into(),
        parent_account_id: parent.into(),
        child_account_id: child.into(),
        relation_type: AccountRelationType::Subsidiary,
        created_at: t0(),
    }
}

/// Survivor `CNT_S` (job title, e-mail, empty department) and duplicates `CNT_M1` (job title,
/// phone, e-mail, department) and `CNT_M2` (department, WeChat id), with activity on each: a
/// touchpoint, an event, a channel identity, an opportunity, a converted lead, tags (`TAG_1` on the
/// survivor and on `CNT_M1`, `TAG_2` on `CNT_M1`), account links (`ACC_1` on all three).
async fn contact_world(app: &TestApp) {
    insert(&app.db, vec![fixtures::user("U1")]).await;
    insert(&app.db, vec![fixtures::channel("CH1", entity::enums::ChannelType::Wechat)]).await;
    insert(&app.db, vec![fixtures::account("ACC_1", "公司一")]).await;
    let mut s = fixtures::contact("CNT_S", "张伟", Some("ACC_1"));
    s.job_title = Some("总经理".into());
    s.email = Some("zhang@example.com".into());
    s.department = Some(String::new());
    let mut m1 = fixtures::contact("CNT_M1", "张伟", None);
    m1.job_title = Some("CTO".into());
    m1.mobile_phone = Some("13800138001".into());
    m1.email = Some("zw@example.com".into());
    m1.department = Some("销售部".into());
    m1.updated_at = at(5);
    let mut m2 = fixtures::contact("CNT_M2", "张 伟", Some("ACC_1"));
    m2.department = Some("市场部".into());
    m2.wechat_id = Some("wx_zhangwei".into());
    insert_contacts(app, vec![s, m1, m2]).await;
    insert(
        &app.db,
        vec![
            touchpoint_of("TP_1", Some("CNT_M1"), None, 1),
            touchpoint_of("TP_2", Some("CNT_M2"), None, 2),
            touchpoint_of("TP_3", Some("CNT_S"), None, 3),
        ],
    )
    .await;
    insert(&app.db, vec![event_of("EV_1", Some("CNT_M1"), None, 1), event_of("EV_2", Some("CNT_M2"), None, 2)]).await;
    insert(&app.db, vec![identity("CCI_1", "CNT_M1", "openid-1"), identity("CCI_2", "CNT_S", "openid-2")]).await;
    let mut opp = fixtures::opportunity("OPP_1", "ACC_1", OpportunityStage::Qualification);
    opp.primary_contact_id = Some("CNT_M2".into());
    insert(&app.db, vec![opp]).await;
    let mut l = fixtures::lead(1);
    l.lead_status = LeadStatus::Converted;
    l.converted_contact_id = Some("CNT_M1".into());
    l.converted_account_id = Some("ACC_1".into());
    insert(&app.db, vec![l]).await;
    insert(&app.db, vec![fixtures::tag("TAG_1", "VIP"), fixtures::tag("TAG_2", "决策人")]).await;
    insert(
        &app.db,
        vec![
            fixtures::tagging("TR_1", "TAG_1", EntityType::Contact, "CNT_S"),
            fixtures::tagging("TR_2", "TAG_1", EntityType::Contact, "CNT_M1"),
            fixtures::tagging("TR_3", "TAG_2", EntityType::Contact, "CNT_M1"),
        ],
    )
    .await;
    insert(&app.db, vec![fixtures::acr("ACR_S", "ACC_1", "CNT_S"), fixtures::acr("ACR_1", "ACC_1", "CNT_M1")]).await;
    // As if the scheduled refresh had run: every record has its summary row.
    summary::refresh_all(&app.db).await.unwrap();
}

fn count_of(result: &Value, key: &str, table: &str, column: &str) -> i64 {
    result[key]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["table"] == table && c["column"] == column)
        .map_or(0, |c| c["rows"].as_i64().unwrap())
}

#[tokio::test]
async fn merging_two_contacts_fills_only_the_survivors_empty_fields_and_repoints_their_activity() {
    let app = TestApp::spawn().await;
    contact_world(&app).await;

    let r = merge_contacts(&app, "CNT_S", &["CNT_M1", "CNT_M2"]).await;
    let s = &r["survivor"];
    // Non-empty fields stay; empty ones take the first merged record's value (M1 before M2).
    assert_eq!(s["jobTitle"], "总经理");
    assert_eq!(s["email"], "zhang@example.com");
    assert_eq!(s["department"], "销售部");
    assert_eq!(s["mobilePhone"], "13800138001", "PII re-sealed for the survivor and readable with pii");
    assert_eq!(s["wechatId"], "wx_zhangwei");
    assert_eq!(s["mergedIntoId"], Value::Null);
    let mut filled: Vec<&str> = r["filledFields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    filled.sort_unstable();
    assert_eq!(filled, vec!["department", "mobilePhone", "wechatId"]);
    assert_eq!(r["mergedIds"], json!(["CNT_M1", "CNT_M2"]));

    for (table, column, rows) in [
        ("touchpoint", "contact_id", 2),
        ("event", "contact_id", 2),
        ("contact_channel_identity", "contact_id", 1),
        ("opportunity", "primary_contact_id", 1),
        ("lead", "converted_contact_id", 1),
        ("tag_relation", "entity_id", 1),
    ] {
        assert_eq!(count_of(&r, "repointed", table, column), rows, "{table}.{column} in {r}");
    }
    assert_eq!(count_of(&r, "leftOnTombstones", "tag_relation", "entity_id"), 1);
    assert_eq!(count_of(&r, "leftOnTombstones", "account_contact_relation", "contact_id"), 1);

    let tp = touchpoint::Entity::find_by_id("TP_2").one(&app.db).await.unwrap().unwrap();
    assert_eq!(tp.contact_id.as_deref(), Some("CNT_S"));
    let ev = event::Entity::find_by_id("EV_1").one(&app.db).await.unwrap().unwrap();
    assert_eq!(ev.contact_id.as_deref(), Some("CNT_S"));
    let cci = contact_channel_identity::Entity::find_by_id("CCI_1").one(&app.db).await.unwrap().unwrap();
    assert_eq!(cci.contact_id, "CNT_S");
    let opp = opportunity::Entity::find_by_id("OPP_1").one(&app.db).await.unwrap().unwrap();
    assert_eq!(opp.primary_contact_id.as_deref(), Some("CNT_S"));
    let l = lead::Entity::find_by_id("LEAD_000001").one(&app.db).await.unwrap().unwrap();
    assert_eq!(l.converted_contact_id.as_deref(), Some("CNT_S"));
    let tr = tag_relation::Entity::find_by_id("TR_3").one(&app.db).await.unwrap().unwrap();
    assert_eq!(tr.entity_id, "CNT_S");

    // The tombstones: marked, readable and filterable; the phone moved (it is unique), the
    // survivor's own e-mail kept the tombstone's.
    let q = "{ contacts(filter: { mergedIntoId: { eq: \"CNT_S\" } }) { nodes { contactId mergedIntoId mobilePhone email } } }";
    let nodes = app.data(q, json!({})).await["contacts"]["nodes"].clone();
    assert_eq!(
        nodes,
        json!([
            { "contactId": "CNT_M1", "mergedIntoId": "CNT_S", "mobilePhone": null, "email": "zw@example.com" },
            { "contactId": "CNT_M2", "mergedIntoId": "CNT_S", "mobilePhone": null, "email": null },
        ])
    );
    let m1 = contact::Entity::find_by_id("CNT_M1").one(&app.db).await.unwrap().unwrap();
    assert_eq!(m1.mobile_phone_bidx, None);
    let ledger = entity::merge_ledger::Entity::find_by_id(r["ledgerId"].as_str().unwrap()).one(&app.db).await;
    let ledger = ledger.unwrap().unwrap();
    assert_eq!(ledger.survivor_id, "CNT_S");
    assert_eq!(ledger.merged_ids, json!(["CNT_M1", "CNT_M2"]));
    assert_eq!(ledger.unmerged_at, None);
}

#[tokio::test]
async fn merge_then_unmerge_of_contacts_returns_every_row_of_every_table_to_its_prior_value() {
    let app = TestApp::spawn().await;
    contact_world(&app).await;
    let before = snapshot(&app).await;

    let r = merge_contacts(&app, "CNT_S", &["CNT_M1", "CNT_M2"]).await;
    assert_ne!(snapshot(&app).await, before, "the merge changed something");
    let ledger = r["ledgerId"].as_str().unwrap();
    let u = app.data(UNMERGE_CONTACTS, json!({ "l": ledger })).await["unmergeContacts"].clone();
    assert_eq!(u["restoredIds"], json!(["CNT_M1", "CNT_M2"]));
    assert_eq!(u["rowsRestored"], 8);
    assert_eq!(u["rowsChangedSince"], json!([]));

    assert_unchanged(&before, &snapshot(&app).await);
    let row = entity::merge_ledger::Entity::find_by_id(ledger).one(&app.db).await.unwrap().unwrap();
    assert!(row.unmerged_at.is_some());
}

#[tokio::test]
async fn a_link_the_survivor_already_has_stays_on_the_tombstone_and_comes_back_unchanged() {
    let app = TestApp::spawn().await;
    contact_world(&app).await;
    let tr2_before = tag_relation::Entity::find_by_id("TR_2").one(&app.db).await.unwrap().unwrap();

    let r = merge_contacts(&app, "CNT_S", &["CNT_M1"]).await;
    // The survivor has TAG_1 already: M1's TAG_1 row is neither moved nor deleted.
    let tr2 = tag_relation::Entity::find_by_id("TR_2").one(&app.db).await.unwrap().unwrap();
    assert_eq!(tr2, tr2_before);
    let tags = app.data("{ contact(id: \"CNT_S\") { tags { nodes { tagId } } } }", json!({})).await;
    let mut ids: Vec<&str> =
        tags["contact"]["tags"]["nodes"].as_array().unwrap().iter().map(|t| t["tagId"].as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec!["TAG_1", "TAG_2"]);

    app.data(UNMERGE_CONTACTS, json!({ "l": r["ledgerId"] })).await;
    let tr2 = tag_relation::Entity::find_by_id("TR_2").one(&app.db).await.unwrap().unwrap();
    assert_eq!(tr2, tr2_before);
    let tr3 = tag_relation::Entity::find_by_id("TR_3").one(&app.db).await.unwrap().unwrap();
    assert_eq!(tr3.entity_id, "CNT_M1");
}

#[tokio::test]
async fn merge_then_unmerge_of_accounts_returns_every_row_of_every_table_to_its_prior_value() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::user("U1")]).await;
    let mut s = fixtures::account("ACC_S", "华为技术有限公司");
    s.city = Some("深圳".into());
    let mut m = fixtures::account("ACC_M", "华为技术");
    m.unified_social_credit_code = Some("914403001922038216".into());
    m.city = Some("东莞".into());
    m.province = Some("广东".into());
    m.updated_at = at(7);
    insert(&app.db, vec![s, m, fixtures::account("ACC_X", "子公司")]).await;
    insert_contacts(
        &app,
        vec![fixtures::contact("CNT_1", "李娜", Some("ACC_M")), fixtures::contact("CNT_2", "王芳", Some("ACC_S"))],
    )
    .await;
    insert(&app.db, vec![fixtures::acr("ACR_1", "ACC_M", "CNT_1"), fixtures::acr("ACR_2", "ACC_M", "CNT_2")]).await;
    insert(&app.db, vec![fixtures::acr("ACR_3", "ACC_S", "CNT_2")]).await;
    insert(&app.db, vec![fixtures::opportunity("OPP_1", "ACC_M", OpportunityStage::Proposal)]).await;
    insert(&app.db, vec![touchpoint_of("TP_1", None, Some("ACC_M"), 1)]).await;
    insert(&app.db, vec![event_of("EV_1", None, Some("ACC_M"), 1)]).await;
    insert(
        &app.db,
        vec![
            relation("AR_1", "ACC_M", "ACC_X"),
            relation("AR_2", "ACC_S", "ACC_M"),
            relation("AR_3", "ACC_X", "ACC_M"),
        ],
    )
    .await;
    insert(&app.db, vec![fixtures::tag("TAG_1", "VIP")]).await;
    insert(&app.db, vec![fixtures::tagging("TR_1", "TAG_1", EntityType::Account, "ACC_M")]).await;
    summary::refresh_all(&app.db).await.unwrap();
    let before = snapshot(&app).await;

    let r = app.data(MERGE_ACCOUNTS, json!({ "s": "ACC_S", "m": ["ACC_M"] })).await["mergeAccounts"].clone();
    let s = &r["survivor"];
    assert_eq!(s["city"], "深圳", "never overwritten");
    assert_eq!(s["unifiedSocialCreditCode"], "914403001922038216", "moved: it is unique");
    for (table, column, rows) in [
        ("contact", "primary_account_id", 1),
        ("account_contact_relation", "account_id", 1),
        ("opportunity", "account_id", 1),
        ("touchpoint", "account_id", 1),
        ("event", "account_id", 1),
        ("account_relation", "parent_account_id", 1),
        ("account_relation", "child_account_id", 1),
        ("tag_relation", "entity_id", 1),
    ] {
        assert_eq!(count_of(&r, "repointed", table, column), rows, "{table}.{column} in {r}");
    }
    // ACR_2 would duplicate ACR_3; AR_2 would make ACC_S its own child.
    assert_eq!(count_of(&r, "leftOnTombstones", "account_contact_relation", "account_id"), 1);
    assert_eq!(count_of(&r, "leftOnTombstones", "account_relation", "child_account_id"), 1);
    let m = account::Entity::find_by_id("ACC_M").one(&app.db).await.unwrap().unwrap();
    assert_eq!(m.merged_into_id.as_deref(), Some("ACC_S"));
    assert_eq!(m.unified_social_credit_code, None);

    app.data(UNMERGE_ACCOUNTS, json!({ "l": r["ledgerId"] })).await;
    assert_unchanged(&before, &snapshot(&app).await);
}

#[tokio::test]
async fn a_failure_in_the_middle_of_a_merge_leaves_every_table_exactly_as_before() {
    let app = TestApp::spawn().await;
    contact_world(&app).await;
    // A realistic late failure: CNT_M2's phone ciphertext was copied by hand from another row
    // (ciphertexts are bound to their row id, so it no longer decrypts). The merge re-points
    // M2's touchpoint, event and opportunity first and opens the phone only when it fills the
    // survivor's empty phone — so the failure comes after writes, which must all roll back.
    let moved = app.pii().seal("contact", pii::MOBILE_PHONE, "CNT_ELSEWHERE", "13900139002").unwrap();
    app.db
        .execute_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "UPDATE contact SET mobile_phone = $1, mobile_phone_bidx = $2 WHERE contact_id = 'CNT_M2'",
            [moved.ciphertext.into(), moved.bidx.into()],
        ))
        .await
        .unwrap();
    let before = snapshot(&app).await;

    // M2 first: its phone is the one the survivor would take.
    let body = app.gql(MERGE_CONTACTS, json!({ "s": "CNT_S", "m": ["CNT_M2", "CNT_M1"] })).await;
    assert_eq!(error_code(&body), "INTERNAL", "{body}");
    assert_unchanged(&before, &snapshot(&app).await);
    assert_eq!(ledger_rows(&app).await, 0);
}

#[tokio::test]
async fn bad_merge_and_unmerge_requests_are_refused_with_their_code_and_write_nothing() {
    let app = TestApp::spawn().await;
    contact_world(&app).await;
    let before = snapshot(&app).await;
    let refused = |s: &'static str, m: Vec<&'static str>| json!({ "s": s, "m": m });
    for (vars, code, field) in [
        (refused("CNT_S", vec!["CNT_M1", "CNT_S"]), "BAD_USER_INPUT", "mergedIds[1]"),
        (refused("CNT_S", vec!["CNT_M1", "CNT_M1"]), "BAD_USER_INPUT", "mergedIds[1]"),
        (refused("CNT_S", vec![]), "BAD_USER_INPUT", "mergedIds"),
        (refused("CNT_S", vec!["CNT_M1", "CNT_NOPE"]), "BAD_USER_INPUT", "mergedIds[1]"),
        (refused("CNT_NOPE", vec!["CNT_M1"]), "BAD_USER_INPUT", "survivorId"),
    ] {
        let body = app.gql(MERGE_CONTACTS, vars.clone()).await;
        assert_eq!(error_code(&body), code, "{vars}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().starts_with(field), "{body}");
    }
    // An account id is no contact.
    let body = app.gql(MERGE_CONTACTS, refused("CNT_S", vec!["ACC_1"])).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_unchanged(&before, &snapshot(&app).await);
    assert_eq!(ledger_rows(&app).await, 0);

    // Tombstones can be neither survivor nor merged again.
    let ledger = merge_contacts(&app, "CNT_S", &["CNT_M2"]).await["ledgerId"].clone();
    let merged = snapshot(&app).await;
    for vars in [refused("CNT_M2", vec!["CNT_M1"]), refused("CNT_M1", vec!["CNT_M2"])] {
        let body = app.gql(MERGE_CONTACTS, vars.clone()).await;
        assert_eq!(error_code(&body), "CONFLICT", "{vars}: {body}");
    }
    let body = app.gql(UNMERGE_CONTACTS, json!({ "l": "MRG_NOPE" })).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let body = app.gql(UNMERGE_ACCOUNTS, json!({ "l": ledger })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_unchanged(&merged, &snapshot(&app).await);
    assert_eq!(ledger_rows(&app).await, 1);

    // Undone once; a second time is CONFLICT and changes nothing.
    app.data(UNMERGE_CONTACTS, json!({ "l": ledger })).await;
    let undone = snapshot(&app).await;
    assert_unchanged(&before, &undone);
    let body = app.gql(UNMERGE_CONTACTS, json!({ "l": ledger })).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert_unchanged(&undone, &snapshot(&app).await);
}

#[tokio::test]
async fn merging_without_the_write_scope_is_forbidden() {
    let app = TestApp::spawn().await;
    contact_world(&app).await;
    let before = snapshot(&app).await;
    let reader = token(&[Scope::Read, Scope::Pii], None);
    let body = app.gql_as(&reader, MERGE_CONTACTS, json!({ "s": "CNT_S", "m": ["CNT_M1"] })).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = app.gql_as(&reader, UNMERGE_CONTACTS, json!({ "l": "MRG_X" })).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_unchanged(&before, &snapshot(&app).await);
    assert_eq!(ledger_rows(&app).await, 0);
}
