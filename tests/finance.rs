//! Financial statements against hand-computed figures: profit and loss and
//! balance sheet after an order to cash, a customer statement, AP aging,
//! margin, DSO, and the consolidated trial balance with an intercompany
//! transfer shown and eliminated.
//!
//! In process, on the demo data as of 2026-11-25 (as the scenarios are), so
//! the rates and prices are fixed.

use chrono::{NaiveDate, TimeZone, Utc};
use depot::core::types::ToCode;
use depot::core::{execute, Command, CommandBody, State};
use depot::report::{build_with, Options};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn demo() -> State {
    let mut s = State::default();
    for body in depot::io::demo::commands(day("2026-11-25"), 0).unwrap() {
        exec_body(&mut s, "ADMIN", body, "2026-11-25");
    }
    s
}

fn exec_body(s: &mut State, operator: &str, body: CommandBody, at: &str) -> Vec<Value> {
    let cmd = Command {
        operator: operator.into(),
        session: "finance".into(),
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
        Err(r) => panic!("{operator} rejected: {r:?}"),
    }
}

/// Run a command written as in `depot exec` (without the operator).
fn exec(s: &mut State, operator: &str, json: &str, at: &str) -> Vec<Value> {
    let body: CommandBody = serde_json::from_str(json).expect("command json");
    exec_body(s, operator, body, at)
}

fn options(entity: Option<&str>, as_of: &str) -> Options {
    Options::new(entity, day(as_of))
}

/// A report's rows as JSON objects.
fn rows(s: &State, name: &str, o: &Options) -> Vec<Value> {
    match build_with(name, s, o).unwrap().json() {
        Value::Array(rows) => rows,
        other => panic!("{other}"),
    }
}

/// The cell `col` of the first row where every (key, value) matches.
fn cell(rows: &[Value], keys: &[(&str, &str)], col: &str) -> Decimal {
    let r = rows
        .iter()
        .find(|r| keys.iter().all(|(k, v)| r[*k] == *v))
        .unwrap_or_else(|| panic!("no row {keys:?} in {rows:#?}"));
    d(r[col].as_str().unwrap())
}

/// An order of 12 FAS-1001 from CHI for C0002 (IL, 10.25 %), picked,
/// packed and shipped with `freight`.
fn ship(s: &mut State, at: &str, freight: &str) {
    exec(
        s,
        "CLERK1",
        r#"{"cmd":"place_order","customer":"C0002","lines":[{"sku":"FAS-1001","qty":"12","warehouse":"CHI"}]}"#,
        at,
    );
    exec(
        s,
        "SHIP1",
        r#"{"cmd":"release_order","number":"SO-000001"}"#,
        at,
    );
    exec(
        s,
        "PICK1",
        r#"{"cmd":"confirm_pick","list":"PK-000001","line":1,"bin":"B-03-03","item":"FAS-1001","qty":"12"}"#,
        at,
    );
    exec(
        s,
        "PACK1",
        r#"{"cmd":"pack_carton","list":"PK-000001","contents":[{"item":"FAS-1001","qty":"12"}],"weight":"15.8"}"#,
        at,
    );
    exec(
        s,
        "SHIP1",
        &format!(
            r#"{{"cmd":"ship_pick","list":"PK-000001","carrier":"FEDEX","service":"GND","tracking":"1","freight":"{freight}"}}"#
        ),
        at,
    );
}

/// [`ship`] with 12.50 freight, invoiced: goods 12 x 79.36 (list, under
/// the 24 break) = 952.32, tax 97.612800 -> 97.61, total 1,062.43; COGS
/// 12 x 37.79 = 453.48.
fn sell(s: &mut State, at: &str) -> Value {
    ship(s, at, "12.50");
    let ev = exec(
        s,
        "AR1",
        r#"{"cmd":"invoice_shipments","shipments":["SH-000001"]}"#,
        at,
    );
    ev[0]["invoiced"]["invoice"].clone()
}

#[test]
fn pl_and_balance_sheet_move_by_an_order_to_cash() {
    let mut s = demo();
    let o = options(Some("US01"), "2026-11-25");
    let pl0 = rows(&s, "pl", &o);
    let bs0 = rows(&s, "balance-sheet", &o);
    let inv = sell(&mut s, "2026-11-25");
    assert_eq!(inv["total"], "1062.43", "{inv}");
    let pl1 = rows(&s, "pl", &o);
    let bs1 = rows(&s, "balance-sheet", &o);

    let net = "Net income (FY2026-11)";
    let moved = |a: &[Value], b: &[Value], keys: &[(&str, &str)], col: &str| {
        let get = |r: &[Value]| {
            r.iter()
                .find(|x| keys.iter().all(|(k, v)| x[*k] == *v))
                .map(|x| d(x[col].as_str().unwrap()))
                .unwrap_or_default()
        };
        get(b) - get(a)
    };
    // Revenue 952.32, freight 12.50, COGS 453.48: net income +511.34, in
    // the period and the year to date alike.
    for col in ["period", "year_to_date"] {
        assert_eq!(moved(&pl0, &pl1, &[("account", "4000")], col), d("952.32"));
        assert_eq!(moved(&pl0, &pl1, &[("account", "4200")], col), d("12.50"));
        assert_eq!(moved(&pl0, &pl1, &[("account", "5000")], col), d("453.48"));
        assert_eq!(
            moved(&pl0, &pl1, &[("name", "Total revenue")], col),
            d("964.82")
        );
        assert_eq!(moved(&pl0, &pl1, &[("name", net)], col), d("511.34"));
    }
    // Net income is revenue less expenses, row by row.
    let total = |name: &str| cell(&pl1, &[("name", name)], "period");
    assert_eq!(total(net), total("Total revenue") - total("Total expenses"));
    // Balance sheet: AR +1,062.43, inventory -453.48, sales tax owed
    // +97.61, earnings +511.34; and it balances before and after.
    assert_eq!(
        moved(&bs0, &bs1, &[("account", "1100")], "balance"),
        d("1062.43")
    );
    assert_eq!(
        moved(&bs0, &bs1, &[("account", "1200")], "balance"),
        d("-453.48")
    );
    assert_eq!(
        moved(&bs0, &bs1, &[("account", "2200")], "balance"),
        d("97.61")
    );
    assert_eq!(
        moved(
            &bs0,
            &bs1,
            &[("name", "Earnings not yet closed")],
            "balance"
        ),
        d("511.34")
    );
    for bs in [&bs0, &bs1] {
        assert_eq!(
            cell(bs, &[("name", "Total assets")], "balance"),
            cell(bs, &[("name", "Total liabilities and equity")], "balance"),
            "{bs:#?}"
        );
    }
    // The earnings line is what the P&L says since the books began.
    assert_eq!(
        cell(&bs1, &[("name", "Earnings not yet closed")], "balance"),
        cell(&pl1, &[("name", net)], "year_to_date"),
        "the demo's books begin in this fiscal year"
    );

    // Margin of the sale: 952.32 - 453.48 = 498.84, 52.4 %.
    let m = rows(&s, "margin", &o);
    assert_eq!(cell(&m, &[("customer", "C0002")], "margin"), d("498.84"));
    assert_eq!(cell(&m, &[("customer", "C0002")], "margin_pct"), d("52.4"));
    let by_item = rows(
        &s,
        "margin",
        &Options {
            by: Some("item".into()),
            ..o.clone()
        },
    );
    assert_eq!(cell(&by_item, &[("item", "FAS-1001")], "cost"), d("453.48"));
    assert!(build_with(
        "margin",
        &s,
        &Options {
            by: Some("colour".into()),
            ..o.clone()
        }
    )
    .is_err());

    // DSO: receivables over three periods' sales (Sep, Oct, Nov: 91 days).
    let dso = rows(&s, "dso", &o);
    let ar = cell(&dso, &[("entity", "US01")], "receivables");
    let sales = cell(&dso, &[("entity", "US01")], "sales_3_periods");
    assert_eq!(cell(&dso, &[("entity", "US01")], "days"), d("91"));
    assert_eq!(
        cell(&dso, &[("entity", "US01")], "dso"),
        (ar * d("91") / sales).round_dp(1)
    );
    assert_eq!(
        ar,
        cell(&bs1, &[("account", "1100")], "balance"),
        "receivables are the AR control account"
    );
}

