//! Incremental lookups of items and customers: what a clerk types (a code,
//! words of a name or description, a phone number, a barcode, a scan) to
//! the rows that match, best first. Typo-tolerant: a word of four letters
//! or more also matches a word one edit away ("carrage" finds "carriage").
//!
//! The searchable text of every record is built once per change of the
//! master data (the persistent map's identity, not the log sequence), and
//! a query that extends the previous one only filters the previous hits,
//! so each keystroke costs a pass over what still matches.

use crate::core::scan::{parse_scan, Scan};
use crate::core::state::Map;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::State;

/// Most rows a lookup returns (the count of all matches is kept).
pub const ROWS_MAX: usize = 500;

/// One searchable record: its code and lower-case words.
#[derive(Clone, Debug)]
struct Entry {
    code: Code,
    /// Lower-case code, description / name, other codes, space separated.
    text: String,
    /// The characters `text` holds, as `chars_mask` gives them: a record
    /// that lacks one of a query's characters is passed over without
    /// reading its text (a rare letter no longer reads 100,000 texts).
    mask: u64,
    /// The pairs of neighbouring characters `text` holds, as
    /// `pairs_mask` gives them: a query word's pairs must all be there
    /// ("fas-" passes over every item not of the FAS range without
    /// reading its text; the single characters are in almost every one).
    pairs: Pairs,
}

/// 256 bits, one per hashed pair of neighbouring characters.
type Pairs = [u64; 4];

/// The pairs of neighbouring characters of each space-separated word of
/// `s`, hashed into 256 bits. A text containing a word (with no space)
/// holds every pair of the word, so it holds all its bits.
fn pairs_mask(s: &str) -> Pairs {
    let mut m = [0u64; 4];
    for w in s.split(' ') {
        let mut prev: Option<char> = None;
        for c in w.chars() {
            if let Some(p) = prev {
                let h = (p as u32).wrapping_mul(0x9E37_79B1).rotate_left(5)
                    ^ (c as u32).wrapping_mul(0x85EB_CA6B);
                let bit = (h >> 24) as usize;
                m[bit / 64] |= 1u64 << (bit % 64);
            }
            prev = Some(c);
        }
    }
    m
}

/// Whether `have` holds every bit of `need`.
fn holds(have: &Pairs, need: &Pairs) -> bool {
    have.iter().zip(need).all(|(h, n)| h & n == *n)
}

/// One bit per character class: a-z, 0-9, then the rest folded into the
/// remaining 28 bits. Containing a word implies holding all its bits.
fn chars_mask(s: &str) -> u64 {
    s.chars().fold(0u64, |m, c| {
        let bit = match c {
            'a'..='z' => c as u32 - 'a' as u32,
            '0'..='9' => 26 + c as u32 - '0' as u32,
            ' ' => return m,
            _ => 36 + c as u32 % 28,
        };
        m | 1u64 << bit
    })
}

/// What a lookup found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// Codes of the best matches, best first (at most `ROWS_MAX`).
    pub codes: Vec<Code>,
    /// How many records match in all (at least, when not `complete`).
    pub total: usize,
    /// Whether `total` counts every match (false: the page filled first).
    pub complete: bool,
    /// A scan or exact code: the record it names, or why it names none.
    pub exact: Option<Result<Code, String>>,
}

/// A cached index over one kind of record.
#[derive(Default)]
pub struct Index {
    entries: Vec<Entry>,
    /// The entries' lower-case codes, in the entries' order (sorted):
    /// a code prefix is a range of both.
    by_code: Vec<String>,
    /// The last complete search (for narrowing as the query grows).
    last: Option<Last>,
}

/// A complete search: its query, its code range, and the entries outside
/// that range its words matched.
struct Last {
    raw: String,
    lo: usize,
    hi: usize,
    words: Vec<usize>,
}

fn words(q: &str) -> Vec<String> {
    q.split_whitespace().map(|w| w.to_lowercase()).collect()
}

