//! Financial statements and control reports: P&L, balance sheet, AP aging,
//! customer statement, close checklist, margin, DSO and bank
//! reconciliation (the consolidated view is `consolidate.rs`). Balances come from the per-period balances the ledger
//! maintains (never from history); documents from the state.

use super::statement::{FinancialStatement, RowKind};
use super::{money, qty, Options, ReportError, Table};
use crate::core::master::{AccountKind, Period, PostingKey};
use crate::core::sales::fx_rate;
use crate::core::types::Code;
use crate::core::types::Currency;
use crate::core::types::ToCode;
use crate::core::State;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The periods of an entity that start on or before `as_of`, in order.
pub(super) fn periods_through<'a>(s: &'a State, entity: &str, as_of: NaiveDate) -> Vec<&'a Period> {
    s.periods
        .range((entity.to_code(), NaiveDate::MIN)..=(entity.to_code(), as_of))
        .map(|(_, p)| p)
        .collect()
}

/// Fiscal year of a period code (`FY2026-03` -> `FY2026`).
pub(super) fn fiscal_year(code: &str) -> &str {
    code.split_once('-').map_or(code, |(y, _)| y)
}

/// Debit-minus-credit of every account of `entity` summed over `periods`.
fn sum_periods(s: &State, entity: &str, periods: &[&Period]) -> BTreeMap<String, Decimal> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for p in periods {
        let lo = (entity.to_code(), p.code.clone(), Code::default());
        for ((e, code, account), v) in s.ledger.period_balances.range(lo..) {
            if e != entity || *code != p.code {
                break;
            }
            *out.entry(account.to_string()).or_default() += *v;
        }
    }
    out
}

/// Debit-minus-credit of every account of `entity` from entries dated
/// `from` to `to` (the ledger's day balances).
pub(super) fn sum_days(
    s: &State,
    entity: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> BTreeMap<String, Decimal> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    let lo = (entity.to_code(), from, Code::default());
    for ((e, day, account), v) in s.ledger.daily.range(lo..) {
        if e != entity || *day > to {
            break;
        }
        *out.entry(account.to_string()).or_default() += *v;
    }
    out
}

fn entities<'a>(s: &'a State, o: &Options) -> Vec<&'a Code> {
    s.entities
        .keys()
        .filter(|e| o.entity.as_deref().is_none_or(|x| x == e.as_str()))
        .collect()
}

pub(super) fn account_name(s: &State, entity: &str, code: &str) -> String {
    s.accounts
        .get(&(entity.to_code(), code.to_code()))
        .map(|a| a.name.clone())
        .unwrap_or_default()
}

pub(super) fn kind_of(s: &State, entity: &str, code: &str) -> Option<AccountKind> {
    s.accounts
        .get(&(entity.to_code(), code.to_code()))
        .map(|a| a.kind)
}

