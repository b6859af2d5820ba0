//! `depot report NAME`: tables read from the state's maintained balances
//! and open documents (never by scanning history), printed as aligned
//! text, CSV or JSON.

use crate::core::sales::OrderStatus;
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::core::State;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

mod consolidate;
mod finance;
mod kpi;
mod models;
pub mod statement;
pub use consolidate::average_rate;
pub use finance::{
    bucket_of, statement_data, statement_data_with, statement_open_items, StatementData,
    StatementLine, AGING_LABELS,
};
pub use kpi::parse_period;
pub use statement::{FinancialStatement, RowKind, StatementRow};

/// The reports this build knows.
pub const REPORTS: &[&str] = &[
    "trial-balance",
    "aging-ar",
    "open-orders",
    "backorders",
    "stock",
    "stock-valuation",
    "open-pos",
    "supplier-performance",
    "grni",
    "count-accuracy",
    "replenishment",
    "pl",
    "balance-sheet",
    "aging-ap",
    "statement",
    "close-checklist",
    "margin",
    "dso",
    "gl",
    "bank-rec",
    "exceptions",
    "permissions",
    "audit",
    "kpi",
    "models",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReportError {
    #[error("unknown report {name:?}; the reports are: {}", REPORTS.join(", "))]
    Unknown { name: String },
    #[error("unknown entity {0:?}")]
    UnknownEntity(String),
    #[error("unknown customer {0:?}")]
    UnknownCustomer(String),
    #[error("report {0} needs {1}")]
    Needs(&'static str, &'static str),
    #[error("{option} {value:?}: expected {expected}")]
    BadOption {
        option: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("no {from}/{to} rate (nor {to}/{from}) on or before {date}")]
    NoRate {
        from: String,
        to: String,
        date: NaiveDate,
    },
    #[error("report gl reads the event log: run it as `depot report gl`")]
    NeedsLog,
    #[error("report audit reads the event log: run it as `depot report audit`")]
    AuditNeedsLog,
    /// A report as of a day before the latest archived document: what was
    /// archived after it is read from the store (`Options::later`).
    #[error("archived documents: {0}")]
    Archive(#[from] crate::core::archive::CarriedError),
}

/// What a report is asked for beyond its name.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only this entity.
    pub entity: Option<String>,
    /// The day the report is as of.
    pub today: NaiveDate,
    /// `statement`: the customer.
    pub customer: Option<String>,
    /// `margin`: customer, channel or item; `kpi`: entity, warehouse,
    /// channel or customer.
    pub by: Option<String>,
    /// `kpi`: the month (`YYYY-MM`); default the month of `today`.
    pub period: Option<String>,
    /// `trial-balance`, `pl`, `balance-sheet`: consolidate every entity
    /// into this currency.
    pub currency: Option<String>,
    /// Without `--as-of`: the clock, so that "today" is the local date of
    /// the entity asked for (of the entity furthest ahead when none is).
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// `audit`: document, operator, session and time range.
    pub audit: crate::query::audit::Filter,
    /// `statement`, `margin` as of a day before the latest archived
    /// document: what the archive holds after it (`Store::later`), read
    /// by the caller when the report asks for it
    /// (`ReportError::Archive(CarriedError::NeedsArchive)`).
    pub later: Option<std::sync::Arc<crate::core::archive::Later>>,
}

impl Options {
    pub fn new(entity: Option<&str>, today: NaiveDate) -> Options {
        Options {
            entity: entity.map(str::to_string),
            today,
            customer: None,
            by: None,
            period: None,
            currency: None,
            now: None,
            audit: Default::default(),
            later: None,
        }
    }
}

/// A report: columns and rows of text (numbers already formatted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub title: String,
    pub headers: Vec<&'static str>,
    /// Columns that hold numbers (right-aligned in text).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
    /// Footnotes printed under the text form (not rows of the data).
    pub notes: Vec<String>,
}

