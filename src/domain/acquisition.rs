//! Lead acquisition's pure rules (docs/design.md §6, "Lead acquisition"): a scene's data mapping
//! rules, parsed when the scene is written, and their application to one submission.
//!
//! A rule maps one lead field from a dotted path into `submission_data`:
//!
//! ```json
//! { "target": "mobilePhone", "source": "contact.phone", "transform": "phone", "default": null, "required": true }
//! ```
//!
//! - `target`: a lead field by its API name ([`LeadField`]); an unknown one is refused, and a
//!   field is mapped at most once.
//! - `source`: dot-separated keys (a numeric segment also indexes an array).
//! - `transform`: `trim` (every value is trimmed anyway), `phone` (E.164), `email` (lower case), or
//!   absent.
//! - `default`: a text, number or boolean used when the source is missing, null or blank.
//! - `required`: a missing value (after the default) rejects the submission.
//!
//! Phones and e-mails are always validated through `value::Phone` / `value::Email`, whether or
//! not their rule normalises them: an invalid one rejects the submission. A parse error names the
//! rule's path (`dataMappingRules[2].target`); a rejection reason names the lead field and the
//! source path, never the value.

use serde_json::Value;

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
}

impl LeadField {
    pub const ALL: [LeadField; 8] = [
        LeadField::LeadName,
        LeadField::CompanyName,
        LeadField::MobilePhone,
        LeadField::Email,
        LeadField::WechatId,
        LeadField::JobTitle,
        LeadField::Province,
        LeadField::City,
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
        }
    }

    /// The lead column it fills.
    pub const fn column(self) -> &'static str {
        match self {
            LeadField::LeadName => "lead_name",
            LeadField::CompanyName => "company_name",
            LeadField::MobilePhone => "mobile_phone",
            LeadField::Email => "email",
            LeadField::WechatId => "wechat_id",
            LeadField::JobTitle => "job_title",
            LeadField::Province => "province",
            LeadField::City => "city",
        }
    }

    /// Whether the field holds personal data (sealed at rest wherever it is stored).
    pub const fn is_pii(self) -> bool {
        matches!(self, LeadField::MobilePhone | LeadField::Email | LeadField::WechatId)
    }

    fn parse(name: &str) -> Option<LeadField> {
        LeadField::ALL.into_iter().find(|f| f.api_name() == name)
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
    pub target: LeadField,
    /// The dotted path, as written.
    pub source: String,
    pub transform: Option<Transform>,
    pub default: Option<String>,
    pub required: bool,
}

/// A scene's rules, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MappingRules(Vec<MappingRule>);

const KEYS: [&str; 5] = ["target", "source", "transform", "default", "required"];

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
                Some(Value::String(name)) => LeadField::parse(name).ok_or_else(|| {
                    let known: Vec<&str> = LeadField::ALL.iter().map(|f| f.api_name()).collect();
                    DomainError::invalid(at("target"), format!("is not a lead field (one of {})", known.join(", ")))
                })?,
                Some(_) => return Err(DomainError::invalid(at("target"), "must be a string")),
            };
            if rules.iter().any(|r| r.target == target) {
                return Err(DomainError::invalid(at("target"), format!("maps {} a second time", target.api_name())));
            }
            let source = match obj.get("source") {
                None | Some(Value::Null) => return Err(DomainError::required(at("source"))),
                Some(Value::String(path)) if valid_path(path) => path.clone(),
                Some(_) => {
                    return Err(DomainError::invalid(
                        at("source"),
                        "must be a dotted path into submission_data (`contact.phone`)",
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
            rules.push(MappingRule { target, source, transform, default, required });
        }
        Ok(MappingRules(rules))
    }

    pub fn rules(&self) -> &[MappingRule] {
        &self.0
    }

    /// The source paths of fields holding personal data: what is sealed in a stored submission.
    pub fn pii_sources(&self) -> impl Iterator<Item = (&str, LeadField)> {
        self.0.iter().filter(|r| r.target.is_pii()).map(|r| (r.source.as_str(), r.target))
    }

    /// Maps one submission: the lead fields found, or every reason it is rejected.
    pub fn apply(&self, submission: &Value) -> Result<Mapped, Vec<String>> {
        let mut mapped = Mapped::default();
        let mut reasons = Vec::new();
        for rule in &self.0 {
            let field = rule.target.api_name();
            let found = match lookup(submission, &rule.source) {
                None | Some(Value::Null) => None,
                Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
                    Some(scalar_text(v).trim().to_string()).filter(|s| !s.is_empty())
                }
                Some(_) => {
                    reasons.push(format!("{field}: submission_data.{} is not a text value", rule.source));
                    continue;
                }
            };
            let Some(value) = found.or_else(|| rule.default.clone()) else {
                if rule.required {
                    reasons.push(format!("{field}: required, but submission_data.{} is missing", rule.source));
                }
                continue;
            };
            match normalise(rule, value) {
                Ok(v) => mapped.values.push((rule.target, v)),
                Err(e) => reasons.push(format!("{e} (from submission_data.{})", rule.source)),
            }
        }
        if reasons.is_empty() { Ok(mapped) } else { Err(reasons) }
    }
}

/// Validates phones and e-mails, and applies the rule's transform.
fn normalise(rule: &MappingRule, value: String) -> Result<String, DomainError> {
    let field = rule.target.api_name();
    let phone = match rule.target {
        LeadField::MobilePhone => Some(Phone::parse(&value).map_err(|e| e.with_field(field))?),
        _ => None,
    };
    let email = match rule.target {
        LeadField::Email => Some(Email::parse(&value).map_err(|e| e.with_field(field))?),
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
}

impl Mapped {
    pub fn get(&self, field: LeadField) -> Option<&str> {
        self.values.iter().find(|(f, _)| *f == field).map(|(_, v)| v.as_str())
    }

    pub fn values(&self) -> &[(LeadField, String)] {
        &self.values
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
        assert_eq!(r.pii_sources().collect::<Vec<_>>(), [("contact.phone", LeadField::MobilePhone)]);
        assert_eq!(rules(Value::Null), MappingRules::default());
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
