//! Plain text of a document (email bodies, receipts, tests), and the
//! line layout the PDF renderer pages: both show the same lines.

use super::{Barcode, Document, Symbology};

/// Characters per line.
pub const WIDTH: usize = 80;

/// A document laid out in lines: what repeats on every page (`header`,
/// `table_head`), the rows (each with the barcodes drawn under it), and
/// what closes the document (`footer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub header: Vec<String>,
    pub table_head: Vec<String>,
    pub rows: Vec<RowLines>,
    pub footer: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowLines {
    pub lines: Vec<String>,
    pub barcodes: Vec<Barcode>,
}

/// Printable ASCII only: what every printer and the standard PDF fonts
/// carry (other characters become `?`).
pub fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c,
            '\u{2013}' | '\u{2014}' => '-',
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            _ => '?',
        })
        .collect()
}

fn fit(s: &str, w: usize) -> String {
    let s = ascii(s);
    if s.chars().count() <= w {
        return s;
    }
    if w <= 2 {
        return s.chars().take(w).collect();
    }
    let mut t: String = s.chars().take(w - 2).collect();
    t.push_str("..");
    t
}

fn pad(s: &str, w: usize, right: bool) -> String {
    let s = fit(s, w);
    if right {
        format!("{s:>w$}")
    } else {
        format!("{s:<w$}")
    }
}

fn scan_text(b: &Barcode) -> String {
    match b.symbology {
        Symbology::Code128 => format!("{} {}", b.label, b.data),
        Symbology::Gs1_128 => format!("{} {}", b.label, b.data),
    }
}

/// Column widths that fit [`WIDTH`]: natural widths, the widest text
/// column shrunk first.
fn widths(doc: &Document) -> Vec<usize> {
    let n = doc.columns.len();
    let mut w: Vec<usize> = doc.columns.iter().map(|c| c.title.len()).collect();
    for r in &doc.rows {
        for (i, cell) in r.cells.iter().enumerate().take(n) {
            if let Some(x) = w.get_mut(i) {
                *x = (*x).max(ascii(cell).chars().count());
            }
        }
    }
    let gaps = n.saturating_sub(1) * 2;
    while w.iter().sum::<usize>() + gaps > WIDTH {
        // Shrink the widest text column (numbers never lose digits).
        let widest = doc
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.numeric)
            .max_by_key(|(i, _)| w.get(*i).copied().unwrap_or(0))
            .map(|(i, _)| i);
        match widest {
            Some(i) if w.get(i).is_some_and(|x| *x > 6) => {
                if let Some(x) = w.get_mut(i) {
                    *x -= 1;
                }
            }
            _ => break,
        }
    }
    w
}

fn table_line(cells: &[String], doc: &Document, w: &[usize]) -> String {
    let parts: Vec<String> = doc
        .columns
        .iter()
        .zip(w)
        .enumerate()
        .map(|(i, (c, w))| {
            pad(
                cells.get(i).map(String::as_str).unwrap_or(""),
                *w,
                c.numeric,
            )
        })
        .collect();
    parts.join("  ").trim_end().to_string()
}

/// Lay a document out in lines of at most [`WIDTH`] characters.
pub fn layout(doc: &Document) -> Layout {
    let mut header = Vec::new();
    // Letterhead on the left, what the document is on the right.
    let mut left = vec![doc.letterhead.name.clone()];
    left.extend(doc.letterhead.lines.iter().cloned());
    if !doc.letterhead.tax_registration.is_empty() {
        left.push(format!(
            "Tax registration {}",
            doc.letterhead.tax_registration
        ));
    }
    let mut right = vec![doc.title.clone(), format!("No. {}", doc.number)];
    if doc.copy {
        right.push("*** COPY ***".into());
    }
    let rw = right.iter().map(|r| r.len()).max().unwrap_or(0).min(36);
    let lw = WIDTH - rw - 2;
    for i in 0..left.len().max(right.len()) {
        let l = left.get(i).map(String::as_str).unwrap_or("");
        let r = right.get(i).map(String::as_str).unwrap_or("");
        header.push(
            format!("{}  {}", pad(l, lw, false), pad(r, rw, false))
                .trim_end()
                .to_string(),
        );
    }
    header.push(String::new());
    // Parties side by side, two to a band.
    for band in doc.parties.chunks(2) {
        let cw = WIDTH / 2 - 1;
        let cols: Vec<Vec<String>> = band
            .iter()
            .map(|p| {
                let mut v = vec![format!("{}:", p.label), p.name.clone()];
                v.extend(p.lines.iter().cloned());
                v
            })
            .collect();
        let h = cols.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..h {
            let line: Vec<String> = cols
                .iter()
                .map(|c| pad(c.get(i).map(String::as_str).unwrap_or(""), cw, false))
                .collect();
            header.push(line.join("  ").trim_end().to_string());
        }
        header.push(String::new());
    }
    let lw = doc.fields.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    for (l, v) in &doc.fields {
        header.push(fit(&format!("{l:<lw$}  {v}"), WIDTH));
    }
    if !doc.fields.is_empty() {
        header.push(String::new());
    }
    let w = widths(doc);
    let mut table_head = Vec::new();
    if !doc.columns.is_empty() {
        let titles: Vec<String> = doc.columns.iter().map(|c| c.title.clone()).collect();
        table_head.push(table_line(&titles, doc, &w));
        table_head.push("-".repeat(WIDTH));
    }
    let rows = doc
        .rows
        .iter()
        .map(|r| {
            let mut lines = vec![table_line(&r.cells, doc, &w)];
            if !r.barcodes.is_empty() {
                let scans: Vec<String> = r.barcodes.iter().map(scan_text).collect();
                lines.push(fit(&format!("      scan: {}", scans.join(" | ")), WIDTH));
            }
            RowLines {
                lines,
                barcodes: r.barcodes.clone(),
            }
        })
        .collect();
    let mut footer = Vec::new();
    if !doc.columns.is_empty() {
        footer.push("-".repeat(WIDTH));
    }
    let tw = doc
        .totals
        .iter()
        .map(|t| t.text.len())
        .max()
        .unwrap_or(0)
        .max(12);
    for t in &doc.totals {
        footer.push(format!(
            "{:>lw$}  {:>tw$}",
            fit(&t.label, WIDTH - tw - 2),
            ascii(&t.text),
            lw = WIDTH - tw - 2
        ));
    }
    if !doc.notes.is_empty() {
        footer.push(String::new());
        footer.extend(doc.notes.iter().map(|n| fit(n, WIDTH)));
    }
    if !doc.barcodes.is_empty() {
        footer.push(String::new());
        for b in &doc.barcodes {
            footer.push(fit(&format!("[barcode] {}", scan_text(b)), WIDTH));
        }
    }
    Layout {
        header,
        table_head,
        rows,
        footer,
    }
}

/// The document as plain text, one page (a terminal, an email, a receipt
/// printer do not page).
pub fn render(doc: &Document) -> String {
    let l = layout(doc);
    let mut out = String::new();
    for line in l
        .header
        .iter()
        .chain(&l.table_head)
        .chain(l.rows.iter().flat_map(|r| r.lines.iter()))
        .chain(&l.footer)
    {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&format!(
        "\n{} {} as of record {}{}\n",
        doc.kind,
        doc.number,
        doc.as_of,
        if doc.copy { ", COPY" } else { "" }
    ));
    out
}
