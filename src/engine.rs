//! The engine: callers submit commands through a channel; two threads
//! make them durable in a pipeline (group commit):
//!
//! - the *writer* owns the state: it takes every pending command (up to
//!   `batch_max`), decides and applies them in order, encodes their
//!   records, and hands the batch to the flusher;
//! - the *flusher* appends each batch to the sled log, flushes (fsync),
//!   and only then publishes the batch's state and answers its callers.
//!
//! So batch N+1 is decided and applied while batch N is being flushed, and
//! the flusher starts on N+1 (and any batch behind it, in one flush) the
//! moment N's flush returns: no idle gap. Snapshots are encoded and saved
//! on a third thread from an O(1) clone of a durable state (the maps are
//! persistent), so neither the writer nor the flusher waits for one.
//!
//! - Idempotency: a command with a key that was used before gets the first
//!   outcome back (`duplicate: true`), if its body is the same (SHA-256 of
//!   its JSON) and it comes from the same operator; a different body, or
//!   the same key from another operator, is refused (`key_conflict`). A keyed command
//!   that is rejected is logged too, so its repeat gets the same rejection.
//!   A duplicate of a command still in flight is answered after that
//!   command's batch is durable (batches are answered in order).
//! - Fail-stop: if the store cannot append or flush a batch, nothing of it
//!   is acknowledged, every waiting caller gets the error, and nothing
//!   after it is acknowledged either: the batches decided behind it are
//!   never appended and their callers get the error too; the engine
//!   refuses everything after. The process must restart and recover; it
//!   never answers from a state that disagrees with the disk.
//! - Readers see durable state only: [`Engine::view`], [`Engine::read`]
//!   and [`Engine::state`] give the state as of the last flushed batch,
//!   published by the flusher before that batch's callers are answered.
//!   The writer's own state (with the batches decided but not yet
//!   flushed) is private to it, so no reader ever sees a batch that could
//!   still be lost, and after a failed flush readers keep the last
//!   durable state.
//! - Every committed batch is broadcast to subscribers.

use crate::core::rejection::Rejection;
use crate::core::{
    apply, decide, execute, Command, CommandBody, Envelope, Event, KeyDigest, Outcome, State,
};
use crate::store::Encoded;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Instant;

/// A command as a caller submits it; the engine stamps the time.
#[derive(Clone, Debug)]
pub struct Submission {
    pub operator: String,
    pub session: String,
    pub key: Option<String>,
    pub body: CommandBody,
}

/// The answer to a submission.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The log record holding the outcome (None: refused and not logged).
    pub seq: Option<u64>,
    pub outcome: Result<Vec<Event>, Rejection>,
    /// The key was used before: this is the first outcome, not a new one.
    pub duplicate: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the store failed; nothing was acknowledged: {0}")]
    Store(#[from] StoreError),
    #[error("the engine stopped after a store failure; restart depot to recover")]
    Failed,
    /// Every command was answered; only the snapshot or the final flush
    /// of a shutdown failed (a full disk): the log holds every answer.
    #[error(
        "could not finish the shutdown ({0}); every answer given stands: the log holds it, \
         and the next start rebuilds the state from the log"
    )]
    Shutdown(StoreError),
    #[error("the engine has stopped")]
    Stopped,
    #[error("command {} of the batch refused: {rejection}", index + 1)]
    Rejected { index: usize, rejection: Rejection },
}

pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Clone)]
pub struct EngineConfig {
    /// Save a snapshot after this many records since the last one.
    pub snapshot_every: u64,
    /// Most commands decided in one group commit.
    pub batch_max: usize,
    pub clock: Clock,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            snapshot_every: 100_000,
            batch_max: 4096,
            clock: Arc::new(Utc::now),
        }
    }
}

/// One answer per submission, so a one-slot channel: its slot is
/// allocated by the caller when it submits. An unbounded channel
/// allocated a block of 31 slots (about 3 KB) on the publisher's thread
/// at the first send, for the caller's thread to free.
type ReplyTx = SyncSender<Result<Reply, EngineError>>;
type AllTx = Sender<Result<Vec<Reply>, EngineError>>;

enum Msg {
    One(Box<Submission>, ReplyTx),
    All(Vec<Submission>, AllTx),
    Snapshot(Sender<Result<u64, EngineError>>),
    Stop(Sender<Result<(), EngineError>>),
}

/// A batch of committed records, as broadcast to subscribers.
pub type Committed = Arc<Vec<Envelope>>;

type Subscribers = Arc<Mutex<Vec<Sender<Committed>>>>;

/// A consistent, durable view of the state: what had been flushed after
/// record `seq`. Taking one costs O(1) (the state's maps are persistent),
/// and holding one never blocks the writer: screens draw from it.
#[derive(Clone, Debug)]
pub struct View {
    pub seq: u64,
    pub state: Arc<State>,
}

/// Told the new sequence number after each durable batch; returns false
/// to be forgotten (its session has gone). It runs on the publisher thread
/// (before the batch's callers are answered):
/// it must not block (a flag and a channel send, no more).
pub type Watcher = Box<dyn Fn(u64) -> bool + Send>;

type Watchers = Arc<Mutex<Vec<Watcher>>>;

/// A phase of the writer's work longer than this is listed in
/// [`WriterStats::slow`] (and logged): the trace that finds stalls.
pub const SLOW_PHASE_US: u64 = 10_000;

