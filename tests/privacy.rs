//! The store is private (issue 15): a new data directory is 0700 and its
//! files 0600, backups likewise, and a store others can read is reported
//! with the command that fixes it.

mod common;

use common::{depot, text};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

/// Every path under `dir` that others could use, with its mode.
fn loose(dir: &Path) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let m = mode(dir);
    let want = if dir.is_dir() { 0o700 } else { 0o600 };
    if m != want {
        out.push((dir.display().to_string(), m));
    }
    if dir.is_dir() {
        for e in std::fs::read_dir(dir).unwrap() {
            out.extend(loose(&e.unwrap().path()));
        }
    }
    out
}

#[test]
fn a_new_store_and_its_backup_are_private() {
    let tmp = tempfile::tempdir().unwrap();
    // Parents and a group-readable umask, as on many systems.
    let dir = tmp.path().join("data").join("d");
    let out = depot(&dir, &["demo"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.join("sled").is_dir());
    assert_eq!(loose(&dir), vec![], "a new store is 0700 / 0600");
    let out = depot(&dir, &["check"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
    let backup = tmp.path().join("backup");
    let out = depot(&dir, &["backup", backup.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(loose(&backup), vec![], "a backup is 0700 / 0600");
    // An empty directory made by the user for a restore is closed too.
    let restored = tmp.path().join("restored");
    std::fs::create_dir(&restored).unwrap();
    std::fs::set_permissions(&restored, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = depot(&restored, &["restore", backup.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(loose(&restored), vec![], "a restored store is 0700 / 0600");
}

#[test]
fn a_store_others_can_read_is_reported_with_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["init"], None).status.success());
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = depot(&dir, &["check"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("other users") && err.contains(&format!("chmod -R go-rwx {}", dir.display())),
        "{err}"
    );
    // Opening it for work says the same, and changes nothing by itself.
    let out = depot(&dir, &["report", "stock"], None);
    assert!(
        text(&out.stderr).contains("chmod -R go-rwx"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(mode(&dir), 0o755);
    // Fixed as told: no warning.
    let fix = std::process::Command::new("chmod")
        .args(["-R", "go-rwx"])
        .arg(&dir)
        .status()
        .unwrap();
    assert!(fix.success());
    let out = depot(&dir, &["check"], None);
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
}

/// An export's file is private as the store is: a journal or a customer
/// list written with --out was 0644 (the umask's), readable by everyone.
#[test]
fn an_export_written_to_a_file_is_private() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["demo"], None).status.success());
    let out_file = tmp.path().join("journal.hledger");
    let out = depot(
        &dir,
        &[
            "export",
            "journal",
            "--format",
            "hledger",
            "--out",
            out_file.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::metadata(&out_file).unwrap().len() > 0);
    assert_eq!(mode(&out_file), 0o600);
}
