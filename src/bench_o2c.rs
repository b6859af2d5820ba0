//! `depot bench o2c`: full order-to-cash cycles (order of 3 lines,
//! allocate, release, pick x3, pack, ship, invoice, payment: 9 commands) over the
//! demo distributor, in memory (decide + apply) and durable through the
//! engine with K concurrent submitters (each its own customers).

use crate::core::cash::{ApplyTo, Method};
use crate::core::master::Operator;
use crate::core::sales::LineInput;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::{execute, Command, CommandBody, Event, Rejection, State};
use crate::engine::{Engine, EngineConfig, Submission};
use crate::store::Store;
use anyhow::{anyhow, bail, Result};
use rust_decimal::Decimal;
use std::process::ExitCode;
use std::time::Instant;

pub const ITEMS: [&str; 3] = ["FAS-1001", "ELE-1002", "SAF-1003"];
const BINS: [&str; 3] = ["A-01-01", "A-01-02", "A-01-03"];
/// Stock posted for the bench, per item: enough for any run.
const BENCH_STOCK: i64 = 100_000_000;

/// The commands that prepare a demo store for the bench: stock for the
/// three items in their own bins, and a bench operator with every role.
pub fn prepare(today: chrono::NaiveDate) -> Result<Vec<CommandBody>> {
    let mut out = crate::io::demo::commands(today, 0).map_err(|e| anyhow!("{e}"))?;
    out.push(CommandBody::CreateOperator(Operator::admin(
        "BENCH",
        "Bench operator",
    )));
    for (sku, bin) in ITEMS.iter().zip(BINS) {
        out.push(CommandBody::PostOpeningStock {
            warehouse: "CHI".into(),
            bin: bin.into(),
            sku: sku.to_string().into(),
            qty: Decimal::from(BENCH_STOCK),
            unit: None,
            unit_cost: Decimal::new(1250, 2),
            lot: None,
            date: Some(today),
            expiry: None,
        });
    }
    Ok(out)
}

/// US customers that can take a cycle (in stock, taxable, not exempt).
pub fn customers(s: &State) -> Vec<Code> {
    s.customers
        .values()
        .filter(|c| c.entity == "US01" && c.active && c.tax_exempt_cert.is_empty())
        .map(|c| c.code.clone())
        .collect()
}

/// One cycle through `run` (which submits a command and returns its
/// events); returns the number of commands. Without `pay` the invoice
/// stays open.
pub fn cycle(
    customer: &str,
    weights: &std::collections::BTreeMap<Code, Decimal>,
    pay: bool,
    run: &mut dyn FnMut(&str, CommandBody) -> Result<Vec<Event>>,
) -> Result<u64> {
    let lines: Vec<(String, Decimal)> = ITEMS
        .iter()
        .map(|sku| (sku.to_string(), Decimal::ONE))
        .collect();
    cycle_lines(
        customer,
        &lines,
        &|sku| weights.get(&sku.to_code()).copied().unwrap_or_default(),
        pay,
        run,
    )
}

