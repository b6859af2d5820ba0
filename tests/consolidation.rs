//! Issue 16: a two-entity consolidation with an intercompany sale partly
//! resold, against figures computed by hand.
//!
//! On the demo data (US01 in USD with Chicago, CA01 in CAD with Toronto),
//! with the November rates replaced by round ones so that the average and
//! closing rates can be worked on paper:
//!
//! - CAD/USD 0.80 (USD/CAD 1.25) from 1 to 15 November, 0.64 (USD/CAD
//!   1.5625) from 16 to 30 November: the average rate of FY2026-11 to the
//!   30th is (15 x 0.80 + 15 x 0.64) / 30 = 0.72, the closing rate 0.64.
//! - 10 November: US01 ships 10 FAS-1001 from CHI to TOR at 50.00 USD
//!   (cost 37.79 each at CHI); TOR receives them. US01 books revenue
//!   500.00 and cost of sales 377.90, a due-from of 500.00; CA01 a due-to
//!   of 500.00 x 1.25 = 625.00 CAD and stock at 62.50 CAD a unit.
//! - 20 November: CA01 sells 4 of them to C0005 from TOR.
//! - 1 December: CA01 revalues November: its due-to is owed in USD (the
//!   transfer price is US01's), 500.00 x 1.5625 = 781.25 CAD, a loss of
//!   156.25 CAD.

use chrono::{NaiveDate, TimeZone, Utc};
use depot::core::types::ToCode;
use depot::core::{execute, Command, CommandBody, State};
use depot::report::{build_with, Options, ReportError};
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn exec(s: &mut State, operator: &str, body: Value, at: &str) -> Vec<Value> {
    let body: CommandBody = serde_json::from_value(body).expect("command json");
    let cmd = Command {
        operator: operator.into(),
        session: "consolidation".into(),
        time: Utc.from_utc_datetime(&day(at).and_hms_opt(15, 0, 0).unwrap()),
        key: None,
        body,
    };
    match execute(s, &cmd) {
        Ok(env) => env
            .events()
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect(),
        Err(r) => panic!("{operator} rejected: {r:?}"),
    }
}

fn demo() -> State {
    let mut s = State::default();
    for body in depot::io::demo::commands(day("2026-11-25"), 0).unwrap() {
        let body = serde_json::to_value(body).unwrap();
        exec(&mut s, "ADMIN", body, "2026-11-01");
    }
    s
}

/// Order, pick, pack, ship and invoice `qty` of `sku` from `warehouse`.
fn sell(s: &mut State, customer: &str, sku: &str, qty: &str, warehouse: &str, at: &str) -> Value {
    let order = format!("SO-{:06}", s.next_order + 1);
    exec(
        s,
        "CLERK1",
        json!({"cmd":"place_order","customer":customer,
            "lines":[{"sku":sku,"qty":qty,"warehouse":warehouse}]}),
        at,
    );
    exec(
        s,
        "SHIP1",
        json!({"cmd":"release_order","number":order}),
        at,
    );
    let list = s
        .picks
        .values_sorted()
        .into_iter()
        .find(|p| p.order == order)
        .map(|p| p.number.clone())
        .unwrap();
    let pick = s.picks[&list].clone();
    let mut weight = Decimal::ZERO;
    for l in &pick.lines {
        exec(
            s,
            "PICK1",
            json!({"cmd":"confirm_pick","list":list,"line":l.line,"bin":l.bin,
                "item":l.sku,"qty":l.qty.to_string()}),
            at,
        );
        weight += l.qty * s.items[&l.sku].weight_kg;
    }
    exec(
        s,
        "PACK1",
        json!({"cmd":"pack_carton","list":list,
            "contents":[{"item":sku,"qty":qty}],"weight":weight.to_string()}),
        at,
    );
    let policy = s.customers[&customer.to_code()].ship_policy.clone();
    let shipped = exec(
        s,
        "SHIP1",
        json!({"cmd":"ship_pick","list":list,"carrier":policy.carrier.unwrap_or_default(),
            "service":policy.service.unwrap_or_default(),"tracking":"T","freight":"0"}),
        at,
    );
    let shipment = shipped
        .iter()
        .find_map(|e| e["shipped"]["shipment"]["number"].as_str())
        .unwrap()
        .to_string();
    let ev = exec(
        s,
        "AR1",
        json!({"cmd":"invoice_shipments","shipments":[shipment]}),
        at,
    );
    ev[0]["invoiced"].clone()
}

