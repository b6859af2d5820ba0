//! The supervisor's exception queue screen (issue 20), driven with keys
//! against the real core over the demo distributor, and drawn at 80x24
//! and 132x43.

use chrono::{TimeZone, Utc};
use depot::core::types::ToCode;
use depot::core::CommandBody;
use depot::ui::testing::{test_day as today, Driver, MemBackend};

fn demo() -> MemBackend {
    MemBackend::afternoon()
}

fn over_limit(b: &MemBackend, who: &str) -> String {
    let body: CommandBody = serde_json::from_value(serde_json::json!({
        "cmd": "place_order", "customer": "C0006",
        "lines": [{"sku": "TOO-1000", "qty": "20", "warehouse": "CHI"}]}))
    .unwrap();
    b.exec(who, body).unwrap();
    let s = b.state.borrow();
    s.orders.get_max().map(|(k, _)| k).unwrap().to_string()
}

fn exception_of(b: &MemBackend, order: &str) -> u64 {
    let s = b.state.borrow();
    s.exceptions
        .values()
        .find(|x| x.blocked.to_string() == format!("order {order}"))
        .map(|x| x.id)
        .expect("an exception for the order")
}

#[test]
fn the_queue_lists_holds_and_a_supervisor_approves_from_it() {
    let b = demo();
    let order = over_limit(&b, "CLERK1");
    let id = exception_of(&b, &order);
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue")
        .expect("supervisors see the queue");
    let s = d.screen(132, 43);
    assert!(s.contains(&format!("order {order}")), "{s}");
    assert!(s.contains("credit"), "{s}");
    // Filter down to this order's exception, then approve it.
    d.typed(&order).press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("1 waiting"), "{s}");
    d.press("f2");
    let s = d.screen(132, 43);
    assert!(
        s.contains(&format!("exception {id} cleared: released")),
        "{s}"
    );
    assert!(s.contains("nothing matches the filter"), "{s}");
    let st = b.state.borrow();
    assert_eq!(
        st.orders[&order.to_code()].status,
        depot::core::sales::OrderStatus::Open
    );
    assert!(!st.exceptions[&id].is_open());
}

#[test]
fn a_refusal_shows_its_reason_and_changes_nothing() {
    let b = demo();
    let order = over_limit(&b, "ADMIN");
    let mut d = Driver::new(&b, Some("ADMIN"));
    d.open("Exception queue").unwrap();
    d.typed(&order).press("enter").press("f2");
    let s = d.screen(132, 43);
    assert!(s.contains("you requested this credit hold"), "{s}");
    assert_eq!(
        b.state.borrow().orders[&order.to_code()].status,
        depot::core::sales::OrderStatus::Held
    );
}

#[test]
fn reject_with_a_reason_comment_reassign_and_snooze_from_the_list() {
    let b = demo();
    let order = over_limit(&b, "CLERK1");
    let id = exception_of(&b, &order);
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&order).press("enter");
    // Comment, reassign to a person, snooze: it stays open.
    d.press("f10").typed("cheque promised").press("enter");
    assert_eq!(b.state.borrow().exceptions[&id].comments.len(), 1);
    d.press("f9").typed("nobody-role").press("enter");
    assert!(d.screen(132, 43).contains("is not a role"));
    // Not to someone who cannot clear it: it would leave every worklist
    // that could (a controller does not release holds; nor does a buyer).
    d.press("ctrl-u").typed("@ctrl1").press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.contains("cannot go to operator CTRL1: clearing it needs the permission release_holds"),
        "{s}"
    );
    d.press("f9").typed("buyer").press("enter");
    assert!(
        d.screen(132, 43)
            .contains("cannot go to role buyer: clearing it needs the permission release_holds"),
        "{}",
        d.screen(132, 43)
    );
    d.press("f9").typed("@admin").press("enter");
    assert_eq!(
        b.state.borrow().exceptions[&id].owner,
        depot::core::exceptions::Owner::Operator("ADMIN".into())
    );
    // Reject needs a reason: an empty one is refused by the core.
    d.press("f6").press("enter");
    assert!(
        d.screen(132, 43).contains("refused"),
        "{}",
        d.screen(132, 43)
    );
    // The prompt says what a reject does (it cancels the order), and the
    // cancel is asked before it is done: "n" leaves the order held.
    d.press("f6");
    let s = d.screen(132, 43);
    assert!(
        s.contains(&format!("reject (cancels order {order}), reason:")),
        "{s}"
    );
    d.typed("no deposit").press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.contains(&format!("Reject exception {id}? It cancels order {order}")),
        "{s}"
    );
    d.press("n");
    assert!(d.screen(132, 43).contains("not rejected"));
    assert_eq!(
        b.state.borrow().orders[&order.to_code()].status,
        depot::core::sales::OrderStatus::Held
    );
    d.press("f6").typed("no deposit").press("enter").press("y");
    let st = b.state.borrow();
    assert_eq!(
        st.orders[&order.to_code()].status,
        depot::core::sales::OrderStatus::Cancelled
    );
    assert!(!st.exceptions[&id].is_open());
}

/// The screen on top is `name`: its text at 80x24.
fn on_top(d: &mut Driver, name: &str) -> String {
    let s = d.screen(80, 24);
    assert_eq!(d.app.top().map(|t| t.name()), Some(name), "{s}");
    s
}

fn exec(b: &MemBackend, who: &str, json: serde_json::Value) {
    let body: CommandBody = serde_json::from_value(json).unwrap();
    b.exec(who, body).unwrap();
}

/// The first open exception whose blocked document `of` names: (its id,
/// the name).
fn open_exception(
    b: &MemBackend,
    of: impl Fn(&depot::core::exceptions::Blocked) -> Option<String>,
) -> Option<(u64, String)> {
    let s = b.state.borrow();
    s.exceptions
        .values()
        .filter(|x| x.is_open())
        .find_map(|x| of(&x.blocked).map(|n| (x.id, n)))
}

fn count_exception(b: &MemBackend) -> (u64, String) {
    open_exception(b, |x| match x {
        depot::core::exceptions::Blocked::Count { number } => Some(number.to_string()),
        _ => None,
    })
    .expect("a held count variance")
}

fn bin_stock(b: &MemBackend, bin: &str, sku: &str) -> rust_decimal::Decimal {
    let s = b.state.borrow();
    s.bin_stock
        .iter()
        .filter(|(k, _)| k.warehouse == "CHI" && k.bin == bin && k.sku == sku)
        .map(|(_, q)| *q)
        .sum()
}

/// A held manual adjustment can be rejected from the queue: nothing is
/// posted and the adjustment is withdrawn (the queue said "count it again,
/// or approve", and a manual adjustment could not be counted again: the
/// approver's only way out was to book the stock).
#[test]
fn a_held_stock_adjustment_is_rejected_from_the_queue_and_posts_nothing() {
    let b = demo();
    let before = bin_stock(&b, "R-01-02", "FAS-1001");
    exec(
        &b,
        "CTRL1",
        serde_json::json!({"cmd": "adjust_stock", "warehouse": "CHI", "bin": "R-01-02",
            "sku": "FAS-1001", "qty": "200", "reason": "found"}),
    );
    let (id, count) = count_exception(&b);
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&count).press("enter").press("f6");
    let s = d.screen(132, 43);
    assert!(
        s.contains(&format!(
            "reject (withdraws adjustment {count}: nothing posted), reason:"
        )),
        "{s}"
    );
    d.typed("no such stock: miscount").press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.contains(&format!(
            "exception {id} cleared: rejected: no such stock: miscount"
        )),
        "{s}"
    );
    let st = b.state.borrow();
    let c = &st.counts[&count.to_code()];
    assert_eq!(c.status, depot::core::counts::CountStatus::Rejected);
    assert!(!st.index.open_counts.contains(&count.to_code()));
    assert!(!st.exceptions[&id].is_open());
    drop(st);
    assert_eq!(
        bin_stock(&b, "R-01-02", "FAS-1001"),
        before,
        "nothing posted"
    );
    // Rejected is final: it can be neither approved nor rejected again.
    let again: CommandBody =
        serde_json::from_value(serde_json::json!({"cmd": "approve_count", "count": count}))
            .unwrap();
    assert!(b.exec("SUP1", again).is_err());
}

