//! The back-office screens in the real binary in a real terminal (tmux),
//! driven by keys as the AR clerk, the AP clerk and the controller would,
//! read by waiting for text (never by sleeping a fixed time); then the
//! store is checked with `depot check` and the reports. Needs tmux: fails
//! (never skips) without it.

mod common;
mod tmux;

use common::depot_ok as depot;

use rust_decimal::Decimal;
use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use tmux::Tmux;

/// One command through `depot exec`; returns its outcome (and panics with
/// it when `ok` is not what is expected).
fn exec(dir: &Path, line: &str, ok: bool) -> serde_json::Value {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_depot"))
        .arg("--data-dir")
        .arg(dir)
        .arg("exec")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{line}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(v["ok"], ok, "{line}: {v}");
    v
}

/// The first value under `name` anywhere in `v`.
fn find<'a>(v: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m
            .get(name)
            .or_else(|| m.values().find_map(|x| find(x, name))),
        serde_json::Value::Array(a) => a.iter().find_map(|x| find(x, name)),
        _ => None,
    }
}

fn dec(v: &serde_json::Value) -> Decimal {
    Decimal::from_str(
        v.as_str()
            .unwrap_or_else(|| panic!("a decimal string: {v}")),
    )
    .unwrap()
}

/// Sign in as `code` with the PIN chosen at the first sign-in.
fn sign_in(t: &Tmux, code: &str) {
    t.literal(code);
    t.keys(&["Enter"]);
    t.wait_for("PIN or password:");
    t.literal("4711");
    t.keys(&["Enter"]);
}

/// From the menu, select the row `label` (typing its first letter until
/// it is the selected one) and open it.
fn open(t: &Tmux, label: &str) {
    let first = label[..1].to_string();
    for _ in 0..12 {
        let s = t.screen();
        if s.lines().any(|l| l.contains("> ") && l.contains(label)) {
            t.keys(&["Enter"]);
            return;
        }
        t.literal(&first);
        t.wait_until("the menu to move", |x| x != s);
    }
    panic!("no menu row {label}: {}", t.screen());
}

/// Esc on the menu signs out (after asking).
fn sign_out(t: &Tmux) {
    t.wait_for(" screens ");
    t.keys(&["Escape"]);
    t.wait_for("Sign out?");
    t.keys(&["y"]);
    t.wait_for("Operator code:");
}

/// CSV rows of a report.
fn csv(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| {
            let mut out = Vec::new();
            let mut cur = String::new();
            let mut q = false;
            for c in l.chars() {
                match c {
                    '"' => q = !q,
                    ',' if !q => out.push(std::mem::take(&mut cur)),
                    c => cur.push(c),
                }
            }
            out.push(cur);
            out
        })
        .collect()
}

