//! The routing condition language (issue 16; README "Routing rules", ARCHITECTURE.md "Routing
//! rules"): JSON parsed into a typed, bounded [`Rule`], and its in-memory evaluator over one lead's
//! [`LeadFacts`]. The SQL evaluator over a whole set is `repo/rules.rs`; both follow the semantics
//! stated here, and `tests/api/rules.rs` checks that they agree on random rules.
//!
//! A condition is a combinator — `{"all": [..]}`, `{"any": [..]}`, `{"not": {..}}` — or a test:
//! one operand key (`field` or `events`) and one operator key:
//! `{"field": "lead.province", "eq": "广东省"}`, `{"events": {"type": "FORM_SUBMIT", "withinDays": 7},
//! "gte": 2}`. The operands:
//!
//! * `lead.<field>`, `contact.<field>`, `account.<field>`, `channel.<field>`: a column of the lead,
//!   of its converted contact / account (`convertedContactId` / `convertedAccountId`) or of its
//!   channel, by its API name, typed by the catalogue's column domain (text, number, flag,
//!   instant). PII columns (phone, e-mail, WeChat id) allow only `exists`: a rule never reads a
//!   personal value. JSON columns other than the lead's custom fields, dates and blind indexes are
//!   refused.
//! * `lead.customFields.<key>[.<key>…]`: a path into the lead's custom fields; the operator's
//!   value fixes the type compared, and a value of another JSON type counts as missing.
//! * Sets, never missing but possibly empty: `tags` (the lead's tag names), `scene` (the scene ids
//!   its FORM_SUBMIT events record in `eventProperties.sceneId`: ingestion writes one per
//!   arrival) and `utm.source|medium|campaign|term|content` (the values in its events'
//!   `utmParams`). They take `contains` (a member equals the value), `in` (a member is in the
//!   list), `not_in` (no member is) and `exists` (the set is not empty).
//! * `events`: the number of the lead's events of `type` with `now - withinDays ≤ eventTime ≤ now`.
//!
//! Missing values: a test on a missing value (NULL column, no related record, absent path) is
//! false — `ne` and `not_in` included: they say "has a value, and it differs". `not` negates that
//! two-valued result, so `{"not": {"field": "lead.city", "eq": "深圳"}}` holds for a lead without a
//! city. `exists: false` is the test for "missing". The SQL evaluator keeps every test two-valued
//! (`col IS NOT NULL AND …`) so SQL's three-valued logic never shows under `not`.
//!
//! Every input is bounded before it is recursed on or compiled: [`MAX_DEPTH`], [`MAX_NODES`],
//! [`MAX_LIST`], [`MAX_PATTERN`] characters for a regex (compiled with a size limit), and a
//! restricted regex syntax both the `regex` crate and PostgreSQL read alike.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use entity::enums::EventType;
use sea_orm::Iterable;
use serde_json::{Map, Value};

use crate::catalog::{Catalogued, Domain, Facts};
use crate::domain::DomainError;

/// The deepest nesting of combinators.
pub const MAX_DEPTH: usize = 8;
/// The most conditions (combinators and tests) in one rule.
pub const MAX_NODES: usize = 200;
/// The most values of an `in`/`not_in` list, and of any list a rule holds.
pub const MAX_LIST: usize = 100;
/// The longest `matches` pattern, in characters.
pub const MAX_PATTERN: usize = 200;
/// The longest text value, in characters.
pub const MAX_TEXT: usize = 500;
/// The most keys of a custom-field path.
pub const MAX_PATH: usize = 5;
/// The longest event window and `within_days`, in days.
pub const MAX_DAYS: i64 = 3650;
/// The compiled size limit of a `matches` regex (bytes of the `regex` crate's program).
pub const REGEX_SIZE_LIMIT: usize = 1 << 16;

/// Where a column operand lives, relative to the lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Lead,
    /// The lead's `converted_contact_id`.
    Contact,
    /// The lead's `converted_account_id`.
    Account,
    /// The lead's `channel_id`.
    Channel,
}

impl Source {
    const ALL: [Source; 4] = [Source::Lead, Source::Contact, Source::Account, Source::Channel];

    pub const fn name(self) -> &'static str {
        match self {
            Source::Lead => "lead",
            Source::Contact => "contact",
            Source::Account => "account",
            Source::Channel => "channel",
        }
    }

    pub const fn facts(self) -> &'static Facts {
        match self {
            Source::Lead => &<entity::lead::Entity as Catalogued>::FACTS,
            Source::Contact => &<entity::contact::Entity as Catalogued>::FACTS,
            Source::Account => &<entity::account::Entity as Catalogued>::FACTS,
            Source::Channel => &<entity::channel::Entity as Catalogued>::FACTS,
        }
    }

    /// The lead column naming the related record (none for the lead itself).
    pub const fn via(self) -> Option<&'static str> {
        match self {
            Source::Lead => None,
            Source::Contact => Some("converted_contact_id"),
            Source::Account => Some("converted_account_id"),
            Source::Channel => Some("channel_id"),
        }
    }
}

/// The type a column operand compares as (from its catalogue domain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Text,
    Number,
    Flag,
    Instant,
    /// An encrypted personal value: only `exists`.
    Pii,
}

