//! Closed documents leave memory (issue 21). `ArchiveClosed` picks the
//! sales orders that are done with (every line shipped or cancelled, every
//! invoice of them paid in full, nothing open pointing at them, all of it
//! dated before a day) and emits one `Archived` event that carries the
//! documents themselves: the order (with its history and the policy that
//! decided it), its pick lists, shipments, invoices and the receipts that
//! paid only those invoices. `apply` removes them from the state; the
//! balances, ledgers, demand history and KPIs they fed stay, and the
//! numbers of archived orders and invoices stay so that a command naming
//! one is refused as archived, not as unknown.
//!
//! The event carrying the documents keeps replay pure and the log the
//! one truth: the store's `archive` tree (kind + number -> document) is
//! written from the event in the same flush as the record, recovery
//! rewrites an entry that is missing, and `depot check` holds the event's
//! documents against the replayed state and against the tree.

use super::billing::Invoice;
use super::cash::Receipt;
use super::command::Command;
use super::event::Event;
use super::exceptions::Blocked;
use super::rejection::Rejection;
use super::sales::{OrderStatus, SalesOrder};
use super::state::State;
use super::types::Code;
use super::warehouse::{PickList, PickStatus, Shipment, ShortReason};
use crate::core::types::ToCode;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Orders archived by one command when it names no maximum.
pub const ARCHIVE_ORDERS_DEFAULT: u32 = 1_000;
/// Orders one command may archive at most (bounds the record's size).
pub const ARCHIVE_ORDERS_MAX: u32 = 10_000;

/// An archived order with what the state kept beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedOrder {
    pub order: SalesOrder,
    /// The log records that touched it (`State::order_history`).
    pub history: Vec<u64>,
    /// What decided its policies when it was placed.
    pub policy: Option<super::channel::Effective>,
    /// The numbers of the documents archived with it: its pick lists and
    /// shipments, their invoices, and the receipts that paid those.
    pub picks: Vec<Code>,
    pub shipments: Vec<Code>,
    pub invoices: Vec<Code>,
    pub receipts: Vec<Code>,
}

/// An archived pick list with its short reasons and acknowledgements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedPick {
    pub pick: PickList,
    pub short_reasons: Vec<(u32, ShortReason)>,
    pub short_acknowledged: Vec<(u32, Decimal)>,
}

/// An archived shipment and the day its delivery was confirmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedShipment {
    pub shipment: Shipment,
    pub delivered: Option<NaiveDate>,
}

/// What one `ArchiveClosed` moved out of memory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Archive {
    /// Everything archived was dated before this day.
    pub before: NaiveDate,
    pub orders: Vec<ArchivedOrder>,
    pub picks: Vec<ArchivedPick>,
    pub shipments: Vec<ArchivedShipment>,
    pub invoices: Vec<Invoice>,
    pub receipts: Vec<Receipt>,
}

/// One document as the archive tree holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchivedDoc {
    /// Boxed: the largest by far (serialized as the order itself).
    Order(Box<ArchivedOrder>),
    Pick(ArchivedPick),
    Shipment(ArchivedShipment),
    Invoice(Invoice),
    Receipt(Receipt),
    /// A bank statement line of a reconciled period, and a book item it
    /// cleared (`bank::BankArchive`).
    BankLine(super::bank::BankLine),
    BookItem(super::bank::BookItem),
}

/// `ArchivedDoc::Invoice`'s place among the variants: its encoding
/// begins with it (`Store::archived_invoice_entity`).
pub const INVOICE_VARIANT: u32 = 3;

/// The fields an archived invoice's encoding begins with (`Invoice`'s
/// first three, in order): read without decoding its lines.
#[derive(Debug, Deserialize)]
pub struct InvoiceHead {
    pub number: Code,
    pub customer: Code,
    pub entity: Code,
}

/// The kinds of archived documents (the first part of their tree key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Order,
    Pick,
    Shipment,
    Invoice,
    Receipt,
    BankLine,
    BookItem,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Order => "order",
            DocKind::Pick => "pick",
            DocKind::Shipment => "shipment",
            DocKind::Invoice => "invoice",
            DocKind::Receipt => "receipt",
            DocKind::BankLine => "bank-line",
            DocKind::BookItem => "book-item",
        }
    }
}

/// The archive tree's key of a document: `kind/number`.
pub fn key(kind: DocKind, number: &str) -> String {
    format!("{}/{number}", kind.as_str())
}

impl ArchivedDoc {
    pub fn kind(&self) -> DocKind {
        match self {
            ArchivedDoc::Order(_) => DocKind::Order,
            ArchivedDoc::Pick(_) => DocKind::Pick,
            ArchivedDoc::Shipment(_) => DocKind::Shipment,
            ArchivedDoc::Invoice(_) => DocKind::Invoice,
            ArchivedDoc::Receipt(_) => DocKind::Receipt,
            ArchivedDoc::BankLine(_) => DocKind::BankLine,
            ArchivedDoc::BookItem(_) => DocKind::BookItem,
        }
    }
    pub fn number(&self) -> &str {
        match self {
            ArchivedDoc::Order(o) => &o.order.number,
            ArchivedDoc::Pick(p) => &p.pick.number,
            ArchivedDoc::Shipment(s) => &s.shipment.number,
            ArchivedDoc::Invoice(i) => &i.number,
            ArchivedDoc::Receipt(r) => &r.number,
            ArchivedDoc::BankLine(l) => &l.id,
            ArchivedDoc::BookItem(i) => &i.id,
        }
    }
    pub fn key(&self) -> String {
        key(self.kind(), self.number())
    }

