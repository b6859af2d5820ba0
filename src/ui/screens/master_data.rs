//! Master data (issue 22): browse, create and edit items, customers,
//! suppliers, price lists and their prices, contract prices, tax codes,
//! carriers, payment terms, operators (with their SSH keys) and posting
//! rules, for the roles that own them.
//!
//! One generic form serves every kind: a kind describes its fields (label,
//! dotted path into the record's JSON form, how the text is read, whether
//! the field is governed). The form edits the record's JSON value and
//! rebuilds the typed record with serde on save, so fields this screen does
//! not know (added to the record later) travel through unchanged and are
//! shown read-only. Each field is read as it is typed (a money amount with
//! its currency's decimals, a date, a known code) and its error shown
//! beside it; the whole command is decided against the current state
//! without applying it (a dry run of the core's pure `decide`), so the
//! clerk reads the core's refusal, or which governed fields will wait for
//! an approval, before the confirm step. Saving is a command like any
//! other (`Flow::Submit`). A record with a pending change request shows
//! the requested values beside the fields; its history comes from the
//! audit trail (`query::audit`).

use crate::core::auth::{allows, Permission};
use crate::core::event::Change;
use crate::core::master::{ListPrice, PostingKey, RecordKind};
use crate::core::rejection::Rejection;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::types::{parse_decimal, Currency};
use crate::core::{Command, CommandBody, Event, State};
use crate::io::csv::{read_cell, write_cell, T};
use crate::query::audit::{show, Trail};
use crate::query::lookup::Found;
use crate::ui::keymap::{Action, Context};
use crate::ui::lookup::{Focus as LookupFocus, Lookup, Picked};
use crate::ui::screen::{Ctx, Flow, Input, Notice, Request, Screen, Submitted};
use crate::ui::widgets::{centered, fit, moved, TextField};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Row, Table};
use ratatui::Frame;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

/// The kinds of master data this screen edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Items,
    Customers,
    Suppliers,
    PriceLists,
    ListPrices,
    Contracts,
    TaxCodes,
    Carriers,
    Terms,
    Operators,
    PostingRules,
}

pub const KINDS: [Kind; 11] = [
    Kind::Items,
    Kind::Customers,
    Kind::Suppliers,
    Kind::PriceLists,
    Kind::ListPrices,
    Kind::Contracts,
    Kind::TaxCodes,
    Kind::Carriers,
    Kind::Terms,
    Kind::Operators,
    Kind::PostingRules,
];

/// What a code field must name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ref {
    Customer,
    Item,
    TaxClass,
    Carrier,
    PriceList,
    Terms,
    Entity,
    Warehouse,
    Currency,
    Account,
}

/// How a field's text is read.
#[derive(Clone, Copy, Debug)]
pub enum Ty {
    /// Any text.
    Text,
    /// Text that must not be empty.
    Required,
    /// Text, or empty for none.
    OptText,
    /// A whole number >= 0.
    Int,
    /// A whole number, or empty for none.
    OptInt,
    /// An amount in the record's currency (its minor unit of decimals).
    Money,
    /// A unit price: at most four decimals.
    Price,
    /// A percentage 0 to 100, or empty for none when `Opt`.
    Pct,
    OptPct,
    /// A decimal number >= 0.
    Dec,
    Bool,
    Date,
    Enum(&'static [&'static str]),
    /// Several of the listed values, separated by commas.
    EnumList(&'static [&'static str]),
    Ref(Ref),
    OptRef(Ref),
    /// A compound cell in the CSV import's syntax (`CASE=12;PALLET=480`).
    Cell(T),
    /// A list of OpenSSH public keys, one field each.
    Keys,
}

/// One field of a kind.
#[derive(Clone, Copy, Debug)]
pub struct F {
    pub label: &'static str,
    pub path: &'static str,
    pub ty: Ty,
    /// Part of the record's key: typed when creating, fixed after.
    pub key: bool,
    /// Changes wait for an approval (SPEC section 2).
    pub governed: bool,
}

