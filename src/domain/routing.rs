//! A scene's routing rules (issue 16; README "Routing rules"): `auto_tagging_rules` and
//! `assignment_rules`, parsed when the scene is written (the catalogue's `AutoTaggingRules` and
//! `AssignmentRules` domains), each rule's condition in the language of [`super::rules`].
//!
//! * auto-tagging: `[{"name", "when": <condition>, "tags": [tag ids]}]`;
//! * assignment: `[{"name", "when": <condition>, "strategy": {"type", …}}]`, in order (the first
//!   matching rule routes). Strategies and their parameters:
//!   `ROUND_ROBIN` / `RANDOM` / `BY_LOAD`: `{"users": [ids], "teams": [ids]}` (at least one member);
//!   `WEIGHTED`: `{"weights": [{"user" | "team": id, "weight": 1..1000}]}`;
//!   `BY_REGION`: `{"regions": [{"province", "city"?, "users"?, "teams"?}]}`;
//!   `BY_ATTRIBUTE`: `{"routes": [{"when": <condition>, "team": id}]}`.
//!
//! The references (tags, users, teams) are returned with their paths for the service to check
//! against the database ([`TaggingRules::references`], [`AssignmentRules::references`]).

use serde_json::{Map, Value};

use super::DomainError;
use super::rules::{MAX_LIST, Rule, Source};

/// The most rules of one list.
pub const MAX_RULES: usize = 50;

/// What a rule references, checked to exist on save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Tag,
    User,
    Team,
}

/// A referenced record: the JSON path naming it, its kind, its id.
pub type Reference = (String, Target, String);

#[derive(Clone, Debug, PartialEq)]
pub struct TaggingRule {
    pub name: String,
    pub when: Rule,
    pub tags: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaggingRules(pub Vec<TaggingRule>);

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Member {
    User(String),
    Team(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Region {
    pub province: String,
    pub city: Option<String>,
    pub to: Vec<Member>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Strategy {
    RoundRobin(Vec<Member>),
    Random(Vec<Member>),
    Weighted(Vec<(Member, u32)>),
    ByRegion(Vec<Region>),
    ByLoad(Vec<Member>),
    ByAttribute(Vec<(Rule, String)>),
}

pub const STRATEGIES: [&str; 6] = ["ROUND_ROBIN", "RANDOM", "WEIGHTED", "BY_REGION", "BY_LOAD", "BY_ATTRIBUTE"];

#[derive(Clone, Debug, PartialEq)]
pub struct AssignmentRule {
    pub name: String,
    pub when: Rule,
    pub strategy: Strategy,
    /// The references of the strategy, with their paths.
    refs: Vec<Reference>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AssignmentRules(pub Vec<AssignmentRule>);

fn invalid(path: &str, reason: impl Into<String>) -> DomainError {
    DomainError::invalid(path.to_string(), reason)
}

/// The objects of a rule list, bounded; `null` is no rules.
fn items<'a>(field: &str, json: &'a Value) -> Result<Vec<&'a Map<String, Value>>, DomainError> {
    match json {
        Value::Null => Ok(vec![]),
        Value::Array(items) if items.len() <= MAX_RULES => items
            .iter()
            .enumerate()
            .map(|(i, item)| item.as_object().ok_or_else(|| invalid(&format!("{field}[{i}]"), "must be an object")))
            .collect(),
        _ => Err(invalid(field, format!("must be a list of at most {MAX_RULES} rules"))),
    }
}

fn only_keys(at: &str, obj: &Map<String, Value>, keys: &[&str]) -> Result<(), DomainError> {
    match obj.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(k) => Err(invalid(&format!("{at}.{k}"), format!("is not a key here (one of {})", keys.join(", ")))),
        None => Ok(()),
    }
}

fn name(at: &str, obj: &Map<String, Value>) -> Result<String, DomainError> {
    match obj.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 100 => Ok(s.clone()),
        None | Some(Value::Null) => Err(DomainError::required(format!("{at}.name"))),
        _ => Err(invalid(&format!("{at}.name"), "must be a non-blank string of at most 100 characters")),
    }
}

fn when(at: &str, obj: &Map<String, Value>) -> Result<Rule, DomainError> {
    match obj.get("when") {
        None | Some(Value::Null) => Err(DomainError::required(format!("{at}.when"))),
        Some(v) => Rule::parse(&format!("{at}.when"), v),
    }
}

fn ids(at: &str, v: &Value) -> Result<Vec<String>, DomainError> {
    match v {
        Value::Array(xs) if xs.len() <= MAX_LIST => xs
            .iter()
            .enumerate()
            .map(|(i, x)| match x {
                Value::String(s) if !s.is_empty() && s.len() <= 64 => Ok(s.clone()),
                _ => Err(invalid(&format!("{at}[{i}]"), "must be an id")),
            })
            .collect(),
        _ => Err(invalid(at, format!("must be a list of at most {MAX_LIST} ids"))),
    }
}

fn one_id(at: &str, v: Option<&Value>) -> Result<String, DomainError> {
    match v {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 64 => Ok(s.clone()),
        None | Some(Value::Null) => Err(DomainError::required(at.to_string())),
        _ => Err(invalid(at, "must be an id")),
    }
}

/// `{"users": [..], "teams": [..]}`: at least one member.
fn pool(at: &str, obj: &Map<String, Value>, refs: &mut Vec<Reference>) -> Result<Vec<Member>, DomainError> {
    let mut out = Vec::new();
    for (key, target) in [("users", Target::User), ("teams", Target::Team)] {
        if let Some(v) = obj.get(key) {
            for (i, id) in ids(&format!("{at}.{key}"), v)?.into_iter().enumerate() {
                refs.push((format!("{at}.{key}[{i}]"), target, id.clone()));
                out.push(if target == Target::User { Member::User(id) } else { Member::Team(id) });
            }
        }
    }
    if out.is_empty() {
        return Err(invalid(at, "must name at least one user or team (users, teams)"));
    }
    Ok(out)
}

fn list<'a>(at: &str, v: Option<&'a Value>) -> Result<&'a Vec<Value>, DomainError> {
    match v {
        Some(Value::Array(xs)) if !xs.is_empty() && xs.len() <= MAX_LIST => Ok(xs),
        _ => Err(invalid(at, format!("must be a list of 1 to {MAX_LIST} entries"))),
    }
}