/// What the writer spent its time on since the engine started: the
/// durable path's trace (`depot bench o2c --durable` prints it).
#[derive(Clone, Debug, Default)]
pub struct WriterStats {
    /// Batches decided (group commits) and records decided (durable or
    /// not: after a failed flush this counts records never logged).
    pub batches: u64,
    pub records: u64,
    /// Flushes (fsyncs) of the log.
    pub flushes: u64,
    /// Total and longest time of each phase, in microseconds: deciding
    /// and applying, appending to sled, flushing, publishing the view and
    /// answering, saving snapshots.
    pub total_us: [u64; PHASES.len()],
    pub max_us: [u64; PHASES.len()],
    /// Phases that took longer than [`SLOW_PHASE_US`]: (phase, when in
    /// ms since the engine started, how long in µs); the first 1,000.
    pub slow: Vec<(&'static str, u64, u64)>,
}

/// The phases [`WriterStats`] times ("free": the writer freeing what the
/// publisher handed back, `Dead`).
pub const PHASES: [&str; 6] = ["decide", "append", "flush", "publish", "snapshot", "free"];

impl WriterStats {
    fn phase(&mut self, i: usize, since: std::time::Instant, start: std::time::Instant) {
        let us = since.elapsed().as_micros().min(u64::MAX as u128) as u64;
        if let (Some(t), Some(m)) = (self.total_us.get_mut(i), self.max_us.get_mut(i)) {
            *t += us;
            *m = (*m).max(us);
        }
        if us >= SLOW_PHASE_US {
            let name = PHASES.get(i).copied().unwrap_or("?");
            tracing::warn!(phase = name, ms = us / 1000, "slow writer phase");
            if self.slow.len() < 1000 {
                let at = since
                    .duration_since(start)
                    .as_millis()
                    .min(u64::MAX as u128) as u64;
                self.slow.push((name, at, us));
            }
        }
    }

    fn merge(&mut self, b: WriterStats) {
        self.batches += b.batches;
        self.records += b.records;
        self.flushes += b.flushes;
        for i in 0..PHASES.len() {
            if let (Some(t), Some(m), Some(bt), Some(bm)) = (
                self.total_us.get_mut(i),
                self.max_us.get_mut(i),
                b.total_us.get(i),
                b.max_us.get(i),
            ) {
                *t += bt;
                *m = (*m).max(*bm);
            }
        }
        for x in b.slow {
            if self.slow.len() < 1000 {
                self.slow.push(x);
            }
        }
    }

    /// One line per phase: total and longest, then the slow ones.
    pub fn report(&self) -> String {
        let mut out = format!(
            "writer: {} batches, {} records, {} flushes; phase total/max ms:",
            self.batches, self.records, self.flushes
        );
        for (i, name) in PHASES.iter().enumerate() {
            let t = self.total_us.get(i).copied().unwrap_or(0);
            let m = self.max_us.get(i).copied().unwrap_or(0);
            out.push_str(&format!(
                " {name} {:.0}/{:.1}",
                t as f64 / 1000.0,
                m as f64 / 1000.0
            ));
        }
        if !self.slow.is_empty() {
            out.push_str(&format!(
                "; {} phases over {} ms:",
                self.slow.len(),
                SLOW_PHASE_US / 1000
            ));
            for (name, at, us) in self.slow.iter().take(20) {
                out.push_str(&format!(
                    " {name} {:.1} ms at {at} ms,",
                    *us as f64 / 1000.0
                ));
            }
        }
        out
    }
}

type Stats = Arc<Mutex<WriterStats>>;

/// What every handle shares. The threads hold only what they need (not
/// the channel), so dropping the last handle ends them and releases the
/// store.
struct Shared {
    published: Arc<Mutex<View>>,
    watchers: Watchers,
    store: RwLock<Option<Store>>,
    subscribers: Subscribers,
    stats: Stats,
    tx: RwLock<Option<Sender<Msg>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// Handle to a running engine; cheap to clone, shared by every session.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

/// Batches decided and waiting for the flusher, beyond the one it is
/// flushing: the writer runs at most this far ahead of the disk, and
/// while it waits to hand a batch on, commands gather into the next one.
/// Measured (docs/performance.md): 16 made the writer decide three times
/// as many tiny batches, each cloning the state for its view, and cut
/// throughput by a third; 1 keeps the old writer's throughput.
const PIPELINE_DEPTH: usize = 1;

impl Engine {
    /// Recover the state from the store and start the writer thread.
    pub fn start(store: Store, config: EngineConfig) -> Result<Engine, EngineError> {
        let rec = store.recover()?;
        let last_snapshot = rec.snapshot_seq.unwrap_or(0);
        tracing::info!(
            seq = rec.state.seq,
            snapshot = ?rec.snapshot_seq,
            replayed = rec.replayed,
            "store recovered"
        );
        let (tx, rx) = mpsc::channel();
        let published_state = Arc::new(rec.state.clone());
        let published = Arc::new(Mutex::new(View {
            seq: rec.state.seq,
            state: published_state.clone(),
        }));
        let shared = Arc::new(Shared {
            published: published.clone(),
            watchers: Watchers::default(),
            store: RwLock::new(Some(store.clone())),
            subscribers: Subscribers::default(),
            stats: Stats::default(),
            tx: RwLock::new(Some(tx)),
            writer: Mutex::default(),
        });
        let started = Instant::now();
        let failed = Arc::new(AtomicBool::new(false));
        let spawn_err = |e: std::io::Error| {
            EngineError::Store(StoreError::Io {
                what: "starting the writer thread".into(),
                source: e,
            })
        };
        let (flush_tx, flush_rx) = mpsc::sync_channel(PIPELINE_DEPTH);
        let (grave_tx, graveyard) = mpsc::channel();
        let flusher = Flusher {
            store: store.clone(),
            stats: shared.stats.clone(),
            started,
            failed: failed.clone(),
            snapshot_every: config.snapshot_every.max(1),
            last_snapshot,
            recovered_from: last_snapshot,
            snapshots: None,
            durable: published_state,
            publisher: Publisher::start(Outlets {
                published,
                watchers: shared.watchers.clone(),
                subscribers: shared.subscribers.clone(),
                stats: shared.stats.clone(),
                started,
                graveyard: grave_tx,
            }),
        };
        let flusher = std::thread::Builder::new()
            .name("depot-flusher".into())
            .spawn(move || flusher.run(flush_rx))
            .map_err(spawn_err)?;
        let writer = Writer {
            state: rec.state,
            store,
            config,
            stats: shared.stats.clone(),
            started,
            failed,
            stopped: false,
            inflight: VecDeque::new(),
            to_flusher: flush_tx,
            graveyard,
        };
        let handle = std::thread::Builder::new()
            .name("depot-writer".into())
            .spawn(move || writer.run(rx, flusher))
            .map_err(spawn_err)?;
        if let Ok(mut w) = shared.writer.lock() {
            *w = Some(handle);
        }
        Ok(Engine { shared })
    }

