//! Store and engine: group commit, idempotency, atomic units, recovery,
//! snapshots, fault injection, locking, backup and restore.

use depot::core::auth::Role;
use depot::core::types::ToCode;
use depot::core::CommandBody;
use depot::engine::{Engine, EngineConfig, EngineError, Submission};
use depot::store::{Fault, RawTree, Store, StoreError};
use std::sync::Arc;

mod common;
use common::engine::{operator, start, submission};

fn admin() -> CommandBody {
    operator("ADMIN", Role::Admin)
}

fn terms(code: &str, days: u32) -> CommandBody {
    common::engine::terms(code, &format!("net {days}"), days)
}

fn sub(body: CommandBody, key: Option<&str>) -> Submission {
    submission("ADMIN", body, key)
}

fn config(snapshot_every: u64) -> EngineConfig {
    EngineConfig {
        snapshot_every,
        ..EngineConfig::default()
    }
}

fn started(dir: &std::path::Path, snapshot_every: u64) -> Engine {
    start(dir, config(snapshot_every), &[("ADMIN", Role::Admin)])
}

#[test]
fn concurrent_submitters_get_contiguous_durable_records() {
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path(), 1_000_000);
    let feed = engine.subscribe();
    let seqs: Vec<u64> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|t| {
                let e = engine.clone();
                s.spawn(move || {
                    (0..50)
                        .map(|i| {
                            let code = format!("T{t}-{i}");
                            let r = e.submit(sub(terms(&code, i), None)).unwrap();
                            assert!(r.outcome.is_ok(), "{r:?}");
                            // Each caller is given its own answer, not a
                            // neighbour's from the same batch.
                            assert!(
                                format!("{:?}", r.outcome).contains(&format!("{code:?}")),
                                "{code} got {r:?}"
                            );
                            r.seq.unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (2..=401).collect::<Vec<u64>>());
    let broadcast: usize = feed.try_iter().map(|b| b.len()).sum();
    assert_eq!(broadcast, 400, "every committed record is broadcast once");
    let live = engine.read(|s| s.clone());
    engine.shutdown().unwrap();
    assert!(matches!(
        engine.submit(sub(terms("LATE", 1), None)),
        Err(EngineError::Stopped)
    ));
    let store = Store::open(dir.path()).unwrap();
    let rec = store.recover().unwrap();
    assert_eq!(rec.state, live);
    assert_eq!(
        rec.snapshot_seq,
        Some(401),
        "clean shutdown saves a snapshot"
    );
    assert_eq!(rec.replayed, 0);
    assert_eq!(store.scan(1).count(), 401);
}

#[test]
fn a_repeated_key_gets_the_first_outcome_and_a_changed_body_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path(), 1_000_000);
    let first = engine.submit(sub(terms("N30", 30), Some("k1"))).unwrap();
    assert!(first.outcome.is_ok() && !first.duplicate);
    let again = engine.submit(sub(terms("N30", 30), Some("k1"))).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.seq, first.seq);
    assert_eq!(again.outcome, first.outcome);
    let conflict = engine.submit(sub(terms("N60", 60), Some("k1"))).unwrap();
    assert_eq!(conflict.outcome.unwrap_err().code(), "key_conflict");
    // A keyed rejection is logged, so its repeat gets the same rejection,
    // even after the command would now succeed... it is the first outcome.
    let dup = engine.submit(sub(terms("N30", 30), Some("k2"))).unwrap();
    assert_eq!(dup.outcome.clone().unwrap_err().code(), "already_exists");
    let seq_before = engine.read(|s| s.seq);
    let dup2 = engine.submit(sub(terms("N30", 30), Some("k2"))).unwrap();
    assert!(dup2.duplicate);
    assert_eq!(dup2.outcome, dup.outcome);
    assert_eq!(
        engine.read(|s| s.seq),
        seq_before,
        "a duplicate adds nothing"
    );
    // An unkeyed rejection is not logged.
    let r = engine.submit(sub(terms("N30", 30), None)).unwrap();
    assert!(r.outcome.is_err() && r.seq.is_none());
    assert_eq!(engine.read(|s| s.seq), seq_before);
    engine.shutdown().unwrap();
    // The key survives a restart (from the snapshot and from the log).
    let engine = started(dir.path(), 1_000_000);
    let after = engine.submit(sub(terms("N30", 30), Some("k1"))).unwrap();
    assert!(after.duplicate);
    assert_eq!(after.outcome, first.outcome);
    engine.shutdown().unwrap();
}

