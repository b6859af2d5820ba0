//! When sled cannot open its own file (sled 0.34 panics on a segment whose
//! checksum fails), our records are still framed and checksummed inside it.
//! This scan reads the raw file and names the record that is damaged, so
//! that `depot check` and `depot` itself can say which record is lost
//! instead of a bare "cannot open".
//!
//! Frame (see `codec.rs`): MAGIC (3 bytes + version byte), seq (u64 BE),
//! payload length (u32 BE), CRC32 over seq, length and payload, payload.
//! sled may hold several copies of a record (node rewrites): a record is
//! reported damaged when one of its copies fails its checksum.

use super::codec::{FRAME_HEADER_LEN, LOG_FRAME_VERSIONS, MAGIC};
use std::path::Path;

/// Longest payload we believe when scanning (a larger length is garbage).
const PAYLOAD_LEN_MAX: usize = 64 << 20;

/// What a raw scan found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Highest sequence number of an intact frame.
    pub last_good_seq: u64,
    /// Intact frames found (copies included).
    pub good_frames: usize,
    /// Damaged frames: (file offset, the sequence number they claim, the
    /// nearest intact sequence numbers before and after in the file).
    pub damaged: Vec<Damage>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub offset: usize,
    pub claimed_seq: u64,
    pub before: Option<u64>,
    pub after: Option<u64>,
}

impl Damage {
    /// The record this damage most likely belongs to.
    pub fn seq(&self, last_good: u64) -> u64 {
        let plausible = self.claimed_seq >= 1 && self.claimed_seq <= last_good + 1;
        if plausible {
            self.claimed_seq
        } else {
            self.before.map(|s| s + 1).unwrap_or(1)
        }
    }
}

/// The raw files of a sled directory (`db` and `blobs/`), as read.
pub type Files = Vec<(std::path::PathBuf, Vec<u8>)>;

/// Bytes in the files sled keeps its data in.
pub fn files_size(dir: &Path) -> u64 {
    sled_files(dir)
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Read the files sled keeps its data in (`db` and `blobs/`).
pub fn read_files(dir: &Path) -> Files {
    sled_files(dir)
        .into_iter()
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect()
}

/// The paths of the files sled keeps its data in (`db` and `blobs/`).
fn sled_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut paths = vec![dir.join("db")];
    if let Ok(rd) = std::fs::read_dir(dir.join("blobs")) {
        for e in rd.flatten() {
            paths.push(e.path());
        }
    }
    paths
}

/// Scan every file directly in `dir` (sled keeps `db` and `blobs/`), a
/// window at a time: memory stays at a window however large the store
/// (a year of history is gigabytes; reading it whole doubled what
/// reopening a store and `depot check` needed).
pub fn scan_dir(dir: &Path) -> std::io::Result<Scan> {
    scan_dir_with(dir, &mut |_| {})
}

/// Which of `wanted` have an intact frame somewhere in the files of `dir`
/// (a second windowed pass, after a scan found damaged copies of them):
/// a store of years is never read whole to answer it.
pub fn intact_among(
    dir: &Path,
    wanted: &std::collections::BTreeSet<u64>,
) -> std::io::Result<std::collections::BTreeSet<u64>> {
    let mut found = std::collections::BTreeSet::new();
    scan_dir_with(dir, &mut |seq| {
        if wanted.contains(&seq) {
            found.insert(seq);
        }
    })?;
    Ok(found)
}

fn scan_dir_with(dir: &Path, on_intact: &mut dyn FnMut(u64)) -> std::io::Result<Scan> {
    let mut total = Scan::default();
    for p in sled_files(dir) {
        let s = match std::fs::File::open(&p) {
            Ok(f) => scan_reader_with(f, WINDOW, on_intact)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        total.last_good_seq = total.last_good_seq.max(s.last_good_seq);
        total.good_frames += s.good_frames;
        total.damaged.extend(s.damaged);
    }
    Ok(total)
}

/// How far a raw scan at open got: sled's log segments below `lsn` (the
/// LSN sled writes in each segment's header) were read whole and found
/// sound, in the `db` file of this inode and at least this length.
///
/// sled writes its log a segment at a time and gives a segment it reuses
/// a new header with a higher LSN, so what was written since is what a
/// header at or above `lsn` (or one that fails its checksum) says. A torn
/// write is what a crash leaves, and a crash can only tear what was being
/// written: the next open scans that, not years of history. Damage at
/// rest (a disk's rot, a hand's edit) is what `depot check` looks for,
/// reading every byte; a damaged record read later fails its checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub inode: u64,
    pub len: u64,
    pub segment_size: u64,
    pub lsn: u64,
}

