//! Supplier performance, as the buyer weighs a supplier: how many of its
//! due PO lines arrived complete by their expected date (on time), how
//! much of what was due arrived at all (fill), and how long it really
//! takes against the lead time the supplier record states (drift).
//!
//! Definitions (docs/screens.md, "Purchasing"):
//! - The lines counted are those of sent POs (open or closed; not drafts,
//!   not waiting for approval, not cancelled) expected in the window
//!   `(as_of - days, as_of]`: they were due by `as_of`.
//! - Received means on goods receipts dated on or before `as_of`.
//! - On time: the line's receipts up to its expected date add up to the
//!   quantity ordered.
//! - Fill: the units received of those lines (each capped at what was
//!   ordered) over the units ordered.
//! - Actual lead time: for each counted line received in full, the days
//!   from the PO date to the receipt that completed it; the average over
//!   those lines. Drift: that average less the stated lead time.

use crate::core::purchasing::PoStatus;
use crate::core::state::State;
use crate::core::types::Code;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplierPerformance {
    pub supplier: Code,
    pub name: String,
    pub entity: Code,
    /// PO lines due in the window.
    pub lines_due: u32,
    pub lines_on_time: u32,
    /// Base units ordered on those lines, and received of them by `as_of`
    /// (each line capped at its quantity).
    pub ordered: Decimal,
    pub received: Decimal,
    /// The lead time on the supplier record, in days.
    pub stated_lead_days: u32,
    /// Lines received in full, and the average days from PO date to the
    /// receipt that completed them (one decimal).
    pub lines_complete: u32,
    pub actual_lead_days: Option<Decimal>,
}

impl SupplierPerformance {
    /// On-time lines over due lines, in percent (one decimal); none when
    /// nothing was due.
    pub fn on_time_pct(&self) -> Option<Decimal> {
        pct(
            Decimal::from(self.lines_on_time),
            Decimal::from(self.lines_due),
        )
    }
    /// Units received over units ordered, in percent (one decimal).
    pub fn fill_pct(&self) -> Option<Decimal> {
        pct(self.received, self.ordered)
    }
    /// Actual less stated lead time, in days (positive: slower than
    /// stated).
    pub fn drift_days(&self) -> Option<Decimal> {
        self.actual_lead_days
            .map(|a| a - Decimal::from(self.stated_lead_days))
    }
}

fn pct(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (!whole.is_zero()).then(|| (part * Decimal::from(100) / whole).round_dp(1))
}

