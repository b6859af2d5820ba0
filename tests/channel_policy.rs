//! Channel policies as governed data (issue 20): two channels of the demo's
//! CA01 side by side (retail chains: no backorders, ship complete, weekly
//! consolidated invoicing, no grace; industrial: backorders within 30
//! days, partial shipments, an invoice per shipment, a hold at 110 % of
//! the credit limit), customers' overrides within the policy's limits and
//! beyond them, and a change of a policy as a governed change.
//!
//! The demo's 2026-11-25 is a Wednesday. C0015 is a CA01 retail chain,
//! C0010 and C0040 CA01 industrial customers; Toronto has 500 FAS-1000.

use chrono::{NaiveDate, TimeZone, Utc};
use depot::core::channel::{CustomerOverrides, InvoicingPattern, Source};
use depot::core::event::{Envelope, Event};
use depot::core::sales::{Hold, OrderStatus};
use depot::core::types::{Code, ToCode};
use depot::core::{apply, execute, Command, CommandBody, Rejection, State};
use rust_decimal::Decimal;
use serde_json::json;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 15, 0, 0).unwrap()
}

fn at(day: &str) -> chrono::DateTime<Utc> {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(15, 0, 0).unwrap())
}

struct World {
    s: State,
    log: Vec<Envelope>,
}

impl World {
    fn demo() -> World {
        static DEMO: std::sync::OnceLock<(State, Vec<Envelope>)> = std::sync::OnceLock::new();
        let (s, log) = DEMO
            .get_or_init(|| {
                let mut w = World {
                    s: State::default(),
                    log: Vec::new(),
                };
                for body in depot::io::demo::commands(now().date_naive(), 0).unwrap() {
                    w.run("ADMIN", body).unwrap();
                }
                (w.s, w.log)
            })
            .clone();
        World { s, log }
    }

    fn run_at(
        &mut self,
        operator: &str,
        body: CommandBody,
        time: chrono::DateTime<Utc>,
    ) -> Result<Vec<Event>, Rejection> {
        let env = execute(
            &mut self.s,
            &Command {
                operator: operator.into(),
                session: "test".into(),
                time,
                key: None,
                body,
            },
        )?;
        let events = env.events().to_vec();
        self.log.push(env);
        Ok(events)
    }

    fn run(&mut self, operator: &str, body: CommandBody) -> Result<Vec<Event>, Rejection> {
        self.run_at(operator, body, now())
    }

    fn exec(&mut self, operator: &str, v: serde_json::Value) -> Result<Vec<Event>, Rejection> {
        self.run(operator, body(v))
    }

    fn exec_at(
        &mut self,
        operator: &str,
        v: serde_json::Value,
        day: &str,
    ) -> Result<Vec<Event>, Rejection> {
        self.run_at(operator, body(v), at(day))
    }

    /// Place an order of `qty` FAS-1000 from Toronto; its number.
    fn order(&mut self, customer: &str, qty: u32) -> Result<String, Rejection> {
        let ev = self.exec(
            "CLERK1",
            json!({"cmd": "place_order", "customer": customer,
                   "lines": [{"sku": "FAS-1000", "qty": qty.to_string(), "warehouse": "TOR"}]}),
        )?;
        match &ev[0] {
            Event::OrderPlaced(o) => Ok(o.number.to_string()),
            e => panic!("placed no order: {e:?}"),
        }
    }

    /// Release, pick, pack and ship what an order has reserved, on `day`;
    /// the shipment's number.
    fn ship(&mut self, number: &str, day: &str) -> String {
        let ev = self
            .exec_at(
                "SHIP1",
                json!({"cmd": "release_order", "number": number}),
                day,
            )
            .expect("release");
        let Event::PickListCreated(list) = &ev[0] else {
            panic!("no pick list: {ev:?}")
        };
        let list = list.clone();
        let mut total = Decimal::ZERO;
        for l in &list.lines {
            total += l.qty;
            self.exec_at(
                "PICK1",
                json!({"cmd": "confirm_pick", "list": list.number, "line": l.line,
                       "bin": l.bin, "item": l.sku, "qty": l.qty.to_string()}),
                day,
            )
            .expect("pick");
        }
        let kg = self.s.items[&"FAS-1000".to_code()].weight_kg * total;
        self.exec_at(
            "PACK1",
            json!({"cmd": "pack_carton", "list": list.number,
                   "contents": [{"item": "FAS-1000", "qty": total.to_string()}],
                   "weight": kg.to_string()}),
            day,
        )
        .expect("pack");
        let ev = self
            .exec_at(
                "SHIP1",
                json!({"cmd": "ship_pick", "list": list.number,
                       "carrier": "PUROLATOR", "service": "GND"}),
                day,
            )
            .expect("ship");
        ev.iter()
            .find_map(|e| match e {
                Event::Shipped { shipment, .. } => Some(shipment.number.clone()),
                _ => None,
            })
            .expect("a shipment")
            .to_string()
    }

