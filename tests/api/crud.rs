//! The generic mutations (`createX`, `updateX`, `deleteX` and their bulk forms): validation that
//! names the field and writes nothing, server-owned columns, PII sealing, and bulk semantics.

use cdp360::auth::Scope;
use entity::enums::{ChannelType, LeadStatus};
use entity::{account, contact, lead, opportunity, product};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, error_code, token};

const CREATE_ACCOUNT: &str = "mutation($i: CreateAccountInput!) { createAccount(input: $i) {
    id accountName unifiedSocialCreditCode annualRevenue companyWebsite createdAt updatedAt } }";
const UPDATE_ACCOUNT: &str = "mutation($id: ID!, $i: UpdateAccountInput!) { updateAccount(id: $id, input: $i) {
    id accountName companyWebsite city createdAt updatedAt } }";

fn account_input(patch: Value) -> Value {
    let mut i = json!({
        "accountName": "华为技术有限公司",
        "accountType": "CUSTOMER",
        "accountStatus": "ACTIVE",
        "unifiedSocialCreditCode": "914403001922038216",
        "annualRevenue": "1000000.50",
        "companyWebsite": "https://www.huawei.com",
    });
    for (k, v) in patch.as_object().unwrap() {
        i[k] = v.clone();
    }
    json!({ "i": i })
}

async fn accounts(app: &TestApp) -> u64 {
    account::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn create_sets_the_id_and_times_and_update_changes_only_what_it_names() {
    let app = TestApp::spawn().await;
    let created =
        app.data(CREATE_ACCOUNT, account_input(json!({ "unifiedSocialCreditCode": "914403001922038216" }))).await;
    let a = &created["createAccount"];
    let id = a["id"].as_str().unwrap();
    assert!(id.starts_with("ACC_") && id.len() == 30, "{id}");
    assert_eq!(a["annualRevenue"], "1000000.50");
    assert_eq!(a["createdAt"], a["updatedAt"]);
    // Absent fields stay, values change, null clears a nullable field.
    let updated = app.data(UPDATE_ACCOUNT, json!({ "id": id, "i": { "city": "深圳", "companyWebsite": null } })).await;
    let u = &updated["updateAccount"];
    assert_eq!(
        (u["accountName"].clone(), u["city"].clone(), u["companyWebsite"].clone()),
        (json!("华为技术有限公司"), json!("深圳"), Value::Null)
    );
    assert_eq!(u["createdAt"], a["createdAt"]);
    assert_ne!(u["updatedAt"], a["updatedAt"]);
    // A required field cannot be cleared; a client-supplied id (imports) is kept.
    let body = app.gql(UPDATE_ACCOUNT, json!({ "id": id, "i": { "accountName": null } })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("accountName cannot be null"));
    let imported =
        app.data(CREATE_ACCOUNT, account_input(json!({ "id": "ACC_IMPORT_1", "unifiedSocialCreditCode": null }))).await;
    assert_eq!(imported["createAccount"]["id"], "ACC_IMPORT_1");
    let missing = app.gql(UPDATE_ACCOUNT, json!({ "id": "ACC_404", "i": { "city": "北京" } })).await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
}

#[tokio::test]
async fn invalid_input_is_refused_naming_the_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    for (patch, field) in [
        (json!({ "unifiedSocialCreditCode": "914403001922038217" }), "unifiedSocialCreditCode"),
        (json!({ "unifiedSocialCreditCode": "91440300192203821" }), "unifiedSocialCreditCode"),
        (json!({ "accountName": "长".repeat(201) }), "accountName"),
        (json!({ "accountName": "   " }), "accountName"),
        (json!({ "annualRevenue": "-1.00" }), "annualRevenue"),
        (json!({ "annualRevenue": "1.001" }), "annualRevenue"),
        (json!({ "employeeCount": -5 }), "employeeCount"),
        (json!({ "companyWebsite": "ftp://huawei.com" }), "companyWebsite"),
        (json!({ "industryId": "IND_404" }), "industryId"),
        (json!({ "ownerUserId": "USR_404" }), "ownerUserId"),
        (json!({ "id": "bad id" }), "id"),
        (json!({ "accountType": null }), "accountType"),
    ] {
        let body = app.gql(CREATE_ACCOUNT, account_input(patch.clone())).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{patch}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(field), "{patch}: {message}");
        assert_eq!(accounts(&app).await, 0, "nothing written for {patch}");
    }
    let contact = "mutation($i: CreateContactInput!) { createContact(input: $i) { id } }";
    for (i, field) in [
        (json!({ "contactName": "张伟", "contactStatus": "ACTIVE", "mobilePhone": "12345" }), "mobilePhone"),
        (json!({ "contactName": "张伟", "contactStatus": "ACTIVE", "email": "zhang@" }), "email"),
    ] {
        let body = app.gql(contact, json!({ "i": i })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(field), "{body}");
        assert!(!body.to_string().contains("12345"), "the value is not echoed");
    }
    assert_eq!(contact::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn unique_keys_conflict_naming_the_field_including_a_phone_in_another_spelling() {
    let app = TestApp::spawn().await;
    let q = "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }";
    let p = json!({ "i": { "productName": "CDP", "productCode": "CDP-1", "productStatus": "ACTIVE" } });
    app.data(q, p.clone()).await;
    let body = app.gql(q, p).await;
    assert_eq!(error_code(&body), "CONFLICT");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("productCode"), "{body}");
    assert_eq!(product::Entity::find().count(&app.db).await.unwrap(), 1);

    let q = "mutation($i: CreateContactInput!) { createContact(input: $i) { id mobilePhone } }";
    let first = app
        .data(q, json!({ "i": { "contactName": "张伟", "contactStatus": "ACTIVE", "mobilePhone": "13800138000" } }))
        .await;
    let id = first["createContact"]["id"].as_str().unwrap().to_string();
    let raw = contact::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    assert!(raw.mobile_phone.unwrap().starts_with("v1:") && raw.mobile_phone_bidx.is_some(), "sealed on create");
    let body = app
        .gql(
            q,
            json!({ "i": { "contactName": "李娜", "contactStatus": "ACTIVE", "mobilePhone": "+86 138 0013 8000" } }),
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("mobilePhone"), "{body}");
    assert!(!body.to_string().contains("13800138000"));
}

