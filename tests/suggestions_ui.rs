//! Issue 23 on the screens: the models' worker trains in the background
//! and publishes with the record it trained on; every suggestion a screen
//! shows carries its reasons (snapshots), and a person acts on it through
//! the screen where the work is.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use depot::core::types::ToCode;
use depot::engine::View;
use depot::history::{generate, HistorySpec};
use depot::ui::model_worker::{ModelWorker, Policy};
use depot::ui::testing::{Driver, MemBackend};
use std::sync::{Arc, Mutex, OnceLock};

fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date")
}

/// Two months of seeded history (built once per test binary).
fn history() -> depot::core::State {
    static H: OnceLock<depot::core::State> = OnceLock::new();
    H.get_or_init(|| {
        // Seed 7: its riskiest open orders include some the queue does
        // not list already as backorders past their promise (with seed
        // 5, since the history has stock-outs, every risky order is).
        generate(HistorySpec::new(2, 7, end()))
            .expect("history")
            .state
    })
    .clone()
}

fn at(min: i64) -> DateTime<Utc> {
    Utc.from_utc_datetime(&end().and_hms_opt(16, 0, 0).expect("a time"))
        + chrono::Duration::minutes(min)
}

/// Wait until `ok` holds: a liveness bound for a hung worker (2,400
/// looks 25 ms apart), not a speed check.
fn wait_for(what: &str, ok: impl Fn() -> bool) {
    for _ in 0..2400 {
        if ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("never saw {what}");
}

#[test]
fn the_worker_publishes_for_a_state_and_says_how_stale_it_is() {
    let state = history();
    let seq0 = state.seq;
    let view = Arc::new(Mutex::new(View {
        seq: seq0,
        state: Arc::new(state),
    }));
    let clock = Arc::new(Mutex::new(at(0)));
    let (v, c) = (view.clone(), clock.clone());
    let worker = ModelWorker::start(
        move || v.lock().expect("view").clone(),
        move || *c.lock().expect("clock"),
        Policy {
            records: 5,
            minutes: 10,
            look_ms: 600_000,
        },
    )
    .expect("the worker starts");
    wait_for("a first training", || worker.looks() >= 1);
    let first = worker.latest().expect("published");
    assert_eq!(first.seq, seq0);
    assert_eq!(first.trained_at, at(0));
    assert!(!first.late.is_empty(), "no order at risk");
    assert!(!first.collections.is_empty(), "nothing to chase");
    assert!(first.late.iter().all(|r| !r.reasons.is_empty()));
    assert!(first.collections.iter().all(|r| !r.reasons.is_empty()));
    assert_eq!(first.stale(seq0, at(0)), None);

    // Two records on, three minutes later: not worth training again.
    view.lock().expect("view").seq = seq0 + 2;
    *clock.lock().expect("clock") = at(3);
    let looked = worker.looks();
    worker.nudge();
    wait_for("a look after the nudge", || worker.looks() > looked);
    let same = worker.latest().expect("published");
    assert_eq!(same.seq, seq0);
    assert_eq!(
        same.stale(seq0 + 2, at(3)).as_deref(),
        Some(format!("trained on record {seq0}, 2 records and 3 min ago").as_str())
    );

    // Ten minutes after the training, any change is enough.
    *clock.lock().expect("clock") = at(10);
    worker.nudge();
    wait_for("a training on the newer record", || {
        worker.latest().is_some_and(|s| s.seq == seq0 + 2)
    });
    assert_eq!(worker.latest().expect("published").trained_at, at(10));

    // Five records on: trained again at once.
    view.lock().expect("view").seq = seq0 + 7;
    *clock.lock().expect("clock") = at(11);
    worker.nudge();
    wait_for("a training five records on", || {
        worker.latest().is_some_and(|s| s.seq == seq0 + 7)
    });
}

#[test]
fn a_backend_without_models_shows_no_suggestion_and_says_so() {
    let b = MemBackend::new(history(), at(0));
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue")
        .expect("supervisors see the queue");
    let s = d.screen(80, 24);
    assert!(!s.contains("predicted"), "{s}");
}

/// The history with its models trained, as the worker would publish them.
fn trained() -> MemBackend {
    let b = MemBackend::new(history(), at(0));
    b.train_models();
    b
}

#[test]
fn the_queue_lists_orders_likely_to_ship_late_with_their_reasons() {
    let b = trained();
    let sugg = b.models.borrow().clone().expect("trained");
    // The riskiest open order the queue lists as a prediction (one that
    // is already a backorder past its promise is listed as that).
    let st = b.state.borrow().clone();
    let clock = depot::core::exceptions::clock_exceptions(&st, at(0));
    let top = depot::ui::screens::exceptions::predictions(&st, &sugg, &clock, "")
        .first()
        .expect("an open order with a risk, not in the queue already")
        .risk
        .clone();
    assert!(
        top.p_late >= depot::ui::model_worker::LATE_QUEUE_MIN,
        "the riskiest open order is at {:.2}",
        top.p_late
    );
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue")
        .expect("supervisors see the queue");
    let s = d.screen(132, 43);
    assert!(s.contains("predicted late"), "{s}");
    // Filter to the predictions, the riskiest first and selected.
    d.typed("predicted").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("order {}", top.order)), "{s}");
    assert!(s.contains("because"), "{s}");
    assert!(s.contains("log-odds"), "{s}");
    assert!(s.contains(&top.reasons[0].0), "{s}");
    insta::assert_snapshot!("exceptions_predicted_80x24", s);
    // It blocks nothing: approving says so and changes nothing.
    let before = b.state.borrow().seq;
    d.press("f2");
    let s = d.screen(80, 24);
    assert!(s.contains("is a prediction, not a hold"), "{s}");
    assert_eq!(b.state.borrow().seq, before);
    assert!(b.log.borrow().is_empty());
    // Enter opens the order, where the work is.
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("order inquiry"), "{s}");
    assert!(s.contains(&top.order), "{s}");
}

