//! Bank reconciliation: statements imported from the bank, matched to what
//! the books say went through the entity's bank account.
//!
//! Every journal entry that moves the bank account (the account of the
//! `bank` posting rule) leaves an uncleared *book item*: a receipt, a
//! supplier payment, a refund, a manual entry. A statement's lines are
//! matched to book items, automatically where there is no doubt (same
//! amount, dated within a window, the reference deciding between equals),
//! by hand for the rest: several book items to one line (a deposit of many
//! cheques), a small difference written off to bank charges within a
//! tolerance, or a line the books never had (fees, interest) posted to an
//! account. Unmatched lines stay open and keep the period from closing;
//! uncleared book items are the outstanding cheques and deposits in
//! transit a reconciliation lists.

use super::command::Command;
use super::event::Event;
use super::master::{PostingKey, RecordKind};
use super::posting::{JournalEntry, Posting};
use super::rejection::Rejection;
use super::state::State;
use super::types::Code;
use super::validate;
use crate::core::code::Joined;
use crate::core::types::ToCode;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

type D = Result<Vec<Event>, Rejection>;

/// Lines of one statement, at most.
pub const STATEMENT_LINES_MAX: usize = 10_000;
/// Auto-match date window when none is given: the bank books a cheque a
/// few days after it was received.
pub const WINDOW_DAYS_DEFAULT: u32 = 5;
pub const WINDOW_DAYS_MAX: u32 = 60;
/// The largest difference that may be written off, in base currency units.
pub const TOLERANCE_MAX: Decimal = Decimal::from_parts(5000, 0, 0, false, 2);

/// A line of a statement as the bank gives it: money in is positive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementLine {
    pub date: NaiveDate,
    pub amount: Decimal,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub description: String,
}

/// How a statement line was explained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cleared {
    /// Matched to these book items (and a difference written off).
    Matched {
        items: Vec<Code>,
        write_off: Decimal,
        auto: bool,
    },
    /// Posted to an account: the books did not have it.
    Posted { account: Code },
}

/// A statement line kept in the state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankLine {
    /// `BL-000001`.
    pub id: Code,
    pub entity: Code,
    pub account: Code,
    pub statement: String,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub reference: String,
    pub description: String,
    pub cleared: Option<Cleared>,
}

/// What the books say moved through the bank account, one per journal
/// entry (its bank lines netted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookItem {
    /// `BK-000001`.
    pub id: Code,
    pub entity: Code,
    pub account: Code,
    pub date: NaiveDate,
    /// Into the bank positive, out negative.
    pub amount: Decimal,
    pub doc: String,
    pub memo: String,
    /// The statement line that cleared it.
    pub cleared_by: Option<Code>,
}

/// One line matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankMatch {
    pub line: Code,
    pub items: Vec<Code>,
    /// Statement amount less the book items' sum, written off.
    pub write_off: Decimal,
    pub journal: Option<JournalEntry>,
}

/// What one `ArchiveClosed` takes out of the bank reconciliation, at
/// most: statement lines and the book items they cleared, counted
/// together (a deposit line may clear hundreds of receipts), about as
/// much for the writer to remove and the flusher to write as
/// `archiver::BATCH` orders and their documents. A line that alone
/// clears more goes in a command of its own.
pub const ARCHIVE_LINES_MAX: usize = 1_000;

/// An entity's statement lines that a reconciliation marked done has
/// settled, and the book items they cleared, moved out of memory by
/// `ArchiveClosed` (issue 21): every line is explained (matched or
/// posted) and dated by the end of a reconciled period older than the
/// archive's day, and so is every book item it cleared. A line matched to
/// an item dated after that end stays, with its items, until a later
/// reconciliation reaches it. The event carries the documents, as
/// `Archived` does, so that the store's archive tree is written from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankArchive {
    pub entity: Code,
    /// The end of the newest reconciled period it reached: the
    /// reconciliations up to it can no longer be redone, so none may be
    /// marked for a period ending by then (`archived_through`).
    pub through: NaiveDate,
    pub lines: Vec<BankLine>,
    pub items: Vec<BookItem>,
}

