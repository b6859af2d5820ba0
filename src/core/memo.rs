//! Finance documents that are not from a shipment, a receipt or a return:
//!
//! - the customer **debit memo** (`issue_debit_memo`): a charge raised on
//!   an invoice after the fact, a price adjusted up on its lines or freight
//!   billed late. It is an AR document of its own (`DM-000001`) kept with
//!   the invoices, so cash application, aging, statements, dunning, credit
//!   checks and revaluation treat it as one; what it adjusts is kept in
//!   [`DebitMemo`]. Against the invoice invariants (SPEC 8) it is an
//!   invoice of no quantity: it lists no shipment (so "quantity invoiced =
//!   quantity shipped" holds with nothing shipped and nothing billed), its
//!   lines have quantity 0, and its open amount = total − applied −
//!   credited like any invoice's. Only a debit memo may list no shipment.
//! - the **supplier debit note** (`issue_supplier_debit_note`): what a
//!   supplier owes us back (a rebate, an overcharge on goods already
//!   paid). It gives the supplier a debit balance in AP (Dr AP / Cr
//!   Purchase price variance), kept per supplier like a customer's credit
//!   on account, until
//! - the **supplier refund** (`receive_supplier_refund`) brings it in
//!   through the bank: Dr Bank at the day's rate / Cr AP for what the
//!   balance carries, the difference realised FX.

use super::billing::{Invoice, InvoiceLine, TaxLine};
use super::command::Command;
use super::event::Event;
use super::master::{PostingKey, RecordKind};
use super::posting::{JournalEntry, Posting};
use super::purchasing::{base_currency, supplier_of, to_base};
use super::rejection::Rejection;
use super::returns::{AllowanceInput, RETURN_LINES_MAX};
use super::state::State;
use super::types::{Code, Currency};
use super::validate;
use crate::core::types::ToCode;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A line of a debit memo: what was added to a line of the invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebitLine {
    pub invoice_line: u32,
    pub sku: Code,
    pub amount: Decimal,
}

/// A debit memo: the charge raised on `invoice`; its AR document is the
/// invoice record of the same number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebitMemo {
    pub number: Code,
    pub invoice: Code,
    pub customer: Code,
    pub entity: Code,
    pub currency: Currency,
    pub date: NaiveDate,
    pub reason: String,
    pub lines: Vec<DebitLine>,
    pub freight: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
}

