//! Release (the shipping lead's): what the warehouse can be given to pick.
//! Confirmed orders with reserved stock in this warehouse not yet on a pick
//! list, oldest requested first, and what is held back (a ship-complete
//! order still short, a credit or price hold) with why. Scan or type an
//! order (Enter alone takes the first) to release it, or a carrier (`FEDEX`,
//! `UPS GND`) to release its wave: every order of the warehouse that ships
//! with it. The next screen shows the pick lists the release makes, drafted
//! by the core on a copy of the view (nothing is committed), and Enter
//! releases them: one `release_order` or `release_wave` command.

use super::rf::{
    answer, draw, field_line, refuse, rf_actions, rf_key, rows_at, together, Answer, RfKey, RfLine,
    RF_MIN,
};
use crate::core::channel;
use crate::core::sales::OrderStatus;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::warehouse::{found_empty_only, lines_to_release};
use crate::core::{CommandBody, Event, State};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::TextField;
use chrono::NaiveDate;
use ratatui::layout::Rect;
use ratatui::Frame;
use rust_decimal::Decimal;

/// An order of the warehouse with something to release, or held back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub order: Code,
    pub customer: Code,
    pub carrier: Option<Code>,
    pub service: Option<Code>,
    pub requested: NaiveDate,
    /// Order lines with stock reserved here and not on a pick list.
    pub lines: usize,
    /// Why a release would not take it now (None: it can go).
    pub held: Option<String>,
}

impl Row {
    /// `FEDEX GND`, or `-` for an order with no carrier.
    pub fn via(&self) -> String {
        match (&self.carrier, &self.service) {
            (Some(c), Some(s)) => format!("{c} {s}"),
            (Some(c), None) => c.to_string(),
            _ => "-".into(),
        }
    }
}

/// The orders of `warehouse` with stock reserved there that no pick list
/// holds yet (and those on hold with lines there), oldest requested
/// first; the ones that can go before the ones held back.
pub fn rows(s: &State, warehouse: &str) -> Vec<Row> {
    // Held orders are not open orders: the exception queue's holds name them.
    let held: std::collections::BTreeSet<&Code> = s
        .open_exceptions
        .keys()
        .filter_map(|b| match b {
            crate::core::exceptions::Blocked::Order { number, .. } => Some(number),
            _ => None,
        })
        .collect();
    let mut out: Vec<Row> = s
        .index
        .open_orders
        .values()
        .flatten()
        .chain(held)
        .filter_map(|n| s.orders.get(n))
        .filter(|o| matches!(o.status, OrderStatus::Open | OrderStatus::Held))
        .filter_map(|o| {
            let here =
                |l: &&crate::core::sales::OrderLine| !l.cancelled && l.warehouse == warehouse;
            let held = if o.status == OrderStatus::Held {
                // Nothing is reserved on hold: its lines here are what
                // would be released once the hold goes.
                let n = o.lines.iter().filter(here).count();
                if n == 0 {
                    return None;
                }
                let why: Vec<&str> = o.holds.iter().map(|h| h.as_str()).collect();
                Some((n, Some(format!("{} (exception queue)", why.join(", ")))))
            } else {
                let todo = lines_to_release(s, o, Some(warehouse));
                let n = todo.len();
                if n == 0 {
                    return None;
                }
                // Every line waits on a bin a picker found empty.
                let counting = todo
                    .iter()
                    .map(|(l, _)| found_empty_only(s, warehouse, &l.sku).into_iter().next())
                    .collect::<Option<Vec<Code>>>()
                    .and_then(|bins| bins.into_iter().next());
                let ship_complete = channel::of_order(s, o).is_some_and(|p| p.ship_complete.value);
                let short = o
                    .lines
                    .iter()
                    .find(|l| !l.cancelled && l.backordered > Decimal::ZERO);
                let why = match short {
                    Some(l) if ship_complete => Some(format!(
                        "ship complete: line {} short {}",
                        l.line,
                        l.backordered.normalize()
                    )),
                    _ => counting.map(|bin| format!("count {bin} first (found empty)")),
                };
                Some((n, why))
            }?;
            Some(Row {
                order: o.number.clone(),
                customer: o.customer.clone(),
                carrier: o.carrier.clone(),
                service: o.service.clone(),
                requested: o.requested,
                lines: held.0,
                held: held.1,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.held.is_some(), a.requested, &a.order).cmp(&(b.held.is_some(), b.requested, &b.order))
    });
    out
}

/// A release as the core would make it, drafted on a copy of the view.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub body: CommandBody,
    /// What it releases: `SO-000017` or `wave FEDEX`.
    pub what: String,
    /// The pick lists it makes: (list, order, warehouse, lines).
    pub lists: Vec<(Code, Code, Code, usize)>,
    /// The wave's cutoff, on the warehouse's clock.
    pub cutoff: Option<String>,
}

