//! `Code`: the string type of every code in the state (SKU, customer,
//! warehouse, bin, account, document number...).
//!
//! Sixteen bytes: up to 15 bytes in line (the bytes, zero-padded, and
//! the length), a longer code on the heap, shared by its copies. Most of
//! the state's maps are keyed by codes or tuples of them (`(entity,
//! period, account)`), so a lookup is mostly comparisons of codes: two
//! in-line codes compare as three integers read straight from the bytes
//! (`Inline::words`), not by a call to `memcmp` over slices. The size
//! of a code is the size of those nodes: a `compact_str` code was 24
//! bytes, which made an `(entity, period, account)` key 72 bytes where it
//! is 48. Codes are short (`US01`, `2026-11`, `SO-000017`, at most 32
//! characters by `code_problem`), so nearly all are in line.
//!
//! The order is `str`'s (byte-wise, then the shorter first), which the
//! snapshots' key order relies on, and tests hold it to `str`'s. A map
//! keyed by codes is looked up by a `Code` (`"US01".to_code()`), not a
//! `&str`: `Code` does not lend itself as a `str` to a map, since each
//! comparison would then check the bytes as UTF-8. The encoding is the
//! same string.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// Up to 15 bytes in line.
const INLINE: usize = 15;

#[derive(Clone, Default)]
pub struct Code(Repr);

#[derive(Clone)]
enum Repr {
    /// The bytes, zero-padded, then the length.
    Inline(Inline),
    /// A longer code, shared by its copies (one pointer, so that the
    /// length byte of `Inline` is left for the variant).
    Heap(Arc<Box<str>>),
}

impl Default for Repr {
    fn default() -> Repr {
        Repr::Inline(Inline {
            b: [0; INLINE],
            len: Len::L0,
        })
    }
}

/// An inline code: its bytes, zero after the end, then its length. Read
/// as words (`words`), two inline codes order as their strings do: the
/// first differing byte decides, and when one is the other with bytes to
/// come, the padding zero is under any byte of the longer or (NUL bytes)
/// the length is.
#[derive(Clone, Copy)]
#[repr(C, align(8))]
struct Inline {
    b: [u8; INLINE],
    len: Len,
}

/// 0 to 15: the other values of the byte tell a `Heap` code.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Len {
    L0,
    L1,
    L2,
    L3,
    L4,
    L5,
    L6,
    L7,
    L8,
    L9,
    L10,
    L11,
    L12,
    L13,
    L14,
    L15,
}

const LENS: [Len; 16] = [
    Len::L0,
    Len::L1,
    Len::L2,
    Len::L3,
    Len::L4,
    Len::L5,
    Len::L6,
    Len::L7,
    Len::L8,
    Len::L9,
    Len::L10,
    Len::L11,
    Len::L12,
    Len::L13,
    Len::L14,
    Len::L15,
];

impl Inline {
    /// Bytes 0-7 and 7-14 as big-endian words, then the length: each
    /// word one load from the array. Two inline codes order as these do
    /// (when the first words are equal, byte 7 is, so the second decides
    /// on bytes 8-14), and are equal when these are.
    #[inline]
    fn words(&self) -> (u64, u64, u8) {
        let (hi, lo) = (self.b.first_chunk::<8>(), self.b.last_chunk::<8>());
        (
            hi.map_or(0, |w| u64::from_be_bytes(*w)),
            lo.map_or(0, |w| u64::from_be_bytes(*w)),
            self.len as u8,
        )
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        &self.b[..self.len as usize]
    }
}

impl Code {
    pub fn new(s: impl AsRef<str>) -> Code {
        Code::from(s.as_ref())
    }

    /// A code to be built by `push` and `push_str` (the capacity is a
    /// hint: up to 15 bytes are in line anyway).
    pub fn with_capacity(_n: usize) -> Code {
        Code::default()
    }

    pub fn push(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.push_str(c.encode_utf8(&mut buf))
    }

