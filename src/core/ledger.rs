//! Financial control: the period calendar (close, lock, reopen), the close
//! checklist, manual journal entries and their reversal, and the period-end
//! revaluation of open foreign-currency receivables and payables and of an
//! intercompany due-to owed in a foreign currency.
//!
//! Periods close in order: closing a period closes every open one before
//! it, reopening one reopens every closed one after it, so the closed
//! periods of an entity are always a prefix of its calendar. A locked
//! period never reopens. Reopening is a change request: somebody other
//! than who asked approves it.

use super::command::Command;
use super::event::{Change, Event};
use super::master::{Control, Period, PeriodStatus, PostingKey, RecordKind};
use super::posting::{JournalEntry, Posting};
use super::rejection::Rejection;
use super::sales::fx_rate;
use super::state::State;
use super::types::{Code, Currency};
use super::validate;
use crate::core::types::ToCode;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

type D = Result<Vec<Event>, Rejection>;

/// Lines of a manual journal entry, at most.
pub const MANUAL_LINES_MAX: usize = 200;

/// One line of a manual journal entry as typed: an account and either a
/// debit or a credit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualLine {
    pub account: Code,
    #[serde(default)]
    pub debit: Decimal,
    #[serde(default)]
    pub credit: Decimal,
}

/// A manual journal entry kept in the state, so that it can be reversed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualJournal {
    pub number: Code,
    pub journal: JournalEntry,
    pub posted_by: Code,
    /// The entry this one reverses.
    pub reverses: Option<Code>,
    /// The entry that reversed this one.
    pub reversed_by: Option<Code>,
}

/// One open item revalued at a period end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevaluedItem {
    /// Customer invoice or supplier invoice number.
    pub document: Code,
    /// Customer or supplier.
    pub party: Code,
    pub control: Control,
    pub currency: Currency,
    /// Open in the document's currency.
    pub open: Decimal,
    pub rate: Decimal,
    /// Carried in the base currency before, and what it is worth now.
    pub carried: Decimal,
    pub revalued: Decimal,
}

/// The periods of an entity in calendar order.
fn calendar<'a>(state: &'a State, entity: &str) -> Vec<&'a Period> {
    state
        .periods
        .range((entity.to_code(), NaiveDate::MIN)..)
        .take_while(|((e, _), _)| e == entity)
        .map(|(_, p)| p)
        .collect()
}

pub(crate) fn find_period<'a>(
    state: &'a State,
    entity: &str,
    period: &str,
) -> Result<&'a Period, Rejection> {
    if !state.entities.contains_key(&entity.to_code()) {
        return Err(Rejection::NotFound {
            kind: RecordKind::Entity,
            key: entity.to_string(),
        });
    }
    calendar(state, entity)
        .into_iter()
        .find(|p| p.code == period)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Period,
            key: format!("{entity}/{period}"),
        })
}

fn period_state(entity: &str, period: &str, problem: impl Into<String>) -> Rejection {
    Rejection::PeriodState {
        entity: entity.to_string(),
        period: period.to_string(),
        problem: problem.into(),
    }
}

/// One line of the close checklist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CloseItem {
    /// Stable name: `shipments_not_invoiced`, `ar_subledger`...
    pub check: &'static str,
    /// A blocking item keeps the period from closing while it is open.
    pub blocking: bool,
    /// Documents (or differences) found; zero when the check passes.
    pub count: u64,
    /// Their value in the base currency.
    pub amount: Decimal,
    pub detail: String,
}

impl CloseItem {
    pub fn is_open(&self) -> bool {
        self.count > 0
    }
}

