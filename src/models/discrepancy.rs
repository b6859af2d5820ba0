//! Invoice discrepancy detection before posting: a draft's lines checked
//! against what the store's history says they should be (the price this
//! customer has been paying for the item, else what others pay; the
//! quantity its shipment line took; the tax rate the customer's invoices
//! carry). Measured on held-out invoices into some of which a price,
//! quantity or tax error is injected (seeded), against a naive rule that
//! flags a total far from the customer's usual totals.

use super::{money, Reasons};
use crate::core::billing::Invoice;
use crate::core::types::ToCode;
use crate::core::State;
use crate::large::Rng;
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A draft line.
#[derive(Clone, Debug, PartialEq)]
pub struct DraftLine {
    pub shipment: String,
    pub order_line: u32,
    pub sku: String,
    pub qty: Decimal,
    pub price: Decimal,
}

/// An invoice as drafted, before posting.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub invoice: String,
    pub customer: String,
    pub lines: Vec<DraftLine>,
    pub tax_pct: Decimal,
}

impl Draft {
    pub fn of(inv: &Invoice) -> Draft {
        Draft {
            invoice: inv.number.to_string(),
            customer: inv.customer.to_string(),
            lines: inv
                .lines
                .iter()
                .map(|l| DraftLine {
                    shipment: l.shipment.to_string(),
                    order_line: l.order_line,
                    sku: l.sku.to_string(),
                    qty: l.qty,
                    price: l.price,
                })
                .collect(),
            // The rate of the most of the invoice: one with a food line
            // beside hardware (2.25 % on a few dollars, 10.25 % on the
            // rest) is the customer's usual 10.25 %, not a finding.
            tax_pct: inv
                .taxes
                .iter()
                .max_by_key(|t| (t.taxable, std::cmp::Reverse(t.rate_pct)))
                .map(|t| t.rate_pct)
                .unwrap_or_default(),
        }
    }

    pub fn total(&self) -> Decimal {
        let net: Decimal = self
            .lines
            .iter()
            .map(|l| (l.qty * l.price).round_dp(2))
            .sum();
        (net * (Decimal::ONE + self.tax_pct / Decimal::from(100))).round_dp(2)
    }
}

/// What the history says, learned from invoices dated before a day.
#[derive(Default)]
pub struct Reference {
    /// Latest price per (customer, item), and per item any customer.
    price: BTreeMap<(String, String), Decimal>,
    item_price: BTreeMap<String, Decimal>,
    /// Tax rates seen per customer (rate -> invoices).
    tax: BTreeMap<String, BTreeMap<Decimal, u32>>,
    /// Per customer: invoice totals (for the naive rule).
    totals: BTreeMap<String, Vec<f64>>,
    pub invoices: usize,
}

impl Reference {
    pub fn learn(state: &State, before: NaiveDate) -> Reference {
        let mut r = Reference::default();
        for inv in state
            .invoices
            .values_sorted()
            .into_iter()
            .filter(|i| i.date < before)
        {
            let d = Draft::of(inv);
            for l in &d.lines {
                r.price.insert((d.customer.clone(), l.sku.clone()), l.price);
                r.item_price.insert(l.sku.clone(), l.price);
            }
            *r.tax
                .entry(d.customer.clone())
                .or_default()
                .entry(d.tax_pct)
                .or_default() += 1;
            r.totals
                .entry(d.customer.clone())
                .or_default()
                .push(d.total().to_f64().unwrap_or(0.0));
            r.invoices += 1;
        }
        r
    }

    /// What is wrong with a draft (empty: nothing found).
    pub fn check(&self, state: &State, d: &Draft) -> Reasons {
        let mut out: Reasons = Vec::new();
        for l in &d.lines {
            let usual = self
                .price
                .get(&(d.customer.clone(), l.sku.clone()))
                .or_else(|| self.item_price.get(&l.sku));
            if let Some(u) = usual {
                if !u.is_zero() {
                    let dev = (l.price - u) / u;
                    if dev.abs() > Decimal::new(5, 3) {
                        out.push((
                            format!("price of {}", l.sku),
                            format!(
                                "{} vs usual {} ({:+.1}%)",
                                money(l.price),
                                money(*u),
                                dev.to_f64().unwrap_or(0.0) * 100.0
                            ),
                        ));
                    }
                }
            }
            let shipped = state.shipments.get(&l.shipment.to_code()).map(|s| {
                s.lines
                    .iter()
                    .filter(|x| x.order_line == l.order_line && x.sku == l.sku)
                    .map(|x| x.qty)
                    .sum::<Decimal>()
            });
            if let Some(q) = shipped {
                if q != l.qty {
                    out.push((
                        format!("quantity of {}", l.sku),
                        format!("{} billed, {} shipped on {}", l.qty, q, l.shipment),
                    ));
                }
            }
        }
        if let Some(rates) = self.tax.get(&d.customer) {
            let usual = rates
                .iter()
                .max_by_key(|(r, n)| (**n, std::cmp::Reverse(**r)))
                .map(|(r, _)| *r);
            if let Some(u) = usual {
                if u != d.tax_pct {
                    out.push((
                        "tax rate".into(),
                        format!("{}% vs the customer's usual {}%", d.tax_pct, u),
                    ));
                }
            }
        }
        out
    }

