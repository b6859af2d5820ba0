//! The one posting module: every event with a financial consequence carries
//! a `JournalEntry` built here, balanced in the entity's base currency, with
//! accounts resolved through the entity's posting rules, into an open period.

use super::master::{Control, PeriodStatus, PostingKey};
use super::rejection::Rejection;
use super::state::State;
use super::types::Code;
use crate::core::types::ToCode;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One line of a journal entry; exactly one of debit and credit is non-zero.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalLine {
    pub account: Code,
    pub key: PostingKey,
    pub debit: Decimal,
    pub credit: Decimal,
    /// The subledger party of a control-account line: customer code for
    /// receivables, supplier code for payables, SKU for inventory.
    pub sub: Option<Code>,
}

impl JournalLine {
    /// Debit minus credit.
    pub fn signed(&self) -> Decimal {
        self.debit - self.credit
    }
}

/// A balanced journal entry of one entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub entity: Code,
    pub date: NaiveDate,
    pub period: Code,
    /// The document it comes from (`OPEN-WH1-A-100`, `INV-42`...).
    pub doc: String,
    pub memo: String,
    pub lines: Vec<JournalLine>,
}

impl JournalEntry {
    pub fn debits(&self) -> Decimal {
        self.lines.iter().map(|l| l.debit).sum()
    }
    pub fn credits(&self) -> Decimal {
        self.lines.iter().map(|l| l.credit).sum()
    }
    pub fn is_balanced(&self) -> bool {
        self.debits() == self.credits()
            && self
                .lines
                .iter()
                .all(|l| l.debit >= Decimal::ZERO && l.credit >= Decimal::ZERO)
    }
}

/// Builds a journal entry line by line and checks it when built.
pub struct Posting<'a> {
    state: &'a State,
    entity: Code,
    date: NaiveDate,
    doc: String,
    memo: String,
    /// Key, the account when the entry names it (manual lines), signed
    /// amount, subledger party.
    lines: Vec<(PostingKey, Option<Code>, Decimal, Option<Code>)>,
}

impl<'a> Posting<'a> {
    pub fn new(state: &'a State, entity: &str, date: NaiveDate, doc: &str, memo: &str) -> Self {
        Posting {
            state,
            entity: entity.to_code(),
            date,
            doc: doc.to_string(),
            memo: memo.to_string(),
            lines: Vec::with_capacity(4),
        }
    }

    pub fn debit(mut self, key: PostingKey, amount: Decimal, sub: Option<&str>) -> Self {
        self.lines.push((key, None, amount, sub.map(Code::from)));
        self
    }

    pub fn credit(mut self, key: PostingKey, amount: Decimal, sub: Option<&str>) -> Self {
        self.lines.push((key, None, -amount, sub.map(Code::from)));
        self
    }

    /// A line to an account named by the entry (debit minus credit), not
    /// through a posting rule: manual entries and reversals.
    pub fn to_account(
        mut self,
        key: PostingKey,
        account: &str,
        signed: Decimal,
        sub: Option<&str>,
    ) -> Self {
        self.lines
            .push((key, Some(account.to_code()), signed, sub.map(Code::from)));
        self
    }

    /// Resolve accounts, round to the base currency, check the period is
    /// open and the entry balances.
    /// Close a difference of `debits - credits` between the two sides of a
    /// foreign-currency settlement: a surplus of debits is a realised FX
    /// gain (credit), a shortfall a loss (debit).
    pub fn fx_difference(self, diff: Decimal) -> Self {
        if diff > Decimal::ZERO {
            self.credit(PostingKey::FxGain, diff, None)
        } else if diff < Decimal::ZERO {
            self.debit(PostingKey::FxLoss, -diff, None)
        } else {
            self
        }
    }

    pub fn build(self) -> Result<JournalEntry, Rejection> {
        let state = self.state;
        let entity = state
            .entities
            .get(&self.entity)
            .ok_or_else(|| Rejection::NotFound {
                kind: super::master::RecordKind::Entity,
                key: self.entity.to_string(),
            })?;
        let period = open_period(state, &self.entity, self.date)?;
        let mut lines = Vec::with_capacity(self.lines.len());
        for (key, named, amount, sub) in self.lines {
            let amount = entity.base_currency.round(amount);
            if amount.is_zero() {
                continue;
            }
            let account = match named {
                Some(a) => a,
                None => resolve_account(state, &self.entity, key)?,
            };
            let (debit, credit) = if amount > Decimal::ZERO {
                (amount, Decimal::ZERO)
            } else {
                (Decimal::ZERO, -amount)
            };
            lines.push(JournalLine {
                account,
                key,
                debit,
                credit,
                sub: if key.control().is_some() { sub } else { None },
            });
        }
        let entry = JournalEntry {
            entity: self.entity,
            date: self.date,
            period,
            doc: self.doc,
            memo: self.memo,
            lines,
        };
        if !entry.is_balanced() {
            return Err(Rejection::Unbalanced {
                debit: entry.debits(),
                credit: entry.credits(),
            });
        }
        Ok(entry)
    }
}

/// The account a posting key hits for an entity, checked against its control.
pub fn resolve_account(state: &State, entity: &str, key: PostingKey) -> Result<Code, Rejection> {
    let account = state
        .posting_rules
        .get(&(entity.to_code(), key))
        .ok_or_else(|| Rejection::PostingRuleMissing {
            entity: entity.to_string(),
            key,
        })?;
    Ok(account.clone())
}

/// The open period of an entity that holds `date`.
pub fn open_period(state: &State, entity: &str, date: NaiveDate) -> Result<Code, Rejection> {
    let period = state
        .period_of(entity, date)
        .ok_or_else(|| Rejection::NoPeriod {
            entity: entity.to_string(),
            date,
        })?;
    if period.status != PeriodStatus::Open {
        return Err(Rejection::PeriodNotOpen {
            entity: entity.to_string(),
            period: period.code.to_string(),
            status: period.status,
        });
    }
    Ok(period.code.clone())
}

/// Whether an account with `control` may receive `key`.
pub fn account_fits_key(control: Option<Control>, key: PostingKey) -> bool {
    control == key.control()
}