/// A scheduled count whose variance is rejected goes back to be counted
/// again from the start, blind, and its next counts settle it.
#[test]
fn a_rejected_count_variance_is_counted_again() {
    let b = demo();
    exec(
        &b,
        "SUP1",
        serde_json::json!({"cmd": "schedule_counts", "warehouse": "CHI", "skus": ["FAS-1001"]}),
    );
    let number = {
        let s = b.state.borrow();
        let c = s
            .index
            .open_counts
            .iter()
            .filter_map(|n| s.counts.get(n))
            .find(|c| c.sku == "FAS-1001" && !c.manual)
            .expect("a scheduled count")
            .clone();
        (c.number.to_string(), c.bin.to_string())
    };
    let (number, bin) = (number.0, number.1);
    let book = bin_stock(&b, &bin, "FAS-1001");
    let far = book + rust_decimal::Decimal::from(200);
    for (who, reason) in [("RECV1", None), ("ADMIN", Some("found"))] {
        exec(
            &b,
            who,
            serde_json::json!({"cmd": "enter_count", "count": number, "qty": far.to_string(),
                "reason": reason}),
        );
    }
    assert_eq!(
        b.state.borrow().counts[&number.to_code()].status,
        depot::core::counts::CountStatus::AwaitingApproval
    );
    let (id, _) = count_exception(&b);
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&number).press("enter").press("f6");
    assert!(
        d.screen(132, 43)
            .contains(&format!("{number} is counted again: nothing posted")),
        "{}",
        d.screen(132, 43)
    );
    d.typed("count it again").press("enter");
    {
        let st = b.state.borrow();
        let c = &st.counts[&number.to_code()];
        assert_eq!(c.status, depot::core::counts::CountStatus::Open);
        assert!(c.first.is_none() && c.second.is_none());
        assert!(st.index.open_counts.contains(&number.to_code()));
        assert!(!st.exceptions[&id].is_open());
    }
    assert_eq!(bin_stock(&b, &bin, "FAS-1001"), book, "nothing posted");
    // Counted again and found right: settled, no adjustment.
    exec(
        &b,
        "RECV1",
        serde_json::json!({"cmd": "enter_count", "count": number, "qty": book.to_string()}),
    );
    let st = b.state.borrow();
    assert_eq!(
        st.counts[&number.to_code()].status,
        depot::core::counts::CountStatus::Posted
    );
    assert!(!st.index.open_counts.contains(&number.to_code()));
}

#[test]
fn snoozed_exceptions_leave_the_queue_until_their_date() {
    let b = demo();
    let order = over_limit(&b, "CLERK1");
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&order).press("enter");
    d.press("f11")
        .typed("2026-12-01 cheque in the post")
        .press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("snoozed until 2026-12-01"), "{s}");
    assert!(s.contains("nothing matches the filter"), "{s}");
    assert!(s.contains("(1 snoozed: filter snoozed)"), "{s}");
    // The word lists the snoozed rows, with what they wait for.
    d.press("/").press("ctrl-u").typed("snoozed").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains(&order) && s.contains("until 2026-12-01"), "{s}");
    // Woken: F11 on a snoozed row offers today, a reason brings it back.
    d.press("f11");
    let s = d.screen(132, 43);
    assert!(
        s.contains("snoozed until 2026-12-01: 2026-11-25 and a reason wakes it now"),
        "{s}"
    );
    d.typed("the cheque came early").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("woken: back in the queue"), "{s}");
    let st = b.state.borrow();
    let x = st
        .exceptions
        .values()
        .find(|x| x.is_open())
        .expect("still open");
    assert!(x.in_queue(chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()));
    drop(st);
    // Back in the queue: the filter cleared, the order is listed.
    d.press("/").press("ctrl-u").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains(&order) && !s.contains("snoozed:"), "{s}");
}

#[test]
fn enter_opens_the_held_order_in_the_order_inquiry() {
    let b = demo();
    let order = over_limit(&b, "CLERK1");
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&order).press("enter").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("order inquiry"), "{s}");
    assert!(s.contains(&order), "{s}");
}

#[test]
fn every_action_of_the_queue_has_a_key_in_both_keymaps() {
    let maps = depot::ui::app::Keymaps::load(None).unwrap();
    let b = demo();
    over_limit(&b, "CLERK1");
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    for keys in [&[][..], &["/"], &["f6"], &["f9"], &["f10"], &["f11"]] {
        let mut d = Driver::new(&b, Some("SUP1"));
        d.open("Exception queue").unwrap();
        for k in keys {
            d.press(k);
        }
        let top = d.app.top().unwrap();
        assert_eq!(top.name(), "exceptions");
        for km in [&maps.default, &maps.classic] {
            for (a, what) in top.actions() {
                assert!(
                    km.key_for(top.name(), d.app.context(), a).is_some(),
                    "{what} ({a:?}) has no key"
                );
            }
        }
    }
}

#[test]
fn snapshots_of_the_queue_at_80x24_and_132x43() {
    let b = demo();
    over_limit(&b, "CLERK1");
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    insta::assert_snapshot!("exceptions_80x24", d.screen(80, 24));
    insta::assert_snapshot!("exceptions_132x43", d.screen(132, 43));
}

#[test]
fn the_queue_follows_commits_of_other_sessions() {
    let b = demo();
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.screen(132, 43);
    let order = over_limit(&b, "CLERK1");
    d.committed();
    let s = d.screen(132, 43);
    assert!(s.contains(&format!("order {order}")), "{s}");
}

/// The buyer changes supplier V001's lead time from 3 to 9 days.
fn lead_time_changed(b: &MemBackend) {
    let mut v = b.state.borrow().suppliers[&"V001".to_code()].clone();
    v.lead_time_days = 9;
    b.exec("BUY1", CommandBody::UpdateSupplier(v)).unwrap();
}

/// The cells of the detail's lead time line: field, before, after.
fn lead_time_before_after(s: &str) -> Vec<&str> {
    let line = s
        .lines()
        .find(|l| l.trim_matches(['│', ' ']).starts_with("lead_time_days"))
        .unwrap_or_else(|| panic!("no lead time in {s}"));
    line.trim_matches(['│', ' ']).split_whitespace().collect()
}

#[test]
fn the_audit_shows_a_master_data_change_with_its_before_and_after() {
    let b = demo();
    lead_time_changed(&b);
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Audit trail").expect("controllers see the audit");
    let s = d.screen(132, 43);
    // Newest first: the buyer's change is the selected line.
    let first = s.lines().find(|l| l.contains("> ")).unwrap_or_default();
    assert!(first.contains("update_supplier"), "{s}");
    assert!(first.contains("BUY1"), "{s}");
    d.press("enter");
    let s = d.screen(132, 43);
    assert_eq!(
        lead_time_before_after(&s),
        ["lead_time_days", "3", "9"],
        "{s}"
    );
    assert!(s.contains("supplier V001:"), "{s}");
    // Back to the list.
    d.press("esc");
    assert!(d.screen(132, 43).contains("newest first"));
}

