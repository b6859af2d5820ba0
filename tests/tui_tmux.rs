//! The real binary in a real terminal (tmux), driven by keys as a person
//! would: first start creates the demo, sign in, look up an item by a
//! scanned barcode, resize to a warehouse terminal, quit with F3, and the
//! terminal is restored. Needs tmux: fails (never skips) without it.

mod tmux;

use std::process::Command;
use tmux::Tmux;

#[test]
fn first_start_a_walk_in_sale_a_scan_resize_and_quit_restores_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let t = Tmux::start(&dir, 80, 24, "");
    // First start: the demo is created and said so; sign-in screen.
    t.wait_for("Operator code:");
    t.wait_for("created the demo distributor");
    t.literal("NOBODY");
    t.keys(&["Enter"]);
    t.wait_for("unknown operator");
    t.keys(&["C-u"]);
    // First sign-in: the clerk chooses a PIN, typed twice.
    // A walk-in counter sale: Enter opens it, Enter takes the walk-in
    // customer, two scans (a burst, then Enter), Enter pays, Enter takes
    // the exact cash.
    clerk_scans_for_a_walk_in(&t);
    t.literal("0614141000012");
    t.keys(&["Enter"]);
    t.wait_for("FAS-1000");
    let s = t.wait_for("TOTAL");
    t.keys(&["Enter"]);
    t.wait_for("Tender");
    t.keys(&["Enter"]);
    let started = std::time::SystemTime::now() - std::time::Duration::from_secs(2);
    let s2 = t.wait_for("SOLD");
    // The invoice is printed at once, to the clerk's printer (the demo's
    // is a spool folder).
    t.wait_for("printed on SPOOL");
    // "SOLD invoice INV-... total 123.45 USD"
    let sold = s2.lines().find(|l| l.contains("SOLD")).unwrap().to_string();
    let words: Vec<&str> = sold.split_whitespace().collect();
    let inv = words[words.iter().position(|w| *w == "invoice").unwrap() + 1].to_string();
    let total = words[words.iter().position(|w| *w == "total").unwrap() + 1].replace(',', "");
    assert!(
        s.contains(&words[words.iter().position(|w| *w == "total").unwrap() + 1].to_string()),
        "{s}"
    );
    // Back to the menu, then the item lookup (its first letter jumps).
    t.keys(&["Escape"]);
    t.wait_for("Order inquiry");
    t.literal("I");
    t.keys(&["Enter"]);
    t.wait_for("SKU, description or scan");
    // A scanner types a case GTIN-14 and Enter.
    t.literal("10614141000026");
    t.keys(&["Enter"]);
    let s = t.wait_for("FAS-1001 ");
    assert!(s.contains("on hand"), "{s}");
    // A warehouse terminal, then one too small, then back.
    t.resize(40, 16);
    t.wait_for("Carriage bolt");
    t.resize(20, 5);
    t.wait_for("needs");
    t.resize(80, 24);
    t.wait_for("FAS-1001 ");
    // Focus is on the list after a scan: "?" opens the help.
    t.keys(&["?"]);
    t.wait_for("keys: items");
    // Esc and F3's escape sequence in one burst can be read as Esc, Esc
    // and the letters "OR": one at a time, as hands do.
    t.keys(&["Escape"]);
    t.wait_until("the help closed", |s| !s.contains("keys: items"));
    t.keys(&["F3"]);
    let s = t.wait_for("DEPOT-EXITED-0");
    assert!(!s.contains("panicked"), "{s}");
    // The terminal is back to normal: not in the alternate screen.
    assert_eq!(pane(&t, "#{alternate_on}"), "0");
    // The store is intact after the session, and the invoice the screen
    // printed is in the ledger with the same total receivable.
    let depot = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_depot"))
            .arg("--data-dir")
            .arg(&dir)
            .args(args)
            .output()
            .unwrap()
    };
    let check = depot(&["check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // The printed invoice (its PDF, read back as text) carries the total
    // the screen showed.
    let printed = std::fs::read_dir("/tmp/depot-prints")
        .expect("the demo's spool folder")
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(&format!("invoice-{inv}-")) && name.ends_with(".pdf")
        })
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= started)
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .expect("a printed invoice PDF");
    let pdf = Command::new("pdftotext")
        .arg(printed.path())
        .arg("-")
        .output()
        .expect("pdftotext is required (.ci/run installs poppler-utils)");
    let pdf_text = String::from_utf8_lossy(&pdf.stdout).into_owned();
    let shown_total = words[words.iter().position(|w| *w == "total").unwrap() + 1];
    assert!(
        pdf_text.contains(&inv) && pdf_text.contains(shown_total),
        "{pdf_text}"
    );
    let gl = depot(&["report", "gl", "--doc", &inv, "--format", "csv"]);
    let gl = String::from_utf8_lossy(&gl.stdout).to_string();
    assert!(gl.contains(&inv), "{gl}");
    assert!(
        gl.lines()
            .any(|l| l.contains(",1100,") && l.contains(&total)),
        "the receivable of {inv} is {total} in the ledger:\n{gl}"
    );
}

