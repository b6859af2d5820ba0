//! Shared pieces of the warehouse (RF) screens: a handheld shows a few
//! short lines, the line being scanned into always visible, the rest
//! scrolled. A handheld user cannot scroll sideways, so nothing is cut at
//! the edge: a line too long for the width (a list row at 20 columns) is
//! broken between words onto the rows under it, indented one column
//! (`RfLine::wrap`, done by `draw_keeping`); a value kept with its unit or
//! label (`together`: "9.5 kg", "of 240") is not broken apart. The hint
//! under the field is broken the same way (`hint`): what to do next is
//! read whole at 20 columns.

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
            let t = fit(&text.replace(KEEP, " "), left);
            left -= t.chars().count();
            spans.push(Span::styled(t, *style));
        }
        Line::from(spans)
    }

    /// The line in rows of at most `width` columns: itself when it fits;
    /// else broken at its last space that fits, the rest on the rows
    /// under it, each indented one column (a word longer than a row is
    /// cut across rows: nothing is dropped). A space of `together` does
    /// not break (it is drawn as a space). Styles stay with their text.
    pub fn wrap(&self, width: usize) -> Vec<RfLine> {
        let chars: Vec<(char, Style)> = self
            .0
            .iter()
            .flat_map(|(st, t)| t.chars().map(move |c| (c, *st)))
            .collect();
        let total = chars.len();
        if total <= width || width == 0 {
            return vec![RfLine::from_chars(&chars)];
        }
        let space = |i: usize| chars.get(i).is_some_and(|c| c.0 == ' ');
        let mut rows = Vec::new();
        let mut at = 0;
        while at < total {
            let room = if rows.is_empty() {
                width
            } else {
                width.saturating_sub(1).max(1)
            };
            let (end, next) = if total - at <= room {
                (total, total)
            } else {
                // The last space that leaves what is before it on the row.
                match (at + 1..=at + room).rev().find(|&i| space(i)) {
                    Some(i) => {
                        let mut end = i;
                        while end > at && space(end - 1) {
                            end -= 1;
                        }
                        if end == at {
                            (at + room, at + room)
                        } else {
                            (end, i)
                        }
                    }
                    None => (at + room, at + room),
                }
            };
            let mut row = RfLine::from_chars(&chars[at..end]);
            if !rows.is_empty() {
                row.0.insert(0, (Style::default(), " ".to_string()));
            }
            rows.push(row);
            at = next;
            while space(at) {
                at += 1;
            }
        }
        rows
    }

    /// (char, style) runs back into parts, a kept space drawn as a space.
    fn from_chars(chars: &[(char, Style)]) -> RfLine {
        let mut parts: Vec<(Style, String)> = Vec::new();
        for &(c, st) in chars {
            let c = if c == KEEP { ' ' } else { c };
            match parts.last_mut() {
                Some((s, t)) if *s == st => t.push(c),
                _ => parts.push((st, c.to_string())),
            }
        }
        RfLine(parts)
    }
}

/// The space of `together`: a row is not broken there.
const KEEP: char = '\u{a0}';

