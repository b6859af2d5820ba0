//! Field and record validation for master data: flat early returns, one
//! precise `Rejection` per problem (TigerBeetle's `create_transfer` style).

use super::master::*;
use super::rejection::Rejection;
use super::scan;
use super::state::State;
use super::types::*;
use crate::core::types::ToCode;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

type R = Result<(), Rejection>;

/// Unit prices and costs carry at most this many decimals.
pub const PRICE_DECIMALS_MAX: u32 = 4;
/// Percentages carry at most this many decimals.
pub const PCT_DECIMALS_MAX: u32 = 4;
/// Days fields (terms, lead times, grace) are at most this many.
pub const DAYS_MAX: u32 = 730;
/// Weight per base unit, kilograms.
pub const WEIGHT_KG_MAX: Decimal = Decimal::from_parts(100_000, 0, 0, false, 0);
/// Lines on a price list, units and barcodes per item, and similar lists.
pub const LIST_LEN_MAX: usize = 100_000;
pub const SMALL_LIST_LEN_MAX: usize = 64;

pub fn code(field: &str, value: &str) -> R {
    match code_problem(value) {
        Some(p) => Err(Rejection::InvalidCode {
            field: field.into(),
            value: value.chars().take(40).collect(),
            problem: p.into(),
        }),
        None => Ok(()),
    }
}

pub fn text(field: &str, value: &str, required: bool) -> R {
    match text_problem(value, required) {
        Some(p) => Err(Rejection::InvalidText {
            field: field.into(),
            problem: p.into(),
        }),
        None => Ok(()),
    }
}

pub fn currency(field: &str, c: &Currency) -> R {
    if c.is_valid() {
        Ok(())
    } else {
        Err(Rejection::InvalidCurrency {
            field: field.into(),
            value: c.0.chars().take(10).collect(),
        })
    }
}

fn decimals(field: &str, value: Decimal, max: u32) -> R {
    if decimals_used(value) > max {
        return Err(Rejection::TooManyDecimals {
            field: field.into(),
            value,
            max,
        });
    }
    Ok(())
}

fn range(field: &str, value: Decimal, min: Decimal, max: Decimal) -> R {
    if value < min || value > max {
        return Err(Rejection::out_of_range(field, value, min, max));
    }
    Ok(())
}

pub fn days(field: &str, value: u32) -> R {
    if value > DAYS_MAX {
        return Err(Rejection::out_of_range(field, value, "0", DAYS_MAX));
    }
    Ok(())
}

/// A non-negative amount in a currency: at most its minor unit of decimals.
pub fn amount(field: &str, value: Decimal, c: &Currency) -> R {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(Rejection::Negative {
            field: field.into(),
            value,
        });
    }
    decimals(field, value, c.minor_units())?;
    range(field, value, Decimal::ZERO, AMOUNT_MAX)
}

/// An amount in a currency that may be either sign (money out of a bank
/// account): at most its minor unit of decimals, within the bound either
/// way. A refusal names the value as given, sign and all.
pub fn signed_amount(field: &str, value: Decimal, c: &Currency) -> R {
    decimals(field, value, c.minor_units())?;
    range(field, value, -AMOUNT_MAX, AMOUNT_MAX)
}

/// A non-negative unit price or cost: at most four decimals.
pub fn price(field: &str, value: Decimal) -> R {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(Rejection::Negative {
            field: field.into(),
            value,
        });
    }
    decimals(field, value, PRICE_DECIMALS_MAX)?;
    range(field, value, Decimal::ZERO, AMOUNT_MAX)
}

/// A strictly positive quantity with at most `max_decimals` decimals.
pub fn qty(field: &str, value: Decimal, max_decimals: u32) -> R {
    if value <= Decimal::ZERO {
        return Err(Rejection::NotPositive {
            field: field.into(),
            value,
        });
    }
    decimals(field, value, max_decimals.min(QTY_DECIMALS_MAX))?;
    range(field, value, Decimal::ZERO, QTY_MAX)
}

/// A percentage in `0..max`.
pub fn pct(field: &str, value: Decimal, max: Decimal) -> R {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(Rejection::Negative {
            field: field.into(),
            value,
        });
    }
    decimals(field, value, PCT_DECIMALS_MAX)?;
    range(field, value, Decimal::ZERO, max)
}