    fn overrides(&mut self, customer: &str, o: serde_json::Value) -> Result<Vec<Event>, Rejection> {
        self.exec(
            "REP1",
            json!({"cmd": "set_customer_overrides", "customer": customer, "overrides": o}),
        )
    }

    fn invoiced_shipments(&self) -> Vec<Vec<Code>> {
        self.s
            .invoices
            .values_sorted()
            .into_iter()
            .map(|i| i.shipments.clone())
            .collect()
    }
}

fn body(v: serde_json::Value) -> CommandBody {
    serde_json::from_value(v).expect("a command")
}

fn names(ev: &[Event]) -> Vec<String> {
    ev.iter()
        .map(|e| {
            serde_json::to_value(e)
                .ok()
                .and_then(|v| match v {
                    serde_json::Value::Object(m) => m.keys().next().cloned(),
                    serde_json::Value::String(s) => Some(s),
                    _ => None,
                })
                .unwrap_or_default()
        })
        .collect()
}

fn retail_policy() -> Source {
    Source::ChannelPolicy {
        entity: "CA01".into(),
        channel: depot::core::master::Channel::RetailChain,
    }
}

#[test]
fn promising_retail_refuses_a_backorder_industrial_promises_within_its_horizon() {
    let mut w = World::demo();
    // 600 of 500: the retail chain takes no backorder, clearly refused.
    let err = w.order("C0015", 600).unwrap_err();
    match &err {
        Rejection::NoBackorders {
            customer,
            line,
            short,
            decided_by,
            ..
        } => {
            assert_eq!(customer, "C0015");
            assert_eq!(*line, 1);
            assert_eq!(*short, Decimal::from(100));
            assert_eq!(decided_by, "channel policy retail_chain/CA01");
        }
        other => panic!("expected no_backorders, got {other:?}"),
    }
    assert!(err.to_string().contains("100 short"), "{err}");
    assert_eq!(w.s.orders.len(), 0, "nothing placed");
    // The industrial customer gets 500 reserved and 100 promised.
    let n = w.order("C0010", 600).unwrap();
    let o = &w.s.orders[&n.to_code()];
    assert_eq!(o.status, OrderStatus::Open);
    assert_eq!(o.lines[0].reserved, Decimal::from(500));
    assert_eq!(o.lines[0].backordered, Decimal::from(100));
    let promise = o.lines[0].promise.expect("a promise");
    assert!(promise <= now().date_naive() + chrono::Duration::days(30));
    let p = &w.s.order_policies[&n.to_code()];
    assert!(p.backorders.value);
    assert_eq!(p.horizon_days.value, Some(30));
    // A horizon of 0 days (within the limit of 60) refuses what cannot
    // be had today: the promise lies beyond it.
    w.overrides("C0040", json!({"horizon_days": 0})).unwrap();
    let err = w.order("C0040", 50).unwrap_err();
    match err {
        Rejection::BeyondHorizon {
            horizon_days,
            decided_by,
            promise,
            ..
        } => {
            assert_eq!(horizon_days, 0);
            assert_eq!(decided_by, "customer override");
            assert!(promise > now().date_naive());
        }
        other => panic!("expected beyond_horizon, got {other:?}"),
    }
    // A customer without a channel policy backorders as always.
    let before = w.s.orders.len();
    assert!(w.s.channel_policies.keys().all(|(e, _)| e == "CA01"));
    let ev = w
        .exec(
            "CLERK1",
            json!({"cmd": "place_order", "customer": "C0004",
                   "lines": [{"sku": "FAS-1000", "qty": "100", "warehouse": "CHI"}]}),
        )
        .unwrap();
    assert!(names(&ev).contains(&"backordered".to_string()));
    assert!(!names(&ev).contains(&"order_policy_recorded".to_string()));
    assert_eq!(w.s.orders.len(), before + 1);
}

