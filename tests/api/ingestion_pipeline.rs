//! The lead ingestion pipeline past the first slice: identity (known contacts by key and by channel
//! identity), the channel identity, FORM_SUBMIT touchpoint and event of every arrival, the step log,
//! retries with backoff, dead letters (GraphQL and replay after a fix), and backpressure.

use cdp360::auth::Scope;
use entity::{contact_channel_identity, event, lead_channel_identity, lead_ingestion, touchpoint};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::acquisition::{finished, ingest_token, scene, submit, web_form_rules, web_form_scene};
use crate::fixtures;
use crate::harness::{TestApp, assert_unchanged, error_code, snapshot, token};

/// The web-form rules plus the submitter's openid as the channel identity.
fn rules_with_openid() -> Value {
    let mut rules = web_form_rules();
    rules.as_array_mut().unwrap().push(json!({ "target": "channelUserId", "source": "openid" }));
    rules
}

async fn set_rules(app: &TestApp, scene_id: &str, rules: Value) {
    let q = "mutation($id: ID!, $r: JSON) { updateAcquisitionScene(id: $id, input: { dataMappingRules: $r }) { id } }";
    app.data(q, json!({ "id": scene_id, "r": rules })).await;
}

/// A contact `CNT_KNOWN` with a phone, sealed as the server seals it.
async fn known_contact(app: &TestApp, phone: Option<&str>) {
    let mut c = fixtures::contact("CNT_KNOWN", "王芳", None);
    c.mobile_phone = phone.map(Into::into);
    fixtures::insert_sealed(&app.db, &app.pii(), vec![c]).await;
}

/// Gives `contact_id` the channel identity `o6_wx_known` in `CH_FORM`.
async fn hold_openid(app: &TestApp, contact_id: &str) {
    let held = contact_channel_identity::Model {
        identity_id: "CCI_1".into(),
        contact_id: contact_id.into(),
        channel_id: "CH_FORM".into(),
        channel_user_id: "o6_wx_known".into(),
        identity_type: None,
        is_primary: true,
        is_verified: false,
        first_seen_at: None,
        last_seen_at: None,
        additional_info: None,
    };
    fixtures::insert(&app.db, vec![held]).await;
}

