//! The application: a model, `on_key` (update) and `view`. Pure with
//! respect to the terminal: tests drive it with key events and render it
//! into ratatui's `TestBackend`. It reads state through the `Backend` and
//! would change it only by submitting commands.

use super::keymap::{Action, Context, Key, Keymap};
use super::Backend;
use crate::core::auth::{Permission, Role};
use crate::core::master::{Customer, Item};
use crate::core::scan::{parse_scan, Scan};
use crate::core::State;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;
use rust_decimal::Decimal;

/// Smallest terminal depot draws on (the warehouse screens' size).
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 16;
/// From this width on, lookups show list and detail side by side.
const WIDE: u16 = 80;
/// Longest text a field accepts (a scan is at most 128 characters).
const INPUT_MAX: usize = 128;

/// Colours, or none (NO_COLOR): then only bold / reverse.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn title(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }
    fn selected(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    fn error(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    fn label(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Yellow)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
}

/// A screen of the menu: what it needs and whether it is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScreenKind {
    Items,
    Customers,
    Coming(&'static str),
}

/// The menu: label, the permissions that open it (any of), the screen.
pub const MENU: &[(&str, &[Permission], ScreenKind)] = &[
    (
        "Item lookup",
        &[Permission::ViewMasterData],
        ScreenKind::Items,
    ),
    (
        "Customer lookup",
        &[
            Permission::CaptureOrders,
            Permission::SellAtCounter,
            Permission::ManageCustomers,
            Permission::ManageCredit,
            Permission::TakePayment,
            Permission::ViewLedger,
            Permission::ApproveChanges,
        ],
        ScreenKind::Customers,
    ),
    (
        "Counter sale",
        &[Permission::SellAtCounter],
        ScreenKind::Coming("counter sale"),
    ),
    (
        "Order entry",
        &[Permission::CaptureOrders],
        ScreenKind::Coming("order entry"),
    ),
    ("Pick", &[Permission::Pick], ScreenKind::Coming("pick")),
    ("Pack", &[Permission::Pack], ScreenKind::Coming("pack")),
    ("Ship", &[Permission::Ship], ScreenKind::Coming("ship")),
    (
        "Receive",
        &[Permission::Receive],
        ScreenKind::Coming("receive"),
    ),
    (
        "Put away",
        &[Permission::Putaway],
        ScreenKind::Coming("put away"),
    ),
    (
        "Purchasing",
        &[Permission::Purchase],
        ScreenKind::Coming("purchasing"),
    ),
    (
        "Cash application",
        &[Permission::TakePayment],
        ScreenKind::Coming("cash application"),
    ),
    (
        "Supplier invoices",
        &[Permission::EnterSupplierInvoices],
        ScreenKind::Coming("supplier invoices"),
    ),
    (
        "Period close",
        &[Permission::ClosePeriods],
        ScreenKind::Coming("period close"),
    ),
    (
        "Exception queue",
        &[Permission::ApproveChanges],
        ScreenKind::Coming("exception queue"),
    ),
];

/// Where keyboard focus is on a lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Input,
    List,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub query: String,
    pub focus: Focus,
    pub selected: usize,
    /// Compact layout: the detail is shown instead of the list.
    pub detail: bool,
}

