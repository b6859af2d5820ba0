//! A set for the indexes' inner sets (the bins of one item, the open
//! invoices of one customer): most hold one to a few members, and a
//! persistent `OrdSet` allocates a whole tree node even for one (about
//! 2 KB per item for `item_bins`; issue 21 measured it). Up to
//! [`SMALL_SET_VEC_MAX`] members live in a sorted slice behind an `Arc`
//! (one allocation, where an `Arc<Vec>` took two and 48 bytes more; a
//! clone of the state still only bumps a count); past that, in an
//! `OrdSet`, so that a customer with thousands of open invoices is not
//! copied whole on each change.
//!
//! It encodes as `OrdSet` does (its length, then its members in order),
//! so stores and snapshots read the same bytes either way, and two sets
//! are equal when their members are, whichever form holds them.

use imbl::OrdSet;
use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeSeq, Serializer};
use std::borrow::Borrow;
use std::sync::Arc;

/// Members held in the sorted vector at most; one more moves them to an
/// `OrdSet`, and they move back once half of that remain.
pub const SMALL_SET_VEC_MAX: usize = 16;

#[derive(Clone)]
pub enum SmallSet<T: Ord + Clone> {
    /// Sorted, no duplicates, at most `SMALL_SET_VEC_MAX`.
    Vec(Arc<[T]>),
    Tree(OrdSet<T>),
}

impl<T: Ord + Clone> Default for SmallSet<T> {
    fn default() -> Self {
        SmallSet::Vec(Arc::from(Vec::new()))
    }
}

impl<T: Ord + Clone> SmallSet<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        match self {
            SmallSet::Vec(v) => v.len(),
            SmallSet::Tree(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains<Q>(&self, q: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self {
            SmallSet::Vec(v) => v.binary_search_by(|x| x.borrow().cmp(q)).is_ok(),
            SmallSet::Tree(t) => t.contains(q),
        }
    }

    /// Add `value`: true when it was not a member. An equal member
    /// already there stays, and the set is not touched (no copy of the
    /// shared slice or of the tree's path to it).
    pub fn insert(&mut self, value: T) -> bool {
        match self {
            SmallSet::Vec(v) => match v.binary_search(&value) {
                Ok(_) => false,
                Err(i) if v.len() < SMALL_SET_VEC_MAX => {
                    edit(v, |w| w.insert(i, value));
                    true
                }
                Err(_) => {
                    let mut t: OrdSet<T> = v.iter().cloned().collect();
                    t.insert(value);
                    *self = SmallSet::Tree(t);
                    true
                }
            },
            SmallSet::Tree(t) => !t.contains(&value) && t.insert(value).is_none(),
        }
    }

    /// Take out the member equal to `q`, if any.
    pub fn remove<Q>(&mut self, q: &Q) -> Option<T>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self {
            SmallSet::Vec(v) => match v.binary_search_by(|x| x.borrow().cmp(q)) {
                Ok(i) => Some(edit(v, |w| w.remove(i))),
                Err(_) => None,
            },
            SmallSet::Tree(t) => {
                let out = t.remove(q);
                if t.len() <= SMALL_SET_VEC_MAX / 2 {
                    *self = SmallSet::Vec(t.iter().cloned().collect());
                }
                out
            }
        }
    }

    /// The members in ascending order.
    pub fn iter(&self) -> Iter<'_, T> {
        match self {
            SmallSet::Vec(v) => Iter::Vec(v.iter()),
            SmallSet::Tree(t) => Iter::Tree(t.iter()),
        }
    }
}

/// Change the members of a shared slice: a copy, changed, shared in its
/// place (at most [`SMALL_SET_VEC_MAX`] members are copied).
fn edit<T: Clone, R>(v: &mut Arc<[T]>, f: impl FnOnce(&mut Vec<T>) -> R) -> R {
    let mut w = v.to_vec();
    let out = f(&mut w);
    *v = Arc::from(w);
    out
}

pub enum Iter<'a, T: Ord + Clone> {
    Vec(std::slice::Iter<'a, T>),
    Tree(imbl::ordset::Iter<'a, T, imbl::shared_ptr::DefaultSharedPtr>),
}

impl<'a, T: Ord + Clone> Iterator for Iter<'a, T> {
    type Item = &'a T;
    fn next(&mut self) -> Option<&'a T> {
        match self {
            Iter::Vec(i) => i.next(),
            Iter::Tree(i) => i.next(),
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Vec(i) => i.size_hint(),
            Iter::Tree(i) => i.size_hint(),
        }
    }
}

