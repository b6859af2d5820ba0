//! The lookup every code field shares: a query line (typed or scanned), a
//! list of matches best first, a detail of the selected row; list and
//! detail side by side from 80 columns, one at a time below. Used by the
//! lookup screens and as the F4 prompt of form fields.

use super::keymap::{Action, Context};
use super::screen::Input;
use super::theme::Theme;
use super::widgets::{fit, moved, TextField};
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::query::lookup::Found;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

/// From this width on, list and detail side by side.
pub const WIDE: u16 = 80;
/// Narrower than this, a detail pane's lines are cut, not wrapped.
const HANDHELD_WRAP: u16 = 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Query,
    List,
}

/// What a lookup did with an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Picked {
    /// Still looking.
    No,
    /// The operator chose this code (Enter on a row, or an exact scan).
    Code(String),
    /// Esc on an empty query: leave.
    Leave,
}

pub struct Lookup {
    pub query: TextField,
    pub focus: Focus,
    pub selected: usize,
    /// Narrow layout: the detail is shown instead of the list.
    pub detail: bool,
    pub found: Found,
    pub error: Option<String>,
    page: usize,
    /// The detail drawn alone (a narrow terminal): Up and Down scroll it
    /// by `scroll` rows, where they went to the next record and the
    /// detail's lower lines (units, bins) could not be reached on 8 rows.
    alone: bool,
    scroll: usize,
    /// Enter on a row whose detail is already beside the list: the detail
    /// drawn alone over the whole width, to scroll what the pane cut.
    full: bool,
    /// The last frame drew the detail beside the list (80 columns on).
    beside: bool,
}

impl Default for Lookup {
    fn default() -> Self {
        Lookup::new()
    }
}

impl Lookup {
    pub fn new() -> Lookup {
        Lookup {
            query: TextField::default(),
            focus: Focus::Query,
            selected: 0,
            detail: false,
            found: Found::default(),
            error: None,
            page: 10,
            alone: false,
            scroll: 0,
            full: false,
            beside: false,
        }
    }

    pub fn context(&self) -> Context {
        match self.focus {
            Focus::Query => Context::Input,
            Focus::List => Context::List,
        }
    }

    pub fn selected_code(&self) -> Option<&Code> {
        self.found.codes.get(self.selected)
    }

