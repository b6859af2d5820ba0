//! The back-office screens (cash application, supplier invoices, period
//! close), driven with keys against the real core (an in-memory backend
//! over the demo distributor, fixed clock) and drawn into ratatui's
//! TestBackend.

use chrono::{NaiveDate, TimeZone, Utc};
use depot::core::cash::Method;
use depot::core::counter::CounterLine;
use depot::core::types::{Code, ToCode};
use depot::core::CommandBody;
use depot::ui::app::{App, Keymaps};
use depot::ui::testing::{test_day as today, Driver, MemBackend};
use rust_decimal::Decimal;

fn demo() -> MemBackend {
    MemBackend::afternoon()
}

/// A counter sale on account (an invoice dated today, its discount
/// window open for a 2-10-NET30 customer); returns the invoice number.
fn sale_on_account(b: &MemBackend, customer: &str, sku: &str, qty: i64) -> String {
    let before: Vec<Code> = b
        .state
        .borrow()
        .invoices
        .keys_sorted()
        .into_iter()
        .cloned()
        .collect();
    b.exec(
        "ADMIN",
        CommandBody::CounterSale {
            customer: customer.into(),
            warehouse: "CHI".into(),
            lines: vec![CounterLine {
                sku: sku.into(),
                qty: Decimal::from(qty),
                unit: None,
                price: None,
            }],
            payment: None,
            payments: vec![],
        },
    )
    .unwrap();
    let s = b.state.borrow();
    s.invoices
        .keys_sorted()
        .into_iter()
        .find(|k| !before.contains(k))
        .cloned()
        .expect("the sale made an invoice")
        .to_string()
}

/// (open, discount) of an invoice today.
fn open_and_discount(b: &MemBackend, inv: &str) -> (Decimal, Decimal) {
    let s = b.state.borrow();
    let i = &s.invoices[&inv.to_code()];
    let d = i
        .currency
        .round(i.open * i.discount_pct / Decimal::from(100));
    (i.open, d)
}

fn receipts(b: &MemBackend) -> usize {
    b.log
        .borrow()
        .iter()
        .filter(|(_, r)| matches!(r.body, CommandBody::ReceivePayment { .. }))
        .count()
}

#[test]
fn a_receipt_amount_finer_than_the_currency_is_refused_and_never_shown_rounded() {
    let b = demo();
    sale_on_account(&b, "C0009", "FAS-1000", 3);
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").unwrap();
    d.typed("C0009").press("enter");
    d.press("enter").typed("100.005").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("amount 100.005 has more than 2 decimals"), "{s}");
    // No credit, no suggestion of the rounded 100.01.
    assert!(s.contains("credit -") && !s.contains("100.01"), "{s}");
    d.press("f10");
    assert!(!d.screen(80, 24).contains("Receive"), "no confirm");
    d.press("f8");
    assert!(!d.screen(80, 24).contains("Refund"), "no confirm");
    assert_eq!(receipts(&b), 0);
}

#[test]
fn a_cheque_applied_to_two_invoices_with_discount_and_the_rest_as_credit() {
    let b = demo();
    let i1 = sale_on_account(&b, "C0009", "FAS-1000", 3);
    let i2 = sale_on_account(&b, "C0009", "FAS-1001", 2);
    let (o1, d1) = open_and_discount(&b, &i1);
    let (o2, d2) = open_and_discount(&b, &i2);
    assert!(d1 > Decimal::ZERO && d2 > Decimal::ZERO, "2-10-NET30 today");
    let amount = o1 - d1 + o2 - d2 + Decimal::from(100);
    // AR1 works with the classic keymap.
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").expect("AR1 may apply cash");
    d.typed("C0009").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains(&i1) && s.contains(&i2), "{s}");
    // Method: cheque (the first); amount; reference; to the items.
    d.press("enter").typed(&amount.to_string()).press("enter");
    d.typed("CHQ 4711").press("enter");
    // Enter applies a row: what settles it, less its discount.
    d.press("enter").press("down").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("paid, discount"), "{s}");
    assert!(s.contains("credit 100.00"), "{s}");
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(s.contains("100.00 left as credit?"), "{s}");
    assert_eq!(receipts(&b), 0, "nothing before the confirm");
    d.press("y");
    let s = d.screen(80, 24);
    assert!(s.contains("RECEIVED RC-"), "{s}");
    assert_eq!(receipts(&b), 1);
    let st = b.state.borrow();
    let r = st
        .receipts
        .values_sorted()
        .into_iter()
        .find(|r| r.reference == "CHQ 4711")
        .unwrap();
    assert_eq!(r.method, Method::Cheque);
    assert_eq!(r.applications.len(), 2);
    assert_eq!(r.unapplied, Decimal::from(100));
    assert_eq!(
        r.applications.iter().map(|a| a.discount).sum::<Decimal>(),
        d1 + d2
    );
    assert!(st.invoices[&i1.to_code()].open.is_zero() && st.invoices[&i2.to_code()].open.is_zero());
    drop(st);
    // A second F10 (and y) on the now empty receipt submits nothing new:
    // it asks for the amount, where the y lands.
    d.press("f10").press("y");
    assert_eq!(receipts(&b), 1);
    // An amount that is not one refunds nothing (not "all of it").
    d.press("f8");
    let s = d.screen(80, 24);
    assert!(s.contains("amount y ") && !s.contains("Refund"), "{s}");
    // Nor does a negative or zero amount (both refunded all of it).
    for bad in ["-50", "0", "-0.01"] {
        d.press("ctrl-u").typed(bad).press("f8");
        let s = d.screen(80, 24);
        assert!(
            s.contains(&format!("amount {bad}: an amount is more than 0")) && !s.contains("Refund"),
            "{bad}: {s}"
        );
    }
    // The 100.00 on account is refunded (F8: all of it, asked first).
    d.press("ctrl-u").press("f8");
    let s = d.screen(80, 24);
    assert!(s.contains("Refund 100.00 USD of C0009"), "{s}");
    d.press("y");
    let s = d.screen(80, 24);
    assert!(s.contains("REFUNDED RF-"), "{s}");
    {
        let st = b.state.borrow();
        assert!(!st.unapplied.keys().any(|(_, c)| c == "C0009"));
        assert_eq!(
            st.refunds
                .values()
                .filter(|r| r.customer == "C0009")
                .map(|r| r.amount)
                .sum::<Decimal>(),
            Decimal::from(100)
        );
    }
    // Nothing left to refund: said, nothing submitted.
    let n = b.log.borrow().len();
    d.press("f8");
    assert!(d.screen(80, 24).contains("no credit on account"));
    assert_eq!(b.log.borrow().len(), n);
    depot::core::invariants::check_state(&b.state.borrow()).unwrap();
}

#[test]
fn a_suggestion_is_shown_with_its_reason_and_taken_by_the_clerk() {
    let b = demo();
    let i1 = sale_on_account(&b, "C0009", "FAS-1000", 3);
    let i2 = sale_on_account(&b, "C0009", "FAS-1001", 2);
    let (o2, _) = open_and_discount(&b, &i2);
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").unwrap();
    d.typed("C0009").press("enter").press("enter");
    // Exactly the second invoice's open amount.
    d.typed(&o2.to_string()).press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!("because {i2} is open for exactly the amount")),
        "{s}"
    );
    // A reference naming the first invoice wins.
    d.typed(&format!("remit {i1}"));
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("the reference names {i1}")), "{s}");
    d.press("f6");
    let s = d.screen(132, 43);
    assert!(s.contains("suggestion taken"), "{s}");
    d.press("f10").press("y");
    let st = b.state.borrow();
    let r = st
        .receipts
        .values_sorted()
        .into_iter()
        .find(|r| r.reference == format!("remit {i1}"))
        .unwrap();
    assert_eq!(r.applications.len(), 1);
    assert_eq!(r.applications[0].invoice, i1);
}

#[test]
fn a_short_payment_is_disputed_with_its_reason_or_written_off_within_tolerance() {
    let b = demo();
    let i1 = sale_on_account(&b, "C0002", "FAS-1000", 30);
    let i2 = sale_on_account(&b, "C0002", "FAS-1001", 20);
    let (o1, _) = open_and_discount(&b, &i1);
    let (o2, _) = open_and_discount(&b, &i2);
    let short1 = o1 - Decimal::from(40);
    let short2 = o2 - Decimal::from(3);
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").unwrap();
    d.typed("C0002").press("enter").press("enter");
    d.typed(&(short1 + short2).to_string()).press("enter");
    d.press("enter");
    // First row: apply, change the amount, settle short: a dispute asks
    // its reason.
    // The amount applied is proposed: what is typed replaces it.
    d.press("enter").press("enter");
    d.typed(&short1.to_string()).press("enter");
    d.press("f7");
    let s = d.screen(80, 24);
    assert!(s.contains("Dispute reason"), "{s}");
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("needs its reason"), "{s}");
    d.typed("two boxes damaged").press("enter");
    // Second row: 3.00 short, within tolerance: written off.
    d.press("down").press("enter").press("f7");
    let s = d.screen(132, 43);
    assert!(s.contains("disputed 40.00 (two boxes"), "{s}");
    assert!(s.contains("paid, write-off 3.00"), "{s}");
    d.press("f10").press("y");
    let st = b.state.borrow();
    assert_eq!(st.invoices[&i1.to_code()].disputed, Decimal::from(40));
    assert!(st.invoices[&i2.to_code()].open.is_zero());
    let r = st
        .receipts
        .values_sorted()
        .into_iter()
        .find(|r| r.customer == "C0002" && r.applications.len() == 2)
        .unwrap();
    assert!(
        r.reference
            .contains(&format!("dispute {i1}: two boxes damaged")),
        "{}",
        r.reference
    );
    assert!(r.unapplied.is_zero());
}

#[test]
fn the_open_items_follow_another_session_and_filter() {
    let b = demo();
    let i1 = sale_on_account(&b, "C0009", "FAS-1000", 3);
    let i2 = sale_on_account(&b, "C0009", "FAS-1001", 2);
    let (o1, _) = open_and_discount(&b, &i1);
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").unwrap();
    d.typed("C0009").press("enter").press("enter");
    d.typed("1000").press("enter").press("enter");
    d.press("enter");
    // The classic keymap filters a list with F4.
    d.press("f4").typed(&i2[i2.len() - 2..]).press("enter");
    let row = |s: &str, inv: &str| s.lines().any(|l| l.starts_with(inv));
    let s = d.screen(80, 24);
    assert!(row(&s, &i2) && !row(&s, &i1), "{s}");
    d.press("f4").press("esc");
    let s = d.screen(80, 24);
    assert!(row(&s, &i1), "{s}");
    // Another session pays the first invoice: it leaves the list, and the
    // application to it leaves the receipt.
    b.exec(
        "ADMIN",
        CommandBody::ReceivePayment {
            customer: "C0009".into(),
            method: Method::Transfer,
            amount: o1,
            reference: "wire".into(),
            apply: vec![depot::core::cash::ApplyTo {
                invoice: i1.clone().into(),
                amount: o1,
                settle: false,
            }],
        },
    )
    .unwrap();
    d.committed();
    let s = d.screen(80, 24);
    assert!(!row(&s, &i1) && row(&s, &i2), "{s}");
    assert!(s.contains("Applied 0.00"), "{s}");
}

#[test]
fn snapshots_of_the_back_office_screens_at_80x24_and_132x43() {
    let b = demo();
    sale_on_account(&b, "C0009", "FAS-1000", 3);
    sale_on_account(&b, "C0009", "FAS-1001", 2);
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").unwrap();
    insta::assert_snapshot!("cash_empty_80x24", d.screen(80, 24));
    d.typed("C0009").press("enter").press("enter");
    d.typed("500").press("enter").typed("CHQ 1").press("enter");
    d.press("enter");
    insta::assert_snapshot!("cash_80x24", d.screen(80, 24));
    insta::assert_snapshot!("cash_132x43", d.screen(132, 43));
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").unwrap();
    d.typed("C0004").press("enter");
    insta::assert_snapshot!("cash_aged_80x24", d.screen(80, 24));
}

#[test]
fn no_color_draws_the_back_office_without_colours() {
    let b = demo();
    let mut a = App::new(
        Keymaps::load(None).unwrap(),
        true,
        Some("AR1".into()),
        "t",
        &b,
    );
    let mut d = Driver {
        app: a,
        backend: &b,
    };
    d.open("Cash application").unwrap();
    d.typed("C0004").press("enter");
    a = d.app;
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    t.draw(|f| a.view(f, &b)).unwrap();
    for cell in t.backend().buffer().content() {
        assert!(
            matches!(cell.fg, ratatui::style::Color::Reset)
                && matches!(cell.bg, ratatui::style::Color::Reset),
            "a coloured cell under NO_COLOR: {cell:?}"
        );
    }
}

/// Receive a demo PO in full (its first line) at the dock; returns (po,
/// base quantity, PO price per base unit).
fn receive_first_po(b: &MemBackend) -> (String, Decimal, Decimal) {
    let (po, sku, qty, price) = {
        let s = b.state.borrow();
        let po = s
            .purchase_orders
            .values()
            .find(|p| {
                p.supplier == "V001"
                    && p.status == depot::core::purchasing::PoStatus::Open
                    && p.lines[0].received.is_zero()
            })
            .expect("an open demo PO to V001");
        let l = &po.lines[0];
        (po.number.clone(), l.sku.clone(), l.qty, l.price)
    };
    b.exec(
        "RECV1",
        CommandBody::ReceivePurchase {
            po: po.clone(),
            bin: "DOCK-1".into(),
            lines: vec![depot::core::purchasing::ReceiveInput {
                item: sku.to_string(),
                qty: Some(qty),
                lot: None,
                expiry: None,
            }],
        },
    )
    .unwrap();
    (po.to_string(), qty, price)
}

fn ap_status(b: &MemBackend, reference: &str) -> depot::core::purchasing::ApStatus {
    b.state
        .borrow()
        .supplier_invoices
        .values()
        .find(|i| i.reference == reference)
        .map(|i| i.status)
        .expect("the invoice")
}

