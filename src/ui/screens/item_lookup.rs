//! Item inquiry: search by SKU, description words or barcode (or scan);
//! the item's units, barcodes and stock by warehouse with what is free to
//! sell. Usable on warehouse terminals (40x16).

use crate::core::types::ToCode;
use crate::core::State;
use crate::query::qty;
use crate::ui::keymap::{Action, Context};
use crate::ui::lookup::{self, field, Focus as LookupFocus, Lookup, Picked};
use crate::ui::screen::{Ctx, Flow, Input, Screen};
use crate::ui::theme::Theme;
use crate::ui::widgets::TextField;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::Frame;

pub struct ItemLookup {
    pub lookup: Lookup,
    started: bool,
    /// Opened on one item (`for_sku`): back from its row is back to
    /// where it was opened from.
    opened_on: bool,
}

impl Default for ItemLookup {
    fn default() -> Self {
        ItemLookup::new()
    }
}

impl ItemLookup {
    pub fn new() -> ItemLookup {
        ItemLookup {
            lookup: Lookup::new(),
            started: false,
            opened_on: false,
        }
    }

    /// Opened on one item (the exception queue's Enter on a finding of
    /// an item): its SKU typed and looked up, as the keys would, so the
    /// item is selected with its detail shown (or the lookup says why
    /// nothing matches). Back (Esc) from it returns to where it was
    /// opened from.
    pub fn for_sku(ctx: &Ctx, sku: &str) -> ItemLookup {
        let mut l = ItemLookup::new();
        l.lookup.query = TextField::new(sku);
        l.lookup.handle(
            Input::Action(Action::Submit),
            &mut |q| ctx.find_items(q),
            false,
        );
        l.started = true;
        l.opened_on = true;
        l
    }
}

impl Screen for ItemLookup {
    fn name(&self) -> &'static str {
        "item_lookup"
    }
    fn title(&self) -> String {
        "items".into()
    }
    fn context(&self) -> Context {
        self.lookup.context()
    }
    fn min_size(&self) -> (u16, u16) {
        (20, 8)
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        lookup::actions(&self.lookup)
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if self.opened_on
            && self.lookup.focus == LookupFocus::List
            && input == Input::Action(Action::Back)
        {
            return Flow::Pop;
        }
        match self.lookup.handle(input, &mut |q| ctx.find_items(q), false) {
            Picked::Leave => Flow::Pop,
            _ => Flow::Stay,
        }
    }
    fn committed(&mut self, ctx: &Ctx) {
        self.lookup.refresh(&mut |q| ctx.find_items(q));
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        if !self.started {
            self.started = true;
            self.lookup.refresh(&mut |q| ctx.find_items(q));
        }
        let s = ctx.state();
        let theme = ctx.theme;
        self.lookup.render(
            f,
            area,
            theme,
            "SKU, description or scan",
            &|c| {
                s.items
                    .get(&c.to_code())
                    .map(|i| format!("{:<10} {}", i.sku, i.description))
                    .unwrap_or_default()
            },
            &|c| item_detail(s, c, theme, ctx.today()),
        );
    }
}

