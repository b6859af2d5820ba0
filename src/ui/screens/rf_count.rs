//! Count (RF): blind cycle counts of the warehouse, in bin pick sequence:
//! the counts scheduled (open), and the recounts of counts someone else
//! counted first (a count that differed from the book is counted again by
//! another person). Scan the bin, scan the item, type what is there (0 for
//! nothing) and Enter: one `enter_count` command. The book quantity is
//! never shown. A number typed after a scan is in the unit last scanned (a
//! case after a box: cases), as on Pick and Receive; the prompt names that
//! unit, and the command takes base units. A recount that still differs
//! needs a reason (1 damage, 2 theft, 3 found, 4 correction), asked when
//! the core says so. Skip (F7, as on Pick) puts the count last: it comes
//! back when the others are done.

use super::rf::{
    answer, draw, draw_keeping, field_line, hint, item_case, refuse, rf_actions, rf_key, Answer,
    RfKey, RfLine, RF_MIN,
};
use crate::core::counts::{self, CountStatus, Reason};
use crate::core::rejection::Rejection;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::{CommandBody, Event, State};
use crate::query::qty as fmt_qty;
use crate::ui::entry::{qty_problem, typed_qty, unit_named};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::TextField;
use ratatui::layout::Rect;
use ratatui::Frame;
use rust_decimal::Decimal;

pub const REASONS: [(Reason, &str); 4] = [
    (Reason::Damage, "damage"),
    (Reason::Theft, "theft"),
    (Reason::Found, "found"),
    (Reason::Correction, "correction"),
];

/// Counts `operator` may count in `warehouse`, in bin pick sequence: open
/// ones, and recounts first counted by someone else.
pub fn counts_for(s: &State, warehouse: &str, operator: &str) -> Vec<Code> {
    let mut v: Vec<(u32, Code, Code)> = s
        .index
        .open_counts
        .iter()
        .filter_map(|n| s.counts.get(n))
        .filter(|c| c.warehouse == warehouse)
        .filter(|c| match c.status {
            CountStatus::Open => true,
            CountStatus::Recount => c.first.as_ref().is_some_and(|f| f.1 != operator),
            _ => false,
        })
        .map(|c| {
            let seq = s
                .bins
                .get(&(c.warehouse.clone(), c.bin.clone()))
                .map_or(u32::MAX, |b| b.pick_seq);
            (seq, c.bin.clone(), c.number.clone())
        })
        .collect();
    v.sort();
    v.into_iter().map(|x| x.2).collect()
}

/// `counts_for`, the counts skipped in this session last, in the order
/// they were skipped.
pub fn counts_in_order(s: &State, warehouse: &str, operator: &str, skipped: &[Code]) -> Vec<Code> {
    let mut v = counts_for(s, warehouse, operator);
    // (A stable sort: the others keep their bin sequence.)
    v.sort_by_key(|n| skipped.iter().position(|x| x == n).map_or(0, |i| i + 1));
    v
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Bin,
    Item,
    Qty,
    Reason,
}

pub struct RfCount {
    pub warehouse: Code,
    pub current: Option<Code>,
    pub step: Step,
    pub field: TextField,
    /// The quantity entered (kept for the reason step).
    pub qty: Decimal,
    pub key: String,
    pub done: usize,
    /// Units counted by scanning the item (each scan its GS1 count or one
    /// unit, times the scanned unit's factor): Enter alone enters them.
    pub tally: Decimal,
    /// The item was scanned before its bin (the bin is asked next).
    pub item_first: bool,
    /// The unit factor of the last item scan: a number typed after it is
    /// in that unit (a case scanned after a box: cases).
    pub last_factor: Decimal,
    /// Counts skipped in this session, in the order skipped: they come
    /// last.
    pub skipped: Vec<Code>,
    /// The question asked is whether to skip (else: whether to drop the
    /// scans).
    asking_skip: bool,
    notice: Option<Notice>,
}