/// Edit distance of at most one (substitution, insertion, deletion or a
/// swap of neighbours)?
fn near(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let mut i = 0;
    while i < a.len() && i < b.len() && a[i] == b[i] {
        i += 1;
    }
    if i == a.len() && i == b.len() {
        return true;
    }
    let rest_eq = |x: &[char], y: &[char]| x == y;
    (a.len() == b.len() && rest_eq(&a[i + 1..], &b[i + 1..]))
        || (a.len() + 1 == b.len() && rest_eq(&a[i..], &b[i + 1..]))
        || (a.len() == b.len() + 1 && rest_eq(&a[i + 1..], &b[i..]))
        || (a.len() == b.len()
            && i + 1 < a.len()
            && a[i] == b[i + 1]
            && a[i + 1] == b[i]
            && rest_eq(&a[i + 2..], &b[i + 2..]))
}

/// How well `entry` matches the query words: None if it does not; lower
/// is better (0: the code itself, 1: code prefix, 2: every word found, 3:
/// found only with a typo allowed).
fn score(entry: &Entry, q: &[String], raw: &str, typos: bool) -> Option<u8> {
    let code = entry.text.split(' ').next().unwrap_or("");
    if code == raw {
        return Some(0);
    }
    let mut typo = false;
    for w in q {
        if entry.text.contains(w.as_str()) {
            continue;
        }
        let n = w.chars().count();
        if typos
            && n >= 4
            && entry.text.split(' ').any(|t| {
                near(w, t)
                    || (t.chars().count() > n && near(w, &t.chars().take(n).collect::<String>()))
            })
        {
            typo = true;
            continue;
        }
        return None;
    }
    Some(if code.starts_with(raw) {
        1
    } else if typo {
        3
    } else {
        2
    })
}

impl Index {
    fn rebuild<V: Clone>(&mut self, map: &Map<Code, V>, text: impl Fn(&V) -> String) {
        let mut entries: Vec<(String, Entry)> = map
            .iter()
            .map(|(code, v)| {
                let text = text(v).to_lowercase();
                (
                    code.as_str().to_lowercase(),
                    Entry {
                        code: code.clone(),
                        mask: chars_mask(&text),
                        pairs: pairs_mask(&text),
                        text,
                    },
                )
            })
            .collect();
        // Entries in the order of their lower-case codes: a code prefix
        // is then one range of entries (skipped whole by the word scan).
        entries.sort_by(|a, b| (&a.0, &a.1.code).cmp(&(&b.0, &b.1.code)));
        let (lower, entries): (Vec<String>, Vec<Entry>) = entries.into_iter().unzip();
        self.by_code = lower;
        self.entries = entries;
        self.last = None;
    }

    /// The best rows for `query`, how many match, and whether that count
    /// is complete (false: at least that many; the page filled early).
    fn search(&mut self, query: &str) -> (Vec<Code>, usize, bool) {
        let raw = query.trim().to_lowercase();
        let q = words(&raw);
        if q.is_empty() {
            let codes = self
                .entries
                .iter()
                .take(ROWS_MAX)
                .map(|e| e.code.clone())
                .collect();
            return (codes, self.entries.len(), true);
        }
        // 1. The code itself, then codes starting with the query: a range
        //    of the entries (sorted by lower-case code), by binary search.
        let lo = self.by_code.partition_point(|c| c.as_str() < raw.as_str());
        let hi = lo + self.by_code[lo..].partition_point(|c| c.starts_with(raw.as_str()));
        let mut ranked: Vec<usize> = (lo..hi).take(ROWS_MAX).collect();
        let mut total = hi - lo;
        // 2. Every word anywhere, outside that range, in code order, until
        //    the page is full. A query that only grew matches fewer: its
        //    word matches are among the last query's word matches and the
        //    entries of the last code range that left the new one.
        let n = self.entries.len();
        let candidates: Box<dyn Iterator<Item = usize>> = match &self.last {
            Some(last) if !last.raw.is_empty() && raw.starts_with(last.raw.as_str()) => {
                let mut c: Vec<usize> = last.words.clone();
                c.extend(last.lo..lo.min(last.hi));
                c.extend(hi.max(last.lo)..last.hi);
                c.sort_unstable();
                Box::new(c.into_iter())
            }
            _ => Box::new((0..lo).chain(hi..n)),
        };
        let mut found: Vec<usize> = Vec::new();
        let mut complete = true;
        let need = chars_mask(&q.concat());
        let need_pairs = pairs_mask(&q.join(" "));
        for i in candidates {
            let Some(e) = self.entries.get(i) else {
                continue;
            };
            if (lo..hi).contains(&i)
                || e.mask & need != need
                || !holds(&e.pairs, &need_pairs)
                || score(e, &q, &raw, false).is_none()
            {
                continue;
            }
            if ranked.len() >= ROWS_MAX {
                complete = false;
                break;
            }
            found.push(i);
            ranked.push(i);
            total += 1;
        }
        let mut typo = false;
        if ranked.is_empty() {
            // Nothing as typed: allow one typo per word, over everything.
            typo = true;
            let mut scored: Vec<(u8, usize)> = (0..self.entries.len())
                .filter_map(|i| {
                    self.entries
                        .get(i)
                        .and_then(|e| score(e, &q, &raw, true))
                        .map(|s| (s, i))
                })
                .collect();
            total = scored.len();
            if scored.len() > ROWS_MAX {
                scored.select_nth_unstable_by_key(ROWS_MAX, |(s, i)| (*s, *i));
                scored.truncate(ROWS_MAX);
            }
            scored.sort_by_key(|(s, i)| (*s, *i));
            ranked = scored.into_iter().map(|(_, i)| i).collect();
        }
        let codes = ranked
            .iter()
            .filter_map(|i| self.entries.get(*i).map(|e| e.code.clone()))
            .collect();
        self.last = (complete && !typo).then_some(Last {
            raw,
            lo,
            hi,
            words: found,
        });
        (codes, total, complete)
    }
}

