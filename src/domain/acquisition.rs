//! Lead acquisition's pure rules (docs/design.md §6, "Lead acquisition"): a scene's data mapping
//! rules, parsed when the scene is written, and their application to one submission.
//!
//! A rule maps one lead field from a dotted path into `submission_data`:
//!
//! ```json
//! { "target": "mobilePhone", "source": "contact.phone", "transform": "phone", "default": null, "required": true }
//! ```
//!
//! - `target`: a lead field by its API name ([`LeadField`]), `channelUserId` (the submitter's id
//!   in the scene's channel — a WeChat openid or unionid, a platform user id — recorded as the
//!   lead's channel identity), or `customFields.<key>` (a key of the lead's custom fields, 1 to 64
//!   letters, digits, `_` or `-`: a form's message, say, for the routing rules to read); an unknown
//!   one is refused, and a target is mapped at most once.
//! - `source`: dot-separated keys (a numeric segment also indexes an array), or a list of up to
//!   [`MAX_SOURCES`] such paths whose non-blank values are concatenated with `separator` (default
//!   one space): `["name.family", "name.given"]`.
//! - `split`: `{ "separator": "-", "index": 1 }` keeps one part of the value (0-based; a missing
//!   part is a missing value).
//! - `lookup`: a table of text → text (at most [`MAX_LOOKUP`] entries) the value is translated
//!   through (`{ "31": "上海" }`); a value not in it falls to the `default`, else is a reason.
//! - `transform`: `trim` (every value is trimmed anyway), `phone` (E.164), `email` (lower case), or
//!   absent.
//! - `default`: a text, number or boolean used when the source is missing, null or blank.
//! - `required`: a missing value (after the default) rejects the submission.
//!
//! Order: gather (and concatenate) → trim → split → lookup → default → required → validate and
//! transform.
//!
//! Phones and e-mails are always validated through `value::Phone` / `value::Email`, whether or
//! not their rule normalises them: an invalid one rejects the submission. A parse error names the
//! rule's path (`dataMappingRules[2].target`); a rejection reason names the lead field and the
//! source path, never the value.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::DomainError;
use super::value::{Email, Phone};

/// The lead fields a mapping rule may fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LeadField {
    LeadName,
    CompanyName,
    MobilePhone,
    Email,
    WechatId,
    JobTitle,
    Province,
    City,
    /// Not a lead column: the submitter's id in the scene's channel (`lead_channel_identity`).
    ChannelUserId,
}

/// The most paths one rule concatenates.
pub const MAX_SOURCES: usize = 5;
/// The most entries of one lookup table.
pub const MAX_LOOKUP: usize = 1000;

impl LeadField {
    pub const ALL: [LeadField; 9] = [
        LeadField::LeadName,
        LeadField::CompanyName,
        LeadField::MobilePhone,
        LeadField::Email,
        LeadField::WechatId,
        LeadField::JobTitle,
        LeadField::Province,
        LeadField::City,
        LeadField::ChannelUserId,
    ];

    /// The API (GraphQL) name, as rules and reasons spell it.
    pub const fn api_name(self) -> &'static str {
        match self {
            LeadField::LeadName => "leadName",
            LeadField::CompanyName => "companyName",
            LeadField::MobilePhone => "mobilePhone",
            LeadField::Email => "email",
            LeadField::WechatId => "wechatId",
            LeadField::JobTitle => "jobTitle",
            LeadField::Province => "province",
            LeadField::City => "city",
            LeadField::ChannelUserId => "channelUserId",
        }
    }

    /// The lead column it fills (none for the channel identity).
    pub const fn column(self) -> Option<&'static str> {
        Some(match self {
            LeadField::LeadName => "lead_name",
            LeadField::CompanyName => "company_name",
            LeadField::MobilePhone => "mobile_phone",
            LeadField::Email => "email",
            LeadField::WechatId => "wechat_id",
            LeadField::JobTitle => "job_title",
            LeadField::Province => "province",
            LeadField::City => "city",
            LeadField::ChannelUserId => return None,
        })
    }

    /// Whether the field holds personal data (sealed at rest wherever it is stored).
    pub const fn is_pii(self) -> bool {
        matches!(self, LeadField::MobilePhone | LeadField::Email | LeadField::WechatId)
    }

    fn parse(name: &str) -> Option<LeadField> {
        LeadField::ALL.into_iter().find(|f| f.api_name() == name)
    }
}

