//! Every root field of the live schema (queries and mutations, read by introspection, not from a
//! hand list), called with arbitrary arguments — hostile strings, NUL characters, extreme numbers,
//! impossible dates and times, deep and odd JSON — as variables and as literals. Whatever the
//! input, the answer is an answer: never `INTERNAL`, never an HTTP failure, and the server keeps
//! serving. `CDP_FUZZ_SEED` replays a run; the seed of every run is printed on failure.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use crate::fixtures::{self, insert};
use crate::harness::TestApp;
use crate::schema_walk::{Schema, type_text};

/// Calls per root field and shape (variables, literals).
const CASES: usize = 4;

const STRINGS: &[&str] = &[
    "",
    " ",
    "\u{0}",
    "a\u{0}b",
    "LEAD_000001",
    "ACC_1",
    "'; DROP TABLE lead; --",
    "%_\\",
    "\"quoted\"",
    "雷军 🚀",
    "\u{202e}rtl",
    "13800138000",
    "+86 138 0013 8000",
    "a@example.com",
    "https://example.com/?utm_source=x",
    "9999-12-31T23:59:60Z",
    "NaN",
    "-0",
];

const DATETIMES: &[&str] = &[
    "2026-01-01T00:00:00Z",
    "9999-12-31T23:59:60Z",
    "9999-12-31T23:59:59.999999999Z",
    "9999-12-31T23:00:00-05:00",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "+10000-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-01-01",
    "now",
];

const DATES: &[&str] = &["2026-01-01", "0000-01-01", "9999-12-31", "2026-02-30", "10000-01-01", "-0001-01-01", "x"];

const DECIMALS: &[&str] = &[
    "0",
    "-0",
    "1.005",
    "1e400",
    "-1e-400",
    "99999999999999999999999999999.99",
    "0.000000000000000000000000001",
    "NaN",
    "Infinity",
    "79228162514264337593543950336",
    "12abc",
];

/// A value for a type reference: its JSON form (for a variable) and its literal form.
struct Gen<'s> {
    schema: &'s Schema,
    rng: ChaCha8Rng,
}

impl Gen<'_> {
    fn value(&mut self, ty: &Value, depth: usize) -> (Value, String) {
        match ty["kind"].as_str().unwrap() {
            "NON_NULL" => self.value(&ty["ofType"], depth),
            "LIST" => {
                let n = if depth > 3 { 0 } else { self.rng.random_range(0..3) };
                let items: Vec<(Value, String)> = (0..n).map(|_| self.value(&ty["ofType"], depth + 1)).collect();
                let literal = format!("[{}]", items.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>().join(", "));
                (Value::Array(items.into_iter().map(|(j, _)| j).collect()), literal)
            }
            _ => {
                let named = self.schema.named(ty).clone();
                match named["kind"].as_str().unwrap() {
                    "ENUM" => {
                        let values = named["enumValues"].as_array().unwrap();
                        let v = values.choose(&mut self.rng).unwrap()["name"].as_str().unwrap().to_owned();
                        (json!(v), v)
                    }
                    "INPUT_OBJECT" => self.object(&named, depth),
                    _ => self.scalar(named["name"].as_str().unwrap(), depth),
                }
            }
        }
    }

    fn object(&mut self, named: &Value, depth: usize) -> (Value, String) {
        let mut json = Map::new();
        let mut literal = Vec::new();
        for field in named["inputFields"].as_array().unwrap() {
            let required = field["type"]["kind"] == "NON_NULL";
            // Deep inputs (filters' and/or/not) thin out with depth.
            let keep = if required {
                0.9
            } else if depth > 2 {
                0.05
            } else {
                0.3
            };
            if !self.rng.random_bool(keep) {
                continue;
            }
            let name = field["name"].as_str().unwrap().to_owned();
            let (j, l) = self.value(&field["type"], depth + 1);
            literal.push(format!("{name}: {l}"));
            json.insert(name, j);
        }
        (Value::Object(json), format!("{{{}}}", literal.join(", ")))
    }

    fn scalar(&mut self, name: &str, depth: usize) -> (Value, String) {
        let json = match name {
            "Int" => json!(*[0, 1, -1, i32::MAX, i32::MIN, 500, 501, 100_000].choose(&mut self.rng).unwrap()),
            "Float" => json!(*[0.0, -1.5, 1e300, f64::MIN_POSITIVE].choose(&mut self.rng).unwrap()),
            "Boolean" => json!(self.rng.random_bool(0.5)),
            "DateTime" => json!(DATETIMES.choose(&mut self.rng).unwrap()),
            "Date" => json!(DATES.choose(&mut self.rng).unwrap()),
            "Decimal" => json!(DECIMALS.choose(&mut self.rng).unwrap()),
            "JSON" => self.json(depth),
            _ => json!(self.string()),
        };
        let literal = to_literal(&json);
        (json, literal)
    }

    fn string(&mut self) -> String {
        match self.rng.random_range(0..10) {
            0 => "x".repeat(self.rng.random_range(60..20_000)),
            1 => (0..self.rng.random_range(1..40))
                .map(|_| char::from_u32(self.rng.random_range(1..0xD7FF)).unwrap_or('?'))
                .collect(),
            _ => STRINGS.choose(&mut self.rng).unwrap().to_string(),
        }
    }

    fn json(&mut self, depth: usize) -> Value {
        match if depth > 6 { self.rng.random_range(0..4) } else { self.rng.random_range(0..7) } {
            0 => Value::Null,
            1 => json!(self.rng.random_bool(0.5)),
            2 => json!(*[0.0, -1e308, 1e308, 12_345_678_901_234_567_890.0].choose(&mut self.rng).unwrap()),
            3 => json!(self.string()),
            4 | 5 => {
                let n = self.rng.random_range(0..4);
                Value::Object(
                    (0..n).map(|_| (self.string().chars().take(30).collect(), self.json(depth + 1))).collect(),
                )
            }
            _ => Value::Array((0..self.rng.random_range(0..4)).map(|_| self.json(depth + 1)).collect()),
        }
    }
}