    /// The order this document went to the archive with, where the
    /// document names it: an order its own number, a pick list and a
    /// shipment theirs, an invoice the order of its first line. A receipt
    /// names invoices, not orders (see `Store::archived_order_of`); bank
    /// documents none.
    pub fn order(&self) -> Option<&Code> {
        match self {
            ArchivedDoc::Order(o) => Some(&o.order.number),
            ArchivedDoc::Pick(p) => Some(&p.pick.order),
            ArchivedDoc::Shipment(s) => Some(&s.shipment.order),
            ArchivedDoc::Invoice(i) => i.lines.first().map(|l| &l.order),
            ArchivedDoc::Receipt(_) | ArchivedDoc::BankLine(_) | ArchivedDoc::BookItem(_) => None,
        }
    }
}

/// The documents an event moves into the archive (none for any event but
/// `Archived` and `BankArchived`): what the store writes to its archive
/// tree and `depot check` compares with it.
pub fn event_docs(event: &Event) -> Vec<ArchivedDoc> {
    match event {
        Event::Archived(a) => a.docs(),
        Event::BankArchived(b) => b
            .lines
            .iter()
            .cloned()
            .map(ArchivedDoc::BankLine)
            .chain(b.items.iter().cloned().map(ArchivedDoc::BookItem))
            .collect(),
        _ => Vec::new(),
    }
}

impl Archive {
    /// Every document of the archive, each with its tree key.
    pub fn docs(&self) -> Vec<ArchivedDoc> {
        let mut out = Vec::new();
        out.extend(
            self.orders
                .iter()
                .map(|o| ArchivedDoc::Order(Box::new(o.clone()))),
        );
        out.extend(self.picks.iter().cloned().map(ArchivedDoc::Pick));
        out.extend(self.shipments.iter().cloned().map(ArchivedDoc::Shipment));
        out.extend(self.invoices.iter().cloned().map(ArchivedDoc::Invoice));
        out.extend(self.receipts.iter().cloned().map(ArchivedDoc::Receipt));
        out
    }

    /// How many documents it holds.
    pub fn len(&self) -> usize {
        self.orders.len()
            + self.picks.len()
            + self.shipments.len()
            + self.invoices.len()
            + self.receipts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Invoices something still open points at: returns, credit and debit
/// memos, allowances, disputes and their resolutions, open exceptions.
fn pinned_invoices(state: &State) -> BTreeSet<&Code> {
    let mut out: BTreeSet<&Code> = BTreeSet::new();
    out.extend(state.returns.values().map(|r| &r.invoice));
    out.extend(state.credit_memos.values().map(|m| &m.invoice));
    out.extend(state.debit_memos.values().map(|m| &m.invoice));
    out.extend(state.allowances.keys().map(|(i, _)| i));
    out.extend(state.dispute_by.keys());
    out.extend(state.dispute_resolutions.values().map(|d| &d.invoice));
    for b in state.open_exceptions.keys() {
        if let Blocked::Invoice { number } = b {
            out.insert(number);
        }
    }
    out
}

/// Documents an open exception blocks (orders and pick lists).
fn blocked_docs(state: &State) -> BTreeSet<&Code> {
    let mut out = BTreeSet::new();
    for b in state.open_exceptions.keys() {
        match b {
            Blocked::Order { number, .. } => {
                out.insert(number);
            }
            Blocked::PickLine { list, .. } | Blocked::Carton { list, .. } => {
                out.insert(list);
            }
            _ => {}
        }
    }
    out
}

/// Is the order closed by itself (its own lines, picks, shipments, their
/// invoices and the receipts of those), all of it dated before `before`?
fn closed_alone(
    state: &State,
    o: &SalesOrder,
    before: NaiveDate,
    pinned: &BTreeSet<&Code>,
    blocked: &BTreeSet<&Code>,
    deposit_receipts: &BTreeSet<&Code>,
) -> bool {
    if !matches!(o.status, OrderStatus::Open | OrderStatus::Cancelled) || o.date >= before {
        return false;
    }
    let lines_done = o.lines.iter().all(|l| {
        (l.cancelled || l.shipped >= l.qty)
            && l.reserved.is_zero()
            && l.picked.is_zero()
            && l.backordered.is_zero()
    });
    if !lines_done || blocked.contains(&o.number) || state.deposits.contains_key(&o.number) {
        return false;
    }
    let none = Vec::new();
    let picks = state.index.picks_by_order.get(&o.number).unwrap_or(&none);
    for p in picks {
        let Some(p) = state.picks.get(p) else {
            return false;
        };
        if p.status == PickStatus::Open || p.wave.is_some() || blocked.contains(&p.number) {
            return false;
        }
    }
    let shipments = state
        .index
        .shipments_by_order
        .get(&o.number)
        .unwrap_or(&none);
    for s in shipments {
        let Some(s) = state.shipments.get(s) else {
            return false;
        };
        if s.date >= before
            || state
                .deliveries
                .get(&s.number)
                .is_some_and(|d| *d >= before)
        {
            return false;
        }
        let Some(inv) = s.invoice.as_ref().and_then(|i| state.invoices.get(i)) else {
            return false;
        };
        if !invoice_closed(inv, before) || pinned.contains(&inv.number) {
            return false;
        }
        for r in state
            .index
            .receipts_by_invoice
            .get(&inv.number)
            .unwrap_or(&none)
        {
            let Some(r) = state.receipts.get(r) else {
                return false;
            };
            if r.date >= before || deposit_receipts.contains(&r.number) {
                return false;
            }
        }
    }
    true
}

fn invoice_closed(inv: &Invoice, before: NaiveDate) -> bool {
    inv.open.is_zero()
        && inv.base_open.is_zero()
        && inv.disputed.is_zero()
        && inv.date < before
        && !inv.shipments.is_empty()
}

/// The orders of an invoice (through its shipments).
fn invoice_orders<'a>(
    state: &'a State,
    inv: &'a Invoice,
) -> impl Iterator<Item = Option<&'a Code>> {
    inv.shipments
        .iter()
        .map(|s| state.shipments.get(s).map(|s| &s.order))
}

