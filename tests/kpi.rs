//! KPIs live from the event stream (issue 23): a small history submitted
//! command by command on the demo distributor, and every KPI's value
//! checked against the number worked out by hand below (never by the code
//! under test). Then the KPIs a replay of the log rebuilds equal the live
//! ones.
//!
//! The demo is made on 2026-10-01 (opening stock dated then; US01 is on
//! Chicago time, every command runs at 15:00 UTC = 10:00 in Chicago, so
//! the business date is the day named). US01 costs FAS-1000 at 34.09 (560
//! in stock, all at 34.09) and FAS-1001 at 37.79 (CHI 60, DAL 60).
//! Customer C0004 (Harbor Steel, US01, industrial, Plano TX: TX-STD 8.25 %,
//! freight collect); C0001 (Lakeside Fabrication, US01, field, Dallas TX,
//! 8.25 %). Prices are manual: FAS-1000 at 50.00, FAS-1001 at 100.00.
//!
//! History (dates are business dates):
//! - A = SO-000001, C0004, placed 10-01, 10 FAS-1000 DAL, requested 10-01;
//!   shipped 10-01 complete; IN-000001 10-01: 500.00 + tax 41.25 = 541.25,
//!   paid in full 10-10. Perfect; cycle 0 days.
//! - B = SO-000002, C0004, placed 10-02, 20 FAS-1000 DAL, requested 10-05;
//!   shipped 10-07 complete but late; IN-000002 10-07: 1,000.00 + 82.50 =
//!   1,082.50; paid 1,000.00 on 10-20 "settle": 82.50 short, above the
//!   5.00 tolerance, so disputed. Not perfect; cycle 5 days.
//! - C = SO-000003, C0004, placed 10-08, requested 10-15: line 1 5 FAS-1000
//!   DAL, line 2 70 FAS-1001 CHI (60 in stock: 10 backordered). Both pick
//!   lists shipped 10-09: line 1 complete, line 2 60 of 70. IN-000003 10-09
//!   for both: 250.00 + 6,000.00 = 6,250.00, tax 8.25 % = 515.625 ->
//!   515.63, total 6,765.63, unpaid. Line 2 cut to 60 on 10-12: the order
//!   completes then, not perfect (its first shipment was short); cycle
//!   10-09 - 10-08 = 1 day.
//! - D = SO-000004, C0001, placed 11-02, 4 FAS-1000 DAL, shipped and
//!   invoiced 11-02 (IN-000004: 200.00 + 16.50 = 216.50); one box returned
//!   and restocked 11-03 (credit memo 50.00 + 4.13; cost back 34.09): it
//!   completed perfect, and the credit memo takes that back.
//! - Counts in DAL on 11-04 of FAS-1001: B-03-03 (book 12) counted 12,
//!   accurate; R-01-02 (book 48) counted 47, recounted 47: variance.
//! - US01 closes FY2026-10 on 11-05: 5 days after its last day (10-31).

use chrono::{NaiveDate, TimeZone, Utc};
use depot::core::event::{Envelope, Event};
use depot::core::kpi::{self, Dim, Kpi};
use depot::core::types::Code;
use depot::core::types::ToCode;
use depot::core::{apply, execute, Command, CommandBody, Rejection, State};
use rust_decimal::Decimal;
use serde_json::json;

fn at(day: &str) -> chrono::DateTime<Utc> {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(15, 0, 0).unwrap())
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

struct World {
    s: State,
    log: Vec<Envelope>,
}

impl World {
    fn demo() -> World {
        let mut w = World {
            s: State::default(),
            log: Vec::new(),
        };
        for body in depot::io::demo::commands(day("2026-10-01"), 0).unwrap() {
            w.run("ADMIN", body, "2026-10-01").unwrap();
        }
        w
    }

    fn run(&mut self, operator: &str, body: CommandBody, d: &str) -> Result<Vec<Event>, Rejection> {
        let env = execute(
            &mut self.s,
            &Command {
                operator: operator.into(),
                session: "test".into(),
                time: at(d),
                key: None,
                body,
            },
        )?;
        let events = env.events().to_vec();
        self.log.push(env);
        Ok(events)
    }

