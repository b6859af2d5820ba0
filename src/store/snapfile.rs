//! Snapshots as files of their own (issue 21), `snapshots/<seq>.snap` in
//! the store's directory, written and read as streams.
//!
//! Kept in sled, a snapshot was one value of hundreds of megabytes: sled
//! holds such a value whole, and every read of the snapshots' tree (even
//! to list their numbers) pulled every kept snapshot into its page cache.
//! Reopening a year's store (1,000,000 order lines) spent 818 MB on that,
//! on top of the state it decoded (heaptrack). A file is encoded into and
//! decoded from a buffered stream: the state is the only large thing a
//! snapshot costs in memory, when it is saved, loaded or compared.
//!
//! The file: magic (`DPS` and the state version), the record it follows
//! (u64), the payload's length (u64), a CRC-32 of those two and the
//! payload, then the payload: the length of its first section (u64),
//! then two sections, each a value in bincode (the state without its
//! documents and per-item day lists, then those: see [`TwoParts`]). The two are decoded
//! on two threads at once: on two cores, a reopen waits for the larger
//! half of the state rather than the whole. Written to a `.tmp`
//! file, synced, renamed and the directory synced: a crash leaves the
//! old snapshots and at most a `.tmp` file, removed on the next open. A
//! snapshot only saves time (the log is the truth): a damaged one is
//! skipped and the state rebuilt from an older one or the log.

use super::codec::{CodecError, SNAPSHOT_MAGIC, STATE_VERSION};
use serde::{de::DeserializeOwned, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// A value kept in a snapshot as two sections decoded side by side. The
/// split must be cheap (the state's maps are shared, not copied) and
/// `join(split(v))` must be `v`.
pub trait TwoParts: Sized {
    type First: Serialize + DeserializeOwned;
    type Second: Serialize + DeserializeOwned + Send + 'static;
    fn split(&self) -> (Self::First, Self::Second);
    fn join(first: Self::First, second: Self::Second) -> Self;
}

/// Bytes of the payload before its first section: that section's length.
const SECTION_LEN: u64 = 8;

/// The directory of snapshot files, in the store's directory.
pub const SNAPSHOT_DIR: &str = "snapshots";
/// Bytes before the payload: magic, record, length, CRC.
pub const HEADER_LEN: usize = 24;
/// Buffer of the streams that write and read a snapshot.
const BUFFER_BYTES: usize = 1 << 20;
const SUFFIX: &str = ".snap";
const TMP_SUFFIX: &str = ".snap.tmp";

/// A snapshot file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SnapError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Codec(#[from] CodecError),
}

pub fn dir_of(store: &Path) -> PathBuf {
    store.join(SNAPSHOT_DIR)
}

pub fn path(store: &Path, seq: u64) -> PathBuf {
    dir_of(store).join(format!("{seq:020}{SUFFIX}"))
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> SnapError {
    move |source| SnapError::Io { what, source }
}

/// The records the snapshot files follow, ascending (none: no directory).
pub fn seqs(store: &Path) -> Result<Vec<u64>, SnapError> {
    let dir = dir_of(store);
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(format!("listing {}", dir.display()))(e)),
    };
    let mut out = Vec::new();
    for e in rd {
        let e = e.map_err(io(format!("listing {}", dir.display())))?;
        let name = e.file_name();
        let Some(seq) = name
            .to_str()
            .and_then(|n| n.strip_suffix(SUFFIX))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        out.push(seq);
    }
    out.sort_unstable();
    Ok(out)
}

/// Remove what a crash left of a snapshot being written.
pub fn remove_partial(store: &Path) -> Result<usize, SnapError> {
    let dir = dir_of(store);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Ok(0);
    };
    let mut n = 0;
    for e in rd.flatten() {
        if e.file_name()
            .to_str()
            .is_some_and(|n| n.ends_with(TMP_SUFFIX))
        {
            std::fs::remove_file(e.path()).map_err(io(format!(
                "removing the partial snapshot {}",
                e.path().display()
            )))?;
            n += 1;
        }
    }
    Ok(n)
}

