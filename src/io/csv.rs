//! Master data as CSV (RFC 4180, one header row): the import path users
//! and the demo use, and the export that reads back the same.
//!
//! Each kind is a table of columns: header name, where the value goes in
//! the record (a dotted path), how the cell is read, whether a new record
//! needs it. A row whose key already exists becomes an update that changes
//! only the columns the file has; otherwise a create. Cells are checked
//! here for form (a decimal, a date, a known value); the core then checks
//! meaning (unknown codes, limits, decimals) when the commands are decided,
//! and an import is all or nothing. See docs/import.md.

use crate::core::master::{PostingKey, Record};
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::{CommandBody, State};
use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Every kind `depot import` and `depot export` know, in load order.
pub const KINDS: &[&str] = &[
    "entities",
    "accounts",
    "posting-rules",
    "fiscal-years",
    "warehouses",
    "bins",
    "tax-codes",
    "payment-terms",
    "carriers",
    "price-lists",
    "items",
    "list-prices",
    "customers",
    "contracts",
    "suppliers",
    "supplier-items",
    "fx-rates",
    "operators",
    "opening-stock",
    "replenishment",
    "document-profiles",
    "printers",
];

/// Documents `depot import` loads but does not export as master data:
/// a bank statement (`entity,statement,date,amount,reference,description`,
/// one command per entity and statement).
pub const DOCUMENT_KINDS: &[&str] = &["bank-statement"];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    #[error("unknown kind {kind:?}; the kinds are: {}, {}", KINDS.join(", "), DOCUMENT_KINDS.join(", "))]
    UnknownKind { kind: String },
    #[error("line 1: unknown column {column:?}; the columns of {kind} are: {known}")]
    UnknownColumn {
        kind: String,
        column: String,
        known: String,
    },
    #[error("line 1: column {column:?} appears twice")]
    DuplicateColumn { column: String },
    #[error("line 1: the file has no column {column:?}, which {kind} needs")]
    MissingColumn { kind: String, column: String },
    #[error("line {line}: {problem}")]
    Malformed { line: u64, problem: String },
    /// A quote out of place; `column` counts characters from 1, as an
    /// editor shows it.
    #[error("line {line}, column {column}: {problem}")]
    Quote {
        line: u64,
        column: u64,
        problem: String,
    },
    #[error("line {line}, column {column}: {value:?} {problem}")]
    Cell {
        line: u64,
        column: String,
        value: String,
        problem: String,
    },
    #[error("line {line}: {problem}")]
    Row { line: u64, problem: String },
    #[error("cannot export {kind}: {problem}")]
    Export { kind: String, problem: String },
}

/// How a cell is read (and written back).
#[derive(Clone, Copy, Debug)]
pub enum T {
    /// Any text (may be empty).
    Text,
    /// A decimal number.
    Dec,
    /// A decimal number or empty (none).
    OptDec,
    /// A whole number >= 0.
    Int,
    /// A whole number or empty (none).
    OptInt,
    /// A decimal number, or empty for the given default.
    DecOr(&'static str),
    /// A whole number, or empty for the given default.
    IntOr(u32),
    Bool,
    Date,
    /// Text, or empty for none.
    OptText,
    /// One of the listed values.
    Enum(&'static [&'static str]),
    /// One of the listed values, or empty for none.
    OptEnum(&'static [&'static str]),
    /// `a;b;c` of the listed values.
    EnumList(&'static [&'static str]),
    /// `a;b;c` of texts.
    List,
    /// `5;7;9` whole numbers.
    IntList,
    /// `CASE=12;PALLET=480`: alternate units and their factors.
    Units,
    /// `4006381333931=EA;14006381333938=CASE` (a bare code is the base unit).
    Barcodes,
    /// `10=9.50;50=9.00`: minimum quantity = unit price.
    Breaks,
    /// `GND|Ground|17:00|3;EXP|Express|15:00|1`: code|name|cutoff|transit days.
    Services,
    /// `MAIN|12 Dock Rd|Springfield|IL|62701|US;...`: code|line1|city|region|postcode|country.
    ShipTos,
}

const ROLES: &[&str] = &[
    "counter_clerk",
    "sales_rep",
    "picker",
    "packer",
    "shipper",
    "receiver",
    "buyer",
    "ar_clerk",
    "ap_clerk",
    "controller",
    "supervisor",
    "admin",
    "data_steward",
];
const CHANNELS: &[&str] = &[
    "counter",
    "field",
    "phone",
    "retail_chain",
    "industrial",
    "ecommerce",
];
const ACCOUNT_KINDS: &[&str] = &["asset", "liability", "equity", "revenue", "expense"];
const CONTROLS: &[&str] = &["receivables", "payables", "inventory"];
const BIN_KINDS: &[&str] = &["pick_face", "bulk", "dock", "quarantine"];
const ABC: &[&str] = &["A", "B", "C"];
const FREIGHT: &[&str] = &["prepaid", "prepaid_and_add", "collect"];

/// One column: header, JSON path, cell type, needed to create.
type Col = (&'static str, &'static str, T, bool);

const ADDRESS: [Col; 6] = [
    ("address_line1", "address.line1", T::Text, false),
    ("address_line2", "address.line2", T::Text, false),
    ("city", "address.city", T::Text, false),
    ("region", "address.region", T::Text, false),
    ("postcode", "address.postcode", T::Text, false),
    ("country", "address.country", T::Text, false),
];

