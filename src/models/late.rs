//! Late-shipment risk per open order: a logistic regression on what is
//! known when the order is placed (days to the requested day, lines,
//! units, the day's order load, the backlog open in its warehouse, the
//! carrier), trained on the orders the store has shipped. An order is
//! late when its first shipment left after the day requested.

use super::stats::{auc, Logistic};
use super::Reasons;
use crate::core::sales::{OrderStatus, SalesOrder};
use crate::core::State;
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// What the features need beyond the order.
pub struct Context {
    /// Orders placed per (warehouse, day).
    pub placed: BTreeMap<(String, NaiveDate), f64>,
    /// First shipment day per order.
    pub shipped: BTreeMap<String, NaiveDate>,
    /// Carriers seen (one feature each).
    pub carriers: Vec<String>,
}

impl Context {
    pub fn new(state: &State) -> Context {
        let mut placed: BTreeMap<(String, NaiveDate), f64> = BTreeMap::new();
        let mut carriers: Vec<String> = Vec::new();
        for o in orders(state) {
            *placed.entry((warehouse(o), o.date)).or_default() += 1.0;
            if let Some(c) = &o.carrier {
                if !carriers.iter().any(|k| k == c) {
                    carriers.push(c.to_string());
                }
            }
        }
        carriers.sort();
        let mut shipped: BTreeMap<String, NaiveDate> = BTreeMap::new();
        for s in state.shipments.values() {
            let e = shipped.entry(s.order.to_string()).or_insert(s.date);
            if s.date < *e {
                *e = s.date;
            }
        }
        Context {
            placed,
            shipped,
            carriers,
        }
    }

    pub fn names(&self) -> Vec<String> {
        let mut n: Vec<String> = [
            "days to requested",
            "lines",
            "units",
            "orders that day",
            "backlog",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        n.extend(self.carriers.iter().map(|c| format!("carrier {c}")));
        n
    }

    pub fn features(&self, o: &SalesOrder) -> Vec<f64> {
        let wh = warehouse(o);
        let backlog = (1..=5)
            .map(|d| {
                self.placed
                    .get(&(wh.clone(), o.date - chrono::Duration::days(d)))
                    .copied()
                    .unwrap_or(0.0)
            })
            .sum::<f64>();
        let mut f = vec![
            (o.requested - o.date).num_days() as f64,
            o.lines.len() as f64,
            o.lines
                .iter()
                .map(|l| l.qty.to_f64().unwrap_or(0.0))
                .sum::<f64>(),
            self.placed.get(&(wh, o.date)).copied().unwrap_or(0.0),
            backlog,
        ];
        f.extend(self.carriers.iter().map(|c| {
            if o.carrier.as_deref() == Some(c.as_str()) {
                1.0
            } else {
                0.0
            }
        }));
        f
    }

    /// Late: shipped after the day requested (None: not shipped yet).
    pub fn late(&self, o: &SalesOrder) -> Option<bool> {
        self.shipped
            .get(o.number.as_str())
            .map(|d| *d > o.requested)
    }
}

fn orders(state: &State) -> impl Iterator<Item = &SalesOrder> {
    state
        .orders
        .values()
        .filter(|o| matches!(o.status, OrderStatus::Open | OrderStatus::Held))
}

fn warehouse(o: &SalesOrder) -> String {
    o.lines
        .first()
        .map(|l| l.warehouse.clone())
        .unwrap_or_default()
        .to_string()
}

/// The naive rule: the fewer days to the requested day, the riskier.
pub fn naive(o: &SalesOrder) -> f64 {
    -((o.requested - o.date).num_days() as f64)
}

/// Train on the orders placed before `cutoff` that have shipped.
pub fn train(state: &State, ctx: &Context, cutoff: NaiveDate) -> Option<(Logistic, usize)> {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for o in orders(state).filter(|o| o.date < cutoff) {
        if let Some(l) = ctx.late(o) {
            if ctx
                .shipped
                .get(o.number.as_str())
                .is_some_and(|d| *d < cutoff)
            {
                x.push(ctx.features(o));
                y.push(l);
            }
        }
    }
    if !y.iter().any(|l| *l) || y.iter().all(|l| *l) {
        return None;
    }
    let n = y.len();
    Some((Logistic::fit(ctx.names(), &x, &y, 400, 1e-3), n))
}

/// One order at risk, and why.
#[derive(Clone, Debug)]
pub struct Risk {
    pub order: String,
    pub p_late: f64,
    pub reasons: Reasons,
}

/// The risk of an order, with its three biggest factors toward lateness.
pub fn risk(model: &Logistic, ctx: &Context, o: &SalesOrder) -> Risk {
    let x = ctx.features(o);
    let c = model.contributions(&x);
    let mut idx: Vec<usize> = (0..c.len()).collect();
    idx.sort_by(|a, b| c[*b].total_cmp(&c[*a]));
    let reasons = idx
        .iter()
        .take(3)
        .map(|j| {
            (
                model.names[*j].clone(),
                format!("{} ({:+.2} log-odds)", x[*j], c[*j]),
            )
        })
        .collect();
    Risk {
        order: o.number.to_string(),
        p_late: model.predict(&x),
        reasons,
    }
}

/// AUC of the model and of the naive rule on the orders placed from
/// `cutoff` on that have shipped.
#[derive(Clone, Debug, Default)]
pub struct Quality {
    pub train: usize,
    pub test: usize,
    pub late: usize,
    pub model: f64,
    pub naive: f64,
}

pub fn evaluate(state: &State, cutoff: NaiveDate, until: NaiveDate) -> Option<Quality> {
    let ctx = Context::new(state);
    let (model, n) = train(state, &ctx, cutoff)?;
    let (mut ms, mut ns, mut ys) = (Vec::new(), Vec::new(), Vec::new());
    for o in orders(state).filter(|o| o.date >= cutoff && o.date <= until) {
        if let Some(l) = ctx.late(o) {
            ms.push(model.predict(&ctx.features(o)));
            ns.push(naive(o));
            ys.push(l);
        }
    }
    Some(Quality {
        train: n,
        test: ys.len(),
        late: ys.iter().filter(|l| **l).count(),
        model: auc(&ms, &ys)?,
        naive: auc(&ns, &ys)?,
    })
}

/// Open orders not shipped yet, riskiest first.
pub fn open_risks(state: &State) -> Vec<Risk> {
    let ctx = Context::new(state);
    let cutoff = state
        .orders
        .values()
        .map(|o| o.date)
        .max()
        .map(|d| d + chrono::Duration::days(1));
    let Some((model, _)) = cutoff.and_then(|c| train(state, &ctx, c)) else {
        return Vec::new();
    };
    let mut out: Vec<Risk> = orders(state)
        .filter(|o| o.status == OrderStatus::Open && !ctx.shipped.contains_key(o.number.as_str()))
        .map(|o| risk(&model, &ctx, o))
        .collect();
    out.sort_by(|a, b| b.p_late.total_cmp(&a.p_late).then(a.order.cmp(&b.order)));
    out
}