#[test]
fn shipping_follows_the_policy_ship_complete_or_partial_and_an_override() {
    let mut w = World::demo();
    // The retail chain ships complete by its policy.
    let n3 = w.order("C0015", 10).unwrap();
    let p = &w.s.order_policies[&n3.to_code()];
    assert!(p.ship_complete.value && !p.backorders.value);
    assert_eq!(p.ship_complete.source, retail_policy());
    // Industrial ships partial: 490 of 600 released.
    let n = w.order("C0010", 600).unwrap();
    assert_eq!(
        w.s.orders[&n.to_code()].lines[0].backordered,
        Decimal::from(110)
    );
    let ev = w
        .exec("SHIP1", json!({"cmd": "release_order", "number": n}))
        .unwrap();
    assert_eq!(names(&ev), ["pick_list_created"]);
    // C0040 overrides ship-complete (the industrial policy lets it):
    // its order waits for the backorder.
    w.overrides("C0040", json!({"ship_complete": true}))
        .unwrap();
    let n2 = w.order("C0040", 50).unwrap();
    let p = &w.s.order_policies[&n2.to_code()];
    assert!(p.ship_complete.value);
    assert_eq!(p.ship_complete.source, Source::CustomerOverride);
    let err = w
        .exec("SHIP1", json!({"cmd": "release_order", "number": n2}))
        .unwrap_err();
    assert_eq!(err.code(), "ship_complete");
}

#[test]
fn invoicing_run_invoices_each_channel_by_its_pattern() {
    let mut w = World::demo();
    let a = w.order("C0010", 10).unwrap();
    let b = w.order("C0015", 10).unwrap();
    let c = w.order("C0015", 20).unwrap();
    // Shipped on Wednesday 25 and Thursday 26 November.
    let sa = w.ship(&a, "2026-11-25");
    let sb = w.ship(&b, "2026-11-25");
    let sc = w.ship(&c, "2026-11-26");
    // Friday: the industrial shipment is invoiced alone; the retail
    // chain's week has not ended.
    let ev = w
        .exec_at(
            "AR1",
            json!({"cmd": "invoice_due", "as_of": "2026-11-27"}),
            "2026-11-27",
        )
        .unwrap();
    assert_eq!(names(&ev), ["invoiced"]);
    assert_eq!(w.invoiced_shipments(), vec![vec![sa.clone()]]);
    // Nothing more is due until the week ends.
    let err = w
        .exec_at(
            "AR1",
            json!({"cmd": "invoice_due", "as_of": "2026-11-29"}),
            "2026-11-29",
        )
        .unwrap_err();
    assert_eq!(err.code(), "nothing_due");
    // Monday: one invoice for the retail chain's week.
    let ev = w
        .exec_at(
            "AR1",
            json!({"cmd": "invoice_due", "as_of": "2026-11-30"}),
            "2026-11-30",
        )
        .unwrap();
    assert_eq!(names(&ev), ["invoiced"]);
    let mut week = w.invoiced_shipments()[1].clone();
    week.sort();
    assert_eq!(week, vec![sb, sc]);
    // The manual invoicing still works beside the run.
    let d = w.order("C0010", 5).unwrap();
    let sd = w.ship(&d, "2026-11-30");
    w.exec_at(
        "AR1",
        json!({"cmd": "invoice_shipments", "shipments": [sd]}),
        "2026-11-30",
    )
    .unwrap();
    // A retail chain invoiced on delivery (invoicing is overridable):
    // not before the delivery is confirmed.
    w.overrides("C0045", json!({"invoicing": "on_delivery"}))
        .unwrap();
    let e = w.order("C0045", 10).unwrap();
    assert_eq!(
        w.s.order_policies[&e.to_code()].invoicing.value,
        InvoicingPattern::OnDelivery
    );
    let se = w.ship(&e, "2026-11-30");
    let err = w
        .exec_at(
            "AR1",
            json!({"cmd": "invoice_due", "as_of": "2026-12-07"}),
            "2026-12-07",
        )
        .unwrap_err();
    assert_eq!(err.code(), "nothing_due");
    w.exec_at(
        "SHIP1",
        json!({"cmd": "confirm_delivery", "shipment": se, "date": "2026-12-02"}),
        "2026-12-07",
    )
    .unwrap();
    let ev = w
        .exec_at(
            "AR1",
            json!({"cmd": "invoice_due", "as_of": "2026-12-07"}),
            "2026-12-07",
        )
        .unwrap();
    assert_eq!(names(&ev), ["invoiced"]);
    assert!(w.invoiced_shipments().contains(&vec![se.into()]));
    // The log replays to the same state.
    let mut replay = State::default();
    for env in &w.log {
        apply(&mut replay, env);
    }
    assert_eq!(replay, w.s);
}

