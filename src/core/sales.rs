//! Order capture (SPEC 3.1, steps 1 and 2): quotes and sales orders, the
//! price engine with the rule behind every price, the credit check, price
//! approval below the margin floor, and allocation (reservation per line
//! and warehouse, backorder with a promise date).
//!
//! An order is confirmed when it has no hold; only a confirmed order holds
//! stock. Holds are released or rejected by an operator with the
//! permission who did not place the order.

use super::command::Command;
use super::event::Event;
use super::master::{Customer, Item, RecordKind};
use super::rejection::Rejection;
use super::state::{Indexes, Modify, State};
use super::types::{Code, Currency};
use super::validate;
use crate::core::types::ToCode;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Most lines an order may have.
pub const ORDER_LINES_MAX: usize = 500;
/// Promise when nothing better is known: today + this many days.
pub const DEFAULT_LEAD_DAYS: i64 = 14;
/// Unit prices keep at most this many decimals.
pub const PRICE_DECIMALS_MAX: u32 = 4;

/// Where a price came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceRule {
    /// A customer contract price (valid on the order date).
    Contract { code: Code },
    /// A quantity break of a customer contract.
    ContractBreak { code: Code, min_qty: Decimal },
    /// The list price of the customer's price list.
    List { price_list: Code },
    /// A quantity break of the customer's price list.
    ListBreak { price_list: Code, min_qty: Decimal },
    /// Typed by the operator.
    Manual { by: Code },
}

impl std::fmt::Display for PriceRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PriceRule::Contract { code } => write!(f, "contract {code}"),
            PriceRule::ContractBreak { code, min_qty } => {
                write!(f, "contract {code}, break at {min_qty}")
            }
            PriceRule::List { price_list } => write!(f, "list {price_list}"),
            PriceRule::ListBreak {
                price_list,
                min_qty,
            } => write!(f, "list {price_list}, break at {min_qty}"),
            PriceRule::Manual { by } => write!(f, "manual price by {by}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// Exposure over the credit limit.
    Credit,
    /// A manual price below the margin floor.
    Price,
}