#[test]
fn the_audit_filters_by_document_operator_session_and_days() {
    let b = demo();
    lead_time_changed(&b);
    let total = b.state.borrow().seq;
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Audit trail").unwrap();
    let count = |d: &mut Driver| -> (u64, u64) {
        let s = d.screen(132, 43);
        let line = s
            .lines()
            .find(|l| l.contains(" records (UTC)"))
            .unwrap_or_else(|| panic!("no count in {s}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        let i = words.iter().position(|w| *w == "of").unwrap();
        (words[i - 1].parse().unwrap(), words[i + 1].parse().unwrap())
    };
    assert_eq!(count(&mut d), (total, total));
    // Operator: only the buyer's records, every line naming BUY1.
    d.press("/").press("tab").typed("buy1").press("enter");
    let (n, all) = count(&mut d);
    assert!(n >= 1 && n < all, "{n} of {all}");
    let s = d.screen(132, 43);
    let listed: Vec<&str> = s
        .lines()
        .filter(|l| l.contains("│") && l.contains(" 20"))
        .collect();
    assert!(!listed.is_empty(), "{s}");
    assert!(listed.iter().all(|l| l.contains("BUY1")), "{s}");
    // Document: V001 among the buyer's records is one record.
    d.press("/").typed("V001").press("enter");
    assert_eq!(count(&mut d).0, 1);
    // Session: the change came from session "other", not "demo".
    d.press("/")
        .press("tab")
        .press("tab")
        .typed("demo")
        .press("enter");
    assert_eq!(count(&mut d).0, 0);
    assert!(d.screen(132, 43).contains("no record matches"));
    // Esc in the filter clears every field.
    d.press("/").press("esc");
    assert_eq!(count(&mut d), (total, total));
    // Days: nothing before 2026, everything up to today; a bad date is named.
    d.press("/");
    for _ in 0..4 {
        d.press("tab");
    }
    d.typed("2025-12-31").press("enter");
    assert_eq!(count(&mut d).0, 0);
    d.press("/");
    for _ in 0..4 {
        d.press("tab");
    }
    d.press("ctrl-u").typed("2026-13-01").press("enter");
    assert!(d.screen(132, 43).contains("is not a date"));
    d.press("ctrl-u").typed("2026-11-25").press("enter");
    assert_eq!(count(&mut d), (total, total));
}

#[test]
fn a_picker_has_no_audit_and_every_audit_action_has_a_key() {
    let b = demo();
    let mut d = Driver::new(&b, Some("PICK1"));
    assert!(d.open("Audit trail").is_none());
    let maps = depot::ui::app::Keymaps::load(None).unwrap();
    for keys in [&[][..], &["/"], &["enter"]] {
        let mut d = Driver::new(&b, Some("SUP1"));
        d.open("Audit trail").unwrap();
        for k in keys {
            d.press(k);
        }
        let top = d.app.top().unwrap();
        assert_eq!(top.name(), "audit");
        for km in [&maps.default, &maps.classic] {
            for (a, what) in top.actions() {
                assert!(
                    km.key_for(top.name(), d.app.context(), a).is_some(),
                    "{what} ({a:?}) has no key"
                );
            }
        }
    }
}

#[test]
fn snapshots_of_the_audit_at_80x24_and_132x43() {
    let b = demo();
    lead_time_changed(&b);
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Audit trail").unwrap();
    insta::assert_snapshot!("audit_80x24", d.screen(80, 24));
    insta::assert_snapshot!("audit_132x43", d.screen(132, 43));
    d.press("enter");
    insta::assert_snapshot!("audit_detail_80x24", d.screen(80, 24));
}

#[test]
fn the_data_steward_sees_the_demo_findings_in_the_queue() {
    let b = demo();
    let mut d = Driver::new(&b, Some("DATA1"));
    d.open("Exception queue")
        .expect("the data steward works the queue");
    d.typed("data").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("16 waiting"), "{s}");
    assert!(s.contains("data_steward"), "{s}");
    // A finding cannot be approved away: the core says to fix the record.
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed("data").press("enter");
    d.press("f2");
    let s = d.screen(132, 43);
    assert!(s.contains("fix the record"), "{s}");
}

/// The kinds computed on the clock are counted in the queue's header, as
/// of the session's clock: on the demo's afternoon, the orders of the
/// days before not shipped by the day they were asked for are late to
/// ship, and no backorder is past its promise; months later the demo's
/// backorders are past their promise, counted as the report lists them.
#[test]
fn the_header_counts_what_the_clock_has_made_overdue() {
    let b = demo();
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").expect("SUP1 supervises");
    let late = depot::core::exceptions::late_shipments(&b.state.borrow(), b.now).len();
    assert!(
        late > 0,
        "the demo has orders of the days before not shipped"
    );
    let s = d.screen(132, 43);
    assert!(s.contains(&format!("| now: late to ship {late}")), "{s}");
    assert!(!s.contains("past promise"), "{s}");
    let later = Utc.from_utc_datetime(
        &(today() + chrono::Duration::days(120))
            .and_hms_opt(15, 0, 0)
            .unwrap(),
    );
    let b = MemBackend::demo(today(), later);
    let past =
        depot::core::exceptions::backorders_past_promise(&b.state.borrow(), later.date_naive())
            .len();
    assert!(past > 0, "the demo has backorders with promises");
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").expect("SUP1 supervises");
    let s = d.screen(132, 43);
    assert!(s.contains(&format!("| now: past promise {past}")), "{s}");
    // They are listed too, as work of the queue: filtered on their kind,
    // each one's order is one key away.
    d.typed("backorder").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains(&format!("{past} waiting")), "{s}");
    assert!(s.contains("days past the promise"), "{s}");
    // Nothing to approve on a computed row: the screen says where the
    // work is, and no command is submitted.
    let seq = b.state.borrow().seq;
    d.press("f2");
    let s = d.screen(132, 43);
    assert!(s.contains("computed on the clock"), "{s}");
    assert_eq!(b.state.borrow().seq, seq);
    // Reject has no meaning on it either.
    d.press("f6");
    assert!(d.screen(132, 43).contains("cannot be rejected"));
    assert_eq!(b.state.borrow().seq, seq);
    // The queue's other actions apply: a comment, an owner, a snooze,
    // each a command of its own, on the row selected (the first).
    let xs = depot::core::exceptions::clock_exceptions(&b.state.borrow(), later);
    let rows: Vec<_> = xs
        .iter()
        .filter(|x| x.kind().label() == "backorder")
        .collect();
    let shown = s
        .lines()
        .find(|l| l.contains("> "))
        .unwrap_or_default()
        .to_string();
    let row = rows
        .iter()
        .find(|x| shown.contains(&format!("{} ", x.key)))
        .unwrap_or_else(|| panic!("the selected row is one of them: {shown}"));
    let key = row.key.clone();
    d.press("f10").typed("supplier ships friday").press("enter");
    assert!(d.screen(132, 43).contains("supplier ships friday"));
    d.press("f9").typed("@CTRL1").press("enter");
    let s = d.screen(132, 43);
    let line = s.lines().find(|l| l.contains("> ")).unwrap_or_default();
    assert!(line.contains("@CTRL1"), "{s}");
    let until = later.date_naive() + chrono::Duration::days(3);
    d.press("f11")
        .typed(&format!("{until} waiting for the supplier"))
        .press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains(&format!("snoozed until {until}")), "{s}");
    assert!(s.contains(&format!("{} waiting", past - 1)), "{s}");
    assert!(s.contains("(1 snoozed: filter snoozed)"), "{s}");
    assert_eq!(b.state.borrow().seq, seq + 3, "three commands, one each");
    let note = b
        .state
        .borrow()
        .clock_notes
        .get(&key)
        .cloned()
        .expect("noted");
    assert_eq!(
        note.owner,
        Some(depot::core::exceptions::Owner::Operator("CTRL1".into()))
    );
    assert_eq!(note.comments.len(), 1);
    // A typo in the date is said on the prompt line, nothing submitted.
    d.press("f11").typed("someday soon").press("enter");
    assert!(d.screen(132, 43).contains("is not a date"));
    d.press("esc");
    assert_eq!(b.state.borrow().seq, seq + 3);
    let first =
        depot::core::exceptions::backorders_past_promise(&b.state.borrow(), later.date_naive());
    d.press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("order inquiry"), "{s}");
    assert!(first.iter().any(|o| s.contains(o.order.as_str())), "{s}");
}

/// The audit of a long log reads its newest records only (a window);
/// moving past the oldest row read reads the window before it, and a
/// change whose value before lies in the log not read finds it on Enter.
/// Read window by window to the first record, the trail is the one read
/// from the start.
#[test]
fn the_audit_reads_the_newest_window_and_the_older_log_on_demand() {
    use depot::query::audit::Trail;
    use depot::ui::screens::audit::Audit;
    use depot::ui::Backend;
    let b = demo();
    lead_time_changed(&b);
    let total = b.state.borrow().seq;
    assert!(total > 100, "the demo log is long enough: {total}");
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.app.open_screen(|_| Box::new(Audit::with_window(30)), &b);
    let s = d.screen(132, 43);
    assert!(
        s.contains(&format!("30 of 30 records read, from #{}", total - 29)),
        "{s}"
    );
    // The supplier was created long before the window: its before is
    // not read yet, and Enter searches the older log for it.
    let first = s.lines().find(|l| l.contains("> ")).unwrap_or_default();
    assert!(
        first.contains("supplier V001 written (before: Enter)"),
        "{s}"
    );
    d.press("enter");
    let s = d.screen(132, 43);
    assert_eq!(
        lead_time_before_after(&s),
        ["lead_time_days", "3", "9"],
        "{s}"
    );
    d.press("esc");
    let s = d.screen(132, 43);
    let first = s.lines().find(|l| l.contains("> ")).unwrap_or_default();
    assert!(first.contains("supplier V001: lead_time_days"), "{s}");
    // A filter finding nothing in the window: moving down reads older
    // windows until a record matches.
    let created = {
        let st = b.state.borrow();
        st.suppliers.keys().next().cloned().unwrap()
    };
    d.press("/").typed(&created).press("enter");
    d.press("down");
    let s = d.screen(132, 43);
    assert!(!s.contains("no record read matches"), "{s}");
    // To the first record: End until the whole log is read.
    d.press("/").press("esc");
    for _ in 0..(total / 30 + 2) {
        d.press("end");
    }
    let s = d.screen(132, 43);
    assert!(
        s.contains(&format!("{total} of {total} records (UTC)")),
        "{s}"
    );
    // The same rows as a trail read from the start: window by window.
    let full = Trail::of(b.log_range(1, total).iter());
    let mut windowed = Trail::from_record(total - 29);
    windowed.extend(b.log_range(total - 29, total).iter());
    let mut first = total - 29;
    while first > 1 {
        let lo = first.saturating_sub(30).max(1);
        let mut older = Trail::from_record(lo);
        older.extend(b.log_range(lo, first - 1).iter());
        windowed.prepend(older);
        first = lo;
    }
    assert_eq!(windowed.rows.len(), full.rows.len());
    for (w, f) in windowed.rows.iter().zip(&full.rows) {
        assert_eq!(w, f, "record {}", f.seq);
    }
}

/// A short pick names no requester in the core: the queue says who
/// committed it (the picker), read from the log. It said "by -".
#[test]
fn a_short_pick_says_which_picker_raised_it() {
    let b = demo();
    let wave: CommandBody = serde_json::from_value(serde_json::json!({
        "cmd": "release_wave", "warehouse": "CHI", "carrier": "FEDEX"}))
    .unwrap();
    b.exec("SHIP1", wave).unwrap();
    let (list, line, bin, sku) = {
        let s = b.state.borrow();
        let p = s
            .picks
            .values_sorted()
            .into_iter()
            .rfind(|p| p.wave.is_some())
            .unwrap();
        let l = &p.lines[0];
        (
            p.number.to_string(),
            l.line,
            l.bin.clone(),
            l.sku.to_string(),
        )
    };
    let short: CommandBody = serde_json::from_value(serde_json::json!({
        "cmd": "confirm_pick", "list": list, "line": line, "bin": bin,
        "item": sku, "qty": "0", "short": true, "reason": "damaged"}))
    .unwrap();
    b.exec("PICK1", short).unwrap();
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&list);
    let s = d.screen(132, 43);
    assert!(s.contains("short") && s.contains(&sku), "{s}");
    assert!(s.contains("by PICK1"), "{s}");
    // A short is acknowledged, never rejected: the key bar offers F2,
    // not F6 (which said "reject" and then that it cannot).
    let bar = d.app.key_bar();
    assert!(
        bar.contains("F2 approve") && !bar.contains("reject"),
        "{bar}"
    );
}