/// How the rows of a kind become commands.
#[derive(Clone, Copy)]
enum Shape {
    /// A master record (`Record` variant name), keyed by these columns.
    Record(&'static str, &'static [&'static str]),
    PostingRules,
    FiscalYears,
    ListPrices,
    SupplierItems,
    FxRates,
    OpeningStock,
    BankStatement,
    /// Printers and document profiles: set whole by one command
    /// (`set_printer`, `set_document_profile`), keyed by their first column.
    Printers,
    DocumentProfiles,
}

struct Kind {
    name: &'static str,
    shape: Shape,
    cols: Vec<Col>,
}

/// The header names of an import kind, each with whether it is required
/// (None: no such kind): what `io::classify` matches a file's header to.
pub fn columns(name: &str) -> Option<Vec<(&'static str, bool)>> {
    kind(name).map(|k| k.cols.iter().map(|c| (c.0, c.3)).collect())
}

fn kind(name: &str) -> Option<Kind> {
    use T::*;
    let (shape, cols): (Shape, Vec<Col>) = match name {
        "entities" => (
            Shape::Record("entity", &["code"]),
            vec![
                ("code", "code", Text, true),
                ("name", "name", Text, true),
                ("base_currency", "base_currency", Text, true),
                ("tax_jurisdiction", "tax_jurisdiction", Text, true),
                (
                    "fiscal_year_start_month",
                    "fiscal_year_start_month",
                    Int,
                    false,
                ),
                (
                    "adjustment_approval_limit",
                    "adjustment_approval_limit",
                    Dec,
                    false,
                ),
                ("po_approval_limit", "po_approval_limit", Dec, false),
            ],
        ),
        "accounts" => (
            Shape::Record("account", &["entity", "code"]),
            vec![
                ("entity", "entity", Text, true),
                ("code", "code", Text, true),
                ("name", "name", Text, true),
                ("kind", "kind", Enum(ACCOUNT_KINDS), true),
                ("control", "control", OptEnum(CONTROLS), false),
            ],
        ),
        "posting-rules" => (
            Shape::PostingRules,
            vec![
                ("entity", "entity", Text, true),
                ("key", "key", Enum(POSTING_KEYS), true),
                ("account", "account", Text, true),
            ],
        ),
        "fiscal-years" => (
            Shape::FiscalYears,
            vec![
                ("entity", "entity", Text, true),
                ("year", "year", Int, true),
            ],
        ),
        "warehouses" => {
            let mut v = vec![
                ("code", "code", Text, true),
                ("entity", "entity", Text, true),
                ("name", "name", Text, true),
            ];
            v.extend(ADDRESS);
            (Shape::Record("warehouse", &["code"]), v)
        }
        "bins" => (
            Shape::Record("bin", &["warehouse", "code"]),
            vec![
                ("warehouse", "warehouse", Text, true),
                ("code", "code", Text, true),
                ("zone", "zone", Text, true),
                ("aisle", "aisle", Text, true),
                ("pick_seq", "pick_seq", Int, true),
                ("kind", "kind", Enum(BIN_KINDS), true),
            ],
        ),
        "items" => (
            Shape::Record("item", &["sku"]),
            vec![
                ("sku", "sku", Text, true),
                ("description", "description", Text, true),
                ("base_unit", "base_unit", Text, true),
                ("qty_decimals", "qty_decimals", Int, false),
                ("alt_units", "alt_units", Units, false),
                ("barcodes", "barcodes", Barcodes, false),
                ("weight_kg", "weight_kg", Dec, true),
                ("tax_class", "tax_class", Text, true),
                ("abc", "abc", Enum(ABC), true),
                ("category", "category", Text, true),
                ("lot_tracked", "lot_tracked", Bool, false),
                ("margin_floor_pct", "margin_floor_pct", OptDec, false),
                ("active", "active", Bool, false),
            ],
        ),
        "customers" => (
            Shape::Record("customer", &["code"]),
            vec![
                ("code", "code", Text, true),
                ("name", "name", Text, true),
                ("entity", "entity", Text, true),
                ("channel", "channel", Enum(CHANNELS), true),
                ("currency", "currency", Text, true),
                ("terms", "terms", Text, true),
                ("credit_limit", "credit_limit", Dec, true),
                ("grace_days", "grace_days", Int, false),
                ("tax_exempt_cert", "tax_exempt_cert", Text, false),
                ("price_list", "price_list", Text, true),
                ("bill_line1", "bill_to.line1", Text, false),
                ("bill_line2", "bill_to.line2", Text, false),
                ("bill_city", "bill_to.city", Text, false),
                ("bill_region", "bill_to.region", Text, false),
                ("bill_postcode", "bill_to.postcode", Text, false),
                ("bill_country", "bill_to.country", Text, false),
                ("ship_to", "ship_to", ShipTos, false),
                ("ship_complete", "ship_policy.ship_complete", Bool, false),
                ("carrier", "ship_policy.carrier", OptText, false),
                ("service", "ship_policy.service", OptText, false),
                (
                    "freight_terms",
                    "ship_policy.freight_terms",
                    Enum(FREIGHT),
                    false,
                ),
                (
                    "must_arrive_within_days",
                    "ship_policy.must_arrive_within_days",
                    OptInt,
                    false,
                ),
                ("collections_name", "collections.name", Text, false),
                ("collections_email", "collections.email", Text, false),
                ("collections_phone", "collections.phone", Text, false),
                ("active", "active", Bool, false),
            ],
        ),
        "suppliers" => {
            let mut v = vec![
                ("code", "code", Text, true),
                ("name", "name", Text, true),
                ("entity", "entity", Text, true),
                ("currency", "currency", Text, true),
                ("terms", "terms", Text, true),
                ("lead_time_days", "lead_time_days", Int, true),
                ("lead_time_history", "lead_time_history", IntList, false),
                ("min_order_amount", "min_order_amount", Dec, false),
                ("active", "active", Bool, false),
            ];
            v.extend(ADDRESS);
            (Shape::Record("supplier", &["code"]), v)
        }
        "supplier-items" => (
            Shape::SupplierItems,
            vec![
                ("supplier", "supplier", Text, true),
                ("sku", "sku", Text, true),
                ("supplier_sku", "supplier_sku", Text, true),
                ("price", "price", Dec, true),
                ("unit", "unit", Text, true),
                ("min_qty", "min_qty", Dec, false),
            ],
        ),
        "price-lists" => (
            Shape::Record("price_list", &["code"]),
            vec![
                ("code", "code", Text, true),
                ("name", "name", Text, true),
                ("currency", "currency", Text, true),
            ],
        ),
        "list-prices" => (
            Shape::ListPrices,
            vec![
                ("price_list", "price_list", Text, true),
                ("sku", "sku", Text, true),
                ("price", "price", Dec, true),
                ("breaks", "breaks", Breaks, false),
            ],
        ),
        "contracts" => (
            Shape::Record("contract_price", &["code"]),
            vec![
                ("code", "code", Text, true),
                ("customer", "customer", Text, true),
                ("sku", "sku", Text, true),
                ("currency", "currency", Text, true),
                ("price", "price", Dec, true),
                ("valid_from", "valid_from", Date, true),
                ("valid_to", "valid_to", Date, true),
                ("breaks", "breaks", Breaks, false),
            ],
        ),
        "tax-codes" => (
            Shape::Record("tax_code", &["code"]),
            vec![
                ("code", "code", Text, true),
                ("jurisdiction", "jurisdiction", Text, true),
                ("tax_class", "tax_class", Text, true),
                ("rate_pct", "rate_pct", Dec, true),
                ("description", "description", Text, true),
            ],
        ),
        "carriers" => (
            Shape::Record("carrier", &["code"]),
            vec![
                ("code", "code", Text, true),
                ("name", "name", Text, true),
                ("services", "services", Services, true),
            ],
        ),
        "payment-terms" => (
            Shape::Record("payment_terms", &["code"]),
            vec![
                ("code", "code", Text, true),
                ("description", "description", Text, true),
                ("net_days", "net_days", Int, true),
                ("discount_days", "discount_days", Int, false),
                ("discount_pct", "discount_pct", Dec, false),
            ],
        ),
        "fx-rates" => (
            Shape::FxRates,
            vec![
                ("from", "from", Text, true),
                ("to", "to", Text, true),
                ("date", "date", Date, true),
                ("rate", "rate", Dec, true),
            ],
        ),
        "operators" => (
            Shape::Record("operator", &["code"]),
            vec![
                ("code", "code", Text, true),
                ("name", "name", Text, true),
                ("roles", "roles", EnumList(ROLES), true),
                ("default_warehouse", "default_warehouse", OptText, false),
                ("keymap", "keymap", Text, false),
                ("ssh_keys", "ssh_keys", List, false),
                ("active", "active", Bool, false),
            ],
        ),
        "replenishment" => (
            Shape::Record("replenishment", &["warehouse", "sku"]),
            vec![
                ("warehouse", "warehouse", Text, true),
                ("sku", "sku", Text, true),
                (
                    "method",
                    "method",
                    Enum(&["min_max", "reorder_point"]),
                    true,
                ),
                ("min", "min", DecOr("0"), false),
                ("max", "max", DecOr("0"), false),
                ("service_level_pct", "service_level_pct", DecOr("95"), false),
                ("review_days", "review_days", IntOr(0), false),
                ("history_weeks", "history_weeks", IntOr(13), false),
                ("supplier", "supplier", OptText, false),
                ("active", "active", Bool, false),
            ],
        ),
        "opening-stock" => (
            Shape::OpeningStock,
            vec![
                ("warehouse", "warehouse", Text, true),
                ("bin", "bin", Text, true),
                ("sku", "sku", Text, true),
                ("qty", "qty", Dec, true),
                ("unit", "unit", OptText, false),
                ("unit_cost", "unit_cost", Dec, true),
                ("lot", "lot", OptText, false),
                ("date", "date", OptText, false),
                ("expiry", "expiry", OptText, false),
            ],
        ),
        "printers" => (
            Shape::Printers,
            vec![
                ("code", "code", Text, true),
                ("name", "name", Text, true),
                ("kind", "kind", Enum(&["lp", "raw", "folder"]), true),
                ("target", "target", Text, true),
                ("active", "active", Bool, false),
            ],
        ),
        "document-profiles" => {
            let mut v = vec![("entity", "entity", Text, true)];
            v.extend(ADDRESS);
            v.extend([
                ("phone", "phone", Text, false),
                ("email", "email", Text, false),
                ("tax_registration", "tax_registration", Text, false),
                ("remittance", "remittance", List, false),
                ("gs1_prefix", "gs1_prefix", Text, false),
            ]);
            (Shape::DocumentProfiles, v)
        }
        "bank-statement" => (
            Shape::BankStatement,
            vec![
                ("entity", "entity", Text, true),
                ("statement", "statement", Text, true),
                ("date", "date", Date, true),
                ("amount", "amount", Dec, true),
                ("reference", "reference", Text, false),
                ("description", "description", Text, false),
            ],
        ),
        _ => return None,
    };
    let name = KINDS.iter().chain(DOCUMENT_KINDS).find(|k| **k == name)?;
    Some(Kind { name, shape, cols })
}

const POSTING_KEYS: &[&str] = &[
    "inventory",
    "cogs",
    "grni",
    "receivables",
    "payables",
    "revenue",
    "sales_returns",
    "sales_tax",
    "freight_income",
    "bank",
    "sales_discount",
    "purchase_discount",
    "write_off",
    "purchase_price_variance",
    "inventory_adjustment",
    "opening_balance",
    "fx_gain",
    "fx_loss",
    "intercompany_due_from",
    "intercompany_due_to",
    "in_transit",
    "unapplied_cash",
    "unrealised_fx_gain",
    "unrealised_fx_loss",
    "bank_charges",
    "retained_earnings",
];

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(';').map(str::trim).filter(|p| !p.is_empty())
}

fn dec(s: &str) -> Result<Decimal, String> {
    crate::core::types::parse_decimal(s.trim()).map_err(str::to_string)
}

/// A number inside a list cell (`24=9.50;48=abc`): the error names it,
/// since the cell holds others.
fn dec_in(s: &str) -> Result<Decimal, String> {
    dec(s).map_err(|e| format!("has {:?}, which {e}", s.trim()))
}

fn int(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u32>()
        .map(u64::from)
        .map_err(|_| "is not a whole number (0 to 4294967295)".to_string())
}

fn one_of(s: &str, allowed: &[&str]) -> Result<Value, String> {
    let t = s.trim();
    if allowed.contains(&t) {
        Ok(json!(t))
    } else {
        Err(format!("is not one of: {}", allowed.join(", ")))
    }
}

fn pairs(s: &str) -> Result<Vec<(&str, &str)>, String> {
    split_list(s)
        .map(|p| {
            p.split_once('=')
                .map(|(a, b)| (a.trim(), b.trim()))
                .ok_or_else(|| format!("has {p:?} where NAME=VALUE was expected"))
        })
        .collect()
}

/// Read one cell into its JSON value.
pub fn read_cell(t: T, s: &str) -> Result<Value, String> {
    let s_trim = s.trim();
    Ok(match t {
        T::Text => json!(s_trim),
        T::OptText => {
            if s_trim.is_empty() {
                Value::Null
            } else {
                json!(s_trim)
            }
        }
        T::Dec => json!(dec(s)?.to_string()),
        T::OptDec => {
            if s_trim.is_empty() {
                Value::Null
            } else {
                json!(dec(s)?.to_string())
            }
        }
        T::Int => json!(int(s)?),
        T::DecOr(d) if s_trim.is_empty() => json!(d),
        T::DecOr(_) => json!(dec(s)?.to_string()),
        T::IntOr(d) if s_trim.is_empty() => json!(d),
        T::IntOr(_) => json!(int(s)?),
        T::OptInt => {
            if s_trim.is_empty() {
                Value::Null
            } else {
                json!(int(s)?)
            }
        }
        T::Bool => match s_trim.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => json!(true),
            "false" | "no" | "n" | "0" | "" => json!(false),
            _ => return Err("is not true or false".into()),
        },
        T::Date => json!(NaiveDate::parse_from_str(s_trim, "%Y-%m-%d")
            .map_err(|_| "is not a date (YYYY-MM-DD)".to_string())?
            .to_string()),
        T::Enum(allowed) => one_of(s, allowed)?,
        T::OptEnum(allowed) => {
            if s_trim.is_empty() {
                Value::Null
            } else {
                one_of(s, allowed)?
            }
        }
        T::EnumList(allowed) => Value::Array(
            split_list(s)
                .map(|p| one_of(p, allowed))
                .collect::<Result<_, _>>()?,
        ),
        T::List => Value::Array(split_list(s).map(|p| json!(p)).collect()),
        T::IntList => Value::Array(
            split_list(s)
                .map(|p| int(p).map(|n| json!(n)))
                .collect::<Result<_, _>>()?,
        ),
        T::Units => Value::Array(
            pairs(s)?
                .into_iter()
                .map(|(u, f)| Ok(json!({"unit": u, "factor": dec_in(f)?.to_string()})))
                .collect::<Result<_, String>>()?,
        ),
        T::Barcodes => Value::Array(
            split_list(s)
                .map(|p| match p.split_once('=') {
                    Some((c, u)) => json!({"code": c.trim(), "unit": u.trim()}),
                    None => json!({"code": p, "unit": ""}),
                })
                .collect(),
        ),
        T::Breaks => Value::Array(
            pairs(s)?
                .into_iter()
                .map(|(q, p)| {
                    Ok(json!({"min_qty": dec_in(q)?.to_string(), "price": dec_in(p)?.to_string()}))
                })
                .collect::<Result<_, String>>()?,
        ),
        T::Services => Value::Array(
            split_list(s)
                .map(|p| {
                    let f: Vec<&str> = p.split('|').map(str::trim).collect();
                    let [code, name, cutoff, days] = f.as_slice() else {
                        return Err(format!("has {p:?} where CODE|NAME|HH:MM|DAYS was expected"));
                    };
                    let cutoff = NaiveTime::parse_from_str(cutoff, "%H:%M")
                        .map_err(|_| format!("has cutoff {cutoff:?}, not HH:MM"))?;
                    Ok(json!({"code": code, "name": name,
                              "cutoff": cutoff.format("%H:%M:%S").to_string(),
                              "transit_days": int(days)?}))
                })
                .collect::<Result<_, String>>()?,
        ),
        T::ShipTos => Value::Array(
            split_list(s)
                .map(|p| {
                    let f: Vec<&str> = p.split('|').map(str::trim).collect();
                    let [code, line1, city, region, postcode, country] = f.as_slice() else {
                        return Err(format!(
                            "has {p:?} where CODE|LINE1|CITY|REGION|POSTCODE|COUNTRY was expected"
                        ));
                    };
                    Ok(
                        json!({"code": code, "address": {"line1": line1, "line2": "",
                        "city": city, "region": region, "postcode": postcode, "country": country}}),
                    )
                })
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// Write a JSON value back as a cell (the inverse of `read_cell`).
pub fn write_cell(t: T, v: &Value) -> String {
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let arr = || v.as_array().cloned().unwrap_or_default();
    match t {
        T::Bool => match v {
            Value::Bool(true) => "true".into(),
            _ => "false".into(),
        },
        T::EnumList(_) | T::List | T::IntList => arr().iter().map(s).collect::<Vec<_>>().join(";"),
        T::Units => arr()
            .iter()
            .map(|u| format!("{}={}", s(&u["unit"]), s(&u["factor"])))
            .collect::<Vec<_>>()
            .join(";"),
        T::Barcodes => arr()
            .iter()
            .map(|b| format!("{}={}", s(&b["code"]), s(&b["unit"])))
            .collect::<Vec<_>>()
            .join(";"),
        T::Breaks => arr()
            .iter()
            .map(|b| format!("{}={}", s(&b["min_qty"]), s(&b["price"])))
            .collect::<Vec<_>>()
            .join(";"),
        T::Services => arr()
            .iter()
            .map(|c| {
                let cutoff = s(&c["cutoff"]);
                format!(
                    "{}|{}|{}|{}",
                    s(&c["code"]),
                    s(&c["name"]),
                    cutoff.get(..5).unwrap_or(&cutoff),
                    s(&c["transit_days"])
                )
            })
            .collect::<Vec<_>>()
            .join(";"),
        T::ShipTos => arr()
            .iter()
            .map(|x| {
                let a = &x["address"];
                format!(
                    "{}|{}|{}|{}|{}|{}",
                    s(&x["code"]),
                    s(&a["line1"]),
                    s(&a["city"]),
                    s(&a["region"]),
                    s(&a["postcode"]),
                    s(&a["country"])
                )
            })
            .collect::<Vec<_>>()
            .join(";"),
        _ => s(v),
    }
}

fn set_path(obj: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            obj.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let entry = obj
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Some(inner) = entry.as_object_mut() {
                set_path(inner, rest, value);
            }
        }
    }
}

fn get_path<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, p| &v[p])
}

