//! A purchase order typed by the buyer (Purchasing, F7): the supplier (its
//! code or a word of its name), the warehouse it delivers to (the first
//! of the supplier's entity proposed), then lines as at order entry
//! (`24*FAS-1001`, a case barcode, `3*hex bolt`, `=4.10` for a price per
//! the supplier's unit). Each line is decided by the core on a copy of
//! the view as it is typed (`Ctx::dry_run`): the unit, price and date
//! expected the PO would take, or the core's refusal, before anything is
//! kept. F9 takes the last line off, F10 orders after a confirm stating
//! the total (`create_purchase_order`: open, or waiting for an approval
//! above the entity's limit). Before it, a buyer could order only what
//! the replenishment worklist suggested.

use crate::core::purchasing::{PoLineInput, PoStatus, PurchaseOrder};
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::{CommandBody, Event};
use crate::query::{money, qty as fmt_qty};
use crate::ui::entry::{find_supplier, resolve, Resolved};
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{counted, fit, labelled, labelled_field, TextField};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Supplier,
    Warehouse,
    Lines,
}

enum Ask {
    Create,
    Leave,
}

pub struct PoEntry {
    pub step: Step,
    pub field: TextField,
    pub supplier: Option<Code>,
    pub warehouse: Option<Code>,
    pub lines: Vec<PoLineInput>,
    /// The PO the lines make, as the core decides it now.
    preview: Option<PurchaseOrder>,
    asking: Option<Ask>,
    pending: bool,
    key: String,
    notice: Option<Notice>,
}

impl PoEntry {
    pub fn new(ctx: &Ctx) -> PoEntry {
        PoEntry {
            step: Step::Supplier,
            field: TextField::default(),
            supplier: None,
            warehouse: None,
            lines: Vec::new(),
            preview: None,
            asking: None,
            pending: false,
            key: ctx.new_key(),
            notice: None,
        }
    }

    fn body(&self, lines: Vec<PoLineInput>) -> Option<CommandBody> {
        Some(CommandBody::CreatePurchaseOrder {
            supplier: self.supplier.clone()?,
            warehouse: self.warehouse.clone()?,
            lines,
        })
    }

    /// The PO `lines` make, decided by the core on a copy of the view.
    fn decide(&self, ctx: &Ctx, lines: Vec<PoLineInput>) -> Result<PurchaseOrder, String> {
        let body = self.body(lines).ok_or("the supplier and warehouse first")?;
        let (_, events) = ctx.dry_run(body)?;
        events
            .into_iter()
            .find_map(|e| match e {
                Event::PurchaseOrderCreated(po) => Some(po),
                _ => None,
            })
            .ok_or_else(|| "the core made no purchase order of it".to_string())
    }

    fn refuse(&mut self, text: &str, why: String) -> Flow {
        self.field = TextField::new(text);
        self.field.refused();
        self.notice = Some(Notice::bell(why));
        Flow::Stay
    }

