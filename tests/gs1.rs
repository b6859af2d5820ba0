//! The GS1 element-string parser against the whole AI table: a valid
//! value of every AI parses (in a GS1-128, DataMatrix, QR, DataBar and
//! DotCode scan), each length class is enforced, check digits and dates
//! are checked (day 00 allowed, impossible dates refused), decimal AIs
//! read with their implied point, unknown AIs are refused by name, and
//! real labels with several AIs parse whole.

use depot::core::gs1_ai::{lookup, AiDef, Part, Rule, AIS};
use depot::core::scan::{ai_decimal, gtin_check_digit, parse_scan, Gs1, Scan, ScanError, GS};
use rust_decimal::Decimal;

/// `body` with its GS1 check digit.
fn with_check(body: &str) -> String {
    format!("{body}{}", gtin_check_digit(body).unwrap())
}

fn gtin(body13: &str) -> String {
    with_check(body13)
}

fn gs1(raw: &str) -> Gs1 {
    match parse_scan(raw) {
        Ok(Scan::Gs1(g)) => g,
        other => panic!("{raw:?}: {other:?}"),
    }
}

/// A valid value for `def`, `long` at its longest.
fn sample(def: &AiDef, long: bool) -> String {
    let mut out = String::new();
    for (i, p) in def.parts.iter().enumerate() {
        let n = if long { p.max() } else { p.min().max(1) };
        let v = match (p, def.rule) {
            (Part::N(..), Rule::CheckDigit) if i == 0 => with_check(&"1".repeat(n - 1)),
            (Part::N(..), Rule::Date) => "261231".into(),
            (Part::N(..), Rule::DateHhMm) => "2612311200".into(),
            (Part::N(..), Rule::DateOptHhMm) => {
                if long {
                    "2612311200".into()
                } else {
                    "261231".into()
                }
            }
            (Part::N(..), Rule::DateRange) => {
                if long {
                    "261201261231".into()
                } else {
                    "261231".into()
                }
            }
            (Part::N(..), Rule::DateHhOptMmSs) => "261231125959"[..n.clamp(8, 12)].to_string(),
            (Part::N(..), Rule::LatLong) => "0".repeat(20),
            (Part::X(..), Rule::Temperature) => "-".repeat(n),
            (Part::N(..), _) => "1".repeat(n),
            (Part::X(..), _) | (Part::Y(..), _) | (Part::Z(..), _) => "A".repeat(n),
        };
        out.push_str(&v);
    }
    out
}

/// Every AI, spelled out (a `310n` row is 3100 ... 3105).
fn every_ai() -> Vec<(String, &'static AiDef)> {
    AIS.iter()
        .flat_map(|d| match d.decimals {
            None => vec![(d.ai.to_string(), d)],
            Some(m) => (0..=m).map(|n| (format!("{}{n}", d.ai), d)).collect(),
        })
        .collect()
}

#[test]
fn every_ai_of_the_dictionary_parses_at_its_shortest_and_longest() {
    let all = every_ai();
    assert!(all.len() > 400, "{}", all.len());
    for (ai, def) in &all {
        for long in [false, true] {
            let v = sample(def, long);
            // After a GTIN, in each GS1 symbology, then a lot after it
            // (a variable AI needs the GS separator, a fixed one not).
            let g01 = gtin("0950600013437");
            for sym in ["]C1", "]d2", "]Q3", "]e0", "]J1"] {
                let raw = format!("{sym}01{g01}{ai}{v}{GS}10LOT1");
                let g = gs1(&raw);
                assert_eq!(g.lot.as_deref(), Some("LOT1"), "{raw:?}");
                let kept = match ai.as_str() {
                    "00" => g.sscc.as_deref() == Some(v.as_str()),
                    "01" | "02" => g.gtin.is_some(),
                    "10" => true,
                    "17" => g.expiry.as_deref() == Some(v.as_str()),
                    "30" | "37" => g.count.is_some(),
                    _ => g.other.iter().any(|(a, x)| a == ai && *x == v),
                };
                assert!(kept, "{raw:?}: {g:?}");
            }
        }
    }
}

