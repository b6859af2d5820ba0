//! The supervisor's exception queue (issue 20): every open hold and
//! approval, most severe first and oldest first within a severity, with
//! counts by kind in the header. Type to filter (words match the kind,
//! document, entity, warehouse, owner or party; `age>N` keeps those open
//! more than N days). Enter opens the blocked document (the order inquiry
//! for orders); the function keys act from the list: approve, reject with
//! a reason, reassign, comment, snooze until a date. Every action is a
//! core command: a refusal is shown with its reason ("you requested this
//! ..."), and the list follows every commit.

use crate::core::auth::Role;
use crate::core::exceptions::{Blocked, Exception, ExceptionKind, ExceptionStatus, Owner};
use crate::core::CommandBody;
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{fit, moved, TextField};
use chrono::{DateTime, NaiveDate, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

/// What the prompt line is asking for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    Reject,
    Reassign,
    Comment,
    Snooze,
}

impl Prompt {
    fn label(self) -> &'static str {
        match self {
            Prompt::Reject => "reject, reason",
            Prompt::Reassign => "reassign to (role, or @OPERATOR)",
            Prompt::Comment => "comment",
            Prompt::Snooze => "snooze until (YYYY-MM-DD reason)",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    List,
    Filter,
    Prompt(Prompt),
}

pub struct Exceptions {
    pub focus: Focus,
    pub filter: TextField,
    pub input: TextField,
    pub selected: usize,
    page: usize,
    /// Ids listed, cached by (view seq, filter).
    rows: Option<(u64, String, Vec<u64>)>,
    notice: Option<Notice>,
    /// The exception the pending submission acts on.
    acting: Option<u64>,
    /// The kinds computed on the clock (backorders past their promise,
    /// late shipments, unapplied cash past its days), counted once per
    /// commit and minute: (seq, minute, counts).
    clock: Option<(u64, i64, [usize; 3])>,
}

impl Default for Exceptions {
    fn default() -> Self {
        Exceptions::new()
    }
}

/// Whole days (or hours, under a day) since `t`.
pub fn age(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let d = now - t;
    if d.num_days() >= 1 {
        format!("{}d", d.num_days())
    } else {
        format!("{}h", d.num_hours().max(0))
    }
}

/// Does `x` pass the filter words (all must match)?
pub fn matches(x: &Exception, filter: &str, now: DateTime<Utc>) -> bool {
    filter.split_whitespace().all(|w| {
        if let Some(n) = w.strip_prefix("age>").and_then(|n| n.parse::<i64>().ok()) {
            return x.age_days(now) > n;
        }
        let w = w.to_lowercase();
        let hay = [
            x.kind.as_str().to_string(),
            x.kind.label().to_lowercase(),
            x.blocked.to_string().to_lowercase(),
            x.entity.clone().unwrap_or_default().to_lowercase(),
            x.warehouse.clone().unwrap_or_default().to_lowercase(),
            x.owner.to_string().to_lowercase(),
            x.party.clone().unwrap_or_default().to_lowercase(),
        ];
        hay.iter().any(|h| h.contains(&w))
    })
}

/// The queue as listed: open, not snoozed past today, matching the
/// filter; most severe first, then oldest.
pub fn queue(
    s: &crate::core::State,
    filter: &str,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Vec<u64> {
    let mut rows: Vec<&Exception> = s
        .open_exceptions
        .values()
        .filter_map(|id| s.exceptions.get(id))
        .filter(|x| x.in_queue(today) && matches(x, filter, now))
        .collect();
    rows.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.raised_at.cmp(&b.raised_at))
            .then(a.id.cmp(&b.id))
    });
    rows.into_iter().map(|x| x.id).collect()
}

impl Exceptions {
    pub fn new() -> Exceptions {
        Exceptions {
            focus: Focus::List,
            filter: TextField::default(),
            input: TextField::default(),
            selected: 0,
            page: 10,
            rows: None,
            notice: None,
            acting: None,
            clock: None,
        }
    }

    /// How many of each kind computed on the clock are due now: they are
    /// never stored, so they are counted in the header, not listed (the
    /// report lists them: `depot report exceptions`).
    fn clock_counts(&mut self, ctx: &Ctx) -> [usize; 3] {
        let minute = ctx.now.timestamp() / 60;
        match self.clock {
            Some((seq, m, c)) if seq == ctx.view.seq && m == minute => c,
            _ => {
                let s = ctx.state();
                let c = [
                    crate::core::exceptions::backorders_past_promise(s, ctx.today()).len(),
                    crate::core::exceptions::late_shipments(s, ctx.now).len(),
                    crate::core::exceptions::unapplied_cash(s, ctx.now).len(),
                ];
                self.clock = Some((ctx.view.seq, minute, c));
                c
            }
        }
    }