impl Hold {
    pub fn as_str(self) -> &'static str {
        match self {
            Hold::Credit => "credit hold",
            Hold::Price => "price approval",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// A quote: prices given, nothing reserved, no credit used.
    Quote,
    /// An order waiting on a hold.
    Held,
    /// Confirmed: stock reserved (or backordered).
    Open,
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub line: u32,
    pub sku: Code,
    pub warehouse: Code,
    /// Ordered quantity in base units.
    pub qty: Decimal,
    /// The unit it was ordered in and the quantity in that unit.
    pub unit: Code,
    pub unit_qty: Decimal,
    /// Price per base unit in the order currency, and why.
    pub price: Decimal,
    pub rule: PriceRule,
    /// Reserved in the warehouse (base units).
    pub reserved: Decimal,
    /// Waiting for stock, with the date promised.
    pub backordered: Decimal,
    pub promise: Option<NaiveDate>,
    pub cancelled: bool,
    /// Picked and not yet shipped; shipped (base units).
    #[serde(default)]
    pub picked: Decimal,
    #[serde(default)]
    pub shipped: Decimal,
}

impl OrderLine {
    /// Value of the line (price x quantity), rounded to the minor unit of
    /// its order's currency.
    pub fn value(&self, currency: &Currency) -> Decimal {
        if self.cancelled {
            return Decimal::ZERO;
        }
        currency.cents(self.price * self.qty)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesOrder {
    pub number: Code,
    pub customer: Code,
    pub entity: Code,
    pub currency: Currency,
    pub ship_to: Option<Code>,
    pub customer_po: String,
    pub date: NaiveDate,
    pub requested: NaiveDate,
    pub placed_by: Code,
    pub status: OrderStatus,
    pub holds: Vec<Hold>,
    pub lines: Vec<OrderLine>,
    /// How it ships: the customer's carrier and service when placed.
    #[serde(default)]
    pub carrier: Option<Code>,
    #[serde(default)]
    pub service: Option<Code>,
}

impl SalesOrder {
    pub fn value(&self) -> Decimal {
        self.lines.iter().map(|l| l.value(&self.currency)).sum()
    }
}

/// One line as a caller gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub sku: Code,
    pub qty: Decimal,
    #[serde(default)]
    pub unit: Option<Code>,
    pub warehouse: Code,
    /// A manual unit price (per `unit`); none: the price engine's.
    #[serde(default)]
    pub price: Option<Decimal>,
}

/// The price engine: contract (valid on `date`, best break) before the
/// customer's price list (best break), per base unit.
pub fn price(
    state: &State,
    customer: &Customer,
    item: &Item,
    qty: Decimal,
    date: NaiveDate,
) -> Result<(Decimal, PriceRule), Rejection> {
    let best_break = |breaks: &[super::master::QtyBreak]| {
        breaks
            .iter()
            .filter(|b| b.min_qty <= qty)
            .max_by_key(|b| b.min_qty)
            .cloned()
    };
    let contract = state
        .index
        .contracts
        .get(&(customer.code.clone(), item.sku.clone()))
        .into_iter()
        .flatten()
        .filter_map(|code| state.contracts.get(code))
        .filter(|c| c.valid_from <= date && date <= c.valid_to)
        .min_by_key(|c| c.price);
    if let Some(c) = contract {
        return Ok(match best_break(&c.breaks) {
            Some(b) if b.price < c.price => (
                b.price,
                PriceRule::ContractBreak {
                    code: c.code.clone(),
                    min_qty: b.min_qty,
                },
            ),
            _ => (
                c.price,
                PriceRule::Contract {
                    code: c.code.clone(),
                },
            ),
        });
    }
    let lp = state
        .price_lists
        .get(&customer.price_list)
        .and_then(|l| l.prices.get(&item.sku))
        .ok_or_else(|| Rejection::NoPrice {
            sku: item.sku.to_string(),
            price_list: customer.price_list.to_string(),
        })?;
    Ok(match best_break(&lp.breaks) {
        Some(b) if b.price < lp.price => (
            b.price,
            PriceRule::ListBreak {
                price_list: customer.price_list.clone(),
                min_qty: b.min_qty,
            },
        ),
        _ => (
            lp.price,
            PriceRule::List {
                price_list: customer.price_list.clone(),
            },
        ),
    })
}

/// The lowest price per base unit the margin floor allows, in the order
/// currency: the item's floor, else its category's, else the cost (no
/// margin). None: no cost known yet.
pub fn floor_price(
    state: &State,
    entity: &str,
    currency: &Currency,
    item: &Item,
    date: NaiveDate,
) -> Option<Decimal> {
    // No floor set for the item or its category: the cost itself, so that
    // a manual price that loses money (a negative-margin line) is approved
    // by someone else too, not only one under a floor somebody thought of.
    let pct = item
        .margin_floor_pct
        .or_else(|| state.category_floors.get(&item.category).copied())
        .unwrap_or(Decimal::ZERO);
    let pool = state.costs.get(&(entity.to_code(), item.sku.clone()))?;
    if pool.qty.is_zero() {
        return None;
    }
    let cost = pool.value / pool.qty;
    let base = state.entities.get(&entity.to_code())?.base_currency.clone();
    let cost = if &base == currency {
        cost
    } else {
        cost * fx_rate(state, &base, currency, date)?
    };
    let keep = Decimal::ONE - pct / Decimal::from(100);
    if keep <= Decimal::ZERO {
        return None;
    }
    Some((cost / keep).round_dp(PRICE_DECIMALS_MAX))
}

/// The latest rate from `from` to `to` on or before `date`.
pub fn fx_rate(state: &State, from: &Currency, to: &Currency, date: NaiveDate) -> Option<Decimal> {
    state
        .fx_rates
        .range((from.clone(), to.clone(), NaiveDate::MIN)..=(from.clone(), to.clone(), date))
        .next_back()
        .map(|(_, r)| *r)
}

/// The tax an invoice of these goods (item, amount) would carry for the
/// customer shipping to `ship_to`: summed per tax code and rounded per
/// code, as the invoice does. What a credit check adds to goods, since
/// the open AR it is added to includes tax. Nothing for a customer with
/// a tax exemption; goods whose place or class has no tax code count no
/// tax (their invoice is refused, and says why).
pub fn tax_on<'a>(
    state: &State,
    customer: &Customer,
    ship_to: Option<&str>,
    goods: impl IntoIterator<Item = (&'a Code, Decimal)>,
) -> Decimal {
    if !customer.tax_exempt_cert.trim().is_empty() {
        return Decimal::ZERO;
    }
    let Some(place) = super::billing::jurisdiction(state, &customer.code, ship_to) else {
        return Decimal::ZERO;
    };
    // Few codes a document: a short list, not a map.
    let mut per: Vec<(&Code, Decimal, Decimal)> = Vec::new();
    for (sku, amount) in goods {
        let Some(class) = state.items.get(sku).map(|i| &i.tax_class) else {
            continue;
        };
        let Some(t) = super::billing::tax_code(state, &place, class) else {
            continue;
        };
        match per.iter_mut().find(|(c, ..)| **c == t.code) {
            Some((_, taxable, _)) => *taxable += amount,
            None => per.push((&t.code, amount, t.rate_pct)),
        }
    }
    per.into_iter()
        .map(|(_, taxable, rate)| customer.currency.round(taxable * rate / Decimal::from(100)))
        .sum()
}

/// An order's goods (its lines not cancelled, shipped or not) and the tax
/// their invoices will carry: what order entry and inquiry show before
/// anything is invoiced. Invoices that split the order may differ by a
/// cent (tax is rounded per invoice and code); freight comes with the
/// shipment.
pub fn order_totals(state: &State, o: &SalesOrder) -> (Decimal, Decimal) {
    let goods = o.value();
    let tax = state.customers.get(&o.customer).map_or(Decimal::ZERO, |c| {
        let lines = o.lines.iter().filter(|l| !l.cancelled);
        tax_on(
            state,
            c,
            o.ship_to.as_deref(),
            lines.map(|l| (&l.sku, l.value(&o.currency))),
        )
    });
    (goods, tax)
}

/// What an order puts on the customer's account as the credit check
/// counts it: the goods not yet shipped of its lines still wanted, with
/// their tax (freight is not known until it ships).
pub fn credit_value(state: &State, customer: &Customer, o: &SalesOrder) -> Decimal {
    let open = |l: &OrderLine| o.currency.cents(l.price * (l.qty - l.shipped));
    let lines = o.lines.iter().filter(|l| !l.cancelled);
    let goods: Decimal = lines.clone().map(open).sum();
    goods
        + tax_on(
            state,
            customer,
            o.ship_to.as_deref(),
            lines.map(|l| (&l.sku, open(l))),
        )
}

/// What the customer owes and has on order, in the customer's currency:
/// open AR, plus shipped-not-invoiced, plus the unshipped value of
/// confirmed orders, each with its tax as the invoice will carry it (the
/// open AR includes tax, so the orders are counted as it will count
/// them): the credit exposure before a new order.
pub fn exposure(state: &State, customer: &Customer) -> Decimal {
    let ar = state.customer_balance(&customer.code);
    let docs = |m: &super::state::Map<Code, super::state::SmallSet<Code>>| {
        m.get(&customer.code).cloned().unwrap_or_default()
    };
    let orders: Decimal = docs(&state.index.open_orders)
        .iter()
        .filter_map(|n| state.orders.get(n))
        .filter(|o| o.status == OrderStatus::Open)
        .map(|o| credit_value(state, customer, o))
        .sum();
    let uninvoiced: Decimal = docs(&state.index.uninvoiced)
        .iter()
        .filter_map(|n| state.shipments.get(n))
        .map(|s| {
            let amount =
                |l: &super::warehouse::ShipmentLine| customer.currency.cents(l.price * l.qty);
            let goods: Decimal = s.lines.iter().map(amount).sum();
            let ship_to = state
                .orders
                .get(&s.order)
                .and_then(|o| o.ship_to.as_deref());
            let tax = tax_on(
                state,
                customer,
                ship_to,
                s.lines.iter().map(|l| (&l.sku, amount(l))),
            );
            goods + tax
        })
        .sum();
    // A will-call's deposit already pays for what is on order, tax and
    // all (never for more).
    let deposits = super::counter::earmarked(state, &customer.entity, &customer.code);
    ar + orders - deposits.min(orders) + uninvoiced
}

/// Does the customer have an invoice open past its due date plus its
/// grace days (its channel policy's, else its own; disputed amounts do
/// not count)?
pub fn past_due(state: &State, customer: &Customer, today: NaiveDate) -> bool {
    let days = super::channel::effective(state, customer).grace_days.value;
    let grace = Duration::days(i64::from(days));
    state
        .index
        .open_invoices
        .get(&customer.code)
        .into_iter()
        .flatten()
        .filter_map(|n| state.invoices.get(n))
        .any(|i| i.open > i.disputed && i.due + grace < today)
}

/// The promise date for a backorder: the shortest lead time of a supplier
/// of the item in the entity, else the default.
pub fn promise_date(state: &State, entity: &str, sku: &str, today: NaiveDate) -> NaiveDate {
    let days = state
        .suppliers
        .values()
        .filter(|s| s.entity == entity && s.active && s.items.iter().any(|i| i.sku == sku))
        .map(|s| i64::from(s.lead_time_days))
        .min()
        .unwrap_or(DEFAULT_LEAD_DAYS);
    today + Duration::days(days)
}

/// How a command changes the receipts promises are made from, before its
/// events are applied.
#[derive(Clone, Debug, Default)]
pub struct ScheduleChange {
    /// Quantities of PO lines that no longer come: received by this
    /// command, or their PO closed. (PO, line) -> base units.
    pub gone: std::collections::BTreeMap<(Code, u32), Decimal>,
    /// Receipts newly scheduled: (warehouse, sku, expected, qty).
    pub added: Vec<(Code, Code, NaiveDate, Decimal)>,
}

impl ScheduleChange {
    /// Every open quantity of `po` leaves (closed, cancelled, unapproved).
    pub fn drop_po(&mut self, po: &super::purchasing::PurchaseOrder) {
        for l in &po.lines {
            *self.gone.entry((po.number.clone(), l.line)).or_default() += l.open();
        }
    }

