//! Returns (SPEC 3.1 step 9): a return is authorized against invoice lines
//! (an RMA), received at the warehouse the goods were shipped from (into a
//! bin, or scrapped), and each receipt issues a credit memo for what came
//! back: Dr Sales returns, Dr Sales tax / Cr AR (the invoice's open amount
//! first, the rest as the customer's unapplied credit). Restocked goods go
//! back into the cost pool at the cost they left with: Dr Inventory / Cr
//! COGS. Credits are computed cumulatively per invoice line and per tax
//! code, so returning everything credits exactly what was invoiced.

use super::billing::Invoice;
use super::command::Command;
use super::event::{Event, StockMove};
use super::master::{BinKind, PostingKey, RecordKind};
use super::posting::{JournalEntry, Posting};
use super::rejection::Rejection;
use super::state::State;
use super::types::{Code, Currency};
use super::validate;
use crate::core::types::ToCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Most lines one return may have.
pub const RETURN_LINES_MAX: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Back into a bin, at the cost it left with.
    Restock,
    /// Received and thrown away (damaged); the cost stays in COGS.
    Scrap,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    Authorized,
    Received,
    Cancelled,
}

/// One line to authorize: the invoice line (1-based), base units, and
/// what happens to the goods.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    pub line: u32,
    pub qty: Decimal,
    pub disposition: Disposition,
}

/// One line to receive (default: everything still expected).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiveInput {
    pub line: u32,
    pub qty: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    /// 1, 2, ... within the return.
    pub line: u32,
    /// The invoice line (1-based) it returns.
    pub invoice_line: u32,
    pub sku: Code,
    pub lot: Option<Code>,
    pub qty: Decimal,
    pub received: Decimal,
    pub disposition: Disposition,
    /// Cost per base unit it left with (entity base currency).
    pub unit_cost: Decimal,
}

/// A return merchandise authorization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rma {
    pub number: Code,
    pub invoice: Code,
    pub customer: Code,
    pub entity: Code,
    pub warehouse: Code,
    pub date: chrono::NaiveDate,
    pub reason: String,
    pub authorized_by: Code,
    pub status: ReturnStatus,
    pub lines: Vec<ReturnLine>,
    /// Credit memos issued for its receipts.
    pub credit_memos: Vec<Code>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLine {
    pub invoice_line: u32,
    pub sku: Code,
    pub qty: Decimal,
    pub amount: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditTax {
    pub tax_code: Code,
    pub taxable: Decimal,
    pub tax: Decimal,
}

/// A credit memo: goods and tax given back, in the invoice currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditMemo {
    pub number: Code,
    pub rma: Code,
    pub invoice: Code,
    pub customer: Code,
    pub entity: Code,
    pub currency: Currency,
    pub date: chrono::NaiveDate,
    pub lines: Vec<CreditLine>,
    pub taxes: Vec<CreditTax>,
    pub total: Decimal,
    /// Taken off the invoice's open amount; the rest became credit.
    pub to_invoice: Decimal,
    pub to_credit: Decimal,
    /// AR relieved in the base currency.
    pub base_to_invoice: Decimal,
}

fn not_returnable(invoice: &str, problem: impl Into<String>) -> Rejection {
    Rejection::NotReturnable {
        document: invoice.to_string(),
        problem: problem.into(),
    }
}

