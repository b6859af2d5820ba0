//! Manual journal entries (the controller's "Journal entries"): the
//! entries posted by hand, newest first, with the lines of the one
//! selected. F7 types a new one (`JournalEntry`), F8 reverses the one
//! selected (the same lines, sides swapped, dated today; the core refuses
//! a reversal of a reversal or of an entry reversed already). Before this
//! screen an accrual or a correction could only be posted with `depot
//! exec`.
//!
//! A new entry: the entity (the operator's own proposed), the date (today
//! in the entity's zone proposed; its period must be open), a memo, then
//! a line per Enter: `6100 250.00` debits, `2000 -250.00` or `2000 cr
//! 250.00` credits, and an account alone takes what balances the entry.
//! An account is its code or words of its name; a control account (AR,
//! AP, inventory) or one open documents must equal (GRNI, unapplied cash)
//! is refused as it is typed, as the core would at the post. F9 takes
//! the last line off; F10 posts after a confirm stating the total.

use crate::core::ledger::{ManualJournal, ManualLine};
use crate::core::types::ToCode;
use crate::core::types::{Code, Currency};
use crate::core::{CommandBody, Event, State};
use crate::query::money;
use crate::ui::entry::{find_account, parse_money, ungroup};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{counted, fit, labelled, labelled_field, moved, TextField};
use chrono::NaiveDate;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use rust_decimal::Decimal;

/// The base currency of `entity` (USD when it is unknown: only for
/// formatting).
fn currency_of(s: &State, entity: &str) -> Currency {
    s.entities
        .get(&entity.to_code())
        .map(|e| e.base_currency.clone())
        .unwrap_or_else(|| Currency::new("USD"))
}

/// `250.00 USD`: what an entry moves (its debits).
fn moved_amount(s: &State, j: &ManualJournal) -> String {
    let cur = currency_of(s, &j.journal.entity);
    format!("{} {cur}", money(j.journal.debits(), &cur))
}

/// The manual entries, newest first.
fn listed(s: &State) -> Vec<&ManualJournal> {
    s.manual_journals.values().rev().collect()
}

/// What became of an entry: reversed, or itself a reversal.
fn standing(j: &ManualJournal) -> String {
    match (&j.reversed_by, &j.reverses) {
        (Some(by), _) => format!("reversed by {by}"),
        (None, Some(of)) => format!("reverses {of}"),
        (None, None) => String::new(),
    }
}

pub struct Journals {
    selected: usize,
    page: usize,
    /// F8: the entry to reverse and the date typed for the reversal.
    dating: Option<(Code, TextField)>,
    /// The entry a reversal is asked for, and its date.
    asking: Option<(Code, NaiveDate)>,
    pending: bool,
    key: String,
    notice: Option<Notice>,
}

impl Journals {
    pub fn new(ctx: &Ctx) -> Journals {
        Journals {
            selected: 0,
            page: 10,
            dating: None,
            asking: None,
            pending: false,
            key: ctx.new_key(),
            notice: None,
        }
    }

    /// F8: the reversal's date is asked, the first day after the entry's
    /// period proposed (an accrual of 30 November reversed on 1
    /// December), or today when that day has not come. The core says
    /// first why an entry cannot be reversed at all (reversed already,
    /// itself a reversal).
    fn reverse(&mut self, ctx: &Ctx) -> Flow {
        let s = ctx.state();
        let Some(j) = listed(s).get(self.selected).copied() else {
            self.notice = Some(Notice::info("no entry to reverse"));
            return Flow::Stay;
        };
        let entity = &j.journal.entity;
        let today = ctx.entity_today(entity);
        let after = s
            .period_of(entity, j.journal.date)
            .and_then(|p| p.end.succ_opt())
            .filter(|d| *d <= today)
            .unwrap_or(today);
        // Reversed already, or itself a reversal: the core's words, no
        // date asked (read from the entry, not from the refusal's text).
        let reversal = CommandBody::ReverseJournalEntry {
            number: j.number.clone(),
            date: Some(today),
        };
        match ctx.dry_run(reversal) {
            Err(why) if j.reversed_by.is_some() || j.reverses.is_some() => {
                self.notice = Some(Notice::bell(why));
            }
            _ => {
                self.dating = Some((j.number.clone(), TextField::proposed(&after.to_string())));
                self.notice = Some(Notice::info(format!(
                    "reverse {} dated: Enter takes {after}, or type another day",
                    j.number
                )));
            }
        }
        Flow::Stay
    }

