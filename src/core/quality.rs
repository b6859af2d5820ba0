//! Data quality (issue 20): rules over master data whose findings are
//! exceptions of kind `DataQuality`, owned by the data steward until the
//! record is fixed. Like every exception, a finding is raised and cleared
//! by `apply` in the same log record as the master-data change that
//! causes or fixes it (`exceptions::sync`), and `depot check` proves the
//! open findings equal what the records imply (`expected`).
//!
//! The rules, with thresholds, are governed data per entity
//! (`set_data_quality_rules`): the first set of an entity takes effect at
//! once, any change of it afterwards is a change request a second person
//! approves. Rules without an entity are the default: they apply to the
//! records every entity shares (items, price lists) and to the customers
//! and suppliers of an entity without rules of its own. Without any rules
//! nothing is checked.
//!
//! - items (active) without a barcode, without a weight, or without a
//!   cost: no active supplier lists the item with a price and no entity
//!   ever held it at a cost (a cost pool);
//! - suppliers (active) without a lead time (0 days);
//! - duplicate-looking customers (same entity) or items: the same name
//!   once normalised (case, punctuation and words such as "inc", "llc",
//!   "the" ignored);
//! - list prices below cost: below the cheapest active supplier's price
//!   per base unit in the list's currency by more than the rules'
//!   tolerance in percent.
//!
//! Customers' tax exemption has no rule: depot knows a customer is exempt
//! only by its certificate number (`tax_exempt_cert`), so an exempt
//! customer without a certificate cannot exist.

use super::event::Event;
use super::exceptions::{Blocked, ExceptionKind, Facts};
use super::master::Record;
use super::state::SmallSet;
use super::state::State;
use super::types::Code;
use crate::core::types::ToCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityRule {
    ItemBarcode,
    ItemWeight,
    ItemCost,
    SupplierLeadTime,
    DuplicateCustomer,
    DuplicateItem,
    PriceBelowCost,
}

impl QualityRule {
    pub const ALL: [QualityRule; 7] = [
        QualityRule::ItemBarcode,
        QualityRule::ItemWeight,
        QualityRule::ItemCost,
        QualityRule::SupplierLeadTime,
        QualityRule::DuplicateCustomer,
        QualityRule::DuplicateItem,
        QualityRule::PriceBelowCost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QualityRule::ItemBarcode => "item_barcode",
            QualityRule::ItemWeight => "item_weight",
            QualityRule::ItemCost => "item_cost",
            QualityRule::SupplierLeadTime => "supplier_lead_time",
            QualityRule::DuplicateCustomer => "duplicate_customer",
            QualityRule::DuplicateItem => "duplicate_item",
            QualityRule::PriceBelowCost => "price_below_cost",
        }
    }

    /// What is wrong, in a few words.
    pub fn problem(self) -> &'static str {
        match self {
            QualityRule::ItemBarcode => "no barcode",
            QualityRule::ItemWeight => "no weight",
            QualityRule::ItemCost => "no cost",
            QualityRule::SupplierLeadTime => "no lead time",
            QualityRule::DuplicateCustomer | QualityRule::DuplicateItem => "duplicate?",
            QualityRule::PriceBelowCost => "below cost",
        }
    }

    /// The kind of record the finding's key names.
    pub fn record(self) -> &'static str {
        match self {
            QualityRule::ItemBarcode
            | QualityRule::ItemWeight
            | QualityRule::ItemCost
            | QualityRule::DuplicateItem => "item",
            QualityRule::SupplierLeadTime => "supplier",
            QualityRule::DuplicateCustomer => "customer",
            QualityRule::PriceBelowCost => "price",
        }
    }
}

/// The rules of an entity (or the default), with their thresholds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualityRules {
    pub item_barcode: bool,
    pub item_weight: bool,
    pub item_cost: bool,
    pub supplier_lead_time: bool,
    pub duplicate_customers: bool,
    pub duplicate_items: bool,
    /// A list price more than this percent below cost is a finding (0:
    /// any price below cost); None: prices are not checked.
    pub price_below_cost_pct: Option<Decimal>,
}

impl QualityRules {
    /// Every rule on, prices checked with no tolerance.
    pub fn all() -> QualityRules {
        QualityRules {
            item_barcode: true,
            item_weight: true,
            item_cost: true,
            supplier_lead_time: true,
            duplicate_customers: true,
            duplicate_items: true,
            price_below_cost_pct: Some(Decimal::ZERO),
        }
    }