    /// Every open quantity of `po` becomes a scheduled receipt.
    pub fn add_po(&mut self, po: &super::purchasing::PurchaseOrder) {
        for l in po.lines.iter().filter(|l| l.open() > Decimal::ZERO) {
            self.added
                .push((po.warehouse.clone(), l.sku.clone(), l.expected, l.open()));
        }
    }

    /// The (warehouse, sku) pairs whose scheduled receipts it changes.
    fn items(&self, state: &State) -> std::collections::BTreeSet<(Code, Code)> {
        let mut out: std::collections::BTreeSet<(Code, Code)> = self
            .added
            .iter()
            .map(|(w, s, _, _)| (w.clone(), s.clone()))
            .collect();
        for (po, line) in self.gone.keys() {
            if let Some(p) = state.purchase_orders.get(po) {
                if let Some(l) = p.lines.iter().find(|l| l.line == *line) {
                    out.insert((p.warehouse.clone(), l.sku.clone()));
                }
            }
        }
        out
    }
}

/// Scheduled receipts of an item into a warehouse: the open quantities of
/// approved purchase order lines by expected date, as `change` leaves them.
pub fn scheduled(
    state: &State,
    warehouse: &str,
    sku: &str,
    change: &ScheduleChange,
) -> Vec<(NaiveDate, Decimal)> {
    let mut out: Vec<(NaiveDate, Decimal)> = state
        .index
        .open_pos
        .iter()
        .filter_map(|n| state.purchase_orders.get(n))
        .filter(|po| po.warehouse == warehouse)
        .flat_map(|po| {
            po.lines.iter().filter(|l| l.sku == sku).map(move |l| {
                let now = change
                    .gone
                    .get(&(po.number.clone(), l.line))
                    .copied()
                    .unwrap_or_default();
                (l.expected, (l.open() - now).max(Decimal::ZERO))
            })
        })
        .filter(|(_, q)| *q > Decimal::ZERO)
        .collect();
    out.extend(
        change
            .added
            .iter()
            .filter(|(w, s, _, _)| w == warehouse && s == sku)
            .map(|(_, _, d, q)| (*d, *q)),
    );
    out.sort();
    out
}

/// Confirmed orders (status open) with something left to ship, through the
/// open-orders index: the orders stock and promises are owed to.
pub(crate) fn confirmed_orders(state: &State) -> impl Iterator<Item = &SalesOrder> {
    state
        .index
        .open_orders
        .values()
        .flatten()
        .filter_map(|n| state.orders.get(n).map(|o| &**o))
        .filter(|o| o.status == OrderStatus::Open)
}

/// A backordered line waiting for stock: (promise, order date, order, line).
type Waiting<'a> = (Option<NaiveDate>, NaiveDate, &'a Code, &'a OrderLine);

/// Backordered lines of confirmed orders waiting for the items `wanted`
/// says, in turn: oldest promise first, then oldest order.
fn waiting_backorders<'a>(
    state: &'a State,
    wanted: impl Fn(&str, &str) -> bool,
) -> Vec<Waiting<'a>> {
    let mut waiting = Vec::new();
    for o in confirmed_orders(state) {
        for l in &o.lines {
            if !l.cancelled && l.backordered > Decimal::ZERO && wanted(&l.warehouse, &l.sku) {
                waiting.push((l.promise, o.date, &o.number, l));
            }
        }
    }
    waiting.sort_by(|a, b| (a.0, a.1, a.2, a.3.line).cmp(&(b.0, b.1, b.2, b.3.line)));
    waiting
}

/// The promise for `qty` still waiting on line `l` after those `ahead` of
/// it, as a `Repromised` event when it moves; `ahead` then counts it too.
#[allow(clippy::too_many_arguments)]
fn promise_in_turn(
    state: &State,
    w: &Waiting<'_>,
    qty: Decimal,
    ahead: &mut std::collections::BTreeMap<(Code, Code), Decimal>,
    today: NaiveDate,
    change: &ScheduleChange,
) -> Option<Event> {
    let (promise, _, number, l) = *w;
    let key = (l.warehouse.clone(), l.sku.clone());
    let before = ahead.get(&key).copied().unwrap_or_default();
    let entity = state
        .warehouse_entity(&l.warehouse)
        .cloned()
        .unwrap_or_default();
    let p = promise_for(
        state,
        &entity,
        &l.warehouse,
        &l.sku,
        before,
        qty,
        today,
        change,
    );
    *ahead.entry(key).or_default() += qty;
    (Some(p) != promise).then(|| Event::Repromised {
        number: number.clone(),
        line: l.line,
        promise: p,
    })
}

