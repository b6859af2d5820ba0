//! Release, pick and ship (SPEC 3.1, steps 3, 4 and 6): a confirmed order's
//! reservations become a pick list per warehouse with lines in bin pick
//! sequence; a picker confirms each line by scanning the bin and the item
//! (SKU, internal barcode, GTIN, GS1-128 with (01)/(10)/(30)) and the
//! quantity in any unit of the item; ship confirm takes what was picked
//! out of stock at moving average cost (Dr COGS / Cr Inventory) and makes a
//! shipment, the document invoices are made from.
//!
//! Picked goods have left their bin: they count in the warehouse's
//! `in_pick` (and still in the item's cost pool) until shipped.

use super::command::Command;
use super::event::Event;
use super::master::{BinKind, PostingKey, RecordKind};
use super::posting::{JournalEntry, Posting};
use super::rejection::Rejection;
use super::sales::OrderStatus;
use super::state::{AddOrDrop, BinKey, Indexes, Modify, State};
use super::types::Code;
use super::validate;
use crate::core::types::ToCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PickStatus {
    Open,
    Shipped,
}

/// Why a picker found less than the line asks (the RF screen's numbered
/// choices).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShortReason {
    BinEmpty,
    Damaged,
    CannotFind,
    Other,
}

impl ShortReason {
    pub const ALL: [ShortReason; 4] = [
        ShortReason::BinEmpty,
        ShortReason::Damaged,
        ShortReason::CannotFind,
        ShortReason::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ShortReason::BinEmpty => "bin empty",
            ShortReason::Damaged => "damaged",
            ShortReason::CannotFind => "cannot find",
            ShortReason::Other => "other",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickLine {
    pub line: u32,
    /// The order line it serves.
    pub order_line: u32,
    pub sku: Code,
    pub bin: Code,
    pub pick_seq: u32,
    pub lot: Option<Code>,
    /// To pick, picked, and found missing (base units).
    pub qty: Decimal,
    pub picked: Decimal,
    pub short: Decimal,
}

impl PickLine {
    pub fn open(&self) -> Decimal {
        self.qty - self.picked - self.short
    }

    /// The bin position this line takes from.
    pub fn bin_key(&self, warehouse: &Code) -> BinKey {
        BinKey {
            warehouse: warehouse.clone(),
            bin: self.bin.clone(),
            sku: self.sku.clone(),
            lot: self.lot.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickList {
    pub number: Code,
    pub order: Code,
    pub warehouse: Code,
    pub status: PickStatus,
    pub lines: Vec<PickLine>,
    /// Cartons packed so far.
    #[serde(default)]
    pub cartons: Vec<super::pack::Carton>,
    /// The wave it was released in, if any.
    #[serde(default)]
    pub wave: Option<Code>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLine {
    pub order_line: u32,
    pub sku: Code,
    pub lot: Option<Code>,
    pub qty: Decimal,
    /// Order price per base unit, order currency.
    pub price: Decimal,
    /// Cost taken out of inventory, entity base currency.
    pub cost: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub number: Code,
    pub order: Code,
    pub pick_list: Code,
    pub customer: Code,
    pub entity: Code,
    pub warehouse: Code,
    pub date: chrono::NaiveDate,
    pub carrier: Code,
    pub service: Code,
    pub tracking: String,
    pub lines: Vec<ShipmentLine>,
    /// Freight charged by the carrier (entity currency).
    #[serde(default)]
    pub freight: Decimal,
    /// Invoiced by (none yet).
    pub invoice: Option<Code>,
    /// The cartons that left (empty for goods handed over at the counter).
    #[serde(default)]
    pub cartons: Vec<super::pack::Carton>,
}

/// What open pick lines still expect to take from a bin position
/// (`Indexes::promised`, kept by `apply`).
pub(crate) fn bin_promised(state: &State, key: &BinKey) -> Decimal {
    state.index.promised.get(key).copied().unwrap_or_default()
}

/// Add `qty` to what the bin position of `line` has promised.
pub(crate) fn promise(
    promised: &mut crate::core::state::Map<BinKey, Decimal>,
    warehouse: &Code,
    line: &PickLine,
    qty: Decimal,
) {
    if qty.is_zero() {
        return;
    }
    promised.add_or_drop(&line.bin_key(warehouse), qty);
}

/// What the open pick lists promise, computed from the lists themselves:
/// how a loaded snapshot rebuilds `Indexes::promised`, and what the
/// invariant check compares it with.
pub fn promised_by_open_lists(state: &State) -> crate::core::state::Map<BinKey, Decimal> {
    let mut promised = crate::core::state::Map::new();
    for p in state
        .index
        .open_picks
        .iter()
        .filter_map(|n| state.picks.get(n))
        .filter(|p| p.status == PickStatus::Open)
    {
        for l in &p.lines {
            promise(&mut promised, &p.warehouse, l, l.open());
        }
    }
    promised
}

/// Stock of a bin not yet promised to an open pick line.
fn bin_free(state: &State, key: &BinKey) -> Decimal {
    state.bin_stock.get(key).copied().unwrap_or_default() - bin_promised(state, key)
}

/// The pick list `list`, if it is open (not shipped).
pub(crate) fn open_list<'a>(state: &'a State, list: &str) -> Result<&'a PickList, Rejection> {
    let p = state
        .picks
        .get(&list.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::PickList,
            key: list.to_string(),
        })?;
    if p.status != PickStatus::Open {
        return Err(Rejection::PickState {
            list: list.to_string(),
            problem: "is already shipped".into(),
        });
    }
    Ok(p)
}

/// Bins to pick `qty` of `sku` from: pickable bins (not quarantine, not
/// dock, not a position found empty and not yet counted), first expiry
/// first out (then the lot received first), then in pick sequence; lots
/// expired by `today` are never picked.
/// (bin, seq, lot, qty).
fn choose_bins(
    state: &State,
    warehouse: &str,
    sku: &str,
    mut qty: Decimal,
    taken: &mut BTreeMap<BinKey, Decimal>,
    today: chrono::NaiveDate,
) -> Vec<(Code, u32, Option<Code>, Decimal)> {
    let mut candidates: Vec<(super::lots::LotOrder, u32, BinKey, Decimal)> = state
        .index
        .item_bins
        .get(&(warehouse.to_code(), sku.to_code()))
        .into_iter()
        .flatten()
        .filter_map(|k| {
            let bin = state.bins.get(&(k.warehouse.clone(), k.bin.clone()))?;
            if matches!(bin.kind, BinKind::Quarantine | BinKind::Dock) {
                return None;
            }
            // Found empty by a picker: not until it is counted.
            if state.pick_blocked.contains(k) {
                return None;
            }
            let order = super::lots::LotOrder::of(state, sku, k.lot.as_deref());
            if order.expired(today) {
                return None;
            }
            let free = bin_free(state, k) - taken.get(k).copied().unwrap_or_default();
            (free > Decimal::ZERO).then(|| (order, bin.pick_seq, k.clone(), free))
        })
        .collect();
    candidates.sort_by(|a, b| (&a.0, a.1, &a.2).cmp(&(&b.0, b.1, &b.2)));
    let mut out = Vec::new();
    for (_, seq, key, free) in candidates {
        if qty <= Decimal::ZERO {
            break;
        }
        let take = free.min(qty);
        qty -= take;
        *taken.entry(key.clone()).or_default() += take;
        out.push((key.bin, seq, key.lot, take));
    }
    out
}

pub(crate) fn order_lines_released(state: &State, number: &str) -> BTreeMap<u32, Decimal> {
    let mut out = BTreeMap::new();
    let lists = state
        .index
        .picks_by_order
        .get(&number.to_code())
        .cloned()
        .unwrap_or_default();
    for p in lists.iter().filter_map(|n| state.picks.get(n)) {
        for l in &p.lines {
            // Shipped or open lines both count as released; a short is not.
            *out.entry(l.order_line).or_default() += l.qty - l.short;
        }
    }
    out
}

/// The lines of an order with something to release (in `only`'s
/// warehouse, or any) and how much: what a line holds (reserved, picked,
/// shipped) beyond its pick lists, shipped or open (a short is not on
/// one).
pub(crate) fn lines_to_release<'a>(
    state: &State,
    o: &'a super::sales::SalesOrder,
    only: Option<&str>,
) -> Vec<(&'a super::sales::OrderLine, Decimal)> {
    let released = order_lines_released(state, &o.number);
    o.lines
        .iter()
        .filter(|l| !l.cancelled && only.is_none_or(|w| w == l.warehouse))
        .filter_map(|l| {
            let already = released.get(&l.line).copied().unwrap_or_default();
            let todo = l.reserved + l.picked + l.shipped - already;
            (todo > Decimal::ZERO).then_some((l, todo))
        })
        .collect()
}

/// The bins of `sku` in `warehouse` a picker found empty, when every
/// position of the item there with stock is one (kept from picking until
/// counted): a release would find nothing to pick. Empty when any other
/// position has stock, or none is kept.
pub fn found_empty_only(state: &State, warehouse: &str, sku: &str) -> Vec<Code> {
    let mut blocked = Vec::new();
    if state.pick_blocked.is_empty() {
        return blocked;
    }
    for k in state
        .index
        .item_bins
        .get(&(Code::from(warehouse), Code::from(sku)))
        .into_iter()
        .flatten()
    {
        if state.bin_stock.get(k).is_none_or(|q| q.is_zero()) {
            continue;
        }
        if !state.pick_blocked.contains(k) {
            return Vec::new();
        }
        if !blocked.contains(&k.bin) {
            blocked.push(k.bin.clone());
        }
    }
    blocked
}

/// Release a confirmed order's reserved quantities to the warehouse.
pub fn release(
    state: &State,
    number: &str,
    today: chrono::NaiveDate,
) -> Result<Vec<Event>, Rejection> {
    let lists = release_lists(
        state,
        number,
        None,
        state.next_pick,
        &mut BTreeMap::new(),
        today,
    )?;
    if lists.is_empty() {
        return Err(
            waits_on_count(state, number).unwrap_or_else(|| Rejection::NothingToRelease {
                number: number.to_string(),
            }),
        );
    }
    Ok(lists.into_iter().map(Event::PickListCreated).collect())
}

/// `WaitsOnCount` when what an order has to release lies only in bins
/// pickers found empty (every such line's item, in its warehouse).
fn waits_on_count(state: &State, number: &str) -> Option<Rejection> {
    let o = state.orders.get(&number.to_code())?;
    let todo = lines_to_release(state, o, None);
    if todo.is_empty() {
        return None;
    }
    let mut bins: Vec<String> = Vec::new();
    for (l, _) in &todo {
        let here = found_empty_only(state, &l.warehouse, &l.sku);
        if here.is_empty() {
            return None;
        }
        for b in here {
            let b = format!("{} {b}", l.warehouse);
            if !bins.contains(&b) {
                bins.push(b);
            }
        }
    }
    Some(Rejection::WaitsOnCount {
        number: number.to_string(),
        bins,
    })
}

/// The pick lists releasing an order would make (one per warehouse, or
/// only for `only`), numbered after `next`; `taken` carries what earlier
/// lists of the same command already took from each bin.
fn release_lists(
    state: &State,
    number: &str,
    only: Option<&str>,
    mut next: u64,
    taken: &mut BTreeMap<BinKey, Decimal>,
    today: chrono::NaiveDate,
) -> Result<Vec<PickList>, Rejection> {
    let o = state
        .orders
        .get(&number.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::SalesOrder,
            key: number.to_string(),
        })?;
    if o.status != OrderStatus::Open {
        return Err(Rejection::OrderState {
            number: number.to_string(),
            status: o.status,
            action: "release to the warehouse".into(),
        });
    }
    // The order's channel policy when it was placed, else the customer's.
    let ship_complete = super::channel::of_order(state, o).is_some_and(|p| p.ship_complete.value);
    if ship_complete {
        if let Some(l) = o
            .lines
            .iter()
            .find(|l| !l.cancelled && l.backordered > Decimal::ZERO)
        {
            return Err(Rejection::ShipComplete {
                number: number.to_string(),
                line: l.line,
                short: l.backordered,
            });
        }
    }
    let mut per_wh: BTreeMap<Code, Vec<PickLine>> = BTreeMap::new();
    for (l, todo) in lines_to_release(state, o, only) {
        for (bin, seq, lot, qty) in choose_bins(state, &l.warehouse, &l.sku, todo, taken, today) {
            per_wh
                .entry(l.warehouse.clone())
                .or_default()
                .push(PickLine {
                    line: 0,
                    order_line: l.line,
                    sku: l.sku.clone(),
                    bin,
                    pick_seq: seq,
                    lot,
                    qty,
                    picked: Decimal::ZERO,
                    short: Decimal::ZERO,
                });
        }
    }
    let mut out = Vec::new();
    for (warehouse, mut lines) in per_wh {
        lines.sort_by(|a, b| (a.pick_seq, &a.bin, &a.sku).cmp(&(b.pick_seq, &b.bin, &b.sku)));
        for (i, l) in lines.iter_mut().enumerate() {
            l.line = i as u32 + 1;
        }
        next += 1;
        out.push(PickList {
            number: Code::numbered("PK", next),
            order: number.to_code(),
            warehouse,
            status: PickStatus::Open,
            lines,
            cartons: Vec::new(),
            wave: None,
        });
    }
    Ok(out)
}

/// Most orders one wave releases.
pub const WAVE_ORDERS_MAX: usize = 500;

/// A wave: the pick lists of one warehouse for one carrier (and service)
/// released together to make its cutoff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wave {
    pub number: Code,
    pub warehouse: Code,
    pub carrier: Code,
    pub service: Option<Code>,
    /// The carrier's next cutoff when released, read on the warehouse's
    /// clock and kept as UTC.
    pub cutoff: chrono::NaiveDateTime,
    pub lists: Vec<Code>,
    pub released_by: Code,
}