#[test]
fn submit_all_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path(), 1_000_000);
    let before = engine.read(|s| s.clone());
    let subs = vec![
        sub(terms("A", 10), None),
        sub(terms("B", 20), None),
        sub(terms("A", 30), None), // duplicate code: refused
        sub(terms("C", 40), None),
    ];
    match engine.submit_all(subs) {
        Err(EngineError::Rejected { index, rejection }) => {
            assert_eq!(index, 2);
            assert_eq!(rejection.code(), "already_exists");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(engine.read(|s| s.clone()), before);
    assert_eq!(
        engine.with_store(|s| s.last_seq().unwrap()).unwrap(),
        before.seq
    );
    let ok = engine
        .submit_all(vec![sub(terms("A", 10), None), sub(terms("B", 20), None)])
        .unwrap();
    assert_eq!(ok.len(), 2);
    assert_eq!(engine.read(|s| s.terms.len()), 2);
    engine.shutdown().unwrap();
}

#[test]
fn snapshots_are_taken_and_a_corrupt_newest_one_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path(), 10);
    for i in 0..45 {
        let r = engine
            .submit(sub(terms(&format!("T{i}"), i), None))
            .unwrap();
        assert!(r.outcome.is_ok());
    }
    // Snapshots are saved on their own thread: one asked for now is
    // saved after those already due.
    let asked = engine.snapshot().unwrap();
    let live = engine.read(|s| s.clone());
    assert_eq!(asked, live.seq);
    let seqs = engine.with_store(|s| s.snapshot_seqs().unwrap()).unwrap();
    assert!(
        seqs.len() == depot::store::SNAPSHOTS_KEPT,
        "old snapshots are pruned: {seqs:?}"
    );
    let newest = *seqs.last().unwrap();
    // Damage the newest snapshot's payload.
    engine
        .with_store(|s| {
            let mut raw = s.read_raw(RawTree::Snapshots, newest).unwrap().unwrap();
            let n = raw.len();
            raw[n - 3] ^= 0xff;
            s.overwrite_raw(RawTree::Snapshots, newest, &raw).unwrap();
        })
        .unwrap();
    let rec = engine.with_store(|s| s.recover().unwrap()).unwrap();
    assert_eq!(rec.state, live);
    assert_eq!(rec.skipped_snapshots.len(), 1);
    assert!(rec.snapshot_seq.unwrap() < newest);
    assert!(rec.replayed > 0);
    engine.shutdown().unwrap();
}

#[test]
fn a_corrupt_log_record_is_named_by_its_sequence_number() {
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path(), 1_000_000);
    for i in 0..9 {
        engine
            .submit(sub(terms(&format!("T{i}"), i), None))
            .unwrap();
    }
    engine
        .with_store(|s| {
            let mut raw = s.read_raw(RawTree::Log, 5).unwrap().unwrap();
            let n = raw.len();
            raw[n - 1] ^= 0x01;
            s.overwrite_raw(RawTree::Log, 5, &raw).unwrap();
            match s.recover() {
                Err(StoreError::Corrupt { seq, .. }) => assert_eq!(seq, 5),
                other => panic!("expected a corrupt record 5, got {other:?}"),
            }
            let msg = s.scan(1).find_map(|r| r.err()).unwrap().to_string();
            assert!(msg.contains("record 5"), "{msg}");
        })
        .unwrap();
}

#[test]
fn a_failed_flush_acknowledges_nothing_and_stops_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path(), 1_000_000);
    engine.submit(sub(terms("OK", 1), Some("ok"))).unwrap();
    engine.with_store(|s| s.inject(Fault::FailFlush)).unwrap();
    let r = engine.submit(sub(terms("LOST", 2), Some("lost")));
    assert!(matches!(r, Err(EngineError::Store(_))), "{r:?}");
    let r = engine.submit(sub(terms("AFTER", 3), None));
    assert!(matches!(r, Err(EngineError::Failed)), "{r:?}");
    drop(engine);
}