fn exists<T>(found: Option<T>, kind: RecordKind, key: &str) -> Result<T, Rejection> {
    found.ok_or_else(|| Rejection::NotFound {
        kind,
        key: key.into(),
    })
}

fn no_duplicates<'a>(field: &str, values: impl Iterator<Item = &'a str>) -> R {
    let mut seen = BTreeSet::new();
    for v in values {
        if !seen.insert(v) {
            return Err(Rejection::Duplicate {
                field: field.into(),
                value: v.into(),
            });
        }
    }
    Ok(())
}

/// A list of 1 to `max` entries (lines of a document).
pub fn count(field: &str, len: usize, max: usize) -> R {
    if len == 0 || len > max {
        return Err(Rejection::out_of_range(field, len, "1", max));
    }
    Ok(())
}

fn bounded(field: &str, len: usize, max: usize) -> R {
    if len > max {
        return Err(Rejection::out_of_range(
            format!("number of {field}"),
            len,
            "0",
            max,
        ));
    }
    Ok(())
}

fn address(field: &str, a: &Address) -> R {
    for (name, v) in [
        ("line1", &a.line1),
        ("line2", &a.line2),
        ("city", &a.city),
        ("region", &a.region),
        ("postcode", &a.postcode),
        ("country", &a.country),
    ] {
        text(&format!("{field}.{name}"), v, false)?;
    }
    Ok(())
}

/// Quantity breaks after a base price `base`: each from more units than
/// the last, each a lower price than the one before it (a break is a
/// discount; one at or above the price before it would never apply, or
/// would charge more for more).
fn breaks(field: &str, base: Decimal, b: &[QtyBreak]) -> R {
    bounded(field, b.len(), SMALL_LIST_LEN_MAX)?;
    let mut last = Decimal::ZERO;
    let mut before = base;
    for br in b {
        qty(&format!("{field}.min_qty"), br.min_qty, QTY_DECIMALS_MAX)?;
        price(&format!("{field}.price"), br.price)?;
        if br.min_qty <= last {
            return Err(Rejection::out_of_range(
                format!("{field}.min_qty"),
                br.min_qty,
                format!("more than {last}"),
                QTY_MAX,
            ));
        }
        if br.price >= before {
            return Err(Rejection::out_of_range(
                format!("{field}.price from {}", br.min_qty),
                br.price,
                Decimal::ZERO,
                format!("less than {before}"),
            ));
        }
        last = br.min_qty;
        before = br.price;
    }
    Ok(())
}

/// Validate a whole record against the state, as a create or an update.
pub fn record(state: &State, r: &Record, create: bool) -> R {
    let key = r.key();
    let present = match r {
        Record::Entity(x) => state.entities.contains_key(&x.code),
        Record::Account(x) => state
            .accounts
            .contains_key(&(x.entity.clone(), x.code.clone())),
        Record::Warehouse(x) => state.warehouses.contains_key(&x.code),
        Record::Bin(x) => state
            .bins
            .contains_key(&(x.warehouse.clone(), x.code.clone())),
        Record::Item(x) => state.items.contains_key(&x.sku),
        Record::Customer(x) => state.customers.contains_key(&x.code),
        Record::Supplier(x) => state.suppliers.contains_key(&x.code),
        Record::PriceList(x) => state.price_lists.contains_key(&x.code),
        Record::ContractPrice(x) => state.contracts.contains_key(&x.code),
        Record::TaxCode(x) => state.tax_codes.contains_key(&x.code),
        Record::Carrier(x) => state.carriers.contains_key(&x.code),
        Record::PaymentTerms(x) => state.terms.contains_key(&x.code),
        Record::Operator(x) => state.operators.contains_key(&x.code),
        Record::Replenishment(x) => state
            .replenishment
            .contains_key(&(x.warehouse.clone(), x.sku.clone())),
    };
    match r {
        // Key fields are validated before the existence check so that a
        // garbled code reads as such, not as "does not exist".
        Record::Account(x) => {
            code("entity", &x.entity)?;
            code("code", &x.code)?;
        }
        Record::Bin(x) => {
            code("warehouse", &x.warehouse)?;
            code("code", &x.code)?;
        }
        Record::Replenishment(x) => {
            code("warehouse", &x.warehouse)?;
            code("sku", &x.sku)?;
        }
        _ => code(key_field(r), &key)?,
    }
    if create && present {
        return Err(Rejection::AlreadyExists {
            kind: r.kind(),
            key,
        });
    }
    if !create && !present {
        return Err(Rejection::NotFound {
            kind: r.kind(),
            key,
        });
    }
    match r {
        Record::Entity(x) => entity(state, x, create),
        Record::Account(x) => account(state, x),
        Record::Warehouse(x) => warehouse(state, x, create),
        Record::Bin(x) => bin(state, x),
        Record::Item(x) => item(state, x, create),
        Record::Customer(x) => customer(state, x, create),
        Record::Supplier(x) => supplier(state, x),
        Record::PriceList(x) => price_list(state, x),
        Record::ContractPrice(x) => contract(state, x),
        Record::TaxCode(x) => tax_code(state, x),
        Record::Carrier(x) => carrier(x),
        Record::PaymentTerms(x) => terms(x),
        Record::Operator(x) => operator(state, x, create),
        Record::Replenishment(x) => replenishment(state, x),
    }
}

