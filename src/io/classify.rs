//! Classification of an incoming file (issue 23): which kind it is (each
//! CSV kind `depot import` knows, by its header row against the kind's
//! columns; an MT940 statement by its `:20:` / `:60F:` tags; a camt.053
//! statement by its XML elements) and which customer or supplier it is
//! about (codes found in its cells against the master data), with a
//! confidence and the reasons. Pure over the text and `&State`.
//!
//! `depot import --classify FILE` prints it; `depot import auto FILE`
//! imports as the kind found, and refuses below `CONFIDENCE_MIN`.

use crate::core::types::ToCode;
use crate::core::State;
use std::collections::BTreeMap;

/// Below this confidence `depot import auto` refuses the file.
pub const CONFIDENCE_MIN: f64 = 0.75;
/// Rows read for codes of customers and suppliers.
const ROWS_READ_MAX: usize = 500;

/// What a file is, how sure, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Classification {
    /// An import kind (`items`, `bank-statement`, ...), or `mt940` /
    /// `camt053` (bank statements read on the bank reconciliation screen).
    pub kind: String,
    /// 0 to 1.
    pub confidence: f64,
    /// The kind next best by its score, if any scored.
    pub runner_up: Option<(String, f64)>,
    /// ("customer" | "supplier", code, name) the rows name most.
    pub party: Option<(String, String, String)>,
    pub reasons: Vec<(String, String)>,
}

/// Why a file cannot be classified at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    #[error("the file is empty")]
    Empty,
    #[error("line 1 is not a CSV header: {0}")]
    NoHeader(String),
}

