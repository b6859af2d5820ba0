//! Landed cost (SPEC 3.2): a freight or duty charge billed by a supplier
//! (a carrier, a customs broker) is allocated to the lines of goods
//! receipts by value or by weight. Each line's share is split between the
//! item's cost pool (Dr Inventory, raising its moving average) and COGS by
//! the policy of `shared/WORKED-EXAMPLE.md`: the share of the item's
//! average-cost pool issued since the receipt,
//!
//! `to_cogs = share x issued_since_receipt / qty_on_hand_right_after_receipt`
//!
//! (at most the whole share), rounded half away from zero to the cent, the
//! rest to inventory; Cr AP to the supplier who billed it, as an open
//! supplier invoice to be paid like any other.
//!
//! What counts as issued from the pool (`track`): units that left the
//! entity's pool to be consumed — shipped (orders and counter sales),
//! counted or adjusted away, sent to another entity. Not issued: moves
//! between bins, a transfer between two warehouses of the same entity (the
//! goods stay the entity's), and returns restocked. A restocked return does
//! not reduce "issued": the unit left the pool before the charge was known
//! and took its share of the charge with it to COGS, and it comes back at
//! the cost it left with, so the charge already spent on it stays in COGS.
//! "On hand right after the receipt" is the entity's pool (every
//! warehouse) once the receipt's goods are in it.

use super::command::Command;
use super::event::Event;
use super::master::{PostingKey, RecordKind};
use super::posting::Posting;
use super::purchasing::{ApStatus, SupplierInvoice};
use super::rejection::Rejection;
use super::state::State;
use super::types::Code;
use super::validate;
use crate::core::code::Joined;
use crate::core::types::ToCode;
use chrono::Duration;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Most receipts one charge may be spread over.
pub const RECEIPTS_MAX: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// In proportion to the receipt lines' value.
    Value,
    /// In proportion to their weight (quantity x item weight).
    Weight,
}

/// One receipt line's share of the charge (base currency).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandedShare {
    pub receipt: Code,
    pub po_line: u32,
    pub sku: Code,
    pub share: Decimal,
    /// Into the item's cost pool (on hand) and to COGS (already sold).
    pub to_stock: Decimal,
    pub to_cogs: Decimal,
}

#[allow(clippy::too_many_arguments)]
pub fn allocate(
    state: &State,
    cmd: &Command,
    supplier: &str,
    reference: &str,
    kind: &str,
    amount: Decimal,
    basis: Basis,
    receipts: &[Code],
) -> Result<Vec<Event>, Rejection> {
    let s = super::purchasing::supplier_of(state, supplier)?;
    validate::text("reference", reference, true)?;
    validate::code("kind", kind)?;
    validate::amount("amount", amount, &s.currency)?;
    if amount <= Decimal::ZERO {
        return Err(Rejection::NotPositive {
            field: "amount".into(),
            value: amount,
        });
    }
    if super::purchasing::reference_taken(state, &s.code, reference.trim()) {
        return Err(Rejection::DuplicateSupplierReference {
            supplier: s.code.to_string(),
            reference: reference.trim().to_string(),
        });
    }
    validate::count("receipts", receipts.len(), RECEIPTS_MAX)?;
    let date = cmd.entity_date(state, &s.entity);
    let base = super::purchasing::base_currency(state, &s.entity)?;
    let rate = super::purchasing::to_base(state, &s.currency, &base, date)?;
    let base_amount = base.round(amount * rate);
    // (receipt, line, sku, qty, weight of the line for the basis)
    let mut lines = Vec::new();
    for (i, n) in receipts.iter().enumerate() {
        if receipts[..i].contains(n) {
            return Err(Rejection::Duplicate {
                field: "receipts".into(),
                value: n.to_string(),
            });
        }
        let r = state
            .goods_receipts
            .get(n)
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::GoodsReceipt,
                key: n.to_string(),
            })?;
        if r.entity != s.entity {
            return Err(Rejection::WrongEntity {
                field: "receipts".into(),
                value: n.to_string(),
                expected: s.entity.to_string(),
                actual: r.entity.to_string(),
            });
        }
        for l in &r.lines {
            let w = match basis {
                Basis::Value => l.value,
                Basis::Weight => {
                    l.qty
                        * state
                            .items
                            .get(&l.sku)
                            .map(|i| i.weight_kg)
                            .unwrap_or_default()
                }
            };
            lines.push((n.clone(), l.po_line, l.sku.clone(), l.qty, w));
        }
    }
    let total_w: Decimal = lines.iter().map(|l| l.4).sum();
    if total_w <= Decimal::ZERO {
        return Err(Rejection::PurchaseState {
            document: receipts.joined(", "),
            problem: format!("have no {basis:?} to spread the charge by").to_lowercase(),
        });
    }
    // Shares rounded per line; the last takes what rounding left.
    let mut shares = Vec::with_capacity(lines.len());
    let mut given = Decimal::ZERO;
    let count = lines.len();
    for (i, (receipt, po_line, sku, _qty, w)) in lines.into_iter().enumerate() {
        let share = if i + 1 == count {
            base_amount - given
        } else {
            base.round(base_amount * w / total_w)
        };
        given += share;
        let to_cogs = match issued_share(state, &s.entity, &receipt, &sku) {
            Some(part) => base.round(share * part),
            None => share,
        };
        shares.push(LandedShare {
            receipt,
            po_line,
            sku,
            share,
            to_stock: share - to_cogs,
            to_cogs,
        });
    }
    let number = format!("AP-{:06}", state.next_supplier_invoice + 1);
    let mut p = Posting::new(state, &s.entity, date, &number, "landed cost");
    for x in &shares {
        p = p
            .debit(PostingKey::Inventory, x.to_stock, Some(&x.sku))
            .debit(PostingKey::Cogs, x.to_cogs, None);
    }
    let journal = p
        .credit(PostingKey::Payables, base_amount, Some(&s.code))
        .build()?;
    let terms = state.terms.get(&s.terms);
    let net_days = terms.map_or(0, |t| t.net_days);
    let invoice = SupplierInvoice {
        number: number.into(),
        supplier: s.code.clone(),
        reference: reference.trim().to_string(),
        entity: s.entity.clone(),
        currency: s.currency.clone(),
        date,
        due: date + Duration::days(i64::from(net_days)),
        discount_pct: Decimal::ZERO,
        discount_until: None,
        lines: Vec::new(),
        total: amount,
        rate,
        base_total: base_amount,
        open: amount,
        base_open: base_amount,
        paid: Decimal::ZERO,
        discounted: Decimal::ZERO,
        status: ApStatus::Open,
        problems: Vec::new(),
        entered_by: cmd.operator.clone(),
    };
    Ok(vec![Event::LandedCostAllocated {
        invoice,
        kind: kind.to_code(),
        basis,
        shares,
        journal,
    }])
}

