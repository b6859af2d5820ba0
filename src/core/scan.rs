//! Barcodes and scans: GTIN-8/12/13/14 check digits and normalisation, and a
//! GS1 element-string parser driven by the whole table of application
//! identifiers (`gs1_ai`): fixed and variable lengths, character sets,
//! check digits, dates (day 00 too), implied decimal points. The symbology
//! identifiers of GS1-128 (`]C1`), GS1 DataMatrix (`]d2`), GS1 QR (`]Q3`),
//! GS1 DataBar (`]e0`) and GS1 DotCode (`]J1`) are understood. depot uses
//! (00), (01)/(02), (10), (17), (30)/(37); every other AI is kept on the
//! scan (`Gs1::other`); an AI not in the table is refused by name.
//!
//! A scanner is a keyboard wedge: the FNC1 separator arrives as ASCII GS
//! (0x1D); labels typed by hand use the human-readable `(01)...(10)...` form.
//! Both are accepted.

use super::gs1_ai::{self, AiDef, Part, Rule};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The group separator a scanner sends for FNC1.
pub const GS: char = '\u{1d}';

/// What a scan or a barcode field was understood to be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scan {
    /// A GTIN, normalised to 14 digits.
    Gtin(String),
    /// A GS1-128 element string.
    Gs1(Gs1),
    /// Anything else: a SKU, an internal barcode, a bin code.
    Text(String),
}