    /// Handle an input; `search` runs the query against the view.
    /// `pick_on_enter`: Enter on a row picks it (F4 prompts), rather than
    /// showing its detail (lookup screens).
    pub fn handle(
        &mut self,
        input: Input,
        search: &mut dyn FnMut(&str) -> Found,
        pick_on_enter: bool,
    ) -> Picked {
        let n = self.found.codes.len();
        let shown = self.selected_code().cloned();
        match (self.focus, input) {
            (Focus::Query, Input::Action(Action::Submit)) => {
                self.error = None;
                self.full = false;
                self.found = search(&self.query.text);
                match self.found.exact.clone() {
                    Some(Ok(code)) => {
                        if pick_on_enter {
                            return Picked::Code(code.to_string());
                        }
                        self.selected = self
                            .found
                            .codes
                            .iter()
                            .position(|c| *c == code)
                            .unwrap_or(0);
                        self.focus = Focus::List;
                        self.detail = true;
                    }
                    Some(Err(e)) => self.error = Some(e),
                    None if self.found.codes.is_empty() => {
                        self.error = Some(format!("nothing matches {:?}", self.query.trimmed()))
                    }
                    // A prompt takes the highlighted row (the best match
                    // unless the operator moved): one Enter.
                    None if pick_on_enter => {
                        if let Some(c) = self.found.codes.get(self.selected) {
                            return Picked::Code(c.to_string());
                        }
                    }
                    None => {
                        self.focus = Focus::List;
                        self.detail = self.found.codes.len() == 1;
                    }
                }
            }
            (Focus::Query, Input::Action(Action::Cancel)) => {
                // Empty, or the query of a search already looked at (back
                // from its list): leave. Only a query being typed is
                // cleared first.
                if !self.query.typing() {
                    return Picked::Leave;
                }
                self.query.text.clear();
                self.selected = 0;
                // What the cleared query got said is no longer so.
                self.error = None;
                self.found = search("");
            }
            (
                Focus::Query,
                Input::Action(a @ (Action::Up | Action::Down | Action::PageUp | Action::PageDown)),
            ) => {
                self.selected = moved(self.selected, n, a, self.page);
            }
            (Focus::Query, other) => {
                if self.query.edit(other) {
                    self.selected = 0;
                    self.detail = false;
                    self.error = None;
                    self.found = search(&self.query.text);
                }
            }
            (Focus::List, Input::Action(Action::Back)) => {
                if self.detail && self.alone {
                    // The detail covers the list (a narrow terminal, or
                    // opened whole): back to the list first.
                    self.detail = false;
                    self.full = false;
                } else {
                    // Back to the query, kept on show: what is typed next
                    // starts a new search, and the next Esc leaves.
                    self.detail = false;
                    self.full = false;
                    self.focus = Focus::Query;
                    self.query.refused();
                }
            }
            (Focus::List, Input::Action(Action::Open)) => {
                if pick_on_enter {
                    if let Some(c) = self.selected_code() {
                        return Picked::Code(c.to_string());
                    }
                }
                // Shown beside the list already: Enter opens it whole.
                self.full = (self.detail || self.beside) && n > 0;
                self.detail = n > 0;
                self.scroll = 0;
            }
            (Focus::List, Input::Action(Action::Search)) => {
                // A new search: what is typed or scanned next replaces the
                // old query.
                self.focus = Focus::Query;
                self.detail = false;
                self.full = false;
                self.query.take();
                self.selected = 0;
                self.found = search("");
            }
            (
                Focus::List,
                Input::Action(a @ (Action::Up | Action::Down | Action::PageUp | Action::PageDown)),
            ) if self.detail && self.alone => {
                let by = if matches!(a, Action::PageUp | Action::PageDown) {
                    self.page
                } else {
                    1
                };
                self.scroll = if matches!(a, Action::Up | Action::PageUp) {
                    self.scroll.saturating_sub(by)
                } else {
                    self.scroll + by
                };
            }
            (Focus::List, Input::Action(a)) => {
                self.selected = moved(self.selected, n, a, self.page);
            }
            (Focus::List, Input::Char(c)) => {
                // Typing (or a scanner) on the list starts a new search.
                self.focus = Focus::Query;
                self.query = TextField::new(&c.to_string());
                self.selected = 0;
                self.detail = false;
                self.found = search(&self.query.text);
            }
        }
        self.selected = self.selected.min(self.found.codes.len().saturating_sub(1));
        // Another record, or back to the list: its detail from the top.
        if !self.detail || self.selected_code() != shown.as_ref() {
            self.scroll = 0;
        }
        Picked::No
    }

