//! Counter sale: a walk-in or account customer buys what is on the shelf.
//! Customer (Enter alone: the walk-in cash customer), then lines by scan,
//! SKU or description (`3*SKU` for three; a case barcode sells a case),
//! each priced by the price engine with its rule and with what is free
//! here and at the other warehouses; running totals with tax from the
//! same decision the commit will make. F8 (or Enter on an empty scan
//! field) takes payment: cash with change due, card, cheque, transfer,
//! split across tenders, or the rest on account. The sale commits as one
//! `counter_sale` command under one idempotency key, so a double Enter
//! never sells twice.

use crate::core::cash::Method;
use crate::core::code::Joined;
use crate::core::counter::{CounterLine, CounterPayment, CounterRefusal};
use crate::core::rejection::Rejection;
use crate::core::types::ToCode;
use crate::core::types::{Code, Currency};
use crate::core::{Event, State};
use crate::query::sale::{self, margin_pct, Preview};
use crate::query::{money, qty};
use crate::ui::entry::{
    item_qty_problem, parse_money, parse_qty, resolve, split, ungroup, Asked, Entered, Resolved,
};
use crate::ui::keymap::{Action, Context};
use crate::ui::lookup::{Kind, Picked, Prompt};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{fit, num, TextField};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Table, TableState};
use ratatui::Frame;
use rust_decimal::Decimal;

/// Said to `SKU@WAREHOUSE` or `SKU=price` at the counter.
const SHELF_ONLY: &str =
    "the counter sells from its own shelf at the engine's price: no @warehouse or =price here";

/// (view seq, edits, the sale decided, the lines priced alone if refused).
type Cached = (u64, usize, Result<Preview, Rejection>, Option<Preview>);

/// Most lines a counter sale takes (the core's order limit is higher;
/// a counter ticket this long is a typo or a stuck scanner).
pub const LINES_MAX: usize = 99;

/// The walk-in (cash) customer of an entity: `WALKIN-<entity>`.
pub fn walk_in(s: &State, entity: &str) -> Option<Code> {
    let code = format!("WALKIN-{entity}");
    s.customers
        .get(&code.to_code())
        .filter(|c| c.active)
        .map(|c| c.code.clone())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Customer,
    Entry,
    Lines,
    Tender,
    Done,
}

/// The tender method a letter typed at the amount chooses: c cash,
/// k or r card, q or h cheque, t or b transfer.
fn method_key(c: char) -> Option<Method> {
    match c.to_ascii_lowercase() {
        'c' => Some(Method::Cash),
        'k' | 'r' => Some(Method::Card),
        'q' | 'h' => Some(Method::Cheque),
        't' | 'b' => Some(Method::Transfer),
        _ => None,
    }
}

/// A payment the clerk has taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tender {
    pub method: Method,
    pub amount: Decimal,
}

/// What the screen asked to confirm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ask {
    RemoveLine,
    Leave,
    OnAccount,
    /// Hand the last tender back (and drop it from the sale).
    GiveBack,
}

pub struct CounterSale {
    pub focus: Focus,
    pub customer: Option<Code>,
    pub customer_field: TextField,
    pub warehouse: Code,
    pub lines: Vec<CounterLine>,
    pub selected: usize,
    pub entry: TextField,
    /// Quantity typed over the selected line (Lines focus).
    pub line_edit: TextField,
    pub tenders: Vec<Tender>,
    pub method: Method,
    pub amount: TextField,
    /// Idempotency key of this sale; a new one for the next sale.
    pub key: String,
    prompt: Option<Prompt>,
    asking: Option<Ask>,
    /// The sale decided on the view, and when refused the lines priced
    /// alone (what the table still shows), cached by (view, edits).
    preview: Option<Cached>,
    /// Changes to the inputs since the start (for the preview cache).
    edits: usize,
    /// The sale done: invoice number, total, change due.
    pub done: Option<(Code, Decimal, Decimal, Currency)>,
    /// A submission is on its way (a second Enter waits for it).
    pending: bool,
    notice: Option<Notice>,
    /// The line a refusal is about.
    pub bad_line: Option<u32>,
    /// Pick later: complete as a will-call (order, pick list, deposit).
    pub will_call: bool,
    /// Every line a refusal says is short.
    pub short_lines: Vec<u32>,
    /// The will-call done: order, pick list, deposit held.
    pub will_call_done: Option<(Code, Code, Decimal)>,
    /// The tenders of the sale done (method, amount tendered).
    pub paid_with: Vec<(Method, Decimal)>,
    /// The clerk's last sale at the counter, as the screen opened
    /// (`last_sale`): shown until the next sale starts.
    last_sale: Option<String>,
    /// The customer may take the rest on account (`account_refusal` is
    /// None), as last drawn: the key bar offers F10 only then.
    account_ok: bool,
}

/// The operator's newest counter sale or will-call (handed over the
/// counter: the will-call carrier), among the newest 500 orders, with its
/// invoice and total: a clerk whose terminal was killed or whose link
/// dropped as the sale completed sees on starting again whether it did.
pub fn last_sale(s: &State, operator: &str) -> Option<String> {
    // A sale handed over the counter was shipped with no carton (a
    // shipment off the dock is packed first), whatever carrier the
    // customer's orders usually go by; a will-call is placed for pickup.
    // Only will-calls were looked for, so a sale on account to a trade
    // customer who ships by carrier was passed over, and the line named
    // an older sale: as if the last ones were lost.
    let at_counter = |o: &crate::core::sales::SalesOrder| {
        s.index
            .shipments_by_order
            .get(&o.number)
            .into_iter()
            .flatten()
            .filter_map(|n| s.shipments.get(n))
            .any(|sh| sh.cartons.is_empty())
    };
    let orders = s.orders.greatest(500, |_| true);
    let o = orders.iter().map(|(_, o)| o).find(|o| {
        o.placed_by == operator
            && (o.carrier.as_deref() == Some(crate::core::counter::WILL_CALL.0) || at_counter(o))
    })?;
    let invoices = s.invoices.greatest(500, |_| true);
    let inv = invoices
        .iter()
        .map(|(_, i)| i)
        .find(|i| i.lines.iter().any(|l| l.order == o.number));
    Some(match inv {
        Some(i) => format!(
            "last sale {} {} {} {}",
            i.number,
            o.customer,
            money(i.total, &i.currency),
            i.currency
        ),
        None => format!("last will-call {} {}", o.number, o.customer),
    })
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Cash => "cash",
        Method::Card => "card",
        Method::Cheque => "cheque",
        Method::Transfer => "transfer",
        Method::Credit => "credit",
    }
}

