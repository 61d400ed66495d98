//! Keyset paging: every row exactly once, in order, both directions, also while rows arrive.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::fixtures::{self, insert};
use crate::harness::{TestApp, error_code};

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String, $order: LeadOrderBy) {
  leads(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    edges { cursor node { leadId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

fn ids(page: &Value) -> Vec<String> {
    page["leads"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["leadId"].as_str().unwrap().to_string())
        .collect()
}

async fn walk_forward(app: &TestApp, order: Value, mut between: impl AsyncFnMut(usize)) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = Value::Null;
    for step in 0.. {
        let page = app.data(PAGE, json!({ "first": 37, "after": after, "order": order })).await;
        seen.extend(ids(&page));
        let info = &page["leads"]["pageInfo"];
        if !info["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = info["endCursor"].clone();
        between(step).await;
    }
    seen
}

async fn walk_backward(app: &TestApp, order: Value) -> Vec<String> {
    let mut seen = Vec::new();
    let mut before = Value::Null;
    loop {
        let page = app.data(PAGE, json!({ "last": 37, "before": before, "order": order })).await;
        let mut chunk = ids(&page);
        chunk.extend(seen);
        seen = chunk;
        let info = &page["leads"]["pageInfo"];
        if !info["hasPreviousPage"].as_bool().unwrap() {
            break;
        }
        before = info["startCursor"].clone();
    }
    seen
}

async fn thousand_leads(app: &TestApp) -> Vec<String> {
    // Scores repeat every 101 rows and 10 rows share each minute: ties exercise the id tie-breaker.
    let rows: Vec<_> = (0..1000)
        .map(|i| entity::lead::Model { created_at: fixtures::at((i / 10) as i64), ..fixtures::lead(i) })
        .collect();
    let ids = rows.iter().map(|l| l.lead_id.clone()).collect();
    insert(&app.db, rows).await;
    ids
}

#[tokio::test]
async fn paging_forwards_by_37_visits_each_of_1000_leads_once_in_order() {
    let app = TestApp::spawn().await;
    let all = thousand_leads(&app).await;
    let seen = walk_forward(&app, Value::Null, async |_| {}).await;
    assert_eq!(seen, all);
}

#[tokio::test]
async fn paging_backwards_by_37_visits_each_of_1000_leads_once_in_order() {
    let app = TestApp::spawn().await;
    let all = thousand_leads(&app).await;
    assert_eq!(walk_backward(&app, Value::Null).await, all);
}

#[tokio::test]
async fn paging_by_a_column_with_ties_uses_the_id_as_tie_breaker_both_ways() {
    let app = TestApp::spawn().await;
    let mut all = thousand_leads(&app).await;
    let order = json!({ "field": "CREATED_AT", "direction": "DESC" });
    let forward = walk_forward(&app, order.clone(), async |_| {}).await;
    // created_at DESC, then id DESC among equal timestamps.
    all.sort_by(|a, b| b.cmp(a));
    assert_eq!(forward, all);
    assert_eq!(walk_backward(&app, order).await, all);
}

#[tokio::test]
async fn paging_stays_exact_while_rows_are_inserted_between_pages() {
    let app = TestApp::spawn().await;
    let all = thousand_leads(&app).await;
    let db = app.db.clone();
    let order = json!({ "field": "LEAD_SCORE", "direction": "ASC" });
    let seen = walk_forward(&app, order, async move |step| {
        // New rows land both before and after the cursor position.
        let fresh = (0..5)
            .map(|k| entity::lead::Model { lead_score: (k * 25) as i32, ..fixtures::lead(10_000 + step * 10 + k) })
            .collect();
        insert(&db, fresh).await;
    })
    .await;
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no row is visited twice");
    for id in &all {
        assert!(unique.contains(id), "{id} was skipped");
    }
}

#[tokio::test]
async fn page_info_and_total_count_describe_the_slice() {
    let app = TestApp::spawn().await;
    insert(&app.db, (0..5).map(fixtures::lead).collect()).await;
    let page = app
        .data("{ leads(first: 2) { totalCount nodes { leadId } pageInfo { hasNextPage hasPreviousPage } } }", json!({}))
        .await;
    assert_eq!(page["leads"]["totalCount"], 5);
    assert_eq!(page["leads"]["pageInfo"], json!({ "hasNextPage": true, "hasPreviousPage": false }));
    let empty = app.data("{ leads(first: 0) { nodes { leadId } pageInfo { hasNextPage } } }", json!({})).await;
    assert_eq!(empty["leads"]["nodes"], json!([]));
}

#[tokio::test]
async fn a_cursor_from_another_ordering_is_refused() {
    let app = TestApp::spawn().await;
    insert(&app.db, (0..5).map(fixtures::lead).collect()).await;
    let page = app.data(PAGE, json!({ "first": 2 })).await;
    let cursor = page["leads"]["pageInfo"]["endCursor"].clone();
    let body = app.gql(PAGE, json!({ "first": 2, "after": cursor, "order": { "field": "LEAD_SCORE" } })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn paging_through_a_nullable_column_crosses_into_the_nulls_both_ways() {
    let app = TestApp::spawn().await;
    // Every third lead has no company: the NULL block sorts last in both directions.
    let rows: Vec<_> = (0..40)
        .map(|i| entity::lead::Model {
            company_name: (i % 3 != 0).then(|| format!("公司{:02}", i % 7)),
            ..fixtures::lead(i)
        })
        .collect();
    let mut expected_asc: Vec<(Option<String>, String)> =
        rows.iter().map(|l| (l.company_name.clone(), l.lead_id.clone())).collect();
    insert(&app.db, rows).await;
    // (col IS NULL, col, id): non-null ascending by (name, id), then NULLs by id.
    expected_asc.sort_by(|a, b| (a.0.is_none(), &a.0, &a.1).cmp(&(b.0.is_none(), &b.0, &b.1)));
    let asc: Vec<String> = expected_asc.iter().map(|r| r.1.clone()).collect();
    let order = json!({ "field": "COMPANY_NAME", "direction": "ASC" });
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.data(PAGE, json!({ "first": 4, "after": after, "order": order })).await;
        seen.extend(ids(&page));
        if !page["leads"]["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = page["leads"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, asc);
    let mut back = Vec::new();
    let mut before = Value::Null;
    loop {
        let page = app.data(PAGE, json!({ "last": 4, "before": before, "order": order })).await;
        let mut chunk = ids(&page);
        chunk.extend(back);
        back = chunk;
        if !page["leads"]["pageInfo"]["hasPreviousPage"].as_bool().unwrap() {
            break;
        }
        before = page["leads"]["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(back, asc);
    // Descending: non-null descending by (name, id), NULLs still last, by id descending.
    let desc_order = json!({ "field": "COMPANY_NAME", "direction": "DESC" });
    let mut expected_desc = expected_asc.clone();
    expected_desc.sort_by(|a, b| (a.0.is_none(), &b.0, &b.1).cmp(&(b.0.is_none(), &a.0, &a.1)));
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.data(PAGE, json!({ "first": 4, "after": after, "order": desc_order })).await;
        seen.extend(ids(&page));
        if !page["leads"]["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = page["leads"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, expected_desc.iter().map(|r| r.1.clone()).collect::<Vec<_>>());
}

/// Every slice of a nested list under each of several parents, against that parent's part of the
/// root list in the same order (nested pages are one statement per level: LATERAL per parent on
/// PostgreSQL, a window on SQLite). `member(parent, node)` says whether a root-list node is one of
/// the parent's.
async fn nested_slices_match_the_root_list(
    app: &TestApp,
    (list, order_type, fields): (&str, &str, &str),
    orders: &[Value],
    member: impl Fn(&str, &Value) -> bool,
) {
    const N: usize = 4;
    let parents = ["ACC_0", "ACC_1", "ACC_2", "ACC_3"];
    for order in orders {
        let root = format!(
            "query($o: {order_type}) {{ {list}(orderBy: $o, first: 500) {{ edges {{ cursor node {{ {fields} }} }} }} }}"
        );
        let root = app.data(&root, json!({ "o": order })).await;
        let all = root[list]["edges"].as_array().unwrap().clone();
        let id_field = fields.split_whitespace().next().unwrap();
        let nested = format!(
            "query($o: {order_type}, $f: Int, $a: String, $l: Int, $b: String) {{ accounts(first: 10) {{ nodes {{ accountId
               {list}(orderBy: $o, first: $f, after: $a, last: $l, before: $b) {{ nodes {{ {id_field} }} pageInfo {{ hasNextPage hasPreviousPage }} }} }} }} }}"
        );
        let positions = [None, Some(0), Some(9), Some(all.len() / 2), Some(all.len() - 3), Some(all.len() - 1)];
        for (backward, at) in [false, true].into_iter().flat_map(|b| positions.map(|p| (b, p))) {
            let cursor = at.map(|k| all[k]["cursor"].clone()).unwrap_or(Value::Null);
            let vars = if backward {
                json!({ "o": order, "l": N, "b": cursor })
            } else {
                json!({ "o": order, "f": N, "a": cursor })
            };
            let got = app.data(&nested, vars).await;
            let got = got["accounts"]["nodes"].as_array().unwrap();
            assert_eq!(got.len(), parents.len());
            for (parent, got) in parents.iter().zip(got) {
                assert_eq!(got["accountId"], *parent);
                let window = match (backward, at) {
                    (false, Some(k)) => &all[k + 1..],
                    (true, Some(k)) => &all[..k],
                    (_, None) => &all[..],
                };
                let mine: Vec<&Value> = window.iter().map(|e| &e["node"]).filter(|n| member(parent, n)).collect();
                let page = if backward { &mine[mine.len().saturating_sub(N)..] } else { &mine[..mine.len().min(N)] };
                let more = mine.len() > N;
                let expected = json!({
                    "nodes": page.iter().map(|n| json!({ id_field: n[id_field] })).collect::<Vec<_>>(),
                    "pageInfo": {
                        "hasNextPage": if backward { at.is_some() } else { more },
                        "hasPreviousPage": if backward { more } else { at.is_some() },
                    },
                });
                assert_eq!(
                    got[list], expected,
                    "{list} of {parent}, order {order}, backward {backward}, cursor at {at:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn nested_pages_are_each_parents_slice_of_the_list_in_every_direction() {
    let app = TestApp::spawn().await;
    // ACC_3 has nothing. Touchpoints share times three by three, a quarter have no subject, some
    // belong to no account; contacts hang off one or two accounts through the relation table, a
    // third of them without a job title.
    insert(&app.db, (0..4).map(|a| fixtures::account(&format!("ACC_{a}"), &format!("公司{a}"))).collect()).await;
    let touchpoints = (0..60)
        .map(|i| entity::touchpoint::Model {
            account_id: (i % 10 != 9).then(|| format!("ACC_{}", i % 3)),
            subject: (i % 4 != 0).then(|| format!("s{}", i % 5)),
            ..fixtures::touchpoint(&format!("TP_{i:02}"), (i / 3) as i64)
        })
        .collect();
    insert(&app.db, touchpoints).await;
    let contacts = (0..24)
        .map(|i| entity::contact::Model {
            job_title: (i % 3 != 0).then(|| format!("t{}", i % 4)),
            ..fixtures::contact(&format!("CNT_{i:02}"), &format!("联系人{i}"), None)
        })
        .collect();
    insert(&app.db, contacts).await;
    let mut related = HashSet::new();
    for i in 0..24 {
        related.insert((format!("ACC_{}", i % 3), format!("CNT_{i:02}")));
        if i % 2 == 0 {
            related.insert((format!("ACC_{}", (i + 1) % 3), format!("CNT_{i:02}")));
        }
    }
    let relations = related.iter().enumerate().map(|(k, (a, c))| fixtures::acr(&format!("ACR_{k:02}"), a, c)).collect();
    insert(&app.db, relations).await;

    let by = |field: &str, direction: &str| json!({ "field": field, "direction": direction });
    let touchpoint_orders = [
        Value::Null,
        by("TOUCHPOINT_TIME", "DESC"),
        by("TOUCHPOINT_TIME", "ASC"),
        by("SUBJECT", "ASC"),
        by("SUBJECT", "DESC"),
    ];
    nested_slices_match_the_root_list(
        &app,
        ("touchpoints", "TouchpointOrderBy", "touchpointId accountId"),
        &touchpoint_orders,
        |parent, n| n["accountId"] == parent,
    )
    .await;
    let contact_orders = [Value::Null, by("JOB_TITLE", "ASC"), by("JOB_TITLE", "DESC")];
    nested_slices_match_the_root_list(
        &app,
        ("contacts", "ContactOrderBy", "contactId"),
        &contact_orders,
        |parent, n| related.contains(&(parent.to_string(), n["contactId"].as_str().unwrap().to_string())),
    )
    .await;
}