/// Score of a header row against a kind's columns: the share of the
/// headers the kind knows, times how many of its required columns are
/// there (a header unknown to the kind is refused by its import).
fn score(headers: &[String], cols: &[(&'static str, bool)]) -> (f64, usize, usize) {
    let known = headers
        .iter()
        .filter(|h| cols.iter().any(|c| c.0 == h.as_str()))
        .count();
    let required: Vec<&str> = cols.iter().filter(|c| c.1).map(|c| c.0).collect();
    let present = required
        .iter()
        .filter(|r| headers.iter().any(|h| h == *r))
        .count();
    let p = known as f64 / headers.len().max(1) as f64;
    let r = if required.is_empty() {
        1.0
    } else {
        present as f64 / required.len() as f64
    };
    (p * r, known, present)
}

fn party(text: &str, state: &State, skip_header: bool) -> Option<(String, String, String, usize)> {
    let mut hits: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for line in text
        .lines()
        .skip(usize::from(skip_header))
        .take(ROWS_READ_MAX)
    {
        let mut seen = std::collections::BTreeSet::new();
        for cell in line.split([',', ';', '\t', ':', '/', ' ', '<', '>', '"']) {
            let c = cell.trim();
            if c.is_empty() || !seen.insert(c.to_string()) {
                continue;
            }
            if state.customers.contains_key(&c.to_code()) {
                *hits.entry(("customer", c.to_string())).or_default() += 1;
            } else if state.suppliers.contains_key(&c.to_code()) {
                *hits.entry(("supplier", c.to_string())).or_default() += 1;
            }
        }
    }
    let ((who, code), n) = hits
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
    let name = match who {
        "customer" => state.customers.get(&code.to_code()).map(|c| c.name.clone()),
        _ => state.suppliers.get(&code.to_code()).map(|s| s.name.clone()),
    }
    .unwrap_or_default();
    Some((who.to_string(), code, name, n))
}

pub fn classify(text: &str, state: &State) -> Result<Classification, ClassifyError> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(ClassifyError::Empty);
    }
    let mut reasons: Vec<(String, String)> = Vec::new();
    let with_party = |mut c: Classification, skip: bool| {
        if let Some((who, code, name, n)) = party(text, state, skip) {
            c.reasons
                .push((who.clone(), format!("{code} ({name}) named in {n} row(s)")));
            c.party = Some((who, code, name));
        }
        c
    };
    // Bank statements that are not CSV.
    let tags: Vec<&str> = [":20:", ":25:", ":60F:", ":61:", ":62F:"]
        .into_iter()
        .filter(|t| text.lines().any(|l| l.trim_start().starts_with(t)))
        .collect();
    if tags.contains(&":20:") && tags.len() >= 3 {
        reasons.push(("tags".into(), tags.join(" ")));
        let c = Classification {
            kind: "mt940".into(),
            confidence: (tags.len() as f64 / 5.0).min(1.0),
            runner_up: None,
            party: None,
            reasons,
        };
        return Ok(with_party(c, false));
    }
    let elements: Vec<&str> = ["camt.053", "<BkToCstmrStmt", "<Stmt>", "<Ntry>", "<Bal>"]
        .into_iter()
        .filter(|e| text.contains(e))
        .collect();
    if text.trim_start().starts_with('<') && elements.len() >= 2 {
        reasons.push(("XML elements".into(), elements.join(" ")));
        let c = Classification {
            kind: "camt053".into(),
            confidence: (elements.len() as f64 / 4.0).min(1.0),
            runner_up: None,
            party: None,
            reasons,
        };
        return Ok(with_party(c, false));
    }
    // CSV: the header row against every kind's columns.
    let first = text.lines().next().unwrap_or_default();
    let headers: Vec<String> = first
        .split(',')
        .map(|h| h.trim().trim_matches('"').to_string())
        .collect();
    if headers.len() < 2
        || headers
            .iter()
            .any(|h| h.is_empty() || !h.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return Err(ClassifyError::NoHeader(first.chars().take(60).collect()));
    }
    let mut scored: Vec<(f64, &str, usize, usize, usize)> = super::csv::KINDS
        .iter()
        .chain(super::csv::DOCUMENT_KINDS)
        .filter_map(|k| {
            let cols = super::csv::columns(k)?;
            let (s, known, present) = score(&headers, &cols);
            let required = cols.iter().filter(|c| c.1).count();
            Some((s, *k, known, present, required))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let Some(&(best, kind, known, present, required)) = scored.first() else {
        return Err(ClassifyError::NoHeader(first.to_string()));
    };
    let runner_up = scored.get(1).map(|r| (r.1.to_string(), r.0));
    // A tie or near-tie halves the confidence: the header does not say.
    let margin = runner_up.as_ref().map_or(best, |r| best - r.1);
    let confidence = if margin < 0.1 { best / 2.0 } else { best };
    reasons.push((
        "header".into(),
        format!(
            "{known} of {} columns are {kind}'s, {present} of its {required} required",
            headers.len()
        ),
    ));
    if let Some((k, s)) = &runner_up {
        reasons.push(("next best".into(), format!("{k} ({s:.2})")));
    }
    let c = Classification {
        kind: kind.to_string(),
        confidence,
        runner_up,
        party: None,
        reasons,
    };
    Ok(with_party(c, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_say_the_kind_and_garbage_is_refused() {
        let s = State::default();
        let c = classify(
            "code,name,base_currency,tax_jurisdiction\nE9,X,USD,US\n",
            &s,
        );
        assert!(c.as_ref().is_ok_and(|c| c.kind == "entities"), "{c:?}");
        assert!(matches!(classify("", &s), Err(ClassifyError::Empty)));
        assert!(matches!(
            classify("\u{1}\u{2}garbled ~~ %%\n", &s),
            Err(ClassifyError::NoHeader(_))
        ));
        let m = classify(
            ":20:STMT1\n:25:ACC\n:60F:C260101USD1,00\n:62F:C260101USD1,00\n",
            &s,
        );
        assert!(m.is_ok_and(|m| m.kind == "mt940" && m.confidence >= 0.8));
        // A header of no kind scores nothing sure.
        let u = classify("foo,bar,baz\n1,2,3\n", &s);
        assert!(u.is_ok_and(|u| u.confidence < CONFIDENCE_MIN));
    }
}