#[test]
fn a_supplier_invoice_held_on_price_approved_by_another_and_paid_in_a_run() {
    use depot::core::purchasing::ApStatus;
    let b = demo();
    let (po, qty, price) = receive_first_po(&b);
    let mut d = Driver::new(&b, Some("AP1"));
    d.open("Supplier invoices")
        .expect("AP1 enters supplier invoices");
    d.typed("V001")
        .press("enter")
        .typed("F-7781")
        .press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains(&po), "{s}");
    // Take the line, then invoice it 5 % dearer than the PO.
    let dear = (price * Decimal::new(105, 2)).round_dp(2);
    d.press("enter").press("enter");
    d.press("ctrl-u")
        .typed(&format!("{qty}@{dear}"))
        .press("enter");
    let s = d.screen(132, 43);
    let diff = dear - price;
    assert!(s.contains(&format!("price +{diff}")), "{s}");
    assert!(s.contains("over 2 %"), "{s}");
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(s.contains("it will be HELD"), "{s}");
    d.press("y");
    let s = d.screen(80, 24);
    assert!(s.contains("HELD"), "{s}");
    assert_eq!(ap_status(&b, "F-7781"), ApStatus::Held);
    // Another clerk opening the same supplier sees the line is on the
    // held invoice, and is told so before entering it a second time.
    let mut e = Driver::session(&b, Some("AP1"), "ap-second");
    e.open("Supplier invoices").unwrap();
    e.typed("V001")
        .press("enter")
        .typed("F-7782")
        .press("enter");
    let s = e.screen(132, 43);
    assert!(s.contains("on held AP-") && s.contains("(F-7781)"), "{s}");
    e.press("enter").press("enter").press("enter").press("f10");
    let s = e.screen(132, 43);
    assert!(s.contains("NOTE") && s.contains("is on held AP-"), "{s}");
    // Only an explicit y enters the same lines twice: Enter says no.
    let n = b.log.borrow().len();
    assert!(e.app.key_bar().contains("y yes"), "{}", e.app.key_bar());
    e.press("enter");
    assert_eq!(b.log.borrow().len(), n, "Enter entered a second bill");
    assert!(e.app.confirm.is_none());
    e.press("f10");
    assert!(e
        .app
        .confirm
        .as_deref()
        .is_some_and(|q| q.contains(" USD: ")));
    e.press("n");
    // The clerk who entered it cannot approve it (the core says so).
    d.press("tab").press("tab");
    assert!(
        d.screen(80, 24).contains("worklist"),
        "{}",
        d.screen(80, 24)
    );
    // Nor is it offered: F6 says who approves, with no confirm to answer.
    let s = d.screen(132, 43);
    assert!(!s.contains("F6 approve") && !s.contains("F7 reject"), "{s}");
    d.press("f6");
    let s = d.screen(132, 43);
    assert!(
        s.contains("approving or rejecting a held invoice takes a")
            && s.contains("controller")
            && !s.contains("Approve AP-"),
        "{s}"
    );
    assert_eq!(ap_status(&b, "F-7781"), ApStatus::Held);
    // The controller approves it from the worklist, with the problem shown.
    let mut c = Driver::session(&b, Some("CTRL1"), "ctrl");
    c.open("Supplier invoices").expect("CTRL1 approves");
    let s = c.screen(80, 24);
    assert!(
        s.contains("held: ") && s.contains("more than 2 % apart"),
        "{s}"
    );
    c.press("f6");
    assert!(c.screen(80, 24).contains("Approve AP-"));
    c.press("y");
    assert!(
        c.screen(80, 24).contains("APPROVED"),
        "{}",
        c.screen(80, 24)
    );
    assert_eq!(ap_status(&b, "F-7781"), ApStatus::Open);
    // AP pays the run through the invoice's due date.
    d.committed();
    d.press("tab");
    d.typed("+31").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("1 invoice,"), "{s}");
    // Its total in the invoice's currency, formatted as every amount is.
    let owed = {
        let st = b.state.borrow();
        let until = today() + chrono::Duration::days(31);
        let p = depot::query::ap::proposal(&st, today(), until);
        assert_eq!(p.len(), 1);
        let i = &st.supplier_invoices[&p[0].invoice];
        let m = |x| format!("{} {}", depot::query::money(x, &i.currency), i.currency);
        (m(p[0].amount), m(p[0].discount))
    };
    let (owed, discount) = owed;
    let through = s
        .lines()
        .find(|l| l.contains("Pay through"))
        .unwrap_or_default();
    assert!(
        through.trim_end().ends_with(&format!("1 invoice, {owed}")),
        "{through}"
    );
    d.press("f8");
    let s = d.screen(132, 43);
    // The question as one text (its box breaks it between words).
    let asked: String = s
        .lines()
        .filter_map(|l| l.split('│').nth(1))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(asked.contains("Pay 1 invoice of 1 supplier"), "{s}");
    assert!(
        asked.contains(&format!("supplier: {owed}, discounts")),
        "{asked}"
    );
    assert!(asked.contains(&format!("{discount}?")), "{asked}");
    d.press("y");
    let s = d.screen(80, 24);
    assert!(s.contains("payment run: 1 invoice PAID"), "{s}");
    assert_eq!(ap_status(&b, "F-7781"), ApStatus::Paid);
    depot::core::invariants::check_state(&b.state.borrow()).unwrap();
}

/// The status of a period of US01.
fn us01_period(b: &MemBackend, code: &str) -> depot::core::master::PeriodStatus {
    b.state
        .borrow()
        .periods
        .values()
        .find(|p| p.entity == "US01" && p.code == code)
        .map(|p| p.status)
        .unwrap()
}

#[test]
fn a_month_closed_from_the_checklist_refuses_postings_and_reopens_through_an_approval() {
    use depot::core::master::PeriodStatus;
    let b = demo();
    let status = |code: &str| us01_period(&b, code);
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Period close").expect("CTRL1 closes periods");
    // Narrow to October of US01.
    d.press("f4").typed("US01 FY2026-10").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("US01 FY2026-10"), "{s}");
    assert!(s.contains("nothing blocks the close"), "{s}");
    // October has ended: its notes are counted on today's books, and say
    // so (not as if of October 31).
    assert!(s.contains("note today: "), "{s}");
    assert!(
        !s.contains("note receipts") && !s.contains("note unapplied"),
        "{s}"
    );
    // The bar offers what an open period takes: close, not lock.
    let bar = d.app.key_bar();
    assert!(
        bar.contains("close the period") && !bar.contains("lock it") && !bar.contains("reopen"),
        "{bar}"
    );
    d.press("f10");
    assert!(d.screen(80, 24).contains("Close US01 FY2026-10"));
    // The question says how many periods still open before it close too.
    let before = b
        .state
        .borrow()
        .periods
        .values()
        .filter(|p| {
            p.entity == "US01"
                && p.end.to_string().as_str() < "2026-10-01"
                && p.status == PeriodStatus::Open
        })
        .count();
    assert!(before > 0);
    let q = d.app.confirm.clone().expect("asked");
    assert!(
        q.contains(&format!("and the {before} periods still open before it")),
        "{q}"
    );
    // Only `y` closes: Enter (a double tap) is no.
    d.press("enter");
    assert_eq!(status("FY2026-10"), PeriodStatus::Open);
    d.press("f10").press("y");
    assert_eq!(status("FY2026-10"), PeriodStatus::Closed);
    assert!(d.screen(80, 24).contains("CLOSED"));
    // A posting into it is refused.
    let r = b.exec(
        "CTRL1",
        CommandBody::PostJournalEntry {
            entity: "US01".into(),
            date: NaiveDate::from_ymd_opt(2026, 10, 31),
            memo: "late accrual".into(),
            lines: vec![
                depot::core::ledger::ManualLine {
                    account: "6400".into(),
                    debit: Decimal::from(100),
                    credit: Decimal::ZERO,
                },
                depot::core::ledger::ManualLine {
                    account: "2200".into(),
                    credit: Decimal::from(100),
                    debit: Decimal::ZERO,
                },
            ],
        },
    );
    assert!(
        matches!(
            r,
            Err(depot::core::rejection::Rejection::PeriodNotOpen { .. })
        ),
        "{r:?}"
    );
    // Reopen: asked with a reason, not approved by who asked.
    d.press("f7");
    d.press("enter");
    assert!(d.screen(80, 24).contains("needs its reason"));
    d.typed("late supplier invoice").press("enter").press("y");
    let s = d.screen(132, 43);
    assert!(s.contains("reopen asked by CTRL1"), "{s}");
    // Who asked is not offered the approval; a closed period is
    // offered its lock, not its close.
    let bar = d.app.key_bar();
    assert!(
        !bar.contains("approve") && bar.contains("lock it") && !bar.contains("close the"),
        "{bar}"
    );
    d.press("f6");
    assert!(d.screen(80, 24).contains("someone else approves"));
    assert_eq!(status("FY2026-10"), PeriodStatus::Closed);
    let mut s1 = Driver::session(&b, Some("SUP1"), "sup");
    s1.open("Period close").expect("SUP1 approves");
    s1.press("/").typed("US01 FY2026-10").press("enter");
    // A supervisor approves; closing, locking and asking are the
    // controller's, and FX revaluation posts a journal.
    s1.screen(80, 24);
    let bar = s1.app.key_bar();
    assert!(
        bar.contains("approve a reopen")
            && !bar.contains("lock it")
            && !bar.contains("ask to reopen")
            && !bar.contains("revalue"),
        "{bar}"
    );
    s1.press("f6");
    assert!(s1
        .screen(80, 24)
        .contains("Approve reopening US01 FY2026-10"));
    s1.press("enter");
    assert_eq!(status("FY2026-10"), PeriodStatus::Closed);
    s1.press("f6").press("y");
    assert_eq!(status("FY2026-10"), PeriodStatus::Open);
    assert!(
        s1.screen(80, 24).contains("REOPENED"),
        "{}",
        s1.screen(80, 24)
    );
}

#[test]
fn snapshots_of_supplier_invoices_and_period_close() {
    let b = demo();
    receive_first_po(&b);
    let mut d = Driver::new(&b, Some("AP1"));
    d.open("Supplier invoices").unwrap();
    d.typed("V001").press("enter").typed("F-1").press("enter");
    d.press("enter");
    insta::assert_snapshot!("ap_enter_80x24", d.screen(80, 24));
    insta::assert_snapshot!("ap_enter_132x43", d.screen(132, 43));
    d.press("tab");
    insta::assert_snapshot!("ap_worklist_80x24", d.screen(80, 24));
    insta::assert_snapshot!("ap_worklist_132x43", d.screen(132, 43));
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Period close").unwrap();
    insta::assert_snapshot!("period_close_80x24", d.screen(80, 24));
    insta::assert_snapshot!("period_close_132x43", d.screen(132, 43));
}

/// Random keys over the back-office screens (seeded): no panic, no key
/// submitted twice, the state's invariants hold.
#[test]
fn random_keys_on_the_back_office_never_panic_or_submit_twice() {
    use depot::ui::key::{Key, KeyCode};
    let seed: u64 = std::env::var("DEPOT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261201);
    let mut x = seed;
    let mut next = move || {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let named = [
        "enter",
        "enter",
        "esc",
        "tab",
        "backtab",
        "up",
        "down",
        "f1",
        "f4",
        "f5",
        "f6",
        "f7",
        "f8",
        "f9",
        "f10",
        "f12",
        "backspace",
        "ctrl-u",
        "y",
        "y",
        "n",
        "/",
        "@",
        ".",
        "+",
    ];
    let b = demo();
    sale_on_account(&b, "C0009", "FAS-1000", 3);
    sale_on_account(&b, "C0009", "FAS-1001", 2);
    receive_first_po(&b);
    for (op, screen) in [
        ("AR1", "Cash application"),
        ("AP1", "Supplier invoices"),
        ("CTRL1", "Supplier invoices"),
        ("CTRL1", "Period close"),
        ("SUP1", "Period close"),
        ("BUY1", "Purchasing"),
        ("SUP1", "Purchasing"),
        ("CTRL1", "Finance views"),
        ("AR1", "Bank reconciliation"),
    ] {
        let fresh = || {
            let mut d = Driver::new(&b, Some(op));
            d.open(screen).unwrap();
            d
        };
        let mut d = fresh();
        for _ in 0..2500 {
            match next() % 10 {
                0..=5 => {
                    let k = named[(next() % named.len() as u64) as usize];
                    d.press(k);
                }
                6..=7 => {
                    let c = (b'0' + (next() % 43) as u8) as char;
                    d.key(Key::plain(KeyCode::Char(c)));
                }
                8 => {
                    for w in ["C0009", "V001", "FY2026-10", "100", "7"] {
                        if next() % 5 == 0 {
                            d.typed(w);
                        }
                    }
                }
                _ => {
                    let w = (next() % 140) as u16;
                    let h = (next() % 50) as u16;
                    d.screen(w, h);
                }
            }
            if d.app.quit || d.app.operator.is_none() || d.app.screen_name() == "menu" {
                d = fresh();
            }
        }
    }
    let log = b.log.borrow();
    let mut keys: Vec<&String> = log.iter().map(|(_, r)| &r.key).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "a key was submitted twice (seed {seed})");
    assert!(n > 0, "the random keys submitted something (seed {seed})");
    depot::core::invariants::check_state(&b.state.borrow())
        .unwrap_or_else(|v| panic!("invariant broken (seed {seed}): {v}"));
}

/// Every action the back-office screens offer, in each place their focus
/// goes, has a key in both shipped keymaps.
#[test]
fn every_offered_action_on_the_back_office_has_a_key_in_both_keymaps() {
    let maps = Keymaps::load(None).unwrap();
    let b = demo();
    sale_on_account(&b, "C0009", "FAS-1000", 3);
    receive_first_po(&b);
    let check = |app: &App| {
        // (A question on screen answers with the confirm keys.)
        if app.context() == depot::ui::keymap::Context::Confirm {
            return;
        }
        let Some(top) = app.top() else { return };
        for km in [&maps.default, &maps.classic] {
            for (a, what) in top.actions() {
                assert!(
                    km.key_for(top.name(), app.context(), a).is_some(),
                    "{}: {what} ({a:?}) has no key",
                    top.name()
                );
            }
        }
    };
    let walks: [(&str, &str, &[&str]); 7] = [
        (
            "Cash application",
            "C0009",
            &[
                "enter", "enter", "1", "0", "enter", "enter", "enter", "enter", "esc", "f7", "esc",
                "f4", "esc", "tab", "tab", "f12",
            ],
        ),
        (
            "Supplier invoices",
            "V001",
            &[
                "enter", "enter", "enter", "enter", "esc", "tab", "f7", "esc", "tab", "esc",
                "backtab",
            ],
        ),
        ("Period close", "", &["f7", "esc", "f4", "esc", "down"]),
        ("Supplier invoices", "", &["tab", "tab", "tab", "tab"]),
        (
            "Purchasing",
            "",
            &["enter", "esc", "/", "esc", "tab", "/", "esc"],
        ),
        (
            "Finance views",
            "",
            &[
                "f9", "esc", "/", "esc", "enter", "/", "esc", "home", "enter", "esc", "esc", "tab",
                "tab", "tab", "enter", "/", "esc", "enter",
            ],
        ),
        ("Finance views", "", &["f6", "f6", "tab", "enter", "tab"]),
    ];
    for op in ["ADMIN", "AR1", "AP1", "CTRL1", "BUY1"] {
        for (screen, typed, keys) in walks {
            let mut d = Driver::new(&b, Some(op));
            if d.open(screen).is_none() {
                continue;
            }
            check(&d.app);
            d.typed(typed);
            check(&d.app);
            for k in keys {
                d.press(k);
                check(&d.app);
            }
        }
    }
}

#[test]
fn a_replenishment_group_accepted_into_a_draft_po_submitted_and_approved() {
    use depot::core::purchasing::PoStatus;
    let b = demo();
    let before: Vec<Code> = b.state.borrow().purchase_orders.keys().cloned().collect();
    let mut d = Driver::new(&b, Some("BUY1"));
    d.open("Purchasing").expect("BUY1 buys");
    insta::assert_snapshot!("purchasing_80x24", d.screen(80, 24));
    insta::assert_snapshot!("purchasing_132x43", d.screen(132, 43));
    let s = d.screen(132, 43);
    assert!(s.contains("why: "), "a suggestion with its reason: {s}");
    // Change the first line's quantity (typed over the suggested one),
    // then accept its group.
    d.press("enter").typed("7").press("enter");
    assert!(d.screen(132, 43).contains("7 "), "{}", d.screen(132, 43));
    d.press("f10");
    // The confirm says what will be ordered: the 7 typed.
    let s = d.screen(80, 24);
    assert!(s.contains("into a draft PO of") && s.contains(" 7 "), "{s}");
    d.press("y");
    let s = d.screen(80, 24);
    assert!(s.contains("draft PO-"), "{s}");
    let po = {
        let st = b.state.borrow();
        let p = st
            .purchase_orders
            .values()
            .find(|p| !before.contains(&p.number))
            .expect("a new PO");
        assert_eq!(p.status, PoStatus::Draft);
        assert_eq!(
            p.lines[0].unit_qty,
            Decimal::from(7),
            "the buyer's quantity"
        );
        assert!(!p.lines[0].reason.is_empty(), "the line keeps its reason");
        p.number.clone()
    };
    // The purchase orders: the draft on top; submit it.
    d.press("tab");
    let s = d.screen(132, 43);
    assert!(s.contains(&*po) && s.contains("draft"), "{s}");
    assert!(s.contains("LATE"), "the demo's late PO is highlighted: {s}");
    d.press("f10").press("y");
    let st = b.state.borrow().purchase_orders[&po].status;
    assert!(
        matches!(st, PoStatus::Open | PoStatus::AwaitingApproval),
        "{st:?}"
    );
    if st == PoStatus::AwaitingApproval {
        // The buyer cannot approve it (F6 says who can); the supervisor can.
        d.press("f6");
        let s = d.screen(132, 43);
        assert!(s.contains("approving a purchase order takes a"), "{s}");
        assert_eq!(
            b.state.borrow().purchase_orders[&po].status,
            PoStatus::AwaitingApproval
        );
        let mut s1 = Driver::session(&b, Some("SUP1"), "sup");
        s1.open("Purchasing").unwrap();
        s1.press("tab").press("f6").press("y");
        assert_eq!(b.state.borrow().purchase_orders[&po].status, PoStatus::Open);
    }
}

#[test]
fn supplier_performance_is_the_third_list_of_purchasing_and_matches_the_report() {
    let b = demo();
    let mut d = Driver::new(&b, Some("BUY1"));
    d.open("Purchasing").expect("BUY1 buys");
    d.press("tab").press("tab");
    insta::assert_snapshot!("purchasing_suppliers_80x24", d.screen(80, 24));
    insta::assert_snapshot!("purchasing_suppliers_132x43", d.screen(132, 43));
    // Each supplier's row shows the report's figures for the same day.
    let t = depot::report::build("supplier-performance", &b.state.borrow(), None, today()).unwrap();
    assert!(!t.rows.is_empty());
    let s = d.screen(132, 43);
    for r in &t.rows {
        let line = s
            .lines()
            .find(|l| l.starts_with(&r[0]))
            .unwrap_or_else(|| panic!("{} on screen: {s}", r[0]));
        assert!(
            line.contains(&format!(" {} ", r[3])),
            "lines due {}: {line}",
            r[3]
        );
    }
    // The filter keeps one supplier; Tab goes back to the worklist.
    let first = t.rows[0][0].clone();
    d.press("/").typed(&first).press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("(1)"), "{s}");
    d.press("tab");
    assert!(d.screen(80, 24).contains("replenishment worklist"));
}

