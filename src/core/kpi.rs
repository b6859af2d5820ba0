//! KPIs kept live by `apply` (issue 23): counts and decimal sums per
//! (dimension, key, month), updated from each event as it is applied and
//! never by rescanning history, so a report or a dashboard reads them in
//! O(keys x months). The exact definitions (numerator, denominator, which
//! events count, edge cases) are in `docs/kpis.md`; this module is what
//! they describe.
//!
//! Each figure is attributed to the calendar month of the business date of
//! the document it comes from (shipment date, invoice date, memo date, the
//! journal's date; a count's or a close's business date of its record).
//! Amounts are in the entity's base currency, so a channel's key is
//! `ENTITY/channel` and nothing of two entities is ever added together.

use super::event::{Envelope, Event};
use super::master::{Channel, PostingKey};
use super::state::{Map, Modify, Set, State};
use super::types::Code;
use crate::core::types::ToCode;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// KPI upkeep in `apply`: on, except while `depot bench o2c` measures
/// the same cycles without it (what the upkeep costs per command). Never
/// switched off in a process that writes a store: KPIs are derived from
/// the log alone, and `depot check` would find the state short of them.
static KPI_UPKEEP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Switch KPI upkeep on or off (benchmarks only; see `KPI_UPKEEP`).
pub fn set_upkeep(on: bool) {
    KPI_UPKEEP.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// What a KPI is broken down by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    Entity,
    Warehouse,
    /// Keyed `ENTITY/channel`.
    Channel,
    Customer,
}

impl Dim {
    pub const ALL: [Dim; 4] = [Dim::Entity, Dim::Warehouse, Dim::Channel, Dim::Customer];

    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Entity => "entity",
            Dim::Warehouse => "warehouse",
            Dim::Channel => "channel",
            Dim::Customer => "customer",
        }
    }

    pub fn parse(s: &str) -> Option<Dim> {
        Dim::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// The counts and sums of one (dimension, key, month). Its decimals
/// are packed in a snapshot (`packed`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acc {
    /// Orders completed (nothing left to ship) in the month, those of
    /// them still perfect, and the sum of their cycle times in days.
    pub orders_completed: u64,
    pub orders_perfect: u64,
    pub cycle_days: i64,
    /// Order lines shipped for the first time, and those of them shipped
    /// complete by that first shipment.
    pub lines_shipped: u64,
    pub lines_filled: u64,
    /// Of those lines: units ordered, and units their first shipment took
    /// (at most the ordered quantity).
    #[serde(with = "super::packed::dec")]
    pub units_ordered: Decimal,
    #[serde(with = "super::packed::dec")]
    pub units_first: Decimal,
    /// Shipments, and those on or before the date due.
    pub shipments: u64,
    pub shipments_on_time: u64,
    /// Cycle count results, and those where the book was right.
    pub counts: u64,
    pub counts_accurate: u64,
    /// Goods revenue less returns, and the cost of the goods sold less
    /// restocked returns (base currency).
    #[serde(with = "super::packed::dec")]
    pub revenue: Decimal,
    #[serde(with = "super::packed::dec")]
    pub cogs: Decimal,
    /// Invoices issued in the month, and those of them ever disputed.
    pub invoices: u64,
    pub invoices_disputed: u64,
    /// What the month's journals did to receivables, and the receivables
    /// raised by invoices and debit memos (credit sales), base currency.
    #[serde(with = "super::packed::dec")]
    pub ar_change: Decimal,
    #[serde(with = "super::packed::dec")]
    pub credit_sales: Decimal,
    /// Fiscal periods ending in the month that are closed, and the days
    /// from their last day to their close.
    pub closes: u64,
    pub close_days: i64,
}

/// What an order's KPIs need to remember between its events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTrack {
    /// (line, the latest promise date it was given) for backordered lines.
    pub promises: Vec<(u32, NaiveDate)>,
    /// Something already keeps it from being a perfect order.
    pub flawed: bool,
    /// Its latest shipment's date.
    pub last_shipped: Option<NaiveDate>,
    /// The month it completed in and its customer's channel then.
    pub completed: Option<(NaiveDate, Option<Channel>)>,
    /// Counted as perfect in that month (until a dispute or memo).
    pub perfect: bool,
}

