//! Procure to pay (SPEC 3.2): purchase orders with approval above the
//! entity's limit by someone other than the buyer; receipts against a PO
//! into a receiving bin (partial, several per line, over-receipt beyond the
//! tolerance and items not on the PO refused) posting Dr Inventory / Cr
//! GRNI at the PO price in base currency, and offering what arrived to
//! backorders; directed putaway confirmed by bin scan; supplier invoices
//! matched three ways (PO, receipt, invoice) on quantity and price, posting
//! Dr GRNI (+ price variance) / Cr AP when they match and held with the
//! exact differences when they do not; AP payments with early-payment
//! discounts.

use super::command::Command;
use super::event::{Event, StockMove};
use super::master::{BinKind, PostingKey, RecordKind};
use super::posting::{JournalEntry, Posting};
use super::rejection::Rejection;
use super::sales::fx_rate;
use super::state::{BinKey, State};
use super::types::{Code, Currency};
use super::validate;
use crate::core::types::ToCode;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A line may be received up to this percentage over its quantity.
pub const OVER_RECEIPT_PCT: Decimal = Decimal::from_parts(5, 0, 0, false, 0);
/// An invoice price may differ from the PO price by this percentage and
/// still match (the difference is posted as purchase price variance).
pub const PRICE_TOLERANCE_PCT: Decimal = Decimal::from_parts(2, 0, 0, false, 0);
/// Most lines per PO, receipt or supplier invoice.
pub const LINES_MAX: usize = 500;
/// PO prices per base unit keep this many decimals.
pub const COST_DECIMALS: u32 = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoStatus {
    /// Above the entity's approval limit: waiting for someone else.
    AwaitingApproval,
    Open,
    /// Closed short or fully received and invoiced.
    Closed,
    Cancelled,
    /// Made from accepted replenishment suggestions: the buyer may still
    /// change it; it counts as on order but is not sent until submitted.
    Draft,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoLineInput {
    pub sku: Code,
    pub qty: Decimal,
    /// Default: the supplier's unit for the item, else the base unit.
    #[serde(default)]
    pub unit: Option<Code>,
    /// Price per `unit` in the supplier's currency (default: the
    /// supplier's price for the item).
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub expected: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoLine {
    pub line: u32,
    pub sku: Code,
    pub supplier_sku: String,
    pub unit: Code,
    pub unit_qty: Decimal,
    /// Base units ordered, and the price per base unit (supplier currency).
    pub qty: Decimal,
    pub price: Decimal,
    pub expected: NaiveDate,
    /// Base units received and their value at the PO price in the entity's
    /// base currency (what GRNI holds until invoiced).
    pub received: Decimal,
    pub received_value: Decimal,
    /// Base units invoiced, and the GRNI value they relieved.
    pub invoiced: Decimal,
    pub relieved: Decimal,
    /// Why it was ordered, when a replenishment suggestion made it.
    #[serde(default)]
    pub reason: String,
}

impl PoLine {
    /// The most that may be received: the quantity plus the over-receipt
    /// tolerance, rounded down to what the item can be counted in.
    pub fn max_receipt(&self, qty_decimals: u32) -> Decimal {
        let extra = (self.qty * OVER_RECEIPT_PCT / Decimal::from(100))
            .round_dp_with_strategy(qty_decimals, rust_decimal::RoundingStrategy::ToZero);
        self.qty + extra
    }
    /// Quantity x price, to the minor unit of the PO's currency.
    pub fn value(&self, currency: &Currency) -> Decimal {
        currency.cents(self.qty * self.price)
    }
    /// Still to come (nothing once the PO is closed or cancelled).
    pub fn open(&self) -> Decimal {
        (self.qty - self.received).max(Decimal::ZERO)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrder {
    pub number: Code,
    pub supplier: Code,
    pub entity: Code,
    pub warehouse: Code,
    pub currency: Currency,
    pub date: NaiveDate,
    pub buyer: Code,
    pub status: PoStatus,
    pub approved_by: Option<Code>,
    pub lines: Vec<PoLine>,
    /// Supplier currency, and in the base currency on the PO date.
    pub total: Decimal,
    pub base_total: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiveInput {
    /// The item scanned (SKU, barcode, GTIN, GS1-128 with (10) lot and (30) count).
    pub item: String,
    /// In the scanned unit (default 1, or the GS1 count).
    #[serde(default)]
    pub qty: Option<Decimal>,
    #[serde(default)]
    pub lot: Option<Code>,
    /// The lot's expiry date (default: the GS1 (17) of the scan, if any).
    #[serde(default)]
    pub expiry: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub po_line: u32,
    pub sku: Code,
    pub lot: Option<Code>,
    pub qty: Decimal,
    /// Base currency, at the PO price and the receipt date's rate.
    pub value: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodsReceipt {
    pub number: Code,
    pub po: Code,
    pub supplier: Code,
    pub entity: Code,
    pub warehouse: Code,
    pub bin: Code,
    pub date: NaiveDate,
    pub by: Code,
    pub lines: Vec<ReceiptLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceLineInput {
    pub po: Code,
    pub line: u32,
    /// Base units, and the price per base unit in the supplier's currency.
    pub qty: Decimal,
    pub price: Decimal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApStatus {
    /// The three-way match failed: see `problems`.
    Held,
    /// Posted: owed until paid.
    Open,
    Paid,
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApInvoiceLine {
    pub po: Code,
    pub po_line: u32,
    pub sku: Code,
    pub qty: Decimal,
    pub price: Decimal,
    pub amount: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplierInvoice {
    pub number: Code,
    pub supplier: Code,
    /// The supplier's own invoice number.
    pub reference: String,
    pub entity: Code,
    pub currency: Currency,
    pub date: NaiveDate,
    pub due: NaiveDate,
    pub discount_pct: Decimal,
    pub discount_until: Option<NaiveDate>,
    pub lines: Vec<ApInvoiceLine>,
    pub total: Decimal,
    pub rate: Decimal,
    pub base_total: Decimal,
    /// Owed, in the supplier's currency and in the base currency.
    pub open: Decimal,
    pub base_open: Decimal,
    pub paid: Decimal,
    pub discounted: Decimal,
    pub status: ApStatus,
    /// Why the match failed, line by line.
    pub problems: Vec<String>,
    pub entered_by: Code,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApApplyTo {
    pub invoice: Code,
    pub amount: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApApplication {
    pub invoice: Code,
    pub amount: Decimal,
    pub discount: Decimal,
    /// AP relieved in the base currency.
    pub base: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplierPayment {
    pub number: Code,
    pub supplier: Code,
    pub entity: Code,
    pub date: NaiveDate,
    pub reference: String,
    pub amount: Decimal,
    pub applications: Vec<ApApplication>,
}

/// A supplier's reference is taken while an invoice that is not rejected
/// carries it: each bill is entered once (paying it twice is what the
/// check is for), but a bill rejected (wrong quantity, wrong price) is
/// entered again, corrected, under the supplier's same number. Supplier
/// invoices are never archived, so every one is here to look at; the
/// look is made only when the index has the reference.
pub fn reference_taken(state: &State, supplier: &str, reference: &str) -> bool {
    state
        .index
        .supplier_refs
        .contains(&(supplier.to_code(), reference.to_string()))
        && state.supplier_invoices.values().any(|i| {
            i.supplier == supplier && i.reference == reference && i.status != ApStatus::Rejected
        })
}

fn po_of<'a>(state: &'a State, number: &str) -> Result<&'a PurchaseOrder, Rejection> {
    state
        .purchase_orders
        .get(&number.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::PurchaseOrder,
            key: number.to_string(),
        })
}

pub(crate) fn supplier_of<'a>(
    state: &'a State,
    code: &str,
) -> Result<&'a super::master::Supplier, Rejection> {
    state
        .suppliers
        .get(&code.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Supplier,
            key: code.to_string(),
        })
}

fn po_state(number: &str, problem: impl Into<String>) -> Rejection {
    Rejection::PurchaseState {
        document: number.to_string(),
        problem: problem.into(),
    }
}

pub(crate) fn to_base(
    state: &State,
    from: &Currency,
    to: &Currency,
    date: NaiveDate,
) -> Result<Decimal, Rejection> {
    if from == to {
        return Ok(Decimal::ONE);
    }
    fx_rate(state, from, to, date).ok_or_else(|| Rejection::NotFound {
        kind: RecordKind::FxRate,
        key: format!("{from}/{to} on or before {date}"),
    })
}

pub(crate) fn base_currency(state: &State, entity: &str) -> Result<Currency, Rejection> {
    state
        .entities
        .get(&entity.to_code())
        .map(|e| e.base_currency.clone())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Entity,
            key: entity.to_string(),
        })
}

/// Create a purchase order; above the entity's approval limit it waits
/// for an approval by someone other than the buyer.
pub fn create(
    state: &State,
    cmd: &Command,
    supplier: &str,
    warehouse: &str,
    lines: &[PoLineInput],
) -> Result<Vec<Event>, Rejection> {
    let po = build(state, cmd, supplier, warehouse, lines)?;
    let mut change = super::sales::ScheduleChange::default();
    if po.status == PoStatus::Open {
        change.add_po(&po);
    }
    let mut out = vec![Event::PurchaseOrderCreated(po)];
    out.extend(super::sales::repromise(
        state,
        &change,
        cmd.warehouse_date(state, warehouse),
    ));
    Ok(out)
}

/// Whether a PO of `base_total` needs an approval in `entity`.
fn above_limit(state: &State, entity: &str, base_total: Decimal) -> bool {
    let limit = state
        .entities
        .get(&entity.to_code())
        .map(|e| e.po_approval_limit)
        .unwrap_or_default();
    base_total > limit
}

/// The purchase order `create` would make.
pub(crate) fn build(
    state: &State,
    cmd: &Command,
    supplier: &str,
    warehouse: &str,
    lines: &[PoLineInput],
) -> Result<PurchaseOrder, Rejection> {
    let s = supplier_of(state, supplier)?;
    if !s.active {
        return Err(Rejection::Inactive {
            kind: RecordKind::Supplier,
            key: s.code.to_string(),
        });
    }
    let wh = state
        .warehouses
        .get(&warehouse.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Warehouse,
            key: warehouse.to_string(),
        })?;
    if wh.entity != s.entity {
        return Err(Rejection::WrongEntity {
            field: "warehouse".into(),
            value: wh.code.to_string(),
            expected: s.entity.to_string(),
            actual: wh.entity.to_string(),
        });
    }
    if lines.is_empty() {
        return Err(Rejection::EmptyOrder);
    }
    if lines.len() > LINES_MAX {
        return Err(Rejection::out_of_range(
            "lines",
            lines.len(),
            "1",
            LINES_MAX,
        ));
    }
    let today = cmd.warehouse_date(state, warehouse);
    let mut out = Vec::with_capacity(lines.len());
    for (n, input) in lines.iter().enumerate() {
        let item = state
            .items
            .get(&input.sku)
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::Item,
                key: input.sku.to_string(),
            })?;
        if !item.active {
            return Err(Rejection::Inactive {
                kind: RecordKind::Item,
                key: item.sku.to_string(),
            });
        }
        let si = s.items.iter().find(|x| x.sku == item.sku);
        let unit = input
            .unit
            .clone()
            .or_else(|| si.map(|x| x.unit.clone()))
            .unwrap_or_else(|| item.base_unit.clone());
        let factor = item
            .unit_factor(&unit)
            .ok_or_else(|| Rejection::UnknownUnit {
                sku: item.sku.to_string(),
                unit: unit.to_string(),
            })?;
        validate::qty("qty", input.qty, item.qty_decimals)?;
        let qty = input.qty * factor;
        validate::qty("qty", qty, item.qty_decimals)?;
        let unit_price = match (input.price, si) {
            (Some(p), _) => {
                validate::price("price", p)?;
                p
            }
            // The supplier's price is per its unit: convert to `unit`.
            (None, Some(x)) => {
                let f = item.unit_factor(&x.unit).unwrap_or(Decimal::ONE);
                x.price / f * factor
            }
            (None, None) => {
                return Err(po_state(
                    &format!("supplier {}", s.code),
                    format!("does not list {}: give the price", item.sku),
                ))
            }
        };
        let expected = input
            .expected
            .unwrap_or(today + Duration::days(i64::from(s.lead_time_days)));
        if expected < today {
            return Err(Rejection::InvalidDateRange {
                from: today,
                to: expected,
            });
        }
        out.push(PoLine {
            line: n as u32 + 1,
            sku: item.sku.clone(),
            supplier_sku: si.map(|x| x.supplier_sku.clone()).unwrap_or_default(),
            unit,
            unit_qty: input.qty,
            qty,
            price: (unit_price / factor).round_dp(COST_DECIMALS),
            expected,
            received: Decimal::ZERO,
            received_value: Decimal::ZERO,
            invoiced: Decimal::ZERO,
            relieved: Decimal::ZERO,
            reason: String::new(),
        });
    }
    let total: Decimal = out.iter().map(|l| l.value(&s.currency)).sum();
    let base = base_currency(state, &s.entity)?;
    let rate = to_base(state, &s.currency, &base, today)?;
    let base_total = base.round(total * rate);
    Ok(PurchaseOrder {
        number: format!("PO-{:06}", state.next_po + 1).into(),
        supplier: s.code.clone(),
        entity: s.entity.clone(),
        warehouse: wh.code.clone(),
        currency: s.currency.clone(),
        date: today,
        buyer: cmd.operator.clone(),
        status: if above_limit(state, &s.entity, base_total) {
            PoStatus::AwaitingApproval
        } else {
            PoStatus::Open
        },
        approved_by: None,
        lines: out,
        total,
        base_total,
    })
}

/// Send a draft PO: open, or waiting for an approval by someone other
/// than the buyer who sends it when above the entity's limit (valued at
/// today's rate).
pub fn submit(state: &State, cmd: &Command, number: &str) -> Result<Vec<Event>, Rejection> {
    let po = po_of(state, number)?;
    if po.status != PoStatus::Draft {
        return Err(po_state(number, "is not a draft"));
    }
    let base = base_currency(state, &po.entity)?;
    let rate = to_base(
        state,
        &po.currency,
        &base,
        cmd.entity_date(state, &po.entity),
    )?;
    let base_total = base.round(po.total * rate);
    let needs_approval = above_limit(state, &po.entity, base_total);
    let mut change = super::sales::ScheduleChange::default();
    if !needs_approval {
        change.add_po(po);
    }
    let mut out = vec![Event::PurchaseOrderSubmitted {
        number: number.to_code(),
        by: cmd.operator.clone(),
        base_total,
        needs_approval,
    }];
    out.extend(super::sales::repromise(
        state,
        &change,
        cmd.warehouse_date(state, &po.warehouse),
    ));
    Ok(out)
}

/// Change a PO line's quantity (in its ordered unit), price (per that
/// unit) or expected date. Never below what was received; a change that
/// takes the PO above the entity's approval limit needs an approval again.
#[allow(clippy::too_many_arguments)]
pub fn change_line(
    state: &State,
    cmd: &Command,
    number: &str,
    line: u32,
    qty: Option<Decimal>,
    price: Option<Decimal>,
    expected: Option<NaiveDate>,
) -> Result<Vec<Event>, Rejection> {
    let po = po_of(state, number)?;
    if matches!(po.status, PoStatus::Closed | PoStatus::Cancelled) {
        return Err(po_state(number, "is closed"));
    }
    let l = po
        .lines
        .iter()
        .find(|l| l.line == line)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::PurchaseOrder,
            key: format!("{number} line {line}"),
        })?;
    let item = state.items.get(&l.sku).ok_or_else(|| Rejection::NotFound {
        kind: RecordKind::Item,
        key: l.sku.to_string(),
    })?;
    let factor = item.unit_factor(&l.unit).unwrap_or(Decimal::ONE);
    let mut new = l.clone();
    if let Some(q) = qty {
        validate::qty("qty", q, item.qty_decimals)?;
        new.unit_qty = q;
        new.qty = q * factor;
        if new.qty < l.received {
            return Err(po_state(
                number,
                format!(
                    "line {line} has {} received: it cannot go below that",
                    l.received
                ),
            ));
        }
    }
    if let Some(p) = price {
        validate::price("price", p)?;
        if l.received > Decimal::ZERO {
            return Err(po_state(
                number,
                format!(
                    "line {line} has receipts at its price: the invoice settles any difference"
                ),
            ));
        }
        new.price = (p / factor).round_dp(COST_DECIMALS);
    }
    if let Some(d) = expected {
        if d < cmd.warehouse_date(state, &po.warehouse) {
            return Err(Rejection::InvalidDateRange {
                from: cmd.warehouse_date(state, &po.warehouse),
                to: d,
            });
        }
        new.expected = d;
    }
    if new == *l {
        return Err(Rejection::NoChange);
    }
    let total: Decimal = po
        .lines
        .iter()
        .map(|x| {
            if x.line == line {
                new.value(&po.currency)
            } else {
                x.value(&po.currency)
            }
        })
        .sum();
    let base = base_currency(state, &po.entity)?;
    let rate = to_base(
        state,
        &po.currency,
        &base,
        cmd.entity_date(state, &po.entity),
    )?;
    let base_total = base.round(total * rate);
    // A draft is approved, if need be, when it is sent.
    let reapprove = po.status != PoStatus::Draft
        && above_limit(state, &po.entity, base_total)
        && base_total > po.base_total;
    let mut change = super::sales::ScheduleChange::default();
    if po.status == PoStatus::Open {
        if reapprove {
            change.drop_po(po);
        } else {
            change.gone.insert((po.number.clone(), l.line), l.open());
            if new.open() > Decimal::ZERO {
                change.added.push((
                    po.warehouse.clone(),
                    new.sku.clone(),
                    new.expected,
                    new.open(),
                ));
            }
        }
    }
    let mut out = vec![Event::PurchaseOrderChanged {
        number: number.to_code(),
        line: new,
        total,
        base_total,
        needs_approval: reapprove,
        by: cmd.operator.clone(),
    }];
    out.extend(super::sales::repromise(
        state,
        &change,
        cmd.warehouse_date(state, &po.warehouse),
    ));
    Ok(out)
}

