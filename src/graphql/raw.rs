//! A compiled root field's JSON goes out as the database wrote it: not parsed into the executor's
//! `Value` tree and serialised again, but re-written once, compact, when the executor hands it
//! over ([`compact`]), and copied verbatim into the response ([`Spliced::write`]). Only for trees
//! the server has nothing to do to (no PII, no cursors, no JSON columns: `planner::Fix::needs`),
//! and only where the HTTP handler writes the response ([`RawRoots`] is its request data; a
//! WebSocket operation keeps the `Value`).
//!
//! The bytes are the ones the `Value` path gives, which reads the text with `serde_json`'s
//! `deserialize_any` and writes it with `serde_json`'s serializer. [`compact`] copies what that
//! round trip leaves unchanged (strings without escapes, literals, integers that fit 64 bits) and
//! drops the whitespace between tokens (PostgreSQL's `"k" : v`, `, `); a number it cannot copy goes
//! through `serde_json` alone, and a text with an escape through the whole round trip, token by
//! token (`serde_transcode`, no tree). `tests/api/differential.rs` compares the paths byte for
//! byte; the unit tests below compare [`compact`] with the round trip on random texts.

use std::sync::Mutex;

use async_graphql::indexmap::IndexMap;
use async_graphql::{Name, Response, Value};

/// One compiled root field's answer: its response key and its compact JSON text.
pub type Raw = (Name, Vec<u8>);

/// The JSON texts of one request's compiled root fields, by response key (request data, put
/// there by the HTTP handler, which takes them back for [`Spliced`]).
#[derive(Default)]
pub struct RawRoots(Mutex<Vec<Raw>>);

impl RawRoots {
    /// Keeps `text` as the answer of the root field `key`, if it is one JSON value; returns the
    /// placeholder the executor holds in its place, or `None` (the text is not JSON).
    pub fn put(&self, key: &Name, text: &str) -> Option<Value> {
        // Re-written here, where a bad text can still fall back: a failure while the response is
        // written would break it half-way.
        let compact = compact(text)?;
        super::documents::lock(&self.0).push((key.clone(), compact));
        Some(Value::Object(IndexMap::new()))
    }

    pub fn take(&self) -> Vec<Raw> {
        std::mem::take(&mut *super::documents::lock(&self.0))
    }
}

/// `text` as `serde_json` writes what it reads from it, or `None` when it is not one JSON value.
/// Bytes, not a `String`: they go into a response body, and a `String` would cost a UTF-8 check
/// of what is UTF-8 by construction (whole tokens of a `&str`, or `serde_json`'s output).
pub fn compact(text: &str) -> Option<Vec<u8>> {
    match Compactor::new(text).run() {
        Scan::Done(out) => Some(out),
        Scan::Escape => transcode(text),
        Scan::Invalid => None,
    }
}

/// The round trip itself, token by token.
fn transcode(text: &str) -> Option<Vec<u8>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut out = Vec::with_capacity(text.len());
    serde_transcode::transcode(&mut de, &mut serde_json::Serializer::new(&mut out)).ok()?;
    de.end().ok()?;
    Some(out)
}

/// Nesting beyond this goes to [`transcode`], which applies `serde_json`'s own limit (128).
const MAX_DEPTH: usize = 100;

/// The bytes of a string searched one at a time before `memchr` takes over.
const SHORT: usize = 32;