/// The close checklist of an entity for the period ending `end`.
pub fn checklist(state: &State, entity: &str, end: NaiveDate) -> Vec<CloseItem> {
    let mut items = Vec::new();
    let item = |check, blocking, count: u64, amount, detail: String| CloseItem {
        check,
        blocking,
        count,
        amount,
        detail,
    };

    // Shipped by the period end but not invoiced: cost is in the period,
    // revenue is not.
    let (mut n, mut v, mut first) = (0u64, Decimal::ZERO, None::<Code>);
    for numbers in state.index.uninvoiced.values() {
        for s in numbers.iter().filter_map(|x| state.shipments.get(x)) {
            if s.entity == entity && s.date <= end {
                n += 1;
                v += s.lines.iter().map(|l| l.cost).sum::<Decimal>();
                first.get_or_insert_with(|| s.number.clone());
            }
        }
    }
    items.push(item(
        "shipments_not_invoiced",
        true,
        n,
        v,
        match first {
            Some(f) => format!("{n} shipment(s) at cost, first {f}: invoice them"),
            None => "every shipment is invoiced".into(),
        },
    ));

    // Goods received, not yet invoiced by the supplier (accrued as GRNI).
    let (mut n, mut v) = (0u64, Decimal::ZERO);
    for po in state
        .purchase_orders
        .values()
        .filter(|p| p.entity == entity)
    {
        for l in &po.lines {
            let open = l.received_value - l.relieved;
            if !open.is_zero() {
                n += 1;
                v += open;
            }
        }
    }
    items.push(item(
        "receipts_not_invoiced",
        false,
        n,
        v,
        format!("{n} PO line(s) accrued in GRNI: see `depot report grni`"),
    ));

    // Cash received and not applied to invoices, at what the unapplied-cash
    // account carries for it (the base currency, whatever the customer's).
    let (mut n, mut v) = (0u64, Decimal::ZERO);
    for ((e, customer), amount) in &state.unapplied {
        if e == entity && !amount.is_zero() {
            n += 1;
            v += state
                .unapplied_base
                .get(&(e.clone(), customer.clone()))
                .copied()
                .unwrap_or_default();
        }
    }
    items.push(item(
        "unapplied_cash",
        false,
        n,
        v,
        format!("{n} customer(s) with unapplied cash"),
    ));

    // Short payments and disputes.
    let (mut n, mut v) = (0u64, Decimal::ZERO);
    for numbers in state.index.open_invoices.values() {
        for inv in numbers.iter().filter_map(|x| state.invoices.get(x)) {
            if inv.entity == entity && !inv.disputed.is_zero() {
                n += 1;
                v += inv.disputed;
            }
        }
    }
    items.push(item(
        "open_disputes",
        false,
        n,
        v,
        format!("{n} invoice(s) with a disputed amount"),
    ));

    // Supplier invoices held by a failed three-way match.
    let (mut n, mut v) = (0u64, Decimal::ZERO);
    for si in state.supplier_invoices.values() {
        if si.entity == entity && si.status == super::purchasing::ApStatus::Held {
            n += 1;
            v += si.base_total;
        }
    }
    items.push(item(
        "supplier_invoices_held",
        false,
        n,
        v,
        format!("{n} supplier invoice(s) held by the three-way match"),
    ));

    // Subledgers against their control accounts, both from entries dated
    // up to the period end (by posting date).
    let as_of = state.balances_as_of(entity, end);
    for (check, control) in [
        ("ar_subledger", Control::Receivables),
        ("ap_subledger", Control::Payables),
        ("inventory_subledger", Control::Inventory),
    ] {
        let gl: Decimal = state
            .accounts
            .iter()
            .filter(|((e, _), a)| e == entity && a.control == Some(control))
            .map(|((_, code), _)| as_of.get(code).copied().unwrap_or_default())
            .sum();
        let sub = state.subledger_total_as_of(entity, control, end);
        let diff = gl - sub;
        items.push(item(
            check,
            true,
            u64::from(!diff.is_zero()),
            diff,
            format!("control accounts {gl}, subledger {sub}"),
        ));
    }

    // Bank accounts reconciled: every statement line dated by the period
    // end explained. Uncleared book items (cheques not yet presented,
    // deposits in transit) are normal and only counted.
    let (mut n, mut v) = (0u64, Decimal::ZERO);
    for l in state
        .index
        .unmatched_bank_lines
        .iter()
        .filter_map(|id| state.bank_lines.get(id))
    {
        if l.entity == entity && l.date <= end {
            n += 1;
            v += l.amount;
        }
    }
    let (mut outstanding, mut ov) = (0u64, Decimal::ZERO);
    for it in state
        .index
        .uncleared_book_items
        .get(&entity.to_code())
        .into_iter()
        .flatten()
        .filter_map(|id| state.book_items.get(id))
    {
        if it.date <= end {
            outstanding += 1;
            ov += it.amount;
        }
    }
    let marked = state.period_of(entity, end).and_then(|p| {
        state
            .bank_reconciled
            .get(&(entity.to_code(), p.code.clone()))
    });
    items.push(item(
        "bank_reconciled",
        true,
        n,
        v,
        match marked {
            Some(by) => format!(
                "{n} statement line(s) unmatched; {outstanding} book item(s) outstanding ({ov}); reconciliation marked done by {by}"
            ),
            None => format!(
                "{n} statement line(s) unmatched; {outstanding} book item(s) outstanding ({ov}): see `depot report bank-rec`"
            ),
        },
    ));

    // Foreign-currency open items revalued at the period end.
    // A due-to owed in a foreign currency is revalued with them.
    let foreign = open_foreign_items(state, entity, end).count() as u64
        + u64::from(matches!(
            intercompany_due_to(state, entity, end),
            Ok(Some(_))
        ));
    let period = state.period_of(entity, end).map(|p| p.code.clone());
    let done = period
        .as_ref()
        .is_some_and(|p| state.revaluations.contains(&(entity.to_code(), p.clone())));
    items.push(item(
        "fx_revaluation",
        true,
        if done { 0 } else { foreign },
        Decimal::ZERO,
        if foreign == 0 {
            "no open item in a foreign currency".into()
        } else if done {
            format!("{foreign} foreign-currency open item(s), revalued")
        } else {
            format!("{foreign} foreign-currency open item(s) not revalued: revalue_fx")
        },
    ));
    items
}

