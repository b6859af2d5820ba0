//! Keymaps: TOML files mapping keys to actions per context. The default
//! keymap is built in; a named base (`default`, `classic`) is merged over
//! it, then the user's file. The help overlay is generated from the result,
//! so it always shows the keys that actually work.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::fmt;

pub const DEFAULT: &str = include_str!("../../keymaps/default.toml");
pub const CLASSIC: &str = include_str!("../../keymaps/classic.toml");

/// What a key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Help,
    Quit,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Back,
    Search,
    Submit,
    Cancel,
    DeleteBack,
    Clear,
}

impl Action {
    pub const ALL: [Action; 15] = [
        Action::Help,
        Action::Quit,
        Action::Up,
        Action::Down,
        Action::Top,
        Action::Bottom,
        Action::PageUp,
        Action::PageDown,
        Action::Open,
        Action::Back,
        Action::Search,
        Action::Submit,
        Action::Cancel,
        Action::DeleteBack,
        Action::Clear,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::Help => "help",
            Action::Quit => "quit",
            Action::Up => "up",
            Action::Down => "down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Open => "open",
            Action::Back => "back",
            Action::Search => "search",
            Action::Submit => "submit",
            Action::Cancel => "cancel",
            Action::DeleteBack => "delete_back",
            Action::Clear => "clear",
        }
    }

    /// What the help overlay says it does.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Help => "show or hide this help",
            Action::Quit => "quit depot",
            Action::Up => "previous line",
            Action::Down => "next line",
            Action::Top => "first line",
            Action::Bottom => "last line",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Open => "open the selected line",
            Action::Back => "back to the previous screen",
            Action::Search => "type to search (or scan)",
            Action::Submit => "look up what was typed or scanned",
            Action::Cancel => "leave the field",
            Action::DeleteBack => "delete the last character",
            Action::Clear => "clear the field",
        }
    }

    fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == s)
    }
}

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Context {
    Global,
    List,
    Input,
}

impl Context {
    pub const ALL: [Context; 3] = [Context::Global, Context::List, Context::Input];
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::List => "list",
            Context::Input => "input",
        }
    }
}

