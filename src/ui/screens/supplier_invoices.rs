//! Supplier invoices (AP clerk; approvals by someone else): enter an
//! invoice against the supplier's received PO lines, line by line, with
//! the three-way match of each line (quantity, price, tolerance) and its
//! exact difference before anything is committed; the worklist of held
//! and open invoices with why each is held; approve or reject (the core
//! refuses an approval by who entered it); the payment proposal (due, or
//! losing its discount, within a week) paid in a run, one payment per
//! supplier, after a confirm step.

use crate::core::code::Joined;
use crate::core::purchasing::{ApApplyTo, ApStatus, InvoiceLineInput};
use crate::core::types::ToCode;
use crate::core::types::{parse_decimal, Code, Currency};
use crate::core::{CommandBody, Event};
use crate::query::ap::{
    match_line, matchable_lines, overdrawn, proposal, worklist, MatchLine, Proposed,
};
use crate::query::{money, qty};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{counted, fit, moved, wrap_words, TextField};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};
use ratatui::Frame;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Days ahead the payment proposal looks.
pub const PROPOSAL_DAYS: i64 = 7;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Supplier,
    Reference,
    Lines,
    EditLine,
    Invoices,
    Filter,
    Reason,
    /// The payment run pays what falls due (or loses its discount) by
    /// this day.
    Until,
    /// A landed-cost charge (freight, duty) being entered.
    Charge,
}

/// The part of the landed-cost charge being typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChargeField {
    Kind,
    Amount,
    Basis,
    Receipts,
}

/// A freight or duty charge billed by the supplier on screen (their
/// invoice number is the reference), spread over goods receipts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    pub field: ChargeField,
    pub kind: TextField,
    pub amount: TextField,
    pub basis: crate::core::landed::Basis,
    /// Goods receipt numbers, separated by spaces or commas.
    pub receipts: TextField,
}

enum Ask {
    Enter,
    Approve(Code),
    Reject(Code, String),
    PayRun,
    Charge(Box<CommandBody>),
    Leave,
}

pub struct SupplierInvoices {
    pub focus: Focus,
    pub supplier_field: TextField,
    pub supplier: Option<Code>,
    pub reference: TextField,
    /// (po, line) -> (qty, price) invoiced.
    pub lines: BTreeMap<(Code, u32), (Decimal, Decimal)>,
    pub edit: TextField,
    pub filter: TextField,
    /// Pay through: a date, or `+N` days (default +7).
    pub until: TextField,
    pub selected: usize,
    pub row: usize,
    asking: Option<Ask>,
    /// Payments of the run still to submit (one per supplier).
    run: Vec<(Code, Vec<Proposed>)>,
    paid: usize,
    /// The supplier payments of the last run: their remittance advices
    /// print when the run ends and again with the print key.
    pub remitted: Vec<Code>,
    /// The landed-cost charge being entered.
    pub charge: Option<Charge>,
    /// The allocation of the last charge entered: (its invoice, shares).
    pub allocated: Option<(Code, Vec<crate::core::landed::LandedShare>)>,
    pending: bool,
    key: String,
    page: usize,
    notice: Option<Notice>,
    /// Opened on one invoice (`for_invoice`): back from the worklist is
    /// back to where it was opened from, not to the entry form.
    opened_on: bool,
    /// The operator may approve and reject held invoices (offered only
    /// then: an AP clerk who enters them may not).
    approves: bool,
}

impl SupplierInvoices {
    pub fn new(ctx: &Ctx) -> SupplierInvoices {
        // Who cannot enter invoices (an approver) starts on the worklist.
        let enters = ctx.operator_record().is_some_and(|o| {
            o.roles.iter().any(|r| {
                r.permissions()
                    .contains(&crate::core::auth::Permission::EnterSupplierInvoices)
            })
        });
        SupplierInvoices {
            focus: if enters {
                Focus::Supplier
            } else {
                Focus::Invoices
            },
            supplier_field: TextField::default(),
            supplier: None,
            reference: TextField::default(),
            lines: BTreeMap::new(),
            edit: TextField::default(),
            filter: TextField::default(),
            until: TextField::default(),
            selected: 0,
            row: 0,
            asking: None,
            run: Vec::new(),
            paid: 0,
            remitted: Vec::new(),
            charge: None,
            allocated: None,
            pending: false,
            key: ctx.new_key(),
            page: 10,
            notice: None,
            opened_on: false,
            approves: ctx.allowed(crate::core::auth::Permission::ApproveChanges),
        }
    }

    /// Opened on one invoice (the exception queue's Enter on an invoice
    /// held by the three-way match): the worklist, that invoice selected
    /// as Tab and the arrow keys would leave it, why it is held under
    /// the list, F6 approving and F7 rejecting it. Back (Esc) returns to
    /// where it was opened from. An invoice not on the worklist (neither
    /// held nor open) is said, the worklist shown from its top.
    pub fn for_invoice(ctx: &Ctx, number: &str) -> SupplierInvoices {
        let mut s = SupplierInvoices::new(ctx);
        s.focus = Focus::Invoices;
        s.opened_on = true;
        match s.rows(ctx).iter().position(|i| i.number == number) {
            Some(row) => s.row = row,
            None => {
                let why = match ctx.state().supplier_invoices.get(&number.to_code()) {
                    Some(i) => format!(
                        "{number} is {}: not on the worklist",
                        format!("{:?}", i.status).to_lowercase()
                    ),
                    None => format!("no supplier invoice {number}"),
                };
                s.notice = Some(Notice::error(why));
            }
        }
        s
    }

    fn matchable(&self, ctx: &Ctx) -> Vec<MatchLine> {
        self.supplier
            .as_ref()
            .map(|s| matchable_lines(ctx.state(), s))
            .unwrap_or_default()
    }