/// Authorize a return against lines of an invoice.
pub fn authorize(
    state: &State,
    cmd: &Command,
    invoice: &str,
    reason: &str,
    lines: &[ReturnInput],
) -> Result<Vec<Event>, Rejection> {
    // An archived invoice is closed: nothing is returned against it.
    let inv = super::archive::invoice(state, invoice)?;
    validate::text("reason", reason, true)?;
    if lines.is_empty() {
        return Err(not_returnable(invoice, "no line to return"));
    }
    if lines.len() > RETURN_LINES_MAX {
        return Err(Rejection::out_of_range(
            "lines",
            lines.len(),
            "1",
            RETURN_LINES_MAX,
        ));
    }
    let mut out = Vec::new();
    let mut warehouse: Option<Code> = None;
    for (i, r) in lines.iter().enumerate() {
        if lines[..i].iter().any(|x| x.line == r.line) {
            return Err(Rejection::Duplicate {
                field: "lines".into(),
                value: r.line.to_string(),
            });
        }
        let il = (r.line as usize)
            .checked_sub(1)
            .and_then(|i| inv.lines.get(i))
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::Invoice,
                key: format!("{invoice} line {}", r.line),
            })?;
        let item = state
            .items
            .get(&il.sku)
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::Item,
                key: il.sku.to_string(),
            })?;
        validate::qty("qty", r.qty, item.qty_decimals)?;
        let left = il.qty - il.returned;
        if r.qty > left {
            return Err(not_returnable(
                invoice,
                format!(
                    "line {}: {} of {} invoiced {} are already being returned; {} more is too many",
                    r.line, il.returned, il.qty, il.sku, r.qty
                ),
            ));
        }
        let sh = state
            .shipments
            .get(&il.shipment)
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::Shipment,
                key: il.shipment.to_string(),
            })?;
        match &warehouse {
            None => warehouse = Some(sh.warehouse.clone()),
            Some(w) if *w != sh.warehouse => {
                return Err(not_returnable(
                    invoice,
                    format!(
                    "line {} was shipped from {}, the others from {w}: one return per warehouse",
                    r.line, sh.warehouse
                ),
                ))
            }
            Some(_) => {}
        }
        let (mut qty, mut cost, mut lot) = (Decimal::ZERO, Decimal::ZERO, None);
        for l in sh
            .lines
            .iter()
            .filter(|l| l.order_line == il.order_line && l.sku == il.sku)
        {
            qty += l.qty;
            cost += l.cost;
            if lot.is_none() {
                lot = l.lot.clone();
            }
        }
        let unit_cost = if qty.is_zero() {
            Decimal::ZERO
        } else {
            cost / qty
        };
        out.push(ReturnLine {
            line: i as u32 + 1,
            invoice_line: r.line,
            sku: il.sku.clone(),
            lot,
            qty: r.qty,
            received: Decimal::ZERO,
            disposition: r.disposition,
            unit_cost,
        });
    }
    Ok(vec![Event::ReturnAuthorized(Rma {
        number: format!("RMA-{:06}", state.next_return + 1).into(),
        invoice: invoice.to_code(),
        customer: inv.customer.clone(),
        entity: inv.entity.clone(),
        warehouse: warehouse.unwrap_or_default(),
        date: cmd.entity_date(state, &inv.entity),
        reason: reason.to_string(),
        authorized_by: cmd.operator.clone(),
        status: ReturnStatus::Authorized,
        lines: out,
        credit_memos: Vec::new(),
    })])
}

fn open_rma<'a>(state: &'a State, rma: &str) -> Result<&'a Rma, Rejection> {
    let r = state
        .returns
        .get(&rma.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Return,
            key: rma.to_string(),
        })?;
    if r.status != ReturnStatus::Authorized {
        let s = if r.status == ReturnStatus::Received {
            "received"
        } else {
            "cancelled"
        };
        return Err(not_returnable(rma, format!("is already {s}")));
    }
    Ok(r)
}

/// Cancel an authorized return nothing of which was received yet.
pub fn cancel(state: &State, rma: &str, reason: &str) -> Result<Vec<Event>, Rejection> {
    let r = open_rma(state, rma)?;
    validate::text("reason", reason, true)?;
    if r.lines.iter().any(|l| l.received > Decimal::ZERO) {
        return Err(not_returnable(
            rma,
            "has goods received already: receive the rest or leave it open",
        ));
    }
    Ok(vec![Event::ReturnCancelled {
        rma: rma.to_code(),
        reason: reason.to_string(),
    }])
}

/// What `qty` more of a line is worth, given `before` already credited:
/// the whole line's amount when the last unit comes back.
fn cumulative(
    total_qty: Decimal,
    total: Decimal,
    price_of: impl Fn(Decimal) -> Decimal,
) -> impl Fn(Decimal) -> Decimal {
    move |q| if q >= total_qty { total } else { price_of(q) }
}