/// Move the promises of backordered lines waiting for items whose
/// scheduled receipts `change` changes (a PO sent, approved, changed or
/// ended): oldest promise first, each after those ahead of it.
pub fn repromise(state: &State, change: &ScheduleChange, today: NaiveDate) -> Vec<Event> {
    let items = change.items(state);
    if items.is_empty() {
        return Vec::new();
    }
    let waiting = waiting_backorders(state, |w, s| items.contains(&(w.to_code(), s.to_code())));
    let mut ahead = Default::default();
    waiting
        .iter()
        .filter_map(|w| promise_in_turn(state, w, w.3.backordered, &mut ahead, today, change))
        .collect()
}

/// What confirmed orders already wait for of an item in a warehouse.
fn backordered_ahead(state: &State, warehouse: &str, sku: &str) -> Decimal {
    confirmed_orders(state)
        .flat_map(|o| o.lines.iter())
        .filter(|l| !l.cancelled && l.warehouse == warehouse && l.sku == sku)
        .map(|l| l.backordered)
        .sum()
}

/// The date `qty` more of an item can be promised in a warehouse, with
/// `ahead` already waiting: the expected date of the scheduled receipt
/// that covers it, else the supplier lead time (not before the last
/// scheduled receipt).
#[allow(clippy::too_many_arguments)]
pub fn promise_for(
    state: &State,
    entity: &str,
    warehouse: &str,
    sku: &str,
    ahead: Decimal,
    qty: Decimal,
    today: NaiveDate,
    change: &ScheduleChange,
) -> NaiveDate {
    let mut cum = Decimal::ZERO;
    let mut last = today;
    for (date, q) in scheduled(state, warehouse, sku, change) {
        cum += q;
        last = last.max(date);
        if cum >= ahead + qty {
            return date.max(today);
        }
    }
    // Beyond what is on order: a new order's lead time, and never before
    // those already waiting for what is on order (first come, first served).
    promise_date(state, entity, sku, today).max(last)
}

/// Promise for a new backorder of `qty` (nothing received by this command).
pub fn promise_new(
    state: &State,
    entity: &str,
    warehouse: &str,
    sku: &str,
    also_ahead: Decimal,
    qty: Decimal,
    today: NaiveDate,
) -> NaiveDate {
    let ahead = backordered_ahead(state, warehouse, sku) + also_ahead;
    promise_for(
        state,
        entity,
        warehouse,
        sku,
        ahead,
        qty,
        today,
        &Default::default(),
    )
}

/// Reserve what each line can get, backorder the rest.
pub fn allocate(state: &State, order: &SalesOrder, today: NaiveDate) -> Vec<Event> {
    let mut taken: std::collections::BTreeMap<(Code, Code), Decimal> = Default::default();
    let mut short_here: std::collections::BTreeMap<(Code, Code), Decimal> = Default::default();
    let mut out = Vec::with_capacity(order.lines.len());
    for l in order.lines.iter().filter(|l| !l.cancelled) {
        let want = l.qty - l.reserved - l.backordered - l.picked - l.shipped;
        if want <= Decimal::ZERO {
            continue;
        }
        let key = (l.warehouse.clone(), l.sku.clone());
        let st = state.stock.get(&key).cloned().unwrap_or_default();
        let used = taken.get(&key).copied().unwrap_or_default();
        // Picked goods have left on hand already (they are in `in_pick`).
        let avail =
            (st.on_hand - st.reserved - used - unavailable(state, &l.warehouse, &l.sku, today))
                .max(Decimal::ZERO);
        let reserve = want.min(avail);
        if reserve > Decimal::ZERO {
            *taken.entry(key.clone()).or_default() += reserve;
            out.push(Event::StockReserved {
                number: order.number.clone(),
                line: l.line,
                warehouse: l.warehouse.clone(),
                sku: l.sku.clone(),
                qty: reserve,
            });
        }
        let short = want - reserve;
        if short > Decimal::ZERO {
            let before = short_here.get(&key).copied().unwrap_or_default();
            out.push(Event::Backordered {
                number: order.number.clone(),
                line: l.line,
                qty: short,
                promise: promise_new(
                    state,
                    &order.entity,
                    &l.warehouse,
                    &l.sku,
                    before,
                    short,
                    today,
                ),
            });
            *short_here.entry(key).or_default() += short;
        }
    }
    out
}