/// CTRL1 asks to route US01's credit holds to controllers within 2 days:
/// a governed change, waiting in the queue for someone else's approval.
fn routing_change_waiting(b: &MemBackend) {
    exec(
        b,
        "CTRL1",
        serde_json::json!({"cmd": "set_exception_routing", "entity": "US01",
            "kind": "credit_hold", "owner": "controller", "sla_days": 2}),
    );
}

/// A governed change shows what it would write beside what is there now
/// before anyone approves it (the queue named only its fields: "owner,
/// sla_days"), in the detail and on Enter.
#[test]
fn a_governed_change_shows_its_values_before_and_after() {
    let b = demo();
    routing_change_waiting(&b);
    let mut d = Driver::new(&b, Some("ADMIN"));
    d.open("Exception queue").unwrap();
    d.typed("change").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("owner: supervisor -> controller"), "{s}");
    assert!(s.contains("sla_days: 1 -> 2"), "{s}");
    assert!(
        !s.contains("after_days:"),
        "unchanged fields are not listed: {s}"
    );
    d.press("enter");
    let s = d.screen(132, 43);
    assert!(
        s.contains("owner: supervisor -> controller; sla_days: 1 -> 2"),
        "{s}"
    );
}

/// The buyer orders `cases` cases of FAS-1001 from V001 for CHI: above
/// US01's approval limit (25,000) from 28 cases, the PO waits for an
/// approval, an exception of the queue. Its number.
fn po_waiting(b: &MemBackend, cases: u32) -> String {
    exec(
        b,
        "BUY1",
        serde_json::json!({"cmd": "create_purchase_order", "supplier": "V001",
            "warehouse": "CHI", "lines": [{"sku": "FAS-1001", "qty": cases.to_string()}]}),
    );
    let s = b.state.borrow();
    let po = s.purchase_orders.values().next_back().expect("the new PO");
    assert_eq!(
        po.status,
        depot::core::purchasing::PoStatus::AwaitingApproval
    );
    po.number.to_string()
}

/// Enter on a PO waiting for its approval opens purchasing on that PO:
/// the purchase orders listed, that PO selected with its lines under the
/// list (not the newest PO on top, where the list starts), as the
/// supervisor would reach it from the menu with Tab and Down; F6 there
/// approves it, Esc is back to the queue. It said "no inquiry screen
/// for it yet".
#[test]
fn enter_on_a_po_waiting_for_approval_opens_purchasing_on_that_po() {
    use depot::core::purchasing::PoStatus;
    let b = demo();
    let older = po_waiting(&b, 30);
    let newer = po_waiting(&b, 40);
    let (older_qty, newer_qty) = {
        let s = b.state.borrow();
        let q = |n: &str| depot::query::qty(s.purchase_orders[&n.to_code()].lines[0].qty);
        (q(&older), q(&newer))
    };
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&older).press("enter");
    assert!(
        d.screen(80, 24).contains("1 waiting"),
        "{}",
        d.screen(80, 24)
    );
    d.press("enter");
    let s = on_top(&mut d, "purchasing");
    assert!(s.contains("purchase orders"), "{s}");
    assert!(s.contains(&older) && s.contains(&newer), "{s}");
    assert!(s.contains("WAITING APPROVAL"), "{s}");
    // The older PO's line under the list, not the newer one's.
    assert!(
        s.contains(&format!(
            "1 FAS-1001 ordered 30 CASE ({older_qty} BOX) received 0 BOX"
        )),
        "{s}"
    );
    assert!(!s.contains(&format!("({newer_qty} BOX)")), "{s}");
    // What the supervisor reaches by hand: Purchasing, Tab, Down.
    let mut by_hand = Driver::new(&b, Some("SUP1"));
    by_hand.open("Purchasing").unwrap();
    by_hand.press("tab").press("down");
    assert_eq!(by_hand.screen(80, 24), s);
    // The data steward, whose menu has no purchasing, is told so.
    let mut steward = Driver::new(&b, Some("DATA1"));
    steward.open("Exception queue").unwrap();
    steward.typed(&older).press("enter").press("enter");
    let s = steward.screen(132, 43);
    assert_eq!(steward.app.top().map(|t| t.name()), Some("exceptions"));
    assert!(s.contains("Purchasing is not among your screens"), "{s}");
    // Approved from there (F6, yes): the PO is open, the exception gone.
    d.press("f6").press("y");
    assert_eq!(
        b.state.borrow().purchase_orders[&older.to_code()].status,
        PoStatus::Open
    );
    d.press("esc");
    let s = on_top(&mut d, "exceptions");
    assert!(s.contains("nothing matches the filter"), "{s}");
}

/// Enter on a finding of an item opens the item lookup on it: the SKU
/// looked up, the item's detail (description, stock by warehouse)
/// beside the list at 80x24; Esc is back to the queue.
#[test]
fn enter_on_an_item_finding_opens_the_item_lookup_on_that_item() {
    let b = demo();
    let (_, sku) = finding_of(&b, "item").expect("the demo has findings of items");
    let description = b.state.borrow().items[&sku.to_code()].description.clone();
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&sku).press("enter");
    assert!(
        d.screen(80, 24).contains("1 waiting"),
        "{}",
        d.screen(80, 24)
    );
    d.press("enter");
    let s = on_top(&mut d, "item_lookup");
    assert!(s.contains(&format!("/ {sku}")), "the SKU looked up: {s}");
    assert!(s.contains(&format!("{sku} {description}")), "{s}");
    assert!(s.contains("on hand"), "its stock: {s}");
    assert!(!s.contains("nothing matches"), "{s}");
    d.press("esc");
    let s = on_top(&mut d, "exceptions");
    assert!(s.contains("1 waiting"), "the queue as it was left: {s}");
}

/// Enter on a supplier invoice held by the three-way match opens the
/// supplier invoices' worklist on it, why it is held under the list;
/// Esc is back to the queue.
#[test]
fn enter_on_a_held_supplier_invoice_opens_the_worklist_on_it() {
    let b = demo();
    exec(
        &b,
        "BUY1",
        serde_json::json!({"cmd": "create_purchase_order", "supplier": "V001",
            "warehouse": "CHI", "lines": [{"sku": "FAS-1001", "qty": "10"}]}),
    );
    let po = b
        .state
        .borrow()
        .purchase_orders
        .keys()
        .next_back()
        .unwrap()
        .to_string();
    exec(
        &b,
        "RECV1",
        serde_json::json!({"cmd": "receive_purchase", "po": po, "bin": "DOCK-1",
            "lines": [{"item": "10614141000026", "qty": "5"}]}),
    );
    exec(
        &b,
        "AP1",
        serde_json::json!({"cmd": "enter_supplier_invoice", "supplier": "V001",
            "reference": "THEIRS-77", "lines": [{"po": po, "line": 1, "qty": "120",
            "price": "40.00"}]}),
    );
    let (_, invoice) = open_exception(&b, |x| match x {
        depot::core::exceptions::Blocked::SupplierInvoice { number } => Some(number.to_string()),
        _ => None,
    })
    .expect("the invoice is held");
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&invoice).press("enter").press("enter");
    let s = d.screen(80, 24);
    assert_eq!(
        d.app.top().map(|t| t.name()),
        Some("supplier_invoices"),
        "{s}"
    );
    assert!(s.contains(&invoice) && s.contains("THEIRS-77"), "{s}");
    assert!(s.contains("held: "), "why it is held: {s}");
    d.press("esc");
    assert_eq!(d.app.top().map(|t| t.name()), Some("exceptions"));
}

/// What no screen shows is said: a count names itself and where it is
/// dealt with, not "no inquiry screen for it yet".
#[test]
fn enter_on_a_count_says_what_it_is() {
    let b = demo();
    exec(
        &b,
        "CTRL1",
        serde_json::json!({"cmd": "adjust_stock", "warehouse": "CHI", "bin": "R-01-02",
            "sku": "FAS-1001", "qty": "200", "reason": "found"}),
    );
    let (_, count) = count_exception(&b);
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&count).press("enter").press("enter");
    let s = d.screen(132, 43);
    assert_eq!(d.app.top().map(|t| t.name()), Some("exceptions"), "{s}");
    assert!(
        s.contains(&format!("count {count}: FAS-1001 in R-01-02")),
        "{s}"
    );
    assert!(s.contains("approve or reject it here"), "{s}");
    assert!(!s.contains("no inquiry screen"), "{s}");
}