#[test]
fn a_cheque_applied_to_two_invoices_with_a_discount_and_the_rest_left_as_credit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    depot(&dir, &["demo", "--activity"]);
    // Two sales on account to a 2-10-NET30 customer today: two invoices
    // inside their discount window.
    let mut pay = Decimal::ZERO;
    let mut invoices = Vec::new();
    for (sku, qty) in [("FAS-1000", 3), ("FAS-1001", 2)] {
        let v = exec(
            &dir,
            &format!(
                r#"{{"operator":"ADMIN","cmd":"counter_sale","customer":"C0009","warehouse":"CHI","lines":[{{"sku":"{sku}","qty":"{qty}"}}]}}"#
            ),
            true,
        );
        let inv = find(&v, "invoiced").and_then(|e| e.get("invoice")).unwrap();
        let open = dec(&inv["open"]);
        let pct = dec(&inv["discount_pct"]);
        assert!(pct > Decimal::ZERO, "{inv}");
        let discount = (open * pct / Decimal::from(100)).round_dp(2);
        pay += open - discount;
        invoices.push(inv["number"].as_str().unwrap().to_string());
    }
    let cheque = pay + Decimal::from(100);
    let t = Tmux::start(&dir, 80, 24, "");
    t.wait_for("Operator code:");
    t.first_sign_in("AR1");
    t.wait_for("Cash application");
    open(&t, "Cash application");
    t.wait_for("F4 finds a customer");
    t.literal("C0009");
    t.keys(&["Enter"]);
    let s = t.wait_for("Maple Home");
    assert!(s.contains(&invoices[0]) && s.contains(&invoices[1]), "{s}");
    // Cheque (the first method), its amount and number, then the items.
    t.keys(&["Enter"]);
    t.literal(&cheque.to_string());
    t.keys(&["Enter"]);
    t.literal("CHQ 4711");
    t.keys(&["Enter"]);
    t.wait_for("apply");
    // Enter applies the selected invoice less its discount; the next too.
    t.keys(&["Enter"]);
    t.wait_until("the first applied", |x| !x.contains("Applied 0.00"));
    t.keys(&["Down"]);
    t.keys(&["Enter"]);
    t.wait_for("credit 100.00");
    t.keys(&["F10"]);
    t.wait_for("100.00 left as credit?");
    t.keys(&["y"]);
    let s = t.wait_for("RECEIVED RC-");
    let line = s.lines().find(|l| l.contains("RECEIVED")).unwrap();
    let receipt = line
        .split_whitespace()
        .find(|w| w.starts_with("RC-"))
        .unwrap()
        .to_string();
    assert!(line.contains("100.00 left as credit"), "{line}");
    t.keys(&["F3"]);
    let s = t.wait_for("DEPOT-EXITED-0");
    assert!(!s.contains("panicked"), "{s}");
    // The store is consistent: subledgers equal their control accounts.
    depot(&dir, &["check"]);
    // The receipt's journal: the cheque to the bank, the discounts, the
    // two invoices off AR, 100.00 to unapplied cash.
    let gl = depot(
        &dir,
        &["report", "gl", "--doc", &receipt, "--format", "csv"],
    );
    let rows = csv(&gl);
    let head = &rows[0];
    let col = |n: &str| head.iter().position(|h| h == n).unwrap();
    let (acct, debit, credit) = (col("account"), col("debit"), col("credit"));
    let amount =
        |r: &Vec<String>, i: usize| Decimal::from_str(&r[i].replace(',', "")).unwrap_or_default();
    let sum = |a: &str, i: usize| -> Decimal {
        rows[1..]
            .iter()
            .filter(|r| r.get(acct).is_some_and(|x| x == a))
            .map(|r| amount(r, i))
            .sum()
    };
    assert_eq!(sum("1000", debit), cheque, "{gl}");
    assert_eq!(sum("2300", credit), Decimal::from(100), "{gl}");
    assert!(sum("6000", debit) > Decimal::ZERO, "{gl}");
    // The customer's statement ends at the credit the ledger holds for it:
    // nothing owed, 100.00 in the customer's favour.
    let st = depot(
        &dir,
        &[
            "report",
            "statement",
            "--customer",
            "C0009",
            "--format",
            "csv",
        ],
    );
    let rows = csv(&st);
    let bal = rows[0].iter().position(|h| h == "balance").unwrap();
    let last = rows
        .iter()
        .rev()
        .find_map(|r| {
            r.get(bal)
                .and_then(|b| Decimal::from_str(&b.replace(',', "")).ok())
        })
        .unwrap();
    assert_eq!(last, Decimal::from(-100), "{st}");
    // ... and the AR aging has nothing open for it.
    let aging = depot(&dir, &["report", "aging-ar", "--format", "csv"]);
    assert!(
        !aging.lines().any(|l| l.contains("C0009")),
        "C0009 owes nothing now: {aging}"
    );
}

