//! Cash application (SPEC 3.1 step 8): a receipt (cash, card, cheque,
//! transfer) applied to one or many invoices of the customer, partially or
//! in full; an early-payment discount when the whole open amount is
//! settled inside the window; a short payment that says it settles the
//! invoice is written off within the tolerance, beyond it the difference
//! is recorded as a dispute; what is not applied stays as the customer's
//! unapplied credit, applicable later.
//!
//! Posts Dr Bank, Dr Sales discount, Dr Write-off / Cr AR (customer),
//! Cr Unapplied cash, in the base currency; a receipt in another currency
//! relieves AR at the invoice's rate and the difference is a realised FX
//! gain or loss.

use super::command::Command;
use super::event::Event;
use super::master::{PostingKey, RecordKind};
use super::posting::Posting;
use super::rejection::Rejection;
use super::sales::fx_rate;
use super::state::State;
use super::state::{AddOrDrop, Modify};
use super::types::Code;
use super::validate;
use crate::core::types::ToCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A short payment up to this much (per invoice, in its currency) is
/// written off when the payer says it settles the invoice.
pub const SHORT_PAY_TOLERANCE: Decimal = Decimal::from_parts(500, 0, 0, false, 2);
/// Most invoices one receipt may be applied to.
pub const APPLICATIONS_MAX: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Cash,
    Card,
    Cheque,
    Transfer,
    /// The customer's unapplied credit, applied to invoices.
    Credit,
}

/// One application as the clerk gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyTo {
    pub invoice: Code,
    pub amount: Decimal,
    /// The customer means this to settle the invoice: a short difference
    /// within tolerance is written off, beyond it disputed.
    #[serde(default)]
    pub settle: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub invoice: Code,
    pub amount: Decimal,
    pub discount: Decimal,
    pub write_off: Decimal,
    pub disputed: Decimal,
    /// AR relieved in the base currency.
    pub base: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub number: Code,
    pub customer: Code,
    pub entity: Code,
    pub date: chrono::NaiveDate,
    pub method: Method,
    pub amount: Decimal,
    pub reference: String,
    pub applications: Vec<Application>,
    /// Left as the customer's credit (customer currency).
    pub unapplied: Decimal,
}

impl Receipt {
    /// What the receipt's own line moves on its customer's statement: a
    /// payment lowers the balance by what came in; credit on account
    /// applied moves nothing (the credit was counted when it arose, by
    /// the credit memo or the overpayment).
    pub fn statement_amount(&self) -> Decimal {
        if self.method == Method::Credit {
            Decimal::ZERO
        } else {
            -self.amount
        }
    }

    /// What all of the receipt's statement lines move together: its own
    /// line, and each application's early-payment discount and short
    /// payment written off.
    pub fn statement_net(&self) -> Decimal {
        self.applications
            .iter()
            .fold(self.statement_amount(), |n, a| n - a.discount - a.write_off)
    }
}

