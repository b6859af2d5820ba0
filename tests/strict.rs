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

fn init(tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("d");
    let out = depot(&dir, &["init"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir
}

fn answers(out: &std::process::Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect()
}

const TERMS: &str = r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"N45","description":"Net 45","net_days":45}"#;

#[test]
fn session_and_operator_are_bounded_and_checked() {
    for (session, ok) in [
        (r#""tty3""#, true),
        (r#"null"#, true),
        (r#"7"#, false),
        (r#"{"a":1}"#, false),
        (r#""""#, false),
        (r#""tty\u0007""#, false),
        (r#""a\nb""#, false),
    ] {
        let line = TERMS.replace(r#""cmd""#, &format!(r#""session":{session},"cmd""#));
        match parse(&line) {
            Ok(_) => assert!(ok, "session {session} accepted"),
            Err((code, msg)) => {
                assert!(!ok, "session {session} refused: {msg}");
                assert_eq!(code, "invalid_command");
                assert!(msg.contains("session"), "{msg}");
            }
        }
    }
    let long = format!(r#""{}""#, "s".repeat(500_000));
    refused(
        &TERMS.replace(r#""cmd""#, &format!(r#""session":{long},"cmd""#)),
        "invalid_command",
        "session",
    );
    // An operator is a code: 100 KB of it is refused at the edge.
    let big = "O".repeat(100_000);
    let line = TERMS.replace(r#""ADMIN""#, &format!(r#""{big}""#));
    match parse_exec_line(&line.replacen('{', r#"{"key":"k","#, 1), None) {
        Ok(_) => panic!("a 100 KB operator accepted"),
        Err((key, code, msg)) => {
            assert_eq!(code, "invalid_command");
            assert_eq!(key.as_deref(), Some("k"));
            assert!(msg.contains("operator") && msg.len() < 300, "{msg}");
        }
    }
}

#[test]
fn a_key_is_measured_in_characters_a_bom_is_accepted_a_long_line_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init(tmp.path());
    let keyed = |key: &str, code: &str| {
        TERMS
            .replace("N45", code)
            .replacen('{', &format!(r#"{{"key":"{key}","#), 1)
    };
    let input = [
        // A BOM before the first line, as some editors save.
        format!("\u{feff}{}", TERMS),
        // 128 characters, 256 bytes: accepted.
        keyed(&"é".repeat(128), "K128"),
        // 129 characters: refused.
        keyed(&"é".repeat(129), "K129"),
        // 2 MiB without a newline before the next line's end: refused alone.
        format!("{}{}", " ".repeat(2 << 20), TERMS.replace("N45", "LONG")),
        TERMS.replace("N45", "AFTER"),
    ]
    .join("\n");
    let out = depot(&dir, &["exec", "-"], Some(&(input + "\n")));
    let a = answers(&out);
    assert_eq!(a.len(), 5, "{}", text(&out.stderr));
    assert_eq!(a[0]["ok"], true, "BOM: {}", a[0]);
    assert_eq!(a[1]["ok"], true, "128 characters: {}", a[1]);
    assert_eq!(a[2]["error"]["code"], "invalid_key", "{}", a[2]);
    assert_eq!(a[3]["error"]["code"], "line_too_long", "{}", a[3]);
    assert_eq!(a[3]["line"], 4);
    assert_eq!(a[4]["ok"], true, "{}", a[4]);
    assert_eq!(a[4]["line"], 5);
}

#[test]
fn an_import_refuses_a_code_twice_and_names_a_bad_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init(tmp.path());
    let before = text(&depot(&dir, &["export", "events"], None).stdout);
    let file = tmp.path().join("terms.csv");
    let import = || {
        depot(
            &dir,
            &[
                "--operator",
                "ADMIN",
                "import",
                "payment-terms",
                file.to_str().unwrap(),
            ],
            None,
        )
    };
    std::fs::write(
        &file,
        "code,description,net_days\nN30,Net 30,30\nN60,Net 60,60\nN30,Net thirty,31\n",
    )
    .unwrap();
    let out = import();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("line 4") && err.contains("line 2"), "{err}");
    // A Latin-1 byte on line 3, column 8.
    let mut bytes = b"code,description,net_days\nN30,Net 30,30\nN60,Net \xe960,60\n".to_vec();
    std::fs::write(&file, &bytes).unwrap();
    let out = import();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("line 3, column 9") && err.contains("0xe9"),
        "{err}"
    );
    bytes.clear();
    assert_eq!(
        text(&depot(&dir, &["export", "events"], None).stdout),
        before,
        "nothing was imported"
    );
}

#[test]
fn a_store_whose_lock_file_was_deleted_is_in_use_not_damaged() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let tmp = tempfile::tempdir().unwrap();
    let dir = init(tmp.path());
    let mut holder = Command::new(env!("CARGO_BIN_EXE_depot"))
        .arg("--data-dir")
        .arg(&dir)
        .args(["exec", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = holder.stdin.take().unwrap();
    writeln!(stdin, "{TERMS}").unwrap();
    let mut line = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("\"ok\":true"), "{line}");
    std::fs::remove_file(dir.join("LOCK")).unwrap();
    let second = depot(&dir, &["check"], None);
    let err = text(&second.stderr);
    assert!(!second.status.success());
    assert!(err.contains("in use"), "{err}");
    assert!(!err.contains("damaged"), "{err}");
    drop(stdin);
    assert!(holder.wait().unwrap().success());
}

#[test]
fn a_short_reason_is_one_of_the_known_ones() {
    let pick = r#"{"operator":"PICK1","cmd":"confirm_pick","list":"PK-000001","line":1,"bin":"B-03-03","item":"FAS-1001","qty":"10","short":true,"reason":"damaged"}"#;
    assert_eq!(parse(pick), Ok("confirm_pick"));
    refused(
        &pick.replace(r#""damaged""#, r#""stolen""#),
        "invalid_command",
        "stolen",
    );
}

/// The commands about an exception computed on the clock name it by
/// `exception`: an `exec` line's `key` is its idempotency key, so a
/// command naming the episode by `key` could not be sent at all ("key
/// must be a string"). Both now travel on one line.
#[test]
fn a_clock_exception_is_named_beside_an_idempotency_key() {
    let line = r#"{"key":"note-1","operator":"SUP1","cmd":"comment_clock_exception","exception":{"late_risk":{"order":"SO-000001","requested":"2026-11-25"}},"text":"booked FedEx"}"#;
    let sub = parse_exec_line(line, None).unwrap_or_else(|(_, c, m)| panic!("{c}: {m}"));
    assert_eq!(sub.key.as_deref(), Some("note-1"));
    match sub.body {
        depot::core::CommandBody::CommentClockException { key, text } => {
            assert_eq!(text, "booked FedEx");
            assert!(
                matches!(key, depot::core::exceptions::ClockKey::LateRisk { ref order, .. } if order == "SO-000001")
            );
        }
        other => panic!("parsed as {}", other.name()),
    }
    // An exec line's `key` is never the episode: an object there is
    // still refused as a key, naming it.
    refused(
        &line
            .replace(r#""key":"note-1","#, "")
            .replace(r#""exception":"#, r#""key":"#),
        "invalid_key",
        "key",
    );
}
