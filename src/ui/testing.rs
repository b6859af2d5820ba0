//! A harness for screen tests and UI benchmarks: the real core behind an
//! in-memory backend with a fixed clock, keys pressed, text typed, codes
//! scanned as a wedge scanner sends them (a burst, then Enter), the
//! commands a screen submitted, and the frame drawn at any size.

use super::app::{App, Keymaps};
use super::key::{Key, KeyCode};
use super::screen::{Request, Submitted};
use super::Backend;
use crate::core::rejection::Rejection;
use crate::core::Envelope;
use crate::core::{execute, CommandBody, State};
use crate::engine::View;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The core in memory: commands decided and applied as the engine does
/// (keys remembered: a repeat returns the first outcome), no store.
pub struct MemBackend {
    pub state: RefCell<State>,
    pub now: DateTime<Utc>,
    keys: RefCell<HashMap<String, (CommandBody, String, Submitted)>>,
    /// Every submission that reached the core, keyed or not.
    pub log: RefCell<Vec<(String, Request)>>,
    /// The state after each record since the backend was made (a clone
    /// costs O(1)): what reprints are built from.
    history: RefCell<std::collections::BTreeMap<u64, State>>,
    /// The log records this backend knows (those it committed, and those
    /// it was made with): what the order inquiry's history reads.
    records: RefCell<BTreeMap<u64, Envelope>>,
    /// The models' suggestions as published (`train_models`): the
    /// harness trains when told, where a running depot has its worker.
    pub models: RefCell<Option<Arc<super::model_worker::Suggestions>>>,
}

/// The day the screen tests run on: the demo's today.
pub fn test_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
}

impl MemBackend {
    pub fn new(state: State, now: DateTime<Utc>) -> MemBackend {
        let history = RefCell::new([(state.seq, state.clone())].into_iter().collect());
        MemBackend {
            state: RefCell::new(state),
            now,
            keys: RefCell::default(),
            log: RefCell::default(),
            history,
            records: RefCell::default(),
            models: RefCell::default(),
        }
    }

    /// Train the models on the state as it is now and publish the
    /// result, as the worker does in the background.
    pub fn train_models(&self) -> Arc<super::model_worker::Suggestions> {
        let s = self.state.borrow();
        let trained = Arc::new(super::model_worker::Suggestions::train(&s, s.seq, self.now));
        *self.models.borrow_mut() = Some(trained.clone());
        trained
    }

    /// The demo of the screen tests: made on `test_day()`, driven at
    /// 15:00 UTC of it.
    pub fn afternoon() -> MemBackend {
        let now = Utc.from_utc_datetime(&test_day().and_hms_opt(15, 0, 0).unwrap_or_default());
        MemBackend::demo(test_day(), now)
    }

    /// The demo (`demo_state`) with the log records that made it, as a
    /// store opened on the first start would serve them.
    pub fn demo(today: NaiveDate, now: DateTime<Utc>) -> MemBackend {
        let (state, log) = demo(today);
        let b = MemBackend::new(state, now);
        *b.records.borrow_mut() = log;
        b
    }

    fn remember(&self) {
        let s = self.state.borrow().clone();
        self.history.borrow_mut().insert(s.seq, s);
    }

    /// Run a command as `operator` outside any screen (another session).
    pub fn exec(&self, operator: &str, body: CommandBody) -> Result<(), Rejection> {
        let cmd = crate::core::Command {
            operator: operator.to_string().into(),
            session: "other".into(),
            time: self.now,
            key: None,
            body,
        };
        let out = execute(&mut self.state.borrow_mut(), &cmd).map(|env| {
            self.records.borrow_mut().insert(env.seq, env);
        });
        self.remember();
        out
    }
}

