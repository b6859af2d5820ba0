//! Shared pieces of the warehouse (RF) screens: a handheld shows a few
//! short lines, the line being scanned into always visible, the rest
//! scrolled; every line is cut to the width (nothing wraps).

use crate::ui::theme::Theme;
use crate::ui::widgets::fit;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// The smallest handheld the RF screens are made for (20 columns, and 8
/// rows counting the header and the status line).
pub const RF_MIN: (u16, u16) = (20, 8);

/// One line of an RF screen: (style, text) parts.
#[derive(Clone, Debug, Default)]
pub struct RfLine(pub Vec<(Style, String)>);

impl RfLine {
    pub fn plain(text: impl Into<String>) -> RfLine {
        RfLine(vec![(Style::default(), text.into())])
    }
    pub fn styled(style: Style, text: impl Into<String>) -> RfLine {
        RfLine(vec![(style, text.into())])
    }
    pub fn push(mut self, style: Style, text: impl Into<String>) -> RfLine {
        self.0.push((style, text.into()));
        self
    }
    fn to_line(&self, width: usize) -> Line<'static> {
        let mut left = width;
        let mut spans = Vec::new();
        for (style, text) in &self.0 {
            if left == 0 {
                break;
            }
            let t = fit(text, left);
            left -= t.chars().count();
            spans.push(Span::styled(t, *style));
        }
        Line::from(spans)
    }
}

/// Draw `lines` in `area`, scrolled so that line `keep` (the field being
/// scanned into) and the one after it are visible.
pub fn draw(f: &mut Frame, area: Rect, lines: &[RfLine], keep: usize) {
    let h = area.height as usize;
    if h == 0 || area.width == 0 {
        return;
    }
    let start = (keep + 2)
        .saturating_sub(h)
        .min(lines.len().saturating_sub(1));
    let shown: Vec<Line> = lines
        .iter()
        .skip(start)
        .take(h)
        .map(|l| l.to_line(area.width as usize))
        .collect();
    f.render_widget(Paragraph::new(shown), area);
}

/// `label` then the field text with a cursor, for the line being scanned
/// into.
pub fn field_line(label: &str, text: &str, theme: Theme) -> RfLine {
    RfLine::styled(theme.label(), format!("{label}> ")).push(theme.field(true), format!("{text}_"))
}

/// The warehouse an RF screen works in: the operator's, else the first.
pub fn warehouse_of(ctx: &crate::ui::screen::Ctx) -> crate::core::types::Code {
    let s = ctx.state();
    ctx.operator_record()
        .and_then(|o| o.default_warehouse.clone())
        .filter(|w| s.warehouses.contains_key(w))
        .or_else(|| s.warehouses.keys().next().cloned())
        .unwrap_or_default()
}

/// The open pick list a scan names in `warehouse`: its number, or its
/// order's number (the first of the order's lists that `ok` accepts).
pub fn list_from_scan(
    s: &crate::core::State,
    warehouse: &str,
    text: &str,
    ok: impl Fn(&crate::core::warehouse::PickList) -> bool,
) -> Option<crate::core::types::Code> {
    let up = text.trim().to_ascii_uppercase();
    s.index
        .open_picks
        .iter()
        .filter_map(|n| s.picks.get(n))
        .filter(|p| p.warehouse == warehouse && (p.number == up || p.order == up))
        .find(|p| ok(p))
        .map(|p| p.number.clone())
}
