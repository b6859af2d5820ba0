//! Invoicing (SPEC 3.1 step 7): invoices are made from shipments, never
//! from orders: shipped quantities at order prices, tax per jurisdiction
//! and tax class computed once per tax code on the sum of its lines (the
//! WORKED-EXAMPLE policy), a non-taxable freight line when the customer's
//! freight terms are prepaid-and-add, due and discount dates from the
//! terms. Several shipments of one customer may go on one invoice; each
//! shipment is invoiced exactly once. Posts Dr AR (customer) / Cr Revenue,
//! Cr Sales tax, Cr Freight income, in the entity's base currency.

use super::command::Command;
use super::event::Event;
use super::master::{FreightTerms, PostingKey, RecordKind};
use super::posting::Posting;
use super::rejection::Rejection;
use super::sales::fx_rate;
use super::state::State;
use super::types::{Code, Currency};
use crate::core::types::ToCode;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most shipments one invoice may collect.
pub const INVOICE_SHIPMENTS_MAX: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub shipment: Code,
    pub order: Code,
    pub order_line: u32,
    pub sku: Code,
    pub qty: Decimal,
    pub price: Decimal,
    /// qty x price, rounded per line.
    pub amount: Decimal,
    pub tax_code: Option<Code>,
    /// Authorized for return so far, and credited (base units).
    #[serde(default)]
    pub returned: Decimal,
    #[serde(default)]
    pub credited: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxLine {
    pub tax_code: Code,
    pub rate_pct: Decimal,
    pub taxable: Decimal,
    pub tax: Decimal,
    /// Of the taxable amount, what credit memos gave back.
    #[serde(default)]
    pub credited: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub number: Code,
    pub customer: Code,
    pub entity: Code,
    pub currency: Currency,
    pub date: NaiveDate,
    pub due: NaiveDate,
    /// Early-payment discount: percent of the open amount, until this day.
    pub discount_pct: Decimal,
    pub discount_until: Option<NaiveDate>,
    pub shipments: Vec<Code>,
    pub lines: Vec<InvoiceLine>,
    pub taxes: Vec<TaxLine>,
    pub freight: Decimal,
    pub total: Decimal,
    /// Total minus payments and credits (invoice currency).
    pub open: Decimal,
    /// Rate to the entity's base currency, and the total there.
    pub rate: Decimal,
    pub base_total: Decimal,
    /// What is still owed in the base currency (the AR subledger's part).
    pub base_open: Decimal,
    /// Paid, and settled otherwise (early-payment discount, write-off).
    #[serde(default)]
    pub applied: Decimal,
    #[serde(default)]
    pub adjusted: Decimal,
    /// Of the open amount, what the customer disputes.
    #[serde(default)]
    pub disputed: Decimal,
    /// Taken off by credit memos.
    #[serde(default)]
    pub credited: Decimal,
}

/// What an invoice line sold, as the margin report counts it, in the
/// entity's base currency `base` (state only: its decimals are packed in
/// a snapshot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sold {
    #[serde(with = "super::packed::dec")]
    pub qty: Decimal,
    #[serde(with = "super::packed::dec")]
    pub revenue: Decimal,
    /// What its shipment took out of stock.
    #[serde(with = "super::packed::dec")]
    pub cost: Decimal,
}

impl Sold {
    pub fn add(&mut self, o: Sold) {
        self.qty += o.qty;
        self.revenue += o.revenue;
        self.cost += o.cost;
    }
    pub fn sub(&mut self, o: Sold) {
        self.qty -= o.qty;
        self.revenue -= o.revenue;
        self.cost -= o.cost;
    }
}

impl Invoice {
    /// What each of its lines sold (in line order), the cost read from
    /// the shipment `shipment` finds by number.
    pub fn sold<'s>(
        &self,
        base: &Currency,
        shipment: impl Fn(&Code) -> Option<&'s super::warehouse::Shipment>,
    ) -> Vec<(&InvoiceLine, Sold)> {
        self.lines
            .iter()
            .map(|l| {
                let cost = shipment(&l.shipment)
                    .and_then(|sh| sh.lines.iter().find(|x| x.order_line == l.order_line))
                    .map(|x| x.cost)
                    .unwrap_or_default();
                let sold = Sold {
                    qty: l.qty,
                    revenue: base.round(l.amount * self.rate),
                    cost,
                };
                (l, sold)
            })
            .collect()
    }
}

