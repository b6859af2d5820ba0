//! The two worked examples of `shared/WORKED-EXAMPLE.md`, verbatim, to the
//! cent: every figure of their tables is asserted here, computed by hand
//! in the document (not by the code under test).
//!
//! Both run in process on the demo distributor as of 2026-11-25 (entity
//! US01, base currency USD), with items of their own so that the demo's
//! stock does not blur the figures: `WX-A` and `WX-B` in the Dallas
//! warehouse (Texas sales tax 8.25 %), customer `WX-C1` (a copy of C0001,
//! Dallas, terms 2/10 net 30, freight prepaid-and-add, its own price list).
//! Account numbers are the demo's: 1000 bank, 1100 AR, 1200 inventory,
//! 2000 AP, 2100 GRNI, 2200 sales tax, 2300 unapplied cash, 4000 revenue,
//! 4100 sales returns, 4200 freight income, 5000 COGS, 5100 PPV.

use chrono::{NaiveDate, TimeZone, Utc};
use depot::core::types::{Code, ToCode};
use depot::core::{execute, Command, CommandBody, State};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

const DAY0: &str = "2026-11-25";

fn run(s: &mut State, operator: &str, cmd: Value, at: &str) -> Vec<Value> {
    let body: CommandBody = serde_json::from_value(cmd.clone()).expect("command json");
    let cmd = Command {
        operator: operator.into(),
        session: "worked".into(),
        time: Utc.from_utc_datetime(&day(at).and_hms_opt(9, 0, 0).unwrap()),
        key: None,
        body,
    };
    match execute(s, &cmd) {
        Ok(env) => env
            .events()
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect(),
        Err(r) => panic!("{operator} rejected {cmd:?}: {r:?}"),
    }
}

/// The first event named `name` among `events`.
fn event<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .find_map(|e| e.get(name))
        .unwrap_or_else(|| panic!("no {name} in {events:#?}"))
}

/// A journal's lines as account -> debit minus credit.
fn lines(journal: &Value) -> BTreeMap<Code, Decimal> {
    let mut out: BTreeMap<Code, Decimal> = BTreeMap::new();
    for l in journal["lines"].as_array().expect("journal lines") {
        let debit = l["debit"].as_str().map(d).unwrap_or_default();
        let credit = l["credit"].as_str().map(d).unwrap_or_default();
        *out.entry(Code::from(l["account"].as_str().unwrap()))
            .or_default() += debit - credit;
    }
    out.retain(|_, v| !v.is_zero());
    out
}

fn expect(pairs: &[(&str, &str)]) -> BTreeMap<Code, Decimal> {
    pairs.iter().map(|(a, v)| (Code::from(*a), d(v))).collect()
}

/// US01's balance per account (debit minus credit).
fn balances(s: &State) -> BTreeMap<Code, Decimal> {
    s.ledger
        .balances
        .iter()
        .filter(|((e, _), _)| e == "US01")
        .map(|((_, a), b)| (a.clone(), *b))
        .collect()
}

/// What moved between two sets of balances (accounts that did not move
/// are left out).
fn moved(
    before: &BTreeMap<Code, Decimal>,
    after: &BTreeMap<Code, Decimal>,
) -> BTreeMap<Code, Decimal> {
    let mut out: BTreeMap<Code, Decimal> = after.clone();
    for (a, b) in before {
        *out.entry(a.to_string().into()).or_default() -= b;
    }
    out.retain(|_, v| !v.is_zero());
    out
}

fn pool(s: &State, sku: &str) -> (Decimal, Decimal) {
    let p = &s.costs[&("US01".to_code(), sku.to_code())];
    (p.qty, p.value)
}