/// Profit and loss of the period holding `as_of`, and the fiscal year to
/// that period's end. Revenue shows as positive, expenses as positive.
pub fn pl(s: &State, o: &Options) -> FinancialStatement {
    let mut t = FinancialStatement::new(
        format!(
            // Said whole at 80 columns ("period holding 2026-08-28 and
            // year to date, to that day (by~" was cut and read oddly).
            "Profit and loss to {}: period and year to date, by posting date",
            o.today
        ),
        true,
        false,
        &["period", "year_to_date"],
    );
    for e in entities(s, o) {
        let Some(current) = s.period_of(e, o.today) else {
            continue;
        };
        let fy = fiscal_year(&current.code);
        let all = periods_through(s, e, o.today);
        let ytd: Vec<&Period> = all
            .iter()
            .copied()
            .filter(|p| fiscal_year(&p.code) == fy)
            .collect();
        // What was posted up to `as_of`: the period and the year to date.
        let year_start = ytd.first().map_or(current.start, |p| p.start);
        let mut per = sum_days(s, e, current.start, o.today);
        let mut year = sum_days(s, e, year_start, o.today);
        // A year's closing entry moves its result to retained earnings: the
        // profit and loss shows the result, so leaves the entry out.
        for yc in s
            .year_closes
            .values()
            .filter(|y| y.entity == e && y.journal.date <= o.today)
        {
            for l in &yc.journal.lines {
                if yc.period == current.code {
                    *per.entry(l.account.to_string()).or_default() -= l.signed();
                }
                if ytd.iter().any(|p| p.code == yc.period) {
                    *year.entry(l.account.to_string()).or_default() -= l.signed();
                }
            }
        }
        let mut net = (Decimal::ZERO, Decimal::ZERO);
        for (kind, sign, total) in [
            (AccountKind::Revenue, Decimal::NEGATIVE_ONE, "Total revenue"),
            (AccountKind::Expense, Decimal::ONE, "Total expenses"),
        ] {
            let mut sum = (Decimal::ZERO, Decimal::ZERO);
            for (code, y) in &year {
                if kind_of(s, e, code) != Some(kind) {
                    continue;
                }
                let p = per.get(code).copied().unwrap_or_default() * sign;
                let y = *y * sign;
                if p.is_zero() && y.is_zero() {
                    continue;
                }
                sum.0 += p;
                sum.1 += y;
                t.push(
                    Some(e),
                    None,
                    code,
                    &account_name(s, e, code),
                    vec![Some(p), Some(y)],
                    RowKind::Account,
                );
            }
            t.push(
                Some(e),
                None,
                "",
                total,
                vec![Some(sum.0), Some(sum.1)],
                RowKind::Total,
            );
            if kind == AccountKind::Revenue {
                net = sum;
            } else {
                net = (net.0 - sum.0, net.1 - sum.1);
            }
        }
        t.push(
            Some(e),
            None,
            "",
            &format!("Net income ({})", current.code),
            vec![Some(net.0), Some(net.1)],
            RowKind::Total,
        );
    }
    t
}

/// Balance sheet at the end of the period holding `as_of`: assets,
/// liabilities and equity, with the earnings not yet closed to retained
/// earnings shown as their own line, so that both sides agree.
pub fn balance_sheet(s: &State, o: &Options) -> FinancialStatement {
    let mut t = FinancialStatement::new(
        format!("Balance sheet at the end of {} (by posting date)", o.today),
        true,
        true,
        &["balance"],
    );
    for e in entities(s, o) {
        let bal = s.balances_as_of(e, o.today);
        let mut totals: BTreeMap<&str, Decimal> = BTreeMap::new();
        for (section, kind, sign) in [
            ("assets", AccountKind::Asset, Decimal::ONE),
            ("liabilities", AccountKind::Liability, Decimal::NEGATIVE_ONE),
            ("equity", AccountKind::Equity, Decimal::NEGATIVE_ONE),
        ] {
            for (code, b) in &bal {
                if kind_of(s, e, code) != Some(kind) || b.is_zero() {
                    continue;
                }
                *totals.entry(section).or_default() += *b * sign;
                t.push(
                    Some(e),
                    Some(section),
                    code,
                    &account_name(s, e, code),
                    vec![Some(*b * sign)],
                    RowKind::Account,
                );
            }
            if kind == AccountKind::Equity {
                let earnings = -bal
                    .iter()
                    .filter(|(c, _)| {
                        matches!(
                            kind_of(s, e, c),
                            Some(AccountKind::Revenue | AccountKind::Expense)
                        )
                    })
                    .map(|(_, b)| *b)
                    .sum::<Decimal>();
                *totals.entry(section).or_default() += earnings;
                t.push(
                    Some(e),
                    Some(section),
                    "",
                    "Earnings not yet closed",
                    vec![Some(earnings)],
                    RowKind::Line,
                );
            }
            t.push(
                Some(e),
                Some(section),
                "",
                &format!("Total {section}"),
                vec![Some(totals.get(section).copied().unwrap_or_default())],
                RowKind::Total,
            );
        }
        let le = totals.get("liabilities").copied().unwrap_or_default()
            + totals.get("equity").copied().unwrap_or_default();
        t.push(
            Some(e),
            None,
            "",
            "Total liabilities and equity",
            vec![Some(le)],
            RowKind::Total,
        );
    }
    t
}