/// Segments below the newest one that are scanned again anyway: the io
/// buffers sled had in flight when a process died lie within them, and
/// sled's recovery may go on writing in one of them.
const RESCAN_SEGMENTS: u64 = 64;

const VERIFIED_TAG: &str = "depot-verified 1";

impl Verified {
    pub fn encode(&self) -> String {
        format!(
            "{VERIFIED_TAG}\ninode {}\nlen {}\nsegment_size {}\nlsn {}\n",
            self.inode, self.len, self.segment_size, self.lsn
        )
    }

    /// `None` for anything but what [`Verified::encode`] wrote.
    pub fn decode(text: &str) -> Option<Verified> {
        let mut lines = text.lines();
        if lines.next()? != VERIFIED_TAG {
            return None;
        }
        let mut field = |name: &str| -> Option<u64> {
            let line = lines.next()?;
            line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok()
        };
        let v = Verified {
            inode: field("inode")?,
            len: field("len")?,
            segment_size: field("segment_size")?,
            lsn: field("lsn")?,
        };
        (lines.next().is_none() && v.segment_size > 0).then_some(v)
    }

    /// Is this what was verified of the `db` file `meta` describes (the
    /// same file, not shorter, the same segment size)?
    fn applies(&self, meta: &std::fs::Metadata, size: Option<u64>) -> bool {
        use std::os::unix::fs::MetadataExt;
        size == Some(self.segment_size) && self.inode == meta.ino() && meta.len() >= self.len
    }

    /// The LSN below which the blobs of `dir` were verified, if this is
    /// still of its `db` file.
    pub fn blob_floor(&self, dir: &Path) -> Option<u64> {
        let meta = std::fs::metadata(dir.join("db")).ok()?;
        self.applies(&meta, segment_size(dir)).then_some(self.lsn)
    }
}

/// sled's segment size, from its `conf` file.
fn segment_size(dir: &Path) -> Option<u64> {
    // Text, then sled's CRC32 of it (four bytes that need not be UTF-8).
    let conf = std::fs::read(dir.join("conf")).ok()?;
    String::from_utf8_lossy(&conf)
        .lines()
        .find_map(|l| l.strip_prefix("segment_size: "))
        .and_then(|v| v.trim().parse().ok())
        .filter(|s| *s >= SEGMENT_HEADER_LEN as u64)
}

/// sled 0.34's segment header: CRC32 (of the 16 bytes after it, xored
/// with all ones), the segment's LSN, the highest stable LSN; little
/// endian, both LSNs xored with `i64::MAX`.
const SEGMENT_HEADER_LEN: usize = 20;

fn segment_lsn(header: &[u8; SEGMENT_HEADER_LEN]) -> Option<u64> {
    let stored = u32::from_le_bytes(header[0..4].try_into().ok()?) ^ 0xFFFF_FFFF;
    let lsn = u64::from_le_bytes(header[4..12].try_into().ok()?) ^ 0x7FFF_FFFF_FFFF_FFFF;
    (crc32fast::hash(&header[4..]) == stored).then_some(lsn)
}

/// The LSN in the header of each segment of `file` (`None` where the
/// header fails its checksum or is cut short).
fn segment_heads(file: &std::fs::File, size: u64, len: u64) -> std::io::Result<Vec<Option<u64>>> {
    use std::os::unix::fs::FileExt;
    let mut heads = Vec::with_capacity(len.div_ceil(size) as usize);
    let mut at = 0;
    while at < len {
        let mut header = [0u8; SEGMENT_HEADER_LEN];
        heads.push(match file.read_exact_at(&mut header, at) {
            Ok(()) => segment_lsn(&header),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => None,
            Err(e) => return Err(e),
        });
        at += size;
    }
    Ok(heads)
}