/// The last print the session recorded: (kind, document).
fn last_print(b: &MemBackend) -> (String, Code) {
    match &b.log.borrow().last().expect("a record").1.body {
        CommandBody::RecordPrint(p) => (p.kind.to_string(), p.doc.clone()),
        other => panic!("the last command is a print record, not {other:?}"),
    }
}

#[test]
fn the_statement_prints_from_cash_application_and_a_po_from_purchasing() {
    let b = demo();
    sale_on_account(&b, "C0009", "FAS-1000", 3);
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").expect("AR1 may apply cash");
    // Nothing to print before the customer is chosen.
    let n = b.log.borrow().len();
    d.press("ctrl-p");
    assert!(d.screen(80, 24).contains("choose the customer first"));
    assert_eq!(b.log.borrow().len(), n, "nothing printed");
    d.typed("C0009").press("enter");
    d.press("ctrl-p").wait_prints();
    assert_eq!(last_print(&b), ("statement".into(), "C0009".into()));

    let mut d = Driver::new(&b, Some("BUY1"));
    d.open("Purchasing").expect("BUY1 buys");
    d.press("tab");
    let po = b
        .state
        .borrow()
        .purchase_orders
        .keys()
        .next_back()
        .cloned()
        .expect("the demo has POs");
    d.press("ctrl-p").wait_prints();
    assert_eq!(last_print(&b), ("purchase-order".into(), po));
}

/// The TOTAL line of a trial balance on screen: (debit, credit) as shown.
fn tb_total_line(screen: &str) -> (String, String) {
    let line = screen
        .lines()
        .find(|l| l.trim_start().starts_with("TOTAL"))
        .unwrap_or_else(|| panic!("no TOTAL line:\n{screen}"));
    let nums: Vec<&str> = line
        .split_whitespace()
        .filter(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == '-')
        })
        .collect();
    assert!(nums.len() >= 2, "{line}");
    (
        nums[nums.len() - 2].to_string(),
        nums[nums.len() - 1].to_string(),
    )
}

/// The TOTAL row of `depot report trial-balance` for an entity, parsed.
fn report_tb_total(b: &MemBackend, entity: &str, as_of: NaiveDate) -> (Decimal, Decimal) {
    let s = b.state.borrow();
    let t = depot::report::build("trial-balance", &s, Some(entity), as_of).unwrap();
    let row = t.rows.iter().find(|r| r[1] == "TOTAL").unwrap();
    (row[3].parse().unwrap(), row[4].parse().unwrap())
}

fn usd(d: Decimal) -> String {
    depot::query::money(d, &depot::core::types::Currency::new("USD"))
}

#[test]
fn finance_views_trial_balance_as_of_any_date_equals_the_report_and_the_ledger() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Finance views")
        .expect("the controller reads the ledger");
    insta::assert_snapshot!("finance_tb_80x24", d.screen(80, 24));
    insta::assert_snapshot!("finance_tb_132x43", d.screen(132, 43));
    // Opened on US01 (CTRL1 has no warehouse: the busiest entity); F6
    // goes round the scopes (the consolidations after the entities) to
    // CA01, the first.
    assert!(d.screen(132, 43).contains("US01 (USD)"));
    d.press("f6").press("f6").press("f6");
    let entity = "CA01";
    for as_of in [today(), today() - chrono::Duration::days(20)] {
        // F9 shows the date in force; what is typed replaces it (the
        // manual's `F9 2026-10-31 Enter`), not follows it.
        d.press("f9").typed(&as_of.to_string()).press("enter");
        let s = d.screen(132, 43);
        assert!(s.contains(&format!("as of {as_of}")), "{s}");
        let (dr, cr) = report_tb_total(&b, entity, as_of);
        assert_eq!(dr, cr, "the report balances");
        // The ledger itself: the debit balances of every account that day.
        let ledger: Decimal = b
            .state
            .borrow()
            .balances_as_of(entity, as_of)
            .values()
            .filter(|v| **v > Decimal::ZERO)
            .sum();
        assert_eq!(dr, ledger);
        let cad = |x| depot::query::money(x, &depot::core::types::Currency::new("CAD"));
        assert_eq!(tb_total_line(&s), (cad(dr), cad(cr)), "{s}");
    }
    // F6: the next entity, US01, today.
    d.press("f9")
        .press("ctrl-u")
        .typed(&today().to_string())
        .press("enter");
    d.press("f6");
    let s = d.screen(132, 43);
    assert!(s.contains("US01 (USD)"), "{s}");
    let (dr, cr) = report_tb_total(&b, "US01", today());
    assert_eq!(tb_total_line(&s), (usd(dr), usd(cr)), "{s}");
    // A date that is no date says so and keeps the day.
    d.press("f9").typed("2026-13-01").press("enter");
    assert!(d.screen(80, 24).contains("is not a date"));
    d.press("esc");
    assert!(d.screen(80, 24).contains(&format!("as of {}", today())));
    // Typed again after a refusal, a date replaces the refused one; an
    // editing key mends the proposed date instead (Backspace, a digit).
    let day = today() - chrono::Duration::days(3);
    d.press("f9").typed("2026-13-01").press("enter");
    d.typed(&day.to_string()).press("enter");
    assert!(
        d.screen(80, 24).contains(&format!("as of {day}")),
        "{}",
        d.screen(80, 24)
    );
    d.press("f9")
        .press("backspace")
        .press("backspace")
        .typed("01")
        .press("enter");
    let first = day.format("%Y-%m-01").to_string();
    assert!(
        d.screen(80, 24).contains(&format!("as of {first}")),
        "{}",
        d.screen(80, 24)
    );
}

#[test]
fn finance_views_gl_lines_of_every_account_sum_to_its_trial_balance() {
    use depot::query::finance::{gl_lines, trial_balance, Journals};
    use depot::ui::Backend;
    let b = demo();
    let seq = b.state.borrow().seq;
    let mut j = Journals::default();
    j.extend(&b.records(&(1..=seq).collect::<Vec<_>>()));
    assert!(!j.entries.is_empty());
    let s = b.state.borrow();
    let mut checked = 0;
    for e in s.entities.keys() {
        for as_of in [today(), today() - chrono::Duration::days(20)] {
            let tb = trial_balance(&s, e, as_of).unwrap();
            for r in &tb.rows {
                let lines = gl_lines(&j, e, &r.account, as_of);
                let last = lines.last().map(|l| l.balance).unwrap_or_default();
                assert_eq!(last, r.balance(), "{e} {} as of {as_of}", r.account);
                let sum: Decimal = lines.iter().map(|l| l.debit - l.credit).sum();
                assert_eq!(sum, r.balance());
                assert!(lines.iter().all(|l| l.date <= as_of));
                // The index by account misses no line of the log.
                let every = j
                    .entries
                    .iter()
                    .filter(|p| p.entry.entity == *e && p.entry.date <= as_of)
                    .flat_map(|p| p.entry.lines.iter())
                    .filter(|l| l.account == r.account)
                    .count();
                assert_eq!(lines.len(), every, "{e} {}", r.account);
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "{checked} accounts checked");
    drop(s);
    // On screen: Enter on an account opens its GL lines, which end on the
    // trial balance figure.
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Finance views").unwrap(); // on US01, the busiest entity
    d.press("/")
        .typed("Accounts receivable")
        .press("enter")
        .press("enter");
    assert_eq!(d.app.screen_name(), "finance_gl");
    insta::assert_snapshot!("finance_gl_80x24", d.screen(80, 24));
    insta::assert_snapshot!("finance_gl_132x43", d.screen(132, 43));
    let s = d.screen(132, 43);
    let ar = b.state.borrow().balances_as_of("US01", today())[&"1100".to_code()];
    assert!(
        s.contains(&format!("balance {} = trial balance", usd(ar))),
        "{s}"
    );
    // From a line to its document: an invoice opens the order inquiry.
    let inv = {
        let st = b.state.borrow();
        st.invoices
            .values_sorted()
            .into_iter()
            .find(|i| i.entity == "US01")
            .map(|i| i.number.clone())
            .unwrap()
    };
    d.press("/").typed(&inv).press("enter").press("enter");
    assert_eq!(d.app.screen_name(), "finance_order", "{}", d.screen(80, 24));
    // The manual's walk-through: F3, F3 from the order is the trial
    // balance, one level at a time (F3 is back in the whole drill, not
    // exit, and never leaves depot from it).
    assert!(d.screen(80, 24).contains("F3 back"), "{}", d.screen(80, 24));
    d.press("f3");
    assert_eq!(d.app.screen_name(), "finance_gl", "{}", d.screen(80, 24));
    d.press("f3");
    assert_eq!(d.app.screen_name(), "finance_views");
    assert!(!d.app.quit);
    // Esc from the order (or its journal lines, then the order) is back
    // to the lines too.
    d.press("enter");
    d.press("/").typed(&inv).press("enter").press("enter");
    assert_eq!(d.app.screen_name(), "finance_order", "{}", d.screen(80, 24));
    d.press("enter").press("esc").press("esc");
    assert_eq!(d.app.screen_name(), "finance_gl", "{}", d.screen(80, 24));
}

#[test]
fn finance_views_a_document_without_a_screen_shows_its_journal_entry() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Finance views").unwrap(); // on US01, the busiest entity
                                      // Inventory: the opening stock posted it (documents OPEN-...), which
                                      // have no screen of their own.
    d.press("/")
        .typed("Inventory")
        .press("enter")
        .press("home")
        .press("enter");
    assert_eq!(d.app.screen_name(), "finance_gl", "{}", d.screen(80, 24));
    d.press("/")
        .typed("OPEN-")
        .press("enter")
        .press("home")
        .press("enter");
    assert_eq!(d.app.screen_name(), "finance_doc", "{}", d.screen(80, 24));
    let s = d.screen(80, 24);
    insta::assert_snapshot!("finance_doc_80x24", s);
    assert!(s.contains("1200"), "the inventory line: {s}");
    assert!(!s.contains("no journal entry"), "{s}");
    d.press("f12");
    assert_eq!(d.app.screen_name(), "finance_gl");
}

#[test]
fn finance_views_a_cleared_filter_stays_on_its_row_and_tab_starts_the_next_view_whole() {
    let b = demo();
    let inv = sale_on_account(&b, "C0009", "FAS-1000", 3);
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Finance views").unwrap(); // on US01, the busiest entity
    d.press("tab").press("tab").press("tab");
    let s = d.screen(132, 43);
    let first = s
        .lines()
        .map(str::trim_start)
        .find(|l| l.starts_with('C') && l.as_bytes().get(1).is_some_and(u8::is_ascii_digit))
        .unwrap_or_else(|| panic!("no customer row:\n{s}"));
    assert!(
        !first.starts_with("C0009"),
        "C0009 must not be the first row: {s}"
    );
    // Narrowed to C0009, then cleared: the whole book, still on C0009.
    d.press("/").typed("C0009").press("enter");
    d.press("/").press("esc");
    let s = d.screen(132, 43);
    assert!(s.contains("TOTAL") && !s.contains("shown"), "{s}");
    d.press("enter");
    assert_eq!(d.app.screen_name(), "finance_items");
    assert!(d.screen(132, 43).contains(&inv), "C0009's open items");
    d.press("esc");
    assert_eq!(d.app.screen_name(), "finance_views");
    // A filter kept on the AR aging does not narrow the AP aging.
    d.press("/").typed("C0009").press("enter");
    d.press("tab");
    let s = d.screen(132, 43);
    assert!(s.contains("AP aging as of"), "{s}");
    assert!(
        !s.contains("C0009") && !s.contains("nothing matches"),
        "{s}"
    );
    assert!(!s.contains("shown") && !s.contains(" rows"), "{s}");
    // Back on the AR aging: whole too, and F6 keeps a filter typed there.
    d.press("backtab");
    let s = d.screen(132, 43);
    assert!(s.contains("AR aging as of") && !s.contains("shown"), "{s}");
    d.press("/").typed("C0009").press("enter").press("f6");
    let s = d.screen(132, 43);
    assert!(s.contains("/C0009"), "the filter stays across scopes: {s}");
    // Esc under a kept filter clears it (the whole book again, still on
    // C0009); only the next Esc leaves the views.
    assert!(s.contains("Esc clears"), "{s}");
    d.press("esc");
    assert_eq!(d.app.screen_name(), "finance_views");
    let s = d.screen(132, 43);
    assert!(!s.contains("/C0009") && !s.contains("shown"), "{s}");
    d.press("enter");
    assert_eq!(d.app.screen_name(), "finance_items");
    assert!(d.screen(132, 43).contains(&inv), "C0009's open items");
    d.press("esc").press("esc");
    assert_ne!(d.app.screen_name(), "finance_views");
}

#[test]
fn finance_views_a_cleared_filter_in_the_gl_lines_stays_on_its_line() {
    let b = demo();
    let inv = sale_on_account(&b, "C0009", "FAS-1000", 3);
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Finance views").unwrap(); // on US01, the busiest entity
                                      // Receivables: the opening balances, then the sale's invoice last.
    d.press("/")
        .typed("Receivable")
        .press("enter")
        .press("home")
        .press("enter");
    assert_eq!(d.app.screen_name(), "finance_gl", "{}", d.screen(80, 24));
    // Where the oldest line opens (its document's screen).
    d.press("home");
    d.press("enter");
    assert_ne!(d.app.screen_name(), "finance_gl", "{}", d.screen(80, 24));
    let oldest = d.screen(80, 24);
    for _ in 0..3 {
        if d.app.screen_name() == "finance_gl" {
            break;
        }
        d.press("esc");
    }
    assert_eq!(d.app.screen_name(), "finance_gl");
    assert!(
        !oldest.contains(&inv),
        "the sale is not the oldest line: {oldest}"
    );
    // The sale's line, narrowed to, then the filter cleared.
    d.press("/")
        .typed(&inv)
        .press("enter")
        .press("/")
        .press("esc");
    d.press("enter");
    assert_ne!(d.app.screen_name(), "finance_gl", "{}", d.screen(80, 24));
    let s = d.screen(80, 24);
    assert!(s.contains(&inv), "still on the sale's line: {s}");
    // Esc under a kept filter clears it and stays on the lines.
    for _ in 0..3 {
        if d.app.screen_name() == "finance_gl" {
            break;
        }
        d.press("esc");
    }
    assert_eq!(d.app.screen_name(), "finance_gl");
    d.press("/").typed(&inv).press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("/{inv}")), "{s}");
    d.press("esc");
    assert_eq!(d.app.screen_name(), "finance_gl", "{}", d.screen(80, 24));
    assert!(!d.screen(80, 24).contains(&format!("/{inv}")));
}

