//! The models' worker (issue 23): suggestions are trained off the UI
//! thread and off the writer. One thread per process (the TUI's, or one
//! for every `serve` session) takes the published view (O(1), never the
//! writer's lock), trains the models of `crate::models` on it, and
//! publishes the suggestions with the record (`seq`) and the time they
//! were trained on. It trains again when the state has moved on by
//! [`Policy::records`] records, or when it has moved at all and
//! [`Policy::minutes`] have passed since the last training; a commit
//! only nudges it (a flag and a bounded channel, never a wait). Screens
//! read the last published result (`Backend::suggestions`, an `Arc`
//! clone) and say how old it is when the state has moved on since.

use crate::core::State;
use crate::engine::View;
use crate::models::{collections, discrepancy, late};
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// When to train again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Records the state may move on by before the suggestions are redone.
    pub records: u64,
    /// Minutes after which any change is enough.
    pub minutes: i64,
    /// How often the worker looks without being nudged (the clock moves
    /// suggestions too: what is overdue today).
    pub look_ms: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            records: 200,
            minutes: 10,
            look_ms: 60_000,
        }
    }
}

impl Policy {
    /// Is a training due, given the last one (its seq and time)?
    pub fn due(&self, last: Option<(u64, DateTime<Utc>)>, seq: u64, now: DateTime<Utc>) -> bool {
        match last {
            None => true,
            Some((at, _)) if seq < at => true, // a restored store: start over
            Some((at, _)) if seq - at >= self.records => true,
            Some((at, when)) => seq > at && (now - when).num_minutes() >= self.minutes,
        }
    }
}

/// Open orders at least this likely to ship late are listed in the
/// exception queue as predictions (the seeded history ships about one
/// order in six late: 25 % is half as likely again, and lists a handful
/// on a 12-month store, not every open order).
pub const LATE_QUEUE_MIN: f64 = 0.25;

/// What the models suggest on one state, and which state that was.
pub struct Suggestions {
    /// The record the models were trained on.
    pub seq: u64,
    /// When they were trained.
    pub trained_at: DateTime<Utc>,
    /// The business day the collections ranking is for.
    pub asof: NaiveDate,
    /// Open orders not shipped yet, riskiest first, with their factors.
    pub late: Vec<late::Risk>,
    /// Open receivables, by exposure x p(late) first, with their factors.
    pub collections: Vec<collections::Suggestion>,
    /// What invoices usually look like (the draft check before posting).
    pub invoices: discrepancy::Reference,
    /// How long the training took.
    pub took: Duration,
}

impl std::fmt::Debug for Suggestions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suggestions")
            .field("seq", &self.seq)
            .field("trained_at", &self.trained_at)
            .field("late", &self.late.len())
            .field("collections", &self.collections.len())
            .field("invoices", &self.invoices.invoices)
            .finish()
    }
}

impl Suggestions {
    /// Train every model on `state` (record `seq`) as of `now`. Pure and
    /// possibly slow (a second on a year of history): the worker's job,
    /// never a screen's.
    pub fn train(state: &State, seq: u64, now: DateTime<Utc>) -> Suggestions {
        let started = std::time::Instant::now();
        let asof = now.date_naive();
        let settled = collections::settled_on(state);
        let mut chase = collections::rank(state, &settled, asof, false);
        chase.retain(|s| !s.exposure.is_zero());
        Suggestions {
            seq,
            trained_at: now,
            asof,
            late: late::open_risks_on(state, asof),
            collections: chase,
            invoices: discrepancy::Reference::learn(state, asof + chrono::Duration::days(1)),
            took: started.elapsed(),
        }
    }

    /// The late-shipment risk of an open order, if it has one.
    pub fn late_for(&self, order: &str) -> Option<&late::Risk> {
        self.late.iter().find(|r| r.order == order)
    }

    /// How far behind the state these suggestions are: None when they
    /// were trained on record `seq`, else "trained on record 120, 14
    /// records and 3 min ago".
    pub fn stale(&self, seq: u64, now: DateTime<Utc>) -> Option<String> {
        if seq == self.seq {
            return None;
        }
        let behind = seq.saturating_sub(self.seq);
        let mins = (now - self.trained_at).num_minutes().max(0);
        let age = if mins >= 60 {
            format!("{} h {} min", mins / 60, mins % 60)
        } else {
            format!("{mins} min")
        };
        Some(format!(
            "trained on record {}, {behind} records and {age} ago",
            self.seq
        ))
    }

    /// The same, short: "record 120, current" or "record 120, 14
    /// records and 3 min behind".
    pub fn short(&self, seq: u64, now: DateTime<Utc>) -> String {
        if seq == self.seq {
            return format!("record {}, current", self.seq);
        }
        let mins = (now - self.trained_at).num_minutes().max(0);
        format!(
            "record {}, {} records and {mins} min behind",
            self.seq,
            seq.saturating_sub(self.seq)
        )
    }

