//! `depot bench ledger`: trial balance and AR aging on a store of at least
//! N journal lines, and the same ledger exported and balanced by
//! `hledger bal`, side by side.
//!
//! The history is order-to-cash cycles over the demo distributor spread
//! over the last 180 days; one cycle in three is left unpaid, so AR aging
//! has open invoices in every bucket.

use crate::bench_o2c::{customers, cycle, prepare, ITEMS};
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::{execute, Command, Envelope, Outcome, Rejection, State};
use crate::report::{build_with, Options};
use crate::store::Store;
use anyhow::{anyhow, bail, Result};
use rust_decimal::Decimal;
use std::process::ExitCode;
use std::time::Instant;

fn refused(r: Rejection) -> anyhow::Error {
    anyhow!("refused ({}): {r}", r.code())
}

/// Best and median of `runs` timings of `f`, in milliseconds.
fn time_ms(runs: usize, mut f: impl FnMut() -> Result<usize>) -> Result<(f64, f64, usize)> {
    let mut t = Vec::with_capacity(runs);
    let mut rows = 0;
    for _ in 0..runs {
        let s = Instant::now();
        rows = f()?;
        t.push(s.elapsed().as_secs_f64() * 1000.0);
    }
    t.sort_by(f64::total_cmp);
    Ok((t[0], t[t.len() / 2], rows))
}

/// Build, in memory, order-to-cash history over the demo distributor until
/// the ledger holds at least `lines` journal lines, spread over the 180 days
/// before `now`; one cycle in three is left unpaid. Every record goes to
/// `keep` (the bench appends them to a store). Returns the state and the
/// number of cycles. Also used by the criterion benches.
pub fn history(
    lines: u64,
    now: chrono::DateTime<chrono::Utc>,
    keep: &mut dyn FnMut(Envelope) -> Result<()>,
) -> Result<(State, u64)> {
    let span = chrono::Duration::days(180);
    let mut state = State::default();
    let mut exec = |state: &mut State,
                    operator: &str,
                    time: chrono::DateTime<chrono::Utc>,
                    body|
     -> Result<Vec<crate::core::Event>> {
        let cmd = Command {
            operator: operator.into(),
            session: "bench".into(),
            time,
            key: None,
            body,
        };
        let env = execute(state, &cmd).map_err(refused)?;
        let events = match &env.outcome {
            Outcome::Committed(ev) => ev.clone(),
            Outcome::Rejected(r) => return Err(refused(r.clone())),
        };
        keep(env)?;
        Ok(events)
    };
    let start = now - span;
    for body in prepare(start.date_naive())? {
        exec(&mut state, "ADMIN", start, body)?;
    }
    let custs = customers(&state);
    if custs.is_empty() {
        bail!("the demo has no customer to bench with");
    }
    let weights: std::collections::BTreeMap<Code, Decimal> = ITEMS
        .iter()
        .filter_map(|sku| {
            state
                .items
                .get(&sku.to_code())
                .map(|i| (i.sku.clone(), i.weight_kg))
        })
        .collect();
    // Lines per cycle, measured on the first; the history is spread evenly.
    let mut n = 0u64;
    let mut per_cycle = 0u64;
    while state.ledger.lines < lines {
        let estimate = lines.checked_div(per_cycle).unwrap_or(1).max(1);
        let at = start + span * (n.min(estimate) as i32) / (estimate as i32).max(1);
        let before = state.ledger.lines;
        let c = &custs[n as usize % custs.len()];
        cycle(c, &weights, n % 3 != 2, &mut |op, body| {
            exec(&mut state, op, at, body)
        })?;
        if per_cycle == 0 {
            per_cycle = (state.ledger.lines - before).max(1);
        }
        n += 1;
    }
    Ok((state, n))
}

pub fn run(lines: u64, keep: Option<&std::path::Path>) -> Result<ExitCode> {
    if lines == 0 {
        bail!("--lines must be at least 1");
    }
    let now = chrono::Utc::now();
    let today = now.date_naive();
    let scratch;
    let dir = match keep {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            if Store::is_store(d) {
                bail!(
                    "{} holds a store already: give an empty directory",
                    d.display()
                );
            }
            d.to_path_buf()
        }
        None => {
            scratch = crate::bench::TempDir::new("ledger")?;
            scratch.0.clone()
        }
    };
    let store = Store::open(&dir).map_err(|e| anyhow!("{e}"))?;
    let mut batch: Vec<Envelope> = Vec::with_capacity(10_000);
    let t = Instant::now();
    let (state, n) = history(lines, now, &mut |env| {
        batch.push(env);
        if batch.len() >= 10_000 {
            store.append(&batch).map_err(|e| anyhow!("{e}"))?;
            batch.clear();
        }
        Ok(())
    })?;
    store.append(&batch).map_err(|e| anyhow!("{e}"))?;
    store.flush().map_err(|e| anyhow!("{e}"))?;
    let open: usize = state.index.open_invoices.values().map(|s| s.len()).sum();
    crate::say!(
        "built {n} order-to-cash cycles: {} journal entries, {} journal lines, {open} open invoices, in {:.1} s",
        state.ledger.entries,
        state.ledger.lines,
        t.elapsed().as_secs_f64()
    );

    let o = Options::new(None, today);
    let (best, median, rows) = time_ms(5, || {
        build_with("trial-balance", &state, &o)
            .map(|t| t.rows.len())
            .map_err(|e| anyhow!("{e}"))
    })?;
    crate::say!(
        "bench ledger: trial-balance ({rows} rows): best {best:.2} ms, median {median:.2} ms"
    );
    let (best, median, rows) = time_ms(5, || {
        build_with("aging-ar", &state, &o)
            .map(|t| t.rows.len())
            .map_err(|e| anyhow!("{e}"))
    })?;
    crate::say!(
        "bench ledger: aging-ar ({rows} rows, {open} open invoices): best {best:.2} ms, median {median:.2} ms"
    );

    // The same ledger through hledger.
    let file = dir.join("ledger.journal");
    let t = Instant::now();
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file)?);
        crate::io::journal::export_journal(
            &state,
            store.scan(1),
            crate::io::journal::JournalFormat::Hledger,
            None,
            &mut w,
        )
        .map_err(|e| anyhow!("{e}"))?;
        std::io::Write::flush(&mut w)?;
    }
    crate::say!(
        "exported the hledger journal ({} MB) in {:.1} s",
        std::fs::metadata(&file)?.len() / 1_000_000,
        t.elapsed().as_secs_f64()
    );
    let hledger = std::process::Command::new("hledger")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if hledger {
        let (best, median, _) = time_ms(3, || {
            let out = std::process::Command::new("hledger")
                .args(["bal", "-f"])
                .arg(&file)
                .output()?;
            if !out.status.success() {
                bail!(
                    "hledger bal failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Ok(out.stdout.len())
        })?;
        crate::say!("bench ledger: hledger bal on the same ledger: best {best:.0} ms, median {median:.0} ms");
    } else {
        crate::say!("hledger is not installed: the side-by-side figure is missing");
    }
    crate::say!("reproduce: depot bench ledger --lines {lines}");
    Ok(ExitCode::SUCCESS)
}
