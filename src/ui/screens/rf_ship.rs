//! Ship (RF): the pick lists of the warehouse that are picked, packed and
//! not held, oldest first. Scan the list (or its order; Enter alone takes
//! the first), Enter accepts the order's carrier and service (or type
//! `UPS 2DA`), scan the tracking number, and Enter ships: one `ship_pick`
//! command. For a customer whose freight terms are prepaid-and-add the
//! shipper types the carrier's charge first, which the invoice bills (the
//! other terms bill no freight, so nothing is asked). Lists for the
//! will-call carrier (a customer picking up at the counter) are listed
//! apart; their "tracking" is the name of who collected.

use super::rf::{
    answer, draw, field_line, list_from_scan, refuse, rf_actions, rf_key, Answer, RfKey, RfLine,
    RF_MIN,
};
use crate::core::master::FreightTerms;
use crate::core::pack::packed_vs_picked;
use crate::core::types::Code;
use crate::core::warehouse::{PickList, PickStatus};
use crate::core::{CommandBody, Event, State};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::TextField;
use ratatui::layout::Rect;
use ratatui::Frame;
use rust_decimal::Decimal;

/// The carrier of counter pick-ups (the demo's `WILLCALL`).
pub const WILL_CALL: &str = "WILLCALL";

/// Is a list ready to ship: nothing left to pick, everything picked in
/// cartons, no carton held?
pub fn ready(p: &PickList) -> bool {
    p.status == PickStatus::Open
        && p.lines.iter().all(|l| l.open() <= Decimal::ZERO)
        && p.lines.iter().any(|l| l.picked > Decimal::ZERO)
        && packed_vs_picked(p).values().all(|(pk, pa)| pk == pa)
        && p.cartons.iter().all(|c| !c.held)
}

/// The order's carrier and service for a list.
fn carrier_of(s: &State, p: &PickList) -> (Code, Code) {
    let o = s.orders.get(&p.order);
    (
        o.and_then(|o| o.carrier.clone()).unwrap_or_default(),
        o.and_then(|o| o.service.clone()).unwrap_or_default(),
    )
}

/// The currency the freight on a list's shipment is billed in, when its
/// customer's terms add freight to the invoice (prepaid-and-add).
fn billed_freight(s: &State, p: &PickList) -> Option<crate::core::types::Currency> {
    let o = s.orders.get(&p.order)?;
    let c = s.customers.get(&o.customer)?;
    (c.ship_policy.freight_terms == FreightTerms::PrepaidAndAdd).then(|| o.currency.clone())
}

/// The freight charge typed: zero or more, at most the currency's
/// decimals and the screens' largest amount.
fn parse_freight(t: &str, c: &crate::core::types::Currency) -> Result<Decimal, String> {
    if t.is_empty() {
        return Err(format!("type the freight to bill in {c} (0: none)"));
    }
    if t.starts_with('-') {
        return Err(format!("freight {t} cannot be negative"));
    }
    // (The decimal grammar's own message offers a sign, which freight
    // does not take.)
    let d = crate::core::types::parse_decimal(t)
        .map_err(|_| format!("freight {t:?}: type the charge, e.g. 12.50"))?;
    let dp = c.minor_units();
    if d.scale() > dp {
        return Err(format!("freight {t}: {c} takes at most {dp} decimals"));
    }
    let max = crate::ui::entry::AMOUNT_MAX;
    if d > Decimal::from(max) {
        return Err(format!("freight {t} is more than {max}"));
    }
    Ok(d)
}

/// Lists ready to ship in `warehouse`: (list, will-call?).
pub fn to_ship(s: &State, warehouse: &str) -> Vec<(Code, bool)> {
    s.index
        .open_picks
        .iter()
        .filter_map(|n| s.picks.get(n))
        .filter(|p| p.warehouse == warehouse && ready(p))
        .map(|p| (p.number.clone(), carrier_of(s, p).0 == WILL_CALL))
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    List,
    Carrier,
    Tracking,
    /// The freight charge to bill (prepaid-and-add customers only).
    Freight,
}

pub struct RfShip {
    pub warehouse: Code,
    pub list: Option<Code>,
    pub carrier: Code,
    pub service: Code,
    /// The tracking number scanned, kept while the freight is typed.
    pub tracking: String,
    pub step: Step,
    pub field: TextField,
    pub key: String,
    notice: Option<Notice>,
}

