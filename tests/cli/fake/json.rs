//! Request bodies as a borrowed JSON tree: strings without escapes point into the body, objects
//! are short lists, and nothing is hashed. A `serde_json::Value` with `preserve_order` (what gen's
//! crate builds it with) allocates every key and string and hashes every key on insert and
//! lookup: parsing and dropping it was the larger part of the fake's CPU per request.
//!
//! It accepts exactly what `serde_json::from_slice::<Value>` accepts (RFC 8259, UTF-8, no trailing
//! bytes but whitespace, at most 127 levels deep), so a body the fake refuses as unparsable is
//! the one serde_json would refuse; its accessors are named and behave as `Value`'s. Duplicate
//! keys keep their first place and their last value, as `Value` does.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

use super::out::find_special;

/// One JSON value of a request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    /// The number as written.
    Number(&'a str),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Object<'a>),
}

/// An object's members in order of first appearance.
#[derive(Debug, Clone, PartialEq)]
pub struct Object<'a> {
    members: Vec<(Cow<'a, str>, Json<'a>)>,
    /// The object as written in the body, to key caches by.
    raw: &'a str,
}

static NULL: Json<'static> = Json::Null;

/// The most arrays and objects serde_json nests (it refuses the 128th).
const MAX_DEPTH: usize = 127;

impl<'a> Json<'a> {
    /// The body parsed, or `None` where serde_json would fail.
    pub fn parse(bytes: &'a [u8]) -> Option<Json<'a>> {
        Json::parse_str(std::str::from_utf8(bytes).ok()?)
    }

    /// [`parse`](Self::parse) of a body already known to be UTF-8.
    pub fn parse_str(text: &'a str) -> Option<Json<'a>> {
        let mut parser = Parser {
            text,
            bytes: text.as_bytes(),
            at: 0,
        };
        let value = parser.value(0)?;
        parser.skip_whitespace();
        (parser.at == parser.bytes.len()).then_some(value)
    }

    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.as_object()?.get(key)
    }

    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Json::Object(object) => Some(object),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Json<'a>>> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Like `Value::as_u64`: a non-negative integer that fits, not `1.0`.
    pub fn as_u64(&self) -> Option<u64> {
        self.integer_text()?.parse().ok()
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.integer_text()?.parse().ok()
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(text) => text.parse().ok(),
            _ => None,
        }
    }

    fn integer_text(&self) -> Option<&str> {
        match self {
            Json::Number(text) if !text.contains(['.', 'e', 'E']) => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Json::Array(_))
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Json::String(_))
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Json::Number(_))
    }

    /// The same value as serde_json would have built it (schemas go on to the schema writer,
    /// error messages quote values as serde_json prints them).
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            Json::String(s) => Value::String(s.to_string()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(object) => Value::Object(
                object
                    .iter()
                    .map(|(key, value)| (key.to_string(), value.to_value()))
                    .collect(),
            ),
        }
    }
}

impl<'a> Object<'a> {
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.members
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json<'a>)> {
        self.members.iter().map(|(key, value)| (&**key, value))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(key, _)| &**key)
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The object as the body wrote it.
    pub fn raw(&self) -> &'a str {
        self.raw
    }
}

impl<'a> std::ops::Index<&str> for Json<'a> {
    type Output = Json<'a>;

    /// Like `Value`'s: `Null` for a missing key or a value that is not an object.
    fn index(&self, key: &str) -> &Json<'a> {
        self.get(key).unwrap_or(&NULL)
    }
}

impl<'a> std::ops::Index<usize> for Json<'a> {
    type Output = Json<'a>;

    fn index(&self, i: usize) -> &Json<'a> {
        self.as_array()
            .and_then(|items| items.get(i))
            .unwrap_or(&NULL)
    }
}

impl PartialEq<str> for Json<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Json<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl fmt::Display for Json<'_> {
    /// As serde_json prints the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_value(), f)
    }
}

