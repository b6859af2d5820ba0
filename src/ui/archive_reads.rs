//! Reads of the archive off a screen's thread (issue 21). A view as of a
//! day before the latest archived document needs what the archive holds
//! after that day (`core::archive::Later`): on a store of years that read
//! takes seconds. A screen asks [`ArchiveReads::fetch`] on every frame;
//! the first ask hands the read to this worker (one thread per backend,
//! started at the first read) and answers `Reading`, so the screen says
//! so and goes on taking keys; a later ask answers `Ready` once it is
//! read. What was read is kept for the same day, customer and archive
//! generation (`generation`: it changes only when an archive run moves
//! invoices, the only way the archive's later documents change), so a
//! commit by anyone rebuilds a view from memory, never from the archive.
//! The newest ask wins: a read asked for and not begun is replaced by the
//! next one (a clerk paging through days reads only where they stop). A
//! read that failed (or panicked) says why, and is tried again when asked
//! [`RETRY`] after.

use crate::core::archive::Later;
use crate::core::types::Code;
use crate::core::State;
use chrono::NaiveDate;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// What is read: the day, the customer (None: everyone) and the archive
/// generation it was read at.
pub type Key = (NaiveDate, Option<Code>, u64);

/// Reads kept (each may hold many documents: a view years back holds
/// every invoice archived since).
pub const KEPT: usize = 2;

/// A failed read is tried again when asked this long after it failed.
pub const RETRY: std::time::Duration = std::time::Duration::from_secs(30);

/// The archive's generation in `state`: it moves whenever an archive run
/// moves documents that `Later` reads. Every run that archives a receipt
/// archives an invoice it paid (receipts are reached from invoices), so
/// the count of archived invoices is enough. O(runs of numbers).
pub fn generation(state: &State) -> u64 {
    state.archived_invoices.len()
}

/// The answer to an ask.
#[derive(Clone, Debug)]
pub enum Fetch {
    /// Read: what the archive holds after the day.
    Ready(Arc<Later>),
    /// Being read, or waiting for the worker, since then.
    Reading(Instant),
    /// The archive could not be read (why; logged too).
    Failed(String),
}

/// How the worker reads (the store, through the engine; tests: anything):
/// the day, the customer, and whether to go on (false once the reader is
/// dropped: a read in hand stops rather than hold the store).
pub type ReadFn =
    dyn Fn(NaiveDate, Option<&str>, &dyn Fn() -> bool) -> Result<Later, String> + Send + Sync;

#[derive(Default)]
struct Inner {
    /// Reads done, the newest last (at most [`KEPT`]), and when.
    done: Vec<(Key, Result<Arc<Later>, String>, Instant)>,
    /// The read in hand, and since when it was asked for.
    reading: Option<(Key, Instant)>,
    /// The read asked for next (the newest ask wins).
    wanted: Option<(Key, Instant)>,
    /// The worker is running.
    started: bool,
    /// The reader was dropped: the worker ends.
    closed: bool,
}

struct Shared {
    inner: Mutex<Inner>,
    wake: Condvar,
    /// The reader was dropped (`Inner::closed`, read without the lock by
    /// a read in hand).
    stop: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

/// The reader: asked from a screen's thread, reads on its own.
pub struct ArchiveReads {
    shared: Arc<Shared>,
    read: Arc<ReadFn>,
}

impl ArchiveReads {
    pub fn new(read: Arc<ReadFn>) -> ArchiveReads {
        ArchiveReads {
            shared: Arc::new(Shared {
                inner: Mutex::new(Inner::default()),
                wake: Condvar::new(),
                stop: AtomicBool::new(false),
            }),
            read,
        }
    }

    /// What the archive holds after `day` (of `customer` when given), at
    /// archive generation `generation`: kept, being read, or asked for
    /// now. Never waits for a read.
    pub fn fetch(&self, day: NaiveDate, customer: Option<&str>, generation: u64) -> Fetch {
        let key: Key = (day, customer.map(Code::from), generation);
        let mut g = self.shared.lock();
        g.done
            .retain(|(_, r, at)| r.is_ok() || at.elapsed() < RETRY);
        if let Some((_, r, _)) = g.done.iter().find(|(k, _, _)| *k == key) {
            return match r {
                Ok(l) => Fetch::Ready(l.clone()),
                Err(e) => Fetch::Failed(e.clone()),
            };
        }
        for (k, since) in g.reading.iter().chain(g.wanted.iter()) {
            if *k == key {
                return Fetch::Reading(*since);
            }
        }
        let since = Instant::now();
        g.wanted = Some((key, since));
        if !g.started {
            match self.spawn() {
                Ok(()) => g.started = true,
                Err(e) => {
                    g.wanted = None;
                    tracing::warn!(error = %e, "archive reader not started");
                    return Fetch::Failed(format!("the archive reader did not start: {e}"));
                }
            }
        }
        self.shared.wake.notify_one();
        Fetch::Reading(since)
    }