impl Table {
    pub fn new(title: String, cols: &[(&'static str, bool)]) -> Table {
        Table {
            title,
            headers: cols.iter().map(|c| c.0).collect(),
            numeric: cols.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Footnote the journal entries dated after `as_of` that a report by
    /// posting date leaves out.
    pub(crate) fn note_later_entries(&mut self, s: &State, entity: Option<&str>, as_of: NaiveDate) {
        self.notes.extend(later_entries_note(s, entity, as_of));
    }

    /// Aligned text with a title line.
    pub fn text(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        let line = |cells: Vec<&str>| -> String {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let w = widths.get(i).copied().unwrap_or(0);
                    if self.numeric.get(i).copied().unwrap_or(false) {
                        format!("{c:>w$}")
                    } else {
                        format!("{c:<w$}")
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = format!("{}\n", self.title);
        out += &line(self.headers.clone());
        out.push('\n');
        out += &widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ");
        out.push('\n');
        for r in &self.rows {
            out += &line(r.iter().map(String::as_str).collect());
            out.push('\n');
        }
        for n in &self.notes {
            out += &format!("* {n}\n");
        }
        out
    }

    pub fn csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(&self.headers);
        for r in &self.rows {
            let _ = w.write_record(r);
        }
        w.into_inner()
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        Value::Array(
            self.rows
                .iter()
                .map(|r| {
                    let mut m = Map::new();
                    for (h, c) in self.headers.iter().zip(r) {
                        m.insert(h.to_string(), Value::String(c.clone()));
                    }
                    Value::Object(m)
                })
                .collect(),
        )
    }
}

/// The footnote of the journal entries dated after `as_of` that a report
/// by posting date leaves out, if any.
pub(crate) fn later_entries_note(
    s: &State,
    entity: Option<&str>,
    as_of: NaiveDate,
) -> Option<String> {
    let later = s.entries_after(entity, as_of);
    (later > 0).then(|| {
        format!(
            "{later} journal entr{} dated after {as_of} not included",
            if later == 1 { "y" } else { "ies" }
        )
    })
}

fn money(d: Decimal) -> String {
    let d = d.round_dp(2);
    // Never "-0.00": a rounded or eliminated zero is zero.
    let d = if d.is_zero() { Decimal::ZERO } else { d };
    format!("{d:.2}")
}

fn qty(d: Decimal) -> String {
    d.normalize().to_string()
}

/// What an operator needs to read report `name` (over SSH; the local
/// command line is the store's owner). The books and what they imply
/// (margins, statements, valuation) need `view_ledger`; the operational
/// lists need only `view_master_data`.
pub fn permission(name: &str) -> crate::core::auth::Permission {
    use crate::core::auth::Permission;
    match name {
        "open-orders"
        | "backorders"
        | "stock"
        | "open-pos"
        | "supplier-performance"
        | "replenishment"
        | "count-accuracy"
        | "list"
        | "exceptions"
        | "permissions" => Permission::ViewMasterData,
        _ => Permission::ViewLedger,
    }
}

/// Build report `name` as of `today`, optionally for one entity.
pub fn build(
    name: &str,
    s: &State,
    entity: Option<&str>,
    today: NaiveDate,
) -> Result<Table, ReportError> {
    build_with(name, s, &Options::new(entity, today))
}

/// The P&L (`name` "pl") or the balance sheet ("balance-sheet") as rows,
/// of `o.entity` (or every entity in turn), consolidated in
/// `o.currency` when given: what `depot report` prints and the finance
/// views show.
pub fn statement_with(
    name: &str,
    s: &State,
    o: &Options,
) -> Result<FinancialStatement, ReportError> {
    let local = on_business_day(s, o);
    let o = &*local;
    if let Some(e) = o.entity.as_deref() {
        if !s.entities.contains_key(&e.to_code()) {
            return Err(ReportError::UnknownEntity(e.to_string()));
        }
    }
    match (name, o.currency.as_deref()) {
        ("pl", Some(c)) => consolidate::pl(s, o, c),
        ("balance-sheet", Some(c)) => consolidate::balance_sheet(s, o, c),
        ("pl", None) => Ok(finance::pl(s, o)),
        ("balance-sheet", None) => Ok(finance::balance_sheet(s, o)),
        _ => Err(ReportError::Unknown {
            name: name.to_string(),
        }),
    }
}

/// The options with `today` the entity's business day of `now`, when a
/// moment is given (the report's day in the entity's time zone).
fn on_business_day<'o>(s: &State, o: &'o Options) -> std::borrow::Cow<'o, Options> {
    match o.now {
        Some(now) => std::borrow::Cow::Owned(Options {
            today: crate::core::zone::today(s, o.entity.as_deref(), now),
            now: None,
            ..o.clone()
        }),
        None => std::borrow::Cow::Borrowed(o),
    }
}

/// Build report `name` with its options.
pub fn build_with(name: &str, s: &State, o: &Options) -> Result<Table, ReportError> {
    let local = on_business_day(s, o);
    let o = &*local;
    let entity = o.entity.as_deref();
    let today = o.today;
    if let Some(e) = entity {
        if !s.entities.contains_key(&e.to_code()) {
            return Err(ReportError::UnknownEntity(e.to_string()));
        }
    }
    let wanted = |e: &str| entity.is_none_or(|x| x == e);
    if let Some(c) = &o.currency {
        if !matches!(name, "trial-balance" | "pl" | "balance-sheet") {
            return Err(ReportError::BadOption {
                option: "--currency",
                value: c.clone(),
                expected: "only with trial-balance, pl or balance-sheet",
            });
        }
    }
    Ok(match name {
        "trial-balance" | "pl" | "balance-sheet" if o.currency.is_some() => {
            let currency = o.currency.as_deref().unwrap_or_default();
            match name {
                "pl" | "balance-sheet" => statement_with(name, s, o)?.table(),
                _ => consolidate::trial_balance(s, o, currency)?,
            }
        }
        "pl" | "balance-sheet" => statement_with(name, s, o)?.table(),
        "aging-ap" => finance::aging_ap(s, o),
        "statement" => finance::statement(s, o)?,
        "close-checklist" => finance::close_checklist(s, o),
        "margin" => finance::margin(s, o)?,
        "dso" => finance::dso(s, o),
        "kpi" => kpi::kpi(s, o)?,
        "models" => models::models(s, o),
        "bank-rec" => finance::bank_rec(s, o),
        "gl" => return Err(ReportError::NeedsLog),
        "audit" => return Err(ReportError::AuditNeedsLog),
        "trial-balance" => {
            let mut t = Table::new(
                format!("Trial balance as of {today} (by posting date)"),
                &[
                    ("entity", false),
                    ("account", false),
                    ("name", false),
                    ("debit", true),
                    ("credit", true),
                ],
            );
            // The same figures as the finance views screen shows.
            for code in s.entities.keys().filter(|e| wanted(e)) {
                let Some(tb) = crate::query::finance::trial_balance(s, code, today) else {
                    continue;
                };
                let cell = |d: Decimal| if d.is_zero() { String::new() } else { money(d) };
                for r in tb.rows {
                    t.rows.push(vec![
                        code.to_string(),
                        r.account.to_string(),
                        r.name,
                        cell(r.debit),
                        cell(r.credit),
                    ]);
                }
                t.rows.push(vec![
                    code.to_string(),
                    "TOTAL".into(),
                    String::new(),
                    money(tb.debit),
                    money(tb.credit),
                ]);
            }
            t.note_later_entries(s, entity, today);
            t
        }
        "aging-ar" => finance::aging_ar(s, o)?,
        "open-orders" => {
            let mut t = Table::new(
                "Open orders".into(),
                &[
                    ("order", false),
                    ("customer", false),
                    ("status", false),
                    ("holds", false),
                    ("date", false),
                    ("lines", true),
                    ("value", true),
                    ("currency", false),
                    ("reserved", true),
                    ("backordered", true),
                    ("shipped", true),
                ],
            );
            for o in s
                .orders
                .values_sorted()
                .into_iter()
                .filter(|o| wanted(&o.entity))
            {
                if !matches!(o.status, OrderStatus::Open | OrderStatus::Held) {
                    continue;
                }
                let live = o.lines.iter().filter(|l| !l.cancelled);
                let done = o
                    .lines
                    .iter()
                    .filter(|l| !l.cancelled)
                    .all(|l| l.shipped >= l.qty);
                if done {
                    continue;
                }
                let sum = |f: fn(&crate::core::sales::OrderLine) -> Decimal| -> Decimal {
                    o.lines.iter().filter(|l| !l.cancelled).map(f).sum()
                };
                t.rows.push(vec![
                    o.number.to_string(),
                    o.customer.to_string(),
                    format!("{:?}", o.status).to_lowercase(),
                    o.holds
                        .iter()
                        .map(|h| h.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    o.date.to_string(),
                    live.count().to_string(),
                    money(o.value()),
                    o.currency.to_string(),
                    qty(sum(|l| l.reserved)),
                    qty(sum(|l| l.backordered)),
                    qty(sum(|l| l.shipped)),
                ]);
            }
            t
        }
        "backorders" => {
            let mut t = Table::new(
                "Backorders (oldest promise first)".into(),
                &[
                    ("order", false),
                    ("line", true),
                    ("customer", false),
                    ("sku", false),
                    ("warehouse", false),
                    ("qty", true),
                    ("promise", false),
                ],
            );
            let mut rows: Vec<(NaiveDate, Vec<String>)> = Vec::new();
            for o in s
                .orders
                .values_sorted()
                .into_iter()
                .filter(|o| wanted(&o.entity) && o.status == OrderStatus::Open)
            {
                for l in o
                    .lines
                    .iter()
                    .filter(|l| !l.cancelled && l.backordered > Decimal::ZERO)
                {
                    let p = l.promise.unwrap_or(o.date);
                    rows.push((
                        p,
                        vec![
                            o.number.to_string(),
                            l.line.to_string(),
                            o.customer.to_string(),
                            l.sku.to_string(),
                            l.warehouse.to_string(),
                            qty(l.backordered),
                            p.to_string(),
                        ],
                    ));
                }
            }
            rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            t.rows = rows.into_iter().map(|r| r.1).collect();
            t
        }
        "stock" => {
            let mut t = Table::new(
                "Stock by warehouse and bin".into(),
                &[
                    ("warehouse", false),
                    ("bin", false),
                    ("sku", false),
                    ("lot", false),
                    ("expires", false),
                    ("on hand", true),
                    ("reserved", true),
                    ("in pick", true),
                    ("available", true),
                ],
            );
            for (k, q) in &s.bin_stock {
                let ent = s
                    .warehouse_entity(&k.warehouse)
                    .map(Code::as_str)
                    .unwrap_or("");
                if !wanted(ent) {
                    continue;
                }
                t.rows.push(vec![
                    k.warehouse.to_string(),
                    k.bin.to_string(),
                    k.sku.to_string(),
                    k.lot.clone().unwrap_or_default().to_string(),
                    match s.lot_expiry(&k.sku, k.lot.as_deref()) {
                        Some(d) if d < today => format!("{d} EXPIRED"),
                        Some(d) => d.to_string(),
                        None => String::new(),
                    },
                    qty(*q),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
            for ((wh, sku), st) in &s.stock {
                let ent = s.warehouse_entity(wh).map(Code::as_str).unwrap_or("");
                if !wanted(ent)
                    || (st.on_hand.is_zero() && st.reserved.is_zero() && st.in_pick.is_zero())
                {
                    continue;
                }
                t.rows.push(vec![
                    wh.to_string(),
                    "(total)".into(),
                    sku.to_string(),
                    String::new(),
                    String::new(),
                    qty(st.on_hand),
                    qty(st.reserved),
                    qty(st.in_pick),
                    // Quarantined and expired stock is not available.
                    qty((st.on_hand
                        - st.reserved
                        - crate::core::sales::unavailable(s, wh, sku, today))
                    .max(Decimal::ZERO)),
                ]);
            }
            t
        }
        "stock-valuation" => {
            // From the pools' dated movements, up to the day asked for.
            let mut t = Table::new(
                format!("Stock valuation at moving average cost as of {today} (by event time)"),
                &[
                    ("entity", false),
                    ("sku", false),
                    ("qty", true),
                    ("value", true),
                    ("average cost", true),
                ],
            );
            let mut totals: std::collections::BTreeMap<&str, Decimal> = Default::default();
            let mut pools: std::collections::BTreeMap<(&str, &str), crate::core::state::CostPool> =
                Default::default();
            let mut later = 0u64;
            for ((e, sku), days) in &s.pool_days {
                if !wanted(e) {
                    continue;
                }
                later += days.after(today) as u64;
                pools.insert((e.as_str(), sku.as_str()), days.up_to(today));
            }
            for ((e, sku), pool) in &pools {
                if pool.qty.is_zero() && pool.value.is_zero() {
                    continue;
                }
                *totals.entry(*e).or_default() += pool.value;
                let avg = if pool.qty.is_zero() {
                    Decimal::ZERO
                } else {
                    (pool.value / pool.qty).round_dp(4)
                };
                t.rows.push(vec![
                    e.to_string(),
                    sku.to_string(),
                    qty(pool.qty),
                    money(pool.value),
                    avg.normalize().to_string(),
                ]);
            }
            for (e, v) in totals {
                t.rows.push(vec![
                    e.to_string(),
                    "TOTAL".into(),
                    String::new(),
                    money(v),
                    String::new(),
                ]);
            }
            if later > 0 {
                t.notes.push(format!(
                    "{later} item-day(s) of stock movements after {today} not included"
                ));
            }
            t
        }
        "supplier-performance" => {
            let mut t = Table::new(
                format!("Supplier performance, PO lines due in the 365 days to {today}"),
                &[
                    ("supplier", false),
                    ("name", false),
                    ("entity", false),
                    ("lines_due", true),
                    ("on_time", true),
                    ("on_time_pct", true),
                    ("ordered", true),
                    ("received", true),
                    ("fill_pct", true),
                    ("stated_lead_days", true),
                    ("actual_lead_days", true),
                    ("drift_days", true),
                ],
            );
            let opt = |v: Option<Decimal>| v.map(|x| x.normalize().to_string()).unwrap_or_default();
            for p in crate::query::supplier::performance(s, today, 365)
                .into_iter()
                .filter(|p| wanted(&p.entity))
            {
                t.rows.push(vec![
                    p.supplier.to_string(),
                    p.name.clone(),
                    p.entity.to_string(),
                    p.lines_due.to_string(),
                    p.lines_on_time.to_string(),
                    opt(p.on_time_pct()),
                    qty(p.ordered),
                    qty(p.received),
                    opt(p.fill_pct()),
                    p.stated_lead_days.to_string(),
                    opt(p.actual_lead_days),
                    opt(p.drift_days()),
                ]);
            }
            t
        }
        "open-pos" => {
            let mut t = Table::new(
                "Open purchase orders".into(),
                &[
                    ("po", false),
                    ("line", true),
                    ("supplier", false),
                    ("warehouse", false),
                    ("sku", false),
                    ("ordered", true),
                    ("received", true),
                    ("open", true),
                    ("expected", false),
                    ("late", false),
                ],
            );
            for po in s
                .index
                .open_pos
                .iter()
                .filter_map(|n| s.purchase_orders.get(n))
            {
                if !wanted(&po.entity) {
                    continue;
                }
                for l in po.lines.iter().filter(|l| l.open() > Decimal::ZERO) {
                    t.rows.push(vec![
                        po.number.to_string(),
                        l.line.to_string(),
                        po.supplier.to_string(),
                        po.warehouse.to_string(),
                        l.sku.to_string(),
                        qty(l.qty),
                        qty(l.received),
                        qty(l.open()),
                        l.expected.to_string(),
                        if l.expected < today {
                            "late".into()
                        } else {
                            String::new()
                        },
                    ]);
                }
            }
            t
        }
        "replenishment" => {
            let mut t = Table::new(
                format!("Replenishment suggestions as of {today}, by supplier"),
                &[
                    ("supplier", false),
                    ("warehouse", false),
                    ("sku", false),
                    ("description", false),
                    ("position", true),
                    ("reorder_at", true),
                    ("order_up_to", true),
                    ("suggested", true),
                    ("unit", false),
                    ("reason", false),
                    ("forecast_method", false),
                    ("forecast_weekly", true),
                    ("forecast_lead_demand", true),
                    ("forecast_qty", true),
                    ("forecast_reason", false),
                ],
            );
            let all = crate::core::replenish::suggestions(s, today, None);
            // The demand forecast beside each suggestion (models::replenish).
            let advice = crate::models::replenish::advise(s, today, &all);
            for g in all {
                let entity = s.warehouses.get(&g.warehouse).map(|w| w.entity.as_str());
                if !entity.is_some_and(wanted) {
                    continue;
                }
                let a = advice.get(&(g.warehouse.clone(), g.sku.clone()));
                let fc = match a {
                    Some(a) => vec![
                        a.method.to_string(),
                        a.weekly.to_string(),
                        qty(a.lead_demand),
                        qty(a.unit_qty),
                        crate::models::replenish::reasons_line(&a.reasons),
                    ],
                    None => vec![
                        "-".into(),
                        String::new(),
                        String::new(),
                        String::new(),
                        "no order history of the item in the warehouse".into(),
                    ],
                };
                let mut row = vec![
                    g.supplier
                        .clone()
                        .unwrap_or_else(|| "(none)".into())
                        .to_string(),
                    g.warehouse.to_string(),
                    g.sku.to_string(),
                    g.description,
                    qty(g.position),
                    qty(g.reorder_point),
                    qty(g.order_up_to),
                    qty(g.unit_qty),
                    g.unit.to_string(),
                    g.reason,
                ];
                row.extend(fc);
                t.rows.push(row);
            }
            t
        }
        "grni" => {
            let mut t = Table::new(
                format!("Goods received not invoiced, aged as of {today}"),
                &[
                    ("po", false),
                    ("line", true),
                    ("supplier", false),
                    ("sku", false),
                    ("received", true),
                    ("invoiced", true),
                    ("value", true),
                    ("oldest_open_receipt", false),
                    ("age_days", true),
                ],
            );
            // Receipts of the lines still accrued, oldest first: invoices
            // relieve the oldest receipts first, so the open part's age is
            // that of the first receipt not fully invoiced.
            let open: std::collections::BTreeSet<(&str, u32)> = s
                .purchase_orders
                .values()
                .filter(|po| wanted(&po.entity))
                .flat_map(|po| {
                    po.lines
                        .iter()
                        .filter(|l| !(l.received_value - l.relieved).is_zero())
                        .map(move |l| (po.number.as_str(), l.line))
                })
                .collect();
            let mut receipts: std::collections::BTreeMap<(&str, u32), Vec<(NaiveDate, Decimal)>> =
                Default::default();
            if !open.is_empty() {
                for gr in s.goods_receipts.values() {
                    for l in &gr.lines {
                        if open.contains(&(gr.po.as_str(), l.po_line)) {
                            receipts
                                .entry((gr.po.as_str(), l.po_line))
                                .or_default()
                                .push((gr.date, l.qty));
                        }
                    }
                }
            }
            let mut totals: std::collections::BTreeMap<&str, [Decimal; 4]> = Default::default();
            for po in s.purchase_orders.values() {
                if !wanted(&po.entity) {
                    continue;
                }
                for l in &po.lines {
                    let v = l.received_value - l.relieved;
                    if v.is_zero() {
                        continue;
                    }
                    let mut rs = receipts
                        .remove(&(po.number.as_str(), l.line))
                        .unwrap_or_default();
                    rs.sort();
                    let mut invoiced = l.invoiced;
                    let mut oldest = None;
                    for (d, q) in rs {
                        if invoiced >= q {
                            invoiced -= q;
                        } else {
                            oldest = Some(d);
                            break;
                        }
                    }
                    let age = oldest.map(|d| (today - d).num_days().max(0));
                    let bucket = match age.unwrap_or(0) {
                        0..=30 => 0,
                        31..=60 => 1,
                        61..=90 => 2,
                        _ => 3,
                    };
                    totals.entry(po.entity.as_str()).or_default()[bucket] += v;
                    t.rows.push(vec![
                        po.number.to_string(),
                        l.line.to_string(),
                        po.supplier.to_string(),
                        l.sku.to_string(),
                        qty(l.received),
                        qty(l.invoiced),
                        money(v),
                        oldest.map(|d| d.to_string()).unwrap_or_default(),
                        age.map(|a| a.to_string()).unwrap_or_default(),
                    ]);
                }
            }
            for (e, b) in totals {
                for (label, v) in ["0-30", "31-60", "61-90", "90+"].iter().zip(b) {
                    t.rows.push(vec![
                        format!("TOTAL {e} {label} days"),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        money(v),
                        String::new(),
                        String::new(),
                    ]);
                }
                t.rows.push(vec![
                    format!("TOTAL {e}"),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    money(b.iter().copied().sum()),
                    String::new(),
                    String::new(),
                ]);
            }
            t
        }
        "count-accuracy" => {
            let mut t = Table::new(
                "Inventory accuracy of settled counts".into(),
                &[
                    ("warehouse", false),
                    ("abc", false),
                    ("counts", true),
                    ("accurate", true),
                    ("accuracy %", true),
                    ("adjusted value", true),
                ],
            );
            let mut by: std::collections::BTreeMap<(&str, String), (u64, u64, Decimal)> =
                Default::default();
            for c in s.counts.values() {
                let Some(accurate) = c.accurate else { continue };
                if c.status != crate::core::counts::CountStatus::Posted {
                    continue;
                }
                let ent = s
                    .warehouse_entity(&c.warehouse)
                    .map(Code::as_str)
                    .unwrap_or("");
                if !wanted(ent) {
                    continue;
                }
                let e = by
                    .entry((c.warehouse.as_str(), format!("{:?}", c.abc)))
                    .or_default();
                e.0 += 1;
                e.1 += u64::from(accurate);
                e.2 += c.value;
            }
            for ((wh, abc), (n, ok, v)) in by {
                let pct = Decimal::from(ok * 100) / Decimal::from(n.max(1));
                t.rows.push(vec![
                    wh.to_string(),
                    abc,
                    n.to_string(),
                    ok.to_string(),
                    pct.round_dp(1).to_string(),
                    money(v),
                ]);
            }
            t
        }
        "exceptions" => {
            // Open first (oldest first), then cleared (latest first), with
            // their ages in days as of the report's day.
            let mut t = Table::new(
                format!("Exceptions as of {today}: open and cleared, with ages"),
                &[
                    ("id", true),
                    ("kind", false),
                    ("severity", false),
                    ("document", false),
                    ("entity", false),
                    ("warehouse", false),
                    ("owner", false),
                    ("amount", true),
                    ("unit", false),
                    ("raised", false),
                    ("status", false),
                    ("age days", true),
                    ("cleared by", false),
                    ("how", false),
                ],
            );
            use crate::core::exceptions::ExceptionStatus;
            let mut xs: Vec<_> = s
                .exceptions
                .values()
                .filter(|x| x.entity.as_deref().is_none_or(wanted))
                .collect();
            xs.sort_by_key(|x| (!x.is_open(), x.raised_at, x.id));
            for x in xs {
                let (status, end, by, how) = match &x.status {
                    ExceptionStatus::Open => {
                        ("open".to_string(), today, String::new(), String::new())
                    }
                    ExceptionStatus::Snoozed { until, reason } => (
                        format!("snoozed until {until}"),
                        today,
                        String::new(),
                        reason.clone(),
                    ),
                    ExceptionStatus::Cleared { how, by, at, .. } => (
                        "cleared".to_string(),
                        at.date_naive(),
                        by.to_string(),
                        how.clone(),
                    ),
                };
                let age = (end - x.date).num_days().max(0);
                // Severity from the amount and, while open, the age
                // against the kind's service level.
                let severity = crate::core::exceptions::severity_on(s, x, today);
                t.rows.push(vec![
                    x.id.to_string(),
                    x.kind.as_str().to_string(),
                    severity.as_str().to_string(),
                    x.blocked.to_string(),
                    x.entity.clone().unwrap_or_default().to_string(),
                    x.warehouse.clone().unwrap_or_default().to_string(),
                    x.owner.to_string(),
                    x.amount.to_string(),
                    x.unit.to_string(),
                    x.raised_at.format("%Y-%m-%d %H:%M").to_string(),
                    status,
                    age.to_string(),
                    by,
                    how,
                ]);
            }
            // Kinds computed on the clock, as of the report's day: its
            // end, so that a cutoff passed during the day counts.
            let now = today
                .and_hms_opt(23, 59, 59)
                .map(|t| t.and_utc())
                .unwrap_or_default();
            for c in crate::core::exceptions::clock_exceptions(s, now) {
                if !wanted(&c.entity) {
                    continue;
                }
                let (status, how) = match &c.snoozed {
                    Some((until, reason)) if *until > today => {
                        (format!("snoozed until {until}"), reason.clone())
                    }
                    _ => (
                        "open (as of today)".to_string(),
                        c.comments
                            .last()
                            .map(|m| m.text.clone())
                            .unwrap_or_default(),
                    ),
                };
                t.rows.push(vec![
                    String::new(),
                    c.kind().as_str().into(),
                    c.severity.as_str().into(),
                    c.key.to_string(),
                    c.entity.to_string(),
                    c.warehouse.clone().unwrap_or_default().to_string(),
                    c.owner.to_string(),
                    c.amount.to_string(),
                    c.unit.to_string(),
                    c.from.clone(),
                    status,
                    c.days.to_string(),
                    String::new(),
                    how,
                ]);
            }
            // What people said about the late-shipment model's predictions
            // (issue 23): the report does not run the model, so the
            // probability is not here, only the note on a live episode.
            for (key, note) in s.clock_notes.iter() {
                let Ok(r) = crate::core::exceptions::late_risk(s, key) else {
                    continue;
                };
                if !wanted(&r.entity) {
                    continue;
                }
                let (status, how) = match &note.snoozed {
                    Some((until, reason)) if *until > today => {
                        (format!("snoozed until {until}"), reason.clone())
                    }
                    _ => (
                        "noted".to_string(),
                        note.comments
                            .last()
                            .map(|m| m.text.clone())
                            .unwrap_or_default(),
                    ),
                };
                let (amount, unit) = s
                    .orders
                    .get(&r.order)
                    .map(|o| (o.value().to_string(), o.currency.to_string()))
                    .unwrap_or_default();
                t.rows.push(vec![
                    String::new(),
                    "late_risk (predicted)".into(),
                    String::new(),
                    key.to_string(),
                    r.entity.to_string(),
                    r.warehouse.to_string(),
                    r.owner.to_string(),
                    amount,
                    unit,
                    String::new(),
                    status,
                    String::new(),
                    String::new(),
                    how,
                ]);
            }
            t
        }
        "permissions" => {
            // Every command by every role, from the table `decide` checks.
            use crate::core::auth::{allows, Role};
            let mut t = Table::new(
                "Permissions: which role may run each command".into(),
                &[
                    ("command", false),
                    ("permission", false),
                    ("counter_clerk", false),
                    ("sales_rep", false),
                    ("picker", false),
                    ("packer", false),
                    ("shipper", false),
                    ("receiver", false),
                    ("buyer", false),
                    ("ar_clerk", false),
                    ("ap_clerk", false),
                    ("controller", false),
                    ("supervisor", false),
                    ("admin", false),
                    ("data_steward", false),
                ],
            );
            for name in crate::core::command::NAMES {
                let p = crate::core::command::permission_of(name)
                    .unwrap_or(crate::core::auth::Permission::ManageOperators);
                let mut row = vec![name.to_string(), p.to_string()];
                for r in Role::ALL {
                    row.push(if allows(&[r], p) {
                        "yes".into()
                    } else {
                        String::new()
                    });
                }
                t.rows.push(row);
            }
            t.notes.push(
                "approve_exception and reject_exception also need the permission of the \
                 document's own command (release_hold, approve_change, ...); nobody approves \
                 what they (under any of their operator codes) requested"
                    .into(),
            );
            t
        }
        other => {
            return Err(ReportError::Unknown {
                name: other.to_string(),
            })
        }
    })
}

/// `depot report audit`: the log records passing `filter`, newest first,
/// one row per master-data field changed (the record's columns repeated)
/// or one row for a record that changed no master data.
pub fn audit(trail: &crate::query::audit::Trail, filter: &crate::query::audit::Filter) -> Table {
    let mut t = Table::new(
        "Audit trail: the event log, newest first (times UTC)".into(),
        &[
            ("seq", true),
            ("time", false),
            ("operator", false),
            ("session", false),
            ("command", false),
            ("document", false),
            ("summary", false),
            ("record", false),
            ("field", false),
            ("before", false),
            ("after", false),
        ],
    );
    for r in trail.select(filter) {
        let head = vec![
            r.seq.to_string(),
            r.time.format("%Y-%m-%d %H:%M:%S").to_string(),
            r.operator.clone(),
            r.session.clone(),
            r.command.clone(),
            r.document().to_string(),
            r.summary.clone(),
        ];
        if r.changes.is_empty() {
            let mut row = head.clone();
            row.extend([String::new(), String::new(), String::new(), String::new()]);
            t.rows.push(row);
        }
        for c in &r.changes {
            let mut row = head.clone();
            row.extend([
                c.subject.clone(),
                c.field.clone(),
                c.before.clone(),
                c.after.clone(),
            ]);
            t.rows.push(row);
        }
    }
    if filter != &crate::query::audit::Filter::default() {
        t.notes.push(format!(
            "filtered: {} of {} log records",
            trail.select(filter).len(),
            trail.rows.len()
        ));
    }
    t
}
