//! The consolidated view of every entity in one currency (`--currency` on
//! `trial-balance`, `pl` and `balance-sheet`), by the current-rate method:
//!
//! - balance-sheet accounts at the closing rate (the latest rate on or
//!   before the report's day);
//! - revenue and expense accounts period by period at the period's average
//!   rate (the mean of the rates in effect on each day of the period up to
//!   the report's day, see [`average_rate`]);
//! - eliminated: intercompany due-from and due-to (what does not offset at
//!   the closing rate is its own line, nil once the due-to is revalued),
//!   intercompany revenue and the matching cost of sales (the transfer
//!   price, at the seller's average rate), and the profit the seller booked
//!   on goods the buyer still holds (cost of sales up, stock down);
//! - the translation difference is the cumulative translation adjustment
//!   (CTA), an equity line, so the result balances.
//!
//! Read from the state's day balances and documents, never from history.

use super::finance::{account_name, fiscal_year, kind_of, periods_through, rate_between, sum_days};
use super::statement::{FinancialStatement, RowKind};
use super::{later_entries_note, money, Options, ReportError, Table};
use crate::core::master::{AccountKind, Period, PostingKey};
use crate::core::transfer::TransferStatus;
use crate::core::types::Code;
use crate::core::types::Currency;
use crate::core::types::ToCode;
use crate::core::State;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The mean of the `from`/`to` rates in effect on each day from `start` to
/// `end` (each day takes the latest rate on or before it, direct or the
/// inverse of the opposite pair); days before the pair's first rate do not
/// count. None when no day has one.
pub fn average_rate(
    s: &State,
    from: &Currency,
    to: &Currency,
    start: NaiveDate,
    end: NaiveDate,
) -> Option<Decimal> {
    if from == to {
        return Some(Decimal::ONE);
    }
    let (mut sum, mut days) = (Decimal::ZERO, 0u32);
    let mut d = start;
    while d <= end {
        if let Some(r) = rate_between(s, from, to, d) {
            sum += r;
            days += 1;
        }
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    (days > 0).then(|| (sum / Decimal::from(days)).round_dp(10))
}

/// The rates a consolidation used, for its header and notes.
struct Rates<'a> {
    s: &'a State,
    to: Currency,
    as_of: NaiveDate,
    closing: BTreeMap<String, Decimal>,
    /// (entity, period) -> (from, to, average)
    averages: BTreeMap<(String, String), (NaiveDate, NaiveDate, Decimal)>,
}

