//! `depot demo --history 12m`: the demo distributor with a past worth
//! learning from (issue 23). Months of business, day by day, every event
//! a command through `core::execute` (and, for a store, the same commands
//! through the engine with its clock set to each command's time), seeded
//! so that every figure reproduces.
//!
//! The patterns are only in what the commands record, so the models of
//! `crate::models` have to learn them back:
//! - demand per item and day: a level per item, a yearly season and a
//!   trend per category, fewer orders at weekends; one item in four is
//!   slow (intermittent: most days nothing, then a few units);
//! - customers pay on time, late (a slow payer: most invoices well past
//!   due), or short and disputed (the rest disputed on settling);
//! - carriers miss cutoffs at their own rate (ODFL far more than FedEx),
//!   big orders and busy days more often: an order ships after the day
//!   it was requested for;
//! - stock comes from three suppliers through purchase orders the buyer
//!   raises at a weekly review (a reorder point on the demand seen and the
//!   lead times seen), received and put away when they arrive: one
//!   supplier's lead time is steady, one's drifts later over the year, one
//!   is erratic. Stock runs short, orders are backordered and wait (a
//!   ship-complete customer's whole order, a partial customer's short
//!   lines): late shipments come from stock-outs too;
//! - damaged goods: some receipt lines arrive with damaged units, received
//!   into quarantine and written off (a stock adjustment, reason damage);
//!   a few customers return goods damaged (scrapped, credited);
//! - cycle counts every four weeks with variances: shrinkage on some
//!   items (more in SAFETY), a unit found now and then, each recounted by
//!   a second person and posted with its reason.

use crate::core::cash::{ApplyTo, Method};
use crate::core::counts::Reason;
use crate::core::master::{BinKind, Item, ListPrice, Operator, SupplierItem};
use crate::core::purchasing::{PoLineInput, PoStatus, ReceiveInput};
use crate::core::returns::{Disposition, ReturnInput};
use crate::core::sales::LineInput;
use crate::core::state::BinKey;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::{execute, Command, CommandBody, Event, State};
use crate::large::Rng;
use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct HistorySpec {
    pub months: u32,
    pub seed: u64,
    /// The last day of the history.
    pub end: NaiveDate,
    pub items: u32,
    pub customers: u32,
}

impl HistorySpec {
    pub fn new(months: u32, seed: u64, end: NaiveDate) -> HistorySpec {
        HistorySpec {
            months,
            seed,
            end,
            items: 60,
            customers: 80,
        }
    }
}

/// One command as it was run, to be written to a store as it was.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub time: DateTime<Utc>,
    pub operator: String,
    pub body: CommandBody,
}

/// What was generated.
pub struct History {
    pub state: State,
    pub commands: Vec<Recorded>,
    pub start: NaiveDate,
    pub orders: u64,
    pub order_lines: u64,
}

/// `12m`, `12` or `1y` as months, 1..=36.
pub fn parse_months(s: &str) -> Result<u32, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mult) = if let Some(n) = t.strip_suffix('m') {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('y') {
        (n, 12)
    } else {
        (t.as_str(), 1)
    };
    let months = num
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?}: expected months as 12m (or 1y)"))?;
    if !(1..=36).contains(&months) {
        return Err(format!("{s:?}: the history is 1 to 36 months"));
    }
    Ok(months)
}

/// Operator that writes the history.
pub const OPERATOR: &str = "GEN";
/// Prefixes of generated items and customers.
pub const ITEM_PREFIX: &str = "H";
pub const CUSTOMER_PREFIX: &str = "HC";
/// The warehouse the history runs in.
pub const WAREHOUSE: &str = "CHI";

/// Categories: (code, yearly amplitude of the season, phase in days,
/// trend per year as a fraction).
const CATEGORIES: [(&str, f64, f64, f64); 4] = [
    ("FASTENERS", 0.15, 0.0, 0.10),
    ("HVAC", 0.60, 120.0, 0.05),
    ("SAFETY", 0.25, 250.0, 0.30),
    ("ELECTRICAL", 0.35, 60.0, -0.15),
];

/// Carriers (code, service, chance of missing the cutoff).
const CARRIERS: [(&str, &str, f64); 3] = [
    ("FEDEX", "GND", 0.05),
    ("UPS", "GND", 0.12),
    ("ODFL", "LTL", 0.45),
];

/// How a supplier's lead time moves over the history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeadPattern {
    /// 6 to 8 days all year.
    Steady,
    /// 6 to 8 days for the first third, then later and later: 12 days
    /// more by the end.
    Drifting,
    /// Anything from 4 to 20 days.
    Erratic,
}

