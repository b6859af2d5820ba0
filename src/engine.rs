//! The engine: one writer thread owns the state; callers submit commands
//! through a channel. The writer takes every pending command (up to
//! `batch_max`), decides and applies them in order, appends their records
//! in one sled batch, flushes once, and only then answers (group commit).
//!
//! - Idempotency: a command with a key that was used before gets the first
//!   outcome back (`duplicate: true`), if its body is the same (SHA-256 of
//!   its JSON) and it comes from the same operator; a different body, or
//!   the same key from another operator, is refused (`key_conflict`). A keyed command
//!   that is rejected is logged too, so its repeat gets the same rejection.
//! - Fail-stop: if the store cannot append or flush, nothing of the batch is
//!   acknowledged, every waiting caller gets the error, and the engine
//!   refuses everything after. The process must restart and recover; it
//!   never answers from a state that disagrees with the disk.
//! - Readers take the state's read lock; a batch is applied under the write
//!   lock before its flush (readers may see it a flush early; no caller is
//!   told it happened until it is durable).
//! - Every committed batch is broadcast to subscribers.

use crate::core::rejection::Rejection;
use crate::core::{
    apply, decide, execute, Command, CommandBody, Envelope, Event, KeyDigest, Outcome, State,
};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

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

type ReplyTx = Sender<Result<Reply, EngineError>>;
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
/// to be forgotten (its session has gone). It runs on the writer thread:
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
    /// Batches decided (group commits) and records logged.
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

/// The phases [`WriterStats`] times.
pub const PHASES: [&str; 5] = ["decide", "append", "flush", "publish", "snapshot"];

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
                let at = since.duration_since(start).as_millis().min(u64::MAX as u128) as u64;
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
            out.push_str(&format!(" {name} {:.0}/{:.1}", t as f64 / 1000.0, m as f64 / 1000.0));
        }
        if !self.slow.is_empty() {
            out.push_str(&format!("; {} phases over {} ms:", self.slow.len(), SLOW_PHASE_US / 1000));
            for (name, at, us) in self.slow.iter().take(20) {
                out.push_str(&format!(" {name} {:.1} ms at {at} ms,", *us as f64 / 1000.0));
            }
        }
        out
    }
}

type Stats = Arc<Mutex<WriterStats>>;