/// Does everything the order's invoices and receipts reach belong to
/// orders in `set`?
fn contained(state: &State, number: &str, set: &BTreeSet<Code>) -> bool {
    let none = Vec::new();
    let in_set =
        |inv: &Invoice| invoice_orders(state, inv).all(|o| o.is_some_and(|o| set.contains(o)));
    for s in state
        .index
        .shipments_by_order
        .get(&number.to_code())
        .unwrap_or(&none)
    {
        let Some(inv) = state
            .shipments
            .get(s)
            .and_then(|s| s.invoice.as_ref())
            .and_then(|i| state.invoices.get(i))
        else {
            return false;
        };
        if !in_set(inv) {
            return false;
        }
        for r in state
            .index
            .receipts_by_invoice
            .get(&inv.number)
            .unwrap_or(&none)
        {
            let Some(r) = state.receipts.get(r) else {
                return false;
            };
            for a in &r.applications {
                match state.invoices.get(&a.invoice) {
                    Some(other) if !other.shipments.is_empty() && in_set(other) => {}
                    _ => return false,
                }
            }
        }
    }
    true
}

/// Drop from `set` every order whose documents reach outside it, until
/// none does.
fn close_over(state: &State, set: &mut BTreeSet<Code>) {
    loop {
        let out: Vec<Code> = set
            .iter()
            .filter(|n| !contained(state, n, set))
            .cloned()
            .collect();
        if out.is_empty() {
            return;
        }
        for n in out {
            set.remove(&n);
        }
    }
}

/// The orders `ArchiveClosed` would archive, at most `max`, by number.
/// Every order in memory is looked at: on a year's store that is a tenth
/// of a second, so `depot serve`'s archiver calls it on a view of the
/// state, off the writer, and names the orders in its command.
pub fn closed_orders(state: &State, before: NaiveDate, max: usize) -> BTreeSet<Code> {
    closed_among(
        state,
        before,
        max,
        state.orders.values_any_order().map(|o| &**o),
    )
}

/// Of `orders`, those `ArchiveClosed` would archive, at most `max`.
fn closed_among<'a>(
    state: &State,
    before: NaiveDate,
    max: usize,
    orders: impl Iterator<Item = &'a SalesOrder>,
) -> BTreeSet<Code> {
    let pinned = pinned_invoices(state);
    let blocked = blocked_docs(state);
    let deposit_receipts: BTreeSet<&Code> = state
        .deposits
        .values()
        .flat_map(|d| d.receipts.iter())
        .collect();
    let mut set: BTreeSet<Code> = orders
        .filter(|o| closed_alone(state, o, before, &pinned, &blocked, &deposit_receipts))
        .map(|o| o.number.clone())
        .collect();
    close_over(state, &mut set);
    if set.len() > max {
        set = set.into_iter().take(max).collect();
        close_over(state, &mut set);
    }
    set
}