fn strategy(at: &str, v: Option<&Value>, refs: &mut Vec<Reference>) -> Result<Strategy, DomainError> {
    let Some(Value::Object(obj)) = v else {
        return Err(invalid(at, "must be a strategy object with a `type`"));
    };
    let ty = obj.get("type").and_then(Value::as_str).unwrap_or_default();
    let s = match ty {
        "ROUND_ROBIN" | "RANDOM" | "BY_LOAD" => {
            only_keys(at, obj, &["type", "users", "teams"])?;
            let members = pool(at, obj, refs)?;
            match ty {
                "ROUND_ROBIN" => Strategy::RoundRobin(members),
                "RANDOM" => Strategy::Random(members),
                _ => Strategy::ByLoad(members),
            }
        }
        "WEIGHTED" => {
            only_keys(at, obj, &["type", "weights"])?;
            let mut out = Vec::new();
            for (i, w) in list(&format!("{at}.weights"), obj.get("weights"))?.iter().enumerate() {
                let wat = format!("{at}.weights[{i}]");
                let w =
                    w.as_object().ok_or_else(|| invalid(&wat, "must be {\"user\" | \"team\": id, \"weight\": n}"))?;
                only_keys(&wat, w, &["user", "team", "weight"])?;
                let member = match (w.get("user"), w.get("team")) {
                    (Some(u), None) => {
                        let id = one_id(&format!("{wat}.user"), Some(u))?;
                        refs.push((format!("{wat}.user"), Target::User, id.clone()));
                        Member::User(id)
                    }
                    (None, Some(t)) => {
                        let id = one_id(&format!("{wat}.team"), Some(t))?;
                        refs.push((format!("{wat}.team"), Target::Team, id.clone()));
                        Member::Team(id)
                    }
                    _ => return Err(invalid(&wat, "must name one user or one team")),
                };
                let weight = w
                    .get("weight")
                    .and_then(Value::as_u64)
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| invalid(&format!("{wat}.weight"), "must be a whole number from 1 to 1000"))?;
                out.push((member, weight as u32));
            }
            Strategy::Weighted(out)
        }
        "BY_REGION" => {
            only_keys(at, obj, &["type", "regions"])?;
            let mut out = Vec::new();
            for (i, r) in list(&format!("{at}.regions"), obj.get("regions"))?.iter().enumerate() {
                let rat = format!("{at}.regions[{i}]");
                let r = r
                    .as_object()
                    .ok_or_else(|| invalid(&rat, "must be {\"province\", \"city\"?, \"users\"?, \"teams\"?}"))?;
                only_keys(&rat, r, &["province", "city", "users", "teams"])?;
                let text = |k: &str| match r.get(k) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 50 => Ok(Some(s.clone())),
                    _ => Err(invalid(&format!("{rat}.{k}"), "must be a name of at most 50 characters")),
                };
                let province = text("province")?.ok_or_else(|| DomainError::required(format!("{rat}.province")))?;
                let city = text("city")?;
                out.push(Region { province, city, to: pool(&rat, r, refs)? });
            }
            Strategy::ByRegion(out)
        }
        "BY_ATTRIBUTE" => {
            only_keys(at, obj, &["type", "routes"])?;
            let mut out = Vec::new();
            for (i, r) in list(&format!("{at}.routes"), obj.get("routes"))?.iter().enumerate() {
                let rat = format!("{at}.routes[{i}]");
                let r = r.as_object().ok_or_else(|| invalid(&rat, "must be {\"when\": <condition>, \"team\": id}"))?;
                only_keys(&rat, r, &["when", "team"])?;
                let cond = when(&rat, r)?;
                let team = one_id(&format!("{rat}.team"), r.get("team"))?;
                refs.push((format!("{rat}.team"), Target::Team, team.clone()));
                out.push((cond, team));
            }
            Strategy::ByAttribute(out)
        }
        _ => {
            return Err(invalid(&format!("{at}.type"), format!("must be one of {}", STRATEGIES.join(", "))));
        }
    };
    Ok(s)
}

