//! Pack (RF): scan the pick list (or its order), scan the picked items
//! into a carton (each scan counts one, or the GS1 count; a case barcode
//! a case), Enter on an empty field closes the carton, then the scale
//! weight (typed, or from a scale that types like a wedge: `2.62` or
//! `2.62 kg`) and Enter packs it as one `pack_carton` command. A weight
//! off by more than the tolerance is held by the core: the screen says so
//! with the bell and shows the expected weight; a supervisor releases it,
//! or the packer unpacks it with F6 (asked first) and packs it again.
//! An item not on the list, or more than was picked, is refused with the
//! bell before anything is submitted, and so is a weight the core would
//! refuse (at `kg>`, the carton staying at the scale).

use super::rf::{
    answer, draw, field_line, item_case, list_from_scan, refuse, rf_actions, rf_key, together,
    Answer, RfKey, RfLine, RF_MIN,
};
use crate::core::pack::{packed_vs_picked, CartonInput};
use crate::core::types::Code;
use crate::core::warehouse::PickStatus;
use crate::core::{CommandBody, Event, State};
use crate::query::qty as fmt_qty;
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::TextField;
use ratatui::layout::Rect;
use ratatui::Frame;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Pick lists of `warehouse` with picked goods not yet in a carton.
pub fn to_pack(s: &State, warehouse: &str) -> Vec<Code> {
    s.index
        .open_picks
        .iter()
        .filter_map(|n| s.picks.get(n))
        .filter(|p| p.warehouse == warehouse && p.status == PickStatus::Open)
        .filter(|p| packed_vs_picked(p).values().any(|(pk, pa)| pk > pa))
        .map(|p| p.number.clone())
        .collect()
}

