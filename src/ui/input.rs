//! Terminal input bytes to keys, for sessions that get bytes rather than
//! crossterm events (SSH). Input arrives in chunks that may split an
//! escape sequence or a UTF-8 character anywhere; the parser keeps the
//! partial part for the next chunk. A lone ESC at the end of a chunk may
//! be the Esc key or the start of a sequence: it is held until the next
//! chunk, or until `flush` (the caller calls it after a short quiet time).

use super::key::{Key, KeyCode};

/// Longest escape sequence kept while waiting for its end; anything
/// longer is garbage and dropped.
const SEQ_MAX: usize = 32;

#[derive(Default, Debug)]
pub struct InputParser {
    /// Bytes of an unfinished escape sequence or UTF-8 character.
    pending: Vec<u8>,
    /// The previous byte was CR (a following LF is the same Enter).
    after_cr: bool,
}

impl InputParser {
    pub fn new() -> InputParser {
        InputParser::default()
    }

    /// Is a lone ESC (or a partial sequence) waiting for more bytes?
    pub fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Keys in `bytes`, together with what the previous chunks left.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Key> {
        let mut buf = std::mem::take(&mut self.pending);
        buf.extend_from_slice(bytes);
        let mut keys = Vec::new();
        let mut i = 0;
        while i < buf.len() {
            match parse_one(&buf[i..]) {
                Parsed::Key(k, n) => {
                    let lf_after_cr = self.after_cr && buf[i] == b'\n';
                    self.after_cr = buf[i] == b'\r';
                    if !lf_after_cr {
                        keys.push(k);
                    }
                    i += n;
                }
                Parsed::Skip(n) => {
                    self.after_cr = false;
                    i += n;
                }
                Parsed::Incomplete => {
                    let rest = &buf[i..];
                    if rest.len() > SEQ_MAX {
                        // Not a sequence any terminal sends: drop a byte.
                        i += 1;
                        continue;
                    }
                    self.pending = rest.to_vec();
                    break;
                }
            }
        }
        keys
    }

    /// The quiet time after input passed: what is held is what it is (a
    /// lone ESC is the Esc key; a partial sequence is dropped).
    pub fn flush(&mut self) -> Vec<Key> {
        let held = std::mem::take(&mut self.pending);
        match held.as_slice() {
            [0x1b] => vec![Key::plain(KeyCode::Esc)],
            [0x1b, rest @ ..] if rest.len() == 1 && rest[0] >= 0x20 && rest[0] < 0x7f => {
                // ESC then a printable byte: alt-char.
                vec![Key {
                    code: KeyCode::Char(rest[0] as char),
                    ctrl: false,
                    alt: true,
                }]
            }
            _ => Vec::new(),
        }
    }
}

enum Parsed {
    Key(Key, usize),
    Skip(usize),
    Incomplete,
}

fn plain(code: KeyCode, n: usize) -> Parsed {
    Parsed::Key(Key::plain(code), n)
}

fn parse_one(b: &[u8]) -> Parsed {
    let Some(&first) = b.first() else {
        return Parsed::Incomplete;
    };
    match first {
        0x1b => parse_escape(b),
        b'\r' | b'\n' => plain(KeyCode::Enter, 1),
        b'\t' => plain(KeyCode::Tab, 1),
        0x7f | 0x08 => plain(KeyCode::Backspace, 1),
        0x00 => Parsed::Key(Key::ctrl(' '), 1),
        0x01..=0x1a => Parsed::Key(Key::ctrl((b'a' + first - 1) as char), 1),
        // GS: a wedge scanner's FNC1 separator inside a GS1 element
        // string, typed into the field as it came.
        0x1d => plain(KeyCode::Char(crate::core::scan::GS), 1),
        0x1c..=0x1f => Parsed::Skip(1),
        0x20..=0x7e => plain(KeyCode::Char(first as char), 1),
        _ => parse_utf8(b),
    }
}

fn parse_utf8(b: &[u8]) -> Parsed {
    let len = match b[0] {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Parsed::Skip(1),
    };
    if b.len() < len {
        // Only continuation bytes may follow; anything else is garbage.
        if b[1..].iter().all(|c| (0x80..0xc0).contains(c)) {
            return Parsed::Incomplete;
        }
        return Parsed::Skip(1);
    }
    match std::str::from_utf8(&b[..len]) {
        Ok(s) => match s.chars().next() {
            Some(c) if !c.is_control() => plain(KeyCode::Char(c), len),
            _ => Parsed::Skip(len),
        },
        Err(_) => Parsed::Skip(1),
    }
}

fn parse_escape(b: &[u8]) -> Parsed {
    let Some(&second) = b.get(1) else {
        return Parsed::Incomplete;
    };
    match second {
        b'[' => parse_csi(b),
        b'O' => match b.get(2) {
            None => Parsed::Incomplete,
            Some(&c) => match ss3(c) {
                Some(code) => plain(code, 3),
                None => Parsed::Skip(3),
            },
        },
        0x1b => plain(KeyCode::Esc, 1),
        _ => match parse_one(&b[1..]) {
            Parsed::Key(mut k, n) => {
                k.alt = true;
                Parsed::Key(k, n + 1)
            }
            Parsed::Skip(n) => Parsed::Skip(n + 1),
            Parsed::Incomplete => Parsed::Incomplete,
        },
    }
}

fn ss3(c: u8) -> Option<KeyCode> {
    Some(match c {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'P' => KeyCode::F(1),
        b'Q' => KeyCode::F(2),
        b'R' => KeyCode::F(3),
        b'S' => KeyCode::F(4),
        b'M' => KeyCode::Enter,
        _ => return None,
    })
}

