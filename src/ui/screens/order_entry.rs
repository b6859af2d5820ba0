//! Order entry (sales rep, phone desk): a new order or quote, or a change
//! to an open one. Header: customer (F4), ship-to (space cycles), customer
//! PO, requested date, order or quote. Lines: `[qty*]code[@WH][=price]`;
//! each shows its price and rule, what would be reserved and what
//! backordered with its promise date, decided by the core on the published
//! view exactly as the commit will be. The customer's credit is always on
//! screen, and an order that would be held says why and who can release
//! it. F10 places the order (or confirms a quote). Typing an existing
//! order number in the first field opens it for change: quantities and
//! prices (`5`, `=12.50`), new lines, a line cancelled through a confirm.
//!
//! A line of a new order that stock cannot fill (part backordered) gets
//! substitutes offered under the lines (`models::substitutes`: same
//! category and attributes, free in the line's warehouse, price and
//! margin against the original's); F6 takes the first, or the one whose
//! number is typed first. Taking one changes the line's SKU on screen
//! only: the order is placed when the clerk places it.

use crate::core::auth::Permission;
use crate::core::code::Joined;
use crate::core::rejection::Rejection;
use crate::core::sales::{Hold, LineInput, OrderStatus, SalesOrder};
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::{decide, Command, CommandBody, Event, State};
use crate::models::substitutes::{substitutes, Need, Substitute};
use crate::query::{money, qty};
use crate::ui::entry::{item_qty_problem, parse_price, parse_qty, resolve, Entered, Resolved};
use crate::ui::keymap::{Action, Context};
use crate::ui::lookup::{Kind, Picked, Prompt};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{fit, TextField};
use chrono::NaiveDate;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Table, TableState};
use ratatui::Frame;
use rust_decimal::Decimal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Order,
    Customer,
    ShipTo,
    Po,
    Requested,
    Kind,
    Entry,
    Lines,
}