fn consolidated(
    s: &State,
    name: &str,
    currency: &str,
    as_of: &str,
) -> Result<Vec<Value>, ReportError> {
    let o = Options {
        currency: Some(currency.into()),
        ..Options::new(None, day(as_of))
    };
    build_with(name, s, &o).map(|t| match t.json() {
        Value::Array(rows) => rows,
        other => panic!("{other}"),
    })
}

fn scenario() -> State {
    let mut s = demo();
    for n in 1..=30 {
        let date = format!("2026-11-{n:02}");
        let (cad_usd, usd_cad) = if n <= 15 {
            ("0.80", "1.25")
        } else {
            ("0.64", "1.5625")
        };
        for (from, to, rate) in [("CAD", "USD", cad_usd), ("USD", "CAD", usd_cad)] {
            exec(
                &mut s,
                "ADMIN",
                json!({"cmd":"set_fx_rate","from":from,"to":to,"date":date,"rate":rate}),
                "2026-11-01",
            );
        }
    }
    exec(
        &mut s,
        "SHIP1",
        json!({"cmd":"ship_transfer","from":"CHI","to":"TOR",
            "lines":[{"bin":"R-01-02","sku":"FAS-1001","qty":"10","price":"50.00"}]}),
        "2026-11-10",
    );
    exec(
        &mut s,
        "RECV1",
        json!({"cmd":"receive_transfer","number":"TR-000001","bin":"B-03-03"}),
        "2026-11-10",
    );
    let inv = sell(&mut s, "C0005", "FAS-1001", "4", "TOR", "2026-11-20");
    // C0005's price: 4 x 109.52 = 438.08 CAD, 56.95 tax (13 % HST).
    assert_eq!(inv["invoice"]["date"], "2026-11-20");
    s
}

/// The cell `col` of the first row where every (key, value) matches.
fn cell(rows: &[Value], keys: &[(&str, &str)], col: &str) -> Decimal {
    let r = rows
        .iter()
        .find(|r| keys.iter().all(|(k, v)| r[*k] == *v))
        .unwrap_or_else(|| panic!("no row {keys:?} in {rows:#?}"));
    d(r[col].as_str().unwrap())
}

