//! Replenishment (SPEC 3.4): per item and warehouse a min/max or a reorder
//! point computed from the item's shipped demand, the supplier's lead time
//! and a service level; the buyer's worklist of suggestions grouped by
//! supplier, each with the reason for its quantity; accepting suggestions
//! makes a draft purchase order.
//!
//! The stock position an order is decided on is what the warehouse has and
//! will have without a new order:
//! on hand − reserved − backordered + on order (draft, waiting or open POs)
//! + inbound transfers in transit.
//!
//! Reorder point method, with weekly demand d over the last `history_weeks`
//! complete weeks (mean μ, sample standard deviation σ) and lead time L
//! days:
//!   safety stock  SS  = z(service level) × σ × √(L/7)
//!   reorder point ROP = μ × L/7 + SS, rounded up to what the item counts in
//!   order up to   OUT = ROP + μ × review_days/7
//! An order is suggested when the position is at or below the ROP (min for
//! min/max), for OUT (max) less the position, rounded up to the supplier's
//! unit and minimum quantity. All arithmetic is decimal; z comes from a
//! table of the standard normal distribution, interpolated linearly.

use super::command::Command;
use super::event::Event;
use super::master::{Item, RecordKind, ReplenishmentMethod, ReplenishmentPolicy, Supplier};
use super::purchasing::{self, PoLineInput, PoStatus};
use super::rejection::Rejection;
use super::state::State;
use super::transfer::TransferStatus;
use super::types::Code;
use super::validate;
use crate::core::types::ToCode;
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// `n` x 10^-`scale`, at compile time.
const fn d(n: u32, scale: u32) -> Decimal {
    Decimal::from_parts(n, 0, 0, false, scale)
}

/// Standard normal quantiles: (service level %, z).
const Z_TABLE: [(Decimal, Decimal); 18] = [
    (d(50, 0), d(0, 0)),
    (d(60, 0), d(2533, 4)),
    (d(70, 0), d(5244, 4)),
    (d(75, 0), d(6745, 4)),
    (d(80, 0), d(8416, 4)),
    (d(85, 0), d(10364, 4)),
    (d(90, 0), d(12816, 4)),
    (d(92, 0), d(14051, 4)),
    (d(94, 0), d(15548, 4)),
    (d(95, 0), d(16449, 4)),
    (d(96, 0), d(17507, 4)),
    (d(97, 0), d(18808, 4)),
    (d(975, 1), d(19600, 4)),
    (d(98, 0), d(20537, 4)),
    (d(985, 1), d(21701, 4)),
    (d(99, 0), d(23263, 4)),
    (d(995, 1), d(25758, 4)),
    (d(999, 1), d(30902, 4)),
];

/// The safety factor z for a service level in percent (50 to 99.9).
pub fn z_for(service_level_pct: Decimal) -> Decimal {
    let mut prev = Z_TABLE[0];
    if service_level_pct <= prev.0 {
        return prev.1;
    }
    for &(p, z) in &Z_TABLE[1..] {
        if service_level_pct <= p {
            let t = (service_level_pct - prev.0) / (p - prev.0);
            return (prev.1 + (z - prev.1) * t).round_dp(4);
        }
        prev = (p, z);
    }
    prev.1
}

/// A buyer's line accepting a suggestion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptLine {
    pub sku: Code,
    /// In the suggestion's (supplier's) unit; default: the suggested quantity.
    #[serde(default)]
    pub qty: Option<Decimal>,
}

/// One suggestion of the worklist, with every figure it was made from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub warehouse: Code,
    pub sku: Code,
    pub description: String,
    /// Who to buy from (none: no active supplier of the entity lists it).
    pub supplier: Option<Code>,
    pub supplier_sku: String,
    pub method: ReplenishmentMethod,
    pub on_hand: Decimal,
    pub reserved: Decimal,
    pub backordered: Decimal,
    pub on_order: Decimal,
    pub in_transit: Decimal,
    pub position: Decimal,
    /// Weekly demand: mean and standard deviation (reorder point method).
    pub weekly_demand: Decimal,
    pub weekly_sd: Decimal,
    pub lead_time_days: u32,
    pub safety_stock: Decimal,
    /// When to order (reorder point or min) and up to what (order-up-to or max).
    pub reorder_point: Decimal,
    pub order_up_to: Decimal,
    /// What to order: in the supplier's unit, and in base units.
    pub unit: Code,
    pub unit_qty: Decimal,
    pub qty: Decimal,
    pub reason: String,
}

