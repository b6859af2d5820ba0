//! What a clerk types or scans into a line-entry field, understood once
//! for every screen: `[qty*]code[@warehouse][=price]`, where `code` is a
//! SKU, a barcode (a case barcode means a case), a GS1-128 scan (its count
//! is the quantity) or words of a description. Quantities and amounts
//! follow the one decimal grammar of exec and imports
//! (`core::types::parse_decimal`), positive only.

use super::screen::Ctx;
use crate::core::scan::{parse_scan, Scan};
use crate::core::types::Code;
use crate::core::types::ToCode;
use crate::query::lookup::item_exact;
use rust_decimal::Decimal;

/// Most of one item on a line typed at a screen.
pub const LINE_QTY_MAX: i64 = 1_000_000;
/// Most an amount typed at a screen may be.
pub const AMOUNT_MAX: i64 = 100_000_000;

/// A line as entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entered {
    pub sku: Code,
    /// The unit, when not the item's base unit (a case barcode).
    pub unit: Option<Code>,
    pub qty: Decimal,
    pub warehouse: Option<Code>,
    pub price: Option<Decimal>,
}

/// What the entry resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Item(Entered),
    /// Several items match: offer a lookup on this query.
    Choose {
        query: String,
        /// What the entry asked of the line: kept for the item chosen.
        asked: Asked,
    },
    Error(String),
}

/// A positive decimal in the one grammar of exec and imports
/// (`core::types::parse_decimal`: digits and a point, no sign, exponent or
/// thousands separator), with at most `max_dp` decimals and at most `max`.
fn decimal(t: &str, what: &str, max_dp: u32, max: i64) -> Result<Decimal, String> {
    let t = t.trim();
    let d = crate::core::types::parse_decimal(t).map_err(|p| format!("{what} {t:?} {p}"))?;
    if d <= Decimal::ZERO {
        return Err(format!("{what} must be more than zero (got {t})"));
    }
    if d.scale() > max_dp {
        return Err(format!("{what} {t} has more than {max_dp} decimals"));
    }
    if d > Decimal::from(max) {
        return Err(format!("{what} {t} is more than {max}"));
    }
    Ok(d)
}

/// An amount typed on a back-office screen with its thousands grouped
/// (`1,250.00`, as statements and remittances print them): the commas
/// taken out. Text whose commas do not group thousands (`2,50`, a decimal
/// comma, or `1,25,0`) is returned as it is, for `parse_decimal` to
/// refuse: the commas were dropped everywhere, and `2,50` was taken as
/// 250.00.
pub fn ungroup(t: &str) -> String {
    let (sign, digits) = match t.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", t),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let digits_only = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
    let mut groups = int.split(',');
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && digits_only(g));
    let grouped = int.contains(',')
        && first_ok
        && groups.all(|g| g.len() == 3 && digits_only(g))
        && !frac.is_some_and(|f| f.contains(','));
    if !grouped {
        return t.to_string();
    }
    let mut out = format!("{sign}{}", int.replace(',', ""));
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// A quantity typed: positive, at most 4 decimals, at most `LINE_QTY_MAX`.
pub fn parse_qty(t: &str) -> Result<Decimal, String> {
    decimal(t, "a quantity", 4, LINE_QTY_MAX)
}

/// An amount typed: positive, at most 2 decimals.
pub fn parse_money(t: &str) -> Result<Decimal, String> {
    decimal(t, "an amount", 2, AMOUNT_MAX)
}

/// A unit price typed: positive, at most 4 decimals.
pub fn parse_price(t: &str) -> Result<Decimal, String> {
    decimal(t, "a price", 4, AMOUNT_MAX)
}

/// Why `qty` of `sku`, in `unit` (else its base unit), is not a quantity
/// the core takes: more decimals than the item is counted in, in the unit
/// typed or in base units. Said when it is typed, not after the confirm.
/// None when it is fine (or the item or unit is unknown: the core says).
pub fn item_qty_problem(
    s: &crate::core::State,
    sku: &str,
    unit: Option<&str>,
    qty: Decimal,
) -> Option<String> {
    let item = s.items.get(&sku.to_code())?;
    let unit = unit.unwrap_or(item.base_unit.as_str());
    qty_problem(item, unit, item.unit_factor(unit)?, qty)
}

/// `item_qty_problem` for a quantity in `unit`, `factor` base units each.
pub fn qty_problem(
    item: &crate::core::master::Item,
    unit: &str,
    factor: Decimal,
    qty: Decimal,
) -> Option<String> {
    use crate::core::types::decimals_used;
    let dp = item.qty_decimals;
    if decimals_used(qty) <= dp && decimals_used(qty * factor) <= dp {
        return None;
    }
    let (q, sku) = (qty.normalize(), &item.sku);
    Some(match dp {
        0 if decimals_used(qty) > 0 => format!("{q} {unit}: {sku} is counted in whole {unit}"),
        0 => format!("{q} {unit}: {sku} is counted in whole {}", item.base_unit),
        _ => format!("{q} {unit}: {sku} takes at most {dp} decimals"),
    })
}