    /// Draw: `label` gives a row's text, `detail` the selected row's lines.
    pub fn render(
        &mut self,
        f: &mut Frame,
        area: Rect,
        theme: Theme,
        prompt: &str,
        label: &dyn Fn(&str) -> String,
        detail: &dyn Fn(&str) -> Vec<Line<'static>>,
    ) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let [search, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        self.page = rest.height.saturating_sub(2).max(1) as usize;
        let focused = self.focus == Focus::Query;
        let qw = (search.width as usize).saturating_sub(2).min(40);
        let field = qw.min(self.query.text.chars().count() + 1).max(1);
        let mut spans = vec![
            Span::styled("/ ", theme.label()),
            self.query.span(focused, field, theme),
        ];
        // What is left of the row after the query; a status cut says so.
        let room = (search.width as usize).saturating_sub(2 + field);
        spans.push(Span::styled(
            fit(
                &match &self.error {
                    Some(e) => format!("  {e}"),
                    None if self.query.text.is_empty() && focused => format!("  {prompt}"),
                    None if self.found.complete => format!("  {} found", self.found.total),
                    None => format!("  {}+ found", self.found.total),
                },
                room,
            ),
            if self.error.is_some() {
                theme.error()
            } else {
                theme.dim()
            },
        ));
        f.render_widget(Paragraph::new(Line::from(spans)), search);
        self.beside = area.width >= WIDE;
        let wide = self.beside && !(self.full && self.detail);
        self.alone = !wide && self.detail;
        let (list_area, detail_area) = if wide {
            let [a, b] =
                Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(58)])
                    .areas(rest);
            (Some(a), Some(b))
        } else if self.detail {
            (None, Some(rest))
        } else {
            (Some(rest), None)
        };
        if let Some(a) = list_area {
            let w = a.width.saturating_sub(1) as usize;
            // On a handheld a row too long for it takes a second row,
            // broken between words, where it was cut ("FAS-1000   Hex
            // bo~" named no bolt); a row on the screen is then two.
            let narrow = a.width < HANDHELD_WRAP;
            let items: Vec<ListItem> = self
                .found
                .codes
                .iter()
                .map(|c| {
                    let l = label(c);
                    if narrow && l.chars().count() > w {
                        // The second row indented, so that one item's
                        // rows read apart from the next item's.
                        ListItem::new(
                            super::widgets::wrap_words(&l, w.saturating_sub(2), 2)
                                .into_iter()
                                .enumerate()
                                .map(|(i, r)| Line::from(if i == 0 { r } else { format!("  {r}") }))
                                .collect::<Vec<_>>(),
                        )
                    } else {
                        ListItem::new(fit(&l, w))
                    }
                })
                .collect();
            if narrow {
                self.page = (self.page / 2).max(1);
            }
            let mut st = ListState::default();
            if !self.found.codes.is_empty() {
                st.select(Some(self.selected));
            }
            // The right border parts list from detail; alone, the list has
            // its frame's border on the right already.
            // Wide, its top-right corner is where the detail's top line
            // goes on: a tee, not a corner.
            let block = if wide {
                Block::new()
                    .borders(Borders::TOP | Borders::RIGHT)
                    .border_set(ratatui::symbols::border::Set {
                        top_right: ratatui::symbols::line::HORIZONTAL_DOWN,
                        ..ratatui::symbols::border::PLAIN
                    })
            } else {
                Block::new().borders(Borders::TOP)
            };
            let list =
                List::new(items)
                    .block(block)
                    .highlight_style(if self.focus == Focus::List {
                        theme.selected()
                    } else {
                        theme.selected().add_modifier(Modifier::DIM)
                    });
            f.render_stateful_widget(list, a, &mut st);
        }
        if let Some(a) = detail_area {
            let mut lines = self.selected_code().map(|c| detail(c)).unwrap_or_default();
            if a.width < HANDHELD_WRAP {
                // Cut at the edge, but said to be ("~"): "category
                // FASTENE" read as a whole word.
                let w = usize::from(a.width);
                lines = lines
                    .into_iter()
                    .map(|l| super::widgets::fit_line(l, w))
                    .collect();
            }
            // Drawn alone, it scrolls (Up, Down): the rows it has, and
            // its top border says when more is below or above.
            let rows = usize::from(a.height.saturating_sub(1));
            // The rows the lines take: one each when cut at the edge, as
            // many as they wrap to otherwise (broken between words).
            let taken: usize = if a.width < HANDHELD_WRAP {
                lines.len()
            } else {
                lines
                    .iter()
                    .map(|l| {
                        let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
                        super::widgets::wrap_words(&text, usize::from(a.width), usize::MAX)
                            .len()
                            .max(1)
                    })
                    .sum()
            };
            let most = taken.saturating_sub(rows);
            let mut block = Block::new().borders(Borders::TOP);
            if self.alone {
                self.scroll = self.scroll.min(most);
                let more = match (self.scroll > 0, self.scroll < most) {
                    (true, true) => " Up/Down: more ",
                    (false, true) => " Down: more ",
                    (true, false) => " Up: more ",
                    (false, false) => "",
                };
                if !more.is_empty() {
                    block = block.title(ratatui::text::Line::from(more).right_aligned());
                }
            } else {
                self.scroll = 0;
                // Beside the list, a detail cut at the bottom says so,
                // and how to see it all.
                if most > 0 {
                    block = block.title(ratatui::text::Line::from(" more: Enter ").right_aligned());
                }
            }
            let pane = Paragraph::new(lines)
                .block(block)
                .scroll((u16::try_from(self.scroll).unwrap_or(u16::MAX), 0));
            // On a handheld each line keeps its one row (cut at the edge),
            // so the stock rows, first under the name and laid out for 20
            // columns, stay in sight; wrapped, their heading alone took
            // the rows there are.
            let pane = if a.width < HANDHELD_WRAP {
                pane
            } else {
                pane.wrap(Wrap { trim: false })
            };
            f.render_widget(pane, a);
        }
    }

    /// Refresh the rows after a commit (the query stays).
    pub fn refresh(&mut self, search: &mut dyn FnMut(&str) -> Found) {
        self.found = search(&self.query.text);
        self.selected = self.selected.min(self.found.codes.len().saturating_sub(1));
    }
}

/// A label: value line of a detail pane.
pub fn field(theme: Theme, label: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<13}"), theme.label()),
        Span::raw(value),
    ])
}