#[test]
fn finance_views_aging_drill_lists_exactly_the_customers_open_items() {
    use depot::query::finance::ar_open_items;
    let b = demo();
    sale_on_account(&b, "C0009", "FAS-1000", 3);
    sale_on_account(&b, "C0009", "FAS-1001", 2);
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Finance views").unwrap(); // on US01, the busiest entity
    d.press("tab").press("tab").press("tab");
    let s = d.screen(80, 24);
    assert!(s.contains("AR aging as of"), "{s}");
    insta::assert_snapshot!("finance_aging_ar_80x24", s);
    insta::assert_snapshot!("finance_aging_ar_132x43", d.screen(132, 43));
    // A filter that matches nothing says so: no total of rows not shown.
    d.press("/").typed("ZZZQ");
    let s = d.screen(80, 24);
    assert!(s.contains("nothing matches /ZZZQ"), "{s}");
    assert!(!s.contains("TOTAL"), "{s}");
    // Esc while typing it clears it: the whole book again.
    d.press("esc");
    let s = d.screen(132, 43);
    assert!(s.contains("TOTAL") && !s.contains("shown"), "{s}");
    // Filtered to one customer, the total is that customer's, and says so.
    d.press("/").typed("C0009").press("enter");
    let s = d.screen(132, 43);
    let total_line = s
        .lines()
        .find(|l| l.trim_start().starts_with("TOTAL"))
        .unwrap_or_else(|| panic!("no TOTAL line:\n{s}"));
    assert!(total_line.contains("1 shown"), "{total_line}");
    let row_line = s
        .lines()
        .find(|l| l.trim_start().starts_with("C0009"))
        .unwrap_or_else(|| panic!("no C0009 line:\n{s}"));
    let last = |l: &str| l.split_whitespace().last().map(str::to_string);
    assert_eq!(last(total_line), last(row_line), "{s}");
    d.press("enter");
    assert_eq!(d.app.screen_name(), "finance_items");
    let s = d.screen(132, 43);
    insta::assert_snapshot!("finance_items_132x43", s);
    let st = b.state.borrow();
    let expected: Vec<Code> = st.index.open_invoices[&"C0009".to_code()]
        .iter()
        .cloned()
        .collect();
    assert!(!expected.is_empty());
    // Exactly its open items: every one listed, nothing else.
    assert!(s.contains(&format!("{} open items", expected.len())), "{s}");
    for inv in &expected {
        assert!(s.contains(inv.as_str()), "{inv}: {s}");
    }
    let items: Vec<_> = ar_open_items(&st, Some("US01"), today())
        .into_iter()
        .filter(|i| i.party == "C0009")
        .collect();
    assert_eq!(items.len(), expected.len());
    let total: Decimal = items.iter().map(|i| i.open).sum();
    let open: Decimal = expected.iter().map(|n| st.invoices[n].open).sum();
    assert_eq!(total, open);
    assert!(s.contains(&format!("total {} USD", usd(total))), "{s}");
    // The aging report's row for the customer says the same.
    let t = depot::report::build("aging-ar", &st, Some("US01"), today()).unwrap();
    let row = t.rows.iter().find(|r| r[0] == "C0009").unwrap();
    assert_eq!(row[8].parse::<Decimal>().unwrap(), total);
    assert!(expected.len() >= 2, "two sales, two invoices: {expected:?}");
    let one = expected[0].to_string();
    let one_open = st.invoices[&expected[0]].open;
    drop(st);
    // Filtered to one invoice, the total is that invoice's and says so.
    d.press("/").typed(&one).press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.contains("1 open item ") && !s.contains("1 open items"),
        "{s}"
    );
    assert!(
        s.contains(&format!("total of 1 shown {} USD", usd(one_open))),
        "{s}"
    );
    d.press("/").press("esc");
    // AP aging: the suppliers, with a drill too.
    d.press("esc").press("tab");
    let s = d.screen(80, 24);
    assert!(s.contains("AP aging as of"), "{s}");
}

#[test]
fn finance_views_statements_and_consolidation_show_the_reports_figures() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Finance views").unwrap(); // on US01, the busiest entity
    d.press("tab"); // P&L
    let s = d.screen(132, 43);
    insta::assert_snapshot!("finance_pl_132x43", s);
    let t = depot::report::build("pl", &b.state.borrow(), Some("US01"), today()).unwrap();
    let net = t.rows.last().unwrap();
    let v: Decimal = net[4].parse().unwrap();
    assert!(s.contains(&usd(v)), "net income year to date {v}: {s}");
    d.press("tab"); // balance sheet
    insta::assert_snapshot!("finance_bs_80x24", d.screen(80, 24));
    // Consolidated in USD (the scopes after the entities).
    d.press("backtab").press("backtab").press("f6").press("f6");
    let s = d.screen(132, 43);
    assert!(s.contains("all entities in USD"), "{s}");
    assert!(s.contains("Consolidated trial balance in USD"), "{s}");
    // A consolidated account drills nowhere: it says to choose an entity.
    d.press("enter");
    assert_eq!(d.app.screen_name(), "finance_views");
    assert!(d.screen(80, 24).contains("choose an entity"));
    // Filtered to one account, the consolidated TOTAL is that account's
    // and says so; the foot counts the rows kept at any width.
    let mut o = depot::report::Options::new(None, today());
    o.currency = Some("USD".into());
    let t = depot::report::build_with("trial-balance", &b.state.borrow(), &o).unwrap();
    let ar = t.rows.iter().find(|r| r[0] == "1100").unwrap();
    let (entities, consolidated): (Decimal, Decimal) =
        (ar[2].parse().unwrap(), ar[4].parse().unwrap());
    assert!(!consolidated.is_zero(), "the demo has receivables");
    d.press("/").typed("1100").press("enter");
    let s = d.screen(132, 43);
    let total = s.lines().find(|l| l.contains("TOTAL")).expect("a TOTAL");
    assert!(total.contains("1 shown"), "{s}");
    // The book's TOTAL is 0.00 in each column; this one is the account's.
    assert!(
        total.contains(&usd(entities)) && total.contains(&usd(consolidated)),
        "{s}"
    );
    let rows = t.rows.len() - 1;
    assert!(s.contains(&format!("1 of {rows} rows")), "{s}");
    assert!(d.screen(80, 24).contains(&format!("1 of {rows} rows")));
    // No match: no TOTAL of rows not shown.
    d.press("/").press("esc");
    d.press("/").typed("ZZZQ").press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.contains("nothing matches /ZZZQ") && !s.contains("TOTAL"),
        "{s}"
    );
}

/// The count in a list's title, e.g. " purchase orders (12) ".
fn title_count(screen: &str, title: &str) -> usize {
    let at = screen
        .find(&format!("{title} ("))
        .unwrap_or_else(|| panic!("no {title:?}:\n{screen}"));
    let rest = &screen[at + title.len() + 2..];
    rest[..rest.find(')').unwrap()].parse().unwrap()
}

#[test]
fn purchasing_keeps_a_filter_per_list() {
    let b = demo();
    let mut d = Driver::new(&b, Some("BUY1"));
    d.open("Purchasing").expect("BUY1 buys");
    let work = title_count(&d.screen(132, 43), "replenishment worklist");
    assert!(work > 1, "the demo has a worklist");
    d.press("tab");
    let all = title_count(&d.screen(132, 43), "purchase orders");
    let po = b
        .state
        .borrow()
        .purchase_orders
        .keys()
        .next_back()
        .cloned()
        .unwrap();
    d.press("/").typed(&po).press("enter");
    let s = d.screen(132, 43);
    assert_eq!(title_count(&s, "purchase orders"), 1, "{s}");
    assert!(all > 1);
    // Back on the worklist: the PO number does not filter it.
    d.press("shift-tab");
    assert_eq!(
        title_count(&d.screen(132, 43), "replenishment worklist"),
        work
    );
    // And the orders keep theirs.
    d.press("tab");
    assert_eq!(title_count(&d.screen(132, 43), "purchase orders"), 1);
}

#[test]
fn the_controller_revalues_foreign_items_from_the_period_close_screen() {
    let b = demo();
    // CX01: C0002 billed in CAD from US01 (USD books), as in the ledger
    // scenarios.
    let mut cx = b.state.borrow().customers[&"C0002".to_code()].clone();
    cx.code = "CX01".into();
    cx.currency = depot::core::types::Currency::new("CAD");
    cx.price_list = "LIST-CAD".into();
    b.exec("ADMIN", CommandBody::CreateCustomer(cx)).unwrap();
    for (who, cmd) in [
        (
            "ADMIN",
            serde_json::json!({"cmd": "set_fx_rate", "from": "CAD", "to": "USD", "date": "2026-11-25", "rate": "0.7200"}),
        ),
        (
            "CLERK1",
            serde_json::json!({"cmd": "place_order", "customer": "CX01", "lines": [{"sku": "FAS-1001", "qty": "20", "warehouse": "CHI"}]}),
        ),
    ] {
        b.exec(who, serde_json::from_value(cmd).unwrap()).unwrap();
    }
    let order = b
        .state
        .borrow()
        .orders
        .get_max()
        .map(|(k, _)| k)
        .cloned()
        .unwrap();
    b.exec(
        "SHIP1",
        serde_json::from_value(serde_json::json!({"cmd": "release_order", "number": order}))
            .unwrap(),
    )
    .unwrap();
    let (list, lines) = {
        let s = b.state.borrow();
        let (code, p) = s.picks.get_max().unwrap();
        (
            code.clone(),
            p.lines
                .iter()
                .map(|l| (l.line, l.bin.clone(), l.qty))
                .collect::<Vec<_>>(),
        )
    };
    for (line, bin, qty) in lines {
        b.exec("PICK1", serde_json::from_value(serde_json::json!({"cmd": "confirm_pick", "list": list, "line": line, "bin": bin, "item": "FAS-1001", "qty": qty.to_string()})).unwrap()).unwrap();
    }
    b.exec("PACK1", serde_json::from_value(serde_json::json!({"cmd": "pack_carton", "list": list, "contents": [{"item": "FAS-1001", "qty": "20"}], "weight": "26.22"})).unwrap()).unwrap();
    b.exec("SHIP1", serde_json::from_value(serde_json::json!({"cmd": "ship_pick", "list": list, "carrier": "FEDEX", "service": "GND", "freight": "12.50"})).unwrap()).unwrap();
    let shipment = b
        .state
        .borrow()
        .shipments
        .get_max()
        .map(|(k, _)| k)
        .cloned()
        .unwrap();
    b.exec(
        "AR1",
        serde_json::from_value(
            serde_json::json!({"cmd": "invoice_shipments", "shipments": [shipment]}),
        )
        .unwrap(),
    )
    .unwrap();
    b.exec("ADMIN", serde_json::from_value(serde_json::json!({"cmd": "set_fx_rate", "from": "CAD", "to": "USD", "date": "2026-11-30", "rate": "0.7000"})).unwrap()).unwrap();
    let seq = b.state.borrow().seq;

    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Period close").unwrap();
    d.press("/").typed("US01 FY2026-11").press("enter");
    d.press("f9");
    let s = d.screen(132, 43);
    assert!(s.contains("Revalue US01's open foreign-currency"), "{s}");
    // No: nothing is submitted.
    d.press("n");
    assert_eq!(b.state.borrow().seq, seq);
    // Before the period ends the core refuses, and says why.
    d.press("f9").press("y");
    let s = d.screen(132, 43);
    assert!(s.contains("has not ended"), "{s}");
    assert_eq!(b.state.borrow().seq, seq);
    // On its last day the revaluation runs and the checklist item clears.
    let end = Utc.from_utc_datetime(
        &NaiveDate::from_ymd_opt(2026, 11, 30)
            .unwrap()
            .and_hms_opt(18, 0, 0)
            .unwrap(),
    );
    let b = MemBackend::new(b.state.borrow().clone(), end);
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Period close").unwrap();
    d.press("/").typed("US01 FY2026-11").press("enter");
    assert!(d.screen(132, 43).contains("not revalued"));
    d.press("f9").press("y");
    let s = d.screen(132, 43);
    assert!(s.contains("US01 FY2026-11: 1 open item(s) revalued"), "{s}");
    assert!(!s.contains("not revalued"), "{s}");
    assert_eq!(b.state.borrow().seq, seq + 1);
}

/// A receipt on account (nothing applied): a book item in the bank.
fn cheque(b: &MemBackend, customer: &str, amount: &str, reference: &str) {
    b.exec(
        "AR1",
        CommandBody::ReceivePayment {
            customer: customer.into(),
            method: Method::Cheque,
            amount: amount.parse().unwrap(),
            reference: reference.into(),
            apply: vec![],
        },
    )
    .unwrap();
}

/// The book item of the receipt with this reference.
fn book_item_of(b: &MemBackend, reference: &str) -> String {
    let s = b.state.borrow();
    let r = s
        .receipts
        .values_sorted()
        .into_iter()
        .find(|r| r.reference == reference)
        .expect("the receipt");
    s.book_items
        .values()
        .find(|i| i.doc == r.number)
        .map(|i| i.id.clone())
        .expect("its book item")
        .to_string()
}

/// Five cheques in the books, and a statement file: one deposit of 500
/// (no reference), one naming CHQ 3, one deposit of two cheques (CHQ 4 +
/// CHQ 5) and a service fee the books do not have. CHQ 2 is in transit.
/// Every cheque is US01's (the statement's entity).
fn bank_fixture(b: &MemBackend, dir: &std::path::Path) -> std::path::PathBuf {
    cheque(b, "C0002", "500.00", "CHQ 1");
    cheque(b, "C0003", "250.00", "CHQ 2");
    cheque(b, "C0004", "250.00", "CHQ 3");
    cheque(b, "C0002", "120.00", "CHQ 4"); // C0005 is CA01's
    cheque(b, "C0006", "80.00", "CHQ 5");
    let path = dir.join("NOV-25.csv");
    std::fs::write(
        &path,
        "date,amount,reference,description\n\
         2026-11-25,500.00,,deposit\n\
         2026-11-25,250.00,CHQ 3,deposit\n\
         2026-11-25,200.00,,deposit 2 items\n\
         2026-11-25,-12.50,,monthly service fee\n",
    )
    .unwrap();
    path
}

