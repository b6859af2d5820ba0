//! A serde deserializer for the bincode format (standard configuration:
//! varint integers, little endian) that reads a snapshot file from its
//! buffer without an allocation per string.
//!
//! bincode's own reader-based decoder hands every string to its visitor
//! as a `String` it allocated (zeroed) and filled: every code, decimal and
//! date of the state was an allocation, a copy and a free, a quarter of
//! a reopen's time on the large store (perf, session 20). Here a string
//! that lies in the buffer is handed over as a `&str` into it: a code of
//! up to 15 bytes becomes a `Code` inline, a decimal or date is
//! parsed in place. The bytes accepted and the values produced are
//! bincode's, which a property test holds it to
//! (`tests::decodes_as_bincode_does`); the format is unchanged.

use serde::de::{
    DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use std::fmt;

/// Where the bytes come from: a buffer over a stream.
pub(super) trait Source {
    /// The buffered bytes, at least `n` of them unless the stream ends
    /// first (then all that is left). `n` is at most [`Source::capacity`].
    fn peek(&mut self, n: usize) -> std::io::Result<&[u8]>;
    /// Mark `n` peeked bytes read.
    fn consume(&mut self, n: usize);
    /// The most bytes [`Source::peek`] can hold at once.
    fn capacity(&self) -> usize;
    /// Read exactly `out.len()` bytes (any number).
    fn take(&mut self, out: &mut [u8]) -> std::io::Result<()>;
}

/// Why the bytes are not a value of the type.
#[derive(Debug)]
pub(super) struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl serde::de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

impl From<std::io::Error> for DeError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            DeError("the snapshot ends inside a value".into())
        } else {
            DeError(format!("reading the snapshot: {e}"))
        }
    }
}

type Result<T> = std::result::Result<T, DeError>;

/// Decode a `T` from the next `len` bytes of `src` (the caller checks that
/// all of them were used).
pub(super) fn decode<T: DeserializeOwned, S: Source>(src: &mut S, len: u64) -> Result<T> {
    let mut de = De { src, left: len };
    T::deserialize(&mut de)
}

struct De<'a, S: Source> {
    src: &'a mut S,
    /// Bytes of the value not read yet: no length prefix may claim more.
    left: u64,
}

const SINGLE_BYTE_MAX: u8 = 250;
const U16_BYTE: u8 = 251;
const U32_BYTE: u8 = 252;
const U64_BYTE: u8 = 253;
const U128_BYTE: u8 = 254;

impl<S: Source> De<'_, S> {
    /// The next `N` bytes.
    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        if (N as u64) > self.left {
            return Err(eof());
        }
        let b = self.src.peek(N)?;
        if b.len() < N {
            return Err(eof());
        }
        let mut out = [0u8; N];
        out.copy_from_slice(&b[..N]);
        self.src.consume(N);
        self.left -= N as u64;
        Ok(out)
    }

    #[inline]
    fn byte(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    /// A varint of at most `max` (the widest marker the type allows).
    #[inline]
    fn varint(&mut self, max: u8, what: &str) -> Result<u128> {
        let first = self.byte()?;
        let v = match first {
            0..=SINGLE_BYTE_MAX => return Ok(u128::from(first)),
            U16_BYTE if max >= U16_BYTE => u128::from(u16::from_le_bytes(self.array()?)),
            U32_BYTE if max >= U32_BYTE => u128::from(u32::from_le_bytes(self.array()?)),
            U64_BYTE if max >= U64_BYTE => u128::from(u64::from_le_bytes(self.array()?)),
            U128_BYTE if max >= U128_BYTE => u128::from_le_bytes(self.array()?),
            _ => {
                return Err(DeError(format!(
                    "invalid varint marker {first} for a {what}"
                )))
            }
        };
        Ok(v)
    }

    fn u16(&mut self) -> Result<u16> {
        Ok(self.varint(U16_BYTE, "u16")? as u16)
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(self.varint(U32_BYTE, "u32")? as u32)
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(self.varint(U64_BYTE, "u64")? as u64)
    }
    fn len(&mut self) -> Result<usize> {
        usize::try_from(self.u64()?).map_err(|_| DeError("a length beyond this machine".into()))
    }

    /// The `len` bytes of a string or byte string, handed to `f` from the
    /// buffer when they fit in it.
    fn bytes_with<R>(&mut self, f: impl FnOnce(&[u8]) -> Result<R>) -> Result<R> {
        let len = self.len()?;
        if len as u64 > self.left {
            return Err(DeError(format!(
                "a length of {len} bytes with only {} bytes left",
                self.left
            )));
        }
        self.left -= len as u64;
        if len <= self.src.capacity() {
            let b = self.src.peek(len)?;
            if b.len() < len {
                return Err(eof());
            }
            let r = f(&b[..len]);
            self.src.consume(len);
            r
        } else {
            let mut v = vec![0u8; len];
            self.src.take(&mut v)?;
            f(&v)
        }
    }
}

fn zigzag(n: u128) -> i128 {
    if n.is_multiple_of(2) {
        (n / 2) as i128
    } else {
        !((n / 2) as i128)
    }
}

