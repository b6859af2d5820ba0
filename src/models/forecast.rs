//! Demand forecast per item and warehouse from the order lines of the
//! store's own history: daily units ordered, a weekday profile pooled over
//! the warehouse, then simple exponential smoothing of the deseasonalised
//! series for items ordered most days, Croston with the Syntetos-Boylan
//! correction for intermittent ones. Measured by MASE on the held-out last
//! days against the seasonal naive forecast (the same weekday last week).

use super::Reasons;
use crate::core::State;
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

/// The weekly season.
pub const PERIOD: usize = 7;
/// Mean days between demands above which an item counts as intermittent
/// (Syntetos-Boylan's cut-off).
pub const ADI_CUTOFF: f64 = 1.32;
const ALPHAS: [f64; 5] = [0.02, 0.05, 0.1, 0.2, 0.3];

/// Simple exponential smoothing: the level after the series, and the
/// in-sample mean absolute one-step error.
pub fn ses(y: &[f64], alpha: f64) -> (f64, f64) {
    let Some(first) = y.first() else {
        return (0.0, 0.0);
    };
    let mut level = *first;
    let mut err = 0.0;
    for v in &y[1..] {
        err += (v - level).abs();
        level += alpha * (v - level);
    }
    (level, err / (y.len().max(2) - 1) as f64)
}

/// Croston-SBA: the demand rate per period (smoothed size over smoothed
/// interval, times 1 - alpha/2). Zero without any demand.
pub fn croston_sba(y: &[f64], alpha: f64) -> f64 {
    let mut size: Option<f64> = None;
    let mut interval = 0.0;
    let mut since = 0.0;
    for v in y {
        since += 1.0;
        if *v > 0.0 {
            match size {
                None => {
                    size = Some(*v);
                    interval = since;
                }
                Some(s) => {
                    size = Some(s + alpha * (v - s));
                    interval += alpha * (since - interval);
                }
            }
            since = 0.0;
        }
    }
    match size {
        Some(s) if interval > 0.0 => (1.0 - alpha / 2.0) * s / interval,
        _ => 0.0,
    }
}

/// The seasonal naive forecast of the `h` days after `train`.
pub fn seasonal_naive(train: &[f64], period: usize, h: usize) -> Vec<f64> {
    if train.len() < period {
        return vec![train.last().copied().unwrap_or(0.0); h];
    }
    let base = train.len() - period;
    (0..h).map(|i| train[base + i % period]).collect()
}

/// Mean absolute scaled error: the forecast's mean absolute error over
/// the mean absolute error of the in-sample seasonal naive forecast.
/// None when that scale is zero (a series without change).
pub fn mase(actual: &[f64], forecast: &[f64], train: &[f64], period: usize) -> Option<f64> {
    if train.len() <= period || actual.is_empty() {
        return None;
    }
    let scale = train
        .windows(period + 1)
        .map(|w| (w[period] - w[0]).abs())
        .sum::<f64>()
        / (train.len() - period) as f64;
    if scale <= 0.0 {
        return None;
    }
    let mae = actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| (a - f).abs())
        .sum::<f64>()
        / actual.len() as f64;
    Some(mae / scale)
}

/// Daily units ordered per (item, warehouse), from the first order day
/// to `end`, and that first day.
pub fn daily_demand(
    state: &State,
    end: NaiveDate,
) -> (NaiveDate, BTreeMap<(String, String), Vec<f64>>) {
    let first = state
        .orders
        .values_any_order()
        .map(|o| o.date)
        .min()
        .unwrap_or(end);
    let days = (end - first).num_days().max(0) as usize + 1;
    let mut out: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for o in state.orders.values_sorted() {
        if o.date > end || o.status == crate::core::sales::OrderStatus::Quote {
            continue;
        }
        let t = (o.date - first).num_days() as usize;
        for l in o.lines.iter().filter(|l| !l.cancelled) {
            let s = out
                .entry((l.sku.to_string(), l.warehouse.to_string()))
                .or_insert_with(|| vec![0.0; days]);
            s[t] += decimal_f64(l.qty);
        }
    }
    (first, out)
}

fn decimal_f64(d: rust_decimal::Decimal) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

/// A weekday profile (Monday first, mean 1) of a set of series that start
/// on `first`.
pub fn weekday_profile<'a>(first: NaiveDate, series: impl Iterator<Item = &'a [f64]>) -> [f64; 7] {
    let mut sum = [0.0; 7];
    let mut n = [0.0; 7];
    let offset = first.weekday().num_days_from_monday() as usize;
    for s in series {
        for (t, v) in s.iter().enumerate() {
            sum[(t + offset) % 7] += v;
            n[(t + offset) % 7] += 1.0;
        }
    }
    let mut m = [1.0; 7];
    for d in 0..7 {
        if n[d] > 0.0 {
            m[d] = sum[d] / n[d];
        }
    }
    let avg = m.iter().sum::<f64>() / 7.0;
    if avg > 0.0 {
        for v in &mut m {
            *v = (*v / avg).max(0.05);
        }
    }
    m
}

