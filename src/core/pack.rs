//! Pack (SPEC 3.1 step 5): picked goods go into cartons, each scanned in
//! and weighed. The expected weight comes from the items' weights; a scale
//! weight off by more than the tolerance puts the carton on a weight hold,
//! an exception a supervisor (not the packer) releases, or the packer
//! unpacks and packs again. A pick list ships only when everything picked
//! is in cartons and no carton is held.

use super::command::Command;
use super::event::Event;
use super::master::RecordKind;
use super::rejection::Rejection;
use super::state::State;
use super::types::Code;
use super::validate;
use super::warehouse::PickList;
use crate::core::types::ToCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A scale weight may differ from the expected weight by this percentage...
pub const WEIGHT_TOLERANCE_PCT: Decimal = Decimal::from_parts(5, 0, 0, false, 0);
/// ...or by this many kilograms, whichever is more (small cartons).
pub const WEIGHT_TOLERANCE_MIN_KG: Decimal = Decimal::from_parts(2, 0, 0, false, 1);
/// The heaviest carton a scale reading may say (kg).
pub const CARTON_KG_MAX: Decimal = Decimal::from_parts(2000, 0, 0, false, 0);
/// Decimals a scale weight (kg) may have.
pub const WEIGHT_DECIMALS: u32 = 3;

/// A scale weight or tare as a carton takes it: above zero, at most
/// `WEIGHT_DECIMALS` decimals, at most `CARTON_KG_MAX` (the pack screen
/// asks it at the scale, before anything is submitted).
pub fn check_weight(field: &str, v: Decimal) -> Result<(), Rejection> {
    validate::qty(field, v, WEIGHT_DECIMALS)?;
    if v > CARTON_KG_MAX {
        return Err(Rejection::out_of_range(field, v, "0", CARTON_KG_MAX));
    }
    Ok(())
}

/// Most content lines per carton.
pub const CARTON_LINES_MAX: usize = 200;