impl RfCount {
    pub fn new(ctx: &Ctx) -> RfCount {
        let warehouse = super::rf::warehouse_of(ctx);
        RfCount {
            current: counts_for(ctx.state(), &warehouse, ctx.operator)
                .first()
                .cloned(),
            last_factor: Decimal::ONE,
            skipped: Vec::new(),
            asking_skip: false,
            warehouse,
            step: Step::Bin,
            field: TextField::default(),
            qty: Decimal::ZERO,
            key: ctx.new_key(),
            done: 0,
            tally: Decimal::ZERO,
            item_first: false,
            notice: None,
        }
    }

    /// The counts to do, the skipped ones last.
    fn list(&self, ctx: &Ctx) -> Vec<Code> {
        counts_in_order(ctx.state(), &self.warehouse, ctx.operator, &self.skipped)
    }

    fn next(&mut self, ctx: &Ctx) {
        let list = self.list(ctx);
        if !self.current.as_ref().is_some_and(|c| list.contains(c)) {
            self.current = list.first().cloned();
            self.reset();
        }
    }

    /// Back to the bin of the current count, nothing scanned.
    fn reset(&mut self) {
        self.step = Step::Bin;
        self.tally = Decimal::ZERO;
        self.item_first = false;
        self.last_factor = Decimal::ONE;
    }

    /// Something counted and not entered: the scans, or a count waiting
    /// for its reason.
    fn counting(&self) -> bool {
        self.step == Step::Reason || (self.step == Step::Qty && self.tally > Decimal::ZERO)
    }

    /// F7: the current count goes last (it comes back when the others are
    /// done); what was counted of it asks first, strictly.
    fn skip(&mut self, ctx: &Ctx) -> Flow {
        let Some(cur) = self.current.clone() else {
            self.notice = Some(Notice::info("nothing to count"));
            return Flow::Stay;
        };
        if self.list(ctx).iter().all(|n| *n == cur) {
            self.notice = Some(Notice::info(
                "nothing else to count: this is the last count",
            ));
            return Flow::Stay;
        }
        if self.counting() {
            self.asking_skip = true;
            let what = if self.step == Step::Reason {
                self.qty
            } else {
                self.tally
            };
            return Flow::ConfirmStrict(format!(
                "Skip? {} counted are not entered.",
                fmt_qty(what)
            ));
        }
        self.skip_now(ctx);
        Flow::Stay
    }

    fn skip_now(&mut self, ctx: &Ctx) {
        let Some(cur) = self.current.take() else {
            return;
        };
        self.skipped.retain(|x| *x != cur);
        self.skipped.push(cur.clone());
        self.field.take();
        self.reset();
        self.key = ctx.new_key();
        self.next(ctx);
        let s = ctx.state();
        let what = s
            .counts
            .get(&cur)
            .map(|c| format!("{} {}", c.bin, c.sku))
            .unwrap_or_else(|| cur.to_string());
        self.notice = Some(Notice::info(format!("skipped {what}: it comes back last")));
    }

    /// A scan of the count's item (lot checked): how many base units it
    /// counts, and the factor of the unit scanned.
    fn item_scan(
        &self,
        s: &State,
        c: &crate::core::counts::Count,
        text: &str,
    ) -> Result<(Decimal, Decimal), String> {
        match s.scanned_item(text, || c.sku.to_string()) {
            Ok(si) if si.item.sku == c.sku => {
                if let (Some(want), Some(got)) = (&c.lot, &si.lot) {
                    if want != got {
                        return Err(format!("wrong lot {got}: count lot {want}"));
                    }
                }
                let factor = si.item.unit_factor(&si.unit).unwrap_or(Decimal::ONE);
                Ok((si.count.unwrap_or(Decimal::ONE) * factor, factor))
            }
            Ok(si) => Err(format!("wrong item {}: count {}", si.item.sku, c.sku)),
            Err(Rejection::BadScan { problem }) => Err(problem),
            Err(_) => Err(format!("wrong item {text}: count {}", c.sku)),
        }
    }

    fn submit(&mut self, reason: Option<Reason>) -> Flow {
        let Some(count) = self.current.clone() else {
            return Flow::Stay;
        };
        Flow::Submit(Box::new(Request {
            key: self.key.clone(),
            body: CommandBody::EnterCount {
                count,
                qty: self.qty,
                reason,
            },
        }))
    }

