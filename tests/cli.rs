//! The real binary, as a user drives it: demo + check, exec with valid and
//! invalid commands, kill -9 in the middle of a stream, a second process on
//! a store in use, a malformed import.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn depot(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_depot"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("DEPOT_OPERATOR")
        .output()
        .expect("run depot")
}

fn depot_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_depot"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn depot");
    // Write from a thread: a large input would otherwise deadlock against
    // the outcomes filling the stdout pipe.
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer").expect("write");
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn outcomes(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("outcome is JSON"))
        .collect()
}

fn count_after(report: &str, label: &str) -> u64 {
    let line = report
        .lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no {label:?} in {report}"));
    line.rsplit(':')
        .next()
        .and_then(|n| n.trim().split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line}"))
}

/// `depot check` of `dir` passes: what it printed.
fn checked(dir: &Path) -> String {
    let check = depot(dir, &["check"]);
    assert!(
        check.status.success(),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    text(&check.stdout)
}

#[test]
fn demo_then_check_reports_what_it_verified() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let out = depot(&dir, &["demo"]);
    assert!(out.status.success(), "demo failed: {}", text(&out.stderr));
    let out = depot(&dir, &["check"]);
    let report = text(&out.stdout);
    assert!(
        out.status.success(),
        "check failed: {}{}",
        report,
        text(&out.stderr)
    );
    assert!(report.contains("depot check: OK"), "{report}");
    // `depot report list` (the help's pointer) names every report, and
    // each name it gives is a report.
    let out = depot(&dir, &["report", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let names: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(names.len(), depot::report::REPORTS.len(), "{names:?}");
    assert!(names.iter().any(|n| n == "trial-balance"), "{names:?}");
    let out = depot(&dir, &["report", "no-such-report"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown report"));
    assert!(
        count_after(&report, "log records verified") > 1000,
        "{report}"
    );
    assert!(
        count_after(&report, "journal entries balanced") > 100,
        "{report}"
    );
    assert!(count_after(&report, "snapshots equal") >= 1, "{report}");
    // A second demo into the same directory is refused, not merged.
    let again = depot(&dir, &["demo"]);
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("already holds a store"));
}

#[test]
fn exec_commits_valid_lines_and_refuses_invalid_ones_without_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["init"]).status.success());
    let before = depot(&dir, &["export", "payment-terms"]);
    assert!(before.status.success(), "{}", text(&before.stderr));
    let input = [
        r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"NET30","description":"Net 30","net_days":30}"#,
        r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"NET30","description":"again","net_days":30}"#,
        r#"this is not json"#,
        r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"BAD CODE","description":"x","net_days":30}"#,
        r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"D2","description":"x","net_days":30,"discount_days":10,"discount_pct":"2.123456"}"#,
        r#"{"operator":"NOBODY","cmd":"create_payment_terms","code":"X1","description":"x","net_days":30}"#,
        r#"{"operator":"ADMIN","cmd":"launch_rockets"}"#,
        r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"NET60","description":"Net 60","net_days":60,"key":"k-60"}"#,
        r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"NET60","description":"Net 60","net_days":60,"key":"k-60"}"#,
        r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"NET90","description":"Net 90","net_days":90,"key":"k-60"}"#,
        r#"{"cmd":"create_payment_terms","code":"NET10","description":"Net 10","net_days":10}"#,
    ]
    .join("\n");
    let out = depot_stdin(&dir, &["exec", "-"], &input);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let o = outcomes(&out);
    assert_eq!(o.len(), 11, "one outcome per line: {o:?}");
    let code = |i: usize| o[i]["error"]["code"].as_str().unwrap_or("").to_string();
    assert_eq!(o[0]["ok"], true);
    assert!(o[0]["seq"].as_u64().unwrap() > 0);
    assert_eq!(code(1), "already_exists");
    assert_eq!(code(2), "invalid_json");
    assert_eq!(code(3), "invalid_code");
    assert_eq!(code(4), "too_many_decimals");
    assert_eq!(code(5), "unknown_operator");
    assert_eq!(code(6), "invalid_command");
    assert_eq!(o[7]["ok"], true);
    assert_eq!(o[8]["ok"], true);
    assert_eq!(o[8]["duplicate"], true);
    assert_eq!(
        o[8]["seq"], o[7]["seq"],
        "a repeat returns the first outcome"
    );
    assert_eq!(code(9), "key_conflict");
    assert_eq!(code(10), "no_operator");
    for (i, v) in o.iter().enumerate() {
        assert_eq!(v["line"].as_u64(), Some(i as u64 + 1));
    }
    let after = depot(&dir, &["export", "payment-terms"]);
    let after = text(&after.stdout);
    assert!(
        after.contains("NET30") && after.contains("NET60"),
        "{after}"
    );
    assert!(
        !after.contains("BAD CODE")
            && !after.contains("D2,")
            && !after.contains("NET90")
            && !after.contains("X1")
    );
    assert_eq!(
        after.lines().count(),
        text(&before.stdout).lines().count() + 2
    );
    let check = depot(&dir, &["check"]);
    assert!(check.status.success(), "{}", text(&check.stderr));
}