async fn touchpoints_of(app: &TestApp, lead_id: &str) -> Vec<touchpoint::Model> {
    touchpoint::Entity::find().filter(touchpoint::Column::LeadId.eq(lead_id)).all(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_processed_submission_records_its_channel_identity_touchpoint_and_event_and_links_the_known_contact() {
    let app = TestApp::spawn().await;
    let scene_id = web_form_scene(&app).await;
    set_rules(&app, &scene_id, rules_with_openid()).await;
    known_contact(&app, Some("13912345678")).await;
    let id = submit(
        &app,
        &scene_id,
        json!({ "name": "王芳", "contact": { "phone": "139 1234 5678" }, "openid": "o6_wx_1" }),
    )
    .await;
    let done = finished(&app, &id).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    let lead_id = done["lead_id"].as_str().unwrap();

    let lci = lead_channel_identity::Entity::find()
        .filter(lead_channel_identity::Column::LeadId.eq(lead_id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(lci.len(), 1);
    assert_eq!((lci[0].channel_id.as_str(), lci[0].channel_user_id.as_str()), ("CH_FORM", "o6_wx_1"));
    assert_eq!(lci[0].utm_params, Some(json!({ "utm_source": "x" })), "UTM parameters come from the submission URL");
    let tps = touchpoints_of(&app, lead_id).await;
    assert_eq!(tps.len(), 1);
    assert_eq!(tps[0].touchpoint_type.as_str(), "FORM_SUBMIT");
    assert_eq!(tps[0].contact_id.as_deref(), Some("CNT_KNOWN"), "the known contact is linked");
    assert_eq!(tps[0].channel_id.as_deref(), Some("CH_FORM"));
    assert_eq!(tps[0].utm_params, Some(json!({ "utm_source": "x" })));
    let events = event::Entity::find().filter(event::Column::LeadId.eq(lead_id)).all(&app.db).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type.as_str(), "FORM_SUBMIT");
    assert_eq!(events[0].contact_id.as_deref(), Some("CNT_KNOWN"));
    assert_eq!(events[0].ip_address.as_deref(), Some("203.0.113.9"));

    // The step log says what happened, naming fields and ids, never a value.
    let steps: Vec<&str> = done["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(
        steps,
        [
            "claimed",
            "mapped",
            "deduplicated",
            "identity",
            "created",
            "channel identity",
            "recorded",
            "routed",
            "outcome"
        ],
        "{done}"
    );
    let identity = &done["steps"][3]["detail"];
    assert_eq!(identity, "known contact CNT_KNOWN by mobilePhone", "{done}");
    assert!(!done["steps"].to_string().contains("1391234"), "{done}");

    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.lines().any(|l| l == "cdp360_ingestion_latency_seconds_count 1"), "{metrics}");
    assert!(metrics.lines().any(|l| l.starts_with("cdp360_ingestion_queue_depth ")), "{metrics}");
}

#[tokio::test]
async fn a_contact_holding_the_submitted_channel_identity_is_linked_when_no_other_key_matches() {
    let app = TestApp::spawn().await;
    let scene_id = web_form_scene(&app).await;
    set_rules(&app, &scene_id, rules_with_openid()).await;
    known_contact(&app, None).await;
    hold_openid(&app, "CNT_KNOWN").await;
    let id = submit(
        &app,
        &scene_id,
        json!({ "name": "新访客", "contact": { "phone": "13700000001" }, "openid": "o6_wx_known" }),
    )
    .await;
    let done = finished(&app, &id).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    assert_eq!(done["steps"][3]["detail"], "known contact CNT_KNOWN by channelIdentity", "{done}");
    let tps = touchpoints_of(&app, done["lead_id"].as_str().unwrap()).await;
    assert_eq!(tps[0].contact_id.as_deref(), Some("CNT_KNOWN"));
}

#[tokio::test]
async fn a_duplicate_records_a_touchpoint_on_the_existing_lead_instead_of_a_new_lead() {
    let app = TestApp::spawn().await;
    let scene_id = web_form_scene(&app).await;
    set_rules(&app, &scene_id, rules_with_openid()).await;
    let first = finished(
        &app,
        &submit(&app, &scene_id, json!({ "name": "张伟", "contact": { "phone": "13800138000" } })).await,
    )
    .await;
    let lead_id = first["lead_id"].as_str().unwrap();
    let second =
        submit(&app, &scene_id, json!({ "name": "张伟", "contact": { "phone": "13800138000" }, "openid": "o6_dup" }))
            .await;
    let second = finished(&app, &second).await;
    assert_eq!(second["status"], "DUPLICATE_OF", "{second}");
    assert_eq!(second["duplicate_of"], lead_id);
    assert_eq!(touchpoints_of(&app, lead_id).await.len(), 2, "one FORM_SUBMIT per arrival");
    let lci = lead_channel_identity::Entity::find()
        .filter(lead_channel_identity::Column::LeadId.eq(lead_id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(lci.len(), 1, "the duplicate's channel identity joins the existing lead");
    assert_eq!(app.data("{ leads { totalCount } }", json!({})).await["leads"]["totalCount"], 1);
}

const DEAD_LETTERS: &str = "query($f: DeadLetterFilterInput) { deadLetters(filter: $f) { ingestionId sceneId clientId reasons attempts steps } }";

#[tokio::test]
async fn a_scene_whose_rules_make_an_invalid_lead_dead_letters_and_a_replay_after_fixing_it_succeeds() {
    let app = TestApp::spawn().await;
    let scene_id = web_form_scene(&app).await;
    // No rule fills leadName, which every lead needs: the scene is wrong, not the submission.
    let rules = json!([{ "target": "mobilePhone", "source": "contact.phone", "required": true }]);
    set_rules(&app, &scene_id, rules).await;
    let id = submit(&app, &scene_id, json!({ "name": "李雷", "contact": { "phone": "13800138009" } })).await;
    let done = finished(&app, &id).await;
    assert_eq!(done["status"], "DEAD_LETTERED", "{done}");
    assert!(done["reasons"][0].as_str().unwrap().contains("leadName"), "{done}");

    let listed = app.data(DEAD_LETTERS, json!({ "f": { "sceneId": scene_id } })).await;
    let letters = listed["deadLetters"].as_array().unwrap();
    assert_eq!(letters.len(), 1, "{listed}");
    assert_eq!(letters[0]["ingestionId"], id);
    assert_eq!(letters[0]["clientId"], "test");
    let other_scene = app.data(DEAD_LETTERS, json!({ "f": { "sceneId": "SCN_OTHER" } })).await;
    assert_eq!(other_scene["deadLetters"], json!([]));
    // Reading and replaying dead letters is for operators.
    let reader = token(&[Scope::Read, Scope::Write, Scope::Ingest], None);
    assert_eq!(error_code(&app.gql_as(&reader, DEAD_LETTERS, json!({})).await), "FORBIDDEN");
    let replay = "mutation($ids: [ID!]!) { replayDeadLetters(ids: $ids) }";
    assert_eq!(error_code(&app.gql_as(&reader, replay, json!({ "ids": [id] })).await), "FORBIDDEN");
    assert_eq!(lead_status_row(&app, &id).await.status, "DEAD_LETTERED", "a refused replay moves nothing");

    let mut fixed = web_form_rules();
    fixed[0]["source"] = json!("name");
    set_rules(&app, &scene_id, fixed).await;
    let replayed = app.data(replay, json!({ "ids": [id, "ING_NOT_A_DEAD_LETTER"] })).await;
    assert_eq!(replayed["replayDeadLetters"], json!([id]));
    let done = finished(&app, &id).await;
    assert_eq!(done["status"], "PROCESSED", "the same ingestion id, now processed: {done}");
    assert_eq!(app.data(DEAD_LETTERS, json!({})).await["deadLetters"], json!([]));
    let again = app.data(replay, json!({ "ids": [id] })).await;
    assert_eq!(again["replayDeadLetters"], json!([]), "a processed ingestion is not replayed");
}

async fn lead_status_row(app: &TestApp, id: &str) -> lead_ingestion::Model {
    lead_ingestion::Entity::find_by_id(id.to_string()).one(&app.db).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_discarded_dead_letter_is_no_longer_listed_nor_replayed_and_bad_ids_are_refused() {
    let app = TestApp::spawn().await;
    let scene_id = web_form_scene(&app).await;
    set_rules(&app, &scene_id, json!([{ "target": "city", "source": "city" }])).await;
    let id = submit(&app, &scene_id, json!({ "name": "x", "contact": { "phone": "13800138000" } })).await;
    assert_eq!(finished(&app, &id).await["status"], "DEAD_LETTERED");
    // With its scene deleted, a replayed ingestion has nothing to be processed by: a dead letter again.
    app.data("mutation($id: ID!) { deleteAcquisitionScene(id: $id) }", json!({ "id": scene_id })).await;
    let replay = "mutation($ids: [ID!]!) { replayDeadLetters(ids: $ids) }";
    app.data(replay, json!({ "ids": [id] })).await;
    let done = finished(&app, &id).await;
    assert_eq!(done["status"], "DEAD_LETTERED", "{done}");
    assert_eq!(done["reasons"][0], format!("acquisition scene {scene_id} no longer exists"));

    let before = snapshot(&app, &[], |_, _| {}).await;
    for (ids, why) in [(json!([]), "no ids"), (json!([""]), "an empty id")] {
        let body = app.gql(replay, json!({ "ids": ids })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{why}: {body}");
    }
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);

    let discard = "mutation($ids: [ID!]!) { discardDeadLetters(ids: $ids) }";
    assert_eq!(app.data(discard, json!({ "ids": [id] })).await["discardDeadLetters"], json!([id]));
    assert_eq!(lead_status_row(&app, &id).await.status, "DISCARDED");
    assert_eq!(app.data(DEAD_LETTERS, json!({})).await["deadLetters"], json!([]));
    assert_eq!(app.data(replay, json!({ "ids": [id] })).await["replayDeadLetters"], json!([]));
}

#[tokio::test]
async fn a_processing_failure_is_retried_with_backoff_then_dead_lettered_and_replayed_once_the_fault_is_gone() {
    let app = TestApp::spawn_with(|c| {
        c.ingestion.max_attempts = 3;
        c.ingestion.retry_base = std::time::Duration::from_millis(50);
    })
    .await;
    let scene_id = web_form_scene(&app).await;
    // A real fault: the touchpoint table is gone, so every attempt's transaction fails and rolls back.
    app.db.execute_unprepared("ALTER TABLE touchpoint RENAME TO touchpoint_away").await.unwrap();
    let id = submit(&app, &scene_id, json!({ "name": "韩梅梅", "contact": { "phone": "13800138002" } })).await;
    let done = finished(&app, &id).await;
    app.db.execute_unprepared("ALTER TABLE touchpoint_away RENAME TO touchpoint").await.unwrap();
    assert_eq!(done["status"], "DEAD_LETTERED", "{done}");
    assert_eq!(done["attempts"], 3, "{done}");
    let reason = done["reasons"][0].as_str().unwrap();
    assert!(reason.starts_with("processing failed 3 times"), "{reason}");
    assert_eq!(app.data("{ leads { totalCount } }", json!({})).await["leads"]["totalCount"], 0, "nothing half-written");
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let retried = format!("cdp360_ingestion_total{{scene=\"{scene_id}\",outcome=\"retried\"}} 2");
    assert!(metrics.lines().any(|l| l == retried), "two waits before the third, last attempt: {metrics}");

    app.data("mutation($ids: [ID!]!) { replayDeadLetters(ids: $ids) }", json!({ "ids": [id] })).await;
    let done = finished(&app, &id).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    assert_eq!(done["attempts"], 1, "a replay starts the count again");
}

#[tokio::test]
async fn a_full_queue_refuses_submissions_with_503_and_retry_after_and_writes_nothing() {
    let app = TestApp::spawn_with(|c| c.ingestion.max_queue = 2).await;
    let scene_id = web_form_scene(&app).await;
    // Two accepted submissions waiting out a retry an hour away: the queue is at its bound.
    for i in 0..2 {
        let id =
            submit(&app, &scene_id, json!({ "name": format!("x{i}"), "contact": { "phone": "13800138000" } })).await;
        finished(&app, &id).await;
        let sql = format!(
            "UPDATE lead_ingestion SET status = 'ACCEPTED', next_attempt_at = '2999-01-01T00:00:00Z' WHERE ingestion_id = '{id}'"
        );
        app.db.execute_unprepared(&sql).await.unwrap();
    }
    // The depth is counted at most once a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let before = snapshot(&app, &[], |_, _| {}).await;
    let body = json!({ "scene_config_id": scene_id, "submission_data": { "name": "y", "contact": { "phone": "13800138003" } } });
    let res = app
        .client
        .post(app.url("/api/v1/leads/ingestions"))
        .bearer_auth(ingest_token())
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(res.headers()["retry-after"], "5");
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["error"]["code"], "QUEUE_FULL", "{answer}");
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.lines().any(|l| l == "cdp360_ingestion_queue_depth 2"), "{metrics}");
}

#[tokio::test]
async fn lead_ingested_subscribers_hear_of_their_scenes_new_and_duplicate_leads() {
    let app = TestApp::spawn().await;
    let form = web_form_scene(&app).await;
    let api = scene(&app, "API_IMPORT", "BY_PHONE", true).await;
    let mut ws = crate::websocket::connect_as(&app, &token(&[Scope::Read], None)).await;
    let query =
        format!("subscription {{ leadIngested(sceneId: \"{form}\") {{ sceneId duplicate lead {{ leadName }} }} }}");
    crate::websocket::send(&mut ws, json!({ "id": "1", "type": "subscribe", "payload": { "query": query } })).await;
    crate::websocket::send(&mut ws, json!({ "type": "ping" })).await;
    assert_eq!(crate::websocket::next(&mut ws).await.unwrap()["type"], "pong");

    let other = submit(&app, &api, json!({ "name": "别的场景", "contact": { "phone": "13800138010" } })).await;
    finished(&app, &other).await;
    let new = submit(&app, &form, json!({ "name": "新线索", "contact": { "phone": "13800138011" } })).await;
    finished(&app, &new).await;
    let dup = submit(&app, &form, json!({ "name": "重复", "contact": { "phone": "13800138011" } })).await;
    finished(&app, &dup).await;
    for (name, duplicate) in [("新线索", false), ("新线索", true)] {
        let msg = crate::websocket::next(&mut ws).await.expect("an event");
        assert_eq!(msg["id"], "1", "{msg}");
        let got = &msg["payload"]["data"]["leadIngested"];
        assert_eq!(got, &json!({ "sceneId": form, "duplicate": duplicate, "lead": { "leadName": name } }), "{msg}");
    }
}

/// A partner pushing leads in bulk is not rate-limited in these tests.
const UNLIMITED: [(&str, &str); 2] = [("CDP_RATE_LIMIT_PER_MINUTE", "1000000"), ("CDP_RATE_LIMIT_BURST", "100000")];

/// Creates a NO_CHECK scene on a process replica (all scopes); its id.
async fn process_scene(replica: &crate::harness::ProcessReplica) -> String {
    let q = "mutation { createChannel(input: { channelName: \"表单\", channelType: WEBSITE, channelStatus: ACTIVE }) { id } }";
    let channel = replica.data(q, json!({})).await["createChannel"]["id"].as_str().unwrap().to_string();
    let input = json!({
        "sceneName": "官网表单", "sceneType": "WEB_FORM", "isEnabled": true, "defaultChannelId": channel,
        "dataMappingRules": web_form_rules(), "deduplicationStrategy": "NO_CHECK",
    });
    let q = "mutation($input: CreateAcquisitionSceneInput!) { createAcquisitionScene(input: $input) { id } }";
    replica.data(q, json!({ "input": input })).await["createAcquisitionScene"]["id"].as_str().unwrap().to_string()
}

/// POSTs submission `i` to a process replica: its ingestion id once acknowledged (202), `None` when
/// the request got no answer (the process was killed).
async fn post_to(addr: &str, scene_id: &str, i: usize) -> Option<String> {
    let body = json!({ "scene_config_id": scene_id, "submission_data": { "name": format!("线索{i}"), "contact": { "phone": format!("1380000{i:04}") } } });
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/leads/ingestions"))
        .bearer_auth(ingest_token())
        .header("Idempotency-Key", format!("k{i}"))
        .body(body.to_string())
        .send()
        .await
        .ok()?;
    assert_eq!(res.status().as_u16(), 202);
    let answer: Value = res.json().await.ok()?;
    Some(answer["ingestion_id"].as_str()?.to_string())
}

/// POSTs submissions `from..from + n` as one batch to a process replica: their ingestion ids once
/// acknowledged (202), `None` when the request got no answer (the process was killed).
async fn post_batch_to(addr: &str, scene_id: &str, from: usize, n: usize) -> Option<Vec<String>> {
    let items: Vec<Value> = (from..from + n)
        .map(|i| json!({ "scene_config_id": scene_id, "submission_data": { "name": format!("线索{i}"), "contact": { "phone": format!("1380{i:07}") } } }))
        .collect();
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/leads/ingestions"))
        .bearer_auth(ingest_token())
        .header("Idempotency-Key", format!("batch-{from}"))
        .body(json!({ "submissions": items }).to_string())
        .send()
        .await
        .ok()?;
    assert_eq!(res.status().as_u16(), 202);
    let answer: Value = res.json().await.ok()?;
    Some(
        answer["ingestions"].as_array()?.iter().filter_map(|i| Some(i["ingestion_id"].as_str()?.to_string())).collect(),
    )
}

/// Waits (up to 3 minutes: a debug build under a loaded CI) until no ingestion is ACCEPTED; every
/// ingestion row.
pub(crate) async fn drained(db: &sea_orm::DatabaseConnection) -> Vec<lead_ingestion::Model> {
    for _ in 0..1800 {
        let rows = lead_ingestion::Entity::find().all(db).await.unwrap();
        if rows.iter().all(|r| r.status != "ACCEPTED") {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("ingestions still ACCEPTED after 3 minutes");
}

/// Every ingestion PROCESSED once, into its own lead, with exactly one touchpoint and one event.
async fn processed_exactly_once(db: &sea_orm::DatabaseConnection, rows: &[lead_ingestion::Model]) {
    use sea_orm::PaginatorTrait;
    let mut leads = std::collections::HashSet::new();
    for r in rows {
        assert_eq!(r.status, "PROCESSED", "{r:?}");
        assert_eq!(r.attempts, 1, "processed at the first attempt: {r:?}");
        assert!(leads.insert(r.lead_id.clone().unwrap()), "two ingestions made one lead: {r:?}");
    }
    let count = |n: u64, what: &str| assert_eq!(n, rows.len() as u64, "{what}");
    count(entity::lead::Entity::find().count(db).await.unwrap(), "one lead per ingestion");
    count(touchpoint::Entity::find().count(db).await.unwrap(), "one touchpoint per ingestion");
    count(event::Entity::find().count(db).await.unwrap(), "one event per ingestion");
}

#[tokio::test]
async fn two_server_processes_process_every_ingestion_exactly_once() {
    let db = crate::harness::ProcessDatabase::new().await;
    let (a, b) = (db.serve(&UNLIMITED), db.serve(&UNLIMITED));
    let scene_id = process_scene(&a).await;
    let posts = (0..200).map(|i| {
        let (addr, scene_id) = (if i % 2 == 0 { a.addr.clone() } else { b.addr.clone() }, scene_id.clone());
        async move { post_to(&addr, &scene_id, i).await.expect("acknowledged") }
    });
    use futures_util::StreamExt;
    let ids: Vec<String> = futures_util::stream::iter(posts).buffer_unordered(8).collect().await;
    let rows = drained(&db.db).await;
    assert_eq!(rows.len(), ids.len());
    processed_exactly_once(&db.db, &rows).await;
}

#[tokio::test]
async fn a_server_killed_mid_batch_leaves_every_accepted_ingestion_to_be_processed_once_after_a_restart() {
    use std::sync::Mutex;
    let db = crate::harness::ProcessDatabase::new().await;
    let first = db.serve(&UNLIMITED);
    let scene_id = process_scene(&first).await;
    // Batches of 50: one transaction accepts what takes the worker 50, so the kill surely finds a
    // backlog however loaded the machine is.
    let acked = Mutex::new(Vec::new());
    let writer = |w: usize| {
        let (addr, scene_id, acked) = (first.addr.clone(), scene_id.clone(), &acked);
        async move {
            for k in 0..100 {
                let Some(ids) = post_batch_to(&addr, &scene_id, w * 10_000 + k * 50, 50).await else { return };
                acked.lock().unwrap().extend(ids);
            }
        }
    };
    let killer = async {
        while acked.lock().unwrap().len() < 300 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        first.kill_9();
    };
    futures_util::future::join(futures_util::future::join_all((0..4).map(writer)), killer).await;
    let acked = acked.into_inner().unwrap();
    let waiting = lead_ingestion::Entity::find()
        .filter(lead_ingestion::Column::Status.eq("ACCEPTED"))
        .all(&db.db)
        .await
        .unwrap()
        .len();
    assert!(waiting > 0, "the kill came after the worker caught up: nothing was left mid-batch");

    let _second = db.serve(&UNLIMITED);
    let rows = drained(&db.db).await;
    for id in &acked {
        assert!(rows.iter().any(|r| &r.ingestion_id == id), "acknowledged ingestion {id} is lost");
    }
    processed_exactly_once(&db.db, &rows).await;
}

#[tokio::test]
async fn a_batch_is_accepted_at_once_answered_in_order_replayed_by_its_key_and_each_submission_processed() {
    let app = TestApp::spawn().await;
    let form = web_form_scene(&app).await;
    let item = |i: usize| json!({ "scene_config_id": form, "submission_data": { "name": format!("批量{i}"), "contact": { "phone": format!("1390000{i:04}") } } });
    let mut items: Vec<Value> = (0..3).map(item).collect();
    items.push(json!({ "scene_type": "WEB_FORM", "submission_data": { "name": "按类型", "contact": { "phone": "13900009999" } } }));
    let body = json!({ "submissions": items }).to_string();
    let (status, first) = crate::acquisition::post(&app, &ingest_token(), Some("batch-1"), body.as_bytes()).await;
    assert_eq!(status, 202, "{first}");
    let ids: Vec<String> = first["ingestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ingestion_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(first["ingestions"][0]["status_url"], format!("/api/v1/leads/ingestions/{}", ids[0]));
    let (status, again) = crate::acquisition::post(&app, &ingest_token(), Some("batch-1"), body.as_bytes()).await;
    assert_eq!((status, &again), (202, &first), "the same key and body: the same ingestions");
    let other = json!({ "submissions": [item(7)] }).to_string();
    let (status, refused) = crate::acquisition::post(&app, &ingest_token(), Some("batch-1"), other.as_bytes()).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("IDEMPOTENCY_KEY_REUSED")), "{refused}");
    for (i, id) in ids.iter().enumerate() {
        let done = finished(&app, id).await;
        assert_eq!(done["status"], "PROCESSED", "submission {i}: {done}");
    }
    assert_eq!(app.data("{ leads { totalCount } }", json!({})).await["leads"]["totalCount"], 4);
}

#[tokio::test]
async fn a_batch_with_one_bad_submission_or_of_a_bad_size_is_refused_naming_it_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let form = web_form_scene(&app).await;
    let good =
        json!({ "scene_config_id": form, "submission_data": { "name": "好", "contact": { "phone": "13900000001" } } });
    let before = snapshot(&app, &[], |_, _| {}).await;
    let cases = [
        (
            json!({ "submissions": [good, good, { "scene_config_id": "SCN_NOPE", "submission_data": {} }] }),
            422,
            "SCENE_NOT_FOUND",
            "submissions[2]",
        ),
        (
            json!({ "submissions": [good, { "scene_config_id": form, "submission_data": [1] }] }),
            400,
            "MALFORMED_REQUEST",
            "submissions[1]",
        ),
        (json!({ "submissions": [] }), 400, "MALFORMED_REQUEST", "1 to 1000"),
        (json!({ "submissions": vec![good.clone(); 1001] }), 400, "MALFORMED_REQUEST", "1 to 1000"),
    ];
    for (body, status, code, names) in cases {
        let (got, answer) = crate::acquisition::post(&app, &ingest_token(), None, body.to_string().as_bytes()).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains(names), "{answer}");
    }
    assert_unchanged(&before, &snapshot(&app, &[], |_, _| {}).await);
}

/// Every decision a round makes, one ingestion each, in one REST batch (order matters: later
/// submissions see the leads earlier ones create).
fn differential_batch(form: &str, any: &str, open: &str) -> Value {
    let item = |scene: &str, data: Value| json!({ "scene_config_id": scene, "submission_data": data, "meta": { "ip": "203.0.113.9", "user_agent": "test", "submission_url": "https://shop.test/form?utm_source=x&utm_campaign=d" } });
    let person = |name: &str, phone: &str| json!({ "name": name, "contact": { "phone": phone } });
    let with = |mut v: Value, k: &str, x: &str| {
        if k == "email" {
            v["contact"]["email"] = json!(x);
        } else {
            v[k] = json!(x);
        }
        v
    };
    json!({ "submissions": [
        // A new lead, then two duplicates of it in the same round: a new and a known openid.
        item(form, with(person("张伟", "13800138000"), "openid", "o6_a")),
        item(form, with(person("张伟", "138 0013 8000"), "openid", "o6_b")),
        item(form, with(person("张伟", "+86 13800138000"), "openid", "o6_a")),
        // A known contact by phone; a duplicate of a lead stored before the round.
        item(form, person("王芳", "13912345678")),
        item(form, person("老客户", "13700000000")),
        // The submitter's errors.
        item(form, json!({ "contact": { "phone": "13711111111" } })),
        item(form, person("号码错", "12345")),
        // BY_PHONE_OR_EMAIL: a known contact by e-mail, then a duplicate by e-mail alone.
        item(any, with(person("邮件一", "13500000001"), "email", "known@corp.test")),
        item(any, with(person("邮件二", "13500000002"), "email", "KNOWN@corp.test")),
        // A known contact by channel identity alone.
        item(form, with(person("微信访客", "13500000003"), "openid", "o6_wx_known")),
        // NO_CHECK: one phone three times; the third finds it shared by more than the cap (2).
        item(open, person("总机一", "13600000000")),
        item(open, person("总机二", "13600000000")),
        item(open, person("总机三", "13600000000")),
        // NO_CHECK creates a second lead of a phone; BY_PHONE then finds the earliest.
        item(open, person("张伟二", "13800138000")),
        item(form, person("张伟三", "13800138000")),
    ] })
}

/// Runs [`differential_batch`] on a fresh server processing `batch` ingestions per round: every
/// outcome, step log and written row (ids replaced by their order of appearance, times left out),
/// and the statements the server ran from accepting the batch to its last outcome.
async fn decide_the_same_batch(batch: usize) -> (String, u64) {
    let app = TestApp::spawn_with(|c| {
        c.ingestion.batch = batch;
        // One worker: the comparison is of the decisions in claim order. Concurrent workers (two
        // replicas, or CDP_INGESTION_WORKERS) may decide which of two same-phone submissions came
        // first differently; the multi-process tests cover them.
        c.ingestion.workers = 1;
        c.identity_max_shared_key = 2;
    })
    .await;
    let form = web_form_scene(&app).await;
    let any = scene(&app, "API_IMPORT", "BY_PHONE_OR_EMAIL", true).await;
    let open = scene(&app, "QR_CODE_SCAN", "NO_CHECK", true).await;
    for s in [&form, &any, &open] {
        set_rules(&app, s, rules_with_openid()).await;
    }
    known_contact(&app, Some("13912345678")).await;
    let mut mail = fixtures::contact("CNT_MAIL", "邮件客户", None);
    mail.email = Some("known@corp.test".into());
    let mut switchboard = fixtures::contact("CNT_SW", "前台", None);
    switchboard.mobile_phone = Some("13600000000".into());
    let wx = fixtures::contact("CNT_WX", "微信客户", None);
    fixtures::insert_sealed(&app.db, &app.pii(), vec![mail, switchboard, wx]).await;
    hold_openid(&app, "CNT_WX").await;
    let stored = submit(&app, &form, json!({ "name": "老客户", "contact": { "phone": "13700000000" } })).await;
    assert_eq!(finished(&app, &stored).await["status"], "PROCESSED");

    let before = app.statements().await;
    let body = differential_batch(&form, &any, &open).to_string();
    let (status, answer) = crate::acquisition::post(&app, &ingest_token(), Some("diff"), body.as_bytes()).await;
    assert_eq!(status, 202, "{answer}");
    let rows = drained(&app.db).await;
    let statements = app.statements().await - before;

    let mut rows: Vec<lead_ingestion::Model> =
        rows.into_iter().filter(|r| r.idempotency_key.as_deref() == Some("diff")).collect();
    rows.sort_by_key(|r| r.batch_index);
    let mut out = Vec::new();
    let mut shown = std::collections::HashSet::new();
    for r in &rows {
        out.push(json!({ "status": r.status, "lead": r.lead_id, "duplicateOf": r.duplicate_of, "reasons": r.reasons, "steps": r.steps, "attempts": r.attempts }));
        let Some(lead_id) = r.lead_id.clone().or(r.duplicate_of.clone()) else { continue };
        if !shown.insert(lead_id.clone()) {
            continue;
        }
        let lead = entity::lead::Entity::find_by_id(lead_id.clone()).one(&app.db).await.unwrap().unwrap();
        let by_lead = |c| touchpoint::Column::LeadId.eq(c);
        let mut tps = touchpoint::Entity::find().filter(by_lead(lead_id.clone())).all(&app.db).await.unwrap();
        tps.sort_by_key(|t| t.metadata.as_ref().map(|m| m["ingestionId"].to_string()));
        let mut evs =
            event::Entity::find().filter(event::Column::LeadId.eq(lead_id.clone())).all(&app.db).await.unwrap();
        evs.sort_by_key(|e| e.event_properties.as_ref().map(|p| p["ingestionId"].to_string()));
        let mut lcis = lead_channel_identity::Entity::find()
            .filter(lead_channel_identity::Column::LeadId.eq(lead_id.clone()))
            .all(&app.db)
            .await
            .unwrap();
        lcis.sort_by(|a, b| a.channel_user_id.cmp(&b.channel_user_id));
        out.push(json!({
            "lead": lead_id,
            "row": [lead.lead_name, lead.company_name, lead.lead_source.as_str(), lead.lead_status.as_str(), lead.lead_score, lead.is_qualified, lead.channel_id, lead.campaign_id, lead.owner_user_id, lead.custom_fields, lead.wechat_id_bidx.is_some(), lead.mobile_phone_bidx.is_some(), lead.email_bidx.is_some(), lead.converted_contact_id],
            "touchpoints": tps.iter().map(|t| json!([t.touchpoint_type.as_str(), t.subject, t.contact_id, t.channel_id, t.metadata, t.utm_params])).collect::<Vec<_>>(),
            "events": evs.iter().map(|e| json!([e.event_name, e.contact_id, e.channel_id, e.ip_address, e.page_url, e.event_properties, e.utm_params])).collect::<Vec<_>>(),
            "identities": lcis.iter().map(|i| json!([i.channel_id, i.channel_user_id, i.utm_params])).collect::<Vec<_>>(),
        }));
    }
    (renumber_ids(&serde_json::to_string_pretty(&out).unwrap()), statements)
}

/// `text` with every generated id (`PREFIX_` + a 26-character ULID) replaced by `#n`, its order of
/// first appearance: two runs that made the same decisions read the same.
fn renumber_ids(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut seen: Vec<String> = Vec::new();
    let (mut out, mut i) = (String::new(), 0);
    while i < chars.len() {
        let prefix_len = chars[i..].iter().take_while(|c| c.is_ascii_uppercase()).count();
        let start = i + prefix_len;
        let ulid = chars.get(start + 1..start + 27).unwrap_or_default();
        let at_word_start = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if at_word_start
            && (2..=5).contains(&prefix_len)
            && chars.get(start) == Some(&'_')
            && ulid.len() == 26
            && ulid.iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            && !chars.get(start + 27).is_some_and(|c| c.is_ascii_alphanumeric())
        {
            let id: String = chars[i..start + 27].iter().collect();
            let n = seen.iter().position(|s| *s == id).unwrap_or_else(|| {
                seen.push(id.clone());
                seen.len() - 1
            });
            out.push_str(&format!("{}#{n}", &id[..prefix_len]));
            i = start + 27;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[tokio::test]
async fn a_round_of_many_ingestions_decides_and_writes_exactly_as_one_at_a_time_in_far_fewer_statements() {
    let (one_at_a_time, one_statements) = decide_the_same_batch(1).await;
    let (in_one_round, round_statements) = decide_the_same_batch(100).await;
    if one_at_a_time != in_one_round {
        let first = one_at_a_time.lines().zip(in_one_round.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "the paths differ from line {first}:\n--- one at a time\n{}\n--- one round\n{}",
            one_at_a_time.lines().skip(first.saturating_sub(5)).take(20).collect::<Vec<_>>().join("\n"),
            in_one_round.lines().skip(first.saturating_sub(5)).take(20).collect::<Vec<_>>().join("\n"),
        );
    }
    // The scenario covers what it claims (so the comparison is not of two empty answers).
    for needle in [
        "\"PROCESSED\"",
        "\"DUPLICATE_OF\"",
        "\"REJECTED\"",
        "known contact CNT_KNOWN by mobilePhone",
        "known contact CNT_MAIL by email",
        "known contact CNT_WX by channelIdentity",
        "known contact CNT_SW by mobilePhone",
        "already recorded in CH_FORM",
        "by email",
    ] {
        assert!(in_one_round.contains(needle), "{needle} missing from {in_one_round}");
    }
    assert_eq!(in_one_round.matches("known contact CNT_SW").count(), 2, "the third sharer finds the key shared");
    assert!(
        round_statements * 3 < one_statements,
        "one round: {round_statements} statements; one at a time: {one_statements}"
    );
}

#[tokio::test]
async fn a_round_with_a_submission_the_model_refuses_dead_letters_only_that_one_and_processes_the_rest() {
    let app = TestApp::spawn().await;
    let good = web_form_scene(&app).await;
    let bad = scene(&app, "API_IMPORT", "BY_PHONE", true).await;
    // No rule fills leadName: only the write refuses these (mapping succeeds).
    set_rules(&app, &bad, json!([{ "target": "mobilePhone", "source": "contact.phone", "required": true }])).await;
    let items: Vec<Value> = [(&good, "13800000001"), (&bad, "13800000002"), (&good, "13800000003")]
        .iter()
        .map(|(s, phone)| json!({ "scene_config_id": s, "submission_data": { "name": "客户", "contact": { "phone": phone } } }))
        .collect();
    let body = json!({ "submissions": items }).to_string();
    let (status, answer) = crate::acquisition::post(&app, &ingest_token(), Some("mixed"), body.as_bytes()).await;
    assert_eq!(status, 202, "{answer}");
    let mut rows = drained(&app.db).await;
    rows.sort_by_key(|r| r.batch_index);
    let statuses: Vec<&str> = rows.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(statuses, ["PROCESSED", "DEAD_LETTERED", "PROCESSED"], "{rows:?}");
    assert!(rows.iter().all(|r| r.attempts == 1), "the failed round counts no attempt: {rows:?}");
    assert!(rows[1].reasons.as_ref().unwrap().to_string().contains("leadName"), "{rows:?}");
    assert_eq!(app.data("{ leads { totalCount } }", json!({})).await["leads"]["totalCount"], 2);
}
