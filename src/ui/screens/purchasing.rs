//! Purchasing (buyer): the replenishment worklist grouped by supplier and
//! warehouse, each suggestion with its figures and the reason for its
//! quantity; a quantity changed, a line left out, a group accepted into a
//! draft PO after a confirm; then the POs with their approval status,
//! late receipts highlighted, a draft submitted and a PO waiting for
//! approval approved by someone other than its buyer.

use crate::core::purchasing::{PoStatus, PurchaseOrder};
use crate::core::replenish::{suggestions, AcceptLine, Suggestion};
use crate::core::types::ToCode;
use crate::core::types::{parse_decimal, Code};
use crate::core::{CommandBody, Event};
use crate::models::replenish::{advise, Advice};
use crate::query::supplier::{performance, SupplierPerformance};
use crate::query::{money, qty};
use crate::ui::entry::item_qty_problem;
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{fit, moved, reselected, TextField};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};
use ratatui::Frame;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Worklist,
    EditQty,
    Orders,
    /// Supplier performance: on time, fill and lead-time drift.
    Suppliers,
    Filter,
    /// Why the PO under the cursor is closed short or cancelled.
    Reason,
}

enum Ask {
    Accept(Code, Code, Vec<AcceptLine>),
    Submit(Code),
    Approve(Code),
    /// Close short (true: something was received) or cancel, with why.
    End(Code, bool, String),
}

pub struct Purchasing {
    pub focus: Focus,
    pub selected: usize,
    pub row: usize,
    pub supplier_row: usize,
    /// (supplier, warehouse, sku) -> the buyer's quantity (supplier unit).
    pub edits: BTreeMap<(Code, Code, Code), Decimal>,
    /// Lines left out of their group's PO.
    pub left_out: BTreeSet<(Code, Code, Code)>,
    pub edit: TextField,
    /// A filter per list (worklist, purchase orders, supplier
    /// performance): filtering one leaves the others whole.
    pub filters: [TextField; 3],
    /// Where the filter was opened (it filters that list).
    filter_from: Focus,
    asking: Option<Ask>,
    pending: bool,
    page: usize,
    notice: Option<Notice>,
    /// Supplier performance as of (sequence, day): computed once per
    /// commit, not per frame.
    perf: Option<(u64, chrono::NaiveDate, Vec<SupplierPerformance>)>,
    /// The demand forecast beside each suggestion, as of (sequence, day):
    /// trained once per commit, not per frame.
    advice: Option<(u64, chrono::NaiveDate, AdviceMap)>,
    /// The suggestion and the PO under the cursor when last moved or
    /// drawn (from the lists computed then, not again per key): a
    /// commit of another session (a PO made, numbered above the rest)
    /// moves rows, and the cursor stays on the record, not the position.
    at_work: Option<(Code, Code, Code)>,
    at_po: Option<Code>,
    /// The PO just submitted or approved, to say where it stands.
    acted: Option<Code>,
    /// The PO being closed short (true) or cancelled, while its reason
    /// is typed.
    ending: Option<(Code, bool)>,
    /// The operator may approve POs (a buyer may not: F6 is not offered,
    /// and says who approves). Read from the view when drawn.
    approves: bool,
}

/// The forecast of each suggestion by (warehouse, sku).
type AdviceMap = BTreeMap<(Code, Code), Advice>;

/// The window of supplier performance, in days up to today.
const PERF_DAYS: u32 = 365;

/// Days late of a PO: its most overdue open line (0: none late).
pub fn days_late(po: &PurchaseOrder, today: chrono::NaiveDate) -> i64 {
    if !matches!(po.status, PoStatus::Open | PoStatus::AwaitingApproval) {
        return 0;
    }
    po.lines
        .iter()
        .filter(|l| l.open() > Decimal::ZERO)
        .map(|l| (today - l.expected).num_days())
        .max()
        .unwrap_or(0)
        .max(0)
}

fn key_of(s: &Suggestion) -> (Code, Code, Code) {
    (
        s.supplier.clone().unwrap_or_default(),
        s.warehouse.clone(),
        s.sku.clone(),
    )
}

impl Default for Purchasing {
    fn default() -> Self {
        Purchasing::new()
    }
}

impl Purchasing {
    pub fn new() -> Purchasing {
        Purchasing {
            focus: Focus::Worklist,
            selected: 0,
            row: 0,
            supplier_row: 0,
            edits: BTreeMap::new(),
            left_out: BTreeSet::new(),
            edit: TextField::default(),
            filters: Default::default(),
            filter_from: Focus::Worklist,
            asking: None,
            pending: false,
            page: 10,
            notice: None,
            perf: None,
            advice: None,
            at_work: None,
            at_po: None,
            acted: None,
            ending: None,
            approves: false,
        }
    }