impl Ty {
    fn of(domain: Domain) -> Option<Ty> {
        use Domain::*;
        match domain {
            Id | Ref | Text | Url | Enum | CreditCode => Some(Ty::Text),
            Count | Score | Money | Percent | Rate | Ratio => Some(Ty::Number),
            Flag => Some(Ty::Flag),
            Instant | Created | Updated => Some(Ty::Instant),
            Phone | Email | WechatId => Some(Ty::Pii),
            Date | Json | MappingRules | SceneParams | AutoTaggingRules | AssignmentRules | BlindIndex => None,
        }
    }
}

/// The five UTM parameters, by their rule name and their key in `utm_params`.
pub const UTM: [(&str, &str); 5] = [
    ("source", "utm_source"),
    ("medium", "utm_medium"),
    ("campaign", "utm_campaign"),
    ("term", "utm_term"),
    ("content", "utm_content"),
];

/// What a test reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Column {
        source: Source,
        column: &'static str,
        ty: Ty,
    },
    /// A path into `lead.custom_fields`.
    Custom(Vec<String>),
    Tags,
    Scene,
    /// A key of `utm_params` (`utm_source`).
    Utm(&'static str),
    /// The lead's events of a type in the last `days` days.
    Events {
        event_type: EventType,
        days: i64,
    },
}

impl Operand {
    /// A set-valued operand (never missing, possibly empty).
    pub fn is_set(&self) -> bool {
        matches!(self, Operand::Tags | Operand::Scene | Operand::Utm(_))
    }
}

/// A typed value of a rule.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Text(String),
    Number(f64),
    Bool(bool),
    Instant(DateTime<Utc>),
}

/// A `matches` pattern: checked, compiled, and the text both engines receive.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The pattern as both engines read it (`(?s)` + the rule's pattern: `.` matches a newline and
    /// `^`/`$` anchor the whole text, PostgreSQL's defaults).
    pub source: String,
    regex: regex::Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Eq(Lit),
    Ne(Lit),
    In(Vec<Lit>),
    NotIn(Vec<Lit>),
    Contains(String),
    StartsWith(String),
    Gt(Lit),
    Gte(Lit),
    Lt(Lit),
    Lte(Lit),
    Between(Lit, Lit),
    Exists(bool),
    WithinDays(i64),
    Matches(Pattern),
}

/// The operator keys, in the order the error messages list them.
pub const OPERATORS: [&str; 14] = [
    "eq",
    "ne",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "exists",
    "within_days",
    "matches",
];

#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    pub operand: Operand,
    pub op: Op,
}

/// A parsed condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    All(Vec<Rule>),
    Any(Vec<Rule>),
    Not(Box<Rule>),
    Test(Test),
}

fn invalid(path: &str, reason: impl Into<String>) -> DomainError {
    DomainError::invalid(path.to_string(), reason)
}

impl Rule {
    /// Parses the condition at `path` (`assignmentRules[1].when`), bounded by the limits of the
    /// module doc; the error names the offending path (`assignmentRules[1].when.all[0].gte`).
    pub fn parse(path: &str, json: &Value) -> Result<Rule, DomainError> {
        let mut nodes = 0;
        parse_node(path, json, 1, &mut nodes)
    }

    /// Whether the rule holds for one lead at `now` (the in-memory evaluator).
    pub fn eval(&self, facts: &LeadFacts, now: DateTime<Utc>) -> bool {
        match self {
            Rule::All(rules) => rules.iter().all(|r| r.eval(facts, now)),
            Rule::Any(rules) => rules.iter().any(|r| r.eval(facts, now)),
            Rule::Not(rule) => !rule.eval(facts, now),
            Rule::Test(t) => t.eval(facts, now),
        }
    }

    /// Whether a test of the rule reads a column of `source` (what a routing round must load).
    pub fn reads(&self, source: Source) -> bool {
        self.tests().iter().any(|t| matches!(t.operand, Operand::Column { source: s, .. } if s == source))
    }

    /// The tests of the rule, depth first (a decision trace reads their operands).
    pub fn tests(&self) -> Vec<&Test> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(r) = stack.pop() {
            match r {
                Rule::All(rs) | Rule::Any(rs) => stack.extend(rs.iter().rev()),
                Rule::Not(r) => stack.push(r),
                Rule::Test(t) => out.push(t),
            }
        }
        out
    }
}

fn parse_node(path: &str, json: &Value, depth: usize, nodes: &mut usize) -> Result<Rule, DomainError> {
    *nodes += 1;
    if *nodes > MAX_NODES {
        return Err(invalid(path, format!("makes the rule longer than {MAX_NODES} conditions")));
    }
    let Value::Object(obj) = json else {
        return Err(invalid(path, "must be a condition object"));
    };
    for key in ["all", "any", "not"] {
        let Some(inner) = obj.get(key) else { continue };
        if obj.len() != 1 {
            return Err(invalid(path, format!("must hold `{key}` alone")));
        }
        let at = format!("{path}.{key}");
        if depth >= MAX_DEPTH {
            return Err(invalid(&at, format!("nests conditions deeper than {MAX_DEPTH}")));
        }
        return match (key, inner) {
            ("not", inner) => Ok(Rule::Not(Box::new(parse_node(&at, inner, depth + 1, nodes)?))),
            (_, Value::Array(items)) if !items.is_empty() && items.len() <= MAX_NODES => {
                let mut rules = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    rules.push(parse_node(&format!("{at}[{i}]"), item, depth + 1, nodes)?);
                }
                Ok(if key == "all" { Rule::All(rules) } else { Rule::Any(rules) })
            }
            _ => Err(invalid(&at, format!("must be a list of 1 to {MAX_NODES} conditions"))),
        };
    }
    parse_test(path, obj).map(Rule::Test)
}