/// A JSON value as a GraphQL literal (a JSON string is a valid GraphQL string literal).
fn to_literal(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let fields: Vec<String> =
                map.iter().filter(|(k, _)| is_name(k)).map(|(k, v)| format!("{k}: {}", to_literal(v))).collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(to_literal).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[tokio::test]
async fn no_argument_of_any_root_field_makes_the_server_fail() {
    let seed: u64 = std::env::var("CDP_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    let app = TestApp::spawn().await;
    insert(&app.db, vec![fixtures::channel("CH_A", entity::enums::ChannelType::Wechat)]).await;
    insert(&app.db, (1..=3).map(fixtures::lead).collect()).await;
    insert(&app.db, vec![fixtures::account("ACC_1", "华为")]).await;
    let schema = Schema::load(&app).await;
    let mut generator = Gen { schema: &schema, rng: ChaCha8Rng::seed_from_u64(seed) };
    let mut calls = 0;
    let mut codes = std::collections::BTreeMap::new();
    for (root, keyword) in [("QueryRoot", "query"), ("MutationRoot", "mutation")] {
        for field in schema.root_fields(root) {
            let selection = if field.returns_object { " { __typename }" } else { "" };
            for _ in 0..CASES {
                let mut args: Vec<(String, Value, String, String)> = Vec::new();
                for (name, ty) in &field.args {
                    if ty["kind"] == "NON_NULL" || generator.rng.random_bool(0.6) {
                        let (json, literal) = generator.value(ty, 0);
                        args.push((name.clone(), json, literal, type_text(ty)));
                    }
                }
                let declared: Vec<String> = args.iter().map(|(n, _, _, t)| format!("${n}: {t}")).collect();
                let passed: Vec<String> = args.iter().map(|(n, _, _, _)| format!("{n}: ${n}")).collect();
                let inlined: Vec<String> = args.iter().map(|(n, _, l, _)| format!("{n}: {l}")).collect();
                let wrap =
                    |list: &[String]| if list.is_empty() { String::new() } else { format!("({})", list.join(", ")) };
                let by_variables =
                    format!("{keyword}{} {{ {}{}{selection} }}", wrap(&declared), field.name, wrap(&passed));
                let variables: Map<String, Value> = args.iter().map(|(n, j, _, _)| (n.clone(), j.clone())).collect();
                let by_literals = format!("{keyword} {{ {}{}{selection} }}", field.name, wrap(&inlined));
                for (query, vars) in [(by_variables, Value::Object(variables)), (by_literals, json!({}))] {
                    let res = app
                        .client
                        .post(app.url("/graphql"))
                        .json(&json!({ "query": query, "variables": vars }))
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("seed {seed}: {} failed at the HTTP level: {e}", field.name));
                    let status = res.status();
                    let body: Value = res
                        .json()
                        .await
                        .unwrap_or_else(|e| panic!("seed {seed}: {} answered no JSON: {e}", field.name));
                    assert!(
                        !status.is_server_error(),
                        "seed {seed}: {status} for {query:.400} {vars:.400}: {body:.400}"
                    );
                    let internal =
                        body["errors"].as_array().into_iter().flatten().find(|e| e["extensions"]["code"] == "INTERNAL");
                    assert!(internal.is_none(), "seed {seed}: INTERNAL for {query:.600} with {vars:.600}: {body:.600}");
                    calls += 1;
                    let code = body["errors"][0]["extensions"]["code"].as_str().unwrap_or("OK").to_owned();
                    *codes.entry(code).or_insert(0usize) += 1;
                }
            }
        }
    }
    assert!(calls > 1000, "{calls} calls");
    eprintln!("seed {seed}: {calls} calls, answers by first error code: {codes:?}");
    // Still serving (the fuzzed mutations may have deleted any fixture, so no count is checked).
    assert!(app.data("{ leads { totalCount } }", json!({})).await["leads"]["totalCount"].is_number());
}
