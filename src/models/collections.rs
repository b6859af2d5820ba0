//! Collections prioritisation: open receivables ranked by exposure x the
//! probability that the customer pays late, that probability learned from
//! the customer's own paid (or overdue) invoices, shrunk toward the
//! store's overall late rate when the customer has little history.

use super::{money, Reasons};
use crate::core::types::ToCode;
use crate::core::State;
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Weight of the store-wide rate in a customer's estimate (invoices).
const PRIOR: f64 = 2.0;

/// The day each invoice was settled in full (its last receipt), for the
/// invoices with nothing open.
pub fn settled_on(state: &State) -> BTreeMap<String, NaiveDate> {
    let mut last: BTreeMap<String, NaiveDate> = BTreeMap::new();
    for r in state.receipts.values_sorted() {
        for a in &r.applications {
            let e = last.entry(a.invoice.to_string()).or_insert(r.date);
            if r.date > *e {
                *e = r.date;
            }
        }
    }
    last.retain(|inv, _| {
        state
            .invoices
            .get(&inv.to_code())
            .is_some_and(|i| i.open.is_zero())
    });
    last
}

/// Whether an invoice was paid late, as known on `asof`: settled by then
/// (late if after its due day), or still open past its due day (late);
/// None while it is open and not yet due.
pub fn late_as_of(due: NaiveDate, settled: Option<NaiveDate>, asof: NaiveDate) -> Option<bool> {
    match settled {
        Some(s) if s <= asof => Some(s > due),
        _ if due < asof => Some(true),
        _ => None,
    }
}

/// Per customer: (late, known) invoices as of `asof`, and the overall
/// late rate.
pub fn history(
    state: &State,
    settled: &BTreeMap<String, NaiveDate>,
    asof: NaiveDate,
) -> (BTreeMap<String, (u32, u32)>, f64) {
    let mut per: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let (mut late, mut known) = (0u32, 0u32);
    for inv in state
        .invoices
        .values_sorted()
        .into_iter()
        .filter(|i| i.date <= asof)
    {
        if let Some(l) = late_as_of(inv.due, settled.get(inv.number.as_str()).copied(), asof) {
            let e = per.entry(inv.customer.to_string()).or_default();
            e.1 += 1;
            known += 1;
            if l {
                e.0 += 1;
                late += 1;
            }
        }
    }
    let rate = if known > 0 {
        late as f64 / known as f64
    } else {
        0.5
    };
    (per, rate)
}

/// One open invoice to chase, and why.
#[derive(Clone, Debug)]
pub struct Suggestion {
    pub invoice: String,
    pub customer: String,
    pub exposure: Decimal,
    /// The probability of paying late: the customer's estimate while the
    /// invoice is not yet due, 1 once it is past due (late already).
    pub p_late: f64,
    pub score: f64,
    /// Days past due on the day ranked for, when it is past due (then
    /// `p_late` is 1: late, not a prediction).
    pub days_past_due: Option<i64>,
    pub reasons: Reasons,
}

/// What of an invoice a collector chases, in the entity's base currency:
/// what is open less what the customer disputes (that part is worked as
/// a dispute, not chased); the disputed part is in the invoice's
/// currency, so it comes off the base amount in proportion.
pub fn chaseable(i: &crate::core::billing::Invoice) -> Decimal {
    if i.disputed <= Decimal::ZERO || i.open <= Decimal::ZERO {
        return i.base_open;
    }
    if wholly_disputed(i) {
        return Decimal::ZERO;
    }
    i.base_open * (i.open - i.disputed) / i.open
}

/// Everything still open on the invoice is disputed.
fn wholly_disputed(i: &crate::core::billing::Invoice) -> bool {
    i.open > Decimal::ZERO && i.disputed >= i.open
}

