//! The general ledger out of the event log: an hledger journal, a beancount
//! ledger and a CSV of journal lines, so that an accountant can check our
//! books with tools we did not write.
//!
//! Both journals declare every account (with its type) and commodity, carry
//! one transaction per journal entry with its document, operator and log
//! sequence number, and assert every touched account's balance at each
//! period end. Accounts are named `Type:ENTITY:CODE` (`Assets:ACME:1200`),
//! which both tools accept and which keeps each entity's ledger apart.

use crate::core::apply::journals;
use crate::core::master::AccountKind;
use crate::core::posting::JournalEntry;
use crate::core::types::ToCode;
use crate::core::{Envelope, State};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalFormat {
    Hledger,
    Beancount,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("reading the event log: {0}")]
    Log(String),
    #[error("unknown entity {0:?}")]
    UnknownEntity(String),
    #[error(
        "journal entry of record {seq} names account {entity}/{account}, which is not in the chart"
    )]
    UnknownAccount {
        seq: u64,
        entity: String,
        account: String,
    },
}

/// What an export wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub entries: u64,
    /// Entries whose every line rounded to zero (a zero-cost issue, say):
    /// nothing to post, so not written.
    pub empty: u64,
    pub lines: u64,
    pub assertions: u64,
}

/// The name each (entity, account) has in the exported journals. Codes may
/// hold `. _ /` and lower case, which a beancount account component may
/// not: those become `-`, the code is upper-cased, and a name that would
/// collide with an earlier one gets a `-2`, `-3`... suffix.
pub fn account_names(state: &State) -> BTreeMap<(String, String), String> {
    let mut names = BTreeMap::new();
    let mut taken = BTreeSet::new();
    for ((entity, code), account) in &state.accounts {
        let base = format!(
            "{}:{}:{}",
            kind_root(account.kind),
            component(entity),
            component(code)
        );
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert(name.clone()) {
            name = format!("{base}-{n}");
            n += 1;
        }
        names.insert((entity.to_string(), code.to_string()), name);
    }
    names
}

fn kind_root(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Asset => "Assets",
        AccountKind::Liability => "Liabilities",
        AccountKind::Equity => "Equity",
        AccountKind::Revenue => "Income",
        AccountKind::Expense => "Expenses",
    }
}

fn hledger_type(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Asset => "A",
        AccountKind::Liability => "L",
        AccountKind::Equity => "E",
        AccountKind::Revenue => "R",
        AccountKind::Expense => "X",
    }
}

/// A code as an account component: starts with a capital or a digit, then
/// capitals, digits and dashes.
fn component(code: &str) -> String {
    let mut out: String = code
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '-'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        out.insert(0, 'X');
    }
    out
}

/// Free text on one line, without the characters that start a comment or
/// end a tag in hledger.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' | ';' | ',' => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// A beancount string literal.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Per entity: its base currency and its periods (code -> (start, end)).
struct Books {
    currency: BTreeMap<String, String>,
    periods: BTreeMap<String, BTreeMap<String, (NaiveDate, NaiveDate)>>,
    names: BTreeMap<(String, String), String>,
}

impl Books {
    fn of(state: &State) -> Books {
        let mut periods: BTreeMap<String, BTreeMap<String, (NaiveDate, NaiveDate)>> =
            BTreeMap::new();
        for p in state.periods.values() {
            periods
                .entry(p.entity.to_string())
                .or_default()
                .insert(p.code.to_string(), (p.start, p.end));
        }
        Books {
            currency: state
                .entities
                .iter()
                .map(|(c, e)| (c.to_string(), e.base_currency.to_string()))
                .collect(),
            periods,
            names: account_names(state),
        }
    }
}

/// Write the ledger of `entity` (or of every entity) read from `log` as an
/// hledger or beancount journal.
pub fn export_journal<E: Display>(
    state: &State,
    log: impl IntoIterator<Item = Result<Envelope, E>>,
    format: JournalFormat,
    entity: Option<&str>,
    w: &mut dyn Write,
) -> Result<ExportSummary, ExportError> {
    if let Some(e) = entity {
        if !state.entities.contains_key(&e.to_code()) {
            return Err(ExportError::UnknownEntity(e.to_string()));
        }
    }
    let wanted = |e: &str| entity.is_none_or(|x| x == e);
    let books = Books::of(state);
    let mut sum = ExportSummary::default();
    header(state, &books, format, &wanted, w)?;
    // (entity, account) -> (period end -> movement in that period).
    let mut moves: BTreeMap<(String, String), BTreeMap<NaiveDate, Decimal>> = BTreeMap::new();
    for env in log {
        let env = env.map_err(|e| ExportError::Log(e.to_string()))?;
        for ev in env.events() {
            for j in journals(ev) {
                if !wanted(&j.entity) {
                    continue;
                }
                if j.lines.is_empty() {
                    sum.empty += 1;
                    continue;
                }
                transaction(&books, format, &env, j, w)?;
                sum.entries += 1;
                sum.lines += j.lines.len() as u64;
                let end = books
                    .periods
                    .get(j.entity.as_str())
                    .and_then(|p| p.get(j.period.as_str()))
                    .map_or(j.date, |p| p.1);
                for l in &j.lines {
                    *moves
                        .entry((j.entity.to_string(), l.account.to_string()))
                        .or_default()
                        .entry(end)
                        .or_default() += l.signed();
                }
            }
        }
    }
    sum.assertions = assertions(&books, format, &moves, w)?;
    Ok(sum)
}

