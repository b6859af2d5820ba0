//! Ship (RF): the pick lists of the warehouse that are picked, packed and
//! not held, oldest first. Scan the list (or its order; Enter alone takes
//! the first), Enter accepts the order's carrier and service (or type
//! `UPS 2DA`), scan the tracking number, and Enter ships: one `ship_pick`
//! command. `NONE` typed there ships without a tracking number (the
//! distributor's own trucks), which Enter alone is told. For a customer
//! whose freight terms are prepaid-and-add the
//! shipper types the carrier's charge first, which the invoice bills (the
//! other terms bill no freight, so nothing is asked). Lists for the
//! will-call carrier (a customer picking up at the counter) are listed
//! apart; their "tracking" is the name of who collected. Stray scans are
//! refused with the bell where they land (a document number or an item
//! label at `track>`, a GTIN at `frt>`), and a freight more than the
//! goods shipped is asked about first (only `y` ships it).

use super::rf::{
    answer, draw, field_line, item_case, list_from_scan, refuse, rf_actions, rf_key, together,
    Answer, RfKey, RfLine, RF_MIN,
};
use crate::core::master::FreightTerms;
use crate::core::pack::packed_vs_picked;
use crate::core::types::Code;
use crate::core::types::ToCode;
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

/// The goods value of what a list ships: picked quantities at their
/// order lines' prices, in the order's currency `c`.
fn goods_value(s: &State, p: &PickList, c: &crate::core::types::Currency) -> Decimal {
    let Some(o) = s.orders.get(&p.order) else {
        return Decimal::ZERO;
    };
    let value: Decimal = p
        .lines
        .iter()
        .map(|l| {
            let price = o
                .lines
                .iter()
                .find(|x| x.line == l.order_line)
                .map_or(Decimal::ZERO, |x| x.price);
            l.picked * price
        })
        .sum();
    c.round(value)
}

/// A freight entry that is clearly a barcode: a GTIN (8, 12, 13 or 14
/// digits, no point) whose check digit holds, as an item's label gives
/// (a GTIN-8 `12345670` read as 12,345,670 shipped at once). Zero is
/// zero however many digits it has.
fn freight_is_barcode(t: &str) -> Option<String> {
    let gtin = crate::core::scan::is_gtin_shaped(t)
        && crate::core::scan::normalise_gtin(t).is_ok()
        && t.bytes().any(|b| b != b'0');
    gtin.then(|| format!("{t} is a barcode (GTIN-{}), not a freight charge", t.len()))
}

/// The question asked before billing a freight more than the goods, the
/// longest wording that fits the question box of a screen `size` (so
/// that both amounts are read before `y`); None when none fits.
fn freight_question(
    size: (u16, u16),
    freight: Decimal,
    goods: Decimal,
    c: &crate::core::types::Currency,
) -> Option<String> {
    let (f, g) = (c.round(freight), c.round(goods));
    [
        format!("Freight {f} {c} is more than the goods ({g} {c}). Ship and bill it?"),
        format!("Freight {f} is more than the goods {g}: bill it?"),
        format!("Bill freight {f}? Goods {g}"),
    ]
    .into_iter()
    .find(|q| crate::ui::app::question_fits(q, size))
}

/// A shipment of `carrier` (in memory: recent ones; archived shipments
/// left it) whose tracking number is `t`.
fn tracked_before<'s>(
    s: &'s State,
    carrier: &str,
    t: &str,
) -> Option<&'s crate::core::warehouse::Shipment> {
    s.shipments
        .values_any_order()
        .map(|sh| &**sh)
        .filter(|sh| sh.carrier == carrier && sh.tracking.eq_ignore_ascii_case(t))
        .max_by(|a, b| (a.date, &a.number).cmp(&(b.date, &b.number)))
}

