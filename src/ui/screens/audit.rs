//! The audit screen (issue 20): the event log, newest first, filtered by
//! document, operator, session and a range of days (UTC); Enter opens a
//! record with the values before and after of every master-data field it
//! changed. Read-only: the rows come from `query::audit`, read from the
//! newest records of the log (a window of `WINDOW`) and then only the
//! records committed since (the same rows as `depot report audit`, which
//! reads the whole log). Moving past the oldest row read reads the window
//! before it; a master-data change whose value before lies in the older
//! log says so, and Enter searches the older log back for it. A store of
//! years opens on its newest records at once, in bounded memory.

use crate::core::posting::JournalEntry;
use crate::core::State;
use crate::query::audit::{writes, AuditRow, Filter, Trail};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Screen};
use crate::ui::widgets::{fit, moved, num, wrap_items, wrap_words, TextField};
use chrono::NaiveDate;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph};
use ratatui::Frame;

/// Log records read at a time: on opening (the newest), and each time the
/// list is moved past its oldest row.
pub const WINDOW: u64 = 20_000;
/// With a filter, moving past the oldest row reads windows until a record
/// matches or this many records were read.
pub const SEARCH_MAX: u64 = 10 * WINDOW;

/// The filter fields, in tab order.
pub const FIELDS: [&str; 5] = ["document", "operator", "session", "from", "to"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    List,
    /// Typing into filter field n (see `FIELDS`).
    Filter(usize),
    /// The selected record, with its before / after values.
    Detail,
}

pub struct Audit {
    pub focus: Focus,
    pub fields: [TextField; 5],
    pub selected: usize,
    /// First line of the detail shown.
    scroll: usize,
    page: usize,
    trail: Trail,
    /// Records per window (`WINDOW`; smaller in tests).
    window: u64,
    /// Rows (indexes into the trail) passing the filter, newest first,
    /// cached by (trail seq, filter).
    rows: Option<(u64, Filter, Vec<usize>)>,
    /// The postings of the record open in the detail (its sequence
    /// number): read from the log when it opens, not kept for every row.
    postings: Option<(u64, Vec<JournalEntry>)>,
    notice: Option<Notice>,
}

impl Default for Audit {
    fn default() -> Self {
        Audit::new()
    }
}

fn day(text: &str) -> Result<Option<NaiveDate>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("{t:?} is not a date (YYYY-MM-DD)"))
}

impl Audit {
    pub fn new() -> Audit {
        Audit {
            focus: Focus::List,
            fields: Default::default(),
            selected: 0,
            scroll: 0,
            page: 10,
            trail: Trail::new(),
            window: WINDOW,
            rows: None,
            postings: None,
            notice: None,
        }
    }

    /// The filter the fields stand for (a date not yet complete is left
    /// out until it parses).
    pub fn filter(&self) -> Filter {
        let text = |i: usize| {
            let t = self.fields[i].trimmed();
            (!t.is_empty()).then(|| t.to_string())
        };
        let (from, to) = Filter::days(
            day(&self.fields[3].text).ok().flatten(),
            day(&self.fields[4].text).ok().flatten(),
        );
        Filter {
            document: text(0),
            operator: text(1),
            session: text(2),
            from,
            to,
        }
    }

    /// The screen reading `window` records at a time.
    pub fn with_window(window: u64) -> Audit {
        Audit {
            window: window.max(1),
            ..Audit::new()
        }
    }

    /// The first log record read (1: the whole log is read).
    pub fn first_read(&self) -> u64 {
        self.trail.first.max(1)
    }

    /// Read the log records committed since the trail's last one; on
    /// opening, the newest window of them.
    fn catch_up(&mut self, ctx: &Ctx) {
        let to = ctx.view.seq;
        if self.trail.seq >= to {
            return;
        }
        if self.trail.seq == 0 && self.trail.rows.is_empty() {
            self.trail = Trail::from_record(to.saturating_sub(self.window - 1).max(1));
        }
        let records = ctx.backend.log_range(self.trail.seq + 1, to);
        self.trail.extend(records.iter());
        // Records this backend cannot read are skipped, not asked again.
        self.trail.seq = self.trail.seq.max(to);
    }