/// The parts of a GS1-128 element string depot uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gs1 {
    /// AI (01), normalised to 14 digits.
    pub gtin: Option<String>,
    /// AI (10), batch or lot.
    pub lot: Option<String>,
    /// AI (30), variable count of items.
    pub count: Option<Decimal>,
    /// AI (17), expiry date as YYMMDD.
    pub expiry: Option<String>,
    /// AI (00), the serial shipping container code (18 digits).
    pub sscc: Option<String>,
    /// Every other AI of the scan, as (AI, value) in scan order: kept, not
    /// dropped (see `ai_decimal` for the `310n`-style numbers).
    pub other: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScanError {
    #[error("the scan is empty")]
    Empty,
    #[error("GTIN {value} has a wrong check digit (expected {expected})")]
    CheckDigit { value: String, expected: u32 },
    #[error("GS1 application identifier ({ai}) is not one depot understands")]
    UnknownAi { ai: String },
    #[error("GS1 field ({ai}) is malformed: {reason}")]
    BadField { ai: String, reason: &'static str },
    #[error("the scan holds characters a barcode cannot carry")]
    Garbled,
    #[error("GS1 field ({ai}) {value} is not a date YYMMDD (or a date and time)")]
    BadDate { ai: String, value: String },
}

/// The GS1 check digit of the digits before it (mod 10, weights 3,1 from the right).
pub fn gtin_check_digit(body: &str) -> Option<u32> {
    let mut sum = 0u32;
    for (i, c) in body.chars().rev().enumerate() {
        let d = c.to_digit(10)?;
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Some((10 - sum % 10) % 10)
}

/// Whether `s` looks like a GTIN (all digits, length 8, 12, 13 or 14).
pub fn is_gtin_shaped(s: &str) -> bool {
    matches!(s.len(), 8 | 12 | 13 | 14) && s.chars().all(|c| c.is_ascii_digit())
}

/// Validate a GTIN and normalise it to 14 digits.
pub fn normalise_gtin(s: &str) -> Result<String, ScanError> {
    if !is_gtin_shaped(s) {
        return Err(ScanError::BadField {
            ai: "01".into(),
            reason: "a GTIN has 8, 12, 13 or 14 digits",
        });
    }
    let (body, check) = s.split_at(s.len() - 1);
    let expected = gtin_check_digit(body).ok_or(ScanError::Garbled)?;
    let got = check.chars().next().and_then(|c| c.to_digit(10));
    if got != Some(expected) {
        return Err(ScanError::CheckDigit {
            value: s.to_string(),
            expected,
        });
    }
    Ok(format!("{s:0>14}"))
}

/// The key under which a barcode is indexed: GTINs by their 14-digit form,
/// everything else upper-cased.
pub fn barcode_key(s: &str) -> Result<String, ScanError> {
    if is_gtin_shaped(s) {
        normalise_gtin(s)
    } else {
        Ok(s.to_ascii_uppercase())
    }
}

/// The symbology identifiers of GS1 data carriers: GS1-128, GS1
/// DataMatrix, GS1 QR Code, GS1 DataBar (and composites), GS1 DotCode.
pub const GS1_SYMBOLOGIES: [&str; 5] = ["]C1", "]d2", "]Q3", "]e0", "]J1"];

/// Parse what a scanner sent: a GS1 element string (with a GS1 symbology
/// prefix, GS separators or the bracketed human form), a bare GTIN, or text.
pub fn parse_scan(raw: &str) -> Result<Scan, ScanError> {
    let s = raw.trim_matches(|c: char| c == '\r' || c == '\n' || c == ' ');
    if s.is_empty() {
        return Err(ScanError::Empty);
    }
    if s.len() > 128 || s.chars().any(|c| c.is_control() && c != GS) {
        return Err(ScanError::Garbled);
    }
    for prefix in GS1_SYMBOLOGIES {
        if let Some(rest) = s.strip_prefix(prefix) {
            return parse_gs1(rest).map(Scan::Gs1);
        }
    }
    if s.starts_with('(') {
        return parse_gs1(&bracketed_to_raw(s)?).map(Scan::Gs1);
    }
    if s.contains(GS) {
        return parse_gs1(s).map(Scan::Gs1);
    }
    if is_gtin_shaped(s) {
        return normalise_gtin(s).map(Scan::Gtin);
    }
    // A long all-digit string starting with 01 is a GS1 string without FNC1:
    // exactly 16 digits is (01) and a GTIN-14 alone, what a scanner with
    // symbology identifiers off sends for a label with nothing else. At 16
    // a string that is not one (its check digit fails) stays text: it may
    // be an item number.
    if s.len() >= 16 && s.starts_with("01") && s.chars().all(|c| c.is_ascii_digit()) {
        match parse_gs1(s) {
            Ok(g) => return Ok(Scan::Gs1(g)),
            Err(e) if s.len() > 16 => return Err(e),
            Err(_) => {}
        }
    }
    if s.chars().any(|c| c == GS || c.is_control()) {
        return Err(ScanError::Garbled);
    }
    Ok(Scan::Text(s.to_string()))
}

fn bracketed_to_raw(s: &str) -> Result<String, ScanError> {
    let mut out = String::new();
    let mut rest = s;
    let mut first = true;
    while !rest.is_empty() {
        let Some(r) = rest.strip_prefix('(') else {
            return Err(ScanError::Garbled);
        };
        let Some((ai, r)) = r.split_once(')') else {
            return Err(ScanError::Garbled);
        };
        // The brackets say where the AI ends: one depot does not know is
        // named as bracketed ("(23)..." is AI 23, not 2312 read on into
        // the value).
        if gs1_ai::lookup(ai).is_none_or(|(_, full)| full != ai) {
            return Err(ScanError::UnknownAi {
                ai: ai.chars().take(6).collect(),
            });
        }
        let end = r.find('(').unwrap_or(r.len());
        let (value, r) = r.split_at(end);
        if !first {
            out.push(GS);
        }
        first = false;
        out.push_str(ai);
        out.push_str(value);
        rest = r;
    }
    Ok(out)
}

fn bad(ai: &str, reason: &'static str) -> ScanError {
    ScanError::BadField {
        ai: ai.to_string(),
        reason,
    }
}

/// Check one value against its AI's components and rule.
fn check_value(def: &AiDef, ai: &str, value: &str) -> Result<(), ScanError> {
    if !value.is_ascii() {
        return Err(bad(ai, "holds a character GS1 does not allow"));
    }
    let n = value.len();
    if n < def.min_len() || n > def.max_len() {
        return Err(if def.fixed() {
            bad(ai, "has the wrong length")
        } else {
            bad(ai, "is empty or too long")
        });
    }
    // Split the value over the components: each takes at least its
    // minimum; the variable one (there is at most one) takes the rest.
    let mut rest = value;
    let mut first_part = "";
    let mut spare = n - def.min_len();
    for (i, p) in def.parts.iter().enumerate() {
        let grow = spare.min(p.max() - p.min());
        spare -= grow;
        let (v, r) = rest.split_at((p.min() + grow).min(rest.len()));
        if i == 0 {
            first_part = v;
        }
        let ok = match p {
            Part::N(..) => v.bytes().all(|b| b.is_ascii_digit()),
            Part::X(..) => v.chars().all(gs1_ai::cset82),
            Part::Y(..) => v.chars().all(gs1_ai::cset39),
            Part::Z(..) => v.chars().all(gs1_ai::cset64),
        };
        if !ok {
            return Err(match p {
                Part::N(..) => bad(ai, "must be digits"),
                _ => bad(ai, "holds a character GS1 does not allow"),
            });
        }
        rest = r;
    }
    // Two digits at `i` of `t` (none when `t` is shorter: never a panic).
    let num = |t: &str, i: usize| -> Option<u32> { t.get(i..i + 2)?.parse().ok() };
    let date_ok = |d: &str, day00: bool| -> bool {
        let (Some(yy), Some(mm), Some(dd)) = (num(d, 0), num(d, 2), num(d, 4)) else {
            return false;
        };
        if !(1..=12).contains(&mm) {
            return false;
        }
        if dd == 0 {
            return day00;
        }
        // 2000 is a leap year: a 29th of February is possible any century.
        NaiveDate::from_ymd_opt(2000 + yy as i32, mm, dd).is_some()
    };
    let hhmm_ok = |t: &str| num(t, 0).is_some_and(|h| h < 24) && num(t, 2).is_some_and(|m| m < 60);
    let tail = |i: usize| value.get(i..).unwrap_or_default();
    match def.rule {
        Rule::None | Rule::Decimal | Rule::IsoDecimal => Ok(()),
        Rule::CheckDigit => {
            let (body, check) = first_part.split_at(first_part.len().saturating_sub(1));
            let expected = gtin_check_digit(body).ok_or(ScanError::Garbled)?;
            if check.chars().next().and_then(|c| c.to_digit(10)) != Some(expected) {
                return Err(ScanError::CheckDigit {
                    value: first_part.to_string(),
                    expected,
                });
            }
            Ok(())
        }
        Rule::Date if value.len() == 6 && date_ok(value, true) => Ok(()),
        Rule::DateHhMm if value.len() == 10 && date_ok(value, false) && hhmm_ok(tail(6)) => Ok(()),
        Rule::DateOptHhMm
            if date_ok(value, false)
                && (value.len() == 6 || (value.len() == 10 && hhmm_ok(tail(6)))) =>
        {
            Ok(())
        }
        Rule::DateRange
            if date_ok(value, false)
                && (value.len() == 6 || (value.len() == 12 && date_ok(tail(6), false))) =>
        {
            Ok(())
        }
        Rule::DateHhOptMmSs
            if date_ok(value, false)
                && num(value, 6).is_some_and(|h| h < 24)
                && matches!(value.len(), 8 | 10 | 12)
                && (8..value.len())
                    .step_by(2)
                    .all(|i| num(value, i).is_some_and(|x| x < 60)) =>
        {
            Ok(())
        }
        Rule::Temperature if value.len() == 6 || value.ends_with('-') => Ok(()),
        Rule::LatLong => {
            let part = |r: std::ops::Range<usize>| -> Result<u64, ScanError> {
                value
                    .get(r)
                    .and_then(|x| x.parse().ok())
                    .ok_or_else(|| bad(ai, "must be digits"))
            };
            let (lat, lon) = (part(0..10)?, part(10..20)?);
            if lat <= 1_800_000_000 && lon <= 3_600_000_000 {
                Ok(())
            } else {
                Err(bad(ai, "is not a latitude and longitude"))
            }
        }
        Rule::Date | Rule::DateHhMm | Rule::DateOptHhMm | Rule::DateRange | Rule::DateHhOptMmSs => {
            Err(ScanError::BadDate {
                ai: ai.to_string(),
                value: value.to_string(),
            })
        }
        Rule::Temperature => Err(bad(ai, "is six digits and an optional '-'")),
    }
}

/// The value of a decimal AI (`310n`, `392n`, `393n`...) as a number.
pub fn ai_decimal(ai: &str, value: &str) -> Option<Decimal> {
    let (def, full) = gs1_ai::lookup(ai)?;
    if full != ai {
        return None;
    }
    let n = u32::from(ai.as_bytes().last()? - b'0');
    let digits = match def.rule {
        Rule::Decimal => value,
        Rule::IsoDecimal => value.get(3..)?,
        _ => return None,
    };
    let m: i64 = digits.parse().ok()?;
    Some(Decimal::new(m, n))
}

fn parse_gs1(mut s: &str) -> Result<Gs1, ScanError> {
    let mut g = Gs1::default();
    while !s.is_empty() {
        s = s.trim_start_matches(GS);
        if s.is_empty() {
            break;
        }
        let Some((def, ai)) = gs1_ai::lookup(s) else {
            // Name what was not understood: the AI as far as it can be told.
            let ai: String = s.chars().take_while(char::is_ascii_digit).take(4).collect();
            return Err(ScanError::UnknownAi {
                ai: if ai.is_empty() {
                    s.chars().take(4).collect()
                } else {
                    ai
                },
            });
        };
        let rest = &s[ai.len()..];
        let (value, next) = if def.fixed() {
            let n = def.max_len();
            if rest.len() < n || !rest.is_char_boundary(n) {
                return Err(bad(ai, "too short"));
            }
            rest.split_at(n)
        } else {
            let end = rest.find(GS).unwrap_or(rest.len());
            rest.split_at(end)
        };
        check_value(def, ai, value)?;
        match ai {
            "00" => g.sscc = Some(value.to_string()),
            "01" | "02" => g.gtin = Some(normalise_gtin(value)?),
            "10" => g.lot = Some(value.to_string()),
            "17" => g.expiry = Some(value.to_string()),
            "30" | "37" => {
                let n: u64 = value.parse().map_err(|_| ScanError::Garbled)?;
                g.count = Some(Decimal::from(n));
            }
            _ => g.other.push((ai.to_string(), value.to_string())),
        }
        s = next;
    }
    Ok(g)
}

/// A GS1 date (YYMMDD) as a date: the century is the one that puts the
/// year within 49 years before and 50 after `today` (GS1 General
/// Specifications 7.12); day 00 is the last day of the month.
pub fn gs1_date(yymmdd: &str, today: NaiveDate) -> Option<NaiveDate> {
    use chrono::Datelike;
    if yymmdd.len() != 6 || !yymmdd.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: i32 = yymmdd[0..2].parse().ok()?;
    let mm: u32 = yymmdd[2..4].parse().ok()?;
    let dd: u32 = yymmdd[4..6].parse().ok()?;
    let century = today.year() / 100 * 100;
    let diff = yy - today.year() % 100;
    let year = if diff >= 51 {
        century - 100 + yy
    } else if diff <= -50 {
        century + 100 + yy
    } else {
        century + yy
    };
    if dd == 0 {
        let first = NaiveDate::from_ymd_opt(year, mm, 1)?;
        let next = first.checked_add_months(chrono::Months::new(1))?;
        return next.pred_opt();
    }
    NaiveDate::from_ymd_opt(year, mm, dd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits() {
        assert_eq!(gtin_check_digit("400638133393"), Some(1)); // 4006381333931
        assert!(normalise_gtin("4006381333931").is_ok());
        assert_eq!(
            normalise_gtin("4006381333931").ok().as_deref(),
            Some("04006381333931")
        );
        assert!(matches!(
            normalise_gtin("4006381333932"),
            Err(ScanError::CheckDigit { expected: 1, .. })
        ));
        assert!(normalise_gtin("96385074").is_ok()); // GTIN-8
        assert!(normalise_gtin("036000291452").is_ok()); // UPC-A
    }

    #[test]
    fn gs1_with_separator_and_brackets() {
        let raw = format!("]C10104006381333931{GS}10LOT42{GS}3012");
        let Ok(Scan::Gs1(g)) = parse_scan(&raw) else {
            panic!("not gs1")
        };
        assert_eq!(g.gtin.as_deref(), Some("04006381333931"));
        assert_eq!(g.lot.as_deref(), Some("LOT42"));
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(
            gs1_date("270131", today),
            NaiveDate::from_ymd_opt(2027, 1, 31)
        );
        assert_eq!(
            gs1_date("270200", today),
            NaiveDate::from_ymd_opt(2027, 2, 28)
        );
        assert_eq!(
            gs1_date("990101", today),
            NaiveDate::from_ymd_opt(1999, 1, 1)
        );
        assert_eq!(
            gs1_date("761231", today),
            NaiveDate::from_ymd_opt(2076, 12, 31)
        );
        assert_eq!(gs1_date("271301", today), None);
        assert_eq!(gs1_date("27013", today), None);
        assert_eq!(g.count, Some(Decimal::from(12)));
        // A bracketed AI depot does not know is named as bracketed.
        for (raw, ai) in [("(23)12345", "23"), ("(310)000123", "310"), ("(9)1", "9")] {
            match parse_scan(raw) {
                Err(ScanError::UnknownAi { ai: got }) => assert_eq!(got, ai, "{raw}"),
                other => panic!("{raw}: {other:?}"),
            }
        }
        let Ok(Scan::Gs1(h)) = parse_scan("(01)04006381333931(10)LOT42(30)12") else {
            panic!("not gs1")
        };
        assert_eq!(g, h);
    }

    #[test]
    fn a_bare_01_and_gtin_14_is_gs1_and_a_16_digit_item_number_is_not() {
        // What a scanner with symbology identifiers off sends for a label
        // with only (01).
        let Ok(Scan::Gs1(g)) = parse_scan("0104006381333931") else {
            panic!("not gs1")
        };
        assert_eq!(g.gtin.as_deref(), Some("04006381333931"));
        assert_eq!(g.count, None);
        // Its check digit wrong: 16 digits that are text (an item number).
        assert_eq!(
            parse_scan("0104006381333932"),
            Ok(Scan::Text("0104006381333932".into()))
        );
        // Longer, it is GS1 or an error.
        assert!(parse_scan("01040063813339321").is_err());
    }

    #[test]
    fn garbled_scans_are_errors_not_panics() {
        assert_eq!(parse_scan(""), Err(ScanError::Empty));
        assert!(parse_scan("(01)123").is_err());
        assert!(parse_scan("(23)x").is_err());
        assert!(parse_scan("(01").is_err());
        assert!(parse_scan("]C101").is_err());
        assert!(parse_scan("A\u{7}B").is_err());
        assert_eq!(parse_scan("SKU-1"), Ok(Scan::Text("SKU-1".into())));
    }
}