/// `f` over a serde_json value seen as a body, for the callers that hold one (batch rows, the
/// request log): rare enough to pay for a round trip through text.
pub fn with_json<R>(value: &Value, f: impl FnOnce(&Json) -> R) -> R {
    let text = value.to_string();
    let json = Json::parse(text.as_bytes()).unwrap_or(Json::Null);
    f(&json)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn eat(&mut self, literal: &[u8]) -> Option<()> {
        let end = self.at + literal.len();
        (self.bytes.get(self.at..end)? == literal).then(|| self.at = end)
    }

    fn value(&mut self, depth: usize) -> Option<Json<'a>> {
        self.skip_whitespace();
        match *self.bytes.get(self.at)? {
            b'n' => self.eat(b"null").map(|()| Json::Null),
            b't' => self.eat(b"true").map(|()| Json::Bool(true)),
            b'f' => self.eat(b"false").map(|()| Json::Bool(false)),
            b'"' => self.string().map(Json::String),
            b'[' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.at += 1;
                let mut items = Vec::with_capacity(4);
                self.skip_whitespace();
                if self.bytes.get(self.at) == Some(&b']') {
                    self.at += 1;
                    return Some(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_whitespace();
                    match self.bytes.get(self.at)? {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            return Some(Json::Array(items));
                        }
                        _ => return None,
                    }
                }
            }
            b'{' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                let start = self.at;
                self.at += 1;
                let mut members: Vec<(Cow<'a, str>, Json<'a>)> = Vec::with_capacity(8);
                self.skip_whitespace();
                if self.bytes.get(self.at) == Some(&b'}') {
                    self.at += 1;
                    let raw = &self.text[start..self.at];
                    return Some(Json::Object(Object { members, raw }));
                }
                loop {
                    self.skip_whitespace();
                    if self.bytes.get(self.at) != Some(&b'"') {
                        return None;
                    }
                    let key = self.string()?;
                    self.skip_whitespace();
                    self.eat(b":")?;
                    let value = self.value(depth + 1)?;
                    match members.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, old)) => *old = value,
                        None => members.push((key, value)),
                    }
                    self.skip_whitespace();
                    match self.bytes.get(self.at)? {
                        b',' => self.at += 1,
                        b'}' => {
                            self.at += 1;
                            let raw = &self.text[start..self.at];
                            return Some(Json::Object(Object { members, raw }));
                        }
                        _ => return None,
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<Json<'a>> {
        let start = self.at;
        let digits = |p: &mut Self| {
            let from = p.at;
            while p.bytes.get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
            p.at > from
        };
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match self.bytes.get(self.at)? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if !digits(self) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        let text = &self.text[start..self.at];
        // serde_json refuses a number that overflows f64 (`1e400`, 400 digits).
        let integer = text.parse::<u64>().is_ok() || text.parse::<i64>().is_ok();
        if !integer && !text.parse::<f64>().ok()?.is_finite() {
            return None;
        }
        Some(Json::Number(text))
    }

    /// A string at `"`, unescaped; borrowed when it has no escape.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.at + 1;
        let stop = start + find_special(&self.bytes[start..])?;
        self.at = stop;
        match self.bytes[stop] {
            b'"' => {
                self.at += 1;
                return Some(Cow::Borrowed(&self.text[start..stop]));
            }
            b'\\' => {}
            _ => return None,
        }
        // Room for the rest of the body (its text is never longer), within reason.
        let room = (self.bytes.len() - start).min(64 * 1024);
        let mut out = String::with_capacity(room);
        out.push_str(&self.text[start..stop]);
        loop {
            let run = self.at;
            self.at += find_special(&self.bytes[run..])?;
            out.push_str(&self.text[run..self.at]);
            match self.bytes[self.at] {
                b'"' => {
                    self.at += 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    self.at += 1;
                    let escaped = *self.bytes.get(self.at)?;
                    self.at += 1;
                    match escaped {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// After `\u`: four hex digits, a surrogate pair as two escapes; a lone surrogate is an error,
    /// as in serde_json.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        match first {
            0xd800..=0xdbff => {
                self.eat(b"\\u")?;
                let second = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&second) {
                    return None;
                }
                let code = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
                char::from_u32(code)
            }
            0xdc00..=0xdfff => None,
            _ => char::from_u32(first),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever serde_json accepts this accepts, to the same value, and the other way round.
    #[test]
    fn agrees_with_serde_json() {
        let deep_ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
        let too_deep = format!("{}{}", "[".repeat(128), "]".repeat(128));
        let cases = [
            r#"{"model":"m","messages":[{"role":"user","content":"hi \"there\"\n"}]}"#,
            r#" { "a" : [ 1 , -2.5e3 , 0 , true , false , null ] , "b" : { } , "c" : [ ] } "#,
            r#"{"a":1,"a":2,"b":3}"#,
            r#""\u00e9\ud83d\ude00\/\b\f\t\r""#,
            r#"18446744073709551616"#,
            "1e400",
            "-0",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            r#""\ud800""#,
            r#""\udc00x""#,
            r#""\x""#,
            "\"a\u{1}\"",
            "\"é\"",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1:2}",
            "nul",
            "true false",
            "",
            "   ",
            deep_ok.as_str(),
            too_deep.as_str(),
        ];
        for case in cases {
            let ours = Json::parse(case.as_bytes());
            let theirs = serde_json::from_slice::<Value>(case.as_bytes());
            match (&ours, &theirs) {
                (Some(ours), Ok(theirs)) => assert_eq!(&ours.to_value(), theirs, "{case}"),
                (None, Err(_)) => {}
                _ => panic!("{case:?}: ours {ours:?}, serde_json {theirs:?}"),
            }
        }
        assert!(Json::parse(b"\"\xff\"").is_none());
    }

    #[test]
    fn reads_like_a_value() {
        let body = br#"{"n": 3, "f": 1.5, "neg": -1, "s": "x", "list": [{"k": "v"}]}"#;
        let json = Json::parse(body).unwrap();
        assert_eq!(json["n"].as_u64(), Some(3));
        assert_eq!(json["f"].as_u64(), None);
        assert_eq!(json["f"].as_f64(), Some(1.5));
        assert_eq!(json["neg"].as_u64(), None);
        assert_eq!(json["neg"].as_i64(), Some(-1));
        assert!(json["s"] == "x");
        assert!(json["missing"]["deeper"].is_null());
        assert_eq!(json["list"][0]["k"].as_str(), Some("v"));
        assert!(json["list"][7].is_null());
        assert_eq!(json["list"][0].as_object().unwrap().raw(), r#"{"k": "v"}"#);
        assert_eq!(json["f"].to_string(), "1.5");
    }
}
