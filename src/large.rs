//! `depot demo --scale large`: the demo distributor grown to a store that
//! has run for a year: 100,000 items, 10,000 customers and 1,000,000 order
//! lines of history, every one of them a command through the engine (so
//! the store is what a real year leaves: the log, snapshots, the indexes).
//!
//! The history is full order-to-cash cycles (order, release, pick, pack,
//! ship, invoice, payment) from K concurrent submitters, each with its own
//! customers, the engine's clock stepping from a year ago to today; one
//! invoice in ten of the last year is left open, so AR aging has something
//! in every bucket.
//!
//! More than a million order lines span more than a year: a year per
//! million (`--order-lines 10000000` is ten years). As the clock passes
//! each month, closed orders older than [`Spec::archive_after`] days are
//! archived with their documents, as an operator would keep a store of
//! years: what stays in memory is what is open and what the core decides
//! with, so ten years fit where one year of documents would not. Each
//! month's bank statement is reconciled first (a line per book item), so
//! that the bank lines of reconciled months are archived too.

use crate::bench_o2c::cycle_lines;
use crate::core::master::{Item, ListPrice, Operator};
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::{execute, Command, CommandBody, Event, Rejection, State};
use crate::engine::{Engine, EngineConfig, Submission};
use crate::store::Store;
use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, Datelike, Duration, Utc};
use rust_decimal::Decimal;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What to build.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub items: u64,
    pub customers: u64,
    pub order_lines: u64,
    pub lines_per_order: u64,
    pub submitters: usize,
    pub seed: u64,
    /// Archive closed orders older than this many days as the history is
    /// written (`None`: keep every document in memory).
    pub archive_after: Option<u32>,
    /// Days of history (`None`: [`span_days`] of the order lines).
    pub days: Option<u32>,
}

/// Days of history per million order lines.
const DAYS_PER_MILLION: i64 = 360;
/// The longest history built.
const MAX_DAYS: i64 = 36_500;
/// Orders archived by one command (the most `ArchiveClosed` takes).
const ARCHIVE_BATCH: u32 = 10_000;
/// Archiving runs when the generator's clock enters a new period of this
/// many days.
const ARCHIVE_EVERY_DAYS: u64 = 30;

/// The back-office extras a large store also holds, in proportion to its
/// history (a million order lines: a key account with 1,000 open invoices
/// for the cash application screen, and 10,000 orders waiting on credit
/// hold for the exception queue), at least one of each.
/// (A longer history does not mean more of them open at once: beyond a
/// million lines they stay at a million's.)
fn extras(order_lines: u64) -> (u64, u64) {
    let lines = order_lines.min(1_000_000);
    ((lines / 1_000).max(1), (lines / 100).max(1))
}

/// The days of history: a year per million order lines, at least a year.
pub fn span_days(order_lines: u64) -> i64 {
    DAYS_PER_MILLION * order_lines.div_ceil(1_000_000).max(1) as i64
}

/// The key account: every invoice of its own left open.
pub const KEY_ACCOUNT: &str = "GKEY";
/// Customers whose every order waits on credit hold (a limit of 1).
const HOLD_PREFIX: &str = "GHOLD";
/// Held orders per held customer.
const HOLDS_PER_CUSTOMER: u64 = 200;

impl Spec {
    pub fn large(seed: u64) -> Spec {
        Spec {
            items: 100_000,
            customers: 10_000,
            order_lines: 1_000_000,
            lines_per_order: 5,
            submitters: 16,
            seed,
            archive_after: Some(90),
            days: None,
        }
    }
}

/// What was built.
#[derive(Debug)]
pub struct Built {
    pub commands: u64,
    pub orders: u64,
    pub order_lines: u64,
    pub seconds: f64,
}

/// SplitMix64: a small deterministic generator (one per submitter here;
/// the simulation's random commands draw from it too).
pub struct Rng(pub u64);
impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

const ITEM_PREFIX: &str = "GEN-";
const CUSTOMER_PREFIX: &str = "G";
/// Opening stock per generated item: more than its share of the history.
const STOCK_PER_ITEM: i64 = 10_000;

fn sku(n: u64) -> String {
    format!("{ITEM_PREFIX}{n:06}")
}

/// Submit `bodies` in all-or-nothing batches.
fn load(engine: &Engine, bodies: Vec<CommandBody>, what: &str) -> Result<u64> {
    let n = bodies.len() as u64;
    let mut it = bodies.into_iter().peekable();
    while it.peek().is_some() {
        let batch: Vec<Submission> = it
            .by_ref()
            .take(5_000)
            .map(|body| Submission {
                operator: crate::io::demo::DEMO_ADMIN.into(),
                session: "generate".into(),
                key: None,
                body,
            })
            .collect();
        engine
            .submit_all(batch)
            .map_err(|e| anyhow!("loading {what}: {e}"))?;
    }
    Ok(n)
}