const HEADER: [Focus; 6] = [
    Focus::Order,
    Focus::Customer,
    Focus::ShipTo,
    Focus::Po,
    Focus::Requested,
    Focus::Kind,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ask {
    CancelLine(u32),
    RemoveLine(usize),
    Leave,
}

/// One line as the screen shows it (from the preview or the order).
#[derive(Clone, Debug, PartialEq)]
pub struct ShownLine {
    pub line: u32,
    pub sku: Code,
    pub warehouse: Code,
    pub unit: Code,
    pub unit_qty: Decimal,
    pub price: Decimal,
    pub rule: String,
    pub short_rule: String,
    pub value: Decimal,
    pub reserved: Decimal,
    pub backordered: Decimal,
    pub promise: Option<NaiveDate>,
    pub shipped: Decimal,
    pub cancelled: bool,
}

fn shown(o: &SalesOrder) -> Vec<ShownLine> {
    o.lines
        .iter()
        .map(|l| ShownLine {
            line: l.line,
            sku: l.sku.clone(),
            warehouse: l.warehouse.clone(),
            unit: l.unit.clone(),
            unit_qty: l.unit_qty,
            price: if l.unit_qty.is_zero() {
                l.price
            } else {
                (l.price * l.qty / l.unit_qty).round_dp(4).normalize()
            },
            rule: l.rule.to_string(),
            short_rule: crate::query::sale::rule_short(&l.rule),
            value: l.value(&o.currency),
            reserved: l.reserved,
            backordered: l.backordered,
            promise: l.promise,
            shipped: l.shipped,
            cancelled: l.cancelled,
        })
        .collect()
}

/// The order a new entry would place: the core's decision on the view.
fn preview(
    s: &State,
    operator: &str,
    now: chrono::DateTime<chrono::Utc>,
    body: CommandBody,
) -> Result<SalesOrder, Rejection> {
    let cmd = Command {
        operator: operator.to_string().into(),
        session: "preview".into(),
        time: now,
        key: None,
        body,
    };
    let events = decide(s, &cmd)?;
    let mut order = match events.first() {
        Some(Event::OrderPlaced(o)) => o.clone(),
        _ => return Err(Rejection::EmptyOrder),
    };
    for e in &events {
        match e {
            Event::StockReserved { line, qty, .. } => {
                if let Some(l) = order.lines.iter_mut().find(|l| l.line == *line) {
                    l.reserved += *qty;
                }
            }
            Event::Backordered {
                line, qty, promise, ..
            } => {
                if let Some(l) = order.lines.iter_mut().find(|l| l.line == *line) {
                    l.backordered += *qty;
                    l.promise = Some(*promise);
                }
            }
            _ => {}
        }
    }
    Ok(order)
}

/// Substitutes offered for a short line of a new order.
#[derive(Clone, Debug, PartialEq)]
pub struct Offer {
    /// Index of the line in the entry.
    pub index: usize,
    pub sku: Code,
    pub warehouse: Code,
    /// Base units the line is short.
    pub short: Decimal,
    pub subs: Vec<Substitute>,
}

/// Who may release a hold on `o` (the permission, and not its placer).
pub fn releasers(s: &State, o: &SalesOrder) -> Vec<Code> {
    s.operators
        .values()
        .filter(|op| {
            op.active
                && op.code != o.placed_by
                && op
                    .roles
                    .iter()
                    .any(|r| r.permissions().contains(&Permission::ReleaseHolds))
        })
        .map(|op| op.code.clone())
        .collect()
}

pub struct OrderEntry {
    pub focus: Focus,
    pub number: TextField,
    /// Change mode: the open order or quote being changed.
    pub loaded: Option<Code>,
    pub customer_field: TextField,
    pub customer: Option<Code>,
    pub ship_to: Option<Code>,
    pub po: TextField,
    pub requested: TextField,
    pub quote: bool,
    pub lines: Vec<LineInput>,
    pub entry: TextField,
    pub line_edit: TextField,
    pub selected: usize,
    pub warehouse: Code,
    key: String,
    prompt: Option<Prompt>,
    asking: Option<Ask>,
    cache: Option<(u64, usize, Result<SalesOrder, Rejection>)>,
    /// The offer for the selected line, by (seq, edits, selected).
    offer_cache: Option<((u64, usize, usize), Option<Offer>)>,
    edits: usize,
    pending: bool,
    notice: Option<Notice>,
}

impl OrderEntry {
    pub fn new(ctx: &Ctx) -> OrderEntry {
        let s = ctx.state();
        let warehouse = ctx
            .operator_record()
            .and_then(|o| o.default_warehouse.clone())
            .filter(|w| s.warehouses.contains_key(w))
            .unwrap_or_default();
        OrderEntry {
            focus: Focus::Customer,
            number: TextField::default(),
            loaded: None,
            customer_field: TextField::default(),
            customer: None,
            ship_to: None,
            po: TextField::default(),
            requested: TextField::default(),
            quote: false,
            lines: Vec::new(),
            entry: TextField::default(),
            line_edit: TextField::default(),
            selected: 0,
            warehouse,
            key: ctx.new_key(),
            prompt: None,
            asking: None,
            cache: None,
            offer_cache: None,
            edits: 0,
            pending: false,
            notice: None,
        }
    }

    fn changed(&mut self) {
        self.edits += 1;
    }

    /// The warehouse a new line ships from: the one typed, else the
    /// screen's (the operator's), else the customer's entity's first.
    fn line_warehouse(&self, s: &State, typed: Option<Code>) -> Code {
        if let Some(w) = typed {
            return w;
        }
        let entity = self
            .customer
            .as_ref()
            .and_then(|c| s.customers.get(c))
            .map(|c| c.entity.clone());
        let fits = |w: &Code| entity.is_none() || s.warehouse_entity(w) == entity.as_ref();
        if !self.warehouse.is_empty() && fits(&self.warehouse) {
            return self.warehouse.clone();
        }
        s.warehouses
            .keys()
            .find(|w| fits(w))
            .cloned()
            .unwrap_or_default()
    }

    fn requested_date(&self) -> Result<Option<NaiveDate>, String> {
        match self.requested.trimmed() {
            "" => Ok(None),
            t => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| {
                    // The shape is right, the day is not (2026-02-30).
                    let shaped = t.len() == 10
                        && t.bytes().enumerate().all(|(i, b)| match i {
                            4 | 7 => b == b'-',
                            _ => b.is_ascii_digit(),
                        });
                    if shaped {
                        format!("requested date {t}: there is no such day")
                    } else {
                        format!("requested date {t:?}: write it as 2026-12-24")
                    }
                }),
        }
    }

    /// The requested date as typed, refused when it is before today (the
    /// core refuses such an order; said here, where it is typed).
    fn requested_checked(&self, ctx: &Ctx) -> Result<Option<NaiveDate>, String> {
        let d = self.requested_date()?;
        // The customer's entity's date, as the core checks it.
        let today = self
            .customer
            .as_ref()
            .and_then(|c| ctx.state().customers.get(c))
            .map_or_else(|| ctx.today(), |c| ctx.entity_today(&c.entity));
        match d {
            Some(d) if d < today => Err(format!(
                "requested date {d} is before today ({today}): leave it empty for today"
            )),
            d => Ok(d),
        }
    }

    fn body(&self) -> Option<CommandBody> {
        Some(CommandBody::PlaceOrder {
            quote: self.quote,
            customer: self.customer.clone()?,
            ship_to: self.ship_to.clone(),
            customer_po: self.po.trimmed().to_string(),
            requested: self.requested_date().ok().flatten(),
            lines: self.lines.clone(),
        })
    }

    /// The order to show: the loaded one, or the preview of a new one.
    fn order(&mut self, ctx: &Ctx) -> Option<Result<SalesOrder, Rejection>> {
        if let Some(n) = &self.loaded {
            return ctx.state().orders.get(n).map(|o| Ok(SalesOrder::clone(o)));
        }
        if self.lines.is_empty() {
            return None;
        }
        let fresh =
            matches!(&self.cache, Some((seq, e, _)) if *seq == ctx.view.seq && *e == self.edits);
        if !fresh {
            let p = self
                .body()
                .map(|b| preview(ctx.state(), ctx.operator, ctx.now, b))?;
            self.cache = Some((ctx.view.seq, self.edits, p));
        }
        self.cache.as_ref().map(|c| c.2.clone())
    }

    /// Substitutes for the selected line of a new order when stock
    /// cannot fill it (None: nothing short, or an order already placed).
    fn offer(&mut self, ctx: &Ctx) -> Option<Offer> {
        if self.loaded.is_some() || !matches!(self.focus, Focus::Entry | Focus::Lines) {
            return None;
        }
        let key = (ctx.view.seq, self.edits, self.selected);
        if let Some((k, o)) = &self.offer_cache {
            if *k == key {
                return o.clone();
            }
        }
        let index = self.selected;
        let found = match self.order(ctx) {
            Some(Ok(o)) => o.lines.get(index).and_then(|l| {
                let input = self.lines.get(index)?;
                if l.backordered <= Decimal::ZERO || l.sku != input.sku {
                    return None;
                }
                let need = Need {
                    customer: self.customer.clone()?,
                    sku: l.sku.clone(),
                    warehouse: l.warehouse.clone(),
                    qty: l.qty,
                    date: ctx.today(),
                };
                Some(Offer {
                    index,
                    sku: l.sku.clone(),
                    warehouse: l.warehouse.clone(),
                    short: l.backordered,
                    subs: substitutes(ctx.state(), &need).unwrap_or_default(),
                })
            }),
            _ => None,
        };
        self.offer_cache = Some((key, found.clone()));
        found
    }

    /// F6: the line takes the substitute whose number was typed (in the
    /// item or the line field), else the first offered. In base units,
    /// at the substitute's own price (a manual price was for the other
    /// item).
    fn take_substitute(&mut self, ctx: &Ctx) -> Flow {
        let Some(offer) = self.offer(ctx) else {
            self.notice = Some(Notice::error(
                "no substitute offered here: no line is short",
            ));
            return Flow::Stay;
        };
        let typed = match self.focus {
            Focus::Lines => self.line_edit.trimmed().to_string(),
            _ => self.entry.trimmed().to_string(),
        };
        let pick = match typed.as_str() {
            "" => 0,
            t => match t.parse::<usize>() {
                Ok(n) if (1..=offer.subs.len()).contains(&n) => n - 1,
                _ => {
                    self.notice = Some(Notice::error(format!(
                        "type 1 to {} then F6, or F6 alone for the first",
                        offer.subs.len()
                    )));
                    return Flow::Stay;
                }
            },
        };
        let Some(sub) = offer.subs.get(pick) else {
            self.notice = Some(Notice::error(format!(
                "no substitute of {} in stock in {}",
                offer.sku, offer.warehouse
            )));
            return Flow::Stay;
        };
        let s = ctx.state();
        let Some(line) = self.lines.get_mut(offer.index) else {
            return Flow::Stay;
        };
        let factor = s
            .items
            .get(&line.sku)
            .and_then(|i| i.unit_factor(line.unit.as_deref().unwrap_or(&i.base_unit)))
            .unwrap_or(Decimal::ONE);
        let from = std::mem::replace(&mut line.sku, sub.sku.clone());
        line.qty *= factor;
        line.unit = None;
        line.price = None;
        match self.focus {
            Focus::Lines => self.line_edit.take(),
            _ => self.entry.take(),
        };
        self.notice = Some(Notice::info(format!(
            "line {}: {from} -> {} (substitute {}); F10 places the order",
            offer.index + 1,
            sub.sku,
            pick + 1
        )));
        self.changed();
        Flow::Stay
    }

    fn set_customer(&mut self, code: Code, ctx: &Ctx) {
        let s = ctx.state();
        let Some(c) = s.customers.get(&code) else {
            return;
        };
        if !c.active {
            self.notice = Some(Notice::error(format!("customer {} is inactive", c.code)));
            return;
        }
        self.customer_field = TextField::new(&c.code);
        self.customer = Some(c.code.clone());
        self.ship_to = None;
        self.focus = Focus::ShipTo;
        self.changed();
    }

    fn load(&mut self, ctx: &Ctx) {
        let n = self.number.trimmed().to_uppercase();
        if n.is_empty() {
            self.loaded = None;
            self.focus = Focus::Customer;
            return;
        }
        match ctx.state().orders.get(&n.to_code()) {
            Some(o) if matches!(o.status, OrderStatus::Cancelled) => {
                self.notice = Some(Notice::error(format!("{n} is cancelled")));
            }
            Some(o) => {
                self.loaded = Some(o.number.clone());
                self.customer = Some(o.customer.clone());
                self.customer_field = TextField::new(&o.customer);
                self.quote = o.status == OrderStatus::Quote;
                // The header as placed (read-only here: no command changes it).
                self.ship_to = o.ship_to.clone();
                self.po = TextField::new(&o.customer_po);
                self.requested = TextField::new(&o.requested.to_string());
                self.lines.clear();
                self.focus = Focus::Entry;
                self.notice = Some(Notice::info(format!(
                    "{n}: change quantities or prices, add or cancel lines"
                )));
            }
            None => self.notice = Some(Notice::error(format!("no order {n}"))),
        }
    }

    fn next_field(&mut self, back: bool) {
        let order: Vec<Focus> = HEADER.iter().copied().chain([Focus::Entry]).collect();
        let i = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = order.len();
        self.focus = order[if back { (i + n - 1) % n } else { (i + 1) % n }];
    }

    fn submit(&mut self, body: CommandBody, fresh_key: bool, ctx: &Ctx) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        self.pending = true;
        let key = if fresh_key {
            ctx.new_key()
        } else {
            self.key.clone()
        };
        Flow::Submit(Box::new(Request { key, body }))
    }

    fn accept_entry(&mut self, ctx: &Ctx) -> Flow {
        let text = self.entry.trimmed().to_string();
        if text.is_empty() {
            return Flow::Stay;
        }
        match resolve(ctx, &text) {
            // Refused, the text stays to be mended (as other refusals).
            Resolved::Item(e) if Self::qty_refused(&e, ctx.state()).is_some() => {
                self.entry.refused();
                self.add(e, ctx)
            }
            Resolved::Item(e) => {
                self.entry.take();
                self.add(e, ctx)
            }
            Resolved::Choose { query, .. } => {
                self.prompt = Some(Prompt::open(Kind::Item, &query, ctx));
                Flow::Stay
            }
            Resolved::Error(e) => {
                // Kept on show to be mended; what is typed next (another
                // scan) replaces it instead of joining it.
                self.entry.refused();
                self.notice = Some(Notice::error(e));
                Flow::Stay
            }
        }
    }

    /// Why the entry's quantity is refused (finer than the item is
    /// counted in). The quantity typed alone: a line it adds to was
    /// checked when it was entered, and the sum of two quantities in
    /// whole units is whole, so the message names what was typed.
    fn qty_refused(e: &Entered, s: &State) -> Option<String> {
        item_qty_problem(s, &e.sku, e.unit.as_deref(), e.qty)
    }

    fn add(&mut self, e: Entered, ctx: &Ctx) -> Flow {
        let s = ctx.state();
        if let Some(p) = Self::qty_refused(&e, s) {
            self.notice = Some(Notice::error(p));
            return Flow::Stay;
        }
        let line = LineInput {
            sku: e.sku,
            qty: e.qty,
            unit: e.unit,
            warehouse: self.line_warehouse(s, e.warehouse),
            price: e.price,
        };
        if let Some(n) = self.loaded.clone() {
            return self.submit(
                CommandBody::AddOrderLines {
                    number: n,
                    lines: vec![line],
                },
                true,
                ctx,
            );
        }
        if let Some(l) = self.lines.iter_mut().find(|l| {
            l.sku == line.sku
                && l.warehouse == line.warehouse
                && l.unit == line.unit
                && l.price == line.price
        }) {
            l.qty += line.qty;
        } else if self.lines.len() >= crate::core::sales::ORDER_LINES_MAX {
            self.notice = Some(Notice::error("an order takes at most 500 lines"));
            return Flow::Stay;
        } else {
            self.lines.push(line);
        }
        self.selected = self.lines.len().saturating_sub(1);
        self.changed();
        Flow::Stay
    }

    /// Enter on a line: `5` (quantity), `=12.50` (price) or both.
    fn edit_line(&mut self, ctx: &Ctx) -> Flow {
        let text = self.line_edit.take();
        let text = text.trim();
        if text.is_empty() {
            self.focus = Focus::Entry;
            return Flow::Stay;
        }
        let (q, p) = match text.split_once('=') {
            Some((q, p)) => (q.trim(), Some(p)),
            None => (text, None),
        };
        // "7 CASE": the line's own unit may be named; another is refused
        // saying how (it was "write it without exponent").
        let q = match q.split_once(char::is_whitespace) {
            Some((n, unit)) => {
                let s = ctx.state();
                let line_unit = match &self.loaded {
                    Some(o) => s
                        .orders
                        .get(o)
                        .and_then(|o| o.lines.get(self.selected))
                        .map(|l| l.unit.to_string()),
                    None => self.lines.get(self.selected).and_then(|l| {
                        l.unit
                            .as_ref()
                            .map(|u| u.to_string())
                            .or_else(|| s.items.get(&l.sku).map(|i| i.base_unit.to_string()))
                    }),
                };
                let unit = unit.trim().to_ascii_uppercase();
                match line_unit {
                    Some(u) if u == unit => n.trim(),
                    Some(u) => {
                        self.notice = Some(Notice::error(format!(
                            "the line is in {u}, not {unit}: type its quantity in {u}"
                        )));
                        return Flow::Stay;
                    }
                    None => q,
                }
            }
            None => q,
        };
        let qv = if q.is_empty() {
            None
        } else {
            match parse_qty(q) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.notice = Some(Notice::error(e));
                    return Flow::Stay;
                }
            }
        };
        // `=` alone: the price the engine gives again (a line not yet
        // placed; a placed line's price is changed, not taken back).
        let unpriced = p.is_some_and(|p| p.trim().is_empty());
        if unpriced && self.loaded.is_some() {
            self.notice = Some(Notice::error(
                "a placed line keeps its price until another is typed (=12.50)",
            ));
            return Flow::Stay;
        }
        let pv = match p.filter(|_| !unpriced).map(parse_price) {
            Some(Ok(v)) => Some(v),
            Some(Err(e)) => {
                self.notice = Some(Notice::error(e));
                return Flow::Stay;
            }
            None => None,
        };
        if let Some(q) = qv {
            let s = ctx.state();
            let line = match &self.loaded {
                Some(n) => s
                    .orders
                    .get(n)
                    .and_then(|o| o.lines.get(self.selected))
                    .map(|l| (l.sku.clone(), Some(l.unit.clone()))),
                None => self
                    .lines
                    .get(self.selected)
                    .map(|l| (l.sku.clone(), l.unit.clone())),
            };
            if let Some(p) = line.and_then(|(sku, u)| item_qty_problem(s, &sku, u.as_deref(), q)) {
                self.notice = Some(Notice::error(p));
                return Flow::Stay;
            }
        }
        if let Some(n) = self.loaded.clone() {
            let Some(line) = ctx
                .state()
                .orders
                .get(&n)
                .and_then(|o| o.lines.get(self.selected))
                .map(|l| l.line)
            else {
                return Flow::Stay;
            };
            return self.submit(
                CommandBody::ChangeOrderLine {
                    number: n,
                    line,
                    qty: qv,
                    price: pv,
                },
                true,
                ctx,
            );
        }
        if let Some(l) = self.lines.get_mut(self.selected) {
            if let Some(q) = qv {
                l.qty = q;
            }
            if pv.is_some() || unpriced {
                l.price = pv;
            }
            self.changed();
        }
        Flow::Stay
    }

    fn complete(&mut self, ctx: &Ctx) -> Flow {
        if let Some(n) = self.loaded.clone() {
            let quote = ctx
                .state()
                .orders
                .get(&n)
                .is_some_and(|o| o.status == OrderStatus::Quote);
            if quote {
                return self.submit(CommandBody::ConfirmQuote { number: n }, true, ctx);
            }
            self.notice = Some(Notice::info(format!(
                "{n}: every change is already committed"
            )));
            return Flow::Stay;
        }
        if let Err(e) = self.requested_checked(ctx) {
            self.notice = Some(Notice::error(e));
            self.focus = Focus::Requested;
            return Flow::Stay;
        }
        match (self.body(), self.lines.is_empty()) {
            (Some(b), false) => self.submit(b, false, ctx),
            _ => {
                self.notice = Some(Notice::error("a customer and at least one line first"));
                Flow::Stay
            }
        }
    }

    fn shown_count(&self, ctx: &Ctx) -> usize {
        match &self.loaded {
            Some(n) => ctx
                .state()
                .orders
                .get(n)
                .map(|o| o.lines.len())
                .unwrap_or(0),
            None => self.lines.len(),
        }
    }
}