const fn f(label: &'static str, path: &'static str, ty: Ty) -> F {
    F {
        label,
        path,
        ty,
        key: false,
        governed: false,
    }
}
const fn key(label: &'static str, path: &'static str, ty: Ty) -> F {
    F {
        label,
        path,
        ty,
        key: true,
        governed: false,
    }
}
const fn gov(label: &'static str, path: &'static str, ty: Ty) -> F {
    F {
        label,
        path,
        ty,
        key: false,
        governed: true,
    }
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
const FREIGHT: &[&str] = &["prepaid", "prepaid_and_add", "collect"];
const ABC: &[&str] = &["A", "B", "C"];

const ITEM: &[F] = &[
    key("SKU", "sku", Ty::Required),
    f("Description", "description", Ty::Required),
    f("Base unit", "base_unit", Ty::Required),
    f("Qty decimals", "qty_decimals", Ty::Int),
    f("Alt units", "alt_units", Ty::Cell(T::Units)),
    f("Barcodes", "barcodes", Ty::Cell(T::Barcodes)),
    f("Weight kg", "weight_kg", Ty::Dec),
    f("Tax class", "tax_class", Ty::Ref(Ref::TaxClass)),
    f("ABC class", "abc", Ty::Enum(ABC)),
    f("Category", "category", Ty::Required),
    f("Lot tracked", "lot_tracked", Ty::Bool),
    gov("Margin floor %", "margin_floor_pct", Ty::OptPct),
    f("Active", "active", Ty::Bool),
];

const CUSTOMER: &[F] = &[
    key("Code", "code", Ty::Required),
    f("Name", "name", Ty::Required),
    f("Entity", "entity", Ty::Ref(Ref::Entity)),
    f("Channel", "channel", Ty::Enum(CHANNELS)),
    f("Currency", "currency", Ty::Ref(Ref::Currency)),
    f("Terms", "terms", Ty::Ref(Ref::Terms)),
    gov("Credit limit", "credit_limit", Ty::Money),
    f("Grace days", "grace_days", Ty::Int),
    f("Tax exempt cert", "tax_exempt_cert", Ty::Text),
    gov("Price list", "price_list", Ty::Ref(Ref::PriceList)),
    f("Bill-to line 1", "bill_to.line1", Ty::Text),
    f("Bill-to line 2", "bill_to.line2", Ty::Text),
    f("Bill-to city", "bill_to.city", Ty::Text),
    f("Bill-to region", "bill_to.region", Ty::Text),
    f("Bill-to postcode", "bill_to.postcode", Ty::Text),
    f("Bill-to country", "bill_to.country", Ty::Text),
    f("Ship-tos", "ship_to", Ty::Cell(T::ShipTos)),
    f("Ship complete", "ship_policy.ship_complete", Ty::Bool),
    f("Carrier", "ship_policy.carrier", Ty::OptRef(Ref::Carrier)),
    f("Service", "ship_policy.service", Ty::OptText),
    f(
        "Freight terms",
        "ship_policy.freight_terms",
        Ty::Enum(FREIGHT),
    ),
    f(
        "Arrive within d",
        "ship_policy.must_arrive_within_days",
        Ty::OptInt,
    ),
    f("Collections", "collections.name", Ty::Text),
    f("Collect. email", "collections.email", Ty::Text),
    f("Collect. phone", "collections.phone", Ty::Text),
    f("Active", "active", Ty::Bool),
];

const SUPPLIER: &[F] = &[
    key("Code", "code", Ty::Required),
    f("Name", "name", Ty::Required),
    f("Entity", "entity", Ty::Ref(Ref::Entity)),
    f("Currency", "currency", Ty::Ref(Ref::Currency)),
    f("Terms", "terms", Ty::Ref(Ref::Terms)),
    f("Lead time days", "lead_time_days", Ty::Int),
    f("Min order", "min_order_amount", Ty::Money),
    f("Address line 1", "address.line1", Ty::Text),
    f("Address line 2", "address.line2", Ty::Text),
    f("City", "address.city", Ty::Text),
    f("Region", "address.region", Ty::Text),
    f("Postcode", "address.postcode", Ty::Text),
    f("Country", "address.country", Ty::Text),
    f("Active", "active", Ty::Bool),
];

const PRICE_LIST: &[F] = &[
    key("Code", "code", Ty::Required),
    f("Name", "name", Ty::Required),
    f("Currency", "currency", Ty::Ref(Ref::Currency)),
];

const LIST_PRICE: &[F] = &[
    key("Price list", "price_list", Ty::Ref(Ref::PriceList)),
    key("SKU", "sku", Ty::Ref(Ref::Item)),
    f("Price", "price", Ty::Price),
    f("Qty breaks", "breaks", Ty::Cell(T::Breaks)),
];

const CONTRACT: &[F] = &[
    key("Contract", "code", Ty::Required),
    f("Customer", "customer", Ty::Ref(Ref::Customer)),
    f("SKU", "sku", Ty::Ref(Ref::Item)),
    f("Currency", "currency", Ty::Ref(Ref::Currency)),
    f("Price", "price", Ty::Price),
    f("Valid from", "valid_from", Ty::Date),
    f("Valid to", "valid_to", Ty::Date),
    f("Qty breaks", "breaks", Ty::Cell(T::Breaks)),
];

const TAX_CODE: &[F] = &[
    key("Code", "code", Ty::Required),
    f("Jurisdiction", "jurisdiction", Ty::Required),
    f("Tax class", "tax_class", Ty::Required),
    f("Rate %", "rate_pct", Ty::Pct),
    f("Description", "description", Ty::Required),
];

const CARRIER: &[F] = &[
    key("Code", "code", Ty::Required),
    f("Name", "name", Ty::Required),
    f("Services", "services", Ty::Cell(T::Services)),
];

const TERMS: &[F] = &[
    key("Code", "code", Ty::Required),
    f("Description", "description", Ty::Required),
    f("Net days", "net_days", Ty::Int),
    f("Discount days", "discount_days", Ty::Int),
    f("Discount %", "discount_pct", Ty::Pct),
];

const OPERATOR: &[F] = &[
    key("Code", "code", Ty::Required),
    f("Name", "name", Ty::Required),
    gov("Roles", "roles", Ty::EnumList(ROLES)),
    f(
        "Default wh",
        "default_warehouse",
        Ty::OptRef(Ref::Warehouse),
    ),
    f("Keymap", "keymap", Ty::Text),
    f("SSH key", "ssh_keys", Ty::Keys),
    f("Active", "active", Ty::Bool),
];

const POSTING_RULE: &[F] = &[
    key("Entity", "entity", Ty::Ref(Ref::Entity)),
    key("Posting key", "key", Ty::Enum(POSTING_KEYS)),
    gov("Account", "account", Ty::Ref(Ref::Account)),
];

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

/// A browse column: header, path, width.
type Col = (&'static str, &'static str, u16);

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Items => "Items",
            Kind::Customers => "Customers",
            Kind::Suppliers => "Suppliers",
            Kind::PriceLists => "Price lists",
            Kind::ListPrices => "List prices",
            Kind::Contracts => "Contract prices",
            Kind::TaxCodes => "Tax codes",
            Kind::Carriers => "Carriers",
            Kind::Terms => "Payment terms",
            Kind::Operators => "Operators",
            Kind::PostingRules => "Posting rules",
        }
    }
    /// One record, in words (`customer`).
    pub fn noun(self) -> &'static str {
        match self {
            Kind::ListPrices => "price",
            Kind::PostingRules => "posting rule",
            k => k.record_kind().map(|r| r.as_str()).unwrap_or("record"),
        }
    }
    /// What a clerk needs to change this kind (the core checks it too).
    pub fn permission(self) -> Permission {
        match self {
            Kind::Items | Kind::TaxCodes | Kind::Carriers | Kind::Terms => {
                Permission::ManageMasterData
            }
            Kind::Customers => Permission::ManageCustomers,
            Kind::Suppliers => Permission::ManageSuppliers,
            Kind::PriceLists | Kind::ListPrices | Kind::Contracts => Permission::ManagePricing,
            Kind::Operators => Permission::ManageOperators,
            Kind::PostingRules => Permission::ManageFinanceSetup,
        }
    }
    fn record_kind(self) -> Option<RecordKind> {
        Some(match self {
            Kind::Items => RecordKind::Item,
            Kind::Customers => RecordKind::Customer,
            Kind::Suppliers => RecordKind::Supplier,
            Kind::PriceLists => RecordKind::PriceList,
            Kind::Contracts => RecordKind::ContractPrice,
            Kind::TaxCodes => RecordKind::TaxCode,
            Kind::Carriers => RecordKind::Carrier,
            Kind::Terms => RecordKind::PaymentTerms,
            Kind::Operators => RecordKind::Operator,
            Kind::ListPrices | Kind::PostingRules => return None,
        })
    }
    /// The `Record` variant's serde name.
    fn tag(self) -> &'static str {
        match self {
            Kind::Items => "item",
            Kind::Customers => "customer",
            Kind::Suppliers => "supplier",
            Kind::PriceLists => "price_list",
            Kind::Contracts => "contract_price",
            Kind::TaxCodes => "tax_code",
            Kind::Carriers => "carrier",
            Kind::Terms => "payment_terms",
            Kind::Operators => "operator",
            Kind::ListPrices | Kind::PostingRules => "",
        }
    }
    pub fn fields(self) -> &'static [F] {
        match self {
            Kind::Items => ITEM,
            Kind::Customers => CUSTOMER,
            Kind::Suppliers => SUPPLIER,
            Kind::PriceLists => PRICE_LIST,
            Kind::ListPrices => LIST_PRICE,
            Kind::Contracts => CONTRACT,
            Kind::TaxCodes => TAX_CODE,
            Kind::Carriers => CARRIER,
            Kind::Terms => TERMS,
            Kind::Operators => OPERATOR,
            Kind::PostingRules => POSTING_RULE,
        }
    }
    fn columns(self) -> &'static [Col] {
        match self {
            Kind::Items => &[
                ("SKU", "sku", 10),
                ("Description", "description", 28),
                ("Unit", "base_unit", 5),
                ("Tax", "tax_class", 5),
                ("ABC", "abc", 3),
                ("Category", "category", 12),
                ("Floor %", "margin_floor_pct", 7),
                ("Active", "active", 6),
            ],
            Kind::Customers => &[
                ("Code", "code", 7),
                ("Name", "name", 26),
                ("Channel", "channel", 12),
                ("Cur", "currency", 4),
                ("Terms", "terms", 9),
                ("Credit limit", "credit_limit", 12),
                ("Price list", "price_list", 12),
                ("City", "bill_to.city", 14),
            ],
            Kind::Suppliers => &[
                ("Code", "code", 7),
                ("Name", "name", 28),
                ("Cur", "currency", 4),
                ("Terms", "terms", 9),
                ("Lead d", "lead_time_days", 6),
                ("Min order", "min_order_amount", 10),
                ("Items", "items", 6),
            ],
            Kind::PriceLists => &[
                ("Code", "code", 12),
                ("Name", "name", 36),
                ("Cur", "currency", 4),
                ("Prices", "prices", 7),
            ],
            Kind::ListPrices => &[
                ("Price list", "price_list", 12),
                ("SKU", "sku", 10),
                ("Price", "price", 10),
                ("Breaks", "breaks", 6),
            ],
            Kind::Contracts => &[
                ("Contract", "code", 10),
                ("Customer", "customer", 8),
                ("SKU", "sku", 10),
                ("Cur", "currency", 4),
                ("Price", "price", 10),
                ("From", "valid_from", 10),
                ("To", "valid_to", 10),
            ],
            Kind::TaxCodes => &[
                ("Code", "code", 9),
                ("Jurisdiction", "jurisdiction", 12),
                ("Class", "tax_class", 6),
                ("Rate %", "rate_pct", 7),
                ("Description", "description", 30),
            ],
            Kind::Carriers => &[
                ("Code", "code", 7),
                ("Name", "name", 30),
                ("Services", "services", 8),
            ],
            Kind::Terms => &[
                ("Code", "code", 10),
                ("Description", "description", 24),
                ("Net", "net_days", 4),
                ("Disc d", "discount_days", 6),
                ("Disc %", "discount_pct", 6),
            ],
            Kind::Operators => &[
                ("Code", "code", 7),
                ("Name", "name", 18),
                ("Roles", "roles", 24),
                ("WH", "default_warehouse", 4),
                ("Keys", "ssh_keys", 4),
                ("Active", "active", 6),
            ],
            Kind::PostingRules => &[
                ("Entity", "entity", 6),
                ("Posting key", "key", 24),
                ("Account", "account", 8),
            ],
        }
    }
}

/// The records of a kind as (key, JSON value), in key order.
pub fn records(s: &State, kind: Kind) -> Vec<(String, Value)> {
    fn all<'a, V: serde::Serialize + 'a>(
        it: impl Iterator<Item = (String, &'a V)>,
    ) -> Vec<(String, Value)> {
        it.map(|(k, v)| (k, serde_json::to_value(v).unwrap_or(Value::Null)))
            .collect()
    }
    match kind {
        Kind::Items => all(s.items.iter().map(|(k, v)| (k.to_string(), v))),
        Kind::Customers => all(s.customers.iter().map(|(k, v)| (k.to_string(), v))),
        Kind::Suppliers => all(s.suppliers.iter().map(|(k, v)| (k.to_string(), v))),
        Kind::PriceLists => all(s.price_lists.iter().map(|(k, v)| (k.to_string(), v))),
        Kind::Contracts => all(s.contracts.iter().map(|(k, v)| (k.to_string(), v))),
        Kind::TaxCodes => all(s.tax_codes.iter().map(|(k, v)| (k.to_string(), v))),
        Kind::Carriers => all(s.carriers.iter().map(|(k, v)| (k.to_string(), v))),
        Kind::Terms => all(s.terms.iter().map(|(k, v)| (k.to_string(), v))),
        Kind::Operators => all(s.operators.iter().map(|(k, v)| (k.to_string(), v))),
        Kind::ListPrices => s
            .price_lists
            .values()
            .flat_map(|l| {
                l.prices.values().map(move |p| {
                    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
                    if let Some(m) = v.as_object_mut() {
                        m.insert("price_list".into(), json!(l.code));
                    }
                    (format!("{}/{}", l.code, p.sku), v)
                })
            })
            .collect(),
        Kind::PostingRules => s
            .posting_rules
            .iter()
            .map(|((e, k), a)| {
                (
                    format!("{e}/{}", k.as_str()),
                    json!({"entity": e, "key": k.as_str(), "account": a}),
                )
            })
            .collect(),
    }
}

/// The subject the audit and change requests name a record by.
pub fn subject(kind: Kind, key: &str) -> String {
    match kind {
        Kind::ListPrices => format!("price {key}"),
        Kind::PostingRules => format!("posting rule {key}"),
        k => format!("{} {key}", k.noun()),
    }
}

fn get_path<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, p| &v[p])
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

/// A value as a browse cell: lists of records by their count.
fn cell(v: &Value) -> String {
    match v {
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Array(a) if a.iter().all(Value::is_string) => {
            a.iter().map(show).collect::<Vec<_>>().join(",")
        }
        Value::Array(a) => a.len().to_string(),
        Value::Object(m) => m.len().to_string(),
        other => show(other),
    }
}

