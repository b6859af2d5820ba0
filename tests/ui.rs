//! The screens, driven with keys and scans against the real core (an
//! in-memory backend over the demo distributor, fixed clock) and drawn
//! into ratatui's TestBackend.

use chrono::{NaiveDate, TimeZone, Utc};
use depot::core::types::ToCode;
use depot::core::{CommandBody, Event};
use depot::ui::app::{App, Keymaps};
use depot::ui::key::{Key, KeyCode};
use depot::ui::keymap::{Action, Context, Keymap, KeymapError};
use depot::ui::testing::{test_day as today, Driver, MemBackend};
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;
use rust_decimal::Decimal;

fn demo() -> MemBackend {
    MemBackend::afternoon()
}

/// The first barcode of an item (what its box label carries).
fn barcode(b: &MemBackend, sku: &str) -> String {
    b.state.borrow().items[&sku.to_code()].barcodes[0]
        .code
        .clone()
}

/// The payments of the last command submitted, a counter sale.
/// REP1 on order entry: a new order of C0002 under customer PO `po`, at
/// the item field.
fn new_order<'a>(b: &'a MemBackend, po: &str) -> Driver<'a> {
    let mut d = Driver::new(b, Some("REP1"));
    d.open("Order entry").unwrap().typed("C0002").press("enter");
    d.press("enter")
        .typed(po)
        .press("enter")
        .press("enter")
        .press("enter");
    d
}

fn last_sale_payments(b: &MemBackend) -> Vec<depot::core::counter::CounterPayment> {
    let (_, sold) = b.log.borrow().last().cloned().unwrap();
    match sold.body {
        CommandBody::CounterSale { payments, .. } => payments,
        other => panic!("{other:?}"),
    }
}

fn counter_sales(b: &MemBackend) -> usize {
    b.log
        .borrow()
        .iter()
        .filter(|(_, r)| matches!(r.body, CommandBody::CounterSale { .. }))
        .count()
}

#[test]
fn an_unknown_or_inactive_operator_cannot_sign_in() {
    let b = demo();
    let mut d = Driver::new(&b, None);
    d.typed("NOBODY").press("enter");
    assert!(d.app.operator.is_none());
    assert!(d.screen(80, 24).contains("unknown operator \"NOBODY\""));
    let b2 = demo();
    b2.state
        .borrow_mut()
        .operators
        .get_mut(&"PICK1".to_code())
        .unwrap()
        .active = false;
    let mut d2 = Driver::new(&b2, Some("PICK1"));
    assert!(d2.app.operator.is_none());
    assert!(d2.screen(80, 24).contains("PICK1 is inactive"));
    // A valid code (in any case) asks for the PIN; the first sign-in
    // chooses one, typed twice, and opens the menu.
    d.press("ctrl-u").typed("clerk1").press("enter");
    assert!(d.screen(80, 24).contains("first sign-in: choose a PIN"));
    d.typed("4711").press("enter").typed("4711").press("enter");
    assert_eq!(d.app.operator.as_deref(), Some("CLERK1"));
    assert_eq!(d.app.screen_name(), "menu");
}

fn sign_ins(b: &MemBackend, op: &str) -> Vec<String> {
    b.log
        .borrow()
        .iter()
        .filter(|(o, r)| o == op && matches!(r.body, CommandBody::SignIn { .. }))
        .map(|(_, r)| format!("{:?}", r.body))
        .collect()
}

#[test]
fn sign_in_takes_a_pin_counts_failures_locks_and_a_supervisor_unlocks() {
    let b = demo();
    let mut d = Driver::new(&b, None);
    // First sign-in: a PIN too short is refused, two different entries
    // are refused, then it is set (as a hash) and the operator is in.
    d.typed("CLERK1").press("enter").typed("12").press("enter");
    assert!(d.screen(80, 24).contains("at least 4 characters"));
    d.typed("4711").press("enter").typed("4712").press("enter");
    assert!(d.screen(80, 24).contains("the two entries differ"));
    assert!(d.app.operator.is_none());
    d.typed("4711").press("enter").typed("4711").press("enter");
    assert_eq!(d.app.operator.as_deref(), Some("CLERK1"));
    let hash = b.state.borrow().credentials[&"CLERK1".to_code()]
        .hash
        .clone();
    assert!(hash.starts_with("$argon2id$") && !hash.contains("4711"));
    // The screen never shows the PIN.
    d.press("esc").press("y");
    d.typed("CLERK1").press("enter").typed("4711");
    let s = d.screen(80, 24);
    assert!(s.contains("****") && !s.contains("4711"), "{s}");
    d.press("enter");
    assert_eq!(d.app.operator.as_deref(), Some("CLERK1"));
    assert_eq!(sign_ins(&b, "CLERK1").len(), 2);
    // Wrong PINs: each is audited and says how many tries are left;
    // the fifth locks the operator, even against the right PIN.
    d.press("esc").press("y");
    d.typed("CLERK1").press("enter");
    for left in (1..=4).rev() {
        d.typed("0000").press("enter");
        let s = d.screen(80, 24);
        let tries = if left == 1 { "try" } else { "tries" };
        assert!(s.contains(&format!("({left} more {tries} before")), "{s}");
    }
    d.typed("0000").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("CLERK1 is locked until 15:15 UTC"), "{s}");
    assert!(d.app.operator.is_none());
    assert_eq!(b.state.borrow().sign_ins[&"CLERK1".to_code()].failures, 5);
    // The code field is emptied: a PIN typed next is never shown.
    let s = d.screen(80, 24);
    assert!(!s.contains("CLERK1_"), "{s}");
    d.typed("CLERK1").press("enter");
    assert!(d.screen(80, 24).contains("locked until"));
    assert_eq!(d.app.screen_name(), "sign_in");
    assert_eq!(sign_ins(&b, "CLERK1").len(), 7);
    // A supervisor unlocks (another session); the right PIN works again.
    b.exec(
        "ADMIN",
        CommandBody::UnlockOperator {
            code: "CLERK1".into(),
        },
    )
    .unwrap();
    d.press("ctrl-u")
        .typed("CLERK1")
        .press("enter")
        .typed("4711")
        .press("enter");
    assert_eq!(d.app.operator.as_deref(), Some("CLERK1"));
    // A reset by a supervisor: the old PIN no longer works, the reset
    // one does once, and the operator must choose a new one.
    let reset = depot::io::password::hash("9999").unwrap();
    b.exec(
        "ADMIN",
        CommandBody::SetPassword {
            code: "CLERK1".into(),
            hash: reset,
        },
    )
    .unwrap();
    d.press("esc").press("y");
    d.typed("CLERK1")
        .press("enter")
        .typed("4711")
        .press("enter");
    assert!(d.app.operator.is_none());
    d.typed("9999").press("enter");
    assert!(d.screen(80, 24).contains("was reset: choose a new one"));
    d.typed("2468").press("enter").typed("2468").press("enter");
    assert_eq!(d.app.operator.as_deref(), Some("CLERK1"));
    let c = b.state.borrow().credentials[&"CLERK1".to_code()].clone();
    assert!(!c.must_change && depot::io::password::verify("2468", &c.hash));
}

#[test]
fn operator_flag_skips_sign_in_only_on_the_demo() {
    let b = demo();
    assert!(b.state.borrow().demo, "depot demo declares itself");
    // Its sign-in says who to try; a store that is not a demo does not.
    let s = Driver::new(&b, None).screen(80, 24);
    assert!(
        s.contains("Demo store. Operators:") && s.contains("CLERK1"),
        "{s}"
    );
    assert_eq!(
        Driver::new(&b, Some("CLERK1")).app.operator.as_deref(),
        Some("CLERK1")
    );
    // The same store not declared a demo: --operator only fills the code.
    b.state.borrow_mut().demo = false;
    let mut d = Driver::new(&b, Some("CLERK1"));
    assert!(d.app.operator.is_none());
    let s = d.screen(80, 24);
    assert!(s.contains("first sign-in: choose a PIN"), "{s}");
    d.typed("4711").press("enter").typed("4711").press("enter");
    assert_eq!(d.app.operator.as_deref(), Some("CLERK1"));
    assert!(!Driver::new(&b, None).screen(80, 24).contains("Demo store"));
    let mut d = Driver::new(&b, Some("CLERK1"));
    assert!(d.screen(80, 24).contains("this store is not a demo"));
    d.typed("4711").press("enter");
    assert_eq!(d.app.operator.as_deref(), Some("CLERK1"));
}

#[test]
fn the_menu_shows_what_the_role_may_open() {
    let b = demo();
    let menu = |op: &str| Driver::new(&b, Some(op)).screen(80, 24);
    let picker = menu("PICK1");
    assert!(picker.contains("Item lookup") && picker.contains("Pick"));
    assert!(!picker.contains("Customer lookup") && !picker.contains("Counter sale"));
    let clerk = menu("CLERK1");
    assert!(clerk.contains("Counter sale") && clerk.contains("Order inquiry"));
    assert!(!clerk.contains("Period close"), "{clerk}");
    // Every row of the menu opens its screen now (none says "not built").
    assert!(depot::ui::screens::MENU.iter().all(|e| e.open.is_some()));
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.press("E").press("enter");
    assert_eq!(d.app.screen_name(), "exceptions");
    // (CTRL1 works on the classic keymap: F12 is back.)
    d.press("f12");
    assert_eq!(d.app.screen_name(), "menu");
    // Esc on the menu signs out, after asking; Enter stays, and the key
    // bar says so (not "enter yes").
    d.press("esc");
    let s = d.screen(80, 24);
    assert!(s.contains("Sign out?"), "{s}");
    assert!(
        s.contains("y yes") && s.contains("enter/") && !s.contains("enter yes"),
        "{s}"
    );
    d.press("enter");
    assert!(d.app.operator.is_some());
    d.press("esc");
    d.press("n");
    assert!(d.app.operator.is_some());
    d.press("esc").press("y");
    assert!(d.app.operator.is_none());
    assert_eq!(d.app.screen_name(), "sign_in");
}

#[test]
fn item_lookup_narrows_forgives_a_typo_and_a_scan_finds_the_item() {
    let b = demo();
    let mut d = Driver::new(&b, Some("ADMIN"));
    d.open("Item lookup").unwrap();
    assert_eq!(d.app.screen_name(), "item_lookup");
    d.typed("carriage bolt");
    let s = d.screen(80, 24);
    assert!(s.contains("FAS-1001"), "{s}");
    d.press("ctrl-u").typed("carrage bolt");
    let s = d.screen(80, 24);
    assert!(s.contains("FAS-1001"), "a typo still finds it:\n{s}");
    let code = barcode(&b, "FAS-1001");
    d.press("ctrl-u").scan(&code);
    let s = d.screen(80, 24);
    assert!(s.contains("Carriage bolt") && s.contains("on hand"), "{s}");
    d.press("/").scan("0000000000000");
    let s = d.screen(80, 24);
    assert!(
        s.contains("not a readable scan") || s.contains("no item has barcode"),
        "{s}"
    );
}

/// The walk-in sale of the issue: Enter (walk-in customer), three scans,
/// Enter (pay), Enter (cash, the exact amount): 3 keys besides the scans.
#[test]
fn a_walk_in_sale_of_three_scans_paid_in_cash() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter"); // menu: Counter sale is the first row
    assert_eq!(d.app.screen_name(), "counter_sale");
    let before = b.state.borrow().seq;
    let mut keys = 0;
    d.press("enter");
    keys += 1;
    for sku in ["FAS-1001", "FAS-1000", "FAS-1001"] {
        let code = barcode(&b, sku);
        d.scan(&code);
    }
    let s = d.screen(132, 43);
    assert!(s.contains("WALKIN-US01") && s.contains("TOTAL"), "{s}");
    // At 80 columns the description is read, not guessed from 9 letters.
    let s80 = d.screen(80, 24);
    assert!(s80.contains("Carriage bolt, 5"), "{s80}");
    assert!(s.contains("list LIST-USD"), "the price says its rule:\n{s}");
    d.press("enter");
    keys += 1;
    d.press("enter");
    keys += 1;
    assert!(keys <= 15);
    assert_eq!(counter_sales(&b), 1, "one sale, one command");
    let s = d.screen(80, 24);
    assert!(s.contains("SOLD") && s.contains("invoice"), "{s}");
    // The sale is in the books: one invoice, paid, its total the ledger's.
    let st = b.state.borrow();
    assert!(st.seq > before);
    let inv = st
        .invoices
        .values_sorted()
        .into_iter()
        .find(|i| i.customer == "WALKIN-US01")
        .expect("an invoice for the walk-in customer");
    assert_eq!(inv.open, Decimal::ZERO);
    assert_eq!(inv.lines.len(), 2, "two lines: the repeated scan counts up");
    assert!(
        s.contains(&depot::query::money(inv.total, &inv.currency)),
        "{s}"
    );
    let last = format!(
        "last sale {} WALKIN-US01 {} USD",
        inv.number,
        depot::query::money(inv.total, &inv.currency)
    );
    drop(st);
    // Enter again starts the next sale, never resends this one.
    d.press("enter").press("enter");
    assert_eq!(counter_sales(&b), 1);
    assert_eq!(d.app.screen_name(), "counter_sale");
    // Started again (the terminal killed as the sale completed, the link
    // dropped): the empty screen says the clerk's last sale, until the
    // next one starts. It said nothing, and the clerk could not tell.
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains(&last), "{s}");
    d.press("enter").scan(&barcode(&b, "FAS-1001"));
    assert!(!d.screen(80, 24).contains("last sale"));
}

#[test]
fn a_split_tender_with_change_due() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1001"));
    d.press("f8");
    d.typed("k10").press("enter"); // 10.00 by card
    d.typed("c500").press("enter"); // cash, 500 given
    let s = d.screen(80, 24);
    assert!(s.contains("SOLD"), "{s}");
    let st = b.state.borrow();
    let inv = st
        .invoices
        .values_sorted()
        .into_iter()
        .find(|i| i.customer == "WALKIN-US01")
        .unwrap();
    let change = Decimal::from(510) - inv.total;
    assert!(
        s.contains(&depot::query::money(change, &inv.currency)),
        "{s}"
    );
    let paid: Vec<_> = st
        .receipts
        .values_sorted()
        .into_iter()
        .filter(|r| r.customer == "WALKIN-US01")
        .map(|r| (r.method, r.amount))
        .collect();
    assert_eq!(paid.len(), 2, "{paid:?}");
    assert!(paid.contains(&(depot::core::cash::Method::Card, Decimal::from(10))));
    assert!(paid.contains(&(
        depot::core::cash::Method::Cash,
        inv.total - Decimal::from(10)
    )));
}

