//! The compiled read path (`CDP_READ_PLANNER=on`: each root query field compiled into one SQL
//! statement) answers exactly like the per-field resolvers (`off`). Two servers share one demo
//! database, one with each setting; every operation is posted to both, one after the other, with
//! the same JSON body, and the HTTP status and the raw bodies must be equal byte for byte — key
//! order, masked values and errors included.
//!
//! The operations are random, built from the live schema (introspection, no hand list) and from
//! the values earlier answers held:
//! - 1–3 root fields among the root lists `xs(filter, orderBy, first/last, after/before)`, the
//!   by-id fields `x(id:)` (a known id, sometimes an unknown one or another type's) and `node(id:)`;
//! - selections of columns, `id`, `__typename`, to-one relations, polymorphic relations (`Node`,
//!   with inline fragments on a few types) and nested connections with arguments of their own
//!   (`edges { cursor node }`, `nodes`, `pageInfo`, `totalCount`), four entities deep at most;
//! - filters with per-column operators on harvested values (strings, enums, numbers, times),
//!   `isNull`, relation filters and `and`/`or`/`not`; orders on random fields both ways; page sizes
//!   0 and 1 and up; cursors of earlier pages of the same order (now and then another order's,
//!   which both must refuse alike);
//! - aliases (the same field twice with different arguments too), named fragments, inline
//!   fragments on the concrete type, `@include`/`@skip` on variables, arguments as typed variables
//!   or as literals.
//!
//! Every operation runs with three tokens: all scopes, all but `pii` (masked values) and a partner
//! restricted to two channels. So that the generator cannot decay into queries that only fail, at
//! least [`LEAST_CLEAN_SHARE`] of the operations must answer data without errors, and every kind
//! of selection and argument above must have been generated (the statistics are printed).
//!
//! Replay: `CDP_DIFF_SEED=<seed> cargo test --test api differential -- --nocapture` (the seed is
//! printed with the statistics and in every failure). The demo data is deterministic but for the
//! summaries' ids, which the database draws at random, so a replay generates the same operations
//! except where such an id (or an order by it) was harvested; each case draws from a stream of its
//! own, so such a difference does not reshuffle the cases after it. A failure also prints the
//! operation, its variables and the token, which replay it exactly.

use std::collections::BTreeMap;

use cdp360::auth::Scope;
use cdp360::config::Config;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use crate::harness::{self, TestApp};
use crate::schema_walk::{Schema, type_text};

/// Generated operations per run (each runs with the three tokens on both servers).
const OPERATIONS: usize = 1000;
/// The share of operations that must answer `data` without `errors` (full-access token).
const LEAST_CLEAN_SHARE: f64 = 0.8;
/// Entities nested in one another at most (a root entity is the first).
const DEEPEST_ENTITY: usize = 4;
/// Values, ids and cursors kept per pool (the newest).
const POOL_SIZE: usize = 24;
/// Characters of each body shown in a failure.
const SHOWN: usize = 2500;

