//! Keymaps: TOML files mapping keys to actions per section. The default
//! keymap is built in; a named base (`default`, `classic`) is merged over
//! it, then the user's file. A key is resolved through a chain of
//! sections: the screen's own (`[screen.counter_sale]`), then its kind
//! (`[form]` falls back to `[input]`; `[list]`; `[input]`; `[confirm]`),
//! then `[global]`. The key bar and the help overlay are built from the
//! same chain, so they always show the keys that actually work.

pub use super::key::{Key, KeyCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DEFAULT: &str = include_str!("../../keymaps/default.toml");
pub const CLASSIC: &str = include_str!("../../keymaps/classic.toml");

macro_rules! actions {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $describe:literal;)*) => {
        /// What a key does. Screens receive actions, never raw keys (except
        /// the characters typed into a field).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Action {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The name used in keymap files.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }

            /// What the help overlay says it does (screens may say more).
            pub fn describe(self) -> &'static str {
                match self { $(Action::$variant => $describe,)* }
            }
        }
    };
}

actions! {
    /// Show or hide the keys of this screen.
    Help = "help", "show or hide this help";
    /// Leave depot (F3 on green screens).
    Quit = "quit", "exit depot";
    /// Previous line.
    Up = "up", "previous line";
    /// Next line.
    Down = "down", "next line";
    /// First line.
    Top = "top", "first line";
    /// Last line.
    Bottom = "bottom", "last line";
    /// A page up.
    PageUp = "page_up", "page up";
    /// A page down.
    PageDown = "page_down", "page down";
    /// Open the selected line.
    Open = "open", "open the selected line";
    /// Back to the previous screen.
    Back = "back", "back to the previous screen";
    /// Filter the list (type to narrow, or scan).
    Search = "search", "filter the list (type or scan)";
    /// Accept the field: look up what was typed or scanned.
    Submit = "submit", "accept what was typed or scanned";
    /// Leave the field or screen without doing anything.
    Cancel = "cancel", "cancel, nothing is changed";
    /// Delete the last character.
    DeleteBack = "delete_back", "delete the last character";
    /// Clear the field.
    Clear = "clear", "clear the field";
    /// Next field.
    NextField = "next_field", "next field";
    /// Previous field.
    PrevField = "prev_field", "previous field";
    /// Look up a value for the field under the cursor (F4 prompt).
    Lookup = "lookup", "look up a value for this field";
    /// Read the data again.
    Refresh = "refresh", "refresh";
    /// Take payment.
    Pay = "pay", "take payment";
    /// Complete the document: commit it.
    Complete = "complete", "complete: commit the document";
    /// Remove the selected line (asks first).
    DeleteLine = "delete_line", "remove the selected line";
    /// Answer yes to a question.
    Yes = "yes", "yes, go ahead";
    /// Answer no to a question.
    No = "no", "no, leave it as it is";
    /// Print the document again (to the operator's or station's printer).
    Print = "print", "print the document (again)";
    /// Report a pick line short (the bin has less than asked).
    Short = "short", "report the line short";
    /// Pack: unpack a carton (held on its weight, or packed wrong) to
    /// pack its goods again.
    Unpack = "unpack", "unpack a carton to pack it again";
    /// Leave this task for later and take the next one.
    Skip = "skip", "skip: come back to it later";
    /// Approve the selected exception or document (release the hold,
    /// approve the change): never your own request.
    Approve = "approve", "approve (not your own request)";
    /// Reject the selected exception or document, with a reason.
    Reject = "reject", "reject, with a reason";
    /// Give the selected exception to a role or a person.
    Reassign = "reassign", "reassign to a role or a person";
    /// Comment on the selected exception.
    Comment = "comment", "add a comment";
    /// Put the selected exception out of the queue until a date.
    Snooze = "snooze", "snooze until a date";
    /// Accept what the screen suggests (the cash application's match).
    Accept = "accept", "accept the suggestion";
    /// Settle the selected invoice short: write off within tolerance,
    /// else dispute the difference.
    Settle = "settle", "settle short: write off or dispute the rest";
    /// Lock a closed period for good.
    Lock = "lock", "lock the period";
    /// Ask for a closed period to be reopened (an approval).
    Reopen = "reopen", "ask to reopen the period";
    /// Counter: the goods are picked later (a will-call: the order and
    /// its payment now, a ticket printed, the warehouse picks it).
    WillCall = "will_call", "pick later: a will-call ticket";
    /// Finance views: the next entity, or every entity consolidated.
    Scope = "scope", "next entity, or consolidated";
    /// Finance views: the day the figures are as of.
    AsOf = "as_of", "the date the views are as of";
    /// A table wider than the screen: its next page of columns.
    Columns = "columns", "the next columns of a wide table";
    /// Period close: revalue open foreign-currency items at the period's
    /// closing rate.
    Revalue = "revalue", "revalue foreign currency at the period end";
    /// Read a file typed on screen into a command (a bank statement).
    Import = "import", "import a file";
    /// Supplier invoices: a freight or duty charge allocated to receipts.
    Charge = "charge", "a landed-cost charge (freight, duty)";
    /// Bank reconciliation: mark the period's reconciliation done.
    Reconciled = "reconciled", "mark the period's reconciliation done";
    /// Master data: a new record of the kind listed.
    New = "new", "new record";
    /// Master data: the history of the record's changes (the audit).
    History = "history", "history of the record's changes";
    /// Journal entries: reverse the entry selected (sides swapped, today).
    Reverse = "reverse", "reverse the entry";
}