#[test]
fn statement_lists_invoice_payment_and_the_balance_due() {
    let mut s = demo();
    let inv = sell(&mut s, "2026-11-25");
    let number = inv["number"].as_str().unwrap().to_string();
    exec(
        &mut s,
        "AR1",
        &format!(
            r#"{{"cmd":"receive_payment","customer":"C0002","method":"cheque","amount":"400.00","reference":"CHQ 9","apply":[{{"invoice":"{number}","amount":"400.00"}}]}}"#
        ),
        "2026-11-26",
    );
    let o = Options {
        customer: Some("C0002".into()),
        ..options(None, "2026-11-27")
    };
    let st = rows(&s, "statement", &o);
    assert_eq!(cell(&st, &[("document", &number)], "amount"), d("1062.43"));
    assert_eq!(
        cell(&st, &[("what", "payment CHQ 9")], "amount"),
        d("-400.00")
    );
    assert_eq!(
        cell(&st, &[("what", "payment CHQ 9")], "balance"),
        d("662.43")
    );
    assert_eq!(
        cell(
            &st,
            &[("what", "balance due (open invoices less credit on account)")],
            "balance"
        ),
        d("662.43")
    );
    // NET30 from the 25th: current.
    assert_eq!(
        cell(&st, &[("what", "open current days past due")], "amount"),
        d("662.43")
    );
    // As of the day before the payment, the payment is not on it.
    let before = rows(
        &s,
        "statement",
        &Options {
            today: day("2026-11-25"),
            ..o.clone()
        },
    );
    assert!(before.iter().all(|r| r["what"] != "payment CHQ 9"));
    // A customer is required and must exist.
    assert!(build_with("statement", &s, &options(None, "2026-11-27")).is_err());
    assert!(build_with(
        "statement",
        &s,
        &Options {
            customer: Some("NOPE".into()),
            ..o
        }
    )
    .is_err());
}

#[test]
fn aging_ap_reads_open_supplier_invoices_by_days_past_due() {
    let mut s = demo();
    exec(
        &mut s,
        "BUY1",
        r#"{"cmd":"create_purchase_order","supplier":"V001","warehouse":"CHI","lines":[{"sku":"FAS-1001","qty":"10"}]}"#,
        "2026-11-25",
    );
    exec(
        &mut s,
        "RECV1",
        r#"{"cmd":"receive_purchase","po":"PO-000001","bin":"DOCK-1","lines":[{"item":"FAS-1001","qty":"10"}]}"#,
        "2026-11-25",
    );
    let ev = exec(
        &mut s,
        "AP1",
        r#"{"cmd":"enter_supplier_invoice","supplier":"V001","reference":"V-1","lines":[{"po":"PO-000001","line":1,"qty":"10","price":"37.79"}]}"#,
        "2026-11-25",
    );
    let inv = &ev[0]["supplier_invoice_entered"]["invoice"];
    assert_eq!(inv["status"], "open", "{inv}");
    assert_eq!(inv["total"], "377.90");
    let due = day(inv["due"].as_str().unwrap());
    let o = |as_of: NaiveDate| Options::new(Some("US01"), as_of);
    let a = rows(&s, "aging-ap", &o(due));
    assert_eq!(cell(&a, &[("supplier", "V001")], "current"), d("377.90"));
    let later = due + chrono::Duration::days(45);
    let a = rows(&s, "aging-ap", &o(later));
    assert_eq!(cell(&a, &[("supplier", "V001")], "31-60"), d("377.90"));
    assert_eq!(cell(&a, &[("supplier", "TOTAL")], "total"), d("377.90"));
    // Paid in part: only the rest ages; paid in full: off the report.
    exec(
        &mut s,
        "AP1",
        r#"{"cmd":"pay_supplier","supplier":"V001","reference":"ACH 1","apply":[{"invoice":"AP-000001","amount":"100.00"}]}"#,
        "2026-11-26",
    );
    let a = rows(&s, "aging-ap", &o(later));
    assert_eq!(cell(&a, &[("supplier", "V001")], "31-60"), d("277.90"));
    exec(
        &mut s,
        "AP1",
        r#"{"cmd":"pay_supplier","supplier":"V001","reference":"ACH 2","apply":[{"invoice":"AP-000001","amount":"277.90"}]}"#,
        "2026-11-27",
    );
    let a = rows(&s, "aging-ap", &o(later));
    assert!(a.iter().all(|r| r["supplier"] != "V001"), "{a:#?}");
    assert!(s.index.open_supplier_invoices.is_empty());
}

/// CHI (US01, USD) ships 10 FAS-1001 to TOR (CA01, CAD) at 40.00 on
/// 2026-11-25: US01 due-from (1300) 400.00; CA01 due-to (2400) 556.12 CAD
/// at that day's 1.3903. Consolidated in USD:
/// - as of 2026-11-25, CAD->USD is 0.71926922: 556.12 CAD -> 400.00, the
///   intercompany balances offset exactly and eliminate to nothing;
/// - as of 2026-11-28, CAD->USD is 0.71725721: 556.12 CAD -> 398.88; both
///   are eliminated (-400.00, +398.88) and the 1.12 they no longer offset
///   by is a translation difference.
///
/// Each column totals zero.
#[test]
fn consolidated_trial_balance_eliminates_intercompany() {
    let mut s = demo();
    exec(
        &mut s,
        "SHIP1",
        r#"{"cmd":"ship_transfer","from":"CHI","to":"TOR","lines":[{"bin":"R-01-02","sku":"FAS-1001","qty":"10","price":"40.00"}]}"#,
        "2026-11-25",
    );
    exec(
        &mut s,
        "RECV1",
        r#"{"cmd":"receive_transfer","number":"TR-000001","bin":"B-03-03"}"#,
        "2026-11-25",
    );
    let consolidated = |as_of: &str| {
        rows(
            &s,
            "trial-balance",
            &Options {
                currency: Some("USD".into()),
                ..options(None, as_of)
            },
        )
    };
    let tb = consolidated("2026-11-25");
    let acct = |tb: &[Value], a: &str, col: &str| cell(tb, &[("account", a)], col);
    assert_eq!(acct(&tb, "1300", "entities"), d("400.00"));
    assert_eq!(acct(&tb, "2400", "entities"), d("-400.00"));
    for a in ["1300", "2400"] {
        assert_eq!(acct(&tb, a, "consolidated"), d("0.00"), "{a}");
    }
    assert_eq!(acct(&tb, "ICDIFF", "eliminated"), d("0.00"));

    // The due-to (not revalued) no longer offsets at the 28th's rate: the
    // 1.12 is its own line (issue 16: not folded into translation).
    let tb = consolidated("2026-11-28");
    assert_eq!(acct(&tb, "1300", "eliminated"), d("-400.00"));
    assert_eq!(acct(&tb, "2400", "entities"), d("-398.88"));
    assert_eq!(acct(&tb, "2400", "eliminated"), d("398.88"));
    assert_eq!(acct(&tb, "ICDIFF", "eliminated"), d("1.12"));
    for col in ["entities", "eliminated", "consolidated"] {
        assert_eq!(acct(&tb, "TOTAL", col), d("0.00"), "{col}");
        let sum: Decimal = tb
            .iter()
            .filter(|r| r["account"] != "TOTAL")
            .map(|r| d(r[col].as_str().unwrap()))
            .sum();
        assert_eq!(sum, d("0.00"), "{col} adds up to its total");
    }
    // Inventory at TOR, translated: 556.12 CAD x 0.71725721 = 398.88 in
    // the consolidated 1250 alongside US01's own stock.
    let per_entity = |e: &str| rows(&s, "trial-balance", &options(Some(e), "2026-11-28"));
    let ca = per_entity("CA01");
    let bal = |tb: &[Value], a: &str| {
        let r = tb.iter().find(|r| r["account"] == a).unwrap();
        let n = |c: &str| {
            r[c].as_str()
                .filter(|x| !x.is_empty())
                .map(d)
                .unwrap_or_default()
        };
        n("debit") - n("credit")
    };
    assert_eq!(bal(&ca, "2400"), d("-556.12"));
    // No rate into the asked currency: a clear error.
    assert!(build_with(
        "trial-balance",
        &s,
        &Options {
            currency: Some("JPY".into()),
            ..options(None, "2026-11-28")
        }
    )
    .is_err());
}

#[test]
fn close_checklist_names_what_blocks_the_close() {
    let mut s = demo();
    // Shipped, not invoiced: the close of November is blocked.
    ship(&mut s, "2026-11-25", "0");
    let o = options(Some("US01"), "2026-11-25");
    let c = rows(&s, "close-checklist", &o);
    let row = c
        .iter()
        .find(|r| r["check"] == "shipments_not_invoiced")
        .unwrap();
    assert_eq!(row["status"], "OPEN", "{row}");
    assert_eq!(row["blocking"], "yes");
    assert_eq!(row["count"], "1");
    for sub in ["ar_subledger", "ap_subledger", "inventory_subledger"] {
        let r = c.iter().find(|r| r["check"] == sub).unwrap();
        assert_eq!(r["status"], "ok", "{r}");
    }
    exec(
        &mut s,
        "AR1",
        r#"{"cmd":"invoice_shipments","shipments":["SH-000001"]}"#,
        "2026-11-25",
    );
    let c = rows(&s, "close-checklist", &o);
    let row = c
        .iter()
        .find(|r| r["check"] == "shipments_not_invoiced")
        .unwrap();
    assert_eq!(row["status"], "ok", "{row}");
}