pub use crate::query::finance::bucket_of;

/// AR aging: what each customer owes, by days past due, in the
/// customer's currency, as the documents dated up to `as_of` left it
/// (the open items are `query::finance::ar_open_items`, which the finance
/// views screen reads too).
pub fn aging_ar(s: &State, o: &Options) -> Result<Table, ReportError> {
    let as_of = o.today;
    let later = crate::core::archive::later_for(
        s,
        as_of,
        crate::core::archive::Need::Aging,
        o.later.as_deref(),
    )?;
    let items = crate::query::finance::ar_open_items_with(s, o.entity.as_deref(), as_of, later);
    let open = items
        .iter()
        .map(|i| (i.party.as_str(), &i.currency, i.due, i.open));
    let mut t = aging(
        format!("AR aging as of {as_of} (days past due; documents by their date)"),
        "customer",
        open,
        as_of,
        |c| {
            s.customers
                .get(&c.to_code())
                .map(|x| x.name.clone())
                .unwrap_or_default()
        },
    );
    // In memory, and archived (`later` counts those after `as_of`).
    let archived: u64 = later
        .into_iter()
        .flat_map(|l| &l.invoices_after)
        .filter(|(e, _)| o.entity.as_deref().is_none_or(|x| x == e.as_str()))
        .map(|(_, n)| n)
        .sum();
    let after = s
        .invoices
        .values_any_order()
        .filter(|i| o.entity.as_deref().is_none_or(|e| e == i.entity) && i.date > as_of)
        .count() as u64
        + archived;
    if after > 0 {
        t.notes.push(format!(
            "{after} invoice(s) dated after {as_of} not included"
        ));
    }
    Ok(t)
}

/// AP aging: what each supplier is owed, by days past due, in the
/// supplier's currency, as the documents dated up to `as_of` left it; a
/// supplier's debit balance is current and negative, so that the aging
/// ties to the AP control account (`query::finance::ap_open_items`).
pub fn aging_ap(s: &State, o: &Options) -> Table {
    let as_of = o.today;
    let items = crate::query::finance::ap_open_items(s, o.entity.as_deref(), as_of);
    let open = items
        .iter()
        .map(|i| (i.party.as_str(), &i.currency, i.due, i.open));
    let mut t = aging(
        format!("AP aging as of {as_of} (days past due; documents by their date; a supplier's debit balance is current and negative)"),
        "supplier",
        open,
        o.today,
        |sup| {
            s.suppliers
                .get(&sup.to_code())
                .map(|x| x.name.clone())
                .unwrap_or_default()
        },
    );
    let later = s
        .supplier_invoices
        .values()
        .filter(|i| o.entity.as_deref().is_none_or(|e| e == i.entity) && i.date > as_of)
        .count();
    if later > 0 {
        t.notes.push(format!(
            "{later} supplier invoice(s) dated after {as_of} not included"
        ));
    }
    t
}