/// The archive of `orders` and the documents around them, from the state.
pub fn gather(state: &State, before: NaiveDate, orders: &BTreeSet<Code>) -> Archive {
    let mut a = Archive {
        before,
        ..Archive::default()
    };
    let none = Vec::new();
    let mut invoices: BTreeSet<&Code> = BTreeSet::new();
    let mut receipts: BTreeSet<&Code> = BTreeSet::new();
    for n in orders {
        let Some(o) = state.orders.get(n) else {
            continue;
        };
        let picks = state
            .index
            .picks_by_order
            .get(n)
            .cloned()
            .unwrap_or_default();
        let shipments = state
            .index
            .shipments_by_order
            .get(n)
            .cloned()
            .unwrap_or_default();
        let mut its_invoices: Vec<Code> = shipments
            .iter()
            .filter_map(|s| state.shipments.get(s).and_then(|s| s.invoice.clone()))
            .collect();
        its_invoices.sort();
        its_invoices.dedup();
        let mut its_receipts: Vec<Code> = its_invoices
            .iter()
            .flat_map(|i| {
                state
                    .index
                    .receipts_by_invoice
                    .get(i)
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        its_receipts.sort();
        its_receipts.dedup();
        a.orders.push(ArchivedOrder {
            order: (**o).clone(),
            history: state
                .order_history
                .get(n)
                .map(|h| (**h).clone())
                .unwrap_or_default(),
            policy: state.order_policies.get(n).cloned(),
            picks,
            shipments,
            invoices: its_invoices,
            receipts: its_receipts,
        });
        for p in state.index.picks_by_order.get(n).unwrap_or(&none) {
            if let Some(p) = state.picks.get(p) {
                let key = |line: u32| (p.number.clone(), line);
                a.picks.push(ArchivedPick {
                    pick: (**p).clone(),
                    short_reasons: p
                        .lines
                        .iter()
                        .filter_map(|l| state.short_reasons.get(&key(l.line)).map(|v| (l.line, *v)))
                        .collect(),
                    short_acknowledged: p
                        .lines
                        .iter()
                        .filter_map(|l| {
                            state
                                .short_acknowledged
                                .get(&key(l.line))
                                .map(|v| (l.line, *v))
                        })
                        .collect(),
                });
            }
        }
        for s in state.index.shipments_by_order.get(n).unwrap_or(&none) {
            if let Some(s) = state.shipments.get(s) {
                a.shipments.push(ArchivedShipment {
                    shipment: (**s).clone(),
                    delivered: state.deliveries.get(&s.number).copied(),
                });
                invoices.extend(s.invoice.iter());
            }
        }
    }
    for i in invoices {
        if let Some(inv) = state.invoices.get(i) {
            a.invoices.push((**inv).clone());
        }
        receipts.extend(state.index.receipts_by_invoice.get(i).unwrap_or(&none));
    }
    for r in receipts {
        if let Some(r) = state.receipts.get(r) {
            a.receipts.push((**r).clone());
        }
    }
    a
}

/// `ArchiveClosed`: archive the closed orders dated before `before` (at
/// most `max`), with their documents.
pub fn archive_closed(
    state: &State,
    _cmd: &Command,
    before: NaiveDate,
    max: Option<u32>,
    named: Option<&[Code]>,
) -> Result<Vec<Event>, Rejection> {
    let max = max.unwrap_or(ARCHIVE_ORDERS_DEFAULT);
    if max == 0 || max > ARCHIVE_ORDERS_MAX {
        return Err(Rejection::out_of_range("max", max, "1", ARCHIVE_ORDERS_MAX));
    }
    let orders = match named {
        None => closed_orders(state, before, max as usize),
        Some(named) => {
            if named.len() > max as usize {
                return Err(Rejection::out_of_range("orders", named.len(), "1", max));
            }
            let mut found = Vec::with_capacity(named.len());
            for n in named {
                match state.orders.get(n) {
                    Some(o) => found.push(o),
                    // Archived since the list was made: nothing left to do.
                    None if state.archived_orders.contains(n) => {}
                    None => {
                        return Err(Rejection::NotFound {
                            kind: super::master::RecordKind::SalesOrder,
                            key: n.to_string(),
                        })
                    }
                }
            }
            closed_among(state, before, max as usize, found.into_iter().map(|o| &**o))
        }
    };
    let bank = super::bank::settled(state, before, super::bank::ARCHIVE_LINES_MAX);
    if orders.is_empty() && bank.is_empty() {
        return Err(Rejection::NothingToArchive { before });
    }
    let mut events = Vec::with_capacity(1 + bank.len());
    if !orders.is_empty() {
        events.push(Event::Archived(gather(state, before, &orders)));
    }
    events.extend(bank.into_iter().map(Event::BankArchived));
    Ok(events)
}

/// Move the archive's documents out of the state (and out of every index
/// that would name them); keep their numbers so that a command naming one
/// is told it is archived.
pub fn apply_archived(state: &mut State, a: &Archive) {
    for o in &a.orders {
        let n = &o.order.number;
        state.orders.remove(n);
        state.order_history.remove(n);
        state.order_policies.remove(n);
        state.index.picks_by_order.remove(n);
        state.index.shipments_by_order.remove(n);
        // What its perfect-order and on-time figures kept for a later
        // dispute or credit memo: none can come (the invoices are paid
        // and archived, a command naming one is refused), and the
        // figures themselves stay in the accumulators.
        state.kpis.orders.remove(n);
        state.archived_orders.insert(n);
        // Closed, so nothing said about its late risk is kept (it was
        // forgotten when it closed; this is the belt to that).
        super::exceptions::forget_late_risk(state, n);
    }
    for p in &a.picks {
        let n = &p.pick.number;
        state.picks.remove(n);
        if state.index.open_picks.remove(n).is_some() {
            // Only a shipped list is archived; should an open one ever be,
            // its bins no longer promise what it had left to pick.
            for l in &p.pick.lines {
                super::warehouse::promise(
                    &mut state.index.promised,
                    &p.pick.warehouse,
                    l,
                    -l.open(),
                );
            }
        }
        for l in &p.pick.lines {
            let k = (n.clone(), l.line);
            state.short_reasons.remove(&k);
            state.short_acknowledged.remove(&k);
        }
    }
    for s in &a.shipments {
        let n = &s.shipment.number;
        state.shipments.remove(n);
        state.deliveries.remove(n);
    }
    for i in &a.invoices {
        bring_forward(state, &i.customer, i.date, i.total);
        keep_sales(state, a, i);
        state.invoices.remove(&i.number);
        state.index.receipts_by_invoice.remove(&i.number);
        state.kpis.disputed.remove(&i.number);
        state.archived_invoices.insert(&i.number);
    }
    for r in &a.receipts {
        bring_forward(state, &r.customer, r.date, r.statement_net());
        state.archived_through = state.archived_through.max(Some(r.date));
        state.receipts.remove(&r.number);
    }
    forget_cleared_exceptions(state, a);
}

/// Add what an archived document moved on its customer's statement to
/// that customer's total, and keep its latest day. A total that comes to
/// nil is kept: the statement still says that settled documents were
/// archived to it.
fn bring_forward(state: &mut State, customer: &Code, day: NaiveDate, amount: Decimal) {
    match state.archived_statement.get_mut(customer) {
        Some((last, v)) => {
            *last = (*last).max(day);
            *v += amount;
        }
        None => {
            state
                .archived_statement
                .insert(customer.clone(), (day, amount));
        }
    }
}

/// Keep what an archived invoice sold for the margin report, by customer
/// and by item, with the count of lines each total sums. (No credit memo
/// takes back from an archived invoice: an invoice with a return or a
/// memo is never archived, `pinned_invoices`.)
fn keep_sales(state: &mut State, a: &Archive, i: &Invoice) {
    let Some(base) = state
        .entities
        .get(&i.entity)
        .map(|e| e.base_currency.clone())
    else {
        return;
    };
    let shipment = |n: &Code| {
        a.shipments
            .iter()
            .map(|s| &s.shipment)
            .find(|s| s.number == *n)
    };
    for (l, sold) in i.sold(&base, shipment) {
        let by_customer = (i.entity.clone(), i.customer.clone());
        let by_item = (i.entity.clone(), l.sku.clone());
        for (map, key) in [
            (&mut state.archived_sales_by_customer, by_customer),
            (&mut state.archived_sales_by_item, by_item),
        ] {
            match map.get_mut(&key) {
                Some((s, n)) => {
                    s.add(sold);
                    *n += 1;
                }
                None => {
                    map.insert(key, (sold, 1));
                }
            }
        }
    }
    state.archived_through = state.archived_through.max(Some(i.date));
}

/// What the archive holds dated after `day`, that a statement or the
/// margin report as of `day` takes back out of the totals the state
/// keeps (`State::archived_statement`, `archived_sales_by_*`). The state
/// keeps one total per customer and per item, not one per day: the days
/// are in the store's archive index (`Store::later`), read only for a
/// report as of a day before the latest archived document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Later {
    pub day: NaiveDate,
    /// Only this customer's documents (a statement); `None`: everyone's.
    pub customer: Option<Code>,
    /// What it was read for: with `Need::Aging`, `invoices`, `shipments`
    /// and `last` are left empty.
    pub need: Need,
    /// How many archived invoices are dated after `day`, by entity.
    pub invoices_after: std::collections::BTreeMap<Code, u64>,
    /// The archived invoices and receipts dated after `day`.
    pub invoices: Vec<Invoice>,
    pub receipts: Vec<Receipt>,
    /// The shipments those invoices bill (what their lines cost).
    pub shipments: Vec<Shipment>,
    /// The archived invoices dated on or before `day` that those receipts
    /// paid: open as of `day` (the aging of a statement or of AR).
    pub paid: Vec<Invoice>,
    /// For each customer with an archived document after `day`: the
    /// latest day of its archived invoices and receipts dated on or
    /// before `day`, when there is one (the brought-forward line's date).
    pub last: std::collections::BTreeMap<Code, NaiveDate>,
}

/// What a read of the archive is for. The AR aging (and a customer's
/// open items) as of a day needs only the receipts dated after it and the
/// invoices they paid dated on or before it; a statement's brought-forward
/// line and the margin report need every invoice dated after it too, with
/// the shipments they bill. A read of years of history for an aging so
/// holds the receipts, not every invoice and shipment since.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Need {
    Aging,
    #[default]
    All,
}

