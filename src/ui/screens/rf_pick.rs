//! Pick (RF): the picker's next task in bin sequence, from the open pick
//! lists of the operator's warehouse (released one by one or in a wave):
//! scan the bin, scan the item (SKU, barcode, GTIN, GS1-128 with its lot
//! and count), then Enter accepts the expected quantity; scanning the item
//! again counts up, and reaching the quantity confirms by itself. A wrong
//! bin, item or lot, or an expired lot, is refused with a short message
//! and the bell. A line that names a lot (the core chose it, first to
//! expire first, when the list was made) asks for that lot to be scanned
//! (GS1 (10), on the item's label or a lot label of its own, or the lot
//! typed) before it is picked: a bin holding two lots of the item would
//! otherwise give whichever came to hand, booked as the lot named.
//! F6 reports the line short with a reason (the core offers
//! another bin or backorders the rest); F7 skips the task until the others
//! are done. The task list follows other sessions' commits (a wave
//! released, a list re-prioritised, a task done elsewhere).
//!
//! Whatever step the screen is at, a scan goes where it belongs: the
//! expected bin confirms the bin, the item counts up (even before the bin:
//! then the bin is asked for), a plain number is the quantity. Each
//! confirmation is one `confirm_pick` command under its own idempotency
//! key, kept until the core answers: a double Enter or a resent scan never
//! picks twice.

use super::rf::{
    answer, draw, draw_keeping, field_line, hint, item_case, refuse, together, Answer, RfLine,
    RF_MIN,
};
use crate::core::rejection::Rejection;
use crate::core::scan::{gs1_date, parse_scan, Scan};
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::warehouse::ShortReason;
use crate::core::{CommandBody, Event, State};
use crate::query::qty as fmt_qty;
use crate::ui::entry::{qty_problem, typed_qty, unit_named};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::TextField;
use ratatui::layout::Rect;
use ratatui::Frame;
use rust_decimal::Decimal;

/// Why a line is short, in the order the screen numbers them (the core
/// records the reason with the short quantity).
pub const SHORT_REASONS: [ShortReason; 4] = ShortReason::ALL;

/// One line of a pick list still to pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub list: Code,
    pub line: u32,
    pub wave: Option<Code>,
    pub order: Code,
    pub bin: Code,
    pub seq: u32,
    pub sku: Code,
    pub lot: Option<Code>,
    /// Still to pick (base units).
    pub open: Decimal,
}

impl Task {
    fn id(&self) -> (Code, u32) {
        (self.list.clone(), self.line)
    }
}

/// The open pick tasks of `warehouse`: by wave (or list), then bin pick
/// sequence; the skipped ones last, in the order they were skipped.
pub fn tasks(s: &State, warehouse: &str, skipped: &[(Code, u32)]) -> Vec<Task> {
    let mut out: Vec<Task> = s
        .index
        .open_picks
        .iter()
        .filter_map(|n| s.picks.get(n))
        .filter(|p| p.warehouse == warehouse)
        .flat_map(|p| {
            p.lines
                .iter()
                .filter(|l| l.open() > Decimal::ZERO)
                .map(move |l| Task {
                    list: p.number.clone(),
                    line: l.line,
                    wave: p.wave.clone(),
                    order: p.order.clone(),
                    bin: l.bin.clone(),
                    seq: l.pick_seq,
                    sku: l.sku.clone(),
                    lot: l.lot.clone(),
                    open: l.open(),
                })
        })
        .collect();
    out.sort_by(|a, b| {
        let ga = a.wave.as_ref().unwrap_or(&a.list);
        let gb = b.wave.as_ref().unwrap_or(&b.list);
        (ga, a.seq, &a.bin, &a.list, a.line).cmp(&(gb, b.seq, &b.bin, &b.list, b.line))
    });
    let rank = |t: &Task| skipped.iter().position(|x| *x == t.id());
    out.sort_by_key(|t| rank(t).map_or(0, |i| i + 1));
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Bin,
    Item,
    /// The item counted, the lot the line names not yet scanned.
    Lot,
    Qty,
    Reason,
}

