//! `HashedMap`: a persistent map reached by hashing its key, for the
//! state's maps that commands reach one key at a time: the documents by
//! number (orders, pick lists, shipments, invoices, receipts). Stock,
//! cost pools and the per-order indexes were tried too and went back to
//! ordered maps: a hashed map's nodes cost more memory per entry, and
//! with them the one-year store passed 1 MB per 1,000 order lines
//! (docs/performance.md, "Session 62").
//!
//! An ordered map (`imbl::OrdMap`) compares the key at each step of a
//! lookup, about fifteen code comparisons in a map of ten thousand; this
//! one hashes the key once (FxHash, no seed: the same on every run) and
//! compares it once. It is as persistent as the ordered maps (a clone
//! shares every node; a write copies only its path while a clone lives).
//!
//! Its order is the hashing's, which means nothing, so it offers no plain
//! iteration: a caller says which it needs, [`HashedMap::sorted`] (key
//! order, what the ordered map iterated: lists, reports, anything shown
//! or decided in order) or [`HashedMap::any_order`] (sums, counts, `any`,
//! a filter whose result is sorted after). A snapshot writes the entries
//! in key order, so the same state is the same bytes, as before: a store
//! written with an ordered map reads unchanged, and the other way round.

use rustc_hash::FxBuildHasher;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;

type Inner<K, V> = imbl::GenericHashMap<K, V, FxBuildHasher, imbl::shared_ptr::DefaultSharedPtr>;

#[derive(Clone)]
pub struct HashedMap<K, V>(Inner<K, V>);

impl<K: Hash + Eq + Clone, V: Clone> Default for HashedMap<K, V> {
    fn default() -> Self {
        HashedMap(Inner::default())
    }
}

impl<K: Hash + Eq + Clone, V: Clone> HashedMap<K, V> {
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get(key)
    }

    #[inline]
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get_mut(key)
    }

    #[inline]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.contains_key(key)
    }

    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.0.insert(key, value)
    }

    #[inline]
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.remove(key)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every entry, in no order that means anything: for what the order
    /// cannot change (a sum, a count, `any`, a set built from them, a
    /// list sorted after).
    pub fn any_order(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter()
    }

    /// Every value, in no order that means anything (see `any_order`).
    pub fn values_any_order(&self) -> impl Iterator<Item = &V> {
        self.0.values()
    }

    /// Every entry in key order, as an ordered map iterates.
    pub fn sorted(&self) -> Vec<(&K, &V)>
    where
        K: Ord,
    {
        let mut out: Vec<(&K, &V)> = self.0.iter().collect();
        out.sort_unstable_by(|a, b| a.0.cmp(b.0));
        out
    }

    /// Every value in key order.
    pub fn values_sorted(&self) -> Vec<&V>
    where
        K: Ord,
    {
        self.sorted().into_iter().map(|(_, v)| v).collect()
    }

    /// Every key in key order.
    pub fn keys_sorted(&self) -> Vec<&K>
    where
        K: Ord,
    {
        self.sorted().into_iter().map(|(k, _)| k).collect()
    }

    /// Of the entries `keep` says yes to, the `n` with the greatest keys,
    /// greatest first (the newest documents): the rest are not sorted.
    pub fn greatest(&self, n: usize, keep: impl Fn(&V) -> bool) -> Vec<(&K, &V)>
    where
        K: Ord,
    {
        let desc = |a: &(&K, &V), b: &(&K, &V)| b.0.cmp(a.0);
        let mut out: Vec<(&K, &V)> = self.0.iter().filter(|(_, v)| keep(v)).collect();
        if out.len() > n {
            if n == 0 {
                return Vec::new();
            }
            out.select_nth_unstable_by(n - 1, desc);
            out.truncate(n);
        }
        out.sort_unstable_by(desc);
        out
    }

    /// The entry with the least key (the oldest document), without
    /// sorting: as the ordered map's `get_min`.
    pub fn get_min(&self) -> Option<(&K, &V)>
    where
        K: Ord,
    {
        self.0.iter().min_by(|a, b| a.0.cmp(b.0))
    }

    /// The entry with the greatest key (the newest document), without
    /// sorting: as the ordered map's `get_max`.
    pub fn get_max(&self) -> Option<(&K, &V)>
    where
        K: Ord,
    {
        self.0.iter().max_by(|a, b| a.0.cmp(b.0))
    }
}