impl Later {
    /// From every archived document there is (a backend that keeps every
    /// record, a test): what the store's index reads.
    pub fn from_docs<'a>(
        docs: impl IntoIterator<Item = &'a ArchivedDoc>,
        day: NaiveDate,
        customer: Option<&str>,
        need: Need,
    ) -> Later {
        let mut out = Later {
            day,
            customer: customer.map(Code::from),
            need,
            ..Later::default()
        };
        let mut shipments = std::collections::BTreeMap::new();
        let mut invoices = std::collections::BTreeMap::new();
        let mut before: std::collections::BTreeMap<Code, NaiveDate> = Default::default();
        let mut note = |c: &Code, d: NaiveDate| {
            if d <= day {
                let e = before.entry(c.clone()).or_insert(d);
                *e = (*e).max(d);
            }
        };
        let wanted = |c: &Code| customer.is_none_or(|x| x == c.as_str());
        for d in docs {
            match d {
                ArchivedDoc::Invoice(i) if wanted(&i.customer) => {
                    invoices.insert(i.number.clone(), i);
                    note(&i.customer, i.date);
                    if i.date > day {
                        *out.invoices_after.entry(i.entity.clone()).or_default() += 1;
                        if need == Need::All {
                            out.invoices.push(i.clone());
                        }
                    }
                }
                ArchivedDoc::Receipt(r) if wanted(&r.customer) => {
                    note(&r.customer, r.date);
                    if r.date > day {
                        out.receipts.push(r.clone());
                    }
                }
                ArchivedDoc::Shipment(s) => {
                    shipments.insert(s.shipment.number.clone(), &s.shipment);
                }
                _ => {}
            }
        }
        out.shipments = out
            .billed()
            .filter_map(|n| shipments.get(n).map(|s| (*s).clone()))
            .collect();
        out.paid = out
            .paid_numbers()
            .filter_map(|n| invoices.get(n))
            .filter(|i| i.date <= day)
            .map(|i| (*i).clone())
            .collect();
        if need == Need::All {
            for c in out.named() {
                if let Some(d) = before.get(&c) {
                    out.last.insert(c, *d);
                }
            }
        }
        out.sort();
        out
    }

    /// Its documents in one order whoever read them: by day, then number.
    pub fn sort(&mut self) {
        self.invoices
            .sort_by(|a, b| (a.date, &a.number).cmp(&(b.date, &b.number)));
        self.receipts
            .sort_by(|a, b| (a.date, &a.number).cmp(&(b.date, &b.number)));
        self.shipments.sort_by(|a, b| a.number.cmp(&b.number));
        self.shipments.dedup_by(|a, b| a.number == b.number);
        self.paid.sort_by(|a, b| a.number.cmp(&b.number));
    }

    /// The shipment numbers its invoices bill, in order, once each.
    pub fn billed(&self) -> impl Iterator<Item = &Code> {
        let set: BTreeSet<&Code> = self
            .invoices
            .iter()
            .flat_map(|i| i.lines.iter().map(|l| &l.shipment))
            .collect();
        set.into_iter()
    }

    /// The invoice numbers its receipts apply to, once each.
    pub fn paid_numbers(&self) -> impl Iterator<Item = &Code> {
        let set: BTreeSet<&Code> = self
            .receipts
            .iter()
            .flat_map(|r| r.applications.iter().map(|a| &a.invoice))
            .collect();
        set.into_iter()
    }

    /// The customers its invoices and receipts name (and the one asked
    /// for), once each.
    pub fn named(&self) -> BTreeSet<Code> {
        self.invoices
            .iter()
            .map(|i| i.customer.clone())
            .chain(self.receipts.iter().map(|r| r.customer.clone()))
            .chain(self.customer.clone())
            .collect()
    }

    /// Does it hold what a report as of `day` (of `customer`) needs?
    pub fn covers(&self, day: NaiveDate, customer: Option<&str>, need: Need) -> bool {
        self.day == day
            && self.need >= need
            && match (&self.customer, customer) {
                (None, _) => true,
                (Some(c), Some(x)) => c == x,
                (Some(_), None) => false,
            }
    }
}

