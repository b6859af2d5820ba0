//! Invoicing (issue 23): the shipments not invoiced yet, and for the one
//! chosen, the invoice as it would post (drafted by the core itself on a
//! copy of the view: nothing is committed) checked before it posts:
//! against the order and the customer's contract (`check_documents`) and
//! against what this customer's invoices usually say (the price they pay
//! for the item, the quantity shipped, their tax rate: the discrepancy
//! model, learned in the background by the models' worker). Each finding
//! shows with its numbers; the person posts (F10, then yes) or goes back.
//! Nothing posts without that confirmation.

use crate::core::billing::Invoice;
use crate::core::{CommandBody, Event, State};
use crate::models::discrepancy::{check_documents, Draft};
use crate::models::Reasons;
use crate::query::format_amount;

/// An amount with cents, thousands separated.
fn money(d: rust_decimal::Decimal) -> String {
    format_amount(d, 2)
}
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{fit, moved};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

/// A shipment waiting for its invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub shipment: String,
    pub order: String,
    pub customer: String,
    pub date: chrono::NaiveDate,
}

/// The shipments not invoiced, oldest first.
pub fn waiting(s: &State) -> Vec<Waiting> {
    let mut out: Vec<Waiting> = s
        .index
        .uninvoiced
        .values()
        .flat_map(|set| set.iter())
        .filter_map(|n| s.shipments.get(n))
        .filter(|sh| sh.invoice.is_none())
        .map(|sh| Waiting {
            shipment: sh.number.to_string(),
            order: sh.order.to_string(),
            customer: sh.customer.to_string(),
            date: sh.date,
        })
        .collect();
    out.sort_by(|a, b| a.date.cmp(&b.date).then(a.shipment.cmp(&b.shipment)));
    out
}

/// An invoice drafted, before it posts, and what was found in it.
#[derive(Clone, Debug)]
pub struct Preview {
    pub shipment: String,
    pub invoice: Invoice,
    /// Against the order and the contract.
    pub documents: Reasons,
    /// Against the history (None: the model has not been trained yet).
    pub usual: Option<Reasons>,
    /// The record and age of the model's training.
    pub trained: Option<String>,
}

/// Draft the invoice of `shipment` as the core would post it, on a copy
/// of the state (pure: nothing is committed), and check it.
pub fn preview(ctx: &Ctx, shipment: &str) -> Result<Preview, String> {
    let (copy, events) = ctx.dry_run(CommandBody::InvoiceShipments {
        shipments: vec![shipment.to_string().into()],
    })?;
    let invoice = events
        .into_iter()
        .find_map(|e| match e {
            Event::Invoiced { invoice, .. } => Some(invoice),
            _ => None,
        })
        .ok_or_else(|| "the core drafted no invoice".to_string())?;
    let draft = Draft::of(&invoice);
    let documents = check_documents(&copy, &draft, invoice.date);
    let sugg = ctx.backend.suggestions();
    let usual = sugg.as_ref().map(|m| m.invoices.check(&copy, &draft));
    let trained = sugg.map(|m| m.short(ctx.view.seq, ctx.now));
    Ok(Preview {
        shipment: shipment.to_string(),
        invoice,
        documents,
        usual,
        trained,
    })
}

impl Preview {
    /// Every finding, the documents' first.
    pub fn findings(&self) -> Reasons {
        let mut all = self.documents.clone();
        for f in self.usual.iter().flatten() {
            if !all.contains(f) {
                all.push(f.clone());
            }
        }
        all
    }
}

pub struct Invoicing {
    pub selected: usize,
    page: usize,
    pub preview: Option<Preview>,
    /// The key of the posting asked for (kept until it is done).
    key: Option<String>,
    notice: Option<Notice>,
}

impl Default for Invoicing {
    fn default() -> Self {
        Invoicing::new()
    }
}

impl Invoicing {
    pub fn new() -> Invoicing {
        Invoicing {
            selected: 0,
            page: 10,
            preview: None,
            key: None,
            notice: None,
        }
    }
}

