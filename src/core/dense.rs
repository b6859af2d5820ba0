//! Loading the state's persistent maps with full leaves.
//!
//! An `imbl` ordered map keeps its entries in leaves of 16 slots, each
//! allocated whole, and splits a full leaf in two halves. Filled in key
//! order, as a snapshot is read, every leaf but the last is left half
//! empty: on a store of a year that was a quarter of the heap while an
//! order filled a 304-byte slot (documents now sit behind `Shared`: 32
//! bytes with the key, so the gain is smaller, but still there). Read
//! through these functions instead, a map takes every other entry at
//! once (each leaf ends with 8 of them, spanning 16 keys) and each one
//! between a little later, once the leaf that spans it is done
//! splitting, so the leaves come out full (see
//! `Dense`). Same entries, same order, same bytes when written again:
//! only the layout in memory changes (`cargo bench --bench state_size`
//! measures it). Entries out of order, which only a hand-made file could
//! hold, still make a map of the same entries, with leaves less full.
//!
//! Use on a field: `#[serde(deserialize_with = "dense::map")]` (or
//! `dense::set`).

use super::state::{Map, Set};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// Builds a map from entries given in ascending key order with full
/// leaves: every other entry goes in at once, and each one between is
/// held back until the leaf it falls into can no longer split. The last
/// leaf holds at most 16 of the entries put in (it splits on the 17th),
/// so an entry that precedes the 16th newest of them falls into a leaf
/// that is done splitting, with room for it: a leaf keeps 8 entries of
/// the first kind and gets the 8 between them. Only those held back are
/// kept aside, about 16 entries, never a copy of the map.
struct Dense<T, S> {
    out: S,
    /// Entries of the first kind put in.
    put: usize,
    /// Entries held back, ascending, and how many of them went in.
    held: std::collections::VecDeque<T>,
    released: usize,
    next_is_held: bool,
}

/// Entries of the first kind after which one held back between them may
/// go in: its leaf is left of the last leaf (16 of them at most) then.
/// (Tied to imbl's 16-slot leaves: another size would still make a map
/// of the same entries, only less full.)
const LAG: usize = 17;

/// What a [`Dense`] fills.
trait Sink<T> {
    fn put(&mut self, t: T);
}

impl<K: Ord + Clone, V: Clone> Sink<(K, V)> for Map<K, V> {
    fn put(&mut self, (k, v): (K, V)) {
        self.insert(k, v);
    }
}

impl<T: Ord + Clone> Sink<T> for Set<T> {
    fn put(&mut self, t: T) {
        self.insert(t);
    }
}

impl<T, S: Sink<T>> Dense<T, S> {
    fn new(out: S) -> Self {
        Dense {
            out,
            put: 0,
            held: std::collections::VecDeque::new(),
            released: 0,
            next_is_held: false,
        }
    }

    fn push(&mut self, t: T) {
        if self.next_is_held {
            self.held.push_back(t);
        } else {
            self.out.put(t);
            self.put += 1;
            while self.released + LAG <= self.put {
                let Some(t) = self.held.pop_front() else {
                    break;
                };
                self.out.put(t);
                self.released += 1;
            }
        }
        self.next_is_held = !self.next_is_held;
    }

    fn finish(mut self) -> S {
        for t in self.held {
            self.out.put(t);
        }
        self.out
    }
}

/// What a [`MapVisitor`] reads (`KF`, `VF`) and makes of it (`K`, `V`).
type Reads<K, V, KF, VF> = PhantomData<fn(KF, VF) -> (K, V)>;

/// Entries read as `KF` and `VF` and turned into `(K, V)` by `via`.
struct MapVisitor<K, V, KF, VF, F> {
    via: F,
    read: Reads<K, V, KF, VF>,
}

impl<'de, K, V, KF, VF, F> Visitor<'de> for MapVisitor<K, V, KF, VF, F>
where
    K: Ord + Clone,
    V: Clone,
    KF: Deserialize<'de>,
    VF: Deserialize<'de>,
    F: Fn(KF, VF) -> (K, V),
{
    type Value = Map<K, V>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut dense = Dense::new(Map::new());
        while let Some((k, v)) = access.next_entry::<KF, VF>()? {
            dense.push((self.via)(k, v));
        }
        Ok(dense.finish())
    }
}

/// A map read with full leaves.
pub fn map<'de, D, K, V>(d: D) -> Result<Map<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord + Clone,
    V: Deserialize<'de> + Clone,
{
    map_via(d, |k: K, v: V| (k, v))
}

