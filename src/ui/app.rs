//! The frame around the screens: a stack of screens, the header (title,
//! operator, entity, warehouse), the status line (a notice, or the key bar
//! built from the screen's actions and the active keymap), the help
//! overlay and the confirm step. It turns keys into actions through the
//! keymap, runs the flows screens return, and submits their commands.
//! Pure with respect to the terminal: tests drive it with keys and draw
//! it into ratatui's `TestBackend`.

use super::key::{Key, KeyCode};
use super::keymap::{Action, Context, Keymap, KeymapError};
use super::screen::{Ctx, Flow, Input, Notice, Screen, Submitted};
use super::screens::{menu::Menu, sign_in::SignIn};
use super::theme::Theme;
use super::widgets::{centered, fit, wrap_items, wrap_words};
use super::Backend;
use crate::core::types::ToCode;
use crate::engine::View;
use crate::query::lookup::Lookups;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;
use std::cell::{Cell, RefCell};

/// Smallest terminal the frame draws a screen in at all.
pub const MIN_WIDTH: u16 = 20;
pub const MIN_HEIGHT: u16 = 5;
/// Flows a single key may chain (submit → outcome → submit ...).
const FLOW_DEPTH_MAX: usize = 8;

/// The keymaps an operator may pick (by `Operator::keymap`), each with the
/// user's own file merged over it.
#[derive(Clone, Debug)]
pub struct Keymaps {
    pub default: Keymap,
    pub classic: Keymap,
}

impl Keymaps {
    pub fn load(user: Option<(&str, &str)>) -> Result<Keymaps, KeymapError> {
        Ok(Keymaps {
            default: Keymap::build("default", user)?,
            classic: Keymap::build("classic", user)?,
        })
    }
    fn for_operator(&self, name: &str) -> Keymap {
        match name {
            "classic" => self.classic.clone(),
            _ => self.default.clone(),
        }
    }
}

/// How the notice for a key pressed on a screen too small to draw begins
/// (cleared once the terminal fits again).
const TOO_SMALL: &str = "too small: only";

pub struct App {
    stack: Vec<Box<dyn Screen>>,
    pub operator: Option<String>,
    keymaps: Keymaps,
    keymap: Keymap,
    pub theme: Theme,
    pub help: bool,
    /// The help's first row shown, and (as last drawn) its rows in all
    /// and the rows its box shows: on a handheld of 8 rows the keys do
    /// not fit, and Up and Down scroll them (any other key closes it).
    help_top: Cell<usize>,
    help_drawn: Cell<(usize, usize)>,
    /// The row each key starts on, as last drawn: Up and Down go a key
    /// at a time, so the top row is a key, not the rest of what the one
    /// above does.
    help_starts: RefCell<Vec<usize>>,
    /// A question waiting for yes or no.
    pub confirm: Option<String>,
    pub notice: Option<Notice>,
    /// The open question takes only an explicit yes (Enter says no).
    pub confirm_strict: bool,
    pub quit: bool,
    session: String,
    keys: Cell<u64>,
    lookups: RefCell<Lookups>,
    /// The entity last chosen on a screen that works one entity at a time.
    chosen_entity: RefCell<Option<crate::core::types::Code>>,
    /// The size of the last frame drawn (keys are not taken by a screen
    /// the frame could not show).
    last_size: Option<(u16, u16)>,
    /// The confirm on screen is the app's own "quit with work open?".
    quitting: bool,
    /// The last question drawn, and whether it showed whole in its box.
    confirm_drawn: RefCell<Option<(String, bool)>>,
    /// The screen's own question the exit question covers (and whether
    /// it was strict): asked again when the operator stays.
    covered: Option<(String, bool)>,
    /// Why the session was ended from outside (key revoked, operator
    /// made inactive), to say once the screen is gone.
    pub closed_because: Option<String>,
    /// Signed in by something outside the app (an SSH key): signing out
    /// ends the session rather than asking for another operator.
    remote: bool,
    /// Bells rung so far (a notice with `bell`); the session loop sends
    /// BEL to the terminal for each one not yet rung.
    pub bells: u64,
    bells_rung: u64,
    /// The session's print worker (started at the first print).
    prints: Option<super::print_worker::PrintWorker>,
    /// Prints handed to the worker and not finished, a batch per
    /// `Flow::Print`, oldest first.
    batches: std::collections::VecDeque<PrintBatch>,
    next_batch: u64,
    /// The prints that failed last: ctrl-p (`print`) sends them again.
    pub failed_prints: Vec<crate::docs::print::PrintRequest>,
}

/// The prints of one `Flow::Print`: the operator hears of them together
/// when the last is done.
struct PrintBatch {
    id: u64,
    operator: String,
    /// What the screen said before the print ("carton 1 packed; "), and
    /// the "printing…" notice (empty: none was shown): the outcome keeps
    /// the first while the second is still on the status line.
    before: String,
    shown: String,
    left: usize,
    said: Vec<String>,
    failed: Vec<String>,
    retry: Vec<crate::docs::print::PrintRequest>,
}

macro_rules! ctx {
    ($self:ident, $view:expr, $now:expr, $backend:expr) => {
        Ctx {
            view: $view,
            backend: $backend,
            operator: $self.operator.as_deref().unwrap_or(""),
            now: $now,
            theme: $self.theme,
            keymap: &$self.keymap,
            session: &$self.session,
            keys: &$self.keys,
            lookups: &$self.lookups,
            chosen_entity: &$self.chosen_entity,
        }
    };
}