impl TaggingRules {
    /// Parses `autoTaggingRules` (or the list at `field`).
    pub fn parse(field: &str, json: &Value) -> Result<TaggingRules, DomainError> {
        let mut out = Vec::new();
        for (i, obj) in items(field, json)?.into_iter().enumerate() {
            let at = format!("{field}[{i}]");
            only_keys(&at, obj, &["name", "when", "tags"])?;
            let name = name(&at, obj)?;
            let when = when(&at, obj)?;
            let tags = ids(&format!("{at}.tags"), obj.get("tags").unwrap_or(&Value::Null))?;
            if tags.is_empty() {
                return Err(invalid(&format!("{at}.tags"), "must name at least one tag"));
            }
            out.push(TaggingRule { name, when, tags });
        }
        Ok(TaggingRules(out))
    }

    pub fn references(&self, field: &str) -> Vec<Reference> {
        let mut out = Vec::new();
        for (i, r) in self.0.iter().enumerate() {
            for (j, t) in r.tags.iter().enumerate() {
                out.push((format!("{field}[{i}].tags[{j}]"), Target::Tag, t.clone()));
            }
        }
        out
    }

    /// Whether a rule's condition reads a column of `source`.
    pub fn reads(&self, source: Source) -> bool {
        self.0.iter().any(|r| r.when.reads(source))
    }
}

impl AssignmentRules {
    /// Parses `assignmentRules` (or the list at `field`).
    pub fn parse(field: &str, json: &Value) -> Result<AssignmentRules, DomainError> {
        let mut out = Vec::new();
        for (i, obj) in items(field, json)?.into_iter().enumerate() {
            let at = format!("{field}[{i}]");
            only_keys(&at, obj, &["name", "when", "strategy"])?;
            let name = name(&at, obj)?;
            let when = when(&at, obj)?;
            let mut refs = Vec::new();
            let strategy = strategy(&format!("{at}.strategy"), obj.get("strategy"), &mut refs)?;
            out.push(AssignmentRule { name, when, strategy, refs });
        }
        Ok(AssignmentRules(out))
    }

    pub fn references(&self) -> Vec<Reference> {
        self.0.iter().flat_map(|r| r.refs.iter().cloned()).collect()
    }

