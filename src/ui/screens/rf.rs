//! Shared pieces of the warehouse (RF) screens: a handheld shows a few
//! short lines, the line being scanned into always visible, the rest
//! scrolled; every line is cut to the width (nothing wraps), except the
//! hint under the field, which is broken between words (`hint`): what to
//! do next is read whole at 20 columns.

use crate::core::master::BinKind;
use crate::ui::screen::Flow;
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

/// Refuse what was scanned or typed: the bell and why, and stay.
pub fn refuse(notice: &mut Option<crate::ui::screen::Notice>, text: String) -> Flow {
    *notice = Some(crate::ui::screen::Notice::bell(text));
    Flow::Stay
}

/// Why goods may not be received into bin `b`: a pick face or bulk
/// location is stock put away, reached from a dock (or quarantine) bin
/// by put-away, never straight from the truck; a stray scan of a shelf
/// label would book the receipt onto the shelf unseen.
pub fn not_receiving(b: &crate::core::master::Bin) -> Option<String> {
    let what = match b.kind {
        BinKind::Dock | BinKind::Quarantine => return None,
        BinKind::PickFace => "pick face",
        BinKind::Bulk => "bulk bin",
    };
    Some(format!("{} is a {what}: receive at a dock", b.code))
}

/// Draw `lines` in `area`, scrolled so that line `keep` (the field being
/// scanned into) and the one after it are visible.
pub fn draw(f: &mut Frame, area: Rect, lines: &[RfLine], keep: usize) {
    draw_keeping(f, area, lines, keep, 2);
}

/// Draw `lines` in `area`, scrolled so that the `rows` lines from `keep`
/// (the field and its hint, however many lines the hint took) are
/// visible, as many as fit.
pub fn draw_keeping(f: &mut Frame, area: Rect, lines: &[RfLine], keep: usize, rows: usize) {
    let h = area.height as usize;
    if h == 0 || area.width == 0 {
        return;
    }
    let start = (keep + rows.max(1))
        .saturating_sub(h)
        .min(keep)
        .min(lines.len().saturating_sub(1));
    let shown: Vec<Line> = lines
        .iter()
        .skip(start)
        .take(h)
        .map(|l| l.to_line(area.width as usize))
        .collect();
    f.render_widget(Paragraph::new(shown), area);
}

/// The hint under the field in `style`, broken between words into lines
/// of `width` columns (one line when it fits): a hint cut at 20 columns
/// ("Enter accepts the b~") is a hint not read.
pub fn hint(style: Style, text: &str, width: u16) -> Vec<RfLine> {
    crate::ui::widgets::wrap_words(text, usize::from(width), usize::MAX)
        .into_iter()
        .map(|l| RfLine::styled(style, l))
        .collect()
}

/// `label` then the field text with a cursor, for the line being scanned
/// into.
pub fn field_line(label: &str, text: &str, theme: Theme) -> RfLine {
    let text = crate::ui::widgets::shown_text(text);
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

/// What a key means on an RF screen, read the same on every one: Enter
/// accepts the field; F3 / Esc first empties a field with text in it (a
/// half scan is dropped, nothing else), and only an empty field means
/// going back a step; anything else edits the field.
pub enum RfKey {
    Accept,
    Back,
    Stay,
}

pub fn rf_key(field: &mut crate::ui::widgets::TextField, input: crate::ui::screen::Input) -> RfKey {
    use crate::ui::keymap::Action;
    use crate::ui::screen::Input;
    match input {
        Input::Action(Action::Submit) => RfKey::Accept,
        Input::Action(Action::Back) | Input::Action(Action::Cancel) => {
            if field.text.is_empty() {
                RfKey::Back
            } else {
                field.take();
                RfKey::Stay
            }
        }
        other => {
            field.edit(other);
            RfKey::Stay
        }
    }
}

/// The key bar of a one-field RF screen: Enter does `what`.
pub fn rf_actions(what: &'static str) -> Vec<(crate::ui::keymap::Action, &'static str)> {
    use crate::ui::keymap::Action;
    vec![
        (Action::Submit, what),
        (Action::Back, "back"),
        (Action::Clear, "clear the field"),
    ]
}

/// The core's answer to an RF screen's command, taken alike everywhere.
pub enum Answer {
    /// Durable: the events it made (the next command takes a new key).
    Done(Vec<crate::core::Event>),
    /// Refused: the key is used up, the next try takes a new one.
    Refused(crate::core::rejection::Rejection, crate::ui::screen::Notice),
    /// Not acknowledged (the engine stopped or the store failed): the
    /// same key again is safe, so it is kept for the retry.
    Stopped(crate::ui::screen::Notice),
}

pub fn answer(
    outcome: crate::ui::screen::Submitted,
    key: &mut String,
    ctx: &crate::ui::screen::Ctx,
) -> Answer {
    use crate::ui::screen::{Notice, Submitted};
    match outcome {
        Submitted::Committed { events, .. } => {
            *key = ctx.new_key();
            Answer::Done(events)
        }
        Submitted::Refused(r) => {
            *key = ctx.new_key();
            let n = Notice::bell(r.to_string());
            Answer::Refused(r, n)
        }
        Submitted::Stopped(e) => {
            Answer::Stopped(Notice::bell(format!("not saved ({e}): Enter to retry")))
        }
    }
}
