//! The corruption sweep (issue 15): a store's files damaged at many
//! offsets of every byte position class (a log frame's header, its
//! payload, a snapshot, sled's own metadata), by a flipped byte or a cut
//! of the file there. Each case must be either detected, with a message
//! naming what is damaged (a record, or a file), or provably harmless:
//! `depot check` passes and the replayed log is identical to the original
//! (`depot export events`, byte for byte). Never a silently wrong report,
//! never a panic, and damage outside the log (a snapshot) never leaves the
//! store unopenable.
//!
//! `cargo test --test sweep` runs a few dozen cases; the long mode,
//! `cargo test --test sweep -- --ignored`, runs hundreds
//! (`DEPOT_SWEEP_CASES`, `DEPOT_SWEEP_SEED`); figures in docs/performance.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
mod common;
use common::{depot, text};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    FrameHeader,
    Payload,
    Snapshot,
    SledMetadata,
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Flip(u8),
    Cut,
}

/// A place to damage: a file (relative to the store) and a byte range.
#[derive(Debug, Clone)]
struct Region {
    class: Class,
    file: PathBuf,
    start: usize,
    end: usize,
}

/// A store of a few hundred records, reopened so that it holds a
/// snapshot taken at shutdown, and its event export.
fn base(dir: &Path) -> String {
    assert!(depot(dir, &["init"], None).status.success());
    let lines: String = (0..300)
        .map(|i| {
            format!(
                r#"{{"operator":"ADMIN","cmd":"create_payment_terms","code":"T{i}","description":"terms number {i} {}","net_days":{}}}"#,
                "d".repeat(120),
                i % 90
            ) + "\n"
        })
        .collect();
    let out = depot(dir, &["exec", "-"], Some(&lines));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = depot(dir, &["check"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = depot(dir, &["export", "events"], None);
    assert!(out.status.success());
    text(&out.stdout)
}

/// Frames (log records `DPT`, snapshots `DPS`) in `bytes`: (offset,
/// total length, is a snapshot).
fn frames(bytes: &[u8]) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 20 <= bytes.len() {
        let snap = &bytes[i..i + 3] == b"DPS";
        if (&bytes[i..i + 3] == b"DPT" && bytes[i + 3] == 2) || snap {
            let len = u32::from_be_bytes(bytes[i + 12..i + 16].try_into().unwrap()) as usize;
            if i + 20 + len <= bytes.len() {
                out.push((i, 20 + len, snap));
                i += 20 + len;
                continue;
            }
        }
        i += 1;
    }
    out
}

fn regions(dir: &Path) -> Vec<Region> {
    let sled = dir.join("sled");
    let mut out = Vec::new();
    let db = std::fs::read(sled.join("db")).expect("db");
    let used = db.iter().rposition(|b| *b != 0).unwrap_or(0) + 1;
    let mut last = 0;
    for (o, len, snap) in frames(&db[..used]) {
        if o > last {
            out.push(Region {
                class: Class::SledMetadata,
                file: "sled/db".into(),
                start: last,
                end: o,
            });
        }
        if snap {
            out.push(Region {
                class: Class::Snapshot,
                file: "sled/db".into(),
                start: o,
                end: o + len,
            });
        } else {
            out.push(Region {
                class: Class::FrameHeader,
                file: "sled/db".into(),
                start: o,
                end: o + 20,
            });
            out.push(Region {
                class: Class::Payload,
                file: "sled/db".into(),
                start: o + 20,
                end: o + len,
            });
        }
        last = o + len;
    }
    if used > last {
        out.push(Region {
            class: Class::SledMetadata,
            file: "sled/db".into(),
            start: last,
            end: used,
        });
    }
    if let Ok(rd) = std::fs::read_dir(sled.join("blobs")) {
        for e in rd.flatten() {
            let len = e.metadata().map(|m| m.len() as usize).unwrap_or(0);
            out.push(Region {
                class: Class::Snapshot,
                file: PathBuf::from("sled/blobs").join(e.file_name()),
                start: 0,
                end: len,
            });
        }
    }
    // Snapshots are files of their own (`snapshots/<seq>.snap`).
    if let Ok(rd) = std::fs::read_dir(dir.join("snapshots")) {
        for e in rd.flatten() {
            let len = e.metadata().map(|m| m.len() as usize).unwrap_or(0);
            out.push(Region {
                class: Class::Snapshot,
                file: PathBuf::from("snapshots").join(e.file_name()),
                start: 0,
                end: len,
            });
        }
    }
    for e in std::fs::read_dir(&sled).expect("sled dir").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == "conf" || name.starts_with("snap.") {
            let len = e.metadata().map(|m| m.len() as usize).unwrap_or(0);
            out.push(Region {
                class: Class::SledMetadata,
                file: PathBuf::from("sled").join(&name),
                start: 0,
                end: len,
            });
        }
    }
    out.retain(|r| r.end > r.start);
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    /// Refused, naming a record or a file.
    Detected,
    /// Opened with a warning naming what was skipped or moved aside;
    /// the log replays identically.
    Repaired,
    /// Nothing said and nothing changed: the log replays identically.
    Harmless,
}