impl Lookup {
    fn new() -> Lookup {
        Lookup {
            query: String::new(),
            focus: Focus::Input,
            selected: 0,
            detail: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    SignIn { input: String },
    Menu { selected: usize },
    Items(Lookup),
    Customers(Lookup),
}

pub struct App {
    pub screen: Screen,
    pub operator: Option<String>,
    keymaps: Keymaps,
    keymap: Keymap,
    pub theme: Theme,
    pub help: bool,
    /// A message for the status line (errors in the error style).
    pub status: Option<(String, bool)>,
    pub quit: bool,
    /// Rows of the last drawn list (for page up / down).
    page: usize,
}

/// The keymaps an operator may pick (by `Operator::keymap`), each with the
/// user's own file merged over it.
#[derive(Clone, Debug)]
pub struct Keymaps {
    pub default: Keymap,
    pub classic: Keymap,
}

impl Keymaps {
    pub fn load(user: Option<(&str, &str)>) -> Result<Keymaps, super::keymap::KeymapError> {
        Ok(Keymaps {
            default: Keymap::build("default", user)?,
            classic: Keymap::build("classic", user)?,
        })
    }
    fn for_operator(&self, name: &str) -> Keymap {
        match name {
            "classic" => self.classic.clone(),
            _ => self.default.clone(),
        }
    }
}

fn operator_check(state: &State, code: &str) -> Result<String, String> {
    let code = code.trim();
    match state.operators.get(code) {
        None => Err(format!("unknown operator {code:?}")),
        Some(op) if !op.active => Err(format!("operator {code} is inactive")),
        Some(op) => Ok(op.keymap.clone()),
    }
}

impl App {
    /// A new session; with `operator` given (local use) sign-in is skipped
    /// when that operator exists and is active.
    pub fn new(
        keymaps: Keymaps,
        no_color: bool,
        operator: Option<String>,
        backend: &dyn Backend,
    ) -> App {
        let mut app = App {
            screen: Screen::SignIn {
                input: String::new(),
            },
            operator: None,
            keymap: keymaps.default.clone(),
            keymaps,
            theme: Theme { color: !no_color },
            help: false,
            status: None,
            quit: false,
            page: 10,
        };
        if let Some(op) = operator {
            app.sign_in(&op, backend);
            if app.operator.is_none() {
                app.screen = Screen::SignIn { input: op };
            }
        }
        app
    }

    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    fn read<R>(backend: &dyn Backend, f: impl FnOnce(&State) -> R) -> R {
        f(&backend.state())
    }

    fn sign_in(&mut self, code: &str, backend: &dyn Backend) {
        match Self::read(backend, |s| operator_check(s, code)) {
            Ok(keymap) => {
                self.operator = Some(code.trim().to_string());
                self.keymap = self.keymaps.for_operator(&keymap);
                self.screen = Screen::Menu { selected: 0 };
                self.status = Some((format!("signed in as {}", code.trim()), false));
            }
            Err(e) => self.status = Some((e, true)),
        }
    }

    /// Menu entries the operator may open.
    pub fn menu(&self, backend: &dyn Backend) -> Vec<(&'static str, ScreenKind)> {
        let Some(op) = &self.operator else {
            return Vec::new();
        };
        let roles: Vec<Role> = Self::read(backend, |s| {
            s.operators
                .get(op)
                .map(|o| o.roles.clone())
                .unwrap_or_default()
        });
        MENU.iter()
            .filter(|(_, perms, _)| {
                roles
                    .iter()
                    .any(|r| r.permissions().iter().any(|p| perms.contains(p)))
            })
            .map(|(label, _, kind)| (*label, *kind))
            .collect()
    }

    fn context(&self) -> Context {
        match &self.screen {
            Screen::SignIn { .. } => Context::Input,
            Screen::Menu { .. } => Context::List,
            Screen::Items(l) | Screen::Customers(l) => match l.focus {
                Focus::Input => Context::Input,
                Focus::List => Context::List,
            },
        }
    }

    /// Handle one key press.
    pub fn on_key(&mut self, event: KeyEvent, backend: &dyn Backend) {
        let key = Key::from_event(&event);
        let ctx = self.context();
        let action = self.keymap.action(ctx, &key);
        if self.help {
            // Any key closes the help; quit still quits.
            self.help = false;
            if action == Some(Action::Quit) {
                self.quit = true;
            }
            return;
        }
        match action {
            Some(Action::Help) => {
                self.help = true;
                return;
            }
            Some(Action::Quit) => {
                self.quit = true;
                return;
            }
            _ => {}
        }
        let typed = match event.code {
            KeyCode::Char(c) if key.types() => Some(c),
            _ => None,
        };
        let page = self.page.max(1);
        let screen = std::mem::replace(&mut self.screen, Screen::Menu { selected: 0 });
        self.screen = match screen {
            Screen::SignIn { mut input } => match action {
                Some(Action::Submit) => {
                    let code = input.clone();
                    self.screen = Screen::SignIn { input };
                    self.sign_in(&code, backend);
                    return;
                }
                Some(Action::Cancel) => {
                    self.quit = true;
                    Screen::SignIn { input }
                }
                _ => {
                    edit(&mut input, action, typed);
                    Screen::SignIn { input }
                }
            },
            Screen::Menu { selected } => {
                let entries = self.menu(backend);
                let n = entries.len();
                match action {
                    Some(Action::Open) | Some(Action::Submit) => match entries.get(selected) {
                        Some((_, ScreenKind::Items)) => {
                            self.status = None;
                            Screen::Items(Lookup::new())
                        }
                        Some((_, ScreenKind::Customers)) => {
                            self.status = None;
                            Screen::Customers(Lookup::new())
                        }
                        Some((label, ScreenKind::Coming(_))) => {
                            self.status = Some((format!("{label} is not built yet"), true));
                            Screen::Menu { selected }
                        }
                        None => Screen::Menu { selected },
                    },
                    Some(Action::Back) => {
                        self.operator = None;
                        self.keymap = self.keymaps.default.clone();
                        self.status = Some(("signed out".into(), false));
                        Screen::SignIn {
                            input: String::new(),
                        }
                    }
                    other => Screen::Menu {
                        selected: moved(selected, n, other, page),
                    },
                }
            }
            Screen::Items(l) => match self.lookup(l, action, typed, backend, item_rows) {
                Some(l) => Screen::Items(l),
                None => Screen::Menu { selected: 0 },
            },
            Screen::Customers(l) => match self.lookup(l, action, typed, backend, customer_rows) {
                Some(l) => Screen::Customers(l),
                None => Screen::Menu { selected: 1 },
            },
        };
    }

    /// Update a lookup; None means back to the menu.
    fn lookup(
        &mut self,
        mut l: Lookup,
        action: Option<Action>,
        typed: Option<char>,
        backend: &dyn Backend,
        rows: fn(&State, &str) -> Rows,
    ) -> Option<Lookup> {
        let found = Self::read(backend, |s| rows(s, &l.query));
        let n = found.codes.len();
        let page = self.page.max(1);
        match l.focus {
            Focus::Input => match action {
                Some(Action::Submit) => {
                    self.status = None;
                    match found.exact {
                        Some(Ok(i)) => {
                            l.selected = i;
                            l.focus = Focus::List;
                            l.detail = true;
                        }
                        Some(Err(e)) => self.status = Some((e, true)),
                        None if n == 0 => {
                            self.status =
                                Some((format!("nothing matches {:?}", l.query.trim()), true))
                        }
                        None => {
                            l.focus = Focus::List;
                            if n == 1 {
                                l.detail = true;
                            }
                        }
                    }
                }
                Some(Action::Cancel) => {
                    if l.query.is_empty() {
                        return None;
                    }
                    l.query.clear();
                    l.selected = 0;
                }
                Some(a @ (Action::Up | Action::Down | Action::PageUp | Action::PageDown)) => {
                    l.selected = moved(l.selected, n, Some(a), page);
                }
                _ => {
                    if edit(&mut l.query, action, typed) {
                        l.selected = 0;
                        l.detail = false;
                        self.status = None;
                    }
                }
            },
            Focus::List => match action {
                Some(Action::Back) => {
                    if l.detail {
                        l.detail = false;
                    } else {
                        return None;
                    }
                }
                Some(Action::Open) => l.detail = n > 0,
                Some(Action::Search) => {
                    l.focus = Focus::Input;
                    l.detail = false;
                }
                other => {
                    if let Some(c) = typed.filter(|_| other.is_none()) {
                        // Typing (or a scanner) on the list starts a new search.
                        l.focus = Focus::Input;
                        l.query = c.to_string();
                        l.selected = 0;
                        l.detail = false;
                    } else {
                        l.selected = moved(l.selected, n, other, page);
                    }
                }
            },
        }
        l.selected = l.selected.min(n.saturating_sub(1));
        Some(l)
    }

    /// Draw the whole screen.
    pub fn view(&mut self, f: &mut Frame, backend: &dyn Backend) {
        let area = f.area();
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let msg = format!(
                "terminal too small ({}x{}): depot needs {MIN_WIDTH}x{MIN_HEIGHT}",
                area.width, area.height
            );
            f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
            return;
        }
        let [top, body, bottom] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let title = match &self.screen {
            Screen::SignIn { .. } => "sign in",
            Screen::Menu { .. } => "menu",
            Screen::Items(_) => "items",
            Screen::Customers(_) => "customers",
        };
        let who = self.operator.clone().unwrap_or_default();
        let left = format!(" depot · {title}");
        let pad =
            (top.width as usize).saturating_sub(left.chars().count() + who.chars().count() + 1);
        f.render_widget(
            Paragraph::new(format!("{left}{}{who} ", " ".repeat(pad))).style(self.theme.title()),
            top,
        );
        self.page = body.height.saturating_sub(4).max(1) as usize;
        match self.screen.clone() {
            Screen::SignIn { input } => self.view_sign_in(f, body, &input),
            Screen::Menu { selected } => self.view_menu(f, body, selected, backend),
            Screen::Items(l) => self.view_lookup(
                f,
                body,
                &l,
                backend,
                item_rows,
                item_detail,
                "SKU, description or scan",
            ),
            Screen::Customers(l) => self.view_lookup(
                f,
                body,
                &l,
                backend,
                customer_rows,
                customer_detail,
                "code or name",
            ),
        }
        let status = match &self.status {
            Some((msg, true)) => Line::from(Span::styled(msg.clone(), self.theme.error())),
            Some((msg, false)) => Line::from(msg.clone()),
            None => Line::from(Span::styled(self.hints(), self.theme.dim())),
        };
        f.render_widget(Paragraph::new(status), bottom);
        if self.help {
            self.view_help(f, body);
        }
    }

    fn hints(&self) -> String {
        let ctx = self.context();
        let mut parts = Vec::new();
        for (a, label) in [
            (Action::Help, "help"),
            (Action::Submit, "look up"),
            (Action::Open, "open"),
            (Action::Back, "back"),
            (Action::Cancel, "back"),
            (Action::Quit, "quit"),
        ] {
            if let Some(k) = self.keymap.key_for(ctx, a) {
                let in_ctx = match a {
                    Action::Submit | Action::Cancel => ctx == Context::Input,
                    Action::Open | Action::Back => ctx == Context::List,
                    _ => true,
                };
                if in_ctx {
                    parts.push(format!("{k} {label}"));
                }
            }
        }
        parts.join("  ")
    }

    fn view_sign_in(&self, f: &mut Frame, area: Rect, input: &str) {
        let block = Block::bordered().title(" sign in ");
        let inner = block.inner(area);
        f.render_widget(block, area);
        let text = Text::from(vec![
            Line::from("Operator code:"),
            Line::from(vec![Span::styled(
                format!("{input}_"),
                self.theme.selected(),
            )]),
            Line::from(""),
            Line::from(Span::styled(
                "Type your operator code and press enter.",
                self.theme.dim(),
            )),
        ]);
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
    }

    fn view_menu(&self, f: &mut Frame, area: Rect, selected: usize, backend: &dyn Backend) {
        let entries = self.menu(backend);
        let items: Vec<ListItem> = entries
            .iter()
            .map(|(label, kind)| match kind {
                ScreenKind::Coming(_) => ListItem::new(Line::from(vec![
                    Span::styled(label.to_string(), self.theme.dim()),
                    Span::styled(" (coming)", self.theme.dim()),
                ])),
                _ => ListItem::new(label.to_string()),
            })
            .collect();
        let mut st =
            ListState::default().with_selected(Some(selected.min(entries.len().saturating_sub(1))));
        let list = List::new(items)
            .block(Block::bordered().title(" screens "))
            .highlight_style(self.theme.selected())
            .highlight_symbol("> ");
        f.render_stateful_widget(list, area, &mut st);
    }

    #[allow(clippy::too_many_arguments)]
    fn view_lookup(
        &self,
        f: &mut Frame,
        area: Rect,
        l: &Lookup,
        backend: &dyn Backend,
        rows: fn(&State, &str) -> Rows,
        detail: fn(&State, &str, Theme) -> Vec<Line<'static>>,
        prompt: &str,
    ) {
        let (found, lines) = Self::read(backend, |s| {
            let found = rows(s, &l.query);
            let lines = found
                .codes
                .get(l.selected)
                .map(|c| detail(s, c, self.theme))
                .unwrap_or_default();
            (found, lines)
        });
        let [search, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
        let cursor = if l.focus == Focus::Input { "_" } else { "" };
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("/ ", self.theme.label()),
                Span::raw(format!("{}{cursor}", l.query)),
                Span::styled(
                    if l.query.is_empty() && l.focus == Focus::Input {
                        format!("  {prompt}")
                    } else {
                        format!("  {} found", found.codes.len())
                    },
                    self.theme.dim(),
                ),
            ])),
            search,
        );
        let wide = area.width >= WIDE;
        let (list_area, detail_area) = if wide {
            let [a, b] =
                Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(58)])
                    .areas(rest);
            (Some(a), Some(b))
        } else if l.detail {
            (None, Some(rest))
        } else {
            (Some(rest), None)
        };
        if let Some(a) = list_area {
            let items: Vec<ListItem> = found
                .labels
                .iter()
                .map(|t| ListItem::new(t.clone()))
                .collect();
            let mut st = ListState::default();
            if !found.codes.is_empty() {
                st.select(Some(l.selected));
            }
            let list = List::new(items)
                .block(Block::new().borders(Borders::TOP | Borders::RIGHT))
                .highlight_style(if l.focus == Focus::List {
                    self.theme.selected()
                } else {
                    self.theme.selected().add_modifier(Modifier::DIM)
                });
            f.render_stateful_widget(list, a, &mut st);
        }
        if let Some(a) = detail_area {
            f.render_widget(
                Paragraph::new(lines)
                    .block(Block::new().borders(Borders::TOP))
                    .wrap(Wrap { trim: false }),
                a,
            );
        }
    }

    fn view_help(&self, f: &mut Frame, area: Rect) {
        let ctx = self.context();
        let lines: Vec<Line> = self
            .keymap
            .help(ctx)
            .into_iter()
            .map(|(keys, what)| {
                Line::from(vec![
                    Span::styled(format!("{keys:<18}"), self.theme.label()),
                    Span::raw(what),
                ])
            })
            .collect();
        let w = area.width.saturating_sub(4).min(64);
        let h = (lines.len() as u16 + 2).min(area.height);
        let popup = Rect {
            x: area.x + (area.width - w) / 2,
            y: area.y + (area.height - h) / 2,
            width: w,
            height: h,
        };
        f.render_widget(Clear, popup);
        f.render_widget(
            Paragraph::new(lines)
                .block(Block::bordered().title(format!(" keys ({}) ", ctx.name()))),
            popup,
        );
    }
}