/// The history's suppliers (code, name, lead time); item n is bought
/// from supplier n mod 3.
pub const SUPPLIERS: [(&str, &str, LeadPattern); 3] = [
    ("HV01", "Steady Supply Co", LeadPattern::Steady),
    ("HV02", "Drifting Wholesale", LeadPattern::Drifting),
    ("HV03", "Erratic Imports", LeadPattern::Erratic),
];

/// The lead time every supplier quotes (days): what a PO expects.
pub const QUOTED_LEAD_DAYS: u32 = 7;

/// Days a PO of supplier `p` raised on day `d` of `days` takes.
fn lead_days(p: LeadPattern, d: i64, days: i64, rng: &mut Rng) -> i64 {
    let jitter = below(rng, 3) as i64;
    match p {
        LeadPattern::Steady => 6 + jitter,
        LeadPattern::Drifting => {
            let from = days / 3;
            let drift = if d > from {
                12.0 * (d - from) as f64 / (days - from).max(1) as f64
            } else {
                0.0
            };
            6 + drift.round() as i64 + jitter
        }
        LeadPattern::Erratic => 4 + below(rng, 17) as i64,
    }
}

/// How a customer pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payer {
    OnTime,
    Slow,
    Disputer,
}

fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn below(rng: &mut Rng, n: u64) -> u64 {
    rng.next_u64() % n.max(1)
}

/// Poisson(lambda) by Knuth (lambda small here).
fn poisson(rng: &mut Rng, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    let l = (-lambda).exp();
    let mut k = 0u64;
    let mut p = 1.0;
    loop {
        p *= uniform(rng);
        if p <= l || k > 1_000 {
            return k;
        }
        k += 1;
    }
}

struct GenItem {
    sku: String,
    cat: usize,
    /// Mean order lines a day (before season, trend, weekday); for a slow
    /// item the chance of a day with an order.
    rate: f64,
    /// Slow: demand on few days, a few units each.
    slow: bool,
    /// Its supplier (index into `SUPPLIERS`).
    supplier: usize,
    /// The buyer's estimate of units a day (moving average of demand).
    est: f64,
    /// Units on purchase orders not yet received.
    on_order: Decimal,
    /// Prone to shrinkage: counts find it short more often.
    shrinks: bool,
    /// What the supplier charges per base unit.
    cost: Decimal,
}

struct GenCustomer {
    code: String,
    carrier: usize,
    payer: Payer,
    /// Days between the order and the day it is wanted.
    lead: i64,
}

/// A purchase order on its way: its number, supplier and lines (item
/// index, base units).
struct InTransit {
    po: String,
    supplier: usize,
    lines: Vec<(usize, Decimal)>,
}

/// What runs the commands: an in-memory state.
struct Runner {
    state: State,
    log: Vec<Recorded>,
    time: DateTime<Utc>,
}

impl Runner {
    fn run(&mut self, operator: &str, body: CommandBody) -> Result<Vec<Event>> {
        let cmd = Command {
            operator: operator.into(),
            session: "history".into(),
            time: self.time,
            key: None,
            body: body.clone(),
        };
        let env =
            execute(&mut self.state, &cmd).map_err(|r| anyhow!("refused ({}): {r}", r.code()))?;
        self.log.push(Recorded {
            time: self.time,
            operator: operator.into(),
            body,
        });
        match env.outcome {
            crate::core::Outcome::Committed(ev) => Ok(ev),
            crate::core::Outcome::Rejected(r) => Err(anyhow!("refused ({}): {r}", r.code())),
        }
    }
}