    /// Opened on one purchase order (the exception queue's Enter on a PO
    /// waiting for its approval): the purchase orders listed, that PO
    /// selected, as Tab and the arrow keys would leave them; its lines
    /// under the list and F6 approving it. A PO not listed (not a draft,
    /// waiting or open) is said, the list shown from its top.
    pub fn for_po(ctx: &Ctx, number: &str) -> Purchasing {
        let mut p = Purchasing::new();
        p.focus = Focus::Orders;
        match p.orders(ctx).iter().position(|o| o.number == number) {
            Some(row) => {
                p.row = row;
                p.at_po = Some(number.into());
            }
            None => {
                let why = match ctx.state().purchase_orders.get(&number.to_code()) {
                    Some(po) => format!("{number} is {}: not listed", status(po)),
                    None => format!("no purchase order {number}"),
                };
                p.notice = Some(Notice::error(why));
            }
        }
        p
    }

    /// The worklist, by supplier, warehouse and SKU (the filter keeps
    /// what matches supplier, warehouse, SKU or description).
    fn work(&self, ctx: &Ctx) -> Vec<Suggestion> {
        let f = self.filters[0].trimmed().to_ascii_uppercase();
        let mut v: Vec<Suggestion> = suggestions(ctx.state(), ctx.today(), None)
            .into_iter()
            .filter(|s| {
                f.is_empty()
                    || format!(
                        "{} {} {} {}",
                        s.supplier.clone().unwrap_or_default(),
                        s.warehouse,
                        s.sku,
                        s.description
                    )
                    .to_ascii_uppercase()
                    .contains(&f)
            })
            .collect();
        v.sort_by_key(key_of);
        v
    }