/// The end of the newest period of `entity` whose reconciliation was
/// marked done and that ended before `before`.
fn reconciled_through(state: &State, entity: &Code, before: NaiveDate) -> Option<NaiveDate> {
    state
        .periods
        .range((entity.clone(), NaiveDate::MIN)..)
        .take_while(|((e, _), _)| e == entity)
        .map(|(_, p)| p)
        .filter(|p| p.end < before)
        .filter(|p| {
            state
                .bank_reconciled
                .contains_key(&(entity.clone(), p.code.clone()))
        })
        .map(|p| p.end)
        .max()
}

/// What `ArchiveClosed` takes out of the bank reconciliation: for each
/// entity, the explained statement lines dated by the end of its newest
/// reconciled period before `before`, each with the book items it
/// cleared when all of them are dated by then too; oldest first, while
/// the lines and their items come to at most `max` (the first line is
/// taken whatever it clears, so that none is left behind for ever).
/// One pass over the lines in memory, whatever the number of entities:
/// it runs on the writer with every archiving command.
pub fn settled(state: &State, before: NaiveDate, max: usize) -> Vec<BankArchive> {
    let throughs: Vec<(&Code, NaiveDate)> = state
        .entities
        .keys()
        .filter_map(|e| reconciled_through(state, e, before).map(|t| (e, t)))
        .collect();
    let Some(latest) = throughs.iter().map(|(_, t)| *t).max() else {
        return Vec::new();
    };
    let mut candidates: Vec<Vec<&BankLine>> = vec![Vec::new(); throughs.len()];
    for l in state.bank_lines.values() {
        if l.date > latest {
            continue;
        }
        let Some(k) = throughs.iter().position(|(e, _)| **e == l.entity) else {
            continue;
        };
        let through = throughs[k].1;
        let settled = l.date <= through
            && match &l.cleared {
                None => false,
                Some(Cleared::Posted { .. }) => true,
                Some(Cleared::Matched { items, .. }) => items
                    .iter()
                    .all(|i| state.book_items.get(i).is_some_and(|it| it.date <= through)),
            };
        if settled {
            candidates[k].push(l);
        }
    }
    let mut out = Vec::new();
    let mut taken = 0usize;
    for ((entity, through), mut lines) in throughs.into_iter().zip(candidates) {
        lines.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
        let mut archive = BankArchive {
            entity: entity.clone(),
            through,
            lines: Vec::new(),
            items: Vec::new(),
        };
        let mut full = false;
        for l in lines {
            let cleared: &[Code] = match &l.cleared {
                Some(Cleared::Matched { items, .. }) => items,
                _ => &[],
            };
            let cost = 1 + cleared.len();
            if taken > 0 && taken + cost > max {
                full = true;
                break;
            }
            taken += cost;
            archive.lines.push(l.clone());
            archive.items.extend(
                cleared
                    .iter()
                    .filter_map(|i| state.book_items.get(i))
                    .cloned(),
            );
        }
        if !archive.lines.is_empty() {
            out.push(archive);
        }
        if full || taken >= max {
            break;
        }
    }
    out
}

/// Move a bank archive's lines and items out of the state; no index
/// names them (they are explained and cleared).
pub fn apply_archived(state: &mut State, a: &BankArchive) {
    for l in &a.lines {
        state.bank_lines.remove(&l.id);
    }
    for it in &a.items {
        state.book_items.remove(&it.id);
    }
    let t = state
        .bank_archived_through
        .entry(a.entity.clone())
        .or_insert(a.through);
    *t = (*t).max(a.through);
}