fn at(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    date.and_hms_opt(hour, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default()
}

/// Generate the history in memory.
pub fn generate(spec: HistorySpec) -> Result<History> {
    if !(1..=36).contains(&spec.months) || spec.items < 4 || spec.customers < 3 {
        bail!("a history is 1 to 36 months of at least 4 items and 3 customers");
    }
    let start = spec
        .end
        .checked_sub_months(chrono::Months::new(spec.months))
        .context("the history starts before the calendar")?;
    let days = (spec.end - start).num_days();
    let mut r = Runner {
        state: State::default(),
        log: Vec::new(),
        time: at(start, 14),
    };
    for body in
        crate::io::demo::commands(start, spec.seed).map_err(|e| anyhow!("demo fixtures: {e}"))?
    {
        r.run(crate::io::demo::DEMO_ADMIN, body)?;
    }
    r.run(
        crate::io::demo::DEMO_ADMIN,
        CommandBody::CreateOperator(Operator::admin(OPERATOR, "History generator")),
    )?;
    let item_t: Item = r
        .state
        .items
        .get(&"FAS-1001".to_code())
        .cloned()
        .context("the demo has no FAS-1001 to copy items from")?;
    let cust_t = r
        .state
        .customers
        .get(&"C0001".to_code())
        .cloned()
        .context("the demo has no C0001 to copy customers from")?;
    let bins: Vec<Code> = r
        .state
        .bins
        .values()
        .filter(|b| b.warehouse == WAREHOUSE && b.kind == crate::core::master::BinKind::PickFace)
        .map(|b| b.code.clone())
        .collect();
    if bins.is_empty() {
        bail!("the demo has no pick face in {WAREHOUSE}");
    }
    let bin_of_kind = |kind: BinKind| {
        r.state
            .bins
            .values()
            .find(|b| b.warehouse == WAREHOUSE && b.kind == kind)
            .map(|b| b.code.clone())
    };
    let dock = bin_of_kind(BinKind::Dock).context("the demo has no dock in the warehouse")?;
    let quarantine = bin_of_kind(BinKind::Quarantine).context("the demo has no quarantine bin")?;
    let mut rng = Rng(spec.seed ^ 0x4849_5354);
    // Purchasing, damage, counts and customers' shipping policy draw from
    // their own stream, so demand and payments stay as they were.
    let mut prng = Rng(spec.seed ^ 0x5055_5243);

    // Items: a category, a level, one in four slow.
    let mut items = Vec::new();
    for n in 0..spec.items {
        let cat = (n as usize) % CATEGORIES.len();
        let slow = n % 4 == 3;
        // Slow: the chance of an order day; else order lines a day.
        let rate = if slow {
            0.03 + 0.04 * uniform(&mut rng)
        } else {
            0.3 + 1.2 * uniform(&mut rng)
        };
        let sku = format!("{ITEM_PREFIX}-{}-{n:04}", &CATEGORIES[cat].0[..3]);
        let mut item = item_t.clone();
        item.sku = sku.clone().into();
        item.description = format!("{} item {n}", CATEGORIES[cat].0.to_lowercase());
        item.category = CATEGORIES[cat].0.into();
        item.barcodes = Vec::new();
        item.margin_floor_pct = None;
        r.run(OPERATOR, CommandBody::CreateItem(item))?;
        let cost = Decimal::new(200 + below(&mut rng, 9_000) as i64, 2);
        r.run(
            OPERATOR,
            CommandBody::SetListPrice {
                price_list: cust_t.price_list.clone(),
                price: ListPrice {
                    sku: sku.clone().into(),
                    price: (cost * Decimal::new(160, 2)).round_dp(2),
                    breaks: Vec::new(),
                },
            },
        )?;
        // Units a day on average (1 to 6 units a line, fewer at weekends).
        let mean = if slow { rate * 3.0 } else { rate * 3.5 } * 0.93;
        // Five weeks of demand to start with: then the buyer's POs.
        let stock = Decimal::from((mean * 35.0).ceil() as i64 + 5);
        r.run(
            OPERATOR,
            CommandBody::PostOpeningStock {
                warehouse: WAREHOUSE.into(),
                bin: bins[(n as usize) % bins.len()].clone(),
                sku: sku.clone().into(),
                qty: stock,
                unit: None,
                unit_cost: cost,
                lot: None,
                date: Some(start),
                expiry: None,
            },
        )?;
        items.push(GenItem {
            sku,
            cat,
            rate,
            slow,
            supplier: (n as usize) % SUPPLIERS.len(),
            est: mean,
            on_order: Decimal::ZERO,
            shrinks: cat == 2 || uniform(&mut prng) < 0.15,
            cost,
        });
    }
    let sup_t = r
        .state
        .suppliers
        .get(&"V001".to_code())
        .cloned()
        .context("the demo has no V001 to copy suppliers from")?;
    for (si, (code, name, _)) in SUPPLIERS.iter().enumerate() {
        let mut s = sup_t.clone();
        s.code = (*code).into();
        s.name = (*name).to_string();
        s.lead_time_days = QUOTED_LEAD_DAYS;
        s.lead_time_history = Vec::new();
        s.min_order_amount = Decimal::ZERO;
        s.items = items
            .iter()
            .filter(|it| it.supplier == si)
            .map(|it| SupplierItem {
                sku: it.sku.clone().into(),
                supplier_sku: format!("{code}-{}", it.sku),
                price: it.cost,
                unit: item_t.base_unit.clone(),
                min_qty: Decimal::ZERO,
            })
            .collect();
        r.run(OPERATOR, CommandBody::CreateSupplier(s))?;
    }

    // Customers: a carrier, a way of paying, a lead time.
    let mut customers = Vec::new();
    for n in 0..spec.customers {
        let u = uniform(&mut rng);
        let payer = if u < 0.25 {
            Payer::Slow
        } else if u < 0.35 {
            Payer::Disputer
        } else {
            Payer::OnTime
        };
        let carrier = below(&mut rng, CARRIERS.len() as u64) as usize;
        let code = format!("{CUSTOMER_PREFIX}{n:04}");
        let mut c = cust_t.clone();
        c.code = code.clone().into();
        c.name = format!("History customer {n}");
        c.credit_limit = Decimal::from(100_000_000);
        c.ship_to = Vec::new();
        c.ship_policy.carrier = Some(CARRIERS[carrier].0.into());
        c.ship_policy.service = Some(CARRIERS[carrier].1.into());
        // Three in ten take nothing until the whole order can ship.
        c.ship_policy.ship_complete = uniform(&mut prng) < 0.3;
        c.ship_policy.must_arrive_within_days = None;
        r.run(OPERATOR, CommandBody::CreateCustomer(c))?;
        customers.push(GenCustomer {
            code,
            carrier,
            payer,
            lead: 1 + below(&mut rng, 4) as i64,
        });
    }
    let weight: BTreeMap<Code, Decimal> = r
        .state
        .items
        .values()
        .map(|i| (i.sku.clone(), i.weight_kg))
        .collect();

    // Day by day: ship what is due, take payments, take new orders.
    let mut to_ship: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    // (date) -> (customer index, invoice, amount, settle)
    let mut to_pay: BTreeMap<NaiveDate, Vec<(usize, String, Decimal, bool)>> = BTreeMap::new();
    let cust_of: BTreeMap<String, usize> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code.clone(), i))
        .collect();
    let (mut orders, mut order_lines) = (0u64, 0u64);
    let mut usual = items
        .iter()
        .filter(|i| !i.slow)
        .map(|i| i.rate)
        .sum::<f64>()
        * 0.5;
    // POs on their way by the day they arrive; returns on their way.
    let mut to_receive: BTreeMap<NaiveDate, Vec<InTransit>> = BTreeMap::new();
    let mut to_return: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    // The lead times the buyer has seen, per supplier.
    let mut seen: Vec<Vec<i64>> = vec![Vec::new(); SUPPLIERS.len()];
    for d in 0..=days {
        let date = start + Duration::days(d);
        // Mornings: the dock, returns, counts, the buyer's review.
        r.time = at(date, 13);
        for t in to_receive.remove(&date).unwrap_or_default() {
            receive(&mut r, &mut prng, &t, &mut items, &dock, &quarantine)?;
            if let Some(po) = r.state.purchase_orders.get(&t.po.to_code()) {
                seen[t.supplier].push((date - po.date).num_days());
            }
        }
        for rma in to_return.remove(&date).unwrap_or_default() {
            r.run(
                OPERATOR,
                CommandBody::ReceiveReturn {
                    rma: rma.into(),
                    bin: None,
                    lines: Vec::new(),
                },
            )?;
        }
        if d % 28 == 14 {
            count(&mut r, &mut prng, &items, (d / 28) as usize)?;
        }
        if d % 7 == 0 {
            review(
                &mut r,
                &mut prng,
                &mut items,
                &seen,
                d,
                days,
                &mut to_receive,
            )?;
        }
        r.time = at(date, 15);
        for number in to_ship.remove(&date).unwrap_or_default() {
            let Some(o) = r.state.orders.get(&number.to_code()) else {
                continue;
            };
            let ci = cust_of.get(o.customer.as_str()).copied().unwrap_or(0);
            // Shipped when stock is reserved for it (all of it for a
            // ship-complete customer, whole lines for the others); else it
            // waits for the next day. (A line is never shipped in part:
            // releasing the rest of a line shipped in part releases too
            // little.)
            let complete = r
                .state
                .customers
                .get(&o.customer)
                .is_some_and(|c| c.ship_policy.ship_complete);
            let live = || o.lines.iter().filter(|l| !l.cancelled);
            let reserved: Decimal = live().map(|l| l.reserved).sum();
            let short: Decimal = live().map(|l| l.backordered).sum();
            let split = live().any(|l| l.reserved > Decimal::ZERO && l.backordered > Decimal::ZERO);
            if reserved <= Decimal::ZERO || split || (complete && short > Decimal::ZERO) {
                if live().any(|l| l.shipped < l.qty) {
                    to_ship
                        .entry(date + Duration::days(1))
                        .or_default()
                        .push(number);
                }
                continue;
            }
            let invoice = ship(&mut r, &number, &customers[ci], &weight)?;
            // The rest (backordered lines of a partial customer) later.
            if r.state
                .orders
                .get(&number.to_code())
                .is_some_and(|o| o.lines.iter().any(|l| !l.cancelled && l.shipped < l.qty))
            {
                to_ship
                    .entry(date + Duration::days(1))
                    .or_default()
                    .push(number.clone());
            }
            let Some(inv) = r.state.invoices.get(&invoice.to_code()) else {
                continue;
            };
            let (due, total) = (inv.due, inv.total);
            let c = &customers[ci];
            let (pay_on, amount, settle) = match c.payer {
                Payer::OnTime => {
                    let late = uniform(&mut rng) < 0.08;
                    let shift = if late {
                        3 + below(&mut rng, 10) as i64
                    } else {
                        -(below(&mut rng, 12) as i64)
                    };
                    (due + Duration::days(shift), total, false)
                }
                Payer::Slow => {
                    let late = uniform(&mut rng) < 0.8;
                    let shift = if late {
                        5 + below(&mut rng, 40) as i64
                    } else {
                        -(below(&mut rng, 5) as i64)
                    };
                    (due + Duration::days(shift), total, false)
                }
                Payer::Disputer => {
                    if uniform(&mut rng) < 0.45 {
                        let short = (total * Decimal::new(90, 2)).round_dp(2);
                        (due + Duration::days(below(&mut rng, 6) as i64), short, true)
                    } else {
                        (
                            due - Duration::days(below(&mut rng, 8) as i64),
                            total,
                            false,
                        )
                    }
                }
            };
            to_pay
                .entry(pay_on.max(date))
                .or_default()
                .push((ci, invoice, amount, settle));
        }
        for (ci, invoice, amount, settle) in to_pay.remove(&date).unwrap_or_default() {
            r.run(
                OPERATOR,
                CommandBody::ReceivePayment {
                    customer: customers[ci].code.clone().into(),
                    method: Method::Transfer,
                    amount,
                    reference: invoice.clone(),
                    apply: vec![ApplyTo {
                        invoice: invoice.clone().into(),
                        amount,
                        settle,
                    }],
                },
            )?;
            // Now and then goods arrived damaged: returned and scrapped.
            if !settle && uniform(&mut prng) < 0.03 {
                let Some(line) = r
                    .state
                    .invoices
                    .get(&invoice.to_code())
                    .and_then(|i| i.lines.first())
                else {
                    continue;
                };
                let qty = line.qty.min(Decimal::from(1 + below(&mut prng, 2)));
                let ev = r.run(
                    OPERATOR,
                    CommandBody::AuthorizeReturn {
                        invoice: invoice.into(),
                        reason: "arrived damaged".into(),
                        lines: vec![ReturnInput {
                            line: 1,
                            qty,
                            disposition: Disposition::Scrap,
                        }],
                    },
                )?;
                if let Some(Event::ReturnAuthorized(rma)) = ev.first() {
                    to_return
                        .entry(date + Duration::days(2 + below(&mut prng, 4) as i64))
                        .or_default()
                        .push(rma.number.to_string());
                }
            }
        }
        // Demand of the day, per item.
        let weekday = d % 7;
        let week_f = if weekday >= 5 { 0.25 } else { 1.2 };
        let mut demand: Vec<(usize, u64)> = Vec::new();
        for (i, it) in items.iter().enumerate() {
            let (_, amp, phase, trend) = CATEGORIES[it.cat];
            let season =
                1.0 + amp * (2.0 * std::f64::consts::PI * (d as f64 - phase) / 365.0).sin();
            let tr = 1.0 + trend * d as f64 / 365.0;
            let lambda = (it.rate * season * tr * week_f).max(0.0);
            if it.slow {
                // Few order days, a few units each.
                if uniform(&mut rng) < lambda {
                    demand.push((i, 1 + below(&mut rng, 5)));
                }
            } else {
                // Requests of 1 to 6 units, one line for the day.
                let n = poisson(&mut rng, lambda);
                let q: u64 = (0..n).map(|_| 1 + below(&mut rng, 6)).sum();
                if q > 0 {
                    demand.push((i, q));
                }
            }
        }
        // The buyer's estimate of each item's units a day.
        let mut today_units = vec![0.0; items.len()];
        for (i, q) in &demand {
            today_units[*i] += *q as f64;
        }
        for (it, u) in items.iter_mut().zip(&today_units) {
            it.est += 0.03 * (u - it.est);
        }
        // A busy day: more lines than usual (a moving average of days).
        // (per weekday weight, so a Monday is not busy for not being a Sunday).
        let norm = demand.len() as f64 / week_f;
        let busy = d > 14 && norm > 1.2 * usual;
        usual += 0.1 * (norm - usual);
        // Into orders of 1 to 4 lines, each of a random customer.
        let mut k = 0;
        while k < demand.len() {
            let n = 1 + below(&mut rng, 4) as usize;
            let chunk = &demand[k..(k + n).min(demand.len())];
            k += n;
            let ci = below(&mut rng, customers.len() as u64) as usize;
            let c = &customers[ci];
            let lines: Vec<LineInput> = chunk
                .iter()
                .map(|(i, q)| LineInput {
                    sku: items[*i].sku.clone().into(),
                    qty: Decimal::from(*q),
                    unit: None,
                    warehouse: WAREHOUSE.into(),
                    price: None,
                })
                .collect();
            let n_lines = lines.len();
            let ev = r.run(
                OPERATOR,
                CommandBody::PlaceOrder {
                    quote: false,
                    customer: c.code.clone().into(),
                    ship_to: None,
                    customer_po: String::new(),
                    requested: Some(date + Duration::days(c.lead)),
                    lines,
                },
            )?;
            let number = match ev.first() {
                Some(Event::OrderPlaced(o)) => {
                    // A customer with invoices past due is held on credit:
                    // a supervisor releases it, as one would.
                    for hold in &o.holds {
                        r.run(
                            "SUP1",
                            CommandBody::ReleaseHold {
                                number: o.number.clone(),
                                hold: *hold,
                            },
                        )?;
                    }
                    o.number.clone()
                }
                other => bail!("a history order was not placed: {other:?}"),
            };
            orders += 1;
            order_lines += n_lines as u64;
            // Picked the next day; the carrier misses its cutoff now and
            // then, more often for big orders and on busy days.
            let mut miss = CARRIERS[c.carrier].2;
            if n_lines >= 3 {
                miss += 0.15;
            }
            if busy {
                miss += 0.2;
            }
            let mut delay = 1;
            if uniform(&mut rng) < miss {
                delay += 1 + below(&mut rng, 3) as i64;
            }
            to_ship
                .entry(date + Duration::days(delay))
                .or_default()
                .push(number.to_string());
        }
    }
    Ok(History {
        state: r.state,
        commands: r.log,
        start,
        orders,
        order_lines,
    })
}