impl CounterSale {
    /// Print the completed sale's invoice (again: marked COPY).
    fn print(&self, ctx: &Ctx) -> Flow {
        if let Some((order, ..)) = &self.will_call_done {
            // The will-call ticket: the order acknowledgment of a
            // WILLCALL order is titled and laid out as one.
            return Flow::Print(vec![crate::docs::print::PrintRequest::new(
                crate::docs::DocKind::Acknowledgment,
                order,
                ctx.today(),
            )]);
        }
        match &self.done {
            Some((inv, ..)) if !inv.is_empty() => {
                let req = crate::docs::print::PrintRequest::new(
                    crate::docs::DocKind::Invoice,
                    inv,
                    ctx.today(),
                );
                Flow::Print(vec![req])
            }
            _ => Flow::Stay,
        }
    }

    /// Why the rest of this sale cannot go on the customer's account,
    /// as the core would refuse it: a customer with no credit (the
    /// walk-in, a cash customer) or one past due pays in full. None when
    /// it may (the core still checks the limit against the total).
    fn account_refusal(&self, ctx: &Ctx) -> Option<String> {
        let s = ctx.state();
        let c = s.customers.get(self.customer.as_ref()?)?;
        account_refusal(c, crate::core::sales::past_due(s, c, ctx.today()))
    }

    pub fn new(ctx: &Ctx) -> CounterSale {
        let s = ctx.state();
        let warehouse = ctx
            .operator_record()
            .and_then(|o| o.default_warehouse.clone())
            .filter(|w| s.warehouses.contains_key(w))
            .or_else(|| s.warehouses.keys().next().cloned())
            .unwrap_or_default();
        let last_sale = last_sale(s, ctx.operator);
        CounterSale {
            last_sale,
            account_ok: true,
            focus: Focus::Customer,
            customer: None,
            customer_field: TextField::default(),
            warehouse,
            lines: Vec::new(),
            selected: 0,
            entry: TextField::default(),
            line_edit: TextField::default(),
            tenders: Vec::new(),
            method: Method::Cash,
            amount: TextField::default(),
            key: ctx.new_key(),
            prompt: None,
            asking: None,
            preview: None,
            edits: 0,
            done: None,
            pending: false,
            notice: None,
            bad_line: None,
            will_call: false,
            short_lines: Vec::new(),
            will_call_done: None,
            paid_with: Vec::new(),
        }
    }

    fn entity(&self, s: &State) -> Option<Code> {
        s.warehouse_entity(&self.warehouse).cloned()
    }

    fn changed(&mut self) {
        self.edits += 1;
        self.bad_line = None;
        self.short_lines.clear();
    }

    /// The preview for the current inputs, decided at most once per view
    /// and change of the inputs.
    pub fn preview(&mut self, ctx: &Ctx) -> Option<&Result<Preview, Rejection>> {
        let customer = self.customer.clone()?;
        if self.lines.is_empty() {
            return None;
        }
        let fresh = matches!(&self.preview, Some((seq, e, _, _)) if *seq == ctx.view.seq && *e == self.edits);
        if !fresh {
            // Priced as if paid in full: the tender does not change prices.
            let body = sale::body(
                &customer,
                &self.warehouse,
                &self.lines,
                vec![CounterPayment {
                    method: Method::Cash,
                    amount: None,
                    reference: String::new(),
                }],
            );
            let p = sale::preview(ctx.state(), ctx.operator, ctx.now, body);
            // Refused as a whole: each line still shows its price.
            let priced = match &p {
                Ok(_) => None,
                Err(_) => sale::priced_lines(
                    ctx.state(),
                    ctx.operator,
                    ctx.now,
                    &customer,
                    &self.warehouse,
                    &self.lines,
                ),
            };
            self.preview = Some((ctx.view.seq, self.edits, p, priced));
        }
        self.preview.as_ref().map(|(_, _, p, _)| p)
    }

    fn total(&mut self, ctx: &Ctx) -> Option<(Decimal, Currency)> {
        match self.preview(ctx) {
            Some(Ok(p)) => Some((p.total, p.currency.clone())),
            _ => None,
        }
    }

    fn set_customer(&mut self, code: Code, ctx: &Ctx) {
        let s = ctx.state();
        if let Some(c) = s.customers.get(&code) {
            if self.entity(s).as_deref() != Some(c.entity.as_str()) {
                self.notice = Some(Notice::error(format!(
                    "{} buys from entity {}; this counter ({}) sells for {}",
                    c.code,
                    c.entity,
                    self.warehouse,
                    self.entity(s).unwrap_or_default()
                )));
                return;
            }
            self.customer_field = TextField::new(&c.code);
            self.customer = Some(c.code.clone());
            self.focus = Focus::Entry;
            self.changed();
        }
    }

    /// Enter on the customer field.
    fn accept_customer(&mut self, ctx: &Ctx) -> Flow {
        let s = ctx.state();
        let typed = self.customer_field.trimmed().to_string();
        if typed.is_empty() {
            match self.entity(s).and_then(|e| walk_in(s, &e)) {
                Some(c) => self.set_customer(c, ctx),
                None => {
                    self.notice = Some(Notice::error(
                        "no walk-in customer (WALKIN-<entity>) is set up: type a customer or F4",
                    ))
                }
            }
            return Flow::Stay;
        }
        let found = ctx.find_customers(&typed);
        match (&found.exact, found.codes.as_slice()) {
            (Some(Ok(code)), _) => self.set_customer(code.clone(), ctx),
            (_, [one]) => self.set_customer(one.clone(), ctx),
            _ => self.prompt = Some(Prompt::open(Kind::Customer, &typed, ctx)),
        }
        Flow::Stay
    }

    /// Add `q` of `sku` in `unit` (merging with a line of the same item
    /// and unit).
    /// Add `q` of `sku` to the sale; false (a notice says why) when it is
    /// refused.
    fn add_line(&mut self, s: &State, sku: Code, unit: Option<Code>, q: Decimal) -> bool {
        // The quantity typed alone: the line it adds to was checked when
        // it was entered, and the message names what was typed.
        if let Some(p) = item_qty_problem(s, &sku, unit.as_deref(), q) {
            self.notice = Some(Notice::error(p));
            return false;
        }
        if let Some(i) = self
            .lines
            .iter()
            .position(|l| l.sku == sku && l.unit == unit && l.price.is_none())
        {
            self.lines[i].qty += q;
            self.selected = i;
        } else if self.lines.len() >= LINES_MAX {
            self.notice = Some(Notice::error(format!(
                "a counter sale takes at most {LINES_MAX} lines"
            )));
            return false;
        } else {
            self.lines.push(CounterLine {
                sku,
                qty: q,
                unit,
                price: None,
            });
            self.selected = self.lines.len() - 1;
        }
        self.changed();
        true
    }