/// Service levels a reorder point may be computed for, in percent.
pub const SERVICE_LEVEL_MIN: Decimal = Decimal::from_parts(50, 0, 0, false, 0);
pub const SERVICE_LEVEL_MAX: Decimal = Decimal::from_parts(999, 0, 0, false, 1);

fn replenishment(state: &State, x: &ReplenishmentPolicy) -> R {
    let wh = exists(
        state.warehouses.get(&x.warehouse),
        RecordKind::Warehouse,
        &x.warehouse,
    )?;
    let item = exists(state.items.get(&x.sku), RecordKind::Item, &x.sku)?;
    match x.method {
        ReplenishmentMethod::MinMax => {
            if x.min.is_sign_negative() && !x.min.is_zero() {
                return Err(Rejection::Negative {
                    field: "min".into(),
                    value: x.min,
                });
            }
            decimals("min", x.min, item.qty_decimals)?;
            range("min", x.min, Decimal::ZERO, QTY_MAX)?;
            qty("max", x.max, item.qty_decimals)?;
            if x.max <= x.min {
                return Err(Rejection::out_of_range(
                    "max",
                    x.max,
                    format!("more than min ({})", x.min),
                    QTY_MAX,
                ));
            }
        }
        ReplenishmentMethod::ReorderPoint => {
            decimals("service_level_pct", x.service_level_pct, 1)?;
            range(
                "service_level_pct",
                x.service_level_pct,
                SERVICE_LEVEL_MIN,
                SERVICE_LEVEL_MAX,
            )?;
            days("review_days", x.review_days)?;
            if !(4..=104).contains(&x.history_weeks) {
                return Err(Rejection::out_of_range(
                    "history_weeks",
                    x.history_weeks,
                    "4",
                    "104",
                ));
            }
        }
    }
    if let Some(code) = &x.supplier {
        let s = exists(state.suppliers.get(code), RecordKind::Supplier, code)?;
        if s.entity != wh.entity {
            return Err(Rejection::WrongEntity {
                field: "supplier".into(),
                value: s.code.to_string(),
                expected: wh.entity.to_string(),
                actual: s.entity.to_string(),
            });
        }
        if !s.items.iter().any(|i| i.sku == x.sku) {
            return Err(Rejection::NotFound {
                kind: RecordKind::Supplier,
                key: format!("{}: item {}", s.code, x.sku),
            });
        }
    }
    Ok(())
}

fn key_field(r: &Record) -> &'static str {
    match r {
        Record::Item(_) => "sku",
        _ => "code",
    }
}