/// The bytes that end a string's plain run: its closing quote, a backslash, a control character.
static ENDS_PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// The first byte of `bytes` that ends a string's plain run ([`ENDS_PLAIN`]), found a word at a
/// time: a byte-at-a-time loop over a table cost 5 instructions a byte, 150 per id-sized string
/// (157,000 of the 283,000 instructions that compacted a customer-360 answer; 119,000 this way,
/// README "Performance", session 21). Each test is the exact "has a byte equal to /
/// below" of a word (the borrow of `x - n` runs only towards higher bytes, so the lowest flagged
/// byte is a true one), and little-endian loading puts the first byte lowest.
fn plain_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    let zero_in = |x: u64| x.wrapping_sub(ONES) & !x;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().unwrap_or_default());
        let hit = (zero_in(x ^ (ONES * u64::from(b'"')))
            | zero_in(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x))
            & HIGH;
        if hit != 0 {
            return Some(at + (hit.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words.remainder().iter().position(|&b| ENDS_PLAIN[usize::from(b)]).map(|p| at + p)
}

enum Scan {
    Done(Vec<u8>),
    /// Valid so far, but a string holds an escape (or the nesting is deep): [`transcode`] decides.
    Escape,
    Invalid,
}

/// One pass over a JSON text: validates it (RFC 8259's grammar, as `serde_json` reads it) and
/// writes it without whitespace.
struct Compactor<'t> {
    text: &'t [u8],
    at: usize,
    out: Vec<u8>,
}

/// Why a scan stopped early.
enum Stop {
    Escape,
    Invalid,
}

type Step<T = ()> = Result<T, Stop>;

impl<'t> Compactor<'t> {
    fn new(text: &'t str) -> Self {
        Compactor { text: text.as_bytes(), at: 0, out: Vec::with_capacity(text.len()) }
    }

    fn run(mut self) -> Scan {
        match self.document() {
            Ok(()) => Scan::Done(self.out),
            Err(Stop::Escape) => Scan::Escape,
            Err(Stop::Invalid) => Scan::Invalid,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Step {
        self.skip_whitespace();
        if self.peek() != Some(byte) {
            return Err(Stop::Invalid);
        }
        self.at += 1;
        self.out.push(byte);
        Ok(())
    }

    /// One value and nothing after it but whitespace. Containers are tracked on a stack of their
    /// closing bytes, not by recursion: the depth is bounded before anything nests.
    fn document(&mut self) -> Step {
        let mut open: Vec<u8> = Vec::new();
        loop {
            // A value.
            self.skip_whitespace();
            match self.peek().ok_or(Stop::Invalid)? {
                c @ (b'{' | b'[') => {
                    self.at += 1;
                    self.out.push(c);
                    let close = if c == b'{' { b'}' } else { b']' };
                    self.skip_whitespace();
                    if self.peek() == Some(close) {
                        self.at += 1;
                        self.out.push(close);
                    } else {
                        if open.len() >= MAX_DEPTH {
                            return Err(Stop::Escape);
                        }
                        open.push(close);
                        if close == b'}' {
                            self.key()?;
                        }
                        continue;
                    }
                }
                b'"' => self.string()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return Err(Stop::Invalid),
            }
            // What follows a value: a separator, or the ends of its containers.
            loop {
                self.skip_whitespace();
                let Some(&close) = open.last() else {
                    return if self.at == self.text.len() { Ok(()) } else { Err(Stop::Invalid) };
                };
                match self.peek() {
                    Some(b',') => {
                        self.at += 1;
                        self.out.push(b',');
                        if close == b'}' {
                            self.key()?;
                        }
                        break;
                    }
                    Some(c) if c == close => {
                        self.at += 1;
                        self.out.push(c);
                        open.pop();
                    }
                    _ => return Err(Stop::Invalid),
                }
            }
        }
    }

    /// An object's key and its colon.
    fn key(&mut self) -> Step {
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return Err(Stop::Invalid);
        }
        self.string()?;
        self.expect(b':')
    }

    /// A string without escapes, copied as it is (`serde_json` escapes only quotes, backslashes
    /// and control characters, none of which such a string holds). Most strings of an answer are
    /// short (keys, codes, ids, names): their end is found eight bytes at a time ([`plain_end`])
    /// before a `memchr` call would be set up. Past [`SHORT`] bytes the end is found with `memchr`
    /// (SIMD), and the control-character check has no early exit so that it vectorises.
    fn string(&mut self) -> Step {
        let start = self.at;
        let body = &self.text[start + 1..];
        let head = body.len().min(SHORT);
        let end = match plain_end(&body[..head]) {
            Some(end) => end,
            None => {
                let end = head + memchr::memchr2(b'"', b'\\', &body[head..]).ok_or(Stop::Invalid)?;
                if body[head..end].iter().fold(false, |control, &b| control | (b < 0x20)) {
                    return Err(Stop::Invalid);
                }
                end
            }
        };
        match body[end] {
            b'"' => {}
            b'\\' => return Err(Stop::Escape),
            _ => return Err(Stop::Invalid),
        }
        let close = start + 1 + end;
        self.out.extend_from_slice(&self.text[start..=close]);
        self.at = close + 1;
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Step {
        if !self.text[self.at..].starts_with(word) {
            return Err(Stop::Invalid);
        }
        self.at += word.len();
        self.out.extend_from_slice(word);
        Ok(())
    }

    /// A number (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`). A non-negative integer
    /// of at most 19 digits (a `u64`) is copied; any other goes through `serde_json`, which reads
    /// it as the round trip does (`i64`, `u64` or `f64`) and writes it the same way.
    fn number(&mut self) -> Step {
        let start = self.at;
        let digits = |this: &mut Self| {
            let from = this.at;
            while let Some(b'0'..=b'9') = this.peek() {
                this.at += 1;
            }
            this.at - from
        };
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let leading_zero = self.peek() == Some(b'0');
        let whole = digits(self);
        if whole == 0 || (leading_zero && whole > 1) {
            return Err(Stop::Invalid);
        }
        let mut plain = !negative && whole <= 19;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(Stop::Invalid);
            }
            plain = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(Stop::Invalid);
            }
            plain = false;
        }
        let token = &self.text[start..self.at];
        if plain {
            self.out.extend_from_slice(token);
            return Ok(());
        }
        // A number token is ASCII; out of range (`1e400`) is `serde_json`'s error, as it is the
        // round trip's.
        let token = std::str::from_utf8(token).map_err(|_| Stop::Invalid)?;
        let number: serde_json::Number = serde_json::from_str(token).map_err(|_| Stop::Invalid)?;
        serde_json::to_writer(&mut self.out, &number).map_err(|_| Stop::Invalid)
    }
}