/// The figures of the three consolidated reports as of 30 November, after
/// CA01 revalued its due-to, and as of the 15th and 20th.
#[test]
fn two_entities_with_an_intercompany_sale_partly_resold() {
    let mut s = scenario();
    // The close checklist counts the due-to among what to revalue.
    let checklist = |s: &State| {
        let o = Options::new(Some("CA01"), day("2026-11-30"));
        match build_with("close-checklist", s, &o).unwrap().json() {
            Value::Array(rows) => rows
                .into_iter()
                .find(|r| r["check"] == "fx_revaluation")
                .unwrap(),
            other => panic!("{other}"),
        }
    };
    assert_eq!(checklist(&s)["count"], "1", "{:#}", checklist(&s));
    let ev = exec(
        &mut s,
        "CTRL1",
        json!({"cmd":"revalue_fx","entity":"CA01","period":"FY2026-11"}),
        "2026-12-01",
    );
    // The due-to revalued in CA01: 781.25 - 625.00 = 156.25 CAD lost.
    let lines = ev[0]["fx_revalued"]["journal"]["lines"].as_array().unwrap();
    let line = |account: &str| {
        lines
            .iter()
            .find(|l| l["account"] == account)
            .map(|l| {
                (
                    d(l["debit"].as_str().unwrap()),
                    d(l["credit"].as_str().unwrap()),
                )
            })
            .unwrap_or_else(|| panic!("no {account} in {lines:#?}"))
    };
    assert_eq!(line("2400"), (d("0"), d("156.25")));
    assert_eq!(line("6250"), (d("156.25"), d("0")));
    assert_eq!(checklist(&s)["count"], "0", "{:#}", checklist(&s));
    depot::core::invariants::check_state(&s).expect("invariants");

    // Profit and loss in USD, November (the year to date is the same:
    // nothing else in the year has revenue or expense).
    let pl = consolidated(&s, "pl", "USD", "2026-11-30").unwrap();
    let pl_row = |account: &str, name: Option<&str>| {
        let mut keys = vec![("account", account)];
        if let Some(n) = name {
            keys.push(("name", n));
        }
        let p = cell(&pl, &keys, "period");
        assert_eq!(p, cell(&pl, &keys, "year_to_date"), "{account} {name:?}");
        p
    };
    // Sales: US01 500.00 at 1 + CA01 438.08 x 0.72 = 315.4176 -> 315.42.
    assert_eq!(pl_row("4000", None), d("815.42"));
    assert_eq!(
        pl_row("ELIM", Some("Intercompany revenue eliminated")),
        d("-500.00")
    );
    assert_eq!(pl_row("", Some("Total revenue")), d("315.42"));
    // Cost of sales: US01 377.90 + CA01 250.00 x 0.72 = 180.00.
    assert_eq!(pl_row("5000", None), d("557.90"));
    assert_eq!(
        pl_row("ELIM", Some("Intercompany cost of sales eliminated")),
        d("-500.00")
    );
    // 6 of the 10 still held: 6/10 x (500.00 - 377.90) = 73.26 USD.
    assert_eq!(
        pl_row("ELIM", Some("Unrealised profit in stock held eliminated")),
        d("73.26")
    );
    // The revaluation loss: 156.25 x 0.72 = 112.50.
    assert_eq!(pl_row("6250", None), d("112.50"));
    // 557.90 - 500.00 + 73.26 + 112.50 = 243.66; 315.42 - 243.66 = 71.76.
    assert_eq!(pl_row("", Some("Total expenses")), d("243.66"));
    assert_eq!(pl_row("", Some("Net income")), d("71.76"));

    // Balance sheet in USD at the closing rate 0.64.
    let bs = consolidated(&s, "balance-sheet", "USD", "2026-11-30").unwrap();
    let bs_cell = |account: &str, name: Option<&str>, col: &str| {
        let mut keys = vec![("account", account)];
        if let Some(n) = name {
            keys.push(("name", n));
        }
        cell(&bs, &keys, col)
    };
    // AR: CA01's 495.03 CAD x 0.64 = 316.8192 -> 316.82.
    assert_eq!(bs_cell("1100", None, "consolidated"), d("316.82"));
    // Stock: US01 11,780,673.22 + CA01 4,704,196.13 x 0.64
    // (3,010,685.5232 -> 3,010,685.52) = 14,791,358.74, less the profit
    // held 73.26 = 14,791,285.48.
    assert_eq!(bs_cell("1200", None, "entities"), d("14791358.74"));
    assert_eq!(bs_cell("1200", None, "eliminated"), d("-73.26"));
    assert_eq!(bs_cell("1200", None, "consolidated"), d("14791285.48"));
    // Due-from 500.00 and due-to 781.25 x 0.64 = 500.00, both eliminated.
    for a in ["1300", "2400"] {
        assert_eq!(bs_cell(a, None, "entities"), d("500.00"), "{a}");
        assert_eq!(bs_cell(a, None, "eliminated"), d("-500.00"), "{a}");
        assert_eq!(bs_cell(a, None, "consolidated"), d("0.00"), "{a}");
    }
    assert_eq!(bs_cell("ICDIFF", None, "consolidated"), d("0.00"));
    // Tax: 56.95 x 0.64 = 36.448 -> 36.45.
    assert_eq!(bs_cell("2200", None, "consolidated"), d("36.45"));
    // Opening equity: 11,781,051.12 + 4,703,821.13 x 0.64
    // (3,010,445.5232 -> 3,010,445.52) = 14,791,496.64.
    assert_eq!(bs_cell("3000", None, "consolidated"), d("14791496.64"));
    // Earnings: the net income of the profit and loss.
    assert_eq!(
        bs_cell("", Some("Earnings not yet closed"), "consolidated"),
        d("71.76")
    );
    // CTA: CA01's ledger balances in CAD; translated it does not. Its
    // balance-sheet lines at 0.64: 316.82 + 3,010,685.52 - 36.45 - 500.00
    // - 3,010,445.52 = 20.37 (debit); its earnings at 0.72: -315.42
    // + 180.00 + 112.50 = -22.92 (credit); 20.37 - 22.92 = -2.55, so the
    // CTA is a debit of 2.55, equity -2.55 (a CAD profit of 31.83 earned
    // at 0.72 is held in net assets worth 0.64: 31.83 x 0.08 = 2.5464,
    // and 0.0036 of rounding).
    assert_eq!(bs_cell("CTA", None, "consolidated"), d("-2.55"));
    // 316.82 + 14,791,285.48 = 14,791,602.30 of assets
    //   = 36.45 + 14,791,496.64 + 71.76 - 2.55.
    let total = |name: &str| bs_cell("", Some(name), "consolidated");
    assert_eq!(total("Total assets"), d("14791602.30"));
    assert_eq!(total("Total liabilities"), d("36.45"));
    assert_eq!(total("Total equity"), d("14791565.85"));
    assert_eq!(total("Total liabilities and equity"), d("14791602.30"));

    // Trial balance: the same, debit positive, adding up to nil.
    let tb = consolidated(&s, "trial-balance", "USD", "2026-11-30").unwrap();
    let acct = |a: &str, col: &str| cell(&tb, &[("account", a)], col);
    assert_eq!(acct("4000", "eliminated"), d("500.00"));
    assert_eq!(acct("4000", "consolidated"), d("-315.42"));
    // -500.00 + 73.26 = -426.74; 557.90 - 426.74 = 131.16 (the 4 units
    // sold at the group's cost 151.16, but CA01's cost 250.00 CAD is
    // translated at the average 0.72, not the 0.80 of the transfer).
    assert_eq!(acct("5000", "eliminated"), d("-426.74"));
    assert_eq!(acct("5000", "consolidated"), d("131.16"));
    assert_eq!(acct("2400", "consolidated"), d("0.00"));
    assert_eq!(acct("CTA", "consolidated"), d("2.55"));
    for col in ["entities", "eliminated", "consolidated"] {
        assert_eq!(acct("TOTAL", col), d("0.00"), "{col}");
        let sum: Decimal = tb
            .iter()
            .filter(|r| r["account"] != "TOTAL")
            .map(|r| d(r[col].as_str().unwrap()))
            .sum();
        assert_eq!(sum, d("0.00"), "{col} adds up");
    }

    // The title names the rates.
    let t = build_with(
        "balance-sheet",
        &s,
        &Options {
            currency: Some("USD".into()),
            ..Options::new(None, day("2026-11-30"))
        },
    )
    .unwrap();
    assert!(
        t.title.contains(
            "CA01 CAD/USD closing 0.64 on 2026-11-30, average 0.72 over 2026-11-01..2026-11-30"
        ),
        "{}",
        t.title
    );

    // 15 November: the goods all held, nothing sold outside the group:
    // no consolidated profit. Average and closing 0.80.
    let pl = consolidated(&s, "pl", "USD", "2026-11-15").unwrap();
    // 377.90 - 500.00 + 10/10 x 122.10 = 0.00
    assert_eq!(cell(&pl, &[("name", "Total revenue")], "period"), d("0.00"));
    assert_eq!(
        cell(&pl, &[("name", "Total expenses")], "period"),
        d("0.00")
    );
    assert_eq!(cell(&pl, &[("name", "Net income")], "period"), d("0.00"));
    // Due-to 625.00 x 0.80 = 500.00: offsets.
    let bs = consolidated(&s, "balance-sheet", "USD", "2026-11-15").unwrap();
    assert_eq!(
        cell(&bs, &[("account", "ICDIFF")], "consolidated"),
        d("0.00")
    );
    assert_eq!(
        cell(&bs, &[("account", "1200")], "eliminated"),
        d("-122.10")
    );

    // 20 November, before the revaluation (dated the 30th): average
    // (15 x 0.80 + 5 x 0.64) / 20 = 0.76, closing 0.64.
    let pl = consolidated(&s, "pl", "USD", "2026-11-20").unwrap();
    // 500.00 + 438.08 x 0.76 (332.9408 -> 332.94) - 500.00 = 332.94
    assert_eq!(
        cell(&pl, &[("name", "Total revenue")], "period"),
        d("332.94")
    );
    // 377.90 + 250.00 x 0.76 - 500.00 + 73.26 = 141.16; 332.94 - 141.16
    assert_eq!(
        cell(&pl, &[("name", "Total expenses")], "period"),
        d("141.16")
    );
    assert_eq!(cell(&pl, &[("name", "Net income")], "period"), d("191.78"));
    // The due-to not revalued: 625.00 x 0.64 = 400.00 against 500.00;
    // 100.00 does not offset and is its own line.
    let tb = consolidated(&s, "trial-balance", "USD", "2026-11-20").unwrap();
    assert_eq!(cell(&tb, &[("account", "2400")], "entities"), d("-400.00"));
    assert_eq!(
        cell(&tb, &[("account", "ICDIFF")], "eliminated"),
        d("100.00")
    );
    assert_eq!(
        cell(&tb, &[("account", "TOTAL")], "consolidated"),
        d("0.00")
    );
    let bs = consolidated(&s, "balance-sheet", "USD", "2026-11-20").unwrap();
    assert_eq!(
        cell(&bs, &[("name", "Total assets")], "consolidated"),
        cell(
            &bs,
            &[("name", "Total liabilities and equity")],
            "consolidated"
        ),
    );
}

