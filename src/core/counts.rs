//! Cycle counts (SPEC 3.3): counts scheduled by ABC class (A monthly, B
//! quarterly, C yearly), one per bin position, counted blind (the counter
//! never sees the book quantity); a count that differs from the book is
//! counted again by someone else; a confirmed variance is posted with a
//! reason code (Dr/Cr Inventory against Inventory adjustment, at moving
//! average cost), above the entity's approval limit only once approved.
//! Each count records whether the book was right (inventory accuracy).
//!
//! Stock found missing that was promised is taken back: open pick lines
//! of the bin are shorted and the order lines backordered, then other
//! reservations in the warehouse, youngest order first.

use super::command::Command;
use super::event::{Event, StockMove};
use super::master::{Abc, PostingKey, RecordKind};
use super::posting::{JournalEntry, Posting};
use super::rejection::Rejection;
use super::sales::promise_new;
use super::state::{BinKey, State};
use super::types::Code;
use super::validate;
use crate::core::types::ToCode;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Most counts one schedule creates.
pub const SCHEDULE_MAX: usize = 500;

/// Days between counts of an item by its ABC class.
pub fn interval(abc: Abc) -> i64 {
    match abc {
        Abc::A => 30,
        Abc::B => 91,
        Abc::C => 365,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountStatus {
    Open,
    /// The first count differed from the book: count again.
    Recount,
    /// A variance above the approval limit, waiting for an approval.
    AwaitingApproval,
    Posted,
    /// A manual adjustment whose variance was rejected: nothing posted.
    Rejected,
}

impl CountStatus {
    /// Still to be counted or approved (in `Indexes::open_counts`).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CountStatus::Open | CountStatus::Recount | CountStatus::AwaitingApproval
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Damage,
    Theft,
    Found,
    Correction,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub number: Code,
    pub warehouse: Code,
    pub bin: Code,
    pub sku: Code,
    pub lot: Option<Code>,
    pub abc: Abc,
    pub created: NaiveDate,
    pub status: CountStatus,
    pub first: Option<(Decimal, Code)>,
    pub second: Option<(Decimal, Code)>,
    /// Book quantity when it was settled, the variance and its value.
    pub book: Decimal,
    pub variance: Decimal,
    pub value: Decimal,
    pub reason: Option<Reason>,
    /// Was the book right (set when the count is settled)?
    pub accurate: Option<bool>,
    /// A stock adjustment someone made (`adjust_stock`), not a count: it
    /// says nothing of the book's accuracy and schedules no count.
    #[serde(default)]
    pub manual: bool,
}

impl Count {
    /// A new open count, number `n`, of bin position `k`, made `today`.
    fn open(n: u64, k: &BinKey, abc: Abc, today: NaiveDate) -> Count {
        Count {
            number: format!("CT-{n:06}").into(),
            warehouse: k.warehouse.clone(),
            bin: k.bin.clone(),
            sku: k.sku.clone(),
            lot: k.lot.clone(),
            abc,
            created: today,
            status: CountStatus::Open,
            first: None,
            second: None,
            book: Decimal::ZERO,
            variance: Decimal::ZERO,
            value: Decimal::ZERO,
            reason: None,
            accurate: None,
            manual: false,
        }
    }

    /// The bin position counted.
    pub fn key(&self) -> BinKey {
        BinKey {
            warehouse: self.warehouse.clone(),
            bin: self.bin.clone(),
            sku: self.sku.clone(),
            lot: self.lot.clone(),
        }
    }
}

/// Create the counts due in a warehouse (never counted first, then the
/// longest ago), or of the given items now, one per bin position holding
/// stock, at most `limit`.
pub fn schedule(
    state: &State,
    cmd: &Command,
    warehouse: &str,
    limit: usize,
    skus: &[Code],
) -> Result<Vec<Event>, Rejection> {
    for sku in skus {
        if !state.items.contains_key(sku) {
            return Err(Rejection::NotFound {
                kind: RecordKind::Item,
                key: sku.to_string(),
            });
        }
    }
    if !state.warehouses.contains_key(&warehouse.to_code()) {
        return Err(Rejection::NotFound {
            kind: RecordKind::Warehouse,
            key: warehouse.to_string(),
        });
    }
    if limit == 0 || limit > SCHEDULE_MAX {
        return Err(Rejection::out_of_range("limit", limit, "1", SCHEDULE_MAX));
    }
    let today = cmd.warehouse_date(state, warehouse);
    let counting: std::collections::BTreeSet<BinKey> = state
        .index
        .open_counts
        .iter()
        .filter_map(|n| state.counts.get(n))
        .map(Count::key)
        .collect();
    // (last counted, sku, abc) of items due.
    let mut due: Vec<(Option<NaiveDate>, &Code, Abc)> = state
        .index
        .item_bins
        .range((warehouse.to_code(), Code::default())..)
        .take_while(|((w, _), _)| w == warehouse)
        .filter_map(|((_, sku), _)| {
            let item = state.items.get(sku)?;
            let last = state
                .last_counted
                .get(&(warehouse.to_code(), sku.clone()))
                .copied();
            let is_due = if skus.is_empty() {
                last.is_none_or(|d| d + Duration::days(interval(item.abc)) <= today)
            } else {
                skus.contains(sku)
            };
            is_due.then_some((last, sku, item.abc))
        })
        .collect();
    due.sort();
    let mut out = Vec::new();
    let mut next = state.next_count;
    for (_, sku, abc) in due {
        let keys = state
            .index
            .item_bins
            .get(&(warehouse.to_code(), sku.clone()))
            .into_iter()
            .flatten();
        for k in keys {
            if out.len() >= limit {
                break;
            }
            if counting.contains(k) {
                continue;
            }
            next += 1;
            out.push(Count::open(next, k, abc, today));
        }
    }
    if out.is_empty() {
        return Err(Rejection::CountState {
            count: warehouse.to_string(),
            problem: "has no count due".into(),
        });
    }
    Ok(vec![Event::CountsScheduled { counts: out }])
}

/// A count of one bin position now, when none is open on it: what a
/// picker's "bin empty" or "cannot find" asks for, so that the stock the
/// book still shows there is found or written off before it is allocated
/// again. None when a count of it is already open.
pub fn count_now(state: &State, key: &BinKey, today: NaiveDate) -> Option<Count> {
    let open = state
        .index
        .open_counts
        .iter()
        .filter_map(|n| state.counts.get(n))
        .any(|c| c.key() == *key);
    if open {
        return None;
    }
    let abc = state.items.get(&key.sku).map(|i| i.abc)?;
    Some(Count::open(state.next_count + 1, key, abc, today))
}

fn count_of<'a>(state: &'a State, number: &str) -> Result<&'a Count, Rejection> {
    state
        .counts
        .get(&number.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Count,
            key: number.to_string(),
        })
}