/// Draft `body` on a copy of the state: the pick lists it would make, or
/// why the core refuses it.
pub fn draft(ctx: &Ctx, body: CommandBody, what: String) -> Result<Draft, String> {
    let (_, events) = ctx.dry_run(body.clone())?;
    let mut lists = Vec::new();
    let mut cutoff = None;
    for e in &events {
        match e {
            Event::PickListCreated(p) => lists.push((
                p.number.clone(),
                p.order.clone(),
                p.warehouse.clone(),
                p.lines.len(),
            )),
            Event::WaveReleased(w) => {
                let place = crate::core::zone::Place::Warehouse(w.warehouse.clone());
                let local = crate::core::zone::local_time(ctx.state(), &place, w.cutoff.and_utc());
                cutoff = Some(local.format("%a %H:%M").to_string());
            }
            _ => {}
        }
    }
    if lists.is_empty() {
        return Err(format!("{what}: nothing to release"));
    }
    Ok(Draft {
        body,
        what,
        lists,
        cutoff,
    })
}

pub struct Release {
    pub warehouse: Code,
    pub field: TextField,
    pub draft: Option<Draft>,
    pub key: String,
    /// Characters landed on the draft (a scan): the Enter that ends the
    /// burst does not release.
    scanned_over: bool,
    /// The rows as of a view's record: a frame or a key reads them again
    /// only after a commit (every open order of the warehouse is read).
    rows: Option<(u64, std::rc::Rc<Vec<Row>>)>,
    notice: Option<Notice>,
}

impl Release {
    pub fn new(ctx: &Ctx) -> Release {
        Release {
            warehouse: super::rf::warehouse_of(ctx),
            field: TextField::default(),
            draft: None,
            key: ctx.new_key(),
            scanned_over: false,
            rows: None,
            notice: None,
        }
    }

    /// [`rows`] of the view, computed once per record.
    fn rows(&mut self, ctx: &Ctx) -> std::rc::Rc<Vec<Row>> {
        let seq = ctx.view.seq;
        match &self.rows {
            Some((at, r)) if *at == seq => r.clone(),
            _ => {
                let r = std::rc::Rc::new(rows(ctx.state(), &self.warehouse));
                self.rows = Some((seq, r.clone()));
                r
            }
        }
    }

    /// Enter on the field: an order (Enter alone: the first that can go),
    /// else a carrier and perhaps its service, for a wave.
    fn choose(&mut self, ctx: &Ctx) -> Flow {
        let text = self.field.take();
        let text = text.trim().to_ascii_uppercase();
        let s = ctx.state();
        let rows = self.rows(ctx);
        let order = if text.is_empty() {
            match rows.iter().find(|r| r.held.is_none()) {
                Some(r) => Some(r.order.clone()),
                None => return refuse(&mut self.notice, "nothing to release".into()),
            }
        } else {
            rows.iter()
                .find(|r| r.order == text.as_str())
                .map(|r| r.order.clone())
        };
        if let Some(order) = order {
            if let Some(why) = rows
                .iter()
                .find(|r| r.order == order)
                .and_then(|r| r.held.clone())
            {
                return refuse(&mut self.notice, format!("{order} is held back: {why}"));
            }
            let body = CommandBody::ReleaseOrder {
                number: order.clone(),
            };
            return self.drafted(draft(ctx, body, order.to_string()));
        }
        let mut words = text.split_whitespace();
        let carrier = words.next().unwrap_or_default();
        let service = words.next();
        if let Some(c) = s.carriers.get(&carrier.to_code()) {
            if let Some(sv) = service {
                if !c.services.iter().any(|x| x.code == sv) {
                    return refuse(&mut self.notice, format!("{carrier} has no service {sv}"));
                }
            }
            let what = match service {
                Some(sv) => format!("wave {carrier} {sv}"),
                None => format!("wave {carrier}"),
            };
            let body = CommandBody::ReleaseWave {
                warehouse: self.warehouse.clone(),
                carrier: carrier.into(),
                service: service.map(Code::from),
            };
            return self.drafted(draft(ctx, body, what));
        }
        if s.orders.contains_key(&text.to_code()) {
            return refuse(
                &mut self.notice,
                format!("{text}: nothing to release in {}", self.warehouse),
            );
        }
        refuse(
            &mut self.notice,
            format!("{text}: no such order or carrier"),
        )
    }