    fn send(&self, msg: Msg) -> bool {
        match self.shared.tx.read() {
            Ok(tx) => match tx.as_ref() {
                Some(tx) => tx.send(msg).is_ok(),
                None => false,
            },
            Err(_) => false,
        }
    }

    /// Submit one command and wait until it is durable (or refused).
    pub fn submit(&self, sub: Submission) -> Result<Reply, EngineError> {
        self.submit_nowait(sub)
            .recv()
            .unwrap_or(Err(EngineError::Stopped))
    }

    /// Submit one command; the answer arrives on the returned channel.
    /// Pipelining submissions lets group commit batch them.
    pub fn submit_nowait(&self, sub: Submission) -> Receiver<Result<Reply, EngineError>> {
        let (tx, rx) = mpsc::sync_channel(1);
        if !self.send(Msg::One(Box::new(sub), tx.clone())) {
            let _ = tx.send(Err(EngineError::Stopped));
        }
        rx
    }

    /// Submit commands as one all-or-nothing unit (an import, the demo):
    /// either every command commits, in order, or none does and the error
    /// names the first refused one. Keys are not allowed here.
    pub fn submit_all(&self, subs: Vec<Submission>) -> Result<Vec<Reply>, EngineError> {
        let (tx, rx) = mpsc::channel();
        if !self.send(Msg::All(subs, tx)) {
            return Err(EngineError::Stopped);
        }
        rx.recv().unwrap_or(Err(EngineError::Stopped))
    }

    /// Read the newest durable state (see [`Engine::view`]).
    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.view().state)
    }

    /// The newest durable state, to read several things at once; holding
    /// it never blocks the writer.
    pub fn state(&self) -> Arc<State> {
        self.view().state
    }

    /// Use the store directly (exports of the log, checks); `Stopped`
    /// after shutdown, which releases the store.
    pub fn with_store<R>(&self, f: impl FnOnce(&Store) -> R) -> Result<R, EngineError> {
        let guard = match self.shared.store.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        guard.as_ref().map(f).ok_or(EngineError::Stopped)
    }