fn entity(state: &State, x: &Entity, create: bool) -> R {
    text("name", &x.name, true)?;
    currency("base_currency", &x.base_currency)?;
    code("tax_jurisdiction", &x.tax_jurisdiction)?;
    if !(1..=12).contains(&x.fiscal_year_start_month) {
        return Err(Rejection::out_of_range(
            "fiscal_year_start_month",
            x.fiscal_year_start_month,
            "1",
            "12",
        ));
    }
    amount(
        "adjustment_approval_limit",
        x.adjustment_approval_limit,
        &x.base_currency,
    )?;
    amount("po_approval_limit", x.po_approval_limit, &x.base_currency)?;
    if !create {
        if let Some(old) = state.entities.get(&x.code) {
            if old.base_currency != x.base_currency {
                return Err(Rejection::Immutable {
                    kind: RecordKind::Entity,
                    key: x.code.to_string(),
                    field: "base_currency".into(),
                    reason: "the ledger is kept in it".into(),
                });
            }
            let has_periods = state.periods.keys().any(|(e, _)| e == x.code);
            if has_periods && old.fiscal_year_start_month != x.fiscal_year_start_month {
                return Err(Rejection::Immutable {
                    kind: RecordKind::Entity,
                    key: x.code.to_string(),
                    field: "fiscal_year_start_month".into(),
                    reason: "fiscal periods are defined".into(),
                });
            }
        }
    }
    Ok(())
}

fn account(state: &State, x: &Account) -> R {
    exists(state.entities.get(&x.entity), RecordKind::Entity, &x.entity)?;
    text("name", &x.name, true)?;
    let fits = match x.control {
        None => true,
        Some(Control::Receivables) | Some(Control::Inventory) => x.kind == AccountKind::Asset,
        Some(Control::Payables) => x.kind == AccountKind::Liability,
    };
    if !fits {
        return Err(Rejection::out_of_range(
            "kind",
            format!("{:?}", x.kind).to_lowercase(),
            "asset for receivables and inventory",
            "liability for payables",
        ));
    }
    for ((e, key), acct) in &state.posting_rules {
        if e == x.entity && acct == x.code && key.control() != x.control {
            return Err(Rejection::WrongAccountForKey {
                entity: x.entity.to_string(),
                key: *key,
                account: x.code.to_string(),
                expected: control_name(key.control()),
            });
        }
    }
    Ok(())
}

pub fn control_name(c: Option<Control>) -> String {
    match c {
        None => "non-control".into(),
        Some(Control::Receivables) => "receivables control".into(),
        Some(Control::Payables) => "payables control".into(),
        Some(Control::Inventory) => "inventory control".into(),
    }
}

fn warehouse(state: &State, x: &Warehouse, create: bool) -> R {
    exists(state.entities.get(&x.entity), RecordKind::Entity, &x.entity)?;
    text("name", &x.name, true)?;
    address("address", &x.address)?;
    if !create {
        if let Some(old) = state.warehouses.get(&x.code) {
            let has_stock = state
                .stock
                .iter()
                .any(|((w, _), s)| w == x.code && !s.on_hand.is_zero());
            if old.entity != x.entity && has_stock {
                return Err(Rejection::Immutable {
                    kind: RecordKind::Warehouse,
                    key: x.code.to_string(),
                    field: "entity".into(),
                    reason: "the warehouse holds stock".into(),
                });
            }
        }
    }
    Ok(())
}

fn bin(state: &State, x: &Bin) -> R {
    exists(
        state.warehouses.get(&x.warehouse),
        RecordKind::Warehouse,
        &x.warehouse,
    )?;
    code("zone", &x.zone)?;
    code("aisle", &x.aisle)?;
    if x.pick_seq > 10_000_000 {
        return Err(Rejection::out_of_range(
            "pick_seq", x.pick_seq, "0", "10000000",
        ));
    }
    Ok(())
}

