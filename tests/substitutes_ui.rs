//! Substitutes offered at order entry (issue 23): a line the shelf cannot
//! fill shows items of the same kind free in its warehouse, each with its
//! price and margin against the original's; F6 takes one, the line
//! changes on screen only, and nothing is placed until F10.

use depot::core::CommandBody;
use depot::models::substitutes::{substitutes, Need};
use depot::ui::testing::{test_day as today, Driver, MemBackend};
use rust_decimal::Decimal;

fn demo() -> MemBackend {
    MemBackend::afternoon()
}

fn placed(b: &MemBackend) -> usize {
    b.log
        .borrow()
        .iter()
        .filter(|(_, r)| matches!(r.body, CommandBody::PlaceOrder { .. }))
        .count()
}

/// Customer C0001, then 100 boxes of FAS-1003 (wood screws; CHI has 60).
fn short_line(d: &mut Driver) {
    d.open("Order entry").unwrap();
    d.typed("C0001").press("enter");
    d.press("enter")
        .typed("PO-SUB")
        .press("enter")
        .press("enter")
        .press("enter");
    d.typed("100*FAS-1003").press("enter");
}

#[test]
fn a_short_line_offers_substitutes_with_reasons_and_f6_takes_one() {
    let b = demo();
    let expected = {
        let s = b.state.borrow();
        substitutes(
            &s,
            &Need {
                customer: "C0001".into(),
                sku: "FAS-1003".into(),
                warehouse: "CHI".into(),
                qty: Decimal::from(100),
                date: today(),
            },
        )
        .unwrap()
    };
    assert!(expected.len() >= 2, "{expected:?}");
    assert!(expected.iter().all(|x| x.sku != "FAS-1003"));
    let mut d = Driver::new(&b, Some("REP1"));
    short_line(&mut d);
    let s = d.screen(132, 43);
    assert!(s.contains("FAS-1003 short"), "the offer is shown:\n{s}");
    for x in &expected {
        assert!(s.contains(&*x.sku), "{} offered:\n{s}", x.sku);
    }
    assert!(
        s.contains("wood screw, FASTENERS, BOX"),
        "what matched:\n{s}"
    );
    assert!(s.contains("margin"), "{s}");
    insta::assert_snapshot!("substitutes_offer_80x24", d.screen(80, 24));
    insta::assert_snapshot!("substitutes_offer_132x43", s);

    // A number that is not offered is refused, nothing changes.
    d.typed("7").press("f6");
    let s = d.screen(132, 43);
    assert!(s.contains("type 1 to"), "{s}");
    d.press("ctrl-u");

    // "2" then F6 takes the second; nothing is submitted.
    let before = placed(&b);
    d.typed("2").press("f6");
    assert_eq!(placed(&b), before, "taking a substitute places nothing");
    let second = &expected[1].sku;
    let s = d.screen(132, 43);
    assert!(
        s.contains(&format!("FAS-1003 -> {second}")),
        "the notice says what changed:\n{s}"
    );
    // The line now reads the substitute; it covers: nothing backordered.
    let line = s
        .lines()
        .find(|l| l.contains(second.as_str()) && l.contains("CHI"))
        .unwrap_or_default()
        .to_string();
    assert!(!line.is_empty(), "{s}");
    if expected[1].covers {
        assert!(!s.contains("FAS-1003 short"), "{s}");
        assert!(!s.contains("backordered"), "{s}");
    }

    // F10 places the order with the substitute, through the normal path.
    d.press("f10");
    assert_eq!(placed(&b), before + 1);
    let st = b.state.borrow();
    let o = st.orders.get_max().map(|(_, v)| v).unwrap();
    assert_eq!(o.customer, "C0001");
    assert_eq!(o.lines.len(), 1);
    assert_eq!(&o.lines[0].sku, second);
    assert_eq!(o.lines[0].qty, Decimal::from(100));
}

#[test]
fn f6_without_a_short_line_says_so() {
    let b = demo();
    let mut d = Driver::new(&b, Some("REP1"));
    d.open("Order entry").unwrap();
    d.typed("C0001").press("enter");
    d.press("enter")
        .press("enter")
        .press("enter")
        .press("enter");
    // CHI has FAS-1000 free: nothing short, nothing offered.
    d.typed("2*FAS-1000").press("enter");
    let s = d.screen(132, 43);
    assert!(!s.contains("substitutes") && !s.contains("short"), "{s}");
    d.press("f6");
    let s = d.screen(132, 43);
    assert!(s.contains("no line is short"), "{s}");
    let st = b.state.borrow();
    let before = st.orders.len();
    drop(st);
    assert_eq!(b.state.borrow().orders.len(), before);
}