    /// The reversal's date entered: the core decides it, then the question.
    fn dated(&mut self, ctx: &Ctx) -> Flow {
        let Some((number, mut field)) = self.dating.take() else {
            return Flow::Stay;
        };
        let t = field.take();
        let t = t.trim();
        let refuse = |this: &mut Journals, why: String| {
            let mut f = TextField::new(t);
            f.refused();
            this.dating = Some((number.clone(), f));
            this.notice = Some(Notice::bell(why));
            Flow::Stay
        };
        let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") else {
            return refuse(self, format!("{t:?} is not a date (YYYY-MM-DD)"));
        };
        let s = ctx.state();
        let Some(j) = s.manual_journals.get(&number) else {
            return Flow::Stay;
        };
        match ctx.dry_run(CommandBody::ReverseJournalEntry {
            number: number.clone(),
            date: Some(date),
        }) {
            Err(why) => refuse(self, why),
            Ok(_) => {
                self.asking = Some((number.clone(), date));
                Flow::ConfirmStrict(format!(
                    "Reverse {} ({}, {}) dated {date}? (y: reverse, Enter or n: keep)",
                    j.number,
                    j.journal.memo,
                    moved_amount(s, j)
                ))
            }
        }
    }
}

impl Screen for Journals {
    fn name(&self) -> &'static str {
        "journals"
    }
    fn title(&self) -> String {
        "journal entries".into()
    }
    fn context(&self) -> Context {
        match self.dating {
            Some(_) => Context::Input,
            None => Context::List,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        if self.dating.is_some() {
            return vec![
                (Action::Submit, "take the date"),
                (Action::Cancel, "do not reverse"),
                (Action::Help, "keys"),
            ];
        }
        vec![
            (Action::New, "new entry"),
            (Action::Reverse, "reverse the entry"),
            (Action::Down, "next entry"),
            (Action::Up, "previous entry"),
            (Action::Back, "back"),
            (Action::Help, "keys"),
        ]
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        if let Some((_, field)) = self.dating.as_mut() {
            return match input {
                Input::Action(Action::Submit) => self.dated(ctx),
                Input::Action(Action::Cancel | Action::Back) => {
                    self.dating = None;
                    self.notice = Some(Notice::info("not reversed"));
                    Flow::Stay
                }
                other => {
                    field.edit(other);
                    Flow::Stay
                }
            };
        }
        match input {
            Input::Action(Action::New) => Flow::Push(Box::new(JournalEntry::new(ctx))),
            Input::Action(Action::Reverse) => self.reverse(ctx),
            Input::Action(Action::Back | Action::Cancel) => Flow::Pop,
            Input::Action(a) => {
                let n = ctx.state().manual_journals.len();
                self.selected = moved(self.selected, n, a, self.page);
                Flow::Stay
            }
            Input::Char(_) => Flow::Stay,
        }
    }
    fn confirmed(&mut self, yes: bool, _ctx: &Ctx) -> Flow {
        match (self.asking.take(), yes) {
            (Some((number, date)), true) => {
                self.pending = true;
                Flow::Submit(Box::new(Request {
                    key: self.key.clone(),
                    body: CommandBody::ReverseJournalEntry {
                        number,
                        date: Some(date),
                    },
                }))
            }
            (Some((number, _)), false) => {
                self.notice = Some(Notice::info(format!("{number} is not reversed")));
                Flow::Stay
            }
            (None, _) => Flow::Stay,
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.pending = false;
        match outcome {
            Submitted::Committed { events, .. } => {
                if let Some((number, of)) = events.iter().find_map(|e| match e {
                    Event::JournalPosted {
                        number,
                        reverses: Some(of),
                        ..
                    } => Some((number, of)),
                    _ => None,
                }) {
                    self.notice = Some(Notice::info(format!("{number} posted: it reverses {of}")));
                }
                // The reversal is the newest entry: on it.
                self.selected = 0;
                self.key = ctx.new_key();
            }
            Submitted::Refused(r) => self.notice = Some(Notice::error(format!("refused: {r}"))),
            Submitted::Stopped(e) => {
                self.notice = Some(Notice::error(format!("not reversed: {e}")))
            }
        }
        Flow::Stay
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let th = ctx.theme;
        let s = ctx.state();
        let w = area.width as usize;
        let rows = listed(s);
        self.selected = self.selected.min(rows.len().saturating_sub(1));
        let [head, list, detail] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Percentage(45),
            Constraint::Min(3),
        ])
        .areas(area);
        let intro = |text: String| Line::from(Span::styled(fit(&text, w), th.dim()));
        let first = if let Some((number, field)) = &self.dating {
            // F8: the reversal's date, typed here.
            let label = format!("reverse {number} dated ");
            Line::from(vec![
                Span::styled(label.clone(), th.label()),
                field.span(true, w.saturating_sub(label.len()), th),
            ])
        } else if rows.is_empty() {
            intro("no entry posted by hand yet: F7 types one".to_string())
        } else {
            intro(format!(
                "{} posted by hand, newest first: F7 new, F8 reverses the selected one",
                counted(rows.len(), "entry")
            ))
        };
        f.render_widget(
            Paragraph::new(vec![
                first,
                Line::from(Span::styled(
                    fit(
                        &format!(
                            "  {:<10} {:<10} {:<6} {:>17}  memo",
                            "number", "date", "entity", "amount"
                        ),
                        w,
                    ),
                    th.label(),
                )),
            ]),
            head,
        );
        let height = list.height as usize;
        self.page = height.max(1);
        let top = self.selected.saturating_sub(height.saturating_sub(1));
        let shown: Vec<Line> = rows
            .iter()
            .enumerate()
            .skip(top)
            .take(height)
            .map(|(i, j)| {
                let mark = if i == self.selected { "> " } else { "  " };
                let also = standing(j);
                let text = format!(
                    "{mark}{:<10} {} {:<6} {:>17}  {}{}",
                    j.number,
                    j.journal.date,
                    j.journal.entity,
                    moved_amount(s, j),
                    j.journal.memo,
                    if also.is_empty() {
                        String::new()
                    } else {
                        format!(" ({also})")
                    }
                );
                let line = Line::from(fit(&text, w));
                if i == self.selected {
                    line.style(th.selected())
                } else {
                    line
                }
            })
            .collect();
        f.render_widget(Paragraph::new(shown), list);
        let mut lines: Vec<Line> = Vec::new();
        if let Some(j) = rows.get(self.selected) {
            let cur = currency_of(s, &j.journal.entity);
            lines.push(Line::from(Span::styled(
                fit(
                    &format!(
                        "{} {} period {} by {}{}",
                        j.number,
                        j.journal.entity,
                        j.journal.period,
                        j.posted_by,
                        match standing(j) {
                            a if a.is_empty() => String::new(),
                            a => format!(", {a}"),
                        }
                    ),
                    w,
                ),
                th.title(),
            )));
            lines.push(Line::from(fit(&format!("memo {}", j.journal.memo), w)));
            lines.extend(line_rows(s, &j.journal.entity, &journal_lines(j), &cur, w));
        }
        f.render_widget(Paragraph::new(lines), detail);
    }
}