/// An aging table from open items (party, currency, due, open amount):
/// a row per party (code, name, currency, the five buckets, total) and a
/// TOTAL row.
pub(super) fn aging<'a>(
    title: String,
    party_header: &'static str,
    open: impl Iterator<Item = (&'a str, &'a Currency, NaiveDate, Decimal)>,
    today: NaiveDate,
    name: impl Fn(&str) -> String,
) -> Table {
    let mut t = Table::new(
        title,
        &[
            (party_header, false),
            ("name", false),
            ("currency", false),
            ("current", true),
            ("1-30", true),
            ("31-60", true),
            ("61-90", true),
            ("90+", true),
            ("total", true),
        ],
    );
    let mut per: BTreeMap<&str, ([Decimal; 5], &Currency)> = BTreeMap::new();
    for (party, currency, due, amount) in open {
        let (b, _) = per
            .entry(party)
            .or_insert_with(|| ([Decimal::ZERO; 5], currency));
        b[bucket_of(due, today)] += amount;
    }
    let mut totals = [Decimal::ZERO; 5];
    for (party, (b, cur)) in per {
        let mut row = vec![party.to_string(), name(party), cur.to_string()];
        for (i, v) in b.iter().enumerate() {
            totals[i] += *v;
            row.push(money(*v));
        }
        row.push(money(b.iter().copied().sum()));
        t.rows.push(row);
    }
    let mut row = vec!["TOTAL".into(), String::new(), String::new()];
    row.extend(totals.iter().map(|v| money(*v)));
    row.push(money(totals.iter().copied().sum()));
    t.rows.push(row);
    t
}

/// One line of a customer's statement, signed (+ what the customer
/// owes more, - what it paid or was credited), in the customer's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub date: NaiveDate,
    pub document: String,
    pub what: String,
    /// The due date of an invoice (empty for other lines).
    pub due: String,
    pub amount: Decimal,
    /// The running balance after this line.
    pub balance: Decimal,
}

/// A customer's statement as figures: what the `statement` report prints
/// and the statement document (`crate::docs`) shows, computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementData {
    pub customer: String,
    pub currency: Currency,
    pub lines: Vec<StatementLine>,
    /// Open invoices by days past due: current, 1-30, 31-60, 61-90, 90+.
    pub aging: [Decimal; 5],
    /// Balance due (open invoices less credit on account).
    pub balance: Decimal,
}

/// The aging buckets' names, in the order of [`StatementData::aging`].
pub use crate::query::finance::AGING_LABELS;

/// A customer's open invoices as the documents dated up to `today` left
/// them (`query::finance::ar_open_items`), oldest due first.
pub fn statement_open_items(
    s: &State,
    c: &crate::core::master::Customer,
    today: NaiveDate,
    later: Option<&crate::core::archive::Later>,
) -> Vec<crate::query::finance::OpenItem> {
    let later = later.filter(|l| l.covers(today, Some(&c.code), crate::core::archive::Need::Aging));
    let mut items: Vec<_> =
        crate::query::finance::ar_open_items_with(s, Some(&c.entity), today, later)
            .into_iter()
            .filter(|i| i.party == c.code)
            .collect();
    items.sort_by(|a, b| (a.due, &a.doc).cmp(&(b.due, &b.doc)));
    items
}

/// The figures of a customer's statement as of `today`.
pub fn statement_data(
    s: &State,
    code: &str,
    today: NaiveDate,
) -> Result<StatementData, ReportError> {
    statement_data_with(s, code, today, None)
}

