//! The supervisor's exception queue screen (issue 20), driven with keys
//! against the real core over the demo distributor, and drawn at 80x24
//! and 132x43.

use chrono::{NaiveDate, TimeZone, Utc};
use depot::core::CommandBody;
use depot::ui::testing::{Driver, MemBackend};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn demo() -> MemBackend {
    let now = Utc.from_utc_datetime(&today().and_hms_opt(15, 0, 0).unwrap());
    MemBackend::demo(today(), now)
}

fn over_limit(b: &MemBackend, who: &str) -> String {
    let body: CommandBody = serde_json::from_value(serde_json::json!({
        "cmd": "place_order", "customer": "C0006",
        "lines": [{"sku": "TOO-1000", "qty": "20", "warehouse": "CHI"}]}))
    .unwrap();
    b.exec(who, body).unwrap();
    let s = b.state.borrow();
    s.orders.keys().next_back().unwrap().clone()
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
    assert!(s.contains("nothing waits"), "{s}");
    let st = b.state.borrow();
    assert_eq!(
        st.orders[&order].status,
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
        b.state.borrow().orders[&order].status,
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
    d.press("ctrl-u").typed("@ctrl1").press("enter");
    assert_eq!(
        b.state.borrow().exceptions[&id].owner,
        depot::core::exceptions::Owner::Operator("CTRL1".into())
    );
    // Reject needs a reason: an empty one is refused by the core.
    d.press("f6").press("enter");
    assert!(
        d.screen(132, 43).contains("refused"),
        "{}",
        d.screen(132, 43)
    );
    d.press("f6").typed("no deposit").press("enter");
    let st = b.state.borrow();
    assert_eq!(
        st.orders[&order].status,
        depot::core::sales::OrderStatus::Cancelled
    );
    assert!(!st.exceptions[&id].is_open());
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
    assert!(s.contains("nothing waits"), "{s}");
    assert!(s.contains("snoozed)"), "{s}");
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