#[test]
fn exec_names_the_field_of_a_malformed_decimal_or_date() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["init"]).status.success());
    let before = text(&depot(&dir, &["export", "events"]).stdout);
    let lines = [
        r#"{"operator":"ADMIN","cmd":"adjust_stock","warehouse":"CHI","bin":"A-01","sku":"FAS-1000","qty":"1.2.3","reason":"found"}"#,
        r#"{"operator":"ADMIN","cmd":"post_opening_stock","warehouse":"CHI","bin":"A-01","sku":"FAS-1000","qty":"1","unit_cost":"2","date":"2026-13-01"}"#,
        r#"{"operator":"ADMIN","cmd":"place_order","customer":"C1","lines":[{"sku":"A","qty":"1","warehouse":"CHI"},{"sku":"B","qty":"2..5","warehouse":"CHI"}],"requested":"2026-01-01"}"#,
        r#"{"operator":"ADMIN","cmd":"set_list_price","price_list":"LIST","sku":"A","price":"9.9.9"}"#,
        r#"{"cmd":"post_opening_stock","operator":"ADMIN","date":"2026-02-30","warehouse":"CHI","bin":"A-01","sku":"FAS-1000","qty":"1","unit_cost":"2"}"#,
    ];
    let out = depot_stdin(&dir, &["exec", "-"], &lines.join("\n"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let o = outcomes(&out);
    assert_eq!(o.len(), lines.len(), "{o:?}");
    let said = |i: usize| {
        assert_eq!(o[i]["error"]["code"], "invalid_command", "{}", o[i]);
        o[i]["error"]["message"].as_str().unwrap_or("").to_string()
    };
    for (i, field) in [
        (0, r#"qty "1.2.3""#),
        (1, r#"date "2026-13-01""#),
        (2, r#"lines[1].qty "2..5""#),
        (3, r#"price "9.9.9""#),
        (4, r#"date "2026-02-30""#),
    ] {
        let m = said(i);
        assert!(m.starts_with(field), "line {}: {m}", i + 1);
    }
    assert_eq!(before, text(&depot(&dir, &["export", "events"]).stdout));
}

#[test]
fn a_second_process_gets_a_clear_error_naming_the_holder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["init"]).status.success());
    let mut holder = Command::new(env!("CARGO_BIN_EXE_depot"))
        .arg("--data-dir")
        .arg(&dir)
        .args(["exec", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the holder has the store open: it answers a command.
    let mut stdin = holder.stdin.take().unwrap();
    writeln!(stdin, r#"{{"operator":"ADMIN","cmd":"create_payment_terms","code":"N1","description":"n","net_days":1}}"#).unwrap();
    let mut line = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("\"ok\":true"), "{line}");
    let second = depot(&dir, &["check"]);
    let err = text(&second.stderr);
    assert!(!second.status.success());
    assert!(
        err.contains("in use") && err.contains(&holder.id().to_string()),
        "{err}"
    );
    assert!(err.contains("depot serve"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    drop(stdin);
    assert!(holder.wait().unwrap().success());
}

#[test]
fn malformed_import_names_the_line_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["init"]).status.success());
    let before = text(&depot(&dir, &["export", "events"]).stdout);
    let bad = tmp.path().join("terms.csv");
    std::fs::write(&bad, "code,description,net_days,discount_days,discount_pct\nNET30,Net 30,30,0,0\nNET45,Net 45,forty-five,0,0\n").unwrap();
    let out = depot(
        &dir,
        &[
            "--operator",
            "ADMIN",
            "import",
            "payment-terms",
            bad.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains('3') && err.contains("net_days"),
        "names line 3 and the column: {err}"
    );
    // A file that parses but holds a row the core refuses: nothing of it lands.
    std::fs::write(&bad, "code,description,net_days,discount_days,discount_pct\nNET30,Net 30,30,0,0\nNET45,Net 45,45,50,0\n").unwrap();
    let out = depot(
        &dir,
        &[
            "--operator",
            "ADMIN",
            "import",
            "payment-terms",
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("nothing was imported"));
    let after = text(&depot(&dir, &["export", "events"]).stdout);
    assert_eq!(before, after, "the log is unchanged");
}

#[test]
fn import_without_an_operator_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["init"]).status.success());
    let before = text(&depot(&dir, &["export", "events"]).stdout);
    let file = tmp.path().join("terms.csv");
    std::fs::write(&file, "code,description,net_days\nN30,Net 30,30\n").unwrap();
    let f = file.to_str().unwrap();
    for args in [
        vec!["import", "payment-terms", f],
        vec!["import", "auto", f],
    ] {
        let out = depot(&dir, &args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("--operator") && err.contains("nothing was imported"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(before, text(&depot(&dir, &["export", "events"]).stdout));
    // Saying what a file is imports nothing: no operator needed.
    let out = depot(&dir, &["import", "--classify", f]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = depot(&dir, &["--operator", "ADMIN", "import", "payment-terms", f]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn print_without_a_known_operator_is_refused_prints_nothing_and_records_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["demo"]).status.success());
    let before = text(&depot(&dir, &["export", "events"]).stdout);
    let file = tmp.path().join("st.txt");
    let f = file.to_str().unwrap();
    let print = [
        "print",
        "statement",
        "C0001",
        "--format",
        "text",
        "--out",
        f,
    ];
    // No --operator: not the demo admin by default.
    let out = depot(&dir, &print);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("depot print needs --operator") && err.contains("nothing was printed"),
        "{err}"
    );
    // An operator the store does not know: refused as the core would.
    let args: Vec<&str> = ["--operator", "NOBODY"]
        .iter()
        .chain(&print)
        .copied()
        .collect();
    let out = depot(&dir, &args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("operator NOBODY is not known") && err.contains("nothing was printed"),
        "{err}"
    );
    assert!(!file.exists(), "nothing was printed");
    assert_eq!(before, text(&depot(&dir, &["export", "events"]).stdout));
    // The operator named: printed, and recorded as theirs.
    let args: Vec<&str> = ["--operator", "ADMIN"]
        .iter()
        .chain(&print)
        .copied()
        .collect();
    let out = depot(&dir, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(file.exists());
    let after = text(&depot(&dir, &["export", "events"]).stdout);
    let last = after.lines().last().unwrap();
    assert!(
        last.contains("document_printed") && last.contains("\"ADMIN\""),
        "{last}"
    );
}

#[test]
fn kill_9_loses_no_acknowledged_command() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["init"]).status.success());
    let mut acked: Vec<String> = Vec::new();
    let mut sent_total = 0usize;
    for round in 0..4u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_depot"))
            .arg("--data-dir")
            .arg(&dir)
            .args(["exec", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let mut sent = 0;
            for i in 0..100_000u64 {
                let line = format!(
                    r#"{{"operator":"ADMIN","key":"r{round}-{i}","cmd":"create_payment_terms","code":"R{round}-{i}","description":"round {round}","net_days":30}}"#
                );
                if writeln!(stdin, "{line}").is_err() {
                    break;
                }
                sent += 1;
            }
            sent
        });
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let stop_after = 200 + (round as usize * 397) % 900;
        let mut line = String::new();
        let mut seen = 0;
        while seen < stop_after {
            line.clear();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            let v: Value = serde_json::from_str(&line).unwrap();
            assert_eq!(v["ok"], true, "{line}");
            acked.push(v["key"].as_str().unwrap().to_string());
            seen += 1;
        }
        // SIGKILL in the middle of the stream.
        child.kill().unwrap();
        let _ = child.wait();
        sent_total += writer.join().unwrap();
        assert!(seen == stop_after, "round {round}: only {seen} answers");
    }
    assert!(sent_total > acked.len());
    let check = depot(&dir, &["check"]);
    assert!(
        check.status.success(),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    // Every acknowledged command is in the store: replaying it is a duplicate.
    let replay: String = acked
        .iter()
        .map(|k| {
            let (round, i) = k[1..].split_once('-').unwrap();
            format!(
                r#"{{"operator":"ADMIN","key":"{k}","cmd":"create_payment_terms","code":"R{round}-{i}","description":"round {round}","net_days":30}}"#
            ) + "\n"
        })
        .collect();
    let out = depot_stdin(&dir, &["exec", "-"], &replay);
    for v in outcomes(&out) {
        assert_eq!(v["duplicate"], true, "acknowledged but lost: {v}");
    }
}

#[test]
fn exec_sets_a_posting_rule_by_posting_key_as_key_is_the_idempotency_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["init"]).status.success());
    let input = [
        r#"{"operator":"ADMIN","cmd":"create_entity","code":"X01","name":"New Co","base_currency":"USD","tax_jurisdiction":"US-IL"}"#,
        r#"{"operator":"ADMIN","cmd":"create_account","entity":"X01","code":"1000","name":"Bank","kind":"asset"}"#,
        r#"{"operator":"ADMIN","cmd":"set_posting_rule","entity":"X01","posting_key":"bank","account":"1000","key":"rule-1"}"#,
        r#"{"operator":"ADMIN","cmd":"set_posting_rule","entity":"X01","posting_key":"bank","account":"1000","key":"rule-1"}"#,
    ]
    .join("\n");
    let out = depot_stdin(&dir, &["exec", "-"], &input);
    let o = outcomes(&out);
    assert_eq!(o.len(), 4, "{}", text(&out.stderr));
    assert!(o.iter().all(|v| v["ok"] == true), "{o:?}");
    assert_eq!(o[3]["duplicate"], true);
    let rules = text(&depot(&dir, &["export", "posting-rules"]).stdout);
    assert!(rules.contains("X01,bank,1000"), "{rules}");
}

