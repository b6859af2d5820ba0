//! Transfer out (RF): pick goods for another warehouse of the same entity.
//! Scan (or type) the destination warehouse, then bin by bin: scan the
//! bin, scan the items (each scan counts one, or the GS1 count; a case
//! barcode a case; a plain number sets the last item's quantity), Enter on
//! an empty field leaves the bin. Enter on an empty bin field ships what
//! was picked, after a confirm: one `ship_transfer` command, so the goods
//! leave all their bins at once or not at all. Stock promised to a pick
//! list or reserved is not offered; more than the bin has free is refused
//! with the bell before anything is submitted. Between entities a transfer
//! is a sale at a transfer price: that is for the office (`depot exec`).

use super::rf::{
    answer, draw, field_line, item_case, refuse, rf_actions, rf_key, together, Answer, RfKey,
    RfLine, RF_MIN,
};
use crate::core::code::Joined;
use crate::core::state::BinKey;
use crate::core::transfer::{TransferInput, TRANSFER_LINES_MAX};
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::{CommandBody, Event, State};
use crate::query::qty as fmt_qty;
use crate::ui::entry::{qty_problem, typed_qty, unit_named};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{counted, TextField};
use ratatui::layout::Rect;
use ratatui::Frame;
use rust_decimal::Decimal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Dest,
    Bin,
    Item,
}

/// What a confirm question was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asking {
    Nothing,
    Ship,
    Drop,
}

pub struct RfTransferOut {
    pub warehouse: Code,
    pub to: Option<Code>,
    pub bin: Option<Code>,
    /// What is picked so far, one line per bin, item and lot.
    pub lines: Vec<TransferInput>,
    /// The line the last scan counted into, and the factor of the unit
    /// scanned (a number typed next is in that unit).
    last: Option<(usize, Decimal)>,
    pub step: Step,
    pub field: TextField,
    pub key: String,
    asking: Asking,
    notice: Option<Notice>,
}

/// Warehouses of `from`'s entity goods can go to from `from`.
pub fn destinations(s: &State, from: &str) -> Vec<Code> {
    let entity = s.warehouses.get(&from.to_code()).map(|w| w.entity.clone());
    s.warehouses
        .values()
        .filter(|w| w.code != from && Some(&w.entity) == entity.as_ref())
        .map(|w| w.code.clone())
        .collect()
}

/// Free stock of a bin for an item and lot: on hand less what pick lists
/// expect from it.
fn free(s: &State, warehouse: &str, bin: &str, sku: &str, lot: &Option<Code>) -> Decimal {
    let k = BinKey {
        warehouse: warehouse.to_string().into(),
        bin: bin.to_string().into(),
        sku: sku.to_string().into(),
        lot: lot.clone(),
    };
    let on_hand = s.bin_stock.get(&k).copied().unwrap_or_default();
    on_hand - crate::core::warehouse::bin_promised(s, &k)
}

/// The lots of an item with free stock in a bin.
fn lots_in_bin(s: &State, warehouse: &str, bin: &str, sku: &str) -> Vec<Option<Code>> {
    s.bin_stock
        .range(
            BinKey {
                warehouse: warehouse.to_string().into(),
                bin: bin.to_string().into(),
                sku: sku.to_string().into(),
                lot: None,
            }..,
        )
        .take_while(|(k, _)| k.warehouse == warehouse && k.bin == bin && k.sku == sku)
        .filter(|(k, _)| free(s, warehouse, bin, sku, &k.lot) > Decimal::ZERO)
        .map(|(k, _)| k.lot.clone())
        .collect()
}

impl RfTransferOut {
    pub fn new(ctx: &Ctx) -> RfTransferOut {
        RfTransferOut {
            warehouse: super::rf::warehouse_of(ctx),
            to: None,
            bin: None,
            lines: Vec::new(),
            last: None,
            step: Step::Dest,
            field: TextField::default(),
            key: ctx.new_key(),
            asking: Asking::Nothing,
            notice: None,
        }
    }