impl Backend for MemBackend {
    fn view(&self) -> View {
        let s = self.state.borrow();
        View {
            seq: s.seq,
            state: Arc::new(s.clone()),
        }
    }
    fn now(&self) -> DateTime<Utc> {
        self.now
    }
    fn suggestions(&self) -> Option<Arc<super::model_worker::Suggestions>> {
        self.models.borrow().clone()
    }
    fn submit(&self, operator: &str, session: &str, req: Request) -> Submitted {
        self.log
            .borrow_mut()
            .push((operator.to_string(), req.clone()));
        if let Some((body, op, first)) = self.keys.borrow().get(&req.key) {
            if *body != req.body || op != operator {
                return Submitted::Refused(Rejection::KeyConflict { key: req.key });
            }
            return match first.clone() {
                Submitted::Committed { seq, events, .. } => Submitted::Committed {
                    seq,
                    events,
                    duplicate: true,
                },
                other => other,
            };
        }
        let cmd = crate::core::Command {
            operator: operator.to_string().into(),
            session: session.to_string(),
            time: self.now,
            key: Some(req.key.clone()),
            body: req.body.clone(),
        };
        let out = {
            let mut s = self.state.borrow_mut();
            match execute(&mut s, &cmd) {
                Ok(env) => {
                    self.records.borrow_mut().insert(env.seq, env.clone());
                    match env.outcome {
                        crate::core::Outcome::Committed(events) => Submitted::Committed {
                            seq: env.seq,
                            events,
                            duplicate: false,
                        },
                        crate::core::Outcome::Rejected(r) => Submitted::Refused(r),
                    }
                }
                Err(r) => Submitted::Refused(r),
            }
        };
        self.remember();
        self.keys
            .borrow_mut()
            .insert(req.key, (req.body, operator.to_string(), out.clone()));
        out
    }

    fn state_at(&self, seq: u64) -> Option<Arc<State>> {
        self.history.borrow().get(&seq).cloned().map(Arc::new)
    }

    fn log_range(&self, from: u64, to: u64) -> Vec<Envelope> {
        if from > to {
            return Vec::new();
        }
        self.records
            .borrow()
            .range(from..=to)
            .map(|(_, e)| e.clone())
            .collect()
    }

    fn archived_order(&self, number: &str) -> Vec<crate::core::archive::ArchivedDoc> {
        // This backend keeps every record: the archive is what they say.
        self.records
            .borrow()
            .values()
            .flat_map(|e| e.events().to_vec())
            .find_map(|e| match e {
                crate::core::Event::Archived(a) => {
                    let docs = crate::core::archive::docs_of_order(&a, number);
                    (!docs.is_empty()).then_some(docs)
                }
                _ => None,
            })
            .unwrap_or_default()
    }

    fn later(
        &self,
        day: NaiveDate,
        customer: Option<&str>,
        need: crate::core::archive::Need,
    ) -> Option<crate::core::archive::Later> {
        // This backend keeps every record: the archive is what they say.
        let docs: Vec<crate::core::archive::ArchivedDoc> = self
            .records
            .borrow()
            .values()
            .flat_map(|e| e.events().to_vec())
            .flat_map(|e| crate::core::archive::event_docs(&e))
            .collect();
        Some(crate::core::archive::Later::from_docs(
            &docs, day, customer, need,
        ))
    }

    fn archived_order_of(&self, number: &str) -> Option<crate::core::types::Code> {
        let docs: Vec<crate::core::archive::ArchivedDoc> = self
            .records
            .borrow()
            .values()
            .flat_map(|e| e.events().to_vec())
            .flat_map(|e| match e {
                crate::core::Event::Archived(a) => a.docs(),
                _ => Vec::new(),
            })
            .collect();
        let find = |n: &str| {
            docs.iter().find(|d| {
                d.number() == n && !matches!(d, crate::core::archive::ArchivedDoc::Order(_))
            })
        };
        match find(number)? {
            crate::core::archive::ArchivedDoc::Receipt(r) => r
                .applications
                .first()
                .and_then(|a| find(&a.invoice))
                .and_then(|i| i.order().cloned()),
            d => d.order().cloned(),
        }
    }