pub struct RfPick {
    pub warehouse: Code,
    pub tasks: Vec<Task>,
    /// The task being worked on (list, line).
    pub current: Option<(Code, u32)>,
    pub field: TextField,
    pub bin_ok: bool,
    /// The first item scan accepted and its unit factor.
    first_scan: Option<(String, Decimal)>,
    /// Several units scanned (box and case): submit in base units.
    mixed: bool,
    /// The unit factor of the last item scan: a quantity typed after it
    /// is in that unit (a box scanned after a case: boxes).
    last_factor: Decimal,
    /// Counted so far by scans (base units).
    pub counted: Decimal,
    /// The lot the task names was scanned (with the item or on its own).
    pub lot_ok: bool,
    /// Item scans accepted for this task.
    scans: u32,
    /// The last item scan accepted for this task, as scanned.
    last_item: Option<String>,
    /// The last item scan of the task just confirmed: the same scan again
    /// before anything else is a scanner firing twice, not the next
    /// task's first unit (`accept`).
    repeat: Option<String>,
    asking_reason: bool,
    /// The count typed when F6 was pressed: what the short picks, in
    /// base units (else what the scans counted). Gone with the question.
    short_count: Option<Decimal>,
    pub skipped: Vec<(Code, u32)>,
    /// Idempotency key of the next confirmation.
    pub key: String,
    /// Lines confirmed in this session.
    pub done: usize,
    notice: Option<Notice>,
    asking_leave: bool,
    /// The question asked is whether to skip a task with units counted.
    asking_skip: bool,
}

impl RfPick {
    pub fn new(ctx: &Ctx) -> RfPick {
        let s = ctx.state();
        let warehouse = ctx
            .operator_record()
            .and_then(|o| o.default_warehouse.clone())
            .filter(|w| s.warehouses.contains_key(w))
            .or_else(|| s.warehouses.keys().next().cloned())
            .unwrap_or_default();
        let mut p = RfPick {
            tasks: tasks(s, &warehouse, &[]),
            warehouse,
            current: None,
            field: TextField::default(),
            bin_ok: false,
            first_scan: None,
            mixed: false,
            last_factor: Decimal::ONE,
            counted: Decimal::ZERO,
            lot_ok: false,
            scans: 0,
            last_item: None,
            repeat: None,
            asking_reason: false,
            short_count: None,
            skipped: Vec::new(),
            key: ctx.new_key(),
            done: 0,
            notice: None,
            asking_leave: false,
            asking_skip: false,
        };
        p.current = p.tasks.first().map(Task::id);
        p
    }

    pub fn step(&self) -> Step {
        if self.asking_reason {
            Step::Reason
        } else if !self.bin_ok {
            Step::Bin
        } else if self.scans == 0 {
            Step::Item
        } else if self.task().is_some_and(|t| self.lot_missing(t)) {
            Step::Lot
        } else {
            Step::Qty
        }
    }

    /// The task names a lot and it was not scanned yet.
    fn lot_missing(&self, t: &Task) -> bool {
        t.lot.is_some() && !self.lot_ok
    }

    pub fn task(&self) -> Option<&Task> {
        let cur = self.current.as_ref()?;
        self.tasks
            .iter()
            .find(|t| t.list == cur.0 && t.line == cur.1)
    }

    fn in_progress(&self) -> bool {
        self.bin_ok || self.scans > 0 || self.asking_reason || self.lot_ok
    }

    fn reset_progress(&mut self) {
        self.field = TextField::default();
        self.bin_ok = false;
        self.first_scan = None;
        self.mixed = false;
        self.last_factor = Decimal::ONE;
        self.counted = Decimal::ZERO;
        self.lot_ok = false;
        self.scans = 0;
        self.last_item = None;
        self.asking_reason = false;
        self.short_count = None;
    }

