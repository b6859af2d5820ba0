//! Order inquiry: find an order (number, customer code or name; newest
//! first) and see its whole life on one page: lines with reserved,
//! backordered and promised, holds, pick lists and cartons, shipments
//! with carrier and tracking, invoices with what is open, payments and
//! credit memos, and who did what when (read from the event log). Enter
//! on an order drills to the journal lines its documents posted.
//! Refreshes live when another session changes the order.

use crate::core::code::Joined;
use crate::core::sales::OrderStatus;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::State;
use crate::query::order::{
    archived_life, order_history, order_journals, order_life, HistoryRow, JournalOf, OrderLife,
};
use crate::query::{money, qty};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Screen};
use crate::ui::theme::Theme;
use crate::ui::widgets::{fit, moved, TextField};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};
use ratatui::Frame;

/// Most orders listed.
const LIST_MAX: usize = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Filter,
    List,
    Detail,
    /// The journal lines of the order's documents.
    Journal,
}

/// An order's history and journals as read from the log, kept until the
/// order or the view changes.
struct History {
    order: String,
    seq: u64,
    rows: Vec<HistoryRow>,
    journals: Vec<JournalOf>,
    /// Records of the order the backend could not return.
    missing: usize,
}

pub struct OrderInquiry {
    pub filter: TextField,
    pub focus: Focus,
    pub selected: usize,
    pub scroll: u16,
    /// Order numbers listed, cached by (view seq, filter).
    rows: Option<(u64, String, Vec<String>)>,
    page: usize,
    history: Option<History>,
    /// Opened on one order from another screen (`for_order`, `drilled`):
    /// back (Esc) from the order returns to that screen at once, not to
    /// a list of the orders its number matches.
    opened_on: bool,
    /// Opened by a drill from the finance views: back (Esc, F3, F12) from
    /// the order returns there, and its keys are that drill's
    /// (`[screen.finance_order]`, where F3 is back, not exit).
    drilled: bool,
}

impl Default for OrderInquiry {
    fn default() -> Self {
        OrderInquiry::new()
    }
}

impl OrderInquiry {
    pub fn new() -> OrderInquiry {
        OrderInquiry {
            filter: TextField::default(),
            focus: Focus::Filter,
            selected: 0,
            scroll: 0,
            rows: None,
            page: 10,
            history: None,
            opened_on: false,
            drilled: false,
        }
    }

    /// Opened on one order (the exception queue's Enter), or on the
    /// order of a document (an invoice number finds its order): the
    /// number typed into the filter, the order shown. Back (Esc) from
    /// it returns to where it was opened from, as the item lookup's
    /// `for_sku` does.
    pub fn for_order(number: &str) -> OrderInquiry {
        let mut o = OrderInquiry::new();
        o.filter = TextField::new(number);
        o.focus = Focus::Detail;
        o.opened_on = true;
        o
    }

    /// Opened on one order by a drill from the finance views (a GL line,
    /// an open item): back from the order is back to the drill.
    pub fn drilled(number: &str) -> OrderInquiry {
        let mut o = OrderInquiry::for_order(number);
        o.drilled = true;
        o
    }

    /// The open order's history, read from the log once per order and
    /// view (a handful of records: O(records of the order)).
    /// `s`: the state, or the view of it with an archived order put back.
    fn history(&mut self, ctx: &Ctx, s: &State, number: &str) -> &History {
        if !matches!(&self.history, Some(h) if h.order == number && h.seq == ctx.view.seq) {
            self.history = None;
        }
        self.history.get_or_insert_with(|| {
            let seqs = s
                .order_history
                .get(&number.to_code())
                .cloned()
                .unwrap_or_default();
            let records = ctx.backend.records(&seqs);
            History {
                order: number.to_string(),
                seq: ctx.view.seq,
                rows: order_history(s, number, &records),
                journals: order_journals(s, number, &records),
                missing: seqs.len().saturating_sub(records.len()),
            }
        })
    }

