//! Printing: the one function screens and `depot print` call
//! ([`print_document`]). It builds the document from committed state (a
//! reprint from the state its first print was built from, marked COPY),
//! renders it, sends it to a printer (a CUPS queue through `lp`, a raw
//! TCP port such as a label printer's 9100, or a folder) or a file, and
//! records the print, printed or failed, through the core
//! (`record_print`): the audit trail has what, who, which printer and
//! how it went. A failed print is an error naming the printer and why,
//! never lost silently: the operator retries it.

use super::{build, build_with, render, BuildOptions, DocError, DocKind, Document, Format};
use crate::core::printing::PrinterScope;
use crate::core::printing::{reason_text, PrintRecord, PrintStatus, Printer, PrinterKind};
use crate::core::types::ToCode;
use crate::core::{CommandBody, State};
use crate::ui::screen::{Request, Submitted};
use crate::ui::Backend;
use chrono::NaiveDate;
use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// How long a raw printer may take to accept the connection and the data.
pub const RAW_TIMEOUT: Duration = Duration::from_secs(5);

/// What to print, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintRequest {
    pub kind: DocKind,
    /// Document number (a carton: `PICKLIST/N`; a statement: the customer).
    pub doc: String,
    /// Default: ZPL for a carton label on a raw printer, else PDF (text
    /// for a file named `.txt`).
    pub format: Option<Format>,
    /// A printer by code; default: the station's, then the operator's.
    pub printer: Option<String>,
    /// The warehouse station the operator prints from (its default
    /// printer comes first): (warehouse, station).
    pub station: Option<(String, String)>,
    /// Write to this file instead of a printer.
    pub out: Option<PathBuf>,
    /// The statement's date.
    pub today: NaiveDate,
}

impl PrintRequest {
    pub fn new(kind: DocKind, doc: &str, today: NaiveDate) -> PrintRequest {
        PrintRequest {
            kind,
            doc: doc.to_string(),
            format: None,
            printer: None,
            station: None,
            out: None,
            today,
        }
    }
}

/// A print that went out (and is in the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintOutcome {
    pub kind: DocKind,
    pub doc: String,
    pub format: Format,
    /// The state it was built from.
    pub as_of: u64,
    /// A reprint, marked COPY.
    pub copy: bool,
    pub printer: Option<String>,
    /// Queue, address or path.
    pub destination: String,
    pub bytes: usize,
    /// The log record of the print's audit entry.
    pub audit_seq: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(transparent)]
    Document(#[from] DocError),
    #[error(
        "no printer: name one (--printer), write a file (--out FILE, or --out - for the \
         screen), or set a default for the operator or the station (set_default_printer)"
    )]
    NoPrinter,
    #[error("printer {0} does not exist")]
    UnknownPrinter(String),
    #[error("printer {0} is inactive")]
    InactivePrinter(String),
    #[error(
        "the state as of record {seq}, which the first print of {kind} {doc} was built from, \
         cannot be read: {reason}"
    )]
    History {
        kind: DocKind,
        doc: String,
        seq: u64,
        reason: String,
    },
    /// The session's print worker failed on it (a bug: the panic is in
    /// the log); nothing was recorded.
    #[error("{kind} {doc}: the print worker failed on it ({reason}); see the log")]
    Worker {
        kind: DocKind,
        doc: String,
        reason: String,
    },
    /// The print failed; the failure is in the audit trail (`audit_seq`,
    /// `None` if even that could not be written).
    #[error("{kind} {doc} was NOT printed on {destination}: {reason}{}", match audit_seq {
        Some(s) => format!(" (recorded in the audit trail as record {s}; print it again when the printer is back)"),
        None => " (and the failure could not be recorded)".to_string(),
    })]
    Failed {
        kind: DocKind,
        doc: String,
        destination: String,
        reason: String,
        audit_seq: Option<u64>,
    },
    /// The document went out but its print could not be recorded.
    #[error("{kind} {doc} went to {destination}, but the print could not be recorded: {reason}")]
    Audit {
        kind: DocKind,
        doc: String,
        destination: String,
        reason: String,
    },
}