pub fn item_detail(
    s: &State,
    sku: &str,
    theme: Theme,
    today: chrono::NaiveDate,
) -> Vec<Line<'static>> {
    let Some(i) = s.items.get(&sku.to_code()) else {
        return vec![Line::from(format!("item {sku} no longer exists"))];
    };
    // Stock first: on a handheld (40x8) it is what fits under the name;
    // free and on hand first in the row, so that 20 columns show them.
    let mut out = vec![
        Line::from(Span::styled(
            format!("{} {}", i.sku, i.description),
            theme.label().add_modifier(Modifier::BOLD),
        )),
        Line::from(Span::styled(
            format!(
                "{:<4}{:>7}{:>8}{:>9}{:>8}",
                "wh", "free", "on hand", "reserved", "in pick"
            ),
            theme.label(),
        )),
    ];
    let mut any = false;
    let free = crate::query::sale::available(s, sku, today);
    for wh in s.warehouses.keys() {
        if let Some(st) = s.stock.get(&(wh.clone(), sku.to_code())) {
            any = true;
            // Picked goods have left on hand (they are "in pick").
            let avail = free
                .iter()
                .find(|(w, _)| w == wh)
                .map(|(_, a)| *a)
                .unwrap_or_default();
            out.push(Line::from(format!(
                "{:<4}{:>7}{:>8}{:>9}{:>8}",
                wh,
                qty(avail),
                qty(st.on_hand),
                qty(st.reserved),
                qty(st.in_pick)
            )));
        }
    }
    if !any {
        out.push(Line::from(Span::styled(
            "no stock in any warehouse",
            theme.dim(),
        )));
    }
    out.push(Line::from(""));
    out.extend([
        field(
            theme,
            "category",
            format!(
                "{}  class {:?}{}",
                i.category,
                i.abc,
                if i.active { "" } else { "  INACTIVE" }
            ),
        ),
        field(
            theme,
            "units",
            std::iter::once(i.base_unit.to_string())
                .chain(
                    i.alt_units
                        .iter()
                        .map(|u| format!("{}={}", u.unit, u.factor.normalize())),
                )
                .collect::<Vec<_>>()
                .join("  "),
        ),
        field(
            theme,
            "weight",
            format!("{} kg / {}", i.weight_kg.normalize(), i.base_unit),
        ),
        field(
            theme,
            "barcodes",
            i.barcodes
                .iter()
                .map(|b| format!("{} {}", b.code, b.unit))
                .collect::<Vec<_>>()
                .join("  "),
        ),
        field(
            theme,
            "tax class",
            format!(
                "{}{}",
                i.tax_class,
                if i.lot_tracked { "  lot tracked" } else { "" }
            ),
        ),
    ]);
    // Bins and lots, with expiry where the item has lots.
    // Through the index of the item's bins: never a scan of all stock.
    let bins: Vec<Line<'static>> = s
        .warehouses
        .keys()
        .filter_map(|wh| s.index.item_bins.get(&(wh.clone(), sku.to_code())))
        .flatten()
        .filter_map(|k| s.bin_stock.get(k).map(|q| (k, *q)))
        .filter(|(_, q)| *q > rust_decimal::Decimal::ZERO)
        .take(BIN_ROWS_MAX)
        .map(|(k, q)| {
            let lot = match &k.lot {
                Some(l) => format!(
                    "  lot {l}{}",
                    s.lot_expiry(sku, Some(l))
                        .map(|d| format!(" exp {d}"))
                        .unwrap_or_default()
                ),
                None => String::new(),
            };
            // A position a picker found empty is not picked from until
            // it is counted: say so where the stock is shown.
            let kept = if s.pick_blocked.contains(k) {
                "  found empty: count"
            } else {
                ""
            };
            Line::from(format!(
                "  {:<5}{:<10}{:>8}{lot}{kept}",
                k.warehouse,
                k.bin,
                qty(q)
            ))
        })
        .collect();
    if !bins.is_empty() {
        out.push(Line::from(Span::styled("bins", theme.label())));
        out.extend(bins);
    }
    // On order: open purchase order lines, with their expected dates.
    let on_order: Vec<Line<'static>> = s
        .index
        .open_pos
        .iter()
        .filter_map(|n| s.purchase_orders.get(n))
        .flat_map(|po| {
            po.lines
                .iter()
                .filter(|l| l.sku == sku && l.qty > l.received)
                .map(move |l| {
                    Line::from(format!(
                        "  {} {:<4}{:>8} expected {}",
                        po.number,
                        po.warehouse,
                        qty(l.qty - l.received),
                        l.expected
                    ))
                })
        })
        .take(BIN_ROWS_MAX)
        .collect();
    if !on_order.is_empty() {
        out.push(Line::from(Span::styled("on order", theme.label())));
        out.extend(on_order);
    }
    out
}

/// Most bin and PO rows an item detail lists.
const BIN_ROWS_MAX: usize = 20;