/// Submit one command as `operator` and wait for it: the engine's error
/// (it stopped) outside, the core's answer inside.
fn submit(
    engine: &Engine,
    operator: &str,
    session: String,
    body: CommandBody,
) -> Result<Result<Vec<Event>, Rejection>> {
    let reply = engine
        .submit(Submission {
            operator: operator.into(),
            session,
            key: None,
            body,
        })
        .map_err(|e| anyhow!("{e}"))?;
    Ok(reply.outcome)
}

/// A refusal the history cannot go on after.
fn refused(r: Rejection) -> anyhow::Error {
    anyhow!("refused ({}): {r}", r.code())
}

/// Archive every closed order dated before `before`, a command of at most
/// [`ARCHIVE_BATCH`] orders at a time: (orders archived, commands).
fn archive_before(engine: &Engine, before: chrono::NaiveDate, k: usize) -> Result<(u64, u64)> {
    let (mut orders, mut commands) = (0u64, 0u64);
    loop {
        let outcome = submit(
            engine,
            "GEN",
            format!("generate-{k}"),
            CommandBody::ArchiveClosed {
                before,
                max: Some(ARCHIVE_BATCH),
                orders: None,
            },
        )?;
        commands += 1;
        let took = crate::archiver::archived(outcome, before)?;
        orders += took.orders;
        if !took.more(ARCHIVE_BATCH) {
            return Ok((orders, commands));
        }
    }
}

/// Statement lines in one imported statement of the demo's bank.
const STATEMENT_LINES: usize = 5_000;

/// Reconcile each entity's bank month by month, as a controller would,
/// up to the month that ended before `today`: a statement of what the
/// books say went through the bank in the month (each book item a line
/// of its day, its document as the reference), matched automatically
/// (by hand what the match left in doubt), and the month marked done.
/// Returns (statement lines, commands).
fn reconcile_months(engine: &Engine, today: chrono::NaiveDate, k: usize) -> Result<(u64, u64)> {
    let mut lines = 0u64;
    let commands = std::cell::Cell::new(0u64);
    let answer = |body: CommandBody| {
        commands.set(commands.get() + 1);
        submit(engine, "GEN", format!("generate-{k}"), body)
    };
    let run = |body: CommandBody| answer(body)?.map_err(refused);
    let s = engine.state();
    for entity in s.entities.keys() {
        if crate::core::bank::bank_account(&s, entity).is_none() {
            continue;
        }
        let done_to = s.bank_archived_through.get(entity).copied();
        let months: Vec<(Code, chrono::NaiveDate, chrono::NaiveDate)> = s
            .periods
            .values()
            .filter(|p| p.entity == *entity && p.end < today)
            .filter(|p| done_to.is_none_or(|d| p.end > d))
            .filter(|p| {
                !s.bank_reconciled
                    .contains_key(&(entity.clone(), p.code.clone()))
            })
            .map(|p| (p.code.clone(), p.start, p.end))
            .collect();
        for (period, start, end) in months {
            let now = engine.state();
            let items: Vec<&crate::core::bank::BookItem> = now
                .index
                .uncleared_book_items
                .get(entity)
                .into_iter()
                .flatten()
                .filter_map(|i| now.book_items.get(i))
                .filter(|i| start <= i.date && i.date <= end)
                .collect();
            for (n, chunk) in items.chunks(STATEMENT_LINES).enumerate() {
                run(CommandBody::ImportBankStatement {
                    entity: entity.clone(),
                    statement: format!("{period}-{}", n + 1),
                    lines: chunk
                        .iter()
                        .map(|i| crate::core::bank::StatementLine {
                            date: i.date,
                            amount: i.amount,
                            reference: i.doc.clone(),
                            description: i.memo.clone(),
                        })
                        .collect(),
                })?;
                lines += chunk.len() as u64;
            }
            if !items.is_empty() {
                // Nothing matched without doubt (every line in doubt) is
                // no failure: the lines are matched by hand below.
                match answer(CommandBody::AutoMatchBank {
                    entity: entity.clone(),
                    window_days: None,
                    tolerance: None,
                })? {
                    Ok(_) | Err(Rejection::NoChange) => {}
                    Err(r) => return Err(refused(r)),
                }
                // What the match left in doubt (equal amounts on a day,
                // references one inside another), by hand.
                let after = engine.state();
                let mut used = std::collections::BTreeSet::new();
                let open: Vec<(Code, Code)> = after
                    .index
                    .unmatched_bank_lines
                    .iter()
                    .filter_map(|l| after.bank_lines.get(l))
                    .filter(|l| l.entity == *entity)
                    .filter_map(|l| {
                        items
                            .iter()
                            .find(|i| {
                                i.doc == l.reference
                                    && i.amount == l.amount
                                    && !used.contains(&i.id)
                                    && after
                                        .book_items
                                        .get(&i.id)
                                        .is_some_and(|i| i.cleared_by.is_none())
                            })
                            .map(|i| {
                                used.insert(i.id.clone());
                                (l.id.clone(), i.id.clone())
                            })
                    })
                    .collect();
                for (line, item) in open {
                    run(CommandBody::MatchBankLine {
                        line,
                        items: vec![item],
                        tolerance: None,
                    })?;
                }
            }
            run(CommandBody::MarkBankReconciled {
                entity: entity.clone(),
                period,
            })?;
        }
    }
    Ok((lines, commands.get()))
}