pub fn approve(state: &State, cmd: &Command, number: &str) -> Result<Vec<Event>, Rejection> {
    let po = po_of(state, number)?;
    match po.status {
        PoStatus::AwaitingApproval => {}
        PoStatus::Draft => return Err(po_state(number, "is a draft: submit it first")),
        _ => return Err(po_state(number, "is not waiting for an approval")),
    }
    if crate::core::exceptions::same_person(state, &po.buyer, &cmd.operator) {
        return Err(Rejection::OwnOrder {
            number: number.to_string(),
        });
    }
    let mut change = super::sales::ScheduleChange::default();
    change.add_po(po);
    let mut out = vec![Event::PurchaseOrderApproved {
        number: number.to_code(),
        by: cmd.operator.clone(),
    }];
    out.extend(super::sales::repromise(
        state,
        &change,
        cmd.warehouse_date(state, &po.warehouse),
    ));
    Ok(out)
}

/// Cancel a PO nothing of which arrived, or close one short (`close`):
/// what did not arrive will not.
pub fn end(
    state: &State,
    cmd: &Command,
    number: &str,
    reason: &str,
    close: bool,
) -> Result<Vec<Event>, Rejection> {
    let po = po_of(state, number)?;
    validate::text("reason", reason, true)?;
    if matches!(po.status, PoStatus::Closed | PoStatus::Cancelled) {
        return Err(po_state(number, "is already closed"));
    }
    let any = po.lines.iter().any(|l| l.received > Decimal::ZERO);
    if !close && any {
        return Err(po_state(
            number,
            "has receipts: close it short instead of cancelling",
        ));
    }
    let mut change = super::sales::ScheduleChange::default();
    if po.status == PoStatus::Open {
        change.drop_po(po);
    }
    let mut out = vec![if close {
        Event::PurchaseOrderClosed {
            number: number.to_code(),
            by: cmd.operator.clone(),
            reason: reason.to_string(),
        }
    } else {
        Event::PurchaseOrderCancelled {
            number: number.to_code(),
            by: cmd.operator.clone(),
            reason: reason.to_string(),
        }
    }];
    out.extend(super::sales::repromise(
        state,
        &change,
        cmd.warehouse_date(state, &po.warehouse),
    ));
    Ok(out)
}

