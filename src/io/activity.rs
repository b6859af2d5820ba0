//! A business in motion for the demo: orders in every state (quoted, held
//! on credit, backordered with a promise, released, picked, packed,
//! shipped and not invoiced, invoiced and open in every aging bucket,
//! paid), purchase orders due and late, a return. Every document comes
//! from the same commands a clerk would give, dated back by the caller's
//! clock, so every screen has something real to show on first start.

use crate::core::cash::{ApplyTo, Method};
use crate::core::pack::CartonInput;
use crate::core::purchasing::PoLineInput;
use crate::core::rejection::Rejection;
use crate::core::returns::{Disposition, ReturnInput};
use crate::core::sales::LineInput;
use crate::core::{CommandBody, Event, State};
use rust_decimal::Decimal;

/// How far an order is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Quote,
    Placed,
    Released,
    Picked,
    Packed,
    Shipped,
    /// Invoiced; paid: none, part, all.
    Invoiced(u8),
}

/// One order of the script: days ago, customer, lines (sku, qty), stage.
struct Order {
    days_ago: i64,
    customer: &'static str,
    lines: &'static [(&'static str, i64)],
    stage: Stage,
}

const ORDERS: &[Order] = &[
    // Paid long ago, and one of them returned in part.
    Order {
        days_ago: 95,
        customer: "C0001",
        lines: &[("FAS-1000", 4), ("FAS-1001", 2)],
        stage: Stage::Invoiced(2),
    },
    Order {
        days_ago: 80,
        customer: "C0002",
        lines: &[("FAS-1003", 3)],
        stage: Stage::Invoiced(2),
    },
    // Open invoices in every aging bucket (over 90, 61-90, 31-60, 1-30, current).
    Order {
        days_ago: 150,
        customer: "C0003",
        lines: &[("FAS-1000", 2)],
        stage: Stage::Invoiced(0),
    },
    Order {
        days_ago: 110,
        customer: "C0004",
        lines: &[("FAS-1001", 3), ("FAS-1000", 1)],
        stage: Stage::Invoiced(0),
    },
    Order {
        days_ago: 80,
        customer: "C0007",
        lines: &[("FAS-1003", 2)],
        stage: Stage::Invoiced(1),
    },
    Order {
        days_ago: 45,
        customer: "C0008",
        lines: &[("FAS-1000", 5)],
        stage: Stage::Invoiced(0),
    },
    Order {
        days_ago: 12,
        customer: "C0001",
        lines: &[("FAS-1001", 1)],
        stage: Stage::Invoiced(0),
    },
    // In the warehouse.
    Order {
        days_ago: 3,
        customer: "C0002",
        lines: &[("FAS-1000", 2), ("FAS-1003", 1)],
        stage: Stage::Shipped,
    },
    Order {
        days_ago: 2,
        customer: "C0004",
        lines: &[("FAS-1001", 2)],
        stage: Stage::Packed,
    },
    Order {
        days_ago: 1,
        customer: "C0007",
        lines: &[("FAS-1000", 3)],
        stage: Stage::Picked,
    },
    Order {
        days_ago: 1,
        customer: "C0008",
        lines: &[("FAS-1003", 2), ("FAS-1001", 1)],
        stage: Stage::Released,
    },
    Order {
        days_ago: 0,
        customer: "C0001",
        lines: &[("FAS-1000", 1), ("FAS-1001", 1)],
        stage: Stage::Placed,
    },
    // Quotes.
    Order {
        days_ago: 4,
        customer: "C0003",
        lines: &[("FAS-1001", 10)],
        stage: Stage::Quote,
    },
    Order {
        days_ago: 0,
        customer: "C0009",
        lines: &[("FAS-1000", 20), ("FAS-1003", 5)],
        stage: Stage::Quote,
    },
    // More than the shelf holds: backordered with a promise date.
    Order {
        days_ago: 2,
        customer: "C0001",
        lines: &[("FAS-1003", 400)],
        stage: Stage::Placed,
    },
    // Far over the customer's limit: held for a supervisor.
    Order {
        days_ago: 1,
        customer: "C0006",
        lines: &[("FAS-1001", 80)],
        stage: Stage::Placed,
    },
];

/// Purchase orders: days ago, supplier, sku, qty, expected in days (a
/// negative number: late).
/// When the data steward set the demo's data-quality rules: before the
/// oldest order.
const DATA_QUALITY_DAYS_AGO: i64 = 160;

const POS: &[(i64, &str, &str, i64, i64)] = &[
    (20, "V001", "FAS-1001", 10, -5),
    (6, "V001", "FAS-1003", 20, 8),
];

