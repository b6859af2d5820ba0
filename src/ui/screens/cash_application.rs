//! Cash application (AR clerk): a customer's open items with their age,
//! discount window and disputes; a receipt (cheque, transfer, card, cash)
//! applied across them, partially or in full, with the early-payment
//! discount, a short payment settled (written off within tolerance, else
//! disputed with a reason), the rest left as the customer's credit;
//! suggestions of which invoices the receipt pays, with their reason,
//! taken with one key; a confirm step before the receipt is committed.

use crate::core::cash::{ApplyTo, Method};
use crate::core::types::ToCode;
use crate::core::types::{decimals_used, parse_decimal, Code, Currency};
use crate::core::{CommandBody, Event, State};
use crate::query::cash::{effect, open_items, suggestions, OpenItem, Suggestion};
use crate::query::money;
use crate::ui::keymap::{Action, Context};
use crate::ui::lookup::{Kind, Picked, Prompt};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{counted, fit, moved, TextField};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};
use ratatui::Frame;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Customer,
    Method,
    Amount,
    Reference,
    Items,
    Filter,
    EditAmount,
    Reason,
}

const METHODS: [Method; 4] = [Method::Cheque, Method::Transfer, Method::Card, Method::Cash];

pub fn method_name(m: Method) -> &'static str {
    match m {
        Method::Cash => "cash",
        Method::Card => "card",
        Method::Cheque => "cheque",
        Method::Transfer => "transfer",
        Method::Credit => "credit",
    }
}

/// The wide open-items table's columns (invoice, date, due, late, total,
/// open, disputed, discount, apply, result: the last takes the rest).
const WIDE: [u16; 10] = [10, 10, 10, 4, 12, 12, 10, 16, 14, 20];

/// One invoice the receipt is applied to, as the clerk set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alloc {
    pub amount: Decimal,
    pub settle: bool,
    /// Why the customer pays short (a dispute), said on the receipt.
    pub reason: String,
}

enum Ask {
    Apply,
    Leave,
    Refund(Decimal),
}

pub struct CashApplication {
    pub focus: Focus,
    pub customer_field: TextField,
    pub customer: Option<Code>,
    pub method: Method,
    pub amount: TextField,
    pub reference: TextField,
    pub filter: TextField,
    pub edit: TextField,
    pub applied: BTreeMap<Code, Alloc>,
    pub selected: usize,
    key: String,
    prompt: Option<Prompt>,
    asking: Option<Ask>,
    pending: bool,
    page: usize,
    notice: Option<Notice>,
}

impl CashApplication {
    pub fn new(ctx: &Ctx) -> CashApplication {
        CashApplication {
            focus: Focus::Customer,
            customer_field: TextField::default(),
            customer: None,
            method: Method::Cheque,
            amount: TextField::default(),
            reference: TextField::default(),
            filter: TextField::default(),
            edit: TextField::default(),
            applied: BTreeMap::new(),
            selected: 0,
            key: ctx.new_key(),
            prompt: None,
            asking: None,
            pending: false,
            page: 10,
            notice: None,
        }
    }

    /// The screen opened on a customer (from the exception queue: its
    /// credit left unapplied), ready for a receipt or to apply the credit.
    pub fn for_customer(ctx: &Ctx, code: &str) -> CashApplication {
        let mut s = CashApplication::new(ctx);
        if ctx.state().customers.contains_key(&code.to_code()) {
            s.set_customer(code.to_string().into(), ctx);
        }
        s
    }

    fn items(&self, ctx: &Ctx) -> Vec<OpenItem> {
        match &self.customer {
            Some(c) => open_items(ctx.state(), c, ctx.today()),
            None => Vec::new(),
        }
    }

    /// The rows shown: the open items the filter keeps.
    fn shown(&self, ctx: &Ctx) -> Vec<OpenItem> {
        let f = self.filter.trimmed().to_ascii_uppercase();
        self.items(ctx)
            .into_iter()
            .filter(|i| {
                f.is_empty()
                    || i.invoice.to_ascii_uppercase().contains(&f)
                    || i.due.to_string().contains(&f)
                    || i.date.to_string().contains(&f)
            })
            .collect()
    }

    fn receipt_amount(&self) -> Option<Decimal> {
        let t = crate::ui::entry::ungroup(self.amount.trimmed());
        if t.is_empty() {
            return None;
        }
        parse_decimal(&t).ok()
    }

    /// The decimals of the customer's currency (2 before one is chosen).
    fn minor_units(&self, s: &State) -> u32 {
        self.customer
            .as_ref()
            .and_then(|c| s.customers.get(c))
            .map_or(2, |c| c.currency.minor_units())
    }