    fn rows(&mut self, ctx: &Ctx) -> Vec<String> {
        let f = self.filter.trimmed().to_lowercase();
        let fresh = matches!(&self.rows, Some((seq, q, _)) if *seq == ctx.view.seq && *q == f);
        if !fresh {
            let s = ctx.state();
            // An invoice, shipment or pick list number finds its orders.
            let upper = f.to_uppercase();
            let mut by_doc: Vec<Code> = s
                .invoices
                .get(&upper.to_code())
                .map(|i| i.lines.iter().map(|l| l.order.clone()).collect())
                .or_else(|| {
                    s.shipments
                        .get(&upper.to_code())
                        .map(|sh| vec![sh.order.clone()])
                })
                .or_else(|| s.picks.get(&upper.to_code()).map(|p| vec![p.order.clone()]))
                .unwrap_or_default();
            // An archived order is found by its number (issue 21), or by
            // the number of a document archived with it (asked of the
            // archive once per filter: the rows are kept until it changes).
            if s.archived_orders.contains(upper.as_str()) {
                by_doc.push(upper.as_str().into());
            } else if by_doc.is_empty() && names_a_document(&upper) {
                by_doc.extend(ctx.backend.archived_order_of(&upper));
            }
            by_doc.sort();
            by_doc.dedup();
            // The customers the filter names (by code or name), found
            // once: each of 200,000 orders is then a set lookup, not two
            // lower-casings and a map lookup per keystroke.
            let who: std::collections::HashSet<&str> = if f.is_empty() {
                Default::default()
            } else {
                s.customers
                    .values()
                    .filter(|c| contains_folded(&c.code, &f) || contains_folded(&c.name, &f))
                    .map(|c| c.code.as_str())
                    .collect()
            };
            let rows: Vec<String> = by_doc
                .iter()
                .rev()
                .cloned()
                .chain(
                    s.orders
                        .greatest(LIST_MAX, |o| {
                            (f.is_empty()
                                || contains_folded(&o.number, &f)
                                || who.contains(o.customer.as_str()))
                                && !by_doc.contains(&o.number)
                        })
                        .into_iter()
                        .map(|(n, _)| n.clone()),
                )
                .take(LIST_MAX)
                .map(|n| n.to_string())
                .collect();
            self.rows = Some((ctx.view.seq, f, rows));
        }
        self.rows.as_ref().map(|r| r.2.clone()).unwrap_or_default()
    }
}

