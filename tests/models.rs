//! Issue 23's assisted automation on a seeded history: the generator is
//! deterministic, every model beats its baseline on held-out history
//! (figures computed here, none written down), every suggestion carries
//! its reasons, and `depot demo --history` + `depot report models` work
//! from the command line.

use chrono::NaiveDate;
use depot::history::{generate, parse_months, HistorySpec};
use depot::models;
use std::process::Command;

fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date")
}

#[test]
fn months_are_parsed_and_bounded() {
    assert_eq!(parse_months("12m"), Ok(12));
    assert_eq!(parse_months("2y"), Ok(24));
    assert_eq!(parse_months("6"), Ok(6));
    assert!(parse_months("0m").is_err());
    assert!(parse_months("37m").is_err());
    assert!(parse_months("twelve").is_err());
}

#[test]
fn the_history_is_the_same_for_a_seed() {
    let a = generate(HistorySpec::new(2, 5, end())).expect("history");
    let b = generate(HistorySpec::new(2, 5, end())).expect("history");
    let c = generate(HistorySpec::new(2, 6, end())).expect("history");
    assert!(a.orders > 100, "{} orders", a.orders);
    assert_eq!(a.commands.len(), b.commands.len());
    assert!(a.state == b.state, "two runs of one seed differ");
    assert!(a.state != c.state, "two seeds gave the same history");
    // The invariants `depot check` checks hold on the generated store.
    if let Err(v) = depot::core::invariants::check_state(&a.state) {
        panic!("{v:?}");
    }
}

#[test]
fn every_model_beats_its_baseline_on_held_out_history() {
    let h = generate(HistorySpec::new(12, 7, end())).expect("history");
    let e = models::evaluate(&h.state);
    eprintln!(
        "{} orders, {} lines, {} commands: {e:#?}",
        h.orders,
        h.order_lines,
        h.commands.len()
    );
    let f = e.forecast.expect("a forecast measured");
    assert!(f.series > 20 && f.intermittent > 0, "{f:?}");
    assert!(f.model < f.naive, "forecast MASE {f:?}");
    assert!(
        f.model_intermittent < f.naive_intermittent,
        "intermittent {f:?}"
    );
    let l = e.late.expect("late-shipment risk measured");
    assert!(l.test > 100 && l.late > 10, "{l:?}");
    assert!(l.model > l.naive, "late-shipment AUC {l:?}");
    let c = e.collections.expect("collections measured");
    assert!(c.test > c.k && c.late > 0, "{c:?}");
    assert!(c.model > c.baseline, "collections precision at k {c:?}");
    let d = e.discrepancy.expect("discrepancies measured");
    assert!(d.injected > 10, "{d:?}");
    assert!(d.precision > d.naive_precision, "{d:?}");
    assert!(d.recall > d.naive_recall, "{d:?}");

    // Every suggestion carries its reasons, with numbers.
    let last = models::last_day(&h.state).expect("a last day");
    let settled = models::collections::settled_on(&h.state);
    let ranked = models::collections::rank(&h.state, &settled, last, false);
    assert!(!ranked.is_empty());
    for s in &ranked {
        assert!(s.reasons.len() >= 3, "{s:?}");
        assert!(s
            .reasons
            .iter()
            .any(|(_, v)| v.chars().any(|c| c.is_ascii_digit())));
    }
    let risks = models::late::open_risks(&h.state);
    assert!(!risks.is_empty(), "open orders at the end of the history");
    for r in &risks {
        assert_eq!(r.reasons.len(), 3, "{r:?}");
        assert!((0.0..=1.0).contains(&r.p_late));
    }
    // The report shows each model with its baseline.
    let o = depot::report::Options::new(None, last);
    let t = depot::report::build_with("models", &h.state, &o).expect("report");
    assert!(t.rows.len() >= 5, "{t:?}");
    assert!(t.rows.iter().all(|r| r[7] == "yes"), "{}", t.text());
    assert!(
        t.notes.iter().any(|n| n.starts_with("chase ")),
        "{:?}",
        t.notes
    );
}

#[test]
fn demo_history_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("store");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_depot"))
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env_remove("DEPOT_OPERATOR")
            .output()
            .expect("run depot")
    };
    let out = run(&["demo", "--history", "40m"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 to 36 months"));
    let out = run(&[
        "demo",
        "--history",
        "2m",
        "--seed",
        "3",
        "--history-end",
        "2026-06-30",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["report", "models"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("demand forecast"), "{text}");
    // A second history on the same store is refused.
    let out = run(&["demo", "--history", "2m"]);
    assert!(!out.status.success());
}