    /// Whether a condition of the rules (`when`, or a BY_ATTRIBUTE route's) reads a column of
    /// `source`.
    pub fn reads(&self, source: Source) -> bool {
        self.0.iter().any(|r| {
            r.when.reads(source)
                || matches!(&r.strategy, Strategy::ByAttribute(routes) if routes.iter().any(|(c, _)| c.reads(source)))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rules_say_whether_a_condition_reads_a_channel_field() {
        let on = |field: &str| json!({"field": field, "exists": true});
        let tagging = |w: Value| TaggingRules::parse("t", &json!([{"name": "a", "when": w, "tags": ["T"]}])).unwrap();
        assert!(tagging(json!({"not": on("channel.channelType")})).reads(Source::Channel));
        assert!(!tagging(on("lead.city")).reads(Source::Channel));
        let assigning = |w: Value, route: Value| {
            let strategy = json!({"type": "BY_ATTRIBUTE", "routes": [{"when": route, "team": "T1"}]});
            AssignmentRules::parse("a", &json!([{"name": "a", "when": w, "strategy": strategy}])).unwrap()
        };
        assert!(assigning(on("channel.channelType"), on("lead.city")).reads(Source::Channel));
        assert!(
            assigning(on("lead.city"), json!({"any": [on("tags"), on("channel.channelName")]})).reads(Source::Channel)
        );
        assert!(!assigning(on("lead.city"), on("tags")).reads(Source::Channel));
    }

    #[test]
    fn tagging_rules_parse_and_list_their_tags() {
        let rules = TaggingRules::parse(
            "autoTaggingRules",
            &json!([{"name": "报价", "when": {"field": "lead.customFields.message", "contains": "报价"}, "tags": ["TAG_1"]}]),
        )
        .unwrap();
        assert_eq!(
            rules.references("autoTaggingRules"),
            vec![("autoTaggingRules[0].tags[0]".into(), Target::Tag, "TAG_1".into())]
        );
        let e = TaggingRules::parse(
            "autoTaggingRules",
            &json!([{"name": "x", "when": {"field": "lead.x", "eq": 1}, "tags": ["T"]}]),
        );
        assert!(e.unwrap_err().to_string().starts_with("autoTaggingRules[0].when.field names no field"));
        let e = TaggingRules::parse(
            "autoTaggingRules",
            &json!([{"name": "x", "when": {"field": "tags", "exists": true}, "tags": []}]),
        );
        assert_eq!(e.unwrap_err().to_string(), "autoTaggingRules[0].tags must name at least one tag");
    }

    #[test]
    fn every_strategy_parses_with_its_references() {
        let rules = AssignmentRules::parse(
            "assignmentRules",
            &json!([
                {"name": "rr", "when": {"field": "tags", "exists": true}, "strategy": {"type": "ROUND_ROBIN", "users": ["U1", "U2"]}},
                {"name": "rnd", "when": {"field": "tags", "exists": true}, "strategy": {"type": "RANDOM", "teams": ["T1"]}},
                {"name": "w", "when": {"field": "tags", "exists": true}, "strategy": {"type": "WEIGHTED", "weights": [{"user": "U1", "weight": 3}, {"team": "T2", "weight": 1}]}},
                {"name": "r", "when": {"field": "lead.province", "eq": "广东省"}, "strategy": {"type": "BY_REGION", "regions": [{"province": "广东省", "city": "深圳市", "teams": ["T3"]}]}},
                {"name": "l", "when": {"field": "tags", "exists": true}, "strategy": {"type": "BY_LOAD", "users": ["U3"]}},
                {"name": "a", "when": {"field": "tags", "exists": true}, "strategy": {"type": "BY_ATTRIBUTE", "routes": [{"when": {"field": "tags", "contains": "VIP"}, "team": "T4"}]}}
            ]),
        )
        .unwrap();
        let refs: Vec<String> = rules.references().into_iter().map(|r| format!("{}={}", r.0, r.2)).collect();
        assert_eq!(
            refs,
            [
                "assignmentRules[0].strategy.users[0]=U1",
                "assignmentRules[0].strategy.users[1]=U2",
                "assignmentRules[1].strategy.teams[0]=T1",
                "assignmentRules[2].strategy.weights[0].user=U1",
                "assignmentRules[2].strategy.weights[1].team=T2",
                "assignmentRules[3].strategy.regions[0].teams[0]=T3",
                "assignmentRules[4].strategy.users[0]=U3",
                "assignmentRules[5].strategy.routes[0].team=T4",
            ]
        );
    }

    #[test]
    fn bad_strategies_are_refused_naming_the_path() {
        let bad = |s: Value| {
            AssignmentRules::parse(
                "assignmentRules",
                &json!([{"name": "x", "when": {"field": "tags", "exists": true}, "strategy": s}]),
            )
            .unwrap_err()
            .to_string()
        };
        assert!(bad(json!({"type": "FIFO"})).starts_with("assignmentRules[0].strategy.type must be one of"));
        assert!(bad(json!({"type": "RANDOM"})).starts_with("assignmentRules[0].strategy must name at least one"));
        assert!(
            bad(json!({"type": "WEIGHTED", "weights": [{"user": "U", "weight": 0}]}))
                .starts_with("assignmentRules[0].strategy.weights[0].weight must be")
        );
        assert!(bad(json!({"type": "BY_ATTRIBUTE", "routes": [{"when": {"field": "lead.leadScore", "gt": "x"}, "team": "T"}]}))
            .starts_with("assignmentRules[0].strategy.routes[0].when.gt must be a number"));
    }
}