#[tokio::test]
async fn workflow_columns_are_refused_and_new_records_start_where_their_workflow_begins() {
    let app = TestApp::spawn().await;
    let q = "mutation($i: CreateLeadInput!) { createLead(input: $i) { id leadStatus isQualified mobilePhone } }";
    let lead = app
        .data(q, json!({ "i": { "leadName": "王强", "leadSource": "WEBSITE", "mobilePhone": "13900139000" } }))
        .await;
    assert_eq!(lead["createLead"]["leadStatus"], "NEW");
    assert_eq!(lead["createLead"]["mobilePhone"], "13900139000");
    let id = lead["createLead"]["id"].as_str().unwrap().to_string();
    let body =
        app.gql(q, json!({ "i": { "leadName": "王强", "leadSource": "WEBSITE", "leadStatus": "QUALIFIED" } })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("changeLeadStatus"));
    let upd = "mutation($id: ID!, $i: UpdateLeadInput!) { updateLead(id: $id, input: $i) { id } }";
    for i in
        [json!({ "leadStatus": "CONTACTED" }), json!({ "convertedAccountId": "ACC_1" }), json!({ "isQualified": true })]
    {
        let body = app.gql(upd, json!({ "id": id, "i": i })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{i}: {body}");
    }
    // A converted lead is read-only.
    let mut converted = fixtures::lead(7);
    converted.lead_status = LeadStatus::Converted;
    insert(&app.db, vec![converted]).await;
    let body = app.gql(upd, json!({ "id": "LEAD_000007", "i": { "city": "上海" } })).await;
    assert_eq!(error_code(&body), "CONFLICT");
    assert_eq!(lead::Entity::find_by_id("LEAD_000007").one(&app.db).await.unwrap().unwrap().city, None);

    insert(&app.db, vec![fixtures::account("ACC_1", "华为")]).await;
    let q = "mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { id stage probability } }";
    let opp = app
        .data(q, json!({ "i": { "opportunityName": "CDP 项目", "accountId": "ACC_1", "amount": "500000.00" } }))
        .await;
    assert_eq!(opp["createOpportunity"]["stage"], "QUALIFICATION");
    assert_eq!(opp["createOpportunity"]["probability"], 10);
    let body =
        app.gql(q, json!({ "i": { "opportunityName": "x", "accountId": "ACC_1", "stage": "CLOSED_WON" } })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let upd = "mutation($id: ID!) { updateOpportunity(id: $id, input: { stage: PROPOSAL }) { id } }";
    let body = app.gql(upd, json!({ "id": opp["createOpportunity"]["id"] })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("moveOpportunityStage"));
    assert_eq!(opportunity::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn deleting_removes_the_record_unless_others_still_depend_on_it() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::account("ACC_1", "华为"), fixtures::account("ACC_2", "腾讯")]).await;
    insert(&app.db, vec![fixtures::opportunity("OPP_1", "ACC_1", entity::enums::OpportunityStage::Qualification)])
        .await;
    let del = "mutation($id: ID!) { deleteAccount(id: $id) }";
    assert_eq!(app.data(del, json!({ "id": "ACC_2" })).await["deleteAccount"], "ACC_2");
    let body = app.gql(del, json!({ "id": "ACC_1" })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "an account with deals is kept: {body}");
    let body = app.gql(del, json!({ "id": "ACC_2" })).await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    assert_eq!(accounts(&app).await, 1);
}

#[tokio::test]
async fn bulk_writes_are_all_or_none_by_default_or_report_each_item() {
    let app = TestApp::spawn().await;
    let q = "mutation($i: [CreateAccountInput!]!, $all: Boolean) { createAccounts(inputs: $i, allOrNone: $all) {
        ok id error { code message } record { accountName } } }";
    let good = |name: &str| json!({ "accountName": name, "accountType": "PROSPECT", "accountStatus": "ACTIVE" });
    let inputs = json!([good("甲"), { "accountName": "乙", "accountType": "PROSPECT", "accountStatus": "ACTIVE", "annualRevenue": "-5" }, good("丙")]);
    let body = app.gql(q, json!({ "i": inputs })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body["errors"][0]["message"].as_str().unwrap().starts_with("[1] annualRevenue"), "{body}");
    assert_eq!(accounts(&app).await, 0, "all or none");
    let each = app.data(q, json!({ "i": inputs, "all": false })).await;
    let items = each["createAccounts"].as_array().unwrap();
    assert_eq!(items.iter().map(|i| i["ok"].as_bool().unwrap()).collect::<Vec<_>>(), [true, false, true]);
    assert_eq!(items[1]["error"]["code"], "BAD_USER_INPUT");
    assert_eq!(items[2]["record"]["accountName"], "丙");
    assert_eq!(accounts(&app).await, 2);
    // Updates and deletes in bulk; one missing id fails the batch as a whole by default.
    let ids: Vec<Value> = items.iter().filter_map(|i| i["id"].as_str().map(|s| json!(s))).collect();
    let upd = "mutation($items: [UpdateAccountItem!]!) { updateAccounts(items: $items) { ok record { city } } }";
    let patch: Vec<Value> = ids.iter().map(|id| json!({ "id": id, "patch": { "city": "杭州" } })).collect();
    let got = app.data(upd, json!({ "items": patch })).await;
    assert!(got["updateAccounts"].as_array().unwrap().iter().all(|i| i["record"]["city"] == "杭州"));
    let del = "mutation($ids: [ID!]!) { deleteAccounts(ids: $ids) { ok id } }";
    let mut with_missing = ids.clone();
    with_missing.push(json!("ACC_404"));
    assert_eq!(error_code(&app.gql(del, json!({ "ids": with_missing })).await), "NOT_FOUND");
    assert_eq!(accounts(&app).await, 2);
    app.data(del, json!({ "ids": ids })).await;
    assert_eq!(accounts(&app).await, 0);
}

