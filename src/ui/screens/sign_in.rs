//! Sign-in: the operator's code, then their PIN or password. An operator
//! without one (new, or reset by a supervisor) chooses one here, typed
//! twice. The secret is checked at this edge against the stored argon2
//! hash and only the result travels, as a `sign_in` command: the core
//! counts failures, locks after five in a row and keeps every sign-in and
//! failure in the audit trail. The secret is never shown, logged or kept.

use crate::core::code::Joined;
use crate::core::command::CommandBody;
use crate::core::signin::FAILURES_BEFORE_LOCK;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::Event;
use crate::io::password;
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Request, Screen, Submitted};
use crate::ui::widgets::TextField;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

/// Where the sign-in stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Step {
    #[default]
    Code,
    /// The current PIN or password.
    Secret,
    /// A new one (first sign-in, or after a reset).
    NewSecret,
    /// The new one again.
    Repeat,
}

#[derive(Default)]
pub struct SignIn {
    pub code: TextField,
    step: Step,
    secret: String,
    new1: String,
    new2: String,
    /// The current secret (kept only until the new one is set).
    verified_old: Option<String>,
    message: Option<(bool, String)>,
    /// The operator code the steps after the first are about.
    operator: String,
}

impl SignIn {
    pub fn new(code: &str) -> SignIn {
        SignIn {
            code: TextField::new(code),
            ..SignIn::default()
        }
    }

    /// Start at the secret step for `code` (used when `--operator` names
    /// an operator on a store that is not a demo), with a reason shown.
    pub fn for_operator(
        code: &str,
        state: &crate::core::State,
        now: chrono::DateTime<chrono::Utc>,
        reason: &str,
    ) -> SignIn {
        let mut s = SignIn::new(code);
        s.after_code(state, now);
        if s.message.is_none() {
            s.message = Some((false, reason.to_string()));
        }
        s
    }

    pub fn step(&self) -> Step {
        self.step
    }

    fn error(&mut self, text: impl Into<String>) {
        self.message = Some((true, text.into()));
    }

    fn info(&mut self, text: impl Into<String>) {
        self.message = Some((false, text.into()));
    }

    fn wipe(&mut self) {
        self.secret.clear();
        self.new1.clear();
        self.new2.clear();
        self.verified_old = None;
    }

    fn restart(&mut self) {
        self.wipe();
        self.step = Step::Code;
        self.operator.clear();
    }

    /// The code was entered: on to the secret, or to choosing one.
    fn after_code(&mut self, state: &crate::core::State, now: chrono::DateTime<chrono::Utc>) {
        let typed = self.code.trimmed().to_string();
        let found = state
            .operators
            .get(&typed.to_code())
            .or_else(|| state.operators.get(&typed.to_uppercase().to_code()));
        let Some(op) = found else {
            self.error(format!("unknown operator {typed:?}"));
            return;
        };
        if !op.active {
            self.error(format!("operator {} is inactive", op.code));
            return;
        }
        if let Some(until) = state.sign_ins.get(&op.code).and_then(|r| r.locked_at(now)) {
            self.code = TextField::default();
            self.error(format!(
                "{} is locked until {} UTC after {FAILURES_BEFORE_LOCK} failed sign-ins; a supervisor can unlock",
                op.code,
                until.format("%H:%M")
            ));
            return;
        }
        self.operator = op.code.to_string();
        self.message = None;
        self.wipe();
        match state.credentials.get(&op.code) {
            None => {
                self.step = Step::NewSecret;
                self.info(format!(
                    "first sign-in: choose a PIN or password ({}+ characters)",
                    password::SECRET_LEN_MIN
                ));
            }
            Some(_) => self.step = Step::Secret,
        }
    }

    fn field(&mut self) -> Option<&mut String> {
        match self.step {
            Step::Code => None,
            Step::Secret => Some(&mut self.secret),
            Step::NewSecret => Some(&mut self.new1),
            Step::Repeat => Some(&mut self.new2),
        }
    }

    fn sign_in_request(&self, ctx: &Ctx, verified: bool) -> Request {
        Request {
            key: ctx.new_key(),
            body: CommandBody::SignIn {
                verified,
                station: ctx.session.chars().take(64).collect(),
                ssh_key: None,
            },
        }
    }

    fn enter(&mut self, ctx: &Ctx) -> Flow {
        let state = ctx.state();
        match self.step {
            Step::Code => {
                self.after_code(state, ctx.now);
                Flow::Stay
            }
            Step::Secret => {
                let Some(cred) = state.credentials.get(&self.operator.to_code()) else {
                    // Reset meanwhile (or removed): start again.
                    self.after_code(state, ctx.now);
                    return Flow::Stay;
                };
                let ok = password::verify(&self.secret, &cred.hash);
                if ok && cred.must_change {
                    self.verified_old = Some(std::mem::take(&mut self.secret));
                    self.step = Step::NewSecret;
                    self.info("your PIN or password was reset: choose a new one");
                    return Flow::Stay;
                }
                self.secret.clear();
                Flow::SubmitAs {
                    operator: self.operator.clone(),
                    requests: vec![self.sign_in_request(ctx, ok)],
                }
            }
            Step::NewSecret => {
                match password::check_policy(&self.new1) {
                    Ok(()) => {
                        self.step = Step::Repeat;
                        self.info("type it again");
                    }
                    Err(e) => {
                        self.new1.clear();
                        self.error(e.to_string());
                    }
                }
                Flow::Stay
            }
            Step::Repeat => {
                if self.new1 != self.new2 {
                    self.new1.clear();
                    self.new2.clear();
                    self.step = Step::NewSecret;
                    self.error("the two entries differ: choose it again");
                    return Flow::Stay;
                }
                let hash = match password::hash(&self.new1) {
                    Ok(h) => h,
                    Err(e) => {
                        self.error(e.to_string());
                        return Flow::Stay;
                    }
                };
                self.wipe();
                Flow::SubmitAs {
                    operator: self.operator.clone(),
                    requests: vec![
                        Request {
                            key: ctx.new_key(),
                            body: CommandBody::SetPassword {
                                code: self.operator.clone().into(),
                                hash,
                            },
                        },
                        self.sign_in_request(ctx, true),
                    ],
                }
            }
        }
    }
}