/// The state as it was right after record `seq`, for a reprint. The
/// default is the newest view when it is that record; an engine replays
/// its log (see `EngineBackend`).
pub fn state_at(backend: &dyn Backend, seq: u64) -> Result<Arc<State>, String> {
    let view = backend.view();
    if view.seq == seq {
        return Ok(view.state);
    }
    backend.state_at(seq).ok_or_else(|| {
        format!(
            "record {seq} is not the newest ({}) and the history is not kept here",
            view.seq
        )
    })
}

/// Held while a replay runs: a replay holds a whole second state, so a
/// server whose clerks reprint at once holds one, not one each (the
/// others wait on their print workers, not on their screens).
static REPLAYS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Wait for the turn to replay and hold it: no replay runs in the
/// process while the guard lives.
pub fn replay_turn() -> std::sync::MutexGuard<'static, ()> {
    REPLAYS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Replay a store's log up to record `seq` (from the newest snapshot at or
/// before it that reads), one replay at a time in the process.
pub fn replay(store: &crate::store::Store, seq: u64) -> Result<State, String> {
    let _turn = replay_turn();
    let snaps = store.snapshot_seqs().map_err(|e| e.to_string())?;
    let mut state = snaps
        .iter()
        .rev()
        .filter(|s| **s <= seq)
        .find_map(|s| store.load_snapshot(*s).ok())
        .unwrap_or_default();
    if state.seq < seq {
        for env in store.scan(state.seq + 1) {
            let env = env.map_err(|e| e.to_string())?;
            if env.seq > seq {
                break;
            }
            crate::core::apply(&mut state, &env);
        }
    }
    if state.seq != seq {
        return Err(format!("the log ends at record {}", state.seq));
    }
    Ok(state)
}

/// The state and the day a document's first successful print was built
/// from, if it was printed.
pub fn first_print(state: &State, kind: DocKind, doc: &str) -> Option<(u64, Option<NaiveDate>)> {
    state
        .prints
        .get(&(kind.as_str().to_code(), doc.to_code()))
        .and_then(|h| h.as_of.map(|seq| (seq, h.date)))
}

/// The first print a print of `doc` dated `today` reprints, if any. A
/// statement is a new document each day it is dated: it reprints only
/// the first print dated the same day (the history keeps the first
/// print's day), and a statement of any other day is built from the
/// state as it is, never a COPY of another day's.
fn reprints(
    state: &State,
    kind: DocKind,
    doc: &str,
    today: NaiveDate,
) -> Option<(u64, Option<NaiveDate>)> {
    first_print(state, kind, doc)
        .filter(|(_, day)| kind != DocKind::Statement || *day == Some(today))
}

/// Build a document as `depot print` would (original or COPY), without
/// printing it: (document, whether it is a reprint).
pub fn document_for(
    backend: &dyn Backend,
    kind: DocKind,
    doc: &str,
    today: NaiveDate,
) -> Result<Document, PrintError> {
    let view = backend.view();
    let first = reprints(&view.state, kind, doc, today);
    // A reprint is dated as the first print was.
    let today = first.and_then(|(_, d)| d).unwrap_or(today);
    let (state, copy) = match first.map(|(seq, _)| seq) {
        Some(seq) => (
            state_at(backend, seq).map_err(|reason| PrintError::History {
                kind,
                doc: doc.to_string(),
                seq,
                reason,
            })?,
            true,
        ),
        None => (view.state, false),
    };
    let opts = BuildOptions { today, copy };
    // A statement as of a day before the customer's latest archived
    // document takes out what was archived after it.
    let later = (kind == DocKind::Statement
        && crate::core::archive::statement_needs_archive(&state, doc, today))
    .then(|| backend.later(today, Some(doc), crate::core::archive::Need::All))
    .flatten();
    match build_with(&state, kind, doc, opts, later.as_ref()) {
        // Archived since the state it is built from: built from that
        // state with its order's archived documents back in, so a document
        // archived before it was ever printed prints, and its reprints do.
        Err(e @ DocError::NotFound { .. }) => {
            let docs = archived_with(backend, kind, doc);
            if docs.is_empty() {
                return Err(e.into());
            }
            let state = crate::core::archive::with_docs(&state, &docs);
            Ok(build(&state, kind, doc, opts)?)
        }
        r => Ok(r?),
    }
}