    /// The quantity is counted: a recount that still differs from the
    /// book asks its reason first (what the core would refuse without
    /// one), anything else is entered.
    fn counted(&mut self, s: &State) -> Flow {
        let needs = self
            .current
            .as_deref()
            .is_some_and(|n| counts::needs_reason(s, n, self.qty));
        if needs {
            self.step = Step::Reason;
            self.notice = Some(Notice::bell("differs again: reason?"));
            return Flow::Stay;
        }
        self.submit(None)
    }

    fn accept(&mut self, ctx: &Ctx) -> Flow {
        let text = self.field.take();
        let text = text.trim();
        let s = ctx.state();
        let Some(c) = self.current.as_ref().and_then(|n| s.counts.get(n)).cloned() else {
            self.notice = Some(Notice::info("nothing to count"));
            return Flow::Stay;
        };
        // Whatever the step, a scan goes where it belongs: the count's bin
        // confirms the bin, its item confirms the item (before the bin:
        // then the bin is asked for) and, once confirmed, counts up.
        match self.step {
            Step::Bin => {
                if text.eq_ignore_ascii_case(&c.bin) {
                    self.step = if self.item_first {
                        Step::Qty
                    } else {
                        Step::Item
                    };
                    Flow::Stay
                } else if text.is_empty() {
                    refuse(&mut self.notice, format!("scan bin {}", c.bin))
                } else if s
                    .bins
                    .contains_key(&(self.warehouse.clone(), text.to_ascii_uppercase().to_code()))
                {
                    refuse(
                        &mut self.notice,
                        format!("wrong bin {text}: go to {}", c.bin),
                    )
                } else {
                    match self.item_scan(s, &c, text) {
                        Ok((n, factor)) => {
                            // The scan that names the item counts too, as
                            // every scan after it does.
                            self.tally += n;
                            self.last_factor = factor;
                            self.item_first = true;
                            self.notice =
                                Some(Notice::info(format!("item OK: scan bin {}", c.bin)));
                            Flow::Stay
                        }
                        // Neither a bin here nor the item: a garbled or
                        // stray scan, not the counter in the wrong place.
                        Err(_) => refuse(
                            &mut self.notice,
                            format!("{text}: no bin here: scan bin {}", c.bin),
                        ),
                    }
                }
            }
            Step::Item if text.eq_ignore_ascii_case(&c.bin) => Flow::Stay,
            // An empty bin has no item to scan: 0 is its count.
            Step::Item if matches!(typed_qty(text), Some(Ok(q)) if q.is_zero()) => {
                self.qty = Decimal::ZERO;
                // Counted: a recount that still differs asks its reason.
                self.step = Step::Qty;
                self.counted(s)
            }
            Step::Item => match self.item_scan(s, &c, text) {
                Ok((n, factor)) => {
                    self.tally += n;
                    self.last_factor = factor;
                    self.step = Step::Qty;
                    Flow::Stay
                }
                Err(e) => refuse(&mut self.notice, e),
            },
            Step::Qty if text.is_empty() => {
                if self.tally > Decimal::ZERO {
                    self.qty = self.tally;
                    self.counted(s)
                } else {
                    refuse(
                        &mut self.notice,
                        "type the quantity counted (0: none)".into(),
                    )
                }
            }
            // A plain number is the quantity (item numbers are longer), in
            // the unit last scanned (the prompt names it), as on Pick and
            // Receive: a case scanned, `3` is three cases. The command
            // takes base units.
            Step::Qty => match typed_qty(text) {
                Some(Err(e)) => refuse(&mut self.notice, e),
                Some(Ok(q)) => {
                    let factor = self.last_factor;
                    let problem = s
                        .items
                        .get(&c.sku)
                        .and_then(|i| qty_problem(i, unit_named(i, factor), factor, q));
                    if let Some(p) = problem {
                        return refuse(&mut self.notice, p);
                    }
                    self.qty = q * factor;
                    self.counted(s)
                }
                None => match self.item_scan(s, &c, text) {
                    Ok((n, factor)) => {
                        self.tally += n;
                        self.last_factor = factor;
                        Flow::Stay
                    }
                    Err(e) => refuse(&mut self.notice, e),
                },
            },
            Step::Reason => match text.parse::<usize>() {
                Ok(n) if (1..=REASONS.len()).contains(&n) => self.submit(Some(REASONS[n - 1].0)),
                _ => refuse(
                    &mut self.notice,
                    format!("reason: 1-{}, then Enter", REASONS.len()),
                ),
            },
        }
    }
}