/// Whether entering `qty` for count `number` needs a reason: a recount
/// (by someone other than the first counter) that differs from the book
/// adjusts it, and an adjustment says why.
pub fn needs_reason(state: &State, number: &str, qty: Decimal) -> bool {
    state.counts.get(&number.to_code()).is_some_and(|c| {
        c.status == CountStatus::Recount
            && qty != state.bin_stock.get(&c.key()).copied().unwrap_or_default()
    })
}

/// Enter a counted quantity (blind). The first count that differs from
/// the book asks for a recount by someone else; the recount settles it.
pub fn enter(
    state: &State,
    cmd: &Command,
    number: &str,
    qty: Decimal,
    reason: Option<Reason>,
) -> Result<Vec<Event>, Rejection> {
    let c = count_of(state, number)?;
    let decimals = state.items.get(&c.sku).map_or(0, |i| i.qty_decimals);
    if qty < Decimal::ZERO {
        return Err(Rejection::Negative {
            field: "qty".into(),
            value: qty,
        });
    }
    if !qty.is_zero() {
        validate::qty("qty", qty, decimals)?;
    }
    let book = state.bin_stock.get(&c.key()).copied().unwrap_or_default();
    let by = cmd.operator.clone();
    match c.status {
        CountStatus::Open if qty == book => Ok(vec![Event::CountSettled {
            number: number.to_code(),
            second: None,
            first: (qty, by),
            book,
            accurate: true,
            reason: None,
            adjustment: None,
        }]),
        CountStatus::Open => Ok(vec![Event::RecountNeeded {
            number: number.to_code(),
            first: (qty, by),
        }]),
        CountStatus::Recount => {
            let first = c.first.clone().unwrap_or((qty, by.clone()));
            if first.1 == by {
                return Err(Rejection::CountState {
                    count: number.to_string(),
                    problem: format!("was counted first by {by}: the recount is someone else's"),
                });
            }
            if qty == book {
                return Ok(vec![Event::CountSettled {
                    number: number.to_code(),
                    first,
                    second: Some((qty, by)),
                    book,
                    accurate: true,
                    reason: None,
                    adjustment: None,
                }]);
            }
            let Some(reason) = reason else {
                return Err(Rejection::InvalidText {
                    field: "reason".into(),
                    problem: "is needed for an adjustment: damage, theft, found or correction"
                        .into(),
                });
            };
            let (variance, value) = valued(state, c, qty - book)?;
            let limit = state
                .warehouse_entity(&c.warehouse)
                .and_then(|e| state.entities.get(e))
                .map(|e| e.adjustment_approval_limit)
                .unwrap_or_default();
            if value.abs() > limit {
                return Ok(vec![Event::CountHeld {
                    number: number.to_code(),
                    second: (qty, by),
                    book,
                    variance,
                    value,
                    reason,
                }]);
            }
            let mut ev = vec![];
            let adj = adjustment(state, cmd, c, variance, &mut ev)?;
            let mut out = vec![Event::CountSettled {
                number: number.to_code(),
                first,
                second: Some((qty, by)),
                book,
                accurate: false,
                reason: Some(reason),
                adjustment: Some(adj),
            }];
            out.extend(ev);
            Ok(out)
        }
        CountStatus::AwaitingApproval | CountStatus::Posted | CountStatus::Rejected => {
            Err(Rejection::CountState {
                count: number.to_string(),
                problem: "is not open for counting".into(),
            })
        }
    }
}