/// Bad input: an error before anything is printed, never half a report.
#[test]
fn consolidation_refuses_what_it_cannot_translate() {
    let s = scenario();
    for name in ["pl", "balance-sheet", "trial-balance"] {
        // No CAD/JPY nor USD/JPY rate at all.
        assert_eq!(
            consolidated(&s, name, "JPY", "2026-11-30").unwrap_err(),
            ReportError::NoRate {
                from: "CAD".into(),
                to: "JPY".into(),
                date: day("2026-11-30"),
            },
            "{name}"
        );
        // Before the first CAD/USD rate of the demo.
        assert!(
            matches!(
                consolidated(&s, name, "USD", "2026-10-15"),
                Err(ReportError::NoRate { .. })
            ),
            "{name}"
        );
        // Not a currency code.
        assert!(
            matches!(
                consolidated(&s, name, "US", "2026-11-30"),
                Err(ReportError::BadOption {
                    option: "--currency",
                    ..
                })
            ),
            "{name}"
        );
        // One entity is not a consolidation.
        let o = Options {
            currency: Some("USD".into()),
            ..Options::new(Some("US01"), day("2026-11-30"))
        };
        assert!(matches!(
            build_with(name, &s, &o),
            Err(ReportError::BadOption {
                option: "--entity",
                ..
            })
        ));
    }
    // --currency where it means nothing is said, not ignored.
    let o = Options {
        currency: Some("USD".into()),
        ..Options::new(None, day("2026-11-30"))
    };
    assert!(matches!(
        build_with("aging-ar", &s, &o),
        Err(ReportError::BadOption {
            option: "--currency",
            ..
        })
    ));
}
