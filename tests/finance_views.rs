//! The finance views' GL drill and statements on the demo distributor:
//! the GL lines screen holds only the newest lines it shows (read
//! backward from the newest log record, whole days, the running balance
//! from the ledger's day balances), yet scrolling and the filter reach
//! every line with the balance the whole history gives; the P&L and
//! balance sheet are one view-model for the report and the screen.

use chrono::NaiveDate;
use depot::core::counter::CounterLine;
use depot::core::types::ToCode;
use depot::core::CommandBody;
use depot::query::finance::{gl_lines, gl_window, trial_balance, GlLine, Journals};
use depot::report::{statement_with, Options, RowKind};
use depot::ui::screen::Ctx;
use depot::ui::screens::finance_views::FinanceViews;
use depot::ui::testing::{test_day as today, Driver, MemBackend};
use depot::ui::Backend;
use rust_decimal::Decimal;

fn demo() -> MemBackend {
    MemBackend::afternoon()
}

fn usd(d: Decimal) -> String {
    depot::query::money(d, &depot::core::types::Currency::new("USD"))
}

/// Every journal entry of the demo's log.
fn whole(b: &MemBackend) -> Journals {
    let seq = b.state.borrow().seq;
    let mut j = Journals::default();
    j.extend(&b.log_range(1, seq));
    j
}

