//! PII at rest: ciphertext and blind index in the database, exact-match filters through the index,
//! masking without the `pii` scope, uniqueness, key rotation, and logs free of personal data.

use cdp360::auth::Scope;
use cdp360::crypto::KeyRing;
use cdp360::services::pii::{self, Pii, RotateOptions};
use entity::{contact, lead};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Statement};
use serde_json::{Value, json};

use crate::fixtures;
use crate::harness::{TestApp, captured_logs, error_code, token};

/// A contact with the given PII, sealed with `keys` and inserted directly.
async fn contact_with(app: &TestApp, pii: &Pii, id: &str, phone: Option<&str>, email: Option<&str>) {
    let mut c = fixtures::contact(id, "张伟", None);
    c.mobile_phone = phone.map(Into::into);
    c.email = email.map(Into::into);
    pii.seal_model(&mut c).unwrap();
    fixtures::insert(&app.db, vec![c]).await;
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

const CONTACT_PII: &str = "query($id: ID!) { contact(id: $id) { mobilePhone email wechatId } }";

#[tokio::test]
async fn the_database_holds_ciphertext_and_a_blind_index_never_the_plaintext() {
    let app = TestApp::spawn_with_demo_data().await;
    let contacts = contact::Entity::find().all(&app.db).await.unwrap();
    let leads = lead::Entity::find().all(&app.db).await.unwrap();
    let prefix = format!("v1:{}:", app.keys.current_key_id());
    let mut checked = 0;
    for (id, values) in contacts
        .iter()
        .map(|c| (&c.contact_id, [(&c.mobile_phone, &c.mobile_phone_bidx), (&c.email, &c.email_bidx)]))
        .chain(leads.iter().map(|l| (&l.lead_id, [(&l.mobile_phone, &l.mobile_phone_bidx), (&l.email, &l.email_bidx)])))
    {
        for (value, bidx) in values {
            match (value, bidx) {
                (Some(v), Some(b)) => {
                    assert!(v.starts_with(&prefix), "{id}: {v}");
                    assert!(is_hex64(b), "{id}: {b}");
                    checked += 1;
                }
                (None, None) => {}
                other => panic!("{id}: value and blind index disagree: {other:?}"),
            }
        }
    }
    assert!(checked > 100, "the demo data has PII ({checked})");
    // The API (with the pii scope) decrypts; the plaintext appears nowhere in the raw row.
    let c = contacts.iter().find(|c| c.mobile_phone.is_some() && c.email.is_some()).unwrap();
    let got = app.data(CONTACT_PII, json!({ "id": c.contact_id })).await;
    let phone = got["contact"]["mobilePhone"].as_str().unwrap();
    let email = got["contact"]["email"].as_str().unwrap();
    assert!(phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit()), "{phone}");
    assert!(email.contains('@'), "{email}");
    let raw = serde_json::to_string(c).unwrap();
    assert!(!raw.contains(phone) && !raw.contains(email), "{raw}");
}

#[tokio::test]
async fn a_ciphertext_moved_to_another_row_fails_to_decrypt() {
    let app = TestApp::spawn().await;
    let pii = app.pii();
    contact_with(&app, &pii, "CNT_A", Some("13800138000"), None).await;
    contact_with(&app, &pii, "CNT_B", Some("13900139000"), None).await;
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(Statement::from_string(
            backend,
            "UPDATE contact SET mobile_phone = (SELECT mobile_phone FROM contact WHERE contact_id = 'CNT_A') \
             WHERE contact_id = 'CNT_B'",
        ))
        .await
        .unwrap();
    let body = app.gql(CONTACT_PII, json!({ "id": "CNT_B" })).await;
    assert_eq!(error_code(&body), "INTERNAL", "{body}");
    assert!(body["errors"][0]["extensions"]["correlationId"].is_string(), "{body}");
    let text = body.to_string();
    assert!(!text.contains("13800138000") && !text.contains("13900139000"), "{text}");
    // The original row still reads.
    let a = app.data(CONTACT_PII, json!({ "id": "CNT_A" })).await;
    assert_eq!(a["contact"]["mobilePhone"], "13800138000");
}