    /// One line on what these suggestions are: their record and age.
    pub fn provenance(&self, seq: u64, now: DateTime<Utc>) -> String {
        self.stale(seq, now)
            .unwrap_or_else(|| format!("trained on record {} (current)", self.seq))
    }
}

/// The last published suggestions, shared by the worker and the screens.
pub type Latest = Arc<RwLock<Option<Arc<Suggestions>>>>;

/// Read the last published suggestions (a pointer copy under a lock the
/// worker holds only to swap the pointer).
pub fn read(latest: &Latest) -> Option<Arc<Suggestions>> {
    match latest.read() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

/// The worker: its thread trains, the rest of the process reads.
pub struct ModelWorker {
    latest: Latest,
    nudges: SyncSender<()>,
    stop: Arc<AtomicBool>,
    /// Looks taken so far (a training or a decision not to): tests wait
    /// for the worker to have looked.
    looks: Arc<AtomicU64>,
}

impl ModelWorker {
    /// Start the worker thread (`depot-models`): `source` gives the
    /// newest view (the engine's `view`), `clock` the time. It trains at
    /// once, then as `policy` says when nudged (`nudge`, or a watcher
    /// from `watcher`) or every `policy.look_ms`.
    pub fn start(
        source: impl Fn() -> View + Send + 'static,
        clock: impl Fn() -> DateTime<Utc> + Send + 'static,
        policy: Policy,
    ) -> std::io::Result<ModelWorker> {
        let latest: Latest = Arc::default();
        // One nudge waits at most: a burst of commits is one look.
        let (nudges, inbox) = sync_channel::<()>(1);
        let stop = Arc::new(AtomicBool::new(false));
        let looks = Arc::new(AtomicU64::new(0));
        let (l, s, n) = (latest.clone(), stop.clone(), looks.clone());
        std::thread::Builder::new()
            .name("depot-models".into())
            .spawn(move || work(&source, &clock, policy, &inbox, &l, &s, &n))?;
        Ok(ModelWorker {
            latest,
            nudges,
            stop,
            looks,
        })
    }

    /// The published suggestions' handle, for the backends that read them.
    pub fn handle(&self) -> Latest {
        self.latest.clone()
    }

    /// The last published suggestions.
    pub fn latest(&self) -> Option<Arc<Suggestions>> {
        read(&self.latest)
    }

    /// Ask the worker to look (never waits).
    pub fn nudge(&self) {
        let _ = self.nudges.try_send(());
    }

    /// Looks the worker has taken so far.
    pub fn looks(&self) -> u64 {
        self.looks.load(Ordering::Acquire)
    }

    /// A commit watcher for the engine (`Engine::watch`): a nudge per
    /// durable batch, forgotten once the worker is gone.
    pub fn watcher(&self) -> crate::engine::Watcher {
        let nudges = self.nudges.clone();
        let stop = self.stop.clone();
        Box::new(move |_seq| {
            if stop.load(Ordering::Acquire) {
                return false;
            }
            !matches!(nudges.try_send(()), Err(TrySendError::Disconnected(_)))
        })
    }
}

impl Drop for ModelWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let _ = self.nudges.try_send(());
    }
}

fn work(
    source: &dyn Fn() -> View,
    clock: &dyn Fn() -> DateTime<Utc>,
    policy: Policy,
    inbox: &Receiver<()>,
    latest: &Latest,
    stop: &AtomicBool,
    looks: &AtomicU64,
) {
    let mut last: Option<(u64, DateTime<Utc>)> = None;
    loop {
        if stop.load(Ordering::Acquire) {
            return;
        }
        let view = source();
        let now = clock();
        if policy.due(last, view.seq, now) {
            let s = Suggestions::train(&view.state, view.seq, now);
            tracing::info!(
                seq = s.seq,
                took_ms = s.took.as_millis() as u64,
                late = s.late.len(),
                collections = s.collections.len(),
                "models trained"
            );
            last = Some((s.seq, s.trained_at));
            let s = Arc::new(s);
            match latest.write() {
                Ok(mut g) => *g = Some(s),
                Err(p) => *p.into_inner() = Some(s),
            }
        }
        looks.fetch_add(1, Ordering::AcqRel);
        match inbox.recv_timeout(Duration::from_millis(policy.look_ms)) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 30, 9, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    #[test]
    fn a_training_is_due_by_records_or_by_minutes_with_a_change() {
        let p = Policy {
            records: 10,
            minutes: 5,
            look_ms: 1000,
        };
        assert!(p.due(None, 0, t(0)));
        // Nothing moved: never again, however long.
        assert!(!p.due(Some((7, t(0))), 7, t(600)));
        // Moved a little, not long ago: not yet.
        assert!(!p.due(Some((7, t(0))), 16, t(4)));
        // Moved by the records.
        assert!(p.due(Some((7, t(0))), 17, t(1)));
        // Moved a little, long enough ago.
        assert!(p.due(Some((7, t(0))), 8, t(5)));
        // A store restored to an older record.
        assert!(p.due(Some((7, t(0))), 3, t(0)));
    }
}