/// Every active supplier's performance over the `days` up to `as_of`, by
/// supplier code (suppliers with nothing due are listed with zero lines).
pub fn performance(state: &State, as_of: NaiveDate, days: u32) -> Vec<SupplierPerformance> {
    // `as_of` comes from `--as-of`: at the calendar's first days the
    // window starts at its first day (never a panic).
    let from = as_of
        .checked_sub_signed(chrono::Duration::days(i64::from(days)))
        .unwrap_or(NaiveDate::MIN);
    // The receipts of each PO line up to `as_of`: (po, line) -> (date, qty).
    let mut got: BTreeMap<(&str, u32), Vec<(NaiveDate, Decimal)>> = BTreeMap::new();
    for r in state.goods_receipts.values().filter(|r| r.date <= as_of) {
        for l in &r.lines {
            got.entry((r.po.as_str(), l.po_line))
                .or_default()
                .push((r.date, l.qty));
        }
    }
    let mut out: BTreeMap<&str, SupplierPerformance> = state
        .suppliers
        .values()
        .filter(|s| s.active)
        .map(|s| {
            (
                s.code.as_str(),
                SupplierPerformance {
                    supplier: s.code.clone(),
                    name: s.name.clone(),
                    entity: s.entity.clone(),
                    lines_due: 0,
                    lines_on_time: 0,
                    ordered: Decimal::ZERO,
                    received: Decimal::ZERO,
                    stated_lead_days: s.lead_time_days,
                    lines_complete: 0,
                    actual_lead_days: None,
                },
            )
        })
        .collect();
    let mut lead_sum: BTreeMap<&str, i64> = BTreeMap::new();
    for po in state
        .purchase_orders
        .values()
        .filter(|p| matches!(p.status, PoStatus::Open | PoStatus::Closed))
    {
        let Some(perf) = out.get_mut(po.supplier.as_str()) else {
            continue;
        };
        for l in po
            .lines
            .iter()
            .filter(|l| l.expected > from && l.expected <= as_of && l.qty > Decimal::ZERO)
        {
            let mut receipts = got
                .get(&(po.number.as_str(), l.line))
                .cloned()
                .unwrap_or_default();
            receipts.sort();
            let mut sum = Decimal::ZERO;
            let mut on_time = false;
            let mut completed: Option<NaiveDate> = None;
            for (date, q) in &receipts {
                sum += *q;
                if sum >= l.qty && completed.is_none() {
                    completed = Some(*date);
                    on_time = *date <= l.expected;
                }
            }
            perf.lines_due += 1;
            perf.ordered += l.qty;
            perf.received += sum.min(l.qty);
            if on_time {
                perf.lines_on_time += 1;
            }
            if let Some(d) = completed {
                perf.lines_complete += 1;
                *lead_sum.entry(po.supplier.as_str()).or_default() += (d - po.date).num_days();
            }
        }
    }
    for (code, total) in lead_sum {
        if let Some(p) = out.get_mut(code) {
            if p.lines_complete > 0 {
                p.actual_lead_days =
                    Some((Decimal::from(total) / Decimal::from(p.lines_complete)).round_dp(1));
            }
        }
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::purchasing::{GoodsReceipt, PoLine, PurchaseOrder, ReceiptLine};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn line(n: u32, qty: i64, expected: &str) -> PoLine {
        PoLine {
            line: n,
            sku: "SKU".into(),
            supplier_sku: String::new(),
            unit: "EA".into(),
            unit_qty: Decimal::from(qty),
            qty: Decimal::from(qty),
            price: Decimal::ONE,
            expected: d(expected),
            received: Decimal::ZERO,
            received_value: Decimal::ZERO,
            invoiced: Decimal::ZERO,
            relieved: Decimal::ZERO,
            reason: String::new(),
        }
    }

    fn receipt(n: &str, po: &str, date: &str, lines: &[(u32, i64)]) -> GoodsReceipt {
        GoodsReceipt {
            number: n.into(),
            po: po.into(),
            supplier: "V1".into(),
            entity: "E".into(),
            warehouse: "W".into(),
            bin: "B".into(),
            date: d(date),
            by: "X".into(),
            lines: lines
                .iter()
                .map(|(l, q)| ReceiptLine {
                    po_line: *l,
                    sku: "SKU".into(),
                    lot: None,
                    qty: Decimal::from(*q),
                    value: Decimal::ZERO,
                })
                .collect(),
        }
    }

    /// Worked by hand: PO-1 dated 06-01, stated lead 10 days.
    /// Line 1: 10 due 06-11, 10 arrive 06-10 -> on time, complete after 9 days.
    /// Line 2: 20 due 06-11, 5 on 06-11 and 15 on 06-15 -> late, complete after 14.
    /// Line 3: 10 due 06-20, 4 arrive 06-21 (after as_of) -> due, nothing received.
    /// Line 4: 8 due 07-10 -> not due yet.
    /// A draft PO's line due 06-05 is not counted.
    /// On time 1 of 3; fill (10 + 20 + 0) / 40 = 75 %; actual lead
    /// (9 + 14) / 2 = 11.5 days, drift +1.5.
    #[test]
    fn a_suppliers_figures_worked_by_hand() {
        let mut s = State::default();
        let mut sup: crate::core::master::Supplier = serde_json::from_value(serde_json::json!({
            "code": "V1", "name": "Vendor One", "entity": "E", "currency": "USD",
            "terms": "N30", "lead_time_days": 10
        }))
        .unwrap();
        sup.active = true;
        s.suppliers.insert("V1".into(), sup);
        let po = |n: &str, status, lines| PurchaseOrder {
            number: n.into(),
            supplier: "V1".into(),
            entity: "E".into(),
            warehouse: "W".into(),
            currency: crate::core::types::Currency::new("USD"),
            date: d("2026-06-01"),
            buyer: "B".into(),
            status,
            approved_by: None,
            lines,
            total: Decimal::ZERO,
            base_total: Decimal::ZERO,
        };
        s.purchase_orders.insert(
            "PO-1".into(),
            po(
                "PO-1",
                PoStatus::Open,
                vec![
                    line(1, 10, "2026-06-11"),
                    line(2, 20, "2026-06-11"),
                    line(3, 10, "2026-06-20"),
                    line(4, 8, "2026-07-10"),
                ],
            ),
        );
        s.purchase_orders.insert(
            "PO-2".into(),
            po("PO-2", PoStatus::Draft, vec![line(1, 99, "2026-06-05")]),
        );
        for r in [
            receipt("GR-1", "PO-1", "2026-06-10", &[(1, 10)]),
            receipt("GR-2", "PO-1", "2026-06-11", &[(2, 5)]),
            receipt("GR-3", "PO-1", "2026-06-15", &[(2, 15)]),
            receipt("GR-4", "PO-1", "2026-06-21", &[(3, 4)]),
        ] {
            s.goods_receipts.insert(r.number.clone(), r);
        }
        let p = performance(&s, d("2026-06-20"), 365);
        assert_eq!(p.len(), 1);
        let p = &p[0];
        assert_eq!((p.lines_due, p.lines_on_time, p.lines_complete), (3, 1, 2));
        assert_eq!(p.on_time_pct(), Some(Decimal::new(333, 1)));
        assert_eq!(p.fill_pct(), Some(Decimal::from(75)));
        assert_eq!(p.actual_lead_days, Some(Decimal::new(115, 1)));
        assert_eq!(p.drift_days(), Some(Decimal::new(15, 1)));
        // A day later the fourth receipt counts: 34 of 40 received.
        let later = &performance(&s, d("2026-06-21"), 365)[0];
        assert_eq!(later.fill_pct(), Some(Decimal::new(850, 1)));
        // A window that ends before anything was due: nothing to say.
        let early = &performance(&s, d("2026-06-10"), 365)[0];
        // The calendar's first day: an empty window, not a panic.
        assert_eq!(performance(&s, NaiveDate::MIN, 365)[0].lines_due, 0);
        assert_eq!(early.lines_due, 0);
        assert_eq!(early.on_time_pct(), None);
        assert_eq!(early.drift_days(), None);
    }
}
