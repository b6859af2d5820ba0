//! Journal entries (the controller's screen): a manual entry typed line by
//! line, refused lines changing nothing, F10 posting after a confirm, and
//! F8 reversing an entry from the list. Before it, a manual entry could
//! only be posted with `depot exec`.

use depot::core::types::ToCode;
use depot::ui::testing::{Driver, MemBackend};
use rust_decimal::Decimal;

fn money(s: &str) -> Decimal {
    s.parse().expect("a decimal")
}

/// CTRL1 at Journal entries, F7, in US01 on the day, with a memo: the
/// lines prompt.
fn at_lines<'a>(b: &'a MemBackend, memo: &str) -> Driver<'a> {
    let mut d = Driver::new(b, Some("CTRL1"));
    d.open("Journal entries")
        .expect("the controller's menu has it");
    d.press("f7");
    assert_eq!(d.app.screen_name(), "journal_entry");
    d.typed("us01").press("enter");
    d.press("enter"); // today, proposed
    d.typed(memo).press("enter");
    d
}

#[test]
fn a_controller_posts_a_manual_entry_and_reverses_it() {
    let b = MemBackend::afternoon();
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Journal entries")
        .expect("the controller's menu has it");
    let s = d.screen(80, 24);
    assert!(s.contains("no entry posted by hand yet"), "{s}");
    assert!(
        d.app.key_bar().contains("F7 new entry"),
        "{}",
        d.app.key_bar()
    );
    d.press("f7");
    assert_eq!(d.app.screen_name(), "journal_entry");
    // An entity that is not one, then US01 typed over the proposal.
    let bells = d.app.bells;
    d.typed("XX99").press("enter").press("ctrl-u");
    d.typed("us01").press("enter");
    // A date that is not one, then today (proposed) taken.
    let s = d.screen(80, 24);
    assert!(s.contains("2026-11-25"), "today proposed: {s}");
    d.typed("2026-13-01").press("enter").press("ctrl-u");
    d.typed("2026-11-25").press("enter");
    // A memo is needed.
    d.press("enter");
    let s = d.screen(80, 24);
    assert_eq!(d.app.bells, bells + 3, "{s}");
    d.press("ctrl-u");
    d.typed("reclass freight coded to wages").press("enter");
    let n = b.log.borrow().len();
    // Bad lines: refused with the bell, nothing kept.
    let bells = d.app.bells;
    for bad in [
        "1100 50.00",   // receivables: a control account
        "2100 50.00",   // GRNI: open receipts must equal it
        "9999 5",       // no such account
        "6300 12.345",  // more decimals than the dollar has
        "6300 cr -5",   // a side said twice
        "6300 0",       // nothing
        "wages",        // nothing to balance yet
        "#!!garbled 4", // a garbled scan
        "fx 10",        // four accounts match
    ] {
        d.typed(bad).press("enter");
        let s = d.screen(80, 24);
        assert!(
            !s.contains("balanced") && !s.contains("out by"),
            "{bad} kept: {s}"
        );
        d.press("ctrl-u");
    }
    assert_eq!(d.app.bells, bells + 9);
    // GRNI refused in words that fit it (it said "a control account").
    d.typed("2100 50.00").press("enter");
    let s = d.screen(80, 24);
    assert!(
        s.contains("account 2100 is posted by its documents only"),
        "{s}"
    );
    d.press("ctrl-u");
    // Words of the name find the account; an account alone balances.
    d.typed("wages 1,250.00").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("6400") && s.contains("Warehouse wages"), "{s}");
    assert!(s.contains("out by 1,250.00"), "{s}");
    d.typed("freight out").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("balanced, F10 posts"), "{s}");
    assert_eq!(b.log.borrow().len(), n, "nothing committed while typing");
    d.press("f10");
    let q = d.app.confirm.clone().expect("asked first");
    assert!(
        q.contains(
            "Post to US01 on 2026-11-25 (FY2026-11): \"reclass freight coded to wages\", 2 lines, 1,250.00 USD?"
        ),
        "{q}"
    );
    d.press("y");
    assert_eq!(b.log.borrow().len(), n + 1);
    let number = {
        let st = b.state.borrow();
        assert_eq!(st.manual_journals.len(), 1);
        let j = st.manual_journals.values().next().expect("posted");
        assert_eq!(j.posted_by, "CTRL1");
        let lines: Vec<(String, Decimal, Decimal)> = j
            .journal
            .lines
            .iter()
            .map(|l| (l.account.to_string(), l.debit, l.credit))
            .collect();
        assert!(lines.contains(&("6400".into(), money("1250.00"), Decimal::ZERO)));
        assert!(lines.contains(&("6300".into(), Decimal::ZERO, money("1250.00"))));
        assert_eq!(j.journal.memo, "reclass freight coded to wages");
        j.number.to_string()
    };
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("{number} posted to US01")), "{s}");
    // Esc, just after the post: back to the list, where the entry is.
    d.press("esc");
    assert_eq!(d.app.screen_name(), "journals");
    let s = d.screen(80, 24);
    assert!(s.contains(&number) && s.contains("1,250.00 USD"), "{s}");
    assert!(
        s.contains("1 entry posted by hand, newest first: F7 new, F8 reverses the selected one"),
        "whole at 80 columns: {s}"
    );
    assert!(s.contains("Warehouse wages"), "the lines shown: {s}");
    // F8 reverses it: the date asked (today here: the day after its
    // period has not come), then a question only y answers.
    d.press("f8");
    let s = d.screen(80, 24);
    assert!(
        s.contains(&format!("reverse {number} dated 2026-11-25")),
        "{s}"
    );
    d.typed("2026-13-01").press("enter");
    assert!(d.app.confirm.is_none());
    assert!(d.screen(80, 24).contains("is not a date"));
    d.press("ctrl-u").typed("2026-11-25").press("enter");
    let q = d.app.confirm.clone().expect("asked first");
    assert!(
        q.contains(&format!(
            "Reverse {number} (reclass freight coded to wages, 1,250.00 USD) dated 2026-11-25?"
        )),
        "{q}"
    );
    d.press("enter");
    assert_eq!(b.state.borrow().manual_journals.len(), 1, "Enter keeps it");
    d.press("f8").press("enter").press("y");
    {
        let st = b.state.borrow();
        assert_eq!(st.manual_journals.len(), 2);
        let original = &st.manual_journals[&number.to_code()];
        let reversal = original.reversed_by.clone().expect("reversed");
        let r = &st.manual_journals[&reversal];
        assert_eq!(r.reverses.as_deref(), Some(number.as_str()));
        let wages: Decimal = r
            .journal
            .lines
            .iter()
            .filter(|l| l.account == "6400")
            .map(|l| l.credit - l.debit)
            .sum();
        assert_eq!(wages, money("1250.00"), "the wages credited back");
    }
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("reverses {number}")), "{s}");
    // The reversal, now selected, cannot be reversed: said, not asked.
    let (bells, n) = (d.app.bells, b.log.borrow().len());
    d.press("f8");
    assert!(d.app.confirm.is_none());
    assert_eq!(d.app.bells, bells + 1);
    let s = d.screen(80, 24);
    assert!(
        s.contains("is itself a reversal") && !s.contains("dated"),
        "{s}"
    );
    // The original, reversed already: said too.
    d.press("down").press("f8");
    assert!(d.app.confirm.is_none());
    assert!(d.screen(80, 24).contains("reversed already"));
    assert_eq!(b.log.borrow().len(), n);
}

