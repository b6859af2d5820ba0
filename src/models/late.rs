//! Late-shipment risk per open order: a logistic regression on what is
//! known when the order is placed (days to the requested day, lines,
//! units, the day's order load, the backlog open in its warehouse, the
//! stock position: lines and units short when placed, the recent lead
//! time of the suppliers of the short items, the customer's policy: ship
//! complete or partial, the carrier), trained on the orders the store has
//! shipped. An order is late when its first shipment left after the day
//! requested.
//!
//! Everything is computed once per state (`Context::new`), never by
//! scanning history per order: the stock position at placement comes
//! from one sweep over the orders in the order they were placed against
//! each item's supply (the daily moves of its cost pool in the order's
//! entity, shipments added back: receipts, returns restocked, counts and
//! adjustments), which is the free stock allocation saw when the entity
//! stocks the item in one warehouse.

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
    /// Per order: (lines short, share of its units short) when placed.
    pub short: BTreeMap<String, (f64, f64)>,
    /// Per order: the longest recent lead time (days) of the suppliers of
    /// its short items (0 when nothing was short).
    pub short_lead: BTreeMap<String, f64>,
    /// Orders that ship complete (the policy they were placed under, else
    /// their customer's).
    pub complete: std::collections::BTreeSet<String>,
}

/// Receipts whose lead times make a supplier's recent lead time.
pub const RECENT_RECEIPTS: usize = 4;

/// The cumulative supply of each (entity, item) by day: every move of
/// its cost pool with its shipments added back.
type Supply = BTreeMap<(String, String), Vec<(NaiveDate, f64)>>;

fn supply(state: &State) -> Supply {
    let mut daily: BTreeMap<(String, String, NaiveDate), f64> = BTreeMap::new();
    for ((entity, sku), days) in &state.pool_days {
        for (day, p) in days.days() {
            *daily
                .entry((entity.to_string(), sku.to_string(), *day))
                .or_default() += p.qty.to_f64().unwrap_or(0.0);
        }
    }
    for s in state.shipments.values_sorted() {
        for l in &s.lines {
            *daily
                .entry((s.entity.to_string(), l.sku.to_string(), s.date))
                .or_default() += l.qty.to_f64().unwrap_or(0.0);
        }
    }
    let mut out: Supply = BTreeMap::new();
    for ((entity, sku, day), q) in daily {
        let v = out.entry((entity, sku)).or_default();
        let before = v.last().map_or(0.0, |x| x.1);
        v.push((day, before + q));
    }
    out
}

/// Supply of `key` up to and including `day`.
fn supply_on(s: &Supply, key: &(String, String), day: NaiveDate) -> f64 {
    let Some(v) = s.get(key) else {
        return 0.0;
    };
    let n = v.partition_point(|x| x.0 <= day);
    if n == 0 {
        0.0
    } else {
        v[n - 1].1
    }
}

/// Each supplier's receipts: (day received, lead time in days from the
/// PO), by day.
fn receipt_leads(state: &State) -> BTreeMap<String, Vec<(NaiveDate, f64)>> {
    let mut out: BTreeMap<String, Vec<(NaiveDate, f64)>> = BTreeMap::new();
    for g in state.goods_receipts.values() {
        if let Some(po) = state.purchase_orders.get(&g.po) {
            out.entry(g.supplier.to_string())
                .or_default()
                .push((g.date, (g.date - po.date).num_days() as f64));
        }
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    }
    out
}