#[derive(Debug, thiserror::Error)]
pub enum ActivityError {
    #[error("demo activity, {what}: refused ({}): {rejection}", rejection.code())]
    Refused {
        what: String,
        rejection: Box<Rejection>,
    },
    #[error("demo activity, {what}: {problem}")]
    Unexpected { what: String, problem: String },
}

/// Why a step did not commit.
#[derive(Debug)]
pub enum StepError {
    Refused(Rejection),
    /// The engine or store failed: nothing more can be done.
    Failed(String),
}

/// Submits `body` as `operator` dated `days_ago` days before today, and
/// returns its events.
pub type Run<'a> = dyn FnMut(i64, &str, CommandBody) -> Result<Vec<Event>, StepError> + 'a;

fn go(
    run: &mut Run,
    what: &str,
    days: i64,
    op: &str,
    body: CommandBody,
) -> Result<Vec<Event>, ActivityError> {
    run(days, op, body).map_err(|e| match e {
        StepError::Refused(rejection) => ActivityError::Refused {
            what: what.to_string(),
            rejection: Box::new(rejection),
        },
        StepError::Failed(problem) => ActivityError::Unexpected {
            what: what.to_string(),
            problem,
        },
    })
}

fn unexpected(what: &str, problem: &str) -> ActivityError {
    ActivityError::Unexpected {
        what: what.to_string(),
        problem: problem.to_string(),
    }
}

