//! Archiving by age while the store is served (issue 21): closed orders
//! (and the pick lists, shipments, invoices and receipts around them)
//! leave memory once they are older than the age the server was given,
//! without anyone running `depot archive`; so do the bank lines of
//! reconciled periods that ended before that age, and the book items
//! they cleared.
//!
//! It is an edge like a clerk: it submits `ArchiveClosed` through the
//! engine as the operator named for it, so every archive is a record with
//! an operator, checked by the core and by `depot check` like any other.
//! It works in small batches with a pause between them, so that the
//! writer is never held by one large archive while pickers scan (a store
//! of years catches up over minutes, not in one long command), and it
//! looks again every `every` for orders that have since come of age.

use crate::core::auth::{allows, Permission};
use crate::core::types::ToCode;
use crate::core::{CommandBody, Event};
use crate::engine::{Clock, Engine, Submission};
use anyhow::{anyhow, bail, Result};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// Orders archived by one command of the archiver: small enough that the
/// writer decides it, and the flusher appends it, in under 10 ms each
/// (measured on a year's store: about 0.07 ms an order for each).
pub const BATCH: u32 = 100;

/// Batches picked by one look through the orders in memory.
const LOOK_AHEAD: u32 = 20;

/// How the server archives.
#[derive(Clone)]
pub struct Policy {
    /// Closed orders dated more than this many days before today go.
    pub after_days: u32,
    /// Who archives: an active operator holding `close_periods`.
    pub operator: String,
    /// How often it looks for orders that have come of age.
    pub every: Duration,
    /// The pause between two batches of one pass.
    pub pause: Duration,
    /// Today, by the server's clock.
    pub clock: Clock,
}

/// What one pass archived.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub orders: u64,
    pub bank_lines: u64,
    pub commands: u64,
}

/// What one `ArchiveClosed` took out of memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Took {
    pub orders: u64,
    pub bank_lines: u64,
    /// The book items those lines cleared.
    pub bank_items: u64,
}

impl Took {
    /// May more be left? The orders filled the command, or it took bank
    /// lines (their share of a command ends at the first line that would
    /// not fit, so what it took does not tell whether more wait).
    pub fn more(&self, orders_max: u32) -> bool {
        self.orders >= u64::from(orders_max) || self.bank_lines > 0
    }
}

/// Refuse a policy the store could not carry out: an unknown or inactive
/// operator, or one whose roles do not grant `close_periods`. Said before
/// the server starts, not an hour later in a log.
pub fn validate(engine: &Engine, policy: &Policy) -> Result<()> {
    let op = policy.operator.as_str();
    engine.read(|s| match s.operators.get(&op.to_code()) {
        None => bail!("archiving as {op:?}: no such operator"),
        Some(o) if !o.active => bail!("archiving as {op}: the operator is inactive"),
        Some(o) if !allows(&o.roles, Permission::ClosePeriods) => bail!(
            "archiving as {op}: archiving needs the close_periods permission (controller or admin)"
        ),
        Some(_) => Ok(()),
    })
}

