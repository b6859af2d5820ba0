//! Closed documents leave memory (issue 21): the store's archive tree is
//! written from the record that archives them, recovery rewrites what is
//! missing, `depot check` holds the tree to the records, and the order
//! inquiry and the CLI read an archived order back.

mod common;

use chrono::{TimeZone, Utc};
use depot::core::archive::{ArchivedDoc, DocKind};
use depot::core::{execute, Command, CommandBody, Envelope, Event, State};
use depot::store::{Fault, Store};
use serde_json::{json, Value};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

fn run(s: &mut State, log: &mut Vec<Envelope>, operator: &str, body: Value) {
    let body: CommandBody = serde_json::from_value(body).expect("a command");
    let cmd = Command {
        operator: operator.into(),
        session: "test".into(),
        time: now(),
        key: None,
        body,
    };
    let env = execute(s, &cmd).unwrap_or_else(|r| panic!("{operator}: refused: {r}"));
    log.push(env);
}

/// The demo's master data, then SO-000001 ordered, shipped, invoiced and
/// paid in full, and SO-000002 ordered and left open.
fn closed_order() -> (State, Vec<Envelope>) {
    closed_order_held(false)
}

/// `closed_order`; with `held`, C0002 has a credit limit of 1, so each
/// order goes on credit hold, and SUP1 releases SO-000001's (SO-000002
/// stays held).
fn closed_order_held(held: bool) -> (State, Vec<Envelope>) {
    let mut s = State::default();
    let mut log = Vec::new();
    for mut body in depot::io::demo::commands(now().date_naive(), 0).unwrap() {
        if let CommandBody::CreateCustomer(c) = &mut body {
            if held && c.code == "C0002" {
                c.credit_limit = rust_decimal::Decimal::ONE;
            }
        }
        run(
            &mut s,
            &mut log,
            "ADMIN",
            serde_json::to_value(body).unwrap(),
        );
    }
    let steps = [
        (
            "CLERK1",
            json!({"cmd": "place_order", "customer": "C0002", "lines": [{"sku": "FAS-1001", "qty": "12", "warehouse": "CHI"}]}),
        ),
        (
            "SHIP1",
            json!({"cmd": "release_order", "number": "SO-000001"}),
        ),
        (
            "PICK1",
            json!({"cmd": "confirm_pick", "list": "PK-000001", "line": 1, "bin": "B-03-03", "item": "FAS-1001", "qty": "12"}),
        ),
        (
            "PACK1",
            json!({"cmd": "pack_carton", "list": "PK-000001", "contents": [{"item": "FAS-1001", "qty": "12"}], "weight": "15.732"}),
        ),
        (
            "SHIP1",
            json!({"cmd": "ship_pick", "list": "PK-000001", "carrier": "FEDEX", "service": "GND"}),
        ),
        (
            "AR1",
            json!({"cmd": "invoice_shipments", "shipments": ["SH-000001"]}),
        ),
        (
            "AR1",
            json!({"cmd": "receive_payment", "customer": "C0002", "method": "cheque", "amount": "1049.93", "reference": "CHQ 1", "apply": [{"invoice": "IN-000001", "amount": "1049.93"}]}),
        ),
        (
            "CLERK1",
            json!({"cmd": "place_order", "customer": "C0002", "lines": [{"sku": "FAS-1001", "qty": "2", "warehouse": "CHI"}]}),
        ),
    ];
    for (i, (op, body)) in steps.into_iter().enumerate() {
        run(&mut s, &mut log, op, body);
        if held && i == 0 {
            run(
                &mut s,
                &mut log,
                "SUP1",
                json!({"cmd": "release_hold", "number": "SO-000001", "hold": "credit"}),
            );
        }
    }
    (s, log)
}

/// The invariants hold after archiving, and replaying the log gives the
/// same state (the event carries the documents, so replay needs nothing
/// but the log).
fn holds_and_replays(s: &State, log: &[Envelope]) {
    depot::core::invariants::check_state(s).expect("invariants after archiving");
    let mut r = depot::core::invariants::Replayer::default();
    for env in log {
        r.step(env).expect("replay");
    }
    assert_eq!(depot::core::invariants::first_difference(&r.state, s), None);
}

fn archive(s: &mut State, log: &mut Vec<Envelope>) {
    run(
        s,
        log,
        "CTRL1",
        json!({"cmd": "archive_closed", "before": "2026-11-26"}),
    );
}