pub fn receive(
    state: &State,
    cmd: &Command,
    customer: &str,
    method: Method,
    amount: Decimal,
    reference: &str,
    apply: &[ApplyTo],
) -> Result<Vec<Event>, Rejection> {
    let c = state
        .customers
        .get(&customer.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Customer,
            key: customer.to_string(),
        })?;
    let date = cmd.entity_date(state, &c.entity);
    validate::text("reference", reference, false)?;
    validate::amount("amount", amount, &c.currency)?;
    let available = if method == Method::Credit {
        // Will-call deposits are earmarked for their orders.
        state
            .unapplied
            .get(&(c.entity.clone(), c.code.clone()))
            .copied()
            .unwrap_or_default()
            - super::counter::earmarked(state, &c.entity, &c.code)
    } else {
        if amount <= Decimal::ZERO {
            return Err(Rejection::NotPositive {
                field: "amount".into(),
                value: amount,
            });
        }
        amount
    };
    if apply.len() > APPLICATIONS_MAX {
        return Err(Rejection::out_of_range(
            "apply",
            apply.len(),
            "0",
            APPLICATIONS_MAX,
        ));
    }
    let base = state
        .entities
        .get(&c.entity)
        .map(|e| e.base_currency.clone())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Entity,
            key: c.entity.to_string(),
        })?;
    let rate_today = if c.currency == base {
        Decimal::ONE
    } else {
        fx_rate(state, &c.currency, &base, date).ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::FxRate,
            key: format!("{}/{base} on or before {date}", c.currency),
        })?
    };
    let mut apps = Vec::new();
    let mut applied = Decimal::ZERO;
    for (i, a) in apply.iter().enumerate() {
        if apply[..i].iter().any(|x| x.invoice == a.invoice) {
            return Err(Rejection::Duplicate {
                field: "apply".into(),
                value: a.invoice.to_string(),
            });
        }
        let inv = super::archive::invoice(state, &a.invoice)?;
        if inv.customer != c.code {
            return Err(Rejection::NotPayable {
                invoice: a.invoice.to_string(),
                problem: format!("is for customer {}", inv.customer),
            });
        }
        validate::amount("apply.amount", a.amount, &inv.currency)?;
        if a.amount <= Decimal::ZERO {
            return Err(Rejection::NotPositive {
                field: "apply.amount".into(),
                value: a.amount,
            });
        }
        let open = inv.open - inv.disputed;
        if open <= Decimal::ZERO {
            return Err(Rejection::NotPayable {
                invoice: a.invoice.to_string(),
                problem: "has nothing open".into(),
            });
        }
        if a.amount > open {
            return Err(Rejection::Overpaid {
                invoice: a.invoice.to_string(),
                open,
                amount: a.amount,
            });
        }
        let in_window = inv.discount_until.is_some_and(|d| date <= d);
        let discount = if in_window {
            inv.currency
                .round(open * inv.discount_pct / Decimal::from(100))
        } else {
            Decimal::ZERO
        };
        let (discount, write_off, disputed) = if a.amount == open {
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO)
        } else if in_window && discount > Decimal::ZERO && a.amount + discount == open {
            (discount, Decimal::ZERO, Decimal::ZERO)
        } else if a.settle && open - a.amount <= SHORT_PAY_TOLERANCE {
            (Decimal::ZERO, open - a.amount, Decimal::ZERO)
        } else if a.settle {
            (Decimal::ZERO, Decimal::ZERO, open - a.amount)
        } else {
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO)
        };
        let relief = super::billing::base_relief(
            &base,
            a.amount + discount + write_off,
            inv.open,
            inv.base_open,
            inv.rate,
        );
        applied += a.amount;
        apps.push(Application {
            invoice: a.invoice.clone(),
            amount: a.amount,
            discount,
            write_off,
            disputed,
            base: relief,
        });
    }
    if applied > available {
        return Err(if method == Method::Credit {
            Rejection::InsufficientCredit {
                customer: c.code.to_string(),
                available: c.currency.round(available),
                applied,
            }
        } else {
            Rejection::ReceiptOverapplied { amount, applied }
        });
    }
    let unapplied = if method == Method::Credit {
        Decimal::ZERO
    } else {
        amount - applied
    };
    if method == Method::Credit && apps.is_empty() {
        return Err(Rejection::NotPayable {
            invoice: String::new(),
            problem: "applying credit needs at least one invoice".into(),
        });
    }
    let number = Code::numbered("RC", state.next_receipt + 1);
    let to_base = |x: Decimal| base.round(x * rate_today);
    let mut p = Posting::new(state, &c.entity, date, &number, "customer receipt");
    let mut debits = Decimal::ZERO;
    let mut credits = Decimal::ZERO;
    if method == Method::Credit {
        // The credit leaves the unapplied-cash account at what it carries
        // (the rates it came in at), all of it when all is used; the
        // difference to the invoices' rates is realised FX below.
        let key = (c.entity.clone(), c.code.clone());
        let carried = state.unapplied_base.get(&key).copied().unwrap_or_default();
        // Against the whole credit (earmarked deposits included), so that
        // using all of it relieves all it carries.
        let whole = state.unapplied.get(&key).copied().unwrap_or_default();
        let used = if applied == whole || whole.is_zero() {
            carried
        } else {
            base.round(applied * carried / whole)
        };
        p = p.debit(PostingKey::UnappliedCash, used, None);
        debits += used;
    } else {
        let bank = to_base(amount);
        p = p.debit(PostingKey::Bank, bank, None);
        debits += bank;
        let un = to_base(unapplied);
        p = p.credit(PostingKey::UnappliedCash, un, None);
        credits += un;
    }
    for a in &apps {
        let d = to_base(a.discount);
        let w = to_base(a.write_off);
        p = p
            .debit(PostingKey::SalesDiscount, d, None)
            .debit(PostingKey::WriteOff, w, None)
            .credit(PostingKey::Receivables, a.base, Some(&c.code));
        debits += d + w;
        credits += a.base;
    }
    // A receipt in another currency than the base: AR leaves at the
    // invoices' rates, cash comes in at today's; the rest is realised FX.
    let journal = p.fx_difference(debits - credits).build()?;
    Ok(vec![Event::PaymentReceived {
        receipt: Receipt {
            number,
            customer: c.code.clone(),
            entity: c.entity.clone(),
            date,
            method,
            amount: if method == Method::Credit {
                applied
            } else {
                amount
            },
            reference: reference.to_string(),
            applications: apps,
            unapplied,
        },
        journal,
    }])
}

