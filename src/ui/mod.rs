//! The terminal screens (ratatui + crossterm, the Elm pattern of
//! DESIGN.md): `app` holds the model, `on_key` updates it, `view` draws it.
//! A screen never changes business state except by submitting a command
//! through its `Backend`. This module owns the terminal: raw mode and the
//! alternate screen are restored on exit and on panic (ratatui's panic
//! hook), and nothing is printed while the UI runs (logs go to a file).

pub mod app;
pub mod keymap;

use crate::core::{CommandBody, Event, State};
use std::path::PathBuf;
use std::time::Duration;

/// What the screens need from a running depot: a read view of the state,
/// and a way to submit commands as the signed-in operator.
pub trait Backend {
    fn state(&self) -> Box<dyn std::ops::Deref<Target = State> + '_>;
    fn submit(&self, operator: &str, body: CommandBody) -> Result<Vec<Event>, String>;
}

pub struct UiOptions {
    /// Sign in as this operator (local use); else the sign-in screen.
    pub operator: Option<String>,
    /// The user's keymap file, merged over the built-in keymaps.
    pub keymap_file: Option<PathBuf>,
    /// NO_COLOR: no colours, only bold and reverse video.
    pub no_color: bool,
    /// A message for the status line at start (e.g. "created the demo").
    pub notice: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error(transparent)]
    Keymap(#[from] keymap::KeymapError),
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// Load the keymaps: built-in, with the user's file merged over them.
pub fn keymaps(file: Option<&std::path::Path>) -> Result<app::Keymaps, UiError> {
    let user = match file {
        None => None,
        Some(p) => Some((
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| keymap::KeymapError::Read {
                file: p.display().to_string(),
                message: e.to_string(),
            })?,
        )),
    };
    Ok(app::Keymaps::load(
        user.as_ref().map(|(f, t)| (f.as_str(), t.as_str())),
    )?)
}

/// Run the UI on the terminal until the operator quits.
pub fn run(backend: &dyn Backend, opts: UiOptions) -> Result<(), UiError> {
    // Everything that can fail for a reason the user must fix (a bad
    // keymap) fails before the terminal is touched.
    let maps = keymaps(opts.keymap_file.as_deref())?;
    let mut app = app::App::new(maps, opts.no_color, opts.operator, backend);
    if let Some(n) = opts.notice {
        app.status = Some((n, false));
    }
    // ratatui::try_init: raw mode, alternate screen, and a panic hook that
    // restores the terminal before the panic message is printed.
    let mut terminal = ratatui::try_init()?;
    let result = (|| -> Result<(), UiError> {
        while !app.quit {
            terminal.draw(|f| app.view(f, backend))?;
            // Redraw at least every half second so other sessions' changes
            // show without a key press.
            if crossterm::event::poll(Duration::from_millis(500))? {
                match crossterm::event::read()? {
                    crossterm::event::Event::Key(k)
                        if k.kind == crossterm::event::KeyEventKind::Press =>
                    {
                        app.on_key(k, backend)
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    })();
    ratatui::restore();
    result
}