/// One cycle of an order for `lines` (sku, base quantity) from CHI.
pub(crate) fn cycle_lines(
    customer: &str,
    lines: &[(String, Decimal)],
    weight: &dyn Fn(&str) -> Decimal,
    pay: bool,
    run: &mut dyn FnMut(&str, CommandBody) -> Result<Vec<Event>>,
) -> Result<u64> {
    let lines = lines
        .iter()
        .map(|(sku, qty)| LineInput {
            sku: sku.clone().into(),
            qty: *qty,
            unit: None,
            warehouse: "CHI".into(),
            price: None,
        })
        .collect();
    let ev = run(
        "BENCH",
        CommandBody::PlaceOrder {
            quote: false,
            customer: customer.into(),
            ship_to: None,
            customer_po: String::new(),
            requested: None,
            lines,
        },
    )?;
    let number = match ev.first() {
        Some(Event::OrderPlaced(o)) => {
            // A customer past its limit (the ledger bench leaves invoices
            // open): a supervisor releases the hold, as one would. (Not
            // ADMIN: the bench operator is an admin ADMIN made, so the
            // same person, who may not decide on its own order's hold.)
            for hold in &o.holds {
                run(
                    "SUP1",
                    CommandBody::ReleaseHold {
                        number: o.number.clone(),
                        hold: *hold,
                    },
                )?;
            }
            o.number.clone()
        }
        other => bail!("the order was not placed: {other:?}"),
    };
    let ev = run("BENCH", CommandBody::ReleaseOrder { number })?;
    let list = match ev.first() {
        Some(Event::PickListCreated(p)) => p.clone(),
        other => bail!("no pick list: {other:?}"),
    };
    for l in &list.lines {
        run("BENCH", CommandBody::pick_in_full(&list.number, l))?;
    }
    let mut contents = Vec::new();
    let mut kg = Decimal::ZERO;
    for l in &list.lines {
        contents.push(crate::core::pack::CartonInput {
            item: l.sku.to_string(),
            qty: Some(l.qty),
        });
        kg += l.qty * weight(&l.sku);
    }
    run(
        "BENCH",
        CommandBody::PackCarton {
            list: list.number.clone(),
            contents,
            weight: kg.round_dp(3),
            tare: Decimal::ZERO,
        },
    )?;
    let ev = run(
        "BENCH",
        CommandBody::ShipPick {
            list: list.number.clone(),
            carrier: "UPS".into(),
            service: "GND".into(),
            tracking: String::new(),
            freight: Decimal::new(950, 2),
        },
    )?;
    let shipment = match ev.first() {
        Some(Event::Shipped { shipment, .. }) => shipment.number.clone(),
        other => bail!("not shipped: {other:?}"),
    };
    let ev = run(
        "BENCH",
        CommandBody::InvoiceShipments {
            shipments: vec![shipment],
        },
    )?;
    let (invoice, total) = match ev.first() {
        Some(Event::Invoiced { invoice, .. }) => (invoice.number.clone(), invoice.total),
        other => bail!("not invoiced: {other:?}"),
    };
    if !pay {
        return Ok(5 + list.lines.len() as u64);
    }
    run(
        "BENCH",
        CommandBody::ReceivePayment {
            customer: customer.into(),
            method: Method::Transfer,
            amount: total,
            reference: invoice.to_string(),
            apply: vec![ApplyTo {
                invoice,
                amount: total,
                settle: false,
            }],
        },
    )?;
    Ok(6 + list.lines.len() as u64)
}

fn refused(r: Rejection) -> anyhow::Error {
    anyhow!("refused ({}): {r}", r.code())
}

