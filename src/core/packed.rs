//! Dates and decimals in a snapshot as numbers, not text (issue 21).
//!
//! The state's dates and decimals encode as text (`2026-03-14`, `12.50`),
//! as the log's do, and a reopen parses every one of them: on a store of
//! a year, the by-day summaries (KPI accumulators, what archived invoices
//! sold, cost pool movements, weekly demand) took more of the reopen
//! than the documents themselves (`cargo bench --bench state_size`). In
//! these fields only, a snapshot now holds a date as its day number and
//! a decimal as its scale and mantissa: the same value, read without
//! parsing. The log is untouched (none of these types is in a record),
//! and a human-readable encoding (JSON) still writes text.
//!
//! Use on a map field: `#[serde(with = "packed::map")]` (its entries are
//! read with full leaves, as [`super::dense::map`] reads them); on a
//! decimal field of a value in such a map: `#[serde(with =
//! "packed::dec")]`.

use super::state::Map;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::de::{Deserialize, Deserializer, Error as _, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeTuple, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// A value with a compact (not human-readable) encoding.
pub trait Packed: Sized {
    fn pack<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
    fn unpack<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// Serializes its value packed.
pub struct P<'a, T>(pub &'a T);

impl<T: Packed> Serialize for P<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.pack(s)
    }
}

/// Deserializes a packed value.
pub struct U<T>(pub T);

impl<'de, T: Packed> Deserialize<'de> for U<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::unpack(d).map(U)
    }
}

/// A date as its day number from the common era (0001-01-01 is day 1).
impl Packed for NaiveDate {
    fn pack<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(self.num_days_from_ce())
    }
    fn unpack<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i32::deserialize(d)?;
        NaiveDate::from_num_days_from_ce_opt(n)
            .ok_or_else(|| D::Error::custom(format!("day {n} is not a date")))
    }
}

/// A decimal as its scale and mantissa (`12.50`: 2 and 1250), so that
/// its scale, and so its text, comes back as it was.
impl Packed for Decimal {
    fn pack<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(2)?;
        // A decimal's scale is at most 28.
        t.serialize_element(&(self.scale() as u8))?;
        t.serialize_element(&self.mantissa())?;
        t.end()
    }
    fn unpack<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (scale, mantissa) = <(u8, i128)>::deserialize(d)?;
        Decimal::try_from_i128_with_scale(mantissa, u32::from(scale)).map_err(|_| {
            D::Error::custom(format!(
                "mantissa {mantissa} with scale {scale} is not a decimal"
            ))
        })
    }
}

/// Types whose own encoding is already compact (codes, enums) or packs
/// its decimals field by field (`packed::dec`).
macro_rules! as_is {
    ($($t:ty),+ $(,)?) => {$(
        impl Packed for $t {
            fn pack<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                Serialize::serialize(self, s)
            }
            fn unpack<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$t as Deserialize>::deserialize(d)
            }
        }
    )+};
}

as_is!(
    super::code::Code,
    super::kpi::Dim,
    super::kpi::Acc,
    super::billing::Sold,
    u64
);

macro_rules! tuple {
    ($n:literal: $($t:ident $v:ident),+) => {
        impl<$($t: Packed),+> Packed for ($($t,)+) {
            fn pack<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let ($($v,)+) = self;
                let mut t = s.serialize_tuple($n)?;
                $(t.serialize_element(&P($v))?;)+
                t.end()
            }
            fn unpack<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V<$($t),+>(PhantomData<fn() -> ($($t,)+)>);
                impl<'de, $($t: Packed),+> Visitor<'de> for V<$($t),+> {
                    type Value = ($($t,)+);
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        write!(f, "a tuple of {}", $n)
                    }
                    fn visit_seq<Sq: SeqAccess<'de>>(self, mut a: Sq) -> Result<Self::Value, Sq::Error> {
                        Ok(($({
                            let U::<$t>($v) = a
                                .next_element()?
                                .ok_or_else(|| Sq::Error::invalid_length($n, &self))?;
                            $v
                        },)+))
                    }
                }
                d.deserialize_tuple($n, V(PhantomData))
            }
        }
    };
}

tuple!(2: A a, B b);
tuple!(3: A a, B b, C c);

/// A decimal field: packed in a snapshot, text in JSON.
pub mod dec {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            Serialize::serialize(v, s)
        } else {
            v.pack(s)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        if d.is_human_readable() {
            <Decimal as Deserialize>::deserialize(d)
        } else {
            <Decimal as Packed>::unpack(d)
        }
    }
}

