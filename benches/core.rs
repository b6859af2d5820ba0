//! Criterion benches of the in-memory paths of the core: what a command
//! costs before the store sees it. The durable figures (group commit,
//! fsync, the raw sled ceiling, latency under 64 submitters, reopen) come
//! from `depot bench`, which runs the engine and the store for real; see
//! docs/performance.md for both.
//!
//! Run all: `cargo bench --bench core`; one: `cargo bench --bench core -- o2c`.
//! Each bench prints its own reproduce line before it runs.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use depot::bench_o2c::{customers, cycle, prepare, ITEMS};
use depot::core::counter::{CounterLine, CounterPayment};
use depot::core::invariants::check_state;
use depot::core::types::Code;
use depot::core::types::ToCode;
use depot::core::{execute, Command, CommandBody, Event, Outcome, State};
use depot::report::{build_with, Options};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
        .single()
        .expect("a valid time")
}

fn today() -> NaiveDate {
    now().date_naive()
}

fn command(operator: &str, body: CommandBody) -> Command {
    Command {
        operator: operator.into(),
        session: "bench".into(),
        time: now(),
        key: None,
        body,
    }
}

/// Run one command; a refusal ends the bench (it would measure nothing).
fn run(state: &mut State, operator: &str, body: CommandBody) -> anyhow::Result<Vec<Event>> {
    let env = execute(state, &command(operator, body))
        .map_err(|r| anyhow::anyhow!("refused ({}): {r}", r.code()))?;
    match env.outcome {
        Outcome::Committed(ev) => Ok(ev),
        Outcome::Rejected(r) => anyhow::bail!("refused: {r}"),
    }
}

/// The demo distributor with bench stock and a bench operator.
fn demo() -> State {
    let mut s = State::default();
    for body in prepare(today()).expect("the demo commands") {
        run(&mut s, "ADMIN", body).expect("the demo applies");
    }
    s
}

fn weights(s: &State) -> BTreeMap<Code, Decimal> {
    ITEMS
        .iter()
        .filter_map(|sku| {
            s.items
                .get(&sku.to_code())
                .map(|i| (i.sku.clone(), i.weight_kg))
        })
        .collect()
}

fn reproduce(what: &str) {
    println!("reproduce: cargo bench --bench core -- {what}");
}

/// One order to cash (order of 3 lines, release, 3 picks, pack, ship,
/// invoice, payment: 9 commands) through decide + apply. Each sample starts
/// from the demo again so the state does not grow without bound.
fn o2c(c: &mut Criterion) {
    reproduce("o2c/cycle");
    let base = demo();
    let custs = customers(&base);
    let w = weights(&base);
    c.bench_function("o2c/cycle", |b| {
        b.iter_custom(|iters| {
            let mut s = base.clone();
            let start = Instant::now();
            for i in 0..iters {
                let cust = &custs[i as usize % custs.len()];
                let n =
                    cycle(cust, &w, true, &mut |op, body| run(&mut s, op, body)).expect("a cycle");
                black_box(n);
            }
            start.elapsed()
        })
    });
}

/// Placing one order of three lines (priced, credit-checked, reserved).
fn place_order(c: &mut Criterion) {
    reproduce("command/place_order");
    let base = demo();
    let custs = customers(&base);
    c.bench_function("command/place_order", |b| {
        b.iter_custom(|iters| {
            let mut s = base.clone();
            let start = Instant::now();
            for i in 0..iters {
                let body = CommandBody::PlaceOrder {
                    quote: false,
                    customer: custs[i as usize % custs.len()].clone(),
                    ship_to: None,
                    customer_po: String::new(),
                    requested: None,
                    lines: ITEMS
                        .iter()
                        .map(|sku| depot::core::sales::LineInput {
                            sku: sku.to_string().into(),
                            qty: Decimal::ONE,
                            unit: None,
                            warehouse: "CHI".into(),
                            price: None,
                        })
                        .collect(),
                };
                black_box(run(&mut s, "BENCH", body).expect("placed"));
            }
            start.elapsed()
        })
    });
}