#[test]
fn a_refused_statement_line_is_named_by_its_line_column_and_value_in_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["demo"]).status.success());
    let today = chrono::Utc::now().date_naive();
    let csv = tmp.path().join("statement.csv");
    let import = |rows: &[String]| {
        let mut t = "entity,statement,date,amount,reference,description\n".to_string();
        for r in rows {
            t += r;
            t += "\n";
        }
        std::fs::write(&csv, t).unwrap();
        depot(
            &dir,
            &[
                "--operator",
                "AR1",
                "import",
                "bank-statement",
                csv.to_str().unwrap(),
            ],
        )
    };
    let row = |date: &str, amount: &str| format!("US01,ST-9,{date},{amount},,x");
    let t = today.to_string();
    let before = text(&depot(&dir, &["export", "events"]).stdout);
    // Lines 2-5; line 5 has three decimals, money out.
    let out = import(&[
        row(&t, "100.00"),
        row(&t, "20.00"),
        row(&t, "-5.00"),
        row(&t, "-8.125"),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("line 5, column amount") && err.contains("-8.125"),
        "{err}"
    );
    assert!(!err.contains("line 2") && !err.contains("lines["), "{err}");
    // A future date on line 4.
    let later = (today + chrono::Duration::days(30)).to_string();
    let out = import(&[
        row(&t, "100.00"),
        row(&t, "20.00"),
        row(&later, "-5.00"),
        row(&t, "-8.12"),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("line 4, column date") && err.contains("in the future"),
        "{err}"
    );
    assert_eq!(before, text(&depot(&dir, &["export", "events"]).stdout));
}

#[test]
fn bank_statement_import_matches_what_it_can_and_shows_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["demo"]).status.success());
    let pay = |customer: &str, amount: &str, reference: &str| {
        format!(
            r#"{{"operator":"AR1","cmd":"receive_payment","customer":"{customer}","method":"cheque","amount":"{amount}","reference":"{reference}","apply":[]}}"#
        )
    };
    let steps = [
        pay("C0002", "300.00", "CHQ 11"),
        pay("C0003", "150.00", "CHQ 12"),
        pay("C0004", "150.00", "CHQ 13"),
    ];
    let out = depot_stdin(&dir, &["exec", "-"], &(steps.join("\n") + "\n"));
    assert!(
        outcomes(&out).iter().all(|o| o["ok"] == true),
        "{}",
        text(&out.stdout)
    );
    let today = chrono::Utc::now().date_naive();
    let csv = tmp.path().join("statement.csv");
    // A garbled amount: the line is named and nothing is imported.
    std::fs::write(
        &csv,
        format!("entity,statement,date,amount,reference,description\nUS01,ST-1,{today},300.00,,deposit\nUS01,ST-1,{today},15O.00,,deposit\n"),
    )
    .unwrap();
    let before = text(&depot(&dir, &["export", "events"]).stdout);
    let out = depot(
        &dir,
        &[
            "--operator",
            "AR1",
            "import",
            "bank-statement",
            csv.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("line 3") && err.contains("amount"), "{err}");
    assert_eq!(before, text(&depot(&dir, &["export", "events"]).stdout));

    std::fs::write(
        &csv,
        format!("entity,statement,date,amount,reference,description\nUS01,ST-1,{today},300.00,,deposit\nUS01,ST-1,{today},150.00,,deposit\n"),
    )
    .unwrap();
    let import = || {
        depot(
            &dir,
            &[
                "--operator",
                "AR1",
                "import",
                "bank-statement",
                csv.to_str().unwrap(),
            ],
        )
    };
    let out = import();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The same statement again is refused.
    let out = import();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("US01/ST-1"),
        "{}",
        text(&out.stderr)
    );

    let out = depot_stdin(
        &dir,
        &["exec", "-"],
        "{\"operator\":\"AR1\",\"cmd\":\"auto_match_bank\",\"entity\":\"US01\"}\n",
    );
    let o = outcomes(&out);
    assert_eq!(o[0]["ok"], true, "{}", text(&out.stdout));
    let out = depot(
        &dir,
        &["report", "bank-rec", "--entity", "US01", "--format", "json"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let of = |what: &str| -> Vec<&Value> { rows.iter().filter(|r| r["what"] == what).collect() };
    // 300.00 matched; 150.00 could be either cheque: left, and said why.
    let unmatched = of("statement line unmatched");
    assert_eq!(unmatched.len(), 1, "{rows:#?}");
    assert_eq!(unmatched[0]["amount"], "150.00");
    assert!(unmatched[0]["note"]
        .as_str()
        .unwrap()
        .starts_with("ambiguous: 2"));
    let outstanding = of("book item outstanding");
    let refs: Vec<&str> = outstanding
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["CHQ 12", "CHQ 13"], "{rows:#?}");
    // The books hold the three cheques (600.00); less the two the bank has
    // not matched (300.00), plus its unmatched line (150.00): 450.00, what
    // the statement's own lines add up to.
    let amount = |what: &str| -> rust_decimal::Decimal {
        of(what)[0]["amount"].as_str().unwrap().parse().unwrap()
    };
    let d = |s: &str| -> rust_decimal::Decimal { s.parse().unwrap() };
    assert_eq!(amount("book balance"), d("600.00"));
    assert_eq!(amount("less book items outstanding"), d("-300.00"));
    assert_eq!(amount("plus statement lines unmatched"), d("150.00"));
    assert_eq!(amount("statement balance implied"), d("450.00"));
    let check = depot(&dir, &["check"]);
    assert!(check.status.success(), "{}", text(&check.stdout));
}