/// The text a field shows for a value.
fn text_of(ty: Ty, v: &Value) -> String {
    match ty {
        Ty::Bool => match v {
            Value::Bool(true) => "yes".into(),
            _ => "no".into(),
        },
        Ty::EnumList(_) => v
            .as_array()
            .map(|a| a.iter().map(show).collect::<Vec<_>>().join(", "))
            .unwrap_or_default(),
        Ty::Cell(t) => write_cell(t, v),
        _ => show(v),
    }
}

/// Leaf paths of a JSON object (objects recursed, anything else a leaf).
fn leaves(v: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(m) = v {
        for (k, x) in m {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if x.is_object() && !x.as_object().is_some_and(|o| o.is_empty()) {
                leaves(x, &p, out);
            } else {
                out.push(p);
            }
        }
    }
}

/// One row of the form.
#[derive(Clone, Debug)]
pub struct FormRow {
    pub label: String,
    pub path: String,
    /// None: a field the screen does not edit (shown as it is stored).
    pub spec: Option<F>,
    pub text: TextField,
    /// The text the row was opened with.
    pub orig: String,
    pub error: Option<String>,
    /// Fixed: a key after creation, or a field the screen does not know.
    pub readonly: bool,
}

/// What the core would say to saving the form now.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// Fields to fix first.
    Fields,
    /// The core would commit these events.
    Ok(Vec<Event>),
    Refused(Rejection),
    /// The record could not be built (a field the form cannot express).
    Invalid(String),
}

pub struct Form {
    pub kind: Kind,
    pub create: bool,
    /// The record's key (empty when creating).
    pub key: String,
    /// The record as stored when opened (or an empty object).
    pub base: Value,
    pub rows: Vec<FormRow>,
    pub focus: usize,
    pub check: Check,
    scroll: usize,
}

impl Form {
    fn open(kind: Kind, key: &str, value: Option<&Value>) -> Form {
        let create = value.is_none();
        let base = value.cloned().unwrap_or_else(|| json!({}));
        let mut rows = Vec::new();
        for spec in kind.fields() {
            let v = get_path(&base, spec.path);
            match spec.ty {
                Ty::Keys => {
                    let keys: Vec<String> = v
                        .as_array()
                        .map(|a| a.iter().map(show).collect())
                        .unwrap_or_default();
                    for (i, k) in keys
                        .iter()
                        .chain(std::iter::once(&String::new()))
                        .enumerate()
                    {
                        rows.push(FormRow {
                            label: format!("{} {}", spec.label, i + 1),
                            path: spec.path.into(),
                            spec: Some(*spec),
                            text: TextField::new(k),
                            orig: k.clone(),
                            error: None,
                            readonly: false,
                        });
                    }
                }
                ty => {
                    let t = if create {
                        default_text(ty)
                    } else {
                        text_of(ty, v)
                    };
                    // A default, a yes/no, a number, a date or a code is
                    // replaced by what is typed over it (`9` over `0` is
                    // 9, `yes` over `no` is yes, not `noyes`); a text is
                    // added to.
                    let replaced = create
                        || !matches!(
                            ty,
                            Ty::Text | Ty::Required | Ty::OptText | Ty::EnumList(_) | Ty::Cell(_)
                        );
                    rows.push(FormRow {
                        label: spec.label.into(),
                        path: spec.path.into(),
                        spec: Some(*spec),
                        text: if replaced {
                            TextField::proposed(&t)
                        } else {
                            TextField::new(&t)
                        },
                        orig: t.clone(),
                        error: None,
                        readonly: spec.key && !create,
                    });
                }
            }
        }
        // Whatever else the record holds, read-only.
        let mut other = Vec::new();
        leaves(&base, "", &mut other);
        for p in other {
            let known = kind
                .fields()
                .iter()
                .any(|s| s.path == p || p.starts_with(&format!("{}.", s.path)));
            if known {
                continue;
            }
            let t = cell(get_path(&base, &p));
            rows.push(FormRow {
                label: p.replace('_', " "),
                path: p.clone(),
                spec: None,
                text: TextField::new(&t),
                orig: t,
                error: None,
                readonly: true,
            });
        }
        let focus = rows.iter().position(|r| !r.readonly).unwrap_or(0);
        Form {
            kind,
            create,
            key: key.to_string(),
            base,
            rows,
            focus,
            check: Check::Fields,
            scroll: 0,
        }
    }

    pub fn dirty(&self) -> bool {
        self.rows.iter().any(|r| r.text.text != r.orig)
    }

    /// The currency amounts of this record are in.
    fn currency(&self) -> Currency {
        self.rows
            .iter()
            .find(|r| r.path == "currency")
            .map(|r| Currency::new(r.text.trimmed()))
            .filter(Currency::is_valid)
            .unwrap_or_else(|| Currency::new("USD"))
    }

    /// Read every row; their errors are set.
    fn validate(&mut self, s: &State) {
        let cur = self.currency();
        for r in &mut self.rows {
            r.error = match (r.readonly, r.spec) {
                (false, Some(spec)) => parse(spec.ty, r.text.trimmed(), s, &cur).err(),
                _ => None,
            };
        }
    }

    /// The command that saves the form (None: a field has an error).
    fn command(&self, s: &State, item_base_unit: bool) -> Result<CommandBody, String> {
        let cur = self.currency();
        let mut obj = match &self.base {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        let mut keys: Vec<Value> = Vec::new();
        for r in &self.rows {
            let Some(spec) = r.spec else { continue };
            if r.readonly {
                continue;
            }
            let v = parse(spec.ty, r.text.trimmed(), s, &cur)
                .map_err(|e| format!("{}: {e}", r.label))?;
            if matches!(spec.ty, Ty::Keys) {
                if !v.is_null() {
                    keys.push(v);
                }
                continue;
            }
            set_path(&mut obj, &r.path, v);
        }
        if self.kind == Kind::Operators {
            obj.insert("ssh_keys".into(), Value::Array(keys));
        }
        if self.kind == Kind::Items && item_base_unit {
            // A bare barcode is one of the base unit (as the import reads it).
            let base = obj.get("base_unit").cloned().unwrap_or(Value::Null);
            if let Some(Value::Array(codes)) = obj.get_mut("barcodes") {
                for b in codes {
                    if b.get("unit").is_some_and(|u| u == "") {
                        b["unit"] = base.clone();
                    }
                }
            }
        }
        let value = Value::Object(obj);
        match self.kind {
            Kind::ListPrices => {
                let list = show(&value["price_list"]);
                let mut p = value.clone();
                if let Some(m) = p.as_object_mut() {
                    m.remove("price_list");
                }
                let price: ListPrice = serde_json::from_value(p).map_err(|e| e.to_string())?;
                Ok(CommandBody::SetListPrice {
                    price_list: list.into(),
                    price,
                })
            }
            Kind::PostingRules => Ok(CommandBody::SetPostingRule {
                entity: show(&value["entity"]).into(),
                key: PostingKey::parse(&show(&value["key"]))
                    .ok_or_else(|| "unknown posting key".to_string())?,
                account: show(&value["account"]).into(),
            }),
            k => {
                let tag = k.tag();
                let rec: crate::core::master::Record =
                    serde_json::from_value(json!({ tag: value })).map_err(|e| e.to_string())?;
                Ok(CommandBody::upsert(rec, self.create))
            }
        }
    }

    /// Read the fields and ask the core what saving would do (a dry run:
    /// `decide` is pure and nothing is applied).
    fn recheck(&mut self, ctx: &Ctx) {
        let s = ctx.state();
        self.validate(s);
        if self.rows.iter().any(|r| r.error.is_some()) {
            self.check = Check::Fields;
            return;
        }
        self.check = match self.command(s, true) {
            Err(e) => Check::Invalid(e),
            Ok(body) => {
                let cmd = Command {
                    operator: ctx.operator.to_string().into(),
                    session: ctx.session.to_string(),
                    time: ctx.now,
                    key: None,
                    body,
                };
                match crate::core::decide(s, &cmd) {
                    Ok(ev) => Check::Ok(ev),
                    Err(r) => Check::Refused(r),
                }
            }
        };
    }

    fn editable(&self) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|i| !self.rows[*i].readonly)
            .collect()
    }

    fn step(&mut self, forward: bool) {
        let e = self.editable();
        if e.is_empty() {
            return;
        }
        let at = e.iter().position(|i| *i == self.focus).unwrap_or(0);
        let next = if forward {
            (at + 1) % e.len()
        } else {
            (at + e.len() - 1) % e.len()
        };
        self.focus = e[next];
    }

    fn is_last(&self) -> bool {
        self.editable().last() == Some(&self.focus)
    }
}

/// What a new record's field starts as.
fn default_text(ty: Ty) -> String {
    match ty {
        Ty::Bool => "no".into(),
        Ty::Int => "0".into(),
        Ty::Money | Ty::Dec | Ty::Pct => "0".into(),
        _ => String::new(),
    }
}

fn decimal(t: &str) -> Result<Decimal, String> {
    parse_decimal(t).map_err(|p| format!("{t:?} {p}"))
}

