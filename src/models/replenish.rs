//! The demand forecast (`forecast.rs`) beside each replenishment
//! suggestion: the forecast's demand over the supplier's lead time, and a
//! forecast-based quantity (order up to the forecast demand over the lead
//! time plus the review period, plus the suggestion's safety stock, less
//! the stock position), with its reasons.
//!
//! The forecast is f64 inside the model; what it says about quantities
//! leaves this module as Decimal, rounded up to what the item counts in,
//! so the buyer's quantity (accepted through the ordinary
//! `accept_replenishment` command) never carries a float.

use super::forecast::{daily_demand, forecast, weekday_profile};
use super::Reasons;
use crate::core::replenish::Suggestion;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::State;
use chrono::{Duration, NaiveDate};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;

/// Days of order history a forecast needs before it is shown.
pub const HISTORY_DAYS_MIN: usize = 28;

/// The forecast beside one suggestion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advice {
    pub warehouse: String,
    pub sku: String,
    /// "ses" or "croston-sba".
    pub method: &'static str,
    /// The fitted level: base units a day before the weekday profile
    /// (4 decimals).
    pub level: Decimal,
    /// Forecast demand of the next 7 days (2 decimals).
    pub weekly: Decimal,
    /// Lead time and review period of the suggestion, in days.
    pub lead_days: u32,
    pub review_days: u32,
    /// Forecast demand over the lead time, and over lead time plus
    /// review, rounded up to the item's unit.
    pub lead_demand: Decimal,
    pub horizon_demand: Decimal,
    /// Order up to: horizon demand plus the suggestion's safety stock.
    pub order_up_to: Decimal,
    /// What to order: in the suggestion's (supplier's) unit, and in base
    /// units (zero: the forecast says the position is enough).
    pub unit_qty: Decimal,
    pub qty: Decimal,
    pub reasons: Reasons,
}

fn up(x: Decimal, dp: u32) -> Decimal {
    x.round_dp_with_strategy(dp, RoundingStrategy::AwayFromZero)
}

fn dec(x: f64) -> Decimal {
    if x.is_finite() {
        Decimal::from_f64(x).unwrap_or_default()
    } else {
        Decimal::ZERO
    }
}

/// The forecast for each suggestion (by warehouse and SKU), trained on
/// the daily units ordered up to the day before `today`. Suggestions of
/// items never ordered, or a store with under `HISTORY_DAYS_MIN` days of
/// orders, get none.
pub fn advise(
    state: &State,
    today: NaiveDate,
    suggestions: &[Suggestion],
) -> BTreeMap<(Code, Code), Advice> {
    let mut out = BTreeMap::new();
    if suggestions.is_empty() {
        return out;
    }
    let end = today - Duration::days(1);
    let (first, series) = daily_demand(state, end);
    let Some(len) = series.values().next().map(Vec::len) else {
        return out;
    };
    if len < HISTORY_DAYS_MIN {
        return out;
    }
    let profile = weekday_profile(first, series.values().map(|s| s.as_slice()));
    for sug in suggestions {
        let key = (sug.sku.to_string(), sug.warehouse.to_string());
        let Some(train) = series.get(&key) else {
            continue;
        };
        let Some(item) = state.items.get(&sug.sku) else {
            continue;
        };
        let review_days = state
            .replenishment
            .get(&(sug.warehouse.clone(), sug.sku.clone()))
            .map(|p| p.review_days)
            .unwrap_or(0);
        let lead = sug.lead_time_days as usize;
        let horizon = lead + review_days as usize;
        let f = forecast(
            &sug.sku,
            &sug.warehouse,
            train,
            first,
            &profile,
            horizon.max(7),
        );
        let sum = |n: usize| dec(f.days.iter().take(n).sum::<f64>());
        let dp = item.qty_decimals;
        let lead_demand = up(sum(lead), dp);
        let horizon_demand = up(sum(horizon), dp);
        let weekly = sum(7).round_dp(2);
        let level = dec(f.level).round_dp(4);
        let order_up_to = horizon_demand + sug.safety_stock;
        let need = order_up_to - sug.position;
        let factor = item.unit_factor(&sug.unit).unwrap_or(Decimal::ONE);
        let unit_dp = if factor == Decimal::ONE { dp } else { 0 };
        let mut unit_qty = if need > Decimal::ZERO {
            up(need / factor, unit_dp)
        } else {
            Decimal::ZERO
        };
        let mut why_qty = format!(
            "order up to {order_up_to} = {horizon_demand} forecast over {horizon} days \
             + safety stock {}; position {}: need {}",
            sug.safety_stock,
            sug.position,
            need.max(Decimal::ZERO)
        );
        let min = state
            .suppliers
            .get(&sug.supplier.as_deref().unwrap_or_default().to_code())
            .and_then(|s| s.items.iter().find(|i| i.sku == sug.sku))
            .map(|i| i.min_qty)
            .unwrap_or_default();
        if unit_qty > Decimal::ZERO && min > unit_qty {
            unit_qty = min;
            why_qty.push_str(&format!("; supplier minimum {min} {}", sug.unit));
        }
        if factor != Decimal::ONE {
            why_qty.push_str(&format!("; {unit_qty} {} of {factor}", sug.unit));
        }
        let mut reasons: Reasons = f
            .reasons
            .iter()
            .filter(|(k, _)| k != "units/day")
            .cloned()
            .collect();
        reasons.insert(
            1,
            ("level".into(), format!("{level} {}/day", item.base_unit)),
        );
        reasons.push((
            "horizon".into(),
            format!("{lead} days lead time + {review_days} days review = {horizon} days"),
        ));
        reasons.push((
            "lead-time demand".into(),
            format!(
                "{lead_demand} {} (weekly {weekly}, reorder point method {}/week)",
                item.base_unit, sug.weekly_demand
            ),
        ));
        reasons.push(("quantity".into(), why_qty));
        out.insert(
            (sug.warehouse.clone(), sug.sku.clone()),
            Advice {
                warehouse: sug.warehouse.to_string(),
                sku: sug.sku.to_string(),
                method: f.method,
                level,
                weekly,
                lead_days: sug.lead_time_days,
                review_days,
                lead_demand,
                horizon_demand,
                order_up_to,
                qty: unit_qty * factor,
                unit_qty,
                reasons,
            },
        );
    }
    out
}

/// The reasons as one line ("method croston-sba; level 1.2 BOX/day; ...").
pub fn reasons_line(r: &Reasons) -> String {
    r.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}