#[test]
fn a_large_demo_is_history_through_the_engine_and_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let out = depot(
        &dir,
        &[
            "demo",
            "--scale",
            "large",
            "--items",
            "300",
            "--customers",
            "40",
            "--order-lines",
            "1000",
            "--submitters",
            "4",
            "--archive-after",
            "never",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("200 orders, 1000 order lines"),
        "{}",
        text(&out.stdout)
    );
    let report = checked(&dir);
    // 200 orders of history, one of the key account, ten on credit hold.
    assert_eq!(count_after(&report, "orders whose lines hold"), 211);
    // 528 demo items and 300 generated; 162 demo customers (two walk-in),
    // 40 generated, the key account and one customer on hold.
    assert!(report.contains("828 / 204 /"), "{report}");
    assert!(
        text(&out.stdout).contains("1 open invoices of GKEY, 10 orders on credit hold"),
        "{}",
        text(&out.stdout)
    );
    // The held orders are open exceptions of the queue.
    let out2 = depot(&dir, &["report", "exceptions", "--format", "csv"]);
    let held = text(&out2.stdout)
        .lines()
        .filter(|l| l.contains(",credit_hold,") && l.contains(",open,"))
        .count();
    assert!(held >= 10, "{}", text(&out2.stdout));
    // One invoice in ten is left open, and ages.
    let out = depot(&dir, &["report", "aging-ar", "--format", "csv"]);
    let csv = text(&out.stdout);
    let total = csv.lines().last().unwrap_or_default();
    assert!(total.starts_with("TOTAL,"), "{csv}");
    assert!(!total.ends_with(",0.00"), "{csv}");
    // A large store is refused over an existing one.
    let again = depot(&dir, &["demo", "--scale", "large", "--items", "1"]);
    assert!(!again.status.success());
    // The sizes go with --scale large only.
    let other = tmp.path().join("e");
    let out = depot(&other, &["demo", "--items", "10"]);
    assert!(!out.status.success());
}