/// A command the core refuses leaves its prompt open with the text
/// typed, the refusal on the status line: the supervisor mends it (the
/// next character typed replaces it) and sends it again. The prompt
/// closed and the text was lost.
#[test]
fn a_refused_prompt_keeps_its_text_to_be_mended() {
    let b = demo();
    let order = over_limit(&b, "CLERK1");
    let id = exception_of(&b, &order);
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&order).press("enter");
    let seq = b.state.borrow().seq;
    d.press("f9").typed("@ctrl1").press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains("cannot go to operator CTRL1"),
        "the refusal is shown: {s}"
    );
    assert!(
        s.contains("reassign to (role, or @OPERATOR): @ctrl1"),
        "the prompt is open with its text: {s}"
    );
    assert_eq!(b.state.borrow().seq, seq, "nothing committed");
    assert!(
        d.app.top().is_some_and(|t| t.dirty()),
        "unsent text is work"
    );
    // Typed over: the text refused is replaced, then sent.
    d.typed("@admin").press("enter");
    assert_eq!(
        b.state.borrow().exceptions[&id].owner,
        depot::core::exceptions::Owner::Operator("ADMIN".into())
    );
    let s = d.screen(80, 24);
    assert!(!s.contains("reassign to"), "sent, the prompt closes: {s}");
    // A snooze to a day gone is refused too; its reason stays.
    d.press("f11")
        .typed("2026-11-01 cheque in the post")
        .press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("refused"), "{s}");
    assert!(
        s.contains("snooze until (YYYY-MM-DD reason): 2026-11-01 cheque in the post"),
        "{s}"
    );
    // Esc still leaves the prompt with nothing changed.
    d.press("esc");
    let s = d.screen(132, 43);
    assert!(!s.contains("snooze until ("), "{s}");
    assert!(b.state.borrow().exceptions[&id].in_queue(today()));
}

/// A customer's invoice paid short and disputed: Enter opens the order
/// inquiry on the invoice (its order, with what is open on it), as its
/// number typed there would.
#[test]
fn enter_on_a_disputed_invoice_opens_its_order() {
    let b = demo();
    let (invoice, customer, order, paid) = {
        let s = b.state.borrow();
        let i = s
            .index
            .open_invoices
            .values()
            .flatten()
            .filter_map(|n| s.invoices.get(n))
            .find(|i| i.open > rust_decimal::Decimal::from(100) && i.disputed.is_zero())
            .expect("the demo has open invoices");
        (
            i.number.to_string(),
            i.customer.to_string(),
            i.lines[0].order.to_string(),
            (i.open - rust_decimal::Decimal::from(60)).to_string(),
        )
    };
    exec(
        &b,
        "AR1",
        serde_json::json!({"cmd": "receive_payment", "customer": customer,
            "method": "transfer", "amount": paid,
            "apply": [{"invoice": invoice, "amount": paid, "settle": true}]}),
    );
    open_exception(&b, |x| match x {
        depot::core::exceptions::Blocked::Invoice { number } => Some(number.to_string()),
        _ => None,
    })
    .expect("the short payment is disputed");
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&invoice).press("enter").press("enter");
    let s = on_top(&mut d, "order_inquiry");
    assert!(s.contains(&order) && s.contains(&invoice), "{s}");
    assert!(s.contains("invoices"), "the order's invoices: {s}");
}

/// Every kind of blocked document: the screen Enter opens on it, or none
/// (said on the status line).
#[test]
fn every_blocked_document_has_its_screen_or_none() {
    use depot::core::exceptions::Blocked;
    use depot::core::quality::QualityRule;
    use depot::ui::screens::exceptions::{document, Document};
    use depot::ui::screens::master_data::Kind;
    let b = demo();
    let s = b.state.borrow();
    let pick = s
        .picks
        .get_min()
        .map(|(_, v)| v)
        .expect("the demo has picks");
    let code = |c: &str| depot::core::types::Code::from(c);
    let cases = [
        (
            Blocked::Order {
                number: code("SO-000001"),
                hold: depot::core::sales::Hold::Credit,
            },
            Document::Order("SO-000001".into()),
        ),
        (
            Blocked::PickLine {
                list: pick.number.clone(),
                line: 1,
            },
            Document::Order(pick.order.to_string()),
        ),
        (
            Blocked::Carton {
                list: pick.number.clone(),
                carton: 1,
            },
            Document::Order(pick.order.to_string()),
        ),
        (
            Blocked::Invoice {
                number: code("IN-000001"),
            },
            Document::Order("IN-000001".into()),
        ),
        (
            Blocked::PurchaseOrder {
                number: code("PO-000001"),
            },
            Document::PurchaseOrder("PO-000001".into()),
        ),
        (
            Blocked::SupplierInvoice {
                number: code("AP-000001"),
            },
            Document::SupplierInvoice("AP-000001".into()),
        ),
        (
            Blocked::Count {
                number: code("CC-000001"),
            },
            Document::None,
        ),
        (Blocked::Change { id: 1 }, Document::None),
    ];
    for (blocked, screen) in cases {
        assert_eq!(document(&s, &blocked), screen, "{blocked}");
    }
    // A finding: the item lookup on an item, master data on the record
    // of a customer, a supplier or a price (`LIST/SKU`, a list price's
    // key there); a price no longer on its list, its item.
    let record = |kind, key: &str| Document::Record {
        kind,
        key: key.into(),
        note: None,
    };
    for rule in QualityRule::ALL {
        let (key, want) = match rule.record() {
            "item" => ("FAS-1001", Document::Item("FAS-1001".into())),
            "customer" => ("C0002", record(Kind::Customers, "C0002")),
            "supplier" => ("V001", record(Kind::Suppliers, "V001")),
            _ => (
                "LIST-USD/FAS-1001",
                record(Kind::ListPrices, "LIST-USD/FAS-1001"),
            ),
        };
        let blocked = Blocked::DataQuality {
            rule,
            key: code(key),
        };
        assert_eq!(document(&s, &blocked), want, "{blocked}");
    }
    let gone = Blocked::DataQuality {
        rule: QualityRule::PriceBelowCost,
        key: code("NO-SUCH-LIST/FAS-1001"),
    };
    assert_eq!(
        document(&s, &gone),
        Document::Record {
            kind: Kind::Items,
            key: "FAS-1001".into(),
            note: Some(
                "price NO-SUCH-LIST/FAS-1001 is no longer on its list: its item FAS-1001 is shown"
                    .into()
            ),
        }
    );
}

/// The first open finding of a `record` ("item", "customer",
/// "supplier", "price"): its id and key.
fn finding_of(b: &MemBackend, record: &str) -> Option<(u64, String)> {
    open_exception(b, |x| match x {
        depot::core::exceptions::Blocked::DataQuality { rule, key } if rule.record() == record => {
            Some(key.to_string())
        }
        _ => None,
    })
}

/// The demo's rules with those of suppliers, customers and prices on
/// (a change of the rules approved by the supervisor, if they were
/// not), then a finding of each: supplier V001 with no lead time, customer C9999 named as
/// C0001 is, LIST-USD's price of FAS-1001 below its cost. Their keys:
/// (supplier, customer, price).
fn findings_of_master_records(b: &MemBackend) -> (String, String, String) {
    use depot::core::quality::QualityRules;
    let rules = QualityRules {
        supplier_lead_time: true,
        duplicate_customers: true,
        price_below_cost_pct: Some(rust_decimal::Decimal::ZERO),
        ..b.state
            .borrow()
            .quality_rules
            .get(&None)
            .cloned()
            .unwrap_or_default()
    };
    let now = b.state.borrow().quality_rules.get(&None).cloned();
    if now.as_ref() != Some(&rules) {
        let before: Vec<u64> = b.state.borrow().changes.keys().copied().collect();
        b.exec(
            "DATA1",
            CommandBody::SetDataQualityRules {
                entity: None,
                rules,
            },
        )
        .unwrap();
        let asked: Vec<u64> = b.state.borrow().changes.keys().copied().collect();
        for id in asked.into_iter().filter(|id| !before.contains(id)) {
            b.exec("SUP1", CommandBody::ApproveChange { id }).unwrap();
        }
    }
    let mut v = b.state.borrow().suppliers[&"V001".to_code()].clone();
    v.lead_time_days = 0;
    b.exec("DATA1", CommandBody::UpdateSupplier(v)).unwrap();
    let mut c = b.state.borrow().customers[&"C0001".to_code()].clone();
    c.code = "C9999".into();
    b.exec("DATA1", CommandBody::CreateCustomer(c)).unwrap();
    exec(
        b,
        "DATA1",
        serde_json::json!({"cmd": "set_list_price", "price_list": "LIST-USD",
            "sku": "FAS-1001", "price": "30.00"}),
    );
    let key = |record: &str| {
        finding_of(b, record)
            .unwrap_or_else(|| panic!("a finding of a {record}"))
            .1
    };
    let customer = open_exception(b, |x| match x {
        depot::core::exceptions::Blocked::DataQuality { key, .. } if key.as_str() == "C9999" => {
            Some(key.to_string())
        }
        _ => None,
    })
    .expect("a finding of customer C9999")
    .1;
    (key("supplier"), customer, key("price"))
}