fn header(
    state: &State,
    books: &Books,
    format: JournalFormat,
    wanted: &dyn Fn(&str) -> bool,
    w: &mut dyn Write,
) -> Result<(), ExportError> {
    let currencies: BTreeSet<&String> = books
        .currency
        .iter()
        .filter(|(e, _)| wanted(e))
        .map(|(_, c)| c)
        .collect();
    match format {
        JournalFormat::Hledger => {
            writeln!(w, "; depot general ledger, to log record {}", state.seq)?;
            writeln!(w)?;
            for c in &currencies {
                writeln!(w, "commodity 1000.00 {c}")?;
            }
            writeln!(w)?;
            for ((entity, code), a) in &state.accounts {
                if !wanted(entity) {
                    continue;
                }
                let name = books
                    .names
                    .get(&(entity.to_string(), code.to_string()))
                    .cloned()
                    .unwrap_or_default();
                writeln!(
                    w,
                    "account {name}  ; type:{}, name:{}",
                    hledger_type(a.kind),
                    one_line(&a.name)
                )?;
            }
        }
        JournalFormat::Beancount => {
            writeln!(w, "; depot general ledger, to log record {}", state.seq)?;
            writeln!(w, "option \"title\" \"depot general ledger\"")?;
            for c in &currencies {
                writeln!(w, "option \"operating_currency\" \"{c}\"")?;
            }
            writeln!(w)?;
            for c in &currencies {
                writeln!(w, "1970-01-01 commodity {c}")?;
            }
            for ((entity, code), a) in &state.accounts {
                if !wanted(entity) {
                    continue;
                }
                let name = books
                    .names
                    .get(&(entity.to_string(), code.to_string()))
                    .cloned()
                    .unwrap_or_default();
                let cur = books
                    .currency
                    .get(entity.as_str())
                    .cloned()
                    .unwrap_or_default();
                writeln!(w, "1970-01-01 open {name} {cur}")?;
                writeln!(w, "  name: {}", quoted(&a.name))?;
            }
        }
    }
    writeln!(w)?;
    Ok(())
}

fn transaction(
    books: &Books,
    format: JournalFormat,
    env: &Envelope,
    j: &JournalEntry,
    w: &mut dyn Write,
) -> Result<(), ExportError> {
    let cur = books
        .currency
        .get(j.entity.as_str())
        .cloned()
        .unwrap_or_default();
    let name = |account: &str| {
        books
            .names
            .get(&(j.entity.to_string(), account.to_string()))
            .ok_or_else(|| ExportError::UnknownAccount {
                seq: env.seq,
                entity: j.entity.to_string(),
                account: account.to_string(),
            })
    };
    match format {
        JournalFormat::Hledger => {
            writeln!(
                w,
                "{} * ({}) {}  ; doc:{}, operator:{}, seq:{}, period:{}",
                j.date,
                one_line(&j.doc),
                one_line(&j.memo),
                one_line(&j.doc),
                env.operator,
                env.seq,
                j.period
            )?;
            for l in &j.lines {
                write!(w, "    {}  {} {cur}", name(&l.account)?, l.signed())?;
                match &l.sub {
                    Some(sub) => writeln!(w, "  ; sub:{}", one_line(sub))?,
                    None => writeln!(w)?,
                }
            }
        }
        JournalFormat::Beancount => {
            writeln!(w, "{} * {} {}", j.date, quoted(&j.doc), quoted(&j.memo))?;
            writeln!(w, "  doc: {}", quoted(&j.doc))?;
            writeln!(w, "  operator: {}", quoted(&env.operator))?;
            writeln!(w, "  seq: {}", env.seq)?;
            writeln!(w, "  period: {}", quoted(&j.period))?;
            for l in &j.lines {
                writeln!(w, "  {}  {} {cur}", name(&l.account)?, l.signed())?;
                if let Some(sub) = &l.sub {
                    writeln!(w, "    sub: {}", quoted(sub))?;
                }
            }
        }
    }
    writeln!(w)?;
    Ok(())
}