pub fn run(cycles: u64, durable: bool, submitters: usize, publish_every: u64) -> Result<ExitCode> {
    if cycles == 0 || submitters == 0 {
        bail!("--cycles and --submitters must be at least 1");
    }
    let today = chrono::Utc::now().date_naive();
    // In memory: decide + apply, one thread.
    let mut state = State::default();
    let time = chrono::Utc::now();
    for body in prepare(today)? {
        let cmd = Command {
            operator: "ADMIN".into(),
            session: "bench".into(),
            time,
            key: None,
            body,
        };
        execute(&mut state, &cmd).map_err(refused)?;
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
    let weights = &weights;
    let base = state.clone();
    // The same cycles from the same start, with the KPI upkeep and
    // without it, alternately (three rounds each, the best of each): what
    // the upkeep costs per command. The rounds take turns at which runs
    // first, so that whatever the first run leaves warm for the second
    // (the allocator's free lists, the caches) is not all credited to one.
    let run_memory = |state: &mut State| -> Result<(u64, f64)> {
        let t = Instant::now();
        let mut commands = 0;
        // The copy a reader holds (the engine's published state): the
        // next change to a map copies the leaf it lands in.
        let mut published: Option<std::sync::Arc<State>> = None;
        let mut since = 0u64;
        for n in 0..cycles {
            let c = &custs[n as usize % custs.len()];
            commands += cycle(c, weights, true, &mut |op, body| {
                let cmd = Command {
                    operator: op.into(),
                    session: "bench".into(),
                    time,
                    key: None,
                    body,
                };
                since += 1;
                if publish_every > 0 && since >= publish_every {
                    since = 0;
                    published = Some(std::sync::Arc::new(state.clone()));
                }
                execute(state, &cmd)
                    .map(|e| match e.outcome {
                        crate::core::Outcome::Committed(ev) => ev,
                        crate::core::Outcome::Rejected(_) => Vec::new(),
                    })
                    .map_err(refused)
            })?;
        }
        drop(published);
        Ok((commands, t.elapsed().as_secs_f64()))
    };
    let (mut with, mut without) = (f64::MAX, f64::MAX);
    let mut commands = 0;
    for round in 0..3 {
        for upkeep in [round % 2 == 0, round % 2 != 0] {
            crate::core::kpi::set_upkeep(upkeep);
            let mut st = base.clone();
            let r = run_memory(&mut st);
            crate::core::kpi::set_upkeep(true);
            let (n, secs) = r?;
            if upkeep {
                crate::core::invariants::check_state(&st)
                    .map_err(|v| anyhow!("after the bench: {v}"))?;
                commands = n;
                with = with.min(secs);
            } else {
                without = without.min(secs);
            }
        }
    }
    crate::say!(
        "bench o2c in memory{}: {cycles} cycles ({commands} commands) in {with:.2} s: {:.0} cycles/s",
        match publish_every {
            0 => String::new(),
            n => format!(", the state published every {n} commands"),
        },
        cycles as f64 / with
    );
    crate::say!(
        "  without the KPI upkeep: {without:.2} s, {:.0} cycles/s; the upkeep costs {:.2} µs per command ({:.1} %)",
        cycles as f64 / without,
        (with - without) * 1e6 / commands.max(1) as f64,
        (with - without) * 100.0 / without
    );
    if !durable {
        crate::say!(
            "reproduce: depot bench o2c --cycles {cycles}{}",
            match publish_every {
                0 => String::new(),
                n => format!(" --publish-every {n}"),
            }
        );
        return Ok(ExitCode::SUCCESS);
    }

    // Durable: the engine, K submitters, each with its own customers.
    let dir = crate::bench::TempDir::new("o2c")?;
    let engine = Engine::start(
        Store::open(&dir.0).map_err(|e| anyhow!("{e}"))?,
        EngineConfig::default(),
    )
    .map_err(|e| anyhow!("{e}"))?;
    let setup: Vec<Submission> = prepare(today)?
        .into_iter()
        .map(|body| Submission {
            operator: "ADMIN".into(),
            session: "bench".into(),
            key: None,
            body,
        })
        .collect();
    engine.submit_all(setup).map_err(|e| anyhow!("{e}"))?;
    drop(base);
    let per = (cycles / submitters as u64).max(1);
    let (first_seq, flushes_before) = engine
        .with_store(|s| Ok::<_, crate::store::StoreError>((s.last_seq()? + 1, s.flushes())))
        .map_err(|e| anyhow!("{e}"))?
        .map_err(|e| anyhow!("{e}"))?;
    let t = Instant::now();
    let total = std::thread::scope(|scope| -> Result<(u64, Vec<u32>)> {
        let handles: Vec<_> = (0..submitters)
            .map(|k| {
                let engine = engine.clone();
                let mine: Vec<Code> = custs.iter().skip(k).step_by(submitters).cloned().collect();
                let mine = if mine.is_empty() {
                    vec![custs[k % custs.len()].clone()]
                } else {
                    mine
                };
                scope.spawn(move || -> Result<(u64, Vec<u32>)> {
                    let mut n = 0;
                    // Acknowledge latency of every command, in microseconds.
                    let mut lat = Vec::with_capacity(per as usize * 9);
                    for i in 0..per {
                        n += cycle(
                            &mine[i as usize % mine.len()],
                            weights,
                            true,
                            &mut |op, body| {
                                let t = Instant::now();
                                let r = engine
                                    .submit(Submission {
                                        operator: op.into(),
                                        session: format!("bench-{k}"),
                                        key: None,
                                        body,
                                    })
                                    .map_err(|e| anyhow!("{e}"))?;
                                lat.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
                                r.outcome.map_err(refused)
                            },
                        )?;
                    }
                    Ok((n, lat))
                })
            })
            .collect();
        let mut sum = 0;
        let mut lat = Vec::new();
        for h in handles {
            let (n, l) = h.join().map_err(|_| anyhow!("a submitter panicked"))??;
            sum += n;
            lat.extend(l);
        }
        Ok((sum, lat))
    })?;
    let (total, mut lat) = total;
    lat.sort_unstable();
    // Per mille, so that p99.9 can be asked for.
    let pct = |p: usize| {
        lat.get((lat.len() * p / 1000).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    let stalls = lat.iter().filter(|&&us| us > 50_000).count();
    let secs = t.elapsed().as_secs_f64();
    let done = per * submitters as u64;
    crate::say!(
        "bench o2c durable: {done} cycles ({total} commands) with {submitters} submitters in {secs:.2} s: {:.0} cycles/s, {:.0} commands/s",
        done as f64 / secs,
        total as f64 / secs
    );
    crate::say!(
        "acknowledge latency under that load: p50 {} µs, p99 {} µs, p99.9 {} µs, max {} µs ({} commands, {stalls} over 50 ms)",
        pct(500),
        pct(990),
        pct(999),
        lat.last().copied().unwrap_or(0),
        lat.len()
    );
    crate::say!("{}", engine.stats().report());
    // The ceiling: the same record bytes appended to a bare sled tree with
    // the same group-commit cadence (records per flush), nothing else.
    let (records, flushes) = engine
        .with_store(|s| -> Result<(Vec<Vec<u8>>, u64)> {
            let last = s.last_seq().map_err(|e| anyhow!("{e}"))?;
            let mut out = Vec::with_capacity((last + 1).saturating_sub(first_seq) as usize);
            for seq in first_seq..=last {
                if let Some(b) = s
                    .read_raw(crate::store::RawTree::Log, seq)
                    .map_err(|e| anyhow!("{e}"))?
                {
                    out.push(b);
                }
            }
            Ok((out, s.flushes() - flushes_before))
        })
        .map_err(|e| anyhow!("{e}"))??;
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    let per_flush = (records.len() as u64).div_ceil(flushes.max(1)).max(1) as usize;
    let (_raw_dir, db, tree) = bare_log("o2c-raw")?;
    let t = Instant::now();
    for (i, chunk) in records.chunks(per_flush).enumerate() {
        let mut batch = sled::Batch::default();
        for (j, r) in chunk.iter().enumerate() {
            let seq = first_seq + (i * per_flush + j) as u64;
            batch.insert(&seq.to_be_bytes(), r.as_slice());
        }
        tree.apply_batch(batch).map_err(|e| anyhow!("{e}"))?;
        db.flush().map_err(|e| anyhow!("{e}"))?;
    }
    let raw_secs = t.elapsed().as_secs_f64();
    let raw_rate = records.len() as f64 / raw_secs;
    let ours = total as f64 / secs;
    crate::say!(
        "raw sled ceiling: {} records ({} MB) in {} flushes of {per_flush} in {raw_secs:.2} s: {raw_rate:.0} records/s; depot durable is {:.0} % of it",
        records.len(),
        records.iter().map(Vec::len).sum::<usize>() / 1_000_000,
        flushes,
        100.0 * ours / raw_rate
    );
    // The same records from as many threads as submitters, each waiting
    // for its own flush, through the least a group commit needs (one
    // channel in, one flush per group, one wake out): what the hand-offs
    // of a thread per session cost on this machine, without depot.
    let (threaded_secs, threaded_flushes) = threaded_ceiling(&records, first_seq, submitters)?;
    let threaded_rate = records.len() as f64 / threaded_secs;
    crate::say!(
        "threaded sled ceiling: the same records from {submitters} threads, each waiting for its flush, in {threaded_flushes} flushes in {threaded_secs:.2} s: {threaded_rate:.0} records/s; depot durable is {:.0} % of it",
        100.0 * ours / threaded_rate
    );
    crate::say!("reproduce: depot bench o2c --cycles {cycles} --durable --submitters {submitters}");
    Ok(ExitCode::SUCCESS)
}

/// A bare sled store in a temporary directory (removed when the first
/// value drops) and its log tree: what the ceilings append to.
fn bare_log(name: &str) -> Result<(crate::bench::TempDir, sled::Db, sled::Tree)> {
    let dir = crate::bench::TempDir::new(name)?;
    let db = sled::Config::new()
        .path(&dir.0)
        .open()
        .map_err(|e| anyhow!("{e}"))?;
    let tree = db.open_tree("log").map_err(|e| anyhow!("{e}"))?;
    Ok((dir, db, tree))
}

/// `records` appended to a bare sled tree by `threads` threads, each
/// sending its share one record at a time and waiting until that record
/// is flushed; one writer appends and flushes whatever has queued. Returns
/// the seconds taken and the flushes made.
fn threaded_ceiling(records: &[Vec<u8>], first_seq: u64, threads: usize) -> Result<(f64, u64)> {
    use std::sync::mpsc;
    let (_dir, db, tree) = bare_log("o2c-threaded")?;
    let t = Instant::now();
    let flushes = std::thread::scope(|scope| -> Result<u64> {
        let (tx, rx) = mpsc::channel::<(&[u8], mpsc::Sender<()>)>();
        let writer = scope.spawn(move || -> Result<u64> {
            let mut seq = first_seq;
            let mut flushes = 0;
            while let Ok(first) = rx.recv() {
                let mut group = vec![first];
                while let Ok(next) = rx.try_recv() {
                    group.push(next);
                }
                let mut batch = sled::Batch::default();
                for (r, _) in &group {
                    batch.insert(&seq.to_be_bytes(), *r);
                    seq += 1;
                }
                tree.apply_batch(batch).map_err(|e| anyhow!("{e}"))?;
                db.flush().map_err(|e| anyhow!("{e}"))?;
                flushes += 1;
                for (_, reply) in group {
                    let _ = reply.send(());
                }
            }
            Ok(flushes)
        });
        let senders: Vec<_> = (0..threads.max(1))
            .map(|k| {
                let tx = tx.clone();
                scope.spawn(move || -> Result<()> {
                    let (reply, answer) = mpsc::channel();
                    for r in records.iter().skip(k).step_by(threads.max(1)) {
                        tx.send((r.as_slice(), reply.clone()))
                            .map_err(|_| anyhow!("the ceiling's writer stopped"))?;
                        answer
                            .recv()
                            .map_err(|_| anyhow!("the ceiling's writer stopped"))?;
                    }
                    Ok(())
                })
            })
            .collect();
        drop(tx);
        for s in senders {
            s.join()
                .map_err(|_| anyhow!("a ceiling thread panicked"))??;
        }
        writer
            .join()
            .map_err(|_| anyhow!("the ceiling's writer panicked"))?
    })?;
    Ok((t.elapsed().as_secs_f64(), flushes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// What the engine relies on when it publishes the state after every
    /// batch and goes on changing its own: the published copy never sees a
    /// later change, though its maps and documents (`Shared`) are shared
    /// until written. Each command of two cycles runs after a publish; the
    /// published copy's bytes must be what they were when it was taken.
    #[test]
    fn a_published_state_keeps_its_documents_while_the_next_batch_changes_them() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let time = chrono::Utc::now();
        let mut state = State::default();
        let command = |op: &str, body| Command {
            operator: op.into(),
            session: "test".into(),
            time,
            key: None,
            body,
        };
        for body in prepare(today).expect("prepare") {
            execute(&mut state, &command("ADMIN", body)).expect("setup");
        }
        let custs = customers(&state);
        let weights: std::collections::BTreeMap<Code, Decimal> = ITEMS
            .iter()
            .filter_map(|sku| {
                state
                    .items
                    .get(&sku.to_code())
                    .map(|i| (i.sku.clone(), i.weight_kg))
            })
            .collect();
        let bytes = |s: &State| {
            bincode::serde::encode_to_vec(s, bincode::config::standard()).expect("encode")
        };
        let mut published = Vec::new();
        for c in custs.iter().take(2) {
            cycle(c, &weights, true, &mut |op, body| {
                let before = Arc::new(state.clone());
                published.push((bytes(&before), before));
                match execute(&mut state, &command(op, body))
                    .map_err(refused)?
                    .outcome
                {
                    crate::core::Outcome::Committed(ev) => Ok(ev),
                    crate::core::Outcome::Rejected(r) => Err(refused(r)),
                }
            })
            .expect("cycle");
        }
        assert_eq!(published.len(), 18);
        for (i, (then, copy)) in published.iter().enumerate() {
            assert!(*then == bytes(copy), "published state {i} changed later");
        }
        // And the documents did change after each publish.
        let last = &published[published.len() - 1].1;
        assert!(last.orders.len() == state.orders.len() && bytes(last) != bytes(&state));
        let first = &published[0].1;
        assert_eq!(first.orders.len() + 2, state.orders.len());
    }
}