/// A history of ten years at a small scale: the closed orders leave memory
/// as the clock passes them, the oldest is read back from the archive, and
/// what stays open is the last year's.
#[test]
fn a_large_demo_of_years_archives_as_it_goes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let args = [
        "demo",
        "--scale",
        "large",
        "--items",
        "200",
        "--customers",
        "30",
        "--order-lines",
        "3000",
        "--submitters",
        "3",
        "--days",
        "3600",
    ];
    let out = depot(&dir, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("600 orders (3000 order lines"), "{said}");
    assert!(said.contains("over 3600 days"), "{said}");
    let archived: u64 = said
        .lines()
        .flat_map(|l| l.split("; "))
        .find_map(|p| p.strip_suffix(" orders archived as it went"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no archived count in {said}"));
    // Orders placed more than 90 days before the end and paid: all but the
    // last 90 days' (15 of 600) and the last year's unpaid tenth (6).
    assert!(
        (560..=590).contains(&archived),
        "{archived} archived: {said}"
    );
    let report = checked(&dir);
    assert!(count_after(&report, "archived documents = their records") >= archived * 5);
    // 600 orders of history, 3 of the key account, 30 on credit hold: the
    // archived ones are not in memory.
    let held = count_after(&report, "orders whose lines hold");
    assert_eq!(held, 600 + 3 + 30 - archived, "{report}");
    // The oldest order, from the archive: placed ten years ago.
    let show = depot(&dir, &["archive", "--show", "SO-000001"]);
    assert!(show.status.success(), "{}", text(&show.stderr));
    let docs: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    let date: chrono::NaiveDate = docs[0]["order"]["order"]["date"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no date in {docs}"));
    let age = chrono::Utc::now().date_naive() - date;
    assert!((3500..=3601).contains(&age.num_days()), "{date}");
    // The bank was reconciled month by month and the reconciled months'
    // lines left memory: the first is read back from the archive with
    // the book item it cleared, and what stays outstanding is the last
    // months' (the receipts of the 90 days not archived yet, at most).
    let reconciled: u64 = said
        .lines()
        .flat_map(|l| l.split("; "))
        .find_map(|p| p.strip_suffix(" bank statement lines reconciled month by month"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no reconciled count in {said}"));
    assert!(reconciled >= 500, "{said}");
    let show = depot(&dir, &["archive", "--show", "BL-000001"]);
    assert!(show.status.success(), "{}", text(&show.stderr));
    let docs: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(docs[0]["bank_line"]["id"], "BL-000001", "{docs}");
    assert_eq!(docs[1]["book_item"]["cleared_by"], "BL-000001", "{docs}");
    let rec = depot(&dir, &["report", "bank-rec", "--format", "csv"]);
    assert!(rec.status.success(), "{}", text(&rec.stderr));
    let outstanding = text(&rec.stdout)
        .lines()
        .filter(|l| l.contains("book item outstanding"))
        .count();
    assert!((1..=30).contains(&outstanding), "{}", text(&rec.stdout));
    // AR aging answers over what stayed open.
    let aging = depot(&dir, &["report", "aging-ar", "--format", "csv"]);
    assert!(aging.status.success(), "{}", text(&aging.stderr));
    let bad = depot(&dir, &["demo", "--days", "10"]);
    assert!(!bad.status.success());
    // A history longer than chrono's calendar: refused, not a panic.
    let bad = depot(
        &tmp.path().join("f"),
        &[
            "demo",
            "--scale",
            "large",
            "--order-lines",
            "18446744073709551615",
        ],
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("at most 36500"),
        "{}",
        text(&bad.stderr)
    );
    let bad = depot(
        &tmp.path().join("e"),
        &["demo", "--scale", "large", "--archive-after", "soon"],
    );
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("never"), "{}", text(&bad.stderr));
}

#[test]
fn the_demo_with_activity_is_a_business_in_motion() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let out = depot(&dir, &["demo", "--activity"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let check = depot(&dir, &["check"]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    let report = |name: &str| {
        let out = depot(&dir, &["report", name, "--format", "csv"]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    // Orders held on credit, backordered, reserved; quotes are not open orders.
    let orders = report("open-orders");
    assert!(orders.contains("credit hold"), "{orders}");
    // Each value with its currency (the demo sells in USD and CAD).
    assert!(
        orders
            .lines()
            .next()
            .unwrap_or_default()
            .contains(",value,currency,"),
        "{orders}"
    );
    assert!(
        orders
            .lines()
            .skip(1)
            .all(|l| l.contains(",USD,") || l.contains(",CAD,")),
        "{orders}"
    );
    let backorders = report("backorders");
    assert!(backorders.lines().count() >= 2, "{backorders}");
    // Open invoices in at least four aging buckets.
    let aging = report("aging-ar");
    let total = aging
        .lines()
        .find(|l| l.starts_with("TOTAL"))
        .unwrap_or_default();
    let nonzero = total
        .split(',')
        .filter_map(|c| c.parse::<rust_decimal::Decimal>().ok())
        .filter(|v| *v > rust_decimal::Decimal::ZERO)
        .count();
    assert!(nonzero >= 5, "four buckets and the total: {total}");
    // A late purchase order and one still due.
    let pos = report("open-pos");
    assert!(pos.contains("late"), "{pos}");
    assert!(pos.lines().count() >= 3, "{pos}");
}

#[test]
fn a_supervisor_resets_and_unlocks_by_command_line_and_the_trail_holds_no_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    assert!(depot(&dir, &["demo"]).status.success());
    // A reset as ADMIN (global --operator): the clerk must change it.
    let o = depot_stdin(&dir, &["--operator", "ADMIN", "passwd", "CLERK1"], "9999\n");
    assert!(o.status.success(), "{}", text(&o.stderr));
    // Locked by five failures, unlocked by an exec line (its own `code`).
    let fail = r#"{"operator":"CLERK1","cmd":"sign_in","verified":false}"#;
    let five = [fail; 5].join("\n");
    let o = depot_stdin(&dir, &["exec", "-"], &five);
    assert!(
        text(&o.stdout).contains("locked_until\":\"20"),
        "{}",
        text(&o.stdout)
    );
    let o = depot_stdin(
        &dir,
        &["exec", "-"],
        r#"{"operator":"CLERK1","cmd":"sign_in","verified":true}"#,
    );
    assert!(
        text(&o.stdout).contains("sign_in_locked"),
        "{}",
        text(&o.stdout)
    );
    let o = depot_stdin(
        &dir,
        &["--operator", "ADMIN", "exec", "-"],
        r#"{"cmd":"unlock_operator","code":"CLERK1"}"#,
    );
    assert!(
        text(&o.stdout).contains("operator_unlocked"),
        "{}",
        text(&o.stdout)
    );
    let o = depot(&dir, &["--operator", "ADMIN", "unlock", "CLERK1"]);
    assert!(!o.status.success(), "nothing left to unlock");
    // The export names who set it and that it must change, not the hash.
    let o = depot(&dir, &["export", "events"]);
    let events = text(&o.stdout);
    let set = events
        .lines()
        .find(|l| l.contains("password_set"))
        .expect("the reset is in the trail");
    assert!(
        set.contains("\"set_by\":\"ADMIN\"") && set.contains("\"must_change\":true"),
        "{set}"
    );
    assert!(!events.contains("$argon2"), "no hash leaves the store");
    // A reader that stops early is not a crash.
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} --data-dir {} report stock | head -1",
            env!("CARGO_BIN_EXE_depot"),
            dir.display()
        ))
        .output()
        .unwrap();
    assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));
}

#[test]
fn report_audit_shows_before_and_after_and_its_filters_filter() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let out = depot(&dir, &["demo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A supplier's lead time changed by the buyer, a payment term by the admin.
    let input = [
        r#"{"operator":"BUY1","cmd":"update_supplier","code":"V001","name":"Fastenal Wholesale","entity":"US01","currency":"USD","terms":"NET30","lead_time_days":9}"#,
        r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"NET75","description":"Net 75","net_days":75}"#,
    ]
    .join("\n");
    let out = depot_stdin(&dir, &["exec", "-"], &input);
    let o = outcomes(&out);
    assert_eq!(o[0]["ok"], true, "{o:?}");
    assert_eq!(o[1]["ok"], true, "{o:?}");
    let report = |args: &[&str]| {
        let mut all = vec!["report", "audit", "--format", "csv"];
        all.extend_from_slice(args);
        let out = depot(&dir, &all);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    // The buyer's change: lead time 3 before, 9 after, under its operator.
    let by_doc = report(&["--doc", "V001"]);
    let line = by_doc
        .lines()
        .find(|l| l.contains("supplier V001") && l.contains(",lead_time_days,"))
        .unwrap_or_else(|| panic!("no lead time change in {by_doc}"));
    assert!(line.contains("BUY1"), "{line}");
    assert!(line.ends_with(",lead_time_days,3,9"), "{line}");
    // The document filter keeps only records naming V001.
    assert!(!by_doc.contains("NET75"), "{by_doc}");
    // The operator filter: each operator's records, nobody else's.
    let by_buyer = report(&["--who", "buy1"]);
    assert!(by_buyer.contains("update_supplier"), "{by_buyer}");
    assert!(!by_buyer.contains("create_payment_terms"), "{by_buyer}");
    let by_admin = report(&["--who", "ADMIN"]);
    assert!(by_admin.contains("payment terms NET75"), "{by_admin}");
    assert!(!by_admin.contains(",BUY1,"), "{by_admin}");
    // A time range before everything holds nothing; no session is "nope".
    let old = report(&["--to", "2000-01-01"]);
    assert_eq!(old.lines().count(), 1, "only the header: {old}");
    let none = report(&["--session", "nope"]);
    assert_eq!(none.lines().count(), 1, "only the header: {none}");
}

/// A reader that goes away (`depot export events | head`) ends the export
/// quietly with success: it printed "depot: Broken pipe (os error 32)"
/// and exited 1.
#[test]
fn an_export_whose_reader_goes_away_ends_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["demo"]).status.success());
    for kind in ["events", "items"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_depot"))
            .arg("--data-dir")
            .arg(&dir)
            .args(["export", kind])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{kind}");
        // The reader is dropped here, as `head -1` exits.
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{kind}: {:?} {err}", out.status);
        assert!(!err.contains("Broken pipe"), "{kind}: {err}");
    }
}