/// The existing record a row updates, as JSON (None: the row creates).
fn existing(state: &State, record: &str, key: &[String]) -> Option<Value> {
    let k0: Code = key
        .first()
        .map(|k| Code::from(k.as_str()))
        .unwrap_or_default();
    let k1: Code = key
        .get(1)
        .map(|k| Code::from(k.as_str()))
        .unwrap_or_default();
    let v = match record {
        "entity" => serde_json::to_value(state.entities.get(&k0)?),
        "account" => serde_json::to_value(state.accounts.get(&(k0, k1))?),
        "warehouse" => serde_json::to_value(state.warehouses.get(&k0)?),
        "bin" => serde_json::to_value(state.bins.get(&(k0, k1))?),
        "item" => serde_json::to_value(state.items.get(&k0)?),
        "customer" => serde_json::to_value(state.customers.get(&k0)?),
        "supplier" => serde_json::to_value(state.suppliers.get(&k0)?),
        "price_list" => serde_json::to_value(state.price_lists.get(&k0)?),
        "contract_price" => serde_json::to_value(state.contracts.get(&k0)?),
        "tax_code" => serde_json::to_value(state.tax_codes.get(&k0)?),
        "carrier" => serde_json::to_value(state.carriers.get(&k0)?),
        "payment_terms" => serde_json::to_value(state.terms.get(&k0)?),
        "operator" => serde_json::to_value(state.operators.get(&k0)?),
        "replenishment" => serde_json::to_value(state.replenishment.get(&(k0, k1))?),
        _ => return None,
    };
    v.ok()
}