/// Receive goods against an open PO into a receiving bin.
pub fn receive(
    state: &State,
    cmd: &Command,
    number: &str,
    bin: &str,
    lines: &[ReceiveInput],
) -> Result<Vec<Event>, Rejection> {
    let po = po_of(state, number)?;
    if po.status != PoStatus::Open {
        return Err(po_state(
            number,
            match po.status {
                PoStatus::AwaitingApproval => "waits for its approval",
                PoStatus::Draft => "is a draft: submit it first",
                _ => "is closed",
            },
        ));
    }
    let b = state
        .bins
        .get(&(po.warehouse.clone(), bin.trim().to_code()))
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Bin,
            key: format!("{}/{}", po.warehouse, bin.trim()),
        })?;
    validate::count("lines", lines.len(), LINES_MAX)?;
    let date = cmd.warehouse_date(state, &po.warehouse);
    let base = base_currency(state, &po.entity)?;
    let rate = to_base(state, &po.currency, &base, date)?;
    // Quantities taken per PO line in this receipt.
    let mut taken: std::collections::BTreeMap<u32, Decimal> = Default::default();
    let mut out: Vec<ReceiptLine> = Vec::new();
    let mut lots = super::lots::NewLots::default();
    for input in lines {
        let scanned = state.scanned_item(&input.item, || format!("an item on {number}"))?;
        let (item, unit, gs1_lot, count) = (scanned.item, scanned.unit, scanned.lot, scanned.count);
        let gs1_expiry = match &scanned.expiry {
            Some(raw) => {
                Some(
                    super::scan::gs1_date(raw, date).ok_or_else(|| Rejection::BadScan {
                        problem: format!("GS1 (17) {raw} is not a date YYMMDD"),
                    })?,
                )
            }
            None => None,
        };
        let units = input.qty.or(count).unwrap_or(Decimal::ONE);
        validate::qty("qty", units, item.qty_decimals)?;
        let qty = units * item.unit_factor(&unit).unwrap_or(Decimal::ONE);
        let lot = input.lot.clone().or(gs1_lot);
        super::lots::lot_given(item, lot.as_deref())?;
        lots.check(
            state,
            &item.sku,
            lot.as_deref(),
            input.expiry.or(gs1_expiry),
            date,
        )?;
        // The first line of this item with room (over-receipt tolerance
        // on the last one).
        let candidates: Vec<&PoLine> = po.lines.iter().filter(|l| l.sku == item.sku).collect();
        if candidates.is_empty() {
            return Err(Rejection::WrongItem {
                expected: format!("an item on {number}"),
                scanned: item.sku.to_string(),
            });
        }
        let room = |l: &PoLine| {
            l.max_receipt(item.qty_decimals)
                - l.received
                - taken.get(&l.line).copied().unwrap_or_default()
        };
        let target = candidates
            .iter()
            .find(|l| {
                l.qty - l.received - taken.get(&l.line).copied().unwrap_or_default() > Decimal::ZERO
            })
            .or(candidates.last())
            .copied()
            .ok_or_else(|| po_state(number, "has no line for the item"))?;
        let left = room(target);
        if qty > left {
            return Err(Rejection::OverReceipt {
                po: number.to_string(),
                line: target.line,
                ordered: target.qty,
                received: target.received + taken.get(&target.line).copied().unwrap_or_default(),
                qty,
            });
        }
        *taken.entry(target.line).or_default() += qty;
        out.push(ReceiptLine {
            po_line: target.line,
            sku: item.sku.clone(),
            lot,
            qty,
            value: base.round(qty * target.price * rate),
        });
    }
    // Any bin of the warehouse may receive: a dock door, or quarantine for
    // goods to inspect (never allocated from there until put away).
    let number_gr = format!("GR-{:06}", state.next_goods_receipt + 1);
    let mut p = Posting::new(state, &po.entity, date, &number_gr, "goods received");
    let mut moves = Vec::new();
    for l in &out {
        p = p
            .debit(PostingKey::Inventory, l.value, Some(&l.sku))
            .credit(PostingKey::Grni, l.value, None);
        moves.push(StockMove {
            entity: po.entity.clone(),
            warehouse: po.warehouse.clone(),
            bin: b.code.clone(),
            sku: l.sku.clone(),
            lot: l.lot.clone(),
            qty: l.qty,
            value: l.value,
        });
    }
    let journal = p.build()?;
    let mut ev: Vec<Event> = lots.events(date).collect();
    ev.push(Event::GoodsReceived {
        receipt: GoodsReceipt {
            number: number_gr.into(),
            po: number.to_code(),
            supplier: po.supplier.clone(),
            entity: po.entity.clone(),
            warehouse: po.warehouse.clone(),
            bin: b.code.clone(),
            date,
            by: cmd.operator.clone(),
            lines: out,
        },
        moves,
        journal,
    });
    super::sales::fill_backorders(state, &mut ev, cmd.warehouse_date(state, &po.warehouse));
    Ok(ev)
}