/// Stock arrived (the moves of `events`): give what is free to backordered
/// lines of confirmed orders in those warehouses, oldest promise first,
/// and append the `BackorderFilled` events. Stock put into quarantine is
/// not free.
pub fn fill_backorders(state: &State, events: &mut Vec<Event>, today: NaiveDate) {
    // Net quantity per (warehouse, sku) into allocatable bins, and into
    // any bin (a putaway out of quarantine frees stock; one from the dock
    // to a shelf does not).
    let mut arriving: std::collections::BTreeMap<(Code, Code), (Decimal, Decimal)> =
        Default::default();
    for e in events.iter() {
        let moves = match e {
            Event::OpeningStockPosted { moves, .. }
            | Event::ReturnReceived { moves, .. }
            | Event::GoodsReceived { moves, .. }
            | Event::TransferReceived { moves, .. }
            | Event::PutAway { moves, .. } => moves,
            _ => continue,
        };
        for m in moves {
            let quarantine =
                held_back(state, &m.warehouse, &m.bin, &m.sku, m.lot.as_deref(), today);
            let e = arriving
                .entry((m.warehouse.clone(), m.sku.clone()))
                .or_default();
            e.1 += m.qty;
            if !quarantine {
                e.0 += m.qty;
            }
        }
    }
    arriving.retain(|_, (free, _)| *free > Decimal::ZERO);
    if arriving.is_empty() || state.index.open_orders.is_empty() {
        return;
    }
    let waiting = waiting_backorders(state, |w, s| {
        arriving.contains_key(&(w.to_code(), s.to_code()))
    });
    let mut free: std::collections::BTreeMap<(Code, Code), Decimal> = Default::default();
    for (key, (to_free, to_all)) in &arriving {
        let st = state.stock.get(key).cloned().unwrap_or_default();
        // After the moves: on hand grows by all of them, quarantine by
        // those into quarantine bins.
        let quarantine_after = unavailable(state, &key.0, &key.1, today) + (*to_all - *to_free);
        let f = st.on_hand + *to_all - st.reserved - quarantine_after;
        free.insert(key.clone(), f.max(Decimal::ZERO));
    }
    // What this command received per PO line no longer comes later.
    let mut received_now = ScheduleChange::default();
    for e in events.iter() {
        if let Event::GoodsReceived { receipt, .. } = e {
            for l in &receipt.lines {
                *received_now
                    .gone
                    .entry((receipt.po.clone(), l.po_line))
                    .or_default() += l.qty;
            }
        }
    }
    let mut ahead = Default::default();
    let mut more = Vec::new();
    for w in &waiting {
        let (_, _, number, l) = *w;
        let key = (l.warehouse.clone(), l.sku.clone());
        let Some(f) = free.get_mut(&key) else {
            continue;
        };
        let qty = l.backordered.min(*f);
        if qty > Decimal::ZERO {
            *f -= qty;
            more.push(Event::BackorderFilled {
                number: number.clone(),
                line: l.line,
                warehouse: l.warehouse.clone(),
                sku: l.sku.clone(),
                qty,
            });
        }
        // The rest waits: its promise follows the receipts still to come.
        let rest = l.backordered - qty;
        if rest > Decimal::ZERO {
            more.extend(promise_in_turn(
                state,
                w,
                rest,
                &mut ahead,
                today,
                &received_now,
            ));
        }
    }
    events.extend(more);
}

/// `freed` more of `sku` became promisable in `warehouse` by `events`
/// (a count settled) with nothing arriving: give it to the backorders
/// waiting for it, oldest promise first (the rest keep their promises).
pub fn fill_freed(
    state: &State,
    events: &mut Vec<Event>,
    warehouse: &Code,
    sku: &Code,
    freed: Decimal,
    today: NaiveDate,
) {
    let st = state
        .stock
        .get(&(warehouse.clone(), sku.clone()))
        .cloned()
        .unwrap_or_default();
    let mut free =
        (st.on_hand - st.reserved - unavailable(state, warehouse, sku, today) + freed).min(freed);
    if free <= Decimal::ZERO {
        return;
    }
    for (_, _, number, l) in waiting_backorders(state, |w, s| w == warehouse && s == sku) {
        if free <= Decimal::ZERO {
            break;
        }
        let qty = l.backordered.min(free);
        free -= qty;
        events.push(Event::BackorderFilled {
            number: number.clone(),
            line: l.line,
            warehouse: l.warehouse.clone(),
            sku: l.sku.clone(),
            qty,
        });
    }
}

/// Stock in a quarantine bin, or of a lot expired by `today`: never
/// promised, whatever is counted or arrives.
pub fn held_back(
    state: &State,
    warehouse: &Code,
    bin: &Code,
    sku: &str,
    lot: Option<&str>,
    today: NaiveDate,
) -> bool {
    state
        .bins
        .get(&(warehouse.clone(), bin.clone()))
        .is_some_and(|b| b.kind == super::master::BinKind::Quarantine)
        || state.lot_expiry(sku, lot).is_some_and(|d| d < today)
}

/// Stock on hand that cannot be promised today (quarantine bins, expired
/// lots, bin positions a picker found empty until they are counted): what
/// allocation leaves out of the free quantity.
pub fn unavailable(state: &State, warehouse: &str, sku: &str, today: NaiveDate) -> Decimal {
    state
        .index
        .item_bins
        .get(&(warehouse.to_code(), sku.to_code()))
        .into_iter()
        .flatten()
        // What makes a bin's stock unavailable first (the small maps of
        // bins and lots), its quantity only then (the large stock map).
        .filter(|k| {
            held_back(state, &k.warehouse, &k.bin, &k.sku, k.lot.as_deref(), today)
                || state.pick_blocked.contains(*k)
        })
        .filter_map(|k| state.bin_stock.get(k))
        .sum()
}

fn order_of<'a>(state: &'a State, number: &str) -> Result<&'a SalesOrder, Rejection> {
    state
        .orders
        .get(&number.to_code())
        .map(|o| &**o)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::SalesOrder,
            key: number.to_string(),
        })
}

/// Place a quote or an order (`CommandBody::PlaceOrder`).
pub fn place(state: &State, cmd: &Command) -> Result<Vec<Event>, Rejection> {
    place_paid(state, cmd, PaidNow::Nothing)
}

/// What a counter sale pays on the spot, for its order's credit check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaidNow {
    Nothing,
    /// Tenders of this much: the rest goes on account.
    Part(Decimal),
    /// Paid in full: no credit used, so no credit check.
    Full,
}