/// One scan into a carton: the item (SKU, barcode, GTIN, GS1-128) and the
/// quantity in the scanned unit (default 1, or the GS1 count).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartonInput {
    pub item: String,
    #[serde(default)]
    pub qty: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartonLine {
    pub sku: Code,
    /// Base units.
    pub qty: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carton {
    /// 1, 2, ... within the pick list.
    pub number: u32,
    pub lines: Vec<CartonLine>,
    /// Scale weight less tare, and what the items should weigh (kg).
    pub weight: Decimal,
    pub expected: Decimal,
    /// Off by more than the tolerance and not yet released.
    pub held: bool,
    pub packed_by: Code,
    #[serde(default)]
    pub released_by: Option<Code>,
}

/// Picked and packed quantities per SKU of a pick list.
pub fn packed_vs_picked(p: &PickList) -> BTreeMap<&Code, (Decimal, Decimal)> {
    let mut out: BTreeMap<&Code, (Decimal, Decimal)> = BTreeMap::new();
    for l in &p.lines {
        out.entry(&l.sku).or_default().0 += l.picked;
    }
    for c in &p.cartons {
        for l in &c.lines {
            out.entry(&l.sku).or_default().1 += l.qty;
        }
    }
    out
}

/// Is `weight` close enough to `expected`?
pub fn within_tolerance(weight: Decimal, expected: Decimal) -> bool {
    let allowed =
        (expected * WEIGHT_TOLERANCE_PCT / Decimal::from(100)).max(WEIGHT_TOLERANCE_MIN_KG);
    (weight - expected).abs() <= allowed
}

fn carton_of(p: &PickList, carton: u32) -> Result<&Carton, Rejection> {
    p.cartons
        .iter()
        .find(|c| c.number == carton)
        .ok_or_else(|| Rejection::NotFound {
            kind: RecordKind::PickList,
            key: format!("{} carton {carton}", p.number),
        })
}

/// Pack one carton of a pick list.
pub fn pack(
    state: &State,
    cmd: &Command,
    list: &str,
    contents: &[CartonInput],
    weight: Decimal,
    tare: Decimal,
) -> Result<Vec<Event>, Rejection> {
    let p = super::warehouse::open_list(state, list)?;
    if contents.is_empty() {
        return Err(Rejection::PickState {
            list: list.to_string(),
            problem: "cannot pack an empty carton".into(),
        });
    }
    if contents.len() > CARTON_LINES_MAX {
        return Err(Rejection::out_of_range(
            "contents",
            contents.len(),
            "1",
            CARTON_LINES_MAX,
        ));
    }
    if tare < Decimal::ZERO {
        return Err(Rejection::Negative {
            field: "tare".into(),
            value: tare,
        });
    }
    check_weight("weight", weight)?;
    if !tare.is_zero() {
        check_weight("tare", tare)?;
    }
    if weight <= tare {
        return Err(Rejection::NotPositive {
            field: "weight less tare".into(),
            value: weight - tare,
        });
    }
    let room = packed_vs_picked(p);
    let mut lines: Vec<CartonLine> = Vec::new();
    for c in contents {
        let scanned = state.scanned_item(&c.item, || format!("an item picked on {list}"))?;
        let (item, unit, count) = (scanned.item, scanned.unit, scanned.count);
        let units = c.qty.or(count).unwrap_or(Decimal::ONE);
        validate::qty("qty", units, item.qty_decimals)?;
        if units <= Decimal::ZERO {
            return Err(Rejection::NotPositive {
                field: "qty".into(),
                value: units,
            });
        }
        let base = units * item.unit_factor(&unit).unwrap_or(Decimal::ONE);
        match lines.iter_mut().find(|l| l.sku == item.sku) {
            Some(l) => l.qty += base,
            None => lines.push(CartonLine {
                sku: item.sku.clone(),
                qty: base,
            }),
        }
    }
    let mut expected = Decimal::ZERO;
    for l in &lines {
        let (picked, packed) = room
            .get(&l.sku)
            .copied()
            .ok_or_else(|| Rejection::WrongItem {
                expected: format!("an item picked on {list}"),
                scanned: l.sku.to_string(),
            })?;
        if packed + l.qty > picked {
            return Err(Rejection::out_of_range(
                format!("qty of {}", l.sku),
                l.qty,
                "0",
                picked - packed,
            ));
        }
        let kg = state
            .items
            .get(&l.sku)
            .map(|i| i.weight_kg)
            .unwrap_or_default();
        expected += l.qty * kg;
    }
    let net = weight - tare;
    let number = next_carton(state, p);
    Ok(vec![Event::CartonPacked {
        list: list.to_code(),
        carton: Carton {
            number,
            lines,
            weight: net,
            expected: expected.round_dp(3),
            held: !within_tolerance(net, expected),
            packed_by: cmd.operator.clone(),
            released_by: None,
        },
    }])
}

/// The number of a list's next carton: past every carton on it, and past
/// every carton of it whose label or packing slip was printed. A carton
/// unpacked after its label printed does not give its number (and so its
/// SSCC) to the next one: a second print of `LIST/N` is a copy of the
/// first, and the box packed again carried the old carton's label.
pub fn next_carton(state: &State, p: &PickList) -> u32 {
    let on = p.cartons.iter().map(|c| c.number).max().unwrap_or(0);
    let prefix = format!("{}/", p.number);
    let prefix = prefix.as_str();
    let printed = ["carton-label", "packing-slip"]
        .into_iter()
        .flat_map(|kind| {
            let kind = kind.to_code();
            state
                .prints
                .range((kind.clone(), prefix.to_code())..)
                .take_while(move |((k, d), _)| *k == kind && d.starts_with(prefix))
                .filter_map(|((_, d), _)| d.rsplit_once('/')?.1.parse::<u32>().ok())
        })
        .max()
        .unwrap_or(0);
    on.max(printed) + 1
}

/// A supervisor accepts a carton's weight (not the one who packed it).
pub fn release(
    state: &State,
    cmd: &Command,
    list: &str,
    carton: u32,
) -> Result<Vec<Event>, Rejection> {
    let p = super::warehouse::open_list(state, list)?;
    let c = carton_of(p, carton)?;
    if !c.held {
        return Err(Rejection::PickState {
            list: list.to_string(),
            problem: format!("carton {carton} is not on a weight hold"),
        });
    }
    if crate::core::exceptions::same_person(state, &c.packed_by, &cmd.operator) {
        return Err(Rejection::OwnOrder {
            number: format!("{list} carton {carton}"),
        });
    }
    Ok(vec![Event::CartonReleased {
        list: list.to_code(),
        carton,
        by: cmd.operator.clone(),
    }])
}

/// Take a carton apart to pack its goods again.
pub fn unpack(state: &State, list: &str, carton: u32) -> Result<Vec<Event>, Rejection> {
    let p = super::warehouse::open_list(state, list)?;
    carton_of(p, carton)?;
    Ok(vec![Event::CartonUnpacked {
        list: list.to_code(),
        carton,
    }])
}

/// Why a pick list cannot ship yet, as far as packing goes.
pub fn ready_to_ship(p: &PickList) -> Result<(), Rejection> {
    if let Some(c) = p.cartons.iter().find(|c| c.held) {
        return Err(Rejection::PickState {
            list: p.number.to_string(),
            problem: format!(
                "carton {} weighs {} kg, {} kg expected: on hold for a supervisor",
                c.number, c.weight, c.expected
            ),
        });
    }
    for (sku, (picked, packed)) in packed_vs_picked(p) {
        if picked != packed {
            return Err(Rejection::PickState {
                list: p.number.to_string(),
                problem: format!("{sku}: {picked} picked but {packed} packed"),
            });
        }
    }
    Ok(())
}

pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::CartonPacked { list, carton } => {
            if let Some(p) = state.picks.get_mut(list) {
                p.cartons.push(carton.clone());
            }
        }
        Event::CartonReleased { list, carton, by } => {
            if let Some(c) = state
                .picks
                .get_mut(list)
                .and_then(|p| p.cartons.iter_mut().find(|c| c.number == *carton))
            {
                c.held = false;
                c.released_by = Some(by.clone());
            }
        }
        Event::CartonUnpacked { list, carton } => {
            if let Some(p) = state.picks.get_mut(list) {
                p.cartons.retain(|c| c.number != *carton);
            }
        }
        _ => {}
    }
}
