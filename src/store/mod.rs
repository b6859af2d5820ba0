//! sled used as an ordered event log with snapshots. The only module that
//! imports sled.
//!
//! Layout of a data directory:
//! - `LOCK`: held (OS file lock) by the one process that has the store open;
//!   its text names the holder (pid, command, since when).
//! - `sled/`: the sled database, with trees
//!   - `log`: key = seq (u64 BE), value = framed `Envelope` (see `codec`);
//!   - `snapshots`: key = seq, value = framed `State` after that record;
//!     the newest [`SNAPSHOTS_KEPT`] are kept;
//!   - `meta`: the store format version;
//!   - `archive`: key = `kind/number` (`core::archive::key`), value =
//!     the framed document an `Archived` event took out of the state
//!     (issue 21), written from the event in the flush of its record;
//!     after the documents, its index by day (`~day|DAY|kind|number`
//!     and `~customer|CODE|DAY|kind|number`, empty values) of archived
//!     invoices and receipts, which a report as of an earlier day reads
//!     (`Store::later`; `meta`'s `archive-index` says it is whole).
//!
//! Recovery = newest snapshot that decodes + replay of the log after it.
//! A snapshot that fails its checksum is skipped (an older one, or the log
//! from the start, is used instead); a log record that fails is an error
//! naming its sequence number: the log is the truth and is never guessed.

pub mod codec;
pub mod forensic;
pub mod privacy;
mod snapde;
pub mod snapfile;

use crate::core::{apply, Envelope, State};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Version of the store layout and of the log's records (`Envelope`, the
/// events and the documents they carry). Bumped whenever one of those
/// changes shape (bincode has no field names; new enum variants at the end
/// are compatible), and then old stores need a migration: the stores under
/// `fixtures/stores/` must keep opening (tests/store_compat.rs). A change
/// to `State` alone bumps `codec::STATE_VERSION` instead: old snapshots
/// are skipped and the state rebuilt from the log. History: 2 = order to cash documents (orders, picks, shipments, invoices,
/// receipts) in the log and the state; 3 = cartons on pick lists and
/// shipments, returns and credit memos on invoices; 4 = replenishment
/// policies, shipped demand and lots (with expiry) in the state, draft POs
/// and the reason of a suggested PO line; 5 = log frames of version 2,
/// whose envelope carries a SHA-256 key digest (version 1 frames, with a
/// CRC32, are still read: a format 4 store opens and is marked 5, since
/// what this depot appends an older one cannot read).
pub const FORMAT_VERSION: u32 = 5;
/// Older formats this depot opens as they are.
const FORMAT_VERSIONS_READ: [u32; 1] = [4];
/// Snapshots kept; older ones are removed when a new one is saved.
pub const SNAPSHOTS_KEPT: usize = 3;

const SLED_DIR: &str = "sled";
/// Store files up to this size are kept in memory while sled opens them,
/// to rebuild the log from should it not (see `Store::open`).
const KEEP_RAW_MAX: u64 = 32 << 20;
/// ... and up to this size when the scan found damaged copies in them.
const KEEP_RAW_DAMAGED_MAX: u64 = 1 << 30;
const LOCK_FILE: &str = "LOCK";
/// How far the raw scan at open has verified sled's file.
const VERIFIED_FILE: &str = "VERIFIED";
/// The last durable record, kept outside sled: sled 0.34 silently stops
/// reading at a damaged segment, so a log shorter than this mark means
/// records were lost, and we refuse rather than run on a truncated past.
const MARK_FILE: &str = "COMMITTED";
/// `meta` key naming the snapshots tree when it is not `snapshots`.
const SNAPSHOT_TREE_KEY: &str = "snapshot_tree";
/// `meta` key set once snapshots are files ([`snapfile`]) and the tree
/// that held them before was dropped.
const SNAPSHOT_FILES_KEY: &str = "snapshot_files";

fn open_snapshot_tree(db: &sled::Db) -> Result<sled::Tree, StoreError> {
    let meta = db.open_tree("meta")?;
    let name = meta
        .get(SNAPSHOT_TREE_KEY)?
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .unwrap_or_else(|| "snapshots".into());
    Ok(db.open_tree(name)?)
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the store in {dir} is in use by {holder}; one process owns a store at a time: \
         stop it, or let several users share the store through `depot serve`"
    )]
    Locked { dir: PathBuf, holder: String },
    #[error("record {seq} of the log is damaged: {reason}; run `depot check` for details and restore from a backup (`depot restore`: records committed after the backup was taken are lost)")]
    Corrupt { seq: u64, reason: String },
    #[error("record {seq} was written in a format this depot cannot read ({reason}); was the store written by another version of depot?")]
    Incompatible { seq: u64, reason: String },
    #[error(
        "the sled database in {dir} cannot be opened ({reason}); no record of the log was found \
         damaged by a raw scan. `depot check` reports the same; restoring a backup (`depot \
         restore`) loses everything committed after the backup was taken, so keep a copy of {dir} first"
    )]
    Unreadable { dir: PathBuf, reason: String },
    #[error("the log has a gap: record {expected} is missing (found {found})")]
    Gap { expected: u64, found: u64 },
    #[error("the store was written by format version {found}; this depot reads version {FORMAT_VERSION}")]
    Version { found: u32 },
    #[error("no snapshot at record {0}")]
    NoSnapshot(u64),
    #[error("snapshot after record {seq} is {reason}")]
    OldSnapshot { seq: u64, reason: String },
    /// A snapshot file that fails its checks. Only time is lost: the
    /// state is rebuilt from an older snapshot or the log.
    #[error("the snapshot after record {seq} is damaged ({reason})")]
    DamagedSnapshot { seq: u64, reason: String },
    #[error("{0} does not hold a depot store")]
    NotAStore(PathBuf),
    /// A read given up by its caller (`Store::later_while`).
    #[error("the read was stopped before it ended")]
    Stopped,
    #[error("{0} already holds a store (or other files); choose an empty directory")]
    NotEmpty(PathBuf),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no space left on the device holding {dir}: free some space and run depot again; \
         nothing acknowledged is lost (do not restore a backup)"
    )]
    NoSpace { dir: PathBuf },
    #[error("storage failed: {0}")]
    Sled(String),
    #[error("cannot encode a record: {0}")]
    Encode(String),
    #[error("injected fault: {0}")]
    Injected(&'static str),
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Sled(e.to_string())
    }
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StoreError {
    let what = what.into();
    move |source| StoreError::Io { what, source }
}

/// Faults a test can ask the store to simulate (fault injection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The next `append` fails before writing anything.
    FailAppend,
    /// The next `flush` fails (as with ENOSPC): what was appended is not durable.
    FailFlush,
    /// The next `flush` waits until [`Store::release_flush`], then fails:
    /// a disk that hangs and fails, with batches decided behind it.
    HoldFlush,
    /// The next `append` meets a full disk (ENOSPC) before writing.
    NoSpaceAppend,
    /// The next `flush` meets a full disk: what was appended is not durable.
    NoSpaceFlush,
    /// The next write of the durable mark (`COMMITTED`) meets a full
    /// disk, after sled's flush succeeded: the records are durable but
    /// were not acknowledged.
    NoSpaceMark,
    /// The next snapshot save meets a full disk (periodic, requested, or
    /// the one taken at shutdown).
    NoSpaceSnapshot,
    /// The next append that archives documents writes the record but not
    /// the documents (what recovery repairs).
    SkipArchive,
}

/// What a full disk answers a write.
fn enospc() -> std::io::Error {
    std::io::Error::from_raw_os_error(28)
}

/// Log records encoded and framed, ready to append: the engine encodes on
/// the thread that decides, so the thread that flushes only writes.
#[derive(Debug, Default)]
pub struct Encoded {
    /// Each record's bytes already in sled's own buffer type: the copy
    /// into it is made by whoever encodes (the writer), not on the
    /// flusher's path between two flushes.
    items: Vec<(u64, sled::IVec)>,
    /// Documents the records archive: (tree key, framed document).
    archive: Vec<(String, Vec<u8>)>,
}

impl Encoded {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The last sequence number in it.
    pub fn last(&self) -> Option<u64> {
        self.items.last().map(|(s, _)| *s)
    }
}

/// The durable mark file, and the highest mark written to it (it never
/// goes back: two threads flush, the engine's and the snapshots').
#[derive(Default)]
struct MarkFile {
    file: Option<File>,
    written: u64,
}

/// A flush held by [`Fault::HoldFlush`]: (held now, released).
type Hold = Arc<(std::sync::Mutex<(bool, bool)>, std::sync::Condvar)>;

/// What recovery found.
#[derive(Debug, Clone)]
pub struct Recovery {
    pub state: State,
    /// The snapshot recovery started from, if any.
    pub snapshot_seq: Option<u64>,
    /// Snapshots skipped because they failed their checksum or did not decode.
    pub skipped_snapshots: Vec<(u64, String)>,
    /// Log records replayed after the snapshot.
    pub replayed: u64,
}

/// What a backup or restore copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyInfo {
    pub records: u64,
    pub snapshots: usize,
    pub last_seq: u64,
}

/// An open store. Cheap to clone (shared handles).
#[derive(Clone)]
pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    log: sled::Tree,
    /// The tree snapshots went to before they were files: `snapshots`,
    /// or a fresh one named in `meta` once sled could not read the old
    /// one (see `recover`). Read only until the first snapshot file is
    /// saved; then dropped.
    snapshots: Arc<std::sync::RwLock<sled::Tree>>,
    /// Snapshots are files only (`meta` says so): the tree is not read.
    snapshot_files: Arc<std::sync::atomic::AtomicBool>,
    meta: sled::Tree,
    /// Archived documents (see the module doc).
    archive: sled::Tree,
    _lock: Arc<File>,
    faults: Arc<std::sync::Mutex<Vec<Fault>>>,
    /// Highest sequence number appended (durable after the next flush).
    appended: Arc<std::sync::atomic::AtomicU64>,
    /// Flushes since this store was opened (the group-commit cadence the
    /// benchmarks compare against raw sled).
    flushes: Arc<std::sync::atomic::AtomicU64>,
    mark_file: Arc<std::sync::Mutex<MarkFile>>,
    hold: Hold,
    /// What opening and recovering repaired or skipped, for the user.
    notices: Arc<std::sync::Mutex<Vec<String>>>,
    /// The newest snapshot file, decoded on its own thread while the
    /// store file is scanned and sled opens ([`Store::open_prefetching`]).
    prefetch: Arc<std::sync::Mutex<Option<Prefetch>>>,
    /// Everything in sled's file when this process opened it was read by
    /// the scan at open (or there was nothing): a clean close may then
    /// record it all as verified, with what this process wrote whole.
    whole_at_open: bool,
    /// Declared last: dropped after every other handle (see [`SledGuard`]).
    guard: Arc<SledGuard>,
}