/// The accounts of `entity` a person may post to by hand, `code name`, in
/// as many columns of 40 as `w` holds and at most `height` rows; what
/// does not fit is counted.
fn chart_rows(s: &State, entity: &str, w: usize, height: usize) -> Vec<Line<'static>> {
    let open: Vec<String> = s
        .accounts
        .values()
        .filter(|a| a.entity == entity)
        .filter(|a| crate::core::ledger::postable(s, entity, &a.code).is_ok())
        .map(|a| format!("{} {}", a.code, a.name))
        .collect();
    let cols = (w / 40).max(1);
    let col = w / cols;
    let rows = open.len().div_ceil(cols);
    let shown_rows = if rows > height {
        height.saturating_sub(1)
    } else {
        rows
    };
    let mut out: Vec<Line<'static>> = (0..shown_rows)
        .map(|r| {
            let text: String = (0..cols)
                .filter_map(|c| open.get(c * rows + r))
                .map(|t| format!("{:<col$}", fit(t, col.saturating_sub(1))))
                .collect();
            Line::from(fit(text.trim_end(), w))
        })
        .collect();
    if shown_rows < rows {
        let hidden = open.len()
            - (0..shown_rows)
                .map(|r| (0..cols).filter(|c| c * rows + r < open.len()).count())
                .sum::<usize>();
        out.push(Line::from(fit(
            &format!("({hidden} more: type a word of the name)"),
            w,
        )));
    }
    out
}