#[test]
fn a_failed_append_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path(), 1_000_000);
    engine.with_store(|s| s.inject(Fault::FailAppend)).unwrap();
    let r = engine.submit(sub(terms("LOST", 2), None));
    assert!(matches!(r, Err(EngineError::Store(_))));
    assert_eq!(engine.with_store(|s| s.last_seq().unwrap()).unwrap(), 1);
    let _ = engine.shutdown();
    let engine = started(dir.path(), 1_000_000);
    assert_eq!(engine.read(|s| s.seq), 1);
    assert!(engine.read(|s| s.terms.is_empty()));
    engine.shutdown().unwrap();
}

#[test]
fn a_second_opener_is_told_who_holds_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let first = Store::open(dir.path()).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Locked { .. }));
    assert!(
        msg.contains(&format!("pid {}", std::process::id())),
        "{msg}"
    );
    assert!(msg.contains("depot serve"), "{msg}");
    drop(first);
    Store::open(dir.path()).unwrap();
}

#[test]
fn backup_and_restore_reproduce_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path(), 1_000_000);
    for i in 0..20 {
        engine
            .submit(sub(terms(&format!("T{i}"), i), None))
            .unwrap();
    }
    let live = engine.read(|s| s.clone());
    let backup = tempfile::tempdir().unwrap();
    let info = engine
        .with_store(|s| s.backup(&backup.path().join("b")))
        .unwrap()
        .unwrap();
    assert_eq!(info.records, 21);
    engine.shutdown().unwrap();
    let target = tempfile::tempdir().unwrap();
    let restored = target.path().join("r");
    // Restoring over an existing store is refused.
    assert!(Store::restore(&backup.path().join("b"), dir.path()).is_err());
    let info2 = Store::restore(&backup.path().join("b"), &restored).unwrap();
    assert_eq!(info2.last_seq, 21);
    let rec = Store::open(&restored).unwrap().recover().unwrap();
    assert_eq!(rec.state, live);
}

#[test]
fn the_clock_stamps_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let cfg = EngineConfig {
        clock: Arc::new(move || t),
        ..EngineConfig::default()
    };
    let engine = Engine::start(Store::open(dir.path()).unwrap(), cfg).unwrap();
    engine.submit(sub(admin(), None)).unwrap();
    let env = engine.with_store(|s| s.get(1).unwrap().unwrap()).unwrap();
    assert_eq!(env.time, t);
    assert_eq!(env.operator, "ADMIN");
    engine.shutdown().unwrap();
}

