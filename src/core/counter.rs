//! Counter sale (SPEC 3.1): a walk-in customer at the counter buys what is
//! on the shelf: order, pick, hand-over, invoice and payment in one
//! command and one commit. Each step is the same decision the separate
//! commands make (price engine, allocation, bin choice, moving average
//! cost, tax, cash application), taken on a scratch copy of the state so
//! that later steps see earlier ones; nothing is committed unless every
//! step succeeds.
//!
//! Paid in full on the spot, the sale uses no credit and skips the credit
//! check; otherwise (on account, or paid in part) the check applies and a
//! hold refuses the sale. Stock must be on the shelf: nothing is
//! backordered at the counter.

use super::apply::apply_event;
use super::cash::{ApplyTo, Method};
use super::command::{Command, CommandBody};
use super::event::Event;
use super::master::RecordKind;
use super::rejection::Rejection;
use super::sales::LineInput;
use super::state::State;
use super::types::Code;
use crate::core::types::ToCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The carrier and service a counter hand-over is recorded with when the
/// customer names none.
pub const WILL_CALL: (&str, &str) = ("WILLCALL", "PICKUP");

/// One line of a counter sale (the warehouse is the counter's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterLine {
    pub sku: Code,
    pub qty: Decimal,
    #[serde(default)]
    pub unit: Option<Code>,
    #[serde(default)]
    pub price: Option<Decimal>,
}

/// How the customer pays at the counter; `amount` defaults to the whole
/// invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterPayment {
    pub method: Method,
    #[serde(default)]
    pub amount: Option<Decimal>,
    #[serde(default)]
    pub reference: String,
}

/// The step of a counter sale that refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterStep {
    /// Checking how the customer pays.
    Tender,
    /// Pricing, credit and price floor, reservation.
    Order,
    /// Taking the goods from the bins.
    Pick,
    /// Invoicing what was handed over.
    Invoice,
    /// Applying the payment.
    Payment,
}

impl std::fmt::Display for CounterStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CounterStep::Tender => "tender",
            CounterStep::Order => "order",
            CounterStep::Pick => "pick",
            CounterStep::Invoice => "invoice",
            CounterStep::Payment => "payment",
        })
    }
}

/// Why a counter sale was refused, as data a screen can act on (which
/// line, how much, what the limit is).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum CounterRefusal {
    #[error("pay with cash, card, cheque or transfer; apply credit afterwards")]
    CreditTender,
    #[error("only one tender may pay \"the rest\" (give the others an amount)")]
    RestTwice,
    #[error("take payment in full or place it as an order: credit limit {limit} exceeded by {over} (exposure {exposure} + {sale} of this sale on account) would put the sale on credit hold")]
    CreditLimit {
        limit: Decimal,
        exposure: Decimal,
        sale: Decimal,
        over: Decimal,
    },
    #[error("take payment in full or place it as an order: an invoice is past due, so the sale would go on credit hold")]
    PastDue,
    #[error("line {line} {sku}: price {price} is below the margin floor {floor}: the sale would wait for price approval; place it as an order")]
    BelowFloor {
        line: u32,
        sku: Code,
        price: Decimal,
        floor: Decimal,
    },
    #[error("line {line} {sku}: {short} not on the shelf in {warehouse}")]
    NotOnShelf {
        line: u32,
        sku: Code,
        warehouse: Code,
        short: Decimal,
    },
    #[error("the core produced no {what} (a defect: nothing was changed)")]
    Missing { what: String },
    // New variants at the end: keyed rejections are persisted (bincode
    // numbers variants).
    /// Every line the shelf cannot fill, not only the first.
    #[error("not on the shelf in {warehouse}: {}", shorts_text(lines))]
    NotOnShelfLines {
        warehouse: Code,
        lines: Vec<ShortLine>,
    },
    /// A will-call deposit larger than what the order comes to.
    #[error("the deposit {given} is more than the {total} the order comes to (tax included)")]
    DepositOver { total: Decimal, given: Decimal },
}

