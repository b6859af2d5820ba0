//! Finance view-models shared by `depot report` and the finance views
//! screen, so that both give the same figures: an entity's trial balance
//! as of a day, the GL lines of an account (journal entries read from the
//! log: the state keeps balances, not history), a document's journal
//! entries, and the AR and AP open items as of a day with their aging.

use crate::core::apply::journals;
use crate::core::posting::JournalEntry;
use crate::core::types::ToCode;
use crate::core::types::{Code, Currency};
use crate::core::{Envelope, State};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One account of a trial balance: its balance on the debit or the
/// credit side (the other zero).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TbRow {
    pub account: Code,
    pub name: String,
    pub debit: Decimal,
    pub credit: Decimal,
}

impl TbRow {
    /// Debit minus credit.
    pub fn balance(&self) -> Decimal {
        self.debit - self.credit
    }
}

/// An entity's trial balance as of a day (by posting date).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrialBalance {
    pub entity: Code,
    pub currency: Currency,
    pub as_of: NaiveDate,
    /// Accounts with a balance, by code.
    pub rows: Vec<TbRow>,
    pub debit: Decimal,
    pub credit: Decimal,
}

/// The trial balance of `entity` from entries dated on or before `as_of`
/// (the ledger's day balances); None for an unknown entity.
pub fn trial_balance(s: &State, entity: &str, as_of: NaiveDate) -> Option<TrialBalance> {
    let e = s.entities.get(&entity.to_code())?;
    let mut tb = TrialBalance {
        entity: e.code.clone(),
        currency: e.base_currency.clone(),
        as_of,
        rows: Vec::new(),
        debit: Decimal::ZERO,
        credit: Decimal::ZERO,
    };
    for (account, b) in s.balances_as_of(entity, as_of) {
        if b.is_zero() {
            continue;
        }
        let (debit, credit) = if b > Decimal::ZERO {
            (b, Decimal::ZERO)
        } else {
            (Decimal::ZERO, -b)
        };
        tb.debit += debit;
        tb.credit += credit;
        let name = s
            .accounts
            .get(&(entity.to_code(), account.clone()))
            .map(|a| a.name.clone())
            .unwrap_or_default();
        tb.rows.push(TbRow {
            account,
            name,
            debit,
            credit,
        });
    }
    Some(tb)
}

/// A journal entry and the log record that posted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    pub seq: u64,
    pub entry: JournalEntry,
}

/// Where an entry stands in an account's GL: (posting date, log record,
/// index in `Journals::entries`).
type GlKey = (NaiveDate, u64, usize);

/// The journal entries of the log records read so far: the records
/// `from..=read_to`, a suffix of the log that a screen extends forward
/// with what is committed and backward, a chunk at a time, only as far as
/// what it shows needs (an account's newest lines need the newest days,
/// not the 2.6M records of a large store). `Journals::default()` starts at
/// the beginning of the log (`from` 0: nothing is older).
#[derive(Clone, Debug, Default)]
pub struct Journals {
    /// The last log record read.
    pub read_to: u64,
    /// The first log record read (`read_to + 1` when none): every record
    /// from it to `read_to` is indexed; 0 or 1: the whole log.
    pub from: u64,
    /// In the order read (not log order): indices stay valid when older
    /// records are added.
    pub entries: Vec<Posted>,
    /// (entity, account) -> (posting date, record, entry index) of the
    /// entries with a line on it: an account's lines in GL order, from
    /// either end.
    by_account: HashMap<(Code, Code), BTreeSet<GlKey>>,
    /// (entity, document) -> its entries.
    by_doc: HashMap<(Code, String), Vec<usize>>,
    /// (entity, posting date) -> entries read: equal to the ledger's
    /// `daily_entries`, every entry of that day has been read.
    seen: HashMap<(Code, NaiveDate), u64>,
    /// Log records read (what the drills cost).
    pub records_read: u64,
}

impl Journals {
    /// Nothing read yet of a log whose last record is `seq`.
    pub fn at(seq: u64) -> Journals {
        Journals {
            read_to: seq,
            from: seq + 1,
            ..Journals::default()
        }
    }