impl Screen for OrderEntry {
    fn name(&self) -> &'static str {
        "order_entry"
    }
    fn title(&self) -> String {
        match &self.loaded {
            Some(n) => format!("order entry · {n}"),
            None if self.quote => "order entry · new quote".into(),
            None => "order entry · new order".into(),
        }
    }
    fn context(&self) -> Context {
        match &self.prompt {
            Some(p) => p.context(),
            None => Context::Form,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        if let Some(p) = &self.prompt {
            return p.actions();
        }
        let mut a = match self.focus {
            Focus::Order => vec![(Action::Submit, "open order (empty: new)")],
            Focus::Customer => vec![(Action::Submit, "customer"), (Action::Lookup, "find")],
            Focus::ShipTo | Focus::Kind => vec![(Action::Submit, "next"), (Action::Down, "change")],
            Focus::Po | Focus::Requested => vec![(Action::Submit, "next")],
            Focus::Entry => vec![
                (Action::Submit, "add line"),
                (Action::Lookup, "find item"),
                (Action::Up, "lines"),
            ],
            Focus::Lines => vec![
                (Action::Submit, "qty / =price"),
                (Action::DeleteLine, "cancel line"),
                (Action::Down, "next"),
            ],
        };

        let done = match (&self.loaded, self.quote) {
            (Some(_), true) => "confirm quote",
            (Some(_), false) => "(committed)",
            (None, true) => "place quote",
            (None, false) => "place order",
        };
        a.push((Action::Complete, done));
        // After F10 in the key bar: the offer under the lines names F6 too.
        if self
            .offer_cache
            .as_ref()
            .is_some_and(|(_, o)| o.as_ref().is_some_and(|o| !o.subs.is_empty()))
            && self.loaded.is_none()
            && matches!(self.focus, Focus::Entry | Focus::Lines)
        {
            a.push((Action::Accept, "take substitute"));
        }
        a.push((Action::NextField, "next field"));
        a.push(
            if self.focus == Focus::Entry && !self.entry.text.is_empty() {
                (Action::Cancel, "clear")
            } else {
                (Action::Cancel, "back")
            },
        );
        a.push((Action::Help, "keys"));
        a
    }

    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if let Some(mut p) = self.prompt.take() {
            match p.handle(input, ctx) {
                Picked::No => self.prompt = Some(p),
                Picked::Leave => {}
                Picked::Code(c) if p.kind == Kind::Customer => self.set_customer(c.into(), ctx),
                // The item chosen takes what the entry asked of its line
                // (`2*hex bolt@DAL=10`: two, from DAL, at 10.00); it took
                // one at list price from the default warehouse.
                Picked::Code(c) => match crate::ui::entry::split(ctx, &self.entry.text) {
                    Ok((asked, _)) => {
                        let e = asked.line(c.into());
                        if Self::qty_refused(&e, ctx.state()).is_some() {
                            self.entry.refused();
                        } else {
                            self.entry.take();
                        }
                        return self.add(e, ctx);
                    }
                    Err(e) => {
                        self.entry.refused();
                        self.notice = Some(Notice::error(e));
                    }
                },
            }
            return Flow::Stay;
        }
        if self.pending {
            return Flow::Stay;
        }
        let s = ctx.state();
        match (self.focus, input) {
            (_, Input::Action(Action::Complete)) => self.complete(ctx),
            (Focus::Entry | Focus::Lines, Input::Action(Action::Accept)) => {
                self.take_substitute(ctx)
            }
            (Focus::Lines, Input::Action(Action::NextField | Action::PrevField))
            | (_, Input::Action(Action::NextField)) => {
                self.next_field(false);
                Flow::Stay
            }
            (_, Input::Action(Action::PrevField)) => {
                self.next_field(true);
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::Cancel)) => {
                self.focus = Focus::Entry;
                Flow::Stay
            }
            // A mistyped or misscanned item: Esc clears it, as in every
            // filter line; the next Esc leaves.
            (Focus::Entry, Input::Action(Action::Cancel)) if !self.entry.text.is_empty() => {
                self.entry.take();
                self.notice = None;
                Flow::Stay
            }
            (_, Input::Action(Action::Cancel)) => {
                if self.lines.is_empty() {
                    Flow::Pop
                } else {
                    // Strict: an Enter (a scan's, a double key) stays; only
                    // y drops what was typed.
                    self.asking = Some(Ask::Leave);
                    Flow::ConfirmStrict(format!(
                        "Leave without placing this order of {}?",
                        match self.lines.len() {
                            1 => "1 line".to_string(),
                            n => format!("{n} lines"),
                        }
                    ))
                }
            }
            (Focus::Order, Input::Action(Action::Submit)) => {
                self.load(ctx);
                Flow::Stay
            }
            (Focus::Order, other) => {
                self.number.edit(other);
                Flow::Stay
            }
            (Focus::Customer, Input::Action(Action::Submit)) => {
                let typed = self.customer_field.trimmed().to_string();
                let found = ctx.find_customers(&typed);
                match (&found.exact, found.codes.as_slice()) {
                    (Some(Ok(c)), _) => self.set_customer(c.clone(), ctx),
                    (_, [one]) if !typed.is_empty() => self.set_customer(one.clone(), ctx),
                    _ => self.prompt = Some(Prompt::open(Kind::Customer, &typed, ctx)),
                }
                Flow::Stay
            }
            (Focus::Customer, Input::Action(Action::Lookup)) => {
                let q = self.customer_field.text.clone();
                self.prompt = Some(Prompt::open(Kind::Customer, &q, ctx));
                Flow::Stay
            }
            (Focus::Customer, other) => {
                if self.loaded.is_none() && self.customer_field.edit(other) {
                    self.customer = None;
                    self.changed();
                }
                Flow::Stay
            }
            (
                Focus::ShipTo | Focus::Po | Focus::Requested | Focus::Kind,
                Input::Char(_)
                | Input::Action(Action::DeleteBack | Action::Clear | Action::Up | Action::Down),
            ) if self.loaded.is_some() => {
                self.notice = Some(Notice::error(
                    "the header of a placed order is not changed here: lines only",
                ));
                Flow::Stay
            }
            (Focus::Requested, Input::Action(Action::Submit)) => {
                match self.requested_checked(ctx) {
                    Ok(_) => self.next_field(false),
                    Err(e) => self.notice = Some(Notice::error(e)),
                }
                Flow::Stay
            }
            (Focus::ShipTo, Input::Action(Action::Down | Action::Up))
            | (Focus::ShipTo, Input::Char(' ')) => {
                let tos: Vec<Code> = self
                    .customer
                    .as_ref()
                    .and_then(|c| s.customers.get(c))
                    .map(|c| c.ship_to.iter().map(|t| t.code.clone()).collect())
                    .unwrap_or_default();
                let i = self
                    .ship_to
                    .as_ref()
                    .and_then(|t| tos.iter().position(|x| x == t));
                self.ship_to = match i {
                    None => tos.first().cloned(),
                    Some(i) => tos.get(i + 1).cloned(),
                };
                self.changed();
                Flow::Stay
            }
            (Focus::Kind, Input::Action(Action::Down | Action::Up))
            | (Focus::Kind, Input::Char(' ')) => {
                if self.loaded.is_none() {
                    self.quote = !self.quote;
                    self.changed();
                }
                Flow::Stay
            }
            // Nothing is typed into the ship-to or the type (space or Down
            // changes them): what is typed there is an item, as a scan is,
            // and goes to the item field instead of being lost.
            (Focus::ShipTo | Focus::Kind, Input::Char(c)) => {
                self.focus = Focus::Entry;
                self.entry.edit(Input::Char(c));
                Flow::Stay
            }
            (Focus::ShipTo | Focus::Po | Focus::Kind, Input::Action(Action::Submit)) => {
                self.next_field(false);
                Flow::Stay
            }
            (Focus::Po, other) => {
                if self.po.edit(other) {
                    self.changed();
                }
                Flow::Stay
            }
            (Focus::Requested, other) => {
                if self.requested.edit(other) {
                    self.changed();
                }
                Flow::Stay
            }
            (Focus::Entry, Input::Action(Action::Submit)) => self.accept_entry(ctx),
            (Focus::Entry, Input::Action(Action::Lookup)) => {
                // The finder looks for the item's words: `4*FAS-1007`
                // found nothing.
                let q = crate::ui::entry::split(ctx, &self.entry.text)
                    .map_or_else(|_| self.entry.text.clone(), |(_, code)| code);
                self.prompt = Some(Prompt::open(Kind::Item, &q, ctx));
                Flow::Stay
            }
            (Focus::Entry, Input::Action(Action::Up)) => {
                let n = self.shown_count(ctx);
                if n > 0 {
                    self.focus = Focus::Lines;
                    self.selected = n - 1;
                }
                Flow::Stay
            }
            (Focus::Entry, other) => {
                self.entry.edit(other);
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::Up)) => {
                self.selected = self.selected.saturating_sub(1);
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::Down)) => {
                if self.selected + 1 >= self.shown_count(ctx) {
                    self.focus = Focus::Entry;
                } else {
                    self.selected += 1;
                }
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::Submit)) => self.edit_line(ctx),
            (Focus::Lines, Input::Action(Action::DeleteLine)) => {
                if let Some(n) = &self.loaded {
                    let Some(l) = s.orders.get(n).and_then(|o| o.lines.get(self.selected)) else {
                        return Flow::Stay;
                    };
                    if l.cancelled {
                        self.notice = Some(Notice::error(format!(
                            "line {} is already cancelled",
                            l.line
                        )));
                        return Flow::Stay;
                    }
                    self.asking = Some(Ask::CancelLine(l.line));
                    return Flow::Confirm(format!(
                        "Cancel line {} of {n} ({} x {})? Its reservation is released.",
                        l.line,
                        qty(l.unit_qty),
                        l.sku
                    ));
                }
                match self.lines.get(self.selected) {
                    Some(l) => {
                        self.asking = Some(Ask::RemoveLine(self.selected));
                        Flow::Confirm(format!(
                            "Remove line {} ({} x {})?",
                            self.selected + 1,
                            qty(l.qty),
                            l.sku
                        ))
                    }
                    None => Flow::Stay,
                }
            }
            (Focus::Lines, other) => {
                self.line_edit.edit(other);
                Flow::Stay
            }
            (_, _) => Flow::Stay,
        }
    }

    fn confirmed(&mut self, yes: bool, ctx: &Ctx) -> Flow {
        let Some(ask) = self.asking.take() else {
            return Flow::Stay;
        };
        if !yes {
            return Flow::Stay;
        }
        match ask {
            Ask::Leave => Flow::Pop,
            Ask::RemoveLine(i) => {
                if i < self.lines.len() {
                    self.lines.remove(i);
                    self.selected = self.selected.min(self.lines.len().saturating_sub(1));
                    self.changed();
                }
                if self.lines.is_empty() {
                    self.focus = Focus::Entry;
                }
                Flow::Stay
            }
            Ask::CancelLine(line) => match self.loaded.clone() {
                Some(number) => self.submit(
                    CommandBody::CancelLine {
                        number,
                        line,
                        reason: format!("cancelled at order entry by {}", ctx.operator),
                    },
                    true,
                    ctx,
                ),
                None => Flow::Stay,
            },
        }
    }

    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.pending = false;
        match outcome {
            Submitted::Committed {
                events, duplicate, ..
            } => {
                let placed = events.iter().find_map(|e| match e {
                    Event::OrderPlaced(o) => Some(o.clone()),
                    _ => None,
                });
                match placed {
                    Some(o) => {
                        let state = if o.status == OrderStatus::Quote {
                            "quote".to_string()
                        } else if o.holds.is_empty() {
                            "confirmed".to_string()
                        } else {
                            format!(
                                "on {}: {} can release it",
                                o.holds
                                    .iter()
                                    .map(|h| h.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                releasers(ctx.state(), &o).joined(", ")
                            )
                        };
                        self.notice = Some(Notice::info(format!(
                            "{}{} placed, {state}",
                            if duplicate {
                                "(already committed) "
                            } else {
                                ""
                            },
                            o.number
                        )));
                        // Stay on it, in change mode: what was placed is what is shown.
                        self.number = TextField::new(&o.number);
                        self.loaded = Some(o.number.clone());
                        self.lines.clear();
                        self.key = ctx.new_key();
                        self.focus = Focus::Entry;
                    }
                    None => {
                        self.line_edit.take();
                        let confirmed = events.iter().find_map(|e| match e {
                            Event::QuoteConfirmed { number, holds } => Some((number, holds)),
                            _ => None,
                        });
                        self.notice = Some(Notice::info(match confirmed {
                            // The quote is an order now: the header says so.
                            Some((number, holds)) => {
                                self.quote = false;
                                if holds.is_empty() {
                                    format!("quote {number} is an order now")
                                } else {
                                    format!(
                                        "quote {number} is an order now, held: {}",
                                        holds
                                            .iter()
                                            .map(|h| h.as_str())
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    )
                                }
                            }
                            None => "changed".into(),
                        }));
                    }
                }
            }
            Submitted::Refused(r) => {
                // Logged under this key with its refusal: the order placed
                // again once fixed is another command, under a new key.
                self.key = ctx.new_key();
                self.notice = Some(Notice::error(r.to_string()))
            }
            Submitted::Stopped(e) => self.notice = Some(Notice::error(format!("not done: {e}"))),
        }
        Flow::Stay
    }

    fn dirty(&self) -> bool {
        // A new order not placed yet (a placed one is committed already).
        self.loaded.is_none() && !self.lines.is_empty()
    }

    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let s = ctx.state();
        let order = self.order(ctx);
        let offer = self.offer(ctx);
        let offer_rows = offer.as_ref().map(|o| 1 + o.subs.len() as u16).unwrap_or(0);
        // A hold takes two rows under the credit line: why, who releases
        // it and what it means for stock read whole at 80 columns.
        let held = matches!(&order, Some(Ok(o)) if !o.holds.is_empty());
        let [head, credit, scan, table, offered, foot] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(if held { 3 } else { 2 }),
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(offer_rows),
            Constraint::Length(2),
        ])
        .areas(area);
        let cust = self.customer.as_ref().and_then(|c| s.customers.get(c));
        let lbl = |t: &str| Span::styled(t.to_string(), theme.label());
        let ship_to = self.ship_to.clone().unwrap_or_else(|| "bill-to".into());
        let l1 = Line::from(vec![
            lbl("Order "),
            self.number.span(self.focus == Focus::Order, 10, theme),
            lbl("  Customer "),
            self.customer_field
                .span(self.focus == Focus::Customer, 10, theme),
            Span::raw(" "),
            Span::raw(fit(cust.map(|c| c.name.as_str()).unwrap_or(""), 28)),
        ]);
        // Choosing the ship-to, its address shows in place of the fields
        // after it: a phone clerk could not tell S01 from S03.
        let site = cust.filter(|_| self.focus == Focus::ShipTo).map(|c| {
            let a = match &self.ship_to {
                Some(t) => c.ship_to.iter().find(|x| x.code == *t).map(|x| &x.address),
                None => Some(&c.bill_to),
            };
            a.map(|a| {
                [a.line1.as_str(), a.city.as_str(), a.region.as_str()]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
        });
        let l2 = match site {
            Some(site) => Line::from(vec![
                lbl("Ship to "),
                Span::styled(format!("{ship_to:<8}"), theme.field(true)),
                Span::raw(" "),
                Span::raw(fit(&site, usize::from(head.width).saturating_sub(17))),
            ]),
            None => Line::from(vec![
                lbl("Ship to "),
                Span::styled(
                    format!("{ship_to:<8}"),
                    theme.field(self.focus == Focus::ShipTo),
                ),
                lbl(" PO "),
                self.po.span(self.focus == Focus::Po, 12, theme),
                lbl(" Requested "),
                self.requested
                    .span(self.focus == Focus::Requested, 10, theme),
                lbl(" Type "),
                Span::styled(
                    if self.quote { "quote" } else { "order" },
                    theme.field(self.focus == Focus::Kind),
                ),
            ]),
        };
        f.render_widget(Paragraph::new(vec![l1, l2]), head);

        // Credit, always visible; a hold says why and who releases it.
        let credit_lines = match (cust, &order) {
            (Some(c), o) => {
                let exposure = crate::core::sales::exposure(s, c);
                let cur = &c.currency;
                let mut lines = vec![Line::from(vec![
                    lbl("Credit "),
                    Span::raw(format!(
                        "limit {}  exposure {}  available {} {cur}  terms {}",
                        money(c.credit_limit, cur),
                        money(exposure, cur),
                        money(c.credit_limit - exposure, cur),
                        c.terms
                    )),
                ])];
                if let Some(Ok(o)) = o {
                    let mut why = Vec::new();
                    if o.holds.contains(&Hold::Credit) {
                        let over =
                            exposure + crate::core::sales::credit_value(s, c, o) - c.credit_limit;
                        why.push(if over > Decimal::ZERO {
                            format!("CREDIT HOLD: over the limit by {}", money(over, cur))
                        } else {
                            "CREDIT HOLD: an invoice is past due".to_string()
                        });
                    }
                    if o.holds.contains(&Hold::Price) {
                        why.push("PRICE APPROVAL: a price is below the margin floor".into());
                    }
                    if !why.is_empty() {
                        lines.push(Line::from(Span::styled(
                            format!(
                                "{}; {} can release; nothing is reserved until then",
                                why.join("; "),
                                releasers(s, o).joined(", ")
                            ),
                            theme.error(),
                        )));
                    }
                }
                lines
            }
            (None, _) if self.focus == Focus::Order => vec![Line::from(Span::styled(
                "type an order or quote number to change it; empty: a new order",
                theme.dim(),
            ))],
            (None, _) => vec![Line::from(Span::styled(
                "type a customer code, name or phone; F4 finds",
                theme.dim(),
            ))],
        };
        // The credit line on its row; a hold wraps over the rows below.
        let (first, rest) = credit_lines.split_at(credit_lines.len().min(1));
        let [credit_row, hold_rows] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(credit);
        f.render_widget(Paragraph::new(first.to_vec()), credit_row);
        f.render_widget(
            Paragraph::new(rest.to_vec()).wrap(ratatui::widgets::Wrap { trim: true }),
            hold_rows,
        );
        f.render_widget(
            Paragraph::new(Line::from(vec![
                lbl("Item "),
                self.entry.span(self.focus == Focus::Entry, 24, theme),
                Span::styled("  [qty*]code[@WH][=price]", theme.dim()),
            ])),
            scan,
        );

        let rows_src: Vec<ShownLine> = match &order {
            Some(Ok(o)) => shown(o),
            _ => Vec::new(),
        };
        let wide = area.width >= 110;
        let header = [
            "#",
            "SKU",
            "Description",
            "WH",
            "Qty",
            "Unit",
            "Price",
            "Amount",
            "Rule",
            "Resv",
            "Back",
            "Promise",
        ];
        let described = |sku: &Code| {
            s.items
                .get(sku)
                .map(|i| i.description.to_string())
                .unwrap_or_default()
        };
        // An order the core refuses as it stands (the foot says why) is
        // listed as typed, not priced: no line seems lost, to be typed
        // again and counted twice.
        let typed: Vec<(Vec<String>, ratatui::style::Style)> = match &order {
            Some(Err(_)) => self
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let cells = vec![
                        (i + 1).to_string(),
                        l.sku.to_string(),
                        described(&l.sku),
                        l.warehouse.to_string(),
                        qty(l.qty),
                        l.unit.as_ref().map(|u| u.to_string()).unwrap_or_default(),
                        l.price.map(|p| p.to_string()).unwrap_or_default(),
                        String::new(),
                        "unpriced".into(),
                    ];
                    (cells, theme.dim())
                })
                .collect(),
            _ => Vec::new(),
        };
        let rows: Vec<(Vec<String>, ratatui::style::Style)> = rows_src
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let editing = self.focus == Focus::Lines
                    && i == self.selected
                    && !self.line_edit.text.is_empty();
                let cur = cust
                    .map(|c| c.currency.clone())
                    .unwrap_or_else(|| crate::core::types::Currency::new("USD"));
                let rule = if l.cancelled {
                    "CANCELLED".to_string()
                } else if wide {
                    fit(&l.rule, 26)
                } else {
                    l.short_rule.clone()
                };
                let cells = vec![
                    l.line.to_string(),
                    l.sku.to_string(),
                    described(&l.sku),
                    l.warehouse.to_string(),
                    if editing {
                        format!("{}_", self.line_edit.text)
                    } else {
                        qty(l.unit_qty)
                    },
                    l.unit.to_string(),
                    crate::query::unit_price(l.price, &cur),
                    money(l.value, &cur),
                    rule,
                    qty(l.reserved),
                    qty(l.backordered),
                    // A promise is for what is still to come: none on a
                    // cancelled line or one with nothing backordered (as
                    // order inquiry shows it).
                    l.promise
                        .filter(|_| !l.cancelled && l.backordered > Decimal::ZERO)
                        .map(|d| d.format("%m-%d").to_string())
                        .unwrap_or_default(),
                ];
                let style = if l.cancelled {
                    theme.dim()
                } else if l.backordered > Decimal::ZERO {
                    theme.label()
                } else {
                    ratatui::style::Style::new()
                };
                (cells, style)
            })
            .collect();
        let rows = if typed.is_empty() { rows } else { typed };
        // Columns as wide as their figures; the description takes the
        // rest (at 80 columns, what the figures leave of it).
        let fitted = crate::ui::widgets::fitted(
            &header,
            rows,
            &[2, 8, 0, 3, 4, 4, 6, 9, if wide { 26 } else { 8 }, 4, 4, 7],
            Some((2, if wide { 24 } else { 0 })),
            &[4, 6, 7, 9, 10],
        );
        let (header, rows, widths) = fitted.into_table(theme.label());
        let mut st = TableState::default();
        if self.focus == Focus::Lines {
            st.select(Some(self.selected));
        }
        f.render_stateful_widget(
            Table::new(rows, widths)
                .header(header)
                .row_highlight_style(theme.selected())
                .block(Block::new().borders(Borders::TOP | Borders::BOTTOM)),
            table,
            &mut st,
        );
        if let Some(o) = &offer {
            f.render_widget(Paragraph::new(offer_lines(o, area.width, ctx)), offered);
        }
        let foot_lines = match &order {
            Some(Ok(o)) => {
                let back: Decimal = o.lines.iter().map(|l| l.backordered).sum();
                let (goods, tax) = crate::core::sales::order_totals(s, o);
                let adds_freight = cust.is_some_and(|c| {
                    c.ship_policy.freight_terms == crate::core::master::FreightTerms::PrepaidAndAdd
                });
                let cur = &o.currency;
                // A taxable customer whose address names no place is
                // charged no tax: said, not left as a silent 0.00.
                let no_place = cust.is_some_and(|c| c.tax_exempt_cert.is_empty())
                    && crate::core::billing::jurisdiction(s, &o.customer, o.ship_to.as_deref())
                        .is_none();
                vec![
                    Line::from(vec![
                        lbl("Goods "),
                        Span::raw(money(goods, cur)),
                        lbl("  Tax "),
                        Span::raw(money(tax, cur)),
                        Span::styled(
                            if no_place {
                                " (no tax: no address)"
                            } else {
                                ""
                            },
                            theme.error(),
                        ),
                        lbl("  Total "),
                        Span::styled(format!("{} {cur}", money(goods + tax, cur)), theme.good()),
                        Span::styled(
                            if adds_freight {
                                "  + freight when shipped"
                            } else {
                                ""
                            },
                            theme.dim(),
                        ),
                    ]),
                    Line::from(Span::raw(format!(
                        "{}{}",
                        if self.loaded.is_some() {
                            format!("status {}", super::order_inquiry::status(s, o))
                        } else {
                            "not placed yet (F10 places it)".into()
                        },
                        if back > Decimal::ZERO {
                            format!("   {} backordered", qty(back))
                        } else {
                            String::new()
                        }
                    ))),
                ]
            }
            Some(Err(r)) => vec![Line::from(Span::styled(
                fit(&r.to_string(), area.width as usize),
                theme.error(),
            ))],
            None => vec![Line::from(Span::styled("no lines yet", theme.dim()))],
        };
        f.render_widget(Paragraph::new(foot_lines), foot);

        if let Some(p) = self.prompt.as_mut() {
            p.render(f, area, ctx);
        }
    }
}