/// Parse a CSV file of `kind` into the commands that load it.
pub fn parse(kind_name: &str, text: &str, state: &State) -> Result<Vec<CommandBody>, ImportError> {
    Ok(parse_lines(kind_name, text, state)?
        .into_iter()
        .map(|(_, c)| c)
        .collect())
}

/// As [`parse`], with the line each command comes from (its first row's).
pub fn parse_lines(
    kind_name: &str,
    text: &str,
    state: &State,
) -> Result<Vec<(u64, CommandBody)>, ImportError> {
    Ok(parse_rows(kind_name, text, state)?
        .into_iter()
        .map(|(rows, c)| (rows.first().copied().unwrap_or(0), c))
        .collect())
}

/// As [`parse`], with the lines of the rows each command comes from, in
/// order: one row for most kinds; for a bank statement, the row of each
/// of its `lines`.
pub fn parse_rows(
    kind_name: &str,
    text: &str,
    state: &State,
) -> Result<Vec<(Vec<u64>, CommandBody)>, ImportError> {
    let kind = kind(kind_name).ok_or_else(|| ImportError::UnknownKind {
        kind: kind_name.to_string(),
    })?;
    let text = text.trim_start_matches('\u{feff}');
    check_quotes(text)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Malformed {
            line: 1,
            problem: e.to_string(),
        })?
        .clone();
    // Map header positions to columns.
    let mut cols: Vec<Col> = Vec::new();
    let mut seen = BTreeSet::new();
    for h in headers.iter() {
        let h = h.trim();
        let col =
            kind.cols
                .iter()
                .find(|c| c.0 == h)
                .ok_or_else(|| ImportError::UnknownColumn {
                    kind: kind.name.to_string(),
                    column: h.to_string(),
                    known: kind.cols.iter().map(|c| c.0).collect::<Vec<_>>().join(", "),
                })?;
        if !seen.insert(h.to_string()) {
            return Err(ImportError::DuplicateColumn {
                column: h.to_string(),
            });
        }
        cols.push(*col);
    }
    let key_cols: Vec<&str> = match kind.shape {
        Shape::Record(_, keys) => keys.to_vec(),
        _ => kind.cols.iter().filter(|c| c.3).map(|c| c.0).collect(),
    };
    for k in &key_cols {
        if !seen.contains(*k) {
            return Err(ImportError::MissingColumn {
                kind: kind.name.to_string(),
                column: k.to_string(),
            });
        }
    }
    let mut rows: Vec<(u64, Map<String, Value>)> = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| ImportError::Malformed {
            line: e.position().map(|p| p.line()).unwrap_or(0),
            problem: match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("has {len} fields where the header has {expected_len}"),
                _ => e.to_string(),
            },
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut obj = Map::new();
        for (cell, col) in rec.iter().zip(&cols) {
            let value = read_cell(col.2, cell).map_err(|problem| ImportError::Cell {
                line,
                column: col.0.to_string(),
                value: cell.to_string(),
                problem,
            })?;
            if col.3 && value == json!("") {
                return Err(ImportError::Cell {
                    line,
                    column: col.0.to_string(),
                    value: cell.to_string(),
                    problem: "is empty but required".into(),
                });
            }
            set_path(&mut obj, col.1, value);
        }
        rows.push((line, obj));
    }
    build(&kind, &cols, rows, state)
}