/// Credit on account paid back to the customer (`refund_credit`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub number: Code,
    pub customer: Code,
    pub entity: Code,
    pub date: chrono::NaiveDate,
    /// In the customer's currency.
    pub amount: Decimal,
    pub reference: String,
}

/// Pay back part or all of a customer's unapplied credit: Dr Unapplied
/// cash (what the account carries for that part of the credit) / Cr Bank
/// (at today's rate); in a foreign currency the difference is realised FX.
pub fn refund(
    state: &State,
    cmd: &Command,
    customer: &str,
    amount: Decimal,
    reference: &str,
) -> Result<Vec<Event>, Rejection> {
    let c = state
        .customers
        .get(&customer.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Customer,
            key: customer.to_string(),
        })?;
    validate::text("reference", reference, false)?;
    validate::amount("amount", amount, &c.currency)?;
    if amount <= Decimal::ZERO {
        return Err(Rejection::NotPositive {
            field: "amount".into(),
            value: amount,
        });
    }
    let key = (c.entity.clone(), c.code.clone());
    let total = state.unapplied.get(&key).copied().unwrap_or_default();
    // Will-call deposits are earmarked for their orders: not refundable
    // until released (the order cancelled or handed over).
    let free = total - super::counter::earmarked(state, &c.entity, &c.code);
    if amount > free {
        return Err(Rejection::InsufficientCredit {
            customer: c.code.to_string(),
            available: c.currency.round(free),
            applied: amount,
        });
    }
    let available = total;
    if amount > available {
        return Err(Rejection::InsufficientCredit {
            customer: c.code.to_string(),
            available: c.currency.round(available),
            applied: amount,
        });
    }
    let date = cmd.entity_date(state, &c.entity);
    let base = super::purchasing::base_currency(state, &c.entity)?;
    let rate = if c.currency == base {
        Decimal::ONE
    } else {
        fx_rate(state, &c.currency, &base, date).ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::FxRate,
            key: format!("{}/{base} on or before {date}", c.currency),
        })?
    };
    let carried = state.unapplied_base.get(&key).copied().unwrap_or_default();
    let used = if amount == available {
        carried
    } else {
        base.round(amount * carried / available)
    };
    let bank = base.round(amount * rate);
    let number = format!("RF-{:06}", state.next_refund + 1);
    let journal = Posting::new(state, &c.entity, date, &number, "credit refunded")
        .debit(PostingKey::UnappliedCash, used, None)
        .credit(PostingKey::Bank, bank, None)
        .fx_difference(used - bank)
        .build()?;
    Ok(vec![Event::CreditRefunded {
        refund: Refund {
            number: number.into(),
            customer: c.code.clone(),
            entity: c.entity.clone(),
            date,
            amount,
            reference: reference.to_string(),
        },
        journal,
    }])
}

pub fn apply_event(state: &mut State, event: &Event) {
    if let Event::CreditRefunded { refund, journal } = event {
        state.next_refund += 1;
        let key = (refund.entity.clone(), refund.customer.clone());
        state.unapplied.add_or_drop(&key, -refund.amount);
        super::state::add_unapplied_base(state, key, journal);
        super::apply::apply_journal(state, journal);
        state.refunds.insert(refund.number.clone(), refund.clone());
    }
    if let Event::PaymentReceived { receipt, journal } = event {
        state.next_receipt += 1;
        for a in &receipt.applications {
            if let Some(inv) = state.invoices.get_mut(&a.invoice) {
                inv.applied += a.amount;
                inv.adjusted += a.discount + a.write_off;
                inv.disputed += a.disputed;
                inv.open -= a.amount + a.discount + a.write_off;
                inv.base_open -= a.base;
                if inv.open.is_zero() {
                    super::state::Indexes::remove(
                        &mut state.index.open_invoices,
                        &receipt.customer,
                        &a.invoice,
                    );
                }
            }
        }
        let key = (receipt.entity.clone(), receipt.customer.clone());
        let delta = if receipt.method == Method::Credit {
            -receipt.amount
        } else {
            receipt.unapplied
        };
        state.unapplied.add_or_drop(&key, delta);
        super::state::add_unapplied_base(state, key, journal);
        super::apply::apply_journal(state, journal);
        for a in &receipt.applications {
            state
                .index
                .receipts_by_invoice
                .modify(a.invoice.clone(), |of| {
                    if !of.contains(&receipt.number) {
                        of.push(receipt.number.clone());
                    }
                });
        }
        state
            .receipts
            .insert(receipt.number.clone(), receipt.clone().into());
    }
}