/// Reject a held variance: nothing is posted. A scheduled count goes back
/// to be counted again from the start (blind, by anyone: the counts that
/// disagreed with the book are what was rejected); a manual adjustment is
/// withdrawn. Anyone who may approve it may reject it, its counter or the
/// one who asked for the adjustment too: a rejection moves no stock.
pub fn reject(
    state: &State,
    cmd: &Command,
    number: &str,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let c = count_of(state, number)?;
    if c.status != CountStatus::AwaitingApproval {
        return Err(Rejection::CountState {
            count: number.to_string(),
            problem: "is not waiting for an approval".into(),
        });
    }
    validate::text("reason", reason, true)?;
    if reason.chars().count() > super::exceptions::TEXT_MAX {
        return Err(super::exceptions::too_long("reason"));
    }
    let mut ev = vec![Event::CountRejected {
        number: number.to_code(),
        by: cmd.operator.clone(),
        reason: reason.trim().to_string(),
    }];
    // A manual adjustment withdrawn may have been the open count a
    // position kept from pickers waits for (a picker found the bin empty
    // while the adjustment waited: no second count was made). The
    // position still needs counting: a count of it is scheduled with the
    // rejection, else it would stay kept from pickers and promises with
    // no count ever to release it.
    let key = c.key();
    if c.manual && state.pick_blocked.contains(&key) {
        let other = state
            .index
            .open_counts
            .iter()
            .filter(|n| n.as_str() != number)
            .filter_map(|n| state.counts.get(n))
            .any(|o| o.key() == key);
        let abc = state.items.get(&key.sku).map(|i| i.abc);
        if let (false, Some(abc)) = (other, abc) {
            let today = cmd.warehouse_date(state, &key.warehouse);
            ev.push(Event::CountsScheduled {
                counts: vec![Count::open(state.next_count + 1, &key, abc, today)],
            });
        }
    }
    Ok(ev)
}