#[test]
fn an_entry_out_of_balance_is_not_posted_until_it_balances() {
    let b = MemBackend::afternoon();
    let mut d = at_lines(&b, "bank fee accrual");
    d.typed("6500 100").press("enter");
    d.typed("6300 cr 90").press("enter");
    let n = b.log.borrow().len();
    d.press("f10");
    assert!(d.app.confirm.is_none(), "not asked");
    let s = d.screen(80, 24);
    assert!(s.contains("out by 10.00 (debits over)"), "{s}");
    // An account alone with the wrong side: refused.
    d.typed("6400 dr").press("enter");
    assert!(
        d.screen(80, 24)
            .contains("what balances the entry is a credit of 10.00"),
        "{}",
        d.screen(80, 24)
    );
    d.press("ctrl-u");
    // F9 takes the last line off; the account alone then takes 100.
    d.press("f9");
    d.typed("6300").press("enter");
    d.press("f10");
    let q = d.app.confirm.clone().expect("balanced: asked");
    assert!(q.contains("2 lines, 100.00 USD?"), "{q}");
    d.press("n");
    assert!(d.screen(80, 24).contains("not posted: the lines are kept"));
    assert_eq!(b.log.borrow().len(), n);
    // Leaving with lines asks, and only y leaves.
    d.press("esc");
    let q = d.app.confirm.clone().expect("asked");
    assert!(
        q.contains("Leave without posting this entry of 2 lines?"),
        "{q}"
    );
    d.press("enter");
    assert_eq!(d.app.screen_name(), "journal_entry");
    assert!(b.state.borrow().manual_journals.is_empty());
}

