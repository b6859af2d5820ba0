//! Year-end close (issue 16): the year's profit or loss moves to retained
//! earnings, per entity.
//!
//! Design decision (docs/finance.md): the closing entry is a journal dated
//! the last day of the fiscal year, in the year's last period, that
//! `close_year` posts once every period of the year is closed. It is the
//! one posting a closed period takes, and only from the year close itself:
//! it touches only the revenue and expense accounts (each brought to nil
//! for the year) and retained earnings. It is undone only by the reopen
//! approval: approving the reopening of any period of a closed year
//! reopens the year's last period too (periods reopen as a suffix), and
//! the same approval posts the reversal of the closing entry. Reports of
//! profit and loss leave closing entries out (they show the year's
//! result, not its transfer to equity); the trial balance and balance
//! sheet include them.

use super::command::Command;
use super::event::Event;
use super::master::{AccountKind, PeriodStatus, PostingKey, RecordKind};
use super::posting::{resolve_account, JournalEntry, JournalLine};
use super::rejection::Rejection;
use super::state::State;
use super::types::Code;
use crate::core::types::ToCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

type D = Result<Vec<Event>, Rejection>;

/// A closed fiscal year of an entity: the closing entry it posted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearClose {
    pub entity: Code,
    pub year: i32,
    /// The year's last period (the closing entry's).
    pub period: Code,
    pub journal: JournalEntry,
    pub by: Code,
}

fn refuse(entity: &str, year: i32, problem: impl Into<String>) -> Rejection {
    Rejection::YearClose {
        entity: entity.to_string(),
        year,
        problem: problem.into(),
    }
}

/// The fiscal year a period code belongs to (`FY2026-03` -> 2026).
pub fn year_of(period: &str) -> Option<i32> {
    period.strip_prefix("FY")?.split_once('-')?.0.parse().ok()
}

/// The periods of `entity`'s fiscal `year`, in calendar order.
pub fn periods_of<'a>(state: &'a State, entity: &str, year: i32) -> Vec<&'a super::master::Period> {
    state
        .periods
        .values()
        .filter(|p| p.entity == entity && year_of(&p.code) == Some(year))
        .collect()
}

/// Every revenue and expense account's debit-minus-credit over `periods`.
fn pl_balances(state: &State, entity: &str, periods: &[&Code]) -> BTreeMap<Code, Decimal> {
    let mut out: BTreeMap<Code, Decimal> = BTreeMap::new();
    for p in periods {
        let lo = (entity.to_code(), (*p).clone(), Code::default());
        for ((e, code, account), v) in state.ledger.period_balances.range(lo..) {
            if e != entity || code != *p {
                break;
            }
            let kind = state
                .accounts
                .get(&(entity.to_code(), account.clone()))
                .map(|a| a.kind);
            if matches!(kind, Some(AccountKind::Revenue | AccountKind::Expense)) {
                *out.entry(account.clone()).or_default() += *v;
            }
        }
    }
    out.retain(|_, v| !v.is_zero());
    out
}

/// `close_year`: every period of the year closed (or locked), the year not
/// closed yet: post the closing entry.
pub fn close(state: &State, cmd: &Command, entity: &str, year: i32) -> D {
    let e = state
        .entities
        .get(&entity.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Entity,
            key: entity.chars().take(40).collect(),
        })?;
    let periods = periods_of(state, entity, year);
    let Some(last) = periods.last() else {
        return Err(Rejection::NotFound {
            kind: RecordKind::Period,
            key: format!("{entity}/FY{year}"),
        });
    };
    if state.year_closes.contains_key(&(entity.to_code(), year)) {
        return Err(refuse(entity, year, "is closed already"));
    }
    if let Some(open) = periods.iter().find(|p| p.status == PeriodStatus::Open) {
        return Err(refuse(
            entity,
            year,
            format!(
                "has period {} open: close every period of the year first (close_period {})",
                open.code, last.code
            ),
        ));
    }
    let re = resolve_account(state, entity, PostingKey::RetainedEarnings)?;
    let codes: Vec<&Code> = periods.iter().map(|p| &p.code).collect();
    let balances = pl_balances(state, entity, &codes);
    let mut lines = Vec::with_capacity(balances.len() + 1);
    let mut net = Decimal::ZERO;
    let line = |account: &Code, key, signed: Decimal| JournalLine {
        account: account.clone(),
        key,
        debit: signed.max(Decimal::ZERO),
        credit: (-signed).max(Decimal::ZERO),
        sub: None,
    };
    for (account, b) in &balances {
        // Bring the account to nil for the year.
        lines.push(line(account, PostingKey::Manual, -*b));
        net += *b;
    }
    if !net.is_zero() {
        // A profit (net credit) is credited to retained earnings.
        lines.push(line(&re, PostingKey::RetainedEarnings, net));
    }
    let journal = JournalEntry {
        entity: entity.to_code(),
        date: last.end,
        period: last.code.clone(),
        doc: format!("YE-{entity}-{year}"),
        memo: format!(
            "year-end close of FY{year}: profit and loss to retained earnings ({})",
            e.base_currency
        ),
        lines,
    };
    if !journal.is_balanced() {
        return Err(Rejection::Unbalanced {
            debit: journal.debits(),
            credit: journal.credits(),
        });
    }
    Ok(vec![Event::YearClosed {
        entity: entity.to_code(),
        year,
        journal,
        by: cmd.operator.clone(),
    }])
}

/// The reversals of year closes that reopening `periods` of `entity`
/// undoes: every closed year whose last period reopens.
pub fn reopened(state: &State, entity: &str, periods: &[Code], by: &str) -> Vec<Event> {
    let mut out: Vec<Event> = state
        .year_closes
        .values()
        .filter(|y| y.entity == entity && periods.contains(&y.period))
        .map(|y| {
            let j = &y.journal;
            let journal = JournalEntry {
                entity: j.entity.clone(),
                date: j.date,
                period: j.period.clone(),
                doc: format!("{}-REV", j.doc),
                memo: format!("reversal of {} (period reopened)", j.doc),
                lines: j
                    .lines
                    .iter()
                    .map(|l| JournalLine {
                        debit: l.credit,
                        credit: l.debit,
                        ..l.clone()
                    })
                    .collect(),
            };
            Event::YearReopened {
                entity: entity.to_code(),
                year: y.year,
                journal,
                by: by.to_code(),
            }
        })
        .collect();
    // Latest year first, as they were closed in the other order.
    out.reverse();
    out
}

pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::YearClosed {
            entity,
            year,
            journal,
            by,
        } => {
            if !journal.lines.is_empty() {
                super::apply::apply_journal(state, journal);
            }
            state.year_closes.insert(
                (entity.clone(), *year),
                YearClose {
                    entity: entity.clone(),
                    year: *year,
                    period: journal.period.clone(),
                    journal: journal.clone(),
                    by: by.clone(),
                },
            );
        }
        Event::YearReopened {
            entity,
            year,
            journal,
            ..
        } => {
            if !journal.lines.is_empty() {
                super::apply::apply_journal(state, journal);
            }
            state.year_closes.remove(&(entity.clone(), *year));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn year_of_reads_period_codes() {
        assert_eq!(super::year_of("FY2026-12"), Some(2026));
        assert_eq!(super::year_of("2026-12"), None);
        assert_eq!(super::year_of("FYx-01"), None);
    }
}