/// Release, as one wave, every confirmed order of `warehouse` that ships
/// with `carrier` (and `service`), oldest requested date first: lines in
/// bin pick sequence per list, bins shared fairly in that order. Orders a
/// policy holds back (ship-complete and short) are left for a later wave.
pub fn release_wave(
    state: &State,
    cmd: &Command,
    warehouse: &str,
    carrier: &str,
    service: Option<&str>,
) -> Result<Vec<Event>, Rejection> {
    if !state.warehouses.contains_key(&warehouse.to_code()) {
        return Err(Rejection::NotFound {
            kind: RecordKind::Warehouse,
            key: warehouse.to_string(),
        });
    }
    let c = state
        .carriers
        .get(&carrier.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Carrier,
            key: carrier.to_string(),
        })?;
    let services: Vec<_> = c
        .services
        .iter()
        .filter(|s| service.is_none_or(|x| x == s.code))
        .collect();
    if services.is_empty() {
        return Err(Rejection::NotFound {
            kind: RecordKind::Carrier,
            key: format!("{carrier}/{}", service.unwrap_or_default()),
        });
    }
    // The next cutoff of the wave's services from now, read on the
    // warehouse's clock (a 17:00 cutoff is 17:00 where the dock is).
    let place = super::zone::Place::Warehouse(warehouse.to_code());
    let now = super::zone::local_time(state, &place, cmd.time);
    let cutoff = services
        .iter()
        .map(|s| {
            let today = now.date().and_time(s.cutoff);
            if today >= now {
                today
            } else {
                today + chrono::Duration::days(1)
            }
        })
        .min()
        .unwrap_or(now);
    let cutoff = super::zone::to_utc(state, &place, cmd.time, cutoff);
    let mut candidates: Vec<&super::sales::SalesOrder> = state
        .index
        .open_orders
        .values()
        .flatten()
        .filter_map(|n| state.orders.get(n).map(|o| &**o))
        .filter(|o| {
            o.carrier.as_deref() == Some(carrier)
                && service.is_none_or(|s| o.service.as_deref() == Some(s))
                && o.lines
                    .iter()
                    .any(|l| !l.cancelled && l.warehouse == warehouse && l.reserved > Decimal::ZERO)
        })
        .collect();
    candidates
        .sort_by(|a, b| (a.requested, a.date, &a.number).cmp(&(b.requested, b.date, &b.number)));
    let mut taken = BTreeMap::new();
    let mut next = state.next_pick;
    let mut lists = Vec::new();
    for o in candidates.into_iter().take(WAVE_ORDERS_MAX) {
        match release_lists(
            state,
            &o.number,
            Some(warehouse),
            next,
            &mut taken,
            cmd.warehouse_date(state, warehouse),
        ) {
            Ok(made) => {
                next += made.len() as u64;
                lists.extend(made);
            }
            // Held back by policy: the next wave takes it.
            Err(Rejection::ShipComplete { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    if lists.is_empty() {
        return Err(Rejection::NothingToRelease {
            number: format!("wave {warehouse}/{carrier}"),
        });
    }
    let number = format!("WV-{:06}", state.next_wave + 1);
    for l in &mut lists {
        l.wave = Some(number.clone().into());
    }
    let wave = Wave {
        number: number.into(),
        warehouse: warehouse.to_code(),
        carrier: carrier.to_code(),
        service: service.map(Code::from),
        cutoff,
        lists: lists.iter().map(|l| l.number.clone()).collect(),
        released_by: cmd.operator.clone(),
    };
    let mut out = vec![Event::WaveReleased(wave)];
    out.extend(lists.into_iter().map(Event::PickListCreated));
    Ok(out)
}

/// Confirm one pick line by bin scan, item scan and quantity.
#[allow(clippy::too_many_arguments)]
pub fn confirm_pick(
    state: &State,
    cmd: &Command,
    list: &str,
    line: u32,
    bin_scan: &str,
    item_scan: &str,
    qty: Option<Decimal>,
    short: bool,
    reason: Option<ShortReason>,
) -> Result<Vec<Event>, Rejection> {
    if reason.is_some() && !short {
        return Err(Rejection::InvalidText {
            field: "reason".into(),
            problem: "is the reason a line is short: give it with short".into(),
        });
    }
    let p = open_list(state, list)?;
    let l = p
        .lines
        .iter()
        .find(|l| l.line == line)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::PickList,
            key: format!("{list} line {line}"),
        })?;
    let open = l.open();
    if open <= Decimal::ZERO {
        return Err(Rejection::PickState {
            list: list.to_string(),
            problem: format!("line {line} is done"),
        });
    }
    let bin = bin_scan.trim();
    if bin != l.bin {
        return Err(Rejection::WrongBin {
            expected: l.bin.to_string(),
            scanned: bin.chars().take(40).collect(),
        });
    }
    let item = state.items.get(&l.sku).ok_or_else(|| Rejection::NotFound {
        kind: RecordKind::Item,
        key: l.sku.to_string(),
    })?;
    let scanned = state.scanned_item(item_scan, || l.sku.to_string())?;
    let (found, unit, lot, count) = (scanned.item, scanned.unit, scanned.lot, scanned.count);
    if found.sku != l.sku {
        return Err(Rejection::WrongItem {
            expected: l.sku.to_string(),
            scanned: found.sku.to_string(),
        });
    }
    if let (Some(want), Some(got)) = (&l.lot, &lot) {
        if want != got {
            return Err(Rejection::WrongLot {
                expected: want.to_string(),
                scanned: got.to_string(),
            });
        }
    }
    let factor = item.unit_factor(&unit).unwrap_or(Decimal::ONE);
    let units = qty.or(count).unwrap_or(Decimal::ONE);
    // Short with nothing found (an empty bin): no pick, only the short.
    let none_found = short && units.is_zero();
    if !none_found {
        validate::qty("qty", units, item.qty_decimals)?;
        // A lot that expired since it was allocated (or scanned past its
        // date) never leaves: short the line and the core re-offers
        // another lot or backorders (it may still go on its last day).
        let picked = lot.as_deref().or(l.lot.as_deref());
        if let Some(expiry) = state.lot_expiry(&l.sku, picked) {
            if expiry < cmd.warehouse_date(state, &p.warehouse) {
                return Err(Rejection::LotExpiry {
                    sku: l.sku.to_string(),
                    lot: picked.unwrap_or_default().to_string(),
                    problem: format!("expired on {expiry}: do not pick it, short the line"),
                });
            }
        }
    }
    let base = units * factor;
    if base > open {
        return Err(Rejection::out_of_range("qty", base, "0", open));
    }
    // A partial pick without `short` leaves the line open for the rest.
    // Sized for the usual one event (an event is large; a vector grown
    // from empty asks for four).
    let mut ev = Vec::with_capacity(if short { 4 } else { 1 });
    if !none_found {
        ev.push(Event::Picked {
            list: list.to_code(),
            line,
            order: p.order.clone(),
            order_line: l.order_line,
            warehouse: p.warehouse.clone(),
            bin: l.bin.clone(),
            sku: l.sku.clone(),
            lot: l.lot.clone(),
            qty: base,
            by: cmd.operator.clone(),
        });
    }
    let missing = open - base;
    if short && missing > Decimal::ZERO {
        ev.push(Event::PickShort {
            list: list.to_code(),
            line,
            order: p.order.clone(),
            order_line: l.order_line,
            warehouse: p.warehouse.clone(),
            sku: l.sku.clone(),
            qty: missing,
        });
        if let Some(reason) = reason {
            ev.push(Event::PickShortReason {
                list: list.to_code(),
                line,
                reason,
            });
        }
        // Another bin may have it; else the remainder waits for stock.
        let mut taken = BTreeMap::new();
        // The missing goods are not in the bin: do not offer it again.
        let key = BinKey {
            warehouse: p.warehouse.clone(),
            bin: l.bin.clone(),
            sku: l.sku.clone(),
            lot: l.lot.clone(),
        };
        // The book still shows stock where the picker found none: count
        // that bin now, before the next order is sent to it again.
        let left = state.bin_stock.get(&key).copied().unwrap_or_default() - base;
        if matches!(
            reason,
            Some(ShortReason::BinEmpty | ShortReason::CannotFind)
        ) && left > Decimal::ZERO
        {
            let today = cmd.warehouse_date(state, &p.warehouse);
            if let Some(c) = super::counts::count_now(state, &key, today) {
                ev.push(Event::CountsScheduled { counts: vec![c] });
            }
        }
        // Damaged goods leave the shelf for the warehouse's quarantine bin
        // (not promised, put away again once inspected, or scrapped by an
        // adjustment), and the bin's good stock is offered again: the
        // customer does not wait for what is on the shelf, and nobody is
        // sent to pick the damaged units again. Without a quarantine bin
        // the bin is passed over, as for the other reasons.
        let damaged = match reason {
            Some(ShortReason::Damaged) => quarantine_bin(state, &p.warehouse)
                .map(|q| (q, missing.min(left)))
                .filter(|(_, d)| *d > Decimal::ZERO),
            _ => None,
        };
        if let Some((quarantine, d)) = &damaged {
            let entity = state
                .warehouse_entity(&p.warehouse)
                .cloned()
                .unwrap_or_default();
            let moved = |bin: &Code, qty: Decimal| super::event::StockMove {
                entity: entity.clone(),
                warehouse: p.warehouse.clone(),
                bin: bin.clone(),
                sku: l.sku.clone(),
                lot: l.lot.clone(),
                qty,
                value: Decimal::ZERO,
            };
            ev.push(Event::PutAway {
                moves: vec![moved(&l.bin, -*d), moved(quarantine, *d)],
                directed: quarantine.clone(),
                reason: format!("damaged: found picking {list} line {line}"),
                by: cmd.operator.clone(),
            });
            // What the bin has free after the pick and the move is its
            // free stock now (less this line's whole promise, the events
            // not applied yet) and what of the promise the move did not
            // take: `d - missing`, at most 0, "taken".
            taken.insert(key, *d - missing);
        } else {
            taken.insert(key, Decimal::MAX / Decimal::from(4));
        }
        let others = choose_bins(
            state,
            &p.warehouse,
            &l.sku,
            missing,
            &mut taken,
            cmd.warehouse_date(state, &p.warehouse),
        );
        let found: Decimal = others.iter().map(|x| x.3).sum();
        let first = p.lines.iter().map(|x| x.line).max().unwrap_or(0) + 1;
        for (n, (bin, seq, lot, q)) in (first..).zip(others) {
            ev.push(Event::PickLineAdded {
                list: list.to_code(),
                line: PickLine {
                    line: n,
                    order_line: l.order_line,
                    sku: l.sku.clone(),
                    bin,
                    pick_seq: seq,
                    lot,
                    qty: q,
                    picked: Decimal::ZERO,
                    short: Decimal::ZERO,
                },
            });
        }
        let rest = missing - found;
        if rest > Decimal::ZERO {
            let entity = state
                .orders
                .get(&p.order)
                .map(|o| o.entity.clone())
                .unwrap_or_default();
            ev.push(Event::ReservationReleased {
                number: p.order.clone(),
                line: l.order_line,
                warehouse: p.warehouse.clone(),
                sku: l.sku.clone(),
                qty: rest,
            });
            ev.push(Event::Backordered {
                number: p.order.clone(),
                line: l.order_line,
                qty: rest,
                promise: super::sales::promise_new(
                    state,
                    &entity,
                    &p.warehouse,
                    &l.sku,
                    Decimal::ZERO,
                    rest,
                    cmd.warehouse_date(state, &p.warehouse),
                ),
            });
        }
    }
    Ok(ev)
}

/// The warehouse's quarantine bin (the first by code): where damaged
/// goods go.
fn quarantine_bin(state: &State, warehouse: &Code) -> Option<Code> {
    state
        .bins
        .range((warehouse.clone(), Code::default())..)
        .take_while(|((w, _), _)| w == warehouse)
        .find(|(_, b)| b.kind == BinKind::Quarantine)
        .map(|((_, b), _)| b.clone())
}

/// Ship what was picked on a pick list: packed in cartons, or, with
/// `at_counter`, handed over the counter unpacked.
#[allow(clippy::too_many_arguments)]
pub fn ship(
    state: &State,
    cmd: &Command,
    list: &str,
    carrier: &str,
    service: &str,
    tracking: &str,
    freight: Decimal,
    at_counter: bool,
) -> Result<Vec<Event>, Rejection> {
    let p = open_list(state, list)?;
    if let Some(l) = p.lines.iter().find(|l| l.open() > Decimal::ZERO) {
        return Err(Rejection::PickState {
            list: list.to_string(),
            problem: format!(
                "line {} still has {} to pick (or to report short)",
                l.line,
                l.open()
            ),
        });
    }
    if !at_counter {
        super::pack::ready_to_ship(p)?;
    }
    let c = state
        .carriers
        .get(&carrier.to_code())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Carrier,
            key: carrier.to_string(),
        })?;
    if !c.services.iter().any(|s| s.code == service) {
        return Err(Rejection::NotFound {
            kind: RecordKind::Carrier,
            key: format!("{carrier}/{service}"),
        });
    }
    validate::text("tracking", tracking, false)?;

    let o = state
        .orders
        .get(&p.order)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::SalesOrder,
            key: p.order.to_string(),
        })?;
    let currency = state
        .entities
        .get(&o.entity)
        .map(|e| e.base_currency.clone())
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::Entity,
            key: o.entity.to_string(),
        })?;
    validate::amount("freight", freight, &currency)?;
    // Group picked quantities per order line and lot; cost each item at
    // its moving average, the pool shrinking as units leave.
    let mut per: BTreeMap<(u32, Code, Option<Code>), Decimal> = BTreeMap::new();
    for l in p.lines.iter().filter(|l| l.picked > Decimal::ZERO) {
        *per.entry((l.order_line, l.sku.clone(), l.lot.clone()))
            .or_default() += l.picked;
    }
    if per.is_empty() {
        return Err(Rejection::PickState {
            list: list.to_string(),
            problem: "has nothing picked".into(),
        });
    }
    let mut pools: BTreeMap<Code, super::state::CostPool> = BTreeMap::new();
    let mut lines = Vec::new();
    let number = Code::numbered("SH", state.next_shipment + 1);
    let mut posting = Posting::new(
        state,
        &o.entity,
        cmd.warehouse_date(state, &p.warehouse),
        &number,
        "cost of goods shipped",
    );
    for ((order_line, sku, lot), qty) in per {
        let pool = pools.entry(sku.clone()).or_insert_with(|| {
            state
                .costs
                .get(&(o.entity.clone(), sku.clone()))
                .cloned()
                .unwrap_or_default()
        });
        let cost = pool.issue_value(qty, |v| currency.round(v));
        pool.qty -= qty;
        pool.value -= cost;
        let price = o
            .lines
            .iter()
            .find(|l| l.line == order_line)
            .map(|l| l.price)
            .unwrap_or_default();
        posting = posting.debit(PostingKey::Cogs, cost, None).credit(
            PostingKey::Inventory,
            cost,
            Some(&sku),
        );
        lines.push(ShipmentLine {
            order_line,
            sku,
            lot,
            qty,
            price,
            cost,
        });
    }
    let journal: JournalEntry = posting.build()?;
    Ok(vec![Event::Shipped {
        shipment: Shipment {
            number,
            order: p.order.clone(),
            pick_list: list.to_code(),
            customer: o.customer.clone(),
            entity: o.entity.clone(),
            warehouse: p.warehouse.clone(),
            date: cmd.warehouse_date(state, &p.warehouse),
            carrier: carrier.to_code(),
            service: service.to_code(),
            tracking: tracking.to_string(),
            lines,
            freight,
            invoice: None,
            cartons: p.cartons.clone(),
        },
        journal,
    }])
}