/// Why the archive's totals cannot be given as of a day.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CarriedError {
    /// The day is before the latest archived document: what was archived
    /// after it must be read from the store (`Store::later`).
    #[error("as of {day}, it needs the documents archived after that day, which only the store's archive holds")]
    NeedsArchive {
        day: NaiveDate,
        customer: Option<Code>,
        need: Need,
    },
    /// What the archive read holds after the day is more than the totals
    /// hold: the archive index and the state disagree (`depot check`).
    #[error("the archive's documents after {day} do not match the archived totals of {what}")]
    Inconsistent { day: NaiveDate, what: String },
}

/// Does a report of every customer as of `day` need what the archive
/// holds after it (`day` is before the latest archived invoice or
/// receipt)?
pub fn needs_later(state: &State, day: NaiveDate) -> bool {
    state.archived_through.is_some_and(|t| t > day)
}

/// What the archive holds after `day`, when a report of every customer
/// as of `day` needs it (`needs_later`): `later`, or `NeedsArchive` when
/// it is not of that day.
pub fn later_for<'l>(
    state: &State,
    day: NaiveDate,
    need: Need,
    later: Option<&'l Later>,
) -> Result<Option<&'l Later>, CarriedError> {
    if !needs_later(state, day) {
        return Ok(None);
    }
    match later.filter(|l| l.covers(day, None, need)) {
        Some(l) => Ok(Some(l)),
        None => Err(CarriedError::NeedsArchive {
            day,
            customer: None,
            need,
        }),
    }
}

/// Does `customer`'s statement as of `day` need what the archive holds
/// after it (`Later`)?
pub fn statement_needs_archive(state: &State, customer: &str, day: NaiveDate) -> bool {
    state
        .archived_statement
        .get(&customer.to_code())
        .is_some_and(|(last, _)| *last > day)
}

/// What `customer`'s archived invoices and receipts came to on their
/// statement as of `day`, and the latest day of them; `None` when none
/// is dated on or before it. `later` is read when `day` is before the
/// latest of them.
pub fn brought_forward(
    state: &State,
    customer: &str,
    day: NaiveDate,
    later: Option<&Later>,
) -> Result<Option<(NaiveDate, Decimal)>, CarriedError> {
    let Some(&(last, total)) = state.archived_statement.get(&customer.to_code()) else {
        return Ok(None);
    };
    if last <= day {
        return Ok(Some((last, total)));
    }
    let later = later
        .filter(|l| l.covers(day, Some(customer), Need::All))
        .ok_or_else(|| CarriedError::NeedsArchive {
            day,
            customer: Some(Code::from(customer)),
            need: Need::All,
        })?;
    let after: Decimal = later
        .invoices
        .iter()
        .filter(|i| i.customer == customer && i.date > day)
        .map(|i| i.total)
        .chain(
            later
                .receipts
                .iter()
                .filter(|r| r.customer == customer && r.date > day)
                .map(|r| r.statement_net()),
        )
        .sum();
    match later.last.get(&customer.to_code()) {
        Some(d) => Ok(Some((*d, total - after))),
        None if after == total => Ok(None),
        None => Err(CarriedError::Inconsistent {
            day,
            what: format!("customer {customer}'s statement"),
        }),
    }
}

/// What archived invoices sold as of `day`, by (entity, item) when
/// `by_item`, else by (entity, customer): the totals the state keeps,
/// less what `later` holds after `day` when `day` is before the latest
/// archived invoice. A key none of whose lines is dated on or before
/// `day` is left out, as a report of that day never saw it.
pub fn archived_sales(
    state: &State,
    by_item: bool,
    day: NaiveDate,
    later: Option<&Later>,
) -> Result<std::collections::BTreeMap<(Code, Code), super::billing::Sold>, CarriedError> {
    let totals = if by_item {
        &state.archived_sales_by_item
    } else {
        &state.archived_sales_by_customer
    };
    let mut out: std::collections::BTreeMap<(Code, Code), (super::billing::Sold, u64)> =
        totals.iter().map(|(k, v)| (k.clone(), *v)).collect();
    if let Some(later) = later_for(state, day, Need::All, later)? {
        let shipments: std::collections::BTreeMap<&Code, &Shipment> =
            later.shipments.iter().map(|s| (&s.number, s)).collect();
        let inconsistent = |what: &Code| CarriedError::Inconsistent {
            day,
            what: format!("sales of {what}"),
        };
        for i in later.invoices.iter().filter(|i| i.date > day) {
            let Some(base) = state
                .entities
                .get(&i.entity)
                .map(|e| e.base_currency.clone())
            else {
                continue;
            };
            let shipment = |n: &Code| shipments.get(n).copied();
            for (l, sold) in i.sold(&base, shipment) {
                let code = if by_item { &l.sku } else { &i.customer };
                let (s, n) = out
                    .get_mut(&(i.entity.clone(), code.clone()))
                    .ok_or_else(|| inconsistent(code))?;
                *n = n.checked_sub(1).ok_or_else(|| inconsistent(code))?;
                s.sub(sold);
            }
        }
    }
    Ok(out
        .into_iter()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(k, (s, _))| (k, s))
        .collect())
}