/// What every handle shares. The writer holds only the state, the store
/// and the subscribers (not the channel), so dropping the last handle
/// ends the writer and releases the store.
struct Shared {
    state: Arc<RwLock<State>>,
    published: Arc<Mutex<View>>,
    watchers: Watchers,
    store: RwLock<Option<Store>>,
    subscribers: Subscribers,
    stats: Stats,
    tx: Mutex<Option<Sender<Msg>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// Handle to a running engine; cheap to clone, shared by every session.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

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
        let published = Arc::new(Mutex::new(View {
            seq: rec.state.seq,
            state: Arc::new(rec.state.clone()),
        }));
        let shared = Arc::new(Shared {
            published: published.clone(),
            watchers: Watchers::default(),
            state: Arc::new(RwLock::new(rec.state)),
            store: RwLock::new(Some(store.clone())),
            subscribers: Subscribers::default(),
            stats: Stats::default(),
            tx: Mutex::new(Some(tx)),
            writer: Mutex::default(),
        });
        let state = shared.state.clone();
        let subscribers = shared.subscribers.clone();
        let watchers = shared.watchers.clone();
        let stats = shared.stats.clone();
        let handle = std::thread::Builder::new()
            .name("depot-writer".into())
            .spawn(move || {
                Writer {
                    state,
                    published,
                    watchers,
                    store,
                    subscribers,
                    config,
                    last_snapshot,
                    failed: false,
                    stats,
                    started: std::time::Instant::now(),
                }
                .run(rx)
            })
            .map_err(|e| {
                EngineError::Store(StoreError::Io {
                    what: "starting the writer thread".into(),
                    source: e,
                })
            })?;
        if let Ok(mut w) = shared.writer.lock() {
            *w = Some(handle);
        }
        Ok(Engine { shared })
    }

    fn send(&self, msg: Msg) -> bool {
        match self.shared.tx.lock() {
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
        let (tx, rx) = mpsc::channel();
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

    /// Read the state (a consistent view between batches).
    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        let guard = match self.shared.state.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&guard)
    }

    /// Hold the state's read lock (screens read several things at once).
    /// Keep it short: the writer waits for it.
    pub fn state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        match self.shared.state.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
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

    /// Save a snapshot now; returns its sequence number.
    pub fn snapshot(&self) -> Result<u64, EngineError> {
        let (tx, rx) = mpsc::channel();
        if !self.send(Msg::Snapshot(tx)) {
            return Err(EngineError::Stopped);
        }
        rx.recv().unwrap_or(Err(EngineError::Stopped))
    }

    /// Stop accepting commands, finish what is queued, save a snapshot,
    /// and join the writer. Other clones see `Stopped` afterwards.
    pub fn shutdown(&self) -> Result<(), EngineError> {
        let (tx, rx) = mpsc::channel();
        let sent = self.send(Msg::Stop(tx));
        if let Ok(mut t) = self.shared.tx.lock() {
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

struct Writer {
    stats: Stats,
    started: std::time::Instant,
    state: Arc<RwLock<State>>,
    published: Arc<Mutex<View>>,
    watchers: Watchers,
    store: Store,
    subscribers: Subscribers,
    config: EngineConfig,
    last_snapshot: u64,
    failed: bool,
}

/// Where a reply goes once the batch is durable.
enum Waiter {
    One(ReplyTx, Reply),
    All(AllTx, Vec<Reply>),
}

impl Writer {
    fn run(mut self, rx: Receiver<Msg>) {
        while let Ok(first) = rx.recv() {
            let mut msgs = vec![first];
            while msgs.len() < self.config.batch_max {
                match rx.try_recv() {
                    Ok(m) => msgs.push(m),
                    Err(_) => break,
                }
            }
            if self.batch(msgs) {
                return;
            }
        }
    }

    /// Process one group of messages; true when the writer must stop.
    fn batch(&mut self, msgs: Vec<Msg>) -> bool {
        let mut stop: Option<Sender<Result<(), EngineError>>> = None;
        let mut snapshots = Vec::new();
        let mut records: Vec<Envelope> = Vec::new();
        let mut waiters: Vec<Waiter> = Vec::new();
        let mut stats = WriterStats::default();
        let t = std::time::Instant::now();
        {
            let mut state = match self.state.write() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            for msg in msgs {
                if self.failed || stop.is_some() {
                    refuse(msg, self.failed);
                    continue;
                }
                match msg {
                    Msg::One(sub, tx) => {
                        let (reply, env) = self.one(&state, &records, *sub);
                        if let Some(env) = env {
                            apply(&mut state, &env);
                            records.push(env);
                        }
                        waiters.push(Waiter::One(tx, reply));
                    }
                    Msg::All(subs, tx) => match self.all(&state, subs) {
                        Ok((next, envs, replies)) => {
                            *state = next;
                            records.extend(envs);
                            waiters.push(Waiter::All(tx, replies));
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    },
                    Msg::Snapshot(tx) => snapshots.push(tx),
                    Msg::Stop(tx) => stop = Some(tx),
                }
            }
        }
        stats.phase(0, t, self.started);
        stats.batches = 1;
        stats.records = records.len() as u64;
        if !records.is_empty() {
            let t = std::time::Instant::now();
            let written = self.store.append(&records).and_then(|_| {
                stats.phase(1, t, self.started);
                let t = std::time::Instant::now();
                let r = self.store.flush();
                stats.phase(2, t, self.started);
                stats.flushes = 1;
                r
            });
            if let Err(e) = written {
                tracing::error!(error = %e, "store failed: stopping the engine");
                self.failed = true;
                let msg = e.to_string();
                for w in waiters {
                    let err = || EngineError::Store(StoreError::Sled(msg.clone()));
                    match w {
                        Waiter::One(tx, _) => {
                            let _ = tx.send(Err(err()));
                        }
                        Waiter::All(tx, _) => {
                            let _ = tx.send(Err(err()));
                        }
                    }
                }
                for tx in snapshots {
                    let _ = tx.send(Err(EngineError::Failed));
                }
                if let Some(tx) = stop {
                    let _ = tx.send(Err(EngineError::Failed));
                    return true;
                }
                return false;
            }
        }
        // Subscribers hear of a batch before its callers are answered, so
        // a caller never sees a screen that has not caught up.
        let t = std::time::Instant::now();
        if !records.is_empty() {
            self.broadcast(records);
        }
        for w in waiters {
            match w {
                Waiter::One(tx, r) => {
                    let _ = tx.send(Ok(r));
                }
                Waiter::All(tx, r) => {
                    let _ = tx.send(Ok(r));
                }
            }
        }
        stats.phase(3, t, self.started);
        let seq = self.read_seq();
        if seq >= self.last_snapshot + self.config.snapshot_every.max(1) {
            let t = std::time::Instant::now();
            if let Err(e) = self.save_snapshot() {
                tracing::warn!(error = %e, "periodic snapshot failed (the log is intact)");
            }
            stats.phase(4, t, self.started);
        }
        self.add_stats(stats);
        for tx in snapshots {
            let _ = tx.send(self.save_snapshot().map(|_| self.read_seq()));
        }
        if let Some(tx) = stop {
            let result = if self.read_seq() > self.last_snapshot {
                self.save_snapshot()
            } else {
                Ok(())
            }
            .and_then(|_| self.store.close().map_err(EngineError::from));
            let _ = tx.send(result);
            return true;
        }
        false
    }

    fn add_stats(&self, b: WriterStats) {
        let mut s = match self.stats.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        s.merge(b);
    }

    fn read_seq(&self) -> u64 {
        match self.state.read() {
            Ok(g) => g.seq,
            Err(p) => p.into_inner().seq,
        }
    }

    fn save_snapshot(&mut self) -> Result<(), EngineError> {
        let state = match self.state.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        self.store.save_snapshot(&state)?;
        self.last_snapshot = state.seq;
        Ok(())
    }

    fn broadcast(&self, records: Vec<Envelope>) {
        // Publish the durable state first, so that whoever is told of the
        // batch finds it in the view.
        let view = {
            let state = match self.state.read() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            View {
                seq: state.seq,
                state: Arc::new(state.clone()),
            }
        };
        let seq = view.seq;
        match self.published.lock() {
            Ok(mut p) => *p = view,
            Err(p) => *p.into_inner() = view,
        }
        if let Ok(mut w) = self.watchers.lock() {
            w.retain(|f| f(seq));
        }
        let batch: Committed = Arc::new(records);
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.retain(|s| s.send(batch.clone()).is_ok());
        }
    }

    fn command(&self, sub: Submission) -> Command {
        Command {
            operator: sub.operator,
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
    ) -> (Reply, Option<Envelope>) {
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
                    return (reply, None);
                }
                let first = match pending.iter().find(|e| e.seq == used.seq) {
                    Some(e) => Ok(Some(e.clone())),
                    None => self.store.get(used.seq),
                };
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
                return (reply, None);
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
            return (reply, None);
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
            outcome: match &result {
                Ok(ev) => Outcome::Committed(ev.clone()),
                Err(r) => Outcome::Rejected(r.clone()),
            },
        };
        let reply = Reply {
            seq: Some(seq),
            outcome: result,
            duplicate: false,
        };
        (reply, Some(env))
    }

    /// Decide and apply a whole unit on a copy of the state.
    fn all(
        &self,
        state: &State,
        subs: Vec<Submission>,
    ) -> Result<(State, Vec<Envelope>, Vec<Reply>), EngineError> {
        let mut next = state.clone();
        let mut envs = Vec::with_capacity(subs.len());
        let mut replies = Vec::with_capacity(subs.len());
        for (index, mut sub) in subs.into_iter().enumerate() {
            sub.key = None;
            let cmd = self.command(sub);
            let env = execute(&mut next, &cmd)
                .map_err(|rejection| EngineError::Rejected { index, rejection })?;
            replies.push(Reply {
                seq: Some(env.seq),
                outcome: Ok(env.events().to_vec()),
                duplicate: false,
            });
            envs.push(env);
        }
        Ok((next, envs, replies))
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