/// Are a bank archive's lines and items those of the state it is applied
/// to, explained, and settled by its `through`? `Err`: (line or item,
/// problem), for `depot check`.
pub fn check_archive(state: &State, a: &BankArchive) -> Result<(), (Code, String)> {
    let reconciled = state.periods.values().any(|p| {
        p.entity == a.entity
            && p.end == a.through
            && state
                .bank_reconciled
                .contains_key(&(a.entity.clone(), p.code.clone()))
    });
    if !reconciled {
        return Err((
            a.entity.clone(),
            format!(
                "archives through {}, which ends no reconciled period",
                a.through
            ),
        ));
    }
    let mut cleared: BTreeSet<&Code> = BTreeSet::new();
    for l in &a.lines {
        if state.bank_lines.get(&l.id) != Some(l) {
            return Err((l.id.clone(), "differs from the replayed line".into()));
        }
        if l.entity != a.entity || l.date > a.through {
            return Err((l.id.clone(), format!("is not settled by {}", a.through)));
        }
        match &l.cleared {
            None => return Err((l.id.clone(), "is not explained".into())),
            Some(Cleared::Posted { .. }) => {}
            Some(Cleared::Matched { items, .. }) => cleared.extend(items.iter()),
        }
    }
    for it in &a.items {
        if state.book_items.get(&it.id) != Some(it) {
            return Err((it.id.clone(), "differs from the replayed book item".into()));
        }
        if it.date > a.through || !cleared.remove(&it.id) {
            return Err((
                it.id.clone(),
                "is not cleared by a line archived with it".into(),
            ));
        }
    }
    if let Some(i) = cleared.into_iter().next() {
        return Err((i.clone(), "is cleared by an archived line but stays".into()));
    }
    Ok(())
}

/// The entity's bank account: where the `bank` posting rule points.
pub fn bank_account<'a>(state: &'a State, entity: &str) -> Option<&'a Code> {
    state
        .posting_rules
        .get(&(entity.to_code(), PostingKey::Bank))
}

/// The reference a book item carries: its receipt's or supplier payment's
/// reference, else nothing.
pub fn book_reference<'a>(state: &'a State, item: &BookItem) -> &'a str {
    if let Some(r) = state.receipts.get(&item.doc.to_code()) {
        return &r.reference;
    }
    if let Some(p) = state.supplier_payments.get(&item.doc.to_code()) {
        return &p.reference;
    }
    ""
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a statement reference names this book item: its document
/// number or its payment reference, ignoring case, spaces and punctuation.
pub fn reference_matches(state: &State, line: &BankLine, item: &BookItem) -> bool {
    let r = norm(&line.reference);
    if r.is_empty() {
        return false;
    }
    let doc = norm(&item.doc);
    let reference = norm(book_reference(state, item));
    (!doc.is_empty() && r.contains(&doc)) || (!reference.is_empty() && r == reference)
}

/// Why a statement line is cleared, in words a clerk reads: which rule
/// matched it automatically (the reference, the only item of that amount
/// in the window, the only one within the tolerance), what was matched by
/// hand, or the account it was posted to. `None` while it is open.
pub fn explain(state: &State, line: &BankLine) -> Option<String> {
    let wo = |w: Decimal| {
        if w.is_zero() {
            String::new()
        } else {
            format!(", {w} written off")
        }
    };
    match line.cleared.as_ref()? {
        Cleared::Posted { account } => Some(format!("posted to {account}")),
        Cleared::Matched {
            items,
            write_off,
            auto: false,
        } => Some(format!(
            "matched by hand to {}{}",
            items.joined(" "),
            wo(*write_off)
        )),
        Cleared::Matched {
            items,
            write_off,
            auto: true,
        } => {
            let first = items.first().and_then(|i| state.book_items.get(i));
            let Some(it) = first else {
                return Some(format!("auto: {}{}", items.joined(" "), wo(*write_off)));
            };
            let days = (it.date - line.date).num_days().abs();
            let why = if reference_matches(state, line, it) {
                format!("auto: reference names {}", it.doc)
            } else if write_off.is_zero() {
                format!("auto: only {} in {days} day(s), {}", it.amount, it.doc)
            } else {
                format!("auto: only one in tolerance, {}", it.doc)
            };
            Some(format!("{why}{}", wo(*write_off)))
        }
    }
}