/// A count settled: what it makes promisable again (a position a picker
/// found empty, counted; stock found) goes to the backorders waiting for
/// the item in that warehouse, as arriving stock does.
pub fn fill_after(state: &State, cmd: &Command, number: &str, mut ev: Vec<Event>) -> Vec<Event> {
    let Some(c) = state.counts.get(&number.to_code()) else {
        return ev;
    };
    let adjusted = ev.iter().find_map(|e| match e {
        Event::CountSettled { adjustment, .. } => {
            Some(adjustment.as_ref().map_or(Decimal::ZERO, |(m, _)| m.qty))
        }
        Event::CountApproved { adjustment, .. } => Some(adjustment.0.qty),
        _ => None,
    });
    let Some(adjusted) = adjusted else {
        return ev;
    };
    let key = c.key();
    let today = cmd.warehouse_date(state, &c.warehouse);
    let kept = super::sales::held_back(
        state,
        &key.warehouse,
        &key.bin,
        &key.sku,
        key.lot.as_deref(),
        today,
    );
    let book = state.bin_stock.get(&key).copied().unwrap_or_default();
    let freed = if kept {
        Decimal::ZERO
    } else if state.pick_blocked.contains(&key) {
        book + adjusted
    } else {
        adjusted
    };
    if freed > Decimal::ZERO {
        super::sales::fill_freed(state, &mut ev, &key.warehouse, &key.sku, freed, today);
    }
    ev
}

/// Approve a held variance (not one of the counters).
pub fn approve(state: &State, cmd: &Command, number: &str) -> Result<Vec<Event>, Rejection> {
    let c = count_of(state, number)?;
    if c.status != CountStatus::AwaitingApproval {
        return Err(Rejection::CountState {
            count: number.to_string(),
            problem: "is not waiting for an approval".into(),
        });
    }
    let counted_by = |x: &Option<(Decimal, Code)>| {
        x.as_ref()
            .is_some_and(|(_, b)| crate::core::exceptions::same_person(state, b, &cmd.operator))
    };
    if counted_by(&c.first) || counted_by(&c.second) {
        return Err(Rejection::CountState {
            count: number.to_string(),
            problem: format!("was counted by {}: someone else approves it", cmd.operator),
        });
    }
    let book = state.bin_stock.get(&c.key()).copied().unwrap_or_default();
    if book + c.variance < Decimal::ZERO {
        return Err(Rejection::CountState {
            count: number.to_string(),
            problem: format!(
                "the bin holds {book} now; a variance of {} would make it negative: count again",
                c.variance
            ),
        });
    }
    let (variance, _) = valued(state, c, c.variance)?;
    let mut ev = vec![];
    let adj = adjustment(state, cmd, c, variance, &mut ev)?;
    let mut out = vec![Event::CountApproved {
        number: number.to_code(),
        by: cmd.operator.clone(),
        adjustment: adj,
    }];
    out.extend(ev);
    Ok(out)
}

/// The variance and its value at moving average cost (base currency).
fn valued(state: &State, c: &Count, variance: Decimal) -> Result<(Decimal, Decimal), Rejection> {
    let entity = state
        .warehouse_entity(&c.warehouse)
        .cloned()
        .unwrap_or_default();
    let cur = state
        .entities
        .get(&entity)
        .map(|e| e.base_currency.clone())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Entity,
            key: entity.to_string(),
        })?;
    let pool = state
        .costs
        .get(&(entity, c.sku.clone()))
        .cloned()
        .unwrap_or_default();
    let value = if variance < Decimal::ZERO {
        -pool.issue_value(-variance, |v| cur.round(v))
    } else if pool.qty.is_zero() {
        Decimal::ZERO
    } else {
        cur.round(variance * pool.value / pool.qty)
    };
    Ok((variance, value))
}