/// A map read with full leaves, its entries read in another form
/// (`packed::map`).
pub fn map_via<'de, D, K, V, KF, VF>(
    d: D,
    via: impl Fn(KF, VF) -> (K, V),
) -> Result<Map<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Ord + Clone,
    V: Clone,
    KF: Deserialize<'de>,
    VF: Deserialize<'de>,
{
    d.deserialize_map(MapVisitor {
        via,
        read: PhantomData,
    })
}

struct SetVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: Deserialize<'de> + Ord + Clone> Visitor<'de> for SetVisitor<T> {
    type Value = Set<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a set")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut dense = Dense::new(Set::new());
        while let Some(t) = access.next_element::<T>()? {
            dense.push(t);
        }
        Ok(dense.finish())
    }
}

/// A set read with full leaves.
pub fn set<'de, D, T>(d: D) -> Result<Set<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Ord + Clone,
{
    d.deserialize_seq(SetVisitor::<T>(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Serialize;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Sample {
        #[serde(deserialize_with = "map")]
        plain: Map<u32, String>,
        #[serde(deserialize_with = "map")]
        nested: Map<(u8, u16), Map<u16, i64>>,
        #[serde(deserialize_with = "set")]
        members: Set<String>,
    }

    fn sample() -> impl Strategy<Value = Sample> {
        (
            proptest::collection::btree_map(any::<u32>(), ".{0,6}", 0..300),
            proptest::collection::btree_map(
                any::<(u8, u16)>(),
                proptest::collection::btree_map(any::<u16>(), any::<i64>(), 0..40),
                0..40,
            ),
            proptest::collection::btree_set(".{0,4}", 0..300),
        )
            .prop_map(|(plain, nested, members)| Sample {
                plain: plain.into_iter().collect(),
                nested: nested
                    .into_iter()
                    .map(|(k, m)| (k, m.into_iter().collect::<Map<u16, i64>>()))
                    .collect(),
                members: members.into_iter().collect(),
            })
    }

    proptest! {
        /// Read densely, a map holds the same entries in the same order,
        /// and writes the same bytes again.
        #[test]
        fn same_entries_and_same_bytes(s in sample()) {
            let cfg = bincode::config::standard();
            let bytes = bincode::serde::encode_to_vec(&s, cfg).unwrap();
            let (back, used): (Sample, usize) =
                bincode::serde::decode_from_slice(&bytes, cfg).unwrap();
            prop_assert_eq!(used, bytes.len());
            prop_assert!(back.plain.iter().eq(s.plain.iter()));
            prop_assert_eq!(&back, &s);
            prop_assert_eq!(bincode::serde::encode_to_vec(&back, cfg).unwrap(), bytes);
        }
    }

    /// Every size around the leaf's 16 slots and its split, where an
    /// off-by-one in the alternation would lose or misplace an entry.
    #[test]
    fn sizes_around_a_leaf() {
        let cfg = bincode::config::standard();
        for n in (0..70).chain([255, 256, 257, 1000, 4097]) {
            let m: Map<u32, u32> = (0..n).map(|i| (i * 3, i)).collect();
            let bytes = bincode::serde::encode_to_vec(&m, cfg).unwrap();
            let mut de = bincode::serde::BorrowedSerdeDecoder::from_slice(&bytes, cfg, ());
            let back: Map<u32, u32> = map(de.as_deserializer()).unwrap();
            assert_eq!(back.len(), n as usize);
            assert!(back.iter().eq(m.iter()), "{n} entries");
            for i in 0..n {
                assert_eq!(back.get(&(i * 3)), Some(&i));
            }
        }
    }

    /// A damaged length claiming more entries than there are is an error,
    /// not an allocation of what it claims.
    #[test]
    fn a_huge_length_is_an_error() {
        let cfg = bincode::config::standard();
        let mut bytes = vec![253u8];
        bytes.extend_from_slice(&(1u64 << 60).to_le_bytes());
        bytes.extend_from_slice(&[1, 2, 3, 4]);
        let mut de = bincode::serde::BorrowedSerdeDecoder::from_slice(&bytes, cfg, ());
        assert!(map::<_, u32, u32>(de.as_deserializer()).is_err());
        let mut de = bincode::serde::BorrowedSerdeDecoder::from_slice(&bytes, cfg, ());
        assert!(set::<_, u32>(de.as_deserializer()).is_err());
    }
}
