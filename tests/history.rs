//! `depot demo --history` (issue 23) generates the patterns its doc
//! comment promises, all through commands: suppliers whose lead times
//! drift, stock-outs that make orders wait, damaged receipts and returns,
//! cycle counts with variances; and the generated store still keeps
//! every invariant `depot check` checks (the ledger balances).

use chrono::{Duration, NaiveDate};
use depot::core::counts::{CountStatus, Reason};
use depot::core::returns::Disposition;
use depot::core::State;
use depot::history::{generate, HistorySpec, SUPPLIERS};
use rust_decimal::Decimal;

fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date")
}

/// Mean lead time (days from the PO to its receipt) of a supplier's
/// receipts dated in [from, to).
fn mean_lead(s: &State, supplier: &str, from: NaiveDate, to: NaiveDate) -> Option<f64> {
    let leads: Vec<f64> = s
        .goods_receipts
        .values()
        .filter(|g| g.supplier == supplier && g.date >= from && g.date < to)
        .filter_map(|g| {
            let po = s.purchase_orders.get(&g.po)?;
            Some((g.date - po.date).num_days() as f64)
        })
        .collect();
    (!leads.is_empty()).then(|| leads.iter().sum::<f64>() / leads.len() as f64)
}

#[test]
fn a_year_of_history_has_drifting_suppliers_damage_counts_and_stock_outs() {
    let h = generate(HistorySpec::new(12, 7, end())).expect("history");
    let s = &h.state;
    if let Err(v) = depot::core::invariants::check_state(s) {
        panic!("{v:?}");
    }

    // Lead times: the drifting supplier's last quarter is well behind its
    // first; the steady one's is not.
    let q1 = (h.start, h.start + Duration::days(91));
    let q4 = (end() - Duration::days(91), end() + Duration::days(1));
    let lead = |code: &str, q: (NaiveDate, NaiveDate)| {
        mean_lead(s, code, q.0, q.1).unwrap_or_else(|| panic!("no receipts of {code} in {q:?}"))
    };
    let (steady, drifting) = (SUPPLIERS[0].0, SUPPLIERS[1].0);
    let (d1, d4) = (lead(drifting, q1), lead(drifting, q4));
    assert!(d4 > d1 + 6.0, "{drifting}: {d1:.1} days then {d4:.1}");
    let (s1, s4) = (lead(steady, q1), lead(steady, q4));
    assert!((s4 - s1).abs() < 2.0, "{steady}: {s1:.1} days then {s4:.1}");
    // The erratic supplier's lead times spread far more than the steady's.
    let spread = |code: &str| {
        let v: Vec<i64> = s
            .goods_receipts
            .values()
            .filter(|g| g.supplier == code)
            .filter_map(|g| Some((g.date - s.purchase_orders.get(&g.po)?.date).num_days()))
            .collect();
        v.iter().max().copied().unwrap_or(0) - v.iter().min().copied().unwrap_or(0)
    };
    assert!(spread(SUPPLIERS[2].0) > spread(steady) + 6);

    // Stock ran short: lines were backordered (the KPI records their
    // promises while open), and orders of items short when placed shipped
    // late more often than the others.
    let ctx = depot::models::late::Context::new(s);
    let (mut short, mut short_late, mut full, mut full_late) = (0, 0, 0, 0);
    for o in s.orders.values_sorted() {
        let Some(late) = ctx.late(o) else { continue };
        if ctx.short.get(o.number.as_str()).is_some_and(|x| x.0 > 0.0) {
            short += 1;
            short_late += usize::from(late);
        } else {
            full += 1;
            full_late += usize::from(late);
        }
    }
    assert!(short > 50, "{short} orders short when placed");
    let rate = |late: usize, n: usize| late as f64 / n.max(1) as f64;
    assert!(
        rate(short_late, short) > rate(full_late, full) + 0.1,
        "late: {short_late} of {short} short, {full_late} of {full} not"
    );

    // Damage: receipts into quarantine, written off with reason damage;
    // customer returns scrapped.
    let quarantined = s
        .goods_receipts
        .values()
        .filter(|g| {
            s.bins
                .get(&(g.warehouse.clone(), g.bin.clone()))
                .map(|b| b.kind)
                == Some(depot::core::master::BinKind::Quarantine)
        })
        .count();
    assert!(quarantined > 5, "{quarantined} damaged receipts");
    let written_off = s
        .counts
        .values()
        .filter(|c| c.manual && c.reason == Some(Reason::Damage) && c.variance < Decimal::ZERO)
        .count();
    assert_eq!(written_off > 0, quarantined > 0);
    assert!(written_off >= quarantined, "{written_off} write-offs");
    let scrapped = s
        .returns
        .values()
        .flat_map(|r| &r.lines)
        .filter(|l| l.disposition == Disposition::Scrap && l.received > Decimal::ZERO)
        .count();
    assert!(scrapped > 5, "{scrapped} damaged returns");

    // Counts: scheduled counts settled, some with variances posted with a
    // reason (shrinkage mostly, a unit found now and then), the rest right.
    let counted: Vec<_> = s
        .counts
        .values()
        .filter(|c| !c.manual && c.status == CountStatus::Posted)
        .collect();
    let shrink = counted
        .iter()
        .filter(|c| c.variance < Decimal::ZERO && c.reason == Some(Reason::Theft))
        .count();
    let found = counted
        .iter()
        .filter(|c| c.variance > Decimal::ZERO && c.reason == Some(Reason::Found))
        .count();
    let right = counted.iter().filter(|c| c.accurate == Some(true)).count();
    assert!(
        shrink > 10 && found > 0 && right > shrink,
        "{shrink} short, {found} found, {right} right of {}",
        counted.len()
    );
    // Shrinkage is not even: SAFETY loses more per count than the rest.
    let loss_rate = |safety: bool| {
        let c: Vec<_> = counted
            .iter()
            .filter(|c| {
                s.items
                    .get(&c.sku)
                    .is_some_and(|i| (i.category.as_str() == "SAFETY") == safety)
            })
            .collect();
        c.iter().filter(|c| c.variance < Decimal::ZERO).count() as f64 / c.len().max(1) as f64
    };
    assert!(loss_rate(true) > loss_rate(false) + 0.1);
}
