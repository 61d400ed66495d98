//! Signed webhooks' pure rules (docs/design.md §5: "HMAC-SHA256 signature over timestamp + body,
//! 5-minute replay window, per-scene secret"; README "Webhooks"):
//!
//! - [`WebhookSettings`]: a scene's `sceneSpecificParams.webhook` — which [`Adapter`] reads the
//!   platform's body and which [`ResponseShape`] answers it — parsed when the scene is written.
//! - [`SignedHeaders`]: `X-Cdp-Timestamp` (unix seconds) and `X-Cdp-Signature: sha256=<hex>`;
//!   [`verify`] checks the HMAC-SHA256 of `"{timestamp}.{raw body}"` in constant time, [`fresh`]
//!   the ±5-minute window.
//! - [`Adapter::translate`]: a platform's body → the `submission_data` object of
//!   `POST /api/v1/leads/ingestions`, plus the platform's event id (the ingestion's idempotency
//!   key, so a retry of one event answers one ingestion). A new platform is one more variant and
//!   one more translation function here.
//!
//! Errors name the path (`data.telephone`, `sceneSpecificParams.webhook.adapter`), never a value.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::DomainError;

/// How far a signed timestamp may lie from the server's clock, either way.
pub const REPLAY_WINDOW_SECS: i64 = 300;
/// The scheme prefix of `X-Cdp-Signature`.
pub const SIGNATURE_SCHEME: &str = "sha256=";
/// The longest event id (it becomes an idempotency key, `lead_ingestion.idempotency_key`).
pub const MAX_EVENT_ID: usize = 200;
/// Meta values kept from a generic delivery, each at most [`MAX_META`] characters.
const META_KEYS: [&str; 3] = ["ip", "user_agent", "submission_url"];
const MAX_META: usize = 2000;

/// Which platform's body a scene's webhook reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Adapter {
    /// `{ "event_id"?, "submission_data": {…}, "meta"? }`
    #[default]
    Generic,
    /// A Douyin-style lead push: `{ "event"?, "clue_id", "data": { "telephone", … } }`.
    Douyin,
    /// A WeChat mini-program phone authorization: `{ "appid", "openid", "phone_info": {…}, … }`.
    WechatMiniProgram,
}

impl Adapter {
    pub const ALL: [Adapter; 3] = [Adapter::Generic, Adapter::Douyin, Adapter::WechatMiniProgram];

    /// The name a scene's settings use.
    pub const fn name(self) -> &'static str {
        match self {
            Adapter::Generic => "generic",
            Adapter::Douyin => "douyin",
            Adapter::WechatMiniProgram => "wechat_mini_program",
        }
    }

    /// The answer the platform expects unless the scene names another.
    pub const fn default_response(self) -> ResponseShape {
        match self {
            Adapter::Generic => ResponseShape::Generic,
            Adapter::Douyin => ResponseShape::Douyin,
            Adapter::WechatMiniProgram => ResponseShape::Wechat,
        }
    }

    /// The submission and event id of a delivery's JSON body.
    pub fn translate(self, body: &Value) -> Result<Delivery, DomainError> {
        let Value::Object(body) = body else {
            return Err(DomainError::invalid("body", "must be a JSON object"));
        };
        match self {
            Adapter::Generic => generic(body),
            Adapter::Douyin => douyin(body),
            Adapter::WechatMiniProgram => wechat_mini_program(body),
        }
    }
}

/// How a scene's webhook answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseShape {
    /// 202 `{ ingestion_id, status_url }`; errors `{ "error": { code, message } }`.
    Generic,
    /// 200 `{ "code": 0, "message": "success" }`; errors `{ "code": <HTTP status>, "message", "reason" }`.
    Douyin,
    /// 200 `{ "errcode": 0, "errmsg": "ok" }`; errors `{ "errcode": <HTTP status>, "errmsg", "reason" }`.
    Wechat,
}

impl ResponseShape {
    pub const ALL: [ResponseShape; 3] = [ResponseShape::Generic, ResponseShape::Douyin, ResponseShape::Wechat];

    pub const fn name(self) -> &'static str {
        match self {
            ResponseShape::Generic => "generic",
            ResponseShape::Douyin => "douyin",
            ResponseShape::Wechat => "wechat",
        }
    }
}

/// A scene's webhook settings: `scene_specific_params.webhook`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    pub adapter: Adapter,
    pub response: ResponseShape,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings { adapter: Adapter::Generic, response: Adapter::Generic.default_response() }
    }
}

const SETTING_KEYS: [&str; 2] = ["adapter", "response"];

