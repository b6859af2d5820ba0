//! Period close (controller; approvals by someone else): every period of
//! every entity with its status; for the selected one its close checklist,
//! each blocking item shown with its count, amount and detail; close and
//! lock with a confirm step; a reopen asked with its reason and approved
//! by someone else (the core enforces it), pending requests shown on the
//! period they are about.

use crate::core::event::Change;
use crate::core::master::{Period, PeriodStatus};
use crate::core::state::ChangeRequest;
use crate::core::types::Code;
use crate::core::{CommandBody, Event, State};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{fit, moved, wrap_words, TextField};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};
use ratatui::Frame;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Periods,
    Filter,
    Reason,
    /// An item of the selected period's checklist (`check`): Enter opens
    /// the screen where it is worked.
    Checklist,
}

enum Ask {
    Close(Code, Code),
    Lock(Code, Code),
    Reopen(Code, Code, String),
    Approve(u64),
    Revalue(Code, Code),
}

pub struct PeriodClose {
    pub focus: Focus,
    pub filter: TextField,
    pub reason: TextField,
    pub selected: usize,
    /// The checklist item chosen (Checklist focus).
    pub check: usize,
    started: bool,
    asking: Option<Ask>,
    pending: bool,
    page: usize,
    notice: Option<Notice>,
    /// The actions the selected period takes from this operator, set
    /// as it is drawn (`actions` has no `Ctx`): its status, a reopen
    /// waiting on it, and the operator's permissions.
    offered: Vec<Action>,
}

pub fn status_name(p: &Period) -> &'static str {
    match p.status {
        PeriodStatus::Open => "open",
        PeriodStatus::Closed => "CLOSED",
        PeriodStatus::Locked => "LOCKED",
    }
}

/// The pending reopen requests of a period.
pub fn reopen_requests<'s>(s: &'s State, p: &Period) -> Vec<&'s ChangeRequest> {
    s.changes
        .values()
        .filter(|c| {
            matches!(&c.change, Change::ReopenPeriod { entity, period, .. }
                if *entity == p.entity && *period == p.code)
        })
        .collect()
}

/// The keys that act on the selected period (the bar offers those it
/// takes).
const ACTS: [Action; 5] = [
    Action::Complete,
    Action::Lock,
    Action::Revalue,
    Action::Reopen,
    Action::Approve,
];

impl Default for PeriodClose {
    fn default() -> Self {
        PeriodClose::new()
    }
}

impl PeriodClose {
    pub fn new() -> PeriodClose {
        PeriodClose {
            focus: Focus::Periods,
            filter: TextField::default(),
            reason: TextField::default(),
            selected: 0,
            check: 0,
            started: false,
            asking: None,
            pending: false,
            page: 10,
            notice: None,
            offered: ACTS.to_vec(),
        }
    }