/// GRNI ages by the oldest receipt not yet invoiced: invoices relieve the
/// oldest receipts first.
#[test]
fn grni_ages_by_the_oldest_receipt_not_invoiced() {
    let mut s = demo();
    exec(
        &mut s,
        "BUY1",
        r#"{"cmd":"create_purchase_order","supplier":"V001","warehouse":"CHI","lines":[{"sku":"FAS-1001","qty":"10"}]}"#,
        "2026-11-25",
    );
    for (q, at) in [("4", "2026-11-25"), ("6", "2026-11-27")] {
        exec(
            &mut s,
            "RECV1",
            &format!(
                r#"{{"cmd":"receive_purchase","po":"PO-000001","bin":"DOCK-1","lines":[{{"item":"FAS-1001","qty":"{q}"}}]}}"#
            ),
            at,
        );
    }
    let o = options(Some("US01"), "2027-01-30");
    let g = rows(&s, "grni", &o);
    let row = g.iter().find(|r| r["po"] == "PO-000001").unwrap();
    assert_eq!(row["oldest_open_receipt"], "2026-11-25", "{row}");
    assert_eq!(row["age_days"], "66");
    assert_eq!(
        cell(&g, &[("po", "TOTAL US01 61-90 days")], "value"),
        d("377.90"),
        "10 x 37.79, all of it from the 25th on"
    );
    exec(
        &mut s,
        "AP1",
        r#"{"cmd":"enter_supplier_invoice","supplier":"V001","reference":"V-2","lines":[{"po":"PO-000001","line":1,"qty":"4","price":"37.79"}]}"#,
        "2026-11-28",
    );
    let g = rows(&s, "grni", &o);
    let row = g.iter().find(|r| r["po"] == "PO-000001").unwrap();
    assert_eq!(row["oldest_open_receipt"], "2026-11-27", "{row}");
    assert_eq!(row["age_days"], "64");
    assert_eq!(row["value"], "226.74", "6 x 37.79 still accrued");
}

/// Pick every line of `list` from the bins it names, pack one carton of
/// `weight` kg and ship it (no freight).
fn pick_pack_ship(s: &mut State, list: &str, weight: &str, at: &str) {
    let pick = s.picks[&list.to_code()].clone();
    let mut contents: BTreeMap<String, Decimal> = BTreeMap::new();
    for l in &pick.lines {
        exec(
            s,
            "PICK1",
            &serde_json::json!({"cmd":"confirm_pick","list":list,"line":l.line,"bin":l.bin,
                "item":l.sku,"qty":l.qty.to_string()})
            .to_string(),
            at,
        );
        *contents.entry(l.sku.to_string()).or_default() += l.qty;
    }
    let contents: Vec<Value> = contents
        .iter()
        .map(|(sku, q)| serde_json::json!({"item":sku,"qty":q.to_string()}))
        .collect();
    exec(
        s,
        "PACK1",
        &serde_json::json!({"cmd":"pack_carton","list":list,"contents":contents,"weight":weight})
            .to_string(),
        at,
    );
    exec(
        s,
        "SHIP1",
        &serde_json::json!({"cmd":"ship_pick","list":list,"carrier":"FEDEX","service":"GND",
            "tracking":"2","freight":"0"})
        .to_string(),
        at,
    );
}

/// Issue 16 item 2: a credit memo later applied to a new invoice was shown
/// twice on the statement (as the credit memo and again as the receipt
/// that applied it). By hand, C0002 (IL, 10.25 %, FAS-1001 at 79.36):
///
/// - 11-25 IN-000001 1,062.43 ([`sell`]), paid in full the same day.
/// - 11-26 two units returned, restocked: CM-000001 goods 2 x 79.36 =
///   158.72, tax 10.25 % x 158.72 = 16.2688 -> 16.27, total 174.99; the
///   invoice is paid, so all of it is credit on account. Balance -174.99.
/// - 11-27 IN-000002: 3 x 79.36 = 238.08, tax 24.4032 -> 24.40, no
///   freight, total 262.48. Balance 87.49.
/// - 11-27 the credit of 174.99 applied to IN-000002: it leaves 262.48 -
///   174.99 = 87.49 open. The balance does not move (the credit was
///   counted when the memo was issued): 87.49, which is what C0002 owes and
///   the AR aging total. Counting the application again gave -87.50.
#[test]
fn statement_counts_credit_applied_to_a_later_invoice_once() {
    let mut s = demo();
    let inv = sell(&mut s, "2026-11-25");
    assert_eq!(inv["total"], "1062.43");
    exec(
        &mut s,
        "AR1",
        r#"{"cmd":"receive_payment","customer":"C0002","method":"transfer","amount":"1062.43","reference":"W1","apply":[{"invoice":"IN-000001","amount":"1062.43"}]}"#,
        "2026-11-25",
    );
    exec(
        &mut s,
        "CLERK1",
        r#"{"cmd":"authorize_return","invoice":"IN-000001","reason":"damaged","lines":[{"line":1,"qty":"2","disposition":"restock"}]}"#,
        "2026-11-26",
    );
    let ev = exec(
        &mut s,
        "RECV1",
        r#"{"cmd":"receive_return","rma":"RMA-000001","bin":"B-03-03"}"#,
        "2026-11-26",
    );
    let memo = ev
        .iter()
        .find_map(|e| e.get("credit_memo_issued"))
        .expect("a credit memo");
    assert_eq!(memo["memo"]["total"], "174.99", "{memo}");
    assert_eq!(memo["memo"]["to_credit"], "174.99");
    exec(
        &mut s,
        "CLERK1",
        r#"{"cmd":"place_order","customer":"C0002","lines":[{"sku":"FAS-1001","qty":"3","warehouse":"CHI"}]}"#,
        "2026-11-27",
    );
    exec(
        &mut s,
        "SHIP1",
        r#"{"cmd":"release_order","number":"SO-000002"}"#,
        "2026-11-27",
    );
    pick_pack_ship(&mut s, "PK-000002", "3.93", "2026-11-27");
    let ev = exec(
        &mut s,
        "AR1",
        r#"{"cmd":"invoice_shipments","shipments":["SH-000002"]}"#,
        "2026-11-27",
    );
    assert_eq!(ev[0]["invoiced"]["invoice"]["total"], "262.48");
    exec(
        &mut s,
        "AR1",
        r#"{"cmd":"receive_payment","customer":"C0002","method":"credit","amount":"0","apply":[{"invoice":"IN-000002","amount":"174.99"}]}"#,
        "2026-11-27",
    );
    assert_eq!(s.invoices[&"IN-000002".to_code()].open, d("87.49"));

    let o = Options {
        customer: Some("C0002".into()),
        ..options(Some("US01"), "2026-11-27")
    };
    let st = rows(&s, "statement", &o);
    let due = cell(
        &st,
        &[("what", "balance due (open invoices less credit on account)")],
        "balance",
    );
    assert_eq!(due, d("87.49"), "{st:#?}");
    assert_eq!(
        cell(&st, &[("document", "CM-000001")], "balance"),
        d("-174.99")
    );
    assert_eq!(
        cell(&st, &[("document", "IN-000002")], "balance"),
        d("87.49")
    );
    // The AR aging says the same.
    let aging = rows(&s, "aging-ar", &options(Some("US01"), "2026-11-27"));
    assert_eq!(cell(&aging, &[("customer", "C0002")], "total"), due);
}

