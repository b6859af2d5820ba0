//! A document kept behind a shared pointer in the state's maps.
//!
//! The engine publishes the state after every batch it decides
//! (`Arc::new(state.clone())`, engine.rs): the clone shares every node of
//! every map, so the next change to a map copies the leaf the change lands
//! in, 16 slots. With documents in the slots that copy cloned 16 orders
//! (or pick lists, shipments, invoices) with all their lines, and the
//! publisher later freed the 16 it replaced: about a quarter of the time
//! of `depot bench o2c --publish-every 1` (session 29,
//! docs/performance.md). With a `Shared` in the slot, copying a leaf
//! counts 16 references, and only the document that changes is cloned,
//! once per publish: a mutable borrow is `Arc::make_mut`, which copies
//! only while a published state still holds the old one.
//!
//! A `Shared<T>` reads, compares, prints and (de)serializes as the `T` it
//! holds: the store's bytes do not change.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

pub struct Shared<T>(Arc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Shared(Arc::new(value))
    }
}

impl<U: Clone> Shared<Vec<U>> {
    /// Append one item. A list still shared with a published state is
    /// copied with room to grow: the copy `make_mut` makes is exactly
    /// full, so the push reallocated it at once (an order's history, on
    /// each record of the order after a publish).
    pub fn push(&mut self, item: U) {
        if let Some(v) = Arc::get_mut(&mut self.0) {
            v.push(item);
            return;
        }
        let mut v = Vec::with_capacity((self.0.len() + 2).next_power_of_two().max(4));
        v.extend_from_slice(&self.0);
        v.push(item);
        self.0 = Arc::new(v);
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Copy on write: the first change after a publish clones this one
/// document; later changes in the same batch find it unshared.
impl<T: Clone> DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Self {
        Shared::new(value)
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Shared::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Shared::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_copies_only_a_shared_value_and_the_bytes_are_the_values() {
        let a = Shared::new(vec![1u64, 2, 3]);
        let mut b = a.clone();
        assert!(Arc::ptr_eq(&a.0, &b.0));
        b.push(4);
        // The published copy keeps what it had; the changed one is new.
        assert_eq!(*a, vec![1, 2, 3]);
        assert_eq!(*b, vec![1, 2, 3, 4]);
        assert!(!Arc::ptr_eq(&a.0, &b.0));
        // Unshared now: a second change does not copy again.
        let before = Arc::as_ptr(&b.0);
        b.push(5);
        assert_eq!(Arc::as_ptr(&b.0), before);
        assert_ne!(a, b);

        let cfg = bincode::config::standard();
        let ours = bincode::serde::encode_to_vec(&b, cfg).expect("encode");
        let plain = bincode::serde::encode_to_vec(vec![1u64, 2, 3, 4, 5], cfg).expect("encode");
        assert_eq!(ours, plain);
        let (back, _): (Shared<Vec<u64>>, usize) =
            bincode::serde::decode_from_slice(&plain, cfg).expect("decode");
        assert_eq!(back, b);
        assert_eq!(*back, vec![1, 2, 3, 4, 5]);
    }
}