pub fn remove(store: &Path, seq: u64) -> Result<(), SnapError> {
    let p = path(store, seq);
    std::fs::remove_file(&p).map_err(io(format!("removing {}", p.display())))
}

fn header(seq: u64, len: u64, crc: u32) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[0..4].copy_from_slice(&SNAPSHOT_MAGIC);
    h[4..12].copy_from_slice(&seq.to_be_bytes());
    h[12..20].copy_from_slice(&len.to_be_bytes());
    h[20..24].copy_from_slice(&crc.to_be_bytes());
    h
}

/// The CRC of a record number and length, then a payload's own CRC.
fn crc_of(seq: u64, len: u64, payload: &crc32fast::Hasher) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&seq.to_be_bytes());
    h.update(&len.to_be_bytes());
    h.combine(payload);
    h.finalize()
}

/// Write the snapshot of `value`, the state after record `seq`; a file
/// already there for `seq` is replaced.
pub fn write<T: TwoParts>(store: &Path, seq: u64, value: &T) -> Result<u64, SnapError> {
    /// The encoder writes a few bytes at a time: buffered, and hashed
    /// and written a megabyte at a time.
    struct Out {
        file: File,
        buf: Vec<u8>,
        crc: crc32fast::Hasher,
        len: u64,
        error: Option<std::io::Error>,
    }
    impl Out {
        fn flush_buf(&mut self) -> std::io::Result<()> {
            self.crc.update(&self.buf);
            self.file.write_all(&self.buf)?;
            self.buf.clear();
            Ok(())
        }
    }
    impl bincode::enc::write::Writer for Out {
        #[inline]
        fn write(&mut self, bytes: &[u8]) -> Result<(), bincode::error::EncodeError> {
            self.len += bytes.len() as u64;
            if self.buf.len() + bytes.len() <= self.buf.capacity() {
                self.buf.extend_from_slice(bytes);
                return Ok(());
            }
            let done = self.flush_buf().and_then(|()| {
                if bytes.len() >= self.buf.capacity() {
                    self.crc.update(bytes);
                    self.file.write_all(bytes)
                } else {
                    self.buf.extend_from_slice(bytes);
                    Ok(())
                }
            });
            done.map_err(|e| {
                self.error = Some(e);
                bincode::error::EncodeError::Other("cannot write the snapshot")
            })
        }
    }
    let dir = dir_of(store);
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(super::privacy::DIR_MODE)
            .create(&dir)
            .map_err(io(format!("creating {}", dir.display())))?;
    }
    let fin = path(store, seq);
    let tmp = dir.join(format!("{seq:020}{TMP_SUFFIX}"));
    let what = || format!("writing the snapshot {}", tmp.display());
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(super::privacy::FILE_MODE)
        .open(&tmp)
        .map_err(io(what()))?;
    let mut out = Out {
        file,
        buf: Vec::with_capacity(BUFFER_BYTES),
        crc: crc32fast::Hasher::new(),
        len: 0,
        error: None,
    };
    out.file
        .write_all(&[0u8; HEADER_LEN + SECTION_LEN as usize])
        .map_err(io(what()))?;
    let (first, second) = value.split();
    // Each section hashed on its own: the length that comes before the
    // first is known only once it is written.
    let mut first_crc = None;
    let encoded = bincode::serde::encode_into_writer(&first, &mut out, super::codec::config())
        .and_then(|()| {
            out.flush_buf()
                .map_err(|_| bincode::error::EncodeError::Other("cannot write the snapshot"))?;
            first_crc = Some((
                out.len,
                std::mem::replace(&mut out.crc, crc32fast::Hasher::new()),
            ));
            bincode::serde::encode_into_writer(&second, &mut out, super::codec::config())
        });
    drop((first, second));
    let Some((first_len, first_crc)) = first_crc.filter(|_| encoded.is_ok()) else {
        drop(out.file);
        let _ = std::fs::remove_file(&tmp);
        return Err(match (out.error, encoded) {
            (Some(source), _) => SnapError::Io {
                what: what(),
                source,
            },
            (None, Err(e)) => CodecError::Encode(e.to_string()).into(),
            (None, Ok(())) => CodecError::Encode("the first section was not written".into()).into(),
        });
    };
    let len = out.len + SECTION_LEN;
    let done = (|| {
        out.flush_buf()?;
        let mut payload = crc32fast::Hasher::new();
        payload.update(&first_len.to_be_bytes());
        payload.combine(&first_crc);
        payload.combine(&out.crc);
        let crc = crc_of(seq, len, &payload);
        let mut file = out.file;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header(seq, len, crc))?;
        file.write_all(&first_len.to_be_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &fin)?;
        File::open(&dir)?.sync_all()
    })();
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(what())(e));
    }
    Ok(len + HEADER_LEN as u64)
}

