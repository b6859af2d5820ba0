//! Supplier-invoice view-models: the PO lines of a supplier that can be
//! invoiced (received and not yet invoiced), the three-way match of an
//! invoice line as the core decides it (quantity against what was
//! received, price within the tolerance of the PO's) with the exact
//! differences, the AP worklist, and the payment proposal (what falls due
//! or would lose its discount by a day).

use crate::core::purchasing::{ApStatus, SupplierInvoice, PRICE_TOLERANCE_PCT};
use crate::core::types::{Code, Currency};
use crate::core::State;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A PO line with goods received and not yet invoiced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchLine {
    pub po: Code,
    pub line: u32,
    pub sku: Code,
    /// Base units received and not yet invoiced.
    pub uninvoiced: Decimal,
    /// PO price per base unit (supplier currency).
    pub price: Decimal,
    pub currency: Currency,
}

pub fn matchable_lines(s: &State, supplier: &str) -> Vec<MatchLine> {
    let mut out = Vec::new();
    for po in s
        .purchase_orders
        .values()
        .filter(|p| p.supplier == supplier)
    {
        for l in &po.lines {
            let un = l.received - l.invoiced;
            if un > Decimal::ZERO {
                out.push(MatchLine {
                    po: po.number.clone(),
                    line: l.line,
                    sku: l.sku.clone(),
                    uninvoiced: un,
                    price: l.price,
                    currency: po.currency.clone(),
                });
            }
        }
    }
    out
}

/// The three-way match of one invoice line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineMatch {
    /// Invoiced less received-not-invoiced (above zero: more than came).
    pub qty_diff: Decimal,
    /// Invoice price less PO price, and what the tolerance allows.
    pub price_diff: Decimal,
    pub allowed: Decimal,
    pub qty_ok: bool,
    pub price_ok: bool,
}

impl LineMatch {
    pub fn ok(&self) -> bool {
        self.qty_ok && self.price_ok
    }
    /// In words, with the exact differences.
    pub fn describe(&self, po_price: Decimal) -> String {
        let mut parts = Vec::new();
        if !self.qty_ok {
            parts.push(format!("qty +{} over received", self.qty_diff));
        }
        if !self.price_ok {
            let pct = if po_price.is_zero() {
                Decimal::ZERO
            } else {
                (self.price_diff * Decimal::from(100) / po_price).round_dp(1)
            };
            parts.push(format!(
                "price {}{} ({}{pct:.1} %, over {} %)",
                if self.price_diff > Decimal::ZERO {
                    "+"
                } else {
                    ""
                },
                self.price_diff,
                if pct > Decimal::ZERO { "+" } else { "" },
                PRICE_TOLERANCE_PCT
            ));
        }
        if parts.is_empty() {
            if self.price_diff.is_zero() {
                "matched".into()
            } else {
                format!("matched, price {} within tolerance", self.price_diff)
            }
        } else {
            parts.join("; ")
        }
    }
}

pub fn match_line(m: &MatchLine, qty: Decimal, price: Decimal) -> LineMatch {
    let allowed = (m.price * PRICE_TOLERANCE_PCT / Decimal::from(100)).max(Decimal::new(1, 2));
    let price_diff = price - m.price;
    LineMatch {
        qty_diff: qty - m.uninvoiced,
        price_diff,
        allowed,
        qty_ok: qty <= m.uninvoiced,
        price_ok: price_diff.abs() <= allowed,
    }
}

/// The AP worklist: held invoices first, then open ones by due date.
pub fn worklist(s: &State) -> Vec<&SupplierInvoice> {
    let mut rows: Vec<&SupplierInvoice> = s
        .supplier_invoices
        .values()
        .filter(|i| matches!(i.status, ApStatus::Held | ApStatus::Open))
        .collect();
    rows.sort_by(|a, b| {
        (a.status != ApStatus::Held, a.due, &a.number).cmp(&(
            b.status != ApStatus::Held,
            b.due,
            &b.number,
        ))
    });
    rows
}