/// The item and customer indexes a session keeps.
#[derive(Default)]
pub struct Lookups {
    items: Index,
    items_of: Option<Map<Code, crate::core::master::Item>>,
    customers: Index,
    customers_of: Option<Map<Code, crate::core::master::Customer>>,
}

impl Lookups {
    /// Items matching `query`: SKU, description words or barcode; a full
    /// scan (GTIN, GS1-128) or an exact code names its item.
    pub fn items(&mut self, s: &State, query: &str) -> Found {
        let stale = match &self.items_of {
            Some(m) => !m.ptr_eq(&s.items),
            None => true,
        };
        if stale {
            self.items.rebuild(&s.items, |i| {
                let mut t = format!("{} {}", i.sku, i.description.replace([',', '/'], " "));
                for b in &i.barcodes {
                    t.push(' ');
                    t.push_str(&b.code);
                }
                t
            });
            self.items_of = Some(s.items.clone());
        }
        // Descriptions are indexed with "," and "/" as spaces ("5/16 in"):
        // the query is read the same way.
        let (mut codes, mut total, complete) = self.items.search(&query.replace([',', '/'], " "));
        let exact = item_exact(s, query);
        if let Some(Ok(code)) = &exact {
            if let Some(p) = codes.iter().position(|c| c == code) {
                let c = codes.remove(p);
                codes.insert(0, c);
            } else {
                codes.insert(0, code.clone());
                total += 1;
            }
        }
        Found {
            exact: exact.filter(|e| e.is_ok() || codes.is_empty()),
            codes,
            total,
            complete,
        }
    }

    /// Customers matching `query`: code, name words, phone, city.
    pub fn customers(&mut self, s: &State, query: &str) -> Found {
        let stale = match &self.customers_of {
            Some(m) => !m.ptr_eq(&s.customers),
            None => true,
        };
        if stale {
            self.customers.rebuild(&s.customers, |c| {
                format!(
                    "{} {} {} {} {}",
                    c.code, c.name, c.collections.phone, c.bill_to.city, c.collections.name
                )
            });
            self.customers_of = Some(s.customers.clone());
        }
        let (codes, total, complete) = self.customers.search(query);
        let exact = s
            .customers
            .get(&query.trim().to_code())
            .map(|c| Ok(c.code.clone()));
        Found {
            codes,
            total,
            complete,
            exact,
        }
    }
}

