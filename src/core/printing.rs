//! Printers, document profiles and the print audit (issue 17). Plain
//! master data and records: the core never prints. The edge
//! (`crate::docs`) renders and sends a document, then records what
//! happened through `RecordPrint`, so that every print, success or
//! failure, is in the log (who, what, which printer, outcome).

use super::command::Command;
use super::event::Event;
use super::master::{Address, RecordKind};
use super::rejection::Rejection;
use super::state::State;
use super::types::Code;
use super::validate;
use serde::{Deserialize, Serialize};

/// How a printer is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterKind {
    /// A CUPS queue, through the `lp` command (`target`: the queue name).
    Lp,
    /// A label printer's raw port (`target`: `host:port`, usually 9100).
    Raw,
    /// Files written into a folder (`target`: the folder's path).
    Folder,
}

impl PrinterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrinterKind::Lp => "lp",
            PrinterKind::Raw => "raw",
            PrinterKind::Folder => "folder",
        }
    }
}

/// A printer (master data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Printer {
    pub code: Code,
    pub name: String,
    pub kind: PrinterKind,
    /// Queue name, `host:port` or folder path, by `kind`.
    pub target: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Whose default printer: an operator's, or a station's of a warehouse
/// (a packing bench, the counter).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterScope {
    Operator(Code),
    Station { warehouse: Code, station: Code },
}

/// What an entity's documents carry beyond its name: letterhead,
/// tax registration, remittance details, and the GS1 company prefix its
/// carton labels' SSCCs are numbered under.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentProfile {
    pub entity: Code,
    #[serde(default)]
    pub address: Address,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    /// VAT / GST / sales tax registration number, as printed.
    #[serde(default)]
    pub tax_registration: String,
    /// Remittance lines (bank, account, reference to quote).
    #[serde(default)]
    pub remittance: Vec<String>,
    /// GS1 company prefix (6 to 11 digits); empty: no SSCC labels.
    #[serde(default)]
    pub gs1_prefix: String,
}

/// How a print went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintStatus {
    Printed,
    Failed { reason: String },
}

/// One print of a document, as the audit trail keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintRecord {
    /// Document kind (`invoice`, `carton-label`, ...).
    pub kind: Code,
    /// Document number (a carton: `PK-000003/2`).
    pub doc: Code,
    /// The log record whose state the document was built from.
    pub as_of: u64,
    /// `pdf`, `text` or `zpl`.
    pub format: Code,
    /// The printer, or none when written to a file.
    #[serde(default)]
    pub printer: Option<Code>,
    /// Where it went (queue, address, path).
    #[serde(default)]
    pub destination: String,
    /// A reprint, marked COPY.
    pub copy: bool,
    pub status: PrintStatus,
    /// The day the document is dated (a statement's aging counts to it).
    #[serde(default)]
    pub date: Option<chrono::NaiveDate>,
}

/// What the state remembers of a document's prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintHistory {
    /// The state the first successful print was built from: every reprint
    /// is built from it too, so it shows the same figures.
    pub as_of: Option<u64>,
    /// And the day it was dated.
    #[serde(default)]
    pub date: Option<chrono::NaiveDate>,
    pub printed: u32,
    pub failed: u32,
    pub last: PrintRecord,
}

/// The longest text kept for a failed print's reason.
pub const REASON_LEN_MAX: usize = 200;

type D = Result<Vec<Event>, Rejection>;

fn target_problem(kind: PrinterKind, target: &str) -> Option<&'static str> {
    if target.trim().is_empty() {
        return Some("is empty");
    }
    if target.chars().count() > 200 {
        return Some("is longer than 200 characters");
    }
    if target.chars().any(|c| c.is_control()) {
        return Some("holds control characters");
    }
    match kind {
        PrinterKind::Raw => match target.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0) => {
                None
            }
            _ => Some("must be host:port (e.g. 10.0.0.5:9100)"),
        },
        PrinterKind::Lp => {
            if target.starts_with('-') || target.chars().any(char::is_whitespace) {
                Some("must be a CUPS queue name (no spaces, not starting with -)")
            } else {
                None
            }
        }
        PrinterKind::Folder => None,
    }
}

pub fn set_printer(state: &State, p: &Printer) -> D {
    validate::code("code", &p.code)?;
    validate::text("name", &p.name, true)?;
    if let Some(problem) = target_problem(p.kind, &p.target) {
        return Err(Rejection::InvalidText {
            field: "target".into(),
            problem: problem.into(),
        });
    }
    if state.printers.get(&p.code) == Some(p) {
        return Err(Rejection::NoChange);
    }
    Ok(vec![Event::PrinterSet(p.clone())])
}