    /// Enter on the scan field: `code`, `N*code`, a barcode or a GS1 scan.
    fn accept_entry(&mut self, ctx: &Ctx) -> Flow {
        let text = self.entry.trimmed().to_string();
        if text.is_empty() {
            if self.lines.is_empty() {
                self.notice = Some(Notice::error("scan or type an item first"));
                return Flow::Stay;
            }
            return self.start_payment(ctx);
        }
        match resolve(ctx, &text) {
            Resolved::Item(Entered {
                warehouse, price, ..
            })
            | Resolved::Choose {
                asked: Asked {
                    warehouse, price, ..
                },
                ..
            } if warehouse.is_some() || price.is_some() => {
                self.notice = Some(Notice::error(SHELF_ONLY));
            }
            Resolved::Item(e) => {
                // Refused, the text stays to be mended; the next scan
                // replaces it.
                if self.add_line(ctx.state(), e.sku, e.unit, e.qty) {
                    self.entry.take();
                } else {
                    self.entry.refused();
                }
            }
            Resolved::Choose { query, .. } => {
                self.prompt = Some(Prompt::open(Kind::Item, &query, ctx))
            }
            Resolved::Error(e) => {
                self.notice = Some(Notice::error(e));
                self.entry.take();
            }
        }
        Flow::Stay
    }

    fn start_payment(&mut self, ctx: &Ctx) -> Flow {
        match self.preview(ctx) {
            Some(Ok(_)) => {
                self.focus = Focus::Tender;
                self.amount.take();
                Flow::Stay
            }
            Some(Err(r)) => {
                let r = r.clone();
                self.show_refusal(&r, ctx.state());
                // The refusal is on screen above, whole: the notice says
                // nothing was sold, not the refusal a second time.
                self.notice = Some(Notice::error("nothing sold: the sale is refused (above)"));
                Flow::Stay
            }
            None => {
                self.notice = Some(Notice::error("choose a customer and add lines first"));
                Flow::Stay
            }
        }
    }

    fn paid(&self) -> Decimal {
        self.tenders.iter().map(|t| t.amount).sum()
    }

    /// Enter on the amount: take this tender; complete when paid.
    fn accept_tender(&mut self, ctx: &Ctx) -> Flow {
        let Some((total, _)) = self.total(ctx) else {
            self.focus = Focus::Entry;
            return Flow::Stay;
        };
        let rest = total - self.paid();
        if rest < Decimal::ZERO {
            // Lines removed after tenders were taken: more was tendered
            // than the sale now comes to (the core would refuse it).
            self.notice = Some(Notice::error(format!(
                "{} tendered is more than the total {total}: give back a tender first (F9)",
                self.paid()
            )));
            return Flow::Stay;
        }
        let given = match self.amount.trimmed() {
            "" => rest,
            // `1,000` as a till reads it: thousands grouped (a decimal
            // comma is still refused).
            t => match parse_money(&ungroup(t)) {
                Ok(a) => a,
                Err(e) => {
                    self.notice = Some(Notice::error(e));
                    self.amount.refused();
                    return Flow::Stay;
                }
            },
        };
        if given > rest && self.method != Method::Cash {
            self.notice = Some(Notice::error(format!(
                "{} is more than the {} due: only cash gives change",
                given, rest
            )));
            self.amount.refused();
            return Flow::Stay;
        }
        self.amount.take();
        if given >= rest {
            // Paid: this tender takes the rest (change for cash).
            return self.complete(Some((self.method, given - rest)), ctx);
        }
        self.tenders.push(Tender {
            method: self.method,
            amount: given,
        });
        Flow::Stay
    }

    /// Commit the sale: earlier tenders with their amounts, `last` (if
    /// any) paying the rest; without it the rest goes on account.
    fn complete(&mut self, last: Option<(Method, Decimal)>, ctx: &Ctx) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        let Some(customer) = self.customer.clone() else {
            return Flow::Stay;
        };
        let mut tenders: Vec<CounterPayment> = self
            .tenders
            .iter()
            .map(|t| CounterPayment {
                method: t.method,
                amount: Some(t.amount),
                reference: String::new(),
            })
            .collect();
        let mut change = Decimal::ZERO;
        let (total, currency) = self
            .total(ctx)
            .unwrap_or_else(|| (Decimal::ZERO, Currency::new("USD")));
        self.paid_with = self.tenders.iter().map(|t| (t.method, t.amount)).collect();
        if let Some((m, ch)) = last {
            let tendered = total - self.paid() + ch;
            self.paid_with.push((m, tendered));
            // The cash receipt says what was handed over and the change
            // given: the printed invoice shows both.
            let reference = if m == Method::Cash && ch > Decimal::ZERO {
                format!(
                    "tendered {} change {}",
                    money(tendered, &currency),
                    money(ch, &currency)
                )
            } else {
                String::new()
            };
            tenders.push(CounterPayment {
                method: m,
                amount: None,
                reference,
            });
            change = ch;
        }
        self.done = Some((String::new().into(), Decimal::ZERO, change, currency));
        self.pending = true;
        let body = if self.will_call {
            crate::core::CommandBody::WillCallSale {
                customer,
                warehouse: self.warehouse.clone(),
                lines: self.lines.clone(),
                payments: tenders,
            }
        } else {
            sale::body(&customer, &self.warehouse, &self.lines, tenders)
        };
        Flow::Submit(Box::new(Request {
            key: self.key.clone(),
            body,
        }))
    }

    fn show_refusal(&mut self, r: &Rejection, s: &State) {
        self.bad_line = match r {
            Rejection::CounterSaleRefused {
                reason:
                    CounterRefusal::NotOnShelf { line, .. } | CounterRefusal::BelowFloor { line, .. },
                ..
            } => Some(*line),
            Rejection::CounterSaleRefused {
                reason: CounterRefusal::NotOnShelfLines { lines, .. },
                ..
            } => lines.first().map(|l| l.line),
            _ => None,
        };
        self.short_lines = match r {
            Rejection::CounterSaleRefused {
                reason: CounterRefusal::NotOnShelfLines { lines, .. },
                ..
            } => lines.iter().map(|l| l.line).collect(),
            _ => Vec::new(),
        };
        if let Some(l) = self.bad_line {
            self.selected = (l as usize)
                .saturating_sub(1)
                .min(self.lines.len().saturating_sub(1));
        }
        self.notice = Some(Notice::error(refusal_text(r, s, self.customer.as_deref())));
    }

    /// Start the next sale (a new key).
    fn reset(&mut self, ctx: &Ctx) {
        let warehouse = self.warehouse.clone();
        *self = CounterSale::new(ctx);
        self.warehouse = warehouse;
    }

    fn edit_line_qty(&mut self, ctx: &Ctx) {
        let text = self.line_edit.take();
        let text = text.trim();
        if text.is_empty() {
            self.focus = Focus::Entry;
            return;
        }
        let mut parts = text.split_whitespace();
        let q = match parts.next().map(parse_qty) {
            Some(Ok(q)) => q,
            Some(Err(e)) => {
                self.notice = Some(Notice::error(e));
                return;
            }
            None => return,
        };
        let unit = parts.next().map(|u| u.to_uppercase());
        let s = ctx.state();
        let Some(line) = self.lines.get_mut(self.selected) else {
            return;
        };
        if let Some(u) = &unit {
            let known = s
                .items
                .get(&line.sku)
                .is_some_and(|i| i.base_unit == *u || i.alt_units.iter().any(|a| a.unit == *u));
            if !known {
                self.notice = Some(Notice::error(format!("{} is not sold in {u}", line.sku)));
                return;
            }
            line.unit = Some(u.clone().into());
        }
        if let Some(p) = item_qty_problem(s, &line.sku, line.unit.as_deref(), q) {
            self.notice = Some(Notice::error(p));
            return;
        }
        line.qty = q;
        self.changed();
    }
}