fn utf8(b: &[u8]) -> Result<&str> {
    std::str::from_utf8(b).map_err(|e| DeError(format!("a string that is not UTF-8: {e}")))
}

fn eof() -> DeError {
    DeError("the snapshot ends inside a value".into())
}

impl<'de, S: Source> serde::Deserializer<'de> for &mut De<'_, S> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(DeError(
            "the snapshot format does not describe itself".into(),
        ))
    }
    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match self.byte()? {
            0 => v.visit_bool(false),
            1 => v.visit_bool(true),
            b => Err(DeError(format!("invalid bool {b}"))),
        }
    }
    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        v.visit_i8(self.byte()? as i8)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let n = zigzag(u128::from(self.u16()?));
        v.visit_i16(i16::try_from(n).map_err(|_| DeError("i16 out of range".into()))?)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let n = zigzag(u128::from(self.u32()?));
        v.visit_i32(i32::try_from(n).map_err(|_| DeError("i32 out of range".into()))?)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let n = zigzag(u128::from(self.u64()?));
        v.visit_i64(i64::try_from(n).map_err(|_| DeError("i64 out of range".into()))?)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let n = self.varint(U128_BYTE, "i128")?;
        v.visit_i128(zigzag(n))
    }
    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        v.visit_u8(self.byte()?)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        v.visit_u16(self.u16()?)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        v.visit_u32(self.u32()?)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        v.visit_u64(self.u64()?)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        v.visit_u128(self.varint(U128_BYTE, "u128")?)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        v.visit_f32(f32::from_le_bytes(self.array()?))
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        v.visit_f64(f64::from_le_bytes(self.array()?))
    }
    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let first = self.byte()?;
        let width = match first {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => return Err(DeError("an invalid char".into())),
        };
        let mut buf = [first, 0, 0, 0];
        for b in buf.iter_mut().take(width).skip(1) {
            *b = self.byte()?;
        }
        let c = utf8(&buf[..width])?
            .chars()
            .next()
            .ok_or_else(|| DeError("an invalid char".into()))?;
        v.visit_char(c)
    }
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        self.bytes_with(|b| v.visit_str(utf8(b)?))
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        self.deserialize_str(v)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        self.bytes_with(|b| v.visit_bytes(b))
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        self.deserialize_bytes(v)
    }
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match self.byte()? {
            0 => v.visit_none(),
            1 => v.visit_some(self),
            b => Err(DeError(format!("invalid option tag {b}"))),
        }
    }
    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        v.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Result<V::Value> {
        v.visit_unit()
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value> {
        v.visit_newtype_struct(self)
    }
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let len = self.len()?;
        self.deserialize_tuple(len, v)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value> {
        v.visit_seq(Access { de: self, len })
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value> {
        self.deserialize_tuple(len, v)
    }
    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let len = self.len()?;
        v.visit_map(Access { de: self, len })
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value> {
        self.deserialize_tuple(fields.len(), v)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value> {
        v.visit_enum(self)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(DeError("identifiers are not in the snapshot format".into()))
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(DeError("the snapshot format cannot skip a value".into()))
    }
    fn is_human_readable(&self) -> bool {
        false
    }
}

/// The elements of a sequence, tuple or struct, or the entries of a map.
struct Access<'a, 'b, S: Source> {
    de: &'a mut De<'b, S>,
    len: usize,
}

impl<S: Source> Access<'_, '_, S> {
    /// The next element (or key), if any are left.
    fn next<'de, T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.len == 0 {
            return Ok(None);
        }
        self.len -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }
}

impl<'de, S: Source> SeqAccess<'de> for Access<'_, '_, S> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        self.next(seed)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.len)
    }
}

impl<'de, S: Source> MapAccess<'de> for Access<'_, '_, S> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        self.next(seed)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.de)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.len)
    }
}

impl<'de, S: Source> EnumAccess<'de> for &mut De<'_, S> {
    type Error = DeError;
    type Variant = Self;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let idx = self.u32()?;
        let de: serde::de::value::U32Deserializer<DeError> = idx.into_deserializer();
        let val = seed.deserialize(de)?;
        Ok((val, self))
    }
}