/// Read a field's text into its JSON value, or say what is wrong.
fn parse(ty: Ty, t: &str, s: &State, cur: &Currency) -> Result<Value, String> {
    let non_negative = |d: Decimal, dp: u32, what: &str| -> Result<Value, String> {
        if d.is_sign_negative() && !d.is_zero() {
            return Err("must not be negative".into());
        }
        if d.normalize().scale() > dp {
            return Err(format!("{t} has more than {dp} decimals ({what})"));
        }
        Ok(json!(d.to_string()))
    };
    match ty {
        Ty::Text => Ok(json!(t)),
        Ty::Required => {
            if t.is_empty() {
                Err("is needed".into())
            } else {
                Ok(json!(t))
            }
        }
        Ty::OptText => Ok(if t.is_empty() { Value::Null } else { json!(t) }),
        Ty::Int | Ty::OptInt => {
            if t.is_empty() && matches!(ty, Ty::OptInt) {
                return Ok(Value::Null);
            }
            t.parse::<u32>()
                .map(|n| json!(n))
                .map_err(|_| format!("{t:?} is not a whole number"))
        }
        Ty::Money => non_negative(decimal(t)?, cur.minor_units(), cur.0.as_ref()),
        Ty::Price => non_negative(decimal(t)?, 4, "a price"),
        Ty::Dec => non_negative(decimal(t)?, 6, "a quantity"),
        Ty::Pct | Ty::OptPct => {
            if t.is_empty() && matches!(ty, Ty::OptPct) {
                return Ok(Value::Null);
            }
            let d = decimal(t)?;
            if d > Decimal::from(100) {
                return Err(format!("{t} is over 100 %"));
            }
            non_negative(d, 4, "a percentage")
        }
        Ty::Bool => match t.to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" => Ok(json!(true)),
            "no" | "n" | "false" | "0" | "" => Ok(json!(false)),
            _ => Err("yes or no".into()),
        },
        Ty::Date => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(|d| json!(d.to_string()))
            .map_err(|_| format!("{t:?} is not a date (YYYY-MM-DD)")),
        Ty::Enum(allowed) => {
            if allowed.contains(&t) {
                Ok(json!(t))
            } else {
                Err(format!("one of {}", allowed.join(", ")))
            }
        }
        Ty::EnumList(allowed) => {
            let parts: Vec<&str> = t
                .split([',', ';', ' '])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect();
            for p in &parts {
                if !allowed.contains(p) {
                    return Err(format!("{p:?} is not one of {}", allowed.join(", ")));
                }
            }
            Ok(json!(parts))
        }
        Ty::Ref(r) | Ty::OptRef(r) => {
            if t.is_empty() {
                return if matches!(ty, Ty::OptRef(_)) {
                    Ok(Value::Null)
                } else {
                    Err("is needed (F4: look up)".into())
                };
            }
            // Codes are typed in any case (`fas-1001`), as order entry
            // takes them; the record's own code is what is kept.
            let up = t.to_ascii_uppercase();
            if known(s, r, t) {
                Ok(json!(t))
            } else if known(s, r, &up) {
                Ok(json!(up))
            } else {
                Err(format!("no {} {t} (F4: look up)", ref_noun(r)))
            }
        }
        Ty::Cell(c) => read_cell(c, t),
        Ty::Keys => {
            if t.is_empty() {
                return Ok(Value::Null);
            }
            match crate::core::validate::ssh_key_problem(t) {
                Some(p) => Err(format!("the key {p}")),
                None => Ok(json!(t)),
            }
        }
    }
}

fn ref_noun(r: Ref) -> &'static str {
    match r {
        Ref::Customer => "customer",
        Ref::Item => "item",
        Ref::TaxClass => "tax class",
        Ref::Carrier => "carrier",
        Ref::PriceList => "price list",
        Ref::Terms => "payment terms",
        Ref::Entity => "entity",
        Ref::Warehouse => "warehouse",
        Ref::Currency => "currency",
        Ref::Account => "account",
    }
}

fn known(s: &State, r: Ref, t: &str) -> bool {
    match r {
        Ref::Customer => s.customers.contains_key(&t.to_code()),
        Ref::Item => s.items.contains_key(&t.to_code()),
        Ref::TaxClass => s.tax_codes.values().any(|x| x.tax_class == t),
        Ref::Carrier => s.carriers.contains_key(&t.to_code()),
        Ref::PriceList => s.price_lists.contains_key(&t.to_code()),
        Ref::Terms => s.terms.contains_key(&t.to_code()),
        Ref::Entity => s.entities.contains_key(&t.to_code()),
        Ref::Warehouse => s.warehouses.contains_key(&t.to_code()),
        Ref::Currency => Currency::new(t).is_valid(),
        Ref::Account => s.accounts.keys().any(|(_, a)| a == t),
    }
}

/// The values an F4 prompt offers for a field: (code, label).
fn options(s: &State, ty: Ty) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = match ty {
        Ty::Enum(a) | Ty::EnumList(a) => a.iter().map(|x| (x.to_string(), String::new())).collect(),
        Ty::Ref(r) | Ty::OptRef(r) => match r {
            Ref::Customer => s
                .customers
                .values()
                .map(|c| (c.code.to_string(), c.name.clone()))
                .collect(),
            Ref::Item => s
                .items
                .values()
                .map(|i| (i.sku.to_string(), i.description.clone()))
                .collect(),
            Ref::TaxClass => {
                let mut c: Vec<(String, String)> = Vec::new();
                for t in s.tax_codes.values() {
                    match c.iter_mut().find(|x| x.0 == t.tax_class) {
                        Some(x) => x.1.push_str(&format!(", {}", t.code)),
                        None => c.push((t.tax_class.to_string(), format!("tax codes {}", t.code))),
                    }
                }
                c
            }
            Ref::Carrier => s
                .carriers
                .values()
                .map(|c| (c.code.to_string(), c.name.clone()))
                .collect(),
            Ref::PriceList => s
                .price_lists
                .values()
                .map(|c| (c.code.to_string(), format!("{} {}", c.name, c.currency.0)))
                .collect(),
            Ref::Terms => s
                .terms
                .values()
                .map(|c| (c.code.to_string(), c.description.clone()))
                .collect(),
            Ref::Entity => s
                .entities
                .values()
                .map(|c| (c.code.to_string(), c.name.clone()))
                .collect(),
            Ref::Warehouse => s
                .warehouses
                .values()
                .map(|c| (c.code.to_string(), c.name.clone()))
                .collect(),
            Ref::Currency => {
                let mut c: Vec<(String, String)> = s
                    .entities
                    .values()
                    .map(|e| (e.base_currency.to_string(), String::new()))
                    .chain(
                        s.price_lists
                            .values()
                            .map(|p| (p.currency.to_string(), String::new())),
                    )
                    .collect();
                c.sort();
                c.dedup();
                c
            }
            Ref::Account => s
                .accounts
                .values()
                .map(|a| (a.code.to_string(), format!("{} {}", a.entity, a.name)))
                .collect(),
        },
        _ => Vec::new(),
    };
    if let Ty::Ref(Ref::Account) | Ty::OptRef(Ref::Account) = ty {
        v.dedup_by(|a, b| a.0 == b.0);
    }
    v
}

/// Most rows an F4 prompt lists.
const PROMPT_ROWS_MAX: usize = 200;

/// The F4 prompt of a field.
struct Prompt {
    ty: Ty,
    lookup: Lookup,
    options: Vec<(String, String)>,
}