impl Action {
    fn parse(s: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == s)
    }
}

/// The kind of place the focus is in; each has a keymap section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Context {
    Global,
    /// Browsing a list or a menu.
    List,
    /// Typing into a single field (search, sign-in, a scan).
    Input,
    /// A screen of several fields; falls back to `[input]`.
    Form,
    /// A yes/no question.
    Confirm,
}

impl Context {
    pub const ALL: [Context; 5] = [
        Context::Global,
        Context::List,
        Context::Input,
        Context::Form,
        Context::Confirm,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::List => "list",
            Context::Input => "input",
            Context::Form => "form",
            Context::Confirm => "confirm",
        }
    }
    /// Does a typing key type here (rather than act)?
    fn types(self) -> bool {
        matches!(self, Context::Input | Context::Form)
    }
}

/// A section of a keymap file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    Kind(Context),
    /// `[screen.NAME]`: one screen's own keys.
    Screen(String),
}

impl std::fmt::Display for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Section::Kind(c) => f.write_str(c.name()),
            Section::Screen(s) => write!(f, "screen.{s}"),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeymapError {
    #[error("keymap {file}: not valid TOML: {message}")]
    Toml { file: String, message: String },
    #[error("keymap {file}: unknown section [{section}] (sections: global, list, input, form, confirm, screen.NAME with NAME one of {screens})")]
    Section {
        file: String,
        section: String,
        screens: String,
    },
    #[error("keymap {file}, line {line}: [{section}] {key:?}: not a key name (e.g. \"j\", \"enter\", \"ctrl-u\", \"f3\")")]
    Key {
        file: String,
        line: usize,
        section: String,
        key: String,
    },
    #[error("keymap {file}, line {line}: [{section}] {key:?} = {action:?}: unknown action (actions: {})", action_names())]
    Action {
        file: String,
        line: usize,
        section: String,
        key: String,
        action: String,
    },
    #[error("keymap {file}, line {line}: [{section}] {key:?}: the action must be a string")]
    NotString {
        file: String,
        line: usize,
        section: String,
        key: String,
    },
    #[error("keymap {file}, line {line}: [{section}] binds {key} twice")]
    Twice {
        file: String,
        line: usize,
        section: String,
        key: String,
    },
    #[error("cannot read keymap {file}: {message}")]
    Read { file: String, message: String },
    #[error("unknown keymap {0:?} (built in: default, classic)")]
    UnknownBase(String),
}