    fn rows<'s>(&self, s: &'s State) -> Vec<&'s Period> {
        let f = self.filter.trimmed().to_ascii_uppercase();
        s.periods
            .values()
            .filter(|p| {
                f.is_empty()
                    || format!("{} {} {}", p.entity, p.code, status_name(p))
                        .to_ascii_uppercase()
                        .contains(&f)
            })
            .collect()
    }

    /// Start on the first open period of the first entity whose end is
    /// past: the one the controller closes next.
    fn start(&mut self, ctx: &Ctx) {
        let today = ctx.today();
        let rows = self.rows(ctx.state());
        self.selected = rows
            .iter()
            .position(|p| p.status == PeriodStatus::Open && p.end < today)
            .or_else(|| rows.iter().position(|p| p.status == PeriodStatus::Open))
            .unwrap_or(0);
    }

    /// The selected period's checklist.
    fn checklist(&self, s: &State) -> Vec<crate::core::ledger::CloseItem> {
        self.rows(s)
            .get(self.selected)
            .map(|p| crate::core::ledger::checklist(s, &p.entity, p.end))
            .unwrap_or_default()
    }

    /// Open the screen where checklist item `i` is worked, if it is
    /// among the operator's; else say what it is and where it is done.
    fn open_item(&mut self, ctx: &Ctx, i: usize) -> Flow {
        let items = self.checklist(ctx.state());
        let Some(item) = items.get(i) else {
            return Flow::Stay;
        };
        let what = item.check.replace('_', " ");
        if !item.is_open() {
            self.notice = Some(Notice::info(format!("{what}: nothing to do")));
            return Flow::Stay;
        }
        let Some(label) = worked_in(item.check) else {
            // FX revaluation is this screen's own action.
            self.notice = Some(Notice::info(format!(
                "{what}: {}; F9 revalues at the period's end",
                item.detail
            )));
            return Flow::Stay;
        };
        match super::menu_for(ctx)
            .into_iter()
            .find(|e| e.label == label)
            .and_then(|e| e.open)
        {
            Some(open) => {
                // A screen of one entity at a time opens on the period's.
                if let Some(p) = self.rows(ctx.state()).get(self.selected) {
                    *ctx.chosen_entity.borrow_mut() = Some(p.entity.clone());
                }
                Flow::Push(open(ctx))
            }
            None => {
                self.notice = Some(Notice::info(format!(
                    "{what}: {}; worked in {label}, which is not among your screens",
                    item.detail
                )));
                Flow::Stay
            }
        }
    }

    /// What the selected period takes from this operator: close and
    /// revalue an open one, lock and ask to reopen a closed one, approve
    /// a reopen someone else asked. A key left off the bar still says,
    /// when pressed, why the period does not take it.
    fn takes(&self, ctx: &Ctx) -> Vec<Action> {
        use crate::core::auth::Permission;
        let s = ctx.state();
        let Some(p) = self.rows(s).get(self.selected).copied() else {
            return Vec::new();
        };
        let close = ctx.allowed(Permission::ClosePeriods);
        let open = p.status == PeriodStatus::Open;
        let closed = p.status == PeriodStatus::Closed;
        ACTS.into_iter()
            .filter(|a| match a {
                Action::Complete => close && open,
                Action::Revalue => open && ctx.allowed(Permission::PostJournals),
                Action::Lock | Action::Reopen => close && closed,
                Action::Approve => {
                    ctx.allowed(Permission::ApproveChanges)
                        && reopen_requests(s, p)
                            .first()
                            .is_some_and(|r| r.requested_by != ctx.operator)
                }
                _ => true,
            })
            .collect()
    }

    fn submit(&mut self, key: String, body: CommandBody) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        self.pending = true;
        Flow::Submit(Box::new(Request { key, body }))
    }
}