/// A pick line picked or found short by `qty` (`change` adds it): its
/// bin promises that much less while its list is open.
fn take_from_line(
    state: &mut State,
    list: &str,
    line: u32,
    qty: Decimal,
    change: impl FnOnce(&mut PickLine),
) {
    let Some(p) = state.picks.get_mut(&list.to_code()) else {
        return;
    };
    let open = p.status == PickStatus::Open;
    let warehouse = p.warehouse.clone();
    if let Some(l) = p.lines.iter_mut().find(|l| l.line == line) {
        change(l);
        if open {
            promise(&mut state.index.promised, &warehouse, l, -qty);
        }
    }
}

/// Apply the warehouse events.
pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::PickListCreated(p) => {
            state.next_pick += 1;
            state.index.open_picks.insert(p.number.clone());
            if p.status == PickStatus::Open {
                for l in &p.lines {
                    promise(&mut state.index.promised, &p.warehouse, l, l.open());
                }
            }
            state
                .index
                .picks_by_order
                .modify(p.order.clone(), |v| v.push(p.number.clone()));
            state.picks.insert(p.number.clone(), p.clone().into());
        }
        Event::WaveReleased(w) => {
            state.next_wave += 1;
            state.waves.insert(w.number.clone(), w.clone());
        }
        Event::PickLineAdded { list, line } => {
            if let Some(p) = state.picks.get_mut(list) {
                if p.status == PickStatus::Open {
                    promise(&mut state.index.promised, &p.warehouse, line, line.open());
                }
                p.lines.push(line.clone());
            }
        }
        Event::Picked {
            list,
            line,
            order,
            order_line,
            warehouse,
            bin,
            sku,
            lot,
            qty,
            ..
        } => {
            take_from_line(state, list, *line, *qty, |l| l.picked += *qty);
            let key = BinKey {
                warehouse: warehouse.clone(),
                bin: bin.clone(),
                sku: sku.clone(),
                lot: lot.clone(),
            };
            state.add_bin_stock(&key, -*qty);
            state.stock.modify((warehouse.clone(), sku.clone()), |st| {
                st.on_hand -= *qty;
                st.reserved -= *qty;
                st.in_pick += *qty;
            });
            if let Some(l) = state
                .orders
                .get_mut(order)
                .and_then(|o| o.lines.iter_mut().find(|l| l.line == *order_line))
            {
                l.reserved -= *qty;
                l.picked += *qty;
            }
        }
        Event::PickShortReason { list, line, reason } => {
            state.short_reasons.insert((list.clone(), *line), *reason);
            // Nothing where the book has stock: the rest of the position
            // is kept from pickers and promises until it is counted (the
            // short's command schedules the count, `confirm_pick`).
            if matches!(reason, ShortReason::BinEmpty | ShortReason::CannotFind) {
                let key = state.picks.get(list).and_then(|p| {
                    let l = p.lines.iter().find(|l| l.line == *line)?;
                    Some(l.bin_key(&p.warehouse))
                });
                if let Some(key) = key {
                    if state
                        .bin_stock
                        .get(&key)
                        .is_some_and(|q| *q > Decimal::ZERO)
                    {
                        state.pick_blocked.insert(key);
                    }
                }
            }
        }
        Event::PickShort {
            list, line, qty, ..
        } => {
            take_from_line(state, list, *line, *qty, |l| l.short += *qty);
        }
        Event::Shipped { shipment, journal } => {
            state.next_shipment += 1;
            state.index.open_picks.remove(&shipment.pick_list);
            Indexes::add(
                &mut state.index.uninvoiced,
                &shipment.customer,
                &shipment.number,
            );
            if let Some(p) = state.picks.get_mut(&shipment.pick_list) {
                if p.status == PickStatus::Open {
                    for l in &p.lines {
                        promise(&mut state.index.promised, &p.warehouse, l, -l.open());
                    }
                }
                p.status = PickStatus::Shipped;
            }
            for l in &shipment.lines {
                if let Some(st) = state
                    .stock
                    .get_mut(&(shipment.warehouse.clone(), l.sku.clone()))
                {
                    st.in_pick -= l.qty;
                }
                state
                    .costs
                    .modify((shipment.entity.clone(), l.sku.clone()), |pool| {
                        pool.qty -= l.qty;
                        pool.value -= l.cost;
                    });
                state.record_demand(&shipment.warehouse, &l.sku, shipment.date, l.qty);
                if let Some(ol) = state
                    .orders
                    .get_mut(&shipment.order)
                    .and_then(|o| o.lines.iter_mut().find(|x| x.line == l.order_line))
                {
                    ol.picked -= l.qty;
                    ol.shipped += l.qty;
                }
            }
            if let Some(o) = state.orders.get(&shipment.order) {
                if o.lines.iter().all(|l| l.cancelled || l.shipped >= l.qty) {
                    let (c, n) = (o.customer.clone(), o.number.clone());
                    Indexes::remove(&mut state.index.open_orders, &c, &n);
                }
            }
            super::apply::apply_journal(state, journal);
            state
                .index
                .shipments_by_order
                .modify(shipment.order.clone(), |v| v.push(shipment.number.clone()));
            state
                .shipments
                .insert(shipment.number.clone(), shipment.clone().into());
        }
        _ => {}
    }
}