    fn orders<'s>(&self, ctx: &'s Ctx) -> Vec<&'s PurchaseOrder> {
        let f = self.filters[1].trimmed().to_ascii_uppercase();
        let mut v: Vec<&PurchaseOrder> = ctx
            .state()
            .purchase_orders
            .values()
            .filter(|p| {
                matches!(
                    p.status,
                    PoStatus::Draft | PoStatus::AwaitingApproval | PoStatus::Open
                )
            })
            .filter(|p| {
                f.is_empty()
                    || format!("{} {} {}", p.number, p.supplier, p.warehouse)
                        .to_ascii_uppercase()
                        .contains(&f)
            })
            .collect();
        v.sort_by(|a, b| b.number.cmp(&a.number));
        v
    }

    /// Supplier performance over the last year, filtered like the lists.
    fn suppliers(&mut self, ctx: &Ctx) -> Vec<SupplierPerformance> {
        let (seq, today) = (ctx.view.seq, ctx.today());
        if !matches!(&self.perf, Some((s, d, _)) if *s == seq && *d == today) {
            self.perf = Some((seq, today, performance(ctx.state(), today, PERF_DAYS)));
        }
        let f = self.filters[2].trimmed().to_ascii_uppercase();
        self.perf
            .as_ref()
            .map(|(_, _, v)| {
                v.iter()
                    .filter(|p| {
                        f.is_empty()
                            || format!("{} {} {}", p.supplier, p.name, p.entity)
                                .to_ascii_uppercase()
                                .contains(&f)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The forecast of a suggestion (trained on the whole worklist once
    /// per commit and day).
    fn advice(&mut self, ctx: &Ctx, s: &Suggestion) -> Option<Advice> {
        let (seq, today) = (ctx.view.seq, ctx.today());
        if !matches!(&self.advice, Some((q, d, _)) if *q == seq && *d == today) {
            let all = suggestions(ctx.state(), today, None);
            self.advice = Some((seq, today, advise(ctx.state(), today, &all)));
        }
        self.advice
            .as_ref()
            .and_then(|(_, _, m)| m.get(&(s.warehouse.clone(), s.sku.clone())).cloned())
    }

    fn qty_of(&self, s: &Suggestion) -> Decimal {
        self.edits.get(&key_of(s)).copied().unwrap_or(s.unit_qty)
    }

    fn submit(&mut self, key: String, body: CommandBody) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        self.pending = true;
        Flow::Submit(Box::new(Request { key, body }))
    }

    fn accept_group(&mut self, ctx: &Ctx) -> Flow {
        let work = self.work(ctx);
        let Some(sel) = work.get(self.selected) else {
            return Flow::Stay;
        };
        let Some(supplier) = sel.supplier.clone() else {
            self.notice = Some(Notice::error(format!(
                "{}: no active supplier of the entity lists it",
                sel.sku
            )));
            return Flow::Stay;
        };
        let warehouse = sel.warehouse.clone();
        let lines: Vec<AcceptLine> = work
            .iter()
            .filter(|s| s.supplier.as_ref() == Some(&supplier) && s.warehouse == warehouse)
            .filter(|s| !self.left_out.contains(&key_of(s)))
            .map(|s| AcceptLine {
                sku: s.sku.clone(),
                qty: self.edits.get(&key_of(s)).copied(),
            })
            .collect();
        if lines.is_empty() {
            self.notice = Some(Notice::error("every line of this group is left out"));
            return Flow::Stay;
        }
        // What will be ordered, so that a mistyped quantity shows before
        // yes: the first lines, each in its supplier's unit.
        let what: Vec<String> = work
            .iter()
            .filter(|s| s.supplier.as_ref() == Some(&supplier) && s.warehouse == warehouse)
            .filter(|s| !self.left_out.contains(&key_of(s)))
            .map(|s| {
                let q = self.edits.get(&key_of(s)).copied().unwrap_or(s.unit_qty);
                format!("{} {} {}", s.sku, crate::query::qty(q), s.unit)
            })
            .collect();
        let more = match what.len() {
            n if n > 3 => format!(", and {} more", n - 3),
            _ => String::new(),
        };
        let q = format!(
            "Accept {} into a draft PO of {supplier} for {warehouse}: {}{more}?",
            match lines.len() {
                1 => "1 suggestion".to_string(),
                n => format!("{n} suggestions"),
            },
            what[..what.len().min(3)].join(", ")
        );
        self.asking = Some(Ask::Accept(supplier, warehouse, lines));
        Flow::Confirm(q)
    }
}

impl Screen for Purchasing {
    fn name(&self) -> &'static str {
        "purchasing"
    }
    fn title(&self) -> String {
        match self.focus {
            Focus::Orders | Focus::Reason => "purchasing · purchase orders".into(),
            Focus::Suppliers => "purchasing · supplier performance".into(),
            _ => "purchasing · replenishment".into(),
        }
    }
    fn context(&self) -> Context {
        match self.focus {
            Focus::Worklist | Focus::Orders | Focus::Suppliers => Context::List,
            _ => Context::Input,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        match self.focus {
            Focus::Worklist => vec![
                (Action::Open, "change the quantity"),
                (Action::DeleteLine, "leave out / back in"),
                (Action::Complete, "accept the group into a draft PO"),
                (Action::Search, "filter"),
                (Action::NextField, "purchase orders"),
                (Action::New, "new PO"),
                (Action::Back, "back"),
                (Action::Help, "keys"),
            ],
            Focus::Orders if !self.approves => vec![
                (Action::Complete, "submit the draft"),
                (Action::New, "new PO"),
                (Action::DeleteLine, "close or cancel the PO"),
                (Action::Print, "print the PO"),
                (Action::Search, "filter"),
                (Action::NextField, "supplier performance"),
                (Action::Back, "back"),
                (Action::Help, "keys"),
            ],
            Focus::Orders => vec![
                (Action::Complete, "submit the draft"),
                (Action::New, "new PO"),
                (Action::DeleteLine, "close or cancel the PO"),
                (Action::Approve, "approve (not your own)"),
                (Action::Print, "print the PO"),
                (Action::Search, "filter"),
                (Action::NextField, "supplier performance"),
                (Action::Back, "back"),
                (Action::Help, "keys"),
            ],
            Focus::Suppliers => vec![
                (Action::Search, "filter"),
                (Action::NextField, "worklist"),
                (Action::Back, "back"),
                (Action::Help, "keys"),
            ],
            Focus::EditQty => vec![
                (Action::Submit, "set the quantity"),
                (Action::Cancel, "back"),
            ],
            Focus::Reason => vec![(Action::Submit, "the reason"), (Action::Cancel, "back")],
            Focus::Filter => vec![(Action::Submit, "keep filter"), (Action::Cancel, "clear")],
        }
    }

    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        match (self.focus, input) {
            // A PO typed by the buyer, not from a suggestion.
            (Focus::Worklist | Focus::Orders | Focus::Suppliers, Input::Action(Action::New)) => {
                Flow::Push(Box::new(super::po_entry::PoEntry::new(ctx)))
            }
            (Focus::Filter, input) => {
                let at = self.list();
                let key = self.filters[at].filter_key(input);
                if key.changed {
                    self.selected = 0;
                    self.row = 0;
                    self.supplier_row = 0;
                }
                if key.back {
                    self.focus = self.back_to();
                }
                Flow::Stay
            }
            (Focus::EditQty, Input::Action(Action::Submit)) => {
                let work = self.work(ctx);
                if let Some(s) = work.get(self.selected) {
                    let st = ctx.state();
                    let most = Decimal::from(crate::ui::entry::LINE_QTY_MAX);
                    match parse_decimal(&crate::ui::entry::ungroup(self.edit.trimmed())) {
                        Ok(v) if v > most => {
                            self.notice = Some(Notice::error(format!(
                                "{} {}: at most {most} on a line",
                                v.normalize(),
                                s.unit
                            )))
                        }
                        Ok(v) if v > Decimal::ZERO => {
                            match item_qty_problem(st, &s.sku, Some(&s.unit), v) {
                                Some(p) => self.notice = Some(Notice::error(p)),
                                None => {
                                    self.edits.insert(key_of(s), v);
                                    self.focus = Focus::Worklist;
                                }
                            }
                        }
                        _ => {
                            self.notice = Some(Notice::error(format!(
                                "a quantity above zero, in {}",
                                s.unit
                            )))
                        }
                    }
                } else {
                    self.focus = Focus::Worklist;
                }
                // Refused: kept to mend, and replaced by what is typed
                // next (`abc` then `1.5` read `abc1.5`).
                if self.focus == Focus::EditQty {
                    self.edit.refused();
                }
                Flow::Stay
            }
            (Focus::Reason, Input::Action(Action::Submit)) => {
                let reason = self.edit.trimmed().to_string();
                let Some((number, close)) = self.ending.take() else {
                    self.focus = Focus::Orders;
                    return Flow::Stay;
                };
                if reason.is_empty() {
                    self.notice = Some(Notice::error(
                        "say why (the supplier cannot deliver, ordered by mistake): it is kept with the PO",
                    ));
                    self.ending = Some((number, close));
                    return Flow::Stay;
                }
                self.focus = Focus::Orders;
                let Some(p) = ctx.state().purchase_orders.get(&number) else {
                    return Flow::Stay;
                };
                let q = if close {
                    let due: Decimal = p.lines.iter().map(|l| l.open()).sum();
                    format!(
                        "Close {number} short: what is still due ({} of {}) will not come, and leaves the stock on order ({reason})? (y: close, Enter or n: keep it open)",
                        qty(due),
                        qty(p.lines.iter().map(|l| l.qty).sum::<Decimal>())
                    )
                } else {
                    format!(
                        "Cancel {number} to {} ({} {}), nothing received ({reason})? (y: cancel, Enter or n: keep it)",
                        p.supplier,
                        money(p.total, &p.currency),
                        p.currency
                    )
                };
                self.asking = Some(Ask::End(number, close, reason));
                Flow::ConfirmStrict(q)
            }
            (Focus::Reason, Input::Action(Action::Cancel)) => {
                self.ending = None;
                self.focus = Focus::Orders;
                Flow::Stay
            }
            (Focus::Reason, other) => {
                self.edit.edit(other);
                Flow::Stay
            }
            (Focus::Orders, Input::Action(Action::DeleteLine)) => {
                match self.orders(ctx).get(self.row) {
                    Some(p) => {
                        // Something received: closed short; else cancelled.
                        let close = p.lines.iter().any(|l| l.received > Decimal::ZERO);
                        self.ending = Some((p.number.clone(), close));
                        self.edit = TextField::default();
                        self.focus = Focus::Reason;
                    }
                    None => self.notice = Some(Notice::info("no purchase order here")),
                }
                Flow::Stay
            }
            (Focus::EditQty, Input::Action(Action::Cancel)) => {
                self.focus = Focus::Worklist;
                Flow::Stay
            }
            (Focus::EditQty, other) => {
                self.edit.edit(other);
                Flow::Stay
            }
            (_, Input::Action(a @ (Action::NextField | Action::PrevField))) => {
                let order = [Focus::Worklist, Focus::Orders, Focus::Suppliers];
                let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
                let step = if a == Action::NextField { 1 } else { 2 };
                self.focus = order[(at + step) % order.len()];
                Flow::Stay
            }
            (_, Input::Action(Action::Search)) => {
                self.filter_from = self.focus;
                self.focus = Focus::Filter;
                Flow::Stay
            }
            (_, Input::Action(Action::Back | Action::Cancel)) => Flow::Pop,
            (Focus::Worklist, Input::Action(Action::Open)) => {
                if let Some(s) = self.work(ctx).get(self.selected) {
                    self.edit = TextField::proposed(&self.qty_of(s).to_string());
                    self.focus = Focus::EditQty;
                }
                Flow::Stay
            }
            (Focus::Worklist, Input::Action(Action::DeleteLine)) => {
                if let Some(s) = self.work(ctx).get(self.selected) {
                    let k = key_of(s);
                    if !self.left_out.remove(&k) {
                        self.left_out.insert(k);
                    }
                }
                Flow::Stay
            }
            (Focus::Worklist, Input::Action(Action::Complete)) => self.accept_group(ctx),
            (Focus::Worklist, Input::Action(a)) => {
                let work = self.work(ctx);
                self.selected = moved(self.selected, work.len(), a, self.page);
                self.at_work = work.get(self.selected).map(key_of);
                Flow::Stay
            }
            (Focus::Orders, Input::Action(Action::Complete)) => {
                let orders = self.orders(ctx);
                match orders.get(self.row) {
                    Some(p) if p.status == PoStatus::Draft => {
                        let n = p.number.clone();
                        let q = format!(
                            "Submit draft {n} to {} ({} {})?",
                            p.supplier,
                            money(p.total, &p.currency),
                            p.currency
                        );
                        self.asking = Some(Ask::Submit(n));
                        Flow::Confirm(q)
                    }
                    Some(p) => {
                        self.notice = Some(Notice::error(format!("{} is not a draft", p.number)));
                        Flow::Stay
                    }
                    None => Flow::Stay,
                }
            }
            (Focus::Orders, Input::Action(Action::Approve))
                if !ctx.allowed(crate::core::auth::Permission::ApproveChanges) =>
            {
                self.notice = Some(Notice::error(ctx.lacks(
                    crate::core::auth::Permission::ApproveChanges,
                    "approving a purchase order",
                )));
                Flow::Stay
            }
            (Focus::Orders, Input::Action(Action::Approve)) => {
                let orders = self.orders(ctx);
                match orders.get(self.row) {
                    Some(p) if p.status == PoStatus::AwaitingApproval => {
                        let n = p.number.clone();
                        let q = format!(
                            "Approve {n} of {} ({} {})?",
                            p.buyer,
                            money(p.total, &p.currency),
                            p.currency
                        );
                        self.asking = Some(Ask::Approve(n));
                        Flow::Confirm(q)
                    }
                    Some(p) => {
                        self.notice = Some(Notice::error(format!(
                            "{} is not waiting for an approval",
                            p.number
                        )));
                        Flow::Stay
                    }
                    None => Flow::Stay,
                }
            }
            (Focus::Orders, Input::Action(Action::Print)) => match self.orders(ctx).get(self.row) {
                Some(p) => Flow::Print(vec![crate::docs::print::PrintRequest::new(
                    crate::docs::DocKind::PurchaseOrder,
                    &p.number,
                    ctx.today(),
                )]),
                None => Flow::Stay,
            },
            (Focus::Orders, Input::Action(a)) => {
                let orders = self.orders(ctx);
                self.row = moved(self.row, orders.len(), a, self.page);
                self.at_po = orders.get(self.row).map(|p| p.number.clone());
                Flow::Stay
            }
            (Focus::Suppliers, Input::Action(a)) => {
                let n = self.suppliers(ctx).len();
                self.supplier_row = moved(self.supplier_row, n, a, self.page);
                Flow::Stay
            }
            _ => Flow::Stay,
        }
    }

    fn confirmed(&mut self, yes: bool, ctx: &Ctx) -> Flow {
        let Some(ask) = self.asking.take() else {
            return Flow::Stay;
        };
        if !yes {
            return Flow::Stay;
        }
        let key = ctx.new_key();
        match ask {
            Ask::Accept(supplier, warehouse, lines) => self.submit(
                key,
                CommandBody::AcceptReplenishment {
                    supplier,
                    warehouse,
                    lines,
                },
            ),
            Ask::Submit(number) => {
                self.acted = Some(number.clone());
                self.submit(key, CommandBody::SubmitPurchaseOrder { number })
            }
            Ask::Approve(number) => {
                self.acted = Some(number.clone());
                self.submit(key, CommandBody::ApprovePurchaseOrder { number })
            }
            Ask::End(number, close, reason) => {
                self.acted = Some(number.clone());
                let body = if close {
                    CommandBody::ClosePurchaseOrder { number, reason }
                } else {
                    CommandBody::CancelPurchaseOrder { number, reason }
                };
                self.submit(key, body)
            }
        }
    }

    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.pending = false;
        self.notice = Some(match outcome {
            Submitted::Committed { events, .. } => {
                let mut said = Vec::new();
                for e in &events {
                    if let Event::PurchaseOrderCreated(p) = e {
                        said.push(format!("draft {} made for {}", p.number, p.supplier));
                        // The PO list's cursor on the new draft: Tab, F10
                        // submits it (it stayed on an older PO, and F10
                        // said "PO-000003 is not a draft").
                        if let Some(i) = self.orders(ctx).iter().position(|o| o.number == p.number)
                        {
                            self.row = i;
                            self.at_po = Some(p.number.clone());
                        }
                        // What was accepted leaves the worklist: forget
                        // the edits of its lines.
                        self.edits
                            .retain(|(s, w, _), _| !(s == p.supplier && w == p.warehouse));
                        self.left_out
                            .retain(|(s, w, _)| !(s == p.supplier && w == p.warehouse));
                    }
                }
                if said.is_empty() {
                    // Submitted or approved: say where that PO stands now
                    // (not the row under the cursor: the list may have
                    // moved).
                    let now = self
                        .acted
                        .as_ref()
                        .and_then(|n| ctx.state().purchase_orders.get(n))
                        .map(|p| format!("{} is {}", p.number, status(p)))
                        .unwrap_or_else(|| "done".into());
                    said.push(now);
                }
                Notice::info(said.join("; "))
            }
            Submitted::Refused(r) => Notice::error(r.to_string()),
            Submitted::Stopped(e) => Notice::error(format!("not done: {e}")),
        });
        Flow::Stay
    }

    fn committed(&mut self, ctx: &Ctx) {
        let work = self.work(ctx);
        self.selected = reselected(self.selected, self.at_work.as_ref(), &work, key_of);
        let orders = self.orders(ctx);
        self.row = reselected(self.row, self.at_po.as_ref(), &orders, |p| p.number.clone());
        self.at_work = work.get(self.selected).map(key_of);
        self.at_po = orders.get(self.row).map(|p| p.number.clone());
    }

    fn dirty(&self) -> bool {
        !self.edits.is_empty() || !self.left_out.is_empty()
    }

    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        self.approves = ctx.allowed(crate::core::auth::Permission::ApproveChanges);
        let theme = ctx.theme;
        let wide = area.width >= 110;
        let [table_area, detail, foot] = Layout::vertical([
            Constraint::Min(4),
            Constraint::Length(3),
            Constraint::Length(1),
        ])
        .areas(area);
        self.page = table_area.height.saturating_sub(3).max(1) as usize;
        let filter = &self.filters[self.list()];
        let filter_note = if filter.text.is_empty() && self.focus != Focus::Filter {
            String::new()
        } else {
            format!("/{} ", filter.text)
        };
        let mut detail_lines: Vec<Line> = Vec::new();
        if matches!(self.focus, Focus::Suppliers)
            || (self.focus == Focus::Filter && self.filter_from == Focus::Suppliers)
        {
            self.render_suppliers(f, table_area, &filter_note, &mut detail_lines, ctx);
        } else if matches!(self.focus, Focus::Orders | Focus::Reason)
            || (self.focus == Focus::Filter && self.filter_from == Focus::Orders)
        {
            let orders = self.orders(ctx);
            self.row = self.row.min(orders.len().saturating_sub(1));
            self.at_po = orders.get(self.row).map(|p| p.number.clone());
            let today = ctx.today();
            let rows: Vec<Row> = orders
                .iter()
                .map(|p| {
                    let late = days_late(p, today);
                    let mut cells = vec![
                        p.number.to_string(),
                        p.supplier.to_string(),
                        p.warehouse.to_string(),
                        status(p),
                        format!("{} {}", money(p.total, &p.currency), p.currency),
                        if late > 0 {
                            format!("LATE {late}d")
                        } else {
                            String::new()
                        },
                    ];
                    if wide {
                        cells.push(p.buyer.to_string());
                        cells.push(p.approved_by.clone().unwrap_or_default().to_string());
                        cells.push(p.date.to_string());
                    }
                    let row = Row::new(cells);
                    if late > 0 {
                        row.style(theme.error())
                    } else {
                        row
                    }
                })
                .collect();
            let mut header = vec!["PO", "Supplier", "WH", "Status", "Total", "Late"];
            let mut widths = vec![
                Constraint::Length(10),
                Constraint::Length(8),
                Constraint::Length(5),
                Constraint::Length(17),
                Constraint::Length(16),
                Constraint::Min(8),
            ];
            if wide {
                header.extend(["Buyer", "Approved by", "Date"]);
                widths.pop();
                widths.extend([
                    Constraint::Length(9),
                    Constraint::Length(8),
                    Constraint::Length(12),
                    Constraint::Min(10),
                ]);
            }
            let mut st = TableState::default();
            if !orders.is_empty() {
                st.select(Some(self.row));
            }
            f.render_stateful_widget(
                Table::new(rows, widths)
                    .header(Row::new(header).style(theme.label()))
                    .row_highlight_style(theme.selected())
                    .block(
                        Block::new()
                            .borders(Borders::TOP)
                            .title(format!(" purchase orders ({}) {filter_note}", orders.len())),
                    ),
                table_area,
                &mut st,
            );
            if let Some(p) = orders.get(self.row) {
                for l in p.lines.iter().take(3) {
                    let late = (today - l.expected).num_days();
                    // In the unit ordered, with its base units beside
                    // (`4 CASE (24 BOX)`: it read `ordered 24`).
                    let base = ctx
                        .state()
                        .items
                        .get(&l.sku)
                        .map(|i| i.base_unit.clone())
                        .unwrap_or_default();
                    let ordered = if l.unit == base {
                        format!("{} {base}", qty(l.qty))
                    } else {
                        format!("{} {} ({} {base})", qty(l.unit_qty), l.unit, qty(l.qty))
                    };
                    let text = format!(
                        "{} {} ordered {ordered} received {} {base} expected {}{}",
                        l.line,
                        l.sku,
                        qty(l.received),
                        l.expected,
                        if late > 0 && l.open() > Decimal::ZERO {
                            format!("  {late} days late")
                        } else {
                            String::new()
                        }
                    );
                    detail_lines.push(Line::from(fit(&text, area.width as usize)));
                }
            }
        } else {
            let work = self.work(ctx);
            self.selected = self.selected.min(work.len().saturating_sub(1));
            self.at_work = work.get(self.selected).map(key_of);
            let mut last: Option<(Code, Code)> = None;
            let rows: Vec<Row> = work
                .iter()
                .map(|s| {
                    let group = (s.supplier.clone().unwrap_or_default(), s.warehouse.clone());
                    let first = last.as_ref() != Some(&group);
                    last = Some(group.clone());
                    let out = self.left_out.contains(&key_of(s));
                    let mut cells = vec![
                        if first {
                            format!(
                                "{} {}",
                                s.supplier.clone().unwrap_or_else(|| "(none)".into()),
                                s.warehouse
                            )
                        } else {
                            String::new()
                        },
                        s.sku.to_string(),
                        if out {
                            "left out".into()
                        } else {
                            format!("{} {}", qty(self.qty_of(s)), s.unit)
                        },
                        qty(s.position),
                        qty(s.reorder_point),
                    ];
                    if wide {
                        cells.push(qty(s.weekly_demand));
                        cells.push(s.lead_time_days.to_string());
                        cells.push(s.reason.clone());
                    }
                    let row = Row::new(cells);
                    if out {
                        row.style(theme.dim())
                    } else {
                        row
                    }
                })
                .collect();
            let mut header = vec!["Supplier WH", "SKU", "Order", "Position", "Reorder at"];
            let mut widths = vec![
                Constraint::Length(12),
                Constraint::Length(10),
                Constraint::Length(12),
                Constraint::Length(9),
                Constraint::Min(10),
            ];
            if wide {
                header.extend(["Wk demand", "Lead d", "Reason"]);
                widths.pop();
                widths.extend([
                    Constraint::Length(10),
                    Constraint::Length(10),
                    Constraint::Length(6),
                    Constraint::Min(30),
                ]);
            }
            let mut st = TableState::default();
            if !work.is_empty() {
                st.select(Some(self.selected));
            }
            f.render_stateful_widget(
                Table::new(rows, widths)
                    .header(Row::new(header).style(theme.label()))
                    .row_highlight_style(theme.selected())
                    .block(Block::new().borders(Borders::TOP).title(format!(
                        " replenishment worklist ({}) {filter_note}",
                        work.len()
                    ))),
                table_area,
                &mut st,
            );
            if let Some(s) = work.get(self.selected) {
                detail_lines.push(Line::from(fit(
                    &format!(
                        "{} {}: on hand {} reserved {} backordered {} on order {} in transit {}",
                        s.sku,
                        s.description,
                        qty(s.on_hand),
                        qty(s.reserved),
                        qty(s.backordered),
                        qty(s.on_order),
                        qty(s.in_transit)
                    ),
                    area.width as usize,
                )));
                detail_lines.push(Line::from(Span::styled(
                    fit(&format!("why: {}", s.reason), area.width as usize),
                    theme.dim(),
                )));
                let s = s.clone();
                let text = match self.advice(ctx, &s) {
                    Some(a) => format!(
                        "forecast ({} level {}/day): {} over {} d lead, {}/week -> {} {}; {}",
                        a.method,
                        a.level.round_dp(2),
                        qty(a.lead_demand),
                        a.lead_days,
                        a.weekly,
                        qty(a.unit_qty),
                        s.unit,
                        a.reasons
                            .iter()
                            .find(|r| r.0 == "quantity")
                            .map(|r| r.1.as_str())
                            .unwrap_or_default()
                    ),
                    None => "forecast: no order history of the item in the warehouse".into(),
                };
                detail_lines.push(Line::from(fit(&text, area.width as usize)));
            } else {
                detail_lines.push(Line::from(Span::styled(
                    "nothing to reorder: every position is above its reorder point",
                    theme.dim(),
                )));
            }
        }
        f.render_widget(Paragraph::new(detail_lines), detail);
        let foot_line = match self.focus {
            Focus::Filter => Line::from(vec![
                Span::styled("Filter ", theme.label()),
                self.filters[self.list()].span(true, 20, theme),
            ]),
            Focus::EditQty => Line::from(vec![
                Span::styled("Quantity ", theme.label()),
                self.edit.span(true, 12, theme),
            ]),
            Focus::Reason => {
                let label = match &self.ending {
                    Some((n, true)) => format!("Close {n} short, why: "),
                    Some((n, false)) => format!("Cancel {n}, why: "),
                    None => "why: ".into(),
                };
                let w = (area.width as usize).saturating_sub(label.len());
                Line::from(vec![
                    Span::styled(label, theme.label()),
                    self.edit.span(true, w, theme),
                ])
            }
            _ => Line::from(Span::styled(
                "Tab: worklist / purchase orders / supplier performance",
                theme.dim(),
            )),
        };
        f.render_widget(Paragraph::new(foot_line), foot);
    }
}

impl Purchasing {
    /// The list shown (and filtered): 0 worklist, 1 purchase orders, 2
    /// supplier performance.
    fn list(&self) -> usize {
        let on = if self.focus == Focus::Filter {
            self.filter_from
        } else {
            self.focus
        };
        match on {
            Focus::Orders => 1,
            Focus::Suppliers => 2,
            _ => 0,
        }
    }

    fn back_to(&self) -> Focus {
        match self.filter_from {
            Focus::Orders | Focus::Suppliers => self.filter_from,
            _ => Focus::Worklist,
        }
    }

    /// The suppliers with their on-time, fill and lead-time figures; the
    /// selected one in words under the list.
    fn render_suppliers(
        &mut self,
        f: &mut Frame,
        area: Rect,
        filter_note: &str,
        detail: &mut Vec<Line<'static>>,
        ctx: &Ctx,
    ) {
        let theme = ctx.theme;
        let wide = area.width >= 110;
        let list = self.suppliers(ctx);
        self.supplier_row = self.supplier_row.min(list.len().saturating_sub(1));
        let opt = |v: Option<Decimal>, unit: &str| {
            v.map(|x| format!("{}{unit}", x.normalize()))
                .unwrap_or_else(|| "-".into())
        };
        let rows: Vec<Row> = list
            .iter()
            .map(|p| {
                let mut cells = vec![
                    p.supplier.to_string(),
                    p.name.clone(),
                    p.lines_due.to_string(),
                    opt(p.on_time_pct(), "%"),
                    opt(p.fill_pct(), "%"),
                    p.stated_lead_days.to_string(),
                    opt(p.actual_lead_days, ""),
                    p.drift_days().map(signed).unwrap_or_else(|| "-".into()),
                ];
                if wide {
                    cells.push(p.entity.to_string());
                    cells.push(format!("{} of {}", qty(p.received), qty(p.ordered)));
                }
                Row::new(cells)
            })
            .collect();
        let mut header = vec![
            "Supplier", "Name", "Due", "On time", "Fill", "Lead", "Actual", "Drift",
        ];
        let mut widths = vec![
            Constraint::Length(8),
            Constraint::Min(12),
            Constraint::Length(5),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(4),
            Constraint::Length(6),
            Constraint::Length(6),
        ];
        if wide {
            header.extend(["Entity", "Units received"]);
            widths.extend([Constraint::Length(6), Constraint::Length(24)]);
        }
        let mut st = TableState::default();
        if !list.is_empty() {
            st.select(Some(self.supplier_row));
        }
        f.render_stateful_widget(
            Table::new(rows, widths)
                .header(Row::new(header).style(theme.label()))
                .row_highlight_style(theme.selected())
                .block(Block::new().borders(Borders::TOP).title(format!(
                    " supplier performance, {PERF_DAYS} days to {} ({}) {filter_note}",
                    ctx.today(),
                    list.len()
                ))),
            area,
            &mut st,
        );
        if let Some(p) = list.get(self.supplier_row) {
            let w = area.width as usize;
            detail.push(Line::from(fit(
                &if p.lines_due == 0 {
                    format!(
                        "{} {}: no PO line was due in the window",
                        p.supplier, p.name
                    )
                } else {
                    format!(
                        "{} {}: {} of {} due lines on time, {} of {} units received",
                        p.supplier,
                        p.name,
                        p.lines_on_time,
                        p.lines_due,
                        qty(p.received),
                        qty(p.ordered),
                    )
                },
                w,
            )));
            let actual = match (p.actual_lead_days, p.drift_days()) {
                (Some(a), Some(d)) => format!("{} d ({} d)", a.normalize(), signed(d)),
                _ => "- (no line received in full)".into(),
            };
            detail.push(Line::from(Span::styled(
                fit(
                    &format!(
                        "lead time: stated {} d, actual {actual}",
                        p.stated_lead_days
                    ),
                    w,
                ),
                theme.dim(),
            )));
        }
    }
}

/// Days with their sign ("+1.5", "-2", "0").
fn signed(d: Decimal) -> String {
    let plus = if d > Decimal::ZERO { "+" } else { "" };
    format!("{plus}{}", d.normalize())
}

/// A PO's status in words, with who approved it.
pub fn status(p: &PurchaseOrder) -> String {
    match p.status {
        PoStatus::Draft => "draft".into(),
        PoStatus::AwaitingApproval => "WAITING APPROVAL".into(),
        PoStatus::Open => "open".into(),
        PoStatus::Closed => "closed".into(),
        PoStatus::Cancelled => "cancelled".into(),
    }
}