pub fn build(dir: &Path, spec: Spec) -> Result<Built> {
    if spec.items == 0 || spec.customers == 0 || spec.lines_per_order == 0 || spec.submitters == 0 {
        bail!("a large store needs items, customers, order lines and submitters");
    }
    let t0 = Instant::now();
    let now = Utc::now();
    let days = spec
        .days
        .map_or_else(|| span_days(spec.order_lines), i64::from)
        .max(1);
    if days > MAX_DAYS {
        bail!(
            "{} order lines would span {days} days of history; at most {MAX_DAYS} (100 years): \
             give --days, or fewer order lines",
            spec.order_lines
        );
    }
    let span = Duration::days(days);
    let start = now - span;
    // The engine's clock: a year (or more) ago at first, stepping to now
    // as the history is written.
    let origin = start.timestamp();
    let offset = Arc::new(AtomicU64::new(0));
    let clock_offset = offset.clone();
    let clock = Arc::new(move || -> DateTime<Utc> {
        let secs = origin + clock_offset.load(Ordering::Relaxed) as i64;
        DateTime::from_timestamp(secs, 0).unwrap_or_else(Utc::now)
    });
    let store = Store::open(dir).map_err(|e| anyhow!("{e}"))?;
    let engine = Engine::start(
        store,
        EngineConfig {
            // The state is large: a snapshot per million records.
            snapshot_every: 1_000_000,
            clock,
            ..EngineConfig::default()
        },
    )
    .map_err(|e| anyhow!("{e}"))?;

    // The demo distributor as of a year ago, and templates from it.
    let demo = crate::io::demo::commands(start.date_naive(), spec.seed)
        .map_err(|e| anyhow!("demo fixtures: {e}"))?;
    let mut state = State::default();
    for body in &demo {
        let cmd = Command {
            operator: crate::io::demo::DEMO_ADMIN.into(),
            session: "generate".into(),
            time: start,
            key: None,
            body: body.clone(),
        };
        execute(&mut state, &cmd).map_err(|r| anyhow!("demo refused: {r}"))?;
    }
    let item_t: Item = state
        .items
        .get(&"FAS-1001".to_code())
        .cloned()
        .context("the demo has no FAS-1001 to copy items from")?;
    let cust_t = state
        .customers
        .get(&"C0001".to_code())
        .cloned()
        .context("the demo has no C0001 to copy customers from")?;
    let bins: Vec<Code> = state
        .bins
        .values()
        .filter(|b| b.warehouse == "CHI" && b.kind == crate::core::master::BinKind::PickFace)
        .map(|b| b.code.clone())
        .collect();
    if bins.is_empty() {
        bail!("the demo has no pick face in CHI");
    }
    let mut commands = load(&engine, demo, "the demo")?;
    // The demo defines the fiscal years around its day; a history of more
    // than a year posts into the years up to now as well.
    let years: Vec<CommandBody> = state
        .entities
        .keys()
        .flat_map(|e| {
            (start.year() + 2..=now.year() + 1).map(|year| CommandBody::DefineFiscalYear {
                entity: e.clone(),
                year,
            })
        })
        .collect();
    commands += load(&engine, years, "fiscal years")?;

    let mut bodies = vec![CommandBody::CreateOperator(Operator::admin(
        "GEN",
        "History generator",
    ))];
    let mut rng = Rng(spec.seed ^ 0x5EED);
    let mut weights: std::collections::HashMap<String, Decimal> =
        std::collections::HashMap::with_capacity(spec.items as usize);
    for n in 1..=spec.items {
        let mut item = item_t.clone();
        item.sku = sku(n).into();
        item.description = format!("Generated item {n}");
        item.barcodes = Vec::new();
        item.weight_kg = Decimal::new(100 + rng.below(5_000) as i64, 3);
        weights.insert(item.sku.to_string(), item.weight_kg);
        bodies.push(CommandBody::CreateItem(item));
    }
    commands += load(&engine, std::mem::take(&mut bodies), "items")?;
    for n in 1..=spec.items {
        let cost = Decimal::new(100 + rng.below(20_000) as i64, 2);
        bodies.push(CommandBody::SetListPrice {
            price_list: cust_t.price_list.clone(),
            price: ListPrice {
                sku: sku(n).into(),
                price: (cost * Decimal::new(185, 2)).round_dp(2),
                breaks: Vec::new(),
            },
        });
        bodies.push(CommandBody::PostOpeningStock {
            warehouse: "CHI".into(),
            bin: bins[(n as usize) % bins.len()].clone(),
            sku: sku(n).into(),
            qty: Decimal::from(STOCK_PER_ITEM),
            unit: None,
            unit_cost: cost,
            lot: None,
            date: Some(start.date_naive()),
            expiry: None,
        });
    }
    commands += load(&engine, std::mem::take(&mut bodies), "prices and stock")?;
    for n in 1..=spec.customers {
        let mut c = cust_t.clone();
        c.code = format!("{CUSTOMER_PREFIX}{n:05}").into();
        c.name = format!("Generated customer {n}");
        c.credit_limit = Decimal::from(100_000_000);
        c.ship_to = Vec::new();
        bodies.push(CommandBody::CreateCustomer(c));
    }
    let (key_invoices, holds) = extras(spec.order_lines);
    let hold_customers = holds.div_ceil(HOLDS_PER_CUSTOMER);
    let mut key = cust_t.clone();
    key.code = KEY_ACCOUNT.into();
    key.name = "Generated key account".into();
    key.credit_limit = Decimal::from(100_000_000);
    key.ship_to = Vec::new();
    bodies.push(CommandBody::CreateCustomer(key));
    for n in 1..=hold_customers {
        let mut c = cust_t.clone();
        c.code = format!("{HOLD_PREFIX}{n:03}").into();
        c.name = format!("Generated customer on hold {n}");
        c.credit_limit = Decimal::ONE;
        c.ship_to = Vec::new();
        bodies.push(CommandBody::CreateCustomer(c));
    }
    commands += load(&engine, bodies, "customers")?;
    crate::say!(
        "master data: {} items, {} customers ({commands} commands) in {:.1} s",
        spec.items,
        spec.customers,
        t0.elapsed().as_secs_f64()
    );

    // History: K submitters, each cycling its own customers.
    let orders = spec.order_lines.div_ceil(spec.lines_per_order);
    let done = AtomicU64::new(0);
    let span_secs = span.num_seconds().max(1) as u64;
    // One invoice in ten of the last year is left open; older ones paid.
    let last_year = orders * (DAYS_PER_MILLION as u64).min(days as u64) / days as u64;
    let unpaid_from = orders - last_year;
    // The archiving period the clock is in (archived when it moves on),
    // and the orders archived so far.
    let period = AtomicU64::new(0);
    let archived = AtomicU64::new(0);
    let bank_lines = AtomicU64::new(0);
    // One month's bookkeeping at a time, should a slow one still run when
    // the clock passes the next.
    let month_end = std::sync::Mutex::new(());
    let t1 = Instant::now();
    let history: Vec<u64> = std::thread::scope(|scope| -> Result<Vec<u64>> {
        let handles: Vec<_> = (0..spec.submitters)
            .map(|k| {
                let engine = engine.clone();
                let weights = &weights;
                let done = &done;
                let offset = &offset;
                let period = &period;
                let archived = &archived;
                let bank_lines = &bank_lines;
                let month_end = &month_end;
                scope.spawn(move || -> Result<u64> {
                    let mut rng = Rng(spec.seed.wrapping_mul(31).wrapping_add(k as u64 + 1));
                    let mut commands = 0u64;
                    let mut archive_commands = 0u64;
                    let mut run = |op: &str, body: CommandBody| -> Result<Vec<Event>> {
                        commands += 1;
                        submit(&engine, op, format!("generate-{k}"), body)?.map_err(refused)
                    };
                    loop {
                        let n = done.fetch_add(1, Ordering::Relaxed);
                        if n >= orders {
                            break;
                        }
                        let at = n * span_secs / orders;
                        offset.fetch_max(at, Ordering::Relaxed);
                        if let Some(after) = spec.archive_after {
                            let p = at / (ARCHIVE_EVERY_DAYS * 86_400);
                            if period.fetch_max(p, Ordering::Relaxed) < p {
                                let _one = month_end
                                    .lock()
                                    .map_err(|_| anyhow!("a submitter panicked"))?;
                                let today = (start + Duration::seconds(at as i64)).date_naive();
                                let (l, c) = reconcile_months(&engine, today, k)?;
                                bank_lines.fetch_add(l, Ordering::Relaxed);
                                archive_commands += c;
                                let before = today - Duration::days(i64::from(after));
                                let (n, c) = archive_before(&engine, before, k)?;
                                archived.fetch_add(n, Ordering::Relaxed);
                                archive_commands += c;
                            }
                        }
                        let customer = format!(
                            "{CUSTOMER_PREFIX}{:05}",
                            1 + (k as u64 + spec.submitters as u64 * rng.below(spec.customers))
                                % spec.customers
                        );
                        let mut lines: Vec<(String, Decimal)> = Vec::new();
                        while (lines.len() as u64) < spec.lines_per_order {
                            let s = sku(1 + rng.below(spec.items));
                            if !lines.iter().any(|(x, _)| *x == s) {
                                lines.push((s, Decimal::from(1 + rng.below(5))));
                            }
                        }
                        let weight = |s: &str| weights.get(s).copied().unwrap_or_default();
                        let pay = n % 10 != 9 || n < unpaid_from;
                        cycle_lines(&customer, &lines, &weight, pay, &mut |op, body| {
                            run(if op == "BENCH" { "GEN" } else { op }, body)
                        })?;
                    }
                    Ok(commands + archive_commands)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow!("a submitter panicked"))?)
            .collect()
    })?;
    let history_commands: u64 = history.iter().sum();
    commands += history_commands;
    crate::say!(
        "history: {orders} orders ({} order lines, {history_commands} commands) over {} days in {:.1} s; {} orders archived as it went; {} bank statement lines reconciled month by month",
        orders * spec.lines_per_order,
        span.num_days(),
        t1.elapsed().as_secs_f64(),
        archived.load(Ordering::Relaxed),
        bank_lines.load(Ordering::Relaxed)
    );

    // The key account: one-line orders over the last 90 days, shipped and
    // invoiced, none paid, so its open items span the aging buckets.
    let t2 = Instant::now();
    let mut rng = Rng(spec.seed ^ 0x6B65_7921);
    let mut extra = 0u64;
    let mut run = |op: &str, body: CommandBody| -> Result<Vec<Event>> {
        extra += 1;
        let op = if op == "BENCH" { "GEN" } else { op };
        submit(&engine, op, "generate-extras".into(), body)?.map_err(refused)
    };
    let recent = span_secs.saturating_sub(90 * 86_400);
    for n in 0..key_invoices {
        offset.store(
            recent + n * (span_secs - recent) / key_invoices,
            Ordering::Relaxed,
        );
        let s = sku(1 + rng.below(spec.items));
        let weight = |s: &str| weights.get(s).copied().unwrap_or_default();
        let lines = [(s, Decimal::from(1 + rng.below(5)))];
        cycle_lines(KEY_ACCOUNT, &lines, &weight, false, &mut run)?;
    }
    // Orders on credit hold: each an open exception in the queue.
    offset.store(span_secs, Ordering::Relaxed);
    for n in 0..holds {
        let customer = format!("{HOLD_PREFIX}{:03}", 1 + n % hold_customers);
        let body = CommandBody::PlaceOrder {
            quote: false,
            customer: customer.into(),
            ship_to: None,
            customer_po: format!("HOLD-{n}"),
            requested: None,
            lines: vec![crate::core::sales::LineInput {
                sku: sku(1 + rng.below(spec.items)).into(),
                qty: Decimal::from(1 + rng.below(5)),
                unit: None,
                warehouse: "CHI".into(),
                price: None,
            }],
        };
        match run("GEN", body)?.first() {
            Some(Event::OrderPlaced(o)) if !o.holds.is_empty() => {}
            other => bail!("an order of a customer over its limit was not held: {other:?}"),
        }
    }
    commands += extra;
    crate::say!(
        "extras: {key_invoices} open invoices of {KEY_ACCOUNT}, {holds} orders on credit hold \
         ({extra} commands) in {:.1} s",
        t2.elapsed().as_secs_f64()
    );
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    Ok(Built {
        commands,
        orders,
        order_lines: orders * spec.lines_per_order,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