/// What an F4 prompt finds for `q`: customers and items through the
/// session's lookup indexes, anything else from the field's options.
fn prompt_search(ty: Ty, options: &[(String, String)], q: &str, ctx: &Ctx) -> Found {
    match ty {
        Ty::Ref(Ref::Customer) | Ty::OptRef(Ref::Customer) => ctx.find_customers(q),
        Ty::Ref(Ref::Item) | Ty::OptRef(Ref::Item) => ctx.find_items(q),
        _ => {
            let q = q.trim().to_lowercase();
            let hits: Vec<&(String, String)> = options
                .iter()
                .filter(|(c, l)| {
                    q.is_empty() || c.to_lowercase().contains(&q) || l.to_lowercase().contains(&q)
                })
                .collect();
            let exact = options
                .iter()
                .find(|(c, _)| !q.is_empty() && c.to_lowercase() == q)
                .map(|(c, _)| Ok(Code::from(c.as_str())));
            Found {
                total: hits.len(),
                complete: hits.len() <= PROMPT_ROWS_MAX,
                codes: hits
                    .into_iter()
                    .take(PROMPT_ROWS_MAX)
                    .map(|(c, _)| Code::from(c.as_str()))
                    .collect(),
                exact,
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Kinds,
    Browse,
    Filter,
    Form,
    History,
}

enum Ask {
    Save(Box<CommandBody>),
    Discard,
}

/// The browse rows as computed: (view seq, kind, filter, rows).
type BrowseCache = (u64, Kind, String, Vec<(String, Value)>);

pub struct MasterData {
    pub focus: Focus,
    pub kind_row: usize,
    pub kind: Kind,
    pub row: usize,
    pub filter: TextField,
    pub form: Option<Form>,
    /// The record whose history is shown: (kind, key).
    history_of: Option<(Kind, String)>,
    history_from: Focus,
    history_row: usize,
    prompt: Option<Prompt>,
    asking: Option<Ask>,
    pending: bool,
    page: usize,
    notice: Option<Notice>,
    trail: Trail,
    /// Browse rows cached per (seq, kind, filter).
    cache: Option<BrowseCache>,
    /// Opened on one record from another screen (`on_record`): where it
    /// was opened (the record's form, or the list when the record is
    /// not there); back (Esc) from there returns to that screen.
    opened_on: Option<Focus>,
}

impl Default for MasterData {
    fn default() -> Self {
        MasterData::new()
    }
}

/// Most history lines shown of one record.
const HISTORY_MAX: usize = 200;

impl MasterData {
    pub fn new() -> MasterData {
        MasterData {
            focus: Focus::Kinds,
            kind_row: 0,
            kind: Kind::Items,
            row: 0,
            filter: TextField::default(),
            form: None,
            history_of: None,
            history_from: Focus::Browse,
            history_row: 0,
            prompt: None,
            asking: None,
            pending: false,
            page: 10,
            notice: None,
            trail: Trail::new(),
            cache: None,
            opened_on: None,
        }
    }

    /// Open straight on a kind's list (tests, deep links).
    pub fn on(kind: Kind) -> MasterData {
        let mut m = MasterData::new();
        m.kind = kind;
        m.kind_row = KINDS.iter().position(|k| *k == kind).unwrap_or(0);
        m.focus = Focus::Browse;
        m
    }

    /// Open on one record of a kind (the exception queue's Enter on a
    /// finding of a customer, a supplier or a price): the kind's list
    /// with the record selected and its form open, as the keys would
    /// leave it (the kind chosen, Down to the record, Enter), "view
    /// only" said to who may not change it. A record not there (`key`
    /// as `records` names it: a code, `LIST/SKU` for a list price) is
    /// said, the list shown from its top. Back (Esc) from the form, or
    /// from that list, returns to where it was opened from.
    pub fn on_record(ctx: &Ctx, kind: Kind, key: &str) -> MasterData {
        let mut m = MasterData::on(kind);
        let at = m
            .rows(ctx)
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(key.trim()));
        match at {
            Some(row) => {
                m.row = row;
                m.open_form(ctx, false);
                m.opened_on = Some(Focus::Form);
            }
            None => {
                m.notice = Some(Notice::error(format!("no {}", subject(kind, key))));
                m.opened_on = Some(Focus::Browse);
            }
        }
        m
    }

    /// Is back from `focus` back to the screen this was opened from?
    fn back_leaves(&self, focus: Focus) -> bool {
        self.opened_on == Some(focus)
    }

    fn may_change(&self, ctx: &Ctx, kind: Kind) -> bool {
        ctx.operator_record()
            .is_some_and(|o| allows(&o.roles, kind.permission()))
    }

    /// The browse rows of the kind, filtered.
    fn rows(&mut self, ctx: &Ctx) -> Vec<(String, Value)> {
        let f = self.filter.trimmed().to_lowercase();
        let seq = ctx.view.seq;
        let fresh =
            matches!(&self.cache, Some((s, k, q, _)) if *s == seq && *k == self.kind && *q == f);
        if !fresh {
            let cols = self.kind.columns();
            let rows: Vec<(String, Value)> = records(ctx.state(), self.kind)
                .into_iter()
                .filter(|(k, v)| {
                    f.is_empty()
                        || k.to_lowercase().contains(&f)
                        || cols
                            .iter()
                            .any(|c| cell(get_path(v, c.1)).to_lowercase().contains(&f))
                })
                .collect();
            self.cache = Some((seq, self.kind, f, rows));
        }
        self.cache.as_ref().map(|c| c.3.clone()).unwrap_or_default()
    }

    fn selected(&mut self, ctx: &Ctx) -> Option<(String, Value)> {
        let rows = self.rows(ctx);
        rows.get(self.row).cloned()
    }

    fn open_form(&mut self, ctx: &Ctx, create: bool) {
        let form = if create {
            Some(Form::open(self.kind, "", None))
        } else {
            self.selected(ctx)
                .map(|(k, v)| Form::open(self.kind, &k, Some(&v)))
        };
        if let Some(mut form) = form {
            form.recheck(ctx);
            if !self.may_change(ctx, self.kind) {
                self.notice = Some(Notice::info(format!(
                    "view only: changing {} needs {}",
                    self.kind.label().to_lowercase(),
                    self.kind.permission()
                )));
            }
            self.form = Some(form);
            self.focus = Focus::Form;
        }
    }

    /// Reopen the form on the record as stored now (after a save, or
    /// another session's commit when nothing is typed).
    fn reload_form(&mut self, ctx: &Ctx) {
        let Some(form) = &self.form else { return };
        let (kind, key, create) = (form.kind, form.key.clone(), form.create);
        if create {
            return;
        }
        let found = records(ctx.state(), kind)
            .into_iter()
            .find(|(k, _)| *k == key);
        if let Some((k, v)) = found {
            let focus = form.focus;
            let mut f = Form::open(kind, &k, Some(&v));
            f.focus = focus.min(f.rows.len().saturating_sub(1));
            f.recheck(ctx);
            self.form = Some(f);
        }
    }

    fn save(&mut self, ctx: &Ctx) -> Flow {
        let Some(form) = &mut self.form else {
            return Flow::Stay;
        };
        form.recheck(ctx);
        match &form.check {
            Check::Fields => {
                let bad = form
                    .rows
                    .iter()
                    .filter(|r| r.error.is_some())
                    .map(|r| r.label.clone())
                    .collect::<Vec<_>>();
                self.notice = Some(Notice::error(format!(
                    "fix first: {}; nothing was saved",
                    bad.join(", ")
                )));
                Flow::Stay
            }
            Check::Invalid(e) => {
                self.notice = Some(Notice::error(format!("{e}; nothing was saved")));
                Flow::Stay
            }
            Check::Refused(r) => {
                self.notice = Some(Notice::error(format!("{r}; nothing was saved")));
                Flow::Stay
            }
            Check::Ok(events) => {
                let body = match form.command(ctx.state(), true) {
                    Ok(b) => b,
                    Err(e) => {
                        self.notice = Some(Notice::error(e));
                        return Flow::Stay;
                    }
                };
                let what = if form.create {
                    format!("Create {} {}", form.kind.noun(), key_of_body(&body))
                } else {
                    format!("Save {} {}", form.kind.noun(), form.key)
                };
                let waits = governed_in(events);
                let q = if waits.is_empty() {
                    format!("{what}?")
                } else {
                    format!("{what}? {} will wait for approval", waits.join(", "))
                };
                self.asking = Some(Ask::Save(Box::new(body)));
                Flow::Confirm(q)
            }
        }
    }

    fn catch_up(&mut self, ctx: &Ctx) {
        let to = ctx.view.seq;
        if self.trail.seq >= to {
            return;
        }
        let records = ctx.backend.log_range(self.trail.seq + 1, to);
        self.trail.extend(records.iter());
        self.trail.seq = self.trail.seq.max(to);
    }

    /// The history of a record, newest first: one line per field change.
    fn history(&mut self, ctx: &Ctx, kind: Kind, key: &str) -> Vec<(String, String, String)> {
        self.catch_up(ctx);
        let subj = subject(kind, key);
        let mut out = Vec::new();
        for r in self.trail.rows.iter().rev() {
            if !r.documents.contains(&subj) {
                continue;
            }
            let when = format!("{} {}", r.time.format("%Y-%m-%d %H:%M"), r.operator);
            let changes: Vec<_> = r.changes.iter().filter(|c| c.subject == subj).collect();
            if changes.is_empty() || changes.iter().all(|c| c.before.is_empty()) {
                out.push((when.clone(), r.seq.to_string(), r.summary.clone()));
            } else {
                for c in changes {
                    out.push((
                        when.clone(),
                        r.seq.to_string(),
                        format!("{}: {} -> {}", c.field, c.before, c.after),
                    ));
                }
            }
            if out.len() >= HISTORY_MAX {
                break;
            }
        }
        out
    }
}

fn key_of_body(b: &CommandBody) -> String {
    match b {
        CommandBody::SetListPrice { price_list, price } => format!("{price_list}/{}", price.sku),
        CommandBody::SetPostingRule { entity, key, .. } => format!("{entity}/{}", key.as_str()),
        other => other.as_master().map(|(r, _)| r.key()).unwrap_or_default(),
    }
}

/// The governed fields a decision sends to approval.
fn governed_in(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ChangeRequested { fields, .. } => Some(fields.join(", ")),
            _ => None,
        })
        .collect()
}

/// Pending change requests of a record: (id, requested by, path, value requested).
pub fn pending_changes(s: &State, kind: Kind, key: &str) -> Vec<(u64, String, String, String)> {
    let subj = subject(kind, key);
    let mut out = Vec::new();
    for c in s.changes.values() {
        if c.change.subject() != subj {
            continue;
        }
        match &c.change {
            Change::Record(r) => {
                let v = serde_json::to_value(r).unwrap_or(Value::Null);
                let inner = v
                    .as_object()
                    .and_then(|m| m.values().next().cloned())
                    .unwrap_or(Value::Null);
                for field in &c.fields {
                    let shown = match get_path(&inner, field) {
                        Value::Array(a) => a.iter().map(show).collect::<Vec<_>>().join(", "),
                        other => show(other),
                    };
                    out.push((c.id, c.requested_by.to_string(), field.clone(), shown));
                }
            }
            Change::PostingRule { account, .. } => out.push((
                c.id,
                c.requested_by.to_string(),
                "account".into(),
                account.to_string(),
            )),
            _ => {}
        }
    }
    out
}