/// The buyer's weekly review: for each supplier, a PO for the items whose
/// position (on hand less reserved less backordered plus on order) is
/// below the reorder point: demand over the lead time the buyer expects
/// (the quoted one, or the mean of the last four seen when longer) and
/// the week to the next review, with four days of safety; ordered up to
/// two weeks more. It arrives after the supplier's actual lead time.
fn review(
    r: &mut Runner,
    prng: &mut Rng,
    items: &mut [GenItem],
    seen: &[Vec<i64>],
    d: i64,
    days: i64,
    to_receive: &mut BTreeMap<NaiveDate, Vec<InTransit>>,
) -> Result<()> {
    let mut backordered: BTreeMap<String, Decimal> = BTreeMap::new();
    for o in r.state.orders.values_any_order() {
        for l in &o.lines {
            if !l.cancelled && l.backordered > Decimal::ZERO {
                *backordered.entry(l.sku.to_string()).or_default() += l.backordered;
            }
        }
    }
    let date = r.time.date_naive();
    for (si, (code, _, pattern)) in SUPPLIERS.iter().enumerate() {
        let recent = &seen[si][seen[si].len().saturating_sub(4)..];
        let expect = if recent.is_empty() {
            QUOTED_LEAD_DAYS as f64
        } else {
            (recent.iter().sum::<i64>() as f64 / recent.len() as f64).max(QUOTED_LEAD_DAYS as f64)
        };
        let mut lines = Vec::new();
        let mut which = Vec::new();
        for (i, it) in items.iter().enumerate().filter(|(_, it)| it.supplier == si) {
            let st = r
                .state
                .stock
                .get(&(Code::from(WAREHOUSE), Code::from(it.sku.clone())))
                .cloned()
                .unwrap_or_default();
            let position = st.on_hand
                - st.reserved
                - backordered
                    .get(it.sku.as_str())
                    .copied()
                    .unwrap_or_default()
                + it.on_order;
            let position = position.to_f64().unwrap_or(0.0);
            let reorder = it.est * (expect + 7.0 + 4.0);
            if position >= reorder.max(1.0) {
                continue;
            }
            let up_to = it.est * (expect + 7.0 + 4.0 + 14.0) + 2.0;
            let qty = (up_to - position).ceil().max(1.0) as i64;
            lines.push(PoLineInput {
                sku: it.sku.clone().into(),
                qty: Decimal::from(qty),
                unit: None,
                price: None,
                expected: None,
            });
            which.push((i, Decimal::from(qty)));
        }
        if lines.is_empty() {
            continue;
        }
        let ev = r.run(
            OPERATOR,
            CommandBody::CreatePurchaseOrder {
                supplier: (*code).into(),
                warehouse: WAREHOUSE.into(),
                lines,
            },
        )?;
        let po = match ev.first() {
            Some(Event::PurchaseOrderCreated(po)) => po.clone(),
            other => bail!("a history PO was not created: {other:?}"),
        };
        if po.status == PoStatus::AwaitingApproval {
            r.run(
                "SUP1",
                CommandBody::ApprovePurchaseOrder {
                    number: po.number.clone(),
                },
            )?;
        }
        for (i, q) in &which {
            items[*i].on_order += *q;
        }
        let lead = lead_days(*pattern, d, days, prng);
        to_receive
            .entry(date + Duration::days(lead))
            .or_default()
            .push(InTransit {
                po: po.number.to_string(),
                supplier: si,
                lines: which,
            });
    }
    Ok(())
}