/// An open snapshot file whose header was checked: the payload follows.
struct Opened {
    file: File,
    len: u64,
    crc: u32,
}

fn open(store: &Path, seq: u64) -> Result<Opened, SnapError> {
    let p = path(store, seq);
    let what = || format!("reading the snapshot {}", p.display());
    let mut file = File::open(&p).map_err(io(what()))?;
    let size = file.metadata().map_err(io(what()))?.len();
    let mut h = [0u8; HEADER_LEN];
    if size < HEADER_LEN as u64 {
        return Err(CodecError::Short(size as usize).into());
    }
    file.read_exact(&mut h).map_err(io(what()))?;
    let magic: [u8; 4] = [h[0], h[1], h[2], h[3]];
    if magic != SNAPSHOT_MAGIC {
        if magic[..3] == SNAPSHOT_MAGIC[..3] && magic[3] != STATE_VERSION {
            return Err(CodecError::StateVersion(magic[3]).into());
        }
        return Err(CodecError::Magic(magic).into());
    }
    let n = |r: std::ops::Range<usize>| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[r]);
        u64::from_be_bytes(b)
    };
    let (claimed, len) = (n(4..12), n(12..20));
    let crc = u32::from_be_bytes([h[20], h[21], h[22], h[23]]);
    if claimed != seq {
        return Err(CodecError::WrongSeq {
            claimed,
            stored: seq,
        }
        .into());
    }
    let actual = size - HEADER_LEN as u64;
    if len != actual {
        return Err(CodecError::Length {
            claimed: usize::try_from(len).unwrap_or(usize::MAX),
            actual: usize::try_from(actual).unwrap_or(usize::MAX),
        }
        .into());
    }
    Ok(Opened { file, len, crc })
}

/// The payload as a stream, hashed as it is read.
/// The decoder asks for a few bytes at a time (a varint, a string):
/// served from a buffer refilled a megabyte at a time, and hashed a
/// refill at a time (a `BufReader` and a CRC update per request made
/// decoding a year's state several times slower than from memory).
struct Payload {
    file: File,
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    crc: crc32fast::Hasher,
    /// Bytes handed out.
    read: u64,
    /// Bytes of the file not read yet that belong to this stream.
    left: u64,
}

impl Payload {
    /// The next `left` bytes of `file`, from where it is.
    fn new(file: File, left: u64) -> Payload {
        Payload {
            file,
            buf: vec![0u8; BUFFER_BYTES],
            pos: 0,
            filled: 0,
            crc: crc32fast::Hasher::new(),
            read: 0,
            left,
        }
    }

