//! Lots of lot-tracked items (SPEC 3.3): a lot is captured when stock
//! first comes in (goods receipt, opening stock) with its expiry date, if
//! it has one (typed, or the GS1 (17) of the scan). A lot has one expiry:
//! more of it arriving with another date is refused, as is a lot already
//! expired. Picking goes first expiry first out (lots without an expiry
//! after those with one, then the lot received first), and expired lots
//! are neither allocated nor picked: they wait for a count or a transfer
//! to take them out.

use super::event::Event;
use super::rejection::Rejection;
use super::state::{Lot, State};
use super::types::Code;
use crate::core::types::ToCode;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// A lot is given exactly when the item is lot-tracked, and is a code.
pub fn lot_given(item: &super::master::Item, lot: Option<&str>) -> Result<(), Rejection> {
    match (item.lot_tracked, lot) {
        (true, None) => Err(Rejection::LotRequired {
            sku: item.sku.to_string(),
        }),
        (false, Some(_)) => Err(Rejection::LotNotExpected {
            sku: item.sku.to_string(),
        }),
        (_, Some(l)) => super::validate::code("lot", l),
        _ => Ok(()),
    }
}

/// Where a lot comes in the first-expiry-first-out order: by expiry (a lot
/// that never expires as the last possible date), then the lot received
/// first, then the lot code.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LotOrder {
    expiry: NaiveDate,
    received: Option<NaiveDate>,
    lot: Option<Code>,
}

impl LotOrder {
    pub fn of(state: &State, sku: &str, lot: Option<&str>) -> LotOrder {
        let known = lot.and_then(|l| state.lots.get(&(sku.to_code(), l.to_code())));
        LotOrder {
            expiry: known.and_then(|l| l.expiry).unwrap_or(NaiveDate::MAX),
            received: known.map(|l| l.received),
            lot: lot.map(Code::from),
        }
    }

    /// Past its expiry date (a lot may still go on the day it expires).
    pub fn expired(&self, today: NaiveDate) -> bool {
        self.expiry < today
    }
}

/// Lots first seen by one command: (sku, lot) -> expiry.
#[derive(Default)]
pub struct NewLots(BTreeMap<(Code, Code), Option<NaiveDate>>);

impl NewLots {
    /// Stock of `sku` coming in under `lot` with `expiry` (if given): check
    /// it against what is known of the lot, and note a lot never seen.
    pub fn check(
        &mut self,
        state: &State,
        sku: &str,
        lot: Option<&str>,
        expiry: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<(), Rejection> {
        let problem = |lot: &str, problem: String| Rejection::LotExpiry {
            sku: sku.to_string(),
            lot: lot.to_string(),
            problem,
        };
        let Some(lot) = lot else {
            return match expiry {
                Some(_) => Err(problem("-", "an expiry date needs a lot".into())),
                None => Ok(()),
            };
        };
        let key = (sku.to_code(), lot.to_code());
        let known = match state.lots.get(&key) {
            Some(l) => Some(l.expiry),
            None => self.0.get(&key).copied(),
        };
        let effective = match (known, expiry) {
            (Some(k), Some(e)) if k != Some(e) => {
                return Err(problem(
                    lot,
                    match k {
                        Some(k) => format!("the lot expires on {k}, not {e}"),
                        None => format!("the lot has no expiry date, not {e}"),
                    },
                ))
            }
            (Some(k), _) => k,
            (None, e) => e,
        };
        if let Some(d) = effective {
            if d < today {
                return Err(problem(
                    lot,
                    format!("expired on {d}: not taken into stock"),
                ));
            }
        }
        if known.is_none() {
            self.0.insert(key, expiry);
        }
        Ok(())
    }

    /// The events registering the lots first seen.
    pub fn events(self, today: NaiveDate) -> impl Iterator<Item = Event> {
        self.0
            .into_iter()
            .map(move |((sku, lot), expiry)| Event::LotRegistered {
                sku,
                lot,
                expiry,
                received: today,
            })
    }
}

pub fn apply_event(state: &mut State, event: &Event) {
    if let Event::LotRegistered {
        sku,
        lot,
        expiry,
        received,
    } = event
    {
        state.lots.insert(
            (sku.clone(), lot.clone()),
            Lot {
                expiry: *expiry,
                received: *received,
            },
        );
    }
}