fn parse_test(path: &str, obj: &Map<String, Value>) -> Result<Test, DomainError> {
    if let Some(key) =
        obj.keys().find(|k| !matches!(k.as_str(), "field" | "events") && !OPERATORS.contains(&k.as_str()))
    {
        return Err(invalid(
            &format!("{path}.{key}"),
            format!(
                "is not a combinator (all, any, not), an operand (field, events) or an operator ({})",
                OPERATORS.join(", ")
            ),
        ));
    }
    let operand = match (obj.get("field"), obj.get("events")) {
        (Some(_), Some(_)) => return Err(invalid(path, "must name one operand: `field` or `events`")),
        (Some(Value::String(name)), None) => parse_field(&format!("{path}.field"), name)?,
        (Some(_), None) => return Err(invalid(&format!("{path}.field"), "must be a string")),
        (None, Some(spec)) => parse_events(&format!("{path}.events"), spec)?,
        (None, None) => return Err(invalid(path, "must be all, any, not, or a test with `field` or `events`")),
    };
    let mut ops = obj.iter().filter(|(k, _)| OPERATORS.contains(&k.as_str()));
    let (key, value) = match (ops.next(), ops.next()) {
        (Some(op), None) => op,
        (None, _) => return Err(invalid(path, format!("needs one operator ({})", OPERATORS.join(", ")))),
        (Some(_), Some((second, _))) => {
            return Err(invalid(&format!("{path}.{second}"), "is a second operator: a test has one (use `all`)"));
        }
    };
    let at = format!("{path}.{key}");
    let op = parse_op(&at, key, value, &operand)?;
    Ok(Test { operand, op })
}

fn parse_field(at: &str, name: &str) -> Result<Operand, DomainError> {
    if name == "tags" {
        return Ok(Operand::Tags);
    }
    if name == "scene" {
        return Ok(Operand::Scene);
    }
    if let Some(param) = name.strip_prefix("utm.") {
        return UTM.iter().find(|(n, _)| *n == param).map(|(_, key)| Operand::Utm(key)).ok_or_else(|| {
            let names: Vec<&str> = UTM.iter().map(|(n, _)| *n).collect();
            invalid(at, format!("is not a UTM parameter (utm.{})", names.join(", utm.")))
        });
    }
    if let Some(rest) = name.strip_prefix("lead.customFields.") {
        let keys: Vec<&str> = rest.split('.').collect();
        if keys.len() > MAX_PATH || keys.iter().any(|k| !valid_key(k)) {
            return Err(invalid(
                at,
                format!(
                    "must be lead.customFields. followed by 1 to {MAX_PATH} dot-separated keys of letters, digits, `_` or `-`"
                ),
            ));
        }
        return Ok(Operand::Custom(keys.into_iter().map(str::to_string).collect()));
    }
    let unknown = || {
        invalid(
            at,
            "is not a rule operand (lead.<field>, contact.<field>, account.<field>, channel.<field>, \
             lead.customFields.<path>, tags, scene, utm.<parameter>)",
        )
    };
    let (prefix, api) = name.split_once('.').ok_or_else(unknown)?;
    let source = Source::ALL.into_iter().find(|s| s.name() == prefix).ok_or_else(unknown)?;
    let facts = source.facts();
    let col = facts.columns.iter().find(|c| camel(c.0) == api).ok_or_else(|| {
        invalid(
            at,
            format!(
                "names no field of {} (fields are named as in the API: {}.{})",
                prefix,
                prefix,
                camel(facts.columns[1].0)
            ),
        )
    })?;
    let ty = Ty::of(col.1).ok_or_else(|| invalid(at, format!("is a {:?} field, which rules cannot test", col.1)))?;
    Ok(Operand::Column { source, column: col.0, ty })
}

fn valid_key(k: &str) -> bool {
    !k.is_empty() && k.chars().count() <= 64 && k.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// `lead_score` → `leadScore`: a column's API name.
fn camel(col: &str) -> String {
    let mut out = String::with_capacity(col.len());
    let mut up = false;
    for c in col.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_events(at: &str, spec: &Value) -> Result<Operand, DomainError> {
    let Value::Object(obj) = spec else {
        return Err(invalid(at, "must be {\"type\": <event type>, \"withinDays\": <days>}"));
    };
    if let Some(key) = obj.keys().find(|k| !matches!(k.as_str(), "type" | "withinDays")) {
        return Err(invalid(&format!("{at}.{key}"), "is not an events key (type, withinDays)"));
    }
    let ty = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(&format!("{at}.type"), "must be an event type"))?;
    let event_type = EventType::iter().find(|t| t.as_str() == ty).ok_or_else(|| {
        let known: Vec<&str> = EventType::iter().map(|t| t.as_str()).collect();
        invalid(&format!("{at}.type"), format!("is not an event type (one of {})", known.join(", ")))
    })?;
    let days = days(&format!("{at}.withinDays"), obj.get("withinDays").unwrap_or(&Value::Null))?;
    Ok(Operand::Events { event_type, days })
}

fn days(at: &str, v: &Value) -> Result<i64, DomainError> {
    v.as_i64()
        .filter(|d| (1..=MAX_DAYS).contains(d))
        .ok_or_else(|| invalid(at, format!("must be a whole number of days from 1 to {MAX_DAYS}")))
}

/// The value types a test accepts for its ordering and equality operators.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Text,
    Number,
    Bool,
    Instant,
    /// A custom field: text, number or flag, fixed by the value.
    Json,
}