/// How a dispute is settled (`resolve_dispute`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeAction {
    /// The customer is right: the disputed amount (or the part given) is
    /// written off (Dr Write-off / Cr AR); any rest is reinstated.
    WriteOff,
    /// The customer owes it: the disputed amount is open for payment
    /// again (no posting: it never left AR).
    Reinstate,
}

/// A dispute settled: kept with its date, so that AR aging as of an
/// earlier day still shows what the write-off later took off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeResolution {
    pub number: Code,
    pub invoice: Code,
    pub customer: Code,
    pub entity: Code,
    pub date: chrono::NaiveDate,
    /// In the invoice's currency.
    pub written_off: Decimal,
    pub reinstated: Decimal,
    /// AR relieved in the base currency by the write-off.
    pub base: Decimal,
    pub reason: String,
}

impl DisputeResolution {
    /// How it cleared the exception, for the queue's history.
    pub fn how(&self) -> String {
        match (self.written_off.is_zero(), self.reinstated.is_zero()) {
            (false, true) => format!("written off {}: {}", self.written_off, self.reason),
            (true, _) => format!("reinstated {}: {}", self.reinstated, self.reason),
            (false, false) => format!(
                "written off {}, reinstated {}: {}",
                self.written_off, self.reinstated, self.reason
            ),
        }
    }
}

/// What an AR clerk may write off on one dispute, in the entity's base
/// currency; a controller or an admin has no limit of this kind.
pub const AR_CLERK_WRITE_OFF_MAX: Decimal = Decimal::from_parts(100_000, 0, 0, false, 2);

/// The most `roles` may write off at once (`None`: no limit).
pub fn write_off_authority(roles: &[super::auth::Role]) -> Option<Decimal> {
    use super::auth::Role;
    if roles
        .iter()
        .any(|r| matches!(r, Role::Admin | Role::Controller))
    {
        return None;
    }
    Some(AR_CLERK_WRITE_OFF_MAX)
}

/// Settle an invoice's dispute: write it off (all of it, or `amount` of
/// it with the rest reinstated) within the operator's authority, or
/// reinstate it as open receivable.
pub fn resolve_dispute(
    state: &State,
    cmd: &Command,
    invoice: &str,
    action: DisputeAction,
    amount: Option<Decimal>,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let inv = state
        .invoices
        .get(&invoice.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Invoice,
            key: invoice.to_string(),
        })?;
    if inv.disputed <= Decimal::ZERO {
        return Err(Rejection::NotDisputed {
            invoice: inv.number.to_string(),
        });
    }
    super::exceptions::text("reason", reason)?;
    let written_off = match (action, amount) {
        (DisputeAction::Reinstate, None) => Decimal::ZERO,
        (DisputeAction::Reinstate, Some(_)) => {
            return Err(Rejection::out_of_range(
                "amount",
                "given",
                "none (a reinstatement takes the whole dispute)",
                "none",
            ))
        }
        (DisputeAction::WriteOff, None) => inv.disputed,
        (DisputeAction::WriteOff, Some(a)) => {
            validate::amount("amount", a, &inv.currency)?;
            if a <= Decimal::ZERO || a > inv.disputed {
                return Err(Rejection::out_of_range(
                    "amount",
                    a,
                    inv.currency.minor_unit(),
                    inv.disputed,
                ));
            }
            a
        }
    };
    let base = state
        .entities
        .get(&inv.entity)
        .map(|e| e.base_currency.clone())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Entity,
            key: inv.entity.to_string(),
        })?;
    let relief = if written_off.is_zero() {
        Decimal::ZERO
    } else {
        super::billing::base_relief(&base, written_off, inv.open, inv.base_open, inv.rate)
    };
    if written_off > Decimal::ZERO {
        let roles = state
            .operators
            .get(&cmd.operator)
            .map(|o| o.roles.as_slice())
            .unwrap_or(&[]);
        if let Some(limit) = write_off_authority(roles) {
            if relief > limit {
                return Err(Rejection::AboveAuthority {
                    operator: cmd.operator.to_string(),
                    amount: relief,
                    limit,
                });
            }
        }
        // Segregation of duties: who took the short payment does not
        // write it off (under any of their operator codes).
        if let Some(by) = state.dispute_by.get(&inv.number) {
            if super::exceptions::same_person(state, by, &cmd.operator) {
                let id = state
                    .open_exceptions
                    .get(&super::exceptions::Blocked::Invoice {
                        number: inv.number.clone(),
                    })
                    .copied()
                    .unwrap_or_default();
                return Err(Rejection::OwnRequest {
                    id,
                    what: format!("dispute of invoice {}", inv.number),
                });
            }
        }
    }
    let date = cmd.entity_date(state, &inv.entity);
    let number = format!("DR-{:06}", state.next_dispute_resolution + 1);
    let journal = if written_off.is_zero() {
        None
    } else {
        Some(
            Posting::new(state, &inv.entity, date, &number, "dispute written off")
                .debit(PostingKey::WriteOff, relief, None)
                .credit(PostingKey::Receivables, relief, Some(&inv.customer))
                .build()?,
        )
    };
    Ok(vec![Event::DisputeResolved {
        resolution: DisputeResolution {
            number: number.into(),
            invoice: inv.number.clone(),
            customer: inv.customer.clone(),
            entity: inv.entity.clone(),
            date,
            written_off,
            reinstated: inv.disputed - written_off,
            base: relief,
            reason: reason.to_string(),
        },
        journal,
    }])
}