/// The figures of a customer's statement as of `today`, with what the
/// archive holds after `today` (`ReportError::NeedsArchive` without it,
/// when documents of the customer archived after `today` are to be taken
/// out of what the statement brings forward).
pub fn statement_data_with(
    s: &State,
    code: &str,
    today: NaiveDate,
    later: Option<&crate::core::archive::Later>,
) -> Result<StatementData, ReportError> {
    let c = s
        .customers
        .get(&code.to_code())
        .ok_or_else(|| ReportError::UnknownCustomer(code.to_string()))?;
    // (date, order within the day, document, what, due, signed amount)
    let mut lines: Vec<(NaiveDate, u8, String, String, String, Decimal)> = Vec::new();
    for inv in s
        .invoices
        .values_sorted()
        .into_iter()
        .filter(|i| i.customer == code)
    {
        lines.push((
            inv.date,
            0,
            inv.number.to_string(),
            match s.debit_memos.get(&inv.number) {
                Some(m) => format!("debit memo on {}, {} open", m.invoice, money(inv.open)),
                None => format!("invoice, {} open", money(inv.open)),
            },
            inv.due.to_string(),
            inv.total,
        ));
    }
    for r in s
        .receipts
        .values_sorted()
        .into_iter()
        .filter(|r| r.customer == code)
    {
        // Applying credit on account moves no money, so it is listed for
        // the record and leaves the balance as it is.
        let what = if r.method == crate::core::cash::Method::Credit {
            let to: Vec<&str> = r.applications.iter().map(|a| a.invoice.as_str()).collect();
            format!(
                "credit on account {} applied to {}",
                money(r.amount),
                to.join(", ")
            )
        } else {
            format!("payment {}", r.reference)
        };
        lines.push((
            r.date,
            1,
            r.number.to_string(),
            what,
            String::new(),
            r.statement_amount(),
        ));
        for a in &r.applications {
            if !a.discount.is_zero() {
                lines.push((
                    r.date,
                    2,
                    a.invoice.to_string(),
                    "early-payment discount".into(),
                    String::new(),
                    -a.discount,
                ));
            }
            if !a.write_off.is_zero() {
                lines.push((
                    r.date,
                    2,
                    a.invoice.to_string(),
                    "short payment written off".into(),
                    String::new(),
                    -a.write_off,
                ));
            }
        }
    }
    for r in s.refunds.values().filter(|r| r.customer == code) {
        lines.push((
            r.date,
            4,
            r.number.to_string(),
            format!("credit on account refunded {}", r.reference),
            String::new(),
            r.amount,
        ));
    }
    for d in s
        .dispute_resolutions
        .values()
        .filter(|d| d.customer == code && !d.written_off.is_zero())
    {
        lines.push((
            d.date,
            3,
            d.number.to_string(),
            format!("dispute on {} written off: {}", d.invoice, d.reason),
            String::new(),
            -d.written_off,
        ));
    }
    for m in s.credit_memos.values().filter(|m| m.customer == code) {
        lines.push((
            m.date,
            3,
            m.number.to_string(),
            format!("credit memo for {}", m.invoice),
            String::new(),
            -m.total,
        ));
    }
    lines.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    let mut balance = Decimal::ZERO;
    let mut aging = [Decimal::ZERO; 5];
    let mut out = Vec::new();
    // Settled invoices and receipts moved to the archive are brought
    // forward as one line: what they came to together up to `today`
    // (nil, unless a receipt left credit on account), dated by the last
    // day of them. `depot archive --show` prints each of them.
    let archived = crate::core::archive::brought_forward(s, &c.code, today, later)?;
    if let Some((last, amount)) = archived {
        balance += amount;
        out.push(StatementLine {
            date: last,
            document: String::new(),
            what: format!("brought forward: settled documents archived to {last}"),
            due: String::new(),
            amount,
            balance,
        });
    }
    for (date, _, document, what, due, amount) in lines {
        if date > today {
            continue;
        }
        balance += amount;
        out.push(StatementLine {
            date,
            document,
            what,
            due,
            amount,
            balance,
        });
    }
    // Aged as the documents dated up to `today` left them: a statement of
    // an earlier day ages what was open on it, not what is open now.
    for item in statement_open_items(s, c, today, later) {
        aging[bucket_of(item.due, today)] += item.open;
    }
    Ok(StatementData {
        customer: c.code.to_string(),
        currency: c.currency.clone(),
        lines: out,
        aging,
        balance,
    })
}