/// sled's `db` file as a scan at open or a clean close reads it: its
/// metadata, its segment size (`None` without a readable `conf`) and
/// the LSN in each segment's header.
struct Db {
    file: std::fs::File,
    meta: std::fs::Metadata,
    size: Option<u64>,
    heads: Vec<Option<u64>>,
}

impl Db {
    /// `None` when there is no `db` file.
    fn open(dir: &Path) -> std::io::Result<Option<Db>> {
        let file = match std::fs::File::open(dir.join("db")) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        let size = segment_size(dir);
        let heads = match size {
            Some(size) => segment_heads(&file, size, meta.len())?,
            None => Vec::new(),
        };
        Ok(Some(Db {
            file,
            meta,
            size,
            heads,
        }))
    }

    /// How far it is verified once it is read: up to `rescan` segments
    /// below the newest.
    fn verified(&self, rescan: u64) -> Option<Verified> {
        use std::os::unix::fs::MetadataExt;
        let size = self.size?;
        self.heads.iter().flatten().max().map(|newest| Verified {
            inode: self.meta.ino(),
            len: self.meta.len(),
            segment_size: size,
            lsn: newest.saturating_sub(rescan.saturating_mul(size)),
        })
    }
}

/// Bytes `start..end` of a file, as a file of their own.
struct Slice<'a> {
    file: &'a std::fs::File,
    start: u64,
    end: u64,
    pos: u64,
}

impl std::io::Read for Slice<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let left = (self.end - self.start).saturating_sub(self.pos);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.file.read_at(&mut buf[..want], self.start + self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for Slice<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        match to {
            std::io::SeekFrom::Start(p) => self.pos = p,
            _ => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "a slice seeks from its start only",
                ))
            }
        }
        Ok(self.pos)
    }
}

fn add(total: &mut Scan, s: Scan, offset: u64) {
    total.last_good_seq = total.last_good_seq.max(s.last_good_seq);
    total.good_frames += s.good_frames;
    total.damaged.extend(s.damaged.into_iter().map(|mut d| {
        d.offset += offset as usize;
        d
    }));
}

/// The raw scan at open: what was written since `since` (everything when
/// `since` is `None` or is not of this `db` file), and how far the files
/// are verified now. Blobs are named by their LSN: those below the
/// verified point are not read again.
pub fn scan_dir_since(
    dir: &Path,
    since: Option<&Verified>,
) -> std::io::Result<(Scan, Option<Verified>)> {
    scan_since(dir, since, RESCAN_SEGMENTS)
}

/// [`scan_dir_since`], verifying up to `rescan` segments below the newest.
fn scan_since(
    dir: &Path,
    since: Option<&Verified>,
    rescan: u64,
) -> std::io::Result<(Scan, Option<Verified>)> {
    let mut total = Scan::default();
    let mut now = None;
    let mut floor = None;
    if let Some(db) = Db::open(dir)? {
        let len = db.meta.len();
        let since = since.filter(|v| v.applies(&db.meta, db.size));
        let ranges: Vec<(u64, u64)> = match since {
            Some(v) => {
                floor = Some(v.lsn);
                let mut ranges: Vec<(u64, u64)> = Vec::new();
                for (i, head) in db.heads.iter().enumerate() {
                    if head.is_some_and(|lsn| lsn < v.lsn) {
                        continue;
                    }
                    let start = i as u64 * v.segment_size;
                    let end = (start + v.segment_size).min(len);
                    match ranges.last_mut() {
                        Some(last) if last.1 == start => last.1 = end,
                        _ => ranges.push((start, end)),
                    }
                }
                ranges
            }
            None => vec![(0, len)],
        };
        for (start, end) in ranges {
            let slice = Slice {
                file: &db.file,
                start,
                end,
                pos: 0,
            };
            add(
                &mut total,
                scan_reader_with(slice, WINDOW, &mut |_| {})?,
                start,
            );
        }
        now = db.verified(rescan);
    }
    for p in sled_files(dir).into_iter().skip(1) {
        if below(&p, floor) {
            continue;
        }
        match std::fs::File::open(&p) {
            Ok(f) => add(&mut total, scan_reader_with(f, WINDOW, &mut |_| {})?, 0),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        }
    }
    Ok((total, now))
}