pub fn import(
    state: &State,
    cmd: &Command,
    entity: &str,
    statement: &str,
    lines: &[StatementLine],
) -> D {
    let e = state
        .entities
        .get(&entity.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Entity,
            key: entity.to_string(),
        })?;
    validate::text("statement", statement, true)?;
    if state
        .bank_statements
        .contains(&(entity.to_code(), statement.to_string()))
    {
        return Err(Rejection::AlreadyExists {
            kind: RecordKind::BankStatement,
            key: format!("{entity}/{statement}"),
        });
    }
    let account = bank_account(state, entity)
        .ok_or(Rejection::PostingRuleMissing {
            entity: entity.to_string(),
            key: PostingKey::Bank,
        })?
        .clone();
    if lines.is_empty() {
        return Err(Rejection::InvalidText {
            field: "lines".into(),
            problem: "a statement needs at least one line".into(),
        });
    }
    validate::count("lines", lines.len(), STATEMENT_LINES_MAX)?;
    let mut out = Vec::with_capacity(lines.len());
    let latest = cmd.entity_date(state, entity) + chrono::Duration::days(1);
    for (i, l) in lines.iter().enumerate() {
        let field = |f: &str| format!("lines[{i}].{f}");
        if l.amount.is_zero() {
            return Err(Rejection::NotPositive {
                field: field("amount"),
                value: l.amount,
            });
        }
        validate::signed_amount(&field("amount"), l.amount, &e.base_currency)?;
        validate::text(&field("reference"), &l.reference, false)?;
        validate::text(&field("description"), &l.description, false)?;
        if l.date > latest {
            return Err(Rejection::InvalidText {
                field: field("date"),
                problem: format!("{} is in the future", l.date),
            });
        }
        out.push(BankLine {
            id: format!("BL-{:06}", state.next_bank_line + 1 + i as u64).into(),
            entity: entity.to_code(),
            account: account.clone(),
            statement: statement.to_string(),
            date: l.date,
            amount: l.amount,
            reference: l.reference.trim().to_string(),
            description: l.description.trim().to_string(),
            cleared: None,
        });
    }
    if let Some(problem) = imported_before(state, entity, &out) {
        return Err(Rejection::InvalidText {
            field: "lines".into(),
            problem,
        });
    }
    Ok(vec![Event::BankStatementImported {
        entity: entity.to_code(),
        account,
        statement: statement.to_string(),
        lines: out,
        by: cmd.operator.clone(),
    }])
}

/// Why a statement's lines may not be imported: some were imported
/// before (the same day, amount, reference and description, counted: two
/// like lines on one day are two lines). A bank file downloaded again, or
/// one overlapping the last, under another name, doubled every line it
/// repeated: the implied balance was wrong, the period could not close,
/// and only voiding the whole statement takes its lines back (once one
/// of them is matched, not even that). Lines archived with their
/// period are out of reach of this check; a period that old is closed.
fn imported_before(state: &State, entity: &str, lines: &[BankLine]) -> Option<String> {
    type Key<'a> = (NaiveDate, Decimal, &'a str, &'a str);
    fn key(l: &BankLine) -> Key<'_> {
        (
            l.date,
            l.amount.normalize(),
            l.reference.as_str(),
            l.description.as_str(),
        )
    }
    let first = lines.iter().map(|l| l.date).min()?;
    let last = lines.iter().map(|l| l.date).max()?;
    let mut held: std::collections::HashMap<Key, Vec<&BankLine>> = Default::default();
    for b in state
        .bank_lines
        .values()
        .filter(|b| first <= b.date && b.date <= last && b.entity == entity)
    {
        held.entry(key(b)).or_default().push(b);
    }
    let mut again: Vec<(usize, &BankLine)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(b) = held.get_mut(&key(l)).and_then(|v| v.pop()) {
            again.push((i, b));
        }
    }
    let (i, b) = again.first()?;
    Some(format!(
        "{} of the {} line(s) were imported before: line {} ({} {} {:?}) is {} of statement {}; import only the lines not imported yet",
        again.len(),
        lines.len(),
        i + 1,
        b.date,
        b.amount,
        b.reference,
        b.id,
        b.statement
    ))
}

fn tolerance_of(t: Option<Decimal>, state: &State, entity: &str) -> Result<Decimal, Rejection> {
    let t = t.unwrap_or_default();
    if let Some(e) = state.entities.get(&entity.to_code()) {
        validate::amount("tolerance", t, &e.base_currency)?;
    }
    if t > TOLERANCE_MAX {
        return Err(Rejection::out_of_range("tolerance", t, "0", TOLERANCE_MAX));
    }
    Ok(t)
}