#[tokio::test]
async fn exact_match_by_phone_finds_the_record_whatever_the_format() {
    let app = TestApp::spawn().await;
    let pii = app.pii();
    contact_with(&app, &pii, "CNT_A", Some("13800138000"), Some("Zhang.Wei@Example.com")).await;
    contact_with(&app, &pii, "CNT_B", Some("13900139000"), None).await;
    let mut l = fixtures::lead(1);
    l.converted_contact_id = Some("CNT_A".into());
    l.mobile_phone = Some("+86 138 0013 8000".into());
    pii.seal_model(&mut l).unwrap();
    fixtures::insert(&app.db, vec![l]).await;

    let q = "query($f: ContactFilter) { contacts(filter: $f) { nodes { id } } }";
    let ids =
        |v: &Value| v["contacts"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].clone()).collect::<Vec<_>>();
    for phone in ["13800138000", "+86 138-0013-8000", "0086 13800138000"] {
        let got = app.data(q, json!({ "f": { "mobilePhone": { "eq": phone } } })).await;
        assert_eq!(ids(&got), vec![json!("CNT_A")], "{phone}");
    }
    let got = app.data(q, json!({ "f": { "email": { "eq": " zhang.wei@example.COM " } } })).await;
    assert_eq!(ids(&got), vec![json!("CNT_A")]);
    let got = app.data(q, json!({ "f": { "mobilePhone": { "in": ["13900139000", "13700137000"] } } })).await;
    assert_eq!(ids(&got), vec![json!("CNT_B")]);
    let got = app.data(q, json!({ "f": { "email": { "isNull": true } } })).await;
    assert_eq!(ids(&got), vec![json!("CNT_B")]);
    // Through a relation: the lead's filter uses the contact table's own index key.
    let got = app
        .data(
            "{ leads(filter: { convertedContact: { mobilePhone: { eq: \"13800138000\" } } }) { nodes { id mobilePhone } } }",
            json!({}),
        )
        .await;
    assert_eq!(got["leads"]["nodes"], json!([{ "id": "LEAD_000001", "mobilePhone": "+86 138 0013 8000" }]));
    let got = app.data("{ leads(filter: { mobilePhone: { eq: \"13800138000\" } }) { totalCount } }", json!({})).await;
    assert_eq!(got["leads"]["totalCount"], 1);
}