impl Screen for RfCount {
    fn name(&self) -> &'static str {
        "rf_count"
    }
    fn title(&self) -> String {
        "Count".into()
    }
    fn context(&self) -> Context {
        Context::Input
    }
    fn min_size(&self) -> (u16, u16) {
        RF_MIN
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        let mut v = rf_actions(match self.step {
            Step::Bin => "confirm the bin",
            Step::Item => "confirm the item",
            Step::Qty if self.tally > Decimal::ZERO => "count / enter the scans",
            Step::Qty => "enter the count",
            Step::Reason => "choose the reason",
        });
        v.push((Action::Skip, "skip (it comes back last)"));
        v
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if input == Input::Action(Action::Skip) {
            return self.skip(ctx);
        }
        // A reason is its number and Enter, never a digit alone: a scan
        // that lands on the question (a burst, then Enter) would otherwise
        // answer it with the first digit in the barcode and commit.
        match rf_key(&mut self.field, input) {
            RfKey::Accept => {
                item_case(&mut self.field, ctx.state());
                self.accept(ctx)
            }
            RfKey::Back => {
                match self.step {
                    Step::Bin => return Flow::Pop,
                    Step::Item => self.step = Step::Bin,
                    // Scans counted so far are dropped only on an
                    // explicit `y` (a scanner's Enter says no).
                    Step::Qty if self.tally > Decimal::ZERO => {
                        self.asking_skip = false;
                        return Flow::ConfirmStrict(format!(
                            "Drop the {} scanned?",
                            fmt_qty(self.tally)
                        ));
                    }
                    Step::Qty => self.step = Step::Item,
                    Step::Reason => self.step = Step::Qty,
                }
                Flow::Stay
            }
            RfKey::Stay => Flow::Stay,
        }
    }
    /// Scans counted and not entered: leaving asks first.
    fn dirty(&self) -> bool {
        self.step == Step::Qty && self.tally > Decimal::ZERO
    }
    fn confirmed(&mut self, yes: bool, ctx: &Ctx) -> Flow {
        if std::mem::take(&mut self.asking_skip) {
            if yes {
                self.skip_now(ctx);
            }
        } else if yes && self.step == Step::Qty {
            self.tally = Decimal::ZERO;
            self.last_factor = Decimal::ONE;
            self.step = Step::Item;
        }
        Flow::Stay
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        if let Submitted::Refused(Rejection::InvalidText { field, .. }) = &outcome {
            if field == "reason" && self.step == Step::Qty {
                // The recount still differs: why?
                self.key = ctx.new_key();
                self.step = Step::Reason;
                self.notice = Some(Notice::bell("differs again: reason?"));
                return Flow::Stay;
            }
        }
        self.notice = Some(match answer(outcome, &mut self.key, ctx) {
            Answer::Done(events) => {
                self.done += 1;
                let text = events
                    .iter()
                    .find_map(|e| match e {
                        Event::RecountNeeded { .. } => {
                            Some("counted: someone else recounts".to_string())
                        }
                        Event::CountHeld { .. } => Some("counted: waits for approval".to_string()),
                        // Settled: as the book, or the book moved by
                        // the adjustment (the count is over, so the
                        // difference is no longer blind).
                        Event::CountSettled { adjustment, .. } => Some(match adjustment {
                            Some((m, _)) if !m.qty.is_zero() => format!(
                                "counted: book {}{}",
                                if m.qty > Decimal::ZERO { "+" } else { "" },
                                fmt_qty(m.qty)
                            ),
                            _ => "counted: book right".to_string(),
                        }),
                        _ => None,
                    })
                    .unwrap_or_else(|| "counted".into());
                self.current = None;
                self.reset();
                self.next(ctx);
                Notice::info(text)
            }
            Answer::Refused(_, n) | Answer::Stopped(n) => n,
        });
        Flow::Stay
    }
    fn committed(&mut self, ctx: &Ctx) {
        self.next(ctx);
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let th = ctx.theme;
        let s = ctx.state();
        let list = self.list(ctx);
        let Some(c) = self.current.as_ref().and_then(|n| s.counts.get(n)) else {
            let lines = vec![
                RfLine::styled(th.good(), "Nothing to count"),
                RfLine::plain(format!("in {}.", self.warehouse)),
                RfLine::styled(th.dim(), format!("done this session: {}", self.done)),
            ];
            draw(f, area, &lines, 0);
            return;
        };
        let pos = list
            .iter()
            .position(|n| *n == c.number)
            .map_or(0, |p| p + 1);
        let recount = if c.status == CountStatus::Recount {
            " RECOUNT"
        } else {
            ""
        };
        // The count's number and RECOUNT read whole on top: at 20
        // columns the place in the list gives way first.
        let head = format!("{pos}/{} {}{recount}", list.len(), c.number);
        let head = if head.chars().count() > usize::from(area.width) {
            format!("{}{recount}", c.number)
        } else {
            head
        };
        let mut lines = vec![RfLine::styled(th.dim(), head)];
        let ok = |b: bool| if b { " ok" } else { "" };
        lines.push(
            RfLine::styled(th.label(), "BIN  ")
                .push(th.title(), c.bin.clone())
                .push(th.good(), ok(self.step != Step::Bin)),
        );
        lines.push(
            RfLine::styled(th.label(), "ITEM ")
                .push(Default::default(), c.sku.clone())
                .push(
                    th.good(),
                    ok(self.item_first || matches!(self.step, Step::Qty | Step::Reason)),
                ),
        );
        if let Some(l) = &c.lot {
            lines.push(RfLine::styled(th.label(), "LOT  ").push(Default::default(), l.clone()));
        }
        let keep = lines.len();
        let item = s.items.get(&c.sku);
        // The unit a number typed is in (the one last scanned), on the
        // prompt: `qty CASE> `. The scans are totalled in base units, named
        // when the prompt's unit is another. Blind: nothing of the book.
        let base = item.map_or("", |i| i.base_unit.as_str());
        let unit = item.map_or("", |i| unit_named(i, self.last_factor));
        let qty_label = format!("qty {unit}");
        let (label, says) = match self.step {
            Step::Bin => ("bin", "scan the bin".to_string()),
            Step::Item => ("item", "scan the item; 0: none".to_string()),
            Step::Qty if self.tally > Decimal::ZERO && unit != base => (
                qty_label.trim_end(),
                format!("scanned {} {base}: Enter", fmt_qty(self.tally)),
            ),
            Step::Qty if self.tally > Decimal::ZERO => (
                qty_label.trim_end(),
                format!("scanned {}: Enter", fmt_qty(self.tally)),
            ),
            Step::Qty => (qty_label.trim_end(), "count or scan; 0: none".to_string()),
            Step::Reason => ("why", format!("counted {}", fmt_qty(self.qty))),
        };
        lines.push(field_line(label, &self.field.text, th));
        // The field and what is under it that stays in sight: the hint
        // (broken between words at 20 columns: "scanned 25 BOX:" then
        // "Enter"), or the last reasons.
        let (keep, kept) = if self.step == Step::Reason {
            for (i, (_, r)) in REASONS.iter().enumerate() {
                lines.push(RfLine::plain(format!("{} {r}", i + 1)));
            }
            (keep + REASONS.len() - 1, 2)
        } else {
            let says = hint(th.dim(), &says, area.width);
            let kept = 1 + says.len();
            lines.extend(says);
            (keep, kept)
        };
        if let Some(i) = item {
            lines.push(RfLine::styled(th.dim(), i.description.clone()));
        }
        draw_keeping(f, area, &lines, keep, kept);
    }
}