/// Totals of open documents per (warehouse, sku), read once per worklist.
#[derive(Default)]
struct Pipeline {
    backordered: BTreeMap<(Code, Code), Decimal>,
    on_order: BTreeMap<(Code, Code), Decimal>,
    in_transit: BTreeMap<(Code, Code), Decimal>,
}

fn pipeline(state: &State) -> Pipeline {
    let mut p = Pipeline::default();
    for o in super::sales::confirmed_orders(state) {
        for l in o.lines.iter().filter(|l| !l.cancelled) {
            if l.backordered > Decimal::ZERO {
                *p.backordered
                    .entry((l.warehouse.clone(), l.sku.clone()))
                    .or_default() += l.backordered;
            }
        }
    }
    for po in state
        .index
        .open_pos
        .iter()
        .chain(state.index.unsent_pos.iter())
        .filter_map(|n| state.purchase_orders.get(n))
    {
        for l in &po.lines {
            *p.on_order
                .entry((po.warehouse.clone(), l.sku.clone()))
                .or_default() += l.open();
        }
    }
    for t in state
        .transfers
        .values()
        .filter(|t| t.status == TransferStatus::InTransit)
    {
        for l in &t.lines {
            *p.in_transit
                .entry((t.to.clone(), l.sku.clone()))
                .or_default() += l.qty;
        }
    }
    p
}

/// The supplier a policy buys from: its own, else the cheapest active
/// supplier of the entity listing the item (price per base unit in the
/// entity's currency at today's rate), ties to the shorter lead time.
fn supplier_for<'a>(
    state: &'a State,
    policy: &ReplenishmentPolicy,
    item: &Item,
    entity: &str,
    today: NaiveDate,
) -> Option<&'a Supplier> {
    if let Some(code) = &policy.supplier {
        return state.suppliers.get(code).filter(|s| s.active);
    }
    let base = purchasing::base_currency(state, entity).ok()?;
    state
        .suppliers
        .values()
        .filter(|s| s.entity == entity && s.active)
        .filter_map(|s| {
            let si = s.items.iter().find(|i| i.sku == item.sku)?;
            let factor = item.unit_factor(&si.unit)?;
            let rate = purchasing::to_base(state, &s.currency, &base, today).ok()?;
            Some(((si.price / factor * rate, s.lead_time_days), s))
        })
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, s)| s)
}

/// Weekly demand of the `weeks` complete weeks before `today`'s: mean and
/// sample standard deviation, 4 decimals.
pub fn weekly_demand(
    state: &State,
    warehouse: &str,
    sku: &str,
    weeks: u32,
    today: NaiveDate,
) -> (Decimal, Decimal) {
    let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let first = this_monday - Duration::weeks(i64::from(weeks));
    let hist = state.demand.get(&(warehouse.to_code(), sku.to_code()));
    let values: Vec<Decimal> = (0..weeks)
        .map(|w| {
            let monday = first + Duration::weeks(i64::from(w));
            hist.and_then(|h| h.get(&monday))
                .copied()
                .unwrap_or_default()
        })
        .collect();
    if values.is_empty() {
        return (Decimal::ZERO, Decimal::ZERO);
    }
    let n = Decimal::from(values.len());
    let mean = values.iter().sum::<Decimal>() / n;
    let sd = if values.len() > 1 {
        let var = values
            .iter()
            .map(|v| (v - mean) * (v - mean))
            .sum::<Decimal>()
            / (n - Decimal::ONE);
        var.sqrt().unwrap_or_default()
    } else {
        Decimal::ZERO
    };
    (mean.round_dp(4), sd.round_dp(4))
}