/// Receive returned goods (all still expected, or the given lines) and
/// issue the credit memo.
pub fn receive(
    state: &State,
    cmd: &Command,
    rma: &str,
    bin: Option<&str>,
    lines: &[ReceiveInput],
) -> Result<Vec<Event>, Rejection> {
    let r = open_rma(state, rma)?;
    let inv: &Invoice = state
        .invoices
        .get(&r.invoice)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Invoice,
            key: r.invoice.to_string(),
        })?;
    let base = state
        .entities
        .get(&r.entity)
        .map(|e| e.base_currency.clone())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Entity,
            key: r.entity.to_string(),
        })?;
    // (return line, qty) to receive now.
    let mut take: Vec<(&ReturnLine, Decimal)> = Vec::new();
    if lines.is_empty() {
        for l in &r.lines {
            if l.qty > l.received {
                take.push((l, l.qty - l.received));
            }
        }
    } else {
        for (i, x) in lines.iter().enumerate() {
            if lines[..i].iter().any(|y| y.line == x.line) {
                return Err(Rejection::Duplicate {
                    field: "lines".into(),
                    value: x.line.to_string(),
                });
            }
            let l =
                r.lines
                    .iter()
                    .find(|l| l.line == x.line)
                    .ok_or_else(|| Rejection::NotFound {
                        kind: RecordKind::Return,
                        key: format!("{rma} line {}", x.line),
                    })?;
            let decimals = state.items.get(&l.sku).map_or(0, |i| i.qty_decimals);
            validate::qty("qty", x.qty, decimals)?;
            if x.qty > l.qty - l.received {
                return Err(Rejection::out_of_range(
                    "qty",
                    x.qty,
                    "0",
                    l.qty - l.received,
                ));
            }
            take.push((l, x.qty));
        }
    }
    if take.is_empty() {
        return Err(not_returnable(rma, "has nothing left to receive"));
    }
    let restock = take
        .iter()
        .any(|(l, _)| l.disposition == Disposition::Restock);
    let bin_code = match (restock, bin) {
        (false, _) => None,
        (true, None) => {
            return Err(Rejection::InvalidText {
                field: "bin".into(),
                problem: "is needed to restock returned goods".into(),
            })
        }
        (true, Some(b)) => {
            let b = b.trim();
            let found = state
                .bins
                .get(&(r.warehouse.clone(), b.to_code()))
                .ok_or_else(|| Rejection::NotFound {
                    kind: RecordKind::Bin,
                    key: format!("{}/{b}", r.warehouse),
                })?;
            if found.kind == BinKind::Dock {
                return Err(Rejection::InvalidCode {
                    field: "bin".into(),
                    value: b.to_string(),
                    problem: "is a dock door, not a storage bin".into(),
                });
            }
            Some(found.code.clone())
        }
    };
    let date = cmd.warehouse_date(state, &r.warehouse);
    let memo_no = format!("CM-{:06}", state.next_credit_memo + 1);
    // Goods back into stock at their original cost.
    let mut moves = Vec::new();
    let mut restock_post = Posting::new(state, &r.entity, date, rma, "returned goods restocked");
    for (l, q) in &take {
        if l.disposition != Disposition::Restock {
            continue;
        }
        let full = l.received + q >= l.qty;
        let value = if full {
            base.round(l.qty * l.unit_cost) - base.round(l.received * l.unit_cost)
        } else {
            base.round(*q * l.unit_cost)
        };
        moves.push(StockMove {
            entity: r.entity.clone(),
            warehouse: r.warehouse.clone(),
            bin: bin_code.clone().unwrap_or_default(),
            sku: l.sku.clone(),
            lot: l.lot.clone(),
            qty: *q,
            value,
        });
        restock_post = restock_post
            .debit(PostingKey::Inventory, value, Some(&l.sku))
            .credit(PostingKey::Cogs, value, None);
    }
    let mut events = Vec::new();
    events.push(Event::ReturnReceived {
        rma: rma.to_code(),
        lines: take.iter().map(|(l, q)| (l.line, *q)).collect(),
        moves: moves.clone(),
        journal: if moves.is_empty() {
            None
        } else {
            Some(restock_post.build()?)
        },
    });
    // The credit memo, cumulative per invoice line and tax code.
    let cur = &inv.currency;
    let mut credit_lines = Vec::new();
    let mut taxable: std::collections::BTreeMap<Code, Decimal> = Default::default();
    for (l, q) in &take {
        let il = &inv.lines[(l.invoice_line - 1) as usize];
        let worth = cumulative(il.qty, il.amount, |x| cur.round(x * il.price));
        let amount = worth(il.credited + q) - worth(il.credited);
        if let Some(t) = &il.tax_code {
            *taxable.entry(t.clone()).or_default() += amount;
        }
        credit_lines.push(CreditLine {
            invoice_line: l.invoice_line,
            sku: l.sku.clone(),
            qty: *q,
            amount,
        });
    }
    let mut taxes = Vec::new();
    for (code, amount) in taxable {
        let Some(t) = inv.taxes.iter().find(|t| t.tax_code == code) else {
            continue;
        };
        let worth = cumulative(t.taxable, t.tax, |x| {
            cur.round(x * t.rate_pct / Decimal::from(100))
        });
        taxes.push(CreditTax {
            tax_code: code,
            taxable: amount,
            tax: worth(t.credited + amount) - worth(t.credited),
        });
    }
    let goods: Decimal = credit_lines.iter().map(|l| l.amount).sum();
    let tax: Decimal = taxes.iter().map(|t| t.tax).sum();
    let total = goods + tax;
    let to_invoice = total.min(inv.open);
    let to_credit = total - to_invoice;
    let (goods_b, tax_b) = (base.round(goods * inv.rate), base.round(tax * inv.rate));
    let base_to_invoice =
        super::billing::base_relief(&base, to_invoice, inv.open, inv.base_open, inv.rate);
    let credit_b = base.round(to_credit * inv.rate);
    let p = Posting::new(
        state,
        &r.entity,
        date,
        &memo_no,
        "credit memo for returned goods",
    )
    .debit(PostingKey::SalesReturns, goods_b, None)
    .debit(PostingKey::SalesTax, tax_b, None)
    .credit(PostingKey::Receivables, base_to_invoice, Some(&r.customer))
    .credit(PostingKey::UnappliedCash, credit_b, None);
    let journal: JournalEntry = p
        .fx_difference(goods_b + tax_b - base_to_invoice - credit_b)
        .build()?;
    events.push(Event::CreditMemoIssued {
        memo: CreditMemo {
            number: memo_no.into(),
            rma: rma.to_code(),
            invoice: inv.number.clone(),
            customer: r.customer.clone(),
            entity: r.entity.clone(),
            currency: cur.clone(),
            date,
            lines: credit_lines,
            taxes,
            total,
            to_invoice,
            to_credit,
            base_to_invoice,
        },
        journal,
    });
    // Restocked goods go to backorders first.
    super::sales::fill_backorders(state, &mut events, cmd.warehouse_date(state, &r.warehouse));
    Ok(events)
}

