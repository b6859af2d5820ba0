//! Sign-in: the operator's code. (A PIN or password per operator is the
//! next step of this screen; until then any active operator code signs
//! in, as before.)

use crate::ui::keymap::{Action, Context};
use crate::ui::screen::{Ctx, Flow, Input, Screen};
use crate::ui::widgets::TextField;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

#[derive(Default)]
pub struct SignIn {
    pub code: TextField,
}

impl SignIn {
    pub fn new(code: &str) -> SignIn {
        SignIn {
            code: TextField::new(code),
        }
    }
}

impl Screen for SignIn {
    fn name(&self) -> &'static str {
        "sign_in"
    }
    fn title(&self) -> String {
        "sign in".into()
    }
    fn context(&self) -> Context {
        Context::Input
    }
    fn min_size(&self) -> (u16, u16) {
        (20, 8)
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        vec![
            (Action::Submit, "sign in"),
            (Action::Cancel, "exit depot"),
            (Action::Quit, "exit depot"),
        ]
    }
    fn handle(&mut self, input: Input, _ctx: &Ctx) -> Flow {
        match input {
            Input::Action(Action::Submit) => Flow::SignIn(self.code.trimmed().to_uppercase()),
            Input::Action(Action::Cancel) => Flow::Quit,
            other => {
                self.code.edit(other);
                Flow::Stay
            }
        }
    }
    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let block = Block::bordered().title(" sign in ");
        let inner = block.inner(area);
        f.render_widget(block, area);
        let w = inner.width.saturating_sub(1).min(20) as usize;
        let text = Text::from(vec![
            Line::from("Operator code:"),
            Line::from(self.code.span(true, w, ctx.theme)),
            Line::from(""),
            Line::from(Span::styled(
                "Type your operator code and press enter.",
                ctx.theme.dim(),
            )),
        ]);
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
    }
}