impl App {
    /// A new session; with `operator` given (local use) sign-in is skipped
    /// when that operator exists and is active.
    pub fn new(
        keymaps: Keymaps,
        no_color: bool,
        operator: Option<String>,
        session: &str,
        backend: &dyn Backend,
    ) -> App {
        let mut app = App {
            stack: vec![Box::new(SignIn::default())],
            operator: None,
            keymap: keymaps.default.clone(),
            keymaps,
            theme: Theme { color: !no_color },
            help: false,
            help_top: Cell::new(0),
            help_drawn: Cell::new((0, 0)),
            help_starts: RefCell::default(),
            confirm: None,
            confirm_drawn: RefCell::new(None),
            notice: None,
            confirm_strict: false,
            quit: false,
            session: session.to_string(),
            keys: Cell::new(0),
            lookups: RefCell::default(),
            chosen_entity: RefCell::default(),
            last_size: None,
            quitting: false,
            covered: None,
            closed_because: None,
            remote: false,
            bells: 0,
            bells_rung: 0,
            prints: None,
            batches: Default::default(),
            next_batch: 0,
            failed_prints: Vec::new(),
        };
        if let Some(op) = operator {
            let view = backend.view();
            let locked = view
                .state
                .sign_ins
                .get(&op.to_code())
                .and_then(|r| r.locked_at(backend.now()))
                .is_some();
            if view.state.demo && !locked {
                app.sign_in(&op, &view);
                if app.operator.is_none() {
                    app.stack = vec![Box::new(SignIn::new(&op))];
                }
            } else if locked {
                app.stack = vec![Box::new(SignIn::for_operator(
                    &op,
                    &view.state,
                    backend.now(),
                    "",
                ))];
            } else {
                // Only the demo skips the sign-in: on a store in real
                // use `--operator` names who signs in, nothing more.
                tracing::info!(operator = %op, "--operator on a store that is not a demo: sign-in asked");
                app.stack = vec![Box::new(SignIn::for_operator(
                    &op,
                    &view.state,
                    backend.now(),
                    "this store is not a demo: sign in with your PIN or password",
                ))];
            }
        }
        app
    }

    /// A session whose operator was authenticated elsewhere (an SSH key):
    /// signed in at once, on any store.
    pub fn authenticated(
        keymaps: Keymaps,
        no_color: bool,
        operator: &str,
        session: &str,
        backend: &dyn Backend,
    ) -> App {
        let mut app = App::new(keymaps, no_color, None, session, backend);
        app.remote = true;
        app.sign_in(operator, &backend.view());
        if app.operator.is_none() {
            app.quit = true;
        }
        app
    }