    /// Why the receipt's amount typed is not one the core takes: not a
    /// number, or more decimals than the currency has. Said when it is
    /// typed and before any confirm: never shown rounded, then refused.
    fn amount_problem(&self, s: &State) -> Option<String> {
        let t = crate::ui::entry::ungroup(self.amount.trimmed());
        if t.is_empty() {
            return None;
        }
        let v = match parse_decimal(&t) {
            Ok(v) => v,
            Err(e) => return Some(format!("amount {t} {e}")),
        };
        if v <= Decimal::ZERO {
            // F8 read "-50" or "0" as no amount, and refunded all the credit.
            return Some(format!("amount {t}: an amount is more than 0"));
        }
        let dp = self.minor_units(s);
        (decimals_used(v) > dp).then(|| format!("amount {t} has more than {dp} decimals"))
    }

    fn applied_sum(&self) -> Decimal {
        self.applied.values().map(|a| a.amount).sum()
    }

    fn set_customer(&mut self, code: Code, ctx: &Ctx) {
        if self.customer.as_ref() != Some(&code) {
            self.applied.clear();
            self.selected = 0;
        }
        if let Some(c) = ctx.state().customers.get(&code) {
            self.customer_field = TextField::new(&c.code);
        }
        self.customer = Some(code);
        self.focus = Focus::Method;
    }

    fn next_field(&mut self, back: bool) {
        let order = [
            Focus::Customer,
            Focus::Method,
            Focus::Amount,
            Focus::Reference,
            Focus::Items,
        ];
        let i = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = order.len();
        let j = if back { (i + n - 1) % n } else { (i + 1) % n };
        if let Some(f) = order.get(j) {
            self.focus = *f;
        }
    }

    /// Apply the selected row: what settles it (less the discount in its
    /// window), at most what is left of the receipt.
    fn apply_selected(&mut self, ctx: &Ctx) {
        let shown = self.shown(ctx);
        let Some(item) = shown.get(self.selected) else {
            return;
        };
        if let Some(a) = self.applied.get(&item.invoice) {
            self.edit = TextField::proposed(&a.amount.to_string());
            self.focus = Focus::EditAmount;
            return;
        }
        let Some(receipt) = self.receipt_amount() else {
            self.notice = Some(Notice::error(
                "type the amount received in Amount first (Shift-Tab), then apply it here",
            ));
            return;
        };
        let left = receipt - self.applied_sum();
        if left <= Decimal::ZERO {
            self.notice = Some(Notice::error(
                "the whole receipt is applied: change or remove a line (F9) first",
            ));
            return;
        }
        if item.payable <= Decimal::ZERO {
            self.notice = Some(Notice::error(format!(
                "{} is all disputed: nothing is open for payment",
                item.invoice
            )));
            return;
        }
        let amount = item.settling().min(left);
        self.applied.insert(
            item.invoice.clone(),
            Alloc {
                amount,
                settle: false,
                reason: String::new(),
            },
        );
    }

    fn set_edited_amount(&mut self, ctx: &Ctx) {
        let shown = self.shown(ctx);
        let Some(item) = shown.get(self.selected) else {
            self.focus = Focus::Items;
            return;
        };
        let t = crate::ui::entry::ungroup(self.edit.trimmed());
        let dp = self.minor_units(ctx.state());
        // What is left of the receipt for this invoice: refused here, not
        // first at F10 ("161.42 applied" to a receipt of 61.42 showed as
        // paid until then).
        let left = self.receipt_amount().map(|r| {
            r - self.applied_sum()
                + self
                    .applied
                    .get(&item.invoice)
                    .map_or(Decimal::ZERO, |a| a.amount)
        });
        match parse_decimal(&t) {
            Ok(v)
                if left.is_some_and(|l| v > l)
                    && decimals_used(v) <= dp
                    && v > Decimal::ZERO
                    && v <= item.payable =>
            {
                self.notice = Some(Notice::error(format!(
                    "{} of the receipt is left to apply, not {}",
                    left.unwrap_or_default(),
                    v
                )))
            }
            Ok(v) if decimals_used(v) > dp => {
                self.notice = Some(Notice::error(format!(
                    "amount {t} has more than {dp} decimals"
                )))
            }
            Ok(v) if v > Decimal::ZERO && v <= item.payable => {
                let a = self.applied.entry(item.invoice.clone()).or_insert(Alloc {
                    amount: v,
                    settle: false,
                    reason: String::new(),
                });
                a.amount = v;
                self.focus = Focus::Items;
            }
            Ok(v) if v > item.payable => {
                self.notice = Some(Notice::error(format!(
                    "{} has {} open for payment, not {}",
                    item.invoice, item.payable, v
                )))
            }
            // The text typed said back, as the receipt's amount does.
            Ok(_) => self.notice = Some(Notice::error(format!("amount {t}: an amount above zero"))),
            Err(e) => self.notice = Some(Notice::error(format!("amount {t} {e}"))),
        }
    }