    fn spawn(&self) -> std::io::Result<()> {
        let shared = self.shared.clone();
        let read = self.read.clone();
        std::thread::Builder::new()
            .name("depot-archive".into())
            .spawn(move || work(&shared, &*read))
            .map(|_| ())
    }
}

impl Drop for ArchiveReads {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.lock().closed = true;
        self.shared.wake.notify_all();
    }
}

/// The worker: take the newest ask, read it, keep it; until closed.
fn work(shared: &Shared, read: &ReadFn) {
    loop {
        let (key, since) = {
            let mut g = shared.lock();
            loop {
                if g.closed {
                    return;
                }
                if let Some(w) = g.wanted.take() {
                    g.reading = Some(w.clone());
                    break w;
                }
                g = match shared.wake.wait(g) {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
            }
        };
        // A read that panics fails (and says so) rather than leave the
        // screen reading for ever with no worker.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read(key.0, key.1.as_deref(), &|| {
                !shared.stop.load(Ordering::Acquire)
            })
        }))
        .unwrap_or_else(|_| Err("the archive reader failed (see the log)".to_string()))
        .map(Arc::new);
        match &r {
            Ok(l) => tracing::info!(
                day = %key.0,
                invoices = l.invoices.len(),
                receipts = l.receipts.len(),
                ms = since.elapsed().as_millis() as u64,
                "archive read"
            ),
            Err(e) => tracing::warn!(day = %key.0, error = %e, "archive read failed"),
        }
        let mut g = shared.lock();
        g.reading = None;
        g.done.retain(|(k, _, _)| *k != key);
        g.done.push((key, r, Instant::now()));
        let excess = g.done.len().saturating_sub(KEPT);
        g.done.drain(..excess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{channel, Receiver, Sender};
    use std::time::Duration;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default()
    }

    /// A reader whose reads wait for a go (the day's number back as the
    /// day asked), counting them.
    fn gated() -> (
        ArchiveReads,
        Sender<Result<(), String>>,
        Receiver<NaiveDate>,
    ) {
        let (go, gate) = channel::<Result<(), String>>();
        let gate = Mutex::new(gate);
        let (asked_tx, asked) = channel();
        let asked_tx = Mutex::new(asked_tx);
        let reads = ArchiveReads::new(Arc::new(move |d, c: Option<&str>, _: &dyn Fn() -> bool| {
            let _ = asked_tx.lock().map(|t| t.send(d));
            let r = gate
                .lock()
                .map_err(|_| "poisoned".to_string())?
                .recv()
                .map_err(|_| "gone".to_string())?;
            r.map(|()| Later {
                day: d,
                customer: c.map(Code::from),
                ..Later::default()
            })
        }));
        (reads, go, asked)
    }

    /// Ask until the answer is no longer `Reading` (bounded: a read that
    /// never comes fails the test, it does not hang it).
    fn settled(r: &ArchiveReads, d: NaiveDate, c: Option<&str>, gen: u64) -> Fetch {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match r.fetch(d, c, gen) {
                Fetch::Reading(_) if Instant::now() < deadline => std::thread::yield_now(),
                other => return other,
            }
        }
    }

    #[test]
    fn a_read_is_asked_once_answered_reading_then_kept() {
        let (r, go, asked) = gated();
        assert!(matches!(r.fetch(day(1), None, 7), Fetch::Reading(_)));
        // Asked again while it reads: still reading, not read twice.
        assert_eq!(asked.recv_timeout(Duration::from_secs(20)), Ok(day(1)));
        assert!(matches!(r.fetch(day(1), None, 7), Fetch::Reading(_)));
        go.send(Ok(())).unwrap_or_default();
        match settled(&r, day(1), None, 7) {
            Fetch::Ready(l) => assert_eq!((l.day, l.customer.clone()), (day(1), None)),
            other => panic!("not read: {other:?}"),
        }
        // Kept: asked again, no read.
        assert!(matches!(r.fetch(day(1), None, 7), Fetch::Ready(_)));
        assert!(asked.try_recv().is_err());
        // Another generation (an archive ran) reads again.
        assert!(matches!(r.fetch(day(1), None, 8), Fetch::Reading(_)));
        assert_eq!(asked.recv_timeout(Duration::from_secs(20)), Ok(day(1)));
        go.send(Ok(())).unwrap_or_default();
        assert!(matches!(settled(&r, day(1), None, 8), Fetch::Ready(_)));
    }

    #[test]
    fn the_newest_ask_wins_and_only_a_few_reads_are_kept() {
        let (r, go, asked) = gated();
        assert!(matches!(r.fetch(day(1), None, 1), Fetch::Reading(_)));
        assert_eq!(asked.recv_timeout(Duration::from_secs(20)), Ok(day(1)));
        // While day 1 reads, days 2 then 3 are asked: day 2 is never read.
        assert!(matches!(r.fetch(day(2), None, 1), Fetch::Reading(_)));
        assert!(matches!(r.fetch(day(3), Some("C1"), 1), Fetch::Reading(_)));
        go.send(Ok(())).unwrap_or_default();
        assert_eq!(asked.recv_timeout(Duration::from_secs(20)), Ok(day(3)));
        go.send(Ok(())).unwrap_or_default();
        match settled(&r, day(3), Some("C1"), 1) {
            Fetch::Ready(l) => assert_eq!(l.customer.as_deref(), Some("C1")),
            other => panic!("not read: {other:?}"),
        }
        assert!(matches!(r.fetch(day(1), None, 1), Fetch::Ready(_)));
        // Day 2 is asked for now, read, and pushes day 1 out.
        assert!(matches!(r.fetch(day(2), None, 1), Fetch::Reading(_)));
        assert_eq!(asked.recv_timeout(Duration::from_secs(20)), Ok(day(2)));
        go.send(Ok(())).unwrap_or_default();
        assert!(matches!(settled(&r, day(2), None, 1), Fetch::Ready(_)));
        assert!(matches!(r.fetch(day(3), Some("C1"), 1), Fetch::Ready(_)));
        assert!(matches!(r.fetch(day(1), None, 1), Fetch::Reading(_)));
    }

    #[test]
    fn a_failed_read_says_why_and_is_not_read_again_at_once() {
        let (r, go, asked) = gated();
        assert!(matches!(r.fetch(day(4), None, 1), Fetch::Reading(_)));
        go.send(Err("archive index unreadable".into()))
            .unwrap_or_default();
        match settled(&r, day(4), None, 1) {
            Fetch::Failed(why) => assert_eq!(why, "archive index unreadable"),
            other => panic!("not failed: {other:?}"),
        }
        assert_eq!(asked.recv_timeout(Duration::from_secs(20)), Ok(day(4)));
        assert!(matches!(r.fetch(day(4), None, 1), Fetch::Failed(_)));
        assert!(asked.try_recv().is_err());
    }

    #[test]
    fn a_read_that_panics_fails_and_the_worker_goes_on() {
        let r = ArchiveReads::new(Arc::new(
            |d: NaiveDate, _c: Option<&str>, _: &dyn Fn() -> bool| {
                if d == day(6) {
                    panic!("a corrupt record");
                }
                Ok(Later {
                    day: d,
                    ..Later::default()
                })
            },
        ));
        assert!(matches!(r.fetch(day(6), None, 1), Fetch::Reading(_)));
        match settled(&r, day(6), None, 1) {
            Fetch::Failed(why) => assert!(why.contains("failed"), "{why}"),
            other => panic!("not failed: {other:?}"),
        }
        assert!(matches!(r.fetch(day(7), None, 1), Fetch::Reading(_)));
        assert!(matches!(settled(&r, day(7), None, 1), Fetch::Ready(_)));
    }

    #[test]
    fn the_worker_ends_with_its_reader() {
        let (tx, rx) = channel::<()>();
        let tx = Mutex::new(tx);
        let r = ArchiveReads::new(Arc::new(
            move |d, _c: Option<&str>, _: &dyn Fn() -> bool| {
                // Held by the worker: dropped (and `rx` disconnected) only
                // when the worker's thread ends.
                let _held = &tx;
                Ok(Later {
                    day: d,
                    ..Later::default()
                })
            },
        ));
        assert!(matches!(r.fetch(day(5), None, 1), Fetch::Reading(_)));
        assert!(matches!(settled(&r, day(5), None, 1), Fetch::Ready(_)));
        drop(r);
        // The closure (and its sender) goes when the worker ends.
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(20)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
        );
    }

    #[test]
    fn a_read_in_hand_stops_when_its_reader_goes() {
        let (started_tx, started) = channel::<()>();
        let started_tx = Mutex::new(started_tx);
        let (ended_tx, ended) = channel::<bool>();
        let ended_tx = Mutex::new(ended_tx);
        let r = ArchiveReads::new(Arc::new(
            move |d: NaiveDate, _c: Option<&str>, go_on: &dyn Fn() -> bool| {
                let _ = started_tx.lock().map(|t| t.send(()));
                // A long read: goes on while asked to (bounded, so that a
                // reader never told to stop fails the test, not hangs it).
                let deadline = Instant::now() + Duration::from_secs(20);
                while go_on() && Instant::now() < deadline {
                    std::thread::yield_now();
                }
                let _ = ended_tx.lock().map(|t| t.send(!go_on()));
                Ok(Later {
                    day: d,
                    ..Later::default()
                })
            },
        ));
        assert!(matches!(r.fetch(day(8), None, 1), Fetch::Reading(_)));
        assert_eq!(started.recv_timeout(Duration::from_secs(20)), Ok(()));
        drop(r);
        assert_eq!(
            ended.recv_timeout(Duration::from_secs(20)),
            Ok(true),
            "told to stop"
        );
    }
}