#[test]
fn credit_hold_threshold_and_grace_days_come_from_the_policy() {
    let mut w = World::demo();
    // Credit limits of 1,000 (a governed change: asked by the sales rep,
    // approved by the supervisor).
    for c in ["C0010", "C0040", "C0015"] {
        let mut rec = w.s.customers[&c.to_code()].clone();
        rec.credit_limit = Decimal::from(1000);
        w.run("REP1", CommandBody::UpdateCustomer(rec)).unwrap();
        let id = *w.s.changes.keys().next_back().unwrap();
        w.run("SUP1", CommandBody::ApproveChange { id }).unwrap();
        assert_eq!(
            w.s.customers[&c.to_code()].credit_limit,
            Decimal::from(1000)
        );
    }
    // 17 FAS-1000 at 53.98 = 917.66 and 13 % HST 119.30 = 1,036.96 as
    // the credit check counts it (with tax, as the open AR it joins):
    // over the limit, under 110 %.
    let n = w.order("C0010", 17).unwrap();
    let o = &w.s.orders[&n.to_code()];
    assert_eq!(o.value(), Decimal::new(91766, 2));
    assert_eq!(
        depot::core::sales::credit_value(&w.s, &w.s.customers[&"C0010".to_code()], o),
        Decimal::new(103696, 2)
    );
    assert!(
        w.s.orders[&n.to_code()].holds.is_empty(),
        "industrial: held at 110 %"
    );
    assert_eq!(
        w.s.order_policies[&n.to_code()].hold_threshold_pct.value,
        Decimal::from(110)
    );
    let n = w.order("C0015", 17).unwrap();
    assert_eq!(
        w.s.orders[&n.to_code()].holds,
        vec![Hold::Credit],
        "retail: at 100 %"
    );
    // An industrial customer brought back to 100 % by its override.
    w.overrides("C0040", json!({"hold_threshold_pct": "100"}))
        .unwrap();
    let n = w.order("C0040", 17).unwrap();
    assert_eq!(w.s.orders[&n.to_code()].holds, vec![Hold::Credit]);
    // Grace days: the retail chain's policy gives none although its
    // record says 10.
    let c = &w.s.customers[&"C0015".to_code()];
    assert_eq!(c.grace_days, 10);
    let eff = depot::core::channel::effective(&w.s, c);
    assert_eq!(eff.grace_days.value, 0);
    assert_eq!(eff.grace_days.source, retail_policy());
    // Within its limit of 5 a customer may get more.
    w.overrides("C0015", json!({"grace_days": 5})).unwrap();
    let eff = depot::core::channel::effective(&w.s, &w.s.customers[&"C0015".to_code()]);
    assert_eq!(eff.grace_days.value, 5);
    assert_eq!(eff.grace_days.source, Source::CustomerOverride);
}

