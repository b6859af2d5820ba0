//! A flipped byte in the store: `depot check` names the record and exits
//! non-zero, `depot` refuses to open with the same message, nothing panics.

use depot::store::codec::{FRAME_HEADER_LEN, MAGIC};
use std::path::Path;
use std::process::Output;

mod common;
use common::{depot, text};

/// A store of a few hundred small records, cleanly shut down.
fn store(dir: &Path) {
    assert!(depot(dir, &["init"], None).status.success());
    let lines: String = (0..300)
        .map(|i| {
            format!(r#"{{"operator":"ADMIN","cmd":"create_payment_terms","code":"T{i}","description":"terms number {i}","net_days":{}}}"#, i % 90) + "\n"
        })
        .collect();
    let out = depot(dir, &["exec", "-"], Some(&lines));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Offsets of the frames of record `seq` in the raw sled file.
fn frames_of(bytes: &[u8], seq: u64) -> Vec<usize> {
    bytes
        .windows(MAGIC.len())
        .enumerate()
        .filter(|(_, w)| *w == MAGIC)
        .map(|(o, _)| o)
        .filter(|o| {
            bytes
                .get(o + 4..o + 12)
                .map(|s| u64::from_be_bytes(s.try_into().unwrap()))
                == Some(seq)
        })
        .collect()
}

fn assert_no_panic(out: &Output) {
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(!all.contains("panicked"), "a panic escaped: {all}");
    assert!(!out.status.success(), "must fail: {all}");
}

#[test]
fn a_flipped_byte_in_a_record_is_named_by_check_and_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    store(&dir);
    let db = dir.join("sled").join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    let target = 150;
    let offsets = frames_of(&bytes, target);
    assert!(!offsets.is_empty(), "record {target} is framed in the file");
    // Flip one byte in the middle of the payload of every copy of record 150.
    for o in &offsets {
        let len = u32::from_be_bytes(bytes[o + 12..o + 16].try_into().unwrap()) as usize;
        bytes[o + FRAME_HEADER_LEN + len / 2] ^= 0x20;
    }
    std::fs::write(&db, &bytes).unwrap();

    let check = depot(&dir, &["check"], None);
    assert_no_panic(&check);
    let msg = text(&check.stderr);
    assert!(
        msg.contains(&format!("record {target}")),
        "check names the record: {msg}"
    );

    let open = depot(&dir, &["exec", "-"], None);
    assert_no_panic(&open);
    let open_msg = text(&open.stderr);
    assert!(
        open_msg.contains(&format!("record {target}")),
        "open names the record: {open_msg}"
    );
}

/// Each open records how far its raw scan verified sled's file, so that
/// the next one reads only what was written since; a record that is
/// garbled (or gone) means the whole file is read again, and damage is
/// still named.
#[test]
fn the_scan_at_open_records_how_far_it_verified_and_a_garbled_record_means_all() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    store(&dir);
    let verified = dir.join("VERIFIED");
    let first = std::fs::read_to_string(&verified).expect("the open after init recorded its scan");
    assert!(first.starts_with("depot-verified 1\ninode "), "{first}");
    std::fs::write(&verified, "depot-verified 1\ninode x\n").unwrap();
    let out = depot(&dir, &["exec", "-"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = std::fs::read_to_string(&verified).unwrap();
    assert!(again.starts_with("depot-verified 1\ninode "), "{again}");
    // Damage with a garbled record: named at open all the same.
    let db = dir.join("sled").join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    for o in frames_of(&bytes, 100) {
        let len = u32::from_be_bytes(bytes[o + 12..o + 16].try_into().unwrap()) as usize;
        bytes[o + FRAME_HEADER_LEN + len / 2] ^= 0x20;
    }
    std::fs::write(&db, &bytes).unwrap();
    std::fs::write(&verified, "garbage").unwrap();
    let open = depot(&dir, &["exec", "-"], None);
    assert_no_panic(&open);
    assert!(
        text(&open.stderr).contains("record 100"),
        "{}",
        text(&open.stderr)
    );
}

#[test]
fn a_flipped_byte_anywhere_in_the_middle_never_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    store(&dir);
    let db = dir.join("sled").join("db");
    let bytes = std::fs::read(&db).unwrap();
    // The middle of the written part of the file (sled pre-allocates zeros).
    let used = bytes.iter().rposition(|b| *b != 0).unwrap_or(bytes.len());
    for frac in [0.3, 0.5, 0.7] {
        let mut b = bytes.clone();
        let at = (used as f64 * frac) as usize;
        b[at] ^= 0xFF;
        std::fs::write(&db, &b).unwrap();
        let check = depot(&dir, &["check"], None);
        let all = text(&check.stdout) + &text(&check.stderr);
        assert!(!all.contains("panicked"), "flip at {at}: {all}");
        if !check.status.success() {
            assert!(
                all.contains("corrupt") || all.contains("damaged"),
                "flip at {at}: {all}"
            );
            let open = depot(&dir, &["exec", "-"], None);
            assert_no_panic(&open);
        }
    }
}

/// Payment terms in the store, or the error that kept it from opening.
fn terms_in(dir: &Path) -> Result<usize, String> {
    let out = depot(dir, &["export", "payment-terms"], None);
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(!all.contains("panicked"), "a panic escaped: {all}");
    if out.status.success() {
        Ok(text(&out.stdout).lines().count() - 1)
    } else {
        Err(text(&out.stderr))
    }
}

#[test]
fn a_torn_last_record_that_was_acknowledged_is_never_silently_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    store(&dir);
    let db = dir.join("sled").join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    let used = bytes.iter().rposition(|b| *b != 0).unwrap_or(bytes.len());
    // The last record (the 300th terms, record 301): tear its newest copy
    // in the middle and lose everything written after it, as a power cut
    // during that write would.
    let offsets = frames_of(&bytes, 301);
    let o = *offsets.last().expect("record 301 is framed in the file");
    let len = u32::from_be_bytes(bytes[o + 12..o + 16].try_into().unwrap()) as usize;
    let cut = o + FRAME_HEADER_LEN + len / 2;
    for b in &mut bytes[cut..=used] {
        *b = 0;
    }
    std::fs::write(&db, &bytes).unwrap();
    // Record 301 was acknowledged (the mark says so): depot either still
    // has it whole (sled kept an older intact copy) or refuses to open,
    // saying records are damaged or lost. It never runs on 299 terms.
    let got = terms_in(&dir);
    eprintln!("after the tear: {got:?}");
    match got {
        Ok(n) => assert_eq!(n, 300, "opened without an acknowledged record"),
        Err(msg) => assert!(
            msg.contains("damaged") || msg.contains("durable") || msg.contains("lost"),
            "a clear refusal: {msg}"
        ),
    }
}

