//! The Pick screen in the real binary in a real terminal (tmux), driven by
//! a wedge scanner's bytes: each scan is its characters and a carriage
//! return sent in one write, as fast as the terminal takes them. A whole
//! wave is picked reading the screen as a picker does (bin, item, quantity),
//! with a wrong item refused and a short pick; then the store is checked
//! (`depot check`, the event log, the stock report). A second test fires a
//! burst of 200 scans (100 bins and items) in one write and finds each
//! applied once, in order.
//! Needs tmux: fails (never skips) without it. (The helpers are those of
//! tests/tmux.)

use std::path::Path;
use std::process::Command;

mod common;
mod tmux;

use common::depot_ok as depot;

use tmux::Tmux;

impl Tmux {
    /// A wedge scanner: the characters and Enter (CR) in one write.
    fn scan(&self, code: &str) {
        self.literal(&format!("{code}\r"));
    }
}

fn exec(dir: &Path, line: &str) -> serde_json::Value {
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
    assert_eq!(v["ok"], true, "{line}: {v}");
    v
}

/// The value after `label` on the screen line starting with it.
fn field(screen: &str, label: &str) -> Option<String> {
    screen
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|r| r.split_whitespace().next())
        .map(str::to_string)
}

/// Every event of the log as JSON.
fn events(dir: &Path) -> Vec<serde_json::Value> {
    depot(dir, &["export", "events", "--format", "json"])
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn commands<'a>(log: &'a [serde_json::Value], name: &str) -> Vec<&'a serde_json::Value> {
    log.iter().filter(|e| e["command"] == name).collect()
}