/// Where received goods of an item should go: the pick face already
/// holding it, else a bulk bin holding it, else an empty bin of the zone
/// of its other bins, else any empty storage bin (pick sequence order).
pub fn directed_bin(state: &State, warehouse: &str, sku: &str) -> Option<Code> {
    let holding: Vec<&BinKey> = state
        .index
        .item_bins
        .get(&(warehouse.to_code(), sku.to_code()))
        .into_iter()
        .flatten()
        .collect();
    let bin_of = |k: &BinKey| state.bins.get(&(k.warehouse.clone(), k.bin.clone()));
    for kind in [BinKind::PickFace, BinKind::Bulk] {
        if let Some(b) = holding
            .iter()
            .filter_map(|k| bin_of(k))
            .filter(|b| b.kind == kind)
            .min_by_key(|b| b.pick_seq)
        {
            return Some(b.code.clone());
        }
    }
    let zone = holding
        .iter()
        .filter_map(|k| bin_of(k))
        .map(|b| b.zone.clone())
        .next();
    let empty = |b: &&super::master::Bin| {
        b.warehouse == warehouse
            && matches!(b.kind, BinKind::PickFace | BinKind::Bulk)
            && !state
                .bin_stock
                .range(
                    BinKey {
                        warehouse: b.warehouse.clone(),
                        bin: b.code.clone(),
                        sku: String::new().into(),
                        lot: None,
                    }..,
                )
                .next()
                .is_some_and(|(k, _)| k.warehouse == b.warehouse && k.bin == b.code)
    };
    let mut bins: Vec<&super::master::Bin> = state
        .bins
        .range((warehouse.to_code(), Code::default())..)
        .take_while(|((w, _), _)| w == warehouse)
        .map(|(_, b)| b)
        .filter(empty)
        .collect();
    bins.sort_by_key(|b| (Some(&b.zone) != zone.as_ref(), b.pick_seq));
    bins.first().map(|b| b.code.clone())
}