    fn rows<'s>(&self, ctx: &'s Ctx) -> Vec<&'s crate::core::purchasing::SupplierInvoice> {
        let f = self.filter.trimmed().to_ascii_uppercase();
        worklist(ctx.state())
            .into_iter()
            .filter(|i| {
                f.is_empty()
                    || i.number.to_ascii_uppercase().contains(&f)
                    || i.supplier.to_ascii_uppercase().contains(&f)
                    || i.reference.to_ascii_uppercase().contains(&f)
            })
            .collect()
    }

    /// The last day the run pays for (None: not a date).
    fn until_date(&self, today: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        let t = self.until.trimmed();
        if t.is_empty() {
            return Some(today + chrono::Duration::days(PROPOSAL_DAYS));
        }
        if let Some(n) = t.strip_prefix('+') {
            let n: i64 = n.parse().ok().filter(|n| (0..=366).contains(n))?;
            return Some(today + chrono::Duration::days(n));
        }
        chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
    }

    fn proposal(&self, ctx: &Ctx) -> Vec<Proposed> {
        let today = ctx.today();
        match self.until_date(today) {
            Some(until) => proposal(ctx.state(), today, until),
            None => Vec::new(),
        }
    }

    fn on_lines(&self) -> bool {
        matches!(
            self.focus,
            Focus::Supplier | Focus::Reference | Focus::Lines | Focus::EditLine | Focus::Charge
        )
    }

    fn submit(&mut self, body: CommandBody) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        self.pending = true;
        Flow::Submit(Box::new(Request {
            key: self.key.clone(),
            body,
        }))
    }

    fn set_supplier(&mut self, ctx: &Ctx) {
        match crate::ui::entry::find_supplier(ctx.state(), self.supplier_field.trimmed(), false) {
            Ok(sup) => {
                if self.supplier.as_ref() != Some(&sup.code) {
                    self.lines.clear();
                    self.selected = 0;
                }
                self.supplier_field = TextField::new(&sup.code);
                self.supplier = Some(sup.code.clone());
                self.focus = Focus::Reference;
            }
            Err(why) => self.notice = Some(Notice::error(why)),
        }
    }

    fn toggle_line(&mut self, ctx: &Ctx) {
        let ml = self.matchable(ctx);
        let Some(m) = ml.get(self.selected) else {
            return;
        };
        let k = (m.po.clone(), m.line);
        match self.lines.get(&k) {
            None => {
                self.lines.insert(k, (m.uninvoiced, m.price));
            }
            Some((q, p)) => {
                // Proposed: what is typed replaces it (`5` is 5 at the
                // line's price, not `240@36.285`); an editing key mends it.
                self.edit = TextField::proposed(&format!("{q}@{p}"));
                self.focus = Focus::EditLine;
            }
        }
    }

    fn set_line(&mut self, ctx: &Ctx) {
        let ml = self.matchable(ctx);
        let Some(m) = ml.get(self.selected) else {
            self.focus = Focus::Lines;
            return;
        };
        // Each number's thousands grouped or not (`1,000@2.50`); a
        // decimal comma (`39,50`) is refused, not read as 3950.
        let text = self.edit.trimmed();
        let ungroup = |t: &str| crate::ui::entry::ungroup(t.trim());
        let (q, p) = match text.split_once('@') {
            Some((q, p)) => (ungroup(q), Some(ungroup(p))),
            None => (ungroup(text), None),
        };
        let q = match parse_decimal(&q) {
            Ok(v) if v > Decimal::ZERO => v,
            Ok(v) => {
                self.notice = Some(Notice::error(format!(
                    "quantity {v}: an invoiced quantity is more than 0 (a credit from the supplier is a debit note)"
                )));
                return;
            }
            Err(_) => {
                self.notice = Some(Notice::error(
                    "quantity@price, e.g. 10@4.25 (base units, price per base unit)",
                ));
                return;
            }
        };
        // A quantity alone keeps the price the line has.
        let held = self
            .lines
            .get(&(m.po.clone(), m.line))
            .map_or(m.price, |(_, p)| *p);
        let p = match p.as_deref().map(parse_decimal) {
            None => held,
            Some(Ok(v)) if v >= Decimal::ZERO => v,
            Some(Ok(v)) => {
                self.notice = Some(Notice::error(format!("price {v}: a price is 0 or more")));
                return;
            }
            Some(Err(e)) => {
                self.notice = Some(Notice::error(format!(
                    "the price {} {e}",
                    p.as_deref().unwrap_or_default()
                )));
                return;
            }
        };
        // What the core would refuse, said here rather than after F10.
        if let Some(problem) = crate::ui::entry::item_qty_problem(ctx.state(), &m.sku, None, q) {
            self.notice = Some(Notice::error(problem));
            return;
        }
        let most = crate::core::validate::PRICE_DECIMALS_MAX;
        if crate::core::types::decimals_used(p) > most {
            self.notice = Some(Notice::error(format!(
                "price {} has more than {most} decimals",
                p.normalize()
            )));
            return;
        }
        self.lines.insert((m.po.clone(), m.line), (q, p));
        self.focus = Focus::Lines;
    }

    fn invoice_body(&self) -> Option<CommandBody> {
        Some(CommandBody::EnterSupplierInvoice {
            supplier: self.supplier.clone()?,
            reference: self.reference.trimmed().to_string(),
            lines: self
                .lines
                .iter()
                .map(|((po, line), (q, p))| InvoiceLineInput {
                    po: po.clone(),
                    line: *line,
                    qty: *q,
                    price: *p,
                })
                .collect(),
        })
    }

    /// The remittance advices of the last run's payments.
    fn remittances(&self, ctx: &Ctx) -> Vec<crate::docs::print::PrintRequest> {
        self.remitted
            .iter()
            .map(|p| {
                crate::docs::print::PrintRequest::new(
                    crate::docs::DocKind::RemittanceAdvice,
                    p,
                    ctx.today(),
                )
            })
            .collect()
    }

    /// Print the remittance advices again: the last run's, else the
    /// latest payment to the selected invoice's supplier.
    fn reprint(&mut self, ctx: &Ctx) -> Flow {
        if !self.remitted.is_empty() {
            return Flow::Print(self.remittances(ctx));
        }
        let s = ctx.state();
        let supplier = self
            .rows(ctx)
            .get(self.row)
            .map(|i| i.supplier.clone())
            .or_else(|| self.supplier.clone());
        let latest = s
            .supplier_payments
            .values()
            .filter(|p| supplier.as_ref().is_none_or(|c| p.supplier == c))
            .max_by(|a, b| (a.date, &a.number).cmp(&(b.date, &b.number)));
        match latest {
            Some(p) => Flow::Print(vec![crate::docs::print::PrintRequest::new(
                crate::docs::DocKind::RemittanceAdvice,
                &p.number,
                ctx.today(),
            )]),
            None => {
                self.notice = Some(Notice::error(
                    "no supplier payment to print a remittance advice of",
                ));
                Flow::Stay
            }
        }
    }

    /// The command of the charge on screen, or what is missing.
    fn charge_body(&self) -> Result<CommandBody, String> {
        let c = self.charge.as_ref().ok_or("no charge")?;
        let supplier = self.supplier.clone().ok_or("the supplier first")?;
        let reference = self.reference.trimmed().to_string();
        if reference.is_empty() {
            return Err("their invoice number first".into());
        }
        let kind = c.kind.trimmed().to_ascii_lowercase();
        if kind.is_empty() {
            return Err("what the charge is (freight, duty)".into());
        }
        let amount = parse_decimal(&crate::ui::entry::ungroup(c.amount.trimmed()))
            .ok()
            .filter(|a| *a > Decimal::ZERO)
            .ok_or("the charge's amount, above zero")?;
        let receipts: Vec<Code> = c
            .receipts
            .trimmed()
            .split([' ', ','])
            .filter(|r| !r.is_empty())
            .map(|r| Code::from(r.to_ascii_uppercase()))
            .collect();
        if receipts.is_empty() {
            return Err("the goods receipts it is for (GR-...)".into());
        }
        Ok(CommandBody::AllocateLandedCost {
            supplier,
            reference,
            kind: kind.into(),
            amount,
            basis: c.basis,
            receipts,
        })
    }

    /// What the charge on screen would allocate, as the core computes it
    /// (nothing is committed).
    fn charge_preview(&self, ctx: &Ctx) -> Result<Vec<crate::core::landed::LandedShare>, String> {
        let body = self.charge_body()?;
        let CommandBody::AllocateLandedCost {
            supplier,
            reference,
            kind,
            amount,
            basis,
            receipts,
        } = &body
        else {
            return Err("no charge".into());
        };
        let cmd = crate::core::Command {
            operator: ctx.operator.to_string().into(),
            session: ctx.session.to_string(),
            time: ctx.now,
            key: None,
            body: body.clone(),
        };
        match crate::core::landed::allocate(
            ctx.state(),
            &cmd,
            supplier,
            reference,
            kind,
            *amount,
            *basis,
            receipts,
        ) {
            Ok(events) => Ok(events
                .into_iter()
                .find_map(|e| match e {
                    Event::LandedCostAllocated { shares, .. } => Some(shares),
                    _ => None,
                })
                .unwrap_or_default()),
            Err(r) => Err(r.to_string()),
        }
    }

    fn start_charge(&mut self, ctx: &Ctx) {
        let s = ctx.state();
        let Some(sup) = self.supplier.as_ref().and_then(|c| s.suppliers.get(c)) else {
            self.notice = Some(Notice::error(
                "the supplier who bills the charge first (a carrier, a broker)",
            ));
            self.focus = Focus::Supplier;
            return;
        };
        // The entity's latest receipt: what a freight bill is usually for.
        let latest = s
            .goods_receipts
            .values()
            .filter(|r| r.entity == sup.entity)
            .max_by(|a, b| (a.date, &a.number).cmp(&(b.date, &b.number)))
            .map(|r| r.number.clone())
            .unwrap_or_default();
        self.charge = Some(Charge {
            field: ChargeField::Amount,
            kind: TextField::new("freight"),
            amount: TextField::default(),
            basis: crate::core::landed::Basis::Value,
            receipts: TextField::new(&latest),
        });
        self.allocated = None;
        self.focus = Focus::Charge;
    }

    fn charge_input(&mut self, input: Input, ctx: &Ctx) -> Flow {
        use crate::core::landed::Basis;
        let Some(c) = self.charge.as_mut() else {
            self.focus = Focus::Reference;
            return Flow::Stay;
        };
        match input {
            Input::Action(Action::Cancel) => {
                self.charge = None;
                self.focus = Focus::Reference;
                Flow::Stay
            }
            Input::Action(Action::NextField | Action::PrevField) => {
                let order = [
                    ChargeField::Kind,
                    ChargeField::Amount,
                    ChargeField::Basis,
                    ChargeField::Receipts,
                ];
                let i = order.iter().position(|f| *f == c.field).unwrap_or(0);
                let j = if input == Input::Action(Action::PrevField) {
                    (i + 3) % 4
                } else {
                    (i + 1) % 4
                };
                c.field = order[j];
                Flow::Stay
            }
            Input::Action(Action::Submit) => {
                if c.field != ChargeField::Receipts {
                    c.field = match c.field {
                        ChargeField::Kind => ChargeField::Amount,
                        ChargeField::Amount => ChargeField::Basis,
                        _ => ChargeField::Receipts,
                    };
                    return Flow::Stay;
                }
                let body = match self.charge_body() {
                    Ok(b) => b,
                    Err(e) => {
                        self.notice = Some(Notice::error(e));
                        return Flow::Stay;
                    }
                };
                let shares = match self.charge_preview(ctx) {
                    Ok(s) => s,
                    Err(e) => {
                        self.notice = Some(Notice::error(e));
                        return Flow::Stay;
                    }
                };
                let CommandBody::AllocateLandedCost {
                    supplier,
                    reference,
                    kind,
                    amount,
                    basis,
                    receipts,
                } = &body
                else {
                    return Flow::Stay;
                };
                let stock: Decimal = shares.iter().map(|x| x.to_stock).sum();
                let cogs: Decimal = shares.iter().map(|x| x.to_cogs).sum();
                let q = format!(
                    "Enter {kind} {reference} of {supplier}: {amount} by {} over {} ({} lines: {stock} to stock, {cogs} to COGS)?",
                    if *basis == Basis::Value { "value" } else { "weight" },
                    receipts.joined(" "),
                    shares.len()
                );
                self.asking = Some(Ask::Charge(Box::new(body)));
                Flow::Confirm(q)
            }
            other => {
                match c.field {
                    ChargeField::Kind => {
                        c.kind.edit(other);
                    }
                    ChargeField::Amount => {
                        c.amount.edit(other);
                    }
                    ChargeField::Receipts => {
                        c.receipts.edit(other);
                    }
                    ChargeField::Basis => {
                        if matches!(
                            other,
                            Input::Char(_) | Input::Action(Action::Up | Action::Down)
                        ) {
                            c.basis = match (other, c.basis) {
                                (Input::Char('v' | 'V'), _) => Basis::Value,
                                (Input::Char('w' | 'W'), _) => Basis::Weight,
                                (_, Basis::Value) => Basis::Weight,
                                (_, Basis::Weight) => Basis::Value,
                            };
                        }
                    }
                }
                Flow::Stay
            }
        }
    }

    fn next_payment(&mut self, ctx: &Ctx) -> Flow {
        let Some((supplier, items)) = self.run.first().cloned() else {
            return Flow::Stay;
        };
        self.key = ctx.new_key();
        self.submit(CommandBody::PaySupplier {
            supplier,
            reference: format!("payment run {}", ctx.today()),
            apply: items
                .iter()
                .map(|p| ApApplyTo {
                    invoice: p.invoice.clone(),
                    amount: p.amount,
                })
                .collect(),
        })
    }
}