/// The forecast of one item in one warehouse.
#[derive(Clone, Debug)]
pub struct Forecast {
    pub sku: String,
    pub warehouse: String,
    pub method: &'static str,
    /// Units a day before the weekday profile.
    pub level: f64,
    pub alpha: f64,
    /// The next `h` days.
    pub days: Vec<f64>,
    pub reasons: Reasons,
}

/// Forecast the `h` days after `train` (which starts on `first`).
pub fn forecast(
    sku: &str,
    warehouse: &str,
    train: &[f64],
    first: NaiveDate,
    profile: &[f64; 7],
    h: usize,
) -> Forecast {
    let offset = first.weekday().num_days_from_monday() as usize;
    let nonzero = train.iter().filter(|v| **v > 0.0).count();
    let adi = if nonzero > 0 {
        train.len() as f64 / nonzero as f64
    } else {
        f64::INFINITY
    };
    let de: Vec<f64> = train
        .iter()
        .enumerate()
        .map(|(t, v)| v / profile[(t + offset) % 7])
        .collect();
    let (method, level, alpha) = if adi > ADI_CUTOFF {
        // Fixed small alpha: few demands to choose one by.
        ("croston-sba", croston_sba(&de, 0.1), 0.1)
    } else {
        let (mut best, mut best_err, mut best_alpha) = (0.0, f64::INFINITY, ALPHAS[0]);
        for a in ALPHAS {
            let (l, e) = ses(&de, a);
            if e < best_err {
                (best, best_err, best_alpha) = (l, e, a);
            }
        }
        ("ses", best, best_alpha)
    };
    let days: Vec<f64> = (0..h)
        .map(|i| level * profile[(train.len() + i + offset) % 7])
        .collect();
    let reasons = vec![
        ("method".to_string(), method.to_string()),
        ("units/day".to_string(), format!("{level:.2}")),
        (
            "days with demand".to_string(),
            format!("{nonzero} of {} (ADI {adi:.2})", train.len()),
        ),
        ("alpha".to_string(), format!("{alpha}")),
    ];
    Forecast {
        sku: sku.into(),
        warehouse: warehouse.into(),
        method,
        level,
        alpha,
        days,
        reasons,
    }
}

/// MASE of the model and of the seasonal naive forecast over the last
/// `holdout` days up to `end`.
#[derive(Clone, Debug, Default)]
pub struct Quality {
    pub series: usize,
    pub intermittent: usize,
    pub train_days: usize,
    pub test_days: usize,
    /// Mean MASE over the series (all; intermittent only).
    pub model: f64,
    pub naive: f64,
    pub model_intermittent: f64,
    pub naive_intermittent: f64,
}

pub fn evaluate(state: &State, end: NaiveDate, holdout: usize) -> Option<Quality> {
    let (first, series) = daily_demand(state, end);
    let len = series.values().next()?.len();
    if len <= holdout + 4 * PERIOD {
        return None;
    }
    let split = len - holdout;
    let profile = weekday_profile(first, series.values().map(|s| &s[..split]));
    let mut q = Quality {
        train_days: split,
        test_days: holdout,
        ..Quality::default()
    };
    let (mut m, mut n, mut mi, mut ni) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((sku, wh), s) in &series {
        let (train, test) = s.split_at(split);
        let f = forecast(sku, wh, train, first, &profile, holdout);
        let naive = seasonal_naive(train, PERIOD, holdout);
        let (Some(a), Some(b)) = (
            mase(test, &f.days, train, PERIOD),
            mase(test, &naive, train, PERIOD),
        ) else {
            continue;
        };
        m.push(a);
        n.push(b);
        if f.method == "croston-sba" {
            mi.push(a);
            ni.push(b);
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    q.series = m.len();
    q.intermittent = mi.len();
    q.model = mean(&m);
    q.naive = mean(&n);
    q.model_intermittent = mean(&mi);
    q.naive_intermittent = mean(&ni);
    (q.series > 0).then_some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ses_by_hand() {
        // Level 2, then 2 + 0.5 x (4 - 2) = 3, then 3 + 0.5 x (0 - 3) = 1.5.
        let (l, e) = ses(&[2.0, 4.0, 0.0], 0.5);
        assert_eq!(l, 1.5);
        // One-step errors |4 - 2| and |0 - 3|.
        assert_eq!(e, 2.5);
    }

    #[test]
    fn croston_by_hand() {
        // Demands 4 at t=2 (interval 2) and 6 at t=4 (interval 2):
        // size 4 + 0.5 x 2 = 5, interval 2; SBA 0.75 x 5 / 2.
        let r = croston_sba(&[0.0, 4.0, 0.0, 6.0], 0.5);
        assert!((r - 1.875).abs() < 1e-12);
        assert_eq!(croston_sba(&[0.0, 0.0], 0.5), 0.0);
    }

    #[test]
    fn mase_and_naive_by_hand() {
        let train = [1.0, 2.0, 3.0, 5.0];
        // Period 2: in-sample naive errors |3-1|, |5-2| -> scale 2.5.
        assert_eq!(seasonal_naive(&train, 2, 3), vec![3.0, 5.0, 3.0]);
        let m = mase(&[4.0, 4.0], &[3.0, 5.0], &train, 2);
        assert_eq!(m, Some(1.0 / 2.5));
        assert_eq!(mase(&[1.0], &[1.0], &[2.0, 2.0, 2.0], 1), None);
    }
}
