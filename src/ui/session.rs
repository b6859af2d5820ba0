//! The session loop: one inbox fed by keys, resizes, commit notices and a
//! slow timer; a frame is drawn after the inbox is drained, never on a
//! poll. Keys that arrive together (a wedge scanner's burst) are handled
//! one by one and drawn once. Commit notices are merged behind a flag, so
//! a slow screen never grows a queue. While prints are out with the
//! session's print worker, the loop also wakes every [`PRINT_POLL`] to
//! collect the finished ones (and record them); when it ends, it waits
//! for them (at most [`PRINT_DRAIN`]) so that every print is audited. (A
//! print the worker builds, it also records, so one still out when the
//! session ends is recorded all the same.)
//! While the screen on top waits for a read (`Screen::waiting`: the
//! archive, on its worker) the loop draws it again every [`PRINT_POLL`].
//! The terminal is any ratatui backend: crossterm locally, bytes over SSH.

use super::app::App;
use super::key::Key;
use super::{Backend, UiError};
use ratatui::Terminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

/// How often the loop looks for finished prints while some are out.
pub const PRINT_POLL: Duration = Duration::from_millis(50);
/// How long an ending session waits for its prints still out.
pub const PRINT_DRAIN: Duration = Duration::from_secs(12);

/// What wakes a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inbox {
    Key(Key),
    /// The terminal changed size (the new size is read from it).
    Resize,
    /// Something was committed (merged: one pending notice at most).
    Commit,
    /// The slow timer (the date may have changed).
    Tick,
    /// The input went away (terminal closed, SSH channel gone).
    Closed,
}

/// A commit watcher for a session's inbox: at most one `Commit` waits in
/// the inbox at a time. Returns false once the inbox is gone.
pub fn commit_watcher(tx: Sender<Inbox>, pending: Arc<AtomicBool>) -> crate::engine::Watcher {
    Box::new(move |_seq| {
        if pending.swap(true, Ordering::AcqRel) {
            return true;
        }
        tx.send(Inbox::Commit).is_ok()
    })
}

/// Run `app` on `terminal` until it quits or the input closes.
pub fn run<B>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    backend: &dyn Backend,
    inbox: &Receiver<Inbox>,
    commit_pending: &AtomicBool,
) -> Result<(), UiError>
where
    B: ratatui::backend::Backend + std::io::Write,
    UiError: From<B::Error>,
{
    run_checked(terminal, app, backend, inbox, commit_pending, &|_| None)
}

/// `run`, and after every commit ask `allowed` whether the session may go
/// on (over SSH: is the operator still active, the key still theirs?); a
/// reason ends it, kept in `app.closed_because`.
pub fn run_checked<B>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    backend: &dyn Backend,
    inbox: &Receiver<Inbox>,
    commit_pending: &AtomicBool,
    allowed: &dyn Fn(&crate::engine::View) -> Option<String>,
) -> Result<(), UiError>
where
    B: ratatui::backend::Backend + std::io::Write,
    UiError: From<B::Error>,
{
    let result = serve_inbox(terminal, app, backend, inbox, commit_pending, allowed);
    app.finish_prints(backend, PRINT_DRAIN);
    result
}

fn serve_inbox<B>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    backend: &dyn Backend,
    inbox: &Receiver<Inbox>,
    commit_pending: &AtomicBool,
    allowed: &dyn Fn(&crate::engine::View) -> Option<String>,
) -> Result<(), UiError>
where
    B: ratatui::backend::Backend + std::io::Write,
    UiError: From<B::Error>,
{
    terminal.draw(|f| app.view(f, backend))?;
    while !app.quit {
        // A screen that shows a read in progress is drawn again on each
        // poll, so what it waits for appears when it arrives.
        let waiting = app.waiting();
        let first = if app.printing() || waiting {
            match inbox.recv_timeout(PRINT_POLL) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match inbox.recv() {
                Ok(m) => Some(m),
                Err(_) => break,
            }
        };
        let woke = first.is_some();
        let mut msg = first;
        while let Some(m) = msg {
            match m {
                Inbox::Key(k) => app.on_key(k, backend),
                Inbox::Resize => {
                    terminal.autoresize()?;
                }
                Inbox::Commit => {
                    commit_pending.store(false, Ordering::Release);
                    if let Some(why) = allowed(&backend.view()) {
                        app.closed_because = Some(why);
                        return Ok(());
                    }
                    app.committed(backend);
                }
                Inbox::Tick => {}
                Inbox::Closed => return Ok(()),
            }
            if app.quit {
                return Ok(());
            }
            msg = inbox.try_recv().ok();
        }
        // A poll that found no finished print (and no screen waiting)
        // draws nothing.
        if !app.poll_prints(backend) && !woke && !waiting {
            continue;
        }
        terminal.draw(|f| app.view(f, backend))?;
        if app.take_bell() {
            // BEL: the handheld beeps at a refused scan.
            let out = terminal.backend_mut();
            std::io::Write::write_all(out, b"\x07")?;
            std::io::Write::flush(out)?;
        }
    }
    Ok(())
}
