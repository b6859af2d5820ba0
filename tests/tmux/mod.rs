//! A real terminal for tests: tmux, driven by keys as a person would,
//! read by waiting for text (never by sleeping a fixed time). Tests that
//! use it fail, never skip, without tmux.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

pub struct Tmux {
    pub name: String,
}

impl Tmux {
    /// An operator's first sign-in: the code, then a new PIN twice.
    pub fn first_sign_in(&self, code: &str) {
        self.literal(code);
        self.keys(&["Enter"]);
        self.wait_for("New PIN");
        self.literal("4711");
        self.keys(&["Enter"]);
        self.wait_for("Again:");
        self.literal("4711");
        self.keys(&["Enter"]);
    }

    pub fn start(dir: &Path, cols: u16, rows: u16, extra: &str) -> Tmux {
        let cmd = format!(
            "{extra} {} --data-dir {} ; echo DEPOT-EXITED-$?; sleep 30",
            env!("CARGO_BIN_EXE_depot"),
            dir.display()
        );
        Tmux::run(&cmd, cols, rows)
    }

    /// Any shell command in a new tmux window of `cols` x `rows`.
    pub fn run(cmd: &str, cols: u16, rows: u16) -> Tmux {
        let status = Command::new("tmux").arg("-V").status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "tmux is required for this test (.ci/run installs it): apt-get install tmux"
        );
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "depot-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        // Tests start sessions side by side on the one tmux server: a
        // session started while the server exits (its last session just
        // closed), or while another test starts it over a stale socket,
        // is refused by tmux. Started again, it gets a server.
        let mut why = String::new();
        for _ in 0..5 {
            let out = Command::new("tmux")
                .args([
                    "new-session",
                    "-d",
                    "-s",
                    &name,
                    "-x",
                    &cols.to_string(),
                    "-y",
                    &rows.to_string(),
                    cmd,
                ])
                .env_remove("TMUX")
                .output()
                .expect("tmux new-session");
            if out.status.success() {
                return Tmux { name };
            }
            why = String::from_utf8_lossy(&out.stderr).into_owned();
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!("tmux new-session failed five times: {why}");
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen with its attributes as escape sequences.
    pub fn screen_escaped(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-e", "-t", &self.name])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The pane's modes: (on the alternate screen, cursor shown).
    pub fn modes(&self) -> (bool, bool) {
        let out = Command::new("tmux")
            .args([
                "display-message",
                "-p",
                "-t",
                &self.name,
                "#{alternate_on} #{cursor_flag}",
            ])
            .output()
            .expect("display-message");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut flags = text.split_whitespace();
        (flags.next() == Some("1"), flags.next() == Some("1"))
    }

    /// Wait until the screen shows `text`; panics with the screen if it
    /// never does (a liveness bound, not a speed check).
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |s| s.contains(text))
    }

    /// Wait until `ok` holds for the screen; panics with the screen if it
    /// never does. Polls every 50 ms, at most 1,200 times (a liveness
    /// bound for a hung program, not a speed check).
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let mut s = self.screen();
        for _ in 0..1200 {
            if ok(&s) {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
            s = self.screen();
        }
        panic!("never saw {what}; screen:\n{s}");
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.name.as_str()];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux")
            .args(&args)
            .status()
            .expect("send-keys")
            .success());
    }

    pub fn literal(&self, text: &str) {
        assert!(Command::new("tmux")
            .args(["send-keys", "-t", &self.name, "-l", text])
            .status()
            .expect("send-keys")
            .success());
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        assert!(Command::new("tmux")
            .args([
                "resize-window",
                "-t",
                &self.name,
                "-x",
                &cols.to_string(),
                "-y",
                &rows.to_string()
            ])
            .status()
            .expect("resize-window")
            .success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}
