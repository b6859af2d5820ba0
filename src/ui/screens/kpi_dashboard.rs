//! KPI dashboard (issue 23), for supervisors and controllers: the keys of
//! a dimension (entity, warehouse, channel, customer) in a list, and for
//! the one selected every KPI's value this month, the month before and a
//! trend of the last 12 months (one bar per month, `·` where there was
//! nothing to measure). Read-only: it reads the KPIs `apply` keeps
//! (`core::kpi`), never the history. Tab / Backtab the next or previous
//! dimension, F9 one month back, F5 back to this month.

use crate::core::kpi::{self, Dim, Kpi};
use crate::core::types::Code;
use crate::core::State;
use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Screen};
use crate::ui::widgets::{fit, moved};
use chrono::NaiveDate;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};
use ratatui::Frame;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Months in a trend.
pub const TREND_MONTHS: u32 = 12;

pub struct KpiDashboard {
    dim: usize,
    selected: usize,
    /// Months back from the current one.
    back: u32,
    page: usize,
    /// The keys of the dimension, as of the view's sequence number.
    keys: Option<(u64, Dim, Vec<Code>)>,
}

impl Default for KpiDashboard {
    fn default() -> Self {
        KpiDashboard::new()
    }
}

impl KpiDashboard {
    pub fn new() -> KpiDashboard {
        KpiDashboard {
            dim: 0,
            selected: 0,
            back: 0,
            page: 10,
            keys: None,
        }
    }

    fn dim(&self) -> Dim {
        Dim::ALL[self.dim % Dim::ALL.len()]
    }

    fn keys(&mut self, s: &State) -> &[Code] {
        let dim = self.dim();
        let fresh = matches!(&self.keys, Some((seq, d, _)) if *seq == s.seq && *d == dim);
        if !fresh {
            self.keys = Some((s.seq, dim, kpi::keys_of(s, dim)));
        }
        self.keys
            .as_ref()
            .map(|k| k.2.as_slice())
            .unwrap_or_default()
    }

    fn month(&self, ctx: &Ctx) -> NaiveDate {
        let today = crate::core::zone::today(ctx.state(), None, ctx.now);
        kpi::months_back(kpi::month(today), self.back)
    }
}

/// A trend as one character per month: eighths of the range between the
/// series' lowest and highest value; `·` for a month with no value.
pub fn trend(values: &[Option<Decimal>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let known: Vec<f64> = values.iter().flatten().filter_map(|d| d.to_f64()).collect();
    let lo = known.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = known.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|v| match v.and_then(|d| d.to_f64()) {
            None => '·',
            Some(x) if hi > lo => {
                let i = ((x - lo) / (hi - lo) * 7.0).round() as usize;
                BARS[i.min(7)]
            }
            Some(_) => BARS[4],
        })
        .collect()
}