    /// Every record of the log has been read.
    pub fn whole_log(&self) -> bool {
        self.from <= 1
    }

    fn add(&mut self, env: &Envelope) {
        self.records_read += 1;
        for ev in env.events() {
            for j in journals(ev) {
                let at = self.entries.len();
                let mut accounts: Vec<&Code> = j.lines.iter().map(|l| &l.account).collect();
                accounts.sort();
                accounts.dedup();
                for a in accounts {
                    self.by_account
                        .entry((j.entity.clone(), a.clone()))
                        .or_default()
                        .insert((j.date, env.seq, at));
                }
                self.by_doc
                    .entry((j.entity.clone(), j.doc.clone()))
                    .or_default()
                    .push(at);
                *self.seen.entry((j.entity.clone(), j.date)).or_default() += 1;
                self.entries.push(Posted {
                    seq: env.seq,
                    entry: j.clone(),
                });
            }
        }
    }

    /// Add the journal entries of `records` (those after `read_to`, in
    /// order).
    pub fn extend(&mut self, records: &[Envelope]) {
        for env in records {
            if env.seq <= self.read_to {
                continue;
            }
            self.add(env);
            self.read_to = env.seq;
        }
    }

    /// Mark everything up to `seq` read (records the log did not give,
    /// e.g. a backend that keeps none, are not asked for again).
    pub fn read_through(&mut self, seq: u64) {
        self.read_to = self.read_to.max(seq);
    }

    /// The older records to read next, at most `chunk` of them (`from..=to`),
    /// None when the whole log is read.
    pub fn next_back(&self, chunk: u64) -> Option<(u64, u64)> {
        if self.whole_log() {
            return None;
        }
        let to = self.from - 1;
        Some((to.saturating_sub(chunk.max(1) - 1).max(1), to))
    }

    /// Add the records `from..` older than those read (the log's
    /// `from..=self.from - 1`, as `next_back` gave them): from now on
    /// `from` is the first record read, whether or not the log had them.
    pub fn extend_back(&mut self, records: &[Envelope], from: u64) {
        for env in records {
            if env.seq >= from && env.seq < self.from {
                self.add(env);
            }
        }
        self.from = self.from.min(from.max(1));
    }

    /// How many of the entries read have a line on `entity`'s `account`.
    pub fn account_entries(&self, entity: &str, account: &str) -> usize {
        self.by_account
            .get(&(entity.to_string().into(), account.to_string().into()))
            .map_or(0, BTreeSet::len)
    }

    /// The newest posting date up to `as_of` on which some journal entry
    /// of `entity` is not read yet (the ledger counts them per day); None
    /// when every entry of the entity dated up to `as_of` is read.
    pub fn unread_day(&self, s: &State, entity: &str, as_of: NaiveDate) -> Option<NaiveDate> {
        if self.whole_log() {
            return None;
        }
        s.ledger
            .daily_entries
            .range((entity.to_code(), NaiveDate::MIN)..=(entity.to_code(), as_of))
            .rev()
            .find(|((e, day), n)| {
                self.seen
                    .get(&(e.clone(), *day))
                    .is_none_or(|seen| seen < *n)
            })
            .map(|((_, day), _)| *day)
    }
}
/// One line of an account's general ledger, with the account's balance
/// after it (debit minus credit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlLine {
    pub seq: u64,
    pub date: NaiveDate,
    pub period: Code,
    pub doc: String,
    pub memo: String,
    pub debit: Decimal,
    pub credit: Decimal,
    pub balance: Decimal,
    /// The subledger party (customer, supplier or SKU), if any.
    pub sub: Option<Code>,
}