/// One invoice line's allowance (a price adjustment, allowance or rebate
/// not from a return), in the invoice currency, before tax.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceInput {
    pub line: u32,
    pub amount: Decimal,
}

/// A credit memo that is not from a return: goods amounts taken off
/// invoice lines, their tax computed per tax code on the sum of the lines
/// (cumulatively, so that crediting everything gives back exactly the
/// invoice's tax); Dr Sales returns and allowances, Dr Sales tax / Cr AR
/// on the invoice's open amount, the rest as the customer's credit. A line
/// cannot be credited more than its amount less what returns of it are
/// worth and earlier allowances took.
pub fn allowance(
    state: &State,
    cmd: &Command,
    invoice: &str,
    reason: &str,
    lines: &[AllowanceInput],
) -> Result<Vec<Event>, Rejection> {
    let inv = state
        .invoices
        .get(&invoice.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Invoice,
            key: invoice.to_string(),
        })?;
    validate::text("reason", reason, true)?;
    validate::count("lines", lines.len(), RETURN_LINES_MAX)?;
    let cur = &inv.currency;
    let base = super::purchasing::base_currency(state, &inv.entity)?;
    let mut credit_lines = Vec::new();
    let mut taxable: std::collections::BTreeMap<Code, Decimal> = Default::default();
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
        // A debit memo's line bills no quantity: nothing of it is returned.
        let returned_worth = if il.qty.is_zero() {
            Decimal::ZERO
        } else {
            cumulative(il.qty, il.amount, |x| cur.round(x * il.price))(il.returned)
        };
        let allowed = state
            .allowances
            .get(&(inv.number.clone(), a.line))
            .copied()
            .unwrap_or_default();
        let room = (il.amount - returned_worth - allowed).max(Decimal::ZERO);
        if a.amount > room {
            return Err(Rejection::out_of_range(
                format!("amount of line {}", a.line),
                a.amount,
                "0.01",
                cur.round(room),
            ));
        }
        if let Some(t) = &il.tax_code {
            *taxable.entry(t.clone()).or_default() += a.amount;
        }
        credit_lines.push(CreditLine {
            invoice_line: a.line,
            sku: il.sku.clone(),
            qty: Decimal::ZERO,
            amount: a.amount,
        });
    }
    let mut taxes = Vec::new();
    for (code, amount) in taxable {
        let Some(t) = inv.taxes.iter().find(|t| t.tax_code == code) else {
            continue;
        };
        let worth = cumulative(t.taxable, t.tax, |x| {
            cur.round(x * t.rate_pct / Decimal::from(100))
        });
        taxes.push(CreditTax {
            tax_code: code,
            taxable: amount,
            tax: worth(t.credited + amount) - worth(t.credited),
        });
    }
    let goods: Decimal = credit_lines.iter().map(|l| l.amount).sum();
    let tax: Decimal = taxes.iter().map(|t| t.tax).sum();
    let total = goods + tax;
    let to_invoice = total.min(inv.open).max(Decimal::ZERO);
    let to_credit = total - to_invoice;
    let (goods_b, tax_b) = (base.round(goods * inv.rate), base.round(tax * inv.rate));
    let base_to_invoice =
        super::billing::base_relief(&base, to_invoice, inv.open, inv.base_open, inv.rate);
    let credit_b = base.round(to_credit * inv.rate);
    let date = cmd.entity_date(state, &inv.entity);
    let memo_no = format!("CM-{:06}", state.next_credit_memo + 1);
    let journal: JournalEntry = Posting::new(
        state,
        &inv.entity,
        date,
        &memo_no,
        "credit memo (allowance)",
    )
    .debit(PostingKey::SalesReturns, goods_b, None)
    .debit(PostingKey::SalesTax, tax_b, None)
    .credit(
        PostingKey::Receivables,
        base_to_invoice,
        Some(&inv.customer),
    )
    .credit(PostingKey::UnappliedCash, credit_b, None)
    .fx_difference(goods_b + tax_b - base_to_invoice - credit_b)
    .build()?;
    Ok(vec![Event::CreditMemoIssued {
        memo: CreditMemo {
            number: memo_no.into(),
            rma: String::new().into(),
            invoice: inv.number.clone(),
            customer: inv.customer.clone(),
            entity: inv.entity.clone(),
            currency: cur.clone(),
            date,
            lines: credit_lines,
            taxes,
            total,
            to_invoice,
            to_credit,
            base_to_invoice,
        },
        journal,
    }])
}

pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::ReturnAuthorized(r) => {
            state.next_return += 1;
            if let Some(inv) = state.invoices.get_mut(&r.invoice) {
                for l in &r.lines {
                    if let Some(il) = inv.lines.get_mut((l.invoice_line - 1) as usize) {
                        il.returned += l.qty;
                    }
                }
            }
            state.returns.insert(r.number.clone(), r.clone());
        }
        Event::ReturnCancelled { rma, .. } => {
            let Some(r) = state.returns.get_mut(rma) else {
                return;
            };
            r.status = ReturnStatus::Cancelled;
            if let Some(inv) = state.invoices.get_mut(&r.invoice) {
                for l in &r.lines {
                    if let Some(il) = inv.lines.get_mut((l.invoice_line - 1) as usize) {
                        il.returned -= l.qty - l.received;
                    }
                }
            }
        }
        Event::ReturnReceived {
            rma,
            lines,
            moves,
            journal,
        } => {
            if let Some(r) = state.returns.get_mut(rma) {
                for (n, q) in lines {
                    if let Some(l) = r.lines.iter_mut().find(|l| l.line == *n) {
                        l.received += *q;
                    }
                }
                if r.lines.iter().all(|l| l.received >= l.qty) {
                    r.status = ReturnStatus::Received;
                }
            }
            for m in moves {
                super::apply::apply_move(state, m);
            }
            if let Some(j) = journal {
                super::apply::apply_journal(state, j);
            }
        }
        Event::CreditMemoIssued { memo, journal } => {
            state.next_credit_memo += 1;
            if memo.rma.is_empty() {
                for l in &memo.lines {
                    *state
                        .allowances
                        .entry((memo.invoice.clone(), l.invoice_line))
                        .or_default() += l.amount;
                }
            }
            if let Some(r) = state.returns.get_mut(&memo.rma) {
                r.credit_memos.push(memo.number.clone());
            }
            if let Some(inv) = state.invoices.get_mut(&memo.invoice) {
                for l in &memo.lines {
                    if let Some(il) = inv.lines.get_mut((l.invoice_line - 1) as usize) {
                        il.credited += l.qty;
                    }
                }
                for t in &memo.taxes {
                    if let Some(x) = inv.taxes.iter_mut().find(|x| x.tax_code == t.tax_code) {
                        x.credited += t.taxable;
                    }
                }
                inv.credited += memo.to_invoice;
                inv.open -= memo.to_invoice;
                inv.base_open -= memo.base_to_invoice;
                inv.disputed = inv.disputed.min(inv.open);
                if inv.open.is_zero() {
                    super::state::Indexes::remove(
                        &mut state.index.open_invoices,
                        &memo.customer,
                        &memo.invoice,
                    );
                }
            }
            if !memo.to_credit.is_zero() {
                let key = (memo.entity.clone(), memo.customer.clone());
                *state.unapplied.entry(key.clone()).or_default() += memo.to_credit;
                super::state::add_unapplied_base(state, key, journal);
            }
            super::apply::apply_journal(state, journal);
            state.credit_memos.insert(memo.number.clone(), memo.clone());
        }
        _ => {}
    }
}