/// One invoice the payment run pays, and why now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposed {
    pub supplier: Code,
    pub invoice: Code,
    /// What is paid: the open amount, less the discount in its window.
    pub amount: Decimal,
    pub discount: Decimal,
    pub reason: String,
}

/// Open invoices due by `until`, or whose discount window ends by then
/// (still open on `on`), by supplier then due date.
pub fn proposal(s: &State, on: NaiveDate, until: NaiveDate) -> Vec<Proposed> {
    let mut out: Vec<Proposed> = s
        .supplier_invoices
        .values()
        .filter(|i| i.status == ApStatus::Open && i.open > Decimal::ZERO)
        .filter_map(|i| {
            let in_window = i.discount_until.is_some_and(|d| on <= d);
            let discount = if in_window {
                i.currency
                    .round(i.open * i.discount_pct / Decimal::from(100))
            } else {
                Decimal::ZERO
            };
            let reason = if discount > Decimal::ZERO && i.discount_until.is_some_and(|d| d <= until)
            {
                format!(
                    "discount {discount} until {}",
                    i.discount_until.unwrap_or(on)
                )
            } else if i.due <= until {
                if i.due < on {
                    format!("overdue since {}", i.due)
                } else {
                    format!("due {}", i.due)
                }
            } else {
                return None;
            };
            Some(Proposed {
                supplier: i.supplier.clone(),
                invoice: i.number.clone(),
                amount: i.open - discount,
                discount,
                reason,
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.supplier, &a.invoice).cmp(&(&b.supplier, &b.invoice)));
    out
}

/// A bank account a payment run would take below zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overdrawn {
    pub entity: Code,
    pub account: Code,
    pub currency: Currency,
    /// The account's book balance now (debit positive).
    pub balance: Decimal,
    /// What the run pays out of it, in the entity's base currency at
    /// `on`'s rate (as the payments will book it).
    pub paid: Decimal,
}

/// The entities whose bank account holds less than the run `p` pays out
/// of it on `on`: a treasurer is told before the run, not by the bank.
/// An entity without a bank account or a rate for a supplier's currency
/// is left to the core, which refuses that payment and says why.
pub fn overdrawn(s: &State, p: &[Proposed], on: NaiveDate) -> Vec<Overdrawn> {
    use crate::core::master::PostingKey;
    let mut paid: std::collections::BTreeMap<&Code, Decimal> = Default::default();
    for x in p {
        let Some(i) = s.supplier_invoices.get(&x.invoice) else {
            continue;
        };
        let Ok(base) = crate::core::purchasing::base_currency(s, &i.entity) else {
            continue;
        };
        let Ok(rate) = crate::core::purchasing::to_base(s, &i.currency, &base, on) else {
            continue;
        };
        *paid.entry(&i.entity).or_default() += base.round(x.amount * rate);
    }
    paid.into_iter()
        .filter_map(|(entity, paid)| {
            let account = s.posting_rules.get(&(entity.clone(), PostingKey::Bank))?;
            let balance = s
                .ledger
                .balances
                .get(&(entity.clone(), account.clone()))
                .copied()
                .unwrap_or_default();
            let currency = crate::core::purchasing::base_currency(s, entity).ok()?;
            (paid > balance).then(|| Overdrawn {
                entity: entity.clone(),
                account: account.clone(),
                currency,
                balance,
                paid,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_line_matches_within_two_percent_and_names_the_differences() {
        let m = MatchLine {
            po: "PO-1".into(),
            line: 1,
            sku: "X".into(),
            uninvoiced: dec!(10),
            price: dec!(4.00),
            currency: Currency::new("USD"),
        };
        assert!(match_line(&m, dec!(10), dec!(4.08)).ok());
        let r = match_line(&m, dec!(10), dec!(4.20));
        assert!(!r.ok());
        assert_eq!(r.describe(m.price), "price +0.20 (+5.0 %, over 2 %)");
        let r = match_line(&m, dec!(12), dec!(4.00));
        assert_eq!(r.describe(m.price), "qty +2 over received");
    }
}
