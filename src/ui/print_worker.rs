//! A session's print worker: screens never wait for a printer, nor for
//! the history a reprint is built from. The session hands each print to
//! this worker (one thread per session, started at its first print, jobs
//! in order through a bounded channel) and goes on taking keys:
//!
//! - with a backend that can be shared with a thread (a running engine:
//!   `Backend::detach`), the request itself ([`Work::Build`]): the worker
//!   builds and renders the document (`docs::print::prepare`: a reprint
//!   replays the log to the state of its first print, a statement as of
//!   a past day reads the customer's archive) and sends it;
//! - else the job the session built ([`Work::Send`]), which the worker
//!   only sends.
//!
//! A raw 9100 printer that does not answer holds the worker, up to
//! `RAW_TIMEOUT`, not the screen. Every print is recorded in the audit
//! trail, printed or failed: one the worker built, by the worker (so it
//! is recorded even if the session has ended); one the session built, by
//! the session when it collects it (`App::poll_prints`, which the session
//! loop calls while jobs are out).

use crate::docs::print::{
    finish, prepare, send, PrintError, PrintJob, PrintOutcome, PrintRequest, Sent,
};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The print workers of the process not yet seen to end: what
/// [`wait_all`] waits for before the engine stops.
static THREADS: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// Wait, up to `within`, for every print worker to end; how many are
/// still running after. A worker ends when its session has dropped it
/// and it has done what it was handed (each job is finite: a replay, a
/// send of at most `RAW_TIMEOUT`), so a process that stops its engine
/// after this loses no audit record of a print still being built when
/// its session ended.
pub fn wait_all(within: Duration) -> usize {
    let until = Instant::now() + within;
    loop {
        let running = {
            let mut threads = THREADS.lock().unwrap_or_else(|p| p.into_inner());
            let (done, running): (Vec<_>, Vec<_>) = std::mem::take(&mut *threads)
                .into_iter()
                .partition(|h| h.is_finished());
            *threads = running;
            for h in done {
                let _ = h.join();
            }
            threads.len()
        };
        if running == 0 || Instant::now() >= until {
            return running;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Print workers running now (started and not yet ended).
pub fn running() -> usize {
    THREADS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|h| !h.is_finished())
        .count()
}

/// How long a stopping process waits for prints its sessions handed to
/// their print workers (each finite: a replay, a send of at most 5 s).
pub const PRINTS_AT_STOP: Duration = Duration::from_secs(120);

/// Before the engine stops: let every print still being built be built,
/// sent and recorded (its audit write needs the engine), saying so when
/// there is any; after `PRINTS_AT_STOP` the rest is logged and given up.
pub fn wait_at_stop() {
    let running = running();
    if running == 0 {
        return;
    }
    crate::say_err!(
        "depot: waiting for {running} print worker(s) to finish and record their prints"
    );
    let left = wait_all(PRINTS_AT_STOP);
    if left > 0 {
        tracing::error!(
            left,
            "print workers still running at stop: their prints may go unrecorded"
        );
        crate::say_err!(
            "depot: {left} print worker(s) still running; stopping anyway (see the log)"
        );
    }
}

/// A backend a print worker may build documents from.
pub type Builder = Arc<dyn crate::ui::Backend + Send + Sync>;

/// What the worker is handed.
pub enum Work {
    /// Built on the session's thread: only send it.
    Send(PrintJob),
    /// Build it from `backend` as `operator`, send it, and record it in
    /// the audit trail as `session` (the worker records it, so a print
    /// is recorded even when the session has ended meanwhile).
    Build {
        req: PrintRequest,
        /// The printer the session's notice named: the document goes
        /// there even if a default changes before it is built. The job
        /// keeps `req` as asked, so a retry chooses again.
        printer: Option<String>,
        operator: String,
        session: String,
        backend: Builder,
    },
}

/// What came of a piece of work.
pub enum Done {
    /// Built by the session, sent (or not: `Sent::result`); the session
    /// records it.
    Sent(PrintJob, Sent),
    /// Built, sent and recorded by the worker: what `finish` said.
    Finished(PrintJob, Result<PrintOutcome, PrintError>),
    /// Not printed and not recorded: not built (no such document, the
    /// history it needs unreadable), or the worker failed on it.
    Failed(PrintError),
}

/// Do one piece of work: what the worker thread runs. A panic in it (a
/// bug in building or rendering a document) fails that print, not the
/// worker: the session is told, and the next print is taken.
pub fn work(w: Work) -> Done {
    let (kind, doc) = match &w {
        Work::Send(job) => (job.req.kind, job.req.doc.clone()),
        Work::Build { req, .. } => (req.kind, req.doc.clone()),
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work_on(w))) {
        Ok(done) => done,
        Err(panic) => {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Done::Failed(PrintError::Worker { kind, doc, reason })
        }
    }
}

fn work_on(w: Work) -> Done {
    match w {
        Work::Send(job) => {
            let sent = send(&job);
            Done::Sent(job, sent)
        }
        Work::Build {
            req,
            printer,
            operator,
            session,
            backend,
        } => match prepare(backend.as_ref(), &operator, &pinned(&req, printer)) {
            Ok(mut job) => {
                job.req = req;
                let sent = send(&job);
                let outcome = finish(backend.as_ref(), &operator, &session, &job, sent);
                Done::Finished(job, outcome)
            }
            Err(e) => Done::Failed(e),
        },
    }
}

/// `req` sent to `printer` when one is named.
fn pinned(req: &PrintRequest, printer: Option<String>) -> PrintRequest {
    let mut r = req.clone();
    if printer.is_some() {
        r.printer = printer;
    }
    r
}

/// Jobs that may wait for the worker; one more is refused (and said so).
pub const QUEUE: usize = 16;

/// Work handed to the worker, with the caller's tag.
type Tagged = (u64, Work);

/// Work the worker did not take, and why.
pub type Refused = Box<(Work, String)>;

pub struct PrintWorker {
    jobs: SyncSender<Tagged>,
    done: Receiver<(u64, Done)>,
    /// Jobs handed over and not collected yet.
    out: usize,
    /// The worker thread is gone (seen when collecting).
    gone: bool,
}

impl PrintWorker {
    /// Start the worker thread (named `depot-print`); it ends when the
    /// worker is dropped and every job handed to it is done: a session
    /// that ended does not take back the prints it asked for (those the
    /// worker builds, it records itself).
    pub fn start() -> std::io::Result<PrintWorker> {
        let (jobs, inbox) = sync_channel::<Tagged>(QUEUE);
        let (finished, done) = sync_channel(QUEUE + 1);
        let thread = std::thread::Builder::new()
            .name("depot-print".into())
            .spawn(move || {
                while let Ok((tag, w)) = inbox.recv() {
                    // No one to tell once the session is gone: go on.
                    let _ = finished.send((tag, work(w)));
                }
            })?;
        {
            let mut threads = THREADS.lock().unwrap_or_else(|p| p.into_inner());
            threads.retain(|h| !h.is_finished());
            threads.push(thread);
        }
        Ok(PrintWorker {
            jobs,
            done,
            out: 0,
            gone: false,
        })
    }

    /// Hand a job over; it comes back (with why) when the queue is full or
    /// the worker is gone.
    pub fn submit(&mut self, tag: u64, work: Work) -> Result<(), Refused> {
        match self.jobs.try_send((tag, work)) {
            Ok(()) => {
                self.out += 1;
                Ok(())
            }
            Err(TrySendError::Full((_, work))) => Err(Box::new((
                work,
                format!("{QUEUE} prints are already waiting for the printer"),
            ))),
            Err(TrySendError::Disconnected((_, work))) => {
                Err(Box::new((work, "the print worker stopped".to_string())))
            }
        }
    }

    /// Is the worker thread gone (what was handed to it will not come
    /// back)?
    pub fn gone(&self) -> bool {
        self.gone
    }

    /// Jobs handed over and not collected.
    pub fn pending(&self) -> usize {
        self.out
    }

    /// A finished job, if one is there.
    pub fn try_done(&mut self) -> Option<(u64, Done)> {
        match self.done.try_recv() {
            Ok(d) => {
                self.out = self.out.saturating_sub(1);
                Some(d)
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.out = 0;
                self.gone = true;
                None
            }
        }
    }

    /// Wait up to `within` for a finished job.
    pub fn wait_done(&mut self, within: std::time::Duration) -> Option<(u64, Done)> {
        if self.out == 0 {
            return None;
        }
        match self.done.recv_timeout(within) {
            Ok(d) => {
                self.out = self.out.saturating_sub(1);
                Some(d)
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                self.out = 0;
                self.gone = true;
                None
            }
        }
    }
}