#[test]
fn a_line_not_on_the_shelf_is_pointed_at_and_nothing_is_sold() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    d.typed("99999*FAS-1001").press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.contains("line 2 FAS-1001") && s.contains("short on the shelf"),
        "{s}"
    );
    // The refused sale still shows each line's price and its rule (the
    // walk-in's list price of FAS-1000 is 46.02 a box).
    let row = s
        .lines()
        .find(|l| l.contains("FAS-1000") && !l.contains("not on"))
        .unwrap_or_default();
    assert!(row.contains("46.02") && row.contains("list"), "{s}");
    d.press("f8");
    assert_eq!(counter_sales(&b), 0);
    // What is short, in the item's unit, and what to do.
    let s = d.screen(80, 24);
    assert!(
        s.contains("short on the shelf in CHI: line 2 FAS-1001 99949 BOX"),
        "{s}"
    );
    assert!(s.contains("lower the qty or place an"), "{s}");
    // Said once, whole, where the total would be; the notice says only
    // that nothing was sold (it said the refusal a second time, wrapped,
    // under the same refusal cut with `~`).
    assert_eq!(s.matches("short on the shelf").count(), 1, "{s}");
    assert!(s.contains("\norder)") && s.contains("nothing sold"), "{s}");
    // Fix the quantity on the line: up to the lines, type 1, Enter.
    d.press("up").typed("1").press("enter");
    d.press("f8").press("enter");
    assert_eq!(counter_sales(&b), 1);
    assert!(d.screen(80, 24).contains("SOLD"));
}

/// A sale the engine refused was logged under its key with that
/// refusal: the clerk's next try (paid another way) is another command,
/// so it goes under a new key, where the old one made every retry a key
/// conflict and the sale could only be keyed again from the start.
#[test]
fn a_sale_refused_on_account_is_paid_in_cash_at_once() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    // A customer whose limit the sale passes: offered the account (the
    // screen cannot see the limit is passed before the core prices the
    // sale with its tax), refused by the engine.
    let customer = nothing_past_due(&b);
    {
        let mut st = b.state.borrow_mut();
        let mut c = st.customers[&customer.to_code()].clone();
        c.credit_limit = Decimal::from(10);
        st.customers.insert(c.code.clone(), c);
    }
    d.press("enter").typed(&customer).press("enter");
    d.typed("FAS-1001").press("enter");
    d.press("enter"); // pay
    d.typed("20").press("enter"); // 20.00 in cash first
    d.press("f10");
    assert!(d.screen(80, 24).contains("on the customer's account?"));
    d.press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("take payment in full"), "{s}");
    assert_eq!(counter_sales(&b), 1, "the refused sale was submitted");
    // The whole refusal can be read at 80 columns: it wraps over the
    // bottom of the screen rather than being cut.
    let s = d.screen(80, 24);
    let foot = depot::ui::testing::rows_above_bar(&s, 2);
    assert!(foot.chars().count() > 80, "{s}");
    assert!(
        foot.starts_with("over the credit limit by ")
            && foot.ends_with("(limit 10.00 USD): take payment in full or place an order"),
        "{s}"
    );
    // The 20.00 taken before stays taken (it is in the drawer).
    let s = d.screen(132, 43);
    assert!(s.contains("20.00"), "{s}");
    // The rest in cash: sold, under another key, with both tenders.
    d.press("enter").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("SOLD"), "{s}");
    assert!(!s.contains("was used for a different command"), "{s}");
    let payments = last_sale_payments(&b);
    assert_eq!(payments.len(), 2, "{payments:?}");
    assert_eq!(payments[0].amount, Some(Decimal::from(20)));
    let keys: Vec<String> = b
        .log
        .borrow()
        .iter()
        .filter(|(_, r)| matches!(r.body, CommandBody::CounterSale { .. }))
        .map(|(_, r)| r.key.clone())
        .collect();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);
}

/// A US customer (not a walk-in) with no invoice past due.
fn nothing_past_due(b: &MemBackend) -> String {
    let st = b.state.borrow();
    st.customers
        .values()
        .filter(|c| c.entity == "US01" && c.code.starts_with('C'))
        .find(|c| {
            !st.invoices
                .values_sorted()
                .into_iter()
                .any(|i| i.customer == c.code && i.due < today())
        })
        .map(|c| c.code.to_string())
        .expect("a US customer with nothing past due")
}

/// A sale on account past the customer's credit limit: the refusal says
/// by how much in the customer's currency, and what to do first.
#[test]
fn a_sale_over_the_credit_limit_says_by_how_much_in_the_currency() {
    let b = demo();
    let customer = nothing_past_due(&b);
    {
        let mut st = b.state.borrow_mut();
        let mut c = st.customers[&customer.to_code()].clone();
        c.credit_limit = Decimal::from(10);
        st.customers.insert(c.code.clone(), c);
    }
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").typed(&customer).press("enter");
    d.typed("FAS-1001").press("enter");
    d.press("enter"); // pay
    d.press("f10");
    assert!(d.screen(80, 24).contains("on the customer's account?"));
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("over the credit limit by "), "{s}");
    assert!(s.contains("(limit 10.00 USD): take payment in full"), "{s}");
}

/// A sale paid in part at the counter: the done screen says what went on
/// the customer's account.
#[test]
fn a_sale_paid_in_part_says_what_went_on_account() {
    let b = demo();
    let customer = nothing_past_due(&b);
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").typed(&customer).press("enter");
    d.typed("FAS-1001").press("enter");
    d.press("enter"); // pay
    d.typed("20").press("enter"); // 20.00 in cash
    d.press("f10").press("enter"); // the rest on account
    let s = d.screen(80, 24);
    assert!(s.contains("SOLD"), "{s}");
    let inv = {
        let st = b.state.borrow();
        st.invoices
            .values_any_order()
            .filter(|i| i.customer == customer.as_str())
            .max_by_key(|i| i.number.clone())
            .map(|i| (i.total, i.currency.clone()))
            .unwrap()
    };
    let rest = depot::query::money(inv.0 - Decimal::from(20), &inv.1);
    assert!(s.contains(&format!("On account {rest}")), "{rest}\n{s}");
}

/// Cancelling a sale after a tender was taken names what to give back.
#[test]
fn cancelling_a_sale_after_cash_was_taken_says_to_give_it_back() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.typed("FAS-1001").press("enter");
    d.press("enter"); // pay
    d.typed("20").press("enter"); // 20.00 in cash, not all of it
    d.press("esc").press("esc"); // back to the scan field, then leave
    let s = d.screen(80, 24);
    assert!(s.contains("Nothing is sold"), "{s}");
    assert!(
        s.contains("Give back") && s.contains("what was taken: cash 20.00 USD."),
        "{s}"
    );
    d.press("enter");
    assert_eq!(d.app.screen_name(), "counter_sale", "Enter keeps the sale");
    assert_eq!(counter_sales(&b), 0);
}

/// An order refused when placed (here: its customer was made inactive by
/// another session meanwhile) is placed once that is mended, under a new
/// key: the old one is logged with the refusal.
#[test]
fn an_order_refused_when_placed_is_placed_once_mended() {
    let b = demo();
    let mut d = new_order(&b, "PO-77");
    d.typed("2*FAS-1000").press("enter");
    let customer = b.state.borrow().customers[&"C0002".to_code()].clone();
    let mut off = customer.clone();
    off.active = false;
    b.exec("ADMIN", CommandBody::UpdateCustomer(off)).unwrap();
    let orders = b.state.borrow().orders.len();
    d.press("f10");
    let s = d.screen(132, 43);
    assert!(s.contains("C0002") && s.contains("inactive"), "{s}");
    assert_eq!(b.state.borrow().orders.len(), orders);
    b.exec("ADMIN", CommandBody::UpdateCustomer(customer))
        .unwrap();
    d.press("f10");
    let s = d.screen(132, 43);
    assert!(s.contains("placed"), "{s}");
    assert!(!s.contains("was used for a different command"), "{s}");
    assert_eq!(b.state.borrow().orders.len(), orders + 1);
}

#[test]
fn a_quantity_the_item_is_not_counted_in_is_refused_where_it_is_typed() {
    let b = demo();
    let mut d = new_order(&b, "PO-78");
    d.typed("2*FAS-1000").press("enter");
    // Half a box, on its own or onto the line: refused, the line kept.
    for bad in ["1.5*FAS-1000", "0.5*FAS-1003"] {
        d.typed(bad).press("enter");
        let s = d.screen(132, 43);
        assert!(s.contains("is counted in whole BOX"), "{bad}: {s}");
        // It names the quantity typed, not the sum with the line's 2.
        let typed = bad.split('*').next().unwrap();
        assert!(s.contains(&format!("{typed} BOX: FAS-100")), "{bad}: {s}");
        assert!(!s.contains("3.5 BOX"), "{bad}: {s}");
        assert!(
            s.contains("FAS-1000") && !s.contains("(empty)"),
            "{bad}: {s}"
        );
        // The text stays to be mended, as other refusals leave it; what
        // is typed next replaces it (no ctrl-u: the next round's text).
        assert!(s.contains(&format!("Item {bad}_")), "{bad}: {s}");
    }
    // An unknown item too: the next entry starts afresh, not joined on.
    d.typed("NOPE-1").press("enter");
    assert!(
        d.screen(132, 43).contains("Item NOPE-1_"),
        "{}",
        d.screen(132, 43)
    );
    d.typed("0.5*FAS-1000").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("Item 0.5*FAS-1000_"), "{s}");
    assert!(!s.contains("NOPE-10.5"), "{s}");
    // A price with four decimals is shown with them, beside its amount.
    d.typed("2*FAS-1000=12.345").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("12.345") && s.contains("24.69"), "{s}");
    let orders = b.state.borrow().orders.len();
    d.press("f10");
    assert_eq!(
        b.state.borrow().orders.len(),
        orders + 1,
        "{}",
        d.screen(132, 43)
    );
    let st = b.state.borrow();
    let o = st.orders.get_max().map(|(_, v)| v).unwrap();
    let qtys: Vec<Decimal> = o.lines.iter().map(|l| l.unit_qty).collect();
    assert_eq!(qtys, [Decimal::from(2), Decimal::from(2)]);
    drop(st);
    // The counter: the same refusal, nothing added.
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.open("Counter sale").unwrap().press("enter");
    d.typed("FAS-1000")
        .press("enter")
        .typed("0.5*FAS-1000")
        .press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains("0.5 BOX: FAS-1000 is counted in whole BOX"),
        "{s}"
    );
}

/// CLERK1 at the counter with a walk-in sale of FAS-1000 and FAS-1001,
/// asked whether to remove line 2 (F9 on it).
fn asked_to_remove_line_2(b: &MemBackend) -> Driver<'_> {
    let mut d = Driver::new(b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(b, "FAS-1000"));
    d.scan(&barcode(b, "FAS-1001"));
    d.press("up").press("f9");
    d
}

#[test]
fn removing_a_line_and_leaving_a_sale_ask_first() {
    let b = demo();
    let mut d = asked_to_remove_line_2(&b);
    assert!(d.screen(80, 24).contains("Remove line 2"));
    d.press("n");
    assert!(d.screen(80, 24).contains("FAS-1001"));
    d.press("f9").press("y");
    let s = d.screen(80, 24);
    assert!(!s.contains("FAS-1001") && s.contains("FAS-1000"), "{s}");
    d.press("esc").press("esc");
    assert!(d.screen(80, 24).contains("Cancel this sale of 1 line?"));
    // Strict: an Enter (a scan's, a double key) keeps the sale.
    d.press("enter");
    assert_eq!(d.app.screen_name(), "counter_sale");
    assert!(d.screen(80, 24).contains("FAS-1000"));
    for _ in 0..3 {
        if d.screen(80, 24).contains("Cancel this sale") {
            break;
        }
        d.press("esc");
    }
    d.press("y");
    assert_eq!(d.app.screen_name(), "menu");
    assert_eq!(counter_sales(&b), 0);
    // Order entry alike: Enter stays with the lines typed, y leaves.
    let mut d = new_order(&b, "PO-79");
    d.typed("2*FAS-1000").press("enter");
    d.press("esc");
    assert!(d
        .screen(80, 24)
        .contains("Leave without placing this order of 1 line?"));
    d.press("enter");
    assert_eq!(d.app.screen_name(), "order_entry");
    assert!(d.screen(80, 24).contains("FAS-1000"));
    d.press("esc").press("y");
    assert_eq!(d.app.screen_name(), "menu");
}

/// A mistyped item: Esc clears the item field and keeps the order or
/// the sale; only the next Esc asks to leave.
#[test]
fn esc_in_the_item_field_clears_what_was_typed_first() {
    let b = demo();
    let mut d = new_order(&b, "PO-80");
    d.typed("2*FAS-1000").press("enter");
    d.typed("3*FAS-10O1");
    assert!(d.app.key_bar().contains("esc clear"), "{}", d.app.key_bar());
    d.press("esc");
    let s = d.screen(80, 24);
    assert!(
        !s.contains("FAS-10O1") && !s.contains("Leave without"),
        "{s}"
    );
    assert!(s.contains("FAS-1000"), "{s}");
    assert!(d.app.key_bar().contains("esc back"), "{}", d.app.key_bar());
    d.press("esc");
    assert!(d
        .screen(80, 24)
        .contains("Leave without placing this order of 1 line?"));
    d.press("y");
    assert_eq!(d.app.screen_name(), "menu");
    // With no line yet, the first Esc still only clears.
    let mut d = new_order(&b, "PO-81");
    d.typed("FAS-1000");
    d.press("esc");
    assert_eq!(d.app.screen_name(), "order_entry");
    d.press("esc");
    assert_eq!(d.app.screen_name(), "menu");
    // The counter alike: a half-typed code goes, the sale stays.
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    d.typed("FAS-99");
    assert!(d.app.key_bar().contains("esc clear"), "{}", d.app.key_bar());
    d.press("esc");
    let s = d.screen(80, 24);
    assert!(
        !s.contains("FAS-99") && !s.contains("Cancel this sale"),
        "{s}"
    );
    assert!(s.contains("FAS-1000"), "{s}");
    d.press("esc");
    assert!(d.screen(80, 24).contains("Cancel this sale of 1 line?"));
    d.press("y");
    assert_eq!(d.app.screen_name(), "menu");
}