/// What a clean close records: sled has flushed and nothing is being
/// written, so every segment is whole but the newest ones, which sled
/// may still touch as it closes and the next open reads again. Only
/// the segment headers are read.
pub fn verified_at_close(dir: &Path) -> std::io::Result<Option<Verified>> {
    Ok(Db::open(dir)?.and_then(|db| db.verified(RESCAN_SEGMENTS)))
}

/// Is `path` a sled blob older than `floor` (named by its LSN)?
pub fn below(path: &Path, floor: Option<u64>) -> bool {
    let lsn = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse::<u64>().ok());
    matches!((lsn, floor), (Some(lsn), Some(floor)) if lsn < floor)
}

/// Bytes read at a time by [`scan_dir`].
const WINDOW: usize = 8 << 20;

/// What [`scan_bytes`] finds in the whole of `file`, read `window` bytes
/// at a time (a frame that runs past the window has its payload read on
/// its own to check it).
pub fn scan_reader<R: std::io::Read + std::io::Seek>(
    file: R,
    window: usize,
) -> std::io::Result<Scan> {
    scan_reader_with(file, window, &mut |_| {})
}

/// [`scan_reader`], telling `on_intact` the sequence number of each
/// intact frame.
fn scan_reader_with<R: std::io::Read + std::io::Seek>(
    mut file: R,
    window: usize,
    on_intact: &mut dyn FnMut(u64),
) -> std::io::Result<Scan> {
    use std::io::SeekFrom;
    let window = window.max(FRAME_HEADER_LEN + 1);
    let mut scan = Scan::default();
    // Damaged frames still waiting for the next intact one (`after`).
    let mut pending: Vec<usize> = Vec::new();
    let mut last_intact: Option<u64> = None;
    let mut buf: Vec<u8> = Vec::with_capacity(window);
    // File offset of buf[0]; where the next read starts.
    let mut base: u64 = 0;
    let mut read_at: u64 = 0;
    let mut eof = false;
    loop {
        // Fill the window.
        file.seek(SeekFrom::Start(read_at))?;
        while buf.len() < window && !eof {
            let start = buf.len();
            buf.resize(window, 0);
            let n = file.read(&mut buf[start..])?;
            buf.truncate(start + n);
            eof = n == 0;
        }
        read_at = base + buf.len() as u64;
        // Frames starting before `limit` have their whole header here;
        // the rest are found again in the next window.
        let limit = if eof {
            buf.len()
        } else {
            buf.len().saturating_sub(FRAME_HEADER_LEN)
        };
        for (o, seq, mut intact, end) in frames_in(&buf) {
            if o >= limit {
                break;
            }
            if !intact && end > buf.len() {
                // The payload runs past the window: check it on its own.
                let len = end - o - FRAME_HEADER_LEN;
                if len <= PAYLOAD_LEN_MAX {
                    let crc = u32::from_be_bytes(buf[o + 16..o + 20].try_into().unwrap_or([0; 4]));
                    let mut payload = vec![0u8; len];
                    file.seek(SeekFrom::Start(base + (o + FRAME_HEADER_LEN) as u64))?;
                    intact = match file.read_exact(&mut payload) {
                        Ok(()) => frame_crc(seq, len as u32, &payload) == crc,
                        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => false,
                        Err(e) => return Err(e),
                    };
                }
            }
            if intact {
                on_intact(seq);
                scan.good_frames += 1;
                scan.last_good_seq = scan.last_good_seq.max(seq);
                for i in pending.drain(..) {
                    scan.damaged[i].after = Some(seq);
                }
                last_intact = Some(seq);
            } else {
                pending.push(scan.damaged.len());
                scan.damaged.push(Damage {
                    offset: base as usize + o,
                    claimed_seq: seq,
                    before: last_intact,
                    after: None,
                });
            }
        }
        if eof {
            return Ok(scan);
        }
        buf.drain(..limit);
        base += limit as u64;
    }
}

/// Scan files already read.
pub fn scan_files(files: &Files) -> Scan {
    let mut total = Scan::default();
    for (_, bytes) in files {
        let s = scan_bytes(bytes);
        total.last_good_seq = total.last_good_seq.max(s.last_good_seq);
        total.good_frames += s.good_frames;
        total.damaged.extend(s.damaged);
    }
    total
}