fn item(state: &State, x: &Item, create: bool) -> R {
    text("description", &x.description, true)?;
    code("base_unit", &x.base_unit)?;
    if x.qty_decimals > QTY_DECIMALS_MAX {
        return Err(Rejection::out_of_range(
            "qty_decimals",
            x.qty_decimals,
            "0",
            QTY_DECIMALS_MAX,
        ));
    }
    bounded("alt_units", x.alt_units.len(), SMALL_LIST_LEN_MAX)?;
    for u in &x.alt_units {
        code("alt_units.unit", &u.unit)?;
        if u.unit == x.base_unit {
            return Err(Rejection::Duplicate {
                field: "alt_units".into(),
                value: u.unit.to_string(),
            });
        }
        qty("alt_units.factor", u.factor, QTY_DECIMALS_MAX)?;
    }
    no_duplicates("alt_units", x.alt_units.iter().map(|u| u.unit.as_str()))?;
    bounded("barcodes", x.barcodes.len(), SMALL_LIST_LEN_MAX)?;
    let mut keys = BTreeSet::new();
    for b in &x.barcodes {
        let key = scan::barcode_key(&b.code).map_err(|e| Rejection::InvalidBarcode {
            value: b.code.chars().take(40).collect(),
            problem: e.to_string(),
        })?;
        if code_problem(&b.code).is_some() || b.code.len() < 4 {
            return Err(Rejection::InvalidBarcode {
                value: b.code.chars().take(40).collect(),
                problem: "a barcode is 4 to 32 letters and digits".into(),
            });
        }
        if x.unit_factor(&b.unit).is_none() {
            return Err(Rejection::UnknownUnit {
                sku: x.sku.to_string(),
                unit: b.unit.to_string(),
            });
        }
        if !keys.insert(key.clone()) {
            return Err(Rejection::Duplicate {
                field: "barcodes".into(),
                value: b.code.clone(),
            });
        }
        if let Some((sku, _)) = state.barcodes.get(&key) {
            if sku != x.sku {
                return Err(Rejection::BarcodeInUse {
                    barcode: b.code.clone(),
                    sku: sku.to_string(),
                });
            }
        }
        // A barcode must not read as another item's SKU either.
        if b.code != x.sku && state.items.contains_key(&b.code.to_code()) {
            return Err(Rejection::BarcodeInUse {
                barcode: b.code.clone(),
                sku: b.code.clone(),
            });
        }
    }
    if x.weight_kg.is_sign_negative() && !x.weight_kg.is_zero() {
        return Err(Rejection::Negative {
            field: "weight_kg".into(),
            value: x.weight_kg,
        });
    }
    decimals("weight_kg", x.weight_kg, 4)?;
    range("weight_kg", x.weight_kg, Decimal::ZERO, WEIGHT_KG_MAX)?;
    code("tax_class", &x.tax_class)?;
    // Invoicing looks the class up among the tax codes of the ship-to's
    // jurisdiction: a class no tax code carries can never be invoiced.
    // Checked when it is set, so an item kept from before still updates.
    let class_set = create
        || state
            .items
            .get(&x.sku)
            .is_none_or(|old| old.tax_class != x.tax_class);
    if class_set && !state.tax_codes.values().any(|t| t.tax_class == x.tax_class) {
        let known: BTreeSet<String> = state
            .tax_codes
            .values()
            .map(|t| t.tax_class.to_string())
            .collect();
        return Err(Rejection::UnknownTaxClass {
            tax_class: x.tax_class.to_string(),
            known: known.into_iter().collect(),
        });
    }
    code("category", &x.category)?;
    if let Some(p) = x.margin_floor_pct {
        pct("margin_floor_pct", p, Decimal::from(99))?;
    }
    if !create {
        if let Some(old) = state.items.get(&x.sku) {
            let stocked = state
                .costs
                .iter()
                .any(|((_, s), p)| s == x.sku && !p.qty.is_zero());
            for (field, changed) in [
                ("base_unit", old.base_unit != x.base_unit),
                ("lot_tracked", old.lot_tracked != x.lot_tracked),
                ("qty_decimals", x.qty_decimals < old.qty_decimals),
            ] {
                if changed && stocked {
                    return Err(Rejection::Immutable {
                        kind: RecordKind::Item,
                        key: x.sku.to_string(),
                        field: field.into(),
                        reason: "the item is in stock".into(),
                    });
                }
            }
        }
    }
    Ok(())
}