/// A PO arrives: every line received at the dock and put away, except the
/// damaged units of some lines (one in twelve; one in six from the
/// erratic supplier), received into quarantine and written off.
fn receive(
    r: &mut Runner,
    prng: &mut Rng,
    t: &InTransit,
    items: &mut [GenItem],
    dock: &Code,
    quarantine: &Code,
) -> Result<()> {
    let odds = if SUPPLIERS[t.supplier].2 == LeadPattern::Erratic {
        1.0 / 6.0
    } else {
        1.0 / 12.0
    };
    let mut good = Vec::new();
    let mut damaged = Vec::new();
    for (i, q) in &t.lines {
        items[*i].on_order -= *q;
        let mut bad = Decimal::ZERO;
        if uniform(prng) < odds {
            let most = (*q / Decimal::from(10)).floor().max(Decimal::ONE);
            let most = most.to_u64().unwrap_or(1);
            bad = Decimal::from(1 + below(prng, most)).min(*q);
        }
        if *q - bad > Decimal::ZERO {
            good.push((*i, *q - bad));
        }
        if bad > Decimal::ZERO {
            damaged.push((*i, bad));
        }
    }
    let scan = |lines: &[(usize, Decimal)], items: &[GenItem]| {
        lines
            .iter()
            .map(|(i, q)| ReceiveInput {
                item: items[*i].sku.clone(),
                qty: Some(*q),
                lot: None,
                expiry: None,
            })
            .collect::<Vec<_>>()
    };
    if !good.is_empty() {
        r.run(
            OPERATOR,
            CommandBody::ReceivePurchase {
                po: t.po.clone().into(),
                bin: dock.clone(),
                lines: scan(&good, &*items),
            },
        )?;
        for (i, q) in &good {
            let sku = items[*i].sku.clone();
            let to = crate::core::purchasing::directed_bin(&r.state, WAREHOUSE, &sku)
                .context("no bin to put away into")?;
            r.run(
                OPERATOR,
                CommandBody::PutAway {
                    warehouse: WAREHOUSE.into(),
                    from: dock.clone(),
                    sku: sku.into(),
                    lot: None,
                    qty: *q,
                    to: to.to_string(),
                    reason: String::new(),
                },
            )?;
        }
    }
    if !damaged.is_empty() {
        r.run(
            OPERATOR,
            CommandBody::ReceivePurchase {
                po: t.po.clone().into(),
                bin: quarantine.clone(),
                lines: scan(&damaged, &*items),
            },
        )?;
        for (i, q) in &damaged {
            r.run(
                "SUP1",
                CommandBody::AdjustStock {
                    warehouse: WAREHOUSE.into(),
                    bin: quarantine.clone(),
                    sku: items[*i].sku.clone().into(),
                    lot: None,
                    qty: -*q,
                    reason: Reason::Damage,
                },
            )?;
        }
    }
    Ok(())
}