    fn rows(&mut self, ctx: &Ctx) -> Vec<u64> {
        let f = self.filter.trimmed().to_string();
        let fresh = matches!(&self.rows, Some((seq, q, _)) if *seq == ctx.view.seq && *q == f);
        if !fresh {
            let rows = queue(ctx.state(), &f, ctx.now, ctx.today());
            self.rows = Some((ctx.view.seq, f, rows));
        }
        self.rows.as_ref().map(|r| r.2.clone()).unwrap_or_default()
    }

    fn current(&mut self, ctx: &Ctx) -> Option<u64> {
        let rows = self.rows(ctx);
        rows.get(self.selected.min(rows.len().saturating_sub(1)))
            .copied()
    }

    fn submit(&mut self, ctx: &Ctx, id: u64, body: CommandBody) -> Flow {
        self.acting = Some(id);
        Flow::Submit(Box::new(Request {
            key: ctx.new_key(),
            body,
        }))
    }

    /// The command the prompt's text stands for, or why not.
    fn command_of(p: Prompt, id: u64, text: &str) -> Result<CommandBody, String> {
        let text = text.trim();
        match p {
            Prompt::Reject => Ok(CommandBody::RejectException {
                id,
                reason: text.to_string(),
            }),
            Prompt::Comment => Ok(CommandBody::CommentException {
                id,
                text: text.to_string(),
            }),
            Prompt::Reassign => {
                let to = match text.strip_prefix('@') {
                    Some(op) => Owner::Operator(op.trim().to_uppercase()),
                    None => Owner::Role(Role::parse(&text.to_lowercase()).ok_or_else(|| {
                        format!(
                            "{text:?} is not a role ({}), nor @OPERATOR",
                            Role::ALL.map(|r| r.as_str()).join(", ")
                        )
                    })?),
                };
                Ok(CommandBody::ReassignException { id, to })
            }
            Prompt::Snooze => {
                let (date, reason) = text.split_once(' ').unwrap_or((text, ""));
                let until = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                    .map_err(|_| format!("{date:?} is not a date (YYYY-MM-DD)"))?;
                Ok(CommandBody::SnoozeException {
                    id,
                    until,
                    reason: reason.trim().to_string(),
                })
            }
        }
    }

    /// The blocked document's screen, where there is one.
    fn open_document(&mut self, ctx: &Ctx, id: u64) -> Flow {
        let Some(x) = ctx.state().exceptions.get(&id) else {
            return Flow::Stay;
        };
        let order = match &x.blocked {
            Blocked::Order { number, .. } => Some(number.clone()),
            Blocked::PickLine { list, .. } | Blocked::Carton { list, .. } => {
                ctx.state().picks.get(list).map(|p| p.order.clone())
            }
            _ => None,
        };
        match order {
            Some(n) => Flow::Push(Box::new(super::order_inquiry::OrderInquiry::for_order(&n))),
            None => {
                self.notice = Some(Notice::info(format!(
                    "{}: no inquiry screen for it yet; {}",
                    x.blocked, x.summary
                )));
                Flow::Stay
            }
        }
    }
}

fn kind_counts(s: &crate::core::State, today: NaiveDate) -> (Vec<(ExceptionKind, usize)>, usize) {
    let mut counts = std::collections::BTreeMap::new();
    let mut snoozed = 0;
    for id in s.open_exceptions.values() {
        if let Some(x) = s.exceptions.get(id) {
            if x.in_queue(today) {
                *counts.entry(x.kind).or_insert(0usize) += 1;
            } else {
                snoozed += 1;
            }
        }
    }
    (counts.into_iter().collect(), snoozed)
}