/// Place an order, paying `paid` of it on the spot (a counter sale).
pub fn place_paid(state: &State, cmd: &Command, paid: PaidNow) -> Result<Vec<Event>, Rejection> {
    let super::command::CommandBody::PlaceOrder {
        quote,
        customer,
        ship_to,
        customer_po,
        requested,
        lines,
    } = &cmd.body
    else {
        return Err(Rejection::NoChange);
    };
    let (quote, requested) = (*quote, *requested);
    let today = state
        .customers
        .get(customer)
        .map(|c| cmd.entity_date(state, &c.entity))
        .unwrap_or_else(|| cmd.date());
    let c = state
        .customers
        .get(customer)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Customer,
            key: customer.to_string(),
        })?;
    if !c.active {
        return Err(Rejection::Inactive {
            kind: RecordKind::Customer,
            key: c.code.to_string(),
        });
    }
    if let Some(s) = ship_to {
        if !c.ship_to.iter().any(|x| x.code == s) {
            return Err(Rejection::NotFound {
                kind: RecordKind::Customer,
                key: format!("{}/ship-to {s}", c.code),
            });
        }
    }
    validate::text("customer_po", customer_po, false)?;
    let requested = requested.unwrap_or(today);
    if requested < today {
        return Err(Rejection::InvalidDateRange {
            from: today,
            to: requested,
        });
    }
    if lines.is_empty() {
        return Err(Rejection::EmptyOrder);
    }
    if lines.len() > ORDER_LINES_MAX {
        return Err(Rejection::out_of_range(
            "lines",
            lines.len(),
            "1",
            ORDER_LINES_MAX,
        ));
    }
    let mut out_lines = Vec::with_capacity(lines.len());
    let mut below_floor = false;
    for (n, input) in lines.iter().enumerate() {
        let item = state
            .items
            .get(&input.sku)
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::Item,
                key: input.sku.to_string(),
            })?;
        if !item.active {
            return Err(Rejection::Inactive {
                kind: RecordKind::Item,
                key: item.sku.to_string(),
            });
        }
        let wh = state
            .warehouses
            .get(&input.warehouse)
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::Warehouse,
                key: input.warehouse.to_string(),
            })?;
        if wh.entity != c.entity {
            return Err(Rejection::WrongEntity {
                field: "warehouse".into(),
                value: wh.code.to_string(),
                expected: c.entity.to_string(),
                actual: wh.entity.to_string(),
            });
        }
        let unit = input.unit.clone().unwrap_or_else(|| item.base_unit.clone());
        let factor = item
            .unit_factor(&unit)
            .ok_or_else(|| Rejection::UnknownUnit {
                sku: item.sku.to_string(),
                unit: unit.to_string(),
            })?;
        validate::qty("qty", input.qty, item.qty_decimals)?;
        let qty = input.qty * factor;
        validate::qty("qty", qty, item.qty_decimals)?;
        let (price, rule) = match input.price {
            Some(p) => {
                validate::price("price", p)?;
                let per_base = (p / factor).round_dp(PRICE_DECIMALS_MAX);
                if let Some(floor) = floor_price(state, &c.entity, &c.currency, item, today) {
                    if per_base < floor {
                        below_floor = true;
                    }
                }
                (
                    per_base,
                    PriceRule::Manual {
                        by: cmd.operator.clone(),
                    },
                )
            }
            None => price(state, c, item, qty, today)?,
        };
        out_lines.push(OrderLine {
            line: n as u32 + 1,
            sku: item.sku.clone(),
            warehouse: wh.code.clone(),
            qty,
            unit,
            unit_qty: input.qty,
            price,
            rule,
            reserved: Decimal::ZERO,
            backordered: Decimal::ZERO,
            promise: None,
            cancelled: false,
            picked: Decimal::ZERO,
            shipped: Decimal::ZERO,
        });
    }
    let number = Code::numbered("SO", state.next_order + 1);
    let order = SalesOrder {
        number: number.clone(),
        customer: c.code.clone(),
        entity: c.entity.clone(),
        currency: c.currency.clone(),
        ship_to: ship_to.clone(),
        customer_po: customer_po.to_string(),
        date: today,
        requested,
        placed_by: cmd.operator.clone(),
        status: OrderStatus::Quote,
        holds: Vec::new(),
        lines: out_lines,
        carrier: c.ship_policy.carrier.clone(),
        service: c.ship_policy.service.clone(),
    };
    if quote {
        let mut ev = vec![Event::OrderPlaced(order)];
        ev.extend(super::channel::recorded(state, c, &number));
        return Ok(ev);
    }
    confirm(state, order, below_floor, today, false, paid)
}

/// Check credit and price, then hold or confirm (and allocate).
fn confirm(
    state: &State,
    mut order: SalesOrder,
    below_floor: bool,
    today: NaiveDate,
    from_quote: bool,
    paid: PaidNow,
) -> Result<Vec<Event>, Rejection> {
    let c = state
        .customers
        .get(&order.customer)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Customer,
            key: order.customer.to_string(),
        })?;
    let mut holds = Vec::new();
    // The channel policy's hold threshold and grace days, else the
    // customer's limit and grace days.
    let on_account = match paid {
        PaidNow::Part(p) => (credit_value(state, c, &order) - p).max(Decimal::ZERO),
        _ => credit_value(state, c, &order),
    };
    let over = exposure(state, c) + on_account > super::channel::hold_ceiling(state, c)
        || past_due(state, c, today);
    if over && paid != PaidNow::Full {
        holds.push(Hold::Credit);
    }
    if below_floor {
        holds.push(Hold::Price);
    }
    order.holds = holds;
    order.status = if order.holds.is_empty() {
        OrderStatus::Open
    } else {
        OrderStatus::Held
    };
    // What the order would reserve and backorder now: refused when its
    // promising policy takes no backorder, or none promised so late.
    let alloc = allocate(state, &order, today);
    super::channel::check_promising(state, &order, &alloc, today)?;
    let alloc = if order.holds.is_empty() {
        alloc
    } else {
        Vec::new()
    };
    let policy = if from_quote {
        None
    } else {
        super::channel::recorded(state, c, &order.number)
    };
    // Sized once: an event is large, and growing the vector copied them.
    let mut ev = Vec::with_capacity(1 + usize::from(policy.is_some()) + alloc.len());
    ev.push(if from_quote {
        Event::QuoteConfirmed {
            number: order.number.clone(),
            holds: order.holds.clone(),
        }
    } else {
        Event::OrderPlaced(order)
    });
    ev.extend(policy);
    ev.extend(alloc);
    Ok(ev)
}

/// A quote becomes an order at its quoted prices.
pub fn confirm_quote(
    state: &State,
    number: &str,
    today: NaiveDate,
) -> Result<Vec<Event>, Rejection> {
    let o = order_of(state, number)?;
    if o.status != OrderStatus::Quote {
        return Err(Rejection::OrderState {
            number: number.to_string(),
            status: o.status,
            action: "confirm as a quote".into(),
        });
    }
    let below = o.lines.iter().any(|l| {
        matches!(l.rule, PriceRule::Manual { .. })
            && state.items.get(&l.sku).is_some_and(|i| {
                floor_price(state, &o.entity, &o.currency, i, today).is_some_and(|f| l.price < f)
            })
    });
    confirm(state, o.clone(), below, today, true, PaidNow::Nothing)
}