/// An item's pool right after a goods receipt: its quantity on hand (the
/// entity's, every warehouse) and how much had been issued from it ever
/// (`State::issued`) at that moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptPool {
    pub qty_after: Decimal,
    pub issued_before: Decimal,
}

/// The part of a charge on `receipt`'s `sku` that goes to COGS, as a
/// fraction in [0, 1]: issued since the receipt over the pool right after
/// it. `None` when the pool is empty now: nothing is left to carry the
/// charge, so all of it is spent (the pool never keeps value without
/// units). A receipt with no record of its pool (none can be: `track`
/// notes every one) leaves the whole share in stock.
fn issued_share(state: &State, entity: &str, receipt: &str, sku: &str) -> Option<Decimal> {
    let key = (entity.to_code(), sku.to_code());
    let now = state.costs.get(&key).map(|p| p.qty).unwrap_or_default();
    if now <= Decimal::ZERO {
        return None;
    }
    let Some(rp) = state.receipt_pools.get(&(receipt.to_code(), sku.to_code())) else {
        return Some(Decimal::ZERO);
    };
    if rp.qty_after <= Decimal::ZERO {
        return None;
    }
    let issued = state.issued.get(&key).copied().unwrap_or_default() - rp.issued_before;
    Some(issued.max(Decimal::ZERO).min(rp.qty_after) / rp.qty_after)
}

fn issue(state: &mut State, entity: &Code, sku: &Code, qty: Decimal) {
    if qty > Decimal::ZERO {
        *state
            .issued
            .entry((entity.clone(), sku.clone()))
            .or_default() += qty;
    }
}

