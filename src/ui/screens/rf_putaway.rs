//! Put away (RF): goods waiting in the receiving bins (dock, quarantine)
//! of the warehouse. Scan the item (Enter alone takes the first waiting);
//! the screen directs it to a bin (the pick face already holding the
//! item, else a bulk bin, else an empty bin near its others); a number
//! typed changes the quantity (all by default); scanning the directed bin
//! moves it: one `put_away` command. Another storage bin asks why (1 the
//! directed bin is full, 2 damaged, 3 other); a wrong bin is refused with
//! the bell.

use super::rf::{
    answer, draw, field_line, item_case, refuse, rf_actions, rf_key, together, Answer, RfKey,
    RfLine, RF_MIN,
};
use crate::core::master::BinKind;
use crate::core::purchasing::directed_bin;
use crate::core::state::BinKey;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::{CommandBody, State};
use crate::query::qty as fmt_qty;
use crate::ui::entry::{qty_problem, typed_qty};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::TextField;
use ratatui::layout::Rect;
use ratatui::Frame;
use rust_decimal::Decimal;

/// Why goods go elsewhere than the directed bin.
pub const REASONS: [&str; 3] = ["directed bin full", "damaged", "other"];

/// Stock waiting in the receiving bins of `warehouse` (not promised to a
/// pick list): (bin key, quantity).
pub fn waiting(s: &State, warehouse: &str) -> Vec<(BinKey, Decimal)> {
    s.bins
        .range((warehouse.to_code(), Code::default())..)
        .take_while(|((w, _), _)| w == warehouse)
        .filter(|(_, b)| matches!(b.kind, BinKind::Dock | BinKind::Quarantine))
        .flat_map(|(_, b)| {
            s.bin_stock
                .range(
                    BinKey {
                        warehouse: warehouse.to_string().into(),
                        bin: b.code.clone(),
                        sku: String::new().into(),
                        lot: None,
                    }..,
                )
                .take_while(move |(k, _)| k.warehouse == warehouse && k.bin == b.code)
                .map(|(k, q)| (k.clone(), *q - crate::core::warehouse::bin_promised(s, k)))
                .filter(|(_, q)| *q > Decimal::ZERO)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Item,
    Bin,
    Reason,
}

pub struct RfPutAway {
    pub warehouse: Code,
    pub from: Option<BinKey>,
    pub qty: Decimal,
    pub directed: Code,
    /// The bin scanned when it is not the directed one.
    pub to: Code,
    pub step: Step,
    pub field: TextField,
    pub key: String,
    notice: Option<Notice>,
}

impl RfPutAway {
    pub fn new(ctx: &Ctx) -> RfPutAway {
        RfPutAway {
            warehouse: super::rf::warehouse_of(ctx),
            from: None,
            qty: Decimal::ZERO,
            directed: String::new().into(),
            to: String::new().into(),
            step: Step::Item,
            field: TextField::default(),
            key: ctx.new_key(),
            notice: None,
        }
    }

    fn submit(&mut self, to: Code, reason: &str) -> Flow {
        let Some(k) = self.from.clone() else {
            return Flow::Stay;
        };
        Flow::Submit(Box::new(Request {
            key: self.key.clone(),
            body: CommandBody::PutAway {
                warehouse: k.warehouse,
                from: k.bin,
                sku: k.sku,
                lot: k.lot,
                qty: self.qty,
                to: to.to_string(),
                reason: reason.to_string(),
            },
        }))
    }

    fn accept(&mut self, ctx: &Ctx) -> Flow {
        let text = self.field.take();
        let text = text.trim();
        let s = ctx.state();
        match self.step {
            Step::Item => {
                let rows = waiting(s, &self.warehouse);
                let row = if text.is_empty() {
                    rows.first().cloned()
                } else {
                    match s.scanned_item(text, || "an item waiting to be put away".to_string()) {
                        Ok(si) => rows.iter().find(|(k, _)| k.sku == si.item.sku).cloned(),
                        Err(e) => return refuse(&mut self.notice, e.to_string()),
                    }
                };
                match row {
                    Some((k, q)) => {
                        self.directed =
                            directed_bin(s, &self.warehouse, &k.sku).unwrap_or_default();
                        self.from = Some(k);
                        self.qty = q;
                        self.step = Step::Bin;
                        Flow::Stay
                    }
                    None if text.is_empty() => {
                        self.notice = Some(Notice::info("nothing to put away"));
                        Flow::Stay
                    }
                    None => refuse(&mut self.notice, format!("{text}: not waiting here")),
                }
            }
            Step::Bin => {
                if text.is_empty() {
                    return refuse(&mut self.notice, format!("scan bin {}", self.directed));
                }
                let up = text.to_ascii_uppercase();
                if up == self.directed {
                    return self.submit(up.into(), "");
                }
                match s.bins.get(&(self.warehouse.clone(), up.to_code())) {
                    Some(b) if matches!(b.kind, BinKind::PickFace | BinKind::Bulk) => {
                        self.to = up.into();
                        self.step = Step::Reason;
                        Flow::Stay
                    }
                    Some(_) => refuse(&mut self.notice, format!("{up} is not a storage bin")),
                    None => {
                        let max = waiting(s, &self.warehouse)
                            .into_iter()
                            .find(|(k, _)| Some(k) == self.from.as_ref())
                            .map_or(Decimal::ZERO, |x| x.1);
                        let item = self.from.as_ref().and_then(|k| s.items.get(&k.sku));
                        match (typed_qty(text), item) {
                            (Some(Err(e)), _) => refuse(&mut self.notice, e),
                            (Some(Ok(q)), _) if q.is_zero() => {
                                refuse(&mut self.notice, "a quantity is more than 0".into())
                            }
                            (Some(Ok(q)), Some(item)) => {
                                if let Some(p) = qty_problem(item, &item.base_unit, Decimal::ONE, q)
                                {
                                    refuse(&mut self.notice, p)
                                } else if q > max {
                                    refuse(&mut self.notice, format!("at most {}", fmt_qty(max)))
                                } else {
                                    self.qty = q;
                                    Flow::Stay
                                }
                            }
                            _ => {
                                // Another waiting item scanned: that one
                                // is put away instead.
                                let other = s.scanned_item(text, String::new).ok().and_then(|si| {
                                    waiting(s, &self.warehouse)
                                        .into_iter()
                                        .find(|(k, _)| k.sku == si.item.sku)
                                });
                                match other {
                                    Some((k, q)) => {
                                        self.directed = directed_bin(s, &self.warehouse, &k.sku)
                                            .unwrap_or_default();
                                        self.from = Some(k);
                                        self.qty = q;
                                        Flow::Stay
                                    }
                                    None => {
                                        let why =
                                            format!("wrong bin {up}: go to {}", self.directed);
                                        refuse(&mut self.notice, why)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Step::Reason => match text.parse::<usize>() {
                Ok(n) if (1..=REASONS.len()).contains(&n) => {
                    let to = self.to.clone();
                    self.submit(to, REASONS[n - 1])
                }
                _ => refuse(
                    &mut self.notice,
                    format!("reason: 1-{}, then Enter", REASONS.len()),
                ),
            },
        }
    }
}

impl Screen for RfPutAway {
    fn name(&self) -> &'static str {
        "rf_putaway"
    }
    fn title(&self) -> String {
        "Put away".into()
    }
    fn context(&self) -> Context {
        Context::Input
    }
    fn min_size(&self) -> (u16, u16) {
        RF_MIN
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        rf_actions(match self.step {
            Step::Item => "take the item",
            Step::Bin => "confirm the bin",
            Step::Reason => "choose the reason",
        })
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
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
                    Step::Reason => self.step = Step::Bin,
                    Step::Bin => {
                        self.from = None;
                        self.step = Step::Item;
                    }
                    Step::Item => return Flow::Pop,
                }
                Flow::Stay
            }
            RfKey::Stay => Flow::Stay,
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.notice = Some(match answer(outcome, &mut self.key, ctx) {
            Answer::Done(_) => {
                let (sku, to) = match (&self.from, self.step) {
                    (Some(k), Step::Reason) => (k.sku.clone(), self.to.clone()),
                    (Some(k), _) => (k.sku.clone(), self.directed.clone()),
                    _ => Default::default(),
                };
                self.from = None;
                self.step = Step::Item;
                Notice::info(format!("{} {sku} to {to}", fmt_qty(self.qty)))
            }
            Answer::Refused(_, n) => {
                self.step = Step::Bin;
                n
            }
            Answer::Stopped(n) => n,
        });
        Flow::Stay
    }
    fn committed(&mut self, ctx: &Ctx) {
        if let Some(k) = &self.from {
            let still = waiting(ctx.state(), &self.warehouse)
                .iter()
                .any(|(x, q)| x == k && *q >= self.qty);
            if !still {
                self.from = None;
                self.step = Step::Item;
                self.notice = Some(Notice::bell("moved elsewhere meanwhile"));
            }
        }
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let th = ctx.theme;
        let s = ctx.state();
        let mut lines = Vec::new();
        let keep;
        match (&self.from, self.step) {
            (None, _) | (_, Step::Item) => {
                keep = 0;
                lines.push(field_line("item", &self.field.text, th));
                lines.push(RfLine::styled(th.dim(), "scan; Enter: first"));
                let rows = waiting(s, &self.warehouse);
                lines.push(RfLine::styled(
                    th.label(),
                    format!("waiting ({}):", rows.len()),
                ));
                for (k, q) in rows.iter().take(30) {
                    // Two lots of one item told apart: the lot after the
                    // row (at 20 columns on the row under it).
                    let lot = k.lot.as_ref().map(|l| format!(" {l}")).unwrap_or_default();
                    lines.push(RfLine::plain(format!(
                        "{} {} {}{lot}",
                        k.bin,
                        k.sku,
                        fmt_qty(*q)
                    )));
                }
            }
            (Some(k), step) => {
                let lot = k
                    .lot
                    .as_ref()
                    .map(|l| format!(" {}", together(&format!("lot {l}"))))
                    .unwrap_or_default();
                // Asking why on a short screen (40x8): from, item and
                // quantity on one row, so that they stay in sight above
                // the reasons (they scrolled off, leaving only QTY and TO).
                let short = step == Step::Reason && usize::from(area.height) < 5 + REASONS.len();
                if short {
                    lines.push(RfLine::styled(th.label(), "PUT  ").push(
                        Default::default(),
                        format!("{} {} {}{lot}", k.bin, k.sku, fmt_qty(self.qty)),
                    ));
                } else {
                    lines.push(
                        RfLine::styled(th.label(), "FROM ").push(Default::default(), k.bin.clone()),
                    );
                    lines.push(
                        RfLine::styled(th.label(), "ITEM ").push(Default::default(), k.sku.clone()),
                    );
                    lines.push(
                        RfLine::styled(th.label(), "QTY  ")
                            .push(Default::default(), format!("{}{lot}", fmt_qty(self.qty))),
                    );
                }
                // Asking why: the bin scanned, not the one directed.
                let to = match step {
                    Step::Reason => {
                        format!(
                            "{} {}",
                            self.to,
                            together(&format!("(not {})", self.directed))
                        )
                    }
                    _ => self.directed.to_string(),
                };
                lines.push(RfLine::styled(th.label(), "TO   ").push(th.title(), to));
                keep = lines.len();
                if step == Step::Reason {
                    lines.push(field_line("why", &self.field.text, th));
                    for (i, r) in REASONS.iter().enumerate() {
                        lines.push(RfLine::plain(format!("{} {r}", i + 1)));
                    }
                } else {
                    lines.push(field_line("bin", &self.field.text, th));
                    lines.push(RfLine::styled(th.dim(), "scan the bin; n: qty"));
                }
            }
        }
        let keep = if self.step == Step::Reason {
            keep + REASONS.len() - 1
        } else {
            keep
        };
        draw(f, area, &lines, keep);
    }
}