/// The cleared exceptions about the archived documents (holds on the
/// orders, short picks and cartons of their pick lists, disputes of their
/// invoices) leave memory with them: none can open again, since nothing
/// can be done against an archived document, and an open one kept its
/// document from being archived (`blocked_docs`). The log keeps the
/// records that raised and cleared them (`depot report audit`); the
/// exceptions report lists those still in memory.
fn forget_cleared_exceptions(state: &mut State, a: &Archive) {
    let orders: BTreeSet<&Code> = a.orders.iter().map(|o| &o.order.number).collect();
    let lists: BTreeSet<&Code> = a.picks.iter().map(|p| &p.pick.number).collect();
    let invoices: BTreeSet<&Code> = a.invoices.iter().map(|i| &i.number).collect();
    let gone: Vec<u64> = state
        .exceptions
        .values()
        .filter(|x| {
            !x.is_open()
                && match &x.blocked {
                    Blocked::Order { number, .. } => orders.contains(number),
                    Blocked::PickLine { list, .. } | Blocked::Carton { list, .. } => {
                        lists.contains(list)
                    }
                    Blocked::Invoice { number } => invoices.contains(number),
                    _ => false,
                }
        })
        .map(|x| x.id)
        .collect();
    for id in gone {
        state.exceptions.remove(&id);
    }
}

/// Are the archive's documents those of the state it is applied to, and
/// closed? What `depot check` (through the replay) and the scenario tests
/// hold every `Archived` event to: `Err` names the document.
pub fn check_archive(state: &State, a: &Archive) -> Result<(), (String, String)> {
    let bad = |kind: DocKind, n: &str, why: &str| Err((key(kind, n), why.to_string()));
    let mut shipments: BTreeSet<&Code> = BTreeSet::new();
    let mut invoices: BTreeSet<&Code> = BTreeSet::new();
    for o in &a.orders {
        let n = &o.order.number;
        if state.orders.get(n).map(|x| &**x) != Some(&o.order)
            || state.order_history.get(n).map_or(&[][..], |h| &h[..]) != &o.history[..]
            || state.order_policies.get(n) != o.policy.as_ref()
        {
            return bad(DocKind::Order, n, "differs from the replayed order");
        }
        let open = o
            .order
            .lines
            .iter()
            .any(|l| (!l.cancelled && l.shipped < l.qty) || !l.reserved.is_zero());
        if open || o.order.date >= a.before {
            return bad(DocKind::Order, n, "is not closed before the archive's day");
        }
    }
    for p in &a.picks {
        let n = &p.pick.number;
        if state.picks.get(n).map(|x| &**x) != Some(&p.pick) || p.pick.status == PickStatus::Open {
            return bad(
                DocKind::Pick,
                n,
                "differs from the replayed pick list or is open",
            );
        }
        if !a.orders.iter().any(|o| o.order.number == p.pick.order) {
            return bad(DocKind::Pick, n, "belongs to an order not archived");
        }
    }
    for s in &a.shipments {
        let n = &s.shipment.number;
        if state.shipments.get(n).map(|x| &**x) != Some(&s.shipment)
            || state.deliveries.get(n).copied() != s.delivered
        {
            return bad(DocKind::Shipment, n, "differs from the replayed shipment");
        }
        if !a.orders.iter().any(|o| o.order.number == s.shipment.order) {
            return bad(DocKind::Shipment, n, "belongs to an order not archived");
        }
        let Some(i) = &s.shipment.invoice else {
            return bad(DocKind::Shipment, n, "is not invoiced");
        };
        shipments.insert(n);
        invoices.insert(i);
    }
    for i in &a.invoices {
        let n = &i.number;
        if state.invoices.get(n).map(|x| &**x) != Some(i) {
            return bad(DocKind::Invoice, n, "differs from the replayed invoice");
        }
        if !i.open.is_zero() || !i.disputed.is_zero() {
            return bad(DocKind::Invoice, n, "is not paid in full");
        }
        if !invoices.remove(n) || i.shipments.iter().any(|s| !shipments.contains(s)) {
            return bad(DocKind::Invoice, n, "bills a shipment not archived");
        }
    }
    if let Some(n) = invoices.into_iter().next() {
        return bad(
            DocKind::Invoice,
            n,
            "invoices an archived shipment but is not archived",
        );
    }
    for r in &a.receipts {
        let n = &r.number;
        if state.receipts.get(n).map(|x| &**x) != Some(r) {
            return bad(DocKind::Receipt, n, "differs from the replayed receipt");
        }
        if r.applications
            .iter()
            .any(|x| !a.invoices.iter().any(|i| i.number == x.invoice))
        {
            return bad(DocKind::Receipt, n, "pays an invoice not archived");
        }
    }
    Ok(())
}