/// Enter on a finding of a supplier, a customer or a price opens master
/// data on the record to fix: its form, as the data steward would reach
/// it by hand (Master data, the kind, Down to it, Enter); Esc is back to
/// the queue. It said "fix the supplier in Master data". The supervisor,
/// whose menu has no master data, is told so.
#[test]
fn enter_on_a_finding_of_a_master_record_opens_master_data_on_it() {
    let b = demo();
    let (supplier, customer, price) = findings_of_master_records(&b);
    assert_eq!(
        (supplier.as_str(), price.as_str()),
        ("V001", "LIST-USD/FAS-1001")
    );
    for (record, key, field) in [
        ("supplier", &supplier, "Lead time days"),
        ("customer", &customer, "Credit limit"),
        ("price", &price, "Qty breaks"),
    ] {
        let mut d = Driver::new(&b, Some("DATA1"));
        d.open("Exception queue").unwrap();
        d.typed(&format!("{record} {key}")).press("enter");
        assert!(
            d.screen(80, 24).contains("1 waiting"),
            "{}",
            d.screen(80, 24)
        );
        d.press("enter");
        let s = on_top(&mut d, "master_data");
        assert!(s.contains(&format!("master data · {record} {key}")), "{s}");
        assert!(s.contains(field), "the record's form: {s}");
        assert!(!s.contains("fix the"), "{s}");
        d.press("esc");
        let s = on_top(&mut d, "exceptions");
        assert!(s.contains("1 waiting"), "the queue as it was left: {s}");
    }
    // The supplier's form is the one the keys reach.
    let mut d = Driver::new(&b, Some("DATA1"));
    d.open("Exception queue").unwrap();
    d.typed(&format!("supplier {supplier}"))
        .press("enter")
        .press("enter");
    let from_queue = d.screen(80, 24);
    let mut by_hand = Driver::new(&b, Some("DATA1"));
    by_hand.open("Master data").unwrap();
    by_hand.typed("s").press("enter");
    let row = b
        .state
        .borrow()
        .suppliers
        .keys()
        .position(|k| k.as_str() == supplier)
        .unwrap();
    for _ in 0..row {
        by_hand.press("down");
    }
    by_hand.press("enter");
    assert_eq!(by_hand.screen(80, 24), from_queue);
    // The supervisor's menu has no master data: said, nothing opened.
    let mut sup = Driver::new(&b, Some("SUP1"));
    sup.open("Exception queue").unwrap();
    sup.typed(&format!("supplier {supplier}"))
        .press("enter")
        .press("enter");
    let s = on_top(&mut sup, "exceptions");
    assert!(s.contains("Master data is not among your screens"), "{s}");
}

/// An order opened from the queue is left with one Esc, back to the
/// queue as it was (it took two: the first went to a list of the orders
/// its number matches).
#[test]
fn one_esc_from_an_order_opened_from_the_queue_returns_to_it() {
    let b = demo();
    let order = over_limit(&b, "CLERK1");
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&order).press("enter").press("enter");
    let s = on_top(&mut d, "order_inquiry");
    assert!(s.contains(&order), "{s}");
    d.press("esc");
    let s = on_top(&mut d, "exceptions");
    assert!(s.contains("1 waiting"), "the queue as it was left: {s}");
}

/// Enter on a computed row opens its screen only if the operator's menu
/// has it, as on a held one: the supervisor has no cash application, and
/// is told what the row is instead; the admin has, and it opens on the
/// customer.
#[test]
fn enter_on_unapplied_cash_opens_the_cash_application_only_for_who_has_it() {
    let b = demo();
    exec(
        &b,
        "AR1",
        serde_json::json!({"cmd": "receive_payment", "customer": "C0002",
            "method": "cash", "amount": "500.00"}),
    );
    let later = MemBackend::new(b.state.borrow().clone(), b.now + chrono::Duration::days(40));
    let mut d = Driver::new(&later, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed("unapplied_cash C0002").press("enter");
    assert!(
        d.screen(80, 24).contains("1 waiting"),
        "{}",
        d.screen(80, 24)
    );
    let s = d.screen(132, 43);
    assert!(
        s.contains("Cash application is not among your screens"),
        "the detail says so before Enter: {s}"
    );
    d.press("enter");
    let s = on_top(&mut d, "exceptions");
    // What the row is, and why it does not open (on the status line,
    // wrapped over two lines at 80 columns).
    let joined: String = s.lines().map(str::trim_end).collect::<Vec<_>>().join(" ");
    assert!(
        joined.contains("credit of C0002: 500.00 USD on account since"),
        "{s}"
    );
    assert!(
        joined.contains("or refund it; Cash application is not among your screens"),
        "{s}"
    );
    let mut d = Driver::new(&later, Some("ADMIN"));
    d.open("Exception queue").unwrap();
    d.typed("unapplied_cash C0002")
        .press("enter")
        .press("enter");
    let s = d.screen(80, 24);
    assert_eq!(
        d.app.top().map(|t| t.name()),
        Some("cash_application"),
        "{s}"
    );
    assert!(s.contains("C0002"), "{s}");
}

/// The function keys act on the selected line from the filter line too
/// (the filter kept); while a reason is typed they are not taken, and
/// the reason typed stays, with a word on why.
#[test]
fn function_keys_act_from_the_filter_and_not_over_a_typed_reason() {
    let b = demo();
    let order = over_limit(&b, "CLERK1");
    let id = exception_of(&b, &order);
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&order).press("f6").typed("no deposit");
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!(
            "reject (cancels order {order}), reason: no deposit"
        )),
        "F6 from the filter opens the reject prompt on the line: {s}"
    );
    let seq = b.state.borrow().seq;
    d.press("f2");
    let s = d.screen(80, 24);
    assert!(
        s.contains("reject (cancels order") && s.contains("reason: no deposit"),
        "the reason stays: {s}"
    );
    assert!(s.contains("finish the reason first"), "{s}");
    assert_eq!(b.state.borrow().seq, seq, "nothing sent");
    d.press("esc");
    // F2 from the filter line approves the line the filter selects.
    d.press("/").press("f2");
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!("exception {id} cleared: released")),
        "{s}"
    );
    assert!(!b.state.borrow().exceptions[&id].is_open());
}

/// Letters typed on the queue's list are the filter's: `late` lists the
/// late shipments (the list's `l` would have opened the selected line's
/// document, an item lookup for a data finding), `q` does not leave, and
/// `/` starts an empty filter.
#[test]
fn letters_typed_on_the_list_filter_it_and_do_not_act() {
    let b = demo();
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").expect("SUP1 supervises");
    let late = depot::core::exceptions::late_shipments(&b.state.borrow(), b.now).len();
    d.typed("late").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("exception queue"), "{s}");
    assert!(s.contains(&format!("{late} waiting")), "{s}");
    assert!(s.contains("filter late"), "{s}");
    // The selected row's detail at 80 columns: whole, where Enter goes
    // on its own line, a day in the singular.
    let opens = s
        .lines()
        .find(|l| l.contains("Enter opens order SO-"))
        .unwrap_or_else(|| panic!("where Enter goes: {s}"));
    assert!(!opens.contains('~'), "{s}");
    assert!(!s.contains(" 1 days"), "{s}");
    d.press("/").press("esc");
    d.typed("q");
    let s = d.screen(80, 24);
    assert!(
        s.contains("exception queue") && s.contains("filter q"),
        "{s}"
    );
}

/// The rows of the list box in a screen: the lines between its top and
/// bottom borders.
fn list_rows(s: &str) -> Vec<&str> {
    s.lines()
        .skip_while(|l| !l.starts_with('┌'))
        .skip(1)
        .take_while(|l| !l.starts_with('└'))
        .filter(|l| !l.trim_matches(|c| c == '│' || c == ' ').is_empty())
        .collect()
}

/// At 80 columns every column of every row is read whole (it read
/// "item BRK-1035 (duplic~" and "data_stew~", beside an amount column a
/// finding leaves empty): each column as wide as the rows in sight need;
/// and the screen draws at any size.
#[test]
fn every_column_of_every_row_is_read_whole_at_80_columns() {
    let b = demo();
    over_limit(&b, "CLERK1");
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    let s = d.screen(80, 24);
    let n: usize = s
        .lines()
        .find_map(|l| l.split_once(" waiting")?.0.rsplit(' ').next()?.parse().ok())
        .expect("a count of rows");
    assert!(n > 12, "more rows than the screen holds: {s}");
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..n {
        let s = d.screen(80, 24);
        for row in list_rows(&s) {
            assert!(!row.contains('~'), "a column cut: {row}\n{s}");
            seen.insert(row.trim_start_matches(['│', '>', ' ']).to_string());
        }
        d.press("down");
    }
    assert_eq!(seen.len(), n, "every row was in sight: {seen:#?}");
    let all = seen.iter().cloned().collect::<Vec<_>>().join("\n");
    assert!(all.contains("item BRK-1035 (duplicate?)"), "{all}");
    assert!(all.contains("data_steward"), "{all}");
    assert!(all.contains("20,900.00 USD"), "{all}");
    // The last rows in sight: the late shipments and the credit holds,
    // with their amounts, under the last findings.
    insta::assert_snapshot!("exceptions_80x24_end", d.screen(80, 24));
    // Narrower, the screen says it is too small (the columns are fitted
    // to any room: `Columns::fitted`), and nothing panics.
    d.press("home");
    for (w, h) in [
        (50, 16),
        (40, 12),
        (30, 10),
        (20, 8),
        (10, 5),
        (4, 3),
        (1, 1),
    ] {
        let s = d.screen(w, h);
        assert!(!s.is_empty());
        d.press("end");
        d.screen(w, h);
        d.press("home");
    }
}