/// Where a rule's value goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapTarget {
    Field(LeadField),
    /// A key of the lead's `customFields`.
    Custom(String),
}

impl MapTarget {
    /// As rules and reasons spell it.
    pub fn name(&self) -> String {
        match self {
            MapTarget::Field(f) => f.api_name().to_string(),
            MapTarget::Custom(k) => format!("customFields.{k}"),
        }
    }

    fn parse(name: &str) -> Option<MapTarget> {
        match name.strip_prefix("customFields.") {
            Some(key) => (!key.is_empty()
                && key.chars().count() <= 64
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .then(|| MapTarget::Custom(key.to_string())),
            None => LeadField::parse(name).map(MapTarget::Field),
        }
    }
}

/// How a value is normalised before it is mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transform {
    Trim,
    Phone,
    Email,
}

/// One rule.
#[derive(Clone, Debug, PartialEq)]
pub struct MappingRule {
    pub target: MapTarget,
    /// The dotted paths, as written (one, or several to concatenate).
    pub sources: Vec<String>,
    /// Joins several sources.
    pub separator: String,
    /// Keeps one part: `(separator, index)`.
    pub split: Option<(String, usize)>,
    pub lookup: Option<BTreeMap<String, String>>,
    pub transform: Option<Transform>,
    pub default: Option<String>,
    pub required: bool,
}

/// A scene's rules, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MappingRules(Vec<MappingRule>);

const KEYS: [&str; 8] = ["target", "source", "separator", "split", "lookup", "transform", "default", "required"];

/// A separator of at most 10 characters; empty only where `empty` (joining: `"张" + "伟"`), never
/// to split on.
fn parse_separator(at: String, v: &Value, empty: bool) -> Result<String, DomainError> {
    let min = usize::from(!empty);
    match v {
        Value::String(s) if (min..=10).contains(&s.chars().count()) => Ok(s.clone()),
        _ => Err(DomainError::invalid(at, format!("must be a text of {min} to 10 characters"))),
    }
}

