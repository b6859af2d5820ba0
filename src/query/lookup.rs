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
use crate::core::State;

/// Most rows a lookup returns (the count of all matches is kept).
pub const ROWS_MAX: usize = 500;

/// One searchable record: its code and lower-case words.
#[derive(Clone, Debug)]
struct Entry {
    code: Code,
    /// Lower-case code, description / name, other codes, space separated.
    text: String,
}

/// What a lookup found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// Codes of the best matches, best first (at most `ROWS_MAX`).
    pub codes: Vec<Code>,
    /// How many records match in all.
    pub total: usize,
    /// A scan or exact code: the record it names, or why it names none.
    pub exact: Option<Result<Code, String>>,
}

/// A cached index over one kind of record.
#[derive(Default)]
pub struct Index {
    entries: Vec<Entry>,
    /// The last query and the entries it matched (for narrowing).
    last: Option<(String, Vec<usize>)>,
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
        self.entries = map
            .iter()
            .map(|(code, v)| Entry {
                code: code.clone(),
                text: text(v).to_lowercase(),
            })
            .collect();
        self.last = None;
    }

    fn search(&mut self, query: &str) -> (Vec<Code>, usize) {
        let raw = query.trim().to_lowercase();
        let q = words(&raw);
        if q.is_empty() {
            let codes = self
                .entries
                .iter()
                .take(ROWS_MAX)
                .map(|e| e.code.clone())
                .collect();
            return (codes, self.entries.len());
        }
        // Exact words first. A query that only grew can only match fewer
        // records: filter the last hits instead of everything.
        let candidates: Vec<usize> = match &self.last {
            Some((prev, hits)) if !prev.is_empty() && raw.starts_with(prev.as_str()) => {
                hits.clone()
            }
            _ => (0..self.entries.len()).collect(),
        };
        let run = |cands: &mut dyn Iterator<Item = usize>, typos: bool| -> Vec<(u8, usize)> {
            cands
                .filter_map(|i| {
                    self.entries
                        .get(i)
                        .and_then(|e| score(e, &q, &raw, typos))
                        .map(|s| (s, i))
                })
                .collect()
        };
        let mut scored = run(&mut candidates.into_iter(), false);
        let mut hits: Option<Vec<usize>> = None;
        if scored.is_empty() {
            // Nothing as typed: allow one typo per word, over everything.
            scored = run(&mut (0..self.entries.len()), true);
        } else {
            let mut h: Vec<usize> = scored.iter().map(|(_, i)| *i).collect();
            h.sort_unstable();
            hits = Some(h);
        }
        let total = scored.len();
        // Only the best ROWS_MAX are shown: select them, then sort those.
        if scored.len() > ROWS_MAX {
            scored.select_nth_unstable_by_key(ROWS_MAX, |(s, i)| (*s, *i));
            scored.truncate(ROWS_MAX);
        }
        scored.sort_by_key(|(s, i)| (*s, *i));
        let codes = scored
            .iter()
            .take(ROWS_MAX)
            .filter_map(|(_, i)| self.entries.get(*i).map(|e| e.code.clone()))
            .collect();
        self.last = hits.map(|h| (raw, h));
        (codes, total)
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
        let (mut codes, mut total) = self.items.search(&query.replace([',', '/'], " "));
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
        let (codes, total) = self.customers.search(query);
        let exact = s.customers.get(query.trim()).map(|c| Ok(c.code.clone()));
        Found {
            codes,
            total,
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
    use super::near;

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
