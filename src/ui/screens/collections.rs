//! Collections worklist (AR clerk, issue 23): the open receivables most
//! worth chasing first, ranked by exposure x the probability that the
//! customer pays late (`models::collections`, trained in the background
//! by the models' worker), each with its reasons: the customer's late
//! record, p(late), the exposure and the due day. The clerk acts: Enter
//! opens the customer's cash application (apply what came in, settle a
//! short pay), ctrl-p prints the customer's statement as a reminder
//! (audited like every print). A receivable paid since the ranking
//! leaves the list at once; the ranking itself is redone by the worker.

use crate::core::types::ToCode;
use crate::models::collections::Suggestion;
use crate::query::format_amount;

/// An amount with cents, thousands separated.
fn money(d: rust_decimal::Decimal) -> String {
    format_amount(d, 2)
}
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Screen};
use crate::ui::widgets::{fit, moved, reselected, wrap_items, TextField};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Most receivables listed.
const LIST_MAX: usize = 200;

/// A receivable to chase, as listed now.
#[derive(Clone, Debug)]
pub struct Chase {
    pub rank: usize,
    pub suggestion: Suggestion,
    pub name: String,
    /// Still open now (base currency), and the currency.
    pub open: Decimal,
    pub currency: String,
    pub due: chrono::NaiveDate,
    /// Posted since the models' worker trained, and no estimate of its
    /// customer: listed last, its p(late) "new".
    pub unranked: bool,
}

/// A receivable of the worklist: `inv` as it is now, with what the
/// models' worker said of it.
fn chase(
    s: &crate::core::State,
    inv: &crate::core::billing::Invoice,
    suggestion: Suggestion,
) -> Chase {
    Chase {
        rank: 0,
        name: s
            .customers
            .get(&suggestion.customer.to_code())
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        suggestion,
        open: inv.base_open,
        currency: s
            .entities
            .get(&inv.entity)
            .map(|e| e.base_currency.to_string())
            .unwrap_or_default(),
        due: inv.due,
        unranked: false,
    }
}

/// The ranked receivables still open in `s`, the filter's words matching
/// the invoice, customer code or name: the first `LIST_MAX` (the screen
/// lists; `worklist_all` has every one, for the header's counts).
pub fn worklist(
    s: &crate::core::State,
    sugg: &crate::ui::model_worker::Suggestions,
    filter: &str,
) -> Vec<Chase> {
    let mut all = worklist_all(s, sugg, filter);
    all.truncate(LIST_MAX);
    all
}