/// Damage one copy of the store; the verdict, or what went wrong.
fn case(
    base: &Path,
    work: &Path,
    expected: &str,
    r: &Region,
    at: usize,
    op: Op,
) -> Result<Verdict, String> {
    let _ = std::fs::remove_dir_all(work);
    copy_dir(base, work);
    let path = work.join(&r.file);
    let mut bytes = std::fs::read(&path).unwrap();
    match op {
        Op::Flip(x) => bytes[at] ^= x,
        Op::Cut => bytes.truncate(at),
    }
    std::fs::write(&path, &bytes).unwrap();
    let what = format!("{:?} {op:?} at byte {at} of {}", r.class, r.file.display());
    let check = depot(work, &["check"], None);
    let all = text(&check.stdout) + &text(&check.stderr);
    if all.contains("panicked") {
        return Err(format!("{what}: a panic: {all}"));
    }
    if !check.status.success() {
        let err = text(&check.stderr);
        let names_record = err.contains("record ");
        let names_file = err.contains(&work.join("sled").display().to_string());
        if !(names_record || names_file) {
            return Err(format!("{what}: refused without naming what: {err}"));
        }
        // A cut of `sled/db` takes every record after it too: the log
        // is not intact then, and a refusal naming it is right.
        let log_intact = matches!(op, Op::Flip(_)) || r.file != Path::new("sled/db");
        if r.class == Class::Snapshot && log_intact {
            return Err(format!(
                "{what}: a damaged snapshot left the store unopenable: {err}"
            ));
        }
        return Ok(Verdict::Detected);
    }
    // It opened: the replayed log must be the original, exactly.
    let out = depot(work, &["export", "events"], None);
    if !out.status.success() {
        return Err(format!(
            "{what}: check passed, export failed: {}",
            text(&out.stderr)
        ));
    }
    if text(&out.stdout) != expected {
        return Err(format!(
            "{what}: check passed on a log that differs from the original (silently wrong)"
        ));
    }
    let warned = text(&check.stderr).contains("warning");
    Ok(if warned {
        Verdict::Repaired
    } else {
        Verdict::Harmless
    })
}

fn sweep(cases: usize, seed: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let base_dir = tmp.path().join("base");
    let expected = base(&base_dir);
    let regions = regions(&base_dir);
    let by_class: BTreeMap<Class, Vec<&Region>> =
        regions.iter().fold(BTreeMap::new(), |mut m, r| {
            m.entry(r.class).or_insert_with(Vec::new).push(r);
            m
        });
    for c in [
        Class::FrameHeader,
        Class::Payload,
        Class::Snapshot,
        Class::SledMetadata,
    ] {
        assert!(
            by_class.contains_key(&c),
            "the base store has no {c:?} bytes: {regions:?}"
        );
    }
    let mut rng = Rng(seed.max(1));
    let work = tmp.path().join("work");
    let mut tally: BTreeMap<(Class, &str, Verdict), usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let classes: Vec<Class> = by_class.keys().copied().collect();
    for n in 0..cases {
        let class = classes[n % classes.len()];
        let list = &by_class[&class];
        let r = list[rng.below(list.len())];
        let at = r.start + rng.below(r.end - r.start);
        let op = if rng.below(4) == 0 {
            Op::Cut
        } else {
            Op::Flip(1u8 << rng.below(8) | if rng.below(2) == 0 { 0 } else { 0xFF })
        };
        let name = match op {
            Op::Flip(_) => "flip",
            Op::Cut => "cut",
        };
        match case(&base_dir, &work, &expected, r, at, op) {
            Ok(v) => *tally.entry((class, name, v)).or_insert(0) += 1,
            Err(e) => failures.push(e),
        }
    }
    eprintln!("corruption sweep, {cases} cases, seed {seed}:");
    for ((c, op, v), n) in &tally {
        eprintln!("  {c:?} {op}: {v:?} {n}");
    }
    eprintln!("  failures: {}", failures.len());
    for f in &failures {
        eprintln!("  FAILED {f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn corruption_sweep_short() {
    sweep(
        env_or("DEPOT_SWEEP_CASES", 32) as usize,
        env_or("DEPOT_SWEEP_SEED", 15),
    );
}

#[test]
#[ignore = "long mode: cargo test --test sweep -- --ignored"]
fn corruption_sweep_long() {
    sweep(
        env_or("DEPOT_SWEEP_CASES", 600) as usize,
        env_or("DEPOT_SWEEP_SEED", 2026),
    );
}