    fn enter(&mut self, ctx: &Ctx) -> Flow {
        let text = self.field.take();
        let t = text.trim();
        let s = ctx.state();
        match self.step {
            Step::Supplier => match find_supplier(s, t, true) {
                Ok(sup) => {
                    if self.supplier.as_ref() != Some(&sup.code) {
                        self.lines.clear();
                        self.preview = None;
                        self.warehouse = None;
                    }
                    self.supplier = Some(sup.code.clone());
                    // The first warehouse of the supplier's entity,
                    // proposed: typed over, another.
                    let first = s
                        .warehouses
                        .values()
                        .find(|w| w.entity == sup.entity)
                        .map(|w| w.code.to_string())
                        .unwrap_or_default();
                    let shown = self.warehouse.as_ref().map_or(first, |w| w.to_string());
                    self.field = TextField::proposed(&shown);
                    self.step = Step::Warehouse;
                    Flow::Stay
                }
                Err(e) => self.refuse(t, e),
            },
            Step::Warehouse => {
                let code = t.to_ascii_uppercase();
                let entity = self
                    .supplier
                    .as_ref()
                    .and_then(|c| s.suppliers.get(c))
                    .map(|x| x.entity.clone())
                    .unwrap_or_default();
                match s.warehouses.get(&code.to_code()) {
                    None => self.refuse(t, format!("no warehouse {code:?}")),
                    Some(w) if w.entity != entity => self.refuse(
                        t,
                        format!(
                            "{code} is a warehouse of {}, the supplier sells to {entity}",
                            w.entity
                        ),
                    ),
                    Some(w) => {
                        if self.warehouse.as_ref() != Some(&w.code) && !self.lines.is_empty() {
                            // The lines again for the other warehouse (its
                            // dates expected may differ).
                            self.warehouse = Some(w.code.clone());
                            self.preview = self.decide(ctx, self.lines.clone()).ok();
                        }
                        self.warehouse = Some(w.code.clone());
                        self.step = Step::Lines;
                        Flow::Stay
                    }
                }
            }
            Step::Lines => {
                if t.is_empty() {
                    self.notice = Some(Notice::info(
                        "type qty*SKU (=price per the supplier's unit); F10 orders",
                    ));
                    return Flow::Stay;
                }
                let e = match resolve(ctx, t) {
                    Resolved::Item(e) => e,
                    Resolved::Choose { query, .. } => {
                        return self.refuse(
                            t,
                            format!("several items match {query:?}: type more of it, or the SKU"),
                        )
                    }
                    Resolved::Error(e) => return self.refuse(t, e),
                };
                if let Some(w) = e
                    .warehouse
                    .as_ref()
                    .filter(|w| Some(*w) != self.warehouse.as_ref())
                {
                    return self.refuse(
                        t,
                        format!(
                            "a PO delivers to one warehouse ({}): {w} is another PO",
                            self.warehouse.clone().unwrap_or_default()
                        ),
                    );
                }
                // A case barcode of an item bought by the case is the
                // supplier's unit, as `2*SKU` is; the same item, unit and
                // price again adds to its line.
                let theirs = self
                    .supplier
                    .as_ref()
                    .and_then(|c| s.suppliers.get(c))
                    .and_then(|x| x.items.iter().find(|i| i.sku == e.sku))
                    .map(|i| i.unit.clone());
                let unit = e.unit.clone().filter(|u| Some(u) != theirs.as_ref());
                let mut lines = self.lines.clone();
                match lines
                    .iter_mut()
                    .find(|l| l.sku == e.sku && l.unit == unit && l.price == e.price)
                {
                    Some(l) => l.qty += e.qty,
                    None => lines.push(PoLineInput {
                        sku: e.sku.clone(),
                        qty: e.qty,
                        unit,
                        price: e.price,
                        expected: None,
                    }),
                }
                match self.decide(ctx, lines.clone()) {
                    Ok(po) => {
                        self.lines = lines;
                        self.preview = Some(po);
                        Flow::Stay
                    }
                    Err(why) => self.refuse(t, why),
                }
            }
        }
    }

    fn back(&mut self) -> Flow {
        // Text typed, or a line refused, is cleared first; a supplier or
        // warehouse only proposed is not in the way of going back.
        let text = !self.field.text.trim().is_empty();
        if self.field.typing() || (text && self.step == Step::Lines) {
            self.field.take();
            return Flow::Stay;
        }
        match self.step {
            Step::Lines if !self.lines.is_empty() => {
                self.asking = Some(Ask::Leave);
                Flow::ConfirmStrict(format!(
                    "Leave without creating this PO of {}? (y: leave, Enter or n: stay)",
                    counted(self.lines.len(), "line")
                ))
            }
            Step::Lines => {
                self.step = Step::Warehouse;
                self.field = TextField::proposed(self.warehouse.as_deref().unwrap_or_default());
                Flow::Stay
            }
            Step::Warehouse => {
                self.step = Step::Supplier;
                self.field = TextField::proposed(self.supplier.as_deref().unwrap_or_default());
                Flow::Stay
            }
            Step::Supplier => Flow::Pop,
        }
    }
}

/// `2 lines, 2,031.60 USD`: what a PO comes to.
fn summed(po: &PurchaseOrder) -> String {
    format!(
        "{}, {} {}",
        counted(po.lines.len(), "line"),
        money(po.total, &po.currency),
        po.currency
    )
}