/// A posted entry's lines as typed lines (debit or credit each).
fn journal_lines(j: &ManualJournal) -> Vec<ManualLine> {
    j.journal
        .lines
        .iter()
        .map(|l| ManualLine {
            account: l.account.clone(),
            debit: l.debit,
            credit: l.credit,
        })
        .collect()
}

/// The lines of an entry under their heading: account, name, debit, credit.
fn line_rows(
    s: &State,
    entity: &str,
    lines: &[ManualLine],
    cur: &Currency,
    w: usize,
) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(fit(
        &format!(
            "{:>3} {:<8} {:<24} {:>14}  {:>14}",
            "#", "account", "name", "debit", "credit"
        ),
        w,
    ))];
    let shown = |d: Decimal| {
        if d.is_zero() {
            String::new()
        } else {
            money(d, cur)
        }
    };
    for (i, l) in lines.iter().enumerate() {
        let name = s
            .accounts
            .get(&(entity.into(), l.account.clone()))
            .map(|a| a.name.clone())
            .unwrap_or_default();
        out.push(Line::from(fit(
            &format!(
                "{:>3} {:<8} {:<24} {:>14}  {:>14}",
                i + 1,
                l.account,
                fit(&name, 24),
                shown(l.debit),
                shown(l.credit)
            ),
            w,
        )));
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Entity,
    Date,
    Memo,
    Lines,
}

enum Ask {
    Post,
    Leave,
}

/// A new manual journal entry (Journal entries, F7).
pub struct JournalEntry {
    pub step: Step,
    pub field: TextField,
    pub entity: Option<Code>,
    pub date: Option<NaiveDate>,
    pub memo: String,
    pub lines: Vec<ManualLine>,
    /// An entry was just posted and nothing typed since: Esc leaves.
    posted: bool,
    /// The text on show was refused: Esc puts the proposal back.
    refused: bool,
    /// What the step proposed (the entity, today, the memo kept).
    proposal: String,
    asking: Option<Ask>,
    pending: bool,
    key: String,
    notice: Option<Notice>,
}

/// Debits less credits of `lines`.
fn out_by(lines: &[ManualLine]) -> Decimal {
    lines.iter().map(|l| l.debit - l.credit).sum()
}

