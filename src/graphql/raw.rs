//! A compiled root field's JSON goes out as the database wrote it: not parsed into the executor's
//! `Value` tree and serialised again, but transcoded token by token into the response as it is
//! written (`serde_transcode`), with no tree and no allocation per value. Only for trees the server
//! has nothing to do to (no PII, no cursors, no JSON columns: `planner::Fix::needs`), and only
//! where the HTTP handler serialises the response ([`RawRoots`] is its request data; a WebSocket
//! operation keeps the `Value`).
//!
//! The bytes are the ones the `Value` path gives: both read the text with `serde_json`'s
//! `deserialize_any` and write what it reads with `serde_json`'s serializer, so numbers, escapes and
//! key order come out alike, and PostgreSQL's spaces (`"k" : v`) go either way.
//! `tests/api/differential.rs` compares them byte for byte, as it does the resolvers'.

use std::sync::Mutex;

use async_graphql::indexmap::IndexMap;
use async_graphql::{Name, Response, Value};
use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};
use serde_transcode::Transcoder;

/// The JSON texts of one request's compiled root fields, by response key (request data, put
/// there by the HTTP handler, which takes them back for [`Spliced`]).
#[derive(Default)]
pub struct RawRoots(Mutex<Vec<(Name, String)>>);

impl RawRoots {
    /// Keeps `text` as the answer of the root field `key`, if it is one JSON value; returns the
    /// placeholder the executor holds in its place, or `None` (the text is not JSON).
    pub fn put(&self, key: &Name, text: String) -> Option<Value> {
        // Checked here, where a bad text can still fall back: the response is written later,
        // and a transcoding error there would break it half-way.
        serde_json::from_str::<serde::de::IgnoredAny>(&text).ok()?;
        super::documents::lock(&self.0).push((key.clone(), text));
        Some(Value::Object(IndexMap::new()))
    }

    pub fn take(&self) -> Vec<(Name, String)> {
        std::mem::take(&mut *super::documents::lock(&self.0))
    }
}

/// A response whose `raw` root fields are written from their texts: serialises as `Response`
/// does (`data`, then `extensions` and `errors` when not empty).
pub struct Spliced<'a> {
    pub res: &'a Response,
    pub raw: &'a [(Name, String)],
}

impl Serialize for Spliced<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.raw.is_empty() {
            return self.res.serialize(s);
        }
        let mut out = s.serialize_struct("Response", 3)?;
        out.serialize_field("data", &Data(self))?;
        if self.res.extensions.is_empty() {
            out.skip_field("extensions")?;
        } else {
            out.serialize_field("extensions", &self.res.extensions)?;
        }
        if self.res.errors.is_empty() {
            out.skip_field("errors")?;
        } else {
            out.serialize_field("errors", &self.res.errors)?;
        }
        out.end()
    }
}

struct Data<'s, 'a>(&'s Spliced<'a>);

impl Serialize for Data<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // `data` is null when a non-null root failed: then no compiled value is in it.
        let Value::Object(fields) = &self.0.res.data else { return self.0.res.data.serialize(s) };
        let mut map = s.serialize_map(Some(fields.len()))?;
        for (key, value) in fields {
            match self.0.raw.iter().find(|(k, _)| k == key) {
                Some((_, text)) => {
                    let mut de = serde_json::Deserializer::from_str(text);
                    map.serialize_entry(key, &Transcoder::new(&mut de))?;
                }
                None => map.serialize_entry(key, value)?,
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(data: Value) -> Response {
        Response::new(data)
    }

    /// PostgreSQL's `json` output (spaces, escapes, numbers) spliced gives the bytes the parsed
    /// `Value` serialises to.
    #[test]
    fn a_spliced_root_is_written_as_its_parsed_value_would_be() {
        let text = r#"{"a" : 1, "b" : [{"c" : "x\"\u00e9\n\u0001"}, 
 {"c" : null}], "d" : -2.50, "e" : 1e300, "f" : true, "g" : 18446744073709551615}"#;
        let roots = RawRoots::default();
        let placeholder = roots.put(&Name::new("account"), text.to_owned()).unwrap();
        let mut data = IndexMap::new();
        data.insert(Name::new("__typename"), Value::String("Query".into()));
        data.insert(Name::new("account"), placeholder);
        let res = response(Value::Object(data));
        let raw = roots.take();
        let ours = serde_json::to_string(&Spliced { res: &res, raw: &raw }).unwrap();

        let mut parsed = IndexMap::new();
        parsed.insert(Name::new("__typename"), Value::String("Query".into()));
        parsed.insert(Name::new("account"), super::super::interned::parse(text).unwrap());
        let theirs = serde_json::to_string(&response(Value::Object(parsed))).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn errors_and_extensions_follow_data_as_in_a_response() {
        let roots = RawRoots::default();
        let mut data = IndexMap::new();
        data.insert(Name::new("a"), roots.put(&Name::new("a"), "[1, 2]".into()).unwrap());
        let mut res = response(Value::Object(data));
        res.errors.push(async_graphql::ServerError::new("boom", None));
        res.extensions.insert("x".into(), Value::Boolean(true));
        let raw = roots.take();
        assert_eq!(
            serde_json::to_string(&Spliced { res: &res, raw: &raw }).unwrap(),
            r#"{"data":{"a":[1,2]},"extensions":{"x":true},"errors":[{"message":"boom"}]}"#
        );
    }

    #[test]
    fn a_text_that_is_not_one_json_value_is_not_kept() {
        let roots = RawRoots::default();
        assert!(roots.put(&Name::new("a"), r#"{"a": }"#.into()).is_none());
        assert!(roots.put(&Name::new("a"), "{} {}".into()).is_none());
        assert!(roots.take().is_empty());
    }

    #[test]
    fn a_null_data_is_written_as_null() {
        let res = response(Value::Null);
        let raw = vec![(Name::new("a"), "1".to_owned())];
        assert_eq!(serde_json::to_string(&Spliced { res: &res, raw: &raw }).unwrap(), r#"{"data":null}"#);
    }
}