/// The cartons of `warehouse` held on their weight, waiting for a
/// supervisor: (list, carton, weight, expected). From the state, so that
/// a hold stays on the packer's screen after the next list and a restart.
pub fn held_cartons(s: &State, warehouse: &str) -> Vec<(Code, u32, Decimal, Decimal)> {
    s.index
        .open_picks
        .iter()
        .filter_map(|n| s.picks.get(n))
        .filter(|p| p.warehouse == warehouse)
        .flat_map(|p| {
            p.cartons
                .iter()
                .filter(|c| c.held)
                .map(move |c| (p.number.clone(), c.number, c.weight, c.expected))
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    List,
    Items,
    Weight,
}

pub struct RfPack {
    pub warehouse: Code,
    pub list: Option<Code>,
    /// The carton being filled: SKU → base units.
    pub carton: BTreeMap<Code, Decimal>,
    pub step: Step,
    pub field: TextField,
    pub key: String,
    /// The last carton packed: (number, weight, expected, held).
    pub last: Option<(u32, Decimal, Decimal, bool)>,
    /// The last item scanned into the carton: (SKU, its unit's factor,
    /// base units it added). A number typed after it is the count of
    /// that scan, in its unit (18 units were 18 scans).
    last_scan: Option<(Code, Decimal, Decimal)>,
    notice: Option<Notice>,
    asking_leave: bool,
    /// The carton F6 asked to unpack, waiting for its `y`, then for the
    /// core's answer: (list, carton).
    unpacking: Option<(Code, u32)>,
}

impl RfPack {
    pub fn new(ctx: &Ctx) -> RfPack {
        RfPack {
            warehouse: super::rf::warehouse_of(ctx),
            list: None,
            carton: BTreeMap::new(),
            step: Step::List,
            field: TextField::default(),
            key: ctx.new_key(),
            last: None,
            last_scan: None,
            notice: None,
            asking_leave: false,
            unpacking: None,
        }
    }

    /// The carton F6 unpacks: with a list in hand its held carton, else
    /// its last; with none (or a list with no carton yet), the first held
    /// in the warehouse, the one on top of the screen. (list, carton,
    /// weight, expected, held.)
    fn to_unpack(&self, s: &State) -> Option<(Code, u32, Decimal, Decimal, bool)> {
        let in_hand = self.list.as_ref().and_then(|list| {
            let p = s.picks.get(list)?;
            let c = p
                .cartons
                .iter()
                .find(|c| c.held)
                .or_else(|| p.cartons.last())?;
            Some((list.clone(), c.number, c.weight, c.expected, c.held))
        });
        in_hand.or_else(|| {
            held_cartons(s, &self.warehouse)
                .into_iter()
                .next()
                .map(|(l, n, w, e)| (l, n, w, e, true))
        })
    }

    /// F6: ask before unpacking a carton (a held one to pack again, or the
    /// last one packed wrong); `y` only.
    fn ask_unpack(&mut self, ctx: &Ctx) -> Flow {
        let Some((list, n, w, e, held)) = self.to_unpack(ctx.state()) else {
            return refuse(
                &mut self.notice,
                match &self.list {
                    Some(l) => format!("{l} has no carton packed to unpack"),
                    None => "no carton held here: with a list in hand, F6 unpacks its last carton"
                        .into(),
                },
            );
        };
        self.unpacking = Some((list.clone(), n));
        let why = if held {
            format!(" (held: {} kg, {} kg expected)", fmt_qty(w), fmt_qty(e))
        } else {
            String::new()
        };
        Flow::ConfirmStrict(format!(
            "Unpack carton {n} of {list}{why}? Its goods are packed again."
        ))
    }

    /// A number typed after an item scan: that scan counts `q` of its
    /// unit. None when no scan of this carton is there to count.
    fn typed_count(&mut self, s: &State, q: Result<Decimal, String>) -> Option<Flow> {
        let (sku, factor, added) = self.last_scan.clone()?;
        // The scan is still in this carton (not packed or dropped since).
        let here = self.carton.get(&sku).copied()?;
        if here < added {
            return None;
        }
        let q = match q {
            // As in Receive: 0 takes the last scan back out.
            Ok(q) if q.is_zero() => {
                if here == added {
                    self.carton.remove(&sku);
                } else {
                    self.carton.insert(sku.clone(), here - added);
                }
                self.last_scan = None;
                self.notice = Some(Notice::info(format!("{sku}: last scan taken back")));
                return Some(Flow::Stay);
            }
            Ok(q) => q,
            Err(e) => return Some(refuse(&mut self.notice, e)),
        };
        let item = s.items.get(&sku)?;
        let unit = crate::ui::entry::unit_named(item, factor).to_string();
        if let Some(p) = crate::ui::entry::qty_problem(item, &unit, factor, q) {
            return Some(refuse(&mut self.notice, p));
        }
        // The count replaces the scan's: its units are room again.
        let room = self.remaining(s).get(&sku).copied().unwrap_or_default() + added;
        let n = q * factor;
        if n > room {
            // Said in the unit typed (a case's count in cases), as much
            // as the scan may count: what is left to pack with it.
            let most = (room / factor)
                .round_dp_with_strategy(item.qty_decimals, rust_decimal::RoundingStrategy::ToZero)
                .normalize();
            return Some(refuse(
                &mut self.notice,
                format!("too many {sku}: this scan counts at most {most} {unit}"),
            ));
        }
        self.carton.insert(sku.clone(), here - added + n);
        self.last_scan = Some((sku, factor, n));
        Some(Flow::Stay)
    }

    /// Still to pack per SKU on the list (picked − packed − in this carton).
    fn remaining(&self, s: &State) -> BTreeMap<Code, Decimal> {
        let Some(p) = self.list.as_ref().and_then(|l| s.picks.get(l)) else {
            return BTreeMap::new();
        };
        packed_vs_picked(p)
            .into_iter()
            .map(|(sku, (picked, packed))| {
                let here = self.carton.get(sku).copied().unwrap_or_default();
                (sku.clone(), picked - packed - here)
            })
            .filter(|(_, q)| *q > Decimal::ZERO)
            .collect()
    }

    fn expected_kg(&self, s: &State) -> Decimal {
        self.carton
            .iter()
            .map(|(sku, q)| *q * s.items.get(sku).map(|i| i.weight_kg).unwrap_or_default())
            .sum::<Decimal>()
            .round_dp(3)
    }

    fn accept(&mut self, ctx: &Ctx) -> Flow {
        let text = self.field.take();
        let text = text.trim();
        let s = ctx.state();
        match self.step {
            Step::List => {
                let queue = to_pack(s, &self.warehouse);
                let found = if text.is_empty() {
                    queue.first().cloned()
                } else {
                    list_from_scan(s, &self.warehouse, text, |p| queue.contains(&p.number))
                };
                match found {
                    Some(l) => {
                        self.list = Some(l);
                        self.carton.clear();
                        self.step = Step::Items;
                        Flow::Stay
                    }
                    None if text.is_empty() => {
                        self.notice = Some(Notice::info("nothing to pack"));
                        Flow::Stay
                    }
                    None => refuse(&mut self.notice, format!("{text}: no list to pack here")),
                }
            }
            Step::Items => {
                if text.is_empty() {
                    if self.carton.is_empty() {
                        return refuse(&mut self.notice, "scan an item into the carton".into());
                    }
                    self.step = Step::Weight;
                    return Flow::Stay;
                }
                let left = self.remaining(s);
                let item = s.scanned_item(text, || "an item of the list".to_string());
                if item.is_err() {
                    // A scale typing the weight into a filled carton packs it;
                    // another list scanned into an empty one takes that list.
                    // (at the carton, a weight shows itself by its point or
                    // its unit: a bare number is not taken for one).
                    let marked = text.contains('.') || text.to_ascii_lowercase().ends_with("kg");
                    if let (Some(w), true, false) = (weight(text), marked, self.carton.is_empty()) {
                        if let Some(why) = weight_problem(w) {
                            return refuse(&mut self.notice, why);
                        }
                        return self.pack(w);
                    }
                    if let Some(q) = crate::ui::entry::typed_qty(text).filter(|_| !marked) {
                        if let Some(flow) = self.typed_count(s, q) {
                            return flow;
                        }
                    }
                    if self.carton.is_empty() {
                        let queue = to_pack(s, &self.warehouse);
                        if let Some(l) =
                            list_from_scan(s, &self.warehouse, text, |p| queue.contains(&p.number))
                        {
                            self.list = Some(l);
                            return Flow::Stay;
                        }
                    }
                }
                match item {
                    Ok(si) => {
                        let sku = si.item.sku.clone();
                        let Some(room) = left.get(&sku).copied() else {
                            // On the list, all of it in cartons (or in this
                            // one): not "not on the list".
                            let picked = self
                                .list
                                .as_ref()
                                .and_then(|l| s.picks.get(l))
                                .and_then(|p| packed_vs_picked(p).get(&sku).map(|x| x.0))
                                .filter(|q| *q > Decimal::ZERO);
                            return refuse(
                                &mut self.notice,
                                match picked {
                                    Some(q) => format!(
                                        "{sku} is all packed already ({} {})",
                                        fmt_qty(q),
                                        si.item.base_unit
                                    ),
                                    None => format!("{sku} is not on the list"),
                                },
                            );
                        };
                        let factor = si.item.unit_factor(&si.unit).unwrap_or(Decimal::ONE);
                        let n = si.count.unwrap_or(Decimal::ONE) * factor;
                        if n > room {
                            // What the screen shows left to pack, and what
                            // this scan would add, in its unit.
                            let unit = crate::ui::entry::unit_named(si.item, factor);
                            let count = si.count.unwrap_or(Decimal::ONE);
                            let scanned = if factor == Decimal::ONE {
                                format!("{} {unit}", fmt_qty(n))
                            } else {
                                format!("{} {unit} is {}", fmt_qty(count), fmt_qty(n))
                            };
                            return refuse(
                                &mut self.notice,
                                format!(
                                    "too many {sku}: {scanned}, {} {} left",
                                    fmt_qty(room),
                                    si.item.base_unit
                                ),
                            );
                        }
                        *self.carton.entry(sku.clone()).or_default() += n;
                        self.last_scan = Some((sku, factor, n));
                        Flow::Stay
                    }
                    Err(e) => refuse(&mut self.notice, e.to_string()),
                }
            }
            // An item scanned at the scale: the carton is not closed
            // after all; the scan goes into it. Looked at before the
            // weight: an item's barcode is all digits, and read as
            // kilograms it was refused as a weight (or, short enough,
            // taken as one).
            Step::Weight if s.scanned_item(text, String::new).is_ok() => {
                self.step = Step::Items;
                self.field.text = text.to_string();
                self.accept(ctx)
            }
            // A weight the core would refuse is refused here, at `kg>`
            // (refused by the core, the screen went back to the items).
            Step::Weight => match weight(text) {
                Some(w) => match weight_problem(w) {
                    Some(why) => refuse(&mut self.notice, why),
                    None => self.pack(w),
                },
                None if text.is_empty() => {
                    refuse(&mut self.notice, "type or weigh the carton (kg)".into())
                }
                None => refuse(
                    &mut self.notice,
                    format!("{text:?} is not a weight: kilograms like 2.62 or 2.62 kg"),
                ),
            },
        }
    }

    /// Pack the carton at scale weight `w` (kg): one `pack_carton`.
    fn pack(&mut self, w: Decimal) -> Flow {
        let Some(list) = self.list.clone() else {
            return Flow::Stay;
        };
        Flow::Submit(Box::new(Request {
            key: self.key.clone(),
            body: CommandBody::PackCarton {
                list,
                contents: self
                    .carton
                    .iter()
                    .map(|(sku, q)| CartonInput {
                        item: sku.to_string(),
                        qty: Some(*q),
                    })
                    .collect(),
                weight: w,
                tare: Decimal::ZERO,
            },
        }))
    }
}

/// A scale weight as a scale or a person types it (`2.62`, `2.62 kg`,
/// `2.62kg`): positive kilograms, else None.
fn weight(text: &str) -> Option<Decimal> {
    let t = text.trim();
    // Only kilograms: "2.62 lb" is not 2.62 kg.
    let t = match t.len().checked_sub(2).and_then(|i| t.get(i..)) {
        Some(unit) if unit.eq_ignore_ascii_case("kg") => t[..t.len() - 2].trim_end(),
        _ => t,
    };
    // The one decimal grammar (no exponent: "1e3" is not 1000 kg).
    match crate::core::types::parse_decimal(t) {
        Ok(w) if w > Decimal::ZERO => Some(w),
        _ => None,
    }
}

/// Why the core would refuse scale weight `w` (kg) for a carton: its
/// own check (no tare is typed here), so that the packer hears it at the
/// scale.
fn weight_problem(w: Decimal) -> Option<String> {
    crate::core::pack::check_weight("weight", w)
        .err()
        .map(|r| r.to_string())
}

impl Screen for RfPack {
    fn name(&self) -> &'static str {
        "rf_pack"
    }
    fn title(&self) -> String {
        "Pack".into()
    }
    fn context(&self) -> Context {
        Context::Input
    }
    fn min_size(&self) -> (u16, u16) {
        RF_MIN
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        let mut v = rf_actions(match self.step {
            Step::List => "take the list",
            Step::Items if self.carton.is_empty() => "add the item",
            Step::Items => "add / close carton",
            Step::Weight => "pack",
        });
        v.push((Action::Unpack, "unpack a carton"));
        v
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if input == Input::Action(Action::Unpack) {
            return self.ask_unpack(ctx);
        }
        match rf_key(&mut self.field, input) {
            RfKey::Accept => {
                item_case(&mut self.field, ctx.state());
                self.accept(ctx)
            }
            RfKey::Back => match self.step {
                Step::Weight => {
                    self.step = Step::Items;
                    Flow::Stay
                }
                Step::Items if !self.carton.is_empty() => {
                    self.asking_leave = true;
                    Flow::ConfirmStrict("Empty the carton? Its scans are dropped.".into())
                }
                Step::Items => {
                    self.step = Step::List;
                    self.list = None;
                    Flow::Stay
                }
                Step::List => Flow::Pop,
            },
            RfKey::Stay => Flow::Stay,
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        if let Some((list, n)) = self.unpacking.take() {
            match answer(outcome, &mut self.key, ctx) {
                Answer::Done(_) => {
                    if self.last.is_some_and(|l| l.0 == n) && self.list.as_ref() == Some(&list) {
                        self.last = None;
                    }
                    // Nothing in hand: the list is taken, its goods to scan.
                    if self.carton.is_empty() {
                        self.list = Some(list.clone());
                        self.step = Step::Items;
                    }
                    self.notice = Some(Notice::info(format!(
                        "carton {n} of {list} unpacked: pack its goods again"
                    )));
                }
                Answer::Refused(_, notice) | Answer::Stopped(notice) => self.notice = Some(notice),
            }
            return Flow::Stay;
        }
        match answer(outcome, &mut self.key, ctx) {
            Answer::Done(events) => {
                for e in &events {
                    if let Event::CartonPacked { carton, .. } = e {
                        self.last =
                            Some((carton.number, carton.weight, carton.expected, carton.held));
                        self.notice = Some(if carton.held {
                            Notice::bell(format!(
                                "HELD: {} kg, expected {} kg",
                                fmt_qty(carton.weight),
                                fmt_qty(carton.expected)
                            ))
                        } else {
                            Notice::info(format!("carton {} packed", carton.number))
                        });
                    }
                }
                // The carton's label and packing slip print at once, unless
                // the carton is held on its weight (printed when released).
                let print = match (&self.list, self.last) {
                    (Some(list), Some((n, _, _, false))) => {
                        let id = format!("{list}/{n}");
                        vec![
                            crate::docs::print::PrintRequest::new(
                                crate::docs::DocKind::CartonLabel,
                                &id,
                                ctx.today(),
                            ),
                            crate::docs::print::PrintRequest::new(
                                crate::docs::DocKind::PackingSlip,
                                &id,
                                ctx.today(),
                            ),
                        ]
                    }
                    _ => Vec::new(),
                };
                self.carton.clear();
                let s = ctx.state();
                if self.remaining(s).is_empty() {
                    self.list = None;
                    self.step = Step::List;
                } else {
                    self.step = Step::Items;
                }
                if print.is_empty() {
                    Flow::Stay
                } else {
                    Flow::Print(print)
                }
            }
            Answer::Refused(_, n) => {
                self.step = Step::Items;
                self.notice = Some(n);
                Flow::Stay
            }
            Answer::Stopped(n) => {
                self.notice = Some(n);
                Flow::Stay
            }
        }
    }
    fn confirmed(&mut self, yes: bool, _ctx: &Ctx) -> Flow {
        if let Some((list, carton)) = self.unpacking.clone() {
            if !yes {
                self.unpacking = None;
                self.notice = Some(Notice::info("not unpacked"));
                return Flow::Stay;
            }
            return Flow::Submit(Box::new(Request {
                key: self.key.clone(),
                body: CommandBody::UnpackCarton { list, carton },
            }));
        }
        if std::mem::take(&mut self.asking_leave) && yes {
            self.carton.clear();
            self.list = None;
            self.step = Step::List;
        }
        Flow::Stay
    }
    fn committed(&mut self, ctx: &Ctx) {
        // The list shipped or was taken apart elsewhere: start over.
        if let Some(l) = &self.list {
            let open = ctx
                .state()
                .picks
                .get(l)
                .is_some_and(|p| p.status == PickStatus::Open);
            if !open {
                self.list = None;
                self.carton.clear();
                self.step = Step::List;
                self.notice = Some(Notice::bell("the list was shipped elsewhere"));
            }
        }
    }
    fn dirty(&self) -> bool {
        !self.carton.is_empty()
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let th = ctx.theme;
        let s = ctx.state();
        let mut lines = Vec::new();
        // Every carton held in the warehouse stays on top until a
        // supervisor releases it (or it is unpacked), the list named.
        let held = held_cartons(s, &self.warehouse);
        for (list, n, w, e) in held.iter().take(2) {
            lines.push(RfLine::styled(
                th.error(),
                format!(
                    "HELD {list}/{n} {} {}",
                    together(&format!("{} kg", fmt_qty(*w))),
                    together(&format!("exp {} kg", fmt_qty(*e)))
                ),
            ));
        }
        if held.len() > 2 {
            lines.push(RfLine::styled(
                th.error(),
                format!("and {} more held", held.len() - 2),
            ));
        }
        let keep;
        match (&self.list, self.step) {
            (None, _) | (_, Step::List) => {
                keep = lines.len();
                lines.push(field_line("list", &self.field.text, th));
                lines.push(RfLine::styled(th.dim(), "scan list or order"));
                let queue = to_pack(s, &self.warehouse);
                lines.push(RfLine::styled(
                    th.label(),
                    format!("to pack ({}):", queue.len()),
                ));
                for l in queue.iter().take(30) {
                    let order = s.picks.get(l).map(|p| p.order.clone()).unwrap_or_default();
                    lines.push(RfLine::plain(format!("{l} {order}")));
                }
            }
            (Some(list), step) => {
                let p = s.picks.get(list);
                let next = p.map_or(1, |p| crate::core::pack::next_carton(s, p));
                let order = p.map(|p| p.order.clone()).unwrap_or_default();
                let carton = format!("carton {next}");
                let n = self.carton.values().copied().sum::<Decimal>();
                let items = if n == Decimal::ONE {
                    "1 item".to_string()
                } else {
                    format!("{} items", fmt_qty(n))
                };
                let head = format!("{list} {order} {carton}");
                if head.chars().count() <= usize::from(area.width) {
                    lines.push(RfLine::styled(th.dim(), head));
                    lines.push(RfLine::styled(th.label(), "IN   ").push(Default::default(), items));
                } else {
                    // 20 columns: the list and its order whole on top, the
                    // carton's number with what is in it (a row each, as
                    // wider: what is left to pack keeps its rows).
                    lines.push(RfLine::styled(th.dim(), format!("{list} {order}")));
                    lines.push(
                        RfLine::styled(th.label(), format!("{carton}: "))
                            .push(Default::default(), together(&items)),
                    );
                }
                if step == Step::Weight {
                    lines.push(RfLine::styled(th.label(), "EXP  ").push(
                        Default::default(),
                        together(&format!("{} kg", fmt_qty(self.expected_kg(s)))),
                    ));
                    keep = lines.len();
                    lines.push(field_line("kg", &self.field.text, th));
                    lines.push(RfLine::styled(th.dim(), "type kg; Enter packs"));
                } else {
                    keep = lines.len();
                    lines.push(field_line("item", &self.field.text, th));
                    lines.push(RfLine::styled(
                        th.dim(),
                        if self.carton.is_empty() {
                            "scan items"
                        } else {
                            "Enter: close carton"
                        },
                    ));
                }
                for (sku, q) in &self.carton {
                    lines.push(RfLine::plain(format!("+ {sku} {}", fmt_qty(*q))));
                }
                let left = self.remaining(s);
                if !left.is_empty() {
                    lines.push(RfLine::styled(th.label(), "to pack:"));
                    for (sku, q) in &left {
                        lines.push(RfLine::plain(format!("{sku} {}", fmt_qty(*q))));
                    }
                }
            }
        }
        draw(f, area, &lines, keep);
    }
}

#[cfg(test)]
mod tests {
    use super::weight;
    use rust_decimal::Decimal;

    #[test]
    fn a_weight_is_kilograms_in_the_one_decimal_grammar() {
        let kg = |s: &str| weight(s);
        assert_eq!(kg("2.62"), Some(Decimal::new(262, 2)));
        assert_eq!(kg("2.62 kg"), Some(Decimal::new(262, 2)));
        assert_eq!(kg("2.62KG"), Some(Decimal::new(262, 2)));
        for bad in ["1e3", "1E2", "2.62 lb", "-1", "0", "kg", "", "1,5"] {
            assert_eq!(kg(bad), None, "{bad:?}");
        }
    }
}