#[test]
fn archiving_keeps_the_books_and_the_order_reads_back() {
    let (mut s, mut log) = closed_order();
    let before = s.clone();
    archive(&mut s, &mut log);
    let Some(Event::Archived(a)) = log.last().and_then(|e| e.events().first()) else {
        panic!("no archive event");
    };
    // The closed order and its documents left; the open one stayed.
    let names = |v: Vec<ArchivedDoc>| v.iter().map(ArchivedDoc::key).collect::<Vec<_>>();
    assert_eq!(
        names(a.docs()),
        [
            "order/SO-000001",
            "pick/PK-000001",
            "shipment/SH-000001",
            "invoice/IN-000001",
            "receipt/RC-000001"
        ]
    );
    assert!(!s.orders.contains_key("SO-000001") && s.orders.contains_key("SO-000002"));
    assert!(s.invoices.is_empty() && s.receipts.is_empty() && s.shipments.is_empty());
    assert!(!s.order_history.contains_key("SO-000001"));
    // The books and the summaries the core decides with did not move.
    assert_eq!(before.ledger, s.ledger);
    assert_eq!(before.stock, s.stock);
    assert_eq!(before.demand, s.demand);
    assert_eq!(before.kpis.acc, s.kpis.acc);
    assert_eq!(before.kpis.closes, s.kpis.closes);
    // What the KPIs kept for a later dispute of the closed order left
    // with it (none can come).
    assert!(before.kpis.orders.contains_key("SO-000001"));
    assert!(!s.kpis.orders.contains_key("SO-000001"));
    holds_and_replays(&s, &log);
    // The order inquiry reads it back from the archive as it was.
    let was = depot::query::order::order_life(&before, "SO-000001").unwrap();
    let docs = depot::core::archive::docs_of_order(a, "SO-000001");
    let (_, back) = depot::query::order::archived_life(&s, "SO-000001", &docs).unwrap();
    assert!(back.archived);
    assert_eq!(was.invoices, back.invoices);
    assert_eq!(was.receipts, back.receipts);
    assert_eq!(was.shipments, back.shipments);
    assert_eq!(was.order, back.order);
    // Nothing left to archive: refused, nothing changed.
    let again = Command {
        operator: "CTRL1".into(),
        session: "test".into(),
        time: now(),
        key: None,
        body: CommandBody::ArchiveClosed {
            before: chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            max: None,
            orders: None,
        },
    };
    let kept = s.clone();
    let r = execute(&mut s, &again).unwrap_err();
    assert_eq!(r.code(), "nothing_to_archive");
    assert_eq!(depot::core::invariants::first_difference(&kept, &s), None);
}

/// Naming the orders (what `depot serve`'s archiver does, having looked
/// for them off the writer): an unknown number, or more than `max`, is
/// refused and changes nothing; a named order that is not closed stays;
/// the closed one goes, exactly as when the command looks for itself.
#[test]
fn archiving_named_orders_checks_each_again() {
    let (mut s, mut log) = closed_order();
    let named = |orders: &[&str], max: u32| Command {
        operator: "CTRL1".into(),
        session: "test".into(),
        time: now(),
        key: None,
        body: serde_json::from_value(json!({
            "cmd": "archive_closed", "before": "2026-11-26", "max": max, "orders": orders
        }))
        .expect("a command"),
    };
    let kept = s.clone();
    for (cmd, code) in [
        (named(&["SO-000001", "SO-999999"], 5), "not_found"),
        (named(&["SO-000001", "SO-000002"], 1), "out_of_range"),
        (named(&["SO-000002"], 5), "nothing_to_archive"),
        (named(&[], 5), "nothing_to_archive"),
    ] {
        let r = execute(&mut s, &cmd).unwrap_err();
        assert_eq!(r.code(), code, "{cmd:?}");
        assert_eq!(depot::core::invariants::first_difference(&kept, &s), None);
    }
    let mut looked = s.clone();
    let mut looked_log = log.clone();
    archive(&mut looked, &mut looked_log);
    log.push(execute(&mut s, &named(&["SO-000002", "SO-000001"], 5)).expect("archived"));
    assert!(!s.orders.contains_key("SO-000001") && s.orders.contains_key("SO-000002"));
    assert_eq!(
        log.last().map(Envelope::events),
        looked_log.last().map(Envelope::events)
    );
    holds_and_replays(&s, &log);
    // Named again once archived: skipped, so nothing is left to do.
    let r = execute(&mut s, &named(&["SO-000001"], 5)).unwrap_err();
    assert_eq!(r.code(), "nothing_to_archive");
}