    /// Read the tasks again from the view; keep the task in progress if it
    /// is still open, else take the first.
    fn reload(&mut self, s: &State) {
        let before = self.tasks.len();
        self.tasks = tasks(s, &self.warehouse, &self.skipped);
        let still = self.task().is_some();
        if !still {
            if self.in_progress() {
                self.notice = Some(Notice::bell("this task was done or cancelled elsewhere"));
            }
            self.reset_progress();
        }
        if !still || !self.in_progress() {
            self.current = self.tasks.first().map(Task::id);
        }
        if self.tasks.len() > before {
            self.notice = Some(Notice::info(format!(
                "new work: {} to pick",
                self.tasks.len()
            )));
        }
    }

    /// A scan or typed entry followed by Enter.
    fn accept(&mut self, ctx: &Ctx) -> Flow {
        let Some(t) = self.task().cloned() else {
            self.field.take();
            self.notice = Some(Notice::info("nothing to pick"));
            return Flow::Stay;
        };
        item_case(&mut self.field, ctx.state());
        let text = self.field.take();
        let text = text.trim();
        // Anything but the repeated scan itself ends the guard.
        let repeat = self.repeat.take();
        if self.asking_reason {
            return match text.parse::<usize>() {
                Ok(n) if (1..=SHORT_REASONS.len()).contains(&n) => self.short(n, ctx),
                _ => refuse(
                    &mut self.notice,
                    format!("reason: 1-{}, then Enter", SHORT_REASONS.len()),
                ),
            };
        }
        if text.is_empty() {
            return match self.step() {
                Step::Qty if self.bin_ok => {
                    // One scan: the expected quantity; several: the count.
                    let base = if self.scans == 1 {
                        t.open
                    } else {
                        self.counted
                    };
                    self.confirm(&t, base, None, ctx)
                }
                Step::Bin => {
                    self.notice = Some(Notice::info(format!("scan bin {}", t.bin)));
                    Flow::Stay
                }
                Step::Lot => refuse(&mut self.notice, lot_first(&t)),
                _ => {
                    self.notice = Some(Notice::info(format!("scan item {}", t.sku)));
                    Flow::Stay
                }
            };
        }
        let s = ctx.state();
        // The expected bin.
        if text.eq_ignore_ascii_case(&t.bin) {
            self.bin_ok = true;
            return self.maybe_done(&t, ctx);
        }
        // Another bin of this warehouse.
        let is_bin = [text.to_string(), text.to_ascii_uppercase()]
            .into_iter()
            .any(|b| s.bins.contains_key(&(self.warehouse.clone(), b.to_code())));
        if is_bin {
            return refuse(
                &mut self.notice,
                format!("wrong bin {text}: go to {}", t.bin),
            );
        }
        // The lot alone: a lot label (GS1 (10) without the item's (01))
        // or the lot typed as printed.
        if let Some(want) = &t.lot {
            let lot = match parse_scan(text) {
                _ if text.eq_ignore_ascii_case(want) => Some((want.to_string(), None)),
                Ok(Scan::Gs1(g)) if g.gtin.is_none() => g.lot.map(|l| (l, g.expiry)),
                _ => None,
            };
            if let Some((got, expiry)) = lot {
                if got != want.as_str() {
                    return refuse(
                        &mut self.notice,
                        format!("wrong lot {got}: pick lot {want}"),
                    );
                }
                if let Some(flow) = self.expired(Some(&got), expiry.as_deref(), ctx) {
                    return flow;
                }
                self.lot_ok = true;
                if !self.bin_ok {
                    self.notice = Some(Notice::info(format!("lot OK: scan bin {}", t.bin)));
                    return Flow::Stay;
                }
                return self.maybe_done(&t, ctx);
            }
        }
        match s.scanned_item(text, || t.sku.to_string()) {
            Ok(si) if si.item.sku == t.sku => {
                // A wedge scanner that fires twice sends the scan that
                // completed the last task again at once: counted here it
                // would be this task's first unit, and the bin scan would
                // confirm a pick nobody made. The bin comes first then
                // (however often the same scan comes again before it).
                if !self.bin_ok && self.scans == 0 && repeat.as_deref() == Some(text) {
                    // A scanner firing three times: the third is refused too.
                    self.repeat = repeat;
                    return refuse(
                        &mut self.notice,
                        format!("same scan twice? scan bin {} first", t.bin),
                    );
                }
                if let (Some(want), Some(got)) = (&t.lot, &si.lot) {
                    if want != got {
                        return refuse(
                            &mut self.notice,
                            format!("wrong lot {got}: pick lot {want}"),
                        );
                    }
                }
                if let Some(flow) = self.expired(si.lot.as_deref(), si.expiry.as_deref(), ctx) {
                    return flow;
                }
                // Asked for the lot, the label of the item in hand (its
                // GTIN and the lot, no count) answers that: the lot, not
                // one more unit (counted, a case picked once was booked
                // twice).
                if self.step() == Step::Lot && si.lot.is_some() && si.count.is_none() {
                    self.lot_ok = true;
                    return self.maybe_done(&t, ctx);
                }
                let factor = si.item.unit_factor(&si.unit).unwrap_or(Decimal::ONE);
                let n = si.count.unwrap_or(Decimal::ONE) * factor;
                if self.counted + n > t.open {
                    return refuse(
                        &mut self.notice,
                        format!(
                            "too many: {} of {} {}",
                            fmt_qty(self.counted + n),
                            fmt_qty(t.open),
                            si.item.base_unit
                        ),
                    );
                }
                match &self.first_scan {
                    None => self.first_scan = Some((text.to_string(), factor)),
                    Some((_, f)) if *f != factor => self.mixed = true,
                    Some(_) => {}
                }
                self.last_factor = factor;
                self.counted += n;
                self.scans += 1;
                self.last_item = Some(text.to_string());
                // The item's label carried the line's lot: it is scanned.
                if si.lot.is_some() && si.lot == t.lot {
                    self.lot_ok = true;
                }
                if !self.bin_ok {
                    self.notice = Some(Notice::info(format!("item OK: scan bin {}", t.bin)));
                    return Flow::Stay;
                }
                self.maybe_done(&t, ctx)
            }
            Ok(si) => refuse(
                &mut self.notice,
                format!("wrong item {}: pick {}", si.item.sku, t.sku),
            ),
            Err(Rejection::BadScan { problem }) => refuse(&mut self.notice, problem),
            Err(_) => {
                match self.typed_count(&t, text, ctx) {
                    Some(Ok(base)) if base.is_zero() => {
                        return refuse(&mut self.notice, "0 picks nothing: F6 if short".into())
                    }
                    Some(Ok(base)) => return self.confirm(&t, base, None, ctx),
                    // Refused here, a bad count keeps what was counted so far.
                    Some(Err(e)) => return refuse(&mut self.notice, e),
                    None => {}
                }
                if let (Step::Lot, Some(want)) = (self.step(), &t.lot) {
                    refuse(
                        &mut self.notice,
                        format!("wrong lot {text}: pick lot {want}"),
                    )
                } else if self.bin_ok {
                    refuse(
                        &mut self.notice,
                        format!("wrong item {text}: pick {}", t.sku),
                    )
                } else {
                    // Neither a bin here nor the item: a garbled or stray
                    // scan, not the picker in the wrong place.
                    refuse(
                        &mut self.notice,
                        format!("{text}: no bin here: scan bin {}", t.bin),
                    )
                }
            }
        }
    }

