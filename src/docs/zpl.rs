//! ZPL II for label printers (4 x 6 in at 203 dpi): the carton label.
//! The SSCC is printed as GS1-128 by the printer itself (`^BC` in UCC/EAN
//! mode D: FNC1 first, the brackets only in the human-readable line).

use super::text::ascii;
use super::{DocError, DocKind, Document, Format, Symbology};
use std::fmt::Write as _;

/// Field data for `^FD`: printable ASCII without the ZPL command
/// characters `^` and `~`.
fn fd(s: &str) -> String {
    ascii(s)
        .chars()
        .map(|c| if c == '^' || c == '~' { ' ' } else { c })
        .take(60)
        .collect()
}

fn line(out: &mut String, y: u32, size: u32, s: &str) {
    let _ = writeln!(out, "^FO40,{y}^A0N,{size},{size}^FD{}^FS", fd(s));
}

/// The ZPL of a carton label.
pub fn render(doc: &Document) -> Result<String, DocError> {
    if doc.kind != DocKind::CartonLabel {
        return Err(DocError::Format {
            kind: doc.kind,
            format: Format::Zpl.as_str(),
            available: "pdf or text",
        });
    }
    let mut out = String::from("^XA\n^CI0\n^PW812\n^LL1218\n");
    let mut y = 30;
    line(&mut out, y, 28, &format!("FROM: {}", doc.letterhead.name));
    y += 32;
    for l in doc.letterhead.lines.iter().take(3) {
        line(&mut out, y, 24, l);
        y += 28;
    }
    let _ = writeln!(out, "^FO30,{}^GB752,3,3^FS", y + 6);
    y += 24;
    for p in doc.parties.iter().take(1) {
        line(&mut out, y, 30, &format!("SHIP TO: {}", p.name));
        y += 40;
        for l in p.lines.iter().take(4) {
            line(&mut out, y, 40, l);
            y += 46;
        }
    }
    let _ = writeln!(out, "^FO30,{}^GB752,3,3^FS", y + 6);
    y += 24;
    for (label, value) in &doc.fields {
        if label == "SSCC" {
            continue;
        }
        line(&mut out, y, 30, &format!("{label}: {value}"));
        y += 36;
    }
    if doc.copy {
        line(&mut out, y, 40, "*** COPY ***");
        y += 48;
    }
    let _ = writeln!(out, "^FO30,{}^GB752,3,3^FS", y + 6);
    y += 30;
    for b in &doc.barcodes {
        // The SSCC large (GS1-128, UCC/EAN mode), references smaller.
        let (mode, width, height) = match b.symbology {
            Symbology::Gs1_128 => ("D", 3, 200),
            Symbology::Code128 => ("N", 2, 90),
        };
        let _ = writeln!(
            out,
            "^FO60,{y}^BY{width}^BCN,{height},Y,N,N,{mode}^FD{}^FS",
            fd(&b.data)
        );
        y += height + 50;
    }
    out.push_str("^PQ1\n^XZ\n");
    Ok(out)
}