/// The lines of `account` in the entries `at` (GL order), the first one's
/// running balance starting from `opening`.
fn lines_of<'a>(
    j: &Journals,
    account: &str,
    at: impl Iterator<Item = &'a GlKey>,
    opening: Decimal,
) -> Vec<GlLine> {
    let mut balance = opening;
    let mut out = Vec::new();
    for p in at.filter_map(|(_, _, i)| j.entries.get(*i)) {
        let e = &p.entry;
        for l in e.lines.iter().filter(|l| l.account == account) {
            balance += l.debit - l.credit;
            out.push(GlLine {
                seq: p.seq,
                date: e.date,
                period: e.period.clone(),
                doc: e.doc.clone(),
                memo: e.memo.clone(),
                debit: l.debit,
                credit: l.credit,
                balance,
                sub: l.sub.clone(),
            });
        }
    }
    out
}

/// The read lines of `entity`'s `account` dated on or before `as_of`, by
/// posting date then log order, each with the running balance: with the
/// whole log read, the last one's balance is the account's trial balance
/// figure that day.
pub fn gl_lines(j: &Journals, entity: &str, account: &str, as_of: NaiveDate) -> Vec<GlLine> {
    let Some(at) = j
        .by_account
        .get(&(entity.to_string().into(), account.to_string().into()))
    else {
        return Vec::new();
    };
    lines_of(
        j,
        account,
        at.range(..=(as_of, u64::MAX, usize::MAX)),
        Decimal::ZERO,
    )
}

/// The ledger's balance of an account from the entries dated before
/// `day`, and whether any of them has a line on it.
pub fn balance_before(s: &State, entity: &str, account: &str, day: NaiveDate) -> (Decimal, bool) {
    let mut sum = Decimal::ZERO;
    let mut any = false;
    let lo = (entity.to_code(), NaiveDate::MIN, Code::default());
    let hi = (entity.to_code(), day, Code::default());
    for ((_, _, a), v) in s.ledger.daily.range(lo..hi) {
        if a == account {
            sum += *v;
            any = true;
        }
    }
    (sum, any)
}

/// The newest lines of an account as of a day (`gl_window`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GlWindow {
    /// GL order; the first one's balance runs from the ledger's balance
    /// of the days before it, so each is the account's balance after it.
    pub lines: Vec<GlLine>,
    /// The account has lines dated before the first one.
    pub earlier: bool,
    /// Fewer lines than asked and older log records hold more: read
    /// further back (`Journals::next_back`) and ask again.
    pub need_more: bool,
}

/// At least the `want` newest lines of `entity`'s `account` dated on or
/// before `as_of` (whole days: every line of the first day shown), from
/// the records read: only days whose every entry is read count, and the
/// running balance starts from the ledger's day balances, so nothing
/// older has to be read or summed.
pub fn gl_window(
    j: &Journals,
    s: &State,
    entity: &str,
    account: &str,
    as_of: NaiveDate,
    want: usize,
) -> GlWindow {
    let unread = j.unread_day(s, entity, as_of);
    let mut picked: Vec<&GlKey> = Vec::new();
    let mut count = 0;
    if let Some(at) = j
        .by_account
        .get(&(entity.to_string().into(), account.to_string().into()))
    {
        for k in at.range(..=(as_of, u64::MAX, usize::MAX)).rev() {
            if unread.is_some_and(|u| k.0 <= u) {
                break;
            }
            if count >= want && picked.last().is_some_and(|p| p.0 != k.0) {
                break;
            }
            count += j.entries.get(k.2).map_or(0, |p| {
                p.entry
                    .lines
                    .iter()
                    .filter(|l| l.account == account)
                    .count()
            });
            picked.push(k);
        }
    }
    picked.reverse();
    // The first day not known to be complete in the window.
    let first = match (picked.first(), unread) {
        (Some(p), _) => p.0,
        (None, Some(u)) => u.succ_opt().unwrap_or(u),
        (None, None) => as_of.succ_opt().unwrap_or(as_of),
    };
    let (opening, earlier) = balance_before(s, entity, account, first);
    let lines = lines_of(j, account, picked.into_iter(), opening);
    GlWindow {
        need_more: count < want && earlier && unread.is_some(),
        earlier,
        lines,
    }
}