impl MappingRules {
    /// Parses the rules stored in (or written to) `field` (`dataMappingRules`); `null` is no rules.
    pub fn parse(field: &str, json: &Value) -> Result<MappingRules, DomainError> {
        let items = match json {
            Value::Null => return Ok(MappingRules::default()),
            Value::Array(items) => items,
            _ => return Err(DomainError::invalid(field, "must be a list of mapping rules")),
        };
        let mut rules: Vec<MappingRule> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = |key: &str| format!("{field}[{i}].{key}");
            let Value::Object(obj) = item else {
                return Err(DomainError::invalid(format!("{field}[{i}]"), "must be an object"));
            };
            if let Some(key) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
                return Err(DomainError::invalid(
                    at(key),
                    format!("is not a mapping rule key (one of {})", KEYS.join(", ")),
                ));
            }
            let target = match obj.get("target") {
                None | Some(Value::Null) => return Err(DomainError::required(at("target"))),
                Some(Value::String(name)) => MapTarget::parse(name).ok_or_else(|| {
                    let known: Vec<&str> = LeadField::ALL.iter().map(|f| f.api_name()).collect();
                    DomainError::invalid(
                        at("target"),
                        format!("is not a lead field (one of {}, or customFields.<key>)", known.join(", ")),
                    )
                })?,
                Some(_) => return Err(DomainError::invalid(at("target"), "must be a string")),
            };
            if rules.iter().any(|r| r.target == target) {
                return Err(DomainError::invalid(at("target"), format!("maps {} a second time", target.name())));
            }
            let bad_source = || {
                DomainError::invalid(
                    at("source"),
                    format!(
                        "must be a dotted path into submission_data (`contact.phone`) or a list of 1 to {MAX_SOURCES}"
                    ),
                )
            };
            let sources = match obj.get("source") {
                None | Some(Value::Null) => return Err(DomainError::required(at("source"))),
                Some(Value::String(path)) if valid_path(path) => vec![path.clone()],
                Some(Value::Array(paths)) if (1..=MAX_SOURCES).contains(&paths.len()) => paths
                    .iter()
                    .map(|p| p.as_str().filter(|p| valid_path(p)).map(str::to_string))
                    .collect::<Option<Vec<String>>>()
                    .ok_or_else(bad_source)?,
                Some(_) => return Err(bad_source()),
            };
            let separator = match obj.get("separator") {
                None | Some(Value::Null) => " ".to_string(),
                Some(v) => parse_separator(at("separator"), v, true)?,
            };
            let split = match obj.get("split") {
                None | Some(Value::Null) => None,
                Some(Value::Object(o)) => {
                    if let Some(key) = o.keys().find(|k| *k != "separator" && *k != "index") {
                        return Err(DomainError::invalid(
                            format!("{}.{key}", at("split")),
                            "is not separator or index",
                        ));
                    }
                    let sep = parse_separator(
                        format!("{}.separator", at("split")),
                        o.get("separator").unwrap_or(&Value::Null),
                        false,
                    )?;
                    let index = o.get("index").and_then(Value::as_u64).filter(|i| *i < 100).ok_or_else(|| {
                        DomainError::invalid(format!("{}.index", at("split")), "must be a whole number from 0 to 99")
                    })?;
                    Some((sep, index as usize))
                }
                Some(_) => return Err(DomainError::invalid(at("split"), "must be { separator, index }")),
            };
            let lookup = match obj.get("lookup") {
                None | Some(Value::Null) => None,
                Some(Value::Object(o)) if o.len() <= MAX_LOOKUP => Some(
                    o.iter()
                        .map(|(k, v)| match v {
                            Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok((k.clone(), scalar_text(v))),
                            _ => Err(DomainError::invalid(format!("{}.{k}", at("lookup")), "must be a text")),
                        })
                        .collect::<Result<BTreeMap<_, _>, _>>()?,
                ),
                Some(_) => {
                    return Err(DomainError::invalid(
                        at("lookup"),
                        format!("must be an object of at most {MAX_LOOKUP} text values"),
                    ));
                }
            };
            let transform = match obj.get("transform") {
                None | Some(Value::Null) => None,
                Some(Value::String(t)) if t == "trim" => Some(Transform::Trim),
                Some(Value::String(t)) if t == "phone" => Some(Transform::Phone),
                Some(Value::String(t)) if t == "email" => Some(Transform::Email),
                Some(_) => return Err(DomainError::invalid(at("transform"), "must be trim, phone, email or null")),
            };
            let default = match obj.get("default") {
                None | Some(Value::Null) => None,
                Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => Some(scalar_text(v)),
                Some(_) => return Err(DomainError::invalid(at("default"), "must be a text, number, boolean or null")),
            };
            let required = match obj.get("required") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(DomainError::invalid(at("required"), "must be true or false")),
            };
            rules.push(MappingRule { target, sources, separator, split, lookup, transform, default, required });
        }
        Ok(MappingRules(rules))
    }

    pub fn rules(&self) -> &[MappingRule] {
        &self.0
    }

    /// The source paths of fields holding personal data: what is sealed in a stored submission.
    pub fn pii_sources(&self) -> impl Iterator<Item = (&str, LeadField)> {
        self.0.iter().flat_map(|r| match r.target {
            MapTarget::Field(f) if f.is_pii() => r.sources.iter().map(|s| (s.as_str(), f)).collect(),
            _ => Vec::new(),
        })
    }

    /// The rule filling `field`, if any.
    pub fn rule_for(&self, field: LeadField) -> Option<&MappingRule> {
        self.0.iter().find(|r| r.target == MapTarget::Field(field))
    }

    /// Maps one submission: the lead fields found, or every reason it is rejected.
    pub fn apply(&self, submission: &Value) -> Result<Mapped, Vec<String>> {
        let mut mapped = Mapped::default();
        let mut reasons = Vec::new();
        for rule in &self.0 {
            let field = rule.target.name();
            let source = rule.sources.join("+");
            let found = match gather(submission, rule) {
                Ok(found) => found,
                Err(path) => {
                    reasons.push(format!("{field}: submission_data.{path} is not a text value"));
                    continue;
                }
            };
            let found = found.and_then(|v| match &rule.split {
                Some((sep, i)) => {
                    v.split(sep.as_str()).nth(*i).map(str::trim).filter(|p| !p.is_empty()).map(str::to_string)
                }
                None => Some(v),
            });
            let found = match (found, &rule.lookup) {
                (Some(v), Some(table)) => match table.get(&v) {
                    Some(to) => Some(to.clone()),
                    None if rule.default.is_some() => None,
                    None => {
                        reasons.push(format!("{field}: submission_data.{source} is not in the rule's lookup table"));
                        continue;
                    }
                },
                (found, _) => found,
            };
            let Some(value) = found.or_else(|| rule.default.clone()) else {
                if rule.required {
                    reasons.push(format!("{field}: required, but submission_data.{source} is missing"));
                }
                continue;
            };
            match normalise(rule, value) {
                Ok(v) => match &rule.target {
                    MapTarget::Field(f) => mapped.values.push((*f, v)),
                    MapTarget::Custom(k) => mapped.custom.push((k.clone(), v)),
                },
                Err(e) => reasons.push(format!("{e} (from submission_data.{source})")),
            }
        }
        if reasons.is_empty() { Ok(mapped) } else { Err(reasons) }
    }
}

