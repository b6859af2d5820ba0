//! Idempotency keys (issue 15, item 4): a repeat is compared by the
//! SHA-256 of the whole command and by who sent it.

use depot::core::auth::Role;
use depot::core::CommandBody;
use depot::engine::{Engine, EngineConfig};
use depot::store::Store;
use std::collections::HashMap;

mod common;
use common::engine::{start, submission as sub};

fn terms(description: &str) -> CommandBody {
    common::engine::terms("N30", description, 30)
}

fn started(dir: &std::path::Path) -> Engine {
    start(
        dir,
        EngineConfig::default(),
        &[
            ("ADMIN", Role::Admin),
            ("PICK1", Role::Picker),
            ("ADMIN2", Role::Admin),
        ],
    )
}

/// Two payment-terms bodies whose JSON has the same CRC32 (birthday
/// search over the description; a few hundred thousand tries at most).
fn crc32_collision() -> (CommandBody, CommandBody) {
    // Spread over many bytes: CRC32 detects every difference confined to
    // 32 bits, so counting up ("#1", "#2"...) never collides.
    let text = |i: u64| format!("net 30 {:016x}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut seen: HashMap<u32, u64> = HashMap::new();
    for i in 0..2_000_000u64 {
        let body = terms(&text(i));
        if let Some(j) = seen.insert(body.crc32(), i) {
            return (terms(&text(j)), body);
        }
    }
    panic!("no CRC32 collision in 2,000,000 tries");
}

#[test]
fn two_bodies_with_one_crc32_under_one_key_are_a_conflict() {
    let (a, b) = crc32_collision();
    assert_ne!(a, b);
    assert_eq!(a.crc32(), b.crc32(), "the search found a real collision");
    assert_ne!(a.digest(), b.digest(), "SHA-256 tells them apart");
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path());
    let first = engine.submit(sub("ADMIN", a.clone(), Some("k1"))).unwrap();
    assert!(first.outcome.is_ok() && !first.duplicate, "{first:?}");
    let seq = engine.read(|s| s.seq);
    let second = engine.submit(sub("ADMIN", b, Some("k1"))).unwrap();
    assert!(!second.duplicate, "answered as a duplicate: {second:?}");
    assert_eq!(
        second.outcome.map_err(|r| r.code()),
        Err("key_conflict"),
        "a different command under a used key"
    );
    assert_eq!(engine.read(|s| s.seq), seq, "nothing written");
    // The true repeat is still a duplicate.
    let again = engine.submit(sub("ADMIN", a, Some("k1"))).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.outcome, first.outcome);
    engine.shutdown().unwrap();
}

#[test]
fn a_key_is_answered_only_to_the_operator_who_used_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = started(dir.path());
    let first = engine
        .submit(sub("ADMIN", terms("net 30"), Some("k1")))
        .unwrap();
    assert!(first.outcome.is_ok());
    let seq = engine.read(|s| s.seq);
    // A picker, another admin, and nobody at all resend the same line.
    for who in ["PICK1", "ADMIN2", "NOBODY"] {
        let r = engine
            .submit(sub(who, terms("net 30"), Some("k1")))
            .unwrap();
        assert!(!r.duplicate, "{who} got the first outcome: {r:?}");
        assert_eq!(r.seq, None, "{who}");
        assert_eq!(
            r.outcome.map_err(|r| r.code()),
            Err("key_conflict"),
            "{who}"
        );
    }
    assert_eq!(engine.read(|s| s.seq), seq, "nothing written");
    engine.shutdown().unwrap();
    // The operator is kept across a restart (rebuilt from the log).
    let engine = Engine::start(Store::open(dir.path()).unwrap(), EngineConfig::default()).unwrap();
    let r = engine
        .submit(sub("PICK1", terms("net 30"), Some("k1")))
        .unwrap();
    assert_eq!(r.outcome.map_err(|r| r.code()), Err("key_conflict"));
    let r = engine
        .submit(sub("ADMIN", terms("net 30"), Some("k1")))
        .unwrap();
    assert!(r.duplicate && r.outcome == first.outcome, "{r:?}");
    engine.shutdown().unwrap();
}