impl Screen for MasterData {
    fn name(&self) -> &'static str {
        "master_data"
    }
    fn title(&self) -> String {
        match (self.focus, &self.form) {
            (Focus::Kinds, _) => "master data".into(),
            (Focus::Form, Some(f)) if f.create => format!("master data · new {}", f.kind.noun()),
            (Focus::Form, Some(f)) => format!("master data · {} {}", f.kind.noun(), f.key),
            (Focus::History, _) => format!(
                "master data · history of {}",
                self.history_of
                    .as_ref()
                    .map(|(k, key)| subject(*k, key))
                    .unwrap_or_default()
            ),
            _ => format!("master data · {}", self.kind.label().to_lowercase()),
        }
    }
    fn context(&self) -> Context {
        if let Some(p) = &self.prompt {
            return p.lookup.context();
        }
        match self.focus {
            Focus::Kinds | Focus::Browse | Focus::History => Context::List,
            Focus::Filter => Context::Input,
            Focus::Form => Context::Form,
        }
    }
    fn actions(&self) -> Vec<(Action, &'static str)> {
        if let Some(p) = &self.prompt {
            let mut a = crate::ui::lookup::actions(&p.lookup);
            if let Some(first) = a.first_mut() {
                first.1 = "choose";
            }
            return a;
        }
        match self.focus {
            Focus::Kinds => vec![
                (Action::Open, "browse this kind"),
                (Action::Down, "next kind"),
                (Action::Back, "back"),
                (Action::Help, "keys"),
            ],
            Focus::Browse => vec![
                (Action::Open, "edit the record"),
                (Action::New, "new record"),
                (Action::History, "history of the record"),
                (Action::Search, "filter"),
                (
                    Action::Back,
                    if self.back_leaves(Focus::Browse) {
                        "back"
                    } else {
                        "kinds"
                    },
                ),
                (Action::Help, "keys"),
            ],
            Focus::Filter => vec![(Action::Submit, "keep filter"), (Action::Cancel, "clear")],
            Focus::Form => vec![
                (Action::Complete, "save (asks first)"),
                (Action::NextField, "next field"),
                (Action::Lookup, "look up a value"),
                (Action::History, "history"),
                (
                    Action::Cancel,
                    if self.back_leaves(Focus::Form) {
                        "back"
                    } else {
                        "back to the list"
                    },
                ),
                (Action::Help, "keys"),
            ],
            Focus::History => vec![
                (Action::Down, "next change"),
                (Action::Back, "back"),
                (Action::Help, "keys"),
            ],
        }
    }

    fn handle(&mut self, input: Input, ctx: &Ctx) -> Flow {
        if self.pending {
            return Flow::Stay;
        }
        if let Some(p) = &mut self.prompt {
            let ty = p.ty;
            let opts = &p.options;
            let picked = p
                .lookup
                .handle(input, &mut |q| prompt_search(ty, opts, q, ctx), true);
            match picked {
                Picked::No => {}
                Picked::Leave => self.prompt = None,
                Picked::Code(code) => {
                    self.prompt = None;
                    if let Some(form) = &mut self.form {
                        if let Some(r) = form.rows.get_mut(form.focus) {
                            if matches!(ty, Ty::EnumList(_)) && !r.text.trimmed().is_empty() {
                                let t = format!("{}, {code}", r.text.trimmed());
                                r.text = TextField::new(&t);
                            } else {
                                r.text = TextField::new(&code);
                            }
                        }
                        form.recheck(ctx);
                    }
                }
            }
            return Flow::Stay;
        }
        match self.focus {
            Focus::Kinds => match input {
                Input::Action(Action::Open | Action::Submit) => {
                    self.kind = KINDS[self.kind_row.min(KINDS.len() - 1)];
                    self.row = 0;
                    self.filter.take();
                    self.focus = Focus::Browse;
                    Flow::Stay
                }
                Input::Action(Action::Back | Action::Cancel) => Flow::Pop,
                Input::Action(a) => {
                    self.kind_row = moved(self.kind_row, KINDS.len(), a, self.page);
                    Flow::Stay
                }
                Input::Char(c) => {
                    // The first letter jumps to a kind.
                    let c = c.to_ascii_lowercase();
                    if let Some(i) = KINDS.iter().position(|k| {
                        k.label()
                            .chars()
                            .next()
                            .is_some_and(|x| x.to_ascii_lowercase() == c)
                    }) {
                        self.kind_row = i;
                    }
                    Flow::Stay
                }
            },
            Focus::Filter => {
                match input {
                    Input::Action(Action::Submit) => self.focus = Focus::Browse,
                    Input::Action(Action::Cancel) => {
                        self.filter.take();
                        self.focus = Focus::Browse;
                    }
                    other => {
                        if self.filter.edit(other) {
                            self.row = 0;
                        }
                    }
                }
                Flow::Stay
            }
            Focus::Browse => match input {
                Input::Action(Action::Open | Action::Submit) => {
                    self.open_form(ctx, false);
                    Flow::Stay
                }
                Input::Action(Action::New) => {
                    self.open_form(ctx, true);
                    Flow::Stay
                }
                Input::Action(Action::History) => {
                    if let Some((k, _)) = self.selected(ctx) {
                        self.history_of = Some((self.kind, k));
                        self.history_from = Focus::Browse;
                        self.history_row = 0;
                        self.focus = Focus::History;
                    }
                    Flow::Stay
                }
                Input::Action(Action::Search) => {
                    self.focus = Focus::Filter;
                    Flow::Stay
                }
                Input::Action(Action::Back | Action::Cancel) if self.back_leaves(Focus::Browse) => {
                    Flow::Pop
                }
                Input::Action(Action::Back | Action::Cancel) => {
                    self.focus = Focus::Kinds;
                    Flow::Stay
                }
                Input::Action(a) => {
                    let n = self.rows(ctx).len();
                    self.row = moved(self.row, n, a, self.page);
                    Flow::Stay
                }
                Input::Char(c) => {
                    // Typing on the list filters it.
                    self.filter = TextField::new(&c.to_string());
                    self.row = 0;
                    self.focus = Focus::Filter;
                    Flow::Stay
                }
            },
            Focus::History => match input {
                Input::Action(Action::Back | Action::Cancel | Action::History) => {
                    self.focus = self.history_from;
                    Flow::Stay
                }
                Input::Action(a) => {
                    self.history_row = moved(self.history_row, HISTORY_MAX, a, self.page);
                    Flow::Stay
                }
                Input::Char(_) => Flow::Stay,
            },
            Focus::Form => self.handle_form(input, ctx),
        }
    }

    fn confirmed(&mut self, yes: bool, ctx: &Ctx) -> Flow {
        let Some(ask) = self.asking.take() else {
            return Flow::Stay;
        };
        if !yes {
            return Flow::Stay;
        }
        match ask {
            Ask::Discard => {
                self.form = None;
                self.focus = Focus::Browse;
                if self.back_leaves(Focus::Form) {
                    return Flow::Pop;
                }
                Flow::Stay
            }
            Ask::Save(body) => {
                if self.pending {
                    return Flow::Stay;
                }
                self.pending = true;
                Flow::Submit(Box::new(Request {
                    key: ctx.new_key(),
                    body: *body,
                }))
            }
        }
    }

    fn submitted(&mut self, outcome: Submitted, ctx: &Ctx) -> Flow {
        self.pending = false;
        match outcome {
            Submitted::Committed { events, .. } => {
                let waits = governed_in(&events);
                let ids: Vec<String> = events
                    .iter()
                    .filter_map(|e| match e {
                        Event::ChangeRequested { id, .. } => Some(format!("CR {id}")),
                        _ => None,
                    })
                    .collect();
                let (kind, key, create) = match &self.form {
                    Some(f) => (f.kind, f.key.clone(), f.create),
                    None => (self.kind, String::new(), false),
                };
                let key = if create {
                    events
                        .iter()
                        .find_map(|e| match e {
                            Event::MasterUpserted(r) => Some(r.key()),
                            // A price and a posting rule are keyed as the
                            // browse list keys them: the form reopened on
                            // "" showed every field "was" nothing.
                            Event::ListPriceSet { price_list, price } => {
                                Some(format!("{price_list}/{}", price.sku))
                            }
                            Event::PostingRuleSet { entity, key, .. } => {
                                Some(format!("{entity}/{}", key.as_str()))
                            }
                            _ => None,
                        })
                        .unwrap_or(key)
                } else {
                    key
                };
                let applied = events.iter().any(|e| {
                    matches!(
                        e,
                        Event::MasterUpserted(_)
                            | Event::ListPriceSet { .. }
                            | Event::PostingRuleSet { .. }
                    )
                });
                let mut said = if applied {
                    format!("saved {} {key}", kind.noun())
                } else {
                    format!("{} {key}: nothing applied yet", kind.noun())
                };
                if !waits.is_empty() {
                    said.push_str(&format!(
                        "; {} pending approval ({})",
                        waits.join(", "),
                        ids.join(", ")
                    ));
                }
                self.notice = Some(Notice::info(said));
                if let Some(f) = &mut self.form {
                    if f.create {
                        f.create = false;
                        f.key = key;
                    }
                }
                self.reload_form(ctx);
            }
            Submitted::Refused(r) => self.notice = Some(Notice::error(r.to_string())),
            Submitted::Stopped(e) => self.notice = Some(Notice::error(format!("not saved: {e}"))),
        }
        Flow::Stay
    }

    fn committed(&mut self, ctx: &Ctx) {
        if let Some(form) = &self.form {
            if form.dirty() {
                if let Some(f) = &mut self.form {
                    f.recheck(ctx);
                }
            } else {
                self.reload_form(ctx);
            }
        }
        let n = self.rows(ctx).len();
        self.row = self.row.min(n.saturating_sub(1));
    }

    fn dirty(&self) -> bool {
        self.form.as_ref().is_some_and(Form::dirty)
    }

    fn notice(&mut self) -> Option<Notice> {
        self.notice.take()
    }

    fn render(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        match self.focus {
            Focus::Kinds => self.render_kinds(f, area, ctx),
            Focus::Browse | Focus::Filter => self.render_browse(f, area, ctx),
            Focus::Form => self.render_form(f, area, ctx),
            Focus::History => {
                if let Some((k, key)) = self.history_of.clone() {
                    self.render_history(f, area, ctx, k, &key);
                }
            }
        }
        if let Some(p) = &mut self.prompt {
            let pop = centered(
                area,
                area.width.saturating_sub(4),
                area.height.saturating_sub(2),
            );
            f.render_widget(Clear, pop);
            let block = Block::bordered().title(" look up ");
            let inner = block.inner(pop);
            f.render_widget(block, pop);
            let s = ctx.state();
            let opts = &p.options;
            let ty = p.ty;
            let label = |c: &str| -> String {
                match ty {
                    Ty::Ref(Ref::Customer) | Ty::OptRef(Ref::Customer) => s
                        .customers
                        .get(&c.to_code())
                        .map(|x| format!("{:<8} {}", x.code, x.name))
                        .unwrap_or_default(),
                    Ty::Ref(Ref::Item) | Ty::OptRef(Ref::Item) => s
                        .items
                        .get(&c.to_code())
                        .map(|x| format!("{:<10} {}", x.sku, x.description))
                        .unwrap_or_default(),
                    _ => opts
                        .iter()
                        .find(|o| o.0 == c)
                        .map(|o| format!("{:<12} {}", o.0, o.1))
                        .unwrap_or_else(|| c.to_string()),
                }
            };
            p.lookup.render(
                f,
                inner,
                ctx.theme,
                "type to narrow, Enter takes",
                &label,
                &|c| vec![Line::from(label(c))],
            );
        }
    }
}

