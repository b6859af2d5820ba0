//! The exception queue in the real binary in a real terminal (tmux): an
//! order over its customer's credit limit waits on the supervisor's
//! screen, the supervisor releases it there with one key, and the order
//! goes on to picking. Needs tmux: fails (never skips) without it.

use std::path::Path;

mod common;
mod tmux;

use common::depot_ok_with as depot;

use tmux::Tmux;

fn exec(dir: &Path, line: &str) -> serde_json::Value {
    let out = depot(dir, &["exec", "-"], Some(&format!("{line}\n")));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["ok"], true, "{line}: {v}");
    v
}

#[test]
fn a_credit_hold_is_released_on_the_supervisors_screen_and_the_order_goes_to_picking() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    depot(&dir, &["demo"], None);
    // Requested a week on: requested today (the default), after 18:00 in
    // Chicago it is late to ship the moment it is placed, and the queue
    // keeps it on the clock (the test failed when run after 00:00 UTC).
    let requested = chrono::Utc::now().date_naive() + chrono::Duration::days(7);
    let placed = exec(
        &dir,
        &format!(
            r#"{{"operator":"CLERK1","cmd":"place_order","customer":"C0006","requested":"{requested}","lines":[{{"sku":"TOO-1000","qty":"20","warehouse":"CHI"}}]}}"#
        ),
    );
    let order = &placed["events"][0]["order_placed"];
    assert_eq!(order["status"], "held", "{placed}");
    let number = order["number"].as_str().unwrap().to_string();
    // The store's report has it open, with its age.
    let report = depot(&dir, &["report", "exceptions", "--format", "csv"], None);
    assert!(
        report
            .lines()
            .any(|l| l.contains(&format!("order {number}"))
                && l.contains("credit_hold")
                && l.contains(",open,")),
        "{report}"
    );
    let t = Tmux::start(&dir, 132, 43, "");
    t.wait_for("Operator code:");
    t.first_sign_in("SUP1");
    t.wait_for("Exception queue");
    // The menu jumps to the row starting with the letter typed.
    t.literal("e");
    t.keys(&["Enter"]);
    t.wait_for("waiting, most severe");
    t.wait_for(&format!("order {number}"));
    // Narrow to the order, then approve with F2.
    t.literal(&number);
    t.keys(&["Enter"]);
    t.wait_for("1 waiting");
    t.keys(&["F2"]);
    t.wait_for("cleared: released");
    t.wait_for("nothing matches the filter");
    t.keys(&["F3"]);
    t.wait_for("DEPOT-EXITED-0");
    // The order is confirmed and goes to the warehouse.
    let released = exec(
        &dir,
        &format!(r#"{{"operator":"SHIP1","cmd":"release_order","number":"{number}"}}"#),
    );
    assert!(
        released["events"][0]["pick_list_created"]["order"] == number.as_str(),
        "{released}"
    );
    let report = depot(&dir, &["report", "exceptions", "--format", "csv"], None);
    assert!(
        report
            .lines()
            .any(|l| l.contains(&format!("order {number}"))
                && l.contains(",cleared,")
                && l.contains("SUP1")
                && l.contains("released")),
        "{report}"
    );
    let check = depot(&dir, &["check"], None);
    assert!(!check.is_empty());
}
