//! Procure to pay through the real binary: a purchase order, a partial
//! receipt, a supplier invoice held on price and approved by a supervisor,
//! putaway, a counter sale that sells part of the goods, a landed-cost
//! charge after that sale, and the supplier paid; the trial balance must
//! move by the hand-computed amounts and the average cost follow.
//!
//! Hand computation (demo data): US01 holds 120 FAS-1001 at 37.79 (CHI 60,
//! DAL 60). PO-000001: 10 cases of 24 from V001 at 906.96 a case = 37.79 a
//! box. Received 5 cases = 120 boxes: Dr Inventory / Cr GRNI 4,534.80.
//! V001 invoices 120 at 40.00 = 4,800.00: 5.8 % over the PO price, held;
//! approved: Dr GRNI 4,534.80, Dr PPV 265.20 / Cr AP 4,800.00. Put away
//! 120 to B-03-03. Counter sale of 150 to C0006 at the 120-break 71.42:
//! 10,713.00 + tax 10.25 % 1,098.0825 -> 1,098.08 = 11,811.08 in cash;
//! COGS 150 x 37.79 = 5,668.50, leaving 90 at 3,401.10. Freight 120.00
//! billed by V002 over GR-000001 by value, split by the policy of
//! WORKED-EXAMPLE.md (share of the pool issued since the receipt): the
//! pool right after GR-000001 held 120 + 120 = 240, and 150 were issued
//! since, so to COGS 120.00 x 150 / 240 = 75.00 and 45.00 to stock; the
//! average cost becomes (3,401.10 + 45.00) / 90 = 38.29. V001 is paid
//! 4,800.00.

mod common;
use common::{depot, exec_all, text, trial_balance};
use serde_json::Value;

#[test]
fn procure_to_pay_moves_the_trial_balance_to_the_cent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    assert!(depot(&dir, &["demo"], None).status.success());
    let before = trial_balance(&dir);
    let lines = exec_all(
        &dir,
        &[
            r#"{"operator":"BUY1","cmd":"create_purchase_order","supplier":"V001","warehouse":"CHI","lines":[{"sku":"FAS-1001","qty":"10"}]}"#,
            r#"{"operator":"RECV1","cmd":"receive_purchase","po":"PO-000001","bin":"DOCK-1","lines":[{"item":"10614141000026","qty":"5"}]}"#,
            r#"{"operator":"AP1","cmd":"enter_supplier_invoice","supplier":"V001","reference":"V001-5531","lines":[{"po":"PO-000001","line":1,"qty":"120","price":"40.00"}]}"#,
            r#"{"operator":"SUP1","cmd":"approve_supplier_invoice","number":"AP-000001"}"#,
            r#"{"operator":"RECV1","cmd":"put_away","warehouse":"CHI","from":"DOCK-1","sku":"FAS-1001","qty":"120","to":"B-03-03"}"#,
            r#"{"operator":"CLERK1","cmd":"counter_sale","customer":"C0006","warehouse":"CHI","lines":[{"sku":"FAS-1001","qty":"150"}],"payment":{"method":"cash"}}"#,
            r#"{"operator":"AP1","cmd":"allocate_landed_cost","supplier":"V002","reference":"FRT-9","kind":"freight","amount":"120.00","basis":"value","receipts":["GR-000001"]}"#,
            r#"{"operator":"AP1","cmd":"pay_supplier","supplier":"V001","reference":"ACH 77","apply":[{"invoice":"AP-000001","amount":"4800.00"}]}"#,
        ],
    );
    // The invoice was held with the difference named, then approved.
    let held = &lines[2]["events"][0]["supplier_invoice_entered"]["invoice"];
    assert_eq!(held["status"], "held", "{held}");
    assert!(held["problems"][0]
        .as_str()
        .unwrap()
        .contains("price 40.00 but the PO says 37.79"));
    let shares = &lines[6]["events"][0]["landed_cost_allocated"]["shares"][0];
    assert_eq!(shares["to_stock"], "45.00", "{shares}");
    assert_eq!(shares["to_cogs"], "75.00");

    let after = trial_balance(&dir);
    let d = |s: &str| -> rust_decimal::Decimal { s.parse().unwrap() };
    let delta = |acct: &str| {
        after.get(acct).copied().unwrap_or_default() - before.get(acct).copied().unwrap_or_default()
    };
    assert_eq!(
        delta("1000"),
        d("7011.08"),
        "bank: 11,811.08 in, 4,800.00 out"
    );
    assert_eq!(
        delta("1200"),
        d("-1088.70"),
        "inventory: +4,534.80 -5,668.50 +45.00"
    );
    assert_eq!(
        delta("2000"),
        d("-120.00"),
        "AP: the freight bill is still owed"
    );
    assert_eq!(
        delta("2100"),
        d("0"),
        "GRNI: everything received is invoiced"
    );
    assert_eq!(delta("2200"), d("-1098.08"), "sales tax");
    assert_eq!(delta("4000"), d("-10713.00"), "revenue");
    assert_eq!(
        delta("5000"),
        d("5743.50"),
        "COGS: 5,668.50 + 75.00 landed on sold goods"
    );
    assert_eq!(delta("5100"), d("265.20"), "purchase price variance");
    let changed: Vec<&str> = after
        .keys()
        .chain(before.keys())
        .filter(|a| !delta(a).is_zero())
        .map(String::as_str)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        changed,
        ["1000", "1200", "2000", "2200", "4000", "5000", "5100"],
        "no other account moved"
    );

    // The average cost followed the landed cost.
    let out = depot(
        &dir,
        &[
            "report",
            "stock-valuation",
            "--entity",
            "US01",
            "--format",
            "json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let fas = rows
        .iter()
        .find(|r| r["sku"] == "FAS-1001")
        .expect("FAS-1001");
    assert_eq!(fas["qty"], "90", "{fas}");
    assert_eq!(fas["value"], "3446.10");
    assert_eq!(fas["average cost"], "38.29");
    // Nothing left to invoice; the PO still expects 5 cases.
    let out = depot(&dir, &["report", "grni", "--format", "csv"], None);
    assert_eq!(
        text(&out.stdout).lines().count(),
        1,
        "{}",
        text(&out.stdout)
    );
    let out = depot(&dir, &["report", "open-pos", "--format", "csv"], None);
    let csv = text(&out.stdout);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("PO-000001,1,V001,CHI,FAS-1001,240,120,120,")),
        "{csv}"
    );
    let check = depot(&dir, &["check"], None);
    assert!(
        check.status.success(),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
}