fn customer(state: &State, x: &Customer, create: bool) -> R {
    text("name", &x.name, true)?;
    exists(state.entities.get(&x.entity), RecordKind::Entity, &x.entity)?;
    currency("currency", &x.currency)?;
    exists(
        state.terms.get(&x.terms),
        RecordKind::PaymentTerms,
        &x.terms,
    )?;
    amount("credit_limit", x.credit_limit, &x.currency)?;
    days("grace_days", x.grace_days)?;
    text("tax_exempt_cert", &x.tax_exempt_cert, false)?;
    let list = exists(
        state.price_lists.get(&x.price_list),
        RecordKind::PriceList,
        &x.price_list,
    )?;
    if list.currency != x.currency {
        return Err(Rejection::CurrencyMismatch {
            field: format!("price list {}", list.code),
            expected: x.currency.to_string(),
            actual: list.currency.to_string(),
        });
    }
    address("bill_to", &x.bill_to)?;
    bounded("ship_to", x.ship_to.len(), SMALL_LIST_LEN_MAX)?;
    for s in &x.ship_to {
        code("ship_to.code", &s.code)?;
        address("ship_to.address", &s.address)?;
    }
    no_duplicates("ship_to", x.ship_to.iter().map(|s| s.code.as_str()))?;
    let p = &x.ship_policy;
    if let Some(c) = &p.carrier {
        let carrier = exists(state.carriers.get(c), RecordKind::Carrier, c)?;
        if let Some(s) = &p.service {
            if !carrier.services.iter().any(|cs| cs.code == s) {
                return Err(Rejection::NotFound {
                    kind: RecordKind::Carrier,
                    key: format!("{c}/{s}"),
                });
            }
        }
    } else if let Some(s) = &p.service {
        return Err(Rejection::NotFound {
            kind: RecordKind::Carrier,
            key: format!("?/{s}"),
        });
    }
    if let Some(d) = p.must_arrive_within_days {
        days("ship_policy.must_arrive_within_days", d)?;
    }
    text("collections.name", &x.collections.name, false)?;
    text("collections.email", &x.collections.email, false)?;
    text("collections.phone", &x.collections.phone, false)?;
    if !create {
        if let Some(old) = state.customers.get(&x.code) {
            let open = !state.customer_balance(&x.code).is_zero();
            for (field, changed) in [
                ("entity", old.entity != x.entity),
                ("currency", old.currency != x.currency),
            ] {
                if changed && open {
                    return Err(Rejection::Immutable {
                        kind: RecordKind::Customer,
                        key: x.code.to_string(),
                        field: field.into(),
                        reason: "the customer has an open balance".into(),
                    });
                }
            }
        }
    }
    Ok(())
}

fn supplier(state: &State, x: &Supplier) -> R {
    text("name", &x.name, true)?;
    exists(state.entities.get(&x.entity), RecordKind::Entity, &x.entity)?;
    currency("currency", &x.currency)?;
    exists(
        state.terms.get(&x.terms),
        RecordKind::PaymentTerms,
        &x.terms,
    )?;
    days("lead_time_days", x.lead_time_days)?;
    bounded(
        "lead_time_history",
        x.lead_time_history.len(),
        SMALL_LIST_LEN_MAX,
    )?;
    for d in &x.lead_time_history {
        days("lead_time_history", *d)?;
    }
    amount("min_order_amount", x.min_order_amount, &x.currency)?;
    address("address", &x.address)?;
    bounded("items", x.items.len(), LIST_LEN_MAX)?;
    for si in &x.items {
        let item = exists(state.items.get(&si.sku), RecordKind::Item, &si.sku)?;
        text("items.supplier_sku", &si.supplier_sku, true)?;
        price("items.price", si.price)?;
        if item.unit_factor(&si.unit).is_none() {
            return Err(Rejection::UnknownUnit {
                sku: si.sku.to_string(),
                unit: si.unit.to_string(),
            });
        }
        if !si.min_qty.is_zero() {
            qty("items.min_qty", si.min_qty, QTY_DECIMALS_MAX)?;
        }
    }
    no_duplicates("items", x.items.iter().map(|s| s.sku.as_str()))
}

pub fn list_price(state: &State, currency: &Currency, lp: &ListPrice) -> R {
    code("sku", &lp.sku)?;
    exists(state.items.get(&lp.sku), RecordKind::Item, &lp.sku)?;
    price("price", lp.price)?;
    let _ = currency;
    breaks("breaks", lp.price, &lp.breaks)
}