fn text(at: &str, v: &Value) -> Result<String, DomainError> {
    match v {
        Value::String(s) if s.chars().count() <= MAX_TEXT => Ok(s.clone()),
        Value::String(_) => Err(invalid(at, format!("must be at most {MAX_TEXT} characters"))),
        _ => Err(invalid(at, "must be a string")),
    }
}

fn lit(at: &str, v: &Value, want: Want) -> Result<Lit, DomainError> {
    match (want, v) {
        (Want::Text, _) => text(at, v).map(Lit::Text),
        (Want::Number | Want::Json, Value::Number(n)) => {
            n.as_f64().filter(|f| f.is_finite()).map(Lit::Number).ok_or_else(|| invalid(at, "must be a finite number"))
        }
        (Want::Number, _) => Err(invalid(at, "must be a number")),
        (Want::Bool | Want::Json, Value::Bool(b)) => Ok(Lit::Bool(*b)),
        (Want::Bool, _) => Err(invalid(at, "must be true or false")),
        (Want::Json, Value::String(_)) => text(at, v).map(Lit::Text),
        (Want::Json, _) => Err(invalid(at, "must be a string, a number or true/false")),
        (Want::Instant, Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| Lit::Instant(t.with_timezone(&Utc)))
            .map_err(|_| invalid(at, "must be an RFC 3339 instant (2026-12-01T08:00:00Z)")),
        (Want::Instant, _) => Err(invalid(at, "must be an RFC 3339 instant string")),
    }
}

fn list(at: &str, v: &Value, want: Want) -> Result<Vec<Lit>, DomainError> {
    match v {
        Value::Array(items) if !items.is_empty() && items.len() <= MAX_LIST => {
            let lits = items
                .iter()
                .enumerate()
                .map(|(i, x)| lit(&format!("{at}[{i}]"), x, want))
                .collect::<Result<Vec<_>, _>>()?;
            // A custom field compares as one type per test.
            if lits.iter().any(|l| std::mem::discriminant(l) != std::mem::discriminant(&lits[0])) {
                return Err(invalid(at, "must hold values of one type"));
            }
            Ok(lits)
        }
        _ => Err(invalid(at, format!("must be a list of 1 to {MAX_LIST} values"))),
    }
}

fn parse_op(at: &str, key: &str, v: &Value, operand: &Operand) -> Result<Op, DomainError> {
    let not_for = |what: &str| invalid(at, format!("does not apply to {what}"));
    if key == "exists" {
        return v.as_bool().map(Op::Exists).ok_or_else(|| invalid(at, "must be true or false"));
    }
    // Sets: membership only.
    if operand.is_set() {
        return match key {
            "contains" => text(at, v).map(Op::Contains),
            "in" => list(at, v, Want::Text).map(Op::In),
            "not_in" => list(at, v, Want::Text).map(Op::NotIn),
            _ => Err(not_for("a set (tags, scene, utm.*): use contains, in, not_in or exists")),
        };
    }
    let want = match operand {
        Operand::Column { ty: Ty::Pii, .. } => return Err(not_for("a personal-data field: only exists")),
        Operand::Column { ty: Ty::Text, .. } => Want::Text,
        Operand::Column { ty: Ty::Number, .. } | Operand::Events { .. } => Want::Number,
        Operand::Column { ty: Ty::Flag, .. } => Want::Bool,
        Operand::Column { ty: Ty::Instant, .. } => Want::Instant,
        Operand::Custom(_) => Want::Json,
        Operand::Tags | Operand::Scene | Operand::Utm(_) => unreachable!("sets are handled above"),
    };
    let ordered = matches!(want, Want::Number | Want::Instant | Want::Json);
    let ordered_lit = |at: &str, v: &Value| -> Result<Lit, DomainError> {
        match lit(at, v, want)? {
            l @ (Lit::Number(_) | Lit::Instant(_)) => Ok(l),
            _ => Err(invalid(at, "must be a number to compare a custom field's order")),
        }
    };
    match key {
        "eq" | "ne" if want == Want::Instant => Err(not_for("an instant: use gte/lte, between or within_days")),
        "eq" => lit(at, v, want).map(Op::Eq),
        "ne" => lit(at, v, want).map(Op::Ne),
        "in" | "not_in" if matches!(want, Want::Bool | Want::Instant) => Err(not_for("a flag or an instant")),
        "in" => list(at, v, want).map(Op::In),
        "not_in" => list(at, v, want).map(Op::NotIn),
        "contains" | "starts_with" | "matches" if !matches!(want, Want::Text | Want::Json) => {
            Err(not_for("a number, a flag or an instant"))
        }
        "contains" => text(at, v).map(Op::Contains),
        "starts_with" => text(at, v).map(Op::StartsWith),
        "matches" => pattern(at, v).map(Op::Matches),
        "gt" | "gte" | "lt" | "lte" | "between" if !ordered => Err(not_for("text or a flag")),
        "gt" => ordered_lit(at, v).map(Op::Gt),
        "gte" => ordered_lit(at, v).map(Op::Gte),
        "lt" => ordered_lit(at, v).map(Op::Lt),
        "lte" => ordered_lit(at, v).map(Op::Lte),
        "between" => match v {
            Value::Array(pair) if pair.len() == 2 => {
                let lo = ordered_lit(&format!("{at}[0]"), &pair[0])?;
                let hi = ordered_lit(&format!("{at}[1]"), &pair[1])?;
                if std::mem::discriminant(&lo) != std::mem::discriminant(&hi) {
                    return Err(invalid(at, "must hold two values of one type"));
                }
                Ok(Op::Between(lo, hi))
            }
            _ => Err(invalid(at, "must be a list [low, high] (both inclusive)")),
        },
        "within_days" if want != Want::Instant => Err(not_for("anything but an instant field")),
        "within_days" => days(at, v).map(Op::WithinDays),
        _ => Err(invalid(at, "is not an operator")),
    }
}

