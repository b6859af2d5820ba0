//! Closed documents leave memory (issue 21): the store's archive tree is
//! written from the record that archives them, recovery rewrites what is
//! missing, `depot check` holds the tree to the records, and the order
//! inquiry and the CLI read an archived order back.

mod common;

use chrono::{TimeZone, Utc};
use depot::core::archive::{ArchivedDoc, DocKind, Need};
use depot::core::types::ToCode;
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
    closed_order_paid(held, "1049.93")
}

/// `closed_order_held`, the cheque for `paid` applying 1049.93 to
/// IN-000001 (what is over is left as C0002's credit on account).
fn closed_order_paid(held: bool, paid: &str) -> (State, Vec<Envelope>) {
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
            json!({"cmd": "receive_payment", "customer": "C0002", "method": "cheque", "amount": paid, "reference": "CHQ 1", "apply": [{"invoice": "IN-000001", "amount": "1049.93"}]}),
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

/// `archive`, through a backend as a screen or `depot print` would see it.
fn archive_in(b: &depot::ui::testing::MemBackend) {
    b.exec(
        "CTRL1",
        serde_json::from_value(json!({"cmd": "archive_closed", "before": "2026-11-26"}))
            .expect("a command"),
    )
    .expect("archived");
}

/// What the archive holds after `day`, as the records say.
fn later_in(
    log: &[Envelope],
    day: chrono::NaiveDate,
    customer: Option<&str>,
) -> depot::core::archive::Later {
    let docs: Vec<ArchivedDoc> = log
        .iter()
        .flat_map(|e| e.events().to_vec())
        .flat_map(|e| depot::core::archive::event_docs(&e))
        .collect();
    depot::core::archive::Later::from_docs(&docs, day, customer, Need::All)
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
    assert!(
        !s.orders.contains_key(&"SO-000001".to_code())
            && s.orders.contains_key(&"SO-000002".to_code())
    );
    assert!(s.invoices.is_empty() && s.receipts.is_empty() && s.shipments.is_empty());
    assert!(!s.order_history.contains_key(&"SO-000001".to_code()));
    // The books and the summaries the core decides with did not move.
    assert_eq!(before.ledger, s.ledger);
    assert_eq!(before.stock, s.stock);
    assert_eq!(before.demand, s.demand);
    assert_eq!(before.kpis.acc, s.kpis.acc);
    assert_eq!(before.kpis.closes, s.kpis.closes);
    // What the KPIs kept for a later dispute of the closed order left
    // with it (none can come).
    assert!(before.kpis.orders.contains_key(&"SO-000001".to_code()));
    assert!(!s.kpis.orders.contains_key(&"SO-000001".to_code()));
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

/// A cheque 100.00 over its invoice leaves 100.00 of credit on account.
/// Archiving the paid order takes the invoice and the cheque out of
/// memory, and the customer's statement (the report and the printed
/// document) still says they are owed 100.00: the archived documents are
/// brought forward as one line. Before, the statement summed only what
/// was left in memory and said 0.00, against the 100.00 of credit the
/// books hold.
#[test]
fn a_statement_brings_forward_what_archived_documents_came_to() {
    use rust_decimal::Decimal;
    let (mut s, mut log) = closed_order_paid(false, "1149.93");
    let today = now().date_naive();
    let statement = |s: &State, day| depot::report::statement_data(s, "C0002", day).unwrap();
    let was = statement(&s, today);
    assert_eq!(was.balance, Decimal::new(-10000, 2));
    assert_eq!(was.lines.len(), 2, "the invoice and the cheque");
    archive(&mut s, &mut log);
    assert!(s.receipts.is_empty() && s.invoices.is_empty());
    let now_ = statement(&s, today);
    assert_eq!(now_.balance, was.balance);
    assert_eq!(now_.lines.len(), 1, "{:?}", now_.lines);
    let line = &now_.lines[0];
    assert_eq!((line.date, line.amount), (today, Decimal::new(-10000, 2)));
    assert!(line.what.contains("brought forward"), "{}", line.what);
    // As of the day before, nothing had happened, archived or not: what
    // was archived after it is read (here from the records) and taken out.
    let yesterday = today.pred_opt().unwrap();
    assert!(matches!(
        depot::report::statement_data(&s, "C0002", yesterday),
        Err(depot::report::ReportError::Archive(
            depot::core::archive::CarriedError::NeedsArchive { .. }
        ))
    ));
    let later = later_in(&log, yesterday, Some("C0002"));
    let then = depot::report::statement_data_with(&s, "C0002", yesterday, Some(&later)).unwrap();
    assert_eq!(then.lines, []);
    assert_eq!(then.balance, Decimal::ZERO);
    // The printed statement's balance due is the report's.
    let doc = depot::docs::build::build(
        &s,
        depot::docs::DocKind::Statement,
        "C0002",
        depot::docs::build::BuildOptions { today, copy: false },
    )
    .unwrap();
    let due = doc
        .totals
        .iter()
        .find(|t| t.label == "Balance due")
        .unwrap();
    assert_eq!(due.value, Decimal::new(-10000, 2));
    holds_and_replays(&s, &log);
    // `depot check` holds each customer's statement to what they owe: a
    // state that lost what the archive brought forward is named.
    let mut lost = s.clone();
    lost.archived_statement = Default::default();
    let v = depot::core::invariants::check_state(&lost).unwrap_err();
    assert!(
        matches!(&v, depot::core::invariants::Violation::Statement { customer, .. } if customer == "C0002"),
        "{v}"
    );
}

/// `report margin` counts what archived invoices sold: by customer,
/// channel and item, its figures are the same after archiving as before
/// (it counted only the invoices in memory, so archived sales dropped out
/// of it while the gross margin KPI kept them), and as of the day before
/// the sale it still shows nothing.
#[test]
fn the_margin_report_keeps_archived_sales() {
    let (mut s, mut log) = closed_order();
    let today = now().date_naive();
    let margin = |s: &State, log: &[Envelope], by: &str, day| {
        let mut o = depot::report::Options::new(None, day);
        o.by = Some(by.to_string());
        o.later = Some(std::sync::Arc::new(later_in(log, day, None)));
        depot::report::build_with("margin", s, &o).unwrap().rows
    };
    let by = ["customer", "channel", "item"];
    let was: Vec<_> = by.iter().map(|b| margin(&s, &log, b, today)).collect();
    assert!(was.iter().all(|rows| rows.len() == 1), "{was:?}");
    // 12 sold at 87.49 (1,049.88 of revenue) against what left stock.
    assert_eq!(was[2][0][1], "FAS-1001");
    assert_eq!(was[2][0][2], "12");
    archive(&mut s, &mut log);
    assert!(s.invoices.is_empty());
    let now_: Vec<_> = by.iter().map(|b| margin(&s, &log, b, today)).collect();
    assert_eq!(now_, was);
    let yesterday = today.pred_opt().unwrap();
    for b in by {
        assert_eq!(
            margin(&s, &log, b, yesterday),
            Vec::<Vec<String>>::new(),
            "{b}"
        );
    }
    holds_and_replays(&s, &log);
}

/// A settled order archived without credit left over still shows on the
/// statement, as a brought-forward line of 0.00, so that the customer's
/// history does not silently vanish from it.
#[test]
fn a_settled_archive_is_brought_forward_at_nil() {
    let (mut s, mut log) = closed_order();
    archive(&mut s, &mut log);
    let st = depot::report::statement_data(&s, "C0002", now().date_naive()).unwrap();
    assert_eq!(st.balance, rust_decimal::Decimal::ZERO);
    assert_eq!(st.lines.len(), 1);
    assert!(st.lines[0].what.contains("brought forward"));
    assert!(st.lines[0].amount.is_zero());
}

/// A document archived before it was ever printed prints from the
/// archive (it was "no such document"), and its reprint is its COPY; a
/// number never given is still not found.
#[test]
fn an_archived_document_never_printed_prints_from_the_archive() {
    use depot::docs::print::{print_document, PrintRequest};
    use depot::docs::DocKind;
    use depot::ui::testing::MemBackend;
    let (s, _) = closed_order();
    let b = MemBackend::new(s, now());
    archive_in(&b);
    let dir = tempfile::tempdir().unwrap();
    let today = now().date_naive();
    for (kind, doc, shows) in [
        (DocKind::Invoice, "IN-000001", "1,049.93"),
        (DocKind::Acknowledgment, "SO-000001", "FAS-1001"),
        (DocKind::PickTicket, "PK-000001", "B-03-03"),
        (DocKind::PackingSlip, "PK-000001/1", "FAS-1001"),
        (DocKind::BillOfLading, "SH-000001", "FedEx GND"),
    ] {
        let mut req = PrintRequest::new(kind, doc, today);
        req.format = Some(depot::docs::Format::Text);
        req.out = Some(dir.path().join(format!("{}.txt", doc.replace('/', "-"))));
        let first =
            print_document(&b, "ADMIN", "test", &req).unwrap_or_else(|e| panic!("{doc}: {e}"));
        assert!(!first.copy, "{doc}");
        let text = std::fs::read_to_string(req.out.as_ref().unwrap()).unwrap();
        assert!(text.contains(doc) && text.contains(shows), "{doc}:\n{text}");
        req.out = Some(
            dir.path()
                .join(format!("{}-again.txt", doc.replace('/', "-"))),
        );
        let again = print_document(&b, "ADMIN", "test", &req)
            .unwrap_or_else(|e| panic!("{doc} again: {e}"));
        assert!(again.copy, "{doc}");
    }
    let mut req = PrintRequest::new(DocKind::Invoice, "IN-000009", today);
    req.out = Some(dir.path().join("none.txt"));
    let e = print_document(&b, "ADMIN", "test", &req).unwrap_err();
    assert!(e.to_string().contains("IN-000009"), "{e}");
}

/// `report audit --doc` finds the record that archived a document, and
/// the prints of it (the print's `doc` was not read as a document, and
/// the archive record named none of the documents it carried).
#[test]
fn the_audit_trail_finds_the_archiving_and_the_prints_of_a_document() {
    use depot::docs::print::{print_document, PrintRequest};
    use depot::query::audit::{Filter, Trail};
    use depot::ui::testing::MemBackend;
    let (s, _) = closed_order();
    let b = MemBackend::new(s, now());
    let dir = tempfile::tempdir().unwrap();
    let mut req = PrintRequest::new(
        depot::docs::DocKind::Invoice,
        "IN-000001",
        now().date_naive(),
    );
    req.out = Some(dir.path().join("in1.pdf"));
    print_document(&b, "ADMIN", "test", &req).expect("printed");
    archive_in(&b);
    let log = depot::ui::Backend::log_range(&b, 1, b.state.borrow().seq);
    assert!(!log.is_empty());
    let trail = Trail::of(log.iter());
    for doc in [
        "IN-000001",
        "RC-000001",
        "SH-000001",
        "PK-000001",
        "SO-000001",
    ] {
        let filter = Filter {
            document: Some(doc.to_string()),
            ..Filter::default()
        };
        let commands: Vec<&str> = trail
            .select(&filter)
            .iter()
            .map(|r| r.command.as_str())
            .collect();
        assert!(commands.contains(&"archive_closed"), "{doc}: {commands:?}");
        if doc == "IN-000001" {
            assert!(commands.contains(&"record_print"), "{doc}: {commands:?}");
        }
    }
}

/// The order inquiry finds an archived order by the number of any
/// document archived with it (an invoice, a receipt, a pick list, a
/// shipment), as it finds one in memory, and opens it from the archive; a
/// number the archive does not hold lists nothing.
#[test]
fn the_order_inquiry_finds_an_archived_order_by_its_documents_numbers() {
    use depot::ui::testing::{Driver, MemBackend};
    let (s, _) = closed_order();
    let b = MemBackend::new(s, now());
    archive_in(&b);
    assert!(!b
        .state
        .borrow()
        .invoices
        .contains_key(&"IN-000001".to_code()));
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.open("Order inquiry").expect("on the menu");
    for number in [
        "IN-000001",
        "rc-000001",
        "PK-000001",
        "SH-000001",
        "SO-000001",
    ] {
        d.typed(number);
        let screen = d.screen(100, 30);
        assert!(
            screen.contains("1 listed")
                && screen.contains("SO-000001")
                && screen.contains("archived"),
            "{number}:\n{screen}"
        );
        for _ in 0..number.len() {
            d.press("backspace");
        }
    }
    d.typed("IN-000009");
    assert!(d.screen(100, 30).contains("0 listed"));
    for _ in 0.."IN-000009".len() {
        d.press("backspace");
    }
    // Enter opens it, read from the archive.
    d.typed("IN-000001").press("enter");
    let screen = d.screen(100, 30);
    assert!(screen.contains("ARCHIVED"), "{screen}");
    assert!(
        screen.contains("IN-000001") && screen.contains("RC-000001"),
        "{screen}"
    );
}

/// A command naming an archived order, pick list, shipment or invoice,
/// wherever in the command it is looked up, is refused `document_archived`
/// (the number was the core's, the document is in the archive), and
/// changes nothing; a number never given is still `not_found`.
#[test]
fn commands_naming_archived_documents_are_refused_as_archived() {
    let (mut s, mut log) = closed_order();
    archive(&mut s, &mut log);
    let refusal = |s: &mut State, operator: &str, body: Value| {
        let cmd = Command {
            operator: operator.into(),
            session: "test".into(),
            time: now(),
            key: None,
            body: serde_json::from_value(body).expect("a command"),
        };
        let kept = s.clone();
        let r = execute(s, &cmd).expect_err("refused");
        assert_eq!(depot::core::invariants::first_difference(&kept, s), None);
        (r.code().to_string(), r.to_string())
    };
    let archived = [
        (
            "ADMIN",
            json!({"cmd": "cancel_order", "number": "SO-000001", "reason": "test"}),
            "order SO-000001",
        ),
        (
            "ADMIN",
            json!({"cmd": "release_order", "number": "SO-000001"}),
            "order SO-000001",
        ),
        (
            "ADMIN",
            json!({"cmd": "add_order_lines", "number": "SO-000001",
                "lines": [{"sku": "FAS-1001", "qty": "1", "warehouse": "CHI"}]}),
            "order SO-000001",
        ),
        (
            "ADMIN",
            json!({"cmd": "ship_pick", "list": "PK-000001", "carrier": "UPS", "service": "GND"}),
            "pick list PK-000001",
        ),
        (
            "ADMIN",
            json!({"cmd": "invoice_shipments", "shipments": ["SH-000001"]}),
            "shipment SH-000001",
        ),
        (
            "ADMIN",
            json!({"cmd": "issue_debit_memo", "invoice": "IN-000001", "freight": "5.00",
                "reason": "freight"}),
            "invoice IN-000001",
        ),
    ];
    for (operator, body, names) in archived {
        let (code, said) = refusal(&mut s, operator, body.clone());
        assert_eq!(code, "document_archived", "{body}: {said}");
        assert!(said.contains(names), "{body}: {said}");
        // It says how to read it, by the number the clerk has.
        let number = names.rsplit(' ').next().unwrap_or_default();
        assert!(
            said.contains(&format!("depot archive --show {number}")),
            "{body}: {said}"
        );
    }
    // Numbers never given, and a number written otherwise than the core
    // writes it, are unknown, not archived.
    for (operator, body) in [
        (
            "ADMIN",
            json!({"cmd": "cancel_order", "number": "SO-000009", "reason": "test"}),
        ),
        (
            "ADMIN",
            json!({"cmd": "ship_pick", "list": "PK-000009", "carrier": "UPS", "service": "GND"}),
        ),
        (
            "ADMIN",
            json!({"cmd": "ship_pick", "list": "PK-1", "carrier": "UPS", "service": "GND"}),
        ),
        (
            "ADMIN",
            json!({"cmd": "invoice_shipments", "shipments": ["SH-000009"]}),
        ),
    ] {
        let (code, said) = refusal(&mut s, operator, body.clone());
        assert_eq!(code, "not_found", "{body}: {said}");
    }
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
    assert!(
        !s.orders.contains_key(&"SO-000001".to_code())
            && s.orders.contains_key(&"SO-000002".to_code())
    );
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
    // Reports as of days among the demo's orders (150 to 0 days ago):
    // the same after archiving, the archive read for the earlier days.
    let today = chrono::Utc::now().date_naive();
    let reports = || -> Vec<String> {
        let mut out = Vec::new();
        for ago in [160u64, 100, 90, 60, 30, 5, 0] {
            let day = (today - chrono::Days::new(ago)).to_string();
            for args in [
                &["report", "margin", "--by", "item", "--as-of", &day][..],
                &["report", "margin", "--by", "customer", "--as-of", &day][..],
                &["report", "aging-ar", "--as-of", &day][..],
                &[
                    "report",
                    "statement",
                    "--customer",
                    "C0001",
                    "--as-of",
                    &day,
                ][..],
            ] {
                let r = common::depot(dir, args, None);
                assert!(r.status.success(), "{args:?}: {}", common::text(&r.stderr));
                out.push(common::text(&r.stdout));
            }
        }
        out
    };
    let before = reports();
    assert!(before.iter().any(|r| r.contains("FAS-")), "{before:?}");
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
    let after = reports();
    for (b, a) in before.iter().zip(&after) {
        if b.contains("Statement of") {
            // Archived lines are brought forward as one: the balance and
            // the aging stay.
            let tail = |t: &str| {
                t.lines()
                    .rev()
                    .take(6)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            };
            assert_eq!(tail(a), tail(b), "{b}\n{a}");
        } else {
            assert_eq!(a, b);
        }
    }
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
        let shown = common::text(&out.stdout);
        assert!(shown.contains(&number));
        // The number of any document archived with it shows the order too.
        let others: Vec<String> = shown
            .split('"')
            .filter(|w| {
                ["IN-", "SH-", "PK-", "RC-"]
                    .iter()
                    .any(|p| w.starts_with(p))
                    && w[3..].chars().all(|c| c.is_ascii_digit())
            })
            .map(str::to_string)
            .collect();
        assert!(others.iter().any(|w| w.starts_with("IN-")), "{shown}");
        for other in others {
            let out = common::depot(dir, &["archive", "--show", &other], None);
            assert!(
                out.status.success(),
                "{other}: {}",
                common::text(&out.stderr)
            );
            assert!(common::text(&out.stdout).contains(&number), "{other}");
        }
    }
    // Bad input: a clear error, nothing changed.
    let out = common::depot(
        dir,
        &["--operator", "ADMIN", "archive", "--older-than", "soon"],
        None,
    );
    assert!(!out.status.success());
    assert!(common::text(&out.stderr).contains("--older-than"));
    // A count of days no date is that far back from: refused, not a panic
    // (exit 101), and nothing written.
    let records = common::depot(dir, &["export", "events"], None).stdout.len();
    for days in ["36501d", "100000000d", "4294967295"] {
        let out = common::depot(
            dir,
            &["--operator", "ADMIN", "archive", "--older-than", days],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{days}: {}",
            common::text(&out.stderr)
        );
        assert!(
            common::text(&out.stderr).contains("up to 36500"),
            "{days}: {}",
            common::text(&out.stderr)
        );
    }
    assert_eq!(
        common::depot(dir, &["export", "events"], None).stdout.len(),
        records
    );
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
            bank_lines: 0,
            commands: 1
        }
    );
    assert!(
        engine.read(|s| !s.orders.contains_key(&"SO-000001".to_code())
            && s.archived_orders.contains("SO-000001")
            && s.orders.contains_key(&"SO-000002".to_code()))
    );
    assert_eq!(tb(&engine), before, "archiving moved the books");
    // Nothing more is of age: the pass finds none and submits nothing.
    let seq = engine.read(|s| s.seq);
    let p = pass(&engine, &archiver_policy("CTRL1", 10), &never).unwrap();
    assert_eq!(
        p,
        Pass {
            orders: 0,
            bank_lines: 0,
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

fn run_at(
    s: &mut State,
    log: &mut Vec<Envelope>,
    operator: &str,
    body: Value,
    at: &str,
) -> Result<Vec<Event>, depot::core::Rejection> {
    let body: CommandBody = serde_json::from_value(body).expect("a command");
    let time = chrono::DateTime::parse_from_rfc3339(&format!("{at}T15:00:00Z"))
        .unwrap()
        .with_timezone(&Utc);
    let cmd = Command {
        operator: operator.into(),
        session: "test".into(),
        time,
        key: None,
        body,
    };
    let env = execute(s, &cmd)?;
    let events = env.events().to_vec();
    log.push(env);
    Ok(events)
}

/// The demo, cheques received (each a book item of US01's bank account)
/// and one statement explaining most of them, matched and a fee posted:
/// - A (received 09-10) cleared on 09-11;
/// - B (09-28) cleared on 10-02: outstanding at the end of September;
/// - C (10-01) cleared on 09-30, before the books had it;
/// - D (10-15) cleared on 10-16; E (10-30) never on a statement;
/// - a fee of 12.50 on 09-20, posted to bank charges.
fn reconciled_september() -> (State, Vec<Envelope>) {
    let mut s = State::default();
    let mut log = Vec::new();
    for body in
        depot::io::demo::commands(chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(), 0).unwrap()
    {
        run_at(
            &mut s,
            &mut log,
            "ADMIN",
            serde_json::to_value(body).unwrap(),
            "2026-09-01",
        )
        .expect("the demo");
    }
    let mut ok = |s: &mut State, op: &str, body: Value, at: &str| {
        run_at(s, &mut log, op, body.clone(), at)
            .unwrap_or_else(|r| panic!("{body} at {at}: refused: {r}"))
    };
    for (amount, reference, at) in [
        ("100.00", "CHQ A", "2026-09-10"),
        ("200.00", "CHQ B", "2026-09-28"),
        ("300.00", "CHQ C", "2026-10-01"),
        ("400.00", "CHQ D", "2026-10-15"),
        ("500.00", "CHQ E", "2026-10-30"),
    ] {
        ok(
            &mut s,
            "AR1",
            json!({"cmd": "receive_payment", "customer": "C0002", "method": "cheque", "amount": amount, "reference": reference, "apply": []}),
            at,
        );
    }
    let line = |date: &str, amount: &str, reference: &str| json!({"date": date, "amount": amount, "reference": reference, "description": "statement"});
    ok(
        &mut s,
        "AR1",
        json!({"cmd": "import_bank_statement", "entity": "US01", "statement": "ST-10", "lines": [
            line("2026-09-11", "100.00", "CHQ A"),
            line("2026-09-20", "-12.50", ""),
            line("2026-09-30", "300.00", "CHQ C"),
            line("2026-10-02", "200.00", "CHQ B"),
            line("2026-10-16", "400.00", "CHQ D"),
        ]}),
        "2026-10-20",
    );
    ok(
        &mut s,
        "AR1",
        json!({"cmd": "auto_match_bank", "entity": "US01"}),
        "2026-10-20",
    );
    let fee = s
        .bank_lines
        .values()
        .find(|l| l.amount == rust_decimal::Decimal::new(-1250, 2))
        .map(|l| l.id.to_string())
        .unwrap();
    ok(
        &mut s,
        "CTRL1",
        json!({"cmd": "post_bank_line", "line": fee, "account": "6500", "memo": "bank fee"}),
        "2026-10-20",
    );
    assert!(
        s.index.unmatched_bank_lines.is_empty(),
        "every line explained"
    );
    ok(
        &mut s,
        "CTRL1",
        json!({"cmd": "mark_bank_reconciled", "entity": "US01", "period": "FY2026-09"}),
        "2026-10-20",
    );
    (s, log)
}

fn reconciled(
    events: &[Event],
) -> (
    rust_decimal::Decimal,
    rust_decimal::Decimal,
    rust_decimal::Decimal,
) {
    match events {
        [Event::BankReconciled {
            book,
            outstanding,
            statement,
            ..
        }] => (*book, *outstanding, *statement),
        other => panic!("not a reconciliation: {other:?}"),
    }
}

/// The bank lines of a reconciled period and the book items they cleared
/// leave memory with `ArchiveClosed` (issue 21: a distributor's bank book
/// grows by a line a receipt), the reconciliations after it come to the
/// same figures as without the archive, one before it is refused, and
/// the archive tree holds what left, for `depot check` and `--show`.
#[test]
fn reconciled_bank_lines_leave_memory_and_later_reconciliations_agree() {
    let (s0, log0) = reconciled_september();
    let (mut s, mut log) = (s0.clone(), log0.clone());
    let by_ref = |s: &State, r: &str| {
        s.bank_lines
            .values()
            .find(|l| l.reference == r)
            .map(|l| l.id.clone())
            .unwrap()
    };
    let (line_a, line_b, line_c) = (
        by_ref(&s, "CHQ A"),
        by_ref(&s, "CHQ B"),
        by_ref(&s, "CHQ C"),
    );
    let item_of = |s: &State, memo: &str| {
        s.book_items
            .values()
            .find(|i| {
                s.receipts
                    .get(&i.doc.to_code())
                    .is_some_and(|r| r.reference == memo)
            })
            .map(|i| i.id.clone())
            .unwrap()
    };
    let (item_a, item_c, item_e) = (
        item_of(&s, "CHQ A"),
        item_of(&s, "CHQ C"),
        item_of(&s, "CHQ E"),
    );
    let (lines, items) = (s.bank_lines.len(), s.book_items.len());
    assert_eq!((lines, items), (5, 5));

    // September is settled but for C's line, whose item is dated October.
    let events = run_at(
        &mut s,
        &mut log,
        "CTRL1",
        json!({"cmd": "archive_closed", "before": "2026-10-10"}),
        "2026-10-21",
    )
    .expect("archived");
    let [Event::BankArchived(b)] = events.as_slice() else {
        panic!("one bank archive: {events:?}");
    };
    assert_eq!(
        b.through,
        chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap()
    );
    let mut gone: Vec<&str> = b.lines.iter().map(|l| l.id.as_str()).collect();
    gone.sort();
    assert_eq!(gone.len(), 2, "A's line and the fee: {gone:?}");
    assert!(gone.contains(&line_a.as_str()));
    assert_eq!(
        b.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        vec![item_a.clone()]
    );
    assert!(!s.bank_lines.contains_key(&line_a) && !s.book_items.contains_key(&item_a));
    assert!(s.bank_lines.contains_key(&line_c) && s.book_items.contains_key(&item_c));
    assert_eq!(s.ledger, s0.ledger, "archiving moved the books");
    holds_and_replays(&s, &log);
    // Nothing more is settled by September: the next archive finds none.
    let again = run_at(
        &mut s,
        &mut log,
        "CTRL1",
        json!({"cmd": "archive_closed", "before": "2026-10-10"}),
        "2026-10-21",
    );
    assert!(
        matches!(again, Err(depot::core::Rejection::NothingToArchive { .. })),
        "{again:?}"
    );

    // August ends before what was archived: refused here, not without it.
    let aug = json!({"cmd": "mark_bank_reconciled", "entity": "US01", "period": "FY2026-08"});
    let refused = run_at(&mut s, &mut log, "CTRL1", aug.clone(), "2026-10-21");
    assert!(
        matches!(&refused, Err(r) if r.code() == "bank_archived" && r.to_string().contains("2026-09-30")),
        "{refused:?}"
    );
    let (mut t, mut tlog) = (s0.clone(), log0.clone());
    run_at(&mut t, &mut tlog, "CTRL1", aug, "2026-10-21").expect("August without the archive");

    // October, in both: the same figures (E outstanding, 500.00).
    let oct = json!({"cmd": "mark_bank_reconciled", "entity": "US01", "period": "FY2026-10"});
    let (mut u, mut ulog) = (s0.clone(), log0.clone());
    let with = reconciled(&run_at(&mut s, &mut log, "CTRL1", oct.clone(), "2026-11-05").unwrap());
    let without = reconciled(&run_at(&mut u, &mut ulog, "CTRL1", oct, "2026-11-05").unwrap());
    assert_eq!(with, without);
    assert_eq!(with.1, rust_decimal::Decimal::new(50000, 2));

    // Through October: the rest of the statement, and E stays uncleared.
    let events = run_at(
        &mut s,
        &mut log,
        "CTRL1",
        json!({"cmd": "archive_closed", "before": "2026-11-10"}),
        "2026-11-11",
    )
    .expect("archived");
    assert!(
        matches!(events.as_slice(), [Event::BankArchived(b)] if b.lines.len() == 3 && b.items.len() == 3)
    );
    assert!(s.bank_lines.is_empty());
    assert_eq!(
        s.book_items.keys().cloned().collect::<Vec<_>>(),
        vec![item_e.clone()]
    );
    assert_eq!(
        s.bank_archived_through.get(&"US01".to_code()).copied(),
        chrono::NaiveDate::from_ymd_opt(2026, 10, 31)
    );
    holds_and_replays(&s, &log);

    // The store: the tree holds the nine documents (five lines, four
    // items), `depot check`
    // compares them, a line reads back with the item it cleared.
    let tmp = tempfile::tempdir().unwrap();
    store_with(&log, tmp.path(), false);
    let store = Store::open(tmp.path()).unwrap();
    assert_eq!(store.archived_count(), 9);
    let docs = store.archived_bank(&line_b).unwrap();
    assert!(
        matches!(docs.as_slice(), [ArchivedDoc::BankLine(l), ArchivedDoc::BookItem(i)]
            if l.id == line_b && l.amount == i.amount && i.cleared_by.as_ref() == Some(&line_b)),
        "{docs:?}"
    );
    assert!(store.archived_bank(&item_e).unwrap().is_empty());
    let report = depot::check::verify(&store).expect("check passes");
    assert_eq!(report.archived, 9);
    store
        .remove_archived(&format!("bank-line/{line_c}"))
        .unwrap();
    let err = depot::check::verify(&store).expect_err("a missing line fails");
    assert!(
        err.contains(&format!("bank-line/{line_c}")) && err.contains("missing"),
        "{err}"
    );
}

/// A bank archive that does not hold to the replayed state fails the
/// replay, naming the line.
#[test]
fn a_tampered_bank_archive_fails_the_replay() {
    let (mut s, mut log) = reconciled_september();
    run_at(
        &mut s,
        &mut log,
        "CTRL1",
        json!({"cmd": "archive_closed", "before": "2026-10-10"}),
        "2026-10-21",
    )
    .expect("archived");
    let last = log.last_mut().unwrap();
    let depot::core::Outcome::Committed(events) = &mut last.outcome else {
        panic!("committed");
    };
    let Some(Event::BankArchived(b)) = events.first_mut() else {
        panic!("a bank archive");
    };
    b.lines[0].amount += rust_decimal::Decimal::ONE;
    let id = b.lines[0].id.to_string();
    let mut r = depot::core::invariants::Replayer::default();
    let mut failed = None;
    for env in &log {
        if let Err(v) = r.step(env) {
            failed = Some(v.to_string());
            break;
        }
    }
    let failed = failed.expect("the replay fails");
    assert!(
        failed.contains(&id) && failed.contains("differs"),
        "{failed}"
    );
}

/// One command's share of the bank book counts the book items a line
/// cleared with the line: a deposit that cleared hundreds of receipts
/// does not ride in with a thousand other lines. The first line is taken
/// whatever it clears.
#[test]
fn a_bank_archive_counts_the_items_a_line_cleared() {
    use depot::core::bank::settled;
    let (s, _) = reconciled_september();
    let before = chrono::NaiveDate::from_ymd_opt(2026, 10, 10).unwrap();
    // Settled: A's line (matched to one receipt), then the fee (posted).
    let taken = |max: usize| {
        let out = settled(&s, before, max);
        let lines: usize = out.iter().map(|b| b.lines.len()).sum();
        let items: usize = out.iter().map(|b| b.items.len()).sum();
        (lines, items)
    };
    assert_eq!(taken(1), (1, 1), "the first line goes whatever it clears");
    assert_eq!(taken(2), (1, 1), "the fee would make three");
    assert_eq!(taken(3), (2, 1));
    assert_eq!(taken(1_000), (2, 1), "C's line waits for October");
}

/// Eight orders over eight days for two customers, each shipped,
/// invoiced and paid the next day (the last on its day; every third
/// cheque 5.00 over), then archived in two runs (before day 5 and day
/// 12): the state before archiving, after, and the log.
fn eight_days_archived() -> (State, State, Vec<Envelope>) {
    use rust_decimal::Decimal;
    let (mut s, mut log) = (State::default(), Vec::new());
    for body in depot::io::demo::commands(now().date_naive(), 0).unwrap() {
        run(
            &mut s,
            &mut log,
            "ADMIN",
            serde_json::to_value(body).unwrap(),
        );
    }
    let day = |k: u32| now().date_naive() + chrono::Days::new(u64::from(k));
    for k in 1..=8u32 {
        let at = day(k).to_string();
        let customer = if k % 2 == 0 { "C0001" } else { "C0002" };
        let qty = 1 + k % 3;
        let n = format!("{k:06}");
        let weight = (Decimal::new(1311, 3) * Decimal::from(qty)).to_string();
        for (op, body) in [
            (
                "CLERK1",
                json!({"cmd": "place_order", "customer": customer, "lines": [{"sku": "FAS-1001", "qty": qty.to_string(), "warehouse": "CHI"}]}),
            ),
            (
                "SHIP1",
                json!({"cmd": "release_order", "number": format!("SO-{n}")}),
            ),
        ] {
            run_at(&mut s, &mut log, op, body, &at).unwrap_or_else(|r| panic!("day {k}: {r}"));
        }
        let bin = s.picks[&format!("PK-{n}").to_code()].lines[0]
            .bin
            .to_string();
        let steps = [
            (
                "PICK1",
                json!({"cmd": "confirm_pick", "list": format!("PK-{n}"), "line": 1, "bin": bin, "item": "FAS-1001", "qty": qty.to_string()}),
            ),
            (
                "PACK1",
                json!({"cmd": "pack_carton", "list": format!("PK-{n}"), "contents": [{"item": "FAS-1001", "qty": qty.to_string()}], "weight": weight}),
            ),
            (
                "SHIP1",
                json!({"cmd": "ship_pick", "list": format!("PK-{n}"), "carrier": "FEDEX", "service": "GND"}),
            ),
            (
                "AR1",
                json!({"cmd": "invoice_shipments", "shipments": [format!("SH-{n}")]}),
            ),
        ];
        for (op, body) in steps {
            run_at(&mut s, &mut log, op, body, &at).unwrap_or_else(|r| panic!("day {k}: {r}"));
        }
        let total = s.invoices[&format!("IN-{n}").to_code()].total;
        let over = if k % 3 == 0 {
            Decimal::new(500, 2)
        } else {
            Decimal::ZERO
        };
        // Paid the day after, the last one on the day it was invoiced.
        let paid = if k == 8 {
            at.clone()
        } else {
            day(k + 1).to_string()
        };
        run_at(&mut s, &mut log, "AR1", json!({"cmd": "receive_payment", "customer": customer, "method": "cheque", "amount": (total + over).to_string(), "reference": format!("CHQ {k}"), "apply": [{"invoice": format!("IN-{n}"), "amount": total.to_string()}]}), &paid)
            .unwrap_or_else(|r| panic!("day {k}: {r}"));
    }
    let unarchived = s.clone();
    for before in [day(5), day(12)] {
        run_at(
            &mut s,
            &mut log,
            "CTRL1",
            json!({"cmd": "archive_closed", "before": before.to_string()}),
            &day(12).to_string(),
        )
        .expect("archived");
    }
    assert!(
        s.invoices.is_empty() && s.receipts.is_empty(),
        "all archived"
    );
    assert_eq!(s.archived_statement.len(), 2, "one total per customer");
    assert_eq!(s.archived_sales_by_item.len(), 1, "one total per item");
    (unarchived, s, log)
}

/// Eight orders over eight days for two customers, each shipped,
/// invoiced and paid (some cheques over, leaving credit on account), then
/// archived in two runs. The state keeps one total per customer and per
/// item, not one per day: as of any day, before, among or after the
/// archived documents, the margin report's rows and each statement's
/// balance, aging and brought-forward amount are what they were before
/// archiving, with what the archive holds after the day read from the
/// record's documents and from a store's index alike. Without it, a
/// report of an earlier day asks for it rather than answering wrong.
#[test]
fn reports_as_of_any_day_are_the_same_archived_or_not() {
    use depot::core::archive::{CarriedError, Later};
    use depot::report::ReportError;
    use rust_decimal::Decimal;
    let (unarchived, s, log) = eight_days_archived();
    let day = |k: u32| now().date_naive() + chrono::Days::new(u64::from(k));
    let docs: Vec<ArchivedDoc> = log
        .iter()
        .flat_map(|e| e.events().to_vec())
        .flat_map(|e| depot::core::archive::event_docs(&e))
        .collect();
    assert_eq!(later_in(&log, day(0), None).invoices.len(), 8);
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(tmp.path()).unwrap();
        store.append(&log).unwrap();
        store.flush().unwrap();
        store.close().unwrap();
    }
    let store = Store::open(tmp.path()).unwrap();
    assert!(
        !store.archive_indexed().unwrap(),
        "appended, never opened by an engine"
    );
    store.recover().unwrap();
    assert!(store.archive_indexed().unwrap(), "a whole replay wrote it");
    // An aging counts an archived invoice by the entity in the head of
    // its bytes, the frame checked: the same entity the whole invoice
    // holds; a damaged frame is damage, not a count.
    let mut heads = 0;
    for d in &docs {
        if let ArchivedDoc::Invoice(i) = d {
            let got = store.archived_invoice_entity(&i.number).unwrap();
            assert_eq!(got.as_ref(), Some(&i.entity), "{}", i.number);
            let mut bytes = depot::store::codec::encode_archived(7, d).unwrap();
            let (_, (variant, head)) = depot::store::codec::decode_archived_head::<(
                u32,
                depot::core::archive::InvoiceHead,
            )>(&bytes)
            .unwrap();
            assert_eq!(variant, depot::core::archive::INVOICE_VARIANT);
            assert_eq!((&head.number, &head.customer), (&i.number, &i.customer));
            let last = bytes.len() - 1;
            bytes[last] ^= 0x40;
            assert!(depot::store::codec::decode_archived_head::<(
                u32,
                depot::core::archive::InvoiceHead,
            )>(&bytes)
            .is_err());
            heads += 1;
        }
    }
    assert_eq!(heads, 8);
    assert_eq!(store.archived_invoice_entity("NO-SUCH").unwrap(), None);
    // A read its caller gives up stops, and says so.
    assert!(matches!(
        store.later_while(day(0), None, Need::Aging, &|| false),
        Err(depot::store::StoreError::Stopped)
    ));
    let margin = |s: &State, by: &str, d, later: Option<Later>| {
        let mut o = depot::report::Options::new(None, d);
        o.by = Some(by.to_string());
        o.later = later.map(std::sync::Arc::new);
        depot::report::build_with("margin", s, &o).map(|t| t.rows)
    };
    let (mut asked, mut open_then) = (0, 0);
    for k in 0..=13 {
        let d = day(k);
        let from_docs = |c: Option<&str>| Later::from_docs(&docs, d, c, Need::All);
        let for_aging = |c: Option<&str>| Later::from_docs(&docs, d, c, Need::Aging);
        // The store's index reads what the records hold.
        for c in [None, Some("C0001"), Some("C0002")] {
            let all = from_docs(c);
            assert_eq!(store.later(d, c, Need::All).unwrap(), all, "{d} {c:?}");
            let aging = for_aging(c);
            assert_eq!(store.later(d, c, Need::Aging).unwrap(), aging, "{d} {c:?}");
            // An aging's read holds the receipts and what they paid, and
            // counts the invoices after the day without holding them.
            assert!(
                aging.invoices.is_empty() && aging.shipments.is_empty() && aging.last.is_empty()
            );
            assert_eq!((&aging.receipts, &aging.paid), (&all.receipts, &all.paid));
            assert_eq!(
                aging.invoices_after.values().sum::<u64>(),
                all.invoices.len() as u64,
                "{d} {c:?}"
            );
        }
        for by in ["customer", "channel", "item"] {
            let want = margin(&unarchived, by, d, None).unwrap();
            match margin(&s, by, d, None) {
                Ok(rows) => assert_eq!(rows, want, "{d} by {by}"),
                Err(ReportError::Archive(CarriedError::NeedsArchive {
                    day: x,
                    customer: None,
                    need: Need::All,
                })) => {
                    assert_eq!(x, d);
                    asked += 1;
                }
                Err(e) => panic!("{d}: {e}"),
            }
            assert_eq!(
                margin(&s, by, d, Some(from_docs(None))).unwrap(),
                want,
                "{d} by {by}"
            );
            assert_eq!(
                margin(&s, by, d, Some(store.later(d, None, Need::All).unwrap())).unwrap(),
                want
            );
            // What an aging read is not enough for the margin.
            if depot::core::archive::needs_later(&s, d) {
                assert!(matches!(
                    margin(&s, by, d, Some(for_aging(None))),
                    Err(ReportError::Archive(CarriedError::NeedsArchive {
                        need: Need::All,
                        ..
                    }))
                ));
            }
        }
        // The AR aging: an archived invoice paid after the day was open on it.
        let aging = |s: &State, later: Option<Later>| {
            let mut o = depot::report::Options::new(None, d);
            o.later = later.map(std::sync::Arc::new);
            depot::report::build_with("aging-ar", s, &o).map(|t| t.rows)
        };
        let want = aging(&unarchived, None).unwrap();
        let with_notes = |s: &State, later: Option<Later>| {
            let mut o = depot::report::Options::new(None, d);
            o.later = later.map(std::sync::Arc::new);
            depot::report::build_with("aging-ar", s, &o).map(|t| t.notes)
        };
        let notes = with_notes(&unarchived, None).unwrap();
        for need in [Need::All, Need::Aging] {
            let read = Later::from_docs(&docs, d, None, need);
            assert_eq!(aging(&s, Some(read.clone())).unwrap(), want, "{d}");
            // Its note counts the invoices dated after the day, archived too.
            assert_eq!(with_notes(&s, Some(read)).unwrap(), notes, "{d}");
            assert_eq!(
                aging(&s, Some(store.later(d, None, need).unwrap())).unwrap(),
                want,
                "{d}"
            );
        }
        // The finance views' AR aging reads the same open items.
        {
            use depot::ui::screens::finance_views::{grid, Scope, View};
            let scope = Scope::Entity("US01".into());
            let cells = |g: depot::ui::screens::finance_views::Grid| {
                g.rows.into_iter().map(|r| r.cells).collect::<Vec<_>>()
            };
            let want = cells(grid(&unarchived, View::AgingAr, &scope, d, None));
            let later = for_aging(None);
            let got = cells(grid(&s, View::AgingAr, &scope, d, Some(&later)));
            assert_eq!(got, want, "{d}");
            // Without it, an invoice open that day and archived since is lost.
            if cells(grid(&s, View::AgingAr, &scope, d, None)) != want {
                open_then += 1;
            }
        }
        // The last cheque is of day 8: before it, the aging asks.
        assert_eq!(aging(&s, None).is_err(), d < day(8), "{d}");
        for c in ["C0001", "C0002"] {
            let want = depot::report::statement_data(&unarchived, c, d).unwrap();
            let archived: Decimal = want.lines.iter().map(|l| l.amount).sum();
            for later in [
                from_docs(Some(c)),
                from_docs(None),
                store.later(d, Some(c), Need::All).unwrap(),
            ] {
                let got = depot::report::statement_data_with(&s, c, d, Some(&later)).unwrap();
                assert_eq!(
                    (got.balance, got.aging),
                    (want.balance, want.aging),
                    "{d} {c}"
                );
                match &got.lines[..] {
                    [] => assert!(want.lines.is_empty(), "{d} {c}"),
                    [line] => {
                        assert_eq!(line.amount, archived, "{d} {c}");
                        assert_eq!(
                            Some(line.date),
                            want.lines.last().map(|l| l.date),
                            "{d} {c}"
                        );
                    }
                    more => panic!("{d} {c}: {more:?}"),
                }
            }
            // A later that is of another day or customer is not taken.
            let other = Later::from_docs(&docs, d.succ_opt().unwrap(), Some(c), Need::All);
            let wrong = if c == "C0001" { "C0002" } else { "C0001" };
            // (Nor one read for an aging: it holds no invoice.)
            for later in [other, from_docs(Some(wrong)), for_aging(Some(c))] {
                if depot::core::archive::statement_needs_archive(&s, c, d) {
                    assert!(matches!(
                        depot::report::statement_data_with(&s, c, d, Some(&later)),
                        Err(ReportError::Archive(CarriedError::NeedsArchive { .. }))
                    ));
                }
            }
        }
    }
    assert!(
        asked > 0,
        "some days are before the latest archived invoice"
    );
    assert!(open_then > 0, "some days had an archived invoice open");
    // `depot check` holds the index to the records: a lost entry is named.
    depot::check::verify(&store).expect("check passes");
    let invoice = docs
        .iter()
        .find(|d| d.key() == "invoice/IN-000003")
        .expect("archived");
    let keys = depot::store::day_keys(invoice);
    assert_eq!(keys.len(), 2, "by day, and by customer and day");
    let mut store = store;
    for key in keys {
        let held = store.archived_raw(&key).unwrap();
        assert_eq!(held, Some(Vec::new()));
        store.remove_archived(&key).unwrap();
        let err = depot::check::verify(&store).expect_err("a lost index entry fails");
        assert!(err.contains(&key) && err.contains("missing"), "{err}");
        // Recovery writes it back from the record.
        drop(store);
        store = Store::open(tmp.path()).unwrap();
        store.recover().unwrap();
        let notices = store.take_notices();
        assert!(
            notices
                .iter()
                .any(|n| n.contains("wrote 1 missing entry of the archive's index")),
            "{notices:?}"
        );
        depot::check::verify(&store).expect("check passes after the repair");
    }
}

/// The finance views' AR aging as of a day before the latest archived
/// document, on a running engine: the archive is read on the backend's
/// worker, never while the screen draws. The first frame says it is
/// reading (and the session is told to draw again); once read, the grid
/// is the unarchived state's; a commit by anyone rebuilds it from what
/// was read, without reading the archive again.
#[test]
fn the_finance_views_read_the_archive_off_the_screen() {
    use depot::engine::{Engine, EngineConfig, Submission};
    use depot::ui::app::{App, Keymaps};
    use depot::ui::screens::finance_views::{grid, scopes, FinanceViews, Scope, View};
    use ratatui::{backend::TestBackend, Terminal};
    let (unarchived, s, log) = eight_days_archived();
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(tmp.path()).unwrap();
        store.append(&log).unwrap();
        store.flush().unwrap();
        store.close().unwrap();
    }
    let engine = Engine::start(Store::open(tmp.path()).unwrap(), EngineConfig::default()).unwrap();
    let backend = depot::ui_backend::EngineBackend::new(engine.clone());
    let d = now().date_naive() + chrono::Days::new(3);
    assert!(s.archived_through > Some(d), "the day needs the archive");
    let scope = Scope::Entity("US01".into());
    let at = scopes(&s).iter().position(|x| *x == scope).unwrap();
    let mut app = App::new(
        Keymaps::load(None).unwrap(),
        false,
        Some("CTRL1".into()),
        "t",
        &backend,
    );
    app.open_screen(
        |_| Box::new(FinanceViews::at(View::AgingAr, at, d)),
        &backend,
    );
    let draw = |app: &mut App| {
        let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
        t.draw(|f| app.view(f, &backend)).unwrap();
        let buf = t.backend().buffer().clone();
        (0..30)
            .map(|y| (0..100).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect::<String>()
    };
    let first = draw(&mut app);
    assert!(
        first.contains("reading the archive") && app.waiting(),
        "{first}"
    );
    // Wait for the worker (looked for every 25 ms, at most 60 s: a bound
    // for a hung read, not a speed check).
    let mut shown = first;
    for _ in 0..2400 {
        if !app.waiting() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
        shown = draw(&mut app);
    }
    assert!(!app.waiting() && !shown.contains("archive"), "{shown}");
    let want = grid(&unarchived, View::AgingAr, &scope, d, None);
    let total = want.rows.iter().find(|r| r.total).expect("a total row");
    let without = grid(&s, View::AgingAr, &scope, d, None);
    assert_ne!(
        without.rows.iter().find(|r| r.total).map(|r| &r.cells),
        Some(&total.cells),
        "the archive changes this day's aging"
    );
    let line = shown
        .lines()
        .find(|l| l.contains("TOTAL"))
        .unwrap_or_else(|| panic!("{shown}"));
    let got: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter(|x| !x.is_empty())
        .collect();
    let want_cells: Vec<&str> = total
        .cells
        .iter()
        .map(String::as_str)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(got, want_cells, "{shown}");
    // A commit by someone else: the grid is rebuilt at once, from what
    // was read (the archive did not move).
    let body: CommandBody = serde_json::from_value(json!({"cmd": "place_order", "customer": "C0001", "lines": [{"sku": "FAS-1001", "qty": "1", "warehouse": "CHI"}]})).unwrap();
    let reply = engine
        .submit(Submission {
            operator: "CLERK1".into(),
            session: "counter".into(),
            key: None,
            body,
        })
        .unwrap();
    assert!(reply.outcome.is_ok(), "{reply:?}");
    app.committed(&backend);
    let again = draw(&mut app);
    assert!(!app.waiting() && again.contains(line), "{again}");
    engine.shutdown().unwrap();
}