/// The log records whose frames are intact in the files of a sled
/// directory, each once: what a rebuild of the log starts from.
#[derive(Debug, Default)]
pub struct Records {
    /// seq -> the whole frame, as stored.
    pub frames: std::collections::BTreeMap<u64, Vec<u8>>,
    /// A sequence number with two different intact frames (a number
    /// reused after a failed write): the files cannot say which is right.
    pub conflict: Option<u64>,
    /// Damaged frames seen.
    pub damaged: usize,
}

/// Collect the intact log frames of files read (`db` and `blobs/`).
pub fn records_in(files: &Files) -> Records {
    let mut out = Records::default();
    for (_, bytes) in files {
        for (o, seq, intact, end) in frames_in(bytes) {
            if !intact {
                out.damaged += 1;
                continue;
            }
            let Some(frame) = bytes.get(o..end) else {
                continue;
            };
            match out.frames.get(&seq) {
                Some(have) if have.as_slice() != frame => {
                    out.conflict = Some(out.conflict.map_or(seq, |c| c.min(seq)));
                }
                Some(_) => {}
                None => {
                    out.frames.insert(seq, frame.to_vec());
                }
            }
        }
    }
    out
}

/// Frames in raw bytes: (offset, seq, intact, end).
fn frames_in(bytes: &[u8]) -> Vec<(usize, u64, bool, usize)> {
    let mut frames = Vec::new();
    let mut i = 0;
    // "DPT", then a log frame version this depot reads.
    let finder = memchr::memmem::Finder::new(&MAGIC[..3]);
    while let Some(found) = bytes.get(i..).and_then(|b| finder.find(b)) {
        let o = i + found;
        i = o + 1;
        let Some(header) = bytes.get(o..o + FRAME_HEADER_LEN) else {
            break;
        };
        if !LOG_FRAME_VERSIONS.contains(&header[3]) {
            continue;
        }
        let seq = u64::from_be_bytes(header[4..12].try_into().unwrap_or([0; 8]));
        let len = u32::from_be_bytes(header[12..16].try_into().unwrap_or([0; 4])) as usize;
        let crc = u32::from_be_bytes(header[16..20].try_into().unwrap_or([0; 4]));
        let end = o + FRAME_HEADER_LEN + len;
        let intact = len <= PAYLOAD_LEN_MAX
            && bytes
                .get(o + FRAME_HEADER_LEN..end)
                .is_some_and(|payload| frame_crc(seq, len as u32, payload) == crc);
        frames.push((o, seq, intact, end));
    }
    frames
}

/// Scan raw bytes for frames.
pub fn scan_bytes(bytes: &[u8]) -> Scan {
    let mut scan = Scan::default();
    let frames: Vec<(usize, u64, bool)> = frames_in(bytes)
        .into_iter()
        .map(|(o, seq, intact, _)| (o, seq, intact))
        .collect();
    for (n, (o, seq, intact)) in frames.iter().enumerate() {
        if *intact {
            scan.good_frames += 1;
            scan.last_good_seq = scan.last_good_seq.max(*seq);
            continue;
        }
        let before = frames[..n].iter().rev().find(|f| f.2).map(|f| f.1);
        let after = frames[n + 1..].iter().find(|f| f.2).map(|f| f.1);
        scan.damaged.push(Damage {
            offset: *o,
            claimed_seq: *seq,
            before,
            after,
        });
    }
    scan
}