/// Release (or reject) a hold; the placer may not decide on their own order.
pub fn decide_hold(
    state: &State,
    cmd: &Command,
    number: &str,
    hold: Hold,
    release: bool,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let o = order_of(state, number)?;
    if o.status != OrderStatus::Held || !o.holds.contains(&hold) {
        return Err(Rejection::NotFound {
            kind: RecordKind::SalesOrder,
            key: format!("{number} {}", hold.as_str()),
        });
    }
    if crate::core::exceptions::same_person(state, &o.placed_by, &cmd.operator) {
        return Err(Rejection::OwnOrder {
            number: number.to_string(),
        });
    }
    if !release {
        validate::text("reason", reason, true)?;
        return Ok(vec![Event::OrderCancelled {
            number: number.to_code(),
            by: cmd.operator.clone(),
            reason: format!("{} rejected: {reason}", hold.as_str()),
        }]);
    }
    let mut ev = vec![Event::HoldReleased {
        number: number.to_code(),
        hold,
        by: cmd.operator.clone(),
    }];
    if o.holds.len() == 1 {
        let mut confirmed = o.clone();
        confirmed.holds.clear();
        confirmed.status = OrderStatus::Open;
        ev.push(Event::OrderConfirmed {
            number: number.to_code(),
        });
        let today = cmd.entity_date(state, &o.entity);
        let alloc = allocate(state, &confirmed, today);
        super::channel::check_promising(state, &confirmed, &alloc, today)?;
        ev.extend(alloc);
    }
    Ok(ev)
}

/// Cancel a whole order or one line, releasing what it reserved.
pub fn cancel(
    state: &State,
    cmd: &Command,
    number: &str,
    line: Option<u32>,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let o = order_of(state, number)?;
    if o.status == OrderStatus::Cancelled {
        return Err(Rejection::OrderState {
            number: number.to_string(),
            status: o.status,
            action: "cancel".into(),
        });
    }
    validate::text("reason", reason, true)?;
    if let Some(p) = state
        .index
        .picks_by_order
        .get(&number.to_code())
        .into_iter()
        .flatten()
        .filter_map(|n| state.picks.get(n))
        .find(|p| p.status == super::warehouse::PickStatus::Open)
    {
        return Err(Rejection::OrderState {
            number: number.to_string(),
            status: o.status,
            action: format!("cancel while pick list {} is open", p.number),
        });
    }
    let targets: Vec<&OrderLine> = match line {
        None => o.lines.iter().filter(|l| !l.cancelled).collect(),
        Some(n) => {
            let l = o
                .lines
                .iter()
                .find(|l| l.line == n && !l.cancelled)
                .ok_or_else(|| Rejection::NotFound {
                    kind: RecordKind::SalesOrder,
                    key: format!("{number} line {n}"),
                })?;
            vec![l]
        }
    };
    if let Some(l) = targets.iter().find(|l| l.shipped > Decimal::ZERO) {
        return Err(Rejection::OrderState {
            number: number.to_string(),
            status: o.status,
            action: format!("cancel line {}: it has shipped", l.line),
        });
    }
    let mut ev: Vec<Event> = targets
        .iter()
        .filter(|l| l.reserved > Decimal::ZERO)
        .map(|l| Event::ReservationReleased {
            number: number.to_code(),
            line: l.line,
            warehouse: l.warehouse.clone(),
            sku: l.sku.clone(),
            qty: l.reserved,
        })
        .collect();
    let remaining = o.lines.iter().filter(|l| !l.cancelled).count();
    match line {
        Some(n) if remaining > 1 => ev.push(Event::LineCancelled {
            number: number.to_code(),
            line: n,
        }),
        _ => ev.push(Event::OrderCancelled {
            number: number.to_code(),
            by: cmd.operator.clone(),
            reason: reason.to_string(),
        }),
    }
    Ok(ev)
}

/// Apply the order events to the state.
pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::OrderPlaced(o) => {
            state.next_order += 1;
            if o.status == OrderStatus::Open {
                Indexes::add(&mut state.index.open_orders, &o.customer, &o.number);
            }
            state.orders.insert(o.number.clone(), o.clone().into());
        }
        Event::QuoteConfirmed { number, holds } => {
            if let Some(o) = state.orders.get_mut(number) {
                o.holds = holds.clone();
                o.status = if holds.is_empty() {
                    Indexes::add(&mut state.index.open_orders, &o.customer, number);
                    OrderStatus::Open
                } else {
                    OrderStatus::Held
                };
            }
        }
        Event::OrderConfirmed { number } => {
            if let Some(o) = state.orders.get_mut(number) {
                o.status = OrderStatus::Open;
                o.holds.clear();
                Indexes::add(&mut state.index.open_orders, &o.customer, number);
            }
        }
        Event::HoldReleased { number, hold, .. } => {
            if let Some(o) = state.orders.get_mut(number) {
                o.holds.retain(|h| h != hold);
            }
        }
        Event::StockReserved {
            number,
            line,
            warehouse,
            sku,
            qty,
        } => {
            if let Some(l) = line_mut(state, number, *line) {
                l.reserved += *qty;
            }
            state
                .stock
                .modify((warehouse.clone(), sku.clone()), |st| st.reserved += *qty);
        }
        Event::Backordered {
            number,
            line,
            qty,
            promise,
        } => {
            if let Some(l) = line_mut(state, number, *line) {
                l.backordered += *qty;
                l.promise = Some(*promise);
            }
        }
        Event::Repromised {
            number,
            line,
            promise,
        } => {
            if let Some(l) = line_mut(state, number, *line) {
                l.promise = Some(*promise);
            }
        }
        Event::BackorderFilled {
            number,
            line,
            warehouse,
            sku,
            qty,
        } => {
            if let Some(l) = line_mut(state, number, *line) {
                l.backordered -= *qty;
                l.reserved += *qty;
                if l.backordered.is_zero() {
                    l.promise = None;
                }
            }
            state
                .stock
                .modify((warehouse.clone(), sku.clone()), |st| st.reserved += *qty);
        }
        Event::ReservationReleased {
            number,
            line,
            warehouse,
            sku,
            qty,
        } => {
            if let Some(l) = line_mut(state, number, *line) {
                l.reserved -= *qty;
            }
            if let Some(st) = state.stock.get_mut(&(warehouse.clone(), sku.clone())) {
                st.reserved -= *qty;
            }
        }
        Event::LineCancelled { number, line } => {
            if let Some(l) = line_mut(state, number, *line) {
                l.cancelled = true;
                l.backordered = Decimal::ZERO;
            }
            // The rest may all have shipped: nothing left open.
            if let Some(o) = state.orders.get(number) {
                if o.lines.iter().all(|l| l.cancelled || l.shipped >= l.qty) {
                    let c = o.customer.clone();
                    Indexes::remove(&mut state.index.open_orders, &c, number);
                }
            }
        }
        Event::OrderCancelled { number, .. } => {
            if let Some(o) = state.orders.get_mut(number) {
                Indexes::remove(&mut state.index.open_orders, &o.customer, number);
                o.status = OrderStatus::Cancelled;
                for l in &mut o.lines {
                    l.cancelled = true;
                    l.backordered = Decimal::ZERO;
                }
            }
        }
        _ => {}
    }
}