/// A line typed: `ACCOUNT AMOUNT` debits, `ACCOUNT -AMOUNT` or `ACCOUNT cr
/// AMOUNT` credits (`dr` may be said), `ACCOUNT` alone takes what balances
/// `lines`. The account is checked as the core checks it at the post (it
/// exists, and it is not a control account).
pub fn parse_line(
    s: &State,
    entity: &str,
    text: &str,
    lines: &[ManualLine],
) -> Result<ManualLine, String> {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    // The last word is the amount when it starts as a number might
    // (`250`, `-250`, `.5`, `$37.45`, `(37.45)`, `+5`): a bad one is
    // refused as an amount, not looked up as a word of the account.
    let looks_like_amount = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '.' | '$' | '+' | '('))
    };
    let amount = match words.last() {
        Some(w) if words.len() > 1 && looks_like_amount(w) => {
            let w = words.pop().unwrap_or_default();
            Some(w)
        }
        _ => None,
    };
    let side = match words.last().map(|w| w.to_ascii_lowercase()) {
        Some(w) if words.len() > 1 && (w == "dr" || w == "debit") => {
            words.pop();
            Some(true)
        }
        Some(w) if words.len() > 1 && (w == "cr" || w == "credit") => {
            words.pop();
            Some(false)
        }
        _ => None,
    };
    let account = find_account(s, entity, &words.join(" "))?;
    crate::core::ledger::postable(s, entity, &account.code).map_err(|r| r.to_string())?;
    let cur = currency_of(s, entity);
    let (debit, value) = match amount {
        Some(a) => {
            let minus = a.starts_with('-');
            let value = parse_money(&ungroup(a.trim_start_matches('-')))?;
            let debit = match (side, minus) {
                (Some(_), true) => {
                    return Err(format!("{a}: a minus or dr/cr says the side, not both"))
                }
                (Some(d), false) => d,
                (None, minus) => !minus,
            };
            (debit, value)
        }
        None => {
            let out = out_by(lines);
            if out.is_zero() {
                return Err(format!(
                    "the entry balances: type the amount ({} 250.00 debits, {} -250.00 credits)",
                    account.code, account.code
                ));
            }
            let debit = out < Decimal::ZERO;
            if side.is_some_and(|d| d != debit) {
                return Err(format!(
                    "what balances the entry is a {} of {}",
                    if debit { "debit" } else { "credit" },
                    money(out.abs(), &cur)
                ));
            }
            (debit, out.abs())
        }
    };
    crate::core::validate::amount("amount", value, &cur).map_err(|r| r.to_string())?;
    Ok(ManualLine {
        account: account.code.clone(),
        debit: if debit { value } else { Decimal::ZERO },
        credit: if debit { Decimal::ZERO } else { value },
    })
}

impl JournalEntry {
    pub fn new(ctx: &Ctx) -> JournalEntry {
        let s = ctx.state();
        // The entity chosen last on a screen of one entity, else the
        // operator's own, else the one with the most entries (where
        // Finance views opens).
        let chosen = ctx.chosen_entity.borrow().clone();
        let entity = chosen
            .filter(|e| s.entities.contains_key(e))
            .or_else(|| ctx.home_entity().cloned())
            .or_else(|| super::finance_views::busiest_entity(s))
            .or_else(|| s.entities.keys().next().cloned())
            .unwrap_or_default();
        JournalEntry {
            step: Step::Entity,
            field: TextField::proposed(&entity),
            refused: false,
            proposal: entity.to_string(),
            entity: None,
            date: None,
            memo: String::new(),
            lines: Vec::new(),
            posted: false,
            asking: None,
            pending: false,
            key: ctx.new_key(),
            notice: None,
        }
    }

    fn body(&self) -> Option<CommandBody> {
        Some(CommandBody::PostJournalEntry {
            entity: self.entity.clone()?,
            date: self.date,
            memo: self.memo.clone(),
            lines: self.lines.clone(),
        })
    }

    fn refuse(&mut self, text: &str, why: String) -> Flow {
        self.field = TextField::new(text);
        self.field.refused();
        self.refused = true;
        self.notice = Some(Notice::bell(why));
        Flow::Stay
    }

    /// On to `step`, with `shown` proposed (typing replaces it).
    fn step_to(&mut self, step: Step, shown: &str) {
        self.step = step;
        self.proposal = shown.to_string();
        self.field = TextField::proposed(shown);
    }

    fn entity(&self) -> &str {
        self.entity.as_deref().unwrap_or_default()
    }