#[test]
fn bank_rec_import_auto_match_manual_match_and_a_fee_posted() {
    use depot::core::bank::Cleared;
    use depot::ui::screens::bank_rec::figures;
    let b = demo();
    let tmp = tempfile::tempdir().unwrap();
    let path = bank_fixture(&b, tmp.path());
    let (chq2, chq3, chq4, chq5) = (
        book_item_of(&b, "CHQ 2"),
        book_item_of(&b, "CHQ 3"),
        book_item_of(&b, "CHQ 4"),
        book_item_of(&b, "CHQ 5"),
    );
    let book_before = figures(&b.state.borrow(), "US01").book;
    // The AR clerk (classic keymap) reconciles.
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Bank reconciliation")
        .expect("AR1 reconciles the bank");
    // A file that is not there: said, nothing submitted.
    let n = b.log.borrow().len();
    d.press("f9").typed("/no/such/file.csv").press("enter");
    assert!(d.screen(80, 24).contains("/no/such/file.csv"));
    assert_eq!(b.log.borrow().len(), n);
    d.press("ctrl-u")
        .typed(&path.to_string_lossy())
        .press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains("Import statement NOV-25 into US01 bank 1000 (USD): 4"),
        "{s}"
    );
    assert_eq!(b.log.borrow().len(), n, "nothing before the confirm");
    d.press("y");
    let s = d.screen(80, 24);
    assert!(s.contains("IMPORTED statement NOV-25: 4 line(s)"), "{s}");
    // Automatic: the 500 (the only one of its amount) and the line naming
    // CHQ 3, each with its reason.
    d.press("f6");
    assert!(d
        .screen(80, 24)
        .contains("Match US01's 4 open line(s) automatically"));
    d.press("y");
    let s = d.screen(132, 43);
    assert!(s.contains("AUTO-MATCHED 2 line(s); 2 line(s) open"), "{s}");
    assert!(s.contains("auto: reference names RC-"), "{s}");
    assert!(s.contains("auto: only 500.00 in 0 day(s), RC-"), "{s}");
    {
        let st = b.state.borrow();
        assert!(st.book_items[&chq3.to_code()].cleared_by.is_some());
        assert!(
            st.book_items[&chq2.to_code()].cleared_by.is_none(),
            "CHQ 2 is in transit"
        );
    }
    // By hand: the 200.00 deposit is CHQ 4 + CHQ 5. The open lines come
    // first: the deposit, then the fee.
    d.press("enter");
    let items: Vec<Code> = {
        let st = b.state.borrow();
        let mut v: Vec<Code> = st.index.uncleared_book_items[&"US01".to_code()]
            .iter()
            .cloned()
            .collect();
        v.sort();
        v
    };
    let pos = |id: &str| items.iter().position(|i| i == id).unwrap();
    for _ in 0..pos(&chq4) {
        d.press("down");
    }
    d.press("enter");
    for _ in pos(&chq4)..pos(&chq5) {
        d.press("down");
    }
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("diff 0.00"), "{s}");
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!("to {chq4}, {chq5}?")),
        "the confirm names both items: {s}"
    );
    d.press("y");
    assert!(d
        .screen(80, 24)
        .contains("MATCHED 1 line(s); 1 line(s) open"));
    // The fee: F7 on the line, bank charges offered, the memo from the
    // statement.
    d.press("backtab");
    d.press("f7");
    let s = d.screen(80, 24);
    assert!(s.contains("Post to account 6500"), "{s}");
    // An account by words of its name: several are named, one is taken.
    d.press("ctrl-u").typed("fx").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("4 accounts match \"fx\""), "{s}");
    d.press("ctrl-u").typed("bank charges");
    d.press("enter");
    assert!(d.screen(80, 24).contains("monthly service fee"));
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("Post BL-"), "{s}");
    assert!(s.contains("-12.50 USD) to 6500"), "{s}");
    // The day it posts on (its own: November is open).
    assert!(s.contains("dated 2026-11-25?"), "{s}");
    d.press("y");
    let s = d.screen(132, 43);
    assert!(s.contains("POSTED BL-"), "{s}");
    assert!(
        s.contains("Reconciled: every statement line explained"),
        "{s}"
    );
    // Through the query layer: every line explained, CHQ 2 outstanding,
    // the statement balance the book less the cheque in transit.
    let st = b.state.borrow();
    let f = figures(&st, "US01");
    assert_eq!(f.unmatched_lines, 0);
    assert_eq!(f.lines, 4);
    assert_eq!(f.book, book_before - Decimal::new(1250, 2));
    assert_eq!(f.implied(), f.book - f.outstanding);
    assert!(st.index.uncleared_book_items[&"US01".to_code()].contains(&chq2.to_code()));
    let manual = st
        .bank_lines
        .values()
        .find(|l| l.amount == Decimal::from(200))
        .unwrap();
    assert_eq!(
        manual.cleared,
        Some(Cleared::Matched {
            items: vec![chq4.clone().into(), chq5.clone().into()],
            write_off: Decimal::ZERO,
            auto: false
        })
    );
    let fee = st
        .bank_lines
        .values()
        .find(|l| l.amount == Decimal::new(-1250, 2))
        .unwrap();
    assert_eq!(
        fee.cleared,
        Some(Cleared::Posted {
            account: "6500".into()
        })
    );
    let charges = st
        .ledger
        .balances
        .get(&("US01".to_code(), "6500".to_code()))
        .copied()
        .unwrap_or_default();
    assert_eq!(charges, Decimal::new(1250, 2));
    depot::core::invariants::check_state(&st).unwrap();
}

#[test]
fn bank_rec_refuses_a_match_beyond_the_tolerance_and_a_second_import() {
    let b = demo();
    let tmp = tempfile::tempdir().unwrap();
    let path = bank_fixture(&b, tmp.path());
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Bank reconciliation")
        .expect("the controller reconciles");
    d.press("f9")
        .typed(&path.to_string_lossy())
        .press("enter")
        .press("y");
    // The 200.00 deposit against CHQ 4 alone: 80.00 apart, refused on
    // screen, nothing submitted.
    let chq4 = book_item_of(&b, "CHQ 4");
    d.press("/").typed("200").press("enter").press("enter");
    d.press("f4").press("esc");
    d.press("/").typed(&chq4).press("enter");
    d.press("enter");
    let n = b.log.borrow().len();
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(s.contains("beyond the tolerance of 5.00"), "{s}");
    assert_eq!(b.log.borrow().len(), n);
    // The same file again: the core refuses the statement number.
    d.press("esc");
    d.press("f9").typed(&path.to_string_lossy()).press("enter");
    // Said when the file is read, before any confirm.
    let s = d.screen(80, 24);
    assert!(s.contains("US01/NOV-25 already exists"), "{s}");
    assert!(!s.contains("Import statement"), "{s}");
    assert_eq!(
        b.state
            .borrow()
            .bank_lines
            .values()
            .filter(|l| l.statement == "NOV-25")
            .count(),
        4
    );
}

#[test]
fn snapshots_of_bank_reconciliation() {
    let b = demo();
    let tmp = tempfile::tempdir().unwrap();
    let path = bank_fixture(&b, tmp.path());
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Bank reconciliation").unwrap();
    insta::assert_snapshot!("bank_rec_empty_80x24", d.screen(80, 24));
    d.press("f9")
        .typed(&path.to_string_lossy())
        .press("enter")
        .press("y");
    d.press("f6").press("y");
    insta::assert_snapshot!("bank_rec_80x24", d.screen(80, 24));
    insta::assert_snapshot!("bank_rec_132x43", d.screen(132, 43));
    d.press("tab");
    insta::assert_snapshot!("bank_rec_items_80x24", d.screen(80, 24));
    let s = d.screen(20, 5);
    assert!(s.contains("20x5"), "{s}");
}

/// AP1 enters V001's invoice `reference` for the first PO received, at
/// what was received and the PO price (matched, open), and sets the
/// pay-through day 31 days on: the run holds it.
fn invoice_to_pay<'a>(b: &'a MemBackend, reference: &str) -> Driver<'a> {
    let (po, qty, price) = receive_first_po(b);
    let mut d = Driver::new(b, Some("AP1"));
    d.open("Supplier invoices").unwrap();
    d.typed("V001")
        .press("enter")
        .typed(reference)
        .press("enter");
    assert!(d.screen(80, 24).contains(&po));
    d.press("enter").press("enter");
    d.press("ctrl-u")
        .typed(&format!("{qty}@{price}"))
        .press("enter");
    d.press("f10").press("y");
    d.press("tab").press("tab");
    d.press("tab").typed("+31").press("enter");
    d
}

/// A payment run the bank cannot cover is said in its question (what
/// the bank account holds, what the run pays) and takes an explicit y:
/// Enter is no, nothing is paid.
#[test]
fn a_payment_run_over_the_bank_balance_is_said_and_takes_an_explicit_yes() {
    use depot::core::master::PostingKey;
    use depot::core::purchasing::ApStatus;
    let b = demo();
    let mut d = invoice_to_pay(&b, "F-9002");
    let bank = {
        let st = b.state.borrow();
        st.posting_rules
            .get(&("US01".into(), PostingKey::Bank))
            .cloned()
            .unwrap()
            .to_string()
    };
    let held = |b: &MemBackend| {
        b.state
            .borrow()
            .ledger
            .balances
            .get(&("US01".into(), bank.as_str().into()))
            .copied()
            .unwrap_or_default()
    };
    // The controller books the bank to `to` (against 6400).
    let book = |to: Decimal| {
        let by = to - held(&b);
        let (dr, cr) = if by > Decimal::ZERO {
            (bank.clone(), "6400".to_string())
        } else {
            ("6400".to_string(), bank.clone())
        };
        let body: depot::core::CommandBody = serde_json::from_value(serde_json::json!({
            "cmd": "post_journal_entry", "entity": "US01", "memo": "transfer",
            "lines": [{"account": dr, "debit": by.abs().to_string()},
                      {"account": cr, "credit": by.abs().to_string()}]}))
        .unwrap();
        b.exec("CTRL1", body).unwrap();
        assert_eq!(held(&b), to);
    };
    let run: Decimal = {
        let st = b.state.borrow();
        let until = today() + chrono::Duration::days(31);
        depot::query::ap::proposal(&st, today(), until)
            .iter()
            .map(|p| p.amount)
            .sum()
    };
    // A bank that covers the run: the plain question.
    book(run);
    d.committed();
    d.press("f8");
    let s = d.screen(132, 43);
    assert!(
        s.contains("Pay 1 invoice of") && !s.contains("OVER THE BANK"),
        "{s}"
    );
    d.press("n");
    // A cent short of it: said, with what the bank holds.
    book(run - Decimal::new(1, 2));
    d.committed();
    d.press("f8");
    let s = d.screen(132, 43);
    assert!(s.contains("OVER THE BANK BALANCE"), "{s}");
    d.press("n");
    book(Decimal::ONE);
    d.committed();
    d.press("f8");
    let s = d.screen(132, 43);
    assert!(
        s.contains(&format!(
            "OVER THE BANK BALANCE: US01 bank {bank} holds 1.00 USD"
        )),
        "{s}"
    );
    d.press("enter");
    assert!(d
        .screen(80, 24)
        .contains("payment run not made: nothing paid"));
    let paid = |b: &MemBackend| b.state.borrow().supplier_payments.len();
    let before = paid(&b);
    assert_eq!(ap_status(&b, "F-9002"), ApStatus::Open, "Enter is no");
    d.press("f8").press("y");
    assert!(d.screen(80, 24).contains("payment run: 1 invoice PAID"));
    assert_eq!(paid(&b), before + 1);
    assert_eq!(ap_status(&b, "F-9002"), ApStatus::Paid);
}

#[test]
fn a_remittance_advice_prints_after_the_payment_run_and_again_on_request() {
    use depot::docs::{build, BuildOptions, DocKind};
    let b = demo();
    let mut d = invoice_to_pay(&b, "F-9001");
    d.press("f8").press("y").wait_prints();
    let s = d.screen(80, 24);
    assert!(s.contains("payment run: 1 invoice PAID"), "{s}");
    let pay = b
        .state
        .borrow()
        .supplier_payments
        .values()
        .find(|p| p.supplier == "V001")
        .map(|p| p.number.clone())
        .expect("the payment");
    assert_eq!(last_print(&b), ("remittance-advice".into(), pay.clone()));
    // Reprinted with the print key.
    let n = b.log.borrow().len();
    d.press("ctrl-p").wait_prints();
    assert_eq!(b.log.borrow().len(), n + 1);
    assert_eq!(last_print(&b), ("remittance-advice".into(), pay.clone()));
    // What it says: the supplier's invoice number, ours, the amount paid
    // and the payment's reference.
    let st = b.state.borrow();
    let p = &st.supplier_payments[&pay];
    let inv = &st.supplier_invoices[&p.applications[0].invoice];
    let doc = build(
        &st,
        DocKind::RemittanceAdvice,
        &pay,
        BuildOptions {
            today: today(),
            copy: false,
        },
    )
    .unwrap();
    assert_eq!(doc.total("Payment"), Some(p.amount));
    assert_eq!(
        doc.total("Invoices settled"),
        Some(p.applications.iter().map(|a| a.amount + a.discount).sum())
    );
    let text = depot::docs::text::render(&doc);
    for want in [
        "REMITTANCE ADVICE",
        "F-9001",
        inv.number.as_str(),
        p.reference.as_str(),
    ] {
        assert!(text.contains(want), "{want} in\n{text}");
    }
    insta::assert_snapshot!("remittance_advice_text", text);
}

#[test]
fn a_freight_charge_is_allocated_to_the_receipt_from_supplier_invoices() {
    let b = demo();
    receive_first_po(&b);
    let gr = b
        .state
        .borrow()
        .goods_receipts
        .values()
        .max_by(|a, b| (a.date, &a.number).cmp(&(b.date, &b.number)))
        .map(|r| r.number.clone())
        .unwrap();
    let mut d = Driver::new(&b, Some("AP1"));
    d.open("Supplier invoices").unwrap();
    d.typed("V001").press("enter").typed("FRT-1").press("enter");
    d.press("f2");
    let s = d.screen(80, 24);
    assert!(s.contains(&*gr), "the latest receipt is offered: {s}");
    d.typed("150").press("enter").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("allocation (not entered yet)"), "{s}");
    let n = b.log.borrow().len();
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("Enter freight FRT-1 of V001"), "{s}");
    assert_eq!(b.log.borrow().len(), n, "nothing before the confirm");
    d.press("y");
    let s = d.screen(80, 24);
    assert!(s.contains("ALLOCATED over"), "{s}");
    let st = b.state.borrow();
    let inv = st
        .supplier_invoices
        .values()
        .find(|i| i.reference == "FRT-1")
        .expect("the charge is an open supplier invoice");
    assert_eq!(inv.total, Decimal::from(150));
    depot::core::invariants::check_state(&st).unwrap();
}

