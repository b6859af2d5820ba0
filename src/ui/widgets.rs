//! Small building blocks shared by screens: a text field that a person
//! types into or a wedge scanner bursts into, list movement, a popup area.

use super::keymap::Action;
use super::screen::Input;
use super::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::Span;

/// Longest text a field accepts (a scan is at most 128 characters).
pub const INPUT_MAX: usize = 128;

/// A one-line text field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextField {
    pub text: String,
    /// The text was refused and is kept to be mended: the next character
    /// typed replaces it (a scan after a refused one starts afresh, not
    /// joined onto it), an editing key mends it.
    replace: bool,
}

impl TextField {
    pub fn new(text: &str) -> TextField {
        TextField {
            text: text.to_string(),
            replace: false,
        }
    }
    /// A value proposed for change (today's date, the amount applied,
    /// the suggested quantity): on show, and, as a refused text, the
    /// next character typed replaces it while an editing key mends it,
    /// so that typing `30` over `24` is 30, not 2430.
    pub fn proposed(text: &str) -> TextField {
        let mut field = TextField::new(text);
        field.refused();
        field
    }
    /// Text typed and not yet entered (not a refused or proposed text,
    /// which the next character replaces): work that leaving loses.
    pub fn typing(&self) -> bool {
        !self.replace && !self.text.trim().is_empty()
    }
    /// The text was refused: kept on show, replaced by the next
    /// character typed.
    pub fn refused(&mut self) {
        self.replace = !self.text.is_empty();
    }
    /// Apply an editing input; true if the text changed.
    pub fn edit(&mut self, input: Input) -> bool {
        let replace = std::mem::take(&mut self.replace);
        match input {
            Input::Action(Action::DeleteBack) => self.text.pop().is_some(),
            Input::Action(Action::Clear) => {
                let had = !self.text.is_empty();
                self.text.clear();
                had
            }
            // GS stays: a scanner's FNC1 separator (`Key::typed`).
            Input::Char(c) if !c.is_control() || c == crate::core::scan::GS => {
                if replace {
                    self.text.clear();
                }
                if self.text.chars().count() >= INPUT_MAX {
                    return false;
                }
                self.text.push(c);
                true
            }
            _ => {
                self.replace = replace;
                false
            }
        }
    }
    /// A key on a list's filter line: Enter keeps the filter and goes
    /// back to the list, Esc clears it and goes back, anything else edits
    /// it. Every screen with a filtered list answers these keys alike.
    pub fn filter_key(&mut self, input: Input) -> FilterKey {
        match input {
            Input::Action(Action::Submit) => FilterKey {
                back: true,
                changed: false,
            },
            Input::Action(Action::Cancel) => FilterKey {
                back: true,
                changed: !self.take().is_empty(),
            },
            other => FilterKey {
                back: false,
                changed: self.edit(other),
            },
        }
    }
    pub fn take(&mut self) -> String {
        self.replace = false;
        std::mem::take(&mut self.text)
    }
    pub fn trimmed(&self) -> &str {
        self.text.trim()
    }
    /// The field drawn `width` wide (the end shown when it is longer).
    pub fn span(&self, focused: bool, width: usize, theme: Theme) -> Span<'static> {
        let cursor = if focused { "_" } else { "" };
        let shown = format!("{}{cursor}", shown_text(&self.text));
        let n = shown.chars().count();
        // Too long for its room: "~" (as `fit` marks a cut) says where
        // the value goes on, so that what is shown is never taken for the
        // whole value. Being typed, its end shows (where the cursor is);
        // otherwise its start.
        let shown: String = if n > width && width > 1 {
            if focused {
                std::iter::once('~')
                    .chain(shown.chars().skip(n - (width - 1)))
                    .collect()
            } else {
                fit(&shown, width)
            }
        } else if n > width {
            shown.chars().skip(n - width).collect()
        } else {
            format!("{shown:<width$}")
        };
        Span::styled(shown, theme.field(focused))
    }
}

/// A field's text as drawn: a scanner's GS separator (FNC1) as the
/// visible ␝, since a terminal draws no control character.
pub fn shown_text(text: &str) -> std::borrow::Cow<'_, str> {
    match text.contains(crate::core::scan::GS) {
        true => text.replace(crate::core::scan::GS, "␝").into(),
        false => text.into(),
    }
}

