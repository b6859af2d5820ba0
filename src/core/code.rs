//! `Code`: the string type of every code in the state (SKU, customer,
//! warehouse, bin, account, document number...).
//!
//! Sixteen bytes, held inline up to 15 bytes (`ecow::EcoString`; a longer
//! code is on the heap, shared by its copies). Most of the state's maps
//! are keyed by codes or tuples of them (`(entity, period, account)`),
//! and the time of a lookup is the cache misses of reaching the keys in
//! the tree nodes, so the size of a code is the size of those nodes: a
//! `compact_str` code was 24 bytes (inline up to 24), which made an
//! `(entity, period, account)` key 72 bytes where it is now 48. Codes
//! are short (`US01`, `2026-11`, `SO-000017`, at most 32 characters by
//! `code_problem`), so nearly all are inline either way.
//!
//! The order is `str`'s (byte-wise, then the shorter first), which
//! `Borrow<str>` lookups and the snapshots' key order rely on, and a test
//! holds it to `str`'s. The encoding is the same string.

use ecow::EcoString;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Code(EcoString);

impl Code {
    pub fn new(s: impl AsRef<str>) -> Code {
        Code(EcoString::from(s.as_ref()))
    }

    pub fn with_capacity(n: usize) -> Code {
        Code(EcoString::with_capacity(n))
    }

    pub fn push(&mut self, c: char) {
        self.0.push(c)
    }

    pub fn push_str(&mut self, s: &str) {
        self.0.push_str(s)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
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
        let from = at.min(digits.len() - 6);
        let digits = std::str::from_utf8(&digits[from..]).unwrap_or_default();
        let mut code = Code::with_capacity(prefix.len() + 1 + digits.len());
        code.push_str(prefix);
        code.push('-');
        code.push_str(digits);
        code
    }
}

impl Ord for Code {
    #[inline]
    fn cmp(&self, other: &Code) -> Ordering {
        self.0.as_bytes().cmp(other.0.as_bytes())
    }
}

impl PartialOrd for Code {
    #[inline]
    fn partial_cmp(&self, other: &Code) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// As `str` hashes, so a map keyed by codes can be looked up by `&str`.
impl Hash for Code {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_str().hash(h)
    }
}

impl Deref for Code {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl Borrow<str> for Code {
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0.as_str()
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

impl From<&str> for Code {
    fn from(s: &str) -> Code {
        Code(EcoString::from(s))
    }
}

impl From<&String> for Code {
    fn from(s: &String) -> Code {
        Code(EcoString::from(s.as_str()))
    }
}

impl From<String> for Code {
    fn from(s: String) -> Code {
        Code(EcoString::from(s))
    }
}

impl From<&Code> for Code {
    fn from(s: &Code) -> Code {
        s.clone()
    }
}

impl From<Code> for String {
    fn from(c: Code) -> String {
        c.0.as_str().to_owned()
    }
}

impl std::str::FromStr for Code {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Code, Self::Err> {
        Ok(Code::from(s))
    }
}

/// Equal to any text of the same characters (`code == "US01"`,
/// `code == other`, `code == &string`).
impl<T: AsRef<str> + ?Sized> PartialEq<T> for Code {
    #[inline]
    fn eq(&self, other: &T) -> bool {
        self.as_str() == other.as_ref()
    }
}

impl Eq for Code {}

impl PartialEq<Code> for &Code {
    fn eq(&self, other: &Code) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Code> for str {
    fn eq(&self, other: &Code) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Code> for String {
    fn eq(&self, other: &Code) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<'a> From<Code> for std::borrow::Cow<'a, str> {
    fn from(c: Code) -> Self {
        std::borrow::Cow::Owned(c.into())
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