/// Every KPI accumulator, part of the state (snapshot and replay).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kpis {
    #[serde(with = "super::packed::map")]
    pub acc: Map<(Dim, Code, NaiveDate), Acc>,
    /// Orders shipped or backordered: what their perfect-order and
    /// on-time figures still need.
    #[serde(deserialize_with = "super::dense::map")]
    pub orders: Map<Code, OrderTrack>,
    /// Invoices that were ever disputed (the first dispute counts).
    #[serde(deserialize_with = "super::dense::set")]
    pub disputed: Set<Code>,
    /// (entity, period) closed -> the month it counts in and its days.
    #[serde(deserialize_with = "super::dense::map")]
    pub closes: Map<(Code, Code), (NaiveDate, i64)>,
}

/// The first day of `d`'s month.
pub fn month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The month `n` months before `m` (a first of month).
pub fn months_back(m: NaiveDate, n: u32) -> NaiveDate {
    m.checked_sub_months(chrono::Months::new(n)).unwrap_or(m)
}

/// Days in the month of `m`.
pub fn days_in_month(m: NaiveDate) -> i64 {
    let first = month(m);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    (next - first).num_days()
}

type Keys = Vec<(Dim, Code)>;

fn channel_key(entity: &str, ch: Channel) -> Code {
    let mut k = Code::with_capacity(entity.len() + 1 + ch.as_str().len());
    k.push_str(entity);
    k.push('/');
    k.push_str(ch.as_str());
    k
}

fn channel_of(state: &State, customer: &str) -> Option<Channel> {
    state.customers.get(&customer.to_code()).map(|c| c.channel)
}

/// Entity, warehouse (when there is one), channel and customer keys.
fn keys(entity: &str, warehouse: Option<&str>, channel: Option<Channel>, customer: &str) -> Keys {
    let mut k = Vec::with_capacity(4);
    k.push((Dim::Entity, entity.to_code()));
    if let Some(w) = warehouse {
        k.push((Dim::Warehouse, w.to_code()));
    }
    if let Some(ch) = channel {
        k.push((Dim::Channel, channel_key(entity, ch)));
    }
    k.push((Dim::Customer, customer.to_code()));
    k
}

fn add(state: &mut State, keys: &[(Dim, Code)], m: NaiveDate, f: impl Fn(&mut Acc)) {
    for (d, k) in keys {
        state.kpis.acc.modify((*d, k.clone(), m), &f);
    }
}

/// An order's keys: its entity, the warehouse of its first line, the
/// channel given, its customer.
fn order_keys(state: &State, number: &str, channel: Option<Channel>) -> Option<Keys> {
    let o = state.orders.get(&number.to_code())?;
    let wh = o.lines.first().map(|l| l.warehouse.as_str());
    Some(keys(&o.entity, wh, channel, &o.customer))
}