impl<'a, T: Ord + Clone> DoubleEndedIterator for Iter<'a, T> {
    fn next_back(&mut self) -> Option<&'a T> {
        match self {
            Iter::Vec(i) => i.next_back(),
            Iter::Tree(i) => i.next_back(),
        }
    }
}

impl<'a, T: Ord + Clone> IntoIterator for &'a SmallSet<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T: Ord + Clone> FromIterator<T> for SmallSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v: Vec<T> = iter.into_iter().collect();
        v.sort();
        v.dedup();
        if v.len() <= SMALL_SET_VEC_MAX {
            SmallSet::Vec(Arc::from(v))
        } else {
            SmallSet::Tree(v.into_iter().collect())
        }
    }
}

impl<T: Ord + Clone> PartialEq for SmallSet<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Ord + Clone> Eq for SmallSet<T> {}

impl<T: Ord + Clone + std::fmt::Debug> std::fmt::Debug for SmallSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<T: Ord + Clone + Serialize> Serialize for SmallSet<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for x in self.iter() {
            seq.serialize_element(x)?;
        }
        seq.end()
    }
}

impl<'de, T: Ord + Clone + Deserialize<'de>> Deserialize<'de> for SmallSet<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(d).map(|v| v.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any run of inserts and removes leaves the members an `OrdSet`
        /// would hold, in its order, encoded as it encodes them.
        #[test]
        fn behaves_and_encodes_as_an_ordset(ops in proptest::collection::vec((any::<bool>(), 0u16..40), 0..200)) {
            let mut small: SmallSet<u16> = SmallSet::new();
            let mut tree: OrdSet<u16> = OrdSet::new();
            for (add, x) in ops {
                let (kept, was) = (small.clone(), tree.clone());
                if add {
                    prop_assert_eq!(small.insert(x), tree.insert(x).is_none());
                } else {
                    prop_assert_eq!(small.remove(&x), tree.remove(&x));
                }
                // A clone taken before is not changed by the change.
                prop_assert!(kept.iter().eq(was.iter()));
                prop_assert_eq!(small.len(), tree.len());
                prop_assert!(small.iter().eq(tree.iter()));
                prop_assert!(small.iter().rev().eq(tree.iter().rev()));
                prop_assert_eq!(small.contains(&x), tree.contains(&x));
                if let SmallSet::Vec(v) = &small {
                    prop_assert!(v.len() <= SMALL_SET_VEC_MAX);
                }
                let cfg = bincode::config::standard();
                let a = bincode::serde::encode_to_vec(&small, cfg).unwrap();
                let b = bincode::serde::encode_to_vec(&tree, cfg).unwrap();
                prop_assert_eq!(&a, &b);
                let (back, _): (SmallSet<u16>, usize) =
                    bincode::serde::decode_from_slice(&b, cfg).unwrap();
                prop_assert_eq!(&back, &small);
            }
        }
    }

    #[test]
    fn a_clone_is_not_changed_by_a_change_to_the_original() {
        let mut a: SmallSet<u32> = (0..3).collect();
        let b = a.clone();
        a.insert(7);
        a.remove(&0);
        assert_eq!(b.iter().copied().collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(a.iter().copied().collect::<Vec<_>>(), [1, 2, 7]);
    }

    /// Adding a member already there changes nothing: the slice a clone
    /// shares stays the same allocation (no copy on every pick from a bin
    /// that still holds stock), and the answer says it was there.
    #[test]
    fn adding_a_member_already_there_touches_nothing() {
        let mut a: SmallSet<u32> = (0..3).collect();
        let before = a.clone();
        assert!(!a.insert(1));
        match (&a, &before) {
            (SmallSet::Vec(x), SmallSet::Vec(y)) => assert!(Arc::ptr_eq(x, y)),
            _ => panic!("three members are held in the slice"),
        }
        assert!(a.insert(5));
        assert_eq!(a.iter().copied().collect::<Vec<_>>(), [0, 1, 2, 5]);
        let mut big: SmallSet<u32> = (0..40).collect();
        assert!(!big.insert(39));
        assert!(big.insert(40));
        assert_eq!(big.len(), 41);
    }

    #[test]
    fn equal_members_are_equal_in_either_form() {
        let big: SmallSet<u32> = (0..40).collect();
        let mut shrunk = big.clone();
        for x in 3..40 {
            shrunk.remove(&x);
        }
        let small: SmallSet<u32> = (0..3).collect();
        assert!(matches!(big, SmallSet::Tree(_)));
        assert_eq!(shrunk, small);
        assert_ne!(big, small);
    }
}