    /// A quantity typed after the item was scanned, in the unit last
    /// scanned: the count, in base units (0 is nothing found). None when
    /// `text` is no quantity, or no count is taken yet (bin and item
    /// first); the error says why a quantity is refused.
    fn typed_count(&self, t: &Task, text: &str, ctx: &Ctx) -> Option<Result<Decimal, String>> {
        if !self.bin_ok || self.scans == 0 {
            return None;
        }
        let q = typed_qty(text)?;
        let Some(item) = ctx.state().items.get(&t.sku) else {
            return Some(Err(format!("no item {}", t.sku)));
        };
        // (A unit other than the first's made the scans mixed: submitted
        // in base units.)
        let factor = self.last_factor;
        let unit = unit_named(item, factor);
        let q = match q {
            Ok(q) => q,
            Err(e) => return Some(Err(e)),
        };
        if let Some(p) = qty_problem(item, unit, factor, q) {
            return Some(Err(p));
        }
        let base = q * factor;
        if base > t.open {
            let most = (t.open / factor)
                .round_dp_with_strategy(item.qty_decimals, rust_decimal::RoundingStrategy::ToZero)
                .normalize();
            return Some(Err(format!("at most {most} {unit}")));
        }
        Some(Ok(base))
    }

    /// A lot scanned with its expiry (GS1 (17)): refused when it is past
    /// (or not a date); None when it may be picked.
    fn expired(&mut self, lot: Option<&str>, expiry: Option<&str>, ctx: &Ctx) -> Option<Flow> {
        let exp = expiry?;
        match gs1_date(exp, ctx.today()) {
            Some(d) if d < ctx.today() => Some(refuse(
                &mut self.notice,
                format!("lot {} expired {d}: do not pick", lot.unwrap_or("-")),
            )),
            Some(_) => None,
            None => Some(refuse(&mut self.notice, format!("bad expiry date {exp}"))),
        }
    }