/// Keep the KPIs in step with one applied event of `env`.
pub fn track(state: &mut State, env: &Envelope, event: &Event) {
    if !KPI_UPKEEP.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    track_receivables(state, event);
    match event {
        Event::Backordered {
            number,
            line,
            promise,
            ..
        }
        | Event::Repromised {
            number,
            line,
            promise,
        } => {
            state.kpis.orders.modify(number.clone(), |t| {
                if t.completed.is_none() {
                    t.promises.retain(|(l, _)| l != line);
                    t.promises.push((*line, *promise));
                }
            });
        }
        Event::Shipped { shipment, .. } => shipped(state, shipment),
        Event::LineCancelled { number, .. } => {
            let date = order_date_now(state, number, env);
            if let Some(t) = state.kpis.orders.get_mut(number) {
                t.flawed = true;
            } else {
                state.kpis.orders.insert(
                    number.clone(),
                    OrderTrack {
                        flawed: true,
                        ..OrderTrack::default()
                    },
                );
            }
            complete(state, number, date);
        }
        Event::OrderCancelled { number, .. } | Event::LineChanged { number, .. } => {
            let date = order_date_now(state, number, env);
            complete(state, number, date);
        }
        Event::Invoiced { invoice, .. } => invoiced(state, invoice),
        Event::PaymentReceived { receipt, .. } => {
            for a in receipt
                .applications
                .iter()
                .filter(|a| a.disputed > Decimal::ZERO)
            {
                disputed(state, &a.invoice);
            }
        }
        Event::CreditMemoIssued { memo, .. } => {
            let rate = state
                .invoices
                .get(&memo.invoice)
                .map_or(Decimal::ONE, |i| i.rate);
            let base = base_currency(state, &memo.entity);
            let revenue: Decimal = memo.lines.iter().map(|l| base.round(l.amount * rate)).sum();
            let wh = state.returns.get(&memo.rma).map(|r| r.warehouse.clone());
            let ch = channel_of(state, &memo.customer);
            let k = keys(&memo.entity, wh.as_deref(), ch, &memo.customer);
            add(state, &k, month(memo.date), |a| a.revenue -= revenue);
            flaw_orders_of(state, &memo.invoice);
        }
        Event::DebitMemoIssued {
            memo,
            document,
            journal,
        } => {
            let revenue: Decimal = journal
                .lines
                .iter()
                .filter(|l| l.key == PostingKey::Revenue)
                .map(|l| l.credit - l.debit)
                .sum();
            let ch = channel_of(state, &document.customer);
            let k = keys(&document.entity, None, ch, &document.customer);
            add(state, &k, month(document.date), |a| a.revenue += revenue);
            flaw_orders_of(state, &memo.invoice);
        }
        Event::ReturnReceived {
            rma,
            journal: Some(j),
            ..
        } => {
            let back: Decimal = j
                .lines
                .iter()
                .filter(|l| l.key == PostingKey::Cogs)
                .map(|l| l.credit - l.debit)
                .sum();
            if let Some(r) = state.returns.get(rma) {
                let ch = channel_of(state, &r.customer);
                let k = keys(&r.entity, Some(&r.warehouse), ch, &r.customer);
                add(state, &k, month(j.date), |a| a.cogs -= back);
            }
        }
        Event::CountSettled {
            number, accurate, ..
        } => counted(state, env, number, *accurate),
        Event::CountHeld { number, .. } => counted(state, env, number, false),
        Event::PeriodsClosed {
            entity, periods, ..
        } => {
            let day = super::zone::entity_date(state, entity, env.time);
            for code in periods {
                let Some(end) = period_end(state, entity, code) else {
                    continue;
                };
                let key = (entity.clone(), code.clone());
                if state.kpis.closes.contains_key(&key) {
                    continue;
                }
                let (m, days) = (month(end), (day - end).num_days());
                state.kpis.closes.insert(key, (m, days));
                let k = vec![(Dim::Entity, entity.clone())];
                add(state, &k, m, |a| {
                    a.closes += 1;
                    a.close_days += days;
                });
            }
        }
        Event::PeriodsReopened {
            entity, periods, ..
        } => {
            for code in periods {
                if let Some((m, days)) = state.kpis.closes.remove(&(entity.clone(), code.clone())) {
                    let k = vec![(Dim::Entity, entity.clone())];
                    add(state, &k, m, |a| {
                        a.closes -= 1;
                        a.close_days -= days;
                    });
                }
            }
        }
        _ => {}
    }
}

fn base_currency(state: &State, entity: &str) -> super::types::Currency {
    state
        .entities
        .get(&entity.to_code())
        .map(|e| e.base_currency.clone())
        .unwrap_or_else(|| super::types::Currency::new("USD"))
}

/// The business date of the record in the order's entity.
fn order_date_now(state: &State, number: &str, env: &Envelope) -> NaiveDate {
    match state.orders.get(&number.to_code()) {
        Some(o) => super::zone::entity_date(state, &o.entity, env.time),
        None => env.time.date_naive(),
    }
}

fn period_end(state: &State, entity: &str, code: &str) -> Option<NaiveDate> {
    state
        .periods
        .range((entity.to_code(), NaiveDate::MIN)..)
        .take_while(|((e, _), _)| e == entity)
        .find(|(_, p)| p.code == code)
        .map(|(_, p)| p.end)
}

/// Receivables moved by the event's journals: the AR balance behind DSO,
/// and the credit sales (invoices and debit memos).
fn track_receivables(state: &mut State, event: &Event) {
    let sales = matches!(
        event,
        Event::Invoiced { .. } | Event::DebitMemoIssued { .. }
    );
    // Only events that can carry journal lines are looked at.
    let journals = super::apply::journals(event);
    for j in journals {
        let m = month(j.date);
        for l in j.lines.iter().filter(|l| l.key == PostingKey::Receivables) {
            let (signed, debit) = (l.signed(), l.debit);
            let mut k = Vec::with_capacity(3);
            k.push((Dim::Entity, j.entity.clone()));
            if let Some(c) = &l.sub {
                if let Some(ch) = channel_of(state, c) {
                    k.push((Dim::Channel, channel_key(&j.entity, ch)));
                }
                k.push((Dim::Customer, c.clone()));
            }
            add(state, &k, m, |a| {
                a.ar_change += signed;
                if sales {
                    a.credit_sales += debit;
                }
            });
        }
    }
}