/// Every four weeks a quarter of the items is counted (the `round`'th
/// quarter): a counter finds what the shelf holds, shrinkage on some
/// items (a shrink-prone one more often), now and then a unit found; a
/// variance is counted again by a receiver and posted with its reason
/// (approved by a supervisor when above the approval limit).
fn count(r: &mut Runner, prng: &mut Rng, items: &[GenItem], round: usize) -> Result<()> {
    let skus: Vec<Code> = items
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 4 == round % 4)
        .map(|(_, it)| Code::from(it.sku.clone()))
        .filter(|s| {
            r.state
                .stock
                .get(&(Code::from(WAREHOUSE), s.clone()))
                .is_some_and(|st| st.on_hand > Decimal::ZERO)
        })
        .collect();
    if skus.is_empty() {
        return Ok(());
    }
    let ev = r.run(
        OPERATOR,
        CommandBody::ScheduleCounts {
            warehouse: WAREHOUSE.into(),
            limit: crate::core::counts::SCHEDULE_MAX,
            skus,
        },
    )?;
    let counts = match ev.first() {
        Some(Event::CountsScheduled { counts }) => counts.clone(),
        other => bail!("no counts scheduled: {other:?}"),
    };
    let shrinks: BTreeMap<&str, bool> = items.iter().map(|i| (i.sku.as_str(), i.shrinks)).collect();
    for c in counts {
        let key = BinKey {
            warehouse: c.warehouse.clone(),
            bin: c.bin.clone(),
            sku: c.sku.clone(),
            lot: c.lot.clone(),
        };
        let book = r.state.bin_stock.get(&key).copied().unwrap_or_default();
        let u = uniform(prng);
        let p_short = if shrinks.get(c.sku.as_str()).copied().unwrap_or(false) {
            0.45
        } else {
            0.12
        };
        let (found, reason) = if u < p_short && book > Decimal::ZERO {
            let lost = Decimal::from(1 + below(prng, 3)).min(book);
            (book - lost, Reason::Theft)
        } else if u > 0.95 {
            (book + Decimal::ONE, Reason::Found)
        } else {
            (book, Reason::Correction)
        };
        let ev = r.run(
            OPERATOR,
            CommandBody::EnterCount {
                count: c.number.clone(),
                qty: found,
                reason: None,
            },
        )?;
        if !matches!(ev.first(), Some(Event::RecountNeeded { .. })) {
            continue;
        }
        let ev = r.run(
            "RECV1",
            CommandBody::EnterCount {
                count: c.number.clone(),
                qty: found,
                reason: Some(reason),
            },
        )?;
        if matches!(ev.first(), Some(Event::CountHeld { .. })) {
            r.run(
                "SUP1",
                CommandBody::ApproveCount {
                    count: c.number.clone(),
                },
            )?;
        }
    }
    Ok(())
}