/// The demo, plus: items WX-A and WX-B (1 kg each, no margin floor), a
/// price list with A at 10.00 and B at 45.00, customer WX-C1, and opening
/// stock in DAL: A 50 at 4.00 (A-01-01), B 10 at 20.00 (A-01-02).
fn world() -> State {
    let mut s = State::default();
    for body in depot::io::demo::commands(day(DAY0), 0).unwrap() {
        let cmd = Command {
            operator: "ADMIN".into(),
            session: "worked".into(),
            time: Utc.from_utc_datetime(&day(DAY0).and_hms_opt(8, 0, 0).unwrap()),
            key: None,
            body,
        };
        execute(&mut s, &cmd).expect("demo");
    }
    for (sku, desc) in [
        ("WX-A", "Worked example item A"),
        ("WX-B", "Worked example item B"),
    ] {
        let mut item = serde_json::to_value(&s.items[&"FAS-1001".to_code()]).unwrap();
        item["sku"] = json!(sku);
        item["description"] = json!(desc);
        item["alt_units"] = json!([]);
        item["barcodes"] = json!([]);
        item["weight_kg"] = json!("1");
        item["category"] = json!("WORKED");
        item["margin_floor_pct"] = Value::Null;
        item["cmd"] = json!("create_item");
        run(&mut s, "ADMIN", item, DAY0);
    }
    run(
        &mut s,
        "ADMIN",
        json!({"cmd":"create_price_list","code":"WX-USD","name":"Worked example","currency":"USD"}),
        DAY0,
    );
    for (sku, price) in [("WX-A", "10.00"), ("WX-B", "45.00")] {
        run(
            &mut s,
            "ADMIN",
            json!({"cmd":"set_list_price","price_list":"WX-USD","sku":sku,"price":price}),
            DAY0,
        );
    }
    let mut c = serde_json::to_value(&s.customers[&"C0001".to_code()]).unwrap();
    c["code"] = json!("WX-C1");
    c["terms"] = json!("2-10-NET30");
    c["price_list"] = json!("WX-USD");
    c["cmd"] = json!("create_customer");
    run(&mut s, "ADMIN", c, DAY0);
    for (sku, bin, qty, cost) in [
        ("WX-A", "A-01-01", "50", "4.00"),
        ("WX-B", "A-01-02", "10", "20.00"),
    ] {
        run(
            &mut s,
            "ADMIN",
            json!({"cmd":"post_opening_stock","warehouse":"DAL","bin":bin,"sku":sku,"qty":qty,"unit_cost":cost}),
            DAY0,
        );
    }
    assert_eq!(pool(&s, "WX-A"), (d("50"), d("200.00")));
    assert_eq!(pool(&s, "WX-B"), (d("10"), d("200.00")));
    s
}

/// Release the order, pick every line of its pick list from the bins the
/// list names, pack one carton of `weight` kg and ship it with `freight`.
fn pick_pack_ship(
    s: &mut State,
    order: &str,
    list: &str,
    weight: &str,
    freight: &str,
) -> Vec<Value> {
    run(
        s,
        "SHIP1",
        json!({"cmd":"release_order","number":order}),
        DAY0,
    );
    let pick = s.picks[&list.to_code()].clone();
    let mut contents: BTreeMap<String, Decimal> = BTreeMap::new();
    for l in &pick.lines {
        run(
            s,
            "PICK1",
            json!({"cmd":"confirm_pick","list":list,"line":l.line,"bin":l.bin,"item":l.sku,"qty":l.qty.to_string()}),
            DAY0,
        );
        *contents.entry(l.sku.to_string()).or_default() += l.qty;
    }
    let contents: Vec<Value> = contents
        .iter()
        .map(|(sku, q)| json!({"item":sku,"qty":q.to_string()}))
        .collect();
    run(
        s,
        "PACK1",
        json!({"cmd":"pack_carton","list":list,"contents":contents,"weight":weight}),
        DAY0,
    );
    run(
        s,
        "SHIP1",
        json!({"cmd":"ship_pick","list":list,"carrier":"FEDEX","service":"GND","tracking":"1","freight":freight}),
        DAY0,
    )
}