impl Screen for SignIn {
    fn name(&self) -> &'static str {
        "sign_in"
    }
    fn title(&self) -> String {
        "sign in".into()
    }
    fn context(&self) -> Context {
        Context::Input
    }
    fn min_size(&self) -> (u16, u16) {
        (20, 8)
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Submit, "sign in"),
            (Action::Cancel, "back / exit"),
            (Action::Quit, "exit depot"),
        ]
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        match input {
            Input::Action(Action::Submit) => self.enter(ctx),
            Input::Action(Action::Cancel) => {
                if self.step == Step::Code {
                    Flow::Quit
                } else {
                    self.restart();
                    self.message = None;
                    Flow::Stay
                }
            }
            other => {
                if self.step == Step::Code {
                    self.code.edit(other);
                    return Flow::Stay;
                }
                let Some(field) = self.field() else {
                    return Flow::Stay;
                };
                match other {
                    Input::Action(Action::DeleteBack) => {
                        field.pop();
                    }
                    Input::Char(c)
                        if !c.is_control() && field.chars().count() < password::SECRET_LEN_MAX =>
                    {
                        field.push(c);
                    }
                    Input::Action(Action::Clear) => field.clear(),
                    _ => {}
                }
                Flow::Stay
            }
        }
    }
    fn submitted(&mut self, outcome: Submitted, _ctx: &Ctx) -> Flow {
        match outcome {
            Submitted::Committed { events, .. } => {
                for e in &events {
                    match e {
                        Event::SignedIn { operator, .. } => {
                            let code = operator.clone();
                            self.restart();
                            return Flow::SignIn(code.to_string());
                        }
                        Event::SignInFailed {
                            failures,
                            locked_until,
                            ..
                        } => {
                            match locked_until {
                                Some(until) => {
                                    let msg = format!(
                                        "wrong PIN or password: {} is locked until {} UTC; a supervisor can unlock",
                                        self.operator,
                                        until.format("%H:%M")
                                    );
                                    self.restart();
                                    // Whatever is typed next must not
                                    // land after the code, in clear.
                                    self.code = TextField::default();
                                    self.error(msg);
                                }
                                None => {
                                    let left = FAILURES_BEFORE_LOCK.saturating_sub(*failures);
                                    let tries = if left == 1 { "try" } else { "tries" };
                                    self.error(format!(
                                        "wrong PIN or password ({left} more {tries} before a lock)"
                                    ));
                                }
                            }
                            return Flow::Stay;
                        }
                        _ => {}
                    }
                }
                Flow::Stay
            }
            Submitted::Refused(r) => {
                self.restart();
                self.error(r.to_string());
                Flow::Stay
            }
            Submitted::Stopped(e) => {
                self.restart();
                self.error(format!("not signed in: {e}"));
                Flow::Stay
            }
        }
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let block = Block::bordered().title(" sign in ");
        let inner = block.inner(area);
        f.render_widget(block, area);
        let w = inner.width.saturating_sub(1).min(24) as usize;
        let masked = |s: &str, focused: bool| {
            let mut t: String = "*".repeat(s.chars().count().min(w.saturating_sub(1)));
            if focused {
                t.push('_');
            }
            Span::styled(t, ctx.theme.field(focused))
        };
        let mut lines = vec![Line::from("Operator code:")];
        if self.step == Step::Code {
            lines.push(Line::from(self.code.span(true, w, ctx.theme)));
        } else {
            lines.push(Line::from(self.operator.clone()));
        }
        let (label, value, hint) = match self.step {
            Step::Code => (None, "", "Type your operator code and press enter."),
            Step::Secret => (
                Some("PIN or password:"),
                self.secret.as_str(),
                "Enter signs in; esc goes back.",
            ),
            Step::NewSecret => (
                Some("New PIN or password:"),
                self.new1.as_str(),
                "Enter, then type it again.",
            ),
            Step::Repeat => (
                Some("Again:"),
                self.new2.as_str(),
                "Enter sets it and signs in.",
            ),
        };
        if let Some(label) = label {
            lines.push(Line::from(label));
            lines.push(Line::from(masked(value, true)));
        }
        match &self.message {
            Some((true, m)) => lines.push(Line::from(Span::styled(m.clone(), ctx.theme.error()))),
            Some((false, m)) => lines.push(Line::from(Span::styled(m.clone(), ctx.theme.dim()))),
            None => lines.push(Line::from("")),
        }
        lines.push(Line::from(Span::styled(hint, ctx.theme.dim())));
        if self.step == Step::Code && ctx.state().demo {
            // A demo store says who to try (a first sign-in sets a PIN).
            let ops: Vec<Code> = ctx
                .state()
                .operators
                .values()
                .filter(|o| o.active)
                .map(|o| o.code.clone())
                .collect();
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                format!(
                    "Demo store. Operators: {}. A first sign-in sets the PIN.",
                    ops.joined(", ")
                ),
                ctx.theme.dim(),
            )));
        }
        f.render_widget(
            Paragraph::new(Text::from(lines)).wrap(Wrap { trim: false }),
            inner,
        );
    }
}
