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

fn refuse(problem: impl Into<String>) -> Rejection {
    Rejection::CounterSale {
        problem: problem.into(),
    }
}

/// Run one step on the scratch state and keep its events.
fn step(scratch: &mut State, out: &mut Vec<Event>, events: Vec<Event>) -> Vec<Event> {
    for e in &events {
        apply_event(scratch, scratch.seq, e);
    }
    out.extend(events.iter().cloned());
    events
}

pub fn sell(
    state: &State,
    cmd: &Command,
    customer: &str,
    warehouse: &str,
    lines: &[CounterLine],
    payment: Option<&CounterPayment>,
) -> Result<Vec<Event>, Rejection> {
    if payment.is_some_and(|p| p.method == Method::Credit) {
        return Err(refuse(
            "pay with cash, card, cheque or transfer; apply credit afterwards",
        ));
    }
    let c = state
        .customers
        .get(customer)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Customer,
            key: customer.to_string(),
        })?;
    let (carrier, service) = match (&c.ship_policy.carrier, &c.ship_policy.service) {
        (Some(c), Some(s)) => (c.clone(), s.clone()),
        _ => (WILL_CALL.0.to_string(), WILL_CALL.1.to_string()),
    };
    let sub = |body: CommandBody| Command {
        operator: cmd.operator.clone(),
        session: cmd.session.clone(),
        time: cmd.time,
        key: None,
        body,
    };
    let paid_in_full = payment.is_some_and(|p| p.amount.is_none());
    // Each step is decided on the state the steps before it leave. The
    // copy shares every node with `state` (persistent maps): O(1), and a
    // step's write copies only the path it changes.
    let mut scratch = state.clone();
    let mut out = Vec::new();

    // Order: priced, confirmed and reserved, all of it.
    let place = sub(CommandBody::PlaceOrder {
        quote: false,
        customer: customer.to_string(),
        ship_to: None,
        customer_po: String::new(),
        requested: None,
        lines: lines
            .iter()
            .map(|l| LineInput {
                sku: l.sku.clone(),
                qty: l.qty,
                unit: l.unit.clone(),
                warehouse: warehouse.to_string(),
                price: l.price,
            })
            .collect(),
    });
    let placed = super::sales::place_paid(&scratch, &place, paid_in_full)?;
    let order = match placed.first() {
        Some(Event::OrderPlaced(o)) => o.clone(),
        _ => return Err(refuse("the order was not placed")),
    };
    if let Some(h) = order.holds.first() {
        return Err(refuse(format!(
            "the sale would go on {}: place it as an order instead",
            h.as_str()
        )));
    }
    if let Some(Event::Backordered { line, qty, .. }) = placed
        .iter()
        .find(|e| matches!(e, Event::Backordered { .. }))
    {
        return Err(refuse(format!(
            "line {line}: {qty} not on the shelf in {warehouse}"
        )));
    }
    step(&mut scratch, &mut out, placed);

    // Pick from the bins the warehouse would send a picker to.
    let released = super::warehouse::release(&scratch, &order.number, cmd.date())?;
    let lists: Vec<_> = released
        .iter()
        .filter_map(|e| match e {
            Event::PickListCreated(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    step(&mut scratch, &mut out, released);
    let mut shipments = Vec::new();
    for list in lists {
        for l in &list.lines {
            let picked = super::warehouse::confirm_pick(
                &scratch,
                cmd,
                &list.number,
                l.line,
                &l.bin,
                &l.sku,
                Some(l.qty),
                false,
            )?;
            step(&mut scratch, &mut out, picked);
        }
        // Handed over the counter: no cartons, no freight.
        let shipped = super::warehouse::ship(
            &scratch,
            cmd,
            &list.number,
            &carrier,
            &service,
            "",
            Decimal::ZERO,
            true,
        )?;
        for e in &shipped {
            if let Event::Shipped { shipment, .. } = e {
                shipments.push(shipment.number.clone());
            }
        }
        step(&mut scratch, &mut out, shipped);
    }

    // Invoice, and the payment applied to it.
    let invoiced = super::billing::invoice(&scratch, cmd, &shipments)?;
    let (number, total) = match invoiced.first() {
        Some(Event::Invoiced { invoice, .. }) => (invoice.number.clone(), invoice.total),
        _ => return Err(refuse("nothing was invoiced")),
    };
    step(&mut scratch, &mut out, invoiced);
    if let Some(p) = payment {
        let amount = p.amount.unwrap_or(total);
        if amount > total {
            return Err(Rejection::Overpaid {
                invoice: number,
                open: total,
                amount,
            });
        }
        let paid = super::cash::receive(
            &scratch,
            cmd,
            customer,
            p.method,
            amount,
            &p.reference,
            &[ApplyTo {
                invoice: number,
                amount,
                settle: false,
            }],
        )?;
        step(&mut scratch, &mut out, paid);
    }
    Ok(out)
}