#[test]
fn a_supplier_invoice_held_on_price_approved_by_a_second_operator_and_paid_in_a_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    depot(&dir, &["demo", "--activity"]);
    // An open PO to V001: one unit of its first line received at the dock.
    let pos = csv(&depot(&dir, &["report", "open-pos", "--format", "csv"]));
    let row = pos
        .iter()
        .find(|r| r.iter().any(|c| c == "V001") && r.iter().any(|c| c.starts_with("FAS-")))
        .unwrap_or_else(|| panic!("an open PO to V001: {pos:?}"));
    let po = row.iter().find(|c| c.starts_with("PO-")).unwrap().clone();
    let sku = row.iter().find(|c| c.starts_with("FAS-")).unwrap().clone();
    exec(
        &dir,
        &format!(
            r#"{{"operator":"RECV1","cmd":"receive_purchase","po":"{po}","bin":"DOCK-1","lines":[{{"item":"{sku}","qty":"1"}}]}}"#
        ),
        true,
    );
    let t = Tmux::start(&dir, 132, 43, "");
    t.wait_for("Operator code:");
    t.first_sign_in("AP1");
    t.wait_for("Supplier invoices");
    open(&t, "Supplier invoices");
    t.wait_for("Their invoice");
    t.literal("V001");
    t.keys(&["Enter"]);
    t.literal("F-7781");
    t.keys(&["Enter"]);
    t.wait_for(&po);
    // Take the line, then open it: "qty@price" as received and ordered.
    t.keys(&["Enter"]);
    t.wait_until("the line taken", |x| x.contains("Lines 1 of"));
    t.keys(&["Enter"]);
    // The label can be drawn a frame before its value: wait for both.
    let s = t.wait_until("the line's qty@price", |x| {
        x.lines().any(|l| {
            l.split("qty@price ")
                .nth(1)
                .is_some_and(|r| r.split_whitespace().next().is_some_and(|v| v.contains('@')))
        })
    });
    let given = s
        .lines()
        .find_map(|l| l.split("qty@price ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .trim_end_matches('_')
        .to_string();
    let (q, p) = given.split_once('@').unwrap();
    let price = Decimal::from_str(p).unwrap();
    let dear = (price * Decimal::new(105, 2)).round_dp(2);
    t.keys(&["C-u"]);
    t.literal(&format!("{q}@{dear}"));
    t.keys(&["Enter"]);
    let s = t.wait_for("over 2 %");
    assert!(s.contains(&format!("price +{}", dear - price)), "{s}");
    t.keys(&["F10"]);
    t.wait_for("it will be HELD?");
    t.keys(&["y"]);
    let s = t.wait_for("HELD:");
    let number = s
        .lines()
        .find(|l| l.contains("HELD:"))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("AP-")))
        .unwrap()
        .to_string();
    t.keys(&["Escape"]);
    sign_out(&t);
    // The controller approves it from the worklist, the problem in sight.
    t.first_sign_in("CTRL1");
    t.wait_for("Supplier invoices");
    open(&t, "Supplier invoices");
    let s = t.wait_for("held: ");
    assert!(
        s.contains(&number) && s.contains("more than 2 % apart"),
        "{s}"
    );
    t.keys(&["F6"]);
    t.wait_for(&format!("Approve {number}"));
    t.keys(&["y"]);
    t.wait_for(&format!("{number} APPROVED"));
    // One Escape at a time: two sent at once reach the terminal as one
    // escape sequence (alt-escape), as a person never types them.
    t.keys(&["Escape"]);
    t.wait_for("supplier invoices · enter");
    t.keys(&["Escape"]);
    sign_out(&t);
    // AP pays the run through the invoice's due date.
    sign_in(&t, "AP1");
    t.wait_for("Supplier invoices");
    open(&t, "Supplier invoices");
    t.wait_for("Their invoice");
    t.keys(&["Tab", "Tab", "Tab", "Tab"]);
    t.wait_for("pay through");
    t.literal("+31");
    t.keys(&["Enter"]);
    t.wait_until("the run to hold the invoice", |x| {
        x.lines().any(|l| l.contains(&number) && l.contains("due "))
    });
    t.keys(&["F8"]);
    t.wait_for("Pay ");
    t.keys(&["y"]);
    t.wait_for("invoice PAID");
    t.keys(&["F3"]);
    let s = t.wait_for("DEPOT-EXITED-0");
    assert!(!s.contains("panicked"), "{s}");
    depot(&dir, &["check"]);
    let events = depot(&dir, &["export", "events", "--format", "json"]);
    let ev: Vec<serde_json::Value> = events
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let approved = ev
        .iter()
        .filter_map(|e| find(e, "supplier_invoice_approved"))
        .find(|a| a["number"] == number.as_str())
        .unwrap_or_else(|| panic!("{number} approved"));
    assert_eq!(approved["by"], "CTRL1");
    let paid = ev
        .iter()
        .filter_map(|e| find(e, "supplier_paid"))
        .any(|p| p.to_string().contains(&number));
    assert!(paid, "{number} paid in the run");
    let aging = depot(&dir, &["report", "aging-ap", "--format", "csv"]);
    assert!(!aging.contains(&number), "{aging}");
}