    fn records(&self, seqs: &[u64]) -> Vec<Envelope> {
        let records = self.records.borrow();
        seqs.iter()
            .filter_map(|q| records.get(q).cloned())
            .collect()
    }
}

/// The demo distributor's state on `today` with its activity (what the
/// first start of the TUI creates), built through the same commands
/// (cached per process: the first `today` asked for wins).
/// The `n` rows of a drawn screen just above its key bar (the last
/// row), each trimmed, joined by a space: where a notice or a refusal
/// wraps at the foot of a screen.
pub fn rows_above_bar(screen: &str, n: usize) -> String {
    let rows: Vec<&str> = screen.lines().collect();
    let end = rows.len().saturating_sub(1);
    rows[end.saturating_sub(n)..end]
        .iter()
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn demo_state(today: NaiveDate) -> State {
    demo(today).0
}

/// The demo's state and the log records of its activity (orders and
/// what followed them), cached per process like `demo_state`.
fn demo(today: NaiveDate) -> (State, BTreeMap<u64, Envelope>) {
    static DEMO: std::sync::OnceLock<(State, BTreeMap<u64, Envelope>)> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| {
        let time = Utc.from_utc_datetime(&today.and_hms_opt(8, 0, 0).unwrap_or_default());
        let mut s = State::default();
        // Every record, master data too (opening balances post journal
        // entries: the finance views' GL lines read them).
        let mut records = BTreeMap::new();
        if let Ok(cmds) = crate::io::demo::commands(today, 0) {
            for body in cmds {
                let cmd = crate::core::Command {
                    operator: "ADMIN".into(),
                    session: "demo".into(),
                    time,
                    key: None,
                    body,
                };
                match execute(&mut s, &cmd) {
                    Ok(env) => {
                        records.insert(env.seq, env);
                    }
                    Err(e) => tracing::error!(error = %e, "demo command refused"),
                }
            }
        }
        let loaded = s.clone();
        let cell = RefCell::new(s);
        let log = RefCell::new(records);
        let mut run = |days: i64, operator: &str, body: CommandBody| {
            let cmd = crate::core::Command {
                operator: operator.to_string().into(),
                session: "demo".into(),
                time: time - chrono::Duration::days(days),
                key: None,
                body,
            };
            match execute(&mut cell.borrow_mut(), &cmd) {
                Ok(env) => match env.outcome.clone() {
                    crate::core::Outcome::Committed(ev) => {
                        log.borrow_mut().insert(env.seq, env);
                        Ok(ev)
                    }
                    crate::core::Outcome::Rejected(r) => {
                        Err(crate::io::activity::StepError::Refused(r))
                    }
                },
                Err(r) => Err(crate::io::activity::StepError::Refused(r)),
            }
        };
        if let Err(e) = crate::io::activity::run(&loaded, today, &mut run) {
            tracing::error!(error = %e, "demo activity refused");
        }
        (cell.into_inner(), log.into_inner())
    })
    .clone()
}

/// A session on a backend, with helpers to drive it.
/// Drives an `App` as a terminal would, on any backend (the in-memory
/// one unless told: a test of a running engine drives `EngineBackend`).
pub struct Driver<'a, B: Backend = MemBackend> {
    pub app: App,
    pub backend: &'a B,
}