impl Screen for Invoicing {
    fn name(&self) -> &'static str {
        "invoicing"
    }
    fn title(&self) -> String {
        "invoicing".into()
    }
    fn context(&self) -> Context {
        Context::List
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        match self.preview {
            None => vec![
                (Action::Open, "draft and check"),
                (Action::Back, "back"),
                (Action::Help, "keys"),
            ],
            Some(_) => vec![
                (Action::Complete, "post the invoice"),
                (Action::Back, "back, nothing posted"),
                (Action::Help, "keys"),
            ],
        }
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        let rows = waiting(ctx.state());
        if self.preview.is_some() {
            return match input {
                Input::Action(Action::Back | Action::Cancel) => {
                    self.preview = None;
                    self.key = None;
                    Flow::Stay
                }
                Input::Action(Action::Complete) => {
                    let Some(p) = &self.preview else {
                        return Flow::Stay;
                    };
                    let n = p.findings().len();
                    let what = if n == 0 {
                        "nothing unusual found".to_string()
                    } else {
                        format!("{n} finding{}", if n == 1 { "" } else { "s" })
                    };
                    Flow::Confirm(format!(
                        "Post the invoice of {} to {}: {} {} ({what})?",
                        p.shipment,
                        p.invoice.customer,
                        money(p.invoice.total),
                        p.invoice.currency
                    ))
                }
                _ => Flow::Stay,
            };
        }
        match input {
            Input::Action(Action::Back | Action::Cancel) => Flow::Pop,
            Input::Action(Action::Open | Action::Submit) => {
                let Some(w) = rows.get(self.selected.min(rows.len().saturating_sub(1))) else {
                    return Flow::Stay;
                };
                match preview(ctx, &w.shipment) {
                    Ok(p) => {
                        self.preview = Some(p);
                        self.key = Some(ctx.new_key());
                    }
                    Err(r) => {
                        self.notice = Some(Notice::error(format!(
                            "{} cannot be invoiced: {r}",
                            w.shipment
                        )))
                    }
                }
                Flow::Stay
            }
            Input::Action(a) => {
                self.selected = moved(self.selected, rows.len(), a, self.page);
                Flow::Stay
            }
            Input::Char(_) => Flow::Stay,
        }
    }
    fn confirmed(&mut self, yes: bool, _ctx: &Ctx) -> Flow {
        let (Some(p), Some(key)) = (&self.preview, &self.key) else {
            return Flow::Stay;
        };
        if !yes {
            self.notice = Some(Notice::info("not posted"));
            return Flow::Stay;
        }
        Flow::Submit(Box::new(Request {
            key: key.clone(),
            body: CommandBody::InvoiceShipments {
                shipments: vec![p.shipment.clone().into()],
            },
        }))
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.notice = Some(match outcome {
            Submitted::Committed { events, .. } => {
                let number = events.iter().find_map(|e| match e {
                    Event::Invoiced { invoice, .. } => {
                        Some(format!("{} {}", invoice.number, money(invoice.total)))
                    }
                    _ => None,
                });
                self.preview = None;
                self.key = None;
                Notice::info(format!(
                    "invoice {} posted",
                    number.unwrap_or_else(|| "?".into())
                ))
            }
            Submitted::Refused(r) => {
                // Logged with its refusal under this key: a retry (once
                // what refused it is mended) is asked anew, not answered
                // with the old refusal.
                if self.key.is_some() {
                    self.key = Some(ctx.new_key());
                }
                Notice::error(format!("refused: {r}"))
            }
            Submitted::Stopped(e) => Notice::error(format!("not done: {e}")),
        });
        Flow::Stay
    }
    fn dirty(&self) -> bool {
        false
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let w = area.width as usize;
        if let Some(p) = &self.preview {
            let inv = &p.invoice;
            let mut lines = vec![Line::from(Span::styled(
                fit(
                    &format!(
                        "draft of {} ({}) to {}, due {}: not posted",
                        p.shipment,
                        inv.lines.first().map(|l| l.order.as_str()).unwrap_or(""),
                        inv.customer,
                        inv.due
                    ),
                    w,
                ),
                theme.label(),
            ))];
            lines.push(Line::from(Span::styled(
                fit(
                    &format!(
                        "{:>4} {:<14} {:>8} {:>12} {:>13}",
                        "line", "item", "qty", "price", "amount"
                    ),
                    w,
                ),
                theme.dim(),
            )));
            for l in inv.lines.iter().take(6) {
                lines.push(Line::from(fit(
                    &format!(
                        "{:>4} {:<14} {:>8} {:>12} {:>13}",
                        l.order_line,
                        fit(&l.sku, 14),
                        l.qty.normalize().to_string(),
                        money(l.price),
                        money(l.amount)
                    ),
                    w,
                )));
            }
            if inv.lines.len() > 6 {
                lines.push(Line::from(format!(
                    "  ... {} lines in all",
                    inv.lines.len()
                )));
            }
            let tax: rust_decimal::Decimal = inv.taxes.iter().map(|t| t.tax).sum();
            // Every rate of the invoice (a food line beside hardware is
            // taxed at two): the first alone read as the whole's.
            let rates: Vec<String> = inv
                .taxes
                .iter()
                .filter(|t| !t.tax.is_zero() || inv.taxes.len() == 1)
                .map(|t| format!("{}%", t.rate_pct))
                .collect();
            let rate = match rates.len() {
                0 => String::new(),
                _ => format!(" at {}", rates.join(" + ")),
            };
            lines.push(Line::from(fit(
                &format!(
                    "tax {}{rate}, freight {}, total {} {}",
                    money(tax),
                    money(inv.freight),
                    money(inv.total),
                    inv.currency
                ),
                w,
            )));
            lines.push(Line::from(""));
            let findings = p.findings();
            let checked = match (&p.usual, &p.trained) {
                (Some(_), Some(t)) => format!("checked: order, contract, shipment, history ({t})"),
                _ => {
                    "checked: order, contract, shipment (the history model is training)".to_string()
                }
            };
            if findings.is_empty() {
                lines.push(Line::from(Span::styled(
                    fit(&format!("nothing unusual found: {checked}"), w),
                    theme.dim(),
                )));
            } else {
                lines.push(Line::from(Span::styled(
                    fit(
                        &format!(
                            "{} finding{} before posting:",
                            findings.len(),
                            if findings.len() == 1 { "" } else { "s" }
                        ),
                        w,
                    ),
                    theme.error(),
                )));
                for (what, n) in &findings {
                    lines.push(Line::from(format!("  {what}: {n}")));
                }
                lines.push(Line::from(Span::styled(checked, theme.dim())));
            }
            lines.push(Line::from(Span::styled(
                "F10 posts it after a confirm; Esc goes back and nothing is posted",
                theme.dim(),
            )));
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
            return;
        }
        let rows = waiting(ctx.state());
        let [head, list] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(3)]).areas(area);
        f.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(
                    fit(
                        &format!(
                            "{} shipment{} not invoiced; Enter drafts one and checks it before it posts",
                            rows.len(),
                            if rows.len() == 1 { "" } else { "s" }
                        ),
                        w,
                    ),
                    theme.label(),
                )),
                Line::from(Span::styled(
                    fit(
                        &format!(
                            "   {:<12} {:<12} {:<10} {:<10}",
                            "shipment", "order", "customer", "shipped"
                        ),
                        w,
                    ),
                    theme.dim(),
                )),
            ]),
            head,
        );
        self.page = list.height.saturating_sub(2).max(1) as usize;
        let items: Vec<ListItem> = rows
            .iter()
            .map(|r| {
                ListItem::new(Line::from(fit(
                    &format!(
                        "{:<12} {:<12} {:<10} {}",
                        r.shipment, r.order, r.customer, r.date
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
        f.render_stateful_widget(
            List::new(items)
                .block(Block::bordered().title(if empty {
                    " nothing to invoice "
                } else {
                    " oldest first "
                }))
                .highlight_style(theme.selected())
                .highlight_symbol("> "),
            list,
            &mut st,
        );
    }
}