/// A response whose `raw` root fields are written from their texts, in the bytes
/// `serde_json::to_writer(res)` gives (`data`, then `extensions` and `errors` when not empty).
pub struct Spliced<'a> {
    pub res: &'a Response,
    pub raw: &'a [Raw],
}

impl Spliced<'_> {
    pub fn write(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        // Nothing to splice, or a null `data` (a non-null root failed: no compiled value is in it).
        let (Value::Object(fields), false) = (&self.res.data, self.raw.is_empty()) else {
            return serde_json::to_writer(out, self.res);
        };
        out.extend_from_slice(b"{\"data\":{");
        for (i, (key, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut *out, key.as_str())?;
            out.push(b':');
            match self.raw.iter().find(|(k, _)| k == key) {
                Some((_, text)) => out.extend_from_slice(text),
                None => serde_json::to_writer(&mut *out, value)?,
            }
        }
        out.push(b'}');
        if !self.res.extensions.is_empty() {
            out.extend_from_slice(b",\"extensions\":");
            serde_json::to_writer(&mut *out, &self.res.extensions)?;
        }
        if !self.res.errors.is_empty() {
            out.extend_from_slice(b",\"errors\":");
            serde_json::to_writer(&mut *out, &self.res.errors)?;
        }
        out.push(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn response(data: Value) -> Response {
        Response::new(data)
    }

    fn written(res: &Response, raw: &[Raw]) -> String {
        let mut out = Vec::new();
        Spliced { res, raw }.write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// PostgreSQL's `json` output (spaces, escapes, numbers) spliced gives the bytes the parsed
    /// `Value` serialises to.
    #[test]
    fn a_spliced_root_is_written_as_its_parsed_value_would_be() {
        for text in [
            r#"{"a" : 1, "b" : [{"c" : "x\"\u00e9\n\u0001"}, 
 {"c" : null}], "d" : -2.50, "e" : 1e300, "f" : true, "g" : 18446744073709551615}"#,
            r#"{"a" : 1, "b" : [{"c" : "été"}, 
 {"c" : null}], "d" : -2.50, "e" : 1E+300, "f" : false, "g" : 18446744073709551616, "h" : -0}"#,
        ] {
            let roots = RawRoots::default();
            let placeholder = roots.put(&Name::new("account"), text).unwrap();
            let mut data = IndexMap::new();
            data.insert(Name::new("__typename"), Value::String("Query".into()));
            data.insert(Name::new("account"), placeholder);
            let ours = written(&response(Value::Object(data)), &roots.take());

            let mut parsed = IndexMap::new();
            parsed.insert(Name::new("__typename"), Value::String("Query".into()));
            parsed.insert(Name::new("account"), super::super::interned::parse(text).unwrap());
            let theirs = serde_json::to_string(&response(Value::Object(parsed))).unwrap();
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn errors_and_extensions_follow_data_as_in_a_response() {
        let roots = RawRoots::default();
        let mut data = IndexMap::new();
        data.insert(Name::new("a"), roots.put(&Name::new("a"), "[1, 2]").unwrap());
        data.insert(Name::new("b\"c"), Value::Null);
        let mut res = response(Value::Object(data));
        res.errors.push(async_graphql::ServerError::new("boom", None));
        res.extensions.insert("x".into(), Value::Boolean(true));
        assert_eq!(
            written(&res, &roots.take()),
            r#"{"data":{"a":[1,2],"b\"c":null},"extensions":{"x":true},"errors":[{"message":"boom"}]}"#
        );
    }

    #[test]
    fn a_text_that_is_not_one_json_value_is_not_kept() {
        let roots = RawRoots::default();
        for bad in [
            r#"{"a": }"#,
            "{} {}",
            "",
            " ",
            "[1,]",
            "{,}",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":1]"#,
            "[}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "1E+",
            "tru",
            "nulls",
            "[1] x",
            "[",
            r#""a"#,
            "\"a\u{1}\"",
            r#""\x""#,
            "1e400",
            r#""\ud800""#,
        ] {
            assert!(roots.put(&Name::new("a"), bad).is_none(), "{bad:?} was kept");
        }
        assert!(roots.take().is_empty());
    }

    #[test]
    fn a_kept_text_is_compact_and_spaces_around_it_are_allowed() {
        let roots = RawRoots::default();
        assert!(roots.put(&Name::new("a"), " {\"a\" : [1, {\"b\" : \"c d\"}]}\n").is_some());
        assert_eq!(roots.take()[0].1, br#"{"a":[1,{"b":"c d"}]}"#);
    }

    #[test]
    fn a_null_data_is_written_as_null() {
        let res = response(Value::Null);
        assert_eq!(written(&res, &[(Name::new("a"), b"1".to_vec())]), r#"{"data":null}"#);
    }

    /// Nesting deeper than the scan follows goes to the round trip, which keeps `serde_json`'s
    /// limit.
    #[test]
    fn deep_nesting_is_decided_by_serde_json() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(compact(&deep(MAX_DEPTH + 5)), Some(deep(MAX_DEPTH + 5).into_bytes()));
        assert_eq!(compact(&deep(200)), None);
    }

    /// A random JSON value, written as a database might: spaces anywhere between tokens, strings
    /// with and without escapes, numbers in every form the grammar allows.
    fn text(rng: &mut ChaCha8Rng, depth: u32, out: &mut String) {
        let space = |rng: &mut ChaCha8Rng, out: &mut String| {
            for _ in 0..rng.random_range(0..3) {
                out.push([' ', '\n', '\t', '\r'][rng.random_range(0..4)]);
            }
        };
        space(rng, out);
        match rng.random_range(0..if depth < 4 { 9 } else { 6 }) {
            0 => out.push_str(["true", "false", "null"][rng.random_range(0..3)]),
            1 | 2 => {
                const NUMBERS: &[&str] = &[
                    "0",
                    "-0",
                    "7",
                    "-12",
                    "123456789",
                    "9999999999999999999",
                    "18446744073709551615",
                    "18446744073709551616",
                    "-9223372036854775808",
                    "-9223372036854775809",
                    "2.50",
                    "-0.0",
                    "1e3",
                    "1E+3",
                    "1e-7",
                    "0.1",
                    "12345.678",
                    "3.141592653589793238",
                    "1.7976931348623157e308",
                    "5e-324",
                    "4.9e-325",
                ];
                out.push_str(NUMBERS[rng.random_range(0..NUMBERS.len())]);
            }
            3..=5 => {
                out.push('"');
                // Mostly short, as keys and names are; a long one (past `SHORT`) rarely escapes.
                let long = rng.random_bool(0.2);
                let (chars, odds) = if long { (rng.random_range(25..90), 300) } else { (rng.random_range(0..6), 10) };
                for _ in 0..chars {
                    match rng.random_range(0..odds) {
                        0 => out.push_str(
                            ["\\\"", "\\\\", "\\/", "\\n", "\\t", "\\u00e9", "\\u0001", "\\ud83d\\ude00"]
                                [rng.random_range(0..8)],
                        ),
                        1 => out.push(['é', '报', '😀'][rng.random_range(0..3)]),
                        _ => out.push(['a', 'Z', ' ', '5', ':', ',', '{', '['][rng.random_range(0..8)]),
                    }
                }
                out.push('"');
            }
            6 | 7 => {
                out.push('[');
                for i in 0..rng.random_range(0..4) {
                    if i > 0 {
                        space(rng, out);
                        out.push(',');
                    }
                    text(rng, depth + 1, out);
                }
                space(rng, out);
                out.push(']');
            }
            _ => {
                out.push('{');
                for i in 0..rng.random_range(0..4) {
                    if i > 0 {
                        out.push(',');
                    }
                    space(rng, out);
                    out.push_str(["\"k\"", "\"a b\"", "\"\\u006b\"", "\"é\""][rng.random_range(0..4)]);
                    space(rng, out);
                    out.push(':');
                    text(rng, depth + 1, out);
                }
                space(rng, out);
                out.push('}');
            }
        }
        space(rng, out);
    }

    fn random(rng: &mut ChaCha8Rng) -> String {
        let mut t = String::new();
        text(rng, 0, &mut t);
        t
    }

    #[test]
    fn plain_end_finds_the_first_quote_backslash_or_control_byte_as_a_byte_loop_does() {
        let mut rng = ChaCha8Rng::seed_from_u64(1206);
        const EDGES: &[u8] =
            &[0x00, 0x01, 0x1f, 0x20, 0x21, b'"', 0x23, b'[', b'\\', b']', 0x7f, 0x80, 0x9f, 0xa0, 0xdc, 0xff];
        for case in 0..50_000 {
            let len = rng.random_range(0..=SHORT);
            let bytes: Vec<u8> = (0..len)
                .map(|_| if rng.random_bool(0.1) { EDGES[rng.random_range(0..EDGES.len())] } else { rng.random() })
                .collect();
            let expected = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            assert_eq!(plain_end(&bytes), expected, "case {case}: {bytes:?}");
        }
    }

    #[test]
    fn compact_writes_what_the_serde_json_round_trip_writes_for_random_texts() {
        let mut rng = ChaCha8Rng::seed_from_u64(20261206);
        let mut escapes = 0;
        for case in 0..20_000 {
            let t = random(&mut rng);
            let ours = compact(&t);
            assert_eq!(ours, transcode(&t), "case {case}: {t:?}");
            let scan = Compactor::new(&t).run();
            escapes += usize::from(matches!(scan, Scan::Escape));
            assert!(!matches!(scan, Scan::Invalid) || ours.is_none(), "case {case}: {t:?}");
        }
        // Both ways are exercised.
        assert!((1_000..19_000).contains(&escapes), "{escapes} of 20,000 went to the round trip");
    }

    /// Near-JSON: a random text with one byte deleted, inserted or replaced. `compact` keeps
    /// exactly what the round trip keeps, with the same bytes.
    #[test]
    fn compact_refuses_what_serde_json_refuses_on_damaged_texts() {
        let mut rng = ChaCha8Rng::seed_from_u64(61202);
        let mut refused = 0;
        for case in 0..20_000 {
            let mut t = random(&mut rng);
            let at = loop {
                let at = rng.random_range(0..=t.len());
                if t.is_char_boundary(at) {
                    break at;
                }
            };
            const BYTES: &[char] =
                &['{', '}', '[', ']', '"', ',', ':', '\\', '-', '.', 'e', '0', '1', ' ', 'x', '\u{1}'];
            let byte = BYTES[rng.random_range(0..BYTES.len())];
            match rng.random_range(0..3) {
                0 if at < t.len() => {
                    t.remove(at);
                }
                1 if at < t.len() => {
                    t.remove(at);
                    t.insert(at, byte);
                }
                _ => t.insert(at, byte),
            }
            let ours = compact(&t);
            refused += usize::from(ours.is_none());
            assert_eq!(ours, transcode(&t), "case {case}: {t:?}");
        }
        assert!((1_000..19_000).contains(&refused), "{refused} of 20,000 refused");
    }
}