#[test]
fn order_inquiry_shows_a_sale_and_follows_another_session() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    d.press("enter").press("enter");
    // The invoice prints off the session loop; its audit entry follows.
    d.wait_prints();
    let inv = b
        .state
        .borrow()
        .invoices
        .values_sorted()
        .into_iter()
        .find(|i| i.customer == "WALKIN-US01")
        .unwrap()
        .number
        .clone();
    let order = b
        .state
        .borrow()
        .orders
        .values_sorted()
        .into_iter()
        .find(|o| o.customer == "WALKIN-US01")
        .unwrap()
        .number
        .clone();
    d.press("esc"); // done -> menu
    d.open("Order inquiry").unwrap();
    assert_eq!(d.app.screen_name(), "order_inquiry");
    d.typed(&order).press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.contains(&*inv) && s.contains("shipped") && s.contains("WILLCALL"),
        "{s}"
    );
    // Who did what when, from the log: the one counter_sale record by
    // CLERK1, with what it did to the order.
    let total = b.state.borrow().invoices[&inv].total;
    let total = depot::query::money(total, &b.state.borrow().invoices[&inv].currency);
    assert!(s.contains("history (who, when, what"), "{s}");
    assert!(s.contains("CLERK1   counter_sale"), "{s}");
    assert!(s.contains("line 1: 1 picked from"), "{s}");
    assert!(s.contains(&format!("invoiced {inv} total {total}")), "{s}");
    // Enter drills to the journal lines: the invoice's entry with its
    // total on both sides, and the payment's.
    d.press("enter");
    let j = d.screen(132, 43);
    assert!(j.contains("journal lines of its documents"), "{j}");
    let entry = j
        .lines()
        .skip_while(|l| !(l.contains(&*inv) && l.contains("US01")))
        .take_while(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(entry.contains(&total), "{j}");
    assert!(
        j.matches(&format!(" {total} ")).count() >= 2,
        "the invoice's debit and its total: {j}"
    );
    d.press("esc");
    assert!(d.screen(132, 43).contains("history (who, when, what"));
    // The invoice number (or the shipment's) finds the order and Enter
    // opens it.
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.open("Order inquiry").unwrap();
    d.typed(&inv.to_lowercase()).press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains(&format!("{order} WALKIN-US01")), "{s}");
    // A backend that cannot read the records says so instead of showing
    // an empty history.
    let blind = MemBackend::new(b.state.borrow().clone(), b.now);
    let mut d = Driver::new(&blind, Some("CLERK1"));
    d.open("Order inquiry").unwrap();
    d.typed(&order).press("enter");
    let s = d.screen(132, 43);
    // (the sale, and the invoice it printed)
    let n = b.state.borrow().order_history[&order].len();
    assert_eq!(n, 2);
    assert!(
        s.contains(&format!("{n} records of this order could not be read")),
        "{s}"
    );
}

#[test]
fn every_offered_action_has_a_key_in_both_keymaps() {
    let maps = Keymaps::load(None).unwrap();
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    let check = |app: &App| {
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
    check(&d.app);
    for keys in [
        &["enter"][..],
        &["enter", "enter"],
        &["up", "enter"],
        &["f8"],
        &["esc", "esc", "y", "j", "enter"],
        &["enter", "esc", "j", "j", "enter"],
        &["enter", "f4"],
    ] {
        let mut d = Driver::new(&b, Some("CLERK1"));
        d.press("enter");
        d.scan(&barcode(&b, "FAS-1000"));
        for k in keys {
            d.press(k);
            check(&d.app);
        }
    }
    d.press("?");
    assert!(d.app.help);
}

#[test]
fn help_is_built_from_the_active_keymap() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("?");
    let s = d.screen(80, 24);
    assert!(s.contains("keys: menu") && s.contains("F3"), "{s}");
    d.press("esc");
    assert!(!d.app.help);
    // AR1 uses the classic keymap: no j/k; F1 is help.
    let mut d = Driver::new(&b, Some("AR1"));
    d.press("f1");
    let s = d.screen(80, 24);
    assert!(s.contains("F1") && !s.contains(" j "), "{s}");
}

/// The keys of a screen on a handheld of 8 rows do not fit the help's
/// box: its bottom border says there is more, Up and Down (Home, End)
/// scroll to every key, and any other key closes it. It showed the first
/// two keys, and Down closed it.
#[test]
fn the_help_scrolls_where_the_keys_do_not_fit() {
    let b = demo();
    let mut d = Driver::new(&b, Some("SHIP1"));
    d.open("Ship").unwrap();
    let keys = d.app.help_lines();
    let (first, last) = (keys[0].1, keys[keys.len() - 1].1);
    d.press("f1");
    let s = d.screen(20, 8);
    assert!(s.contains(first) && !s.contains(last), "{s}");
    assert!(s.contains("Down: more") && !s.contains("Up"), "{s}");
    // Down a row at a time reaches the last key, and stops there.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..(keys.len() * 4) {
        let s = d.screen(20, 8);
        // (The start of what a key does: on 20 columns the rest wraps.)
        let start = |what: &'static str| &what[..what.len().min(12)];
        seen.extend(keys.iter().filter(|k| s.contains(start(k.1))).map(|k| k.1));
        // A key at a time: the box's first row is a key, not the rest of
        // what the one above does (said indented), until the end.
        let rows: Vec<&str> = s.lines().collect();
        let title = rows.iter().position(|l| l.contains("keys: Ship")).unwrap();
        if s.contains("Down: more") {
            assert!(!rows[title + 1].starts_with("│ "), "{s}");
        }
        d.press("down");
    }
    assert!(d.app.help, "Down closed the help");
    let s = d.screen(20, 8);
    assert!(s.contains(last) && s.contains("Up: more"), "{s}");
    assert_eq!(seen.len(), keys.len(), "never shown: {keys:?} {seen:?}");
    d.press("home");
    assert!(d.screen(20, 8).contains(first));
    d.press("end");
    assert!(d.screen(20, 8).contains(last));
    // Where they fit, nothing scrolls and nothing says "more".
    let s = d.screen(80, 24);
    assert!(
        s.contains(first) && s.contains(last) && !s.contains("more"),
        "{s}"
    );
    d.press("esc");
    assert!(!d.app.help);
    // Opened again: from the top.
    d.press("f1");
    assert!(d.screen(20, 8).contains(first));
    d.press("x");
    assert!(!d.app.help, "any other key closes it");
}

#[test]
fn snapshots_of_each_screen_at_80x24_and_132x43() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    insta::assert_snapshot!("menu_80x24", d.screen(80, 24));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1001"));
    d.typed("2*FAS-1000").press("enter");
    insta::assert_snapshot!("counter_sale_80x24", d.screen(80, 24));
    insta::assert_snapshot!("counter_sale_132x43", d.screen(132, 43));
    d.press("f8");
    insta::assert_snapshot!("counter_tender_80x24", d.screen(80, 24));
    let mut d = Driver::new(&b, Some("ADMIN"));
    d.open("Item lookup")
        .unwrap()
        .typed("FAS-1001")
        .press("enter");
    insta::assert_snapshot!("item_80x24", d.screen(80, 24));
    insta::assert_snapshot!("item_132x43", d.screen(132, 43));
    insta::assert_snapshot!("item_40x16", d.screen(40, 16));
    // A 20-column handheld shows what is free and on hand in each
    // warehouse (the row's first figures).
    let s = d.screen(20, 16);
    let row = s.lines().find(|l| l.starts_with("CHI")).unwrap_or_default();
    let st = b.state.borrow();
    let on_hand = st.stock[&("CHI".to_code(), "FAS-1001".to_code())].on_hand;
    let free = depot::query::sale::available(&st, "FAS-1001", today())
        .into_iter()
        .find(|(w, _)| w == "CHI")
        .map(|(_, a)| a)
        .unwrap();
    drop(st);
    let figures: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        figures,
        ["CHI", &depot::query::qty(free), &depot::query::qty(on_hand)],
        "{s}"
    );
    let mut d = Driver::new(&b, Some("ADMIN"));
    d.open("Customer lookup")
        .unwrap()
        .typed("C0001")
        .press("enter");
    insta::assert_snapshot!("customer_80x24", d.screen(80, 24));
    insta::assert_snapshot!("customer_132x43", d.screen(132, 43));
    let mut d = new_order(&b, "PO-9");
    d.typed("5*FAS-1003")
        .press("enter")
        .typed("2*FAS-1000")
        .press("enter");
    insta::assert_snapshot!("order_entry_80x24", d.screen(80, 24));
    insta::assert_snapshot!("order_entry_132x43", d.screen(132, 43));
    let mut d = Driver::new(&b, Some("ADMIN"));
    d.open("Order inquiry").unwrap();
    insta::assert_snapshot!("orders_80x24", d.screen(80, 24));
    insta::assert_snapshot!("orders_132x43", d.screen(132, 43));
    // One order's life with its history, and the drill to its journals.
    d.typed("SO-000009").press("enter");
    insta::assert_snapshot!("order_life_80x24", d.screen(80, 24));
    insta::assert_snapshot!("order_life_132x43", d.screen(132, 43));
    d.press("enter");
    insta::assert_snapshot!("order_journals_132x43", d.screen(132, 43));
}

#[test]
fn tiny_terminals_get_a_message_not_a_panic() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter");
    for (w, h) in [(79, 24), (40, 16), (20, 5), (19, 4), (1, 1), (0, 0)] {
        let s = d.screen(w, h);
        if w >= 20 && h >= 5 {
            assert!(s.contains("needs"), "{w}x{h}: {s}");
        }
    }
}

/// Random keys and sizes on every screen: no panic, and no command is
/// ever submitted twice under one key (a screen never resends).
#[test]
fn random_keys_and_resizes_never_panic_or_submit_twice() {
    let seed: u64 = std::env::var("DEPOT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261130);
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
        "n",
        "j",
        "k",
        "/",
        "*",
        "?",
    ];
    let b = demo();
    let scans = [
        barcode(&b, "FAS-1000"),
        barcode(&b, "FAS-1001"),
        "]C10110614141000026".to_string(),
        "garbled\u{1b}[".to_string(),
    ];
    // (AR1, AP1 and CTRL1: the back-office screens, on the classic keymap.)
    for op in ["CLERK1", "ADMIN", "PICK1", "SUP1", "AR1", "AP1", "CTRL1"] {
        let mut d = Driver::new(&b, Some(op));
        for step in 0..3000 {
            match next() % 10 {
                0..=4 => {
                    let k = named[(next() % named.len() as u64) as usize];
                    if k == "f3" {
                        continue;
                    }
                    d.press(k);
                }
                5..=6 => {
                    let c = (b'0' + (next() % 43) as u8) as char;
                    d.key(Key::plain(KeyCode::Char(c)));
                }
                7 => {
                    let s = &scans[(next() % scans.len() as u64) as usize];
                    d.scan(s);
                }
                _ => {
                    let w = (next() % 140) as u16;
                    let h = (next() % 50) as u16;
                    d.screen(w, h);
                }
            }
            if d.app.quit || d.app.operator.is_none() {
                d = Driver::new(&b, Some(op));
            }
            let _ = step;
        }
    }
    let log = b.log.borrow();
    let mut keys: Vec<&String> = log.iter().map(|(_, r)| &r.key).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "a key was submitted twice (seed {seed})");
    depot::core::invariants::check_state(&b.state.borrow())
        .unwrap_or_else(|v| panic!("invariant broken (seed {seed}): {v}"));
}

#[test]
fn no_color_draws_without_colours() {
    let b = demo();
    let mut a = App::new(
        Keymaps::load(None).unwrap(),
        true,
        Some("CLERK1".into()),
        "t",
        &b,
    );
    a.on_key(Key::parse("enter").unwrap(), &b);
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| a.view(f, &b)).unwrap();
    for cell in t.backend().buffer().content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "a coloured cell under NO_COLOR: {cell:?}"
        );
    }
    let mut a = App::new(
        Keymaps::load(None).unwrap(),
        false,
        Some("CLERK1".into()),
        "t",
        &b,
    );
    t.draw(|f| a.view(f, &b)).unwrap();
    assert!(t
        .backend()
        .buffer()
        .content()
        .iter()
        .any(|c| c.bg != Color::Reset));
}

#[test]
fn a_user_keymap_merges_over_the_default_and_bad_ones_are_named() {
    let user = "[list]\n\"x\" = \"down\"\n\"j\" = \"none\"\n";
    let km = Keymap::build("default", Some(("mine.toml", user))).unwrap();
    let k = |s: &str| Key::parse(s).unwrap();
    assert_eq!(
        km.action("menu", Context::List, &k("x")),
        Some(Action::Down)
    );
    assert_eq!(km.action("menu", Context::List, &k("j")), None);
    assert_eq!(km.action("menu", Context::List, &k("k")), Some(Action::Up));
    // Global keys that type a character do not fire while typing.
    assert_eq!(km.action("counter_sale", Context::Form, &k("?")), None);
    assert_eq!(
        km.action("counter_sale", Context::Form, &k("f1")),
        Some(Action::Help)
    );
    let bad = |text: &str| Keymap::build("default", Some(("mine.toml", text))).unwrap_err();
    let e = bad("[list]\n\"x\" = \"fly\"\n");
    assert!(matches!(e, KeymapError::Action { line: 2, .. }), "{e}");
    assert!(e.to_string().contains("\"x\"") && e.to_string().contains("fly"));
    let e = bad("[list]\n\"hyper-x\" = \"down\"\n");
    assert!(matches!(e, KeymapError::Key { .. }), "{e}");
    let e = bad("[lists]\n\"x\" = \"down\"\n");
    assert!(e.to_string().contains("[lists]"), "{e}");
    let e = bad("[screen.nosuch]\n\"x\" = \"down\"\n");
    assert!(e.to_string().contains("screen.nosuch"), "{e}");
    let e = bad("[list\n");
    assert!(
        e.to_string().contains("mine.toml") && e.to_string().contains("TOML"),
        "{e}"
    );
    assert!(matches!(
        Keymap::build("emacs", None),
        Err(KeymapError::UnknownBase(_))
    ));
    let missing = std::path::Path::new("/nonexistent/keymap.toml");
    assert!(depot::ui::keymaps(Some(missing)).is_err());
}

