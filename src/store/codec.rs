//! The record frame: every value we put into sled is framed and
//! checksummed, so that a damaged byte is found and named by its sequence
//! number, whether sled reads it back or `forensic` finds it in the raw file.
//!
//! Frame: MAGIC ("DPT" + format version), seq (u64 BE), payload length
//! (u32 BE), CRC32 over seq || length || payload, payload (bincode).

use super::forensic::frame_crc;
use crate::core::event::{Envelope, EnvelopeV1};
use serde::{de::DeserializeOwned, Serialize};

/// "DPT" and the frame format version of log records: 2 since store
/// format 5 (the envelope carries a SHA-256 key digest).
pub const MAGIC: [u8; 4] = *b"DPT\x02";
/// Log frames of store formats up to 4: an [`EnvelopeV1`] inside (CRC32
/// key digest). Still read; never written.
pub const MAGIC_V1: [u8; 4] = *b"DPT\x01";
/// Frame format versions of log records this depot reads.
pub const LOG_FRAME_VERSIONS: [u8; 2] = [1, 2];
/// Version of the in-memory `State` as snapshots encode it. Bump it when
/// `State` (or anything it holds that the log does not) changes shape:
/// snapshots of another version are skipped and the state is rebuilt from
/// the log, so a state change needs no migration (the log's types do; see
/// `store::FORMAT_VERSION`). 8: printers, default printers, document
/// profiles and print histories (issue 17). 9: each order's history (the
/// log records that touched it, for the order inquiry), the reasons of
/// short picks, and time zones of entities and warehouses (issue 16).
/// 10: the exception queue, the short picks acknowledged from it and the
/// identities tied to a person (issue 20); an older store's snapshot is
/// skipped and the replay raises the exceptions of its holds.
/// 11: debit memos, supplier debit notes and refunds, and suppliers'
/// debit balances (issue 16); will-call deposits earmarked for their
/// orders (issue 14). 12: data-quality rules and the duplicate-name
/// index their findings read (issue 20); an older store's snapshot is
/// skipped and the replay raises no finding (it set no rules); and
/// disputes resolved (written off or reinstated, with their dates),
/// the date each customer's credit on account has stood since, and the
/// exception routing rules (issue 20). 13: bank reconciliations marked
/// done, who recorded each dispute, channel policies, customers'
/// overrides of them, what decided each order's policies, and confirmed
/// deliveries (issue 20). 14: the KPIs kept by `apply` (issue 23); an
/// older store's snapshot is skipped and the replay rebuilds them.
/// 15: the numbers of archived orders and invoices (issue 21), and
/// what was said about the exceptions computed on the clock (issue 20).
/// 16: an archived order's KPI track and its invoices' dispute marks
/// leave the state with it (issue 21): a store archived before replays
/// to fewer of them, so its snapshots are skipped. 17: the cleared
/// exceptions about archived documents leave the state with them, and
/// the numbers of archived orders and invoices are kept as runs. 18: an
/// item's cost pool movements by day are one list per item, and a
/// snapshot file holds the state in two sections (`snapfile`). 19: the
/// bank lines of reconciled periods and the book items they cleared
/// leave the state when archived, and how far each entity's were. 20:
/// what archived invoices and receipts moved on their customers'
/// statements, by day (`State::archived_statement`), and what they sold
/// for the margin report. 21: the by-day summaries (KPI accumulators,
/// archived sales and statements, cost pool days, weekly demand) hold
/// their dates and decimals packed (`core::packed`), and the cost pool
/// days and weekly demand move to the snapshot's second section. 22:
/// archived statements and sales are kept as totals (per customer, per
/// customer and per item), not by day: the days are in the archive
/// tree's index, read for a report as of an earlier day. 23: a credit
/// check counts open orders and shipments with their tax (as the open AR
/// it adds them to), so a credit hold's exception names an exposure a
/// replay by an older depot does not: older snapshots are skipped. 24:
/// bin positions a picker found empty are kept from picking and
/// promising until counted (`State::pick_blocked`). 25: money on an
/// order (a line's value, what the credit check counts, a hold's amount)
/// rounds half away from zero as its invoice does, not half to even, so a
/// replay by an older depot holds a cent less on a line at a half cent:
/// older snapshots are skipped. 26: money on an order, a PO line and a
/// customer's hold ceiling rounds to its currency's minor unit (yen,
/// fils), not to two decimals whatever the currency, as its invoice does.
pub const STATE_VERSION: u8 = 26;
/// Snapshots carry their own magic, so a raw scan for log records never
/// mistakes a (recoverable) damaged snapshot for a lost record; its last
/// byte is the state version.
pub const SNAPSHOT_MAGIC: [u8; 4] = [b'D', b'P', b'S', STATE_VERSION];
/// Archived documents (issue 21) carry their own magic too (not "DPT":
/// the raw scan must never take one for a log record); the sequence
/// number in their frame is the record that archived them.
pub const ARCHIVE_MAGIC: [u8; 4] = *b"DPA\x01";
/// Bytes before the payload.
pub const FRAME_HEADER_LEN: usize = 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodecError {
    #[error("frame too short ({0} bytes)")]
    Short(usize),
    #[error("unknown frame format (magic {0:02x?})")]
    Magic([u8; 4]),
    #[error(
        "a snapshot of state version {0} (this depot's is {STATE_VERSION}): \
         the state is rebuilt from the log"
    )]
    StateVersion(u8),
    #[error("frame claims record {claimed} but is stored as record {stored}")]
    WrongSeq { claimed: u64, stored: u64 },
    #[error("payload length {claimed} does not match the {actual} bytes stored")]
    Length { claimed: usize, actual: usize },
    #[error("checksum mismatch (stored {stored:08x}, computed {computed:08x})")]
    Checksum { stored: u32, computed: u32 },
    #[error("payload does not decode: {0}")]
    Decode(String),
    #[error("cannot encode: {0}")]
    Encode(String),
}