impl Screen for Exceptions {
    fn name(&self) -> &'static str {
        "exceptions"
    }
    fn title(&self) -> String {
        "exception queue".into()
    }
    fn context(&self) -> Context {
        match self.focus {
            Focus::List => Context::List,
            Focus::Filter | Focus::Prompt(_) => Context::Input,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        match self.focus {
            Focus::List => vec![
                (Action::Open, "open the document"),
                (Action::Approve, "approve"),
                (Action::Reject, "reject (reason)"),
                (Action::Reassign, "reassign"),
                (Action::Comment, "comment"),
                (Action::Snooze, "snooze"),
                (Action::Search, "filter"),
                (Action::Back, "back"),
                (Action::Help, "keys"),
            ],
            Focus::Filter => vec![
                (Action::Submit, "apply the filter"),
                (Action::Cancel, "clear the filter"),
                (Action::Help, "keys"),
            ],
            Focus::Prompt(_) => vec![
                (Action::Submit, "send"),
                (Action::Cancel, "cancel, nothing is changed"),
                (Action::Help, "keys"),
            ],
        }
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        let rows = self.rows(ctx);
        let n = rows.len();
        match (self.focus, input) {
            (Focus::List, Input::Action(Action::Back | Action::Cancel)) => Flow::Pop,
            (Focus::List, Input::Action(Action::Open | Action::Submit)) => {
                match self.current(ctx) {
                    Some(id) => self.open_document(ctx, id),
                    None => Flow::Stay,
                }
            }
            (Focus::List, Input::Action(Action::Approve)) => match self.current(ctx) {
                Some(id) => self.submit(ctx, id, CommandBody::ApproveException { id }),
                None => Flow::Stay,
            },
            (
                Focus::List,
                Input::Action(
                    a @ (Action::Reject | Action::Reassign | Action::Comment | Action::Snooze),
                ),
            ) => {
                if self.current(ctx).is_some() {
                    self.input.take();
                    self.focus = Focus::Prompt(match a {
                        Action::Reject => Prompt::Reject,
                        Action::Reassign => Prompt::Reassign,
                        Action::Comment => Prompt::Comment,
                        _ => Prompt::Snooze,
                    });
                }
                Flow::Stay
            }
            (Focus::List, Input::Action(Action::Search)) => {
                self.focus = Focus::Filter;
                Flow::Stay
            }
            (Focus::List, Input::Action(a)) => {
                self.selected = moved(self.selected, n, a, self.page);
                Flow::Stay
            }
            (Focus::List, Input::Char(c)) => {
                self.focus = Focus::Filter;
                self.filter = TextField::new(&c.to_string());
                self.selected = 0;
                Flow::Stay
            }
            (Focus::Filter, Input::Action(Action::Submit)) => {
                self.focus = Focus::List;
                Flow::Stay
            }
            (Focus::Filter, Input::Action(Action::Cancel)) => {
                self.filter.take();
                self.selected = 0;
                self.focus = Focus::List;
                Flow::Stay
            }
            (Focus::Filter, other) => {
                if self.filter.edit(other) {
                    self.selected = 0;
                }
                Flow::Stay
            }
            (Focus::Prompt(_), Input::Action(Action::Cancel)) => {
                self.input.take();
                self.focus = Focus::List;
                Flow::Stay
            }
            (Focus::Prompt(p), Input::Action(Action::Submit)) => {
                let Some(id) = self.current(ctx) else {
                    self.focus = Focus::List;
                    return Flow::Stay;
                };
                let text = self.input.trimmed().to_string();
                match Self::command_of(p, id, &text) {
                    Ok(body) => {
                        self.focus = Focus::List;
                        self.input.take();
                        self.submit(ctx, id, body)
                    }
                    Err(e) => {
                        self.notice = Some(Notice::error(e));
                        Flow::Stay
                    }
                }
            }
            (Focus::Prompt(_), other) => {
                self.input.edit(other);
                Flow::Stay
            }
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        let id = self.acting.take().unwrap_or_default();
        self.notice = Some(match outcome {
            Submitted::Committed { .. } => {
                let s = ctx.state();
                match s.exceptions.get(&id).map(|x| &x.status) {
                    Some(ExceptionStatus::Cleared { how, .. }) => {
                        Notice::info(format!("exception {id} cleared: {how}"))
                    }
                    Some(ExceptionStatus::Snoozed { until, .. }) => {
                        Notice::info(format!("exception {id} snoozed until {until}"))
                    }
                    _ => Notice::info(format!("exception {id} updated")),
                }
            }
            Submitted::Refused(r) => Notice::error(format!("refused: {r}")),
            Submitted::Stopped(e) => Notice::error(format!("not done: {e}")),
        });
        Flow::Stay
    }
    fn committed(&mut self, _ctx: &Ctx) {
        self.rows = None;
    }
    fn dirty(&self) -> bool {
        matches!(self.focus, Focus::Prompt(_)) && !self.input.text.is_empty()
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let rows = self.rows(ctx);
        let s = ctx.state();
        let theme = ctx.theme;
        let [head, list, detail, prompt] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Min(3),
            Constraint::Length(4),
            Constraint::Length(1),
        ])
        .areas(area);
        // Counts by kind, and what is snoozed.
        let (counts, snoozed) = kind_counts(s, ctx.today());
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        let mut spans = vec![Span::styled(format!("{total} open"), theme.label())];
        for (k, n) in &counts {
            spans.push(Span::raw(format!("  {} {n}", k.label())));
        }
        if snoozed > 0 {
            spans.push(Span::styled(format!("  ({snoozed} snoozed)"), theme.dim()));
        }
        let clock = self.clock_counts(ctx);
        if clock.iter().any(|n| *n > 0) {
            let said: Vec<String> = ["past promise", "late to ship", "old credit"]
                .iter()
                .zip(clock)
                .filter(|(_, n)| *n > 0)
                .map(|(what, n)| format!("{what} {n}"))
                .collect();
            spans.push(Span::styled(
                format!("  | now: {}", said.join(", ")),
                theme.error(),
            ));
        }
        let filter = Line::from(vec![
            Span::styled("filter ", theme.label()),
            self.filter.span(
                self.focus == Focus::Filter,
                head.width.saturating_sub(8) as usize,
                theme,
            ),
        ]);
        // The queue.
        self.page = list.height.saturating_sub(2).max(1) as usize;
        let wide = list.width >= 110;
        let columns = if wide {
            format!(
                "     {:>4} {:<7} {:<24} {:<6} {:<5} {:<12} {:>18} {:>4}  {}",
                "id", "kind", "document", "entity", "whse", "owner", "amount", "age", "party"
            )
        } else {
            format!(
                "     {:>3} {:<6} {:<22} {:>16} {:>4} {}",
                "id", "kind", "document", "amount", "age", "owner"
            )
        };
        f.render_widget(
            Paragraph::new(vec![
                Line::from(spans),
                filter,
                Line::from(Span::styled(columns, theme.dim())),
            ]),
            head,
        );
        let items: Vec<ListItem> = rows
            .iter()
            .filter_map(|id| s.exceptions.get(id))
            .map(|x| {
                let sev = match x.severity {
                    crate::core::exceptions::Severity::Critical => "!!",
                    crate::core::exceptions::Severity::High => "! ",
                    crate::core::exceptions::Severity::Medium => "· ",
                    crate::core::exceptions::Severity::Low => "  ",
                };
                let amount = format!("{} {}", x.amount, x.unit);
                let text = if wide {
                    format!(
                        "{sev}{:>4} {:<7} {:<24} {:<6} {:<5} {:<12} {:>18} {:>4}  {}",
                        x.id,
                        x.kind.label(),
                        fit(&x.blocked.to_string(), 24),
                        x.entity.clone().unwrap_or_default(),
                        x.warehouse.clone().unwrap_or_default(),
                        fit(&x.owner.to_string(), 12),
                        fit(&amount, 18),
                        age(ctx.now, x.raised_at),
                        x.party.clone().unwrap_or_default(),
                    )
                } else {
                    format!(
                        "{sev}{:>3} {:<6} {:<22} {:>16} {:>4} {}",
                        x.id,
                        x.kind.label(),
                        fit(&x.blocked.to_string(), 22),
                        fit(&amount, 16),
                        age(ctx.now, x.raised_at),
                        fit(&x.owner.to_string(), 10),
                    )
                };
                ListItem::new(Line::from(text))
            })
            .collect();
        let empty = items.is_empty();
        let mut st = ListState::default().with_selected(if empty {
            None
        } else {
            Some(self.selected.min(rows.len() - 1))
        });
        let title = if empty {
            " nothing waits ".to_string()
        } else {
            format!(" {} waiting, most severe and oldest first ", rows.len())
        };
        f.render_stateful_widget(
            List::new(items)
                .block(Block::bordered().title(title))
                .highlight_style(theme.selected())
                .highlight_symbol("> "),
            list,
            &mut st,
        );
        // The selected exception: what, who asked, the last comment.
        let mut lines = Vec::new();
        if let Some(x) = st
            .selected()
            .and_then(|i| rows.get(i))
            .and_then(|id| s.exceptions.get(id))
        {
            lines.push(Line::from(fit(&x.summary, detail.width as usize)));
            lines.push(Line::from(Span::styled(
                fit(
                    &format!(
                        "raised {} (business date {}) by {}, owner {}, {} severity",
                        x.raised_at.format("%Y-%m-%d %H:%M"),
                        x.date,
                        x.requested_by.clone().unwrap_or_else(|| "-".into()),
                        x.owner,
                        x.severity.as_str()
                    ),
                    detail.width as usize,
                ),
                theme.dim(),
            )));
            if let Some(c) = x.comments.last() {
                lines.push(Line::from(fit(
                    &format!("{} {}: {}", c.at.format("%m-%d %H:%M"), c.by, c.text),
                    detail.width as usize,
                )));
            }
            if !x.kind.can_reject() {
                lines.push(Line::from(Span::styled(
                    "approve to accept it; it cannot be rejected",
                    theme.dim(),
                )));
            }
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), detail);
        if let Focus::Prompt(p) = self.focus {
            let label = format!("{}: ", p.label());
            let w = prompt.width.saturating_sub(label.len() as u16) as usize;
            f.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(label, theme.label()),
                    self.input.span(true, w, theme),
                ])),
                prompt,
            );
        }
    }
}