/// The date a line is due: the order's requested date, or the latest
/// promise the line was given when that is later.
fn line_due(requested: NaiveDate, track: &OrderTrack, line: u32) -> NaiveDate {
    track
        .promises
        .iter()
        .find(|(l, _)| *l == line)
        .map_or(requested, |(_, p)| (*p).max(requested))
}

fn shipped(state: &mut State, shipment: &super::warehouse::Shipment) {
    let Some(o) = state.orders.get(&shipment.order) else {
        return;
    };
    let mut track = state
        .kpis
        .orders
        .get(&shipment.order)
        .cloned()
        .unwrap_or_default();
    // What this shipment took of each order line (lots are lines apart).
    let mut per_line: BTreeMap<u32, Decimal> = BTreeMap::new();
    for l in &shipment.lines {
        *per_line.entry(l.order_line).or_default() += l.qty;
    }
    let (mut lines, mut filled) = (0u64, 0u64);
    let (mut ordered, mut first) = (Decimal::ZERO, Decimal::ZERO);
    let mut due: Option<NaiveDate> = None;
    for (n, q) in per_line {
        let Some(line) = o.lines.iter().find(|l| l.line == n) else {
            continue;
        };
        let d = line_due(o.requested, &track, n);
        due = Some(due.map_or(d, |x| x.min(d)));
        // Applied already: what shipped before this shipment.
        if line.shipped - q <= Decimal::ZERO {
            lines += 1;
            ordered += line.qty;
            first += q.min(line.qty);
            if q >= line.qty {
                filled += 1;
            } else {
                track.flawed = true;
            }
        }
    }
    let on_time = due.is_none_or(|d| shipment.date <= d);
    if !on_time {
        track.flawed = true;
    }
    track.last_shipped = Some(
        track
            .last_shipped
            .map_or(shipment.date, |d| d.max(shipment.date)),
    );
    let ch = channel_of(state, &shipment.customer);
    let k = keys(
        &shipment.entity,
        Some(&shipment.warehouse),
        ch,
        &shipment.customer,
    );
    let m = month(shipment.date);
    state.kpis.orders.insert(shipment.order.clone(), track);
    // The shipment that completes its order usually counts both under
    // the same keys and month: one change to each, not two.
    let done = completion(state, &shipment.order, shipment.date);
    let (both, done) = match done {
        Some(d) if d.keys == k && d.month == m => (Some(d), None),
        d => (None, d),
    };
    add(state, &k, m, |a| {
        a.shipments += 1;
        a.shipments_on_time += u64::from(on_time);
        a.lines_shipped += lines;
        a.lines_filled += filled;
        a.units_ordered += ordered;
        a.units_first += first;
        if let Some(d) = &both {
            d.count(a);
        }
    });
    if let Some(d) = done {
        d.add(state);
    }
}

/// Count an order as completed on `date` once nothing is left to ship
/// and something shipped.
fn complete(state: &mut State, number: &str, date: NaiveDate) {
    if let Some(d) = completion(state, number, date) {
        d.add(state);
    }
}

/// An order completed: what it adds, under which keys and month.
struct Completion {
    keys: Keys,
    month: NaiveDate,
    perfect: bool,
    cycle: i64,
}

impl Completion {
    fn count(&self, a: &mut Acc) {
        a.orders_completed += 1;
        a.orders_perfect += u64::from(self.perfect);
        a.cycle_days += self.cycle;
    }

    fn add(self, state: &mut State) {
        add(state, &self.keys, self.month, |a| self.count(a));
    }
}