/// Move received goods from the receiving bin to storage, confirmed by
/// scanning the bin; another bin than the directed one needs a reason.
#[allow(clippy::too_many_arguments)]
pub fn put_away(
    state: &State,
    cmd: &Command,
    warehouse: &str,
    from: &str,
    sku: &str,
    lot: Option<&str>,
    qty: Decimal,
    to: &str,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let item = state
        .items
        .get(&sku.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Item,
            key: sku.to_string(),
        })?;
    validate::qty("qty", qty, item.qty_decimals)?;
    let entity = state
        .warehouse_entity(warehouse)
        .cloned()
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Warehouse,
            key: warehouse.to_string(),
        })?;
    let key = BinKey {
        warehouse: warehouse.to_code(),
        bin: from.to_code(),
        sku: sku.to_code(),
        lot: lot.map(Code::from),
    };
    let have = state.bin_stock.get(&key).copied().unwrap_or_default();
    // Goods promised to open pick lists stay where the picker expects them.
    let on_lists = super::warehouse::bin_promised(state, &key);
    if qty > have - on_lists {
        return Err(Rejection::out_of_range(
            "qty",
            qty,
            "0",
            (have - on_lists).max(Decimal::ZERO),
        ));
    }
    let to = to.trim();
    let target = state
        .bins
        .get(&(warehouse.to_code(), to.to_code()))
        .ok_or_else(|| Rejection::WrongBin {
            expected: directed_bin(state, warehouse, sku)
                .unwrap_or_else(|| "a storage bin".into())
                .to_string(),
            scanned: to.chars().take(40).collect(),
        })?;
    if target.kind == BinKind::Dock || to == from {
        return Err(Rejection::WrongBin {
            expected: directed_bin(state, warehouse, sku)
                .unwrap_or_else(|| "a storage bin".into())
                .to_string(),
            scanned: to.to_string(),
        });
    }
    let directed = directed_bin(state, warehouse, sku).unwrap_or_default();
    if to != directed {
        validate::text("reason", reason, false)?;
        if reason.trim().is_empty() {
            return Err(Rejection::WrongBin {
                expected: directed.to_string(),
                scanned: format!("{to} (give a reason to put it elsewhere)"),
            });
        }
    }
    let mv = |bin: &str, q: Decimal| StockMove {
        entity: entity.clone(),
        warehouse: warehouse.to_code(),
        bin: bin.to_code(),
        sku: sku.to_code(),
        lot: lot.map(Code::from),
        qty: q,
        value: Decimal::ZERO,
    };
    let mut ev = vec![Event::PutAway {
        moves: vec![mv(from, -qty), mv(to, qty)],
        directed,
        reason: reason.trim().to_string(),
        by: cmd.operator.clone(),
    }];
    // Out of quarantine, goods become available for backorders.
    super::sales::fill_backorders(state, &mut ev, cmd.warehouse_date(state, warehouse));
    Ok(ev)
}

