//! A flipped byte in the store: `depot check` names the record and exits
//! non-zero, `depot` refuses to open with the same message, nothing panics.

use depot::store::codec::{FRAME_HEADER_LEN, MAGIC};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn depot(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_depot"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn depot");
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes());
    child.wait_with_output().expect("wait")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A store of a few hundred small records, cleanly shut down.
fn store(dir: &Path) {
    assert!(depot(dir, &["init"], "").status.success());
    let lines: String = (0..300)
        .map(|i| {
            format!(r#"{{"operator":"ADMIN","cmd":"create_payment_terms","code":"T{i}","description":"terms number {i}","net_days":{}}}"#, i % 90) + "\n"
        })
        .collect();
    let out = depot(dir, &["exec", "-"], &lines);
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

    let check = depot(&dir, &["check"], "");
    assert_no_panic(&check);
    let msg = text(&check.stderr);
    assert!(
        msg.contains(&format!("record {target}")),
        "check names the record: {msg}"
    );

    let open = depot(&dir, &["exec", "-"], "");
    assert_no_panic(&open);
    let open_msg = text(&open.stderr);
    assert!(
        open_msg.contains(&format!("record {target}")),
        "open names the record: {open_msg}"
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
        let check = depot(&dir, &["check"], "");
        let all = text(&check.stdout) + &text(&check.stderr);
        assert!(!all.contains("panicked"), "flip at {at}: {all}");
        if !check.status.success() {
            assert!(
                all.contains("corrupt") || all.contains("damaged"),
                "flip at {at}: {all}"
            );
            let open = depot(&dir, &["exec", "-"], "");
            assert_no_panic(&open);
        }
    }
}