impl Screen for OrderInquiry {
    fn name(&self) -> &'static str {
        if self.drilled {
            "finance_order"
        } else {
            "order_inquiry"
        }
    }
    fn title(&self) -> String {
        "order inquiry".into()
    }
    fn context(&self) -> Context {
        match self.focus {
            Focus::Filter => Context::Input,
            _ => Context::List,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        match self.focus {
            Focus::Filter => vec![
                (Action::Submit, "list"),
                (Action::Down, "next order"),
                (Action::Cancel, "clear / back"),
                (Action::Help, "keys"),
            ],
            Focus::List => vec![
                (Action::Open, "open order"),
                (Action::Search, "filter"),
                (Action::Back, "back"),
                (Action::Help, "keys"),
            ],
            Focus::Detail => vec![
                (Action::Open, "journal lines"),
                (Action::Down, "scroll"),
                (
                    Action::Back,
                    if self.opened_on {
                        "back"
                    } else {
                        "back to list"
                    },
                ),
                (Action::Help, "keys"),
            ],
            Focus::Journal => vec![
                (Action::Down, "scroll"),
                (Action::Back, "back to order"),
                (Action::Help, "keys"),
            ],
        }
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        let rows = self.rows(ctx);
        let n = rows.len();
        match (self.focus, input) {
            (Focus::Filter, Input::Action(Action::Submit)) => {
                // An order number, or a document of exactly one order,
                // opens it.
                let exact = rows
                    .iter()
                    .position(|r| r.eq_ignore_ascii_case(self.filter.trimmed()))
                    .or_else(|| {
                        let upper = self.filter.trimmed().to_uppercase();
                        let s = ctx.state();
                        // In memory, or an archived order its document
                        // found (the only row).
                        let one = s.invoices.contains_key(&upper.to_code())
                            || s.shipments.contains_key(&upper.to_code())
                            || s.picks.contains_key(&upper.to_code())
                            || (names_a_document(&upper)
                                && rows
                                    .first()
                                    .is_some_and(|r| s.archived_orders.contains(r.as_str())));
                        (one && n == 1).then_some(0)
                    });
                match exact {
                    Some(i) => {
                        self.selected = i;
                        self.focus = Focus::Detail;
                        self.scroll = 0;
                    }
                    None if n > 0 => self.focus = Focus::List,
                    None => {}
                }
            }
            (Focus::Filter, Input::Action(Action::Cancel)) => {
                if self.filter.text.is_empty() {
                    return Flow::Pop;
                }
                self.filter.take();
                self.selected = 0;
            }
            (
                Focus::Filter,
                Input::Action(a @ (Action::Down | Action::Up | Action::PageDown | Action::PageUp)),
            ) => {
                self.focus = Focus::List;
                self.selected = moved(self.selected, n, a, self.page);
            }
            (Focus::Filter, other) if self.filter.edit(other) => self.selected = 0,
            (Focus::List, Input::Action(Action::Open)) if n > 0 => {
                self.focus = Focus::Detail;
                self.scroll = 0;
            }
            (Focus::List, Input::Action(Action::Search)) => {
                // A new search, as in the lookups.
                self.focus = Focus::Filter;
                self.filter.take();
                self.selected = 0;
            }
            (Focus::List, Input::Action(Action::Back)) => return Flow::Pop,
            (Focus::List, Input::Action(a)) => {
                self.selected = moved(self.selected, n, a, self.page)
            }
            (Focus::List, Input::Char(c)) => {
                self.focus = Focus::Filter;
                self.filter = TextField::new(&c.to_string());
                self.selected = 0;
            }
            (Focus::Detail, Input::Action(Action::Back | Action::Cancel)) if self.opened_on => {
                return Flow::Pop;
            }
            (Focus::Detail, Input::Action(Action::Back | Action::Cancel)) => {
                self.focus = if n > 0 { Focus::List } else { Focus::Filter };
            }
            (Focus::Detail, Input::Action(Action::Open | Action::Submit)) => {
                self.focus = Focus::Journal;
                self.scroll = 0;
            }
            (Focus::Journal, Input::Action(Action::Back | Action::Cancel)) => {
                self.focus = Focus::Detail;
                self.scroll = 0;
            }
            (Focus::Detail | Focus::Journal, Input::Action(Action::Down)) => {
                self.scroll = self.scroll.saturating_add(1)
            }
            (Focus::Detail | Focus::Journal, Input::Action(Action::Up)) => {
                self.scroll = self.scroll.saturating_sub(1)
            }
            (Focus::Detail | Focus::Journal, Input::Action(Action::PageDown)) => {
                self.scroll = self.scroll.saturating_add(self.page as u16)
            }
            (Focus::Detail | Focus::Journal, Input::Action(Action::PageUp)) => {
                self.scroll = self.scroll.saturating_sub(self.page as u16)
            }
            (Focus::Detail | Focus::Journal, Input::Action(Action::Top)) => self.scroll = 0,
            _ => {}
        }
        Flow::Stay
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let rows = self.rows(ctx);
        self.selected = self.selected.min(rows.len().saturating_sub(1));
        let theme = ctx.theme;
        let s = ctx.state();
        let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        self.page = rest.height.saturating_sub(2).max(1) as usize;
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("/ ", theme.label()),
                self.filter.span(self.focus == Focus::Filter, 20, theme),
                Span::styled(
                    format!(
                        "  order, customer, invoice, shipment, pick list  {} listed",
                        rows.len()
                    ),
                    theme.dim(),
                ),
            ])),
            top,
        );
        if matches!(self.focus, Focus::Detail | Focus::Journal) {
            let number = rows.get(self.selected).cloned().unwrap_or_default();
            let journal = self.focus == Focus::Journal;
            // An order not in memory is read from the archive.
            let found = match order_life(s, &number) {
                Some(life) => Some((None, life)),
                None if s.archived_orders.contains(number.as_str()) => {
                    archived_life(s, &number, &ctx.backend.archived_order(&number))
                        .map(|(view, life)| (Some(view), life))
                }
                None => None,
            };
            let lines = match found {
                Some((view, life)) => {
                    let s = view.as_ref().unwrap_or(s);
                    let h = self.history(ctx, s, &number);
                    if journal {
                        journal_lines(s, &life, h, theme)
                    } else {
                        let mut out = life_lines(s, &life, theme, rest.width >= 100);
                        // The late-shipment model's prediction, with its
                        // factors, under the status (issue 23).
                        for (i, line) in risk_lines(ctx, &number).into_iter().enumerate() {
                            out.insert((3 + i).min(out.len()), line);
                        }
                        out.extend(history_lines(h, theme));
                        out
                    }
                }
                None if s.archived_orders.contains(number.as_str()) => {
                    vec![Line::from(format!(
                        "order {number} is archived, but the archive cannot return it"
                    ))]
                }
                None => vec![Line::from("no such order")],
            };
            // Never scroll past the last page.
            let last = lines
                .len()
                .saturating_sub(rest.height.saturating_sub(1) as usize);
            self.scroll = self.scroll.min(last as u16);
            f.render_widget(
                Paragraph::new(lines)
                    .scroll((self.scroll, 0))
                    .block(Block::new().borders(Borders::TOP)),
                rest,
            );
            return;
        }
        let w = rest.width as usize;
        // The orders as shown, or an archived number.
        struct Shown<'a> {
            o: &'a crate::core::sales::SalesOrder,
            name: &'a str,
            value: String,
            status: String,
        }
        let shown: Vec<Result<Shown, &str>> = rows
            .iter()
            .filter_map(|n| match s.orders.get(&n.to_code()) {
                Some(o) => Some(Ok(Shown {
                    o,
                    name: s
                        .customers
                        .get(&o.customer)
                        .map(|c| c.name.as_str())
                        .unwrap_or(""),
                    value: money(o.value(), &o.currency),
                    status: status(s, o),
                })),
                None if s.archived_orders.contains(n.as_str()) => Some(Err(n.as_str())),
                None => None,
            })
            .collect();
        // The value and the status as wide as they are here; the name
        // takes what is left (at least 12), so a status such as
        // "HELD: credit hold" is read whole at 80 columns.
        let shown_ok = || shown.iter().flatten();
        let value_w = shown_ok()
            .map(|r| r.value.chars().count())
            .max()
            .unwrap_or(0)
            .max(9);
        let status_w = shown_ok()
            .map(|r| r.status.chars().count())
            .max()
            .unwrap_or(0);
        let name_w = w
            .saturating_sub(10 + 1 + 10 + 1 + 7 + 1 + 1 + value_w + 1 + status_w)
            .clamp(12, 30);
        let items: Vec<ListItem> = shown
            .iter()
            .map(|r| match r {
                Err(n) => ListItem::new(fit(
                    &format!("{n:<10} archived (Enter reads it from the archive)"),
                    w,
                )),
                Ok(r) => ListItem::new(fit(
                    &format!(
                        "{:<10} {} {:<7} {:<name_w$} {:>value_w$} {}",
                        r.o.number,
                        r.o.date,
                        r.o.customer,
                        fit(r.name, name_w),
                        r.value,
                        r.status,
                    ),
                    w,
                )),
            })
            .collect();
        let mut st = ListState::default();
        if !rows.is_empty() {
            st.select(Some(self.selected));
        }
        f.render_stateful_widget(
            List::new(items)
                .block(Block::new().borders(Borders::TOP))
                .highlight_style(theme.selected()),
            rest,
            &mut st,
        );
    }
}