/// The PO lines of `supplier` on an invoice held by the three-way match
/// (not yet counted as invoiced): (po, line) to (invoice, their number).
fn held_on(s: &crate::core::State, supplier: &str) -> BTreeMap<(Code, u32), (Code, String)> {
    s.supplier_invoices
        .values()
        .filter(|i| i.supplier == supplier && i.status == crate::core::purchasing::ApStatus::Held)
        .flat_map(|i| {
            i.lines.iter().map(move |l| {
                (
                    (l.po.clone(), l.po_line),
                    (i.number.clone(), i.reference.clone()),
                )
            })
        })
        .collect()
}

/// Amounts of a payment proposal summed per currency, as every amount is
/// shown (`11,349.60 USD`, `+` between currencies): a total of USD and
/// CAD invoices added as one figure would be neither.
fn by_currency(
    s: &crate::core::State,
    p: &[Proposed],
    amount: impl Fn(&Proposed) -> Decimal,
) -> String {
    let mut sums: BTreeMap<&Currency, Decimal> = BTreeMap::new();
    for x in p {
        if let Some(i) = s.supplier_invoices.get(&x.invoice) {
            *sums.entry(&i.currency).or_default() += amount(x);
        }
    }
    if sums.is_empty() {
        return "0.00".into();
    }
    sums.iter()
        .map(|(c, v)| format!("{} {c}", money(*v, c)))
        .collect::<Vec<_>>()
        .join(" + ")
}

