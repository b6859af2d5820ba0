//! One order's life on one page: its lines with reservations, backorders
//! and promises, the pick lists and cartons, the shipments with carrier
//! and tracking, the invoices with what was paid and credited, and holds.

use crate::core::billing::Invoice;
use crate::core::cash::Receipt;
use crate::core::code::Joined;
use crate::core::returns::CreditMemo;
use crate::core::sales::SalesOrder;
use crate::core::types::ToCode;
use crate::core::warehouse::{PickList, Shipment};
use crate::core::State;

/// Everything about one order, read from the state.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderLife {
    pub order: SalesOrder,
    pub picks: Vec<PickList>,
    pub shipments: Vec<Shipment>,
    pub invoices: Vec<Invoice>,
    /// Receipts that paid one of the invoices.
    pub receipts: Vec<Receipt>,
    pub credit_memos: Vec<CreditMemo>,
    /// A will-call's deposit still held for it (not yet applied to an
    /// invoice nor released).
    pub deposit: Option<crate::core::counter::Deposit>,
    /// What decided its promising, shipping, invoicing, credit and service
    /// rules when it was placed (None: no channel policy; the customer's
    /// record decided).
    pub policy: Option<crate::core::channel::Effective>,
    /// Read from the archive (issue 21): closed and moved out of memory.
    pub archived: bool,
}

/// The life of order `number` (None: no such order).
pub fn order_life(s: &State, number: &str) -> Option<OrderLife> {
    let order = SalesOrder::clone(s.orders.get(&number.to_code())?);
    let picks: Vec<PickList> = s
        .index
        .picks_by_order
        .get(&number.to_code())
        .into_iter()
        .flatten()
        .filter_map(|p| s.picks.get(p).map(|p| PickList::clone(p)))
        .collect();
    let shipments: Vec<Shipment> = s
        .index
        .shipments_by_order
        .get(&number.to_code())
        .into_iter()
        .flatten()
        .filter_map(|n| s.shipments.get(n).map(|x| Shipment::clone(x)))
        .collect();
    let mut invoices: Vec<Invoice> = Vec::new();
    for sh in &shipments {
        if let Some(inv) = sh.invoice.as_ref().and_then(|n| s.invoices.get(n)) {
            if !invoices.iter().any(|i| i.number == inv.number) {
                invoices.push(Invoice::clone(inv));
            }
        }
    }
    let mut receipts: Vec<Receipt> = Vec::new();
    for i in &invoices {
        for n in s
            .index
            .receipts_by_invoice
            .get(&i.number)
            .into_iter()
            .flatten()
        {
            if let Some(r) = s.receipts.get(n) {
                if !receipts.iter().any(|x| x.number == r.number) {
                    receipts.push(Receipt::clone(r));
                }
            }
        }
    }
    let credit_memos: Vec<CreditMemo> = s
        .credit_memos
        .values()
        .filter(|m| invoices.iter().any(|i| i.number == m.invoice))
        .cloned()
        .collect();
    Some(OrderLife {
        order,
        picks,
        shipments,
        invoices,
        receipts,
        credit_memos,
        deposit: s.deposits.get(&number.to_code()).cloned(),
        policy: s.order_policies.get(&number.to_code()).cloned(),
        archived: s.archived_orders.contains(number),
    })
}

/// The life of an archived order, from its documents as the store's
/// archive returns them (`Store::archived_order`), and the view of the
/// state with them put back that its history and journals are read
/// through. None when `docs` do not hold the order.
pub fn archived_life(
    s: &State,
    number: &str,
    docs: &[crate::core::archive::ArchivedDoc],
) -> Option<(State, OrderLife)> {
    if docs.is_empty() {
        return None;
    }
    let view = crate::core::archive::with_docs(s, docs);
    let life = order_life(&view, number)?;
    Some((view, life))
}

/// Orders of a customer, newest first (all orders when `customer` is
/// empty), at most `max`.
pub fn recent_orders(s: &State, customer: &str, max: usize) -> Vec<SalesOrder> {
    s.orders
        .greatest(max, |o| customer.is_empty() || o.customer == customer)
        .into_iter()
        .map(|(_, o)| SalesOrder::clone(o))
        .collect()
}