/// Open AR and AP items of an entity in a currency other than its base,
/// dated on or before `end`: (document, party, control, currency, open,
/// carried in base).
fn open_foreign_items<'a>(
    state: &'a State,
    entity: &'a str,
    end: NaiveDate,
) -> impl Iterator<Item = (Code, Code, Control, Currency, Decimal, Decimal)> + 'a {
    let base = state
        .entities
        .get(&entity.to_code())
        .map(|e| e.base_currency.clone());
    let ar = state
        .index
        .open_invoices
        .values()
        .flatten()
        .filter_map(|n| state.invoices.get(n))
        .filter(move |i| i.entity == entity && Some(&i.currency) != base.as_ref())
        .filter(move |i| !i.open.is_zero() && i.date <= end)
        .map(|i| {
            (
                i.number.clone(),
                i.customer.clone(),
                Control::Receivables,
                i.currency.clone(),
                i.open,
                i.base_open,
            )
        });
    let base = state
        .entities
        .get(&entity.to_code())
        .map(|e| e.base_currency.clone());
    let ap = state
        .index
        .open_supplier_invoices
        .values()
        .flatten()
        .filter_map(|n| state.supplier_invoices.get(n))
        .filter(move |i| i.entity == entity && Some(&i.currency) != base.as_ref())
        .filter(move |i| i.date <= end)
        .map(|i| {
            (
                i.number.clone(),
                i.supplier.clone(),
                Control::Payables,
                i.currency.clone(),
                i.open,
                i.base_open,
            )
        });
    ar.chain(ap)
}

/// Close every open period of `entity` up to and including `period`,
/// unless the checklist of `period` has a blocking item open.
pub fn close(state: &State, cmd: &Command, entity: &str, period: &str) -> D {
    let target = find_period(state, entity, period)?;
    if target.status != PeriodStatus::Open {
        return Err(period_state(
            entity,
            period,
            format!("is {} already", status_word(target.status)),
        ));
    }
    let mut blocking: Vec<String> = Vec::new();
    // A period still running takes the rest of its days' sales, receipts
    // and payments: closed early, every posting into it is refused until
    // a reopen is approved (a counter sale on the 7th could not post).
    let today = super::zone::entity_date(state, entity, cmd.time);
    if target.end >= today {
        blocking.push(format!(
            "not_ended: it runs to {} and today is {today}: close it once it has ended",
            target.end
        ));
    }
    blocking.extend(
        checklist(state, entity, target.end)
            .into_iter()
            .filter(|i| i.blocking && i.is_open())
            .map(|i| format!("{}: {}", i.check, i.detail)),
    );
    if !blocking.is_empty() {
        return Err(Rejection::CloseBlocked {
            entity: entity.to_string(),
            period: period.to_string(),
            items: blocking.join("; "),
        });
    }
    let periods: Vec<Code> = calendar(state, entity)
        .into_iter()
        .filter(|p| p.start <= target.start && p.status == PeriodStatus::Open)
        .map(|p| p.code.clone())
        .collect();
    Ok(vec![Event::PeriodsClosed {
        entity: entity.to_code(),
        periods,
        by: cmd.operator.clone(),
    }])
}