impl Screen for KpiDashboard {
    fn name(&self) -> &'static str {
        "kpi_dashboard"
    }
    fn title(&self) -> String {
        format!("KPI dashboard by {}", self.dim().as_str())
    }
    fn context(&self) -> Context {
        Context::List
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Down, "next key"),
            (Action::Up, "previous key"),
            (Action::NextField, "next dimension"),
            (Action::PrevField, "previous dimension"),
            (Action::AsOf, "one month back"),
            (Action::Refresh, "back to this month"),
            (Action::Back, "back to the menu"),
        ]
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        let Input::Action(a) = input else {
            return Flow::Stay;
        };
        match a {
            Action::Back | Action::Cancel => return Flow::Pop,
            Action::NextField => {
                self.dim = (self.dim + 1) % Dim::ALL.len();
                self.selected = 0;
            }
            Action::PrevField => {
                self.dim = (self.dim + Dim::ALL.len() - 1) % Dim::ALL.len();
                self.selected = 0;
            }
            Action::AsOf => self.back = (self.back + 1).min(TREND_MONTHS * 10),
            Action::Refresh => self.back = 0,
            Action::Up
            | Action::Down
            | Action::Top
            | Action::Bottom
            | Action::PageUp
            | Action::PageDown => {
                let page = self.page;
                let n = self.keys(ctx.state()).len();
                self.selected = moved(self.selected, n, a, page);
            }
            _ => {}
        }
        Flow::Stay
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let month = self.month(ctx);
        let dim = self.dim();
        let s = ctx.state();
        let keys: Vec<Code> = self.keys(s).to_vec();
        self.selected = self.selected.min(keys.len().saturating_sub(1));
        let wide = area.width >= 110;
        let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
        // The dimensions, the chosen one marked, and the month.
        let mut spans = vec![Span::styled("by ", theme.label())];
        for d in Dim::ALL {
            let style = if d == dim {
                theme.selected()
            } else {
                theme.dim()
            };
            spans.push(Span::styled(d.as_str().to_string(), style));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(
            format!(" month {}", month.format("%Y-%m")),
            theme.label(),
        ));
        f.render_widget(Paragraph::new(Line::from(spans)), top);
        let list_w = if wide { 24 } else { 16 };
        let [left, right] =
            Layout::horizontal([Constraint::Length(list_w), Constraint::Min(20)]).areas(body);
        self.page = left.height.saturating_sub(2).max(1) as usize;
        let items: Vec<ListItem> = keys
            .iter()
            .map(|k| ListItem::new(fit(k, list_w.saturating_sub(2) as usize)))
            .collect();
        let mut st = ListState::default();
        if !keys.is_empty() {
            st.select(Some(self.selected));
        }
        f.render_stateful_widget(
            List::new(items).highlight_style(theme.selected()).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" {} ", dim.as_str())),
            ),
            left,
            &mut st,
        );
        let block = Block::default().borders(Borders::ALL);
        let inner = block.inner(right);
        f.render_widget(block, right);
        let Some(key) = keys.get(self.selected) else {
            f.render_widget(
                Paragraph::new(
                    "no figures yet: KPIs start with the first shipment, invoice, count or close",
                )
                .style(theme.dim()),
                inner,
            );
            return;
        };
        let series = kpi::series(s, dim, key, month, TREND_MONTHS);
        let n = series.len();
        let mut lines = vec![Line::from(vec![Span::styled(
            format!(
                "{:<20} {:>8} {:>8}  trend {}..{}",
                fit(key, 20),
                month.format("%Y-%m").to_string(),
                kpi::months_back(month, 1).format("%Y-%m").to_string(),
                series
                    .first()
                    .map(|(m, _)| m.format("%y-%m").to_string())
                    .unwrap_or_default(),
                month.format("%y-%m"),
            ),
            theme.label().add_modifier(Modifier::BOLD),
        )])];
        for (i, k) in Kpi::ALL.iter().enumerate() {
            let values: Vec<Option<Decimal>> = series.iter().map(|(_, v)| v[i]).collect();
            let now = values.get(n.wrapping_sub(1)).copied().flatten();
            let before = values.get(n.wrapping_sub(2)).copied().flatten();
            let unit = if k.unit() == "%" { "%" } else { "d" };
            let cell = |v: Option<Decimal>| match v {
                Some(_) => format!("{}{unit}", kpi::show(v)),
                None => kpi::show(None),
            };
            let style = match (now, before) {
                (Some(a), Some(b)) if a != b && (a > b) == k.higher_is_better() => theme.good(),
                (Some(a), Some(b)) if a != b => theme.error(),
                _ => ratatui::style::Style::new(),
            };
            let mut row = vec![
                Span::raw(format!("{:<20} ", k.label())),
                Span::styled(format!("{:>8}", cell(now)), style),
                Span::raw(format!(" {:>8}  ", cell(before))),
                Span::raw(trend(&values)),
            ];
            if wide {
                // The last six months' values beside the trend.
                let six: Vec<String> = values
                    .iter()
                    .skip(n.saturating_sub(6))
                    .map(|v| format!("{:>7}", kpi::show(*v)))
                    .collect();
                row.push(Span::styled(format!("  {}", six.join(" ")), theme.dim()));
            }
            lines.push(Line::from(row));
        }
        if wide {
            let months: Vec<String> = series
                .iter()
                .skip(n.saturating_sub(6))
                .map(|(m, _)| format!("{:>7}", m.format("%Y-%m")))
                .collect();
            lines.insert(
                1,
                Line::from(Span::styled(
                    format!("{:<52}  {}", "", months.join(" ")),
                    theme.dim(),
                )),
            );
        }
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            "— : nothing to measure this month (docs/kpis.md)",
            theme.dim(),
        )));
        f.render_widget(Paragraph::new(lines), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trend_scales_between_its_extremes_and_marks_gaps() {
        let v = |x: i64| Some(Decimal::from(x));
        assert_eq!(trend(&[v(0), None, v(50), v(100)]), "▁·▅█");
        assert_eq!(trend(&[v(7), v(7)]), "▅▅");
        assert_eq!(trend(&[None, None]), "··");
    }
}
