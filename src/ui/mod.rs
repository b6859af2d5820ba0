//! The terminal screens (ratatui + crossterm; DESIGN.md "Screens").
//!
//! - `key`: our own key type; `keymap`: sections per screen falling back
//!   to `[form]`/`[list]`/`[input]`/`[confirm]` and `[global]`.
//! - `screen`: the `Screen` trait and the flows screens return; one
//!   module per screen in `screens/`, listed in the menu table there.
//! - `app`: the frame (header, status line with the key bar, help,
//!   confirm, the screen stack); `session`: the loop fed by one inbox.
//! - View-models live in `crate::query`, outside ratatui.
//!
//! A screen never changes business state except by submitting a command
//! (`Flow::Submit`) with an idempotency key. The terminal is restored on
//! exit and on a panic of the UI thread ([`TuiPanics`]; a worker's panic
//! leaves the running screen alone and goes to the log), and nothing is
//! printed while the UI runs (logs go to a file).

pub mod app;
pub mod archive_reads;
pub mod entry;
pub mod input;
pub mod key;
pub mod keymap;
pub mod lookup;
pub mod model_worker;
pub mod print_worker;
pub mod screen;
pub mod screens;
pub mod session;
pub mod testing;
pub mod theme;
pub mod widgets;

use crate::engine::View;
use chrono::{DateTime, Utc};
use screen::{Request, Submitted};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the screens need from a running depot: the published view, the
/// clock, and a way to submit commands as the signed-in operator.
pub trait Backend {
    /// The newest durable view (O(1)).
    fn view(&self) -> View;
    /// Now (the engine's clock stamps commands; this one prices previews).
    fn now(&self) -> DateTime<Utc>;
    /// Submit and wait until it is durable or refused.
    fn submit(&self, operator: &str, session: &str, req: Request) -> Submitted;
    /// The state right after record `seq`, when this backend keeps its
    /// history (reprints are built from it); `None` when it does not.
    fn state_at(&self, seq: u64) -> Option<Arc<crate::core::State>> {
        let view = self.view();
        (view.seq == seq).then_some(view.state)
    }
    /// The log records `seqs` that this backend can read, in the order
    /// asked (the order inquiry's history); none when it keeps no log.
    fn records(&self, seqs: &[u64]) -> Vec<crate::core::Envelope> {
        let _ = seqs;
        Vec::new()
    }
    /// An archived order and the documents archived with it (issue 21);
    /// empty when this backend keeps no archive or it has no such order.
    fn archived_order(&self, number: &str) -> Vec<crate::core::archive::ArchivedDoc> {
        let _ = number;
        Vec::new()
    }
    /// The archived order an archived pick list, shipment, invoice or
    /// receipt went with (the order inquiry finds an archived order by
    /// any of its documents' numbers); none when this backend keeps no
    /// archive or it has no such document.
    fn archived_order_of(&self, number: &str) -> Option<crate::core::types::Code> {
        let _ = number;
        None
    }
    /// What the archive holds dated after `day` (of `customer` when
    /// given): a statement as of a day before the latest archived
    /// document reads it (`core::archive::Later`); `None` when this
    /// backend keeps no archive or cannot read it.
    fn later(
        &self,
        day: chrono::NaiveDate,
        customer: Option<&str>,
        need: crate::core::archive::Need,
    ) -> Option<crate::core::archive::Later> {
        let _ = (day, customer, need);
        None
    }
    /// `later` for an aging (`Need::Aging`: what the finance views' AR
    /// aging and its drill to a customer's open items read), for a
    /// screen: never waits for the read. The first ask
    /// answers `Reading` and reads on a worker; an ask once it is read
    /// answers `Ready` (kept for the same day, customer and archive
    /// `generation`, `archive_reads::generation`). This default reads at
    /// once (a backend that holds its records in memory).
    fn later_soon(
        &self,
        day: chrono::NaiveDate,
        customer: Option<&str>,
        generation: u64,
    ) -> archive_reads::Fetch {
        let _ = generation;
        match self.later(day, customer, crate::core::archive::Need::Aging) {
            Some(l) => archive_reads::Fetch::Ready(Arc::new(l)),
            None => archive_reads::Fetch::Failed("this depot keeps no archive".into()),
        }
    }
    /// The log records `from..=to` that this backend can read, in order
    /// (the audit screen reads the log once, then what is new).
    fn log_range(&self, from: u64, to: u64) -> Vec<crate::core::Envelope> {
        if from > to {
            return Vec::new();
        }
        self.records(&(from..=to).collect::<Vec<_>>())
    }
    /// This backend as one a worker thread may hold (the session's print
    /// worker builds documents with it, `ui::print_worker`); `None` when
    /// it cannot be shared (then the session builds them itself).
    fn detach(&self) -> Option<print_worker::Builder> {
        None
    }
    /// The models' last published suggestions (trained in the background
    /// by `model_worker`, never on the caller's thread); `None` until the
    /// first training is done or when this backend runs no models.
    fn suggestions(&self) -> Option<Arc<model_worker::Suggestions>> {
        None
    }
}