/// `map[key]`, for tests and for keys known present: panics when absent,
/// as the ordered map's does.
impl<K, V, Q> std::ops::Index<&Q> for HashedMap<K, V>
where
    K: Hash + Eq + Clone + Borrow<Q>,
    V: Clone,
    Q: Hash + Eq + ?Sized,
{
    type Output = V;
    fn index(&self, key: &Q) -> &V {
        match self.0.get(key) {
            Some(v) => v,
            None => panic!("no such key in the map"),
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone + PartialEq> PartialEq for HashedMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<K: Hash + Eq + Clone, V: Clone + Eq> Eq for HashedMap<K, V> {}

/// In key order, as the ordered map printed.
impl<K: Hash + Eq + Clone + Ord + fmt::Debug, V: Clone + fmt::Debug> fmt::Debug
    for HashedMap<K, V>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.sorted()).finish()
    }
}

/// In key order: the bytes an ordered map of the same entries writes.
impl<K: Hash + Eq + Clone + Ord + Serialize, V: Clone + Serialize> Serialize for HashedMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries = self.sorted();
        let mut out = s.serialize_map(Some(entries.len()))?;
        for (k, v) in entries {
            out.serialize_entry(k, v)?;
        }
        out.end()
    }
}

/// Entries in any order (a snapshot's come in key order).
impl<'de, K, V> Deserialize<'de> for HashedMap<K, V>
where
    K: Hash + Eq + Clone + Deserialize<'de>,
    V: Clone + Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K, V> Visitor<'de> for Entries<K, V>
        where
            K: Hash + Eq + Clone + Deserialize<'de>,
            V: Clone + Deserialize<'de>,
        {
            type Value = HashedMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut out = HashedMap::default();
                while let Some((k, v)) = a.next_entry()? {
                    out.insert(k, v);
                }
                Ok(out)
            }
        }
        d.deserialize_map(Entries(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::state::Map;

    #[test]
    fn writes_the_bytes_an_ordered_map_writes_and_reads_them_back() {
        let keys = ["SO-000010", "SO-000002", "B", "A", "SO-000001", "ZZ", "a"];
        let mut hashed: HashedMap<String, u32> = HashedMap::default();
        let mut ordered: Map<String, u32> = Map::new();
        for (i, k) in keys.iter().enumerate() {
            hashed.insert(k.to_string(), i as u32);
            ordered.insert(k.to_string(), i as u32);
        }
        let config = bincode::config::standard();
        let a = bincode::serde::encode_to_vec(&hashed, config).expect("encode");
        let b = bincode::serde::encode_to_vec(&ordered, config).expect("encode");
        assert_eq!(a, b);
        let (back, _): (HashedMap<String, u32>, usize) =
            bincode::serde::decode_from_slice(&b, config).expect("decode");
        assert!(back == hashed);
        let sorted: Vec<&str> = back.keys_sorted().into_iter().map(|k| k.as_str()).collect();
        assert_eq!(
            sorted,
            ["A", "B", "SO-000001", "SO-000002", "SO-000010", "ZZ", "a"]
        );
        assert_eq!(back.get_min().map(|(k, _)| k.as_str()), Some("A"));
        let newest: Vec<&str> = back
            .greatest(3, |v| *v != 5)
            .into_iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(newest, ["a", "SO-000010", "SO-000002"]);
        assert!(back.greatest(0, |_| true).is_empty());
        assert_eq!(back.greatest(99, |_| true).len(), 7);
        assert_eq!(
            back.get_max().map(|(k, v)| (k.as_str(), *v)),
            Some(("a", 6))
        );
    }
}