/// What a reconciliation posting is dated: the statement line's day if
/// its period is open, else the day of the command (a fee found after the
/// close goes into the open period, as a correction would).
pub fn posting_date(state: &State, line: &BankLine, today: NaiveDate) -> NaiveDate {
    let open = |d: NaiveDate| {
        state
            .period_of(&line.entity, d)
            .is_some_and(|p| p.status == super::master::PeriodStatus::Open)
    };
    if open(line.date) || !open(today) {
        line.date
    } else {
        today
    }
}

/// The journal writing off `diff` (statement less books): the bank
/// account moves by it, bank charges by the opposite.
fn write_off_journal(
    state: &State,
    line: &BankLine,
    diff: Decimal,
    today: NaiveDate,
) -> Result<JournalEntry, Rejection> {
    let memo = format!("bank difference on {} ({})", line.id, line.statement);
    let date = posting_date(state, line, today);
    Posting::new(state, &line.entity, date, &line.id, &memo)
        .to_account(PostingKey::Bank, &line.account, diff, None)
        .debit(PostingKey::BankCharges, -diff, None)
        .build()
}

fn open_line<'a>(state: &'a State, id: &str) -> Result<&'a BankLine, Rejection> {
    let line = state
        .bank_lines
        .get(&id.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::BankLine,
            key: id.to_string(),
        })?;
    if line.cleared.is_some() {
        return Err(Rejection::BankMatch {
            line: id.to_string(),
            problem: "is matched already".into(),
        });
    }
    Ok(line)
}

pub fn auto_match(
    state: &State,
    cmd: &Command,
    entity: &str,
    window_days: Option<u32>,
    tolerance: Option<Decimal>,
) -> D {
    if !state.entities.contains_key(&entity.to_code()) {
        return Err(Rejection::NotFound {
            kind: RecordKind::Entity,
            key: entity.to_string(),
        });
    }
    let window = window_days.unwrap_or(WINDOW_DAYS_DEFAULT);
    if window > WINDOW_DAYS_MAX {
        return Err(Rejection::out_of_range(
            "window_days",
            window,
            "0",
            WINDOW_DAYS_MAX,
        ));
    }
    let tolerance = tolerance_of(tolerance, state, entity)?;
    // Uncleared items by amount, so each line looks only at its range.
    let mut items: BTreeMap<Decimal, Vec<&BookItem>> = BTreeMap::new();
    for it in state
        .index
        .uncleared_book_items
        .get(&entity.to_code())
        .into_iter()
        .flatten()
        .filter_map(|id| state.book_items.get(id))
    {
        items.entry(it.amount).or_default().push(it);
    }
    let mut lines: Vec<&BankLine> = state
        .index
        .unmatched_bank_lines
        .iter()
        .filter_map(|id| state.bank_lines.get(id))
        .filter(|l| l.entity == entity)
        .collect();
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    let mut matches = Vec::new();
    // Rounds: a line in doubt only because of an item another line took
    // without doubt is decided in the next round.
    loop {
        let mut choice: BTreeMap<&str, &BookItem> = BTreeMap::new();
        for line in &lines {
            let near: Vec<&BookItem> = items
                .range(line.amount - tolerance..=line.amount + tolerance)
                .flat_map(|(_, v)| v.iter().copied())
                .filter(|it| {
                    !taken.contains(it.id.as_str())
                        && it.account == line.account
                        && (it.date - line.date).num_days().unsigned_abs() <= u64::from(window)
                        && it.amount.is_sign_negative() == line.amount.is_sign_negative()
                })
                .collect();
            let by_ref: Vec<&BookItem> = near
                .iter()
                .copied()
                .filter(|it| reference_matches(state, line, it))
                .collect();
            let exact: Vec<&BookItem> = near
                .iter()
                .copied()
                .filter(|it| it.amount == line.amount)
                .collect();
            let pick = if by_ref.len() == 1 {
                Some(by_ref[0])
            } else if by_ref.is_empty() && exact.len() == 1 {
                Some(exact[0])
            } else if by_ref.is_empty() && exact.is_empty() && near.len() == 1 {
                Some(near[0])
            } else {
                None
            };
            if let Some(it) = pick {
                choice.insert(&line.id, it);
            }
        }
        // A book item two lines chose is in doubt: neither takes it.
        let mut chosen: BTreeMap<&str, usize> = BTreeMap::new();
        for it in choice.values() {
            *chosen.entry(it.id.as_str()).or_default() += 1;
        }
        let mut progress = false;
        let mut rest = Vec::with_capacity(lines.len());
        for line in lines {
            let Some(it) = choice
                .get(line.id.as_str())
                .filter(|it| chosen.get(it.id.as_str()).copied() == Some(1))
            else {
                rest.push(line);
                continue;
            };
            let diff = line.amount - it.amount;
            let journal = if diff.is_zero() {
                None
            } else {
                // A write-off that cannot post waits for a manual match.
                match write_off_journal(state, line, diff, cmd.entity_date(state, entity)) {
                    Ok(j) => Some(j),
                    Err(_) => {
                        rest.push(line);
                        continue;
                    }
                }
            };
            taken.insert(it.id.as_str());
            progress = true;
            matches.push(BankMatch {
                line: line.id.clone(),
                items: vec![it.id.clone()],
                write_off: diff,
                journal,
            });
        }
        lines = rest;
        if !progress {
            break;
        }
    }
    if matches.is_empty() {
        return Err(Rejection::NoChange);
    }
    Ok(vec![Event::BankMatched {
        matches,
        auto: true,
        by: cmd.operator.clone(),
    }])
}