/// Every ranked receivable still open in `s` matching the filter, not
/// capped. The ranking is the models' worker's, but what it weighed is
/// taken as it is now: a part payment or a dispute since the training
/// lowers the exposure and the score at once (and moves the receivable
/// down the list), and a receivable paid or disputed in full leaves it.
pub fn worklist_all(
    s: &crate::core::State,
    sugg: &crate::ui::model_worker::Suggestions,
    filter: &str,
) -> Vec<Chase> {
    let words: Vec<String> = filter
        .split_whitespace()
        .map(|w| w.to_lowercase())
        .collect();
    let mut all: Vec<Chase> = sugg
        .collections
        .iter()
        .filter_map(|x| {
            let inv = s.invoices.get(&x.invoice.to_code())?;
            let exposure = crate::models::collections::chaseable(inv);
            if inv.base_open <= Decimal::ZERO || exposure <= Decimal::ZERO {
                return None;
            }
            let mut suggestion = x.clone();
            if exposure != x.exposure {
                suggestion.exposure = exposure;
                suggestion.score = exposure.to_f64().unwrap_or(0.0) * x.p_late;
            }
            // Said as every amount on the screen is (thousands separated).
            for (what, said) in suggestion.reasons.iter_mut() {
                if what == "exposure" {
                    *said = money(exposure);
                }
            }
            Some(chase(s, inv, suggestion))
        })
        .collect();
    // Invoices posted since the models' worker trained are open too: they
    // are listed (the header counted what the worker saw, and a clerk
    // read it as everything open), at the customer's estimate when the
    // worker has one, else below the ranked ones as "new".
    let ranked: std::collections::HashSet<&str> = sugg
        .collections
        .iter()
        .map(|x| x.invoice.as_str())
        .collect();
    // A customer's estimate: that of any of their invoices not yet due
    // (found once, not per customer: the screen draws this every frame).
    let mut estimates: std::collections::HashMap<&str, f64> = Default::default();
    for x in sugg
        .collections
        .iter()
        .filter(|x| x.days_past_due.is_none())
    {
        estimates.entry(x.customer.as_str()).or_insert(x.p_late);
    }
    for (customer, open) in s.index.open_invoices.iter() {
        let estimate = estimates.get(customer.as_str()).copied();
        for inv in open.iter().filter_map(|n| s.invoices.get(n)) {
            let exposure = crate::models::collections::chaseable(inv);
            if ranked.contains(inv.number.as_str())
                || inv.base_open <= Decimal::ZERO
                || exposure <= Decimal::ZERO
            {
                continue;
            }
            let p_late = estimate.unwrap_or(0.0);
            let suggestion = Suggestion {
                invoice: inv.number.to_string(),
                customer: customer.to_string(),
                exposure,
                p_late,
                score: exposure.to_f64().unwrap_or(0.0) * p_late,
                days_past_due: None,
                reasons: vec![(
                    "posted since the models trained:".to_string(),
                    match estimate {
                        Some(_) => "the customer's estimate".to_string(),
                        None => "not ranked yet".to_string(),
                    },
                )],
            };
            let mut c = chase(s, inv, suggestion);
            c.unranked = estimate.is_none();
            all.push(c);
        }
    }
    all.sort_by(|a, b| {
        a.unranked
            .cmp(&b.unranked)
            .then(b.suggestion.score.total_cmp(&a.suggestion.score))
            .then(a.suggestion.invoice.cmp(&b.suggestion.invoice))
    });
    for (i, c) in all.iter_mut().enumerate() {
        c.rank = i + 1;
    }
    all.retain(|c| {
        let hay = format!(
            "{} {} {}",
            c.suggestion.invoice, c.suggestion.customer, c.name
        )
        .to_lowercase();
        words.iter().all(|w| hay.contains(w))
    });
    all
}