/// A supervisor gives the model's prediction for an open order to a
/// shipper and comments on it; once the order misses its ship-by, its
/// late row is listed as the shipper's, and the comment on the
/// prediction is shown (marked as said about it).
#[test]
fn a_late_order_shows_who_took_on_its_prediction_and_what_was_said() {
    use depot::core::exceptions::{ClockKey, Owner};
    let b = demo();
    exec(
        &b,
        "CLERK1",
        serde_json::json!({"cmd": "place_order", "customer": "C0041",
            "lines": [{"sku": "FAS-1001", "qty": "20", "warehouse": "CHI"}]}),
    );
    let (order, requested) = {
        let s = b.state.borrow();
        let o = s.orders.get_max().map(|(_, v)| v).unwrap();
        assert_eq!(o.status, depot::core::sales::OrderStatus::Open);
        (o.number.clone(), o.requested)
    };
    let key = ClockKey::LateRisk {
        order: order.clone(),
        requested,
    };
    b.exec(
        "SUP1",
        CommandBody::CommentClockException {
            key: key.clone(),
            text: "carrier called".into(),
        },
    )
    .unwrap();
    b.exec(
        "SUP1",
        CommandBody::ReassignClockException {
            key,
            to: Owner::Operator("SHIP1".into()),
        },
    )
    .unwrap();
    // Three days on, the order is late (it had to ship by 2026-11-27).
    let later = Utc.with_ymd_and_hms(2026, 11, 28, 15, 0, 0).unwrap();
    let late = MemBackend::new(b.state.borrow().clone(), later);
    let mut d = Driver::new(&late, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(order.as_str()).press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("1 waiting"), "{s}");
    let row = s.lines().find(|l| l.contains("> ")).unwrap_or_default();
    assert!(row.contains(&format!("order {order} line 1")), "{s}");
    assert!(row.contains("late"), "{s}");
    assert!(row.contains("@SHIP1"), "{s}");
    assert!(s.contains("owner @SHIP1"), "{s}");
    assert!(s.contains("SUP1: on the prediction: carrier called"), "{s}");
    // Esc clears the filter applied (the whole queue again), a second
    // Esc leaves. Filtered by its owner, it is found.
    d.press("esc");
    assert_eq!(d.app.screen_name(), "exceptions");
    assert!(
        !d.screen(80, 24).contains("1 waiting"),
        "{}",
        d.screen(80, 24)
    );
    d.press("esc");
    d.open("Exception queue").unwrap();
    d.typed("@ship1").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains(&format!("order {order} line 1")), "{s}");
}

/// The row under the cursor (the list marks it `>`).
fn cursor_row(s: &str) -> String {
    s.lines()
        .find(|l| l.starts_with("│>"))
        .unwrap_or_default()
        .to_string()
}

/// Another session clears an exception listed above the one the
/// supervisor is on: the cursor stays on that one, so F2 approves the
/// hold the supervisor chose, not the one that slid under the cursor.
#[test]
fn the_cursor_stays_on_its_row_when_another_session_clears_one_above() {
    let b = demo();
    let first = over_limit(&b, "CLERK1");
    let second = over_limit(&b, "CLERK1");
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    let s = d.screen(132, 43);
    let at = |o: &str| {
        s.lines()
            .position(|l| l.contains(&format!("order {o} ")))
            .unwrap()
    };
    // The lower of the two is chosen; the upper one is cleared elsewhere.
    let (upper, chosen) = if at(&first) < at(&second) {
        (first.clone(), second.clone())
    } else {
        (second.clone(), first.clone())
    };
    for _ in 0..60 {
        if cursor_row(&d.screen(132, 43)).contains(&format!("order {chosen} ")) {
            break;
        }
        d.press("down");
    }
    let s = d.screen(132, 43);
    assert!(cursor_row(&s).contains(&format!("order {chosen} ")), "{s}");
    assert!(
        s.lines()
            .skip_while(|l| !l.starts_with("│>"))
            .nth(1)
            .is_some_and(|l| l.starts_with("│ ")),
        "a row below the chosen one, for the cursor to slide to: {s}"
    );
    exec(
        &b,
        "SUP1",
        serde_json::json!({"cmd": "release_hold", "number": upper, "hold": "credit"}),
    );
    d.committed();
    let s = d.screen(132, 43);
    assert!(!s.contains(&format!("order {upper} ")), "{s}");
    assert!(cursor_row(&s).contains(&format!("order {chosen} ")), "{s}");
    let id = exception_of(&b, &chosen);
    d.press("f2");
    assert!(
        !b.state.borrow().exceptions[&id].is_open(),
        "{}",
        d.screen(132, 43)
    );
}

/// A picker finds a bin empty while a manual adjustment of it waits for
/// its approval (so no second count is made), then the adjustment is
/// rejected: a count of the position is scheduled with the rejection, so
/// the position kept from pickers is counted and released, not kept for
/// ever with no count to release it (found by the long simulation, seed
/// 302).
#[test]
fn a_rejected_adjustment_of_a_bin_found_empty_leaves_a_count_of_it() {
    let b = demo();
    exec(
        &b,
        "CTRL1",
        serde_json::json!({"cmd": "adjust_stock", "warehouse": "CHI", "bin": "R-01-02",
            "sku": "FAS-1001", "qty": "200", "reason": "found"}),
    );
    let (_, count) = count_exception(&b);
    exec(
        &b,
        "REP1",
        serde_json::json!({"cmd": "place_order", "customer": "C0002",
            "lines": [{"sku": "FAS-1001", "qty": "20", "warehouse": "CHI"}]}),
    );
    let order = b
        .state
        .borrow()
        .orders
        .get_max()
        .map(|(k, _)| k)
        .unwrap()
        .to_string();
    exec(
        &b,
        "SHIP1",
        serde_json::json!({"cmd": "release_order", "number": order}),
    );
    let (list, line) = {
        let s = b.state.borrow();
        let p = s
            .picks
            .values_sorted()
            .into_iter()
            .find(|p| p.order == order)
            .expect("a pick list");
        let l = p
            .lines
            .iter()
            .find(|l| l.bin == "R-01-02")
            .expect("a line in R-01-02");
        (p.number.to_string(), l.line)
    };
    exec(
        &b,
        "PICK1",
        serde_json::json!({"cmd": "confirm_pick", "list": list, "line": line, "bin": "R-01-02",
            "item": "FAS-1001", "qty": "0", "short": true, "reason": "bin_empty"}),
    );
    let blocked = |b: &MemBackend| {
        b.state
            .borrow()
            .pick_blocked
            .iter()
            .any(|k| k.bin == "R-01-02" && k.sku == "FAS-1001")
    };
    assert!(blocked(&b), "kept from pickers until counted");
    exec(
        &b,
        "SUP1",
        serde_json::json!({"cmd": "reject_count", "count": count, "reason": "no such stock"}),
    );
    let s = b.state.borrow();
    let open: Vec<_> = s
        .index
        .open_counts
        .iter()
        .filter_map(|n| s.counts.get(n))
        .filter(|c| c.bin == "R-01-02" && c.sku == "FAS-1001")
        .map(|c| c.number.clone())
        .collect();
    assert_eq!(open.len(), 1, "a count of the position: {open:?}");
    assert_ne!(open[0], count);
    depot::core::invariants::check_state(&s).expect("every invariant holds");
}

/// Approving a period's reopen from the queue is asked first, `y` only:
/// after one approval the cursor is on the next row, and a second F2 (a
/// double tap) reopened a closed period nobody had looked at.
#[test]
fn a_period_reopen_approved_from_the_queue_is_asked_first() {
    use depot::core::master::PeriodStatus;
    let b = demo();
    let status = |b: &MemBackend| {
        b.state
            .borrow()
            .periods
            .values()
            .find(|p| p.entity == "US01" && p.code == "FY2026-04")
            .map(|p| p.status)
            .unwrap()
    };
    exec(
        &b,
        "CTRL1",
        serde_json::json!({"cmd": "close_period", "entity": "US01", "period": "FY2026-04"}),
    );
    exec(
        &b,
        "CTRL1",
        serde_json::json!({"cmd": "reopen_period", "entity": "US01", "period": "FY2026-04",
            "reason": "late supplier invoice"}),
    );
    assert_eq!(status(&b), PeriodStatus::Closed);
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed("reopen").press("enter");
    // F2, then F2 again: asked, and the second F2 answers nothing.
    d.press("f2");
    let s = d.screen(80, 24);
    assert!(s.contains("Approve ") && s.contains("FY2026-04"), "{s}");
    d.press("f2");
    assert_eq!(status(&b), PeriodStatus::Closed, "{}", d.screen(80, 24));
    assert!(d.screen(80, 24).contains("y yes"));
    // Esc: not approved, still closed.
    d.press("esc");
    assert!(
        d.screen(80, 24).contains("not approved"),
        "{}",
        d.screen(80, 24)
    );
    assert_eq!(status(&b), PeriodStatus::Closed);
    // Asked again, `y`: reopened.
    d.press("f2").press("y");
    assert_eq!(status(&b), PeriodStatus::Open, "{}", d.screen(80, 24));
}