/// A supplier's lead time in days: the mean of the lead times observed on
/// its past receipts, rounded up, when it has any; else the planned one.
pub fn lead_time(s: &Supplier) -> (u32, String) {
    if s.lead_time_history.is_empty() {
        return (s.lead_time_days, "planned".into());
    }
    let n = s.lead_time_history.len() as u32;
    let sum: u32 = s.lead_time_history.iter().sum();
    (
        sum.div_ceil(n),
        format!(
            "observed mean of {n} receipts; planned {}",
            s.lead_time_days
        ),
    )
}

fn up(x: Decimal, dp: u32) -> Decimal {
    x.round_dp_with_strategy(dp, RoundingStrategy::AwayFromZero)
}

/// The worklist: a suggestion for every active policy (of `warehouse`, or
/// all) whose position is at or below its reorder point, grouped by
/// supplier (those without one last), then by warehouse and item.
pub fn suggestions(state: &State, today: NaiveDate, warehouse: Option<&str>) -> Vec<Suggestion> {
    let pipe = pipeline(state);
    let mut out: Vec<Suggestion> = state
        .replenishment
        .values()
        .filter(|p| p.active && warehouse.is_none_or(|w| w == p.warehouse))
        .filter_map(|p| suggest(state, &pipe, p, today))
        .collect();
    out.sort_by(|a, b| {
        (a.supplier.is_none(), &a.supplier, &a.warehouse, &a.sku).cmp(&(
            b.supplier.is_none(),
            &b.supplier,
            &b.warehouse,
            &b.sku,
        ))
    });
    out
}

fn suggest(
    state: &State,
    pipe: &Pipeline,
    p: &ReplenishmentPolicy,
    today: NaiveDate,
) -> Option<Suggestion> {
    let item = state.items.get(&p.sku).filter(|i| i.active)?;
    let wh = state.warehouses.get(&p.warehouse)?;
    let key = (p.warehouse.clone(), p.sku.clone());
    let stock = state.stock.get(&key).cloned().unwrap_or_default();
    let get = |m: &BTreeMap<(Code, Code), Decimal>| m.get(&key).copied().unwrap_or_default();
    let (backordered, on_order, in_transit) = (
        get(&pipe.backordered),
        get(&pipe.on_order),
        get(&pipe.in_transit),
    );
    let position = stock.on_hand - stock.reserved - backordered + on_order + in_transit;
    let supplier = supplier_for(state, p, item, &wh.entity, today);
    let si = supplier.and_then(|s| s.items.iter().find(|i| i.sku == p.sku));
    let (lead, lead_why) = supplier.map_or(
        (
            super::sales::DEFAULT_LEAD_DAYS as u32,
            "default".to_string(),
        ),
        lead_time,
    );
    let dp = item.qty_decimals;
    let (mean, sd, ss, rop, out, why) = match p.method {
        ReplenishmentMethod::MinMax => (
            Decimal::ZERO,
            Decimal::ZERO,
            Decimal::ZERO,
            p.min,
            p.max,
            format!("min/max: position {position} at or below min {}", p.min),
        ),
        ReplenishmentMethod::ReorderPoint => {
            let (mean, sd) = weekly_demand(state, &p.warehouse, &p.sku, p.history_weeks, today);
            let lt_weeks = Decimal::from(lead) / Decimal::from(7);
            let z = z_for(p.service_level_pct);
            let ss = up(z * sd * lt_weeks.sqrt().unwrap_or_default(), dp);
            let rop = up(mean * lt_weeks + ss, dp);
            let out = up(
                rop + mean * Decimal::from(p.review_days) / Decimal::from(7),
                dp,
            );
            let why = format!(
                "reorder point {rop} = {mean}/week x {lead} days lead time ({lead_why}) \
                 + safety stock {ss} (z {z} for {}% service x sd {sd}/week over {} weeks \
                 x sqrt of the lead time in weeks); position {position}",
                p.service_level_pct, p.history_weeks
            );
            (mean, sd, ss, rop, out, why)
        }
    };
    if position > rop || out - position <= Decimal::ZERO {
        return None;
    }
    let need = out - position;
    let unit = si.map_or(item.base_unit.clone(), |x| x.unit.clone());
    let factor = item.unit_factor(&unit).unwrap_or(Decimal::ONE);
    let unit_dp = if factor == Decimal::ONE { dp } else { 0 };
    let mut unit_qty = up(need / factor, unit_dp);
    let mut reason = format!("{why}; order up to {out}: need {need}");
    if let Some(x) = si {
        if x.min_qty > unit_qty {
            unit_qty = x.min_qty;
            reason.push_str(&format!("; supplier minimum {} {unit}", x.min_qty));
        }
    }
    if factor != Decimal::ONE {
        reason.push_str(&format!("; {unit_qty} {unit} of {factor}"));
    }
    if supplier.is_none() {
        reason.push_str("; no active supplier of the entity lists the item");
    }
    Some(Suggestion {
        warehouse: p.warehouse.clone(),
        sku: p.sku.clone(),
        description: item.description.clone(),
        supplier: supplier.map(|s| s.code.clone()),
        supplier_sku: si.map(|x| x.supplier_sku.clone()).unwrap_or_default(),
        method: p.method,
        on_hand: stock.on_hand,
        reserved: stock.reserved,
        backordered,
        on_order,
        in_transit,
        position,
        weekly_demand: mean,
        weekly_sd: sd,
        lead_time_days: lead,
        safety_stock: ss,
        reorder_point: rop,
        order_up_to: out,
        unit,
        qty: unit_qty * factor,
        unit_qty,
        reason,
    })
}