/// What settling `settled` (document currency) of a document relieves of
/// its base-currency balance: all of it when the document is settled in
/// full, else the settled amount at the document's rate, but never so much
/// that the base balance reaches zero while something is still open (which
/// rounding would otherwise do on a small remainder).
pub fn base_relief(
    base: &Currency,
    settled: Decimal,
    open: Decimal,
    base_open: Decimal,
    rate: Decimal,
) -> Decimal {
    if settled == open {
        return base_open;
    }
    base.round(settled * rate)
        .min(base_open - base.minor_unit())
        .max(Decimal::ZERO)
}

/// The jurisdiction a shipment is taxed in: the ship-to (else bill-to)
/// country and region, e.g. `US-IL`.
pub fn jurisdiction(state: &State, customer: &str, ship_to: Option<&str>) -> Option<Code> {
    let c = state.customers.get(&customer.to_code())?;
    let addr = ship_to
        .and_then(|s| c.ship_to.iter().find(|x| x.code == s))
        .map(|s| &s.address)
        .unwrap_or(&c.bill_to);
    if addr.country.is_empty() || addr.region.is_empty() {
        return None;
    }
    Some(format!("{}-{}", addr.country, addr.region).into())
}

/// The tax code of a class of goods in a place (`jurisdiction`).
pub fn tax_code<'a>(
    state: &'a State,
    place: &Code,
    class: &Code,
) -> Option<&'a super::master::TaxCode> {
    state
        .tax_codes
        .values()
        .find(|t| t.jurisdiction == *place && t.tax_class == *class)
}

