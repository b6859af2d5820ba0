//! Helpers for the tests that drive the real binary (and, in `engine`,
//! for those that drive the engine in process).
#![allow(dead_code)]

pub mod engine;

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Run the binary on the store in `dir` with `input` on its stdin,
/// written from a thread so that a large input cannot deadlock against
/// the output filling its pipe.
pub fn depot(dir: &Path, args: &[&str], input: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_depot"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn depot");
    let mut stdin = child.stdin.take().expect("stdin");
    let text = input.unwrap_or("").to_string();
    // A depot that refuses to open (a damaged store) never reads its
    // input: the broken pipe is not the test's failure, its output is.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(text.as_bytes());
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    out
}

/// Run the binary, which must succeed (else the test fails with its
/// stderr): its stdout.
pub fn depot_ok(dir: &Path, args: &[&str]) -> String {
    depot_ok_with(dir, args, None)
}

/// [`depot_ok`] with `input` on its stdin.
pub fn depot_ok_with(dir: &Path, args: &[&str], input: Option<&str>) -> String {
    let out = depot(dir, args, input);
    assert!(
        out.status.success(),
        "depot {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// US01 trial balance: account -> debit minus credit.
pub fn trial_balance(dir: &Path) -> BTreeMap<String, rust_decimal::Decimal> {
    let out = depot(
        dir,
        &[
            "report",
            "trial-balance",
            "--entity",
            "US01",
            "--format",
            "json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    let dec = |v: &Value| -> rust_decimal::Decimal {
        v.as_str()
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("decimal"))
            .unwrap_or_default()
    };
    rows.iter()
        .filter(|r| r["account"] != "TOTAL")
        .map(|r| {
            (
                r["account"].as_str().unwrap().to_string(),
                dec(&r["debit"]) - dec(&r["credit"]),
            )
        })
        .collect()
}

/// Run `depot exec` over JSON lines; every line must be accepted. Returns
/// the outcome lines.
pub fn exec_all(dir: &Path, steps: &[&str]) -> Vec<Value> {
    let out = depot(dir, &["exec", "-"], Some(&(steps.join("\n") + "\n")));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), steps.len(), "{}", text(&out.stderr));
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["ok"], true, "step {}: {l}", i + 1);
    }
    lines
}
