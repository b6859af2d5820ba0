//! Receive (RF): scan the purchase order (or the supplier: its oldest open
//! PO for this warehouse; Enter alone takes the first due), Enter accepts
//! the dock bin shown (or scan another receiving bin), then scan the items:
//! each scan counts one (a case its units, a GS1 (30) its count; a number
//! typed after a scan is the quantity of that scan instead). A lot-tracked
//! item scanned without its GS1 lot (10) asks for the lot and then the
//! expiry date; the next scans of that item go to the same lot. More than
//! the PO line allows (its over-receipt tolerance) is refused with the
//! bell and the tolerance shown. Enter on an empty field receives
//! everything counted as one `receive_purchase` command.

use super::rf::{
    answer, draw_keeping, field_line, hint, item_case, not_receiving, refuse, rf_actions, rf_key,
    together, Answer, RfKey, RfLine, RF_MIN,
};
use crate::core::master::BinKind;
use crate::core::purchasing::{PoStatus, ReceiveInput};
use crate::core::rejection::Rejection;
use crate::core::scan::gs1_date;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::{CommandBody, Event, State};
use crate::query::qty as fmt_qty;
use crate::ui::entry::{qty_problem, typed_qty, unit_named};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::TextField;
use chrono::NaiveDate;
use ratatui::layout::Rect;
use ratatui::Frame;
use rust_decimal::Decimal;

/// Open purchase orders of `warehouse` with something still to come,
/// oldest first.
pub fn due(s: &State, warehouse: &str) -> Vec<Code> {
    let mut v: Vec<(NaiveDate, Code)> = s
        .index
        .open_pos
        .iter()
        .filter_map(|n| s.purchase_orders.get(n))
        .filter(|p| p.warehouse == warehouse && p.status == PoStatus::Open)
        .filter(|p| p.lines.iter().any(|l| l.open() > Decimal::ZERO))
        .map(|p| {
            let first = p.lines.iter().map(|l| l.expected).min().unwrap_or(p.date);
            (first, p.number.clone())
        })
        .collect();
    v.sort();
    v.into_iter().map(|x| x.1).collect()
}

/// One counted line of the receipt: item, lot, expiry, base units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    pub sku: Code,
    pub lot: Option<Code>,
    pub expiry: Option<NaiveDate>,
    pub qty: Decimal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Po,
    Bin,
    Items,
    Lot,
    Expiry,
}

pub struct RfReceive {
    pub warehouse: Code,
    pub po: Option<Code>,
    pub bin: Code,
    pub step: Step,
    pub field: TextField,
    pub lines: Vec<Counted>,
    /// The last scan counted (index into `lines`, base units it added, unit factor).
    last: Option<(usize, Decimal, Decimal)>,
    /// The line whose last scan `0` just took back while it still holds
    /// earlier ones: a second `0` drops the whole line.
    taken_back: Option<usize>,
    /// A lot-tracked item waiting for its lot / expiry: (sku, base units,
    /// lot, the factor of the unit scanned).
    waiting: Option<(Code, Decimal, Option<Code>, Decimal)>,
    pub key: String,
    notice: Option<Notice>,
    asking_leave: bool,
    /// The last goods receipt made here, shown under the PO field: its
    /// notice went with the next key (a scanner's Enter), and with it the
    /// GR number the paperwork is marked with.
    received: Option<Code>,
}

impl RfReceive {
    pub fn new(ctx: &Ctx) -> RfReceive {
        RfReceive {
            warehouse: super::rf::warehouse_of(ctx),
            po: None,
            bin: String::new().into(),
            step: Step::Po,
            field: TextField::default(),
            lines: Vec::new(),
            last: None,
            taken_back: None,
            waiting: None,
            key: ctx.new_key(),
            notice: None,
            asking_leave: false,
            received: None,
        }
    }

    /// Counted so far of `sku` (base units).
    fn counted(&self, sku: &str) -> Decimal {
        self.lines
            .iter()
            .filter(|l| l.sku == sku)
            .map(|l| l.qty)
            .sum()
    }