#[test]
fn the_collections_worklist_ranks_receivables_with_their_reasons() {
    let b = trained();
    let sugg = b.models.borrow().clone().expect("trained");
    let first = sugg
        .collections
        .iter()
        .find(|c| {
            b.state
                .borrow()
                .invoices
                .get(&c.invoice.to_code())
                .is_some_and(|i| !i.base_open.is_zero())
        })
        .expect("a receivable to chase")
        .clone();
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Collections")
        .expect("the AR clerk sees collections");
    let s = d.screen(80, 24);
    assert!(s.contains(&first.invoice), "{s}");
    assert!(s.contains("because late "), "{s}");
    assert!(s.contains(" invoices due;"), "{s}");
    assert!(s.contains("p(late)"), "{s}");
    insta::assert_snapshot!("collections_80x24", s);
    // Enter opens the customer's cash application.
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("cash application"), "{s}");
    assert!(s.contains(&first.customer), "{s}");
}

/// AR1 receives `amount` by transfer from the customer of invoice
/// `number`, applied to it (`settle`: the rest settled short).
fn receive(b: &MemBackend, number: &str, amount: rust_decimal::Decimal, settle: bool) {
    let customer = b.state.borrow().invoices[&number.to_code()]
        .customer
        .to_string();
    let body: depot::core::CommandBody = serde_json::from_value(serde_json::json!({
        "cmd": "receive_payment", "customer": customer, "method": "transfer",
        "amount": amount.to_string(),
        "apply": [{"invoice": number, "amount": amount.to_string(), "settle": settle}]}))
    .expect("a payment");
    b.exec("AR1", body).expect("received");
}