    /// Bin, count and lot complete: confirm at once.
    fn maybe_done(&mut self, t: &Task, ctx: &Ctx) -> Flow {
        if self.bin_ok && self.scans > 0 && self.counted == t.open && !self.lot_missing(t) {
            return self.confirm(t, self.counted, None, ctx);
        }
        Flow::Stay
    }

    fn short(&mut self, reason: usize, ctx: &Ctx) -> Flow {
        let Some(t) = self.task().cloned() else {
            return Flow::Stay;
        };
        let why = SHORT_REASONS
            .get(reason.saturating_sub(1))
            .copied()
            .unwrap_or(ShortReason::Other);
        tracing::info!(list = %t.list, line = t.line, reason = why.as_str(), key = %self.key, "pick short");
        self.asking_reason = false;
        let count = self.short_count.take().unwrap_or(self.counted);
        self.confirm(&t, count, Some(why), ctx)
    }

    /// Confirm what was counted; with a reason, the rest of the line is
    /// short.
    fn confirm(&mut self, t: &Task, base: Decimal, short: Option<ShortReason>, ctx: &Ctx) -> Flow {
        // Nothing leaves the bin as the lot named before that lot is
        // scanned (a short of nothing found picks nothing).
        if base > Decimal::ZERO && self.lot_missing(t) {
            return refuse(&mut self.notice, lot_first(t));
        }
        // In the unit scanned when the quantity is a whole number of it
        // (as the item counts); else in base units: one case of 6 scanned
        // and Enter for the line's 20 is 20 boxes, not 3.33 cases.
        let dp = ctx.state().items.get(&t.sku).map_or(0, |i| i.qty_decimals);
        let (item, qty) = match (&self.first_scan, self.mixed) {
            (Some((scan, f)), false)
                if !f.is_zero()
                    && crate::core::types::decimals_used((base / *f).normalize()) <= dp =>
            {
                (scan.clone(), base / *f)
            }
            _ => (t.sku.to_string(), base),
        };
        Flow::Submit(Box::new(Request {
            key: self.key.clone(),
            body: CommandBody::ConfirmPick {
                list: t.list.clone(),
                line: t.line,
                bin: t.bin.to_string(),
                item,
                qty: Some(qty.normalize()),
                short: short.is_some(),
                reason: short,
            },
        }))
    }

    fn skip(&mut self) {
        let Some(t) = self.task().cloned() else {
            return;
        };
        if self.tasks.len() < 2 {
            self.notice = Some(Notice::info("nothing else to pick: this is the last task"));
            return;
        }
        self.skipped.retain(|x| *x != t.id());
        self.skipped.push(t.id());
        self.reset_progress();
        self.repeat = None;
        self.tasks = {
            let mut v = std::mem::take(&mut self.tasks);
            let pos = v.iter().position(|x| x.id() == t.id());
            if let Some(p) = pos {
                let x = v.remove(p);
                v.push(x);
            }
            v
        };
        self.current = self.tasks.first().map(Task::id);
        self.notice = Some(Notice::info(format!(
            "skipped {} {}: it comes back last",
            t.bin, t.sku
        )));
    }
}

