//! Classification of incoming files (issue 23): every fixture file of the
//! demo classified as its own kind (the accuracy docs/models.md quotes),
//! bank statements by their tags, the customer or supplier a file names,
//! and from the command line `depot import --classify FILE` and `depot
//! import auto FILE`, which refuses a garbled file with nothing changed.

mod common;

use chrono::NaiveDate;
use common::{depot, text};
use depot::io::classify::{classify, CONFIDENCE_MIN};
use std::path::Path;

fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let mut v: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .map(|p| {
            let kind = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (kind, std::fs::read_to_string(&p).expect("read"))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_demo_file_is_classified_as_its_kind_with_reasons() {
    let s = depot::ui::testing::demo_state(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
    let files = fixtures();
    assert!(files.len() >= 20, "{} fixture files", files.len());
    let mut right = 0;
    for (kind, body) in &files {
        let c = classify(body, &s).unwrap_or_else(|e| panic!("{kind}: {e}"));
        eprintln!(
            "{kind:<18} -> {:<18} {:.2} {:?}",
            c.kind, c.confidence, c.reasons
        );
        if &c.kind == kind && c.confidence >= CONFIDENCE_MIN {
            right += 1;
        }
        assert!(c.reasons.iter().any(|r| r.0 == "header"), "{c:?}");
    }
    eprintln!("accuracy: {right} of {}", files.len());
    assert_eq!(right, files.len(), "every demo file is its own kind");
    // Contracts name their customer; supplier items their supplier.
    let contracts = &files
        .iter()
        .find(|f| f.0 == "contracts")
        .expect("contracts")
        .1;
    let c = classify(contracts, &s).expect("contracts");
    assert_eq!(
        c.party.as_ref().map(|p| p.0.as_str()),
        Some("customer"),
        "{c:?}"
    );
    let items = &files
        .iter()
        .find(|f| f.0 == "supplier-items")
        .expect("supplier items")
        .1;
    let c = classify(items, &s).expect("supplier items");
    assert_eq!(
        c.party.as_ref().map(|p| p.0.as_str()),
        Some("supplier"),
        "{c:?}"
    );
    // A bank statement in MT940, by its tags.
    let mt = ":20:STMT-1\n:25:US01-BANK\n:28C:1/1\n:60F:C261124USD1000,00\n:61:2611251125C150,00NTRFC0001\n:62F:C261125USD1150,00\n";
    let c = classify(mt, &s).expect("mt940");
    assert_eq!(c.kind, "mt940");
    assert!(c.confidence >= CONFIDENCE_MIN, "{c:?}");
}

#[test]
fn import_classify_and_auto_from_the_command_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    assert!(depot(&dir, &["demo"], None).status.success());
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/carriers.csv");
    let f = fixture.to_string_lossy().into_owned();
    let out = depot(&dir, &["import", "--classify", &f], None);
    let o = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(o.contains("kind carriers") && o.contains("header"), "{o}");

    // A garbled file: refused, and the store is as it was.
    let before = text(&depot(&dir, &["report", "stock", "--format", "csv"], None).stdout);
    let garbled = tmp.path().join("garbled.csv");
    std::fs::write(
        &garbled,
        b"\x00\x17PK\x03\x04 ~~ not a file we know\n\x01\x02",
    )
    .expect("write");
    let g = garbled.to_string_lossy().into_owned();
    let out = depot(&dir, &["--operator", "ADMIN", "import", "auto", &g], None);
    assert!(!out.status.success());
    let e = text(&out.stderr);
    assert!(e.contains("nothing was imported"), "{e}");
    // A CSV of no kind: below the confidence, refused by name.
    let odd = tmp.path().join("odd.csv");
    std::fs::write(&odd, "foo,bar,baz\n1,2,3\n").expect("write");
    let out = depot(
        &dir,
        &[
            "--operator",
            "ADMIN",
            "import",
            "auto",
            &odd.to_string_lossy(),
        ],
        None,
    );
    assert!(!out.status.success());
    let e = text(&out.stderr);
    assert!(
        e.contains("confidence") && e.contains("nothing was imported"),
        "{e}"
    );
    let after = text(&depot(&dir, &["report", "stock", "--format", "csv"], None).stdout);
    assert_eq!(before, after);

    // A file it is sure of imports as its kind (a new carrier).
    let new = tmp.path().join("new-carrier.csv");
    std::fs::write(
        &new,
        "code,name,services\nZZT,Test Carrier,GND|Ground|17:00|3\n",
    )
    .expect("write");
    let out = depot(
        &dir,
        &[
            "--operator",
            "ADMIN",
            "import",
            "auto",
            &new.to_string_lossy(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("carriers"),
        "{}",
        text(&out.stdout)
    );
}