#[test]
fn a_month_closed_from_the_checklist_refuses_a_posting_and_reopens_through_an_approval() {
    use chrono::Datelike;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    depot(&dir, &["demo", "--activity"]);
    // A month well past: nothing of it waits to be invoiced.
    let day = chrono::Utc::now().date_naive() - chrono::Duration::days(45);
    let period = format!("FY{}-{:02}", day.year(), day.month());
    let posting = format!(
        r#"{{"operator":"CTRL1","cmd":"post_journal_entry","entity":"US01","date":"{day}","memo":"late accrual","lines":[{{"account":"6400","debit":"100.00"}},{{"account":"2200","credit":"100.00"}}]}}"#
    );
    let t = Tmux::start(&dir, 132, 43, "");
    t.wait_for("Operator code:");
    t.first_sign_in("CTRL1");
    t.wait_for("Period close");
    open(&t, "Period close");
    t.wait_for(" checklist ");
    // The classic keymap filters a list with F4.
    t.keys(&["F4"]);
    t.literal(&format!("US01 {period}"));
    t.keys(&["Enter"]);
    t.wait_for(&format!("US01 {period}  "));
    t.wait_for("nothing blocks the close");
    t.keys(&["F10"]);
    t.wait_for(&format!("Close US01 {period}"));
    t.keys(&["y"]);
    t.wait_for(&format!("{period} CLOSED"));
    // Nothing posts into it now (the TUI holds the store: quit first).
    t.keys(&["F3"]);
    t.wait_for("DEPOT-EXITED-0");
    drop(t);
    let v = exec(&dir, &posting, false);
    assert_eq!(v["error"]["code"], "period_not_open", "{v}");
    // A reopen is asked with its reason...
    let t = Tmux::start(&dir, 132, 43, "");
    t.wait_for("Operator code:");
    sign_in(&t, "CTRL1");
    t.wait_for("Period close");
    open(&t, "Period close");
    t.wait_for(" checklist ");
    t.keys(&["F4"]);
    t.literal(&format!("US01 {period}"));
    t.keys(&["Enter"]);
    t.wait_for(&format!("US01 {period}  "));
    t.wait_for("CLOSED");
    t.keys(&["F7"]);
    t.wait_for("Why ");
    t.literal("late supplier invoice");
    t.keys(&["Enter"]);
    t.wait_for("Ask to reopen");
    t.keys(&["y"]);
    t.wait_for("reopen asked by CTRL1");
    t.keys(&["Escape"]);
    sign_out(&t);
    // ... and approved by someone else.
    t.first_sign_in("SUP1");
    t.wait_for("Period close");
    open(&t, "Period close");
    t.wait_for(" checklist ");
    t.keys(&["/"]);
    t.literal(&format!("US01 {period}"));
    t.keys(&["Enter"]);
    t.wait_for("reopen asked by CTRL1");
    t.keys(&["F6"]);
    t.wait_for(&format!("Approve reopening US01 {period}"));
    t.keys(&["y"]);
    t.wait_for(&format!("{period} REOPENED"));
    t.keys(&["F3"]);
    let s = t.wait_for("DEPOT-EXITED-0");
    assert!(!s.contains("panicked"), "{s}");
    // Open again: the posting goes in.
    exec(&dir, &posting, true);
    depot(&dir, &["check"]);
}