/// Follow what the landed-cost split needs (see the module doc): units
/// issued from each pool, and each receipt's pool right after it. Called
/// by `apply` after the event itself was applied. Every event is named so
/// that a new one that moves stock must be classified here.
pub fn track(state: &mut State, event: &Event) {
    match event {
        Event::GoodsReceived { receipt, .. } => {
            for l in &receipt.lines {
                let key = (receipt.entity.clone(), l.sku.clone());
                let pool = ReceiptPool {
                    qty_after: state.costs.get(&key).map(|p| p.qty).unwrap_or_default(),
                    issued_before: state.issued.get(&key).copied().unwrap_or_default(),
                };
                state
                    .receipt_pools
                    .insert((receipt.number.clone(), l.sku.clone()), pool);
            }
        }
        Event::Shipped { shipment, .. } => {
            for l in &shipment.lines {
                issue(state, &shipment.entity, &l.sku, l.qty);
            }
        }
        Event::CountSettled {
            adjustment: Some((m, _)),
            ..
        }
        | Event::CountApproved {
            adjustment: (m, _), ..
        }
        | Event::StockAdjusted {
            adjustment: Some((m, _)),
            ..
        } => issue(state, &m.entity, &m.sku, -m.qty),
        Event::TransferShipped {
            transfer, moves, ..
        } => {
            if transfer.entity != transfer.to_entity {
                for m in moves {
                    issue(state, &m.entity, &m.sku, -m.qty);
                }
            }
        }
        // Stock that comes in, moves within the entity, or no stock at all.
        Event::CountSettled {
            adjustment: None, ..
        }
        | Event::StockAdjusted {
            adjustment: None, ..
        }
        | Event::TransferReceived { .. }
        | Event::OpeningStockPosted { .. }
        | Event::ReturnReceived { .. }
        | Event::PutAway { .. }
        | Event::Picked { .. }
        | Event::MasterUpserted(_)
        | Event::PostingRuleSet { .. }
        | Event::CategoryMarginFloorSet { .. }
        | Event::PeriodsDefined { .. }
        | Event::FxRateSet(_)
        | Event::ChangeRequested { .. }
        | Event::ChangeApproved { .. }
        | Event::ChangeRejected { .. }
        | Event::OrderPlaced(_)
        | Event::OrderConfirmed { .. }
        | Event::HoldReleased { .. }
        | Event::StockReserved { .. }
        | Event::Backordered { .. }
        | Event::ReservationReleased { .. }
        | Event::LineCancelled { .. }
        | Event::OrderCancelled { .. }
        | Event::QuoteConfirmed { .. }
        | Event::PickListCreated(_)
        | Event::PickLineAdded { .. }
        | Event::PickShortReason { .. }
        | Event::PickShort { .. }
        | Event::Invoiced { .. }
        | Event::PaymentReceived { .. }
        | Event::CartonPacked { .. }
        | Event::CartonReleased { .. }
        | Event::CartonUnpacked { .. }
        | Event::ReturnAuthorized(_)
        | Event::ReturnCancelled { .. }
        | Event::CreditMemoIssued { .. }
        | Event::LineChanged { .. }
        | Event::LinesAdded { .. }
        | Event::WaveReleased(_)
        | Event::PurchaseOrderCreated(_)
        | Event::PurchaseOrderApproved { .. }
        | Event::PurchaseOrderChanged { .. }
        | Event::PurchaseOrderCancelled { .. }
        | Event::PurchaseOrderClosed { .. }
        | Event::SupplierInvoiceEntered { .. }
        | Event::SupplierInvoiceApproved { .. }
        | Event::SupplierInvoiceRejected { .. }
        | Event::SupplierPaid { .. }
        | Event::LandedCostAllocated { .. }
        | Event::CountsScheduled { .. }
        | Event::RecountNeeded { .. }
        | Event::CountRejected { .. }
        | Event::CountHeld { .. }
        | Event::Repromised { .. }
        | Event::BackorderFilled { .. }
        | Event::PurchaseOrderSubmitted { .. }
        | Event::LotRegistered { .. }
        | Event::PeriodsClosed { .. }
        | Event::PeriodsLocked { .. }
        | Event::PeriodsReopened { .. }
        | Event::JournalPosted { .. }
        | Event::FxRevalued { .. }
        | Event::BankStatementImported { .. }
        | Event::BankStatementVoided { .. }
        | Event::BankMatched { .. }
        | Event::BankLinePosted { .. }
        | Event::ListPriceSet { .. }
        | Event::CreditRefunded { .. }
        | Event::PasswordSet { .. }
        | Event::SignedIn { .. }
        | Event::SignInFailed { .. }
        | Event::OperatorUnlocked { .. }
        | Event::DemoDeclared
        | Event::PrinterSet(_)
        | Event::DefaultPrinterSet { .. }
        | Event::DocumentProfileSet(_)
        | Event::DocumentPrinted(_)
        | Event::TimeZoneSet { .. }
        | Event::YearClosed { .. }
        | Event::YearReopened { .. }
        | Event::IntercompanySettled { .. }
        | Event::ShortPickAcknowledged { .. }
        | Event::ExceptionReassigned { .. }
        | Event::ExceptionCommented { .. }
        | Event::ClockExceptionNoted { .. }
        | Event::ExceptionSnoozed { .. }
        | Event::IdentityLinked { .. }
        | Event::DebitMemoIssued { .. }
        | Event::SupplierDebitNoted { .. }
        | Event::SupplierRefundReceived { .. }
        | Event::DepositTaken(_)
        | Event::DepositApplied { .. }
        | Event::DepositReleased { .. }
        | Event::DataQualityRulesSet { .. }
        | Event::DisputeResolved { .. }
        | Event::ExceptionRoutingSet { .. }
        | Event::BankReconciled { .. }
        | Event::ChannelPolicySet(_)
        | Event::CustomerOverridesSet { .. }
        | Event::OrderPolicyRecorded { .. }
        | Event::DeliveryConfirmed { .. }
        | Event::Archived(_)
        | Event::BankArchived(_) => {}
    }
}

pub fn apply_event(state: &mut State, event: &Event) {
    if let Event::LandedCostAllocated {
        invoice,
        shares,
        journal,
        ..
    } = event
    {
        state.next_supplier_invoice += 1;
        state
            .index
            .supplier_refs
            .insert((invoice.supplier.clone(), invoice.reference.clone()));
        for x in shares {
            if !x.to_stock.is_zero() {
                state
                    .costs
                    .entry((invoice.entity.clone(), x.sku.clone()))
                    .or_default()
                    .value += x.to_stock;
            }
        }
        state
            .supplier_invoices
            .insert(invoice.number.clone(), invoice.clone());
        super::purchasing::track_open(state, &invoice.number);
        super::apply::apply_journal(state, journal);
    }
}