/// Poll `f` until it holds (the threads of the engine run on their own).
fn wait_until(what: &str, f: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "timed out waiting until {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Issue 21: the writer decides and applies batch N+1 while batch N is
/// being flushed. A flush that hangs and then fails: the batches decided
/// behind it are never acknowledged nor appended, no reader ever sees
/// them, the engine stops, and the store reopens consistent with every
/// acknowledged command in it.
#[test]
fn a_failed_flush_in_the_pipeline_acknowledges_nothing_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path(), 1_000_000);
    for i in 0..5 {
        let r = engine
            .submit(sub(terms(&format!("OK{i}"), i), Some(&format!("ok{i}"))))
            .unwrap();
        assert!(r.outcome.is_ok());
    }
    let durable = engine.view().seq;
    let terms_before = engine.read(|s| s.terms.len());
    let decided_before = engine.stats().records;
    engine.with_store(|s| s.inject(Fault::HoldFlush)).unwrap();
    let held = engine.submit_nowait(sub(terms("HELD", 1), Some("held")));
    wait_until("the flush hangs", || {
        engine.with_store(|s| s.flush_held()).unwrap()
    });
    let behind: Vec<_> = (0..20)
        .map(|i| {
            engine.submit_nowait(sub(
                terms(&format!("BEHIND{i}"), i),
                Some(&format!("behind{i}")),
            ))
        })
        .collect();
    // Decided and applied in the writer's state while the flush hangs...
    wait_until("a batch behind the hanging flush is decided", || {
        engine.stats().records >= decided_before + 2
    });
    // ...and seen by no reader: they see the durable state only.
    assert_eq!(engine.view().seq, durable);
    assert_eq!(engine.read(|s| s.seq), durable);
    assert_eq!(engine.state().terms.len(), terms_before);
    engine.with_store(|s| s.release_flush()).unwrap();
    let r = held.recv().unwrap();
    assert!(matches!(r, Err(EngineError::Store(_))), "{r:?}");
    for (i, rx) in behind.into_iter().enumerate() {
        let r = rx.recv().unwrap();
        assert!(
            matches!(r, Err(EngineError::Store(_) | EngineError::Failed)),
            "command {i} behind the failed flush: {r:?}"
        );
    }
    let r = engine.submit(sub(terms("AFTER", 3), None));
    assert!(matches!(r, Err(EngineError::Failed)), "{r:?}");
    assert_eq!(engine.view().seq, durable, "readers keep the durable state");
    assert_eq!(engine.read(|s| s.terms.len()), terms_before);
    let logged = engine.with_store(|s| s.last_seq().unwrap()).unwrap();
    assert!(
        logged <= durable + 1,
        "only the failed batch itself ({}) may be in the log: {logged}",
        durable + 1
    );
    assert!(engine.stats().records > decided_before + (logged - durable));
    let _ = engine.shutdown();
    drop(engine);
    // Reopened: consistent, every acknowledged command in it.
    let store = Store::open(dir.path()).unwrap();
    let rec = store.recover().unwrap();
    assert_eq!(rec.state.seq, store.last_seq().unwrap());
    depot::core::invariants::check_state(&rec.state).unwrap();
    drop(store);
    let engine = started(dir.path(), 1_000_000);
    for i in 0..5 {
        let r = engine
            .submit(sub(terms(&format!("OK{i}"), i), Some(&format!("ok{i}"))))
            .unwrap();
        assert!(r.duplicate, "acknowledged command {i} is in the store");
    }
    for i in 0..20 {
        let r = engine
            .submit(sub(
                terms(&format!("BEHIND{i}"), i),
                Some(&format!("behind{i}")),
            ))
            .unwrap();
        assert!(
            !r.duplicate && r.outcome.is_ok(),
            "command {i} behind the failed flush never reached the log: {r:?}"
        );
    }
    engine.shutdown().unwrap();
}

/// A watcher that panics (a bug in a screen's session) is forgotten:
/// the batch's caller is still answered, later commands too, and the
/// other watchers still hear of every durable record.
#[test]
fn a_panicking_watcher_is_forgotten_and_callers_are_still_answered() {
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path(), 1000);
    let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
    let h = heard.clone();
    engine.watch(Box::new(move |seq| {
        h.lock().unwrap().push(seq);
        true
    }));
    engine.watch(Box::new(|seq| panic!("a watcher's bug at {seq}")));
    for (i, code) in ["N10", "N20", "N30"].into_iter().enumerate() {
        let r = engine
            .submit(sub(terms(code, 10 * (i as u32 + 1)), None))
            .expect("answered");
        assert!(r.outcome.is_ok());
        let seq = r.seq.expect("logged");
        wait_until("the other watcher heard of it", || {
            heard.lock().unwrap().contains(&seq)
        });
    }
    assert_eq!(engine.read(|s| s.terms.len()), 3);
    engine.shutdown().unwrap();
}

/// A state no longer published is freed, not kept: the publisher hands
/// it back to the writer (which allocated its nodes) and the writer frees
/// it after its next batch. A state a reader still holds stays readable.
#[test]
fn a_state_no_longer_published_is_freed_and_a_held_one_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path(), 1_000_000);
    let ok = |code: &str| {
        let r = engine.submit(sub(terms(code, 30), None)).unwrap();
        assert!(r.outcome.is_ok(), "{r:?}");
    };
    ok("N1");
    let first = engine.view();
    let dropped = Arc::downgrade(&first.state);
    drop(first);
    ok("N2");
    let held = engine.view();
    // Two more batches: the one after N2's publishing frees the state of
    // N1 (handed back when N2 was published).
    ok("N3");
    ok("N4");
    assert!(
        dropped.upgrade().is_none(),
        "the state of N1 is still alive after two more batches"
    );
    // What a reader holds is its own to free, and still reads.
    assert!(held.state.terms.contains_key(&"N2".to_code()));
    assert!(!held.state.terms.contains_key(&"N3".to_code()));
    assert!(engine.view().state.terms.contains_key(&"N4".to_code()));
    engine.shutdown().unwrap();
}