    /// The newest durable view of the state: O(1), never waits for the
    /// writer beyond a pointer copy.
    pub fn view(&self) -> View {
        match self.shared.published.lock() {
            Ok(v) => v.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Call `f` with the new sequence number after every durable batch
    /// (bounded: a session merges notices behind a flag, see `ui::session`).
    pub fn watch(&self, f: Watcher) {
        if let Ok(mut w) = self.shared.watchers.lock() {
            w.push(f);
        }
    }

    /// What the writer spent its time on so far (the durable path's trace).
    pub fn stats(&self) -> WriterStats {
        match self.shared.stats.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Receive every committed batch from now on.
    pub fn subscribe(&self) -> Receiver<Committed> {
        let (tx, rx) = mpsc::channel();
        if let Ok(mut s) = self.shared.subscribers.lock() {
            s.push(tx);
        }
        rx
    }

    /// Save a snapshot of the durable state now (after the snapshots
    /// already under way); returns its sequence number.
    pub fn snapshot(&self) -> Result<u64, EngineError> {
        let (tx, rx) = mpsc::channel();
        if !self.send(Msg::Snapshot(tx)) {
            return Err(EngineError::Stopped);
        }
        rx.recv().unwrap_or(Err(EngineError::Stopped))
    }

    /// Stop accepting commands, finish what is queued, save a snapshot,
    /// and join the threads. Other clones see `Stopped` afterwards.
    pub fn shutdown(&self) -> Result<(), EngineError> {
        let (tx, rx) = mpsc::channel();
        let sent = self.send(Msg::Stop(tx));
        if let Ok(mut t) = self.shared.tx.write() {
            *t = None;
        }
        let result = if sent {
            rx.recv().unwrap_or(Err(EngineError::Stopped))
        } else {
            Ok(())
        };
        let handle = self.shared.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(h) = handle {
            let _ = h.join();
        }
        if let Ok(mut store) = self.shared.store.write() {
            *store = None;
        }
        result
    }
}

fn add_stats(stats: &Stats, b: WriterStats) {
    let mut s = match stats.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    s.merge(b);
}

/// Where a reply goes once the batch is durable.
enum Waiter {
    One(ReplyTx, Answer),
    /// A unit's commands, all logged: their records' seqs.
    All(AllTx, Vec<u64>),
}

/// A single command's answer as the writer leaves it.
enum Answer {
    /// Refused unlogged, or a repeated key's first outcome: complete.
    Ready(Reply),
    /// Logged as record `seq` of its batch: the publisher copies the
    /// outcome from the record (as for a unit's commands), so that the
    /// writer, which every command passes through in order, does not copy
    /// each command's events twice (once for the record, once for the
    /// reply).
    Logged(u64),
}

impl Waiter {
    /// Answer the caller; `records` are the waiter's own batch's.
    fn answer(self, records: &[Envelope]) {
        match self {
            Waiter::One(tx, Answer::Ready(r)) => {
                let _ = tx.send(Ok(r));
            }
            Waiter::One(tx, Answer::Logged(seq)) => {
                let _ = tx.send(logged_reply(records, seq));
            }
            Waiter::All(tx, seqs) => {
                let replies = seqs.iter().map(|&seq| logged_reply(records, seq));
                let _ = tx.send(replies.collect());
            }
        }
    }

    fn fail(self, err: impl Fn() -> EngineError) {
        match self {
            Waiter::One(tx, _) => {
                let _ = tx.send(Err(err()));
            }
            Waiter::All(tx, _) => {
                let _ = tx.send(Err(err()));
            }
        }
    }
}

/// The reply to the command logged as record `seq` of `records` (a
/// batch's records have consecutive seqs).
fn logged_reply(records: &[Envelope], seq: u64) -> Result<Reply, EngineError> {
    let env = records
        .first()
        .and_then(|f| usize::try_from(seq.checked_sub(f.seq)?).ok())
        .and_then(|i| records.get(i))
        .filter(|e| e.seq == seq);
    match env {
        Some(env) => Ok(Reply {
            seq: Some(seq),
            outcome: match &env.outcome {
                Outcome::Committed(ev) => Ok(ev.clone()),
                Outcome::Rejected(r) => Err(r.clone()),
            },
            duplicate: false,
        }),
        // Cannot happen: the writer put the record in this batch.
        None => {
            tracing::error!(seq, "a logged command's record is not in its batch");
            Err(EngineError::Failed)
        }
    }
}

/// A decided batch on its way to the disk.
struct Batch {
    /// Its log records (empty when every command of it was refused or a
    /// duplicate: it still waits for the batches before it).
    records: Committed,
    encoded: Encoded,
    /// The state after it (None when it logged nothing).
    state: Option<Arc<State>>,
    waiters: Vec<Waiter>,
}

/// What the writer hands the flusher, in order.
enum Item {
    Batch(Batch),
    Snapshot(Sender<Result<u64, EngineError>>),
    Stop(Sender<Result<(), EngineError>>),
}

/// Decides and applies; owns the only state with undurable batches in it.
struct Writer {
    state: State,
    store: Store,
    config: EngineConfig,
    stats: Stats,
    started: Instant,
    /// Set by the flusher when the store failed.
    failed: Arc<AtomicBool>,
    /// A stop was handed on: everything after is refused.
    stopped: bool,
    /// Batches handed to the flusher and not yet appended (a duplicate key
    /// may point into one of them).
    inflight: VecDeque<Committed>,
    to_flusher: SyncSender<Item>,
    /// What the publisher hands back to free here (`Dead`).
    graveyard: Receiver<Dead>,
}

impl Writer {
    fn run(mut self, rx: Receiver<Msg>, flusher: JoinHandle<()>) {
        // A batch is what queued while the last one was decided: sized
        // for the usual group so that it does not grow a slot at a time.
        let mut cap = self.config.batch_max.clamp(1, 64);
        while let Ok(first) = rx.recv() {
            let mut msgs = Vec::with_capacity(cap);
            msgs.push(first);
            while msgs.len() < self.config.batch_max {
                match rx.try_recv() {
                    Ok(m) => msgs.push(m),
                    Err(_) => break,
                }
            }
            cap = msgs
                .len()
                .next_power_of_two()
                .max(64)
                .min(self.config.batch_max.max(1));
            if self.batch(msgs) {
                break;
            }
        }
        // The flusher drains what it was handed and ends.
        drop(self.to_flusher);
        let _ = flusher.join();
    }

    fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    /// Free what the publisher handed back (after a batch is handed on,
    /// while the flusher writes it).
    fn bury(&self) {
        while let Ok(s) = self.graveyard.try_recv() {
            drop(s);
        }
    }

    /// Decide one group of messages and hand it on; true when the writer
    /// must stop.
    fn batch(&mut self, msgs: Vec<Msg>) -> bool {
        let t = Instant::now();
        let mut stats = WriterStats::default();
        let mut records: Vec<Envelope> = Vec::with_capacity(msgs.len());
        let mut waiters: Vec<Waiter> = Vec::with_capacity(msgs.len());
        let mut then: Vec<Item> = Vec::new();
        self.prune_inflight();
        for msg in msgs {
            if self.failed() || self.stopped {
                refuse(msg, self.failed());
                continue;
            }
            match msg {
                Msg::One(sub, tx) => {
                    let (answer, env) = self.one(&self.state, &records, *sub);
                    if let Some(env) = env {
                        apply(&mut self.state, &env);
                        records.push(env);
                    }
                    waiters.push(Waiter::One(tx, answer));
                }
                Msg::All(subs, tx) => match self.all(&self.state, subs) {
                    Ok((next, envs)) => {
                        self.state = next;
                        let seqs = envs.iter().map(|e| e.seq).collect();
                        records.extend(envs);
                        waiters.push(Waiter::All(tx, seqs));
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                },
                Msg::Snapshot(tx) => then.push(Item::Snapshot(tx)),
                Msg::Stop(tx) => {
                    self.stopped = true;
                    then.push(Item::Stop(tx));
                }
            }
        }
        let encoded = match Store::encode(&records) {
            Ok(e) => e,
            Err(e) => {
                // Cannot happen for a record we built; fail-stop all the
                // same, after what was handed on before.
                tracing::error!(error = %e, "cannot encode a batch: stopping the engine");
                self.failed.store(true, Ordering::SeqCst);
                let msg = e.to_string();
                for w in waiters {
                    w.fail(|| EngineError::Store(StoreError::Sled(msg.clone())));
                }
                waiters = Vec::new();
                records.clear();
                Encoded::default()
            }
        };
        stats.batches = 1;
        stats.records = records.len() as u64;
        let state = if records.is_empty() {
            None
        } else {
            Some(Arc::new(self.state.clone()))
        };
        let records: Committed = Arc::new(records);
        stats.phase(0, t, self.started);
        if !records.is_empty() {
            self.inflight.push_back(records.clone());
        }
        let mut items = Vec::with_capacity(1 + then.len());
        if !waiters.is_empty() || !records.is_empty() {
            items.push(Item::Batch(Batch {
                records,
                encoded,
                state,
                waiters,
            }));
        }
        items.extend(then);
        let mut stop = false;
        for item in items {
            stop |= matches!(item, Item::Stop(_));
            if let Err(mpsc::SendError(item)) = self.to_flusher.send(item) {
                // The flusher has ended (after a store failure).
                refuse_item(item);
                stop = true;
            }
        }
        // While the flusher writes the batch: free what was handed back.
        let t = Instant::now();
        self.bury();
        stats.phase(5, t, self.started);
        add_stats(&self.stats, stats);
        stop
    }

    /// Forget the in-flight batches the store has appended.
    fn prune_inflight(&mut self) {
        let appended = self.store.appended();
        while self
            .inflight
            .front()
            .is_some_and(|b| b.last().is_none_or(|e| e.seq <= appended))
        {
            self.inflight.pop_front();
        }
    }

    /// A record of this batch, of one in flight, or of the log.
    fn record(&self, pending: &[Envelope], seq: u64) -> Result<Option<Envelope>, StoreError> {
        if let Some(e) = pending.iter().find(|e| e.seq == seq) {
            return Ok(Some(e.clone()));
        }
        for b in &self.inflight {
            if let Some(e) = b.iter().find(|e| e.seq == seq) {
                return Ok(Some(e.clone()));
            }
        }
        self.store.get(seq)
    }

    fn command(&self, sub: Submission) -> Command {
        Command {
            operator: sub.operator.into(),
            session: sub.session,
            time: (self.config.clock)(),
            key: sub.key,
            body: sub.body,
        }
    }

    /// Decide one command against `state` (which already includes the
    /// earlier records of this batch, listed in `pending`).
    fn one(
        &self,
        state: &State,
        pending: &[Envelope],
        sub: Submission,
    ) -> (Answer, Option<Envelope>) {
        let cmd = self.command(sub);
        // Only a keyed command is ever compared by its digest.
        let digest = if cmd.key.is_some() {
            cmd.body.digest()
        } else {
            KeyDigest::None
        };
        if let Some(key) = &cmd.key {
            if let Some(used) = state.keys.get(key) {
                // The first outcome goes only to the operator who sent the
                // command, and only for the same command (its SHA-256).
                let same = used.operator == cmd.operator
                    && match &used.digest {
                        KeyDigest::Sha256(_) => used.digest == digest,
                        legacy => cmd.body.matches(legacy),
                    };
                if !same {
                    let reply = Reply {
                        seq: None,
                        outcome: Err(Rejection::KeyConflict { key: key.clone() }),
                        duplicate: false,
                    };
                    return (Answer::Ready(reply), None);
                }
                let first = self.record(pending, used.seq);
                let outcome = match first {
                    Ok(Some(env)) => match env.outcome {
                        Outcome::Committed(ev) => Ok(ev),
                        Outcome::Rejected(r) => Err(r),
                    },
                    // The log lost the record the key points to: say so
                    // rather than pretend.
                    Ok(None) | Err(_) => Err(Rejection::KeyConflict { key: key.clone() }),
                };
                let reply = Reply {
                    seq: Some(used.seq),
                    outcome,
                    duplicate: true,
                };
                return (Answer::Ready(reply), None);
            }
        }
        let result = decide(state, &cmd);
        let log_it = match &result {
            Ok(_) => true,
            Err(Rejection::InvalidKey { .. }) => false,
            Err(_) => cmd.key.is_some(),
        };
        if !log_it {
            let reply = Reply {
                seq: None,
                outcome: result,
                duplicate: false,
            };
            return (Answer::Ready(reply), None);
        }
        let seq = state.seq + 1;
        let env = Envelope {
            seq,
            time: cmd.time,
            operator: cmd.operator.clone(),
            session: cmd.session.clone(),
            key: cmd.key.clone(),
            digest,
            command: cmd.body.name().to_string(),
            outcome: match result {
                Ok(ev) => Outcome::Committed(ev),
                Err(r) => Outcome::Rejected(r),
            },
        };
        (Answer::Logged(seq), Some(env))
    }

    /// Decide and apply a whole unit on a copy of the state.
    fn all(
        &self,
        state: &State,
        subs: Vec<Submission>,
    ) -> Result<(State, Vec<Envelope>), EngineError> {
        let mut next = state.clone();
        let mut envs = Vec::with_capacity(subs.len());
        for (index, mut sub) in subs.into_iter().enumerate() {
            sub.key = None;
            let cmd = self.command(sub);
            let env = execute(&mut next, &cmd)
                .map_err(|rejection| EngineError::Rejected { index, rejection })?;
            envs.push(env);
        }
        Ok((next, envs))
    }
}

/// Makes batches durable in order, then hands them to the publisher.
struct Flusher {
    store: Store,
    stats: Stats,
    started: Instant,
    failed: Arc<AtomicBool>,
    snapshot_every: u64,
    /// The newest durable state handed to the snapshot thread.
    last_snapshot: u64,
    /// The snapshot recovery started from (0: the whole log replayed).
    recovered_from: u64,
    snapshots: Option<Snapshotter>,
    /// The newest durable state (the publisher may not have published it
    /// yet): what a snapshot and the stop save.
    durable: Arc<State>,
    publisher: Publisher,
}

impl Flusher {
    fn run(mut self, rx: Receiver<Item>) {
        while let Ok(first) = rx.recv() {
            // Every batch decided while the last flush ran goes into this
            // one; a snapshot or stop request waits for the batches before it.
            let mut group = Vec::new();
            let mut then = None;
            let mut next = Some(first);
            while let Some(item) = next.take() {
                match item {
                    Item::Batch(b) => group.push(b),
                    other => {
                        then = Some(other);
                        break;
                    }
                }
                next = rx.try_recv().ok();
            }
            if !group.is_empty() {
                self.commit(group);
            }
            match then {
                Some(Item::Snapshot(tx)) => self.snapshot_now(tx),
                Some(Item::Stop(tx)) => {
                    let _ = tx.send(self.stop());
                    return;
                }
                _ => {}
            }
        }
        // Every handle dropped: finish the snapshot under way.
        self.finish();
    }

    fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    fn commit(&mut self, group: Vec<Batch>) {
        if self.failed() {
            for b in group {
                for w in b.waiters {
                    w.fail(|| EngineError::Failed);
                }
            }
            return;
        }
        let mut stats = WriterStats::default();
        let logged = group.iter().any(|b| !b.records.is_empty());
        if logged {
            let t = Instant::now();
            let mut encoded = Vec::with_capacity(group.len());
            let mut rest = Vec::with_capacity(group.len());
            for b in group {
                encoded.push(b.encoded);
                rest.push((b.records, b.state, b.waiters));
            }
            let written = self.store.append_encoded(encoded).and_then(|_| {
                stats.phase(1, t, self.started);
                let t = Instant::now();
                let r = self.store.flush();
                stats.phase(2, t, self.started);
                stats.flushes = 1;
                r
            });
            if let Err(e) = written {
                tracing::error!(error = %e, "store failed: stopping the engine");
                // Before anyone is answered: the writer refuses from now on.
                self.failed.store(true, Ordering::SeqCst);
                let msg = e.to_string();
                for (_, _, waiters) in rest {
                    for w in waiters {
                        w.fail(|| EngineError::Store(StoreError::Sled(msg.clone())));
                    }
                }
                add_stats(&self.stats, stats);
                return;
            }
            add_stats(&self.stats, stats);
            self.hand_on(rest);
        } else {
            let rest = group
                .into_iter()
                .map(|b| (b.records, b.state, b.waiters))
                .collect();
            self.hand_on(rest);
        }
    }

    /// The batches are durable: hand them to the publisher, and the
    /// newest state to the snapshot thread when one is due.
    fn hand_on(&mut self, batches: Durable) {
        let newest = batches.iter().rev().find_map(|(_, s, _)| s.clone());
        // The durable state this one replaces is dropped by the publisher
        // too, after it publishes: here it could be the last copy.
        let retired = newest
            .as_ref()
            .map(|state| std::mem::replace(&mut self.durable, state.clone()));
        self.publisher.publish(batches, retired);
        if let Some(state) = newest {
            let seq = state.seq;
            if seq >= self.last_snapshot + self.snapshot_every && self.snapshotter().periodic(state)
            {
                self.last_snapshot = seq;
            }
        }
    }

    fn snapshotter(&mut self) -> &Snapshotter {
        self.snapshots.get_or_insert_with(|| {
            Snapshotter::start(self.store.clone(), self.stats.clone(), self.started)
        })
    }

    fn snapshot_now(&mut self, tx: Sender<Result<u64, EngineError>>) {
        if self.failed() {
            let _ = tx.send(Err(EngineError::Failed));
            return;
        }
        let state = self.durable.clone();
        self.last_snapshot = state.seq;
        self.snapshotter().requested(state, tx);
    }

    /// Answer every durable batch, then wait for the snapshots under way.
    fn finish(&mut self) -> u64 {
        self.publisher.finish();
        match self.snapshots.take() {
            Some(s) => s.finish(),
            None => 0,
        }
    }

    fn stop(&mut self) -> Result<(), EngineError> {
        let saved = self.finish();
        if self.failed() {
            return Err(EngineError::Failed);
        }
        let state = self.durable.clone();
        let mut snapshot = Ok(());
        // Saved when the state is past the snapshot recovery started
        // from: records were written, or recovery replayed past a snapshot
        // it skipped (an older state version, damage). A store opened
        // only to read after an upgrade then replays its log once, not at
        // every open.
        if state.seq > saved.max(self.recovered_from) {
            let t = Instant::now();
            snapshot = self.store.save_snapshot(&state);
            let mut stats = WriterStats::default();
            stats.phase(4, t, self.started);
            add_stats(&self.stats, stats);
        }
        // Closed even when the snapshot failed: the mark is made durable.
        let closed = self.store.close();
        snapshot.and(closed).map_err(EngineError::Shutdown)
    }
}

/// A snapshot to save, and who asked for it (None: a periodic one).
type SnapJob = (Arc<State>, Option<Sender<Result<u64, EngineError>>>);

/// Encodes and saves snapshots on its own thread, from O(1) clones of
/// durable states: the writer and the flusher never wait for one. A
/// periodic snapshot falling due while one is being saved is taken of
/// the first durable state after that one is saved.
struct Snapshotter {
    tx: Sender<SnapJob>,
    busy: Arc<AtomicBool>,
    saved: Arc<std::sync::atomic::AtomicU64>,
    handle: Option<JoinHandle<()>>,
}

impl Snapshotter {
    fn start(store: Store, stats: Stats, started: Instant) -> Snapshotter {
        let (tx, rx) = mpsc::channel::<SnapJob>();
        let busy = Arc::new(AtomicBool::new(false));
        let saved = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (b, s) = (busy.clone(), saved.clone());
        let handle = std::thread::Builder::new()
            .name("depot-snapshots".into())
            .spawn(move || {
                while let Ok((state, reply)) = rx.recv() {
                    let t = Instant::now();
                    let result = store.save_snapshot(&state);
                    let mut st = WriterStats::default();
                    st.phase(4, t, started);
                    add_stats(&stats, st);
                    match &result {
                        Ok(()) => {
                            s.fetch_max(state.seq, Ordering::SeqCst);
                        }
                        Err(e) if reply.is_none() => {
                            tracing::warn!(error = %e, "periodic snapshot failed (the log is intact)");
                        }
                        Err(_) => {}
                    }
                    if let Some(tx) = reply {
                        let _ = tx.send(result.map(|_| state.seq).map_err(EngineError::from));
                    }
                    drop(state);
                    b.store(false, Ordering::SeqCst);
                }
            })
            .ok();
        Snapshotter {
            tx,
            busy,
            saved,
            handle,
        }
    }

    /// Hand a periodic snapshot over; false when one is being saved
    /// (the next durable batch tries again) or there is no thread.
    fn periodic(&self, state: Arc<State>) -> bool {
        if self.handle.is_none() || self.busy.swap(true, Ordering::SeqCst) {
            return false;
        }
        self.tx.send((state, None)).is_ok()
    }

    fn requested(&self, state: Arc<State>, reply: Sender<Result<u64, EngineError>>) {
        if self.handle.is_none() {
            let _ = reply.send(Err(EngineError::Stopped));
            return;
        }
        self.busy.store(true, Ordering::SeqCst);
        if let Err(mpsc::SendError((_, Some(reply)))) = self.tx.send((state, Some(reply))) {
            let _ = reply.send(Err(EngineError::Stopped));
        }
    }

    /// Wait for the snapshots queued; the newest saved.
    fn finish(self) -> u64 {
        let Snapshotter {
            tx, saved, handle, ..
        } = self;
        drop(tx);
        if let Some(h) = handle {
            let _ = h.join();
        }
        saved.load(Ordering::SeqCst)
    }
}

/// Durable groups waiting for the publisher.
const PUBLISH_QUEUE: usize = 4;

/// A durable group on its way to its callers: (records, the state after
/// them, who waits for them) per batch.
type Durable = Vec<(Committed, Option<Arc<State>>, Vec<Waiter>)>;

/// What publishing a durable group touches.
struct Outlets {
    published: Arc<Mutex<View>>,
    watchers: Watchers,
    subscribers: Subscribers,
    stats: Stats,
    started: Instant,
    /// What the writer allocated and no one uses any more goes back to
    /// it to be freed there (`Writer::bury`).
    graveyard: Sender<Dead>,
}

/// What the writer allocated, handed back to it to free: a state no
/// longer published (the nodes its batches copied), or a batch's records
/// once answered. Freed on another thread, they contended with the
/// writer's own allocations for the allocator's lock (glibc's arena
/// lock: `__lll_lock_wake_private` was 6.6 % of the writer's samples
/// under 64 submitters). They wait in the channel until the writer's
/// next batch, so an idle engine keeps the last few states' own nodes.
enum Dead {
    State(Arc<State>),
    Records(Committed),
}

impl Outlets {
    /// The batches are durable: publish the newest state, tell watchers
    /// and subscribers, then answer the callers, in order. The state no
    /// longer published is dropped last: what it does not share with the
    /// new one (the paths the writer copied since) is freed node by node,
    /// documents and all, after everyone is answered.
    fn publish(&self, batches: Durable, retired: Option<Arc<State>>) {
        let t = Instant::now();
        let newest = batches.iter().rev().find_map(|(_, s, _)| s.clone());
        let mut old = None;
        if let Some(state) = newest {
            let view = View {
                seq: state.seq,
                state,
            };
            let seq = view.seq;
            old = Some(match self.published.lock() {
                Ok(mut p) => std::mem::replace(&mut *p, view),
                Err(p) => std::mem::replace(&mut *p.into_inner(), view),
            });
            // A watcher that panics is forgotten; the batch's callers are
            // still answered.
            let mut w = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
            w.retain(|f| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(seq))).unwrap_or(false)
            });
        }
        // Subscribers hear of a batch before its callers are answered, so
        // a caller never sees a screen that has not caught up.
        let mut answers = Vec::with_capacity(batches.len());
        let mut dead: Vec<Dead> = Vec::with_capacity(2 * batches.len() + 2);
        for (records, state, waiters) in batches {
            dead.extend(state.map(Dead::State));
            if !records.is_empty() {
                if let Ok(mut subs) = self.subscribers.lock() {
                    subs.retain(|s| s.send(records.clone()).is_ok());
                }
            }
            answers.push((records, waiters));
        }
        for (records, waiters) in answers {
            for w in waiters {
                w.answer(&records);
            }
            dead.push(Dead::Records(records));
        }
        let mut stats = WriterStats::default();
        stats.phase(3, t, self.started);
        add_stats(&self.stats, stats);
        dead.extend(old.map(|v| Dead::State(v.state)));
        dead.extend(retired.map(Dead::State));
        self.bury(dead);
    }

    /// Hand what the writer allocated back to it to free (`Dead`); what
    /// someone still holds (a reader's view, the writer's own list of
    /// batches in flight) is only counted down here, and everything is
    /// freed here when the writer is gone.
    fn bury(&self, dead: Vec<Dead>) {
        for d in dead {
            let last = match &d {
                Dead::State(s) => Arc::strong_count(s) == 1,
                Dead::Records(r) => Arc::strong_count(r) == 1,
            };
            if last {
                let _ = self.graveyard.send(d);
            }
        }
    }
}

/// Publishes durable groups and answers their callers on a thread of its
/// own, in the order they were flushed, while the flusher appends and
/// flushes the next group: waking a batch's callers and freeing the
/// state it replaces took as long as the flush itself, and the next
/// flush waited for them.
struct Publisher {
    tx: Option<SyncSender<(Durable, Option<Arc<State>>)>>,
    handle: Option<JoinHandle<()>>,
    /// Publishes on the flusher's thread when there is no thread.
    outlets: Arc<Outlets>,
}

impl Publisher {
    fn start(outlets: Outlets) -> Publisher {
        let outlets = Arc::new(outlets);
        // A bounded queue: should answering fall behind the flushes, the
        // flusher waits rather than durable groups (each with its state)
        // piling up.
        let (tx, rx) = mpsc::sync_channel::<(Durable, Option<Arc<State>>)>(PUBLISH_QUEUE);
        let o = outlets.clone();
        let handle = std::thread::Builder::new()
            .name("depot-publisher".into())
            .spawn(move || {
                for (group, retired) in rx {
                    o.publish(group, retired);
                }
            })
            .ok();
        Publisher {
            tx: handle.as_ref().map(|_| tx),
            handle,
            outlets,
        }
    }