/// The stock move and journal of a variance, and in `extra` the events
/// that take back promises of stock that is not there.
fn adjustment(
    state: &State,
    cmd: &Command,
    c: &Count,
    variance: Decimal,
    extra: &mut Vec<Event>,
) -> Result<(StockMove, Option<JournalEntry>), Rejection> {
    let (_, value) = valued(state, c, variance)?;
    let entity = state
        .warehouse_entity(&c.warehouse)
        .cloned()
        .unwrap_or_default();
    let mv = StockMove {
        entity: entity.clone(),
        warehouse: c.warehouse.clone(),
        bin: c.bin.clone(),
        sku: c.sku.clone(),
        lot: c.lot.clone(),
        qty: variance,
        value,
    };
    let journal = if value.is_zero() {
        None
    } else {
        Some(
            Posting::new(
                state,
                &entity,
                cmd.warehouse_date(state, &c.warehouse),
                &c.number,
                "count adjustment",
            )
            .debit(PostingKey::Inventory, value, Some(&c.sku))
            .credit(PostingKey::InventoryAdjustment, value, None)
            .build()?,
        )
    };
    if variance < Decimal::ZERO {
        take_back(state, cmd, c, -variance, extra);
    }
    Ok((mv, journal))
}

/// `missing` units of a bin are gone: short the bin's open pick lines
/// beyond what is left, then release reservations the warehouse can no
/// longer cover, youngest order first; what is taken back is backordered.
fn take_back(state: &State, cmd: &Command, c: &Count, missing: Decimal, out: &mut Vec<Event>) {
    let key = c.key();
    let left = state.bin_stock.get(&key).copied().unwrap_or_default() - missing;
    let entity = state
        .warehouse_entity(&c.warehouse)
        .cloned()
        .unwrap_or_default();
    let mut released = Decimal::ZERO;
    let mut demand = Decimal::ZERO;
    for p in state
        .index
        .open_picks
        .iter()
        .filter_map(|n| state.picks.get(n))
        .filter(|p| p.warehouse == c.warehouse)
    {
        for l in &p.lines {
            if l.bin != c.bin || l.sku != c.sku || l.lot != c.lot || l.open() <= Decimal::ZERO {
                continue;
            }
            demand += l.open();
            let cut = (demand - left).min(l.open());
            if cut <= Decimal::ZERO {
                continue;
            }
            out.push(Event::PickShort {
                list: p.number.clone(),
                line: l.line,
                order: p.order.clone(),
                order_line: l.order_line,
                warehouse: p.warehouse.clone(),
                sku: l.sku.clone(),
                qty: cut,
            });
            out.push(Event::ReservationReleased {
                number: p.order.clone(),
                line: l.order_line,
                warehouse: p.warehouse.clone(),
                sku: l.sku.clone(),
                qty: cut,
            });
            out.push(Event::Backordered {
                number: p.order.clone(),
                line: l.order_line,
                qty: cut,
                promise: promise_new(
                    state,
                    &entity,
                    &c.warehouse,
                    &c.sku,
                    Decimal::ZERO,
                    cut,
                    cmd.warehouse_date(state, &c.warehouse),
                ),
            });
            released += cut;
        }
    }
    // The warehouse as a whole: reserved must stay within what is there.
    let st = state
        .stock
        .get(&(c.warehouse.clone(), c.sku.clone()))
        .cloned()
        .unwrap_or_default();
    // Reserved stock must be on hand: what is picked for other orders does
    // not cover it.
    let mut excess = (st.reserved - released) - (st.on_hand - missing);
    if excess <= Decimal::ZERO {
        return;
    }
    let mut orders: Vec<&super::sales::SalesOrder> =
        super::sales::confirmed_orders(state).collect();
    orders.sort_by(|a, b| (b.date, &b.number).cmp(&(a.date, &a.number)));
    for o in orders {
        let on_lists = super::warehouse::order_lines_released(state, &o.number);
        for l in o
            .lines
            .iter()
            .filter(|l| !l.cancelled && l.warehouse == c.warehouse && l.sku == c.sku)
        {
            if excess <= Decimal::ZERO {
                return;
            }
            let open_on_lists =
                (on_lists.get(&l.line).copied().unwrap_or_default() - l.picked - l.shipped)
                    .max(Decimal::ZERO);
            // Reserved and not on a pick list (the pick lists' part was
            // dealt with above, bin by bin).
            let free = l.reserved - open_on_lists;
            let cut = free.min(excess);
            if cut <= Decimal::ZERO {
                continue;
            }
            excess -= cut;
            out.push(Event::ReservationReleased {
                number: o.number.clone(),
                line: l.line,
                warehouse: c.warehouse.clone(),
                sku: c.sku.clone(),
                qty: cut,
            });
            out.push(Event::Backordered {
                number: o.number.clone(),
                line: l.line,
                qty: cut,
                promise: promise_new(
                    state,
                    &entity,
                    &c.warehouse,
                    &c.sku,
                    Decimal::ZERO,
                    cut,
                    cmd.warehouse_date(state, &c.warehouse),
                ),
            });
        }
    }
}