/// Issue 16 item 7: the margin report counts returns. [`sell`] gives
/// C0002 12 FAS-1001: revenue 952.32, cost 12 x 37.79 = 453.48, margin
/// 498.84. Two come back restocked: revenue 2 x 79.36 = 158.72 credited,
/// their cost 2 x 37.79 = 75.58 back into stock: 10 sold, revenue 793.60,
/// cost 377.90, margin 415.70, 415.70 / 793.60 = 52.38 % -> 52.4. One more
/// comes back scrapped: revenue 79.36 credited, the cost stays spent: 9
/// sold, revenue 714.24, cost 377.90, margin 336.34, 47.09 % -> 47.1.
#[test]
fn margin_takes_returns_and_their_credit_memos_off() {
    let mut s = demo();
    sell(&mut s, "2026-11-25");
    exec(
        &mut s,
        "CLERK1",
        r#"{"cmd":"authorize_return","invoice":"IN-000001","reason":"overstock","lines":[{"line":1,"qty":"2","disposition":"restock"}]}"#,
        "2026-11-26",
    );
    exec(
        &mut s,
        "RECV1",
        r#"{"cmd":"receive_return","rma":"RMA-000001","bin":"B-03-03"}"#,
        "2026-11-26",
    );
    let o = options(Some("US01"), "2026-11-26");
    let m = rows(&s, "margin", &o);
    let c = [("customer", "C0002")];
    assert_eq!(cell(&m, &c, "quantity"), d("10"), "{m:#?}");
    assert_eq!(cell(&m, &c, "revenue"), d("793.60"));
    assert_eq!(cell(&m, &c, "cost"), d("377.90"));
    assert_eq!(cell(&m, &c, "margin"), d("415.70"));
    assert_eq!(cell(&m, &c, "margin_pct"), d("52.4"));
    // As of the day of the sale the return is not on it yet.
    let m = rows(&s, "margin", &options(Some("US01"), "2026-11-25"));
    assert_eq!(cell(&m, &c, "margin"), d("498.84"));

    exec(
        &mut s,
        "CLERK1",
        r#"{"cmd":"authorize_return","invoice":"IN-000001","reason":"damaged","lines":[{"line":1,"qty":"1","disposition":"scrap"}]}"#,
        "2026-11-26",
    );
    exec(
        &mut s,
        "RECV1",
        r#"{"cmd":"receive_return","rma":"RMA-000002"}"#,
        "2026-11-26",
    );
    let m = rows(
        &s,
        "margin",
        &Options {
            by: Some("item".into()),
            ..o
        },
    );
    let i = [("item", "FAS-1001")];
    assert_eq!(cell(&m, &i, "quantity"), d("9"), "{m:#?}");
    assert_eq!(cell(&m, &i, "revenue"), d("714.24"));
    assert_eq!(cell(&m, &i, "cost"), d("377.90"));
    assert_eq!(cell(&m, &i, "margin"), d("336.34"));
    assert_eq!(cell(&m, &i, "margin_pct"), d("47.1"));
}

/// Issue 16 item 3: reports as of three dates of a month, all read from
/// the same final state. December 2026 on the demo (C0002 owes nothing and
/// FAS-1001 is 120 at 4,534.80 in US01 before it):
///
/// - 12-05: 12 FAS-1001 shipped and invoiced to C0002 ([`sell`]):
///   IN-000001 1,062.43 (goods 952.32, tax 97.61, freight 12.50), COGS
///   12 x 37.79 = 453.48; due 2027-01-04.
/// - 12-15: C0002 pays 400.00; 10 FAS-1001 received at 37.79 (377.90,
///   Dr Inventory / Cr GRNI) and invoiced by V001 (Dr GRNI / Cr AP 377.90).
/// - 12-25: V001 paid 377.90; C0002 pays the 662.43 left.
///
/// As of 12-10: AR +1,062.43, bank 0, inventory -453.48, FAS-1001 108 at
/// 4,081.32, nobody owed; 5 entries later (2 on the 15th... 12-15: payment,
/// receipt, supplier invoice; 12-25: two payments).
/// As of 12-20: AR +662.43, bank +400.00, inventory -453.48 + 377.90 =
/// -75.58, AP -377.90, GRNI 0, FAS-1001 118 at 4,459.22; 2 entries later.
/// As of 12-31: AR 0, bank 400.00 + 662.43 - 377.90 = +684.53, AP 0,
/// inventory -75.58; nothing later.
#[test]
fn reports_as_of_three_dates_of_a_month() {
    let mut s = demo();
    let o = |d: &str| options(Some("US01"), d);
    let tb0 = rows(&s, "trial-balance", &o("2026-11-30"));
    let val0 = rows(&s, "stock-valuation", &o("2026-11-30"));
    let fas = [("entity", "US01"), ("sku", "FAS-1001")];
    assert_eq!(cell(&val0, &fas, "qty"), d("120"));
    assert_eq!(cell(&val0, &fas, "value"), d("4534.80"));

    let inv = sell(&mut s, "2026-12-05");
    assert_eq!(inv["total"], "1062.43");
    assert_eq!(inv["due"], "2027-01-04");
    exec(
        &mut s,
        "AR1",
        r#"{"cmd":"receive_payment","customer":"C0002","method":"cheque","amount":"400.00","reference":"CHQ 1","apply":[{"invoice":"IN-000001","amount":"400.00"}]}"#,
        "2026-12-15",
    );
    exec(
        &mut s,
        "BUY1",
        r#"{"cmd":"create_purchase_order","supplier":"V001","warehouse":"CHI","lines":[{"sku":"FAS-1001","qty":"10"}]}"#,
        "2026-12-15",
    );
    exec(
        &mut s,
        "RECV1",
        r#"{"cmd":"receive_purchase","po":"PO-000001","bin":"DOCK-1","lines":[{"item":"FAS-1001","qty":"10"}]}"#,
        "2026-12-15",
    );
    exec(
        &mut s,
        "AP1",
        r#"{"cmd":"enter_supplier_invoice","supplier":"V001","reference":"V-1","lines":[{"po":"PO-000001","line":1,"qty":"10","price":"37.79"}]}"#,
        "2026-12-15",
    );
    exec(
        &mut s,
        "AP1",
        r#"{"cmd":"pay_supplier","supplier":"V001","reference":"ACH 1","apply":[{"invoice":"AP-000001","amount":"377.90"}]}"#,
        "2026-12-25",
    );
    exec(
        &mut s,
        "AR1",
        r#"{"cmd":"receive_payment","customer":"C0002","method":"cheque","amount":"662.43","reference":"CHQ 2","apply":[{"invoice":"IN-000001","amount":"662.43"}]}"#,
        "2026-12-25",
    );

    // Trial balance: debit minus credit moved since November, per account.
    let signed = |rows: &[Value], account: &str| -> Decimal {
        rows.iter()
            .find(|r| r["entity"] == "US01" && r["account"] == account)
            .map(|r| {
                let v = |c: &str| {
                    r[c].as_str()
                        .filter(|x| !x.is_empty())
                        .map(d)
                        .unwrap_or_default()
                };
                v("debit") - v("credit")
            })
            .unwrap_or_default()
    };
    let moved = |day: &str, account: &str| {
        signed(&rows(&s, "trial-balance", &o(day)), account) - signed(&tb0, account)
    };
    for (day, bank, ar, inv, grni, ap) in [
        ("2026-12-10", "0", "1062.43", "-453.48", "0", "0"),
        ("2026-12-20", "400.00", "662.43", "-75.58", "0", "-377.90"),
        ("2026-12-31", "684.53", "0", "-75.58", "0", "0"),
    ] {
        assert_eq!(moved(day, "1000"), d(bank), "bank as of {day}");
        assert_eq!(moved(day, "1100"), d(ar), "AR as of {day}");
        assert_eq!(moved(day, "1200"), d(inv), "inventory as of {day}");
        assert_eq!(moved(day, "2100"), d(grni), "GRNI as of {day}");
        assert_eq!(moved(day, "2000"), d(ap), "AP as of {day}");
        assert_eq!(moved(day, "4000"), d("-952.32"), "sales as of {day}");
        assert_eq!(moved(day, "5000"), d("453.48"), "COGS as of {day}");
    }
    // Entries dated after the day are left out and footnoted.
    let tb = build_with("trial-balance", &s, &o("2026-12-10")).unwrap();
    assert!(tb.title.contains("by posting date"), "{}", tb.title);
    assert_eq!(
        tb.notes,
        ["5 journal entries dated after 2026-12-10 not included"]
    );
    let tb = build_with("trial-balance", &s, &o("2026-12-20")).unwrap();
    assert_eq!(
        tb.notes,
        ["2 journal entries dated after 2026-12-20 not included"]
    );
    assert!(build_with("trial-balance", &s, &o("2026-12-31"))
        .unwrap()
        .notes
        .is_empty());

    // AR aging: IN-000001 (due 2027-01-04, current) open as it was.
    let c2 = [("customer", "C0002")];
    let ar = |day: &str| rows(&s, "aging-ar", &o(day));
    assert_eq!(cell(&ar("2026-12-10"), &c2, "current"), d("1062.43"));
    assert_eq!(cell(&ar("2026-12-20"), &c2, "current"), d("662.43"));
    assert!(ar("2026-12-31").iter().all(|r| r["customer"] != "C0002"));
    assert!(ar("2026-12-04").iter().all(|r| r["customer"] != "C0002"));
    assert_eq!(
        build_with("aging-ar", &s, &o("2026-12-04")).unwrap().notes,
        ["1 invoice(s) dated after 2026-12-04 not included"]
    );
    assert!(build_with("aging-ar", &s, &o("2026-12-31"))
        .unwrap()
        .notes
        .is_empty());
    assert_eq!(
        build_with("aging-ap", &s, &o("2026-12-10")).unwrap().notes,
        ["1 supplier invoice(s) dated after 2026-12-10 not included"]
    );
    // AP aging: AP-000001 (entered 12-15, paid 12-25).
    let ap = |day: &str| rows(&s, "aging-ap", &o(day));
    assert!(ap("2026-12-10").iter().all(|r| r["supplier"] != "V001"));
    assert_eq!(
        cell(&ap("2026-12-20"), &[("supplier", "V001")], "total"),
        d("377.90")
    );
    assert!(ap("2026-12-31").iter().all(|r| r["supplier"] != "V001"));

    // Stock valuation of FAS-1001 in US01.
    let val = |day: &str| rows(&s, "stock-valuation", &o(day));
    for (day, q, v) in [
        ("2026-12-10", "108", "4081.32"),
        ("2026-12-20", "118", "4459.22"),
        ("2026-12-31", "118", "4459.22"),
    ] {
        assert_eq!(cell(&val(day), &fas, "qty"), d(q), "qty as of {day}");
        assert_eq!(cell(&val(day), &fas, "value"), d(v), "value as of {day}");
    }
    let t = build_with("stock-valuation", &s, &o("2026-12-10")).unwrap();
    assert!(t.title.contains("by event time"), "{}", t.title);
    assert_eq!(t.notes.len(), 1, "{:?}", t.notes);

    // Consolidated trial balance in USD: US01's AR as it was (CA01 has
    // none).
    let ctb = |day: &str| {
        let o = Options {
            currency: Some("USD".into()),
            ..options(None, day)
        };
        rows(&s, "trial-balance", &o)
    };
    assert_eq!(
        cell(&ctb("2026-12-10"), &[("account", "1100")], "consolidated"),
        d("1062.43")
    );
    assert_eq!(
        cell(&ctb("2026-12-20"), &[("account", "1100")], "consolidated"),
        d("662.43")
    );

    // Close checklist: AR and its control account as at each period end.
    let cl = rows(&s, "close-checklist", &o("2026-11-30"));
    let ar_line = cl
        .iter()
        .find(|r| r["check"] == "ar_subledger")
        .expect("ar_subledger");
    assert_eq!(ar_line["status"], "ok", "{ar_line}");
}