impl<'de, S: Source> VariantAccess<'de> for &mut De<'_, S> {
    type Error = DeError;
    fn unit_variant(self) -> Result<()> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value> {
        serde::Deserializer::deserialize_tuple(self, len, v)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value> {
        serde::Deserializer::deserialize_tuple(self, fields.len(), v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;

    /// A source over a slice, peeking at most `window` bytes at a time
    /// (as the snapshot reader's buffer does, small to cross its edges).
    struct Slice<'a> {
        bytes: &'a [u8],
        pos: usize,
        window: usize,
    }

    impl Source for Slice<'_> {
        fn peek(&mut self, n: usize) -> std::io::Result<&[u8]> {
            let end = (self.pos + n).min(self.bytes.len());
            Ok(&self.bytes[self.pos..end])
        }
        fn consume(&mut self, n: usize) {
            self.pos += n;
        }
        fn capacity(&self) -> usize {
            self.window
        }
        fn take(&mut self, out: &mut [u8]) -> std::io::Result<()> {
            let end = self.pos + out.len();
            if end > self.bytes.len() {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            out.copy_from_slice(&self.bytes[self.pos..end]);
            self.pos = end;
            Ok(())
        }
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    enum Kind {
        Unit,
        New(i64),
        Tuple(u8, String),
        Struct { a: Option<u32>, b: Vec<i16> },
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    struct Sample {
        flag: bool,
        small: u8,
        signed: i8,
        wide: u128,
        neg: i128,
        unsigned: u64,
        int: i32,
        half: u16,
        float: f64,
        c: char,
        code: crate::core::types::Code,
        text: String,
        money: rust_decimal::Decimal,
        day: chrono::NaiveDate,
        bytes: Vec<u8>,
        map: BTreeMap<String, Kind>,
        set: imbl::OrdSet<u32>,
        unit: (),
        pair: (u16, Option<String>),
    }

    fn decode_slice<T: DeserializeOwned>(bytes: &[u8], window: usize) -> Result<T> {
        let mut s = Slice {
            bytes,
            pos: 0,
            window,
        };
        let v = decode(&mut s, bytes.len() as u64)?;
        if s.pos != bytes.len() {
            return Err(DeError(format!("{} bytes left", bytes.len() - s.pos)));
        }
        Ok(v)
    }

    fn kind() -> impl Strategy<Value = Kind> {
        prop_oneof![
            Just(Kind::Unit),
            any::<i64>().prop_map(Kind::New),
            (any::<u8>(), ".{0,40}").prop_map(|(a, b)| Kind::Tuple(a, b)),
            (
                any::<Option<u32>>(),
                proptest::collection::vec(any::<i16>(), 0..5)
            )
                .prop_map(|(a, b)| Kind::Struct { a, b }),
        ]
    }

    prop_compose! {
        fn sample()(
            flag in any::<bool>(), small in any::<u8>(), signed in any::<i8>(),
            wide in any::<u128>(), neg in any::<i128>(), unsigned in any::<u64>(),
            int in any::<i32>(), half in any::<u16>(), float in any::<f64>(), c in any::<char>(),
            code in "[A-Z0-9-]{0,40}", text in ".{0,300}",
            cents in any::<i64>(), scale in 0u32..6, days in -100_000i32..100_000,
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
            map in proptest::collection::btree_map(".{0,8}", kind(), 0..6),
            set in proptest::collection::vec(any::<u32>(), 0..20),
            pair in (any::<u16>(), proptest::option::of(".{0,30}")),
        ) -> Sample {
            Sample {
                flag, small, signed, wide, neg, unsigned, int, half, float, c,
                code: code.into(), text,
                money: rust_decimal::Decimal::new(cents, scale),
                day: chrono::NaiveDate::from_num_days_from_ce_opt(700_000 + days)
                    .unwrap_or_default(),
                bytes, map, set: set.into_iter().collect(), unit: (), pair,
            }
        }
    }

    /// A length prefix claiming more than the snapshot holds is an error,
    /// never an allocation of what it claims.
    #[test]
    fn a_huge_length_prefix_is_an_error_not_an_allocation() {
        let mut huge = vec![U64_BYTE];
        huge.extend_from_slice(&(1u64 << 60).to_le_bytes());
        let as_string = decode_slice::<String>(&huge, 16).unwrap_err();
        assert!(as_string.to_string().contains("with only"), "{as_string}");
        let as_seq = decode_slice::<Vec<Vec<u8>>>(&huge, 16);
        assert!(as_seq.is_err());
        let as_map = decode_slice::<BTreeMap<u64, String>>(&huge, 16);
        assert!(as_map.is_err());
    }

    proptest! {
        /// Whatever bincode encodes, this decodes to the same value, for
        /// any buffer size (strings across a refill, longer than the
        /// buffer); and every strict prefix of the bytes is refused.
        #[test]
        fn decodes_as_bincode_does(s in sample(), window in 1usize..64) {
            let cfg = bincode::config::standard();
            let bytes = bincode::serde::encode_to_vec(&s, cfg).unwrap();
            let back: Sample = decode_slice(&bytes, window).unwrap();
            let float_same = back.float.to_bits() == s.float.to_bits();
            let mut back = back;
            back.float = s.float;
            prop_assert!(float_same);
            prop_assert_eq!(&back, &s);
            let cut = bytes.len() / 2;
            prop_assert!(decode_slice::<Sample>(&bytes[..cut], window).is_err());
        }

        /// Garbage is an error, never a panic; what it accepts, bincode
        /// accepts as the same value.
        #[test]
        fn garbage_is_refused_as_bincode_refuses_it(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let ours = decode_slice::<Vec<Kind>>(&bytes, 16);
            let theirs: std::result::Result<(Vec<Kind>, usize), _> =
                bincode::serde::decode_from_slice(&bytes, bincode::config::standard());
            match (ours, theirs) {
                (Ok(a), Ok((b, used))) if used == bytes.len() => prop_assert_eq!(a, b),
                (Ok(a), _) => prop_assert!(false, "accepted what bincode refuses: {:?}", a),
                _ => {}
            }
        }
    }
}