impl Screen for PoEntry {
    fn name(&self) -> &'static str {
        "po_entry"
    }
    fn title(&self) -> String {
        "new purchase order".into()
    }
    fn context(&self) -> Context {
        Context::Form
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        let enter = match self.step {
            Step::Supplier => "take the supplier",
            Step::Warehouse => "take the warehouse",
            Step::Lines => "add the line",
        };
        let mut v = vec![(Action::Submit, enter)];
        if self.step == Step::Lines {
            v.push((Action::Complete, "order: create the PO"));
            v.push((Action::DeleteLine, "take the last line off"));
        }
        v.push((Action::Cancel, "back"));
        v.push((Action::Help, "keys"));
        v
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        match input {
            Input::Action(Action::Submit) => self.enter(ctx),
            Input::Action(Action::Cancel | Action::Back) => self.back(),
            Input::Action(Action::DeleteLine) if self.step == Step::Lines => {
                match self.lines.pop() {
                    Some(l) => {
                        self.preview = if self.lines.is_empty() {
                            None
                        } else {
                            self.decide(ctx, self.lines.clone()).ok()
                        };
                        self.notice = Some(Notice::info(format!(
                            "took {} {} off",
                            fmt_qty(l.qty),
                            l.sku
                        )));
                    }
                    None => self.notice = Some(Notice::info("no line to take off")),
                }
                Flow::Stay
            }
            Input::Action(Action::Complete) if self.step == Step::Lines => {
                // What the lines make now (a price or a lead time may
                // have changed since they were typed).
                match self.decide(ctx, self.lines.clone()) {
                    _ if self.lines.is_empty() => {
                        self.notice = Some(Notice::error(
                            "no lines yet: type qty*SKU and Enter for each",
                        ));
                        Flow::Stay
                    }
                    Ok(po) => {
                        let name = ctx
                            .state()
                            .suppliers
                            .get(&po.supplier)
                            .map(|x| x.name.clone())
                            .unwrap_or_default();
                        let approval = if po.status == PoStatus::AwaitingApproval {
                            " It waits for an approval (above the limit)."
                        } else {
                            ""
                        };
                        let q = format!(
                            "Order from {} {name} for {}: {}?{approval}",
                            po.supplier,
                            po.warehouse,
                            summed(&po)
                        );
                        self.preview = Some(po);
                        self.asking = Some(Ask::Create);
                        Flow::Confirm(q)
                    }
                    Err(why) => {
                        self.notice = Some(Notice::error(why));
                        Flow::Stay
                    }
                }
            }
            Input::Action(Action::Complete | Action::DeleteLine) => {
                self.notice = Some(Notice::info(match self.step {
                    Step::Supplier => "the supplier first",
                    _ => "the warehouse first",
                }));
                Flow::Stay
            }
            other => {
                self.field.edit(other);
                Flow::Stay
            }
        }
    }
    fn confirmed(&mut self, yes: bool, _ctx: &Ctx) -> Flow {
        match (self.asking.take(), yes) {
            (Some(Ask::Leave), true) => Flow::Pop,
            (Some(Ask::Create), true) => match self.body(self.lines.clone()) {
                Some(body) => {
                    self.pending = true;
                    Flow::Submit(Box::new(Request {
                        key: self.key.clone(),
                        body,
                    }))
                }
                None => Flow::Stay,
            },
            (Some(Ask::Create), false) => {
                self.notice = Some(Notice::info("not created: the lines are kept"));
                Flow::Stay
            }
            _ => Flow::Stay,
        }
    }
    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.pending = false;
        match outcome {
            Submitted::Committed { events, .. } => {
                let made = events.iter().find_map(|e| match e {
                    Event::PurchaseOrderCreated(po) => Some(po),
                    _ => None,
                });
                if let Some(po) = made {
                    let stands = match po.status {
                        PoStatus::AwaitingApproval => {
                            "WAITS FOR APPROVAL (above the entity's limit)"
                        }
                        PoStatus::Draft => "DRAFT",
                        _ => "OPEN: ordered",
                    };
                    self.notice = Some(Notice::info(format!(
                        "{} {stands} from {}: {}",
                        po.number,
                        po.supplier,
                        summed(po)
                    )));
                }
                // The next PO, to the same supplier and warehouse.
                self.lines.clear();
                self.preview = None;
                self.key = ctx.new_key();
            }
            Submitted::Refused(r) => self.notice = Some(Notice::error(format!("refused: {r}"))),
            Submitted::Stopped(e) => self.notice = Some(Notice::error(format!("not created: {e}"))),
        }
        Flow::Stay
    }
    fn dirty(&self) -> bool {
        !self.lines.is_empty() || self.field.typing()
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let th = ctx.theme;
        let s = ctx.state();
        let w = area.width as usize;
        let mut rows: Vec<Line> = Vec::new();
        let value = |label: &'static str, v: String| labelled(label, v, th);
        let typing = |label: &'static str, field: &TextField| labelled_field(label, field, w, th);
        match (&self.supplier, self.step) {
            (_, Step::Supplier) => rows.push(typing("supplier  ", &self.field)),
            (Some(c), _) => {
                let about = s
                    .suppliers
                    .get(c)
                    .map(|x| {
                        format!(
                            "{c} {} ({}, {} d lead)",
                            x.name, x.currency, x.lead_time_days
                        )
                    })
                    .unwrap_or_else(|| c.to_string());
                rows.push(value("supplier  ", fit(&about, w.saturating_sub(10))));
            }
            (None, _) => {}
        }
        match self.step {
            Step::Warehouse => rows.push(typing("warehouse ", &self.field)),
            Step::Lines => {
                rows.push(value(
                    "warehouse ",
                    self.warehouse.clone().unwrap_or_default().to_string(),
                ));
                rows.push(typing("line>     ", &self.field));
            }
            Step::Supplier => {}
        }
        rows.push(Line::from(""));
        match &self.preview {
            Some(po) if !self.lines.is_empty() => {
                rows.push(Line::from(Span::styled(
                    fit(
                        "  # SKU          their SKU        qty unit        price   expected",
                        w,
                    ),
                    th.label(),
                )));
                let height = area.height as usize;
                let room = height.saturating_sub(rows.len() + 2);
                let skip = po.lines.len().saturating_sub(room);
                if skip > 0 {
                    rows.push(Line::from(Span::styled(
                        format!("  ({skip} more above)"),
                        th.dim(),
                    )));
                }
                for l in po.lines.iter().skip(skip + usize::from(skip > 0)) {
                    let per_unit = if l.qty.is_zero() {
                        l.price
                    } else {
                        (l.price * l.qty / l.unit_qty).round_dp(4)
                    };
                    rows.push(Line::from(fit(
                        &format!(
                            "{:>3} {:<12} {:<12} {:>7} {:<6} {:>10}   {}",
                            l.line,
                            l.sku,
                            l.supplier_sku,
                            fmt_qty(l.unit_qty),
                            l.unit,
                            per_unit.normalize(),
                            l.expected
                        ),
                        w,
                    )));
                }
                let mut total = format!(
                    "total {} {} ({})",
                    money(po.total, &po.currency),
                    po.currency,
                    counted(po.lines.len(), "line")
                );
                if let Some(sup) = s.suppliers.get(&po.supplier) {
                    if po.total < sup.min_order_amount {
                        total.push_str(&format!(
                            "; under the supplier's minimum order of {}",
                            money(sup.min_order_amount, &po.currency)
                        ));
                    }
                }
                rows.push(Line::from(Span::styled(fit(&total, w), th.title())));
            }
            _ => rows.push(Line::from(Span::styled(
                fit(
                    match self.step {
                        Step::Supplier => "the supplier: its code or words of its name, Enter",
                        Step::Warehouse => "the warehouse it delivers to: Enter takes the one shown",
                        Step::Lines => "lines: 24*SKU, a barcode, 3*hex bolt; =4.10 for a price per the supplier's unit",
                    },
                    w,
                ),
                th.dim(),
            ))),
        }
        f.render_widget(Paragraph::new(rows), area);
    }
}