#[test]
fn the_shipped_keymaps_bind_no_key_twice_in_a_section() {
    for (name, text) in [
        ("default", depot::ui::keymap::DEFAULT),
        ("classic", depot::ui::keymap::CLASSIC),
    ] {
        let mut km = Keymap::default();
        km.merge(name, text)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn a_committed_sale_reports_its_invoice_event() {
    // The typed outcome carries the events: the screen shows the invoice
    // number from them, not from a second read.
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    d.press("enter").press("enter");
    // The invoice goes to the print worker; its audit entry is recorded
    // when the print is done.
    d.wait_prints();
    let req = b
        .log
        .borrow()
        .iter()
        .rev()
        .find(|(_, r)| matches!(r.body, CommandBody::CounterSale { .. }))
        .unwrap()
        .1
        .clone();
    // The invoice was printed right after the sale, and the print audited.
    assert!(
        matches!(
            b.log.borrow().last().unwrap().1.body,
            CommandBody::RecordPrint(_)
        ),
        "the sale's invoice is printed and the print recorded"
    );
    let out = depot::ui::Backend::submit(&b, "CLERK1", "t", req);
    match out {
        depot::ui::screen::Submitted::Committed {
            duplicate, events, ..
        } => {
            assert!(duplicate, "the same key is the same sale");
            assert!(events.iter().any(|e| matches!(e, Event::Invoiced { .. })));
        }
        other => panic!("{other:?}"),
    }
}

/// A phone order: customer by name, a line larger than the shelf is
/// Items scanned or typed straight after the customer, where the ship-to
/// is asked, become lines: before, the ship-to took no text and dropped
/// them, and the Enters carried the next ones into the PO and the date.
#[test]
fn items_typed_after_the_customer_become_lines_not_header_text() {
    let b = demo();
    let mut d = Driver::new(&b, Some("REP1"));
    d.open("Order entry").unwrap().typed("C0002").press("enter");
    d.scan(&barcode(&b, "FAS-1001"));
    d.typed("3*ELE-1000").press("enter");
    d.typed("2*PLU-1003").press("enter");
    let s = d.screen(80, 24);
    for sku in ["FAS-1001", "ELE-1000", "PLU-1003"] {
        assert!(
            s.lines().any(|l| l.contains(sku) && l.contains("list")),
            "{sku} is a priced line:\n{s}"
        );
    }
    assert!(s.contains("bill-to"), "the ship-to stays the bill-to:\n{s}");
    // What each line is, even at 80 columns.
    assert!(s.contains("Carriage"), "{s}");
    assert!(!s.contains("PO 3*"), "nothing went into the PO:\n{s}");
    let before = b.state.borrow().orders.len();
    d.press("f10");
    let st = b.state.borrow();
    assert_eq!(st.orders.len(), before + 1);
    let o = st.orders.get_max().map(|(_, v)| v).unwrap();
    assert_eq!(o.lines.len(), 3);
    assert_eq!(o.customer_po, "");
}

/// backordered with its promise date, F10 places it.
#[test]
fn a_phone_order_with_a_backordered_line_shows_its_promise() {
    let b = demo();
    let mut d = Driver::new(&b, Some("REP1"));
    d.open("Order entry").unwrap();
    assert_eq!(d.app.screen_name(), "order_entry");
    // Several customers are called Lakeside: the lookup offers them, the
    // best match first; Enter takes it.
    d.typed("Lakeside").press("enter");
    if d.screen(132, 43).contains("find customer") {
        d.press("enter");
    }
    let s = d.screen(132, 43);
    assert!(
        s.contains("C0001") && s.contains("available"),
        "credit shown:\n{s}"
    );
    d.press("enter")
        .typed("PO-777")
        .press("enter")
        .press("enter")
        .press("enter");
    d.typed("2*FAS-1000").press("enter");
    d.typed("400*FAS-1003").press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.contains("not placed yet") && s.contains("backordered"),
        "the preview says it:\n{s}"
    );
    let line2 = s
        .lines()
        .find(|l| l.contains("FAS-1003"))
        .unwrap_or_default()
        .to_string();
    assert!(line2.contains("list"), "{line2}");
    // Exit with the order not placed asks first; "no" keeps it.
    d.press("f3");
    assert!(d.screen(132, 43).contains("Exit depot?"));
    d.press("n");
    assert!(!d.app.quit);
    let before = b.state.borrow().orders.len();
    d.press("f10");
    let st = b.state.borrow();
    assert_eq!(st.orders.len(), before + 1);
    let o = st.orders.get_max().map(|(_, v)| v).unwrap();
    assert_eq!(o.customer, "C0001");
    assert_eq!(o.customer_po, "PO-777");
    let l = &o.lines[1];
    assert!(
        l.backordered > Decimal::ZERO && l.promise.is_some(),
        "{l:?}"
    );
    let shown = l.promise.unwrap().format("%m-%d").to_string();
    drop(st);
    let s = d.screen(132, 43);
    assert!(
        s.contains(&shown) && s.contains("placed"),
        "promise {shown} shown:\n{s}"
    );
    // F10 again does not place it twice.
    d.press("f10");
    assert_eq!(b.state.borrow().orders.len(), before + 1);
}

#[test]
fn an_open_order_changed_and_a_line_cancelled_with_a_confirm() {
    let b = demo();
    // The demo's open order of C0001 with two lines.
    let number = b
        .state
        .borrow()
        .orders
        .values_sorted()
        .into_iter()
        .rev()
        .find(|o| {
            o.customer == "C0001"
                && o.lines.len() == 2
                && o.status == depot::core::sales::OrderStatus::Open
        })
        .map(|o| o.number.clone())
        .expect("an open order of C0001 in the demo");
    let mut d = Driver::new(&b, Some("REP1"));
    d.open("Order entry").unwrap();
    d.press("backtab").typed(&number).press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains(&format!("order entry · {number}")), "{s}");
    // The header shows the order as placed, and is not edited here.
    let po = b.state.borrow().orders[&number].customer_po.clone();
    assert!(!po.is_empty() && s.contains(&po), "{po}:\n{s}");
    d.press("backtab").press("backtab").typed("X");
    assert!(d.screen(132, 43).contains("not changed here"));
    d.press("tab").press("tab"); // back to the item field
                                 // Line 1 to 3 units.
    d.press("up").press("up").typed("3").press("enter");
    assert_eq!(
        b.state.borrow().orders[&number].lines[0].unit_qty,
        Decimal::from(3)
    );
    // Cancel line 2: asked first; "no" changes nothing.
    d.press("down").press("f9");
    assert!(d.screen(132, 43).contains("Cancel line 2"));
    d.press("n");
    assert!(!b.state.borrow().orders[&number].lines[1].cancelled);
    d.press("f9").press("y");
    assert!(b.state.borrow().orders[&number].lines[1].cancelled);
    // A new line on the open order.
    d.press("esc").typed("FAS-1001").press("enter");
    assert_eq!(b.state.borrow().orders[&number].lines.len(), 3);
}

/// A running engine on a new demo store, and the screens' backend on it
/// (the store's directory goes when the first is dropped).
fn demo_engine() -> (
    tempfile::TempDir,
    depot::engine::Engine,
    depot::ui_backend::EngineBackend,
) {
    use depot::engine::{Engine, EngineConfig};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    depot::cli::create_demo(&dir, 0, true).unwrap();
    let engine = Engine::start(
        depot::store::Store::open(&dir).unwrap(),
        EngineConfig::default(),
    )
    .unwrap();
    let backend = depot::ui_backend::EngineBackend::new(engine.clone());
    (tmp, engine, backend)
}

/// Two sessions on one real engine: the rep has a held order open; the
/// supervisor releases the hold in another session; the rep's session is
/// told once (merged notices) and its screen no longer shows the hold.
#[test]
fn a_credit_hold_clears_on_screen_when_another_session_releases_it() {
    use depot::engine::Submission;
    use depot::ui::session::{commit_watcher, Inbox};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let (_tmp, engine, backend) = demo_engine();
    let held = engine
        .view()
        .state
        .orders
        .values_sorted()
        .into_iter()
        .find(|o| !o.holds.is_empty())
        .map(|o| o.number.clone())
        .expect("a held order in the demo");
    let (tx, rx) = std::sync::mpsc::channel();
    let pending = Arc::new(AtomicBool::new(false));
    engine.watch(commit_watcher(tx, pending.clone()));
    let mut app = App::new(
        Keymaps::load(None).unwrap(),
        false,
        Some("REP1".into()),
        "rep",
        &backend,
    );
    let press = |app: &mut App, k: &str| app.on_key(Key::parse(k).unwrap(), &backend);
    let draw = |app: &mut App| {
        let mut t = Terminal::new(TestBackend::new(132, 43)).unwrap();
        t.draw(|f| app.view(f, &backend)).unwrap();
        t.backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect::<String>()
    };
    // Order entry is the rep's first menu row; its first field takes an order number.
    press(&mut app, "enter");
    press(&mut app, "backtab");
    for c in held.chars() {
        app.on_key(Key::plain(KeyCode::Char(c)), &backend);
    }
    press(&mut app, "enter");
    let s = draw(&mut app);
    assert!(s.contains("CREDIT HOLD") && s.contains("SUP1"), "{s}");
    // Why, who releases it and what it means for stock, read whole (the
    // hold wraps over its two rows rather than being cut).
    let words = s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("can release; nothing is reserved until then"),
        "{s}"
    );
    let hold = engine.view().state.orders[&held].holds[0];
    let reply = engine
        .submit(Submission {
            operator: "SUP1".into(),
            session: "supervisor".into(),
            key: None,
            body: CommandBody::ReleaseHold {
                number: held.clone(),
                hold,
            },
        })
        .unwrap();
    assert!(reply.outcome.is_ok(), "{reply:?}");
    // Two more commits: still one notice waiting (merged, bounded).
    for _ in 0..2 {
        let _ = engine.submit(Submission {
            operator: "SUP1".into(),
            session: "supervisor".into(),
            key: None,
            body: CommandBody::ReleaseHold {
                number: held.clone(),
                hold,
            },
        });
    }
    let notices: Vec<Inbox> = rx.try_iter().collect();
    assert_eq!(notices, vec![Inbox::Commit], "one merged notice");
    pending.store(false, Ordering::Release);
    app.committed(&backend);
    let s = draw(&mut app);
    assert!(!s.contains("CREDIT HOLD"), "{s}");
    engine.shutdown().unwrap();
}

#[test]
fn a_screen_too_small_to_show_takes_no_keys_and_quit_asks_with_a_sale_open() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    let s = d.screen(40, 16);
    assert!(s.contains("needs 80x24"), "{s}");
    // Enter, Enter would pay: not while the sale cannot be seen.
    d.press("enter").press("enter");
    assert_eq!(counter_sales(&b), 0);
    assert!(d.screen(40, 16).contains("too small"));
    d.screen(80, 24);
    // F3 with a sale open asks first; "no" keeps the sale, and so does
    // Enter (a scanner's Enter after a stray F3): only `y` exits.
    d.press("f3");
    assert!(d.screen(80, 24).contains("Exit depot?"));
    assert!(
        d.screen(80, 24).contains("y yes  enter/esc no"),
        "{}",
        d.screen(80, 24)
    );
    d.press("enter");
    assert!(!d.app.quit);
    d.press("f3");
    assert!(d.screen(80, 24).contains("Exit depot?"));
    d.press("n");
    assert!(!d.app.quit);
    d.press("enter").press("enter");
    assert_eq!(counter_sales(&b), 1);
    // Nothing open: F3 exits at once.
    d.press("f3");
    assert!(d.app.quit);
}

/// A tender taken can be given back (F9 at the tender, asking first);
/// with lines removed after tenders were taken, paying more than the sale
/// now comes to is refused on the screen, naming the way out.
#[test]
fn a_tender_is_given_back_and_more_than_the_total_is_refused_at_once() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    d.scan(&barcode(&b, "FAS-1001"));
    d.press("enter"); // pay
    assert!(
        !d.screen(132, 43).contains("give back"),
        "nothing to give back yet"
    );
    d.typed("60").press("enter"); // 60.00 cash, less than the total
    let s = d.screen(132, 43);
    assert!(
        s.contains("Paid cash 60.00") && s.contains("give back the last tender"),
        "{s}"
    );
    // Back to the lines: the last one removed, the total is under 60 now.
    d.press("esc").press("up").press("f9").press("y");
    let s = d.screen(132, 43);
    assert!(s.contains("Paid cash 60.00") && s.contains("Due -"), "{s}");
    d.press("f8"); // pay
    d.press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("is more than the total"), "{s}");
    assert_eq!(counter_sales(&b), 0, "refused on the screen, not sent");
    // F9 gives the 60.00 back, after asking.
    d.press("f9");
    assert!(d.screen(80, 24).contains("Give back cash 60.00"));
    d.press("y");
    let s = d.screen(132, 43);
    assert!(
        s.contains("given back: cash 60.00") && !s.contains("Paid cash"),
        "{s}"
    );
    d.press("enter");
    assert!(d.screen(80, 24).contains("SOLD"));
    let payments = last_sale_payments(&b);
    assert_eq!(payments.len(), 1, "{payments:?}");
}

/// At a size too small to draw the sale, quitting with a line on it asks
/// first, and the key bar shows the answers (it showed the quit key, so
/// the question's keys were nowhere on a 20x5 screen).
#[test]
fn quitting_a_sale_too_small_to_draw_shows_the_answers() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    assert!(d.screen(20, 5).contains("too small"));
    d.press("f3");
    assert!(!d.app.quit, "a sale with a line asks first");
    let s = d.screen(20, 5);
    let bar = s.lines().last().unwrap_or_default();
    assert!(bar.contains("yes") && bar.contains("no"), "{s}");
    // Its box cannot show the question there: `y` does not exit over
    // the sale (it did, and a sale with a card payment taken was lost).
    d.press("y");
    assert!(!d.app.quit, "y to a question not shown whole:\n{s}");
    assert_eq!(d.app.screen_name(), "counter_sale");
    d.press("f3");
    d.press("esc");
    assert!(!d.app.quit);
    assert_eq!(d.app.screen_name(), "counter_sale");
    // At a size that shows it whole, y exits.
    d.screen(80, 24);
    d.press("f3");
    d.screen(80, 24);
    d.press("y");
    assert!(d.app.quit);
}

/// A key at 20x5 says only F3 works; made big enough again, that is no
/// longer said.
#[test]
fn too_small_is_said_only_while_it_is() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    assert!(d.screen(20, 5).contains("too small"));
    d.typed("x");
    assert!(d.screen(20, 5).contains("too small"));
    let s = d.screen(80, 24);
    assert!(
        !s.contains("only F3 works") && !s.contains("too small"),
        "{s}"
    );
}

#[test]
fn a_lookup_says_when_its_status_is_cut_on_a_handheld() {
    let b = demo();
    let mut d = Driver::new(&b, Some("PICK1"));
    d.open("Item lookup").unwrap();
    d.typed("ZZZQ").press("enter");
    let wide = d.screen(80, 24);
    assert!(wide.contains("nothing matches \"ZZZQ\""), "{wide}");
    let s = d.screen(20, 16);
    let row = s
        .lines()
        .find(|l| l.starts_with("/ ZZZQ"))
        .unwrap_or_else(|| panic!("no query row:\n{s}"));
    assert!(
        row.trim_end().ends_with('~') && row.contains("nothing"),
        "{s}"
    );
    // Esc clears the query, and what it got said goes with it.
    d.press("esc");
    let s = d.screen(80, 24);
    assert!(!s.contains("nothing matches"), "{s}");
    assert_eq!(d.app.screen_name(), "item_lookup");
}