/// What is open, per currency ("391,624.13 USD, 12,000.00 CAD"): the
/// entities' base currencies differ, so one sum across them would mean
/// nothing.
fn open_by_currency<'a>(rows: impl Iterator<Item = &'a Chase>) -> String {
    let mut by: Vec<(String, Decimal)> = Vec::new();
    for r in rows {
        match by.iter_mut().find(|(c, _)| *c == r.currency) {
            Some((_, t)) => *t += r.open,
            None => by.push((r.currency.clone(), r.open)),
        }
    }
    by.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if by.is_empty() {
        return money(Decimal::ZERO);
    }
    by.iter()
        .map(|(c, t)| format!("{} {c}", money(*t)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The header over the list: how many receivables are open and how much,
/// and when the list stops at `LIST_MAX`, that it does and what the rows
/// listed hold ("top 200 of 512 receivables, 289,290.93 USD of
/// 391,624.13 USD open, ranked by exposure x p(late)").
pub fn header(all: &[Chase]) -> String {
    let n = all.len();
    if n > LIST_MAX {
        let shown = &all[..LIST_MAX];
        format!(
            "top {LIST_MAX} of {n}, {} of {} open, by exposure x p(late)",
            open_by_currency(shown.iter()),
            open_by_currency(all.iter()),
        )
    } else {
        format!(
            "{n} receivable{}, {} open, ranked by exposure x p(late)",
            if n == 1 { "" } else { "s" },
            open_by_currency(all.iter()),
        )
    }
}

/// The p(late) column: "late" once the invoice is past due (late
/// already, not a prediction), else the customer's estimate ("48%").
pub fn p_late_column(c: &Chase) -> String {
    match c.suggestion.days_past_due {
        Some(_) => "late".to_string(),
        None if c.unranked => "new".to_string(),
        None => format!("{:.0}%", c.suggestion.p_late * 100.0),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    List,
    Filter,
}

pub struct Collections {
    pub focus: Focus,
    pub filter: TextField,
    pub selected: usize,
    /// The invoice of the row selected: a payment, a dispute or a
    /// retrained model re-ranks the list, and the cursor stays on the
    /// invoice it was on (else on the same position: the next one up
    /// takes the place of one paid off).
    at: Option<String>,
    page: usize,
    notice: Option<Notice>,
}

impl Default for Collections {
    fn default() -> Self {
        Collections::new()
    }
}

impl Collections {
    pub fn new() -> Collections {
        Collections {
            focus: Focus::List,
            filter: TextField::default(),
            selected: 0,
            at: None,
            page: 10,
            notice: None,
        }
    }

    /// Selects the row of the invoice selected before, where the list
    /// has moved it, and remembers the one selected now.
    fn follow(&mut self, rows: &[Chase]) {
        let invoice = |c: &Chase| c.suggestion.invoice.clone();
        self.selected = reselected(self.selected, self.at.as_ref(), rows, invoice);
        self.at = rows.get(self.selected).map(invoice);
    }

    fn rows(&self, ctx: &Ctx) -> Vec<Chase> {
        match ctx.backend.suggestions() {
            Some(sugg) => worklist(ctx.state(), &sugg, self.filter.trimmed()),
            None => Vec::new(),
        }
    }

    /// Every matching row (the first `LIST_MAX` are listed).
    fn all_rows(&self, ctx: &Ctx) -> Vec<Chase> {
        match ctx.backend.suggestions() {
            Some(sugg) => worklist_all(ctx.state(), &sugg, self.filter.trimmed()),
            None => Vec::new(),
        }
    }
}

impl Screen for Collections {
    fn name(&self) -> &'static str {
        "collections"
    }
    fn title(&self) -> String {
        "collections".into()
    }
    fn context(&self) -> Context {
        match self.focus {
            Focus::List => Context::List,
            Focus::Filter => Context::Input,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        match self.focus {
            Focus::List => vec![
                (Action::Open, "cash application"),
                (Action::Print, "statement (reminder)"),
                (Action::Search, "filter"),
                if self.filter.trimmed().is_empty() {
                    (Action::Back, "back")
                } else {
                    (Action::Back, "clear the filter")
                },
                (Action::Help, "keys"),
            ],
            Focus::Filter => vec![
                (Action::Submit, "apply the filter"),
                (Action::Cancel, "clear the filter"),
                (Action::Help, "keys"),
            ],
        }
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        let rows = self.rows(ctx);
        self.follow(&rows);
        let current = rows.get(self.selected).cloned();
        let current = current.as_ref();
        match (self.focus, input) {
            // A filter kept is cleared first (the whole list again), as
            // on the exception queue and the finance views.
            (Focus::List, Input::Action(Action::Back | Action::Cancel))
                if !self.filter.trimmed().is_empty() =>
            {
                self.filter = TextField::default();
                self.selected = 0;
                Flow::Stay
            }
            (Focus::List, Input::Action(Action::Back | Action::Cancel)) => Flow::Pop,
            (Focus::List, Input::Action(Action::Open | Action::Submit)) => match current {
                Some(c) => Flow::Push(Box::new(
                    super::cash_application::CashApplication::for_customer(
                        ctx,
                        &c.suggestion.customer,
                    ),
                )),
                None => Flow::Stay,
            },
            (Focus::List, Input::Action(Action::Print)) => match current {
                Some(c) => Flow::Print(vec![crate::docs::print::PrintRequest::new(
                    crate::docs::DocKind::Statement,
                    &c.suggestion.customer,
                    ctx.today(),
                )]),
                None => Flow::Stay,
            },
            (Focus::List, Input::Action(Action::Search)) => {
                self.focus = Focus::Filter;
                Flow::Stay
            }
            (Focus::List, Input::Action(a)) => {
                self.selected = moved(self.selected, rows.len(), a, self.page);
                self.at = None;
                self.follow(&rows);
                Flow::Stay
            }
            (Focus::List, Input::Char(c)) => {
                self.focus = Focus::Filter;
                self.filter = TextField::new(&c.to_string());
                self.selected = 0;
                self.at = None;
                Flow::Stay
            }
            (Focus::Filter, input) => {
                let key = self.filter.filter_key(input);
                if key.changed {
                    self.selected = 0;
                    self.at = None;
                }
                if key.back {
                    self.focus = Focus::List;
                }
                Flow::Stay
            }
        }
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let sugg = ctx.backend.suggestions();
        let mut rows = self.all_rows(ctx);
        let said = match &sugg {
            None => "the models are training: the worklist shows once they are done".to_string(),
            Some(_) => header(&rows),
        };
        rows.truncate(LIST_MAX);
        self.follow(&rows);
        let [head, list, detail] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Min(3),
            Constraint::Length(4),
        ])
        .areas(area);
        let w = area.width as usize;
        let columns = format!(
            "   {:>3} {:<10} {:<8} {:<10} {:>13} {:>7} {:>10}",
            "#", "invoice", "customer", "due", "open", "p(late)", "score"
        );
        // The training's age read whole ("... 3 records and 0 min
        // behind" was cut at 80 columns): the filter field gives way to
        // it, down to 12 columns.
        let trained = sugg
            .as_ref()
            .map(|m| format!("  trained on {}", m.short(ctx.view.seq, ctx.now)))
            .unwrap_or_default();
        let field = w
            .saturating_sub(8 + trained.chars().count())
            .clamp(12, 24)
            .min(w.saturating_sub(8));
        f.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(fit(&said, w), theme.label())),
                Line::from(vec![
                    Span::styled("filter ", theme.label()),
                    self.filter.span(self.focus == Focus::Filter, field, theme),
                    Span::styled(fit(&trained, w.saturating_sub(8 + field)), theme.dim()),
                ]),
                Line::from(Span::styled(fit(&columns, w), theme.dim())),
            ]),
            head,
        );
        self.page = list.height.saturating_sub(2).max(1) as usize;
        let items: Vec<ListItem> = rows
            .iter()
            .map(|r| {
                ListItem::new(Line::from(fit(
                    &format!(
                        "{:>3} {:<10} {:<8} {:<10} {:>13} {:>7} {:>10}",
                        r.rank,
                        fit(&r.suggestion.invoice, 10),
                        fit(&r.suggestion.customer, 8),
                        r.due.to_string(),
                        money(r.open),
                        p_late_column(r),
                        format!("{:.2}", r.suggestion.score),
                    ),
                    w,
                )))
            })
            .collect();
        let empty = items.is_empty();
        let mut st = ListState::default().with_selected(if empty {
            None
        } else {
            Some(self.selected.min(rows.len() - 1))
        });
        let title = if empty {
            " nothing to chase ".to_string()
        } else {
            " most worth chasing first ".to_string()
        };
        f.render_stateful_widget(
            List::new(items)
                .block(Block::bordered().title(title))
                .highlight_style(theme.selected())
                .highlight_symbol("> "),
            list,
            &mut st,
        );
        let mut lines = Vec::new();
        if let Some(r) = st.selected().and_then(|i| rows.get(i)) {
            let days = (ctx.today() - r.due).num_days();
            let plural = if days.abs() == 1 { "" } else { "s" };
            let when = match days {
                0 => "due today".to_string(),
                d if d > 0 => format!("{days} day{plural} past due"),
                _ => format!("due in {} day{plural}", -days),
            };
            // What of it is disputed is worked as a dispute, not chased.
            let disputed = ctx
                .state()
                .invoices
                .get(&r.suggestion.invoice.to_code())
                .filter(|i| i.disputed > Decimal::ZERO)
                .map(|i| format!(" ({} {} disputed)", money(i.disputed), i.currency))
                .unwrap_or_default();
            lines.push(Line::from(fit(
                &format!(
                    "{} of {} {}: {} {} open{disputed}, {when}",
                    r.suggestion.invoice,
                    r.suggestion.customer,
                    r.name,
                    money(r.open),
                    r.currency
                ),
                w,
            )));
            let because: Vec<String> = r
                .suggestion
                .reasons
                .iter()
                .map(|(what, n)| format!("{what} {n}"))
                .collect();
            lines.extend(
                wrap_items("because", &because, ";", w)
                    .into_iter()
                    .map(Line::from),
            );
            lines.push(Line::from(Span::styled(
                "Enter opens the customer's cash application; ctrl-p prints their statement",
                theme.dim(),
            )));
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), detail);
    }
}
