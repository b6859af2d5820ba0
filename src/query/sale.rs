//! The counter sale as the clerk builds it: each line priced by the price
//! engine with its rule, availability here and elsewhere, and the totals
//! with tax. The preview runs the very decision the commit will run (the
//! core is pure), on the published view, so what the screen shows is what
//! the sale will post, or the exact refusal it would get.

use crate::core::counter::{CounterLine, CounterPayment};
use crate::core::rejection::Rejection;
use crate::core::sales::PriceRule;
use crate::core::types::ToCode;
use crate::core::types::{Code, Currency};
use crate::core::{decide, Command, CommandBody, Event, State};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// One previewed line.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviewLine {
    pub line: u32,
    pub sku: Code,
    pub unit: Code,
    pub unit_qty: Decimal,
    /// Price per unit sold (the unit on the line), and its rule.
    pub unit_price: Decimal,
    pub rule: PriceRule,
    pub value: Decimal,
    /// Cost of the goods (entity currency) and margin percent, if known.
    pub cost: Option<Decimal>,
}

/// What the sale would post.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    pub currency: Currency,
    pub lines: Vec<PreviewLine>,
    pub goods: Decimal,
    pub tax: Decimal,
    pub freight: Decimal,
    pub total: Decimal,
}

/// Free to promise now, per warehouse, as allocation counts it: on hand
/// (picked goods have left it) less reserved, less what cannot be sold
/// today (quarantine, expired lots), never below zero.
pub fn available(s: &State, sku: &str, today: chrono::NaiveDate) -> Vec<(Code, Decimal)> {
    s.warehouses
        .keys()
        .filter_map(|wh| {
            s.stock.get(&(wh.clone(), sku.to_code())).map(|st| {
                let free =
                    st.on_hand - st.reserved - crate::core::sales::unavailable(s, wh, sku, today);
                (wh.clone(), free.max(Decimal::ZERO))
            })
        })
        .collect()
}

/// The counter sale command for these inputs.
pub fn body(
    customer: &str,
    warehouse: &str,
    lines: &[CounterLine],
    tenders: Vec<CounterPayment>,
) -> CommandBody {
    CommandBody::CounterSale {
        customer: customer.to_string().into(),
        warehouse: warehouse.to_string().into(),
        lines: lines.to_vec(),
        payment: None,
        payments: tenders,
    }
}

/// Decide the sale on `s` without committing it.
pub fn preview(
    s: &State,
    operator: &str,
    now: DateTime<Utc>,
    body: CommandBody,
) -> Result<Preview, Rejection> {
    let cmd = Command {
        operator: operator.to_string().into(),
        session: "preview".into(),
        time: now,
        key: None,
        body,
    };
    let events = decide(s, &cmd)?;
    let mut out = Preview {
        currency: Currency::new("USD"),
        lines: Vec::new(),
        goods: Decimal::ZERO,
        tax: Decimal::ZERO,
        freight: Decimal::ZERO,
        total: Decimal::ZERO,
    };
    let mut costs: Vec<(u32, Decimal)> = Vec::new();
    for e in &events {
        match e {
            Event::OrderPlaced(o) => {
                out.currency = o.currency.clone();
                out.lines = lines_of(o);
            }
            Event::Shipped { shipment, .. } => {
                for l in &shipment.lines {
                    costs.push((l.order_line, l.cost));
                }
            }
            Event::Invoiced { invoice, .. } => {
                out.goods = invoice.lines.iter().map(|l| l.amount).sum();
                out.tax = invoice.taxes.iter().map(|t| t.tax).sum();
                out.freight = invoice.freight;
                out.total = invoice.total;
            }
            _ => {}
        }
    }
    for (line, cost) in costs {
        if let Some(l) = out.lines.iter_mut().find(|l| l.line == line) {
            *l.cost.get_or_insert(Decimal::ZERO) += cost;
        }
    }
    Ok(out)
}

/// Margin percent of a line (None without a cost or a value).
pub fn margin_pct(l: &PreviewLine) -> Option<Decimal> {
    let cost = l.cost?;
    if l.value.is_zero() {
        return None;
    }
    Some(((l.value - cost) / l.value * Decimal::from(100)).round_dp(1))
}

/// A price rule in nine characters (the order entry's column at 80
/// columns; `break>=250` was cut to `break>=25`, another break): `list`,
/// `brk>=250`, `contract`, `ctr>=1000`, `manual`.
pub fn rule_short(r: &PriceRule) -> String {
    match r {
        PriceRule::Contract { .. } => "contract".into(),
        PriceRule::ContractBreak { min_qty, .. } => format!("ctr>={}", min_qty.normalize()),
        PriceRule::List { .. } => "list".into(),
        PriceRule::ListBreak { min_qty, .. } => format!("brk>={}", min_qty.normalize()),
        PriceRule::Manual { .. } => "manual".into(),
    }
}

/// An order's lines as a sale shows them (price per the unit sold).
fn lines_of(o: &crate::core::sales::SalesOrder) -> Vec<PreviewLine> {
    o.lines
        .iter()
        .map(|l| {
            let per_unit = if l.unit_qty.is_zero() {
                l.price
            } else {
                (l.price * l.qty / l.unit_qty).round_dp(4)
            };
            PreviewLine {
                line: l.line,
                sku: l.sku.clone(),
                unit: l.unit.clone(),
                unit_qty: l.unit_qty,
                unit_price: per_unit.normalize(),
                rule: l.rule.clone(),
                value: l.value(&o.currency),
                cost: None,
            }
        })
        .collect()
}

/// The lines as the price engine prices them, without the rest of the
/// sale: what a refused sale still shows (a line not on the shelf or a
/// credit refusal does not make the other prices unknown). No totals.
pub fn priced_lines(
    s: &State,
    operator: &str,
    now: DateTime<Utc>,
    customer: &str,
    warehouse: &str,
    lines: &[CounterLine],
) -> Option<Preview> {
    let cmd = Command {
        operator: operator.to_string().into(),
        session: "preview".into(),
        time: now,
        key: None,
        body: CommandBody::PlaceOrder {
            quote: true,
            customer: customer.to_string().into(),
            ship_to: None,
            customer_po: String::new(),
            requested: None,
            lines: lines
                .iter()
                .map(|l| crate::core::sales::LineInput {
                    sku: l.sku.clone(),
                    qty: l.qty,
                    unit: l.unit.clone(),
                    warehouse: warehouse.to_string().into(),
                    price: l.price,
                })
                .collect(),
        },
    };
    let events = crate::core::sales::place_paid(s, &cmd, crate::core::sales::PaidNow::Full).ok()?;
    events.iter().find_map(|e| match e {
        Event::OrderPlaced(o) => Some(Preview {
            currency: o.currency.clone(),
            lines: lines_of(o),
            goods: Decimal::ZERO,
            tax: Decimal::ZERO,
            freight: Decimal::ZERO,
            total: Decimal::ZERO,
        }),
        _ => None,
    })
}