impl RfShip {
    pub fn new(ctx: &Ctx) -> RfShip {
        RfShip {
            warehouse: super::rf::warehouse_of(ctx),
            list: None,
            carrier: String::new().into(),
            service: String::new().into(),
            tracking: String::new(),
            step: Step::List,
            field: TextField::default(),
            key: ctx.new_key(),
            notice: None,
        }
    }

    fn accept(&mut self, ctx: &Ctx) -> Flow {
        let text = self.field.take();
        let text = text.trim();
        let s = ctx.state();
        match self.step {
            Step::List => {
                let found = if text.is_empty() {
                    to_ship(s, &self.warehouse).first().map(|x| x.0.clone())
                } else {
                    list_from_scan(s, &self.warehouse, text, ready)
                };
                match found.and_then(|l| s.picks.get(&l).cloned()) {
                    Some(p) => {
                        let (c, sv) = carrier_of(s, &p);
                        self.carrier = c;
                        self.service = sv;
                        self.list = Some(p.number.clone());
                        self.step = Step::Carrier;
                        Flow::Stay
                    }
                    None if text.is_empty() => {
                        self.notice = Some(Notice::info("nothing to ship"));
                        Flow::Stay
                    }
                    None => {
                        // A list held on a carton's weight: say so, not
                        // "nothing ready".
                        let held = crate::ui::screens::rf_pack::held_cartons(s, &self.warehouse)
                            .into_iter()
                            .find(|(l, ..)| {
                                l.eq_ignore_ascii_case(text)
                                    || s.picks
                                        .get(l)
                                        .is_some_and(|p| p.order.eq_ignore_ascii_case(text))
                            });
                        match held {
                            Some((l, n, ..)) => refuse(
                                &mut self.notice,
                                format!(
                                "{l} carton {n} is held on its weight: a supervisor releases it"
                            ),
                            ),
                            None => {
                                refuse(&mut self.notice, format!("{text}: nothing ready to ship"))
                            }
                        }
                    }
                }
            }
            Step::Carrier => {
                if !text.is_empty() {
                    let mut w = text.split_whitespace();
                    let c = w.next().unwrap_or_default().to_ascii_uppercase();
                    let sv = w.next().map(|x| x.to_ascii_uppercase());
                    let Some(car) = s.carriers.get(c.as_str()) else {
                        return refuse(&mut self.notice, format!("no carrier {c}"));
                    };
                    let sv = match sv {
                        Some(x) => x,
                        None => car
                            .services
                            .first()
                            .map(|x| x.code.clone())
                            .unwrap_or_default()
                            .to_string(),
                    };
                    if !car.services.iter().any(|x| x.code == sv) {
                        return refuse(&mut self.notice, format!("{c} has no service {sv}"));
                    }
                    self.carrier = c.into();
                    self.service = sv.into();
                }
                if self.carrier.is_empty() || self.service.is_empty() {
                    return refuse(
                        &mut self.notice,
                        "type the carrier and service, e.g. UPS GND".into(),
                    );
                }
                self.step = Step::Tracking;
                Flow::Stay
            }
            Step::Tracking => {
                if text.is_empty() && self.carrier != WILL_CALL {
                    return refuse(&mut self.notice, "scan the tracking number".into());
                }
                if text.is_empty() {
                    return refuse(&mut self.notice, "type the name of who collects".into());
                }
                let Some(list) = self.list.clone() else {
                    return Flow::Stay;
                };
                self.tracking = text.to_string();
                let bills = self.carrier != WILL_CALL
                    && s.picks
                        .get(&list)
                        .and_then(|p| billed_freight(s, p))
                        .is_some();
                if bills {
                    self.step = Step::Freight;
                    return Flow::Stay;
                }
                self.ship(list, Decimal::ZERO)
            }
            Step::Freight => {
                let Some(list) = self.list.clone() else {
                    return Flow::Stay;
                };
                let Some(cur) = s.picks.get(&list).and_then(|p| billed_freight(s, p)) else {
                    return self.ship(list, Decimal::ZERO);
                };
                match parse_freight(text, &cur) {
                    Ok(freight) => self.ship(list, freight),
                    Err(e) => refuse(&mut self.notice, e),
                }
            }
        }
    }

    fn ship(&self, list: Code, freight: Decimal) -> Flow {
        Flow::Submit(Box::new(Request {
            key: self.key.clone(),
            body: CommandBody::ShipPick {
                list,
                carrier: self.carrier.clone(),
                service: self.service.clone(),
                tracking: self.tracking.clone(),
                freight,
            },
        }))
    }
}