/// SPEC: credit check = open AR + open orders + this order vs limit. The
/// open AR is invoices with their tax, so the orders are counted with the
/// tax their invoices will carry: goods under the limit whose invoice
/// would not be are held (the counter, which invoices at once, already
/// counted the tax, so a customer it refused was taken as an order). A
/// customer with a tax exemption is counted on goods alone.
#[test]
fn the_credit_check_counts_the_tax_an_orders_invoice_will_carry() {
    let mut w = World::demo();
    for c in ["C0015", "C0040"] {
        let mut rec = w.s.customers[&c.to_code()].clone();
        rec.credit_limit = Decimal::from(1000);
        if c == "C0040" {
            rec.tax_exempt_cert = "ON-EX-1".into();
        }
        w.run("REP1", CommandBody::UpdateCustomer(rec)).unwrap();
        if let Some(id) = w.s.changes.keys().next_back().copied() {
            let _ = w.run("SUP1", CommandBody::ApproveChange { id });
        }
        assert_eq!(
            w.s.customers[&c.to_code()].credit_limit,
            Decimal::from(1000)
        );
    }
    w.overrides("C0040", json!({"hold_threshold_pct": "100"}))
        .unwrap();
    // 18 at 53.98 = 971.64: under 1,000; with 13 % HST 1,097.95.
    let n = w.order("C0015", 18).unwrap();
    let o = &w.s.orders[&n.to_code()];
    assert_eq!(o.value(), Decimal::new(97164, 2));
    assert_eq!(o.holds, vec![Hold::Credit]);
    // The exception says the exposure as the check counted it.
    let x =
        w.s.exceptions
            .values()
            .find(|x| x.summary.starts_with("C0015"))
            .expect("a credit hold exception");
    assert_eq!(x.amount, Decimal::new(109795, 2), "{}", x.summary);
    // Exempt: the same goods confirm, and its exposure counts no tax.
    let n = w.order("C0040", 18).unwrap();
    let o = &w.s.orders[&n.to_code()];
    assert!(o.holds.is_empty(), "{:?}", o.holds);
    let c = &w.s.customers[&"C0040".to_code()];
    assert_eq!(
        depot::core::sales::credit_value(&w.s, c, o),
        Decimal::new(97164, 2)
    );
    // A change that adds goods counts their tax too: C0010 (limit 1,000)
    // has 16 on order, 863.68 and tax 975.96; one more is 917.66 of goods,
    // under the limit, but 1,036.96 with its tax: refused, nothing changed.
    let mut rec = w.s.customers[&"C0010".to_code()].clone();
    rec.credit_limit = Decimal::from(1000);
    w.run("REP1", CommandBody::UpdateCustomer(rec)).unwrap();
    if let Some(id) = w.s.changes.keys().next_back().copied() {
        let _ = w.run("SUP1", CommandBody::ApproveChange { id });
    }
    w.overrides("C0010", json!({"hold_threshold_pct": "100"}))
        .unwrap();
    let n = w.order("C0010", 16).unwrap();
    assert!(w.s.orders[&n.to_code()].holds.is_empty());
    let before = w.s.orders[&n.to_code()].clone();
    let r = w.exec(
        "CLERK1",
        json!({"cmd": "change_order_line", "number": n, "line": 1, "qty": "17"}),
    );
    let e = r.expect_err("over the limit with its tax");
    assert!(e.to_string().contains("over the credit limit"), "{e}");
    assert_eq!(w.s.orders[&n.to_code()], before);
}

#[test]
fn an_override_beyond_the_policy_limits_is_refused_and_changes_nothing() {
    let mut w = World::demo();
    let before = w.s.clone();
    for (customer, o, field) in [
        ("C0015", json!({"grace_days": 10}), "grace_days"),
        ("C0015", json!({"ship_complete": false}), "ship_complete"),
        ("C0015", json!({"backorders": true}), "backorders"),
        ("C0015", json!({"must_arrive_days": 2}), "must_arrive_days"),
        (
            "C0010",
            json!({"hold_threshold_pct": "150"}),
            "hold_threshold_pct",
        ),
        ("C0010", json!({"horizon_days": 90}), "horizon_days"),
    ] {
        match w.overrides(customer, o).unwrap_err() {
            Rejection::OverrideBeyondLimit {
                customer: c,
                field: f,
                ..
            } => {
                assert_eq!(c, customer);
                assert_eq!(f, field);
            }
            other => panic!("{field}: expected override_beyond_limit, got {other:?}"),
        }
    }
    let err = w.overrides("C0015", json!({"grace_days": 10})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "customer C0015 may not have grace_days 10: channel policy retail_chain/CA01 allows at most 5"
    );
    // A customer whose channel has no policy has nothing to override.
    assert_eq!(
        w.overrides("C0001", json!({"grace_days": 1}))
            .unwrap_err()
            .code(),
        "no_channel_policy"
    );
    assert_eq!(w.s, before);
    // A customer moved to a channel without a policy keeps no override.
    w.overrides("C0010", json!({"grace_days": 15})).unwrap();
    let mut moved = w.s.customers[&"C0010".to_code()].clone();
    moved.channel = depot::core::master::Channel::Field;
    assert_eq!(
        w.run("REP1", CommandBody::UpdateCustomer(moved))
            .unwrap_err()
            .code(),
        "no_channel_policy"
    );
}

