//! The bodies of the fuzz targets (`tests/fuzz/`, run with `cargo fuzz`),
//! kept in the library so that `cargo test` replays every committed corpus
//! input on the stable toolchain (tests/fuzz_corpora.rs): what the fuzzer
//! once found stays fixed.
//!
//! Each target feeds arbitrary bytes to an edge that takes input from
//! outside and asserts what must hold whatever the input: no panic, a
//! refused command changes nothing, an accepted one keeps every invariant.

use crate::core::{execute, Command, State};
use chrono::{TimeZone, Utc};
use std::sync::OnceLock;

/// The demo distributor, built once.
fn demo() -> &'static State {
    static DEMO: OnceLock<State> = OnceLock::new();
    DEMO.get_or_init(|| {
        let mut s = State::default();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
        let time = Utc.from_utc_datetime(&today.and_hms_opt(9, 0, 0).unwrap_or_default());
        if let Ok(bodies) = crate::io::demo::commands(today, 0) {
            for body in bodies {
                let cmd = Command {
                    operator: crate::io::demo::DEMO_ADMIN.into(),
                    session: "fuzz".into(),
                    time,
                    key: None,
                    body,
                };
                let _ = execute(&mut s, &cmd);
            }
        }
        s
    })
}

/// A `depot exec` input line: parsed as exec parses it; a command that
/// parses is executed against the demo store: refused, the state is
/// untouched; committed, every invariant holds.
pub fn exec_line(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sub) = crate::cli::parse_exec_line(text, Some("ADMIN")) else {
        return;
    };
    let base = demo();
    let mut s = base.clone();
    let cmd = Command {
        operator: sub.operator.into(),
        session: sub.session,
        time: Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap(),
        key: sub.key,
        body: sub.body,
    };
    match execute(&mut s, &cmd) {
        Ok(_) => {
            if let Err(v) = crate::core::invariants::check_state(&s) {
                panic!("{} broke an invariant: {v}", cmd.body.name());
            }
        }
        Err(_) => assert!(s == *base, "a refused command changed the state"),
    }
}

/// A CSV import of any kind (the first byte picks it): an error names
/// the problem, or the commands it gives are well-formed.
pub fn csv_import(data: &[u8]) {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let kinds: Vec<&str> = crate::io::csv::KINDS
        .iter()
        .chain(crate::io::csv::DOCUMENT_KINDS)
        .copied()
        .collect();
    let kind = kinds[*first as usize % kinds.len()];
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if let Err(e) = crate::io::csv::parse(kind, text, demo()) {
        assert!(!e.to_string().is_empty());
    }
}

/// A scan from a handheld: GTIN, GS1-128 with application identifiers,
/// a bin label, or garbage.
pub fn scan(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::core::scan::parse_scan(text);
    let _ = crate::core::scan::normalise_gtin(text);
    let _ = crate::core::scan::barcode_key(text);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    let _ = crate::core::scan::gs1_date(text, today);
}

/// A record of the store as read from disk: as is (the frame check must
/// refuse what is damaged), and framed with a valid checksum so that the
/// payload decoder itself sees arbitrary bytes.
pub fn store_record(data: &[u8]) {
    use crate::store::codec;
    let _ = codec::decode_envelope(1, data);
    let _ = codec::decode_snapshot::<State>(1, data);
    let framed = codec::frame(7, data);
    if let Ok(env) = codec::decode_envelope(7, &framed) {
        // What decodes re-encodes.
        let again = codec::encode(7, &env);
        assert!(again.is_ok(), "a decoded record does not encode again");
    }
}

/// The strict exec parser (issue 15): a line it accepts has no member
/// the command drops (every member path of the input, but `key`,
/// `operator`, `session` and nulls, is in the command written back), and
/// no object in it has a member twice (counted here by a visitor of its
/// own, not the parser's).
pub fn exec_line_strict(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sub) = crate::cli::parse_exec_line(text, Some("ADMIN")) else {
        return;
    };
    let Ok(counted) = serde_json::from_str::<Counted>(text) else {
        panic!("the strict parser accepted what serde_json does not read: {text:?}");
    };
    assert!(
        !counted.duplicate,
        "a line with a member twice was accepted: {text:?}"
    );
    let Ok(serde_json::Value::Object(mut input)) = serde_json::from_str(text) else {
        panic!("the strict parser accepted a line that is not an object: {text:?}");
    };
    for k in ["key", "operator", "session"] {
        input.remove(k);
    }
    let output = serde_json::to_value(&sub.body).unwrap_or(serde_json::Value::Null);
    let mut missing = Vec::new();
    dropped(&serde_json::Value::Object(input), &output, "", &mut missing);
    assert!(
        missing.is_empty(),
        "{} accepted with members it drops: {missing:?} in {text:?}",
        sub.body.name()
    );
}

/// Member paths of `input` (non-null) that `output` does not have.
fn dropped(
    input: &serde_json::Value,
    output: &serde_json::Value,
    path: &str,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (input, output) {
        (Value::Object(i), Value::Object(o)) => {
            for (k, v) in i {
                if v.is_null() {
                    continue;
                }
                let p = format!("{path}.{k}");
                match o.get(k) {
                    Some(w) => dropped(v, w, &p, out),
                    None => out.push(p),
                }
            }
        }
        (Value::Array(i), Value::Array(o)) => {
            for (n, v) in i.iter().enumerate() {
                match o.get(n) {
                    Some(w) => dropped(v, w, &format!("{path}[{n}]"), out),
                    None if v.is_null() => {}
                    None => out.push(format!("{path}[{n}]")),
                }
            }
        }
        (Value::Object(i), _) if !i.is_empty() => out.push(path.to_string()),
        _ => {}
    }
}

/// Any JSON value; `duplicate` when some object in it has a member twice.
struct Counted {
    duplicate: bool,
}

impl<'de> serde::Deserialize<'de> for Counted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CountVisitor)
    }
}

struct CountVisitor;

impl<'de> serde::de::Visitor<'de> for CountVisitor {
    type Value = Counted;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Counted, E> {
        Ok(Counted { duplicate: false })
    }
    fn visit_i64<E>(self, _: i64) -> Result<Counted, E> {
        Ok(Counted { duplicate: false })
    }
    fn visit_u64<E>(self, _: u64) -> Result<Counted, E> {
        Ok(Counted { duplicate: false })
    }
    fn visit_f64<E>(self, _: f64) -> Result<Counted, E> {
        Ok(Counted { duplicate: false })
    }
    fn visit_str<E>(self, _: &str) -> Result<Counted, E> {
        Ok(Counted { duplicate: false })
    }
    fn visit_unit<E>(self) -> Result<Counted, E> {
        Ok(Counted { duplicate: false })
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Counted, A::Error> {
        let mut duplicate = false;
        while let Some(c) = seq.next_element::<Counted>()? {
            duplicate |= c.duplicate;
        }
        Ok(Counted { duplicate })
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Counted, A::Error> {
        let mut seen = std::collections::HashSet::new();
        let mut duplicate = false;
        while let Some(k) = map.next_key::<String>()? {
            duplicate |= !seen.insert(k);
            duplicate |= map.next_value::<Counted>()?.duplicate;
        }
        Ok(Counted { duplicate })
    }
}