    fn enter(&mut self, ctx: &Ctx) -> Flow {
        let text = self.field.take();
        let t = text.trim();
        let s = ctx.state();
        match self.step {
            Step::Entity => {
                let code = t.to_ascii_uppercase();
                match s.entities.get(&code.to_code()) {
                    None => self.refuse(t, format!("no entity {code:?}")),
                    Some(e) => {
                        if self.entity.as_ref() != Some(&e.code) {
                            self.lines.clear();
                            self.date = None;
                        }
                        self.entity = Some(e.code.clone());
                        ctx.chosen_entity.replace(Some(e.code.clone()));
                        let day = self.date.unwrap_or_else(|| ctx.entity_today(&e.code));
                        self.step_to(Step::Date, &day.to_string());
                        Flow::Stay
                    }
                }
            }
            Step::Date => {
                let day = match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
                    Ok(d) => d,
                    Err(_) => return self.refuse(t, format!("{t:?} is not a date (YYYY-MM-DD)")),
                };
                match crate::core::posting::open_period(s, self.entity(), day) {
                    Err(r) => self.refuse(t, r.to_string()),
                    Ok(_) => {
                        self.date = Some(day);
                        let memo = self.memo.clone();
                        self.step_to(Step::Memo, &memo);
                        Flow::Stay
                    }
                }
            }
            Step::Memo => {
                if t.is_empty() {
                    return self.refuse(
                        t,
                        "a memo says what the entry is (accrual, correction)".into(),
                    );
                }
                if let Err(r) = crate::core::validate::text("memo", t, true) {
                    return self.refuse(t, r.to_string());
                }
                self.memo = t.to_string();
                self.step_to(Step::Lines, "");
                Flow::Stay
            }
            Step::Lines => {
                if t.is_empty() {
                    self.notice = Some(Notice::info(
                        "ACCOUNT AMOUNT debits, ACCOUNT -AMOUNT credits, an account alone balances; F10 posts",
                    ));
                    return Flow::Stay;
                }
                if self.lines.len() >= crate::core::ledger::MANUAL_LINES_MAX {
                    return self.refuse(
                        t,
                        format!(
                            "an entry has at most {} lines",
                            crate::core::ledger::MANUAL_LINES_MAX
                        ),
                    );
                }
                match parse_line(s, self.entity(), t, &self.lines) {
                    Ok(l) => {
                        self.lines.push(l);
                        Flow::Stay
                    }
                    Err(why) => self.refuse(t, why),
                }
            }
        }
    }

    fn back(&mut self) -> Flow {
        let text = !self.field.text.trim().is_empty();
        if self.field.typing() || (text && self.step == Step::Lines) {
            self.field.take();
            return Flow::Stay;
        }
        if std::mem::take(&mut self.refused) && self.step != Step::Lines {
            // A refused date (or entity, memo): the proposal back, not a
            // step back, where the next text typed went in the wrong box.
            self.field = TextField::proposed(&self.proposal);
            return Flow::Stay;
        }
        if self.posted && self.lines.is_empty() {
            // Just posted: back to the list, where the entry now is.
            return Flow::Pop;
        }
        match self.step {
            Step::Lines if !self.lines.is_empty() => {
                self.asking = Some(Ask::Leave);
                Flow::ConfirmStrict(format!(
                    "Leave without posting this entry of {}? (y: leave, Enter or n: stay)",
                    counted(self.lines.len(), "line")
                ))
            }
            Step::Lines => {
                let memo = self.memo.clone();
                self.step_to(Step::Memo, &memo);
                Flow::Stay
            }
            Step::Memo => {
                let day = self.date.map(|d| d.to_string()).unwrap_or_default();
                self.step_to(Step::Date, &day);
                Flow::Stay
            }
            Step::Date => {
                let entity = self.entity().to_string();
                self.step_to(Step::Entity, &entity);
                Flow::Stay
            }
            Step::Entity => Flow::Pop,
        }
    }

    fn complete(&mut self, ctx: &Ctx) -> Flow {
        let s = ctx.state();
        let cur = currency_of(s, self.entity());
        let out = out_by(&self.lines);
        if self.lines.len() < 2 {
            self.notice = Some(Notice::error(
                "an entry needs two lines or more: ACCOUNT AMOUNT and Enter for each",
            ));
            return Flow::Stay;
        }
        if !out.is_zero() {
            self.notice = Some(Notice::error(format!(
                "out by {} ({} over): an account alone takes the difference",
                money(out.abs(), &cur),
                if out > Decimal::ZERO {
                    "debits"
                } else {
                    "credits"
                }
            )));
            return Flow::Stay;
        }
        let Some(body) = self.body() else {
            return Flow::Stay;
        };
        match ctx.dry_run(body) {
            Err(why) => {
                self.notice = Some(Notice::error(why));
                Flow::Stay
            }
            Ok((_, events)) => {
                let Some(j) = events.iter().find_map(|e| match e {
                    Event::JournalPosted { journal, .. } => Some(journal),
                    _ => None,
                }) else {
                    return Flow::Stay;
                };
                self.asking = Some(Ask::Post);
                Flow::Confirm(format!(
                    "Post to {} on {} ({}): {:?}, {}, {} {cur}?",
                    j.entity,
                    j.date,
                    j.period,
                    j.memo,
                    counted(self.lines.len(), "line"),
                    money(j.debits(), &cur)
                ))
            }
        }
    }
}