/// The file's quoting, by RFC 4180, which the `csv` crate reads leniently:
/// it takes `"NETW"x` as `NETWx` and reads an unterminated quote to the
/// end of the file, reporting a count of fields instead. A quoted field
/// ends at its closing quote (a quote inside it is written twice), and
/// every opened quote closes. A quote inside an unquoted field (`1/4"`)
/// is text, as the crate reads it.
pub fn check_quotes(text: &str) -> Result<(), ImportError> {
    #[derive(PartialEq)]
    enum At {
        FieldStart,
        Unquoted,
        Quoted,
        /// A quote inside a quoted field: its end, or the first of `""`.
        QuoteInQuoted,
    }
    let mut at = At::FieldStart;
    let (mut line, mut column) = (1u64, 0u64);
    let mut opened = (1u64, 1u64);
    for c in text.chars() {
        column += 1;
        at = match (at, c) {
            (At::Quoted, '"') => At::QuoteInQuoted,
            (At::Quoted, _) => At::Quoted,
            (At::QuoteInQuoted, '"') => At::Quoted,
            (At::FieldStart, '"') => {
                opened = (line, column);
                At::Quoted
            }
            (_, ',' | '\n' | '\r') => At::FieldStart,
            (At::QuoteInQuoted, _) => {
                return Err(ImportError::Quote {
                    line,
                    column,
                    problem: format!(
                        "{c:?} after the closing quote of a field (a field in quotes ends \
                         at its quote; a quote inside it is written twice: \"\")"
                    ),
                })
            }
            (_, _) => At::Unquoted,
        };
        if c == '\n' {
            (line, column) = (line + 1, 0);
        }
    }
    if at == At::Quoted {
        return Err(ImportError::Quote {
            line: opened.0,
            column: opened.1,
            problem: "this quote opens a field that never closes (no closing quote before \
                      the end of the file)"
                .into(),
        });
    }
    Ok(())
}