    /// Read the window of records before the oldest read; false when the
    /// whole log is read.
    fn read_older(&mut self, ctx: &Ctx) -> bool {
        let first = self.trail.first;
        if first <= 1 {
            return false;
        }
        let lo = first.saturating_sub(self.window).max(1);
        let mut older = Trail::from_record(lo);
        older.extend(ctx.backend.log_range(lo, first - 1).iter());
        older.seq = first - 1;
        self.trail.prepend(older);
        self.rows = None;
        true
    }

    /// Moved past the oldest row: read older windows until one more row
    /// passes the filter (or `SEARCH_MAX` records were read, or the log's
    /// first).
    fn more(&mut self, ctx: &Ctx) {
        let had = self.rows(ctx).len();
        let start = self.trail.first;
        while self.read_older(ctx) {
            if self.rows(ctx).len() > had || start - self.trail.first >= SEARCH_MAX {
                break;
            }
        }
    }

    /// The value `subject` had before record `below`, searched in the log
    /// from there back (None: the record created it).
    fn value_before(&self, ctx: &Ctx, subject: &str, below: u64) -> Option<serde_json::Value> {
        let mut hi = below.saturating_sub(1);
        while hi >= 1 {
            let lo = hi.saturating_sub(self.window - 1).max(1);
            let records = ctx.backend.log_range(lo, hi);
            for env in records.iter().rev() {
                for e in env.events().iter().rev() {
                    if let Some((_, v)) = writes(e).into_iter().rev().find(|(s, _)| s == subject) {
                        return Some(v);
                    }
                }
            }
            hi = lo - 1;
        }
        None
    }

    /// Finish the selected row's changes whose before lies in the log not
    /// read: searched back from the row.
    fn resolve_selected(&mut self, ctx: &Ctx) {
        let rows = self.rows(ctx);
        let Some(&i) = rows.get(self.selected.min(rows.len().saturating_sub(1))) else {
            return;
        };
        let Some(row) = self.trail.rows.get(i) else {
            return;
        };
        let seq = row.seq;
        let subjects: Vec<String> = row.unknown.iter().map(|(s, _)| s.clone()).collect();
        for subject in subjects {
            let before = self.value_before(ctx, &subject, seq);
            self.trail.resolve(i, &subject, before.as_ref());
        }
    }

    fn rows(&mut self, ctx: &Ctx) -> Vec<usize> {
        self.catch_up(ctx);
        let f = self.filter();
        let fresh = matches!(&self.rows, Some((seq, q, _)) if *seq == self.trail.seq && *q == f);
        if !fresh {
            let n = self.trail.rows.len();
            let rows: Vec<usize> = (0..n)
                .rev()
                .filter(|i| f.matches(&self.trail.rows[*i]))
                .collect();
            self.rows = Some((self.trail.seq, f, rows));
        }
        self.rows.as_ref().map(|r| r.2.clone()).unwrap_or_default()
    }

    fn current(&mut self, ctx: &Ctx) -> Option<&AuditRow> {
        let rows = self.rows(ctx);
        let i = *rows.get(self.selected.min(rows.len().saturating_sub(1)))?;
        self.trail.rows.get(i)
    }

    fn check_dates(&mut self) -> bool {
        for i in [3, 4] {
            if let Err(e) = day(&self.fields[i].text) {
                self.notice = Some(Notice::error(format!("{}: {e}", FIELDS[i])));
                return false;
            }
        }
        true
    }