/// What came in since the models trained counts at once: a receivable
/// paid all but a little drops down the worklist with its exposure and
/// score as they are now (not as trained), and one whose whole open
/// amount the customer disputes leaves the list (the dispute is worked,
/// not chased), without waiting for the models to retrain.
#[test]
fn the_collections_worklist_weighs_what_is_open_now() {
    use depot::ui::screens::collections::worklist_all;
    use rust_decimal::Decimal;
    let b = trained();
    let sugg = b.models.borrow().clone().expect("trained");
    let before = worklist_all(&b.state.borrow(), &sugg, "");
    assert!(before.len() > 3, "{} receivables", before.len());
    let (top, second) = (before[0].clone(), before[1].clone());
    let pay = |number: &str, amount: Decimal, settle: bool| receive(&b, number, amount, settle);
    // The top receivable paid all but a tenth: what is left is chased.
    let open = b.state.borrow().invoices[&top.suggestion.invoice.to_code()].open;
    let left = (open / Decimal::from(10)).round_dp(2);
    pay(&top.suggestion.invoice, open - left, false);
    // The second paid short beyond the tolerance and settled: the rest
    // is disputed, all of what is open.
    let open2 = b.state.borrow().invoices[&second.suggestion.invoice.to_code()].open;
    pay(&second.suggestion.invoice, Decimal::from(1), true);
    {
        let s = b.state.borrow();
        let i = &s.invoices[&second.suggestion.invoice.to_code()];
        assert_eq!(i.disputed, open2 - Decimal::ONE, "{i:?}");
    }
    let after = worklist_all(&b.state.borrow(), &sugg, "");
    assert!(
        after
            .iter()
            .all(|c| c.suggestion.invoice != second.suggestion.invoice),
        "a wholly disputed receivable is still listed for chasing"
    );
    let now = after
        .iter()
        .find(|c| c.suggestion.invoice == top.suggestion.invoice)
        .expect("the part paid receivable is still listed");
    let base_left = b.state.borrow().invoices[&top.suggestion.invoice.to_code()].base_open;
    assert_eq!(now.suggestion.exposure, base_left);
    assert!(now.suggestion.score < top.suggestion.score / 5.0, "{now:?}");
    assert!(now.rank > 1, "still ranked first on a tenth of it: {now:?}");
    assert!(
        now.suggestion
            .reasons
            .iter()
            .any(|(w, v)| w == "exposure" && *v == depot::query::format_amount(base_left, 2)),
        "{now:?}"
    );
    // Ranks run 1, 2, 3 ... by the score as it is now.
    for (i, w) in after.windows(2).enumerate() {
        assert_eq!(w[0].rank, i + 1);
        assert!(w[0].suggestion.score >= w[1].suggestion.score, "{w:?}");
    }
    // The screen shows the new figure, with the receivable's new rank.
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Collections").expect("collections");
    d.typed(&top.suggestion.invoice).press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!(
            "exposure {}",
            depot::query::format_amount(base_left, 2)
        )),
        "{s}"
    );
}

/// The cursor stays on the receivable it is on when the list re-ranks
/// under it (a payment took the top one off): the next key acts on the
/// invoice the clerk chose, not on whichever moved into its row; when the
/// one under the cursor is paid off, the next takes its place.
#[test]
fn the_collections_cursor_stays_on_its_invoice_when_the_list_reranks() {
    use depot::ui::screens::collections::worklist_all;
    let b = trained();
    let sugg = b.models.borrow().clone().expect("trained");
    let before = worklist_all(&b.state.borrow(), &sugg, "");
    assert!(before.len() > 4, "{} receivables", before.len());
    let pay_off = |number: &str| {
        let open = b.state.borrow().invoices[&number.to_code()].open;
        receive(&b, number, open, false);
    };
    let detail = |c: &depot::ui::screens::collections::Chase| {
        format!("{} of {}", c.suggestion.invoice, c.suggestion.customer)
    };
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Collections").expect("collections");
    d.press("down").press("down");
    let s = d.screen(80, 24);
    assert!(s.contains(&detail(&before[2])), "{s}");
    // The top one paid off: the third moves up to second, the cursor too.
    pay_off(&before[0].suggestion.invoice);
    d.committed();
    let s = d.screen(80, 24);
    assert!(
        s.contains(&detail(&before[2])),
        "the cursor left its invoice: {s}"
    );
    assert!(!s.contains(&before[0].suggestion.invoice), "{s}");
    // Enter opens the chosen invoice's customer, not the one moved under.
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains(before[2].suggestion.customer.as_str()), "{s}");
    d.press("esc");
    // The one under the cursor paid off: the next one takes its place.
    pay_off(&before[2].suggestion.invoice);
    d.committed();
    let now = worklist_all(&b.state.borrow(), &sugg, "");
    let s = d.screen(80, 24);
    assert!(s.contains(&detail(&now[1])), "{s}");
}