impl Screen for SupplierInvoices {
    fn name(&self) -> &'static str {
        "supplier_invoices"
    }
    fn title(&self) -> String {
        if self.on_lines() {
            match &self.supplier {
                Some(s) => format!("supplier invoices · enter · {s}"),
                None => "supplier invoices · enter".into(),
            }
        } else {
            "supplier invoices · worklist".into()
        }
    }
    fn context(&self) -> Context {
        match self.focus {
            Focus::Lines | Focus::Invoices => Context::List,
            Focus::EditLine | Focus::Filter | Focus::Reason | Focus::Until | Focus::Charge => {
                Context::Input
            }
            _ => Context::Form,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        let mut a = match self.focus {
            Focus::Supplier => vec![(Action::Submit, "supplier")],
            Focus::Reference => vec![(Action::Submit, "their invoice number")],
            Focus::Lines => vec![
                (Action::Open, "invoice the line / qty@price"),
                (Action::DeleteLine, "leave the line out"),
            ],
            Focus::EditLine => {
                return vec![(Action::Submit, "set qty@price"), (Action::Cancel, "back")]
            }
            Focus::Filter => {
                return vec![(Action::Submit, "keep filter"), (Action::Cancel, "clear")]
            }
            Focus::Reason => {
                return vec![
                    (Action::Submit, "reject with reason"),
                    (Action::Cancel, "back"),
                ]
            }
            Focus::Until => vec![(Action::Submit, "pay through (date or +days)")],
            Focus::Charge => {
                return vec![
                    (Action::Submit, "next / allocate"),
                    (Action::NextField, "next part"),
                    (Action::Cancel, "back"),
                ]
            }
            Focus::Invoices if self.approves => vec![
                (Action::Approve, "approve"),
                (Action::Reject, "reject"),
                (Action::Pay, "pay the proposal"),
                (Action::Print, "print the remittance advices"),
                (Action::Search, "filter"),
            ],
            Focus::Invoices => vec![
                (Action::Pay, "pay the proposal"),
                (Action::Print, "print the remittance advices"),
                (Action::Search, "filter"),
            ],
        };
        if self.on_lines() {
            a.push((Action::Complete, "enter the invoice"));
            a.push((Action::Charge, "a freight or duty charge"));
        }
        a.push((Action::NextField, "next / worklist"));
        if matches!(self.focus, Focus::Lines | Focus::Invoices) {
            a.push((Action::Back, "back"));
        } else {
            a.push((Action::Cancel, "back"));
        }
        a.push((Action::Help, "keys"));
        a
    }

    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        match (self.focus, input) {
            (Focus::Charge, input) => self.charge_input(input, ctx),
            (Focus::Supplier | Focus::Reference | Focus::Lines, Input::Action(Action::Charge)) => {
                self.start_charge(ctx);
                Flow::Stay
            }
            (Focus::Filter, input) => {
                let key = self.filter.filter_key(input);
                if key.changed {
                    self.row = 0;
                }
                if key.back {
                    self.focus = Focus::Invoices;
                }
                Flow::Stay
            }
            (Focus::EditLine, Input::Action(Action::Submit)) => {
                self.set_line(ctx);
                Flow::Stay
            }
            (Focus::EditLine, Input::Action(Action::Cancel)) => {
                self.focus = Focus::Lines;
                Flow::Stay
            }
            (Focus::EditLine, other) => {
                self.edit.edit(other);
                Flow::Stay
            }
            (Focus::Reason, Input::Action(Action::Submit)) => {
                let reason = self.edit.trimmed().to_string();
                if reason.is_empty() {
                    self.notice = Some(Notice::error("a rejection needs its reason"));
                    return Flow::Stay;
                }
                let rows = self.rows(ctx);
                let Some(inv) = rows.get(self.row).map(|i| i.number.clone()) else {
                    self.focus = Focus::Invoices;
                    return Flow::Stay;
                };
                self.focus = Focus::Invoices;
                self.asking = Some(Ask::Reject(inv.clone(), reason.clone()));
                Flow::Confirm(format!("Reject {inv}: {reason}?"))
            }
            (Focus::Reason, Input::Action(Action::Cancel)) => {
                self.focus = Focus::Invoices;
                Flow::Stay
            }
            (Focus::Reason, other) => {
                self.edit.edit(other);
                Flow::Stay
            }
            (_, Input::Action(Action::NextField)) => {
                self.focus = match self.focus {
                    Focus::Supplier => Focus::Reference,
                    Focus::Reference => Focus::Lines,
                    Focus::Lines => Focus::Invoices,
                    Focus::Invoices => Focus::Until,
                    _ => Focus::Supplier,
                };
                Flow::Stay
            }
            (_, Input::Action(Action::PrevField)) => {
                self.focus = match self.focus {
                    Focus::Reference => Focus::Supplier,
                    Focus::Lines => Focus::Reference,
                    Focus::Invoices => Focus::Lines,
                    Focus::Until => Focus::Invoices,
                    _ => Focus::Until,
                };
                Flow::Stay
            }
            (Focus::Until, Input::Action(Action::Submit)) => {
                if self.until_date(ctx.today()).is_none() {
                    self.notice = Some(Notice::error("pay through: YYYY-MM-DD or +days"));
                } else {
                    self.focus = Focus::Invoices;
                }
                Flow::Stay
            }
            (Focus::Until, Input::Action(Action::Cancel)) => {
                self.focus = Focus::Invoices;
                Flow::Stay
            }
            (Focus::Until, other) => {
                self.until.edit(other);
                Flow::Stay
            }
            (f, Input::Action(Action::Complete)) if self.on_lines() && f != Focus::Invoices => {
                if self.supplier.is_none() {
                    self.notice = Some(Notice::error("the supplier first"));
                    return Flow::Stay;
                }
                if self.reference.trimmed().is_empty() {
                    self.notice = Some(Notice::error("their invoice number first"));
                    self.focus = Focus::Reference;
                    return Flow::Stay;
                }
                if self.lines.is_empty() {
                    self.notice = Some(Notice::error("at least one line (Enter on a PO line)"));
                    return Flow::Stay;
                }
                let cur = self
                    .supplier
                    .as_ref()
                    .and_then(|c| ctx.state().suppliers.get(c))
                    .map_or_else(|| Currency::new("USD"), |x| x.currency.clone());
                let total: Decimal = self.lines.values().map(|(q, p)| cur.cents(q * p)).sum();
                let ml = self.matchable(ctx);
                let off = self
                    .lines
                    .iter()
                    .filter(|((po, l), (q, p))| {
                        ml.iter()
                            .find(|m| m.po == po && m.line == *l)
                            .is_none_or(|m| !match_line(m, *q, *p).ok())
                    })
                    .count();
                // A line already on a held invoice: this one may be the
                // same bill entered twice.
                let on_hold = held_on(ctx.state(), &self.supplier.clone().unwrap_or_default());
                let twice: Vec<String> = self
                    .lines
                    .keys()
                    .filter_map(|k| {
                        on_hold
                            .get(k)
                            .map(|(n, r)| format!("{} {} is on held {n} ({r})", k.0, k.1))
                    })
                    .collect();
                self.asking = Some(Ask::Enter);
                let q = format!(
                    "Enter {} of {} for {} {cur}: {} {}{}{}?",
                    self.reference.trimmed(),
                    self.supplier.clone().unwrap_or_default(),
                    money(total, &cur),
                    self.lines.len(),
                    if self.lines.len() == 1 {
                        "line"
                    } else {
                        "lines"
                    },
                    if off > 0 {
                        format!(", {off} off the match: it will be HELD")
                    } else {
                        ", matched".into()
                    },
                    if twice.is_empty() {
                        String::new()
                    } else {
                        format!("; NOTE {}", twice.join("; "))
                    }
                );
                // The same bill entered twice is a payable twice: only an
                // explicit y enters it (a scan's or a habit's Enter says no).
                if twice.is_empty() {
                    Flow::Confirm(q)
                } else {
                    Flow::ConfirmStrict(q)
                }
            }
            (Focus::Invoices, Input::Action(Action::Back)) if self.opened_on => Flow::Pop,
            (Focus::Lines | Focus::Invoices, Input::Action(Action::Back)) => {
                self.focus = Focus::Reference;
                Flow::Stay
            }
            (_, Input::Action(Action::Cancel)) => {
                if self.lines.is_empty() {
                    Flow::Pop
                } else {
                    self.asking = Some(Ask::Leave);
                    Flow::ConfirmStrict("Leave without entering this invoice?".into())
                }
            }
            (Focus::Supplier, Input::Action(Action::Submit)) => {
                self.set_supplier(ctx);
                Flow::Stay
            }
            (Focus::Supplier, other) => {
                if self.supplier_field.edit(other) {
                    self.supplier = None;
                    self.lines.clear();
                }
                Flow::Stay
            }
            (Focus::Reference, Input::Action(Action::Submit)) => {
                // A bill entered before is said now, not after every line
                // is typed and F10 pressed.
                let r = self.reference.trimmed();
                if let Some(sup) = self.supplier.as_ref().filter(|sup| {
                    !r.is_empty() && crate::core::purchasing::reference_taken(ctx.state(), sup, r)
                }) {
                    self.notice = Some(Notice::error(format!(
                        "{sup} invoice {r} is entered already: each supplier invoice number is entered once"
                    )));
                    self.reference.refused();
                    return Flow::Stay;
                }
                self.focus = Focus::Lines;
                Flow::Stay
            }
            (Focus::Reference, other) => {
                self.reference.edit(other);
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::Open)) => {
                self.toggle_line(ctx);
                Flow::Stay
            }
            (Focus::Lines, Input::Action(Action::DeleteLine)) => {
                let ml = self.matchable(ctx);
                if let Some(m) = ml.get(self.selected) {
                    self.lines.remove(&(m.po.clone(), m.line));
                }
                Flow::Stay
            }
            (Focus::Lines, Input::Action(a)) => {
                let n = self.matchable(ctx).len();
                self.selected = moved(self.selected, n, a, self.page);
                Flow::Stay
            }
            (Focus::Invoices, Input::Action(Action::Search)) => {
                self.focus = Focus::Filter;
                Flow::Stay
            }
            (Focus::Invoices, Input::Action(Action::Approve | Action::Reject))
                if !self.approves =>
            {
                self.notice = Some(Notice::error(ctx.lacks(
                    crate::core::auth::Permission::ApproveChanges,
                    "approving or rejecting a held invoice",
                )));
                Flow::Stay
            }
            (Focus::Invoices, Input::Action(Action::Approve)) => {
                let rows = self.rows(ctx);
                match rows.get(self.row) {
                    Some(i) if i.status == ApStatus::Held => {
                        let n = i.number.clone();
                        let why = i.problems.join("; ");
                        self.asking = Some(Ask::Approve(n.clone()));
                        Flow::Confirm(fit(&format!("Approve {n} ({why})?"), 200))
                    }
                    Some(i) => {
                        self.notice = Some(Notice::error(format!(
                            "{} is not held: nothing to approve",
                            i.number
                        )));
                        Flow::Stay
                    }
                    None => Flow::Stay,
                }
            }
            (Focus::Invoices, Input::Action(Action::Reject)) => {
                let rows = self.rows(ctx);
                match rows.get(self.row) {
                    Some(i) if i.status == ApStatus::Held => {
                        self.edit = TextField::default();
                        self.focus = Focus::Reason;
                    }
                    Some(i) => {
                        self.notice = Some(Notice::error(format!(
                            "{} is not held: only a held invoice is rejected",
                            i.number
                        )))
                    }
                    None => {}
                }
                Flow::Stay
            }
            (Focus::Invoices, Input::Action(Action::Print)) => self.reprint(ctx),
            (Focus::Invoices, Input::Action(Action::Pay)) => {
                let p = self.proposal(ctx);
                if p.is_empty() {
                    self.notice = Some(Notice::error(
                        "nothing due or losing a discount by the pay-through day (Tab)",
                    ));
                    return Flow::Stay;
                }
                let suppliers: std::collections::BTreeSet<&Code> =
                    p.iter().map(|x| &x.supplier).collect();
                let s = ctx.state();
                let total = by_currency(s, &p, |x| x.amount);
                let disc = by_currency(s, &p, |x| x.discount);
                self.asking = Some(Ask::PayRun);
                let ask = format!(
                    "Pay {} of {}: {total}, discounts {disc}?",
                    counted(p.len(), "invoice"),
                    counted(suppliers.len(), "supplier")
                );
                // A run the bank cannot cover is said before it is paid,
                // and takes an explicit yes.
                let over = overdrawn(s, &p, ctx.today());
                if over.is_empty() {
                    return Flow::Confirm(ask);
                }
                let over = over
                    .iter()
                    .map(|o| {
                        format!(
                            "{} bank {} holds {} {}, the run pays {}",
                            o.entity,
                            o.account,
                            money(o.balance, &o.currency),
                            o.currency,
                            money(o.paid, &o.currency)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                Flow::ConfirmStrict(format!("OVER THE BANK BALANCE: {over}. {ask}"))
            }
            (Focus::Invoices, Input::Action(a)) => {
                let n = self.rows(ctx).len();
                self.row = moved(self.row, n, a, self.page);
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
            // A run not paid is said so: it was a question with money on it.
            if matches!(ask, Ask::PayRun) {
                self.notice = Some(Notice::info("payment run not made: nothing paid"));
            }
            return Flow::Stay;
        }
        match ask {
            Ask::Leave => Flow::Pop,
            Ask::Enter => match self.invoice_body() {
                Some(b) => self.submit(b),
                None => Flow::Stay,
            },
            Ask::Approve(number) => {
                self.key = ctx.new_key();
                self.submit(CommandBody::ApproveSupplierInvoice { number })
            }
            Ask::Reject(number, reason) => {
                self.key = ctx.new_key();
                self.submit(CommandBody::RejectSupplierInvoice { number, reason })
            }
            Ask::Charge(body) => {
                self.key = ctx.new_key();
                self.submit(*body)
            }
            Ask::PayRun => {
                let mut by: BTreeMap<Code, Vec<Proposed>> = BTreeMap::new();
                for p in self.proposal(ctx) {
                    by.entry(p.supplier.clone()).or_default().push(p);
                }
                self.run = by.into_iter().collect();
                self.paid = 0;
                self.remitted.clear();
                self.next_payment(ctx)
            }
        }
    }

    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.pending = false;
        let in_run = !self.run.is_empty();
        match outcome {
            Submitted::Committed { events, .. } => {
                for e in &events {
                    match e {
                        Event::SupplierInvoiceEntered { invoice, .. } => {
                            self.notice = Some(if invoice.status == ApStatus::Held {
                                Notice::error(format!(
                                    "{} HELD: {}",
                                    invoice.number,
                                    invoice.problems.join("; ")
                                ))
                            } else {
                                Notice::info(format!(
                                    "{} matched and posted, due {}",
                                    invoice.number, invoice.due
                                ))
                            });
                            self.lines.clear();
                            self.reference.take();
                            self.focus = Focus::Reference;
                            // The next bill starts on the first line not
                            // on a held invoice: the cursor left on a line
                            // just held was one Enter from billing it twice.
                            let held = self
                                .supplier
                                .as_ref()
                                .map(|sup| held_on(ctx.state(), sup))
                                .unwrap_or_default();
                            self.selected = self
                                .matchable(ctx)
                                .iter()
                                .position(|m| !held.contains_key(&(m.po.clone(), m.line)))
                                .unwrap_or(0);
                        }
                        Event::SupplierInvoiceApproved { number, .. } => {
                            self.notice = Some(Notice::info(format!(
                                "{number} APPROVED: posted, open for payment"
                            )));
                        }
                        Event::SupplierInvoiceRejected { number, .. } => {
                            self.notice = Some(Notice::info(format!("{number} REJECTED")));
                        }
                        Event::LandedCostAllocated {
                            invoice, shares, ..
                        } => {
                            let stock: Decimal = shares.iter().map(|x| x.to_stock).sum();
                            let cogs: Decimal = shares.iter().map(|x| x.to_cogs).sum();
                            self.notice = Some(Notice::info(format!(
                                "{} {} ALLOCATED over {} line(s): {stock} to stock, {cogs} to COGS; open for payment",
                                invoice.number,
                                money(invoice.total, &invoice.currency),
                                shares.len()
                            )));
                            self.allocated = Some((invoice.number.clone(), shares.clone()));
                            self.charge = None;
                            self.reference.take();
                            self.focus = Focus::Reference;
                        }
                        Event::SupplierPaid { payment, .. } => {
                            self.paid += payment.applications.len();
                            self.remitted.push(payment.number.clone());
                        }
                        _ => {}
                    }
                }
                if in_run {
                    self.run.remove(0);
                    if self.run.is_empty() {
                        self.notice = Some(Notice::info(format!(
                            "payment run: {} PAID",
                            counted(self.paid, "invoice")
                        )));
                        self.key = ctx.new_key();
                        // Each supplier is told what the payment paid.
                        return Flow::Print(self.remittances(ctx));
                    } else {
                        self.key = ctx.new_key();
                        return self.next_payment(ctx);
                    }
                } else if self.notice.is_none() {
                    self.notice = Some(Notice::info("done"));
                }
                self.key = ctx.new_key();
            }
            Submitted::Refused(r) => {
                self.key = ctx.new_key();
                if in_run {
                    self.run.clear();
                    self.notice = Some(Notice::error(format!(
                        "payment run stopped after {}: {r}",
                        counted(self.paid, "invoice")
                    )));
                    if !self.remitted.is_empty() {
                        return Flow::Print(self.remittances(ctx));
                    }
                } else {
                    self.notice = Some(Notice::error(r.to_string()));
                }
            }
            Submitted::Stopped(e) => {
                self.run.clear();
                self.notice = Some(Notice::error(format!("not done: {e}")))
            }
        }
        Flow::Stay
    }

    fn committed(&mut self, ctx: &Ctx) {
        let ml = self.matchable(ctx);
        self.lines
            .retain(|(po, l), _| ml.iter().any(|m| m.po == po && m.line == *l));
        self.selected = self.selected.min(ml.len().saturating_sub(1));
        self.row = self.row.min(self.rows(ctx).len().saturating_sub(1));
    }

    fn dirty(&self) -> bool {
        !self.lines.is_empty()
    }

    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        if self.on_lines() {
            self.render_enter(f, area, ctx);
        } else {
            self.render_worklist(f, area, ctx);
        }
    }
}

