//! Assisted automation (issue 23): models trained on the store's own
//! history, pure functions over `&State` (f64 for scores and
//! probabilities, never for money). Every suggestion carries its reasons:
//! its top factors with the numbers behind them. Nothing here changes the
//! state; a person acts on a suggestion through the ordinary commands.
//!
//! `evaluate` measures each model on held-out history against a baseline
//! (`depot report models`, docs/models.md).

pub mod collections;
pub mod discrepancy;
pub mod forecast;
pub mod late;
pub mod replenish;
pub mod stats;
pub mod substitutes;

use crate::core::State;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

/// A suggestion's factors: (what, the numbers).
pub type Reasons = Vec<(String, String)>;

pub(crate) fn money(d: Decimal) -> String {
    format!("{:.2}", d.round_dp(2))
}

/// Days held out at the end of the history.
pub const HOLDOUT_DAYS: i64 = 90;
/// Days of the forecast's held-out horizon.
pub const FORECAST_DAYS: usize = 28;
/// k of the collections ranking's precision.
pub const TOP_K: usize = 20;
/// Seed of the errors injected into held-out invoice drafts.
pub const INJECT_SEED: u64 = 23;

/// Every model's figure and its baseline's on held-out history.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    pub end: Option<NaiveDate>,
    pub cutoff: Option<NaiveDate>,
    pub forecast: Option<forecast::Quality>,
    pub late: Option<late::Quality>,
    pub collections: Option<collections::Quality>,
    pub discrepancy: Option<discrepancy::Quality>,
}

/// The last day with an order.
pub fn last_day(state: &State) -> Option<NaiveDate> {
    state.orders.values_any_order().map(|o| o.date).max()
}

pub fn evaluate(state: &State) -> Evaluation {
    let Some(end) = last_day(state) else {
        return Evaluation::default();
    };
    let cutoff = end - Duration::days(HOLDOUT_DAYS);
    Evaluation {
        end: Some(end),
        cutoff: Some(cutoff),
        forecast: forecast::evaluate(state, end, FORECAST_DAYS),
        late: late::evaluate(state, cutoff, end - Duration::days(7)),
        collections: collections::evaluate(state, cutoff, end, TOP_K),
        discrepancy: discrepancy::evaluate(state, cutoff, INJECT_SEED),
    }
}