/// The name of the unit of `item` that is `factor` base units.
pub fn unit_named(item: &crate::core::master::Item, factor: Decimal) -> &str {
    item.alt_units
        .iter()
        .find(|u| u.factor == factor)
        .map_or(item.base_unit.as_str(), |u| u.unit.as_str())
}

/// What a worker typed at a quantity prompt of a handheld, told apart from
/// a scan: digits with a point, a comma or a sign, or a short run of
/// digits (item numbers and barcodes are longer or have letters; a code
/// the screen knows is matched before this). None: not a
/// typed number, read it as a scan. Some(Err): a number depot will not
/// take, and why, so that "-3" is not answered as "wrong item -3". Zero is
/// a number here: the screen says what it means (a count of nothing).
pub fn typed_qty(text: &str) -> Option<Result<Decimal, String>> {
    let t = text.trim();
    let mark = |c: char| matches!(c, '.' | ',' | '-' | '+');
    // ("0.0000001" and "-100000000" were read as scans: "wrong item".)
    let numeric = (t.len() < 8 || t.chars().any(mark))
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars().all(|c| c.is_ascii_digit() || mark(c));
    if !numeric {
        return None;
    }
    if t.contains(',') {
        return Some(Err(format!("{t}: decimals take a point")));
    }
    if t.starts_with('-') {
        return Some(Err(format!("{t}: a quantity cannot be negative")));
    }
    Some(match crate::core::types::parse_decimal(t) {
        Ok(d) if d > Decimal::from(LINE_QTY_MAX) => Err(format!("{t} is more than {LINE_QTY_MAX}")),
        Ok(d) => Ok(d),
        Err(p) => Err(format!("{t} {p}")),
    })
}

/// What an entry asks of its line besides the item: `qty*`, `@warehouse`
/// and `=price`, each None when not typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Asked {
    pub qty: Option<Decimal>,
    pub warehouse: Option<Code>,
    pub price: Option<Decimal>,
}

impl Asked {
    /// The line for `sku` chosen in a lookup with what the entry asked
    /// (a count typed before a description: `2*hex bolt`).
    pub fn line(self, sku: Code) -> Entered {
        Entered {
            sku,
            unit: None,
            qty: self.qty.unwrap_or(Decimal::ONE),
            warehouse: self.warehouse,
            price: self.price,
        }
    }
}

/// An entry taken apart: what it asks of the line, and the code (or the
/// words) of the item. Read the same on Enter and when the item is then
/// chosen in a lookup, so that `2*hex bolt@DAL=10` keeps its count,
/// warehouse and price whichever way the item is found.
pub fn split(ctx: &Ctx, text: &str) -> Result<(Asked, String), String> {
    let text = text.trim();
    let (rest, price) = match text.rsplit_once('=') {
        Some((r, p)) => (r, Some(parse_price(p)?)),
        None => (text, None),
    };
    let (rest, warehouse) = match rest.rsplit_once('@') {
        Some((r, w)) => {
            let w = w.trim().to_uppercase();
            // A garbled scan ("@@##") is not a warehouse asked for.
            if r.trim().is_empty()
                || r.contains('@')
                || crate::core::types::code_problem(&w).is_some()
            {
                return Err(format!(
                    "{text:?} is not an entry: type or scan SKU, 3*SKU, SKU@WAREHOUSE or SKU=price"
                ));
            }
            if !ctx.state().warehouses.contains_key(&w.to_code()) {
                return Err(format!("no warehouse {w}"));
            }
            (r, Some(Code::from(w)))
        }
        None => (rest, None),
    };
    let (qty, code) = match rest.split_once('*') {
        Some((n, code)) => (Some(parse_qty(n)?), code.trim()),
        None => (None, rest.trim()),
    };
    Ok((
        Asked {
            qty,
            warehouse,
            price,
        },
        code.to_string(),
    ))
}

/// Understand an entry.
pub fn resolve(ctx: &Ctx, text: &str) -> Resolved {
    let (asked, code) = match split(ctx, text) {
        Ok(x) => x,
        Err(e) => return Resolved::Error(e),
    };
    let code = code.as_str();
    let count = asked.qty.unwrap_or(Decimal::ONE);
    let Asked {
        warehouse, price, ..
    } = asked.clone();
    if code.is_empty() {
        return Resolved::Error("type or scan an item".into());
    }
    let s = ctx.state();
    let scan = parse_scan(code).ok();
    let (scanned_qty, gtin) = match &scan {
        Some(Scan::Gs1(g)) => (g.count, g.gtin.clone()),
        _ => (None, None),
    };
    match item_exact(s, code) {
        Some(Ok(sku)) => {
            let unit = s
                .item_by_code(code)
                .map(|(_, u)| u)
                .or_else(|| gtin.and_then(|g| s.item_by_code(&g)).map(|(_, u)| u))
                .filter(|u| s.items.get(&sku).is_some_and(|i| *u != i.base_unit));
            Resolved::Item(Entered {
                sku,
                unit,
                qty: scanned_qty.unwrap_or(Decimal::ONE) * count,
                warehouse,
                price,
            })
        }
        Some(Err(e)) => Resolved::Error(e),
        None => {
            let found = ctx.find_items(code);
            match found.codes.as_slice() {
                [one] => Resolved::Item(Entered {
                    sku: one.clone(),
                    unit: None,
                    qty: count,
                    warehouse,
                    price,
                }),
                [] => Resolved::Error(format!("no item matches {code:?}")),
                _ => Resolved::Choose {
                    query: code.to_string(),
                    asked,
                },
            }
        }
    }
}

