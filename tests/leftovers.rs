//! A store never becomes unopenable because a sled snapshot was
//! interrupted (issue 15, item 1): a full disk or a kill leaves a
//! half-made `sled/snap.*.generating`, which sled 0.34 prefers to every
//! complete snapshot and then refuses to open past.

mod common;

use common::{depot, text};
use std::path::Path;

fn demo(tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("d");
    let out = depot(&dir, &["demo"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir
}

fn checked_ok(dir: &Path) -> String {
    let out = depot(dir, &["check"], None);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("depot check: OK"));
    text(&out.stderr)
}

#[test]
fn a_half_made_sled_snapshot_is_removed_and_the_store_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo(tmp.path());
    let records = text(&depot(&dir, &["export", "events"], None).stdout)
        .lines()
        .count();
    // What a write that hit ENOSPC leaves: empty, or cut short.
    for (name, bytes) in [
        ("snap.FFFFFFFFFFFFFFF0.generating", Vec::new()),
        ("snap.FFFFFFFFFFFFFFF1.generating", vec![7u8; 300]),
    ] {
        let leftover = dir.join("sled").join(name);
        std::fs::write(&leftover, &bytes).unwrap();
        let warned = checked_ok(&dir);
        assert!(
            warned.contains(name) && warned.contains("interrupted"),
            "{warned}"
        );
        assert!(!leftover.exists(), "{name} was left");
        let after = text(&depot(&dir, &["export", "events"], None).stdout)
            .lines()
            .count();
        assert_eq!(after, records, "nothing of the log is lost");
    }
    // And nothing to say the next time.
    assert!(!checked_ok(&dir).contains("warning"));
}

/// Issue 15, item 2 (snapshots were sled blobs then; a deleted blob made
/// every open fail). Snapshots are files now (issue 21): with every one
/// of them deleted, the store opens from the whole log, loses nothing,
/// and the snapshot taken at the next shutdown is whole.
#[test]
fn missing_snapshot_files_cost_only_a_replay_of_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo(tmp.path());
    checked_ok(&dir);
    let records = text(&depot(&dir, &["export", "events"], None).stdout);
    let files = snapshot_files(&dir);
    assert!(!files.is_empty(), "no snapshot file to remove");
    for f in &files {
        std::fs::remove_file(f).unwrap();
    }
    let out = depot(&dir, &["check"], None);
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(!report.contains("DAMAGED"), "{report}");
    assert_eq!(
        text(&depot(&dir, &["export", "events"], None).stdout),
        records
    );
    // A backup copies the log.
    let backup = tmp.path().join("backup");
    let out = depot(&dir, &["backup", backup.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    checked_ok(&backup);
    // Work goes on; the snapshot taken at that shutdown is whole.
    let line = r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"N45","description":"Net 45","net_days":45}"#;
    let out = depot(&dir, &["exec", "-"], Some(&format!("{line}\n")));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"ok\":true"));
    let out = depot(&dir, &["check"], None);
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    assert!(!report.contains("DAMAGED"), "{report}");
    assert!(
        report.contains("snapshots equal to the replayed state:")
            && !report.contains("snapshots equal to the replayed state:     0"),
        "{report}"
    );
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
}

fn snapshot_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("snapshots"))
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// sled's own metadata damaged (here a complete-looking sled snapshot
/// full of garbage) while every record of the log is intact: the log is
/// rebuilt into a new sled database from the raw frames, the old one kept
/// in `damaged/`, and a warning names both. The log is unchanged.
#[test]
fn a_sled_database_sled_cannot_open_is_rebuilt_from_an_intact_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo(tmp.path());
    let records = text(&depot(&dir, &["export", "events"], None).stdout);
    std::fs::write(
        dir.join("sled").join("snap.FFFFFFFFFFFFFFF2"),
        vec![7u8; 300],
    )
    .unwrap();
    let out = depot(&dir, &["check"], None);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{}{err}", text(&out.stdout));
    assert!(
        err.contains(&dir.join("sled").display().to_string())
            && err.contains("rebuilt")
            && err.contains("damaged/sled-")
            && err.contains("do not restore"),
        "{err}"
    );
    let kept: Vec<_> = std::fs::read_dir(dir.join("damaged"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        kept[0].join("snap.FFFFFFFFFFFFFFF2").exists(),
        "kept as evidence"
    );
    assert_eq!(
        text(&depot(&dir, &["export", "events"], None).stdout),
        records,
        "the log is unchanged"
    );
    let out = depot(&dir, &["check"], None);
    assert!(out.status.success());
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
}