/// One record of an order's life as the log tells it: when, who, which
/// command, and what it did to this order.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRow {
    pub seq: u64,
    pub time: chrono::DateTime<chrono::Utc>,
    pub operator: String,
    pub command: String,
    pub what: Vec<String>,
}

/// The journal entries an order's records posted (shipments at cost,
/// invoices, payments, returns and credit memos), each with its record.
#[derive(Clone, Debug, PartialEq)]
pub struct JournalOf {
    pub seq: u64,
    pub entry: crate::core::posting::JournalEntry,
}

/// The log records of order `number` (`State::order_history`), newest
/// last, described for a person. `records` are those records as the
/// store returned them; a record it could not return is left out.
pub fn order_history(
    s: &State,
    number: &str,
    records: &[crate::core::Envelope],
) -> Vec<HistoryRow> {
    records
        .iter()
        .map(|env| HistoryRow {
            seq: env.seq,
            time: env.time,
            operator: env.operator.to_string(),
            command: env.command.clone(),
            what: env
                .events()
                .iter()
                .filter(|e| touches(s, e, number))
                .filter_map(|e| describe(s, e, number))
                .collect(),
        })
        .collect()
}

/// The journal entries of the order's records (see `JournalOf`).
pub fn order_journals(
    s: &State,
    number: &str,
    records: &[crate::core::Envelope],
) -> Vec<JournalOf> {
    let mut out = Vec::new();
    for env in records {
        for e in env.events().iter().filter(|e| touches(s, e, number)) {
            for j in crate::core::apply::journals(e) {
                out.push(JournalOf {
                    seq: env.seq,
                    entry: j.clone(),
                });
            }
        }
    }
    out
}

fn touches(s: &State, e: &crate::core::Event, number: &str) -> bool {
    crate::core::apply::orders_touched(s, e)
        .iter()
        .any(|o| o == number)
}