impl Screen for RfPick {
    fn name(&self) -> &'static str {
        "rf_pick"
    }
    fn title(&self) -> String {
        "Pick".into()
    }
    fn context(&self) -> Context {
        Context::Input
    }
    fn min_size(&self) -> (u16, u16) {
        RF_MIN
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        let mut v = vec![(Action::Submit, "accept the scan")];
        if self.asking_reason {
            v[0].1 = "choose the reason";
            v.push((Action::Back, "not short"));
            return v;
        }
        // Every action the screen takes is listed (help and key bar), even
        // when it would only say what to do first.
        v.push((
            Action::Short,
            if self.bin_ok {
                "short"
            } else {
                "short (scan the bin first)"
            },
        ));
        v.push((Action::Skip, "skip"));
        v.push((Action::Back, "back"));
        v.push((Action::Clear, "clear the field"));
        v
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        match input {
            Input::Action(Action::Submit) => self.accept(ctx),
            Input::Action(Action::Short) => {
                if self.task().is_none() {
                    return Flow::Stay;
                }
                if !self.bin_ok {
                    return refuse(&mut self.notice, "scan the bin first".into());
                }
                // A count typed and not yet entered is what the picker
                // holds: the short is the rest of the line (dropped, the
                // units in hand were never booked and the bin was counted
                // empty of them). Anything else typed is refused, kept.
                let typed = self.field.trimmed().to_string();
                if !typed.is_empty() && !self.asking_reason {
                    let Some(t) = self.task().cloned() else {
                        return Flow::Stay;
                    };
                    match self.typed_count(&t, &typed, ctx) {
                        Some(Ok(base)) => {
                            self.short_count = Some(base);
                            self.notice = Some(Notice::info(format!(
                                "{} picked, rest short: why?",
                                fmt_qty(base)
                            )));
                        }
                        Some(Err(e)) => {
                            self.field.refused();
                            return refuse(&mut self.notice, e);
                        }
                        None => {
                            self.field.refused();
                            return refuse(
                                &mut self.notice,
                                "Enter what is typed first, or clear it".into(),
                            );
                        }
                    }
                }
                self.field.take();
                self.asking_reason = true;
                Flow::Stay
            }
            Input::Action(Action::Skip) => {
                if self.asking_reason || self.task().is_none() {
                    return Flow::Stay;
                }
                // Units counted are dropped by a skip: only an explicit
                // `y` drops them, as leaving asks (a scanner's Enter, or
                // a terminal too small to show the question, says no).
                if self.scans > 0 && self.tasks.len() >= 2 {
                    self.asking_leave = false;
                    self.asking_skip = true;
                    return Flow::ConfirmStrict(format!(
                        "Skip? {} counted are not confirmed.",
                        fmt_qty(self.counted)
                    ));
                }
                self.skip();
                Flow::Stay
            }
            Input::Action(Action::Back) | Input::Action(Action::Cancel) => {
                if !self.field.text.is_empty() {
                    self.field.take();
                    Flow::Stay
                } else if self.asking_reason {
                    self.asking_reason = false;
                    self.short_count = None;
                    Flow::Stay
                } else if self.scans > 0 {
                    self.asking_skip = false;
                    self.asking_leave = true;
                    Flow::ConfirmStrict(format!(
                        "Leave? {} counted are not confirmed.",
                        fmt_qty(self.counted)
                    ))
                } else {
                    Flow::Pop
                }
            }
            // A reason is its number and Enter (`accept`), never a digit
            // alone: a scan landing on the question would answer it with
            // the first digit in the barcode and commit the short.
            other => {
                self.field.edit(other);
                Flow::Stay
            }
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        match answer(outcome, &mut self.key, ctx) {
            Answer::Done(events) => {
                let mut picked = Decimal::ZERO;
                let mut short = Decimal::ZERO;
                let mut msg = Vec::new();
                let mut damaged = None;
                for e in &events {
                    match e {
                        Event::Picked { qty, .. } => picked += *qty,
                        Event::PickShort { qty, .. } => short += *qty,
                        // The rest's lot named: from the same bin it is
                        // another lot, not the bin just found short.
                        Event::PickLineAdded { line, .. } => msg.push(match &line.lot {
                            Some(lot) => format!("rest from {} lot {lot}", line.bin),
                            None => format!("rest from {}", line.bin),
                        }),
                        Event::Backordered { qty, .. } => {
                            msg.push(format!("{} backordered", fmt_qty(*qty)))
                        }
                        // Damaged units the core moved off the shelf: said
                        // last, where to take them (where to go next first).
                        Event::PutAway {
                            moves, directed, ..
                        } => {
                            let n: Decimal = moves
                                .iter()
                                .filter(|m| m.bin == *directed)
                                .map(|m| m.qty)
                                .sum();
                            damaged = Some(format!("{} damaged to {directed}", fmt_qty(n)));
                        }
                        _ => {}
                    }
                }
                let what = self.task().map(|t| t.sku.clone()).unwrap_or_default();
                // What a short led to first: a 20-column status line
                // shows the start. Nothing picked of a short line: "short
                // N", not "picked 0".
                msg.push(if picked.is_zero() && short > Decimal::ZERO {
                    format!("short {} {what}", fmt_qty(short))
                } else {
                    format!("picked {} {what}", fmt_qty(picked))
                });
                msg.extend(damaged);
                let mut text = msg.join("; ");
                self.repeat = self.last_item.take();
                self.reset_progress();
                // The task is done (or partly: it stays first).
                self.tasks = tasks(ctx.state(), &self.warehouse, &self.skipped);
                if self.task().is_none() {
                    // The line is done (picked whole, or short): counted
                    // once, not once per partial pick.
                    self.done += 1;
                    self.current = self.tasks.first().map(Task::id);
                }
                if self.tasks.is_empty() {
                    text.push_str("; all picked");
                }
                self.notice = Some(Notice::info(text));
                Flow::Stay
            }
            Answer::Refused(_, n) => {
                self.counted = Decimal::ZERO;
                self.lot_ok = false;
                self.scans = 0;
                self.first_scan = None;
                self.mixed = false;
                self.last_factor = Decimal::ONE;
                self.asking_reason = false;
                self.short_count = None;
                self.reload(ctx.state());
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
        if std::mem::take(&mut self.asking_skip) && yes {
            self.skip();
            return Flow::Stay;
        }
        if std::mem::take(&mut self.asking_leave) && yes {
            return Flow::Pop;
        }
        Flow::Stay
    }
    fn committed(&mut self, ctx: &Ctx) {
        self.reload(ctx.state());
    }
    /// Items scanned, a short's reason asked, or a quantity typed and
    /// not entered: quitting asks first (a bin scanned alone is one scan
    /// to do again).
    fn dirty(&self) -> bool {
        self.scans > 0 || self.asking_reason || self.field.typing()
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let th = ctx.theme;
        let s = ctx.state();
        let Some(t) = self.task().cloned() else {
            let lines = vec![
                RfLine::styled(th.good(), "Nothing to pick"),
                RfLine::plain(format!("in {}.", self.warehouse)),
                RfLine::styled(th.dim(), format!("lines done this session: {}", self.done)),
                RfLine::styled(th.dim(), "New work shows here."),
            ];
            draw(f, area, &lines, 0);
            return;
        };
        let item = s.items.get(&t.sku);
        let unit = item.map(|i| i.base_unit.clone()).unwrap_or_default();
        let pos = self
            .tasks
            .iter()
            .position(|x| x.id() == t.id())
            .map_or(0, |p| p + 1);
        let mut lines = Vec::new();
        // The wave beside the list when it fits (40 columns); on a
        // 20-column handheld it has a line of its own under the order,
        // so that the list and its line are read whole on top.
        let head = format!("{pos}/{} {} L{}", self.tasks.len(), t.list, t.line);
        let (head, wave_apart) = match &t.wave {
            Some(w) if head.chars().count() + 1 + w.chars().count() <= usize::from(area.width) => {
                (format!("{head} {w}"), None)
            }
            w => (head, w.clone()),
        };
        lines.push(RfLine::styled(th.dim(), head));
        let ok = |b: bool| if b { " ok" } else { "" };
        lines.push(
            RfLine::styled(th.label(), "BIN  ")
                .push(th.title(), t.bin.clone())
                .push(th.good(), ok(self.bin_ok)),
        );
        lines.push(
            RfLine::styled(th.label(), "ITEM ")
                .push(Default::default(), t.sku.clone())
                .push(th.good(), ok(self.scans > 0)),
        );
        let got = if self.scans > 0 {
            format!(" {}", together(&format!("got {}", fmt_qty(self.counted))))
        } else {
            String::new()
        };
        lines.push(
            RfLine::styled(th.label(), "QTY  ")
                .push(
                    Default::default(),
                    together(&format!("{} {unit}", fmt_qty(t.open))),
                )
                .push(th.good(), got),
        );
        if let Some(lot) = &t.lot {
            lines.push(
                RfLine::styled(th.label(), "LOT  ")
                    .push(Default::default(), lot.clone())
                    .push(th.good(), ok(self.lot_ok)),
            );
        }
        let keep = lines.len();
        let (label, says) = match self.step() {
            Step::Bin if self.scans > 0 => ("bin", format!("item OK; scan bin {}", t.bin)),
            Step::Bin => ("bin", "scan the bin".to_string()),
            Step::Item => ("item", "scan the item".to_string()),
            Step::Lot => (
                "lot",
                format!("scan lot {}", t.lot.as_deref().unwrap_or_default()),
            ),
            // A number typed is what Enter picks (in the unit last
            // scanned), not the count it replaces.
            Step::Qty => match (typed_qty(&self.field.text), item) {
                (Some(Ok(q)), Some(i)) if self.last_factor != Decimal::ONE => (
                    "qty",
                    format!(
                        "Enter: pick {} {}",
                        fmt_qty(q),
                        unit_named(i, self.last_factor)
                    ),
                ),
                (Some(Ok(q)), _) => ("qty", format!("Enter: pick {}", fmt_qty(q))),
                _ if !self.field.text.trim().is_empty() => ("qty", "Enter: take it".to_string()),
                _ => {
                    let n = if self.scans == 1 {
                        t.open
                    } else {
                        self.counted
                    };
                    ("qty", format!("Enter: pick {}", fmt_qty(n)))
                }
            },
            Step::Reason => ("short why", String::new()),
        };
        lines.push(field_line(label, &self.field.text, th));
        let (keep, kept) = if self.asking_reason {
            // The reasons right under the field, all on screen at 40x8.
            for (i, r) in SHORT_REASONS.iter().enumerate() {
                lines.push(RfLine::plain(format!("{} {}", i + 1, r.as_str())));
            }
            (keep + SHORT_REASONS.len() - 1, 2)
        } else {
            // Broken between words at 20 columns ("item OK; scan bin" then
            // the bin), all of it in sight.
            let says = hint(th.dim(), &says, area.width);
            let kept = 1 + says.len();
            lines.extend(says);
            (keep, kept)
        };
        if let Some(i) = item {
            lines.push(RfLine::styled(th.dim(), i.description.clone()));
        }
        lines.push(RfLine::styled(th.dim(), format!("order {}", t.order)));
        if let Some(w) = wave_apart {
            lines.push(RfLine::styled(th.dim(), format!("wave {w}")));
        }
        let next: Vec<&Task> = self.tasks.iter().filter(|x| x.id() != t.id()).collect();
        if !next.is_empty() {
            lines.push(RfLine::styled(th.label(), "next:"));
            for n in next.iter().take(20) {
                lines.push(RfLine::plain(format!(
                    "{} {} {}",
                    n.bin,
                    n.sku,
                    fmt_qty(n.open)
                )));
            }
        }
        draw_keeping(f, area, &lines, keep, kept);
    }
}

/// What a pick of a line that names a lot waits for.
fn lot_first(t: &Task) -> String {
    format!("scan lot {} first", t.lot.as_deref().unwrap_or_default())
}