/// On the smallest handheld (20x8) an item's stock rows show under its
/// name: free and on hand per warehouse, each line cut at the edge, not
/// wrapped out of sight; at 80 columns the list and the detail meet in a
/// tee.
#[test]
fn an_item_lookup_on_a_20x8_handheld_shows_its_stock() {
    let b = demo();
    let mut d = Driver::new(&b, Some("PICK1"));
    d.open("Item lookup").unwrap();
    d.typed("FAS-1003").press("enter");
    let wide = d.screen(80, 24);
    assert!(wide.contains('┬') && !wide.contains("─┐─"), "{wide}");
    d.press("enter");
    let s = d.screen(20, 8);
    let wh = {
        let st = b.state.borrow();
        st.warehouses
            .keys()
            .find(|w| st.stock.contains_key(&((*w).clone(), "FAS-1003".to_code())))
            .cloned()
            .expect("stock somewhere")
    };
    assert!(
        s.lines().any(|l| l.starts_with(wh.as_str())),
        "the {wh} stock row in sight: {s}"
    );
    assert!(
        s.lines().any(|l| l.starts_with("wh") && l.contains("free")),
        "{s}"
    );
}

/// On a 20-column handheld an item found takes two rows, its
/// description broken between words, where the row was cut at the edge
/// with the description's first word or two.
#[test]
fn an_item_lookup_at_20_columns_lists_descriptions_on_a_second_row() {
    let b = demo();
    let mut d = Driver::new(&b, Some("PICK1"));
    d.open("Item lookup").unwrap();
    d.typed("FAS-100").press("enter");
    let s = d.screen(20, 16);
    let (sku, description) = {
        let st = b.state.borrow();
        let i = &st.items[&"FAS-1000".to_code()];
        (i.sku.to_string(), i.description.to_string())
    };
    let rows: Vec<&str> = s.lines().map(str::trim_end).collect();
    let at = rows
        .iter()
        .position(|l| l.trim_start().starts_with(&sku))
        .unwrap_or_else(|| panic!("{sku} listed:\n{s}"));
    // Its description read across its two rows, whole or cut with "~"
    // only after the second.
    let words: Vec<&str> = description.split_whitespace().collect();
    let two = format!("{} {}", rows[at], rows[at + 1]);
    assert!(two.contains(words[0]) && two.contains(words[1]), "{s}");
    assert!(!rows[at].ends_with('~'), "{s}");
}

/// On an 8-row handheld an item's detail scrolls: Down brings its lower
/// lines (category, units, bins) into sight, where it went to the next
/// item and they could not be reached; a line cut at the edge says so.
#[test]
fn an_item_detail_on_8_rows_scrolls_to_its_lower_lines() {
    let b = demo();
    let mut d = Driver::new(&b, Some("PICK1"));
    d.open("Item lookup").unwrap();
    d.typed("FAS-1003").press("enter");
    let s = d.screen(20, 8);
    assert!(s.contains("Down: more") && !s.contains("category"), "{s}");
    assert!(
        s.lines()
            .any(|l| l.starts_with("FAS-1003 ") && l.trim_end().ends_with('~')),
        "the name cut, and said to be: {s}"
    );
    let mut reached = false;
    for _ in 0..30 {
        d.press("down");
        if d.screen(20, 8).contains("category") {
            reached = true;
            break;
        }
    }
    assert!(reached, "{}", d.screen(20, 8));
    assert!(d.screen(20, 8).contains("Up"), "{}", d.screen(20, 8));
    // Still the same item: the wide screen shows its detail.
    let wide = d.screen(80, 24);
    assert!(
        wide.contains("FAS-1003 Wood") || wide.contains("FAS-1003"),
        "{wide}"
    );
    d.press("esc");
    let s = d.screen(20, 8);
    assert!(!s.contains("category"), "back to the list: {s}");
}

#[test]
fn a_lookup_too_small_to_show_leaves_by_its_fields_cancel_key() {
    let b = demo();
    let mut d = Driver::new(&b, Some("PICK1"));
    d.open("Item lookup").unwrap();
    d.typed("FAS");
    assert_eq!(d.app.screen_name(), "item_lookup");
    // The query field has no back key: its cancel key is offered, not
    // quit (which would end the session).
    let s = d.screen(20, 5);
    let lines: Vec<&str> = s.lines().collect();
    assert!(lines.contains(&"20x5: too small"), "{s}");
    let leave = lines
        .iter()
        .find_map(|l| l.strip_suffix(": back"))
        .unwrap_or_else(|| panic!("no back key offered:\n{s}"));
    assert!(!s.contains("exits"), "{s}");
    // Another key is refused and says which works.
    d.press("j");
    assert!(d.screen(20, 5).contains("too small"));
    assert_eq!(d.app.screen_name(), "item_lookup");
    // A notice takes the rows above the way out, never its line.
    let s = d.screen(20, 5);
    assert_eq!(
        s.lines().last().map(str::trim_end),
        Some(format!("{leave} back").as_str()),
        "{s}"
    );
    // The key offered leaves at once (the typed query is not cleared first).
    d.press(&leave.to_lowercase());
    assert_eq!(d.app.screen_name(), "menu");
    assert!(!d.app.quit);
}

#[test]
fn free_stock_is_what_allocation_would_give() {
    // Picked goods have left on hand: free = on hand - reserved (not less
    // what is in picks again).
    let b = demo();
    let st = b.state.borrow();
    let (key, ws) = st
        .stock
        .iter()
        .find(|(_, w)| w.in_pick > Decimal::ZERO)
        .map(|(k, w)| (k.clone(), w.clone()))
        .expect("the demo has a picked order");
    let today = b.now.date_naive();
    let free = depot::query::sale::available(&st, &key.1, today)
        .into_iter()
        .find(|(w, _)| *w == key.0)
        .map(|(_, f)| f)
        .unwrap();
    let unavailable = depot::core::sales::unavailable(&st, &key.0, &key.1, today);
    assert_eq!(
        free,
        (ws.on_hand - ws.reserved - unavailable).max(Decimal::ZERO)
    );
}

#[test]
fn a_long_sale_keeps_the_newest_line_in_sight_and_never_cuts_an_amount() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    for n in 0..18 {
        d.typed(&format!("FAS-10{n:02}")).press("enter");
    }
    let s = d.screen(80, 24);
    // The 18th line is on screen while the clerk scans on.
    assert!(s.contains("FAS-1017"), "{s}");
    // A quantity whose amount does not fit its column shows #, never a
    // shorter number.
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.typed("99999*FAS-1003").press("enter");
    let s = d.screen(80, 24);
    let row = s
        .lines()
        .find(|l| l.contains("FAS-1003") && l.contains("99999"))
        .unwrap_or_default();
    assert!(row.contains("5,224,947.75") || row.contains("####"), "{s}");
    assert!(!row.contains("5,224,947 "), "{s}");
}

/// A raw 9100 printer that does not answer: a listener with a backlog
/// of 0 whose accept queue is full (it never accepts), so a connection to
/// it hangs, as to a printer that is off the network, until the send
/// gives up after `RAW_TIMEOUT`. Returns the listener, the connections
/// that fill its queue (kept open) and its address.
fn hung_printer() -> (socket2::Socket, Vec<std::net::TcpStream>, String) {
    use socket2::{Domain, Socket, Type};
    let l = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    l.bind(&any.into()).unwrap();
    l.listen(0).unwrap();
    let addr = l.local_addr().unwrap().as_socket().unwrap();
    let mut held = Vec::new();
    for _ in 0..64 {
        match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300)) {
            Ok(c) => held.push(c),
            Err(_) => break,
        }
    }
    assert!(held.len() < 64, "the listener's queue never filled");
    (l, held, addr.to_string())
}

/// Printing never holds the screen: the counter sale hands its invoice to
/// the session's print worker and shows "printing…"; a key pressed while
/// the printer hangs is handled at once; the failure comes back as a
/// notice with the retry key and an audit entry; ctrl-p sends it again.
#[test]
fn a_hung_printer_does_not_hold_the_screen_and_the_failure_can_be_retried() {
    use depot::core::printing::{PrintStatus, Printer, PrinterKind, PrinterScope};
    let b = demo();
    let (_listener, _held, target) = hung_printer();
    b.exec(
        "ADMIN",
        CommandBody::SetPrinter(Printer {
            code: "HUNG".into(),
            name: "Counter printer, unplugged".into(),
            kind: PrinterKind::Raw,
            target,
            active: true,
        }),
    )
    .unwrap();
    b.exec(
        "ADMIN",
        CommandBody::SetDefaultPrinter {
            scope: PrinterScope::Operator("CLERK1".into()),
            printer: Some("HUNG".into()),
        },
    )
    .unwrap();
    let records = |b: &MemBackend| {
        b.log
            .borrow()
            .iter()
            .filter_map(|(_, r)| match &r.body {
                CommandBody::RecordPrint(p) => Some(p.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    d.press("enter").press("enter");
    let s = d.screen(100, 30);
    assert!(s.contains("SOLD"), "{s}");
    assert!(
        s.contains("printing invoice") && s.contains("on HUNG"),
        "{s}"
    );
    assert!(records(&b).is_empty(), "recorded when the print is done");
    // The screen takes the next key while the printer hangs: Esc goes
    // back to the menu.
    d.press("esc");
    d.wait_until("the menu", 100, 30, |s| s.contains("Order inquiry"));
    assert!(d.app.printing(), "the print is still out");
    // The failure, when the send gives up: what, where, the retry key.
    let s = d.wait_until("the print's failure", 100, 30, |s| {
        s.contains("print failed on HUNG (ctrl-p to retry)")
    });
    assert!(
        s.contains("connection timed out") || s.contains("cannot connect"),
        "{s}"
    );
    let r = records(&b);
    assert_eq!(r.len(), 1);
    assert!(matches!(r[0].status, PrintStatus::Failed { .. }), "{r:?}");
    assert_eq!(d.app.failed_prints.len(), 1);
    // The printer is back (on another port): ctrl-p sends the invoice again.
    let back = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = back.local_addr().unwrap().port();
    let got = std::thread::spawn(move || {
        let (mut c, _) = back.accept().unwrap();
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut c, &mut buf).unwrap();
        buf
    });
    b.exec(
        "ADMIN",
        CommandBody::SetPrinter(Printer {
            code: "HUNG".into(),
            name: "Counter printer".into(),
            kind: PrinterKind::Raw,
            target: format!("127.0.0.1:{port}"),
            active: true,
        }),
    )
    .unwrap();
    d.committed();
    d.press("ctrl-p");
    let s = d.wait_until("the print done", 100, 30, |s| s.contains("printed on HUNG"));
    assert!(!s.contains("COPY"), "a failed print fixed nothing: {s}");
    assert!(!got.join().unwrap().is_empty());
    let r = records(&b);
    assert_eq!(r.len(), 2);
    assert_eq!(r[1].status, PrintStatus::Printed);
    assert!(!r[1].copy && r[1].doc == r[0].doc);
    assert!(d.app.failed_prints.is_empty());
}

/// A raw printer CTR, CLERK1's default, that takes every job: what it
/// was sent, job by job.
fn counter_printer(engine: &depot::engine::Engine) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let (took, jobs) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        for c in listener.incoming() {
            let Ok(mut c) = c else { break };
            let mut buf = Vec::new();
            let _ = std::io::Read::read_to_end(&mut c, &mut buf);
            if took.send(buf).is_err() {
                break;
            }
        }
    });
    raw_printer(engine, "CTR", "Counter printer", &target);
    clerk_default(engine, "CTR");
    jobs
}

/// A command by ADMIN, which must be accepted.
fn admin(engine: &depot::engine::Engine, body: CommandBody) {
    let r = engine
        .submit(depot::engine::Submission {
            operator: "ADMIN".into(),
            session: "admin".into(),
            key: None,
            body,
        })
        .unwrap();
    assert!(r.outcome.is_ok(), "{r:?}");
}

/// A raw (9100) printer `code` sending to `target`.
fn raw_printer(engine: &depot::engine::Engine, code: &str, name: &str, target: &str) {
    admin(
        engine,
        CommandBody::SetPrinter(depot::core::printing::Printer {
            code: code.into(),
            name: name.into(),
            kind: depot::core::printing::PrinterKind::Raw,
            target: target.to_string(),
            active: true,
        }),
    );
}

/// CLERK1's default printer.
fn clerk_default(engine: &depot::engine::Engine, printer: &str) {
    admin(
        engine,
        CommandBody::SetDefaultPrinter {
            scope: depot::core::printing::PrinterScope::Operator("CLERK1".into()),
            printer: Some(printer.into()),
        },
    );
}

/// The newest invoice's print history in `engine`'s state: (number, the
/// record its first print was built from, how many times it printed).
fn invoice_prints(engine: &depot::engine::Engine) -> Option<(String, Option<u64>, u32)> {
    let kind = depot::docs::DocKind::Invoice.as_str();
    engine
        .view()
        .state
        .prints
        .iter()
        .filter(|((k, _), _)| k == kind)
        .max_by_key(|((_, doc), _)| doc.to_string())
        .map(|((_, doc), h)| (doc.to_string(), h.as_of, h.printed))
}

/// From the menu, a counter sale of one FAS-1000 to the walk-in customer;
/// its invoice printed on CTR (the printer got it, the audit trail has
/// it). The invoice and the record its print was built from.
fn counter_sale_printed<B: depot::ui::Backend>(
    d: &mut Driver<'_, B>,
    engine: &depot::engine::Engine,
    jobs: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> (String, u64) {
    let bar = engine.view().state.items[&"FAS-1000".to_code()].barcodes[0]
        .code
        .clone();
    d.press("enter").press("enter");
    d.scan(&bar);
    d.press("enter").press("enter");
    let s = d.wait_until("the invoice printed", 100, 30, |s| {
        s.contains("printed on CTR")
    });
    assert!(!s.contains("copy printed"), "{s}");
    assert!(!jobs
        .recv_timeout(std::time::Duration::from_secs(60))
        .unwrap()
        .is_empty());
    let (invoice, first, n) = invoice_prints(engine).expect("the print recorded");
    assert!(s.contains(&invoice), "{s}");
    assert_eq!(n, 1);
    (invoice, first.expect("built as of a record"))
}

/// Another replay holds the replay turn on its own thread until told to
/// let go; it gives the turn up after 30 s if never told, and then says
/// so (`false`): what a screen that built a reprint itself would have
/// waited for.
fn hold_replays() -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<bool>) {
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (held, holding) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        let _turn = depot::docs::print::replay_turn();
        held.send(()).unwrap();
        released
            .recv_timeout(std::time::Duration::from_secs(30))
            .is_ok()
    });
    holding.recv().unwrap();
    (release, other)
}