/// A customer's statement: invoices, payments, discounts and write-offs,
/// credit memos in date order with the running balance (customer currency).
pub fn statement(s: &State, o: &Options) -> Result<Table, ReportError> {
    let code = o
        .customer
        .as_deref()
        .ok_or(ReportError::Needs("statement", "--customer CODE"))?;
    let c = s
        .customers
        .get(&code.to_code())
        .ok_or_else(|| ReportError::UnknownCustomer(code.to_string()))?;
    let mut t = Table::new(
        format!(
            "Statement of {} {} as of {} ({})",
            c.code, c.name, o.today, c.currency
        ),
        &[
            ("date", false),
            ("document", false),
            ("what", false),
            ("due", false),
            ("amount", true),
            ("balance", true),
        ],
    );
    let data = statement_data_with(s, code, o.today, o.later.as_deref())?;
    for l in data.lines {
        t.rows.push(vec![
            l.date.to_string(),
            l.document,
            l.what,
            l.due,
            money(l.amount),
            money(l.balance),
        ]);
    }
    for (label, v) in AGING_LABELS.iter().zip(data.aging) {
        t.rows.push(vec![
            String::new(),
            String::new(),
            format!("open {label} days past due"),
            String::new(),
            money(v),
            String::new(),
        ]);
    }
    t.rows.push(vec![
        o.today.to_string(),
        String::new(),
        "balance due (open invoices less credit on account)".into(),
        String::new(),
        String::new(),
        money(data.balance),
    ]);
    Ok(t)
}

/// The close checklist of each entity for the period holding `as_of`.
pub fn close_checklist(s: &State, o: &Options) -> Table {
    let mut t = Table::new(
        format!(
            "Close checklist, period holding {} (ledger lines by posting date to the period end)",
            o.today
        ),
        &[
            ("entity", false),
            ("period", false),
            ("check", false),
            ("blocking", false),
            ("status", false),
            ("count", true),
            ("amount", true),
            ("detail", false),
        ],
    );
    for e in entities(s, o) {
        let Some(p) = s.period_of(e, o.today) else {
            continue;
        };
        for item in crate::core::ledger::checklist(s, e, p.end) {
            t.rows.push(vec![
                e.to_string(),
                p.code.to_string(),
                item.check.into(),
                if item.blocking { "yes" } else { "no" }.into(),
                if item.is_open() { "OPEN" } else { "ok" }.into(),
                item.count.to_string(),
                money(item.amount),
                item.detail,
            ]);
        }
    }
    t
}