/// Ship open order `number` in full as the history does (release, pick,
/// pack, ship), not invoiced; its shipment's number.
fn ship(b: &MemBackend, number: &str) -> String {
    use depot::core::CommandBody;
    b.exec(
        "GEN",
        CommandBody::ReleaseOrder {
            number: number.into(),
        },
    )
    .expect("released");
    let list = {
        let s = b.state.borrow();
        s.picks
            .values_sorted()
            .into_iter()
            .find(|p| p.order == number)
            .expect("a pick list")
            .clone()
    };
    let mut contents = Vec::new();
    let mut kg = rust_decimal::Decimal::ZERO;
    for l in &list.lines {
        b.exec("GEN", CommandBody::pick_in_full(&list.number, l))
            .expect("picked");
        contents.push(depot::core::pack::CartonInput {
            item: l.sku.to_string(),
            qty: Some(l.qty),
        });
        kg += l.qty * b.state.borrow().items[&l.sku].weight_kg;
    }
    b.exec(
        "GEN",
        CommandBody::PackCarton {
            list: list.number.clone(),
            contents,
            weight: kg.round_dp(3),
            tare: rust_decimal::Decimal::ZERO,
        },
    )
    .expect("packed");
    let carrier = b.state.borrow().orders[&number.to_code()].carrier.clone();
    let service = b.state.borrow().orders[&number.to_code()].service.clone();
    b.exec(
        "GEN",
        CommandBody::ShipPick {
            list: list.number.clone(),
            carrier: carrier.unwrap_or_else(|| "UPS".into()),
            service: service.unwrap_or_else(|| "GROUND".into()),
            tracking: String::new(),
            freight: rust_decimal::Decimal::new(950, 2),
        },
    )
    .expect("shipped");
    let s = b.state.borrow();
    s.shipments
        .values_sorted()
        .into_iter()
        .find(|x| x.order == number)
        .expect("a shipment")
        .number
        .to_string()
}

#[test]
fn an_invoice_is_checked_before_it_posts_and_posts_only_when_confirmed() {
    let b = trained();
    // An open order with every line reserved, and a contract for its
    // first item entered after it was placed, 10% under its price.
    let (order, customer, sku, price, currency) = {
        let s = b.state.borrow();
        let o = s
            .orders
            .values_sorted()
            .into_iter()
            .rev()
            .find(|o| {
                o.status == depot::core::sales::OrderStatus::Open
                    && o.lines
                        .iter()
                        .all(|l| l.reserved == l.qty && l.shipped.is_zero())
            })
            .expect("an open order reserved in full");
        let l = &o.lines[0];
        (
            o.number.clone(),
            o.customer.clone(),
            l.sku.clone(),
            l.price,
            o.currency.to_string(),
        )
    };
    let contract = (price * rust_decimal::Decimal::new(9, 1)).round_dp(2);
    let body: depot::core::CommandBody = serde_json::from_value(serde_json::json!({
        "cmd": "create_contract_price", "code": "K-TEST", "customer": customer,
        "sku": sku, "currency": currency, "price": contract.to_string(),
        "valid_from": "2026-06-01", "valid_to": "2026-12-31"}))
    .expect("a contract command");
    b.exec("GEN", body).expect("contract entered");
    let shipment = ship(&b, &order);
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Invoicing").expect("the AR clerk invoices");
    let s = d.screen(80, 24);
    assert!(s.contains(&shipment), "{s}");
    // Select it (oldest first) and draft it.
    let at = depot::ui::screens::invoicing::waiting(&b.state.borrow())
        .iter()
        .position(|w| w.shipment == shipment)
        .expect("listed");
    for _ in 0..at {
        d.press("down");
    }
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("not posted"), "{s}");
    assert!(s.contains(&format!("price of {sku}")), "{s}");
    assert!(s.contains("vs contract K-TEST"), "{s}");
    insta::assert_snapshot!("invoicing_preview_80x24", s);
    // Nothing was posted by the draft.
    assert!(b.state.borrow().shipments[&shipment.to_code()]
        .invoice
        .is_none());
    assert!(b.log.borrow().is_empty());
    // F10 asks; no keeps it unposted; yes posts it.
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(s.contains("Post the invoice"), "{s}");
    d.press("n");
    assert!(b.state.borrow().shipments[&shipment.to_code()]
        .invoice
        .is_none());
    d.press("f10").press("y");
    let s = d.screen(80, 24);
    assert!(s.contains("posted"), "{s}");
    assert!(b.state.borrow().shipments[&shipment.to_code()]
        .invoice
        .is_some());
}