pub fn match_line(
    state: &State,
    cmd: &Command,
    id: &str,
    items: &[Code],
    tolerance: Option<Decimal>,
) -> D {
    let line = open_line(state, id)?;
    let tolerance = tolerance_of(tolerance, state, &line.entity)?;
    if items.is_empty() {
        return Err(Rejection::BankMatch {
            line: id.to_string(),
            problem: "names no book item (post_bank_line posts what the books lack)".into(),
        });
    }
    validate::count("items", items.len(), STATEMENT_LINES_MAX)?;
    let mut seen = BTreeSet::new();
    let mut sum = Decimal::ZERO;
    for i in items {
        let it = state.book_items.get(i).ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::BookItem,
            key: i.to_string(),
        })?;
        if !seen.insert(i) {
            return Err(Rejection::Duplicate {
                field: "items".into(),
                value: i.to_string(),
            });
        }
        if let Some(by) = &it.cleared_by {
            return Err(Rejection::BankMatch {
                line: id.to_string(),
                problem: format!("{i} was cleared already by {by}"),
            });
        }
        if it.entity != line.entity || it.account != line.account {
            return Err(Rejection::BankMatch {
                line: id.to_string(),
                problem: format!(
                    "{i} is on {}/{}, the line on {}/{}",
                    it.entity, it.account, line.entity, line.account
                ),
            });
        }
        sum += it.amount;
    }
    let diff = line.amount - sum;
    if diff.abs() > tolerance {
        return Err(Rejection::BankMatch {
            line: id.to_string(),
            problem: format!(
                "is {} but the items come to {sum}: a difference of {diff} is beyond the tolerance of {tolerance}",
                line.amount
            ),
        });
    }
    let journal = if diff.is_zero() {
        None
    } else {
        Some(write_off_journal(
            state,
            line,
            diff,
            cmd.entity_date(state, &line.entity),
        )?)
    };
    Ok(vec![Event::BankMatched {
        matches: vec![BankMatch {
            line: id.to_code(),
            items: items.to_vec(),
            write_off: diff,
            journal,
        }],
        auto: false,
        by: cmd.operator.clone(),
    }])
}

pub fn post_line(state: &State, cmd: &Command, id: &str, account: &str, memo: &str) -> D {
    let line = open_line(state, id)?;
    validate::text("memo", memo, true)?;
    super::ledger::postable(state, &line.entity, account)?;
    if account == line.account {
        // The bank account against itself would explain nothing.
        return Err(Rejection::ControlAccount {
            account: account.to_string(),
        });
    }
    let date = posting_date(state, line, cmd.entity_date(state, &line.entity));
    let journal = Posting::new(state, &line.entity, date, &line.id, memo)
        .to_account(PostingKey::Bank, &line.account, line.amount, None)
        .to_account(PostingKey::Manual, account, -line.amount, None)
        .build()?;
    Ok(vec![Event::BankLinePosted {
        line: id.to_code(),
        journal,
        by: cmd.operator.clone(),
    }])
}