/// An invoice's trail shows the receipt that paid it (the receipt names
/// the invoices it was applied to two levels down, which the audit did
/// not read: `--doc IN-…` missed the payment).
#[test]
fn report_audit_of_an_invoice_shows_the_receipt_that_paid_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    assert!(depot(&dir, &["demo"]).status.success());
    let sale = r#"{"operator":"CLERK1","cmd":"counter_sale","customer":"C0002","warehouse":"CHI","lines":[{"sku":"FAS-1001","qty":"1"}]}"#;
    let o = outcomes(&depot_stdin(&dir, &["exec", "-"], sale));
    assert_eq!(o[0]["ok"], true, "{o:?}");
    let invoice = o[0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e["invoiced"]["invoice"]["number"].as_str())
        .unwrap_or_else(|| panic!("an invoice: {o:?}"))
        .to_string();
    let total = o[0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e["invoiced"]["invoice"]["total"].as_str())
        .unwrap()
        .to_string();
    let pay = format!(
        r#"{{"operator":"AR1","cmd":"receive_payment","customer":"C0002","method":"cheque","amount":"{total}","reference":"CHQ 9","apply":[{{"invoice":"{invoice}","amount":"{total}"}}]}}"#
    );
    let o = outcomes(&depot_stdin(&dir, &["exec", "-"], &pay));
    assert_eq!(o[0]["ok"], true, "{o:?}");
    let out = depot(
        &dir,
        &["report", "audit", "--format", "csv", "--doc", &invoice],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let trail = text(&out.stdout);
    assert!(trail.contains("counter_sale"), "{trail}");
    assert!(
        trail
            .lines()
            .any(|l| l.contains("receive_payment") && l.contains("RC-")),
        "the receipt that paid {invoice}: {trail}"
    );
}