fn action_names() -> String {
    Action::ALL
        .iter()
        .map(|a| a.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The active bindings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keymap {
    pub bindings: BTreeMap<(Section, Key), Action>,
}

/// The line of `text` where `key` is written as a binding (1-based; 0
/// when it cannot be found, e.g. an inline table).
fn line_of(text: &str, key: &str) -> usize {
    let quoted = format!("\"{key}\"");
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            (t.starts_with(&quoted)
                || t.starts_with(&format!("{key} "))
                || t.starts_with(&format!("{key}=")))
                && t.contains('=')
        })
        .map(|i| i + 1)
        .unwrap_or(0)
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
        let bad_section = |section: &str| KeymapError::Section {
            file: file.to_string(),
            section: section.to_string(),
            screens: super::screens::NAMES.join(", "),
        };
        let mut sections: Vec<(Section, &toml::Table)> = Vec::new();
        for (name, value) in &table {
            let Some(keys) = value.as_table() else {
                return Err(bad_section(name));
            };
            if name == "screen" {
                for (screen, keys) in keys {
                    let Some(keys) = keys.as_table() else {
                        return Err(bad_section(&format!("screen.{screen}")));
                    };
                    if !super::screens::NAMES.contains(&screen.as_str()) {
                        return Err(bad_section(&format!("screen.{screen}")));
                    }
                    sections.push((Section::Screen(screen.clone()), keys));
                }
                continue;
            }
            let ctx = Context::ALL
                .into_iter()
                .find(|c| c.name() == name)
                .ok_or_else(|| bad_section(name))?;
            sections.push((Section::Kind(ctx), keys));
        }
        for (section, keys) in sections {
            let mut seen: BTreeMap<Key, &str> = BTreeMap::new();
            for (k, v) in keys {
                let line = line_of(text, k);
                let key = Key::parse(k).ok_or_else(|| KeymapError::Key {
                    file: file.to_string(),
                    line,
                    section: section.to_string(),
                    key: k.clone(),
                })?;
                // "F3" and "f3" are one key: a section may name it once.
                if seen.insert(key, k).is_some() {
                    return Err(KeymapError::Twice {
                        file: file.to_string(),
                        line,
                        section: section.to_string(),
                        key: key.to_string(),
                    });
                }
                let name = v.as_str().ok_or_else(|| KeymapError::NotString {
                    file: file.to_string(),
                    line,
                    section: section.to_string(),
                    key: k.clone(),
                })?;
                if name == "none" {
                    self.bindings.remove(&(section.clone(), key));
                    continue;
                }
                let action = Action::parse(name).ok_or_else(|| KeymapError::Action {
                    file: file.to_string(),
                    line,
                    section: section.to_string(),
                    key: k.clone(),
                    action: name.to_string(),
                })?;
                self.bindings.insert((section.clone(), key), action);
            }
        }
        Ok(())
    }

    /// The sections a key is looked up in, most specific first.
    fn chain(screen: &str, ctx: Context) -> Vec<Section> {
        let mut out = vec![Section::Screen(screen.to_string()), Section::Kind(ctx)];
        if ctx == Context::Form {
            out.push(Section::Kind(Context::Input));
        }
        if ctx != Context::Global {
            out.push(Section::Kind(Context::Global));
        }
        out
    }

    /// Is this binding usable where the focus is? In a field, a key that
    /// types a character types it, unless the field's own sections bind it.
    fn usable(section: &Section, ctx: Context, key: &Key) -> bool {
        !(ctx.types() && *section == Section::Kind(Context::Global) && key.types())
    }

    /// What `key` does on `screen` with the focus in `ctx`.
    pub fn action(&self, screen: &str, ctx: Context, key: &Key) -> Option<Action> {
        Self::chain(screen, ctx)
            .into_iter()
            .filter(|s| Self::usable(s, ctx, key))
            .find_map(|s| self.bindings.get(&(s, *key)).copied())
    }

    /// Every key that does `action` on `screen` in `ctx` (the chain's
    /// first binding of a key wins), function keys and named keys first.
    pub fn keys_for(&self, screen: &str, ctx: Context, action: Action) -> Vec<Key> {
        let mut keys: Vec<Key> = Vec::new();
        for s in Self::chain(screen, ctx) {
            for ((bs, k), _) in self
                .bindings
                .iter()
                .filter(|((bs, _), a)| *bs == s && **a == action)
            {
                if Self::usable(bs, ctx, k)
                    && !keys.contains(k)
                    && self.action(screen, ctx, k) == Some(action)
                {
                    keys.push(*k);
                }
            }
        }
        keys.sort_by_key(|k| (matches!(k.code, KeyCode::Char(_)), k.ctrl, k.alt));
        keys
    }

    /// The first key for `action`, for the key bar.
    pub fn key_for(&self, screen: &str, ctx: Context, action: Action) -> Option<Key> {
        self.keys_for(screen, ctx, action).into_iter().next()
    }

    /// Help lines: (keys, what they do) for each action offered.
    pub fn help(
        &self,
        screen: &str,
        ctx: Context,
        offered: &[(Action, &'static str)],
    ) -> Vec<(String, &'static str)> {
        offered
            .iter()
            .map(|(a, what)| {
                let keys = self.keys_for(screen, ctx, *a);
                let keys = if keys.is_empty() {
                    "(no key)".to_string()
                } else {
                    keys.iter()
                        .map(|k| k.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                (keys, *what)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_screen_section_overrides_its_kind_and_global() {
        let mut km = Keymap::build("default", None).unwrap();
        km.merge("t", "[screen.counter_sale]\n\"f6\" = \"pay\"\n")
            .unwrap();
        let f6 = Key::parse("f6").unwrap();
        assert_eq!(
            km.action("counter_sale", Context::Form, &f6),
            Some(Action::Pay)
        );
        assert_eq!(km.action("item_lookup", Context::Form, &f6), None);
        // A typing key types in a field even when [global] binds it.
        let q = Key::parse("?").unwrap();
        assert_eq!(km.action("counter_sale", Context::Form, &q), None);
        assert_eq!(km.action("menu", Context::List, &q), Some(Action::Help));
    }

    #[test]
    fn one_key_twice_in_a_section_is_refused_with_its_line() {
        let err = Keymap::build(
            "default",
            Some((
                "mine.toml",
                "[list]\n\"F3\" = \"quit\"\n\"f3\" = \"back\"\n",
            )),
        )
        .unwrap_err();
        assert!(matches!(err, KeymapError::Twice { line: 3, .. }), "{err:?}");
    }
}