/// A refund of credit on account shows on the statement and raises the
/// balance back: C0002 pays 500.00 applied to nothing (balance -500.00),
/// 200.00 is refunded (balance -300.00, still owed to the customer).
#[test]
fn statement_shows_a_refund_of_credit() {
    let mut s = demo();
    exec(
        &mut s,
        "AR1",
        r#"{"cmd":"receive_payment","customer":"C0002","method":"cash","amount":"500.00"}"#,
        "2026-11-25",
    );
    let ev = exec(
        &mut s,
        "AR1",
        r#"{"cmd":"refund_credit","customer":"C0002","amount":"200.00","reference":"CHQ OUT 1"}"#,
        "2026-11-26",
    );
    assert_eq!(ev[0]["credit_refunded"]["refund"]["number"], "RF-000001");
    let o = Options {
        customer: Some("C0002".into()),
        ..options(Some("US01"), "2026-11-26")
    };
    let st = rows(&s, "statement", &o);
    assert_eq!(
        cell(&st, &[("document", "RF-000001")], "amount"),
        d("200.00")
    );
    assert_eq!(
        cell(
            &st,
            &[("what", "balance due (open invoices less credit on account)")],
            "balance"
        ),
        d("-300.00")
    );
    assert_eq!(s.unapplied[&("US01".into(), "C0002".into())], d("300.00"));
}

/// A credit memo not from a return (an allowance) comes off revenue in the
/// margin and off the invoice: [`sell`] gives 952.32 revenue, 453.48 cost;
/// an allowance of 52.32 on the line (tax 10.25 % x 52.32 = 5.3628 ->
/// 5.36) leaves revenue 900.00, margin 446.52, quantity 12, and the
/// invoice 1,062.43 - 57.68 = 1,004.75 open.
#[test]
fn an_allowance_credits_the_invoice_and_the_margin() {
    let mut s = demo();
    sell(&mut s, "2026-11-25");
    let ev = exec(
        &mut s,
        "AR1",
        r#"{"cmd":"issue_credit_memo","invoice":"IN-000001","reason":"price adjustment","lines":[{"line":1,"amount":"52.32"}]}"#,
        "2026-11-26",
    );
    let memo = &ev[0]["credit_memo_issued"]["memo"];
    assert_eq!(memo["total"], "57.68", "{memo}");
    assert_eq!(s.invoices[&"IN-000001".to_code()].open, d("1004.75"));
    let m = rows(&s, "margin", &options(Some("US01"), "2026-11-26"));
    let c = [("customer", "C0002")];
    assert_eq!(cell(&m, &c, "quantity"), d("12"));
    assert_eq!(cell(&m, &c, "revenue"), d("900.00"));
    assert_eq!(cell(&m, &c, "margin"), d("446.52"));
    depot::core::invariants::check_state(&s).expect("invariants");
}

/// A command at an exact UTC instant (RFC 3339); its rejection if refused.
fn try_at(
    s: &mut State,
    operator: &str,
    json: &serde_json::Value,
    at: &str,
) -> Result<Vec<Value>, depot::core::Rejection> {
    let body: CommandBody = serde_json::from_value(json.clone()).expect("command json");
    let cmd = Command {
        operator: operator.into(),
        session: "finance".into(),
        time: chrono::DateTime::parse_from_rfc3339(at)
            .unwrap()
            .with_timezone(&Utc),
        key: None,
        body,
    };
    execute(s, &cmd).map(|env| {
        env.events()
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect()
    })
}

fn at(s: &mut State, operator: &str, json: serde_json::Value, when: &str) -> Vec<Value> {
    try_at(s, operator, &json, when).unwrap_or_else(|r| panic!("{operator}: {r}"))
}

/// Order, pick, pack, ship and invoice `qty` of `sku` from `warehouse` to
/// `customer`, every step at the UTC instant `when`: the invoice.
fn invoice_at(
    s: &mut State,
    customer: &str,
    sku: &str,
    qty: &str,
    warehouse: &str,
    when: &str,
) -> Value {
    let order = format!("SO-{:06}", s.next_order + 1);
    at(
        s,
        "CLERK1",
        serde_json::json!({"cmd":"place_order","customer":customer,
            "lines":[{"sku":sku,"qty":qty,"warehouse":warehouse}]}),
        when,
    );
    at(
        s,
        "SHIP1",
        serde_json::json!({"cmd":"release_order","number":order}),
        when,
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
        at(
            s,
            "PICK1",
            serde_json::json!({"cmd":"confirm_pick","list":list,"line":l.line,"bin":l.bin,
                "item":l.sku,"qty":l.qty.to_string()}),
            when,
        );
        weight += l.qty * s.items[&l.sku].weight_kg;
    }
    at(
        s,
        "PACK1",
        serde_json::json!({"cmd":"pack_carton","list":list,
            "contents":[{"item":sku,"qty":qty}],"weight":weight.to_string()}),
        when,
    );
    let carrier = s.customers[&customer.to_code()]
        .ship_policy
        .carrier
        .clone()
        .unwrap_or_default();
    let service = s.customers[&customer.to_code()]
        .ship_policy
        .service
        .clone()
        .unwrap_or_default();
    let shipped = at(
        s,
        "SHIP1",
        serde_json::json!({"cmd":"ship_pick","list":list,"carrier":carrier,"service":service,
            "tracking":"TZ","freight":"0"}),
        when,
    );
    let shipment = shipped
        .iter()
        .find_map(|e| e["shipped"]["shipment"]["number"].as_str())
        .unwrap()
        .to_string();
    let ev = at(
        s,
        "AR1",
        serde_json::json!({"cmd":"invoice_shipments","shipments":[shipment]}),
        when,
    );
    ev[0]["invoiced"].clone()
}