/// Apply `DisputeResolved`.
pub fn apply_dispute(state: &mut State, event: &Event) {
    let Event::DisputeResolved {
        resolution: r,
        journal,
    } = event
    else {
        return;
    };
    state.next_dispute_resolution += 1;
    if let Some(inv) = state.invoices.get_mut(&r.invoice) {
        inv.disputed = Decimal::ZERO;
        inv.adjusted += r.written_off;
        inv.open -= r.written_off;
        inv.base_open -= r.base;
        if inv.open.is_zero() {
            super::state::Indexes::remove(&mut state.index.open_invoices, &r.customer, &r.invoice);
        }
    }
    if let Some(j) = journal {
        super::apply::apply_journal(state, j);
    }
    state
        .dispute_resolutions
        .insert(r.number.clone(), r.clone());
}

/// Keep `State::unapplied_since` in step after an event that may have
/// changed a customer's credit on account: the day it rose from zero,
/// forgotten when it falls back to zero.
/// Who recorded each open dispute (segregation of duties: whoever took
/// the short payment may reinstate it but not write it off); forgotten
/// when the invoice is no longer disputed.
pub fn track_disputes(state: &mut State, operator: &str, event: &Event) {
    let invoices: Vec<&Code> = match event {
        Event::PaymentReceived { receipt, .. } => {
            for a in receipt
                .applications
                .iter()
                .filter(|a| a.disputed > Decimal::ZERO)
            {
                state
                    .dispute_by
                    .insert(a.invoice.clone(), operator.to_code());
            }
            receipt.applications.iter().map(|a| &a.invoice).collect()
        }
        Event::DisputeResolved { resolution, .. } => vec![&resolution.invoice],
        _ => return,
    };
    for i in invoices {
        if state
            .invoices
            .get(i)
            .is_none_or(|inv| inv.disputed <= Decimal::ZERO)
        {
            state.dispute_by.remove(i);
        }
    }
}

pub fn track_unapplied(state: &mut State, event: &Event) {
    let (key, date) = match event {
        Event::PaymentReceived { receipt, .. } => (
            (receipt.entity.clone(), receipt.customer.clone()),
            receipt.date,
        ),
        Event::CreditRefunded { refund, .. } => (
            (refund.entity.clone(), refund.customer.clone()),
            refund.date,
        ),
        Event::CreditMemoIssued { memo, .. } => {
            ((memo.entity.clone(), memo.customer.clone()), memo.date)
        }
        _ => return,
    };
    if state
        .unapplied
        .get(&key)
        .is_some_and(|v| *v > Decimal::ZERO)
    {
        state.unapplied_since.entry(key).or_insert(date);
    } else {
        state.unapplied_since.remove(&key);
    }
}
