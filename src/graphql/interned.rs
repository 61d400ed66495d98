//! JSON text → `async_graphql::Value`, the way `Value`'s own `Deserialize` reads it, but with each
//! distinct object key allocated once per document. The compiled read path's JSON repeats a few
//! response keys on every row (a page of 100 leads with their relations holds some 2,600 of them),
//! and `Value`'s `Deserialize` makes a `String` and then an `Arc<str>` for each: 7 % of the
//! customer-360 read's server CPU went to that conversion (README, the read benchmarks). Here a
//! repeated key is a reference-count increment.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use async_graphql::indexmap::IndexMap;
use async_graphql::{Name, Number, Value};
use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};

/// Parses one JSON document.
pub fn parse(text: &str) -> serde_json::Result<Value> {
    // Sized for an answer's distinct keys up front: growing from empty re-hashed every key three
    // or four times (a quarter of the set's cost for a 22-column record).
    let keys = RefCell::new(HashSet::with_capacity(KEYS));
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Any(&keys).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

type Keys = RefCell<HashSet<Name>>;

/// Distinct keys a document's set holds before it grows.
const KEYS: usize = 64;

/// Any value; objects intern their keys in the document's set.
#[derive(Clone, Copy)]
struct Any<'k>(&'k Keys);

/// An object key, interned.
struct Key<'k>(&'k Keys);

impl<'de> DeserializeSeed<'de> for Any<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Any<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = IndexMap::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key_seed(Key(self.0))? {
            let value = map.next_value_seed(self)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Name;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Name, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Name;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Name, E> {
        let mut keys = self.0.borrow_mut();
        match keys.get(v) {
            Some(name) => Ok(name.clone()),
            None => {
                let name = Name::new(v);
                keys.insert(name.clone());
                Ok(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same `Value` as `Value`'s own `Deserialize`, key order, numbers and escapes included.
    #[test]
    fn a_document_parses_to_the_same_value_as_the_value_deserializer() {
        let text = r#"{"b" : [1, -2, 3.5, 1e300, 18446744073709551615, null, true, "x\"\u00e9\n"],
            "a" : {"b" : {}, "a" : []}, "c" : {"b" : 1, "b2" : "\u0000"}}"#;
        let ours = parse(text).unwrap();
        let theirs: Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&theirs).unwrap());
    }

    #[test]
    fn a_repeated_key_is_one_allocation() {
        let Value::List(rows) = parse(r#"[{"id": 1}, {"id": 2}]"#).unwrap() else { panic!() };
        let key = |row: &Value| match row {
            Value::Object(m) => m.keys().next().unwrap().clone(),
            _ => panic!(),
        };
        let (a, b) = (key(&rows[0]), key(&rows[1]));
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
    }

    #[test]
    fn trailing_text_and_broken_json_are_errors() {
        assert!(parse("{} x").is_err());
        assert!(parse(r#"{"a": }"#).is_err());
    }
}