/// Apply a text-editing action or typed character; true if the text changed.
fn edit(text: &mut String, action: Option<Action>, typed: Option<char>) -> bool {
    match action {
        Some(Action::DeleteBack) => text.pop().is_some(),
        Some(Action::Clear) => {
            let had = !text.is_empty();
            text.clear();
            had
        }
        None => match typed {
            Some(c) if text.chars().count() < INPUT_MAX && !c.is_control() => {
                text.push(c);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

fn moved(selected: usize, n: usize, action: Option<Action>, page: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let last = n - 1;
    match action {
        Some(Action::Down) => (selected + 1).min(last),
        Some(Action::Up) => selected.saturating_sub(1),
        Some(Action::Top) => 0,
        Some(Action::Bottom) => last,
        Some(Action::PageDown) => (selected + page).min(last),
        Some(Action::PageUp) => selected.saturating_sub(page),
        _ => selected.min(last),
    }
}

/// What a lookup lists for a query.
pub struct Rows {
    pub codes: Vec<String>,
    pub labels: Vec<String>,
    /// A scan or exact code: the row it names, or why it names none.
    pub exact: Option<Result<usize, String>>,
}

const ROWS_MAX: usize = 500;

/// Items matching a query: SKU or description containing it, a barcode
/// starting with it; a full scan (GTIN, GS1-128) names its item exactly.
pub fn item_rows(s: &State, query: &str) -> Rows {
    let q = query.trim().to_lowercase();
    let mut codes = Vec::new();
    let mut labels = Vec::new();
    let matches = |i: &Item| {
        q.is_empty()
            || i.sku.to_lowercase().contains(&q)
            || i.description.to_lowercase().contains(&q)
            || i.barcodes.iter().any(|b| b.code.starts_with(q.as_str()))
    };
    for i in s.items.values().filter(|i| matches(i)).take(ROWS_MAX) {
        codes.push(i.sku.clone());
        labels.push(format!("{:<10} {}", i.sku, i.description));
    }
    let mut exact = None;
    if !q.is_empty() {
        let target = match parse_scan(query) {
            Ok(Scan::Gtin(g)) => Some(Ok(g)),
            Ok(Scan::Gs1(g)) => match g.gtin {
                Some(gtin) => Some(Ok(gtin)),
                None => Some(Err("the GS1 scan has no item number (01)".to_string())),
            },
            Ok(Scan::Text(t)) => s.item_by_code(&t).map(|(i, _)| Ok(i.sku.clone())),
            Err(e) => Some(Err(format!("not a readable scan: {e}"))),
        };
        exact = match target {
            Some(Ok(code)) => match s.item_by_code(&code) {
                Some((item, _)) => {
                    let sku = item.sku.clone();
                    match codes.iter().position(|c| *c == sku) {
                        Some(p) => Some(Ok(p)),
                        None => {
                            codes.insert(0, sku.clone());
                            labels.insert(0, format!("{:<10} {}", sku, item.description));
                            Some(Ok(0))
                        }
                    }
                }
                None => Some(Err(format!("no item has barcode {code}"))),
            },
            Some(Err(e)) if codes.is_empty() => Some(Err(e)),
            _ => None,
        };
    }
    Rows {
        codes,
        labels,
        exact,
    }
}

pub fn customer_rows(s: &State, query: &str) -> Rows {
    let q = query.trim().to_lowercase();
    let matches = |c: &Customer| {
        q.is_empty() || c.code.to_lowercase().contains(&q) || c.name.to_lowercase().contains(&q)
    };
    let mut codes = Vec::new();
    let mut labels = Vec::new();
    for c in s.customers.values().filter(|c| matches(c)).take(ROWS_MAX) {
        codes.push(c.code.clone());
        labels.push(format!("{:<7} {}", c.code, c.name));
    }
    let exact = s
        .customers
        .get(query.trim())
        .and_then(|c| codes.iter().position(|x| *x == c.code))
        .map(Ok);
    Rows {
        codes,
        labels,
        exact,
    }
}

fn field(theme: Theme, label: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<13}"), theme.label()),
        Span::raw(value),
    ])
}

pub fn item_detail(s: &State, sku: &str, theme: Theme) -> Vec<Line<'static>> {
    let Some(i) = s.items.get(sku) else {
        return vec![Line::from(format!("item {sku} no longer exists"))];
    };
    let mut out = vec![
        Line::from(Span::styled(
            format!("{} {}", i.sku, i.description),
            theme.label().add_modifier(Modifier::BOLD),
        )),
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
            std::iter::once(i.base_unit.clone())
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
        Line::from(""),
        Line::from(Span::styled(
            format!(
                "{:<5}{:>9}{:>9}{:>8}{:>9}",
                "wh", "on hand", "reserved", "in pick", "avail"
            ),
            theme.label(),
        )),
    ];
    let mut any = false;
    for wh in s.warehouses.keys() {
        if let Some(st) = s.stock.get(&(wh.clone(), sku.to_string())) {
            any = true;
            let avail = st.on_hand - st.reserved - st.in_pick;
            out.push(Line::from(format!(
                "{:<5}{:>9}{:>9}{:>8}{:>9}",
                wh,
                qty(st.on_hand),
                qty(st.reserved),
                qty(st.in_pick),
                qty(avail)
            )));
        }
    }
    if !any {
        out.push(Line::from(Span::styled(
            "no stock in any warehouse",
            theme.dim(),
        )));
    }
    out
}