#[test]
fn a_picker_picks_a_whole_wave_by_scanning_with_a_wrong_item_and_a_short() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    depot(&dir, &["demo", "--activity"]);
    exec(
        &dir,
        r#"{"operator":"SHIP1","cmd":"release_wave","warehouse":"CHI","carrier":"FEDEX"}"#,
    );
    let before = events(&dir).len();
    let t = Tmux::start(&dir, 40, 16, "");
    t.wait_for("Operator code:");
    t.first_sign_in("PICK1");
    t.wait_for("Pick");
    t.literal("p");
    t.keys(&["Enter"]);
    let mut s = t.wait_for("BIN  ");
    let (mut wrong_done, mut short_done, mut confirmed) = (false, false, 0);
    while !s.contains("Nothing to pick") {
        let head = s.lines().nth(1).unwrap_or_default().to_string();
        let bin = field(&s, "BIN  ").unwrap();
        let sku = field(&s, "ITEM ").unwrap();
        let qty: u32 = field(&s, "QTY  ").unwrap().parse().unwrap();
        t.scan(&bin);
        t.wait_for(&format!("{bin} ok"));
        if !wrong_done {
            let wrong = if sku == "FAS-1000" {
                "FAS-1001"
            } else {
                "FAS-1000"
            };
            t.scan(wrong);
            t.wait_for(&format!("wrong item {wrong}"));
            wrong_done = true;
            // The rest on the narrowest handheld.
            t.resize(20, 16);
            t.wait_until("20 columns", |x| x.lines().all(|l| l.chars().count() <= 20));
        }
        t.scan(&sku);
        if qty > 1 && !short_done {
            // One found; the bin has no more: short, reason 1 and Enter.
            t.wait_for("got 1");
            t.keys(&["F6"]);
            t.wait_for("1 bin empty");
            t.literal("1");
            t.keys(&["Enter"]);
            t.wait_until("the short confirmed", |x| {
                x.contains("backordered") || x.contains("rest from")
            });
            short_done = true;
        } else if qty > 1 {
            t.wait_for(&format!("Enter: pick {qty}"));
            t.keys(&["Enter"]);
        }
        confirmed += 1;
        s = t.wait_until("the next task", |x| {
            x.contains("Nothing to pick") || x.lines().nth(1).unwrap_or_default() != head
        });
    }
    assert!(wrong_done && short_done, "the wave had a line of several");
    // F3 goes back to the menu; Esc there signs out (asked first).
    t.keys(&["F3"]);
    t.wait_for("screens");
    let sign_in_as = |who: &str, screen: &str| {
        t.keys(&["Escape"]);
        t.wait_for("Sign out?");
        t.keys(&["y"]);
        t.wait_for("Operator code:");
        t.first_sign_in(who);
        t.wait_for(screen);
        t.literal(&screen[..1].to_lowercase());
        t.keys(&["Enter"]);
        t.wait_for("list>");
    };
    // The packer packs every list picked, weighing each carton at the
    // weight shown.
    sign_in_as("PACK1", "Pack");
    let mut cartons = 0;
    loop {
        let s = t.wait_for("list>");
        if s.contains("to pack (0)") {
            break;
        }
        t.keys(&["Enter"]);
        let s = t.wait_for("item>");
        let todo: Vec<(String, u32)> = s
            .lines()
            .skip_while(|l| !l.starts_with("to pack:"))
            .skip(1)
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                Some((w.next()?.to_string(), w.next()?.parse().ok()?))
            })
            .collect();
        assert!(!todo.is_empty(), "{s}");
        for (sku, n) in &todo {
            for _ in 0..*n {
                t.scan(sku);
            }
            t.wait_for(&format!("+ {sku} {n}"));
        }
        t.keys(&["Enter"]);
        let s = t.wait_for("EXP  ");
        let kg = field(&s, "EXP  ").unwrap();
        t.scan(&format!("{kg} kg"));
        t.wait_for("packed");
        cartons += 1;
    }
    assert!(cartons >= 2, "the wave's lists and the demo's picked one");
    // The shipper ships them all, scanning a tracking number each.
    t.keys(&["F3"]);
    t.wait_for("screens");
    sign_in_as("SHIP1", "Ship");
    let mut shipments = Vec::new();
    let mut freights = 0;
    loop {
        let s = t.wait_for("list>");
        if s.contains("to ship (0)") {
            break;
        }
        t.keys(&["Enter"]);
        t.wait_for("via>");
        t.keys(&["Enter"]);
        t.wait_for("track>");
        t.scan(&format!("1Z{:06}", shipments.len()));
        // A prepaid-and-add customer's freight is billed: the charge.
        let s = t.wait_until("shipped, or the freight asked", |s| {
            s.contains("shipped SH-") || s.contains("frt>")
        });
        if s.contains("frt>") {
            t.scan("14.75");
            freights += 1;
        }
        let s = t.wait_for("shipped SH-");
        let sh = s
            .split_whitespace()
            .find(|w| w.starts_with("SH-"))
            .unwrap()
            .to_string();
        shipments.push(sh);
    }
    assert!(shipments.len() >= 2);
    t.keys(&["F3"]);
    t.wait_for("screens");
    t.keys(&["F3"]);
    let s = t.wait_for("DEPOT-EXITED-0");
    assert!(!s.contains("panicked"), "{s}");
    // The store: intact; one confirm_pick per task, each key once, by
    // PICK1; one short; nothing open on the wave.
    depot(&dir, &["check"]);
    let log = events(&dir);
    let mine = &log[before..];
    let picks = commands(mine, "confirm_pick");
    assert_eq!(picks.len(), confirmed, "{picks:?}");
    let keys: std::collections::BTreeSet<String> =
        picks.iter().map(|e| e["key"].to_string()).collect();
    assert_eq!(keys.len(), picks.len());
    assert!(picks.iter().all(|e| e["operator"] == "PICK1"));
    let shorts = mine
        .iter()
        .filter(|e| e.to_string().contains("\"pick_short\""))
        .count();
    assert_eq!(shorts, 1);
    // Everything picked has shipped: nothing is left in pick.
    let stock = depot(&dir, &["report", "stock", "--format", "csv"]);
    assert!(
        !stock.lines().any(|l| l.starts_with("CHI,")
            && l.split(',')
                .nth(7)
                .is_some_and(|p| !p.is_empty() && p != "0")),
        "{stock}"
    );
    assert_eq!(commands(mine, "pack_carton").len(), cartons);
    assert_eq!(commands(mine, "ship_pick").len(), shipments.len());
    // Freight asked of the prepaid-and-add customers went on their shipments.
    assert!(freights >= 1, "the wave's customers add freight");
    let billed = commands(mine, "ship_pick")
        .iter()
        .filter(|e| e.to_string().contains("\"freight\":\"14.75\""))
        .count();
    assert_eq!(billed, freights);
    // Each shipment took its goods out of inventory at cost in the ledger.
    for sh in &shipments {
        let gl = depot(&dir, &["report", "gl", "--doc", sh, "--format", "csv"]);
        assert!(
            gl.lines().filter(|l| l.contains(sh.as_str())).count() >= 2,
            "{gl}"
        );
    }
    // The orders say shipped.
    let orders = depot(&dir, &["report", "open-orders", "--format", "csv"]);
    let shipped_orders = orders
        .lines()
        .skip(1)
        .filter(|l| l.rsplit(',').next().is_some_and(|x| x != "0"))
        .count();
    assert!(shipped_orders >= 1, "{orders}");
}

