//! Strict reading of a JSON-lines command (`depot exec`): a typo must
//! never change what a command means.
//!
//! - [`parse_object`] refuses duplicate members at any depth (serde_json's
//!   `Value` keeps the last one silently: `"operator":"PICK1",
//!   "operator":"ADMIN"` would run as ADMIN).
//! - Unknown fields are refused by `#[serde(deny_unknown_fields)]` on the
//!   command types themselves.
//! - [`noncanonical`] finds a string the command types read as something
//!   else than they wrote it back: a decimal written `"1E2"`, `"+10"` or
//!   `".5"` becomes `100`, `10`, `0.5`. Such a string is checked against
//!   the one decimal grammar ([`crate::core::types::decimal_problem`]) that
//!   imports use too.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Why a line is not a command object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrictError {
    /// Not JSON at all (syntax, end of input, not an object).
    #[error("not valid JSON: {0}")]
    Syntax(String),
    /// JSON, but a member appears twice in one object.
    #[error("duplicate field `{0}`: each field may appear once")]
    Duplicate(String),
    /// Not an object.
    #[error("a command is a JSON object")]
    NotObject,
}

/// A `serde_json::Value` built by a visitor that refuses duplicate keys.
struct Strict(Value);

const DUPLICATE: &str = "\u{0}duplicate:";

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // NaN cannot come from JSON; from_f64 is None only for it.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("{DUPLICATE}{key}")));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Read one line (without its `\n`) into `buf`, never holding more than
/// `max` bytes of it: the rest of a longer line is read and dropped.
/// `None` at the end of the input; `Some(true)` when the line was longer
/// than `max` (then `buf` is empty).
pub fn read_line_bounded(
    r: &mut impl std::io::BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(any.then_some(too_long));
        }
        any = true;
        let newline = memchr::memchr(b'\n', chunk);
        let part = &chunk[..newline.unwrap_or(chunk.len())];
        if !too_long {
            if buf.len() + part.len() > max {
                too_long = true;
                *buf = Vec::new();
            } else {
                buf.extend_from_slice(part);
            }
        }
        let used = newline.map_or(chunk.len(), |i| i + 1);
        r.consume(used);
        if newline.is_some() {
            return Ok(Some(too_long));
        }
    }
}

/// Parse one line as a JSON object, refusing duplicate members anywhere.
pub fn parse_object(text: &str) -> Result<Map<String, Value>, StrictError> {
    match serde_json::from_str::<Strict>(text) {
        Ok(Strict(Value::Object(m))) => Ok(m),
        Ok(Strict(_)) => Err(StrictError::NotObject),
        Err(e) => {
            let msg = e.to_string();
            match msg.strip_prefix(DUPLICATE) {
                Some(rest) => {
                    // serde_json appends " at line L column C".
                    let key = rest.rsplit_once(" at line ").map_or(rest, |(k, _)| k);
                    Err(StrictError::Duplicate(key.to_string()))
                }
                None => Err(StrictError::Syntax(msg)),
            }
        }
    }
}

/// Every string of `input` that reads back as a different string in
/// `output` (the same value serialized after deserializing it), with its
/// path (`lines[0].qty`). Only paths present in `input` are compared, so
/// fields filled in by defaults do not count.
pub fn noncanonical(input: &Value, output: &Value) -> Vec<(String, String)> {
    fn walk(i: &Value, o: &Value, path: &mut String, out: &mut Vec<(String, String)>) {
        match (i, o) {
            (Value::String(a), Value::String(b)) if a != b => out.push((path.clone(), a.clone())),
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in a {
                    if let Some(w) = b.get(k) {
                        let len = path.len();
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(k);
                        walk(v, w, path, out);
                        path.truncate(len);
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                for (n, (v, w)) in a.iter().zip(b).enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{n}]"));
                    walk(v, w, path, out);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(input, output, &mut String::new(), &mut out);
    out
}

/// One step of a path into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    steps.iter().try_fold(v, |v, s| match (v, s) {
        (Value::Object(m), Step::Key(k)) => m.get_mut(k),
        (Value::Array(a), Step::Index(i)) => a.get_mut(*i),
        _ => None,
    })
}