    pub fn push_str(&mut self, s: &str) {
        if let Repr::Inline(i) = &mut self.0 {
            let at = i.len as usize;
            if at + s.len() <= INLINE {
                i.b[at..at + s.len()].copy_from_slice(s.as_bytes());
                i.len = LENS[at + s.len()];
                return;
            }
        }
        let mut whole = String::with_capacity(self.len() + s.len());
        whole.push_str(self.as_str());
        whole.push_str(s);
        *self = Code::from(whole.as_str());
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline(i) => i.bytes(),
            Repr::Heap(h) => h.as_bytes(),
        }
    }

    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Made from a `str` and cut only at its end: always UTF-8.
            Repr::Inline(i) => std::str::from_utf8(i.bytes()).unwrap_or_default(),
            Repr::Heap(h) => h,
        }
    }

    /// A document number, `PREFIX-000042`: what `format!("{prefix}-{n:06}")`
    /// writes (at least six digits, more when `n` needs them), without the
    /// formatting machinery and the `String` it allocates. Every command
    /// that makes a document numbers one.
    pub fn numbered(prefix: &str, n: u64) -> Code {
        let mut digits = [b'0'; 20];
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let digits = &digits[at.min(digits.len() - 6)..];
        let len = prefix.len() + 1 + digits.len();
        if len <= INLINE {
            // A `str` and ASCII: UTF-8, as `as_str` reads it.
            let mut b = [0u8; INLINE];
            b[..prefix.len()].copy_from_slice(prefix.as_bytes());
            b[prefix.len()] = b'-';
            b[prefix.len() + 1..len].copy_from_slice(digits);
            return Code(Repr::Inline(Inline { b, len: LENS[len] }));
        }
        let mut s = String::with_capacity(len);
        s.push_str(prefix);
        s.push('-');
        s.extend(digits.iter().map(|d| char::from(*d)));
        Code::from(s)
    }
}

impl Ord for Code {
    #[inline]
    fn cmp(&self, other: &Code) -> Ordering {
        match (&self.0, &other.0) {
            (Repr::Inline(a), Repr::Inline(b)) => a.words().cmp(&b.words()),
            _ => self.as_bytes().cmp(other.as_bytes()),
        }
    }
}

impl PartialOrd for Code {
    #[inline]
    fn partial_cmp(&self, other: &Code) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// As `str` hashes (its bytes, then 0xff: `Hasher::write_str`). Equal
/// codes have equal bytes, so they hash alike whichever way they are held.
impl Hash for Code {
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write(self.as_bytes());
        h.write_u8(0xff);
    }
}

impl Deref for Code {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Code;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a code (a string)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Code, E> {
                Ok(Code::from(v))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Code, E> {
                Ok(Code::from(v))
            }
        }
        d.deserialize_str(Visit)
    }
}

impl From<&str> for Code {
    #[inline]
    fn from(s: &str) -> Code {
        if s.len() <= INLINE {
            let mut b = [0u8; INLINE];
            b[..s.len()].copy_from_slice(s.as_bytes());
            Code(Repr::Inline(Inline {
                b,
                len: LENS[s.len()],
            }))
        } else {
            Code(Repr::Heap(Arc::new(Box::from(s))))
        }
    }
}

impl From<&String> for Code {
    fn from(s: &String) -> Code {
        Code::from(s.as_str())
    }
}

impl From<String> for Code {
    fn from(s: String) -> Code {
        if s.len() <= INLINE {
            Code::from(s.as_str())
        } else {
            Code(Repr::Heap(Arc::new(s.into_boxed_str())))
        }
    }
}

impl From<&Code> for Code {
    fn from(s: &Code) -> Code {
        s.clone()
    }
}

impl From<Code> for String {
    fn from(c: Code) -> String {
        c.as_str().to_owned()
    }
}

impl std::str::FromStr for Code {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Code, Self::Err> {
        Ok(Code::from(s))
    }
}

/// Equal to a code of the same bytes (two in-line codes by their words).
impl PartialEq for Code {
    #[inline]
    fn eq(&self, other: &Code) -> bool {
        match (&self.0, &other.0) {
            (Repr::Inline(a), Repr::Inline(b)) => a.words() == b.words(),
            _ => self.as_bytes() == other.as_bytes(),
        }
    }
}