/// The offer as lines: a title naming the short line and what matched,
/// then one substitute a line with its reasons (numbered for F6).
fn offer_lines(o: &Offer, width: u16, ctx: &Ctx) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let w = width as usize;
    if o.subs.is_empty() {
        return vec![Line::from(Span::styled(
            fit(
                &format!(
                    "{} short {}: no substitute of its kind free in {}",
                    o.sku,
                    qty(o.short),
                    o.warehouse
                ),
                w,
            ),
            theme.dim(),
        ))];
    }
    let matched = ctx
        .state()
        .items
        .get(&o.sku)
        .map(|i| {
            format!(
                "{}, {}, {}, {}",
                i.kind(),
                i.category,
                i.base_unit,
                i.tax_class
            )
        })
        .unwrap_or_default();
    let wide = width >= 110;
    let title = if wide {
        format!(
            "{} short {}: substitutes of its kind ({matched}); F6 takes 1, or type its number then F6",
            o.sku,
            qty(o.short)
        )
    } else {
        format!(
            "{} short {}: same {matched}; F6 takes 1, or n F6",
            o.sku,
            qty(o.short)
        )
    };
    let mut lines = vec![Line::from(Span::styled(fit(&title, w), theme.label()))];
    for (i, sub) in o.subs.iter().enumerate() {
        let margin = match (sub.margin_pct, sub.margin_short_pts) {
            (Some(m), Some(s)) if s.is_zero() => format!(
                "margin {m}% kept (orig {}%)",
                sub.original_margin_pct.unwrap_or_default()
            ),
            (Some(m), Some(s)) => format!("margin {m}%, {s} pts short"),
            (m, _) => format!(
                "margin {}",
                m.map(|m| format!("{m}%"))
                    .unwrap_or_else(|| "unknown".into())
            ),
        };
        let text = if wide {
            format!(
                "{} {:<10} {:<24} free {:>6}{}  price {:>9}  {margin}",
                i + 1,
                sub.sku,
                fit(&sub.description, 24),
                qty(sub.available),
                if sub.covers { "" } else { " (part)" },
                crate::models::money(sub.price),
            )
        } else {
            format!(
                "{} {:<9} free {}{} {} {margin}",
                i + 1,
                sub.sku,
                qty(sub.available),
                if sub.covers { "" } else { " part" },
                crate::models::money(sub.price),
            )
        };
        let style = if sub.keeps_margin() {
            theme.good()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(Span::styled(fit(&text, w), style)));
    }
    lines
}
