//! Plain text of a document (email bodies, receipts, line printers,
//! tests), and the line layout the PDF renderer pages: both show the
//! same lines. Text is UTF-8 and keeps every printable character (a
//! customer named "Müller Großhandel" stays so); control characters
//! become `?`. The text pages as the PDF does: [`PAGE_LINES`] lines a
//! page, a form feed between pages, the head repeated and "Page n of m"
//! at the foot of each.

use super::{Barcode, Document, Symbology};

/// Characters per line.
pub const WIDTH: usize = 80;

/// Lines per page of the text format: 66, a US Letter page at 6 lines
/// an inch (line printers' default).
pub const PAGE_LINES: usize = 66;

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

/// Printable ASCII only: what a label printer's built-in ZPL fonts
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

/// Every character but control characters (tabs, escape sequences),
/// which become `?`: what a text document and the PDF's lines carry.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn fit(s: &str, w: usize) -> String {
    let s = printable(s);
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
                *x = (*x).max(printable(cell).chars().count());
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
            printable(&t.text),
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

/// The document as plain text, in pages of [`PAGE_LINES`] lines.
pub fn render(doc: &Document) -> String {
    render_paged(doc, PAGE_LINES)
}

/// The document as plain text in pages of `page_lines` lines (at least
/// the head, a row and the foot): the head (letterhead, parties, fields,
/// table head) repeats on every page, rows are never split, the totals
/// and notes close the last page, and every page ends with the
/// document's name and "Page n of m". Pages are separated by a form
/// feed.
pub fn render_paged(doc: &Document, page_lines: usize) -> String {
    let l = layout(doc);
    let closing = format!(
        "{} {} as of record {}{}",
        doc.kind,
        doc.number,
        doc.as_of,
        if doc.copy { ", COPY" } else { "" }
    );
    let head: Vec<&String> = l.header.iter().chain(&l.table_head).collect();
    // Each page ends with a blank line and the foot line.
    let room = page_lines.saturating_sub(2).max(head.len() + 2);
    let mut pages: Vec<Vec<&str>> = Vec::new();
    let mut page: Vec<&str> = head.iter().map(|s| s.as_str()).collect();
    let mut rows_on_page = 0;
    for r in &l.rows {
        if page.len() + r.lines.len() > room && rows_on_page > 0 {
            pages.push(std::mem::replace(
                &mut page,
                head.iter().map(|s| s.as_str()).collect(),
            ));
            rows_on_page = 0;
        }
        page.extend(r.lines.iter().map(String::as_str));
        rows_on_page += 1;
    }
    let blank = String::new();
    for line in l.footer.iter().chain([&blank, &closing]) {
        if page.len() + 1 > room {
            pages.push(std::mem::replace(
                &mut page,
                head.iter().map(|s| s.as_str()).collect(),
            ));
        }
        page.push(line);
    }
    pages.push(page);
    let count = pages.len();
    let name = printable(&format!(
        "{} {}{}",
        doc.title,
        doc.number,
        if doc.copy { "  COPY" } else { "" }
    ));
    let mut out = String::new();
    for (i, p) in pages.iter().enumerate() {
        if i > 0 {
            out.push('\u{c}');
        }
        for line in p {
            out.push_str(line);
            out.push('\n');
        }
        let number = format!("Page {} of {count}", i + 1);
        let w = WIDTH.saturating_sub(number.len() + 2);
        out.push('\n');
        out.push_str(&format!("{}  {number}", pad(&name, w, false)));
        out.push('\n');
    }
    out
}