/// Invoices open on `asof`, ranked by exposure x probability of paying
/// late; with `due_only_after` only those not yet due on `asof` (whose
/// payment is still to come: the held-out evaluation). An invoice past
/// its due day on `asof` is late already (`late_as_of`): p(late) is 1,
/// not the customer's estimate, and its reasons say how many days past
/// due it is.
pub fn rank(
    state: &State,
    settled: &BTreeMap<String, NaiveDate>,
    asof: NaiveDate,
    due_only_after: bool,
) -> Vec<Suggestion> {
    let (per, rate) = history(state, settled, asof);
    let mut out: Vec<Suggestion> = state
        .invoices
        .values_sorted()
        .into_iter()
        .filter(|i| i.date <= asof && !i.total.is_zero())
        .filter(|i| settled.get(i.number.as_str()).is_none_or(|s| *s > asof))
        .filter(|i| !due_only_after || i.due > asof)
        // All of what is open disputed: the dispute is worked, not chased.
        .filter(|i| due_only_after || !wholly_disputed(i))
        .map(|i| {
            let (late, known) = per.get(i.customer.as_str()).copied().unwrap_or_default();
            let days_past_due = (i.due < asof).then(|| (asof - i.due).num_days());
            let p = match days_past_due {
                Some(_) => 1.0,
                None => (late as f64 + PRIOR * rate) / (known as f64 + PRIOR),
            };
            let exposure = if due_only_after {
                i.base_total
            } else {
                chaseable(i)
            };
            let score = exposure.to_f64().unwrap_or(0.0) * p;
            let reasons: Reasons = vec![
                (
                    // Late on the customer's invoices that have come due:
                    // paid after the due day or still open past it ("paid
                    // late 1 of 1" was read of an invoice not paid at all).
                    "late".into(),
                    // No record of its own: the estimate is every
                    // customer's rate ("0 of 0 invoices" said nothing).
                    if known == 0 {
                        "no invoice due yet (all customers' rate)".to_string()
                    } else {
                        format!("{late} of {known} invoices due")
                    },
                ),
                (
                    "p(late)".into(),
                    match days_past_due {
                        // Late already: a fact, not the estimate.
                        Some(d) => {
                            let s = if d == 1 { "" } else { "s" };
                            format!("100% (late: {d} day{s} past due)")
                        }
                        None => format!("{:.0}%", p * 100.0),
                    },
                ),
                ("exposure".into(), money(exposure)),
                ("due".into(), i.due.to_string()),
            ];
            Suggestion {
                invoice: i.number.to_string(),
                customer: i.customer.to_string(),
                exposure,
                p_late: p,
                score,
                days_past_due,
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.invoice.cmp(&b.invoice)));
    out
}

/// Precision at k of the model's ranking and of the baseline's (biggest
/// exposure first) against the invoices that were in fact paid late.
#[derive(Clone, Debug, Default)]
pub struct Quality {
    pub k: usize,
    pub train: usize,
    pub test: usize,
    pub late: usize,
    pub model: f64,
    pub baseline: f64,
}

pub fn evaluate(state: &State, asof: NaiveDate, end: NaiveDate, k: usize) -> Option<Quality> {
    let settled = settled_on(state);
    let (per, _) = history(state, &settled, asof);
    let mut ranked = rank(state, &settled, asof, true);
    // Only invoices whose outcome is known by the end.
    ranked.retain(|s| {
        state.invoices.get(&s.invoice.to_code()).is_some_and(|i| {
            late_as_of(i.due, settled.get(i.number.as_str()).copied(), end).is_some()
        })
    });
    let label = |s: &Suggestion| {
        state.invoices.get(&s.invoice.to_code()).is_some_and(|i| {
            late_as_of(i.due, settled.get(i.number.as_str()).copied(), end) == Some(true)
        })
    };
    let model: Vec<bool> = ranked.iter().map(label).collect();
    let mut by_exposure = ranked.clone();
    by_exposure.sort_by(|a, b| b.exposure.cmp(&a.exposure).then(a.invoice.cmp(&b.invoice)));
    let baseline: Vec<bool> = by_exposure.iter().map(label).collect();
    Some(Quality {
        k,
        train: per.values().map(|(_, n)| *n as usize).sum(),
        test: ranked.len(),
        late: model.iter().filter(|l| **l).count(),
        model: super::stats::precision_at_k(&model, k)?,
        baseline: super::stats::precision_at_k(&baseline, k)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_as_of_by_hand() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let due = d("2026-03-31");
        assert_eq!(
            late_as_of(due, Some(d("2026-03-30")), d("2026-05-01")),
            Some(false)
        );
        assert_eq!(
            late_as_of(due, Some(d("2026-04-10")), d("2026-05-01")),
            Some(true)
        );
        // Paid after the day asked about: open and overdue then.
        assert_eq!(
            late_as_of(due, Some(d("2026-04-10")), d("2026-04-05")),
            Some(true)
        );
        // Open, not yet due: unknown.
        assert_eq!(late_as_of(due, None, d("2026-03-01")), None);
    }
}