#[test]
fn each_length_class_is_enforced() {
    let g01 = gtin("0950600013437");
    // Fixed, predefined (no separator after it): 11 then 17 run on.
    let g = gs1(&format!("]C101{g01}11260101172612313012"));
    assert_eq!(g.expiry.as_deref(), Some("261231"));
    assert_eq!(g.count, Some(Decimal::from(12)));
    assert_eq!(g.other, vec![("11".into(), "260101".into())]);
    // Fixed, not predefined (7003): a separator may follow.
    let g = gs1(&format!("]C101{g01}70032612311230{GS}10L9"));
    assert_eq!(g.other, vec![("7003".into(), "2612311230".into())]);
    assert_eq!(g.lot.as_deref(), Some("L9"));
    // Fixed too short: refused.
    assert!(matches!(
        parse_scan(&format!("]C101{g01}7003261231")),
        Err(ScanError::BadField { .. })
    ));
    // Variable: up to its maximum (10: 20), longer refused.
    let g = gs1(&format!("]C110{}", "A".repeat(20)));
    assert_eq!(g.lot.map(|l| l.len()), Some(20));
    assert!(parse_scan(&format!("]C110{}", "A".repeat(21))).is_err());
    // Variable with a numeric minimum (423: 3 to 15 digits).
    assert!(parse_scan("]C142312").is_err());
    assert!(parse_scan("]C1423123456").is_ok());
    // Two components, the second optional (253 GDTI: N13 + X0..17).
    let gdti = with_check("123456789012");
    assert!(parse_scan(&format!("]C1253{gdti}")).is_ok());
    assert!(parse_scan(&format!("]C1253{gdti}ABC-1")).is_ok());
    // Character sets: a lower case letter is not in set 39 (8010).
    assert!(parse_scan("]C18010ABC#1").is_ok());
    assert!(parse_scan("]C18010abc").is_err());
    // A digit-only component refuses a letter (8111 points: N4).
    assert!(parse_scan("]C18111A123").is_err());
}

#[test]
fn check_digits_are_checked_on_every_key_that_has_one() {
    let sscc = with_check("00614141123456789");
    let g = gs1(&format!("]C100{sscc}"));
    assert_eq!(g.sscc.as_deref(), Some(sscc.as_str()));
    let mut bad = sscc.clone();
    let last = bad.pop().unwrap().to_digit(10).unwrap();
    bad.push(char::from_digit((last + 1) % 10, 10).unwrap());
    assert!(matches!(
        parse_scan(&format!("]C100{bad}")),
        Err(ScanError::CheckDigit { .. })
    ));
    for ai in ["410", "414", "8017", "402", "01"] {
        let (def, _) = lookup(&format!("{ai}0")).unwrap();
        let n = def.parts[0].max();
        let good = with_check(&"7".repeat(n - 1));
        assert!(parse_scan(&format!("]C1{ai}{good}")).is_ok(), "{ai}");
        let wrong = format!(
            "{}{}",
            &good[..n - 1],
            (good.as_bytes()[n - 1] - b'0' + 1) % 10
        );
        assert!(
            matches!(
                parse_scan(&format!("]C1{ai}{wrong}")),
                Err(ScanError::CheckDigit { .. })
            ),
            "{ai}"
        );
    }
}

#[test]
fn dates_follow_the_rules_day_00_included() {
    // Day 00: the month's last day (allowed).
    assert!(parse_scan("]C117260200").is_ok());
    assert!(parse_scan("]C115261100").is_ok());
    // Impossible dates.
    for bad in ["17261331", "17260230", "11250229", "17261200X", "13269901"] {
        assert!(parse_scan(&format!("]C1{bad}")).is_err(), "{bad}");
    }
    assert!(parse_scan("]C111240229").is_ok(), "a leap day");
    // Date and time: no day 00, hours below 24.
    assert!(parse_scan("]C170032612312359").is_ok());
    assert!(parse_scan("]C170032612002359").is_err());
    assert!(parse_scan("]C170032612312460").is_err());
    // A harvest date range (7007), and its second date checked.
    assert!(parse_scan("]C17007261201261231").is_ok());
    assert!(parse_scan("]C17007261201261331").is_err());
    // 8008: date and hour, optional minutes and seconds.
    assert!(parse_scan("]C1800826123112").is_ok());
    assert!(parse_scan("]C180082612311259").is_ok());
    assert!(parse_scan("]C1800826123125").is_err());
}