impl<'a> Rates<'a> {
    fn new(s: &'a State, to: Currency, as_of: NaiveDate) -> Result<Rates<'a>, ReportError> {
        let mut closing = BTreeMap::new();
        for (code, e) in &s.entities {
            let r = rate_between(s, &e.base_currency, &to, as_of).ok_or_else(|| {
                ReportError::NoRate {
                    from: e.base_currency.to_string(),
                    to: to.to_string(),
                    date: as_of,
                }
            })?;
            closing.insert(code.to_string(), r);
        }
        Ok(Rates {
            s,
            to,
            as_of,
            closing,
            averages: BTreeMap::new(),
        })
    }

    fn base(&self, entity: &str) -> Currency {
        self.s
            .entities
            .get(&entity.to_code())
            .map(|e| e.base_currency.clone())
            .unwrap_or_else(|| self.to.clone())
    }

    fn closing(&self, entity: &str) -> Decimal {
        self.closing.get(entity).copied().unwrap_or(Decimal::ONE)
    }

    /// The average rate of `p` (of `entity`) up to the report's day.
    fn average(&mut self, entity: &str, p: &Period) -> Result<Decimal, ReportError> {
        let key = (entity.to_string(), p.code.to_string());
        if let Some((_, _, r)) = self.averages.get(&key) {
            return Ok(*r);
        }
        let end = p.end.min(self.as_of);
        let base = self.base(entity);
        let r = average_rate(self.s, &base, &self.to, p.start, end).ok_or_else(|| {
            ReportError::NoRate {
                from: base.to_string(),
                to: self.to.to_string(),
                date: end,
            }
        })?;
        self.averages.insert(key, (p.start, end, r));
        Ok(r)
    }

    /// The average rate of the period holding `date` for `entity` (the
    /// closing rate when no period holds it).
    fn average_at(&mut self, entity: &str, date: NaiveDate) -> Result<Decimal, ReportError> {
        match self.s.period_of(entity, date).cloned() {
            Some(p) => self.average(entity, &p),
            None => Ok(self.closing(entity)),
        }
    }

    /// "CA01 CAD/USD closing 0.64 on 2026-11-30, average 0.72 over
    /// 2026-11-01..2026-11-30; US01 in USD"
    fn header(&mut self) -> Result<String, ReportError> {
        let mut parts = Vec::new();
        let entities: Vec<Code> = self.s.entities.keys().cloned().collect();
        for e in entities {
            let base = self.base(&e);
            if base == self.to {
                parts.push(format!("{e} in {}", self.to));
                continue;
            }
            let avg = match self.s.period_of(&e, self.as_of).cloned() {
                Some(p) => {
                    let r = self.average(&e, &p)?;
                    format!(
                        ", average {} over {}..{}",
                        r.normalize(),
                        p.start,
                        p.end.min(self.as_of)
                    )
                }
                None => String::new(),
            };
            parts.push(format!(
                "{e} {base}/{} closing {} on {}{avg}",
                self.to,
                self.closing(&e).normalize(),
                self.as_of
            ));
        }
        Ok(parts.join("; "))
    }

    /// Footnotes naming every average rate used.
    fn notes(&self) -> Vec<String> {
        self.averages
            .iter()
            .filter(|((e, _), _)| self.base(e) != self.to)
            .map(|((e, p), (from, to, r))| {
                format!(
                    "{e} {p}: average {}/{} {} over {from}..{to}",
                    self.base(e),
                    self.to,
                    r.normalize()
                )
            })
            .collect()
    }
}

/// Whether the fiscal year of period `code` of `entity` was closed by an
/// entry dated on or before `as_of`.
fn year_closed(s: &State, entity: &str, code: &str, as_of: NaiveDate) -> bool {
    s.year_closes.values().any(|y| {
        y.entity == entity && y.journal.date <= as_of && fiscal_year(&y.period) == fiscal_year(code)
    })
}

fn is_pl(s: &State, entity: &str, account: &str) -> bool {
    matches!(
        kind_of(s, entity, account),
        Some(AccountKind::Revenue | AccountKind::Expense)
    )
}

/// Revenue and expense of `entity` posted in period `p` up to `as_of`,
/// without the year's closing entry.
fn period_pl(s: &State, entity: &str, p: &Period, as_of: NaiveDate) -> BTreeMap<String, Decimal> {
    let mut out = sum_days(s, entity, p.start, p.end.min(as_of));
    for yc in s
        .year_closes
        .values()
        .filter(|y| y.entity == entity && y.period == p.code && y.journal.date <= as_of)
    {
        for l in &yc.journal.lines {
            *out.entry(l.account.to_string()).or_default() -= l.signed();
        }
    }
    out.retain(|a, v| !v.is_zero() && is_pl(s, entity, a));
    out
}

fn rule(s: &State, entity: &str, key: PostingKey) -> String {
    s.posting_rules
        .get(&(entity.to_code(), key))
        .cloned()
        .unwrap_or_default()
        .to_string()
}

/// Intercompany sales shipped from `from` to `to` (inclusive): (seller,
/// buyer, ship date, transfer price in the seller's currency).
fn intercompany_sales(
    s: &State,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(Code, Code, NaiveDate, Decimal)> {
    s.transfers
        .values()
        .filter(|t| t.entity != t.to_entity && t.shipped >= from && t.shipped <= to)
        .map(|t| {
            (
                t.entity.clone(),
                t.to_entity.clone(),
                t.shipped,
                t.lines.iter().map(|l| l.price_value).sum(),
            )
        })
        .collect()
}

/// The profit sellers booked on goods their buyers still hold at the end
/// of `date`: (seller, buyer) -> profit in the seller's currency. Per
/// buyer and item, the buyer still holds the units it bought within the
/// group up to what it has (its average-cost pool at that day plus
/// transfers still in transit): the goods bought within the group are
/// presumed the last to leave, so no profit is taken as realised before
/// the buyer has sold more than it bought elsewhere. The profit held is
/// that share of the margin of those transfers (price less the cost that
/// left the seller).
fn unrealised(s: &State, date: NaiveDate) -> BTreeMap<(String, String), Decimal> {
    // (buyer, sku) -> (units bought, units in transit, seller -> margin)
    type Bought = (Decimal, Decimal, BTreeMap<String, Decimal>);
    let mut bought: BTreeMap<(String, String), Bought> = BTreeMap::new();
    for t in s
        .transfers
        .values()
        .filter(|t| t.entity != t.to_entity && t.shipped <= date)
    {
        for l in &t.lines {
            let b = bought
                .entry((t.to_entity.to_string(), l.sku.to_string()))
                .or_default();
            b.0 += l.qty;
            if t.status == TransferStatus::InTransit {
                b.1 += l.qty;
            }
            *b.2.entry(t.entity.to_string()).or_default() += l.price_value - l.value;
        }
    }
    let mut out: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for ((buyer, sku), (qty, in_transit, margins)) in bought {
        if qty <= Decimal::ZERO {
            continue;
        }
        let pool = s
            .pool_days
            .get(&(buyer.to_code(), sku.to_code()))
            .map_or(Decimal::ZERO, |days| days.up_to(date).qty);
        let held = (pool + in_transit).max(Decimal::ZERO).min(qty);
        for (seller, margin) in margins {
            let cur = s
                .entities
                .get(&seller.to_code())
                .map(|e| e.base_currency.clone())
                .unwrap_or_else(|| Currency::new("USD"));
            *out.entry((seller, buyer.clone())).or_default() += cur.round(margin * held / qty);
        }
    }
    out
}

/// One account of the consolidation (merged across entities by code).
#[derive(Default)]
struct Line {
    name: String,
    kind: Option<AccountKind>,
    translated: Decimal,
    eliminated: Decimal,
}

/// The consolidated trial balance as of the report's day.
struct Consolidation {
    title_rates: String,
    notes: Vec<String>,
    lines: BTreeMap<String, Line>,
    /// Translation difference (entities column) and the part of the
    /// unrealised-profit elimination that the rates split (eliminated).
    cta: (Decimal, Decimal),
    /// Intercompany balances that do not offset at the closing rate.
    ic_difference: Decimal,
}

fn target(currency: &str) -> Result<Currency, ReportError> {
    let to = Currency::new(currency);
    if !to.is_valid() {
        return Err(ReportError::BadOption {
            option: "--currency",
            value: currency.to_string(),
            expected: "a currency code such as USD",
        });
    }
    Ok(to)
}

fn consolidate(s: &State, o: &Options, currency: &str) -> Result<Consolidation, ReportError> {
    if let Some(e) = &o.entity {
        return Err(ReportError::BadOption {
            option: "--entity",
            value: e.clone(),
            expected: "no entity with --currency: the consolidated view covers every entity",
        });
    }
    let to = target(currency)?;
    let as_of = o.today;
    let mut rates = Rates::new(s, to.clone(), as_of)?;
    let mut lines: BTreeMap<String, Line> = BTreeMap::new();
    let mut translated_sum = Decimal::ZERO;
    let mut ic_difference = Decimal::ZERO;
    let mut cta_elim = Decimal::ZERO;
    for code in s.entities.keys() {
        let closing = rates.closing(code);
        let ic = [
            rule(s, code, PostingKey::IntercompanyDueFrom),
            rule(s, code, PostingKey::IntercompanyDueTo),
        ];
        let mut add = |account: &str, v: Decimal, lines: &mut BTreeMap<String, Line>| {
            let l = lines.entry(account.to_string()).or_insert_with(|| Line {
                name: account_name(s, code, account),
                kind: kind_of(s, code, account),
                ..Line::default()
            });
            l.translated += v;
            translated_sum += v;
            if ic.iter().any(|a| a == account) {
                // Eliminated; what does not offset is its own line.
                l.eliminated -= v;
                ic_difference += v;
            }
        };
        // Balance-sheet accounts at the closing rate.
        for (account, b) in s.balances_as_of(code, as_of) {
            if b.is_zero() || is_pl(s, code, &account) {
                continue;
            }
            add(&account, to.round(b * closing), &mut lines);
        }
        // Revenue and expense period by period at the period's average
        // rate; a year closed to retained earnings is nil in each account.
        for p in periods_through(s, code, as_of) {
            if year_closed(s, code, &p.code, as_of) {
                continue;
            }
            let sums = period_pl(s, code, p, as_of);
            if sums.is_empty() {
                continue;
            }
            let avg = rates.average(code, p)?;
            for (account, b) in sums {
                add(&account, to.round(b * avg), &mut lines);
            }
        }
    }
    let mut eliminate = |account: String, v: Decimal, s: &State, entity: &str| {
        lines
            .entry(account.clone())
            .or_insert_with(|| Line {
                name: account_name(s, entity, &account),
                kind: kind_of(s, entity, &account),
                ..Line::default()
            })
            .eliminated += v;
    };
    // Intercompany revenue and the buyer's cost of it, in open years.
    for (seller, buyer, shipped, price) in intercompany_sales(s, NaiveDate::MIN, as_of) {
        if s.period_of(&seller, shipped)
            .is_some_and(|p| year_closed(s, &seller, &p.code, as_of))
        {
            continue;
        }
        let v = to.round(price * rates.average_at(&seller, shipped)?);
        eliminate(rule(s, &seller, PostingKey::Revenue), v, s, &seller);
        eliminate(rule(s, &buyer, PostingKey::Cogs), -v, s, &buyer);
    }
    // Profit in stock still held: cost of sales at the seller's average
    // rate, stock at its closing rate, the difference translation.
    for ((seller, buyer), up) in unrealised(s, as_of) {
        if up.is_zero() {
            continue;
        }
        let pl = to.round(up * rates.average_at(&seller, as_of)?);
        let bs = to.round(up * rates.closing(&seller));
        eliminate(rule(s, &buyer, PostingKey::Cogs), pl, s, &buyer);
        eliminate(rule(s, &buyer, PostingKey::Inventory), -bs, s, &buyer);
        cta_elim += bs - pl;
    }
    let title_rates = rates.header()?;
    Ok(Consolidation {
        title_rates,
        notes: rates.notes(),
        lines,
        cta: (-translated_sum, cta_elim),
        ic_difference,
    })
}

/// `trial-balance --currency`.
pub fn trial_balance(s: &State, o: &Options, currency: &str) -> Result<Table, ReportError> {
    let c = consolidate(s, o, currency)?;
    let mut t = Table::new(
        format!(
            "Consolidated trial balance in {currency} as of {} (by posting date); rates: {}",
            o.today, c.title_rates
        ),
        &[
            ("account", false),
            ("name", false),
            ("entities", true),
            ("eliminated", true),
            ("consolidated", true),
        ],
    );
    let mut total = (Decimal::ZERO, Decimal::ZERO);
    let mut row = |t: &mut Table, code: &str, name: &str, v: Decimal, x: Decimal| {
        total.0 += v;
        total.1 += x;
        t.rows.push(vec![
            code.to_string(),
            name.to_string(),
            money(v),
            money(x),
            money(v + x),
        ]);
    };
    for (code, l) in &c.lines {
        row(&mut t, code, &l.name, l.translated, l.eliminated);
    }
    row(
        &mut t,
        "ICDIFF",
        "Intercompany balances not offsetting at the closing rate",
        Decimal::ZERO,
        c.ic_difference,
    );
    row(
        &mut t,
        "CTA",
        "Cumulative translation adjustment",
        c.cta.0,
        c.cta.1,
    );
    t.rows.push(vec![
        "TOTAL".into(),
        String::new(),
        money(total.0),
        money(total.1),
        money(total.0 + total.1),
    ]);
    t.notes = c.notes;
    t.note_later_entries(s, None, o.today);
    Ok(t)
}

/// `balance-sheet --currency`: assets, liabilities and equity with the
/// earnings not yet closed, the CTA and any intercompany difference as
/// their own equity lines.
pub fn balance_sheet(
    s: &State,
    o: &Options,
    currency: &str,
) -> Result<FinancialStatement, ReportError> {
    let c = consolidate(s, o, currency)?;
    let mut t = FinancialStatement::new(
        format!(
            "Consolidated balance sheet in {currency} at the end of {} (by posting date); rates: {}",
            o.today, c.title_rates
        ),
        false,
        true,
        &["entities", "eliminated", "consolidated"],
    );
    let mut totals: BTreeMap<&str, Decimal> = BTreeMap::new();
    let push = |t: &mut FinancialStatement,
                totals: &mut BTreeMap<&str, Decimal>,
                section: &'static str,
                code: &str,
                name: &str,
                v: Decimal,
                x: Decimal| {
        *totals.entry(section).or_default() += v + x;
        let kind = if s.entities.keys().any(|e| kind_of(s, e, code).is_some()) {
            RowKind::Account
        } else {
            RowKind::Line
        };
        t.push(
            None,
            Some(section),
            code,
            name,
            vec![Some(v), Some(x), Some(v + x)],
            kind,
        );
    };
    for (section, kind, sign) in [
        ("assets", AccountKind::Asset, Decimal::ONE),
        ("liabilities", AccountKind::Liability, Decimal::NEGATIVE_ONE),
        ("equity", AccountKind::Equity, Decimal::NEGATIVE_ONE),
    ] {
        for (code, l) in c.lines.iter().filter(|(_, l)| l.kind == Some(kind)) {
            if l.translated.is_zero() && l.eliminated.is_zero() {
                continue;
            }
            push(
                &mut t,
                &mut totals,
                section,
                code,
                &l.name,
                l.translated * sign,
                l.eliminated * sign,
            );
        }
        if kind == AccountKind::Equity {
            let (v, x) = c
                .lines
                .values()
                .filter(|l| matches!(l.kind, Some(AccountKind::Revenue | AccountKind::Expense)))
                .fold((Decimal::ZERO, Decimal::ZERO), |a, l| {
                    (a.0 - l.translated, a.1 - l.eliminated)
                });
            push(
                &mut t,
                &mut totals,
                section,
                "",
                "Earnings not yet closed",
                v,
                x,
            );
            push(
                &mut t,
                &mut totals,
                section,
                "CTA",
                "Cumulative translation adjustment",
                -c.cta.0,
                -c.cta.1,
            );
            push(
                &mut t,
                &mut totals,
                section,
                "ICDIFF",
                "Intercompany balances not offsetting at the closing rate",
                Decimal::ZERO,
                -c.ic_difference,
            );
        }
        let total = totals.get(section).copied().unwrap_or_default();
        t.push(
            None,
            Some(section),
            "",
            &format!("Total {section}"),
            vec![None, None, Some(total)],
            RowKind::Total,
        );
    }
    let le = totals.get("liabilities").copied().unwrap_or_default()
        + totals.get("equity").copied().unwrap_or_default();
    t.push(
        None,
        None,
        "",
        "Total liabilities and equity",
        vec![None, None, Some(le)],
        RowKind::Total,
    );
    t.notes = c.notes;
    t.notes.extend(later_entries_note(s, None, o.today));
    Ok(t)
}

/// `pl --currency`: revenue and expenses of the period holding the day and
/// of the year to date, each entity's at its periods' average rates, less
/// intercompany revenue and cost of sales, plus the change in profit held
/// in stock.
pub fn pl(s: &State, o: &Options, currency: &str) -> Result<FinancialStatement, ReportError> {
    // Validates the options and the rates of every line the year touches.
    let c = consolidate(s, o, currency)?;
    let to = target(currency)?;
    let as_of = o.today;
    let mut rates = Rates::new(s, to.clone(), as_of)?;
    // account -> (name, kind, period, year)
    let mut accounts: BTreeMap<String, (String, Option<AccountKind>, Decimal, Decimal)> =
        BTreeMap::new();
    // Eliminations: (revenue, cost of sales, profit held), period and year.
    let mut ic = [(Decimal::ZERO, Decimal::ZERO); 3];
    let mut span: Option<(String, NaiveDate, NaiveDate)> = None;
    for code in s.entities.keys() {
        let Some(current) = s.period_of(code, as_of).cloned() else {
            continue;
        };
        let fy = fiscal_year(&current.code).to_string();
        let year: Vec<Period> = periods_through(s, code, as_of)
            .into_iter()
            .filter(|p| fiscal_year(&p.code) == fy)
            .cloned()
            .collect();
        let year_start = year.first().map_or(current.start, |p| p.start);
        span.get_or_insert((current.code.to_string(), current.start, year_start));
        for p in &year {
            let sums = period_pl(s, code, p, as_of);
            if sums.is_empty() {
                continue;
            }
            let avg = rates.average(code, p)?;
            for (account, b) in sums {
                let v = to.round(b * avg);
                let a = accounts.entry(account.clone()).or_insert_with(|| {
                    (
                        account_name(s, code, &account),
                        kind_of(s, code, &account),
                        Decimal::ZERO,
                        Decimal::ZERO,
                    )
                });
                a.3 += v;
                if p.code == current.code {
                    a.2 += v;
                }
            }
        }
        // This entity's sales within the group.
        for (seller, _, shipped, price) in intercompany_sales(s, year_start, as_of) {
            if seller != code {
                continue;
            }
            let v = to.round(price * rates.average_at(&seller, shipped)?);
            ic[0].1 += v;
            ic[1].1 += v;
            if shipped >= current.start {
                ic[0].0 += v;
                ic[1].0 += v;
            }
        }
        let held = |date: Option<NaiveDate>| -> Decimal {
            date.map_or(Decimal::ZERO, |d| {
                unrealised(s, d)
                    .iter()
                    .filter(|((seller, _), _)| seller == code)
                    .map(|(_, v)| *v)
                    .sum()
            })
        };
        let now = held(Some(as_of));
        let period_start = held(current.start.pred_opt());
        let year_begin = held(year_start.pred_opt());
        let avg = rates.average_at(code, as_of)?;
        ic[2].0 += to.round((now - period_start) * avg);
        ic[2].1 += to.round((now - year_begin) * avg);
    }
    let (period, fy_start) = span
        .map(|(c, _, y)| (c, y))
        .unwrap_or_else(|| (String::new(), as_of));
    let mut t = FinancialStatement::new(
        format!(
            "Consolidated profit and loss in {currency}, period {period} and year from {fy_start} to {as_of} (by posting date); rates: {}",
            c.title_rates
        ),
        false,
        true,
        &["period", "year_to_date"],
    );
    let mut net = (Decimal::ZERO, Decimal::ZERO);
    for (section, kind, sign, elims) in [
        (
            "revenue",
            AccountKind::Revenue,
            Decimal::NEGATIVE_ONE,
            vec![("Intercompany revenue eliminated", (-ic[0].0, -ic[0].1))],
        ),
        (
            "expenses",
            AccountKind::Expense,
            Decimal::ONE,
            vec![
                (
                    "Intercompany cost of sales eliminated",
                    (-ic[1].0, -ic[1].1),
                ),
                ("Unrealised profit in stock held eliminated", ic[2]),
            ],
        ),
    ] {
        let mut sum = (Decimal::ZERO, Decimal::ZERO);
        for (code, (name, k, p, y)) in &accounts {
            if *k != Some(kind) {
                continue;
            }
            let (p, y) = (*p * sign, *y * sign);
            sum = (sum.0 + p, sum.1 + y);
            t.push(
                None,
                Some(section),
                code,
                name,
                vec![Some(p), Some(y)],
                RowKind::Account,
            );
        }
        for (name, (p, y)) in elims {
            sum = (sum.0 + p, sum.1 + y);
            t.push(
                None,
                Some(section),
                "ELIM",
                name,
                vec![Some(p), Some(y)],
                RowKind::Line,
            );
        }
        t.push(
            None,
            Some(section),
            "",
            &format!("Total {section}"),
            vec![Some(sum.0), Some(sum.1)],
            RowKind::Total,
        );
        net = if kind == AccountKind::Revenue {
            sum
        } else {
            (net.0 - sum.0, net.1 - sum.1)
        };
    }
    t.push(
        None,
        None,
        "",
        "Net income",
        vec![Some(net.0), Some(net.1)],
        RowKind::Total,
    );
    t.notes = rates.notes();
    t.notes.extend(later_entries_note(s, None, as_of));
    Ok(t)
}