    /// Toggle "settle short" on the selected applied row; a dispute asks
    /// for its reason.
    fn settle_selected(&mut self, ctx: &Ctx) {
        let shown = self.shown(ctx);
        let Some(item) = shown.get(self.selected) else {
            return;
        };
        let Some(a) = self.applied.get_mut(&item.invoice) else {
            self.notice = Some(Notice::error("apply an amount to the invoice first"));
            return;
        };
        if a.settle {
            a.settle = false;
            a.reason.clear();
            return;
        }
        if a.amount >= item.payable || effect(item, a.amount, false).discount > Decimal::ZERO {
            self.notice = Some(Notice::error(format!(
                "{} is settled in full already",
                item.invoice
            )));
            return;
        }
        a.settle = true;
        if effect(item, a.amount, true).disputed > Decimal::ZERO {
            self.edit = TextField::default();
            self.focus = Focus::Reason;
        }
    }

    fn accept_suggestion(&mut self, ctx: &Ctx) {
        let Some(s) = self.suggestion(ctx) else {
            self.notice = Some(Notice::error(
                "no suggestion: enter the receipt's amount (and reference) first",
            ));
            return;
        };
        self.applied = s
            .apply
            .iter()
            .map(|(i, a)| {
                (
                    i.clone(),
                    Alloc {
                        amount: *a,
                        settle: false,
                        reason: String::new(),
                    },
                )
            })
            .collect();
        self.notice = Some(Notice::info(format!("suggestion taken: {}", s.reason)));
        self.focus = Focus::Items;
    }

    fn suggestion(&self, ctx: &Ctx) -> Option<Suggestion> {
        // Nothing suggested from an amount that will be refused (it would
        // be shown rounded).
        if self.amount_problem(ctx.state()).is_some() {
            return None;
        }
        let amount = self.receipt_amount()?;
        suggestions(&self.items(ctx), amount, self.reference.trimmed())
            .into_iter()
            .next()
    }

    /// A receipt already in the books from `customer` of `amount` with
    /// the reference typed (before any dispute reasons added to it): its
    /// number, date and reference, the latest.
    ///
    /// References compare without case, spaces or punctuation (`CHQ300`
    /// is `chq 300`); the reference returned is the one in the books.
    fn twin(
        &self,
        s: &State,
        customer: &str,
        amount: Decimal,
    ) -> Option<(Code, NaiveDate, String)> {
        let bare = |x: &str| -> String {
            x.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_uppercase)
                .collect()
        };
        let typed = bare(self.reference.trimmed());
        if typed.is_empty() {
            return None;
        }
        s.receipts
            .values_sorted()
            .into_iter()
            .filter(|r| r.customer == customer && r.amount == amount)
            .filter_map(|r| {
                let own = r.reference.split("; dispute ").next()?.trim();
                (bare(own) == typed).then_some((r, own))
            })
            .max_by_key(|(r, _)| (r.date, r.number.clone()))
            .map(|(r, own)| (r.number.clone(), r.date, own.to_string()))
    }

    /// The receipt's reference as committed: what the clerk typed, and
    /// the reason of each dispute.
    fn full_reference(&self) -> String {
        let mut r = self.reference.trimmed().to_string();
        for (inv, a) in &self.applied {
            if a.settle && !a.reason.trim().is_empty() {
                if !r.is_empty() {
                    r.push_str("; ");
                }
                r.push_str(&format!("dispute {inv}: {}", a.reason.trim()));
            }
        }
        r
    }

    fn body(&self) -> Option<CommandBody> {
        Some(CommandBody::ReceivePayment {
            customer: self.customer.clone()?,
            method: self.method,
            amount: self.receipt_amount()?,
            reference: self.full_reference(),
            apply: self
                .applied
                .iter()
                .map(|(i, a)| ApplyTo {
                    invoice: i.clone(),
                    amount: a.amount,
                    settle: a.settle,
                })
                .collect(),
        })
    }

    /// Totals of what the receipt does: (applied, discount, write-off,
    /// disputed, left as credit).
    fn totals(&self, ctx: &Ctx) -> (Decimal, Decimal, Decimal, Decimal, Decimal) {
        let items = self.items(ctx);
        let (mut d, mut w, mut x) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for i in &items {
            if let Some(a) = self.applied.get(&i.invoice) {
                let e = effect(i, a.amount, a.settle);
                d += e.discount;
                w += e.write_off;
                x += e.disputed;
            }
        }
        let applied = self.applied_sum();
        let credit = self.receipt_amount().unwrap_or_default() - applied;
        (applied, d, w, x, credit)
    }

    /// Pay back credit on account: the amount typed, else all of it.
    fn refund(&mut self, ctx: &Ctx) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        let s = ctx.state();
        let Some(c) = self.customer.as_ref().and_then(|c| s.customers.get(c)) else {
            self.notice = Some(Notice::error("choose the customer first (F4 finds)"));
            return Flow::Stay;
        };
        if let Some(p) = self.amount_problem(s) {
            self.notice = Some(Notice::error(p));
            self.focus = Focus::Amount;
            return Flow::Stay;
        }
        let credit = s
            .unapplied
            .get(&(c.entity.clone(), c.code.clone()))
            .copied()
            .unwrap_or_default();
        if credit <= Decimal::ZERO {
            self.notice = Some(Notice::error(format!(
                "{} has no credit on account to refund",
                c.code
            )));
            return Flow::Stay;
        }
        if !self.applied.is_empty() {
            self.notice = Some(Notice::error(
                "a refund pays out credit: take the applications off first (F9)",
            ));
            return Flow::Stay;
        }
        let amount = self
            .receipt_amount()
            .filter(|a| *a > Decimal::ZERO)
            .unwrap_or(credit);
        let cur = &c.currency;
        if amount > credit {
            self.notice = Some(Notice::error(format!(
                "{} has {} on account, not {}",
                c.code,
                money(credit, cur),
                money(amount, cur)
            )));
            return Flow::Stay;
        }
        self.asking = Some(Ask::Refund(amount));
        Flow::Confirm(format!(
            "Refund {} {cur} of {}'s credit on account ({})?",
            money(amount, cur),
            c.code,
            money(credit, cur)
        ))
    }

    fn complete(&mut self, ctx: &Ctx) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        let Some(customer) = self.customer.clone() else {
            self.notice = Some(Notice::error("choose the customer first (F4 finds)"));
            self.focus = Focus::Customer;
            return Flow::Stay;
        };
        if let Some(p) = self.amount_problem(ctx.state()) {
            self.notice = Some(Notice::error(p));
            self.focus = Focus::Amount;
            return Flow::Stay;
        }
        let Some(amount) = self.receipt_amount().filter(|a| *a > Decimal::ZERO) else {
            self.notice = Some(Notice::error(
                "the receipt has no amount: type the amount received in Amount, then F10",
            ));
            self.focus = Focus::Amount;
            return Flow::Stay;
        };
        let (applied, d, w, x, credit) = self.totals(ctx);
        if credit < Decimal::ZERO {
            self.notice = Some(Notice::error(format!(
                "{} applied is more than the receipt's {}",
                applied, amount
            )));
            return Flow::Stay;
        }
        let cur = ctx
            .state()
            .customers
            .get(&customer)
            .map(|c| c.currency.clone())
            .unwrap_or_else(|| Currency::new("USD"));
        let mut parts = vec![format!(
            "{} invoice{} {}",
            self.applied.len(),
            if self.applied.len() == 1 { "" } else { "s" },
            money(applied, &cur)
        )];
        if !d.is_zero() {
            parts.push(format!("discount {}", money(d, &cur)));
        }
        if !w.is_zero() {
            parts.push(format!("write-off {}", money(w, &cur)));
        }
        if !x.is_zero() {
            parts.push(format!("disputed {}", money(x, &cur)));
        }
        self.asking = Some(Ask::Apply);
        let question = format!(
            "Receive {} {} {cur} from {customer}: {}; {} left as credit?",
            method_name(self.method),
            money(amount, &cur),
            parts.join(", "),
            money(credit, &cur)
        );
        // The same cheque received twice (the same reference and amount
        // from the same customer) is asked about, `y` only.
        match self.twin(ctx.state(), &customer, amount) {
            Some((number, date, reference)) => Flow::ConfirmStrict(format!(
                "NOTE: {number} of {date} received {} from {customer} with reference {reference} already. {question}",
                money(amount, &cur),
            )),
            None => Flow::Confirm(question),
        }
    }
}