    /// The names of the fields that differ from `other` (for the change
    /// request).
    pub fn changed_fields(&self, other: &QualityRules) -> Vec<String> {
        let mut out = Vec::new();
        let mut f = |name: &str, changed: bool| {
            if changed {
                out.push(name.to_string());
            }
        };
        f("item_barcode", self.item_barcode != other.item_barcode);
        f("item_weight", self.item_weight != other.item_weight);
        f("item_cost", self.item_cost != other.item_cost);
        f(
            "supplier_lead_time",
            self.supplier_lead_time != other.supplier_lead_time,
        );
        f(
            "duplicate_customers",
            self.duplicate_customers != other.duplicate_customers,
        );
        f(
            "duplicate_items",
            self.duplicate_items != other.duplicate_items,
        );
        f(
            "price_below_cost_pct",
            self.price_below_cost_pct != other.price_below_cost_pct,
        );
        out
    }
}

/// The rules for an entity's records (its own, else the default); for
/// shared records (`None`), the default.
pub fn rules_for<'a>(state: &'a State, entity: Option<&str>) -> Option<&'a QualityRules> {
    entity
        .and_then(|e| state.quality_rules.get(&Some(e.to_code())))
        .or_else(|| state.quality_rules.get(&None))
}

/// Words a name may carry or not and still be the same party.
const FILLER: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "co",
    "corp",
    "corporation",
    "company",
    "the",
    "and",
];