impl WebhookSettings {
    /// Parses the scene parameters stored in (or written to) `field` (`sceneSpecificParams`):
    /// `null`, or an object whose optional `webhook` object names an `adapter` and a `response`.
    pub fn parse(field: &str, params: &Value) -> Result<WebhookSettings, DomainError> {
        let webhook = match params {
            Value::Null => return Ok(WebhookSettings::default()),
            Value::Object(params) => match params.get("webhook") {
                None | Some(Value::Null) => return Ok(WebhookSettings::default()),
                Some(Value::Object(w)) => w,
                Some(_) => return Err(DomainError::invalid(format!("{field}.webhook"), "must be an object")),
            },
            _ => return Err(DomainError::invalid(field, "must be a JSON object")),
        };
        let at = |key: &str| format!("{field}.webhook.{key}");
        if let Some(key) = webhook.keys().find(|k| !SETTING_KEYS.contains(&k.as_str())) {
            return Err(DomainError::invalid(
                at(key),
                format!("is not a webhook setting (one of {})", SETTING_KEYS.join(", ")),
            ));
        }
        let adapter = match webhook.get("adapter") {
            None | Some(Value::Null) => Adapter::default(),
            Some(v) => one_of(&at("adapter"), "an adapter", v, &Adapter::ALL, |a| a.name())?,
        };
        let response = match webhook.get("response") {
            None | Some(Value::Null) => adapter.default_response(),
            Some(v) => one_of(&at("response"), "a response shape", v, &ResponseShape::ALL, |r| r.name())?,
        };
        Ok(WebhookSettings { adapter, response })
    }
}

fn one_of<T: Copy>(
    path: &str,
    what: &str,
    v: &Value,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, DomainError> {
    v.as_str().and_then(|s| all.iter().copied().find(|t| name(*t) == s)).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|t| name(*t)).collect();
        DomainError::invalid(path, format!("is not {what} (one of {})", names.join(", ")))
    })
}

/// What a delivery asks to queue.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The `submission_data` the scene's mapping rules read.
    pub submission: Map<String, Value>,
    /// `{ ip, user_agent, submission_url }`, when the platform sent them.
    pub meta: Option<Value>,
    /// The platform's id of the event: one ingestion per event, however often it is delivered.
    pub event_id: Option<String>,
}

fn generic(body: &Map<String, Value>) -> Result<Delivery, DomainError> {
    let submission = match body.get("submission_data") {
        None | Some(Value::Null) => return Err(DomainError::required("submission_data")),
        Some(Value::Object(data)) => data.clone(),
        Some(_) => return Err(DomainError::invalid("submission_data", "must be a JSON object")),
    };
    let event_id = match body.get("event_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(event_id("event_id", v)?),
    };
    let meta = match body.get("meta") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => {
            let mut kept = Map::new();
            for key in META_KEYS {
                match m.get(key) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) if s.chars().count() <= MAX_META => {
                        kept.insert(key.to_string(), Value::String(s.clone()));
                    }
                    Some(_) => {
                        return Err(DomainError::invalid(
                            format!("meta.{key}"),
                            format!("must be a text of at most {MAX_META} characters"),
                        ));
                    }
                }
            }
            Some(Value::Object(kept))
        }
        Some(_) => return Err(DomainError::invalid("meta", "must be a JSON object")),
    };
    Ok(Delivery { submission, meta, event_id })
}

/// The lead push: `data`'s fields become the submission (the scene's rules map `name`,
/// `telephone`, `province`, `city`, … as for any submission), with `clue_id` beside them.
fn douyin(body: &Map<String, Value>) -> Result<Delivery, DomainError> {
    let clue_id = match body.get("clue_id") {
        None | Some(Value::Null) => return Err(DomainError::required("clue_id")),
        Some(v) => event_id("clue_id", v)?,
    };
    if let Some(event) = body.get("event")
        && !event.is_string()
        && !event.is_null()
    {
        return Err(DomainError::invalid("event", "must be a text"));
    }
    let mut submission = match body.get("data") {
        None | Some(Value::Null) => return Err(DomainError::required("data")),
        Some(Value::Object(data)) => data.clone(),
        Some(_) => return Err(DomainError::invalid("data", "must be a JSON object")),
    };
    if submission.get("telephone").is_none_or(is_blank) {
        return Err(DomainError::required("data.telephone"));
    }
    submission.entry("clue_id").or_insert_with(|| Value::String(clue_id.clone()));
    Ok(Delivery { submission, meta: None, event_id: Some(clue_id) })
}