    /// The naive rule: a total more than two standard deviations from the
    /// customer's mean invoice total.
    pub fn naive(&self, d: &Draft) -> bool {
        let Some(t) = self.totals.get(&d.customer) else {
            return false;
        };
        if t.len() < 2 {
            return false;
        }
        let n = t.len() as f64;
        let mean = t.iter().sum::<f64>() / n;
        let sd = (t.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let total = d.total().to_f64().unwrap_or(0.0);
        (total - mean).abs() > 2.0 * sd
    }
}

/// A draft against its own documents, before it posts: each line's price
/// against its order line's, and against the customer's contract for the
/// item valid on `date` when the order did not price by that contract
/// (what `Reference::check` cannot know from history alone).
pub fn check_documents(state: &State, d: &Draft, date: NaiveDate) -> Reasons {
    use crate::core::sales::PriceRule;
    let mut out: Reasons = Vec::new();
    for l in &d.lines {
        let order = state
            .shipments
            .get(&l.shipment.to_code())
            .and_then(|s| state.orders.get(&s.order));
        let line = order.and_then(|o| o.lines.iter().find(|x| x.line == l.order_line));
        if let Some(ol) = line {
            if ol.price != l.price {
                out.push((
                    format!("price of {}", l.sku),
                    format!(
                        "{} vs {} on order {} line {}",
                        money(l.price),
                        money(ol.price),
                        order.map(|o| o.number.as_str()).unwrap_or_default(),
                        ol.line
                    ),
                ));
            }
        }
        let by_contract = line.is_some_and(|ol| {
            matches!(
                ol.rule,
                PriceRule::Contract { .. } | PriceRule::ContractBreak { .. }
            )
        });
        if by_contract {
            continue;
        }
        let contract = state.contracts.values().find(|c| {
            c.customer == d.customer && c.sku == l.sku && c.valid_from <= date && date <= c.valid_to
        });
        if let Some(c) = contract {
            if !c.price.is_zero() && c.price != l.price {
                let dev = (l.price - c.price) / c.price;
                let how = line
                    .map(|ol| format!(", priced by {}", ol.rule))
                    .unwrap_or_default();
                out.push((
                    format!("price of {}", l.sku),
                    format!(
                        "{} vs contract {} {} ({:+.1}%{how})",
                        money(l.price),
                        c.code,
                        money(c.price),
                        dev.to_f64().unwrap_or(0.0) * 100.0
                    ),
                ));
            }
        }
    }
    out
}

/// Inject one error (price, quantity or tax) into a draft.
pub fn inject(d: &mut Draft, rng: &mut Rng) {
    let n = d.lines.len().max(1) as u64;
    let pick = (rng.next_u64() % n) as usize;
    match rng.next_u64() % 3 {
        0 => {
            if let Some(l) = d.lines.get_mut(pick) {
                // 2% to 30% off, either way.
                let pct = Decimal::from(2 + rng.next_u64() % 29) / Decimal::from(100);
                let f = if rng.next_u64().is_multiple_of(2) {
                    Decimal::ONE + pct
                } else {
                    Decimal::ONE - pct
                };
                l.price = (l.price * f).round_dp(2);
            }
        }
        1 => {
            if let Some(l) = d.lines.get_mut(pick) {
                l.qty += Decimal::from(1 + rng.next_u64() % 3);
            }
        }
        _ => {
            d.tax_pct += Decimal::new(25 + (rng.next_u64() % 300) as i64, 2);
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Quality {
    pub train: usize,
    pub test: usize,
    pub injected: usize,
    pub precision: f64,
    pub recall: f64,
    pub naive_precision: f64,
    pub naive_recall: f64,
}

/// Held-out invoices (dated from `cutoff`), one in four with an error.
pub fn evaluate(state: &State, cutoff: NaiveDate, seed: u64) -> Option<Quality> {
    let r = Reference::learn(state, cutoff);
    let mut rng = Rng(seed ^ 0xD15C);
    let (mut flags, mut naive, mut truth) = (Vec::new(), Vec::new(), Vec::new());
    for inv in state
        .invoices
        .values_sorted()
        .into_iter()
        .filter(|i| i.date >= cutoff)
    {
        let mut d = Draft::of(inv);
        let bad = rng.next_u64().is_multiple_of(4);
        if bad {
            inject(&mut d, &mut rng);
        }
        flags.push(!r.check(state, &d).is_empty());
        naive.push(r.naive(&d));
        truth.push(bad);
    }
    let (p, rc) = super::stats::precision_recall(&flags, &truth);
    let (np, nr) = super::stats::precision_recall(&naive, &truth);
    Some(Quality {
        train: r.invoices,
        test: truth.len(),
        injected: truth.iter().filter(|t| **t).count(),
        precision: p?,
        recall: rc?,
        naive_precision: np.unwrap_or(0.0),
        naive_recall: nr.unwrap_or(0.0),
    })
}