#[test]
fn a_burst_of_two_hundred_scans_in_one_write_is_applied_once_in_order() {
    const N: usize = 100;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    depot(&dir, &["demo", "--activity"]);
    // A hundred items with stock in Toronto, one each, for C0010.
    let stock = depot(&dir, &["report", "stock", "--format", "csv"]);
    let mut skus: Vec<String> = stock
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.first() == Some(&"TOR")
                && f.get(3) == Some(&"")
                && f.get(5).and_then(|q| q.parse::<f64>().ok()).unwrap_or(0.0) >= 5.0)
                .then(|| f[2].to_string())
        })
        .collect();
    skus.sort();
    skus.dedup();
    skus.truncate(N);
    assert_eq!(skus.len(), N);
    let lines: Vec<String> = skus
        .iter()
        .map(|s| format!(r#"{{"sku":"{s}","qty":"1","warehouse":"TOR"}}"#))
        .collect();
    let placed = exec(
        &dir,
        &format!(
            r#"{{"operator":"ADMIN","cmd":"place_order","customer":"C0010","lines":[{}]}}"#,
            lines.join(",")
        ),
    );
    let number = placed.to_string();
    let number = number
        .split("\"SO-")
        .nth(1)
        .map(|r| format!("SO-{}", &r[..6]))
        .unwrap();
    let released = exec(
        &dir,
        &format!(r#"{{"operator":"ADMIN","cmd":"release_order","number":"{number}"}}"#),
    );
    let list = &released["events"][0]["pick_list_created"];
    let plan: Vec<(String, String, Option<String>)> = list["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["bin"].as_str().unwrap().to_string(),
                l["sku"].as_str().unwrap().to_string(),
                l["lot"].as_str().map(str::to_string),
            )
        })
        .collect();
    assert_eq!(plan.len(), N);
    let before = events(&dir).len();
    let t = Tmux::start(&dir, 40, 8, "");
    t.wait_for("Operator code:");
    t.first_sign_in("PICK2");
    t.wait_for("Pick");
    t.literal("p");
    t.keys(&["Enter"]);
    t.wait_for("BIN  ");
    // Two hundred scans in one write, as fast as the terminal takes them
    // (and the lot's, where the line names one: the screen checks it).
    let burst: String = plan
        .iter()
        .map(|(bin, sku, lot)| match lot {
            Some(lot) => format!("{bin}\r{sku}\r{lot}\r"),
            None => format!("{bin}\r{sku}\r"),
        })
        .collect();
    t.literal(&burst);
    t.wait_for("Nothing to pick");
    t.keys(&["F3"]);
    t.wait_for("screens");
    t.keys(&["F3"]);
    t.wait_for("DEPOT-EXITED-0");
    let log = events(&dir);
    let picks = commands(&log[before..], "confirm_pick");
    assert_eq!(picks.len(), N, "each scan pair picked once");
    let keys: std::collections::BTreeSet<String> =
        picks.iter().map(|e| e["key"].to_string()).collect();
    assert_eq!(keys.len(), N, "one idempotency key per pick");
    let order: Vec<u64> = picks
        .iter()
        .map(|e| {
            let s = e.to_string();
            let i = s.find("\"picked\"").unwrap();
            let r = &s[i..];
            let j = r.find("\"line\":").unwrap() + 7;
            r[j..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(order, (1..=N as u64).collect::<Vec<u64>>(), "in scan order");
    depot(&dir, &["check"]);
}