impl Screen for RfShip {
    fn name(&self) -> &'static str {
        "rf_ship"
    }
    fn title(&self) -> String {
        "Ship".into()
    }
    fn context(&self) -> Context {
        Context::Input
    }
    fn min_size(&self) -> (u16, u16) {
        RF_MIN
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        rf_actions(match self.step {
            Step::List => "take the list",
            Step::Carrier => "accept the carrier",
            Step::Tracking => "ship",
            Step::Freight => "ship, billing the freight",
        })
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        match rf_key(&mut self.field, input) {
            RfKey::Accept => self.accept(ctx),
            RfKey::Back => {
                match self.step {
                    Step::Freight => self.step = Step::Tracking,
                    Step::Tracking => self.step = Step::Carrier,
                    Step::Carrier => {
                        self.step = Step::List;
                        self.list = None;
                    }
                    Step::List => return Flow::Pop,
                }
                Flow::Stay
            }
            RfKey::Stay => Flow::Stay,
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.notice = Some(match answer(outcome, &mut self.key, ctx) {
            Answer::Done(events) => {
                let sh = events.iter().find_map(|e| match e {
                    Event::Shipped { shipment, .. } => Some(shipment.number.clone()),
                    _ => None,
                });
                self.list = None;
                self.step = Step::List;
                Notice::info(format!("shipped {}", sh.unwrap_or_default()))
            }
            Answer::Refused(_, n) | Answer::Stopped(n) => n,
        });
        Flow::Stay
    }
    fn committed(&mut self, ctx: &Ctx) {
        if let Some(l) = &self.list {
            if !ctx.state().picks.get(l).is_some_and(|p| ready(p)) {
                self.list = None;
                self.step = Step::List;
                self.notice = Some(Notice::bell("the list changed elsewhere"));
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
        match (&self.list, self.step) {
            (None, _) | (_, Step::List) => {
                keep = 0;
                lines.push(field_line("list", &self.field.text, th));
                lines.push(RfLine::styled(th.dim(), "scan list or order"));
                let queue = to_ship(s, &self.warehouse);
                for (title, wc) in [("to ship", false), ("will call", true)] {
                    let these: Vec<&Code> =
                        queue.iter().filter(|x| x.1 == wc).map(|x| &x.0).collect();
                    lines.push(RfLine::styled(
                        th.label(),
                        format!("{title} ({}):", these.len()),
                    ));
                    for l in these.into_iter().take(20) {
                        let p = s.picks.get(l);
                        let order = p.map(|p| p.order.clone()).unwrap_or_default();
                        let cust = s
                            .orders
                            .get(&order)
                            .map(|o| o.customer.clone())
                            .unwrap_or_default();
                        lines.push(RfLine::plain(format!("{l} {order} {cust}")));
                    }
                }
            }
            (Some(list), step) => {
                let p = s.picks.get(list);
                let order = p.map(|p| p.order.clone()).unwrap_or_default();
                lines.push(RfLine::styled(th.dim(), format!("{list} {order}")));
                lines.push(RfLine::styled(th.label(), "CTNS ").push(
                    Default::default(),
                    format!(
                        "{} {} kg",
                        p.map_or(0, |p| p.cartons.len()),
                        p.map(|p| p.cartons.iter().map(|c| c.weight).sum::<Decimal>())
                            .unwrap_or_default()
                    ),
                ));
                lines.push(RfLine::styled(th.label(), "VIA  ").push(
                    Default::default(),
                    format!("{} {}", self.carrier, self.service),
                ));
                if step == Step::Freight {
                    lines.push(
                        RfLine::styled(th.label(), "TRK  ")
                            .push(Default::default(), self.tracking.clone()),
                    );
                }
                keep = lines.len();
                if step == Step::Carrier {
                    lines.push(field_line("via", &self.field.text, th));
                    lines.push(RfLine::styled(th.dim(), "Enter accepts"));
                } else if step == Step::Freight {
                    let cur = p.and_then(|p| billed_freight(s, p));
                    lines.push(field_line("frt", &self.field.text, th));
                    lines.push(RfLine::styled(
                        th.dim(),
                        format!(
                            "freight {}, 0 none",
                            cur.map(|c| c.to_string()).unwrap_or_default()
                        ),
                    ));
                } else if self.carrier == WILL_CALL {
                    lines.push(field_line("name", &self.field.text, th));
                    lines.push(RfLine::styled(th.dim(), "who collects; Enter"));
                } else {
                    lines.push(field_line("track", &self.field.text, th));
                    lines.push(RfLine::styled(th.dim(), "scan tracking"));
                }
            }
        }
        draw(f, area, &lines, keep);
    }
}
