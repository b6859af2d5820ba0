//! depot's own key type: a code and modifiers, the same whether the key
//! came from crossterm (a local terminal) or from bytes over SSH. The
//! keymap resolves only this type, so every front end shares one keymap.

use crate::core::scan::GS;
use std::fmt;

/// A key, without modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    /// Shift-Tab.
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Insert,
    F(u8),
}

/// A key press: code plus modifiers. Shift is folded into the character
/// (`G`, `?`) and into `BackTab`, as terminals deliver it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
            alt: false,
        }
    }

    /// The character this key types into a field, if it types one.
    pub fn typed(&self) -> Option<char> {
        match self.code {
            KeyCode::Char(c) if !self.ctrl && !self.alt && (!c.is_control() || c == GS) => Some(c),
            _ => None,
        }
    }

    /// Does this key type a character into a field?
    pub fn types(&self) -> bool {
        self.typed().is_some()
    }

    /// Parse a key as written in a keymap file: `j`, `G`, `?`, `enter`,
    /// `ctrl-u`, `alt-x`, `f3`, `backtab`.
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
            "backtab" | "shift-tab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "insert" => KeyCode::Insert,
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
            KeyCode::BackTab => f.write_str("backtab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
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
        }
    }
}

impl Key {
    /// From a crossterm key event (local terminal); None for keys depot
    /// has no use for (media keys, bare modifiers) and for releases.
    pub fn from_crossterm(e: &crossterm::event::KeyEvent) -> Option<Key> {
        use crossterm::event::{KeyCode as C, KeyEventKind, KeyModifiers as M};
        if e.kind == KeyEventKind::Release {
            return None;
        }
        let code = match e.code {
            C::Char(c) => KeyCode::Char(c),
            C::Enter => KeyCode::Enter,
            C::Esc => KeyCode::Esc,
            C::Tab if e.modifiers.contains(M::SHIFT) => KeyCode::BackTab,
            C::Tab => KeyCode::Tab,
            C::BackTab => KeyCode::BackTab,
            C::Backspace => KeyCode::Backspace,
            C::Delete => KeyCode::Delete,
            C::Insert => KeyCode::Insert,
            C::Up => KeyCode::Up,
            C::Down => KeyCode::Down,
            C::Left => KeyCode::Left,
            C::Right => KeyCode::Right,
            C::PageUp => KeyCode::PageUp,
            C::PageDown => KeyCode::PageDown,
            C::Home => KeyCode::Home,
            C::End => KeyCode::End,
            C::F(n) if (1..=12).contains(&n) => KeyCode::F(n),
            _ => return None,
        };
        // crossterm reads the byte GS (0x1d) as ctrl-5: it is a wedge
        // scanner's FNC1 separator inside a GS1 element string, and types
        // into the field as it came.
        if code == KeyCode::Char('5') && e.modifiers == M::CONTROL {
            return Some(Key::plain(KeyCode::Char(GS)));
        }
        Some(Key {
            code,
            ctrl: e.modifiers.contains(M::CONTROL),
            alt: e.modifiers.contains(M::ALT),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossterms_ctrl_5_is_the_scanners_gs_separator() {
        use crossterm::event::{KeyCode as C, KeyEvent, KeyModifiers as M};
        // crossterm reads the byte 0x1d as ctrl-5.
        let k = Key::from_crossterm(&KeyEvent::new(C::Char('5'), M::CONTROL));
        assert_eq!(k.and_then(|k| k.typed()), Some(GS));
        let k = Key::from_crossterm(&KeyEvent::new(C::Char('5'), M::NONE));
        assert_eq!(k.and_then(|k| k.typed()), Some('5'));
    }

    #[test]
    fn keys_parse_and_print() {
        for s in [
            "j", "G", "?", "enter", "ctrl-u", "alt-x", "f12", "pagedown", "space", "backtab",
            "delete",
        ] {
            let k = Key::parse(s).unwrap();
            assert_eq!(Key::parse(&k.to_string()), Some(k), "{s}");
        }
        assert!(Key::parse("f13").is_none());
        assert!(Key::parse("f0").is_none());
        assert!(Key::parse("enterr").is_none());
        assert!(Key::parse("").is_none());
    }

    #[test]
    fn crossterm_keys_map_to_ours() {
        use crossterm::event::{KeyCode as C, KeyEvent, KeyModifiers as M};
        let k = Key::from_crossterm(&KeyEvent::new(C::Tab, M::SHIFT)).unwrap();
        assert_eq!(k.code, KeyCode::BackTab);
        let k = Key::from_crossterm(&KeyEvent::new(C::Char('u'), M::CONTROL)).unwrap();
        assert_eq!(k, Key::ctrl('u'));
        assert!(!k.types());
        assert!(Key::from_crossterm(&KeyEvent::new(C::CapsLock, M::NONE)).is_none());
    }
}
