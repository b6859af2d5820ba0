//! Order to cash through the real binary: `depot exec` drives a quote,
//! its confirmation with a backorder, release, a short pick, a carton
//! packed and weighed, ship with freight, invoice, two payments, and a
//! return with its credit memo; `depot report trial-balance` must move by
//! exactly the hand-computed amounts, account by account.
//!
//! Hand computation (demo data): C0002 (IL, 10.25 %, NET30, freight
//! prepaid-and-add) quotes 70 FAS-1001 in CHI at the 24-break price 75.39
//! (list 79.36). CHI has 60 (B-03-03: 12, R-01-02: 48) at 37.79: 60
//! reserved, 10 backordered. The picker finds 45 of 48 in R-01-02 (short
//! 3, no other bin: backordered). Shipped 57: COGS 57 x 37.79 = 2,154.03.
//! Invoice: goods 57 x 75.39 = 4,297.23; tax 10.25 % = 440.466075 ->
//! 440.47; freight 12.50; total 4,750.20. Paid 2,000.00 then 2,750.20.
//! Packed in one carton: 57 x 1.311 kg = 74.727 kg expected, 75.2 on the
//! scale (within 5 %). Then 5 boxes come back and are restocked: credit
//! memo goods 5 x 75.39 = 376.95, tax 10.25 % = 38.637375 -> 38.64, total
//! 415.59, all unapplied credit (the invoice is paid); restocked at the
//! cost they left with, 5 x 37.79 = 188.95 (Dr Inventory / Cr COGS).

mod common;
use common::{depot, text, trial_balance};
use serde_json::Value;