#[tokio::test]
async fn the_compiled_read_path_answers_exactly_like_the_resolvers() {
    let seed: u64 = std::env::var("CDP_DIFF_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    let started = std::time::Instant::now();
    let compiled = TestApp::spawn_with_demo_data().await;
    let resolvers = compiled.spawn_beside(|config| config.read_planner = false).await;
    // The demo data's summaries are refreshed after it is written: nothing may change under the test.
    compiled.settle().await;
    resolvers.settle().await;
    let schema = Schema::load(&compiled).await;
    let model = Model::read(&schema);
    let servers = Servers { compiled: &compiled, resolvers: &resolvers, client: reqwest::Client::new() };
    let tokens = Token::all(&servers, &mut stream(seed, 0)).await;
    let limits = Config::for_database(String::new(), harness::test_secret()).limits;
    let mut pools = Pools::default();
    let mut stats = Stats::default();

    for (case, op) in model.first_pages().into_iter().enumerate() {
        servers.compare(seed, &format!("first page {case}"), &op, &tokens, &mut pools).await;
    }
    for case in 0..OPERATIONS {
        let mut rng = stream(seed, case as u64 + 1);
        let op = Generator::new(&model, &schema, &pools, &mut rng, &mut stats, limits.max_depth).operation();
        let answer = servers.compare(seed, &format!("case {case}"), &op, &tokens, &mut pools).await;
        stats.count_answer(&answer);
    }

    eprintln!("seed {seed}: {OPERATIONS} operations × 3 tokens in {:.1?}\n{stats:#?}", started.elapsed());
    stats.assert_not_hollow(seed);
    root_fields_were_compiled(&compiled, &resolvers, seed).await;
}

/// The comparison is only worth something if the planner answered: every root field of the
/// compiled server was compiled, but those whose arguments the resolvers refuse (their error is
/// the answer); the reference server compiled none.
async fn root_fields_were_compiled(compiled: &TestApp, resolvers: &TestApp, seed: u64) {
    let text = |app: &TestApp| {
        let url = app.url("/metrics");
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let (on, off) = (text(compiled).await, text(resolvers).await);
    const NAME: &str = "cdp360_read_root_fields_total";
    let count = |text: &str, labels: &str| harness::metric_value(text, &format!("{NAME}{{{labels}}}")).unwrap_or(0.0);
    let served = count(&on, r#"path="compiled",reason="""#);
    let refused = count(&on, r#"path="resolvers",reason="arguments""#);
    let fallbacks: Vec<&str> = on.lines().filter(|l| l.starts_with(&format!(r#"{NAME}{{path="resolvers""#))).collect();
    eprintln!("compiled root fields: {served}; left to the resolvers: {fallbacks:?}");
    assert!(served > 2.0 * OPERATIONS as f64, "seed {seed}: only {served} root fields were compiled");
    assert!(fallbacks.iter().all(|l| l.contains(r#"reason="arguments""#)), "seed {seed}: {fallbacks:?}");
    assert!(refused < served / 10.0, "seed {seed}: {refused} root fields had arguments the resolvers refuse");
    assert_eq!(count(&off, r#"path="compiled",reason="""#), 0.0, "the reference server compiled a root field");
}

/// The random stream of one case (0: the tokens): an answer that differs between runs does not
/// reshuffle the cases after it.
fn stream(seed: u64, case: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(case);
    rng
}

// ---------------------------------------------------------------------------------------------
// The two servers and the three tokens.

struct Servers<'a> {
    compiled: &'a TestApp,
    resolvers: &'a TestApp,
    client: reqwest::Client,
}

struct Token {
    kind: &'static str,
    bearer: String,
}

impl Token {
    /// All scopes; all but `pii`; a partner restricted to two channels of the data.
    async fn all(servers: &Servers<'_>, rng: &mut ChaCha8Rng) -> [Token; 3] {
        let everything = harness::token(&Scope::ALL, None);
        let data = servers.compiled.data("{ channels(first: 100) { nodes { id } } }", json!({})).await;
        let mut channels: Vec<&str> =
            data["channels"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
        assert!(channels.len() >= 2, "the demo data has channels: {data}");
        channels.shuffle(rng);
        let without_pii: Vec<Scope> = Scope::ALL.into_iter().filter(|s| *s != Scope::Pii).collect();
        [
            Token { kind: "all scopes", bearer: everything },
            Token { kind: "no pii scope", bearer: harness::token(&without_pii, None) },
            Token {
                kind: "partner of two channels",
                bearer: harness::token(&[Scope::Read, Scope::Pii], Some(&channels[..2])),
            },
        ]
    }
}

/// What the full-access token got for an operation.
struct Answer {
    clean: bool,
    first_error: Option<String>,
    /// JSON objects in `data` (records, edges, page infos…): the answers are not all empty.
    objects: usize,
}

impl Servers<'_> {
    /// Posts `op` with every token to both servers and asserts equal answers; harvests the
    /// full-access answer into `pools`.
    async fn compare(&self, seed: u64, case: &str, op: &Operation, tokens: &[Token], pools: &mut Pools) -> Answer {
        let body = json!({ "query": op.text(), "variables": op.variables() }).to_string();
        let mut full_access = None;
        for token in tokens {
            let compiled = self.post(self.compiled, token, &body).await;
            let resolvers = self.post(self.resolvers, token, &body).await;
            if compiled != resolvers {
                let again = self.post(self.compiled, token, &body).await;
                panic!("{}", difference(seed, case, op, token, &compiled, &resolvers, again == compiled));
            }
            full_access.get_or_insert(compiled.1);
        }
        let text = full_access.unwrap();
        let parsed: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("seed {seed}, {case}: the answer is not JSON ({e}): {text:.SHOWN$}"));
        pools.harvest(op, &parsed["data"]);
        Answer {
            clean: parsed.get("errors").is_none() && parsed["data"].is_object(),
            first_error: parsed["errors"][0]["message"].as_str().map(str::to_owned),
            objects: objects_in(&parsed["data"]),
        }
    }

    async fn post(&self, app: &TestApp, token: &Token, body: &str) -> (u16, String) {
        let res = self
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&token.bearer)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }
}

fn objects_in(value: &Value) -> usize {
    match value {
        Value::Object(fields) => 1 + fields.values().map(objects_in).sum::<usize>(),
        Value::Array(items) => items.iter().map(objects_in).sum(),
        _ => 0,
    }
}

/// The failure report: everything needed to replay and read the difference.
fn difference(
    seed: u64,
    case: &str,
    op: &Operation,
    token: &Token,
    compiled: &(u16, String),
    resolvers: &(u16, String),
    repeated: bool,
) -> String {
    let at = compiled.1.bytes().zip(resolvers.1.bytes()).take_while(|(a, b)| a == b).count();
    let from = compiled.1.floor_char_boundary(at.saturating_sub(200));
    format!(
        "the compiled read path answered differently (seed {seed}, replay with CDP_DIFF_SEED={seed})\n\
         {case}, token: {}\noperation:\n{}\nvariables: {}\n\
         status: compiled {} / resolvers {}; bodies differ from byte {at}, near: {:?}\n\
         asked again, the compiled path {} its answer\n\
         compiled:  {:.SHOWN$}\nresolvers: {:.SHOWN$}",
        token.kind,
        op.text(),
        op.variables(),
        compiled.0,
        resolvers.0,
        &compiled.1[from..compiled.1.ceil_char_boundary((at + 100).min(compiled.1.len()))],
        if repeated { "repeated" } else { "did not repeat" },
        compiled.1,
        resolvers.1,
    )
}

// ---------------------------------------------------------------------------------------------
// The schema as the generator needs it.

/// The entities (object types implementing `Node`) and their root fields, relations and filters.
struct Model {
    entities: BTreeMap<String, Entity>,
    /// Entity names, in order (random choices index this, never a map's iteration).
    names: Vec<String>,
    /// The type of `node(id:)`'s `id` argument.
    node_id: Value,
}

struct Entity {
    name: String,
    /// The root list `xs` and its arguments.
    list: String,
    list_args: Vec<(String, Value)>,
    /// The root field `x(id:)` and the type of its `id`.
    by_id: String,
    by_id_arg: Value,
    /// Leaf fields but `id`.
    columns: Vec<String>,
    to_one: Vec<(String, String)>,
    /// Fields of type `Node`.
    polymorphic: Vec<String>,
    nested: Vec<Nested>,
    filter: Vec<FilterField>,
    order: String,
}

/// A nested connection: its field, node type and arguments.
struct Nested {
    field: String,
    node: String,
    args: Vec<(String, Value)>,
}

/// A field of an entity's filter input.
struct FilterField {
    name: String,
    kind: FilterKind,
}

enum FilterKind {
    /// A column's operator input (`StringFilter`, `LeadStatusFilter`, …).
    Column(String),
    /// A to-one relation's filter, on its target entity.
    Relation(String),
    AndOr,
    Not,
}

impl Model {
    fn read(schema: &Schema) -> Model {
        let roots = schema.root_fields("QueryRoot");
        let node_types = schema.implementations("Node");
        let mut entities = BTreeMap::new();
        for name in &node_types {
            let list = roots.iter().find(|f| connection_node(schema, &f.returns).as_deref() == Some(name.as_str()));
            let by_id = roots.iter().find(|f| &f.returns == name && f.args.len() == 1 && f.args[0].0 == "id");
            let (Some(list), Some(by_id)) = (list, by_id) else { continue };
            let arg = |n: &str| list.args.iter().find(|(a, _)| a == n).map(|(_, t)| schema.named(t).clone());
            let filter = arg("filter").expect("a root list has a filter");
            let order = arg("orderBy").expect("a root list has an order");
            let mut entity = Entity {
                name: name.clone(),
                list: list.name.clone(),
                list_args: list.args.clone(),
                by_id: by_id.name.clone(),
                by_id_arg: by_id.args[0].1.clone(),
                columns: Vec::new(),
                to_one: Vec::new(),
                polymorphic: Vec::new(),
                nested: Vec::new(),
                filter: Vec::new(),
                order: order["name"].as_str().unwrap().to_owned(),
            };
            entity.read_fields(schema, &node_types);
            entity.read_filter(schema, &filter, &node_types);
            entities.insert(name.clone(), entity);
        }
        assert!(entities.len() > 30, "the entities are found by introspection: {:?}", entities.keys());
        let node = roots.iter().find(|f| f.name == "node").expect("node(id:)");
        Model { names: entities.keys().cloned().collect(), entities, node_id: node.args[0].1.clone() }
    }

    fn entity(&self, name: &str) -> &Entity {
        &self.entities[name]
    }

    /// The first page of every root list with every column, to start the pools.
    fn first_pages(&self) -> Vec<Operation> {
        self.entities
            .values()
            .map(|e| {
                let mut columns: Vec<Item> = e.columns.iter().map(|c| Item::leaf(c, Tag::column(&e.name, c))).collect();
                columns.insert(0, Item::leaf("id", Tag::Id(Some(e.name.clone()))));
                let edges = vec![
                    Item::leaf("cursor", Tag::Cursor { field: format!("QueryRoot.{}", e.list), order: String::new() }),
                    Item::Field(Field::new("node", Vec::new(), columns, Tag::Plain)),
                ];
                let list = Field::new(
                    &e.list,
                    vec![("first".into(), "10".into())],
                    vec![Item::Field(Field::new("edges", Vec::new(), edges, Tag::Plain))],
                    Tag::Plain,
                );
                Operation { roots: vec![Item::Field(list)], variables: Vec::new(), fragments: Vec::new() }
            })
            .collect()
    }
}

/// The node type of a connection type (`LeadConnection` → `Lead`), None for other types.
fn connection_node(schema: &Schema, type_name: &str) -> Option<String> {
    let fields = schema.get(type_name)["fields"].as_array()?;
    let nodes = fields.iter().find(|f| f["name"] == "nodes")?;
    fields
        .iter()
        .any(|f| f["name"] == "pageInfo")
        .then(|| schema.named(&nodes["type"])["name"].as_str().unwrap().into())
}

impl Entity {
    fn read_fields(&mut self, schema: &Schema, node_types: &[String]) {
        for field in schema.get(&self.name)["fields"].as_array().unwrap() {
            let name = field["name"].as_str().unwrap().to_owned();
            let target = schema.named(&field["type"]);
            let target_name = target["name"].as_str().unwrap().to_owned();
            match target["kind"].as_str().unwrap() {
                "SCALAR" | "ENUM" if name != "id" => self.columns.push(name),
                "INTERFACE" if target_name == "Node" => self.polymorphic.push(name),
                "OBJECT" => match connection_node(schema, &target_name) {
                    Some(node) => {
                        let args = field["args"].as_array().unwrap();
                        let args =
                            args.iter().map(|a| (a["name"].as_str().unwrap().into(), a["type"].clone())).collect();
                        self.nested.push(Nested { field: name, node, args });
                    }
                    None if node_types.contains(&target_name) => self.to_one.push((name, target_name)),
                    None => {}
                },
                _ => {}
            }
        }
    }

    fn read_filter(&mut self, schema: &Schema, filter: &Value, node_types: &[String]) {
        let own = filter["name"].as_str().unwrap();
        for field in filter["inputFields"].as_array().unwrap() {
            let name = field["name"].as_str().unwrap().to_owned();
            let named = schema.named(&field["type"]);
            if named["kind"] != "INPUT_OBJECT" {
                continue;
            }
            let input = named["name"].as_str().unwrap().to_owned();
            let relation = input.strip_suffix("Filter").filter(|target| node_types.iter().any(|n| n == target));
            let kind = match (name.as_str(), relation) {
                ("and" | "or", _) if input == own => FilterKind::AndOr,
                ("not", _) if input == own => FilterKind::Not,
                (_, Some(target)) => FilterKind::Relation(target.to_owned()),
                _ => FilterKind::Column(input),
            };
            self.filter.push(FilterField { name, kind });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Operations: a tree of selections that renders as GraphQL text and guides the harvest.

struct Operation {
    roots: Vec<Item>,
    /// Declared variables: name, type text, value.
    variables: Vec<(String, String, Value)>,
    fragments: Vec<Fragment>,
}

struct Fragment {
    name: String,
    on: String,
    selection: Vec<Item>,
}

enum Item {
    Field(Field),
    Inline {
        on: String,
        selection: Vec<Item>,
    },
    /// A spread of `Operation::fragments[i]`.
    Spread(usize),
}

struct Field {
    alias: Option<String>,
    name: String,
    /// Argument name and its text: a literal or `$variable`.
    args: Vec<(String, String)>,
    /// ` @include(if: $b1)`, or empty.
    directive: String,
    selection: Vec<Item>,
    tag: Tag,
}

/// What a field's value adds to the pools.
enum Tag {
    Plain,
    /// A column's value, a filter value for that column later.
    Column {
        entity: String,
        field: String,
    },
    /// An id, of this entity (None: the `__typename` beside it tells).
    Id(Option<String>),
    /// A cursor of a connection field (`QueryRoot.leads`, `Channel.leads`) in an order (the
    /// canonical JSON of `orderBy`, empty for the default order).
    Cursor {
        field: String,
        order: String,
    },
}

impl Tag {
    fn column(entity: &str, field: &str) -> Tag {
        Tag::Column { entity: entity.into(), field: field.into() }
    }
}

impl Field {
    fn new(name: &str, args: Vec<(String, String)>, selection: Vec<Item>, tag: Tag) -> Field {
        Field { alias: None, name: name.into(), args, directive: String::new(), selection, tag }
    }

    fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

impl Item {
    fn leaf(name: &str, tag: Tag) -> Item {
        Item::Field(Field::new(name, Vec::new(), Vec::new(), tag))
    }
}

impl Operation {
    fn text(&self) -> String {
        let mut out = String::from("query");
        if !self.variables.is_empty() {
            let declared: Vec<String> = self.variables.iter().map(|(n, t, _)| format!("${n}: {t}")).collect();
            out += &format!("({})", declared.join(", "));
        }
        out += &selection_text(&self.roots, &self.fragments);
        for fragment in &self.fragments {
            out += &format!(
                "\nfragment {} on {}{}",
                fragment.name,
                fragment.on,
                selection_text(&fragment.selection, &self.fragments)
            );
        }
        out
    }

    fn variables(&self) -> Value {
        Value::Object(self.variables.iter().map(|(n, _, v)| (n.clone(), v.clone())).collect())
    }
}

fn selection_text(items: &[Item], fragments: &[Fragment]) -> String {
    let items: Vec<String> = items
        .iter()
        .map(|item| match item {
            Item::Field(f) => {
                let alias = f.alias.as_ref().map(|a| format!("{a}: ")).unwrap_or_default();
                let args: Vec<String> = f.args.iter().map(|(n, v)| format!("{n}: {v}")).collect();
                let args = if args.is_empty() { String::new() } else { format!("({})", args.join(", ")) };
                let below =
                    if f.selection.is_empty() { String::new() } else { selection_text(&f.selection, fragments) };
                format!("{alias}{}{args}{}{below}", f.name, f.directive)
            }
            Item::Inline { on, selection } => format!("... on {on}{}", selection_text(selection, fragments)),
            Item::Spread(i) => format!("...{}", fragments[*i].name),
        })
        .collect();
    format!(" {{ {} }}", items.join(" "))
}

// ---------------------------------------------------------------------------------------------
// What earlier answers held.

#[derive(Default)]
struct Pools {
    /// Ids by entity.
    ids: BTreeMap<String, Vec<String>>,
    /// Column values by (entity, column).
    values: BTreeMap<(String, String), Vec<Value>>,
    /// Cursors by (connection field, order).
    cursors: BTreeMap<(String, String), Vec<String>>,
}

fn keep<T: PartialEq>(pool: &mut Vec<T>, value: T) {
    if !pool.contains(&value) {
        if pool.len() == POOL_SIZE {
            pool.remove(0);
        }
        pool.push(value);
    }
}

impl Pools {
    fn harvest(&mut self, op: &Operation, data: &Value) {
        if data.is_object() {
            self.walk(&op.roots, &op.fragments, data);
        }
    }

    fn walk(&mut self, items: &[Item], fragments: &[Fragment], object: &Value) {
        for item in items {
            match item {
                Item::Field(f) => {
                    if let Some(value) = object.get(f.key()) {
                        self.take(f, fragments, object, value);
                    }
                }
                Item::Inline { selection, .. } => self.walk(selection, fragments, object),
                Item::Spread(i) => self.walk(&fragments[*i].selection, fragments, object),
            }
        }
    }

    fn take(&mut self, field: &Field, fragments: &[Fragment], object: &Value, value: &Value) {
        match (value, &field.tag) {
            (Value::Null, _) => {}
            (Value::Array(items), _) => items.iter().for_each(|v| self.take(field, fragments, object, v)),
            (Value::Object(_), Tag::Plain) => self.walk(&field.selection, fragments, value),
            (Value::Object(_), _) => {}
            (_, Tag::Column { entity, field }) => {
                keep(self.values.entry((entity.clone(), field.clone())).or_default(), value.clone())
            }
            (Value::String(id), Tag::Id(entity)) => {
                let typename = object["__typename"].as_str();
                if let Some(entity) = entity.as_deref().or(typename) {
                    keep(self.ids.entry(entity.to_owned()).or_default(), id.clone());
                }
            }
            (Value::String(cursor), Tag::Cursor { field, order }) => {
                keep(self.cursors.entry((field.clone(), order.clone())).or_default(), cursor.clone())
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the operations exercised.

#[derive(Debug, Default)]
struct Stats {
    operations: usize,
    answered_data_without_errors: usize,
    objects_answered: usize,
    deepest_entity: usize,
    root_lists: usize,
    by_id_lookups: usize,
    unknown_ids: usize,
    node_lookups: usize,
    nested_connections: usize,
    to_one_relations: usize,
    polymorphic_relations: usize,
    inline_fragments_on_node: usize,
    inline_fragments_on_the_concrete_type: usize,
    named_fragments: usize,
    aliases: usize,
    same_field_twice: usize,
    variables: usize,
    include_or_skip: usize,
    cursors_reused: usize,
    cursors_of_another_order: usize,
    filters: usize,
    relation_filters: usize,
    and_or_not: usize,
    is_null: usize,
    orders: usize,
    edges: usize,
    nodes: usize,
    page_infos: usize,
    total_counts: usize,
    /// The first error's message of the operations that failed, by how often.
    first_errors: BTreeMap<String, usize>,
}

impl Stats {
    fn count_answer(&mut self, answer: &Answer) {
        self.operations += 1;
        self.answered_data_without_errors += answer.clean as usize;
        self.objects_answered += answer.objects;
        if let Some(message) = &answer.first_error {
            *self.first_errors.entry(message.chars().take(120).collect()).or_default() += 1;
        }
    }

    fn assert_not_hollow(&self, seed: u64) {
        let clean = self.answered_data_without_errors as f64 / self.operations as f64;
        assert!(
            clean >= LEAST_CLEAN_SHARE,
            "seed {seed}: only {:.0}% of the operations answered without errors",
            clean * 100.0
        );
        let exercised = [
            ("root lists", self.root_lists),
            ("by-id lookups", self.by_id_lookups),
            ("unknown ids", self.unknown_ids),
            ("node lookups", self.node_lookups),
            ("nested connections", self.nested_connections),
            ("to-one relations", self.to_one_relations),
            ("polymorphic relations", self.polymorphic_relations),
            ("inline fragments on Node", self.inline_fragments_on_node),
            ("inline fragments on the concrete type", self.inline_fragments_on_the_concrete_type),
            ("named fragments", self.named_fragments),
            ("aliases", self.aliases),
            ("the same field twice", self.same_field_twice),
            ("variables", self.variables),
            ("@include/@skip", self.include_or_skip),
            ("cursors reused", self.cursors_reused),
            ("cursors of another order", self.cursors_of_another_order),
            ("filters", self.filters),
            ("relation filters", self.relation_filters),
            ("and/or/not", self.and_or_not),
            ("isNull", self.is_null),
            ("orders", self.orders),
            ("edges", self.edges),
            ("nodes", self.nodes),
            ("pageInfo", self.page_infos),
            ("totalCount", self.total_counts),
        ];
        for (kind, count) in exercised {
            assert!(count > 0, "seed {seed}: no operation had {kind}");
        }
        assert_eq!(self.deepest_entity, DEEPEST_ENTITY, "seed {seed}: entities nested that deep");
        assert!(self.objects_answered > 10 * self.operations, "seed {seed}: the answers are mostly empty");
    }
}

// ---------------------------------------------------------------------------------------------
// The generator of one operation.

/// The response keys of one selection set: two fields may share a key only when they are the
/// same leaf field without arguments (anything else would not merge: GraphQL validation).
#[derive(Default)]
struct Keys(BTreeMap<String, String>);

struct Generator<'a> {
    model: &'a Model,
    schema: &'a Schema,
    pools: &'a Pools,
    rng: &'a mut ChaCha8Rng,
    stats: &'a mut Stats,
    max_depth: usize,
    variables: Vec<(String, String, Value)>,
    fragments: Vec<Fragment>,
    aliases: usize,
}

impl<'a> Generator<'a> {
    fn new(
        model: &'a Model,
        schema: &'a Schema,
        pools: &'a Pools,
        rng: &'a mut ChaCha8Rng,
        stats: &'a mut Stats,
        max_depth: usize,
    ) -> Self {
        Generator {
            model,
            schema,
            pools,
            rng,
            stats,
            max_depth,
            variables: Vec::new(),
            fragments: Vec::new(),
            aliases: 0,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn pick<'v, T>(&mut self, items: &'v [T]) -> &'v T {
        items.choose(self.rng).expect("a choice")
    }

    fn operation(mut self) -> Operation {
        let model = self.model;
        let mut keys = Keys::default();
        let mut roots = Vec::new();
        let mut previous: Option<(String, usize)> = None;
        for _ in 0..self.rng.random_range(1..=3) {
            // Now and then the previous root field again, with other arguments (under an alias).
            let (entity, kind) = match previous.take() {
                Some(again) if self.chance(0.2) => {
                    self.stats.same_field_twice += 1;
                    again
                }
                _ => (self.pick(&model.names).clone(), self.rng.random_range(0..10)),
            };
            let field = match kind {
                0..=5 => self.root_list(&entity),
                6..=8 => self.by_id(&entity),
                _ => self.node_by_id(),
            };
            roots.push(self.place(field, "QueryRoot", &mut keys));
            previous = Some((entity, kind));
        }
        Operation { roots, variables: self.variables, fragments: self.fragments }
    }

    /// Puts `field` into a selection set: under an alias when its key is taken (now and then
    /// anyway), with `@include`/`@skip` now and then.
    fn place(&mut self, mut field: Field, parent: &str, keys: &mut Keys) -> Item {
        let args: Vec<String> = field.args.iter().map(|(n, v)| format!("{n}:{v}")).collect();
        let signature = format!("{parent}.{}({})", field.name, args.join(","));
        let shareable = field.selection.is_empty() && args.is_empty();
        let taken = keys.0.get(&field.name).is_some_and(|s| !shareable || *s != signature);
        if taken || self.chance(0.08) {
            self.aliases += 1;
            self.stats.aliases += 1;
            field.alias = Some(format!("a{}", self.aliases));
        }
        keys.0.entry(field.key().to_owned()).or_insert(signature);
        // Not on `__typename`: async-graphql's validation does not see a variable used there and
        // reports it unused, listing such errors in hash order (which differs between servers).
        if field.name != "__typename" && self.chance(0.05) {
            let name = format!("b{}", self.variables.len());
            let (directive, value) = if self.chance(0.5) { ("include", true) } else { ("skip", false) };
            // Mostly the value that keeps the field, so the field still runs.
            let value = if self.chance(0.8) { value } else { !value };
            field.directive = format!(" @{directive}(if: ${name})");
            self.variables.push((name, "Boolean!".into(), json!(value)));
            self.stats.include_or_skip += 1;
        }
        Item::Field(field)
    }

    /// An argument's text: a declared variable or a literal.
    fn argument(&mut self, name: &str, ty: &Value, value: Value) -> (String, String) {
        if self.chance(0.35) {
            let variable = format!("v{}", self.variables.len());
            self.variables.push((variable.clone(), type_text(ty), value));
            self.stats.variables += 1;
            (name.into(), format!("${variable}"))
        } else {
            (name.into(), self.schema.literal(ty, &value))
        }
    }

    // -- root fields

    fn root_list(&mut self, entity: &str) -> Field {
        self.stats.root_lists += 1;
        let model = self.model;
        let e = model.entity(entity);
        let (args, order) = self.connection_args(&e.list_args, &format!("QueryRoot.{}", e.list), entity, true);
        let selection = self.connection_selection(&format!("QueryRoot.{}", e.list), entity, &order, 1, 1);
        Field::new(&e.list, args, selection, Tag::Plain)
    }

    fn by_id(&mut self, entity: &str) -> Field {
        self.stats.by_id_lookups += 1;
        let model = self.model;
        let e = model.entity(entity);
        let id = self.id_of(entity);
        let args = vec![self.argument("id", &e.by_id_arg, json!(id))];
        let selection = self.entity_selection(entity, 1, 2);
        Field::new(&e.by_id, args, selection, Tag::Plain)
    }

    fn node_by_id(&mut self) -> Field {
        self.stats.node_lookups += 1;
        let model = self.model;
        let entity = self.pick(&model.names).clone();
        let id = self.id_of(&entity);
        let args = vec![self.argument("id", &model.node_id, json!(id))];
        let selection = self.polymorphic_selection(Some(&entity), 1, 2);
        Field::new("node", args, selection, Tag::Plain)
    }

    /// Mostly a known id of `entity`; else an unknown one with its prefix, or another entity's.
    fn id_of(&mut self, entity: &str) -> String {
        let (model, pools) = (self.model, self.pools);
        let known = pools.ids.get(entity).filter(|ids| !ids.is_empty());
        match (known, self.rng.random_range(0..20)) {
            (Some(ids), 0..=17) => self.pick(ids).clone(),
            (Some(ids), 18) => {
                self.stats.unknown_ids += 1;
                let prefix = ids[0].split('_').next().unwrap_or("X").to_owned();
                format!("{prefix}_01JZZZZZZZZZZZZZZZZZZZZZZZ")
            }
            _ => {
                self.stats.unknown_ids += 1;
                let other = self.pick(&model.names).clone();
                let ids = pools.ids.get(&other).filter(|ids| !ids.is_empty());
                match ids {
                    Some(ids) => self.pick(ids).clone(),
                    None => "NOPE_01JZZZZZZZZZZZZZZZZZZZZZZZ".into(),
                }
            }
        }
    }

    // -- selections

    /// A selection set on `entity`, whose fields are at `depth`, `level` entities deep.
    fn entity_selection(&mut self, entity: &str, level: usize, depth: usize) -> Vec<Item> {
        self.stats.deepest_entity = self.stats.deepest_entity.max(level);
        let mut keys = Keys::default();
        let mut items = self.fields_of(entity, level, depth, &mut keys);
        if self.chance(0.1) {
            self.stats.named_fragments += 1;
            let selection = self.fields_of(entity, level, depth, &mut keys);
            let name = format!("F{}", self.fragments.len());
            self.fragments.push(Fragment { name, on: entity.into(), selection });
            let at = self.rng.random_range(0..=items.len());
            items.insert(at, Item::Spread(self.fragments.len() - 1));
        }
        if self.chance(0.1) {
            self.stats.inline_fragments_on_the_concrete_type += 1;
            let selection = self.fields_of(entity, level, depth, &mut keys);
            let at = self.rng.random_range(0..=items.len());
            items.insert(at, Item::Inline { on: entity.into(), selection });
        }
        items
    }

    /// `id`, `__typename`, columns and relations of `entity`, never none.
    fn fields_of(&mut self, entity: &str, level: usize, depth: usize, keys: &mut Keys) -> Vec<Item> {
        let mut items = Vec::new();
        if self.chance(0.6) {
            let id = Field::new("id", Vec::new(), Vec::new(), Tag::Id(Some(entity.into())));
            items.push(self.place(id, entity, keys));
        }
        if self.chance(0.2) {
            items.push(self.place(Field::new("__typename", Vec::new(), Vec::new(), Tag::Plain), "*", keys));
        }
        let model = self.model;
        let columns = &model.entity(entity).columns;
        for _ in 0..self.rng.random_range(usize::from(items.is_empty())..=4) {
            let column = self.pick(columns).clone();
            let field = Field::new(&column, Vec::new(), Vec::new(), Tag::column(entity, &column));
            items.push(self.place(field, entity, keys));
        }
        if level < DEEPEST_ENTITY {
            for _ in 0..self.rng.random_range(0..=2) {
                items.extend(self.relation(entity, level, depth, keys));
            }
        }
        items
    }

    /// One relation of `entity` (none when the depth allows none): to-one, polymorphic or a
    /// nested connection — now and then twice, with other arguments.
    fn relation(&mut self, entity: &str, level: usize, depth: usize, keys: &mut Keys) -> Vec<Item> {
        let model = self.model;
        let e = model.entity(entity);
        let below = depth < self.max_depth;
        match self.rng.random_range(0..3) {
            0 if below && !e.to_one.is_empty() => {
                self.stats.to_one_relations += 1;
                let (field, target) = self.pick(&e.to_one);
                let selection = self.entity_selection(target, level + 1, depth + 1);
                vec![self.place(Field::new(field, Vec::new(), selection, Tag::Plain), entity, keys)]
            }
            1 if below && !e.polymorphic.is_empty() => {
                self.stats.polymorphic_relations += 1;
                let field = self.pick(&e.polymorphic);
                let selection = self.polymorphic_selection(None, level + 1, depth + 1);
                vec![self.place(Field::new(field, Vec::new(), selection, Tag::Plain), entity, keys)]
            }
            _ if depth + 2 <= self.max_depth && !e.nested.is_empty() => {
                let nested = self.pick(&e.nested);
                let times = if self.chance(0.1) { 2 } else { 1 };
                self.stats.same_field_twice += times - 1;
                (0..times)
                    .map(|_| {
                        let field = self.nested_connection(entity, nested, level, depth);
                        self.place(field, entity, keys)
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    fn nested_connection(&mut self, entity: &str, nested: &Nested, level: usize, depth: usize) -> Field {
        self.stats.nested_connections += 1;
        let id = format!("{entity}.{}", nested.field);
        let (args, order) = self.connection_args(&nested.args, &id, &nested.node, false);
        let selection = self.connection_selection(&id, &nested.node, &order, level + 1, depth);
        Field::new(&nested.field, args, selection, Tag::Plain)
    }

    /// A selection on `Node`: `__typename`, maybe `id`, and inline fragments on one to three
    /// entities (`likely` among them mostly).
    fn polymorphic_selection(&mut self, likely: Option<&str>, level: usize, depth: usize) -> Vec<Item> {
        self.stats.deepest_entity = self.stats.deepest_entity.max(level);
        let mut keys = Keys::default();
        let mut items = vec![self.place(Field::new("__typename", Vec::new(), Vec::new(), Tag::Plain), "*", &mut keys)];
        if self.chance(0.7) {
            items.push(self.place(Field::new("id", Vec::new(), Vec::new(), Tag::Id(None)), "Node", &mut keys));
        }
        let mut types: Vec<String> = Vec::new();
        if let Some(likely) = likely.filter(|_| self.chance(0.8)) {
            types.push(likely.into());
        }
        let model = self.model;
        for _ in 0..self.rng.random_range(usize::from(types.is_empty())..=2) {
            let other = self.pick(&model.names).clone();
            if !types.contains(&other) {
                types.push(other);
            }
        }
        for on in types {
            self.stats.inline_fragments_on_node += 1;
            let selection = self.fields_of(&on, level, depth, &mut keys);
            items.push(Item::Inline { on, selection });
        }
        items
    }

    /// The selection of connection `field` (`edges`, `nodes`, `pageInfo`, `totalCount`, at least
    /// one), which is at `depth`.
    fn connection_selection(&mut self, field: &str, node: &str, order: &str, level: usize, depth: usize) -> Vec<Item> {
        let cursor = || Tag::Cursor { field: field.into(), order: order.into() };
        let mut items = Vec::new();
        while items.is_empty() {
            if depth + 3 <= self.max_depth && self.chance(0.55) {
                self.stats.edges += 1;
                let mut edge = Vec::new();
                if self.chance(0.6) {
                    edge.push(Item::leaf("cursor", cursor()));
                }
                if edge.is_empty() || self.chance(0.85) {
                    let selection = self.entity_selection(node, level, depth + 3);
                    edge.push(Item::Field(Field::new("node", Vec::new(), selection, Tag::Plain)));
                }
                items.push(Item::Field(Field::new("edges", Vec::new(), edge, Tag::Plain)));
            }
            if depth + 2 <= self.max_depth && self.chance(0.4) {
                self.stats.nodes += 1;
                let selection = self.entity_selection(node, level, depth + 2);
                items.push(Item::Field(Field::new("nodes", Vec::new(), selection, Tag::Plain)));
            }
            if self.chance(0.45) {
                self.stats.page_infos += 1;
                let mut info: Vec<Item> = Vec::new();
                for name in ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"] {
                    if self.chance(0.6) {
                        let tag = if name.ends_with("Cursor") { cursor() } else { Tag::Plain };
                        info.push(Item::leaf(name, tag));
                    }
                }
                if info.is_empty() {
                    info.push(Item::leaf("hasNextPage", Tag::Plain));
                }
                items.push(Item::Field(Field::new("pageInfo", Vec::new(), info, Tag::Plain)));
            }
            if self.chance(0.35) {
                self.stats.total_counts += 1;
                items.push(Item::leaf("totalCount", Tag::Plain));
            }
        }
        items
    }

    // -- arguments

    /// `filter`, `orderBy`, a page size and a cursor of connection `field`, each now and then
    /// (nested connections always get a size: 50 rows under each parent would be slow); the
    /// arguments' texts and the order's key.
    fn connection_args(
        &mut self,
        args: &[(String, Value)],
        field: &str,
        node: &str,
        root: bool,
    ) -> (Vec<(String, String)>, String) {
        let ty = |name: &str| args.iter().find(|(n, _)| n == name).map(|(_, t)| t.clone());
        let mut out = Vec::new();
        let mut order = String::new();
        if let Some(t) = ty("filter").filter(|_| self.chance(0.5)) {
            self.stats.filters += 1;
            let filter = self.filter(node, 0);
            out.push(self.argument("filter", &t, filter));
        }
        if let Some(t) = ty("orderBy").filter(|_| self.chance(0.5)) {
            self.stats.orders += 1;
            let value = self.order(node);
            order = value.to_string();
            out.push(self.argument("orderBy", &t, value));
        }
        let backward = self.chance(0.35);
        if !root || self.chance(0.85) {
            let sizes: &[i64] = if root { &[0, 1, 1, 2, 3, 5, 8] } else { &[0, 1, 1, 2, 3] };
            let size = *self.pick(sizes);
            let name = if backward { "last" } else { "first" };
            if let Some(t) = ty(name) {
                out.push(self.argument(name, &t, json!(size)));
            }
        }
        if self.chance(0.35)
            && let Some(cursor) = self.cursor(field, &order)
        {
            // Mostly the way the page reads, now and then the other way.
            let name = if backward != self.chance(0.15) { "before" } else { "after" };
            if let Some(t) = ty(name) {
                out.push(self.argument(name, &t, json!(cursor)));
            }
        }
        (out, order)
    }

    /// A cursor of an earlier page of connection `field` in this order; now and then another
    /// order's.
    fn cursor(&mut self, field: &str, order: &str) -> Option<String> {
        let pools = self.pools;
        if self.chance(0.1) {
            let others: Vec<&Vec<String>> =
                pools.cursors.iter().filter(|((f, o), _)| f == field && o != order).map(|(_, c)| c).collect();
            if let Some(pool) = others.choose(self.rng) {
                self.stats.cursors_of_another_order += 1;
                return Some(self.pick(pool).clone());
            }
        }
        let pool = pools.cursors.get(&(field.to_owned(), order.to_owned()))?;
        self.stats.cursors_reused += 1;
        Some(self.pick(pool).clone())
    }

    /// An `orderBy` value: a random field and direction.
    fn order(&mut self, node: &str) -> Value {
        let (schema, model) = (self.schema, self.model);
        let order = schema.get(&model.entity(node).order);
        let mut value = Map::new();
        for field in order["inputFields"].as_array().unwrap() {
            let values = schema.named(&field["type"])["enumValues"].as_array().expect("orderBy holds enums");
            value.insert(field["name"].as_str().unwrap().into(), self.pick(values)["name"].clone());
        }
        Value::Object(value)
    }

    /// A filter on `entity`: one or two conditions — a column's operators, a relation's filter,
    /// `and`/`or`/`not` — nested at most twice.
    fn filter(&mut self, entity: &str, nesting: usize) -> Value {
        let model = self.model;
        let fields = &model.entity(entity).filter;
        let mut filter = Map::new();
        for _ in 0..self.rng.random_range(1..=if nesting == 0 { 2 } else { 1 }) {
            let field = loop {
                let field = self.pick(fields);
                match field.kind {
                    FilterKind::Column(_) => break field,
                    _ if nesting < 2 && self.chance(0.25) => break field,
                    _ => {}
                }
            };
            let value = match &field.kind {
                FilterKind::Column(operators) => self.condition(entity, &field.name, operators),
                FilterKind::Relation(target) => {
                    self.stats.relation_filters += 1;
                    self.filter(target, nesting + 1)
                }
                FilterKind::AndOr => {
                    self.stats.and_or_not += 1;
                    Value::Array((0..self.rng.random_range(1..=2)).map(|_| self.filter(entity, nesting + 1)).collect())
                }
                FilterKind::Not => {
                    self.stats.and_or_not += 1;
                    self.filter(entity, nesting + 1)
                }
            };
            filter.insert(field.name.clone(), value);
        }
        Value::Object(filter)
    }

    /// One or two operators of a column's filter input, with values the column held.
    fn condition(&mut self, entity: &str, column: &str, operators: &str) -> Value {
        let schema = self.schema;
        let all = schema.get(operators)["inputFields"].as_array().unwrap();
        // A PII column is found through its blind index: no substring search (a refusal).
        let usable: Vec<&Value> = all
            .iter()
            .filter(|op| !(operators == "PiiFilter" && matches!(op["name"].as_str(), Some("contains" | "startsWith"))))
            .collect();
        let mut condition = Map::new();
        for _ in 0..if self.chance(0.2) { 2 } else { 1 } {
            let op = *self.pick(&usable);
            let name = op["name"].as_str().unwrap();
            let value = match name {
                "isNull" => {
                    self.stats.is_null += 1;
                    json!(self.chance(0.5))
                }
                "contains" | "startsWith" => json!(self.piece_of(entity, column)),
                _ if op["type"]["kind"] == "LIST" => {
                    Value::Array((0..self.rng.random_range(1..=3)).map(|_| self.value(entity, column, op)).collect())
                }
                _ => self.value(entity, column, op),
            };
            condition.insert(name.into(), value);
        }
        Value::Object(condition)
    }

    /// A value for operator `op` of `column`: an enum value, a boolean, or one the column held.
    fn value(&mut self, entity: &str, column: &str, op: &Value) -> Value {
        let (schema, pools) = (self.schema, self.pools);
        let named = schema.named(&op["type"]);
        if named["kind"] == "ENUM" {
            return self.pick(named["enumValues"].as_array().unwrap())["name"].clone();
        }
        let scalar = named["name"].as_str().unwrap();
        if scalar == "Boolean" {
            return json!(self.chance(0.5));
        }
        match pools.values.get(&(entity.to_owned(), column.to_owned())).filter(|v| !v.is_empty()) {
            Some(held) => self.pick(held).clone(),
            None => match scalar {
                "Int" => json!(self.rng.random_range(0..100)),
                "Decimal" => json!("100.00"),
                "DateTime" => json!("2026-01-01T00:00:00Z"),
                "Date" => json!("2026-01-01"),
                _ => json!("x"),
            },
        }
    }

    /// A few characters of a value the column held, in either case (matching ignores case).
    fn piece_of(&mut self, entity: &str, column: &str) -> String {
        let pools = self.pools;
        let held = pools.values.get(&(entity.to_owned(), column.to_owned()));
        let text = held.and_then(|v| v.choose(self.rng)).and_then(Value::as_str).unwrap_or("a").to_owned();
        let chars: Vec<char> = text.chars().collect();
        let from = self.rng.random_range(0..chars.len().max(1));
        let to = (from + self.rng.random_range(1..=3)).min(chars.len());
        let piece: String = chars[from.min(to)..to].iter().collect();
        if self.chance(0.3) { piece.to_uppercase() } else { piece }
    }
}