/// Lock every closed period up to and including `period` (which must be
/// closed): a locked period is never reopened.
pub fn lock(state: &State, cmd: &Command, entity: &str, period: &str) -> D {
    let target = find_period(state, entity, period)?;
    if target.status != PeriodStatus::Closed {
        return Err(period_state(
            entity,
            period,
            format!(
                "is {}: only a closed period can be locked",
                status_word(target.status)
            ),
        ));
    }
    let periods: Vec<Code> = calendar(state, entity)
        .into_iter()
        .filter(|p| p.start <= target.start && p.status == PeriodStatus::Closed)
        .map(|p| p.code.clone())
        .collect();
    Ok(vec![Event::PeriodsLocked {
        entity: entity.to_code(),
        periods,
        by: cmd.operator.clone(),
    }])
}

/// Ask to reopen a closed period; approval by somebody else reopens it and
/// every closed period after it.
pub fn request_reopen(state: &State, cmd: &Command, entity: &str, period: &str, reason: &str) -> D {
    validate::text("reason", reason, true)?;
    reopenable(state, entity, period)?;
    let change = Change::ReopenPeriod {
        entity: entity.to_code(),
        period: period.to_code(),
        reason: reason.to_string(),
    };
    super::decide::request_change(state, cmd, change, vec!["status".into()])
}

/// The periods a reopen of `period` reopens, or why it cannot.
pub fn reopenable(state: &State, entity: &str, period: &str) -> Result<Vec<Code>, Rejection> {
    let target = find_period(state, entity, period)?;
    match target.status {
        PeriodStatus::Open => Err(period_state(entity, period, "is open already")),
        PeriodStatus::Locked => Err(period_state(entity, period, "is locked: it never reopens")),
        PeriodStatus::Closed => Ok(calendar(state, entity)
            .into_iter()
            .filter(|p| p.start >= target.start && p.status == PeriodStatus::Closed)
            .map(|p| p.code.clone())
            .collect()),
    }
}

fn status_word(s: PeriodStatus) -> &'static str {
    match s {
        PeriodStatus::Open => "open",
        PeriodStatus::Closed => "closed",
        PeriodStatus::Locked => "locked",
    }
}

/// An account a person may post to by hand: it exists, and it is neither
/// a control account nor one that open documents must equal (GRNI,
/// unapplied cash, in transit).
pub fn postable(state: &State, entity: &str, account: &str) -> Result<(), Rejection> {
    let a = state
        .accounts
        .get(&(entity.to_code(), account.to_code()))
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Account,
            key: format!("{entity}/{account}"),
        })?;
    let tied = state
        .posting_rules
        .iter()
        .any(|((e, k), x)| e == entity && x == account && k.document_tied());
    if a.control.is_some() || tied {
        return Err(Rejection::ControlAccount {
            account: account.to_string(),
        });
    }
    Ok(())
}

pub fn post_manual(
    state: &State,
    cmd: &Command,
    entity: &str,
    date: Option<NaiveDate>,
    memo: &str,
    lines: &[ManualLine],
) -> D {
    validate::text("memo", memo, true)?;
    validate::count("lines", lines.len(), MANUAL_LINES_MAX)?;
    let e = state
        .entities
        .get(&entity.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Entity,
            key: entity.to_string(),
        })?;
    let date = date.unwrap_or_else(|| cmd.entity_date(state, entity));
    let number = format!("JE-{:06}", state.next_journal.max(1));
    let mut p = Posting::new(state, entity, date, &number, memo);
    for (i, l) in lines.iter().enumerate() {
        let field = |f: &str| format!("lines[{i}].{f}");
        postable(state, entity, &l.account)?;
        validate::amount(&field("debit"), l.debit, &e.base_currency)?;
        validate::amount(&field("credit"), l.credit, &e.base_currency)?;
        if l.debit.is_zero() == l.credit.is_zero() {
            return Err(Rejection::InvalidText {
                field: format!("lines[{i}]"),
                problem: "needs either a debit or a credit, not both".into(),
            });
        }
        p = p.to_account(PostingKey::Manual, &l.account, l.debit - l.credit, None);
    }
    let journal = p.build()?;
    if journal.lines.len() < 2 {
        return Err(Rejection::InvalidText {
            field: "lines".into(),
            problem: "a journal entry needs at least two lines".into(),
        });
    }
    Ok(vec![Event::JournalPosted {
        number: number.into(),
        journal,
        by: cmd.operator.clone(),
        reverses: None,
    }])
}