/// What a key did on a filter line ([`TextField::filter_key`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterKey {
    /// Focus goes back to the list.
    pub back: bool,
    /// The filter's text changed: the selection starts again at the top
    /// of what it now lets through.
    pub changed: bool,
}

/// Move a selection through `n` rows.
pub fn moved(selected: usize, n: usize, action: Action, page: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let last = n - 1;
    let page = page.max(1);
    match action {
        Action::Down => (selected + 1).min(last),
        Action::Up => selected.saturating_sub(1),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageDown => (selected + page).min(last),
        Action::PageUp => selected.saturating_sub(page),
        _ => selected.min(last),
    }
}

/// The row to select after the list changed under the cursor (another
/// session's commit added or removed rows): the row whose key is `was`,
/// the key of the row selected before, where it is still listed; else
/// the same position, kept inside the list. An index alone would leave
/// the cursor on whatever record moved under it, and the next key acts
/// on that record.
pub fn reselected<T, K: PartialEq>(
    selected: usize,
    was: Option<&K>,
    rows: &[T],
    key: impl Fn(&T) -> K,
) -> usize {
    was.and_then(|k| rows.iter().position(|r| key(r) == *k))
        .unwrap_or_else(|| selected.min(rows.len().saturating_sub(1)))
}

/// A centred area of at most `w` x `h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// `label value`: a form's field as entered, its label styled as one.
pub fn labelled(label: &'static str, value: String, theme: Theme) -> ratatui::text::Line<'static> {
    ratatui::text::Line::from(vec![Span::styled(label, theme.label()), Span::raw(value)])
}

/// `label text_`: a form's field being typed, in what `width` leaves.
pub fn labelled_field(
    label: &'static str,
    field: &TextField,
    width: usize,
    theme: Theme,
) -> ratatui::text::Line<'static> {
    ratatui::text::Line::from(vec![
        Span::styled(label, theme.label()),
        field.span(true, width.saturating_sub(label.len()), theme),
    ])
}

/// "1 invoice", "2 invoices", "3 entries": a count with its noun (plural
/// with "s", a consonant's "y" as "ies").
pub fn counted(n: usize, thing: &str) -> String {
    if n == 1 {
        return format!("1 {thing}");
    }
    match thing.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {thing}s"),
    }
}

/// Text cut to `width` characters (with "~" when cut).
pub fn fit(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut s: String = text.chars().take(width - 1).collect();
    s.push('~');
    s
}