fn text_of(obj: &Map<String, Value>, k: &str) -> String {
    obj.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn from_json<D: serde::de::DeserializeOwned>(line: u64, v: Value) -> Result<D, ImportError> {
    serde_json::from_value(v).map_err(|e| ImportError::Row {
        line,
        problem: e.to_string(),
    })
}

fn build(
    kind: &Kind,
    cols: &[Col],
    rows: Vec<(u64, Map<String, Value>)>,
    state: &State,
) -> Result<Vec<(Vec<u64>, CommandBody)>, ImportError> {
    let mut out = Vec::with_capacity(rows.len());
    // A key on two rows: which one is meant? Refuse, naming both lines,
    // rather than let the last win or post both (records and printers
    // name their own below).
    if let Some((what, keys)) = row_key(&kind.shape) {
        let mut first_line: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        for (line, obj) in &rows {
            let key: Vec<String> = keys
                .iter()
                .map(|k| match obj.get(*k) {
                    Some(Value::String(s)) => s.clone(),
                    None | Some(Value::Null) => String::new(),
                    Some(v) => v.to_string(),
                })
                .collect();
            if let Some(first) = first_line.insert(key.clone(), *line) {
                let named: Vec<String> = keys
                    .iter()
                    .zip(&key)
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect();
                return Err(ImportError::Row {
                    line: *line,
                    problem: format!(
                        "{what} of {} is on line {first} too: a file may hold each record once",
                        named.join(", ")
                    ),
                });
            }
        }
    }
    match kind.shape {
        Shape::Record(record, keys) => {
            let mut created: BTreeMap<Vec<String>, Value> = BTreeMap::new();
            let mut first_line: BTreeMap<Vec<String>, u64> = BTreeMap::new();
            for (line, obj) in rows {
                let key: Vec<String> = keys.iter().map(|k| text_of(&obj, k)).collect();
                // Twice in one file: which row is meant? Refuse rather than
                // let the last one win.
                if let Some(first) = first_line.insert(key.clone(), line) {
                    return Err(ImportError::Row {
                        line,
                        problem: format!(
                            "{} {} is on line {first} too: a file may hold each record once",
                            record.replace('_', " "),
                            key.join("/")
                        ),
                    });
                }
                let base = created
                    .get(&key)
                    .cloned()
                    .or_else(|| existing(state, record, &key));
                let create = base.is_none();
                let mut merged = match base {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                if create {
                    for c in kind.cols.iter().filter(|c| c.3) {
                        if !cols.iter().any(|x| x.0 == c.0) {
                            return Err(ImportError::Row {
                                line,
                                problem: format!(
                                    "column {} is needed to create {} {}",
                                    c.0,
                                    record.replace('_', " "),
                                    key.join("/")
                                ),
                            });
                        }
                    }
                }
                for c in cols {
                    set_path(
                        &mut merged,
                        c.1,
                        get_path(&Value::Object(obj.clone()), c.1).clone(),
                    );
                }
                if record == "item" {
                    fill_barcode_units(&mut merged);
                }
                if record == "customer" && create {
                    let sp = merged.entry("ship_policy").or_insert_with(|| json!({}));
                    if let Some(sp) = sp.as_object_mut() {
                        sp.entry("ship_complete").or_insert(json!(false));
                        sp.entry("freight_terms").or_insert(json!("prepaid"));
                    }
                    merged.entry("bill_to").or_insert_with(|| json!({}));
                }
                if record == "carrier" || record == "price_list" || record == "supplier" {
                    // Fields kept from the stored record, or empty on create.
                    if record == "price_list" {
                        merged.entry("prices").or_insert_with(|| json!({}));
                    }
                }
                let value = Value::Object(merged);
                created.insert(key.clone(), value.clone());
                let rec: Record = from_json(line, json!({ record: value.clone() }))?;
                // A row that changes nothing is skipped, so a whole file
                // can be imported again with a few edits.
                let unchanged = !create && existing(state, record, &key).as_ref() == Some(&value);
                if !unchanged {
                    out.push((vec![line], CommandBody::upsert(rec, create)));
                }
            }
        }
        Shape::Printers | Shape::DocumentProfiles => {
            let printers = matches!(kind.shape, Shape::Printers);
            let mut seen: BTreeMap<String, u64> = BTreeMap::new();
            for (line, obj) in rows {
                let key = text_of(&obj, if printers { "code" } else { "entity" });
                if let Some(first) = seen.insert(key.clone(), line) {
                    return Err(ImportError::Row {
                        line,
                        problem: format!(
                            "{key} is on line {first} too: a file may hold each record once"
                        ),
                    });
                }
                // Columns left out keep what is stored.
                let stored = if printers {
                    state.printers.get(&key.to_code()).map(serde_json::to_value)
                } else {
                    state
                        .doc_profiles
                        .get(&key.to_code())
                        .map(serde_json::to_value)
                };
                let mut merged = match stored {
                    Some(Ok(Value::Object(m))) => m,
                    _ => Map::new(),
                };
                for c in cols {
                    set_path(
                        &mut merged,
                        c.1,
                        get_path(&Value::Object(obj.clone()), c.1).clone(),
                    );
                }
                if printers {
                    let p: crate::core::printing::Printer = from_json(line, Value::Object(merged))?;
                    if state.printers.get(&p.code) != Some(&p) {
                        out.push((vec![line], CommandBody::SetPrinter(p)));
                    }
                } else {
                    let p: crate::core::printing::DocumentProfile =
                        from_json(line, Value::Object(merged))?;
                    if state.doc_profiles.get(&p.entity) != Some(&p) {
                        out.push((vec![line], CommandBody::SetDocumentProfile(p)));
                    }
                }
            }
        }
        Shape::PostingRules => {
            for (line, obj) in rows {
                let key = PostingKey::parse(&text_of(&obj, "key")).ok_or(ImportError::Row {
                    line,
                    problem: "unknown posting key".into(),
                })?;
                let entity = text_of(&obj, "entity");
                let account = text_of(&obj, "account");
                if state
                    .posting_rules
                    .get(&(Code::from(entity.as_str()), key))
                    .map(Code::as_str)
                    == Some(account.as_str())
                {
                    continue;
                }
                out.push((
                    vec![line],
                    CommandBody::SetPostingRule {
                        entity: entity.into(),
                        key,
                        account: account.into(),
                    },
                ));
            }
        }
        Shape::FiscalYears => {
            for (line, obj) in rows {
                let year = obj.get("year").and_then(Value::as_i64).unwrap_or(0);
                let year = i32::try_from(year).map_err(|_| ImportError::Row {
                    line,
                    problem: "year out of range".into(),
                })?;
                // A year already defined, with these very periods (open
                // or not), changes nothing: skipped, so an exported file
                // imports again. One that differs is left to the core.
                let entity = text_of(&obj, "entity");
                let defined = state
                    .entities
                    .get(&entity.to_code())
                    .and_then(|e| crate::core::decide::fiscal_year_periods(e, year).ok())
                    .is_some_and(|periods| {
                        periods.iter().all(|p| {
                            state
                                .periods
                                .get(&(p.entity.clone(), p.start))
                                .is_some_and(|q| q.code == p.code && q.end == p.end)
                        })
                    });
                if defined {
                    continue;
                }
                out.push((
                    vec![line],
                    CommandBody::DefineFiscalYear {
                        entity: text_of(&obj, "entity").into(),
                        year,
                    },
                ));
            }
        }
        Shape::ListPrices => {
            for (line, obj) in rows {
                let price: crate::core::master::ListPrice = from_json(
                    line,
                    json!({"sku": obj.get("sku"), "price": obj.get("price"),
                    "breaks": obj.get("breaks").cloned().unwrap_or(json!([]))}),
                )?;
                let price_list = text_of(&obj, "price_list");
                let same = state
                    .price_lists
                    .get(&price_list.to_code())
                    .and_then(|l| l.prices.get(&price.sku))
                    == Some(&price);
                if !same {
                    out.push((
                        vec![line],
                        CommandBody::SetListPrice {
                            price_list: price_list.into(),
                            price,
                        },
                    ));
                }
            }
        }
        Shape::FxRates => {
            for (line, obj) in rows {
                let fx: crate::core::master::FxRate = from_json(line, Value::Object(obj))?;
                let key = (fx.from.clone(), fx.to.clone(), fx.date);
                if state.fx_rates.get(&key) != Some(&fx.rate) {
                    out.push((vec![line], CommandBody::SetFxRate(fx)));
                }
            }
        }
        Shape::BankStatement => {
            // One command per (entity, statement): a statement loads whole
            // or not at all.
            let mut per: BTreeMap<(String, String), (Vec<u64>, Vec<Value>)> = BTreeMap::new();
            for (line, mut obj) in rows {
                let key = (text_of(&obj, "entity"), text_of(&obj, "statement"));
                obj.remove("entity");
                obj.remove("statement");
                let e = per.entry(key).or_default();
                e.0.push(line);
                e.1.push(Value::Object(obj));
            }
            for ((entity, statement), (rows, lines)) in per {
                let line = rows.first().copied().unwrap_or(0);
                let lines: Vec<crate::core::bank::StatementLine> =
                    from_json(line, Value::Array(lines))?;
                out.push((
                    rows,
                    CommandBody::ImportBankStatement {
                        entity: entity.into(),
                        statement,
                        lines,
                    },
                ));
            }
        }
        Shape::OpeningStock => {
            for (line, mut obj) in rows {
                for column in ["date", "expiry"] {
                    if let Some(d) = obj.get(column).and_then(Value::as_str) {
                        NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                            ImportError::Cell {
                                line,
                                column: column.into(),
                                value: d.to_string(),
                                problem: "is not a date (YYYY-MM-DD)".into(),
                            }
                        })?;
                    }
                }
                obj.insert("cmd".into(), json!("post_opening_stock"));
                out.push((vec![line], from_json(line, Value::Object(obj))?));
            }
        }
        Shape::SupplierItems => {
            // Rows grouped per supplier: each supplier's item list is
            // replaced by the rows of the file, in one update.
            let mut per: BTreeMap<String, (u64, Vec<Value>)> = BTreeMap::new();
            for (line, mut obj) in rows {
                let supplier = text_of(&obj, "supplier");
                obj.remove("supplier");
                obj.entry("min_qty").or_insert(json!("0"));
                let e = per.entry(supplier).or_insert((line, Vec::new()));
                e.1.push(Value::Object(obj));
            }
            for (supplier, (line, items)) in per {
                let mut s = state
                    .suppliers
                    .get(&supplier.to_code())
                    .cloned()
                    .ok_or_else(|| ImportError::Row {
                        line,
                        problem: format!(
                            "supplier {supplier} does not exist; import suppliers first"
                        ),
                    })?;
                let items: Vec<crate::core::master::SupplierItem> =
                    from_json(line, Value::Array(items))?;
                if s.items != items {
                    s.items = items;
                    out.push((vec![line], CommandBody::UpdateSupplier(s)));
                }
            }
        }
    }
    Ok(out)
}