impl Eq for Code {}

impl PartialEq<&Code> for Code {
    #[inline]
    fn eq(&self, other: &&Code) -> bool {
        self == *other
    }
}

impl PartialEq<Code> for &Code {
    #[inline]
    fn eq(&self, other: &Code) -> bool {
        *self == other
    }
}

/// Equal to any text of the same bytes, both ways round (`code == "US01"`,
/// `"US01" == code`, `code == &string`).
macro_rules! equal_to_text {
    ($($text:ty),*) => {$(
        impl PartialEq<$text> for Code {
            #[inline]
            fn eq(&self, other: &$text) -> bool {
                self.as_bytes() == other.as_bytes()
            }
        }

        impl PartialEq<Code> for $text {
            #[inline]
            fn eq(&self, other: &Code) -> bool {
                self.as_bytes() == other.as_bytes()
            }
        }
    )*};
}

equal_to_text!(str, &str, String, &String);

impl<'a> From<Code> for std::borrow::Cow<'a, str> {
    fn from(c: Code) -> Self {
        std::borrow::Cow::Owned(c.into())
    }
}

/// Codes joined by a separator, as `[&str]::join` joins strings.
pub trait Joined {
    fn joined(&self, sep: &str) -> String;
}

impl Joined for [Code] {
    fn joined(&self, sep: &str) -> String {
        let mut out = String::new();
        for (i, c) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            out.push_str(c.as_str());
        }
        out
    }
}

// A code is 16 bytes: the size the maps' nodes are planned on.
const _: () = assert!(std::mem::size_of::<Code>() == 16);

/// The document number prefixes of this system (`Code::numbered` and the
/// `PREFIX-000042` numbers of the core), with what each numbers.
pub const DOCUMENTS: [(&str, &str); 23] = [
    ("SO", "order"),
    ("PK", "pick list"),
    ("SH", "shipment"),
    ("IN", "invoice"),
    ("RC", "receipt"),
    ("PO", "purchase order"),
    ("GR", "goods receipt"),
    ("AP", "supplier invoice"),
    ("PY", "supplier payment"),
    ("JE", "journal entry"),
    ("WV", "wave"),
    ("DM", "debit memo"),
    ("DN", "debit note"),
    ("SR", "supplier refund"),
    ("CT", "count"),
    ("RF", "refund"),
    ("DR", "dispute resolution"),
    ("CM", "credit memo"),
    ("TR", "transfer"),
    ("RMA", "return"),
    ("ICS", "intercompany sale"),
    ("BK", "bank item"),
    ("BL", "bank line"),
];