    /// The screen on top (its keymap name).
    pub fn screen_name(&self) -> &'static str {
        self.stack.last().map(|s| s.name()).unwrap_or("sign_in")
    }

    pub fn top(&self) -> Option<&dyn Screen> {
        self.stack.last().map(|s| s.as_ref())
    }

    /// Where the focus is: the confirm question, else the top screen's.
    pub fn context(&self) -> Context {
        if self.confirm.is_some() {
            return Context::Confirm;
        }
        self.stack
            .last()
            .map(|s| s.context())
            .unwrap_or(Context::Global)
    }

    fn sign_in(&mut self, code: &str, view: &View) {
        let typed = code.trim();
        let s = &view.state;
        let found = s
            .operators
            .get(&typed.to_code())
            .or_else(|| s.operators.get(&typed.to_uppercase().to_code()));
        match found {
            None => self.notice = Some(Notice::error(format!("unknown operator {typed:?}"))),
            Some(op) if !op.active => {
                self.notice = Some(Notice::error(format!("operator {} is inactive", op.code)))
            }
            Some(op) => {
                tracing::info!(operator = %op.code, session = %self.session, "signed in");
                self.operator = Some(op.code.to_string());
                *self.chosen_entity.borrow_mut() = None;
                self.keymap = self.keymaps.for_operator(&op.keymap);
                self.stack = vec![Box::new(Menu::new())];
                self.notice = Some(Notice::info(format!(
                    "signed in as {} ({})",
                    op.code, op.name
                )));
            }
        }
    }

    fn sign_out(&mut self) {
        if let Some(op) = self.operator.take() {
            tracing::info!(operator = %op, session = %self.session, "signed out");
        }
        if self.remote {
            self.quit = true;
            return;
        }
        self.keymap = self.keymaps.default.clone();
        self.stack = vec![Box::new(SignIn::default())];
        self.notice = Some(Notice::info("signed out"));
    }

    /// Handle one key press.
    pub fn on_key(&mut self, key: Key, backend: &dyn Backend) {
        let view = backend.view();
        let now = backend.now();
        let ctxk = self.context();
        let action = self.keymap.action(self.screen_name(), ctxk, &key);
        if self.help {
            // A help taller than its box scrolls with Up and Down a key
            // at a time (Page Up and Down a box at a time, Home and End).
            let (rows, shown) = self.help_drawn.get();
            let last = rows.saturating_sub(shown);
            let top = self.help_top.get();
            let page = shown.max(1);
            let starts = self.help_starts.borrow().clone();
            // The first key's row after `from` (else the last row), the
            // last one before it (else the first).
            let after = |from: usize| starts.iter().copied().find(|&r| r > from).unwrap_or(last);
            let before = |from: usize| {
                starts
                    .iter()
                    .rev()
                    .copied()
                    .find(|&r| r < from)
                    .unwrap_or(0)
            };
            let moved = match key.code {
                KeyCode::Down => Some(after(top).min(last)),
                KeyCode::Up => Some(before(top)),
                KeyCode::PageDown => Some(before(top + page + 1).max(after(top)).min(last)),
                KeyCode::PageUp => Some(before((top + 1).saturating_sub(page))),
                KeyCode::Home => Some(0),
                KeyCode::End => Some(last),
                _ => None,
            };
            if let Some(to) = moved.filter(|_| last > 0) {
                self.help_top.set(to);
                return;
            }
            // Any other key closes the help; quit still quits (asking
            // first with work open, as everywhere).
            self.help = false;
            if action == Some(Action::Quit) {
                if self.stack.iter().any(|s| s.dirty()) && self.confirm.is_none() {
                    self.ask_to_quit();
                } else {
                    self.quit = true;
                }
            }
            return;
        }
        if self.confirm.is_some() {
            let yes = match action {
                // A screen's question on a terminal too small to show it
                // is not answered yes (no still is): a key must not do
                // what the operator cannot read. The exit question (its
                // line is the key bar's) still is.
                Some(Action::Yes) if !self.fits() && !self.quitting => return,
                // Nor one whose box showed only part of it, the exit
                // question over open work among them: at 20x5 its box
                // showed no question, and `y` exited over a sale with a
                // card payment taken.
                Some(Action::Yes) if self.question_cut() => {
                    self.notice = Some(Notice::error(
                        "the question does not show whole: n, or a larger window",
                    ));
                    return;
                }
                // A strict question: Enter is no, only `y` says yes.
                Some(Action::Yes) if self.confirm_strict && key.code == KeyCode::Enter => false,
                Some(Action::Yes) => true,
                Some(Action::No) => false,
                // Quit over the exit question exits; over a screen's own
                // question it asks, as it does everywhere else.
                Some(Action::Quit) if self.quitting || !self.stack.iter().any(|s| s.dirty()) => {
                    self.quit = true;
                    return;
                }
                Some(Action::Quit) => {
                    let covered = self.confirm.take().map(|q| (q, self.confirm_strict));
                    self.covered = covered;
                    self.ask_to_quit();
                    return;
                }
                _ => return,
            };
            self.confirm = None;
            if std::mem::take(&mut self.quitting) {
                self.quit = yes;
                // Staying: the screen's question it covered is asked again.
                if let Some((q, strict)) = self.covered.take().filter(|_| !yes) {
                    self.confirm = Some(q);
                    self.confirm_strict = strict;
                }
                return;
            }
            let flow = {
                let ctx = ctx!(self, &view, now, backend);
                match self.stack.last_mut() {
                    Some(s) => s.confirmed(yes, &ctx),
                    None => Flow::Stay,
                }
            };
            self.run(flow, backend, &view, 0);
            return;
        }
        match action {
            Some(Action::Help) => {
                self.help = true;
                self.help_top.set(0);
                return;
            }
            Some(Action::Quit) => {
                if self.stack.iter().any(|s| s.dirty()) {
                    self.ask_to_quit();
                } else {
                    self.quit = true;
                }
                return;
            }
            Some(Action::Print) if !self.failed_prints.is_empty() => {
                // The prints that failed go again (as originals: a failed
                // print fixed nothing).
                let again = std::mem::take(&mut self.failed_prints);
                self.notice = None;
                self.print(again, backend);
                return;
            }
            // The frame says the terminal is too small: the screen is not
            // shown, so it takes no keys but the one that leaves it (its
            // back key when no work is open on it; quit still exits).
            Some(Action::Back) if !self.fits() && self.leave_key().2 == Some(Action::Back) => {}
            // A field focused, with no back key: its cancel key closes the
            // screen here (the screen would clear the field first, which
            // cannot be seen).
            Some(Action::Cancel) if !self.fits() && self.leave_key().2 == Some(Action::Cancel) => {
                self.notice = None;
                self.run(Flow::Pop, backend, &view, 0);
                return;
            }
            _ if !self.fits() => {
                // (Short: a 40-column terminal shows it whole.)
                let (key, does, _) = self.leave_key();
                self.notice = Some(Notice::error(format!("{TOO_SMALL} {key} works ({does})")));
                return;
            }
            Some(Action::Refresh) => {
                *self.lookups.borrow_mut() = Lookups::default();
                self.committed(backend);
                self.notice = Some(Notice::info("refreshed"));
                return;
            }
            _ => {}
        }
        let input = match (action, key.typed()) {
            (Some(a), _) => Input::Action(a),
            (None, Some(c)) => Input::Char(c),
            (None, None) => return,
        };
        self.notice = None;
        let flow = {
            let ctx = ctx!(self, &view, now, backend);
            match self.stack.last_mut() {
                Some(s) => s.handle(input, &ctx),
                None => Flow::Stay,
            }
        };
        self.run(flow, backend, &view, 0);
    }

    /// Ask before exiting with work open on a screen: strictly, as leaving
    /// that work by Esc asks (only `y` exits; a scanner's Enter after a
    /// stray F3 must not drop a sale).
    fn ask_to_quit(&mut self) {
        self.quitting = true;
        self.confirm = Some("Exit depot? The work on this screen is not saved.".into());
        self.confirm_strict = true;
    }

    /// Open a screen over the current one (tools and tests; the menu does
    /// the same).
    pub fn open_screen(
        &mut self,
        open: impl FnOnce(&Ctx) -> Box<dyn super::screen::Screen>,
        backend: &dyn Backend,
    ) {
        let view = backend.view();
        let screen = {
            let ctx = ctx!(self, &view, backend.now(), backend);
            open(&ctx)
        };
        self.stack.push(screen);
        self.take_notice();
    }

    /// Close the screen on top (never the last one).
    pub fn close_screen(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
        }
    }

    /// The key that leaves a screen too small to be drawn, and what it
    /// does: the screen's back key when one is bound and no work is open
    /// on it (not the menu's: there it exits), or in a field or form
    /// without one its cancel key; else the quit key.
    /// Also the action of that key when it leaves the screen (Back or
    /// Cancel; None for quit).
    fn leave_key(&self) -> (String, &'static str, Option<Action>) {
        let screen = self.screen_name();
        let ctx = self.context();
        let back = self
            .stack
            .last()
            .filter(|s| self.stack.len() > 1 && !s.dirty())
            .and_then(|_| {
                let key = |a| self.keymap.key_for(screen, ctx, a).map(|k| (k, a));
                key(Action::Back).or_else(|| {
                    matches!(ctx, Context::Input | Context::Form)
                        .then(|| key(Action::Cancel))
                        .flatten()
                })
            });
        match back {
            Some((k, a)) => (k.to_string(), "back", Some(a)),
            None => (
                self.keymap
                    .key_for(screen, ctx, Action::Quit)
                    .map_or_else(|| "ctrl-c".to_string(), |k| k.to_string()),
                "exits",
                None,
            ),
        }
    }

    /// Was the screen on top shown in the last frame?
    fn fits(&self) -> bool {
        let (Some((w, h)), Some(s)) = (self.last_size, self.stack.last()) else {
            return true;
        };
        let (mw, mh) = s.min_size();
        w >= MIN_WIDTH && h >= MIN_HEIGHT && w >= mw && h >= mh
    }

    /// Something was committed: let the screens catch up with the view.
    pub fn committed(&mut self, backend: &dyn Backend) {
        let view = backend.view();
        let ctx = ctx!(self, &view, backend.now(), backend);
        for s in self.stack.iter_mut() {
            s.committed(&ctx);
        }
        // A screen may say what changed (a wave released to a picker).
        self.take_notice();
    }

    fn take_notice(&mut self) {
        if let Some(n) = self.stack.last_mut().and_then(|s| s.notice()) {
            if n.bell {
                self.bells += 1;
            }
            self.notice = Some(n);
        }
    }

    /// A bell is due (rung once however many were raised since the last
    /// frame: a burst of bad scans beeps, it does not buzz).
    pub fn take_bell(&mut self) -> bool {
        let due = self.bells > self.bells_rung;
        self.bells_rung = self.bells;
        due
    }

    /// Print documents without waiting for the printers, nor for what
    /// their building reads: each goes to the session's print worker
    /// (built there from a backend that can be shared with it, else built
    /// and rendered here in memory); the screen says "printing…" and goes
    /// on taking keys. The outcome comes back through [`App::poll_prints`].
    fn print(&mut self, requests: Vec<crate::docs::print::PrintRequest>, backend: &dyn Backend) {
        use super::print_worker::Work;
        use crate::docs::print::{destination, prepare};
        let Some(op) = self.operator.clone() else {
            self.notice = Some(Notice::error("sign in first"));
            return;
        };
        // What the screen just said ("carton 1 packed") comes first.
        let before = self
            .notice
            .take()
            .filter(|n| !n.error)
            .map(|n| format!("{}; ", n.text))
            .unwrap_or_default();
        let id = self.next_batch;
        self.next_batch += 1;
        let mut batch = PrintBatch {
            id,
            operator: op.clone(),
            before,
            shown: String::new(),
            left: 0,
            said: Vec::new(),
            failed: Vec::new(),
            retry: Vec::new(),
        };
        let shared = backend.detach();
        let view = backend.view();
        let mut going = Vec::new();
        for req in &requests {
            // No such printer, no such document: nothing to retry.
            let made = match &shared {
                // The printer is chosen here (the notice names it) and
                // handed to the worker with the request, so it prints
                // where the notice said even if a default printer changes
                // before it builds (a retry chooses again); a reprint's
                // replay or a statement's archive read is the worker's.
                Some(b) => destination(&view.state, &op, req).map(|name| {
                    let work = Work::Build {
                        req: req.clone(),
                        printer: req.out.is_none().then(|| name.clone()),
                        operator: op.clone(),
                        session: self.session.clone(),
                        backend: b.clone(),
                    };
                    (work, name)
                }),
                None => prepare(backend, &op, req).map(|job| {
                    let name = job.printer_name();
                    (Work::Send(job), name)
                }),
            };
            let (work, name) = match made {
                Ok(m) => m,
                // The core's words name the CLI's flags; at a screen, what
                // to ask for.
                Err(crate::docs::print::PrintError::NoPrinter) => {
                    batch.failed.push(format!(
                        "{} {} not printed: no printer is set for you or this station \
                         (an admin sets one: set_default_printer)",
                        req.kind, req.doc
                    ));
                    continue;
                }
                Err(e) => {
                    batch.failed.push(e.to_string());
                    continue;
                }
            };
            match self.hand_over(id, work) {
                Ok(()) => {
                    batch.left += 1;
                    going.push(format!("{} {} on {name}", req.kind, req.doc));
                }
                Err(refused) => {
                    let (work, why) = *refused;
                    self.refused(backend, &mut batch, work, name, why);
                }
            }
        }
        if batch.left == 0 {
            self.close_batch(batch);
        } else {
            batch.shown = format!("{}printing {}…", batch.before, going.join(", "));
            self.notice = Some(Notice::info(batch.shown.clone()));
            self.batches.push_back(batch);
        }
    }

    /// Work the print worker did not take (its queue full, or it stopped):
    /// a failed print, offered for retry. One the session built is
    /// recorded as failed; a request is not built here to be recorded (a
    /// reprint's replay would hold the screen), so like any print that
    /// was never built it is not in the audit trail.
    fn refused(
        &mut self,
        backend: &dyn Backend,
        batch: &mut PrintBatch,
        work: super::print_worker::Work,
        name: String,
        why: String,
    ) {
        use super::print_worker::Work;
        use crate::docs::print::Sent;
        let job = match work {
            Work::Send(job) => job,
            Work::Build { req, .. } => {
                batch.failed.push(format!(
                    "{} {}: not printed on {name} (ctrl-p to retry): {why}",
                    req.kind, req.doc
                ));
                batch.retry.push(req);
                return;
            }
        };
        let sent = Sent {
            destination: name,
            result: Err(why),
        };
        self.finish_job(backend, batch, &job, sent);
    }

    fn hand_over(
        &mut self,
        id: u64,
        work: super::print_worker::Work,
    ) -> Result<(), super::print_worker::Refused> {
        if self.prints.is_none() {
            match super::print_worker::PrintWorker::start() {
                Ok(w) => self.prints = Some(w),
                Err(e) => {
                    return Err(Box::new((
                        work,
                        format!("cannot start the print worker: {e}"),
                    )))
                }
            }
        }
        match self.prints.as_mut() {
            Some(w) => w.submit(id, work),
            None => Err(Box::new((work, "no print worker".to_string()))),
        }
    }

    /// Record a finished job in the audit trail and note how it went.
    fn finish_job(
        &mut self,
        backend: &dyn Backend,
        batch: &mut PrintBatch,
        job: &crate::docs::print::PrintJob,
        sent: crate::docs::print::Sent,
    ) {
        let outcome =
            crate::docs::print::finish(backend, &batch.operator, &self.session, job, sent);
        Self::finished(batch, job, outcome);
    }

    /// Note how a recorded print went (`finish`'s outcome) in its batch.
    fn finished(
        batch: &mut PrintBatch,
        job: &crate::docs::print::PrintJob,
        outcome: Result<crate::docs::print::PrintOutcome, crate::docs::print::PrintError>,
    ) {
        use crate::docs::print::PrintError;
        let printer = job.printer_name();
        match outcome {
            Ok(done) => batch.said.push(format!(
                "{} {}printed on {} ({})",
                done.doc,
                if done.copy { "copy " } else { "" },
                done.printer.as_deref().unwrap_or("file"),
                done.destination
            )),
            Err(PrintError::Failed { reason, doc, .. }) => {
                // The retry key before the reason: a narrow status line
                // cuts the end.
                batch.failed.push(format!(
                    "{doc}: print failed on {printer} (ctrl-p to retry): {reason}"
                ));
                batch.retry.push(job.req.clone());
            }
            Err(e) => batch.failed.push(e.to_string()),
        }
    }

    /// A batch is done: say how it went (a failure first: it is what the
    /// operator must act on).
    fn close_batch(&mut self, batch: PrintBatch) {
        // The operator moved on (a key cleared the "printing…" notice, or
        // another notice came): the print's outcome alone.
        let still = if batch.shown.is_empty() {
            true
        } else {
            self.notice.as_ref().is_some_and(|n| n.text == batch.shown)
        };
        let before = if still { batch.before.as_str() } else { "" };
        if batch.failed.is_empty() {
            // A newer error on screen is not covered by a success.
            if !self.notice.as_ref().is_some_and(|n| n.error) {
                self.notice = Some(Notice::info(format!("{before}{}", batch.said.join("; "))));
            }
        } else {
            self.failed_prints = batch.retry;
            self.notice = Some(Notice::error(format!(
                "{before}{}",
                batch.failed.join("; ")
            )));
        }
    }

    /// Prints handed to the worker and not collected yet.
    pub fn printing(&self) -> bool {
        self.prints.as_ref().is_some_and(|w| w.pending() > 0)
    }

    /// Does the screen on top show something still being read (the
    /// session draws again shortly, `Screen::waiting`)?
    pub fn waiting(&self) -> bool {
        // A screen too small to be drawn is not drawn again until resized.
        self.fits() && self.top().is_some_and(|s| s.waiting())
    }

    /// Collect the prints the worker finished: each is recorded in the
    /// audit trail (`record_print`) and, when its batch is done, said on
    /// the status line. True when any was collected.
    pub fn poll_prints(&mut self, backend: &dyn Backend) -> bool {
        let mut done = Vec::new();
        if let Some(w) = self.prints.as_mut() {
            while let Some(d) = w.try_done() {
                done.push(d);
            }
        }
        let any = !done.is_empty();
        for (tag, d) in done {
            self.collect(tag, d, backend);
        }
        if self.prints.as_ref().is_some_and(|w| w.gone()) {
            self.worker_gone();
            return true;
        }
        any
    }

    /// Wait (up to `within`) for the prints still out, collecting each: a
    /// session that ends still records its prints.
    pub fn finish_prints(&mut self, backend: &dyn Backend, within: std::time::Duration) {
        let until = std::time::Instant::now() + within;
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            if !self.printing() || left.is_zero() {
                break;
            }
            let got = self.prints.as_mut().and_then(|w| w.wait_done(left));
            if let Some((tag, d)) = got {
                self.collect(tag, d, backend);
            }
        }
    }

    /// The print worker is gone (it should not be: a job's panic is
    /// caught): what it had will not come back, so each open batch fails,
    /// and the next print starts a new worker.
    fn worker_gone(&mut self) {
        tracing::error!(batches = self.batches.len(), "the print worker stopped");
        self.prints = None;
        while let Some(mut batch) = self.batches.pop_front() {
            batch
                .failed
                .push("the print worker stopped; see the log".to_string());
            self.close_batch(batch);
        }
    }

    fn collect(&mut self, tag: u64, done: super::print_worker::Done, backend: &dyn Backend) {
        let Some(at) = self.batches.iter().position(|b| b.id == tag) else {
            tracing::error!(batch = tag, "a finished print of no batch");
            return;
        };
        let Some(mut batch) = self.batches.remove(at) else {
            return;
        };
        match done {
            super::print_worker::Done::Sent(job, sent) => {
                self.finish_job(backend, &mut batch, &job, sent)
            }
            super::print_worker::Done::Finished(job, outcome) => {
                Self::finished(&mut batch, &job, outcome)
            }
            // Nothing was printed, and a retry would not build it either.
            super::print_worker::Done::Failed(e) => batch.failed.push(e.to_string()),
        }
        batch.left = batch.left.saturating_sub(1);
        if batch.left == 0 {
            self.close_batch(batch);
        } else {
            self.batches.insert(at, batch);
        }
    }

    fn run(&mut self, flow: Flow, backend: &dyn Backend, view: &View, depth: usize) {
        self.take_notice();
        if depth > FLOW_DEPTH_MAX {
            tracing::error!(?flow, "flows chained too deep; stopped");
            return;
        }
        match flow {
            Flow::Stay => {}
            // What a screen opened on a document says of it (not
            // found, view only) shows at once, not on the next key.
            Flow::Push(s) => {
                self.stack.push(s);
                self.take_notice();
            }
            Flow::Pop => {
                self.stack.pop();
                if self.stack.is_empty() {
                    if self.operator.is_some() {
                        self.sign_out();
                    } else {
                        self.quit = true;
                    }
                }
            }
            Flow::Replace(s) => {
                self.stack.pop();
                self.stack.push(s);
                self.take_notice();
            }
            Flow::Confirm(q) => {
                self.confirm = Some(q);
                self.confirm_strict = false;
            }
            Flow::ConfirmStrict(q) => {
                self.confirm = Some(q);
                self.confirm_strict = true;
            }
            Flow::SignIn(code) => self.sign_in(&code, view),
            Flow::Print(requests) => self.print(requests, backend),
            Flow::SubmitAs { operator, requests } => {
                let mut last = None;
                for req in requests {
                    let outcome = backend.submit(&operator, &self.session, req);
                    let go_on = matches!(outcome, Submitted::Committed { .. });
                    last = Some(outcome);
                    if !go_on {
                        break;
                    }
                }
                let Some(outcome) = last else { return };
                let view = backend.view();
                let next = {
                    let ctx = ctx!(self, &view, backend.now(), backend);
                    match self.stack.last_mut() {
                        Some(s) => s.submitted(outcome, &ctx),
                        None => Flow::Stay,
                    }
                };
                self.run(next, backend, &view, depth + 1);
            }
            Flow::Quit => self.quit = true,
            Flow::Submit(req) => {
                let Some(op) = self.operator.clone() else {
                    self.notice = Some(Notice::error("sign in first"));
                    return;
                };
                let outcome = backend.submit(&op, &self.session, *req);
                if let Submitted::Stopped(e) = &outcome {
                    tracing::error!(error = %e, "submission not acknowledged");
                }
                let view = backend.view();
                let next = {
                    let ctx = ctx!(self, &view, backend.now(), backend);
                    match self.stack.last_mut() {
                        Some(s) => s.submitted(outcome, &ctx),
                        None => Flow::Stay,
                    }
                };
                self.run(next, backend, &view, depth + 1);
            }
        }
    }

    /// Draw the whole frame.
    pub fn view(&mut self, f: &mut Frame, backend: &dyn Backend) {
        let area = f.area();
        self.last_size = Some((area.width, area.height));
        // "too small: only F3 works" no longer holds once it fits again.
        if self.fits()
            && self
                .notice
                .as_ref()
                .is_some_and(|n| n.text.starts_with(TOO_SMALL))
        {
            self.notice = None;
        }
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let msg = format!(
                "depot: terminal {}x{} too small ({MIN_WIDTH}x{MIN_HEIGHT} at least)",
                area.width, area.height
            );
            f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
            return;
        }
        let view = backend.view();
        let now = backend.now();
        // A notice takes its own line above the key bar while it shows
        // (the keys stay in sight), when the terminal has the room.
        let min_h = self.stack.last().map_or(0, |s| s.min_size().1);
        // (A screen at its minimum height lends the row to the notice.)
        let own_line = area.height >= 12 || area.height > min_h.max(7);
        // On a handheld a notice is read whole: its lines (between words)
        // and the rows they take from the screen, which is drawn in what
        // is left (an RF screen keeps its field in sight there).
        let narrow = self
            .notice
            .as_ref()
            .filter(|_| area.width < NARROW_BELOW)
            .map(|n| narrow_notice(&n.text, area, own_line));
        let notice_rows = match &narrow {
            Some((_, rows)) => *rows,
            None => u16::from(self.notice.is_some() && own_line),
        };
        let [top, body, notice_area, bottom] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(notice_rows),
            Constraint::Length(1),
        ])
        .areas(area);
        let title = self.stack.last().map(|s| s.title()).unwrap_or_default();
        // Who is signed in where: the operator, the entity, the warehouse.
        let who: Vec<String> = match &self.operator {
            Some(op) => {
                let s = &view.state;
                let wh = s
                    .operators
                    .get(&op.to_code())
                    .and_then(|o| o.default_warehouse.clone())
                    .unwrap_or_default();
                let entity = s.warehouse_entity(&wh).cloned().unwrap_or_default();
                [op.to_string(), entity.to_string(), wh.to_string()]
                    .into_iter()
                    .filter(|x| !x.is_empty())
                    .collect()
            }
            None => Vec::new(),
        };
        // The title bar read whole, never cut mid-word (a handheld cannot
        // scroll sideways): as much as fits, giving way in this order:
        // "depot ·", the entity, the warehouse, the operator; only then is
        // the screen's name cut.
        let w = top.width as usize;
        let op_wh = match who.as_slice() {
            [op, _, wh] => format!("{op} {wh}"),
            other => other.join(" "),
        };
        let op = who.first().cloned().unwrap_or_default();
        let candidates = [
            (format!(" depot · {title}"), who.join(" · ")),
            (format!(" {title}"), who.join(" · ")),
            (format!(" {title}"), op_wh),
            (format!(" {title}"), op),
        ];
        // The name, at least a space, who, a space.
        let fits = |(l, r): &(String, String)| {
            (r.is_empty() && l.chars().count() <= w)
                || l.chars().count() + r.chars().count() + 2 <= w
        };
        let (left, who) = candidates
            .into_iter()
            .find(fits)
            .unwrap_or_else(|| (format!(" {title}"), String::new()));
        let pad = w
            .saturating_sub(left.chars().count() + who.chars().count() + 1)
            .max(1);
        let bar = if who.is_empty() {
            left
        } else {
            format!("{left}{}{who} ", " ".repeat(pad))
        };
        f.render_widget(Paragraph::new(fit(&bar, w)).style(self.theme.title()), top);
        let ctx = ctx!(self, &view, now, backend);
        let mut too_small = false;
        let (key, does, _) = self.leave_key();
        if let Some(s) = self.stack.last_mut() {
            let (mw, mh) = s.min_size();
            if body.width < mw || body.height + 2 + notice_rows < mh {
                // One phrase a line, so that a narrow terminal does not
                // break one in the middle.
                let msg = vec![
                    Line::from(format!("{}x{}: too small", area.width, area.height)),
                    Line::from(format!("{} needs {mw}x{mh}", s.title())),
                    Line::from(format!("{key}: {does}")),
                ];
                f.render_widget(
                    Paragraph::new(msg)
                        .style(self.theme.error())
                        .wrap(Wrap { trim: true }),
                    body,
                );
                too_small = true;
            } else {
                s.render(f, body, &ctx);
            }
        }
        // A notice the screen raised while drawing (rare) shows next frame.
        // One too long for its line (a refusal that says why) takes up to
        // two more rows over the bottom of the screen, until the next key
        // (on a handheld: the rows `narrow_notice` gave it).
        let notice = self.notice.as_ref().map(|n| {
            let style = if n.error {
                self.theme.error()
            } else {
                ratatui::style::Style::default()
            };
            let lines = match &narrow {
                Some((lines, _)) => lines.clone(),
                None => {
                    let rows = if notice_rows > 0 {
                        1 + usize::from(body.height.saturating_sub(1).min(2))
                    } else {
                        1
                    };
                    wrap_words(&n.text, w, rows)
                }
            };
            lines
                .into_iter()
                .map(|l| Line::from(Span::styled(l, style)))
                .collect::<Vec<_>>()
        });
        // A screen not drawn takes only the key that leaves it; a question
        // asked over it (quit?) still shows its answers.
        let bar = if too_small && self.confirm.is_none() {
            format!("{key} {does}")
        } else {
            self.key_bar_in(w)
        };
        let keys = Line::from(Span::styled(fit(&bar, w), self.theme.dim()));
        match notice {
            // A screen too small to draw keeps its way out on the bottom
            // line: the notice has only the rows above it (a refusal
            // wrapped over it left no key to leave by).
            Some(_) if too_small && self.confirm.is_none() => {
                if let Some(n) = self.notice.as_ref().filter(|_| notice_area.height > 0) {
                    let style = if n.error {
                        self.theme.error()
                    } else {
                        ratatui::style::Style::default()
                    };
                    let lines: Vec<Line> = wrap_words(&n.text, w, notice_area.height.into())
                        .into_iter()
                        .map(|l| Line::from(Span::styled(l, style)))
                        .collect();
                    f.render_widget(Clear, notice_area);
                    f.render_widget(Paragraph::new(lines), notice_area);
                }
                f.render_widget(Paragraph::new(keys), bottom);
            }
            // On a handheld the notice has its rows already: with the
            // bottom line too when the screen lent it.
            Some(n) if narrow.is_some() => {
                if own_line {
                    f.render_widget(Paragraph::new(n), notice_area);
                    f.render_widget(Paragraph::new(keys), bottom);
                } else {
                    let all = Rect {
                        height: notice_area.height + bottom.height,
                        ..notice_area
                    };
                    f.render_widget(Paragraph::new(n), all);
                }
            }
            Some(n) if notice_rows > 0 => {
                let more = u16::try_from(n.len().saturating_sub(1)).unwrap_or(0);
                let over = Rect {
                    y: notice_area.y.saturating_sub(more),
                    height: notice_area.height + more,
                    ..notice_area
                };
                f.render_widget(Clear, over);
                f.render_widget(Paragraph::new(n), over);
                f.render_widget(Paragraph::new(keys), bottom);
            }
            // Too few rows for both: the notice's first line, as before.
            Some(mut n) => {
                n.truncate(1);
                f.render_widget(Paragraph::new(n), bottom)
            }
            None => f.render_widget(Paragraph::new(keys), bottom),
        }
        if let Some(q) = &self.confirm {
            self.view_confirm(f, body, q);
        }
        if self.help {
            self.view_help(f, body);
        }
    }

    /// The key bar: the first key of each action the screen offers.
    pub fn key_bar(&self) -> String {
        let Some(s) = self.stack.last() else {
            return String::new();
        };
        if self.confirm.is_some() {
            return self.confirm_bar();
        }
        self.bar(&s.actions())
    }

    /// A question's answers. A strict one (Enter is no, only `y` says
    /// yes) names its yes key other than Enter, and Enter as no.
    fn confirm_bar(&self) -> String {
        self.confirm_items().join("  ")
    }

    /// The answers of `confirm_bar`, one entry each.
    fn confirm_items(&self) -> Vec<String> {
        if !self.confirm_strict {
            return self.bar_items(&[(Action::Yes, "yes"), (Action::No, "no")]);
        }
        let (screen, ctx) = (self.screen_name(), self.context());
        let yes = self
            .keymap
            .keys_for(screen, ctx, Action::Yes)
            .into_iter()
            .find(|k| k.code != KeyCode::Enter)
            .map(|k| format!("{k} yes"));
        let no = self
            .keymap
            .key_for(screen, ctx, Action::No)
            .map(|k| format!("enter/{k} no"))
            .unwrap_or_else(|| "enter no".into());
        yes.into_iter().chain([no]).collect()
    }

    fn bar(&self, actions: &[(Action, &'static str)]) -> String {
        self.bar_items(actions).join("  ")
    }

    fn bar_items(&self, actions: &[(Action, &'static str)]) -> Vec<String> {
        let ctx = self.context();
        actions
            .iter()
            .filter_map(|(a, what)| {
                self.keymap
                    .key_for(self.screen_name(), ctx, *a)
                    .map(|k| format!("{k} {what}"))
            })
            .collect()
    }

    /// The key bar in `width` columns: whole entries in the screen's order
    /// (never one cut in the middle); when some do not fit, the help key
    /// stays last so that the rest are one key away.
    pub fn key_bar_in(&self, w: usize) -> String {
        let full = self.key_bar();
        if full.chars().count() <= w {
            return full;
        }
        // A confirm's yes / no always fit.
        let Some(s) = self.stack.last().filter(|_| self.confirm.is_none()) else {
            return full;
        };
        let actions = s.actions();
        let help = self
            .keymap
            .key_for(self.screen_name(), self.context(), Action::Help)
            .map(|k| format!("{k} more keys"))
            .unwrap_or_default();
        let rest: Vec<(Action, &'static str)> = actions
            .into_iter()
            .filter(|(a, _)| *a != Action::Help)
            .collect();
        let mut out: Vec<String> = Vec::new();
        let mut used = help.chars().count();
        for item in self.bar_items(&rest) {
            let n = item.chars().count() + 2;
            if used + n > w {
                break;
            }
            used += n;
            out.push(item);
        }
        if !help.is_empty() {
            out.push(help);
        }
        out.join("  ")
    }

    /// Help lines for the screen on top: every action it offers with all
    /// its keys, and the global ones.
    pub fn help_lines(&self) -> Vec<(String, &'static str)> {
        let mut offered = self.stack.last().map(|s| s.actions()).unwrap_or_default();
        for a in [Action::Help, Action::Quit, Action::Refresh] {
            if !offered.iter().any(|(x, _)| *x == a) {
                offered.push((a, a.describe()));
            }
        }
        self.keymap
            .help(self.screen_name(), self.context(), &offered)
    }

    fn view_help(&self, f: &mut Frame, area: Rect) {
        let help = self.help_lines();
        // The keys' column as wide as its longest (at most 18), and what
        // each does wrapped under it when the terminal is narrow: a
        // handheld of 20 columns showed the key names alone, and 40
        // columns cut "show or hide this" short.
        let width = if area.width < 44 {
            area.width
        } else {
            area.width.saturating_sub(4).min(70)
        };
        let inner = usize::from(width.saturating_sub(2)).max(1);
        let key_w = help
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0)
            .min(18);
        let beside = inner >= key_w + 1 + 12;
        // Broken into rows here (what a key does under its own column),
        // so that the rows are counted exactly and the last one can be
        // scrolled to.
        let mut lines: Vec<Line> = Vec::new();
        let mut starts = Vec::new();
        for (keys, what) in help {
            starts.push(lines.len());
            if beside {
                // Keys longer than their column take rows of their own.
                let mut keys = keys;
                if keys.chars().count() > key_w {
                    for part in wrap_words(&keys, inner, usize::MAX) {
                        lines.push(Line::from(Span::styled(part, self.theme.label())));
                    }
                    keys = String::new();
                }
                let said = wrap_words(what, inner - key_w - 1, usize::MAX);
                for (i, part) in said.into_iter().enumerate() {
                    let head = if i == 0 { keys.as_str() } else { "" };
                    lines.push(Line::from(vec![
                        Span::styled(format!("{head:<key_w$} "), self.theme.label()),
                        Span::raw(part),
                    ]));
                }
            } else {
                for part in wrap_words(&keys, inner, usize::MAX) {
                    lines.push(Line::from(Span::styled(part, self.theme.label())));
                }
                for part in wrap_words(what, inner.saturating_sub(1).max(1), usize::MAX) {
                    lines.push(Line::from(format!(" {part}")));
                }
            }
        }
        let rows = lines.len();
        *self.help_starts.borrow_mut() = starts;
        let popup = centered(area, width, u16::try_from(rows + 2).unwrap_or(u16::MAX));
        // What the box shows of it, scrolled to where Up and Down left it
        // (kept inside the help when the terminal grew meanwhile).
        let shown = usize::from(popup.height.saturating_sub(2));
        let last = rows.saturating_sub(shown);
        let top = self.help_top.get().min(last);
        self.help_top.set(top);
        self.help_drawn.set((rows, shown));
        let inside = usize::from(popup.width.saturating_sub(2));
        let mut block = Block::bordered().title(fit(
            // The screen's title, as its title bar says it
            // ("cash application", not "cash_application").
            &format!(
                " keys: {} ",
                self.stack.last().map(|s| s.title()).unwrap_or_default()
            ),
            inside,
        ));
        // Cut short: the bottom border says there is more, and where.
        let more = match (top > 0, top < last) {
            (false, true) => " Down: more ",
            (true, true) => " Up/Down: more ",
            (true, false) => " Up: more ",
            (false, false) => "",
        };
        if !more.is_empty() {
            block = block.title_bottom(fit(more, inside));
        }
        f.render_widget(Clear, popup);
        f.render_widget(
            Paragraph::new(lines)
                .scroll((u16::try_from(top).unwrap_or(u16::MAX), 0))
                .block(block),
            popup,
        );
    }

    fn view_confirm(&self, f: &mut Frame, area: Rect, q: &str) {
        let Question {
            popup,
            lines,
            answers,
            whole,
        } = question_box(area, q, &self.confirm_items());
        *self.confirm_drawn.borrow_mut() = Some((q.to_string(), whole));
        let width = usize::from(popup.width.saturating_sub(2));
        let mut text: Vec<Line> = lines.into_iter().map(Line::from).collect();
        text.extend(
            answers
                .iter()
                .map(|a| Line::from(Span::styled(fit(a, width), self.theme.dim()))),
        );
        f.render_widget(Clear, popup);
        f.render_widget(
            Paragraph::new(text).block(Block::bordered().title(" confirm ")),
            popup,
        );
    }

    /// Was the open question drawn cut (its box too small for it)?
    fn question_cut(&self) -> bool {
        let drawn = self.confirm_drawn.borrow();
        matches!((&*drawn, &self.confirm), (Some((d, false)), Some(q)) if d == q)
    }
}

/// Terminals narrower than this are handhelds (the RF screens' 20 and 40
/// columns; a desk screen needs 80): there a notice is never cut.
const NARROW_BELOW: u16 = 80;

/// A notice on a handheld of `area`: its lines, broken between words, and
/// the rows it takes above the bottom line (which it takes too when the
/// screen lends it, `own_line` false). As many as its text needs, up to
/// half of the rows between the title and the bottom line, so that the
/// screen keeps the other half for its field: a refusal cut at 20
/// columns ("credit hold (excep~") is a refusal not read.
fn narrow_notice(text: &str, area: Rect, own_line: bool) -> (Vec<String>, u16) {
    let lent = usize::from(!own_line);
    let most = usize::from(area.height.saturating_sub(2) / 2) + lent;
    let lines = wrap_words(text, usize::from(area.width), most.max(1));
    let rows = lines.len().max(1).saturating_sub(lent);
    (lines, u16::try_from(rows).unwrap_or(0))
}

/// The box question `q` is asked in over a screen body `area`: 4 columns
/// narrower (at most 60), as tall as its lines and the answers need (5
/// rows at least with its border, at most the body); its lines (broken
/// between words), and whether they all show.
fn question_box(area: Rect, q: &str, answers: &[String]) -> Question {
    let w = area.width.saturating_sub(4).min(60);
    let width = usize::from(w.saturating_sub(2));
    let lines = wrap_words(q, width, usize::MAX);
    // Each answer whole on its line (at 20 columns "y yes  enter/n no"
    // was cut to "enter/~").
    let answers = wrap_items("", answers, " ", width);
    let need = u16::try_from(lines.len() + answers.len() + 2).unwrap_or(u16::MAX);
    let popup = centered(area, w, need.max(5));
    let whole = width > 0 && lines.len() <= usize::from(popup.height.saturating_sub(2));
    Question {
        popup,
        lines,
        answers,
        whole,
    }
}

/// A question laid out in its box: the lines of the question and of its
/// answers, and whether the question shows whole.
struct Question {
    popup: Rect,
    lines: Vec<String>,
    answers: Vec<String>,
    whole: bool,
}

/// Does question `q` show whole over a screen body of `w` x `h`? A
/// question that does not is never answered yes; a screen with several
/// wordings asks the longest that fits. (Measured with the longer
/// answers, a strict question's.)
pub fn question_fits(q: &str, (w, h): (u16, u16)) -> bool {
    let answers = ["y yes".to_string(), "enter/n no".to_string()];
    question_box(Rect::new(0, 0, w, h), q, &answers).whole
}