/// Three-way match of one invoice line: problems found, or none.
fn match_line(
    state: &State,
    supplier: &str,
    l: &InvoiceLineInput,
) -> Result<(Vec<String>, Code), Rejection> {
    let po = po_of(state, &l.po)?;
    if po.supplier != supplier {
        return Err(po_state(
            &l.po,
            format!("is an order to {}, not {supplier}", po.supplier),
        ));
    }
    let pl = po
        .lines
        .iter()
        .find(|x| x.line == l.line)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::PurchaseOrder,
            key: format!("{} line {}", l.po, l.line),
        })?;
    let mut problems = Vec::new();
    let uninvoiced = pl.received - pl.invoiced;
    if l.qty > uninvoiced {
        problems.push(format!(
            "{} line {}: invoiced {} {} but {} received and not yet invoiced",
            l.po, l.line, l.qty, pl.sku, uninvoiced
        ));
    }
    let allowed = (pl.price * PRICE_TOLERANCE_PCT / Decimal::from(100)).max(Decimal::new(1, 2));
    if (l.price - pl.price).abs() > allowed {
        problems.push(format!(
            "{} line {}: price {} but the PO says {} (more than {} % apart)",
            l.po, l.line, l.price, pl.price, PRICE_TOLERANCE_PCT
        ));
    }
    Ok((problems, pl.sku.clone()))
}

/// The posting of a matched (or approved) invoice: Dr GRNI for what the
/// received goods were booked at, Dr/Cr price variance for the rest, Cr AP.
fn post_invoice(
    state: &State,
    inv: &SupplierInvoice,
) -> Result<(JournalEntry, Vec<Decimal>), Rejection> {
    let base = base_currency(state, &inv.entity)?;
    let mut grni = Decimal::ZERO;
    // Running (invoiced, relieved) per PO line over this invoice, so that
    // two lines of the same PO line relieve correctly.
    let mut running: std::collections::BTreeMap<(Code, u32), (Decimal, Decimal)> =
        Default::default();
    let mut reliefs = Vec::with_capacity(inv.lines.len());
    for l in &inv.lines {
        let pl = po_of(state, &l.po)?
            .lines
            .iter()
            .find(|x| x.line == l.po_line)
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::PurchaseOrder,
                key: format!("{} line {}", l.po, l.po_line),
            })?;
        let run = running
            .entry((l.po.clone(), l.po_line))
            .or_insert((pl.invoiced, pl.relieved));
        let r = relief_for(pl.received, pl.received_value, run.0, run.1, l.qty, &base);
        run.0 += l.qty;
        run.1 += r;
        grni += r;
        reliefs.push(r);
    }
    let ppv = inv.base_total - grni;
    let journal = Posting::new(
        state,
        &inv.entity,
        inv.date,
        &inv.number,
        "supplier invoice",
    )
    .debit(PostingKey::Grni, grni, None)
    .debit(PostingKey::PurchasePriceVariance, ppv, None)
    .credit(PostingKey::Payables, inv.base_total, Some(&inv.supplier))
    .build()?;
    Ok((journal, reliefs))
}

/// GRNI to relieve when `q` more units of a PO line are invoiced: the
/// value of what is received and not yet invoiced, in proportion, and all
/// that is left with the last unit (so nothing lingers in GRNI whatever
/// the receipts' rates and rounding).
pub fn relief_for(
    received: Decimal,
    received_value: Decimal,
    invoiced: Decimal,
    relieved: Decimal,
    q: Decimal,
    base: &Currency,
) -> Decimal {
    let open_q = received - invoiced;
    let open_v = received_value - relieved;
    if q >= open_q {
        open_v
    } else if open_q <= Decimal::ZERO {
        Decimal::ZERO
    } else {
        base.round(open_v * q / open_q)
    }
}

/// Enter a supplier invoice; it posts when it matches, else it is held.
pub fn enter_invoice(
    state: &State,
    cmd: &Command,
    supplier: &str,
    reference: &str,
    lines: &[InvoiceLineInput],
) -> Result<Vec<Event>, Rejection> {
    let s = supplier_of(state, supplier)?;
    validate::text("reference", reference, true)?;
    if reference_taken(state, &s.code, reference.trim()) {
        return Err(Rejection::DuplicateSupplierReference {
            supplier: s.code.to_string(),
            reference: reference.trim().to_string(),
        });
    }
    validate::count("lines", lines.len(), LINES_MAX)?;
    let date = cmd.entity_date(state, &s.entity);
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for l in lines {
        validate::qty("qty", l.qty, super::types::QTY_DECIMALS_MAX)?;
        validate::price("price", l.price)?;
        let (mut p, sku) = match_line(state, &s.code, l)?;
        problems.append(&mut p);
        out.push(ApInvoiceLine {
            po: l.po.clone(),
            po_line: l.line,
            sku,
            qty: l.qty,
            price: l.price,
            amount: s.currency.round(l.qty * l.price),
        });
    }
    let total: Decimal = out.iter().map(|l| l.amount).sum();
    if total <= Decimal::ZERO {
        return Err(Rejection::NotPositive {
            field: "invoice total".into(),
            value: total,
        });
    }
    let base = base_currency(state, &s.entity)?;
    let rate = to_base(state, &s.currency, &base, date)?;
    let terms = state
        .terms
        .get(&s.terms)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::PaymentTerms,
            key: s.terms.to_string(),
        })?;
    let discount_until = (terms.discount_days > 0 && terms.discount_pct > Decimal::ZERO)
        .then(|| date + Duration::days(i64::from(terms.discount_days)));
    let base_total = base.round(total * rate);
    let inv = SupplierInvoice {
        number: format!("AP-{:06}", state.next_supplier_invoice + 1).into(),
        supplier: s.code.clone(),
        reference: reference.trim().to_string(),
        entity: s.entity.clone(),
        currency: s.currency.clone(),
        date,
        due: date + Duration::days(i64::from(terms.net_days)),
        discount_pct: if discount_until.is_some() {
            terms.discount_pct
        } else {
            Decimal::ZERO
        },
        discount_until,
        lines: out,
        total,
        rate,
        base_total,
        open: total,
        base_open: base_total,
        paid: Decimal::ZERO,
        discounted: Decimal::ZERO,
        status: if problems.is_empty() {
            ApStatus::Open
        } else {
            ApStatus::Held
        },
        problems,
        entered_by: cmd.operator.clone(),
    };
    let (journal, reliefs) = if inv.status == ApStatus::Open {
        let (j, r) = post_invoice(state, &inv)?;
        (Some(j), r)
    } else {
        (None, Vec::new())
    };
    Ok(vec![Event::SupplierInvoiceEntered {
        invoice: inv,
        journal,
        reliefs,
    }])
}