/// Raise a debit memo on `invoice`: amounts added to its lines (taxed as
/// the line was, per tax code on the sum of the memo's lines, at the rate
/// the invoice billed) and freight billed late (not taxed, as the
/// invoice's freight). Posts Dr AR (customer) / Cr Revenue, Cr Sales tax,
/// Cr Freight income at the day's rate; due by the customer's terms from
/// its own date, without an early-payment discount.
pub fn issue_debit_memo(
    state: &State,
    cmd: &Command,
    invoice: &str,
    reason: &str,
    lines: &[AllowanceInput],
    freight: Decimal,
) -> Result<Vec<Event>, Rejection> {
    let inv = state
        .invoices
        .get(&invoice.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Invoice,
            key: invoice.to_string(),
        })?;
    if let Some(m) = state.debit_memos.get(&invoice.to_code()) {
        return Err(Rejection::NotDebitable {
            document: invoice.to_string(),
            problem: format!(
                "it is itself a debit memo (on {}): raise the charge on that invoice",
                m.invoice
            ),
        });
    }
    validate::text("reason", reason, true)?;
    if lines.len() > RETURN_LINES_MAX {
        return Err(Rejection::out_of_range(
            "lines",
            lines.len(),
            "0",
            RETURN_LINES_MAX,
        ));
    }
    let cur = &inv.currency;
    validate::amount("freight", freight, cur)?;
    let c = state
        .customers
        .get(&inv.customer)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Customer,
            key: inv.customer.to_string(),
        })?;
    let terms = state
        .terms
        .get(&c.terms)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::PaymentTerms,
            key: c.terms.to_string(),
        })?;
    let base = base_currency(state, &inv.entity)?;
    let mut memo_lines = Vec::new();
    let mut ar_lines = Vec::new();
    let mut taxable: BTreeMap<Code, Decimal> = BTreeMap::new();
    for (i, a) in lines.iter().enumerate() {
        if lines[..i].iter().any(|x| x.line == a.line) {
            return Err(Rejection::Duplicate {
                field: "lines".into(),
                value: a.line.to_string(),
            });
        }
        let il = a
            .line
            .checked_sub(1)
            .and_then(|n| inv.lines.get(n as usize))
            .ok_or_else(|| Rejection::out_of_range("line", a.line, "1", inv.lines.len()))?;
        validate::amount("amount", a.amount, cur)?;
        if a.amount <= Decimal::ZERO {
            return Err(Rejection::NotPositive {
                field: "amount".into(),
                value: a.amount,
            });
        }
        if let Some(t) = &il.tax_code {
            *taxable.entry(t.clone()).or_default() += a.amount;
        }
        memo_lines.push(DebitLine {
            invoice_line: a.line,
            sku: il.sku.clone(),
            amount: a.amount,
        });
        ar_lines.push(InvoiceLine {
            shipment: String::new().into(),
            order: il.order.clone(),
            order_line: il.order_line,
            sku: il.sku.clone(),
            qty: Decimal::ZERO,
            price: Decimal::ZERO,
            amount: a.amount,
            tax_code: il.tax_code.clone(),
            returned: Decimal::ZERO,
            credited: Decimal::ZERO,
        });
    }
    let goods: Decimal = memo_lines.iter().map(|l| l.amount).sum();
    if goods.is_zero() && freight.is_zero() {
        return Err(Rejection::NotPositive {
            field: "lines and freight".into(),
            value: Decimal::ZERO,
        });
    }
    let taxes: Vec<TaxLine> = taxable
        .into_iter()
        .map(|(code, amount)| {
            let rate = inv
                .taxes
                .iter()
                .find(|t| t.tax_code == code)
                .map(|t| t.rate_pct)
                .unwrap_or_default();
            TaxLine {
                tax_code: code,
                rate_pct: rate,
                taxable: amount,
                tax: cur.round(amount * rate / Decimal::from(100)),
                credited: Decimal::ZERO,
            }
        })
        .collect();
    let tax: Decimal = taxes.iter().map(|t| t.tax).sum();
    let total = goods + tax + freight;
    let date = cmd.entity_date(state, &inv.entity);
    let rate = to_base(state, cur, &base, date)?;
    let (goods_b, tax_b, freight_b) = (
        base.round(goods * rate),
        base.round(tax * rate),
        base.round(freight * rate),
    );
    let base_total = goods_b + tax_b + freight_b;
    let number = format!("DM-{:06}", state.next_debit_memo + 1);
    let journal = Posting::new(state, &inv.entity, date, &number, "debit memo")
        .debit(PostingKey::Receivables, base_total, Some(&inv.customer))
        .credit(PostingKey::Revenue, goods_b, None)
        .credit(PostingKey::SalesTax, tax_b, None)
        .credit(PostingKey::FreightIncome, freight_b, None)
        .build()?;
    let document = Invoice {
        number: number.clone().into(),
        customer: inv.customer.clone(),
        entity: inv.entity.clone(),
        currency: cur.clone(),
        date,
        due: date + Duration::days(i64::from(terms.net_days)),
        discount_pct: Decimal::ZERO,
        discount_until: None,
        shipments: Vec::new(),
        lines: ar_lines,
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
    };
    Ok(vec![Event::DebitMemoIssued {
        memo: DebitMemo {
            number: number.into(),
            invoice: inv.number.clone(),
            customer: inv.customer.clone(),
            entity: inv.entity.clone(),
            currency: cur.clone(),
            date,
            reason: reason.to_string(),
            lines: memo_lines,
            freight,
            tax,
            total,
        },
        document,
        journal,
    }])
}

/// A supplier debit note: what the supplier owes us back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplierDebitNote {
    pub number: Code,
    pub supplier: Code,
    pub entity: Code,
    pub currency: Currency,
    pub date: NaiveDate,
    /// The supplier invoice it concerns, if any (for the record: the
    /// invoice's open amount is not changed).
    pub invoice: Option<Code>,
    pub reason: String,
    pub reference: String,
    /// In the supplier's currency, and what it debited AP in the base.
    pub amount: Decimal,
    pub base: Decimal,
}

/// Money a supplier paid back against its debit balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplierRefund {
    pub number: Code,
    pub supplier: Code,
    pub entity: Code,
    pub date: NaiveDate,
    /// In the supplier's currency.
    pub amount: Decimal,
    pub reference: String,
}

/// Give a supplier a debit balance: Dr AP (supplier) / Cr Purchase price
/// variance at the day's rate.
pub fn issue_supplier_debit_note(
    state: &State,
    cmd: &Command,
    supplier: &str,
    invoice: Option<&str>,
    amount: Decimal,
    reason: &str,
    reference: &str,
) -> Result<Vec<Event>, Rejection> {
    let s = supplier_of(state, supplier)?;
    validate::text("reason", reason, true)?;
    validate::text("reference", reference, false)?;
    validate::amount("amount", amount, &s.currency)?;
    if amount <= Decimal::ZERO {
        return Err(Rejection::NotPositive {
            field: "amount".into(),
            value: amount,
        });
    }
    if let Some(n) = invoice {
        let inv = state
            .supplier_invoices
            .get(&n.to_code())
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::SupplierInvoice,
                key: n.to_string(),
            })?;
        if inv.supplier != s.code {
            return Err(Rejection::NotDebitable {
                document: n.to_string(),
                problem: format!("it is from supplier {}, not {}", inv.supplier, s.code),
            });
        }
    }
    let date = cmd.entity_date(state, &s.entity);
    let base = base_currency(state, &s.entity)?;
    let rate = to_base(state, &s.currency, &base, date)?;
    let base_amount = base.round(amount * rate);
    let number = format!("DN-{:06}", state.next_supplier_debit_note + 1);
    let journal = Posting::new(state, &s.entity, date, &number, "supplier debit note")
        .debit(PostingKey::Payables, base_amount, Some(&s.code))
        .credit(PostingKey::PurchasePriceVariance, base_amount, None)
        .build()?;
    Ok(vec![Event::SupplierDebitNoted {
        note: SupplierDebitNote {
            number: number.into(),
            supplier: s.code.clone(),
            entity: s.entity.clone(),
            currency: s.currency.clone(),
            date,
            invoice: invoice.map(Code::from),
            reason: reason.to_string(),
            reference: reference.to_string(),
            amount,
            base: base_amount,
        },
        journal,
    }])
}

