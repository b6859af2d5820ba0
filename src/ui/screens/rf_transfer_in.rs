//! Receive a transfer (RF): the transfers in transit to the warehouse.
//! Scan the transfer number (Enter alone takes the oldest), Enter accepts
//! the dock bin shown (or scan another bin of the warehouse), and Enter
//! receives the whole transfer there: one `receive_transfer` command. The
//! goods then wait at the dock for Put away.

use super::rf::{
    answer, draw, field_line, item_case, not_receiving, refuse, rf_actions, rf_key, Answer, RfKey,
    RfLine, RF_MIN,
};
use crate::core::master::BinKind;
use crate::core::transfer::TransferStatus;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::{CommandBody, State};
use crate::query::qty as fmt_qty;
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::TextField;
use ratatui::layout::Rect;
use ratatui::Frame;

/// Transfers in transit to `warehouse`, oldest first.
pub fn in_transit(s: &State, warehouse: &str) -> Vec<Code> {
    let mut v: Vec<(chrono::NaiveDate, Code)> = s
        .transfers
        .values()
        .filter(|t| t.to == warehouse && t.status == TransferStatus::InTransit)
        .map(|t| (t.shipped, t.number.clone()))
        .collect();
    v.sort();
    v.into_iter().map(|x| x.1).collect()
}

pub struct RfTransferIn {
    pub warehouse: Code,
    pub transfer: Option<Code>,
    pub bin: Code,
    pub field: TextField,
    pub key: String,
    notice: Option<Notice>,
}

impl RfTransferIn {
    pub fn new(ctx: &Ctx) -> RfTransferIn {
        let warehouse = super::rf::warehouse_of(ctx);
        let bin = ctx
            .state()
            .bins
            .range((warehouse.clone(), Code::default())..)
            .take_while(|((w, _), _)| *w == warehouse)
            .find(|(_, b)| b.kind == BinKind::Dock)
            .map(|(_, b)| b.code.clone())
            .unwrap_or_default();
        RfTransferIn {
            warehouse,
            transfer: None,
            bin,
            field: TextField::default(),
            key: ctx.new_key(),
            notice: None,
        }
    }

    fn accept(&mut self, ctx: &Ctx) -> Flow {
        let text = self.field.take();
        let up = text.trim().to_ascii_uppercase();
        let s = ctx.state();
        match &self.transfer {
            None => {
                let queue = in_transit(s, &self.warehouse);
                let found = if up.is_empty() {
                    queue.first().cloned()
                } else {
                    queue.iter().find(|n| **n == up).cloned()
                };
                match found {
                    Some(t) => {
                        self.transfer = Some(t);
                        Flow::Stay
                    }
                    None if up.is_empty() => {
                        self.notice = Some(Notice::info("nothing in transit to here"));
                        Flow::Stay
                    }
                    None => refuse(
                        &mut self.notice,
                        format!("{up}: not in transit to {}", self.warehouse),
                    ),
                }
            }
            Some(number) => {
                if !up.is_empty() {
                    let Some(b) = s.bins.get(&(self.warehouse.clone(), up.to_code())) else {
                        return refuse(
                            &mut self.notice,
                            format!("no bin {up} in {}", self.warehouse),
                        );
                    };
                    if let Some(why) = not_receiving(b) {
                        return refuse(&mut self.notice, why);
                    }
                    self.bin = up.into();
                    return Flow::Stay;
                }
                Flow::Submit(Box::new(Request {
                    key: self.key.clone(),
                    body: CommandBody::ReceiveTransfer {
                        number: number.clone(),
                        bin: self.bin.clone(),
                    },
                }))
            }
        }
    }
}

impl Screen for RfTransferIn {
    fn name(&self) -> &'static str {
        "rf_transfer_in"
    }
    fn title(&self) -> String {
        "Receive transfer".into()
    }
    fn context(&self) -> Context {
        Context::Input
    }
    fn min_size(&self) -> (u16, u16) {
        RF_MIN
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        rf_actions(if self.transfer.is_none() {
            "take the transfer"
        } else {
            "receive / set the bin"
        })
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        match rf_key(&mut self.field, input) {
            RfKey::Accept => {
                item_case(&mut self.field, ctx.state());
                self.accept(ctx)
            }
            RfKey::Back if self.transfer.is_some() => {
                self.transfer = None;
                Flow::Stay
            }
            RfKey::Back => Flow::Pop,
            RfKey::Stay => Flow::Stay,
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.notice = Some(match answer(outcome, &mut self.key, ctx) {
            Answer::Done(_) => Notice::info(format!(
                "received {} into {}: put away next",
                self.transfer.take().unwrap_or_default(),
                self.bin
            )),
            Answer::Refused(_, n) | Answer::Stopped(n) => n,
        });
        Flow::Stay
    }
    fn committed(&mut self, ctx: &Ctx) {
        if let Some(t) = &self.transfer {
            if !in_transit(ctx.state(), &self.warehouse).contains(t) {
                self.transfer = None;
                self.notice = Some(Notice::bell("received elsewhere meanwhile"));
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
        match self.transfer.as_ref().and_then(|n| s.transfers.get(n)) {
            None => {
                lines.push(field_line("xfer", &self.field.text, th));
                lines.push(RfLine::styled(th.dim(), "scan the transfer"));
                let queue = in_transit(s, &self.warehouse);
                lines.push(RfLine::styled(
                    th.label(),
                    format!("in transit ({}):", queue.len()),
                ));
                for n in queue.iter().take(30) {
                    let from = s
                        .transfers
                        .get(n)
                        .map(|t| t.from.clone())
                        .unwrap_or_default();
                    lines.push(RfLine::plain(format!("{n} from {from}")));
                }
                draw(f, area, &lines, 0);
            }
            Some(t) => {
                lines.push(RfLine::styled(
                    th.dim(),
                    format!("{} from {}", t.number, t.from),
                ));
                lines.push(RfLine::styled(th.label(), "BIN  ").push(th.title(), self.bin.clone()));
                let keep = lines.len();
                lines.push(field_line("bin", &self.field.text, th));
                lines.push(RfLine::styled(th.dim(), "Enter receives all"));
                for l in &t.lines {
                    lines.push(RfLine::plain(format!("{} {}", l.sku, fmt_qty(l.qty))));
                }
                draw(f, area, &lines, keep);
            }
        }
    }
}