/// Run the script through `run`, in date order; returns the commands
/// given. `state` is the demo as loaded (for item weights and the date).
pub fn run(state: &State, today: chrono::NaiveDate, run: &mut Run) -> Result<usize, ActivityError> {
    let mut n = 0usize;
    let mut orders: Vec<&Order> = ORDERS.iter().collect();
    orders.sort_by_key(|o| std::cmp::Reverse(o.days_ago));
    let mut paid_in_full: Vec<(String, &'static str)> = Vec::new();
    // The data steward turned every data-quality rule on before all this:
    // what the master data breaks waits in the queue as findings.
    go(
        run,
        "data-quality rules",
        DATA_QUALITY_DAYS_AGO,
        "DATA1",
        CommandBody::SetDataQualityRules {
            entity: None,
            rules: crate::core::quality::QualityRules::all(),
        },
    )?;
    n += 1;
    for (i, po) in POS.iter().enumerate() {
        let (days, supplier, sku, qty, expected) = *po;
        let what = format!("purchase order {}", i + 1);
        let ev = go(
            run,
            &what,
            days,
            "BUY1",
            CommandBody::CreatePurchaseOrder {
                supplier: supplier.into(),
                warehouse: "CHI".into(),
                lines: vec![PoLineInput {
                    sku: sku.into(),
                    qty: Decimal::from(qty),
                    unit: None,
                    price: None,
                    expected: Some(today + chrono::Duration::days(expected)),
                }],
            },
        )?;
        n += 1;
        let po = ev
            .iter()
            .find_map(|e| match e {
                Event::PurchaseOrderCreated(p) => Some(p.clone()),
                _ => None,
            })
            .ok_or_else(|| unexpected(&what, "no purchase order created"))?;
        // Above the entity's limit it waits for someone else's approval.
        if po.status == crate::core::purchasing::PoStatus::AwaitingApproval {
            go(
                run,
                &what,
                days,
                "SUP1",
                CommandBody::ApprovePurchaseOrder { number: po.number },
            )?;
            n += 1;
        }
    }
    for (i, o) in orders.iter().enumerate() {
        let what = format!("order {} of the script ({})", i + 1, o.customer);
        let lines: Vec<LineInput> = o
            .lines
            .iter()
            .map(|(sku, q)| LineInput {
                sku: (*sku).into(),
                qty: Decimal::from(*q),
                unit: None,
                warehouse: "CHI".into(),
                price: None,
            })
            .collect();
        let d = o.days_ago;
        let ev = go(
            run,
            &what,
            d,
            "REP1",
            CommandBody::PlaceOrder {
                quote: o.stage == Stage::Quote,
                customer: o.customer.into(),
                ship_to: None,
                customer_po: format!("PO-{}", 4100 + i),
                requested: None,
                lines,
            },
        )?;
        n += 1;
        let order = match ev.first() {
            Some(Event::OrderPlaced(x)) => x.clone(),
            _ => return Err(unexpected(&what, "no order placed")),
        };
        if matches!(o.stage, Stage::Quote | Stage::Placed) {
            continue;
        }
        for hold in &order.holds {
            go(
                run,
                &what,
                d,
                "SUP1",
                CommandBody::ReleaseHold {
                    number: order.number.clone(),
                    hold: *hold,
                },
            )?;
            n += 1;
        }
        let ev = go(
            run,
            &what,
            d,
            "SHIP1",
            CommandBody::ReleaseOrder {
                number: order.number.clone(),
            },
        )?;
        n += 1;
        let list = ev
            .iter()
            .find_map(|e| match e {
                Event::PickListCreated(p) => Some(p.clone()),
                _ => None,
            })
            .ok_or_else(|| unexpected(&what, "no pick list"))?;
        if o.stage == Stage::Released {
            continue;
        }
        for l in &list.lines {
            go(
                run,
                &what,
                d,
                "PICK1",
                CommandBody::pick_in_full(&list.number, l),
            )?;
            n += 1;
        }
        if o.stage == Stage::Picked {
            continue;
        }
        let kg: Decimal = list
            .lines
            .iter()
            .map(|l| {
                l.qty
                    * state
                        .items
                        .get(&l.sku)
                        .map(|i| i.weight_kg)
                        .unwrap_or_default()
            })
            .sum();
        go(
            run,
            &what,
            d,
            "PACK1",
            CommandBody::PackCarton {
                list: list.number.clone(),
                contents: list
                    .lines
                    .iter()
                    .map(|l| CartonInput {
                        item: l.sku.to_string(),
                        qty: Some(l.qty),
                    })
                    .collect(),
                weight: kg.round_dp(3),
                tare: Decimal::ZERO,
            },
        )?;
        n += 1;
        if o.stage == Stage::Packed {
            continue;
        }
        let ev = go(
            run,
            &what,
            d,
            "SHIP1",
            CommandBody::ShipPick {
                list: list.number.clone(),
                carrier: "FEDEX".into(),
                service: "GND".into(),
                tracking: format!("7489{:08}", 1000 + i),
                freight: Decimal::new(1250, 2),
            },
        )?;
        n += 1;
        let shipment = ev
            .iter()
            .find_map(|e| match e {
                Event::Shipped { shipment, .. } => Some(shipment.number.clone()),
                _ => None,
            })
            .ok_or_else(|| unexpected(&what, "nothing shipped"))?;
        let Stage::Invoiced(pay) = o.stage else {
            continue;
        };
        let ev = go(
            run,
            &what,
            d,
            "AR1",
            CommandBody::InvoiceShipments {
                shipments: vec![shipment],
            },
        )?;
        n += 1;
        let (invoice, total) = ev
            .iter()
            .find_map(|e| match e {
                Event::Invoiced { invoice, .. } => Some((invoice.number.clone(), invoice.total)),
                _ => None,
            })
            .ok_or_else(|| unexpected(&what, "nothing invoiced"))?;
        let amount = match pay {
            0 => continue,
            1 => (total / Decimal::from(2)).round_dp(2),
            _ => total,
        };
        go(
            run,
            &what,
            (d - 20).max(0),
            "AR1",
            CommandBody::ReceivePayment {
                customer: o.customer.into(),
                method: Method::Transfer,
                amount,
                reference: format!("remittance {invoice}"),
                apply: vec![ApplyTo {
                    invoice: invoice.clone(),
                    amount,
                    settle: false,
                }],
            },
        )?;
        n += 1;
        if pay == 2 {
            paid_in_full.push((invoice.to_string(), o.lines[0].0));
        }
    }
    // One return: a box of the first paid invoice's first line, restocked.
    if let Some((invoice, sku)) = paid_in_full.first() {
        // Back into a bin that holds the item.
        let bin = state
            .bin_stock
            .keys()
            .find(|k| k.warehouse == "CHI" && k.sku == *sku)
            .map(|k| k.bin.clone());
        let what = format!("return against {invoice}");
        let ev = go(
            run,
            &what,
            30,
            "REP1",
            CommandBody::AuthorizeReturn {
                invoice: invoice.clone().into(),
                reason: "damaged in transit".into(),
                lines: vec![ReturnInput {
                    line: 1,
                    qty: Decimal::ONE,
                    disposition: Disposition::Restock,
                }],
            },
        )?;
        n += 1;
        let rma = ev
            .iter()
            .find_map(|e| match e {
                Event::ReturnAuthorized(r) => Some(r.number.clone()),
                _ => None,
            })
            .ok_or_else(|| unexpected(&what, "no RMA"))?;
        go(
            run,
            &what,
            28,
            "RECV1",
            CommandBody::ReceiveReturn {
                rma,
                bin,
                lines: Vec::new(),
            },
        )?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every day of the demo's activity comes after its opening stock.
    #[test]
    fn the_activity_starts_after_the_opening_stock() {
        let opening = crate::io::demo::OPENING_DAYS_AGO;
        let days = ORDERS
            .iter()
            .map(|o| o.days_ago)
            .chain(POS.iter().map(|p| p.0))
            .chain([DATA_QUALITY_DAYS_AGO]);
        for d in days {
            assert!(d < opening, "{d} days ago is before the opening stock");
        }
    }
}