/// Two months closed and a reopen asked for each, the later first:
/// approving the earlier one reopens both, and the later one's request
/// leaves the queue with it, approved by the same supervisor. It stayed
/// open, and its F2 was refused as "open already".
#[test]
fn an_earlier_reopen_approved_takes_the_later_request_with_it() {
    use depot::core::master::PeriodStatus;
    let b = demo();
    let status = |b: &MemBackend, period: &str| {
        b.state
            .borrow()
            .periods
            .values()
            .find(|p| p.entity == "US01" && p.code == period)
            .map(|p| p.status)
            .unwrap()
    };
    for period in ["FY2026-04", "FY2026-05"] {
        exec(
            &b,
            "CTRL1",
            serde_json::json!({"cmd": "close_period", "entity": "US01", "period": period}),
        );
    }
    for period in ["FY2026-05", "FY2026-04"] {
        exec(
            &b,
            "CTRL1",
            serde_json::json!({"cmd": "reopen_period", "entity": "US01", "period": period,
                "reason": "late supplier invoice"}),
        );
    }
    let reopens = |b: &MemBackend| {
        let s = b.state.borrow();
        s.exceptions
            .values()
            .filter(|x| {
                x.is_open() && x.kind == depot::core::exceptions::ExceptionKind::PeriodReopen
            })
            .count()
    };
    assert_eq!(reopens(&b), 2);
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    // A filter that matches nothing says so, not that nothing waits.
    let mut d0 = Driver::new(&b, Some("SUP1"));
    d0.open("Exception queue").unwrap();
    d0.typed("FY2031").press("enter");
    assert!(
        d0.screen(80, 24).contains("nothing matches the filter"),
        "{}",
        d0.screen(80, 24)
    );
    d.typed("FY2026-04").press("enter");
    d.screen(80, 24);
    let bar = d.app.key_bar();
    assert!(
        bar.contains("F2 approve") && bar.contains("F6 reject"),
        "{bar}"
    );
    d.press("f2");
    assert!(
        d.screen(80, 24).contains("FY2026-04"),
        "{}",
        d.screen(80, 24)
    );
    d.press("y");
    assert_eq!(
        status(&b, "FY2026-04"),
        PeriodStatus::Open,
        "{}",
        d.screen(80, 24)
    );
    assert_eq!(status(&b, "FY2026-05"), PeriodStatus::Open);
    assert!(
        b.state.borrow().changes.is_empty(),
        "no request left pending"
    );
    assert_eq!(reopens(&b), 0, "{}", d.screen(80, 24));
    depot::core::invariants::check_state(&b.state.borrow()).expect("every invariant holds");
}

/// A carton held for its weight is rejected by unpacking it, which takes
/// the pack permission: a supervisor without it is told so, and who has
/// it, when pressing F6, not asked a reason first and refused after it.
#[test]
fn a_reject_the_role_lacks_is_said_before_its_reason_is_asked() {
    use depot::core::CommandBody;
    use rust_decimal::Decimal;
    let b = demo();
    let number = {
        let s = b.state.borrow();
        s.orders
            .values_sorted()
            .into_iter()
            .find(|o| {
                o.status == depot::core::sales::OrderStatus::Open
                    && o.lines
                        .iter()
                        .all(|l| l.reserved == l.qty && l.shipped.is_zero())
            })
            .expect("an open order reserved in full")
            .number
            .clone()
    };
    b.exec(
        "ADMIN",
        CommandBody::ReleaseOrder {
            number: number.clone(),
        },
    )
    .unwrap();
    let list = b
        .state
        .borrow()
        .picks
        .values_sorted()
        .into_iter()
        .find(|p| p.order == number)
        .expect("a pick list")
        .clone();
    let mut contents = Vec::new();
    for l in &list.lines {
        b.exec("ADMIN", CommandBody::pick_in_full(&list.number, l))
            .unwrap();
        contents.push(depot::core::pack::CartonInput {
            item: l.sku.to_string(),
            qty: Some(l.qty),
        });
    }
    // Packed at ten times what the contents weigh: held.
    let kg: Decimal = list
        .lines
        .iter()
        .map(|l| l.qty * b.state.borrow().items[&l.sku].weight_kg)
        .sum();
    b.exec(
        "ADMIN",
        CommandBody::PackCarton {
            list: list.number.clone(),
            contents,
            weight: (kg * Decimal::from(10) + Decimal::ONE).round_dp(3),
            tare: Decimal::ZERO,
        },
    )
    .unwrap();
    let held = b
        .state
        .borrow()
        .exceptions
        .values()
        .find(|x| x.kind == depot::core::exceptions::ExceptionKind::CartonWeight)
        .map(|x| x.id)
        .expect("a carton held for its weight");
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&list.number).press("enter");
    // The bar offers the approval (a release) and not the reject.
    d.screen(80, 24);
    let bar = d.app.key_bar();
    assert!(
        bar.contains("F2 approve") && !bar.contains("reject"),
        "{bar}"
    );
    d.press("f6");
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!("rejecting exception {held}")) && s.contains("ask one to do it"),
        "{s}"
    );
    // No reason is asked: typed keys filter the list, nothing is sent.
    assert!(!s.contains("reason>"), "{s}");
    let n = b.log.borrow().len();
    d.typed("x").press("enter");
    assert_eq!(b.log.borrow().len(), n);
    assert!(b.state.borrow().exceptions.contains_key(&held));
}

/// Who may not approve an exception is told so, with the roles that may,
/// before any question: a data steward's F2 on a governed change asked
/// "Approve change 1: …?" and was refused only after the `y`.
#[test]
fn approving_without_the_permission_is_refused_before_the_question() {
    let b = demo();
    routing_change_waiting(&b);
    let mut d = Driver::new(&b, Some("DATA1"));
    d.open("Exception queue").unwrap();
    d.typed("change").press("enter");
    let n = b.log.borrow().len();
    d.press("f2");
    assert!(d.app.confirm.is_none(), "asked: {:?}", d.app.confirm);
    let s = d.screen(132, 43);
    assert!(
        s.contains("approving exception") && s.contains("ask one to do it"),
        "{s}"
    );
    assert_eq!(b.log.borrow().len(), n, "nothing submitted");
}

/// A snooze without its reason is said at Enter and the date kept to add
/// the reason to: refused by the core, the reason typed next replaced the
/// date ("\"wire\" is not a date").
#[test]
fn a_snooze_without_a_reason_keeps_its_date_to_add_the_reason_to() {
    let b = demo();
    let order = over_limit(&b, "CLERK1");
    let id = exception_of(&b, &order);
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("Exception queue").unwrap();
    d.typed(&order).press("enter");
    let n = b.log.borrow().len();
    d.press("f11").typed("2026-12-10").press("enter");
    let s = d.screen(132, 43);
    assert!(s.contains("a snooze says why after the date"), "{s}");
    assert_eq!(b.log.borrow().len(), n, "nothing submitted");
    d.typed(" wire expected").press("enter");
    let x = &b.state.borrow().exceptions[&id];
    assert!(
        matches!(
            &x.status,
            depot::core::exceptions::ExceptionStatus::Snoozed { until, .. }
                if until.to_string() == "2026-12-10"
        ),
        "{:?}",
        x.status
    );
}

/// The detail of a record that posted shows its journal entries as the
/// log holds them: each line's account (code and name), debit or credit,
/// party, and the entry's totals.
#[test]
fn the_audit_detail_shows_what_a_record_posted() {
    use depot::ui::Backend;
    use rust_decimal::Decimal;
    let b = demo();
    b.exec(
        "ADMIN",
        CommandBody::PostOpeningStock {
            warehouse: "CHI".into(),
            bin: "A-01-01".into(),
            sku: "FAS-1001".into(),
            qty: Decimal::from(37),
            unit: None,
            unit_cost: Decimal::new(1249, 2),
            lot: None,
            date: Some(today()),
            expiry: None,
        },
    )
    .unwrap();
    let seq = b.state.borrow().seq;
    let env = b.log_range(seq, seq).pop().expect("the record");
    let journals: Vec<_> = env
        .events()
        .iter()
        .flat_map(depot::core::apply::journals)
        .cloned()
        .collect();
    assert_eq!(journals.len(), 1, "{journals:?}");
    let j = &journals[0];
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Audit trail").unwrap();
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("record {seq} ")), "{s}");
    assert!(
        s.contains(&format!("posted US01 {} (period {})", j.date, j.period)),
        "{s}"
    );
    // The entry's memo is words, not a document the record touched.
    let documents = s
        .lines()
        .map(|r| r.trim_matches(['│', ' ']))
        .find(|r| r.starts_with("documents"))
        .unwrap_or_default();
    assert!(!j.memo.is_empty() && !documents.contains(&j.memo), "{s}");
    // 37 x 12.49 = 462.13 on each side.
    let amount = "462.13";
    assert_eq!(j.debits(), Decimal::new(46213, 2));
    let state = b.state.borrow();
    for l in &j.lines {
        let name = &state.accounts[&("US01".into(), l.account.clone())].name;
        let row = s
            .lines()
            .map(|r| r.trim_matches(['│', ' ']))
            .find(|r| r.starts_with(&format!("{} {name}", l.account)))
            .unwrap_or_else(|| panic!("no line for {} in {s}", l.account));
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert!(cells.contains(&amount), "{row}");
        if let Some(sub) = &l.sub {
            assert!(cells.contains(&sub.as_str()), "{row}");
        }
    }
    let total = s
        .lines()
        .map(|r| r.trim_matches(['│', ' ']))
        .find(|r| r.starts_with("total"))
        .unwrap_or_else(|| panic!("no total in {s}"));
    assert_eq!(
        total.split_whitespace().collect::<Vec<_>>(),
        ["total", amount, amount]
    );
    // A master-data change posts nothing, and says so.
    drop(state);
    lead_time_changed(&b);
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Audit trail").unwrap();
    d.press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("nothing posted to the ledger"), "{s}");
    assert!(!s.contains("posted US01"), "{s}");
}
