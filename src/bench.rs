//! `depot bench`: throughput and reopen figures for docs/performance.md.
//! Benchmarks measure; tests never assert on time.

use crate::cli::BenchCmd;
use crate::core::master::*;
use crate::core::types::Currency;
use crate::core::{execute, Command, CommandBody, State};
use crate::engine::{Engine, EngineConfig, Submission};
use crate::store::Store;
use anyhow::{anyhow, bail, Result};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

pub fn run(which: BenchCmd) -> Result<ExitCode> {
    match which {
        BenchCmd::Commands {
            count,
            submitters,
            durable,
        } => commands(count, submitters, durable),
        BenchCmd::Reopen { events } => reopen(events),
        BenchCmd::Ledger { lines, keep } => crate::bench_ledger::run(lines, keep.as_deref()),
        BenchCmd::O2c {
            cycles,
            durable,
            submitters,
            publish_every,
        } => crate::bench_o2c::run(cycles, durable, submitters, publish_every),
        BenchCmd::Screens { .. } => bail!("depot bench screens runs on the store of --data-dir"),
        BenchCmd::Serve { .. } => bail!("depot bench serve is handled by the command line"),
        BenchCmd::Documents { rounds, open_items } => crate::bench_docs::run(rounds, open_items),
        BenchCmd::Models { .. } => bail!("depot bench models runs on the store of --data-dir"),
    }
}