impl SupplierInvoices {
    /// The landed-cost charge: its allocation to the receipt lines (as the
    /// core would make it, or as it made it), and the charge's fields.
    fn render_charge(&mut self, f: &mut Frame, table: Rect, foot: Rect, ctx: &Ctx) {
        use crate::core::landed::Basis;
        let theme = ctx.theme;
        let lbl = |t: &str| Span::styled(t.to_string(), theme.label());
        let (title, shares, problem) = match (&self.charge, &self.allocated) {
            (Some(_), _) => match self.charge_preview(ctx) {
                Ok(sh) => (" allocation (not entered yet) ".to_string(), sh, None),
                Err(e) => (" allocation ".to_string(), Vec::new(), Some(e)),
            },
            (None, Some((inv, sh))) => (format!(" allocated by {inv} "), sh.clone(), None),
            (None, None) => (String::new(), Vec::new(), None),
        };
        let base = self
            .supplier
            .as_ref()
            .and_then(|c| ctx.state().suppliers.get(c))
            .and_then(|x| ctx.state().entities.get(&x.entity))
            .map(|e| e.base_currency.clone())
            .unwrap_or_else(|| Currency::new("USD"));
        let rows: Vec<Row> = shares
            .iter()
            .map(|x| {
                Row::new(vec![
                    x.receipt.to_string(),
                    x.po_line.to_string(),
                    x.sku.to_string(),
                    money(x.share, &base),
                    money(x.to_stock, &base),
                    money(x.to_cogs, &base),
                ])
            })
            .collect();
        let block = Block::new().borders(Borders::TOP).title(title);
        if let Some(p) = problem {
            f.render_widget(
                Paragraph::new(Line::from(Span::styled(p, theme.dim()))).block(block),
                table,
            );
        } else {
            f.render_widget(
                Table::new(
                    rows,
                    [
                        Constraint::Length(10),
                        Constraint::Length(3),
                        Constraint::Length(10),
                        Constraint::Length(12),
                        Constraint::Length(12),
                        Constraint::Min(10),
                    ],
                )
                .header(
                    Row::new(["Receipt", "Ln", "SKU", "Share", "To stock", "To COGS"])
                        .style(theme.label()),
                )
                .block(block),
                table,
            );
        }
        let lines = match &self.charge {
            Some(c) => {
                let on = |x: ChargeField| self.focus == Focus::Charge && c.field == x;
                vec![
                    Line::from(vec![
                        lbl("Charge "),
                        c.kind.span(on(ChargeField::Kind), 8, theme),
                        lbl(" amount "),
                        c.amount.span(on(ChargeField::Amount), 10, theme),
                        lbl(" by "),
                        Span::styled(
                            if c.basis == Basis::Value {
                                "value "
                            } else {
                                "weight"
                            },
                            theme.field(on(ChargeField::Basis)),
                        ),
                    ]),
                    Line::from(vec![
                        lbl("Receipts "),
                        c.receipts.span(on(ChargeField::Receipts), 30, theme),
                        Span::styled(" Tab: next part; Enter allocates", theme.dim()),
                    ]),
                ]
            }
            None => vec![Line::from(Span::styled(
                "F2: another charge; Tab: the lines",
                theme.dim(),
            ))],
        };
        f.render_widget(Paragraph::new(lines), foot);
    }