    fn is_bin(&self, s: &State, text: &str) -> Option<Code> {
        let up = text.to_ascii_uppercase();
        s.bins
            .contains_key(&(self.warehouse.clone(), up.to_code()))
            .then_some(up.into())
    }

    fn units(&self) -> Decimal {
        self.lines.iter().map(|l| l.qty).sum()
    }

    fn ship_question(&mut self) -> Flow {
        if self.lines.is_empty() {
            return refuse(&mut self.notice, "scan a bin to pick from".into());
        }
        self.asking = Asking::Ship;
        Flow::Confirm(format!(
            "Ship {}, {}, to {}?",
            counted(self.lines.len(), "line"),
            units(self.units()),
            self.to.clone().unwrap_or_default()
        ))
    }

    fn accept(&mut self, ctx: &Ctx) -> Flow {
        let text = self.field.take();
        let text = text.trim();
        let s = ctx.state();
        match self.step {
            Step::Dest => {
                let up = text.to_ascii_uppercase();
                let dests = destinations(s, &self.warehouse);
                if text.is_empty() {
                    return match dests.as_slice() {
                        [one] => {
                            self.to = Some(one.clone());
                            self.step = Step::Bin;
                            Flow::Stay
                        }
                        _ => refuse(&mut self.notice, "scan or type the warehouse".into()),
                    };
                }
                if dests.iter().any(|d| *d == up) {
                    self.to = Some(up.into());
                    self.step = Step::Bin;
                    return Flow::Stay;
                }
                match s.warehouses.get(&up.to_code()) {
                    Some(_) if up == self.warehouse => {
                        refuse(&mut self.notice, format!("{up} is this warehouse"))
                    }
                    Some(w) => refuse(
                        &mut self.notice,
                        format!(
                            "{up} is entity {}: needs a transfer price (office)",
                            w.entity
                        ),
                    ),
                    None => refuse(&mut self.notice, format!("no warehouse {up}")),
                }
            }
            Step::Bin => {
                if text.is_empty() {
                    return self.ship_question();
                }
                match self.is_bin(s, text) {
                    Some(b) => {
                        self.bin = Some(b);
                        self.step = Step::Item;
                        Flow::Stay
                    }
                    None if s.scanned_item(text, String::new).is_ok() => {
                        refuse(&mut self.notice, "scan the bin first".into())
                    }
                    None => refuse(
                        &mut self.notice,
                        format!("no bin {text} in {}", self.warehouse),
                    ),
                }
            }
            Step::Item => {
                if text.is_empty() {
                    self.bin = None;
                    self.last = None;
                    self.step = Step::Bin;
                    return Flow::Stay;
                }
                // A plain number is the quantity of the last item scanned,
                // in the unit scanned (item numbers are longer).
                match typed_qty(text) {
                    Some(Ok(q)) => return self.set_qty(s, q),
                    Some(Err(e)) => return refuse(&mut self.notice, e),
                    None => {}
                }
                let si = match s.scanned_item(text, || "an item in the bin".to_string()) {
                    Ok(si) => si,
                    Err(e) => {
                        // Another bin scanned: pick from there now.
                        if let Some(b) = self.is_bin(s, text) {
                            self.bin = Some(b);
                            self.last = None;
                            return Flow::Stay;
                        }
                        return refuse(&mut self.notice, e.to_string());
                    }
                };
                let bin = self.bin.clone().unwrap_or_default();
                let sku = si.item.sku.clone();
                let factor = si.item.unit_factor(&si.unit).unwrap_or(Decimal::ONE);
                let n = si.count.unwrap_or(Decimal::ONE) * factor;
                let lot = match (si.item.lot_tracked, si.lot.clone()) {
                    (false, Some(_)) => {
                        return refuse(&mut self.notice, format!("{sku} has no lots"))
                    }
                    (false, None) => None,
                    (true, Some(l)) => Some(l),
                    (true, None) => match lots_in_bin(s, &self.warehouse, &bin, &sku).as_slice() {
                        [one] => one.clone(),
                        [] => return refuse(&mut self.notice, format!("no free {sku} in {bin}")),
                        _ => return refuse(&mut self.notice, format!("{sku}: scan the lot label")),
                    },
                };
                let at = self
                    .lines
                    .iter()
                    .position(|l| l.bin == bin && l.sku == sku && l.lot == lot);
                let had = at
                    .and_then(|i| self.lines.get(i))
                    .map_or(Decimal::ZERO, |l| l.qty);
                let room = free(s, &self.warehouse, &bin, &sku, &lot);
                if had + n > room {
                    return refuse(
                        &mut self.notice,
                        format!("only {} {sku} free in {bin}", fmt_qty(room)),
                    );
                }
                let i = match at {
                    Some(i) => i,
                    None => {
                        if self.lines.len() >= TRANSFER_LINES_MAX {
                            return refuse(
                                &mut self.notice,
                                format!("at most {TRANSFER_LINES_MAX} lines"),
                            );
                        }
                        self.lines.push(TransferInput {
                            bin,
                            sku,
                            lot,
                            qty: Decimal::ZERO,
                            price: None,
                        });
                        self.lines.len() - 1
                    }
                };
                if let Some(l) = self.lines.get_mut(i) {
                    l.qty += n;
                }
                self.last = Some((i, factor));
                Flow::Stay
            }
        }
    }