#[test]
fn order_to_cash_worked_example_to_the_cent() {
    let mut s = world();
    let before = balances(&s);

    // 1. Order SO-1: A x 10 at 10.00 = 100.00; B x 2 at 45.00 = 90.00,
    // shipped complete on day 0 with freight 12.50.
    run(
        &mut s,
        "CLERK1",
        json!({"cmd":"place_order","customer":"WX-C1","lines":[
            {"sku":"WX-A","qty":"10","warehouse":"DAL"},
            {"sku":"WX-B","qty":"2","warehouse":"DAL"}]}),
        DAY0,
    );
    let shipped = pick_pack_ship(&mut s, "SO-000001", "PK-000001", "12", "12.50");
    // Ship confirm: COGS 80.00 (A 10 x 4.00 = 40.00; B 2 x 20.00 = 40.00).
    assert_eq!(
        lines(&event(&shipped, "shipped")["journal"]),
        expect(&[("5000", "80.00"), ("1200", "-80.00")])
    );
    // Afterwards A: 40 on hand, 160.00; B: 8 on hand, 160.00.
    assert_eq!(pool(&s, "WX-A"), (d("40"), d("160.00")));
    assert_eq!(pool(&s, "WX-B"), (d("8"), d("160.00")));

    // INV-1: goods 190.00; tax 8.25 % x 190.00 = 15.675 -> 15.68; freight
    // 12.50; total 218.18, due day 30, discount 4.36 until day 10.
    let ev = run(
        &mut s,
        "AR1",
        json!({"cmd":"invoice_shipments","shipments":["SH-000001"]}),
        DAY0,
    );
    let inv = event(&ev, "invoiced");
    assert_eq!(inv["invoice"]["total"], "218.18", "{inv}");
    assert_eq!(inv["invoice"]["due"], "2026-12-25", "day 30");
    assert_eq!(
        lines(&inv["journal"]),
        expect(&[
            ("1100", "218.18"),
            ("4000", "-190.00"),
            ("2200", "-15.68"),
            ("4200", "-12.50"),
        ])
    );
    let number = inv["invoice"]["number"].as_str().unwrap().to_string();
    let invoice = &s.invoices[&number.to_code()];
    assert_eq!(invoice.discount_until, Some(day("2026-12-05")), "day 10");
    // Paid on day 10 less the discount (2 % x 218.18 = 4.3636 -> 4.36),
    // 213.82 would settle it (tried on a copy).
    let mut early = s.clone();
    let ev = run(
        &mut early,
        "AR1",
        json!({"cmd":"receive_payment","customer":"WX-C1","method":"transfer","amount":"213.82",
               "apply":[{"invoice":number,"amount":"213.82"}]}),
        "2026-12-05",
    );
    assert_eq!(
        lines(&event(&ev, "payment_received")["journal"]),
        expect(&[("1000", "213.82"), ("6000", "4.36"), ("1100", "-218.18")])
    );

    // 2. Day 20: 100.00 (outside the window): Dr Bank / Cr AR 100.00.
    let ev = run(
        &mut s,
        "AR1",
        json!({"cmd":"receive_payment","customer":"WX-C1","method":"transfer","amount":"100.00",
               "apply":[{"invoice":number,"amount":"100.00"}]}),
        "2026-12-15",
    );
    assert_eq!(
        lines(&event(&ev, "payment_received")["journal"]),
        expect(&[("1000", "100.00"), ("1100", "-100.00")])
    );
    // Day 35: 118.18 closes INV-1.
    run(
        &mut s,
        "AR1",
        json!({"cmd":"receive_payment","customer":"WX-C1","method":"transfer","amount":"118.18",
               "apply":[{"invoice":number,"amount":"118.18"}]}),
        "2026-12-30",
    );
    assert_eq!(s.invoices[&number.to_code()].open, d("0.00"));

    // 3. Two units of A returned and restocked: CM-1 goods 20.00, tax
    // 8.25 % x 20.00 = 1.65, total 21.65; Dr Inventory / Cr COGS 8.00.
    let line_a = s.invoices[&number.to_code()]
        .lines
        .iter()
        .position(|l| l.sku == "WX-A")
        .expect("a line for A")
        + 1;
    run(
        &mut s,
        "CLERK1",
        json!({"cmd":"authorize_return","invoice":number,"reason":"damaged",
               "lines":[{"line":line_a,"qty":"2","disposition":"restock"}]}),
        "2026-12-30",
    );
    let ev = run(
        &mut s,
        "RECV1",
        json!({"cmd":"receive_return","rma":"RMA-000001","bin":"A-01-01"}),
        "2026-12-30",
    );
    let received = event(&ev, "return_received");
    assert_eq!(
        lines(&received["journal"]),
        expect(&[("1200", "8.00"), ("5000", "-8.00")])
    );
    let memo = event(&ev, "credit_memo_issued");
    assert_eq!(memo["memo"]["total"], "21.65", "{memo}");
    // The invoice is paid, so depot keeps the customer's credit in the
    // unapplied-cash account (2300) rather than as a credit in AR: the
    // example's "Cr AR (C1) 21.65" is that credit.
    assert_eq!(
        lines(&memo["journal"]),
        expect(&[("4100", "20.00"), ("2200", "1.65"), ("2300", "-21.65")])
    );
    // A is then 42 on hand, 168.00.
    assert_eq!(pool(&s, "WX-A"), (d("42"), d("168.00")));
    assert_eq!(
        s.unapplied[&("US01".to_code(), "WX-C1".to_code())],
        d("21.65")
    );

    // Resulting balances: Bank 218.18 Dr; the customer 21.65 Cr (in
    // unapplied cash, AR itself 0.00); Inventory 72.00 Cr; COGS 72.00 Dr;
    // Revenue 170.00 Cr (190.00 Cr in sales, 20.00 Dr in sales returns);
    // Sales tax 14.03 Cr; Freight income 12.50 Cr.
    let m = moved(&before, &balances(&s));
    assert_eq!(
        m,
        expect(&[
            ("1000", "218.18"),
            ("2300", "-21.65"),
            ("1200", "-72.00"),
            ("5000", "72.00"),
            ("4000", "-190.00"),
            ("4100", "20.00"),
            ("2200", "-14.03"),
            ("4200", "-12.50"),
        ])
    );
    assert_eq!(
        m[&"4000".to_code()] + m[&"4100".to_code()],
        d("-170.00"),
        "revenue net 170.00 Cr"
    );
    // Debits 290.18 = credits 290.18 (revenue taken net).
    let debits = m[&"1000".to_code()] + m[&"5000".to_code()];
    let credits = -(m[&"2300".to_code()]
        + m[&"1200".to_code()]
        + m[&"4000".to_code()]
        + m[&"4100".to_code()]
        + m[&"2200".to_code()]
        + m[&"4200".to_code()]);
    assert_eq!((debits, credits), (d("290.18"), d("290.18")));
    depot::core::invariants::check_state(&s).expect("invariants");
}