/// A refusal as the clerk reads it: what is short in the item's unit, a
/// credit figure in the customer's currency, the first thing to do first
/// (the 80-column notice line shows the start). Other refusals read as
/// the core words them.
fn refusal_text(r: &Rejection, s: &State, customer: Option<&str>) -> String {
    let Rejection::CounterSaleRefused { reason, .. } = r else {
        return r.to_string();
    };
    let unit = |sku: &str| {
        s.items
            .get(&sku.to_code())
            .map(|i| i.base_unit.to_string())
            .unwrap_or_default()
    };
    let currency = customer
        .and_then(|c| s.customers.get(&c.to_code()))
        .map(|c| c.currency.clone());
    let amount = |a: Decimal| match &currency {
        Some(c) => format!("{} {c}", money(a, c)),
        None => a.normalize().to_string(),
    };
    match reason {
        CounterRefusal::NotOnShelfLines { warehouse, lines } => {
            let each: Vec<String> = lines
                .iter()
                .map(|l| format!("line {} {} {} {}", l.line, l.sku, qty(l.short), unit(&l.sku)))
                .collect();
            format!(
                "short on the shelf in {warehouse}: {} (lower the qty or place an order)",
                each.join("; ")
            )
        }
        CounterRefusal::NotOnShelf {
            line,
            sku,
            warehouse,
            short,
        } => format!(
            "short on the shelf in {warehouse}: line {line} {sku} {} {} (lower the qty or place an order)",
            qty(*short),
            unit(sku)
        ),
        CounterRefusal::CreditLimit { limit, over, .. } => format!(
            "over the credit limit by {} (limit {}): take payment in full or place an order",
            amount(*over),
            amount(*limit)
        ),
        _ => r.to_string(),
    }
}