/// Gross margin of invoiced sales less returns (credit memos), in each
/// entity's base currency, by customer (default), channel or item.
pub fn margin(s: &State, o: &Options) -> Result<Table, ReportError> {
    let by = o.by.as_deref().unwrap_or("customer");
    if !matches!(by, "customer" | "channel" | "item") {
        return Err(ReportError::BadOption {
            option: "--by",
            value: by.to_string(),
            expected: "customer, channel or item",
        });
    }
    let mut t = Table::new(
        format!("Gross margin of invoiced sales less returns by {by} (base currency)"),
        &[
            ("entity", false),
            (by_header(by), false),
            ("quantity", true),
            ("revenue", true),
            ("cost", true),
            ("margin", true),
            ("margin_pct", true),
        ],
    );
    // (entity, key) -> (qty, revenue, cost)
    let mut acc: BTreeMap<(String, String), (Decimal, Decimal, Decimal)> = BTreeMap::new();
    for inv in s
        .invoices
        .values_sorted()
        .into_iter()
        .filter(|i| o.entity.as_deref().is_none_or(|e| e == i.entity) && i.date <= o.today)
    {
        let base = s
            .entities
            .get(&inv.entity)
            .map(|e| e.base_currency.clone())
            .unwrap_or_else(|| Currency::new("USD"));
        let channel = s
            .customers
            .get(&inv.customer)
            .map(|c| c.channel.as_str())
            .unwrap_or("");
        for (l, sold) in inv.sold(&base, |n| s.shipments.get(n).map(|x| &**x)) {
            let key = match by {
                "channel" => channel.to_string(),
                "item" => l.sku.to_string(),
                _ => inv.customer.to_string(),
            };
            let a = acc.entry((inv.entity.to_string(), key)).or_default();
            a.0 += sold.qty;
            a.1 += sold.revenue;
            a.2 += sold.cost;
        }
    }
    // What archived invoices sold, kept when they left memory.
    let archived =
        crate::core::archive::archived_sales(s, by == "item", o.today, o.later.as_deref())?;
    for ((entity, code), sold) in archived
        .iter()
        .filter(|((e, _), _)| o.entity.as_deref().is_none_or(|x| x == e))
    {
        let key = match by {
            "channel" => s
                .customers
                .get(code)
                .map(|c| c.channel.as_str())
                .unwrap_or("")
                .to_string(),
            _ => code.to_string(),
        };
        let a = acc.entry((entity.to_string(), key)).or_default();
        a.0 += sold.qty;
        a.1 += sold.revenue;
        a.2 += sold.cost;
    }
    // Returns: each credit memo takes back its goods' revenue and quantity;
    // goods restocked bring their cost back (as the return's Dr Inventory /
    // Cr COGS did: the part that completes a return line takes what is
    // left of its rounded value), goods scrapped leave it in the margin.
    // (rma, return line) -> quantity credited so far, memos in number order.
    let mut back: BTreeMap<(&str, u32), Decimal> = BTreeMap::new();
    for m in s
        .credit_memos
        .values()
        .filter(|m| o.entity.as_deref().is_none_or(|e| e == m.entity) && m.date <= o.today)
    {
        let base = s
            .entities
            .get(&m.entity)
            .map(|e| e.base_currency.clone())
            .unwrap_or_else(|| Currency::new("USD"));
        let rate = s.invoices.get(&m.invoice).map_or(Decimal::ONE, |i| i.rate);
        let channel = s
            .customers
            .get(&m.customer)
            .map(|c| c.channel.as_str())
            .unwrap_or("");
        let rma = s.returns.get(&m.rma);
        for l in &m.lines {
            let restocked = rma
                .and_then(|r| {
                    r.lines
                        .iter()
                        .find(|x| x.invoice_line == l.invoice_line && x.sku == l.sku)
                })
                .filter(|x| x.disposition == crate::core::returns::Disposition::Restock);
            let cost = match restocked {
                Some(x) => {
                    let before = back.entry((m.rma.as_str(), x.line)).or_default();
                    let after = *before + l.qty;
                    let v = if after >= x.qty {
                        base.round(x.qty * x.unit_cost) - base.round(*before * x.unit_cost)
                    } else {
                        base.round(l.qty * x.unit_cost)
                    };
                    *before = after;
                    v
                }
                None => Decimal::ZERO,
            };
            let key = match by {
                "channel" => channel.to_string(),
                "item" => l.sku.to_string(),
                _ => m.customer.to_string(),
            };
            let a = acc.entry((m.entity.to_string(), key)).or_default();
            a.0 -= l.qty;
            a.1 -= base.round(l.amount * rate);
            a.2 -= cost;
        }
    }
    for ((e, key), (q, rev, cost)) in acc {
        let m = rev - cost;
        let pct = if rev.is_zero() {
            String::new()
        } else {
            format!("{:.1}", (m * Decimal::from(100) / rev).round_dp(1))
        };
        t.rows
            .push(vec![e, key, qty(q), money(rev), money(cost), money(m), pct]);
    }
    Ok(t)
}

fn by_header(by: &str) -> &'static str {
    match by {
        "channel" => "channel",
        "item" => "item",
        _ => "customer",
    }
}

/// Days sales outstanding: open receivables over the sales of the three
/// periods ending with the one holding `as_of`, times their days.
pub fn dso(s: &State, o: &Options) -> Table {
    let mut t = Table::new(
        format!("Days sales outstanding as of {}", o.today),
        &[
            ("entity", false),
            ("receivables", true),
            ("sales_3_periods", true),
            ("days", true),
            ("dso", true),
        ],
    );
    for e in entities(s, o) {
        let all = periods_through(s, e, o.today);
        let last3: Vec<&Period> = all.iter().rev().take(3).copied().collect();
        let days: i64 = last3.iter().map(|p| (p.end - p.start).num_days() + 1).sum();
        let sums = sum_periods(s, e, &last3);
        let mut sales = Decimal::ZERO;
        for key in [PostingKey::Revenue, PostingKey::SalesReturns] {
            if let Some(a) = s.posting_rules.get(&(e.clone(), key)) {
                sales -= sums.get(a.as_str()).copied().unwrap_or_default();
            }
        }
        let ar = s.subledger_total(e, crate::core::master::Control::Receivables);
        let dso = if sales > Decimal::ZERO {
            format!("{:.1}", (ar * Decimal::from(days) / sales).round_dp(1))
        } else {
            String::new()
        };
        t.rows.push(vec![
            e.to_string(),
            money(ar),
            money(sales),
            days.to_string(),
            dso,
        ]);
    }
    t
}

