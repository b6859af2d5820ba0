//! The screen trait every screen implements, and the flows a screen
//! returns instead of changing the app: stay, push, pop, replace, submit a
//! command, ask for confirmation, quit. A screen reads the published view
//! in `Ctx` and changes business state only through `Flow::Submit`.

use super::keymap::{Action, Context, Keymap};
use super::theme::Theme;
use crate::core::rejection::Rejection;
use crate::core::types::ToCode;
use crate::core::{CommandBody, Event, State};
use crate::engine::View;
use crate::query::lookup::{Found, Lookups};
use chrono::{DateTime, NaiveDate, Utc};
use ratatui::layout::Rect;
use ratatui::Frame;
use std::cell::{Cell, RefCell};

/// What a screen is given to decide and to draw: the published view, who
/// is signed in, the clock, the theme and keymap. Read-only.
pub struct Ctx<'a> {
    pub view: &'a View,
    /// The backend, for what the view does not hold (log records).
    pub backend: &'a dyn super::Backend,
    pub operator: &'a str,
    pub now: DateTime<Utc>,
    pub theme: Theme,
    pub keymap: &'a Keymap,
    /// The session's name (the engine logs it with every command).
    pub session: &'a str,
    /// Counter for idempotency keys (see `new_key`).
    pub keys: &'a Cell<u64>,
    /// The session's lookup indexes (built once per change of master data).
    pub lookups: &'a RefCell<Lookups>,
    /// The entity the operator last chose (F2) on a screen that works one
    /// entity at a time, this session: such a screen opens on it again,
    /// not on whichever entity has the most work by then.
    pub chosen_entity: &'a RefCell<Option<crate::core::types::Code>>,
}

impl Ctx<'_> {
    pub fn state(&self) -> &State {
        &self.view.state
    }
    /// The business date: at the operator's own warehouse, else the
    /// latest of the entities' (as a report takes "today", so nothing
    /// dated today anywhere reads as the future). Never the UTC date: in
    /// a Chicago evening UTC is already tomorrow, which made an order
    /// requested for today "before today" and an invoice due today a day
    /// late.
    pub fn today(&self) -> NaiveDate {
        let s = self.state();
        match self.home_warehouse() {
            Some(w) => crate::core::zone::warehouse_date(s, w, self.now),
            None => crate::core::zone::today(s, None, self.now),
        }
    }
    /// The operator's default warehouse, when it is one of the state's.
    pub fn home_warehouse(&self) -> Option<&str> {
        let s = self.state();
        self.operator_record()
            .and_then(|o| o.default_warehouse.as_deref())
            .filter(|w| s.warehouses.contains_key(&w.to_code()))
    }
    /// The operator's own entity: its default warehouse's (screens that
    /// work on one entity open on it).
    pub fn home_entity(&self) -> Option<&crate::core::types::Code> {
        self.home_warehouse()
            .and_then(|w| self.state().warehouse_entity(w))
    }
    /// The business date of `entity` (the date the core gives a command
    /// of that entity now).
    pub fn entity_today(&self, entity: &str) -> NaiveDate {
        crate::core::zone::entity_date(self.state(), entity, self.now)
    }
    /// A fresh idempotency key, unique to this session. A screen takes one
    /// per document it is about to commit and keeps it until the document
    /// is done, so a second Enter or a resent command never acts twice.
    pub fn new_key(&self) -> String {
        let n = self.keys.get() + 1;
        self.keys.set(n);
        format!("{}-{n}", self.session)
    }
    /// Items matching a query (see `query::lookup`).
    pub fn find_items(&self, query: &str) -> Found {
        self.lookups.borrow_mut().items(self.state(), query)
    }
    /// Customers matching a query.
    pub fn find_customers(&self, query: &str) -> Found {
        self.lookups.borrow_mut().customers(self.state(), query)
    }
    /// The signed-in operator's record.
    pub fn operator_record(&self) -> Option<&crate::core::master::Operator> {
        self.state().operators.get(&self.operator.to_code())
    }
    /// Whether the operator's roles grant `p` (the core checks it on
    /// every command; a screen asks so as not to offer what it refuses).
    pub fn allowed(&self, p: crate::core::auth::Permission) -> bool {
        self.operator_record()
            .is_some_and(|o| crate::core::auth::allows(&o.roles, p))
    }
    /// Said when the operator lacks `p` for `doing` ("approving a held
    /// invoice"): which roles have it, so the clerk knows whom to ask.
    pub fn lacks(&self, p: crate::core::auth::Permission, doing: &str) -> String {
        let roles: Vec<&str> = crate::core::auth::Role::ALL
            .into_iter()
            .filter(|r| r.permissions().contains(&p))
            .map(|r| r.as_str())
            .collect();
        let who = match roles.split_last() {
            Some((last, [])) => format!("the {last} role"),
            Some((last, rest)) => format!("a {} or {last}", rest.join(", ")),
            None => "a role nobody has".into(),
        };
        format!("{doing} takes {who}: ask one to do it")
    }
    /// What `body` would do, decided by the core as this operator now on a
    /// copy of the view (nothing is committed): the state after it and
    /// its events, or why the core refuses it. The copy shares its nodes
    /// with the view (persistent maps): only what the command changes is
    /// copied.
    pub fn dry_run(&self, body: CommandBody) -> Result<(State, Vec<Event>), String> {
        let mut copy: State = self.state().clone();
        let cmd = crate::core::Command {
            operator: self.operator.to_string().into(),
            session: self.session.to_string(),
            time: self.now,
            key: None,
            body,
        };
        let env = crate::core::execute(&mut copy, &cmd).map_err(|r| r.to_string())?;
        match env.outcome {
            crate::core::Outcome::Committed(events) => Ok((copy, events)),
            crate::core::Outcome::Rejected(r) => Err(r.to_string()),
        }
    }
}