/// Issue 23: a person acts on a prediction in the queue, and it sticks.
/// The supervisor comments on the riskiest order (the comment shows in
/// the detail, beside the model's factors), gives it to somebody, and
/// snoozes it with a reason: it leaves the list until the date and comes
/// back on it with its owner and comment. Approve and reject still say it
/// is a prediction, and submit nothing.
#[test]
fn a_supervisor_comments_gives_and_snoozes_a_prediction_and_it_sticks() {
    use depot::core::exceptions::{ClockKey, Owner};
    let b = trained();
    let sugg = b.models.borrow().clone().expect("trained");
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue")
        .expect("supervisors see the queue");
    d.typed("predicted").press("enter");
    // One asked for two days on or later: on the day its snooze ends it
    // is still a prediction (an order past the day it was requested for
    // is late, a clock row of its own).
    let today = b.now.date_naive();
    let s = d.screen(80, 24);
    let risk = sugg
        .late
        .iter()
        .find(|r| {
            b.state.borrow().orders[&r.order.to_code()].requested
                >= today + chrono::Duration::days(2)
                && s.contains(&format!("order {} ", r.order))
        })
        .unwrap_or_else(|| panic!("a prediction asked for two days on: {s}"))
        .clone();
    let selected = |d: &mut Driver| {
        d.screen(80, 24)
            .lines()
            .find(|l| l.contains("> "))
            .unwrap_or_default()
            .contains(&format!("order {} ", risk.order))
    };
    for _ in 0..10 {
        if selected(&mut d) {
            break;
        }
        d.press("down");
    }
    assert!(selected(&mut d), "{}", d.screen(80, 24));
    let s = d.screen(80, 24);
    let listed = s
        .lines()
        .find_map(|l| {
            let (_, rest) = l.split_once("┌ ")?;
            rest.split_once(" waiting")?.0.parse::<usize>().ok()
        })
        .unwrap_or_else(|| panic!("a count of rows: {s}"));
    assert!(listed > 1, "{s}");
    let requested = b.state.borrow().orders[&risk.order.to_code()].requested;
    let key = ClockKey::LateRisk {
        order: risk.order.as_str().into(),
        requested,
    };
    let seq = b.state.borrow().seq;

    // Approve and reject: still a prediction, nothing submitted.
    d.press("f2");
    assert!(d.screen(80, 24).contains("is a prediction, not a hold"));
    d.press("f6");
    assert!(d.screen(80, 24).contains("is a prediction, not a hold"));
    assert_eq!(b.state.borrow().seq, seq);
    assert!(b.log.borrow().is_empty());

    // A comment: a command, kept by the core under the episode, shown
    // under the factors.
    d.press("f10")
        .typed("ODFL is slow this week: moved to FedEx")
        .press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains("SUP1: ODFL is slow this week: moved to FedEx"),
        "{s}"
    );
    assert!(s.contains("because"), "{s}");
    assert!(s.contains(&risk.reasons[0].0), "{s}");
    insta::assert_snapshot!("exceptions_predicted_commented_80x24", s);
    assert_eq!(b.state.borrow().seq, seq + 1);

    // Given to somebody: the owner column says so.
    d.press("f9").typed("@CTRL1").press("enter");
    let s = d.screen(80, 24);
    let line = s.lines().find(|l| l.contains("> ")).unwrap_or_default();
    assert!(line.contains("@CTRL1"), "{s}");
    assert!(s.contains("given to @CTRL1"), "{s}");

    // Snoozed with a reason: out of the list until the date.
    let until = today + chrono::Duration::days(2);
    d.press("f11")
        .typed(&format!("{until} customer agreed to wait"))
        .press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("snoozed until {until}")), "{s}");
    assert!(
        !s.lines()
            .any(|l| l.contains("late?") && l.contains(&format!("order {} ", risk.order))),
        "{s}"
    );
    assert!(s.contains(&format!("{} waiting", listed - 1)), "{s}");
    assert!(s.contains("snoozed)"), "{s}");
    assert_eq!(b.state.borrow().seq, seq + 3, "three commands, one each");
    let note = b
        .state
        .borrow()
        .clock_notes
        .get(&key)
        .cloned()
        .expect("noted");
    assert_eq!(note.owner, Some(Owner::Operator("CTRL1".into())));
    assert_eq!(
        note.snoozed,
        Some((until, "customer agreed to wait".to_string()))
    );
    assert_eq!(note.comments.len(), 1);

    // On the date it is back, with its owner and its comment, from the
    // same training.
    let later = MemBackend::new(b.state.borrow().clone(), b.now + chrono::Duration::days(2));
    *later.models.borrow_mut() = b.models.borrow().clone();
    let mut d = Driver::new(&later, Some("SUP1"));
    d.open("Exception queue")
        .expect("supervisors see the queue");
    d.typed(&format!("predicted {}", risk.order)).press("enter");
    let s = d.screen(80, 24);
    let line = s.lines().find(|l| l.contains("> ")).unwrap_or_default();
    assert!(line.contains(&format!("order {}", risk.order)), "{s}");
    assert!(line.contains("@CTRL1"), "{s}");
    assert!(s.contains("SUP1: ODFL is slow this week"), "{s}");
}