#[test]
fn quote_to_cash_moves_the_trial_balance_to_the_cent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["demo"], None).status.success());
    let before = trial_balance(&dir);
    let steps = [
        r#"{"operator":"REP1","cmd":"place_order","quote":true,"customer":"C0002","customer_po":"PO-77","lines":[{"sku":"FAS-1001","qty":"70","warehouse":"CHI"}]}"#,
        r#"{"operator":"REP1","cmd":"confirm_quote","number":"SO-000001"}"#,
        r#"{"operator":"SHIP1","cmd":"release_order","number":"SO-000001"}"#,
        r#"{"operator":"PICK1","cmd":"confirm_pick","list":"PK-000001","line":1,"bin":"B-03-03","item":"0614141000029","qty":"12"}"#,
        r#"{"operator":"PICK1","cmd":"confirm_pick","list":"PK-000001","line":2,"bin":"R-01-02","item":"FAS-1001","qty":"45","short":true}"#,
        r#"{"operator":"PACK1","cmd":"pack_carton","list":"PK-000001","contents":[{"item":"FAS-1001","qty":"57"}],"weight":"75.2"}"#,
        r#"{"operator":"SHIP1","cmd":"ship_pick","list":"PK-000001","carrier":"FEDEX","service":"GND","tracking":"7700","freight":"12.50"}"#,
        r#"{"operator":"AR1","cmd":"invoice_shipments","shipments":["SH-000001"]}"#,
        r#"{"operator":"AR1","cmd":"receive_payment","customer":"C0002","method":"cheque","amount":"2000.00","reference":"CHQ 1","apply":[{"invoice":"IN-000001","amount":"2000.00"}]}"#,
        r#"{"operator":"AR1","cmd":"receive_payment","customer":"C0002","method":"transfer","amount":"2750.20","reference":"WIRE 2","apply":[{"invoice":"IN-000001","amount":"2750.20"}]}"#,
        r#"{"operator":"CLERK1","cmd":"authorize_return","invoice":"IN-000001","reason":"ordered too many","lines":[{"line":1,"qty":"5","disposition":"restock"}]}"#,
        r#"{"operator":"RECV1","cmd":"receive_return","rma":"RMA-000001","bin":"B-03-03"}"#,
    ];
    let out = depot(&dir, &["exec", "-"], Some(&(steps.join("\n") + "\n")));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), steps.len());
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["ok"], true, "step {}: {l}", i + 1);
    }
    // The invoice, as computed by hand.
    let inv = lines[7]["events"][0]["invoiced"]["invoice"].clone();
    assert_eq!(inv["total"], "4750.20", "{inv}");
    assert_eq!(inv["taxes"][0]["tax"], "440.47");
    assert_eq!(inv["freight"], "12.50");
    let carton = &lines[5]["events"][0]["carton_packed"]["carton"];
    assert_eq!(carton["expected"], "74.727", "{carton}");
    assert_eq!(carton["held"], false);
    let memo = &lines[11]["events"][1]["credit_memo_issued"]["memo"];
    assert_eq!(memo["total"], "415.59", "{memo}");
    assert_eq!(memo["taxes"][0]["tax"], "38.64");
    assert_eq!(memo["to_credit"], "415.59");
    let after = trial_balance(&dir);
    let d = |s: &str| -> rust_decimal::Decimal { s.parse().unwrap() };
    let delta = |acct: &str| {
        after.get(acct).copied().unwrap_or_default() - before.get(acct).copied().unwrap_or_default()
    };
    assert_eq!(delta("1000"), d("4750.20"), "bank");
    assert_eq!(delta("1100"), d("0"), "AR: paid in full");
    assert_eq!(
        delta("1200"),
        d("-1965.08"),
        "inventory: 2154.03 out, 188.95 back"
    );
    assert_eq!(delta("2200"), d("-401.83"), "sales tax: 440.47 less 38.64");
    assert_eq!(
        delta("2300"),
        d("-415.59"),
        "unapplied credit from the return"
    );
    assert_eq!(delta("4000"), d("-4297.23"), "revenue");
    assert_eq!(delta("4100"), d("376.95"), "sales returns");
    assert_eq!(delta("4200"), d("-12.50"), "freight income");
    assert_eq!(delta("5000"), d("1965.08"), "COGS: 2154.03 less 188.95");
    let changed: std::collections::BTreeSet<&str> = after
        .keys()
        .chain(before.keys())
        .filter(|a| !delta(a).is_zero())
        .map(String::as_str)
        .collect();
    assert_eq!(
        changed.into_iter().collect::<Vec<_>>(),
        ["1000", "1200", "2200", "2300", "4000", "4100", "4200", "5000"],
        "no other account moved"
    );
    // The rest of the order waited: 10 never reserved + 3 short = 13. The
    // 5 restocked boxes and the 3 the books still show in R-01-02 (a short
    // pick does not adjust the bin: a count does) fill 8 of them.
    let out = depot(&dir, &["report", "backorders", "--format", "csv"], None);
    let csv = text(&out.stdout);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("SO-000001,1,C0002,FAS-1001,CHI,5,")),
        "{csv}"
    );
    let out = depot(&dir, &["report", "aging-ar", "--entity", "US01"], None);
    assert!(out.status.success());
    assert!(
        !text(&out.stdout).contains("C0002"),
        "paid invoices do not age"
    );
    let check = depot(&dir, &["check"], None);
    assert!(
        check.status.success(),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    // The drill from the invoice to its journal lines: AR 4,750.20 against
    // revenue, sales tax and freight income, nothing else.
    let out = depot(
        &dir,
        &["report", "gl", "--doc", "IN-000001", "--format", "json"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let gl: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let sum = |col: &str| -> rust_decimal::Decimal {
        gl.iter()
            .filter_map(|r| r[col].as_str().filter(|x| !x.is_empty()))
            .map(|x| x.parse::<rust_decimal::Decimal>().unwrap())
            .sum()
    };
    assert!(gl.iter().all(|r| r["doc"] == "IN-000001"), "{gl:#?}");
    assert_eq!(sum("debit"), d("4750.20"), "{gl:#?}");
    assert_eq!(sum("credit"), d("4750.20"));
    let accounts: std::collections::BTreeSet<&str> =
        gl.iter().map(|r| r["account"].as_str().unwrap()).collect();
    assert_eq!(
        accounts.into_iter().collect::<Vec<_>>(),
        ["1100", "2200", "4000", "4200"]
    );
    // An unknown report is a clear error.
    let out = depot(&dir, &["report", "profit-forecast"], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("trial-balance"));
}