    /// A number typed after a scan: the last item's quantity, in the unit
    /// scanned; 0 drops the line.
    fn set_qty(&mut self, s: &State, q: Decimal) -> Flow {
        let Some((i, factor)) = self.last else {
            return refuse(&mut self.notice, "scan the item first".into());
        };
        let Some(l) = self.lines.get(i).cloned() else {
            return Flow::Stay;
        };
        if let Some(item) = s.items.get(&l.sku) {
            if let Some(p) = qty_problem(item, unit_named(item, factor), factor, q) {
                return refuse(&mut self.notice, p);
            }
        }
        let base = q * factor;
        let room = free(s, &self.warehouse, &l.bin, &l.sku, &l.lot);
        if base > room {
            return refuse(
                &mut self.notice,
                format!("only {} {} free in {}", fmt_qty(room), l.sku, l.bin),
            );
        }
        if base.is_zero() {
            self.lines.remove(i);
            self.last = None;
        } else if let Some(l) = self.lines.get_mut(i) {
            l.qty = base;
        }
        Flow::Stay
    }

    fn submit(&mut self) -> Flow {
        let Some(to) = self.to.clone() else {
            return Flow::Stay;
        };
        Flow::Submit(Box::new(Request {
            key: self.key.clone(),
            body: CommandBody::ShipTransfer {
                from: self.warehouse.clone(),
                to,
                lines: self.lines.clone(),
            },
        }))
    }
}