/// A scratch store directory, removed when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);
impl TempDir {
    pub(crate) fn new(tag: &str) -> Result<TempDir> {
        let p = std::env::temp_dir().join(format!("depot-bench-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn admin() -> CommandBody {
    CommandBody::CreateOperator(Operator::admin("ADMIN", "Bench admin"))
}

fn terms(n: u64) -> CommandBody {
    CommandBody::CreatePaymentTerms(PaymentTerms {
        code: format!("T{n}").into(),
        description: format!("net {} days", n % 90),
        net_days: (n % 90) as u32,
        discount_days: 0,
        discount_pct: Decimal::ZERO,
    })
}

fn sub(body: CommandBody) -> Submission {
    Submission {
        operator: "ADMIN".into(),
        session: "bench".into(),
        key: None,
        body,
    }
}

fn commands(count: u64, submitters: usize, durable: bool) -> Result<ExitCode> {
    if submitters == 0 || count == 0 {
        bail!("--count and --submitters must be at least 1");
    }
    let dir = TempDir::new("commands")?;
    let engine = Engine::start(
        Store::open(&dir.0).map_err(|e| anyhow!("{e}"))?,
        EngineConfig::default(),
    )
    .map_err(|e| anyhow!("{e}"))?;
    engine.submit(sub(admin())).map_err(|e| anyhow!("{e}"))?;
    let per = count / submitters as u64;
    let start = Instant::now();
    let mut latencies: Vec<u128> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..submitters)
            .map(|t| {
                let engine = engine.clone();
                s.spawn(move || {
                    let mut lat = Vec::with_capacity(per as usize);
                    for i in 0..per {
                        let t0 = Instant::now();
                        let r = engine.submit(sub(terms(t as u64 * per + i)));
                        if !matches!(r, Ok(ref reply) if reply.outcome.is_ok()) {
                            return Err(anyhow!("command refused during the bench: {r:?}"));
                        }
                        lat.push(t0.elapsed().as_micros());
                    }
                    Ok(lat)
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            match h.join() {
                Ok(Ok(l)) => all.extend(l),
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(anyhow!("a submitter panicked")),
            }
        }
        Ok(all)
    })?;
    let secs = start.elapsed().as_secs_f64();
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0)
    };
    let n = per * submitters as u64;
    crate::say!(
        "bench commands: {n} durable={durable} submitters={submitters}: {:.0} commands/s; ack latency p50 {} us, p99 {} us",
        n as f64 / secs,
        pct(0.5),
        pct(0.99)
    );
    crate::say!("reproduce: depot bench commands --count {count} --submitters {submitters}");
    Ok(ExitCode::SUCCESS)
}

fn fixed_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// The minimal world for opening-stock postings: entity, accounts, rules, periods, bin, item.
fn setup() -> Vec<CommandBody> {
    let e = "E1".to_string();
    let acct = |code: &str, kind, control| {
        CommandBody::CreateAccount(Account {
            entity: e.clone().into(),
            code: code.into(),
            name: code.into(),
            kind,
            control,
        })
    };
    vec![
        admin(),
        CommandBody::CreateEntity(Entity {
            code: e.clone().into(),
            name: "Bench entity".into(),
            base_currency: Currency::new("USD"),
            tax_jurisdiction: "US-TX".into(),
            fiscal_year_start_month: 1,
            adjustment_approval_limit: Decimal::ZERO,
            po_approval_limit: Decimal::ZERO,
        }),
        acct("1300", AccountKind::Asset, Some(Control::Inventory)),
        acct("3900", AccountKind::Equity, None),
        CommandBody::SetPostingRule {
            entity: e.clone().into(),
            key: PostingKey::Inventory,
            account: "1300".into(),
        },
        CommandBody::SetPostingRule {
            entity: e.clone().into(),
            key: PostingKey::OpeningBalance,
            account: "3900".into(),
        },
        CommandBody::DefineFiscalYear {
            entity: e.clone().into(),
            year: 2026,
        },
        CommandBody::CreateWarehouse(Warehouse {
            code: "W1".into(),
            entity: e.into(),
            name: "Bench".into(),
            address: Address::default(),
        }),
        CommandBody::CreateBin(Bin {
            warehouse: "W1".into(),
            code: "B1".into(),
            zone: "A".into(),
            aisle: "01".into(),
            pick_seq: 1,
            kind: BinKind::PickFace,
        }),
        // An item's tax class is one a tax code carries.
        CommandBody::CreateTaxCode(TaxCode {
            code: "TX-STD".into(),
            jurisdiction: "US-TX".into(),
            tax_class: "STD".into(),
            rate_pct: Decimal::new(825, 2),
            description: "Texas sales tax".into(),
        }),
        CommandBody::CreateItem(Item {
            sku: "SKU1".into(),
            description: "Bench item".into(),
            base_unit: "EA".into(),
            qty_decimals: 0,
            alt_units: vec![],
            barcodes: vec![],
            weight_kg: Decimal::ONE,
            tax_class: "STD".into(),
            abc: Abc::A,
            category: "BENCH".into(),
            lot_tracked: false,
            margin_floor_pct: None,
            active: true,
        }),
    ]
}

fn stock_post(n: u64) -> CommandBody {
    CommandBody::PostOpeningStock {
        warehouse: "W1".into(),
        bin: "B1".into(),
        sku: "SKU1".into(),
        qty: Decimal::from(1 + n % 7),
        unit: None,
        unit_cost: Decimal::new(125 + (n % 100) as i64, 2),
        lot: None,
        date: None,
        expiry: None,
    }
}

/// Write `events` records straight into a store (decide + apply in process,
/// appended in batches of 10,000 with one flush each).
fn build_store(dir: &Path, events: u64) -> Result<State> {
    let store = Store::open(dir).map_err(|e| anyhow!("{e}"))?;
    let mut state = State::default();
    let time = fixed_time();
    let bodies = setup();
    let mut batch = Vec::with_capacity(10_000);
    let total = events.max(bodies.len() as u64);
    for n in 0..total {
        let body = match bodies.get(n as usize) {
            Some(b) => b.clone(),
            None => stock_post(n),
        };
        let cmd = Command {
            operator: "ADMIN".into(),
            session: "bench".into(),
            time,
            key: None,
            body,
        };
        let env = execute(&mut state, &cmd).map_err(|r| anyhow!("bench setup refused: {r}"))?;
        batch.push(env);
        if batch.len() == 10_000 {
            store.append(&batch).map_err(|e| anyhow!("{e}"))?;
            batch.clear();
        }
    }
    store.append(&batch).map_err(|e| anyhow!("{e}"))?;
    store.flush().map_err(|e| anyhow!("{e}"))?;
    Ok(state)
}

fn reopen(events: u64) -> Result<ExitCode> {
    let dir = TempDir::new("reopen")?;
    let t0 = Instant::now();
    let built = build_store(&dir.0, events)?;
    crate::say!(
        "built a store of {events} records in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let time_recover = |label: &str| -> Result<()> {
        let t = Instant::now();
        let store = Store::open(&dir.0).map_err(|e| anyhow!("{e}"))?;
        let rec = store.recover().map_err(|e| anyhow!("{e}"))?;
        let secs = t.elapsed().as_secs_f64();
        if rec.state != built {
            bail!("recovered state differs from the built state");
        }
        crate::say!(
            "bench reopen: {events} events {label}: {secs:.3} s (snapshot at {:?}, replayed {})",
            rec.snapshot_seq,
            rec.replayed
        );
        Ok(())
    };
    time_recover("without snapshot")?;
    {
        let store = Store::open(&dir.0).map_err(|e| anyhow!("{e}"))?;
        store.save_snapshot(&built).map_err(|e| anyhow!("{e}"))?;
    }
    time_recover("with snapshot")?;
    crate::say!("reproduce: depot bench reopen --events {events}");
    Ok(ExitCode::SUCCESS)
}