    /// The detail of a record: who and what, the master-data fields it
    /// changed (before and after), and the journal entries it posted
    /// (account, debit, credit, party), as the ledger holds them.
    fn detail_lines(
        r: &AuditRow,
        postings: &[JournalEntry],
        state: &State,
        width: usize,
    ) -> Vec<String> {
        // Wrapped, not cut: a counter sale touches six documents.
        let mut out = wrap_words(
            &format!(
                "record {} at {} UTC by {}{}",
                r.seq,
                r.time.format("%Y-%m-%d %H:%M:%S"),
                r.operator,
                if r.session.is_empty() {
                    String::new()
                } else {
                    format!(" (session {})", r.session)
                }
            ),
            width,
            usize::MAX,
        );
        out.push(format!("command {}", r.command));
        out.extend(wrap_items("documents", &r.documents, ",", width));
        let said: Vec<String> = r.summary.split("; ").map(str::to_string).collect();
        out.extend(wrap_items("summary", &said, ";", width));
        if r.changes.is_empty() {
            out.push("no master data changed".into());
        } else {
            out.push(String::new());
            let w = width.saturating_sub(4);
            let (fw, vw) = (w * 3 / 10, w.saturating_sub(w * 3 / 10) / 2);
            out.push(format!(
                "{:<fw$} {:<vw$} {:<vw$}",
                "field", "before", "after"
            ));
            let mut subject = "";
            for c in &r.changes {
                if c.subject != subject {
                    subject = &c.subject;
                    out.push(format!("{subject}:"));
                }
                out.push(format!(
                    "{:<fw$} {:<vw$} {:<vw$}",
                    fit(&format!("  {}", c.field), fw),
                    fit(&c.before, vw),
                    fit(&c.after, vw),
                ));
            }
        }
        if postings.is_empty() {
            if !r.refused {
                out.push("nothing posted to the ledger".into());
            }
            return out;
        }
        // Amount columns wide enough for 999,999,999.99; the account
        // (code and name) takes what is left beside the party.
        const AMOUNT: usize = 14;
        let party = if width >= 100 { 16 } else { 12 };
        let aw = width
            .saturating_sub(2 + 2 * (AMOUNT + 1) + 1 + party)
            .max(8);
        for j in postings {
            let currency = state
                .entities
                .get(&j.entity)
                .map(|e| e.base_currency.clone());
            let money = |d: rust_decimal::Decimal| match (&currency, d.is_zero()) {
                (_, true) => String::new(),
                (Some(c), false) => crate::query::money(d, c),
                (None, false) => d.to_string(),
            };
            out.push(String::new());
            out.push(format!(
                "posted {} {} (period {}) {}{}{}",
                j.entity,
                j.date,
                j.period,
                j.doc,
                if j.memo.is_empty() { "" } else { ": " },
                j.memo
            ));
            out.push(format!(
                "  {:<aw$} {:>AMOUNT$} {:>AMOUNT$} {}",
                "account",
                format!(
                    "debit {}",
                    currency.as_ref().map(|c| c.to_string()).unwrap_or_default()
                )
                .trim_end(),
                "credit",
                "party"
            ));
            for l in &j.lines {
                let name = state
                    .accounts
                    .get(&(j.entity.clone(), l.account.clone()))
                    .map(|a| a.name.as_str())
                    .unwrap_or("");
                out.push(format!(
                    "  {:<aw$} {:>AMOUNT$} {:>AMOUNT$} {}",
                    fit(&format!("{} {name}", l.account), aw),
                    num(money(l.debit), AMOUNT),
                    num(money(l.credit), AMOUNT),
                    fit(l.sub.as_deref().unwrap_or(""), party),
                ));
            }
            out.push(format!(
                "  {:<aw$} {:>AMOUNT$} {:>AMOUNT$}",
                "total",
                num(money(j.debits()), AMOUNT),
                num(money(j.credits()), AMOUNT),
            ));
        }
        out
    }

