//! Cash application view-models: a customer's open items (age, discount
//! window, disputes), what an application would do to each invoice (the
//! same rules `core::cash::receive` decides by, so the screen shows before
//! the commit what the commit will post), and suggestions of which
//! invoices a receipt pays, each with its reason.

use crate::core::billing::Invoice;
use crate::core::cash::SHORT_PAY_TOLERANCE;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::State;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One open invoice of a customer, as the AR clerk sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenItem {
    pub invoice: Code,
    pub date: NaiveDate,
    pub due: NaiveDate,
    /// Days past due (negative: not due yet).
    pub late_days: i64,
    pub total: Decimal,
    /// Open, disputes included.
    pub open: Decimal,
    pub disputed: Decimal,
    /// What may be paid: open less disputed.
    pub payable: Decimal,
    /// The early-payment discount if the whole payable amount is paid on
    /// `on` (zero outside the window), and the window's last day.
    pub discount: Decimal,
    pub discount_until: Option<NaiveDate>,
}

impl OpenItem {
    /// Paying this settles the invoice (with the discount in the window).
    pub fn settling(&self) -> Decimal {
        self.payable - self.discount
    }
}

/// The open invoices of `customer`, oldest due first, as of `on`.
pub fn open_items(s: &State, customer: &str, on: NaiveDate) -> Vec<OpenItem> {
    let mut rows: Vec<OpenItem> = s
        .index
        .open_invoices
        .get(&customer.to_code())
        .into_iter()
        .flatten()
        .filter_map(|n| s.invoices.get(n))
        .filter(|i| i.open > Decimal::ZERO)
        .map(|i| item(i, on))
        .collect();
    rows.sort_by(|a, b| (a.due, &a.invoice).cmp(&(b.due, &b.invoice)));
    rows
}

fn item(i: &Invoice, on: NaiveDate) -> OpenItem {
    let payable = (i.open - i.disputed).max(Decimal::ZERO);
    let in_window = i.discount_until.is_some_and(|d| on <= d);
    let discount = if in_window && payable > Decimal::ZERO {
        i.currency
            .round(payable * i.discount_pct / Decimal::from(100))
    } else {
        Decimal::ZERO
    };
    OpenItem {
        invoice: i.number.clone(),
        date: i.date,
        due: i.due,
        late_days: (on - i.due).num_days(),
        total: i.total,
        open: i.open,
        disputed: i.disputed,
        payable,
        discount,
        discount_until: i.discount_until,
    }
}

/// What applying `amount` (with `settle`) to an item does, as the core
/// decides it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effect {
    pub discount: Decimal,
    pub write_off: Decimal,
    pub disputed: Decimal,
    /// Still open for payment afterwards.
    pub left: Decimal,
}

pub fn effect(item: &OpenItem, amount: Decimal, settle: bool) -> Effect {
    let open = item.payable;
    let (discount, write_off, disputed) = if amount >= open {
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO)
    } else if item.discount > Decimal::ZERO && amount + item.discount == open {
        (item.discount, Decimal::ZERO, Decimal::ZERO)
    } else if settle && open - amount <= SHORT_PAY_TOLERANCE {
        (Decimal::ZERO, open - amount, Decimal::ZERO)
    } else if settle {
        (Decimal::ZERO, Decimal::ZERO, open - amount)
    } else {
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO)
    };
    Effect {
        discount,
        write_off,
        disputed,
        left: (open - amount - discount - write_off - disputed).max(Decimal::ZERO),
    }
}

/// A suggestion: apply these amounts, because of `reason`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub apply: Vec<(Code, Decimal)>,
    pub reason: String,
}