/// The phone authorization: `phone` (E.164-ish: `+<countryCode><purePhoneNumber>`, else
/// `phoneNumber`), `openid`, `unionid`, `appid` and the mini-program's `scene`. Its event id is a
/// digest of appid, openid and timestamp, so the stored key does not carry the openid.
fn wechat_mini_program(body: &Map<String, Value>) -> Result<Delivery, DomainError> {
    let appid = text(body, "appid", "appid")?.ok_or_else(|| DomainError::required("appid"))?;
    let openid = text(body, "openid", "openid")?.ok_or_else(|| DomainError::required("openid"))?;
    let unionid = text(body, "unionid", "unionid")?;
    let info = match body.get("phone_info") {
        None | Some(Value::Null) => return Err(DomainError::required("phone_info")),
        Some(Value::Object(info)) => info,
        Some(_) => return Err(DomainError::invalid("phone_info", "must be a JSON object")),
    };
    let pure = text(info, "purePhoneNumber", "phone_info.purePhoneNumber")?;
    let full = text(info, "phoneNumber", "phone_info.phoneNumber")?;
    let country = match info.get("countryCode") {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => text(info, "countryCode", "phone_info.countryCode")?,
    };
    let phone = match (&country, &pure, &full) {
        (Some(c), Some(p), _) => format!("+{}{p}", c.trim_start_matches('+')),
        (_, _, Some(f)) => f.clone(),
        (None, Some(p), None) => p.clone(),
        (Some(_), None, None) | (None, None, None) => {
            return Err(DomainError::required("phone_info.purePhoneNumber"));
        }
    };
    let timestamp = match body.get("timestamp") {
        None | Some(Value::Null) => String::new(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(DomainError::invalid("timestamp", "must be a number")),
    };
    let mut submission = Map::new();
    submission.insert("phone".into(), Value::String(phone));
    submission.insert("openid".into(), Value::String(openid.clone()));
    if let Some(u) = unionid {
        submission.insert("unionid".into(), Value::String(u));
    }
    submission.insert("appid".into(), Value::String(appid.clone()));
    if let Some(scene) = body.get("scene").filter(|v| v.is_string() || v.is_number()) {
        submission.insert("scene".into(), scene.clone());
    }
    let digest = Sha256::digest(format!("{appid}\n{openid}\n{timestamp}"));
    let event_id = format!("wx:{}", hex(&digest));
    Ok(Delivery { submission, meta: None, event_id: Some(event_id) })
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// An optional non-blank text at `key` (`path` names it in errors).
fn text(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>, DomainError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(DomainError::invalid(path, "must be a text")),
    }
}

/// An event id: a text or an integer, 1 to [`MAX_EVENT_ID`] visible ASCII characters.
fn event_id(path: &str, v: &Value) -> Result<String, DomainError> {
    let id = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_u64() || n.is_i64() => n.to_string(),
        _ => return Err(DomainError::invalid(path, "must be a text or an integer")),
    };
    if id.is_empty() || id.len() > MAX_EVENT_ID || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DomainError::invalid(path, format!("must be 1 to {MAX_EVENT_ID} visible ASCII characters")));
    }
    Ok(id)
}

/// The signature headers of a delivery, as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHeaders {
    /// The header's text, signed as it was sent.
    pub timestamp_text: String,
    pub timestamp: i64,
    pub signature: [u8; 32],
}

impl SignedHeaders {
    /// Parses `X-Cdp-Timestamp` (unix seconds, 1 to 12 digits) and `X-Cdp-Signature`
    /// (`sha256=` and 64 hex digits).
    pub fn parse(timestamp: Option<&str>, signature: Option<&str>) -> Result<SignedHeaders, DomainError> {
        let ts = timestamp.ok_or_else(|| DomainError::required("X-Cdp-Timestamp"))?;
        let sig = signature.ok_or_else(|| DomainError::required("X-Cdp-Signature"))?;
        if ts.is_empty() || ts.len() > 12 || !ts.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::invalid("X-Cdp-Timestamp", "must be unix seconds"));
        }
        let bad_sig = || DomainError::invalid("X-Cdp-Signature", "must be sha256= and 64 hex digits");
        let hex_sig = sig.strip_prefix(SIGNATURE_SCHEME).ok_or_else(bad_sig)?;
        if hex_sig.len() != 64 {
            return Err(bad_sig());
        }
        let mut signature = [0u8; 32];
        for (i, pair) in hex_sig.as_bytes().chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).map_err(|_| bad_sig())?;
            signature[i] = u8::from_str_radix(pair, 16).map_err(|_| bad_sig())?;
        }
        Ok(SignedHeaders { timestamp_text: ts.to_string(), timestamp: ts.parse().map_err(|_| bad_sig())?, signature })
    }

    /// Until when this signature must be remembered: after it, [`fresh`] refuses its timestamp
    /// anyway (a minute more for replicas whose clocks differ a little).
    pub fn remember_until(&self) -> i64 {
        self.timestamp + REPLAY_WINDOW_SECS + 60
    }
}