/// The archived order (and everything archived with it) that document
/// `doc` of `kind` belongs to; empty when it is not archived, or is of a
/// kind the archive does not hold (statements, purchase orders, credit
/// memos).
fn archived_with(
    backend: &dyn Backend,
    kind: DocKind,
    doc: &str,
) -> Vec<crate::core::archive::ArchivedDoc> {
    // A carton label is `PICKLIST/N`.
    let number = doc.split('/').next().unwrap_or(doc);
    let order = match kind {
        DocKind::Acknowledgment => Some(number.to_code()),
        DocKind::Invoice
        | DocKind::PickTicket
        | DocKind::PackingSlip
        | DocKind::CartonLabel
        | DocKind::BillOfLading => backend.archived_order_of(number),
        DocKind::Statement
        | DocKind::PurchaseOrder
        | DocKind::CreditMemo
        | DocKind::RemittanceAdvice => None,
    };
    order.map_or_else(Vec::new, |o| backend.archived_order(&o))
}

/// Where a print of `req` by `operator` goes, as the operator knows it
/// (the file, or the printer's code): what `PrintJob::printer_name` will
/// say, known before the document is built.
pub fn destination(
    state: &State,
    operator: &str,
    req: &PrintRequest,
) -> Result<String, PrintError> {
    Ok(match &req.out {
        Some(p) => p.display().to_string(),
        None => choose_printer(state, operator, req)?.code.to_string(),
    })
}

/// The printer a request goes to: named, the station's default, the
/// operator's default.
pub fn choose_printer(
    state: &State,
    operator: &str,
    req: &PrintRequest,
) -> Result<Printer, PrintError> {
    let code = match &req.printer {
        Some(p) => p.clone(),
        None => {
            let station = req.station.as_ref().and_then(|(w, s)| {
                state.default_printers.get(&PrinterScope::Station {
                    warehouse: w.clone().into(),
                    station: s.clone().into(),
                })
            });
            let own = state
                .default_printers
                .get(&PrinterScope::Operator(operator.to_string().into()));
            station
                .or(own)
                .cloned()
                .ok_or(PrintError::NoPrinter)?
                .to_string()
        }
    };
    let p = state
        .printers
        .get(&code.to_code())
        .ok_or_else(|| PrintError::UnknownPrinter(code.chars().take(40).collect()))?;
    if !p.active {
        return Err(PrintError::InactivePrinter(p.code.to_string()));
    }
    Ok(p.clone())
}

fn default_format(kind: DocKind, printer: Option<&Printer>, out: Option<&Path>) -> Format {
    if let Some(p) = out {
        return match p.extension().and_then(|e| e.to_str()) {
            Some("txt") => Format::Text,
            Some("zpl") => Format::Zpl,
            _ => Format::Pdf,
        };
    }
    match printer.map(|p| p.kind) {
        Some(PrinterKind::Raw) if kind == DocKind::CartonLabel => Format::Zpl,
        Some(PrinterKind::Raw) => Format::Text,
        _ => Format::Pdf,
    }
}

/// Send bytes to a raw TCP printer (a label printer's port 9100).
pub fn send_raw(target: &str, bytes: &[u8]) -> Result<(), String> {
    let addrs: Vec<SocketAddr> = target
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {target}: {e}"))?
        .collect();
    let mut last = format!("{target} has no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, RAW_TIMEOUT) {
            Ok(mut s) => {
                s.set_write_timeout(Some(RAW_TIMEOUT))
                    .map_err(|e| e.to_string())?;
                s.write_all(bytes)
                    .and_then(|_| s.flush())
                    .map_err(|e| format!("sending to {a}: {e}"))?;
                let _ = s.shutdown(std::net::Shutdown::Write);
                return Ok(());
            }
            Err(e) => last = format!("cannot connect to {a}: {e}"),
        }
    }
    Err(last)
}

