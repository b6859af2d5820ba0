//! A set of document numbers kept as runs (issue 21): the numbers of
//! archived orders and invoices grow with every year of history, and
//! they are given in sequence (`SO-000123`), so consecutive ones share
//! one entry. Ten years of a million order lines a year archive two
//! million orders: two million strings in a plain set, a few thousand
//! runs here (an order left open breaks a run, nothing more).

use super::state::{Map, Set};
use super::types::Code;
use crate::core::types::ToCode;
use serde::{Deserialize, Serialize};

/// `SO-000123` as (prefix `SO-`, width 6, 123); `None` without a numeric
/// tail, or with one longer than 19 digits.
fn split(n: &str) -> Option<(&str, u8, u64)> {
    let digits = n.len() - n.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 19 {
        return None;
    }
    let (prefix, tail) = n.split_at(n.len() - digits);
    Some((prefix, digits as u8, tail.parse().ok()?))
}

/// Document numbers, as runs of consecutive numbers of one prefix and
/// width (`SO-000007` and `SO-7` are different numbers).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberSet {
    /// (prefix, width, first) -> last: runs that neither overlap nor touch.
    runs: Map<(Code, u8, u64), u64>,
    /// Numbers without a numeric tail.
    other: Set<Code>,
}

impl NumberSet {
    /// Numbers held: O(runs), a few thousand for years of them.
    pub fn len(&self) -> u64 {
        let runs: u64 = self.runs.iter().map(|(k, last)| last - k.2 + 1).sum();
        runs + self.other.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.other.is_empty()
    }

    /// Runs kept (what the set costs in memory).
    pub fn runs(&self) -> usize {
        self.runs.len() + self.other.len()
    }

    /// The run holding or ending just before (prefix, width, n).
    fn run_at(&self, prefix: &str, width: u8, n: u64) -> Option<(u64, u64)> {
        let key = (Code::from(prefix), width, n);
        self.runs
            .range(..=key)
            .next_back()
            .filter(|((p, w, _), _)| p == prefix && *w == width)
            .map(|((_, _, first), last)| (*first, *last))
    }

    pub fn contains(&self, number: &str) -> bool {
        match split(number) {
            Some((prefix, width, n)) => self
                .run_at(prefix, width, n)
                .is_some_and(|(_, last)| last >= n),
            None => self.other.contains(&number.to_code()),
        }
    }

    /// Add `number`; false when it was there.
    pub fn insert(&mut self, number: &str) -> bool {
        let Some((prefix, width, n)) = split(number) else {
            return self.other.insert(number.into()).is_none();
        };
        let before = self.run_at(prefix, width, n);
        if before.is_some_and(|(_, last)| last >= n) {
            return false;
        }
        // Joins the run ending just before it, or starts one.
        let first = match before {
            Some((first, last)) if last.checked_add(1) == Some(n) => first,
            _ => n,
        };
        let mut last = n;
        // And the run starting just after it, if any.
        if let Some(next) = n.checked_add(1) {
            if let Some(end) = self.runs.remove(&(Code::from(prefix), width, next)) {
                last = end;
            }
        }
        self.runs.insert((Code::from(prefix), width, first), last);
        true
    }

    /// Every number, in order (prefix, width, value): for tests and tools.
    pub fn iter(&self) -> impl Iterator<Item = Code> + '_ {
        self.runs
            .iter()
            .flat_map(|((p, w, first), last)| {
                (*first..=*last)
                    .map(move |n| Code::from(format!("{p}{n:0width$}", width = *w as usize)))
            })
            .chain(self.other.iter().cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn consecutive_numbers_share_a_run() {
        let mut s = NumberSet::default();
        for n in [
            "SO-000003",
            "SO-000001",
            "SO-000002",
            "SO-000005",
            "X",
            "SO-7",
        ] {
            assert!(s.insert(n), "{n}");
        }
        assert!(!s.insert("SO-000002"));
        assert_eq!(s.len(), 6);
        // 1-3 and 5 of width 6, 7 of width 1, and X.
        assert_eq!(s.runs(), 4);
        assert!(s.contains("SO-000001") && s.contains("SO-000003") && s.contains("X"));
        assert!(!s.contains("SO-000004") && !s.contains("SO-4") && !s.contains("SO-000007"));
        assert!(s.contains("SO-7") && !s.contains("SO-07"));
        assert!(s.insert("SO-000004"));
        assert_eq!(s.runs(), 3, "4 joins 1-3 to 5");
        assert!(!s.contains("") && !s.contains("SO-") && !s.contains("IN-000001"));
        // A tail beyond u64 is kept as it is.
        let huge = "SO-99999999999999999999";
        assert!(s.insert(huge) && s.contains(huge) && !s.contains("SO-9999999999999999999"));
    }

    proptest! {
        /// The same answers as a plain set of the strings, whatever is
        /// inserted in whatever order.
        #[test]
        fn it_answers_as_a_set_of_strings(
            numbers in proptest::collection::vec(
                prop_oneof![
                    (0u64..40).prop_map(|n| format!("SO-{n:06}")),
                    (0u64..40).prop_map(|n| format!("SO-{n}")),
                    (0u64..40).prop_map(|n| format!("IN{n:03}")),
                    Just(format!("SO-{}", u64::MAX)),
                    Just(format!("SO-{:020}", 0)),
                    "[A-Z0-9-]{0,6}",
                ],
                0..120,
            ),
            probes in proptest::collection::vec((0u64..45).prop_map(|n| format!("SO-{n:06}")), 0..20),
        ) {
            let mut s = NumberSet::default();
            let mut plain = BTreeSet::new();
            for n in &numbers {
                prop_assert_eq!(s.insert(n), plain.insert(n.clone()), "{}", n);
                prop_assert_eq!(s.len(), plain.len() as u64);
            }
            for n in numbers.iter().chain(&probes) {
                prop_assert_eq!(s.contains(n), plain.contains(n), "{}", n);
            }
            let mut all: Vec<String> = s.iter().map(|c| c.to_string()).collect();
            all.sort();
            prop_assert_eq!(all, plain.into_iter().collect::<Vec<_>>());
        }
    }
}