/// Accept suggestions of one supplier for one warehouse: a draft PO, each
/// line carrying the reason it was suggested for.
pub fn accept(
    state: &State,
    cmd: &Command,
    supplier: &str,
    warehouse: &str,
    lines: &[AcceptLine],
) -> Result<Vec<Event>, Rejection> {
    validate::count("lines", lines.len(), purchasing::LINES_MAX)?;
    let mut seen = BTreeSet::new();
    let pipe = pipeline(state);
    let mut inputs = Vec::with_capacity(lines.len());
    let mut reasons = Vec::with_capacity(lines.len());
    for l in lines {
        if !seen.insert(l.sku.as_str()) {
            return Err(Rejection::Duplicate {
                field: "lines.sku".into(),
                value: l.sku.to_string(),
            });
        }
        // Only the suggestion of this item's policy is made, not the list.
        let s = state
            .replenishment
            .get(&(warehouse.to_code(), l.sku.clone()))
            .filter(|p| p.active)
            .and_then(|p| suggest(state, &pipe, p, cmd.warehouse_date(state, warehouse)))
            .filter(|s| s.supplier.as_deref() == Some(supplier))
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::ReplenishmentPolicy,
                key: format!("a suggestion for {warehouse}/{} from {supplier}", l.sku),
            })?;
        let mut reason = s.reason.clone();
        if let Some(q) = l.qty {
            if q != s.unit_qty {
                reason = format!("buyer changed {} to {q} {}; {reason}", s.unit_qty, s.unit);
            }
        }
        inputs.push(PoLineInput {
            sku: s.sku.clone(),
            qty: l.qty.unwrap_or(s.unit_qty),
            unit: Some(s.unit.clone()),
            price: None,
            expected: None,
        });
        reasons.push(reason);
    }
    let mut po = purchasing::build(state, cmd, supplier, warehouse, &inputs)?;
    po.status = PoStatus::Draft;
    for (l, r) in po.lines.iter_mut().zip(reasons) {
        l.reason = r;
    }
    Ok(vec![Event::PurchaseOrderCreated(po)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn z_follows_the_table_and_interpolates() {
        assert_eq!(z_for(dec!(50)), dec!(0));
        assert_eq!(z_for(dec!(95)), dec!(1.6449));
        assert_eq!(z_for(dec!(97.5)), dec!(1.96));
        assert_eq!(z_for(dec!(99.9)), dec!(3.0902));
        // Halfway between 90 (1.2816) and 92 (1.4051).
        assert_eq!(z_for(dec!(91)), dec!(1.34335).round_dp(4));
        assert!(z_for(dec!(99.95)) == dec!(3.0902));
    }
}