/// Mark the bank reconciliation of `period` done: every statement line
/// dated by its end explained. The event carries the figures agreed on as
/// of the period's end (book balance, what the bank had not shown yet,
/// the statement balance they imply).
pub fn mark_reconciled(state: &State, cmd: &Command, entity: &str, period: &str) -> D {
    let p = super::ledger::find_period(state, entity, period)?;
    let account = bank_account(state, entity)
        .ok_or(Rejection::PostingRuleMissing {
            entity: entity.to_string(),
            key: PostingKey::Bank,
        })?
        .clone();
    let end = p.end;
    let open = state
        .index
        .unmatched_bank_lines
        .iter()
        .filter_map(|id| state.bank_lines.get(id))
        .filter(|l| l.entity == entity && l.date <= end)
        .count() as u64;
    if open > 0 {
        return Err(Rejection::BankUnreconciled {
            entity: entity.to_string(),
            period: period.to_string(),
            lines: open,
        });
    }
    if state
        .bank_reconciled
        .contains_key(&(entity.to_code(), period.to_code()))
    {
        return Err(Rejection::NoChange);
    }
    if let Some(through) = state
        .bank_archived_through
        .get(&entity.to_code())
        .filter(|t| end <= **t)
    {
        return Err(Rejection::BankArchivedThrough {
            entity: entity.to_string(),
            period: period.to_string(),
            through: *through,
        });
    }
    let line_date = |id: &str| state.bank_lines.get(&id.to_code()).map(|l| l.date);
    // Outstanding at the end: in the books by then, not cleared by a line
    // dated by then.
    let outstanding: Decimal = state
        .book_items
        .values()
        .filter(|it| it.entity == entity && it.account == account && it.date <= end)
        .filter(|it| {
            it.cleared_by
                .as_deref()
                .and_then(line_date)
                .is_none_or(|d| d > end)
        })
        .map(|it| it.amount)
        .sum();
    // On the statement by the end, in the books only after it.
    let early: Decimal = state
        .bank_lines
        .values()
        .filter(|l| l.entity == entity && l.date <= end)
        .filter_map(|l| match &l.cleared {
            Some(Cleared::Matched { items, .. }) => Some(
                items
                    .iter()
                    .filter_map(|i| state.book_items.get(i))
                    .filter(|it| it.date > end)
                    .map(|it| it.amount)
                    .sum::<Decimal>(),
            ),
            _ => None,
        })
        .sum();
    let book = state
        .balances_as_of(entity, end)
        .get(&account)
        .copied()
        .unwrap_or_default();
    Ok(vec![Event::BankReconciled {
        entity: entity.to_code(),
        period: period.to_code(),
        account,
        book,
        outstanding,
        statement: book - outstanding + early,
        by: cmd.operator.clone(),
    }])
}

/// After a journal entry was applied: if it moved the entity's bank
/// account, the books have a new uncleared item.
pub fn track(state: &mut State, j: &JournalEntry) {
    let Some(account) = bank_account(state, &j.entity).cloned() else {
        return;
    };
    let amount: Decimal = j
        .lines
        .iter()
        .filter(|l| l.account == account)
        .map(|l| l.debit - l.credit)
        .sum();
    if amount.is_zero() {
        return;
    }
    state.next_book_item += 1;
    // One code, copied: a `Code` this short is held inline.
    let id: Code = Code::numbered("BK", state.next_book_item);
    state
        .index
        .uncleared_book_items
        .entry(j.entity.clone())
        .or_default()
        .insert(id.clone());
    state.book_items.insert(
        id.clone(),
        BookItem {
            id,
            entity: j.entity.clone(),
            account,
            date: j.date,
            amount,
            doc: j.doc.clone(),
            memo: j.memo.clone(),
            cleared_by: None,
        },
    );
}