/// The checksum a frame carries.
pub fn frame_crc(seq: u64, len: u32, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&seq.to_be_bytes());
    h.update(&len.to_be_bytes());
    h.update(payload);
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes with frames (some long, some damaged, some cut short) among
    /// garbage, as sled's file holds them.
    fn file(parts: &[(u8, u64, usize, bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, (gap, seq, len, damage)) in parts.iter().enumerate() {
            out.extend(std::iter::repeat_n(b'x', *gap as usize));
            let payload: Vec<u8> = (0..*len).map(|k| (k * 7 + i) as u8).collect();
            let mut f = super::super::codec::frame(*seq, &payload);
            if *damage {
                let at = f.len() - 1;
                f[at] ^= 0x55;
            }
            out.extend(f);
        }
        out
    }

    /// The second pass names the damaged records that have an intact copy
    /// elsewhere (in another file too) and not those that have none.
    #[test]
    fn intact_among_finds_the_intact_copies_of_damaged_records() {
        let tmp = tempfile::tempdir().unwrap();
        // 5 torn here and whole in a blob; 7 torn only; 9 whole.
        std::fs::write(
            tmp.path().join("db"),
            file(&[(3, 5, 40, true), (0, 7, 10, true), (5, 9, 20, false)]),
        )
        .unwrap();
        std::fs::create_dir(tmp.path().join("blobs")).unwrap();
        std::fs::write(tmp.path().join("blobs/1"), file(&[(0, 5, 40, false)])).unwrap();
        let scan = scan_dir(tmp.path()).unwrap();
        let damaged: std::collections::BTreeSet<u64> =
            scan.damaged.iter().map(|d| d.claimed_seq).collect();
        assert_eq!(damaged, [5, 7].into());
        let intact = intact_among(tmp.path(), &damaged).unwrap();
        assert_eq!(intact, [5].into());
    }

    const SEG: u64 = 4096;

    fn header(lsn: u64) -> [u8; SEGMENT_HEADER_LEN] {
        let mut h = [0u8; SEGMENT_HEADER_LEN];
        h[4..12].copy_from_slice(&(lsn ^ 0x7FFF_FFFF_FFFF_FFFF).to_le_bytes());
        h[12..20].copy_from_slice(&(lsn ^ 0x7FFF_FFFF_FFFF_FFFF).to_le_bytes());
        let crc = crc32fast::hash(&h[4..]) ^ 0xFFFF_FFFF;
        h[0..4].copy_from_slice(&crc.to_le_bytes());
        h
    }

    /// Write segment `i` of a sled-like `db`: a header of `lsn`, then the
    /// frame of record `seq` (torn when `damage`), 30 bytes in.
    fn segment(dir: &Path, i: u64, lsn: u64, seq: u64, damage: bool) {
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("db"))
            .unwrap();
        let mut seg = vec![0u8; SEG as usize];
        seg[..SEGMENT_HEADER_LEN].copy_from_slice(&header(lsn));
        let mut frame = super::super::codec::frame(seq, b"a record of the log");
        if damage {
            let at = frame.len() - 1;
            frame[at] ^= 0x55;
        }
        seg[30..30 + frame.len()].copy_from_slice(&frame);
        f.write_all_at(&seg, i * SEG).unwrap();
    }

    fn damaged_at(scan: &Scan) -> Vec<(u64, usize)> {
        scan.damaged
            .iter()
            .map(|d| (d.claimed_seq, d.offset))
            .collect()
    }

    /// The scan at open reads what sled wrote since the last one verified
    /// (a header at or above the verified LSN, a header that fails its
    /// checksum, a blob of a later LSN) and not the rest; a record of
    /// another file, or garbage, scans everything again.
    #[test]
    fn the_scan_at_open_reads_only_what_was_written_since_it_last_verified() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        // As sled writes it: the text, then its CRC32 (not UTF-8).
        let mut conf =
            format!("segment_size: {SEG}\nuse_compression: false\nversion: 0.34\n").into_bytes();
        conf.extend([0x76, 0x51, 0xff, 0xfe]);
        std::fs::write(dir.join("conf"), conf).unwrap();
        // Segment 0 was reused last (LSN 16); record 2, in segment 2, is torn.
        for (i, lsn) in [16, 11, 12, 13, 14, 15].into_iter().enumerate() {
            segment(dir, i as u64, lsn * SEG, 10 + i as u64, i == 2);
        }
        let (first, verified) = scan_since(dir, None, 1).unwrap();
        assert_eq!(damaged_at(&first), [(12, 2 * SEG as usize + 30)]);
        assert_eq!(first.good_frames, 5);
        let v = verified.expect("headers were read");
        assert_eq!((v.lsn, v.segment_size, v.len), (15 * SEG, SEG, 6 * SEG));
        assert_eq!(Verified::decode(&v.encode()), Some(v));
        // A clean close records the same from the headers alone (with the
        // close's own margin of segments read again).
        let closed = verified_at_close(dir).unwrap().expect("headers were read");
        assert_eq!(
            (closed.inode, closed.len, closed.segment_size),
            (v.inode, v.len, v.segment_size)
        );
        assert_eq!(closed.lsn, (16 * SEG).saturating_sub(RESCAN_SEGMENTS * SEG));

        // Since then: segment 3 reused (LSN 17) and torn; segment 4's
        // header damaged; a blob older than the verified point torn and a
        // newer one torn. Segment 2's old damage is not read again.
        segment(dir, 3, 17 * SEG, 30, true);
        let mut db = std::fs::read(dir.join("db")).unwrap();
        db[4 * SEG as usize + 6] ^= 0xFF;
        std::fs::write(dir.join("db"), &db).unwrap();
        std::fs::create_dir(dir.join("blobs")).unwrap();
        let mut torn = super::super::codec::frame(40, b"a blob");
        let at = torn.len() - 1;
        torn[at] ^= 1;
        std::fs::write(dir.join("blobs").join((3 * SEG).to_string()), &torn).unwrap();
        std::fs::write(dir.join("blobs").join((18 * SEG).to_string()), &torn).unwrap();
        let (since, again) = scan_since(dir, Some(&v), 1).unwrap();
        assert_eq!(
            damaged_at(&since),
            [(30, 3 * SEG as usize + 30), (40, 0)],
            "segment 3 (reused) and the newer blob"
        );
        // Read: segments 0 (LSN 16), 3 (17, torn), 4 (no valid header), 5 (15).
        assert_eq!(since.good_frames, 3);
        assert_eq!(again.map(|a| a.lsn), Some(16 * SEG));
        assert_eq!(v.blob_floor(dir), Some(15 * SEG));
        assert!(below(
            &dir.join("blobs").join((3 * SEG).to_string()),
            v.blob_floor(dir)
        ));

        // A record of another file (or none, or garbage): everything.
        let other = Verified {
            inode: v.inode + 1,
            ..v
        };
        assert_eq!(other.blob_floor(dir), None);
        for since in [Some(&other), None] {
            let (all, _) = scan_since(dir, since, 1).unwrap();
            assert_eq!(all.damaged.len(), 4, "{since:?}: {:?}", damaged_at(&all));
        }
        // A garbled conf (an absurd segment size) is read, not a panic.
        std::fs::write(
            dir.join("conf"),
            format!("segment_size: {}\n", u64::MAX / 2),
        )
        .unwrap();
        let (all, absurd) = scan_since(dir, Some(&v), RESCAN_SEGMENTS).unwrap();
        assert_eq!(all.damaged.len(), 4, "another segment size: everything");
        assert_eq!(absurd.map(|a| a.lsn), Some(0));
        assert_eq!(Verified::decode("depot-verified 1\ninode 1\nlen x\n"), None);
        assert_eq!(Verified::decode(""), None);
    }

    proptest! {
        /// The windowed scan finds what a scan of the whole file finds,
        /// whatever the window (frames across its edges, payloads longer
        /// than it, damage at either side).
        #[test]
        fn the_windowed_scan_finds_what_the_whole_scan_finds(
            parts in prop::collection::vec((0u8..40, 0u64..50, 0usize..300, prop::bool::weighted(0.2)), 0..30),
            window in 21usize..400,
            cut in 0usize..30,
        ) {
            let mut bytes = file(&parts);
            bytes.truncate(bytes.len().saturating_sub(cut));
            let whole = scan_bytes(&bytes);
            let windowed = scan_reader(std::io::Cursor::new(&bytes), window).expect("in memory");
            prop_assert_eq!(windowed, whole);
        }
    }

    #[test]
    fn a_damaged_frame_is_named_with_its_neighbours() {
        let bytes = file(&[(3, 1, 10, false), (5, 2, 500, true), (0, 3, 10, false)]);
        let s = scan_reader(std::io::Cursor::new(&bytes), 64).expect("in memory");
        assert_eq!(s.good_frames, 2);
        assert_eq!(s.last_good_seq, 3);
        assert_eq!(s.damaged.len(), 1);
        assert_eq!(
            (
                s.damaged[0].claimed_seq,
                s.damaged[0].before,
                s.damaged[0].after
            ),
            (2, Some(1), Some(3))
        );
    }
}