/// What a row of a kind without a record of its own sets, and the columns
/// that say which (a file may hold each once); None where several rows
/// make one thing (a statement's lines) or the shape checks its own key.
fn row_key(shape: &Shape) -> Option<(&'static str, &'static [&'static str])> {
    Some(match shape {
        Shape::PostingRules => ("the posting rule", &["entity", "key"]),
        Shape::FiscalYears => ("the fiscal year", &["entity", "year"]),
        Shape::ListPrices => ("the list price", &["price_list", "sku"]),
        Shape::FxRates => ("the rate", &["from", "to", "date"]),
        Shape::OpeningStock => ("the opening stock", &["warehouse", "bin", "sku", "lot"]),
        Shape::SupplierItems => ("the supplier item", &["supplier", "sku"]),
        Shape::Record(..) | Shape::Printers | Shape::DocumentProfiles | Shape::BankStatement => {
            return None
        }
    })
}

fn fill_barcode_units(item: &mut Map<String, Value>) {
    let base = item
        .get("base_unit")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let Some(Value::Array(codes)) = item.get_mut("barcodes") {
        for b in codes {
            if b["unit"] == json!("") {
                b["unit"] = json!(base.clone());
            }
        }
    }
}

/// Export `kind` from the state as CSV, in the format `parse` reads.
pub fn export(kind_name: &str, state: &State) -> Result<String, ImportError> {
    let kind = kind(kind_name).ok_or_else(|| ImportError::UnknownKind {
        kind: kind_name.to_string(),
    })?;
    let err = |e: String| ImportError::Export {
        kind: kind_name.to_string(),
        problem: e,
    };
    let rows: Vec<Value> = rows_of(&kind, state).map_err(|e| err(e.to_string()))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(kind.cols.iter().map(|c| c.0))
        .map_err(|e| err(e.to_string()))?;
    for row in rows {
        w.write_record(
            kind.cols
                .iter()
                .map(|c| write_cell(c.2, get_path(&row, c.1))),
        )
        .map_err(|e| err(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| err(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| err(e.to_string()))
}

fn rows_of(kind: &Kind, state: &State) -> Result<Vec<Value>, serde_json::Error> {
    fn all<T: serde::Serialize>(
        it: impl Iterator<Item = T>,
    ) -> Result<Vec<Value>, serde_json::Error> {
        it.map(|r| serde_json::to_value(r)).collect()
    }
    Ok(match kind.name {
        "entities" => all(state.entities.values())?,
        "accounts" => all(state.accounts.values())?,
        "warehouses" => all(state.warehouses.values())?,
        "bins" => all(state.bins.values())?,
        "items" => all(state.items.values())?,
        "customers" => all(state.customers.values())?,
        "suppliers" => all(state.suppliers.values())?,
        "price-lists" => all(state.price_lists.values())?,
        "contracts" => all(state.contracts.values())?,
        "tax-codes" => all(state.tax_codes.values())?,
        "carriers" => all(state.carriers.values())?,
        "payment-terms" => all(state.terms.values())?,
        "operators" => all(state.operators.values())?,
        "replenishment" => all(state.replenishment.values())?,
        "printers" => all(state.printers.values())?,
        "document-profiles" => all(state.doc_profiles.values())?,
        "posting-rules" => state
            .posting_rules
            .iter()
            .map(|((e, k), a)| json!({"entity": e, "key": k.as_str(), "account": a}))
            .collect(),
        "fiscal-years" => {
            // By the year each fiscal year starts in, as it is defined
            // (a year from April has periods ending in two calendar years).
            let years: BTreeSet<(Code, i32)> = state
                .periods
                .values()
                .map(|p| (p.entity.clone(), p.fiscal_year()))
                .collect();
            years
                .into_iter()
                .map(|(e, y)| json!({"entity": e, "year": y}))
                .collect()
        }
        "list-prices" => {
            let mut v = Vec::new();
            for pl in state.price_lists.values() {
                for p in pl.prices.values() {
                    let mut o = serde_json::to_value(p)?;
                    o["price_list"] = json!(pl.code);
                    v.push(o);
                }
            }
            v
        }
        "supplier-items" => {
            let mut v = Vec::new();
            for s in state.suppliers.values() {
                for i in &s.items {
                    let mut o = serde_json::to_value(i)?;
                    o["supplier"] = json!(s.code);
                    v.push(o);
                }
            }
            v
        }
        "fx-rates" => state
            .fx_rates
            .iter()
            .map(|((f, t, d), r)| json!({"from": f.0, "to": t.0, "date": d.to_string(), "rate": r.to_string()}))
            .collect(),
        "opening-stock" => state
            .bin_stock
            .iter()
            .filter(|(_, q)| !q.is_zero())
            .map(|(k, q)| {
                let pool = state
                    .warehouse_entity(&k.warehouse)
                    .and_then(|e| state.costs.get(&(e.clone(), k.sku.clone())));
                let cost = pool
                    .filter(|p| !p.qty.is_zero())
                    .map(|p| (p.value / p.qty).round_dp(4))
                    .unwrap_or_default();
                json!({"warehouse": k.warehouse, "bin": k.bin, "sku": k.sku, "qty": q.to_string(),
                       "unit": null, "unit_cost": cost.to_string(), "lot": k.lot, "date": null})
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// Where a core refusal of a bank statement's line points:
/// `lines[3].amount -8.125 has more than 2 decimals` is of the
/// statement's line 3 (from 0), its field `amount`; `before` and `after`
/// are the refusal's text around `lines[3].amount`. The import and the
/// reconciliation screen say it of the file's own line and column.
#[derive(Debug, PartialEq, Eq)]
pub struct StatementLineRefusal<'a> {
    pub index: usize,
    pub field: &'a str,
    pub before: &'a str,
    pub after: &'a str,
}

/// The statement line a refusal names, if it names one.
pub fn statement_line_refusal(refusal: &str) -> Option<StatementLineRefusal<'_>> {
    let at = refusal.find("lines[")?;
    let (i, rest) = refusal.get(at + "lines[".len()..)?.split_once("].")?;
    let index = i.parse::<usize>().ok()?;
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let (field, after) = rest.split_at(end);
    Some(StatementLineRefusal {
        index,
        field,
        before: refusal.get(..at)?,
        after,
    })
}

/// The bank-statement import's CSV (`entity,statement,date,amount,
/// reference,description`) of statement lines read from a bank's own
/// format (`io::mt940`, `io::camt053`), so that every format is checked
/// and imported by one path. `none` is the error when there is no line.
pub fn bank_statement_csv(
    entity: &str,
    lines: &[(String, crate::core::bank::StatementLine)],
    none: &str,
) -> Result<String, String> {
    if lines.is_empty() {
        return Err(none.to_string());
    }
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let header = [
        "entity",
        "statement",
        "date",
        "amount",
        "reference",
        "description",
    ];
    w.write_record(header).map_err(|e| e.to_string())?;
    for (statement, l) in lines {
        w.write_record([
            entity,
            statement,
            &l.date.format("%Y-%m-%d").to_string(),
            &l.amount.to_string(),
            l.reference.trim(),
            &l.description
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        ])
        .map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn posting_keys_are_the_cores() {
        let core: Vec<&str> = crate::core::master::PostingKey::ALL
            .iter()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(super::POSTING_KEYS, core.as_slice());
    }

    /// A bad number in a list cell is named: the cell holds others.
    #[test]
    fn a_bad_number_in_a_list_cell_is_named() {
        use super::{read_cell, T};
        let e = read_cell(T::Breaks, "12=9.50; 24=abc").unwrap_err();
        assert!(e.starts_with("has \"abc\", which is not a decimal"), "{e}");
        let e = read_cell(T::Units, "BOX=1;CASE=x12").unwrap_err();
        assert!(e.contains("\"x12\""), "{e}");
        assert!(read_cell(T::Breaks, "12=9.50; 24=9.00").is_ok());
    }
}