fn price_list(state: &State, x: &PriceList) -> R {
    text("name", &x.name, true)?;
    currency("currency", &x.currency)?;
    bounded("prices", x.prices.len(), LIST_LEN_MAX)?;
    for (sku, lp) in &x.prices {
        if sku != lp.sku {
            return Err(Rejection::InvalidCode {
                field: "prices".into(),
                value: sku.to_string(),
                problem: format!("is keyed differently from its sku {}", lp.sku),
            });
        }
        list_price(state, &x.currency, lp)?;
    }
    if let Some(c) = state
        .customers
        .values()
        .find(|c| c.price_list == x.code && c.currency != x.currency)
    {
        return Err(Rejection::CurrencyMismatch {
            field: format!("customer {} on this price list", c.code),
            expected: c.currency.to_string(),
            actual: x.currency.to_string(),
        });
    }
    Ok(())
}

fn contract(state: &State, x: &ContractPrice) -> R {
    let c = exists(
        state.customers.get(&x.customer),
        RecordKind::Customer,
        &x.customer,
    )?;
    exists(state.items.get(&x.sku), RecordKind::Item, &x.sku)?;
    currency("currency", &x.currency)?;
    if x.currency != c.currency {
        return Err(Rejection::CurrencyMismatch {
            field: "currency".into(),
            expected: c.currency.to_string(),
            actual: x.currency.to_string(),
        });
    }
    price("price", x.price)?;
    if x.valid_to < x.valid_from {
        return Err(Rejection::InvalidDateRange {
            from: x.valid_from,
            to: x.valid_to,
        });
    }
    breaks("breaks", x.price, &x.breaks)
}

/// SKUs a refusal names of the items it is about.
const SKUS_NAMED_MAX: usize = 5;

fn tax_code(state: &State, x: &TaxCode) -> R {
    code("jurisdiction", &x.jurisdiction)?;
    code("tax_class", &x.tax_class)?;
    // The other side of `unknown_tax_class`: the last tax code of a class
    // may not leave it while items are of that class.
    if let Some(old) = state.tax_codes.get(&x.code) {
        let class_kept = old.tax_class == x.tax_class
            || state
                .tax_codes
                .values()
                .any(|t| t.code != x.code && t.tax_class == old.tax_class);
        if !class_kept {
            let mut of_class = state
                .items
                .values()
                .filter(|i| i.tax_class == old.tax_class)
                .map(|i| i.sku.to_string());
            let skus: Vec<String> = of_class.by_ref().take(SKUS_NAMED_MAX).collect();
            if !skus.is_empty() {
                let items = (skus.len() + of_class.count()) as u64;
                return Err(Rejection::TaxClassInUse {
                    code: x.code.to_string(),
                    tax_class: old.tax_class.to_string(),
                    new_class: x.tax_class.to_string(),
                    items,
                    skus,
                });
            }
        }
    }
    pct("rate_pct", x.rate_pct, Decimal::from(100))?;
    text("description", &x.description, false)?;
    if let Some(other) = state.tax_codes.values().find(|t| {
        t.code != x.code && t.jurisdiction == x.jurisdiction && t.tax_class == x.tax_class
    }) {
        return Err(Rejection::Duplicate {
            field: format!("jurisdiction {} and tax class", x.jurisdiction),
            value: format!("{} (tax code {})", x.tax_class, other.code),
        });
    }
    Ok(())
}

fn carrier(x: &Carrier) -> R {
    text("name", &x.name, true)?;
    bounded("services", x.services.len(), SMALL_LIST_LEN_MAX)?;
    for s in &x.services {
        code("services.code", &s.code)?;
        text("services.name", &s.name, true)?;
        if s.transit_days > 60 {
            return Err(Rejection::out_of_range(
                "services.transit_days",
                s.transit_days,
                "0",
                "60",
            ));
        }
    }
    no_duplicates("services", x.services.iter().map(|s| s.code.as_str()))
}