    /// Read more of the file after what is buffered; false at its end.
    fn refill(&mut self) -> std::io::Result<bool> {
        self.buf.copy_within(self.pos..self.filled, 0);
        self.filled -= self.pos;
        self.pos = 0;
        let room =
            (self.buf.len() - self.filled).min(usize::try_from(self.left).unwrap_or(usize::MAX));
        loop {
            match self
                .file
                .read(&mut self.buf[self.filled..self.filled + room])
            {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.crc.update(&self.buf[self.filled..self.filled + n]);
                    self.filled += n;
                    self.left -= n as u64;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn take(&mut self, out: &mut [u8]) -> std::io::Result<()> {
        let mut done = 0;
        while done < out.len() {
            if self.pos == self.filled && !self.refill()? {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let n = (self.filled - self.pos).min(out.len() - done);
            out[done..done + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            done += n;
        }
        self.read += out.len() as u64;
        Ok(())
    }

    /// Are the next bytes of the payload `bytes`? (Consumed either way.)
    fn same(&mut self, bytes: &[u8]) -> std::io::Result<bool> {
        let mut done = 0;
        while done < bytes.len() {
            if self.pos == self.filled && !self.refill()? {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let n = (self.filled - self.pos).min(bytes.len() - done);
            if self.buf[self.pos..self.pos + n] != bytes[done..done + n] {
                return Ok(false);
            }
            self.pos += n;
            done += n;
        }
        self.read += bytes.len() as u64;
        Ok(true)
    }

    /// Hash the rest of the file (a payload that did not decode: is its
    /// checksum what is wrong?).
    fn drain(&mut self) {
        self.pos = self.filled;
        while let Ok(true) = self.refill() {
            self.pos = self.filled;
        }
    }
}

impl super::snapde::Source for Payload {
    #[inline]
    fn peek(&mut self, n: usize) -> std::io::Result<&[u8]> {
        while self.filled - self.pos < n {
            if !self.refill()? {
                break;
            }
        }
        Ok(&self.buf[self.pos..self.filled])
    }
    #[inline]
    fn consume(&mut self, n: usize) {
        self.pos += n;
        self.read += n as u64;
    }
    fn capacity(&self) -> usize {
        self.buf.len()
    }
    fn take(&mut self, out: &mut [u8]) -> std::io::Result<()> {
        Payload::take(self, out)
    }
}

fn checked(seq: u64, len: u64, stored: u32, p: &Payload) -> Result<(), CodecError> {
    let computed = crc_of(seq, len, &p.crc);
    if computed != stored {
        return Err(CodecError::Checksum { stored, computed });
    }
    Ok(())
}

/// Read the snapshot after record `seq`: the second section is decoded
/// on a thread of its own while this one decodes the first. Each is
/// decoded as it is read, with the bound `codec` puts on what a length
/// prefix may claim, and the checksum is held to the whole payload
/// before the value is returned.
pub fn read<T: TwoParts>(store: &Path, seq: u64) -> Result<T, SnapError> {
    let Opened { mut file, len, crc } = open(store, seq)?;
    let what = || format!("reading the snapshot {}", path(store, seq).display());
    let mut first_len = [0u8; SECTION_LEN as usize];
    match file.read_exact(&mut first_len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(CodecError::Short(len as usize).into())
        }
        Err(e) => return Err(io(what())(e)),
    }
    let first_len = u64::from_be_bytes(first_len);
    let Some(second_len) = len
        .checked_sub(SECTION_LEN)
        .and_then(|rest| rest.checked_sub(first_len))
    else {
        whole_crc_is(store, seq, len, crc)?;
        return Err(CodecError::Decode(format!(
            "a first section of {first_len} bytes in a payload of {len}"
        ))
        .into());
    };
    let mut second_file = File::open(path(store, seq)).map_err(io(what()))?;
    second_file
        .seek(SeekFrom::Start(HEADER_LEN as u64 + SECTION_LEN + first_len))
        .map_err(io(what()))?;
    let second = std::thread::Builder::new()
        .name("depot-snapshot-2".into())
        .spawn(move || {
            let mut p = Payload::new(second_file, second_len);
            let v = super::snapde::decode::<T::Second, _>(&mut p, second_len);
            (v, p)
        })
        .map_err(io("starting the snapshot's second reader".into()))?;
    let mut p = Payload::new(file, first_len);
    let first = super::snapde::decode::<T::First, _>(&mut p, first_len);
    // A panic in the decoder is a failed read of the file.
    let Ok((second, q)) = second.join() else {
        return Err(CodecError::Decode("the snapshot decoder failed".into()).into());
    };
    let decoded = first
        .and_then(|f| {
            if p.read != first_len {
                return Err(serde::de::Error::custom(format!(
                    "{} bytes after the first section's value",
                    first_len - p.read
                )));
            }
            Ok(f)
        })
        .and_then(|f| second.map(|s| (f, s)))
        .map_err(|e| CodecError::Decode(e.to_string()));
    let (first, second) = match decoded {
        Ok(v) => v,
        Err(e) => {
            // A damaged payload: say so by its checksum when that is
            // what is wrong (read the whole of it again to know).
            whole_crc_is(store, seq, len, crc)?;
            return Err(e.into());
        }
    };
    if q.read != second_len {
        return Err(CodecError::Decode(format!(
            "{} trailing bytes after the value",
            second_len - q.read
        ))
        .into());
    }
    let mut payload = crc32fast::Hasher::new();
    payload.update(&first_len.to_be_bytes());
    payload.combine(&p.crc);
    payload.combine(&q.crc);
    let computed = crc_of(seq, len, &payload);
    if computed != crc {
        return Err(CodecError::Checksum {
            stored: crc,
            computed,
        }
        .into());
    }
    Ok(T::join(first, second))
}

/// Is the checksum of the whole payload the one the header gives? An
/// error saying so when it is not.
fn whole_crc_is(store: &Path, seq: u64, len: u64, stored: u32) -> Result<(), SnapError> {
    let Opened { file, .. } = open(store, seq)?;
    let mut p = Payload::new(file, len);
    p.drain();
    checked(seq, len, stored, &p).map_err(Into::into)
}

/// Is the snapshot after record `seq` the encoding of `value`? Encoded
/// piece by piece against the file as it is read, never whole (`depot
/// check`), stopping at the first byte that differs; when every byte is
/// equal, the header's checksum must be right too.
pub fn matches<T: TwoParts>(store: &Path, seq: u64, value: &T) -> Result<bool, SnapError> {
    struct Against {
        p: Payload,
        left: u64,
        differs: bool,
        error: Option<std::io::Error>,
    }
    impl bincode::enc::write::Writer for Against {
        #[inline]
        fn write(&mut self, bytes: &[u8]) -> Result<(), bincode::error::EncodeError> {
            if (bytes.len() as u64) > self.left {
                self.differs = true;
                return Err(bincode::error::EncodeError::Other("differs"));
            }
            match self.p.same(bytes) {
                Ok(true) => {
                    self.left -= bytes.len() as u64;
                    Ok(())
                }
                Ok(false) => {
                    self.differs = true;
                    Err(bincode::error::EncodeError::Other("differs"))
                }
                Err(e) => {
                    self.error = Some(e);
                    Err(bincode::error::EncodeError::Other("cannot read"))
                }
            }
        }
    }
    let Opened { file, len, crc } = open(store, seq)?;
    let mut w = Against {
        p: Payload::new(file, len),
        left: len,
        differs: false,
        error: None,
    };
    let (first, second) = value.split();
    // The first section's length as the file gives it, then each section
    // against the file: the first must end exactly there.
    let mut first_len = [0u8; SECTION_LEN as usize];
    let encoded = match w.p.take(&mut first_len) {
        Ok(()) if len >= SECTION_LEN => {
            w.left -= SECTION_LEN;
            let end = w.left.checked_sub(u64::from_be_bytes(first_len));
            bincode::serde::encode_into_writer(&first, &mut w, super::codec::config()).and_then(
                |()| {
                    if Some(w.left) != end {
                        w.differs = true;
                        return Err(bincode::error::EncodeError::Other("differs"));
                    }
                    bincode::serde::encode_into_writer(&second, &mut w, super::codec::config())
                },
            )
        }
        Ok(()) => {
            w.differs = true;
            Err(bincode::error::EncodeError::Other("differs"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            w.differs = true;
            Err(bincode::error::EncodeError::Other("differs"))
        }
        Err(e) => {
            w.error = Some(e);
            Err(bincode::error::EncodeError::Other("cannot read"))
        }
    };
    match encoded {
        Ok(()) if w.left == 0 => {
            checked(seq, len, crc, &w.p)?;
            Ok(true)
        }
        Ok(()) => Ok(false),
        Err(_) if w.differs => Ok(false),
        Err(e) => match w.error {
            Some(source) => Err(SnapError::Io {
                what: format!("reading the snapshot {}", path(store, seq).display()),
                source,
            }),
            None => Err(CodecError::Encode(e.to_string()).into()),
        },
    }
}

/// The file's bytes (tests that damage a snapshot on purpose).
pub fn read_raw(store: &Path, seq: u64) -> Result<Option<Vec<u8>>, SnapError> {
    let p = path(store, seq);
    match std::fs::read(&p) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(format!("reading {}", p.display()))(e)),
    }
}

/// Replace the file's bytes (tests that damage a snapshot on purpose).
pub fn write_raw(store: &Path, seq: u64, bytes: &[u8]) -> Result<(), SnapError> {
    let p = path(store, seq);
    std::fs::write(&p, bytes).map_err(io(format!("writing {}", p.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value() -> (String, Vec<u64>, u8) {
        ("state".into(), (0..50_000).collect(), 7)
    }

    impl TwoParts for (String, Vec<u64>, u8) {
        type First = (String, u8);
        type Second = Vec<u64>;
        fn split(&self) -> (Self::First, Self::Second) {
            ((self.0.clone(), self.2), self.1.clone())
        }
        fn join(first: Self::First, second: Self::Second) -> Self {
            (first.0, second, first.1)
        }
    }

    #[test]
    fn round_trip_match_and_every_kind_of_damage_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let v = value();
        write(dir.path(), 42, &v).unwrap();
        assert_eq!(seqs(dir.path()).unwrap(), [42]);
        assert_eq!(read::<(String, Vec<u64>, u8)>(dir.path(), 42).unwrap(), v);
        assert!(matches(dir.path(), 42, &v).unwrap());
        let mut other = v.clone();
        other.1[49_999] = 1;
        assert!(!matches(dir.path(), 42, &other).unwrap());
        assert!(!matches(dir.path(), 42, &("state".to_string(), vec![1u64], 7u8)).unwrap());
        let good = read_raw(dir.path(), 42).unwrap().unwrap();
        // Every byte flipped (a sample across the file) is found: by the
        // magic, the record, the length or the checksum.
        for i in (0..good.len()).step_by(997).chain(0..HEADER_LEN) {
            let mut bad = good.clone();
            bad[i] ^= 0x10;
            write_raw(dir.path(), 42, &bad).unwrap();
            assert!(
                read::<(String, Vec<u64>, u8)>(dir.path(), 42).is_err(),
                "flip at {i} read as good"
            );
            assert!(
                !matches!(matches(dir.path(), 42, &v), Ok(true)),
                "flip at {i} matched"
            );
        }
        // Cut short.
        write_raw(dir.path(), 42, &good[..good.len() - 5]).unwrap();
        assert!(matches!(
            read::<(String, Vec<u64>, u8)>(dir.path(), 42),
            Err(SnapError::Codec(CodecError::Length { .. }))
        ));
        // Another state version: said as such.
        let mut old = good.clone();
        old[3] = STATE_VERSION - 1;
        write_raw(dir.path(), 42, &old).unwrap();
        assert!(matches!(
            read::<(String, Vec<u64>, u8)>(dir.path(), 42),
            Err(SnapError::Codec(CodecError::StateVersion(_)))
        ));
        // Under another record's name.
        write_raw(dir.path(), 42, &good).unwrap();
        std::fs::rename(path(dir.path(), 42), path(dir.path(), 43)).unwrap();
        assert!(matches!(
            read::<(String, Vec<u64>, u8)>(dir.path(), 43),
            Err(SnapError::Codec(CodecError::WrongSeq { .. }))
        ));
    }

    #[test]
    fn a_partial_file_is_not_a_snapshot_and_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 1, &value()).unwrap();
        std::fs::write(
            dir_of(dir.path()).join(format!("{:020}{TMP_SUFFIX}", 2)),
            b"DPS",
        )
        .unwrap();
        assert_eq!(seqs(dir.path()).unwrap(), [1]);
        assert_eq!(remove_partial(dir.path()).unwrap(), 1);
        assert_eq!(std::fs::read_dir(dir_of(dir.path())).unwrap().count(), 1);
    }
}