/// `NotFound` of a document that was archived, as `DocumentArchived`;
/// any other rejection as it is. Orders and invoices are known by their
/// archived numbers. Pick lists and shipments leave their maps only when
/// archived (nothing else removes one), so a number the core gave
/// (`PK-000004` up to the last given) that is not in memory was archived.
pub fn archived_instead(state: &State, r: Rejection) -> Rejection {
    use super::master::RecordKind;
    let Rejection::NotFound { kind, key } = &r else {
        return r;
    };
    let given = |prefix: &str, last: u64| {
        key.strip_prefix(prefix)
            .and_then(|n| n.strip_prefix('-'))
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| (1..=last).contains(&n) && *key == *Code::numbered(prefix, n))
    };
    let k = key.as_str();
    let (what, archived) = match kind {
        RecordKind::SalesOrder => (
            "order",
            !state.orders.contains_key(&k.to_code()) && state.archived_orders.contains(k),
        ),
        RecordKind::Invoice => (
            "invoice",
            !state.invoices.contains_key(&k.to_code()) && state.archived_invoices.contains(k),
        ),
        RecordKind::PickList => (
            "pick list",
            !state.picks.contains_key(&k.to_code()) && given("PK", state.next_pick),
        ),
        RecordKind::Shipment => (
            "shipment",
            !state.shipments.contains_key(&k.to_code()) && given("SH", state.next_shipment),
        ),
        _ => return r,
    };
    if !archived {
        return r;
    }
    Rejection::DocumentArchived {
        kind: what.into(),
        number: key.clone(),
    }
}

/// An invoice by number, or `not_found` (which `decide` turns into
/// `document_archived` for an archived one, see `archived_instead`).
pub fn invoice<'a>(state: &'a State, number: &str) -> Result<&'a Invoice, Rejection> {
    state
        .invoices
        .get(&number.to_code())
        .map(|i| &**i)
        .ok_or_else(|| Rejection::NotFound {
            kind: super::master::RecordKind::Invoice,
            key: number.to_string(),
        })
}

/// A view of `state` with archived documents put back (the order inquiry
/// reads an archived order through it, exactly as it reads one in
/// memory). The state itself is not changed: its maps are persistent, so
/// the view costs the documents put back, not a copy of the state.
pub fn with_docs(state: &State, docs: &[ArchivedDoc]) -> State {
    let mut s = state.clone();
    for d in docs {
        match d {
            ArchivedDoc::Order(o) => {
                let n = &o.order.number;
                s.orders.insert(n.clone(), o.order.clone().into());
                s.order_history.insert(n.clone(), o.history.clone().into());
                if let Some(p) = &o.policy {
                    s.order_policies.insert(n.clone(), p.clone());
                }
                s.index.picks_by_order.insert(n.clone(), o.picks.clone());
                s.index
                    .shipments_by_order
                    .insert(n.clone(), o.shipments.clone());
            }
            ArchivedDoc::Pick(p) => {
                let n = &p.pick.number;
                s.picks.insert(n.clone(), p.pick.clone().into());
                for (line, r) in &p.short_reasons {
                    s.short_reasons.insert((n.clone(), *line), *r);
                }
                for (line, q) in &p.short_acknowledged {
                    s.short_acknowledged.insert((n.clone(), *line), *q);
                }
            }
            ArchivedDoc::Shipment(sh) => {
                let n = &sh.shipment.number;
                s.shipments.insert(n.clone(), sh.shipment.clone().into());
                if let Some(d) = sh.delivered {
                    s.deliveries.insert(n.clone(), d);
                }
            }
            ArchivedDoc::Invoice(i) => {
                s.invoices.insert(i.number.clone(), i.clone().into());
            }
            ArchivedDoc::Receipt(r) => {
                for a in &r.applications {
                    let list = s
                        .index
                        .receipts_by_invoice
                        .entry(a.invoice.clone())
                        .or_default();
                    if !list.contains(&r.number) {
                        list.push(r.number.clone());
                    }
                }
                s.receipts.insert(r.number.clone(), r.clone().into());
            }
            ArchivedDoc::BankLine(l) => {
                s.bank_lines.insert(l.id.clone(), l.clone());
            }
            ArchivedDoc::BookItem(i) => {
                s.book_items.insert(i.id.clone(), i.clone());
            }
        }
    }
    s
}

/// The documents of `archive` that belong to order `number` (the order
/// first), as `Store::archived_order` returns them; empty when the order
/// is not in it.
pub fn docs_of_order(archive: &Archive, number: &str) -> Vec<ArchivedDoc> {
    let Some(o) = archive.orders.iter().find(|o| o.order.number == number) else {
        return Vec::new();
    };
    let mut out = vec![ArchivedDoc::Order(Box::new(o.clone()))];
    out.extend(
        archive
            .picks
            .iter()
            .filter(|p| o.picks.contains(&p.pick.number))
            .cloned()
            .map(ArchivedDoc::Pick),
    );
    out.extend(
        archive
            .shipments
            .iter()
            .filter(|s| o.shipments.contains(&s.shipment.number))
            .cloned()
            .map(ArchivedDoc::Shipment),
    );
    out.extend(
        archive
            .invoices
            .iter()
            .filter(|i| o.invoices.contains(&i.number))
            .cloned()
            .map(ArchivedDoc::Invoice),
    );
    out.extend(
        archive
            .receipts
            .iter()
            .filter(|r| o.receipts.contains(&r.number))
            .cloned()
            .map(ArchivedDoc::Receipt),
    );
    out
}