#[test]
fn decimal_ais_read_with_their_implied_point() {
    assert_eq!(ai_decimal("3103", "001250"), Some(Decimal::new(1250, 3)));
    assert_eq!(ai_decimal("3100", "000012"), Some(Decimal::from(12)));
    assert_eq!(ai_decimal("3922", "1250"), Some(Decimal::new(1250, 2)));
    assert_eq!(ai_decimal("3932", "9781250"), Some(Decimal::new(1250, 2)));
    assert_eq!(ai_decimal("10", "1250"), None);
    // 310n goes to 3105; 3106 is not an AI.
    let g01 = gtin("0950600013437");
    assert!(parse_scan(&format!("]C101{g01}3105001250")).is_ok());
    assert_eq!(
        parse_scan(&format!("]C101{g01}3106001250")),
        Err(ScanError::UnknownAi { ai: "3106".into() })
    );
}

#[test]
fn an_unknown_ai_is_refused_by_name() {
    let g01 = gtin("0950600013437");
    let e = parse_scan(&format!("]C101{g01}23ABC")).unwrap_err();
    assert_eq!(e, ScanError::UnknownAi { ai: "23".into() });
    assert!(e.to_string().contains("(23)"), "{e}");
    assert_eq!(
        parse_scan("(01)09506000134376(4999)x"),
        Err(ScanError::UnknownAi { ai: "4999".into() })
    );
}

#[test]
fn real_labels_with_several_ais_in_each_symbology() {
    let g01 = gtin("0950600013437");
    let sscc = with_check("03761234500000001");
    // A GS1-128 pallet label: SSCC, content, count, best before, lot,
    // gross weight; the customer's PO (400) and ship-to postcode (420).
    let g = gs1(&format!(
        "]C100{sscc}{GS}02{g01}3736{GS}15270131{GS}10B-7743{GS}3301004520{GS}400PO-4711{GS}42060608"
    ));
    assert_eq!(g.sscc.as_deref(), Some(sscc.as_str()));
    assert_eq!(g.gtin.as_deref(), Some(g01.as_str()));
    assert_eq!(g.count, Some(Decimal::from(36)));
    assert_eq!(g.lot.as_deref(), Some("B-7743"));
    assert_eq!(
        g.other,
        vec![
            ("15".into(), "270131".into()),
            ("3301".into(), "004520".into()),
            ("400".into(), "PO-4711".into()),
            ("420".into(), "60608".into()),
        ]
    );
    // A GS1 DataMatrix on a pharmaceutical pack: GTIN, expiry, lot, serial,
    // national number (714), the (240) and (7003).
    let g = gs1(&format!(
        "]d201{g01}17270630{GS}10LOT42{GS}21SN0001{GS}714PT1234567{GS}240ALT-9{GS}70032706301200"
    ));
    assert_eq!(g.expiry.as_deref(), Some("270630"));
    assert_eq!(g.lot.as_deref(), Some("LOT42"));
    assert_eq!(g.other.len(), 4);
    assert!(g.other.contains(&("7003".into(), "2706301200".into())));
    // A GS1 QR Code from a 2D handheld: GTIN, price (3922), a URL (8200).
    let g = gs1(&format!(
        "]Q301{g01}39221999{GS}8200https://example.com/p/1"
    ));
    let price = g.other.iter().find(|(a, _)| a == "3922").unwrap();
    assert_eq!(ai_decimal(&price.0, &price.1), Some(Decimal::new(1999, 2)));
    // A GS1 DataBar Expanded on fresh food: GTIN, net weight, pack date,
    // price with currency (3932, EUR 978).
    let g = gs1(&format!("]e001{g01}310300125013261130{GS}39329780799"));
    let net = g.other.iter().find(|(a, _)| a == "3103").unwrap();
    assert_eq!(ai_decimal(&net.0, &net.1), Some(Decimal::new(1250, 3)));
    assert!(g.other.iter().any(|(a, v)| a == "13" && v == "261130"));
    let amount = g.other.iter().find(|(a, _)| a == "3932").unwrap();
    assert_eq!(ai_decimal(&amount.0, &amount.1), Some(Decimal::new(799, 2)));
    // The human-readable form typed by hand gives the same as the scan.
    let typed = gs1(&format!("(01){g01}(3103)001250(13)261130"));
    assert_eq!(typed.other[0], ("3103".into(), "001250".into()));
}

#[test]
fn every_cut_of_every_sample_is_an_answer_not_a_panic() {
    for (ai, def) in every_ai() {
        let raw = format!("]d2{ai}{}{GS}10X", sample(def, true));
        for i in 0..=raw.len() {
            if raw.is_char_boundary(i) {
                let _ = parse_scan(&raw[..i]);
                let _ = parse_scan(&format!("{}é{}", &raw[..i], &raw[i..]));
            }
        }
    }
}