#[test]
fn a_torn_record_after_the_durable_mark_is_dropped_and_the_store_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    store(&dir);
    let db = dir.join("sled").join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    let used = bytes.iter().rposition(|b| *b != 0).unwrap_or(bytes.len());
    // Half a frame of record 302, never acknowledged (the mark is 301),
    // written after everything else: a write the kill interrupted.
    let o = *frames_of(&bytes, 301).last().expect("record 301");
    let len = u32::from_be_bytes(bytes[o + 12..o + 16].try_into().unwrap()) as usize;
    let mut torn = bytes[o..o + FRAME_HEADER_LEN + len / 2].to_vec();
    torn[4..12].copy_from_slice(&302u64.to_be_bytes());
    let at = used + 1;
    if bytes.len() < at + torn.len() {
        bytes.resize(at + torn.len(), 0);
    }
    bytes[at..at + torn.len()].copy_from_slice(&torn);
    std::fs::write(&db, &bytes).unwrap();
    assert_eq!(terms_in(&dir), Ok(300));
    let check = depot(&dir, &["check"], None);
    assert!(
        check.status.success(),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    // And it takes new commands after the last good record.
    let out = depot(
        &dir,
        &["exec", "-"],
        Some(
            r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"AFTER","description":"after the tear","net_days":10}"#,
        ),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(terms_in(&dir), Ok(301));
}