pub struct UiOptions {
    /// Sign in as this operator (local use); else the sign-in screen.
    pub operator: Option<String>,
    /// The user's keymap file, merged over the built-in keymaps.
    pub keymap_file: Option<PathBuf>,
    /// NO_COLOR: no colours, only bold and reverse video.
    pub no_color: bool,
    /// A message for the status line at start (e.g. "created the demo").
    pub notice: Option<String>,
    /// The session's name (logged with every command it submits).
    pub session: String,
}

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error(transparent)]
    Keymap(#[from] keymap::KeymapError),
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// Load the keymaps: built-in, with the user's file merged over them.
pub fn keymaps(file: Option<&std::path::Path>) -> Result<app::Keymaps, UiError> {
    let user = match file {
        None => None,
        Some(p) => Some((
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| keymap::KeymapError::Read {
                file: p.display().to_string(),
                message: e.to_string(),
            })?,
        )),
    };
    Ok(app::Keymaps::load(
        user.as_ref().map(|(f, t)| (f.as_str(), t.as_str())),
    )?)
}

/// The signal that ended the local session (0: none): after the clean
/// stop it asked for, the process exits with 128 + it, as a shell expects
/// of a program a signal stopped.
static STOPPED_BY: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// The signal that ended the local session, if one did.
pub fn stopped_by() -> Option<i32> {
    match STOPPED_BY.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// How often the slow timer ticks.
const TICK_MS: u64 = 30_000;

/// Run the UI on the local terminal until the operator quits.
/// `watch` registers the session's commit watcher with the engine.
pub fn run(
    backend: &dyn Backend,
    watch: &dyn Fn(crate::engine::Watcher),
    opts: UiOptions,
) -> Result<(), UiError> {
    // Everything that can fail for a reason the user must fix (a bad
    // keymap) fails before the terminal is touched.
    let maps = keymaps(opts.keymap_file.as_deref())?;
    let mut app = app::App::new(maps, opts.no_color, opts.operator, &opts.session, backend);
    if let Some(n) = opts.notice {
        app.notice = Some(screen::Notice::info(n));
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let pending = Arc::new(AtomicBool::new(false));
    watch(session::commit_watcher(tx.clone(), pending.clone()));
    // Keys and resizes from crossterm.
    let keys_tx = tx.clone();
    std::thread::Builder::new()
        .name("depot-keys".into())
        .spawn(move || loop {
            let msg = match crossterm::event::read() {
                Ok(crossterm::event::Event::Key(k)) => match key::Key::from_crossterm(&k) {
                    Some(k) => session::Inbox::Key(k),
                    None => continue,
                },
                Ok(crossterm::event::Event::Resize(..)) => session::Inbox::Resize,
                Ok(_) => continue,
                Err(_) => session::Inbox::Closed,
            };
            let closed = msg == session::Inbox::Closed;
            if keys_tx.send(msg).is_err() || closed {
                break;
            }
        })?;
    // A signal to stop (SIGTERM from a supervisor or `kill`, SIGHUP when
    // the terminal goes, SIGINT from outside: in raw mode ctrl-c is a key)
    // ends the session as F3 does: the terminal restored, then the caller
    // shuts the engine down. Another signal after that exits at once, the
    // terminal restored first. Before, the default action killed the
    // process and left the terminal in the alternate screen, raw.
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ])?;
    let stop_tx = tx.clone();
    std::thread::Builder::new()
        .name("depot-signals".into())
        .spawn(move || {
            let mut first = true;
            for sig in signals.forever() {
                tracing::warn!(signal = sig, "stopping on a signal");
                // The first only asks: after the session has ended (the
                // inbox gone) the stop under way goes on, waiting for the
                // print workers and shutting the engine down.
                if std::mem::take(&mut first) {
                    STOPPED_BY.store(sig, Ordering::SeqCst);
                    let _ = stop_tx.send(session::Inbox::Closed);
                    continue;
                }
                // (Not `restore`: after a hangup the terminal fails with
                // EIO, and its `eprintln!` of that would panic here.)
                let _ = ratatui::try_restore();
                std::process::exit(128 + sig);
            }
        })?;
    std::thread::Builder::new()
        .name("depot-tick".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_millis(TICK_MS));
            if tx.send(session::Inbox::Tick).is_err() {
                break;
            }
        })?;
    // Raw mode and the alternate screen, with a panic hook that restores
    // the terminal before the UI thread's panic message is printed.
    let tui = TuiPanics::start(Box::new(|| {
        let _ = ratatui::try_restore();
    }));
    crossterm::terminal::enable_raw_mode()?;
    // Cleared before the first frame: ratatui draws only what differs
    // from a blank screen, so a start after a depot killed with SIGKILL
    // (its alternate screen left as it was) drew the menu over the old
    // order's rows, and kept them. (Not `Terminal::clear`: it asks the
    // terminal where its cursor is, and gave up on a start in tmux.)
    let mut terminal = match crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )
    .and_then(|()| {
        ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))
    }) {
        Ok(t) => t,
        Err(e) => {
            let _ = ratatui::try_restore();
            return Err(e.into());
        }
    };
    let result = session::run(&mut terminal, &mut app, backend, &rx, &pending);
    // (A terminal hung up fails with EIO: restored as far as it can be.)
    let _ = ratatui::try_restore();
    drop(tui);
    result
}