    fn render_enter(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let s = ctx.state();
        let wide = area.width >= 110;
        let [head, table, foot] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(4),
            Constraint::Length(2),
        ])
        .areas(area);
        let lbl = |t: &str| Span::styled(t.to_string(), theme.label());
        let sup = self.supplier.as_ref().and_then(|c| s.suppliers.get(c));
        let l1 = Line::from(vec![
            lbl("Supplier "),
            self.supplier_field
                .span(self.focus == Focus::Supplier, 8, theme),
            Span::raw(" "),
            Span::raw(fit(
                sup.map(|x| x.name.as_str()).unwrap_or("code or name"),
                30,
            )),
            lbl("  Their invoice "),
            self.reference
                .span(self.focus == Focus::Reference, 14, theme),
        ]);
        let ml = self.matchable(ctx);
        let cur = sup
            .map(|x| x.currency.clone())
            .unwrap_or_else(|| Currency::new("USD"));
        let total: Decimal = self.lines.values().map(|(q, p)| cur.cents(q * p)).sum();
        let l2 = Line::from(vec![
            lbl("Lines "),
            Span::raw(format!("{} of {}", self.lines.len(), ml.len())),
            lbl("  Total "),
            Span::raw(format!("{} {cur}", money(total, &cur))),
        ]);
        f.render_widget(Paragraph::new(vec![l1, l2]), head);
        if self.charge.is_some()
            || (self.allocated.is_some()
                && matches!(self.focus, Focus::Supplier | Focus::Reference))
        {
            self.render_charge(f, table, foot, ctx);
            return;
        }
        self.selected = self.selected.min(ml.len().saturating_sub(1));
        self.page = table.height.saturating_sub(3).max(1) as usize;
        let mut header = vec![
            "PO", "Ln", "SKU", "Rcvd", "PO price", "Inv", "Price", "Match",
        ];
        if wide {
            header.push("Amount");
        }
        let on_hold = held_on(ctx.state(), &self.supplier.clone().unwrap_or_default());
        let widths: Vec<Constraint> = if wide {
            vec![
                Constraint::Length(10),
                Constraint::Length(3),
                Constraint::Length(10),
                Constraint::Length(7),
                Constraint::Length(9),
                Constraint::Length(7),
                Constraint::Length(9),
                Constraint::Min(30),
                Constraint::Length(12),
            ]
        } else {
            vec![
                Constraint::Length(9),
                Constraint::Length(2),
                Constraint::Length(8),
                Constraint::Length(5),
                Constraint::Length(8),
                Constraint::Length(5),
                Constraint::Length(7),
                Constraint::Min(20),
            ]
        };
        // The match column takes what the others leave (their lengths and
        // a space between each two): its text is cut there with "~", not
        // dropped mid-word by the table.
        let fixed: usize = widths
            .iter()
            .map(|c| match c {
                Constraint::Length(n) => usize::from(*n) + 1,
                _ => 1,
            })
            .sum::<usize>()
            - 1;
        let room = (table.width as usize).saturating_sub(fixed).max(8);
        // The selected line's match, when the column cuts it: said whole
        // under the table (a price off by how much, against which
        // tolerance, is what AP acts on).
        let mut cut: Option<(String, bool)> = None;
        let rows: Vec<Row> = ml
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let k = (m.po.clone(), m.line);
                let (inv_q, inv_p, result, ok) = match self.lines.get(&k) {
                    Some((q, p)) => {
                        let r = match_line(m, *q, *p);
                        (qty(*q), p.to_string(), r.describe(m.price), r.ok())
                    }
                    None => match on_hold.get(&k) {
                        Some((n, r)) => (
                            String::new(),
                            String::new(),
                            format!("on held {n} ({r})"),
                            true,
                        ),
                        None => (String::new(), String::new(), "-".into(), true),
                    },
                };
                if i == self.selected
                    && matches!(self.focus, Focus::Lines | Focus::EditLine)
                    && result.chars().count() > room
                {
                    cut = Some((format!("{} line {}: {result}", m.po, m.line), ok));
                }
                let mut cells = vec![
                    m.po.to_string(),
                    m.line.to_string(),
                    m.sku.to_string(),
                    qty(m.uninvoiced),
                    m.price.to_string(),
                    inv_q,
                    inv_p,
                    fit(&result, room),
                ];
                if wide {
                    cells.push(
                        self.lines
                            .get(&k)
                            .map(|(q, p)| money(m.currency.cents(q * p), &m.currency))
                            .unwrap_or_default(),
                    );
                }
                let row = Row::new(cells);
                if ok {
                    row
                } else {
                    row.style(theme.error())
                }
            })
            .collect();
        let mut st = TableState::default();
        if matches!(self.focus, Focus::Lines | Focus::EditLine) && !ml.is_empty() {
            st.select(Some(self.selected));
        }
        f.render_stateful_widget(
            Table::new(rows, widths)
                .header(Row::new(header).style(theme.label()))
                .row_highlight_style(theme.selected())
                .block(
                    Block::new()
                        .borders(Borders::TOP)
                        .title(" received, not invoiced "),
                ),
            table,
            &mut st,
        );
        let width = foot.width as usize;
        let cut_lines = |n: usize| -> Vec<Line<'static>> {
            match &cut {
                Some((text, ok)) => wrap_words(text, width, n)
                    .into_iter()
                    .map(|l| {
                        Line::from(Span::styled(
                            l,
                            if *ok {
                                ratatui::style::Style::default()
                            } else {
                                theme.error()
                            },
                        ))
                    })
                    .collect(),
                None => Vec::new(),
            }
        };
        let lines = if self.focus == Focus::EditLine {
            let mut lines = vec![Line::from(vec![
                lbl("qty@price "),
                self.edit.span(true, 20, theme),
                Span::styled("  base units @ price per base unit", theme.dim()),
            ])];
            lines.extend(cut_lines(1));
            lines
        } else if cut.is_some() {
            cut_lines(2)
        } else if self.supplier.is_some() && ml.is_empty() {
            vec![Line::from(Span::styled(
                "nothing received from this supplier waits for its invoice",
                theme.dim(),
            ))]
        } else {
            vec![Line::from(Span::styled(
                "Enter takes a line (again: qty@price); F10 enters; Tab: worklist",
                theme.dim(),
            ))]
        };
        f.render_widget(Paragraph::new(lines), foot);
    }

    fn render_worklist(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let wide = area.width >= 110;
        let rows_src = self.rows(ctx);
        self.row = self.row.min(rows_src.len().saturating_sub(1));
        let prop = self.proposal(ctx);
        let [table, detail, foot] = Layout::vertical([
            Constraint::Min(4),
            Constraint::Length(4),
            Constraint::Length(2),
        ])
        .areas(area);
        self.page = table.height.saturating_sub(3).max(1) as usize;
        let mut header = vec!["Invoice", "Supplier", "Their no.", "Status", "Due", "Open"];
        if wide {
            header.extend(["Total", "Entered by", "Pay run"]);
        }
        let rows: Vec<Row> = rows_src
            .iter()
            .map(|i| {
                let mut cells = vec![
                    i.number.to_string(),
                    i.supplier.to_string(),
                    i.reference.clone(),
                    match i.status {
                        ApStatus::Held => "HELD".to_string(),
                        _ => "open".to_string(),
                    },
                    i.due.to_string(),
                    money(i.open, &i.currency),
                ];
                if wide {
                    cells.push(money(i.total, &i.currency));
                    cells.push(i.entered_by.to_string());
                    cells.push(
                        prop.iter()
                            .find(|p| p.invoice == i.number)
                            .map(|p| format!("{} ({})", money(p.amount, &i.currency), p.reason))
                            .unwrap_or_default(),
                    );
                }
                let row = Row::new(cells);
                if i.status == ApStatus::Held {
                    row.style(theme.error())
                } else {
                    row
                }
            })
            .collect();
        let widths: Vec<Constraint> = if wide {
            vec![
                Constraint::Length(10),
                Constraint::Length(8),
                Constraint::Length(14),
                Constraint::Length(6),
                Constraint::Length(10),
                Constraint::Length(12),
                Constraint::Length(12),
                Constraint::Length(10),
                Constraint::Min(20),
            ]
        } else {
            vec![
                Constraint::Length(10),
                Constraint::Length(8),
                Constraint::Length(14),
                Constraint::Length(6),
                Constraint::Length(10),
                Constraint::Min(12),
            ]
        };
        let mut st = TableState::default();
        if !rows_src.is_empty() {
            st.select(Some(self.row));
        }
        let title = if self.filter.text.is_empty() && self.focus != Focus::Filter {
            format!(" held and open ({}) ", rows_src.len())
        } else {
            format!(" held and open ({}) /{} ", rows_src.len(), self.filter.text)
        };
        f.render_stateful_widget(
            Table::new(rows, widths)
                .header(Row::new(header).style(theme.label()))
                .row_highlight_style(theme.selected())
                .block(Block::new().borders(Borders::TOP).title(title)),
            table,
            &mut st,
        );
        let mut lines: Vec<Line> = Vec::new();
        if let Some(i) = rows_src.get(self.row) {
            if i.status == ApStatus::Held {
                for p in &i.problems {
                    lines.push(Line::from(Span::styled(
                        format!("held: {p}"),
                        theme.error(),
                    )));
                }
                lines.push(Line::from(Span::styled(
                    format!("entered by {}: someone else approves", i.entered_by),
                    theme.dim(),
                )));
            } else {
                lines.push(Line::from(format!(
                    "{} open {} of {}, due {}{}",
                    i.number,
                    money(i.open, &i.currency),
                    money(i.total, &i.currency),
                    i.due,
                    i.discount_until
                        .map(|d| format!(", {} % discount until {d}", i.discount_pct))
                        .unwrap_or_default()
                )));
            }
        }
        let total = by_currency(ctx.state(), &prop, |p| p.amount);
        lines.push(Line::from(vec![
            Span::styled("Pay through ", theme.label()),
            self.until.span(self.focus == Focus::Until, 10, theme),
            Span::raw(format!(
                " {}: {}, {}",
                self.until_date(ctx.today())
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "not a date".into()),
                counted(prop.len(), "invoice"),
                total
            )),
        ]));
        f.render_widget(Paragraph::new(lines), detail);
        let foot_line = match self.focus {
            Focus::Filter => Line::from(vec![
                Span::styled("Filter ", theme.label()),
                self.filter.span(true, 20, theme),
            ]),
            Focus::Reason => Line::from(vec![
                Span::styled("Reject because ", theme.label()),
                self.edit.span(true, 40, theme),
            ]),
            _ => Line::from(Span::styled(
                // A held invoice named only when there is one.
                match (
                    self.approves,
                    rows_src.iter().any(|i| i.status == ApStatus::Held),
                ) {
                    (true, true) => "approve / reject a held invoice; pay the proposal in a run",
                    (false, true) => {
                        "pay the proposal in a run (a held invoice waits for an approver)"
                    }
                    (_, false) => "pay the proposal in a run",
                },
                theme.dim(),
            )),
        };
        f.render_widget(Paragraph::new(foot_line), foot);
    }
}