fn terms(x: &PaymentTerms) -> R {
    text("description", &x.description, true)?;
    days("net_days", x.net_days)?;
    if x.discount_days > x.net_days {
        return Err(Rejection::out_of_range(
            "discount_days",
            x.discount_days,
            "0",
            x.net_days,
        ));
    }
    pct("discount_pct", x.discount_pct, Decimal::from(50))?;
    if !x.discount_pct.is_zero() && x.discount_days == 0 {
        return Err(Rejection::out_of_range(
            "discount_days",
            "0",
            "1 when a discount is given",
            x.net_days,
        ));
    }
    Ok(())
}

/// Whether a string looks like an OpenSSH public key line.
pub fn ssh_key_problem(k: &str) -> Option<&'static str> {
    let mut parts = k.split_whitespace();
    let (Some(kind), Some(body)) = (parts.next(), parts.next()) else {
        return Some("is not `type base64 [comment]`");
    };
    let known = matches!(
        kind,
        "ssh-ed25519" | "ssh-rsa" | "sk-ssh-ed25519@openssh.com"
    ) || kind.starts_with("ecdsa-sha2-");
    if !known {
        return Some("has an unknown key type");
    }
    if body.len() < 16
        || !body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
    {
        return Some("has a malformed base64 body");
    }
    if k.len() > 4096 {
        return Some("is too long");
    }
    None
}

/// An SSH key as a person tells it from another: its type, the end of
/// its body and its comment (`ssh-ed25519 ...LTEyMzQ (noor@rf)`).
fn ssh_key_named(k: &str) -> String {
    let mut parts = k.split_whitespace();
    let kind = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let tail: String = {
        let end: Vec<char> = body.trim_end_matches('=').chars().rev().take(7).collect();
        end.into_iter().rev().collect()
    };
    let comment: String = parts
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(40)
        .collect();
    if comment.is_empty() {
        format!("{kind} ...{tail}")
    } else {
        format!("{kind} ...{tail} ({comment})")
    }
}

fn operator(state: &State, x: &Operator, create: bool) -> R {
    text("name", &x.name, true)?;
    if x.roles.is_empty() {
        return Err(Rejection::InvalidText {
            field: "roles".into(),
            problem: "is empty: an operator needs at least one role".into(),
        });
    }
    let names: Vec<&str> = x.roles.iter().map(|r| r.as_str()).collect();
    no_duplicates("roles", names.into_iter())?;
    bounded("ssh_keys", x.ssh_keys.len(), SMALL_LIST_LEN_MAX)?;
    for k in &x.ssh_keys {
        if let Some(p) = ssh_key_problem(k) {
            return Err(Rejection::InvalidText {
                field: "ssh_keys".into(),
                problem: p.into(),
            });
        }
        let body = k.split_whitespace().nth(1).unwrap_or_default();
        if let Some(other) = state.operators.values().find(|o| {
            o.code != x.code
                && o.ssh_keys
                    .iter()
                    .any(|ok| ok.split_whitespace().nth(1) == Some(body))
        }) {
            return Err(Rejection::SshKeyInUse {
                key: ssh_key_named(k),
                operator: other.code.to_string(),
                wanted_by: x.code.to_string(),
            });
        }
    }
    let bodies: Vec<&str> = x
        .ssh_keys
        .iter()
        .filter_map(|k| k.split_whitespace().nth(1))
        .collect();
    no_duplicates("ssh_keys", bodies.into_iter())?;
    if let Some(w) = &x.default_warehouse {
        exists(state.warehouses.get(w), RecordKind::Warehouse, w)?;
    }
    if !x.keymap.is_empty() {
        code("keymap", &x.keymap)?;
    }
    if !create {
        let admin = |o: &Operator| o.active && o.roles.contains(&super::auth::Role::Admin);
        let others = state
            .operators
            .values()
            .any(|o| o.code != x.code && admin(o));
        let was_admin = state.operators.get(&x.code).is_some_and(admin);
        if was_admin && !admin(x) && !others {
            return Err(Rejection::Immutable {
                kind: RecordKind::Operator,
                key: x.code.to_string(),
                field: "roles".into(),
                reason: "the store would be left without an active admin".into(),
            });
        }
    }
    Ok(())
}