/// Take back statement `statement` of `entity` (imported by mistake):
/// every line of it must still be open (not matched, not posted) and
/// none archived with a reconciled period, so that nothing the books or
/// the archive hold points at it.
pub fn void_statement(
    state: &State,
    cmd: &Command,
    entity: &str,
    statement: &str,
    reason: &str,
) -> D {
    validate::text("reason", reason, true)?;
    let key = (entity.to_code(), statement.to_string());
    if !state.bank_statements.contains(&key) {
        return Err(Rejection::NotFound {
            kind: RecordKind::BankStatement,
            key: format!("{entity}/{statement}"),
        });
    }
    let lines: Vec<&BankLine> = state
        .bank_lines
        .values()
        .filter(|l| l.entity == entity && l.statement == statement)
        .collect();
    let archived = state.bank_archived_through.get(&entity.to_code());
    let Some(first) = lines.first() else {
        return Err(Rejection::BankMatch {
            line: statement.to_string(),
            problem: "its lines are archived with a reconciled period: it stays".into(),
        });
    };
    for l in &lines {
        let why = match (&l.cleared, archived) {
            (Some(Cleared::Matched { items, .. }), _) => {
                format!("is matched to {}", items.joined(", "))
            }
            (Some(Cleared::Posted { account }), _) => {
                format!("is posted to {account}")
            }
            // A line of a reconciled period may have had archived
            // neighbours on the same statement.
            (None, Some(through)) if l.date <= *through => format!(
                "is dated {} in the archived periods (through {through})",
                l.date
            ),
            (None, _) => continue,
        };
        return Err(Rejection::BankMatch {
            line: l.id.to_string(),
            problem: format!("{why}, so statement {statement} stays"),
        });
    }
    Ok(vec![Event::BankStatementVoided {
        entity: first.entity.clone(),
        statement: statement.to_string(),
        lines: lines.iter().map(|l| l.id.clone()).collect(),
        reason: reason.trim().to_string(),
        by: cmd.operator.clone(),
    }])
}

/// A statement taken back: its lines leave, its number is free again.
pub fn apply_voided(state: &mut State, entity: &Code, statement: &str, lines: &[Code]) {
    state
        .bank_statements
        .remove(&(entity.clone(), statement.to_string()));
    for id in lines {
        state.bank_lines.remove(id);
        state.index.unmatched_bank_lines.remove(id);
    }
}

/// A statement imported: its lines are open until matched or posted.
pub fn apply_imported(state: &mut State, entity: &Code, statement: &str, lines: &[BankLine]) {
    state
        .bank_statements
        .insert((entity.clone(), statement.into()));
    for l in lines {
        state.next_bank_line += 1;
        state.index.unmatched_bank_lines.insert(l.id.clone());
        state.bank_lines.insert(l.id.clone(), l.clone());
    }
}

/// Lines matched to book items (with a write-off journal where the
/// amounts differ within tolerance).
pub fn apply_matched(state: &mut State, matches: &[BankMatch], auto: bool) {
    for m in matches {
        if let Some(j) = &m.journal {
            // The write-off is part of the match: not a new item.
            super::apply::apply_journal_untracked(state, j);
        }
        let mut entity = None;
        if let Some(l) = state.bank_lines.get_mut(&m.line) {
            l.cleared = Some(Cleared::Matched {
                items: m.items.clone(),
                write_off: m.write_off,
                auto,
            });
            entity = Some(l.entity.clone());
        }
        state.index.unmatched_bank_lines.remove(&m.line);
        for i in &m.items {
            if let Some(it) = state.book_items.get_mut(i) {
                it.cleared_by = Some(m.line.clone());
            }
            if let Some(e) = &entity {
                super::state::Indexes::remove(&mut state.index.uncleared_book_items, e, i);
            }
        }
    }
}

/// A line posted to an account of its own (a fee, interest).
pub fn apply_posted(state: &mut State, line: &Code, journal: &JournalEntry) {
    super::apply::apply_journal_untracked(state, journal);
    if let Some(l) = state.bank_lines.get_mut(line) {
        let account = journal
            .lines
            .iter()
            .find(|x| x.account != l.account)
            .map(|x| x.account.clone())
            .unwrap_or_default();
        l.cleared = Some(Cleared::Posted { account });
    }
    state.index.unmatched_bank_lines.remove(line);
}

/// A period's reconciliation marked done, and by whom.
pub fn apply_reconciled(state: &mut State, entity: &Code, period: &Code, by: &Code) {
    state
        .bank_reconciled
        .insert((entity.clone(), period.clone()), by.clone());
}
