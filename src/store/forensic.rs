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