/// Whether `timestamp` lies within the replay window around `now` (unix seconds).
pub fn fresh(timestamp: i64, now: i64) -> bool {
    (now - timestamp).abs() <= REPLAY_WINDOW_SECS
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Whether `headers` carry the HMAC-SHA256 of `"{timestamp}.{body}"` under `secret` (constant time).
pub fn verify(secret: &[u8], headers: &SignedHeaders, body: &[u8]) -> bool {
    mac(secret, &headers.timestamp_text, body).verify_slice(&headers.signature).is_ok()
}

/// The `X-Cdp-Signature` value a sender computes (tests and examples).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    format!("{SIGNATURE_SCHEME}{}", hex(&mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn settings_default_to_the_generic_adapter_and_its_response() {
        assert_eq!(WebhookSettings::parse("p", &Value::Null).unwrap(), WebhookSettings::default());
        assert_eq!(WebhookSettings::parse("p", &json!({ "other": 1 })).unwrap(), WebhookSettings::default());
        let s = WebhookSettings::parse("p", &json!({ "webhook": { "adapter": "douyin" } })).unwrap();
        assert_eq!(s, WebhookSettings { adapter: Adapter::Douyin, response: ResponseShape::Douyin });
        let s =
            WebhookSettings::parse("p", &json!({ "webhook": { "adapter": "douyin", "response": "generic" } })).unwrap();
        assert_eq!(s.response, ResponseShape::Generic);
        let s = WebhookSettings::parse("p", &json!({ "webhook": { "adapter": "wechat_mini_program" } })).unwrap();
        assert_eq!(s.response, ResponseShape::Wechat);
    }

    #[test]
    fn bad_settings_name_their_path() {
        let err = |v: Value| WebhookSettings::parse("sceneSpecificParams", &v).unwrap_err().to_string();
        assert!(
            err(json!({ "webhook": { "adapter": "tiktok" } }))
                .starts_with("sceneSpecificParams.webhook.adapter is not an adapter")
        );
        assert!(err(json!({ "webhook": { "response": 1 } })).starts_with("sceneSpecificParams.webhook.response"));
        assert!(err(json!({ "webhook": { "adaptor": "generic" } })).starts_with("sceneSpecificParams.webhook.adaptor"));
        assert!(err(json!({ "webhook": "generic" })).starts_with("sceneSpecificParams.webhook must be an object"));
        assert!(err(json!([1])).starts_with("sceneSpecificParams must be a JSON object"));
    }

    #[test]
    fn a_signature_verifies_under_its_secret_only_and_in_any_hex_case() {
        let body = br#"{"submission_data":{}}"#;
        let sig = sign(b"s3cret", "1764690000", body);
        let headers = SignedHeaders::parse(Some("1764690000"), Some(&sig)).unwrap();
        assert!(verify(b"s3cret", &headers, body));
        assert!(!verify(b"other", &headers, body));
        assert!(!verify(b"s3cret", &headers, br#"{"submission_data":{"x":1}}"#));
        let upper = format!("sha256={}", sig["sha256=".len()..].to_uppercase());
        assert_eq!(SignedHeaders::parse(Some("1764690000"), Some(&upper)).unwrap(), headers);
        // The timestamp is signed as sent.
        let padded = SignedHeaders::parse(Some("01764690000"), Some(&sig)).unwrap();
        assert!(!verify(b"s3cret", &padded, body));
    }

    #[test]
    fn malformed_signature_headers_are_refused_naming_the_header() {
        let ok = sign(b"k", "1", b"");
        let err = |t: Option<&str>, s: Option<&str>| SignedHeaders::parse(t, s).unwrap_err().to_string();
        assert!(err(None, Some(&ok)).starts_with("X-Cdp-Timestamp"));
        assert!(err(Some("1"), None).starts_with("X-Cdp-Signature"));
        assert!(err(Some("-5"), Some(&ok)).starts_with("X-Cdp-Timestamp"));
        assert!(err(Some("1.5"), Some(&ok)).starts_with("X-Cdp-Timestamp"));
        assert!(err(Some("1"), Some(&ok["sha256=".len()..])).starts_with("X-Cdp-Signature"));
        assert!(err(Some("1"), Some("sha256=zz")).starts_with("X-Cdp-Signature"));
        assert!(err(Some("1"), Some(&format!("sha256={}", "g".repeat(64)))).starts_with("X-Cdp-Signature"));
    }

    #[test]
    fn the_window_is_five_minutes_either_way() {
        assert!(fresh(1000, 1300));
        assert!(fresh(1300, 1000));
        assert!(!fresh(1000, 1301));
        assert!(!fresh(1301, 1000));
    }

    #[test]
    fn a_generic_delivery_is_its_submission_data_event_id_and_known_meta() {
        let d = Adapter::Generic
            .translate(&json!({ "event_id": "evt-1", "submission_data": { "name": "王芳" }, "meta": { "ip": "203.0.113.9", "x": 1 } }))
            .unwrap();
        assert_eq!(d.submission, json!({ "name": "王芳" }).as_object().unwrap().clone());
        assert_eq!(d.event_id.as_deref(), Some("evt-1"));
        assert_eq!(d.meta, Some(json!({ "ip": "203.0.113.9" })));
        let err = |v: Value| Adapter::Generic.translate(&v).unwrap_err().to_string();
        assert_eq!(err(json!({ "event_id": "e" })), "submission_data is required");
        assert_eq!(err(json!({ "submission_data": [] })), "submission_data must be a JSON object");
        assert!(err(json!({ "submission_data": {}, "event_id": "a b" })).starts_with("event_id must be"));
        assert!(err(json!({ "submission_data": {}, "meta": { "ip": 1 } })).starts_with("meta.ip must be"));
        assert_eq!(err(json!([1])), "body must be a JSON object");
    }

    #[test]
    fn a_douyin_push_is_its_data_with_the_clue_id_as_event_id() {
        let body = json!({ "event": "clue.create", "clue_id": 7012345678901234567u64, "data": {
            "name": "张伟", "telephone": "13800138000", "province": "广东", "city": "深圳", "ad_id": "AD1", "create_time": 1764690000 } });
        let d = Adapter::Douyin.translate(&body).unwrap();
        assert_eq!(d.event_id.as_deref(), Some("7012345678901234567"));
        assert_eq!(d.submission["telephone"], "13800138000");
        assert_eq!(d.submission["city"], "深圳");
        assert_eq!(d.submission["clue_id"], "7012345678901234567");
        let err = |v: Value| Adapter::Douyin.translate(&v).unwrap_err().to_string();
        assert_eq!(err(json!({ "data": { "telephone": "1" } })), "clue_id is required");
        assert_eq!(err(json!({ "clue_id": "c1" })), "data is required");
        assert_eq!(
            err(json!({ "clue_id": "c1", "data": { "name": "x", "telephone": " " } })),
            "data.telephone is required"
        );
        assert_eq!(err(json!({ "clue_id": 1.5, "data": {} })), "clue_id must be a text or an integer");
    }

    #[test]
    fn a_wechat_authorization_is_phone_openid_and_unionid_with_an_opaque_event_id() {
        let body = json!({ "appid": "wx123", "openid": "oABC", "unionid": "uXYZ", "scene": 1047, "timestamp": 1764690000,
            "phone_info": { "phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": "86" } });
        let d = Adapter::WechatMiniProgram.translate(&body).unwrap();
        assert_eq!(d.submission["phone"], "+8613800138000");
        assert_eq!(d.submission["openid"], "oABC");
        assert_eq!(d.submission["unionid"], "uXYZ");
        assert_eq!(d.submission["scene"], 1047);
        let id = d.event_id.unwrap();
        assert!(id.starts_with("wx:") && !id.contains("oABC"), "{id}");
        // Another authorization (another timestamp) is another event; the same one is the same.
        let mut later = body.clone();
        later["timestamp"] = json!(1764690060);
        assert_ne!(Adapter::WechatMiniProgram.translate(&later).unwrap().event_id.unwrap(), id);
        assert_eq!(Adapter::WechatMiniProgram.translate(&body).unwrap().event_id.unwrap(), id);
        let err = |v: Value| Adapter::WechatMiniProgram.translate(&v).unwrap_err().to_string();
        assert_eq!(err(json!({ "openid": "o", "phone_info": {} })), "appid is required");
        assert_eq!(err(json!({ "appid": "a", "phone_info": {} })), "openid is required");
        assert_eq!(err(json!({ "appid": "a", "openid": "o" })), "phone_info is required");
        assert_eq!(
            err(json!({ "appid": "a", "openid": "o", "phone_info": { "countryCode": "86" } })),
            "phone_info.purePhoneNumber is required"
        );
    }
}