/// Mark the order completed on `date` if nothing is left to ship and
/// something shipped, and say what that adds (the caller adds it).
fn completion(state: &mut State, number: &str, date: NaiveDate) -> Option<Completion> {
    let o = state.orders.get(&number.to_code())?;
    if o.lines.iter().any(|l| !l.cancelled && l.shipped < l.qty)
        || !o.lines.iter().any(|l| l.shipped > Decimal::ZERO)
    {
        return None;
    }
    let cancelled = o.lines.iter().any(|l| l.cancelled);
    let placed = o.date;
    let ch = channel_of(state, &o.customer);
    let keys = order_keys(state, number, ch);
    let t = state.kpis.orders.get_mut(&number.to_code())?;
    let last = t.last_shipped?;
    if t.completed.is_some() {
        return None;
    }
    let perfect = !t.flawed && !cancelled;
    let m = month(date);
    t.perfect = perfect;
    t.promises.clear();
    t.completed = Some((m, ch));
    Some(Completion {
        keys: keys?,
        month: m,
        perfect,
        cycle: (last - placed).num_days(),
    })
}

/// A dispute, credit memo or debit memo on an invoice: its orders are no
/// longer perfect (taken back from the month they completed in).
fn flaw_orders_of(state: &mut State, invoice: &str) {
    let mut orders: Vec<Code> = state
        .invoices
        .get(&invoice.to_code())
        .map(|i| i.lines.iter().map(|l| l.order.clone()).collect())
        .unwrap_or_default();
    orders.sort();
    orders.dedup();
    for number in orders {
        let t = state.kpis.orders.entry(number.clone()).or_default();
        t.flawed = true;
        if !t.perfect {
            continue;
        }
        t.perfect = false;
        if let Some((m, ch)) = t.completed {
            if let Some(k) = order_keys(state, &number, ch) {
                add(state, &k, m, |a| a.orders_perfect -= 1);
            }
        }
    }
}

fn invoiced(state: &mut State, invoice: &super::billing::Invoice) {
    let base = base_currency(state, &invoice.entity);
    let ch = channel_of(state, &invoice.customer);
    let m = month(invoice.date);
    // Revenue and cost of goods per shipment, under its warehouse; the
    // entity, channel and customer take the sum of them with the invoice
    // count, one change to each.
    let (mut revenue, mut cost) = (Decimal::ZERO, Decimal::ZERO);
    let mut per_warehouse: Vec<(Code, Decimal, Decimal)> = Vec::new();
    for sh in &invoice.shipments {
        let Some(s) = state.shipments.get(sh) else {
            continue;
        };
        let r: Decimal = invoice
            .lines
            .iter()
            .filter(|l| l.shipment == sh)
            .map(|l| base.round(l.amount * invoice.rate))
            .sum();
        let c: Decimal = s.lines.iter().map(|l| l.cost).sum();
        revenue += r;
        cost += c;
        match per_warehouse.iter_mut().find(|(w, ..)| *w == s.warehouse) {
            Some((_, wr, wc)) => {
                *wr += r;
                *wc += c;
            }
            None => per_warehouse.push((s.warehouse.clone(), r, c)),
        }
    }
    let k = keys(&invoice.entity, None, ch, &invoice.customer);
    add(state, &k, m, |a| {
        a.invoices += 1;
        a.revenue += revenue;
        a.cogs += cost;
    });
    for (w, r, c) in per_warehouse {
        add(state, &[(Dim::Warehouse, w)], m, |a| {
            a.revenue += r;
            a.cogs += c;
        });
    }
}

fn disputed(state: &mut State, invoice: &str) {
    if state.kpis.disputed.contains(&invoice.to_code()) {
        return;
    }
    let Some(inv) = state.invoices.get(&invoice.to_code()) else {
        return;
    };
    // Debit memos are kept with the invoices; only invoices count.
    if inv.shipments.is_empty() {
        return;
    }
    let ch = channel_of(state, &inv.customer);
    let k = keys(&inv.entity, None, ch, &inv.customer);
    let m = month(inv.date);
    state.kpis.disputed.insert(invoice.to_code());
    add(state, &k, m, |a| a.invoices_disputed += 1);
    flaw_orders_of(state, invoice);
}

fn counted(state: &mut State, env: &Envelope, number: &str, accurate: bool) {
    let Some(c) = state.counts.get(&number.to_code()) else {
        return;
    };
    if c.manual {
        return;
    }
    let wh = c.warehouse.clone();
    let Some(entity) = state.warehouse_entity(&wh).cloned() else {
        return;
    };
    let day = super::zone::warehouse_date(state, &wh, env.time);
    let k = vec![(Dim::Entity, entity), (Dim::Warehouse, wh)];
    add(state, &k, month(day), |a| {
        a.counts += 1;
        a.counts_accurate += u64::from(accurate);
    });
}

