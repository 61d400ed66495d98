//! Opaque, tamper-checked keyset cursors: `base64url(json) . base64url(hmac)`. A cursor names the
//! ordering it belongs to, so it cannot be replayed against another ordering.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use sea_orm::Value;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::config::Secret;
use crate::error::{AppError, AppResult};
use crate::repo::page::{Cursor, Order};

#[derive(Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
enum Val {
    N,
    S(String),
    I(i64),
    D(String),
    B(bool),
    T(DateTime<Utc>),
    Dt(NaiveDate),
}

#[derive(Serialize, Deserialize)]
struct Body {
    c: String,
    d: bool,
    v: Val,
    i: String,
}

fn to_val(v: &Value) -> Val {
    match v {
        Value::String(Some(s)) => Val::S(s.clone()),
        Value::Int(Some(n)) => Val::I(*n as i64),
        Value::BigInt(Some(n)) => Val::I(*n),
        Value::Bool(Some(b)) => Val::B(*b),
        Value::Decimal(Some(d)) => Val::D(d.to_string()),
        Value::ChronoDateTimeUtc(Some(t)) => Val::T(*t),
        Value::ChronoDate(Some(d)) => Val::Dt(*d),
        _ => Val::N,
    }
}

fn from_val(v: Val) -> AppResult<Value> {
    Ok(match v {
        Val::N => Value::String(None),
        Val::S(s) => Value::from(s),
        Val::I(n) => match i32::try_from(n) {
            Ok(n) => Value::from(n),
            Err(_) => Value::from(n),
        },
        Val::B(b) => Value::from(b),
        Val::D(d) => Value::from(d.parse::<Decimal>().map_err(|_| invalid())?),
        Val::T(t) => Value::from(t),
        Val::Dt(d) => Value::from(d),
    })
}

fn invalid() -> AppError {
    AppError::bad_input("invalid cursor")
}

#[derive(Clone, Debug)]
pub struct CursorCodec {
    key: Secret,
}

impl CursorCodec {
    pub fn new(key: Secret) -> Self {
        CursorCodec { key }
    }

    fn mac(&self, data: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose()).expect("HMAC accepts any key length");
        mac.update(data);
        mac
    }

    pub fn encode(&self, order: &Order, value: &Value, id: &str) -> String {
        let body = Body { c: order.col.to_string(), d: order.desc, v: to_val(value), i: id.to_string() };
        let json = serde_json::to_vec(&body).expect("cursor body serialises");
        let tag = self.mac(&json).finalize().into_bytes();
        format!("{}.{}", B64.encode(&json), B64.encode(&tag[..16]))
    }

    /// Verify and decode a cursor for the given ordering.
    pub fn decode(&self, order: &Order, cursor: &str) -> AppResult<Cursor> {
        let (body, tag) = cursor.split_once('.').ok_or_else(invalid)?;
        let json = B64.decode(body).map_err(|_| invalid())?;
        let tag = B64.decode(tag).map_err(|_| invalid())?;
        self.mac(&json).verify_truncated_left(&tag).map_err(|_| invalid())?;
        let body: Body = serde_json::from_slice(&json).map_err(|_| invalid())?;
        if body.c != order.col || body.d != order.desc {
            return Err(AppError::bad_input("cursor belongs to a different ordering"));
        }
        Ok(Cursor { value: from_val(body.v)?, id: body.i })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> CursorCodec {
        CursorCodec::new(Secret::new(vec![7; 32]))
    }
    const ORDER: Order = Order { col: "created_at", desc: true, nullable: false };

    #[test]
    fn a_cursor_round_trips_its_position() {
        let t: DateTime<Utc> = "2026-01-02T03:04:05.123456Z".parse().unwrap();
        let c = codec().encode(&ORDER, &Value::from(t), "LEAD_1");
        let back = codec().decode(&ORDER, &c).unwrap();
        assert_eq!(back.id, "LEAD_1");
        assert_eq!(back.value, Value::from(t));
    }

    #[test]
    fn a_tampered_cursor_is_rejected() {
        let c = codec().encode(&ORDER, &Value::from("x".to_string()), "LEAD_1");
        let (body, tag) = c.split_once('.').unwrap();
        let mut json = B64.decode(body).unwrap();
        let last = json.len() - 3;
        json[last] ^= 1;
        let forged = format!("{}.{tag}", B64.encode(json));
        assert!(matches!(codec().decode(&ORDER, &forged), Err(AppError::BadUserInput(_))));
        assert!(codec().decode(&ORDER, "garbage").is_err());
    }

    #[test]
    fn a_cursor_signed_with_another_key_is_rejected() {
        let other = CursorCodec::new(Secret::new(vec![8; 32]));
        let c = other.encode(&ORDER, &Value::from(1), "LEAD_1");
        assert!(codec().decode(&ORDER, &c).is_err());
    }

    #[test]
    fn a_cursor_of_another_ordering_is_rejected() {
        let c = codec().encode(&ORDER, &Value::from(1), "LEAD_1");
        assert!(codec().decode(&Order { col: "lead_score", desc: true, nullable: false }, &c).is_err());
    }
}
