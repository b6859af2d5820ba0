//! Substitute items for an order line that cannot be filled from stock:
//! items of the same category and attributes, free to promise in the
//! line's warehouse, priced for the customer by the price engine, with
//! the margin they keep against the original's.
//!
//! The master data has no attribute table (adding one changes the
//! persisted state), so an item's attributes are what it already records:
//! its kind (the description before the first comma: "Hex bolt" of
//! "Hex bolt, 1/4 in"), its base unit and its tax class. A substitute
//! matches all three and the category; it is never the item itself,
//! inactive or unpriced for the customer.
//!
//! Pure over `&State` and Decimal throughout: a suggestion only. The
//! clerk takes one on the order entry screen, and the line goes through
//! the ordinary entry path (nothing is placed until the clerk places it).

use super::Reasons;
use crate::core::master::Customer;
use crate::core::sales::{fx_rate, price, unavailable};
use crate::core::types::ToCode;
use crate::core::types::{Code, Currency};
use crate::core::State;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Substitutes offered for one line, at most.
pub const SUBSTITUTES_MAX: usize = 3;

/// The line that is short.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    pub customer: Code,
    pub sku: Code,
    pub warehouse: Code,
    /// Base units wanted on the line.
    pub qty: Decimal,
    pub date: NaiveDate,
}

/// One substitute and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Substitute {
    pub sku: Code,
    pub description: String,
    /// Free to promise in the line's warehouse (base units).
    pub available: Decimal,
    /// Does it fill the whole line?
    pub covers: bool,
    /// Its price per base unit for the customer (customer currency).
    pub price: Decimal,
    /// Its gross margin in percent of price (None: no cost known).
    pub margin_pct: Option<Decimal>,
    /// The original's margin at its price for the customer.
    pub original_margin_pct: Option<Decimal>,
    /// Percentage points the substitute's margin falls short of the
    /// original's (zero when it keeps it; None when either is unknown).
    pub margin_short_pts: Option<Decimal>,
    pub reasons: Reasons,
}

impl Substitute {
    /// Keeps at least the original's margin (unknown counts as not).
    pub fn keeps_margin(&self) -> bool {
        self.margin_short_pts == Some(Decimal::ZERO)
    }
}

/// Why no substitute can be looked for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubstituteError {
    #[error("no item {0}")]
    NoItem(Code),
    #[error("no customer {0}")]
    NoCustomer(Code),
    #[error("no warehouse {0}")]
    NoWarehouse(Code),
    #[error("quantity {0} is not positive")]
    BadQty(Decimal),
}

/// Free to promise of `sku` in `warehouse` now: on hand less reserved
/// less what cannot be sold today, never below zero.
pub fn free(state: &State, warehouse: &str, sku: &str, today: NaiveDate) -> Decimal {
    state
        .stock
        .get(&(warehouse.to_code(), sku.to_code()))
        .map(|st| st.on_hand - st.reserved - unavailable(state, warehouse, sku, today))
        .unwrap_or_default()
        .max(Decimal::ZERO)
}

/// Average cost per base unit in the warehouse's entity, in `currency`.
fn cost(
    state: &State,
    entity: &str,
    currency: &Currency,
    sku: &str,
    date: NaiveDate,
) -> Option<Decimal> {
    let pool = state.costs.get(&(entity.to_code(), sku.to_code()))?;
    if pool.qty <= Decimal::ZERO {
        return None;
    }
    let c = pool.value / pool.qty;
    let base = &state.entities.get(&entity.to_code())?.base_currency;
    if base == currency {
        Some(c)
    } else {
        Some(c * fx_rate(state, base, currency, date)?)
    }
}

fn margin_pct(price: Decimal, cost: Option<Decimal>) -> Option<Decimal> {
    let c = cost?;
    (price > Decimal::ZERO).then(|| ((price - c) / price * Decimal::ONE_HUNDRED).round_dp(1))
}

fn pct(v: Option<Decimal>) -> String {
    v.map(|m| format!("{m}%"))
        .unwrap_or_else(|| "unknown".into())
}