/// Send bytes to a CUPS queue through `lp` (found on PATH).
pub fn send_lp(queue: &str, title: &str, format: Format, bytes: &[u8]) -> Result<(), String> {
    let mut cmd = Command::new("lp");
    cmd.arg("-d").arg(queue).arg("-t").arg(title);
    if format == Format::Zpl {
        cmd.arg("-o").arg("raw");
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run lp: {e} (is CUPS' lp installed and on PATH?)"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(bytes)
            .map_err(|e| format!("writing to lp: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for lp: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("lp failed ({}): {}", out.status, err.trim()));
    }
    Ok(())
}

fn file_name(kind: DocKind, doc: &str, as_of: u64, copy: bool, format: Format) -> String {
    let safe: String = doc
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{kind}-{safe}-{as_of}{}.{}",
        if copy { "-copy" } else { "" },
        format.extension()
    )
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if path.as_os_str() == "-" {
        return std::io::stdout()
            .write_all(bytes)
            .map_err(|e| format!("writing to stdout: {e}"));
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Write a print into a spool folder under `name`, never over an earlier
/// print (a second copy, or another store printing into the same folder,
/// gets `-2`, `-3`, ... before the extension), readable by its owner only:
/// documents carry customers' data.
fn spool_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    for n in 1..=1000u32 {
        let candidate = if n == 1 {
            name.to_string()
        } else {
            format!("{stem}-{n}.{ext}")
        };
        let path = dir.join(&candidate);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(mut f) => {
                return f
                    .write_all(bytes)
                    .map(|_| path.clone())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot write {}: {e}", path.display())),
        }
    }
    Err(format!("{} holds 1000 prints named {name}", dir.display()))
}

/// A print made ready on the caller's thread: the document built and
/// rendered, the printer chosen, the audit record waiting for the
/// outcome. [`send`] does the I/O (on any thread: a screen hands it to
/// its print worker), [`finish`] records how it went.
#[derive(Debug, Clone)]
pub struct PrintJob {
    pub req: PrintRequest,
    pub format: Format,
    pub as_of: u64,
    pub copy: bool,
    pub printer: Option<Printer>,
    pub bytes: Vec<u8>,
    /// The view the job was made from (part of the audit entry's key).
    view_seq: u64,
    /// The document's date (a reprint's is the first print's).
    date: NaiveDate,
}

impl PrintJob {
    /// Where the job goes, as the operator knows it: the printer's code
    /// or "file".
    pub fn printer_name(&self) -> String {
        match (&self.req.out, &self.printer) {
            (Some(p), _) => p.display().to_string(),
            (None, Some(p)) => p.code.to_string(),
            (None, None) => "file".to_string(),
        }
    }
}

/// How a job's send went: where it went (queue, address or path) and
/// whether it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub destination: String,
    pub result: Result<(), String>,
}

/// Build, render and route a print without sending it. An error here
/// (no such document, no printer) prints nothing and records nothing.
pub fn prepare(
    backend: &dyn Backend,
    operator: &str,
    req: &PrintRequest,
) -> Result<PrintJob, PrintError> {
    let view = backend.view();
    let doc = document_for(backend, req.kind, &req.doc, req.today)?;
    let printer = match &req.out {
        Some(_) => None,
        None => Some(choose_printer(&view.state, operator, req)?),
    };
    let format = req
        .format
        .unwrap_or_else(|| default_format(req.kind, printer.as_ref(), req.out.as_deref()));
    let bytes = render(&doc, format)?;
    let date = reprints(&view.state, req.kind, &req.doc, req.today)
        .and_then(|(_, d)| d)
        .unwrap_or(req.today);
    Ok(PrintJob {
        req: req.clone(),
        format,
        as_of: doc.as_of,
        copy: doc.copy,
        printer,
        bytes,
        view_seq: view.seq,
        date,
    })
}

/// Send a job's bytes to its printer or file: the I/O, and nothing else
/// (no state, no backend), so it may run on a worker thread. A raw
/// printer that does not answer takes up to [`RAW_TIMEOUT`].
pub fn send(job: &PrintJob) -> Sent {
    let req = &job.req;
    let title = format!("{} {}", req.kind, req.doc);
    let (destination, result) = match (&req.out, &job.printer) {
        (Some(path), _) => (path.display().to_string(), write_file(path, &job.bytes)),
        (None, Some(p)) => match p.kind {
            PrinterKind::Raw => (p.target.clone(), send_raw(&p.target, &job.bytes)),
            PrinterKind::Lp => (
                format!("lp queue {}", p.target),
                send_lp(&p.target, &title, job.format, &job.bytes),
            ),
            PrinterKind::Folder => {
                // A spool folder that is not there yet is made.
                let _ = std::fs::create_dir_all(&p.target);
                let name = file_name(req.kind, &req.doc, job.as_of, job.copy, job.format);
                match spool_file(Path::new(&p.target), &name, &job.bytes) {
                    Ok(path) => (path.display().to_string(), Ok(())),
                    Err(e) => (p.target.clone(), Err(e)),
                }
            }
        },
        (None, None) => (
            "nowhere".to_string(),
            Err("no printer and no file".to_string()),
        ),
    };
    Sent {
        destination,
        result,
    }
}

/// Record a sent (or failed) job in the audit trail (`record_print`) and
/// say how it went: printed, failed (and recorded), or printed but not
/// recorded.
pub fn finish(
    backend: &dyn Backend,
    operator: &str,
    session: &str,
    job: &PrintJob,
    sent: Sent,
) -> Result<PrintOutcome, PrintError> {
    let req = &job.req;
    let Sent {
        destination,
        result: sent,
    } = sent;
    let status = match &sent {
        Ok(()) => PrintStatus::Printed,
        Err(e) => PrintStatus::Failed {
            reason: reason_text(e),
        },
    };
    let record = PrintRecord {
        kind: req.kind.as_str().to_string().into(),
        doc: req.doc.clone().into(),
        as_of: job.as_of,
        format: job.format.as_str().to_string().into(),
        printer: job.printer.as_ref().map(|p| p.code.clone()),
        destination: reason_text(&destination),
        copy: job.copy,
        status,
        date: Some(job.date),
    };
    // Every attempt is its own record: a key no other attempt has (the
    // view it started from, the clock, the process, a counter).
    static ATTEMPTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let key: String = format!(
        "print/{}/{}/{}/{n}/{}/{}",
        job.view_seq,
        backend.now().timestamp_nanos_opt().unwrap_or_default(),
        std::process::id(),
        req.kind,
        req.doc,
    )
    .chars()
    .take(128)
    .collect();
    let audited = backend.submit(
        operator,
        session,
        Request {
            key,
            body: CommandBody::RecordPrint(record),
        },
    );
    let audit = match audited {
        Submitted::Committed { seq, .. } => Ok(seq),
        Submitted::Refused(r) => Err(r.to_string()),
        Submitted::Stopped(e) => Err(e),
    };
    match (sent, audit) {
        (Ok(()), Ok(seq)) => Ok(PrintOutcome {
            kind: req.kind,
            doc: req.doc.clone(),
            format: job.format,
            as_of: job.as_of,
            copy: job.copy,
            printer: job.printer.as_ref().map(|p| p.code.to_string()),
            destination,
            bytes: job.bytes.len(),
            audit_seq: seq,
        }),
        (Ok(()), Err(reason)) => Err(PrintError::Audit {
            kind: req.kind,
            doc: req.doc.clone(),
            destination,
            reason,
        }),
        (Err(reason), audit) => Err(PrintError::Failed {
            kind: req.kind,
            doc: req.doc.clone(),
            destination,
            reason,
            audit_seq: audit.ok(),
        }),
    }
}

/// Print a document: build it (a reprint as of its first print's state,
/// marked COPY), render it, send it, and record the print in the audit
/// trail, printed or failed; [`prepare`], [`send`] and [`finish`] in a
/// row. `depot print` calls it; screens call the three steps, the send
/// on their print worker.
pub fn print_document(
    backend: &dyn Backend,
    operator: &str,
    session: &str,
    req: &PrintRequest,
) -> Result<PrintOutcome, PrintError> {
    let job = prepare(backend, operator, req)?;
    let sent = send(&job);
    finish(backend, operator, session, &job, sent)
}