/// `text` kept on one row when a long line is broken (`RfLine::wrap`): a
/// quantity with its unit ("9.5 kg"), a count with what it counts ("2
/// lines"), a label with its value ("lot L77"), a carrier with its
/// service. Drawn with plain spaces.
pub fn together(text: &str) -> String {
    text.replace(' ', &KEEP.to_string())
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
/// visible, as many as fit. A line too long for the width takes the rows
/// it needs (`RfLine::wrap`); scrolled, the screen starts at a line's
/// first row, never at the rest of a line broken in two.
pub fn draw_keeping(f: &mut Frame, area: Rect, lines: &[RfLine], keep: usize, rows: usize) {
    let h = area.height as usize;
    let w = area.width as usize;
    if h == 0 || w == 0 {
        return;
    }
    let wrapped: Vec<Vec<RfLine>> = lines.iter().map(|l| l.wrap(w)).collect();
    // The first row of each line (and, last, the rows in all).
    let mut first = Vec::with_capacity(wrapped.len() + 1);
    let mut n = 0;
    for r in &wrapped {
        first.push(n);
        n += r.len();
    }
    first.push(n);
    // (Past the last line: a row each, as an empty line would take.)
    let row_of = |i: usize| first[i.min(wrapped.len())] + i.saturating_sub(wrapped.len());
    let keep_row = row_of(keep);
    let end_row = row_of(keep + rows.max(1)).max(keep_row + 1);
    let last_line = first[wrapped.len().saturating_sub(1)];
    let start = end_row.saturating_sub(h).min(keep_row);
    let start = first
        .iter()
        .copied()
        .find(|&r| r >= start)
        .unwrap_or(start)
        .min(keep_row)
        .min(last_line);
    let mut shown: Vec<Line> = wrapped
        .iter()
        .flatten()
        .skip(start)
        .take(h)
        .map(|l| l.to_line(w))
        .collect();
    // Lines cut at the bottom (a list longer than the screen): the last
    // row says how many, unless it is the field's or its hint's, or the
    // only item shown under a heading (a picker's next bin). "to pack
    // (4):" over three rows read as a miscount; a heading with nothing
    // under it, as an empty list.
    let last = start + h - 1;
    let text = |l: &Line| {
        l.spans
            .iter()
            .map(|s| s.content.as_ref())
            .collect::<String>()
    };
    let heading = |l: Option<&Line>| l.is_some_and(|l| text(l).trim_end().ends_with(':'));
    let replace = h >= 2
        && (heading(shown.last())
            || !heading(shown.len().checked_sub(2).and_then(|i| shown.get(i))));
    if n > start + h && last >= end_row && replace {
        let hidden = (0..wrapped.len()).filter(|&i| first[i + 1] > last).count();
        // A heading keeps its words: "to pack: 2 more lines".
        let says = match shown.last().map(text) {
            Some(h) if h.trim_end().ends_with(':') => match hidden.saturating_sub(1) {
                1 => format!("{} 1 more line", h.trim_end()),
                k => format!("{} {k} more lines", h.trim_end()),
            },
            _ => format!("+{hidden} more"),
        };
        if let Some(row) = shown.last_mut() {
            *row = RfLine::plain(says).to_line(w).style(
                ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM),
            );
        }
    }
    f.render_widget(Paragraph::new(shown), area);
}

/// `lines` as the rows `draw` gives them at `width` (for a screen that
/// shares out its rows itself).
pub fn rows_at(lines: Vec<RfLine>, width: u16) -> Vec<RfLine> {
    lines
        .iter()
        .flat_map(|l| l.wrap(usize::from(width)))
        .collect()
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

/// An item's code typed by hand in lower case (`fas-1000`): the code as
/// the item has it when only its upper case names an item. Bins were
/// matched in either case and items only as stored, so a picker typing
/// the right item was told it was the wrong one.
pub fn item_case(field: &mut crate::ui::widgets::TextField, s: &crate::core::State) {
    let t = field.text.trim();
    if t.bytes().any(|b| b.is_ascii_lowercase()) && s.item_by_code(t).is_none() {
        let up = t.to_ascii_uppercase();
        if s.item_by_code(&up).is_some() {
            field.text = up;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::{together, RfLine};
    use ratatui::style::{Color, Style};

    fn text(rows: &[RfLine]) -> Vec<String> {
        rows.iter()
            .map(|r| r.0.iter().map(|(_, t)| t.as_str()).collect())
            .collect()
    }

    #[test]
    fn a_line_that_fits_is_one_row_and_a_long_one_breaks_between_words() {
        let l = RfLine::plain("PK-000009 SO-000010 C0004");
        assert_eq!(text(&l.wrap(40)), ["PK-000009 SO-000010 C0004"]);
        assert_eq!(text(&l.wrap(20)), ["PK-000009 SO-000010", " C0004"]);
        // Kept together: the quantity with its unit, never "9.5" / "kg".
        let held = RfLine::plain(format!(
            "HELD PK-000010/1 {} {}",
            together("9.5 kg"),
            together("exp 1.082 kg")
        ));
        assert_eq!(
            text(&held.wrap(20)),
            ["HELD PK-000010/1", " 9.5 kg exp 1.082 kg"]
        );
        assert_eq!(
            text(&held.wrap(80)),
            ["HELD PK-000010/1 9.5 kg exp 1.082 kg"]
        );
        // A word longer than a row is cut across rows, nothing dropped.
        let trk = RfLine::plain("TRK  1Z999AA10123456784ABCDEF");
        assert_eq!(
            text(&trk.wrap(20)),
            ["TRK", " 1Z999AA10123456784A", " BCDEF"]
        );
    }

    #[test]
    fn styles_stay_with_their_text() {
        let label = Style::default().fg(Color::Yellow);
        let l = RfLine::styled(label, "TO   ").push(Style::default(), "R-01-02 (not B-03-03)");
        let rows = l.wrap(20);
        assert_eq!(text(&rows), ["TO   R-01-02 (not", " B-03-03)"]);
        assert_eq!(rows[0].0[0], (label, "TO   ".to_string()));
        assert!(rows
            .iter()
            .all(|r| r.0.iter().all(|(_, t)| t.chars().count() <= 20)));
    }
}
