//! Replenishment worked by hand: four weeks of counter sales of FAS-1001
//! at CHI, a reorder-point policy at 95 % service, the suggestion's every
//! figure checked, then the buyer accepts it (a draft PO carrying the
//! reason), changes it and sends it, and the suggestion goes away because
//! the goods are on order.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use depot::core::replenish::{suggestions, weekly_demand};
use depot::core::types::ToCode;
use depot::core::{execute, Command, CommandBody, State};
use rust_decimal_macros::dec;
use serde_json::json;

fn at(d: &str) -> DateTime<Utc> {
    let d = NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(9, 0, 0).unwrap())
}

fn run(s: &mut State, operator: &str, when: &str, body: serde_json::Value) -> Vec<String> {
    let body: CommandBody = serde_json::from_value(body).expect("a command");
    let cmd = Command {
        operator: operator.into(),
        session: "test".into(),
        time: at(when),
        key: None,
        body,
    };
    let env = execute(s, &cmd).unwrap_or_else(|r| panic!("{r}"));
    env.events()
        .iter()
        .map(|e| match serde_json::to_value(e).unwrap() {
            serde_json::Value::Object(m) => m.keys().next().cloned().unwrap_or_default(),
            other => other.to_string(),
        })
        .collect()
}

fn refused(s: &mut State, operator: &str, when: &str, body: serde_json::Value) -> String {
    let body: CommandBody = serde_json::from_value(body).expect("a command");
    let cmd = Command {
        operator: operator.into(),
        session: "test".into(),
        time: at(when),
        key: None,
        body,
    };
    match execute(s, &cmd) {
        Ok(_) => panic!("expected a refusal"),
        Err(r) => r.code().to_string(),
    }
}

fn demo() -> State {
    let mut s = State::default();
    let today = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    // The demo's own policies are left out: these tests set their own.
    for body in depot::io::demo::commands(today, 0)
        .unwrap()
        .into_iter()
        .filter(|b| !matches!(b, CommandBody::CreateReplenishmentPolicy(_)))
    {
        let cmd = Command {
            operator: "ADMIN".into(),
            session: "test".into(),
            time: at("2026-10-01"),
            key: None,
            body,
        };
        execute(&mut s, &cmd).unwrap();
    }
    s
}

fn sale(s: &mut State, when: &str, qty: u32) {
    run(
        s,
        "CLERK1",
        when,
        json!({"cmd": "counter_sale", "customer": "C0006", "warehouse": "CHI",
               "lines": [{"sku": "FAS-1001", "qty": qty.to_string()}],
               "payment": {"method": "cash"}}),
    );
}