/// On a running engine a reprint is built on the session's print worker,
/// not on the screen's thread: the replay to the state of the first print
/// waits for its turn (one replay at a time in the process, so clerks
/// reprinting at once hold one extra state, not one each) while the
/// screen takes keys; then the COPY prints and is recorded against the
/// same first print.
#[test]
fn a_reprint_replays_on_the_print_worker_while_the_screen_takes_keys() {
    use std::time::Duration;
    let (_tmp, engine, backend) = demo_engine();
    let jobs = counter_printer(&engine);
    let mut d = Driver::new(&backend, Some("CLERK1"));
    let (invoice, first) = counter_sale_printed(&mut d, &engine, &jobs);
    assert!(engine.view().seq > first, "the reprint needs a replay");
    let (release, other) = hold_replays();
    d.press("ctrl-p");
    let s = d.screen(100, 30);
    assert!(
        s.contains(&format!("printing invoice {invoice} on CTR")),
        "{s}"
    );
    assert!(d.app.printing());
    // The screen takes keys meanwhile: Esc goes back to the menu.
    d.press("esc");
    d.wait_until("the menu", 100, 30, |s| s.contains("Order inquiry"));
    assert!(d.app.printing(), "the reprint still waits for its turn");
    assert!(jobs.try_recv().is_err(), "nothing sent before the replay");
    release.send(()).unwrap();
    assert!(
        other.join().unwrap(),
        "the screen's thread waited for the replay's turn"
    );
    d.wait_until("the copy printed", 100, 30, |s| {
        s.contains("copy printed on CTR")
    });
    assert!(!jobs
        .recv_timeout(Duration::from_secs(60))
        .unwrap()
        .is_empty());
    assert_eq!(invoice_prints(&engine), Some((invoice, Some(first), 2)));
    engine.shutdown().unwrap();
}

/// The printer the "printing…" notice names is the one the print goes
/// to: an admin who changes the clerk's default printer while a reprint
/// waits in the worker's queue (behind another, held by the replay turn)
/// does not send it elsewhere.
#[test]
fn a_reprint_goes_to_the_printer_its_notice_named() {
    use std::time::Duration;
    let (_tmp, engine, backend) = demo_engine();
    let jobs = counter_printer(&engine);
    let mut d = Driver::new(&backend, Some("CLERK1"));
    let (invoice, first) = counter_sale_printed(&mut d, &engine, &jobs);
    // A second printer, which nothing should reach.
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    other.set_nonblocking(true).unwrap();
    let target = other.local_addr().unwrap().to_string();
    raw_printer(&engine, "BACK", "Back office", &target);
    let (release, holder) = hold_replays();
    // Two copies: the first waits for the replay turn on the worker, the
    // second in the worker's queue behind it.
    for _ in 0..2 {
        d.press("ctrl-p");
        let s = d.screen(100, 30);
        assert!(
            s.contains(&format!("printing invoice {invoice} on CTR")),
            "{s}"
        );
    }
    // Meanwhile the clerk's default printer changes.
    clerk_default(&engine, "BACK");
    release.send(()).unwrap();
    assert!(holder.join().unwrap());
    for _ in 0..2 {
        assert!(!jobs
            .recv_timeout(Duration::from_secs(60))
            .unwrap()
            .is_empty());
    }
    d.wait_until("both copies printed", 100, 30, |_| {
        invoice_prints(&engine).is_some_and(|p| p.2 == 3)
    });
    assert!(other.accept().is_err(), "nothing went to BACK");
    assert_eq!(invoice_prints(&engine), Some((invoice, Some(first), 3)));
    engine.shutdown().unwrap();
}

/// A print that failed is retried on the printer chosen at the retry: an
/// admin who points the clerk at a working printer after the failure
/// gets the retry there, not on the printer that failed.
#[test]
fn a_retry_goes_to_the_printer_chosen_then() {
    use std::time::Duration;
    let (_tmp, engine, backend) = demo_engine();
    let jobs = counter_printer(&engine);
    // A printer nothing listens on (a port just closed).
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = dead.local_addr().unwrap().to_string();
    drop(dead);
    raw_printer(&engine, "DEAD", "Unplugged", &target);
    clerk_default(&engine, "DEAD");
    let mut d = Driver::new(&backend, Some("CLERK1"));
    let bar = engine.view().state.items[&"FAS-1000".to_code()].barcodes[0]
        .code
        .clone();
    d.press("enter").press("enter");
    d.scan(&bar);
    d.press("enter").press("enter");
    d.wait_until("the print failed", 200, 30, |s| {
        s.contains("print failed on DEAD (ctrl-p to retry)")
    });
    clerk_default(&engine, "CTR");
    d.press("ctrl-p");
    d.wait_until("the retry printed", 200, 30, |s| {
        s.contains("printed on CTR")
    });
    assert!(!jobs
        .recv_timeout(Duration::from_secs(60))
        .unwrap()
        .is_empty());
    engine.shutdown().unwrap();
}

/// With the worker's queue full, one more print is refused at once and
/// offered for retry: it is not built on the screen's thread (a reprint's
/// replay would freeze the screen), and the retry prints it.
#[test]
fn a_print_refused_by_a_full_queue_is_offered_for_retry_without_building_it() {
    use depot::ui::print_worker::QUEUE;
    use std::time::Duration;
    let (_tmp, engine, backend) = demo_engine();
    let jobs = counter_printer(&engine);
    let mut d = Driver::new(&backend, Some("CLERK1"));
    let (invoice, first) = counter_sale_printed(&mut d, &engine, &jobs);
    let (release, holder) = hold_replays();
    // One on the worker (waiting for the replay turn), QUEUE behind it,
    // then one more is refused.
    let mut handed = 0;
    let refused = loop {
        d.press("ctrl-p");
        let s = d.screen(200, 30);
        if s.contains("not printed on CTR") {
            break s;
        }
        handed += 1;
        assert!(handed <= QUEUE + 1, "never refused:\n{s}");
    };
    assert!(
        refused.contains(&format!(
            "invoice {invoice}: not printed on CTR (ctrl-p to retry)"
        )),
        "{refused}"
    );
    assert!(handed >= QUEUE, "refused after {handed}");
    release.send(()).unwrap();
    assert!(
        holder.join().unwrap(),
        "the screen's thread did not wait for the replay turn"
    );
    for _ in 0..handed {
        assert!(!jobs
            .recv_timeout(Duration::from_secs(60))
            .unwrap()
            .is_empty());
    }
    let printed = 1 + handed as u32;
    d.wait_until("the copies recorded", 100, 30, |_| {
        invoice_prints(&engine).is_some_and(|p| p.2 == printed)
    });
    // The refused one was not recorded; ctrl-p retries it.
    d.press("ctrl-p");
    assert!(!jobs
        .recv_timeout(Duration::from_secs(60))
        .unwrap()
        .is_empty());
    d.wait_until("the retry recorded", 100, 30, |_| {
        invoice_prints(&engine).is_some_and(|p| p.2 == printed + 1)
    });
    assert_eq!(
        invoice_prints(&engine),
        Some((invoice, Some(first), printed + 1))
    );
    engine.shutdown().unwrap();
}

/// A session that ends while its reprints wait to be built (the clerk
/// quit, the link dropped, the session gave up waiting) does not lose
/// them: the worker builds each, prints it, and records it in the audit
/// trail itself, and a stopping process waits for that
/// (`print_worker::wait_all`) before its engine stops.
#[test]
fn a_reprint_outlives_its_session_and_is_still_recorded() {
    use std::time::Duration;
    let (_tmp, engine, backend) = demo_engine();
    let jobs = counter_printer(&engine);
    let mut d = Driver::new(&backend, Some("CLERK1"));
    let (invoice, first) = counter_sale_printed(&mut d, &engine, &jobs);
    let (release, other) = hold_replays();
    // One on the worker, one queued behind it.
    d.press("ctrl-p").press("ctrl-p");
    assert!(d.app.printing());
    drop(d);
    release.send(()).unwrap();
    assert!(other.join().unwrap(), "the session waited for the replay");
    // What a stopping process does before it stops its engine.
    depot::ui::print_worker::wait_all(Duration::from_secs(120));
    for _ in 0..2 {
        assert!(!jobs
            .recv_timeout(Duration::from_secs(60))
            .unwrap()
            .is_empty());
    }
    assert_eq!(invoice_prints(&engine), Some((invoice, Some(first), 3)));
    engine.shutdown().unwrap();
}

/// A backend whose history cannot be replayed without a panic (a bug
/// stands in for any in building or rendering a document).
#[derive(Clone)]
struct ReplayPanics(depot::ui_backend::EngineBackend);

impl depot::ui::Backend for ReplayPanics {
    fn view(&self) -> depot::engine::View {
        self.0.view()
    }
    fn now(&self) -> chrono::DateTime<Utc> {
        self.0.now()
    }
    fn submit(
        &self,
        operator: &str,
        session: &str,
        req: depot::ui::screen::Request,
    ) -> depot::ui::screen::Submitted {
        self.0.submit(operator, session, req)
    }
    fn state_at(&self, seq: u64) -> Option<std::sync::Arc<depot::core::State>> {
        panic!("replaying to record {seq} broke")
    }
    fn detach(&self) -> Option<depot::ui::print_worker::Builder> {
        Some(std::sync::Arc::new(self.clone()))
    }
}

/// A panic while the print worker builds a document fails that print,
/// with the reason and no "printing…" left on the screen, and the worker
/// takes the next print.
#[test]
fn a_panic_building_a_print_fails_that_print_and_the_next_one_prints() {
    let (_tmp, engine, backend) = demo_engine();
    let jobs = counter_printer(&engine);
    let backend = ReplayPanics(backend);
    let mut d = Driver::new(&backend, Some("CLERK1"));
    let (invoice, first) = counter_sale_printed(&mut d, &engine, &jobs);
    d.press("ctrl-p");
    let s = d.wait_until("the reprint's failure", 100, 30, |s| {
        s.contains("the print worker failed on it")
    });
    assert!(s.contains(&invoice) && s.contains("broke"), "{s}");
    assert!(!s.contains("printing"), "{s}");
    assert!(!d.app.printing());
    assert_eq!(
        invoice_prints(&engine),
        Some((invoice.clone(), Some(first), 1))
    );
    // The next sale's invoice prints on the same worker.
    d.press("esc");
    d.wait_until("the menu", 100, 30, |s| s.contains("Order inquiry"));
    let (next, _) = counter_sale_printed(&mut d, &engine, &jobs);
    assert_ne!(next, invoice);
    engine.shutdown().unwrap();
}

#[test]
fn putting_the_rest_on_account_says_how_much() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").typed("C0001").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    d.press("f8").press("f10");
    let s = d.screen(80, 24);
    assert!(s.contains("Put the rest ("), "{s}");
    assert!(s.contains("USD) on the customer's account?"), "{s}");
    // At 20x5 the size message keeps the sizes in sight.
    d.press("esc");
    let s = d.screen(20, 5);
    assert!(s.contains("20x5"), "{s}");
}

#[test]
fn confirming_a_quote_makes_the_screen_an_order() {
    let b = demo();
    let quote = b
        .state
        .borrow()
        .orders
        .values_sorted()
        .into_iter()
        .find(|o| o.status == depot::core::sales::OrderStatus::Quote)
        .unwrap()
        .number
        .clone();
    let mut d = Driver::new(&b, Some("REP1"));
    d.open("Order entry").unwrap().press("backtab");
    d.typed(&quote).press("enter");
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("quote {quote} is an order now")), "{s}");
    assert_ne!(
        b.state.borrow().orders[&quote].status,
        depot::core::sales::OrderStatus::Quote
    );
    // The next frame's header no longer calls it a quote.
    d.press("f5");
    let s = d.screen(80, 24);
    assert!(!s.contains("quote"), "{s}");
}

fn will_calls(b: &MemBackend) -> usize {
    b.log
        .borrow()
        .iter()
        .filter(|(_, r)| matches!(r.body, CommandBody::WillCallSale { .. }))
        .count()
}

fn text_doc(b: &MemBackend, kind: depot::docs::DocKind, number: &str) -> String {
    let st = b.state.borrow();
    let doc = depot::docs::build::build(
        &st,
        kind,
        number,
        depot::docs::build::BuildOptions {
            today: today(),
            copy: false,
        },
    )
    .unwrap();
    depot::docs::text::render(&doc)
}

/// Pick later: F7 makes the sale a will-call. The order is placed and
/// released to a WILLCALL pick list, the cash is a deposit earmarked for
/// it, a will-call ticket prints, and the order inquiry shows it.
#[test]
fn a_will_call_takes_a_deposit_prints_a_ticket_and_the_inquiry_shows_it() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1001"));
    d.press("f7");
    assert!(d.screen(80, 24).contains("WILL-CALL (pick later)"));
    d.press("f8").typed("c100").press("enter");
    assert_eq!(will_calls(&b), 1, "one will-call, one command");
    assert_eq!(counter_sales(&b), 0, "nothing sold from the shelf now");
    d.wait_prints();
    let s = d.screen(80, 24);
    let (order, deposit) = {
        let st = b.state.borrow();
        let dep = st.deposits.values().next().expect("a deposit held").clone();
        assert_eq!(st.orders[&dep.order].carrier.as_deref(), Some("WILLCALL"));
        assert!(st
            .invoices
            .values_sorted()
            .into_iter()
            .all(|i| i.customer != "WALKIN-US01"));
        (dep.order.clone(), dep.taken)
    };
    assert!(s.contains("WILL-CALL") && s.contains(&*order), "{s}");
    assert!(s.contains("cash 100.00") && s.contains("Change"), "{s}");
    // The ticket printed, and what it says.
    assert!(
        b.state
            .borrow()
            .prints
            .contains_key(&("acknowledgment".to_code(), order.clone())),
        "the will-call ticket was printed"
    );
    let ticket = text_doc(&b, depot::docs::DocKind::Acknowledgment, &order);
    assert!(ticket.contains("WILL-CALL TICKET"), "{ticket}");
    assert!(ticket.contains("Deposit paid"), "{ticket}");
    assert!(ticket.contains("Bring this ticket"), "{ticket}");
    // The change is what 100 leaves after the deposit (the whole order).
    let change = Decimal::from(100) - deposit;
    assert!(
        s.contains(&depot::query::money(
            change,
            &depot::core::types::Currency::new("USD")
        )),
        "{s}"
    );
    d.press("esc");
    d.open("Order inquiry").unwrap();
    d.typed(&order).press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("will-call"), "{s}");
    assert!(
        s.contains(&format!(
            "deposit {} of {} held",
            depot::query::money(deposit, &depot::core::types::Currency::new("USD")),
            depot::query::money(deposit, &depot::core::types::Currency::new("USD"))
        )),
        "{s}"
    );
    assert!(
        s.contains("will-call deposit"),
        "the history names it:\n{s}"
    );
}

/// A refusal names every short line, and every one is marked.
#[test]
fn a_refusal_names_every_short_line() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.typed("99999*FAS-1001").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    d.typed("99999*FAS-1002").press("enter");
    d.press("f8");
    let s = d.screen(132, 43);
    assert!(
        s.contains("line 1 FAS-1001") && s.contains("line 3 FAS-1002"),
        "{s}"
    );
    assert_eq!(counter_sales(&b), 0);
}