/// A phone order in the real binary: a line larger than the shelf is
/// backordered with its promise date on screen; then the order is changed
/// and a line cancelled through its confirm step.
#[test]
fn a_phone_order_with_a_backorder_then_changed_and_a_line_cancelled() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let t = Tmux::start(&dir, 132, 43, "");
    t.wait_for("Operator code:");
    t.first_sign_in("REP1");
    t.wait_for("Order entry");
    t.keys(&["Enter"]);
    t.wait_for("type a customer code");
    t.literal("C0001");
    t.keys(&["Enter"]);
    t.wait_for("Lakeside");
    t.keys(&["Enter"]); // ship-to
    t.literal("PO-4242");
    t.keys(&["Enter", "Enter", "Enter"]); // PO, requested, type
    t.literal("2*FAS-1000");
    t.keys(&["Enter"]);
    t.wait_for("FAS-1000");
    t.literal("400*FAS-1003");
    t.keys(&["Enter"]);
    let s = t.wait_for("backordered");
    assert!(s.contains("not placed yet"), "{s}");
    t.keys(&["F10"]);
    let s = t.wait_for("placed, confirmed");
    // The backordered line shows its promise date (month-day).
    let line = s
        .lines()
        .find(|l| l.contains("FAS-1003"))
        .unwrap_or_default();
    assert!(
        line.split_whitespace()
            .any(|w| w.len() == 5 && w.as_bytes()[2] == b'-'),
        "a promise date on the line: {line}"
    );
    // Change line 1 to 3, then cancel line 2: asked first.
    t.keys(&["Up", "Up"]);
    t.literal("3");
    t.keys(&["Enter"]);
    t.wait_for("changed");
    t.keys(&["Down", "F9"]);
    t.wait_for("Cancel line 2");
    t.keys(&["y"]);
    t.wait_for("CANCELLED");
    // Two Esc bytes in one burst read as alt-Esc: one at a time, as hands do.
    t.keys(&["Escape"]);
    t.wait_for("Item _");
    t.keys(&["Escape"]);
    t.wait_for("Order inquiry");
    t.keys(&["F3"]);
    t.wait_for("DEPOT-EXITED-0");
    // The store says the same: line 1 for 3, line 2 cancelled.
    let out = Command::new(env!("CARGO_BIN_EXE_depot"))
        .arg("--data-dir")
        .arg(&dir)
        .args(["report", "open-orders", "--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(csv.lines().any(|l| l.contains("C0001")), "{csv}");
}

#[test]
fn a_bad_user_keymap_is_refused_before_the_screen_is_taken() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let cfg = tmp.path().join("cfg");
    std::fs::create_dir_all(cfg.join("depot")).unwrap();
    std::fs::write(
        cfg.join("depot/keymap.toml"),
        "[list]\n\"x\" = \"teleport\"\n",
    )
    .unwrap();
    let t = Tmux::start(&dir, 80, 24, &format!("XDG_CONFIG_HOME={}", cfg.display()));
    let s = t.wait_for("DEPOT-EXITED-1");
    assert!(
        s.contains("unknown action") && s.contains("keymap") && s.contains("line 2"),
        "{s}"
    );
}

/// CLERK1's first sign-in, then a walk-in counter sale with one scan
/// (FAS-1001's barcode as a burst, then Enter).
fn clerk_scans_for_a_walk_in(t: &Tmux) {
    t.first_sign_in("clerk1");
    t.wait_for("Counter sale");
    t.keys(&["Enter"]);
    t.wait_for("Enter: walk-in");
    t.keys(&["Enter"]);
    t.wait_for("WALKIN-US01");
    t.literal("0614141000029");
    t.keys(&["Enter"]);
    t.wait_for("FAS-1001");
}

/// A tmux format of the test's pane (`#{alternate_on}`, `#{pane_pid}`).
fn pane(t: &Tmux, format: &str) -> String {
    let out = Command::new("tmux")
        .args(["display", "-p", "-t", &t.name, format])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// SIGTERM in the middle of a sale (a supervisor stopping the terminal,
/// `kill`): the session ends as F3 ends it, the terminal back out of the
/// alternate screen with its cursor, the process exits 143 (128 +
/// SIGTERM, as a shell expects of a program a signal stopped; F3 exits
/// 0) and the store checks. The default action killed it with the terminal left raw in
/// the alternate screen, cursor hidden.
#[test]
fn sigterm_mid_sale_restores_the_terminal_and_stops_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let t = Tmux::start(&dir, 80, 24, "");
    t.wait_for("Operator code:");
    clerk_scans_for_a_walk_in(&t);
    t.literal("3*FAS");
    assert_eq!(pane(&t, "#{alternate_on}"), "1");
    // The shell running the pane's command, and depot its child.
    let shell = pane(&t, "#{pane_pid}");
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
        .expect("the pane's shell");
    let depot = children.split_whitespace().next().expect("depot runs");
    let killed = Command::new("kill")
        .args(["-TERM", depot])
        .status()
        .unwrap();
    assert!(killed.success());
    let s = t.wait_for("DEPOT-EXITED-");
    assert!(s.contains("DEPOT-EXITED-143"), "{s}");
    assert!(!s.contains("panicked"), "{s}");
    assert_eq!(
        pane(&t, "#{alternate_on}"),
        "0",
        "left the alternate screen"
    );
    assert_eq!(pane(&t, "#{cursor_flag}"), "1", "the cursor shows again");
    let check = Command::new(env!("CARGO_BIN_EXE_depot"))
        .arg("--data-dir")
        .arg(&dir)
        .arg("check")
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// A depot killed with SIGKILL leaves its alternate screen as it was: the
/// next start clears it before the first frame. It drew only what differs
/// from a blank screen, so the old rows stayed under the sign-in and the
/// menu, and no key cleared them.
#[test]
fn a_start_over_a_screen_left_by_a_killed_depot_clears_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let t = Tmux::start(
        &dir,
        80,
        24,
        "printf '\\033[?1049h'; for i in $(seq 1 24); do printf 'LEFTOVER-ROW %s LEFTOVER-ROW\\n' $i; done;",
    );
    let s = t.wait_for("Operator code:");
    assert!(!s.contains("LEFTOVER"), "{s}");
}