    /// Room left on the PO for `sku` (over-receipt tolerance included), and
    /// the ordered and received quantities, for the message.
    fn room(&self, s: &State, sku: &str) -> Option<(Decimal, Decimal, Decimal)> {
        let po = s.purchase_orders.get(self.po.as_ref()?)?;
        let dec = s.items.get(&sku.to_code()).map_or(0, |i| i.qty_decimals);
        let lines: Vec<_> = po.lines.iter().filter(|l| l.sku == sku).collect();
        if lines.is_empty() {
            return None;
        }
        let max: Decimal = lines.iter().map(|l| l.max_receipt(dec)).sum();
        let ordered: Decimal = lines.iter().map(|l| l.qty).sum();
        let received: Decimal = lines.iter().map(|l| l.received).sum();
        Some((max - received - self.counted(sku), ordered, received))
    }

    /// The refusal of more of `sku` than the PO allows: what it ordered
    /// (base units), and the most that `limit` base units come to in the
    /// unit of `factor`, the one scanned or typed ("at most 10 CASE"),
    /// whole units of it (as many as fit with the tolerance).
    fn over(&self, s: &State, sku: &str, limit: Decimal, factor: Decimal) -> String {
        let (_, ordered, received) = self.room(s, sku).unwrap_or_default();
        let item = s.items.get(&sku.to_code());
        let base = item.map_or("", |i| i.base_unit.as_str());
        let factor = if factor > Decimal::ZERO {
            factor
        } else {
            Decimal::ONE
        };
        let unit = item.map_or(base, |i| unit_named(i, factor));
        let dp = item.map_or(0, |i| i.qty_decimals);
        let most = (limit.max(Decimal::ZERO) / factor)
            .round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::ToZero)
            .normalize();
        // "at most" is this receipt's: with some received before, the
        // PO's total beside it read as a contradiction (700 ordered, at
        // most 435).
        if received > Decimal::ZERO {
            format!(
                "over: {} {base} ordered, {} received; at most {most} {unit} more with the tolerance",
                fmt_qty(ordered),
                fmt_qty(received),
            )
        } else {
            format!(
                "over: {} {base} ordered, at most {most} {unit} with the tolerance",
                fmt_qty(ordered),
            )
        }
    }

    fn add(&mut self, s: &State, c: Counted, factor: Decimal) -> Flow {
        let Some((room, _, _)) = self.room(s, &c.sku) else {
            return refuse(&mut self.notice, format!("{} is not on this PO", c.sku));
        };
        if c.qty > room {
            // Counted scan by scan: the most this receipt may count of
            // the item in all, in the unit just scanned.
            let limit = room + self.counted(&c.sku);
            let why = self.over(s, &c.sku, limit, factor);
            return refuse(&mut self.notice, why);
        }
        let i = match self
            .lines
            .iter()
            .position(|l| l.sku == c.sku && l.lot == c.lot && l.expiry == c.expiry)
        {
            Some(i) => {
                self.lines[i].qty += c.qty;
                i
            }
            None => {
                self.lines.push(c.clone());
                self.lines.len() - 1
            }
        };
        self.last = Some((i, c.qty, factor));
        Flow::Stay
    }

    fn accept(&mut self, ctx: &Ctx) -> Flow {
        let text = self.field.take();
        let text = text.trim();
        let s = ctx.state();
        match self.step {
            Step::Po => {
                let queue = due(s, &self.warehouse);
                let up = text.to_ascii_uppercase();
                // A supplier's code with several POs due here: which one
                // is asked (the oldest was taken without a word).
                let theirs: Vec<&Code> = queue
                    .iter()
                    .filter(|n| s.purchase_orders.get(*n).is_some_and(|p| p.supplier == up))
                    .collect();
                if theirs.len() > 1 {
                    let named: Vec<&str> = theirs.iter().take(3).map(|n| n.as_str()).collect();
                    let more = if theirs.len() > 3 { ", ..." } else { "" };
                    return refuse(
                        &mut self.notice,
                        format!(
                            "{up} has {} POs due: {}{more}; scan the PO",
                            theirs.len(),
                            named.join(", ")
                        ),
                    );
                }
                let found = if text.is_empty() {
                    queue.first().cloned()
                } else {
                    queue
                        .iter()
                        .find(|n| {
                            **n == up || s.purchase_orders.get(*n).is_some_and(|p| p.supplier == up)
                        })
                        .cloned()
                };
                match found {
                    Some(po) => {
                        self.po = Some(po);
                        self.bin = s
                            .bins
                            .range((self.warehouse.clone(), Code::default())..)
                            .take_while(|((w, _), _)| *w == self.warehouse)
                            .find(|(_, b)| b.kind == BinKind::Dock)
                            .map(|(_, b)| b.code.clone())
                            .unwrap_or_default();
                        self.step = Step::Bin;
                        Flow::Stay
                    }
                    None if text.is_empty() => {
                        self.notice = Some(Notice::info("nothing due here"));
                        Flow::Stay
                    }
                    None => refuse(
                        &mut self.notice,
                        format!("{text}: no open PO for {}", self.warehouse),
                    ),
                }
            }
            Step::Bin => {
                let mut item = None;
                if !text.is_empty() {
                    let up = text.to_ascii_uppercase();
                    if let Some(b) = s.bins.get(&(self.warehouse.clone(), up.to_code())) {
                        if let Some(why) = not_receiving(b) {
                            return refuse(&mut self.notice, why);
                        }
                        self.bin = up.into();
                    } else if s.scanned_item(text, String::new).is_ok() {
                        // The first item scanned already: the bin shown
                        // is accepted and the scan counts.
                        item = Some(text.to_string());
                    } else {
                        return refuse(
                            &mut self.notice,
                            format!("no bin {up} in {}", self.warehouse),
                        );
                    }
                }
                if self.bin.is_empty() {
                    return refuse(&mut self.notice, "scan the receiving bin".into());
                }
                self.step = Step::Items;
                match item {
                    Some(t) => {
                        self.field.text = t;
                        self.accept(ctx)
                    }
                    None => Flow::Stay,
                }
            }
            Step::Items => {
                if text.is_empty() {
                    return self.submit();
                }
                // `0` right after a scan was taken back: the whole line.
                if let Some(i) = self.taken_back.take() {
                    if matches!(typed_qty(text), Some(Ok(q)) if q.is_zero()) {
                        if i < self.lines.len() {
                            let gone = self.lines.remove(i);
                            self.notice = Some(Notice::info(format!("{}: line dropped", gone.sku)));
                        }
                        return Flow::Stay;
                    }
                }
                // A bin of the warehouse scanned while counting: the goods
                // go there instead.
                let up = text.to_ascii_uppercase();
                let bin = s.bins.get(&(self.warehouse.clone(), up.to_code()));
                if let Some(b) = bin.filter(|_| s.scanned_item(text, String::new).is_err()) {
                    if let Some(why) = not_receiving(b) {
                        return refuse(&mut self.notice, why);
                    }
                    self.notice = Some(Notice::info(format!("receiving into {up}")));
                    self.bin = up.into();
                    return Flow::Stay;
                }
                let po = self.po.clone().unwrap_or_default();
                match s.scanned_item(text, || format!("an item on {po}")) {
                    Ok(si) => {
                        let factor = si.item.unit_factor(&si.unit).unwrap_or(Decimal::ONE);
                        let qty = si.count.unwrap_or(Decimal::ONE) * factor;
                        let sku = si.item.sku.clone();
                        let expiry = match &si.expiry {
                            Some(raw) => match gs1_date(raw, ctx.today()) {
                                Some(d) if d < ctx.today() => {
                                    return refuse(&mut self.notice, expired(d))
                                }
                                Some(d) => Some(d),
                                None => {
                                    return refuse(&mut self.notice, format!("bad expiry {raw}"))
                                }
                            },
                            None => None,
                        };
                        if si.item.lot_tracked && si.lot.is_none() {
                            // The same item again: the lot typed last time.
                            if let Some(prev) = self
                                .lines
                                .iter()
                                .rev()
                                .find(|l| l.sku == sku && l.lot.is_some())
                                .cloned()
                            {
                                return self.add(s, Counted { qty, ..prev }, factor);
                            }
                            if self.room(s, &sku).is_none() {
                                return refuse(
                                    &mut self.notice,
                                    format!("{sku} is not on this PO"),
                                );
                            }
                            self.waiting = Some((sku, qty, None, factor));
                            self.step = Step::Lot;
                            return Flow::Stay;
                        }
                        if !si.item.lot_tracked && si.lot.is_some() {
                            return refuse(&mut self.notice, format!("{sku} has no lots"));
                        }
                        self.add(
                            s,
                            Counted {
                                sku,
                                lot: si.lot.clone(),
                                expiry,
                                qty,
                            },
                            factor,
                        )
                    }
                    Err(Rejection::BadScan { problem }) => refuse(&mut self.notice, problem),
                    Err(_) => {
                        // A number after a scan: that scan's quantity.
                        if let (Some((i, added, factor)), Some(q)) = (self.last, typed_qty(text)) {
                            let sku = self.lines.get(i).map(|l| l.sku.clone()).unwrap_or_default();
                            let q = match q {
                                Ok(q) => q,
                                Err(e) => return refuse(&mut self.notice, e),
                            };
                            if let Some(item) = s.items.get(&sku) {
                                if let Some(p) =
                                    qty_problem(item, unit_named(item, factor), factor, q)
                                {
                                    return refuse(&mut self.notice, p);
                                }
                            }
                            let new = q * factor;
                            if let Some(l) = self.lines.get_mut(i) {
                                l.qty -= added;
                            }
                            if new.is_zero() {
                                // 0: that scan taken back (and a second 0
                                // the line, when earlier scans are on it).
                                self.last = None;
                                let left = self.lines.get(i).map_or(Decimal::ZERO, |l| l.qty);
                                if left.is_zero() {
                                    self.lines.remove(i);
                                    self.notice =
                                        Some(Notice::info(format!("{sku}: scan taken back")));
                                } else {
                                    let base =
                                        s.items.get(&sku).map_or("", |i| i.base_unit.as_str());
                                    self.taken_back = Some(i);
                                    self.notice = Some(Notice::info(format!(
                                        "{sku} back to {} {base}; 0 drops it",
                                        fmt_qty(left)
                                    )));
                                }
                                return Flow::Stay;
                            }
                            let room = self.room(s, &sku).map_or(Decimal::ZERO, |r| r.0);
                            if new > room || new <= Decimal::ZERO {
                                if let Some(l) = self.lines.get_mut(i) {
                                    l.qty += added;
                                }
                                // Said in the unit typed: as many as this
                                // scan may count (the room left with it).
                                let why = self.over(s, &sku, room, factor);
                                return refuse(&mut self.notice, why);
                            }
                            if let Some(l) = self.lines.get_mut(i) {
                                l.qty += new;
                            }
                            self.last = Some((i, new, factor));
                            return Flow::Stay;
                        }
                        refuse(&mut self.notice, format!("{text}: not an item on {po}"))
                    }
                }
            }
            Step::Lot => {
                let lot = text.to_ascii_uppercase();
                if lot.is_empty() || crate::core::types::code_problem(&lot).is_some() {
                    return refuse(&mut self.notice, "type the lot on the label".into());
                }
                // The item's own barcode scanned again is not its lot.
                if s.scanned_item(text, String::new).is_ok() {
                    return refuse(
                        &mut self.notice,
                        "that is an item, not its lot: type the lot".into(),
                    );
                }
                if let Some(w) = &mut self.waiting {
                    w.2 = Some(lot.into());
                }
                self.step = Step::Expiry;
                Flow::Stay
            }
            Step::Expiry => {
                let expiry = if text.is_empty() {
                    None
                } else {
                    match NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .ok()
                        .or_else(|| gs1_date(text, ctx.today()))
                    {
                        // Refused here, not with the whole receipt at its
                        // end (the core takes nothing expired into stock).
                        Some(d) if d < ctx.today() => return refuse(&mut self.notice, expired(d)),
                        Some(d) => Some(d),
                        None => {
                            return refuse(&mut self.notice, "expiry: 2027-03-31 or 270331".into())
                        }
                    }
                };
                let Some((sku, qty, lot, factor)) = self.waiting.take() else {
                    self.step = Step::Items;
                    return Flow::Stay;
                };
                self.step = Step::Items;
                self.add(
                    s,
                    Counted {
                        sku,
                        lot,
                        expiry,
                        qty,
                    },
                    factor,
                )
            }
        }
    }

    fn submit(&mut self) -> Flow {
        if self.lines.iter().all(|l| l.qty <= Decimal::ZERO) {
            return refuse(&mut self.notice, "scan what arrived first".into());
        }
        let (Some(po), bin) = (self.po.clone(), self.bin.clone()) else {
            return Flow::Stay;
        };
        Flow::Submit(Box::new(Request {
            key: self.key.clone(),
            body: CommandBody::ReceivePurchase {
                po,
                bin,
                lines: self
                    .lines
                    .iter()
                    .filter(|l| l.qty > Decimal::ZERO)
                    .map(|l| ReceiveInput {
                        item: l.sku.to_string(),
                        qty: Some(l.qty),
                        lot: l.lot.clone(),
                        expiry: l.expiry,
                    })
                    .collect(),
            },
        }))
    }
}

