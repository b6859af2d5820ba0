//! `depot serve` with the real OpenSSH client: operators log in by key,
//! drive the screens, see what another session commits, and run reports
//! and commands as themselves. Needs `ssh`, `ssh-keygen` (openssh-client)
//! and tmux: fails, never skips, without them (.ci/run installs them).

mod tmux;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;
use tmux::Tmux;

fn depot(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_depot"));
    c.arg("--data-dir").arg(dir);
    c
}

fn need(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is required for this test (.ci/run installs openssh-client): apt-get install openssh-client"
    );
}

/// A new ed25519 key pair in `dir`: (private key file, public key line).
fn keygen(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&path)
        .status()
        .expect("ssh-keygen");
    assert!(ok.success());
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    (path, public.trim().to_string())
}

/// The update_operator line giving a demo operator these keys.
fn keys_line(code: &str, name: &str, role: &str, wh: &str, keys: &[&str]) -> String {
    serde_json::json!({
        "cmd": "update_operator", "operator": "ADMIN", "code": code, "name": name,
        "roles": [role], "default_warehouse": if wh.is_empty() { None } else { Some(wh) },
        "keymap": "default", "ssh_keys": keys, "active": true
    })
    .to_string()
}

fn exec_local(dir: &Path, lines: &str) -> String {
    let mut child = depot(dir)
        .args(["exec", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    text
}

struct Server {
    child: Child,
    port: u16,
    fingerprint: String,
    /// What it writes to stderr (also passed on to the test's).
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    fn start(dir: &Path) -> Server {
        Server::start_with(dir, &[])
    }

    fn start_with(dir: &Path, extra: &[&str]) -> Server {
        let mut child = depot(dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("depot serve");
        let err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                eprintln!("{line}");
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut port = None;
        let mut fingerprint = None;
        while port.is_none() || fingerprint.is_none() {
            let line = lines.next().expect("serve said where it listens").unwrap();
            if let Some(addr) = line.strip_prefix("depot serve: listening on ") {
                port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
            }
            if let Some(fp) = line.strip_prefix("host key ") {
                fingerprint = Some(fp.to_string());
            }
        }
        // Keep reading its output so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            port: port.unwrap(),
            fingerprint: fingerprint.unwrap(),
            stderr: Some(stderr),
        }
    }

    fn ssh_args(&self, key: &Path, user: &str) -> Vec<String> {
        [
            "-p",
            &self.port.to_string(),
            "-i",
            &key.display().to_string(),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "LogLevel=ERROR",
            &format!("{user}@127.0.0.1"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// A non-interactive command over SSH, with `stdin`.
    fn ssh(&self, key: &Path, user: &str, command: &str, stdin: &str) -> Output {
        let mut child = Command::new("ssh")
            .args(["-o", "BatchMode=yes"])
            .args(self.ssh_args(key, user))
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ssh");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// SIGTERM, and the exit status.
    fn stop(self) -> std::process::ExitStatus {
        self.stop_logged().0
    }

    /// SIGTERM: the exit status and all it wrote to stderr.
    fn stop_logged(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        // Polled at most 600 times 50 ms apart: a bound for a server that
        // hangs, not a speed check.
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().unwrap() {
                let log = self.stderr.take().map(|t| t.join().unwrap());
                return (status, log.unwrap_or_default());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("serve did not stop on SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// On hand of `sku` in `wh` as the stock report gives it.
fn on_hand(dir: &Path, wh: &str, sku: &str) -> rust_decimal::Decimal {
    let out = depot(dir)
        .args(["report", "stock", "--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (w, b, s, q) = (col("warehouse"), col("bin"), col("sku"), col("on hand"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[w] == wh && f[s] == sku && f[b] == "(total)")
        .map(|f| f[q].parse::<rust_decimal::Decimal>().unwrap_or_default())
        .sum()
}

#[test]
fn operators_log_in_by_key_see_each_other_commit_and_are_held_to_their_roles() {
    need("ssh");
    need("ssh-keygen");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    assert!(depot(&dir).arg("demo").status().unwrap().success());
    let (k_clerk, p_clerk) = keygen(tmp.path(), "clerk");
    let (k_admin, p_admin) = keygen(tmp.path(), "admin");
    let (k_pick, p_pick) = keygen(tmp.path(), "pick");
    let (k_stranger, _) = keygen(tmp.path(), "stranger");
    exec_local(
        &dir,
        &[
            keys_line(
                "CLERK1",
                "Maria Counter",
                "counter_clerk",
                "CHI",
                &[&p_clerk],
            ),
            keys_line("ADMIN", "Demo administrator", "admin", "", &[&p_admin]),
            keys_line("PICK1", "Luis Picker", "picker", "CHI", &[&p_pick]),
        ]
        .join("\n"),
    );
    let before = on_hand(&dir, "CHI", "FAS-1001");
    let server = Server::start(&dir);
    // The host key is in the data directory, private, and its
    // fingerprint is the one printed.
    let key_file = dir.join("ssh_host_ed25519_key");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(server.fingerprint.starts_with("SHA256:"));

    // The clerk at a terminal: the menu, then an item's stock.
    let cmd = format!(
        "ssh -tt {} ; echo SSH-EXITED-$?; sleep 30",
        server.ssh_args(&k_clerk, "CLERK1").join(" ")
    );
    let t = Tmux::run(&cmd, 80, 24);
    t.wait_for("Counter sale");
    t.wait_for("CLERK1");
    t.literal("i");
    t.keys(&["Enter"]);
    t.wait_for("SKU, description or scan");
    t.literal("FAS-1001");
    let s = t.wait_for("│FAS-1001");
    assert!(s.contains("on hand") && s.contains("CHI"), "{s}");
    // The CHI row's on-hand figure in the item's detail, if shown.
    let chi_on_hand = |screen: &str| -> Option<rust_decimal::Decimal> {
        let line = screen.lines().find(|l| l.contains("│CHI"))?;
        line.split('│')
            .nth(1)?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    assert_eq!(
        chi_on_hand(&s),
        Some(before),
        "the screen and the stock report agree"
    );
    // Another session (the admin, by a command over SSH) adds stock:
    // the clerk's screen shows it without a key pressed.
    let adjust = r#"{"cmd":"adjust_stock","warehouse":"CHI","bin":"B-03-03","sku":"FAS-1001","qty":"7","reason":"found"}"#;
    let o = server.ssh(&k_admin, "ADMIN", "exec -", adjust);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("\"ok\":true"), "{}", text(&o));
    let after = before + rust_decimal::Decimal::from(7);
    t.wait_until("the added stock", |s| chi_on_hand(s) == Some(after));

    // The local command line, while the server owns the store: reports,
    // exec and check go through the server (its Unix socket, owner only);
    // what cannot says how to reach it.
    let local = depot(&dir)
        .args(["report", "stock", "--format", "csv"])
        .output()
        .unwrap();
    assert!(local.status.success(), "{}", text(&local));
    assert!(
        String::from_utf8_lossy(&local.stdout).contains("CHI,(total),FAS-1001"),
        "{}",
        text(&local)
    );
    let mut child = depot(&dir)
        .args(["--operator", "ADMIN", "exec", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let plus_minus = [
        adjust.replace("\"7\"", "\"1\""),
        adjust.replace("\"7\"", "\"-1\""),
    ]
    .join("\n");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{plus_minus}\n").as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(text(&o).matches("\"ok\":true").count(), 2, "{}", text(&o));
    let unlock = depot(&dir)
        .args(["--operator", "ADMIN", "unlock", "CLERK1"])
        .output()
        .unwrap();
    assert!(!unlock.status.success());
    assert!(
        text(&unlock).contains(&format!("ssh -p {} OPERATOR@127.0.0.1", server.port)),
        "{}",
        text(&unlock)
    );

    // Keys decide who one is: a stranger's key, and the clerk's key
    // under another operator's name, are refused.
    let o = server.ssh(&k_stranger, "ADMIN", "report stock", "");
    assert_eq!(o.status.code(), Some(255), "{}", text(&o));
    let o = server.ssh(&k_clerk, "REP1", "report stock", "");
    assert_eq!(o.status.code(), Some(255), "{}", text(&o));

    // A picker cannot read the books nor post a payment, by report or
    // by a crafted line, nor act as someone else.
    let o = server.ssh(&k_pick, "PICK1", "report trial-balance", "");
    assert!(!o.status.success());
    assert!(
        text(&o).contains("may not read trial-balance"),
        "{}",
        text(&o)
    );
    // A report that does not exist is unknown, to anyone: not a
    // permission the picker lacks.
    let o = server.ssh(&k_pick, "PICK1", "report nosuch", "");
    assert!(!o.status.success());
    assert!(text(&o).contains("unknown report"), "{}", text(&o));
    assert!(!text(&o).contains("may not read"), "{}", text(&o));
    // `report list` names the reports, as --help and the usage say (it
    // was answered "unknown report \"list\"", exit 1).
    let o = server.ssh(&k_pick, "PICK1", "report list", "");
    assert!(o.status.success(), "{}", text(&o));
    let names = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(names.lines().any(|l| l == "trial-balance"), "{names}");
    assert!(names.lines().any(|l| l == "stock"), "{names}");
    let pay = r#"{"cmd":"receive_payment","customer":"C0001","amount":"10.00","method":"cheque","reference":"X1"}"#;
    let o = server.ssh(&k_pick, "PICK1", "exec -", pay);
    assert!(text(&o).contains("not_permitted"), "{}", text(&o));
    let as_admin = adjust.replace("{\"cmd\"", "{\"operator\":\"ADMIN\",\"cmd\"");
    let o = server.ssh(&k_pick, "PICK1", "exec -", &as_admin);
    assert!(text(&o).contains("operator_mismatch"), "{}", text(&o));
    let o = server.ssh(&k_pick, "PICK1", "--operator ADMIN report stock", "");
    assert!(!o.status.success(), "{}", text(&o));

    // The controller's report over SSH, as the server sees the store.
    let o = server.ssh(&k_admin, "ADMIN", "report trial-balance --format csv", "");
    assert!(o.status.success(), "{}", text(&o));
    let remote_tb = String::from_utf8_lossy(&o.stdout).into_owned();
    // The same report run locally while the server runs: the server's.
    let local = depot(&dir)
        .args(["report", "trial-balance", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&local.stdout), remote_tb);
    assert!(
        remote_tb.contains("5200,Inventory adjustments"),
        "{remote_tb}"
    );

    // The clerk's key is revoked: the open session closes at once and
    // the next login is refused.
    let o = server.ssh(
        &k_admin,
        "ADMIN",
        "exec -",
        &keys_line("CLERK1", "Maria Counter", "counter_clerk", "CHI", &[])
            .replace("\"operator\":\"ADMIN\",", ""),
    );
    assert!(text(&o).contains("\"ok\":true"), "{}", text(&o));
    t.wait_for("key not listed");
    t.wait_for("SSH-EXITED");
    let o = server.ssh(&k_clerk, "CLERK1", "report stock", "");
    assert_eq!(o.status.code(), Some(255), "{}", text(&o));

    // SIGTERM: a clean stop; the store checks and reports the same
    // locally as it did over SSH.
    let status = server.stop();
    assert!(status.success(), "{status:?}");
    let local = depot(&dir)
        .args(["report", "trial-balance", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&local.stdout), remote_tb);
    assert_eq!(
        on_hand(&dir, "CHI", "FAS-1001"),
        before + rust_decimal::Decimal::from(7)
    );
    let check = depot(&dir).arg("check").output().unwrap();
    assert!(check.status.success(), "{}", text(&check));
    // The sign-ins over SSH are in the audit trail with their key.
    let events = depot(&dir).args(["export", "events"]).output().unwrap();
    let events = String::from_utf8_lossy(&events.stdout);
    assert!(
        events
            .lines()
            .any(|l| l.contains("signed_in") && l.contains("CLERK1") && l.contains("SHA256:")),
        "no SSH sign-in in the log"
    );
}

#[test]
fn a_credit_hold_on_screen_clears_when_a_supervisor_releases_it_from_another_terminal() {
    need("ssh");
    need("ssh-keygen");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    assert!(depot(&dir)
        .args(["demo", "--activity"])
        .status()
        .unwrap()
        .success());
    let (k_rep, p_rep) = keygen(tmp.path(), "rep");
    let (k_sup, p_sup) = keygen(tmp.path(), "sup");
    exec_local(
        &dir,
        &[
            keys_line("REP1", "Dev Field", "sales_rep", "", &[&p_rep]),
            keys_line("SUP1", "Sam Supervisor", "supervisor", "CHI", &[&p_sup]),
        ]
        .join("\n"),
    );
    // An order on credit hold in the living demo.
    let orders = depot(&dir)
        .args(["report", "open-orders", "--format", "csv"])
        .output()
        .unwrap();
    let orders = String::from_utf8_lossy(&orders.stdout).into_owned();
    let held = orders
        .lines()
        .find(|l| l.contains("credit hold"))
        .and_then(|l| l.split(',').next())
        .expect("a held order in the demo")
        .to_string();
    let server = Server::start(&dir);
    let cmd = format!(
        "ssh -tt {} ; echo SSH-EXITED-$?; sleep 30",
        server.ssh_args(&k_rep, "REP1").join(" ")
    );
    let t = Tmux::run(&cmd, 132, 43);
    t.wait_for("Order entry");
    // Order entry is the rep's first row; its first field takes an order.
    t.keys(&["Enter"]);
    t.wait_for("type a customer code");
    t.keys(&["BTab"]);
    t.literal(&held);
    t.keys(&["Enter"]);
    let s = t.wait_for("CREDIT HOLD");
    assert!(s.contains(&held), "{s}");
    // The supervisor, on another terminal, releases it.
    let release = format!(r#"{{"cmd":"release_hold","number":"{held}","hold":"credit"}}"#);
    let o = server.ssh(&k_sup, "SUP1", "exec -", &release);
    assert!(text(&o).contains("\"ok\":true"), "{}", text(&o));
    // The rep's screen follows without a key pressed.
    let s = t.wait_until("the hold gone", |s| !s.contains("CREDIT HOLD"));
    assert!(s.contains(&held), "{s}");
    assert!(server.stop().success());
}

/// Exec lines as ADMIN against the store (no server running): the JSON
/// outcomes.
fn exec_values(dir: &Path, lines: &str) -> Vec<serde_json::Value> {
    exec_local(dir, lines)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// An order of `n` items, 2 each, from Toronto released to a pick list:
/// its (list, [(bin, sku)]) in pick order.
fn a_pick_list(dir: &Path, n: usize) -> (String, Vec<(String, String)>) {
    let stock = String::from_utf8_lossy(
        &depot(dir)
            .args(["report", "stock", "--format", "csv"])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    // Items kept by lot ask for the lot's scan too: these lines are not.
    let lotted: std::collections::BTreeSet<&str> = stock
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.get(3).is_some_and(|lot| !lot.is_empty())).then(|| f[2])
        })
        .collect();
    let mut skus: Vec<String> = stock
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.first() == Some(&"TOR")
                && f.get(3) == Some(&"")
                && !lotted.contains(f[2])
                && f.get(5).and_then(|q| q.parse::<f64>().ok()).unwrap_or(0.0) >= 5.0)
                .then(|| f[2].to_string())
        })
        .collect();
    skus.sort();
    skus.dedup();
    skus.truncate(n);
    assert_eq!(skus.len(), n, "{stock}");
    let lines: Vec<String> = skus
        .iter()
        .map(|s| format!(r#"{{"sku":"{s}","qty":"2","warehouse":"TOR"}}"#))
        .collect();
    let placed = exec_values(
        dir,
        &format!(
            r#"{{"operator":"ADMIN","cmd":"place_order","customer":"C0010","lines":[{}]}}"#,
            lines.join(",")
        ),
    );
    assert_eq!(placed[0]["ok"], true, "{placed:?}");
    let text = placed[0].to_string();
    let number = text
        .split("\"SO-")
        .nth(1)
        .map(|r| format!("SO-{}", &r[..6]))
        .unwrap();
    let released = exec_values(
        dir,
        &format!(r#"{{"operator":"ADMIN","cmd":"release_order","number":"{number}"}}"#),
    );
    let list = &released[0]["events"][0]["pick_list_created"];
    let plan = list["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["bin"].as_str().unwrap().to_string(),
                l["sku"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (list["number"].as_str().unwrap().to_string(), plan)
}

/// Every event of the log as JSON (through the server while it runs).
fn events(dir: &Path) -> Vec<serde_json::Value> {
    let out = depot(dir)
        .args(["export", "events", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// On hand in one bin, as the stock report gives it.
fn in_bin(dir: &Path, bin: &str, sku: &str) -> rust_decimal::Decimal {
    let out = depot(dir)
        .args(["report", "stock", "--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (w, b, s, q) = (col("warehouse"), col("bin"), col("sku"), col("on hand"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[w] == "TOR" && f[s] == sku && f[b] == bin)
        .map(|f| f[q].parse::<rust_decimal::Decimal>().unwrap_or_default())
        .sum()
}

/// Wait until the server has parked `n` sessions in all (its log): a
/// login before that would find nothing to resume yet. At most 1,200
/// polls 50 ms apart: a bound for a hung server, not a speed check.
fn parked(dir: &Path, n: usize) {
    let count = || {
        std::fs::read_to_string(dir.join("depot.log"))
            .unwrap_or_default()
            .matches("ssh session parked")
            .count()
    };
    for _ in 0..1200 {
        if count() >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the server parked {} sessions, not {n}", count());
}

/// A wedge scanner: the characters and Enter in one write.
fn scan(t: &Tmux, code: &str) {
    t.literal(&format!("{code}\r"));
}

#[test]
fn a_picker_whose_link_dies_mid_pick_logs_in_again_to_the_same_entry_and_no_scan_counts_twice() {
    // One tmux session for the whole test: killing the client's session
    // then starting the next must not find the tmux server exiting.
    let _keeper = Tmux::run("sleep 300", 20, 5);
    need("ssh");
    need("ssh-keygen");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    assert!(depot(&dir)
        .args(["demo", "--activity"])
        .status()
        .unwrap()
        .success());
    let (k_pick, p_pick) = keygen(tmp.path(), "pick");
    exec_local(
        &dir,
        &keys_line("PICK2", "Toronto Picker", "picker", "TOR", &[&p_pick]),
    );
    let (list, plan) = a_pick_list(&dir, 3);
    let before: Vec<rust_decimal::Decimal> = plan.iter().map(|(b, s)| in_bin(&dir, b, s)).collect();
    let log_before = events(&dir).len();
    let server = Server::start(&dir);
    let login = || {
        let cmd = format!(
            "ssh -tt {} ; echo SSH-EXITED-$?; sleep 30",
            server.ssh_args(&k_pick, "PICK2").join(" ")
        );
        Tmux::run(&cmd, 40, 16)
    };
    let t = login();
    t.wait_for("Pick");
    t.literal("p");
    t.keys(&["Enter"]);
    t.wait_for(&format!("BIN  {}", plan[0].0));
    // The first line, whole: bin, item, Enter for the 2.
    scan(&t, &plan[0].0);
    t.wait_for(&format!("{} ok", plan[0].0));
    scan(&t, &plan[0].1);
    t.wait_for("Enter: pick 2");
    t.keys(&["Enter"]);
    t.wait_for(&format!("BIN  {}", plan[1].0));
    // The second: bin and item scanned, the quantity half typed ...
    scan(&t, &plan[1].0);
    t.wait_for(&format!("{} ok", plan[1].0));
    scan(&t, &plan[1].1);
    t.wait_for("got 1");
    t.literal("2");
    t.wait_for("qty> 2_");
    // ... when the link dies (the client is killed).
    drop(t);
    parked(&dir, 1);
    // Logging in again lands on the same line with the same entry.
    let t = login();
    let s = t.wait_for("resumed your session from");
    let s = if s.contains("qty> 2_") {
        s
    } else {
        t.wait_for("qty> 2_")
    };
    assert!(s.contains(&format!("BIN  {} ok", plan[1].0)), "{s}");
    assert!(s.contains("got 1"), "{s}");
    t.keys(&["Enter"]);
    t.wait_for(&format!("BIN  {}", plan[2].0));
    // The third: the scan that completes it is sent and the client
    // killed at once, the submission perhaps in flight.
    scan(&t, &plan[2].0);
    t.wait_for(&format!("{} ok", plan[2].0));
    scan(&t, &plan[2].1);
    t.wait_for("got 1");
    scan(&t, &plan[2].1);
    drop(t);
    parked(&dir, 2);
    let t = login();
    let s = t.wait_until("the session resumed", |s| {
        s.contains("resumed your session") || s.contains("Nothing to pick") || s.contains("got 1")
    });
    assert!(
        !s.contains("screens"),
        "resumed on the Pick screen, not the menu: {s}"
    );
    // Whatever reached the server before the link died counted once:
    // finish as the screen asks.
    let s = t.wait_until("the pick screen", |s| {
        s.contains("Nothing to pick") || s.contains("got 1")
    });
    if !s.contains("Nothing to pick") {
        scan(&t, &plan[2].1);
    }
    t.wait_for("Nothing to pick");
    // Quitting on purpose keeps nothing: the next login is a fresh menu.
    t.keys(&["F3"]);
    t.wait_for("screens");
    t.keys(&["F3"]);
    t.wait_for("SSH-EXITED");
    drop(t);
    let t = login();
    let s = t.wait_for("screens");
    assert!(!s.contains("resumed"), "{s}");
    drop(t);
    assert!(server.stop().success());

    // Every line picked once, 2 each, under one key each; the bins gave
    // exactly 2 each; the store checks.
    let log = events(&dir);
    let picks: Vec<&serde_json::Value> = log[log_before..]
        .iter()
        .filter(|e| e["command"] == "confirm_pick")
        .collect();
    assert_eq!(picks.len(), 3, "{picks:#?}");
    let keys: std::collections::HashSet<String> =
        picks.iter().map(|e| e["key"].to_string()).collect();
    assert_eq!(keys.len(), 3);
    let all = log[log_before..]
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(all.matches("\"picked\"").count(), 3, "{all}");
    for (line, ((bin, sku), was)) in plan.iter().zip(&before).enumerate() {
        assert_eq!(
            in_bin(&dir, bin, sku),
            *was - rust_decimal::Decimal::from(2),
            "line {} of {list}: {bin} {sku}",
            line + 1
        );
    }
    let check = depot(&dir).arg("check").output().unwrap();
    assert!(check.status.success(), "{}", text(&check));
    let server_log = std::fs::read_to_string(dir.join("depot.log")).unwrap();
    assert!(server_log.contains("ssh session parked"), "{server_log}");
    assert!(server_log.contains("ssh session resumed"), "{server_log}");
}

#[test]
fn after_the_resume_window_a_login_gets_a_fresh_menu() {
    // One tmux session for the whole test: killing the client's session
    // then starting the next must not find the tmux server exiting.
    let _keeper = Tmux::run("sleep 300", 20, 5);
    need("ssh");
    need("ssh-keygen");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    assert!(depot(&dir)
        .args(["demo", "--activity"])
        .status()
        .unwrap()
        .success());
    let (k_pick, p_pick) = keygen(tmp.path(), "pick");
    exec_local(
        &dir,
        &keys_line("PICK2", "Toronto Picker", "picker", "TOR", &[&p_pick]),
    );
    a_pick_list(&dir, 1);
    let server = Server::start_with(&dir, &["--resume-window", "1"]);
    let login = || {
        let cmd = format!(
            "ssh -tt {} ; echo SSH-EXITED-$?; sleep 30",
            server.ssh_args(&k_pick, "PICK2").join(" ")
        );
        Tmux::run(&cmd, 40, 16)
    };
    let t = login();
    t.wait_for("Pick");
    t.literal("p");
    t.keys(&["Enter"]);
    t.wait_for("bin> _");
    t.literal("HALF");
    t.wait_for("bin> HALF_");
    drop(t);
    // The server discards the parked session once its window passes
    // (polled in its log, within the tmux helper's bound).
    let log = dir.join("depot.log");
    let discarded = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("parked ssh session discarded")
    };
    // At most 1,200 polls 50 ms apart: a bound for a hung server, not a
    // speed check.
    let mut seen = discarded();
    for _ in 0..1200 {
        if seen {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        seen = discarded();
    }
    assert!(seen, "the parked session was never discarded");
    let t = login();
    let s = t.wait_for("screens");
    assert!(!s.contains("HALF") && !s.contains("resumed"), "{s}");
    drop(t);
    assert!(server.stop().success());
}

#[test]
fn export_import_and_an_online_backup_under_load_go_through_the_server() {
    need("ssh");
    need("ssh-keygen");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    assert!(depot(&dir).arg("demo").status().unwrap().success());
    let (k_admin, p_admin) = keygen(tmp.path(), "admin");
    let (k_pick, p_pick) = keygen(tmp.path(), "pick");
    exec_local(
        &dir,
        &[
            keys_line("ADMIN", "Demo administrator", "admin", "", &[&p_admin]),
            keys_line("PICK1", "Luis Picker", "picker", "CHI", &[&p_pick]),
        ]
        .join("\n"),
    );
    let server = Server::start(&dir);

    // Export over SSH and locally (through the socket) agree; --out
    // writes the file here.
    let o = server.ssh(&k_admin, "ADMIN", "export customers", "");
    assert!(o.status.success(), "{}", text(&o));
    let remote = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(remote.lines().count() > 5, "{remote}");
    let local = depot(&dir).args(["export", "customers"]).output().unwrap();
    assert!(local.status.success(), "{}", text(&local));
    assert_eq!(String::from_utf8_lossy(&local.stdout), remote);
    let file = tmp.path().join("customers.csv");
    let o = depot(&dir)
        .args(["export", "customers", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), remote);

    // A picker may not read the log, change terms, nor take a backup.
    let o = server.ssh(&k_pick, "PICK1", "export events", "");
    assert!(!o.status.success());
    assert!(text(&o).contains("may not export events"), "{}", text(&o));
    let terms = "code,description,net_days\nNET99,Net 99,99\n";
    let o = server.ssh(&k_pick, "PICK1", "import payment-terms", terms);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("nothing was imported"), "{}", text(&o));
    let o = server.ssh(
        &k_pick,
        "PICK1",
        &format!("backup {}", tmp.path().join("nope").display()),
        "",
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("may not take a backup"), "{}", text(&o));
    assert!(!tmp.path().join("nope").exists());

    // Imports: over SSH from stdin, and locally from a file, as the
    // operator; a bad row imports nothing.
    let o = server.ssh(&k_admin, "ADMIN", "import payment-terms", terms);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("imported 1 payment-terms rows"),
        "{}",
        text(&o)
    );
    let bad = "code,description,net_days\nNET98,Net 98,98\nNET96,Net 96,abc\n";
    let o = server.ssh(&k_admin, "ADMIN", "import payment-terms", bad);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("nothing was imported"), "{}", text(&o));
    let csv = tmp.path().join("terms.csv");
    std::fs::write(&csv, "code,description,net_days\nNET97,Net 97,97\n").unwrap();
    let o = depot(&dir)
        .args(["--operator", "ADMIN", "import", "payment-terms"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    // Locally without --operator: refused by the server too, as without it.
    std::fs::write(&csv, "code,description,net_days\nNET95,Net 95,95\n").unwrap();
    let o = depot(&dir)
        .env_remove("DEPOT_OPERATOR")
        .args(["import", "payment-terms"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--operator"), "{}", text(&o));
    let o = server.ssh(&k_admin, "ADMIN", "export payment-terms", "");
    let now = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(now.contains("NET99,") && now.contains("NET97,"), "{now}");
    assert!(!now.contains("NET98") && !now.contains("NET96"), "{now}");
    assert!(!now.contains("NET95"), "{now}");

    // An online backup while another client commits in a loop (batches
    // of 20 over SSH, each acknowledged line's key and seq kept).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rounds = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let committer = {
        let (stop, rounds) = (stop.clone(), rounds.clone());
        let ssh_args = server.ssh_args(&k_admin, "ADMIN");
        std::thread::spawn(move || {
            let mut acked: Vec<(String, u64)> = Vec::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Acquire) {
                let lines: String = (0..20)
                    .map(|_| {
                        i += 1;
                        format!(
                            r#"{{"key":"load-{i}","cmd":"adjust_stock","warehouse":"CHI","bin":"B-03-03","sku":"FAS-1001","qty":"1","reason":"found"}}"#
                        ) + "\n"
                    })
                    .collect();
                let mut child = Command::new("ssh")
                    .args(["-o", "BatchMode=yes"])
                    .args(&ssh_args)
                    .arg("exec -")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(lines.as_bytes())
                    .unwrap();
                let out = child.wait_with_output().unwrap();
                for l in String::from_utf8_lossy(&out.stdout).lines() {
                    let v: serde_json::Value = serde_json::from_str(l).unwrap();
                    assert_eq!(v["ok"], true, "{v}");
                    acked.push((
                        v["key"].as_str().unwrap().to_string(),
                        v["seq"].as_u64().unwrap(),
                    ));
                }
                rounds.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            }
            acked
        })
    };
    // Polled at most 1,200 times 50 ms apart: a bound for a stuck
    // client, not a speed check.
    let wait_rounds = |n: usize| {
        for _ in 0..1200 {
            if rounds.load(std::sync::atomic::Ordering::Acquire) >= n {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the committer never did {n} rounds");
    };
    wait_rounds(2);
    let dest = tmp.path().join("backup");
    let o = depot(&dir).arg("backup").arg(&dest).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let seq_of = |o: &Output| -> u64 {
        let t = text(o);
        t.split("as of seq ")
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no seq in {t}"))
    };
    let seq = seq_of(&o);
    let done = rounds.load(std::sync::atomic::Ordering::Acquire);
    // The same over SSH, as the administrator, into a directory on the
    // server.
    let dest2 = tmp.path().join("backup2");
    let o = server.ssh(
        &k_admin,
        "ADMIN",
        &format!("backup {}", dest2.display()),
        "",
    );
    assert!(o.status.success(), "{}", text(&o));
    let seq2 = seq_of(&o);
    assert!(seq2 >= seq);
    // The others kept working: more rounds commit after the backup.
    wait_rounds(done + 2);
    stop.store(true, std::sync::atomic::Ordering::Release);
    let acked = committer.join().unwrap();
    assert!(acked.iter().any(|(_, s)| *s > seq2), "commits went on");
    assert!(acked.iter().any(|(_, s)| *s <= seq), "commits before it");
    assert!(server.stop().success());

    let all = events(&dir);
    for (backup, seq) in [(&dest, seq), (&dest2, seq2)] {
        let restored = tmp.path().join(format!("restored-{seq}"));
        let o = depot(&restored)
            .arg("restore")
            .arg(backup)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let o = depot(&restored).arg("check").output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
        // Exactly the log up to the backup's seq: every command
        // acknowledged at or before it, none after.
        let got = events(&restored);
        let want: Vec<&serde_json::Value> = all
            .iter()
            .filter(|e| e["seq"].as_u64().is_some_and(|s| s <= seq))
            .collect();
        assert_eq!(got.len(), want.len());
        assert!(got.iter().zip(&want).all(|(a, b)| a == *b));
        assert_eq!(got.last().and_then(|e| e["seq"].as_u64()), Some(seq));
        let keys: std::collections::HashSet<&str> =
            got.iter().filter_map(|e| e["key"].as_str()).collect();
        for (key, s) in &acked {
            assert_eq!(keys.contains(key.as_str()), *s <= seq, "{key} at {s}");
        }
    }
}

#[test]
fn a_parked_session_is_discarded_when_its_key_is_revoked() {
    // One tmux session for the whole test: killing the client's session
    // then starting the next must not find the tmux server exiting.
    let _keeper = Tmux::run("sleep 300", 20, 5);
    need("ssh");
    need("ssh-keygen");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    assert!(depot(&dir)
        .args(["demo", "--activity"])
        .status()
        .unwrap()
        .success());
    let (k_pick, p_pick) = keygen(tmp.path(), "pick");
    let (k_admin, p_admin) = keygen(tmp.path(), "admin");
    exec_local(
        &dir,
        &[
            keys_line("PICK2", "Toronto Picker", "picker", "TOR", &[&p_pick]),
            keys_line("ADMIN", "Demo administrator", "admin", "", &[&p_admin]),
        ]
        .join("\n"),
    );
    a_pick_list(&dir, 1);
    let server = Server::start(&dir);
    let login = || {
        let cmd = format!(
            "ssh -tt {} ; echo SSH-EXITED-$?; sleep 30",
            server.ssh_args(&k_pick, "PICK2").join(" ")
        );
        Tmux::run(&cmd, 40, 16)
    };
    let t = login();
    t.wait_for("Pick");
    t.literal("p");
    t.keys(&["Enter"]);
    t.wait_for("bin> _");
    t.literal("HALF");
    t.wait_for("bin> HALF_");
    drop(t);
    let log = dir.join("depot.log");
    let logged = |what: &str| {
        // At most 1,200 polls 50 ms apart: a bound, not a speed check.
        for _ in 0..1200 {
            if std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains(what)
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("never logged {what:?}");
    };
    logged("ssh session parked");
    // The key is removed, then given back: the parked session is gone.
    let set_keys = |keys: &[&str]| {
        let line = keys_line("PICK2", "Toronto Picker", "picker", "TOR", keys)
            .replace("\"operator\":\"ADMIN\",", "");
        let o = server.ssh(&k_admin, "ADMIN", "exec -", &line);
        assert!(text(&o).contains("\"ok\":true"), "{}", text(&o));
    };
    set_keys(&[]);
    logged("key not listed for the operator");
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text
            .lines()
            .any(|l| l.contains("parked ssh session discarded") && l.contains("key not listed")),
        "{log_text}"
    );
    set_keys(&[&p_pick]);
    let t = login();
    let s = t.wait_for("screens");
    assert!(!s.contains("HALF") && !s.contains("resumed"), "{s}");
    drop(t);
    assert!(server.stop().success());
}

/// The archiver's committed batches in the log: (operator, orders).
fn archive_batches(dir: &Path) -> Vec<(String, usize)> {
    events(dir)
        .into_iter()
        .filter(|e| e["session"] == "archiver")
        .filter_map(|e| {
            let orders = e["outcome"]["committed"][0]["archived"]["orders"].as_array()?;
            Some((e["operator"].as_str()?.to_string(), orders.len()))
        })
        .collect()
}

#[test]
fn the_server_archives_closed_orders_by_age_in_batches_without_moving_the_books() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // 300 orders over 1,000 days, paid but for one in ten of the last
    // year: some 260 closed and older than 90 days, more than one batch.
    let out = depot(dir)
        .args([
            "demo",
            "--scale",
            "large",
            "--items",
            "20",
            "--customers",
            "10",
            "--order-lines",
            "1500",
            "--days",
            "1000",
            "--archive-after",
            "never",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let tb = || {
        let out = depot(dir)
            .args([
                "report",
                "trial-balance",
                "--entity",
                "US01",
                "--format",
                "csv",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let books = tb();

    // Who archives must be named and able to; refused before listening.
    for (extra, said) in [
        (vec!["--archive-after", "90d"], "needs --operator"),
        (
            vec!["--operator", "CLERK1", "--archive-after", "90d"],
            "close_periods",
        ),
        (
            vec!["--operator", "ADMIN", "--archive-after", "soon"],
            "not a number of days",
        ),
        (
            vec![
                "--operator",
                "ADMIN",
                "--archive-after",
                "90d",
                "--archive-every",
                "0s",
            ],
            "not a period",
        ),
    ] {
        let out = depot(dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(&extra)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{extra:?}: {}", text(&out));
        assert!(text(&out).contains(said), "{extra:?}: {}", text(&out));
    }

    let server = Server::start_with(dir, &["--operator", "ADMIN", "--archive-after", "90d"]);
    // Waited for through the server (polled at most 600 times 50 ms
    // apart, a bound for an archiver that hangs): the pass ends with a
    // batch short of a full one.
    let full = depot::archiver::BATCH as usize;
    let mut batches = Vec::new();
    for _ in 0..600 {
        batches = archive_batches(dir);
        if batches.last().is_some_and(|(_, n)| *n < full) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(server.stop().success());
    assert!(batches.len() >= 2, "{batches:?}");
    assert!(batches.iter().all(|(op, _)| op == "ADMIN"), "{batches:?}");
    assert!(batches[..batches.len() - 1].iter().all(|(_, n)| *n == full));
    let archived: usize = batches.iter().map(|(_, n)| n).sum();
    assert!((250..300).contains(&archived), "{archived}");
    // Nothing of age is left, the oldest order reads back from the
    // archive, the books did not move, and the store checks.
    let out = depot(dir)
        .args(["--operator", "ADMIN", "archive", "--older-than", "90d"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("nothing_to_archive"), "{}", text(&out));
    let out = depot(dir)
        .args(["archive", "--show", "SO-000001"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("SO-000001"));
    assert_eq!(tb(), books);
    let out = depot(dir).arg("check").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

/// `ssh OP@host exec -` as a stream: lines are written (by a thread of
/// its own, so that a server that stops taking them cannot hang the
/// test) while the outcomes are read as they come.
struct ExecStream {
    child: Child,
    input: Option<std::sync::mpsc::Sender<String>>,
    writer: Option<std::thread::JoinHandle<()>>,
    outcomes: std::sync::mpsc::Receiver<String>,
    got: Vec<serde_json::Value>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

/// How long a stream may give no outcome at all before it counts as
/// stuck: a bound for a hang, not a speed check.
const STUCK: Duration = Duration::from_secs(60);

impl ExecStream {
    /// `exec -` over SSH.
    fn start(server: &Server, key: &Path, user: &str) -> ExecStream {
        let mut ssh = Command::new("ssh");
        ssh.args(["-o", "BatchMode=yes"])
            .args(server.ssh_args(key, user))
            .arg("exec -");
        ExecStream::spawn(ssh)
    }

    /// `depot exec -` as ADMIN, run where the store is, through the
    /// running server's socket.
    fn local(dir: &Path) -> ExecStream {
        let mut exec = depot(dir);
        exec.args(["--operator", "ADMIN", "exec", "-"]);
        ExecStream::spawn(exec)
    }

    fn spawn(mut command: Command) -> ExecStream {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("exec -");
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut text);
            text
        });
        let mut stdin = child.stdin.take().unwrap();
        let (input, rx) = std::sync::mpsc::channel::<String>();
        let writer = std::thread::spawn(move || {
            for text in rx {
                if stdin.write_all(text.as_bytes()).is_err() {
                    return;
                }
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, outcomes) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        ExecStream {
            child,
            input: Some(input),
            writer: Some(writer),
            outcomes,
            got: Vec::new(),
            stderr: Some(stderr),
        }
    }

    fn send(&self, text: String) {
        if let Some(input) = &self.input {
            input.send(text).unwrap();
        }
    }

    /// Close stdin once everything sent is written.
    fn close(&mut self) {
        self.input = None;
    }

    /// Wait until `n` outcomes have come back in all.
    fn wait_outcomes(&mut self, n: usize) {
        while self.got.len() < n {
            match self.outcomes.recv_timeout(STUCK) {
                Ok(line) => self
                    .got
                    .push(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))),
                Err(_) => panic!(
                    "exec - is stuck: {} outcomes of the {n} awaited, none in {STUCK:?}",
                    self.got.len()
                ),
            }
        }
    }

    /// All the outcomes once the client ends, its exit status and stderr.
    fn end(mut self) -> (Vec<serde_json::Value>, std::process::ExitStatus, String) {
        self.close();
        self.ended()
    }

    /// The same while its input is still open: the client ends on its
    /// own (the server stopped) or the test fails as stuck.
    fn ended(mut self) -> (Vec<serde_json::Value>, std::process::ExitStatus, String) {
        loop {
            match self.outcomes.recv_timeout(STUCK) {
                Ok(line) => self
                    .got
                    .push(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
                    "exec - is stuck: {} outcomes, its output not closed in {STUCK:?}",
                    self.got.len()
                ),
            }
        }
        // Still open when the client ended by itself: its writer waits
        // on the channel and ends with it (never joined here).
        if self.input.is_none() {
            if let Some(w) = self.writer.take() {
                w.join().unwrap();
            }
        }
        let status = self.child.wait().unwrap();
        let err = self.stderr.take().map(|t| t.join().unwrap());
        (
            std::mem::take(&mut self.got),
            status,
            err.unwrap_or_default(),
        )
    }
}

impl Drop for ExecStream {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// `n` lines from `from` on, each creating payment terms `{prefix}{i}`.
fn terms_lines(prefix: &str, from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| {
            format!(
                r#"{{"cmd":"create_payment_terms","code":"{prefix}{i}","description":"z","net_days":30}}"#
            ) + "\n"
        })
        .collect()
}

/// A demo store under `tmp` where `operator` (ADMIN or CLERK1) logs in
/// with a key of its own: (the store, the private key).
fn demo_with_key(tmp: &Path, operator: &str) -> (PathBuf, PathBuf) {
    need("ssh");
    need("ssh-keygen");
    let dir = tmp.join("store");
    assert!(depot(&dir).arg("demo").status().unwrap().success());
    let (key, public) = keygen(tmp, &operator.to_ascii_lowercase());
    let line = match operator {
        "ADMIN" => keys_line("ADMIN", "Demo administrator", "admin", "", &[&public]),
        "CLERK1" => keys_line(
            "CLERK1",
            "Maria Counter",
            "counter_clerk",
            "CHI",
            &[&public],
        ),
        other => panic!("no demo operator {other} here"),
    };
    exec_local(&dir, &line);
    (dir, key)
}

#[test]
fn a_large_exec_over_ssh_streams_its_outcomes_while_its_input_arrives_and_runs_every_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, k_admin) = demo_with_key(tmp.path(), "ADMIN");
    let server = Server::start(&dir);
    // 20,000 lines (1.6 MB), the first half before the second is sent:
    // its outcomes come back while stdin is still open. The server took
    // about 589 lines and then waited for good (its session loop waiting
    // for the command to take more input, the command waiting for that
    // loop to take its outcomes).
    let half = 10_000;
    let mut stream = ExecStream::start(&server, &k_admin, "ADMIN");
    stream.send(terms_lines("S", 1, half));
    stream.wait_outcomes(half);
    stream.send(terms_lines("S", half + 1, half));
    let (got, status, _) = stream.end();
    assert_eq!(got.len(), 2 * half);
    assert!(status.success(), "{status:?}");
    for (i, v) in got.iter().enumerate() {
        assert_eq!(v["line"], i + 1, "{v}");
        assert_eq!(v["ok"], true, "{v}");
    }
    assert!(server.stop().success());
    assert_eq!(terms_made(&dir, "S"), 2 * half, "every line ran");
}

/// The payment terms `{prefix}{n}` in the store (the server stopped).
fn terms_made(dir: &Path, prefix: &str) -> usize {
    let o = depot(dir)
        .args(["export", "payment-terms"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            l.split(',')
                .next()?
                .strip_prefix(prefix)?
                .parse::<usize>()
                .ok()
        })
        .count()
}

#[test]
fn a_stop_during_a_large_exec_over_ssh_answers_every_line_it_committed_and_reads_no_more() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, k_admin) = demo_with_key(tmp.path(), "ADMIN");
    let server = Server::start(&dir);
    // SIGTERM while lines are still arriving. The server panicked (a
    // timer polled on its runtime shutting down) and dropped the
    // connection with outcomes of committed lines unsent.
    let total = 40_000;
    let mut stream = ExecStream::start(&server, &k_admin, "ADMIN");
    stream.send(terms_lines("T", 1, total));
    stream.wait_outcomes(1_000);
    let (status, log) = server.stop_logged();
    assert!(status.success(), "{status:?}");
    assert!(!log.contains("panicked"), "{log}");
    let (got, ssh, err) = stream.end();
    // Every line committed has its outcome, in order, and no line was
    // read after the stop: the client is told so.
    assert_eq!(got.len(), terms_made(&dir, "T"), "{err}");
    for (i, v) in got.iter().enumerate() {
        assert_eq!(v["line"], i + 1, "{v}");
        assert_eq!(v["ok"], true, "{v}");
    }
    assert!(got.len() < total, "the stop came before the last line");
    assert_eq!(ssh.code(), Some(1), "{err}");
    assert!(
        err.contains("depot serve is stopping: no further line was read"),
        "{err}"
    );
    let check = depot(&dir).arg("check").output().unwrap();
    assert!(check.status.success(), "{}", text(&check));
}

/// A local `depot exec -` goes through the server's socket. A stop read
/// no further line of it, as of an SSH exec, and answered each line it
/// had committed: the socket read used to block on input that had not
/// ended, the server stopped under it, and the client was told only
/// that the connection closed. Its stdin is still open here, as a
/// pipe from a program that has more to say would be.
#[test]
fn a_stop_during_a_local_exec_through_the_server_answers_what_it_committed_and_reads_no_more() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    assert!(depot(&dir).arg("demo").status().unwrap().success());
    let server = Server::start(&dir);
    let mut stream = ExecStream::local(&dir);
    stream.send(terms_lines("L", 1, 300));
    stream.wait_outcomes(300);
    let (status, log) = server.stop_logged();
    assert!(status.success(), "{status:?}");
    assert!(!log.contains("panicked"), "{log}");
    let (got, exec, err) = stream.ended();
    assert_eq!(got.len(), 300, "{err}");
    assert_eq!(terms_made(&dir, "L"), 300);
    for (i, v) in got.iter().enumerate() {
        assert_eq!(v["line"], i + 1, "{v}");
        assert_eq!(v["ok"], true, "{v}");
    }
    assert_eq!(exec.code(), Some(1), "{err}");
    assert!(
        err.contains("depot serve is stopping: no further line was read"),
        "{err}"
    );
}

/// An import whose file is still arriving when the server stops imports
/// nothing, and says so in terms of a file (not of lines).
#[test]
fn a_stop_during_a_local_import_through_the_server_imports_nothing_and_says_the_file_was_cut_off() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    assert!(depot(&dir).arg("demo").status().unwrap().success());
    let before = depot(&dir).args(["export", "customers"]).output().unwrap();
    assert!(before.status.success());
    let server = Server::start(&dir);
    let mut import = depot(&dir)
        .args(["--operator", "ADMIN", "import", "customers", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The header and a new customer (the first row under another code),
    // and the file left open.
    let mut stdin = import.stdin.take().unwrap();
    let exported = String::from_utf8_lossy(&before.stdout).into_owned();
    let mut rows = exported.lines();
    let header = rows.next().unwrap();
    let row = rows.next().unwrap();
    let (_, rest) = row.split_once(',').unwrap();
    stdin
        .write_all(format!("{header}\nC9999,{rest}\n").as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    // The server has the connection once the import is counted as
    // running: wait for its request in the log, not for a time.
    let log = dir.join("depot.log");
    for _ in 0..600 {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("local command through the server") && text.contains("Import") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, log) = server.stop_logged();
    assert!(status.success(), "{status:?}");
    assert!(!log.contains("panicked"), "{log}");
    let out = import.wait_with_output().unwrap();
    drop(stdin);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the file was cut off before its end; nothing was imported"),
        "{err}"
    );
    let after = depot(&dir).args(["export", "customers"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&after.stdout).contains("C9999"));
    assert_eq!(after.stdout, before.stdout, "nothing was imported");
}

#[test]
fn a_stop_and_the_idle_timeout_restore_the_terminal_and_say_why() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, k_clerk) = demo_with_key(tmp.path(), "CLERK1");
    let client = |server: &Server| {
        let cmd = format!(
            "ssh -tt {} ; echo SSH-EXITED-$?; sleep 30",
            server.ssh_args(&k_clerk, "CLERK1").join(" ")
        );
        let t = Tmux::run(&cmd, 80, 24);
        t.wait_for("Counter sale");
        assert_eq!(t.modes(), (true, false), "the screens' alternate screen");
        t
    };
    // SIGTERM: the session said nothing (and, before the stop waited
    // for the sessions, left the alternate screen on, cursor hidden).
    let server = Server::start(&dir);
    let t = client(&server);
    assert!(server.stop().success());
    let s = t.wait_for("SSH-EXITED");
    assert!(
        s.contains("depot: session closed: depot serve is stopping"),
        "{s}"
    );
    assert_eq!(t.modes(), (false, true), "{s}");
    drop(t);
    // The idle timeout: russh dropped the connection under the session,
    // the terminal left as it was and the log saying "the connection
    // closed". The session is kept for resume, as a lost link is.
    let server = Server::start_with(&dir, &["--idle-timeout", "2"]);
    let t = client(&server);
    let s = t.wait_for("SSH-EXITED");
    assert!(
        s.contains("depot: session closed: idle for 2 s (--idle-timeout)"),
        "{s}"
    );
    assert_eq!(t.modes(), (false, true), "{s}");
    parked(&dir, 1);
    let log = std::fs::read_to_string(dir.join("depot.log")).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("ssh session parked"))
        .unwrap_or_default();
    assert!(line.contains("idle for 2 s"), "{line}");
    assert!(server.stop().success());
}

/// Does the screen (`capture-pane -e`) set a colour anywhere?
fn coloured(screen: &str) -> bool {
    screen.split("\x1b[").skip(1).any(|seq| {
        let Some(end) = seq.find(|c: char| !(c.is_ascii_digit() || c == ';')) else {
            return false;
        };
        seq[end..].starts_with('m')
            && seq[..end].split(';').any(|p| {
                matches!(
                    p.parse::<u32>(),
                    Ok(30..=38 | 40..=48 | 90..=97 | 100..=107)
                )
            })
    })
}

#[test]
fn no_color_sent_over_ssh_holds_for_that_terminal_also_when_it_resumes_a_session() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, k_clerk) = demo_with_key(tmp.path(), "CLERK1");
    let server = Server::start(&dir);
    let login = |env: &str| {
        let cmd = format!(
            "env -u NO_COLOR {env} ssh -tt -o SendEnv=NO_COLOR {} ; echo SSH-EXITED-$?; sleep 30",
            server.ssh_args(&k_clerk, "CLERK1").join(" ")
        );
        Tmux::run(&cmd, 80, 24)
    };
    // A fresh login with NO_COLOR: bold and reverse video, no colour.
    let t = login("NO_COLOR=1");
    t.wait_for("Counter sale");
    let s = t.screen_escaped();
    assert!(!coloured(&s), "{s:?}");
    drop(t);
    parked(&dir, 1);
    // Its session resumed from a terminal without NO_COLOR: colours (the
    // resumed session drew as the first terminal had asked).
    let t = login("");
    t.wait_for("resumed your session");
    let s = t.screen_escaped();
    assert!(coloured(&s), "{s:?}");
    drop(t);
    parked(&dir, 2);
    // And back.
    let t = login("NO_COLOR=1");
    t.wait_for("resumed your session");
    let s = t.screen_escaped();
    assert!(!coloured(&s), "{s:?}");
    drop(t);
    assert!(server.stop().success());
}