/// The journal entries of `entity` posted for document `doc` in the
/// records read, in log order.
pub fn doc_entries<'j>(j: &'j Journals, entity: &str, doc: &str) -> Vec<&'j Posted> {
    let mut out: Vec<&Posted> = j
        .by_doc
        .get(&(entity.to_string().into(), doc.to_string()))
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|i| j.entries.get(*i))
        .collect();
    // Stable: the entries of one record stay in their order.
    out.sort_by_key(|p| p.seq);
    out
}

/// An open item (an invoice, or what a supplier owes back) as of a day,
/// in the document's currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenItem {
    pub entity: Code,
    /// Customer or supplier.
    pub party: Code,
    pub doc: Code,
    pub currency: Currency,
    pub date: NaiveDate,
    pub due: NaiveDate,
    pub open: Decimal,
}

/// A supplier's debit balance shows as an open item with this document.
pub const DEBIT_BALANCE: &str = "debit balance";

/// AR open items as the documents dated up to `as_of` left them:
/// invoices dated after it are not yet there, and what receipts and
/// credit memos dated after it took off an invoice is still open. By
/// invoice number.
pub fn ar_open_items(s: &State, entity: Option<&str>, as_of: NaiveDate) -> Vec<OpenItem> {
    ar_open_items_with(s, entity, as_of, None)
}

/// `ar_open_items`, with what the archive holds after `as_of`
/// (`core::archive::Later`): an archived invoice that a receipt dated
/// after `as_of` paid was open on that day. Without it, as of a day
/// before the latest archived receipt, such invoices are missing
/// (`State::archived_through` says when it is needed).
pub fn ar_open_items_with(
    s: &State,
    entity: Option<&str>,
    as_of: NaiveDate,
    archived: Option<&crate::core::archive::Later>,
) -> Vec<OpenItem> {
    // invoice -> what documents dated after `as_of` took off it.
    let mut later: BTreeMap<&str, Decimal> = BTreeMap::new();
    // A receipt the archive holds and the state still does is not archived
    // as of this state (a read that overlapped an archive run's publish).
    let archived_receipts = archived
        .into_iter()
        .flat_map(|l| &l.receipts)
        .filter(|r| !s.receipts.contains_key(&r.number));
    for r in s
        .receipts
        .values_any_order()
        .map(|r| &**r)
        .chain(archived_receipts)
        .filter(|r| r.date > as_of)
    {
        for a in &r.applications {
            *later.entry(a.invoice.as_str()).or_default() += a.amount + a.discount + a.write_off;
        }
    }
    for m in s.credit_memos.values().filter(|m| m.date > as_of) {
        *later.entry(m.invoice.as_str()).or_default() += m.to_invoice;
    }
    // A dispute written off later was still owed (disputed) as of then.
    for d in s.dispute_resolutions.values().filter(|d| d.date > as_of) {
        *later.entry(d.invoice.as_str()).or_default() += d.written_off;
    }
    let mut numbers: std::collections::BTreeSet<&str> = s
        .index
        .open_invoices
        .values()
        .flatten()
        .map(Code::as_str)
        .collect();
    numbers.extend(later.keys().copied());
    let paid: BTreeMap<&str, &crate::core::billing::Invoice> = archived
        .into_iter()
        .flat_map(|l| &l.paid)
        .map(|i| (i.number.as_str(), i))
        .collect();
    numbers
        .into_iter()
        .filter_map(|n| {
            s.invoices
                .get(&n.to_code())
                .map(|i| &**i)
                .or_else(|| paid.get(n).copied())
        })
        .filter(|i| entity.is_none_or(|e| e == i.entity) && i.date <= as_of)
        .map(|i| OpenItem {
            entity: i.entity.clone(),
            party: i.customer.clone(),
            doc: i.number.clone(),
            currency: i.currency.clone(),
            date: i.date,
            due: i.due,
            open: i.open + later.get(i.number.as_str()).copied().unwrap_or_default(),
        })
        .filter(|x| !x.open.is_zero())
        .collect()
}