impl Screen for RfReceive {
    fn name(&self) -> &'static str {
        "rf_receive"
    }
    fn title(&self) -> String {
        "Receive".into()
    }
    fn context(&self) -> Context {
        Context::Input
    }
    fn min_size(&self) -> (u16, u16) {
        RF_MIN
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        rf_actions(match self.step {
            Step::Po => "take the PO",
            Step::Bin => "accept the bin",
            Step::Items if self.lines.is_empty() => "count the item",
            Step::Items => "count / receive",
            Step::Lot => "the lot",
            Step::Expiry => "the expiry",
        })
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        match rf_key(&mut self.field, input) {
            RfKey::Accept => {
                item_case(&mut self.field, ctx.state());
                self.accept(ctx)
            }
            RfKey::Back => {
                match self.step {
                    Step::Lot | Step::Expiry => {
                        self.waiting = None;
                        self.step = Step::Items;
                    }
                    Step::Items if !self.lines.is_empty() => {
                        self.asking_leave = true;
                        return Flow::ConfirmStrict("Drop what was counted?".into());
                    }
                    Step::Items => self.step = Step::Bin,
                    Step::Bin => {
                        self.po = None;
                        self.step = Step::Po;
                    }
                    Step::Po => return Flow::Pop,
                }
                Flow::Stay
            }
            RfKey::Stay => Flow::Stay,
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.notice = Some(match answer(outcome, &mut self.key, ctx) {
            Answer::Done(events) => {
                // The receipt and how much it took: what the receiver
                // counted, said back (not all the PO, nor its first line).
                let gr = events.iter().find_map(|e| match e {
                    Event::GoodsReceived { receipt, .. } => Some((
                        receipt.number.clone(),
                        receipt.lines.len(),
                        receipt.lines.iter().map(|l| l.qty).sum::<Decimal>(),
                    )),
                    _ => None,
                });
                self.lines.clear();
                self.last = None;
                self.taken_back = None;
                self.po = None;
                self.step = Step::Po;
                self.received = gr.as_ref().map(|g| g.0.clone());
                match gr {
                    Some((number, lines, units)) => Notice::info(format!(
                        "received {number}: {} on {lines} line{}; put away next",
                        fmt_qty(units),
                        if lines == 1 { "" } else { "s" }
                    )),
                    None => Notice::info("received: put away next"),
                }
            }
            Answer::Refused(_, n) | Answer::Stopped(n) => n,
        });
        Flow::Stay
    }
    fn confirmed(&mut self, yes: bool, _ctx: &Ctx) -> Flow {
        if std::mem::take(&mut self.asking_leave) && yes {
            self.lines.clear();
            self.last = None;
            self.taken_back = None;
            self.step = Step::Bin;
        }
        Flow::Stay
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
        // The field and its hint, kept in sight.
        let mut kept = 2;
        match (&self.po, self.step) {
            (None, _) | (_, Step::Po) => {
                keep = 0;
                lines.push(field_line("po", &self.field.text, th));
                lines.push(RfLine::styled(th.dim(), "scan PO or supplier"));
                if let Some(gr) = &self.received {
                    lines.push(RfLine::styled(th.good(), format!("last {gr}")));
                }
                let queue = due(s, &self.warehouse);
                lines.push(RfLine::styled(
                    th.label(),
                    format!("due ({}):", queue.len()),
                ));
                for n in queue.iter().take(30) {
                    let p = s.purchase_orders.get(n);
                    lines.push(RfLine::plain(format!(
                        "{n} {}",
                        p.map(|p| p.supplier.clone()).unwrap_or_default()
                    )));
                }
            }
            (Some(po), step) => {
                let p = s.purchase_orders.get(po);
                lines.push(RfLine::styled(
                    th.dim(),
                    format!("{po} {}", p.map(|p| p.supplier.clone()).unwrap_or_default()),
                ));
                lines.push(
                    RfLine::styled(th.label(), "BIN  ").push(Default::default(), self.bin.clone()),
                );
                if let Some((sku, q, lot, _)) = &self.waiting {
                    lines.push(
                        RfLine::styled(th.label(), "ITEM ")
                            .push(Default::default(), format!("{sku} {}", fmt_qty(*q))),
                    );
                    if let Some(l) = lot {
                        lines.push(
                            RfLine::styled(th.label(), "LOT  ").push(Default::default(), l.clone()),
                        );
                    }
                }
                keep = lines.len();
                let (label, says) = match step {
                    Step::Bin => ("bin", "Enter accepts the bin"),
                    Step::Lot => ("lot", "type the lot"),
                    Step::Expiry => ("exp", "YYYY-MM-DD; Enter: none"),
                    _ if self.lines.is_empty() => ("item", "scan items"),
                    _ => ("item", "Enter: receive what is counted"),
                };
                lines.push(field_line(label, &self.field.text, th));
                let says = hint(th.dim(), says, area.width);
                kept = 1 + says.len();
                lines.extend(says);
                for l in &self.lines {
                    let lot = l.lot.as_ref().map(|x| format!(" {x}")).unwrap_or_default();
                    // Counted in base units, and said so (`+ FAS-1001 48
                    // BOX` after two case scans read as 48 cases).
                    let unit = s.items.get(&l.sku).map_or("", |i| i.base_unit.as_str());
                    lines.push(RfLine::plain(format!(
                        "+ {} {} {unit}{lot}",
                        l.sku,
                        fmt_qty(l.qty)
                    )));
                }
                if let Some(p) = p {
                    lines.push(RfLine::styled(th.label(), "on the PO:"));
                    let open: Vec<_> = p
                        .lines
                        .iter()
                        .filter(|l| l.open() > Decimal::ZERO)
                        .collect();
                    for (i, l) in open.iter().enumerate() {
                        // Counted beyond what the item's lines still wait
                        // for (within the tolerance): said on its last line.
                        let last = !open[i + 1..].iter().any(|x| x.sku == l.sku);
                        let waiting: Decimal = open
                            .iter()
                            .filter(|x| x.sku == l.sku)
                            .map(|x| x.open())
                            .sum();
                        let over = self.counted(&l.sku) - waiting;
                        let over = if last && over > Decimal::ZERO {
                            format!(" {}", together(&format!("+{} over", fmt_qty(over))))
                        } else {
                            String::new()
                        };
                        // In base units, and said so, as the counted
                        // lines above are (`1 of 240 BOX`, not a bare
                        // 240 that could be cases).
                        let unit = s.items.get(&l.sku).map_or("", |i| i.base_unit.as_str());
                        lines.push(RfLine::plain(format!(
                            "{} {}{over}",
                            l.sku,
                            together(
                                format!(
                                    "{} of {} {unit}",
                                    fmt_qty(l.received + self.counted(&l.sku).min(l.open())),
                                    fmt_qty(l.qty)
                                )
                                .trim_end()
                            )
                        )));
                    }
                }
            }
        }
        draw_keeping(f, area, &lines, keep, kept);
    }
}

/// The refusal of a lot that expired before today (the core's rule for
/// goods taken into stock, said where the date is scanned or typed).
fn expired(d: NaiveDate) -> String {
    format!("expired on {d}: not taken into stock; set it aside")
}