// ---------------------------------------------------------------------
// Reading: values of the KPIs per key and month.

/// The KPIs, in the order reports and the dashboard show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kpi {
    PerfectOrder,
    CycleTime,
    LineFill,
    UnitFill,
    OnTime,
    InventoryAccuracy,
    GrossMargin,
    DisputeRate,
    Dso,
    CloseCycle,
}

impl Kpi {
    pub const ALL: [Kpi; 10] = [
        Kpi::PerfectOrder,
        Kpi::CycleTime,
        Kpi::LineFill,
        Kpi::UnitFill,
        Kpi::OnTime,
        Kpi::InventoryAccuracy,
        Kpi::GrossMargin,
        Kpi::DisputeRate,
        Kpi::Dso,
        Kpi::CloseCycle,
    ];

    /// Column name (reports).
    pub fn column(self) -> &'static str {
        match self {
            Kpi::PerfectOrder => "perfect_order_pct",
            Kpi::CycleTime => "cycle_days",
            Kpi::LineFill => "line_fill_pct",
            Kpi::UnitFill => "unit_fill_pct",
            Kpi::OnTime => "on_time_pct",
            Kpi::InventoryAccuracy => "inventory_accuracy_pct",
            Kpi::GrossMargin => "gross_margin_pct",
            Kpi::DisputeRate => "dispute_rate_pct",
            Kpi::Dso => "dso_days",
            Kpi::CloseCycle => "close_days",
        }
    }

    /// Readable name (dashboard).
    pub fn label(self) -> &'static str {
        match self {
            Kpi::PerfectOrder => "Perfect order",
            Kpi::CycleTime => "Order cycle time",
            Kpi::LineFill => "Line fill rate",
            Kpi::UnitFill => "Unit fill rate",
            Kpi::OnTime => "On-time shipment",
            Kpi::InventoryAccuracy => "Inventory accuracy",
            Kpi::GrossMargin => "Gross margin",
            Kpi::DisputeRate => "Invoice dispute rate",
            Kpi::Dso => "DSO",
            Kpi::CloseCycle => "Close cycle time",
        }
    }

    /// `%` or `days`.
    pub fn unit(self) -> &'static str {
        match self {
            Kpi::CycleTime | Kpi::Dso | Kpi::CloseCycle => "days",
            _ => "%",
        }
    }

    /// Does a higher value mean better?
    pub fn higher_is_better(self) -> bool {
        !matches!(
            self,
            Kpi::CycleTime | Kpi::DisputeRate | Kpi::Dso | Kpi::CloseCycle
        )
    }

    /// Its value from a month's accumulator (and, for DSO, the receivables
    /// at the month's end), rounded to one decimal; `None` when its
    /// denominator is zero.
    pub fn value(self, a: &Acc, ar_end: Decimal, m: NaiveDate) -> Option<Decimal> {
        let pct = |n: Decimal, d: Decimal| {
            (!d.is_zero()).then(|| (n * Decimal::ONE_HUNDRED / d).round_dp(1))
        };
        let mean =
            |n: i64, d: u64| (d > 0).then(|| (Decimal::from(n) / Decimal::from(d)).round_dp(1));
        let u = Decimal::from;
        match self {
            Kpi::PerfectOrder => pct(u(a.orders_perfect), u(a.orders_completed)),
            Kpi::CycleTime => mean(a.cycle_days, a.orders_completed),
            Kpi::LineFill => pct(u(a.lines_filled), u(a.lines_shipped)),
            Kpi::UnitFill => pct(a.units_first, a.units_ordered),
            Kpi::OnTime => pct(u(a.shipments_on_time), u(a.shipments)),
            Kpi::InventoryAccuracy => pct(u(a.counts_accurate), u(a.counts)),
            Kpi::GrossMargin => pct(a.revenue - a.cogs, a.revenue),
            Kpi::DisputeRate => pct(u(a.invoices_disputed), u(a.invoices)),
            Kpi::Dso => (!a.credit_sales.is_zero())
                .then(|| (ar_end * Decimal::from(days_in_month(m)) / a.credit_sales).round_dp(1)),
            Kpi::CloseCycle => mean(a.close_days, a.closes),
        }
    }
}