impl Screen for PeriodClose {
    fn name(&self) -> &'static str {
        "period_close"
    }
    fn title(&self) -> String {
        "period close".into()
    }
    fn context(&self) -> Context {
        match self.focus {
            Focus::Periods | Focus::Checklist => Context::List,
            _ => Context::Input,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        match self.focus {
            Focus::Periods => [
                (Action::Complete, "close the period"),
                (Action::Lock, "lock it"),
                (Action::Revalue, "revalue FX at its end"),
                (Action::Reopen, "ask to reopen"),
                (Action::Approve, "approve a reopen"),
                (Action::Search, "filter"),
                (Action::Open, "open what blocks"),
                (Action::NextField, "checklist"),
                (Action::Down, "next period"),
                (Action::Back, "back"),
                (Action::Help, "keys"),
            ]
            .into_iter()
            .filter(|(a, _)| !ACTS.contains(a) || self.offered.contains(a))
            .collect(),
            Focus::Filter => vec![(Action::Submit, "keep filter"), (Action::Cancel, "clear")],
            Focus::Checklist => vec![
                (Action::Open, "open where it is worked"),
                (Action::Down, "next item"),
                (Action::Up, "previous item"),
                (Action::Back, "back to the periods"),
                (Action::Help, "keys"),
            ],
            Focus::Reason => vec![
                (Action::Submit, "ask to reopen with this reason"),
                (Action::Cancel, "back"),
            ],
        }
    }

    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        let s = ctx.state();
        match (self.focus, input) {
            (Focus::Filter, input) => {
                let key = self.filter.filter_key(input);
                if key.changed {
                    self.selected = 0;
                }
                if key.back {
                    self.focus = Focus::Periods;
                }
                Flow::Stay
            }
            (Focus::Reason, Input::Action(Action::Submit)) => {
                let reason = self.reason.trimmed().to_string();
                if reason.is_empty() {
                    self.notice = Some(Notice::error("a reopen needs its reason"));
                    return Flow::Stay;
                }
                self.focus = Focus::Periods;
                let Some(p) = self.rows(s).get(self.selected).copied() else {
                    return Flow::Stay;
                };
                self.asking = Some(Ask::Reopen(
                    p.entity.clone(),
                    p.code.clone(),
                    reason.clone(),
                ));
                Flow::Confirm(format!(
                    "Ask to reopen {} {} ({reason})? Someone else approves.",
                    p.entity, p.code
                ))
            }
            (Focus::Reason, Input::Action(Action::Cancel)) => {
                self.focus = Focus::Periods;
                Flow::Stay
            }
            (Focus::Reason, other) => {
                self.reason.edit(other);
                Flow::Stay
            }
            (Focus::Periods, Input::Action(Action::Search)) => {
                self.focus = Focus::Filter;
                Flow::Stay
            }
            (Focus::Periods, Input::Action(Action::Back | Action::Cancel)) => Flow::Pop,
            (Focus::Periods, Input::Action(Action::Open)) => match first_open(&self.checklist(s)) {
                Some(i) => {
                    self.check = i;
                    self.open_item(ctx, i)
                }
                None => {
                    self.notice = Some(Notice::info("nothing on the checklist is open"));
                    Flow::Stay
                }
            },
            (Focus::Periods, Input::Action(Action::NextField | Action::PrevField)) => {
                self.check = first_open(&self.checklist(s)).unwrap_or(0);
                self.focus = Focus::Checklist;
                Flow::Stay
            }
            (Focus::Checklist, Input::Action(Action::Open | Action::Submit)) => {
                self.open_item(ctx, self.check)
            }
            (
                Focus::Checklist,
                Input::Action(
                    Action::Back | Action::Cancel | Action::NextField | Action::PrevField,
                ),
            ) => {
                self.focus = Focus::Periods;
                Flow::Stay
            }
            (Focus::Checklist, Input::Action(a)) => {
                let n = self.checklist(s).len();
                self.check = moved(self.check, n, a, self.page);
                Flow::Stay
            }
            (
                Focus::Periods,
                Input::Action(
                    a @ (Action::Complete
                    | Action::Lock
                    | Action::Reopen
                    | Action::Approve
                    | Action::Revalue),
                ),
            ) => {
                let Some(p) = self.rows(s).get(self.selected).copied() else {
                    return Flow::Stay;
                };
                match (a, p.status) {
                    (Action::Complete, PeriodStatus::Open)
                        if p.end >= crate::core::zone::entity_date(s, &p.entity, ctx.now) =>
                    {
                        self.notice = Some(Notice::error(format!(
                            "{} {} runs to {}: it closes once it has ended",
                            p.entity, p.code, p.end
                        )));
                        Flow::Stay
                    }
                    (Action::Complete, PeriodStatus::Open) => {
                        let blocking = crate::core::ledger::checklist(s, &p.entity, p.end)
                            .into_iter()
                            .filter(|i| i.blocking && i.is_open())
                            .count();
                        if blocking > 0 {
                            self.notice = Some(Notice::error(format!(
                                "{} {}: {blocking} blocking item(s) open on the checklist",
                                p.entity, p.code
                            )));
                            return Flow::Stay;
                        }
                        self.asking = Some(Ask::Close(p.entity.clone(), p.code.clone()));
                        // Undone only by a reopen someone else approves:
                        // only `y` closes (Enter, a double tap, is no), as
                        // approving a reopen in the exception queue asks.
                        // How many it closes with it, said: closing
                        // November closed 23 periods back to January of
                        // last year, and the question did not say so.
                        let before = s
                            .periods
                            .range(
                                (p.entity.clone(), chrono::NaiveDate::MIN)
                                    ..(p.entity.clone(), p.start),
                            )
                            .filter(|(_, x)| x.status == PeriodStatus::Open)
                            .count();
                        let also = match before {
                            0 => String::new(),
                            n => format!(
                                " and the {} still open before it",
                                crate::ui::widgets::counted(n, "period")
                            ),
                        };
                        Flow::ConfirmStrict(format!(
                            "Close {} {}{also}? Nothing posts into them after.",
                            p.entity, p.code
                        ))
                    }
                    (Action::Revalue, PeriodStatus::Open) => {
                        self.asking = Some(Ask::Revalue(p.entity.clone(), p.code.clone()));
                        Flow::Confirm(format!(
                            "Revalue {}'s open foreign-currency receivables and payables at the {} closing rate? The gain or loss posts on {} and reverses the day after.",
                            p.entity, p.code, p.end
                        ))
                    }
                    (Action::Lock, PeriodStatus::Closed) => {
                        self.asking = Some(Ask::Lock(p.entity.clone(), p.code.clone()));
                        // Never undone: only an explicit y locks (Enter is no).
                        Flow::ConfirmStrict(format!(
                            "LOCK {} {} for good (and every closed period before it)? A locked period never reopens. (y: lock, Enter or n: no)",
                            p.entity, p.code
                        ))
                    }
                    (Action::Reopen, PeriodStatus::Closed) => {
                        self.reason = TextField::default();
                        self.focus = Focus::Reason;
                        Flow::Stay
                    }
                    (Action::Approve, _) => {
                        let reqs = reopen_requests(s, p);
                        match reqs.first() {
                            Some(r) if r.requested_by == ctx.operator => {
                                self.notice = Some(Notice::error(format!(
                                    "you asked for this reopen: someone else approves it (request {})",
                                    r.id
                                )));
                                Flow::Stay
                            }
                            Some(r) => {
                                self.asking = Some(Ask::Approve(r.id));
                                Flow::ConfirmStrict(format!(
                                    "Approve reopening {} {} asked by {}?",
                                    p.entity, p.code, r.requested_by
                                ))
                            }
                            None => {
                                self.notice = Some(Notice::error(format!(
                                    "no reopen of {} {} is waiting",
                                    p.entity, p.code
                                )));
                                Flow::Stay
                            }
                        }
                    }
                    (a, st) => {
                        self.notice = Some(Notice::error(format!(
                            "{} {} is {}: {} needs {}",
                            p.entity,
                            p.code,
                            status_name(p),
                            match a {
                                Action::Complete => "closing",
                                Action::Lock => "locking",
                                Action::Revalue => "revaluing",
                                _ => "reopening",
                            },
                            match (a, st) {
                                (Action::Complete | Action::Revalue, _) => "an open period",
                                _ => "a closed period",
                            }
                        )));
                        Flow::Stay
                    }
                }
            }
            (Focus::Periods, Input::Action(a)) => {
                let n = self.rows(s).len();
                self.selected = moved(self.selected, n, a, self.page);
                Flow::Stay
            }
            _ => Flow::Stay,
        }
    }

    fn confirmed(&mut self, yes: bool, ctx: &Ctx) -> Flow {
        let Some(ask) = self.asking.take() else {
            return Flow::Stay;
        };
        if !yes {
            return Flow::Stay;
        }
        let key = ctx.new_key();
        match ask {
            Ask::Close(entity, period) => {
                self.submit(key, CommandBody::ClosePeriod { entity, period })
            }
            Ask::Lock(entity, period) => {
                self.submit(key, CommandBody::LockPeriod { entity, period })
            }
            Ask::Reopen(entity, period, reason) => self.submit(
                key,
                CommandBody::ReopenPeriod {
                    entity,
                    period,
                    reason,
                },
            ),
            Ask::Approve(id) => self.submit(key, CommandBody::ApproveChange { id }),
            Ask::Revalue(entity, period) => {
                self.submit(key, CommandBody::RevalueFx { entity, period })
            }
        }
    }

    fn submitted(&mut self, outcome: Submitted, _ctx: &Ctx) -> Flow {
        self.pending = false;
        self.notice = Some(match outcome {
            Submitted::Committed { events, .. } => {
                let said: Vec<String> = events
                    .iter()
                    .filter_map(|e| match e {
                        Event::PeriodsClosed {
                            entity, periods, ..
                        } => Some(format!(
                            "{entity} {} CLOSED{}",
                            span(periods),
                            count(periods)
                        )),
                        Event::PeriodsLocked {
                            entity, periods, ..
                        } => Some(format!(
                            "{entity} {} LOCKED{}",
                            span(periods),
                            count(periods)
                        )),
                        Event::FxRevalued {
                            entity,
                            period,
                            items,
                            journal,
                            ..
                        } => Some(format!(
                            "{entity} {period}: {} open item(s) revalued, {} posted ({}), reversed the next day",
                            items.len(),
                            journal.lines.iter().map(|l| l.debit).sum::<rust_decimal::Decimal>(),
                            journal.doc
                        )),
                        Event::ChangeRequested { id, .. } => Some(format!(
                            "reopen asked (request {id}): someone else approves"
                        )),
                        Event::PeriodsReopened {
                            entity, periods, ..
                        } => Some(format!(
                            "{entity} {} REOPENED{}",
                            span(periods),
                            count(periods)
                        )),
                        _ => None,
                    })
                    .collect();
                Notice::info(if said.is_empty() {
                    "done".to_string()
                } else {
                    said.join("; ")
                })
            }
            Submitted::Refused(r) => Notice::error(r.to_string()),
            Submitted::Stopped(e) => Notice::error(format!("not done: {e}")),
        });
        Flow::Stay
    }

    fn committed(&mut self, ctx: &Ctx) {
        let n = self.rows(ctx.state()).len();
        self.selected = self.selected.min(n.saturating_sub(1));
    }

    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        if !self.started {
            self.started = true;
            self.start(ctx);
        }
        let theme = ctx.theme;
        let s = ctx.state();
        let wide = area.width >= 110;
        let rows_src = self.rows(s);
        self.selected = self.selected.min(rows_src.len().saturating_sub(1));
        self.offered = self.takes(ctx);
        let list_w = if wide { 46 } else { 36 };
        let [left, right] =
            Layout::horizontal([Constraint::Length(list_w), Constraint::Min(20)]).areas(area);
        let [list_area, foot] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(left);
        self.page = list_area.height.saturating_sub(3).max(1) as usize;
        let rows: Vec<Row> = rows_src
            .iter()
            .map(|p| {
                let mut cells = vec![
                    p.entity.to_string(),
                    p.code.to_string(),
                    status_name(p).to_string(),
                ];
                if wide {
                    cells.push(format!(
                        "{}..{}",
                        p.start.format("%m-%d"),
                        p.end.format("%m-%d")
                    ));
                }
                if !reopen_requests(s, p).is_empty() {
                    cells.push("reopen?".into());
                }
                Row::new(cells)
            })
            .collect();
        let widths: Vec<Constraint> = if wide {
            vec![
                Constraint::Length(5),
                Constraint::Length(10),
                Constraint::Length(6),
                Constraint::Length(12),
                Constraint::Min(7),
            ]
        } else {
            vec![
                Constraint::Length(5),
                Constraint::Length(10),
                Constraint::Length(6),
                Constraint::Min(7),
            ]
        };
        let mut st = TableState::default();
        if !rows_src.is_empty() {
            st.select(Some(self.selected));
        }
        let title = if self.filter.text.is_empty() && self.focus != Focus::Filter {
            " periods ".to_string()
        } else {
            format!(" periods /{} ", self.filter.text)
        };
        f.render_stateful_widget(
            Table::new(rows, widths)
                .row_highlight_style(theme.selected())
                .block(
                    Block::new()
                        .borders(Borders::TOP | Borders::RIGHT)
                        .title(title),
                ),
            list_area,
            &mut st,
        );
        let foot_line = match self.focus {
            Focus::Filter => Line::from(vec![
                Span::styled("/", theme.label()),
                self.filter.span(true, 20, theme),
            ]),
            Focus::Reason => Line::from(vec![
                Span::styled("Why ", theme.label()),
                self.reason.span(true, list_w as usize - 6, theme),
            ]),
            Focus::Periods => Line::from(Span::styled("entity, period or status", theme.dim())),
            Focus::Checklist => Line::from(Span::styled("tab back to the periods", theme.dim())),
        };
        f.render_widget(Paragraph::new(foot_line), foot);

        let mut lines: Vec<Line> = Vec::new();
        let detail_w = right.width.saturating_sub(1) as usize;
        if let Some(p) = rows_src.get(self.selected) {
            lines.push(Line::from(Span::styled(
                format!(
                    "{} {}  {}..{}  {}",
                    p.entity,
                    p.code,
                    p.start,
                    p.end.format("%m-%d"),
                    status_name(p)
                ),
                theme.title(),
            )));
            let items = crate::core::ledger::checklist(s, &p.entity, p.end);
            let blocking = items.iter().filter(|i| i.blocking && i.is_open()).count();
            let running = p.end >= crate::core::zone::entity_date(s, &p.entity, ctx.now);
            lines.push(Line::from(if p.status != PeriodStatus::Open {
                Span::styled("closed: nothing posts into it", theme.dim())
            } else if running {
                Span::styled(
                    // Short enough for the checklist's 44 columns at 80.
                    format!(
                        "still running to {}: closes once ended",
                        p.end.format("%m-%d")
                    ),
                    theme.error(),
                )
            } else if blocking > 0 {
                Span::styled(
                    format!("{blocking} blocking item(s) keep it from closing"),
                    theme.error(),
                )
            } else {
                Span::styled("nothing blocks the close", theme.good())
            }));
            let cur = s
                .entities
                .get(&p.entity)
                .map(|e| e.base_currency.clone())
                .unwrap_or_else(|| crate::core::types::Currency::new("XXX"));
            // The notes (GRNI, unapplied cash, disputes, held invoices)
            // are today's, not the period end's: a past period says so.
            let past = p.end < ctx.today();
            self.check = self.check.min(items.len().saturating_sub(1));
            for (n, i) in items.iter().enumerate() {
                let mark = match (i.is_open(), i.blocking) {
                    (false, _) => "ok  ",
                    (true, true) => "BLCK",
                    (true, false) if past => "note today:",
                    (true, false) => "note",
                };
                let body = if i.is_open() {
                    format!(
                        "{} {} ({}) {}",
                        i.check.replace('_', " "),
                        i.count,
                        crate::query::money(i.amount, &cur),
                        i.detail
                    )
                } else {
                    i.check.replace('_', " ")
                };
                let style = match (i.is_open(), i.blocking) {
                    _ if self.focus == Focus::Checklist && n == self.check => theme.selected(),
                    (true, true) => theme.error(),
                    (false, _) => theme.dim(),
                    _ => ratatui::style::Style::default(),
                };
                // Wrapped under its mark, not cut: the count, amount and
                // detail are what the controller acts on.
                let indent = (mark.len() + 1).max(5);
                let wrapped = wrap_words(&body, detail_w.saturating_sub(indent).max(1), usize::MAX);
                for (k, part) in wrapped.into_iter().enumerate() {
                    let head = if k == 0 { mark } else { "" };
                    let part = format!("{head:<w$}{part}", w = indent);
                    lines.push(Line::from(Span::styled(fit(&part, detail_w), style)));
                }
            }
            for r in reopen_requests(s, p) {
                let why = match &r.change {
                    Change::ReopenPeriod { reason, .. } => reason.clone(),
                    _ => String::new(),
                };
                lines.push(Line::from(Span::styled(
                    fit(
                        &format!(
                            "reopen asked by {} ({why}): waiting for approval",
                            r.requested_by
                        ),
                        detail_w,
                    ),
                    theme.label(),
                )));
            }
        }
        f.render_widget(
            Paragraph::new(lines).block(Block::new().borders(Borders::TOP).title(" checklist ")),
            right,
        );
    }
}