/// Keys a lookup offers, for the key bar.
pub fn actions(lookup: &Lookup) -> Vec<(Action, &'static str)> {
    match lookup.focus {
        Focus::Query => vec![
            (Action::Submit, "look up"),
            (Action::Down, "next row"),
            if lookup.query.typing() {
                (Action::Cancel, "clear")
            } else {
                (Action::Cancel, "back")
            },
            (Action::Help, "keys"),
        ],
        Focus::List => vec![
            (Action::Open, "open"),
            (Action::Search, "search"),
            (Action::Back, "back"),
            (Action::Help, "keys"),
        ],
    }
}

/// What an F4 prompt looks up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Customer,
    Item,
}

/// An F4 prompt over a form: a lookup of one kind in a popup, where Enter
/// takes the highlighted row.
pub struct Prompt {
    pub kind: Kind,
    pub lookup: Lookup,
}

impl Prompt {
    pub fn open(kind: Kind, query: &str, ctx: &super::screen::Ctx) -> Prompt {
        let mut lookup = Lookup::new();
        lookup.query = TextField::new(query);
        let mut p = Prompt { kind, lookup };
        let kind = p.kind;
        p.lookup.refresh(&mut |q| search(kind, q, ctx));
        // A code typed in a field that matches nothing is said at once,
        // not shown as an empty list to guess at.
        if p.lookup.found.codes.is_empty() && !p.lookup.query.trimmed().is_empty() {
            p.lookup.error = Some(match &p.lookup.found.exact {
                Some(Err(e)) => e.clone(),
                _ => format!("nothing matches {:?}", p.lookup.query.trimmed()),
            });
        }
        p
    }
    pub fn handle(&mut self, input: Input, ctx: &super::screen::Ctx) -> Picked {
        let kind = self.kind;
        self.lookup
            .handle(input, &mut |q| search(kind, q, ctx), true)
    }
    pub fn context(&self) -> Context {
        self.lookup.context()
    }
    pub fn actions(&self) -> Vec<(Action, &'static str)> {
        let mut a = actions(&self.lookup);
        if let Some(first) = a.first_mut() {
            first.1 = "choose";
        }
        a
    }
    /// Draw the popup over `area`.
    pub fn render(&mut self, f: &mut Frame, area: Rect, ctx: &super::screen::Ctx) {
        let pop = super::widgets::centered(
            area,
            area.width.saturating_sub(4),
            area.height.saturating_sub(2),
        );
        f.render_widget(ratatui::widgets::Clear, pop);
        let block = Block::bordered().title(match self.kind {
            Kind::Customer => " find customer ",
            Kind::Item => " find item ",
        });
        let inner = block.inner(pop);
        f.render_widget(block, pop);
        let (s, theme, today) = (ctx.state(), ctx.theme, ctx.today());
        match self.kind {
            Kind::Customer => self.lookup.render(
                f,
                inner,
                theme,
                "code, name, phone or city",
                &|c| {
                    s.customers
                        .get(&c.to_code())
                        .map(|x| {
                            // The city tells two of the same name apart.
                            if x.bill_to.city.is_empty() {
                                format!("{:<10} {}", x.code, x.name)
                            } else {
                                format!("{:<10} {}, {}", x.code, x.name, x.bill_to.city)
                            }
                        })
                        .unwrap_or_default()
                },
                &|c| super::screens::customer_lookup::customer_detail(s, c, theme, today),
            ),
            Kind::Item => self.lookup.render(
                f,
                inner,
                theme,
                "SKU, description or scan",
                &|c| {
                    s.items
                        .get(&c.to_code())
                        .map(|i| {
                            // What is free to sell, in every warehouse.
                            let free: rust_decimal::Decimal =
                                crate::query::sale::available(s, &i.sku, today)
                                    .iter()
                                    .map(|(_, q)| *q)
                                    .sum();
                            format!(
                                "{:<10} {:>7} {}",
                                i.sku,
                                crate::query::qty(free),
                                i.description
                            )
                        })
                        .unwrap_or_default()
                },
                &|c| super::screens::item_lookup::item_detail(s, c, theme, today),
            ),
        }
    }
}

fn search(kind: Kind, q: &str, ctx: &super::screen::Ctx) -> Found {
    match kind {
        Kind::Customer => ctx.find_customers(q),
        Kind::Item => ctx.find_items(q),
    }
}