pub fn set_default(state: &State, scope: &PrinterScope, printer: &Option<Code>) -> D {
    match scope {
        PrinterScope::Operator(op) => {
            if !state.operators.contains_key(op) {
                return Err(Rejection::NotFound {
                    kind: RecordKind::Operator,
                    key: op.chars().take(40).collect(),
                });
            }
        }
        PrinterScope::Station { warehouse, station } => {
            if !state.warehouses.contains_key(warehouse) {
                return Err(Rejection::NotFound {
                    kind: RecordKind::Warehouse,
                    key: warehouse.chars().take(40).collect(),
                });
            }
            validate::code("station", station)?;
        }
    }
    if let Some(code) = printer {
        let p = state
            .printers
            .get(code)
            .ok_or_else(|| Rejection::NotFound {
                kind: RecordKind::Printer,
                key: code.chars().take(40).collect(),
            })?;
        if !p.active {
            return Err(Rejection::Inactive {
                kind: RecordKind::Printer,
                key: p.code.to_string(),
            });
        }
    }
    if state.default_printers.get(scope) == printer.as_ref() {
        return Err(Rejection::NoChange);
    }
    Ok(vec![Event::DefaultPrinterSet {
        scope: scope.clone(),
        printer: printer.clone(),
    }])
}

pub fn set_profile(state: &State, p: &DocumentProfile) -> D {
    if !state.entities.contains_key(&p.entity) {
        return Err(Rejection::NotFound {
            kind: RecordKind::Entity,
            key: p.entity.chars().take(40).collect(),
        });
    }
    for (field, v) in [
        ("address.line1", &p.address.line1),
        ("address.line2", &p.address.line2),
        ("address.city", &p.address.city),
        ("address.region", &p.address.region),
        ("address.postcode", &p.address.postcode),
        ("address.country", &p.address.country),
        ("phone", &p.phone),
        ("email", &p.email),
        ("tax_registration", &p.tax_registration),
    ] {
        validate::text(field, v, false)?;
    }
    if p.remittance.len() > 8 {
        return Err(Rejection::out_of_range(
            "remittance",
            p.remittance.len(),
            "0",
            "8",
        ));
    }
    for line in &p.remittance {
        validate::text("remittance", line, false)?;
    }
    let prefix = &p.gs1_prefix;
    if !prefix.is_empty()
        && (!(6..=11).contains(&prefix.len()) || !prefix.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(Rejection::InvalidCode {
            field: "gs1_prefix".into(),
            value: prefix.chars().take(40).collect(),
            problem: "must be 6 to 11 digits (a GS1 company prefix)".into(),
        });
    }
    if state.doc_profiles.get(&p.entity) == Some(p) {
        return Err(Rejection::NoChange);
    }
    Ok(vec![Event::DocumentProfileSet(p.clone())])
}

pub fn record_print(state: &State, _cmd: &Command, r: &PrintRecord) -> D {
    validate::code("kind", &r.kind)?;
    validate::text("doc", &r.doc, true)?;
    validate::code("format", &r.format)?;
    validate::text("destination", &r.destination, false)?;
    if r.as_of > state.seq {
        return Err(Rejection::out_of_range("as_of", r.as_of, "0", state.seq));
    }
    if let Some(code) = &r.printer {
        if !state.printers.contains_key(code) {
            return Err(Rejection::NotFound {
                kind: RecordKind::Printer,
                key: code.chars().take(40).collect(),
            });
        }
    }
    if let PrintStatus::Failed { reason } = &r.status {
        validate::text("reason", reason, true)?;
    }
    Ok(vec![Event::DocumentPrinted(r.clone())])
}

pub fn apply_event(state: &mut State, event: &Event) {
    match event {
        Event::PrinterSet(p) => {
            state.printers.insert(p.code.clone(), p.clone());
        }
        Event::DefaultPrinterSet { scope, printer } => match printer {
            Some(p) => {
                state.default_printers.insert(scope.clone(), p.clone());
            }
            None => {
                state.default_printers.remove(scope);
            }
        },
        Event::DocumentProfileSet(p) => {
            state.doc_profiles.insert(p.entity.clone(), p.clone());
        }
        Event::DocumentPrinted(r) => {
            let key = (r.kind.clone(), r.doc.clone());
            let ok = r.status == PrintStatus::Printed;
            match state.prints.get_mut(&key) {
                Some(h) => {
                    if ok {
                        h.printed += 1;
                        if h.as_of.is_none() {
                            h.as_of = Some(r.as_of);
                            h.date = r.date;
                        }
                    } else {
                        h.failed += 1;
                    }
                    h.last = r.clone();
                }
                None => {
                    state.prints.insert(
                        key,
                        PrintHistory {
                            as_of: ok.then_some(r.as_of),
                            date: if ok { r.date } else { None },
                            printed: u32::from(ok),
                            failed: u32::from(!ok),
                            last: r.clone(),
                        },
                    );
                }
            }
        }
        _ => {}
    }
}

/// Make a text fit the print record (one line, at most
/// [`REASON_LEN_MAX`] characters): what the edge does to an OS error.
pub fn reason_text(s: &str) -> String {
    let one: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let t = one.trim();
    let t = if t.is_empty() { "failed" } else { t };
    t.chars().take(REASON_LEN_MAX).collect()
}