/// A key as written in a keymap file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let k = |x: &Key| (x.ctrl, x.alt, format!("{:?}", x.code));
        k(self).cmp(&k(other))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Key {
    pub fn from_event(e: &KeyEvent) -> Key {
        let code = match e.code {
            // Shifted letters arrive as the upper-case character.
            KeyCode::Char(c) => KeyCode::Char(c),
            KeyCode::BackTab => KeyCode::Tab,
            other => other,
        };
        Key {
            code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
            alt: e.modifiers.contains(KeyModifiers::ALT),
        }
    }

    /// Does this key type a character into a field?
    pub fn types(&self) -> bool {
        matches!(self.code, KeyCode::Char(_)) && !self.ctrl && !self.alt
    }

    pub fn parse(s: &str) -> Option<Key> {
        let mut rest = s;
        let mut ctrl = false;
        let mut alt = false;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backspace" => KeyCode::Backspace,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            f if f.len() >= 2
                && (f.starts_with('f') || f.starts_with('F'))
                && f[1..].chars().all(|c| c.is_ascii_digit()) =>
            {
                let n: u8 = f[1..].parse().ok()?;
                if !(1..=12).contains(&n) {
                    return None;
                }
                KeyCode::F(n)
            }
            c => {
                let mut chars = c.chars();
                let ch = chars.next()?;
                if chars.next().is_some() || ch.is_control() {
                    return None;
                }
                KeyCode::Char(ch)
            }
        };
        Some(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Char(c) => write!(f, "{c}"),
            _ => f.write_str("?"),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeymapError {
    #[error("keymap {file}: not valid TOML: {message}")]
    Toml { file: String, message: String },
    #[error("keymap {file}: unknown section [{section}] (sections: global, list, input)")]
    Section { file: String, section: String },
    #[error("keymap {file}: [{section}] {key:?}: not a key name (e.g. \"j\", \"enter\", \"ctrl-u\", \"f3\")")]
    Key {
        file: String,
        section: String,
        key: String,
    },
    #[error("keymap {file}: [{section}] {key:?} = {action:?}: unknown action (actions: {known})")]
    Action {
        file: String,
        section: String,
        key: String,
        action: String,
        known: String,
    },
    #[error("keymap {file}: [{section}] {key:?}: the action must be a string")]
    NotString {
        file: String,
        section: String,
        key: String,
    },
    #[error("cannot read keymap {file}: {message}")]
    Read { file: String, message: String },
    #[error("unknown keymap {0:?} (built in: default, classic)")]
    UnknownBase(String),
}

/// The active bindings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keymap {
    pub bindings: BTreeMap<(Context, Key), Action>,
}

impl Keymap {
    /// The built-in keymap `base` ("" means default), with the user's
    /// keymap text (if any) merged over it.
    pub fn build(base: &str, user: Option<(&str, &str)>) -> Result<Keymap, KeymapError> {
        let mut km = Keymap::default();
        km.merge("default.toml", DEFAULT)?;
        match base {
            "" | "default" => {}
            "classic" => km.merge("classic.toml", CLASSIC)?,
            other => return Err(KeymapError::UnknownBase(other.to_string())),
        }
        if let Some((file, text)) = user {
            km.merge(file, text)?;
        }
        Ok(km)
    }

    /// Merge a keymap file over this one.
    pub fn merge(&mut self, file: &str, text: &str) -> Result<(), KeymapError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| KeymapError::Toml {
                file: file.to_string(),
                message: e.to_string().trim().to_string(),
            })?;
        for (section, keys) in &table {
            let ctx = Context::ALL
                .into_iter()
                .find(|c| c.name() == section)
                .ok_or_else(|| KeymapError::Section {
                    file: file.to_string(),
                    section: section.clone(),
                })?;
            let Some(keys) = keys.as_table() else {
                return Err(KeymapError::Section {
                    file: file.to_string(),
                    section: section.clone(),
                });
            };
            for (k, v) in keys {
                let key = Key::parse(k).ok_or_else(|| KeymapError::Key {
                    file: file.to_string(),
                    section: section.clone(),
                    key: k.clone(),
                })?;
                let name = v.as_str().ok_or_else(|| KeymapError::NotString {
                    file: file.to_string(),
                    section: section.clone(),
                    key: k.clone(),
                })?;
                if name == "none" {
                    self.bindings.remove(&(ctx, key));
                    continue;
                }
                let action = Action::parse(name).ok_or_else(|| KeymapError::Action {
                    file: file.to_string(),
                    section: section.clone(),
                    key: k.clone(),
                    action: name.to_string(),
                    known: Action::ALL.map(|a| a.name()).join(", "),
                })?;
                self.bindings.insert((ctx, key), action);
            }
        }
        Ok(())
    }

    /// What `key` does in `ctx` (global bindings apply unless the key
    /// types a character into a focused field).
    pub fn action(&self, ctx: Context, key: &Key) -> Option<Action> {
        if let Some(a) = self.bindings.get(&(ctx, *key)) {
            return Some(*a);
        }
        if ctx == Context::Input && key.types() {
            return None;
        }
        self.bindings.get(&(Context::Global, *key)).copied()
    }

    /// The first key bound to `action` in `ctx` (or globally), for hints.
    pub fn key_for(&self, ctx: Context, action: Action) -> Option<Key> {
        let find = |c: Context| {
            self.bindings
                .iter()
                .filter(|((bc, k), a)| {
                    *bc == c
                        && **a == action
                        && !(ctx == Context::Input && c == Context::Global && k.types())
                })
                .map(|((_, k), _)| *k)
                .min_by_key(|k| (matches!(k.code, KeyCode::Char(_)), k.ctrl, k.alt))
        };
        find(ctx).or_else(|| find(Context::Global))
    }

    /// Help lines for a context: (keys, what they do), one per action.
    pub fn help(&self, ctx: Context) -> Vec<(String, &'static str)> {
        let mut per: BTreeMap<Action, Vec<String>> = BTreeMap::new();
        for c in [ctx, Context::Global] {
            for ((bc, k), a) in &self.bindings {
                if *bc == c && !(ctx == Context::Input && c == Context::Global && k.types()) {
                    let keys = per.entry(*a).or_default();
                    let name = k.to_string();
                    if !keys.contains(&name) {
                        keys.push(name);
                    }
                }
            }
        }
        per.into_iter()
            .map(|(a, keys)| (keys.join(" "), a.describe()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print() {
        for s in [
            "j", "G", "?", "enter", "ctrl-u", "alt-x", "f12", "pagedown", "space",
        ] {
            let k = Key::parse(s).unwrap();
            assert_eq!(Key::parse(&k.to_string()), Some(k), "{s}");
        }
        assert!(Key::parse("f13").is_none());
        assert!(Key::parse("enterr").is_none());
        assert!(Key::parse("").is_none());
    }
}