#[tokio::test]
async fn substring_and_malformed_pii_filters_are_refused_without_echoing_the_value() {
    let app = TestApp::spawn().await;
    let q = "query($f: ContactFilter) { contacts(filter: $f) { totalCount } }";
    let body = app.gql(q, json!({ "f": { "mobilePhone": { "contains": "0013" } } })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("mobilePhone is encrypted") && message.contains("eq or in"), "{message}");
    let body = app.gql(q, json!({ "f": { "email": { "startsWith": "zhang" } } })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let body = app.gql(q, json!({ "f": { "mobilePhone": { "eq": "12345-secret" } } })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(!body.to_string().contains("12345-secret"), "{body}");
    // Encrypted columns cannot be ordered.
    let body = app.gql("{ contacts(orderBy: { field: MOBILE_PHONE }) { totalCount } }", json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn without_the_pii_scope_values_are_masked() {
    let app = TestApp::spawn().await;
    let pii = app.pii();
    contact_with(&app, &pii, "CNT_A", Some("13800138000"), Some("zhangwei@example.com")).await;
    let reader = token(&[Scope::Read], None);
    let got = app.data_as(&reader, CONTACT_PII, json!({ "id": "CNT_A" })).await;
    assert_eq!(got["contact"], json!({ "mobilePhone": "138****8000", "email": "z***@example.com", "wechatId": null }));
    // Filtering still works without the scope (the caller already knows the value it sends).
    let found = app
        .data_as(&reader, "{ contacts(filter: { mobilePhone: { eq: \"13800138000\" } }) { totalCount } }", json!({}))
        .await;
    assert_eq!(found["contacts"]["totalCount"], 1);
    let full = app.data_as(&token(&[Scope::Read, Scope::Pii], None), CONTACT_PII, json!({ "id": "CNT_A" })).await;
    assert_eq!(full["contact"]["mobilePhone"], "13800138000");
}

#[tokio::test]
async fn the_same_phone_in_another_format_cannot_belong_to_two_contacts() {
    let app = TestApp::spawn().await;
    let pii = app.pii();
    contact_with(&app, &pii, "CNT_A", Some("13800138000"), None).await;
    let mut dup = fixtures::contact("CNT_B", "李娜", None);
    dup.mobile_phone = Some("+86 138 0013 8000".into());
    pii.seal_model(&mut dup).unwrap();
    let err = contact::Entity::insert(sea_orm::IntoActiveModel::into_active_model(dup)).exec(&app.db).await;
    assert!(err.is_err(), "the unique blind index refuses the duplicate");
    assert_eq!(contact::Entity::find().count(&app.db).await.unwrap(), 1);
}

/// The same ring without its oldest key (what an operator runs with after a complete rotation).
fn without_first_key(ring: &KeyRing) -> KeyRing {
    let config = String::from_utf8(ring.to_config_string().expose().to_vec()).unwrap();
    let (data, index) = config.split_once(';').unwrap();
    let newer: Vec<&str> = data.split(',').skip(1).collect();
    KeyRing::parse(&format!("{};{index}", newer.join(","))).unwrap()
}

#[tokio::test]
async fn rotation_re_encrypts_everything_and_reads_stay_correct_during_and_after_it() {
    let old = KeyRing::generate().unwrap();
    let new = old.with_new_current_key().unwrap();
    let server_ring = new.clone();
    let app = TestApp::spawn_with(move |c| c.field_keys = server_ring).await;
    let old_pii = Pii::new(&old);
    let phones: Vec<String> = (0..7).map(|i| format!("1380013800{i}")).collect();
    for (i, phone) in phones.iter().enumerate() {
        contact_with(&app, &old_pii, &format!("CNT_{i}"), Some(phone), Some(&format!("u{i}@example.com"))).await;
    }
    let read_all = || async {
        let got = app
            .data("{ contacts(first: 50, orderBy: { field: CONTACT_ID }) { nodes { mobilePhone email } } }", json!({}))
            .await;
        got["contacts"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["mobilePhone"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let new_pii = Pii::new(&new);
    assert_eq!(pii::stale_values(&app.db, &new_pii).await.unwrap(), 14);

    // Interrupted after one batch of 3: old and new ciphertexts side by side, reads unaffected.
    let first = pii::rotate_keys(&app.db, &new_pii, RotateOptions { batch_size: 3, max_batches: Some(1) }, |_| {})
        .await
        .unwrap();
    assert_eq!((first.rotated, first.complete), (3, false));
    assert_eq!(pii::stale_values(&app.db, &new_pii).await.unwrap(), 11);
    assert_eq!(read_all().await, phones);

    // Run again: it resumes, and everything ends under the new key.
    let mut batches = Vec::new();
    let rest =
        pii::rotate_keys(&app.db, &new_pii, RotateOptions { batch_size: 3, max_batches: None }, |n| batches.push(n))
            .await
            .unwrap();
    assert_eq!((rest.rotated, rest.raced, rest.failed.len(), rest.complete), (11, 0, 0, true));
    assert_eq!(batches.iter().sum::<u64>(), 11);
    assert_eq!(pii::stale_values(&app.db, &new_pii).await.unwrap(), 0);
    assert_eq!(read_all().await, phones);

    // The old key can go: a ring without it opens every value, and blind indexes did not change.
    let newest_only = Pii::new(&without_first_key(&new));
    for c in contact::Entity::find().all(&app.db).await.unwrap() {
        let phone = newest_only.open("contact", pii::MOBILE_PHONE, &c.contact_id, c.mobile_phone.as_deref().unwrap());
        assert!(phone.is_ok(), "{}", c.contact_id);
        assert!(c.mobile_phone.as_deref().unwrap().starts_with(&new_pii.current_prefix()));
        assert_eq!(c.mobile_phone_bidx.unwrap(), old_pii.blind("contact", pii::MOBILE_PHONE, &phone.unwrap()).unwrap());
    }
}

#[tokio::test]
async fn logs_never_contain_a_phone_number_or_an_email_address() {
    let app = TestApp::spawn_with_demo_data().await;
    let Some(before) = captured_logs() else {
        eprintln!("CDP_TEST_LOG is set: logs go to stderr, nothing to inspect");
        return;
    };
    // Collect every seeded plaintext through the API (which must not log them either).
    let q =
        "{ contacts(first: 500) { nodes { id mobilePhone email } } leads(first: 500) { nodes { mobilePhone email } } }";
    let got = app.data(q, json!({})).await;
    let mut needles: Vec<String> = Vec::new();
    for list in [&got["contacts"]["nodes"], &got["leads"]["nodes"]] {
        for n in list.as_array().unwrap() {
            for f in ["mobilePhone", "email"] {
                if let Some(v) = n[f].as_str() {
                    needles.push(v.to_string());
                    if f == "mobilePhone" {
                        needles.push(format!("+86{v}"));
                    }
                }
            }
        }
    }
    assert!(needles.len() > 100, "the demo data has PII ({})", needles.len());
    let phone = got["contacts"]["nodes"].as_array().unwrap().iter().find_map(|n| n["mobilePhone"].as_str()).unwrap();
    // Lookups by value, in the document and in variables; a malformed value; a refused substring
    // filter; masked reads; a value that fails to decrypt (logged in full as an internal error).
    let inline = format!("{{ contacts(filter: {{ mobilePhone: {{ eq: \"{phone}\" }} }}) {{ nodes {{ email }} }} }}");
    app.data(&inline, json!({})).await;
    let q = "query($f: LeadFilter) { leads(filter: $f) { totalCount } }";
    app.data(q, json!({ "f": { "mobilePhone": { "eq": phone } } })).await;
    app.gql(q, json!({ "f": { "email": { "contains": phone } } })).await;
    app.gql(q, json!({ "f": { "email": { "eq": format!("{phone}@") } } })).await;
    app.data_as(
        &token(&[Scope::Read], None),
        q.replace("totalCount", "nodes { mobilePhone email }").as_str(),
        json!({}),
    )
    .await;
    // Copy one contact's e-mail ciphertext onto another: reading it fails (and is logged in full).
    let mut with_email: Vec<contact::Model> =
        contact::Entity::find().all(&app.db).await.unwrap().into_iter().filter(|c| c.email.is_some()).collect();
    with_email.sort_by(|a, b| a.contact_id.cmp(&b.contact_id));
    let (from, to) = (&with_email[0], &with_email[1]);
    let copy = contact::ActiveModel {
        contact_id: sea_orm::ActiveValue::Unchanged(to.contact_id.clone()),
        email: sea_orm::ActiveValue::Set(from.email.clone()),
        ..Default::default()
    };
    sea_orm::ActiveModelTrait::update(copy, &app.db).await.unwrap();
    let body = app.gql("query($id: ID!) { contact(id: $id) { email } }", json!({ "id": to.contact_id })).await;
    assert_eq!(error_code(&body), "INTERNAL");

    let logs = captured_logs().unwrap();
    // The capture works (so this test can fail): this test's own SQL and its internal error are in it.
    assert!(logs.len() > before.len(), "nothing logged");
    // What was logged since this test's server started: only it holds these values, and the
    // capture is shared by every test of the process (scanning all of it once per needle is slow).
    let logs = &logs[before.len()..];
    assert!(logs.contains("cdp360::sql") && logs.contains("cannot decrypt contact.email"), "logs were not captured");
    for needle in &needles {
        assert!(!logs.contains(needle.as_str()), "a seeded phone number or e-mail address was logged");
    }
}