/// Release, pick, pack, ship and invoice an order; the invoice's number.
fn ship(
    r: &mut Runner,
    number: &str,
    c: &GenCustomer,
    weight: &BTreeMap<Code, Decimal>,
) -> Result<String> {
    let ev = r.run(
        OPERATOR,
        CommandBody::ReleaseOrder {
            number: number.into(),
        },
    )?;
    let list = match ev.first() {
        Some(Event::PickListCreated(p)) => p.clone(),
        other => bail!("no pick list for {number}: {other:?}"),
    };
    let mut contents = Vec::new();
    let mut kg = Decimal::ZERO;
    for l in &list.lines {
        r.run(OPERATOR, CommandBody::pick_in_full(&list.number, l))?;
        contents.push(crate::core::pack::CartonInput {
            item: l.sku.to_string(),
            qty: Some(l.qty),
        });
        kg += l.qty * weight.get(&l.sku).copied().unwrap_or_default();
    }
    r.run(
        OPERATOR,
        CommandBody::PackCarton {
            list: list.number.clone(),
            contents,
            weight: kg.round_dp(3),
            tare: Decimal::ZERO,
        },
    )?;
    let ev = r.run(
        OPERATOR,
        CommandBody::ShipPick {
            list: list.number.clone(),
            carrier: CARRIERS[c.carrier].0.into(),
            service: CARRIERS[c.carrier].1.into(),
            tracking: String::new(),
            freight: Decimal::new(950, 2),
        },
    )?;
    let shipment = match ev.first() {
        Some(Event::Shipped { shipment, .. }) => shipment.number.clone(),
        other => bail!("{number} not shipped: {other:?}"),
    };
    let ev = r.run(
        OPERATOR,
        CommandBody::InvoiceShipments {
            shipments: vec![shipment],
        },
    )?;
    match ev.first() {
        Some(Event::Invoiced { invoice, .. }) => Ok(invoice.number.to_string()),
        other => bail!("{number} not invoiced: {other:?}"),
    }
}