    fn drafted(&mut self, d: Result<Draft, String>) -> Flow {
        match d {
            Ok(d) => {
                self.draft = Some(d);
                Flow::Stay
            }
            Err(e) => refuse(&mut self.notice, e),
        }
    }
}

impl Screen for Release {
    fn name(&self) -> &'static str {
        "release"
    }
    fn title(&self) -> String {
        "Release".into()
    }
    fn context(&self) -> Context {
        Context::Input
    }
    fn min_size(&self) -> (u16, u16) {
        RF_MIN
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        match self.draft {
            None => rf_actions("draft the release"),
            Some(_) => vec![
                (Action::Submit, "release"),
                (Action::Back, "back, nothing released"),
            ],
        }
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if let Some(d) = &self.draft {
            return match input {
                // The Enter ending a scan that landed here does not
                // release: the next one does.
                Input::Action(Action::Submit) if std::mem::take(&mut self.scanned_over) => refuse(
                    &mut self.notice,
                    "scan ignored: Enter releases, Esc back".into(),
                ),
                Input::Action(Action::Submit) => Flow::Submit(Box::new(Request {
                    key: self.key.clone(),
                    body: d.body.clone(),
                })),
                Input::Action(Action::Back | Action::Cancel) => {
                    self.draft = None;
                    self.scanned_over = false;
                    self.notice = Some(Notice::info("nothing released"));
                    Flow::Stay
                }
                Input::Char(_) => {
                    self.scanned_over = true;
                    refuse(&mut self.notice, "Enter releases; Esc goes back".into())
                }
                _ => Flow::Stay,
            };
        }
        match rf_key(&mut self.field, input) {
            RfKey::Accept => self.choose(ctx),
            RfKey::Back => Flow::Pop,
            RfKey::Stay => Flow::Stay,
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.notice = Some(match answer(outcome, &mut self.key, ctx) {
            Answer::Done(events) => {
                let lists: Vec<String> = events
                    .iter()
                    .filter_map(|e| match e {
                        Event::PickListCreated(p) => Some(p.number.to_string()),
                        _ => None,
                    })
                    .collect();
                let wave = events.iter().find_map(|e| match e {
                    Event::WaveReleased(w) => Some(format!("{} ", w.number)),
                    _ => None,
                });
                let what = self.draft.take().map(|d| d.what).unwrap_or_default();
                let names = match lists.as_slice() {
                    [one] => one.clone(),
                    [first, .., last] => format!("{first}..{last}"),
                    [] => String::new(),
                };
                Notice::info(format!(
                    "released {what}: {}{} list{} {names}",
                    wave.unwrap_or_default(),
                    lists.len(),
                    if lists.len() == 1 { "" } else { "s" }
                ))
            }
            Answer::Refused(_, n) => {
                self.draft = None;
                n
            }
            Answer::Stopped(n) => n,
        });
        Flow::Stay
    }
    fn committed(&mut self, ctx: &Ctx) {
        // Another session released or changed what the draft was made
        // from: draft it again, or say it is gone.
        let Some(d) = self.draft.take() else {
            return;
        };
        match draft(ctx, d.body.clone(), d.what.clone()) {
            Ok(again) => {
                if again.lists != d.lists {
                    self.notice = Some(Notice::bell("changed elsewhere: drafted again"));
                }
                self.draft = Some(again);
            }
            Err(e) => self.notice = Some(Notice::bell(format!("changed elsewhere: {e}"))),
        }
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let th = ctx.theme;
        let mut lines = Vec::new();
        let keep;
        if let Some(d) = &self.draft {
            lines.push(RfLine::styled(
                th.label(),
                format!("RELEASE {}", together(&d.what)),
            ));
            if let Some(c) = &d.cutoff {
                lines.push(RfLine::styled(th.dim(), format!("cutoff {c}")));
            }
            let orders: std::collections::BTreeSet<&Code> =
                d.lists.iter().map(|(_, o, _, _)| o).collect();
            lines.push(RfLine::plain(format!(
                "{} order{}, {} list{}",
                orders.len(),
                if orders.len() == 1 { "" } else { "s" },
                d.lists.len(),
                if d.lists.len() == 1 { "" } else { "s" }
            )));
            keep = lines.len();
            lines.push(RfLine::styled(th.field(true), "Enter releases"));
            lines.push(RfLine::styled(th.dim(), "Esc: back, nothing"));
            // At 20 columns the list and its order on a row, the
            // warehouse and the lines on the row under it.
            for (list, order, wh, n) in &d.lists {
                lines.push(RfLine::plain(format!(
                    "{list} {order} {wh} {}",
                    together(&format!("{n} line{}", if *n == 1 { "" } else { "s" }))
                )));
            }
            draw(f, area, &lines, keep);
            return;
        }
        // A handheld of 20 columns: the order and its lines, the rest on
        // wider screens; a reason held back on its own line.
        let narrow = area.width < 36;
        lines.push(field_line("order", &self.field.text, th));
        lines.push(RfLine::styled(
            th.dim(),
            if narrow {
                "order or carrier"
            } else {
                "order or carrier; Enter: first"
            },
        ));
        keep = 0;
        let all = self.rows(ctx);
        let (go, held): (Vec<&Row>, Vec<&Row>) = all.iter().partition(|r| r.held.is_none());
        lines.push(RfLine::styled(
            th.label(),
            format!("to release {} ({}):", self.warehouse, go.len()),
        ));
        // What is held back, a row each: at 20 columns the order, then
        // why on lines of its own, broken between words (a reason cut,
        // "credit hold (excep~", is a reason not read); wider, a reason
        // too long for the row goes on under it (`rows_at`).
        let held_rows: Vec<Vec<RfLine>> = held
            .iter()
            .take(20)
            .map(|r| {
                let why = r.held.as_deref().unwrap_or_default();
                if narrow {
                    let width = usize::from(area.width.saturating_sub(1)).max(1);
                    std::iter::once(RfLine::plain(format!("{} {}", r.order, r.customer)))
                        .chain(
                            crate::ui::widgets::wrap_words(why, width, usize::MAX)
                                .into_iter()
                                .map(|l| RfLine::styled(th.dim(), format!(" {l}"))),
                        )
                        .collect()
                } else {
                    vec![RfLine::plain(format!("{} {}: {why}", r.order, r.customer))]
                }
            })
            .map(|rows| rows_at(rows, area.width))
            .collect();
        // At 20 columns the order and its carrier and service, then its
        // lines when they fit too (an order a row, so that what is held
        // back stays in sight at 8 rows); a carrier too long for the row
        // goes on the row under it, whole.
        let width = usize::from(area.width);
        let go_rows: Vec<Vec<RfLine>> = go
            .iter()
            .take(40)
            .map(|r| {
                let row = if narrow {
                    let via = r.via();
                    let full = format!("{} {via} {}l", r.order, r.lines);
                    let short = format!("{} {via}", r.order);
                    if full.chars().count() <= width {
                        full
                    } else if short.chars().count() <= width {
                        short
                    } else {
                        format!("{} {}l {}", r.order, r.lines, together(&via))
                    }
                } else {
                    format!(
                        "{} {} {} {} {}l",
                        r.order,
                        r.customer,
                        r.via(),
                        r.requested.format("%m-%d"),
                        r.lines
                    )
                };
                rows_at(vec![RfLine::plain(row)], area.width)
            })
            .collect();
        // On a short screen the orders to release give way, so that what
        // is held back (and why) stays in sight: the headers count both
        // (every count here in rows, an entry broken in two taking two).
        let mut lines = rows_at(lines, area.width);
        let per_held = held_rows.first().map_or(1, Vec::len);
        let room = (area.height as usize).saturating_sub(lines.len() + 1);
        let held_want = if held.is_empty() {
            0
        } else {
            1 + held_rows.iter().map(Vec::len).sum::<usize>()
        };
        let go_want: usize = go_rows.iter().map(Vec::len).sum();
        let go_room = if go_want + held_want <= room || held.is_empty() {
            usize::MAX
        } else {
            room.saturating_sub(1 + per_held)
        };
        let mut used = 0;
        for (i, rows) in go_rows.into_iter().enumerate() {
            // The first order always shows.
            if i > 0 && used + rows.len() > go_room {
                break;
            }
            used += rows.len();
            lines.extend(rows);
        }
        if !held.is_empty() {
            lines.push(RfLine::styled(
                th.label(),
                format!("held back ({}):", held.len()),
            ));
            lines.extend(held_rows.into_iter().flatten());
        }
        draw(f, area, &lines, keep);
    }
}