/// Where an order stands, in a word or two (with its pick lists).
pub fn status(s: &State, o: &crate::core::sales::SalesOrder) -> String {
    let word = base_status(o);
    if word != "open" {
        return word;
    }
    let lists: Vec<_> = s
        .index
        .picks_by_order
        .get(&o.number)
        .into_iter()
        .flatten()
        .filter_map(|p| s.picks.get(p))
        .filter(|p| p.status == crate::core::warehouse::PickStatus::Open)
        .collect();
    if lists.iter().any(|p| !p.cartons.is_empty()) {
        "packed".into()
    } else if lists.iter().any(|p| {
        p.lines
            .iter()
            .any(|l| l.picked > rust_decimal::Decimal::ZERO)
    }) {
        "picked".into()
    } else if !lists.is_empty() {
        "released".into()
    } else {
        word
    }
}

fn base_status(o: &crate::core::sales::SalesOrder) -> String {
    let live = o.lines.iter().filter(|l| !l.cancelled);
    let (mut ordered, mut shipped, mut back) = (0i64, 0i64, false);
    for l in live {
        ordered += 1;
        if l.shipped >= l.qty {
            shipped += 1;
        }
        back |= l.backordered > rust_decimal::Decimal::ZERO;
    }
    match o.status {
        OrderStatus::Quote => "quote".into(),
        OrderStatus::Cancelled => "cancelled".into(),
        OrderStatus::Held => format!(
            "HELD: {}",
            o.holds
                .iter()
                .map(|h| h.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        OrderStatus::Open if ordered > 0 && shipped == ordered => "shipped".into(),
        OrderStatus::Open if back => "backordered".into(),
        OrderStatus::Open if shipped > 0 => "part shipped".into(),
        OrderStatus::Open => "open".into(),
    }
}

/// The order's predicted late-shipment risk and its factors (two lines
/// that fit 80 columns), when the models' last training found it open
/// and unshipped.
fn risk_lines(ctx: &Ctx, number: &str) -> Vec<Line<'static>> {
    let Some(sugg) = ctx.backend.suggestions() else {
        return Vec::new();
    };
    let Some(r) = sugg.late_for(number) else {
        return Vec::new();
    };
    let open = ctx.state().orders.get(&number.to_code()).is_some_and(|o| {
        o.status == OrderStatus::Open && o.lines.iter().all(|l| l.shipped.is_zero())
    });
    if !open {
        return Vec::new();
    }
    let factors = r
        .reasons
        .iter()
        .map(|(what, n)| format!("{what} {}", n.replace(" log-odds)", ")")))
        .collect::<Vec<_>>()
        .join("; ");
    let style = if r.p_late >= crate::ui::model_worker::LATE_QUEUE_MIN {
        ctx.theme.error()
    } else {
        ctx.theme.dim()
    };
    vec![
        Line::from(Span::styled(
            format!(
                "late risk (predicted) {:.0}%, adding most to its log-odds:",
                r.p_late * 100.0
            ),
            style,
        )),
        Line::from(Span::styled(format!("  {factors}"), style)),
    ]
}

/// One order's life; `wide` from 100 columns (the line table takes every
/// column), else laid out to fit 80.
fn life_lines(s: &State, life: &OrderLife, theme: Theme, wide: bool) -> Vec<Line<'static>> {
    let o = &life.order;
    let c = &o.currency;
    let name = s
        .customers
        .get(&o.customer)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let h = |t: &str| Line::from(Span::styled(t.to_string(), theme.label()));
    let mut out = vec![
        Line::from(vec![
            Span::styled(format!("{} ", o.number), theme.good()),
            Span::raw(format!("{} {}", o.customer, name)),
            Span::styled(
                if life.archived {
                    "  ARCHIVED (read from the archive)"
                } else {
                    ""
                },
                theme.dim(),
            ),
        ]),
        Line::from(format!(
            "placed {} by {}  requested {}  customer PO {}",
            o.date,
            o.placed_by,
            o.requested,
            if o.customer_po.is_empty() {
                "-"
            } else {
                &o.customer_po
            }
        )),
        Line::from(vec![
            Span::styled("status ", theme.label()),
            Span::styled(
                status(s, o),
                if o.status == OrderStatus::Held {
                    theme.error()
                } else {
                    theme.good()
                },
            ),
            Span::raw(format!(
                "   ship via {} {}",
                o.carrier.clone().unwrap_or_else(|| "-".into()),
                o.service.clone().unwrap_or_default()
            )),
        ]),
        {
            let (goods, tax) = crate::core::sales::order_totals(s, o);
            Line::from(format!(
                "goods {}  tax {}  total {} {c}{}",
                money(goods, c),
                money(tax, c),
                money(goods + tax, c),
                if o.lines
                    .iter()
                    .any(|l| l.shipped > rust_decimal::Decimal::ZERO)
                {
                    "  (freight: on the shipments)"
                } else {
                    ""
                }
            ))
        },
    ];
    if o.status == OrderStatus::Held {
        let who = crate::ui::screens::order_entry::releasers(s, o).joined(", ");
        out.push(Line::from(Span::styled(
            format!(
                "{} can release or reject the {}",
                if who.is_empty() {
                    "nobody active"
                } else {
                    &who
                },
                o.holds
                    .iter()
                    .map(|h| h.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            theme.error(),
        )));
    }
    // Quantities and prices in the unit sold; picked and shipped in base
    // units (what the warehouse counts).
    out.push(h(if wide {
        " #  SKU        wh       qty  unit      price    reserved backord. promise    picked shipped"
    } else {
        " #  SKU            qty unit      price  resvd  b/ord promise  picked  shipd"
    }));
    for l in &o.lines {
        let per_unit = if l.unit_qty.is_zero() {
            l.price
        } else {
            (l.price * l.qty / l.unit_qty).round_dp(4)
        };
        let promise = l
            .promise
            .filter(|_| l.backordered > rust_decimal::Decimal::ZERO && !l.cancelled)
            .map(|d| {
                if wide {
                    d.to_string()
                } else {
                    d.format("%m-%d").to_string()
                }
            })
            .unwrap_or_else(|| "-".into());
        let line = if l.cancelled && wide {
            // In the columns of the others: its warehouse cell kept.
            format!(
                "{:>2}  {:<10} {:<4} {:>7} {:<5} {:>10}  CANCELLED",
                l.line,
                l.sku,
                l.warehouse,
                qty(l.unit_qty),
                l.unit,
                crate::query::unit_price(per_unit, c)
            )
        } else if l.cancelled {
            format!(
                "{:>2}  {:<10} {:>7} {:<5} {:>10}  CANCELLED",
                l.line,
                l.sku,
                qty(l.unit_qty),
                l.unit,
                crate::query::unit_price(per_unit, c)
            )
        } else if wide {
            format!(
                "{:>2}  {:<10} {:<4} {:>7} {:<5} {:>10} {:>9} {:>8} {:<10} {:>6} {:>7}",
                l.line,
                l.sku,
                l.warehouse,
                qty(l.unit_qty),
                l.unit,
                crate::query::unit_price(per_unit, c),
                qty(l.reserved),
                qty(l.backordered),
                promise,
                qty(l.picked),
                qty(l.shipped),
            )
        } else {
            format!(
                "{:>2}  {:<10} {:>7} {:<5} {:>10} {:>6} {:>6} {:<7} {:>6} {:>6}",
                l.line,
                fit(&l.sku, 10),
                qty(l.unit_qty),
                fit(&l.unit, 5),
                crate::query::unit_price(per_unit, c),
                qty(l.reserved),
                qty(l.backordered),
                promise,
                qty(l.picked),
                qty(l.shipped),
            )
        };
        // What the line is: at the end of a wide row, else under it.
        let what = s
            .items
            .get(&l.sku)
            .map(|i| i.description.to_string())
            .unwrap_or_default();
        let line = if wide && !what.is_empty() {
            format!("{line}  {what}")
        } else {
            line
        };
        out.push(if l.cancelled {
            Line::from(Span::styled(line, theme.dim()))
        } else {
            Line::from(line)
        });
        // Narrow, the row under it names the warehouse the line ships
        // from too (the columns have no room for it, and a line from
        // another warehouse was not told apart).
        if !wide {
            out.push(Line::from(Span::styled(
                format!("    {:<4} {what}", l.warehouse),
                theme.dim(),
            )));
        }
    }
    if life.order.carrier.as_deref() == Some(crate::core::counter::WILL_CALL.0) {
        out.push(h("will-call"));
        out.push(Line::from(match &life.deposit {
            Some(d) => format!(
                "  collected at the counter; deposit {} of {} held ({})",
                money(d.remaining, c),
                money(d.taken, c),
                d.receipts.joined(", ")
            ),
            None => "  collected at the counter; no deposit held".to_string(),
        }));
    }
    if let Some(p) = &life.policy {
        out.push(h("channel policy"));
        out.extend(p.lines().into_iter().map(|l| Line::from(format!("  {l}"))));
    }
    if !life.picks.is_empty() {
        out.push(h("pick lists"));
        for p in &life.picks {
            out.push(Line::from(format!(
                "  {} {} {:?}  {}  {}{}",
                p.number,
                p.warehouse,
                p.status,
                crate::ui::widgets::counted(p.lines.len(), "line"),
                crate::ui::widgets::counted(p.cartons.len(), "carton"),
                p.wave
                    .as_ref()
                    .map(|w| format!("  wave {w}"))
                    .unwrap_or_default()
            )));
        }
    }
    if !life.shipments.is_empty() {
        out.push(h("shipments"));
        for sh in &life.shipments {
            out.push(Line::from(format!(
                "  {} {} {} {}  {}",
                sh.number,
                sh.date,
                sh.carrier,
                sh.service,
                sh.invoice
                    .as_ref()
                    .map(|i| format!("invoiced {i}"))
                    .unwrap_or_else(|| "NOT INVOICED".into())
            )));
            out.push(Line::from(format!(
                "      tracking {}  freight {}",
                if sh.tracking.is_empty() {
                    "-"
                } else {
                    &sh.tracking
                },
                money(sh.freight, c),
            )));
        }
    }
    if !life.invoices.is_empty() {
        out.push(h("invoices"));
        for i in &life.invoices {
            out.push(Line::from(format!(
                "  {} {} due {}  total {}  open {} {}",
                i.number,
                i.date,
                i.due,
                money(i.total, &i.currency),
                money(i.open, &i.currency),
                i.currency
            )));
        }
    }
    if !life.receipts.is_empty() {
        out.push(h("payments"));
        for r in &life.receipts {
            // What went to this order's invoices, not the whole receipt
            // (a cheque paying several orders lists here with its part).
            let mine: Vec<_> = r
                .applications
                .iter()
                .filter(|a| life.invoices.iter().any(|i| i.number == a.invoice))
                .collect();
            let applied: rust_decimal::Decimal = mine.iter().map(|a| a.amount).sum();
            let off: rust_decimal::Decimal = mine.iter().map(|a| a.discount + a.write_off).sum();
            let part = if applied == r.amount {
                money(r.amount, c)
            } else {
                format!("{} of {}", money(applied, c), money(r.amount, c))
            };
            let off = if off.is_zero() {
                String::new()
            } else {
                format!(" (+{} discount/written off)", money(off, c))
            };
            out.push(Line::from(format!(
                "  {} {} {:?} {part}{off} {}",
                r.number, r.date, r.method, r.reference
            )));
        }
    }
    if !life.credit_memos.is_empty() {
        out.push(h("credit memos"));
        for m in &life.credit_memos {
            out.push(Line::from(format!(
                "  {} {} RMA {} total {}",
                m.number,
                m.date,
                m.rma,
                money(m.total, &m.currency)
            )));
        }
    }
    out
}

/// Who did what when: one line per record, then what it did to the order.
fn history_lines(h: &History, theme: Theme) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(Span::styled(
        "history (who, when, what; Enter: journal lines)".to_string(),
        theme.label(),
    ))];
    for r in &h.rows {
        out.push(Line::from(vec![
            Span::styled(
                format!("  {} ", r.time.format("%Y-%m-%d %H:%M")),
                theme.dim(),
            ),
            Span::raw(format!("{:<8} {}  #{}", r.operator, r.command, r.seq)),
        ]));
        for w in &r.what {
            out.push(Line::from(format!("      {w}")));
        }
    }
    if h.missing > 0 {
        out.push(Line::from(Span::styled(
            format!(
                "  {} records of this order could not be read from the log",
                h.missing
            ),
            theme.error(),
        )));
    }
    out
}