#[tokio::test]
async fn a_partner_writes_only_rows_of_its_channels() {
    let app = TestApp::spawn().await;
    insert(
        &app.db,
        vec![fixtures::channel("CH_A", ChannelType::Wechat), fixtures::channel("CH_B", ChannelType::Douyin)],
    )
    .await;
    let mut foreign = fixtures::lead(2);
    foreign.channel_id = Some("CH_B".into());
    insert(&app.db, vec![foreign]).await;
    let partner = token(&[Scope::Read, Scope::Write], Some(&["CH_A"]));
    let q = "mutation($i: CreateLeadInput!) { createLead(input: $i) { id channelId } }";
    let base = json!({ "leadName": "赵敏", "leadSource": "WEBSITE" });
    let mut own = base.clone();
    own["channelId"] = json!("CH_A");
    let ok = app.gql_as(&partner, q, json!({ "i": own })).await;
    assert_eq!(ok["data"]["createLead"]["channelId"], "CH_A", "{ok}");
    let mut other = base.clone();
    other["channelId"] = json!("CH_B");
    assert_eq!(error_code(&app.gql_as(&partner, q, json!({ "i": other })).await), "FORBIDDEN");
    assert_eq!(error_code(&app.gql_as(&partner, q, json!({ "i": base })).await), "BAD_USER_INPUT");
    let upd = "mutation { updateLead(id: \"LEAD_000002\", input: { city: \"x\" }) { id } }";
    assert_eq!(error_code(&app.gql_as(&partner, upd, json!({})).await), "NOT_FOUND");
    let del = "mutation { deleteLead(id: \"LEAD_000002\") }";
    assert_eq!(error_code(&app.gql_as(&partner, del, json!({})).await), "NOT_FOUND");
    assert_eq!(lead::Entity::find().count(&app.db).await.unwrap(), 2);
    // Read-only tokens write nothing.
    let reader = token(&[Scope::Read], None);
    assert_eq!(error_code(&app.gql_as(&reader, del, json!({})).await), "FORBIDDEN");
}