/// What depot document a text is numbered as (`PK-000013`: "pick list").
pub fn document_kind(t: &str) -> Option<&'static str> {
    let (prefix, digits) = t.split_once('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    DOCUMENTS
        .iter()
        .find(|(p, _)| p.eq_ignore_ascii_case(prefix))
        .map(|(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    #[test]
    fn document_numbers_are_written_as_format_writes_them() {
        let mut ns: Vec<u64> = (0..2_000).collect();
        ns.extend([9_999, 99_999, 999_999, 1_000_000, 1_234_567, 99_999_999]);
        ns.extend([u64::MAX / 10, u64::MAX - 1, u64::MAX]);
        for n in ns {
            for prefix in ["SO", "PK", "RMA", ""] {
                assert_eq!(
                    super::Code::numbered(prefix, n).as_str(),
                    format!("{prefix}-{n:06}"),
                    "{prefix} {n}"
                );
            }
        }
    }

    use super::*;

    /// The order is `str`'s for every pair, including prefixes, equal
    /// codes, the empty code (the least, which range scans start from),
    /// codes past the inline 15 bytes and bytes above ASCII.
    #[test]
    fn codes_order_as_their_strings_do() {
        let words = [
            "",
            "A",
            "AB",
            "AB-1",
            "AB-10",
            "AB-2",
            "US01",
            "US02",
            "SO-000009",
            "SO-000010",
            "a",
            "Z",
            "0",
            "1200",
            "12000",
            "A-VERY-LONG-CODE-OF-32-CHARACTER",
            "A-VERY-LONG-CODE-OF-32-CHARACTEX",
            "A-VERY-LONG-CODE-OF-32-CHARACTE",
            "é",
            "e",
            "ab\u{0}",
            "ab",
        ];
        for a in words {
            for b in words {
                let (ca, cb) = (Code::from(a), Code::from(b));
                assert_eq!(ca.cmp(&cb), a.cmp(b), "{a:?} against {b:?}");
                assert_eq!(ca == cb, a == b, "{a:?} against {b:?}");
            }
        }
        // A sorted set of codes iterates in the strings' order.
        let mut codes: Vec<Code> = words.iter().map(|w| Code::from(*w)).collect();
        codes.sort();
        let mut strs = words.to_vec();
        strs.sort();
        assert_eq!(
            codes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            strs,
            "sorted codes"
        );
    }

    /// A code hashes as its string does, with the hashers of the state and
    /// of `std`: in line or on the heap, the same text, the same hash.
    #[test]
    fn codes_hash_as_their_strings_do() {
        use std::hash::BuildHasher;
        let fx = rustc_hash::FxBuildHasher;
        let sip = std::collections::hash_map::RandomState::new();
        for w in [
            "",
            "A",
            "US01",
            "SO-000017",
            "FIFTEEN-BYTES-X",
            "SIXTEEN-BYTES-XY",
            "é",
        ] {
            let c = Code::from(w);
            assert_eq!(fx.hash_one(&c), fx.hash_one(w), "{w:?}");
            assert_eq!(sip.hash_one(&c), sip.hash_one(w), "{w:?}");
        }
    }

    /// Built a piece at a time, a code is the string those pieces make,
    /// in line or (past 15 bytes) on the heap; and it is written as that
    /// string, so the stores written before read the same.
    #[test]
    fn codes_built_by_pieces_and_encoded_are_their_strings() {
        let mut c = Code::with_capacity(4);
        let mut s = String::new();
        for piece in ["US01", "/", "distributor", "/", "é", "-", "x"] {
            c.push_str(piece);
            s.push_str(piece);
            assert_eq!(c.as_str(), s);
            assert_eq!(c, Code::from(s.as_str()));
            assert_eq!(c.cmp(&Code::from(s.as_str())), Ordering::Equal);
        }
        let config = bincode::config::standard();
        for w in [
            "",
            "US01",
            "FIFTEEN-BYTES-X",
            "A-VERY-LONG-CODE-OF-32-CHARACTER",
        ] {
            let code = bincode::serde::encode_to_vec(Code::from(w), config).expect("encode");
            let text = bincode::serde::encode_to_vec(w, config).expect("encode");
            assert_eq!(code, text, "{w:?}");
            let (back, _): (Code, usize) =
                bincode::serde::decode_from_slice(&text, config).expect("decode");
            assert_eq!(back, w);
        }
    }

    proptest::proptest! {
        /// Any two strings of up to 40 characters (past the inline 15
        /// bytes), drawn from few characters so that long common prefixes
        /// are frequent, with NUL and a two-byte character among them: the
        /// codes order as the strings do, both ways round.
        #[test]
        fn any_two_codes_order_as_their_strings(
            a in "[AB0\\x00é-]{0,40}",
            b in "[AB0\\x00é-]{0,40}",
            cut in 0usize..41,
        ) {
            // The second often starts with all or part of the first.
            let b2: String = a.chars().take(cut).chain(b.chars()).collect();
            for b in [b.as_str(), b2.as_str(), a.as_str()] {
                let (ca, cb) = (Code::from(a.as_str()), Code::from(b));
                proptest::prop_assert_eq!(ca.cmp(&cb), a.as_str().cmp(b), "{:?} against {:?}", a, b);
                proptest::prop_assert_eq!(cb.cmp(&ca), b.cmp(a.as_str()), "{:?} against {:?}", b, a);
                proptest::prop_assert_eq!(ca == cb, a == b, "{:?} against {:?}", a, b);
            }
        }
    }
}