/// A `matches` pattern, refused unless short, within the size limit, and in the syntax the `regex`
/// crate and PostgreSQL's regular expressions read alike: literals, `.`, `^`, `$`, `*`, `+`, `?`,
/// `|`, groups `( )`, bracket sets `[ ]`, bounds `{m}`/`{m,}`/`{m,n}`, and `\` before punctuation.
/// Class escapes (`\d`, `\w`, …), POSIX classes, back-references and `(?…)` groups are refused:
/// their meaning differs between the two engines.
fn pattern(at: &str, v: &Value) -> Result<Pattern, DomainError> {
    let Value::String(p) = v else { return Err(invalid(at, "must be a regular expression string")) };
    if p.is_empty() || p.chars().count() > MAX_PATTERN {
        return Err(invalid(at, format!("must be 1 to {MAX_PATTERN} characters")));
    }
    let mut chars = p.chars().peekable();
    let mut prev = None;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_punctuation() => {}
                _ => {
                    return Err(invalid(
                        at,
                        "may escape only punctuation (\\. \\( \\[ …): class escapes differ between engines",
                    ));
                }
            },
            '?' if prev == Some('(') => return Err(invalid(at, "may not use (?…) groups")),
            ':' if prev == Some('[') => return Err(invalid(at, "may not use POSIX classes ([:alpha:])")),
            ',' if prev == Some('{') => return Err(invalid(at, "may not use {,n}: write {0,n}")),
            _ => {}
        }
        prev = Some(c);
    }
    let source = format!("(?s){p}");
    let regex = regex::RegexBuilder::new(&source)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|_| invalid(at, "is not a valid regular expression within the size limit"))?;
    Ok(Pattern { source, regex })
}

/// One lead as the in-memory evaluator sees it, loaded by the service: its columns and those of
/// its related records as JSON objects keyed by column (a model's serde form), plus its sets.
/// A related record is shared by the leads that relate to it (a round's leads mostly have one
/// channel), not copied per lead.
#[derive(Clone, Debug, Default)]
pub struct LeadFacts {
    pub lead: Map<String, Value>,
    pub contact: Option<Arc<Map<String, Value>>>,
    pub account: Option<Arc<Map<String, Value>>>,
    pub channel: Option<Arc<Map<String, Value>>>,
    /// The names of the lead's tags.
    pub tags: Vec<String>,
    /// Those of `tags` that auto-tagging rules applied: auto-tagging decides without them, so
    /// its outcome depends on the lead and its manual tags only, never on its own earlier output.
    pub auto_tags: Vec<String>,
    /// The lead's events: type, time, `event_properties`, `utm_params`.
    pub events: Vec<EventFact>,
}

#[derive(Clone, Debug)]
pub struct EventFact {
    pub event_type: String,
    pub at: DateTime<Utc>,
    pub properties: Option<Value>,
    pub utm: Option<Value>,
}

/// What a test compares, read from the facts.
enum Seen<'a> {
    Missing,
    One(Lit),
    Set(Vec<&'a str>),
    /// A PII column: whether it holds a value (never the value).
    Present,
}