/// The mean lead time of a supplier's last receipts before `day`.
fn recent_lead(leads: &[(NaiveDate, f64)], day: NaiveDate) -> Option<f64> {
    let n = leads.partition_point(|x| x.0 < day);
    let recent = &leads[n.saturating_sub(RECENT_RECEIPTS)..n];
    (!recent.is_empty()).then(|| recent.iter().map(|x| x.1).sum::<f64>() / recent.len() as f64)
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
        for s in state.shipments.values_sorted() {
            let e = shipped.entry(s.order.to_string()).or_insert(s.date);
            if s.date < *e {
                *e = s.date;
            }
        }
        // Who supplies each item: the first active supplier listing it.
        let mut supplier_of: BTreeMap<&str, &str> = BTreeMap::new();
        for s in state.suppliers.values().filter(|s| s.active) {
            for i in &s.items {
                supplier_of.entry(i.sku.as_str()).or_insert(s.code.as_str());
            }
        }
        let leads = receipt_leads(state);
        // The orders in the order they were placed, each against the
        // supply of its items less what the orders before it took.
        let sup = supply(state);
        let mut placed_orders: Vec<&SalesOrder> = orders(state).collect();
        placed_orders.sort_by(|a, b| a.date.cmp(&b.date).then(a.number.cmp(&b.number)));
        let mut taken: BTreeMap<(String, String), f64> = BTreeMap::new();
        let mut short = BTreeMap::new();
        let mut short_lead = BTreeMap::new();
        let mut complete = std::collections::BTreeSet::new();
        // A customer's policy, worked out once (an order placed under a
        // channel policy keeps its own record).
        let mut customer_complete: BTreeMap<&str, bool> = BTreeMap::new();
        for o in placed_orders {
            let yes = match state.order_policies.get(&o.number) {
                Some(p) => p.ship_complete.value,
                None => *customer_complete
                    .entry(o.customer.as_str())
                    .or_insert_with(|| {
                        crate::core::channel::of_order(state, o)
                            .is_some_and(|p| p.ship_complete.value)
                    }),
            };
            if yes {
                complete.insert(o.number.to_string());
            }
            let (mut lines, mut units, mut total, mut lead) = (0.0, 0.0, 0.0, 0.0f64);
            for l in o.lines.iter().filter(|l| !l.cancelled) {
                let key = (o.entity.to_string(), l.sku.to_string());
                let qty = l.qty.to_f64().unwrap_or(0.0);
                let t = taken.entry(key.clone()).or_default();
                let free = (supply_on(&sup, &key, o.date) - *t).max(0.0);
                *t += qty;
                total += qty;
                let s = (qty - free).clamp(0.0, qty);
                if s > 0.0 {
                    lines += 1.0;
                    units += s;
                    if let Some(d) = supplier_of
                        .get(l.sku.as_str())
                        .and_then(|c| leads.get(*c))
                        .and_then(|v| recent_lead(v, o.date))
                    {
                        lead = lead.max(d);
                    }
                }
            }
            let share = if total > 0.0 { units / total } else { 0.0 };
            short.insert(o.number.to_string(), (lines, share));
            short_lead.insert(o.number.to_string(), lead);
        }
        Context {
            placed,
            shipped,
            carriers,
            short,
            short_lead,
            complete,
        }
    }

    pub fn names(&self) -> Vec<String> {
        let mut n: Vec<String> = [
            "days to requested",
            "lines",
            "units",
            "orders that day",
            "backlog",
            "lines short",
            "share of units short",
            "supplier lead time of short items",
            "ship complete",
            "lines short, ship complete",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        n.extend(self.carriers.iter().map(|c| format!("carrier {c}")));
        n
    }

    /// Feature `name` (one of `names()`) of value `v` as a reason reads: a number beside its
    /// name, a yes or no for "ship complete", and the carrier named for
    /// the carrier's indicator ("carrier: ODFL", "carrier: not FEDEX"),
    /// not "carrier FEDEX: 0".
    pub fn shown(name: &str, v: f64) -> (String, String) {
        let yes = v != 0.0;
        // The names are `names()`'s: "carrier C" for each indicator.
        match name.strip_prefix("carrier ") {
            Some(c) if yes => ("carrier".into(), c.to_string()),
            Some(c) => ("carrier".into(), format!("not {c}")),
            None if name == "ship complete" => (name.into(), if yes { "yes" } else { "no" }.into()),
            None => (name.to_string(), number(v)),
        }
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
        let (lines_short, share_short) = self
            .short
            .get(o.number.as_str())
            .copied()
            .unwrap_or((0.0, 0.0));
        let complete = if self.complete.contains(o.number.as_str()) {
            1.0
        } else {
            0.0
        };
        f.extend([
            lines_short,
            share_short,
            self.short_lead
                .get(o.number.as_str())
                .copied()
                .unwrap_or(0.0),
            complete,
            lines_short * complete,
        ]);
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
        .values_sorted()
        .into_iter()
        .map(|o| &**o)
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

/// A feature's value as shown: whole numbers plainly, else two decimals.
fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v}")
    } else {
        format!("{v:.2}")
    }
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
    // Only what adds to the odds is a reason it may be late.
    let reasons = idx
        .iter()
        .filter(|j| c[**j] > 0.0)
        .take(3)
        .map(|j| {
            let (name, value) = Context::shown(&model.names[*j], x[*j]);
            (name, format!("{value} ({:+.2} log-odds)", c[*j]))
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

/// The last day the state records anything (an order placed, a
/// shipment, an invoice, a receipt): the business day `open_risks` takes
/// as today when it is given none.
pub fn last_recorded_day(state: &State) -> Option<NaiveDate> {
    let orders = state.orders.values_any_order().map(|o| o.date);
    let shipments = state.shipments.values_any_order().map(|s| s.date);
    let invoices = state.invoices.values_any_order().map(|i| i.date);
    let receipts = state.receipts.values_any_order().map(|r| r.date);
    orders
        .chain(shipments)
        .chain(invoices)
        .chain(receipts)
        .max()
}

/// Whether an open order is late already on `today`: asked for a day
/// before it with nothing shipped (the model's label, first shipment
/// after the requested day, is then certain). Such an order is not a
/// prediction: `open_risks_on` leaves it out, and the clock-computed
/// "late shipment" exception (`core::exceptions::late_shipments`, by the
/// customer's must-arrive days, else by the day requested) lists it.
pub fn already_late(o: &SalesOrder, today: NaiveDate) -> bool {
    o.requested < today && o.lines.iter().all(|l| l.shipped.is_zero())
}

/// Open orders not shipped yet, riskiest first, as of the last day the
/// state records (`last_recorded_day`); the caller that knows today's
/// date should call `open_risks_on`.
pub fn open_risks(state: &State) -> Vec<Risk> {
    match last_recorded_day(state) {
        Some(today) => open_risks_on(state, today),
        None => Vec::new(),
    }
}

/// Open orders not shipped yet and not late already on `today` (still
/// asked for today or later: `already_late`), riskiest first.
pub fn open_risks_on(state: &State, today: NaiveDate) -> Vec<Risk> {
    let ctx = Context::new(state);
    let cutoff = state
        .orders
        .values_sorted()
        .into_iter()
        .map(|o| o.date)
        .max()
        .map(|d| d + chrono::Duration::days(1));
    let Some((model, _)) = cutoff.and_then(|c| train(state, &ctx, c)) else {
        return Vec::new();
    };
    let mut out: Vec<Risk> = orders(state)
        .filter(|o| o.status == OrderStatus::Open && !ctx.shipped.contains_key(o.number.as_str()))
        .filter(|o| !already_late(o, today))
        .map(|o| risk(&model, &ctx, o))
        .collect();
    out.sort_by(|a, b| b.p_late.total_cmp(&a.p_late).then(a.order.cmp(&b.order)));
    out
}
