//! PDF of a document, written by krilla with an embedded, subsetted
//! TrueType font (DejaVu Sans Mono and its bold, `assets/fonts/`, Bitstream
//! Vera licence): every character the font has prints as it is ("Müller
//! Großhandel", "Café Québec", "Łódź"); one it lacks (CJK: "東京") prints as
//! U+FFFD, the visible replacement character, never as a blank or a wrong
//! letter. Code 128 symbols are drawn as filled rectangles. Why krilla:
//! docs/performance.md ("Documents").
//!
//! The page shows the lines of [`super::text::layout`]: the letterhead,
//! parties, fields and the table's head repeat on every page, rows flow
//! over as many pages as they need, totals and notes close the last one,
//! and every page carries "Page n of N".

use super::barcode::modules;
use super::text::{layout, Layout};
use super::{Barcode, DocError, Document};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::MetadataProvider;
use std::sync::LazyLock;

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

/// The fonts, built into the binary (no font files to install).
static MONO_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono.ttf");
static MONO_BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono-Bold.ttf");

/// The character printed for one the font has no glyph for.
pub const REPLACEMENT: char = '\u{fffd}';

/// A font: its bytes (for the glyph lookup) and krilla's handle (parsed
/// once; krilla subsets it into each PDF).
struct Face {
    bytes: &'static [u8],
    font: Option<Font>,
}

impl Face {
    fn load(bytes: &'static [u8]) -> Face {
        Face {
            bytes,
            font: Font::new(bytes.into(), 0),
        }
    }
}

static REGULAR: LazyLock<Face> = LazyLock::new(|| Face::load(MONO_TTF));
static BOLD: LazyLock<Face> = LazyLock::new(|| Face::load(MONO_BOLD_TTF));

/// Whether the documents' font can show `c` (else it prints as
/// [`REPLACEMENT`]).
pub fn has_glyph(c: char) -> bool {
    !c.is_control()
        && skrifa::FontRef::new(MONO_TTF)
            .ok()
            .and_then(|f| f.charmap().map(c))
            .is_some_and(|g| g.to_u32() != 0)
}

/// The glyphs of a line, one per character (the layout is monospaced;
/// no shaping), and the text they stand for (what a reader extracts):
/// characters without a glyph become [`REPLACEMENT`] in both.
fn glyphs(face: &Face, s: &str) -> (String, Vec<KrillaGlyph>) {
    let Ok(f) = skrifa::FontRef::new(face.bytes) else {
        return (String::new(), Vec::new());
    };
    let cmap = f.charmap();
    let metrics = f.glyph_metrics(Size::unscaled(), LocationRef::default());
    let upem = f64::from(
        f.metrics(Size::unscaled(), LocationRef::default())
            .units_per_em,
    );
    let upem = if upem > 0.0 { upem as f32 } else { 2048.0 };
    let lookup = |c: char| {
        if c.is_control() {
            return None;
        }
        cmap.map(c).filter(|g| g.to_u32() != 0)
    };
    let fallback = lookup(REPLACEMENT).map(|g| (REPLACEMENT, g));
    let mut text = String::with_capacity(s.len());
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        let Some((c, g)) = lookup(c).map(|g| (c, g)).or(fallback) else {
            continue;
        };
        let start = text.len();
        text.push(c);
        let advance = metrics.advance_width(g).unwrap_or(0.0) / upem;
        out.push(KrillaGlyph::new(
            GlyphId::new(g.to_u32()),
            advance,
            0.0,
            0.0,
            0.0,
            start..text.len(),
            None,
        ));
    }
    (text, out)
}

/// Draw a line of text with its baseline at `y` points from the page's
/// bottom (PDF's usual way up; krilla counts from the top).
fn text(surface: &mut Surface, bold: bool, size: f32, x: f32, y: f32, s: &str) {
    let face: &Face = if bold { &BOLD } else { &REGULAR };
    let Some(font) = face.font.clone() else {
        return;
    };
    let (shown, gs) = glyphs(face, s);
    if gs.is_empty() {
        return;
    }
    surface.draw_glyphs(
        Point::from_xy(x, PAGE_H - y),
        &gs,
        font,
        &shown,
        size,
        false,
    );
}

/// Draw a symbol's bars from (x, y) upwards; its width.
fn bars(surface: &mut Surface, b: &Barcode, x: f32, y: f32, h: f32) -> f32 {
    let Some(m) = modules(b) else {
        return 0.0;
    };
    let mut path = PathBuilder::new();
    let mut i = 0;
    while i < m.len() {
        if m.get(i) == Some(&1) {
            let start = i;
            while m.get(i) == Some(&1) {
                i += 1;
            }
            if let Some(r) = Rect::from_xywh(
                x + start as f32 * MODULE,
                PAGE_H - y - h,
                (i - start) as f32 * MODULE,
                h,
            ) {
                path.push_rect(r);
            }
        } else {
            i += 1;
        }
    }
    if let Some(p) = path.finish() {
        surface.draw_path(&p);
    }
    m.len() as f32 * MODULE
}

fn page_content(surface: &mut Surface, doc: &Document, items: &[Item], n: usize, of: usize) {
    surface.set_fill(Some(Fill::default()));
    let mut y = TOP;
    for item in items {
        match item {
            Item::Text { line, bold } => {
                y -= LEADING;
                text(surface, *bold, FONT_SIZE, LEFT, y, line);
            }
            Item::Bars(codes) => {
                y -= ROW_BAR_H + 4.0;
                let mut x = LEFT + 36.0;
                for b in codes {
                    let w = bars(surface, b, x, y + 2.0, ROW_BAR_H);
                    x += w + 24.0;
                }
            }
        }
    }
    // The foot: the document's own barcodes, its name, the page number.
    let mut x = LEFT;
    for b in &doc.barcodes {
        let w = bars(surface, b, x, 52.0, 30.0);
        if w > 0.0 {
            text(surface, false, 7.0, x, 44.0, &b.data);
            x += w + 30.0;
        }
    }
    let copy = if doc.copy { "  COPY" } else { "" };
    text(
        surface,
        false,
        8.0,
        LEFT,
        28.0,
        &format!("{} {}{copy}", doc.title, doc.number),
    );
    let page = format!("Page {n} of {of}");
    // A monospaced font: 0.6 em a character.
    text(
        surface,
        false,
        8.0,
        PAGE_W - LEFT - page.len() as f32 * 8.0 * 0.6,
        28.0,
        &page,
    );
}

/// The document as a PDF file.
pub fn render(doc: &Document) -> Result<Vec<u8>, DocError> {
    let pages = paginate(&layout(doc));
    let count = pages.len();
    let mut pdf = krilla::Document::new();
    pdf.set_metadata(
        krilla::metadata::Metadata::new()
            .title(format!("{} {}", doc.title, doc.number))
            .producer("depot".into()),
    );
    for (i, items) in pages.iter().enumerate() {
        let Some(settings) = PageSettings::from_wh(PAGE_W, PAGE_H) else {
            continue;
        };
        let mut page = pdf.start_page_with(settings);
        let mut surface = page.surface();
        page_content(&mut surface, doc, items, i + 1, count);
        surface.finish();
        page.finish();
    }
    pdf.finish().map_err(|e| DocError::Pdf {
        kind: doc.kind,
        doc: doc.number.clone(),
        problem: format!("{e:?}"),
    })
}

/// Pages a document takes (for tests and the bench).
pub fn page_count(doc: &Document) -> usize {
    paginate(&layout(doc)).len()
}
