//! The menu: the screens the operator's roles may open. Enter opens,
//! typing the first letters jumps, a digit opens that row (handhelds),
//! Esc signs out.

use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Screen};
use crate::ui::widgets::moved;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState};
use ratatui::Frame;

#[derive(Default)]
pub struct Menu {
    selected: usize,
    page: usize,
    notice: Option<Notice>,
}

impl Menu {
    pub fn new() -> Menu {
        Menu::default()
    }
}

impl Screen for Menu {
    fn name(&self) -> &'static str {
        "menu"
    }
    fn title(&self) -> String {
        "menu".into()
    }
    fn context(&self) -> Context {
        Context::List
    }
    fn min_size(&self) -> (u16, u16) {
        (20, 8)
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Open, "open the screen"),
            (Action::Down, "next screen"),
            (Action::Up, "previous screen"),
            (Action::Back, "sign out"),
            (Action::Help, "keys"),
            (Action::Quit, "exit depot"),
        ]
    }
    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        let entries = super::menu_for(ctx);
        match input {
            Input::Action(Action::Open) | Input::Action(Action::Submit) => {
                match entries.get(self.selected) {
                    Some(e) => match e.open {
                        Some(open) => Flow::Push(open(ctx)),
                        None => {
                            self.notice =
                                Some(Notice::error(format!("{} is not built yet", e.label)));
                            Flow::Stay
                        }
                    },
                    None => Flow::Stay,
                }
            }
            Input::Action(Action::Back) | Input::Action(Action::Cancel) => {
                Flow::ConfirmStrict("Sign out? (y: sign out, Enter or n: stay)".into())
            }
            Input::Action(a) => {
                self.selected = moved(self.selected, entries.len(), a, self.page);
                Flow::Stay
            }
            Input::Char(c @ '1'..='9') => {
                // A handheld's numbered menu: the digit opens that row.
                let i = c as usize - '1' as usize;
                if i < entries.len() {
                    self.selected = i;
                    return self.handle(Input::Action(Action::Open), ctx);
                }
                Flow::Stay
            }
            Input::Char(c) => {
                // Jump to the next entry starting with the letter typed.
                let c = c.to_ascii_lowercase();
                let n = entries.len();
                if let Some(i) = (1..=n).map(|k| (self.selected + k) % n.max(1)).find(|&i| {
                    entries[i]
                        .label
                        .chars()
                        .next()
                        .is_some_and(|f| f.to_ascii_lowercase() == c)
                }) {
                    self.selected = i;
                }
                Flow::Stay
            }
        }
    }
    fn confirmed(&mut self, yes: bool, _ctx: &Ctx) -> Flow {
        if yes {
            Flow::Pop
        } else {
            Flow::Stay
        }
    }
    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let entries = super::menu_for(ctx);
        self.page = area.height.saturating_sub(2).max(1) as usize;
        let items: Vec<ListItem> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                // Rows 1 to 9 open with their digit (handhelds).
                let n = if i < 9 {
                    format!("{} ", i + 1)
                } else {
                    "  ".to_string()
                };
                match e.open {
                    None => ListItem::new(Line::from(vec![
                        Span::styled(n, ctx.theme.dim()),
                        Span::styled(e.label, ctx.theme.dim()),
                        Span::styled(" (not built yet)", ctx.theme.dim()),
                    ])),
                    Some(_) => ListItem::new(Line::from(vec![
                        Span::styled(n, ctx.theme.dim()),
                        Span::raw(e.label),
                    ])),
                }
            })
            .collect();
        let mut st = ListState::default()
            .with_selected(Some(self.selected.min(entries.len().saturating_sub(1))));
        let list = List::new(items)
            .block(Block::bordered().title(" screens "))
            .highlight_style(ctx.theme.selected())
            .highlight_symbol("> ");
        f.render_stateful_widget(list, area, &mut st);
    }
}