/// A styled line cut to `width` characters, each part keeping its style.
/// Cut inside a word, its last character kept is "~" (as `fit` does for
/// plain text: "category     FASTEN~" is not read as a whole word, nor
/// "Wood screw," as the whole name); cut in a gap between columns (a
/// table laid out so that its first ones fit), it is cut plainly, so
/// "52" is not read as cut.
pub fn fit_line(line: ratatui::text::Line<'static>, width: usize) -> ratatui::text::Line<'static> {
    let text: Vec<char> = line.spans.iter().flat_map(|s| s.content.chars()).collect();
    if text.len() <= width {
        return line;
    }
    // Between columns: a gap of two spaces or more at the cut.
    let space = |i: usize| text.get(i).is_some_and(|c| c.is_whitespace());
    let between = width == 0
        || (space(width) && space(width + 1))
        || (width >= 2 && space(width - 1) && space(width - 2))
        || (space(width - 1) && space(width));
    let mut left = if between { width } else { width - 1 };
    let mut spans: Vec<Span<'static>> = Vec::new();
    for s in line.spans {
        if left == 0 {
            break;
        }
        let taken: String = s.content.chars().take(left).collect();
        left -= taken.chars().count();
        spans.push(Span::styled(taken, s.style));
    }
    if !between {
        let style = spans.last().map(|s| s.style).unwrap_or_default();
        spans.push(Span::styled("~", style));
    }
    ratatui::text::Line::from(spans).style(line.style)
}

/// An amount in `width` columns, or `#` across them when it does not fit
/// (as a spreadsheet does): a cut number would read as another amount.
pub fn num(text: String, width: usize) -> String {
    if text.chars().count() > width {
        "#".repeat(width)
    } else {
        text
    }
}

/// `text` in lines of at most `width` characters, broken between words
/// (a word longer than a line is cut across lines, after a `/` where one
/// falls in the second half of the line: a printed file's path breaks
/// between its folders), at most `max` lines: the last one ends with "~"
/// when more was left.
pub fn wrap_words(text: &str, width: usize, max: usize) -> Vec<String> {
    if width == 0 || max == 0 {
        return Vec::new();
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let gap = usize::from(len > 0);
            if len + gap + word.len() <= width {
                if gap == 1 {
                    line.push(' ');
                }
                line.extend(word.iter());
                len += gap + word.len();
                break;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                len = 0;
                continue;
            }
            // Longer than a whole line: cut it, after a slash if one
            // ends most of the line.
            let cut = word[..width]
                .iter()
                .rposition(|&c| c == '/')
                .map(|i| i + 1)
                .filter(|&i| i * 2 > width)
                .unwrap_or(width);
            let rest = word.split_off(cut);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if len > 0 {
        lines.push(line);
    }
    if lines.len() > max {
        let rest = lines.split_off(max - 1).join(" ");
        lines.push(fit(&rest, width));
    }
    lines
}

/// `head` then `items` (each followed by `sep` but the last) in lines of
/// at most `width` characters, broken between items, never inside one
/// that fits a line of its own (one longer than a line is broken between
/// its words): "exposure" at the end of a line and its figure at the start
/// of the next read as two things.
pub fn wrap_items(head: &str, items: &[String], sep: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let len = |s: &str| s.chars().count();
    let mut out = Vec::new();
    let mut line = head.to_string();
    for (i, item) in items.iter().enumerate() {
        let item = if i + 1 < items.len() {
            format!("{item}{sep}")
        } else {
            item.clone()
        };
        let gap = usize::from(!line.is_empty());
        if len(&line) + gap + len(&item) <= width {
            if gap == 1 {
                line.push(' ');
            }
            line.push_str(&item);
            continue;
        }
        if !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        let mut parts = wrap_words(&item, width, usize::MAX);
        line = parts.pop().unwrap_or_default();
        out.extend(parts);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// A table's columns fitted to what they show: each as wide as its widest
/// cell or its header (at least `mins[c]`, at most 32), except the `fill`
/// column (a description), which takes what is left and at least
/// `fill_min`; the cells of the `right` columns (figures) right-aligned,
/// so that decimals stand under each other.
pub struct Fitted {
    pub header: Vec<String>,
    pub rows: Vec<(Vec<String>, ratatui::style::Style)>,
    pub widths: Vec<ratatui::layout::Constraint>,
}

impl Fitted {
    /// The header (in `header_style`), the rows and the widths as a
    /// ratatui table takes them.
    pub fn into_table(
        self,
        header_style: ratatui::style::Style,
    ) -> (
        ratatui::widgets::Row<'static>,
        Vec<ratatui::widgets::Row<'static>>,
        Vec<ratatui::layout::Constraint>,
    ) {
        use ratatui::widgets::Row;
        let rows = self
            .rows
            .into_iter()
            .map(|(cells, style)| Row::new(cells).style(style))
            .collect();
        (Row::new(self.header).style(header_style), rows, self.widths)
    }
}

pub fn fitted(
    header: &[&str],
    rows: Vec<(Vec<String>, ratatui::style::Style)>,
    mins: &[usize],
    fill: Option<(usize, u16)>,
    right: &[usize],
) -> Fitted {
    use ratatui::layout::Constraint;
    let width: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(c, h)| {
            let cells = rows
                .iter()
                .map(|(r, _)| r.get(c).map_or(0, |t| t.chars().count()))
                .max()
                .unwrap_or(0);
            mins.get(c)
                .copied()
                .unwrap_or(0)
                .max(h.chars().count())
                .max(cells)
                .min(32)
        })
        .collect();
    let widths = width
        .iter()
        .enumerate()
        .map(|(c, w)| match fill {
            Some((f, min)) if f == c => Constraint::Min(min),
            _ => Constraint::Length(*w as u16),
        })
        .collect();
    let align = |c: usize, t: &str| {
        if right.contains(&c) {
            format!("{t:>w$}", w = width[c])
        } else {
            t.to_string()
        }
    };
    Fitted {
        header: header
            .iter()
            .enumerate()
            .map(|(c, h)| align(c, h))
            .collect(),
        rows: rows
            .into_iter()
            .map(|(cells, style)| {
                let cells = cells.iter().enumerate().map(|(c, t)| align(c, t)).collect();
                (cells, style)
            })
            .collect(),
        widths,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_wrap_between_items_not_inside_one() {
        let items: Vec<String> = [
            "late 2 of 3 invoices due",
            "p(late) 100%",
            "exposure 5,323.45",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let lines = wrap_items("because", &items, ";", 40);
        assert_eq!(
            lines,
            [
                "because late 2 of 3 invoices due;",
                "p(late) 100%; exposure 5,323.45"
            ]
        );
        // Wide enough: one line, each item followed by the separator but
        // the last.
        assert_eq!(
            wrap_items("because", &items, ";", 80),
            ["because late 2 of 3 invoices due; p(late) 100%; exposure 5,323.45"]
        );
        // An item longer than a line is broken between its words; no line
        // is longer than the width.
        let long = vec!["a very long reason that takes more than a line".to_string()];
        let lines = wrap_items("because", &long, ";", 12);
        assert!(lines.iter().all(|l| l.chars().count() <= 12), "{lines:?}");
        assert_eq!(
            lines.join(" "),
            "because a very long reason that takes more than a line"
        );
    }

    #[test]
    fn words_wrap_between_words_and_the_last_line_says_when_cut() {
        assert_eq!(
            wrap_words("take payment in full or place it", 12, 3),
            ["take payment", "in full or", "place it"]
        );
        assert_eq!(
            wrap_words("abcdefghij xy", 4, 5),
            ["abcd", "efgh", "ij", "xy"]
        );
        assert_eq!(
            wrap_words("one two three four five", 9, 2),
            ["one two", "three fo~"]
        );
        assert_eq!(wrap_words("short", 80, 3), ["short"]);
        assert!(wrap_words("", 10, 3).is_empty());
        assert!(wrap_words("x", 0, 3).is_empty());
    }

    #[test]
    fn a_path_longer_than_a_line_breaks_between_its_folders() {
        assert_eq!(
            wrap_words("printed to /var/depot/prints/INV-000123.pdf", 20, 5),
            ["printed to", "/var/depot/prints/", "INV-000123.pdf"]
        );
        // A slash early in the line would leave most of it empty: cut at
        // the width.
        assert_eq!(wrap_words("/abcdefghijkl", 8, 5), ["/abcdefg", "hijkl"]);
        assert_eq!(wrap_words("ab/cdefghijkl", 8, 5), ["ab/cdefg", "hijkl"]);
    }

    #[test]
    fn a_filter_line_edits_keeps_and_clears() {
        let mut f = TextField::default();
        let typed = f.filter_key(Input::Char('a'));
        assert_eq!((typed.back, typed.changed), (false, true));
        assert_eq!(f.text, "a");
        // A key that edits nothing changes nothing and stays.
        let none = f.filter_key(Input::Action(Action::Down));
        assert_eq!((none.back, none.changed), (false, false));
        // Enter goes back with the filter kept.
        let enter = f.filter_key(Input::Action(Action::Submit));
        assert_eq!((enter.back, enter.changed), (true, false));
        assert_eq!(f.text, "a");
        // Esc goes back with it cleared; on an empty filter it changes
        // nothing, so the selection is kept.
        let esc = f.filter_key(Input::Action(Action::Cancel));
        assert_eq!((esc.back, esc.changed), (true, true));
        assert_eq!(f.text, "");
        let again = f.filter_key(Input::Action(Action::Cancel));
        assert_eq!((again.back, again.changed), (true, false));
    }

    #[test]
    fn fitted_columns_take_their_widest_cell_and_the_fill_takes_the_rest() {
        use ratatui::layout::Constraint;
        use ratatui::style::Style;
        let rows = vec![
            (
                vec!["FAS-1001".into(), "Bolt".into(), "79.36".into()],
                Style::new(),
            ),
            (
                vec!["F-1".into(), "Screw".into(), "1,234.50".into()],
                Style::new(),
            ),
        ];
        let f = fitted(
            &["SKU", "Description", "Price"],
            rows,
            &[4, 0, 6],
            Some((1, 8)),
            &[2],
        );
        assert_eq!(
            f.widths,
            vec![
                Constraint::Length(8),
                Constraint::Min(8),
                Constraint::Length(8)
            ]
        );
        assert_eq!(f.header[2], "   Price");
        assert_eq!(f.rows[0].0[2], "   79.36");
        assert_eq!(f.rows[1].0[0], "F-1", "left columns are not padded");
    }
}