#[test]
fn a_reorder_point_from_demand_history_becomes_a_draft_po() {
    let mut s = demo();
    // Weeks from Monday 26 Oct, 2 Nov, 9 Nov (nothing) and 16 Nov 2026.
    sale(&mut s, "2026-10-28", 10);
    sale(&mut s, "2026-11-04", 12);
    sale(&mut s, "2026-11-06", 8);
    sale(&mut s, "2026-11-18", 14);
    // This week's sale is not a complete week: the forecast ignores it.
    sale(&mut s, "2026-11-24", 1);
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    // Weekly 10, 20, 0, 14: mean 11, sample variance 212/3, sd 8.4063.
    assert_eq!(
        weekly_demand(&s, "CHI", "FAS-1001", 4, today),
        (dec!(11), dec!(8.4063))
    );
    assert!(suggestions(&s, today, None).is_empty(), "no policy yet");
    run(
        &mut s,
        "BUY1",
        "2026-11-25",
        json!({"cmd": "create_replenishment_policy", "warehouse": "CHI", "sku": "FAS-1001",
               "method": "reorder_point", "service_level_pct": "95", "review_days": 7,
               "history_weeks": 4, "supplier": "V001"}),
    );
    let list = suggestions(&s, today, None);
    assert_eq!(list.len(), 1);
    let g = &list[0];
    // V001's lead times observed: 2, 4, 2, 5, 4, 6: mean 3.83, 4 days.
    assert_eq!(g.lead_time_days, 4);
    // SS = 1.6449 x 8.4063 x sqrt(4/7) = 10.4527 -> 11 (boxes are whole).
    assert_eq!(g.safety_stock, dec!(11));
    // ROP = 11 x 4/7 + 11 = 17.29 -> 18; up to 18 + 11 x 7/7 = 29.
    assert_eq!(g.reorder_point, dec!(18));
    assert_eq!(g.order_up_to, dec!(29));
    // 60 on hand less 45 sold: 15; nothing reserved, backordered or on order.
    assert_eq!(g.position, dec!(15));
    // 29 - 15 = 14 boxes: one case of 24.
    assert_eq!(
        (g.unit.as_str(), g.unit_qty, g.qty),
        ("CASE", dec!(1), dec!(24))
    );
    assert_eq!(g.supplier.as_deref(), Some("V001"));
    assert!(g.reason.contains("reorder point 18"), "{}", g.reason);

    // The report shows it, grouped by supplier.
    let t = depot::report::build("replenishment", &s, None, today).unwrap();
    assert_eq!(t.rows.len(), 1);
    assert_eq!(t.rows[0][0], "V001");

    // A suggestion of another supplier, or twice the same item, is refused.
    assert_eq!(
        refused(
            &mut s,
            "BUY1",
            "2026-11-25",
            json!({"cmd": "accept_replenishment", "supplier": "V002", "warehouse": "CHI",
                   "lines": [{"sku": "FAS-1001"}]})
        ),
        "not_found"
    );
    assert_eq!(
        refused(
            &mut s,
            "BUY1",
            "2026-11-25",
            json!({"cmd": "accept_replenishment", "supplier": "V001", "warehouse": "CHI",
                   "lines": [{"sku": "FAS-1001"}, {"sku": "FAS-1001"}]})
        ),
        "duplicate"
    );
    let ev = run(
        &mut s,
        "BUY1",
        "2026-11-25",
        json!({"cmd": "accept_replenishment", "supplier": "V001", "warehouse": "CHI",
               "lines": [{"sku": "FAS-1001"}]}),
    );
    assert_eq!(ev, ["purchase_order_created"]);
    let po = &s.purchase_orders[&"PO-000001".to_code()];
    assert_eq!(
        serde_json::to_value(po.status).unwrap(),
        json!("draft"),
        "accepted suggestions make a draft"
    );
    assert_eq!(po.lines[0].qty, dec!(24));
    assert!(po.lines[0].reason.contains("reorder point 18"));
    // On order now: no suggestion, and a draft is not a scheduled receipt.
    assert!(suggestions(&s, today, None).is_empty());
    assert!(s.index.open_pos.is_empty());
    // Nothing is received on a draft.
    assert_eq!(
        refused(
            &mut s,
            "RECV1",
            "2026-11-25",
            json!({"cmd": "receive_purchase", "po": "PO-000001", "bin": "DOCK-1",
                   "lines": [{"item": "FAS-1001", "qty": "1"}]})
        ),
        "purchase_state"
    );
    // The buyer makes it two cases, then sends it: within the limit, open.
    run(
        &mut s,
        "BUY1",
        "2026-11-25",
        json!({"cmd": "change_purchase_order_line", "number": "PO-000001", "line": 1, "qty": "2"}),
    );
    assert_eq!(
        serde_json::to_value(s.purchase_orders[&"PO-000001".to_code()].status).unwrap(),
        json!("draft")
    );
    let ev = run(
        &mut s,
        "BUY1",
        "2026-11-25",
        json!({"cmd": "submit_purchase_order", "number": "PO-000001"}),
    );
    assert_eq!(ev, ["purchase_order_submitted"]);
    assert!(s.index.open_pos.contains(&"PO-000001".to_code()));
    assert_eq!(
        refused(
            &mut s,
            "BUY1",
            "2026-11-25",
            json!({"cmd": "submit_purchase_order", "number": "PO-000001"})
        ),
        "purchase_state"
    );
    depot::core::invariants::check_state(&s).unwrap();
}

#[test]
fn min_max_orders_up_to_max_and_counts_backorders() {
    let mut s = demo();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    run(
        &mut s,
        "BUY1",
        "2026-11-25",
        json!({"cmd": "create_replenishment_policy", "warehouse": "CHI", "sku": "FAS-1001",
               "method": "min_max", "min": "60", "max": "200"}),
    );
    // 60 on hand, at min: 140 boxes, 6 cases (144).
    let g = &suggestions(&s, today, None)[0];
    assert_eq!(
        (g.position, g.unit_qty, g.qty),
        (dec!(60), dec!(6), dec!(144))
    );
    // A max not above min is refused.
    assert_eq!(
        refused(
            &mut s,
            "BUY1",
            "2026-11-25",
            json!({"cmd": "update_replenishment_policy", "warehouse": "CHI", "sku": "FAS-1001",
                   "method": "min_max", "min": "60", "max": "60"})
        ),
        "out_of_range"
    );
    // A policy for an unknown item is refused.
    assert_eq!(
        refused(
            &mut s,
            "BUY1",
            "2026-11-25",
            json!({"cmd": "create_replenishment_policy", "warehouse": "CHI", "sku": "NOPE",
                   "method": "min_max", "min": "1", "max": "2"})
        ),
        "not_found"
    );
    depot::core::invariants::check_state(&s).unwrap();
}