    /// Read the postings of the record `seq` from the log (for the detail).
    fn load_postings(&mut self, ctx: &Ctx, seq: u64) {
        if matches!(&self.postings, Some((s, _)) if *s == seq) {
            return;
        }
        let entries = ctx
            .backend
            .log_range(seq, seq)
            .iter()
            .flat_map(|env| {
                env.events()
                    .iter()
                    .flat_map(crate::core::apply::journals)
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect();
        self.postings = Some((seq, entries));
    }
}

impl Screen for Audit {
    fn name(&self) -> &'static str {
        "audit"
    }
    fn title(&self) -> String {
        "audit trail".into()
    }
    fn context(&self) -> Context {
        match self.focus {
            Focus::List | Focus::Detail => Context::List,
            Focus::Filter(_) => Context::Form,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        match self.focus {
            Focus::List => vec![
                (Action::Open, "open the record"),
                (Action::Search, "filter"),
                (Action::Down, "next record"),
                (Action::Up, "previous record"),
                (Action::Back, "back"),
                (Action::Help, "keys"),
            ],
            Focus::Filter(_) => vec![
                (Action::Submit, "apply the filter"),
                (Action::NextField, "next filter field"),
                (Action::PrevField, "previous filter field"),
                (Action::Clear, "clear the field"),
                (Action::Cancel, "clear every filter"),
                (Action::Help, "keys"),
            ],
            Focus::Detail => vec![
                (Action::Down, "scroll down"),
                (Action::Up, "scroll up"),
                (Action::Back, "back to the list"),
                (Action::Help, "keys"),
            ],
        }
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        let n = self.rows(ctx).len();
        match (self.focus, input) {
            (Focus::List, Input::Action(Action::Back | Action::Cancel)) => Flow::Pop,
            (Focus::List, Input::Action(Action::Open | Action::Submit)) => {
                if let Some(seq) = self.current(ctx).map(|r| r.seq) {
                    self.resolve_selected(ctx);
                    self.load_postings(ctx, seq);
                    self.scroll = 0;
                    self.focus = Focus::Detail;
                }
                Flow::Stay
            }
            (
                Focus::List,
                Input::Action(a @ (Action::Down | Action::PageDown | Action::Bottom)),
            ) if self.trail.first > 1 && (n == 0 || self.selected + 1 >= n) => {
                // Past the oldest row read: the older log.
                self.more(ctx);
                let n = self.rows(ctx).len();
                if n > 0 && self.selected + 1 < n {
                    self.selected = moved(self.selected, n, a, self.page);
                }
                Flow::Stay
            }
            (Focus::List, Input::Action(Action::Search)) => {
                self.focus = Focus::Filter(0);
                Flow::Stay
            }
            (Focus::List, Input::Action(a)) => {
                self.selected = moved(self.selected, n, a, self.page);
                Flow::Stay
            }
            (Focus::List, Input::Char(c)) => {
                // Typing starts the document filter.
                self.focus = Focus::Filter(0);
                self.fields[0] = TextField::new(&c.to_string());
                self.selected = 0;
                Flow::Stay
            }
            (Focus::Filter(_), Input::Action(Action::Submit)) => {
                if self.check_dates() {
                    self.focus = Focus::List;
                }
                Flow::Stay
            }
            (Focus::Filter(i), Input::Action(Action::NextField)) => {
                self.focus = Focus::Filter((i + 1) % FIELDS.len());
                Flow::Stay
            }
            (Focus::Filter(i), Input::Action(Action::PrevField)) => {
                self.focus = Focus::Filter((i + FIELDS.len() - 1) % FIELDS.len());
                Flow::Stay
            }
            (Focus::Filter(_), Input::Action(Action::Cancel)) => {
                for f in &mut self.fields {
                    f.take();
                }
                self.selected = 0;
                self.focus = Focus::List;
                Flow::Stay
            }
            (Focus::Filter(i), other) => {
                if self.fields[i].edit(other) {
                    self.selected = 0;
                }
                Flow::Stay
            }
            (Focus::Detail, Input::Action(Action::Back | Action::Cancel | Action::Open)) => {
                self.focus = Focus::List;
                Flow::Stay
            }
            (Focus::Detail, Input::Action(a)) => {
                self.scroll = match a {
                    Action::Down => self.scroll + 1,
                    Action::Up => self.scroll.saturating_sub(1),
                    Action::PageDown => self.scroll + self.page,
                    Action::PageUp => self.scroll.saturating_sub(self.page),
                    Action::Top => 0,
                    _ => self.scroll,
                };
                Flow::Stay
            }
            (Focus::Detail, Input::Char(_)) => Flow::Stay,
        }
    }
    fn committed(&mut self, _ctx: &Ctx) {
        self.rows = None;
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let rows = self.rows(ctx);
        let theme = ctx.theme;
        if self.focus == Focus::Detail {
            let width = area.width.saturating_sub(2) as usize;
            let seq = self.current(ctx).map(|r| r.seq);
            if let Some(seq) = seq {
                self.load_postings(ctx, seq);
            }
            // Lent to the drawing and put back, not copied each frame.
            let postings = self.postings.take();
            let lines: Vec<Line> = match (self.current(ctx), &postings) {
                (Some(r), Some((_, p))) => Self::detail_lines(r, p, ctx.state(), width)
                    .into_iter()
                    .map(|l| Line::from(fit(&l, width)))
                    .collect(),
                _ => vec![Line::from("the record is no longer listed")],
            };
            self.postings = postings;
            self.page = area.height.saturating_sub(2).max(1) as usize;
            let max = lines.len().saturating_sub(self.page);
            self.scroll = self.scroll.min(max);
            let shown: Vec<Line> = lines.into_iter().skip(self.scroll).collect();
            f.render_widget(
                Paragraph::new(shown).block(Block::bordered().title(" record ")),
                area,
            );
            return;
        }
        let [head, list, detail] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Min(3),
            Constraint::Length(2),
        ])
        .areas(area);
        let wide = area.width >= 110;
        let field = |i: usize, w: usize| -> Vec<Span<'static>> {
            vec![
                Span::styled(format!("{} ", FIELDS[i]), theme.label()),
                self.fields[i].span(self.focus == Focus::Filter(i), w, theme),
                Span::raw(" "),
            ]
        };
        let doc_w = if wide { 20 } else { 14 };
        let mut first = field(0, doc_w);
        first.extend(field(1, 10));
        first.extend(field(2, if wide { 16 } else { 12 }));
        let mut second = field(3, 10);
        second.extend(field(4, 10));
        let read = if self.trail.first > 1 {
            format!(
                " {} of {} records read, from #{}; older: past the last (UTC)",
                rows.len(),
                self.trail.rows.len(),
                self.trail.first
            )
        } else {
            format!(" {} of {} records (UTC)", rows.len(), self.trail.rows.len())
        };
        second.push(Span::styled(read, theme.dim()));
        let columns = if wide {
            format!(
                "  {:>6} {:<16} {:<8} {:<10} {:<22} {:<16} {}",
                "seq", "time", "operator", "session", "command", "document", "summary"
            )
        } else {
            format!(
                "  {:>5} {:<11} {:<7} {:<18} {:<13} {}",
                "seq", "time", "oper", "command", "document", "summary"
            )
        };
        f.render_widget(
            Paragraph::new(vec![
                Line::from(first),
                Line::from(second),
                Line::from(Span::styled(columns, theme.dim())),
            ]),
            head,
        );
        self.page = list.height.saturating_sub(2).max(1) as usize;
        let items: Vec<ListItem> = rows
            .iter()
            .filter_map(|i| self.trail.rows.get(*i))
            .map(|r| {
                let mark = if r.refused {
                    "x"
                } else if r.changes.is_empty() && r.unknown.is_empty() {
                    " "
                } else {
                    "*"
                };
                let text = if wide {
                    format!(
                        "{mark}{:>6} {:<16} {:<8} {:<10} {:<22} {:<16} {}",
                        r.seq,
                        r.time.format("%Y-%m-%d %H:%M"),
                        fit(&r.operator, 8),
                        fit(&r.session, 10),
                        fit(&r.command, 22),
                        fit(r.document(), 16),
                        r.summary
                    )
                } else {
                    format!(
                        "{mark}{:>5} {:<11} {:<7} {:<18} {:<13} {}",
                        r.seq,
                        r.time.format("%m-%d %H:%M"),
                        fit(&r.operator, 7),
                        fit(&r.command, 18),
                        fit(r.document(), 13),
                        r.summary
                    )
                };
                ListItem::new(Line::from(fit(
                    &text,
                    list.width.saturating_sub(4) as usize,
                )))
            })
            .collect();
        let empty = items.is_empty();
        let mut st = ListState::default().with_selected(if empty {
            None
        } else {
            Some(self.selected.min(rows.len() - 1))
        });
        let title = if empty && self.trail.first > 1 {
            " no record read matches: down reads older ".to_string()
        } else if empty {
            " no record matches ".to_string()
        } else {
            " newest first; * changed master data ".to_string()
        };
        f.render_stateful_widget(
            List::new(items)
                .block(Block::bordered().title(title))
                .highlight_style(theme.selected())
                .highlight_symbol("> "),
            list,
            &mut st,
        );
        let width = detail.width as usize;
        let mut lines = Vec::new();
        if let Some(r) = st
            .selected()
            .and_then(|i| rows.get(i))
            .and_then(|i| self.trail.rows.get(*i))
        {
            lines.push(Line::from(fit(&r.summary, width)));
            let what = if !r.unknown.is_empty() {
                format!(
                    "master data written, Enter reads the older log for before / after; {}",
                    r.documents.join(", ")
                )
            } else if r.changes.is_empty() {
                match r.documents.join(", ") {
                    d if d.is_empty() => "Enter opens the record".to_string(),
                    d => format!("{d}; Enter opens the record"),
                }
            } else {
                format!(
                    "{} field(s) changed, Enter shows before / after; {}",
                    r.changes.len(),
                    r.documents.join(", ")
                )
            };
            lines.push(Line::from(Span::styled(fit(&what, width), theme.dim())));
        }
        f.render_widget(Paragraph::new(lines), detail);
    }
}