/// The same statement as `bank_fixture`'s, as a bank sends it in SWIFT
/// MT940: imported through the same path, signed by each line's mark, and
/// auto-matched the same way; a garbled MT940 file is refused and changes
/// nothing.
#[test]
fn bank_rec_imports_an_mt940_statement() {
    let b = demo();
    let tmp = tempfile::tempdir().unwrap();
    bank_fixture(&b, tmp.path());
    let path = tmp.path().join("nov.sta");
    std::fs::write(
        &path,
        ":20:STMT2611\r\n\
         :25:US01-OPERATING\r\n\
         :28C:00325/001\r\n\
         :60F:C261124USD1000,00\r\n\
         :61:2611251125C500,00NTRFNONREF\r\n\
         :86:deposit\r\n\
         :61:2611251125C250,00NCHKCHQ 3\r\n\
         :86:deposit\r\n\
         :61:2611251125C200,00NTRFNONREF\r\n\
         :86:deposit 2 items\r\n\
         :61:2611251125D12,50NCHGNONREF//BANKFEE1\r\n\
         :86:monthly service fee\r\n\
         :62F:C261125USD1937,50\r\n",
    )
    .unwrap();
    let bad = tmp.path().join("bad.sta");
    std::fs::write(&bad, ":20:STMT2611\r\n:25:US01\r\n:61:garbled\r\n").unwrap();
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Bank reconciliation").unwrap();
    let n = b.log.borrow().len();
    d.press("f9").typed(&bad.to_string_lossy()).press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("MT940"), "the parser's refusal is said: {s}");
    assert_eq!(b.log.borrow().len(), n, "nothing submitted");
    d.press("ctrl-u")
        .typed(&path.to_string_lossy())
        .press("enter");
    let s = d.screen(80, 24);
    // The confirm wraps: the statement (account and number), then the sums.
    assert!(
        s.contains("Import statement US01-OPERATING 00325/001 into US01 bank"),
        "{s}"
    );
    assert!(
        s.contains("1000 (USD): 4 line(s), in 950.00 out -12.50 USD?"),
        "{s}"
    );
    d.press("y");
    let st = b.state.borrow();
    let mut lines: Vec<_> = st
        .bank_lines
        .values()
        .filter(|l| l.statement == "US01-OPERATING 00325/001")
        .map(|l| (l.date, l.amount, l.reference.clone(), l.description.clone()))
        .collect();
    lines.sort_by_key(|a| a.1);
    let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    assert_eq!(
        lines,
        vec![
            (
                day,
                Decimal::new(-1250, 2),
                "BANKFEE1".to_string(),
                "monthly service fee".to_string()
            ),
            (
                day,
                Decimal::from(200),
                String::new(),
                "deposit 2 items".to_string()
            ),
            (
                day,
                Decimal::from(250),
                "CHQ 3".to_string(),
                "deposit".to_string()
            ),
            (
                day,
                Decimal::from(500),
                String::new(),
                "deposit".to_string()
            ),
        ]
    );
    drop(st);
    // Matched as the CSV's lines are: the 500 and the line naming CHQ 3.
    d.press("f6").press("y");
    let s = d.screen(132, 43);
    assert!(s.contains("AUTO-MATCHED 2 line(s); 2 line(s) open"), "{s}");
}

/// The same statement in ISO 20022 camt.053: imported through the same
/// path (a pending entry left out), and auto-matched as the CSV's lines.
#[test]
fn bank_rec_imports_a_camt053_statement() {
    let b = demo();
    let tmp = tempfile::tempdir().unwrap();
    bank_fixture(&b, tmp.path());
    let path = tmp.path().join("nov.xml");
    let entry = |amt: &str, ind: &str, sts: &str, refs: &str, info: &str| {
        format!(
            "<Ntry><Amt Ccy=\"USD\">{amt}</Amt><CdtDbtInd>{ind}</CdtDbtInd>\
             <Sts><Cd>{sts}</Cd></Sts><BookgDt><Dt>2026-11-25</Dt></BookgDt>\
             <NtryDtls><TxDtls><Refs><EndToEndId>{refs}</EndToEndId></Refs>\
             </TxDtls></NtryDtls><AddtlNtryInf>{info}</AddtlNtryInf></Ntry>"
        )
    };
    let xml = format!(
        "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\
         <BkToCstmrStmt><Stmt><Id>NOV25</Id><Acct><Id><Othr><Id>1000-US</Id></Othr></Id></Acct>\
         {}{}{}{}{}</Stmt></BkToCstmrStmt></Document>",
        entry("500.00", "CRDT", "BOOK", "NOTPROVIDED", "deposit"),
        entry("250.00", "CRDT", "BOOK", "CHQ 3", "deposit"),
        entry("200.00", "CRDT", "BOOK", "NOTPROVIDED", "deposit 2 items"),
        entry("75.00", "CRDT", "PDNG", "NOTPROVIDED", "not booked yet"),
        entry("12.50", "DBIT", "BOOK", "NOTPROVIDED", "monthly service fee"),
    );
    std::fs::write(&path, xml).unwrap();
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Bank reconciliation").unwrap();
    d.press("f9").typed(&path.to_string_lossy()).press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("┌ confirm"), "{s}");
    assert_eq!(
        d.app.confirm.as_deref(),
        Some("Import statement 1000-US NOV25 into US01 bank 1000 (USD): 4 line(s), in 950.00 out -12.50 USD?"),
        "{s}"
    );
    d.press("y");
    {
        let st = b.state.borrow();
        let amounts: std::collections::BTreeSet<Decimal> = st
            .bank_lines
            .values()
            .filter(|l| l.statement == "1000-US NOV25")
            .map(|l| l.amount)
            .collect();
        let want: std::collections::BTreeSet<Decimal> = [
            Decimal::new(-1250, 2),
            Decimal::from(200),
            Decimal::from(250),
            Decimal::from(500),
        ]
        .into();
        assert_eq!(amounts, want);
    }
    d.press("f6").press("y");
    let s = d.screen(132, 43);
    assert!(s.contains("AUTO-MATCHED 2 line(s); 2 line(s) open"), "{s}");
}

#[test]
fn finance_views_say_when_a_table_is_empty_and_leave_a_terminal_too_small_with_f3() {
    let b = demo();
    // The demo owes no supplier: its AP aging has no row.
    assert!(depot::query::finance::ap_open_items(&b.state.borrow(), None, today()).is_empty());
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Finance views").unwrap();
    // The GL lines of the trial balance's first account, filtered by a
    // text no line has, say so.
    d.press("enter");
    assert_eq!(d.app.screen_name(), "finance_gl");
    assert!(!d.screen(80, 24).contains("nothing"));
    d.press("/").typed("ZZZ").press("enter");
    assert!(d.screen(80, 24).contains("nothing matches /ZZZ"));
    // Esc clears the kept filter, then leaves.
    d.press("esc");
    assert_eq!(d.app.screen_name(), "finance_gl");
    assert!(!d.screen(80, 24).contains("nothing matches"));
    d.press("esc");
    assert_eq!(d.app.screen_name(), "finance_views");
    d.press("tab").press("tab").press("tab").press("tab");
    let s = d.screen(80, 24);
    assert!(s.contains("AP aging as of"), "{s}");
    assert!(
        s.contains(&format!("nothing open as of {}", today())),
        "{s}"
    );
    // The help box lists the key for the previous view.
    d.press("f1");
    let s = d.screen(80, 24);
    assert!(s.contains("backtab") && s.contains("previous view"), "{s}");
    d.press("esc");
    // Too small: one phrase a line, and the key bar offers the one key
    // the screen takes, which works.
    let s = d.screen(40, 16);
    let lines: Vec<&str> = s.lines().collect();
    assert!(lines.contains(&"40x16: too small"), "{s}");
    assert!(lines.contains(&"finance views needs 80x24"), "{s}");
    assert!(lines.contains(&"F3: back"), "{s}");
    assert_eq!(lines.last().copied(), Some("F3 back"), "{s}");
    d.press("tab");
    let s = d.screen(40, 16);
    assert!(s.contains("too small: only F3 works (back)"), "{s}");
    assert_eq!(d.app.screen_name(), "finance_views");
    d.press("f3");
    assert_eq!(d.app.screen_name(), "menu");
    assert!(!d.app.quit);
}

/// Another buyer's new PO is numbered above the rest and lists on top:
/// the cursor stays on the PO it was on, so that the next key (here F10,
/// submit) acts on the PO the buyer chose, not on the one that moved
/// under the cursor.
#[test]
fn purchasing_keeps_its_cursor_on_the_po_when_another_session_adds_one() {
    let b = demo();
    let mut d = Driver::new(&b, Some("BUY1"));
    d.open("Purchasing").expect("BUY1 buys");
    d.press("tab").press("down");
    let listed: Vec<Code> = {
        let st = b.state.borrow();
        let mut v: Vec<Code> = st
            .purchase_orders
            .values()
            .filter(|p| {
                use depot::core::purchasing::PoStatus::*;
                matches!(p.status, Draft | AwaitingApproval | Open)
            })
            .map(|p| p.number.clone())
            .collect();
        v.sort();
        v.reverse();
        v
    };
    assert!(listed.len() >= 2, "the demo lists two POs or more");
    let chosen = listed[1].clone();
    // Another buyer's session makes a PO.
    b.exec(
        "BUY1",
        CommandBody::CreatePurchaseOrder {
            supplier: "V008".into(),
            warehouse: "CHI".into(),
            lines: vec![depot::core::purchasing::PoLineInput {
                sku: "BRK-1040".into(),
                qty: Decimal::from(2),
                unit: None,
                price: None,
                expected: None,
            }],
        },
    )
    .unwrap();
    d.committed();
    d.press("f10");
    let s = d.screen(132, 43);
    assert!(
        s.contains(&format!("{chosen} is not a draft"))
            || s.contains(&format!("Submit draft {chosen} ")),
        "F10 acts on {chosen}, the PO chosen: {s}"
    );
    // Moved by hand, the cursor follows the keys again: Up is the PO
    // listed above the chosen one (listed[0]), not the new one.
    if s.contains("Submit draft") {
        d.press("n");
    }
    d.press("up").press("f10");
    let s = d.screen(132, 43);
    let above = &listed[0];
    assert!(
        s.contains(&format!("{above} is not a draft"))
            || s.contains(&format!("Submit draft {above} ")),
        "{s}"
    );
}

/// A supplier's bill rejected (billed for more than was received) is
/// entered again, corrected, under the supplier's same number; a bill
/// that is not rejected still takes its number once, so that it is never
/// paid twice.
#[test]
fn a_rejected_supplier_invoice_is_entered_again_under_its_reference_once() {
    use depot::core::purchasing::{ApStatus, InvoiceLineInput};
    let b = demo();
    let (po, qty, price) = receive_first_po(&b);
    let enter = |q: Decimal| {
        b.exec(
            "AP1",
            CommandBody::EnterSupplierInvoice {
                supplier: "V001".into(),
                reference: "INV-77".into(),
                lines: vec![InvoiceLineInput {
                    po: po.as_str().into(),
                    line: 1,
                    qty: q,
                    price,
                }],
            },
        )
    };
    enter(qty + Decimal::from(50)).expect("entered, held on quantity");
    let held = b
        .state
        .borrow()
        .supplier_invoices
        .values()
        .find(|i| i.reference == "INV-77")
        .map(|i| (i.number.clone(), i.status))
        .unwrap();
    assert_eq!(held.1, ApStatus::Held);
    // Held, not rejected: the number is taken.
    let again = enter(qty).expect_err("the held bill holds its number");
    assert_eq!(again.code(), "duplicate_reference", "{again}");
    b.exec(
        "CTRL1",
        CommandBody::RejectSupplierInvoice {
            number: held.0.clone(),
            reason: "billed over the receipt".into(),
        },
    )
    .unwrap();
    // Rejected: the corrected bill is entered under the same number.
    enter(qty).expect("the corrected bill is entered");
    let live: Vec<ApStatus> = b
        .state
        .borrow()
        .supplier_invoices
        .values()
        .filter(|i| i.reference == "INV-77")
        .map(|i| i.status)
        .collect();
    assert_eq!(live.len(), 2, "{live:?}");
    assert!(
        live.contains(&ApStatus::Rejected) && live.contains(&ApStatus::Open),
        "{live:?}"
    );
    // And once only.
    let third = enter(qty).expect_err("entered once");
    assert_eq!(third.code(), "duplicate_reference", "{third}");
    depot::core::invariants::check_state(&b.state.borrow()).expect("every invariant holds");
}

/// A month marked reconciled, then a statement with a line still open:
/// the header no longer says the month is done (period close blocks on
/// the line too), and at 80 columns it says so whole.
#[test]
fn bank_rec_says_a_month_marked_done_has_lines_open_since() {
    let b = demo();
    let day = today();
    let period = depot::ui::screens::bank_rec::rec_period(&b.state.borrow(), "US01", day)
        .expect("the month being reconciled");
    b.exec(
        "AR1",
        CommandBody::MarkBankReconciled {
            entity: "US01".into(),
            period: period.clone(),
        },
    )
    .expect("nothing open: marked done");
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Bank reconciliation").unwrap();
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("{period} done (AR1)")), "{s}");
    b.exec(
        "AR1",
        CommandBody::ImportBankStatement {
            entity: "US01".into(),
            statement: "LATE-1".into(),
            lines: vec![depot::core::bank::StatementLine {
                date: day,
                amount: Decimal::new(6902, 2),
                reference: String::new(),
                description: "deposit".into(),
            }],
        },
    )
    .unwrap();
    d.committed();
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!("{period}: 1 open since done")) && !s.contains("done (AR1)"),
        "{s}"
    );
    let s = d.screen(132, 43);
    assert!(
        s.contains(&format!(
            "{period} marked done by AR1, 1 line(s) open since"
        )),
        "{s}"
    );
}

/// Locking a period is never undone: Enter at its question is no, only
/// an explicit y locks.
#[test]
fn a_period_is_locked_only_by_an_explicit_yes() {
    use depot::core::master::PeriodStatus;
    let b = demo();
    let status = |code: &str| us01_period(&b, code);
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Period close").expect("CTRL1 closes periods");
    d.press("f4").typed("US01 FY2026-10").press("enter");
    d.press("f10").press("y");
    assert_eq!(status("FY2026-10"), PeriodStatus::Closed);
    d.press("f8");
    assert!(d.screen(132, 43).contains("LOCK US01 FY2026-10 for good"));
    d.press("enter");
    assert_eq!(status("FY2026-10"), PeriodStatus::Closed, "Enter is no");
    d.press("f8").press("y");
    assert_eq!(status("FY2026-10"), PeriodStatus::Locked);
}

/// The tolerance typed over the proposed 5.00 replaces it, and one finer
/// than the currency is refused as it is entered, not after a confirm
/// that showed it rounded.
#[test]
fn bank_rec_refuses_a_tolerance_finer_than_the_currency_as_it_is_typed() {
    let b = demo();
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Bank reconciliation").unwrap();
    d.press("tab").press("tab").typed("1.234").press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains("the tolerance 1.234 has more than 2 decimals for USD"),
        "{s}"
    );
    assert!(!s.contains("5.001"), "typed over, not after: {s}");
    // Still on the field: mended, it is taken.
    d.press("backspace").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("Tol 1.23 "), "{s}");
    assert!(!s.contains("more than 2 decimals"), "{s}");
}

/// One cheque paying two orders' invoices: each order's inquiry shows
/// the part of the cheque that went to it, not the whole cheque.
#[test]
fn an_order_inquiry_shows_its_part_of_a_cheque_that_paid_two_orders() {
    let b = demo();
    let i1 = sale_on_account(&b, "C0009", "FAS-1000", 3);
    let i2 = sale_on_account(&b, "C0009", "FAS-1001", 2);
    let (o1, o2, order) = {
        let s = b.state.borrow();
        (
            s.invoices[&i1.to_code()].open,
            s.invoices[&i2.to_code()].open,
            s.invoices[&i1.to_code()].lines[0].order.clone(),
        )
    };
    b.exec(
        "AR1",
        CommandBody::ReceivePayment {
            customer: "C0009".into(),
            method: Method::Cheque,
            amount: o1 + o2,
            reference: "CHQ 12".into(),
            apply: vec![
                depot::core::cash::ApplyTo {
                    invoice: i1.clone().into(),
                    amount: o1,
                    settle: false,
                },
                depot::core::cash::ApplyTo {
                    invoice: i2.clone().into(),
                    amount: o2,
                    settle: false,
                },
            ],
        },
    )
    .unwrap();
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Order inquiry").unwrap();
    d.typed(&order).press("enter");
    let s = d.screen(132, 43);
    let usd = |x: Decimal| depot::core::types::format_amount(x, 2);
    assert!(
        s.contains(&format!("{} of {}", usd(o1), usd(o1 + o2))) && s.contains("CHQ 12"),
        "{s}"
    );
}

