//! Landed cost (SPEC 3.2): a freight or duty charge billed by a supplier
//! (a carrier, a customs broker) is allocated to the lines of goods
//! receipts by value or by weight. For each item the part still on hand
//! raises its moving average cost (Dr Inventory); the part already sold
//! goes to COGS; Cr AP to the supplier who billed it, as an open supplier
//! invoice to be paid like any other.

use super::command::Command;
use super::event::Event;
use super::master::{PostingKey, RecordKind};
use super::posting::Posting;
use super::purchasing::{ApStatus, SupplierInvoice};
use super::rejection::Rejection;
use super::state::State;
use super::types::Code;
use super::validate;
use chrono::Duration;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    if state
        .index
        .supplier_refs
        .contains(&(s.code.clone(), reference.trim().to_string()))
    {
        return Err(Rejection::Duplicate {
            field: "reference".into(),
            value: reference.trim().to_string(),
        });
    }
    validate::count("receipts", receipts.len(), RECEIPTS_MAX)?;
    let date = cmd.date();
    let base = super::purchasing::base_currency(state, &s.entity)?;
    let rate = super::purchasing::to_base(state, &s.currency, &base, date)?;
    let base_amount = base.round(amount * rate);
    // (receipt, line, sku, qty, weight of the line for the basis)
    let mut lines = Vec::new();
    for (i, n) in receipts.iter().enumerate() {
        if receipts[..i].contains(n) {
            return Err(Rejection::Duplicate {
                field: "receipts".into(),
                value: n.clone(),
            });
        }
        let r = state
            .goods_receipts
            .get(n)
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::GoodsReceipt,
                key: n.clone(),
            })?;
        if r.entity != s.entity {
            return Err(Rejection::WrongEntity {
                field: "receipts".into(),
                value: n.clone(),
                expected: s.entity.clone(),
                actual: r.entity.clone(),
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
            document: receipts.join(", "),
            problem: format!("have no {basis:?} to spread the charge by").to_lowercase(),
        });
    }
    // Shares rounded per line; the last takes what rounding left.
    let mut shares = Vec::with_capacity(lines.len());
    let mut given = Decimal::ZERO;
    let count = lines.len();
    // On hand per item, shrinking as earlier lines of the same item take it.
    let mut on_hand: BTreeMap<Code, Decimal> = BTreeMap::new();
    for (i, (receipt, po_line, sku, qty, w)) in lines.into_iter().enumerate() {
        let share = if i + 1 == count {
            base_amount - given
        } else {
            base.round(base_amount * w / total_w)
        };
        given += share;
        let left = on_hand.entry(sku.clone()).or_insert_with(|| {
            state
                .costs
                .get(&(s.entity.clone(), sku.clone()))
                .map(|p| p.qty)
                .unwrap_or_default()
        });
        let still = qty.min(*left).max(Decimal::ZERO);
        *left -= still;
        let to_stock = if qty.is_zero() {
            Decimal::ZERO
        } else {
            base.round(share * still / qty)
        };
        shares.push(LandedShare {
            receipt,
            po_line,
            sku,
            share,
            to_stock,
            to_cogs: share - to_stock,
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
        number,
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
        kind: kind.to_string(),
        basis,
        shares,
        journal,
    }])
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