pub(super) fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Encode `value` as the frame of record `seq`.
pub fn encode<T: Serialize>(seq: u64, value: &T) -> Result<Vec<u8>, CodecError> {
    encode_as(MAGIC, seq, value)
}

/// Encode a snapshot (the state after record `seq`).
pub fn encode_snapshot<T: Serialize>(seq: u64, value: &T) -> Result<Vec<u8>, CodecError> {
    encode_as(SNAPSHOT_MAGIC, seq, value)
}

/// Encode an archived document (archived by record `seq`).
pub fn encode_archived<T: Serialize>(seq: u64, value: &T) -> Result<Vec<u8>, CodecError> {
    encode_as(ARCHIVE_MAGIC, seq, value)
}

/// Check and decode an archived document's frame: (record that archived
/// it, document).
pub fn decode_archived<T: DeserializeOwned>(bytes: &[u8]) -> Result<(u64, T), CodecError> {
    let seq = archived_seq(bytes).ok_or(CodecError::Short(bytes.len()))?;
    Ok((seq, decode_payload(unframe_as(ARCHIVE_MAGIC, seq, bytes)?)?))
}

/// Check an archived document's frame as `decode_archived` does, and
/// decode only the value `T` its payload begins with (the first fields of
/// the document), leaving the rest undecoded.
pub fn decode_archived_head<T: DeserializeOwned>(bytes: &[u8]) -> Result<(u64, T), CodecError> {
    let seq = archived_seq(bytes).ok_or(CodecError::Short(bytes.len()))?;
    let payload = unframe_as(ARCHIVE_MAGIC, seq, bytes)?;
    let (value, _) =
        decode_limited::<T, { 1 << 16 }>(payload).map_err(|e| CodecError::Decode(e.to_string()))?;
    Ok((seq, value))
}

/// The record that archived the document framed in `bytes`.
pub fn archived_seq(bytes: &[u8]) -> Option<u64> {
    let b: [u8; 8] = bytes.get(4..12)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}

/// Room a record's payload usually fits in (they average about 240
/// bytes): the buffer seldom grows while it is written.
const PAYLOAD_ROOM: usize = 512;