/// Reverse a manual journal entry: the same lines, sides swapped, dated in
/// an open period (the command's day unless given).
pub fn reverse_manual(state: &State, cmd: &Command, number: &str, date: Option<NaiveDate>) -> D {
    let original = state
        .manual_journals
        .get(&number.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::JournalEntry,
            key: number.to_string(),
        })?;
    if let Some(by) = &original.reversed_by {
        return Err(Rejection::InvalidText {
            field: "entry".into(),
            problem: format!("{number} was reversed already by {by}"),
        });
    }
    if original.reverses.is_some() {
        return Err(Rejection::InvalidText {
            field: "entry".into(),
            problem: format!("{number} is itself a reversal"),
        });
    }
    let j = &original.journal;
    let new = format!("JE-{:06}", state.next_journal.max(1));
    let date = date.unwrap_or_else(|| cmd.entity_date(state, &j.entity));
    let memo = format!("reversal of {number}: {}", j.memo);
    let mut p = Posting::new(state, &j.entity, date, &new, &memo);
    for l in &j.lines {
        p = p.to_account(l.key, &l.account, l.credit - l.debit, l.sub.as_deref());
    }
    Ok(vec![Event::JournalPosted {
        number: new.into(),
        journal: p.build()?,
        by: cmd.operator.clone(),
        reverses: Some(number.to_code()),
    }])
}

/// Revalue the open foreign-currency AR and AP of `entity` at the rate of
/// the last day of `period` (the latest rate on or before it): the
/// difference to what each item is carried at goes to unrealised FX gain
/// or loss, dated the period end, and is reversed on the first day of the
/// next period, so that realised FX at payment is still measured from the
/// document's own rate.
pub fn revalue(state: &State, cmd: &Command, entity: &str, period: &str) -> D {
    let target = find_period(state, entity, period)?;
    if cmd.entity_date(state, entity) < target.end {
        return Err(period_state(
            entity,
            period,
            format!("has not ended: it is revalued on or after {}", target.end),
        ));
    }
    if state
        .revaluations
        .contains(&(entity.to_code(), period.to_code()))
    {
        return Err(period_state(entity, period, "was revalued already"));
    }
    let next = calendar(state, entity)
        .into_iter()
        .find(|p| p.start > target.end)
        .ok_or_else(|| Rejection::NoPeriod {
            entity: entity.to_string(),
            date: target.end.succ_opt().unwrap_or(target.end),
        })?;
    let base = state
        .entities
        .get(&entity.to_code())
        .map(|e| e.base_currency.clone())
        .unwrap_or_else(|| Currency::new("USD"));
    let mut items = Vec::new();
    for (document, party, control, currency, open, carried) in
        open_foreign_items(state, entity, target.end)
    {
        let rate =
            fx_rate(state, &currency, &base, target.end).ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::FxRate,
                key: format!("{currency}/{base} on or before {}", target.end),
            })?;
        let revalued = base.round(open * rate);
        items.push(RevaluedItem {
            document,
            party,
            control,
            currency,
            open,
            rate,
            carried,
            revalued,
        });
    }
    let intercompany = intercompany_due_to(state, entity, target.end)?;
    let doc = format!("REVAL-{entity}-{period}");
    let memo = format!("FX revaluation of open AR/AP at {}", target.end);
    let mut p = Posting::new(state, entity, target.end, &doc, &memo);
    let mut r = Posting::new(
        state,
        entity,
        next.start,
        &format!("{doc}-REV"),
        &format!("reversal of {memo}"),
    );
    let mut net = Decimal::ZERO;
    for it in &items {
        // A receivable worth more is a gain (Dr AR); a payable worth more
        // a loss (Cr AP): either way the control line is debited the gain.
        let (key, gain) = match it.control {
            Control::Receivables => (PostingKey::Receivables, it.revalued - it.carried),
            _ => (PostingKey::Payables, it.carried - it.revalued),
        };
        p = p.debit(key, gain, Some(&it.party));
        r = r.credit(key, gain, Some(&it.party));
        net += gain;
    }
    if let Some(ic) = &intercompany {
        // A liability (a credit balance) that grew is a loss: the due-to
        // line is debited what it moves by, the gain.
        let gain = ic.revalued - ic.carried;
        p = p.debit(PostingKey::IntercompanyDueTo, gain, None);
        r = r.credit(PostingKey::IntercompanyDueTo, gain, None);
        net += gain;
    }
    if net > Decimal::ZERO {
        p = p.credit(PostingKey::UnrealisedFxGain, net, None);
        r = r.debit(PostingKey::UnrealisedFxGain, net, None);
    } else if net < Decimal::ZERO {
        p = p.debit(PostingKey::UnrealisedFxLoss, -net, None);
        r = r.credit(PostingKey::UnrealisedFxLoss, -net, None);
    }
    let journal = p.build()?;
    let reversal = r.build()?;
    Ok(vec![Event::FxRevalued {
        entity: entity.to_code(),
        period: period.to_code(),
        items,
        journal,
        reversal,
    }])
}