#[test]
fn a_gl_window_read_backward_is_the_tail_of_the_whole_ledger() {
    let b = demo();
    let all = whole(&b);
    let s = b.state.borrow();
    let seq = s.seq;
    let mut checked = 0;
    let mut partial = 0;
    for e in s.entities.keys() {
        for as_of in [today(), today() - chrono::Duration::days(20)] {
            let tb = trial_balance(&s, e, as_of).unwrap();
            for r in &tb.rows {
                let full = gl_lines(&all, e, &r.account, as_of);
                for want in [1, 4, 1000] {
                    // Read back 5 records at a time, only while asked.
                    let mut j = Journals::at(seq);
                    let w = loop {
                        let w = gl_window(&j, &s, e, &r.account, as_of, want);
                        if !w.need_more {
                            break w;
                        }
                        let (from, to) = j.next_back(5).expect("need_more with the log read");
                        j.extend_back(&b.log_range(from, to), from);
                    };
                    let n = w.lines.len();
                    assert!(n >= want.min(full.len()), "{e} {} {want}", r.account);
                    assert_eq!(w.lines[..], full[full.len() - n..], "{e} {}", r.account);
                    assert_eq!(w.earlier, n < full.len());
                    // The last line's balance is the trial balance's.
                    let last = w.lines.last().map(|l| l.balance).unwrap_or_default();
                    assert_eq!(last, r.balance(), "{e} {} as of {as_of}", r.account);
                    if n < full.len() {
                        partial += 1;
                        assert!(j.records_read < seq, "read only what the window needs");
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 60, "{checked}");
    assert!(
        partial > 10,
        "windows that are not the whole ledger: {partial}"
    );
}

/// The dated rows of a GL lines screen: (date, doc, balance cell).
fn rows(screen: &str) -> Vec<(String, String, String)> {
    screen
        .lines()
        .filter(|l| l.starts_with("20") && l.as_bytes().get(4) == Some(&b'-'))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (
                w[0].to_string(),
                w[1].to_string(),
                w.last().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every row on screen is a line of the account with the balance the
/// whole ledger gives it.
fn check_rows(screen: &str, full: &[GlLine]) -> usize {
    let r = rows(screen);
    for (date, doc, bal) in &r {
        assert!(
            full.iter()
                .any(|l| l.date.to_string() == *date && l.doc == *doc && usd(l.balance) == *bal),
            "{date} {doc} {bal} is no line of the ledger:\n{screen}"
        );
    }
    r.len()
}

#[test]
fn the_gl_lines_screen_scrolls_and_filters_every_line_of_a_long_account() {
    let b = demo();
    let all = whole(&b);
    let total_records = b.state.borrow().seq;
    // US01's account with the most lines.
    let (account, full) = {
        let s = b.state.borrow();
        let tb = trial_balance(&s, "US01", today()).unwrap();
        tb.rows
            .iter()
            .map(|r| {
                (
                    r.account.clone(),
                    gl_lines(&all, "US01", &r.account, today()),
                )
            })
            .max_by_key(|(_, l)| l.len())
            .unwrap()
    };
    let balance = full.last().unwrap().balance;
    let open = |d: &mut Driver| {
        // Holding 5 lines at first, fewer than a page (a production drill
        // holds 200, more than the tallest screen shows).
        let fv = FinanceViews::new().sized(5, 3);
        let journals = fv.journals();
        d.app.open_screen(|_: &Ctx| Box::new(fv), d.backend);
        d.press("f6"); // US01
        d.press("/").typed(&account).press("enter").press("enter");
        assert_eq!(d.app.screen_name(), "finance_gl", "{}", d.screen(80, 24));
        assert!(d.screen(80, 24).contains(&format!("GL US01 {account}")));
        journals
    };
    let mut d = Driver::new(&b, Some("CTRL1"));
    let journals = open(&mut d);
    // The drill read the newest records only, and shows the newest lines
    // ending on the trial balance figure.
    let read = journals.records_read();
    assert!(
        read > 0 && read < total_records,
        "{read} of {total_records} records"
    );
    let s = d.screen(80, 24);
    // The lines held at first (whole days: at least the 5 asked for).
    let held = rows(&s).len();
    assert!(held >= 5, "{s}");
    assert!(s.contains("newest lines"), "{s}");
    assert!(
        s.contains(&format!("balance {} = trial balance", usd(balance))),
        "{s}"
    );
    assert_eq!(rows(&s).last().unwrap().2, usd(balance), "{s}");
    check_rows(&s, &full);
    // Up, a line at a time, past the lines held: more are read, each row
    // still the ledger's, and the table a full page of the newest lines.
    for _ in 0..(held + 7) {
        d.press("up");
    }
    let s = d.screen(80, 24);
    let page = check_rows(&s, &full);
    assert!(
        page > held && full.len() > 3 * page,
        "{account}: {} lines, more than three pages of {page}:\n{s}",
        full.len()
    );
    assert_eq!(rows(&s)[0].1, full[full.len() - page].doc, "{s}");
    // Up a page more: the cursor's line is on top.
    for _ in 0..page {
        d.press("up");
    }
    let s = d.screen(80, 24);
    assert_eq!(check_rows(&s, &full), page, "{s}");
    let top = &full[full.len() - held - 8 - page];
    assert_eq!(rows(&s)[0].1, top.doc, "{s}");
    // PageUp twice, PageDown once.
    d.press("pageup").press("pageup").press("pagedown");
    check_rows(&d.screen(80, 24), &full);
    // Home: the first line of the account, all of them held.
    d.press("home");
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("{} lines", full.len())), "{s}");
    assert_eq!(rows(&s)[0].2, usd(full[0].balance), "{s}");
    assert_eq!(rows(&s)[0].1, full[0].doc, "{s}");
    check_rows(&s, &full);
    // End: the last, on the account's balance.
    d.press("end");
    let s = d.screen(80, 24);
    assert_eq!(rows(&s).last().unwrap().2, usd(balance), "{s}");
    check_rows(&s, &full);
    // A sale committed meanwhile: the screen follows the ledger.
    b.exec(
        "ADMIN",
        CommandBody::CounterSale {
            customer: "C0009".into(),
            warehouse: "CHI".into(),
            lines: vec![CounterLine {
                sku: "FAS-1000".into(),
                qty: Decimal::from(40),
                unit: None,
                price: None,
            }],
            payment: None,
            payments: vec![],
        },
    )
    .unwrap();
    d.committed();
    let now = b.state.borrow().balances_as_of("US01", today())[&account];
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!("balance {} = trial balance", usd(now))),
        "{s}"
    );
    let after = gl_lines(&whole(&b), "US01", &account, today());
    check_rows(&s, &after);
    d.press("end");
    assert_eq!(rows(&d.screen(80, 24)).last().unwrap().2, usd(now));
    d.press("f3");
    assert_eq!(d.app.screen_name(), "finance_views");

    // A fresh drill: the filter finds the oldest line, pages before the
    // ones shown first.
    let mut d = Driver::new(&b, Some("CTRL1"));
    open(&mut d);
    let first = &full[0];
    let hits = full.iter().filter(|l| l.doc.contains(&first.doc)).count();
    d.press("/").typed(&first.doc).press("enter");
    let s = d.screen(80, 24);
    let counted = match hits {
        1 => "1 line".to_string(),
        n => format!("{n} lines"),
    };
    assert!(s.contains(&counted), "{s}");
    let r = rows(&s);
    assert_eq!(r[0].1, first.doc, "{s}");
    assert_eq!(r[0].2, usd(first.balance), "{s}");
    check_rows(&s, &full);
    // The filter emptied shows every line again (the sale's too).
    d.press("/").press("ctrl-u").press("enter");
    let s = d.screen(80, 24);
    let every = gl_lines(&whole(&b), "US01", &account, today()).len();
    assert!(every > full.len());
    assert!(s.contains(&format!("{every} lines")), "{s}");
}

#[test]
fn the_pl_view_model_totals_are_the_trial_balances_income_and_expenses() {
    use depot::core::master::AccountKind;
    let b = demo();
    let s = b.state.borrow();
    for e in s.entities.keys() {
        // No year is closed in the demo: the year to date is the trial
        // balance today less the one the day before the fiscal year began.
        assert!(s.year_closes.is_empty());
        let current = s.period_of(e, today()).unwrap();
        let fy = |code: &str| {
            code.split_once('-')
                .map_or(code.to_string(), |x| x.0.to_string())
        };
        let year_start = s
            .periods
            .values()
            .filter(|p| p.entity == *e && fy(&p.code) == fy(&current.code))
            .map(|p| p.start)
            .min()
            .unwrap();
        let kind = |a: &str| s.accounts.get(&(e.clone(), a.to_code())).map(|a| a.kind);
        let tb_sum = |as_of: NaiveDate, k| -> Decimal {
            trial_balance(&s, e, as_of)
                .unwrap()
                .rows
                .iter()
                .filter(|r| kind(&r.account) == Some(k))
                .map(|r| r.balance())
                .sum()
        };
        let before = year_start.pred_opt().unwrap();
        let sum = |k| tb_sum(today(), k) - tb_sum(before, k);
        let pl = statement_with("pl", &s, &Options::new(Some(e), today())).unwrap();
        let total = |label: &str| -> Decimal {
            pl.rows
                .iter()
                .find(|r| r.kind == RowKind::Total && r.label.starts_with(label))
                .unwrap_or_else(|| panic!("{label}: {pl:?}"))
                .amounts[1]
                .unwrap()
        };
        assert_eq!(total("Total revenue"), -sum(AccountKind::Revenue), "{e}");
        assert_eq!(total("Total expenses"), sum(AccountKind::Expense), "{e}");
        assert_eq!(
            total("Net income"),
            -sum(AccountKind::Revenue) - sum(AccountKind::Expense)
        );
        // Each section's total is its account rows' sum.
        let accounts: Decimal = pl
            .rows
            .iter()
            .filter(|r| {
                r.kind == RowKind::Account && kind(&r.account) == Some(AccountKind::Revenue)
            })
            .map(|r| r.amounts[1].unwrap())
            .sum();
        assert_eq!(accounts, total("Total revenue"));
        // The report prints exactly these rows.
        let t = depot::report::build("pl", &s, Some(e), today()).unwrap();
        assert_eq!(t, pl.table());
        assert_eq!(t.rows.len(), pl.rows.len());

        // The balance sheet balances, and is the report's table.
        let bs = statement_with("balance-sheet", &s, &Options::new(Some(e), today())).unwrap();
        let row = |label: &str| {
            bs.rows
                .iter()
                .find(|r| r.label == label)
                .and_then(|r| r.amounts[0])
                .unwrap()
        };
        assert_eq!(
            row("Total assets"),
            row("Total liabilities and equity"),
            "{e}"
        );
        assert_eq!(
            depot::report::build("balance-sheet", &s, Some(e), today()).unwrap(),
            bs.table()
        );
    }
}

/// The demo's opening stock is there before anything is shipped out of
/// it: at the end of every day of its history, each entity's inventory
/// balance is at least zero (stock shipped months before the opening
/// stock's date read as negative inventory in every balance sheet dated
/// between).
#[test]
fn the_demo_never_ships_stock_before_its_opening_stock() {
    use depot::core::master::PostingKey;
    let b = demo();
    let all = whole(&b);
    let s = b.state.borrow();
    for e in s.entities.keys() {
        let account = s
            .posting_rules
            .get(&(e.clone(), PostingKey::Inventory))
            .unwrap();
        let lines = gl_lines(&all, e, account, today());
        assert!(lines.len() > 1, "{e} {account}: {lines:?}");
        // The first line is the opening stock, before any other.
        assert!(lines[0].doc.starts_with("OPEN-"), "{e}: {:?}", lines[0]);
        let opened = lines[0].date;
        assert!(
            lines
                .iter()
                .all(|l| l.doc.starts_with("OPEN-") || l.date > opened),
            "{e}: stock moved on or before its opening day"
        );
        for (i, l) in lines.iter().enumerate() {
            let day_end = lines.get(i + 1).is_none_or(|n| n.date != l.date);
            assert!(
                !day_end || l.balance >= Decimal::ZERO,
                "{e} {account} on {}: {} after {}",
                l.date,
                l.balance,
                l.doc
            );
        }
    }
}

/// A description cut to its column ends in "~": at 80 columns the GL
/// lines of inventory cut "cost of goods shipped", and "returned good"
/// was read as the whole description.
#[test]
fn a_description_cut_to_its_column_says_so() {
    let b = demo();
    let all = whole(&b);
    let account = "1200";
    let full = gl_lines(&all, "US01", account, today());
    let mut d = Driver::new(&b, Some("CTRL1"));
    let fv = FinanceViews::new();
    d.app.open_screen(|_: &Ctx| Box::new(fv), d.backend);
    d.press("f6"); // US01
    d.press("/").typed(account).press("enter").press("enter");
    let s = d.screen(80, 24);
    let mut cut = 0;
    for line in s.lines().filter(|l| l.starts_with("20")) {
        let doc = line.split_whitespace().nth(1).unwrap();
        let memo = &full.iter().find(|l| l.doc == doc).unwrap().memo;
        if !line.contains(memo.as_str()) {
            // Cut: a start of it, then "~".
            let shown = line
                .split_whitespace()
                .skip(2)
                .collect::<Vec<_>>()
                .join(" ");
            let kept = shown.split('~').next().unwrap();
            assert!(
                shown.contains('~') && memo.starts_with(kept.trim_end()),
                "{line}\n{s}"
            );
            cut += 1;
        }
    }
    assert!(cut > 0, "nothing cut at 80 columns:\n{s}");
}

/// The header row of a GL lines screen: where each column starts.
fn header_row(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains("description") && l.contains("balance"))
        .unwrap_or_else(|| panic!("no header row:\n{screen}"))
        .to_string()
}

#[test]
fn the_gl_lines_keep_their_columns_while_the_list_scrolls() {
    let b = demo();
    let all = whole(&b);
    // The account whose running balance is written in the most different
    // widths (a column sized by the visible rows would move with them).
    let (account, widths) = {
        let s = b.state.borrow();
        let tb = trial_balance(&s, "US01", today()).unwrap();
        tb.rows
            .iter()
            .map(|r| {
                let lines = gl_lines(&all, "US01", &r.account, today());
                let mut w: Vec<usize> = lines.iter().map(|l| usd(l.balance).len()).collect();
                w.sort_unstable();
                w.dedup();
                (r.account.clone(), w.len())
            })
            .max_by_key(|(_, n)| *n)
            .unwrap()
    };
    assert!(widths > 1, "every balance of {account} is as wide");
    let mut d = Driver::new(&b, Some("CTRL1"));
    let fv = FinanceViews::new();
    d.app.open_screen(|_: &Ctx| Box::new(fv), d.backend);
    d.press("f6"); // US01
    d.press("/").typed(&account).press("enter").press("enter");
    assert_eq!(d.app.screen_name(), "finance_gl");
    let at = header_row(&d.screen(80, 24));
    // From the first line to the last, a page at a time.
    d.press("home");
    let mut pages = 0;
    let mut seen = std::collections::BTreeSet::new();
    loop {
        let s = d.screen(80, 24);
        assert_eq!(header_row(&s), at, "the columns moved:\n{s}");
        let r = rows(&s);
        seen.extend(r.iter().map(|x| (x.1.len(), x.2.len())));
        pages += 1;
        let last = r.last().map(|x| x.1.clone());
        d.press("pagedown");
        if rows(&d.screen(80, 24)).last().map(|x| x.1.clone()) == last {
            break;
        }
        assert!(pages < 10_000);
    }
    // The pages did show balances of different widths.
    assert!(seen.len() > 1, "{account}: {pages} pages, widths {seen:?}");
}