/// Issue 15, item 2 (a flipped byte or a cut in a snapshot, then a sled
/// blob, failed inside sled's own open). A damaged snapshot file is
/// reported by `depot check`, skipped by the next open (named, and moved
/// aside to `damaged/` as evidence), and the state rebuilt from the log,
/// which is intact.
#[test]
fn a_damaged_snapshot_file_is_moved_aside_and_the_store_opens_from_the_log() {
    for damage in ["flip", "cut"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = demo(tmp.path());
        checked_ok(&dir);
        let records = text(&depot(&dir, &["export", "events"], None).stdout);
        let files = snapshot_files(&dir);
        assert!(!files.is_empty(), "no snapshot file to damage");
        for f in &files {
            let mut bytes = std::fs::read(f).unwrap();
            if damage == "flip" {
                let at = bytes.len() / 2;
                bytes[at] ^= 0x01;
            } else {
                bytes.truncate(bytes.len() / 3);
            }
            std::fs::write(f, &bytes).unwrap();
        }
        let out = depot(&dir, &["check"], None);
        let (report, err) = (text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "{damage}: {report}{err}");
        assert!(
            report.contains("DAMAGED") && report.contains("snapshot after record"),
            "{damage}: {report}"
        );
        // The next open skips the damaged snapshots, names them and
        // where they went, and reads the whole log.
        let out = depot(&dir, &["export", "events"], None);
        assert_eq!(text(&out.stdout), records, "{damage}: the log is whole");
        let err = text(&out.stderr);
        assert!(
            err.contains("skipped the snapshot after record") && err.contains("whole log"),
            "{damage}: {err}"
        );
        let moved: Vec<_> = std::fs::read_dir(dir.join("damaged"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(moved.len(), files.len(), "{moved:?}");
        for m in &moved {
            assert!(err.contains(m.as_str()), "{m} named: {err}");
        }
        // Work goes on; the next open is quiet and check finds a whole
        // snapshot.
        let line = r#"{"operator":"ADMIN","cmd":"create_payment_terms","code":"N45","description":"Net 45","net_days":45}"#;
        let out = depot(&dir, &["exec", "-"], Some(&format!("{line}\n")));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let out = depot(&dir, &["check"], None);
        assert!(out.status.success());
        assert!(
            !text(&out.stdout).contains("DAMAGED"),
            "{}",
            text(&out.stdout)
        );
        assert!(
            !text(&out.stderr).contains("warning"),
            "{}",
            text(&out.stderr)
        );
    }
}

/// After an upgrade that changes the state's shape, every snapshot is of
/// an older state version and skipped. The first open replays the log and
/// saves a snapshot of this version, even when it only read: a store
/// opened for reports is not replayed whole at every open.
#[test]
fn a_snapshot_of_an_older_state_version_is_replaced_by_the_first_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo(tmp.path());
    checked_ok(&dir);
    let version = depot::store::codec::STATE_VERSION;
    for f in snapshot_files(&dir) {
        let mut bytes = std::fs::read(&f).unwrap();
        assert_eq!(bytes[3], version);
        bytes[3] = version - 1;
        std::fs::write(&f, &bytes).unwrap();
    }
    let out = depot(&dir, &["report", "trial-balance"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let newest = snapshot_files(&dir).pop().expect("a snapshot");
    assert_eq!(std::fs::read(&newest).unwrap()[3], version, "{newest:?}");
    // And the next check compares it with the replay.
    let out = depot(&dir, &["check"], None);
    assert!(out.status.success());
    assert!(
        !text(&out.stdout).contains("snapshots equal to the replayed state:     0"),
        "{}",
        text(&out.stdout)
    );
}