#[test]
fn a_tampered_archive_event_fails_the_replay_naming_the_document() {
    let (mut s, mut log) = closed_order();
    archive(&mut s, &mut log);
    let mut bad = log.last().unwrap().clone();
    if let depot::core::Outcome::Committed(events) = &mut bad.outcome {
        if let Some(Event::Archived(a)) = events.first_mut() {
            a.invoices[0].total += rust_decimal::Decimal::ONE;
        }
    }
    let n = log.len();
    log[n - 1] = bad;
    let mut r = depot::core::invariants::Replayer::default();
    let err = log
        .iter()
        .try_for_each(|env| r.step(env))
        .expect_err("a tampered archive must fail");
    assert!(err.to_string().contains("invoice/IN-000001"), "{err}");
}

fn store_with(log: &[Envelope], dir: &std::path::Path, skip_archive: bool) {
    let store = Store::open(dir).unwrap();
    let (last, rest) = log.split_last().unwrap();
    store.append(rest).unwrap();
    store.flush().unwrap();
    if skip_archive {
        store.inject(Fault::SkipArchive);
    }
    store.append(std::slice::from_ref(last)).unwrap();
    store.flush().unwrap();
    store.close().unwrap();
}

#[test]
fn the_archive_tree_holds_the_records_documents_and_check_compares_them() {
    let (mut s, mut log) = closed_order();
    archive(&mut s, &mut log);
    let tmp = tempfile::tempdir().unwrap();
    store_with(&log, tmp.path(), false);
    let store = Store::open(tmp.path()).unwrap();
    assert_eq!(store.archived_count(), 5);
    let docs = store.archived_order("SO-000001").unwrap();
    assert_eq!(docs.len(), 5);
    assert!(matches!(&docs[0], ArchivedDoc::Order(o) if o.order.number == "SO-000001"));
    assert!(store.archived_order("SO-000002").unwrap().is_empty());
    let report = depot::check::verify(&store).expect("check passes");
    assert_eq!(report.archived, 5);
    assert!(report
        .to_string()
        .contains("archived documents = their records:        5"));
    // A document the archive lost fails the check, named.
    assert!(store
        .archived(DocKind::Invoice, "IN-000001")
        .unwrap()
        .is_some());
    store.remove_archived("invoice/IN-000001").unwrap();
    let err = depot::check::verify(&store).expect_err("a missing document fails");
    assert!(
        err.contains("invoice/IN-000001") && err.contains("missing"),
        "{err}"
    );
}

#[test]
fn recovery_rewrites_archived_documents_the_store_lost() {
    let (mut s, mut log) = closed_order();
    archive(&mut s, &mut log);
    let tmp = tempfile::tempdir().unwrap();
    // The record is durable, its documents were not written.
    store_with(&log, tmp.path(), true);
    let store = Store::open(tmp.path()).unwrap();
    assert_eq!(store.archived_count(), 0);
    let rec = store.recover().unwrap();
    assert_eq!(
        depot::core::invariants::first_difference(&rec.state, &s),
        None
    );
    let notices = store.take_notices();
    assert!(
        notices
            .iter()
            .any(|n| n.contains("rewrote 5 archived documents")),
        "{notices:?}"
    );
    assert_eq!(store.archived_count(), 5);
    depot::check::verify(&store).expect("check passes after the repair");
}

#[test]
fn depot_archive_moves_closed_orders_and_shows_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = common::depot(dir, &["demo", "--activity"], None);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let tb = common::trial_balance(dir);
    let out = common::depot(
        dir,
        &["--operator", "ADMIN", "archive", "--before", "2100-01-01"],
        None,
    );
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let said = common::text(&out.stderr) + &common::text(&out.stdout);
    assert!(said.contains("archived "), "{said}");
    // The books did not move, and the store checks.
    assert_eq!(tb, common::trial_balance(dir));
    let out = common::depot(dir, &["check"], None);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    assert!(common::text(&out.stdout).contains("archived documents = their records"));
    // An archived order is shown from the archive.
    let number = said
        .split_whitespace()
        .find(|w| w.starts_with("SO-"))
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
                .to_string()
        });
    if let Some(number) = number {
        let out = common::depot(dir, &["archive", "--show", &number], None);
        assert!(out.status.success(), "{}", common::text(&out.stderr));
        assert!(common::text(&out.stdout).contains(&number));
    }
    // Bad input: a clear error, nothing changed.
    let out = common::depot(
        dir,
        &["--operator", "ADMIN", "archive", "--older-than", "soon"],
        None,
    );
    assert!(!out.status.success());
    assert!(common::text(&out.stderr).contains("--older-than"));
    let out = common::depot(dir, &["archive", "--show", "SO-999999"], None);
    assert!(!out.status.success());
    assert!(common::text(&out.stderr).contains("not in the archive"));
}