/// The question for a tracking number already on shipment `sh`, the
/// longest wording that fits the screen (none: refused instead).
fn tracking_question(
    size: (u16, u16),
    t: &str,
    sh: &crate::core::warehouse::Shipment,
) -> Option<String> {
    [
        format!(
            "Tracking {t} is on {} ({}, {}) already. Ship this list with it too?",
            sh.number, sh.customer, sh.date
        ),
        format!("{t} is on {} already. Ship with it too?", sh.number),
        format!("On {} already: ship too?", sh.number),
    ]
    .into_iter()
    .find(|q| crate::ui::app::question_fits(q, size))
}

/// Why `t` is not the tracking number of list `p` (with `will_call`: the
/// name of who collects): a stray scan of something depot knows. The
/// list's own label or its order's (a scanner firing twice), any depot
/// document number, an item's barcode, one of the list's carton labels
/// (SSCC); for a carrier, characters no tracking number has (letters,
/// digits, `-` and the spaces of one typed from a label as printed).
/// Carriers' own formats are not checked: depot holds none.
fn tracking_problem(s: &State, p: &PickList, t: &str, will_call: bool) -> Option<String> {
    let what = if will_call {
        "who collects"
    } else {
        "a tracking number"
    };
    if !will_call
        && !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ')
    {
        return Some(format!("{t:?}: a tracking number is letters, digits and -"));
    }
    if p.number.eq_ignore_ascii_case(t) {
        return Some(format!("{t} is the pick list, not {what}"));
    }
    if p.order.eq_ignore_ascii_case(t) {
        return Some(format!("{t} is the order, not {what}"));
    }
    if let Some(kind) = crate::core::code::document_kind(t) {
        return Some(format!("{t} is a depot {kind} number, not {what}"));
    }
    if let Ok(si) = s.scanned_item(t, String::new) {
        return Some(format!("{t} is item {}'s barcode, not {what}", si.item.sku));
    }
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() >= 18 {
        for c in &p.cartons {
            // The label's SSCC, bare, as (00) or with its symbology.
            let Ok(sscc) = crate::docs::build::carton_sscc(s, p, c.number) else {
                continue;
            };
            if digits.ends_with(&sscc) && digits.len() <= sscc.len() + 3 {
                return Some(format!("that is carton {}'s label, not {what}", c.number));
            }
        }
    }
    None
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

/// Enter at `track>` with nothing scanned.
const NO_TRACKING: &str = "scan the tracking number (own trucks: type NONE)";

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
    /// The freight asked about (more than the goods): shipped with it on
    /// `y`, with the question asked.
    asking_freight: Option<(Decimal, String)>,
    /// A tracking number already on another shipment of the carrier (a
    /// label scanned again, or one consolidated freight bill): taken on
    /// `y`, with the question asked.
    asking_tracking: Option<String>,
    /// The size the screen was last drawn at, for the question's fit.
    size: (u16, u16),
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
            asking_freight: None,
            asking_tracking: None,
            size: (u16::MAX, u16::MAX),
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
                    let Some(car) = s.carriers.get(&c.to_code()) else {
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
                let Some(list) = self.list.clone() else {
                    return Flow::Stay;
                };
                if text.is_empty() && self.carrier == WILL_CALL {
                    return refuse(&mut self.notice, "type the name of who collects".into());
                }
                if text.is_empty() {
                    return refuse(&mut self.notice, NO_TRACKING.into());
                }
                // A delivery on the distributor's own trucks has no
                // tracking number: NONE typed says so (not a y/n question,
                // which the next scan's burst would land on).
                if self.carrier != WILL_CALL && text.eq_ignore_ascii_case("none") {
                    return self.tracked(s, list, "");
                }
                if let Some(p) = s.picks.get(&list) {
                    if let Some(why) = tracking_problem(s, p, text, self.carrier == WILL_CALL) {
                        return refuse(&mut self.notice, why);
                    }
                }
                // A label scanned again (the last carton's, an old one on
                // the bench) would give two shipments one tracking number:
                // asked, strictly (a scan's Enter says no). One freight
                // bill over several lists is a yes.
                if self.carrier != WILL_CALL {
                    if let Some(sh) = tracked_before(s, &self.carrier, text) {
                        let Some(q) = tracking_question(self.size, text, sh) else {
                            return refuse(
                                &mut self.notice,
                                format!("{text} is on {} already", sh.number),
                            );
                        };
                        self.asking_tracking = Some(text.to_string());
                        return Flow::ConfirmStrict(q);
                    }
                }
                self.tracked(s, list, text)
            }
            Step::Freight => {
                let Some(list) = self.list.clone() else {
                    return Flow::Stay;
                };
                let Some(p) = s.picks.get(&list) else {
                    return Flow::Stay;
                };
                let Some(cur) = billed_freight(s, p) else {
                    return self.ship(list, Decimal::ZERO);
                };
                if let Some(why) = freight_is_barcode(text) {
                    return refuse(&mut self.notice, why);
                }
                let freight = match parse_freight(text, &cur) {
                    Ok(f) => f,
                    Err(e) => return refuse(&mut self.notice, e),
                };
                // A charge more than the goods it carries is asked about
                // (strictly: Enter, a scan's end, says no).
                let goods = goods_value(s, p, &cur);
                if freight > goods {
                    let Some(q) = freight_question(self.size, freight, goods, &cur) else {
                        return refuse(
                            &mut self.notice,
                            format!(
                                "freight {} is more than the goods {}: too narrow to ask",
                                cur.round(freight),
                                cur.round(goods)
                            ),
                        );
                    };
                    self.asking_freight = Some((freight, q.clone()));
                    return Flow::ConfirmStrict(q);
                }
                self.ship(list, freight)
            }
        }
    }

    /// The tracking number taken (empty: shipped without one): the
    /// freight asked next when the customer's terms bill it, else shipped.
    fn tracked(&mut self, s: &State, list: Code, tracking: &str) -> Flow {
        self.tracking = tracking.to_string();
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
            Step::Freight => "ship, bill freight",
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
    fn confirmed(&mut self, yes: bool, ctx: &Ctx) -> Flow {
        if let Some(tracking) = self.asking_tracking.take() {
            let Some(list) = self.list.clone().filter(|_| self.step == Step::Tracking) else {
                return Flow::Stay;
            };
            if !yes {
                self.notice = Some(Notice::info("not taken: scan this shipment's label"));
                return Flow::Stay;
            }
            return self.tracked(ctx.state(), list, &tracking);
        }
        let Some((freight, _)) = self.asking_freight.take() else {
            return Flow::Stay;
        };
        // (The list changed elsewhere meanwhile: `committed` said so.)
        let Some(list) = self.list.clone().filter(|_| self.step == Step::Freight) else {
            return Flow::Stay;
        };
        if !yes {
            self.notice = Some(Notice::info("nothing shipped: type the freight"));
            return Flow::Stay;
        }
        // (A question the screen showed cut is not answered yes: the app
        // does not pass that yes on.)
        self.ship(list, freight)
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
    /// A list taken and its carrier or tracking under way, or a scan
    /// typed and not entered: quitting asks first.
    fn dirty(&self) -> bool {
        self.step != Step::List || self.field.typing()
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        self.size = (area.width, area.height);
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
                        "{} {}",
                        p.map_or(0, |p| p.cartons.len()),
                        together(&format!(
                            "{} kg",
                            p.map(|p| p.cartons.iter().map(|c| c.weight).sum::<Decimal>())
                                .unwrap_or_default()
                        ))
                    ),
                ));
                lines.push(RfLine::styled(th.label(), "VIA  ").push(
                    Default::default(),
                    together(&format!("{} {}", self.carrier, self.service)),
                ));
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
                    // The tracking scanned, under the field: where rows
                    // are few (20x8, a tracking number taking two) it is
                    // what gives way, not the list and order above.
                    lines.push(RfLine::styled(th.label(), "TRK  ").push(
                        Default::default(),
                        if self.tracking.is_empty() {
                            "none".to_string()
                        } else {
                            self.tracking.clone()
                        },
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