/// The keys a dimension has figures for, in order.
pub fn keys_of(state: &State, dim: Dim) -> Vec<Code> {
    let mut out: Vec<Code> = Vec::new();
    for ((d, k, _), _) in state
        .kpis
        .acc
        .range((dim, Code::default(), NaiveDate::MIN)..)
    {
        if *d != dim {
            break;
        }
        if out.last() != Some(k) {
            out.push(k.clone());
        }
    }
    out
}

/// A key's accumulator of one month (zero when it has none).
pub fn acc_of(state: &State, dim: Dim, key: &str, m: NaiveDate) -> Acc {
    state
        .kpis
        .acc
        .get(&(dim, key.to_code(), month(m)))
        .cloned()
        .unwrap_or_default()
}

/// Every KPI of a key for the `n` months ending with `last`, oldest
/// first: `out[kpi][i]`.
pub fn series(
    state: &State,
    dim: Dim,
    key: &str,
    last: NaiveDate,
    n: u32,
) -> Vec<(NaiveDate, Vec<Option<Decimal>>)> {
    let last = month(last);
    let first = months_back(last, n.saturating_sub(1));
    // Receivables at the end of the month before the first one.
    let mut ar: Decimal = state
        .kpis
        .acc
        .range((dim, key.to_code(), NaiveDate::MIN)..(dim, key.to_code(), first))
        .map(|(_, a)| a.ar_change)
        .sum();
    let mut out = Vec::new();
    let mut m = first;
    for _ in 0..n {
        let a = acc_of(state, dim, key, m);
        ar += a.ar_change;
        out.push((m, Kpi::ALL.iter().map(|k| k.value(&a, ar, m)).collect()));
        m = m.checked_add_months(chrono::Months::new(1)).unwrap_or(m);
    }
    out
}

/// Every KPI of a key in one month.
pub fn values(state: &State, dim: Dim, key: &str, m: NaiveDate) -> Vec<Option<Decimal>> {
    series(state, dim, key, m, 1)
        .pop()
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// The entity a key of a dimension belongs to.
pub fn entity_of(state: &State, dim: Dim, key: &str) -> Option<Code> {
    match dim {
        Dim::Entity => Some(key.to_code()),
        Dim::Warehouse => state.warehouse_entity(key).cloned(),
        Dim::Channel => key.split('/').next().map(Code::from),
        Dim::Customer => state
            .customers
            .get(&key.to_code())
            .map(|c| c.entity.clone()),
    }
}

/// A value as shown: one decimal, `—` when there is none.
pub fn show(v: Option<Decimal>) -> String {
    match v {
        Some(d) => format!("{:.1}", d),
        None => "—".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn months_and_days() {
        assert_eq!(month(d("2026-02-17")), d("2026-02-01"));
        assert_eq!(days_in_month(d("2026-02-10")), 28);
        assert_eq!(days_in_month(d("2028-02-10")), 29);
        assert_eq!(days_in_month(d("2026-12-01")), 31);
        assert_eq!(months_back(d("2026-01-01"), 2), d("2025-11-01"));
    }

    #[test]
    fn zero_denominators_have_no_value() {
        let a = Acc::default();
        for k in Kpi::ALL {
            assert_eq!(k.value(&a, Decimal::ONE, d("2026-11-01")), None, "{k:?}");
        }
        assert_eq!(show(None), "—");
    }

    #[test]
    fn values_from_an_accumulator() {
        // 2 of 3 orders perfect: 66.666.. -> 66.7; cycles 1 + 2 + 4 = 7
        // days / 3 = 2.333.. -> 2.3; DSO 600 AR / 1,000 sales x 30 days
        // (November) = 18.0; margin (1,000 - 600) / 1,000 = 40.0.
        let a = Acc {
            orders_completed: 3,
            orders_perfect: 2,
            cycle_days: 7,
            revenue: Decimal::from(1000),
            cogs: Decimal::from(600),
            credit_sales: Decimal::from(1000),
            ..Acc::default()
        };
        let m = d("2026-11-01");
        let ar = Decimal::from(600);
        assert_eq!(
            Kpi::PerfectOrder.value(&a, ar, m),
            Some("66.7".parse().unwrap())
        );
        assert_eq!(
            Kpi::CycleTime.value(&a, ar, m),
            Some("2.3".parse().unwrap())
        );
        assert_eq!(Kpi::Dso.value(&a, ar, m), Some("18.0".parse().unwrap()));
        assert_eq!(
            Kpi::GrossMargin.value(&a, ar, m),
            Some("40.0".parse().unwrap())
        );
    }
}