#[tokio::test]
async fn upserts_update_the_record_with_the_same_natural_key_or_create_one() {
    let app = TestApp::spawn().await;
    let q = "mutation($i: CreateAccountInput!) { upsertAccount(input: $i) { created record { id city unifiedSocialCreditCode } } }";
    let first = app.data(q, account_input(json!({ "city": "深圳" }))).await;
    assert_eq!(first["upsertAccount"]["created"], true);
    // The same code written with spaces around it is the same company.
    let second =
        app.data(q, account_input(json!({ "city": "东莞", "unifiedSocialCreditCode": " 914403001922038216 " }))).await;
    assert_eq!(second["upsertAccount"]["created"], false);
    assert_eq!(second["upsertAccount"]["record"]["id"], first["upsertAccount"]["record"]["id"]);
    assert_eq!(second["upsertAccount"]["record"]["city"], "东莞");
    assert_eq!(accounts(&app).await, 1);
    let body = app.gql(q, account_input(json!({ "unifiedSocialCreditCode": null }))).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("unifiedSocialCreditCode is required to upsert"));

    let q = "mutation($i: CreateContactInput!) { upsertContact(input: $i) { created record { id jobTitle email } } }";
    let c = app
        .data(q, json!({ "i": { "contactName": "张伟", "contactStatus": "ACTIVE", "mobilePhone": "13800138000" } }))
        .await;
    assert_eq!(c["upsertContact"]["created"], true);
    let again = app
        .data(q, json!({ "i": { "contactName": "张伟", "contactStatus": "ACTIVE", "mobilePhone": "+86 138-0013-8000", "jobTitle": "CTO", "email": "zw@example.com" } }))
        .await;
    assert_eq!(again["upsertContact"]["created"], false);
    assert_eq!(again["upsertContact"]["record"]["id"], c["upsertContact"]["record"]["id"]);
    assert_eq!(again["upsertContact"]["record"]["jobTitle"], "CTO");
    // Found by e-mail alone next time.
    let by_email = app
        .data(q, json!({ "i": { "contactName": "张伟", "contactStatus": "ACTIVE", "email": "ZW@example.com" } }))
        .await;
    assert_eq!(by_email["upsertContact"]["created"], false);
    assert_eq!(contact::Entity::find().count(&app.db).await.unwrap(), 1);

    let q = "mutation($i: CreateTagInput!) { upsertTag(input: $i) { created record { id description } } }";
    let t1 = app.data(q, json!({ "i": { "tagName": "VIP", "tagType": "BUSINESS" } })).await;
    let t2 = app.data(q, json!({ "i": { "tagName": "VIP", "tagType": "BUSINESS", "description": "重点客户" } })).await;
    assert_eq!((t1["upsertTag"]["created"].clone(), t2["upsertTag"]["created"].clone()), (json!(true), json!(false)));
    assert_eq!(t2["upsertTag"]["record"]["description"], "重点客户");
}