/// A negative quantity or price on a supplier invoice line is said to be
/// one, with what is meant instead, not answered as unreadable.
#[test]
fn a_negative_quantity_or_price_on_a_supplier_invoice_says_what_it_takes() {
    let b = demo();
    receive_first_po(&b);
    let mut d = Driver::new(&b, Some("AP1"));
    d.open("Supplier invoices").unwrap();
    d.typed("V001").press("enter").typed("F-9").press("enter");
    d.press("enter").press("enter");
    d.press("ctrl-u").typed("-5@1").press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.contains("quantity -5: an invoiced quantity is more than 0"),
        "{s}"
    );
    d.press("ctrl-u").typed("5@-1").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("price -1: a price is 0 or more"), "{s}");
}

/// A customer code that names nobody is said at once where it is typed
/// (the finder opens with "nothing matches"), and Enter on an empty
/// amount says what to type there.
#[test]
fn cash_application_says_what_an_unknown_customer_or_a_missing_amount_is() {
    let b = demo();
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").unwrap();
    d.typed("C9999").press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains("find customer") && s.contains("nothing matches \"C9999\""),
        "{s}"
    );
    d.press("esc").press("esc");
    d.press("ctrl-u").typed("C0001").press("enter");
    d.press("tab").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("type the amount received"), "{s}");
    // F1 in the header names the open items' keys too; pressed there,
    // they go to the open items and say what they do.
    d.press("f1");
    let s = d.screen(80, 24);
    assert!(s.contains("settle short") && s.contains("unapply"), "{s}");
    d.press("esc");
    d.press("f7");
    let s = d.screen(80, 24);
    assert!(
        s.contains("on the open items now: choose the invoice, then F7 settles"),
        "{s}"
    );
}

/// The `qty@price` of a taken line is proposed: what the clerk types
/// replaces it (typing `5` over `240@36.28` was `240@36.285`, a price
/// changed without a word), an editing key mends it, and a quantity
/// typed alone keeps the price the line has.
#[test]
fn typing_over_a_supplier_invoice_lines_qty_at_price_replaces_it() {
    let b = demo();
    let (po, qty, price) = receive_first_po(&b);
    let mut d = Driver::new(&b, Some("AP1"));
    d.open("Supplier invoices").unwrap();
    d.typed("V001")
        .press("enter")
        .typed("F-8801")
        .press("enter");
    assert!(d.screen(80, 24).contains(&po));
    let dear = price + Decimal::new(12, 2);
    let fewer = qty - Decimal::ONE;
    // Take the line; Enter again shows its qty@price; type over it.
    d.press("enter").press("enter");
    assert!(
        d.screen(132, 43).contains(&format!("{qty}@{price}")),
        "{}",
        d.screen(132, 43)
    );
    d.typed(&format!("{qty}@{dear}")).press("enter");
    // Again, a quantity alone: the price stays the one just set.
    d.press("enter").typed(&fewer.to_string()).press("enter");
    // Again, an editing key mends the proposal: Backspace drops the last
    // digit of the price, and typing puts it back.
    d.press("enter").press("backspace");
    let last = dear.to_string().chars().last().unwrap();
    d.typed(&last.to_string()).press("enter");
    d.press("f10");
    let entered = |b: &MemBackend| {
        b.state
            .borrow()
            .supplier_invoices
            .values()
            .any(|i| i.reference == "F-8801")
    };
    // Asked first: `enter yes` when it matches, `y` when it would be held.
    let asked = d.screen(80, 24);
    assert!(!entered(&b) && asked.contains("Enter F-8801"), "{asked}");
    d.press(if asked.contains("enter yes") {
        "enter"
    } else {
        "y"
    });
    let s = b.state.borrow();
    let inv = s
        .supplier_invoices
        .values()
        .find(|i| i.reference == "F-8801")
        .unwrap_or_else(|| panic!("not entered:\n{}", d.screen(132, 43)));
    assert_eq!(inv.lines.len(), 1);
    assert_eq!(inv.lines[0].qty, fewer);
    assert_eq!(inv.lines[0].price, dear);
}

/// Cash application's open items at every width from 80 to 140 columns:
/// an invoice number and its dates are shown whole or not at all. The
/// wide table was drawn from 110 columns, where it needs 127, and cut
/// them short without a mark ("2026-08-1" read as another day).
#[test]
fn cash_application_never_cuts_an_invoice_or_a_date_short() {
    let b = demo();
    let inv = sale_on_account(&b, "C0009", "FAS-1000", 3);
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").unwrap();
    d.typed("C0009").press("enter");
    let is_date = |w: &str| {
        w.len() == 10
            && w.char_indices().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    let mut wide = 0;
    for w in 80..=140 {
        let s = d.screen(w, 30);
        let row = s
            .lines()
            .find(|l| l.contains(inv.as_str()))
            .unwrap_or_else(|| panic!("{inv} not listed at {w}:\n{s}"));
        // The row's second and third words are dates, whole.
        let words: Vec<&str> = row.split_whitespace().collect();
        let at = words.iter().position(|x| *x == inv).unwrap();
        let dates = if s.contains("Total") { 2 } else { 1 };
        for x in &words[at + 1..=at + dates] {
            assert!(is_date(x), "{x} at {w} columns:\n{row}\n{s}");
        }
        wide += usize::from(dates == 2);
    }
    // The wide table was shown at the widest.
    assert!(wide > 0);
}

/// The same cheque received twice (same customer, reference and amount)
/// is asked about with the receipt already in the books, `y` only; an
/// amount above what is left of the receipt is refused where it is typed.
#[test]
fn a_cheque_received_twice_is_asked_about_and_an_over_application_refused_where_typed() {
    let b = demo();
    let inv = sale_on_account(&b, "C0009", "FAS-1000", 3);
    let receive = |d: &mut Driver<MemBackend>| {
        d.open("Cash application").unwrap();
        d.typed("C0009").press("enter");
        d.press("enter").typed("20").press("enter");
        d.typed("CHQ 300").press("enter");
        // The one open item, applied: what is left of the receipt.
        assert!(d.screen(132, 43).contains(inv.as_str()));
        d.press("enter");
    };
    let mut d = Driver::new(&b, Some("AR1"));
    receive(&mut d);
    // Typed over: more than the receipt's 20 is refused here.
    d.press("enter").typed("25").press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.contains("20 of the receipt is left to apply, not 25"),
        "{s}"
    );
    d.press("esc");
    d.press("f10");
    assert!(!d.screen(80, 24).contains("NOTE"), "{}", d.screen(80, 24));
    d.press("y");
    assert_eq!(receipts(&b), 1, "{}", d.screen(80, 24));
    let first = b
        .state
        .borrow()
        .receipts
        .values_sorted()
        .into_iter()
        .find(|r| r.reference == "CHQ 300")
        .map(|r| r.number.to_string())
        .unwrap();
    // Again, the same keys: the question names the first receipt; Enter
    // (the plain question's yes) receives nothing.
    let mut d = Driver::new(&b, Some("AR1"));
    receive(&mut d);
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(s.contains("NOTE") && s.contains(&first), "{s}");
    d.press("enter");
    assert_eq!(receipts(&b), 1);
    assert!(d.screen(80, 24).contains("not received"));
    // Typed another way (`chq300`), it is the same reference, named as
    // the books have it.
    d.press("shift-tab")
        .press("ctrl-u")
        .typed("chq300")
        .press("enter");
    assert!(
        d.screen(80, 24).contains("chq300") && !d.screen(80, 24).contains("CHQ 300"),
        "{}",
        d.screen(80, 24)
    );
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(s.contains("NOTE") && s.contains("reference CHQ 300"), "{s}");
    d.press("esc");
    assert_eq!(receipts(&b), 1);
    // The clerk means it: `y`.
    d.press("f10").press("y");
    assert_eq!(receipts(&b), 2, "{}", d.screen(80, 24));
}

/// A draft made from the worklist is where the PO list's cursor is: the
/// buyer had moved it to an older PO, and Tab, F10 answered "PO-… is not
/// a draft" while the key bar offered to submit the draft.
#[test]
fn a_new_draft_is_selected_in_the_po_list() {
    use depot::core::purchasing::PoStatus;
    let b = demo();
    let before: Vec<Code> = b.state.borrow().purchase_orders.keys().cloned().collect();
    assert!(before.len() >= 2, "the demo has POs to move over");
    let mut d = Driver::new(&b, Some("BUY1"));
    d.open("Purchasing").unwrap();
    // The PO list, the cursor down on an older PO, back to the worklist.
    d.press("tab").press("down").press("down").press("backtab");
    d.press("f10").press("y");
    let po = b
        .state
        .borrow()
        .purchase_orders
        .values()
        .find(|p| !before.contains(&p.number))
        .map(|p| p.number.clone())
        .unwrap_or_else(|| panic!("no draft made:\n{}", d.screen(132, 43)));
    d.press("tab").press("f10");
    let s = d.screen(132, 43);
    assert!(s.contains(&format!("Submit draft {po}")), "{s}");
    d.press("y");
    assert_ne!(
        b.state.borrow().purchase_orders[&po].status,
        PoStatus::Draft
    );
}

/// A comma in an amount is taken where it groups thousands (`1,250.00`)
/// and refused where it is a decimal comma: `2,50` was read as 250.00,
/// on the receipt and on a supplier invoice's price (`39,50` as 3950).
#[test]
fn a_decimal_comma_is_refused_and_thousands_grouped_are_taken() {
    let b = demo();
    sale_on_account(&b, "C0002", "FAS-1000", 30);
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").unwrap();
    d.typed("C0002").press("enter").press("enter");
    d.typed("2,50").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("amount 2,50 is not a decimal number"), "{s}");
    assert!(!s.contains("250.00"), "{s}");
    d.press("ctrl-u").typed("1,250.00").press("enter");
    let s = d.screen(132, 43);
    assert!(!s.contains("not a decimal number"), "{s}");
    assert!(s.contains("credit 1,250.00"), "{s}");
}

/// Bank reconciliation opens again on the entity chosen last in the
/// session. It opened on the entity with the most work left: after one
/// entity's month was done, the next visit came up on another, and a
/// statement was imported into the wrong bank account. The import's
/// question names the bank account it lands in.
#[test]
fn bank_rec_opens_again_on_the_entity_chosen_last() {
    let b = demo();
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Bank reconciliation").unwrap();
    let title = |s: &str| s.lines().next().unwrap_or_default().to_string();
    let first = title(&d.screen(80, 24));
    d.press("f2");
    let second = title(&d.screen(80, 24));
    assert_ne!(first, second, "F2 chose another entity");
    d.press("esc");
    assert_eq!(d.app.screen_name(), "menu");
    d.open("Bank reconciliation").unwrap();
    assert_eq!(title(&d.screen(80, 24)), second);
    // A new session starts on the default again.
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Bank reconciliation").unwrap();
    assert_eq!(title(&d.screen(80, 24)), first);
}

/// An invoice whose rest is all disputed has no discount to take while
/// its window is still open: the column says `-`, not `ended` (a clerk
/// read the window as closed ten days early).
#[test]
fn a_disputed_rest_in_an_open_discount_window_reads_no_discount_not_ended() {
    let b = demo();
    let inv = sale_on_account(&b, "C0009", "FAS-1000", 30);
    let (open, _) = open_and_discount(&b, &inv);
    let pay: CommandBody = serde_json::from_value(serde_json::json!({
        "cmd": "receive_payment", "customer": "C0009", "method": "transfer",
        "amount": "10.00",
        "apply": [{"invoice": inv, "amount": "10.00", "settle": true}]}))
    .unwrap();
    b.exec("AR1", pay).unwrap();
    let until = {
        let s = b.state.borrow();
        let i = &s.invoices[&inv.to_code()];
        assert_eq!(i.disputed, open - Decimal::from(10));
        i.discount_until.expect("2-10-NET30 has a window")
    };
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").unwrap();
    d.typed("C0009").press("enter");
    let s = d.screen(132, 43);
    let row = s
        .lines()
        .find(|l| l.contains(inv.as_str()))
        .unwrap_or_else(|| panic!("{s}"))
        .to_string();
    assert!(!row.contains("ended"), "{row}");
    assert!(!row.contains(&until.format("%m-%d").to_string()), "{row}");
}

/// Esc on bank reconciliation with a filter kept clears it first; the
/// next Esc leaves.
#[test]
fn esc_on_bank_rec_clears_a_kept_filter_first() {
    let b = demo();
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Bank reconciliation").unwrap();
    d.press("/").typed("zzzz-nothing").press("enter");
    assert!(
        d.app.key_bar().contains("clear the filter"),
        "{}",
        d.app.key_bar()
    );
    d.press("esc");
    assert_eq!(d.app.screen_name(), "bank_rec");
    assert!(
        !d.app.key_bar().contains("clear the filter"),
        "{}",
        d.app.key_bar()
    );
    d.press("esc");
    assert_eq!(d.app.screen_name(), "menu");
}

/// An amount to apply that is refused is said back as typed, as the
/// receipt's own amount is ("amount is not a decimal number" left the
/// clerk to guess which).
#[test]
fn a_refused_amount_to_apply_is_said_back_as_typed() {
    let b = demo();
    sale_on_account(&b, "C0009", "FAS-1000", 3);
    let mut d = Driver::new(&b, Some("AR1"));
    d.open("Cash application").unwrap();
    d.typed("C0009").press("enter").press("enter");
    d.typed("50.00").press("enter");
    d.press("enter");
    d.press("enter").press("enter");
    d.typed("4O.00").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("amount 4O.00 "), "{s}");
    d.press("ctrl-u").typed("-5").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("amount -5: an amount above zero"), "{s}");
}

/// After a bill is entered held, the next one starts on the first line
/// not on a held invoice (the cursor stayed on the line just held, one
/// Enter from billing it twice), and a supplier's invoice number entered
/// before is said at the number, not after every line and F10.
#[test]
fn the_next_supplier_invoice_starts_off_the_held_lines_and_a_number_taken_is_said_at_once() {
    let b = demo();
    let cmd = |who: &str, v: serde_json::Value| {
        b.exec(who, serde_json::from_value(v).unwrap())
            .unwrap_or_else(|e| panic!("{who}: {e}"))
    };
    cmd(
        "BUY1",
        serde_json::json!({"cmd": "create_purchase_order", "supplier": "V001",
            "warehouse": "CHI", "lines": [
                {"sku": "FAS-1001", "qty": "2"},
                {"sku": "FAS-1003", "qty": "2"}]}),
    );
    let (po, draft) = {
        let s = b.state.borrow();
        let p = s.purchase_orders.values().next_back().unwrap();
        (p.number.to_string(), p.status)
    };
    if draft == depot::core::purchasing::PoStatus::Draft {
        cmd(
            "BUY1",
            serde_json::json!({"cmd": "submit_purchase_order", "number": po}),
        );
    }
    cmd(
        "RECV1",
        serde_json::json!({"cmd": "receive_purchase", "po": po, "bin": "DOCK-1",
            "lines": [{"item": "FAS-1001", "qty": "48"}, {"item": "FAS-1003", "qty": "12"}]}),
    );
    let mut d = Driver::new(&b, Some("AP1"));
    d.open("Supplier invoices").unwrap();
    d.typed("V001").press("enter").typed("B-1").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains(&format!("{po}  1   FAS-1001")), "{s}");
    // The first line taken and billed dearer: held.
    d.press("enter")
        .press("enter")
        .press("ctrl-u")
        .typed("48@99")
        .press("enter");
    d.press("f10").press("y");
    assert!(d.screen(80, 24).contains("HELD"), "{}", d.screen(80, 24));
    // The held bill's number again: said at Enter, the lines not reached.
    d.typed("B-1").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("V001 invoice B-1 is entered already"), "{s}");
    // The next bill: Enter takes the line under the cursor, which is the
    // one not on the held bill (it was the held one, one Enter from
    // billing it twice).
    d.typed("B-2").press("enter");
    assert!(!d.screen(80, 24).contains("entered already"));
    d.press("enter").press("f10");
    let q = d.app.confirm.clone().unwrap_or_default();
    assert!(!q.contains("NOTE") && !q.contains("on held"), "{q}");
    d.press("y");
    let st = b.state.borrow();
    let b2 = st
        .supplier_invoices
        .values()
        .find(|i| i.reference == "B-2")
        .expect("B-2 entered");
    assert_eq!(b2.lines.len(), 1);
    assert_eq!(b2.lines[0].sku, "FAS-1003");
}