impl MasterData {
    fn handle_form(&mut self, input: Input, ctx: &Ctx) -> Flow {
        let may = self.may_change(ctx, self.kind);
        let Some(form) = &mut self.form else {
            self.focus = Focus::Browse;
            return Flow::Stay;
        };
        match input {
            Input::Action(Action::Complete) => {
                if !may {
                    self.notice = Some(Notice::error(format!(
                        "view only: changing {} needs {}",
                        form.kind.label().to_lowercase(),
                        form.kind.permission()
                    )));
                    return Flow::Stay;
                }
                self.save(ctx)
            }
            Input::Action(Action::Submit) => {
                if form.is_last() && may {
                    return self.save(ctx);
                }
                form.step(true);
                Flow::Stay
            }
            Input::Action(Action::NextField | Action::Down) => {
                form.step(true);
                Flow::Stay
            }
            Input::Action(Action::PrevField | Action::Up) => {
                form.step(false);
                Flow::Stay
            }
            Input::Action(Action::Cancel | Action::Back) => {
                if form.dirty() {
                    self.asking = Some(Ask::Discard);
                    return Flow::Confirm("Discard the changes typed?".into());
                }
                self.form = None;
                self.focus = Focus::Browse;
                if self.back_leaves(Focus::Form) {
                    return Flow::Pop;
                }
                Flow::Stay
            }
            Input::Action(Action::History) => {
                if !form.create {
                    self.history_of = Some((form.kind, form.key.clone()));
                    self.history_from = Focus::Form;
                    self.history_row = 0;
                    self.focus = Focus::History;
                }
                Flow::Stay
            }
            Input::Action(Action::Lookup) => {
                let Some(r) = form.rows.get(form.focus) else {
                    return Flow::Stay;
                };
                let Some(spec) = r.spec.filter(|_| !r.readonly) else {
                    return Flow::Stay;
                };
                let opts = options(ctx.state(), spec.ty);
                let searchable = matches!(
                    spec.ty,
                    Ty::Ref(Ref::Customer | Ref::Item) | Ty::OptRef(Ref::Customer | Ref::Item)
                );
                if opts.is_empty() && !searchable {
                    self.notice = Some(Notice::error(format!("{}: nothing to look up", r.label)));
                    return Flow::Stay;
                }
                let q = if matches!(spec.ty, Ty::EnumList(_)) {
                    String::new()
                } else {
                    r.text.trimmed().to_string()
                };
                let mut p = Prompt {
                    ty: spec.ty,
                    lookup: Lookup::new(),
                    options: opts,
                };
                p.lookup.query = TextField::new(&q);
                p.lookup.found = prompt_search(p.ty, &p.options, &q, ctx);
                if p.lookup.found.codes.is_empty() {
                    p.lookup.query = TextField::default();
                    p.lookup.found = prompt_search(p.ty, &p.options, "", ctx);
                }
                p.lookup.focus = LookupFocus::Query;
                self.prompt = Some(p);
                Flow::Stay
            }
            other => {
                if !may {
                    return Flow::Stay;
                }
                let i = form.focus;
                let changed = match form.rows.get_mut(i) {
                    Some(r) if !r.readonly => r.text.edit(other),
                    _ => false,
                };
                if changed {
                    form.recheck(ctx);
                }
                Flow::Stay
            }
        }
    }

    fn render_kinds(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let s = ctx.state();
        self.page = area.height.saturating_sub(2).max(1) as usize;
        let items: Vec<ListItem> = KINDS
            .iter()
            .map(|k| {
                let n = records(s, *k).len();
                let pending = s
                    .changes
                    .values()
                    .filter(|c| {
                        let subj = c.change.subject();
                        match k {
                            Kind::ListPrices => subj.starts_with("price "),
                            Kind::PostingRules => subj.starts_with("posting rule "),
                            k => subj.starts_with(&format!("{} ", k.noun())),
                        }
                    })
                    .count();
                let may = if self.may_change(ctx, *k) {
                    ""
                } else {
                    "  (view only)"
                };
                let p = if pending > 0 {
                    format!("  {pending} pending approval")
                } else {
                    String::new()
                };
                ListItem::new(fit(
                    &format!("{:<16} {n:>6}{p}{may}", k.label()),
                    area.width.saturating_sub(2) as usize,
                ))
            })
            .collect();
        let mut st = ListState::default();
        st.select(Some(self.kind_row.min(KINDS.len() - 1)));
        f.render_stateful_widget(
            List::new(items)
                .block(
                    Block::new()
                        .borders(Borders::TOP)
                        .title(" master data: choose what to browse "),
                )
                .highlight_style(theme.selected())
                .highlight_symbol("> "),
            area,
            &mut st,
        );
    }

