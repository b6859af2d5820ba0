//! `depot bench documents`: time to build and render a document, in
//! memory on the demo distributor: an invoice of 5 lines and a customer
//! statement of N open items (the open items are copies of a demo
//! invoice under new numbers: rendering cost depends on the count, not
//! on where the invoices came from). Prints p50, p99 and max per job.

use crate::core::State;
use crate::docs::{build, pdf, text, BuildOptions, DocKind};
use anyhow::{anyhow, Result};
use chrono::NaiveDate;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The demo state with invoice `BENCH-INV` of `lines` lines and `open`
/// more open invoices of its customer; (state, customer).
pub fn bench_state(today: NaiveDate, lines: usize, open: usize) -> Result<(State, String)> {
    let mut s = crate::ui::testing::demo_state(today);
    let base = s
        .invoices
        .values_sorted()
        .into_iter()
        .find(|i| !i.lines.is_empty())
        .cloned()
        .ok_or_else(|| anyhow!("the demo has no invoice"))?;
    let customer = base.customer.clone();
    let mut inv = base.clone();
    inv.number = "BENCH-INV".into();
    let first = base
        .lines
        .first()
        .cloned()
        .ok_or_else(|| anyhow!("the demo invoice has no line"))?;
    inv.lines = (0..lines).map(|_| first.clone()).collect();
    s.invoices.insert(inv.number.clone(), inv);
    for n in 0..open {
        let mut i = base.clone();
        i.number = format!("BENCH-{n:05}").into();
        i.open = i.total;
        s.invoices.insert(i.number.clone(), i);
        crate::core::state::Indexes::add(
            &mut s.index.open_invoices,
            &customer,
            &format!("BENCH-{n:05}"),
        );
    }
    Ok((s, customer.to_string()))
}

fn report(what: &str, mut d: Vec<Duration>) {
    if d.is_empty() {
        crate::say!("{what:<44} no samples");
        return;
    }
    d.sort();
    let at = |p: f64| {
        let i = ((d.len() as f64 * p).ceil() as usize).clamp(1, d.len()) - 1;
        d.get(i).copied().unwrap_or_default()
    };
    let us = |x: Duration| x.as_secs_f64() * 1e6;
    crate::say!(
        "{what:<44} n={:<6} p50 {:>8.0} us  p99 {:>8.0} us  max {:>8.0} us",
        d.len(),
        us(at(0.5)),
        us(at(0.99)),
        us(d.last().copied().unwrap_or_default())
    );
}

fn time(rounds: usize, mut f: impl FnMut() -> Result<usize>) -> Result<(Vec<Duration>, usize)> {
    let mut out = Vec::with_capacity(rounds);
    let mut size = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        size = f()?;
        out.push(t.elapsed());
    }
    Ok((out, size))
}

pub fn run(rounds: usize, open_items: usize) -> Result<ExitCode> {
    let today = chrono::Utc::now().date_naive();
    let (s, customer) = bench_state(today, 5, open_items)?;
    let opts = BuildOptions { today, copy: false };
    let jobs: [(&str, DocKind, &str, bool); 4] = [
        (
            "invoice, 5 lines, build + text",
            DocKind::Invoice,
            "BENCH-INV",
            false,
        ),
        (
            "invoice, 5 lines, build + PDF",
            DocKind::Invoice,
            "BENCH-INV",
            true,
        ),
        (
            "statement, build + text",
            DocKind::Statement,
            &customer,
            false,
        ),
        (
            "statement, build + PDF",
            DocKind::Statement,
            &customer,
            true,
        ),
    ];
    for (what, kind, doc, is_pdf) in jobs {
        let (d, size) = time(rounds, || {
            let d = build(&s, kind, doc, opts).map_err(|e| anyhow!("{e}"))?;
            Ok(if is_pdf {
                pdf::render(&d).map_err(|e| anyhow!("{e}"))?.len()
            } else {
                text::render(&d).len()
            })
        })?;
        let label = if kind == DocKind::Statement {
            format!("{what} ({open_items} open items, {size} B)")
        } else {
            format!("{what} ({size} B)")
        };
        report(&label, d);
    }
    let d = build(&s, DocKind::Statement, &customer, opts).map_err(|e| anyhow!("{e}"))?;
    crate::say!(
        "statement of {} rows: {} PDF pages",
        d.rows.len(),
        pdf::page_count(&d)
    );
    Ok(ExitCode::SUCCESS)
}