/// A name normalised for the duplicate rules: lower case, letters and
/// digits only, filler words dropped.
pub fn normalised(name: &str) -> String {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !FILLER.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The duplicate index key of a record: (rule, scope, normalised name).
type NameKey = (QualityRule, Code, String);

fn name_key(r: &Record) -> Option<(NameKey, Code)> {
    match r {
        Record::Item(i) if i.active => Some((
            (
                QualityRule::DuplicateItem,
                String::new().into(),
                normalised(&i.description),
            ),
            i.sku.clone(),
        )),
        Record::Customer(c) if c.active => Some((
            (
                QualityRule::DuplicateCustomer,
                c.entity.clone(),
                normalised(&c.name),
            ),
            c.code.clone(),
        )),
        _ => None,
    }
}

fn current(state: &State, r: &Record) -> Option<Record> {
    match r {
        Record::Item(i) => state.items.get(&i.sku).cloned().map(Record::Item),
        Record::Customer(c) => state.customers.get(&c.code).cloned().map(Record::Customer),
        Record::Supplier(s) => state.suppliers.get(&s.code).cloned().map(Record::Supplier),
        _ => None,
    }
}

fn dq(rule: QualityRule, key: &str) -> Blocked {
    Blocked::DataQuality {
        rule,
        key: key.to_code(),
    }
}

/// The price findings of `sku` on every price list that prices it.
fn prices_of(state: &State, sku: &str) -> Vec<Blocked> {
    state
        .price_lists
        .values()
        .filter(|l| l.prices.contains_key(&sku.to_code()))
        .map(|l| dq(QualityRule::PriceBelowCost, &format!("{}/{sku}", l.code)))
        .collect()
}

/// Before `event` is applied: take the record it replaces out of the
/// duplicate index, and name the findings that may change because of what
/// the record was (the other records of its old name, the items its
/// supplier listed).
pub fn before(state: &mut State, event: &Event) -> Vec<Blocked> {
    let Event::MasterUpserted(r) = event else {
        return Vec::new();
    };
    let Some(old) = current(state, r) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some((k, code)) = name_key(&old) {
        if let Some(set) = state.quality_names.get_mut(&k) {
            set.remove(&code);
            out.extend(set.iter().map(|c| dq(k.0, c)));
            if set.is_empty() {
                state.quality_names.remove(&k);
            }
        }
    }
    if let Record::Supplier(s) = &old {
        for i in &s.items {
            out.push(dq(QualityRule::ItemCost, &i.sku));
            out.extend(prices_of(state, &i.sku));
        }
    }
    out
}

/// After `event` is applied: put the record it wrote into the duplicate
/// index.
pub fn after(state: &mut State, event: &Event) {
    let Event::MasterUpserted(r) = event else {
        return;
    };
    if let Some((k, code)) = name_key(r) {
        match state.quality_names.get_mut(&k) {
            Some(set) => {
                set.insert(code);
            }
            None => {
                let mut set = SmallSet::new();
                set.insert(code);
                state.quality_names.insert(k, set);
            }
        }
    }
}

/// The findings an (applied) event may have raised or cleared.
/// `pools`: the (entity, sku) cost pools the event moves (`pool_keys`,
/// which `apply` has at hand).
pub fn touched(state: &State, event: &Event, pools: &[(Code, Code)]) -> Vec<Blocked> {
    let mut out = Vec::new();
    match event {
        Event::MasterUpserted(Record::Item(i)) => {
            for rule in [
                QualityRule::ItemBarcode,
                QualityRule::ItemWeight,
                QualityRule::ItemCost,
                QualityRule::DuplicateItem,
            ] {
                out.push(dq(rule, &i.sku));
            }
            if let Some((k, _)) = name_key(&Record::Item(i.clone())) {
                if let Some(set) = state.quality_names.get(&k) {
                    out.extend(set.iter().map(|c| dq(k.0, c)));
                }
            }
            out.extend(prices_of(state, &i.sku));
        }
        Event::MasterUpserted(Record::Customer(c)) => {
            out.push(dq(QualityRule::DuplicateCustomer, &c.code));
            if let Some((k, _)) = name_key(&Record::Customer(c.clone())) {
                if let Some(set) = state.quality_names.get(&k) {
                    out.extend(set.iter().map(|c| dq(k.0, c)));
                }
            }
        }
        Event::MasterUpserted(Record::Supplier(s)) => {
            out.push(dq(QualityRule::SupplierLeadTime, &s.code));
            for i in &s.items {
                out.push(dq(QualityRule::ItemCost, &i.sku));
                out.extend(prices_of(state, &i.sku));
            }
        }
        Event::MasterUpserted(Record::PriceList(l)) => {
            out.extend(
                l.prices
                    .keys()
                    .map(|sku| dq(QualityRule::PriceBelowCost, &format!("{}/{sku}", l.code))),
            );
        }
        Event::ListPriceSet { price_list, price } => {
            out.push(dq(
                QualityRule::PriceBelowCost,
                &format!("{price_list}/{}", price.sku),
            ));
        }
        Event::DataQualityRulesSet { .. } => {
            out.extend(all_subjects(state));
            out.extend(
                state
                    .open_exceptions
                    .keys()
                    .filter(|b| matches!(b, Blocked::DataQuality { .. }))
                    .cloned(),
            );
        }
        _ => {
            // A first cost pool gives an item a cost: only an open "no
            // cost" finding can change.
            for (_, sku) in pools {
                let b = dq(QualityRule::ItemCost, sku);
                if state.open_exceptions.contains_key(&b) {
                    out.push(b);
                }
            }
        }
    }
    out
}

/// Every finding the rules could raise now (each checked by `implied`).
fn all_subjects(state: &State) -> Vec<Blocked> {
    let mut out = Vec::new();
    if state.quality_rules.is_empty() {
        return out;
    }
    for sku in state.items.keys() {
        for rule in [
            QualityRule::ItemBarcode,
            QualityRule::ItemWeight,
            QualityRule::ItemCost,
            QualityRule::DuplicateItem,
        ] {
            out.push(dq(rule, sku));
        }
    }
    for c in state.customers.keys() {
        out.push(dq(QualityRule::DuplicateCustomer, c));
    }
    for s in state.suppliers.keys() {
        out.push(dq(QualityRule::SupplierLeadTime, s));
    }
    for l in state.price_lists.values() {
        for sku in l.prices.keys() {
            out.push(dq(
                QualityRule::PriceBelowCost,
                &format!("{}/{sku}", l.code),
            ));
        }
    }
    out
}

/// Every finding the master data implies now (the invariant's side).
pub fn expected(state: &State) -> Vec<Blocked> {
    all_subjects(state)
        .into_iter()
        .filter(|b| match b {
            Blocked::DataQuality { rule, key } => implied(state, *rule, key).is_some(),
            _ => false,
        })
        .collect()
}

/// The cheapest active supplier price of `sku` per base unit in
/// `currency`.
pub fn supplier_cost(state: &State, sku: &str, currency: &str) -> Option<Decimal> {
    let item = state.items.get(&sku.to_code())?;
    state
        .suppliers
        .values()
        .filter(|s| s.active && s.currency.0 == currency)
        .flat_map(|s| s.items.iter().filter(|i| i.sku == sku))
        .filter(|i| i.price > Decimal::ZERO)
        .filter_map(|i| item.unit_factor(&i.unit).map(|f| i.price / f))
        .filter(|p| *p > Decimal::ZERO)
        .min()
}

fn has_cost(state: &State, sku: &str) -> bool {
    let listed = state.suppliers.values().any(|s| {
        s.active
            && s.items
                .iter()
                .any(|i| i.sku == sku && i.price > Decimal::ZERO)
    });
    listed
        || state
            .entities
            .keys()
            .any(|e| state.costs.contains_key(&(e.clone(), sku.to_code())))
}

fn facts(entity: Option<Code>, summary: String, amount: Decimal, unit: Code) -> Facts {
    Facts {
        kind: ExceptionKind::DataQuality,
        entity,
        warehouse: None,
        party: None,
        requested_by: None,
        amount,
        unit,
        summary,
    }
}

/// Is the finding `rule` on `key` true now, and with what facts? The one
/// definition both `apply` and the invariant use.
pub fn implied(state: &State, rule: QualityRule, key: &str) -> Option<Facts> {
    match rule {
        QualityRule::ItemBarcode | QualityRule::ItemWeight | QualityRule::ItemCost => {
            let i = state.items.get(&key.to_code()).filter(|i| i.active)?;
            let r = rules_for(state, None)?;
            let found = match rule {
                QualityRule::ItemBarcode => r.item_barcode && i.barcodes.is_empty(),
                QualityRule::ItemWeight => r.item_weight && i.weight_kg <= Decimal::ZERO,
                _ => r.item_cost && !has_cost(state, key),
            };
            found.then(|| {
                facts(
                    None,
                    format!("item {key} {}: {}", i.description, rule.problem()),
                    Decimal::ZERO,
                    String::new().into(),
                )
            })
        }
        QualityRule::DuplicateItem => {
            let i = state.items.get(&key.to_code()).filter(|i| i.active)?;
            if !rules_for(state, None)?.duplicate_items {
                return None;
            }
            let (k, _) = name_key(&Record::Item(i.clone()))?;
            let others: Vec<&Code> = state
                .quality_names
                .get(&k)?
                .iter()
                .filter(|c| c.as_str() != key)
                .collect();
            (!others.is_empty()).then(|| {
                facts(
                    None,
                    format!(
                        "item {key} {:?} looks like {}",
                        i.description,
                        others
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Decimal::ZERO,
                    String::new().into(),
                )
            })
        }
        QualityRule::DuplicateCustomer => {
            let c = state.customers.get(&key.to_code()).filter(|c| c.active)?;
            if !rules_for(state, Some(&c.entity))?.duplicate_customers {
                return None;
            }
            let (k, _) = name_key(&Record::Customer(c.clone()))?;
            let others: Vec<&Code> = state
                .quality_names
                .get(&k)?
                .iter()
                .filter(|x| x.as_str() != key)
                .collect();
            (!others.is_empty()).then(|| {
                facts(
                    Some(c.entity.clone()),
                    format!(
                        "customer {key} {:?} looks like {}",
                        c.name,
                        others
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Decimal::ZERO,
                    String::new().into(),
                )
            })
        }
        QualityRule::SupplierLeadTime => {
            let s = state.suppliers.get(&key.to_code()).filter(|s| s.active)?;
            let r = rules_for(state, Some(&s.entity))?;
            (r.supplier_lead_time && s.lead_time_days == 0).then(|| {
                facts(
                    Some(s.entity.clone()),
                    format!("supplier {key} {}: no lead time", s.name),
                    Decimal::ZERO,
                    String::new().into(),
                )
            })
        }
        QualityRule::PriceBelowCost => {
            let (list, sku) = key.split_once('/')?;
            let pct = rules_for(state, None)?.price_below_cost_pct?;
            let l = state.price_lists.get(&list.to_code())?;
            let p = l.prices.get(&sku.to_code())?;
            state.items.get(&sku.to_code()).filter(|i| i.active)?;
            let cost = supplier_cost(state, sku, &l.currency.0)?;
            let floor = cost * (Decimal::ONE_HUNDRED - pct) / Decimal::ONE_HUNDRED;
            (p.price < floor).then(|| {
                facts(
                    None,
                    format!(
                        "price {list}/{sku} {} {} below the cost {}",
                        l.currency,
                        p.price,
                        cost.round_dp(4).normalize()
                    ),
                    (cost - p.price).round_dp(4).normalize(),
                    l.currency.0.clone(),
                )
            })
        }
    }
}