/// The TUI's panic hook, while a screen runs on the local terminal.
///
/// A panic of the UI thread restores the terminal, then the message is
/// printed as usual (the process is going down). A panic of any other
/// thread (an archive read, which its worker catches; a print or model
/// worker; an engine thread) leaves the terminal as it is, since the
/// screen goes on, and its message goes to the log, never over the
/// screen. (ratatui's own hook restored the terminal for any thread's
/// panic, so a worker's caught panic left a running screen in cooked
/// mode.) Once the screen has ended, panics are reported as before.
pub struct TuiPanics(());

static TUI_ACTIVE: AtomicBool = AtomicBool::new(false);

impl TuiPanics {
    /// Install the hook (once per process; the thread that first calls
    /// this is the UI thread) and mark a screen running until the guard
    /// is dropped. `restore` puts the terminal back.
    pub fn start(restore: Box<dyn Fn() + Send + Sync>) -> TuiPanics {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let ui = std::thread::current().id();
            let prev = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let here = std::thread::current();
                if !TUI_ACTIVE.load(Ordering::SeqCst) {
                    prev(info)
                } else if here.id() == ui {
                    restore();
                    prev(info)
                } else {
                    tracing::error!(
                        thread = here.name().unwrap_or("unnamed"),
                        "a thread panicked while the screen runs: {info}"
                    );
                }
            }));
        });
        TUI_ACTIVE.store(true, Ordering::SeqCst);
        TuiPanics(())
    }
}

impl Drop for TuiPanics {
    fn drop(&mut self) {
        TUI_ACTIVE.store(false, Ordering::SeqCst);
    }
}