/// What an event did to order `number`, in a few words (None: nothing a
/// person needs in the order's history).
fn describe(s: &State, e: &crate::core::Event, number: &str) -> Option<String> {
    use super::{money, qty};
    use crate::core::Event as E;
    let currency = s
        .orders
        .get(&number.to_code())
        .map(|o| o.currency.clone())?;
    let c = &currency;
    Some(match e {
        E::OrderPlaced(o) => format!(
            "{} placed: {}, {} {c}{}",
            if o.status == crate::core::sales::OrderStatus::Quote {
                "quote"
            } else {
                "order"
            },
            plural(o.lines.len(), "line"),
            money(o.value(), c),
            if o.holds.is_empty() {
                String::new()
            } else {
                format!(
                    "; HELD: {}",
                    o.holds
                        .iter()
                        .map(|h| h.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ),
        E::OrderConfirmed { .. } => "confirmed".into(),
        E::OrderPolicyRecorded { policy, .. } => {
            format!("policies decided: {}", policy.lines().join("; "))
        }
        E::DeliveryConfirmed { shipment, date, .. } => {
            format!("shipment {shipment} delivered {date}")
        }
        E::QuoteConfirmed { holds, .. } if holds.is_empty() => "quote made an order".into(),
        E::QuoteConfirmed { holds, .. } => format!(
            "quote made an order, held: {}",
            holds
                .iter()
                .map(|h| h.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        E::HoldReleased { hold, by, .. } => format!("{} released by {by}", hold.as_str()),
        E::StockReserved {
            line,
            warehouse,
            qty: q,
            ..
        } => format!("line {line}: {} reserved in {warehouse}", qty(*q)),
        E::Backordered {
            line,
            qty: q,
            promise,
            ..
        } => format!("line {line}: {} backordered, promised {promise}", qty(*q)),
        E::ReservationReleased { line, qty: q, .. } => {
            format!("line {line}: {} reservation given back", qty(*q))
        }
        E::LineCancelled { line, .. } => format!("line {line} cancelled"),
        E::OrderCancelled { by, reason, .. } => format!("cancelled by {by}: {reason}"),
        E::LineChanged {
            line,
            by,
            backorder_cut,
            ..
        } => format!(
            "line {} changed by {by}: {} {} at {} ({}){}",
            line.line,
            qty(line.unit_qty),
            line.unit,
            crate::query::unit_price(line.price, c),
            crate::query::sale::rule_short(&line.rule),
            if backorder_cut.is_zero() {
                String::new()
            } else {
                format!(", {} taken off the backorder", qty(*backorder_cut))
            }
        ),
        E::LinesAdded { lines, by, .. } => {
            format!("{} added by {by}", plural(lines.len(), "line"))
        }
        E::Repromised { line, promise, .. } => format!("line {line}: promise moved to {promise}"),
        E::BackorderFilled {
            line,
            qty: q,
            warehouse,
            ..
        } => format!("line {line}: {} backorder filled in {warehouse}", qty(*q)),
        E::PickListCreated(p) => format!(
            "pick list {} released in {}{}",
            p.number,
            p.warehouse,
            p.wave
                .as_ref()
                .map(|w| format!(" (wave {w})"))
                .unwrap_or_default()
        ),
        E::PickLineAdded { list, line } => format!(
            "{list}: the rest ({}) offered from {}{}",
            qty(line.qty),
            line.bin,
            line.lot
                .as_ref()
                .map(|l| format!(" lot {l}"))
                .unwrap_or_default()
        ),
        E::Picked {
            order_line,
            bin,
            qty: q,
            lot,
            by,
            ..
        } => format!(
            "line {order_line}: {} picked from {bin}{} by {by}",
            qty(*q),
            lot.as_ref()
                .map(|l| format!(" lot {l}"))
                .unwrap_or_default()
        ),
        E::PickShort {
            order_line, qty: q, ..
        } => format!("line {order_line}: {} short", qty(*q)),
        E::PickShortReason { list, line, reason } => {
            format!("{list} line {line} short: {}", reason.as_str())
        }
        E::CartonPacked { list, carton } => format!(
            "{list} carton {} packed, {} kg{}",
            carton.number,
            qty(carton.weight),
            if carton.held { " (HELD: weight)" } else { "" }
        ),
        E::CartonReleased { list, carton, by } => {
            format!("{list} carton {carton} released by {by}")
        }
        E::CartonUnpacked { list, carton } => format!("{list} carton {carton} unpacked"),
        E::Shipped { shipment, .. } => format!(
            "shipped {} via {} {}{}",
            shipment.number,
            shipment.carrier,
            shipment.service,
            if shipment.tracking.is_empty() {
                String::new()
            } else {
                format!(" tracking {}", shipment.tracking)
            }
        ),
        E::Invoiced { invoice, .. } => format!(
            "invoiced {} total {} {}",
            invoice.number,
            money(invoice.total, &invoice.currency),
            invoice.currency
        ),
        E::PaymentReceived { receipt, .. } => format!(
            "payment {} {:?} {} {c}{}",
            receipt.number,
            receipt.method,
            money(receipt.amount, c),
            if receipt.reference.is_empty() {
                String::new()
            } else {
                format!(" ref {}", receipt.reference)
            }
        ),
        E::ReturnAuthorized(rma) => format!(
            "return {} authorised: {}{}",
            rma.number,
            rma.lines
                .iter()
                .map(|l| format!("{} {}", qty(l.qty), l.sku))
                .collect::<Vec<_>>()
                .join(", "),
            if rma.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", rma.reason)
            }
        ),
        E::ReturnCancelled { rma, reason } => format!("return {rma} cancelled: {reason}"),
        E::ReturnReceived { rma, .. } => format!("return {rma} received"),
        E::CreditMemoIssued { memo, .. } => format!(
            "credit memo {} total {} {}",
            memo.number,
            money(memo.total, &memo.currency),
            memo.currency
        ),
        E::DepositTaken(d) => format!(
            "will-call deposit {} {c} taken ({})",
            money(d.taken, c),
            d.receipts.joined(", ")
        ),
        E::DepositApplied {
            invoice, amount, ..
        } => {
            format!("deposit {} {c} applied to {invoice}", money(*amount, c))
        }
        E::DepositReleased { amount, .. } => format!(
            "deposit {} {c} released to the customer's credit",
            money(*amount, c)
        ),
        E::DocumentPrinted(p) => format!(
            "{} {} {}{}",
            p.kind,
            p.doc,
            if p.copy { "reprinted" } else { "printed" },
            p.printer
                .as_ref()
                .map(|x| format!(" on {x}"))
                .unwrap_or_default()
        ),
        _ => return None,
    })
}

/// `n thing` or `n things`.
fn plural(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}