fn archiver_policy(operator: &str, every_ms: u64) -> depot::archiver::Policy {
    depot::archiver::Policy {
        after_days: 1,
        operator: operator.into(),
        every: std::time::Duration::from_millis(every_ms),
        pause: std::time::Duration::ZERO,
        // Two days after the orders: SO-000001 is of age.
        clock: std::sync::Arc::new(|| now() + chrono::Duration::days(2)),
    }
}

#[test]
fn the_servers_archiver_archives_closed_orders_of_age_as_its_operator() {
    use depot::archiver::{pass, validate, Archiver, Pass};
    use depot::engine::{Engine, EngineConfig};
    let (_, log) = closed_order();
    let tmp = tempfile::tempdir().unwrap();
    store_with(&log, tmp.path(), false);
    let engine = Engine::start(
        Store::open(tmp.path()).unwrap(),
        EngineConfig {
            clock: std::sync::Arc::new(now),
            ..EngineConfig::default()
        },
    )
    .unwrap();
    let tb = |e: &Engine| e.read(|s| s.ledger.balances.clone());
    let before = tb(&engine);
    // Who archives must be able to: refused before it starts.
    let err = validate(&engine, &archiver_policy("NOBODY", 10)).unwrap_err();
    assert!(err.to_string().contains("no such operator"), "{err}");
    let err = validate(&engine, &archiver_policy("CLERK1", 10)).unwrap_err();
    assert!(err.to_string().contains("close_periods"), "{err}");
    assert!(Archiver::start(engine.clone(), archiver_policy("CLERK1", 10)).is_err());
    assert_eq!(engine.read(|s| s.archived_orders.len()), 0);

    // One pass archives what is of age and leaves the open order.
    let never = |_: std::time::Duration| false;
    let p = pass(&engine, &archiver_policy("CTRL1", 10), &never).unwrap();
    assert_eq!(
        p,
        Pass {
            orders: 1,
            commands: 1
        }
    );
    assert!(engine.read(|s| !s.orders.contains_key("SO-000001")
        && s.archived_orders.contains("SO-000001")
        && s.orders.contains_key("SO-000002")));
    assert_eq!(tb(&engine), before, "archiving moved the books");
    // Nothing more is of age: the pass finds none and submits nothing.
    let seq = engine.read(|s| s.seq);
    let p = pass(&engine, &archiver_policy("CTRL1", 10), &never).unwrap();
    assert_eq!(
        p,
        Pass {
            orders: 0,
            commands: 0
        }
    );
    assert_eq!(engine.read(|s| s.seq), seq);
    let docs = engine
        .with_store(|s| s.archived_order("SO-000001"))
        .unwrap()
        .unwrap();
    assert_eq!(docs.len(), 5);
    engine.shutdown().unwrap();
}

#[test]
fn a_cleared_hold_leaves_memory_with_its_archived_order_and_an_open_one_stays() {
    let (mut s, mut log) = closed_order_held(true);
    let about = |s: &State, n: &str| -> Vec<bool> {
        s.exceptions
            .values()
            .filter(|x| x.blocked.to_string().contains(n))
            .map(|x| x.is_open())
            .collect()
    };
    assert_eq!(about(&s, "SO-000001"), [false], "one cleared hold");
    assert_eq!(about(&s, "SO-000002"), [true], "one open hold");
    archive(&mut s, &mut log);
    assert!(s.archived_orders.contains("SO-000001"));
    assert_eq!(about(&s, "SO-000001"), Vec::<bool>::new());
    assert_eq!(about(&s, "SO-000002"), [true]);
    holds_and_replays(&s, &log);
}