#[test]
fn procure_to_pay_worked_example_with_landed_cost_after_a_sale() {
    let mut s = world();
    let before = balances(&s);

    // PO-1 to S1 (V001, net 30): 100 x A at 4.20.
    run(
        &mut s,
        "BUY1",
        json!({"cmd":"create_purchase_order","supplier":"V001","warehouse":"DAL",
               "lines":[{"sku":"WX-A","qty":"100","price":"4.20"}]}),
        DAY0,
    );
    // Receipt R-1, 60 units: Dr Inventory 252.00 / Cr GRNI 252.00; A 110
    // units, 452.00.
    let ev = run(
        &mut s,
        "RECV1",
        json!({"cmd":"receive_purchase","po":"PO-000001","bin":"DOCK-1",
               "lines":[{"item":"WX-A","qty":"60"}]}),
        DAY0,
    );
    assert_eq!(
        lines(&event(&ev, "goods_received")["journal"]),
        expect(&[("1200", "252.00"), ("2100", "-252.00")])
    );
    assert_eq!(pool(&s, "WX-A"), (d("110"), d("452.00")));

    // Ship 30 units on a sale: Dr COGS 123.27 / Cr Inventory 123.27
    // (30 x 452.00 / 110 = 123.2727); A 80 units, 328.73.
    run(
        &mut s,
        "CLERK1",
        json!({"cmd":"place_order","customer":"WX-C1","lines":[
            {"sku":"WX-A","qty":"30","warehouse":"DAL"}]}),
        DAY0,
    );
    let shipped = pick_pack_ship(&mut s, "SO-000001", "PK-000001", "30", "0");
    assert_eq!(
        lines(&event(&shipped, "shipped")["journal"]),
        expect(&[("5000", "123.27"), ("1200", "-123.27")])
    );
    assert_eq!(pool(&s, "WX-A"), (d("80"), d("328.73")));

    // SI-1: 60 x 4.25 = 255.00 (+1.19 %, inside 2 %: matched): Dr GRNI
    // 252.00, Dr PPV 3.00 / Cr AP (S1) 255.00; A unchanged.
    let ev = run(
        &mut s,
        "AP1",
        json!({"cmd":"enter_supplier_invoice","supplier":"V001","reference":"SI-1",
               "lines":[{"po":"PO-000001","line":1,"qty":"60","price":"4.25"}]}),
        DAY0,
    );
    let si = event(&ev, "supplier_invoice_entered");
    assert_eq!(si["invoice"]["status"], "open", "matched: {si}");
    assert_eq!(
        lines(&si["journal"]),
        expect(&[("2100", "252.00"), ("5100", "3.00"), ("2000", "-255.00")])
    );
    assert_eq!(pool(&s, "WX-A"), (d("80"), d("328.73")));

    // LC-1, freight 18.00 for R-1: to COGS 18.00 x 30 / 110 = 4.9091 ->
    // 4.91; Dr Inventory 13.09, Dr COGS 4.91 / Cr AP (carrier) 18.00; A 80
    // units, 341.82.
    let ev = run(
        &mut s,
        "AP1",
        json!({"cmd":"allocate_landed_cost","supplier":"V002","reference":"LC-1","kind":"freight",
               "amount":"18.00","basis":"value","receipts":["GR-000001"]}),
        DAY0,
    );
    let lc = event(&ev, "landed_cost_allocated");
    assert_eq!(lc["shares"][0]["to_cogs"], "4.91", "{lc}");
    assert_eq!(lc["shares"][0]["to_stock"], "13.09");
    assert_eq!(
        lines(&lc["journal"]),
        expect(&[("1200", "13.09"), ("5000", "4.91"), ("2000", "-18.00")])
    );
    assert_eq!(pool(&s, "WX-A"), (d("80"), d("341.82")));

    // Pay S1: Dr AP (S1) 255.00 / Cr Bank 255.00.
    let number = si["invoice"]["number"].as_str().unwrap();
    let ev = run(
        &mut s,
        "AP1",
        json!({"cmd":"pay_supplier","supplier":"V001","reference":"ACH 1",
               "apply":[{"invoice":number,"amount":"255.00"}]}),
        DAY0,
    );
    assert_eq!(
        lines(&event(&ev, "supplier_paid")["journal"]),
        expect(&[("2000", "255.00"), ("1000", "-255.00")])
    );

    // Resulting movements: Inventory 141.82 Dr, GRNI 0.00, COGS 128.18 Dr,
    // PPV 3.00 Dr, AP 18.00 Cr (carrier still open), Bank 255.00 Cr.
    let m = moved(&before, &balances(&s));
    assert_eq!(
        m,
        expect(&[
            ("1200", "141.82"),
            ("5000", "128.18"),
            ("5100", "3.00"),
            ("2000", "-18.00"),
            ("1000", "-255.00"),
        ])
    );
    // Debits 273.00 = credits 273.00.
    assert_eq!(
        m[&"1200".to_code()] + m[&"5000".to_code()] + m[&"5100".to_code()],
        d("273.00")
    );
    assert_eq!(-(m[&"2000".to_code()] + m[&"1000".to_code()]), d("273.00"));
    // PO-1 stays open for 40 units.
    let po = &s.purchase_orders[&"PO-000001".to_code()];
    assert_eq!(po.lines[0].qty - po.lines[0].received, d("40"));
    depot::core::invariants::check_state(&s).expect("invariants");
}