/// Assert, at the end of every period from an account's first movement on,
/// the balance it has by then.
fn assertions(
    books: &Books,
    format: JournalFormat,
    moves: &BTreeMap<(String, String), BTreeMap<NaiveDate, Decimal>>,
    w: &mut dyn Write,
) -> Result<u64, ExportError> {
    // (entity, period end) -> accounts and their balance then.
    let mut at: BTreeMap<(NaiveDate, String), Vec<(String, Decimal)>> = BTreeMap::new();
    for ((entity, account), per) in moves {
        let Some(first) = per.keys().next().copied() else {
            continue;
        };
        let last = per.keys().next_back().copied().unwrap_or(first);
        let mut ends: BTreeSet<NaiveDate> = books
            .periods
            .get(entity)
            .map(|p| {
                p.values()
                    .map(|(_, end)| *end)
                    .filter(|end| *end >= first && *end <= last)
                    .collect()
            })
            .unwrap_or_default();
        ends.extend(per.keys().copied());
        let mut balance = Decimal::ZERO;
        for end in ends {
            balance += per.get(&end).copied().unwrap_or_default();
            let name = books
                .names
                .get(&(entity.clone(), account.clone()))
                .cloned()
                .unwrap_or_default();
            at.entry((end, entity.clone()))
                .or_default()
                .push((name, balance));
        }
    }
    let mut n = 0;
    for ((end, entity), balances) in at {
        let cur = books.currency.get(&entity).cloned().unwrap_or_default();
        match format {
            JournalFormat::Hledger => {
                writeln!(w, "{end} * ({entity}) balances at period end  ; assertion:")?;
                for (name, b) in &balances {
                    writeln!(w, "    {name}  0 {cur} = {b} {cur}")?;
                }
                writeln!(w)?;
            }
            JournalFormat::Beancount => {
                // A beancount balance holds at the start of its day.
                let next = end.checked_add_days(Days::new(1)).unwrap_or(end);
                for (name, b) in &balances {
                    writeln!(w, "{next} balance {name}  {b} {cur}")?;
                }
                writeln!(w)?;
            }
        }
        n += balances.len() as u64;
    }
    Ok(n)
}

/// Columns of the journal-line CSV (`depot export gl`).
pub const GL_COLUMNS: [&str; 14] = [
    "seq", "time", "operator", "entity", "period", "date", "doc", "memo", "account", "name", "key",
    "debit", "credit", "sub",
];

/// Which journal lines a GL listing keeps.
#[derive(Debug, Default, Clone)]
pub struct GlFilter {
    pub entity: Option<String>,
    pub account: Option<String>,
    pub doc: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl GlFilter {
    fn keeps_entry(&self, j: &JournalEntry) -> bool {
        self.entity.as_ref().is_none_or(|e| *e == j.entity)
            && self.doc.as_ref().is_none_or(|d| *d == j.doc)
            && self.from.is_none_or(|f| j.date >= f)
            && self.to.is_none_or(|t| j.date <= t)
    }
}

/// Every journal line the filter keeps, in log order, as text cells under
/// `GL_COLUMNS`.
pub fn gl_rows<E: Display>(
    state: &State,
    log: impl IntoIterator<Item = Result<Envelope, E>>,
    filter: &GlFilter,
    mut row: impl FnMut(Vec<String>) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    let mut n = 0;
    for env in log {
        let env = env.map_err(|e| ExportError::Log(e.to_string()))?;
        for ev in env.events() {
            for j in journals(ev) {
                if !filter.keeps_entry(j) {
                    continue;
                }
                for l in &j.lines {
                    if filter.account.as_ref().is_some_and(|a| *a != l.account) {
                        continue;
                    }
                    let name = state
                        .accounts
                        .get(&(j.entity.clone(), l.account.clone()))
                        .map(|a| a.name.clone())
                        .unwrap_or_default();
                    let cell = |d: Decimal| {
                        if d.is_zero() {
                            String::new()
                        } else {
                            d.to_string()
                        }
                    };
                    row(vec![
                        env.seq.to_string(),
                        env.time.to_rfc3339(),
                        env.operator.to_string(),
                        j.entity.to_string(),
                        j.period.to_string(),
                        j.date.to_string(),
                        j.doc.clone(),
                        j.memo.clone(),
                        l.account.to_string(),
                        name,
                        l.key.as_str().to_string(),
                        cell(l.debit),
                        cell(l.credit),
                        l.sub.clone().unwrap_or_default().to_string(),
                    ])?;
                    n += 1;
                }
            }
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_beancount_safe() {
        assert_eq!(component("1200"), "1200");
        assert_eq!(component("ar.us_east/2"), "AR-US-EAST-2");
        assert_eq!(component("-x"), "X-X");
        assert_eq!(one_line("a;b,c\nd"), "a b c d");
        assert_eq!(quoted("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
    }
}