/// The journal entries the order's documents posted, line by line with
/// the account's name, and their totals.
fn journal_lines(s: &State, life: &OrderLife, h: &History, theme: Theme) -> Vec<Line<'static>> {
    let o = &life.order;
    let mut out = vec![Line::from(vec![
        Span::styled(format!("{} ", o.number), theme.good()),
        Span::raw(format!(
            "journal lines of its documents ({} {})",
            h.journals.len(),
            if h.journals.len() == 1 {
                "entry"
            } else {
                "entries"
            }
        )),
    ])];
    if h.journals.is_empty() {
        out.push(Line::from(
            "nothing posted yet: shipments, invoices, payments and returns post",
        ));
    }
    for j in &h.journals {
        let e = &j.entry;
        let ccy = s
            .entities
            .get(&e.entity)
            .map(|x| x.base_currency.clone())
            .unwrap_or_else(|| o.currency.clone());
        out.push(Line::from(Span::styled(
            format!(
                "#{} {} {} {} period {}  {}",
                j.seq, e.date, e.entity, e.doc, e.period, e.memo
            ),
            theme.label(),
        )));
        for l in &e.lines {
            let name = s
                .accounts
                .get(&(e.entity.clone(), l.account.clone()))
                .map(|a| a.name.clone())
                .unwrap_or_default();
            out.push(Line::from(format!(
                "  {:<6} {:<26} {:>12} {:>12} {}",
                l.account,
                fit(&name, 26),
                if l.debit.is_zero() {
                    String::new()
                } else {
                    money(l.debit, &ccy)
                },
                if l.credit.is_zero() {
                    String::new()
                } else {
                    money(l.credit, &ccy)
                },
                l.sub.clone().unwrap_or_default()
            )));
        }
        out.push(Line::from(Span::styled(
            format!(
                "  {:<33} {:>12} {:>12} {ccy}",
                "",
                money(e.debits(), &ccy),
                money(e.credits(), &ccy)
            ),
            theme.dim(),
        )));
    }
    out
}

/// Whether `text` contains `lower` (already lower case), comparing ASCII
/// without allocating; other text is lower-cased first.
fn contains_folded(text: &str, lower: &str) -> bool {
    if !text.is_ascii() || !lower.is_ascii() {
        return text.to_lowercase().contains(lower);
    }
    let (t, n) = (text.as_bytes(), lower.as_bytes());
    n.is_empty()
        || t.windows(n.len())
            .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

/// A pick list, shipment, invoice or receipt number (upper case): what
/// the archive is asked for when memory has no such document.
fn names_a_document(upper: &str) -> bool {
    ["PK-", "SH-", "IN-", "RC-"]
        .iter()
        .any(|p| upper.starts_with(p))
}