/// The rate from `from` to `to` on or before `date`: the direct rate, else
/// the inverse of the opposite one.
pub(super) fn rate_between(
    s: &State,
    from: &Currency,
    to: &Currency,
    date: NaiveDate,
) -> Option<Decimal> {
    if from == to {
        return Some(Decimal::ONE);
    }
    fx_rate(s, from, to, date).or_else(|| {
        fx_rate(s, to, from, date)
            .filter(|r| !r.is_zero())
            .map(|r| (Decimal::ONE / r).round_dp(10))
    })
}

/// Bank reconciliation of each entity's bank account: the statement lines
/// not yet matched (with why not), the book items the bank has not yet
/// shown, and the statement balance they imply.
pub fn bank_rec(s: &State, o: &Options) -> Table {
    use crate::core::bank;
    let mut t = Table::new(
        "Bank reconciliation".to_string(),
        &[
            ("entity", false),
            ("account", false),
            ("what", false),
            ("id", false),
            ("date", false),
            ("amount", true),
            ("reference", false),
            ("note", false),
        ],
    );
    for e in entities(s, o) {
        let Some(account) = bank::bank_account(s, e) else {
            continue;
        };
        let row = |what: &str, id: &str, date: String, amount: Decimal, r: &str, note: String| {
            vec![
                e.to_string(),
                account.to_string(),
                what.to_string(),
                id.to_string(),
                date,
                money(amount),
                r.to_string(),
                note,
            ]
        };
        let items: Vec<&bank::BookItem> = s
            .index
            .uncleared_book_items
            .get(e)
            .into_iter()
            .flatten()
            .filter_map(|id| s.book_items.get(id))
            .collect();
        let mut unmatched = Decimal::ZERO;
        for l in s
            .index
            .unmatched_bank_lines
            .iter()
            .filter_map(|id| s.bank_lines.get(id))
            .filter(|l| l.entity == e)
        {
            unmatched += l.amount;
            let same = items
                .iter()
                .filter(|it| {
                    it.amount == l.amount
                        && (it.date - l.date).num_days().unsigned_abs()
                            <= u64::from(bank::WINDOW_DAYS_DEFAULT)
                })
                .count();
            let note = match same {
                0 => "no book item of this amount: match by hand or post_bank_line".to_string(),
                1 => "one book item of this amount: auto_match_bank".to_string(),
                n => format!("ambiguous: {n} book items of this amount: match_bank_line"),
            };
            t.rows.push(row(
                "statement line unmatched",
                &l.id,
                l.date.to_string(),
                l.amount,
                &l.reference,
                note,
            ));
        }
        let mut outstanding = Decimal::ZERO;
        for it in &items {
            outstanding += it.amount;
            t.rows.push(row(
                "book item outstanding",
                &it.id,
                it.date.to_string(),
                it.amount,
                bank::book_reference(s, it),
                format!("{} {}", it.doc, it.memo),
            ));
        }
        let book = s
            .ledger
            .balances
            .get(&(e.clone(), account.clone()))
            .copied()
            .unwrap_or_default();
        for (what, v) in [
            ("book balance", book),
            ("less book items outstanding", -outstanding),
            ("plus statement lines unmatched", unmatched),
            ("statement balance implied", book - outstanding + unmatched),
        ] {
            t.rows
                .push(row(what, "", String::new(), v, "", String::new()));
        }
    }
    t
}