/// Archive every closed order older than the policy's age, a batch at a
/// time (`stop` is looked at between batches). `Err` when the engine has
/// stopped or refuses for a reason other than there being nothing left.
pub fn pass(engine: &Engine, policy: &Policy, stop: &dyn Fn(Duration) -> bool) -> Result<Pass> {
    let today = (policy.clock)().date_naive();
    let before = today - chrono::Duration::days(i64::from(policy.after_days));
    let mut done = Pass::default();
    loop {
        // Which orders: looked for on the newest durable state, on this
        // thread. The look goes through every order in memory (a tenth of
        // a second on a year's store); done inside the command, it held
        // the writer, and every picker's scan behind it, that long. The
        // command checks the orders it is named again, which is quick;
        // those that stopped being closed meanwhile stay.
        let found: Vec<_> = crate::core::archive::closed_orders(
            &engine.state(),
            before,
            (BATCH * LOOK_AHEAD) as usize,
        )
        .into_iter()
        .collect();
        let mut n = 0;
        for orders in found.chunks(BATCH as usize) {
            let (took, seq) = submit(engine, policy, before, orders.to_vec())?;
            done.commands += 1;
            done.orders += took.orders;
            done.bank_lines += took.bank_lines;
            n += took.orders;
            tracing::info!(orders = took.orders, bank_lines = took.bank_lines, bank_items = took.bank_items, %before, ?seq, "archived");
            if stop(policy.pause) {
                return Ok(done);
            }
        }
        // All that was found was offered (or none of it could go): done
        // with the orders until the next pass.
        if found.len() < (BATCH * LOOK_AHEAD) as usize || n == 0 {
            break;
        }
    }
    // The bank lines of reconciled periods: each command above took some
    // too; what is left goes in commands that name no order, while the
    // newest durable state shows some.
    loop {
        if crate::core::bank::settled(&engine.state(), before, 1).is_empty() {
            return Ok(done);
        }
        let (took, seq) = submit(engine, policy, before, Vec::new())?;
        done.commands += 1;
        done.bank_lines += took.bank_lines;
        tracing::info!(bank_lines = took.bank_lines, bank_items = took.bank_items, %before, ?seq, "archived");
        if !took.more(BATCH) || stop(policy.pause) {
            return Ok(done);
        }
    }
}

/// One `archive_closed` of the archiver, naming `orders` (none: only what
/// is left of the bank lines): what it took, and its record.
fn submit(
    engine: &Engine,
    policy: &Policy,
    before: chrono::NaiveDate,
    orders: Vec<crate::core::types::Code>,
) -> Result<(Took, Option<u64>)> {
    let reply = engine
        .submit(Submission {
            operator: policy.operator.clone(),
            session: "archiver".into(),
            key: None,
            body: CommandBody::ArchiveClosed {
                before,
                max: Some(BATCH),
                orders: Some(orders),
            },
        })
        .map_err(|e| anyhow!("archiving: {e}"))?;
    Ok((archived(reply.outcome, before)?, reply.seq))
}

/// What an `archive_closed` command archived: nothing when nothing was
/// left to archive, an error when it was refused for another reason.
pub fn archived(
    outcome: Result<Vec<Event>, crate::core::Rejection>,
    before: chrono::NaiveDate,
) -> Result<Took> {
    match outcome {
        Ok(events) => {
            let mut took = Took::default();
            for e in &events {
                match e {
                    Event::Archived(a) => took.orders += a.orders.len() as u64,
                    Event::BankArchived(b) => {
                        took.bank_lines += b.lines.len() as u64;
                        took.bank_items += b.items.len() as u64;
                    }
                    _ => {}
                }
            }
            Ok(took)
        }
        Err(crate::core::Rejection::NothingToArchive { .. }) => Ok(Took::default()),
        Err(r) => bail!("archiving before {before} refused ({}): {r}", r.code()),
    }
}

/// The archiver's thread; dropping or calling [`Archiver::stop`] ends it.
pub struct Archiver {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Archiver {
    /// Validate the policy, then archive now and every `policy.every`.
    pub fn start(engine: Engine, policy: Policy) -> Result<Archiver> {
        validate(&engine, &policy)?;
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("depot-archiver".into())
            .spawn(move || {
                // True once told to stop (or the server has gone).
                let stopped = |wait: Duration| {
                    !matches!(rx.recv_timeout(wait), Err(RecvTimeoutError::Timeout))
                };
                loop {
                    match pass(&engine, &policy, &stopped) {
                        Ok(p) if p.orders > 0 || p.bank_lines > 0 => tracing::info!(
                            orders = p.orders,
                            bank_lines = p.bank_lines,
                            commands = p.commands,
                            after_days = policy.after_days,
                            "archiving pass"
                        ),
                        Ok(_) => {}
                        Err(e) => tracing::warn!("{e:#}"),
                    }
                    if stopped(policy.every) {
                        return;
                    }
                }
            })?;
        Ok(Archiver {
            stop: Some(tx),
            thread: Some(thread),
        })
    }

    /// End the thread (after the batch under way) and wait for it.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Archiver {
    fn drop(&mut self) {
        self.halt();
    }
}