/// An entity's intercompany due-to valued in the currency it is owed in.
pub struct IntercompanyBalance {
    /// The entity owed: the only other one whose due-from carries a
    /// balance.
    pub counterparty: Code,
    pub currency: Currency,
    /// What the counterparty's due-from carries, in its currency.
    pub owed: Decimal,
    pub rate: Decimal,
    /// The due-to's balance (debit minus credit, so negative) in the
    /// entity's base, and what it is worth at the rate.
    pub carried: Decimal,
    pub revalued: Decimal,
}

/// The due-to of `entity` at `end` when it is owed in a foreign currency.
/// An intercompany transfer is priced in the seller's currency, so the
/// buyer's due-to is a debt in that currency, carried in the buyer's base
/// at the day of the transfer; the seller's due-from carries it in its own
/// currency, which is what the debt is worth. It is revalued when exactly
/// one other entity carries a due-from balance (the pair is unambiguous)
/// and that entity's base is not this one's; with more creditors the
/// account does not say who is owed what, and it is left as carried.
pub fn intercompany_due_to(
    state: &State,
    entity: &str,
    end: NaiveDate,
) -> Result<Option<IntercompanyBalance>, Rejection> {
    let balance = |e: &str, key: PostingKey| -> Decimal {
        state
            .posting_rules
            .get(&(e.to_code(), key))
            .and_then(|a| state.balances_as_of(e, end).get(a).copied())
            .unwrap_or_default()
    };
    let carried = balance(entity, PostingKey::IntercompanyDueTo);
    if carried.is_zero() {
        return Ok(None);
    }
    let creditors: Vec<&Code> = state
        .entities
        .keys()
        .filter(|e| e.as_str() != entity)
        .filter(|e| !balance(e, PostingKey::IntercompanyDueFrom).is_zero())
        .collect();
    let [creditor] = creditors.as_slice() else {
        return Ok(None);
    };
    let base = super::purchasing::base_currency(state, entity)?;
    let currency = super::purchasing::base_currency(state, creditor)?;
    if currency == base {
        return Ok(None);
    }
    let owed = balance(creditor, PostingKey::IntercompanyDueFrom);
    let rate = super::purchasing::to_base(state, &currency, &base, end)?;
    Ok(Some(IntercompanyBalance {
        counterparty: (*creditor).clone(),
        currency,
        owed,
        rate,
        carried,
        revalued: -base.round(owed * rate),
    }))
}

/// Apply the ledger's own events.
pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::PeriodsClosed {
            entity, periods, ..
        } => set_status(state, entity, periods, PeriodStatus::Closed),
        Event::PeriodsLocked {
            entity, periods, ..
        } => set_status(state, entity, periods, PeriodStatus::Locked),
        Event::PeriodsReopened {
            entity, periods, ..
        } => set_status(state, entity, periods, PeriodStatus::Open),
        Event::JournalPosted {
            number,
            journal,
            by,
            reverses,
        } => {
            super::apply::apply_journal(state, journal);
            if let Some(orig) = reverses
                .as_ref()
                .and_then(|r| state.manual_journals.get_mut(r))
            {
                orig.reversed_by = Some(number.clone());
            }
            state.manual_journals.insert(
                number.clone(),
                ManualJournal {
                    number: number.clone(),
                    journal: journal.clone(),
                    posted_by: by.clone(),
                    reverses: reverses.clone(),
                    reversed_by: None,
                },
            );
            state.next_journal = state.next_journal.max(1) + 1;
        }
        Event::FxRevalued {
            entity,
            period,
            journal,
            reversal,
            ..
        } => {
            super::apply::apply_journal(state, journal);
            super::apply::apply_journal(state, reversal);
            state.revaluations.insert((entity.clone(), period.clone()));
        }
        _ => {}
    }
}

fn set_status(state: &mut State, entity: &str, periods: &[Code], status: PeriodStatus) {
    let keys: Vec<_> = state
        .periods
        .iter()
        .filter(|(_, p)| p.entity == entity && periods.contains(&p.code))
        .map(|(k, _)| k.clone())
        .collect();
    for k in keys {
        if let Some(p) = state.periods.get_mut(&k) {
            p.status = status;
        }
    }
}
