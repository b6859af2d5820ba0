//! A session's print worker: screens never wait for a printer. The
//! session builds and renders a print on its own thread (in memory, fast:
//! `docs::print::prepare`), hands the job to this worker (one thread per
//! session, started at its first print, jobs in order through a bounded
//! channel), and goes on taking keys. The worker only sends bytes (a raw
//! 9100 printer that does not answer holds the worker, up to
//! `RAW_TIMEOUT`, not the screen); the session collects finished jobs
//! (`App::poll_prints`, which the session loop calls while jobs are out)
//! and records each in the audit trail, printed or failed.

use crate::docs::print::{send, PrintJob, Sent};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};

/// Jobs that may wait for the worker; one more is refused (and said so).
pub const QUEUE: usize = 16;

/// A job handed to the worker, with the caller's tag.
type Tagged = (u64, PrintJob);

/// A job the worker did not take, and why.
pub type Refused = Box<(PrintJob, String)>;

pub struct PrintWorker {
    jobs: SyncSender<Tagged>,
    done: Receiver<(u64, PrintJob, Sent)>,
    /// Jobs handed over and not collected yet.
    out: usize,
}

impl PrintWorker {
    /// Start the worker thread (named `depot-print`); it ends when the
    /// worker is dropped and the jobs in hand are sent.
    pub fn start() -> std::io::Result<PrintWorker> {
        let (jobs, inbox) = sync_channel::<Tagged>(QUEUE);
        let (finished, done) = sync_channel(QUEUE + 1);
        std::thread::Builder::new()
            .name("depot-print".into())
            .spawn(move || {
                while let Ok((tag, job)) = inbox.recv() {
                    let sent = send(&job);
                    if finished.send((tag, job, sent)).is_err() {
                        break;
                    }
                }
            })?;
        Ok(PrintWorker { jobs, done, out: 0 })
    }

    /// Hand a job over; it comes back (with why) when the queue is full or
    /// the worker is gone.
    pub fn submit(&mut self, tag: u64, job: PrintJob) -> Result<(), Refused> {
        match self.jobs.try_send((tag, job)) {
            Ok(()) => {
                self.out += 1;
                Ok(())
            }
            Err(TrySendError::Full((_, job))) => Err(Box::new((
                job,
                format!("{QUEUE} prints are already waiting for the printer"),
            ))),
            Err(TrySendError::Disconnected((_, job))) => {
                Err(Box::new((job, "the print worker stopped".to_string())))
            }
        }
    }

    /// Jobs handed over and not collected.
    pub fn pending(&self) -> usize {
        self.out
    }

    /// A finished job, if one is there.
    pub fn try_done(&mut self) -> Option<(u64, PrintJob, Sent)> {
        match self.done.try_recv() {
            Ok(d) => {
                self.out = self.out.saturating_sub(1);
                Some(d)
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.out = 0;
                None
            }
        }
    }

    /// Wait up to `within` for a finished job.
    pub fn wait_done(&mut self, within: std::time::Duration) -> Option<(u64, PrintJob, Sent)> {
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
                None
            }
        }
    }
}