/// Which invoices a receipt of `amount` with `reference` pays, best
/// first: invoices the reference names; one invoice whose open amount (or
/// open less its discount) equals the receipt; the oldest invoices whose
/// amounts add up to the receipt exactly. At most a few, never one that
/// applies more than the receipt brings.
pub fn suggestions(items: &[OpenItem], amount: Decimal, reference: &str) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = Vec::new();
    if amount <= Decimal::ZERO {
        return out;
    }
    let reference = reference.to_ascii_uppercase();
    // 1. The reference names invoices (their number, or its digits).
    let named: Vec<&OpenItem> = items
        .iter()
        .filter(|i| i.payable > Decimal::ZERO)
        .filter(|i| {
            let digits = i.invoice.trim_start_matches(|c: char| !c.is_ascii_digit());
            let short = digits.trim_start_matches('0');
            reference.contains(&*i.invoice.to_ascii_uppercase())
                || (short.len() >= 2
                    && reference
                        .split(|c: char| !c.is_ascii_digit())
                        .any(|w| w.trim_start_matches('0') == short))
        })
        .collect();
    if !named.is_empty() {
        let mut left = amount;
        let mut apply = Vec::new();
        for i in &named {
            let a = i.settling().min(left);
            if a > Decimal::ZERO {
                apply.push((i.invoice.clone(), a));
                left -= a;
            }
        }
        if !apply.is_empty() {
            let names: Vec<&str> = named.iter().map(|i| i.invoice.as_str()).collect();
            out.push(Suggestion {
                apply,
                reason: format!("the reference names {}", names.join(", ")),
            });
        }
    }
    // 2. One invoice for exactly the amount.
    for i in items {
        if i.payable == amount {
            out.push(Suggestion {
                apply: vec![(i.invoice.clone(), amount)],
                reason: format!("{} is open for exactly the amount", i.invoice),
            });
        } else if i.discount > Decimal::ZERO && i.settling() == amount {
            out.push(Suggestion {
                apply: vec![(i.invoice.clone(), amount)],
                reason: format!(
                    "{} less its early-payment discount of {} is the amount",
                    i.invoice, i.discount
                ),
            });
        }
    }
    // 3. The oldest invoices adding up to the amount exactly (with their
    // discounts where the window is open).
    let mut sum = Decimal::ZERO;
    let mut apply = Vec::new();
    for i in items.iter().filter(|i| i.payable > Decimal::ZERO) {
        if sum + i.settling() > amount {
            break;
        }
        sum += i.settling();
        apply.push((i.invoice.clone(), i.settling()));
        if sum == amount && apply.len() > 1 {
            out.push(Suggestion {
                reason: format!("the {} oldest invoices add up to the amount", apply.len()),
                apply: apply.clone(),
            });
            break;
        }
    }
    // 4. Else oldest first until the receipt is used up.
    if out.is_empty() {
        let mut left = amount;
        let mut apply = Vec::new();
        for i in items.iter().filter(|i| i.payable > Decimal::ZERO) {
            if left <= Decimal::ZERO {
                break;
            }
            let a = i.settling().min(left);
            apply.push((i.invoice.clone(), a));
            left -= a;
        }
        if !apply.is_empty() {
            out.push(Suggestion {
                apply,
                reason: "no invoice matches: oldest due first".into(),
            });
        }
    }
    out.dedup();
    out.truncate(4);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn it(n: &str, payable: Decimal, discount: Decimal, due: u32) -> OpenItem {
        let d = NaiveDate::from_ymd_opt(2026, 11, due).unwrap_or_default();
        OpenItem {
            invoice: n.into(),
            date: d,
            due: d,
            late_days: 0,
            total: payable,
            open: payable,
            disputed: Decimal::ZERO,
            payable,
            discount,
            discount_until: None,
        }
    }

    #[test]
    fn suggestions_name_their_reason() {
        let items = [
            it("IN-000001", dec!(100), dec!(2), 1),
            it("IN-000002", dec!(50), Decimal::ZERO, 2),
            it("IN-000003", dec!(70), Decimal::ZERO, 3),
        ];
        let s = suggestions(&items, dec!(70), "");
        assert_eq!(s[0].apply, vec![(Code::from("IN-000003"), dec!(70))]);
        assert!(s[0].reason.contains("exactly"), "{s:?}");
        let s = suggestions(&items, dec!(148), "");
        assert_eq!(s[0].apply.len(), 2, "{s:?}");
        assert!(s[0].reason.contains("oldest"), "{s:?}");
        let s = suggestions(&items, dec!(98), "");
        assert!(s[0].reason.contains("discount"), "{s:?}");
        let s = suggestions(&items, dec!(10), "pays in-000002");
        assert_eq!(s[0].apply, vec![(Code::from("IN-000002"), dec!(10))]);
        assert!(s[0].reason.contains("reference"), "{s:?}");
    }

    #[test]
    fn effects_follow_the_core_rules() {
        let i = it("IN-1", dec!(100), dec!(2), 1);
        assert_eq!(effect(&i, dec!(98), false).discount, dec!(2));
        // 3.00 short of the open amount: within tolerance, written off.
        assert_eq!(effect(&i, dec!(97), true).write_off, dec!(3));
        assert_eq!(effect(&i, dec!(90), true).disputed, dec!(10));
        let j = it("IN-2", dec!(100), Decimal::ZERO, 1);
        assert_eq!(effect(&j, dec!(96), true).write_off, dec!(4));
        assert_eq!(effect(&j, dec!(90), true).disputed, dec!(10));
        assert_eq!(effect(&j, dec!(90), false).left, dec!(10));
    }
}