/// The SOLD screen and the printed cash invoice show what was tendered
/// and the change given.
#[test]
fn the_sold_screen_and_the_invoice_show_the_tenders_and_the_change() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1001"));
    d.press("f8");
    d.typed("k10").press("enter");
    d.typed("c500").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("SOLD"), "{s}");
    assert!(s.contains("card 10.00") && s.contains("cash 500.00"), "{s}");
    let inv = b
        .state
        .borrow()
        .invoices
        .values_sorted()
        .into_iter()
        .find(|i| i.customer == "WALKIN-US01")
        .unwrap()
        .clone();
    let change = depot::query::money(Decimal::from(510) - inv.total, &inv.currency);
    assert!(s.contains(&change), "{s}");
    let text = text_doc(&b, depot::docs::DocKind::Invoice, &inv.number);
    assert!(
        text.contains(&format!("tendered 500.00 change {change}")),
        "{text}"
    );
    assert!(text.contains("by card"), "{text}");
}

/// Esc then Enter on the menu does not sign out: only `y` does.
#[test]
fn esc_then_enter_on_the_menu_stays_signed_in() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    assert_eq!(d.app.screen_name(), "menu");
    d.press("esc");
    assert!(d.screen(80, 24).contains("Sign out?"));
    d.press("enter");
    assert!(d.app.operator.is_some(), "Enter must not sign out");
    assert_eq!(d.app.screen_name(), "menu");
    d.press("esc").press("y");
    assert!(d.app.operator.is_none());
}

/// A notice shows on its own line: the key bar stays in sight under it.
#[test]
fn a_notice_leaves_the_key_bar_visible() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.press("enter"); // nothing scanned yet: a notice
    let s = d.screen(80, 24);
    assert!(s.contains("scan or type an item first"), "{s}");
    let rows: Vec<&str> = s.lines().collect();
    let n = rows.len();
    assert!(n >= 2, "{s}");
    assert!(
        rows[n - 1].contains("F8 pay") && rows[n - 1].contains("F1"),
        "the key bar is the last row:\n{s}"
    );
    assert!(
        !rows[n - 2].trim().is_empty() && !rows[n - 2].contains("F8 pay"),
        "the notice is the row above:\n{s}"
    );
}

/// The finders show a customer's city and an item's free stock.
#[test]
fn the_finders_show_city_and_stock() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter");
    d.typed("Keystone").press("f4");
    let s = d.screen(80, 24);
    assert!(s.contains("C0006") && s.contains("Joliet"), "{s}");
    d.press("esc").press("esc");
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.typed("FAS-1001").press("f4");
    let s = d.screen(80, 24);
    let free: Decimal = depot::query::sale::available(&b.state.borrow(), "FAS-1001", today())
        .iter()
        .map(|(_, q)| *q)
        .sum();
    let row = s
        .lines()
        .find(|l| l.contains("FAS-1001 ") && l.contains("bolt"))
        .unwrap_or_default();
    assert!(row.contains(&depot::query::qty(free)), "{s}");
}

/// An amount with a letter in it is refused, not read without the letter:
/// `1e5` was taken as cash 15.00 and `5x` as 5.00. A method's letter
/// still chooses the method.
#[test]
fn a_tender_with_a_stray_letter_is_refused_not_read_without_it() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    d.press("enter"); // pay
    for bad in ["1e5", "5x"] {
        d.typed(bad).press("enter");
        let s = d.screen(132, 43);
        assert!(s.contains("not a decimal number"), "{bad}: {s}");
        assert!(!s.contains("Paid cash"), "{bad}: {s}");
        d.press("ctrl-u");
    }
    assert_eq!(counter_sales(&b), 0);
    // k chooses card; the amount typed after it is taken.
    d.typed("k5").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("Paid card 5.00"), "{s}");
}

/// A unit typed with a line's quantity: its own unit is taken, another
/// refused saying which unit the line is in ("7 CASE" was "write it
/// without exponent").
#[test]
fn a_line_quantity_names_its_unit_or_is_refused_saying_which() {
    let b = demo();
    let mut d = new_order(&b, "PO-79");
    d.typed("2*FAS-1000").press("enter");
    d.press("up").typed("7 CASE").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("the line is in BOX, not CASE"), "{s}");
    assert!(!s.contains("exponent"), "{s}");
    d.press("ctrl-u").typed("3 box").press("enter");
    let s = d.screen(132, 43);
    assert!(!s.contains("the line is in"), "{s}");
    d.press("f10");
    let st = b.state.borrow();
    let o = st.orders.get_max().map(|(_, v)| v).unwrap();
    assert_eq!(o.customer_po, "PO-79");
    assert_eq!(o.lines[0].unit_qty, Decimal::from(3));
}

/// A requested date before today, or one that is no day at all, is
/// refused where it is typed. An order the core refuses as it stands
/// still lists the lines typed, unpriced: they once vanished from the
/// screen while kept, and a rep typing them again ordered them twice.
#[test]
fn a_past_requested_date_is_refused_where_typed_and_typed_lines_stay_in_sight() {
    let b = demo();
    let mut d = Driver::new(&b, Some("REP1"));
    d.open("Order entry").unwrap().typed("C0002").press("enter");
    d.press("enter").typed("PO-81").press("enter");
    d.typed("2020-01-01").press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains("requested date 2020-01-01 is before today"),
        "{s}"
    );
    for _ in 0..10 {
        d.press("backspace");
    }
    d.typed("2027-02-30").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("2027-02-30: there is no such day"), "{s}");
    for _ in 0..10 {
        d.press("backspace");
    }
    d.typed("2027-01-15").press("enter").press("enter");
    d.typed("2*FAS-1000").press("enter");
    d.typed("3*FAS-1001").press("enter");
    assert!(d.screen(80, 24).contains("FAS-1001"));
    // The customer goes inactive under the entry: the preview is
    // refused, the lines stay listed as typed.
    let customer = b.state.borrow().customers[&"C0002".to_code()].clone();
    let mut off = customer.clone();
    off.active = false;
    b.exec("ADMIN", CommandBody::UpdateCustomer(off)).unwrap();
    d.press("ctrl-r");
    let s = d.screen(80, 24);
    assert!(s.contains("inactive"), "{s}");
    assert!(
        s.contains("FAS-1000") && s.contains("FAS-1001") && s.contains("unpriced"),
        "{s}"
    );
    b.exec("ADMIN", CommandBody::UpdateCustomer(customer))
        .unwrap();
    let orders = b.state.borrow().orders.len();
    d.press("f10");
    assert_eq!(b.state.borrow().orders.len(), orders + 1);
    let placed = b
        .state
        .borrow()
        .orders
        .get_max()
        .map(|(_, v)| v)
        .cloned()
        .unwrap();
    assert_eq!(placed.lines.len(), 2);
    assert_eq!(
        placed.requested,
        NaiveDate::from_ymd_opt(2027, 1, 15).unwrap()
    );
}

/// A screen's question on a terminal too small to show it is not
/// answered yes by Enter or y; no still is, and at full size y is.
#[test]
fn a_question_too_small_to_read_is_not_answered_yes() {
    let b = demo();
    let mut d = asked_to_remove_line_2(&b);
    assert!(d.screen(80, 24).contains("Remove line"));
    d.screen(20, 5);
    d.press("enter").press("y");
    assert!(
        d.screen(80, 24).contains("FAS-1001"),
        "a line was removed unseen"
    );
    d.press("y");
    let s = d.screen(80, 24);
    assert!(!s.contains("FAS-1001") && s.contains("FAS-1000"), "{s}");
}

/// A refused entry stays on show to be mended, but the next scan
/// replaces it instead of joining onto it ("FAS-10001.333*ELE-1000"),
/// and so does the next amount typed after a refused one; an editing
/// key still mends the text kept.
#[test]
fn the_next_scan_after_a_refused_one_starts_afresh_and_backspace_still_mends() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.typed("2.5*FAS-1000").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("2.5*FAS-1000"), "kept to be mended: {s}");
    d.scan(&barcode(&b, "FAS-1001"));
    let s = d.screen(80, 24);
    assert!(!s.contains("no item matches"), "{s}");
    assert!(s.contains("FAS-1001") && !s.contains("2.5*FAS-1000"), "{s}");
    // Mended with Backspace: the text kept is edited, not replaced.
    d.typed("2.5*FAS-1000").press("enter");
    for _ in 0.."2.5*FAS-1000".len() {
        d.press("backspace");
    }
    d.typed("2*FAS-1000").press("enter");
    assert!(d.screen(80, 24).contains("FAS-1000"));
    // The amount: a refused one is replaced by the next typed.
    d.press("enter");
    d.typed("100.005").press("enter");
    assert!(d.screen(80, 24).contains("100.005"));
    let sales = counter_sales(&b);
    d.typed("100000").press("enter");
    let s = d.screen(80, 24);
    assert!(!s.contains("100.005100000"), "{s}");
    assert_eq!(counter_sales(&b), sales + 1, "{s}");
}

/// A garbled scan at the counter ("@@##", what a wedge sends when the
/// keyboard layout is wrong) is said to be no entry, with the forms an
/// entry takes, not answered as a warehouse asked for ("no warehouse
/// ##"); a real warehouse code that does not exist is still named.
#[test]
fn a_garbled_scan_at_the_counter_is_no_entry_not_a_warehouse() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan("@@##");
    let s = d.screen(80, 24);
    assert!(!s.contains("no warehouse"), "{s}");
    assert!(s.contains("is not an entry"), "{s}");
    assert!(s.contains("SKU@WAREHOUSE"), "{s}");
    d.scan("FAS-1000@NOWHERE");
    let s = d.screen(80, 24);
    assert!(s.contains("no warehouse NOWHERE"), "{s}");
}

/// In a Chicago evening UTC is already tomorrow. The screens' "today" is
/// the business date, as the core's: an order requested for today was
/// refused as "before today (tomorrow)", and the finance views opened a
/// day ahead of every posting.
#[test]
fn the_screens_today_is_the_business_date_not_the_utc_one() {
    let evening = Utc.from_utc_datetime(
        &(today() + chrono::Duration::days(1))
            .and_hms_opt(2, 0, 0)
            .unwrap(),
    );
    let b = MemBackend::demo(today(), evening);
    let mut d = Driver::new(&b, Some("REP1"));
    d.open("Order entry").unwrap().typed("C0002").press("enter");
    d.press("enter").typed("PO-82").press("enter");
    d.typed(&today().to_string()).press("enter");
    let s = d.screen(80, 24);
    assert!(!s.contains("is before today"), "{s}");
    d.press("enter").typed("2*FAS-1000").press("enter");
    d.press("f10");
    {
        let st = b.state.borrow();
        let o = st.orders.get_max().map(|(_, v)| v).unwrap();
        assert_eq!(o.customer_po, "PO-82", "{}", d.screen(80, 24));
        assert_eq!((o.date, o.requested), (today(), today()));
    }
    // The day before the business date is still refused.
    let mut d = Driver::new(&b, Some("REP1"));
    d.open("Order entry").unwrap().typed("C0002").press("enter");
    d.press("enter").typed("PO-83").press("enter");
    let yesterday = today() - chrono::Duration::days(1);
    d.typed(&yesterday.to_string()).press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("is before today ({})", today())), "{s}");
    let mut c = Driver::new(&b, Some("CTRL1"));
    c.open("Finance views").unwrap();
    let s = c.screen(80, 24);
    assert!(s.contains(&format!("as of {}", today())), "{s}");
}

/// An item found by its words keeps what the entry asked of its line:
/// `2*hex bolt@DAL=10` with the bolt chosen in the finder is two, from
/// DAL, at 10.00 (it was one, from the default warehouse, at list
/// price: a wrong line placed without a word). F4 on `4*FAS-1007` looks
/// for the item, not the whole text ("nothing matches").
#[test]
fn an_item_chosen_in_the_finder_keeps_the_count_warehouse_and_price_typed() {
    let b = demo();
    let mut d = new_order(&b, "PO-92");
    d.typed("2*hex bolt@DAL=10").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("FAS-10"), "the finder offers the bolts: {s}");
    d.press("enter");
    d.typed("4*FAS-1007").press("f4");
    let s = d.screen(132, 43);
    assert!(!s.contains("nothing matches"), "{s}");
    d.press("enter");
    d.press("f10");
    let (_, placed) = b.log.borrow().last().cloned().unwrap();
    let CommandBody::PlaceOrder { lines, .. } = placed.body else {
        panic!("{:?}", placed.body);
    };
    assert_eq!(lines.len(), 2, "{lines:?}");
    let name = b.state.borrow().items[&lines[0].sku]
        .description
        .to_lowercase();
    assert!(name.contains("hex bolt"), "{name}");
    assert_eq!(lines[0].qty, Decimal::TWO);
    assert_eq!(lines[0].warehouse, "DAL");
    assert_eq!(lines[0].price, Some(Decimal::TEN));
    assert_eq!(lines[1].sku, "FAS-1007");
    assert_eq!(lines[1].qty, Decimal::from(4));
}

/// The counter sells from its own shelf: `@warehouse` is refused whether
/// the item is typed exactly or found by its words (by its words it went
/// to the finder and was dropped without a word); a count typed before
/// the words is kept.
#[test]
fn the_counter_refuses_a_warehouse_asked_with_words_and_keeps_the_count() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.typed("2*hex bolt@CHI").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("no @warehouse or"), "{s}");
    d.press("ctrl-u");
    d.typed("3*hex bolt").press("enter");
    d.press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.lines().any(|l| l.contains("FAS-10") && l.contains(" 3 ")),
        "{s}"
    );
}

/// Choosing the ship-to shows its address (a phone clerk could not tell
/// S01 from S03 by their codes); leaving the field shows the header's
/// other fields again.
#[test]
fn the_ship_to_is_chosen_by_its_address() {
    let b = demo();
    let c = b.state.borrow().customers[&"C0004".to_code()].clone();
    assert!(c.ship_to.len() >= 2, "{c:?}");
    let mut d = Driver::new(&b, Some("REP1"));
    d.open("Order entry").unwrap().typed("C0004").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains(&c.bill_to.city), "the bill-to's city: {s}");
    d.press("down");
    let s = d.screen(80, 24);
    let first = &c.ship_to[0];
    let row = s
        .lines()
        .find(|l| l.contains("Ship to"))
        .unwrap_or_default()
        .to_string();
    assert!(
        row.contains(first.code.as_str()) && row.contains(&first.address.city),
        "{s}"
    );
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains(" PO ") && !s.contains(&first.address.line1),
        "{s}"
    );
}