/// Write a generated history to a new store at `dir`: the same commands
/// through the engine, its clock at each command's time.
pub fn write(dir: &std::path::Path, h: &History) -> Result<u64> {
    use crate::engine::{Engine, EngineConfig, Submission};
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;
    let first = h.commands.first().map(|c| c.time.timestamp()).unwrap_or(0);
    let secs = Arc::new(AtomicI64::new(first));
    let clock_secs = secs.clone();
    let clock = Arc::new(move || -> DateTime<Utc> {
        DateTime::from_timestamp(clock_secs.load(Ordering::Relaxed), 0).unwrap_or_else(Utc::now)
    });
    let store = crate::store::Store::open(dir).map_err(|e| anyhow!("{e}"))?;
    let engine = Engine::start(
        store,
        EngineConfig {
            clock,
            ..EngineConfig::default()
        },
    )
    .map_err(|e| anyhow!("{e}"))?;
    let mut n = 0u64;
    for c in &h.commands {
        secs.store(c.time.timestamp(), Ordering::Relaxed);
        let reply = engine
            .submit(Submission {
                operator: c.operator.clone(),
                session: "history".into(),
                key: None,
                body: c.body.clone(),
            })
            .map_err(|e| anyhow!("{e}"))?;
        reply
            .outcome
            .map_err(|r| anyhow!("the store refused a history command ({}): {r}", r.code()))?;
        n += 1;
    }
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    Ok(n)
}