/// The same bytes as `frame_as(magic, seq, &encode_to_vec(value))`, in
/// one buffer: the payload is written after room for the header, which is
/// filled in last, where encoding used to grow a vector from empty and
/// then copy it into the frame (the writer's share in encoding went from
/// 8.7 % to 7.0 % of its samples under 64 submitters, session 29).
fn encode_as<T: Serialize>(magic: [u8; 4], seq: u64, value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(FRAME_HEADER_LEN + PAYLOAD_ROOM);
    out.resize(FRAME_HEADER_LEN, 0);
    bincode::serde::encode_into_std_write(value, &mut out, config())
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    let payload = out.len() - FRAME_HEADER_LEN;
    let len = u32::try_from(payload)
        .map_err(|_| CodecError::Encode(format!("a payload of {payload} bytes")))?;
    let crc = frame_crc(seq, len, &out[FRAME_HEADER_LEN..]);
    out[..4].copy_from_slice(&magic);
    out[4..12].copy_from_slice(&seq.to_be_bytes());
    out[12..16].copy_from_slice(&len.to_be_bytes());
    out[16..20].copy_from_slice(&crc.to_be_bytes());
    Ok(out)
}

/// Frame an already encoded log payload.
pub fn frame(seq: u64, payload: &[u8]) -> Vec<u8> {
    frame_as(MAGIC, seq, payload)
}

fn frame_as(magic: [u8; 4], seq: u64, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = Vec::with_capacity(FRAME_HEADER_LEN + payload.len());
    out.extend_from_slice(&magic);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&frame_crc(seq, len, payload).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Check the frame of log record `seq` (any version this depot reads) and
/// return its payload.
pub fn unframe(seq: u64, bytes: &[u8]) -> Result<&[u8], CodecError> {
    unframe_log(seq, bytes).map(|(_, payload)| payload)
}

/// Check a log frame of any readable version: (version, payload).
fn unframe_log(seq: u64, bytes: &[u8]) -> Result<(u8, &[u8]), CodecError> {
    let magic = match bytes.get(..4) {
        Some(m) if m == MAGIC_V1 => MAGIC_V1,
        _ => MAGIC,
    };
    unframe_as(magic, seq, bytes).map(|payload| (magic[3], payload))
}

/// Check and decode log record `seq`, whichever frame version wrote it.
pub fn decode_envelope(seq: u64, bytes: &[u8]) -> Result<Envelope, CodecError> {
    match unframe_log(seq, bytes)? {
        (1, payload) => decode_payload::<EnvelopeV1>(payload).map(Envelope::from),
        (_, payload) => decode_payload::<Envelope>(payload),
    }
}

fn unframe_as(expected: [u8; 4], seq: u64, bytes: &[u8]) -> Result<&[u8], CodecError> {
    let header = bytes
        .get(..FRAME_HEADER_LEN)
        .ok_or(CodecError::Short(bytes.len()))?;
    let mut magic = [0u8; 4];
    magic.copy_from_slice(&header[0..4]);
    if magic != expected {
        if expected == SNAPSHOT_MAGIC && magic[..3] == SNAPSHOT_MAGIC[..3] {
            return Err(CodecError::StateVersion(magic[3]));
        }
        return Err(CodecError::Magic(magic));
    }
    let mut b8 = [0u8; 8];
    b8.copy_from_slice(&header[4..12]);
    let claimed = u64::from_be_bytes(b8);
    let mut b4 = [0u8; 4];
    b4.copy_from_slice(&header[12..16]);
    let len = u32::from_be_bytes(b4);
    b4.copy_from_slice(&header[16..20]);
    let stored = u32::from_be_bytes(b4);
    let payload = &bytes[FRAME_HEADER_LEN..];
    if payload.len() != len as usize {
        return Err(CodecError::Length {
            claimed: len as usize,
            actual: payload.len(),
        });
    }
    let computed = frame_crc(claimed, len, payload);
    if computed != stored {
        return Err(CodecError::Checksum { stored, computed });
    }
    if claimed != seq {
        return Err(CodecError::WrongSeq {
            claimed,
            stored: seq,
        });
    }
    Ok(payload)
}

/// Check and decode the frame of record `seq` (current frame version; log
/// records are read with [`decode_envelope`]).
pub fn decode<T: DeserializeOwned>(seq: u64, bytes: &[u8]) -> Result<T, CodecError> {
    decode_payload(unframe_as(MAGIC, seq, bytes)?)
}

/// Check and decode a snapshot frame.
pub fn decode_snapshot<T: DeserializeOwned>(seq: u64, bytes: &[u8]) -> Result<T, CodecError> {
    decode_payload(unframe_as(SNAPSHOT_MAGIC, seq, bytes)?)
}

/// Is the snapshot frame `bytes` (after record `seq`) the encoding of
/// `value`? The value is encoded piece by piece against the stored bytes,
/// never whole: comparing a state with its snapshot costs no second copy
/// of either (`depot check` on a large store). The frame is checked first.
pub fn snapshot_encodes<T: Serialize>(
    seq: u64,
    bytes: &[u8],
    value: &T,
) -> Result<bool, CodecError> {
    struct Against<'a> {
        rest: &'a [u8],
        differs: bool,
    }
    impl bincode::enc::write::Writer for Against<'_> {
        fn write(&mut self, bytes: &[u8]) -> Result<(), bincode::error::EncodeError> {
            match self.rest.strip_prefix(bytes) {
                Some(rest) => {
                    self.rest = rest;
                    Ok(())
                }
                None => {
                    // Stop encoding at the first byte that differs.
                    self.differs = true;
                    Err(bincode::error::EncodeError::Other("differs"))
                }
            }
        }
    }
    let payload = unframe_as(SNAPSHOT_MAGIC, seq, bytes)?;
    let mut w = Against {
        rest: payload,
        differs: false,
    };
    match bincode::serde::encode_into_writer(value, &mut w, config()) {
        Ok(()) => Ok(w.rest.is_empty()),
        Err(_) if w.differs => Ok(false),
        Err(e) => Err(CodecError::Encode(e.to_string())),
    }
}