/// The rule's source values, trimmed, blank ones left out, joined by its separator: `None` when
/// none is there; `Err(path)` when one is not a text, number or boolean.
fn gather(submission: &Value, rule: &MappingRule) -> Result<Option<String>, String> {
    let mut parts = Vec::with_capacity(rule.sources.len());
    for path in &rule.sources {
        match lookup(submission, path) {
            None | Some(Value::Null) => {}
            Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
                let text = scalar_text(v);
                let text = text.trim();
                if !text.is_empty() {
                    parts.push(text.to_string());
                }
            }
            Some(_) => return Err(path.clone()),
        }
    }
    Ok(if parts.is_empty() { None } else { Some(parts.join(&rule.separator)) })
}

/// The UTM parameters (`utm_source`, `utm_medium`, `utm_campaign`, `utm_term`, `utm_content`) of a
/// submission URL, each at most 200 characters; `None` when it has none (or is not a URL).
pub fn utm_params(submission_url: &str) -> Option<Value> {
    const UTM: [&str; 5] = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
    let url = url::Url::parse(submission_url).ok()?;
    let mut found = Map::new();
    for (k, v) in url.query_pairs() {
        if UTM.contains(&k.as_ref()) && !v.trim().is_empty() && !found.contains_key(k.as_ref()) {
            found.insert(k.into_owned(), Value::String(v.trim().chars().take(200).collect()));
        }
    }
    (!found.is_empty()).then_some(Value::Object(found))
}

/// Validates phones and e-mails, and applies the rule's transform.
fn normalise(rule: &MappingRule, value: String) -> Result<String, DomainError> {
    let field = rule.target.name();
    let field = field.as_str();
    let phone = match rule.target {
        MapTarget::Field(LeadField::MobilePhone) => Some(Phone::parse(&value).map_err(|e| e.with_field(field))?),
        _ => None,
    };
    let email = match rule.target {
        MapTarget::Field(LeadField::Email) => Some(Email::parse(&value).map_err(|e| e.with_field(field))?),
        _ => None,
    };
    Ok(match rule.transform {
        Some(Transform::Phone) => match phone {
            Some(p) => p.into_inner(),
            None => Phone::parse(&value).map_err(|e| e.with_field(field))?.into_inner(),
        },
        Some(Transform::Email) => match email {
            Some(e) => e.into_inner(),
            None => Email::parse(&value).map_err(|e| e.with_field(field))?.into_inner(),
        },
        Some(Transform::Trim) | None => value,
    })
}

/// What a submission maps to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mapped {
    values: Vec<(LeadField, String)>,
    custom: Vec<(String, String)>,
}

impl Mapped {
    pub fn get(&self, field: LeadField) -> Option<&str> {
        self.values.iter().find(|(f, _)| *f == field).map(|(_, v)| v.as_str())
    }

    pub fn values(&self) -> &[(LeadField, String)] {
        &self.values
    }

    /// The custom fields mapped, as the lead's `customFields` object (`None`: none).
    pub fn custom_fields(&self) -> Option<Value> {
        (!self.custom.is_empty())
            .then(|| Value::Object(self.custom.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()))
    }

    /// The custom field keys mapped.
    pub fn custom_keys(&self) -> impl Iterator<Item = &str> {
        self.custom.iter().map(|(k, _)| k.as_str())
    }
}

fn valid_path(path: &str) -> bool {
    !path.is_empty() && path.len() <= 200 && path.split('.').all(|s| !s.is_empty())
}