impl Screen for JournalEntry {
    fn name(&self) -> &'static str {
        "journal_entry"
    }
    fn title(&self) -> String {
        "new journal entry".into()
    }
    fn context(&self) -> Context {
        Context::Form
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        let enter = match self.step {
            Step::Entity => "take the entity",
            Step::Date => "take the date",
            Step::Memo => "take the memo",
            Step::Lines => "add the line",
        };
        let mut v = vec![(Action::Submit, enter)];
        if self.step == Step::Lines {
            v.push((Action::Complete, "post the entry"));
            v.push((Action::DeleteLine, "take the last line off"));
        }
        v.push((Action::Cancel, "back"));
        v.push((Action::Help, "keys"));
        v
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        if !matches!(input, Input::Action(Action::Cancel | Action::Back)) {
            self.posted = false;
            self.refused = false;
        }
        match input {
            Input::Action(Action::Submit) => self.enter(ctx),
            Input::Action(Action::Cancel | Action::Back) => self.back(),
            Input::Action(Action::DeleteLine) if self.step == Step::Lines => {
                match self.lines.pop() {
                    Some(l) => {
                        self.notice = Some(Notice::info(format!("took the {} line off", l.account)))
                    }
                    None => self.notice = Some(Notice::info("no line to take off")),
                }
                Flow::Stay
            }
            Input::Action(Action::Complete) if self.step == Step::Lines => self.complete(ctx),
            Input::Action(Action::Complete | Action::DeleteLine) => {
                self.notice = Some(Notice::info(match self.step {
                    Step::Entity => "the entity first",
                    Step::Date => "the date first",
                    _ => "the memo first",
                }));
                Flow::Stay
            }
            other => {
                self.field.edit(other);
                Flow::Stay
            }
        }
    }
    fn confirmed(&mut self, yes: bool, _ctx: &Ctx) -> Flow {
        match (self.asking.take(), yes) {
            (Some(Ask::Leave), true) => Flow::Pop,
            (Some(Ask::Post), true) => match self.body() {
                Some(body) => {
                    self.pending = true;
                    Flow::Submit(Box::new(Request {
                        key: self.key.clone(),
                        body,
                    }))
                }
                None => Flow::Stay,
            },
            (Some(Ask::Post), false) => {
                self.notice = Some(Notice::info("not posted: the lines are kept"));
                Flow::Stay
            }
            _ => Flow::Stay,
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.pending = false;
        match outcome {
            Submitted::Committed { events, .. } => {
                if let Some((number, j)) = events.iter().find_map(|e| match e {
                    Event::JournalPosted {
                        number, journal, ..
                    } => Some((number, journal)),
                    _ => None,
                }) {
                    let cur = currency_of(ctx.state(), &j.entity);
                    self.notice = Some(Notice::info(format!(
                        "{number} posted to {} on {}: {}, {} {cur}",
                        j.entity,
                        j.date,
                        counted(j.lines.len(), "line"),
                        money(j.debits(), &cur)
                    )));
                }
                // The next entry: the same entity and date, a new memo.
                self.lines.clear();
                self.memo.clear();
                self.step_to(Step::Memo, "");
                self.key = ctx.new_key();
                self.posted = true;
            }
            Submitted::Refused(r) => self.notice = Some(Notice::error(format!("refused: {r}"))),
            Submitted::Stopped(e) => self.notice = Some(Notice::error(format!("not posted: {e}"))),
        }
        Flow::Stay
    }
    fn dirty(&self) -> bool {
        !self.lines.is_empty() || self.field.typing()
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let th = ctx.theme;
        let s = ctx.state();
        let w = area.width as usize;
        let mut rows: Vec<Line> = Vec::new();
        let value = |label: &'static str, v: String| labelled(label, v, th);
        let typing = |label: &'static str, field: &TextField| labelled_field(label, field, w, th);
        let order = [Step::Entity, Step::Date, Step::Memo, Step::Lines];
        let at = order.iter().position(|x| *x == self.step).unwrap_or(0);
        if self.step == Step::Entity {
            rows.push(typing("entity  ", &self.field));
        } else {
            let name = s
                .entities
                .get(&self.entity().to_code())
                .map(|e| format!("{} {} ({})", e.code, e.name, e.base_currency))
                .unwrap_or_default();
            rows.push(value("entity  ", fit(&name, w.saturating_sub(8))));
        }
        match at {
            1 => rows.push(typing("date    ", &self.field)),
            a if a > 1 => {
                let day = self.date.map(|d| d.to_string()).unwrap_or_default();
                let period = self
                    .date
                    .and_then(|d| s.period_of(self.entity(), d))
                    .map(|p| format!(" ({})", p.code))
                    .unwrap_or_default();
                rows.push(value("date    ", format!("{day}{period}")));
            }
            _ => {}
        }
        match at {
            2 => rows.push(typing("memo    ", &self.field)),
            3 => {
                rows.push(value("memo    ", fit(&self.memo, w.saturating_sub(8))));
                rows.push(typing("line>   ", &self.field));
            }
            _ => {}
        }
        rows.push(Line::from(""));
        if self.lines.is_empty() {
            let chart = self.step == Step::Lines;
            rows.push(Line::from(Span::styled(
                fit(
                    match self.step {
                        Step::Entity => "the entity the entry is in: Enter takes the one shown",
                        Step::Date => "the date (YYYY-MM-DD): its period must be open",
                        Step::Memo => "a memo: what the entry is (accrual, correction)",
                        Step::Lines => "6400 250 debits; 6300 -250 or 6300 cr 250 credits; an account alone balances",
                    },
                    w,
                ),
                th.dim(),
            )));
            if chart {
                // The chart the lines may use, before the first line: the
                // accounts a person may post to (no control account).
                let height = (area.height as usize).saturating_sub(rows.len() + 1);
                rows.push(Line::from(Span::styled(
                    fit(&format!("accounts of {} to post to:", self.entity()), w),
                    th.label(),
                )));
                rows.extend(chart_rows(s, self.entity(), w, height));
            }
        } else {
            let cur = currency_of(s, self.entity());
            let mut table = line_rows(s, self.entity(), &self.lines, &cur, w);
            let room = (area.height as usize).saturating_sub(rows.len() + 2);
            let skip = table.len().saturating_sub(room.max(2));
            if skip > 0 {
                // The heading, then the newest lines.
                let head = table.remove(0);
                table.drain(0..skip.min(table.len()));
                table.insert(0, head);
            }
            rows.extend(table);
            let debits: Decimal = self.lines.iter().map(|l| l.debit).sum();
            let credits: Decimal = self.lines.iter().map(|l| l.credit).sum();
            let out = debits - credits;
            let foot = if out.is_zero() {
                format!(
                    "debits {} credits {} {cur}: balanced, F10 posts",
                    money(debits, &cur),
                    money(credits, &cur)
                )
            } else {
                format!(
                    "debits {} credits {} {cur}: out by {}",
                    money(debits, &cur),
                    money(credits, &cur),
                    money(out.abs(), &cur)
                )
            };
            rows.push(Line::from(Span::styled(fit(&foot, w), th.title())));
        }
        f.render_widget(Paragraph::new(rows), area);
    }
}