/// The substitutes for a short line, best first: those filling the whole
/// line before those filling part of it, then those keeping the
/// original's margin, then by margin (highest first), then by SKU.
pub fn substitutes(state: &State, need: &Need) -> Result<Vec<Substitute>, SubstituteError> {
    let item = state
        .items
        .get(&need.sku)
        .ok_or_else(|| SubstituteError::NoItem(need.sku.clone()))?;
    let customer: &Customer = state
        .customers
        .get(&need.customer)
        .ok_or_else(|| SubstituteError::NoCustomer(need.customer.clone()))?;
    let entity = state
        .warehouse_entity(&need.warehouse)
        .ok_or_else(|| SubstituteError::NoWarehouse(need.warehouse.clone()))?;
    if need.qty <= Decimal::ZERO {
        return Err(SubstituteError::BadQty(need.qty));
    }
    let currency = &customer.currency;
    let original_margin = price(state, customer, item, need.qty, need.date)
        .ok()
        .and_then(|(p, _)| margin_pct(p, cost(state, entity, currency, &item.sku, need.date)));
    let k = item.kind();
    // Only the items of the same category and kind are read (an index
    // kept by apply), not every item.
    let same_kind = state
        .index
        .item_kinds
        .get(&(item.category.clone(), k.clone()));
    let mut out: Vec<Substitute> = same_kind
        .into_iter()
        .flat_map(|skus| skus.iter())
        .filter_map(|sku| state.items.get(sku))
        .filter(|c| {
            c.sku != item.sku
                && c.active
                && c.base_unit == item.base_unit
                && c.tax_class == item.tax_class
        })
        .filter_map(|c| {
            let available = free(state, &need.warehouse, &c.sku, need.date);
            if available <= Decimal::ZERO {
                return None;
            }
            let take = need.qty.min(available);
            let (p, rule) = price(state, customer, c, take, need.date).ok()?;
            let m = margin_pct(p, cost(state, entity, currency, &c.sku, need.date));
            let short = match (m, original_margin) {
                (Some(m), Some(o)) => Some((o - m).max(Decimal::ZERO)),
                _ => None,
            };
            let covers = available >= need.qty;
            let reasons = vec![
                (
                    "match".to_string(),
                    format!(
                        "category {}, kind {k}, unit {}, tax {}",
                        c.category, c.base_unit, c.tax_class
                    ),
                ),
                (
                    "available".to_string(),
                    format!(
                        "{} {} in {} ({} the {} wanted)",
                        available.normalize(),
                        c.base_unit,
                        need.warehouse,
                        if covers { "covers" } else { "part of" },
                        need.qty.normalize()
                    ),
                ),
                (
                    "price".to_string(),
                    format!("{} {currency} ({rule})", super::money(p)),
                ),
                (
                    "margin".to_string(),
                    match short {
                        Some(s) if s.is_zero() => {
                            format!("{} kept (original {})", pct(m), pct(original_margin))
                        }
                        Some(s) => format!(
                            "{} short of the original's {} by {s} points",
                            pct(m),
                            pct(original_margin)
                        ),
                        None => format!("{} (original {})", pct(m), pct(original_margin)),
                    },
                ),
            ];
            Some(Substitute {
                sku: c.sku.clone(),
                description: c.description.clone(),
                available,
                covers,
                price: p,
                margin_pct: m,
                original_margin_pct: original_margin,
                margin_short_pts: short,
                reasons,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.covers
            .cmp(&a.covers)
            .then(b.keeps_margin().cmp(&a.keeps_margin()))
            .then(b.margin_pct.cmp(&a.margin_pct))
            .then(a.sku.cmp(&b.sku))
    });
    out.truncate(SUBSTITUTES_MAX);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default()
    }

    /// Built by hand: one customer on list L1 (USD), warehouse W1 of
    /// entity E1 (USD), bolts of one kind and a nut of another kind.
    fn state() -> State {
        use crate::core::master::{
            Abc, Address, Channel, Entity, FreightTerms, Item, ListPrice, PriceList, ShipPolicy,
            Warehouse,
        };
        use crate::core::state::{CostPool, WarehouseStock};
        let usd = Currency::new("USD");
        let mut s = State::default();
        s.entities.insert(
            "E1".into(),
            Entity {
                code: "E1".into(),
                name: "E1".into(),
                base_currency: usd.clone(),
                tax_jurisdiction: "X".into(),
                fiscal_year_start_month: 1,
                adjustment_approval_limit: Decimal::ZERO,
                po_approval_limit: Decimal::ZERO,
            },
        );
        s.warehouses.insert(
            "W1".into(),
            Warehouse {
                code: "W1".into(),
                entity: "E1".into(),
                name: "W1".into(),
                address: Address::default(),
            },
        );
        s.customers.insert(
            "C1".into(),
            Customer {
                code: "C1".into(),
                name: "C1".into(),
                entity: "E1".into(),
                channel: Channel::Counter,
                currency: usd.clone(),
                terms: "NET30".into(),
                credit_limit: Decimal::ZERO,
                grace_days: 0,
                tax_exempt_cert: String::new(),
                price_list: "L1".into(),
                bill_to: Address::default(),
                ship_to: Vec::new(),
                ship_policy: ShipPolicy {
                    ship_complete: false,
                    carrier: None,
                    service: None,
                    freight_terms: FreightTerms::Prepaid,
                    must_arrive_within_days: None,
                },
                collections: Default::default(),
                active: true,
            },
        );
        let mut list = PriceList {
            code: "L1".into(),
            name: "L1".into(),
            currency: usd,
            prices: Default::default(),
        };
        // sku, description, price, cost, on hand
        for (sku, desc, p, c, on_hand) in [
            ("B1", "Hex bolt, 1/4 in", 10, 6, 2),
            ("B2", "Hex bolt, white", 10, 5, 100),
            ("B3", "Hex bolt, large", 10, 7, 100),
            ("B4", "Hex bolt, black", 12, 6, 3),
            ("N1", "Hex nut, small", 10, 1, 100),
        ] {
            s.items.insert(
                sku.into(),
                Item {
                    sku: sku.into(),
                    description: desc.into(),
                    base_unit: "BOX".into(),
                    qty_decimals: 0,
                    alt_units: Vec::new(),
                    barcodes: Vec::new(),
                    weight_kg: Decimal::ONE,
                    tax_class: "STD".into(),
                    abc: Abc::A,
                    category: "FASTENERS".into(),
                    lot_tracked: false,
                    margin_floor_pct: None,
                    active: true,
                },
            );
            list.prices.insert(
                sku.into(),
                ListPrice {
                    sku: sku.into(),
                    price: Decimal::from(p),
                    breaks: Vec::new(),
                },
            );
            s.costs.insert(
                ("E1".into(), sku.into()),
                CostPool {
                    qty: Decimal::from(on_hand),
                    value: Decimal::from(c * on_hand),
                },
            );
            s.stock.insert(
                ("W1".into(), sku.into()),
                WarehouseStock {
                    on_hand: Decimal::from(on_hand),
                    ..Default::default()
                },
            );
        }
        s.price_lists.insert("L1".into(), list);
        // The items went in without apply: their indexes are derived here.
        crate::core::state::Indexes::rebuild_derived(&mut s);
        s
    }

    fn need(qty: i64) -> Need {
        Need {
            customer: "C1".into(),
            sku: "B1".into(),
            warehouse: "W1".into(),
            qty: Decimal::from(qty),
            date: day(),
        }
    }

    #[test]
    fn same_kind_in_stock_covering_and_margin_kept_first() {
        let s = state();
        let subs = substitutes(&s, &need(10)).unwrap_or_default();
        let skus: Vec<&str> = subs.iter().map(|x| x.sku.as_str()).collect();
        // B2 covers and keeps (50 % >= 40 %); B3 covers, 30 % (10 short);
        // B4 only 3 of 10; the nut is another kind; B1 is the item itself.
        assert_eq!(skus, ["B2", "B3", "B4"]);
        assert_eq!(subs[0].margin_pct, Some(Decimal::from(50)));
        assert_eq!(subs[0].original_margin_pct, Some(Decimal::from(40)));
        assert!(subs[0].keeps_margin() && subs[0].covers);
        assert_eq!(subs[1].margin_short_pts, Some(Decimal::from(10)));
        assert!(!subs[1].keeps_margin());
        assert!(!subs[2].covers);
        assert_eq!(subs[2].available, Decimal::from(3));
        let why: Vec<&str> = subs[1].reasons.iter().map(|r| r.1.as_str()).collect();
        assert!(why[0].contains("kind hex bolt"), "{why:?}");
        assert!(why[1].contains("100 BOX in W1 (covers the 10"), "{why:?}");
        assert!(why[2].starts_with("10.00 USD"), "{why:?}");
        assert!(
            why[3].contains("short of the original's 40.0% by 10.0 points"),
            "{why:?}"
        );
    }

    #[test]
    fn reserved_and_unpriced_items_are_not_offered() {
        let mut s = state();
        if let Some(st) = s.stock.get_mut(&("W1".to_code(), "B2".to_code())) {
            st.reserved = st.on_hand;
        }
        if let Some(l) = s.price_lists.get_mut(&"L1".to_code()) {
            l.prices.remove(&"B3".to_code());
        }
        let subs = substitutes(&s, &need(10)).unwrap_or_default();
        let skus: Vec<&str> = subs.iter().map(|x| x.sku.as_str()).collect();
        assert_eq!(skus, ["B4"]);
    }

    #[test]
    fn an_item_renamed_to_another_kind_is_looked_for_there() {
        use crate::core::event::Event;
        use crate::core::master::Record;
        use crate::core::state::Indexes;
        let mut s = state();
        let offered = |s: &State| -> Vec<Code> {
            substitutes(s, &need(5))
                .expect("a bolt short by 5 is a need substitutes() answers")
                .into_iter()
                .map(|x| x.sku)
                .collect()
        };
        assert!(offered(&s).contains(&Code::from("B3")));
        // B3 becomes a nut: no longer a bolt's substitute, and the index
        // apply keeps is the one rebuilt from the items.
        let mut b3 = s.items.get(&"B3".to_code()).cloned().expect("B3");
        b3.description = "Hex nut, large".into();
        crate::core::apply::apply_event(&mut s, 1, &Event::MasterUpserted(Record::Item(b3)));
        assert!(!offered(&s).contains(&Code::from("B3")));
        assert_eq!(s.index.item_kinds, Indexes::item_kinds_of(&s));
        let nuts = s
            .index
            .item_kinds
            .get(&("FASTENERS".into(), "hex nut".into()));
        assert_eq!(nuts.map(|n| n.len()), Some(2));
        // Back to a bolt: offered again.
        let mut b3 = s.items.get(&"B3".to_code()).cloned().expect("B3");
        b3.description = "Hex bolt, large".into();
        crate::core::apply::apply_event(&mut s, 2, &Event::MasterUpserted(Record::Item(b3)));
        assert!(offered(&s).contains(&Code::from("B3")));
        assert_eq!(s.index.item_kinds, Indexes::item_kinds_of(&s));
    }

    #[test]
    fn unknown_cost_says_so_and_bad_input_is_an_error() {
        let mut s = state();
        s.costs.remove(&("E1".to_code(), "B2".to_code()));
        let subs = substitutes(&s, &need(10)).unwrap_or_default();
        let b2 = subs.iter().find(|x| x.sku == "B2");
        assert!(b2.is_some_and(|b| b.margin_pct.is_none() && !b.keeps_margin()));
        assert!(b2.is_some_and(|b| b.reasons[3].1.contains("unknown")));
        assert_eq!(
            substitutes(&s, &need(0)),
            Err(SubstituteError::BadQty(Decimal::ZERO))
        );
        let mut n = need(1);
        n.sku = "NOPE".into();
        assert_eq!(
            substitutes(&s, &n),
            Err(SubstituteError::NoItem("NOPE".into()))
        );
        n = need(1);
        n.warehouse = "W9".into();
        assert_eq!(
            substitutes(&s, &n),
            Err(SubstituteError::NoWarehouse("W9".into()))
        );
    }
}