/// A buyer types a purchase order (Purchasing, F7): the supplier by a word
/// of its name, the warehouse proposed, lines as at order entry, each
/// decided by the core as it is typed; bad entries are refused and change
/// nothing; F10 orders after a confirm with the total. Only a
/// replenishment suggestion could be ordered before.
#[test]
fn a_buyer_types_a_purchase_order_line_by_line() {
    use depot::core::purchasing::PoStatus;
    let b = demo();
    let before = b.state.borrow().purchase_orders.len();
    let mut d = Driver::new(&b, Some("BUY1"));
    d.open("Purchasing").unwrap();
    assert!(d.app.key_bar().contains("F7 new PO"), "{}", d.app.key_bar());
    d.press("f7");
    assert_eq!(d.app.screen_name(), "po_entry");
    d.typed("nobody").press("enter");
    assert!(
        d.screen(80, 24).contains("no supplier"),
        "{}",
        d.screen(80, 24)
    );
    d.typed("fastenal").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("V001 Fastenal Wholesale"), "{s}");
    // The warehouse proposed: Enter takes it.
    assert!(s.contains("CHI"), "{s}");
    d.press("enter");
    // Bad lines: refused with the bell, nothing kept.
    let bells = d.app.bells;
    for bad in [
        "-3*FAS-1001",
        "0*FAS-1001",
        "abc*FAS-1001",
        "#!!garbled",
        "2*FAS-1001@DAL",
    ] {
        d.typed(bad).press("enter");
        d.press("ctrl-u");
    }
    assert_eq!(d.app.bells, bells + 5);
    let s = d.screen(80, 24);
    assert!(!s.contains("total"), "a bad line was kept: {s}");
    d.typed("2*FAS-1001").press("enter");
    d.typed("FAS-1003").press("enter");
    d.typed("3*FAS-1005").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("FAST-1001") && s.contains("CASE"), "{s}");
    assert!(s.contains("(3 lines)"), "{s}");
    // F9 takes the last line off.
    d.press("f9");
    assert!(
        d.screen(80, 24).contains("(2 lines)"),
        "{}",
        d.screen(80, 24)
    );
    let n = b.log.borrow().len();
    d.press("f10");
    let q = d.app.confirm.clone().expect("asked first");
    assert!(
        q.contains("Order from V001 Fastenal Wholesale for CHI: 2 lines, 2,031.60 USD?"),
        "{q}"
    );
    d.press("y");
    assert_eq!(b.log.borrow().len(), n + 1);
    let st = b.state.borrow();
    assert_eq!(st.purchase_orders.len(), before + 1);
    let po = st
        .purchase_orders
        .values()
        .max_by_key(|p| p.number.clone())
        .unwrap();
    assert_eq!(po.supplier, "V001");
    assert_eq!(po.warehouse, "CHI");
    assert_eq!(po.status, PoStatus::Open);
    assert_eq!(po.buyer, "BUY1");
    let lines: Vec<(String, String)> = po
        .lines
        .iter()
        .map(|l| (l.sku.to_string(), format!("{} {}", l.unit_qty, l.unit)))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("FAS-1001".into(), "2 CASE".into()),
            ("FAS-1003".into(), "1 CASE".into())
        ]
    );
    let number = po.number.to_string();
    drop(st);
    assert!(d
        .screen(80, 24)
        .contains(&format!("{number} OPEN: ordered")));
    // Esc with nothing typed goes back to Purchasing.
    d.press("esc").press("esc").press("esc");
    assert_eq!(d.app.screen_name(), "purchasing", "{}", d.screen(80, 24));
}

/// A quantity refused on the replenishment worklist is replaced by what
/// is typed next (`abc` then `7` read `abc7`, refused again).
#[test]
fn a_refused_worklist_quantity_is_typed_over() {
    let b = demo();
    let mut d = Driver::new(&b, Some("BUY1"));
    d.open("Purchasing").expect("BUY1 buys");
    d.press("enter").press("ctrl-u").typed("abc").press("enter");
    assert!(d.screen(80, 24).contains("a quantity above zero"));
    d.typed("7").press("enter");
    let s = d.screen(132, 43);
    assert!(
        !s.contains("a quantity above zero") && s.contains("7 "),
        "{s}"
    );
    d.press("f10");
    assert!(d.screen(80, 24).contains(" 7 "), "{}", d.screen(80, 24));
}

/// A buyer cancels a PO nothing was received on, and closes short one
/// partly received, from the PO list (F9), with a reason; only `y` does
/// it. There was no key for either: a PO received in part stayed open,
/// its rest due on the handheld for good.
#[test]
fn a_buyer_cancels_or_closes_short_a_purchase_order_with_a_reason() {
    use depot::core::purchasing::PoStatus;
    let b = demo();
    let make = |qty: &str| -> String {
        b.exec(
            "BUY1",
            serde_json::from_value(serde_json::json!({"cmd": "create_purchase_order",
                "supplier": "V001", "warehouse": "CHI",
                "lines": [{"sku": "FAS-1001", "qty": qty}]}))
            .unwrap(),
        )
        .unwrap();
        let s = b.state.borrow();
        s.purchase_orders.keys().next_back().unwrap().to_string()
    };
    let partly = make("2");
    b.exec(
        "RECV1",
        serde_json::from_value(serde_json::json!({"cmd": "receive_purchase", "po": partly,
            "bin": "DOCK-1", "lines": [{"item": "FAS-1001", "qty": "24"}]}))
        .unwrap(),
    )
    .unwrap();
    let fresh = make("1");
    let status = |n: &str| b.state.borrow().purchase_orders[&n.to_code()].status;
    let mut d = Driver::new(&b, Some("BUY1"));
    d.open("Purchasing").unwrap();
    d.press("tab");
    // The newest first: the one nothing was received on.
    assert!(
        d.app.key_bar().contains("F9 close or cancel"),
        "{}",
        d.app.key_bar()
    );
    d.press("f9");
    assert!(d.screen(80, 24).contains(&format!("Cancel {fresh}, why:")));
    d.press("enter");
    assert!(d.screen(80, 24).contains("say why"), "{}", d.screen(80, 24));
    d.typed("ordered twice").press("enter");
    let q = d.app.confirm.clone().unwrap_or_default();
    assert!(
        q.contains(&format!("Cancel {fresh} to V001")) && q.contains("ordered twice"),
        "{q}"
    );
    d.press("enter");
    assert_eq!(status(&fresh), PoStatus::Open, "Enter cancelled it");
    d.press("f9")
        .typed("ordered twice")
        .press("enter")
        .press("y");
    assert_eq!(status(&fresh), PoStatus::Cancelled);
    // The partly received one, now on top: closed short.
    d.press("f9");
    assert!(
        d.screen(80, 24)
            .contains(&format!("Close {partly} short, why:")),
        "{}",
        d.screen(80, 24)
    );
    d.typed("supplier out of stock").press("enter");
    let q = d.app.confirm.clone().unwrap_or_default();
    assert!(q.contains("(24 of 48)"), "{q}");
    d.press("y");
    assert_eq!(status(&partly), PoStatus::Closed);
    depot::core::invariants::check_state(&b.state.borrow()).unwrap();
}

/// The month still running says so on the checklist and F10 refuses it
/// there: the checklist said "nothing blocks the close" and a controller
/// closed the current month, which stopped every sale that day.
#[test]
fn the_running_month_says_it_closes_once_ended_and_is_not_closed() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Period close").unwrap();
    d.press("f4").typed("US01 FY2026-11").press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.contains("still running to 11-30: closes once ended"),
        "{s}"
    );
    assert!(!s.contains("nothing blocks the close"), "{s}");
    // Whole at 80 columns, beside the list.
    let s80 = d.screen(80, 24);
    assert!(
        s80.contains("still running to 11-30: closes once ended"),
        "{s80}"
    );
    let n = b.log.borrow().len();
    d.press("f10");
    assert!(d.app.confirm.is_none(), "asked: {:?}", d.app.confirm);
    assert!(
        d.screen(80, 24)
            .contains("US01 FY2026-11 runs to 2026-11-30: it closes once it has ended"),
        "{}",
        d.screen(80, 24)
    );
    assert_eq!(b.log.borrow().len(), n);
}

/// The checklist's lines wrap (an item's detail is what the controller
/// acts on), and Enter opens the screen where the first open item is
/// worked: for an operator who has that screen, it opens; for one who
/// has not, the notice names it. Tab chooses another item.
#[test]
fn the_close_checklist_wraps_and_opens_where_an_item_is_worked() {
    let b = demo();
    // December is running, with a shipment not invoiced (blocking).
    let mut d = Driver::new(&b, Some("ADMIN"));
    d.open("Period close").unwrap();
    d.press("/").typed("US01 FY2026-12").press("enter");
    let s = d.screen(80, 24);
    let blocking: Vec<&str> = s
        .lines()
        .filter_map(|l| l.split('│').nth(1))
        .skip_while(|l| !l.starts_with("BLCK"))
        .take_while(|l| l.starts_with("BLCK") || l.starts_with("     "))
        .collect();
    assert!(blocking.len() > 1, "{s}");
    let text = blocking
        .iter()
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("shipments not invoiced") && text.ends_with("invoice them"),
        "{text}"
    );
    assert!(!blocking.iter().any(|l| l.trim_end().ends_with('~')), "{s}");
    d.press("enter");
    assert_eq!(d.app.top().map(|t| t.name()), Some("invoicing"));
    // The controller has no invoicing screen: told where it is done.
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Period close").unwrap();
    d.press("/").typed("US01 FY2026-12").press("enter");
    d.press("enter");
    assert_eq!(d.app.top().map(|t| t.name()), Some("period_close"));
    let s = d.screen(80, 24);
    assert!(
        s.contains("worked in Invoicing, which is not among your screens"),
        "{s}"
    );
    // Tab chooses an item: the first open one, then Down to the next
    // (receipts not invoiced, which passes).
    d.press("tab").press("down").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("receipts not invoiced: nothing to do"), "{s}");
    // Esc goes back to the periods, a second Esc leaves.
    d.press("esc");
    assert_eq!(d.app.top().map(|t| t.name()), Some("period_close"));
    d.press("esc");
    assert_ne!(d.app.top().map(|t| t.name()), Some("period_close"));
}

/// A line whose match the 80-column Match cell cuts: the selected line's
/// whole match (by how much, against which tolerance) is said under the
/// table, while its qty@price is edited too.
#[test]
fn a_supplier_invoice_lines_whole_match_is_said_under_the_table() {
    let b = demo();
    let (po, qty, price) = receive_first_po(&b);
    let mut d = Driver::new(&b, Some("AP1"));
    d.open("Supplier invoices").unwrap();
    d.typed("V001")
        .press("enter")
        .typed("F-8802")
        .press("enter");
    let dear = (price * Decimal::new(110, 2)).round_dp(2);
    let more = qty + Decimal::ONE;
    d.press("enter").press("enter");
    d.typed(&format!("{more}@{dear}")).press("enter");
    let s = d.screen(80, 24);
    let wide = d.screen(132, 43);
    // The whole text, as the 132-column cell shows it.
    let cell = wide
        .lines()
        .find(|l| l.starts_with(&po))
        .and_then(|l| {
            let from = l.find("qty +")?;
            let to = l.rfind(')')?;
            Some(l[from..=to].to_string())
        })
        .unwrap_or_else(|| panic!("no match text in {wide}"));
    assert!(cell.contains("qty +1 over received; price +"), "{cell}");
    let row = s.lines().find(|l| l.starts_with(&po)).unwrap_or_default();
    assert!(row.trim_end().ends_with('~'), "cut at 80: {s}");
    let foot = depot::ui::testing::rows_above_bar(&s, 2);
    assert_eq!(foot.trim(), format!("{po} line 1: {cell}"), "{s}");
    // Editing the line keeps the edit and says the match on one row.
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("qty@price "), "{s}");
    assert!(s.contains(&format!("{po} line 1: qty +1 over")), "{s}");
}

/// A statement imported by mistake is voided from a line of it: Ctrl-X,
/// the reason, then a question only `y` answers; its lines leave the
/// screen and the same file imports again. A statement with a line
/// already posted is refused at once, nothing asked or submitted.
#[test]
fn bank_rec_voids_a_statement_imported_by_mistake() {
    let b = demo();
    let tmp = tempfile::tempdir().unwrap();
    let path = bank_fixture(&b, tmp.path());
    let lines_of = |b: &MemBackend| {
        b.state
            .borrow()
            .bank_lines
            .values()
            .filter(|l| l.statement == "NOV-25")
            .count()
    };
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Bank reconciliation").unwrap();
    d.press("f9")
        .typed(&path.to_string_lossy())
        .press("enter")
        .press("y");
    let n = lines_of(&b);
    assert!(n > 1);
    // On a line of it: Ctrl-X asks why, Enter asks, Enter keeps it.
    d.press("ctrl-x");
    assert!(d.screen(80, 24).contains("Void NOV-25 because "));
    d.typed("the savings account's file").press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!("Void statement NOV-25 of US01: its {n} line(s)")),
        "{s}"
    );
    d.press("enter");
    assert_eq!(lines_of(&b), n, "Enter keeps it");
    d.press("ctrl-x")
        .typed("wrong file")
        .press("enter")
        .press("y");
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!("VOIDED statement NOV-25: {n} line(s) gone")),
        "{s}"
    );
    assert_eq!(lines_of(&b), 0);
    depot::core::invariants::check_state(&b.state.borrow()).unwrap();
    // The same file imports again; with a line posted, it stays.
    d.press("f9")
        .typed(&path.to_string_lossy())
        .press("enter")
        .press("y");
    assert_eq!(lines_of(&b), n);
    let line = b
        .state
        .borrow()
        .bank_lines
        .values()
        .find(|l| l.statement == "NOV-25")
        .map(|l| l.id.clone())
        .unwrap();
    b.exec(
        "CTRL1",
        CommandBody::PostBankLine {
            line,
            account: "6500".into(),
            memo: "fee".into(),
        },
    )
    .unwrap();
    let submitted = b.log.borrow().len();
    d.press("ctrl-x");
    let s = d.screen(80, 24);
    assert!(
        s.contains("statement NOV-25 has 1 cleared line(s): it stays"),
        "{s}"
    );
    assert!(!s.contains("because"), "{s}");
    assert_eq!(b.log.borrow().len(), submitted);
    assert_eq!(lines_of(&b), n);
}