/// What a screen gets from a key: an action from the keymap, or a
/// character typed (or scanned) into its focused field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Action(Action),
    Char(char),
}

/// A command a screen wants committed, with its idempotency key.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub key: String,
    pub body: CommandBody,
}

/// The typed answer to a submission.
#[derive(Clone, Debug, PartialEq)]
pub enum Submitted {
    /// Durable at `seq`; `duplicate`: the key was used before and this is
    /// the first outcome, not a second action.
    Committed {
        seq: u64,
        events: Vec<Event>,
        duplicate: bool,
    },
    /// Refused by the core, with the reason.
    Refused(Rejection),
    /// The engine could not take it (stopped, or the store failed):
    /// nothing was acknowledged.
    Stopped(String),
}

/// What a screen asks the app to do.
pub enum Flow {
    Stay,
    /// Open a screen over this one.
    Push(Box<dyn Screen>),
    /// Close this screen.
    Pop,
    /// Close this screen and open another in its place.
    Replace(Box<dyn Screen>),
    /// Commit a command; the outcome comes back to `Screen::submitted`.
    Submit(Box<Request>),
    /// Ask a yes/no question; the answer comes back to
    /// `Screen::confirmed`.
    Confirm(String),
    /// Sign in as this operator (the sign-in screen).
    SignIn(String),
    /// Print documents, in order (the app prints through `docs::print` and
    /// says how it went on the status line; every print is audited).
    Print(Vec<crate::docs::print::PrintRequest>),
    /// Submit these requests in order as `operator`, who is not signed in
    /// yet (the sign-in screen only); the last outcome (or the first that
    /// did not commit) goes to `submitted`.
    SubmitAs {
        operator: String,
        requests: Vec<Request>,
    },
    Quit,
    /// Ask a yes/no question that only an explicit yes (`y`) answers yes:
    /// Enter says no (signing out must not follow a stray Esc, Enter).
    ConfirmStrict(String),
}

impl std::fmt::Debug for Flow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Flow::Stay => f.write_str("Stay"),
            Flow::Push(s) => write!(f, "Push({})", s.name()),
            Flow::Pop => f.write_str("Pop"),
            Flow::Replace(s) => write!(f, "Replace({})", s.name()),
            Flow::Submit(r) => write!(f, "Submit({:?})", r.key),
            Flow::Confirm(q) => write!(f, "Confirm({q:?})"),
            Flow::SignIn(o) => write!(f, "SignIn({o})"),
            Flow::Print(r) => write!(f, "Print({} documents)", r.len()),
            Flow::SubmitAs { operator, requests } => {
                write!(f, "SubmitAs({operator}, {} requests)", requests.len())
            }
            Flow::Quit => f.write_str("Quit"),
            Flow::ConfirmStrict(q) => write!(f, "ConfirmStrict({q:?})"),
        }
    }
}

/// A message for the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// Ring the terminal bell (BEL) with it: a refused scan on a handheld.
    pub bell: bool,
}

impl Notice {
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            text: text.into(),
            error: false,
            bell: false,
        }
    }
    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            text: text.into(),
            error: true,
            bell: false,
        }
    }
    /// An error the operator must hear: the terminal bell rings with it
    /// (a wrong bin, item or lot scanned on a handheld).
    pub fn bell(text: impl Into<String>) -> Notice {
        Notice {
            text: text.into(),
            error: true,
            bell: true,
        }
    }
}

/// Desk screens need this much room; warehouse screens say less.
pub const DESK: (u16, u16) = (80, 24);

/// One screen. One module per screen under `ui::screens`.
pub trait Screen {
    /// Its keymap section name: `[screen.NAME]` (also in `screens::NAMES`).
    fn name(&self) -> &'static str;
    /// The title in the header.
    fn title(&self) -> String;
    /// Where the focus is (selects the keymap sections).
    fn context(&self) -> Context;
    /// Smallest (width, height) it can be used at; below it the frame
    /// says so instead of drawing the screen.
    fn min_size(&self) -> (u16, u16) {
        DESK
    }
    /// The actions it offers now, with what they do here (key bar, help).
    fn actions(&self) -> Vec<(Action, &'static str)>;
    /// An action or a typed character.
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow;
    /// The outcome of a `Flow::Submit` it returned.
    fn submitted(&mut self, _outcome: Submitted, _ctx: &Ctx) -> Flow {
        Flow::Stay
    }
    /// The answer to a `Flow::Confirm` it returned.
    fn confirmed(&mut self, _yes: bool, _ctx: &Ctx) -> Flow {
        Flow::Stay
    }
    /// Another session (or this one) committed: the view in `ctx` is new.
    fn committed(&mut self, _ctx: &Ctx) {}
    /// Is there work on this screen that leaving would lose?
    fn dirty(&self) -> bool {
        false
    }
    /// A message for the status line, taken once.
    fn notice(&mut self) -> Option<Notice> {
        None
    }
    /// Does its last frame show something still being read (the archive,
    /// on a worker)? The session then draws again every
    /// `session::PRINT_POLL` until it is not.
    fn waiting(&self) -> bool {
        false
    }
    /// Draw into `area` (never larger than the terminal; may be tiny).
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx);
}