fn line_mut<'a>(state: &'a mut State, number: &str, line: u32) -> Option<&'a mut OrderLine> {
    state
        .orders
        .get_mut(&number.to_code())?
        .lines
        .iter_mut()
        .find(|l| l.line == line)
}

#[cfg(test)]
mod contract_index_tests {
    use super::{price, PriceRule};
    use crate::core::command::CommandBody;
    use crate::core::invariants::{check_state, Violation};
    use crate::core::testing::{demo, run};
    use crate::core::types::ToCode;
    use crate::core::State;
    use rust_decimal::Decimal;

    fn rule(s: &State, customer: &str, sku: &str) -> PriceRule {
        let c = s.customers.get(&customer.to_code()).expect("a customer");
        let i = s.items.get(&sku.to_code()).expect("an item");
        let date = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
        price(s, c, i, Decimal::ONE, date).expect("a price").1
    }

    /// A line is priced from the contracts of its customer and item,
    /// found through an index; a contract moved to another customer is
    /// found under the new one only, and a wrong index is named.
    #[test]
    fn contract_prices_are_found_by_customer_and_item_and_follow_a_change() {
        let mut s = demo(chrono::Utc::now().date_naive());
        let k = s
            .contracts
            .get(&"K0004-1".to_code())
            .expect("the demo's contract")
            .clone();
        assert_eq!((k.customer.as_str(), k.sku.as_str()), ("C0004", "PAC-1041"));
        let contract = PriceRule::Contract {
            code: k.code.clone(),
        };
        assert_eq!(rule(&s, "C0004", "PAC-1041"), contract);
        assert!(!matches!(
            rule(&s, "C0002", "PAC-1041"),
            PriceRule::Contract { .. }
        ));
        let mut moved = k.clone();
        moved.customer = "C0002".into();
        run(&mut s, CommandBody::UpdateContractPrice(moved));
        assert_eq!(rule(&s, "C0002", "PAC-1041"), contract);
        assert!(!matches!(
            rule(&s, "C0004", "PAC-1041"),
            PriceRule::Contract { code } if code == k.code
        ));
        assert!(s
            .index
            .contracts
            .get(&("C0004".into(), "PAC-1041".into()))
            .is_none_or(|set| !set.contains(&k.code)));
        let mut wrong = s.clone();
        wrong
            .index
            .contracts
            .remove(&("C0002".into(), "PAC-1041".into()));
        assert!(matches!(
            check_state(&wrong),
            Err(Violation::OrderLine { problem, .. }) if problem.contains("contract prices")
        ));
    }
}

#[cfg(test)]
mod cents_tests {
    use super::OrderLine;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    /// A manual-price line of `qty` at `price`.
    fn line(qty: Decimal, price: Decimal) -> OrderLine {
        OrderLine {
            line: 1,
            sku: "FAS-1002".into(),
            warehouse: "CHI".into(),
            qty,
            unit: "EA".into(),
            unit_qty: qty,
            price,
            rule: super::PriceRule::Manual { by: "REP1".into() },
            reserved: Decimal::ZERO,
            backordered: Decimal::ZERO,
            promise: None,
            cancelled: false,
            picked: Decimal::ZERO,
            shipped: Decimal::ZERO,
        }
    }

    /// An order line's value is what its invoice line will be: half away
    /// from zero at the cent (WORKED-EXAMPLE's policy), as
    /// `Currency::round` does for the invoice.
    #[test]
    fn an_order_line_rounds_half_away_from_zero_as_its_invoice_does() {
        let d = |s: &str| Decimal::from_str(s).unwrap_or_default();
        let usd = crate::core::types::Currency::new("USD");
        for (qty, price, want) in [
            ("5", "12.345", "61.73"),
            ("1", "0.125", "0.13"),
            ("3", "0.335", "1.01"),
            ("2", "10.5", "21"),
        ] {
            let line = line(d(qty), d(price));
            assert_eq!(line.value(&usd), d(want), "{qty} x {price}");
            assert_eq!(line.value(&usd), usd.round(d(qty) * d(price)));
        }
        assert_eq!(usd.cents(d("-0.125")), d("-0.13"));
    }

    /// In a currency without cents, or with three decimals, an order line
    /// is rounded to that currency's minor unit as its invoice line is
    /// (`billing` rounds with `Currency::round`): 2.5 kg at 101 yen is 253
    /// yen on the order, not 252.50, and 3 x 1.2345 dinars is 3.704, not
    /// 3.70.
    #[test]
    fn an_order_line_rounds_to_its_currencys_minor_unit() {
        let d = |s: &str| Decimal::from_str(s).unwrap_or_default();
        for (cur, qty, price, want) in [
            ("JPY", "2.5", "101", "253"),
            ("JPY", "3", "33.5", "101"),
            ("KWD", "3", "1.2345", "3.704"),
            ("USD", "3", "1.2345", "3.70"),
        ] {
            let cur = crate::core::types::Currency::new(cur);
            let line = line(d(qty), d(price));
            assert_eq!(line.value(&cur), d(want), "{qty} x {price} {cur}");
            assert_eq!(line.value(&cur), cur.round(d(qty) * d(price)), "{cur}");
        }
    }
}