#[tokio::test]
async fn each_column_is_validated_by_its_domain_in_the_catalogue() {
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::channel("CH_1", ChannelType::Website)]).await;
    let create = "mutation($i: CreateChannelPerformanceInput!) { createChannelPerformance(input: $i) { roi cost conversionRate leadCount } }";
    let day = |d: u32, patch: Value| {
        let mut i = json!({ "channelId": "CH_1", "statDate": format!("2026-11-{d:02}") });
        for (k, v) in patch.as_object().unwrap() {
            i[k] = v.clone();
        }
        json!({ "i": i })
    };
    // ROI is a signed ratio: a day that cost more than it earned has a negative one.
    let ok = app.data(create, day(1, json!({ "roi": "-25.50", "cost": "100.00", "conversionRate": "12.50" }))).await;
    assert_eq!(ok["createChannelPerformance"]["roi"], "-25.50");
    assert_eq!(ok["createChannelPerformance"]["leadCount"], 0, "a NOT NULL count starts at 0");
    let performance = || async { entity::channel_performance::Entity::find().count(&app.db).await.unwrap() };
    for (d, patch, message) in [
        (2, json!({ "cost": "-1.00" }), "cost must not be negative"),
        (3, json!({ "cost": "1.005" }), "cost must have at most 2 decimal places"),
        (4, json!({ "conversionRate": "100.01" }), "conversionRate must be between 0 and 100"),
        (5, json!({ "leadCount": -1 }), "leadCount must be at least 0"),
        (6, json!({ "roi": "1.001" }), "roi must have at most 2 decimal places"),
    ] {
        let body = app.gql(create, day(d, patch.clone())).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{patch}: {body}");
        assert_eq!(body["errors"][0]["message"], message, "{patch}");
        assert_eq!(performance().await, 1, "nothing written for {patch}");
    }
    // A score is 0–100 wherever it is (`leadScore` here), by its domain.
    let lead = "mutation($i: CreateLeadInput!) { createLead(input: $i) { id } }";
    let body = app.gql(lead, json!({ "i": { "leadName": "张伟", "leadSource": "WEBSITE", "leadScore": 101 } })).await;
    assert_eq!(body["errors"][0]["message"], "leadScore must be between 0 and 100", "{body}");
}

#[tokio::test]
async fn create_inputs_require_in_the_sdl_exactly_what_the_server_requires() {
    let app = TestApp::spawn().await;
    let q = r#"{ __schema { types { name inputFields { name type { kind } } } } }"#;
    let schema = app.data(q, json!({})).await;
    let kind = |input: &str, field: &str| -> String {
        let ty = schema["__schema"]["types"].as_array().unwrap().iter().find(|t| t["name"] == input).unwrap();
        let f = ty["inputFields"].as_array().unwrap().iter().find(|f| f["name"] == field).unwrap();
        f["type"]["kind"].as_str().unwrap().to_string()
    };
    // NOT NULL without a server default: required.
    for (input, field) in [
        ("CreateAccountInput", "accountType"),
        ("CreateContactInput", "contactStatus"),
        ("CreateAppUserInput", "userRole"),
        ("CreateLeadChannelIdentityInput", "capturedAt"),
        ("CreateLeadInput", "leadName"),
    ] {
        assert_eq!(kind(input, field), "NON_NULL", "{input}.{field}");
    }
    // Nullable, or given its starting value by the server: optional.
    for (input, field) in [
        ("CreateLeadInput", "leadStatus"),
        ("CreateLeadInput", "leadScore"),
        ("CreateLeadInput", "isQualified"),
        ("CreateOpportunityInput", "stage"),
        ("CreateAccountInput", "industryId"),
        ("CreateAccountInput", "id"),
    ] {
        assert_ne!(kind(input, field), "NON_NULL", "{input}.{field}");
    }
    // Leaving a required field out is refused before anything runs.
    let body = app.gql(CREATE_ACCOUNT, json!({ "i": { "accountName": "华为", "accountStatus": "ACTIVE" } })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("accountType"), "{body}");
    assert_eq!(accounts(&app).await, 0);
}