/// Periods named shortly: `FY2026-10`, or `FY2025-01..FY2026-10`.
fn span(periods: &[Code]) -> String {
    match periods {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last] => {
            // Closing names the earlier ones first; reopening the later.
            let (lo, hi) = if first <= last {
                (first, last)
            } else {
                (last, first)
            };
            format!("{lo}..{hi}")
        }
    }
}

fn count(periods: &[Code]) -> String {
    if periods.len() > 1 {
        format!(" ({} periods)", periods.len())
    } else {
        String::new()
    }
}

/// The menu screen where an open checklist item is worked (None: this
/// screen's own action).
fn worked_in(check: &str) -> Option<&'static str> {
    Some(match check {
        "shipments_not_invoiced" => "Invoicing",
        "receipts_not_invoiced" | "supplier_invoices_held" => "Supplier invoices",
        "unapplied_cash" => "Cash application",
        "open_disputes" => "Exception queue",
        "ar_subledger" | "ap_subledger" | "inventory_subledger" => "Finance views",
        "bank_reconciled" => "Bank reconciliation",
        _ => return None,
    })
}

/// The checklist's first open item, a blocking one first.
fn first_open(items: &[crate::core::ledger::CloseItem]) -> Option<usize> {
    items
        .iter()
        .position(|i| i.is_open() && i.blocking)
        .or_else(|| items.iter().position(|i| i.is_open()))
}