/// Decode with a bound on what the payload may claim: a damaged or hostile
/// length prefix (a string of 3 EB) is a decode error, never an allocation
/// that aborts the process (found by fuzzing the record decoder). Decoded
/// values never need more than a small multiple of their encoded size, so
/// the bound is the first tier at least 16 times the payload.
fn decode_limited<T: DeserializeOwned, const N: usize>(
    payload: &[u8],
) -> Result<(T, usize), bincode::error::DecodeError> {
    bincode::serde::decode_from_slice(payload, config().with_limit::<N>())
}

fn decode_payload<T: DeserializeOwned>(payload: &[u8]) -> Result<T, CodecError> {
    const KIB: usize = 1 << 10;
    const MIB: usize = 1 << 20;
    const GIB: usize = 1 << 30;
    let need = payload.len().saturating_mul(16);
    let decoded = if need <= 64 * KIB {
        decode_limited::<T, { 64 * KIB }>(payload)
    } else if need <= 16 * MIB {
        decode_limited::<T, { 16 * MIB }>(payload)
    } else if need <= GIB {
        decode_limited::<T, GIB>(payload)
    } else {
        decode_limited::<T, { 64 * GIB }>(payload)
    };
    let (value, used) = decoded.map_err(|e| CodecError::Decode(e.to_string()))?;
    if used != payload.len() {
        return Err(CodecError::Decode(format!(
            "{} trailing bytes after the value",
            payload.len() - used
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_length_prefix_is_a_decode_error_not_an_allocation() {
        // A string claiming 2^60 bytes (varint: 253 then a u64), inside a
        // frame with a valid checksum: found by fuzzing, it used to abort
        // the process trying to allocate it.
        let mut payload = vec![253u8];
        payload.extend_from_slice(&(1u64 << 60).to_le_bytes());
        payload.extend_from_slice(b"abc");
        let framed = frame(3, &payload);
        match decode::<String>(3, &framed) {
            Err(CodecError::Decode(_)) => {}
            other => panic!("expected a decode error, got {other:?}"),
        }
        match decode::<Vec<String>>(3, &framed) {
            Err(CodecError::Decode(_)) => {}
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn a_record_is_encoded_into_the_same_bytes_as_framed_after_encoding() {
        let small = ("hello".to_string(), 42u64, vec![1u8, 2, 3]);
        // Past the room set aside, so the buffer grows while written.
        let large = ("x".repeat(3 * PAYLOAD_ROOM), 7u64, vec![9u8; PAYLOAD_ROOM]);
        for (magic, seq, bytes, value) in [
            (MAGIC, 7, encode(7, &small).unwrap(), &small),
            (
                SNAPSHOT_MAGIC,
                8,
                encode_snapshot(8, &large).unwrap(),
                &large,
            ),
            (
                ARCHIVE_MAGIC,
                9,
                encode_archived(9, &small).unwrap(),
                &small,
            ),
        ] {
            let payload = bincode::serde::encode_to_vec(value, config()).unwrap();
            assert_eq!(bytes, frame_as(magic, seq, &payload));
        }
    }

    #[test]
    fn round_trip_and_every_flipped_byte_is_detected() {
        let value = ("hello".to_string(), 42u64, vec![1u8, 2, 3]);
        let bytes = encode(7, &value).unwrap();
        assert_eq!(decode::<(String, u64, Vec<u8>)>(7, &bytes).unwrap(), value);
        assert!(matches!(
            decode::<(String, u64, Vec<u8>)>(8, &bytes),
            Err(CodecError::WrongSeq { .. })
        ));
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(
                decode::<(String, u64, Vec<u8>)>(7, &bad).is_err(),
                "flip at {i} went unnoticed"
            );
        }
        assert!(decode::<u64>(1, &bytes[..10]).is_err());
    }

    #[test]
    fn log_frames_of_version_1_still_decode_with_their_crc32_digest() {
        use crate::core::event::{KeyDigest, Outcome};
        let v1 = EnvelopeV1 {
            seq: 9,
            time: chrono::DateTime::<chrono::Utc>::default(),
            operator: "ADMIN".into(),
            session: "exec".into(),
            key: Some("k".into()),
            digest: 0xdead_beef,
            command: "create_item".into(),
            outcome: Outcome::Committed(vec![]),
        };
        let bytes = encode_as(MAGIC_V1, 9, &v1).unwrap();
        let env = decode_envelope(9, &bytes).unwrap();
        assert_eq!(env.digest, KeyDigest::Crc32(0xdead_beef));
        assert_eq!(env.operator, "ADMIN");
        let unkeyed = EnvelopeV1 {
            key: None,
            digest: 0,
            ..v1.clone()
        };
        let bytes = encode_as(MAGIC_V1, 9, &unkeyed).unwrap();
        assert_eq!(decode_envelope(9, &bytes).unwrap().digest, KeyDigest::None);
        // What this depot writes is version 2 and reads back the same.
        let bytes = encode(9, &env).unwrap();
        assert_eq!(bytes[..4], MAGIC);
        assert_eq!(decode_envelope(9, &bytes).unwrap(), env);
        // A version-1 frame is no version-2 record and vice versa.
        assert!(decode::<Envelope>(9, &encode_as(MAGIC_V1, 9, &v1).unwrap()).is_err());
    }

    #[test]
    fn a_snapshot_is_compared_with_a_value_without_encoding_it_whole() {
        let value = ("hello".to_string(), vec![1u64, 2, 3]);
        let bytes = encode_snapshot(5, &value).unwrap();
        assert_eq!(snapshot_encodes(5, &bytes, &value), Ok(true));
        let other = ("hello".to_string(), vec![1u64, 2, 4]);
        assert_eq!(snapshot_encodes(5, &bytes, &other), Ok(false));
        let longer = ("hello".to_string(), vec![1u64, 2, 3, 4]);
        assert_eq!(snapshot_encodes(5, &bytes, &longer), Ok(false));
        let shorter = ("hello".to_string(), vec![1u64, 2]);
        assert_eq!(snapshot_encodes(5, &bytes, &shorter), Ok(false));
        let mut bad = bytes.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(matches!(
            snapshot_encodes(5, &bad, &value),
            Err(CodecError::Checksum { .. })
        ));
    }

    #[test]
    fn a_snapshot_of_another_state_version_is_named_as_such() {
        let mut bytes = encode_snapshot(3, &42u64).unwrap();
        assert_eq!(decode_snapshot::<u64>(3, &bytes).unwrap(), 42);
        bytes[3] = STATE_VERSION - 1;
        assert_eq!(
            decode_snapshot::<u64>(3, &bytes),
            Err(CodecError::StateVersion(STATE_VERSION - 1))
        );
        // A log frame is no snapshot, whatever its version.
        let log = encode(3, &42u64).unwrap();
        assert!(matches!(
            decode_snapshot::<u64>(3, &log),
            Err(CodecError::Magic(_))
        ));
    }
}