/// `ESC [ params final`: params are digits and `;`, the final byte is
/// 0x40..=0x7e. The Linux console's `ESC [ [ A..E` are F1..F5.
fn parse_csi(b: &[u8]) -> Parsed {
    if b.get(2) == Some(&b'[') {
        return match b.get(3) {
            None => Parsed::Incomplete,
            Some(&c @ b'A'..=b'E') => plain(KeyCode::F(c - b'A' + 1), 4),
            Some(_) => Parsed::Skip(4),
        };
    }
    let mut end = 2;
    loop {
        let Some(&c) = b.get(end) else {
            return Parsed::Incomplete;
        };
        if (0x40..=0x7e).contains(&c) {
            break;
        }
        if !(0x20..=0x3f).contains(&c) {
            // Not a CSI after all: drop the ESC [ and go on.
            return Parsed::Skip(2);
        }
        end += 1;
    }
    let n = end + 1;
    let params = std::str::from_utf8(&b[2..end]).unwrap_or("");
    let mut nums = params.split(';').map(|p| p.parse::<u16>().ok());
    let first = nums.next().flatten();
    let modifier = nums.next().flatten().unwrap_or(1).saturating_sub(1);
    let (shift, alt, ctrl) = (modifier & 1 != 0, modifier & 2 != 0, modifier & 4 != 0);
    let code = match b[end] {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'Z' => KeyCode::BackTab,
        b'P' => KeyCode::F(1),
        b'Q' => KeyCode::F(2),
        b'R' => KeyCode::F(3),
        b'S' => KeyCode::F(4),
        b'~' => match first {
            Some(1 | 7) => KeyCode::Home,
            Some(2) => KeyCode::Insert,
            Some(3) => KeyCode::Delete,
            Some(4 | 8) => KeyCode::End,
            Some(5) => KeyCode::PageUp,
            Some(6) => KeyCode::PageDown,
            Some(11) => KeyCode::F(1),
            Some(12) => KeyCode::F(2),
            Some(13) => KeyCode::F(3),
            Some(14) => KeyCode::F(4),
            Some(15) => KeyCode::F(5),
            Some(17) => KeyCode::F(6),
            Some(18) => KeyCode::F(7),
            Some(19) => KeyCode::F(8),
            Some(20) => KeyCode::F(9),
            Some(21) => KeyCode::F(10),
            Some(23) => KeyCode::F(11),
            Some(24) => KeyCode::F(12),
            _ => return Parsed::Skip(n),
        },
        _ => return Parsed::Skip(n),
    };
    let code = if shift && code == KeyCode::Tab {
        KeyCode::BackTab
    } else {
        code
    };
    Parsed::Key(Key { code, ctrl, alt }, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(chunks: &[&[u8]]) -> Vec<String> {
        let mut p = InputParser::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(p.feed(c));
        }
        out.extend(p.flush());
        out.iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn plain_keys_controls_and_enter() {
        assert_eq!(keys(&[b"ab\r"]), ["a", "b", "enter"]);
        assert_eq!(keys(&[b"x\r\n"]), ["x", "enter"], "CR LF is one Enter");
        assert_eq!(keys(&[b"\x15\x7f\t"]), ["ctrl-u", "backspace", "tab"]);
    }

    #[test]
    fn a_scanners_gs_separator_types_into_the_field() {
        let mut p = InputParser::new();
        let typed: Vec<Option<char>> = p.feed(b"10L1\x1d15\r").iter().map(|k| k.typed()).collect();
        let gs = Some(crate::core::scan::GS);
        let want = [
            Some('1'),
            Some('0'),
            Some('L'),
            Some('1'),
            gs,
            Some('1'),
            Some('5'),
            None,
        ];
        assert_eq!(typed, want);
    }

    #[test]
    fn sequences_and_function_keys() {
        assert_eq!(keys(&[b"\x1b[A\x1bOB"]), ["up", "down"]);
        assert_eq!(keys(&[b"\x1bOR\x1b[13~\x1b[24~"]), ["F3", "F3", "F12"]);
        assert_eq!(
            keys(&[b"\x1b[5~\x1b[6~\x1b[Z"]),
            ["pageup", "pagedown", "backtab"]
        );
        assert_eq!(keys(&[b"\x1b[1;5C"]), ["ctrl-right"]);
        assert_eq!(keys(&[b"\x1b[[A"]), ["F1"]);
    }

    #[test]
    fn a_sequence_split_across_chunks_is_kept() {
        assert_eq!(keys(&[b"\x1b", b"[", b"2", b"4~"]), ["F12"]);
        assert_eq!(keys(&[b"\x1bO", b"R"]), ["F3"]);
        // A lone ESC then quiet: the Esc key.
        assert_eq!(keys(&[b"\x1b"]), ["esc"]);
        assert_eq!(keys(&[b"\x1b\x1b[A"]), ["esc", "up"]);
        assert_eq!(keys(&[b"\x1bx"]), ["alt-x"]);
    }

    #[test]
    fn utf8_split_across_chunks_and_garbage() {
        let e = "é".as_bytes();
        assert_eq!(keys(&[&e[..1], &e[1..]]), ["é"]);
        assert_eq!(keys(&[b"\xff\xfea"]), ["a"]);
        let long: Vec<u8> = [b"\x1b[".as_slice(), &[b'1'; 40]].concat();
        // An endless parameter string is dropped, never kept forever.
        let mut p = InputParser::new();
        p.feed(&long);
        assert!(p.pending.len() <= SEQ_MAX);
    }
}