impl Screen for CashApplication {
    fn name(&self) -> &'static str {
        "cash_application"
    }
    fn title(&self) -> String {
        match &self.customer {
            Some(c) => format!("cash application · {c}"),
            None => "cash application".into(),
        }
    }
    fn context(&self) -> Context {
        if let Some(p) = &self.prompt {
            return p.context();
        }
        match self.focus {
            Focus::Items => Context::List,
            Focus::Filter | Focus::EditAmount | Focus::Reason => Context::Input,
            _ => Context::Form,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        if let Some(p) = &self.prompt {
            return p.actions();
        }
        let mut a = match self.focus {
            Focus::Customer => vec![(Action::Submit, "customer"), (Action::Lookup, "find")],
            Focus::Method => vec![(Action::Down, "cheque/transfer/card/cash")],
            Focus::Amount | Focus::Reference => vec![(Action::Submit, "next")],
            Focus::Items => vec![
                (Action::Open, "apply / change amount"),
                (Action::DeleteLine, "unapply"),
                (Action::Settle, "settle short"),
                (Action::Search, "filter"),
            ],
            Focus::Filter => {
                return vec![
                    (Action::Submit, "keep filter"),
                    (Action::Cancel, "clear filter"),
                ]
            }
            Focus::EditAmount => {
                return vec![(Action::Submit, "set amount"), (Action::Cancel, "back")]
            }
            Focus::Reason => {
                return vec![
                    (Action::Submit, "dispute reason"),
                    (Action::Cancel, "no dispute"),
                ]
            }
        };
        a.push((Action::Accept, "take suggestion"));
        a.push((Action::Complete, "receive"));
        a.push((Action::Pay, "refund credit"));
        if self.customer.is_some() {
            a.push((Action::Print, "print the statement"));
        }
        a.push((Action::NextField, "next field"));
        if self.focus == Focus::Items {
            a.push((Action::Back, "header"));
        } else {
            a.push((Action::Cancel, "back"));
            // The open items' own keys, in the help from the header too
            // (pressed here, they go to the open items and say so).
            a.push((Action::Settle, "settle short (open items)"));
            a.push((Action::DeleteLine, "unapply (open items)"));
        }
        a.push((Action::Help, "keys"));
        a
    }

    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if let Some(mut p) = self.prompt.take() {
            match p.handle(input, ctx) {
                Picked::No => self.prompt = Some(p),
                Picked::Leave => {}
                Picked::Code(c) => self.set_customer(c.into(), ctx),
            }
            return Flow::Stay;
        }
        if self.pending {
            return Flow::Stay;
        }
        let n = self.shown(ctx).len();
        match (self.focus, input) {
            // The customer's statement as of today (what they owe, their
            // credit), printed through the documents module.
            (
                Focus::Customer | Focus::Method | Focus::Amount | Focus::Reference | Focus::Items,
                Input::Action(Action::Print),
            ) => match &self.customer {
                Some(c) => Flow::Print(vec![crate::docs::print::PrintRequest::new(
                    crate::docs::DocKind::Statement,
                    c,
                    ctx.today(),
                )]),
                None => {
                    self.notice = Some(Notice::error("choose the customer first (F4 finds)"));
                    Flow::Stay
                }
            },
            (Focus::Filter, input) => {
                let key = self.filter.filter_key(input);
                if key.changed {
                    self.selected = 0;
                }
                if key.back {
                    self.focus = Focus::Items;
                }
                Flow::Stay
            }
            (Focus::EditAmount, Input::Action(Action::Submit)) => {
                self.set_edited_amount(ctx);
                Flow::Stay
            }
            (Focus::EditAmount, Input::Action(Action::Cancel)) => {
                self.focus = Focus::Items;
                Flow::Stay
            }
            (Focus::EditAmount, other) => {
                self.edit.edit(other);
                Flow::Stay
            }
            (Focus::Reason, Input::Action(Action::Submit)) => {
                let reason = self.edit.take();
                if reason.trim().is_empty() {
                    self.notice = Some(Notice::error(
                        "a dispute needs its reason (Esc: do not settle)",
                    ));
                    return Flow::Stay;
                }
                if let Some(i) = self.shown(ctx).get(self.selected) {
                    if let Some(a) = self.applied.get_mut(&i.invoice) {
                        a.reason = reason;
                    }
                }
                self.focus = Focus::Items;
                Flow::Stay
            }
            (Focus::Reason, Input::Action(Action::Cancel)) => {
                if let Some(i) = self.shown(ctx).get(self.selected) {
                    if let Some(a) = self.applied.get_mut(&i.invoice) {
                        a.settle = false;
                    }
                }
                self.focus = Focus::Items;
                Flow::Stay
            }
            (Focus::Reason, other) => {
                self.edit.edit(other);
                Flow::Stay
            }
            (_, Input::Action(Action::Complete)) => self.complete(ctx),
            (_, Input::Action(Action::Pay)) => self.refund(ctx),
            (_, Input::Action(Action::Accept)) => {
                self.accept_suggestion(ctx);
                Flow::Stay
            }
            (_, Input::Action(Action::NextField)) => {
                self.next_field(false);
                Flow::Stay
            }
            (_, Input::Action(Action::PrevField)) => {
                self.next_field(true);
                Flow::Stay
            }
            (Focus::Items, Input::Action(Action::Back)) => {
                self.focus = Focus::Reference;
                Flow::Stay
            }
            (Focus::Items, Input::Action(Action::Open)) => {
                self.apply_selected(ctx);
                Flow::Stay
            }
            (Focus::Items, Input::Action(Action::DeleteLine)) => {
                if let Some(i) = self.shown(ctx).get(self.selected) {
                    self.applied.remove(&i.invoice);
                }
                Flow::Stay
            }
            (Focus::Items, Input::Action(Action::Settle)) => {
                self.settle_selected(ctx);
                Flow::Stay
            }
            (Focus::Items, Input::Action(Action::Search)) => {
                self.focus = Focus::Filter;
                Flow::Stay
            }
            (Focus::Items, Input::Action(a)) => {
                self.selected = moved(self.selected, n, a, self.page);
                Flow::Stay
            }
            (Focus::Items, Input::Char(_)) => Flow::Stay,
            // The open items' keys pressed in the header: to the open
            // items, saying what the key does there, where it did nothing.
            (
                Focus::Customer | Focus::Method | Focus::Amount | Focus::Reference,
                Input::Action(a @ (Action::Settle | Action::DeleteLine)),
            ) => {
                if self.customer.is_none() {
                    self.notice = Some(Notice::error("choose the customer first"));
                    return Flow::Stay;
                }
                self.focus = Focus::Items;
                let does = if a == Action::Settle {
                    "settles the invoice chosen short"
                } else {
                    "takes the invoice chosen off the receipt"
                };
                let key = ctx
                    .keymap
                    .key_for(self.name(), self.context(), a)
                    .map(|k| k.to_string())
                    .unwrap_or_default();
                self.notice = Some(Notice::info(format!(
                    "on the open items now: choose the invoice, then {key} {does}"
                )));
                Flow::Stay
            }
            (_, Input::Action(Action::Cancel)) => {
                if self.dirty() {
                    self.asking = Some(Ask::Leave);
                    Flow::ConfirmStrict("Leave without receiving this payment?".into())
                } else {
                    Flow::Pop
                }
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
                if self.customer_field.edit(other) {
                    self.customer = None;
                    self.applied.clear();
                }
                Flow::Stay
            }
            (Focus::Method, Input::Action(Action::Down) | Input::Char(' ')) => {
                let i = METHODS.iter().position(|m| *m == self.method).unwrap_or(0);
                self.method = METHODS[(i + 1) % METHODS.len()];
                Flow::Stay
            }
            (Focus::Method, Input::Action(Action::Up)) => {
                let i = METHODS.iter().position(|m| *m == self.method).unwrap_or(0);
                self.method = METHODS[(i + METHODS.len() - 1) % METHODS.len()];
                Flow::Stay
            }
            (Focus::Method, Input::Char(c)) => {
                let c = c.to_ascii_lowercase();
                if let Some(m) = METHODS
                    .iter()
                    .find(|m| method_name(**m).starts_with(c) && c.is_ascii_alphabetic())
                {
                    self.method = *m;
                }
                Flow::Stay
            }
            (Focus::Method, Input::Action(Action::Submit)) => {
                self.next_field(false);
                Flow::Stay
            }
            (Focus::Amount, Input::Action(Action::Submit)) => {
                match (self.amount.trimmed(), self.amount_problem(ctx.state())) {
                    ("", _) => {
                        self.notice = Some(Notice::error(
                            "type the amount received (the whole cheque or transfer, as 1250.00), then Enter",
                        ))
                    }
                    (_, Some(p)) => self.notice = Some(Notice::error(p)),
                    _ => self.next_field(false),
                }
                Flow::Stay
            }
            (Focus::Amount, other) => {
                self.amount.edit(other);
                Flow::Stay
            }
            (Focus::Reference, Input::Action(Action::Submit)) => {
                self.focus = Focus::Items;
                Flow::Stay
            }
            (Focus::Reference, other) => {
                self.reference.edit(other);
                Flow::Stay
            }
            _ => Flow::Stay,
        }
    }

    fn confirmed(&mut self, yes: bool, _ctx: &Ctx) -> Flow {
        let Some(ask) = self.asking.take() else {
            return Flow::Stay;
        };
        if !yes {
            // Said, so that a question closed by Enter (a duplicate's
            // answers yes only with `y`) is not taken for a receipt made.
            self.notice = match ask {
                Ask::Apply => Some(Notice::info("not received")),
                Ask::Refund(_) => Some(Notice::info("not refunded")),
                Ask::Leave => None,
            };
            return Flow::Stay;
        }
        match ask {
            Ask::Leave => Flow::Pop,
            Ask::Refund(amount) => match self.customer.clone() {
                Some(customer) if !self.pending => {
                    self.pending = true;
                    Flow::Submit(Box::new(Request {
                        key: self.key.clone(),
                        body: CommandBody::RefundCredit {
                            customer,
                            amount,
                            reference: self.reference.trimmed().to_string(),
                        },
                    }))
                }
                _ => Flow::Stay,
            },
            Ask::Apply => match self.body() {
                Some(body) if !self.pending => {
                    self.pending = true;
                    Flow::Submit(Box::new(Request {
                        key: self.key.clone(),
                        body,
                    }))
                }
                _ => Flow::Stay,
            },
        }
    }

    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.pending = false;
        match outcome {
            Submitted::Committed {
                events, duplicate, ..
            } => {
                let refunded = events.iter().find_map(|e| match e {
                    Event::CreditRefunded { refund, .. } => Some(refund.clone()),
                    _ => None,
                });
                let receipt = events.iter().find_map(|e| match e {
                    Event::PaymentReceived { receipt, .. } => Some(receipt.clone()),
                    _ => None,
                });
                let cur = self
                    .customer
                    .as_ref()
                    .and_then(|c| ctx.state().customers.get(c))
                    .map(|c| c.currency.clone())
                    .unwrap_or_else(|| Currency::new("USD"));
                self.notice = Some(Notice::info(match (receipt, refunded) {
                    (_, Some(r)) => format!(
                        "REFUNDED {} {} of the credit on account",
                        r.number,
                        money(r.amount, &cur)
                    ),
                    (Some(r), None) => format!(
                        "{}RECEIVED {} {} applied to {}, {} left as credit",
                        if duplicate {
                            "(already committed) "
                        } else {
                            ""
                        },
                        r.number,
                        money(r.amount, &cur),
                        counted(r.applications.len(), "invoice"),
                        money(r.unapplied, &cur)
                    ),
                    (None, None) => "received".into(),
                }));
                self.applied.clear();
                self.amount.take();
                self.reference.take();
                self.key = ctx.new_key();
                self.focus = Focus::Amount;
            }
            Submitted::Refused(r) => {
                // The key answered once: the corrected receipt is a new one.
                self.key = ctx.new_key();
                self.notice = Some(Notice::error(r.to_string()));
            }
            Submitted::Stopped(e) => self.notice = Some(Notice::error(format!("not done: {e}"))),
        }
        Flow::Stay
    }

    fn committed(&mut self, ctx: &Ctx) {
        // Invoices settled elsewhere meanwhile drop out of the receipt.
        let items = self.items(ctx);
        self.applied.retain(|inv, a| {
            items
                .iter()
                .any(|i| i.invoice == inv && i.payable >= a.amount)
        });
        self.selected = self.selected.min(self.shown(ctx).len().saturating_sub(1));
    }

    fn dirty(&self) -> bool {
        !self.applied.is_empty() || !self.amount.text.is_empty()
    }

    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let s: &State = ctx.state();
        // The wide table (date, total and result too) only where all of
        // it fits: squeezed, the table cut the dates short without a mark
        // ("2026-08-1" for 2026-08-18, at 110 to 126 columns).
        let wide = usize::from(area.width)
            >= WIDE.iter().map(|w| usize::from(*w)).sum::<usize>() + WIDE.len() - 1;
        let [head, table, sugg, foot] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Min(4),
            Constraint::Length(2),
            Constraint::Length(2),
        ])
        .areas(area);
        let cust = self.customer.as_ref().and_then(|c| s.customers.get(c));
        let cur = cust
            .map(|c| c.currency.clone())
            .unwrap_or_else(|| Currency::new("USD"));
        let lbl = |t: &str| Span::styled(t.to_string(), theme.label());
        let mut l1 = vec![
            lbl("Customer "),
            self.customer_field
                .span(self.focus == Focus::Customer, 10, theme),
            Span::raw(" "),
        ];
        match cust {
            Some(c) => {
                let credit = s
                    .unapplied
                    .get(&(c.entity.clone(), c.code.clone()))
                    .copied()
                    .unwrap_or_default();
                l1.push(Span::raw(fit(&c.name, if wide { 40 } else { 22 })));
                l1.push(Span::raw(format!(
                    "  owes {}  credit {} {cur}",
                    money(s.customer_balance(&c.code), &cur),
                    money(credit, &cur)
                )));
            }
            None => l1.push(Span::styled("F4 finds a customer", theme.dim())),
        }
        let l2 = Line::from(vec![
            lbl("Receipt "),
            Span::styled(
                format!("{:<8}", method_name(self.method)),
                theme.field(self.focus == Focus::Method),
            ),
            lbl(" Amount "),
            self.amount.span(self.focus == Focus::Amount, 12, theme),
            lbl(" Ref "),
            self.reference.span(
                self.focus == Focus::Reference,
                if wide { 40 } else { 20 },
                theme,
            ),
        ]);
        let (applied, d, w, x, credit) = self.totals(ctx);
        let l3 = Line::from(vec![
            lbl("Applied "),
            Span::raw(money(applied, &cur)),
            lbl("  disc "),
            Span::raw(money(d, &cur)),
            lbl("  w/o "),
            Span::raw(money(w, &cur)),
            lbl("  disputed "),
            Span::raw(money(x, &cur)),
            lbl("  credit "),
            // Of an amount that will be refused: no figure (a rounded one
            // would be a number the receipt can never have).
            match self.amount_problem(s) {
                Some(_) => Span::styled("-", theme.error()),
                None => Span::styled(
                    money(credit, &cur),
                    if credit < Decimal::ZERO {
                        theme.error()
                    } else {
                        theme.good()
                    },
                ),
            },
        ]);
        f.render_widget(Paragraph::new(vec![Line::from(l1), l2, l3]), head);

        let shown = self.shown(ctx);
        let today = ctx.today();
        self.selected = self.selected.min(shown.len().saturating_sub(1));
        self.page = table.height.saturating_sub(3).max(1) as usize;
        let mut header = vec![
            "Invoice", "Due", "Late", "Open", "Disputed", "Discount", "Apply",
        ];
        if wide {
            header.insert(1, "Date");
            header.insert(4, "Total");
            header.push("Result");
        }
        let rows: Vec<Row> = shown
            .iter()
            .map(|i| {
                let a = self.applied.get(&i.invoice);
                let disc = match (i.discount_until, i.discount.is_zero()) {
                    (Some(u), false) => {
                        format!("{} to {}", money(i.discount, &cur), u.format("%m-%d"))
                    }
                    // Still open, but nothing payable to take it on (the
                    // rest is disputed): no discount, not an ended one.
                    (Some(u), true) if u >= today => "-".to_string(),
                    (Some(u), true) => format!("ended {}", u.format("%m-%d")),
                    (None, _) => String::new(),
                };
                let apply = a
                    .map(|a| {
                        format!(
                            "{}{}",
                            money(a.amount, &cur),
                            if a.settle { " S" } else { "" }
                        )
                    })
                    .unwrap_or_default();
                let mut cells = vec![
                    i.invoice.to_string(),
                    i.due.to_string(),
                    // Days past due; not due yet is "-" (it read "-30").
                    if i.late_days > 0 {
                        i.late_days.to_string()
                    } else {
                        "-".to_string()
                    },
                    money(i.open, &cur),
                    if i.disputed.is_zero() {
                        String::new()
                    } else {
                        money(i.disputed, &cur)
                    },
                    disc,
                    apply,
                ];
                if wide {
                    cells.insert(1, i.date.to_string());
                    cells.insert(4, money(i.total, &cur));
                    cells.push(a.map(|a| result(i, a, &cur)).unwrap_or_default());
                }
                let row = Row::new(cells);
                if i.late_days > 0 && !i.disputed.is_zero() {
                    row.style(theme.error())
                } else {
                    row
                }
            })
            .collect();
        let widths: Vec<Constraint> = if wide {
            let last = WIDE.len() - 1;
            WIDE.iter()
                .enumerate()
                .map(|(i, w)| {
                    if i == last {
                        Constraint::Min(*w)
                    } else {
                        Constraint::Length(*w)
                    }
                })
                .collect()
        } else {
            vec![
                Constraint::Length(9),
                Constraint::Length(10),
                Constraint::Length(4),
                Constraint::Length(11),
                Constraint::Length(9),
                Constraint::Length(14),
                Constraint::Min(10),
            ]
        };
        let mut st = TableState::default();
        if matches!(self.focus, Focus::Items | Focus::EditAmount | Focus::Reason)
            && !shown.is_empty()
        {
            st.select(Some(self.selected));
        }
        let title = if self.filter.text.is_empty() && self.focus != Focus::Filter {
            format!(" open items ({}) ", shown.len())
        } else {
            format!(" open items ({}) /{} ", shown.len(), self.filter.text)
        };
        f.render_stateful_widget(
            Table::new(rows, widths)
                .header(Row::new(header).style(theme.label()))
                .row_highlight_style(theme.selected())
                .block(Block::new().borders(Borders::TOP).title(title)),
            table,
            &mut st,
        );
        let sugg_lines = match self.suggestion(ctx) {
            Some(sg) => vec![
                Line::from(vec![
                    lbl("Suggested "),
                    Span::raw(
                        sg.apply
                            .iter()
                            .map(|(i, a)| format!("{i} {}", money(*a, &cur)))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ]),
                Line::from(Span::styled(
                    format!("  because {}", sg.reason),
                    theme.dim(),
                )),
            ],
            None => vec![Line::from(Span::styled(
                "suggestions follow the amount and reference",
                theme.dim(),
            ))],
        };
        f.render_widget(Paragraph::new(sugg_lines), sugg);
        let foot_line = match self.focus {
            Focus::Filter => Line::from(vec![
                lbl("Filter "),
                self.filter.span(true, 20, theme),
                Span::styled("  invoice or date", theme.dim()),
            ]),
            Focus::EditAmount => Line::from(vec![
                lbl("Amount to apply "),
                self.edit.span(true, 14, theme),
            ]),
            Focus::Reason => Line::from(vec![
                lbl("Dispute reason "),
                self.edit.span(true, 40, theme),
            ]),
            _ => match shown
                .get(self.selected)
                .and_then(|i| self.applied.get(&i.invoice).map(|a| (i, a)))
            {
                Some((i, a)) if self.focus == Focus::Items => {
                    Line::from(format!("{}: {}", i.invoice, result(i, a, &cur)))
                }
                _ => Line::from(Span::styled(
                    "Enter applies a row; F6 takes the suggestion; F10 receives",
                    theme.dim(),
                )),
            },
        };
        f.render_widget(Paragraph::new(foot_line), foot);
        if let Some(p) = self.prompt.as_mut() {
            p.render(f, area, ctx);
        }
    }
}

/// What an application does to its invoice, in words.
fn result(i: &OpenItem, a: &Alloc, cur: &crate::core::types::Currency) -> String {
    let e = effect(i, a.amount, a.settle);
    let mut parts = Vec::new();
    if !e.discount.is_zero() {
        parts.push(format!("paid, discount {}", money(e.discount, cur)));
    }
    if !e.write_off.is_zero() {
        parts.push(format!("paid, write-off {}", money(e.write_off, cur)));
    }
    if !e.disputed.is_zero() {
        parts.push(format!(
            "disputed {}{}",
            money(e.disputed, cur),
            if a.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", a.reason)
            }
        ));
    }
    if parts.is_empty() {
        if e.left.is_zero() {
            parts.push("paid".into());
        } else {
            parts.push(format!("partial, {} left open", money(e.left, cur)));
        }
    }
    parts.join("; ")
}