impl Test {
    fn seen<'a>(&self, f: &'a LeadFacts, now: DateTime<Utc>, want_json: Option<&Lit>) -> Seen<'a> {
        match &self.operand {
            Operand::Column { source, column, ty } => {
                let record = match source {
                    Source::Lead => Some(&f.lead),
                    Source::Contact => f.contact.as_deref(),
                    Source::Account => f.account.as_deref(),
                    Source::Channel => f.channel.as_deref(),
                };
                let v = record.and_then(|r| r.get(*column)).unwrap_or(&Value::Null);
                if v.is_null() {
                    return Seen::Missing;
                }
                let lit = match ty {
                    Ty::Pii => return Seen::Present,
                    Ty::Text => v.as_str().map(|s| Lit::Text(s.to_string())),
                    Ty::Number => match v {
                        Value::Number(n) => n.as_f64(),
                        // Decimals serialise as strings.
                        Value::String(s) => s.parse::<f64>().ok(),
                        _ => None,
                    }
                    .map(Lit::Number),
                    Ty::Flag => v.as_bool().map(Lit::Bool),
                    Ty::Instant => v
                        .as_str()
                        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                        .map(|t| Lit::Instant(t.with_timezone(&Utc))),
                };
                lit.map_or(Seen::Missing, Seen::One)
            }
            Operand::Custom(path) => {
                let mut v = f.lead.get("custom_fields").unwrap_or(&Value::Null);
                for k in path {
                    v = v.get(k.as_str()).unwrap_or(&Value::Null);
                }
                match (v, want_json) {
                    (Value::Null, _) => Seen::Missing,
                    // `exists`: any non-null value.
                    (_, None) => Seen::Present,
                    (Value::String(s), Some(Lit::Text(_))) => Seen::One(Lit::Text(s.clone())),
                    (Value::Number(n), Some(Lit::Number(_))) => {
                        n.as_f64().map_or(Seen::Missing, |x| Seen::One(Lit::Number(x)))
                    }
                    (Value::Bool(b), Some(Lit::Bool(_))) => Seen::One(Lit::Bool(*b)),
                    _ => Seen::Missing,
                }
            }
            Operand::Tags => Seen::Set(f.tags.iter().map(String::as_str).collect()),
            Operand::Scene => Seen::Set(
                f.events
                    .iter()
                    .filter(|e| e.event_type == EventType::FormSubmit.as_str())
                    .filter_map(|e| e.properties.as_ref()?.get("sceneId")?.as_str())
                    .collect(),
            ),
            Operand::Utm(key) => {
                Seen::Set(f.events.iter().filter_map(|e| e.utm.as_ref()?.get(*key)?.as_str()).collect())
            }
            Operand::Events { event_type, days } => {
                let since = now - Duration::days(*days);
                let n = f
                    .events
                    .iter()
                    .filter(|e| e.event_type == event_type.as_str() && e.at >= since && e.at <= now)
                    .count();
                Seen::One(Lit::Number(n as f64))
            }
        }
    }

    /// The type a custom-field test compares as (the value's), `None` for `exists`.
    pub fn json_type(&self) -> Option<&Lit> {
        match &self.op {
            Op::Eq(l) | Op::Ne(l) | Op::Gt(l) | Op::Gte(l) | Op::Lt(l) | Op::Lte(l) | Op::Between(l, _) => Some(l),
            Op::In(ls) | Op::NotIn(ls) => ls.first(),
            Op::Contains(_) | Op::StartsWith(_) | Op::Matches(_) => Some(&TEXT),
            Op::Exists(_) | Op::WithinDays(_) => None,
        }
    }

    fn eval(&self, f: &LeadFacts, now: DateTime<Utc>) -> bool {
        let seen = self.seen(f, now, self.json_type());
        if let Op::Exists(want) = self.op {
            let has = match &seen {
                Seen::Missing => false,
                Seen::Set(s) => !s.is_empty(),
                Seen::One(_) | Seen::Present => true,
            };
            return has == want;
        }
        match seen {
            Seen::Missing | Seen::Present => false,
            Seen::Set(members) => match &self.op {
                Op::Contains(x) => members.contains(&x.as_str()),
                Op::In(ls) => members.iter().any(|m| ls.contains(&Lit::Text(m.to_string()))),
                Op::NotIn(ls) => !members.iter().any(|m| ls.contains(&Lit::Text(m.to_string()))),
                _ => false,
            },
            Seen::One(v) => self.op.holds(&v, now),
        }
    }
}

static TEXT: Lit = Lit::Text(String::new());

fn cmp(a: &Lit, b: &Lit) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Lit::Number(x), Lit::Number(y)) => x.partial_cmp(y),
        (Lit::Instant(x), Lit::Instant(y)) => Some(x.cmp(y)),
        (Lit::Text(x), Lit::Text(y)) => Some(x.cmp(y)),
        (Lit::Bool(x), Lit::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

impl Op {
    /// Whether a present value `v` passes the operator at `now` (`exists` is decided by the caller).
    pub fn holds(&self, v: &Lit, now: DateTime<Utc>) -> bool {
        use std::cmp::Ordering::*;
        let text = match v {
            Lit::Text(s) => Some(s.as_str()),
            _ => None,
        };
        match self {
            Op::Eq(l) => cmp(v, l) == Some(Equal),
            Op::Ne(l) => matches!(cmp(v, l), Some(Less | Greater)),
            Op::In(ls) => ls.iter().any(|l| cmp(v, l) == Some(Equal)),
            Op::NotIn(ls) => ls.iter().all(|l| matches!(cmp(v, l), Some(Less | Greater))),
            Op::Contains(x) => text.is_some_and(|t| t.contains(x.as_str())),
            Op::StartsWith(x) => text.is_some_and(|t| t.starts_with(x.as_str())),
            Op::Matches(p) => text.is_some_and(|t| p.regex.is_match(t)),
            Op::Gt(l) => cmp(v, l) == Some(Greater),
            Op::Gte(l) => matches!(cmp(v, l), Some(Greater | Equal)),
            Op::Lt(l) => cmp(v, l) == Some(Less),
            Op::Lte(l) => matches!(cmp(v, l), Some(Less | Equal)),
            Op::Between(lo, hi) => {
                matches!(cmp(v, lo), Some(Greater | Equal)) && matches!(cmp(v, hi), Some(Less | Equal))
            }
            Op::WithinDays(d) => match v {
                Lit::Instant(t) => *t >= now - Duration::days(*d) && *t <= now,
                _ => false,
            },
            Op::Exists(want) => *want,
        }
    }
}

impl Operand {
    /// The operand as a rule names it (`lead.leadScore`, `tags`, `events:PAGE_VIEW/7d`).
    pub fn label(&self) -> String {
        match self {
            Operand::Column { source, column, .. } => format!("{}.{}", source.name(), camel(column)),
            Operand::Custom(path) => format!("lead.customFields.{}", path.join(".")),
            Operand::Tags => "tags".to_string(),
            Operand::Scene => "scene".to_string(),
            Operand::Utm(key) => format!("utm.{}", key.trim_start_matches("utm_")),
            Operand::Events { event_type, days } => format!("events:{}/{days}d", event_type.as_str()),
        }
    }
}

/// A value shown in a decision trace: personal data never appears — a PII column shows only
/// whether it is present, and any text that reads as a phone or an e-mail is masked.
fn shown(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(if super::value::Phone::parse(&s).is_ok() {
            super::mask::mask_phone(&s)
        } else if super::value::Email::parse(&s).is_ok() {
            super::mask::mask_email(&s)
        } else {
            s
        }),
        Value::Array(xs) => Value::Array(xs.into_iter().map(shown).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, shown(v))).collect()),
        other => other,
    }
}