/// A map field whose keys and values are packed in a snapshot (and read
/// with full leaves); as it always was in JSON.
pub mod map {
    use super::*;

    pub fn serialize<S, K, V>(m: &Map<K, V>, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        K: Packed + Serialize + Ord + Clone,
        V: Packed + Serialize + Clone,
    {
        if s.is_human_readable() {
            m.serialize(s)
        } else {
            s.collect_map(m.iter().map(|(k, v)| (P(k), P(v))))
        }
    }

    pub fn deserialize<'de, D, K, V>(d: D) -> Result<Map<K, V>, D::Error>
    where
        D: Deserializer<'de>,
        K: Packed + Deserialize<'de> + Ord + Clone,
        V: Packed + Deserialize<'de> + Clone,
    {
        if d.is_human_readable() {
            super::super::dense::map(d)
        } else {
            super::super::dense::map_via(d, |U(k): U<K>, U(v): U<V>| (k, v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Sample {
        #[serde(with = "map")]
        by_day: Map<super::super::code::Code, (NaiveDate, Decimal)>,
        #[serde(with = "dec")]
        one: Decimal,
    }

    fn bincode_round_trip(s: &Sample) -> Sample {
        let config = bincode::config::standard();
        let bytes = bincode::serde::encode_to_vec(s, config).expect("encodes");
        let (back, used): (Sample, usize) =
            bincode::serde::decode_from_slice(&bytes, config).expect("decodes");
        assert_eq!(used, bytes.len());
        back
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        (any::<i128>(), 0u32..=28).prop_map(|(m, scale)| {
            // Any mantissa a decimal can hold (96 bits and a sign).
            let m = m % (1i128 << 96);
            Decimal::from_i128_with_scale(m, scale)
        })
    }

    fn date() -> impl Strategy<Value = NaiveDate> {
        (NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce())
            .prop_map(|n| NaiveDate::from_num_days_from_ce_opt(n).expect("in range"))
    }

    proptest! {
        /// Any date and any decimal come back the same, to the scale
        /// (so the same text), packed and in JSON.
        #[test]
        fn dates_and_decimals_come_back_as_they_were(
            entries in proptest::collection::vec(("[A-Z0-9]{1,12}", date(), decimal()), 0..60),
            one in decimal(),
        ) {
            let s = Sample {
                by_day: entries
                    .into_iter()
                    .map(|(c, d, v)| (super::super::code::Code::from(c.as_str()), (d, v)))
                    .collect(),
                one,
            };
            let back = bincode_round_trip(&s);
            prop_assert_eq!(&back, &s);
            for ((a, (_, x)), (b, (_, y))) in back.by_day.iter().zip(s.by_day.iter()) {
                prop_assert_eq!(a, b);
                prop_assert_eq!(x.to_string(), y.to_string());
            }
            prop_assert_eq!(back.one.to_string(), s.one.to_string());
            let json = serde_json::to_string(&s).expect("json");
            let from_json: Sample = serde_json::from_str(&json).expect("json back");
            prop_assert_eq!(from_json, s);
        }
    }

    #[test]
    fn json_keeps_dates_and_decimals_as_text() {
        let s = Sample {
            by_day: Map::new(),
            one: dec!(12.50),
        };
        assert_eq!(
            serde_json::to_string(&s).expect("json"),
            r#"{"by_day":{},"one":"12.50"}"#
        );
    }

    #[test]
    fn a_packed_value_out_of_range_is_an_error_not_a_value() {
        let config = bincode::config::standard();
        // Scale 29 is more than a decimal has.
        let bytes = bincode::serde::encode_to_vec((29u8, 5i128), config).expect("encodes");
        let got = bincode::serde::decode_from_slice::<U<Decimal>, _>(&bytes, config);
        assert!(got.is_err());
        // A mantissa of more than 96 bits.
        let bytes = bincode::serde::encode_to_vec((2u8, 1i128 << 100), config).expect("encodes");
        let got = bincode::serde::decode_from_slice::<U<Decimal>, _>(&bytes, config);
        assert!(got.is_err());
        // A day number past the last date.
        let bytes = bincode::serde::encode_to_vec(i32::MAX, config).expect("encodes");
        let got = bincode::serde::decode_from_slice::<U<NaiveDate>, _>(&bytes, config);
        assert!(got.is_err());
    }
}