/// The value at a dotted path (object keys; array indexes for numeric segments).
pub fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(root, |v, seg| match v {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

/// The value at a dotted path, mutable.
pub fn lookup_mut<'a>(root: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    path.split('.').try_fold(root, |v, seg| match v {
        Value::Object(m) => m.get_mut(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(move |i| a.get_mut(i)),
        _ => None,
    })
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(v: Value) -> MappingRules {
        MappingRules::parse("dataMappingRules", &v).unwrap()
    }

    fn refused(v: Value) -> String {
        MappingRules::parse("dataMappingRules", &v).unwrap_err().to_string()
    }

    #[test]
    fn rules_parse_with_their_defaults() {
        let r = rules(json!([
            { "target": "leadName", "source": "name", "required": true },
            { "target": "mobilePhone", "source": "contact.phone", "transform": "phone" },
            { "target": "city", "source": "city", "default": "上海" }
        ]));
        assert_eq!(r.rules().len(), 3);
        assert_eq!(r.rules()[1].transform, Some(Transform::Phone));
        assert!(!r.rules()[2].required);
        assert_eq!(r.rules()[2].default.as_deref(), Some("上海"));
        assert_eq!(r.rules()[0].sources, ["name"]);
        assert_eq!(r.pii_sources().collect::<Vec<_>>(), [("contact.phone", LeadField::MobilePhone)]);
        assert_eq!(rules(Value::Null), MappingRules::default());
    }

    #[test]
    fn custom_field_targets_map_into_the_leads_custom_fields_and_bad_keys_are_refused() {
        let r = rules(json!([
            { "target": "leadName", "source": "name" },
            { "target": "customFields.message", "source": "form.message" },
            { "target": "customFields.budget_range", "source": "budget", "default": "未知" }
        ]));
        let mapped = r.apply(&json!({ "name": "张伟", "form": { "message": " 请报价 " } })).unwrap();
        assert_eq!(mapped.custom_fields(), Some(json!({ "message": "请报价", "budget_range": "未知" })));
        assert_eq!(mapped.custom_keys().collect::<Vec<_>>(), ["message", "budget_range"]);
        assert_eq!(mapped.get(LeadField::LeadName), Some("张伟"));
        assert_eq!(
            rules(json!([{ "target": "leadName", "source": "name" }]))
                .apply(&json!({ "name": "x" }))
                .unwrap()
                .custom_fields(),
            None
        );
        for bad in
            ["customFields.", "customFields.a.b", "customFields.备注", &format!("customFields.{}", "k".repeat(65))]
        {
            let e = refused(json!([{ "target": bad, "source": "x" }]));
            assert!(e.starts_with("dataMappingRules[0].target is not a lead field"), "{bad}: {e}");
        }
        let twice = refused(
            json!([{ "target": "customFields.m", "source": "a" }, { "target": "customFields.m", "source": "b" }]),
        );
        assert!(twice.starts_with("dataMappingRules[1].target maps customFields.m a second time"), "{twice}");
    }

    #[test]
    fn a_bad_rule_is_refused_naming_its_path() {
        let bad = json!([
            { "target": "leadName", "source": "name" },
            { "target": "email", "source": "mail" },
            { "target": "shoeSize", "source": "x" }
        ]);
        let e = refused(bad);
        assert!(e.starts_with("dataMappingRules[2].target is not a lead field"), "{e}");
        assert!(refused(json!({})).starts_with("dataMappingRules must be a list"));
        assert!(refused(json!([1])).starts_with("dataMappingRules[0] must be an object"));
        assert!(refused(json!([{ "source": "x" }])).starts_with("dataMappingRules[0].target is required"));
        assert!(refused(json!([{ "target": "city", "source": "a..b" }])).starts_with("dataMappingRules[0].source"));
        assert!(
            refused(json!([{ "target": "city", "source": "a", "transform": "upper" }]))
                .starts_with("dataMappingRules[0].transform")
        );
        assert!(
            refused(json!([{ "target": "city", "source": "a", "extra": 1 }])).starts_with("dataMappingRules[0].extra")
        );
        assert!(
            refused(json!([{ "target": "city", "source": "a" }, { "target": "city", "source": "b" }]))
                .starts_with("dataMappingRules[1].target maps city a second time")
        );
    }

    #[test]
    fn a_submission_maps_through_paths_transforms_and_defaults() {
        let r = rules(json!([
            { "target": "leadName", "source": "name", "required": true },
            { "target": "mobilePhone", "source": "contact.phone", "transform": "phone" },
            { "target": "email", "source": "contact.email", "transform": "email" },
            { "target": "city", "source": "addr.1", "default": "上海" },
            { "target": "jobTitle", "source": "title" }
        ]));
        let m = r
            .apply(&json!({ "name": " 张伟 ", "contact": { "phone": "138 0013 8000", "email": "Zhang@Example.COM" }, "addr": ["x"] }))
            .unwrap();
        assert_eq!(m.get(LeadField::LeadName), Some("张伟"));
        assert_eq!(m.get(LeadField::MobilePhone), Some("+8613800138000"));
        assert_eq!(m.get(LeadField::Email), Some("zhang@example.com"));
        assert_eq!(m.get(LeadField::City), Some("上海"));
        assert_eq!(m.get(LeadField::JobTitle), None);
    }

    #[test]
    fn sources_concatenate_and_values_split_and_translate_through_lookup_tables() {
        let r = rules(json!([
            { "target": "leadName", "source": ["name.family", "name.given"], "separator": "", "required": true },
            { "target": "province", "source": "region", "split": { "separator": "-", "index": 0 }, "lookup": { "31": "上海", "11": "北京" } },
            { "target": "city", "source": "region", "split": { "separator": "-", "index": 1 } },
            { "target": "jobTitle", "source": "title", "lookup": { "eng": "工程师" }, "default": "未知" },
            { "target": "channelUserId", "source": "openid" }
        ]));
        let m = r
            .apply(&json!({ "name": { "family": "张", "given": " 伟 " }, "region": "31-浦东", "title": "cto", "openid": "o6_bmjrPTlm6" }))
            .unwrap();
        assert_eq!(m.get(LeadField::LeadName), Some("张伟"));
        assert_eq!(m.get(LeadField::Province), Some("上海"));
        assert_eq!(m.get(LeadField::City), Some("浦东"));
        assert_eq!(m.get(LeadField::JobTitle), Some("未知"), "not in the table: the default");
        assert_eq!(m.get(LeadField::ChannelUserId), Some("o6_bmjrPTlm6"));
        assert_eq!(LeadField::ChannelUserId.column(), None);
        let reasons = r.apply(&json!({ "name": { "given": "伟" }, "region": "99-x" })).unwrap_err();
        assert_eq!(reasons, ["province: submission_data.region is not in the rule's lookup table"]);
        let reasons = r.apply(&json!({ "name": {} })).unwrap_err();
        assert_eq!(reasons, ["leadName: required, but submission_data.name.family+name.given is missing"]);
    }

    #[test]
    fn bad_concatenations_splits_and_lookups_are_refused_naming_their_path() {
        let e = refused(json!([{ "target": "city", "source": [] }]));
        assert!(e.starts_with("dataMappingRules[0].source"), "{e}");
        let e = refused(json!([{ "target": "city", "source": ["a", "b", "c", "d", "e", "f"] }]));
        assert!(e.starts_with("dataMappingRules[0].source"), "{e}");
        let e = refused(json!([{ "target": "city", "source": "a", "split": { "separator": "-" } }]));
        assert!(e.starts_with("dataMappingRules[0].split.index"), "{e}");
        let e = refused(json!([{ "target": "city", "source": "a", "split": { "separator": "", "index": 0 } }]));
        assert!(e.starts_with("dataMappingRules[0].split.separator"), "{e}");
        let e = refused(json!([{ "target": "city", "source": "a", "lookup": { "x": [] } }]));
        assert!(e.starts_with("dataMappingRules[0].lookup.x"), "{e}");
        let e = refused(json!([{ "target": "city", "source": "a", "separator": 3 }]));
        assert!(e.starts_with("dataMappingRules[0].separator"), "{e}");
    }

    #[test]
    fn utm_parameters_come_from_the_submission_url() {
        let utm = utm_params("https://example.com/form?utm_source=baidu&utm_medium=cpc&x=1&utm_campaign=%E5%8F%8C11")
            .unwrap();
        assert_eq!(utm, json!({ "utm_source": "baidu", "utm_medium": "cpc", "utm_campaign": "双11" }));
        assert_eq!(utm_params("https://example.com/form?x=1"), None);
        assert_eq!(utm_params("not a url"), None);
    }

    #[test]
    fn a_missing_required_field_and_an_invalid_phone_are_reasons_without_the_value() {
        let r = rules(json!([
            { "target": "leadName", "source": "name", "required": true },
            { "target": "mobilePhone", "source": "phone" }
        ]));
        let reasons = r.apply(&json!({ "name": "  ", "phone": "12345" })).unwrap_err();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert_eq!(reasons[0], "leadName: required, but submission_data.name is missing");
        assert!(reasons[1].starts_with("mobilePhone is not a valid"), "{reasons:?}");
        assert!(!reasons[1].contains("12345"));
        let reasons = r.apply(&json!({ "name": { "first": "x" } })).unwrap_err();
        assert_eq!(reasons, ["leadName: submission_data.name is not a text value"]);
    }
}