impl<'a, B: Backend> Driver<'a, B> {
    pub fn new(backend: &'a B, operator: Option<&str>) -> Driver<'a, B> {
        Driver::session(backend, operator, "test")
    }
    /// A second session on the same backend needs its own name (its
    /// idempotency keys are `NAME-1`, `NAME-2`, ...).
    pub fn session(backend: &'a B, operator: Option<&str>, name: &str) -> Driver<'a, B> {
        let maps = Keymaps::load(None).unwrap_or_else(|_| Keymaps {
            default: Default::default(),
            classic: Default::default(),
        });
        // Each driver is its own session, as each terminal is: keys are
        // unique per session. Drivers made by `new` are numbered.
        static SESSIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let session = if name == "test" {
            match SESSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) {
                0 => "test".to_string(),
                n => format!("test{n}"),
            }
        } else {
            name.to_string()
        };
        Driver {
            app: App::new(maps, false, operator.map(str::to_string), &session, backend),
            backend,
        }
    }
    pub fn key(&mut self, k: Key) -> &mut Self {
        self.app.on_key(k, self.backend);
        self
    }
    /// A key by its keymap name (`enter`, `f8`, `ctrl-u`).
    pub fn press(&mut self, name: &str) -> &mut Self {
        // A misspelt key name in a test is the test's fault: say so, rather
        // than press nothing and let the test pass or fail for another reason.
        match Key::parse(name) {
            Some(k) => self.key(k),
            None => panic!("Driver::press: no key is named {name:?}"),
        }
    }
    pub fn typed(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            self.key(Key::plain(KeyCode::Char(c)));
        }
        self
    }
    /// A wedge scanner: the characters, then Enter.
    pub fn scan(&mut self, code: &str) -> &mut Self {
        self.typed(code);
        self.key(Key::plain(KeyCode::Enter))
    }
    /// From the menu, open the row labelled `label` (None: not offered).
    pub fn open(&mut self, label: &str) -> Option<&mut Self> {
        // Home and Down move the menu in both shipped keymaps (the classic
        // one has no g / j).
        self.press("home");
        for _ in 0..40 {
            let screen = self.screen(100, 40);
            // "> 3 Pick": the selected row, its number, its label.
            let selected = |l: &str| {
                l.split_once("> ").is_some_and(|(_, r)| {
                    let r = r
                        .trim_start_matches(|c: char| c.is_ascii_digit())
                        .trim_start()
                        .trim_end_matches(['│', ' ']);
                    r == label || r.starts_with(&format!("{label} ("))
                })
            };
            if screen.lines().any(selected) {
                self.press("enter");
                return Some(self);
            }
            self.press("down");
        }
        None
    }
    /// Another session committed: tell the screens.
    pub fn committed(&mut self) -> &mut Self {
        self.app.committed(self.backend);
        self
    }
    /// Collect the prints the session's worker finished (the session
    /// loop does this while prints are out).
    pub fn prints(&mut self) -> &mut Self {
        self.app.poll_prints(self.backend);
        self
    }
    /// Wait until no print is out, collecting (and recording) each.
    pub fn wait_prints(&mut self) -> &mut Self {
        self.app
            .finish_prints(self.backend, std::time::Duration::from_secs(60));
        self
    }
    /// Wait until `ok` holds for the frame at `w` x `h`, collecting
    /// finished prints between looks; panics with the frame if it never
    /// does. Polls every 25 ms, at most 2,400 times (a liveness bound for
    /// a hung session, not a speed check).
    pub fn wait_until(&mut self, what: &str, w: u16, h: u16, ok: impl Fn(&str) -> bool) -> String {
        let mut s = self.prints().screen(w, h);
        for _ in 0..2400 {
            if ok(&s) {
                return s;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
            s = self.prints().screen(w, h);
        }
        panic!("never saw {what}; screen:\n{s}");
    }
    /// The frame at `w` x `h`, as text.
    pub fn screen(&mut self, w: u16, h: u16) -> String {
        let Ok(mut t) = Terminal::new(TestBackend::new(w, h));
        let backend = self.backend;
        if t.draw(|f| self.app.view(f, backend)).is_err() {
            return String::new();
        }
        let buf = t.backend().buffer().clone();
        let mut out = String::new();
        for y in 0..h {
            let mut line = String::new();
            for x in 0..w {
                line.push_str(buf[(x, y)].symbol());
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}