fn qty(d: Decimal) -> String {
    d.normalize().to_string()
}

fn money(d: Decimal) -> String {
    let r = d.round_dp(2);
    let s = format!("{r:.2}");
    // Thousands separators for reading at a glance.
    let (sign, digits) = s
        .strip_prefix('-')
        .map(|x| ("-", x))
        .unwrap_or(("", s.as_str()));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (n, c) in int.chars().enumerate() {
        if n > 0 && (int.len() - n) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac}")
}

pub fn customer_detail(s: &State, code: &str, theme: Theme) -> Vec<Line<'static>> {
    let Some(c) = s.customers.get(code) else {
        return vec![Line::from(format!("customer {code} no longer exists"))];
    };
    let balance = s.customer_balance(code);
    let terms = s
        .terms
        .get(&c.terms)
        .map(|t| format!("{} ({})", t.code, t.description))
        .unwrap_or_else(|| c.terms.clone());
    let p = &c.ship_policy;
    vec![
        Line::from(Span::styled(
            format!("{} {}", c.code, c.name),
            theme.label().add_modifier(Modifier::BOLD),
        )),
        field(
            theme,
            "channel",
            format!("{}  {} {}", c.channel.as_str(), c.entity, c.currency),
        ),
        field(theme, "terms", terms),
        field(theme, "credit limit", money(c.credit_limit)),
        field(theme, "open balance", money(balance)),
        field(theme, "available", money(c.credit_limit - balance)),
        field(theme, "price list", c.price_list.clone()),
        field(
            theme,
            "ships",
            format!(
                "{} {}  {}{}",
                p.carrier.clone().unwrap_or_else(|| "-".into()),
                p.service.clone().unwrap_or_default(),
                p.freight_terms.as_str(),
                if p.ship_complete {
                    "  complete only"
                } else {
                    ""
                }
            ),
        ),
        field(
            theme,
            "bill to",
            format!(
                "{}, {} {}",
                c.bill_to.city, c.bill_to.region, c.bill_to.country
            ),
        ),
        field(theme, "ship-tos", c.ship_to.len().to_string()),
        field(
            theme,
            "collections",
            format!("{} {}", c.collections.name, c.collections.phone),
        ),
        field(
            theme,
            "tax exempt",
            if c.tax_exempt_cert.is_empty() {
                "no".into()
            } else {
                c.tax_exempt_cert.clone()
            },
        ),
    ]
}