#[test]
fn a_replenishment_group_accepted_into_a_draft_po_submitted_and_approved_by_someone_else() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    depot(&dir, &["demo"]);
    let open_pos = |dir: &Path| -> Vec<String> {
        csv(&depot(dir, &["report", "open-pos", "--format", "csv"]))
            .into_iter()
            .skip(1)
            .map(|r| r[0].clone())
            .collect()
    };
    let before = open_pos(&dir);
    // The buyer: the worklist's first suggestion, its quantity raised past
    // the entity's PO approval limit (25,000 USD), accepted into a draft.
    let t = Tmux::start(&dir, 132, 43, "");
    t.wait_for("Operator code:");
    t.first_sign_in("BUY1");
    t.wait_for("Purchasing");
    open(&t, "Purchasing");
    t.wait_for("replenishment worklist");
    t.wait_for("why: ");
    t.keys(&["Enter"]);
    t.keys(&["C-u"]);
    t.literal("1000");
    t.keys(&["Enter"]);
    t.wait_for("1000 CASE");
    t.keys(&["F10"]);
    // The confirm says what will be ordered, the raised quantity included.
    t.wait_for("FAS-1003 1000 CASE?");
    t.keys(&["y"]);
    let s = t.wait_for("made for");
    let po = s
        .split_whitespace()
        .find(|w| w.starts_with("PO-"))
        .unwrap_or_else(|| panic!("a draft PO number: {s}"))
        .to_string();
    // The purchase orders: the draft is on top; submit it.
    t.keys(&["Tab"]);
    t.wait_for("purchase orders (");
    t.keys(&["F10"]);
    t.wait_for(&format!("Submit draft {po}"));
    t.keys(&["y"]);
    t.wait_for(&format!("{po} is WAITING APPROVAL"));
    // The buyer may not approve it (a buyer holds no approving role; the
    // core checks that before it checks whose PO it is): F6 is not offered,
    // and pressed it says who approves, with no confirm to answer.
    t.keys(&["F6"]);
    t.wait_for("approving a purchase order takes a");
    t.keys(&["F3"]);
    t.wait_for("DEPOT-EXITED-0");
    drop(t);
    assert!(
        !open_pos(&dir).contains(&po),
        "a PO waiting for approval is not open"
    );
    // The supervisor approves it.
    let t = Tmux::start(&dir, 132, 43, "");
    t.wait_for("Operator code:");
    t.first_sign_in("SUP1");
    t.wait_for("Purchasing");
    open(&t, "Purchasing");
    t.wait_for("replenishment worklist");
    t.keys(&["Tab"]);
    t.wait_for("purchase orders (");
    t.keys(&["/"]);
    t.literal(&po);
    t.keys(&["Enter"]);
    t.wait_for("WAITING APPROVAL");
    t.keys(&["F6"]);
    t.wait_for(&format!("Approve {po} of BUY1"));
    t.keys(&["y"]);
    t.wait_for(&format!("{po} is open"));
    t.keys(&["F3"]);
    let s = t.wait_for("DEPOT-EXITED-0");
    assert!(!s.contains("panicked"), "{s}");
    drop(t);
    let after = open_pos(&dir);
    assert!(after.contains(&po), "{po} is open: {after:?}");
    assert!(
        before.iter().all(|p| after.contains(p)),
        "the other POs stay"
    );
    depot(&dir, &["check"]);
}
