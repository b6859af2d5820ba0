//! Documents (issue 17): invoices, credit memos, quotes and order
//! acknowledgments, customer statements, purchase orders, pick tickets,
//! packing slips, bills of lading, carton labels and remittance advices.
//!
//! An edge, not the core. A [`Document`] is a typed view of committed
//! state as of a sequence number, built by [`build()`] with no I/O; it is
//! rendered by separate renderers ([`text`], [`pdf`], [`zpl`]) that are
//! pure functions of it, and sent to a printer by [`print`], which is the
//! only module here that does I/O. Amounts are formatted once, by the
//! program-wide formatter `query::money` (the currency's minor unit).

pub mod barcode;
pub mod build;
pub mod pdf;
pub mod print;
pub mod text;
pub mod zpl;

pub use build::{build, build_with, BuildOptions};

use rust_decimal::Decimal;

/// The documents depot prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocKind {
    /// A sales invoice (counter sales included), by invoice number.
    Invoice,
    /// A credit memo, by its number.
    CreditMemo,
    /// A quote or an order acknowledgment, by order number.
    Acknowledgment,
    /// A customer statement, by customer code.
    Statement,
    /// A purchase order, by PO number.
    PurchaseOrder,
    /// A pick ticket, by pick list number.
    PickTicket,
    /// A packing slip of one carton: `PICKLIST/CARTON`.
    PackingSlip,
    /// A carton label (SSCC): `PICKLIST/CARTON`.
    CartonLabel,
    /// A bill of lading summary, by shipment number.
    BillOfLading,
    /// A remittance advice: which supplier invoices a payment paid, by
    /// supplier payment number.
    RemittanceAdvice,
}

impl DocKind {
    pub const ALL: [DocKind; 10] = [
        DocKind::Invoice,
        DocKind::CreditMemo,
        DocKind::Acknowledgment,
        DocKind::Statement,
        DocKind::PurchaseOrder,
        DocKind::PickTicket,
        DocKind::PackingSlip,
        DocKind::CartonLabel,
        DocKind::BillOfLading,
        DocKind::RemittanceAdvice,
    ];

    /// The name `depot print` takes and the audit trail records.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Invoice => "invoice",
            DocKind::CreditMemo => "credit-memo",
            DocKind::Acknowledgment => "acknowledgment",
            DocKind::Statement => "statement",
            DocKind::PurchaseOrder => "purchase-order",
            DocKind::PickTicket => "pick-ticket",
            DocKind::PackingSlip => "packing-slip",
            DocKind::CartonLabel => "carton-label",
            DocKind::BillOfLading => "bill-of-lading",
            DocKind::RemittanceAdvice => "remittance-advice",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        let s = s.trim();
        DocKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .or(match s {
                "quote" | "order" => Some(DocKind::Acknowledgment),
                "po" => Some(DocKind::PurchaseOrder),
                "pick" => Some(DocKind::PickTicket),
                "label" => Some(DocKind::CartonLabel),
                "bol" => Some(DocKind::BillOfLading),
                "remittance" => Some(DocKind::RemittanceAdvice),
                _ => None,
            })
    }
}

impl std::fmt::Display for DocKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a document cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    #[error("{kind} {doc}: no such document")]
    NotFound { kind: DocKind, doc: String },
    #[error("{kind} {doc}: {problem}")]
    Incomplete {
        kind: DocKind,
        doc: String,
        problem: String,
    },
    #[error("{kind} {doc}: a carton is named LIST/N (e.g. PK-000003/1)")]
    CartonId { kind: DocKind, doc: String },
    #[error("format {format} is not available for {kind} (use {available})")]
    Format {
        kind: DocKind,
        format: &'static str,
        available: &'static str,
    },
    #[error("{kind} {doc}: the PDF could not be written: {problem}")]
    Pdf {
        kind: DocKind,
        doc: String,
        problem: String,
    },
}

/// Who sends the document: the entity's name, letterhead lines and tax
/// registration (from its document profile).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Letterhead {
    pub name: String,
    pub lines: Vec<String>,
    pub tax_registration: String,
}

/// A party named on the document (bill to, ship to, supplier...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub label: String,
    pub name: String,
    pub lines: Vec<String>,
}

/// A column of the document's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub title: String,
    /// Right-aligned (amounts, quantities).
    pub numeric: bool,
}

/// What a barcode encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbology {
    /// Code 128 of plain text (bins, items, document numbers).
    Code128,
    /// GS1-128: FNC1 first, then application identifiers.
    Gs1_128,
}

/// A barcode on the document: `data` is what a scanner reads back (for
/// GS1-128, the bracketed element string `(00)...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Barcode {
    pub label: String,
    pub symbology: Symbology,
    pub data: String,
}

/// A row of the table, with the barcodes printed under it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row {
    pub cells: Vec<String>,
    pub barcodes: Vec<Barcode>,
}

/// A total line: its label, its value, and how it prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Total {
    pub label: String,
    pub value: Decimal,
    pub text: String,
}

/// A document: a typed view of committed state as of record `as_of`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub kind: DocKind,
    /// What the document says it is ("INVOICE", "QUOTATION"...).
    pub title: String,
    pub number: String,
    /// A reprint: marked COPY.
    pub copy: bool,
    /// The log record whose state it shows.
    pub as_of: u64,
    pub letterhead: Letterhead,
    pub parties: Vec<Party>,
    /// Date, due date, terms, references: label and value.
    pub fields: Vec<(String, String)>,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub totals: Vec<Total>,
    /// Remittance, aging, remarks.
    pub notes: Vec<String>,
    /// Barcodes of the whole document (its number, the SSCC).
    pub barcodes: Vec<Barcode>,
}

impl Document {
    /// The value of a total line by its label.
    pub fn total(&self, label: &str) -> Option<Decimal> {
        self.totals
            .iter()
            .find(|t| t.label == label)
            .map(|t| t.value)
    }
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Pdf,
    Zpl,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Pdf => "pdf",
            Format::Zpl => "zpl",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s.trim() {
            "text" | "txt" => Some(Format::Text),
            "pdf" => Some(Format::Pdf),
            "zpl" => Some(Format::Zpl),
            _ => None,
        }
    }

    /// The file name extension of this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Pdf => "pdf",
            Format::Zpl => "zpl",
        }
    }
}

/// Render a document in a format: the bytes a printer or a file gets.
pub fn render(doc: &Document, format: Format) -> Result<Vec<u8>, DocError> {
    match format {
        Format::Text => Ok(text::render(doc).into_bytes()),
        Format::Pdf => pdf::render(doc),
        Format::Zpl => zpl::render(doc).map(String::into_bytes),
    }
}