pub fn invoice(state: &State, cmd: &Command, shipments: &[Code]) -> Result<Vec<Event>, Rejection> {
    if shipments.is_empty() {
        return Err(Rejection::NotInvoiceable {
            shipment: String::new(),
            problem: "no shipment given".into(),
        });
    }
    if shipments.len() > INVOICE_SHIPMENTS_MAX {
        return Err(Rejection::out_of_range(
            "shipments",
            shipments.len(),
            "1",
            INVOICE_SHIPMENTS_MAX,
        ));
    }
    let mut docs: Vec<&super::warehouse::Shipment> = Vec::new();
    for (i, number) in shipments.iter().enumerate() {
        if shipments[..i].contains(number) {
            return Err(Rejection::Duplicate {
                field: "shipments".into(),
                value: number.to_string(),
            });
        }
        let s = state
            .shipments
            .get(number)
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::Shipment,
                key: number.to_string(),
            })?;
        if let Some(inv) = &s.invoice {
            return Err(Rejection::NotInvoiceable {
                shipment: number.to_string(),
                problem: format!("is already on invoice {inv}"),
            });
        }
        if let Some(first) = docs.first() {
            if first.customer != s.customer || first.entity != s.entity {
                return Err(Rejection::NotInvoiceable {
                    shipment: number.to_string(),
                    problem: format!(
                        "is for customer {}, the invoice for {}",
                        s.customer, first.customer
                    ),
                });
            }
        }
        docs.push(s);
    }
    let first = docs[0];
    let c = state
        .customers
        .get(&first.customer)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Customer,
            key: first.customer.to_string(),
        })?;
    let order_currency = state
        .orders
        .get(&first.order)
        .map(|o| o.currency.clone())
        .unwrap_or_else(|| c.currency.clone());
    let terms = state
        .terms
        .get(&c.terms)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::PaymentTerms,
            key: c.terms.to_string(),
        })?;
    let base = state
        .entities
        .get(&first.entity)
        .map(|e| e.base_currency.clone())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Entity,
            key: first.entity.to_string(),
        })?;
    let date = cmd.entity_date(state, &first.entity);
    let exempt = !c.tax_exempt_cert.trim().is_empty();
    let mut lines = Vec::new();
    let mut taxable: BTreeMap<Code, Decimal> = BTreeMap::new();
    let mut freight = Decimal::ZERO;
    for s in &docs {
        let ship_to = state.orders.get(&s.order).and_then(|o| o.ship_to.clone());
        let place = jurisdiction(state, &s.customer, ship_to.as_deref());
        for l in &s.lines {
            let amount = order_currency.round(l.qty * l.price);
            let tax_code = if exempt {
                None
            } else {
                let class = state
                    .items
                    .get(&l.sku)
                    .map(|i| i.tax_class.clone())
                    .unwrap_or_default();
                let place = place.clone().ok_or_else(|| Rejection::NoTaxCode {
                    jurisdiction: "(no ship-to region)".into(),
                    tax_class: class.to_string(),
                })?;
                let t = tax_code(state, &place, &class).ok_or_else(|| Rejection::NoTaxCode {
                    jurisdiction: place.to_string(),
                    tax_class: class.to_string(),
                })?;
                *taxable.entry(t.code.clone()).or_default() += amount;
                Some(t.code.clone())
            };
            lines.push(InvoiceLine {
                shipment: s.number.clone(),
                order: s.order.clone(),
                order_line: l.order_line,
                sku: l.sku.clone(),
                qty: l.qty,
                price: l.price,
                amount,
                tax_code,
                returned: Decimal::ZERO,
                credited: Decimal::ZERO,
            });
        }
        if c.ship_policy.freight_terms == FreightTerms::PrepaidAndAdd {
            freight += s.freight;
        }
    }
    let taxes: Vec<TaxLine> = taxable
        .into_iter()
        .map(|(code, amount)| {
            let rate = state
                .tax_codes
                .get(&code)
                .map(|t| t.rate_pct)
                .unwrap_or_default();
            TaxLine {
                tax_code: code,
                rate_pct: rate,
                taxable: amount,
                tax: order_currency.round(amount * rate / Decimal::from(100)),
                credited: Decimal::ZERO,
            }
        })
        .collect();
    let goods: Decimal = lines.iter().map(|l| l.amount).sum();
    let tax: Decimal = taxes.iter().map(|t| t.tax).sum();
    let total = goods + tax + freight;
    let rate = if order_currency == base {
        Decimal::ONE
    } else {
        fx_rate(state, &order_currency, &base, date).ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::FxRate,
            key: format!("{order_currency}/{base} on or before {date}"),
        })?
    };
    let (goods_b, tax_b, freight_b) = (
        base.round(goods * rate),
        base.round(tax * rate),
        base.round(freight * rate),
    );
    let base_total = goods_b + tax_b + freight_b;
    let number = Code::numbered("IN", state.next_invoice + 1);
    let journal = Posting::new(state, &first.entity, date, &number, "invoice")
        .debit(PostingKey::Receivables, base_total, Some(&c.code))
        .credit(PostingKey::Revenue, goods_b, None)
        .credit(PostingKey::SalesTax, tax_b, None)
        .credit(PostingKey::FreightIncome, freight_b, None)
        .build()?;
    let discount_until = (terms.discount_days > 0 && terms.discount_pct > Decimal::ZERO)
        .then(|| date + Duration::days(i64::from(terms.discount_days)));
    Ok(vec![Event::Invoiced {
        invoice: Invoice {
            number,
            customer: c.code.clone(),
            entity: first.entity.clone(),
            currency: order_currency,
            date,
            due: date + Duration::days(i64::from(terms.net_days)),
            discount_pct: if discount_until.is_some() {
                terms.discount_pct
            } else {
                Decimal::ZERO
            },
            discount_until,
            shipments: shipments.to_vec(),
            lines,
            taxes,
            freight,
            total,
            open: total,
            rate,
            base_total,
            base_open: base_total,
            applied: Decimal::ZERO,
            adjusted: Decimal::ZERO,
            disputed: Decimal::ZERO,
            credited: Decimal::ZERO,
        },
        journal,
    }])
}

pub fn apply_event(state: &mut State, event: &Event) {
    if let Event::Invoiced { invoice, journal } = event {
        state.next_invoice += 1;
        for s in &invoice.shipments {
            if let Some(sh) = state.shipments.get_mut(s) {
                sh.invoice = Some(invoice.number.clone());
            }
            super::state::Indexes::remove(&mut state.index.uninvoiced, &invoice.customer, s);
        }
        if !invoice.open.is_zero() {
            super::state::Indexes::add(
                &mut state.index.open_invoices,
                &invoice.customer,
                &invoice.number,
            );
        }
        super::apply::apply_journal(state, journal);
        state
            .invoices
            .insert(invoice.number.clone(), invoice.clone().into());
    }
}