impl Screen for CounterSale {
    fn name(&self) -> &'static str {
        "counter_sale"
    }
    fn title(&self) -> String {
        "counter sale".into()
    }
    fn context(&self) -> Context {
        if let Some(p) = &self.prompt {
            return p.context();
        }
        match self.focus {
            Focus::Done => Context::List,
            _ => Context::Form,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        if let Some(p) = &self.prompt {
            return p.actions();
        }
        match self.focus {
            Focus::Customer => vec![
                (Action::Submit, "customer (empty: walk-in)"),
                (Action::Lookup, "find customer"),
                (Action::Cancel, "leave"),
                (Action::Help, "keys"),
            ],
            Focus::Entry => vec![
                (Action::Submit, "add item (empty: pay)"),
                (Action::Lookup, "find item"),
                (Action::Pay, "pay"),
                (Action::Up, "lines"),
                (Action::PrevField, "customer"),
                (Action::WillCall, self.will_call_label()),
                if self.entry.text.is_empty() {
                    (Action::Cancel, "cancel sale")
                } else {
                    (Action::Cancel, "clear")
                },
                (Action::Help, "keys"),
            ],
            Focus::Lines => vec![
                (Action::Submit, "set qty [unit]"),
                (Action::DeleteLine, "remove line"),
                (Action::Up, "previous line"),
                (Action::Down, "next line"),
                (Action::Cancel, "back to scan"),
                (Action::Help, "keys"),
            ],
            Focus::Tender => {
                let mut a = vec![
                    (Action::Submit, "take amount (empty: all)"),
                    (Action::NextField, "method"),
                ];
                if self.account_ok {
                    a.push((Action::Complete, "rest on account"));
                }
                // Offered once there is a tender to give back.
                if !self.tenders.is_empty() {
                    a.push((Action::DeleteLine, "give back the last tender"));
                }
                a.extend([
                    (Action::WillCall, self.will_call_label()),
                    (Action::Cancel, "back to the scan field"),
                    (Action::Help, "keys"),
                ]);
                a
            }
            Focus::Done if self.will_call_done.is_some() => vec![
                (Action::Print, "print the ticket again"),
                (Action::Open, "next sale"),
                (Action::Back, "menu"),
                (Action::Help, "keys"),
            ],
            Focus::Done => vec![
                (Action::Print, "print the invoice again"),
                (Action::Open, "next sale"),
                (Action::Back, "menu"),
                (Action::Help, "keys"),
            ],
        }
    }

    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if let Some(mut p) = self.prompt.take() {
            match p.handle(input, ctx) {
                Picked::No => self.prompt = Some(p),
                Picked::Leave => {}
                Picked::Code(code) => match p.kind {
                    Kind::Customer => self.set_customer(code.into(), ctx),
                    Kind::Item => {
                        match split(ctx, &self.entry.text) {
                            Ok((a, _)) if a.warehouse.is_some() || a.price.is_some() => {
                                self.notice = Some(Notice::error(SHELF_ONLY));
                            }
                            Ok((a, _)) => {
                                let count = a.qty.unwrap_or(Decimal::ONE);
                                if self.add_line(ctx.state(), code.into(), None, count) {
                                    self.entry.take();
                                } else {
                                    self.entry.refused();
                                }
                            }
                            Err(e) => {
                                self.entry.refused();
                                self.notice = Some(Notice::error(e));
                            }
                        }
                        self.focus = Focus::Entry;
                    }
                },
            }
            return Flow::Stay;
        }
        if self.pending {
            // The sale is on its way: nothing may change it now.
            return Flow::Stay;
        }
        match (self.focus, input) {
            (Focus::Entry | Focus::Lines | Focus::Tender, Input::Action(Action::WillCall)) => {
                self.will_call = !self.will_call;
                self.notice = Some(Notice::info(if self.will_call {
                    "will-call: the goods are picked later; the payment is a deposit"
                } else {
                    "sold now from the shelf"
                }));
                Flow::Stay
            }
            (Focus::Done, Input::Action(Action::Open | Action::Submit)) => {
                self.reset(ctx);
                Flow::Stay
            }
            (Focus::Done, Input::Action(Action::Back | Action::Cancel)) => Flow::Pop,
            (Focus::Done, Input::Action(Action::Print)) => self.print(ctx),
            (Focus::Done, _) => Flow::Stay,

            (Focus::Customer, Input::Action(Action::Submit | Action::NextField)) => {
                self.accept_customer(ctx)
            }
            (Focus::Customer, Input::Action(Action::Lookup)) => {
                let q = self.customer_field.text.clone();
                self.prompt = Some(Prompt::open(Kind::Customer, &q, ctx));
                Flow::Stay
            }
            (Focus::Customer, Input::Action(Action::Cancel)) => self.leave(ctx),
            (Focus::Customer, other) => {
                if self.customer_field.edit(other) {
                    self.customer = None;
                    self.changed();
                }
                Flow::Stay
            }

            (Focus::Entry, Input::Action(Action::Submit)) => self.accept_entry(ctx),
            (Focus::Entry, Input::Action(Action::Lookup)) => {
                let q = split(ctx, &self.entry.text)
                    .map_or_else(|_| self.entry.text.clone(), |(_, code)| code);
                self.prompt = Some(Prompt::open(Kind::Item, &q, ctx));
                Flow::Stay
            }
            (Focus::Entry, Input::Action(Action::Pay | Action::Complete)) => {
                self.start_payment(ctx)
            }
            (Focus::Entry, Input::Action(Action::Up | Action::NextField))
                if !self.lines.is_empty() =>
            {
                self.focus = Focus::Lines;
                self.selected = self.lines.len() - 1;
                Flow::Stay
            }
            (Focus::Entry, Input::Action(Action::PrevField)) => {
                self.focus = Focus::Customer;
                Flow::Stay
            }
            // A misscanned item: Esc clears it; the next Esc cancels the sale.
            (Focus::Entry, Input::Action(Action::Cancel)) if !self.entry.text.is_empty() => {
                self.entry.take();
                self.notice = None;
                Flow::Stay
            }
            (Focus::Entry, Input::Action(Action::Cancel)) => self.leave(ctx),
            (Focus::Entry, other) => {
                self.entry.edit(other);
                Flow::Stay
            }

            (Focus::Lines, Input::Action(Action::Up)) => {
                self.selected = self.selected.saturating_sub(1);
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::Down)) => {
                if self.selected + 1 >= self.lines.len() {
                    self.focus = Focus::Entry;
                } else {
                    self.selected += 1;
                }
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::Submit)) => {
                // A scan while the cursor is on the lines is a scan, not a
                // quantity (`0614141000012 is more than 1000000`, and the
                // item was not added): it goes to the item field.
                let t = self.line_edit.trimmed().to_string();
                if parse_qty(&t).is_err() && ctx.state().scanned_item(&t, String::new).is_ok() {
                    self.line_edit.take();
                    self.entry = TextField::new(&t);
                    self.focus = Focus::Entry;
                    return self.accept_entry(ctx);
                }
                self.edit_line_qty(ctx);
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::DeleteLine)) => {
                match self.lines.get(self.selected) {
                    Some(l) => {
                        let q = format!(
                            "Remove line {} ({} x {})?",
                            self.selected + 1,
                            qty(l.qty),
                            l.sku
                        );
                        self.asking = Some(Ask::RemoveLine);
                        Flow::Confirm(q)
                    }
                    None => Flow::Stay,
                }
            }
            (
                Focus::Lines,
                Input::Action(Action::Cancel | Action::NextField | Action::PrevField),
            ) => {
                self.line_edit.take();
                self.focus = Focus::Entry;
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::Pay)) => self.start_payment(ctx),
            (Focus::Lines, other) => {
                self.line_edit.edit(other);
                Flow::Stay
            }

            (Focus::Tender, Input::Action(Action::Submit)) => self.accept_tender(ctx),
            (Focus::Tender, Input::Action(Action::NextField | Action::Down)) => {
                self.method = next_method(self.method, 1);
                Flow::Stay
            }
            (Focus::Tender, Input::Action(Action::PrevField | Action::Up)) => {
                self.method = next_method(self.method, 3);
                Flow::Stay
            }
            (Focus::Tender, Input::Action(Action::DeleteLine)) => {
                match self.tenders.last().cloned() {
                    Some(t) => {
                        let c = self.total(ctx).map(|(_, c)| c);
                        let amount = match &c {
                            Some(c) => money(t.amount, c),
                            None => t.amount.to_string(),
                        };
                        self.asking = Some(Ask::GiveBack);
                        Flow::Confirm(format!(
                            "Give back {} {amount} and take it off the sale?",
                            method_name(t.method)
                        ))
                    }
                    None => {
                        self.notice = Some(Notice::error("nothing tendered yet"));
                        Flow::Stay
                    }
                }
            }
            (Focus::Tender, Input::Action(Action::Complete)) => {
                if let Some(why) = self.account_refusal(ctx) {
                    self.notice = Some(Notice::error(why));
                    return Flow::Stay;
                }
                self.asking = Some(Ask::OnAccount);
                let rest = self
                    .total(ctx)
                    .map(|(t, c)| format!(" ({} {c})", money(t - self.paid(), &c)))
                    .unwrap_or_default();
                Flow::Confirm(format!("Put the rest{rest} on the customer's account?"))
            }
            (Focus::Tender, Input::Action(Action::Cancel)) => {
                // Back to the scan field; tenders already taken stay.
                self.amount.take();
                self.focus = Focus::Entry;
                Flow::Stay
            }
            // A method's letter chooses it; any other letter is typed
            // into the amount, which then refuses it ("1e5" was taken as
            // 15.00 with the e dropped).
            (Focus::Tender, Input::Char(c)) if method_key(c).is_some() => {
                self.method = method_key(c).unwrap_or(self.method);
                Flow::Stay
            }
            (Focus::Tender, other) => {
                self.amount.edit(other);
                Flow::Stay
            }
        }
    }

    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.pending = false;
        match outcome {
            Submitted::Committed {
                events, duplicate, ..
            } if self.will_call => {
                let order = events.iter().find_map(|e| match e {
                    Event::OrderPlaced(o) => Some(o.number.clone()),
                    _ => None,
                });
                let list = events
                    .iter()
                    .filter_map(|e| match e {
                        Event::PickListCreated(p) => Some(p.number.clone()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .joined(", ");
                let deposit = events
                    .iter()
                    .find_map(|e| match e {
                        Event::DepositTaken(d) => Some(d.taken),
                        _ => None,
                    })
                    .unwrap_or_default();
                let total = self.total(ctx).map(|(t, _)| t).unwrap_or_default();
                if let Some(d) = self.done.as_mut() {
                    d.1 = total;
                }
                let order = order.unwrap_or_default();
                self.will_call_done = Some((order.clone(), list.into(), deposit));
                self.focus = Focus::Done;
                if !duplicate && !order.is_empty() {
                    return self.print(ctx);
                }
                self.notice = Some(Notice::info(format!(
                    "{}will-call {order} placed",
                    if duplicate {
                        "(already committed) "
                    } else {
                        ""
                    }
                )));
            }
            Submitted::Committed {
                events, duplicate, ..
            } => {
                let inv = events.iter().find_map(|e| match e {
                    Event::Invoiced { invoice, .. } => {
                        Some((invoice.number.clone(), invoice.total))
                    }
                    _ => None,
                });
                let (number, total) = inv.unwrap_or_default();
                if let Some(d) = self.done.as_mut() {
                    d.0 = number.clone();
                    d.1 = total;
                }
                self.focus = Focus::Done;
                if !duplicate && !number.is_empty() {
                    // The customer takes the invoice: printed at once, to
                    // the counter's (or the clerk's) printer.
                    return self.print(ctx);
                }
                self.notice = Some(Notice::info(format!(
                    "{}sale complete: invoice {number}",
                    if duplicate {
                        "(already committed) "
                    } else {
                        ""
                    }
                )));
            }
            Submitted::Refused(r) => {
                // The refusal was logged under this key: the next try is
                // another command (the same one would only be refused
                // again), so it needs a key of its own.
                self.key = ctx.new_key();
                self.done = None;
                // What was tendered before the refused one stays taken (the
                // cash is in the drawer), as when the clerk steps back to
                // the lines: dropping it unsaid invited taking it twice.
                self.focus = Focus::Entry;
                self.show_refusal(&r, ctx.state());
            }
            Submitted::Stopped(e) => {
                // Nothing was acknowledged; the same key is kept, so a retry
                // after a restart can never sell twice.
                self.done = None;
                self.focus = Focus::Tender;
                self.notice = Some(Notice::error(format!("not completed: {e}")));
            }
        }
        let _ = ctx;
        Flow::Stay
    }

    fn confirmed(&mut self, yes: bool, ctx: &Ctx) -> Flow {
        self.answer(yes, ctx)
    }

    fn dirty(&self) -> bool {
        !self.lines.is_empty() && self.focus != Focus::Done
    }

    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let s = ctx.state();
        let show_margin = ctx.operator_record().is_some_and(|o| {
            o.roles.iter().any(|r| {
                let p = r.permissions();
                p.contains(&crate::core::auth::Permission::ManagePricing)
                    || p.contains(&crate::core::auth::Permission::ReleaseHolds)
                    || p.contains(&crate::core::auth::Permission::ViewLedger)
            })
        });
        let [head, scan, table, totals] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(3),
        ])
        .areas(area);

        // Customer and credit.
        let cust = self.customer.as_ref().and_then(|c| s.customers.get(c));
        let w = head.width as usize;
        let mut l1 = vec![
            Span::styled("Customer ", theme.label()),
            self.customer_field
                .span(self.focus == Focus::Customer, 12, theme),
            Span::raw(" "),
        ];
        let mut l2 = vec![
            Span::styled("Counter  ", theme.label()),
            Span::raw(self.warehouse.clone()),
        ];
        if self.will_call {
            l2.push(Span::styled("  WILL-CALL (pick later)", theme.selected()));
        }
        self.account_ok = true;
        match cust {
            Some(c) => {
                // Said before the goods are scanned, not at the payment: a
                // customer past due pays in full (nothing on account).
                let past_due = crate::core::sales::past_due(s, c, ctx.today());
                self.account_ok = account_refusal(c, past_due).is_none();
                const PAST_DUE: &str = "  PAST DUE: pay in full";
                let room = w.saturating_sub(24 + if past_due { PAST_DUE.len() } else { 0 });
                l1.push(Span::raw(fit(&c.name, room)));
                if past_due {
                    l1.push(Span::styled(PAST_DUE, theme.error()));
                }
                let exposure = crate::core::sales::exposure(s, c);
                l2.push(Span::raw(format!(
                    "   terms {}   credit available {} {}",
                    c.terms,
                    money(c.credit_limit - exposure, &c.currency),
                    c.currency
                )));
            }
            // What Enter does: the walk-in while the field is empty, else
            // look up what is typed.
            None if self.customer_field.trimmed().is_empty() => {
                l1.push(Span::styled("Enter: walk-in  F4: find", theme.dim()));
                if let Some(last) = self.last_sale.as_ref().filter(|_| self.lines.is_empty()) {
                    let room = w.saturating_sub(9 + self.warehouse.chars().count() + 3);
                    l2.push(Span::styled(format!("   {}", fit(last, room)), theme.dim()));
                }
            }
            None => l1.push(Span::styled("Enter: look up  F4: find", theme.dim())),
        }
        f.render_widget(Paragraph::new(vec![Line::from(l1), Line::from(l2)]), head);

        let scan_line = Line::from(vec![
            Span::styled("Scan/SKU ", theme.label()),
            self.entry.span(self.focus == Focus::Entry, 24, theme),
            Span::styled("  N*code for N; Enter on empty: pay", theme.dim()),
        ]);
        f.render_widget(Paragraph::new(scan_line), scan);

        // Lines.
        let preview = self.preview(ctx).cloned();
        let lines_pv = match &preview {
            Some(Ok(p)) => Some(p.clone()),
            Some(Err(_)) => self.preview.as_ref().and_then(|(_, _, _, l)| l.clone()),
            None => None,
        };
        let wide = area.width >= 110;
        let mut header = vec![
            "#",
            "SKU",
            "Description",
            "Qty",
            "Unit",
            "Price",
            "Amount",
            "Rule",
        ];
        if show_margin {
            header.push("Marg%");
        }
        header.push(if wide {
            "Free here / elsewhere"
        } else {
            "Free +other"
        });
        let rows: Vec<(Vec<String>, ratatui::style::Style)> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let item = s.items.get(&l.sku);
                let pl = lines_pv.as_ref().and_then(|p| p.lines.get(i));
                let avail = sale::available(s, &l.sku, ctx.today());
                let here = avail
                    .iter()
                    .find(|(w, _)| *w == self.warehouse)
                    .map(|(_, a)| qty(*a))
                    .unwrap_or_else(|| "0".into());
                let other: Vec<String> = avail
                    .iter()
                    .filter(|(w, a)| *w != self.warehouse && *a > Decimal::ZERO)
                    .map(|(w, a)| format!("{w} {}", qty(*a)))
                    .collect();
                let cur = lines_pv
                    .as_ref()
                    .map(|p| p.currency.clone())
                    .unwrap_or_else(|| Currency::new("USD"));
                let mut cells = vec![
                    (i + 1).to_string(),
                    l.sku.to_string(),
                    item.map(|i| i.description.clone()).unwrap_or_default(),
                    if self.focus == Focus::Lines
                        && i == self.selected
                        && !self.line_edit.text.is_empty()
                    {
                        format!("{}_", self.line_edit.text)
                    } else {
                        qty(l.qty)
                    },
                    l.unit
                        .clone()
                        .or_else(|| item.map(|i| i.base_unit.clone()))
                        .unwrap_or_default()
                        .to_string(),
                    pl.map(|p| num(money(p.unit_price, &cur), 14))
                        .unwrap_or_default(),
                    pl.map(|p| num(money(p.value, &cur), 14))
                        .unwrap_or_default(),
                    pl.map(|p| {
                        if wide {
                            fit(&p.rule.to_string(), 22)
                        } else {
                            sale::rule_short(&p.rule)
                        }
                    })
                    .unwrap_or_default(),
                ];
                if show_margin {
                    cells.push(
                        pl.and_then(margin_pct)
                            .map(|m| m.to_string())
                            .unwrap_or_default(),
                    );
                }
                let elsewhere: Decimal = avail
                    .iter()
                    .filter(|(w, a)| *w != self.warehouse && *a > Decimal::ZERO)
                    .map(|(_, a)| *a)
                    .sum();
                cells.push(if wide {
                    format!(
                        "{here} / {}",
                        if other.is_empty() {
                            "-".into()
                        } else {
                            other.join(" ")
                        }
                    )
                } else {
                    format!("{here} +{}", qty(elsewhere))
                });
                let style = if self.bad_line == Some((i + 1) as u32)
                    || self.short_lines.contains(&((i + 1) as u32))
                {
                    theme.error()
                } else {
                    ratatui::style::Style::new()
                };
                (cells, style)
            })
            .collect();
        // Each column as wide as its widest cell (at least as its usual
        // figures, so that it does not jump while scanning); the
        // description takes the rest, so that at 80 columns it is read,
        // not guessed from 9 letters.
        let mins: &[usize] = if wide {
            &[2, 10, 0, 5, 4, 9, 12, 22, 6, 24]
        } else {
            &[2, 8, 0, 5, 4, 8, 9, 8, 6, 6]
        };
        let fitted = crate::ui::widgets::fitted(
            &header,
            rows,
            mins,
            Some((2, if wide { 24 } else { 8 })),
            &[5, 6],
        );
        let (header, rows, widths) = fitted.into_table(theme.label());
        // The newest line stays in sight while scanning (the table
        // scrolls to the end); on the lines, to the one selected.
        let visible = table.height.saturating_sub(3) as usize;
        let mut st = TableState::default().with_offset(self.lines.len().saturating_sub(visible));
        if self.focus == Focus::Lines {
            st.select(Some(self.selected));
        }
        let t = Table::new(rows, widths)
            .header(header)
            .row_highlight_style(theme.selected())
            .block(Block::new().borders(Borders::TOP | Borders::BOTTOM));
        f.render_stateful_widget(t, table, &mut st);

        // Totals, tender or the refusal the sale would get.
        let mut out: Vec<Line> = Vec::new();
        match &preview {
            Some(Ok(p)) => {
                let c = &p.currency;
                out.push(Line::from(vec![
                    Span::styled("Goods ", theme.label()),
                    Span::raw(money(p.goods, c)),
                    Span::styled("  Tax ", theme.label()),
                    Span::raw(money(p.tax, c)),
                    Span::styled("  Freight ", theme.label()),
                    Span::raw(money(p.freight, c)),
                    Span::styled("  TOTAL ", theme.label()),
                    Span::styled(format!("{} {c}", money(p.total, c)), theme.good()),
                ]));
                // What was tendered shows while paying, and after, while
                // it stays taken (back at the lines, or after a refusal).
                if self.focus == Focus::Tender || !self.tenders.is_empty() {
                    let rest = p.total - self.paid();
                    let paid: Vec<String> = self
                        .tenders
                        .iter()
                        .map(|t| format!("{} {}", method_name(t.method), money(t.amount, c)))
                        .collect();
                    out.push(Line::from(vec![
                        Span::styled("Paid ", theme.label()),
                        Span::raw(if paid.is_empty() {
                            "-".into()
                        } else {
                            paid.join(", ")
                        }),
                        Span::styled("   Due ", theme.label()),
                        Span::styled(money(rest, c), theme.good()),
                    ]));
                }
                if self.focus == Focus::Tender {
                    let rest = p.total - self.paid();
                    let change = parse_money(&ungroup(self.amount.trimmed()))
                        .ok()
                        .filter(|a| *a > rest && self.method == Method::Cash)
                        .map(|a| format!("   change {}", money(a - rest, c)))
                        .unwrap_or_default();
                    out.push(Line::from(vec![
                        Span::styled("Tender ", theme.label()),
                        Span::styled(format!("[{}]", method_name(self.method)), theme.selected()),
                        Span::raw(" "),
                        self.amount.span(true, 12, theme),
                        Span::styled(
                            format!("{change}  c cash k card q cheque t transfer"),
                            theme.dim(),
                        ),
                    ]));
                }
            }
            // Read whole (two rows at 80 columns), where the total would
            // be: paying refers to it rather than saying it again.
            Some(Err(r)) => out.extend(
                crate::ui::widgets::wrap_words(
                    &refusal_text(r, s, self.customer.as_deref()),
                    area.width as usize,
                    2,
                )
                .into_iter()
                .map(|l| Line::from(Span::styled(l, theme.error()))),
            ),
            None => out.push(Line::from(Span::styled("no lines yet", theme.dim()))),
        }
        let tendered = |cur: &Currency| -> String {
            if self.paid_with.is_empty() {
                "on account".to_string()
            } else {
                self.paid_with
                    .iter()
                    .map(|(m, a)| format!("{} {}", method_name(*m), money(*a, cur)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        if let (Focus::Done, Some((inv, total, change, cur))) = (self.focus, &self.done) {
            if let Some((order, list, deposit)) = &self.will_call_done {
                out = vec![
                    Line::from(vec![
                        Span::styled("WILL-CALL ", theme.good()),
                        Span::raw(format!(
                            "order {order}  pick list {list}  total {} {cur}",
                            money(*total, cur)
                        )),
                    ]),
                    Line::from(vec![
                        Span::styled("Deposit ", theme.label()),
                        Span::raw(format!("{}  ", money(*deposit, cur))),
                        Span::styled("Tendered ", theme.label()),
                        Span::raw(tendered(cur)),
                        Span::styled("  Change ", theme.label()),
                        Span::styled(money(*change, cur), theme.good()),
                    ]),
                    Line::from(Span::styled(
                        "ticket printed; the warehouse picks it.  Enter: next sale   Esc: menu",
                        theme.dim(),
                    )),
                ];
                f.render_widget(Paragraph::new(out), totals);
                if let Some(p) = self.prompt.as_mut() {
                    p.render(f, area, ctx);
                }
                return;
            }
            // What the tenders did not pay went on the customer's account.
            let taken: Decimal = self.paid_with.iter().map(|(_, a)| *a).sum();
            let on_account = *total - (taken - *change);
            let mut paid = vec![
                Span::styled("Tendered ", theme.label()),
                Span::raw(tendered(cur)),
                Span::styled("  Change due ", theme.label()),
                Span::styled(money(*change, cur), theme.good()),
            ];
            if on_account > Decimal::ZERO && !self.paid_with.is_empty() {
                paid.push(Span::styled("  On account ", theme.label()));
                paid.push(Span::raw(money(on_account, cur)));
            }
            out = vec![
                Line::from(vec![
                    Span::styled("SOLD ", theme.good()),
                    Span::raw(format!("invoice {inv}  total {} {cur}", money(*total, cur))),
                ]),
                Line::from(paid),
                Line::from(Span::styled("Enter: next sale   Esc: menu", theme.dim())),
            ];
        }
        f.render_widget(Paragraph::new(out), totals);

        if let Some(p) = self.prompt.as_mut() {
            p.render(f, area, ctx);
        }
    }
}

impl CounterSale {
    fn will_call_label(&self) -> &'static str {
        if self.will_call {
            "sell now instead"
        } else {
            "pick later (will-call)"
        }
    }

    /// Leave the screen: asks first when a sale is under way, and names
    /// the tenders already taken, which go back to the customer.
    fn leave(&mut self, ctx: &Ctx) -> Flow {
        if self.lines.is_empty() && self.tenders.is_empty() {
            return Flow::Pop;
        }
        // Strict: an Enter (a scan's, a double key) keeps the sale;
        // only y drops it.
        self.asking = Some(Ask::Leave);
        let give_back = match self.total(ctx) {
            Some((_, c)) if !self.tenders.is_empty() => {
                let each: Vec<String> = self
                    .tenders
                    .iter()
                    .map(|t| format!("{} {}", method_name(t.method), money(t.amount, &c)))
                    .collect();
                format!(" Give back what was taken: {} {c}.", each.join(", "))
            }
            _ if !self.tenders.is_empty() => " Give back what was taken.".to_string(),
            _ => String::new(),
        };
        Flow::ConfirmStrict(format!(
            "Cancel this sale of {}? Nothing is sold.{give_back}",
            match self.lines.len() {
                1 => "1 line".to_string(),
                n => format!("{n} lines"),
            }
        ))
    }

    fn answer(&mut self, yes: bool, ctx: &Ctx) -> Flow {
        let Some(ask) = self.asking.take() else {
            return Flow::Stay;
        };
        if !yes {
            return Flow::Stay;
        }
        match ask {
            Ask::Leave => Flow::Pop,
            Ask::RemoveLine if self.selected < self.lines.len() => {
                self.lines.remove(self.selected);
                self.selected = self.selected.min(self.lines.len().saturating_sub(1));
                if self.lines.is_empty() {
                    self.focus = Focus::Entry;
                }
                self.changed();
                Flow::Stay
            }
            Ask::RemoveLine => Flow::Stay,
            Ask::GiveBack => {
                let currency = self.total(ctx).map(|(_, c)| c);
                if let Some(t) = self.tenders.pop() {
                    let amount = match &currency {
                        Some(c) => money(t.amount, c),
                        None => t.amount.to_string(),
                    };
                    self.notice = Some(Notice::info(format!(
                        "given back: {} {amount}",
                        method_name(t.method)
                    )));
                }
                Flow::Stay
            }
            Ask::OnAccount => self.complete(None, ctx),
        }
    }
}

/// Why customer `c` (`past_due` or not) pays in full, with nothing on
/// account: no credit limit (the walk-in, a cash customer), or an invoice
/// past due. The core refuses both; the core alone checks the limit
/// against the sale's total.
fn account_refusal(c: &crate::core::master::Customer, past_due: bool) -> Option<String> {
    if c.credit_limit <= Decimal::ZERO {
        Some(format!(
            "{} has no credit: take payment in full (or place an order)",
            c.code
        ))
    } else if past_due {
        Some(format!(
            "{} is past due: take payment in full (or place an order)",
            c.code
        ))
    } else {
        None
    }
}

fn next_method(m: Method, step: usize) -> Method {
    const ORDER: [Method; 4] = [Method::Cash, Method::Card, Method::Cheque, Method::Transfer];
    let i = ORDER.iter().position(|x| *x == m).unwrap_or(0);
    ORDER[(i + step) % ORDER.len()]
}