/// Issue 16 item 6: business dates are local dates. An invoice at 23:30
/// on 30 November in Chicago (05:30 UTC on 1 December) and in Toronto
/// (04:30 UTC) is dated 30 November, posts to FY2026-11, is due 30 days
/// (NET30, Chicago's C0002) or 15 days (NET15, Toronto's C0005) from
/// that date, and ages from the local date: on the evening of its due
/// date it is current, though it is already the next day in UTC.
#[test]
fn an_invoice_late_in_the_evening_is_dated_where_it_happens() {
    let mut s = demo();
    let chi = invoice_at(
        &mut s,
        "C0002",
        "FAS-1001",
        "12",
        "CHI",
        "2026-12-01T05:30:00Z",
    );
    assert_eq!(chi["invoice"]["date"], "2026-11-30");
    assert_eq!(chi["journal"]["date"], "2026-11-30");
    assert_eq!(chi["journal"]["period"], "FY2026-11");
    assert_eq!(chi["invoice"]["due"], "2026-12-30");
    let tor = invoice_at(
        &mut s,
        "C0005",
        "FAS-1000",
        "2",
        "TOR",
        "2026-12-01T04:30:00Z",
    );
    assert_eq!(tor["invoice"]["date"], "2026-11-30");
    assert_eq!(tor["journal"]["period"], "FY2026-11");
    assert_eq!(tor["invoice"]["due"], "2026-12-15");
    // The shipments too (warehouse dates) and COGS with them.
    assert!(s
        .shipments
        .values_sorted()
        .into_iter()
        .all(|x| x.date == day("2026-11-30")));
    let chi_total = Decimal::from_str_exact(chi["invoice"]["total"].as_str().unwrap()).unwrap();

    // Aging without --as-of: "today" is the entity's local date. At
    // 2026-12-31 03:00 UTC it is still 30 December in Chicago: the
    // invoice due 30 December is current, not a day past due.
    let mut o = Options::new(Some("US01"), day("2000-01-01"));
    o.now = Some(Utc.with_ymd_and_hms(2026, 12, 31, 3, 0, 0).unwrap());
    let r = rows(&s, "aging-ar", &o);
    assert_eq!(cell(&r, &[("customer", "C0002")], "current"), chi_total);
    assert_eq!(cell(&r, &[("customer", "C0002")], "1-30"), d("0.00"));
    // An hour after local midnight it is one day past due.
    o.now = Some(Utc.with_ymd_and_hms(2026, 12, 31, 7, 0, 0).unwrap());
    let r = rows(&s, "aging-ar", &o);
    assert_eq!(cell(&r, &[("customer", "C0002")], "1-30"), chi_total);

    // November closes with both invoices in it.
    at(
        &mut s,
        "CTRL1",
        serde_json::json!({"cmd":"close_period","entity":"US01","period":"FY2026-11"}),
        "2026-12-01T15:00:00Z",
    );
    // Replaying the log (events only) gives the same state: dates are in
    // the events, never recomputed.
    depot::core::invariants::check_state(&s).unwrap();
}

/// A carrier's cutoff is read on the warehouse's clock: FEDEX's 17:00
/// cutoff for a wave released at 15:00 Chicago time (21:00 UTC) is 17:00
/// Chicago the same day, 23:00 UTC (read as UTC it would have been 17:00
/// UTC the next day).
#[test]
fn a_wave_cutoff_is_read_in_the_warehouse_zone() {
    let mut s = demo();
    let cutoff = s.carriers[&"FEDEX".to_code()]
        .services
        .iter()
        .find(|x| x.code == "GND")
        .unwrap()
        .cutoff;
    at(
        &mut s,
        "CLERK1",
        serde_json::json!({"cmd":"place_order","customer":"C0002",
            "lines":[{"sku":"FAS-1001","qty":"12","warehouse":"CHI"}]}),
        "2026-11-25T15:00:00Z",
    );
    // The local time of release is one hour before the cutoff.
    let local_release = cutoff - chrono::Duration::hours(1);
    let release_utc = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
        .unwrap()
        .and_time(local_release)
        + chrono::Duration::hours(6);
    let ev = at(
        &mut s,
        "SHIP1",
        serde_json::json!({"cmd":"release_wave","warehouse":"CHI","carrier":"FEDEX","service":"GND"}),
        &format!("{}Z", release_utc.format("%Y-%m-%dT%H:%M:%S")),
    );
    let want = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
        .unwrap()
        .and_time(cutoff)
        + chrono::Duration::hours(6);
    assert_eq!(
        ev[0]["wave_released"]["cutoff"],
        want.format("%Y-%m-%dT%H:%M:%S").to_string()
    );
}

/// A time zone change on a store with history is a change request,
/// effective from a future date, and never rewrites what was dated.
#[test]
fn a_time_zone_change_is_governed_and_takes_effect_from_its_date() {
    let mut s = demo();
    let set = serde_json::json!({"cmd":"set_time_zone","entity":"US01","zone":"America/Denver","from":"2026-12-01"});
    let ev = at(&mut s, "ADMIN", set, "2026-11-25T15:00:00Z");
    assert!(ev[0].get("change_requested").is_some());
    let ev = at(
        &mut s,
        "SUP1",
        serde_json::json!({"cmd":"approve_change","id":1}),
        "2026-11-26T15:00:00Z",
    );
    assert!(ev[1].get("time_zone_set").is_some());
    // Before 1 December, Chicago's date still; after, Denver's.
    let chicago_night = Utc.with_ymd_and_hms(2026, 11, 30, 5, 30, 0).unwrap();
    assert_eq!(
        depot::core::zone::entity_date(&s, "US01", chicago_night),
        day("2026-11-29")
    );
    let denver_night = Utc.with_ymd_and_hms(2026, 12, 2, 6, 30, 0).unwrap();
    assert_eq!(
        depot::core::zone::entity_date(&s, "US01", denver_night),
        day("2026-12-01")
    );
}