/// An invoice posted since the models trained is on the worklist at once
/// (the header counted only what the worker saw, and a clerk read it as
/// everything open): at its customer's estimate when the worker has one,
/// else last, its p(late) "new".
#[test]
fn the_collections_worklist_lists_an_invoice_posted_since_the_training() {
    use depot::core::counter::CounterLine;
    use depot::ui::screens::collections::{p_late_column, worklist_all};
    use rust_decimal::Decimal;
    let b = trained();
    let sugg = b.models.borrow().clone().expect("trained");
    let before = worklist_all(&b.state.borrow(), &sugg, "");
    let known: Vec<String> = b
        .state
        .borrow()
        .invoices
        .keys_sorted()
        .into_iter()
        .map(|k| k.to_string())
        .collect();
    // A customer on account that the worker has no estimate for, if any,
    // and one it has.
    let customers: Vec<String> = b
        .state
        .borrow()
        .customers
        .values()
        .filter(|c| c.active && !c.code.starts_with("WALKIN"))
        .map(|c| c.code.to_string())
        .collect();
    let estimated = |c: &str| {
        sugg.collections
            .iter()
            .any(|x| x.customer == c && x.days_past_due.is_none())
    };
    let mut sold = Vec::new();
    for c in [
        customers.iter().find(|c| estimated(c)),
        customers.iter().find(|c| !estimated(c)),
    ]
    .into_iter()
    .flatten()
    {
        let sale = depot::core::CommandBody::CounterSale {
            customer: c.as_str().into(),
            warehouse: "CHI".into(),
            lines: vec![CounterLine {
                sku: "FAS-1000".into(),
                qty: Decimal::ONE,
                unit: None,
                price: None,
            }],
            payment: None,
            payments: vec![],
        };
        if b.exec("ADMIN", sale).is_ok() {
            let s = b.state.borrow();
            let new = s
                .invoices
                .keys_sorted()
                .into_iter()
                .find(|k| !known.contains(&k.to_string()) && !sold.iter().any(|(n, _)| n == k))
                .expect("the sale's invoice")
                .clone();
            sold.push((new, estimated(c)));
        }
    }
    assert!(!sold.is_empty(), "no sale on account went through");
    let after = worklist_all(&b.state.borrow(), &sugg, "");
    assert_eq!(after.len(), before.len() + sold.len());
    for (inv, has_estimate) in &sold {
        let row = after
            .iter()
            .find(|c| c.suggestion.invoice == inv.as_str())
            .unwrap_or_else(|| panic!("{inv} is not on the worklist"));
        assert_eq!(row.unranked, !has_estimate, "{row:?}");
        if *has_estimate {
            assert!(p_late_column(row).ends_with('%'), "{row:?}");
        } else {
            assert_eq!(p_late_column(row), "new");
            assert_eq!(row.rank, after.len(), "listed last: {row:?}");
        }
    }
}

/// Esc on collections with a filter kept clears it first (the whole list
/// again), as on the exception queue and the finance views; only the
/// next Esc leaves. One Esc left the screen, filter and all.
#[test]
fn esc_on_collections_clears_a_kept_filter_first() {
    let b = trained();
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Collections").expect("collections");
    let all = d.screen(80, 24);
    d.press("/").typed("zzzz-nobody").press("enter");
    assert_ne!(d.screen(80, 24), all);
    assert!(
        d.app.key_bar().contains("clear the filter"),
        "{}",
        d.app.key_bar()
    );
    d.press("esc");
    assert_eq!(d.app.screen_name(), "collections");
    assert_eq!(d.screen(80, 24), all);
    d.press("esc");
    assert_eq!(d.app.screen_name(), "menu");
}