#[test]
fn a_policy_change_is_governed_and_the_order_keeps_what_decided_it() {
    let mut w = World::demo();
    let n = w.order("C0010", 10).unwrap();
    let life = depot::query::order::order_life(&w.s, &n).unwrap();
    let text = life.policy.expect("recorded").lines().join("\n");
    assert!(
        text.contains("backorders: yes (channel policy industrial/CA01)"),
        "{text}"
    );
    assert!(text.contains("invoicing: per_shipment (channel policy industrial/CA01)"));
    // The controller changes the industrial policy to weekly invoicing.
    let mut p =
        w.s.channel_policies[&("CA01".to_code(), depot::core::master::Channel::Industrial)].clone();
    p.invoicing = InvoicingPattern::WeeklyConsolidated;
    // A picker may not.
    assert_eq!(
        w.run("PICK1", CommandBody::UpdateChannelPolicy(p.clone()))
            .unwrap_err()
            .code(),
        "not_permitted"
    );
    let ev = w
        .run("CTRL1", CommandBody::UpdateChannelPolicy(p.clone()))
        .unwrap();
    assert_eq!(names(&ev), ["change_requested"]);
    let id = *w.s.changes.keys().next_back().unwrap();
    // Not in force until approved, and not by who asked.
    assert_eq!(
        w.s.channel_policies[&("CA01".to_code(), depot::core::master::Channel::Industrial)]
            .invoicing,
        InvoicingPattern::PerShipment
    );
    assert_eq!(
        w.run("CTRL1", CommandBody::ApproveChange { id })
            .unwrap_err()
            .code(),
        "own_change"
    );
    let ev = w.run("SUP1", CommandBody::ApproveChange { id }).unwrap();
    assert_eq!(names(&ev), ["change_approved", "channel_policy_set"]);
    // New orders follow it; the earlier order keeps what decided it.
    let m = w.order("C0010", 10).unwrap();
    assert_eq!(
        w.s.order_policies[&m.to_code()].invoicing.value,
        InvoicingPattern::WeeklyConsolidated
    );
    assert_eq!(
        w.s.order_policies[&n.to_code()].invoicing.value,
        InvoicingPattern::PerShipment
    );
    // A tighter limit than a customer's override is refused by name.
    w.overrides("C0010", json!({"grace_days": 15})).unwrap();
    let mut tighter = p.clone();
    tighter.limits.grace_days_max = Some(12);
    match w
        .run("CTRL1", CommandBody::UpdateChannelPolicy(tighter))
        .unwrap_err()
    {
        Rejection::OverrideBeyondLimit { customer, .. } => assert_eq!(customer, "C0010"),
        other => panic!("expected override_beyond_limit, got {other:?}"),
    }
    // A limit below the policy's own grace days is refused, naming both.
    let mut below = p.clone();
    below.grace_days = 10;
    below.limits.grace_days_max = Some(7);
    match w
        .run("CTRL1", CommandBody::UpdateChannelPolicy(below))
        .unwrap_err()
    {
        Rejection::OutOfRange {
            field, value, min, ..
        } => assert_eq!(
            (field.as_str(), value.as_str(), min.as_str()),
            ("limits.grace_days_max", "7", "10")
        ),
        other => panic!("expected out_of_range, got {other:?}"),
    }
    // Creating a second policy for the same channel is refused.
    assert_eq!(
        w.run("CTRL1", CommandBody::CreateChannelPolicy(p))
            .unwrap_err()
            .code(),
        "already_exists"
    );
    // And the invariants hold.
    depot::core::invariants::check_state(&w.s).expect("invariants hold");
    let _ = CustomerOverrides::default();
}