/// A line of a counter sale or will-call the shelf cannot fill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortLine {
    pub line: u32,
    pub sku: Code,
    /// What is missing, in base units.
    pub short: Decimal,
}

fn shorts_text(lines: &[ShortLine]) -> String {
    lines
        .iter()
        .map(|l| format!("line {} {} short {}", l.line, l.sku, l.short.normalize()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A will-call order's deposit: what the customer paid at the counter and
/// is kept as their unapplied credit, earmarked for the order until it is
/// invoiced (at pickup), applied to its invoices; released as free credit
/// when the order is cancelled or nothing is left to hand over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    pub order: Code,
    pub customer: Code,
    pub entity: Code,
    /// Taken at the counter (customer currency).
    pub taken: Decimal,
    /// Not yet applied to an invoice nor released.
    pub remaining: Decimal,
    /// The receipts that brought it (one per tender).
    pub receipts: Vec<Code>,
}

fn refuse(step: CounterStep, reason: CounterRefusal) -> Rejection {
    Rejection::CounterSaleRefused { step, reason }
}

/// Run one step on the scratch state and keep its events.
fn step(scratch: &mut State, out: &mut Vec<Event>, events: Vec<Event>) -> Vec<Event> {
    for e in &events {
        apply_event(scratch, scratch.seq, e);
    }
    out.extend(events.iter().cloned());
    events
}

/// Sell from the shelf. `tenders` pay in order; a tender without an
/// amount pays what the others leave (at most one may), and with one the
/// sale is paid in full and uses no credit.
pub fn sell(
    state: &State,
    cmd: &Command,
    customer: &str,
    warehouse: &str,
    lines: &[CounterLine],
    tenders: &[&CounterPayment],
) -> Result<Vec<Event>, Rejection> {
    if tenders.iter().any(|p| p.method == Method::Credit) {
        return Err(refuse(CounterStep::Tender, CounterRefusal::CreditTender));
    }
    if tenders.iter().filter(|p| p.amount.is_none()).count() > 1 {
        return Err(refuse(CounterStep::Tender, CounterRefusal::RestTwice));
    }
    let c = state
        .customers
        .get(&customer.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Customer,
            key: customer.to_string(),
        })?;
    let (carrier, service) = match (&c.ship_policy.carrier, &c.ship_policy.service) {
        (Some(c), Some(s)) => (c.clone(), s.clone()),
        _ => (Code::from(WILL_CALL.0), Code::from(WILL_CALL.1)),
    };
    let sub = |body: CommandBody| Command {
        operator: cmd.operator.clone(),
        session: cmd.session.clone(),
        time: cmd.time,
        key: None,
        body,
    };
    let paid_in_full = tenders.iter().any(|p| p.amount.is_none());
    let paid = paid_now(tenders);
    // Each step is decided on the state the steps before it leave. The
    // copy shares every node with `state` (persistent maps): O(1), and a
    // step's write copies only the path it changes.
    let mut scratch = state.clone();
    let mut out = Vec::new();

    // Order: priced, confirmed and reserved, all of it.
    let place = sub(place_body(customer, warehouse, lines));
    let placed = super::sales::place_paid(&scratch, &place, paid)?;
    let order = match placed.first() {
        Some(Event::OrderPlaced(o)) => o.clone(),
        _ => {
            return Err(refuse(
                CounterStep::Order,
                CounterRefusal::Missing {
                    what: "order".into(),
                },
            ))
        }
    };
    if let Some(h) = order.holds.first() {
        return Err(refuse(
            CounterStep::Order,
            hold_reason(state, cmd, c, &order, *h, paid),
        ));
    }
    refuse_short(&order, &placed, warehouse)?;
    step(&mut scratch, &mut out, placed);

    // Pick from the bins the warehouse would send a picker to.
    let released = super::warehouse::release(
        &scratch,
        &order.number,
        cmd.warehouse_date(state, warehouse),
    )?;
    let lists = lists_of(&released);
    step(&mut scratch, &mut out, released);
    let (number, total) = hand_over(&mut scratch, &mut out, cmd, &lists, &carrier, &service)?;
    let given: Decimal = tenders.iter().filter_map(|p| p.amount).sum();
    if given > total {
        return Err(Rejection::Overpaid {
            invoice: number.to_string(),
            open: total,
            amount: given,
        });
    }
    // What goes on account is the invoice with its tax and freight, not
    // the order's goods: the order's check above cannot see the tax.
    if !paid_in_full {
        if let Some(c) = state.customers.get(&customer.to_code()) {
            let exposure = super::sales::exposure(state, c);
            let sale = total - given;
            let over = exposure + sale - c.credit_limit;
            if over > Decimal::ZERO {
                return Err(refuse(
                    CounterStep::Order,
                    CounterRefusal::CreditLimit {
                        limit: c.credit_limit,
                        exposure,
                        sale,
                        over,
                    },
                ));
            }
        }
    }
    for p in tenders {
        let amount = p.amount.unwrap_or(total - given);
        if amount.is_zero() && p.amount.is_none() {
            // The others paid it all: nothing left for "the rest".
            continue;
        }
        let paid = super::cash::receive(
            &scratch,
            cmd,
            customer,
            p.method,
            amount,
            &p.reference,
            &[ApplyTo {
                invoice: number.clone(),
                amount,
                settle: false,
            }],
        )?;
        step(&mut scratch, &mut out, paid);
    }
    Ok(out)
}

/// Refuse an order of the counter when the shelf cannot fill it, naming
/// every short line.
fn refuse_short(
    order: &super::sales::SalesOrder,
    placed: &[Event],
    warehouse: &str,
) -> Result<(), Rejection> {
    let lines: Vec<ShortLine> = placed
        .iter()
        .filter_map(|e| match e {
            Event::Backordered { line, qty, .. } => Some(ShortLine {
                line: *line,
                sku: order
                    .lines
                    .iter()
                    .find(|l| l.line == *line)
                    .map(|l| l.sku.clone())
                    .unwrap_or_default(),
                short: *qty,
            }),
            _ => None,
        })
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    Err(refuse(
        CounterStep::Order,
        CounterRefusal::NotOnShelfLines {
            warehouse: warehouse.to_code(),
            lines,
        },
    ))
}

fn lists_of(events: &[Event]) -> Vec<super::warehouse::PickList> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::PickListCreated(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

/// Pick every line of `lists` from its bin, hand the goods over the
/// counter and invoice them: (invoice, total).
fn hand_over(
    scratch: &mut State,
    out: &mut Vec<Event>,
    cmd: &Command,
    lists: &[super::warehouse::PickList],
    carrier: &str,
    service: &str,
) -> Result<(Code, Decimal), Rejection> {
    let mut shipments = Vec::new();
    for list in lists {
        for l in &list.lines {
            let picked = super::warehouse::confirm_pick(
                scratch,
                cmd,
                &list.number,
                l.line,
                &l.bin,
                &l.sku,
                Some(l.qty),
                false,
                None,
            )?;
            step(scratch, out, picked);
        }
        // Handed over the counter: no cartons, no freight.
        let shipped = super::warehouse::ship(
            scratch,
            cmd,
            &list.number,
            carrier,
            service,
            "",
            Decimal::ZERO,
            true,
        )?;
        for e in &shipped {
            if let Event::Shipped { shipment, .. } = e {
                shipments.push(shipment.number.clone());
            }
        }
        step(scratch, out, shipped);
    }
    let invoiced = super::billing::invoice(scratch, cmd, &shipments)?;
    let found = match invoiced.first() {
        Some(Event::Invoiced { invoice, .. }) => (invoice.number.clone(), invoice.total),
        _ => {
            return Err(refuse(
                CounterStep::Invoice,
                CounterRefusal::Missing {
                    what: "invoice".into(),
                },
            ))
        }
    };
    step(scratch, out, invoiced);
    Ok(found)
}

/// A will-call: the counter takes the order and the payment now, the
/// warehouse picks it later. The order (carrier WILLCALL) is placed and
/// reserved in full from the shelf, released to a pick list at once, and
/// the tenders are kept as a deposit: receipts not applied to any invoice
/// (Dr Bank / Cr Unapplied cash), earmarked for the order, applied to its
/// invoice when it is handed over (or invoiced otherwise). A tender
/// without an amount pays the order's whole total, tax included (what the
/// invoice of a full pickup today comes to); then no credit is used.
pub fn will_call(
    state: &State,
    cmd: &Command,
    customer: &str,
    warehouse: &str,
    lines: &[CounterLine],
    tenders: &[&CounterPayment],
) -> Result<Vec<Event>, Rejection> {
    if tenders.iter().any(|p| p.method == Method::Credit) {
        return Err(refuse(CounterStep::Tender, CounterRefusal::CreditTender));
    }
    if tenders.iter().filter(|p| p.amount.is_none()).count() > 1 {
        return Err(refuse(CounterStep::Tender, CounterRefusal::RestTwice));
    }
    let c = state
        .customers
        .get(&customer.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Customer,
            key: customer.to_string(),
        })?;
    let sub = |body: CommandBody| Command {
        operator: cmd.operator.clone(),
        session: cmd.session.clone(),
        time: cmd.time,
        key: None,
        body,
    };
    let paid = paid_now(tenders);
    let mut scratch = state.clone();
    let mut out = Vec::new();
    let place = sub(place_body(customer, warehouse, lines));
    let mut placed = super::sales::place_paid(&scratch, &place, paid)?;
    let mut order = match placed.first() {
        Some(Event::OrderPlaced(o)) => o.clone(),
        _ => {
            return Err(refuse(
                CounterStep::Order,
                CounterRefusal::Missing {
                    what: "order".into(),
                },
            ))
        }
    };
    if let Some(h) = order.holds.first() {
        return Err(refuse(
            CounterStep::Order,
            hold_reason(state, cmd, c, &order, *h, paid),
        ));
    }
    refuse_short(&order, &placed, warehouse)?;
    // Collected at the counter, whatever the customer's usual carrier.
    order.carrier = Some(WILL_CALL.0.to_string().into());
    order.service = Some(WILL_CALL.1.to_string().into());
    if let Some(first) = placed.first_mut() {
        *first = Event::OrderPlaced(order.clone());
    }
    step(&mut scratch, &mut out, placed);
    let released = super::warehouse::release(
        &scratch,
        &order.number,
        cmd.warehouse_date(state, warehouse),
    )?;
    let lists = lists_of(&released);
    step(&mut scratch, &mut out, released);
    // What the invoice of the whole order handed over today comes to: the
    // same steps on a copy that is thrown away (tax per code on the sum
    // of its lines, exactly as the invoice will compute it).
    let total = {
        let mut what_if = scratch.clone();
        let mut ignored = Vec::new();
        hand_over(
            &mut what_if,
            &mut ignored,
            cmd,
            &lists,
            WILL_CALL.0,
            WILL_CALL.1,
        )?
        .1
    };
    let given: Decimal = tenders.iter().filter_map(|p| p.amount).sum();
    if given > total {
        return Err(refuse(
            CounterStep::Tender,
            CounterRefusal::DepositOver { total, given },
        ));
    }
    let mut receipts = Vec::new();
    let mut deposit = Decimal::ZERO;
    for p in tenders {
        let amount = p.amount.unwrap_or(total - given);
        if amount.is_zero() && p.amount.is_none() {
            continue;
        }
        let paid =
            super::cash::receive(&scratch, cmd, customer, p.method, amount, &p.reference, &[])?;
        for e in &paid {
            if let Event::PaymentReceived { receipt, .. } = e {
                receipts.push(receipt.number.clone());
                deposit += receipt.unapplied;
            }
        }
        step(&mut scratch, &mut out, paid);
    }
    if deposit > Decimal::ZERO {
        out.push(Event::DepositTaken(Deposit {
            order: order.number.clone(),
            customer: c.code.clone(),
            entity: c.entity.clone(),
            taken: deposit,
            remaining: deposit,
            receipts,
        }));
    }
    Ok(out)
}

/// Has an order nothing left to hand over (every line cancelled or
/// shipped in full), or is it cancelled?
fn finished(o: &super::sales::SalesOrder) -> bool {
    o.status == super::sales::OrderStatus::Cancelled
        || o.lines.iter().all(|l| l.cancelled || l.shipped >= l.qty)
}

/// After `events` (decided on `state`): apply the deposits of the orders
/// on every invoice they make (Dr Unapplied cash / Cr AR, as a receipt of
/// the customer's credit), and release what is left of the deposit of an
/// order that is finished or cancelled. Returns `events` with these added.
pub fn settle_deposits(
    state: &State,
    cmd: &Command,
    events: Vec<Event>,
) -> Result<Vec<Event>, Rejection> {
    if state.deposits.is_empty() {
        return Ok(events);
    }
    let mut scratch = state.clone();
    let seq = scratch.seq;
    for e in &events {
        apply_event(&mut scratch, seq, e);
    }
    let mut out = events.clone();
    for e in &events {
        let Event::Invoiced { invoice, .. } = e else {
            continue;
        };
        let mut orders: Vec<Code> = invoice.lines.iter().map(|l| l.order.clone()).collect();
        orders.sort();
        orders.dedup();
        for order in orders {
            let Some(d) = scratch.deposits.get(&order).cloned() else {
                continue;
            };
            let open = scratch
                .invoices
                .get(&invoice.number)
                .map(|i| i.open - i.disputed)
                .unwrap_or_default();
            let amount = d.remaining.min(open);
            if amount <= Decimal::ZERO {
                continue;
            }
            // The earmark goes first, so that the credit it frees pays
            // the invoice.
            let applied = vec![Event::DepositApplied {
                order: order.clone(),
                invoice: invoice.number.clone(),
                amount,
            }];
            step(&mut scratch, &mut out, applied);
            let paid = super::cash::receive(
                &scratch,
                cmd,
                &d.customer,
                Method::Credit,
                amount,
                &order,
                &[ApplyTo {
                    invoice: invoice.number.clone(),
                    amount,
                    settle: false,
                }],
            )?;
            step(&mut scratch, &mut out, paid);
        }
    }
    release_finished(&mut scratch, &mut out);
    Ok(out)
}

/// After a ship confirm (`events`, decided on `state`): a will-call order
/// with a deposit is invoiced at the hand-over and its deposit applied,
/// so the customer leaves with the invoice paid as far as the deposit
/// goes. Other shipments are left for invoicing as before.
pub fn at_pickup(
    state: &State,
    cmd: &Command,
    events: Vec<Event>,
) -> Result<Vec<Event>, Rejection> {
    let shipments: Vec<Code> = events
        .iter()
        .filter_map(|e| match e {
            Event::Shipped { shipment, .. } if state.deposits.contains_key(&shipment.order) => {
                Some(shipment.number.clone())
            }
            _ => None,
        })
        .collect();
    if shipments.is_empty() {
        return Ok(events);
    }
    let mut scratch = state.clone();
    let mut out = Vec::new();
    step(&mut scratch, &mut out, events);
    let invoiced = super::billing::invoice(&scratch, cmd, &shipments)?;
    out.extend(invoiced);
    settle_deposits(state, cmd, out)
}

/// Release the rest of every deposit whose order is finished.
fn release_finished(scratch: &mut State, out: &mut Vec<Event>) {
    let done: Vec<(Code, Decimal)> = scratch
        .deposits
        .values()
        .filter(|d| scratch.orders.get(&d.order).is_none_or(|o| finished(o)))
        .map(|d| (d.order.clone(), d.remaining))
        .collect();
    for (order, amount) in done {
        step(scratch, out, vec![Event::DepositReleased { order, amount }]);
    }
}

/// Credit of a customer earmarked as will-call deposits (not free to be
/// applied elsewhere or refunded).
pub fn earmarked(state: &State, entity: &str, customer: &str) -> Decimal {
    state
        .deposits
        .values()
        .filter(|d| d.entity == entity && d.customer == customer)
        .map(|d| d.remaining)
        .sum()
}

pub fn apply_deposit_event(state: &mut State, event: &Event) {
    match event {
        Event::DepositTaken(d) => {
            state.deposits.insert(d.order.clone(), d.clone());
        }
        Event::DepositApplied { order, amount, .. } => {
            if let Some(d) = state.deposits.get_mut(order) {
                d.remaining -= *amount;
                if d.remaining <= Decimal::ZERO {
                    state.deposits.remove(order);
                }
            }
        }
        Event::DepositReleased { order, .. } => {
            state.deposits.remove(order);
        }
        _ => {}
    }
}

/// What the tenders pay now: in full when one pays "the rest".
fn paid_now(tenders: &[&CounterPayment]) -> super::sales::PaidNow {
    if tenders.iter().any(|p| p.amount.is_none()) {
        return super::sales::PaidNow::Full;
    }
    match tenders.iter().filter_map(|p| p.amount).sum::<Decimal>() {
        d if d > Decimal::ZERO => super::sales::PaidNow::Part(d),
        _ => super::sales::PaidNow::Nothing,
    }
}

/// Why the order of a counter sale would be held, with the figures (what
/// goes on account: the order with its tax less what is paid now).
fn hold_reason(
    state: &State,
    cmd: &Command,
    c: &super::master::Customer,
    order: &super::sales::SalesOrder,
    hold: super::sales::Hold,
    paid: super::sales::PaidNow,
) -> CounterRefusal {
    match hold {
        super::sales::Hold::Credit => {
            let exposure = super::sales::exposure(state, c);
            let given = match paid {
                super::sales::PaidNow::Part(d) => d,
                _ => Decimal::ZERO,
            };
            let sale = (super::sales::credit_value(state, c, order) - given).max(Decimal::ZERO);
            let over = exposure + sale - c.credit_limit;
            if over > Decimal::ZERO {
                CounterRefusal::CreditLimit {
                    limit: c.credit_limit,
                    exposure,
                    sale,
                    over,
                }
            } else {
                CounterRefusal::PastDue
            }
        }
        super::sales::Hold::Price => {
            let below = order.lines.iter().find_map(|l| {
                let item = state.items.get(&l.sku)?;
                let floor = super::sales::floor_price(
                    state,
                    &order.entity,
                    &order.currency,
                    item,
                    cmd.entity_date(state, &order.entity),
                )?;
                (l.price < floor).then(|| (l.line, l.sku.clone(), l.price, floor))
            });
            match below {
                Some((line, sku, price, floor)) => CounterRefusal::BelowFloor {
                    line,
                    sku,
                    price,
                    floor,
                },
                None => CounterRefusal::Missing {
                    what: "line below the floor".into(),
                },
            }
        }
    }
}

/// The order a counter sale or a will-call places: every line from the
/// counter's warehouse, at the engine's price unless one was typed.
fn place_body(customer: &str, warehouse: &str, lines: &[CounterLine]) -> CommandBody {
    CommandBody::PlaceOrder {
        quote: false,
        customer: customer.to_code(),
        ship_to: None,
        customer_po: String::new(),
        requested: None,
        lines: lines
            .iter()
            .map(|l| LineInput {
                sku: l.sku.clone(),
                qty: l.qty,
                unit: l.unit.clone(),
                warehouse: warehouse.to_code(),
                price: l.price,
            })
            .collect(),
    }
}