    fn exec(&mut self, operator: &str, v: serde_json::Value, d: &str) -> Vec<Event> {
        let what = v.to_string();
        self.run(operator, serde_json::from_value(v).expect("a command"), d)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    /// Place an order; its number.
    fn order(
        &mut self,
        customer: &str,
        lines: serde_json::Value,
        requested: &str,
        d: &str,
    ) -> String {
        let ev = self.exec(
            "CLERK1",
            json!({"cmd": "place_order", "customer": customer, "requested": requested,
                   "lines": lines}),
            d,
        );
        match &ev[0] {
            Event::OrderPlaced(o) => o.number.to_string(),
            e => panic!("placed no order: {e:?}"),
        }
    }

    /// Release an order and pick, pack and ship every pick list in full
    /// on `d`; the shipments.
    fn ship(&mut self, number: &str, d: &str) -> Vec<Code> {
        let ev = self.exec(
            "SHIP1",
            json!({"cmd": "release_order", "number": number}),
            d,
        );
        let lists: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                Event::PickListCreated(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        assert!(!lists.is_empty(), "no pick list: {ev:?}");
        let mut out = Vec::new();
        for list in lists {
            let mut contents = Vec::new();
            let mut kg = Decimal::ZERO;
            for l in &list.lines {
                self.exec(
                    "PICK1",
                    json!({"cmd": "confirm_pick", "list": list.number, "line": l.line,
                           "bin": l.bin, "item": l.sku, "qty": l.qty.to_string()}),
                    d,
                );
                kg += self.s.items[&l.sku].weight_kg * l.qty;
                contents.push(json!({"item": l.sku, "qty": l.qty.to_string()}));
            }
            self.exec(
                "PACK1",
                json!({"cmd": "pack_carton", "list": list.number, "contents": contents,
                       "weight": kg.to_string()}),
                d,
            );
            let ev = self.exec(
                "SHIP1",
                json!({"cmd": "ship_pick", "list": list.number, "carrier": "ODFL",
                       "service": "LTL"}),
                d,
            );
            out.extend(ev.iter().filter_map(|e| match e {
                Event::Shipped { shipment, .. } => Some(shipment.number.clone()),
                _ => None,
            }));
        }
        out
    }

    fn invoice(&mut self, shipments: &[Code], d: &str) -> String {
        let ev = self.exec(
            "AR1",
            json!({"cmd": "invoice_shipments", "shipments": shipments}),
            d,
        );
        match &ev[0] {
            Event::Invoiced { invoice, .. } => invoice.number.to_string(),
            e => panic!("no invoice: {e:?}"),
        }
    }

    fn kpi(&self, dim: Dim, key: &str, month: &str, k: Kpi) -> Option<Decimal> {
        let i = Kpi::ALL.iter().position(|x| *x == k).unwrap();
        kpi::values(&self.s, dim, key, day(month))[i]
    }
}

fn history() -> World {
    let mut w = World::demo();
    // A: complete, on time, paid: perfect.
    let a = w.order(
        "C0004",
        json!([{"sku": "FAS-1000", "qty": "10", "warehouse": "DAL", "price": "50.00"}]),
        "2026-10-01",
        "2026-10-01",
    );
    let sa = w.ship(&a, "2026-10-01");
    let ia = w.invoice(&sa, "2026-10-01");
    assert_eq!(w.s.invoices[&ia.to_code()].total, dec("541.25"));
    w.exec(
        "AR1",
        json!({"cmd": "receive_payment", "customer": "C0004", "method": "transfer",
               "amount": "541.25", "apply": [{"invoice": ia, "amount": "541.25"}]}),
        "2026-10-10",
    );
    // B: complete but two days late, then short paid and disputed.
    let b = w.order(
        "C0004",
        json!([{"sku": "FAS-1000", "qty": "20", "warehouse": "DAL", "price": "50.00"}]),
        "2026-10-05",
        "2026-10-02",
    );
    let sb = w.ship(&b, "2026-10-07");
    let ib = w.invoice(&sb, "2026-10-07");
    assert_eq!(w.s.invoices[&ib.to_code()].total, dec("1082.50"));
    w.exec(
        "AR1",
        json!({"cmd": "receive_payment", "customer": "C0004", "method": "transfer",
               "amount": "1000.00",
               "apply": [{"invoice": ib, "amount": "1000.00", "settle": true}]}),
        "2026-10-20",
    );
    assert_eq!(w.s.invoices[&ib.to_code()].disputed, dec("82.50"));
    // C: two warehouses, line 2 partly backordered and shipped short.
    let c = w.order(
        "C0004",
        json!([{"sku": "FAS-1000", "qty": "5", "warehouse": "DAL", "price": "50.00"},
               {"sku": "FAS-1001", "qty": "70", "warehouse": "CHI", "price": "100.00"}]),
        "2026-10-15",
        "2026-10-08",
    );
    let sc = w.ship(&c, "2026-10-09");
    assert_eq!(sc.len(), 2, "one shipment per warehouse");
    let ic = w.invoice(&sc, "2026-10-09");
    assert_eq!(w.s.invoices[&ic.to_code()].total, dec("6765.63"));
    w.exec(
        "REP1",
        json!({"cmd": "change_order_line", "number": c, "line": 2, "qty": "60"}),
        "2026-10-12",
    );
    // D: November, perfect until the return's credit memo.
    let d = w.order(
        "C0001",
        json!([{"sku": "FAS-1000", "qty": "4", "warehouse": "DAL", "price": "50.00"}]),
        "2026-11-02",
        "2026-11-02",
    );
    let sd = w.ship(&d, "2026-11-02");
    let id = w.invoice(&sd, "2026-11-02");
    assert_eq!(w.s.invoices[&id.to_code()].total, dec("216.50"));
    // Perfect so far: 1 of 1 in November.
    assert_eq!(
        w.kpi(Dim::Customer, "C0001", "2026-11-01", Kpi::PerfectOrder),
        Some(dec("100.0"))
    );
    w.exec(
        "CLERK1",
        json!({"cmd": "authorize_return", "invoice": id, "reason": "one too many",
               "lines": [{"line": 1, "qty": "1", "disposition": "restock"}]}),
        "2026-11-03",
    );
    let rma = w.s.returns.keys().next_back().unwrap().clone();
    w.exec(
        "RECV1",
        json!({"cmd": "receive_return", "rma": rma, "bin": "B-02-05"}),
        "2026-11-03",
    );
    assert!(!w.s.credit_memos.is_empty(), "the return was credited");
    // Counts in DAL.
    w.exec(
        "CTRL1",
        json!({"cmd": "schedule_counts", "warehouse": "DAL", "skus": ["FAS-1001"]}),
        "2026-11-04",
    );
    let count_of = |w: &World, bin: &str| {
        w.s.counts
            .values()
            .find(|c| c.warehouse == "DAL" && c.bin == bin && c.sku == "FAS-1001")
            .map(|c| c.number.clone())
            .expect("a count")
    };
    let right = count_of(&w, "B-03-03");
    let off = count_of(&w, "R-01-02");
    w.exec(
        "RECV1",
        json!({"cmd": "enter_count", "count": right, "qty": "12"}),
        "2026-11-04",
    );
    w.exec(
        "RECV1",
        json!({"cmd": "enter_count", "count": off, "qty": "47"}),
        "2026-11-04",
    );
    w.exec(
        "ADMIN",
        json!({"cmd": "enter_count", "count": off, "qty": "47", "reason": "theft"}),
        "2026-11-04",
    );
    // October closes on November 5th.
    w.exec(
        "CTRL1",
        json!({"cmd": "close_period", "entity": "US01", "period": "FY2026-10"}),
        "2026-11-05",
    );
    w
}

#[test]
fn every_kpi_equals_its_hand_computed_value_and_replays_the_same() {
    let w = history();
    let oct = "2026-10-01";
    let nov = "2026-11-01";
    let c4 = |k| w.kpi(Dim::Customer, "C0004", oct, k);
    // Perfect orders of C0004 completed in October: A, B (10-07), C
    // (10-12); only A perfect: 1 / 3 = 33.33.. -> 33.3 %.
    assert_eq!(c4(Kpi::PerfectOrder), Some(dec("33.3")));
    // Cycle: A 10-01 -> 10-01 = 0, B 10-02 -> 10-07 = 5, C 10-08 -> 10-09
    // = 1: 6 / 3 = 2.0 days.
    assert_eq!(c4(Kpi::CycleTime), Some(dec("2.0")));
    // Lines first shipped: A 10/10, B 20/20, C1 5/5, C2 60/70: 3 of 4
    // complete = 75.0 %; units 10 + 20 + 5 + 60 = 95 of 10 + 20 + 5 + 70 =
    // 105: 90.476.. -> 90.5 %.
    assert_eq!(c4(Kpi::LineFill), Some(dec("75.0")));
    assert_eq!(c4(Kpi::UnitFill), Some(dec("90.5")));
    // Shipments: A on time (10-01 <= 10-01), B late (10-07 > 10-05), C's
    // two on time (10-09 <= 10-15): 3 / 4 = 75.0 %.
    assert_eq!(c4(Kpi::OnTime), Some(dec("75.0")));
    // Revenue 500 + 1,000 + 250 + 6,000 = 7,750.00; COGS 10, 20 and 5 x
    // 34.09 = 340.90 + 681.80 + 170.45, and 60 x 37.79 = 2,267.40: total
    // 3,460.55; margin 4,289.45 / 7,750.00 = 55.347.. -> 55.3 %.
    assert_eq!(c4(Kpi::GrossMargin), Some(dec("55.3")));
    // Invoices issued in October: IN-1, IN-2, IN-3; IN-2 disputed: 33.3 %.
    assert_eq!(c4(Kpi::DisputeRate), Some(dec("33.3")));
    // DSO: AR at October's end 541.25 + 1,082.50 + 6,765.63 - 541.25 -
    // 1,000.00 = 6,848.13 (the disputed 82.50 is still owed); credit sales
    // 541.25 + 1,082.50 + 6,765.63 = 8,389.38; 6,848.13 / 8,389.38 x 31 =
    // 25.304.. -> 25.3 days.
    assert_eq!(c4(Kpi::Dso), Some(dec("25.3")));
    // No count and no close is a customer's: shown as "—".
    assert_eq!(c4(Kpi::InventoryAccuracy), None);
    assert_eq!(c4(Kpi::CloseCycle), None);
    // November: no sales of C0004, so no DSO (zero denominator).
    assert_eq!(w.kpi(Dim::Customer, "C0004", nov, Kpi::Dso), None);

    // Its channel (US01 industrial) had nobody else: the same figures.
    let ch = |k| w.kpi(Dim::Channel, "US01/industrial", oct, k);
    assert_eq!(ch(Kpi::PerfectOrder), Some(dec("33.3")));
    assert_eq!(ch(Kpi::GrossMargin), Some(dec("55.3")));

    // By warehouse in October. DAL shipped A, B and C's line 1: on time 2
    // of 3 = 66.7 %; its lines all complete: 3 / 3 = 100.0 %; revenue
    // 500 + 1,000 + 250 = 1,750.00, COGS 340.90 + 681.80 + 170.45 =
    // 1,193.15, margin 556.85 / 1,750.00 = 31.82 -> 31.8 %. Orders count
    // in the warehouse of their first line: A, B, C all DAL: 1 / 3.
    let dal = |k| w.kpi(Dim::Warehouse, "DAL", oct, k);
    assert_eq!(dal(Kpi::OnTime), Some(dec("66.7")));
    assert_eq!(dal(Kpi::LineFill), Some(dec("100.0")));
    assert_eq!(dal(Kpi::GrossMargin), Some(dec("31.8")));
    assert_eq!(dal(Kpi::PerfectOrder), Some(dec("33.3")));
    // CHI: one shipment, on time; its line 60 of 70 = 85.714.. -> 85.7 %;
    // margin (6,000.00 - 2,267.40) / 6,000.00 = 62.21 -> 62.2 %.
    let chi = |k| w.kpi(Dim::Warehouse, "CHI", oct, k);
    assert_eq!(chi(Kpi::OnTime), Some(dec("100.0")));
    assert_eq!(chi(Kpi::LineFill), Some(dec("0.0")));
    assert_eq!(chi(Kpi::UnitFill), Some(dec("85.7")));
    assert_eq!(chi(Kpi::GrossMargin), Some(dec("62.2")));
    assert_eq!(
        chi(Kpi::PerfectOrder),
        None,
        "no order's first line is in CHI"
    );

    // November, C0001: D completed perfect, then its credit memo took
    // that back: 0 / 1 = 0.0 %. Revenue 200.00 - 50.00 = 150.00; COGS 4 x
    // 34.09 = 136.36 less 34.09 restocked = 102.27; margin 47.73 / 150.00
    // = 31.82 -> 31.8 %. Invoices 1, none disputed: 0.0 %.
    let c1 = |k| w.kpi(Dim::Customer, "C0001", nov, k);
    assert_eq!(c1(Kpi::PerfectOrder), Some(dec("0.0")));
    assert_eq!(c1(Kpi::GrossMargin), Some(dec("31.8")));
    assert_eq!(c1(Kpi::DisputeRate), Some(dec("0.0")));
    assert_eq!(c1(Kpi::OnTime), Some(dec("100.0")));
    // DSO: AR at November's end 216.50 - 54.13 (the credit memo: 50.00 +
    // 4.13 tax, taken off the open invoice) = 162.37; credit sales 216.50;
    // 162.37 / 216.50 x 30 = 22.499.. -> 22.5 days.
    assert_eq!(c1(Kpi::Dso), Some(dec("22.5")));

    // Inventory accuracy in DAL, November: 2 counts, 1 where the book was
    // right: 50.0 %; the entity the same (no other count).
    assert_eq!(
        w.kpi(Dim::Warehouse, "DAL", nov, Kpi::InventoryAccuracy),
        Some(dec("50.0"))
    );
    assert_eq!(
        w.kpi(Dim::Entity, "US01", nov, Kpi::InventoryAccuracy),
        Some(dec("50.0"))
    );
    // Close cycle: FY2026-10 ended 10-31, closed 11-05: 5.0 days; its
    // predecessors closed the same day: FY2026-09 (ended 09-30) 36 days.
    assert_eq!(
        w.kpi(Dim::Entity, "US01", oct, Kpi::CloseCycle),
        Some(dec("5.0"))
    );
    assert_eq!(
        w.kpi(Dim::Entity, "US01", "2026-09-01", Kpi::CloseCycle),
        Some(dec("36.0"))
    );
    // The entity in October is C0004's October (nobody else sold).
    assert_eq!(w.kpi(Dim::Entity, "US01", oct, Kpi::Dso), Some(dec("25.3")));
    // No other entity has figures.
    assert_eq!(kpi::keys_of(&w.s, Dim::Entity), vec!["US01".to_string()]);

    // The report: C0004's October row, and a month named wrongly refused.
    let mut o = depot::report::Options::new(Some("US01"), day("2026-11-25"));
    o.by = Some("customer".into());
    o.period = Some("2026-10".into());
    let t = depot::report::build_with("kpi", &w.s, &o).unwrap();
    assert_eq!(t.rows.len(), 1, "only C0004 had figures in October: {t:?}");
    assert_eq!(
        t.rows[0],
        [
            "C0004", "2026-10", "33.3", "2.0", "75.0", "90.5", "75.0", "—", "55.3", "33.3", "25.3",
            "—"
        ]
    );
    o.period = Some("October".into());
    assert!(depot::report::build_with("kpi", &w.s, &o).is_err());
    o.period = None;
    o.by = Some("item".into());
    assert!(depot::report::build_with("kpi", &w.s, &o).is_err());

    // A replay of the log from nothing rebuilds the same KPIs.
    let mut replayed = State::default();
    for env in &w.log {
        apply(&mut replayed, env);
    }
    assert_eq!(replayed.kpis, w.s.kpis);
}

#[test]
fn a_reopened_period_takes_its_close_back() {
    let mut w = World::demo();
    w.exec(
        "CTRL1",
        json!({"cmd": "close_period", "entity": "US01", "period": "FY2026-09"}),
        "2026-10-03",
    );
    // 09-30 -> 10-03: 3 days.
    assert_eq!(
        w.kpi(Dim::Entity, "US01", "2026-09-01", Kpi::CloseCycle),
        Some(dec("3.0"))
    );
    let ev = w.exec(
        "CTRL1",
        json!({"cmd": "reopen_period", "entity": "US01", "period": "FY2026-09",
               "reason": "late accrual"}),
        "2026-10-04",
    );
    let id = ev
        .iter()
        .find_map(|e| match e {
            Event::ChangeRequested { id, .. } => Some(*id),
            _ => None,
        })
        .expect("a change request");
    w.exec(
        "SUP1",
        json!({"cmd": "approve_change", "id": id}),
        "2026-10-04",
    );
    assert_eq!(
        w.kpi(Dim::Entity, "US01", "2026-09-01", Kpi::CloseCycle),
        None,
        "reopened: not closed"
    );
    w.exec(
        "CTRL1",
        json!({"cmd": "close_period", "entity": "US01", "period": "FY2026-09"}),
        "2026-10-06",
    );
    // Closed again: 09-30 -> 10-06 = 6 days, counted once.
    assert_eq!(
        w.kpi(Dim::Entity, "US01", "2026-09-01", Kpi::CloseCycle),
        Some(dec("6.0"))
    );
}

#[test]
fn the_dashboard_shows_each_kpi_with_its_month_before_and_trend() {
    use depot::ui::testing::{Driver, MemBackend};
    let w = history();
    // The fixed clock: 2026-11-25, so November is this month.
    let b = MemBackend::new(w.s.clone(), at("2026-11-25"));
    let mut d = Driver::new(&b, Some("SUP1"));
    d.open("KPI dashboard")
        .expect("supervisors see the KPI dashboard");
    // By entity: US01, November against October (close cycle 5.0 days in
    // October, nothing closed in November).
    let s = d.screen(80, 24);
    assert!(s.contains("US01"), "{s}");
    assert!(s.contains("Close cycle time"), "{s}");
    assert!(s.contains("5.0d"), "{s}");
    insta::assert_snapshot!("dashboard_80x24", s);
    insta::assert_snapshot!("dashboard_132x43", d.screen(132, 43));
    // Tab, Tab, Tab: by customer; C0001 first, then C0004 (October's
    // perfect order rate 33.3 %, shown as the month before).
    d.press("tab").press("tab").press("tab");
    d.press("down");
    let s = d.screen(80, 24);
    assert!(s.contains("by customer"), "{s}");
    assert!(s.contains("C0004"), "{s}");
    assert!(s.contains("33.3%"), "{s}");
    // F9: one month back, October is now the month shown.
    d.press("f9");
    let s = d.screen(80, 24);
    assert!(s.contains("month 2026-10"), "{s}");
    let controller = Driver::new(&b, Some("CTRL1"))
        .open("KPI dashboard")
        .is_some();
    assert!(controller, "controllers see it too");
    assert!(
        Driver::new(&b, Some("PICK1"))
            .open("KPI dashboard")
            .is_none(),
        "pickers do not"
    );
}