/// The supplier typed on a desk screen (a PO, a supplier invoice): its
/// code, else the one supplier whose name has every word typed; several
/// are named, to type the code. `active`: only an active supplier (a new
/// PO; an inactive one may still send its last bills).
pub fn find_supplier<'s>(
    s: &'s crate::core::State,
    typed: &str,
    active: bool,
) -> Result<&'s crate::core::master::Supplier, String> {
    let t = typed.trim();
    if t.is_empty() {
        return Err("type the supplier's code or a word of its name".into());
    }
    if let Some(sup) = s.suppliers.get(&t.to_ascii_uppercase().to_code()) {
        return match sup.active || !active {
            true => Ok(sup),
            false => Err(format!("supplier {} is inactive", sup.code)),
        };
    }
    by_words(
        s.suppliers.values().filter(|x| x.active || !active),
        t,
        |x| (x.code.as_str(), x.name.as_str()),
        "suppliers",
        format!("no supplier {t:?} (code, or words of the name)"),
    )
}

/// The one of `all` whose name (`code_name`'s second) has every word of
/// `t`; none is `none`, several are named (four at most) to type the
/// code instead.
fn by_words<'s, T>(
    all: impl Iterator<Item = &'s T>,
    t: &str,
    code_name: impl Fn(&T) -> (&str, &str),
    plural: &str,
    none: String,
) -> Result<&'s T, String> {
    let words: Vec<String> = t.split_whitespace().map(str::to_lowercase).collect();
    let hits: Vec<&T> = all
        .filter(|x| {
            let name = code_name(x).1.to_lowercase();
            words.iter().all(|w| name.contains(w.as_str()))
        })
        .collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(none),
        many => Err(format!(
            "{} {plural} match {t:?}: {}; type the code",
            many.len(),
            many.iter()
                .take(4)
                .map(|x| {
                    let (code, name) = code_name(x);
                    format!("{code} {name}")
                })
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// An account of `entity` typed on a desk screen (a journal line, a bank
/// line posted to an account): its code, else the one account whose name
/// has every word typed; several are named, to type the code.
pub fn find_account<'s>(
    s: &'s crate::core::State,
    entity: &str,
    typed: &str,
) -> Result<&'s crate::core::master::Account, String> {
    let t = typed.trim();
    if t.is_empty() {
        return Err("type the account's code or a word of its name".into());
    }
    if let Some(a) = s
        .accounts
        .get(&(entity.into(), t.to_ascii_uppercase().as_str().into()))
    {
        return Ok(a);
    }
    by_words(
        s.accounts.values().filter(|a| a.entity == entity),
        t,
        |a| (a.code.as_str(), a.name.as_str()),
        "accounts",
        format!("{entity} has no account {t:?} (code, or words of the name)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screens_read_numbers_in_the_one_grammar() {
        assert_eq!(parse_qty("2.5"), Ok(Decimal::new(25, 1)));
        assert_eq!(parse_money("43.20"), Ok(Decimal::new(4320, 2)));
        for bad in ["1E2", "+5", ".5", "5.", "1,000", "-3", "0", "", "abc"] {
            assert!(parse_qty(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_money("12.345").is_err());
        assert!(parse_qty("1.23456").is_err());
        assert!(parse_qty("1000001").is_err());
    }

    #[test]
    fn a_comma_is_taken_only_where_it_groups_thousands() {
        assert_eq!(ungroup("1,250.00"), "1250.00");
        assert_eq!(ungroup("12,345,678"), "12345678");
        assert_eq!(ungroup("-1,000"), "-1000");
        assert_eq!(ungroup("250"), "250");
        for kept in [
            "2,50", "39,50", "1,25,0", ",100", "1,000,00", "1,0000", "1.000,50", "1,",
        ] {
            assert_eq!(ungroup(kept), kept);
            assert!(
                crate::core::types::parse_decimal(&ungroup(kept)).is_err(),
                "{kept}"
            );
        }
    }

    #[test]
    fn a_handheld_tells_a_typed_number_from_a_scan() {
        assert_eq!(typed_qty("12"), Some(Ok(Decimal::from(12))));
        assert_eq!(typed_qty("0"), Some(Ok(Decimal::ZERO)));
        assert_eq!(typed_qty("1.000"), Some(Ok(Decimal::new(1000, 3))));
        for bad in ["-3", "1,5", "+2", "1.2.3", "5."] {
            assert!(matches!(typed_qty(bad), Some(Err(_))), "{bad:?}");
        }
        // Barcodes, item numbers and bins are scans.
        for scan in ["0614141000036", "FAS-1003", "B-03-10", "12345678", ""] {
            assert_eq!(typed_qty(scan), None, "{scan:?}");
        }
    }
}