/// Approve a held invoice's price differences (someone other than who
/// entered it); quantities must be received by now.
pub fn approve_invoice(
    state: &State,
    cmd: &Command,
    number: &str,
) -> Result<Vec<Event>, Rejection> {
    let inv = held_invoice(state, number)?;
    if crate::core::exceptions::same_person(state, &inv.entered_by, &cmd.operator) {
        return Err(Rejection::OwnOrder {
            number: number.to_string(),
        });
    }
    // Quantities again, against what has been received since.
    let mut seen: std::collections::BTreeMap<(Code, u32), Decimal> = Default::default();
    for l in &inv.lines {
        let pl = po_of(state, &l.po)?
            .lines
            .iter()
            .find(|x| x.line == l.po_line)
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::PurchaseOrder,
                key: format!("{} line {}", l.po, l.po_line),
            })?;
        let q = seen.entry((l.po.clone(), l.po_line)).or_default();
        *q += l.qty;
        if *q > pl.received - pl.invoiced {
            return Err(po_state(
                number,
                format!(
                    "{} line {}: {} invoiced but {} received and not yet invoiced; a quantity difference cannot be approved",
                    l.po,
                    l.po_line,
                    q,
                    pl.received - pl.invoiced
                ),
            ));
        }
    }
    let (journal, reliefs) = post_invoice(state, inv)?;
    Ok(vec![Event::SupplierInvoiceApproved {
        number: number.to_code(),
        by: cmd.operator.clone(),
        journal,
        reliefs,
    }])
}

fn held_invoice<'a>(state: &'a State, number: &str) -> Result<&'a SupplierInvoice, Rejection> {
    let inv = state
        .supplier_invoices
        .get(&number.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::SupplierInvoice,
            key: number.to_string(),
        })?;
    if inv.status != ApStatus::Held {
        return Err(po_state(number, "is not held"));
    }
    Ok(inv)
}

pub fn reject_invoice(
    state: &State,
    cmd: &Command,
    number: &str,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    held_invoice(state, number)?;
    validate::text("reason", reason, true)?;
    Ok(vec![Event::SupplierInvoiceRejected {
        number: number.to_code(),
        by: cmd.operator.clone(),
        reason: reason.to_string(),
    }])
}

/// Pay supplier invoices: Dr AP / Cr Bank, Cr Purchase discount when paid
/// in full inside the discount window.
pub fn pay(
    state: &State,
    cmd: &Command,
    supplier: &str,
    reference: &str,
    apply: &[ApApplyTo],
) -> Result<Vec<Event>, Rejection> {
    let s = supplier_of(state, supplier)?;
    validate::text("reference", reference, false)?;
    validate::count("apply", apply.len(), LINES_MAX)?;
    let date = cmd.entity_date(state, &s.entity);
    let base = base_currency(state, &s.entity)?;
    let rate = to_base(state, &s.currency, &base, date)?;
    let mut apps = Vec::new();
    for (i, a) in apply.iter().enumerate() {
        if apply[..i].iter().any(|x| x.invoice == a.invoice) {
            return Err(Rejection::Duplicate {
                field: "apply".into(),
                value: a.invoice.to_string(),
            });
        }
        let inv = state
            .supplier_invoices
            .get(&a.invoice)
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::SupplierInvoice,
                key: a.invoice.to_string(),
            })?;
        if inv.supplier != s.code {
            return Err(Rejection::NotPayable {
                invoice: a.invoice.to_string(),
                problem: format!("is from supplier {}", inv.supplier),
            });
        }
        if inv.status != ApStatus::Open {
            return Err(Rejection::NotPayable {
                invoice: a.invoice.to_string(),
                problem: format!("is {:?}, not open", inv.status).to_lowercase(),
            });
        }
        validate::amount("apply.amount", a.amount, &inv.currency)?;
        if a.amount <= Decimal::ZERO {
            return Err(Rejection::NotPositive {
                field: "apply.amount".into(),
                value: a.amount,
            });
        }
        let in_window = inv.discount_until.is_some_and(|d| date <= d);
        let discount = if in_window {
            inv.currency
                .round(inv.open * inv.discount_pct / Decimal::from(100))
        } else {
            Decimal::ZERO
        };
        let discount = if discount > Decimal::ZERO && a.amount + discount == inv.open {
            discount
        } else {
            Decimal::ZERO
        };
        if a.amount + discount > inv.open {
            return Err(Rejection::Overpaid {
                invoice: a.invoice.to_string(),
                open: inv.open,
                amount: a.amount,
            });
        }
        let relief = super::billing::base_relief(
            &base,
            a.amount + discount,
            inv.open,
            inv.base_open,
            inv.rate,
        );
        apps.push(ApApplication {
            invoice: a.invoice.clone(),
            amount: a.amount,
            discount,
            base: relief,
        });
    }
    let amount: Decimal = apps.iter().map(|a| a.amount).sum();
    let number = format!("PY-{:06}", state.next_supplier_payment + 1);
    let bank = base.round(amount * rate);
    let mut p = Posting::new(state, &s.entity, date, &number, "supplier payment");
    let mut debits = Decimal::ZERO;
    let mut credits = bank;
    p = p.credit(PostingKey::Bank, bank, None);
    for a in &apps {
        let d = base.round(a.discount * rate);
        p = p.debit(PostingKey::Payables, a.base, Some(&s.code)).credit(
            PostingKey::PurchaseDiscount,
            d,
            None,
        );
        debits += a.base;
        credits += d;
    }
    let journal = p.fx_difference(debits - credits).build()?;
    Ok(vec![Event::SupplierPaid {
        payment: SupplierPayment {
            number: number.into(),
            supplier: s.code.clone(),
            entity: s.entity.clone(),
            date,
            reference: reference.to_string(),
            amount,
            applications: apps,
        },
        journal,
    }])
}