fn settle(state: &mut State, number: &str, adjustment: &Option<(StockMove, Option<JournalEntry>)>) {
    if let Some((mv, j)) = adjustment {
        super::apply::apply_move(state, mv);
        if let Some(j) = j {
            super::apply::apply_journal(state, j);
        }
    }
    state.index.open_counts.remove(&number.to_code());
    // Counted (or set by hand): the position is picked from again.
    if let Some(c) = state.counts.get(&number.to_code()) {
        if !state.pick_blocked.is_empty() {
            state.pick_blocked.remove(&c.key());
        }
    }
    if let Some(c) = state.counts.get(&number.to_code()).filter(|c| !c.manual) {
        let k = (c.warehouse.clone(), c.sku.clone());
        let d = c.created;
        let e = state.last_counted.entry(k).or_insert(d);
        *e = (*e).max(d);
    }
}

/// Most units one adjustment may move.
pub const ADJUST_MAX: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// Adjust a bin's stock by `qty` (negative: out) for a reason: posted at
/// moving average cost against inventory adjustment, or above the
/// entity's adjustment limit held for an approval by someone else
/// (`approve_count`). Stock taken out that was promised is taken back as
/// a short count would.
#[allow(clippy::too_many_arguments)]
pub fn adjust(
    state: &State,
    cmd: &Command,
    warehouse: &str,
    bin: &str,
    sku: &str,
    lot: Option<&str>,
    qty: Decimal,
    reason: Reason,
) -> Result<Vec<Event>, Rejection> {
    if !state
        .bins
        .contains_key(&(warehouse.to_code(), bin.to_code()))
    {
        return Err(Rejection::NotFound {
            kind: RecordKind::Bin,
            key: format!("{warehouse}/{bin}"),
        });
    }
    let item = state
        .items
        .get(&sku.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Item,
            key: sku.to_string(),
        })?;
    super::lots::lot_given(item, lot)?;
    if qty.is_zero() {
        return Err(Rejection::NotPositive {
            field: "qty".into(),
            value: qty,
        });
    }
    // The adjustment's own bound first: checked after the general one
    // (0 to QTY_MAX on the size), a quantity beyond both was refused as
    // out of 0 to 1000000000, neither its sign nor the bound it breaks.
    if qty.abs() > ADJUST_MAX {
        return Err(Rejection::out_of_range(
            "qty",
            qty,
            format!("-{ADJUST_MAX}"),
            ADJUST_MAX,
        ));
    }
    validate::qty("qty", qty.abs(), item.qty_decimals)?;
    let key = BinKey {
        warehouse: warehouse.to_code(),
        bin: bin.to_code(),
        sku: sku.to_code(),
        lot: lot.map(Code::from),
    };
    let book = state.bin_stock.get(&key).copied().unwrap_or_default();
    if book + qty < Decimal::ZERO {
        return Err(Rejection::out_of_range(
            "qty",
            qty,
            format!("-{book} (the bin holds {book})"),
            ADJUST_MAX,
        ));
    }
    // Stock found in a lot never seen is a new lot (no expiry known).
    let mut lots = super::lots::NewLots::default();
    if qty > Decimal::ZERO {
        lots.check(state, sku, lot, None, cmd.warehouse_date(state, warehouse))?;
    }
    let mut c = Count {
        number: format!("CT-{:06}", state.next_count + 1).into(),
        warehouse: warehouse.to_code(),
        bin: bin.to_code(),
        sku: sku.to_code(),
        lot: lot.map(Code::from),
        abc: item.abc,
        created: cmd.warehouse_date(state, warehouse),
        status: CountStatus::Posted,
        first: Some((book + qty, cmd.operator.clone())),
        second: None,
        book,
        variance: qty,
        value: Decimal::ZERO,
        reason: Some(reason),
        accurate: None,
        manual: true,
    };
    let (_, value) = valued(state, &c, qty)?;
    c.value = value;
    let limit = state
        .warehouse_entity(warehouse)
        .and_then(|e| state.entities.get(e))
        .map(|e| e.adjustment_approval_limit)
        .unwrap_or_default();
    let mut out: Vec<Event> = lots.events(cmd.warehouse_date(state, warehouse)).collect();
    if value.abs() > limit {
        c.status = CountStatus::AwaitingApproval;
        out.push(Event::StockAdjusted {
            count: c,
            adjustment: None,
        });
        return Ok(out);
    }
    let mut extra = vec![];
    let adj = adjustment(state, cmd, &c, qty, &mut extra)?;
    out.push(Event::StockAdjusted {
        count: c,
        adjustment: Some(adj),
    });
    out.extend(extra);
    Ok(out)
}

pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::StockAdjusted { count, adjustment } => {
            state.next_count += 1;
            state.counts.insert(count.number.clone(), count.clone());
            if count.status == CountStatus::Posted {
                settle(state, &count.number, adjustment);
            } else {
                state.index.open_counts.insert(count.number.clone());
            }
        }
        Event::CountsScheduled { counts } => {
            for c in counts {
                state.next_count += 1;
                state.index.open_counts.insert(c.number.clone());
                state.counts.insert(c.number.clone(), c.clone());
            }
        }
        Event::RecountNeeded { number, first } => {
            if let Some(c) = state.counts.get_mut(number) {
                c.status = CountStatus::Recount;
                c.first = Some(first.clone());
            }
        }
        Event::CountHeld {
            number,
            second,
            book,
            variance,
            value,
            reason,
        } => {
            if let Some(c) = state.counts.get_mut(number) {
                c.status = CountStatus::AwaitingApproval;
                c.second = Some(second.clone());
                c.book = *book;
                c.variance = *variance;
                c.value = *value;
                c.reason = Some(*reason);
                c.accurate = Some(false);
            }
        }
        Event::CountSettled {
            number,
            first,
            second,
            book,
            accurate,
            reason,
            adjustment,
        } => {
            if let Some(c) = state.counts.get_mut(number) {
                c.status = CountStatus::Posted;
                c.first = Some(first.clone());
                c.second = second.clone();
                c.book = *book;
                c.accurate = Some(*accurate);
                c.reason = *reason;
                if let Some((mv, _)) = adjustment {
                    c.variance = mv.qty;
                    c.value = mv.value;
                }
            }
            settle(state, number, adjustment);
        }
        Event::CountRejected { number, .. } => {
            if let Some(c) = state.counts.get_mut(number) {
                if c.manual {
                    c.status = CountStatus::Rejected;
                    state.index.open_counts.remove(number);
                } else {
                    c.status = CountStatus::Open;
                    c.first = None;
                    c.second = None;
                    c.variance = Decimal::ZERO;
                    c.value = Decimal::ZERO;
                    c.reason = None;
                    c.accurate = None;
                }
            }
        }
        Event::CountApproved {
            number, adjustment, ..
        } => {
            if let Some(c) = state.counts.get_mut(number) {
                c.status = CountStatus::Posted;
                c.variance = adjustment.0.qty;
                c.value = adjustment.0.value;
            }
            settle(state, number, &Some(adjustment.clone()));
        }
        _ => {}
    }
}
