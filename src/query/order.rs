//! One order's life on one page: its lines with reservations, backorders
//! and promises, the pick lists and cartons, the shipments with carrier
//! and tracking, the invoices with what was paid and credited, and holds.

use crate::core::billing::Invoice;
use crate::core::cash::Receipt;
use crate::core::returns::CreditMemo;
use crate::core::sales::SalesOrder;
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
}

/// The life of order `number` (None: no such order).
pub fn order_life(s: &State, number: &str) -> Option<OrderLife> {
    let order = s.orders.get(number)?.clone();
    let picks: Vec<PickList> = s
        .index
        .picks_by_order
        .get(number)
        .into_iter()
        .flatten()
        .filter_map(|p| s.picks.get(p).cloned())
        .collect();
    let shipments: Vec<Shipment> = s
        .index
        .shipments_by_order
        .get(number)
        .into_iter()
        .flatten()
        .filter_map(|n| s.shipments.get(n).cloned())
        .collect();
    let mut invoices: Vec<Invoice> = Vec::new();
    for sh in &shipments {
        if let Some(inv) = sh.invoice.as_ref().and_then(|n| s.invoices.get(n)) {
            if !invoices.iter().any(|i| i.number == inv.number) {
                invoices.push(inv.clone());
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
                    receipts.push(r.clone());
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
    })
}

/// Orders of a customer, newest first (all orders when `customer` is
/// empty), at most `max`.
pub fn recent_orders(s: &State, customer: &str, max: usize) -> Vec<SalesOrder> {
    s.orders
        .values()
        .rev()
        .filter(|o| customer.is_empty() || o.customer == customer)
        .take(max)
        .cloned()
        .collect()
}