/// AP open items as the documents dated up to `as_of` left them, by
/// supplier invoice number; then each supplier's debit balance (debit
/// notes less refunds dated up to `as_of`) as a negative item due that
/// day, so that the aging ties to the AP control account.
pub fn ap_open_items(s: &State, entity: Option<&str>, as_of: NaiveDate) -> Vec<OpenItem> {
    let mut later: BTreeMap<&str, Decimal> = BTreeMap::new();
    for p in s.supplier_payments.values().filter(|p| p.date > as_of) {
        for a in &p.applications {
            *later.entry(a.invoice.as_str()).or_default() += a.amount + a.discount;
        }
    }
    let mut numbers: std::collections::BTreeSet<&str> = s
        .index
        .open_supplier_invoices
        .values()
        .flatten()
        .map(Code::as_str)
        .collect();
    numbers.extend(later.keys().copied());
    let mut out: Vec<OpenItem> = numbers
        .into_iter()
        .filter_map(|n| s.supplier_invoices.get(&n.to_code()))
        .filter(|i| entity.is_none_or(|e| e == i.entity) && i.date <= as_of)
        .map(|i| OpenItem {
            entity: i.entity.clone(),
            party: i.supplier.clone(),
            doc: i.number.clone(),
            currency: i.currency.clone(),
            date: i.date,
            due: i.due,
            open: i.open + later.get(i.number.as_str()).copied().unwrap_or_default(),
        })
        .filter(|x| !x.open.is_zero())
        .collect();
    // (entity, supplier) -> (currency, debit balance).
    let mut debits: BTreeMap<(&str, &str), (&Currency, Decimal)> = BTreeMap::new();
    for n in s
        .supplier_debit_notes
        .values()
        .filter(|n| entity.is_none_or(|e| e == n.entity) && n.date <= as_of)
    {
        debits
            .entry((n.entity.as_str(), n.supplier.as_str()))
            .or_insert((&n.currency, Decimal::ZERO))
            .1 -= n.amount;
    }
    for r in s
        .supplier_refunds
        .values()
        .filter(|r| entity.is_none_or(|e| e == r.entity) && r.date <= as_of)
    {
        if let Some(d) = debits.get_mut(&(r.entity.as_str(), r.supplier.as_str())) {
            d.1 += r.amount;
        }
    }
    out.extend(debits.into_iter().filter(|(_, (_, v))| !v.is_zero()).map(
        |((e, sup), (cur, v))| OpenItem {
            entity: e.to_string().into(),
            party: sup.to_string().into(),
            doc: DEBIT_BALANCE.to_string().into(),
            currency: cur.clone(),
            date: as_of,
            due: as_of,
            open: v,
        },
    ));
    out
}

/// Days-past-due bucket (current, 1-30, 31-60, 61-90, 90+).
pub fn bucket_of(due: NaiveDate, today: NaiveDate) -> usize {
    match (today - due).num_days() {
        d if d <= 0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

/// The aging buckets' names.
pub const AGING_LABELS: [&str; 5] = ["current", "1-30", "31-60", "61-90", "90+"];

/// A party's line of an aging: its open items summed by bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgingRow {
    pub party: Code,
    /// The currency of its first item.
    pub currency: Currency,
    pub buckets: [Decimal; 5],
    /// How many open items.
    pub items: usize,
}

impl AgingRow {
    pub fn total(&self) -> Decimal {
        self.buckets.iter().copied().sum()
    }
}

/// The aging of open items as of `as_of`: a row per party, by code.
pub fn aging(items: &[OpenItem], as_of: NaiveDate) -> Vec<AgingRow> {
    let mut per: BTreeMap<&str, AgingRow> = BTreeMap::new();
    for i in items {
        let row = per.entry(i.party.as_str()).or_insert_with(|| AgingRow {
            party: i.party.clone(),
            currency: i.currency.clone(),
            buckets: [Decimal::ZERO; 5],
            items: 0,
        });
        row.buckets[bucket_of(i.due, as_of)] += i.open;
        row.items += 1;
    }
    per.into_values().collect()
}
