//! `depot bench models`: how long each model of `crate::models` takes to
//! train and score on the store in --data-dir (reopened, as `depot report
//! models` does), in the reader's thread on the engine's published view:
//! training never holds the writer. Each job runs `rounds` times; prints
//! its minimum, median and maximum in milliseconds.

use crate::models;
use anyhow::{anyhow, Result};
use chrono::Duration as Days;
use rust_decimal::Decimal;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn time<T>(rounds: usize, mut job: impl FnMut() -> T) -> (Vec<Duration>, Option<T>) {
    let mut d = Vec::with_capacity(rounds);
    let mut last = None;
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        let out = job();
        d.push(t.elapsed());
        last = Some(out);
    }
    (d, last)
}

fn report(what: &str, mut d: Vec<Duration>, note: &str) {
    d.sort();
    let ms = |x: Option<&Duration>| x.map(|x| x.as_secs_f64() * 1e3).unwrap_or(0.0);
    crate::say!(
        "{what:<46} n={:<3} min {:>9.1} ms  p50 {:>9.1} ms  max {:>9.1} ms  {note}",
        d.len(),
        ms(d.first()),
        ms(d.get(d.len() / 2)),
        ms(d.last()),
    );
}

pub fn run(dir: &Path, rounds: usize) -> Result<ExitCode> {
    let t = Instant::now();
    let engine = crate::cli::open_engine(dir)?;
    let opened = t.elapsed();
    let view = engine.view();
    let s = &*view.state;
    let end = models::last_day(s).ok_or_else(|| {
        anyhow!(
            "no order in the store in {}: make one with `depot demo --history 12m`",
            dir.display()
        )
    })?;
    let cutoff = end - Days::days(models::HOLDOUT_DAYS);
    crate::say!(
        "store {}: {} orders, {} invoices, {} items; reopened in {:.1} s; history to {end}, \
         cutoff {cutoff}; {} rounds{}",
        dir.display(),
        s.orders.len(),
        s.invoices.len(),
        s.items.len(),
        opened.as_secs_f64(),
        rounds,
        if cfg!(debug_assertions) {
            " (debug build)"
        } else {
            ""
        }
    );
    let (d, q) = time(rounds, || {
        models::forecast::evaluate(s, end, models::FORECAST_DAYS)
    });
    report(
        "forecast: fit every series, MASE held out",
        d,
        &q.flatten()
            .map(|q| format!("{} series", q.series))
            .unwrap_or_default(),
    );
    let today = end + Days::days(1);
    let sugg = crate::core::replenish::suggestions(s, today, None);
    let (d, a) = time(rounds, || models::replenish::advise(s, today, &sugg));
    report(
        "forecast beside the replenishment worklist",
        d,
        &format!(
            "{} of {} suggestions",
            a.map(|a| a.len()).unwrap_or(0),
            sugg.len()
        ),
    );
    let (d, q) = time(rounds, || {
        models::late::evaluate(s, cutoff, end - Days::days(7))
    });
    report(
        "late risk: train (logistic) + score held out",
        d,
        &q.flatten()
            .map(|q| format!("{} train, {} test", q.train, q.test))
            .unwrap_or_default(),
    );
    let (d, r) = time(rounds, || models::late::open_risks(s));
    report(
        "late risk: train on all + score open orders",
        d,
        &format!("{} open orders", r.map(|r| r.len()).unwrap_or(0)),
    );
    let (d, q) = time(rounds, || {
        models::collections::evaluate(s, cutoff, end, models::TOP_K)
    });
    report(
        "collections: history + rank held out",
        d,
        &q.flatten()
            .map(|q| format!("{} test invoices", q.test))
            .unwrap_or_default(),
    );
    let (d, q) = time(rounds, || {
        models::discrepancy::evaluate(s, cutoff, models::INJECT_SEED)
    });
    report(
        "discrepancies: learn + check held-out drafts",
        d,
        &q.flatten()
            .map(|q| format!("{} drafts", q.test))
            .unwrap_or_default(),
    );
    // Substitutes: one look-up per open order line (as order entry asks
    // for the selected short line).
    let needs: Vec<models::substitutes::Need> = s
        .orders
        .sorted()
        .into_iter()
        .rev()
        .flat_map(|(_, o)| {
            o.lines.iter().map(move |l| models::substitutes::Need {
                customer: o.customer.clone(),
                sku: l.sku.clone(),
                warehouse: l.warehouse.clone(),
                qty: l.qty.max(Decimal::ONE),
                date: end,
            })
        })
        .take(200)
        .collect();
    let (d, n) = time(rounds, || {
        needs
            .iter()
            .filter_map(|n| models::substitutes::substitutes(s, n).ok())
            .map(|v| v.len())
            .sum::<usize>()
    });
    report(
        &format!("substitutes: {} order lines", needs.len()),
        d,
        &format!("{} offered", n.unwrap_or(0)),
    );
    let (d, _) = time(rounds, || models::evaluate(s));
    report("all of `depot report models` (evaluate)", d, "");
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}