/// A snapshot being decoded ahead of recovery: its record and its thread.
type Prefetch = (
    u64,
    std::thread::JoinHandle<Result<State, snapfile::SnapError>>,
);

/// sled 0.34, once a write has failed (ENOSPC), waits forever in the
/// flush it makes when its last handle is dropped: a process that
/// answered `store_failed` would hang at exit instead of ending. After a
/// failed write the last handle is never dropped (what was acknowledged
/// was flushed before; what was not is not owed).
///
/// A flush after a failed write may wait forever too (seen on a full
/// tmpfs: the flush at shutdown never returned), so once a write failed
/// the store flushes nothing more and answers the first failure again.
struct SledGuard {
    db: sled::Db,
    failed: std::sync::atomic::AtomicBool,
    /// The failure was a full disk.
    no_space: std::sync::atomic::AtomicBool,
}

impl Drop for SledGuard {
    fn drop(&mut self) {
        if self.failed.load(std::sync::atomic::Ordering::SeqCst) {
            // A handle kept forever: sled's final flush never runs.
            std::mem::forget(self.db.clone());
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

fn key_seq(key: &[u8]) -> Option<u64> {
    let b: [u8; 8] = key.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}

impl Store {
    /// Does `dir` hold a store?
    pub fn is_store(dir: &Path) -> bool {
        dir.join(SLED_DIR).join("conf").exists() || dir.join(SLED_DIR).join("db").exists()
    }

    /// Open (or create) the store in `dir`, taking its lock. A new store
    /// is private: its directory 0700, its files 0600 (as PostgreSQL
    /// insists on for its data directory); see [`Store::exposed`].
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(dir, false)
    }

    /// [`Store::open`], for a recovery that follows: the newest snapshot
    /// file is decoded on a second thread meanwhile (the scan of the store
    /// file and sled's own recovery are disk and the decode is CPU, so on
    /// two cores they overlap). [`Store::load_snapshot`] of that record
    /// takes it; if recovery starts elsewhere, it is dropped.
    pub fn open_prefetching(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(dir, true)
    }

    fn open_with(dir: &Path, prefetch: bool) -> Result<Store, StoreError> {
        let empty = std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none());
        create_private_dir(dir)?;
        if empty {
            // A new or empty directory given to hold a new store: ours to
            // close. (A directory with other things in it is left alone.)
            privacy::set_private(dir).map_err(io(format!("making {} private", dir.display())))?;
        }
        let lock = take_lock(dir)?;
        let ahead = if prefetch { prefetch_newest(dir) } else { None };
        let sled_dir = dir.join(SLED_DIR);
        // Before sled touches the file: sled 0.34 silently cuts its log at
        // a damaged segment on open, destroying the evidence and the
        // records after it. A raw scan finds damage in what was durable.
        let mark = read_mark(dir);
        let since = read_verified(dir);
        let mut notices = Vec::new();
        // A sled blob whose checksum fails is read by sled's recovery as
        // the end of its log: it cuts the log there (losing what follows)
        // and then fails to open. Moved aside first, it is a node sled no
        // longer has, which it skips.
        let blob_floor = since.and_then(|v| v.blob_floor(&sled_dir));
        for path in damaged_blobs(&sled_dir, blob_floor) {
            let note = move_blob_aside(dir, &path)?;
            tracing::warn!("{note}");
            notices.push(note);
        }
        // The files as they are before sled opens them (sled may cut its
        // log on open): scanned for damage now, a window at a time, and
        // kept whole to rebuild the log from should sled not open, when
        // they are small or damaged. A large sound store is not held in
        // memory twice (a year of history is gigabytes); should sled
        // still refuse it, its files are read then.
        let is_store = Store::is_store(dir);
        // Only what was written since the last open's scan is read again
        // (a crash tears only what was being written); a store of years
        // is not read whole at every open. `depot check` reads it all.
        let (scan, verified) = if is_store && mark > 0 {
            let (scan, verified) = forensic::scan_dir_since(&sled_dir, since.as_ref())
                .map_err(io("reading the store file"))?;
            (Some(scan), verified)
        } else {
            (None, None)
        };
        // Damaged copies are kept whole too, up to a bound: a store of
        // years (the ten-year demo is 20 GB) always holds some torn
        // copies of records sled rewrote, and reading it whole to look at
        // them needed more memory than the machine has.
        let size = forensic::files_size(&sled_dir);
        let keep = is_store
            && (size <= KEEP_RAW_MAX
                || (scan.as_ref().is_some_and(|s| !s.damaged.is_empty())
                    && size <= KEEP_RAW_DAMAGED_MAX));
        let mut raw = if keep {
            forensic::read_files(&sled_dir)
        } else {
            Vec::new()
        };
        if let Some(scan) = scan {
            if let Some(d) = first_lost(&sled_dir, &scan, mark, &raw)? {
                return Err(StoreError::Corrupt {
                    seq: d.seq(mark),
                    reason: format!("checksum mismatch at byte {} of the store file", d.offset),
                });
            }
        }
        // An interrupted sled snapshot (a full disk, a kill) leaves a
        // half-written `snap.*.generating` that sled 0.34 then prefers to
        // every complete one and refuses to open past. It is only sled's
        // index of its own log segments, rebuilt from them without it.
        // Looked for only when sled refuses to open, never while another
        // process may be writing one (sled's own lock is taken first, so
        // a holder whose LOCK file was deleted is "in use", not cleaned).
        let db = match open_sled_ours(&sled_dir) {
            Ok(db) => db,
            Err(e @ (StoreError::Unreadable { .. } | StoreError::Corrupt { .. })) => {
                let leftovers = sled_leftovers(&sled_dir);
                let retry = !leftovers.is_empty();
                for path in leftovers {
                    std::fs::remove_file(&path).map_err(io(format!(
                        "removing {}, the remains of an interrupted sled snapshot",
                        path.display()
                    )))?;
                    let note = format!(
                        "removed {}, the remains of an interrupted sled snapshot (nothing of the log is lost)",
                        path.display()
                    );
                    tracing::warn!("{note}");
                    notices.push(note);
                }
                let again = if retry { open_sled(&sled_dir) } else { Err(e) };
                match again {
                    Ok(db) => db,
                    Err(e @ (StoreError::Unreadable { .. } | StoreError::Corrupt { .. })) => {
                        if raw.is_empty() && is_store {
                            raw = forensic::read_files(&sled_dir);
                        }
                        match rebuild_log(dir, &sled_dir, &raw, mark, &e)? {
                            Some((db, note)) => {
                                tracing::warn!("{note}");
                                notices.push(note);
                                db
                            }
                            None => return Err(e),
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        drop(raw);
        let store = Store {
            dir: dir.to_path_buf(),
            log: db.open_tree("log")?,
            snapshots: Arc::new(std::sync::RwLock::new(open_snapshot_tree(&db)?)),
            meta: db.open_tree("meta")?,
            archive: db.open_tree("archive")?,
            guard: Arc::new(SledGuard {
                db: db.clone(),
                failed: std::sync::atomic::AtomicBool::new(false),
                no_space: std::sync::atomic::AtomicBool::new(false),
            }),
            db,
            _lock: Arc::new(lock),
            faults: Arc::default(),
            appended: Arc::default(),
            flushes: Arc::default(),
            mark_file: Arc::default(),
            hold: Hold::default(),
            notices: Arc::new(std::sync::Mutex::new(notices)),
            snapshot_files: Arc::default(),
            prefetch: Arc::new(std::sync::Mutex::new(ahead)),
            whole_at_open: verified.is_some() || (!is_store && size == 0),
        };
        match store.meta.get("format")? {
            None => {
                store
                    .meta
                    .insert("format", &FORMAT_VERSION.to_be_bytes())
                    .map_err(|e| store.fail(e))?;
                // A new store keeps its snapshots in files from the start.
                store
                    .meta
                    .insert(SNAPSHOT_FILES_KEY, b"1")
                    .map_err(|e| store.fail(e))?;
                store.db.flush().map_err(|e| store.fail(e))?;
            }
            Some(v) => {
                let found = <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_be_bytes)
                    .unwrap_or(0);
                if FORMAT_VERSIONS_READ.contains(&found) {
                    store
                        .meta
                        .insert("format", &FORMAT_VERSION.to_be_bytes())
                        .map_err(|e| store.fail(e))?;
                    store.db.flush().map_err(|e| store.fail(e))?;
                } else if found != FORMAT_VERSION {
                    return Err(StoreError::Version { found });
                }
            }
        }
        store.snapshot_files.store(
            store.meta.get(SNAPSHOT_FILES_KEY)?.is_some(),
            std::sync::atomic::Ordering::SeqCst,
        );
        let partial = snapfile::remove_partial(dir).map_err(|e| store.snap_error(e))?;
        if partial > 0 {
            store.notice(format!(
                "removed {partial} partial snapshot file(s) a crash left in {}",
                snapfile::dir_of(dir).display()
            ));
        }
        let last = store.last_seq()?;
        store
            .appended
            .store(last, std::sync::atomic::Ordering::SeqCst);
        store.tighten();
        if mark > last {
            return Err(lost_records(&sled_dir, last, mark));
        }
        if let Some(v) = verified {
            record_verified(dir, &v);
        }
        Ok(store)
    }

    /// What opening and recovery repaired or skipped (leftovers removed,
    /// snapshots skipped), each naming the file or record: the CLI prints
    /// them as warnings.
    /// Each is handed out once.
    pub fn take_notices(&self) -> Vec<String> {
        match self.notices.lock() {
            Ok(mut n) => std::mem::take(&mut *n),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        }
    }

    /// A sled write failed: remember it (see [`SledGuard`]), and say a
    /// full disk is one, not damage.
    fn fail(&self, e: sled::Error) -> StoreError {
        self.guard
            .failed
            .store(true, std::sync::atomic::Ordering::SeqCst);
        match e {
            sled::Error::Io(e) if is_no_space(&e) => {
                self.guard
                    .no_space
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                StoreError::NoSpace {
                    dir: self.dir.clone(),
                }
            }
            e => StoreError::from(e),
        }
    }

    /// After a failed write: the failure again, without touching sled
    /// (see [`SledGuard`]).
    fn failed_before(&self) -> Option<StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        if !self.guard.failed.load(SeqCst) {
            return None;
        }
        Some(if self.guard.no_space.load(SeqCst) {
            StoreError::NoSpace {
                dir: self.dir.clone(),
            }
        } else {
            StoreError::Sled("an earlier write failed; nothing more is written".into())
        })
    }

    fn notice(&self, text: String) {
        tracing::warn!("{text}");
        match self.notices.lock() {
            Ok(mut n) => n.push(text),
            Err(p) => p.into_inner().push(text),
        }
    }

    /// Flushes since the store was opened.
    pub fn flushes(&self) -> u64 {
        self.flushes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The last record known to have been durable (0 when unknown).
    pub fn mark(&self) -> u64 {
        read_mark(&self.dir)
    }

    /// Overwrite the mark in place: a fixed-width number, one `pwrite`
    /// per flush (no create/rename on the commit path).
    fn write_mark(&self, seq: u64, sync: bool) -> Result<(), StoreError> {
        use std::os::unix::fs::FileExt;
        let path = self.dir.join(MARK_FILE);
        let write = || -> std::io::Result<()> {
            let mut guard = match self.mark_file.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            if guard.file.is_none() {
                guard.file = Some(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .truncate(false)
                        .write(true)
                        .mode(privacy::FILE_MODE)
                        .open(&path)?,
                );
            }
            if seq <= guard.written && !sync {
                return Ok(());
            }
            let seq = seq.max(guard.written);
            if let Some(f) = guard.file.as_ref() {
                f.write_all_at(format!("{seq:020}\n").as_bytes(), 0)?;
                if sync {
                    f.sync_all()?;
                }
            }
            guard.written = seq;
            Ok(())
        };
        write().map_err(|e| {
            if is_no_space(&e) {
                self.no_space(e)
            } else {
                io(format!("writing {}", path.display()))(e)
            }
        })
    }

    /// A full disk, said as such (not damage: nothing acknowledged is lost).
    fn no_space(&self, e: std::io::Error) -> StoreError {
        tracing::warn!(error = %e, dir = %self.dir.display(), "no space left on the device");
        StoreError::NoSpace {
            dir: self.dir.clone(),
        }
    }

    /// Raw scan of the store file for damaged records (`depot check`).
    pub fn forensic_scan(&self) -> Result<forensic::Scan, StoreError> {
        forensic::scan_dir(&self.dir.join(SLED_DIR)).map_err(io("reading the store file"))
    }

    /// Of what a [`Store::forensic_scan`] found damaged, the first lost
    /// record (as opening the store judges it: durable, and with no intact
    /// copy in the files), and the record it is.
    pub fn first_lost<'a>(
        &self,
        scan: &'a forensic::Scan,
    ) -> Result<Option<(u64, &'a forensic::Damage)>, StoreError> {
        let mark = self.mark().max(self.last_seq()?);
        Ok(
            first_lost(&self.dir.join(SLED_DIR), scan, mark, &Vec::new())?
                .map(|d| (d.seq(mark), d)),
        )
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Let a flush held by [`Fault::HoldFlush`] go on (and fail).
    pub fn release_flush(&self) {
        let (m, cv) = &*self.hold;
        match m.lock() {
            Ok(mut g) => g.1 = true,
            Err(p) => p.into_inner().1 = true,
        }
        cv.notify_all();
    }

    /// Is a flush being held by [`Fault::HoldFlush`] now?
    pub fn flush_held(&self) -> bool {
        match self.hold.0.lock() {
            Ok(g) => g.0,
            Err(p) => p.into_inner().0,
        }
    }

    /// Ask the store to simulate a fault on its next write (tests).
    pub fn inject(&self, fault: Fault) {
        if let Ok(mut f) = self.faults.lock() {
            f.push(fault);
        }
    }

    fn take_fault(&self, which: Fault) -> bool {
        match self.faults.lock() {
            Ok(mut f) => match f.iter().position(|x| *x == which) {
                Some(i) => {
                    f.remove(i);
                    true
                }
                None => false,
            },
            Err(_) => false,
        }
    }

    /// Sequence number of the last log record (0 for an empty log).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        Ok(self.log.last()?.and_then(|(k, _)| key_seq(&k)).unwrap_or(0))
    }

    /// Append envelopes to the log in one atomic batch (not yet durable:
    /// call [`Store::flush`]). Sequence numbers must follow the last one.
    pub fn append(&self, envs: &[Envelope]) -> Result<(), StoreError> {
        self.append_encoded(vec![Store::encode(envs)?])
    }

    /// Encode and frame envelopes for [`Store::append_encoded`].
    pub fn encode(envs: &[Envelope]) -> Result<Encoded, StoreError> {
        let mut items = Vec::with_capacity(envs.len());
        let mut archive = Vec::new();
        for env in envs {
            let bytes =
                codec::encode(env.seq, env).map_err(|e| StoreError::Encode(e.to_string()))?;
            items.push((env.seq, sled::IVec::from(bytes)));
            archive.extend(archive_entries(env)?);
        }
        Ok(Encoded { items, archive })
    }

    /// Append encoded batches, in order, as one atomic sled batch (not yet
    /// durable: call [`Store::flush`]).
    pub fn append_encoded(&self, batches: Vec<Encoded>) -> Result<(), StoreError> {
        if self.take_fault(Fault::FailAppend) {
            return Err(StoreError::Injected("append failed"));
        }
        if self.take_fault(Fault::NoSpaceAppend) {
            return Err(self.no_space(enospc()));
        }
        let mut batch = sled::Batch::default();
        let mut archived = sled::Batch::default();
        let mut archiving = false;
        let mut last = None;
        for e in batches {
            for (key, bytes) in e.archive {
                archived.insert(key.as_bytes(), bytes);
                archiving = true;
            }
            for (seq, bytes) in e.items {
                batch.insert(&seq_key(seq), bytes);
                last = Some(seq);
            }
        }
        let Some(last) = last else {
            return Ok(());
        };
        // The documents before the record that archives them: a crash
        // between the two leaves documents that are also still in the
        // state (harmless, overwritten when archived again), never an
        // archiving record without them; both are made durable by the
        // one flush that follows.
        if archiving {
            if self.take_fault(Fault::SkipArchive) {
                tracing::warn!("fault injected: archived documents not written");
            } else {
                self.archive
                    .apply_batch(archived)
                    .map_err(|e| self.fail(e))?;
            }
        }
        self.log.apply_batch(batch).map_err(|e| self.fail(e))?;
        self.appended
            .fetch_max(last, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Highest sequence number appended (durable after the next flush).
    pub fn appended(&self) -> u64 {
        self.appended.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Make everything appended so far durable (fsync).
    pub fn flush(&self) -> Result<(), StoreError> {
        if self.take_fault(Fault::FailFlush) {
            return Err(StoreError::Injected(
                "flush failed (no space left on device)",
            ));
        }
        if self.take_fault(Fault::NoSpaceFlush) {
            return Err(self.no_space(enospc()));
        }
        if self.take_fault(Fault::HoldFlush) {
            let (m, cv) = &*self.hold;
            let mut g = match m.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            g.0 = true;
            while !g.1 {
                g = match cv.wait(g) {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
            }
            *g = (false, false);
            return Err(StoreError::Injected("flush failed after hanging"));
        }
        self.sync(true)
    }

    /// fsync what was appended before this call, and move the durable
    /// mark to it. `count`: one of the engine's group commits (what
    /// [`Store::flushes`] counts), not a snapshot's.
    fn sync(&self, count: bool) -> Result<(), StoreError> {
        // Read before the flush: a record appended while it runs (by
        // another thread) may not be durable when it returns.
        let upto = self.appended.load(std::sync::atomic::Ordering::SeqCst);
        if let Some(e) = self.failed_before() {
            return Err(e);
        }
        self.db.flush().map_err(|e| self.fail(e))?;
        if count {
            self.flushes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // A test's full disk at the mark lands on a commit's mark,
            // never on a snapshot's (saved on their own thread at any
            // moment, which made the test's outcome a race).
            if self.take_fault(Fault::NoSpaceMark) {
                return Err(self.no_space(enospc()));
            }
        }
        // Not fsynced: it survives a killed process (page cache), and a
        // stale mark after a power loss only weakens detection.
        self.write_mark(upto, false)
    }

    /// Flush and make the durable mark itself durable (clean shutdown).
    pub fn close(&self) -> Result<(), StoreError> {
        self.flush()?;
        self.write_mark(
            self.appended.load(std::sync::atomic::Ordering::SeqCst),
            true,
        )?;
        // Flushed, and nothing is being written: what this process wrote
        // is whole, so the next open need read only sled's newest
        // segments (a server that ran for a month is not read again).
        // Only when what was there at open was verified too.
        if self.whole_at_open && !self.guard.failed.load(std::sync::atomic::Ordering::SeqCst) {
            match forensic::verified_at_close(&self.dir.join(SLED_DIR)) {
                Ok(Some(v)) => record_verified(&self.dir, &v),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read sled's segment headers"),
            }
        }
        self.tighten();
        Ok(())
    }

    /// In a private store directory, give the files sled (or anything)
    /// created since with the process umask 0600, and directories 0700.
    /// A directory its owner opened to others is left as it is (and
    /// [`Store::exposed`] says so).
    fn tighten(&self) {
        if privacy::exposed(&self.dir).is_none() {
            for name in [
                SLED_DIR,
                LOCK_FILE,
                MARK_FILE,
                VERIFIED_FILE,
                "depot.log",
                DAMAGED_DIR,
                snapfile::SNAPSHOT_DIR,
            ] {
                let path = self.dir.join(name);
                if !path.exists() {
                    continue;
                }
                if let Err(e) = privacy::set_private_tree(&path) {
                    tracing::warn!(error = %e, path = %path.display(), "cannot tighten permissions");
                }
            }
        }
    }

    /// `Some(mode)` when other users can reach the store: its directory
    /// has group or other permissions (`mode`).
    pub fn exposed(&self) -> Option<u32> {
        privacy::exposed(&self.dir)
    }

    /// Read one record.
    pub fn get(&self, seq: u64) -> Result<Option<Envelope>, StoreError> {
        match self.log.get(seq_key(seq))? {
            None => Ok(None),
            Some(v) => codec::decode_envelope(seq, &v)
                .map(Some)
                .map_err(|e| record_error(seq, e)),
        }
    }

    /// Iterate the log from record `from`, checking each record's frame and
    /// that sequence numbers are contiguous.
    pub fn scan(&self, from: u64) -> impl Iterator<Item = Result<Envelope, StoreError>> + '_ {
        let mut expected = from.max(1);
        let mut done = false;
        self.log.range(seq_key(from.max(1))..).map_while(move |r| {
            if done {
                return None;
            }
            let item = (|| {
                let (k, v) = r?;
                let seq = key_seq(&k).ok_or(StoreError::Corrupt {
                    seq: expected,
                    reason: "log key is not a sequence number".into(),
                })?;
                if seq != expected {
                    return Err(StoreError::Gap {
                        expected,
                        found: seq,
                    });
                }
                let env = codec::decode_envelope(seq, &v).map_err(|e| record_error(seq, e))?;
                expected += 1;
                Ok(env)
            })();
            if item.is_err() {
                done = true;
            }
            Some(item)
        })
    }

    /// Save a snapshot of `state` (taken after record `state.seq`), durable,
    /// and drop all but the newest [`SNAPSHOTS_KEPT`].
    pub fn save_snapshot(&self, state: &State) -> Result<(), StoreError> {
        if self.take_fault(Fault::NoSpaceSnapshot) {
            return Err(self.no_space(enospc()));
        }
        snapfile::write(&self.dir, state.seq, state).map_err(|e| self.snap_error(e))?;
        if !self.files_only() {
            self.retire_snapshot_tree()?;
        }
        let seqs = self.snapshot_seqs()?;
        if seqs.len() > SNAPSHOTS_KEPT {
            for s in &seqs[..seqs.len() - SNAPSHOTS_KEPT] {
                snapfile::remove(&self.dir, *s).map_err(|e| self.snap_error(e))?;
            }
        }
        Ok(())
    }

    fn files_only(&self) -> bool {
        self.snapshot_files
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The first snapshot file is saved: drop the tree that held the
    /// snapshots before (its values were whole states) and say so in
    /// `meta`, so that it is never read again.
    fn retire_snapshot_tree(&self) -> Result<(), StoreError> {
        let name = self.snapshot_tree().name();
        if let Err(e) = self.db.drop_tree(&name) {
            self.notice(format!(
                "the old snapshots could not be removed from sled ({e}); they are no longer read"
            ));
        }
        self.meta
            .insert(SNAPSHOT_FILES_KEY, b"1")
            .map_err(|e| self.fail(e))?;
        self.db.flush().map_err(|e| self.fail(e))?;
        self.snapshot_files
            .store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    fn snap_error(&self, e: snapfile::SnapError) -> StoreError {
        match e {
            snapfile::SnapError::Io { source, .. } if is_no_space(&source) => self.no_space(source),
            snapfile::SnapError::Io { what, source } => StoreError::Io { what, source },
            snapfile::SnapError::Codec(e) => StoreError::Encode(e.to_string()),
        }
    }

    /// A snapshot file that did not read: an old state version, damage.
    fn snap_read_error(&self, seq: u64, e: snapfile::SnapError) -> StoreError {
        match e {
            snapfile::SnapError::Codec(e @ codec::CodecError::StateVersion(_)) => {
                StoreError::OldSnapshot {
                    seq,
                    reason: e.to_string(),
                }
            }
            snapfile::SnapError::Codec(e) => StoreError::DamagedSnapshot {
                seq,
                reason: e.to_string(),
            },
            snapfile::SnapError::Io { what, source } => StoreError::Io { what, source },
        }
    }

    /// Move a damaged snapshot file to `damaged/` (never deleted).
    fn move_snapshot_aside(&self, seq: u64) -> Result<PathBuf, StoreError> {
        let aside = self.dir.join(DAMAGED_DIR);
        create_private_dir(&aside)?;
        let from = snapfile::path(&self.dir, seq);
        let mut dest = aside.join(format!("snapshot-{seq}.snap"));
        let mut n = 1;
        while dest.exists() {
            dest = aside.join(format!("snapshot-{seq}.snap.{n}"));
            n += 1;
        }
        std::fs::rename(&from, &dest).map_err(io(format!(
            "moving the damaged snapshot {} aside",
            from.display()
        )))?;
        Ok(dest)
    }

    fn snapshot_file(&self, seq: u64) -> bool {
        snapfile::path(&self.dir, seq).exists()
    }

    /// Sequence numbers of stored snapshots, ascending.
    pub fn snapshot_seqs(&self) -> Result<Vec<u64>, StoreError> {
        let mut out = snapfile::seqs(&self.dir).map_err(|e| self.snap_error(e))?;
        if !self.files_only() {
            for r in self.snapshot_tree().iter().keys() {
                if let Some(s) = key_seq(&r?) {
                    out.push(s);
                }
            }
            out.sort_unstable();
            out.dedup();
        }
        Ok(out)
    }

    fn snapshot_tree(&self) -> sled::Tree {
        match self.snapshots.read() {
            Ok(t) => t.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// sled cannot read the snapshots tree (a blob under `sled/blobs/`
    /// deleted or damaged): leave it, and keep snapshots in a fresh tree
    /// from now on. The log is untouched; sled cannot drop a tree it
    /// cannot read, so the old one's pages stay until a restore.
    fn abandon_snapshot_tree(&self) -> Result<(), StoreError> {
        let current = self
            .meta
            .get(SNAPSHOT_TREE_KEY)?
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_else(|| "snapshots".into());
        let n: u64 = current
            .rsplit_once('.')
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(0);
        let name = format!("snapshots.{}", n + 1);
        let tree = self.db.open_tree(&name).map_err(|e| self.fail(e))?;
        self.meta
            .insert(SNAPSHOT_TREE_KEY, name.as_bytes())
            .map_err(|e| self.fail(e))?;
        self.db.flush().map_err(|e| self.fail(e))?;
        match self.snapshots.write() {
            Ok(mut t) => *t = tree,
            Err(p) => *p.into_inner() = tree,
        }
        Ok(())
    }

    /// Load the snapshot taken after record `seq`, with the indexes a
    /// snapshot does not save rebuilt (`Indexes::rebuild_derived`).
    pub fn load_snapshot(&self, seq: u64) -> Result<State, StoreError> {
        let mut state = self.read_snapshot(seq)?;
        crate::core::state::Indexes::rebuild_derived(&mut state);
        Ok(state)
    }

    /// The snapshot taken after record `seq`, as saved.
    fn read_snapshot(&self, seq: u64) -> Result<State, StoreError> {
        let ahead = match self.prefetch.lock() {
            Ok(mut p) => p.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some((s, handle)) = ahead {
            // A panic in the decode is a failed read of the file.
            let read = handle.join().unwrap_or_else(|_| {
                Err(snapfile::SnapError::Codec(codec::CodecError::Decode(
                    "the snapshot decoder failed".into(),
                )))
            });
            if s == seq {
                return read.map_err(|e| self.snap_read_error(seq, e));
            }
            // Recovery starts from another snapshot: the prefetched state
            // is dropped here, before that one is decoded, rather than
            // left decoding beside it (two states in memory at once).
        }
        if self.snapshot_file(seq) {
            return snapfile::read(&self.dir, seq).map_err(|e| self.snap_read_error(seq, e));
        }
        let bytes = self
            .snapshot_tree()
            .get(seq_key(seq))?
            .ok_or(StoreError::NoSnapshot(seq))?;
        codec::decode_snapshot(seq, &bytes).map_err(|e| match e {
            codec::CodecError::StateVersion(_) => StoreError::OldSnapshot {
                seq,
                reason: e.to_string(),
            },
            e => StoreError::Corrupt {
                seq,
                reason: format!("snapshot: {e}"),
            },
        })
    }

    /// Is the snapshot after record `seq` the encoding of `state`?
    /// Compared byte by byte as `state` is encoded: no decoded copy of
    /// the snapshot, no encoded copy of the state (`depot check`).
    pub fn snapshot_matches(&self, seq: u64, state: &State) -> Result<bool, StoreError> {
        if self.snapshot_file(seq) {
            return snapfile::matches(&self.dir, seq, state)
                .map_err(|e| self.snap_read_error(seq, e));
        }
        let bytes = self
            .snapshot_tree()
            .get(seq_key(seq))?
            .ok_or(StoreError::NoSnapshot(seq))?;
        codec::snapshot_encodes(seq, &bytes, state).map_err(|e| match e {
            codec::CodecError::StateVersion(_) => StoreError::OldSnapshot {
                seq,
                reason: e.to_string(),
            },
            e => StoreError::Corrupt {
                seq,
                reason: format!("snapshot: {e}"),
            },
        })
    }

    /// Rebuild the state: newest good snapshot, then the log after it. A
    /// snapshot that is damaged, or that sled cannot read at all, is
    /// skipped with a notice naming it: an older one or the whole log is
    /// replayed instead (the log is the truth; snapshots only save time).
    pub fn recover(&self) -> Result<Recovery, StoreError> {
        let last = self.last_seq()?;
        let mut skipped = Vec::new();
        let mut start: Option<(u64, State)> = None;
        let mut unreadable = false;
        let seqs = match self.snapshot_seqs() {
            Ok(s) => s,
            Err(e) => {
                unreadable = true;
                self.notice(format!(
                    "the snapshots in {} cannot be read ({e}); the state is rebuilt from the \
                     whole log (nothing is lost) and new snapshots are kept apart from them",
                    self.dir.join(SLED_DIR).join("blobs").display()
                ));
                Vec::new()
            }
        };
        for seq in seqs.into_iter().rev() {
            if seq > last {
                skipped.push((seq, format!("beyond the end of the log ({last})")));
                continue;
            }
            match self.load_snapshot(seq) {
                Ok(state) if state.seq == seq => {
                    start = Some((seq, state));
                    break;
                }
                Ok(state) => {
                    skipped.push((seq, format!("holds the state of record {}", state.seq)))
                }
                Err(e @ StoreError::DamagedSnapshot { .. }) => {
                    // A damaged file: kept as evidence in `damaged/`, out
                    // of the way of every later open and check.
                    let why = match self.move_snapshot_aside(seq) {
                        Ok(to) => format!("{e}; moved to {}", to.display()),
                        Err(m) => format!("{e}; it could not be moved aside: {m}"),
                    };
                    skipped.push((seq, why))
                }
                Err(e) => {
                    // sled itself failed (not our frame check): the tree
                    // cannot take new snapshots either.
                    unreadable |= matches!(e, StoreError::Sled(_));
                    skipped.push((seq, e.to_string()))
                }
            }
        }
        for (seq, why) in &skipped {
            // A snapshot of an older state version is skipped by design.
            if !why.contains("state version") {
                self.notice(format!(
                    "skipped the snapshot after record {seq} ({why}); the state is rebuilt from {}",
                    match &start {
                        Some((s, _)) =>
                            format!("the snapshot after record {s} and the log after it"),
                        None => "the whole log".into(),
                    }
                ));
            }
        }
        if unreadable && !self.files_only() {
            self.abandon_snapshot_tree()?;
        }
        let (snapshot_seq, mut state) = match start {
            Some((s, st)) => (Some(s), st),
            None => (None, State::default()),
        };
        let mut replayed = 0;
        let (mut repaired, mut indexed) = (0, 0);
        for env in self.scan(state.seq + 1) {
            let env = env?;
            let (docs, index) = self.repair_archive(&env)?;
            repaired += docs;
            indexed += index;
            apply(&mut state, &env);
            replayed += 1;
        }
        // Every record was replayed, so every one's index entries are
        // written: the index is whole from now on.
        let whole = snapshot_seq.is_none() && !self.archive_indexed()?;
        if whole {
            self.meta
                .insert(ARCHIVE_INDEX_KEY, b"1")
                .map_err(|e| self.fail(e))?;
        }
        if repaired + indexed > 0 || whole {
            self.db.flush().map_err(|e| self.fail(e))?;
        }
        if repaired > 0 {
            self.notice(format!(
                "rewrote {repaired} archived documents missing from the archive from the log \
                 records that archived them"
            ));
        }
        if indexed > 0 {
            self.notice(format!(
                "wrote {indexed} missing entr{} of the archive's index by day from the log \
                 records that archived them",
                if indexed == 1 { "y" } else { "ies" }
            ));
        }
        if state.seq != last {
            return Err(StoreError::Gap {
                expected: state.seq + 1,
                found: last,
            });
        }
        Ok(Recovery {
            state,
            snapshot_seq,
            skipped_snapshots: skipped,
            replayed,
        })
    }

    /// Write the archive entries of record `env` that the archive tree
    /// does not hold as the record says (a crash between the two writes,
    /// which one flush should make impossible): how many were written.
    /// Index entries are counted apart: a store from before the index
    /// (state version 22) gets it written here, as its log is replayed.
    fn repair_archive(&self, env: &Envelope) -> Result<(usize, usize), StoreError> {
        let (mut docs, mut index) = (0, 0);
        for (key, bytes) in archive_entries(env)? {
            let held = self.archive.get(key.as_bytes())?;
            if held.as_deref() != Some(bytes.as_slice()) {
                if bytes.is_empty() {
                    index += 1;
                } else {
                    docs += 1;
                }
                self.archive
                    .insert(key.as_bytes(), bytes)
                    .map_err(|e| self.fail(e))?;
            }
        }
        Ok((docs, index))
    }

    /// The framed bytes the archive holds under `key`.
    pub fn archived_raw(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.archive.get(key.as_bytes())?.map(|v| v.to_vec()))
    }

    /// Remove an archive entry (tests of the repair and of `depot check`).
    pub fn remove_archived(&self, key: &str) -> Result<(), StoreError> {
        self.archive
            .remove(key.as_bytes())
            .map_err(|e| self.fail(e))?;
        self.db.flush().map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// An archived document by kind and number.
    pub fn archived(
        &self,
        kind: crate::core::archive::DocKind,
        number: &str,
    ) -> Result<Option<crate::core::archive::ArchivedDoc>, StoreError> {
        let key = crate::core::archive::key(kind, number);
        match self.archive.get(key.as_bytes())? {
            None => Ok(None),
            Some(v) => {
                let seq = codec::archived_seq(&v).unwrap_or(0);
                codec::decode_archived(&v)
                    .map(|(_, d)| Some(d))
                    .map_err(|e| StoreError::Corrupt {
                        seq,
                        reason: format!("archived {key}: {e}"),
                    })
            }
        }
    }

    /// The entity of an archived invoice, read from the head of its
    /// bytes: the frame checked, the lines and amounts not decoded (what
    /// an aging counts the invoices after its day by). None when the
    /// archive does not hold the invoice.
    pub fn archived_invoice_entity(
        &self,
        number: &str,
    ) -> Result<Option<crate::core::types::Code>, StoreError> {
        use crate::core::archive::{DocKind, InvoiceHead, INVOICE_VARIANT};
        let key = crate::core::archive::key(DocKind::Invoice, number);
        let Some(v) = self.archive.get(key.as_bytes())? else {
            return Ok(None);
        };
        let seq = codec::archived_seq(&v).unwrap_or(0);
        let corrupt = |reason: String| StoreError::Corrupt {
            seq,
            reason: format!("archived {key}: {reason}"),
        };
        let (_, (variant, head)) = codec::decode_archived_head::<(u32, InvoiceHead)>(&v)
            .map_err(|e| corrupt(e.to_string()))?;
        if variant != INVOICE_VARIANT || head.number.as_str() != number {
            return Err(corrupt(format!(
                "holds another document (kind {variant}, number {})",
                head.number
            )));
        }
        Ok(Some(head.entity))
    }

    /// An archived order and the documents archived with it (its pick
    /// lists, shipments, invoices and their receipts); empty when the
    /// archive does not hold the order.
    pub fn archived_order(
        &self,
        number: &str,
    ) -> Result<Vec<crate::core::archive::ArchivedDoc>, StoreError> {
        use crate::core::archive::{ArchivedDoc, DocKind};
        let Some(ArchivedDoc::Order(o)) = self.archived(DocKind::Order, number)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let around = [
            (DocKind::Pick, &o.picks),
            (DocKind::Shipment, &o.shipments),
            (DocKind::Invoice, &o.invoices),
            (DocKind::Receipt, &o.receipts),
        ];
        for (kind, numbers) in around {
            for n in numbers {
                if let Some(d) = self.archived(kind, n)? {
                    out.push(d);
                }
            }
        }
        out.insert(0, ArchivedDoc::Order(o));
        Ok(out)
    }

    /// The order an archived pick list, shipment, invoice or receipt went
    /// to the archive with (an invoice or receipt over several orders: the
    /// first of them); None when the archive holds no such document. What
    /// finds an archived order for someone holding only an invoice number.
    pub fn archived_order_of(
        &self,
        number: &str,
    ) -> Result<Option<crate::core::types::Code>, StoreError> {
        use crate::core::archive::{ArchivedDoc, DocKind};
        for kind in [
            DocKind::Invoice,
            DocKind::Shipment,
            DocKind::Pick,
            DocKind::Receipt,
        ] {
            let order = match self.archived(kind, number)? {
                None => continue,
                // A receipt names invoices: the order of the first one.
                Some(ArchivedDoc::Receipt(r)) => match r.applications.first() {
                    Some(a) => self
                        .archived(DocKind::Invoice, &a.invoice)?
                        .and_then(|i| i.order().cloned()),
                    None => None,
                },
                Some(d) => d.order().cloned(),
            };
            if order.is_some() {
                return Ok(order);
            }
        }
        Ok(None)
    }

    /// An archived bank statement line and the book items it cleared, or
    /// an archived book item alone; empty when the archive holds neither.
    pub fn archived_bank(
        &self,
        id: &str,
    ) -> Result<Vec<crate::core::archive::ArchivedDoc>, StoreError> {
        use crate::core::archive::{ArchivedDoc, DocKind};
        use crate::core::bank::Cleared;
        match self.archived(DocKind::BankLine, id)? {
            Some(ArchivedDoc::BankLine(l)) => {
                let mut out = Vec::new();
                if let Some(Cleared::Matched { items, .. }) = &l.cleared {
                    for i in items {
                        if let Some(d) = self.archived(DocKind::BookItem, i)? {
                            out.push(d);
                        }
                    }
                }
                out.insert(0, ArchivedDoc::BankLine(l));
                Ok(out)
            }
            _ => Ok(self.archived(DocKind::BookItem, id)?.into_iter().collect()),
        }
    }

    /// Does the archive's index by day hold every archived invoice and
    /// receipt? Not in a store from before it that this version has not
    /// opened yet (`depot check` then leaves the index out).
    pub fn archive_indexed(&self) -> Result<bool, StoreError> {
        Ok(self.meta.get(ARCHIVE_INDEX_KEY)?.is_some())
    }

    /// How many documents the archive holds (its index not counted).
    pub fn archived_count(&self) -> usize {
        self.archive.range(..INDEX.as_bytes()).count()
    }

    /// What the archive holds dated after `day` (of `customer` when
    /// given): what a statement or the margin report as of `day` takes
    /// out of the totals the state keeps (`core::archive::Later`). Reads
    /// the index by day (by customer and day for one customer), then the
    /// documents it names and the shipments their invoices bill; for
    /// `Need::Aging`, the invoices are counted and let go, and no
    /// shipment is read.
    pub fn later(
        &self,
        day: chrono::NaiveDate,
        customer: Option<&str>,
        need: crate::core::archive::Need,
    ) -> Result<crate::core::archive::Later, StoreError> {
        self.later_while(day, customer, need, &|| true)
    }

    /// `later`, given up (`StoreError::Stopped`) as soon as `go_on` says
    /// no: asked before each document it reads (a screen's reader that
    /// goes away, so that the engine's shutdown does not wait for it).
    pub fn later_while(
        &self,
        day: chrono::NaiveDate,
        customer: Option<&str>,
        need: crate::core::archive::Need,
        go_on: &dyn Fn() -> bool,
    ) -> Result<crate::core::archive::Later, StoreError> {
        use crate::core::archive::{ArchivedDoc, DocKind, Later, Need};
        let check = || {
            if go_on() {
                Ok(())
            } else {
                Err(StoreError::Stopped)
            }
        };
        let mut out = Later {
            day,
            customer: customer.map(crate::core::types::Code::from),
            need,
            ..Later::default()
        };
        let after = day_text(day.succ_opt().unwrap_or(day));
        let prefix = match customer {
            Some(c) => format!("{BY_CUSTOMER}{c}|"),
            None => BY_DAY.to_string(),
        };
        let start = format!("{prefix}{after}");
        let bad = |key: &str| StoreError::Corrupt {
            seq: 0,
            reason: format!("archive index entry {key:?} is not an index key"),
        };
        let missing = |number: &str| StoreError::Corrupt {
            seq: 0,
            reason: format!("the archive index names {number}, which the archive does not hold"),
        };
        for entry in self.archive.range(start.as_bytes()..) {
            let (k, _) = entry?;
            let key = String::from_utf8_lossy(&k);
            let Some(tail) = key.strip_prefix(&prefix) else {
                break;
            };
            let (d, kind, number) = parse_day_tail(tail).ok_or_else(|| bad(&key))?;
            if d <= day {
                continue;
            }
            check()?;
            // An aging only counts the invoices after its day, by entity:
            // their heads are enough (decoding every line and amount of
            // each made most of an aging's read years back).
            if need == Need::Aging && kind == DocKind::Invoice {
                match self.archived_invoice_entity(number)? {
                    Some(entity) => *out.invoices_after.entry(entity).or_default() += 1,
                    None => return Err(missing(number)),
                }
                continue;
            }
            match self.archived(kind, number)? {
                Some(ArchivedDoc::Invoice(i)) => {
                    *out.invoices_after.entry(i.entity.clone()).or_default() += 1;
                    if need == Need::All {
                        out.invoices.push(i);
                    }
                }
                Some(ArchivedDoc::Receipt(r)) => out.receipts.push(r),
                _ => return Err(missing(number)),
            }
        }
        let billed: Vec<crate::core::types::Code> = out.billed().cloned().collect();
        for n in billed {
            check()?;
            if let Some(ArchivedDoc::Shipment(s)) = self.archived(DocKind::Shipment, &n)? {
                out.shipments.push(s.shipment);
            }
        }
        let paid: Vec<crate::core::types::Code> = out.paid_numbers().cloned().collect();
        for n in paid {
            check()?;
            if let Some(ArchivedDoc::Invoice(i)) = self.archived(DocKind::Invoice, &n)? {
                if i.date <= day {
                    out.paid.push(i);
                }
            }
        }
        // (An aging needs no brought-forward line.)
        if need == Need::All {
            for c in out.named() {
                // The customer's latest index entry on or before `day`.
                let lo = format!("{BY_CUSTOMER}{c}|");
                let hi = format!("{lo}{after}");
                if let Some(entry) = self.archive.range(lo.as_bytes()..hi.as_bytes()).next_back() {
                    let (k, _) = entry?;
                    let key = String::from_utf8_lossy(&k);
                    let tail = key.strip_prefix(&lo).ok_or_else(|| bad(&key))?;
                    let (d, _, _) = parse_day_tail(tail).ok_or_else(|| bad(&key))?;
                    out.last.insert(c, d);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Write a consistent copy of this store into `dest` (new or empty).
    /// Records are copied as stored (frames checked on the way).
    pub fn backup(&self, dest: &Path) -> Result<CopyInfo, StoreError> {
        self.flush()?;
        copy_store(self, dest, u64::MAX)
    }

    /// An online backup: the log up to record `upto` (durable already)
    /// and the snapshots up to it, while the writer goes on appending
    /// after it. The copy is the store as of `upto`, exactly.
    pub fn backup_upto(&self, dest: &Path, upto: u64) -> Result<CopyInfo, StoreError> {
        let info = copy_store(self, dest, upto)?;
        if info.last_seq != upto {
            return Err(StoreError::Gap {
                expected: upto,
                found: info.last_seq,
            });
        }
        Ok(info)
    }

    /// Restore the backup in `src` into `dir`, which must not hold a store.
    pub fn restore(src: &Path, dir: &Path) -> Result<CopyInfo, StoreError> {
        if !Store::is_store(src) {
            return Err(StoreError::NotAStore(src.to_path_buf()));
        }
        let from = Store::open(src)?;
        // Verify the whole backup before writing anything.
        from.recover()?;
        copy_store(&from, dir, u64::MAX)
    }

    /// Raw access for tests that damage a record on purpose (fault
    /// injection: a torn or corrupt record, a corrupt snapshot).
    pub fn overwrite_raw(&self, tree: RawTree, seq: u64, bytes: &[u8]) -> Result<(), StoreError> {
        if matches!(tree, RawTree::Snapshots) && self.snapshot_file(seq) {
            return snapfile::write_raw(&self.dir, seq, bytes).map_err(|e| self.snap_error(e));
        }
        let t = match tree {
            RawTree::Log => self.log.clone(),
            RawTree::Snapshots => self.snapshot_tree(),
        };
        t.insert(seq_key(seq), bytes).map_err(|e| self.fail(e))?;
        self.db.flush().map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// The raw bytes of a record or snapshot.
    pub fn read_raw(&self, tree: RawTree, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        if matches!(tree, RawTree::Snapshots) && self.snapshot_file(seq) {
            return snapfile::read_raw(&self.dir, seq).map_err(|e| self.snap_error(e));
        }
        let t = match tree {
            RawTree::Log => self.log.clone(),
            RawTree::Snapshots => self.snapshot_tree(),
        };
        Ok(t.get(seq_key(seq))?.map(|v| v.to_vec()))
    }
}

/// Which tree [`Store::overwrite_raw`] writes.
#[derive(Debug, Clone, Copy)]
pub enum RawTree {
    Log,
    Snapshots,
}

/// Copy the log records and snapshots up to `upto` of `from` into `dest`.
fn copy_store(from: &Store, dest: &Path, upto: u64) -> Result<CopyInfo, StoreError> {
    if dest.exists() {
        let empty = std::fs::read_dir(dest)
            .map_err(io(format!("reading {}", dest.display())))?
            .next()
            .is_none();
        if !empty {
            return Err(StoreError::NotEmpty(dest.to_path_buf()));
        }
    }
    let to = Store::open(dest)?;
    let mut records = 0;
    let mut last_seq = 0;
    let mut batch = sled::Batch::default();
    let mut in_batch = 0;
    for r in from.log.iter() {
        let (k, v) = r?;
        let seq = key_seq(&k).unwrap_or(0);
        if seq > upto {
            break;
        }
        codec::unframe(seq, &v).map_err(|e| StoreError::Corrupt {
            seq,
            reason: e.to_string(),
        })?;
        batch.insert(k, v);
        in_batch += 1;
        records += 1;
        last_seq = seq;
        if in_batch == 10_000 {
            to.log
                .apply_batch(std::mem::take(&mut batch))
                .map_err(|e| to.fail(e))?;
            in_batch = 0;
        }
    }
    to.log.apply_batch(batch).map_err(|e| to.fail(e))?;
    // The archive as of `upto`: documents archived by a later record are
    // still in that state.
    let mut archived = sled::Batch::default();
    for r in from.archive.iter() {
        let (k, v) = r?;
        if codec::archived_seq(&v).is_some_and(|s| s <= upto) {
            archived.insert(k, v);
        }
    }
    to.archive.apply_batch(archived).map_err(|e| to.fail(e))?;
    to.appended
        .store(last_seq, std::sync::atomic::Ordering::SeqCst);
    let mut snapshots = 0;
    // Snapshots are copied when they can be read, one state at a time:
    // a backup never fails for a snapshot that cannot be read (the log
    // alone rebuilds the state).
    let seqs = from.snapshot_seqs().unwrap_or_else(|e| {
        from.notice(format!(
            "the snapshots could not be listed ({e}) and were not copied (the log was)"
        ));
        Vec::new()
    });
    for seq in seqs.into_iter().filter(|s| *s <= upto) {
        match from.load_snapshot(seq) {
            Ok(state) if state.seq == seq => {
                snapfile::write(&to.dir, seq, &state).map_err(|e| to.snap_error(e))?;
                snapshots += 1;
            }
            // Of an older state version: of no use to this depot.
            Err(StoreError::OldSnapshot { .. }) => {}
            _ => from.notice(format!(
                "the snapshot after record {seq} could not be read and was not copied (the log was)"
            )),
        }
    }
    to.close()?;
    Ok(CopyInfo {
        records,
        snapshots,
        last_seq,
    })
}

/// The first damaged frame of `scan` that is a lost record: one durable
/// by `mark` with no intact copy anywhere in the files. A damaged copy of
/// a record that has an intact copy too is what a torn write leaves when
/// sled rewrites a node (a full disk, a kill; a store of years always
/// holds some): the record is not lost. Should sled prefer the torn copy,
/// it cuts its log there and the check of the durable mark says so; a
/// decoded record is checked against its own checksum anyway. The
/// intact copies are looked for in `raw` when the files were read whole,
/// else in a second windowed pass over them.
fn first_lost<'a>(
    sled_dir: &Path,
    scan: &'a forensic::Scan,
    mark: u64,
    raw: &forensic::Files,
) -> Result<Option<&'a forensic::Damage>, StoreError> {
    if scan.damaged.is_empty() {
        return Ok(None);
    }
    let intact: std::collections::BTreeSet<u64> = if !raw.is_empty() {
        forensic::records_in(raw).frames.into_keys().collect()
    } else {
        let wanted = scan.damaged.iter().map(|d| d.seq(mark)).collect();
        forensic::intact_among(sled_dir, &wanted).map_err(io("reading the store file"))?
    };
    Ok(scan
        .damaged
        .iter()
        .find(|d| d.seq(mark) <= mark && !intact.contains(&d.seq(mark))))
}

/// The archive tree's entries of the documents record `env` archives,
/// and of the index by day of its invoices and receipts (`day_keys`):
/// what the store writes, recovery rewrites when missing and `depot
/// check` compares.
pub fn archive_entries(env: &Envelope) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let mut out = Vec::new();
    for e in env.events() {
        for d in crate::core::archive::event_docs(e) {
            let bytes = codec::encode_archived(env.seq, &d)
                .map_err(|e| StoreError::Encode(e.to_string()))?;
            for k in day_keys(&d) {
                out.push((k, Vec::new()));
            }
            out.push((d.key(), bytes));
        }
    }
    Ok(out)
}

/// `meta`'s mark that the archive index holds an entry for every archived
/// invoice and receipt: set when a recovery has replayed the whole log
/// (repairing each record's entries), so a store written before the index
/// (state version 22) gets it on its first open by this version.
const ARCHIVE_INDEX_KEY: &str = "archive-index";

/// Where the archive index starts: after every document key (which
/// begins with a kind's lowercase name).
const INDEX: &str = "~";
/// The archive index by day: `~day|DAY|kind|number`.
const BY_DAY: &str = "~day|";
/// ... and by customer and day: `~customer|CODE|DAY|kind|number`. A code
/// never holds `|` (`types::code_problem`).
const BY_CUSTOMER: &str = "~customer|";

/// A day as ten digits that sort as the days do.
fn day_text(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{:010}", i64::from(d.num_days_from_ce()) + 1_000_000_000)
}

fn day_of_text(t: &str) -> Option<chrono::NaiveDate> {
    let n: i64 = t.parse().ok()?;
    chrono::NaiveDate::from_num_days_from_ce_opt(i32::try_from(n - 1_000_000_000).ok()?)
}

/// The index keys of an archived invoice or receipt (none for the other
/// kinds): what a statement or the margin report as of an earlier day
/// reads (`Store::later`).
pub fn day_keys(d: &crate::core::archive::ArchivedDoc) -> Vec<String> {
    use crate::core::archive::ArchivedDoc;
    let (customer, day) = match d {
        ArchivedDoc::Invoice(i) => (&i.customer, i.date),
        ArchivedDoc::Receipt(r) => (&r.customer, r.date),
        _ => return Vec::new(),
    };
    let rest = format!("{}|{}|{}", day_text(day), d.kind().as_str(), d.number());
    vec![
        format!("{BY_DAY}{rest}"),
        format!("{BY_CUSTOMER}{customer}|{rest}"),
    ]
}

/// An index key's tail `DAY|kind|number`.
fn parse_day_tail(t: &str) -> Option<(chrono::NaiveDate, crate::core::archive::DocKind, &str)> {
    use crate::core::archive::DocKind;
    let mut parts = t.splitn(3, '|');
    let day = day_of_text(parts.next()?)?;
    let kind = match parts.next()? {
        "invoice" => DocKind::Invoice,
        "receipt" => DocKind::Receipt,
        _ => return None,
    };
    Some((day, kind, parts.next()?))
}

/// A frame that checks out but does not decode was written by another
/// version; anything else is damage.
fn record_error(seq: u64, e: codec::CodecError) -> StoreError {
    match e {
        codec::CodecError::Decode(reason) => StoreError::Incompatible { seq, reason },
        other => StoreError::Corrupt {
            seq,
            reason: other.to_string(),
        },
    }
}

/// Start decoding the newest snapshot file on its own thread.
fn prefetch_newest(dir: &Path) -> Option<Prefetch> {
    let seq = *snapfile::seqs(dir).ok()?.last()?;
    let store = dir.to_path_buf();
    std::thread::Builder::new()
        .name("depot-snapshot-read".into())
        .spawn(move || snapfile::read::<State>(&store, seq))
        .ok()
        .map(|h| (seq, h))
}

/// How far the last open's raw scan verified the store file (`None`:
/// never, or the record is unreadable: scan it all).
fn read_verified(dir: &Path) -> Option<forensic::Verified> {
    forensic::Verified::decode(&std::fs::read_to_string(dir.join(VERIFIED_FILE)).ok()?)
}

/// Record how far the store file is verified. Advisory: lost or garbled,
/// the next open reads everything.
fn record_verified(dir: &Path, v: &forensic::Verified) {
    if let Err(e) = write_verified(dir, v) {
        tracing::warn!(error = %e, "cannot record how far the store file was scanned");
    }
}

/// Replace the record of how far the store file is verified (a new file
/// renamed over the old one: never half written).
fn write_verified(dir: &Path, v: &forensic::Verified) -> std::io::Result<()> {
    let tmp = dir.join(format!("{VERIFIED_FILE}.tmp"));
    {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(privacy::FILE_MODE)
            .open(&tmp)?;
        f.write_all(v.encode().as_bytes())?;
    }
    std::fs::rename(&tmp, dir.join(VERIFIED_FILE))
}

/// The second section of a snapshot, decoded beside the first on a
/// second core: a state's documents (orders, invoices, shipments, pick
/// lists), about half of what a store of a year holds in memory, and the
/// per-item lists by day (cost pool movements, weekly demand), which
/// balance the two sections' decoding times on the one-year store
/// (`cargo bench --bench state_size` times each field).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct SecondSection {
    orders: crate::core::state::DocMap<crate::core::sales::SalesOrder>,
    invoices: crate::core::state::DocMap<crate::core::billing::Invoice>,
    shipments: crate::core::state::DocMap<crate::core::warehouse::Shipment>,
    picks: crate::core::state::DocMap<crate::core::warehouse::PickList>,
    #[serde(deserialize_with = "crate::core::dense::map")]
    pool_days: crate::core::state::Map<
        (crate::core::types::Code, crate::core::types::Code),
        crate::core::state::PoolDays,
    >,
    #[serde(deserialize_with = "crate::core::dense::map")]
    demand: crate::core::state::Map<
        (crate::core::types::Code, crate::core::types::Code),
        crate::core::state::Weeks,
    >,
}

impl snapfile::TwoParts for State {
    type First = State;
    type Second = SecondSection;

    fn split(&self) -> (State, SecondSection) {
        // The maps are shared, not copied.
        let mut rest = self.clone();
        let second = SecondSection {
            orders: std::mem::take(&mut rest.orders),
            invoices: std::mem::take(&mut rest.invoices),
            shipments: std::mem::take(&mut rest.shipments),
            picks: std::mem::take(&mut rest.picks),
            pool_days: std::mem::take(&mut rest.pool_days),
            demand: std::mem::take(&mut rest.demand),
        };
        (rest, second)
    }

    fn join(mut rest: State, second: SecondSection) -> State {
        rest.orders = second.orders;
        rest.invoices = second.invoices;
        rest.shipments = second.shipments;
        rest.picks = second.picks;
        rest.pool_days = second.pool_days;
        rest.demand = second.demand;
        rest
    }
}

fn read_mark(dir: &Path) -> u64 {
    std::fs::read_to_string(dir.join(MARK_FILE))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// The log ends before the durable mark: name the damage if a raw scan
/// finds it.
fn lost_records(sled_dir: &Path, last: u64, mark: u64) -> StoreError {
    let damaged = forensic::scan_dir(sled_dir)
        .ok()
        .and_then(|scan| scan.damaged.first().map(|d| (d.seq(mark), d.offset)));
    match damaged {
        Some((seq, offset)) => StoreError::Corrupt {
            seq,
            reason: format!(
                "checksum mismatch at byte {offset} of the store file; sled can read the log \
                 only up to record {last} of {mark}"
            ),
        },
        None => StoreError::Corrupt {
            seq: last + 1,
            reason: format!("the log ends at record {last} but records up to {mark} were durable"),
        },
    }
}

/// sled snapshot files (`snap.<lsn>.generating`) that an interrupted
/// write left incomplete: at most 12 bytes, or their trailing CRC32 does
/// not match (sled writes the body, its length and its CRC, syncs, and
/// only then renames the file; a complete one is left for sled).
fn sled_leftovers(sled_dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(sled_dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with("snap.") && name.ends_with(".generating")) {
            continue;
        }
        let complete = std::fs::read(e.path()).is_ok_and(|bytes| {
            let n = bytes.len();
            n > 12 && {
                let mut crc = [0u8; 4];
                crc.copy_from_slice(&bytes[n - 4..]);
                u32::from_le_bytes(crc) == crc32fast::hash(&bytes[..n - 12])
            }
        });
        if !complete {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

/// sled cannot open its database, but every record of the log is intact
/// in its files (sled's own metadata, or a snapshot, is what is
/// damaged): rebuild the log into a new sled database from the raw
/// frames, move the old one aside to `damaged/`, and open the new one
/// (the state is replayed from the whole log; snapshots are not carried
/// over). Done only when the files leave no doubt: no damaged log frame,
/// no sequence number with two different frames, records 1..=N without a
/// gap, and N at least the durable mark. Otherwise `None`: the error
/// stands.
fn rebuild_log(
    dir: &Path,
    sled_dir: &Path,
    raw: &forensic::Files,
    mark: u64,
    why: &StoreError,
) -> Result<Option<(sled::Db, String)>, StoreError> {
    let found = forensic::records_in(raw);
    let last = found.frames.keys().next_back().copied().unwrap_or(0);
    let contiguous = found.frames.keys().copied().eq(1..=last);
    if found.damaged > 0 || found.conflict.is_some() || !contiguous || last == 0 || last < mark {
        return Ok(None);
    }
    // Every frame must also decode as a record this depot reads.
    for (seq, frame) in &found.frames {
        if codec::decode_envelope(*seq, frame).is_err() {
            return Ok(None);
        }
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let fresh = dir.join(format!("{SLED_DIR}.rebuilding"));
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh).map_err(io(format!("removing {}", fresh.display())))?;
    }
    {
        let db = open_sled(&fresh)?;
        let log = db.open_tree("log")?;
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for (seq, frame) in &found.frames {
            batch.insert(&seq_key(*seq), frame.as_slice());
            n += 1;
            if n % 10_000 == 0 {
                log.apply_batch(std::mem::take(&mut batch))?;
            }
        }
        log.apply_batch(batch)?;
        db.open_tree("meta")?
            .insert("format", &FORMAT_VERSION.to_be_bytes())?;
        db.flush()?;
    }
    let aside = dir.join(DAMAGED_DIR);
    create_private_dir(&aside)?;
    let dest = aside.join(format!("{SLED_DIR}-{stamp}"));
    std::fs::rename(sled_dir, &dest).map_err(io(format!("moving {} aside", sled_dir.display())))?;
    std::fs::rename(&fresh, sled_dir).map_err(io(format!(
        "moving the rebuilt log to {}",
        sled_dir.display()
    )))?;
    let db = open_sled_ours(sled_dir)?;
    let note = format!(
        "sled could not open {} ({why}), but every record of the log, 1 to {last}, is intact in \
         its files (what is damaged is sled's own metadata or a snapshot): the log was rebuilt \
         into a new sled database from them and the old one moved to {} (kept as evidence; \
         delete it once `depot check` passes). Nothing acknowledged is lost (the last durable \
         record was {mark}); snapshots were not carried over, so the state is rebuilt from the \
         whole log. `depot check` verifies the rebuilt log; do not restore a backup, which \
         would lose everything committed after it",
        sled_dir.display(),
        dest.display()
    );
    Ok(Some((db, note)))
}

/// Where damaged sled blobs are moved, in the store's directory.
const DAMAGED_DIR: &str = "damaged";

/// sled blobs (`sled/blobs/<lsn>`: a snapshot, or any node too large to
/// sit in `sled/db`) whose own checksum fails, or cut shorter than their
/// header. sled 0.34 refuses to open when its recovery reads one, but
/// treats a missing blob as a node it no longer has: moved aside, the
/// store opens, and what the blob held is found missing when read (a
/// snapshot is then skipped and the state rebuilt from the log).
fn damaged_blobs(sled_dir: &Path, floor: Option<u64>) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(sled_dir.join("blobs")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    for e in rd.flatten() {
        // Checked at an earlier open, and a blob is never written again.
        if forensic::below(&e.path(), floor) {
            continue;
        }
        if !blob_intact(&e.path(), &mut buf) {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

/// Does a sled blob (its CRC32, then the bytes it covers) match its
/// checksum? Read through `buf`, never whole: a blob can be hundreds of
/// megabytes (an old snapshot, an archive record), and this runs while
/// the newest snapshot is being decoded.
fn blob_intact(path: &Path, buf: &mut [u8]) -> bool {
    use std::io::Read;
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut crc = [0u8; 4];
    if f.read_exact(&mut crc).is_err() {
        return false;
    }
    let mut h = crc32fast::Hasher::new();
    let mut body = 0u64;
    loop {
        match f.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                h.update(&buf[..n]);
                body += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    body >= 1 && u32::from_le_bytes(crc) == h.finalize()
}

/// Move a damaged sled blob to `damaged/` in the store directory (kept,
/// never deleted: it is evidence), and say what that means.
fn move_blob_aside(dir: &Path, path: &Path) -> Result<String, StoreError> {
    let aside = dir.join(DAMAGED_DIR);
    create_private_dir(&aside)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut dest = aside.join(format!("sled-blob-{name}"));
    let mut n = 1;
    while dest.exists() {
        dest = aside.join(format!("sled-blob-{name}.{n}"));
        n += 1;
    }
    std::fs::rename(path, &dest).map_err(io(format!(
        "moving the damaged sled blob {} aside",
        path.display()
    )))?;
    Ok(format!(
        "{} is damaged (its checksum fails: a flipped byte, or a write cut short) and sled \
         cannot open with it: moved to {}. \
         A blob holds a snapshot or a large node; a snapshot it held is skipped and the state \
         rebuilt from the log, which the raw scan found intact. `depot check` verifies the whole \
         log and every snapshot left; a restore (`depot restore`) would lose everything \
         committed after the backup, so restore only if check reports the log damaged",
        path.display(),
        dest.display()
    ))
}

/// ENOSPC (or a quota exceeded: EDQUOT).
fn is_no_space(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull
        || e.kind() == std::io::ErrorKind::QuotaExceeded
        || e.raw_os_error() == Some(28)
}

/// Create `dir` (and missing parents) 0700, as the umask allows no more.
fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(privacy::DIR_MODE)
        .create(dir)
        .map_err(io(format!("creating {}", dir.display())))
}

/// Take the store's lock, or say who holds it.
fn take_lock(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(privacy::FILE_MODE)
        .open(&path)
        .map_err(io(format!("opening {}", path.display())))?;
    // A store this process closed a moment ago may still be held by a
    // thread of it that is ending (the open's prefetch, a snapshot): its
    // handles let go of the lock on their own, as sled's do
    // (`open_sled_ours`). Wait for that, up to 5 s; another process's
    // lock is said at once.
    let mut tries = 0;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path)
                    .ok()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "another process".to_string());
                let ours = holder.starts_with(&format!("pid {} ", std::process::id()));
                if ours && tries < 100 {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    continue;
                }
                return Err(StoreError::Locked {
                    dir: dir.to_path_buf(),
                    holder,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(io(format!("locking {}", path.display()))(e))
            }
        }
    }
    let cmd: Vec<String> = std::env::args().take(3).collect();
    let text = format!(
        "pid {} (`{}`, since {})\n",
        std::process::id(),
        cmd.join(" "),
        chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
    );
    file.set_len(0)
        .and_then(|_| file.write_all(text.as_bytes()))
        .and_then(|_| file.sync_all())
        .map_err(io(format!("writing {}", path.display())))?;
    Ok(file)
}

/// Open sled under our own LOCK: sled lets go of its file lock a moment
/// after the last handle of a database is dropped (its threads end on
/// their own), so a store closed and opened again in one process (a
/// rebuilt log, a test, a restart of `depot serve`'s store) may find it
/// still held for a few milliseconds. Wait for that, up to 5 s; past it,
/// another process holds it (its LOCK file was removed or replaced).
fn open_sled_ours(dir: &Path) -> Result<sled::Db, StoreError> {
    let mut tries = 0;
    loop {
        match open_sled(dir) {
            Err(StoreError::Locked { .. }) if tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// sled's page cache (its default is 1 GiB). The log is appended at its
/// end and read once, in order, by a replay; snapshots are read once per
/// open: a cache that grows to a gigabyte only holds pages read once
/// (`depot check` of a year's store peaked a gigabyte higher for it).
pub const SLED_CACHE_BYTES: u64 = 64 << 20;

thread_local! {
    /// This thread is inside [`quietly`]: its panics are caught and
    /// reported as errors, not printed.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f`, catching a panic of it without printing it. The process-wide
/// panic hook is wrapped once (the hook in force then, the terminal's
/// restore among them, still runs for every other panic) and never
/// swapped: a session thread of `depot serve` that panics while another
/// thread opens a store is reported as before, not silenced.
fn quietly<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    static WRAPPED: std::sync::Once = std::sync::Once::new();
    WRAPPED.call_once(wrap_panic_hook);
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result
}

/// Wrap the panic hook in force so that it skips the panics of threads
/// inside [`quietly`].
fn wrap_panic_hook() {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.with(|q| q.get()) {
            prev(info)
        }
    }));
}

/// Open sled. sled 0.34 panics (rather than erring) on some damaged
/// segments; catch that, and name the damaged record from a raw scan.
fn open_sled(dir: &Path) -> Result<sled::Db, StoreError> {
    let config = sled::Config::new()
        .path(dir)
        .cache_capacity(SLED_CACHE_BYTES);
    let result = quietly(|| config.open());
    let reason = match result {
        Ok(Ok(db)) => return Ok(db),
        // sled's own lock on its file: another process holds the store
        // although our LOCK file was free (it was deleted or replaced
        // while held). In use, not damaged.
        Ok(Err(e)) if e.to_string().contains("could not acquire lock") => {
            let store_dir = dir.parent().unwrap_or(dir).to_path_buf();
            return Err(StoreError::Locked {
                dir: store_dir,
                holder: "another process (the store's LOCK file was removed or replaced \
                         while that process held it)"
                    .into(),
            });
        }
        // A full disk is not damage: say so, and that nothing is lost.
        Ok(Err(sled::Error::Io(e))) if is_no_space(&e) => {
            return Err(StoreError::NoSpace {
                dir: dir.parent().unwrap_or(dir).to_path_buf(),
            });
        }
        Ok(Err(e)) => e.to_string(),
        Err(panic) => panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "sled could not read its file".into()),
    };
    match forensic::scan_dir(dir) {
        Ok(scan) => match scan.damaged.first() {
            Some(d) => Err(StoreError::Corrupt {
                seq: d.seq(scan.last_good_seq),
                reason: format!(
                    "checksum mismatch at byte {} of the store file (sled: {reason})",
                    d.offset
                ),
            }),
            None => Err(StoreError::Unreadable {
                dir: dir.to_path_buf(),
                reason,
            }),
        },
        Err(_) => Err(StoreError::Unreadable {
            dir: dir.to_path_buf(),
            reason,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    fn message(info: &std::panic::PanicHookInfo<'_>) -> String {
        let p = info.payload();
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    }

    /// A panic caught by `quietly` is an error and is not printed; a panic
    /// of another thread at the same moment still reaches the hook.
    #[test]
    fn quiet_panics_are_this_threads_only() {
        static OURS: AtomicUsize = AtomicUsize::new(0);
        static OTHERS: AtomicUsize = AtomicUsize::new(0);
        std::panic::set_hook(Box::new(|info| match message(info).as_str() {
            "quiet-test: ours" => {
                OURS.fetch_add(1, Ordering::SeqCst);
            }
            "quiet-test: another thread" => {
                OTHERS.fetch_add(1, Ordering::SeqCst);
            }
            _ => {}
        }));
        wrap_panic_hook();
        let inside = Arc::new(Barrier::new(2));
        let done = Arc::new(Barrier::new(2));
        let other = {
            let (inside, done) = (inside.clone(), done.clone());
            std::thread::spawn(move || {
                inside.wait();
                let r = std::thread::spawn(|| panic!("quiet-test: another thread")).join();
                done.wait();
                r.is_err()
            })
        };
        let caught = quietly(|| {
            inside.wait();
            done.wait();
            panic!("quiet-test: ours")
        });
        let _ = std::panic::take_hook();
        assert!(other.join().unwrap_or(false), "the other thread panicked");
        let payload = caught.err().map(|p| {
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .unwrap_or_default()
        });
        assert_eq!(payload.as_deref(), Some("quiet-test: ours"));
        assert_eq!(OURS.load(Ordering::SeqCst), 0, "ours was printed");
        assert_eq!(OTHERS.load(Ordering::SeqCst), 1, "the other was silenced");
        // Not left quiet: the next panic of this thread reaches the hook.
        assert!(!QUIET.with(|q| q.get()));
    }
}