impl Rule {
    /// The decision trace of evaluating the rule for one lead: each test's operand, the value it
    /// saw (masked as [`shown`] says) and whether the test held, depth first.
    pub fn trace(&self, facts: &LeadFacts, now: DateTime<Utc>) -> Value {
        let tests: Vec<Value> = self
            .tests()
            .into_iter()
            .map(|t| {
                let seen = match t.seen(facts, now, t.json_type()) {
                    Seen::Missing => Value::Null,
                    Seen::Present => Value::String("(present)".to_string()),
                    Seen::Set(members) => Value::Array(members.into_iter().map(|m| shown(Value::from(m))).collect()),
                    Seen::One(Lit::Text(s)) => shown(Value::String(s)),
                    Seen::One(Lit::Number(n)) => serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
                    Seen::One(Lit::Bool(b)) => Value::Bool(b),
                    Seen::One(Lit::Instant(t)) => Value::String(t.to_rfc3339()),
                };
                serde_json::json!({ "operand": t.operand.label(), "seen": seen, "holds": t.eval(facts, now) })
            })
            .collect();
        serde_json::json!({ "matched": self.eval(facts, now), "tests": tests })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Rule {
        Rule::parse("when", &v).unwrap()
    }

    fn refused(v: Value) -> String {
        Rule::parse("when", &v).unwrap_err().to_string()
    }

    #[test]
    fn a_test_reads_its_field_from_the_catalogue_by_api_name() {
        let r = parse(json!({"field": "lead.leadScore", "gte": 60}));
        assert_eq!(
            r,
            Rule::Test(Test {
                operand: Operand::Column { source: Source::Lead, column: "lead_score", ty: Ty::Number },
                op: Op::Gte(Lit::Number(60.0)),
            })
        );
        let r = parse(json!({"field": "channel.channelType", "in": ["WECHAT", "DOUYIN"]}));
        assert!(matches!(r, Rule::Test(Test { operand: Operand::Column { source: Source::Channel, .. }, .. })));
    }

    #[test]
    fn errors_name_the_json_path_of_the_bad_part() {
        assert_eq!(
            refused(json!({"all": [{"field": "lead.province", "gte": 3}]})),
            "when.all[0].gte does not apply to text or a flag"
        );
        assert!(
            refused(json!({"any": [{"field": "lead.nope", "eq": 1}]}))
                .starts_with("when.any[0].field names no field of lead")
        );
        assert!(
            refused(json!({"not": {"field": "lead.leadScore", "eq": "x"}})).starts_with("when.not.eq must be a number")
        );
        assert!(
            refused(json!({"field": "lead.city", "eq": "a", "ne": "b"})).starts_with("when.ne is a second operator")
        );
        assert!(refused(json!({"field": "lead.city", "equals": "a"})).starts_with("when.equals is not a combinator"));
        assert!(refused(json!({"field": "lead.city", "in": []})).starts_with("when.in must be a list of 1"));
        assert!(refused(json!({"all": []})).starts_with("when.all must be a list of 1"));
        assert!(
            refused(json!({"events": {"type": "NOPE", "withinDays": 3}, "gt": 1}))
                .starts_with("when.events.type is not an event type")
        );
        assert!(
            refused(json!({"events": {"type": "PAGE_VIEW", "withinDays": 0}, "gt": 1}))
                .starts_with("when.events.withinDays must be a whole number")
        );
    }

    #[test]
    fn personal_data_fields_allow_only_exists() {
        parse(json!({"field": "lead.mobilePhone", "exists": true}));
        assert!(refused(json!({"field": "lead.mobilePhone", "eq": "13800000000"})).contains("only exists"));
        assert!(refused(json!({"field": "lead.mobilePhoneBidx", "exists": true})).contains("which rules cannot test"));
        assert!(refused(json!({"field": "contact.email", "starts_with": "a"})).contains("only exists"));
    }

    #[test]
    fn sets_take_membership_operators_only() {
        parse(json!({"field": "tags", "contains": "高意向"}));
        parse(json!({"field": "utm.source", "in": ["baidu"]}));
        assert!(refused(json!({"field": "tags", "eq": "x"})).contains("does not apply to a set"));
        assert!(refused(json!({"field": "utm.referrer", "exists": true})).contains("is not a UTM parameter"));
    }

    #[test]
    fn every_recursive_input_is_bounded() {
        let mut deep = json!({"field": "lead.city", "exists": true});
        for _ in 0..MAX_DEPTH {
            deep = json!({ "not": deep });
        }
        assert!(refused(deep).contains("nests conditions deeper than"));
        let wide: Vec<Value> = (0..MAX_NODES + 1).map(|_| json!({"field": "lead.city", "exists": true})).collect();
        assert!(refused(json!({ "any": wide })).contains("must be a list of 1 to"));
        let many: Vec<Value> = (0..40)
            .map(|_| json!({"all": (0..6).map(|_| json!({"field": "lead.city", "exists": true})).collect::<Vec<_>>()}))
            .collect();
        assert!(refused(json!({ "any": many })).contains("longer than"));
        let long: Vec<Value> = (0..MAX_LIST + 1).map(|i| json!(i)).collect();
        assert!(refused(json!({"field": "lead.leadScore", "in": long})).contains("must be a list of 1 to 100"));
        assert!(
            refused(json!({"field": "lead.city", "matches": "a".repeat(MAX_PATTERN + 1)})).contains("must be 1 to 200")
        );
        assert!(refused(json!({"field": "lead.city", "matches": "(a{1000}){1000}"})).contains("within the size limit"));
    }

    #[test]
    fn patterns_outside_the_shared_syntax_are_refused() {
        parse(json!({"field": "lead.city", "matches": "^(深圳|广州)\\.?[a-z]{1,3}$"}));
        for p in ["\\d+", "(?i)abc", "[[:alpha:]]", "a{,3}", "(a)\\1"] {
            assert!(refused(json!({"field": "lead.city", "matches": p})).starts_with("when.matches "), "{p}");
        }
    }

    fn facts(lead: Value) -> LeadFacts {
        LeadFacts { lead: lead.as_object().unwrap().clone(), ..LeadFacts::default() }
    }

    #[test]
    fn a_missing_value_fails_every_test_but_exists_false_and_not_negates_that() {
        let now = Utc::now();
        let f = facts(json!({"city": null, "lead_score": 10}));
        let holds = |v: Value| parse(v).eval(&f, now);
        assert!(!holds(json!({"field": "lead.city", "eq": "深圳"})));
        assert!(!holds(json!({"field": "lead.city", "ne": "深圳"})));
        assert!(!holds(json!({"field": "lead.city", "not_in": ["深圳"]})));
        assert!(holds(json!({"not": {"field": "lead.city", "eq": "深圳"}})));
        assert!(holds(json!({"field": "lead.city", "exists": false})));
        assert!(!holds(json!({"field": "contact.jobTitle", "exists": true})));
        assert!(holds(json!({"field": "lead.leadScore", "ne": 11})));
    }

    #[test]
    fn a_custom_field_of_another_type_counts_as_missing() {
        let now = Utc::now();
        let f = facts(json!({"custom_fields": {"budget": "5", "n": 5, "vip": true, "deep": {"k": "v"}}}));
        let holds = |v: Value| parse(v).eval(&f, now);
        assert!(holds(json!({"field": "lead.customFields.n", "eq": 5})));
        assert!(!holds(json!({"field": "lead.customFields.budget", "eq": 5})));
        assert!(!holds(json!({"field": "lead.customFields.budget", "ne": 5})));
        assert!(holds(json!({"field": "lead.customFields.budget", "eq": "5"})));
        assert!(holds(json!({"field": "lead.customFields.vip", "eq": true})));
        assert!(holds(json!({"field": "lead.customFields.deep.k", "starts_with": "v"})));
        assert!(holds(json!({"field": "lead.customFields.deep", "exists": true})));
        assert!(!holds(json!({"field": "lead.customFields.nope", "exists": true})));
    }

    #[test]
    fn event_counts_and_within_days_look_back_from_now() {
        let now = Utc::now();
        let ev = |days: i64| EventFact {
            event_type: "PAGE_VIEW".into(),
            at: now - Duration::days(days),
            properties: None,
            utm: None,
        };
        let mut f = facts(json!({"created_at": (now - Duration::days(3)).to_rfc3339()}));
        f.events = vec![ev(1), ev(2), ev(10)];
        let holds = |v: Value| parse(v).eval(&f, now);
        assert!(holds(json!({"events": {"type": "PAGE_VIEW", "withinDays": 7}, "eq": 2})));
        assert!(holds(json!({"events": {"type": "PAGE_VIEW", "withinDays": 30}, "gte": 3})));
        assert!(holds(json!({"events": {"type": "FORM_SUBMIT", "withinDays": 30}, "eq": 0})));
        assert!(holds(json!({"field": "lead.createdAt", "within_days": 7})));
        assert!(!holds(json!({"field": "lead.createdAt", "within_days": 2})));
    }

    #[test]
    fn a_decision_trace_shows_what_each_test_saw_without_personal_data() {
        let now = Utc::now();
        let mut f = facts(json!({
            "province": "广东省",
            "mobile_phone": "v1:ciphertext",
            "custom_fields": {"contactPhone": "13800138000", "note": "报价"}
        }));
        f.tags = vec!["高意向".into()];
        let rule = parse(json!({"all": [
            {"field": "lead.province", "eq": "广东省"},
            {"field": "lead.mobilePhone", "exists": true},
            {"field": "lead.customFields.contactPhone", "starts_with": "138"},
            {"field": "tags", "contains": "高意向"},
            {"field": "lead.city", "exists": false}
        ]}));
        let trace = rule.trace(&f, now);
        assert_eq!(trace["matched"], json!(true));
        let seen: Vec<(String, Value)> = trace["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["operand"].as_str().unwrap().to_string(), t["seen"].clone()))
            .collect();
        assert_eq!(seen[0], ("lead.province".to_string(), json!("广东省")));
        assert_eq!(seen[1], ("lead.mobilePhone".to_string(), json!("(present)")));
        assert_eq!(seen[2].0, "lead.customFields.contactPhone");
        assert_ne!(seen[2].1, json!("13800138000"));
        assert!(!trace.to_string().contains("13800138000"), "{trace}");
        assert!(!trace.to_string().contains("ciphertext"), "{trace}");
        assert_eq!(seen[3], ("tags".to_string(), json!(["高意向"])));
        assert_eq!(seen[4], ("lead.city".to_string(), Value::Null));
    }
}
