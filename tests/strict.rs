//! Strict command input (issue 15): a typo, a duplicate member or a
//! decimal outside the one grammar is refused with a code that names it,
//! and nothing is written.

mod common;

use common::{depot, text};
use depot::cli::parse_exec_line;
use serde_json::Value;
use std::path::Path;

/// The edge's answer to a line: Ok(command name) or Err((code, message)).
fn parse(line: &str) -> Result<&'static str, (&'static str, String)> {
    parse_exec_line(line, None)
        .map(|s| s.body.name())
        .map_err(|(_, code, msg)| (code, msg))
}

fn refused(line: &str, code: &str, names: &str) {
    match parse(line) {
        Ok(name) => panic!("{line}\naccepted as {name}"),
        Err((c, msg)) => {
            assert_eq!(c, code, "{line}: {msg}");
            assert!(
                msg.contains(names),
                "{line}: {msg:?} does not name {names:?}"
            );
        }
    }
}

const SALE: &str = r#"{"operator":"CLERK1","cmd":"counter_sale","customer":"C0006","warehouse":"CHI","lines":[{"sku":"FAS-1001","qty":"1"}],"payment":{"method":"cash"}}"#;
const ORDER: &str = r#"{"operator":"REP1","cmd":"place_order","customer":"C0002","lines":[{"sku":"FAS-1001","qty":"1","warehouse":"CHI","price":"9.00"}]}"#;

#[test]
fn the_well_formed_lines_parse() {
    assert_eq!(parse(SALE), Ok("counter_sale"));
    assert_eq!(parse(ORDER), Ok("place_order"));
}

#[test]
fn a_misspelt_field_is_refused_at_every_level() {
    // A typo in the payment made an on-account sale with no receipt.
    refused(
        &SALE.replace(r#""payment""#, r#""paymnet""#),
        "invalid_command",
        "paymnet",
    );
    // A typo in a line's price: the list price was used.
    refused(
        &ORDER.replace(r#""price""#, r#""prcie""#),
        "invalid_command",
        "prcie",
    );
    // A misspelt quote flag: a real order that reserves stock.
    refused(
        &ORDER.replace(r#""cmd""#, r#""qoute":true,"cmd""#),
        "invalid_command",
        "qoute",
    );
    // Inside a nested object of a payment, and of a master record.
    refused(
        &SALE.replace(
            r#"{"method":"cash"}"#,
            r#"{"method":"cash","amuont":"5.00"}"#,
        ),
        "invalid_command",
        "amuont",
    );
    refused(
        r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"N45","description":"Net 45","net_days":45,"net_dyas":30}"#,
        "invalid_command",
        "net_dyas",
    );
    // The flattened list price of set_list_price.
    refused(
        r#"{"operator":"ADMIN","cmd":"set_list_price","price_list":"USD-LIST","sku":"FAS-1001","price":"1.00","brekas":[]}"#,
        "invalid_command",
        "brekas",
    );
    assert_eq!(
        parse(
            r#"{"operator":"ADMIN","cmd":"set_list_price","price_list":"USD-LIST","sku":"FAS-1001","price":"1.00","breaks":[]}"#
        ),
        Ok("set_list_price")
    );
}

#[test]
fn a_duplicate_member_is_refused_not_last_one_wins() {
    refused(
        &SALE.replace(
            r#""operator":"CLERK1""#,
            r#""operator":"PICK1","operator":"ADMIN""#,
        ),
        "invalid_command",
        "operator",
    );
    refused(
        &ORDER.replace(r#""qty":"1""#, r#""qty":"1","qty":"1000""#),
        "invalid_command",
        "qty",
    );
    refused(
        &SALE.replacen('{', r#"{"key":"a","key":"b","#, 1),
        "invalid_command",
        "key",
    );
}

fn last_seq(dir: &Path) -> usize {
    let out = depot(dir, &["export", "events"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().count()
}

#[test]
fn refused_lines_change_nothing_in_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let out = depot(&dir, &["demo"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = last_seq(&dir);
    let lines = [
        SALE.replace(r#""payment""#, r#""paymnet""#),
        ORDER.replace(r#""price""#, r#""prcie""#),
        ORDER.replace(r#""cmd""#, r#""qoute":true,"cmd""#),
        SALE.replace(
            r#""operator":"CLERK1""#,
            r#""operator":"CLERK1","operator":"ADMIN""#,
        ),
    ];
    let out = depot(&dir, &["exec", "-"], Some(&(lines.join("\n") + "\n")));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let answers: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(answers.len(), lines.len());
    for (a, word) in answers
        .iter()
        .zip(["paymnet", "prcie", "qoute", "operator"])
    {
        assert_eq!(a["ok"], false, "{a}");
        assert_eq!(a["error"]["code"], "invalid_command", "{a}");
        let msg = a["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains(word), "{msg}");
    }
    assert_eq!(last_seq(&dir), before, "a refused line wrote to the log");
}

#[test]
fn decimals_have_one_grammar_in_exec() {
    // Read as a number by the decimal type, refused by the grammar.
    for bad in ["1E2", "1e2", "+10", ".5", "5."] {
        let line = ORDER.replace(r#""qty":"1""#, &format!(r#""qty":"{bad}""#));
        refused(&line, "invalid_command", "lines[0].qty");
    }
    // Not numbers at all.
    for bad in [" 1", "1,000.00", "0x10"] {
        let line = ORDER.replace(r#""qty":"1""#, &format!(r#""qty":"{bad}""#));
        refused(&line, "invalid_command", bad);
    }
    let line = SALE.replace(
        r#"{"method":"cash"}"#,
        r#"{"method":"cash","amount":"1E2"}"#,
    );
    refused(&line, "invalid_command", "payment.amount");
    for good in ["1", "10.50", "-0.5", "0012.0"] {
        let line = ORDER.replace(r#""qty":"1""#, &format!(r#""qty":"{good}""#));
        assert_eq!(parse(&line), Ok("place_order"), "{good}");
    }
    // Text is text: a reference that looks like an exponent is kept.
    let line = SALE.replace(
        r#"{"method":"cash"}"#,
        r#"{"method":"cash","reference":"1E2"}"#,
    );
    assert_eq!(parse(&line), Ok("counter_sale"));
}

#[test]
fn imports_use_the_same_decimal_grammar() {
    use depot::core::types::parse_decimal;
    for bad in ["1E2", "+10", ".5", "5.", "", "-", "1.2.3"] {
        assert!(parse_decimal(bad).is_err(), "{bad:?} accepted");
    }
    assert_eq!(
        parse_decimal("-12.50").map(|d| d.to_string()),
        Ok("-12.50".into())
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["demo"], None).status.success());
    let file = tmp.path().join("terms.csv");
    std::fs::write(
        &file,
        "code,description,net_days,discount_pct,discount_days\nN77,Net 77,77,+1,10\n",
    )
    .unwrap();
    let out = depot(
        &dir,
        &[
            "--operator",
            "ADMIN",
            "import",
            "payment-terms",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
}
