//! PDF of a document: a small writer of our own, on the standard 14
//! fonts (Courier and Courier-Bold, which every PDF reader has, so no
//! font is embedded), with Code 128 symbols drawn as filled rectangles.
//! Why not a crate: see docs/performance.md ("Documents: the PDF writer").
//!
//! The page shows the lines of [`super::text::layout`]: the letterhead,
//! parties, fields and the table's head repeat on every page, rows flow
//! over as many pages as they need, totals and notes close the last one,
//! and every page carries "Page n of N".

use super::barcode::modules;
use super::text::{ascii, layout, Layout};
use super::{Barcode, Document};
use std::fmt::Write as _;

/// US Letter, in points.
const PAGE_W: f32 = 612.0;
const PAGE_H: f32 = 792.0;
const LEFT: f32 = 54.0;
const TOP: f32 = 750.0;
/// Below this, only the page's foot (document barcodes, page number).
const BOTTOM: f32 = 100.0;
const FONT_SIZE: f32 = 9.0;
const LEADING: f32 = 11.0;
/// Height of a row's barcodes, and the width of one module.
const ROW_BAR_H: f32 = 22.0;
const MODULE: f32 = 0.9;

enum Item {
    /// A line of text; bold for the first header line and the table head.
    Text { line: String, bold: bool },
    /// Barcodes drawn side by side under a row.
    Bars(Vec<Barcode>),
}

impl Item {
    fn height(&self) -> f32 {
        match self {
            Item::Text { .. } => LEADING,
            Item::Bars(_) => ROW_BAR_H + 4.0,
        }
    }
}

/// Split the layout into pages: each a list of items, the repeated head
/// first.
fn paginate(l: &Layout) -> Vec<Vec<Item>> {
    let head = || -> Vec<Item> {
        l.header
            .iter()
            .enumerate()
            .map(|(i, line)| Item::Text {
                line: line.clone(),
                bold: i == 0,
            })
            .chain(l.table_head.iter().enumerate().map(|(i, line)| Item::Text {
                line: line.clone(),
                bold: i == 0,
            }))
            .collect()
    };
    let room = TOP - BOTTOM;
    let height = |items: &[Item]| items.iter().map(Item::height).sum::<f32>();
    let mut pages = Vec::new();
    let mut page = head();
    let head_h = height(&page);
    let mut used = head_h;
    let mut rows_on_page = 0;
    for r in &l.rows {
        let mut items: Vec<Item> = r
            .lines
            .iter()
            .map(|line| Item::Text {
                line: line.clone(),
                bold: false,
            })
            .collect();
        if r.barcodes.iter().any(|b| modules(b).is_some()) {
            items.push(Item::Bars(r.barcodes.clone()));
        }
        let h = height(&items);
        if used + h > room && rows_on_page > 0 {
            pages.push(std::mem::replace(&mut page, head()));
            used = head_h;
            rows_on_page = 0;
        }
        used += h;
        rows_on_page += 1;
        page.extend(items);
    }
    for line in &l.footer {
        if used + LEADING > room {
            pages.push(std::mem::replace(&mut page, head()));
            used = head_h;
        }
        used += LEADING;
        page.push(Item::Text {
            line: line.clone(),
            bold: false,
        });
    }
    pages.push(page);
    pages
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in ascii(s).chars() {
        match c {
            '\\' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn text(out: &mut String, font: &str, size: f32, x: f32, y: f32, s: &str) {
    let _ = writeln!(
        out,
        "BT /{font} {size} Tf {x:.2} {y:.2} Td ({}) Tj ET",
        escape(s)
    );
}

/// Draw a symbol's bars from (x, y) upwards; its width.
fn bars(out: &mut String, b: &Barcode, x: f32, y: f32, h: f32) -> f32 {
    let Some(m) = modules(b) else {
        return 0.0;
    };
    let mut i = 0;
    while i < m.len() {
        if m.get(i) == Some(&1) {
            let start = i;
            while m.get(i) == Some(&1) {
                i += 1;
            }
            let _ = writeln!(
                out,
                "{:.2} {y:.2} {:.2} {h:.2} re f",
                x + start as f32 * MODULE,
                (i - start) as f32 * MODULE
            );
        } else {
            i += 1;
        }
    }
    m.len() as f32 * MODULE
}

fn page_content(doc: &Document, items: &[Item], n: usize, of: usize) -> String {
    let mut out = String::new();
    let mut y = TOP;
    for item in items {
        match item {
            Item::Text { line, bold } => {
                y -= LEADING;
                let font = if *bold { "F2" } else { "F1" };
                text(&mut out, font, FONT_SIZE, LEFT, y, line);
            }
            Item::Bars(codes) => {
                y -= ROW_BAR_H + 4.0;
                let mut x = LEFT + 36.0;
                for b in codes {
                    let w = bars(&mut out, b, x, y + 2.0, ROW_BAR_H);
                    x += w + 24.0;
                }
            }
        }
    }
    // The foot: the document's own barcodes, its name, the page number.
    let mut x = LEFT;
    for b in &doc.barcodes {
        let w = bars(&mut out, b, x, 52.0, 30.0);
        if w > 0.0 {
            text(&mut out, "F1", 7.0, x, 44.0, &b.data);
            x += w + 30.0;
        }
    }
    let copy = if doc.copy { "  COPY" } else { "" };
    text(
        &mut out,
        "F1",
        8.0,
        LEFT,
        28.0,
        &format!("{} {}{copy}", doc.title, doc.number),
    );
    let page = format!("Page {n} of {of}");
    text(
        &mut out,
        "F1",
        8.0,
        PAGE_W - LEFT - page.len() as f32 * 4.8,
        28.0,
        &page,
    );
    out
}

/// The document as a PDF file.
pub fn render(doc: &Document) -> Vec<u8> {
    let pages = paginate(&layout(doc));
    let count = pages.len();
    // Objects: 1 catalog, 2 pages, 3 Courier, 4 Courier-Bold, 5 info,
    // then a page and its content stream for each page.
    let mut objects: Vec<Vec<u8>> = Vec::new();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    let kids: Vec<String> = (0..count).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
    objects.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {count} >>",
            kids.join(" ")
        )
        .into_bytes(),
    );
    for font in ["Courier", "Courier-Bold"] {
        objects.push(
            format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{font} /Encoding /WinAnsiEncoding >>"
            )
            .into_bytes(),
        );
    }
    objects.push(
        format!(
            "<< /Title ({} {}) /Producer (depot) >>",
            escape(&doc.title),
            escape(&doc.number)
        )
        .into_bytes(),
    );
    for (i, items) in pages.iter().enumerate() {
        let content = page_content(doc, items, i + 1, count);
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                7 + 2 * i
            )
            .into_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend_from_slice(content.as_bytes());
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        // Each entry is 20 bytes: the space before the newline counts.
        let _ = writeln!(tail, "{o:010} 00000 n ");
    }
    let _ = write!(
        tail,
        "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(tail.as_bytes());
    out
}

/// Pages a document takes (for tests and the bench).
pub fn page_count(doc: &Document) -> usize {
    paginate(&layout(doc)).len()
}