/// Where in `input` reading a `T` fails: the path of the member whose
/// value it refuses (`lines[1].qty`) and that value when it is a string.
/// serde's messages for a value (a malformed decimal, a date that is no
/// day) do not name the field, and `serde_path_to_error` cannot see
/// into an internally tagged enum (the command's `cmd`), which buffers
/// the object before it reads it; so the member is found by taking
/// members out: the one whose absence changes the error (serde reports
/// a missing field only after the members it was given, so taking out
/// another one changes nothing), and in a list the shortest prefix that
/// still fails. `tags` are the top level's members that choose the type
/// (taking one out changes every error). Only run on a failure, and
/// bounded by the line: a member count of probes per level, a logarithm
/// of its length per list. `None` when the failure is not at one member
/// (a missing field, which serde names) or cannot be told.
pub fn failing_member<T: de::DeserializeOwned>(
    input: &Value,
    tags: &[&str],
) -> Option<(String, Option<String>)> {
    let first = T::deserialize(input).err()?.to_string();
    if first.starts_with("missing field") {
        return None;
    }
    let fails_so = |root: &Value| T::deserialize(root).err().map(|e| e.to_string());
    let mut root = input.clone();
    let mut steps: Vec<Step> = Vec::new();
    loop {
        let step = match at(&mut root, &steps) {
            Some(Value::Object(_)) => {
                let tags: &[&str] = if steps.is_empty() { tags } else { &[] };
                culprit_member(&mut root, &steps, tags, &first, &fails_so)
            }
            Some(Value::Array(_)) => culprit_element(&mut root, &steps, &first, &fails_so),
            _ => None,
        };
        match step {
            Some(s) => steps.push(s),
            None => break,
        }
    }
    if steps.is_empty() {
        return None;
    }
    let mut path = String::new();
    for s in &steps {
        match s {
            Step::Key(k) if path.is_empty() => path.push_str(k),
            Step::Key(k) => {
                path.push('.');
                path.push_str(k);
            }
            Step::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    let value = match at(&mut root, &steps) {
        Some(Value::String(v)) => Some(v.clone()),
        _ => None,
    };
    Some((path, value))
}

type Fails<'a> = dyn Fn(&Value) -> Option<String> + 'a;

/// The member of the object at `steps` whose absence changes the error.
fn culprit_member(
    root: &mut Value,
    steps: &[Step],
    tags: &[&str],
    first: &str,
    fails: &Fails<'_>,
) -> Option<Step> {
    let mut entries: Vec<(String, Value)> = match at(root, steps).map(std::mem::take) {
        Some(Value::Object(m)) => m.into_iter().collect(),
        _ => return None,
    };
    let mut changers = Vec::new();
    for i in 0..entries.len() {
        if tags.contains(&entries[i].0.as_str()) {
            continue;
        }
        // Taken out and put back in place: the order of the members is
        // the order serde meets them in.
        let out = entries.remove(i);
        if let Some(node) = at(root, steps) {
            *node = Value::Object(entries.drain(..).collect());
        }
        let changed = fails(root).as_deref() != Some(first);
        if let Some(Value::Object(m)) = at(root, steps).map(std::mem::take) {
            entries = m.into_iter().collect();
        }
        entries.insert(i, out);
        if changed {
            changers.push(i);
        }
    }
    // More than one: a member read before a flattened part takes its
    // missing field first; the one that holds the refused value is it.
    let found = match changers.as_slice() {
        [one] => Some(*one),
        many => {
            let holding: Vec<usize> = many
                .iter()
                .copied()
                .filter(|&i| holds_refused(&entries[i].1, first))
                .collect();
            match holding.as_slice() {
                [one] => Some(*one),
                _ => None,
            }
        }
    };
    let step = found.map(|i| Step::Key(entries[i].0.clone()));
    if let Some(node) = at(root, steps) {
        *node = Value::Object(entries.into_iter().collect());
    }
    step
}

/// The element of the list at `steps` where the error starts: the last
/// of the shortest prefix that still fails so.
fn culprit_element(
    root: &mut Value,
    steps: &[Step],
    first: &str,
    fails: &Fails<'_>,
) -> Option<Step> {
    let mut all = match at(root, steps).map(std::mem::take) {
        Some(Value::Array(a)) => a,
        _ => return None,
    };
    let (mut lo, mut hi) = (0, all.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let tail = all.split_off(mid);
        if let Some(node) = at(root, steps) {
            *node = Value::Array(std::mem::take(&mut all));
        }
        let same = fails(root).as_deref() == Some(first);
        if let Some(Value::Array(a)) = at(root, steps).map(std::mem::take) {
            all = a;
        }
        all.extend(tail);
        if same {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    if let Some(node) = at(root, steps) {
        *node = Value::Array(all);
    }
    lo.checked_sub(1).map(Step::Index)
}

/// Does `v` hold a string that, read alone as a decimal, a date or a time,
/// is refused with `first`?
fn holds_refused(v: &Value, first: &str) -> bool {
    fn refused<T: de::DeserializeOwned>(v: &Value, first: &str) -> bool {
        T::deserialize(v)
            .err()
            .is_some_and(|e| e.to_string() == first)
    }
    match v {
        Value::String(_) => {
            refused::<rust_decimal::Decimal>(v, first)
                || refused::<chrono::NaiveDate>(v, first)
                || refused::<chrono::NaiveTime>(v, first)
        }
        Value::Array(a) => a.iter().any(|x| holds_refused(x, first)),
        Value::Object(m) => m.values().any(|x| holds_refused(x, first)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Read;

    #[test]
    fn duplicate_members_are_refused_at_any_depth() {
        assert_eq!(
            parse_object(r#"{"operator":"PICK1","operator":"ADMIN"}"#),
            Err(StrictError::Duplicate("operator".into()))
        );
        assert_eq!(
            parse_object(r#"{"lines":[{"qty":"1","qty":"9"}]}"#),
            Err(StrictError::Duplicate("qty".into()))
        );
        // The same name in two objects is no duplicate.
        let m = parse_object(r#"{"a":{"x":1},"b":{"x":2},"c":[1.5,null,true]}"#);
        assert_eq!(
            m.map(Value::Object),
            Ok(json!({"a":{"x":1},"b":{"x":2},"c":[1.5,null,true]}))
        );
    }

    #[test]
    fn a_line_is_bounded_before_it_is_buffered() {
        // 256 MB without a newline, then a short line.
        let endless = std::io::repeat(b'x').take(256 << 20);
        let mut r = std::io::BufReader::new(endless.chain(&b"\n{}\nlast"[..]));
        let mut buf = Vec::new();
        assert_eq!(
            read_line_bounded(&mut r, &mut buf, 1 << 20).unwrap(),
            Some(true)
        );
        assert!(
            buf.capacity() <= (1 << 20) + (8 << 10),
            "{}",
            buf.capacity()
        );
        assert_eq!(
            read_line_bounded(&mut r, &mut buf, 1 << 20).unwrap(),
            Some(false)
        );
        assert_eq!(buf, b"{}");
        assert_eq!(
            read_line_bounded(&mut r, &mut buf, 1 << 20).unwrap(),
            Some(false)
        );
        assert_eq!(buf, b"last");
        assert_eq!(read_line_bounded(&mut r, &mut buf, 1 << 20).unwrap(), None);
        // Exactly the limit is accepted.
        let mut r = std::io::BufReader::new(&b"abcd\nabcde\n"[..]);
        assert_eq!(read_line_bounded(&mut r, &mut buf, 4).unwrap(), Some(false));
        assert_eq!(read_line_bounded(&mut r, &mut buf, 4).unwrap(), Some(true));
    }

    #[test]
    fn syntax_errors_and_non_objects_are_told_apart() {
        assert!(matches!(parse_object("{"), Err(StrictError::Syntax(_))));
        assert!(matches!(parse_object("[1]"), Err(StrictError::NotObject)));
        assert!(matches!(
            parse_object("\u{feff}{}"),
            Err(StrictError::Syntax(_))
        ));
    }

    #[test]
    fn a_string_that_reads_back_differently_is_found_with_its_path() {
        let i = json!({"lines":[{"qty":"1"},{"qty":"1E2","sku":"A"}]});
        let o = json!({"lines":[{"qty":"1"},{"qty":"100","sku":"A","unit":null}]});
        assert_eq!(
            noncanonical(&i, &o),
            vec![("lines[1].qty".to_string(), "1E2".to_string())]
        );
        assert!(noncanonical(&o, &o).is_empty());
    }
}