/// The year-end close by hand. On the demo, US01 sells [`sell`] on
/// 2026-11-25: revenue 952.32 (4000), freight income 12.50 (4200), COGS
/// 453.48 (5000); the profit is 952.32 + 12.50 - 453.48 = 511.34. Every
/// period of FY2026 closed on 2027-01-05, `close_year` posts YE-US01-2026
/// dated 2026-12-31 in FY2026-12: Dr 4000 952.32, Dr 4200 12.50, Cr 5000
/// 453.48, Cr 3100 retained earnings 511.34. The P&L still shows the
/// year's result; the balance sheet carries it in retained earnings. The
/// approval that reopens FY2026-06 reverses it, and the log replays with
/// every invariant (a closing entry is the one posting a closed period
/// takes).
#[test]
fn the_year_end_close_moves_the_result_to_retained_earnings() {
    let mut log = Vec::new();
    let mut s = State::default();
    let mut run = |s: &mut State, op: &str, json: serde_json::Value, when: &str| {
        let body: CommandBody = serde_json::from_value(json).unwrap();
        let cmd = Command {
            operator: op.into(),
            session: "finance".into(),
            time: Utc.from_utc_datetime(&day(when).and_hms_opt(15, 0, 0).unwrap()),
            key: None,
            body,
        };
        let env = execute(s, &cmd).unwrap_or_else(|r| panic!("{op}: {r}"));
        log.push(env.clone());
        env.events()
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect::<Vec<_>>()
    };
    for body in depot::io::demo::commands(day("2026-11-25"), 0).unwrap() {
        run(
            &mut s,
            "ADMIN",
            serde_json::to_value(&body).unwrap(),
            "2026-11-25",
        );
    }
    sell_logged(&mut s, &mut run);
    let bal = |s: &State, a: &str| {
        s.ledger
            .balances
            .get(&("US01".to_code(), a.to_code()))
            .copied()
            .unwrap_or_default()
    };
    assert_eq!(bal(&s, "4000"), d("-952.32"));
    assert_eq!(bal(&s, "4200"), d("-12.50"));
    assert_eq!(bal(&s, "5000"), d("453.48"));

    // Not while a period of the year is open.
    let too_soon = serde_json::json!({"cmd":"close_year","entity":"US01","year":2026});
    assert!(matches!(
        try_at(&mut s, "CTRL1", &too_soon, "2027-01-05T15:00:00Z"),
        Err(depot::core::Rejection::YearClose { .. })
    ));
    run(
        &mut s,
        "CTRL1",
        serde_json::json!({"cmd":"close_period","entity":"US01","period":"FY2026-12"}),
        "2027-01-05",
    );
    let ev = run(&mut s, "CTRL1", too_soon.clone(), "2027-01-05");
    let j = &ev[0]["year_closed"]["journal"];
    assert_eq!(j["date"], "2026-12-31");
    assert_eq!(j["period"], "FY2026-12");
    assert_eq!(j["doc"], "YE-US01-2026");
    let line = |acct: &str| {
        let l = j["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["account"] == acct)
            .unwrap_or_else(|| panic!("no line {acct}"));
        (
            d(l["debit"].as_str().unwrap()),
            d(l["credit"].as_str().unwrap()),
        )
    };
    assert_eq!(line("4000"), (d("952.32"), d("0")));
    assert_eq!(line("4200"), (d("12.50"), d("0")));
    assert_eq!(line("5000"), (d("0"), d("453.48")));
    assert_eq!(line("3100"), (d("0"), d("511.34")));
    assert_eq!(j["lines"].as_array().unwrap().len(), 4);
    assert_eq!(bal(&s, "3100"), d("-511.34"));
    depot::core::invariants::check_state(&s).unwrap_or_else(|v| panic!("{v}"));
    assert_eq!(bal(&s, "4000"), d("0"));
    assert_eq!(bal(&s, "5000"), d("0"));

    // The P&L of December shows the year's result, not its transfer.
    let pl = rows(&s, "pl", &options(Some("US01"), "2026-12-31"));
    assert_eq!(
        cell(&pl, &[("account", "4000")], "year_to_date"),
        d("952.32")
    );
    // The balance sheet: retained earnings 511.34, no current earnings.
    let bs = rows(&s, "balance-sheet", &options(Some("US01"), "2026-12-31"));
    assert_eq!(cell(&bs, &[("account", "3100")], "balance"), d("511.34"));

    // Once only.
    assert!(matches!(
        try_at(&mut s, "CTRL1", &too_soon, "2027-01-05T16:00:00Z"),
        Err(depot::core::Rejection::YearClose { .. })
    ));
    // Reopening June reopens December and reverses the close.
    run(
        &mut s,
        "CTRL1",
        serde_json::json!({"cmd":"reopen_period","entity":"US01","period":"FY2026-06",
            "reason":"supplier credit dated June"}),
        "2027-01-06",
    );
    let ev = run(
        &mut s,
        "ADMIN",
        serde_json::json!({"cmd":"approve_change","id":1}),
        "2027-01-06",
    );
    assert_eq!(ev[2]["year_reopened"]["journal"]["doc"], "YE-US01-2026-REV");
    assert_eq!(bal(&s, "3100"), d("0"));
    assert_eq!(bal(&s, "4000"), d("-952.32"));
    assert!(s.year_closes.is_empty());

    // The log replays from empty with every invariant, to the same state.
    let mut r = depot::core::invariants::Replayer::default();
    for env in &log {
        r.step(env).unwrap_or_else(|v| panic!("{v}"));
    }
    assert!(r.state == s);
    depot::core::invariants::check_state(&s).unwrap();

    // hledger and beancount read the closing entry and its reversal and
    // check the whole ledger strictly (balanced, period-end assertions).
    use depot::io::journal::{export_journal, JournalFormat};
    let dir = tempfile::tempdir().unwrap();
    for (name, format, tool, args) in [
        (
            "ye.journal",
            JournalFormat::Hledger,
            "hledger",
            vec!["check", "-s", "-f"],
        ),
        (
            "ye.beancount",
            JournalFormat::Beancount,
            "bean-check",
            vec![],
        ),
    ] {
        let path = dir.path().join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        let sum = export_journal(
            &s,
            log.iter().cloned().map(Ok::<_, String>),
            format,
            None,
            &mut f,
        )
        .unwrap();
        assert_eq!(sum.entries + sum.empty, s.ledger.entries);
        let out = std::process::Command::new(tool)
            .args(&args)
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("{tool} is not installed ({e}): .ci/run installs it"));
        assert!(
            out.status.success(),
            "{tool}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// [`sell`] through a logging runner.
fn sell_logged(
    s: &mut State,
    run: &mut impl FnMut(&mut State, &str, serde_json::Value, &str) -> Vec<Value>,
) {
    let at = "2026-11-25";
    run(
        s,
        "CLERK1",
        serde_json::json!({"cmd":"place_order","customer":"C0002","lines":[{"sku":"FAS-1001","qty":"12","warehouse":"CHI"}]}),
        at,
    );
    run(
        s,
        "SHIP1",
        serde_json::json!({"cmd":"release_order","number":"SO-000001"}),
        at,
    );
    run(
        s,
        "PICK1",
        serde_json::json!({"cmd":"confirm_pick","list":"PK-000001","line":1,"bin":"B-03-03","item":"FAS-1001","qty":"12"}),
        at,
    );
    run(
        s,
        "PACK1",
        serde_json::json!({"cmd":"pack_carton","list":"PK-000001","contents":[{"item":"FAS-1001","qty":"12"}],"weight":"15.8"}),
        at,
    );
    run(
        s,
        "SHIP1",
        serde_json::json!({"cmd":"ship_pick","list":"PK-000001","carrier":"FEDEX","service":"GND","tracking":"1","freight":"12.50"}),
        at,
    );
    run(
        s,
        "AR1",
        serde_json::json!({"cmd":"invoice_shipments","shipments":["SH-000001"]}),
        at,
    );
}

/// A debit memo is an AR document of its own: [`sell`] bills 1,062.43 on
/// 25 November (due 25 December); on the 28th a debit memo adds 47.68 to
/// line 1: tax 10.25 % x 47.68 = 4.8872 -> 4.89, total 52.57, due NET30
/// from its own date (28 December). The statement, the AR aging and the
/// margin include it from its date and not before it: balance due
/// 1,062.43 on the 27th, 1,115.00 on the 28th; on 27 December the invoice
/// is 2 days past due (1-30) and the debit memo current; revenue 952.32 +
/// 47.68 = 1,000.00 less cost 453.48 = margin 546.52, still 12 units.
#[test]
fn a_debit_memo_is_billed_aged_and_stated_from_its_date() {
    let mut s = demo();
    sell(&mut s, "2026-11-25");
    let ev = exec(
        &mut s,
        "AR1",
        r#"{"cmd":"issue_debit_memo","invoice":"IN-000001","reason":"price adjustment","lines":[{"line":1,"amount":"47.68"}]}"#,
        "2026-11-28",
    );
    let memo = &ev[0]["debit_memo_issued"]["memo"];
    assert_eq!(memo["number"], "DM-000001", "{memo}");
    assert_eq!(memo["total"], "52.57", "{memo}");
    assert_eq!(s.invoices[&"DM-000001".to_code()].due, day("2026-12-28"));
    depot::core::invariants::check_state(&s).expect("invariants");
    let statement = |as_of: &str| {
        let o = Options {
            customer: Some("C0002".into()),
            ..options(Some("US01"), as_of)
        };
        rows(&s, "statement", &o)
    };
    let due = [("what", "balance due (open invoices less credit on account)")];
    let st = statement("2026-11-27");
    assert_eq!(cell(&st, &due, "balance"), d("1062.43"));
    assert!(!st.iter().any(|r| r["document"] == "DM-000001"));
    let st = statement("2026-11-28");
    assert_eq!(
        cell(
            &st,
            &[
                ("document", "DM-000001"),
                ("what", "debit memo on IN-000001, 52.57 open")
            ],
            "amount"
        ),
        d("52.57")
    );
    assert_eq!(cell(&st, &due, "balance"), d("1115.00"));
    let c = [("customer", "C0002")];
    let aging = |as_of: &str| rows(&s, "aging-ar", &options(Some("US01"), as_of));
    assert_eq!(cell(&aging("2026-11-27"), &c, "total"), d("1062.43"));
    assert_eq!(cell(&aging("2026-11-28"), &c, "total"), d("1115.00"));
    let dec = aging("2026-12-27");
    assert_eq!(cell(&dec, &c, "1-30"), d("1062.43"));
    assert_eq!(cell(&dec, &c, "current"), d("52.57"));
    let m = rows(&s, "margin", &options(Some("US01"), "2026-11-28"));
    assert_eq!(cell(&m, &c, "quantity"), d("12"));
    assert_eq!(cell(&m, &c, "revenue"), d("1000.00"));
    assert_eq!(cell(&m, &c, "margin"), d("546.52"));
    let m = rows(&s, "margin", &options(Some("US01"), "2026-11-27"));
    assert_eq!(cell(&m, &c, "revenue"), d("952.32"));
}

/// A supplier's debit balance shows in the AP aging as current and
/// negative, from its date: a debit note of 250.00 on 26 November, a
/// refund of 100.00 on the 27th; V001 has nothing open otherwise. AP
/// aging: no V001 row on the 25th, -250.00 on the 26th, -150.00 on the
/// 27th, which is what the AP account (2000) holds (debit 150.00).
#[test]
fn a_supplier_debit_balance_ages_in_ap_until_refunded() {
    let mut s = demo();
    exec(
        &mut s,
        "AP1",
        r#"{"cmd":"issue_supplier_debit_note","supplier":"V001","amount":"250.00","reason":"volume rebate"}"#,
        "2026-11-26",
    );
    let ev = exec(
        &mut s,
        "AP1",
        r#"{"cmd":"receive_supplier_refund","supplier":"V001","amount":"100.00","reference":"WIRE IN 5"}"#,
        "2026-11-27",
    );
    assert_eq!(
        ev[0]["supplier_refund_received"]["refund"]["number"],
        "SR-000001"
    );
    depot::core::invariants::check_state(&s).expect("invariants");
    let v = [("supplier", "V001")];
    let aging = |as_of: &str| rows(&s, "aging-ap", &options(Some("US01"), as_of));
    assert!(!aging("2026-11-25").iter().any(|r| r["supplier"] == "V001"));
    assert_eq!(cell(&aging("2026-11-26"), &v, "current"), d("-250.00"));
    let now = aging("2026-11-27");
    assert_eq!(cell(&now, &v, "current"), d("-150.00"));
    assert_eq!(cell(&now, &[("supplier", "TOTAL")], "total"), d("-150.00"));
    assert_eq!(
        s.ledger.balances[&("US01".to_code(), "2000".to_code())],
        d("150.00")
    );
}

/// US01's bank statement `name` of `lines` (JSON objects, comma-separated).
fn import_statement(name: &str, lines: &str) -> CommandBody {
    serde_json::from_str::<CommandBody>(&format!(
        r#"{{"cmd":"import_bank_statement","entity":"US01","statement":"{name}","lines":[{lines}]}}"#
    ))
    .unwrap()
}

/// A bank statement imported again under another name (a file downloaded
/// twice, or one overlapping the last) is refused, naming the line it
/// repeats, and changes nothing: it doubled every line, and nothing takes
/// an imported line back. Two like lines on one day in one statement are
/// two lines: a later statement of three such fees repeats two of them.
#[test]
fn a_statement_whose_lines_were_imported_before_is_refused() {
    let mut s = demo();
    let import = import_statement;
    let fee = r#"{"date":"2026-11-20","amount":"-12.50","reference":"","description":"fee"}"#;
    let chq =
        r#"{"date":"2026-11-21","amount":"500.00","reference":"CHQ 7","description":"deposit"}"#;
    let new =
        r#"{"date":"2026-11-22","amount":"80.00","reference":"CHQ 8","description":"deposit"}"#;
    exec_body(
        &mut s,
        "AR1",
        import("stmt5", &format!("{fee},{fee},{chq}")),
        "2026-11-24",
    );
    assert_eq!(s.bank_lines.len(), 3);
    let try_import = |s: &mut State, name: &str, lines: String| {
        let cmd = Command {
            operator: "AR1".into(),
            session: "finance".into(),
            time: Utc.from_utc_datetime(&day("2026-11-24").and_hms_opt(10, 0, 0).unwrap()),
            key: None,
            body: import(name, &lines),
        };
        execute(s, &cmd).map(|_| ())
    };
    let before = s.clone();
    // The same file under another name; one overlapping it.
    for lines in [format!("{fee},{fee},{chq}"), format!("{chq},{new}")] {
        let r = try_import(&mut s, "stmt5 (1)", lines)
            .unwrap_err()
            .to_string();
        assert!(
            r.contains("imported before") && r.contains("statement stmt5"),
            "{r}"
        );
        assert!(s == before, "nothing imported");
    }
    let r = try_import(&mut s, "stmt6", format!("{new},{chq}"))
        .unwrap_err()
        .to_string();
    assert!(
        r.contains("1 of the 2 line(s)") && r.contains("line 2"),
        "{r}"
    );
    // A third fee of that day is refused (two were imported)...
    let r = try_import(&mut s, "stmt6", format!("{fee},{fee},{fee}"))
        .unwrap_err()
        .to_string();
    assert!(r.contains("2 of the 3 line(s)"), "{r}");
    // ... and the new line alone goes in.
    try_import(&mut s, "stmt6", new.to_string()).unwrap();
    assert_eq!(s.bank_lines.len(), 4);
}

/// A period still running cannot close: closed on the 7th, every sale,
/// receipt and payment of the rest of the month was refused until a
/// reopen was approved. It closes once its last day has passed in the
/// entity's zone (Chicago: 1 December 03:00 UTC is still 30 November).
#[test]
fn a_period_that_has_not_ended_cannot_close() {
    let mut s = demo();
    let close = serde_json::json!({"cmd":"close_period","entity":"US01","period":"FY2026-11"});
    for when in ["2026-11-25T15:00:00Z", "2026-12-01T03:00:00Z"] {
        match try_at(&mut s, "CTRL1", &close, when) {
            Err(r @ depot::core::Rejection::CloseBlocked { .. }) => {
                let said = r.to_string();
                assert!(said.contains("not_ended: it runs to 2026-11-30"), "{said}");
            }
            other => panic!("closed a running period at {when}: {other:?}"),
        }
    }
    let ev = at(&mut s, "CTRL1", close, "2026-12-01T15:00:00Z");
    assert!(ev[0].get("periods_closed").is_some(), "{ev:?}");
    depot::core::invariants::check_state(&s).unwrap();
}

/// A statement imported by mistake is taken back whole: its lines leave
/// the reconciliation and the close checklist, its number and lines may
/// be imported again, and the invariants hold. One with a line matched or
/// posted stays (nothing the books hold may point at a line that is
/// gone), as does one never imported; a refusal changes nothing.
#[test]
fn a_statement_imported_by_mistake_is_voided_whole() {
    use depot::core::invariants::check_state;
    let mut s = demo();
    let import = import_statement;
    let run = |s: &mut State, body: CommandBody| {
        let cmd = Command {
            operator: "AR1".into(),
            session: "finance".into(),
            time: Utc.from_utc_datetime(&day("2026-11-24").and_hms_opt(10, 0, 0).unwrap()),
            key: None,
            body,
        };
        execute(s, &cmd).map(|env| env.events().to_vec())
    };
    let void = |name: &str| {
        serde_json::from_value::<CommandBody>(serde_json::json!({
            "cmd": "void_bank_statement", "entity": "US01", "statement": name,
            "reason": "the savings account's file"}))
        .unwrap()
    };
    let fee = r#"{"date":"2026-11-20","amount":"-12.50","reference":"","description":"fee"}"#;
    let chq =
        r#"{"date":"2026-11-21","amount":"500.00","reference":"CHQ 7","description":"deposit"}"#;
    let lines_before = s.bank_lines.len();
    let open_before = s.index.unmatched_bank_lines.len();
    run(&mut s, import("wrong", &format!("{fee},{chq}"))).unwrap();
    assert_eq!(s.bank_lines.len(), lines_before + 2);
    let before = s.clone();
    // Never imported; no reason: refused, nothing changes.
    let r = run(&mut s, void("nope")).unwrap_err().to_string();
    assert!(r.contains("bank statement US01/nope"), "{r}");
    let mut no_reason = void("wrong");
    if let CommandBody::VoidBankStatement { reason, .. } = &mut no_reason {
        reason.clear();
    }
    assert!(run(&mut s, no_reason).is_err());
    assert!(s == before);
    let ev = run(&mut s, void("wrong")).unwrap();
    match &ev[..] {
        [depot::core::Event::BankStatementVoided { lines, reason, .. }] => {
            assert_eq!(lines.len(), 2);
            assert_eq!(reason, "the savings account's file");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.bank_lines.len(), lines_before);
    assert_eq!(s.index.unmatched_bank_lines.len(), open_before);
    assert!(!s
        .bank_statements
        .contains(&("US01".to_code(), "wrong".to_string())));
    check_state(&s).unwrap();
    // The right file, under the same number and with the same lines,
    // goes in; a line posted keeps it from being voided.
    let ev = run(&mut s, import("wrong", &format!("{fee},{chq}"))).unwrap();
    let fee_line = match &ev[..] {
        [depot::core::Event::BankStatementImported { lines, .. }] => lines[0].id.clone(),
        other => panic!("{other:?}"),
    };
    run(
        &mut s,
        serde_json::from_value(serde_json::json!({
            "cmd": "post_bank_line", "line": fee_line, "account": "6500",
            "memo": "bank fee"}))
        .unwrap(),
    )
    .unwrap();
    let before = s.clone();
    let r = run(&mut s, void("wrong")).unwrap_err().to_string();
    assert!(
        r.contains(&format!(
            "{fee_line}: is posted to 6500, so statement wrong stays"
        )),
        "{r}"
    );
    assert!(s == before);
    check_state(&s).unwrap();
}