    fn publish(&self, group: Durable, retired: Option<Arc<State>>) {
        let (group, retired) = match &self.tx {
            Some(tx) => match tx.send((group, retired)) {
                Ok(()) => return,
                // The thread has gone (it panicked): the group is durable,
                // so it is published here all the same.
                Err(mpsc::SendError(item)) => item,
            },
            None => (group, retired),
        };
        self.outlets.publish(group, retired);
    }

    /// Wait until every group handed over is published and answered.
    fn finish(&mut self) {
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn refuse_item(item: Item) {
    match item {
        Item::Batch(b) => {
            for w in b.waiters {
                w.fail(|| EngineError::Failed);
            }
        }
        Item::Snapshot(tx) => {
            let _ = tx.send(Err(EngineError::Failed));
        }
        Item::Stop(tx) => {
            let _ = tx.send(Err(EngineError::Failed));
        }
    }
}

fn refuse(msg: Msg, failed: bool) {
    let err = || {
        if failed {
            EngineError::Failed
        } else {
            EngineError::Stopped
        }
    };
    match msg {
        Msg::One(_, tx) => {
            let _ = tx.send(Err(err()));
        }
        Msg::All(_, tx) => {
            let _ = tx.send(Err(err()));
        }
        Msg::Snapshot(tx) => {
            let _ = tx.send(Err(err()));
        }
        Msg::Stop(tx) => {
            let _ = tx.send(Ok(()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64, outcome: Outcome) -> Envelope {
        Envelope {
            seq,
            time: DateTime::<Utc>::default(),
            operator: "OP1".into(),
            session: String::new(),
            key: None,
            digest: KeyDigest::None,
            command: "x".into(),
            outcome,
        }
    }

    /// A logged command's reply carries its own record's outcome, found
    /// by its seq in the batch; a seq the batch lacks is an error, never
    /// a neighbour's answer.
    #[test]
    fn a_logged_reply_is_its_own_records_outcome() {
        let refused = Rejection::KeyConflict { key: "K1".into() };
        let batch = vec![
            record(7, Outcome::Committed(Vec::new())),
            record(8, Outcome::Rejected(refused.clone())),
            record(9, Outcome::Committed(Vec::new())),
        ];
        let r = logged_reply(&batch, 8).expect("record 8 is in the batch");
        assert_eq!(r.seq, Some(8));
        assert_eq!(r.outcome, Err(refused));
        assert!(!r.duplicate);
        assert_eq!(logged_reply(&batch, 9).map(|r| r.seq).ok(), Some(Some(9)));
        for missing in [6, 10, u64::MAX] {
            assert!(
                matches!(logged_reply(&batch, missing), Err(EngineError::Failed)),
                "seq {missing}"
            );
        }
        assert!(matches!(logged_reply(&[], 1), Err(EngineError::Failed)));
    }
}