/// Money in from a supplier against its debit balance: Dr Bank at the
/// day's rate / Cr AP (supplier) for what the balance carries for that
/// part of it; the difference is realised FX.
pub fn receive_supplier_refund(
    state: &State,
    cmd: &Command,
    supplier: &str,
    amount: Decimal,
    reference: &str,
) -> Result<Vec<Event>, Rejection> {
    let s = supplier_of(state, supplier)?;
    validate::text("reference", reference, false)?;
    validate::amount("amount", amount, &s.currency)?;
    if amount <= Decimal::ZERO {
        return Err(Rejection::NotPositive {
            field: "amount".into(),
            value: amount,
        });
    }
    let key = (s.entity.clone(), s.code.clone());
    let available = state.supplier_debit.get(&key).copied().unwrap_or_default();
    if amount > available {
        return Err(Rejection::InsufficientSupplierDebit {
            supplier: s.code.to_string(),
            available: s.currency.round(available),
            asked: amount,
        });
    }
    let date = cmd.entity_date(state, &s.entity);
    let base = base_currency(state, &s.entity)?;
    let rate = to_base(state, &s.currency, &base, date)?;
    let carried = state
        .supplier_debit_base
        .get(&key)
        .copied()
        .unwrap_or_default();
    let used = if amount == available {
        carried
    } else {
        base.round(amount * carried / available)
    };
    let bank = base.round(amount * rate);
    let number = format!("SR-{:06}", state.next_supplier_refund + 1);
    let journal = Posting::new(state, &s.entity, date, &number, "supplier refund")
        .debit(PostingKey::Bank, bank, None)
        .credit(PostingKey::Payables, used, Some(&s.code))
        .fx_difference(bank - used)
        .build()?;
    Ok(vec![Event::SupplierRefundReceived {
        refund: SupplierRefund {
            number: number.into(),
            supplier: s.code.clone(),
            entity: s.entity.clone(),
            date,
            amount,
            reference: reference.to_string(),
        },
        journal,
    }])
}

/// What a journal did to the AP subledger of `supplier` (debit positive).
fn ap_delta(journal: &JournalEntry, supplier: &str) -> Decimal {
    journal
        .lines
        .iter()
        .filter(|l| l.key == PostingKey::Payables && l.sub.as_deref() == Some(supplier))
        .map(|l| l.debit - l.credit)
        .sum()
}

fn move_supplier_debit(
    state: &mut State,
    key: (Code, Code),
    amount: Decimal,
    journal: &JournalEntry,
) {
    let delta = ap_delta(journal, &key.1);
    let d = state.supplier_debit.entry(key.clone()).or_default();
    *d += amount;
    if d.is_zero() {
        state.supplier_debit.remove(&key);
    }
    let b = state.supplier_debit_base.entry(key.clone()).or_default();
    *b += delta;
    if b.is_zero() {
        state.supplier_debit_base.remove(&key);
    }
}

pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::DebitMemoIssued {
            memo,
            document,
            journal,
        } => {
            state.next_debit_memo += 1;
            if !document.open.is_zero() {
                super::state::Indexes::add(
                    &mut state.index.open_invoices,
                    &document.customer,
                    &document.number,
                );
            }
            super::apply::apply_journal(state, journal);
            state
                .invoices
                .insert(document.number.clone(), document.clone().into());
            state.debit_memos.insert(memo.number.clone(), memo.clone());
        }
        Event::SupplierDebitNoted { note, journal } => {
            state.next_supplier_debit_note += 1;
            let key = (note.entity.clone(), note.supplier.clone());
            move_supplier_debit(state, key, note.amount, journal);
            super::apply::apply_journal(state, journal);
            state
                .supplier_debit_notes
                .insert(note.number.clone(), note.clone());
        }
        Event::SupplierRefundReceived { refund, journal } => {
            state.next_supplier_refund += 1;
            let key = (refund.entity.clone(), refund.supplier.clone());
            move_supplier_debit(state, key, -refund.amount, journal);
            super::apply::apply_journal(state, journal);
            state
                .supplier_refunds
                .insert(refund.number.clone(), refund.clone());
        }
        _ => {}
    }
}
