//! Finance view-models shared by `depot report` and the finance views
//! screen, so that both give the same figures: an entity's trial balance
//! as of a day, the GL lines of an account (journal entries read from the
//! log: the state keeps balances, not history), a document's journal
//! entries, and the AR and AP open items as of a day with their aging.

use crate::core::apply::journals;
use crate::core::posting::JournalEntry;
use crate::core::types::{Code, Currency};
use crate::core::{Envelope, State};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

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
    let e = s.entities.get(entity)?;
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
            .get(&(entity.to_string(), account.clone()))
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

/// The journal entries of the log, read once and then only what is new:
/// a screen keeps one and extends it with the records after `read_to`.
#[derive(Clone, Debug, Default)]
pub struct Journals {
    /// The last log record read.
    pub read_to: u64,
    pub entries: Vec<Posted>,
    /// (entity, account) -> the entries with a line on it, in log order:
    /// an account's GL drill reads its own entries, not the whole log.
    by_account: HashMap<(Code, Code), Vec<usize>>,
    /// (entity, document) -> its entries, in log order.
    by_doc: HashMap<(Code, String), Vec<usize>>,
}

impl Journals {
    /// Add the journal entries of `records` (those after `read_to`, in
    /// order).
    pub fn extend(&mut self, records: &[Envelope]) {
        for env in records {
            if env.seq <= self.read_to {
                continue;
            }
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
                            .push(at);
                    }
                    self.by_doc
                        .entry((j.entity.clone(), j.doc.clone()))
                        .or_default()
                        .push(at);
                    self.entries.push(Posted {
                        seq: env.seq,
                        entry: j.clone(),
                    });
                }
            }
            self.read_to = env.seq;
        }
    }

    /// Mark everything up to `seq` read (records the log did not give,
    /// e.g. a backend that keeps none, are not asked for again).
    pub fn read_through(&mut self, seq: u64) {
        self.read_to = self.read_to.max(seq);
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

/// The lines of `entity`'s `account` dated on or before `as_of`, by
/// posting date then log order, each with the running balance: the last
/// one's balance is the account's trial balance figure that day.
pub fn gl_lines(j: &Journals, entity: &str, account: &str, as_of: NaiveDate) -> Vec<GlLine> {
    let mut out: Vec<GlLine> = Vec::new();
    let at = j
        .by_account
        .get(&(entity.to_string(), account.to_string()))
        .map(Vec::as_slice)
        .unwrap_or_default();
    for p in at.iter().filter_map(|i| j.entries.get(*i)) {
        let e = &p.entry;
        if e.date > as_of {
            continue;
        }
        for l in e.lines.iter().filter(|l| l.account == account) {
            out.push(GlLine {
                seq: p.seq,
                date: e.date,
                period: e.period.clone(),
                doc: e.doc.clone(),
                memo: e.memo.clone(),
                debit: l.debit,
                credit: l.credit,
                balance: Decimal::ZERO,
                sub: l.sub.clone(),
            });
        }
    }
    // Stable: lines of one day stay in log order.
    out.sort_by_key(|l| l.date);
    let mut balance = Decimal::ZERO;
    for l in &mut out {
        balance += l.debit - l.credit;
        l.balance = balance;
    }
    out
}

/// The journal entries of `entity` posted for document `doc`, in log order.
pub fn doc_entries<'j>(j: &'j Journals, entity: &str, doc: &str) -> Vec<&'j Posted> {
    j.by_doc
        .get(&(entity.to_string(), doc.to_string()))
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|i| j.entries.get(*i))
        .collect()
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
    // invoice -> what documents dated after `as_of` took off it.
    let mut later: BTreeMap<&str, Decimal> = BTreeMap::new();
    for r in s.receipts.values().filter(|r| r.date > as_of) {
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
        .map(String::as_str)
        .collect();
    numbers.extend(later.keys().copied());
    numbers
        .into_iter()
        .filter_map(|n| s.invoices.get(n))
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
        .map(String::as_str)
        .collect();
    numbers.extend(later.keys().copied());
    let mut out: Vec<OpenItem> = numbers
        .into_iter()
        .filter_map(|n| s.supplier_invoices.get(n))
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
            entity: e.to_string(),
            party: sup.to_string(),
            doc: DEBIT_BALANCE.to_string(),
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