/// The customer lookup names what a customer disputes (in all, and on
/// each open invoice) beside the balance; only cash application did.
#[test]
fn the_customer_lookup_shows_what_is_disputed() {
    let b = demo();
    let (customer, number, open) = {
        let s = b.state.borrow();
        let i = s
            .invoices
            .values_sorted()
            .into_iter()
            .find(|i| i.open > Decimal::from(10) && i.disputed.is_zero())
            .expect("an open invoice");
        (i.customer.to_string(), i.number.to_string(), i.open)
    };
    let pay: CommandBody = serde_json::from_value(serde_json::json!({
        "cmd": "receive_payment", "customer": customer, "method": "transfer",
        "amount": "1.00",
        "apply": [{"invoice": number, "amount": "1.00", "settle": true}]}))
    .unwrap();
    b.exec("AR1", pay).unwrap();
    let disputed = b.state.borrow().invoices[&number.to_code()].disputed;
    assert_eq!(disputed, open - Decimal::ONE);
    let mut d = Driver::new(&b, Some("ADMIN"));
    d.open("Customer lookup")
        .unwrap()
        .typed(&customer)
        .press("enter");
    let s = d.screen(132, 43);
    let said = depot::query::format_amount(disputed, 2);
    assert!(
        s.lines()
            .any(|l| l.contains("disputed") && l.contains(&said) && !l.contains(&number)),
        "{s}"
    );
    assert!(
        s.lines()
            .any(|l| l.contains(&number) && l.contains(&format!("{said} disputed"))),
        "{s}"
    );
}

/// Order inquiry names each line's warehouse at every width: at 80
/// columns under the line (beside its description), and a cancelled line
/// at 132 keeps its warehouse cell (its columns shifted left).
#[test]
fn order_inquiry_names_the_warehouse_of_every_line() {
    let b = demo();
    let place: CommandBody = serde_json::from_value(serde_json::json!({
        "cmd": "place_order", "customer": "C0002", "lines": [
            {"sku": "FAS-1000", "qty": "2", "warehouse": "CHI"},
            {"sku": "FAS-1001", "qty": "3", "warehouse": "DAL"}]}))
    .unwrap();
    b.exec("CLERK1", place).unwrap();
    let number = b
        .state
        .borrow()
        .orders
        .get_max()
        .map(|(k, _)| k)
        .unwrap()
        .to_string();
    b.exec(
        "CLERK1",
        CommandBody::CancelLine {
            number: number.as_str().into(),
            line: 1,
            reason: "customer changed their mind".into(),
        },
    )
    .unwrap();
    let mut d = Driver::new(&b, Some("ADMIN"));
    d.open("Order inquiry").unwrap();
    d.typed(&number).press("enter");
    let s = d.screen(80, 24);
    assert!(s.lines().any(|l| l.trim_start().starts_with("DAL ")), "{s}");
    let s = d.screen(132, 43);
    assert!(
        s.lines()
            .any(|l| l.contains("FAS-1000") && l.contains(" CHI ") && l.contains("CANCELLED")),
        "{s}"
    );
}

/// Back from a lookup's record in two Esc: to the query (kept, typing
/// over it starts a new search), then to the menu. It took four (the
/// detail off, the query, the query cleared, the menu). On 40 columns,
/// where the record covers the list, one more: the list first.
#[test]
fn a_lookup_goes_back_to_the_menu_in_two_esc() {
    let b = demo();
    let mut d = Driver::new(&b, Some("ADMIN"));
    d.open("Customer lookup")
        .unwrap()
        .typed("C0001")
        .press("enter");
    assert!(d.screen(80, 24).contains("C0001"));
    d.press("esc");
    assert_eq!(d.app.screen_name(), "customer_lookup");
    assert!(d.app.key_bar().contains("esc back"), "{}", d.app.key_bar());
    // Typing over the query kept starts afresh.
    d.typed("C0002");
    assert!(d.screen(80, 24).contains("C0002"));
    assert!(!d.screen(80, 24).contains("C0001C0002"));
    assert!(d.app.key_bar().contains("esc clear"), "{}", d.app.key_bar());
    d.press("enter").press("esc").press("esc");
    assert_eq!(d.app.screen_name(), "menu");
    let mut d = Driver::new(&b, Some("ADMIN"));
    d.open("Item lookup")
        .unwrap()
        .typed("FAS-1000")
        .press("enter");
    d.screen(40, 16);
    d.press("esc");
    assert_eq!(d.app.screen_name(), "item_lookup");
    d.screen(40, 16);
    d.press("esc").press("esc");
    assert_eq!(d.app.screen_name(), "menu");
}

/// A record's detail cut beside the list says so (`more: Enter`), and
/// Enter opens it whole to scroll; Esc goes back to the list beside it.
/// A customer's recent orders were cut at 80x24 without a word, and
/// Enter on the row did nothing.
#[test]
fn a_detail_cut_beside_the_list_opens_whole_on_enter() {
    let b = demo();
    let mut d = Driver::new(&b, Some("ADMIN"));
    d.open("Customer lookup")
        .unwrap()
        .typed("maple")
        .press("enter");
    let beside = d.screen(80, 24);
    if !beside.contains("more: Enter") {
        // Nothing cut for this customer at 80x24: then at 80x12.
        assert!(
            d.screen(80, 12).contains("more: Enter"),
            "{}",
            d.screen(80, 12)
        );
    }
    let (w, h) = if beside.contains("more: Enter") {
        (80, 24)
    } else {
        (80, 12)
    };
    d.screen(w, h);
    d.press("enter");
    let whole = d.screen(w, h);
    assert!(whole.contains("Down: more"), "{whole}");
    d.press("down");
    assert!(d.screen(w, h).contains("Up"), "{}", d.screen(w, h));
    d.press("esc");
    assert!(d.screen(w, h).contains("more: Enter"), "{}", d.screen(w, h));
    d.press("esc").press("esc");
    assert_eq!(d.app.screen_name(), "menu");
}

/// A taxable customer whose address names no place is charged no tax;
/// order entry says so beside the 0.00 (it was a silent 0.00 on every
/// order of a customer saved without an address).
#[test]
fn order_entry_says_when_a_customer_has_no_place_to_tax() {
    let b = demo();
    let mut c = serde_json::to_value(&b.state.borrow().customers[&"C0002".to_code()]).unwrap();
    c["code"] = serde_json::json!("C9001");
    c["name"] = serde_json::json!("No Address Trading");
    c["bill_to"] = serde_json::json!({});
    c["ship_to"] = serde_json::json!([]);
    c["tax_exempt_cert"] = serde_json::json!("");
    c["cmd"] = serde_json::json!("create_customer");
    b.exec("ADMIN", serde_json::from_value(c).unwrap()).unwrap();
    let mut d = Driver::new(&b, Some("REP1"));
    d.open("Order entry").unwrap().typed("C9001").press("enter");
    d.press("enter")
        .press("enter")
        .press("enter")
        .press("enter");
    d.typed("2*FAS-1001").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("Tax 0.00 (no tax: no address)"), "{s}");
    // A customer with an address: no such word.
    let mut d = new_order(&b, "PO-1");
    d.typed("2*FAS-1001").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("Tax ") && !s.contains("no tax"), "{s}");
}

/// The clerk's last sale, after the terminal died, names a sale on
/// account to a trade customer whose orders go by carrier: it looked for
/// will-calls only, and named an older walk-in sale, as if the last ones
/// were lost (a clerk would ring them again).
#[test]
fn the_last_sale_after_a_restart_includes_one_to_a_customer_who_ships_by_carrier() {
    use depot::core::counter::CounterLine;
    let b = MemBackend::afternoon();
    let carrier = b.state.borrow().customers[&"C0002".to_code()]
        .ship_policy
        .carrier
        .clone();
    assert!(
        carrier.as_deref().is_some_and(|c| c != "WILLCALL"),
        "C0002 ships by carrier: {carrier:?}"
    );
    for customer in ["WALKIN-US01", "C0002"] {
        b.exec(
            "CLERK1",
            CommandBody::CounterSale {
                customer: customer.into(),
                warehouse: "CHI".into(),
                lines: vec![CounterLine {
                    sku: "FAS-1001".into(),
                    qty: Decimal::ONE,
                    unit: None,
                    price: None,
                }],
                payment: None,
                payments: match customer {
                    "C0002" => vec![],
                    _ => vec![depot::core::counter::CounterPayment {
                        method: depot::core::cash::Method::Cash,
                        amount: None,
                        reference: String::new(),
                    }],
                },
            },
        )
        .unwrap();
    }
    let (number, total) = {
        let st = b.state.borrow();
        let inv = st
            .invoices
            .values_any_order()
            .filter(|i| i.customer == "C0002")
            .max_by_key(|i| i.number.clone())
            .expect("the sale on account");
        (
            inv.number.to_string(),
            depot::query::money(inv.total, &inv.currency),
        )
    };
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!("last sale {number} C0002 {total} USD")),
        "{s}"
    );
}

/// Cash tendered with its thousands grouped (`1,000`), as a till reads
/// it; a decimal comma is still refused. `1,000` was refused as "not a
/// decimal number".
#[test]
fn cash_tendered_with_thousands_grouped() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1001"));
    d.press("f8");
    d.typed("c2,50").press("enter");
    assert!(!d.screen(80, 24).contains("SOLD"));
    d.press("ctrl-u");
    d.typed("c1,000").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("SOLD"), "{s}");
    let st = b.state.borrow();
    let inv = st
        .invoices
        .values_any_order()
        .filter(|i| i.customer == "WALKIN-US01")
        .max_by_key(|i| i.number.clone())
        .unwrap();
    let change = Decimal::from(1000) - inv.total;
    assert!(
        s.contains(&depot::query::money(change, &inv.currency)),
        "{s}"
    );
}

/// `=` alone on a line not yet placed takes a typed price back: the
/// engine's price again. It was refused (`a price "" is not a decimal
/// number`), and the line had to be removed and typed again.
#[test]
fn an_equals_sign_alone_takes_a_typed_price_back() {
    let b = demo();
    let mut d = new_order(&b, "PO-EQ");
    d.typed("2*FAS-1000=12.345").press("enter");
    assert!(d.screen(132, 43).contains("12.345"));
    d.press("up").typed("=").press("enter");
    let s = d.screen(132, 43);
    assert!(!s.contains("12.345"), "{s}");
    let orders = b.state.borrow().orders.len();
    d.press("f10");
    assert_eq!(b.state.borrow().orders.len(), orders + 1);
    let st = b.state.borrow();
    let o = st.orders.get_max().map(|(_, v)| v).unwrap();
    let list = st.price_lists[&"LIST-USD".to_code()].prices[&"FAS-1000".to_code()].price;
    assert_eq!(o.lines[0].price, list, "{:?}", o.lines[0].rule);
}

/// A scan while the cursor is on the counter's lines adds its item (it
/// was read as a quantity, `... is more than 1000000`, and the item was
/// not added); a quantity typed there still changes the line.
#[test]
fn a_scan_on_the_counters_lines_adds_the_item() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter");
    d.scan(&barcode(&b, "FAS-1000"));
    d.press("up");
    d.typed("3").press("enter");
    d.press("up");
    d.scan(&barcode(&b, "FAS-1001"));
    let s = d.screen(80, 24);
    assert!(s.contains("FAS-1001"), "{s}");
    assert!(!s.contains("more than"), "{s}");
    d.press("f8").press("enter");
    let st = b.state.borrow();
    let inv = st
        .invoices
        .values_any_order()
        .filter(|i| i.customer == "WALKIN-US01")
        .max_by_key(|i| i.number.clone())
        .expect("sold");
    let lines: Vec<(String, Decimal)> = inv
        .lines
        .iter()
        .map(|l| (l.sku.to_string(), l.qty))
        .collect();
    assert_eq!(
        lines,
        [
            ("FAS-1000".to_string(), Decimal::from(3)),
            ("FAS-1001".to_string(), Decimal::ONE)
        ]
    );
}

/// The walk-in (no credit) and a customer past due pay in full: the key
/// bar does not offer the rest on account, and F10 says why at once,
/// submits nothing and keeps the tender, where a customer with credit is
/// asked.
#[test]
fn the_rest_on_account_is_not_offered_to_who_pays_in_full() {
    let b = demo();
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").press("enter"); // the counter, the walk-in
    d.typed("FAS-1001").press("enter");
    d.press("enter"); // pay
    d.typed("20").press("enter"); // 20.00 in cash
    d.screen(80, 24);
    assert!(
        !d.app.key_bar().contains("rest on account"),
        "{}",
        d.app.key_bar()
    );
    let submitted = b.log.borrow().len();
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(
        s.contains("WALKIN-US01 has no credit: take payment in full"),
        "{s}"
    );
    assert!(!s.contains("on the customer's account?"), "{s}");
    assert_eq!(b.log.borrow().len(), submitted);
    // Still at the tender, the 20.00 taken: Enter takes the rest.
    assert!(s.contains("Paid cash 20.00"), "{s}");
    d.press("enter");
    assert!(d.screen(80, 24).contains("SOLD"));

    // Past due: said as soon as the customer is chosen, and F10 says it
    // again without asking.
    let past_due = {
        let st = b.state.borrow();
        st.invoices
            .values_sorted()
            .into_iter()
            .find(|i| i.due < today() && i.customer.starts_with('C'))
            .map(|i| i.customer.to_string())
            .expect("the demo has a customer with an invoice past due")
    };
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").typed(&past_due).press("enter");
    let s0 = d.screen(80, 24);
    assert!(s0.contains("PAST DUE: pay in full"), "{s0}");
    d.typed("FAS-1001").press("enter");
    d.press("enter"); // pay
    d.screen(80, 24);
    assert!(!d.app.key_bar().contains("rest on account"));
    let submitted = b.log.borrow().len();
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!("{past_due} is past due: take payment in full")),
        "{s}"
    );
    assert_eq!(b.log.borrow().len(), submitted);

    // A customer with credit is offered it; with the limit taken away
    // (as a credit manager would), the same refusal.
    let customer = nothing_past_due(&b);
    assert!(b.state.borrow().customers[&customer.to_code()].credit_limit > Decimal::ZERO);
    let mut d = Driver::new(&b, Some("CLERK1"));
    d.press("enter").typed(&customer).press("enter");
    d.typed("FAS-1001").press("enter");
    d.press("enter"); // pay
    d.screen(80, 24);
    assert!(
        d.app.key_bar().contains("rest on account"),
        "{}",
        d.app.key_bar()
    );
    {
        let mut st = b.state.borrow_mut();
        let mut c = st.customers[&customer.to_code()].clone();
        c.credit_limit = Decimal::ZERO;
        st.customers.insert(c.code.clone(), c);
    }
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!("{customer} has no credit: take payment in full")),
        "{s}"
    );
    assert!(!d.app.key_bar().contains("rest on account"));
}