#[test]
fn only_those_who_post_journals_see_the_screen() {
    let b = MemBackend::afternoon();
    for op in ["PICK1", "REP1", "AR1", "AP1"] {
        let mut d = Driver::new(&b, Some(op));
        assert!(
            !d.screen(80, 24).contains("Journal entries"),
            "{op}: {}",
            d.screen(80, 24)
        );
    }
    let mut d = Driver::new(&b, Some("CTRL1"));
    assert!(d.screen(80, 24).contains("Journal entries"));
}

/// An accrual dated in last month is reversed on the first day of this
/// one by default: the reversal's date proposed is the day after the
/// entry's period.
#[test]
fn an_accrual_is_reversed_on_the_first_day_of_the_next_period() {
    let b = MemBackend::afternoon();
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Journal entries")
        .expect("the controller's menu has it");
    d.press("f7").typed("us01").press("enter");
    d.typed("2026-10-31").press("enter");
    d.typed("October wages accrued").press("enter");
    d.typed("wages 900").press("enter");
    // The demo's chart has a liability to accrue to.
    d.typed("accrued").press("enter");
    d.press("f10").press("y");
    {
        let st = b.state.borrow();
        assert_eq!(st.manual_journals.len(), 1);
        let j = st.manual_journals.values().next().expect("posted");
        assert!(j
            .journal
            .lines
            .iter()
            .any(|l| l.account == "2150" && l.credit == Decimal::from(900)));
    }
    d.press("esc");
    assert_eq!(d.app.screen_name(), "journals");
    d.press("f8");
    let s = d.screen(80, 24);
    assert!(s.contains("dated 2026-11-01"), "{s}");
    d.press("enter");
    let q = d.app.confirm.clone().expect("asked");
    assert!(q.contains("dated 2026-11-01?"), "{q}");
    d.press("y");
    let st = b.state.borrow();
    let r = st
        .manual_journals
        .values()
        .find(|j| j.reverses.is_some())
        .expect("reversed");
    assert_eq!(r.journal.date.to_string(), "2026-11-01");
    assert_eq!(r.journal.period, "FY2026-11");
}

/// After a refused date, Esc puts the proposed date back: it stepped back
/// to the entity, and the date typed next went into the entity's box.
#[test]
fn esc_after_a_refused_date_puts_the_proposal_back() {
    let b = MemBackend::afternoon();
    let mut d = Driver::new(&b, Some("CTRL1"));
    d.open("Journal entries")
        .expect("the controller's menu has it");
    d.press("f7").typed("us01").press("enter");
    d.typed("2030-01-01").press("enter");
    assert!(
        d.screen(80, 24).contains("no period"),
        "{}",
        d.screen(80, 24)
    );
    d.press("esc");
    let s = d.screen(80, 24);
    assert!(s.contains("date    2026-11-25"), "{s}");
    // Enter takes it; the memo is next, and the chart to post to shows
    // once the memo is in.
    d.press("enter").typed("reclass").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("accounts of US01 to post to"), "{s}");
    assert!(s.contains("6400 Warehouse wages"), "{s}");
    assert!(
        !s.contains("1100 Accounts receivable"),
        "a control account: {s}"
    );
    // An amount that is not one is refused as an amount, not as a word
    // of the account.
    for bad in ["6400 .5", "6400 $37.45", "6400 (37.45)", "6400 +5"] {
        d.typed(bad).press("enter");
        let s = d.screen(80, 24);
        assert!(!s.contains("has no account"), "{bad}: {s}");
        d.press("ctrl-u");
    }
}