fn counter_body(customer: &str) -> CommandBody {
    CommandBody::CounterSale {
        customer: customer.into(),
        warehouse: "CHI".into(),
        lines: vec![CounterLine {
            sku: ITEMS[0].into(),
            qty: Decimal::ONE,
            unit: None,
            price: None,
        }],
        payment: Some(CounterPayment {
            method: depot::core::cash::Method::Cash,
            amount: None,
            reference: String::new(),
        }),
        payments: Vec::new(),
    }
}

/// A counter sale (order, pick, ship, invoice and payment in one command),
/// decided on the demo and on a store with a history of 100,000 journal
/// lines: its cost must not grow with the history.
fn counter_sale(c: &mut Criterion) {
    reproduce("counter_sale");
    let mut group = c.benchmark_group("counter_sale");
    let demo_state = demo();
    let (history, _) =
        depot::bench_ledger::history(100_000, now(), &mut |_| Ok(())).expect("the history builds");
    for (name, base) in [("demo", demo_state), ("history_100k_lines", history)] {
        let custs = customers(&base);
        let cust = custs.first().cloned().expect("a customer");
        let cmd = command("BENCH", counter_body(&cust));
        group.bench_function(name, |b| {
            b.iter(|| black_box(depot::core::decide(&base, &cmd).expect("sold")))
        });
    }
    group.finish();
}

/// Every invariant of SPEC section 8 over the demo state (what the
/// simulation runs after each commit and `depot check` runs on a store).
fn invariants(c: &mut Criterion) {
    reproduce("check_state/demo");
    let s = demo();
    c.bench_function("check_state/demo", |b| {
        b.iter(|| black_box(check_state(&s).expect("the demo holds")))
    });
}

/// Trial balance and AR aging over a ledger of 1,000,000 journal lines
/// (built in memory first: about 20 s).
fn ledger_reports(c: &mut Criterion) {
    reproduce("ledger");
    let (s, _) = depot::bench_ledger::history(1_000_000, now(), &mut |_| Ok(()))
        .expect("the history builds");
    let o = Options::new(None, today());
    let mut group = c.benchmark_group("ledger_1m_lines");
    for report in ["trial-balance", "aging-ar"] {
        group.bench_function(report, |b| {
            b.iter(|| black_box(build_with(report, &s, &o).expect("the report")))
        });
    }
    group.finish();
}

/// What a scanner gun sends, parsed: a GTIN-13 and a GS1-128 with a lot.
fn scans(c: &mut Criterion) {
    reproduce("scan");
    let gs = '\u{1d}';
    let gs1 = format!("]C10104006381333931{gs}10LOT42{gs}3012");
    let mut group = c.benchmark_group("scan");
    group.bench_function("gtin13", |b| {
        b.iter(|| black_box(depot::core::scan::parse_scan(black_box("4006381333931"))))
    });
    group.bench_function("gs1_128", |b| {
        b.iter(|| black_box(depot::core::scan::parse_scan(black_box(&gs1))))
    });
    group.finish();
}

/// One committed record encoded for the log and decoded back (what the
/// writer does before append and what recovery does per record).
fn codec(c: &mut Criterion) {
    reproduce("record");
    let mut s = demo();
    let custs = customers(&s);
    let cmd = command("BENCH", counter_body(&custs[0]));
    let env = execute(&mut s, &cmd).expect("sold");
    let bytes = depot::store::codec::encode(env.seq, &env).expect("encodes");
    let mut group = c.benchmark_group("record");
    group.bench_function("encode_counter_sale", |b| {
        b.iter(|| black_box(depot::store::codec::encode(env.seq, black_box(&env))))
    });
    group.bench_function("decode_counter_sale", |b| {
        b.iter_batched(
            || bytes.clone(),
            |bytes| {
                black_box(depot::store::codec::decode_envelope(env.seq, &bytes).expect("decodes"))
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = o2c, place_order, counter_sale, invariants, ledger_reports, scans, codec
}
criterion_main!(benches);