    fn render_browse(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let rows = self.rows(ctx);
        self.row = self.row.min(rows.len().saturating_sub(1));
        let [table_area, detail, foot] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(2),
            Constraint::Length(1),
        ])
        .areas(area);
        self.page = table_area.height.saturating_sub(3).max(1) as usize;
        let s = ctx.state();
        let cols = self.kind.columns();
        // Columns as fit: the last ones go first on a narrow screen.
        let mut used = 3u16;
        let shown: Vec<&Col> = cols
            .iter()
            .take_while(|c| {
                used += c.2 + 1;
                used <= area.width
            })
            .collect();
        let pending_keys: std::collections::BTreeSet<String> =
            s.changes.values().map(|c| c.change.subject()).collect();
        let table_rows: Vec<Row> = rows
            .iter()
            .map(|(k, v)| {
                let mut cells: Vec<String> = shown
                    .iter()
                    .map(|c| fit(&cell(get_path(v, c.1)), c.2 as usize))
                    .collect();
                let cr = pending_keys.contains(&subject(self.kind, k));
                cells.push(if cr { "CR".into() } else { String::new() });
                let row = Row::new(cells);
                if v.get("active") == Some(&Value::Bool(false)) {
                    row.style(theme.dim())
                } else {
                    row
                }
            })
            .collect();
        let mut widths: Vec<Constraint> = shown.iter().map(|c| Constraint::Length(c.2)).collect();
        widths.push(Constraint::Length(2));
        let mut header: Vec<&str> = shown.iter().map(|c| c.0).collect();
        header.push("");
        let filter_note = if self.filter.text.is_empty() && self.focus != Focus::Filter {
            String::new()
        } else {
            format!("/{} ", self.filter.text)
        };
        let mut st = ratatui::widgets::TableState::default();
        if !rows.is_empty() {
            st.select(Some(self.row));
        }
        f.render_stateful_widget(
            Table::new(table_rows, widths)
                .header(Row::new(header).style(theme.label()))
                .row_highlight_style(theme.selected())
                .block(Block::new().borders(Borders::TOP).title(format!(
                    " {} ({}) {filter_note}",
                    self.kind.label().to_lowercase(),
                    rows.len()
                ))),
            table_area,
            &mut st,
        );
        let mut lines = Vec::new();
        if let Some((k, _)) = rows.get(self.row) {
            let p = pending_changes(s, self.kind, k);
            if p.is_empty() {
                lines.push(Line::from(Span::styled(
                    fit(
                        &format!("{}: no change waiting for approval", subject(self.kind, k)),
                        area.width as usize,
                    ),
                    theme.dim(),
                )));
            } else {
                for (id, by, field, new) in p.iter().take(2) {
                    lines.push(Line::from(Span::styled(
                        fit(
                            &format!("pending: {field} -> {new} (CR {id}, requested by {by})"),
                            area.width as usize,
                        ),
                        theme.error(),
                    )));
                }
            }
        } else {
            lines.push(Line::from(Span::styled(
                "nothing matches: Esc clears the filter",
                theme.dim(),
            )));
        }
        f.render_widget(Paragraph::new(lines), detail);
        let foot_line = if self.focus == Focus::Filter {
            Line::from(vec![
                Span::styled("Filter ", theme.label()),
                self.filter.span(true, 24, theme),
            ])
        } else {
            Line::from(Span::styled(
                fit(
                    if self.back_leaves(Focus::Browse) {
                        "Enter edit  F6 new  F7 history  / filter  Esc back"
                    } else {
                        "Enter edit  F6 new  F7 history  / filter  Esc kinds"
                    },
                    area.width as usize,
                ),
                theme.dim(),
            ))
        };
        f.render_widget(Paragraph::new(foot_line), foot);
    }

    fn render_form(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let theme = ctx.theme;
        let wide = area.width >= 120;
        let (form_area, side) = if wide {
            let [a, b] =
                Layout::horizontal([Constraint::Length(84), Constraint::Min(20)]).areas(area);
            (a, Some(b))
        } else {
            (area, None)
        };
        let s = ctx.state();
        let (kind, key, create) = match &self.form {
            Some(fm) => (fm.kind, fm.key.clone(), fm.create),
            None => return,
        };
        let pending = if create {
            Vec::new()
        } else {
            pending_changes(s, kind, &key)
        };
        let may = self.may_change(ctx, kind);
        let Some(form) = &mut self.form else { return };
        let [head, body, check, legend] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(2),
            Constraint::Length(1),
        ])
        .areas(form_area);
        let title = if create {
            format!("new {}", kind.noun())
        } else {
            let name = get_path(&form.base, "name");
            let name = if name.is_null() {
                get_path(&form.base, "description")
            } else {
                name
            };
            format!("{} {}  {}", kind.noun(), key, show(name))
        };
        f.render_widget(
            Paragraph::new(Line::from(Span::styled(
                fit(&title, form_area.width as usize),
                theme.label().add_modifier(Modifier::BOLD),
            ))),
            head,
        );
        let h = body.height as usize;
        if form.focus < form.scroll {
            form.scroll = form.focus;
        } else if h > 0 && form.focus >= form.scroll + h {
            form.scroll = form.focus + 1 - h;
        }
        let label_w = 17usize;
        let value_w = (form_area.width as usize)
            .saturating_sub(label_w + 3)
            .min(if wide { 40 } else { 32 });
        let note_w = (form_area.width as usize).saturating_sub(label_w + 3 + value_w + 1);
        let mut lines = Vec::new();
        for (i, r) in form.rows.iter().enumerate().skip(form.scroll).take(h) {
            let focused = i == form.focus;
            let governed = r.spec.is_some_and(|s| s.governed);
            let mark = if focused { ">" } else { " " };
            let mut spans = vec![
                Span::raw(mark.to_string()),
                Span::styled(
                    format!(
                        "{:<w$}",
                        fit(
                            &format!("{}{}", r.label, if governed { "*" } else { "" }),
                            label_w
                        ),
                        w = label_w
                    ),
                    theme.label(),
                ),
                Span::raw(" "),
            ];
            if r.readonly {
                spans.push(Span::styled(
                    format!("{:<value_w$}", fit(&r.text.text, value_w)),
                    theme.dim(),
                ));
            } else {
                spans.push(r.text.span(focused && may, value_w, theme));
            }
            spans.push(Span::raw(" "));
            let pend = pending
                .iter()
                .filter(|p| p.2 == r.path)
                .map(|p| format!("pending -> {} (CR {}, {})", p.3, p.0, p.1))
                .next();
            if let Some(e) = &r.error {
                spans.push(Span::styled(fit(e, note_w), theme.error()));
            } else if let Some(p) = pend {
                spans.push(Span::styled(fit(&p, note_w), theme.error()));
            } else if r.spec.is_none() {
                spans.push(Span::styled(fit("not edited here", note_w), theme.dim()));
            } else if r.text.text != r.orig && !create {
                spans.push(Span::styled(
                    fit(&format!("was {}", r.orig), note_w),
                    theme.dim(),
                ));
            }
            lines.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(lines), body);
        let w = form_area.width as usize;
        let check_lines: Vec<Line> = match &form.check {
            // The note beside a field is cut at the form's width: the
            // focused field's error (or else the first one) in full here.
            Check::Fields => {
                let bad = form
                    .rows
                    .get(form.focus)
                    .filter(|r| r.error.is_some())
                    .or_else(|| form.rows.iter().find(|r| r.error.is_some()));
                let text = match bad.and_then(|r| r.error.as_ref().map(|e| (&r.label, e))) {
                    Some((label, e)) => format!("{label}: {e}"),
                    None => "fields marked need fixing before saving".to_string(),
                };
                in_full(&text, w, theme.error())
            }
            Check::Invalid(e) => in_full(e, w, theme.error()),
            Check::Refused(Rejection::NoChange) => vec![Line::from(Span::styled(
                fit("nothing changed yet", w),
                theme.dim(),
            ))],
            Check::Refused(r) => in_full(&format!("the core would refuse: {r}"), w, theme.error()),
            Check::Ok(ev) => {
                let waits = governed_in(ev);
                let mut v = vec![Line::from(Span::styled(
                    fit("ready: F10 saves (asks first)", w),
                    theme.good(),
                ))];
                if !waits.is_empty() {
                    v.push(Line::from(Span::styled(
                        fit(
                            &format!(
                                "{} will wait for a second person's approval",
                                waits.join(", ")
                            ),
                            w,
                        ),
                        theme.error(),
                    )));
                }
                v
            }
        };
        f.render_widget(Paragraph::new(check_lines), check);
        let legend_text = if may {
            "* governed: a change waits for approval   F4 look up  F10 save  F7 history"
        } else {
            "view only (your roles may not change this kind)   F7 history"
        };
        f.render_widget(
            Paragraph::new(Line::from(Span::styled(fit(legend_text, w), theme.dim()))),
            legend,
        );
        if let Some(side) = side {
            if !create {
                self.render_side(f, side, ctx, kind, &key, &pending);
            }
        }
    }

    fn render_side(
        &mut self,
        f: &mut Frame,
        area: Rect,
        ctx: &Ctx,
        kind: Kind,
        key: &str,
        pending: &[(u64, String, String, String)],
    ) {
        let theme = ctx.theme;
        let w = area.width.saturating_sub(2) as usize;
        let mut lines = vec![Line::from(Span::styled("pending changes", theme.label()))];
        if pending.is_empty() {
            lines.push(Line::from(Span::styled("  none", theme.dim())));
        }
        for (id, by, field, new) in pending {
            lines.push(Line::from(Span::styled(
                fit(&format!("  CR {id} by {by}: {field} -> {new}"), w),
                theme.error(),
            )));
        }
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("history", theme.label())));
        let h = self.history(ctx, kind, key);
        if h.is_empty() {
            lines.push(Line::from(Span::styled(
                "  no change recorded",
                theme.dim(),
            )));
        }
        let room = (area.height as usize).saturating_sub(lines.len() + 1);
        for (when, _, what) in h.iter().take(room / 2) {
            lines.push(Line::from(Span::styled(
                fit(&format!("  {when}"), w),
                theme.dim(),
            )));
            lines.push(Line::from(fit(&format!("    {what}"), w)));
        }
        f.render_widget(
            Paragraph::new(lines).block(Block::new().borders(Borders::LEFT)),
            area,
        );
    }

    fn render_history(&mut self, f: &mut Frame, area: Rect, ctx: &Ctx, kind: Kind, key: &str) {
        let theme = ctx.theme;
        let h = self.history(ctx, kind, key);
        self.history_row = self.history_row.min(h.len().saturating_sub(1));
        self.page = area.height.saturating_sub(3).max(1) as usize;
        let wide = area.width >= 110;
        let rows: Vec<Row> = h
            .iter()
            .map(|(when, seq, what)| {
                if wide {
                    Row::new(vec![when.clone(), seq.clone(), what.clone()])
                } else {
                    Row::new(vec![when.clone(), what.clone()])
                }
            })
            .collect();
        let (header, widths) = if wide {
            (
                vec!["When (UTC), who", "Record", "Change: before -> after"],
                vec![
                    Constraint::Length(24),
                    Constraint::Length(7),
                    Constraint::Min(20),
                ],
            )
        } else {
            (
                vec!["When (UTC), who", "Change: before -> after"],
                vec![Constraint::Length(24), Constraint::Min(20)],
            )
        };
        let mut st = ratatui::widgets::TableState::default();
        if !h.is_empty() {
            st.select(Some(self.history_row));
        }
        let [table, foot] =
            Layout::vertical([Constraint::Min(2), Constraint::Length(1)]).areas(area);
        f.render_stateful_widget(
            Table::new(rows, widths)
                .header(Row::new(header).style(theme.label()))
                .row_highlight_style(theme.selected())
                .block(Block::new().borders(Borders::TOP).title(format!(
                    " history of {} ({} changes) ",
                    subject(kind, key),
                    h.len()
                ))),
            table,
            &mut st,
        );
        let pending = pending_changes(ctx.state(), kind, key);
        let foot_text = if pending.is_empty() {
            "no change waiting for approval".to_string()
        } else {
            pending
                .iter()
                .map(|(id, by, field, new)| format!("pending: {field} -> {new} (CR {id}, {by})"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        f.render_widget(
            Paragraph::new(Line::from(Span::styled(
                fit(&foot_text, area.width as usize),
                if pending.is_empty() {
                    theme.dim()
                } else {
                    theme.error()
                },
            ))),
            foot,
        );
    }
}

/// A message under the form on its two lines, broken between words: the
/// note beside a field is cut at the form's width, so this is where a
/// clerk reads it whole.
fn in_full(text: &str, width: usize, style: ratatui::style::Style) -> Vec<Line<'static>> {
    crate::ui::widgets::wrap_words(text, width, 2)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, style)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_money_with_the_currency_decimals_and_dates() {
        let s = State::default();
        let usd = Currency::new("USD");
        assert_eq!(parse(Ty::Money, "12.34", &s, &usd), Ok(json!("12.34")));
        assert!(parse(Ty::Money, "12.3456", &s, &usd).is_err());
        assert!(parse(Ty::Money, "-1", &s, &usd).is_err());
        assert!(parse(Ty::Money, "1,000", &s, &usd).is_err());
        assert!(parse(Ty::Money, "12.5", &s, &Currency::new("JPY")).is_err());
        assert_eq!(parse(Ty::Price, "1.2345", &s, &usd), Ok(json!("1.2345")));
        assert!(parse(Ty::Date, "2026-02-30", &s, &usd).is_err());
        assert!(parse(Ty::Enum(ABC), "D", &s, &usd).is_err());
        assert_eq!(
            parse(Ty::EnumList(ROLES), "buyer, picker", &s, &usd),
            Ok(json!(["buyer", "picker"]))
        );
        assert!(parse(Ty::Ref(Ref::TaxClass), "NOPE", &s, &usd).is_err());
        assert!(parse(Ty::Keys, "ssh-ed25519 !!!", &s, &usd).is_err());
        assert_eq!(parse(Ty::Keys, "", &s, &usd), Ok(Value::Null));
    }

    #[test]
    fn every_kind_has_a_key_field_first_and_known_paths() {
        for k in KINDS {
            let fields = k.fields();
            assert!(fields.first().is_some_and(|f| f.key), "{k:?}");
            for c in k.columns() {
                assert!(!c.1.is_empty());
            }
        }
    }
}