/// Keep `index.open_supplier_invoices` in step with a supplier invoice's
/// status and open amount.
pub(crate) fn track_open(state: &mut State, number: &str) {
    let Some(inv) = state.supplier_invoices.get(&number.to_code()) else {
        return;
    };
    let (supplier, open) = (
        inv.supplier.clone(),
        inv.status == ApStatus::Open && !inv.open.is_zero(),
    );
    let map = &mut state.index.open_supplier_invoices;
    if open {
        super::state::Indexes::add(map, &supplier, number);
    } else {
        super::state::Indexes::remove(map, &supplier, number);
    }
}

/// Book an invoice's lines on its PO lines (when it posts).
fn book_invoice(state: &mut State, number: &str, reliefs: &[Decimal]) {
    let Some(inv) = state.supplier_invoices.get(&number.to_code()).cloned() else {
        return;
    };
    for (l, r) in inv.lines.iter().zip(reliefs) {
        if let Some(pl) = state
            .purchase_orders
            .get_mut(&l.po)
            .and_then(|p| p.lines.iter_mut().find(|x| x.line == l.po_line))
        {
            pl.invoiced += l.qty;
            pl.relieved += *r;
        }
    }
}

pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::PurchaseOrderCreated(po) => {
            state.next_po += 1;
            if po.status == PoStatus::Open {
                state.index.open_pos.insert(po.number.clone());
            } else {
                state.index.unsent_pos.insert(po.number.clone());
            }
            state.purchase_orders.insert(po.number.clone(), po.clone());
        }
        Event::PurchaseOrderChanged {
            number,
            line,
            total,
            base_total,
            needs_approval,
            by,
        } => {
            if let Some(po) = state.purchase_orders.get_mut(number) {
                if let Some(l) = po.lines.iter_mut().find(|l| l.line == line.line) {
                    *l = line.clone();
                }
                po.total = *total;
                po.base_total = *base_total;
                if *needs_approval {
                    po.status = PoStatus::AwaitingApproval;
                    po.approved_by = None;
                    // The change is the buyer's now: someone else approves.
                    po.buyer = by.clone();
                }
            }
            if *needs_approval {
                state.index.open_pos.remove(number);
                state.index.unsent_pos.insert(number.clone());
            }
        }
        Event::PurchaseOrderSubmitted {
            number,
            by,
            base_total,
            needs_approval,
        } => {
            if let Some(po) = state.purchase_orders.get_mut(number) {
                po.base_total = *base_total;
                po.buyer = by.clone();
                if *needs_approval {
                    po.status = PoStatus::AwaitingApproval;
                } else {
                    po.status = PoStatus::Open;
                    state.index.unsent_pos.remove(number);
                    state.index.open_pos.insert(number.clone());
                }
            }
        }
        Event::PurchaseOrderApproved { number, by } => {
            if let Some(po) = state.purchase_orders.get_mut(number) {
                po.status = PoStatus::Open;
                po.approved_by = Some(by.clone());
            }
            state.index.unsent_pos.remove(number);
            state.index.open_pos.insert(number.clone());
        }
        Event::PurchaseOrderCancelled { number, .. } => {
            if let Some(po) = state.purchase_orders.get_mut(number) {
                po.status = PoStatus::Cancelled;
            }
            state.index.open_pos.remove(number);
            state.index.unsent_pos.remove(number);
        }
        Event::PurchaseOrderClosed { number, .. } => {
            if let Some(po) = state.purchase_orders.get_mut(number) {
                po.status = PoStatus::Closed;
            }
            state.index.open_pos.remove(number);
            state.index.unsent_pos.remove(number);
        }
        Event::GoodsReceived {
            receipt,
            moves,
            journal,
        } => {
            state.next_goods_receipt += 1;
            if let Some(po) = state.purchase_orders.get_mut(&receipt.po) {
                for l in &receipt.lines {
                    if let Some(pl) = po.lines.iter_mut().find(|x| x.line == l.po_line) {
                        pl.received += l.qty;
                        pl.received_value += l.value;
                    }
                }
            }
            for m in moves {
                super::apply::apply_move(state, m);
            }
            super::apply::apply_journal(state, journal);
            state
                .goods_receipts
                .insert(receipt.number.clone(), receipt.clone());
        }
        Event::PutAway { moves, .. } => {
            for m in moves {
                super::apply::apply_move(state, m);
            }
        }
        Event::SupplierInvoiceEntered {
            invoice,
            journal,
            reliefs,
        } => {
            state.next_supplier_invoice += 1;
            state
                .index
                .supplier_refs
                .insert((invoice.supplier.clone(), invoice.reference.clone()));
            state
                .supplier_invoices
                .insert(invoice.number.clone(), invoice.clone());
            if let Some(j) = journal {
                book_invoice(state, &invoice.number, reliefs);
                super::apply::apply_journal(state, j);
            }
            track_open(state, &invoice.number);
        }
        Event::SupplierInvoiceApproved {
            number,
            journal,
            reliefs,
            ..
        } => {
            if let Some(inv) = state.supplier_invoices.get_mut(number) {
                inv.status = ApStatus::Open;
            }
            book_invoice(state, number, reliefs);
            super::apply::apply_journal(state, journal);
            track_open(state, number);
        }
        Event::SupplierInvoiceRejected { number, .. } => {
            if let Some(inv) = state.supplier_invoices.get_mut(number) {
                inv.status = ApStatus::Rejected;
            }
        }
        Event::SupplierPaid { payment, journal } => {
            state.next_supplier_payment += 1;
            for a in &payment.applications {
                if let Some(inv) = state.supplier_invoices.get_mut(&a.invoice) {
                    inv.paid += a.amount;
                    inv.discounted += a.discount;
                    inv.open -= a.amount + a.discount;
                    inv.base_open -= a.base;
                    if inv.open.is_zero() {
                        inv.status = ApStatus::Paid;
                    }
                }
                track_open(state, &a.invoice);
            }
            super::apply::apply_journal(state, journal);
            state
                .supplier_payments
                .insert(payment.number.clone(), payment.clone());
        }
        _ => {}
    }
}