/// The item a scan or typed code names exactly, or why it names none
/// (None: not a code or scan of anything).
pub fn item_exact(s: &State, query: &str) -> Option<Result<Code, String>> {
    let q = query.trim();
    if q.is_empty() {
        return None;
    }
    let target = match parse_scan(q) {
        Ok(Scan::Gtin(g)) => Ok(g),
        Ok(Scan::Gs1(g)) => match g.gtin {
            Some(gtin) => Ok(gtin),
            None => return Some(Err("the GS1 scan has no item number (01)".to_string())),
        },
        Ok(Scan::Text(t)) => return s.item_by_code(&t).map(|(i, _)| Ok(i.sku.clone())),
        Err(e) => return Some(Err(format!("not a readable scan: {e}"))),
    };
    match target {
        Ok(code) => Some(match s.item_by_code(&code) {
            Some((item, _)) => Ok(item.sku.clone()),
            None => Err(format!("no item has barcode {code}")),
        }),
        Err(e) => Some(Err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(n: usize) -> Index {
        let mut m: Map<Code, String> = Map::new();
        for i in 0..n {
            m.insert(format!("ITM-{i:04}").into(), format!("hex bolt {}", i % 7));
        }
        let mut ix = Index::default();
        ix.rebuild(&m, |d| d.clone());
        ix
    }

    #[test]
    fn the_code_first_then_its_prefix_range_then_words_capped_at_a_page() {
        let mut ix = index(1200);
        let (codes, total, complete) = ix.search("ITM-0005");
        assert_eq!(codes.first().map(Code::as_str), Some("ITM-0005"));
        assert_eq!((total, complete), (1, true));
        let (codes, total, complete) = ix.search("itm-00");
        assert_eq!((codes.len(), total, complete), (100, 100, true));
        let (codes, total, complete) = ix.search("itm");
        assert_eq!((codes.len(), total, complete), (ROWS_MAX, 1200, true));
        // Words in every description: the page fills, the count is "at least".
        let (codes, total, complete) = ix.search("bolt");
        assert_eq!((codes.len(), complete), (ROWS_MAX, false));
        assert_eq!(total, ROWS_MAX);
        // Narrowing a complete search gives what a fresh search gives.
        let narrowed = ix.search("itm-01");
        let mut fresh = index(1200);
        assert_eq!(narrowed, fresh.search("itm-01"));
        // A typo is forgiven only when nothing matches as typed.
        let (codes, _, _) = ix.search("blot 3");
        assert!(!codes.is_empty());
    }

    #[test]
    fn the_character_and_pair_masks_never_hide_a_match() {
        // Every query over varied texts finds what a plain scan finds.
        let mut m: Map<Code, String> = Map::new();
        let words = [
            "Hex", "bolt", "Müller", "5/16", "in", "zinc", "QX-9", "café", "łódź",
        ];
        for i in 0..400usize {
            // The text starts with the code, as the item and customer
            // texts do.
            let d = format!("C{i:03} {} {} {}", words[i % 9], words[(i / 9) % 9], i % 13);
            m.insert(format!("C{i:03}").into(), d);
        }
        let mut ix = Index::default();
        ix.rebuild(&m, |d| d.clone());
        for q in [
            "z", "q", "ü", "ł", "5", "16", "x-9", "café", "bolt 1", "hex z", "c00", "ź", "müll",
            "ller", "qx-", "5/1", "afé", "ódź", "c01", "c1", "0 b", "zinc in", "olt", "C399",
            "exh", "lto", "ff", "9 z",
        ] {
            let (codes, total, _) = ix.search(q);
            let lq = q.to_lowercase();
            let want: Vec<&Code> = m
                .iter()
                .filter(|(_, d)| {
                    let t = d.to_lowercase();
                    lq.split_whitespace().all(|w| t.contains(w))
                })
                .map(|(c, _)| c)
                .collect();
            assert_eq!(total, want.len(), "{q}");
            let mut got = codes.clone();
            got.sort();
            let mut want: Vec<Code> = want.into_iter().cloned().collect();
            want.sort();
            assert_eq!(got, want, "{q}");
            ix.last = None;
            // Typed a key at a time, each search narrowing the last, the
            // same rows in the same order as a fresh search.
            let mut typed = String::new();
            let mut last = (Vec::new(), 0, true);
            for c in q.chars() {
                typed.push(c);
                last = ix.search(&typed);
            }
            ix.last = None;
            assert_eq!(last, ix.search(q), "{q} typed");
            ix.last = None;
        }
    }

    #[test]
    fn one_edit_is_near_two_are_not() {
        assert!(near("carrage", "carriage"));
        assert!(near("cariage", "carriage"));
        assert!(near("carraige", "carriage"));
        assert!(near("bolt", "bolt"));
        assert!(!near("crrage", "carriage"));
        assert!(!near("nut", "bolt"));
    }
}