impl Screen for RfTransferOut {
    fn name(&self) -> &'static str {
        "rf_transfer_out"
    }
    fn title(&self) -> String {
        "Transfer out".into()
    }
    fn context(&self) -> Context {
        Context::Input
    }
    fn min_size(&self) -> (u16, u16) {
        RF_MIN
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        rf_actions(match self.step {
            Step::Dest => "take the warehouse",
            Step::Bin if self.lines.is_empty() => "take the bin",
            Step::Bin => "bin / ship",
            Step::Item => "count / leave the bin",
        })
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        match rf_key(&mut self.field, input) {
            RfKey::Accept => {
                item_case(&mut self.field, ctx.state());
                self.accept(ctx)
            }
            RfKey::Back => match self.step {
                Step::Item => {
                    self.bin = None;
                    self.last = None;
                    self.step = Step::Bin;
                    Flow::Stay
                }
                Step::Bin if !self.lines.is_empty() => {
                    self.asking = Asking::Drop;
                    Flow::ConfirmStrict("Drop what was picked? It stays in its bins.".into())
                }
                Step::Bin => {
                    self.to = None;
                    self.step = Step::Dest;
                    Flow::Stay
                }
                Step::Dest => Flow::Pop,
            },
            RfKey::Stay => Flow::Stay,
        }
    }
    fn confirmed(&mut self, yes: bool, _ctx: &Ctx) -> Flow {
        match (std::mem::replace(&mut self.asking, Asking::Nothing), yes) {
            (Asking::Ship, true) => self.submit(),
            (Asking::Drop, true) => {
                self.lines.clear();
                self.last = None;
                Flow::Stay
            }
            _ => Flow::Stay,
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.notice = Some(match answer(outcome, &mut self.key, ctx) {
            Answer::Done(events) => {
                let number = events.iter().find_map(|e| match e {
                    Event::TransferShipped { transfer, .. } => Some(transfer.number.clone()),
                    _ => None,
                });
                self.lines.clear();
                self.last = None;
                self.bin = None;
                self.step = Step::Bin;
                Notice::info(format!(
                    "{} shipped to {}",
                    number.unwrap_or_default(),
                    self.to.clone().unwrap_or_default()
                ))
            }
            Answer::Refused(_, n) | Answer::Stopped(n) => n,
        });
        Flow::Stay
    }
    fn committed(&mut self, ctx: &Ctx) {
        // Stock taken meanwhile (a pick, another transfer): a line that no
        // longer fits its bin is cut to what is free, with the bell.
        let s = ctx.state();
        let mut cut = Vec::new();
        for l in &mut self.lines {
            let room = free(s, &self.warehouse, &l.bin, &l.sku, &l.lot).max(Decimal::ZERO);
            if l.qty > room {
                l.qty = room;
                cut.push(l.sku.clone());
            }
        }
        if !cut.is_empty() {
            self.lines.retain(|l| l.qty > Decimal::ZERO);
            self.last = None;
            self.notice = Some(Notice::bell(format!(
                "taken meanwhile: {}",
                cut.joined(" ")
            )));
        }
    }
    fn dirty(&self) -> bool {
        !self.lines.is_empty()
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let th = ctx.theme;
        let s = ctx.state();
        let mut lines = Vec::new();
        let keep;
        match self.step {
            Step::Dest => {
                lines.push(RfLine::styled(th.dim(), format!("from {}", self.warehouse)));
                keep = lines.len();
                lines.push(field_line("to", &self.field.text, th));
                lines.push(RfLine::styled(th.dim(), "scan the warehouse"));
                for w in destinations(s, &self.warehouse) {
                    let name = s
                        .warehouses
                        .get(&w)
                        .map(|x| x.name.clone())
                        .unwrap_or_default();
                    lines.push(RfLine::plain(format!("{w} {name}")));
                }
            }
            Step::Bin | Step::Item => {
                lines.push(RfLine::styled(
                    th.dim(),
                    format!(
                        "to {}: {}",
                        self.to.clone().unwrap_or_default(),
                        together(&units(self.units()))
                    ),
                ));
                if let Some(b) = &self.bin {
                    lines.push(RfLine::styled(th.label(), "BIN  ").push(th.title(), b.clone()));
                }
                keep = lines.len();
                let (label, hint) = match self.step {
                    Step::Bin if self.lines.is_empty() => ("bin", "scan a bin"),
                    Step::Bin => ("bin", "Enter: ship"),
                    _ => ("item", "Enter: bin done"),
                };
                lines.push(field_line(label, &self.field.text, th));
                lines.push(RfLine::styled(th.dim(), hint));
                // Bin, item and quantity, then the lot (as Put away and
                // Receive list them): at 20 columns the lot goes to the
                // row under, the quantity stays beside its item.
                for l in self.lines.iter().rev() {
                    let lot = l.lot.as_ref().map(|x| format!(" {x}")).unwrap_or_default();
                    lines.push(RfLine::plain(format!(
                        "{} {} {}{lot}",
                        l.bin,
                        l.sku,
                        fmt_qty(l.qty)
                    )));
                }
            }
        }
        draw(f, area, &lines, keep);
    }
}

/// "1 unit", "2.5 units".
fn units(q: Decimal) -> String {
    if q == Decimal::ONE {
        "1 unit".into()
    } else {
        format!("{} units", fmt_qty(q))
    }
}