#[cfg(test)]
mod promised_tests {
    use super::promised_by_open_lists;
    use crate::core::invariants::{check_state, Violation};
    use crate::core::testing::demo;
    use crate::core::types::ToCode;
    use crate::core::State;
    use rust_decimal::Decimal;

    fn run(s: &mut State, body: serde_json::Value) {
        crate::core::testing::run(s, serde_json::from_value(body).expect("a command"));
    }

    fn promised(s: &State) -> Vec<(String, Decimal)> {
        s.index
            .promised
            .iter()
            .map(|(k, q)| (format!("{}/{}/{}", k.warehouse, k.bin, k.sku), *q))
            .collect()
    }

    /// What open pick lines promise per bin follows every pick, short and
    /// shipment; the invariant check names a wrong figure, and a snapshot
    /// (which does not save it) rebuilds the same from the open lists.
    #[test]
    fn what_open_pick_lines_promise_per_bin_is_kept_checked_and_rebuilt() {
        let mut s = demo(chrono::Utc::now().date_naive());
        let none: Vec<(String, Decimal)> = Vec::new();
        assert_eq!(promised(&s), none);
        run(
            &mut s,
            serde_json::json!({"cmd": "place_order", "customer": "C0002",
                "lines": [{"sku": "FAS-1001", "qty": "12", "warehouse": "CHI"}]}),
        );
        run(
            &mut s,
            serde_json::json!({"cmd": "release_order", "number": "SO-000001"}),
        );
        let list = s
            .picks
            .get(&"PK-000001".to_code())
            .expect("released")
            .clone();
        let bin = list.lines[0].bin.to_string();
        let at = |q: i64| vec![(format!("CHI/{bin}/FAS-1001"), Decimal::from(q))];
        assert_eq!(promised(&s), at(12));
        // A snapshot does not carry it; the open lists give it back.
        let bytes = crate::store::codec::encode_snapshot(s.seq, &s).expect("encoded");
        let back: State = crate::store::codec::decode_snapshot(s.seq, &bytes).expect("decoded");
        assert!(back.index.promised.is_empty());
        assert_eq!(promised_by_open_lists(&back), s.index.promised);
        // A wrong figure is named.
        let mut wrong = s.clone();
        let first = wrong
            .index
            .promised
            .keys()
            .next()
            .cloned()
            .expect("one bin");
        wrong.index.promised.insert(first, Decimal::from(13));
        assert!(matches!(
            check_state(&wrong),
            Err(Violation::OrderLine { problem, .. }) if problem.contains("promise per bin")
        ));
        run(
            &mut s,
            serde_json::json!({"cmd": "confirm_pick", "list": "PK-000001", "line": 1,
                "bin": bin, "item": "FAS-1001", "qty": "5"}),
        );
        assert_eq!(promised(&s), at(7));
        run(
            &mut s,
            serde_json::json!({"cmd": "confirm_pick", "list": "PK-000001", "line": 1,
                "bin": bin, "item": "FAS-1001", "qty": "4", "short": true}),
        );
        // The 3 missing are looked for in another bin: a line of its own,
        // promised there; the first bin promises nothing more.
        let lines = &s.picks.get(&"PK-000001".to_code()).expect("the list").lines;
        assert_eq!(lines[0].open(), Decimal::ZERO);
        assert_eq!(lines.len(), 2);
        assert_ne!(lines[1].bin, bin);
        let other_bin = lines[1].bin.to_string();
        let other = vec![(format!("CHI/{other_bin}/FAS-1001"), Decimal::from(3))];
        assert_eq!(promised(&s), other);
        run(
            &mut s,
            serde_json::json!({"cmd": "confirm_pick", "list": "PK-000001", "line": 2,
                "bin": other_bin, "item": "FAS-1001", "qty": "2"}),
        );
        let other = vec![(format!("CHI/{other_bin}/FAS-1001"), Decimal::ONE)];
        assert_eq!(promised(&s), other);
        run(
            &mut s,
            serde_json::json!({"cmd": "confirm_pick", "list": "PK-000001", "line": 2,
                "bin": other_bin, "item": "FAS-1001", "qty": "1"}),
        );
        assert_eq!(promised(&s), none);
        run(
            &mut s,
            serde_json::json!({"cmd": "pack_carton", "list": "PK-000001",
                "contents": [{"item": "FAS-1001", "qty": "12"}], "weight": "15.732"}),
        );
        run(
            &mut s,
            serde_json::json!({"cmd": "ship_pick", "list": "PK-000001",
                "carrier": "FEDEX", "service": "GND"}),
        );
        assert_eq!(promised(&s), none);
    }
}
